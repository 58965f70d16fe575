//! Schema validation of SBOM predicates against the official schemas vendored in `schemas/`, built
//! into the binary. A predicate is checked against the schema of the format and version it declares
//! itself (`spdxVersion`, `bomFormat` + `specVersion`, an SPDX 3 JSON-LD `@context`), never a
//! default one; a version without an
//! embedded schema is a failure naming it. The CycloneDX schemas' references to `spdx.schema.json`,
//! `jsf-0.82.schema.json` and `cryptography-defs.schema.json` are answered from the embedded copies;
//! nothing is fetched.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

use super::statement::{
    same_family, spdx3_version, SbomKind, CYCLONEDX_BOM, SPDX3_DOCUMENT, SPDX_DOCUMENT,
};

const SPDX_23: &str = include_str!("../../schemas/spdx/spdx-schema-v2.3.json");
/// The 2.3 schema with the spec's 2.3.1 errata (`PACKAGE_MANAGER` as SPDX 2.2 spelled it,
/// `documentNamespace` required): what `validate` checks SPDX 2 documents from other tools against.
const SPDX_23_ERRATA: &str = include_str!("../../schemas/spdx/spdx-schema-v2.3-support-2.3.1.json");
const SPDX_301: &str = include_str!("../../schemas/spdx3/spdx-json-schema.json");
const POSTURE_V1: &str = include_str!("../../schemas/sbomkit/posture-v1.schema.json");
/// As cyclonedx-python-lib ships it (see schemas/PROVENANCE.md): `validate` checks 1.4 against it.
const CDX_14: &str = include_str!("../../schemas/cyclonedx/bom-1.4.schema.json");
const CDX_15: &str = include_str!("../../schemas/cyclonedx/bom-1.5.schema.json");
const CDX_16: &str = include_str!("../../schemas/cyclonedx/bom-1.6.schema.json");
const CDX_17: &str = include_str!("../../schemas/cyclonedx/bom-1.7.schema.json");
const CDX_CRYPTO: &str = include_str!("../../schemas/cyclonedx/cryptography-defs.schema.json");
const CDX_SPDX: &str = include_str!("../../schemas/cyclonedx/spdx.schema.json");
const CDX_JSF: &str = include_str!("../../schemas/cyclonedx/jsf-0.82.schema.json");

/// The outcome of validating a predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    Valid(String),
    Invalid(String),
    /// Not a JSON document a schema applies to (a text predicate).
    NotChecked(String),
}

struct Embedded(HashMap<String, Value>);

impl Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = uri.as_str().trim_end_matches('#');
        self.0
            .get(key)
            .cloned()
            .ok_or_else(|| format!("schema {key} is not embedded (no network is used)").into())
    }
}

fn build(text: &str, draft: Draft) -> Result<Validator, String> {
    let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    compile(&schema, draft)
}

/// A validator for `schema` with formats asserted and the CycloneDX schemas' references
/// (`spdx.schema.json`, `jsf-0.82.schema.json`, `cryptography-defs.schema.json`) answered from the
/// embedded copies: nothing is fetched.
pub fn compile(schema: &Value, draft: Draft) -> Result<Validator, String> {
    let mut local = HashMap::new();
    for (file, body) in [
        ("spdx.schema.json", CDX_SPDX),
        ("jsf-0.82.schema.json", CDX_JSF),
        ("cryptography-defs.schema.json", CDX_CRYPTO),
        // The 1.4 schema's names for them: cyclonedx-python-lib's copies are these bytes.
        ("spdx.SNAPSHOT.schema.json", CDX_SPDX),
        ("jsf-0.82.SNAPSHOT.schema.json", CDX_JSF),
    ] {
        let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        local.insert(format!("http://cyclonedx.org/schema/{file}"), v);
    }
    jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .with_format("idn-email", idn_email)
        .with_retriever(Embedded(local))
        .build(schema)
        .map_err(|e| e.to_string())
}

/// JSON Schema's `idn-email` (RFC 6531 addresses). `jsonschema` checks that format only with its
/// `idna` feature, off here: without this, any string passed (a URL in an npm author's email).
pub fn idn_email(s: &str) -> bool {
    email_address::EmailAddress::is_valid(s)
}

type Cell = OnceLock<Result<Validator, String>>;

