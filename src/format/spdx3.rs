//! SPDX 3.0.1 JSON-LD: the Core, Software and SimpleLicensing profiles.
//!
//! The document is one `@graph`: a `CreationInfo` (a blank node every element points to), the
//! tool and agent that made it, the `SpdxDocument` whose root element is a `software_Sbom`, whose
//! root element is the subject's `software_Package`, then packages, files, agents, licenses and
//! relationships. Element IRIs are `https://sbomkit.dev/spdx3/<name>-<uuid>#<local id>`: the UUID
//! is derived from the subject's digests and the body written with an empty namespace, as the SPDX
//! 2.3 namespace is, so the same model gives the same bytes.
//!
//! What the 2.3 writer says with `NOASSERTION` is said here by absence, which SPDX 3.0.1 defines as
//! no assertion (a missing `suppliedBy`, `hasConcludedLicense`, `software_downloadLocation`); what
//! is known to be missing is said with a relationship's `completeness`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;
use sha2::Digest;

use super::spdx::{cpe23_ok, namespace_slug, purl_ok, LicenseRefs};
use super::{
    document_uuid, hashes_of, image_purl, rfc3339, subject_sha256, usable_url, HashWriter, IdMap,
    TOOL_NAME, TOOL_VERSION,
};
use crate::model::{
    self, Actor, ActorKind, Completeness, FileForm, FileKind, FileRecord, HashAlg, Package,
    Purpose, Relationship, RelationshipKind, Sbom, SubjectKind,
};

/// The context IRI the 3.0.1 JSON schema requires, as a plain string.
pub(crate) const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const SPEC_VERSION: &str = "3.0.1";
const CREATION_INFO: &str = "_:creationinfo";

#[derive(Serialize)]
struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@graph")]
    graph: Vec<Node>,
}

/// One node of the graph. Every class written shares this shape: a class leaves the properties it
/// does not have empty, and empty properties are not written.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Node {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    blank_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spdx_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_info: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spec_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    created_by: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    created_using: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    profile_conformance: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_license: Option<String>,
    #[serde(rename = "software_sbomType", skip_serializing_if = "Vec::is_empty")]
    sbom_type: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    root_element: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    element: Vec<String>,
    #[serde(
        rename = "software_packageVersion",
        skip_serializing_if = "Option::is_none"
    )]
    package_version: Option<String>,
    #[serde(
        rename = "software_packageUrl",
        skip_serializing_if = "Option::is_none"
    )]
    package_url: Option<String>,
    #[serde(
        rename = "software_primaryPurpose",
        skip_serializing_if = "Option::is_none"
    )]
    primary_purpose: Option<&'static str>,
    #[serde(
        rename = "software_additionalPurpose",
        skip_serializing_if = "Vec::is_empty"
    )]
    additional_purpose: Vec<&'static str>,
    #[serde(rename = "software_fileKind", skip_serializing_if = "Option::is_none")]
    file_kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplied_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    originated_by: Vec<String>,
    #[serde(rename = "software_homePage", skip_serializing_if = "Option::is_none")]
    home_page: Option<String>,
    #[serde(
        rename = "software_sourceInfo",
        skip_serializing_if = "Option::is_none"
    )]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    built_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_identifier: Vec<ExternalIdentifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verified_using: Vec<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relationship_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completeness: Option<&'static str>,
    #[serde(
        rename = "simplelicensing_licenseExpression",
        skip_serializing_if = "Option::is_none"
    )]
    license_expression: Option<String>,
    #[serde(
        rename = "simplelicensing_customIdToUri",
        skip_serializing_if = "Vec::is_empty"
    )]
    custom_id_to_uri: Vec<DictionaryEntry>,
    #[serde(
        rename = "simplelicensing_licenseText",
        skip_serializing_if = "Option::is_none"
    )]
    license_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

