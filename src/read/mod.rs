//! Readers of SBOMs written by any tool (SPDX 2.2/2.3 JSON, SPDX 3.0.1 JSON-LD, CycloneDX 1.4–1.7
//! JSON) into the format-neutral [`Sbom`], so that `convert` reuses the writers and two SBOMs can
//! be compared. What the model does not hold but the profiles of `validate` look at (who wrote the
//! document, with which tool, contact addresses, `bsi:` facts) is kept beside it in [`DocInfo`] and
//! [`ComponentFacts`].
//!
//! The bytes are hostile: the size is checked before parsing, nesting is bounded, duplicate keys
//! (which serde_json would silently resolve to the last) are refused, and no input panics.

pub mod cyclonedx;
pub mod json;
pub mod profile;
pub mod spdx2;
pub mod spdx3;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::Path;

use serde_json::Value;

use crate::model::{PackageKind, Purpose, Sbom};

/// Largest document read: the same bound as a manifest or config read from an image.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;
/// Deepest nesting of arrays and objects: real SBOMs stay under 20 (CycloneDX nests components).
pub const MAX_DEPTH: usize = 64;

/// Which format and version a document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocFormat {
    /// SPDX 2.x JSON, with its `spdxVersion` (`SPDX-2.3`).
    Spdx2(String),
    /// SPDX 3 JSON-LD (`3.0.1`, from the `@context`).
    Spdx3(String),
    /// CycloneDX JSON, with its `specVersion` (`1.6`).
    CycloneDx(String),
}

impl DocFormat {
    /// `SPDX 2.3`, `SPDX 3.0.1`, `CycloneDX 1.6`.
    pub fn label(&self) -> String {
        match self {
            DocFormat::Spdx2(v) => format!("SPDX {}", v.trim_start_matches("SPDX-")),
            DocFormat::Spdx3(v) => format!("SPDX {v}"),
            DocFormat::CycloneDx(v) => format!("CycloneDX {v}"),
        }
    }
}

/// A tool named as the document's creator.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tool {
    pub name: String,
    pub version: Option<String>,
}

/// A person or organization named as the document's author, and how to reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Author {
    pub name: String,
    pub email: Option<String>,
    pub url: Option<String>,
}

/// What the document says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocInfo {
    /// The document's name or serial number, for messages.
    pub name: Option<String>,
    /// A URI naming the document (`documentNamespace`, `serialNumber`, the SPDX 3 `Sbom`'s id).
    pub uri: Option<String>,
    /// People and organizations that wrote it (SPDX `Person:`/`Organization:` creators, CycloneDX
    /// `metadata.authors`, `metadata.manufacturer`/`manufacture`, SPDX 3 `createdBy`).
    pub authors: Vec<Author>,
    /// Tools that wrote it.
    pub tools: Vec<Tool>,
    /// The creation time as written.
    pub timestamp: Option<String>,
    /// Whether the creation time is in the form the format requires.
    pub timestamp_well_formed: bool,
    /// Generation context: CycloneDX `metadata.lifecycles` phases, SPDX 3 `software_sbomType`.
    pub lifecycles: Vec<String>,
    /// Whether the document states how complete its dependency relationships are (CycloneDX
    /// `compositions`, SPDX 3 relationship `completeness`, SPDX 2 relationships to `NONE` or
    /// `NOASSERTION`).
    pub completeness_stated: bool,
    /// Whether the document names something it knows it does not describe (an `incomplete` or
    /// `unknown` composition, a `NOASSERTION` relationship, an SPDX 3 `incomplete` relationship).
    pub unknowns_stated: bool,
    /// Component ids reachable from the described elements through composition and dependency
    /// relationships (SPDX only; `None` where every component counts).
    pub reachable: Option<BTreeSet<String>>,
    /// Identifier problems the format's rules forbid (malformed or duplicate ids, relationships to
    /// elements that are not in the document).
    pub identifier_errors: Vec<String>,
}

/// Facts about one component that the model does not hold, keyed by package id in [`Document`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentFacts {
    /// The component's creator or supplier has an email or URL written down.
    pub creator_contact: bool,
    /// A SHA-512 of the deployable form: a component hash, or one on its distribution reference.
    pub deployable_sha512: bool,
    /// Other identifiers than purl and CPE (SWID, OmniBOR, SWHID, SPDX 3 external identifiers).
    pub other_identifiers: usize,
    /// The component is the target of at least one dependency or containment relationship, or the
    /// origin of one.
    pub in_relationship: bool,
}

