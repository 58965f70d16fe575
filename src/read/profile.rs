//! `sbomkit validate`: a document against its official schema, then against a profile of required
//! elements (NTIA minimum elements, CISA 2026 minimum elements, BSI TR-03183-2 v2.1). Each check
//! says what it looks at in each format; `docs/validate.md` lists them with their sources.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::{json, DocFormat, Document};
use crate::attest::schema;
use crate::model::Package;

/// Which set of rules `validate` applies beyond the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The official JSON schema of the document's format and version only.
    Schema,
    /// NTIA minimum elements (2021), as ntia-conformance-checker checks them.
    Ntia,
    /// CISA 2026 Minimum Elements.
    Cisa2026,
    /// BSI TR-03183-2 v2.1.
    Bsi21,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::Schema,
        Profile::Ntia,
        Profile::Cisa2026,
        Profile::Bsi21,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Schema => "schema",
            Profile::Ntia => "ntia",
            Profile::Cisa2026 => "cisa-2026",
            Profile::Bsi21 => "bsi-2.1",
        }
    }
}

/// Most schema errors listed, and most components named per failed check.
pub const MAX_SCHEMA_ERRORS: usize = 20;
pub const MAX_EXAMPLES: usize = 5;

/// One schema error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaError {
    /// RFC 6901 JSON pointer to the value (`""` is the whole document).
    pub pointer: String,
    /// The 1-based line where that value starts.
    pub line: Option<usize>,
    pub message: String,
}

/// The schema part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaResult {
    /// The schema checked against (`CycloneDX 1.5`), which may differ from the document's version.
    pub schema: String,
    pub valid: bool,
    /// Why another version's schema was used, when it was.
    pub note: Option<String>,
    pub errors: Vec<SchemaError>,
}

/// One required element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// A stable name (`component-supplier`).
    pub id: &'static str,
    /// What is required, in words.
    pub element: &'static str,
    pub pass: bool,
    /// For component checks: how many components were checked, how many miss the element, and
    /// the first few of them by name. Zero and empty for document checks.
    pub components: usize,
    pub missing: usize,
    pub examples: Vec<String>,
    /// What was found or why it fails, in a sentence.
    pub detail: String,
}

/// The outcome of `validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub file: String,
    /// `SPDX 2.3`, `CycloneDX 1.6`, `SPDX 3.0.1`.
    pub format: String,
    pub profile: &'static str,
    /// Whether the profile holds: the schema is valid and every check passes.
    pub holds: bool,
    pub schema: SchemaResult,
    pub checks: Vec<Check>,
}

/// Validates a document read from `bytes` (for the lines of schema errors) against `profile`.
pub fn validate(doc: &Document, bytes: &[u8], file: &str, profile: Profile) -> Report {
    let schema = check_schema(doc, bytes);
    let checks = match profile {
        Profile::Schema => Vec::new(),
        Profile::Ntia => ntia(doc),
        Profile::Cisa2026 => cisa(doc),
        Profile::Bsi21 => bsi(doc),
    };
    Report {
        file: file.to_string(),
        format: doc.format.label(),
        profile: profile.name(),
        holds: schema.valid && checks.iter().all(|c| c.pass),
        schema,
        checks,
    }
}

fn check_schema(doc: &Document, bytes: &[u8]) -> SchemaResult {
    // The schemas in schemas/ are the official ones sbomkit embeds; older versions are checked
    // against the next one, which accepts their fields.
    let (which, label, note) = match &doc.format {
        DocFormat::Spdx2(v) if v == "SPDX-2.3" => {
            ("SPDX-2.3.1", "SPDX 2.3 with the 2.3.1 errata", None)
        }
        DocFormat::Spdx2(v) => (
            "SPDX-2.3.1",
            "SPDX 2.3 with the 2.3.1 errata",
            Some(format!(
                "{v} is checked against the SPDX 2.3 schema: no {v} schema is vendored, and 2.3 \
                 only added optional fields"
            )),
        ),
        DocFormat::Spdx3(_) => ("SPDX-3.0.1", "SPDX 3.0.1", None),
        DocFormat::CycloneDx(v) if v == "1.4" => (
            "CycloneDX-1.4",
            "CycloneDX 1.4",
            Some(
                "the 1.4 schema as cyclonedx-python-lib ships it: `version` optional, any \
                 `$schema`"
                    .into(),
            ),
        ),
        DocFormat::CycloneDx(v) if v == "1.5" => ("1.5", "CycloneDX 1.5", None),
        DocFormat::CycloneDx(v) if v == "1.6" => ("1.6", "CycloneDX 1.6", None),
        DocFormat::CycloneDx(_) => ("1.7", "CycloneDX 1.7", None),
    };
    match schema::errors_against(which, &doc.json, MAX_SCHEMA_ERRORS) {
        Ok(errors) => {
            let pointers: BTreeSet<String> = errors.iter().map(|(p, _)| p.clone()).collect();
            let lines = json::lines_of(bytes, &pointers);
            SchemaResult {
                schema: label.to_string(),
                valid: errors.is_empty(),
                note,
                errors: errors
                    .into_iter()
                    .map(|(pointer, message)| SchemaError {
                        line: lines.get(&pointer).copied(),
                        pointer,
                        message,
                    })
                    .collect(),
            }
        }
        Err(e) => SchemaResult {
            schema: label.to_string(),
            valid: false,
            note: Some(e),
            errors: Vec::new(),
        },
    }
}

