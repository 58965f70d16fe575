//! The writers on hand-built models: schema validity of every output (SPDX 2.3, SPDX 3.0.1, CycloneDX
//! 1.5, 1.6 and 1.7), the fields consumers rely on, tag-value and XML saying what the JSON says,
//! determinism, and the table.
//!
//! With `SBOMKIT_WRITE_SAMPLES=DIR` every document written here is also saved in DIR, for
//! `scripts/interop-sbom.sh DIR`, which validates the tag-value and XML ones (and compares each with
//! the JSON saved beside it).

use crate::support::{component, golden, schema};

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use sbomkit::format::{self, CycloneDxVersion, Format, WriteOptions};
use sbomkit::model::{
    Actor, Checksum, Completeness, Distro, FileKind, FileRecord, HashAlg, Identity, IdentityRole,
    Layer, License, Package, Platform, Relationship, RelationshipKind, Sbom, Subject, SubjectKind,
};
use sbomkit::purl::{Purl, PurlType};
use serde_json::Value;

const CONFIG: &str = "sha256:6e30ab57aeeef1ebca8ac5a6ea05b5dd39d54990be94e7be18bb969a02d10a3f";
const MANIFEST: &str = "sha256:c0d488a800e4127c334ad20d61d7bc21b4097540327217dfab52262adc02380c";
const LAYER0: &str = "sha256:e2eb06d8af8218cfec8210147357a68b7e13f7c485b991c288c2d01dc228bb68";
const LAYER1: &str = "sha256:994393dc58e7931862558d06e46aa2bb17487044f670f310dffe1d24e4d1eec7";

/// `Q1<base64 sha1>` as APK writes it → lower-case hex.
fn q1(s: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD
        .decode(s.trim_start_matches("Q1"))
        .expect("fixture checksum is base64");
    hex::encode(b)
}

fn lic(raw: &str, spdx: Option<&str>) -> License {
    License {
        raw: raw.into(),
        spdx: spdx.map(Into::into),
    }
}

fn apk(
    name: &str,
    version: &str,
    origin: &str,
    license: License,
    checksum: &str,
    layer: usize,
) -> Package {
    let mut properties = BTreeMap::new();
    properties.insert("sbomkit:apk:origin".to_string(), origin.to_string());
    Package {
        id: format!("apk:{name}@{version}"),
        kind: sbomkit::catalog::apk::KIND,
        name: name.into(),
        version: version.into(),
        purl: Some(
            Purl::new(PurlType::APK, name)
                .with_namespace("alpine")
                .with_version(version)
                .with_qualifier("arch", "aarch64")
                .with_qualifier("distro", "alpine-3.16.2")
                .with_qualifier("upstream", origin)
                .into(),
        ),
        cpes: vec![format!(
            "cpe:2.3:a:{name}:{name}:{}:*:*:*:*:*:*:*",
            version.split('-').next().unwrap_or(version)
        )],
        arch: Some("aarch64".into()),
        source_name: Some(origin.into()),
        source_version: Some(version.into()),
        licenses: vec![license],
        supplier: Actor::organization("Alpine Linux"),
        originator: Actor::person("Natanael Copa", Some("ncopa@alpinelinux.org")),
        description: Some(format!("{name} package")),
        homepage: Some("https://alpinelinux.org".into()),
        checksums: vec![Checksum::new(HashAlg::Sha1, q1(checksum))],
        file: None,
        dependencies: Completeness::Complete,
        layer: Some(layer),
        removed_in: None,
        evidence: vec!["/lib/apk/db/installed".into()],
        found_by: "apk".into(),
        properties,
    }
}

/// An Alpine 3.16 image (values from testdata/fixtures/apk/installed/alpine-3.16-base.installed) with
/// two layers, the OS, packages with SPDX and non-SPDX licenses, dependencies, an optional
/// dependency and files (one without a SHA1).
fn alpine_image() -> Sbom {
    let mut musl = apk(
        "musl",
        "1.2.3-r0",
        "musl",
        lic("MIT", Some("MIT")),
        "Q1GnnDm59VZtPVL5vCI9r/HFzs2yI=",
        0,
    );
    musl.originator = Actor::person("Timo Teräs", Some("timo.teras@iki.fi"));
    musl.cpes
        .push("cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*".into());
    let busybox = apk(
        "busybox",
        "1.35.0-r17",
        "busybox",
        lic("GPL-2.0-only", Some("GPL-2.0-only")),
        "Q1Meo+LHGPSi3uY9gIouEVb9z8Fbo=",
        0,
    );
    let ssl_client = apk(
        "ssl_client",
        "1.35.0-r17",
        "busybox",
        lic("GPL-2.0-only", Some("GPL-2.0-only")),
        "Q1d9UpAk6BGxuZO54ZqWn1r4ZpmkU=",
        0,
    );
    let certs = apk(
        "ca-certificates-bundle",
        "20220614-r0",
        "ca-certificates",
        lic("MPL-2.0 AND MIT", Some("MPL-2.0 AND MIT")),
        "Q1o6Dk/Z6Aapxy51Qmrfn1hcs2QNo=",
        0,
    );
    let crypto = apk(
        "libcrypto1.1",
        "1.1.1q-r0",
        "openssl",
        lic("openssl", Some("OpenSSL")),
        "Q1X0wRA3/8O9tmL/QGAo++ZDgk70U=",
        0,
    );
    let zlib = apk(
        "zlib",
        "1.2.12-r3",
        "zlib",
        lic("Zlib", Some("Zlib")),
        "Q1L4Nfj5xEWL609DtKbNNNifbLAjk=",
        1,
    );
    // A license that is not an SPDX expression, as the database states it.
    let mut tzdata = apk(
        "tzdata",
        "2022c-r0",
        "tzdata",
        lic("Public-Domain", None),
        "Q1vZ1yqL4/Pl8EZ1nE6CCGtrcZViI=",
        1,
    );
    tzdata.licenses.push(lic("Freely redistributable", None));
    let mut nolicense = apk(
        "scanelf",
        "1.3.4-r0",
        "pax-utils",
        lic("", None),
        "Q1/eWNdchqJI7hgMwE/A/YyQmI7sU=",
        1,
    );
    nolicense.licenses.clear();
    nolicense.supplier = None;
    nolicense.originator = None;
    nolicense.homepage = Some("not a url".into());
    let os = Package {
        name: "alpine".into(),
        version: "3.16.2".into(),
        purl: Some(
            Purl::new(PurlType::GENERIC, "alpine")
                .with_version("3.16.2")
                .into(),
        ),
        cpes: vec!["cpe:2.3:o:alpinelinux:alpine_linux:3.16.2:*:*:*:*:*:*:*".into()],
        supplier: Actor::organization("Alpine Linux"),
        homepage: Some("https://alpinelinux.org/".into()),
        layer: Some(0),
        evidence: vec!["/etc/os-release".into()],
        found_by: "os-release".into(),
        ..Package::new("os:alpine@3.16.2", sbomkit::catalog::os_release::KIND)
    };
    let packages = vec![
        os, musl, busybox, ssl_client, certs, crypto, zlib, tzdata, nolicense,
    ];
    let id = |name: &str| -> String {
        packages
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.id.clone())
            .expect("package in fixture")
    };
    let mut relationships: Vec<Relationship> = packages
        .iter()
        .map(|p| {
            Relationship::new(
                Relationship::SUBJECT,
                RelationshipKind::Contains,
                p.id.clone(),
            )
        })
        .collect();
    for (a, b) in [
        ("busybox", "musl"),
        ("ssl_client", "musl"),
        ("ssl_client", "libcrypto1.1"),
        ("libcrypto1.1", "musl"),
        ("zlib", "musl"),
        ("scanelf", "musl"),
    ] {
        relationships.push(Relationship::new(id(a), RelationshipKind::DependsOn, id(b)));
    }
    // As the scan has it: the OS contains what its package database lists.
    for p in packages.iter().filter(|p| p.id.starts_with("apk:")) {
        relationships.push(Relationship::new(
            "os:alpine@3.16.2",
            RelationshipKind::Contains,
            p.id.clone(),
        ));
    }
    relationships.push(Relationship::new(
        id("busybox"),
        RelationshipKind::OptionalDependsOn,
        id("ssl_client"),
    ));
    let files = vec![
        FileRecord {
            id: "file:/lib/ld-musl-aarch64.so.1".into(),
            path: "/lib/ld-musl-aarch64.so.1".into(),
            sha256: Some("8b1a9953c4611296a827abf8c47804d7e6c49c6b2b3c7ae8bd6a5d2e1ff53e91".into()),
            other_checksums: vec![Checksum::new(
                HashAlg::Sha1,
                q1("Q1si4jgdR3AZ9XAV0dRJ/bbz3pz8I="),
            )],
            layer: Some(0),
            ..Default::default()
        },
        FileRecord {
            id: "file:/bin/busybox".into(),
            path: "/bin/busybox".into(),
            sha256: Some("a9f1b3c5e7d9f1a3c5e7d9f1b3a5c7e9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1".into()),
            other_checksums: vec![Checksum::new(
                HashAlg::Sha1,
                q1("Q1Meo+LHGPSi3uY9gIouEVb9z8Fbo="),
            )],
            layer: Some(0),
            ..Default::default()
        },
        // Recorded with MD5 and SHA-256 only (as a dpkg md5sums file gives): SPDX cannot list it.
        FileRecord {
            id: "file:/usr/share/zoneinfo/UTC".into(),
            path: "/usr/share/zoneinfo/UTC".into(),
            sha256: Some("d3dbaa1a9a3ba8e2b4a6f2e6c0ef4d2b4d0a5c9b8e7f6a5b4c3d2e1f0a9b8c7d".into()),
            other_checksums: vec![Checksum::new(
                HashAlg::Md5,
                "7c7f8e1d3c5a3e0f3d0b1c2a3e4f5a6b",
            )],
            layer: Some(1),
            ..Default::default()
        },
    ];
    relationships.push(Relationship::new(
        id("musl"),
        RelationshipKind::Contains,
        "file:/lib/ld-musl-aarch64.so.1",
    ));
    relationships.push(Relationship::new(
        id("busybox"),
        RelationshipKind::Contains,
        "file:/bin/busybox",
    ));
    relationships.push(Relationship::new(
        id("tzdata"),
        RelationshipKind::Contains,
        "file:/usr/share/zoneinfo/UTC",
    ));

    let mut sbom = Sbom {
        subject: Subject {
            kind: SubjectKind::Image,
            name: "docker.io/library/alpine:3.16".into(),
            version: Some("3.16".into()),
            identities: vec![
                Identity {
                    role: IdentityRole::Manifest,
                    digest: MANIFEST.into(),
                },
                Identity {
                    role: IdentityRole::Config,
                    digest: CONFIG.into(),
                },
            ],
            platform: Some(Platform {
                os: "linux".into(),
                architecture: "arm64".into(),
                variant: Some("v8".into()),
                os_version: None,
            }),
            layers: vec![
                Layer {
                    index: 0,
                    diff_id: LAYER0.into(),
                    ..Default::default()
                },
                Layer {
                    index: 1,
                    diff_id: LAYER1.into(),
                    ..Default::default()
                },
            ],
            tags: vec!["alpine:3.16".into()],
            created: Some("2022-08-09T17:39:51.932413455Z".into()),
        },
        distro: Some(Distro {
            id: "alpine".into(),
            version_id: Some("3.16.2".into()),
            name: Some("Alpine Linux".into()),
            path: "/etc/os-release".into(),
            ..Default::default()
        }),
        packages,
        files,
        relationships,
        warnings: vec!["/lib/apk/db/installed line 412: record without P: skipped".into()],
        unknowns: Vec::new(),
        created: 1_660_066_791,
        files_partial: false,
        author: None,
    };
    sbom.normalize();
    sbom
}

fn file_subject() -> Sbom {
    let mut sbom = Sbom {
        subject: Subject {
            kind: SubjectKind::File,
            name: "installed".into(),
            identities: vec![Identity {
                role: IdentityRole::File,
                digest: "sha256:3d4f1e0f5b2ed8d2d8cd76e0f2c2a4f0a8a55b7c2d6e3f1a0b9c8d7e6f5a4b3c"
                    .into(),
            }],
            ..Default::default()
        },
        packages: vec![apk(
            "zlib",
            "1.2.12-r3",
            "zlib",
            lic("Zlib", Some("Zlib")),
            "Q1L4Nfj5xEWL609DtKbNNNifbLAjk=",
            0,
        )],
        created: 0,
        ..Default::default()
    };
    sbom.packages[0].layer = None;
    let zid = sbom.packages[0].id.clone();
    sbom.relationships.push(Relationship::new(
        Relationship::SUBJECT,
        RelationshipKind::Contains,
        zid,
    ));
    sbom.normalize();
    sbom
}

/// A folder: no identities, no layers, no distro.
fn folder_subject() -> Sbom {
    let mut p = apk(
        "busybox",
        "1.35.0-r17",
        "busybox",
        lic("GPL-2.0-only", Some("GPL-2.0-only")),
        "Q1Meo+LHGPSi3uY9gIouEVb9z8Fbo=",
        0,
    );
    p.layer = None;
    let mut sbom = Sbom {
        subject: Subject {
            kind: SubjectKind::Directory,
            name: "rootfs".into(),
            ..Default::default()
        },
        relationships: vec![Relationship::new(
            Relationship::SUBJECT,
            RelationshipKind::Contains,
            p.id.clone(),
        )],
        packages: vec![p],
        created: 1_700_000_000,
        ..Default::default()
    };
    sbom.normalize();
    sbom
}

fn render(sbom: &Sbom, format: Format, cdx: CycloneDxVersion) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = WriteOptions {
        cyclonedx_version: cdx,
        width: None,
    };
    format::write(sbom, format, &opts, &mut out).expect("writer succeeds");
    out
}

