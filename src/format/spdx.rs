//! SPDX 2.3 JSON, and tag-value (`tag_value.rs`) from the same [`Document`].
//!
//! Built on the `spdx-rs` model where its serialisation is right for SPDX 2.3: packages, files,
//! checksums, relationships, external references (`PACKAGE-MANAGER`, `SECURITY`), the
//! `primaryPackagePurpose` JSON form (`OPERATING_SYSTEM`) and extracted licensing infos. Two things are
//! wrapped, because `spdx-rs` 0.5 gets them wrong for the 2.3 JSON schema:
//! - its `Annotation` always writes `"spdxIdentifierReference": null`, a property the schema forbids
//!   (`additionalProperties: false`), so annotations use [`Annotation`] below, attached through
//!   [`Package`];
//! - its `SPDX` document always writes empty `files`, `snippets` and `hasExtractedLicensingInfos`
//!   arrays, so the document is [`Document`], which omits what is empty.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;
use sha2::Digest;
use spdx_rs::models::{
    Algorithm, Checksum, CreationInfo, DocumentCreationInformation, ExternalPackageReference,
    ExternalPackageReferenceCategory, FileInformation, FileType, OtherLicensingInformationDetected,
    PackageInformation, PackageVerificationCode, PrimaryPackagePurpose,
    Relationship as SpdxRelationship, RelationshipType, SpdxExpression,
};

use super::{
    document_uuid, image_purl, rfc3339, subject_sha256, usable_url, HashWriter, IdMap, TOOL_NAME,
    TOOL_VERSION,
};

mod tag_value;
use crate::model::{
    self, Actor, ActorKind, Completeness, FileKind, FileRecord, HashAlg, Package, Purpose,
    Relationship, RelationshipKind, Sbom, SubjectKind,
};

const NOASSERTION: &str = "NOASSERTION";
const NONE: &str = "NONE";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

#[derive(Serialize)]
struct Document {
    #[serde(flatten)]
    info: DocumentCreationInformation,
    packages: Vec<Package2>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<FileInformation>,
    #[serde(
        rename = "hasExtractedLicensingInfos",
        skip_serializing_if = "Vec::is_empty"
    )]
    extracted: Vec<OtherLicensingInformationDetected>,
    relationships: Vec<SpdxRelationship>,
}

/// A `spdx-rs` package plus annotations in the form the schema accepts.
#[derive(Serialize)]
struct Package2 {
    #[serde(flatten)]
    inner: PackageInformation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_date: String,
    annotation_type: &'static str,
    annotator: String,
    comment: String,
}

pub(super) fn write(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    let doc = document(sbom)?;
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The same document as tag-value, with the same namespace as the JSON.
pub(super) fn write_tag_value(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    tag_value::write(&document(sbom)?, out)
}

/// The namespace of `sbom`'s document and the element it describes, as its JSON and tag-value
/// name them: what another document's `externalDocumentRefs` point at.
pub(super) fn ids(sbom: &Sbom) -> io::Result<(String, String)> {
    let doc = document(sbom)?;
    let root = doc
        .relationships
        .iter()
        .find(|r| {
            r.spdx_element_id == DOCUMENT_ID && r.relationship_type == RelationshipType::Describes
        })
        .map(|r| r.related_spdx_element.clone())
        .unwrap_or_default();
    Ok((doc.info.spdx_document_namespace, root))
}

/// A document built as JSON (the index document), in tag-value: read into the same [`Document`]
/// the tag-value writer renders, so both say the same.
pub(super) fn write_tag_value_of(json: &serde_json::Value, out: &mut dyn Write) -> io::Result<()> {
    fn part<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> io::Result<T> {
        T::deserialize(v).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
    let none = serde_json::Value::Array(Vec::new());
    let packages: Vec<PackageInformation> = part(json.get("packages").unwrap_or(&none))?;
    let doc = Document {
        info: part(json)?,
        packages: packages
            .into_iter()
            .map(|inner| Package2 {
                inner,
                annotations: Vec::new(),
            })
            .collect(),
        files: part(json.get("files").unwrap_or(&none))?,
        extracted: part(json.get("hasExtractedLicensingInfos").unwrap_or(&none))?,
        relationships: part(json.get("relationships").unwrap_or(&none))?,
    };
    tag_value::write(&doc, out)
}

/// The document with its namespace.
fn document(sbom: &Sbom) -> io::Result<Document> {
    let mut doc = build(sbom)?;
    // The namespace is derived from the body written with an empty namespace.
    let mut h = HashWriter::default();
    serde_json::to_writer(&mut h, &doc).map_err(io::Error::other)?;
    let uuid = document_uuid(&sbom.subject, &h.0.finalize());
    doc.info.spdx_document_namespace = format!(
        "https://sbomkit.dev/spdx/{}-{}",
        namespace_slug(&doc.info.document_name),
        uuid
    );
    Ok(doc)
}

pub(super) fn namespace_slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "document".to_string()
    } else {
        s.to_string()
    }
}

