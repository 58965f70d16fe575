//! CycloneDX 1.7, 1.6 and 1.5, JSON and XML (`xml.rs`, from the same [`Bom`]).
//!
//! Written with serde structs of our own: the `cyclonedx-bom` crate (0.8) stops at spec 1.5, and 1.7 is
//! the default here. One set of structs serves every version because everything written is valid in
//! each; the differences are the originator (`authors` from 1.6, the deprecated `author` in 1.5),
//! `metadata.tools` (below), `metadata.lifecycles` (1.7: `post-build`, what a scan of built,
//! installed software is), and from 1.6 an organization author as `metadata.manufacturer` and
//! licenses marked `acknowledgement: declared`. The CISA 2026 and BSI TR-03183-2 fields (author,
//! `bsi:component:*`, SHA-512, `compositions` per dependency completeness) are in ARCHITECTURE.md,
//! "Regulatory fields".
//!
//! Structure (the reasons are in ARCHITECTURE.md, "Document structure"):
//! - `metadata.component` (the subject) lists in `dependsOn` what the subject contains, as Syft and
//!   Trivy do, so tools that walk the dependency graph from the root reach every package;
//! - the `operating-system` component lists in `dependsOn` every package it contains (its package
//!   database's), directly: scanners find OS packages that way and only that way;
//! - a package inside another package (a module in a binary, a Python package in a Debian package,
//!   a jar in a jar) is, from 1.6, nested in its container's `components`, CycloneDX's own
//!   containment. A component appears once, so it is nested under one container only, the first
//!   in component order; any other container (two binaries sharing a module) lists it in `dependsOn`
//!   with an `sbomkit:contains` property, the form 1.5 keeps for every container. 1.5 stays flat
//!   because the scanners that read only 1.5 (Trivy 0.44) read top-level components only: nested, a
//!   Go binary's modules vanish. Either way the container lists the package in `dependsOn`, so the
//!   graph from the root still reaches every package, and `dependencies` has an entry for each
//!   component, nested or not. OS packages are never nested: the OS lists them in `dependsOn`;
//! - optional dependencies are in `dependsOn` too (CycloneDX has no optional edge), marked with
//!   `sbomkit:optional-depends-on` properties; files owned by a package name their owners in
//!   `sbomkit:package` properties.
//!
//! `metadata.tools` is the legacy array in 1.5 and the component form in 1.6: readers built on
//! cyclonedx-go before mid-2023 (Trivy 0.44) reject the object form, and none of them reads 1.6.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;
use sha2::Digest;

use super::{
    bsi_file_facts, completeness_word, document_uuid, hashes_of, image_purl, rfc3339,
    subject_sha256, usable_url, CycloneDxVersion, HashWriter, TOOL_NAME, TOOL_VERSION,
};

mod xml;
use crate::model::{
    ActorKind, Checksum, Completeness, FileRecord, HashAlg, Package, Purpose, Relationship,
    RelationshipKind, Sbom, SubjectKind, Technique,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compositions: Vec<Composition>,
}

/// The subject's assembly is `incomplete` while something in it was not read ([`Sbom::unknowns`]);
/// the packages' dependencies are grouped by how complete the scan knows them to be.
#[derive(Serialize)]
struct Composition {
    aggregate: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    assemblies: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lifecycles: Vec<Lifecycle>,
    tools: Tools,
    /// The SBOM author (`--author`); left out when not given: CycloneDX has no unknown form.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Contact>,
    component: Component,
    /// From 1.6, an organization that is the SBOM author, with its address: BSI TR-03183-2 takes
    /// the SBOM creator from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    manufacturer: Option<Organization>,
    /// `sbomkit:unknown`, one per unknown: what was not read, where, why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

/// The phase of the product lifecycle the BOM was made in.
#[derive(Serialize)]
struct Lifecycle {
    phase: &'static str,
}

/// `metadata.tools`: the object form for 1.6, the legacy array (deprecated, still valid) for 1.5.
#[derive(Serialize)]
#[serde(untagged)]
enum Tools {
    Components { components: Vec<Component> },
    Legacy(Vec<LegacyTool>),
}

#[derive(Serialize)]
struct LegacyTool {
    vendor: &'static str,
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "String::is_empty")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Entity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// `excluded` for a package a later layer removed (`--scope all-layers`): not in the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    /// The operating system's own identity (os-release `ID` and version): readers that key
    /// distributions by that id (Syft, Grype) take it from here, scanners that key them by family
    /// take the component's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    swid: Option<Swid>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    /// The packages inside this one (1.6 on; see the module comment), in the XSD's place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
}

