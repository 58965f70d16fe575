//! What vulnerability scanners need from the documents, on real inputs (ARCHITECTURE.md, "Document
//! structure"): the OS package in front of the packages its database lists, the OS named by its
//! point release, `metadata.tools` in the form each CycloneDX version's readers decode, and a binary's
//! modules reachable (top-level components in 1.5, nested in the binary from 1.6). `scripts/trivy-interop.sh` checks the same documents
//! against the scanner itself.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{generate, schema, tempdir, write};

const ALPINE: &str = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";

fn json(bytes: Vec<u8>) -> Value {
    serde_json::from_slice(&bytes).expect("JSON document")
}

fn cdx(source: &str, version: &str) -> Value {
    let bom = json(generate(
        source,
        &["-o", "cyclonedx-json", "--cyclonedx-version", version],
    ));
    schema::assert_valid_cyclonedx(&bom);
    bom
}

fn spdx(source: &str) -> Value {
    let doc = json(generate(source, &["-o", "spdx-json"]));
    schema::assert_valid_spdx(&doc);
    doc
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The bom-refs the dependency entry of `reference` lists.
fn depends_on<'a>(bom: &'a Value, reference: &str) -> Vec<&'a str> {
    list(bom, "dependencies")
        .iter()
        .find(|d| d["ref"] == reference)
        .map(|d| strs(&d["dependsOn"]))
        .unwrap_or_default()
}

/// The OS component's bom-ref and version, and the bom-refs of the components whose purl has `ty`.
fn os_and_packages<'a>(bom: &'a Value, ty: &str) -> (&'a str, &'a str, Vec<&'a str>) {
    let comps = list(bom, "components");
    let os: Vec<&Value> = comps
        .iter()
        .filter(|c| c["type"] == "operating-system")
        .collect();
    assert_eq!(os.len(), 1, "one operating-system component");
    let mut pkgs: Vec<&str> = comps
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("pkg:{ty}/")))
        })
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    pkgs.sort();
    let os_ref = os[0]["bom-ref"].as_str().unwrap_or_default();
    (os_ref, os[0]["version"].as_str().unwrap_or_default(), pkgs)
}

#[test]
fn alpine_os_lists_its_packages_in_every_format() {
    for version in ["1.5", "1.6", "1.7"] {
        let bom = cdx(ALPINE, version);
        let (os, os_version, apks) = os_and_packages(&bom, "apk");
        assert_eq!((os, os_version), ("os:alpine@3.10.4", "3.10.4"));
        assert_eq!(apks.len(), 14, "{version}");
        assert_eq!(
            depends_on(&bom, os),
            apks,
            "the OS lists every APK package directly"
        );
        let subject = bom["metadata"]["component"]["bom-ref"].as_str().unwrap();
        let top: BTreeSet<&str> = depends_on(&bom, subject).into_iter().collect();
        assert!(top.contains(os) && apks.iter().all(|a| top.contains(a)));
        let tools = &bom["metadata"]["tools"];
        if version == "1.5" {
            // The legacy array: the only form Trivy 0.44's cyclonedx-go decodes.
            assert_eq!(
                tools,
                &serde_json::json!([{"vendor": "sbomkit", "name": "sbomkit",
                                     "version": env!("CARGO_PKG_VERSION")}])
            );
        } else {
            assert_eq!(tools["components"][0]["name"], "sbomkit");
        }
    }

    let doc = spdx(ALPINE);
    let id_of = |purpose: &str| -> Vec<&str> {
        list(&doc, "packages")
            .iter()
            .filter(|p| p["primaryPackagePurpose"] == purpose)
            .filter_map(|p| p["SPDXID"].as_str())
            .collect()
    };
    let os = id_of("OPERATING_SYSTEM");
    assert_eq!(os.len(), 1);
    assert!(os[0].starts_with("SPDXRef-OperatingSystem-"), "{}", os[0]);
    let apks: BTreeSet<&str> = list(&doc, "packages")
        .iter()
        .filter(|p| {
            list(p, "externalRefs").iter().any(|r| {
                r["referenceLocator"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("pkg:apk/"))
            })
        })
        .filter_map(|p| p["SPDXID"].as_str())
        .collect();
    assert_eq!(apks.len(), 14);
    let from = |id: &str| -> BTreeSet<&str> {
        list(&doc, "relationships")
            .iter()
            .filter(|r| r["spdxElementId"] == id && r["relationshipType"] == "CONTAINS")
            .filter_map(|r| r["relatedSpdxElement"].as_str())
            .collect()
    };
    assert_eq!(from(os[0]), apks, "the OS CONTAINS every APK package");
    let root = strs(&doc["documentDescribes"])
        .first()
        .copied()
        .or_else(|| {
            list(&doc, "relationships")
                .iter()
                .find(|r| r["relationshipType"] == "DESCRIBES")
                .and_then(|r| r["relatedSpdxElement"].as_str())
        })
        .unwrap();
    let under_root = from(root);
    assert!(under_root.contains(os[0]), "the image CONTAINS the OS");
    assert!(apks.is_subset(&under_root), "and still each package");
}

