//! Fulcio's v2 API: a short-lived certificate for an ephemeral key, in exchange for an OIDC
//! identity token and a proof that the caller holds the key.
//!
//! `POST /api/v2/signingCert` with
//! `{"credentials":{"oidcIdentityToken":T},"publicKeyRequest":{"publicKey":{"algorithm":"ECDSA",
//! "content":PEM},"proofOfPossession":B64}}`, where the proof is the key's signature over the
//! token's identity: the `email` claim for email tokens, else `sub` (what Fulcio's challenge
//! checks). The reply holds `signedCertificateEmbeddedSct.chain.certificates`, PEM, leaf first.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use x509_cert::der::{Decode, Encode};

use super::http::Service;
use crate::attest::keys::{pem_decode, SigningKey};

pub const SIGNING_CERT_PATH: &str = "/api/v2/signingCert";

/// What a token says about its holder (read without verifying it: Fulcio does that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub expires: Option<i64>,
}

impl TokenClaims {
    /// Reads the payload of a compact JWS (`header.payload.signature`).
    pub fn parse(token: &str) -> Result<TokenClaims, String> {
        let parts: Vec<&str> = token.trim().split('.').collect();
        let [_, payload, _] = parts.as_slice() else {
            return Err("the identity token is not a JWT (three dot-separated parts)".into());
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| "the identity token's payload is not base64url".to_string())?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the identity token's payload is not JSON: {e}"))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let issuer = s("iss").ok_or("the identity token has no `iss` claim")?;
        let subject = s("sub").ok_or("the identity token has no `sub` claim")?;
        Ok(TokenClaims {
            issuer,
            subject,
            email: s("email"),
            expires: v.get("exp").and_then(Value::as_i64),
        })
    }

    /// The value the proof of possession signs: the email for email tokens, else the subject.
    pub fn proof_subject(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.subject)
    }
}

/// A certificate issued by Fulcio.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The leaf, DER.
    pub leaf: Vec<u8>,
    /// The leaf's PEM text as Fulcio sent it.
    pub leaf_pem: String,
    /// Intermediates and root as sent, DER; not written into v0.3 bundles.
    pub chain: Vec<Vec<u8>>,
}

/// The request body, exactly as the public instance expects it.
pub fn request_body(token: &str, key: &SigningKey, claims: &TokenClaims) -> Value {
    let proof = key.sign(claims.proof_subject().as_bytes());
    json!({
        "credentials": {"oidcIdentityToken": token.trim()},
        "publicKeyRequest": {
            "publicKey": {
                "algorithm": "ECDSA",
                "content": key.verifying_key().to_pem(),
            },
            "proofOfPossession": STANDARD.encode(proof),
        },
    })
}

/// Asks Fulcio for a certificate and checks that it certifies `key`.
pub fn request_certificate(
    fulcio: &Service,
    token: &str,
    key: &SigningKey,
    claims: &TokenClaims,
) -> Result<Issued, String> {
    let body = serde_json::to_vec(&request_body(token, key, claims)).map_err(|e| e.to_string())?;
    let reply = fulcio.post(
        SIGNING_CERT_PATH,
        "application/json",
        "application/json",
        &body,
    )?;
    if reply.status != 200 && reply.status != 201 {
        return Err(fulcio.status_error(SIGNING_CERT_PATH, &reply));
    }
    let issued = parse_response(&reply.body).map_err(|e| format!("Fulcio: {e}"))?;
    let spki = x509_cert::Certificate::from_der(&issued.leaf)
        .map_err(|e| format!("Fulcio: the leaf certificate does not parse: {e}"))?
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("Fulcio: the leaf's public key does not encode: {e}"))?;
    if spki != key.verifying_key().to_spki_der() {
        return Err("Fulcio: the certificate is for another public key than the one sent".into());
    }
    Ok(issued)
}