impl Node {
    /// An element of class `kind` with its IRI and the document's creation info.
    fn element(kind: &'static str, spdx_id: String) -> Node {
        Node {
            kind,
            spdx_id: Some(spdx_id),
            creation_info: Some(CREATION_INFO),
            ..Node::default()
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalIdentifier {
    #[serde(rename = "type")]
    kind: &'static str,
    external_identifier_type: &'static str,
    identifier: String,
}

impl ExternalIdentifier {
    fn new(kind: &'static str, identifier: impl Into<String>) -> Self {
        ExternalIdentifier {
            kind: "ExternalIdentifier",
            external_identifier_type: kind,
            identifier: identifier.into(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hash {
    #[serde(rename = "type")]
    kind: &'static str,
    algorithm: &'static str,
    hash_value: String,
}

#[derive(Serialize)]
struct DictionaryEntry {
    #[serde(rename = "type")]
    kind: &'static str,
    key: String,
    value: String,
}

pub(super) fn write(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    // The IRIs are derived from the body written with an empty namespace.
    let draft = build(sbom, "")?;
    let mut h = HashWriter::default();
    serde_json::to_writer(&mut h, &draft).map_err(io::Error::other)?;
    let uuid = document_uuid(&sbom.subject, &h.0.finalize());
    let ns = format!(
        "https://sbomkit.dev/spdx3/{}-{uuid}",
        namespace_slug(&document_name(sbom))
    );
    let doc = build(sbom, &ns)?;
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

fn document_name(sbom: &Sbom) -> String {
    if sbom.subject.name.trim().is_empty() {
        "sbomkit-document".to_string()
    } else {
        sbom.subject.name.clone()
    }
}

/// Relationship completeness: what the scan knows about whether `to` is every such element.
const COMPLETE: &str = "complete";
const INCOMPLETE: &str = "incomplete";
const NO_ASSERTION: &str = "noAssertion";

fn build(sbom: &Sbom, ns: &str) -> io::Result<Document> {
    let iri = |local: &str| format!("{ns}#{local}");
    let created = rfc3339(sbom.created)?;
    let name = document_name(sbom);
    let subject = &sbom.subject;

    let document_id = iri("SpdxDocument");
    let sbom_id = iri("Sbom");
    let tool_id = iri(&format!("Tool-{TOOL_NAME}"));
    let agent_id = iri(&format!("SoftwareAgent-{TOOL_NAME}"));
    let data_license_id = iri("DataLicense");

    // Packages and files share one id space, as in the SPDX 2.3 writer.
    let mut ids = IdMap::new();
    let root_prefix = match subject.kind {
        SubjectKind::Image => "DocumentRoot-Image-",
        SubjectKind::Directory => "DocumentRoot-Directory-",
        SubjectKind::File => "DocumentRoot-File-",
    };
    let root_id = iri(&ids.assign(root_prefix, &name));
    let mut by_model: BTreeMap<&str, String> = BTreeMap::new();
    by_model.insert(Relationship::SUBJECT, root_id.clone());
    for p in &sbom.packages {
        let prefix = match p.kind.purpose {
            Purpose::OperatingSystem => "OperatingSystem-",
            _ => "Package-",
        };
        by_model.insert(&p.id, iri(&ids.assign(prefix, &p.id)));
    }
    for f in &sbom.files {
        by_model.insert(&f.id, iri(&ids.assign("File-", &f.id)));
    }

    let mut agents = Agents::new(ns);
    let mut licenses = Licenses::new(ns);
    // The SBOM author (`--author`) first, then the tool's agent; without an author only the tool.
    let author_id = sbom.author.as_ref().map(|a| agents.get(a));
    let mut graph = vec![
        Node {
            kind: "CreationInfo",
            blank_id: Some(CREATION_INFO),
            spec_version: Some(SPEC_VERSION),
            created: Some(created),
            created_by: author_id.into_iter().chain([agent_id.clone()]).collect(),
            created_using: vec![tool_id.clone()],
            ..Node::default()
        },
        Node {
            name: Some(TOOL_NAME.into()),
            ..Node::element("SoftwareAgent", agent_id)
        },
        Node {
            name: Some(format!("{TOOL_NAME}-{TOOL_VERSION}")),
            ..Node::element("Tool", tool_id)
        },
    ];

    let mut content = vec![root_package(sbom, root_id.clone())];
    for p in &sbom.packages {
        let id = by_model.get(p.id.as_str()).cloned().unwrap_or_default();
        let node = package(sbom, p, id.clone(), &mut agents);
        if let Some(expr) = licenses.declared(p) {
            licenses.edges.push((id, expr));
        }
        content.push(node);
    }
    for f in &sbom.files {
        let id = by_model.get(f.id.as_str()).cloned().unwrap_or_default();
        content.push(file(f, &subject.layers, id));
    }
    // A package that is one file in the image has it as its distribution artifact (BSI TR-03183-2
    // takes the file name, hashes and executable/archive purpose from there).
    let mut distribution = Vec::new();
    for p in &sbom.packages {
        let (Some(form), Some(path), Some(from)) =
            (p.kind.file, p.file.as_deref(), by_model.get(p.id.as_str()))
        else {
            continue;
        };
        let id = iri(&ids.assign("File-", path));
        content.push(Node {
            name: Some(path.rsplit('/').next().unwrap_or(path).to_string()),
            file_kind: Some("file"),
            additional_purpose: vec![match form {
                FileForm::Executable => "executable",
                FileForm::Archive => "archive",
            }],
            verified_using: hashes(&p.checksums),
            comment: Some(format!("sbomkit:hashes: {}", hashes_of(p))),
            ..Node::element("software_File", id.clone())
        });
        distribution.push((from.clone(), id));
    }

    let mut relationships = Vec::new();
    let mut rel_ids = IdMap::new();
    let file_ids: BTreeSet<&str> = sbom.files.iter().map(|f| f.id.as_str()).collect();
    // One relationship per source, kind and kind of target, listing every target: completeness
    // is then a statement about the whole list.
    let mut groups: BTreeMap<(&str, RelationshipKind, bool), Vec<String>> = BTreeMap::new();
    for r in &sbom.relationships {
        // Every relationship must name elements that exist.
        let (Some(_), Some(to)) = (by_model.get(r.from.as_str()), by_model.get(r.to.as_str()))
        else {
            continue;
        };
        groups
            .entry((r.from.as_str(), r.kind, file_ids.contains(r.to.as_str())))
            .or_default()
            .push(to.clone());
    }
    // A package known to depend on nothing says so.
    for p in &sbom.packages {
        if p.dependencies == Completeness::Complete
            && p.removed_in.is_none()
            && by_model.contains_key(p.id.as_str())
        {
            groups
                .entry((p.id.as_str(), RelationshipKind::DependsOn, false))
                .or_insert_with(|| vec!["NoneElement".to_string()]);
        }
    }
    let depends_completeness: BTreeMap<&str, &'static str> = sbom
        .packages
        .iter()
        .map(|p| {
            let c = match p.dependencies {
                Completeness::Complete => COMPLETE,
                Completeness::Incomplete => INCOMPLETE,
                Completeness::Unknown => NO_ASSERTION,
            };
            (p.id.as_str(), c)
        })
        .collect();
    // A subject with nothing listed but something unread still says that its contents are
    // incomplete: it contains elements of unknown number.
    if !sbom.unknowns.is_empty() {
        groups
            .entry((Relationship::SUBJECT, RelationshipKind::Contains, false))
            .or_insert_with(|| vec!["NoAssertionElement".to_string()]);
    }
    for ((from, kind, to_files), to) in groups {
        let from_id = by_model.get(from).cloned().unwrap_or_default();
        let (rel_type, completeness) = match kind {
            // Something in the subject was seen but not read: its list of contents is incomplete.
            RelationshipKind::Contains if from == Relationship::SUBJECT => (
                "contains",
                if sbom.unknowns.is_empty() {
                    NO_ASSERTION
                } else {
                    INCOMPLETE
                },
            ),
            // With `--files` every file a package's database lists and the image holds is listed.
            RelationshipKind::Contains if to_files => (
                "contains",
                if sbom.files_partial {
                    INCOMPLETE
                } else {
                    COMPLETE
                },
            ),
            RelationshipKind::Contains => ("contains", NO_ASSERTION),
            RelationshipKind::DependsOn => (
                "dependsOn",
                depends_completeness
                    .get(from)
                    .copied()
                    .unwrap_or(NO_ASSERTION),
            ),
            RelationshipKind::OptionalDependsOn => ("hasOptionalDependency", NO_ASSERTION),
        };
        let local = local_part(&from_id);
        let suffix = if to_files { "-files" } else { "" };
        let id = iri(&rel_ids.assign("Relationship-", &format!("{local}-{rel_type}{suffix}")));
        relationships.push(Node {
            from: Some(from_id),
            relationship_type: Some(rel_type),
            to,
            completeness: Some(completeness),
            ..Node::element("Relationship", id)
        });
    }
    for (from_id, file_id) in distribution {
        let local = local_part(&from_id);
        let id = iri(&rel_ids.assign("Relationship-", &format!("{local}-hasDistributionArtifact")));
        relationships.push(Node {
            from: Some(from_id),
            relationship_type: Some("hasDistributionArtifact"),
            to: vec![file_id],
            ..Node::element("Relationship", id)
        });
    }
    let (license_nodes, license_edges) = licenses.finish();
    for (from_id, expr_id) in license_edges {
        let local = local_part(&from_id);
        let id = iri(&rel_ids.assign("Relationship-", &format!("{local}-hasDeclaredLicense")));
        relationships.push(Node {
            from: Some(from_id),
            relationship_type: Some("hasDeclaredLicense"),
            to: vec![expr_id],
            ..Node::element("Relationship", id)
        });
    }

    content.extend(agents.into_nodes());
    content.extend(license_nodes);
    content.extend(relationships);

    let mut members: Vec<String> = content.iter().filter_map(|n| n.spdx_id.clone()).collect();
    // The SBOM holds what was found; the document also holds the SBOM, its creators and its license.
    let sbom_node = Node {
        name: Some(name.clone()),
        // The scan analyses an artifact after its build.
        sbom_type: vec!["analyzed"],
        root_element: vec![root_id],
        element: members.clone(),
        ..Node::element("software_Sbom", sbom_id.clone())
    };
    members.insert(0, sbom_id.clone());
    for n in &graph[1..] {
        members.extend(n.spdx_id.clone());
    }
    members.push(data_license_id.clone());
    let document = Node {
        name: Some(name),
        profile_conformance: vec!["core", "software", "simpleLicensing"],
        data_license: Some(data_license_id.clone()),
        root_element: vec![sbom_id],
        element: members,
        comment: document_comment(sbom),
        ..Node::element("SpdxDocument", document_id)
    };
    graph.push(document);
    graph.push(Node {
        license_expression: Some("CC0-1.0".into()),
        ..Node::element("simplelicensing_LicenseExpression", data_license_id)
    });
    graph.push(sbom_node);
    graph.extend(content);
    Ok(Document {
        context: CONTEXT,
        graph,
    })
}

/// The fragment of an element IRI (what follows `#`).
fn local_part(iri: &str) -> &str {
    iri.rsplit_once('#').map_or(iri, |(_, l)| l)
}

/// What the document does not say, as the SPDX 2.3 document comment says it.
fn document_comment(sbom: &Sbom) -> Option<String> {
    let lines = super::incompleteness_lines(sbom);
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn root_package(sbom: &Sbom, id: String) -> Node {
    let s = &sbom.subject;
    let mut node = Node {
        name: Some(if s.name.trim().is_empty() {
            "subject".to_string()
        } else {
            s.name.clone()
        }),
        package_version: s
            .version
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| super::subject_digest(s).map(str::to_string)),
        primary_purpose: Some(match s.kind {
            SubjectKind::Image => "container",
            SubjectKind::File => "file",
            SubjectKind::Directory => "other",
        }),
        built_time: s.created_unix().and_then(|c| rfc3339(c).ok()),
        ..Node::element("software_Package", id)
    };
    if let Some(hex) = subject_sha256(s) {
        node.verified_using.push(hash(HashAlg::Sha256, hex));
    }
    if let Some(purl) = image_purl(s) {
        node.external_identifier
            .push(ExternalIdentifier::new("packageUrl", purl.clone()));
        node.package_url = Some(purl);
    }
    let mut lines = Vec::new();
    let area = if s.kind == SubjectKind::File {
        "file"
    } else {
        "image"
    };
    for i in &s.identities {
        lines.push(format!("{}: {}", i.property(), i.digest));
    }
    if let Some(pl) = s.platform.as_ref().filter(|_| s.kind != SubjectKind::File) {
        lines.push(format!("sbomkit:image:platform: {pl}"));
    }
    for t in &s.tags {
        lines.push(format!("sbomkit:{area}:tag: {t}"));
    }
    for (i, l) in s.layers.iter().enumerate() {
        lines.push(format!("sbomkit:{area}:layer: {i} {}", l.diff_id));
    }
    node.comment = (!lines.is_empty()).then(|| lines.join("\n"));
    node
}

fn package(sbom: &Sbom, pkg: &Package, id: String, agents: &mut Agents) -> Node {
    let mut node = Node {
        name: Some(if pkg.name.is_empty() {
            pkg.id.clone()
        } else {
            pkg.name.clone()
        }),
        package_version: Some(pkg.version.clone()).filter(|v| !v.is_empty()),
        primary_purpose: Some(match pkg.kind.purpose {
            Purpose::OperatingSystem => "operatingSystem",
            Purpose::Library => "library",
            Purpose::Application => "application",
        }),
        supplied_by: pkg.supplier.as_ref().map(|a| agents.get(a)),
        originated_by: pkg.originator.iter().map(|a| agents.get(a)).collect(),
        home_page: pkg
            .homepage
            .as_deref()
            .and_then(usable_url)
            .map(str::to_string),
        source_info: match (&pkg.source_name, &pkg.source_version) {
            (Some(n), Some(v)) => Some(format!("built package from: {n} {v}")),
            (Some(n), None) => Some(format!("built package from: {n}")),
            _ => None,
        },
        description: pkg.description.clone().filter(|d| !d.is_empty()),
        verified_using: hashes(&pkg.checksums),
        ..Node::element("software_Package", id)
    };
    if let Some(purl) = pkg.purl.as_deref().filter(|u| purl_ok(u)) {
        node.external_identifier
            .push(ExternalIdentifier::new("packageUrl", purl));
        node.package_url = Some(purl.to_string());
    }
    for cpe in &pkg.cpes {
        let kind = if cpe23_ok(cpe) {
            "cpe23"
        } else if cpe.starts_with("cpe:/") && !cpe.contains(char::is_whitespace) {
            "cpe22"
        } else {
            continue;
        };
        node.external_identifier
            .push(ExternalIdentifier::new(kind, cpe.clone()));
    }
    let mut lines = Vec::new();
    if !pkg.found_by.is_empty() {
        lines.push(format!("sbomkit:found-by: {}", pkg.found_by));
    }
    for e in &pkg.evidence {
        lines.push(format!("sbomkit:evidence: {e}"));
    }
    if let Some((i, l)) = pkg
        .layer
        .and_then(|i| sbom.subject.layers.get(i).map(|l| (i, l)))
    {
        lines.push(format!("sbomkit:layer: {i} {}", l.diff_id));
    }
    lines.push(format!("sbomkit:hashes: {}", hashes_of(pkg)));
    for (k, v) in &pkg.properties {
        lines.push(format!("{k}: {v}"));
    }
    node.comment = (!lines.is_empty()).then(|| lines.join("\n"));
    node
}

fn file(f: &FileRecord, layers: &[model::Layer], id: String) -> Node {
    let mut list = f.other_checksums.clone();
    if let Some(s) = &f.sha256 {
        list.push(model::Checksum::new(HashAlg::Sha256, s.clone()));
    }
    list.sort_by_key(|c| c.alg);
    let mut lines = Vec::new();
    if let Some((i, l)) = f.layer.and_then(|i| layers.get(i).map(|l| (i, l))) {
        lines.push(format!("sbomkit:layer: {i} {}", l.diff_id));
    }
    if let Some(k) = f.kind {
        lines.push(format!("sbomkit:file:kind: {k}"));
    }
    for (k, v) in &f.properties {
        lines.push(format!("{k}: {v}"));
    }
    Node {
        name: Some(f.path.clone()),
        file_kind: Some("file"),
        primary_purpose: match f.kind {
            Some(FileKind::Executable) => Some("executable"),
            Some(FileKind::SharedLibrary) => Some("library"),
            Some(FileKind::OtherBinary) | None => None,
        },
        verified_using: hashes(&list),
        comment: (!lines.is_empty()).then(|| lines.join("\n")),
        ..Node::element("software_File", id)
    }
}

/// SPDX 3 spells hash algorithms in lower camel case without separators (`sha3_256` aside).
fn algorithm(alg: HashAlg) -> &'static str {
    match alg {
        HashAlg::Md5 => "md5",
        HashAlg::Sha1 => "sha1",
        HashAlg::Sha224 => "sha224",
        HashAlg::Sha256 => "sha256",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
        HashAlg::Sha3_256 => "sha3_256",
        HashAlg::Sha3_384 => "sha3_384",
        HashAlg::Sha3_512 => "sha3_512",
        HashAlg::Blake2b256 => "blake2b256",
        HashAlg::Blake2b384 => "blake2b384",
        HashAlg::Blake2b512 => "blake2b512",
        HashAlg::Blake3 => "blake3",
    }
}

fn hash(alg: HashAlg, value: &str) -> Hash {
    Hash {
        kind: "Hash",
        algorithm: algorithm(alg),
        hash_value: value.to_ascii_lowercase(),
    }
}

/// Well-formed digests, one per algorithm.
fn hashes(list: &[model::Checksum]) -> Vec<Hash> {
    let mut out: Vec<Hash> = Vec::new();
    let mut seen = Vec::new();
    for c in list.iter().filter(|c| c.is_well_formed()) {
        if !seen.contains(&c.alg) {
            seen.push(c.alg);
            out.push(hash(c.alg, &c.value));
        }
    }
    out
}

/// Suppliers and originators: one `Person` or `Organization` element per distinct actor.
struct Agents<'a> {
    ns: &'a str,
    /// One id map per class: a person and an organization may have one name.
    people: IdMap,
    organizations: IdMap,
    nodes: BTreeMap<String, Node>,
}

impl<'a> Agents<'a> {
    fn new(ns: &'a str) -> Self {
        Agents {
            ns,
            people: IdMap::new(),
            organizations: IdMap::new(),
            nodes: BTreeMap::new(),
        }
    }

    fn get(&mut self, a: &Actor) -> String {
        let (kind, ids) = match a.kind() {
            ActorKind::Person => ("Person", &mut self.people),
            ActorKind::Organization => ("Organization", &mut self.organizations),
        };
        let key = match a.email() {
            Some(m) => format!("{} {m}", a.name()),
            None => a.name().to_string(),
        };
        let id = format!("{}#{}", self.ns, ids.assign(&format!("{kind}-"), &key));
        self.nodes.entry(id.clone()).or_insert_with(|| Node {
            name: Some(a.name().to_string()),
            external_identifier: a
                .email()
                .map(|m| ExternalIdentifier::new("email", m))
                .into_iter()
                .collect(),
            ..Node::element(kind, id.clone())
        });
        id
    }

    fn into_nodes(self) -> impl Iterator<Item = Node> {
        self.nodes.into_values()
    }
}

/// Declared licenses: one `simplelicensing_LicenseExpression` per distinct expression, and one
/// `simplelicensing_SimpleLicensingText` per `LicenseRef-` it uses, linked by `customIdToUri`.
struct Licenses<'a> {
    ns: &'a str,
    refs: LicenseRefs,
    /// expression → its element's IRI
    expressions: BTreeMap<String, String>,
    ids: IdMap,
    /// (package IRI, expression) in package order
    edges: Vec<(String, String)>,
}

impl<'a> Licenses<'a> {
    fn new(ns: &'a str) -> Self {
        Licenses {
            ns,
            refs: LicenseRefs::new(),
            expressions: BTreeMap::new(),
            ids: IdMap::new(),
            edges: Vec::new(),
        }
    }

    /// The package's declared expression, when it declares one.
    fn declared(&mut self, pkg: &Package) -> Option<String> {
        let expr = self.refs.declared(pkg).0?.to_string();
        if !self.expressions.contains_key(&expr) {
            let id = format!("{}#{}", self.ns, self.ids.assign("License-", &expr));
            self.expressions.insert(expr.clone(), id);
        }
        Some(expr)
    }

    /// The license elements, and (package IRI, expression IRI) for each declaration.
    fn finish(self) -> (Vec<Node>, Vec<(String, String)>) {
        // Its own id map: an expression that is one `LicenseRef-` has the same key as its text.
        let mut ids = IdMap::new();
        let mut texts = BTreeMap::new();
        let mut nodes = Vec::new();
        for info in self.refs.into_infos() {
            let id = format!(
                "{}#{}",
                self.ns,
                ids.assign("LicenseText-", &info.license_identifier)
            );
            texts.insert(info.license_identifier.clone(), id.clone());
            nodes.push(Node {
                name: Some(info.license_name),
                license_text: Some(info.extracted_text),
                comment: info.license_comment,
                ..Node::element("simplelicensing_SimpleLicensingText", id)
            });
        }
        let mut expr_nodes = Vec::new();
        for (expr, id) in &self.expressions {
            let mut used: Vec<&str> = expr
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .filter(|t| t.starts_with("LicenseRef-"))
                .collect();
            used.sort_unstable();
            used.dedup();
            let custom_id_to_uri = used
                .into_iter()
                .filter_map(|t| {
                    texts.get(t).map(|uri| DictionaryEntry {
                        kind: "DictionaryEntry",
                        key: t.to_string(),
                        value: uri.clone(),
                    })
                })
                .collect();
            expr_nodes.push(Node {
                license_expression: Some(expr.clone()),
                custom_id_to_uri,
                ..Node::element("simplelicensing_LicenseExpression", id.clone())
            });
        }
        expr_nodes.extend(nodes);
        let edges = self
            .edges
            .into_iter()
            .filter_map(|(pkg, expr)| self.expressions.get(&expr).map(|id| (pkg, id.clone())))
            .collect();
        (expr_nodes, edges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_algorithms_are_spelled_as_the_3_0_1_vocabulary() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/spdx3/spdx-json-schema.json"))
                .unwrap();
        let allowed = &schema["$defs"]["prop_Hash_algorithm"]["enum"];
        for alg in [
            HashAlg::Md5,
            HashAlg::Sha1,
            HashAlg::Sha224,
            HashAlg::Sha256,
            HashAlg::Sha384,
            HashAlg::Sha512,
            HashAlg::Sha3_256,
            HashAlg::Sha3_384,
            HashAlg::Sha3_512,
            HashAlg::Blake2b256,
            HashAlg::Blake2b384,
            HashAlg::Blake2b512,
            HashAlg::Blake3,
        ] {
            let name = algorithm(alg);
            assert!(
                allowed.as_array().unwrap().iter().any(|a| a == name),
                "{alg:?}: {name}"
            );
        }
    }

    #[test]
    fn hashes_are_well_formed_lower_case_and_once_per_algorithm() {
        let sha1 = "AB".repeat(20);
        let list = [
            model::Checksum::new(HashAlg::Sha1, "ab"),
            model::Checksum::new(HashAlg::Sha1, sha1.clone()),
            model::Checksum::new(HashAlg::Sha1, "cd".repeat(20)),
        ];
        let out = hashes(&list);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].algorithm, out[0].hash_value.as_str()),
            ("sha1", sha1.to_ascii_lowercase().as_str())
        );
    }
}