fn build(sbom: &Sbom) -> io::Result<Document> {
    let created = rfc3339(sbom.created)?;
    let created_chrono = chrono::DateTime::from_timestamp(sbom.created, 0)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "document time out of range"))?;
    let tool = format!("Tool: {TOOL_NAME}-{TOOL_VERSION}");
    let subject = &sbom.subject;
    let name = if subject.name.trim().is_empty() {
        "sbomkit-document".to_string()
    } else {
        subject.name.clone()
    };

    let mut ids = IdMap::new();
    ids.reserve(DOCUMENT_ID);
    let root_prefix = match subject.kind {
        SubjectKind::Image => "SPDXRef-DocumentRoot-Image-",
        SubjectKind::Directory => "SPDXRef-DocumentRoot-Directory-",
        SubjectKind::File => "SPDXRef-DocumentRoot-File-",
    };
    let root_id = ids.assign(root_prefix, &name);
    // The subject is addressed by its own model id in relationships.
    let mut by_model: BTreeMap<&str, String> = BTreeMap::new();
    by_model.insert(Relationship::SUBJECT, root_id.clone());
    for p in &sbom.packages {
        // Scanners (Trivy) recognise the operating system by this prefix, as apko and Trivy write it.
        let prefix = match p.kind.purpose {
            Purpose::OperatingSystem => "SPDXRef-OperatingSystem-",
            _ => "SPDXRef-Package-",
        };
        by_model.insert(&p.id, ids.assign(prefix, &p.id));
    }

    // SPDX 2.3 requires a SHA1 for every file. The writer cannot compute one (it never reads the
    // source), so files whose scan recorded no SHA1 are left out and counted in the document comment.
    let mut files = Vec::new();
    let mut files_without_sha1 = 0usize;
    for f in &sbom.files {
        match file_info(f, &sbom.subject.layers, &mut ids) {
            Some(info) => {
                by_model.insert(&f.id, info.file_spdx_identifier.clone());
                files.push(info);
            }
            None => files_without_sha1 += 1,
        }
    }

    // A package that CONTAINS listed files must say `filesAnalyzed: true` (SPDX 2.3 and pyspdxtools
    // reject file relationships under `filesAnalyzed: false`). Its verification code is written only
    // when every file it owns is listed, since the code covers all of them.
    let sha1_of: BTreeMap<&str, &str> = files_sha1(&sbom.files);
    let file_ids: BTreeSet<&str> = sbom.files.iter().map(|f| f.id.as_str()).collect();
    let mut owned: BTreeMap<&str, (Vec<&str>, bool)> = BTreeMap::new();
    for r in &sbom.relationships {
        let is_file = file_ids.contains(r.to.as_str());
        if r.kind == RelationshipKind::Contains && r.from != Relationship::SUBJECT && is_file {
            let e = owned.entry(r.from.as_str()).or_insert((Vec::new(), true));
            match sha1_of.get(r.to.as_str()) {
                Some(h) => e.0.push(h),
                None => e.1 = false,
            }
        }
    }

    let mut licenses = LicenseRefs::new();
    let mut packages = vec![root_package(sbom, &root_id, &created, &tool)];
    for p in &sbom.packages {
        let id = by_model.get(p.id.as_str()).cloned().unwrap_or_default();
        let mut pkg = package(sbom, p, id, &mut licenses, &created, &tool);
        if let Some((sums, complete)) = owned.get(p.id.as_str()) {
            if !sums.is_empty() {
                pkg.inner.files_analyzed = Some(true);
                if *complete && !sbom.files_partial {
                    pkg.inner.package_verification_code = Some(verification_code(sums));
                }
            }
        }
        packages.push(pkg);
    }

    let mut relationships = vec![SpdxRelationship::new(
        DOCUMENT_ID,
        &root_id,
        RelationshipType::Describes,
        None,
    )];
    for r in &sbom.relationships {
        // Edges to things not in the document (for example a file left out above) are dropped: every
        // relationship must name elements that exist.
        let (Some(from), Some(to)) = (by_model.get(r.from.as_str()), by_model.get(r.to.as_str()))
        else {
            continue;
        };
        let rel = match r.kind {
            RelationshipKind::Contains => {
                SpdxRelationship::new(from, to, RelationshipType::Contains, None)
            }
            RelationshipKind::DependsOn => {
                SpdxRelationship::new(from, to, RelationshipType::DependsOn, None)
            }
            // SPDX 2.3: "A OPTIONAL_DEPENDENCY_OF B: A is an optional dependency of B", so the edge turns.
            RelationshipKind::OptionalDependsOn => {
                SpdxRelationship::new(to, from, RelationshipType::OptionalDependencyOf, None)
            }
        };
        relationships.push(rel);
    }
    // What the scan knows of each package's dependencies: `NONE` where it knows there are none,
    // `NOASSERTION` where more may exist than are listed.
    let depends_from: BTreeSet<&str> = sbom
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::DependsOn)
        .map(|r| r.from.as_str())
        .collect();
    // A package a later layer removed stands apart, with no edges.
    for p in sbom.packages.iter().filter(|p| p.removed_in.is_none()) {
        let Some(from) = by_model.get(p.id.as_str()) else {
            continue;
        };
        let to = match p.dependencies {
            Completeness::Complete if depends_from.contains(p.id.as_str()) => continue,
            Completeness::Complete => NONE,
            Completeness::Incomplete | Completeness::Unknown => NOASSERTION,
        };
        relationships.push(SpdxRelationship::new(
            from,
            to,
            RelationshipType::DependsOn,
            None,
        ));
    }

    let mut comment = Vec::new();
    if files_without_sha1 > 0 {
        comment.push(format!(
            "{files_without_sha1} file(s) recorded by the scan are not listed: SPDX 2.3 requires a SHA1 \
             checksum for files and none was recorded for them."
        ));
    }
    comment.extend(super::incompleteness_lines(sbom));

    Ok(Document {
        info: DocumentCreationInformation {
            spdx_version: "SPDX-2.3".into(),
            data_license: "CC0-1.0".into(),
            spdx_identifier: DOCUMENT_ID.into(),
            document_name: name,
            spdx_document_namespace: String::new(),
            external_document_references: Vec::new(),
            creation_info: CreationInfo {
                license_list_version: None,
                creators: std::iter::once(tool)
                    .chain(sbom.author.as_ref().map(actor))
                    .collect(),
                created: created_chrono,
                creator_comment: None,
            },
            document_comment: (!comment.is_empty()).then(|| comment.join("\n")),
            document_describes: Vec::new(),
        },
        packages,
        files,
        extracted: licenses.into_infos(),
        relationships,
    })
}

