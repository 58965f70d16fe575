//! Keyless signing: an ephemeral ECDSA P-256 key, certified by Fulcio for the holder of an OIDC
//! identity token, signs the DSSE envelope; the envelope is logged to Rekor and, on request,
//! timestamped by an RFC 3161 authority; all of it goes into a sigstore bundle v0.3.
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
    rekor: Service,
    tsa: Option<Service>,
}

impl Keyless {
    /// Checks the token's shape and expiry (at `now`, Unix seconds) and the service URLs.
    pub fn new(
        token: &str,
        fulcio_url: &str,
        rekor_url: &str,
        timestamp_url: Option<&str>,
        now: i64,
    ) -> Result<Keyless, String> {
        let claims = fulcio::TokenClaims::parse(token)?;
        if let Some(exp) = claims.expires {
            if exp <= now {
                return Err(format!(
                    "the identity token expired {} seconds ago (exp {exp}); get a fresh one",
                    now.saturating_sub(exp)
                ));
            }
        }
        Ok(Keyless {
            token: token.trim().to_string(),
            claims,
            fulcio: Service::new("Fulcio", fulcio_url)?,
            rekor: Service::new("Rekor", rekor_url)?,
            tsa: timestamp_url
                .map(|u| Service::new("timestamp authority", u))
                .transpose()?,
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

        let timestamp = match &self.tsa {
            Some(tsa) => Some(tsa::timestamp(tsa, &signature)?),
            None => None,
        };
        let entry = rekor::upload_dsse(
            &self.rekor,
            &envelope_json,
            payload,
            &signature,
            &issued.leaf_pem,
        )?;
        Ok(bundle(
            &envelope,
            &issued.leaf,
            &entry,
            timestamp.as_deref(),
        ))
    }
}

/// The v0.3 bundle: the single leaf certificate (the chain is the verifier's trusted root's
/// business), one log entry, the timestamp where one was asked for.
fn bundle(
    envelope: &Envelope,
    leaf: &[u8],
    entry: &rekor::LogEntry,
    timestamp: Option<&[u8]>,
) -> Value {
    let mut material = json!({
        "certificate": {"rawBytes": STANDARD.encode(leaf)},
        "tlogEntries": [entry.to_bundle_json()],
    });
    if let Some(ts) = timestamp {
        material["timestampVerificationData"] =
            json!({"rfc3161Timestamps": [{"signedTimestamp": STANDARD.encode(ts)}]});
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
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token(claims: &Value) -> String {
        format!(
            "e30.{}.c2ln",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        )
    }

    #[test]
    fn expired_tokens_and_bad_urls_stop_before_any_request() {
        let t = token(&json!({"iss":"https://i.example","sub":"s","exp":100}));
        let e = Keyless::new(&t, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, None, 200).unwrap_err();
        assert!(e.contains("expired 100 seconds ago"), "{e}");
        assert!(Keyless::new(&t, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, None, 99).is_ok());
        let e = Keyless::new(&t, "http://fulcio.example", DEFAULT_REKOR_URL, None, 0).unwrap_err();
        assert!(e.starts_with("Fulcio URL"), "{e}");
        let e = Keyless::new(
            &t,
            DEFAULT_FULCIO_URL,
            DEFAULT_REKOR_URL,
            Some("http://tsa.example"),
            0,
        )
        .unwrap_err();
        assert!(e.starts_with("timestamp authority URL"), "{e}");
    }
}