#[derive(Serialize)]
struct Swid {
    #[serde(rename = "tagId")]
    tag_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

/// What a package's `dependsOn` holds besides dependencies, by kind: marked in properties.
struct Edges {
    optional: Vec<String>,
    contains: Vec<String>,
}

/// Where a component was found (`occurrences`) and how its identity was established (`identity`).
#[derive(Serialize)]
struct Evidence {
    /// A single object in both versions: 1.6 deprecates it for an array but still allows it, and
    /// readers on cyclonedx-go 0.9 (Syft 1.18) reject the whole document when it is an array.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<Identity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    occurrences: Vec<Occurrence>,
}

/// Fields in the order the JSON always had them (it was a `json!` map, sorted by key).
#[derive(Serialize)]
struct Identity {
    confidence: u8,
    field: &'static str,
    methods: Vec<Method>,
}

#[derive(Serialize)]
struct Method {
    confidence: u8,
    technique: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Serialize)]
struct Entity {
    name: String,
}

#[derive(Serialize)]
struct Organization {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contact: Vec<Contact>,
}

#[derive(Serialize)]
struct Contact {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

/// From 1.6 each says it is the license the package declares (`acknowledgement: declared`, BSI
/// TR-03183-2's "original licence"); sbomkit concludes none.
#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    Expression {
        expression: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledgement: Option<&'static str>,
    },
    License {
        license: NamedLicense,
    },
}

#[derive(Serialize)]
struct NamedLicense {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledgement: Option<&'static str>,
}

#[derive(Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    /// Of what the URL names: the index document's `bom` references carry their document's SHA-256.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: name.to_string(),
        value: value.into(),
    }
}

pub(super) fn write(sbom: &Sbom, version: CycloneDxVersion, out: &mut dyn Write) -> io::Result<()> {
    let bom = bom(sbom, version)?;
    serde_json::to_writer_pretty(&mut *out, &bom).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The same document as XML, with the same serial number as the JSON of that version.
pub(super) fn write_xml(
    sbom: &Sbom,
    version: CycloneDxVersion,
    out: &mut dyn Write,
) -> io::Result<()> {
    xml::write(&bom(sbom, version)?, version, out)
}

/// What the index document of a multi-platform image says (`format::index`): the index as the
/// root component and one component per platform's image, with a `bom` reference to its document.
pub(super) struct IndexParts {
    pub name: String,
    pub version: Option<String>,
    /// The index digest, hex.
    pub digest_hex: String,
    pub purl: Option<String>,
    pub properties: Vec<(String, String)>,
    pub images: Vec<IndexImage>,
}

/// One platform's image in [`IndexParts`].
pub(super) struct IndexImage {
    pub platform: String,
    pub name: String,
    pub manifest: String,
    pub purl: Option<String>,
    /// `urn:cdx:SERIAL/VERSION` of the platform's document.
    pub bom_url: String,
    /// The SHA-256 of that document as written, hex.
    pub sha256: String,
}

/// The index document, its serial number derived from its JSON (a map with sorted keys, as
/// [`write_index_json`] writes it) without one.
pub(super) fn index_bom(
    parts: IndexParts,
    version: CycloneDxVersion,
    timestamp: String,
    subject: &crate::model::Subject,
) -> io::Result<Bom> {
    let props = |p: Vec<(String, String)>| {
        p.into_iter()
            .map(|(name, value)| Property { name, value })
            .collect()
    };
    let mut depends = Vec::new();
    let components = parts
        .images
        .into_iter()
        .map(|i| {
            let bom_ref = format!("platform:{}", i.platform);
            depends.push(bom_ref.clone());
            Component {
                kind: "container",
                bom_ref,
                name: i.name,
                version: Some(i.manifest),
                purl: i.purl,
                external_references: vec![ExternalReference {
                    kind: "bom",
                    url: i.bom_url,
                    comment: Some(format!("the SBOM of the {} image", i.platform)),
                    hashes: vec![Hash {
                        alg: "SHA-256",
                        content: i.sha256,
                    }],
                }],
                properties: props(vec![("sbomkit:image:platform".into(), i.platform)]),
                ..Component::default()
            }
        })
        .collect();
    let root = Component {
        kind: "container",
        bom_ref: "image-index".into(),
        name: parts.name,
        version: parts.version,
        description: Some("Multi-platform image index".into()),
        hashes: vec![Hash {
            alg: "SHA-256",
            content: parts.digest_hex,
        }],
        purl: parts.purl,
        properties: props(parts.properties),
        ..Component::default()
    };
    let mut bom = Bom {
        schema: schema_of(version),
        bom_format: "CycloneDX",
        spec_version: version.as_str(),
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp,
            // As the platforms' documents of that version say them.
            lifecycles: lifecycles(version),
            tools: tools(version),
            authors: Vec::new(),
            component: root,
            manufacturer: None,
            properties: Vec::new(),
        },
        components,
        dependencies: vec![Dependency {
            reference: "image-index".into(),
            depends_on: depends,
        }],
        compositions: Vec::new(),
    };
    let mut h = HashWriter::default();
    let body = serde_json::to_value(&bom).map_err(io::Error::other)?;
    serde_json::to_writer(&mut h, &body).map_err(io::Error::other)?;
    bom.serial_number = format!("urn:uuid:{}", document_uuid(subject, &h.0.finalize()));
    Ok(bom)
}

