//! The index document of a multi-platform image: it describes the image index (digest, media type,
//! annotations) and references each platform's document, as written, by its id and checksum:
//! SPDX 2.3 `externalDocumentRefs` (SHA-1, as SPDX 2.3 defines them) with a relationship from the
//! index to each platform's image, in JSON and tag-value; CycloneDX `externalReferences` of type
//! `bom` (SHA-256, the `urn:cdx:` of the platform's document), in JSON and XML; SPDX 3.0.1 an
//! `ExternalMap` import verified by SHA-256; a table of one line per platform. Tag-value and XML
//! say what the JSON would say of the same platform documents: only the checksums differ, being
//! those of the documents in that format (and so the namespace or serial number derived from them).

use std::io::{self, Write};

use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{cyclonedx, spdx, spdx::namespace_slug};
use super::{document_uuid, image_purl, rfc3339, HashWriter};
use super::{CycloneDxVersion, Format, WriteOptions, TOOL_NAME, TOOL_VERSION};
use crate::model::{Identity, IdentityRole, ImageIndex, Sbom, Subject, SubjectKind};

/// One platform's document as written, which the index document references.
pub struct PlatformDoc<'a> {
    pub sbom: &'a Sbom,
    pub bytes: &'a [u8],
}

/// Writes the index document of `index` in `format`, referencing `docs` (written in that format:
/// the checksums are of those bytes, the ids those of the platforms' documents).
pub fn write_index(
    index: &ImageIndex,
    docs: &[PlatformDoc<'_>],
    format: Format,
    opts: &WriteOptions,
    created: i64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = match format {
        Format::SpdxJson => spdx(index, docs, created)?,
        Format::SpdxTagValue => return spdx::write_tag_value_of(&spdx(index, docs, created)?, out),
        Format::Spdx3Json => spdx3(index, docs, created)?,
        Format::CycloneDxJson => {
            let bom = cyclonedx(index, docs, opts.cyclonedx_version, created)?;
            return cyclonedx::write_index_json(&bom, out);
        }
        Format::CycloneDxXml => {
            let bom = cyclonedx(index, docs, opts.cyclonedx_version, created)?;
            return cyclonedx::write_index_xml(&bom, opts.cyclonedx_version, out);
        }
        Format::Table => return table(index, docs, out),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The index as a subject: its name and digest, for purls and document ids.
fn subject(index: &ImageIndex) -> Subject {
    Subject {
        kind: SubjectKind::Image,
        name: index.name.clone(),
        version: index.version.clone(),
        identities: vec![Identity {
            role: IdentityRole::Manifest,
            digest: index.digest.clone(),
        }],
        tags: index.version.iter().map(|_| index.name.clone()).collect(),
        ..Subject::default()
    }
}

fn name_of(index: &ImageIndex) -> String {
    match index.name.trim() {
        "" => "image-index".to_string(),
        n => n.to_string(),
    }
}

fn hex_sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("platform document: {what}"),
    )
}

fn parse(bytes: &[u8]) -> io::Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))
}

/// The `uuid` of a document whose body (with the id left empty) is `body`.
fn uuid_of(index: &ImageIndex, body: &Value) -> io::Result<uuid::Uuid> {
    let mut h = HashWriter::default();
    serde_json::to_writer(&mut h, body).map_err(io::Error::other)?;
    Ok(document_uuid(&subject(index), &h.0.finalize()))
}

/// Annotations as one comment, one `key=value` a line, with the media type first.
fn annotations_comment(index: &ImageIndex) -> String {
    let mut lines = vec![format!("mediaType={}", index.media_type)];
    lines.extend(index.annotations.iter().map(|(k, v)| format!("{k}={v}")));
    lines.join("\n")
}

fn platform_name(sbom: &Sbom) -> String {
    sbom.subject
        .platform
        .as_ref()
        .map_or_else(|| "unknown".to_string(), |p| p.to_string())
}

