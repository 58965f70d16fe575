//! Sigstore bundles holding a DSSE envelope, written as v0.3 with a public key hint. They are read
//! by `sigstore::bundle`, the one reader of both verify commands.

use serde_json::{json, Value};

use super::dsse::Envelope;

pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A v0.3 bundle for a key-based signature: `publicKey.hint` is the envelope's keyid, no
/// transparency log entries (nothing is uploaded).
pub fn wrap(envelope: &Envelope) -> Value {
    let hint = envelope
        .signatures
        .first()
        .map(|s| s.keyid.clone())
        .unwrap_or_default();
    json!({
        "mediaType": MEDIA_TYPE_V03,
        "verificationMaterial": {
            "publicKey": {"hint": hint},
            "tlogEntries": [],
        },
        "dsseEnvelope": envelope,
    })
}

/// Whether a JSON object looks like a bundle rather than a bare envelope.
pub fn is_bundle(v: &Value) -> bool {
    v.get("dsseEnvelope").is_some()
        || v.get("verificationMaterial").is_some()
        || v.get("messageSignature").is_some()
        || v.get("mediaType").is_some()
}
