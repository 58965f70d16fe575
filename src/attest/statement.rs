//! in-toto Statements: building one around an SBOM, reading one back, and predicate type families.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

use super::kind_of;
use crate::model::{IdentityRole, Subject, SubjectKind};

pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// Still written by cosign, BuildKit and witness; read, never written.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
pub const SPDX_DOCUMENT: &str = "https://spdx.dev/Document";
/// SPDX 3 (JSON-LD) is a family of its own: its readers are not SPDX 2's.
pub const SPDX3_DOCUMENT: &str = "https://spdx.dev/Document/v3";
/// `sbomkit audit`'s report as a predicate.
pub const POSTURE: &str = crate::posture::REPORT_TYPE;
pub const CYCLONEDX_BOM: &str = "https://cyclonedx.org/bom";

/// The SBOM formats a predicate can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomKind {
    Spdx,
    /// SPDX 3 JSON-LD.
    Spdx3,
    CycloneDx,
}

impl SbomKind {
    pub fn predicate_type(self) -> &'static str {
        match self {
            SbomKind::Spdx => SPDX_DOCUMENT,
            SbomKind::Spdx3 => SPDX3_DOCUMENT,
            SbomKind::CycloneDx => CYCLONEDX_BOM,
        }
    }

    /// The format's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            SbomKind::Spdx => "SPDX",
            SbomKind::Spdx3 => "SPDX 3",
            SbomKind::CycloneDx => "CycloneDX",
        }
    }

    /// What a JSON document is, from its own version field.
    pub fn of(doc: &Value) -> Option<SbomKind> {
        if doc.get("spdxVersion").and_then(Value::as_str).is_some() {
            Some(SbomKind::Spdx)
        } else if spdx3_version(doc).is_some() {
            Some(SbomKind::Spdx3)
        } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            Some(SbomKind::CycloneDx)
        } else {
            None
        }
    }
}

/// The SPDX version an SPDX 3 document declares through its JSON-LD context
/// (`https://spdx.org/rdf/3.0.1/spdx-context.jsonld` → `3.0.1`).
pub fn spdx3_version(doc: &Value) -> Option<&str> {
    doc.get("@context")?
        .as_str()?
        .strip_prefix("https://spdx.org/rdf/")?
        .strip_suffix("/spdx-context.jsonld")
        .filter(|v| v.starts_with("3."))
}

/// The Statement subjects for what was scanned: one per identity of an image (manifest digest first,
/// then the config digest), named by the repository without tag; a file by its basename and SHA-256.
/// A folder has no digest to name, so it cannot be a subject.
pub fn subjects_for(subject: &Subject, source_path: &Path) -> Result<Vec<Value>, String> {
    let name = match subject.kind {
        SubjectKind::Image => repository(&subject.name).to_string(),
        SubjectKind::File => source_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| subject.name.clone()),
        SubjectKind::Directory => {
            return Err(format!(
                "{}: a folder has no digest to name as the attestation's subject; attest an image or a file",
                source_path.display()
            ))
        }
    };
    let name = if name.is_empty() { "_".into() } else { name };
    let mut ids: Vec<_> = subject
        .identities
        .iter()
        // The image is the platform's manifest, not the index it was chosen from.
        .filter(|i| i.digest.starts_with("sha256:") && i.role != IdentityRole::Index)
        .collect();
    ids.sort_by_key(|i| match i.role {
        IdentityRole::Manifest => 0,
        IdentityRole::Config => 1,
        IdentityRole::File => 2,
        IdentityRole::Index => 3,
    });
    let out: Vec<Value> = ids
        .iter()
        .map(|i| json!({"name": name, "digest": {"sha256": i.hex().to_ascii_lowercase()}}))
        .collect();
    if out.is_empty() {
        return Err(format!(
            "{}: no SHA-256 identity was found for the subject",
            source_path.display()
        ));
    }
    Ok(out)
}

/// `alpine:3.10` → `alpine`, `ghcr.io/o/app@sha256:…` → `ghcr.io/o/app`.
fn repository(reference: &str) -> &str {
    let r = reference.trim();
    let r = r.split_once('@').map_or(r, |(n, _)| n);
    let last_slash = r.rfind('/').map_or(0, |i| i + 1);
    match r.get(last_slash..).and_then(|tail| tail.rfind(':')) {
        Some(i) => r.get(..last_slash + i).unwrap_or(r),
        None => r,
    }
}