fn spdx(index: &ImageIndex, docs: &[PlatformDoc<'_>], created: i64) -> io::Result<Value> {
    let digest_hex = index
        .digest
        .strip_prefix("sha256:")
        .unwrap_or(&index.digest);
    let root = "SPDXRef-DocumentRoot-Index";
    let mut refs = Vec::new();
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root,
    })];
    for (i, d) in docs.iter().enumerate() {
        let (ns, described) = spdx::ids(d.sbom)?;
        let id = format!(
            "DocumentRef-{}-{i}",
            namespace_slug(
                &d.sbom
                    .subject
                    .platform
                    .as_ref()
                    .map_or_else(String::new, |p| p.label())
            )
        );
        refs.push(json!({
            "externalDocumentId": id,
            "spdxDocument": ns,
            "checksum": {"algorithm": "SHA1", "checksumValue": hex::encode(Sha1::digest(d.bytes))},
        }));
        relationships.push(json!({
            "spdxElementId": root,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": format!("{id}:{described}"),
            "comment": format!("the {} image", platform_name(d.sbom)),
        }));
    }
    let mut package = json!({
        "SPDXID": root,
        "name": name_of(index),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
        "description": "Multi-platform image index",
        "checksums": [{"algorithm": "SHA256", "checksumValue": digest_hex}],
        "comment": annotations_comment(index),
    });
    if let Some(v) = index.version.as_ref().filter(|v| !v.is_empty()) {
        package["versionInfo"] = json!(v);
    }
    if let Some(purl) = image_purl(&subject(index)) {
        package["externalRefs"] = json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": purl,
        }]);
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name_of(index),
        "documentNamespace": "",
        "creationInfo": {
            "created": rfc3339(created)?,
            "creators": [format!("Tool: {TOOL_NAME}-{TOOL_VERSION}")],
        },
        "externalDocumentRefs": refs,
        "packages": [package],
        "relationships": relationships,
    });
    let uuid = uuid_of(index, &doc)?;
    doc["documentNamespace"] = json!(format!(
        "https://sbomkit.dev/spdx/{}-index-{uuid}",
        namespace_slug(&name_of(index))
    ));
    Ok(doc)
}