/// The index document as JSON: one map with sorted keys.
pub(super) fn write_index_json(bom: &Bom, out: &mut dyn Write) -> io::Result<()> {
    let v = serde_json::to_value(bom).map_err(io::Error::other)?;
    serde_json::to_writer_pretty(&mut *out, &v).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The index document as XML.
pub(super) fn write_index_xml(
    bom: &Bom,
    version: CycloneDxVersion,
    out: &mut dyn Write,
) -> io::Result<()> {
    xml::write(bom, version, out)
}

/// The serial number of `sbom`'s document in `version`, the same in JSON and XML.
pub(super) fn serial_of(sbom: &Sbom, version: CycloneDxVersion) -> io::Result<String> {
    Ok(bom(sbom, version)?.serial_number)
}

/// 1.7: `post-build`, what a scan of built, installed software is; 1.5 and 1.6 are written as
/// they always were.
fn lifecycles(version: CycloneDxVersion) -> Vec<Lifecycle> {
    match version {
        CycloneDxVersion::V1_7 => vec![Lifecycle {
            phase: "post-build",
        }],
        _ => Vec::new(),
    }
}

/// The component form from 1.6, the legacy array in 1.5 (see the module comment).
fn tools(version: CycloneDxVersion) -> Tools {
    if version >= CycloneDxVersion::V1_6 {
        Tools::Components {
            components: vec![Component {
                kind: "application",
                name: TOOL_NAME.into(),
                version: Some(TOOL_VERSION.into()),
                ..Default::default()
            }],
        }
    } else {
        Tools::Legacy(vec![LegacyTool {
            vendor: TOOL_NAME,
            name: TOOL_NAME,
            version: TOOL_VERSION,
        }])
    }
}

fn schema_of(version: CycloneDxVersion) -> &'static str {
    match version {
        CycloneDxVersion::V1_5 => "http://cyclonedx.org/schema/bom-1.5.schema.json",
        CycloneDxVersion::V1_6 => "http://cyclonedx.org/schema/bom-1.6.schema.json",
        CycloneDxVersion::V1_7 => "http://cyclonedx.org/schema/bom-1.7.schema.json",
    }
}

/// The document with its serial number, derived from the JSON body written without one.
fn bom(sbom: &Sbom, version: CycloneDxVersion) -> io::Result<Bom> {
    let mut bom = build(sbom, version)?;
    let mut h = HashWriter::default();
    serde_json::to_writer(&mut h, &bom).map_err(io::Error::other)?;
    bom.serial_number = format!("urn:uuid:{}", document_uuid(&sbom.subject, &h.0.finalize()));
    Ok(bom)
}

/// bom-refs: model ids as they are (they are unique and stable), the subject under a name of its own;
/// a clash gets a counter.
struct Refs {
    map: BTreeMap<String, String>,
    used: BTreeSet<String>,
}