/// The components a profile looks at: for SPDX those reachable from what the document describes
/// (ntia-conformance-checker ignores "floating" packages), for CycloneDX every component.
fn components(doc: &Document) -> Vec<&Package> {
    match &doc.info.reachable {
        Some(r) => doc
            .sbom
            .packages
            .iter()
            .filter(|p| r.contains(&p.id))
            .collect(),
        None => doc.sbom.packages.iter().collect(),
    }
}

fn label(p: &Package) -> String {
    match (p.name.is_empty(), p.version.is_empty()) {
        (true, _) => p.id.clone(),
        (false, true) => p.name.clone(),
        (false, false) => format!("{}@{}", p.name, p.version),
    }
}

fn per_component(
    doc: &Document,
    id: &'static str,
    element: &'static str,
    has: impl Fn(&Package) -> bool,
) -> Check {
    let all = components(doc);
    let missing: Vec<&Package> = all.iter().copied().filter(|p| !has(p)).collect();
    Check {
        id,
        element,
        pass: missing.is_empty(),
        components: all.len(),
        missing: missing.len(),
        examples: missing
            .iter()
            .take(MAX_EXAMPLES)
            .map(|p| label(p))
            .collect(),
        detail: match missing.len() {
            0 => format!("all {} components have it", all.len()),
            n => format!("{n} of {} components miss it", all.len()),
        },
    }
}

fn document(id: &'static str, element: &'static str, pass: bool, detail: String) -> Check {
    Check {
        id,
        element,
        pass,
        components: 0,
        missing: 0,
        examples: Vec::new(),
        detail,
    }
}

fn timestamp(doc: &Document) -> Check {
    let detail = match (&doc.info.timestamp, doc.info.timestamp_well_formed) {
        (Some(t), true) => format!("created {t}"),
        (Some(t), false) => format!("`{t}` is not a time in the form the format requires"),
        (None, _) => "no creation time".into(),
    };
    document(
        "timestamp",
        "SBOM creation time",
        doc.info.timestamp_well_formed,
        detail,
    )
}

fn identifier_check(doc: &Document, spdx_ids: bool) -> Check {
    if spdx_ids {
        // SPDX: every element has its SPDX id, and the ids are well-formed, unique and resolve.
        let errors = &doc.info.identifier_errors;
        let all = components(doc);
        return Check {
            id: "component-identifier",
            element: "component unique identifier",
            pass: errors.is_empty(),
            components: all.len(),
            missing: errors.len(),
            examples: errors.iter().take(MAX_EXAMPLES).cloned().collect(),
            detail: match errors.len() {
                0 => "every element has a well-formed, unique SPDX id".into(),
                n => format!("{n} identifier problems"),
            },
        };
    }
    per_component(
        doc,
        "component-identifier",
        "component unique identifier",
        |p| has_identifier(doc, p),
    )
}

fn has_identifier(doc: &Document, p: &Package) -> bool {
    p.purl.is_some()
        || !p.cpes.is_empty()
        || doc
            .facts
            .get(&p.id)
            .is_some_and(|f| f.other_identifiers > 0)
}

fn is_spdx(doc: &Document) -> bool {
    !matches!(doc.format, DocFormat::CycloneDx(_))
}