fn cyclonedx(
    index: &ImageIndex,
    docs: &[PlatformDoc<'_>],
    version: CycloneDxVersion,
    created: i64,
) -> io::Result<cyclonedx::Bom> {
    let mut images = Vec::new();
    for d in docs {
        let serial = cyclonedx::serial_of(d.sbom, version)?;
        let serial = serial.strip_prefix("urn:uuid:").unwrap_or(&serial);
        images.push(cyclonedx::IndexImage {
            platform: platform_name(d.sbom),
            name: d.sbom.subject.name.clone(),
            manifest: super::subject_digest(&d.sbom.subject)
                .unwrap_or_default()
                .to_string(),
            purl: image_purl(&d.sbom.subject),
            // Every document sbomkit writes is version 1 of its serial number.
            bom_url: format!("urn:cdx:{serial}/1"),
            sha256: hex_sha256(d.bytes),
        });
    }
    let mut properties = vec![(
        "sbomkit:image:media-type".to_string(),
        index.media_type.clone(),
    )];
    properties.extend(
        index
            .annotations
            .iter()
            .map(|(k, v)| (format!("oci:annotation:{k}"), v.clone())),
    );
    let parts = cyclonedx::IndexParts {
        name: name_of(index),
        version: index.version.clone().filter(|v| !v.is_empty()),
        digest_hex: index
            .digest
            .strip_prefix("sha256:")
            .unwrap_or(&index.digest)
            .to_string(),
        purl: image_purl(&subject(index)),
        properties,
        images,
    };
    cyclonedx::index_bom(parts, version, rfc3339(created)?, &subject(index))
}

fn spdx3(index: &ImageIndex, docs: &[PlatformDoc<'_>], created: i64) -> io::Result<Value> {
    let build = |ns: &str| -> io::Result<Value> {
        let iri = |local: &str| format!("{ns}#{local}");
        let ci = "_:creationinfo";
        let root = iri("DocumentRoot-Index");
        let mut imports = Vec::new();
        let mut targets = Vec::new();
        for d in docs {
            let v = parse(d.bytes)?;
            let graph = v["@graph"].as_array().ok_or_else(|| bad("no @graph"))?;
            let sbom_root = graph
                .iter()
                .find(|n| n["type"] == "software_Sbom")
                .and_then(|n| n["rootElement"][0].as_str())
                .ok_or_else(|| bad("no software_Sbom root"))?;
            imports.push(json!({
                "type": "ExternalMap",
                "externalSpdxId": sbom_root,
                "verifiedUsing": [{
                    "type": "Hash",
                    "algorithm": "sha256",
                    "hashValue": hex_sha256(d.bytes),
                }],
            }));
            targets.push(json!(sbom_root));
        }
        let digest_hex = index
            .digest
            .strip_prefix("sha256:")
            .unwrap_or(&index.digest);
        let mut package = json!({
            "type": "software_Package",
            "spdxId": root,
            "creationInfo": ci,
            "name": name_of(index),
            "description": "Multi-platform image index",
            "comment": annotations_comment(index),
            "software_primaryPurpose": "container",
            "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": digest_hex}],
        });
        if let Some(v) = index.version.as_ref().filter(|v| !v.is_empty()) {
            package["software_packageVersion"] = json!(v);
        }
        if let Some(p) = image_purl(&subject(index)) {
            package["software_packageUrl"] = json!(p);
        }
        let rel = json!({
            "type": "Relationship",
            "spdxId": iri("Relationship-Index-contains"),
            "creationInfo": ci,
            "from": root,
            "relationshipType": "contains",
            "to": targets,
            "completeness": "complete",
        });
        let agent = iri(&format!("SoftwareAgent-{TOOL_NAME}"));
        let tool = iri(&format!("Tool-{TOOL_NAME}"));
        let license = iri("DataLicense");
        let sbom = iri("Sbom");
        Ok(json!({
            "@context": super::spdx3::CONTEXT,
            "@graph": [
                {"type": "CreationInfo", "@id": ci, "specVersion": "3.0.1",
                 "created": rfc3339(created)?, "createdBy": [agent], "createdUsing": [tool]},
                {"type": "SoftwareAgent", "spdxId": agent, "creationInfo": ci, "name": TOOL_NAME},
                {"type": "Tool", "spdxId": tool, "creationInfo": ci,
                 "name": format!("{TOOL_NAME}-{TOOL_VERSION}")},
                {"type": "SpdxDocument", "spdxId": iri("SpdxDocument"), "creationInfo": ci,
                 "name": name_of(index),
                 "profileConformance": ["core", "software"],
                 "dataLicense": license,
                 "rootElement": [sbom],
                 "element": [sbom, agent, tool, license, root, iri("Relationship-Index-contains")],
                 "import": imports},
                {"type": "simplelicensing_LicenseExpression", "spdxId": license,
                 "creationInfo": ci, "simplelicensing_licenseExpression": "CC0-1.0"},
                {"type": "software_Sbom", "spdxId": sbom, "creationInfo": ci,
                 "name": name_of(index), "software_sbomType": ["analyzed"],
                 "rootElement": [root], "element": [root, iri("Relationship-Index-contains")]},
                package,
                rel,
            ],
        }))
    };
    let uuid = uuid_of(index, &build("")?)?;
    build(&format!(
        "https://sbomkit.dev/spdx3/{}-index-{uuid}",
        namespace_slug(&name_of(index))
    ))
}

fn table(index: &ImageIndex, docs: &[PlatformDoc<'_>], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "INDEX {} {} ({})",
        name_of(index),
        index.digest,
        index.media_type
    )?;
    let rows: Vec<[String; 4]> = docs
        .iter()
        .map(|d| {
            [
                platform_name(d.sbom),
                super::subject_digest(&d.sbom.subject)
                    .unwrap_or_default()
                    .to_string(),
                d.sbom.packages.len().to_string(),
                format!("sha256:{}", hex_sha256(d.bytes)),
            ]
        })
        .collect();
    let head = ["PLATFORM", "MANIFEST", "PACKAGES", "DOCUMENT"].map(String::from);
    let mut width = [0usize; 3];
    for r in std::iter::once(&head).chain(&rows) {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in std::iter::once(&head).chain(&rows) {
        writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        )?;
    }
    Ok(())
}
