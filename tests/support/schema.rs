//! Validates documents against the official schemas vendored in `schemas/` (see `schemas/PROVENANCE.md`).
//!
//! Call [`assert_valid_spdx`], [`assert_valid_spdx3`] or
//! [`assert_valid_cyclonedx`]. No network: the CycloneDX schemas' `$ref`s to `spdx.schema.json` and
//! `jsf-0.82.schema.json` are answered from the local copies by a retriever. Format assertions
//! (`date-time`, `uri`, ...) are on.

use std::path::PathBuf;
use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use serde_json::Value;

/// Saves a document in `SBOMKIT_WRITE_SAMPLES`, when set, for the outside validators
/// (`scripts/interop-sbom.sh`).
pub fn sample(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("SBOMKIT_WRITE_SAMPLES") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

pub fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

pub fn load_json(rel: &str) -> Value {
    let path = schemas_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every property path a report schema allows (`a.b`, `a[].c`), following `$ref`s into `$defs` and
/// every `oneOf` alternative: what its documentation must list.
pub fn property_paths(schema: &Value) -> std::collections::BTreeSet<String> {
    fn walk(
        schema: &Value,
        defs: &Value,
        prefix: &str,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        let resolved = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => &defs[r.trim_start_matches("#/$defs/")],
            None => schema,
        };
        for alt in resolved["oneOf"].as_array().into_iter().flatten() {
            walk(alt, defs, prefix, out);
        }
        if let Some(props) = resolved["properties"].as_object() {
            for (k, v) in props {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                walk(v, defs, &p, out);
            }
        }
        if resolved["items"].is_object() {
            walk(&resolved["items"], defs, &format!("{prefix}[]"), out);
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(schema, &schema["$defs"], "", &mut out);
    out
}

/// The schema files are this module's choice; their references are answered by the library's
/// embedded copies of the same files.
fn build(schema: &Value, draft: Draft) -> Validator {
    sbomkit::attest::schema::compile(schema, draft)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
}

/// The SPDX 2.3 schemas: the one tagged `v2.3` (draft-07) and the 2.3.1 errata (2019-09). Both must
/// pass, as `schemas/README.md` asks.
fn spdx_validators() -> &'static [(&'static str, Validator)] {
    static V: OnceLock<Vec<(&'static str, Validator)>> = OnceLock::new();
    V.get_or_init(|| {
        vec![
            (
                "spdx-schema-v2.3.json",
                build(&load_json("spdx/spdx-schema-v2.3.json"), Draft::Draft7),
            ),
            (
                "spdx-schema-v2.3-support-2.3.1.json",
                build(
                    &load_json("spdx/spdx-schema-v2.3-support-2.3.1.json"),
                    Draft::Draft201909,
                ),
            ),
        ]
    })
}

fn cyclonedx_validator(spec_version: &str) -> &'static Validator {
    static V14: OnceLock<Validator> = OnceLock::new();
    static V15: OnceLock<Validator> = OnceLock::new();
    static V16: OnceLock<Validator> = OnceLock::new();
    static V17: OnceLock<Validator> = OnceLock::new();
    let (cell, file) = match spec_version {
        "1.4" => (&V14, "cyclonedx/bom-1.4.schema.json"),
        "1.5" => (&V15, "cyclonedx/bom-1.5.schema.json"),
        "1.6" => (&V16, "cyclonedx/bom-1.6.schema.json"),
        "1.7" => (&V17, "cyclonedx/bom-1.7.schema.json"),
        other => panic!("no vendored CycloneDX schema for specVersion {other:?}"),
    };
    cell.get_or_init(|| build(&load_json(file), Draft::Draft7))
}

/// Every error of `doc` against `v`, with where it is.
pub fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("at {}: {e}", if at.is_empty() { "/" } else { at.as_str() })
        })
        .collect()
}

/// Schema errors of an SPDX 2.3 JSON document, each prefixed by the schema it failed.
pub fn spdx_errors(doc: &Value) -> Vec<String> {
    spdx_validators()
        .iter()
        .flat_map(|(name, v)| {
            errors(v, doc)
                .into_iter()
                .map(move |e| format!("[{name}] {e}"))
        })
        .collect()
}

/// The SPDX 3.0.1 JSON schema (draft 2020-12), as spdx.org serves it.
fn spdx3_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        build(
            &load_json("spdx3/spdx-json-schema.json"),
            Draft::Draft202012,
        )
    })
}