/// `cdx15`, `cdx16`, `cdx17`: how sample and golden files name a version.
fn cdx_suffix(v: CycloneDxVersion) -> String {
    format!("cdx{}", v.as_str().replace('.', ""))
}

fn spdx(sbom: &Sbom, sample: &str) -> Value {
    let bytes = render(sbom, Format::SpdxJson, CycloneDxVersion::V1_6);
    schema::sample(&format!("{sample}.spdx.json"), &bytes);
    let doc: Value = serde_json::from_slice(&bytes).expect("SPDX output is JSON");
    schema::assert_valid_spdx(&doc);
    doc
}

fn cdx(sbom: &Sbom, v: CycloneDxVersion, sample: &str) -> Value {
    let bytes = render(sbom, Format::CycloneDxJson, v);
    schema::sample(&format!("{sample}.{}.json", cdx_suffix(v)), &bytes);
    let doc: Value = serde_json::from_slice(&bytes).expect("CycloneDX output is JSON");
    schema::assert_valid_cyclonedx(&doc);
    doc
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array in {v}"))
}

fn spdx_package<'a>(doc: &'a Value, name: &str) -> &'a Value {
    arr(doc, "packages")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no SPDX package {name}"))
}

fn has_rel(doc: &Value, from: &str, kind: &str, to: &str) -> bool {
    arr(doc, "relationships").iter().any(|r| {
        r["spdxElementId"] == from && r["relationshipType"] == kind && r["relatedSpdxElement"] == to
    })
}

