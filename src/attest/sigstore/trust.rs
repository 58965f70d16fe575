//! The sigstore TrustedRoot: Fulcio certificate authorities, Rekor and CT log keys, timestamp
//! authorities, each with the period it is trusted for.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::attest::{fail, parse_json, read_limited};
use crate::error::{Error, ExitCode};

/// The public-good production trusted root, as distributed through sigstore's TUF repository
/// (provenance in `testdata/fixtures/sigstore/PROVENANCE.md`; tests read this copy too).
pub const PRODUCTION_JSON: &[u8] = include_bytes!("production.trusted_root.json");

/// Media types of TrustedRoot documents accepted.
const MEDIA_TYPES: [&str; 2] = [
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/// A period `[start, end]` in Unix seconds; no end means still valid. The start is required (a
/// `TimeRange` without one is malformed, as sigstore-go reads it): an open start would trust a
/// key or CA for any time before it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidFor {
    pub start: i64,
    pub end: Option<i64>,
}

impl ValidFor {
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && self.end.is_none_or(|e| t <= e)
    }
}

/// A certificate authority (Fulcio) or timestamp authority: its chain, leaf-most first, root last.
#[derive(Debug, Clone)]
pub struct Authority {
    pub uri: String,
    pub chain: Vec<Vec<u8>>,
    pub valid_for: ValidFor,
}

/// A transparency log (Rekor) or CT log key.
#[derive(Debug, Clone)]
pub struct LogKey {
    pub base_url: String,
    /// The log ID: SHA-256 of the key's SubjectPublicKeyInfo DER (Rekor v1, CT) or as the root says.
    pub key_id: Vec<u8>,
    pub spki: Vec<u8>,
    pub key_details: String,
    pub valid_for: ValidFor,
}

#[derive(Debug, Clone, Default)]
pub struct TrustedRoot {
    pub certificate_authorities: Vec<Authority>,
    pub tlogs: Vec<LogKey>,
    pub ctlogs: Vec<LogKey>,
    pub timestamp_authorities: Vec<Authority>,
}

impl TrustedRoot {
    /// The root in the file given (malformed: exit code 13), else the embedded one.
    pub fn load(path: Option<&Path>) -> Result<TrustedRoot, Error> {
        match path {
            Some(p) => TrustedRoot::parse(&read_limited(p)?)
                .map_err(|m| fail(ExitCode::Malformed, format!("{}: {m}", p.display()))),
            None => TrustedRoot::production()
                .map_err(|m| Error::Other(format!("the built-in trusted root: {m}"))),
        }
    }

    /// The embedded public-good production root.
    pub fn production() -> Result<TrustedRoot, String> {
        TrustedRoot::parse(PRODUCTION_JSON)
    }

    pub fn parse(bytes: &[u8]) -> Result<TrustedRoot, String> {
        let v = parse_json(bytes).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("mediaType").and_then(Value::as_str) {
            Some(mt) if MEDIA_TYPES.contains(&mt) => {}
            Some(mt) => return Err(format!("unknown trusted root media type `{mt}`")),
            None => return Err("no `mediaType`: not a sigstore TrustedRoot".into()),
        }
        let list = |name: &str| -> Result<Vec<Value>, String> {
            match v.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => Ok(a.clone()),
                Some(_) => Err(format!("`{name}` is not an array")),
            }
        };
        let mut root = TrustedRoot::default();
        for (i, a) in list("certificateAuthorities")?.iter().enumerate() {
            root.certificate_authorities
                .push(authority(a).map_err(|e| format!("certificateAuthorities[{i}]: {e}"))?);
        }
        for (i, a) in list("timestampAuthorities")?.iter().enumerate() {
            root.timestamp_authorities
                .push(authority(a).map_err(|e| format!("timestampAuthorities[{i}]: {e}"))?);
        }
        for (i, l) in list("tlogs")?.iter().enumerate() {
            root.tlogs
                .push(log_key(l).map_err(|e| format!("tlogs[{i}]: {e}"))?);
        }
        for (i, l) in list("ctlogs")?.iter().enumerate() {
            root.ctlogs
                .push(log_key(l).map_err(|e| format!("ctlogs[{i}]: {e}"))?);
        }
        Ok(root)
    }
}