/// The Statement v1 bytes (compact JSON) that get signed.
pub fn build(subjects: Vec<Value>, predicate_type: &str, predicate: Value) -> Vec<u8> {
    let st = json!({
        "_type": STATEMENT_V1,
        "subject": subjects,
        "predicateType": predicate_type,
        "predicate": predicate,
    });
    // A Value always serializes.
    serde_json::to_vec(&st).unwrap_or_default()
}

/// A subject as read back: its name and its digests by algorithm (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRef {
    pub name: Option<String>,
    pub digests: BTreeMap<String, String>,
}

/// A Statement as read from a verified payload.
#[derive(Debug, Clone)]
pub struct Statement {
    pub type_: String,
    pub subjects: Vec<SubjectRef>,
    pub predicate_type: String,
    pub predicate: Option<Value>,
}

/// Reads a Statement (v1 or v0.1) from a JSON value, naming what is wrong.
pub fn parse(v: &Value) -> Result<Statement, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("the payload must be a JSON object, found {}", kind_of(v)))?;
    let type_ = obj
        .get("_type")
        .and_then(Value::as_str)
        .ok_or("the statement has no string `_type`")?
        .to_string();
    if type_ != STATEMENT_V1 && type_ != STATEMENT_V01 {
        return Err(format!(
            "`_type` is `{type_}`, not an in-toto Statement ({STATEMENT_V1} or {STATEMENT_V01})"
        ));
    }
    let subject = obj
        .get("subject")
        .and_then(Value::as_array)
        .ok_or("the statement has no `subject` array")?;
    let mut subjects = Vec::with_capacity(subject.len().min(1024));
    for (i, s) in subject.iter().enumerate() {
        let digest = s
            .get("digest")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("subject {} has no `digest` object", i + 1))?;
        let mut digests = BTreeMap::new();
        for (alg, val) in digest {
            let val = val
                .as_str()
                .ok_or_else(|| format!("subject {} digest `{alg}` is not a string", i + 1))?;
            digests.insert(alg.to_ascii_lowercase(), val.to_ascii_lowercase());
        }
        subjects.push(SubjectRef {
            name: s.get("name").and_then(Value::as_str).map(str::to_string),
            digests,
        });
    }
    let predicate_type = obj
        .get("predicateType")
        .and_then(Value::as_str)
        .ok_or("the statement has no string `predicateType`")?
        .to_string();
    Ok(Statement {
        type_,
        subjects,
        predicate_type,
        predicate: obj.get("predicate").cloned(),
    })
}

/// `--type` values: cosign's short names, or a URI taken as is.
pub fn resolve_type(name: &str) -> String {
    match name {
        "spdx" | "spdxjson" | "spdx-json" => SPDX_DOCUMENT.into(),
        "spdx3" | "spdx3-json" => SPDX3_DOCUMENT.into(),
        "cyclonedx" | "cyclonedx-json" | "cdx" => CYCLONEDX_BOM.into(),
        "posture" => POSTURE.into(),
        "custom" => "https://cosign.sigstore.dev/attestation/v1".into(),
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1".into(),
        "slsaprovenance" | "slsaprovenance1" => "https://slsa.dev/provenance/v1".into(),
        other => other.to_string(),
    }
}

/// The `--type` values [`parse_type`] takes, for messages.
pub const TYPE_NAMES: &str =
    "spdx, spdxjson, cyclonedx, spdx3, posture, custom, vuln, slsaprovenance, slsaprovenance1, or a URI";

/// A `--type` value: one of cosign's short names or a URI; anything else (a typo) is refused rather
/// than taken as a URI that no predicate type would ever match.
pub fn parse_type(name: &str) -> Result<String, String> {
    let known = matches!(
        name,
        "spdx"
            | "spdxjson"
            | "spdx-json"
            | "spdx3"
            | "spdx3-json"
            | "cyclonedx"
            | "cyclonedx-json"
            | "cdx"
            | "posture"
            | "custom"
            | "vuln"
            | "slsaprovenance"
            | "slsaprovenance1"
    );
    if known || name.contains("://") {
        Ok(resolve_type(name))
    } else {
        Err(format!(
            "`{name}` is not a predicate type; give one of: {TYPE_NAMES}"
        ))
    }
}