impl Refs {
    fn assign(&mut self, model_id: &str, wanted: &str) -> String {
        let mut r = if wanted.is_empty() {
            "ref".to_string()
        } else {
            wanted.to_string()
        };
        let base = r.clone();
        let mut n = 2u64;
        while self.used.contains(&r) {
            r = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(r.clone());
        self.map.insert(model_id.to_string(), r.clone());
        r
    }
}

fn build(sbom: &Sbom, version: CycloneDxVersion) -> io::Result<Bom> {
    let since_1_6 = version >= CycloneDxVersion::V1_6;
    let mut refs = Refs {
        map: BTreeMap::new(),
        used: BTreeSet::new(),
    };
    let subject_ref = image_purl(&sbom.subject)
        .unwrap_or_else(|| format!("sbomkit:subject:{}", sbom.subject.name));
    let subject_ref = refs.assign(Relationship::SUBJECT, &subject_ref);
    for p in &sbom.packages {
        refs.assign(&p.id, &p.id);
    }
    for f in &sbom.files {
        refs.assign(&f.id, &f.id);
    }
    let r = |id: &str| refs.map.get(id).cloned();
    let os = sbom.os_ids();
    let parent = if since_1_6 {
        nesting(sbom, &os)
    } else {
        BTreeMap::new()
    };

    // Edges, by source.
    let mut depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut optional: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut contains: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut owners: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let file_ids: BTreeSet<&str> = sbom.files.iter().map(|f| f.id.as_str()).collect();
    let is_file = |id: &str| file_ids.contains(id);
    for rel in &sbom.relationships {
        let (Some(from), Some(to)) = (r(&rel.from), r(&rel.to)) else {
            continue;
        };
        match rel.kind {
            RelationshipKind::Contains if rel.from != Relationship::SUBJECT && is_file(&rel.to) => {
                owners.entry(rel.to.as_str()).or_default().push(from);
            }
            RelationshipKind::Contains
                if rel.from != Relationship::SUBJECT && !os.contains(rel.from.as_str()) =>
            {
                // The container it is nested under says so by nesting it.
                if parent.get(rel.to.as_str()) != Some(&rel.from.as_str()) {
                    contains
                        .entry(rel.from.as_str())
                        .or_default()
                        .push(to.clone());
                }
                depends.entry(from).or_default().insert(to);
            }
            RelationshipKind::Contains | RelationshipKind::DependsOn => {
                depends.entry(from).or_default().insert(to);
            }
            RelationshipKind::OptionalDependsOn => {
                optional
                    .entry(rel.from.as_str())
                    .or_default()
                    .push(to.clone());
                depends.entry(from).or_default().insert(to);
            }
        }
    }

    // Every component's bom-ref, nested or not, in the order of the `dependencies` array.
    let mut all_refs = Vec::new();
    let mut packages: Vec<Option<Component>> = Vec::new();
    for p in &sbom.packages {
        let bom_ref = r(&p.id).unwrap_or_default();
        all_refs.push(bom_ref.clone());
        let edges = |m: &BTreeMap<&str, Vec<String>>| m.get(p.id.as_str()).cloned();
        let edges = Edges {
            optional: edges(&optional).unwrap_or_default(),
            contains: edges(&contains).unwrap_or_default(),
        };
        packages.push(Some(package_component(sbom, p, bom_ref, &edges, since_1_6)));
    }
    // Children in package order, each under its one container (ids in `parent` are unique).
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in sbom.packages.iter().enumerate() {
        index.entry(p.id.as_str()).or_insert(i);
    }
    let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, p) in sbom.packages.iter().enumerate() {
        if let Some(container) = parent.get(p.id.as_str()) {
            children.entry(index[container]).or_default().push(i);
        }
    }
    let mut components = Vec::new();
    for (i, p) in sbom.packages.iter().enumerate() {
        if !parent.contains_key(p.id.as_str()) {
            components.extend(nest(i, &mut packages, &children));
        }
    }
    for f in &sbom.files {
        let bom_ref = r(&f.id).unwrap_or_default();
        all_refs.push(bom_ref.clone());
        let own = owners.get(f.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        components.push(file_component(sbom, f, bom_ref, own));
    }

    let mut dependencies = Vec::new();
    let mut dep = |reference: &str| Dependency {
        reference: reference.to_string(),
        depends_on: depends
            .remove(reference)
            .map(|s| s.into_iter().filter(|d| d != reference).collect())
            .unwrap_or_default(),
    };
    dependencies.push(dep(&subject_ref));
    let mut compositions = match sbom.unknowns.is_empty() {
        true => Vec::new(),
        false => vec![Composition {
            aggregate: "incomplete",
            assemblies: vec![subject_ref.clone()],
            dependencies: Vec::new(),
        }],
    };
    // Each package's `dependsOn`, grouped by what the scan knows of its completeness.
    let mut by_completeness: BTreeMap<Completeness, Vec<String>> = BTreeMap::new();
    for (p, r) in sbom.packages.iter().zip(&all_refs) {
        // A package a later layer removed is not in the image: nothing to say of its dependencies.
        if p.removed_in.is_some() {
            continue;
        }
        by_completeness
            .entry(p.dependencies)
            .or_default()
            .push(r.clone());
    }
    for (c, refs) in by_completeness {
        compositions.push(Composition {
            aggregate: completeness_word(c),
            assemblies: Vec::new(),
            dependencies: refs,
        });
    }
    for c in &all_refs {
        dependencies.push(dep(c));
    }

    Ok(Bom {
        schema: schema_of(version),
        bom_format: "CycloneDX",
        spec_version: version.as_str(),
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp: rfc3339(sbom.created)?,
            lifecycles: lifecycles(version),
            tools: tools(version),
            authors: sbom
                .author
                .iter()
                .map(|a| Contact {
                    name: a.name().to_string(),
                    email: a.email().map(str::to_string),
                })
                .collect(),
            component: subject_component(sbom, subject_ref),
            manufacturer: sbom
                .author
                .as_ref()
                .filter(|a| since_1_6 && a.kind() == ActorKind::Organization)
                .map(|a| Organization {
                    name: a.name().to_string(),
                    contact: a
                        .email()
                        .map(|e| Contact {
                            name: a.name().to_string(),
                            email: Some(e.to_string()),
                        })
                        .into_iter()
                        .collect(),
                }),
            properties: sbom
                .unknowns
                .iter()
                .map(|u| Property {
                    name: "sbomkit:unknown".into(),
                    value: u.to_string(),
                })
                .collect(),
        },
        components,
        dependencies,
        compositions,
    })
}