fn validator(name: &str) -> Option<&'static Result<Validator, String>> {
    static SPDX: Cell = OnceLock::new();
    static SPDX3: Cell = OnceLock::new();
    static SPDX_ERRATA: Cell = OnceLock::new();
    static V14: Cell = OnceLock::new();
    static V15: Cell = OnceLock::new();
    static V16: Cell = OnceLock::new();
    static V17: Cell = OnceLock::new();
    static POSTURE: Cell = OnceLock::new();
    Some(match name {
        "posture-v1" => POSTURE.get_or_init(|| build(POSTURE_V1, Draft::Draft202012)),
        "SPDX-2.3" => SPDX.get_or_init(|| build(SPDX_23, Draft::Draft7)),
        "SPDX-2.3.1" => SPDX_ERRATA.get_or_init(|| build(SPDX_23_ERRATA, Draft::Draft201909)),
        "SPDX-3.0.1" => SPDX3.get_or_init(|| build(SPDX_301, Draft::Draft202012)),
        // Not `1.4`: `verify` keeps saying 1.4 predicates are not checked.
        "CycloneDX-1.4" => V14.get_or_init(|| build(CDX_14, Draft::Draft7)),
        "1.5" => V15.get_or_init(|| build(CDX_15, Draft::Draft7)),
        "1.6" => V16.get_or_init(|| build(CDX_16, Draft::Draft7)),
        "1.7" => V17.get_or_init(|| build(CDX_17, Draft::Draft7)),
        _ => return None,
    })
}

/// The versions with an embedded schema, as the documents spell them.
pub const SPDX_VERSIONS: &[&str] = &["SPDX-2.3"];
pub const SPDX3_VERSIONS: &[&str] = &["SPDX-3.0.1"];
pub const CYCLONEDX_VERSIONS: &[&str] = &["1.5", "1.6", "1.7"];

/// Published versions before the embedded schemas (Trivy still attests CycloneDX 1.4).
const OLDER_VERSIONS: &[&str] = &[
    "1.0",
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "SPDX-2.0",
    "SPDX-2.1",
    "SPDX-2.2",
    "SPDX-3.0.0",
];

fn run(which: &str, label: &str, supported: &[&str], doc: &Value) -> Validation {
    let Some(v) = validator(which) else {
        // A published version older than the embedded schemas is said to be unchecked, as the
        // signature may still be good; anything else cannot be a document of the format.
        if OLDER_VERSIONS.contains(&which) {
            return Validation::NotChecked(format!(
                "{label} has no schema here (built in: {}): not checked",
                supported.join(", ")
            ));
        }
        return Validation::Invalid(format!(
            "{label} has no schema here (checked: {})",
            supported.join(", ")
        ));
    };
    let v = match v {
        Ok(v) => v,
        Err(e) => {
            return Validation::NotChecked(format!("the {label} schema did not compile: {e}"))
        }
    };
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("at {}: {e}", if at.is_empty() { "/" } else { at.as_str() })
        })
        .collect();
    if errors.is_empty() {
        Validation::Valid(format!("valid {label}"))
    } else {
        Validation::Invalid(format!("not valid {label}: {}", errors.join("; ")))
    }
}

/// The errors of `doc` against the embedded schema named `which` (`SPDX-2.3`, `SPDX-3.0.1`,
/// `CycloneDX-1.4`, `1.5`, `1.6`, `1.7`), at most `max`, each with its JSON pointer; `Err` when no such schema is embedded
/// or it did not compile.
pub fn errors_against(
    which: &str,
    doc: &Value,
    max: usize,
) -> Result<Vec<(String, String)>, String> {
    let v = validator(which)
        .ok_or_else(|| format!("no schema {which} is built in"))?
        .as_ref()
        .map_err(|e| format!("the {which} schema did not compile: {e}"))?;
    Ok(v.iter_errors(doc)
        .take(max)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect())
}

/// Validates an SPDX JSON document against the schema of its `spdxVersion`.
pub fn validate_spdx(doc: &Value) -> Validation {
    match doc.get("spdxVersion") {
        Some(Value::String(v)) => run(v, v, SPDX_VERSIONS, doc),
        Some(other) => {
            Validation::Invalid(format!("the SPDX predicate's `spdxVersion` is {other}"))
        }
        None => Validation::Invalid("the SPDX predicate declares no `spdxVersion`".into()),
    }
}