/// `attest --type`: the SBOM kind a cosign type names. Only SBOM types are attested.
pub fn sbom_kind_of_type(name: &str) -> Result<SbomKind, String> {
    let uri = parse_type(name)?;
    [SbomKind::Spdx, SbomKind::Spdx3, SbomKind::CycloneDx]
        .into_iter()
        .find(|k| same_family(&uri, k.predicate_type()))
        .ok_or_else(|| {
            format!(
                "`{name}` is not an SBOM predicate type; sbomkit attests SBOMs: give spdx, \
                 spdxjson, spdx3, cyclonedx, {SPDX_DOCUMENT}, {SPDX3_DOCUMENT} or {CYCLONEDX_BOM}"
            )
        })
}

/// Whether two predicate types are the same family: equal once a trailing version segment
/// (`/v2.3`, `/v1.4`) is removed, so `https://spdx.dev/Document` ≡ `https://spdx.dev/Document/v2.3`.
/// SPDX 3 is the exception: `https://spdx.dev/Document/v3` and `.../v3.0.1` are one family, apart
/// from SPDX 2's.
pub fn same_family(a: &str, b: &str) -> bool {
    family(a) == family(b) && is_spdx3_type(a) == is_spdx3_type(b)
}

fn is_spdx3_type(uri: &str) -> bool {
    let u = uri.trim().trim_end_matches('/');
    family(u) == SPDX_DOCUMENT
        && u.get(SPDX_DOCUMENT.len()..)
            .and_then(|v| v.strip_prefix("/v3"))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

fn family(uri: &str) -> &str {
    let u = uri.trim().trim_end_matches('/');
    match u.rsplit_once('/') {
        Some((base, last))
            if base.contains("://")
                && !base.ends_with('/')
                && last.len() > 1
                && last.starts_with('v')
                && last[1..].starts_with(|c: char| c.is_ascii_digit())
                && last[1..]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c.is_ascii_lowercase()) =>
        {
            // Only strip when something beyond the host remains: `https://x/v1` is its own family.
            if base.split("://").nth(1).is_some_and(|p| p.contains('/')) {
                base
            } else {
                u
            }
        }
        _ => u,
    }
}

/// The SHA-256 digests (lower-case hex) an SBOM gives for what it describes: the root component of a
/// CycloneDX document, the packages an SPDX document DESCRIBES, the root elements of an SPDX 3
/// document's SBOM. Taken from hashes/checksums, digests in purls (`@sha256:…`) and sbomkit's own
/// `config-digest`/`manifest-digest` properties.
pub fn described_digests(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match SbomKind::of(doc) {
        Some(SbomKind::CycloneDx) => {
            if let Some(c) = doc.pointer("/metadata/component") {
                for h in c
                    .get("hashes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if h.get("alg").and_then(Value::as_str) == Some("SHA-256") {
                        add_hex(&mut out, h.get("content"));
                    }
                }
                add_embedded(&mut out, c.get("purl"));
                add_embedded(&mut out, c.get("bom-ref"));
                for p in c
                    .get("properties")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    add_embedded(&mut out, p.get("value"));
                }
            }
        }
        Some(SbomKind::Spdx) => {
            let mut described: BTreeSet<&str> = doc
                .get("documentDescribes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for r in doc
                .get("relationships")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(from), Some(kind), Some(to)) = (
                    r.get("spdxElementId").and_then(Value::as_str),
                    r.get("relationshipType").and_then(Value::as_str),
                    r.get("relatedSpdxElement").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if from == "SPDXRef-DOCUMENT" && kind == "DESCRIBES" {
                    described.insert(to);
                }
            }
            for p in doc
                .get("packages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(id) = p.get("SPDXID").and_then(Value::as_str) else {
                    continue;
                };
                if !described.contains(id) {
                    continue;
                }
                for c in p
                    .get("checksums")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if c.get("algorithm").and_then(Value::as_str) == Some("SHA256") {
                        add_hex(&mut out, c.get("checksumValue"));
                    }
                }
                for r in p
                    .get("externalRefs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    add_embedded(&mut out, r.get("referenceLocator"));
                }
                add_embedded(&mut out, p.get("comment"));
            }
        }
        Some(SbomKind::Spdx3) => {
            let graph: Vec<&Value> = doc
                .get("@graph")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            // The document's root is its SBOM, whose root is what the SBOM describes.
            let roots: BTreeSet<&str> = graph
                .iter()
                .filter(|n| {
                    matches!(
                        n.get("type").and_then(Value::as_str),
                        Some("SpdxDocument" | "software_Sbom")
                    )
                })
                .flat_map(|n| n.get("rootElement").and_then(Value::as_array))
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for n in graph {
                let is_root = n
                    .get("spdxId")
                    .and_then(Value::as_str)
                    .is_some_and(|id| roots.contains(id));
                if !is_root {
                    continue;
                }
                for h in n
                    .get("verifiedUsing")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if h.get("algorithm").and_then(Value::as_str) == Some("sha256") {
                        add_hex(&mut out, h.get("hashValue"));
                    }
                }
                for e in n
                    .get("externalIdentifier")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    add_embedded(&mut out, e.get("identifier"));
                }
                add_embedded(&mut out, n.get("software_packageUrl"));
                add_embedded(&mut out, n.get("comment"));
            }
        }
        None => {}
    }
    out
}

