//! The writers on hand-built models: schema validity of every output (SPDX 2.3, CycloneDX 1.5 and 1.6),
//! the fields consumers rely on, determinism, and the table.
//!
//! With `SBOMKIT_WRITE_SAMPLES=DIR` every document written here is also saved in DIR, for
//! `scripts/interop-sbom.sh DIR`.

use crate::support::{component, golden, schema};

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use sbomkit::format::{self, CycloneDxVersion, Format, WriteOptions};
use sbomkit::model::{
    Actor, Checksum, Distro, FileKind, FileRecord, HashAlg, Identity, IdentityRole, Layer, License,
    Package, Platform, Relationship, RelationshipKind, Sbom, Subject, SubjectKind,
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
        layer: Some(layer),
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

fn spdx(sbom: &Sbom, sample: &str) -> Value {
    let bytes = render(sbom, Format::SpdxJson, CycloneDxVersion::V1_6);
    schema::sample(&format!("{sample}.spdx.json"), &bytes);
    let doc: Value = serde_json::from_slice(&bytes).expect("SPDX output is JSON");
    schema::assert_valid_spdx(&doc);
    doc
}

fn cdx(sbom: &Sbom, v: CycloneDxVersion, sample: &str) -> Value {
    let bytes = render(sbom, Format::CycloneDxJson, v);
    let suffix = if v == CycloneDxVersion::V1_5 {
        "cdx15"
    } else {
        "cdx16"
    };
    schema::sample(&format!("{sample}.{suffix}.json"), &bytes);
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
        for k in ["spdxElementId", "relatedSpdxElement"] {
            let id = r[k].as_str().unwrap_or_default();
            assert!(ids.contains(id), "relationship names unknown element {id}");
        }
    }
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
    for f in [Format::SpdxJson, Format::CycloneDxJson, Format::Table] {
        assert_eq!(
            render(&sbom, f, CycloneDxVersion::V1_6),
            render(&sbom.clone(), f, CycloneDxVersion::V1_6)
        );
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
    for v in [CycloneDxVersion::V1_6, CycloneDxVersion::V1_5] {
        let bom = cdx(&alpine_image(), v, "alpine-image");
        let spec = if v == CycloneDxVersion::V1_6 {
            "1.6"
        } else {
            "1.5"
        };
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], spec);
        assert_eq!(bom["version"], 1);
        let md = &bom["metadata"];
        assert_eq!(md["timestamp"], "2022-08-09T17:39:51Z");
        if v == CycloneDxVersion::V1_6 {
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
        assert_eq!(musl["licenses"], serde_json::json!([{"expression": "MIT"}]));
        assert_eq!(musl["externalReferences"][0]["type"], "website");
        if v == CycloneDxVersion::V1_6 {
            assert_eq!(musl["authors"][0]["name"], "Timo Teräs");
            assert_eq!(musl["authors"][0]["email"], "timo.teras@iki.fi");
        } else {
            assert_eq!(musl["author"], "Timo Teräs");
        }
        assert_eq!(
            component(&bom, "tzdata")["licenses"],
            serde_json::json!([{"license": {"name": "Public-Domain"}}, {"license": {"name": "Freely redistributable"}}])
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
    for v in [CycloneDxVersion::V1_6, CycloneDxVersion::V1_5] {
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
    for v in [CycloneDxVersion::V1_6, CycloneDxVersion::V1_5] {
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
    cdx(&sbom, CycloneDxVersion::V1_6, "empty");
    cdx(&sbom, CycloneDxVersion::V1_5, "empty");
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
    for (format, version, ext) in [
        (Format::SpdxJson, CycloneDxVersion::V1_6, "spdx.json"),
        (Format::CycloneDxJson, CycloneDxVersion::V1_6, "cdx16.json"),
        (Format::CycloneDxJson, CycloneDxVersion::V1_5, "cdx15.json"),
        (Format::Table, CycloneDxVersion::V1_6, "table.txt"),
    ] {
        let bytes = render(sbom, format, version);
        match format {
            Format::SpdxJson => schema::assert_valid_spdx(&serde_json::from_slice(&bytes).unwrap()),
            Format::CycloneDxJson => {
                schema::assert_valid_cyclonedx(&serde_json::from_slice(&bytes).unwrap())
            }
            _ => {}
        }
        golden::check(&format!("{name}.{ext}"), &bytes);
    }
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