fn noassertion() -> Option<SpdxExpression> {
    SpdxExpression::parse(NOASSERTION).ok()
}

fn base_package(name: &str, id: String) -> PackageInformation {
    PackageInformation {
        package_name: name.to_string(),
        package_spdx_identifier: id,
        package_download_location: NOASSERTION.into(),
        files_analyzed: Some(false),
        concluded_license: noassertion(),
        declared_license: noassertion(),
        copyright_text: Some(NOASSERTION.into()),
        ..PackageInformation::default()
    }
}

fn other_annotation(created: &str, tool: &str, comment: String) -> Annotation {
    Annotation {
        annotation_date: created.to_string(),
        annotation_type: "OTHER",
        annotator: tool.to_string(),
        comment,
    }
}

fn root_package(sbom: &Sbom, id: &str, created: &str, tool: &str) -> Package2 {
    let s = &sbom.subject;
    let name = if s.name.trim().is_empty() {
        "subject"
    } else {
        s.name.as_str()
    };
    let mut p = base_package(name, id.to_string());
    p.package_supplier = Some(NOASSERTION.into());
    p.primary_package_purpose = Some(match s.kind {
        SubjectKind::Image => PrimaryPackagePurpose::Container,
        SubjectKind::File => PrimaryPackagePurpose::File,
        // A root filesystem is neither source code nor one file: OTHER, not SOURCE.
        SubjectKind::Directory => PrimaryPackagePurpose::Other,
    });
    p.package_version = s
        .version
        .clone()
        .filter(|v| !v.is_empty())
        .or_else(|| super::subject_digest(s).map(str::to_string));
    if let Some(hex) = subject_sha256(s) {
        p.package_checksum
            .push(Checksum::new(Algorithm::SHA256, hex));
    }
    if let Some(purl) = image_purl(s) {
        p.external_reference.push(ExternalPackageReference::new(
            ExternalPackageReferenceCategory::PackageManager,
            "purl".into(),
            purl,
            None,
        ));
    }
    if let Some(c) = s.created_unix() {
        p.built_date = rfc3339(c).ok();
    }
    let mut lines = Vec::new();
    for i in &s.identities {
        lines.push(format!("{}: {}", i.property(), i.digest));
    }
    if let Some(pl) = &s.platform {
        lines.push(format!("sbomkit:image:platform: {pl}"));
    }
    for t in &s.tags {
        lines.push(format!("sbomkit:image:tag: {t}"));
    }
    let mut annotations = Vec::new();
    for (i, l) in s.layers.iter().enumerate() {
        annotations.push(other_annotation(
            created,
            tool,
            format!("sbomkit:image:layer: {i} {}", l.diff_id),
        ));
    }
    if s.kind == SubjectKind::File {
        lines.retain(|l| !l.starts_with("sbomkit:image:platform"));
        for l in &mut lines {
            *l = l.replace("sbomkit:image:", "sbomkit:file:");
        }
    }
    p.package_comment = (!lines.is_empty()).then(|| lines.join("\n"));
    Package2 {
        inner: p,
        annotations,
    }
}

