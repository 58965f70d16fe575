//! Sigstore bundles holding a DSSE envelope: written as v0.3 with a public key hint, read in every
//! published media type version.

use serde_json::{json, Value};

use super::dsse::Envelope;
use super::kind_of;
use super::sigstore::bundle::MEDIA_TYPES;

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

/// What a bundle says beside the envelope, for the report.
#[derive(Debug, Clone, Default)]
pub struct BundleInfo {
    pub media_type: Option<String>,
    pub hint: Option<String>,
    /// A certificate instead of a key: keyless signing, which needs a trusted root to check.
    pub has_certificate: bool,
    pub tlog_entries: usize,
}

/// The envelope inside a bundle, after checking the media type and the one-signature rule.
pub fn unwrap(v: &Value) -> Result<(&Value, BundleInfo), String> {
    let media_type = match v.get("mediaType") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(format!(
                "bundle `mediaType` must be a string, found {}",
                kind_of(other)
            ))
        }
        None => None,
    };
    if let Some(mt) = &media_type {
        // One list of media types for both verify commands.
        if !MEDIA_TYPES.iter().any(|(m, _)| m == mt) {
            return Err(format!("unknown bundle media type `{mt}`"));
        }
    }
    if v.get("messageSignature").is_some() {
        return Err("the bundle holds a message signature, not a DSSE attestation".into());
    }
    let env = v
        .get("dsseEnvelope")
        .ok_or("the bundle holds no `dsseEnvelope`")?;
    let n = env
        .get("signatures")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if n > 1 {
        return Err(format!(
            "a DSSE envelope in a bundle must have exactly one signature, this one has {n}"
        ));
    }
    let vm = v.get("verificationMaterial");
    let info = BundleInfo {
        media_type,
        hint: vm
            .and_then(|m| m.pointer("/publicKey/hint"))
            .and_then(Value::as_str)
            .map(str::to_string),
        has_certificate: vm.is_some_and(|m| {
            m.get("certificate").is_some() || m.get("x509CertificateChain").is_some()
        }),
        tlog_entries: vm
            .and_then(|m| m.get("tlogEntries"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    };
    Ok((env, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_of_every_version_are_read_and_others_refused() {
        let env = json!({"payloadType":"t","payload":"","signatures":[{"sig":""}]});
        for (mt, _) in MEDIA_TYPES {
            let b = json!({"mediaType": mt, "dsseEnvelope": env});
            assert!(unwrap(&b).is_ok(), "{mt}");
        }
        let b = json!({"mediaType": "application/vnd.dev.sigstore.bundle.v9+json", "dsseEnvelope": env});
        assert!(unwrap(&b)
            .unwrap_err()
            .contains("unknown bundle media type"));
        let two = json!({"dsseEnvelope": {"signatures":[{"sig":""},{"sig":""}]}});
        assert!(unwrap(&two).unwrap_err().contains("exactly one"));
    }
}