/// Validates an SPDX 3 JSON-LD document against the schema of the version its `@context` names.
pub fn validate_spdx3(doc: &Value) -> Validation {
    match spdx3_version(doc) {
        Some(v) => run(
            &format!("SPDX-{v}"),
            &format!("SPDX {v}"),
            SPDX3_VERSIONS,
            doc,
        ),
        None => Validation::Invalid(
            "the SPDX 3 predicate's `@context` is not https://spdx.org/rdf/3.x/spdx-context.jsonld"
                .into(),
        ),
    }
}

/// Validates an `audit` report (the `https://sbomkit.dev/posture/v1` predicate).
pub fn validate_posture(doc: &Value) -> Validation {
    match doc.get("reportType").and_then(Value::as_str) {
        Some(crate::posture::REPORT_TYPE) => {
            run("posture-v1", "posture report v1", &["posture-v1"], doc)
        }
        _ => Validation::Invalid(format!(
            "the predicate is not a posture report (`reportType` is not {})",
            crate::posture::REPORT_TYPE
        )),
    }
}

/// Validates a CycloneDX JSON document against the schema of its `specVersion`.
pub fn validate_cyclonedx(doc: &Value) -> Validation {
    if doc.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Validation::Invalid(
            "the CycloneDX predicate does not declare `bomFormat: CycloneDX`".into(),
        );
    }
    match doc.get("specVersion") {
        Some(Value::String(v)) => run(v, &format!("CycloneDX {v}"), CYCLONEDX_VERSIONS, doc),
        Some(other) => Validation::Invalid(format!(
            "the CycloneDX predicate's `specVersion` is {other}"
        )),
        None => Validation::Invalid("the CycloneDX predicate declares no `specVersion`".into()),
    }
}

/// Validates a predicate of type `predicate_type` (an SPDX or CycloneDX family URI) by what the
/// document declares: its format must be the type's, a version in the type (`/v2.3`, `/v1.5`) must
/// be the document's, and the document's own version picks the schema.
pub fn validate_predicate(predicate_type: &str, doc: &Value) -> Validation {
    let declared = SbomKind::of(doc);
    let wanted = if same_family(predicate_type, SPDX_DOCUMENT) {
        SbomKind::Spdx
    } else if same_family(predicate_type, SPDX3_DOCUMENT) {
        SbomKind::Spdx3
    } else {
        SbomKind::CycloneDx
    };
    match declared {
        None => {
            return Validation::Invalid(format!(
                "the predicate declares no format (neither `spdxVersion`, an SPDX 3 `@context` nor \
                 `bomFormat`), but its type is {predicate_type}"
            ))
        }
        Some(k) if k != wanted => {
            return Validation::Invalid(format!(
                "the predicate is {} document, but its type is {predicate_type}",
                label(k)
            ))
        }
        Some(_) => {}
    }
    let (field, version) = match wanted {
        SbomKind::Spdx => (
            "spdxVersion",
            doc.get("spdxVersion").and_then(Value::as_str),
        ),
        SbomKind::Spdx3 => ("@context", spdx3_version(doc)),
        SbomKind::CycloneDx => (
            "specVersion",
            doc.get("specVersion").and_then(Value::as_str),
        ),
    };
    let version = version.unwrap_or("");
    if let Some(typed) = type_version(predicate_type) {
        let own = version.strip_prefix("SPDX-").unwrap_or(version);
        // `/v3` names every 3.x document.
        if typed != own && !own.starts_with(&format!("{typed}.")) {
            return Validation::Invalid(format!(
                "the predicate type {predicate_type} names version {typed}, but the document's \
                 `{field}` is {version:?}"
            ));
        }
    }
    match wanted {
        SbomKind::Spdx => validate_spdx(doc),
        SbomKind::Spdx3 => validate_spdx3(doc),
        SbomKind::CycloneDx => validate_cyclonedx(doc),
    }
}

fn label(k: SbomKind) -> &'static str {
    match k {
        SbomKind::Spdx => "an SPDX",
        SbomKind::Spdx3 => "an SPDX 3",
        SbomKind::CycloneDx => "a CycloneDX",
    }
}