/// SPDX's actor form: `Person: NAME (EMAIL)`, `Organization: NAME`.
fn actor(a: &Actor) -> String {
    let kind = match a.kind() {
        ActorKind::Person => "Person",
        ActorKind::Organization => "Organization",
    };
    match a.email() {
        Some(mail) => format!("{kind}: {} ({mail})", a.name()),
        None => format!("{kind}: {}", a.name()),
    }
}

fn package(
    sbom: &Sbom,
    pkg: &Package,
    id: String,
    licenses: &mut LicenseRefs,
    created: &str,
    tool: &str,
) -> Package2 {
    let name = if pkg.name.is_empty() {
        pkg.id.as_str()
    } else {
        pkg.name.as_str()
    };
    let mut p = base_package(name, id);
    p.package_version = Some(pkg.version.clone()).filter(|v| !v.is_empty());
    p.package_supplier = Some(
        pkg.supplier
            .as_ref()
            .map_or_else(|| NOASSERTION.to_string(), actor),
    );
    p.package_originator = pkg.originator.as_ref().map(actor);
    p.package_home_page = pkg
        .homepage
        .as_deref()
        .and_then(usable_url)
        .map(str::to_string);
    p.package_detailed_description = pkg.description.clone().filter(|d| !d.is_empty());
    p.source_information = match (&pkg.source_name, &pkg.source_version) {
        (Some(n), Some(v)) => Some(format!("built package from: {n} {v}")),
        (Some(n), None) => Some(format!("built package from: {n}")),
        _ => None,
    };
    p.package_checksum = checksums(&pkg.checksums);
    let (declared, comment) = licenses.declared(pkg);
    p.declared_license = declared.or_else(noassertion);
    p.comments_on_license = comment;
    if let Some(purl) = pkg.purl.as_deref().filter(|u| purl_ok(u)) {
        p.external_reference.push(ExternalPackageReference::new(
            ExternalPackageReferenceCategory::PackageManager,
            "purl".into(),
            purl.to_string(),
            None,
        ));
    }
    for cpe in &pkg.cpes {
        let kind = if cpe23_ok(cpe) {
            "cpe23Type"
        } else if cpe.starts_with("cpe:/") && !cpe.contains(char::is_whitespace) {
            "cpe22Type"
        } else {
            continue;
        };
        p.external_reference.push(ExternalPackageReference::new(
            ExternalPackageReferenceCategory::Security,
            kind.into(),
            cpe.clone(),
            None,
        ));
    }
    p.primary_package_purpose = Some(match pkg.kind.purpose {
        Purpose::OperatingSystem => PrimaryPackagePurpose::OperatingSystem,
        // OS and language packages are installed components other software links to or runs: LIBRARY,
        // matching CycloneDX's `library` and what Syft and Trivy write.
        Purpose::Library => PrimaryPackagePurpose::Library,
        Purpose::Application => PrimaryPackagePurpose::Application,
    });

    let mut lines = Vec::new();
    if !pkg.found_by.is_empty() {
        lines.push(format!("sbomkit:found-by: {}", pkg.found_by));
    }
    for e in &pkg.evidence {
        lines.push(format!("sbomkit:evidence: {e}"));
    }
    lines.push(format!("sbomkit:hashes: {}", super::hashes_of(pkg)));
    for (k, v) in &pkg.properties {
        lines.push(format!("{k}: {v}"));
    }
    p.package_comment = (!lines.is_empty()).then(|| lines.join("\n"));
    // The deployable form's file name, where the package is one file in the image.
    p.package_file_name = super::bsi_file_facts(pkg)
        .into_iter()
        .find(|(k, _)| *k == "bsi:component:filename")
        .map(|(_, v)| v);

    let mut annotations = Vec::new();
    if let Some(layer) = pkg
        .layer
        .and_then(|i| sbom.subject.layers.get(i).map(|l| (i, l)))
    {
        annotations.push(other_annotation(
            created,
            tool,
            format!("sbomkit:layer: {} {}", layer.0, layer.1.diff_id),
        ));
    }
    // Removed by a later layer (`--scope all-layers`): nothing contains it, and this says why.
    if let Some((i, l)) = pkg
        .removed_in
        .and_then(|i| sbom.subject.layers.get(i).map(|l| (i, l)))
    {
        annotations.push(other_annotation(
            created,
            tool,
            format!(
                "sbomkit:layer:removed: {i} {}: not in the final image",
                l.diff_id
            ),
        ));
    }
    Package2 {
        inner: p,
        annotations,
    }
}

