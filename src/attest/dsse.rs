//! DSSE v1 envelopes: the pre-authentication encoding (PAE) that is signed, and the JSON envelope.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use super::keys::SigningKey;
use super::kind_of;

/// The payload type in-toto requires for Statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes.
pub fn pae(payload_type: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type);
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope as written (field order as cosign writes it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64 of the payload bytes.
    pub payload: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Signature {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// Base64 of the signature bytes.
    pub sig: String,
}

/// Signs `payload` and wraps it in an envelope with one signature.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let sig = key.sign(&pae(payload_type.as_bytes(), payload));
    Envelope {
        payload_type: payload_type.to_string(),
        payload: STANDARD.encode(payload),
        signatures: vec![Signature {
            keyid: key.keyid(),
            sig: STANDARD.encode(sig),
        }],
    }
}

/// Decodes standard or URL-safe base64, padded or not (DSSE requires verifiers to accept both).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let std = GeneralPurpose::new(&alphabet::STANDARD, cfg);
    let url = GeneralPurpose::new(&alphabet::URL_SAFE, cfg);
    std.decode(s.trim()).or_else(|_| url.decode(s.trim())).ok()
}

/// An envelope as read: the payload decoded, signatures still to check. Nothing here is trusted yet.
#[derive(Debug, Clone)]
pub struct ParsedEnvelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    /// (keyid, signature bytes); a signature whose base64 does not decode is kept as `None`.
    pub signatures: Vec<(String, Option<Vec<u8>>)>,
}

/// Reads the envelope fields from a JSON object, naming what is wrong.
pub fn parse_envelope(v: &Value) -> Result<ParsedEnvelope, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("a DSSE envelope must be an object, found {}", kind_of(v)))?;
    let field = |name: &str| -> Result<&str, String> {
        match obj.get(name) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!(
                "envelope field `{name}` must be a string, found {}",
                kind_of(other)
            )),
            None => Err(format!("envelope has no `{name}`")),
        }
    };
    let payload_type = field("payloadType")?.to_string();
    let payload = decode_base64(field("payload")?)
        .ok_or_else(|| "envelope `payload` is not valid base64".to_string())?;
    let sigs = match obj.get("signatures") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(format!(
                "envelope `signatures` must be an array, found {}",
                kind_of(other)
            ))
        }
        None => return Err("envelope has no `signatures`".into()),
    };
    let mut signatures = Vec::with_capacity(sigs.len().min(64));
    for (i, s) in sigs.iter().enumerate() {
        let sig = s
            .get("sig")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("signature {} has no string `sig`", i + 1))?;
        let keyid = s
            .get("keyid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        signatures.push((keyid, decode_base64(sig)));
    }
    Ok(ParsedEnvelope {
        payload_type,
        payload,
        signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_test_vector() {
        assert_eq!(
            pae(b"http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae(b"", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn base64_in_every_dialect() {
        let bytes = [0xfbu8, 0xff, 0xfe, 0x01];
        for s in ["+//+AQ==", "+//+AQ", "-__-AQ==", "-__-AQ"] {
            assert_eq!(decode_base64(s), Some(bytes.to_vec()), "{s}");
        }
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn envelope_fields_are_checked() {
        let ok =
            serde_json::json!({"payloadType":"t","payload":"aGk=","signatures":[{"sig":"AA=="}]});
        let e = parse_envelope(&ok).unwrap();
        assert_eq!(e.payload, b"hi");
        assert_eq!(e.signatures, vec![(String::new(), Some(vec![0]))]);
        let bad = serde_json::json!({"payloadType":1,"payload":"aGk=","signatures":[]});
        assert!(parse_envelope(&bad).unwrap_err().contains("payloadType"));
        let bad = serde_json::json!({"payloadType":"t","payload":"@@","signatures":[]});
        assert!(parse_envelope(&bad).unwrap_err().contains("base64"));
    }
}