/// The one container each contained package is nested under: the first package (in the order of
/// the components, by id) that contains it. Not the subject or the OS (OS packages stay top-level,
/// for scanners), not a file, never in a loop (a package inside itself stays top-level), and not a
/// package whose id is not unique (only in a hand-built model).
fn nesting<'a>(sbom: &'a Sbom, os: &BTreeSet<&str>) -> BTreeMap<&'a str, &'a str> {
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    let mut twice = BTreeSet::new();
    for (i, p) in sbom.packages.iter().enumerate() {
        if rank.insert(p.id.as_str(), i).is_some() {
            twice.insert(p.id.as_str());
        }
    }
    for id in twice {
        rank.remove(id);
    }
    let contains = || {
        sbom.relationships
            .iter()
            .filter(|r| r.kind == RelationshipKind::Contains && rank.contains_key(r.to.as_str()))
    };
    let os_packages: BTreeSet<&str> = contains()
        .filter(|r| os.contains(r.from.as_str()))
        .map(|r| r.to.as_str())
        .collect();
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    for rel in contains() {
        let (from, to) = (rel.from.as_str(), rel.to.as_str());
        let Some(&at) = rank.get(from) else { continue };
        if os.contains(from) || os_packages.contains(to) {
            continue;
        }
        let first = parent.entry(to).or_insert(from);
        if at < rank[*first] {
            *first = from;
        }
    }
    // A loop is cut at its first package by id, which stays top-level.
    let ids: Vec<&str> = parent.keys().copied().collect();
    for id in ids {
        let mut seen = BTreeSet::from([id]);
        let mut at = id;
        while let Some(&up) = parent.get(at) {
            if up == id {
                parent.remove(id);
                break;
            }
            if !seen.insert(up) {
                break;
            }
            at = up;
        }
    }
    parent
}

/// The component of package `i` with the packages nested in it, taken out of `packages`.
fn nest(
    i: usize,
    packages: &mut [Option<Component>],
    children: &BTreeMap<usize, Vec<usize>>,
) -> Option<Component> {
    let mut c = packages.get_mut(i)?.take()?;
    for &child in children.get(&i).into_iter().flatten() {
        c.components.extend(nest(child, packages, children));
    }
    Some(c)
}

fn subject_component(sbom: &Sbom, bom_ref: String) -> Component {
    let s = &sbom.subject;
    let mut props = Vec::new();
    for i in &s.identities {
        props.push(prop(i.property(), i.digest.clone()));
    }
    if let Some(p) = &s.platform {
        props.push(prop("sbomkit:image:platform", p.to_string()));
    }
    for t in &s.tags {
        props.push(prop("sbomkit:image:tag", t.clone()));
    }
    for (i, l) in s.layers.iter().enumerate() {
        props.push(prop("sbomkit:image:layer", format!("{i} {}", l.diff_id)));
    }
    if let Some(c) = &s.created {
        props.push(prop("sbomkit:image:created", c.clone()));
    }
    Component {
        kind: match s.kind {
            SubjectKind::Image => "container",
            // A root filesystem folder has no better type; Syft uses `file` too.
            SubjectKind::File | SubjectKind::Directory => "file",
        },
        bom_ref,
        name: if s.name.trim().is_empty() {
            "subject".into()
        } else {
            s.name.clone()
        },
        version: s
            .version
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| super::subject_digest(s).map(str::to_string)),
        scope: None,
        hashes: subject_sha256(s)
            .map(|h| Hash {
                alg: "SHA-256",
                content: h.to_ascii_lowercase(),
            })
            .into_iter()
            .collect(),
        purl: image_purl(s),
        properties: props,
        ..Default::default()
    }
}

/// CycloneDX's name of an algorithm; `None` for one its `hash-alg` enumeration lacks.
fn hash_alg(alg: HashAlg) -> Option<&'static str> {
    Some(match alg {
        HashAlg::Md5 => "MD5",
        HashAlg::Sha1 => "SHA-1",
        HashAlg::Sha224 => return None,
        HashAlg::Sha256 => "SHA-256",
        HashAlg::Sha384 => "SHA-384",
        HashAlg::Sha512 => "SHA-512",
        HashAlg::Sha3_256 => "SHA3-256",
        HashAlg::Sha3_384 => "SHA3-384",
        HashAlg::Sha3_512 => "SHA3-512",
        HashAlg::Blake2b256 => "BLAKE2b-256",
        HashAlg::Blake2b384 => "BLAKE2b-384",
        HashAlg::Blake2b512 => "BLAKE2b-512",
        HashAlg::Blake3 => "BLAKE3",
    })
}