fn id_of(doc: &Value, name: &str) -> String {
    spdx_package(doc, name)["SPDXID"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn spdx_image_document_describes_the_image() {
    let doc = spdx(&alpine_image(), "alpine-image");
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "docker.io/library/alpine:3.16");
    assert_eq!(doc["creationInfo"]["created"], "2022-08-09T17:39:51Z");
    assert_eq!(
        doc["creationInfo"]["creators"],
        serde_json::json!([format!("Tool: sbomkit-{}", env!("CARGO_PKG_VERSION"))])
    );
    let ns = doc["documentNamespace"].as_str().unwrap_or_default();
    assert!(
        ns.starts_with("https://sbomkit.dev/spdx/docker.io-library-alpine-3.16-"),
        "{ns}"
    );

    let root = spdx_package(&doc, "docker.io/library/alpine:3.16");
    let root_id = root["SPDXID"].as_str().unwrap_or_default();
    assert!(has_rel(&doc, "SPDXRef-DOCUMENT", "DESCRIBES", root_id));
    assert_eq!(root["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(root["versionInfo"], "3.16");
    assert_eq!(root["filesAnalyzed"], false);
    assert_eq!(
        root["checksums"],
        serde_json::json!([{"algorithm": "SHA256", "checksumValue": CONFIG.trim_start_matches("sha256:")}])
    );
    let refs = arr(root, "externalRefs");
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["referenceCategory"], "PACKAGE-MANAGER");
    assert_eq!(refs[0]["referenceType"], "purl");
    assert_eq!(
        refs[0]["referenceLocator"],
        format!(
            "pkg:oci/alpine@sha256:{}?arch=arm64&os=linux&repository_url=docker.io/library/alpine&tag=3.16&variant=v8",
            MANIFEST.trim_start_matches("sha256:")
        )
    );
    // Layers of the image as annotations, in order.
    let layers: Vec<&str> = arr(root, "annotations")
        .iter()
        .filter_map(|a| a["comment"].as_str())
        .collect();
    assert_eq!(
        layers,
        [
            format!("sbomkit:image:layer: 0 {LAYER0}"),
            format!("sbomkit:image:layer: 1 {LAYER1}")
        ]
    );
    assert_eq!(root["builtDate"], "2022-08-09T17:39:51Z");
    // The scan's warning reaches the document.
    assert!(doc["comment"]
        .as_str()
        .unwrap_or_default()
        .contains("line 412"));
}

#[test]
fn spdx_relationships_follow_spdx_directions() {
    let sbom = alpine_image();
    let doc = spdx(&sbom, "alpine-image");
    let root = id_of(&doc, "docker.io/library/alpine:3.16");
    for p in &sbom.packages {
        assert!(
            has_rel(&doc, &root, "CONTAINS", &id_of(&doc, &p.name)),
            "root CONTAINS {}",
            p.name
        );
    }
    assert!(has_rel(
        &doc,
        &id_of(&doc, "busybox"),
        "DEPENDS_ON",
        &id_of(&doc, "musl")
    ));
    assert!(has_rel(
        &doc,
        &id_of(&doc, "ssl_client"),
        "DEPENDS_ON",
        &id_of(&doc, "libcrypto1.1")
    ));
    assert!(!has_rel(
        &doc,
        &id_of(&doc, "musl"),
        "DEPENDS_ON",
        &id_of(&doc, "busybox")
    ));
    // busybox can use ssl_client: ssl_client is an optional dependency of busybox.
    assert!(has_rel(
        &doc,
        &id_of(&doc, "ssl_client"),
        "OPTIONAL_DEPENDENCY_OF",
        &id_of(&doc, "busybox")
    ));
    assert!(!has_rel(
        &doc,
        &id_of(&doc, "busybox"),
        "DEPENDS_ON",
        &id_of(&doc, "ssl_client")
    ));

    // Every element named by a relationship exists, and ids are valid and unique.
    let mut ids = BTreeSet::new();
    ids.insert("SPDXRef-DOCUMENT".to_string());
    for el in arr(&doc, "packages").iter().chain(arr(&doc, "files")) {
        let id = el["SPDXID"].as_str().unwrap_or_default().to_string();
        assert!(
            id.starts_with("SPDXRef-")
                && id["SPDXRef-".len()..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
        assert!(ids.insert(id.clone()), "duplicate {id}");
    }
    for r in arr(&doc, "relationships") {
        let id = r["spdxElementId"].as_str().unwrap_or_default();
        assert!(ids.contains(id), "relationship names unknown element {id}");
        let to = r["relatedSpdxElement"].as_str().unwrap_or_default();
        // NONE: the package's dependencies are known and there are none; NOASSERTION: unknown.
        let special = ["NONE", "NOASSERTION"].contains(&to);
        let known = ids.contains(to) || (special && r["relationshipType"] == "DEPENDS_ON");
        assert!(known, "relationship names unknown element {to}");
    }
    assert!(has_rel(&doc, &id_of(&doc, "musl"), "DEPENDS_ON", "NONE"));
    assert!(!has_rel(
        &doc,
        &id_of(&doc, "ssl_client"),
        "DEPENDS_ON",
        "NONE"
    ));
}

#[test]
fn spdx_licenses_are_declared_never_concluded() {
    let doc = spdx(&alpine_image(), "alpine-image");
    let musl = spdx_package(&doc, "musl");
    assert_eq!(musl["licenseDeclared"], "MIT");
    assert_eq!(musl["licenseConcluded"], "NOASSERTION");
    assert_eq!(musl["copyrightText"], "NOASSERTION");
    assert_eq!(musl["downloadLocation"], "NOASSERTION");
    assert_eq!(
        spdx_package(&doc, "ca-certificates-bundle")["licenseDeclared"],
        "MPL-2.0 AND MIT"
    );
    // `openssl` as written, `OpenSSL` as SPDX: the expression is declared, the raw text kept in a comment.
    let crypto = spdx_package(&doc, "libcrypto1.1");
    assert_eq!(crypto["licenseDeclared"], "OpenSSL");
    assert!(crypto["licenseComments"]
        .as_str()
        .unwrap_or_default()
        .contains("openssl"));
    // Non-SPDX text: LicenseRef ids, each defined with the raw text.
    let tz = spdx_package(&doc, "tzdata")["licenseDeclared"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let extracted = arr(&doc, "hasExtractedLicensingInfos");
    assert_eq!(extracted.len(), 2, "{extracted:?}");
    for info in extracted {
        let id = info["licenseId"].as_str().unwrap_or_default();
        assert!(id.starts_with("LicenseRef-"), "{id}");
        assert!(tz.contains(id), "{tz} uses {id}");
    }
    let texts: BTreeSet<&str> = extracted
        .iter()
        .filter_map(|i| i["extractedText"].as_str())
        .collect();
    assert_eq!(
        texts,
        BTreeSet::from(["Freely redistributable", "Public-Domain"])
    );
    assert!(tz.contains(" AND "), "{tz}");
    // No license at all: NOASSERTION, not a guess.
    assert_eq!(
        spdx_package(&doc, "scanelf")["licenseDeclared"],
        "NOASSERTION"
    );
}

#[test]
fn spdx_packages_carry_identifiers_supplier_and_layer() {
    let doc = spdx(&alpine_image(), "alpine-image");
    let musl = spdx_package(&doc, "musl");
    assert_eq!(musl["versionInfo"], "1.2.3-r0");
    assert_eq!(musl["supplier"], "Organization: Alpine Linux");
    assert_eq!(musl["originator"], "Person: Timo Teräs (timo.teras@iki.fi)");
    assert_eq!(musl["primaryPackagePurpose"], "LIBRARY");
    assert_eq!(musl["sourceInfo"], "built package from: musl 1.2.3-r0");
    assert_eq!(musl["homepage"], "https://alpinelinux.org");
    assert_eq!(
        musl["checksums"],
        serde_json::json!([{"algorithm": "SHA1", "checksumValue": q1("Q1GnnDm59VZtPVL5vCI9r/HFzs2yI=")}])
    );
    let refs = arr(musl, "externalRefs");
    let by_type: Vec<(&str, &str, &str)> = refs
        .iter()
        .map(|r| {
            (
                r["referenceCategory"].as_str().unwrap_or_default(),
                r["referenceType"].as_str().unwrap_or_default(),
                r["referenceLocator"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        by_type,
        [
            (
                "PACKAGE-MANAGER",
                "purl",
                "pkg:apk/alpine/musl@1.2.3-r0?arch=aarch64&distro=alpine-3.16.2&upstream=musl"
            ),
            (
                "SECURITY",
                "cpe23Type",
                "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*"
            ),
            (
                "SECURITY",
                "cpe23Type",
                "cpe:2.3:a:musl:musl:1.2.3:*:*:*:*:*:*:*"
            ),
        ]
    );
    let ann = arr(musl, "annotations");
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0]["annotationType"], "OTHER");
    assert_eq!(
        ann[0]["annotator"],
        format!("Tool: sbomkit-{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(ann[0]["annotationDate"], "2022-08-09T17:39:51Z");
    assert_eq!(ann[0]["comment"], format!("sbomkit:layer: 0 {LAYER0}"));
    let zlib_ann = &arr(spdx_package(&doc, "zlib"), "annotations")[0];
    assert_eq!(zlib_ann["comment"], format!("sbomkit:layer: 1 {LAYER1}"));

    let os = spdx_package(&doc, "alpine");
    assert_eq!(os["primaryPackagePurpose"], "OPERATING_SYSTEM");
    let scanelf = spdx_package(&doc, "scanelf");
    assert_eq!(scanelf["supplier"], "NOASSERTION");
    assert!(
        scanelf.get("homepage").is_none(),
        "an invalid homepage is left out"
    );
    assert!(scanelf.get("originator").is_none());
}

#[test]
fn spdx_files_need_sha1_and_hang_under_their_package() {
    let doc = spdx(&alpine_image(), "alpine-image");
    let files = arr(&doc, "files");
    let names: Vec<&str> = files
        .iter()
        .filter_map(|f| f["fileName"].as_str())
        .collect();
    assert_eq!(names, ["./bin/busybox", "./lib/ld-musl-aarch64.so.1"]);
    let musl_file = &files[1];
    let id = musl_file["SPDXID"].as_str().unwrap_or_default();
    assert!(id.starts_with("SPDXRef-File-"), "{id}");
    let algs: Vec<&str> = arr(musl_file, "checksums")
        .iter()
        .filter_map(|c| c["algorithm"].as_str())
        .collect();
    assert_eq!(algs, ["SHA1", "SHA256"]);
    assert_eq!(musl_file["licenseConcluded"], "NOASSERTION");
    assert!(has_rel(&doc, &id_of(&doc, "musl"), "CONTAINS", id));
    // A package with listed files says it analysed them and, as it owns no unlisted file, carries the
    // verification code: SHA1 of its files' sorted SHA1s.
    let musl = spdx_package(&doc, "musl");
    assert_eq!(musl["filesAnalyzed"], true);
    let file_sha1 = q1("Q1si4jgdR3AZ9XAV0dRJ/bbz3pz8I=");
    let expected = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(file_sha1.as_bytes()));
    assert_eq!(
        musl["packageVerificationCode"]["packageVerificationCodeValue"],
        expected
    );
    // tzdata's only file could not be listed: nothing analysed, no CONTAINS.
    assert_eq!(spdx_package(&doc, "tzdata")["filesAnalyzed"], false);
    assert_eq!(spdx_package(&doc, "zlib")["filesAnalyzed"], false);
    // The MD5-only file is not listed, and the document says so.
    assert!(doc["comment"]
        .as_str()
        .unwrap_or_default()
        .contains("1 file(s)"));
    assert!(!serde_json::to_string(&doc)
        .unwrap_or_default()
        .contains("zoneinfo"));
}

#[test]
fn spdx_ids_stay_unique_when_package_ids_sanitise_alike() {
    let mut sbom = alpine_image();
    let mut a = sbom.packages[1].clone();
    a.id = "apk:x/1".into();
    a.name = "x-slash".into();
    let mut b = a.clone();
    b.id = "apk/x:1".into();
    b.name = "x-colon".into();
    sbom.packages.extend([a, b]);
    sbom.relationships.push(Relationship::new(
        "apk:x/1",
        RelationshipKind::DependsOn,
        "apk/x:1",
    ));
    sbom.normalize();
    let doc = spdx(&sbom, "clashing-ids");
    let (ia, ib) = (id_of(&doc, "x-slash"), id_of(&doc, "x-colon"));
    assert_ne!(ia, ib);
    assert!(has_rel(&doc, &ia, "DEPENDS_ON", &ib));
}

#[test]
fn output_is_deterministic_and_ids_follow_content() {
    let sbom = alpine_image();
    for f in Format::ALL {
        for v in CycloneDxVersion::ALL {
            assert_eq!(render(&sbom, f, v), render(&sbom.clone(), f, v));
        }
    }
    let doc = spdx(&sbom, "alpine-image");
    let bom = cdx(&sbom, CycloneDxVersion::V1_6, "alpine-image");
    let ns = doc["documentNamespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let serial = bom["serialNumber"].as_str().unwrap_or_default().to_string();
    let uuid = ns.rsplit('-').take(5).collect::<Vec<_>>();
    assert_eq!(uuid.len(), 5);
    assert!(serial.starts_with("urn:uuid:"), "{serial}");
    // A UUID version 5.
    assert_eq!(
        serial.chars().nth("urn:uuid:".len() + 14),
        Some('5'),
        "{serial}"
    );

    // Another image (other config digest) gives another namespace and serial.
    let mut other = sbom.clone();
    other.subject.identities[1].digest = format!("sha256:{}", "1".repeat(64));
    let doc2 = spdx(&other, "alpine-other");
    let bom2 = cdx(&other, CycloneDxVersion::V1_6, "alpine-other");
    assert_ne!(doc2["documentNamespace"], doc["documentNamespace"]);
    assert_ne!(bom2["serialNumber"], bom["serialNumber"]);
    // Same image, different content (one package less): different too.
    let mut fewer = sbom.clone();
    fewer.packages.retain(|p| p.name != "zlib");
    let doc3 = spdx(&fewer, "alpine-fewer");
    assert_ne!(doc3["documentNamespace"], doc["documentNamespace"]);
}

fn props<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
    c["properties"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| p["name"] == name)
                .filter_map(|p| p["value"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cyclonedx_image_metadata_components_and_licenses() {
    for v in CycloneDxVersion::ALL {
        let bom = cdx(&alpine_image(), v, "alpine-image");
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], v.as_str());
        assert_eq!(
            bom["$schema"],
            format!("http://cyclonedx.org/schema/bom-{}.schema.json", v.as_str())
        );
        assert_eq!(bom["version"], 1);
        let md = &bom["metadata"];
        assert_eq!(md["timestamp"], "2022-08-09T17:39:51Z");
        // 1.7 says in which phase the BOM was made: after the build, from what was built.
        if v == CycloneDxVersion::V1_7 {
            assert_eq!(
                md["lifecycles"],
                serde_json::json!([{"phase": "post-build"}])
            );
        } else {
            assert!(
                md.get("lifecycles").is_none(),
                "1.5 and 1.6 stay as they were"
            );
        }
        if v >= CycloneDxVersion::V1_6 {
            assert_eq!(md["tools"]["components"][0]["name"], "sbomkit");
            assert_eq!(md["tools"]["components"][0]["type"], "application");
        } else {
            // The legacy array, which readers on older cyclonedx-go (Trivy 0.44) require.
            assert_eq!(md["tools"][0]["vendor"], "sbomkit");
            assert_eq!(md["tools"][0]["name"], "sbomkit");
        }
        let subject = &md["component"];
        assert_eq!(subject["type"], "container");
        assert!(subject["purl"]
            .as_str()
            .unwrap_or_default()
            .starts_with("pkg:oci/alpine@sha256:c0d488a8"));
        assert_eq!(subject["bom-ref"], subject["purl"]);
        assert_eq!(subject["hashes"][0]["alg"], "SHA-256");
        assert_eq!(
            subject["hashes"][0]["content"],
            CONFIG.trim_start_matches("sha256:")
        );
        assert_eq!(props(subject, "sbomkit:image:manifest-digest"), [MANIFEST]);
        assert_eq!(props(subject, "sbomkit:image:platform"), ["linux/arm64/v8"]);
        assert_eq!(
            props(subject, "sbomkit:image:layer"),
            [format!("0 {LAYER0}"), format!("1 {LAYER1}")]
        );

        assert_eq!(component(&bom, "alpine")["type"], "operating-system");
        let musl = component(&bom, "musl");
        assert_eq!(musl["type"], "library");
        assert_eq!(musl["bom-ref"], "apk:musl@1.2.3-r0");
        assert_eq!(musl["cpe"], "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*");
        assert_eq!(
            props(musl, "sbomkit:cpe"),
            ["cpe:2.3:a:musl:musl:1.2.3:*:*:*:*:*:*:*"]
        );
        assert_eq!(props(musl, "sbomkit:layer"), [LAYER0]);
        assert_eq!(props(musl, "sbomkit:source-package"), ["musl"]);
        assert_eq!(props(musl, "sbomkit:apk:origin"), ["musl"]);
        assert_eq!(musl["supplier"]["name"], "Alpine Linux");
        assert_eq!(musl["hashes"][0]["alg"], "SHA-1");
        // From 1.6 a license says that the package declares it (BSI's "original licence").
        let declared = |mut list: Value| {
            if v >= CycloneDxVersion::V1_6 {
                for l in list.as_array_mut().unwrap() {
                    match l.get_mut("license") {
                        Some(named) => named["acknowledgement"] = "declared".into(),
                        None => l["acknowledgement"] = "declared".into(),
                    }
                }
            }
            list
        };
        assert_eq!(
            musl["licenses"],
            declared(serde_json::json!([{"expression": "MIT"}]))
        );
        assert_eq!(musl["externalReferences"][0]["type"], "website");
        if v >= CycloneDxVersion::V1_6 {
            assert_eq!(musl["authors"][0]["name"], "Timo Teräs");
            assert_eq!(musl["authors"][0]["email"], "timo.teras@iki.fi");
        } else {
            assert_eq!(musl["author"], "Timo Teräs");
        }
        assert_eq!(
            component(&bom, "tzdata")["licenses"],
            declared(
                serde_json::json!([{"license": {"name": "Public-Domain"}}, {"license": {"name": "Freely redistributable"}}])
            )
        );
        assert!(component(&bom, "scanelf").get("licenses").is_none());
        // Files are components, the MD5-only one too.
        let utc = component(&bom, "/usr/share/zoneinfo/UTC");
        assert_eq!(utc["type"], "file");
        let algs: Vec<&str> = arr(utc, "hashes")
            .iter()
            .filter_map(|h| h["alg"].as_str())
            .collect();
        assert_eq!(algs, ["SHA-256", "MD5"]);
        assert_eq!(props(utc, "sbomkit:package"), ["apk:tzdata@2022c-r0"]);
    }
}

#[test]
fn cyclonedx_dependency_graph_is_complete_and_closed() {
    let sbom = alpine_image();
    let bom = cdx(&sbom, CycloneDxVersion::V1_6, "alpine-image");
    let subject_ref = bom["metadata"]["component"]["bom-ref"]
        .as_str()
        .unwrap_or_default();
    let mut refs: Vec<&str> = vec![subject_ref];
    refs.extend(
        arr(&bom, "components")
            .iter()
            .filter_map(|c| c["bom-ref"].as_str()),
    );
    let deps = arr(&bom, "dependencies");
    let dep_refs: Vec<&str> = deps.iter().filter_map(|d| d["ref"].as_str()).collect();
    assert_eq!(dep_refs, refs, "one entry per component, subject first");
    let known: BTreeSet<&str> = refs.iter().copied().collect();
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in deps {
        let on: Vec<&str> = d["dependsOn"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut sorted = on.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(on, sorted, "dependsOn unique and sorted");
        for o in &on {
            assert!(known.contains(o), "dependsOn names unknown {o}");
        }
        graph.insert(d["ref"].as_str().unwrap_or_default(), on);
    }
    assert_eq!(
        graph[subject_ref].len(),
        sbom.packages.len(),
        "the subject reaches every package"
    );
    assert_eq!(
        graph["apk:busybox@1.35.0-r17"],
        ["apk:musl@1.2.3-r0", "apk:ssl_client@1.35.0-r17"]
    );
    assert_eq!(
        props(component(&bom, "busybox"), "sbomkit:optional-depends-on"),
        ["apk:ssl_client@1.35.0-r17"]
    );
    assert!(graph["apk:musl@1.2.3-r0"].is_empty());
}

#[test]
fn file_and_folder_subjects() {
    let file = file_subject();
    let doc = spdx(&file, "file-subject");
    let root = spdx_package(&doc, "installed");
    assert_eq!(root["primaryPackagePurpose"], "FILE");
    assert_eq!(root["checksums"][0]["algorithm"], "SHA256");
    assert!(
        root.get("externalRefs").is_none(),
        "no purl for a plain file"
    );
    assert!(has_rel(
        &doc,
        "SPDXRef-DOCUMENT",
        "DESCRIBES",
        root["SPDXID"].as_str().unwrap_or_default()
    ));
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    for v in CycloneDxVersion::ALL {
        let bom = cdx(&file, v, "file-subject");
        assert_eq!(bom["metadata"]["component"]["type"], "file");
        assert_eq!(bom["metadata"]["component"]["hashes"][0]["alg"], "SHA-256");
    }

    let folder = folder_subject();
    let doc = spdx(&folder, "folder-subject");
    let root = spdx_package(&doc, "rootfs");
    assert_eq!(root["primaryPackagePurpose"], "OTHER");
    assert!(root.get("checksums").is_none());
    assert!(root.get("versionInfo").is_none());
    let ns_a = doc["documentNamespace"].clone();
    for v in CycloneDxVersion::ALL {
        let bom = cdx(&folder, v, "folder-subject");
        assert!(bom["metadata"]["component"].get("purl").is_none());
        assert_eq!(
            bom["dependencies"][0]["dependsOn"][0],
            "apk:busybox@1.35.0-r17"
        );
    }
    // Without identities the namespace still follows the content.
    let mut other = folder.clone();
    other.packages[0].version = "1.36.0-r0".into();
    assert_ne!(spdx(&other, "folder-other")["documentNamespace"], ns_a);
}

#[test]
fn empty_model_still_gives_valid_documents() {
    let sbom = Sbom::default();
    spdx(&sbom, "empty");
    for v in CycloneDxVersion::ALL {
        cdx(&sbom, v, "empty");
    }
    let table =
        String::from_utf8(render(&sbom, Format::Table, CycloneDxVersion::V1_6)).unwrap_or_default();
    assert_eq!(table, "NAME  VERSION  TYPE  LAYER\n0 packages\n");
}

#[test]
fn table_is_aligned_sorted_and_counted() {
    let mut sbom = alpine_image();
    let mut wide = sbom.packages[1].clone();
    wide.id = "apk:日本語-doc@1.0-r0".into();
    wide.name = "日本語-doc".into();
    wide.version = "1.0-r0".into();
    sbom.packages.push(wide);
    sbom.normalize();
    let text =
        String::from_utf8(render(&sbom, Format::Table, CycloneDxVersion::V1_6)).expect("UTF-8");
    schema::sample("alpine-image.table.txt", text.as_bytes());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("NAME "), "{text}");
    assert!(lines[1].starts_with("alpine "), "OS first: {text}");
    let names: Vec<&str> = lines[2..lines.len() - 1]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "{text}");
    // Columns start at the same display column on every row, wide characters included.
    let col = |line: &str, field: usize| -> usize {
        let mut width = 0;
        let mut in_field = false;
        let mut seen = 0;
        for c in line.chars() {
            let space = c == ' ';
            if !space && !in_field {
                if seen == field {
                    return width;
                }
                seen += 1;
            }
            in_field = !space;
            width += if c.len_utf8() == 3 { 2 } else { 1 };
        }
        usize::MAX
    };
    for field in 1..4 {
        let starts: BTreeSet<usize> = lines[..lines.len() - 1]
            .iter()
            .map(|l| col(l, field))
            .collect();
        assert_eq!(starts.len(), 1, "column {field} misaligned:\n{text}");
    }
    let musl = lines
        .iter()
        .find(|l| l.starts_with("musl "))
        .expect("musl row");
    assert!(musl.ends_with(&format!("0 {}", &LAYER0[7..19])), "{musl}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("zlib ") && l.ends_with(&LAYER1[7..19])));
    assert_eq!(
        lines[lines.len() - 1],
        "10 packages (9 apk, 1 os), 2 layers, 3 files"
    );
    assert!(
        !text.lines().any(|l| l.ends_with(' ')),
        "no trailing blanks"
    );
}

/// The validator itself: the CycloneDX project's 1.6 conformance vectors are accepted or rejected as
/// named, and SPDX's own example passes while a document with the tag-value purpose spelling fails.
#[test]
fn schema_validator_accepts_and_rejects_conformance_vectors() {
    let dir = schema::schemas_dir().join("cyclonedx/testvectors/1.6");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("vectors")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    let (mut valid, mut invalid) = (0, 0);
    let (mut rejected_valid, mut accepted_invalid) = (Vec::new(), Vec::new());
    for path in &entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
        let errs = schema::cyclonedx_errors(&doc);
        if name.starts_with("valid-") {
            valid += 1;
            if !errs.is_empty() {
                rejected_valid.push(name);
            }
        } else if name.starts_with("invalid-") {
            invalid += 1;
            if errs.is_empty() {
                accepted_invalid.push(name);
            }
        }
    }
    // All of them, including the JSF signature vectors and `invalid-metadata-timestamp` that Python's
    // jsonschema misjudges (schemas/README.md): format assertions are on here.
    assert_eq!(
        rejected_valid,
        Vec::<String>::new(),
        "valid vectors rejected"
    );
    assert_eq!(
        accepted_invalid,
        Vec::<String>::new(),
        "invalid vectors accepted"
    );
    assert!(
        valid > 40 && invalid > 20,
        "{valid} valid, {invalid} invalid vectors"
    );

    let example = schema::load_json("spdx/examples/SPDXJSONExample-v2.3.spdx.json");
    assert!(
        schema::spdx_errors(&example).is_empty(),
        "{:?}",
        schema::spdx_errors(&example)
    );
    let mut bad = serde_json::from_slice::<Value>(&render(
        &alpine_image(),
        Format::SpdxJson,
        CycloneDxVersion::V1_6,
    ))
    .expect("JSON");
    bad["packages"][1]["primaryPackagePurpose"] = "OPERATING-SYSTEM".into();
    assert!(!schema::spdx_errors(&bad).is_empty());
    let mut bad = serde_json::from_slice::<Value>(&render(
        &alpine_image(),
        Format::CycloneDxJson,
        CycloneDxVersion::V1_6,
    ))
    .expect("JSON");
    bad["metadata"]["timestamp"] = "yesterday".into();
    assert!(
        !schema::cyclonedx_errors(&bad).is_empty(),
        "date-time format is asserted"
    );
}

/// The `cyclonedx-bom` crate reads our 1.5 output with its own 1.5 model and passes its semantic checks
/// (purls parse, license expressions are valid SPDX, bom-refs unique, dependencies name known refs).
#[test]
fn cyclonedx_1_5_reads_back_with_cyclonedx_bom() {
    use cyclonedx_bom::prelude::{Bom, SpecVersion, Validate};
    for sbom in [alpine_image(), file_subject(), folder_subject()] {
        let bytes = render(&sbom, Format::CycloneDxJson, CycloneDxVersion::V1_5);
        let bom =
            Bom::parse_from_json_v1_5(bytes.as_slice()).expect("cyclonedx-bom reads 1.5 output");
        let result = bom.validate_version(SpecVersion::V1_5);
        assert!(result.passed(), "{:?}", result.errors().collect::<Vec<_>>());
        let components = bom.components.map(|c| c.0.len()).unwrap_or(0);
        assert_eq!(components, sbom.packages.len() + sbom.files.len());
    }
}

/// Every output of `sbom` against the golden files `tests/golden/NAME.*` (refreshed with
/// `SBOMKIT_BLESS=1`); the documents are schema-valid before they are compared or stored.
fn goldens(sbom: &Sbom, name: &str) {
    for (format, version, ext) in golden_outputs() {
        let bytes = render(sbom, format, version);
        match format {
            Format::SpdxJson => schema::assert_valid_spdx(&serde_json::from_slice(&bytes).unwrap()),
            Format::Spdx3Json => {
                schema::assert_valid_spdx3(&serde_json::from_slice(&bytes).unwrap())
            }
            Format::CycloneDxJson => {
                schema::assert_valid_cyclonedx(&serde_json::from_slice(&bytes).unwrap())
            }
            // Tag-value and XML are validated by scripts/interop-sbom.sh, against the JSON beside.
            _ => {}
        }
        golden::check(&format!("{name}.{ext}"), &bytes);
        schema::sample(&format!("golden-{name}.{ext}"), &bytes);
    }
}

/// Every output with a golden file: format, CycloneDX version, file name extension.
fn golden_outputs() -> Vec<(Format, CycloneDxVersion, String)> {
    let mut outputs = vec![
        (
            Format::SpdxJson,
            CycloneDxVersion::V1_7,
            "spdx.json".to_string(),
        ),
        (
            Format::SpdxTagValue,
            CycloneDxVersion::V1_7,
            "spdx".to_string(),
        ),
        (
            Format::Spdx3Json,
            CycloneDxVersion::V1_7,
            "spdx3.json".to_string(),
        ),
        (
            Format::Table,
            CycloneDxVersion::V1_7,
            "table.txt".to_string(),
        ),
    ];
    for v in CycloneDxVersion::ALL {
        outputs.push((Format::CycloneDxJson, v, format!("{}.json", cdx_suffix(v))));
        outputs.push((Format::CycloneDxXml, v, format!("{}.xml", cdx_suffix(v))));
    }
    outputs
}

/// The alpine image with ELF facts on `/bin/busybox`, as the scan records them.
fn alpine_image_with_elf_facts(files_partial: bool) -> Sbom {
    let mut sbom = alpine_image();
    let f = sbom
        .files
        .iter_mut()
        .find(|f| f.path == "/bin/busybox")
        .expect("busybox is recorded");
    f.kind = Some(FileKind::Executable);
    for (k, v) in [
        ("sbomkit:elf:type", "pie-executable"),
        ("sbomkit:elf:linkage", "dynamic"),
        ("sbomkit:elf:relro", "full"),
    ] {
        f.properties.insert(k.into(), v.into());
    }
    sbom.files_partial = files_partial;
    sbom
}

fn table(sbom: &Sbom, width: Option<usize>) -> String {
    let mut out = Vec::new();
    let opts = WriteOptions {
        cyclonedx_version: CycloneDxVersion::V1_6,
        width,
    };
    format::write(sbom, Format::Table, &opts, &mut out).expect("writer succeeds");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn table_lists_elf_files_only_when_every_file_was_recorded() {
    // Without `--files` only files packages own are recorded: the table shows the packages.
    let partial = table(&alpine_image_with_elf_facts(true), None);
    assert_eq!(partial, table(&alpine_image(), None));
    assert!(!partial.contains("/bin/busybox"), "{partial}");

    // With `--files` the ELF files follow, with their facts and owner.
    let full = table(&alpine_image_with_elf_facts(false), None);
    golden::check("alpine-image-files.table.txt", full.as_bytes());
    assert!(full.lines().any(|l| l.starts_with("FILE ")), "{full}");
    let row = full
        .lines()
        .find(|l| l.starts_with("/bin/busybox "))
        .expect("busybox row");
    for fact in ["pie-executable", "dynamic", "full", "busybox"] {
        assert!(row.contains(fact), "{row}");
    }

    // On a 40-column terminal every line fits and long cells end in `…`.
    let narrow = table(&alpine_image_with_elf_facts(false), Some(40));
    golden::check("alpine-image-files-40.table.txt", narrow.as_bytes());
    let (tables, summary) = narrow.trim_end().rsplit_once('\n').unwrap();
    for l in tables.lines() {
        assert!(l.chars().count() <= 40, "{l:?}");
    }
    assert!(narrow.contains("ca-certif…  20220614-…"), "{narrow}");
    assert!(summary.starts_with("9 packages"), "{summary}");
}

#[test]
fn image_outputs_match_their_goldens() {
    goldens(&alpine_image(), "alpine-image");
}

#[test]
fn file_outputs_match_their_goldens() {
    goldens(&file_subject(), "file");
}

#[test]
fn folder_outputs_match_their_goldens() {
    goldens(&folder_subject(), "folder");
}

#[test]
fn empty_model_outputs_match_their_goldens() {
    goldens(&Sbom::default(), "empty");
}

const AMD64_MANIFEST: &str =
    "sha256:0c1e4b0f5b7c3f6cdbbe0d7b4f1d0a4f08dd67b3f1f36a1d2bb3c6bb94d2f6a1";
const INDEX_DIGEST: &str =
    "sha256:9a64cd8e4b6a2f8be0e4b4f1c5e6d0c3a5c2e1b7d98f0a3c6e4d2b1a0f9e8d7c";

/// The two platforms of one image index, as `--platform all` scans them, and the index.
fn two_platforms() -> (Vec<Sbom>, sbomkit::model::ImageIndex) {
    let arm = alpine_image();
    let mut amd = alpine_image();
    amd.subject.platform = Some(Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
        os_version: None,
    });
    amd.subject.identities[0].digest = AMD64_MANIFEST.into();
    let index = sbomkit::model::ImageIndex {
        name: arm.subject.name.clone(),
        version: arm.subject.version.clone(),
        digest: INDEX_DIGEST.into(),
        media_type: "application/vnd.oci.image.index.v1+json".into(),
        annotations: BTreeMap::from([(
            "org.opencontainers.image.created".to_string(),
            "2022-08-09T17:39:51Z".to_string(),
        )]),
        images: [&amd, &arm]
            .iter()
            .map(|s| sbomkit::model::IndexImage {
                platform: s.subject.platform.clone(),
                manifest_digest: s.subject.identities[0].digest.clone(),
            })
            .collect(),
    };
    (vec![amd, arm], index)
}

/// The index document in `format` over `docs`, the platforms' documents as written.
fn index_document(
    sboms: &[Sbom],
    index: &sbomkit::model::ImageIndex,
    docs: &[Vec<u8>],
    format: Format,
    v: CycloneDxVersion,
) -> Vec<u8> {
    let refs: Vec<format::index::PlatformDoc<'_>> = sboms
        .iter()
        .zip(docs)
        .map(|(sbom, bytes)| format::index::PlatformDoc { sbom, bytes })
        .collect();
    let opts = WriteOptions {
        cyclonedx_version: v,
        width: None,
    };
    let mut out = Vec::new();
    format::index::write_index(index, &refs, format, &opts, 1_660_066_791, &mut out)
        .expect("index writer succeeds");
    out
}

#[test]
fn index_outputs_match_their_goldens() {
    let (sboms, index) = two_platforms();
    for (format, v, ext) in golden_outputs() {
        let docs: Vec<Vec<u8>> = sboms.iter().map(|s| render(s, format, v)).collect();
        let bytes = index_document(&sboms, &index, &docs, format, v);
        match format {
            Format::SpdxJson => schema::assert_valid_spdx(&serde_json::from_slice(&bytes).unwrap()),
            Format::Spdx3Json => {
                schema::assert_valid_spdx3(&serde_json::from_slice(&bytes).unwrap())
            }
            Format::CycloneDxJson => {
                schema::assert_valid_cyclonedx(&serde_json::from_slice(&bytes).unwrap())
            }
            // Validated with the JSON of the same platform documents, below.
            _ => {}
        }
        golden::check(&format!("index.{ext}"), &bytes);
        if ext.ends_with(".json") {
            schema::sample(&format!("golden-index.{ext}"), &bytes);
        }
    }
}

/// Over the same platform documents, the tag-value and XML index documents are their JSON's: the
/// same ids, and checksums of the documents in that format.
#[test]
fn the_index_document_in_tag_value_and_xml_says_what_its_json_says() {
    use sha1::Sha1;
    use sha2::{Digest, Sha256};
    let (sboms, index) = two_platforms();
    let tv_docs: Vec<Vec<u8>> = sboms
        .iter()
        .map(|s| render(s, Format::SpdxTagValue, CycloneDxVersion::V1_7))
        .collect();
    let tv = index_document(
        &sboms,
        &index,
        &tv_docs,
        Format::SpdxTagValue,
        CycloneDxVersion::V1_7,
    );
    let json = index_document(
        &sboms,
        &index,
        &tv_docs,
        Format::SpdxJson,
        CycloneDxVersion::V1_7,
    );
    assert_tag_value_matches_json(&json, &tv, "index-tv");
    let pairs = read_tag_value(std::str::from_utf8(&tv).unwrap());
    let refs = values(&pairs, "ExternalDocumentRef");
    assert_eq!(refs.len(), 2);
    for (r, (doc, platform)) in refs
        .iter()
        .zip(tv_docs.iter().zip(["linux-amd64", "linux-arm64-v8"]))
    {
        let doc_pairs = read_tag_value(std::str::from_utf8(doc).unwrap());
        let ns = values(&doc_pairs, "DocumentNamespace")[0];
        assert_eq!(
            *r,
            format!(
                "DocumentRef-{platform}-{} {ns} SHA1: {}",
                usize::from(platform.contains("arm")),
                hex::encode(Sha1::digest(doc))
            )
        );
    }
    assert!(values(&pairs, "PackageChecksum")
        .contains(&format!("SHA256: {}", INDEX_DIGEST.strip_prefix("sha256:").unwrap()).as_str()));

    for v in CycloneDxVersion::ALL {
        let xml_docs: Vec<Vec<u8>> = sboms
            .iter()
            .map(|s| render(s, Format::CycloneDxXml, v))
            .collect();
        let xml = index_document(&sboms, &index, &xml_docs, Format::CycloneDxXml, v);
        let json = index_document(&sboms, &index, &xml_docs, Format::CycloneDxJson, v);
        let bom = assert_xml_matches_json(json, xml, v, "index-xml");
        let images: Vec<&El> = bom.child("components").unwrap().all("component").collect();
        assert_eq!(images.len(), 2);
        for (image, doc) in images.iter().zip(&xml_docs) {
            let platform_bom = read_xml(std::str::from_utf8(doc).unwrap());
            let serial = &platform_bom.attrs["serialNumber"];
            let r = image
                .child("externalReferences")
                .unwrap()
                .child("reference")
                .unwrap();
            assert_eq!(r.attrs["type"], "bom");
            assert_eq!(
                r.text_of("url").unwrap(),
                format!("urn:cdx:{}/1", serial.strip_prefix("urn:uuid:").unwrap())
            );
            let hash = r.child("hashes").unwrap().child("hash").unwrap();
            assert_eq!(hash.attrs["alg"], "SHA-256");
            assert_eq!(hash.text, hex::encode(Sha256::digest(doc)));
        }
    }
}

/// An XML element as the tests read it back: name without prefix, attributes, text, children.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: BTreeMap<String, String>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
    /// The `component`s of this element's `components`, and those nested in them, depth first.
    fn all_components(&self) -> Vec<&El> {
        let mut out = Vec::new();
        for c in self
            .child("components")
            .into_iter()
            .flat_map(|l| l.all("component"))
        {
            out.push(c);
            out.extend(c.all_components());
        }
        out
    }
}

/// Reads XML with quick-xml's reader, resolving entity and character references.
fn read_xml(text: &str) -> El {
    use quick_xml::events::{BytesStart, Event};
    fn open(e: &BytesStart) -> El {
        El {
            name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.expect("well-formed attribute");
                    let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                    (
                        k,
                        a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .expect("attribute value")
                            .into_owned(),
                    )
                })
                .collect(),
            ..El::default()
        }
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![El::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(open(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("character reference") {
                    Some(c) => c,
                    None => match r.decode().unwrap().as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("undeclared entity {other}"),
                    },
                };
                stack.last_mut().unwrap().text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "every element closed");
    stack.pop().unwrap().children.pop().expect("a root element")
}

/// A string as the XML writer must write it: what XML 1.0 cannot hold as U+FFFD.
fn as_xml(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn json_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Checks that an XML component says everything its JSON twin says.
/// An external reference's comment and hashes (algorithm, value).
type RefDetails = (Option<String>, Vec<(String, String)>);

fn assert_same_component(json: &Value, xml: &El) {
    let name = json_str(json, "name").unwrap();
    let at = |what: &str| format!("component {name:?}: {what}");
    assert_eq!(xml.name, "component");
    assert_eq!(
        xml.attrs.get("type").map(String::as_str),
        json_str(json, "type")
    );
    assert_eq!(
        xml.attrs.get("bom-ref").cloned(),
        json_str(json, "bom-ref").map(as_xml),
        "{}",
        at("bom-ref")
    );
    for key in ["name", "version", "description", "cpe", "purl", "author"] {
        assert_eq!(
            xml.text_of(key).map(str::to_string),
            json_str(json, key).map(as_xml),
            "{}",
            at(key)
        );
    }
    assert_eq!(
        xml.child("supplier").and_then(|s| s.text_of("name")),
        json["supplier"]["name"].as_str(),
        "{}",
        at("supplier")
    );
    let pairs = |v: &Value, a: &str, b: &str| -> Vec<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                (
                    as_xml(x[a].as_str().unwrap_or_default()),
                    as_xml(x[b].as_str().unwrap_or_default()),
                )
            })
            .collect()
    };
    let xml_hashes: Vec<(String, String)> = xml
        .child("hashes")
        .into_iter()
        .flat_map(|h| h.all("hash"))
        .map(|h| (h.attrs["alg"].clone(), h.text.clone()))
        .collect();
    assert_eq!(
        xml_hashes,
        pairs(&json["hashes"], "alg", "content"),
        "{}",
        at("hashes")
    );
    let xml_props: Vec<(String, String)> = xml
        .child("properties")
        .into_iter()
        .flat_map(|p| p.all("property"))
        .map(|p| (p.attrs["name"].clone(), p.text.clone()))
        .collect();
    assert_eq!(
        xml_props,
        pairs(&json["properties"], "name", "value"),
        "{}",
        at("properties")
    );
    let xml_authors: Vec<(String, String)> = xml
        .child("authors")
        .into_iter()
        .flat_map(|a| a.all("author"))
        .map(|a| {
            (
                a.text_of("name").unwrap_or_default().to_string(),
                a.text_of("email").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        xml_authors,
        pairs(&json["authors"], "name", "email"),
        "{}",
        at("authors")
    );
    let xml_licenses: Vec<String> = xml
        .child("licenses")
        .into_iter()
        .flat_map(|l| &l.children)
        .map(|l| match l.name.as_str() {
            "expression" => format!("expression {}", l.text),
            _ => format!("name {}", l.text_of("name").unwrap_or_default()),
        })
        .collect();
    let json_licenses: Vec<String> = json["licenses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| match l["expression"].as_str() {
            Some(e) => format!("expression {}", as_xml(e)),
            None => format!(
                "name {}",
                as_xml(l["license"]["name"].as_str().unwrap_or_default())
            ),
        })
        .collect();
    assert_eq!(xml_licenses, json_licenses, "{}", at("licenses"));
    let xml_refs: Vec<(String, String)> = xml
        .child("externalReferences")
        .into_iter()
        .flat_map(|r| r.all("reference"))
        .map(|r| {
            (
                r.attrs["type"].clone(),
                r.text_of("url").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        xml_refs,
        pairs(&json["externalReferences"], "type", "url"),
        "{}",
        at("references")
    );
    let xml_ref_details: Vec<RefDetails> = xml
        .child("externalReferences")
        .into_iter()
        .flat_map(|r| r.all("reference"))
        .map(|r| {
            let hashes = r
                .child("hashes")
                .into_iter()
                .flat_map(|h| h.all("hash"))
                .map(|h| (h.attrs["alg"].clone(), h.text.clone()))
                .collect();
            (r.text_of("comment").map(str::to_string), hashes)
        })
        .collect();
    let json_ref_details: Vec<RefDetails> = json["externalReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["comment"].as_str().map(as_xml),
                pairs(&r["hashes"], "alg", "content"),
            )
        })
        .collect();
    assert_eq!(
        xml_ref_details,
        json_ref_details,
        "{}",
        at("reference comments and hashes")
    );
    let evidence = xml.child("evidence");
    let locations: Vec<String> = evidence
        .and_then(|e| e.child("occurrences"))
        .into_iter()
        .flat_map(|o| o.all("occurrence"))
        .map(|o| o.text_of("location").unwrap_or_default().to_string())
        .collect();
    let json_locations: Vec<String> = json["evidence"]["occurrences"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| as_xml(o["location"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(locations, json_locations, "{}", at("occurrences"));
    let identity = evidence.and_then(|e| e.child("identity"));
    let json_identity = &json["evidence"]["identity"];
    assert_eq!(
        identity.is_some(),
        !json_identity.is_null(),
        "{}",
        at("identity")
    );
    if let Some(id) = identity {
        assert_eq!(id.text_of("field"), json_identity["field"].as_str());
        let method = id.child("methods").and_then(|m| m.child("method")).unwrap();
        assert_eq!(
            method.text_of("value").map(str::to_string),
            json_identity["methods"][0]["value"].as_str().map(as_xml)
        );
        assert_eq!(
            method.text_of("technique"),
            json_identity["methods"][0]["technique"].as_str()
        );
    }
    // The packages nested in it, in the same order, compared the same way.
    let nested: Vec<&El> = xml
        .child("components")
        .into_iter()
        .flat_map(|c| c.all("component"))
        .collect();
    let json_nested: Vec<&Value> = json["components"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        nested.len(),
        json_nested.len(),
        "{}",
        at("nested components")
    );
    for (j, x) in json_nested.into_iter().zip(nested) {
        assert_same_component(j, x);
    }
}

/// The XML of a version against the JSON of that version: the same BOM, element for field.
fn assert_xml_says_what_json_says(sbom: &Sbom, v: CycloneDxVersion, sample: &str) -> El {
    let json_bytes = render(sbom, Format::CycloneDxJson, v);
    let xml_bytes = render(sbom, Format::CycloneDxXml, v);
    assert_xml_matches_json(json_bytes, xml_bytes, v, sample)
}

fn assert_xml_matches_json(
    json_bytes: Vec<u8>,
    xml_bytes: Vec<u8>,
    v: CycloneDxVersion,
    sample: &str,
) -> El {
    let ext = cdx_suffix(v);
    schema::sample(&format!("{sample}.{ext}.json"), &json_bytes);
    schema::sample(&format!("{sample}.{ext}.xml"), &xml_bytes);
    let json: Value = serde_json::from_slice(&json_bytes).unwrap();
    schema::assert_valid_cyclonedx(&json);
    let text = String::from_utf8(xml_bytes).expect("XML is UTF-8");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let bom = read_xml(&text);
    assert_eq!(bom.name, "bom");
    let ns = format!("http://cyclonedx.org/schema/bom/{}", v.as_str());
    assert_eq!(bom.attrs["xmlns"], ns);
    assert_eq!(
        bom.attrs["serialNumber"],
        json["serialNumber"].as_str().unwrap()
    );
    assert_eq!(bom.attrs["version"], "1");
    let md = bom.child("metadata").unwrap();
    assert_eq!(
        md.text_of("timestamp"),
        json["metadata"]["timestamp"].as_str()
    );
    let phases: Vec<&str> = md
        .child("lifecycles")
        .into_iter()
        .flat_map(|l| l.all("lifecycle"))
        .filter_map(|l| l.text_of("phase"))
        .collect();
    let json_phases: Vec<&str> = json["metadata"]["lifecycles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["phase"].as_str())
        .collect();
    assert_eq!(phases, json_phases);
    let tools = md.child("tools").unwrap();
    match v {
        CycloneDxVersion::V1_5 => {
            let tool = tools.child("tool").unwrap();
            assert_eq!(
                tool.text_of("name"),
                json["metadata"]["tools"][0]["name"].as_str()
            );
            assert_eq!(
                tool.text_of("vendor"),
                json["metadata"]["tools"][0]["vendor"].as_str()
            );
            assert_eq!(
                tool.text_of("version"),
                json["metadata"]["tools"][0]["version"].as_str()
            );
        }
        _ => assert_same_component(
            &json["metadata"]["tools"]["components"][0],
            tools
                .child("components")
                .unwrap()
                .child("component")
                .unwrap(),
        ),
    }
    assert_same_component(
        &json["metadata"]["component"],
        md.child("component").unwrap(),
    );
    let props: Vec<(String, String)> = md
        .child("properties")
        .into_iter()
        .flat_map(|p| p.all("property"))
        .map(|p| (p.attrs["name"].clone(), p.text.clone()))
        .collect();
    let json_props: Vec<(String, String)> = json["metadata"]["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                as_xml(p["value"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(props, json_props);
    let components: Vec<&El> = bom.child("components").unwrap().all("component").collect();
    let json_components = arr(&json, "components");
    assert_eq!(components.len(), json_components.len());
    for (j, x) in json_components.iter().zip(components) {
        assert_same_component(j, x);
    }
    let deps: Vec<(String, Vec<String>)> = bom
        .child("dependencies")
        .unwrap()
        .all("dependency")
        .map(|d| {
            let on = d
                .all("dependency")
                .map(|o| o.attrs["ref"].clone())
                .collect();
            (d.attrs["ref"].clone(), on)
        })
        .collect();
    let json_deps: Vec<(String, Vec<String>)> = arr(&json, "dependencies")
        .iter()
        .map(|d| {
            let on = d["dependsOn"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| as_xml(o.as_str().unwrap()))
                .collect();
            (as_xml(d["ref"].as_str().unwrap()), on)
        })
        .collect();
    assert_eq!(deps, json_deps);
    let compositions: Vec<(String, Vec<String>)> = bom
        .child("compositions")
        .into_iter()
        .flat_map(|c| c.all("composition"))
        .map(|c| {
            let assemblies = c
                .child("assemblies")
                .into_iter()
                .flat_map(|a| a.all("assembly"))
                .map(|a| a.attrs["ref"].clone())
                .collect();
            (
                c.text_of("aggregate").unwrap_or_default().to_string(),
                assemblies,
            )
        })
        .collect();
    let json_compositions: Vec<(String, Vec<String>)> = json["compositions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let assemblies = c["assemblies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| as_xml(a.as_str().unwrap()))
                .collect();
            (c["aggregate"].as_str().unwrap().to_string(), assemblies)
        })
        .collect();
    assert_eq!(compositions, json_compositions);
    bom
}

#[test]
fn cyclonedx_xml_says_what_the_json_of_its_version_says() {
    let mut unknowns = alpine_image();
    unknowns.unknowns.push(sbomkit::model::Unknown {
        location: "var/lib/pacman/local".into(),
        what: "pacman package database".into(),
        why: "no cataloger reads it".into(),
        cause: sbomkit::model::UnknownCause::UnreadDatabase,
    });
    for v in CycloneDxVersion::ALL {
        let bom = assert_xml_says_what_json_says(&alpine_image(), v, "xml-alpine-image");
        // Every kind of content is there to compare: hashes, licenses, evidence, files.
        let components: Vec<&El> = bom.child("components").unwrap().all("component").collect();
        assert!(components.iter().any(|c| c.child("licenses").is_some()));
        assert!(components.iter().any(|c| c.attrs["type"] == "file"));
        assert_xml_says_what_json_says(&alpine_image_with_elf_facts(false), v, "xml-alpine-elf");
        assert_xml_says_what_json_says(&file_subject(), v, "xml-file-subject");
        assert_xml_says_what_json_says(&folder_subject(), v, "xml-folder-subject");
        assert_xml_says_what_json_says(&Sbom::default(), v, "xml-empty");
        let bom = assert_xml_says_what_json_says(&unknowns, v, "xml-unknowns");
        assert!(bom.child("compositions").is_some());
    }
}

/// Tag-value as `(tag, value)` pairs, `<text>` blocks joined, `##` comments and blank lines skipped.
fn read_tag_value(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (tag, value) = line.split_once(": ").expect("Tag: value");
        let mut value = value.to_string();
        if let Some(rest) = value.strip_prefix("<text>") {
            let mut block = rest.to_string();
            while !block.ends_with("</text>") {
                block.push('\n');
                block.push_str(lines.next().expect("</text> closes the block"));
            }
            value = block.trim_end_matches("</text>").to_string();
        }
        out.push((tag.to_string(), value));
    }
    out
}

/// The records of one kind (`PackageName`, `FileName`, `LicenseID`): each runs to the next record
/// of any kind or to the relationships.
fn records<'a>(pairs: &'a [(String, String)], kind: &str) -> Vec<&'a [(String, String)]> {
    const STARTS: [&str; 4] = ["PackageName", "FileName", "LicenseID", "Relationship"];
    let at: Vec<usize> = (0..pairs.len())
        .filter(|&i| STARTS.contains(&pairs[i].0.as_str()))
        .collect();
    at.iter()
        .enumerate()
        .map(|(n, &i)| &pairs[i..*at.get(n + 1).unwrap_or(&pairs.len())])
        .filter(|r| r[0].0 == kind)
        .collect()
}

fn values<'a>(record: &'a [(String, String)], tag: &str) -> Vec<&'a str> {
    record
        .iter()
        .filter(|(t, _)| t == tag)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The SPDX tag-value says what the JSON says: namespace, every package and file with its fields,
/// checksums, references, comments and annotations, every relationship; files before packages.
fn assert_tag_value_says_what_json_says(sbom: &Sbom, sample: &str) {
    let json_bytes = render(sbom, Format::SpdxJson, CycloneDxVersion::V1_7);
    let tv_bytes = render(sbom, Format::SpdxTagValue, CycloneDxVersion::V1_7);
    assert_tag_value_matches_json(&json_bytes, &tv_bytes, sample);
}

fn assert_tag_value_matches_json(json_bytes: &[u8], tv_bytes: &[u8], sample: &str) {
    schema::sample(&format!("{sample}.spdx.json"), json_bytes);
    schema::sample(&format!("{sample}.spdx"), tv_bytes);
    let doc: Value = serde_json::from_slice(json_bytes).unwrap();
    schema::assert_valid_spdx(&doc);
    let tv = read_tag_value(std::str::from_utf8(tv_bytes).unwrap());
    let one = |tag: &str| values(&tv, tag).first().map(|s| s.to_string());
    assert_eq!(one("SPDXVersion").as_deref(), Some("SPDX-2.3"));
    assert_eq!(
        one("DocumentNamespace"),
        json_str(&doc, "documentNamespace").map(Into::into)
    );
    assert_eq!(one("DocumentName"), json_str(&doc, "name").map(Into::into));
    assert_eq!(
        one("Created"),
        doc["creationInfo"]["created"].as_str().map(Into::into)
    );
    assert_eq!(
        one("DocumentComment"),
        json_str(&doc, "comment").map(Into::into)
    );
    let external: Vec<String> = doc["externalDocumentRefs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{} {} {}: {}",
                r["externalDocumentId"].as_str().unwrap(),
                r["spdxDocument"].as_str().unwrap(),
                r["checksum"]["algorithm"].as_str().unwrap(),
                r["checksum"]["checksumValue"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(values(&tv, "ExternalDocumentRef"), external);

    let packages = records(&tv, "PackageName");
    let files = records(&tv, "FileName");
    let first_package = tv.iter().position(|(t, _)| t == "PackageName");
    let last_file = tv.iter().rposition(|(t, _)| t == "FileName");
    if let (Some(p), Some(f)) = (first_package, last_file) {
        assert!(f < p, "files come before packages");
    }
    let json_packages = arr(&doc, "packages");
    assert_eq!(packages.len(), json_packages.len());
    for (p, j) in packages.iter().zip(json_packages) {
        let field = |tag: &str| values(p, tag).first().map(|s| s.to_string());
        for (tag, key) in [
            ("PackageName", "name"),
            ("SPDXID", "SPDXID"),
            ("PackageVersion", "versionInfo"),
            ("PackageSupplier", "supplier"),
            ("PackageOriginator", "originator"),
            ("PackageDownloadLocation", "downloadLocation"),
            ("PackageHomePage", "homepage"),
            ("PackageSourceInfo", "sourceInfo"),
            ("PackageLicenseConcluded", "licenseConcluded"),
            ("PackageLicenseDeclared", "licenseDeclared"),
            ("PackageLicenseComments", "licenseComments"),
            ("PackageCopyrightText", "copyrightText"),
            ("PackageDescription", "description"),
            ("PackageComment", "comment"),
            ("BuiltDate", "builtDate"),
        ] {
            assert_eq!(
                field(tag),
                json_str(j, key).map(Into::into),
                "{tag} of {}",
                j["name"]
            );
        }
        assert_eq!(
            field("FilesAnalyzed"),
            j["filesAnalyzed"].as_bool().map(|b| b.to_string())
        );
        assert_eq!(
            field("PackageVerificationCode"),
            j["packageVerificationCode"]["packageVerificationCodeValue"]
                .as_str()
                .map(Into::into)
        );
        assert_eq!(
            field("PrimaryPackagePurpose"),
            json_str(j, "primaryPackagePurpose").map(|p| p.replace('_', "-"))
        );
        let sums: Vec<String> = j["checksums"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}: {}",
                    c["algorithm"].as_str().unwrap(),
                    c["checksumValue"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(values(p, "PackageChecksum"), sums);
        let refs: Vec<String> = j["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["referenceCategory"].as_str().unwrap(),
                    r["referenceType"].as_str().unwrap(),
                    r["referenceLocator"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(values(p, "ExternalRef"), refs);
        let notes: Vec<&str> = j["annotations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["comment"].as_str().unwrap())
            .collect();
        assert_eq!(values(p, "AnnotationComment"), notes);
        assert!(values(p, "SPDXREF")
            .iter()
            .all(|r| Some(*r) == json_str(j, "SPDXID")));
    }
    let json_files = doc["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), json_files.len());
    for (f, j) in files.iter().zip(&json_files) {
        assert_eq!(values(f, "FileName"), [json_str(j, "fileName").unwrap()]);
        assert_eq!(values(f, "SPDXID"), [json_str(j, "SPDXID").unwrap()]);
        assert_eq!(
            values(f, "FileComment").first().copied(),
            json_str(j, "comment")
        );
        let sums: Vec<String> = j["checksums"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}: {}",
                    c["algorithm"].as_str().unwrap(),
                    c["checksumValue"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(values(f, "FileChecksum"), sums);
        let types: Vec<&str> = j["fileTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(values(f, "FileType"), types);
    }
    let licenses = records(&tv, "LicenseID");
    let json_licenses = doc["hasExtractedLicensingInfos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(licenses.len(), json_licenses.len());
    for (l, j) in licenses.iter().zip(&json_licenses) {
        assert_eq!(values(l, "LicenseID"), [json_str(j, "licenseId").unwrap()]);
        assert_eq!(
            values(l, "ExtractedText"),
            [json_str(j, "extractedText").unwrap()]
        );
        assert_eq!(values(l, "LicenseName"), [json_str(j, "name").unwrap()]);
    }
    let rels: Vec<String> = arr(&doc, "relationships")
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["spdxElementId"].as_str().unwrap(),
                r["relationshipType"].as_str().unwrap(),
                r["relatedSpdxElement"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(values(&tv, "Relationship"), rels);
}

#[test]
fn spdx_tag_value_says_what_the_json_says() {
    let mut unknowns = alpine_image();
    unknowns.unknowns.push(sbomkit::model::Unknown {
        location: "var/lib/pacman/local".into(),
        what: "pacman package database".into(),
        why: "no cataloger reads it".into(),
        cause: sbomkit::model::UnknownCause::UnreadDatabase,
    });
    for (sbom, name) in [
        (alpine_image(), "tv-alpine-image"),
        (alpine_image_with_elf_facts(false), "tv-alpine-elf"),
        (file_subject(), "tv-file-subject"),
        (folder_subject(), "tv-folder-subject"),
        (Sbom::default(), "tv-empty"),
        (unknowns, "tv-unknowns"),
    ] {
        assert_tag_value_says_what_json_says(&sbom, name);
    }
}

/// A package database whose names and texts hold markup, quotes and control characters: every
/// format escapes them, XML replaces what it cannot hold, and each says what the JSON says.
#[test]
fn hostile_text_from_a_package_database_in_every_format() {
    let dir = crate::support::tempdir();
    let name = "evil<&\"'>\u{1}\u{1b}[31m";
    let description = "desc <b>&amp; \"q\" 's'\u{7} and\ttab ]]>";
    let db = format!(
        "C:Q1hdRYUdMRV6ek8Wb8Pz6HP2Dc7MQ=\nP:{name}\nV:1.0-r0\nA:x86_64\nS:100\nI:200\n\
         T:{description}\nU:https://example.com/\nL:MIT\no:{name}\nm:Mallory <m@example.com>\n\n"
    );
    let db = crate::support::write(dir.path(), "lib/apk/db/installed", db.as_bytes());
    let source = format!("file:{}", db.display());
    let tv = crate::support::generate(&source, &["-o", "spdx"]);
    let spdx_json = crate::support::generate(&source, &["-o", "spdx-json"]);
    schema::sample("hostile.spdx", &tv);
    schema::sample("hostile.spdx.json", &spdx_json);
    let doc: Value = serde_json::from_slice(&spdx_json).unwrap();
    schema::assert_valid_spdx(&doc);
    assert_eq!(spdx_package(&doc, name)["description"], description);
    let pairs = read_tag_value(std::str::from_utf8(&tv).unwrap());
    assert!(values(&pairs, "PackageName").contains(&name));
    assert!(values(&pairs, "PackageDescription").contains(&description));

    for v in CycloneDxVersion::ALL {
        let word = |f: &str| format!("{f}@{}", v.as_str());
        let json = crate::support::generate(&source, &["-o", &word("cyclonedx-json")]);
        let xml = crate::support::generate(&source, &["-o", &word("cyclonedx-xml")]);
        let ext = cdx_suffix(v);
        schema::sample(&format!("hostile.{ext}.json"), &json);
        schema::sample(&format!("hostile.{ext}.xml"), &xml);
        let bom: Value = serde_json::from_slice(&json).unwrap();
        schema::assert_valid_cyclonedx(&bom);
        let text = String::from_utf8(xml).unwrap();
        assert!(
            !text.contains('\u{1}') && !text.contains('\u{1b}'),
            "{text}"
        );
        let read = read_xml(&text);
        let components = read.all_components();
        let evil = components
            .iter()
            .find(|c| c.text_of("name") == Some("evil<&\"'>\u{FFFD}\u{FFFD}[31m"))
            .unwrap_or_else(|| panic!("no evil component in {text}"));
        assert_eq!(
            evil.text_of("description"),
            Some("desc <b>&amp; \"q\" 's'\u{FFFD} and\ttab ]]>")
        );
        assert_same_component(component(&bom, name), evil);
    }
}

/// A real Go binary: modules with evidence (occurrences, and identity from binary analysis) in the
/// XML as in the JSON, from the command line.
#[test]
fn cyclonedx_xml_of_a_go_binary_carries_its_evidence() {
    let source = format!(
        "file:{}",
        crate::support::root()
            .join("testdata/binaries/go-hello")
            .display()
    );
    for v in CycloneDxVersion::ALL {
        let word = |f: &str| format!("{f}@{}", v.as_str());
        let json = crate::support::generate(&source, &["-o", &word("cyclonedx-json")]);
        let xml = crate::support::generate(&source, &["-o", &word("cyclonedx-xml")]);
        let bom = assert_xml_matches_json(json, xml, v, "xml-go-hello");
        let identities = bom
            .all_components()
            .into_iter()
            .filter(|c| {
                c.child("evidence")
                    .and_then(|e| e.child("identity"))
                    .is_some()
            })
            .count();
        assert!(identities >= 3, "the Go modules' identities: {identities}");
        // From 1.6 the modules are nested in the binary, in the XML as in the JSON (compared above).
        let bin = bom
            .child("components")
            .unwrap()
            .all("component")
            .find(|c| c.attrs["type"] == "application")
            .expect("the binary");
        let nested = bin.all_components().len();
        match v {
            CycloneDxVersion::V1_5 => assert_eq!(nested, 0),
            _ => assert_eq!(nested, identities, "{v:?}: every module nested"),
        }
    }
}

fn spdx3(sbom: &Sbom, sample: &str) -> Value {
    let bytes = render(sbom, Format::Spdx3Json, CycloneDxVersion::V1_6);
    schema::sample(&format!("{sample}.spdx3.json"), &bytes);
    let doc: Value = serde_json::from_slice(&bytes).expect("SPDX 3 output is JSON");
    schema::assert_valid_spdx3(&doc);
    doc
}

/// The nodes of an SPDX 3 graph of one class.
fn nodes<'a>(doc: &'a Value, class: &str) -> Vec<&'a Value> {
    doc["@graph"]
        .as_array()
        .expect("a graph")
        .iter()
        .filter(|n| n["type"] == class)
        .collect()
}

fn node<'a>(doc: &'a Value, id: &Value) -> &'a Value {
    doc["@graph"]
        .as_array()
        .expect("a graph")
        .iter()
        .find(|n| n["spdxId"] == *id)
        .unwrap_or_else(|| panic!("no element {id}"))
}

fn package3<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let found: Vec<_> = nodes(doc, "software_Package")
        .into_iter()
        .filter(|n| n["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "{name}");
    found[0]
}

/// The relationship of `kind` from `from`, of targets that are files or not.
fn rel3<'a>(doc: &'a Value, from: &Value, kind: &str, to_files: bool) -> Option<&'a Value> {
    let file_ids: Vec<&Value> = nodes(doc, "software_File")
        .iter()
        .map(|f| &f["spdxId"])
        .collect();
    nodes(doc, "Relationship").into_iter().find(|r| {
        r["from"] == *from
            && r["relationshipType"] == kind
            && r["to"]
                .as_array()
                .is_some_and(|t| t.iter().all(|x| file_ids.contains(&x) == to_files))
    })
}

fn names_of(doc: &Value, ids: &Value) -> BTreeSet<String> {
    ids.as_array()
        .expect("a list")
        .iter()
        .map(|id| {
            node(doc, id)["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn spdx3_the_image_is_the_root_of_an_analyzed_sbom() {
    let doc = spdx3(&alpine_image(), "alpine-image");
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    let info = nodes(&doc, "CreationInfo");
    assert_eq!(info.len(), 1);
    let info = info[0];
    assert_eq!(info["@id"], "_:creationinfo");
    assert_eq!(info["specVersion"], "3.0.1");
    // The model's time (SOURCE_DATE_EPOCH or the image's), as the SPDX 2.3 writer has it.
    assert_eq!(info["created"], "2022-08-09T17:39:51Z");
    let agent = node(&doc, &info["createdBy"][0]);
    assert_eq!(
        (&agent["type"], &agent["name"]),
        (&"SoftwareAgent".into(), &"sbomkit".into())
    );
    let tool = node(&doc, &info["createdUsing"][0]);
    assert_eq!(tool["type"], "Tool");
    assert_eq!(
        tool["name"],
        format!("sbomkit-{}", env!("CARGO_PKG_VERSION"))
    );
    for n in doc["@graph"].as_array().unwrap() {
        if n["type"] != "CreationInfo" {
            assert_eq!(n["creationInfo"], "_:creationinfo", "{n}");
        }
    }

    let document = nodes(&doc, "SpdxDocument");
    assert_eq!(document.len(), 1);
    let document = document[0];
    assert_eq!(document["name"], "docker.io/library/alpine:3.16");
    assert_eq!(
        document["profileConformance"],
        serde_json::json!(["core", "software", "simpleLicensing"])
    );
    assert_eq!(
        node(&doc, &document["dataLicense"])["simplelicensing_licenseExpression"],
        "CC0-1.0"
    );
    let bom = node(&doc, &document["rootElement"][0]);
    assert_eq!(bom["type"], "software_Sbom");
    assert_eq!(bom["software_sbomType"], serde_json::json!(["analyzed"]));
    assert_eq!(bom["rootElement"].as_array().map(Vec::len), Some(1));
    // The warning the scan gave is said, as in SPDX 2.3's document comment.
    assert_eq!(
        document["comment"],
        "SBOM author: unknown (not given with --author).\n\
         warning: /lib/apk/db/installed line 412: record without P: skipped"
    );

    // Every element is in the document; what was found is in the SBOM.
    let ids: BTreeSet<&str> = doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["spdxId"].as_str())
        .collect();
    let listed: BTreeSet<&str> = document["element"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let document_id = document["spdxId"].as_str().unwrap();
    assert_eq!(
        listed,
        ids.iter().copied().filter(|i| *i != document_id).collect()
    );
    let in_bom: BTreeSet<&str> = bom["element"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for class in [
        "software_Package",
        "software_File",
        "Relationship",
        "Person",
        "Organization",
    ] {
        for n in nodes(&doc, class) {
            assert!(in_bom.contains(n["spdxId"].as_str().unwrap()), "{n}");
        }
    }

    let root = node(&doc, &bom["rootElement"][0]);
    assert_eq!(root["type"], "software_Package");
    assert_eq!(root["name"], "docker.io/library/alpine:3.16");
    assert_eq!(root["software_primaryPurpose"], "container");
    assert_eq!(root["software_packageVersion"], "3.16");
    assert_eq!(root["builtTime"], "2022-08-09T17:39:51Z");
    assert_eq!(
        root["verifiedUsing"],
        serde_json::json!([{"type": "Hash", "algorithm": "sha256",
            "hashValue": CONFIG.trim_start_matches("sha256:")}])
    );
    let purl = root["software_packageUrl"].as_str().unwrap();
    assert!(
        purl.starts_with(&format!("pkg:oci/alpine@{}", MANIFEST.replace(':', "%3A")))
            || purl.starts_with(&format!("pkg:oci/alpine@{MANIFEST}")),
        "{purl}"
    );
    assert_eq!(
        root["externalIdentifier"][0]["externalIdentifierType"],
        "packageUrl"
    );
    assert_eq!(root["externalIdentifier"][0]["identifier"], purl);
    let comment = root["comment"].as_str().unwrap();
    assert!(
        comment.contains(&format!("sbomkit:image:manifest-digest: {MANIFEST}")),
        "{comment}"
    );
    assert!(
        comment.contains(&format!("sbomkit:image:layer: 1 {LAYER1}")),
        "{comment}"
    );
    assert!(
        comment.contains("sbomkit:image:platform: linux/arm64/v8"),
        "{comment}"
    );

    // The same digests the attestation subject check finds in SPDX 2.3 and CycloneDX.
    let found = sbomkit::attest::statement::described_digests(&doc);
    for d in [CONFIG, MANIFEST] {
        assert!(
            found.contains(d.trim_start_matches("sha256:")),
            "{d}: {found:?}"
        );
    }
}

#[test]
fn spdx3_packages_carry_identifiers_hashes_agents_and_declared_licenses() {
    let doc = spdx3(&alpine_image(), "alpine-image");
    let musl = package3(&doc, "musl");
    assert!(musl["spdxId"]
        .as_str()
        .unwrap()
        .contains("#Package-apk-musl"));
    assert_eq!(musl["software_packageVersion"], "1.2.3-r0");
    assert_eq!(musl["software_primaryPurpose"], "library");
    assert_eq!(
        musl["software_sourceInfo"],
        "built package from: musl 1.2.3-r0"
    );
    assert_eq!(musl["software_homePage"], "https://alpinelinux.org");
    assert_eq!(musl["description"], "musl package");
    let purl = musl["software_packageUrl"].as_str().unwrap();
    assert!(purl.starts_with("pkg:apk/alpine/musl@1.2.3-r0?"), "{purl}");
    let ids: Vec<(&str, &str)> = musl["externalIdentifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "ExternalIdentifier");
            (
                e["externalIdentifierType"].as_str().unwrap(),
                e["identifier"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("packageUrl", purl),
            ("cpe23", "cpe:2.3:a:musl-libc:musl:1.2.3:*:*:*:*:*:*:*"),
            ("cpe23", "cpe:2.3:a:musl:musl:1.2.3:*:*:*:*:*:*:*"),
        ]
    );
    assert_eq!(
        musl["verifiedUsing"],
        serde_json::json!([{"type": "Hash", "algorithm": "sha1",
            "hashValue": q1("Q1GnnDm59VZtPVL5vCI9r/HFzs2yI=")}])
    );
    let supplier = node(&doc, &musl["suppliedBy"]);
    assert_eq!(
        (&supplier["type"], &supplier["name"]),
        (&"Organization".into(), &"Alpine Linux".into())
    );
    let author = node(&doc, &musl["originatedBy"][0]);
    assert_eq!(author["type"], "Person");
    assert_eq!(author["name"], "Timo Teräs");
    assert_eq!(
        author["externalIdentifier"],
        serde_json::json!([{"type": "ExternalIdentifier", "externalIdentifierType": "email",
            "identifier": "timo.teras@iki.fi"}])
    );
    // One element per agent, however many packages name it.
    assert_eq!(nodes(&doc, "Organization").len(), 1);
    assert_eq!(package3(&doc, "zlib")["suppliedBy"], musl["suppliedBy"]);

    let os = package3(&doc, "alpine");
    assert!(
        os["spdxId"].as_str().unwrap().contains("#OperatingSystem-"),
        "{os}"
    );
    assert_eq!(os["software_primaryPurpose"], "operatingSystem");

    // Unknown supplier, license and home page: absent, which SPDX 3 reads as no assertion.
    let scanelf = package3(&doc, "scanelf");
    for key in ["suppliedBy", "originatedBy", "software_homePage"] {
        assert!(scanelf.get(key).is_none(), "{key}: {scanelf}");
    }
    assert!(rel3(&doc, &scanelf["spdxId"], "hasDeclaredLicense", false).is_none());
    assert!(nodes(&doc, "Relationship")
        .iter()
        .all(|r| r["relationshipType"] != "hasConcludedLicense"));

    let declared = |name: &str| {
        let p = package3(&doc, name);
        let r = rel3(&doc, &p["spdxId"], "hasDeclaredLicense", false)
            .unwrap_or_else(|| panic!("{name} declares a license"));
        assert_eq!(r["to"].as_array().map(Vec::len), Some(1));
        node(&doc, &r["to"][0]).clone()
    };
    assert_eq!(declared("musl")["simplelicensing_licenseExpression"], "MIT");
    assert_eq!(
        declared("ca-certificates-bundle")["simplelicensing_licenseExpression"],
        "MPL-2.0 AND MIT"
    );
    // One element per expression.
    assert_eq!(
        declared("busybox")["spdxId"],
        declared("ssl_client")["spdxId"]
    );
    // Text that is no SPDX expression: a LicenseRef, defined by the text it stands for.
    let tz = declared("tzdata");
    assert_eq!(tz["type"], "simplelicensing_LicenseExpression");
    let expr = tz["simplelicensing_licenseExpression"].as_str().unwrap();
    let map = tz["simplelicensing_customIdToUri"].as_array().unwrap();
    assert_eq!(map.len(), 2, "{tz}");
    let mut texts = BTreeSet::new();
    for e in map {
        assert_eq!(e["type"], "DictionaryEntry");
        let key = e["key"].as_str().unwrap();
        assert!(
            key.starts_with("LicenseRef-") && expr.contains(key),
            "{expr}: {key}"
        );
        let text = node(&doc, &e["value"]);
        assert_eq!(text["type"], "simplelicensing_SimpleLicensingText");
        texts.insert(
            text["simplelicensing_licenseText"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(
        texts,
        BTreeSet::from([
            "Public-Domain".to_string(),
            "Freely redistributable".to_string()
        ])
    );

    // An expression that is one LicenseRef, and the text it stands for, are two elements.
    let mut one = alpine_image();
    for p in &mut one.packages {
        p.licenses = vec![lic("BSD", None)];
    }
    let doc = spdx3(&one, "one-license-ref");
    let expr = nodes(&doc, "simplelicensing_LicenseExpression")
        .into_iter()
        .find(|e| e["simplelicensing_licenseExpression"] == "LicenseRef-BSD")
        .expect("the expression");
    let text = node(&doc, &expr["simplelicensing_customIdToUri"][0]["value"]);
    assert_eq!(text["type"], "simplelicensing_SimpleLicensingText");
    assert_eq!(text["simplelicensing_licenseText"], "BSD");
}

#[test]
fn spdx3_relationships_group_targets_and_state_their_completeness() {
    let sbom = alpine_image();
    let doc = spdx3(&sbom, "alpine-image");
    let root = &node(&doc, &nodes(&doc, "software_Sbom")[0]["rootElement"][0])["spdxId"];
    let id = |name: &str| package3(&doc, name)["spdxId"].clone();

    let contains = rel3(&doc, root, "contains", false).expect("the image contains its packages");
    assert_eq!(contains["to"].as_array().map(Vec::len), Some(9));
    // Nothing was left unread, but that does not make the list complete.
    assert_eq!(contains["completeness"], "noAssertion");
    let os = rel3(&doc, &id("alpine"), "contains", false).unwrap();
    assert_eq!(os["to"].as_array().map(Vec::len), Some(8));
    let deps = rel3(&doc, &id("ssl_client"), "dependsOn", false).unwrap();
    assert_eq!(
        names_of(&doc, &deps["to"]),
        BTreeSet::from(["libcrypto1.1".to_string(), "musl".to_string()])
    );
    // The database lists every dependency and each is installed.
    assert_eq!(deps["completeness"], "complete");
    // A package whose database lists no dependency depends on nothing, and says so.
    let none = rel3(&doc, &id("musl"), "dependsOn", false).unwrap();
    assert_eq!(
        (&none["to"], &none["completeness"]),
        (
            &serde_json::json!(["NoneElement"]),
            &serde_json::json!("complete")
        )
    );
    // SPDX 3 says an optional dependency from the side that has it.
    let optional = rel3(&doc, &id("busybox"), "hasOptionalDependency", false).unwrap();
    assert_eq!(
        names_of(&doc, &optional["to"]),
        BTreeSet::from(["ssl_client".to_string()])
    );

    // Every recorded file is listed, also the one without SHA-1 that SPDX 2.3 must leave out.
    let files: BTreeMap<&str, &Value> = nodes(&doc, "software_File")
        .into_iter()
        .map(|f| (f["name"].as_str().unwrap(), f))
        .collect();
    assert_eq!(
        files.keys().copied().collect::<Vec<_>>(),
        [
            "/bin/busybox",
            "/lib/ld-musl-aarch64.so.1",
            "/usr/share/zoneinfo/UTC"
        ]
    );
    let utc = files["/usr/share/zoneinfo/UTC"];
    assert_eq!(utc["software_fileKind"], "file");
    let algs: Vec<&str> = utc["verifiedUsing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["algorithm"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["md5", "sha256"]);
    assert!(utc["comment"]
        .as_str()
        .unwrap()
        .contains(&format!("sbomkit:layer: 1 {LAYER1}")));
    let owned = rel3(&doc, &id("tzdata"), "contains", true).unwrap();
    assert_eq!(owned["to"], serde_json::json!([utc["spdxId"]]));
    // With every owned file recorded (`--files`), a package's files are all listed.
    assert_eq!(owned["completeness"], "complete");

    // Only the ELF files (no `--files`): a package's list of files is incomplete.
    let mut partial = sbom.clone();
    partial.files_partial = true;
    let doc = spdx3(&partial, "alpine-image-partial");
    let tz = package3(&doc, "tzdata")["spdxId"].clone();
    assert_eq!(
        rel3(&doc, &tz, "contains", true).unwrap()["completeness"],
        "incomplete"
    );

    // A package database not read: the image's contents are incomplete, and the document says why.
    let mut unread = sbom.clone();
    let unknown = sbomkit::model::Unknown {
        location: "/var/lib/pacman/local".into(),
        what: "pacman package database".into(),
        why: "no cataloger reads it".into(),
        cause: sbomkit::model::UnknownCause::UnreadDatabase,
    };
    unread.warnings.push(unknown.to_string());
    unread.unknowns.push(unknown.clone());
    unread.normalize();
    let doc = spdx3(&unread, "alpine-image-unknowns");
    let root = &node(&doc, &nodes(&doc, "software_Sbom")[0]["rootElement"][0])["spdxId"];
    assert_eq!(
        rel3(&doc, root, "contains", false).unwrap()["completeness"],
        "incomplete"
    );
    let comment = nodes(&doc, "SpdxDocument")[0]["comment"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        comment.starts_with("This document is incomplete"),
        "{comment}"
    );
    assert!(
        comment.contains(&format!("unknown: {unknown}")),
        "{comment}"
    );
    assert_eq!(
        comment.matches("pacman/local").count(),
        1,
        "said once: {comment}"
    );

    // Nothing found, something unread: still incomplete, of elements of unknown number.
    let mut nothing = unread.clone();
    nothing.packages.clear();
    nothing.files.clear();
    nothing.relationships.clear();
    let doc = spdx3(&nothing, "unknowns-only");
    let root = &node(&doc, &nodes(&doc, "software_Sbom")[0]["rootElement"][0])["spdxId"];
    let contains = rel3(&doc, root, "contains", false).expect("a contains relationship");
    assert_eq!(contains["to"], serde_json::json!(["NoAssertionElement"]));
    assert_eq!(contains["completeness"], "incomplete");
}

#[test]
fn spdx3_iris_follow_content() {
    let sbom = alpine_image();
    let doc = spdx3(&sbom, "alpine-image");
    let prefix = nodes(&doc, "SpdxDocument")[0]["spdxId"]
        .as_str()
        .unwrap()
        .strip_suffix("#SpdxDocument")
        .expect("the document's IRI")
        .to_string();
    assert!(
        prefix.starts_with("https://sbomkit.dev/spdx3/docker.io-library-alpine-3.16-"),
        "{prefix}"
    );
    let uuid: Vec<&str> = prefix.rsplit('-').take(5).collect();
    assert_eq!(uuid.len(), 5);
    assert_eq!(
        uuid[2].chars().next(),
        Some('5'),
        "a UUID version 5: {prefix}"
    );
    for n in doc["@graph"].as_array().unwrap() {
        if let Some(id) = n["spdxId"].as_str() {
            assert!(id.starts_with(&format!("{prefix}#")), "{id}");
        }
    }
    let namespace = |s: &Sbom| {
        let d = spdx3(s, "alpine-other");
        nodes(&d, "SpdxDocument")[0]["spdxId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Another image, or other content, gives other IRIs.
    let mut other = sbom.clone();
    other.subject.identities[1].digest = format!("sha256:{}", "1".repeat(64));
    assert_ne!(namespace(&other), namespace(&sbom));
    let mut changed = sbom.clone();
    changed.packages[1].version = "9".into();
    assert_ne!(namespace(&changed), namespace(&sbom));
    assert_eq!(namespace(&sbom.clone()), namespace(&sbom));
}

/// The in-process checks reject what they should: the tests that pass through them mean something.
#[test]
fn spdx3_schema_and_graph_checks_reject_broken_documents() {
    let good = spdx3(&alpine_image(), "alpine-image");
    assert!(schema::spdx3_errors(&good).is_empty());
    let pos = |class: &str| {
        good["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .position(|n| n["type"] == class)
            .unwrap()
    };
    let (pkg, rel, info) = (
        pos("software_Package"),
        pos("Relationship"),
        pos("CreationInfo"),
    );
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "hash algorithm in 2.3 spelling",
            Box::new(move |d| d["@graph"][pkg]["verifiedUsing"][0]["algorithm"] = "SHA256".into()),
        ),
        (
            "no specVersion",
            Box::new(move |d| {
                d["@graph"][info]
                    .as_object_mut()
                    .unwrap()
                    .remove("specVersion");
            }),
        ),
        (
            "the 3.0.0 context",
            Box::new(|d| d["@context"] = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld".into()),
        ),
        (
            "an unknown property",
            Box::new(move |d| d["@graph"][pkg]["packageVersion"] = "1".into()),
        ),
        (
            "a dangling reference",
            Box::new(move |d| d["@graph"][rel]["to"][0] = "https://example.com/nothing#x".into()),
        ),
        (
            "a package as creator",
            Box::new(move |d| {
                let id = d["@graph"][pkg]["spdxId"].clone();
                d["@graph"][info]["createdBy"][0] = id;
            }),
        ),
        (
            "one id twice",
            Box::new(move |d| {
                let id = d["@graph"][pkg]["spdxId"].clone();
                d["@graph"][rel]["spdxId"] = id;
            }),
        ),
    ];
    for (name, change) in cases {
        let mut bad = good.clone();
        change(&mut bad);
        assert!(!schema::spdx3_errors(&bad).is_empty(), "{name} passed");
    }
}

/// The Alpine image with an SBOM author, a Go binary no package owns (its file hashed while it was
/// read, every linked library found) and a jar (a manifest-only package in it: dependencies unknown).
fn alpine_with_files_that_are_packages(author: &str) -> Sbom {
    let mut sbom = alpine_image();
    sbom.author = Some(Actor::author(author).unwrap());
    let sha256 = "5e".repeat(32);
    let sha512 = "a7".repeat(64);
    let mut app = Package {
        name: "app".into(),
        version: "1.2.3".into(),
        checksums: vec![
            Checksum::new(HashAlg::Sha256, sha256.clone()),
            Checksum::new(HashAlg::Sha512, sha512.clone()),
        ],
        file: Some("/usr/local/bin/app".into()),
        dependencies: Completeness::Complete,
        evidence: vec!["/usr/local/bin/app".into()],
        found_by: "elf-binary".into(),
        ..Package::new(
            "binary:/usr/local/bin/app",
            sbomkit::catalog::binary::cataloger::BINARY,
        )
    };
    app.arch = Some("aarch64".into());
    let jar = Package {
        name: "commons-text".into(),
        version: "1.10.0".into(),
        checksums: vec![
            Checksum::new(HashAlg::Sha256, "c1".repeat(32)),
            Checksum::new(HashAlg::Sha512, "c2".repeat(64)),
        ],
        file: Some("/opt/lib/commons-text-1.10.0.jar".into()),
        evidence: vec!["/opt/lib/commons-text-1.10.0.jar".into()],
        found_by: "java-archive".into(),
        ..Package::new(
            "java:/opt/lib/commons-text-1.10.0.jar",
            sbomkit::catalog::lang::java::KIND,
        )
    };
    sbom.relationships.push(Relationship::new(
        "binary:/usr/local/bin/app",
        RelationshipKind::DependsOn,
        "apk:musl@1.2.3-r0",
    ));
    for p in [&app, &jar] {
        sbom.relationships.push(Relationship::new(
            Relationship::SUBJECT,
            RelationshipKind::Contains,
            p.id.clone(),
        ));
    }
    sbom.packages.extend([app, jar]);
    sbom.normalize();
    sbom
}

fn prop_of<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    props(c, name).first().copied()
}

/// CISA 2026 and BSI TR-03183-2 v2.1 fields: the author, file names, executable/archive facts,
/// SHA-512 with what was hashed, and how complete each package's dependencies are, in each format.
#[test]
fn regulatory_fields_in_every_format() {
    let sbom = alpine_with_files_that_are_packages("Jane Doe <jane@example.org>");
    let find = |doc: &Value, name: &str| -> Value { component(doc, name).clone() };
    for v in [
        CycloneDxVersion::V1_5,
        CycloneDxVersion::V1_6,
        CycloneDxVersion::V1_7,
    ] {
        let doc = cdx(&sbom, v, "regulatory");
        assert_eq!(
            doc["metadata"]["authors"],
            serde_json::json!([{"name": "Jane Doe", "email": "jane@example.org"}]),
            "{v:?}"
        );
        // A person: no manufacturer (that is an organization).
        assert!(doc["metadata"].get("manufacturer").is_none());
        let app = find(&doc, "app");
        let algs: Vec<&str> = arr(&app, "hashes")
            .iter()
            .map(|h| h["alg"].as_str().unwrap())
            .collect();
        assert_eq!(algs, ["SHA-256", "SHA-512"]);
        assert_eq!(
            prop_of(&app, "sbomkit:hashes"),
            Some("the file /usr/local/bin/app as shipped in the image")
        );
        for (k, want) in [
            ("bsi:component:filename", "app"),
            ("bsi:component:executable", "executable"),
            ("bsi:component:archive", "no archive"),
            ("bsi:component:structured", "unstructured"),
        ] {
            assert_eq!(prop_of(&app, k), Some(want), "{k}");
        }
        let jar = find(&doc, "commons-text");
        for (k, want) in [
            ("bsi:component:filename", "commons-text-1.10.0.jar"),
            ("bsi:component:executable", "non-executable"),
            ("bsi:component:archive", "archive"),
            ("bsi:component:structured", "structured"),
        ] {
            assert_eq!(prop_of(&jar, k), Some(want), "{k}");
        }
        // An OS package: no file in the image is its deployable form, and it says so.
        let musl = find(&doc, "musl");
        assert_eq!(prop_of(&musl, "bsi:component:filename"), None);
        assert_eq!(
            prop_of(&musl, "sbomkit:hashes"),
            Some("as the package metadata records them; its deployable form is not in the image")
        );
        // Dependencies grouped by what the scan knows of them.
        let groups: BTreeMap<&str, Vec<&str>> = arr(&doc, "compositions")
            .iter()
            .map(|c| {
                let refs = c["dependencies"].as_array().unwrap();
                let refs = refs.iter().map(|r| r.as_str().unwrap()).collect();
                (c["aggregate"].as_str().unwrap(), refs)
            })
            .collect();
        assert!(groups["complete"].contains(&"binary:/usr/local/bin/app"));
        assert!(groups["complete"].contains(&"apk:musl@1.2.3-r0"));
        assert_eq!(
            groups["unknown"],
            ["java:/opt/lib/commons-text-1.10.0.jar", "os:alpine@3.16.2"]
        );
        assert_xml_says_what_json_says(&sbom, v, "regulatory");
    }

    // An organization is also the manufacturer from 1.6, with its address as the contact.
    let org = alpine_with_files_that_are_packages("Organization: ACME <sbom@acme.example>");
    let doc = cdx(&org, CycloneDxVersion::V1_7, "regulatory-org");
    assert_eq!(
        doc["metadata"]["manufacturer"],
        serde_json::json!({"name": "ACME", "contact": [{"name": "ACME", "email": "sbom@acme.example"}]})
    );
    assert!(
        cdx(&org, CycloneDxVersion::V1_5, "regulatory-org")["metadata"]
            .get("manufacturer")
            .is_none()
    );
    assert_xml_says_what_json_says(&org, CycloneDxVersion::V1_7, "regulatory-org");

    // SPDX 2.3: the author among the creators, the file name, NONE and NOASSERTION dependencies.
    let doc = spdx(&sbom, "regulatory");
    assert_eq!(
        doc["creationInfo"]["creators"],
        serde_json::json!([
            format!("Tool: sbomkit-{}", env!("CARGO_PKG_VERSION")),
            "Person: Jane Doe (jane@example.org)"
        ])
    );
    assert!(!doc["comment"]
        .as_str()
        .unwrap_or_default()
        .contains("SBOM author"));
    let app = spdx_package(&doc, "app");
    assert_eq!(app["packageFileName"], "app");
    let sums: Vec<&str> = arr(app, "checksums")
        .iter()
        .map(|c| c["algorithm"].as_str().unwrap())
        .collect();
    assert_eq!(sums, ["SHA256", "SHA512"]);
    assert!(app["comment"]
        .as_str()
        .unwrap()
        .contains("sbomkit:hashes: the file /usr/local/bin/app as shipped in the image"));
    assert!(spdx_package(&doc, "musl").get("packageFileName").is_none());
    let jar = id_of(&doc, "commons-text");
    assert!(has_rel(&doc, &jar, "DEPENDS_ON", "NOASSERTION"));
    assert!(has_rel(&doc, &id_of(&doc, "musl"), "DEPENDS_ON", "NONE"));
    assert!(!has_rel(&doc, &id_of(&doc, "app"), "DEPENDS_ON", "NONE"));
    assert_tag_value_says_what_json_says(&sbom, "regulatory");

    // SPDX 3: the author creates the document with the tool; the file is the distribution artifact.
    let doc = spdx3(&sbom, "regulatory");
    let info = nodes(&doc, "CreationInfo")[0];
    let creators = info["createdBy"].as_array().unwrap();
    assert_eq!(creators.len(), 2);
    assert_eq!(node(&doc, &creators[0])["type"], "Person");
    assert_eq!(node(&doc, &creators[0])["name"], "Jane Doe");
    assert_eq!(node(&doc, &creators[1])["type"], "SoftwareAgent");
    let app = package3(&doc, "app");
    let dist = rel3(&doc, &app["spdxId"], "hasDistributionArtifact", true)
        .or_else(|| rel3(&doc, &app["spdxId"], "hasDistributionArtifact", false))
        .expect("the binary's file");
    let file = node(&doc, &dist["to"][0]);
    assert_eq!(file["name"], "app");
    assert_eq!(
        file["software_additionalPurpose"],
        serde_json::json!(["executable"])
    );
    let algs: Vec<&str> = arr(file, "verifiedUsing")
        .iter()
        .map(|h| h["algorithm"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["sha256", "sha512"]);
    let deps = rel3(&doc, &app["spdxId"], "dependsOn", false).unwrap();
    assert_eq!(deps["completeness"], "complete");
    let jar = package3(&doc, "commons-text");
    assert!(rel3(&doc, &jar["spdxId"], "dependsOn", false).is_none());
}

/// Without `--author` the author is unknown, and the documents that can say so, say so.
#[test]
fn an_unknown_author_is_said_where_a_format_can() {
    let sbom = alpine_image();
    let doc = cdx(&sbom, CycloneDxVersion::V1_7, "no-author");
    assert!(doc["metadata"].get("authors").is_none());
    let doc = spdx(&sbom, "no-author");
    assert_eq!(
        doc["creationInfo"]["creators"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(doc["comment"]
        .as_str()
        .unwrap()
        .contains("\nSBOM author: unknown (not given with --author).\n"));
}