fn algorithm(alg: HashAlg) -> Algorithm {
    match alg {
        HashAlg::Md5 => Algorithm::MD5,
        HashAlg::Sha1 => Algorithm::SHA1,
        HashAlg::Sha224 => Algorithm::SHA224,
        HashAlg::Sha256 => Algorithm::SHA256,
        HashAlg::Sha384 => Algorithm::SHA384,
        HashAlg::Sha512 => Algorithm::SHA512,
        HashAlg::Sha3_256 => Algorithm::SHA3256,
        HashAlg::Sha3_384 => Algorithm::SHA3384,
        HashAlg::Sha3_512 => Algorithm::SHA3512,
        HashAlg::Blake2b256 => Algorithm::BLAKE2B256,
        HashAlg::Blake2b384 => Algorithm::BLAKE2B384,
        HashAlg::Blake2b512 => Algorithm::BLAKE2B512,
        HashAlg::Blake3 => Algorithm::BLAKE3,
    }
}

/// Checksums SPDX can carry: hex of the right length; one per algorithm.
fn checksums(list: &[model::Checksum]) -> Vec<Checksum> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for c in list {
        let a = algorithm(c.alg);
        if seen.contains(&a) || !c.is_well_formed() {
            continue;
        }
        seen.push(a);
        out.push(Checksum::new(a, &c.value));
    }
    out
}