fn hashes<'a>(list: impl IntoIterator<Item = &'a Checksum>) -> Vec<Hash> {
    let mut out: Vec<Hash> = Vec::new();
    for c in list {
        let Some(a) = hash_alg(c.alg) else { continue };
        if out.iter().any(|h| h.alg == a) || !c.is_well_formed() {
            continue;
        }
        out.push(Hash {
            alg: a,
            content: c.value.to_ascii_lowercase(),
        });
    }
    out
}

fn licenses(p: &Package, since_1_6: bool) -> Vec<LicenseChoice> {
    let acknowledgement = since_1_6.then_some("declared");
    let usable: Vec<_> = p
        .licenses
        .iter()
        .filter(|l| {
            !l.raw.trim().is_empty() || l.spdx.as_deref().is_some_and(|s| !s.trim().is_empty())
        })
        .collect();
    if usable.is_empty() {
        return Vec::new();
    }
    // CycloneDX allows either one expression or a list of named licenses, never a mix.
    let exprs: Option<Vec<&str>> = usable
        .iter()
        .map(|l| l.spdx.as_deref().map(str::trim).filter(|s| !s.is_empty()))
        .collect();
    match exprs {
        Some(mut e) => {
            e.dedup();
            let expression = if e.len() == 1 {
                e[0].to_string()
            } else {
                e.iter()
                    .map(|p| {
                        if p.contains(' ') {
                            format!("({p})")
                        } else {
                            p.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ")
            };
            vec![LicenseChoice::Expression {
                expression,
                acknowledgement,
            }]
        }
        None => {
            let mut names: Vec<String> = Vec::new();
            for l in usable {
                let n = if l.raw.trim().is_empty() {
                    l.spdx.clone().unwrap_or_default()
                } else {
                    l.raw.trim().to_string()
                };
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            names
                .into_iter()
                .map(|name| LicenseChoice::License {
                    license: NamedLicense {
                        name,
                        acknowledgement,
                    },
                })
                .collect()
        }
    }
}

fn package_component(
    sbom: &Sbom,
    p: &Package,
    bom_ref: String,
    edges: &Edges,
    since_1_6: bool,
) -> Component {
    let originator = p.originator.as_ref();
    let mut props = Vec::new();
    if let Some((i, l)) = p
        .layer
        .and_then(|i| sbom.subject.layers.get(i).map(|l| (i, l)))
    {
        props.push(prop("sbomkit:layer", l.diff_id.clone()));
        props.push(prop("sbomkit:layer-index", i.to_string()));
    }
    if let Some((i, l)) = p
        .removed_in
        .and_then(|i| sbom.subject.layers.get(i).map(|l| (i, l)))
    {
        props.push(prop("sbomkit:layer:removed", l.diff_id.clone()));
        props.push(prop("sbomkit:layer:removed-index", i.to_string()));
    }
    if let Some(n) = &p.source_name {
        props.push(prop("sbomkit:source-package", n.clone()));
    }
    if let Some(v) = &p.source_version {
        props.push(prop("sbomkit:source-version", v.clone()));
    }
    if let Some(a) = &p.arch {
        props.push(prop("sbomkit:arch", a.clone()));
    }
    for c in p.cpes.iter().skip(1) {
        props.push(prop("sbomkit:cpe", c.clone()));
    }
    for l in &p.licenses {
        if l.spdx.as_deref().is_some_and(|s| s != l.raw) && !l.raw.is_empty() {
            props.push(prop("sbomkit:license-declared", l.raw.clone()));
        }
    }
    for o in &edges.optional {
        props.push(prop("sbomkit:optional-depends-on", o.clone()));
    }
    for c in &edges.contains {
        props.push(prop("sbomkit:contains", c.clone()));
    }
    if !p.found_by.is_empty() {
        props.push(prop("sbomkit:found-by", p.found_by.clone()));
    }
    for e in &p.evidence {
        props.push(prop("sbomkit:evidence", e.clone()));
    }
    props.push(prop("sbomkit:hashes", hashes_of(p)));
    for (k, v) in bsi_file_facts(p) {
        props.push(prop(k, v));
    }
    for (k, v) in &p.properties {
        props.push(prop(k, v.clone()));
    }
    Component {
        kind: match p.kind.purpose {
            Purpose::OperatingSystem => "operating-system",
            Purpose::Application => "application",
            Purpose::Library => "library",
        },
        bom_ref,
        supplier: p.supplier.as_ref().map(|s| Entity {
            name: s.name().to_string(),
        }),
        authors: match originator {
            Some(a) if since_1_6 => vec![Contact {
                name: a.name().to_string(),
                email: a.email().map(str::to_string),
            }],
            _ => Vec::new(),
        },
        author: match originator {
            Some(a) if !since_1_6 => Some(a.name().to_string()),
            _ => None,
        },
        name: if p.name.is_empty() {
            p.id.clone()
        } else {
            p.name.clone()
        },
        version: Some(p.version.clone()).filter(|v| !v.is_empty()),
        description: p.description.clone().filter(|d| !d.is_empty()),
        scope: p.removed_in.map(|_| "excluded"),
        hashes: hashes(&p.checksums),
        licenses: licenses(p, since_1_6),
        cpe: p.cpes.first().cloned(),
        purl: p.purl.as_deref().map(str::to_string),
        swid: match (p.kind.purpose, &sbom.distro) {
            (Purpose::OperatingSystem, Some(d)) => Some(Swid {
                tag_id: match d.version() {
                    Some(v) => format!("{}-{v}", d.id),
                    None => d.id.clone(),
                },
                name: d.id.clone(),
                version: d.version().map(str::to_string),
            }),
            _ => None,
        },
        external_references: p
            .homepage
            .as_deref()
            .and_then(usable_url)
            .map(|u| ExternalReference {
                kind: "website",
                url: u.to_string(),
                comment: None,
                hashes: Vec::new(),
            })
            .into_iter()
            .collect(),
        properties: props,
        components: Vec::new(),
        evidence: evidence(p),
    }
}

/// Evidence for what was found inside a binary or from a language manifest: the files it was found
/// in, and for a module, crate, package note or manifest, that its purl comes from analysing the
/// first of them.
fn evidence(p: &Package) -> Option<Evidence> {
    let technique = match p.kind.technique? {
        Technique::BinaryAnalysis => "binary-analysis",
        Technique::ManifestAnalysis => "manifest-analysis",
    };
    if p.evidence.is_empty() {
        return None;
    }
    let purl = p.purl.as_deref().filter(|_| p.kind.purl_is_evidence);
    let identity = match (purl, p.evidence.first()) {
        (None, _) | (_, None) => None,
        (Some(_), Some(file)) => Some(Identity {
            confidence: 1,
            field: "purl",
            methods: vec![Method {
                confidence: 1,
                technique,
                value: file.clone(),
            }],
        }),
    };
    Some(Evidence {
        identity,
        occurrences: p
            .evidence
            .iter()
            .map(|e| Occurrence {
                location: e.clone(),
            })
            .collect(),
    })
}

fn file_component(sbom: &Sbom, f: &FileRecord, bom_ref: String, owners: &[String]) -> Component {
    let sha256 = f
        .sha256
        .as_ref()
        .map(|s| Checksum::new(HashAlg::Sha256, s.clone()));
    let mut props = Vec::new();
    if let Some((i, l)) = f
        .layer
        .and_then(|i| sbom.subject.layers.get(i).map(|l| (i, l)))
    {
        props.push(prop("sbomkit:layer", l.diff_id.clone()));
        props.push(prop("sbomkit:layer-index", i.to_string()));
    }
    for o in owners {
        props.push(prop("sbomkit:package", o.clone()));
    }
    if let Some(k) = f.kind {
        props.push(prop("sbomkit:file:kind", k.to_string()));
    }
    for (k, v) in &f.properties {
        props.push(prop(k, v.clone()));
    }
    Component {
        kind: "file",
        bom_ref,
        name: if f.path.starts_with('/') {
            f.path.clone()
        } else {
            format!("/{}", f.path)
        },
        scope: None,
        hashes: hashes(sha256.iter().chain(&f.other_checksums)),
        properties: props,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{dpkg, lang::java, lang::python, os_release};

    /// Containment from 1.6: one container each (the first), recursively, OS packages and loops
    /// left at the top; 1.5 flat. `dependsOn` and `dependencies` the same in both.
    #[test]
    fn packages_nest_under_their_first_container_from_1_6_and_1_5_stays_flat() {
        let mut sbom = Sbom::default();
        let pkg = |id: &str, kind| Package {
            name: id.into(),
            ..Package::new(id, kind)
        };
        sbom.packages = vec![
            pkg("deb:a", dpkg::KIND),
            pkg("deb:b", dpkg::KIND),
            pkg("jar:inner", java::KIND),
            pkg("jar:mid", java::KIND),
            pkg("jar:outer", java::KIND),
            pkg("loop:1", java::KIND),
            pkg("loop:2", java::KIND),
            pkg("os:debian@12", os_release::KIND),
            pkg("py:x", python::KIND),
        ];
        let contains =
            |from: &str, to: &str| Relationship::new(from, RelationshipKind::Contains, to);
        sbom.relationships = vec![
            contains("deb:a", "deb:b"),
            contains("deb:a", "py:x"),
            contains("deb:b", "py:x"),
            contains("jar:mid", "jar:inner"),
            contains("jar:outer", "jar:mid"),
            contains("loop:1", "loop:2"),
            contains("loop:2", "loop:1"),
            contains("os:debian@12", "deb:a"),
            contains("os:debian@12", "deb:b"),
        ];
        sbom.normalize();
        let doc = |v| serde_json::to_value(bom(&sbom, v).unwrap()).unwrap();
        fn tree(list: &serde_json::Value) -> Vec<String> {
            let mut out = Vec::new();
            for c in list.as_array().into_iter().flatten() {
                let inner = tree(&c["components"]);
                let r = c["bom-ref"].as_str().unwrap();
                out.push(match inner.is_empty() {
                    true => r.to_string(),
                    false => format!("{r} [{}]", inner.join(", ")),
                });
            }
            out
        }
        fn find<'a>(list: &'a serde_json::Value, r: &str) -> Option<&'a serde_json::Value> {
            list.as_array()?.iter().find_map(|c| {
                (c["bom-ref"] == r)
                    .then_some(c)
                    .or_else(|| find(&c["components"], r))
            })
        }
        let contains_props = |d: &serde_json::Value, r: &str| -> Vec<String> {
            find(&d["components"], r).unwrap()["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["name"] == "sbomkit:contains")
                .map(|p| p["value"].as_str().unwrap().to_string())
                .collect()
        };
        let (flat, nested) = (doc(CycloneDxVersion::V1_5), doc(CycloneDxVersion::V1_6));
        assert_eq!(
            tree(&nested["components"]),
            [
                "deb:a [py:x]",
                "deb:b",
                "jar:outer [jar:mid [jar:inner]]",
                "loop:1 [loop:2]",
                "os:debian@12",
            ]
        );
        assert_eq!(
            doc(CycloneDxVersion::V1_7)["components"],
            nested["components"]
        );
        assert_eq!(
            contains_props(&nested, "deb:a"),
            ["deb:b"],
            "an OS package is not nested"
        );
        assert_eq!(contains_props(&nested, "jar:outer"), Vec::<String>::new());
        assert_eq!(
            contains_props(&nested, "deb:b"),
            ["py:x"],
            "not nested there"
        );
        assert_eq!(contains_props(&nested, "loop:2"), ["loop:1"]);
        assert_eq!(tree(&flat["components"]).len(), 9);
        assert!(tree(&flat["components"]).iter().all(|c| !c.contains('[')));
        assert_eq!(contains_props(&flat, "deb:a"), ["deb:b", "py:x"]);
        assert_eq!(flat["dependencies"], nested["dependencies"]);
        let deps = flat["dependencies"].as_array().unwrap();
        assert_eq!(deps.len(), 10, "the subject and every package");
        let on = |r: &str| deps.iter().find(|d| d["ref"] == r).unwrap()["dependsOn"].clone();
        assert_eq!(on("deb:a"), serde_json::json!(["deb:b", "py:x"]));
        assert_eq!(on("jar:outer"), serde_json::json!(["jar:mid"]));
    }

    #[test]
    fn hashes_in_cyclonedx_spelling_once_per_algorithm_and_well_formed() {
        let spelled = [
            (HashAlg::Md5, Some("MD5")),
            (HashAlg::Sha1, Some("SHA-1")),
            (HashAlg::Sha224, None),
            (HashAlg::Sha256, Some("SHA-256")),
            (HashAlg::Sha384, Some("SHA-384")),
            (HashAlg::Sha512, Some("SHA-512")),
            (HashAlg::Sha3_256, Some("SHA3-256")),
            (HashAlg::Sha3_384, Some("SHA3-384")),
            (HashAlg::Sha3_512, Some("SHA3-512")),
            (HashAlg::Blake2b256, Some("BLAKE2b-256")),
            (HashAlg::Blake2b384, Some("BLAKE2b-384")),
            (HashAlg::Blake2b512, Some("BLAKE2b-512")),
            (HashAlg::Blake3, Some("BLAKE3")),
        ];
        for (alg, name) in spelled {
            assert_eq!(hash_alg(alg), name, "{alg:?}");
        }
        let list = [
            Checksum::new(HashAlg::Sha256, "ab"),
            Checksum::new(HashAlg::Sha256, "AB".repeat(32)),
            Checksum::new(HashAlg::Sha256, "cd".repeat(32)),
            Checksum::new(HashAlg::Sha224, "ef".repeat(28)),
            Checksum::new(HashAlg::Md5, "01".repeat(16)),
        ];
        let got: Vec<(&str, String)> = hashes(&list)
            .into_iter()
            .map(|h| (h.alg, h.content))
            .collect();
        assert_eq!(
            got,
            [("SHA-256", "ab".repeat(32)), ("MD5", "01".repeat(16))]
        );
    }
}
