//! The index document of a multi-platform image: it describes the image index (digest, media type,
//! annotations) and references each platform's document, as written, by its id and checksum:
//! SPDX 2.3 `externalDocumentRefs` (SHA-1, as SPDX 2.3 defines them) with a relationship from the
//! index to each platform's image; CycloneDX `externalReferences` of type `bom` (SHA-256, the
//! `urn:cdx:` of the platform's document); SPDX 3.0.1 an `ExternalMap` import verified by SHA-256;
//! a table of one line per platform.

use std::io::{self, Write};

use serde_json::{json, Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{document_uuid, image_purl, rfc3339, spdx::namespace_slug, HashWriter};
use super::{CycloneDxVersion, Format, WriteOptions, TOOL_NAME, TOOL_VERSION};
use crate::model::{Identity, IdentityRole, ImageIndex, Sbom, Subject, SubjectKind};

/// One platform's document as written, which the index document references.
pub struct PlatformDoc<'a> {
    pub sbom: &'a Sbom,
    pub bytes: &'a [u8],
}

/// The formats an index document is written in.
pub fn supports(format: Format) -> bool {
    matches!(
        format,
        Format::SpdxJson | Format::Spdx3Json | Format::CycloneDxJson | Format::Table
    )
}

/// Writes the index document of `index` in `format`, referencing `docs` (written in that format).
pub fn write_index(
    index: &ImageIndex,
    docs: &[PlatformDoc<'_>],
    format: Format,
    opts: &WriteOptions,
    created: i64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc =
        match format {
            Format::SpdxJson => spdx(index, docs, created)?,
            Format::Spdx3Json => spdx3(index, docs, created)?,
            Format::CycloneDxJson => cyclonedx(index, docs, opts.cyclonedx_version, created)?,
            Format::Table => return table(index, docs, out),
            _ => return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an index document is written as spdx-json, spdx3-json, cyclonedx-json or table",
            )),
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
        let v = parse(d.bytes)?;
        let ns = v["documentNamespace"]
            .as_str()
            .ok_or_else(|| bad("no documentNamespace"))?;
        let described = v["relationships"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| {
                r["spdxElementId"] == "SPDXRef-DOCUMENT" && r["relationshipType"] == "DESCRIBES"
            })
            .and_then(|r| r["relatedSpdxElement"].as_str())
            .ok_or_else(|| bad("describes nothing"))?;
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
) -> io::Result<Value> {
    let digest_hex = index
        .digest
        .strip_prefix("sha256:")
        .unwrap_or(&index.digest);
    let mut components = Vec::new();
    let mut depends = Vec::new();
    for d in docs {
        let v = parse(d.bytes)?;
        let serial = v["serialNumber"]
            .as_str()
            .and_then(|s| s.strip_prefix("urn:uuid:"))
            .ok_or_else(|| bad("no serialNumber"))?;
        let bom_version = v["version"].as_u64().unwrap_or(1);
        let platform = platform_name(d.sbom);
        let manifest = super::subject_digest(&d.sbom.subject).unwrap_or_default();
        let bom_ref = format!("platform:{platform}");
        let mut c = json!({
            "type": "container",
            "bom-ref": bom_ref,
            "name": d.sbom.subject.name,
            "version": manifest,
            "externalReferences": [{
                "type": "bom",
                "url": format!("urn:cdx:{serial}/{bom_version}"),
                "comment": format!("the SBOM of the {platform} image"),
                "hashes": [{"alg": "SHA-256", "content": hex_sha256(d.bytes)}],
            }],
            "properties": [{"name": "sbomkit:image:platform", "value": platform}],
        });
        if let Some(p) = image_purl(&d.sbom.subject) {
            c["purl"] = json!(p);
        }
        depends.push(json!(bom_ref));
        components.push(c);
    }
    let mut props = vec![json!({"name": "sbomkit:image:media-type", "value": index.media_type})];
    props.extend(
        index
            .annotations
            .iter()
            .map(|(k, v)| json!({"name": format!("oci:annotation:{k}"), "value": v})),
    );
    let mut root = json!({
        "type": "container",
        "bom-ref": "image-index",
        "name": name_of(index),
        "description": "Multi-platform image index",
        "hashes": [{"alg": "SHA-256", "content": digest_hex}],
        "properties": props,
    });
    if let Some(v) = index.version.as_ref().filter(|v| !v.is_empty()) {
        root["version"] = json!(v);
    }
    if let Some(p) = image_purl(&subject(index)) {
        root["purl"] = json!(p);
    }
    let mut metadata = Map::new();
    metadata.insert("timestamp".into(), json!(rfc3339(created)?));
    let tool = json!({"type": "application", "name": TOOL_NAME, "version": TOOL_VERSION});
    metadata.insert("tools".into(), json!({"components": [tool]}));
    metadata.insert("component".into(), root);
    let schema = format!(
        "http://cyclonedx.org/schema/bom-{}.schema.json",
        version.as_str()
    );
    let mut doc = json!({
        "$schema": schema,
        "bomFormat": "CycloneDX",
        "specVersion": version.as_str(),
        "serialNumber": "",
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": [{"ref": "image-index", "dependsOn": depends}],
    });
    let uuid = uuid_of(index, &doc)?;
    doc["serialNumber"] = json!(format!("urn:uuid:{uuid}"));
    Ok(doc)
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