/// `2.3` of `https://spdx.dev/Document/v2.3`; none for the unversioned family URI.
fn type_version(predicate_type: &str) -> Option<&str> {
    let t = predicate_type.trim().trim_end_matches('/');
    let (_, last) = t.rsplit_once('/')?;
    let v = last.strip_prefix('v')?;
    (v.starts_with(|c: char| c.is_ascii_digit()) && t != family_of(t)).then_some(v)
}

fn family_of(t: &str) -> &str {
    for f in [SPDX_DOCUMENT, SPDX3_DOCUMENT, CYCLONEDX_BOM] {
        if same_family(t, f) {
            return f;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile_and_judge() {
        let spdx = serde_json::json!({"spdxVersion":"SPDX-2.3"});
        assert!(matches!(validate_spdx(&spdx), Validation::Invalid(_)));
        let cdx = serde_json::json!({"bomFormat":"CycloneDX","specVersion":"1.6","version":1});
        assert!(
            matches!(validate_cyclonedx(&cdx), Validation::Valid(_)),
            "{:?}",
            validate_cyclonedx(&cdx)
        );
        let cdx = serde_json::json!({"bomFormat":"CycloneDX","specVersion":"1.6","version":"one"});
        assert!(matches!(validate_cyclonedx(&cdx), Validation::Invalid(_)));
        let old = serde_json::json!({"bomFormat":"CycloneDX","specVersion":"1.2"});
        assert_eq!(
            validate_cyclonedx(&old),
            Validation::NotChecked(
                "CycloneDX 1.2 has no schema here (built in: 1.5, 1.6, 1.7): not checked".into()
            )
        );
        let unknown = serde_json::json!({"bomFormat":"CycloneDX","specVersion":"9.9"});
        assert_eq!(
            validate_cyclonedx(&unknown),
            Validation::Invalid("CycloneDX 9.9 has no schema here (checked: 1.5, 1.6, 1.7)".into())
        );
    }

    /// The CycloneDX project's own 1.6 conformance vectors, each judged as the schema of the
    /// version it declares.
    #[test]
    fn conformance_vectors_are_judged_by_their_declared_version() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas/cyclonedx/testvectors/1.6");
        let mut seen = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let got = validate_predicate(CYCLONEDX_BOM, &doc);
            if name.starts_with("valid-") {
                assert_eq!(
                    got,
                    Validation::Valid("valid CycloneDX 1.6".into()),
                    "{name}"
                );
            } else {
                assert!(matches!(got, Validation::Invalid(_)), "{name}: {got:?}");
            }
            seen += 1;
        }
        assert!(seen >= 10, "{seen}");
    }

    #[test]
    fn a_predicate_is_checked_as_what_it_declares() {
        let mut doc = serde_json::json!({"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
            "metadata":{"authors":[{"name":"A","email":"http://x.org"}]}});
        // The 1.5 schema, not 1.6's: both reject an email that is a URL.
        let Validation::Invalid(why) = validate_predicate(CYCLONEDX_BOM, &doc) else {
            panic!("a URL is not an idn-email")
        };
        assert!(
            why.starts_with("not valid CycloneDX 1.5: at /metadata/authors/0/email"),
            "{why}"
        );
        doc["metadata"]["authors"][0]["email"] = "a@x.org".into();
        assert_eq!(
            validate_predicate(CYCLONEDX_BOM, &doc),
            Validation::Valid("valid CycloneDX 1.5".into())
        );
        // 1.7 has its own schema (with its cryptography definitions).
        doc["specVersion"] = "1.7".into();
        assert_eq!(
            validate_predicate("https://cyclonedx.org/bom/v1.7", &doc),
            Validation::Valid("valid CycloneDX 1.7".into())
        );
        // A version in the predicate type must be the document's.
        let Validation::Invalid(why) = validate_predicate("https://cyclonedx.org/bom/v1.5", &doc)
        else {
            panic!("1.5 was declared by the type")
        };
        assert!(
            why.contains("names version 1.5") && why.contains("\"1.7\""),
            "{why}"
        );
        // An older published version is not checked; an unknown or undeclared one is a failure.
        doc["specVersion"] = "1.4".into();
        let Validation::NotChecked(why) = validate_predicate(CYCLONEDX_BOM, &doc) else {
            panic!("1.4 has no schema")
        };
        assert!(why.contains("CycloneDX 1.4"), "{why}");
        doc["specVersion"] = "2.0".into();
        let Validation::Invalid(why) = validate_predicate(CYCLONEDX_BOM, &doc) else {
            panic!("2.0 is no CycloneDX version")
        };
        assert!(why.contains("CycloneDX 2.0"), "{why}");
        doc.as_object_mut().unwrap().remove("specVersion");
        assert_eq!(
            validate_predicate(CYCLONEDX_BOM, &doc),
            Validation::Invalid("the CycloneDX predicate declares no `specVersion`".into())
        );
        // The format is the document's, and must be the type's.
        let spdx = serde_json::json!({"spdxVersion":"SPDX-2.2"});
        let Validation::Invalid(why) = validate_predicate(CYCLONEDX_BOM, &spdx) else {
            panic!("SPDX under a CycloneDX type")
        };
        assert!(why.contains("is an SPDX document"), "{why}");
        let Validation::NotChecked(why) = validate_predicate(SPDX_DOCUMENT, &spdx) else {
            panic!("SPDX 2.2 has no schema")
        };
        assert!(why.contains("SPDX-2.2 has no schema"), "{why}");
        let Validation::Invalid(why) = validate_predicate("https://spdx.dev/Document/v2.3", &spdx)
        else {
            panic!("type says 2.3")
        };
        assert!(why.contains("names version 2.3"), "{why}");
        assert!(matches!(
            validate_predicate(SPDX_DOCUMENT, &serde_json::json!({"name":"x"})),
            Validation::Invalid(_)
        ));
    }

    #[test]
    fn spdx3_predicates_are_checked_against_the_3_0_1_schema() {
        let ctx = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
        let mut doc = serde_json::json!({"@context": ctx, "@graph": [{
            "type": "CreationInfo", "@id": "_:c", "specVersion": "3.0.1",
            "created": "2024-01-01T00:00:00Z", "createdBy": ["urn:a"]}]});
        assert_eq!(
            validate_predicate(SPDX3_DOCUMENT, &doc),
            Validation::Valid("valid SPDX 3.0.1".into())
        );
        doc["@graph"][0]["created"] = "yesterday".into();
        let Validation::Invalid(why) = validate_predicate(SPDX3_DOCUMENT, &doc) else {
            panic!("not a date")
        };
        assert!(
            why.starts_with("not valid SPDX 3.0.1: at /@graph/0"),
            "{why}"
        );
        // SPDX 2 and 3 are not taken for each other.
        let Validation::Invalid(why) = validate_predicate(SPDX_DOCUMENT, &doc) else {
            panic!("SPDX 3 under the SPDX 2 type")
        };
        assert!(why.contains("is an SPDX 3 document"), "{why}");
        let spdx2 = serde_json::json!({"spdxVersion": "SPDX-2.3"});
        let Validation::Invalid(why) = validate_predicate(SPDX3_DOCUMENT, &spdx2) else {
            panic!("SPDX 2 under the SPDX 3 type")
        };
        assert!(why.contains("is an SPDX document"), "{why}");
        // The version is the context's; one in the type must match it.
        doc["@context"] = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld".into();
        assert!(matches!(
            validate_predicate(SPDX3_DOCUMENT, &doc),
            Validation::NotChecked(_)
        ));
        doc["@context"] = "https://spdx.org/rdf/3.9/spdx-context.jsonld".into();
        assert_eq!(
            validate_predicate(SPDX3_DOCUMENT, &doc),
            Validation::Invalid("SPDX 3.9 has no schema here (checked: SPDX-3.0.1)".into())
        );
        doc["@context"] = ctx.into();
        let Validation::Invalid(why) = validate_predicate("https://spdx.dev/Document/v3.1", &doc)
        else {
            panic!("the type says 3.1")
        };
        assert!(why.contains("names version 3.1"), "{why}");
    }
}

#[cfg(test)]
mod posture_tests {
    use super::*;

    #[test]
    fn a_posture_report_must_be_one_and_hold_its_fields() {
        assert!(matches!(
            validate_posture(&serde_json::json!({"reportType": "x"})),
            Validation::Invalid(_)
        ));
        let missing = serde_json::json!({"reportType": crate::posture::REPORT_TYPE});
        match validate_posture(&missing) {
            Validation::Invalid(m) => assert!(m.contains("required"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