/// A document read: its format, the raw JSON (for schema checks), the model and the rest.
#[derive(Debug, Clone)]
pub struct Document {
    pub format: DocFormat,
    pub json: Value,
    pub sbom: Sbom,
    pub info: DocInfo,
    pub facts: BTreeMap<String, ComponentFacts>,
    /// Kinds of information the reader saw and the model cannot hold: one line each, for `convert`.
    pub dropped: BTreeSet<String>,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {size} bytes, over the limit of {limit} bytes for an SBOM")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: not JSON: {message}")]
    NotJson { path: String, message: String },
    #[error("{path}: not an SBOM: {message}")]
    NotSbom { path: String, message: String },
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
}

/// Reads the file at `path`: refused by size before any byte is parsed.
pub fn read_file(path: &Path) -> Result<Document, ReadError> {
    let label = path.display().to_string();
    let bytes = read_bounded(path)?;
    parse(&bytes, &label)
}

/// The bytes of `path`, refused when over [`MAX_DOCUMENT_BYTES`] (checked on the metadata first,
/// then while reading, for a file that grows or a pipe).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    let label = path.display().to_string();
    let io = |e: std::io::Error| ReadError::Unreadable {
        path: label.clone(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(ReadError::Unreadable {
            path: label,
            message: "a folder, not a file".into(),
        });
    }
    if meta.len() > MAX_DOCUMENT_BYTES {
        return Err(ReadError::TooLarge {
            path: label,
            size: meta.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(ReadError::TooLarge {
            path: label,
            size: bytes.len() as u64,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(bytes)
}

/// Parses a document from bytes; `path` names it in errors.
pub fn parse(bytes: &[u8], path: &str) -> Result<Document, ReadError> {
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(ReadError::TooLarge {
            path: path.into(),
            size: bytes.len() as u64,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let json = json::parse_strict(bytes, MAX_DEPTH).map_err(|message| ReadError::NotJson {
        path: path.into(),
        message,
    })?;
    let not_sbom = |message: String| ReadError::NotSbom {
        path: path.into(),
        message,
    };
    let format = detect(&json).map_err(not_sbom)?;
    let mut doc = match &format {
        DocFormat::Spdx2(_) => spdx2::read(&json),
        DocFormat::Spdx3(_) => spdx3::read(&json),
        DocFormat::CycloneDx(_) => cyclonedx::read(&json),
    }
    .map_err(not_sbom)?;
    doc.sbom.normalize();
    Ok(Document {
        format,
        json,
        sbom: doc.sbom,
        info: doc.info,
        facts: doc.facts,
        dropped: doc.dropped,
    })
}

/// What a format reader returns; [`parse`] adds the format and the JSON.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub sbom: Sbom,
    pub info: DocInfo,
    pub facts: BTreeMap<String, ComponentFacts>,
    pub dropped: BTreeSet<String>,
}

/// The SPDX 3 versions whose JSON-LD context this reader knows.
const SPDX3_CONTEXTS: &[(&str, &str)] =
    &[("https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "3.0.1")];

/// Which format a JSON value is, from the fields each format requires.
pub fn detect(json: &Value) -> Result<DocFormat, String> {
    let Some(obj) = json.as_object() else {
        return Err(format!(
            "the document is {}, not an object",
            json::kind_of(json)
        ));
    };
    if let Some(v) = obj.get("spdxVersion") {
        return match v.as_str() {
            Some(s) if s.starts_with("SPDX-2.") => Ok(DocFormat::Spdx2(s.to_string())),
            Some(s) => Err(format!(
                "spdxVersion {s} is not read (SPDX-2.2 and SPDX-2.3 are)"
            )),
            None => Err("spdxVersion is not a string".into()),
        };
    }
    if obj.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return match obj.get("specVersion").and_then(Value::as_str) {
            Some(v @ ("1.4" | "1.5" | "1.6" | "1.7")) => Ok(DocFormat::CycloneDx(v.to_string())),
            Some(v) => Err(format!("CycloneDX {v} is not read (1.4 to 1.7 are)")),
            None => Err("a CycloneDX document without a specVersion string".into()),
        };
    }
    if let Some(ctx) = obj.get("@context") {
        let contexts: Vec<&str> = match ctx {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for c in &contexts {
            if let Some((_, v)) = SPDX3_CONTEXTS.iter().find(|(url, _)| url == c) {
                return Ok(DocFormat::Spdx3(v.to_string()));
            }
        }
        return Err(format!(
            "a JSON-LD document whose @context ({}) is not SPDX 3.0.1's",
            contexts.join(", ")
        ));
    }
    Err("neither SPDX (spdxVersion), SPDX 3 (@context) nor CycloneDX (bomFormat)".into())
}

/// The package kind of a package read from a document: named after its purl type where it is
/// one sbomkit knows, so that tables and ids read as they do for a scan.
pub fn kind_for(purl_type: Option<&str>, purpose: Purpose) -> PackageKind {
    const NAMED: &[&str] = &[
        "apk", "deb", "rpm", "npm", "pypi", "maven", "golang", "cargo", "gem", "composer", "nuget",
        "oci", "docker", "github", "generic", "alpm", "conda", "hex", "swift",
    ];
    let name = purl_type
        .and_then(|t| NAMED.iter().find(|n| **n == t).copied())
        .unwrap_or(match purpose {
            Purpose::OperatingSystem => "os",
            Purpose::Application => "application",
            Purpose::Library => "package",
        });
    PackageKind {
        name,
        purl_type: purl_type.and_then(|t| NAMED.iter().find(|n| **n == t).copied()),
        purpose,
        technique: None,
        purl_is_evidence: false,
        // A document does not say what form a package ships in.
        file: None,
    }
}

/// The document time for the model: seconds since 1970. Go's zero time (`0001-01-01T00:00:00Z`, what
/// apko writes when it has none) and anything before 1970 mean "not known": 0, as a scan says it.
pub(crate) fn created(t: Option<&str>) -> i64 {
    t.and_then(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    })
    .map(|t| t.unix_timestamp())
    .filter(|t| *t >= 0)
    .unwrap_or(0)
}

/// `Some(s)` for a non-blank string that is not an SPDX `NOASSERTION`/`NONE`.
pub(crate) fn stated(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "NOASSERTION" && *s != "NONE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_required_fields() {
        let j = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(
            detect(&j(r#"{"spdxVersion":"SPDX-2.2"}"#)),
            Ok(DocFormat::Spdx2("SPDX-2.2".into()))
        );
        assert_eq!(
            detect(&j(r#"{"bomFormat":"CycloneDX","specVersion":"1.4"}"#)),
            Ok(DocFormat::CycloneDx("1.4".into()))
        );
        assert_eq!(
            detect(&j(
                r#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}"#
            )),
            Ok(DocFormat::Spdx3("3.0.1".into()))
        );
        for (doc, says) in [
            (
                r#"{"bomFormat":"CycloneDX","specVersion":"1.3"}"#,
                "1.4 to 1.7",
            ),
            (r#"{"spdxVersion":"SPDX-1.2"}"#, "SPDX-2.2"),
            (r#"{"schemaVersion":2,"manifests":[]}"#, "neither"),
            (r#"[1,2]"#, "an array"),
            (r#"{"@context":"https://schema.org"}"#, "not SPDX 3.0.1"),
        ] {
            let e = detect(&j(doc)).unwrap_err();
            assert!(e.contains(says), "{doc}: {e}");
        }
    }

    #[test]
    fn times_before_1970_are_unknown() {
        assert_eq!(created(Some("0001-01-01T00:00:00Z")), 0);
        assert_eq!(created(Some("2023-11-14T22:13:20Z")), 1_700_000_000);
        assert_eq!(created(Some("yesterday")), 0);
        assert_eq!(created(None), 0);
    }

    #[test]
    fn a_document_over_the_limit_is_refused_before_parsing() {
        let big = vec![b' '; MAX_DOCUMENT_BYTES as usize + 1];
        assert!(matches!(
            parse(&big, "big.json"),
            Err(ReadError::TooLarge { .. })
        ));
    }
}