fn dependency_relationships(doc: &Document) -> Check {
    // ntia-conformance-checker: SPDX 2 has a DESCRIBES of a package, SPDX 3 a root that reaches
    // a package; CycloneDX: a dependency graph.
    let reached = components(doc).len();
    let (pass, detail) = match &doc.format {
        DocFormat::CycloneDx(_) => {
            let n = doc
                .json
                .get("dependencies")
                .and_then(|d| d.as_array())
                .map_or(0, Vec::len);
            (n > 0, format!("{n} dependency entries"))
        }
        _ => (
            reached > 0,
            format!("{reached} packages reached from what the document describes"),
        ),
    };
    document(
        "dependency-relationships",
        "dependency relationships",
        pass,
        detail,
    )
}

fn ntia(doc: &Document) -> Vec<Check> {
    let spdx = is_spdx(doc);
    let creators: Vec<String> = doc
        .info
        .authors
        .iter()
        .map(|a| a.name.clone())
        .chain(doc.info.tools.iter().map(|t| match &t.version {
            Some(v) => format!("{} {v}", t.name),
            None => t.name.clone(),
        }))
        .collect();
    vec![
        document(
            "author",
            "SBOM author",
            !creators.is_empty(),
            match creators.is_empty() {
                true => "no creator named".into(),
                false => creators.join(", "),
            },
        ),
        timestamp(doc),
        dependency_relationships(doc),
        per_component(doc, "component-name", "component name", |p| {
            !p.name.trim().is_empty()
        }),
        per_component(doc, "component-version", "component version", |p| {
            !p.version.trim().is_empty()
        }),
        identifier_check(doc, spdx),
        per_component(doc, "component-supplier", "component supplier", |p| {
            p.supplier.is_some()
        }),
    ]
}

