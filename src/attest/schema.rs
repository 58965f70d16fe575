//! Schema validation of SBOM predicates against the official schemas vendored in `schemas/`, built
//! into the binary. The CycloneDX schemas' references to `spdx.schema.json` and `jsf-0.82.schema.json`
//! are answered from the embedded copies; nothing is fetched.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

const SPDX_23: &str = include_str!("../../schemas/spdx/spdx-schema-v2.3.json");
const CDX_15: &str = include_str!("../../schemas/cyclonedx/bom-1.5.schema.json");
const CDX_16: &str = include_str!("../../schemas/cyclonedx/bom-1.6.schema.json");
const CDX_SPDX: &str = include_str!("../../schemas/cyclonedx/spdx.schema.json");
const CDX_JSF: &str = include_str!("../../schemas/cyclonedx/jsf-0.82.schema.json");

/// The outcome of validating a predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    Valid(String),
    Invalid(String),
    /// No vendored schema for this document (another spec version, a text predicate).
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
    let mut local = HashMap::new();
    for (file, body) in [
        ("spdx.schema.json", CDX_SPDX),
        ("jsf-0.82.schema.json", CDX_JSF),
    ] {
        let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        local.insert(format!("http://cyclonedx.org/schema/{file}"), v);
    }
    jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .with_retriever(Embedded(local))
        .build(&schema)
        .map_err(|e| e.to_string())
}

type Cell = OnceLock<Result<Validator, String>>;

fn validator(name: &str) -> Option<&'static Result<Validator, String>> {
    static SPDX: Cell = OnceLock::new();
    static V15: Cell = OnceLock::new();
    static V16: Cell = OnceLock::new();
    Some(match name {
        "SPDX-2.3" => SPDX.get_or_init(|| build(SPDX_23, Draft::Draft7)),
        "1.5" => V15.get_or_init(|| build(CDX_15, Draft::Draft7)),
        "1.6" => V16.get_or_init(|| build(CDX_16, Draft::Draft7)),
        _ => return None,
    })
}

fn run(which: &str, label: &str, doc: &Value) -> Validation {
    let Some(v) = validator(which) else {
        return Validation::NotChecked(format!("no schema for {label}"));
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

/// Validates an SPDX JSON document by its `spdxVersion`.
pub fn validate_spdx(doc: &Value) -> Validation {
    match doc.get("spdxVersion").and_then(Value::as_str) {
        Some(v) => run(v, v, doc),
        None => Validation::Invalid("the SPDX predicate has no `spdxVersion`".into()),
    }
}

/// Validates a CycloneDX JSON document against the schema of its `specVersion`.
pub fn validate_cyclonedx(doc: &Value) -> Validation {
    if doc.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Validation::Invalid("the CycloneDX predicate has no `bomFormat: CycloneDX`".into());
    }
    match doc.get("specVersion").and_then(Value::as_str) {
        Some(v) => run(v, &format!("CycloneDX {v}"), doc),
        None => Validation::Invalid("the CycloneDX predicate has no `specVersion`".into()),
    }
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
        assert!(matches!(
            validate_cyclonedx(&old),
            Validation::NotChecked(_)
        ));
    }
}