fn add_hex(out: &mut BTreeSet<String>, v: Option<&Value>) {
    if let Some(s) = v.and_then(Value::as_str) {
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.insert(s.to_ascii_lowercase());
        }
    }
}

/// Every `sha256:<64 hex>` (also `sha256%3A`) inside a string.
fn add_embedded(out: &mut BTreeSet<String>, v: Option<&Value>) {
    let Some(s) = v.and_then(Value::as_str) else {
        return;
    };
    let lower = s.to_ascii_lowercase();
    for marker in ["sha256:", "sha256%3a"] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            if let Some(hex) = rest.get(..64) {
                if hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    out.insert(hex.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_match_versioned_and_unversioned() {
        assert!(same_family(SPDX_DOCUMENT, "https://spdx.dev/Document/v2.3"));
        assert!(same_family("https://cyclonedx.org/bom/v1.4", CYCLONEDX_BOM));
        assert!(!same_family(SPDX_DOCUMENT, CYCLONEDX_BOM));
        assert!(!same_family(
            "https://cosign.sigstore.dev/attestation/v1",
            "https://cosign.sigstore.dev/attestation/vuln/v1"
        ));
        assert!(!same_family(
            "https://spdx.dev/Document",
            "https://spdx.dev/DocumentX"
        ));
        assert_eq!(resolve_type("spdxjson"), SPDX_DOCUMENT);
        assert_eq!(resolve_type("cyclonedx"), CYCLONEDX_BOM);
        assert_eq!(parse_type("spdxjson").unwrap(), SPDX_DOCUMENT);
        assert_eq!(
            parse_type("https://example.com/p/v1").unwrap(),
            "https://example.com/p/v1"
        );
        let e = parse_type("cylonedx").unwrap_err();
        assert!(e.contains("`cylonedx` is not a predicate type"), "{e}");
        assert_eq!(sbom_kind_of_type("spdx"), Ok(SbomKind::Spdx));
        assert_eq!(
            sbom_kind_of_type("https://cyclonedx.org/bom/v1.6"),
            Ok(SbomKind::CycloneDx)
        );
        assert!(sbom_kind_of_type("slsaprovenance").is_err());
    }

    /// SPDX 3 is JSON-LD, not a newer SPDX 2: its own family, versions inside it alike.
    #[test]
    fn spdx3_is_a_family_of_its_own() {
        assert!(same_family(
            SPDX3_DOCUMENT,
            "https://spdx.dev/Document/v3.0.1"
        ));
        assert!(same_family(
            "https://spdx.dev/Document/v3.1/",
            SPDX3_DOCUMENT
        ));
        for two in [SPDX_DOCUMENT, "https://spdx.dev/Document/v2.3"] {
            assert!(!same_family(SPDX3_DOCUMENT, two), "{two}");
            assert!(
                !same_family(two, "https://spdx.dev/Document/v3.0.1"),
                "{two}"
            );
        }
        assert!(!same_family(
            SPDX3_DOCUMENT,
            "https://spdx.dev/Document/v30"
        ));
        assert_eq!(parse_type("spdx3").unwrap(), SPDX3_DOCUMENT);
        assert_eq!(sbom_kind_of_type("spdx3"), Ok(SbomKind::Spdx3));
        assert_eq!(
            sbom_kind_of_type("https://spdx.dev/Document/v3.0.1"),
            Ok(SbomKind::Spdx3)
        );
        assert_eq!(sbom_kind_of_type("spdxjson"), Ok(SbomKind::Spdx));

        let doc = |ctx: &str| json!({"@context": ctx, "@graph": []});
        let v301 = doc("https://spdx.org/rdf/3.0.1/spdx-context.jsonld");
        assert_eq!(SbomKind::of(&v301), Some(SbomKind::Spdx3));
        assert_eq!(spdx3_version(&v301), Some("3.0.1"));
        assert_eq!(
            spdx3_version(&doc("https://spdx.org/rdf/3.0.0/spdx-context.jsonld")),
            Some("3.0.0")
        );
        for other in [
            "https://spdx.org/rdf/2.3/spdx-context.jsonld",
            "https://example.com/rdf/3.0.1/spdx-context.jsonld",
            "https://schema.org",
        ] {
            assert_eq!(SbomKind::of(&doc(other)), None, "{other}");
        }
    }

    #[test]
    fn repository_drops_tag_and_digest_but_keeps_registry_port() {
        assert_eq!(repository("alpine:3.10"), "alpine");
        assert_eq!(repository("localhost:5000/app:1"), "localhost:5000/app");
        assert_eq!(repository("ghcr.io/o/app@sha256:abcd"), "ghcr.io/o/app");
        assert_eq!(repository("plain"), "plain");
    }

    #[test]
    fn statements_of_both_versions_parse_and_others_do_not() {
        for t in [STATEMENT_V1, STATEMENT_V01] {
            let v = json!({"_type": t, "subject":[{"name":"x","digest":{"SHA256":"AB"}}], "predicateType":"p", "predicate":{}});
            let s = parse(&v).unwrap();
            assert_eq!(s.subjects[0].digests["sha256"], "ab");
        }
        let v = json!({"_type":"https://in-toto.io/Statement/v2","subject":[],"predicateType":"p"});
        assert!(parse(&v).unwrap_err().contains("not an in-toto Statement"));
        let v = json!({"_type":STATEMENT_V1,"subject":[{"name":"x"}],"predicateType":"p"});
        assert!(parse(&v).unwrap_err().contains("digest"));
    }

    #[test]
    fn described_digests_come_from_the_root_only() {
        let h = "a".repeat(64);
        let other = "b".repeat(64);
        let cdx = json!({"bomFormat":"CycloneDX","metadata":{"component":{"hashes":[{"alg":"SHA-256","content":h}]}},
            "components":[{"hashes":[{"alg":"SHA-256","content":other}]}]});
        assert_eq!(described_digests(&cdx), BTreeSet::from([h.clone()]));
        let spdx = json!({"spdxVersion":"SPDX-2.3","packages":[
            {"SPDXID":"SPDXRef-root","externalRefs":[{"referenceLocator":format!("pkg:oci/x@sha256%3A{h}")}]},
            {"SPDXID":"SPDXRef-other","checksums":[{"algorithm":"SHA256","checksumValue":other}]}],
            "relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-root"}]});
        assert_eq!(described_digests(&spdx), BTreeSet::from([h.clone()]));
        // SPDX 3: the document's root is the SBOM, whose root is what it describes.
        let spdx3 = json!({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [
            {"type": "SpdxDocument", "spdxId": "urn:d", "rootElement": ["urn:sbom"]},
            {"type": "software_Sbom", "spdxId": "urn:sbom", "rootElement": ["urn:root"]},
            {"type": "software_Package", "spdxId": "urn:root",
             "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": h},
                               {"type": "Hash", "algorithm": "sha512", "hashValue": "c".repeat(64)}],
             "software_packageUrl": format!("pkg:oci/x@sha256:{}", "d".repeat(64))},
            {"type": "software_Package", "spdxId": "urn:other",
             "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": other}]}]});
        assert_eq!(
            described_digests(&spdx3),
            BTreeSet::from([h, "d".repeat(64)])
        );
    }
}