/// What the JSON schema cannot see in an SPDX 3 graph, and SHACL (`scripts/test.sh`) would: every
/// `spdxId` is unique, and every reference names an element of the graph (or one it imports) of a
/// class the property takes.
fn spdx3_graph_errors(doc: &Value) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut errs = Vec::new();
    let graph = doc["@graph"].as_array().cloned().unwrap_or_default();
    let mut class: BTreeMap<String, String> = BTreeMap::new();
    for n in &graph {
        if let Some(id) = n["spdxId"].as_str() {
            let kind = n["type"].as_str().unwrap_or_default().to_string();
            if class.insert(id.to_string(), kind).is_some() {
                errs.push(format!("spdxId {id} is used twice"));
            }
        }
    }
    // Elements of other documents a document imports (an `ExternalMap`) may be named too.
    for n in &graph {
        for m in n["import"].as_array().into_iter().flatten() {
            if let Some(id) = m["externalSpdxId"].as_str() {
                class.insert(id.to_string(), "ExternalMap".to_string());
            }
        }
    }
    let agent = ["SoftwareAgent", "Person", "Organization", "Agent"];
    let license = [
        "simplelicensing_LicenseExpression",
        "simplelicensing_SimpleLicensingText",
    ];
    let any: [&str; 0] = [];
    let refs: [(&str, &[&str]); 10] = [
        ("createdBy", &agent),
        ("createdUsing", &["Tool"]),
        ("suppliedBy", &agent),
        ("originatedBy", &agent),
        ("dataLicense", &license[..1]),
        ("rootElement", &any),
        ("element", &any),
        ("from", &any),
        ("to", &any),
        ("simplelicensing_customIdToUri", &license[1..]),
    ];
    let mut walk = vec![doc.clone()];
    while let Some(v) = walk.pop() {
        match v {
            Value::Array(a) => walk.extend(a),
            Value::Object(o) => {
                for (key, allowed) in refs {
                    let targets: Vec<&str> = match o.get(key) {
                        Some(Value::String(s)) => vec![s.as_str()],
                        Some(Value::Array(a)) => a
                            .iter()
                            .filter_map(|e| e.as_str().or_else(|| e["value"].as_str()))
                            .collect(),
                        _ => Vec::new(),
                    };
                    // The model's individuals (JSON schema constants).
                    let individuals = ["NoAssertionElement", "NoneElement"];
                    for t in targets.into_iter().filter(|t| !individuals.contains(t)) {
                        match class.get(t) {
                            None => {
                                errs.push(format!("{key} names {t}, which is not in the graph"))
                            }
                            Some(c) if !allowed.is_empty() && !allowed.contains(&c.as_str()) => {
                                errs.push(format!("{key} names {t}, a {c}"))
                            }
                            Some(_) => {}
                        }
                    }
                }
                walk.extend(o.into_iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    errs
}

/// Schema errors of an SPDX 3.0.1 JSON-LD document, and the references that do not resolve.
pub fn spdx3_errors(doc: &Value) -> Vec<String> {
    let mut errs = errors(spdx3_validator(), doc);
    errs.extend(spdx3_graph_errors(doc));
    errs
}

/// Schema errors of a CycloneDX JSON document against the schema of its own `specVersion`.
pub fn cyclonedx_errors(doc: &Value) -> Vec<String> {
    let version = doc
        .get("specVersion")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("document has no specVersion"));
    errors(cyclonedx_validator(version), doc)
}

fn report(kind: &str, errs: &[String], doc: &Value) {
    if !errs.is_empty() {
        let shown: Vec<&str> = errs.iter().take(20).map(String::as_str).collect();
        panic!(
            "{kind} document is not schema-valid ({} errors):\n  {}\n--- document (first 3000 bytes) ---\n{}",
            errs.len(),
            shown.join("\n  "),
            serde_json::to_string_pretty(doc)
                .unwrap_or_default()
                .chars()
                .take(3000)
                .collect::<String>()
        );
    }
}

pub fn assert_valid_spdx(doc: &Value) {
    report("SPDX", &spdx_errors(doc), doc);
}

pub fn assert_valid_spdx3(doc: &Value) {
    report("SPDX 3", &spdx3_errors(doc), doc);
}

pub fn assert_valid_cyclonedx(doc: &Value) {
    report("CycloneDX", &cyclonedx_errors(doc), doc);
}

/// A Sigstore schema (`schemas/sigstore/jsonschema/`) as a validator. The generated schemas name
/// the `required` fields by their proto names (`public_key`, `dsse_envelope`) while their
/// properties use the JSON names and forbid others, so no bundle (not even cosign's own) passes
/// them as published: the `required` names are renamed to the lowerCamelCase JSON names.
pub fn sigstore_validator(mut schema: Value) -> Validator {
    fn camel(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, child) in m.iter_mut() {
                    if k == "required" {
                        for n in child.as_array_mut().into_iter().flatten() {
                            let s = n.as_str().unwrap_or_default();
                            let mut out = String::new();
                            let mut up = false;
                            for c in s.chars() {
                                if c == '_' {
                                    up = true;
                                } else if up {
                                    out.extend(c.to_uppercase());
                                    up = false;
                                } else {
                                    out.push(c);
                                }
                            }
                            *n = Value::String(out);
                        }
                    } else {
                        camel(child);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(camel),
            _ => {}
        }
    }
    camel(&mut schema);
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .build(&schema)
        .unwrap()
}

/// The Sigstore schema `schemas/sigstore/jsonschema/NAME`, see [`sigstore_validator`].
pub fn sigstore_schema(name: &str) -> Validator {
    sigstore_validator(load_json(&format!("sigstore/jsonschema/{name}")))
}

/// Every error of an `audit --output json` report against `schemas/sbomkit/posture-v1.schema.json`.
pub fn diff_errors(doc: &Value) -> Vec<String> {
    static V: OnceLock<Validator> = OnceLock::new();
    let v = V.get_or_init(|| {
        build(
            &load_json("sbomkit/diff-v1.schema.json"),
            Draft::Draft202012,
        )
    });
    errors(v, doc)
}

pub fn posture_errors(doc: &Value) -> Vec<String> {
    static V: OnceLock<Validator> = OnceLock::new();
    let v = V.get_or_init(|| {
        build(
            &load_json("sbomkit/posture-v1.schema.json"),
            Draft::Draft202012,
        )
    });
    errors(v, doc)
}