fn file_info(
    f: &FileRecord,
    layers: &[crate::model::Layer],
    ids: &mut IdMap,
) -> Option<FileInformation> {
    let mut list = f.other_checksums.clone();
    if let Some(s) = &f.sha256 {
        list.push(model::Checksum::new(HashAlg::Sha256, s.clone()));
    }
    // SHA1 first, then the others in a fixed order.
    list.sort_by_key(|c| (c.alg != HashAlg::Sha1, c.alg != HashAlg::Sha256, c.alg));
    let sums = checksums(&list);
    if !sums.iter().any(|c| c.algorithm == Algorithm::SHA1) {
        return None;
    }
    // SPDX file names are relative to the root, `./usr/bin/x` (pyspdxtools rejects a leading `/`).
    let path = format!("./{}", f.path.trim_start_matches('/'));
    Some(FileInformation {
        file_name: path,
        file_spdx_identifier: ids.assign("SPDXRef-File-", &f.id),
        file_checksum: sums,
        concluded_license: noassertion(),
        copyright_text: Some(NOASSERTION.into()),
        file_comment: file_comment(f, layers),
        file_type: match f.kind {
            Some(FileKind::Executable) => vec![FileType::Binary, FileType::Application],
            Some(FileKind::SharedLibrary | FileKind::OtherBinary) => vec![FileType::Binary],
            None => Vec::new(),
        },
        ..FileInformation::default()
    })
}

/// The layer and the facts a cataloger recorded, one `key: value` per line.
fn file_comment(f: &FileRecord, layers: &[crate::model::Layer]) -> Option<String> {
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
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// SHA1 hex of each listed file, by model id (lower case).
fn files_sha1(files: &[FileRecord]) -> BTreeMap<&str, &str> {
    files
        .iter()
        .filter_map(|f| {
            f.other_checksums
                .iter()
                .find(|c| c.alg == HashAlg::Sha1 && c.is_well_formed())
                .map(|c| (f.id.as_str(), c.value.as_str()))
        })
        .collect()
}

/// SPDX 2.3 §7.9: SHA1 over the sorted, concatenated lower-case SHA1s of the package's files.
fn verification_code(sha1s: &[&str]) -> PackageVerificationCode {
    let mut v: Vec<String> = sha1s.iter().map(|s| s.to_ascii_lowercase()).collect();
    v.sort();
    let mut h = sha1::Sha1::new();
    for s in &v {
        h.update(s.as_bytes());
    }
    PackageVerificationCode::new(hex::encode(h.finalize()), Vec::new())
}

/// The purl check pyspdxtools applies: `pkg:TYPE/NAME...` without whitespace.
pub(super) fn purl_ok(p: &str) -> bool {
    p.strip_prefix("pkg:")
        .and_then(|r| r.split_once('/'))
        .is_some_and(|(t, n)| !t.is_empty() && !n.is_empty())
        && !p.contains(char::is_whitespace)
}

/// A CPE 2.3 formatted string: `cpe:2.3:` and 11 more components, the part one of `a`, `o`, `h`.
pub(super) fn cpe23_ok(c: &str) -> bool {
    let Some(rest) = c.strip_prefix("cpe:2.3:") else {
        return false;
    };
    if c.contains(char::is_whitespace) {
        return false;
    }
    // Split on `:` not escaped by a backslash.
    let mut parts = 1usize;
    let mut escaped = false;
    for ch in rest.chars() {
        match (escaped, ch) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, ':') => parts += 1,
            _ => {}
        }
    }
    parts == 11 && matches!(rest.chars().next(), Some('a' | 'o' | 'h' | '*' | '-'))
}