pub(crate) fn b64(v: Option<&Value>, what: &str) -> Result<Vec<u8>, String> {
    let s = v
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{what}` is missing or not a string"))?;
    STANDARD
        .decode(s.trim())
        .map_err(|e| format!("`{what}` is not base64: {e}"))
}

pub(crate) fn rfc3339(s: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
}

fn valid_for(v: Option<&Value>) -> Result<ValidFor, String> {
    let v = v
        .filter(|v| !v.is_null())
        .ok_or("no `validFor`: the period it is trusted for is required")?;
    let get = |k: &str| -> Result<Option<i64>, String> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => rfc3339(s).map(Some),
            Some(_) => Err(format!("`validFor.{k}` is not a string")),
        }
    };
    let start = get("start")?.ok_or("`validFor` has no `start`: the bound is required")?;
    let end = get("end")?;
    if end.is_some_and(|e| e < start) {
        return Err("`validFor` ends before it starts".into());
    }
    Ok(ValidFor { start, end })
}

fn authority(a: &Value) -> Result<Authority, String> {
    let certs = a
        .pointer("/certChain/certificates")
        .and_then(Value::as_array)
        .ok_or("no `certChain.certificates`")?;
    let chain = certs
        .iter()
        .enumerate()
        .map(|(i, c)| b64(c.get("rawBytes"), &format!("certificates[{i}].rawBytes")))
        .collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        return Err("an empty certificate chain".into());
    }
    Ok(Authority {
        uri: a
            .get("uri")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        chain,
        valid_for: valid_for(a.get("validFor"))?,
    })
}

fn log_key(l: &Value) -> Result<LogKey, String> {
    let pk = l.get("publicKey").ok_or("no `publicKey`")?;
    Ok(LogKey {
        base_url: l
            .get("baseUrl")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        key_id: b64(l.pointer("/logId/keyId"), "logId.keyId")?,
        spki: b64(pk.get("rawBytes"), "publicKey.rawBytes")?,
        key_details: pk
            .get("keyDetails")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        valid_for: valid_for(pk.get("validFor"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_root_reads() {
        let r = TrustedRoot::production().unwrap();
        assert_eq!(r.certificate_authorities.len(), 2);
        assert_eq!(r.tlogs.len(), 2);
        assert_eq!(r.ctlogs.len(), 2);
        assert_eq!(r.timestamp_authorities.len(), 1);
        // Rekor v1's log ID is the SHA-256 of its key.
        use sha2::{Digest, Sha256};
        assert_eq!(r.tlogs[0].key_id, Sha256::digest(&r.tlogs[0].spki).to_vec());
        assert_eq!(r.tlogs[1].valid_for.start, 1_758_585_600); // 2025-09-23
    }

    /// The production root with one `validFor` changed by `f`, at the JSON pointer given.
    fn root_with(ptr: &str, f: impl FnOnce(&mut Value)) -> Result<TrustedRoot, String> {
        let mut v: Value = serde_json::from_slice(PRODUCTION_JSON).unwrap();
        f(v.pointer_mut(ptr).unwrap());
        TrustedRoot::parse(&serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn a_validity_without_start_makes_the_root_malformed() {
        for (ptr, what) in [
            ("/tlogs/0/publicKey", "tlogs[0]"),
            ("/ctlogs/1/publicKey", "ctlogs[1]"),
            ("/certificateAuthorities/1", "certificateAuthorities[1]"),
            ("/timestampAuthorities/0", "timestampAuthorities[0]"),
        ] {
            let e = root_with(ptr, |o| {
                o["validFor"].as_object_mut().unwrap().remove("start");
            })
            .unwrap_err();
            assert_eq!(
                e,
                format!("{what}: `validFor` has no `start`: the bound is required")
            );
            let e = root_with(ptr, |o| {
                o.as_object_mut().unwrap().remove("validFor");
            })
            .unwrap_err();
            assert!(e.starts_with(&format!("{what}: no `validFor`")), "{e}");
        }
        let e = root_with("/tlogs/0/publicKey/validFor", |o| {
            o["end"] = "2020-01-01T00:00:00Z".into();
        })
        .unwrap_err();
        assert!(e.contains("ends before it starts"), "{e}");
    }

    #[test]
    fn a_root_file_that_does_not_read_is_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.json");
        std::fs::write(&path, br#"{"mediaType":"application/x"}"#).unwrap();
        let e = TrustedRoot::load(Some(&path)).unwrap_err();
        assert_eq!(e.exit_code(), ExitCode::Malformed);
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
        std::fs::write(&path, PRODUCTION_JSON).unwrap();
        assert!(TrustedRoot::load(Some(&path)).is_ok());
        assert!(TrustedRoot::load(None).is_ok());
    }

    #[test]
    fn unknown_media_type_refused() {
        let e = TrustedRoot::parse(br#"{"mediaType":"application/x"}"#).unwrap_err();
        assert!(e.contains("unknown trusted root media type"), "{e}");
    }
}
