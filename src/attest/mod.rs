//! Signed in-toto attestations: the Statement that wraps an SBOM ([`statement`]), the DSSE envelope
//! that signs it ([`dsse`]), key files ([`keys`]), sigstore bundles ([`bundle`]), the whole of
//! `attest` ([`flow`]) and the auditor's check of all of it ([`verify`], [`sigstore`]) with its
//! report ([`report`]); keyless signing through Fulcio and Rekor ([`keyless`]).
//!
//! Everything read here is untrusted: JSON is parsed with a size limit and duplicate keys refused
//! ([`parse_json`]), nothing inside an envelope chooses a key or a URL, and no network is used
//! except by keyless signing, towards the services named on the command line.

pub mod bundle;
pub mod discovered;
pub mod dsse;
pub mod flow;
pub mod keyless;
pub mod keys;
pub mod report;
pub mod schema;
pub mod sigstore;
pub mod statement;
pub mod verify;

pub use report::ReportFormat;

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, ExitCode};
use crate::model::{Identity, IdentityRole, Subject};
use crate::source::{self, NoProgress, SourceOptions, SourceSpec};

/// Largest attestation, predicate or key file read (64 MiB): far above any real SBOM attestation
/// (BuildKit caps them at 40 MiB), small enough that a hostile file cannot exhaust memory.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// An error with the exit code `verify` and `attest` report for it.
pub fn fail(code: ExitCode, message: impl Into<String>) -> Error {
    Error::Attest {
        code,
        message: message.into(),
    }
}

/// Reads a whole file, refusing anything larger than [`MAX_INPUT_BYTES`].
pub fn read_limited(path: &Path) -> Result<Vec<u8>, Error> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut buf = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(io_err)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(fail(
            ExitCode::Malformed,
            format!(
                "{}: larger than the limit of {} MiB",
                path.display(),
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    Ok(buf)
}

/// Opens a source for its identities only (the digests an attestation's subjects name): no file
/// content is kept, no cataloger runs.
pub fn identities_of(spec: &SourceSpec, opts: &SourceOptions) -> Result<Subject, Error> {
    Ok(source::open(spec, opts, &source::Interest::NOTHING, &NoProgress)?.subject)
}

/// The digest of the image index a multi-platform source is (an OCI layout or archive): the
/// subject of the attestation `attest --platform all` makes about the index. Every platform is
/// read, as that run read them; a source that is one image is an error.
pub fn index_identity(spec: &SourceSpec, opts: &SourceOptions) -> Result<Identity, Error> {
    let all = SourceOptions {
        platform: Some("all".into()),
        ..opts.clone()
    };
    let picked = source::open_each(spec, &all, &source::Interest::NOTHING, &NoProgress)?;
    match picked.index {
        Some(index) => Ok(Identity {
            role: IdentityRole::Index,
            digest: index.digest,
        }),
        None => Err(source::SourceError::invalid(
            &spec.path,
            "--platform index: this is one image, not an image index",
        )
        .into()),
    }
}

/// Parses JSON, refusing duplicate object keys at any depth: two parsers that keep different
/// duplicates would otherwise see different documents behind one signature.
pub fn parse_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = StrictValue::deserialize(&mut de)?;
    de.end()?;
    Ok(v.0)
}

/// A `Value` whose deserializer fails on a repeated key.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// A short description of a JSON value's type, for error messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(parse_json(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_ok());
        let e = parse_json(br#"{"a":1,"a":2}"#).unwrap_err().to_string();
        assert!(e.contains("duplicate key `a`"), "{e}");
        let e = parse_json(br#"{"x":[{"p":"q","p":"r"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate key `p`"), "{e}");
    }

    #[test]
    fn trailing_bytes_and_deep_nesting_are_errors_not_panics() {
        assert!(parse_json(b"{} {}").is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_json(deep.as_bytes()).is_err());
    }
}