/// Declared licenses: SPDX expressions where the model has them, `LicenseRef-` ids (defined once per
/// raw text in `hasExtractedLicensingInfos`) where it does not.
pub(super) struct LicenseRefs {
    ids: IdMap,
    /// raw text → `LicenseRef-` id
    defined: BTreeMap<String, String>,
    /// `LicenseRef-` ids a cataloger already wrote into an expression → the raw text they stand for.
    named: BTreeMap<String, String>,
}

impl LicenseRefs {
    pub(super) fn new() -> Self {
        LicenseRefs {
            ids: IdMap::new(),
            defined: BTreeMap::new(),
            named: BTreeMap::new(),
        }
    }

    fn reference(&mut self, raw: &str) -> String {
        let id = self.ids.assign("LicenseRef-", raw);
        self.defined.insert(raw.to_string(), id.clone());
        id
    }

    /// The declared license expression and, where the raw text differs, a comment with it.
    pub(super) fn declared(&mut self, pkg: &Package) -> (Option<SpdxExpression>, Option<String>) {
        let mut parts = Vec::new();
        let mut raws = Vec::new();
        for l in &pkg.licenses {
            let spdx = l
                .spdx
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty() && SpdxExpression::parse(s).is_ok());
            let part = match spdx {
                Some(s) => {
                    // Every LicenseRef in a document must be defined in it.
                    for token in s.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
                        if token.starts_with("LicenseRef-") {
                            self.named
                                .entry(token.to_string())
                                .or_insert_with(|| l.raw.trim().to_string());
                        }
                    }
                    s.to_string()
                }
                None if l.raw.trim().is_empty() => continue,
                None => self.reference(l.raw.trim()),
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
            if !l.raw.trim().is_empty() {
                raws.push(l.raw.trim().to_string());
            }
        }
        if parts.is_empty() {
            return (None, None);
        }
        let joined = if parts.len() == 1 {
            parts.remove(0)
        } else {
            parts
                .iter()
                .map(|p| {
                    if p.contains(' ') {
                        format!("({p})")
                    } else {
                        p.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let comment = (raws.join(" ") != joined)
            .then(|| format!("declared by the package as: {}", raws.join("; ")))
            .filter(|_| !raws.is_empty());
        (SpdxExpression::parse(&joined).ok(), comment)
    }

    pub(super) fn into_infos(self) -> Vec<OtherLicensingInformationDetected> {
        let mut v: Vec<_> = self
            .defined
            .into_iter()
            .map(|(raw, id)| OtherLicensingInformationDetected {
                license_identifier: id,
                extracted_text: raw.clone(),
                license_name: raw,
                license_cross_reference: Vec::new(),
                license_comment: Some(
                    "License text as declared in the package metadata; not an SPDX license expression."
                        .into(),
                ),
            })
            .collect();
        for (id, raw) in self.named {
            if v.iter().any(|i| i.license_identifier == id) {
                continue;
            }
            let text = if raw.is_empty() { id.clone() } else { raw };
            v.push(OtherLicensingInformationDetected {
                license_identifier: id,
                extracted_text: text.clone(),
                license_name: text,
                license_cross_reference: Vec::new(),
                license_comment: Some(
                    "License named by the package metadata; it has no SPDX license list identifier."
                        .into(),
                ),
            });
        }
        v.sort_by(|a, b| a.license_identifier.cmp(&b.license_identifier));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::License;

    #[test]
    fn actors_in_spdx_form() {
        let a = |a: Option<Actor>| a.as_ref().map(actor);
        assert_eq!(
            a(Actor::person(
                "Natanael Copa",
                Some("ncopa@alpinelinux.org")
            ))
            .as_deref(),
            Some("Person: Natanael Copa (ncopa@alpinelinux.org)")
        );
        assert_eq!(
            a(Actor::person("wolfi", None)).as_deref(),
            Some("Person: wolfi")
        );
        assert_eq!(
            a(Actor::organization("Alpine Linux")).as_deref(),
            Some("Organization: Alpine Linux")
        );
    }

    #[test]
    fn checksums_in_spdx_spelling_once_per_algorithm_and_well_formed() {
        let spelled: Vec<(HashAlg, &str)> = vec![
            (HashAlg::Md5, "MD5"),
            (HashAlg::Sha1, "SHA1"),
            (HashAlg::Sha224, "SHA224"),
            (HashAlg::Sha256, "SHA256"),
            (HashAlg::Sha384, "SHA384"),
            (HashAlg::Sha512, "SHA512"),
            (HashAlg::Sha3_256, "SHA3-256"),
            (HashAlg::Sha3_384, "SHA3-384"),
            (HashAlg::Sha3_512, "SHA3-512"),
            (HashAlg::Blake2b256, "BLAKE2b-256"),
            (HashAlg::Blake2b384, "BLAKE2b-384"),
            (HashAlg::Blake2b512, "BLAKE2b-512"),
            (HashAlg::Blake3, "BLAKE3"),
        ];
        for (alg, name) in spelled {
            let c = model::Checksum::new(alg, "a".repeat(alg.hex_len()));
            let json = serde_json::to_value(checksums(&[c])).unwrap_or_default();
            assert_eq!(json[0]["algorithm"], name, "{alg:?}");
        }
        let sha1 = "ab".repeat(20);
        let list = [
            model::Checksum::new(HashAlg::Sha1, "ab"),
            model::Checksum::new(HashAlg::Sha1, sha1.to_uppercase()),
            model::Checksum::new(HashAlg::Sha1, "cd".repeat(20)),
            model::Checksum::new(HashAlg::Md5, "zz".repeat(16)),
        ];
        let out = checksums(&list);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].algorithm, out[0].value.as_str()),
            (Algorithm::SHA1, sha1.as_str())
        );
    }

    #[test]
    fn cpe23_shape() {
        assert!(cpe23_ok("cpe:2.3:a:openssl:openssl:3.3.0:*:*:*:*:*:*:*"));
        assert!(cpe23_ok(r"cpe:2.3:a:gnu:bash\:x:5.2:*:*:*:*:*:*:*"));
        assert!(!cpe23_ok("cpe:2.3:a:openssl:openssl:3.3.0"));
        assert!(!cpe23_ok("cpe:/a:openssl:openssl:3.3.0"));
    }

    const LIB: crate::model::PackageKind = crate::model::PackageKind {
        name: "lib",
        purl_type: None,
        purpose: Purpose::Library,
        technique: None,
        purl_is_evidence: false,
        file: None,
    };

    #[test]
    fn license_refs_inside_expressions_are_defined() {
        let mut refs = LicenseRefs::new();
        let pkg = Package {
            licenses: vec![License {
                raw: "public-domain".into(),
                spdx: Some("GPL-2.0-or-later AND LicenseRef-public-domain".into()),
            }],
            ..Package::new("p", LIB)
        };
        refs.declared(&pkg);
        let infos = refs.into_infos();
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].license_identifier, "LicenseRef-public-domain");
        assert_eq!(infos[0].extracted_text, "public-domain");
    }

    #[test]
    fn license_refs_are_defined_once_and_combined() {
        let mut refs = LicenseRefs::new();
        let pkg = Package {
            licenses: vec![
                License {
                    raw: "MIT".into(),
                    spdx: Some("MIT".into()),
                },
                License {
                    raw: "Public Domain".into(),
                    spdx: None,
                },
                License {
                    raw: "GPL-2.0 or BSD".into(),
                    spdx: Some("GPL-2.0-only OR BSD-3-Clause".into()),
                },
            ],
            ..Package::new("p", LIB)
        };
        let (expr, comment) = refs.declared(&pkg);
        let expr = expr.map(|e| e.to_string()).unwrap_or_default();
        assert!(expr.contains("MIT"), "{expr}");
        assert!(expr.contains("LicenseRef-Public-Domain-"), "{expr}");
        assert!(expr.contains("GPL-2.0-only OR BSD-3-Clause"), "{expr}");
        assert!(comment.unwrap_or_default().contains("Public Domain"));
        let again = refs
            .declared(&pkg)
            .0
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(again, expr);
        let infos = refs.into_infos();
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].extracted_text, "Public Domain");
    }
}