fn cisa(doc: &Document) -> Vec<Check> {
    let tools: Vec<String> = doc
        .info
        .tools
        .iter()
        .filter(|t| t.version.is_some())
        .map(|t| format!("{} {}", t.name, t.version.as_deref().unwrap_or("")))
        .collect();
    let context = match (&doc.format, doc.info.lifecycles.is_empty()) {
        (_, false) => format!("generated at: {}", doc.info.lifecycles.join(", ")),
        (DocFormat::Spdx2(_), true) => "SPDX 2 has no field for the generation context".into(),
        (DocFormat::Spdx3(_), true) => "no software_sbomType on the Sbom".into(),
        (DocFormat::CycloneDx(_), true) => "no metadata.lifecycles".into(),
    };
    vec![
        document(
            "author",
            "SBOM Author (a person or organization)",
            !doc.info.authors.is_empty(),
            match doc.info.authors.len() {
                0 => "no person or organization named as the document's author".into(),
                _ => doc
                    .info
                    .authors
                    .iter()
                    .map(|a| a.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ),
        document(
            "tool",
            "Tool Name (with its version)",
            !tools.is_empty(),
            match tools.is_empty() {
                true => "no tool named with its version".into(),
                false => tools.join(", "),
            },
        ),
        timestamp(doc),
        document(
            "generation-context",
            "Generation Context (lifecycle phase / SBOM type)",
            !doc.info.lifecycles.is_empty(),
            context,
        ),
        per_component(doc, "component-name", "Component Name", |p| {
            !p.name.trim().is_empty()
        }),
        per_component(doc, "component-version", "Component Version", |p| {
            !p.version.trim().is_empty()
        }),
        per_component(
            doc,
            "component-supplier",
            "Software Producer (component supplier)",
            |p| p.supplier.is_some(),
        ),
        per_component(
            doc,
            "component-identifier",
            "Software Identifiers (purl, CPE, OmniBOR, SWHID, SWID)",
            |p| has_identifier(doc, p),
        ),
        per_component(doc, "component-license", "License", |p| {
            !p.licenses.is_empty()
        }),
        per_component(
            doc,
            "component-hash",
            "Component Hash (value and algorithm)",
            |p| !p.checksums.is_empty(),
        ),
        per_component(
            doc,
            "component-relationships",
            "Dependency Relationship (the component in a dependency or containment relationship)",
            |p| doc.facts.get(&p.id).is_some_and(|f| f.in_relationship),
        ),
        document(
            "completeness",
            "Known Unknowns (how complete the relationships are, stated)",
            doc.info.completeness_stated,
            match (doc.info.completeness_stated, doc.info.unknowns_stated) {
                (true, true) => "completeness stated; unknowns named".into(),
                (true, false) => "completeness stated".into(),
                (false, _) => "the document does not say how complete it is".into(),
            },
        ),
    ]
}

fn bsi(doc: &Document) -> Vec<Check> {
    let version_ok = match &doc.format {
        DocFormat::CycloneDx(v) => matches!(v.as_str(), "1.6" | "1.7"),
        DocFormat::Spdx3(_) => true,
        DocFormat::Spdx2(_) => false,
    };
    let contact: Vec<String> = doc
        .info
        .authors
        .iter()
        .filter_map(|a| a.email.clone().or_else(|| a.url.clone()))
        .collect();
    let property = |p: &Package, key: &str, values: &[&str]| {
        p.properties
            .get(key)
            .is_some_and(|v| values.contains(&v.as_str()))
    };
    vec![
        document(
            "format",
            "CycloneDX 1.6 or later, or SPDX 3.0.1 or later",
            version_ok,
            doc.format.label(),
        ),
        document(
            "creator",
            "SBOM creator's email or URL",
            !contact.is_empty(),
            match contact.is_empty() {
                true => "no email or URL for the document's creator".into(),
                false => contact.join(", "),
            },
        ),
        timestamp(doc),
        document(
            "sbom-uri",
            "SBOM-URI",
            doc.info.uri.is_some(),
            doc.info.uri.clone().unwrap_or_else(|| "none".into()),
        ),
        per_component(
            doc,
            "component-creator",
            "component creator's email or URL",
            |p| doc.facts.get(&p.id).is_some_and(|f| f.creator_contact),
        ),
        per_component(doc, "component-name", "component name", |p| {
            !p.name.trim().is_empty()
        }),
        per_component(doc, "component-version", "component version", |p| {
            !p.version.trim().is_empty()
        }),
        per_component(
            doc,
            "component-filename",
            "file name of the component (bsi:component:filename)",
            |p| {
                p.properties.contains_key("bsi:component:filename")
                    || p.properties.contains_key("sbomkit:package:file-name")
            },
        ),
        per_component(
            doc,
            "component-dependencies",
            "component dependencies",
            |p| doc.facts.get(&p.id).is_some_and(|f| f.in_relationship),
        ),
        per_component(doc, "component-license", "component licence", |p| {
            !p.licenses.is_empty()
        }),
        per_component(
            doc,
            "component-hash-sha512",
            "SHA-512 of the deployable component",
            |p| doc.facts.get(&p.id).is_some_and(|f| f.deployable_sha512),
        ),
        per_component(
            doc,
            "component-executable",
            "executable property (bsi:component:executable)",
            |p| {
                property(
                    p,
                    "bsi:component:executable",
                    &["executable", "non-executable"],
                )
            },
        ),
        per_component(
            doc,
            "component-archive",
            "archive property (bsi:component:archive)",
            |p| property(p, "bsi:component:archive", &["archive", "no archive"]),
        ),
        per_component(
            doc,
            "component-structured",
            "structured property (bsi:component:structured)",
            |p| {
                property(
                    p,
                    "bsi:component:structured",
                    &["structured", "unstructured"],
                )
            },
        ),
    ]
}

/// The report as text for people: one line per check.
pub fn render_text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: {}", r.file, r.format);
    let _ = writeln!(
        s,
        "  {} schema {}",
        mark(r.schema.valid),
        match r.schema.valid {
            true => format!("valid ({})", r.schema.schema),
            false => format!(
                "not valid ({}): {} errors shown",
                r.schema.schema,
                r.schema.errors.len()
            ),
        }
    );
    if let Some(n) = &r.schema.note {
        let _ = writeln!(s, "       {n}");
    }
    for e in &r.schema.errors {
        let at = match e.pointer.as_str() {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        let line = e.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let _ = writeln!(s, "       at {at}{line}: {}", e.message);
    }
    for c in &r.checks {
        let _ = writeln!(s, "  {} {}: {}", mark(c.pass), c.element, c.detail);
        if !c.examples.is_empty() {
            let more = c.missing.saturating_sub(c.examples.len());
            let tail = match more {
                0 => String::new(),
                n => format!(", and {n} more"),
            };
            let _ = writeln!(s, "       {}{tail}", c.examples.join(", "));
        }
    }
    let _ = writeln!(
        s,
        "profile {}: {}",
        r.profile,
        match r.holds {
            true => "holds",
            false => "does not hold",
        }
    );
    s
}

fn mark(ok: bool) -> &'static str {
    match ok {
        true => "pass",
        false => "FAIL",
    }
}