#[test]
fn debian_os_is_named_by_its_point_release() {
    let t = tempdir();
    let root = t.path();
    let status = "testdata/fixtures/dpkg/distroless/var/lib/dpkg/status.d";
    for e in std::fs::read_dir(status).unwrap() {
        let e = e.unwrap();
        let rel = format!("var/lib/dpkg/status.d/{}", e.file_name().to_string_lossy());
        write(root, &rel, &std::fs::read(e.path()).unwrap());
    }
    write(
        root,
        "etc/os-release",
        &std::fs::read("testdata/fixtures/os-release/distroless-debian-11.os-release").unwrap(),
    );
    write(root, "etc/debian_version", b"11.7\n");
    let source = format!("dir:{}", root.display());
    let bom = cdx(&source, "1.5");
    let (os, version, debs) = os_and_packages(&bom, "deb");
    assert_eq!((os, version), ("os:debian@11.7", "11.7"));
    assert!(!debs.is_empty());
    assert_eq!(depends_on(&bom, os), debs);
    for c in list(&bom, "components") {
        if let Some(p) = c["purl"].as_str().filter(|p| p.starts_with("pkg:deb/")) {
            assert!(p.contains("distro=debian-11.7"), "{p}");
        }
    }
    let doc = spdx(&source);
    let os = list(&doc, "packages")
        .iter()
        .find(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM")
        .unwrap();
    assert_eq!(os["versionInfo"], "11.7");

    // Not a point release (testing): VERSION_ID, as before.
    write(root, "etc/debian_version", b"bookworm/sid\n");
    let bom = cdx(&source, "1.6");
    let (os, version, _) = os_and_packages(&bom, "deb");
    assert_eq!((os, version), ("os:debian@11", "11"));
}

/// A Go binary's modules: in 1.5 top-level components (Trivy 0.44 reads no others) that the binary
/// lists in `dependsOn` marked `sbomkit:contains`; from 1.6 nested in the binary's `components`.
/// Either way the binary's `dependsOn` reaches them and each has its `dependencies` entry.
#[test]
fn go_modules_are_nested_in_their_binary_from_1_6_and_top_level_in_1_5() {
    let t = tempdir();
    write(
        t.path(),
        "go-hello",
        &std::fs::read("testdata/binaries/go-hello").unwrap(),
    );
    let source = format!("dir:{}", t.path().display());
    let is_module = |c: &&Value| {
        c["purl"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:golang/"))
    };
    for version in ["1.5", "1.6", "1.7"] {
        let bom = cdx(&source, version);
        let comps = list(&bom, "components");
        let bin = comps
            .iter()
            .find(|c| c["type"] == "application")
            .expect("the binary");
        let top: Vec<&Value> = comps.iter().filter(is_module).collect();
        let nested: Vec<&Value> = list(bin, "components").iter().collect();
        let modules = if version == "1.5" {
            assert!(bin.get("components").is_none(), "1.5: nothing nested");
            top
        } else {
            assert!(top.is_empty(), "{version}: no module at the top level");
            assert!(
                nested.iter().all(is_module),
                "{version}: only modules nested"
            );
            nested
        };
        let mut refs: Vec<&str> = modules
            .iter()
            .filter_map(|c| c["bom-ref"].as_str())
            .collect();
        assert_eq!(refs.len(), 3, "{version}: main module, dependency, stdlib");
        refs.sort();
        let contains: Vec<&str> = list(bin, "properties")
            .iter()
            .filter(|p| p["name"] == "sbomkit:contains")
            .filter_map(|p| p["value"].as_str())
            .collect();
        let marked: &[&str] = if version == "1.5" { &refs } else { &[] };
        assert_eq!(
            contains, marked,
            "{version}: containment by property in 1.5 only"
        );
        assert_eq!(depends_on(&bom, bin["bom-ref"].as_str().unwrap()), refs);
        for r in &refs {
            assert!(
                list(&bom, "dependencies").iter().any(|d| d["ref"] == *r),
                "{version}: {r} has its dependencies entry"
            );
        }
    }
}
