//! Keyless signing: an ephemeral ECDSA P-256 key, certified by Fulcio for the holder of an OIDC
//! identity token, signs the DSSE envelope; the envelope is logged to each chosen Rekor log (v1:
//! a `dsse` entry; v2: a `hashedrekord` 0.0.2 entry over the PAE) and timestamped by each chosen
//! RFC 3161 authority; all of it goes into a sigstore bundle v0.3. The services come from flags
//! or a SigningConfig (`sigstore::signing_config`).
//!
//! The ephemeral key lives in memory only (zeroed on drop) and signs two things: Fulcio's proof
//! of possession and the envelope. Every reply is checked before it is written into the bundle:
//! the certificate is for this key, the log entry records this envelope and its inclusion proof
//! leads to the checkpoint's root, the timestamp is over this signature.

pub mod fulcio;
pub mod http;
pub mod rekor;
pub mod tsa;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::bundle::MEDIA_TYPE_V03;
use super::dsse::{self, Envelope, Signature};
use super::keys::{Algorithm, SigningKey};
use super::sigstore::signing_config::Services;
use http::Service;

/// The public-good instances.
pub const DEFAULT_FULCIO_URL: &str = "https://fulcio.sigstore.dev";
pub const DEFAULT_REKOR_URL: &str = "https://rekor.sigstore.dev";
/// Where the identity token is read from when no flag gives it (as cosign does).
pub const TOKEN_ENV: &str = "SIGSTORE_ID_TOKEN";

/// Everything keyless signing needs, checked before any work is done.
#[derive(Debug, Clone)]
pub struct Keyless {
    token: String,
    pub claims: fulcio::TokenClaims,
    fulcio: Service,
    /// Each log with its API version.
    logs: Vec<(Service, u32)>,
    tsas: Vec<Service>,
}

impl Keyless {
    /// Checks the token's shape and expiry (at `now`, Unix seconds), the service URLs, and that a
    /// Rekor v2 log has a timestamp authority beside it.
    pub fn new(token: &str, services: &Services, now: i64) -> Result<Keyless, String> {
        let claims = fulcio::TokenClaims::parse(token)?;
        if let Some(exp) = claims.expires {
            if exp <= now {
                return Err(format!(
                    "the identity token expired {} seconds ago (exp {exp}); get a fresh one",
                    now.saturating_sub(exp)
                ));
            }
        }
        services.check()?;
        Ok(Keyless {
            token: token.trim().to_string(),
            claims,
            fulcio: Service::new("Fulcio", &services.fulcio)?,
            logs: services
                .logs
                .iter()
                .map(|l| Ok((Service::new("Rekor", &l.url)?, l.version)))
                .collect::<Result<_, String>>()?,
            tsas: services
                .tsas
                .iter()
                .map(|u| Service::new("timestamp authority", u))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Signs `payload` as a DSSE envelope and returns the v0.3 bundle.
    pub fn sign(&self, payload_type: &str, payload: &[u8]) -> Result<Value, String> {
        let key = SigningKey::generate(Algorithm::EcdsaP256);
        let issued = fulcio::request_certificate(&self.fulcio, &self.token, &key, &self.claims)?;

        let signature = key.sign(&dsse::pae(payload_type.as_bytes(), payload));
        drop(key);
        // No keyid: the certificate identifies the key.
        let envelope = Envelope {
            payload_type: payload_type.to_string(),
            payload: STANDARD.encode(payload),
            signatures: vec![Signature {
                keyid: String::new(),
                sig: STANDARD.encode(&signature),
            }],
        };
        let envelope_json = serde_json::to_string(&envelope).map_err(|e| e.to_string())?;

        let timestamps = self
            .tsas
            .iter()
            .map(|t| tsa::timestamp(t, &signature))
            .collect::<Result<Vec<_>, _>>()?;
        let entries = self
            .logs
            .iter()
            .map(|(log, version)| match version {
                2 => rekor::upload_v2(log, payload_type, payload, &signature, &issued.leaf),
                _ => rekor::upload_dsse(log, &envelope_json, payload, &signature, &issued.leaf_pem)
                    .map(|e| e.to_bundle_json()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(bundle(&envelope, &issued.leaf, entries, &timestamps))
    }
}

/// The v0.3 bundle: the single leaf certificate (the chain is the verifier's trusted root's
/// business), an entry per log, the timestamps where authorities were chosen.
fn bundle(envelope: &Envelope, leaf: &[u8], entries: Vec<Value>, timestamps: &[Vec<u8>]) -> Value {
    let mut material = json!({
        "certificate": {"rawBytes": STANDARD.encode(leaf)},
        "tlogEntries": entries,
    });
    if !timestamps.is_empty() {
        let stamps: Vec<Value> = timestamps
            .iter()
            .map(|ts| json!({"signedTimestamp": STANDARD.encode(ts)}))
            .collect();
        material["timestampVerificationData"] = json!({ "rfc3161Timestamps": stamps });
    }
    json!({
        "mediaType": MEDIA_TYPE_V03,
        "verificationMaterial": material,
        "dsseEnvelope": envelope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::sigstore::signing_config::Log;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token(claims: &Value) -> String {
        format!(
            "e30.{}.c2ln",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        )
    }

    fn services(fulcio: &str, rekor: &str, version: u32, tsa: Option<&str>) -> Services {
        Services {
            fulcio: fulcio.into(),
            logs: vec![Log {
                url: rekor.into(),
                version,
            }],
            tsas: tsa.into_iter().map(String::from).collect(),
        }
    }

    #[test]
    fn expired_tokens_and_bad_urls_stop_before_any_request() {
        let t = token(&json!({"iss":"https://i.example","sub":"s","exp":100}));
        let good = services(DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, 1, None);
        let e = Keyless::new(&t, &good, 200).unwrap_err();
        assert!(e.contains("expired 100 seconds ago"), "{e}");
        assert!(Keyless::new(&t, &good, 99).is_ok());
        let bad = services("http://fulcio.example", DEFAULT_REKOR_URL, 1, None);
        let e = Keyless::new(&t, &bad, 0).unwrap_err();
        assert!(e.starts_with("Fulcio URL"), "{e}");
        let bad = services(
            DEFAULT_FULCIO_URL,
            DEFAULT_REKOR_URL,
            1,
            Some("http://tsa.example"),
        );
        let e = Keyless::new(&t, &bad, 0).unwrap_err();
        assert!(e.starts_with("timestamp authority URL"), "{e}");
        // Rekor v2 gives no integrated time: without a timestamp authority nothing is sent.
        let v2 = services(
            DEFAULT_FULCIO_URL,
            "https://log2025-1.rekor.sigstore.dev",
            2,
            None,
        );
        let e = Keyless::new(&t, &v2, 0).unwrap_err();
        assert!(e.contains("a timestamp authority is required"), "{e}");
    }
}