/// Reads `signedCertificateEmbeddedSct` (the only form a v0.3 bundle can carry: a detached SCT
/// has no place in it).
pub fn parse_response(body: &[u8]) -> Result<Issued, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the response is not JSON: {e}"))?;
    let chain = match (
        v.get("signedCertificateEmbeddedSct"),
        v.get("signedCertificateDetachedSct"),
    ) {
        (Some(e), _) => e,
        (None, Some(_)) => {
            return Err(
                "the certificate came with a detached SCT, which a v0.3 bundle cannot carry; \
                 this Fulcio instance must embed SCTs"
                    .into(),
            )
        }
        (None, None) => return Err("the response holds no certificate".into()),
    };
    let certs = chain
        .pointer("/chain/certificates")
        .and_then(Value::as_array)
        .ok_or("the response has no `chain.certificates` list")?;
    let mut ders = Vec::new();
    let mut pems = Vec::new();
    for (i, c) in certs.iter().enumerate() {
        let pem = c
            .as_str()
            .ok_or_else(|| format!("certificate {} is not a PEM string", i + 1))?;
        let (label, der) = pem_decode(pem).map_err(|e| format!("certificate {}: {e}", i + 1))?;
        if label != "CERTIFICATE" {
            return Err(format!(
                "certificate {} is a PEM `{label}`, not a CERTIFICATE",
                i + 1
            ));
        }
        ders.push(der);
        pems.push(pem.to_string());
    }
    if ders.is_empty() {
        return Err("the certificate chain is empty".into());
    }
    let leaf = ders.remove(0);
    let mut leaf_pem = pems.remove(0);
    if !leaf_pem.ends_with('\n') {
        leaf_pem.push('\n');
    }
    Ok(Issued {
        leaf,
        leaf_pem,
        chain: ders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::keys::{Algorithm, VerifyingKey};

    fn jwt(claims: &Value) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap()),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    #[test]
    fn proof_signs_the_email_else_the_subject() {
        let email = TokenClaims::parse(&jwt(
            &json!({"iss":"https://i.example","sub":"1234","email":"a@b.example","exp":5}),
        ))
        .unwrap();
        assert_eq!(email.proof_subject(), "a@b.example");
        assert_eq!(email.expires, Some(5));
        let workflow = TokenClaims::parse(&jwt(
            &json!({"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main"}),
        ))
        .unwrap();
        assert_eq!(workflow.proof_subject(), "repo:o/r:ref:refs/heads/main");

        let key = SigningKey::generate(Algorithm::EcdsaP256);
        let body = request_body(" tok ", &key, &email);
        assert_eq!(body["credentials"]["oidcIdentityToken"], "tok");
        assert_eq!(body["publicKeyRequest"]["publicKey"]["algorithm"], "ECDSA");
        let pem = body["publicKeyRequest"]["publicKey"]["content"]
            .as_str()
            .unwrap();
        let proof = STANDARD
            .decode(
                body["publicKeyRequest"]["proofOfPossession"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        let vk = VerifyingKey::from_pem(pem).unwrap();
        assert!(vk.verify(b"a@b.example", &proof));
        assert!(!vk.verify(b"1234", &proof));
    }

    #[test]
    fn bad_tokens_are_named() {
        assert!(TokenClaims::parse("abc").unwrap_err().contains("not a JWT"));
        assert!(TokenClaims::parse("a.@@.c")
            .unwrap_err()
            .contains("base64url"));
        let no_iss = jwt(&json!({"sub":"x"}));
        assert!(TokenClaims::parse(&no_iss).unwrap_err().contains("`iss`"));
    }

    #[test]
    fn responses_without_an_embedded_chain_are_refused() {
        assert!(parse_response(b"{}")
            .unwrap_err()
            .contains("no certificate"));
        let detached = br#"{"signedCertificateDetachedSct":{"chain":{"certificates":[]},"signedCertificateTimestamp":"AA=="}}"#;
        assert!(parse_response(detached)
            .unwrap_err()
            .contains("detached SCT"));
        let empty = br#"{"signedCertificateEmbeddedSct":{"chain":{"certificates":[]}}}"#;
        assert!(parse_response(empty).unwrap_err().contains("empty"));
        let notpem = br#"{"signedCertificateEmbeddedSct":{"chain":{"certificates":["x"]}}}"#;
        assert!(parse_response(notpem)
            .unwrap_err()
            .contains("certificate 1"));
    }
}
