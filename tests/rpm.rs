//! RPM-based systems end to end: a real RHEL 8 root folder (goldens in both formats), the built
//! databases with the files their packages own, and bare databases given as a path.

use std::fs;

use serde_json::Value;

use crate::support::{generate, golden, root, run, sbomkit, schema, tempdir, write};

const RHEL8: &str = "testdata/fixtures/rpm/rhel8-rootfs";
const BUILT: &str = "testdata/fixtures/rpm/built";

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn rhel8_root_folder_in_every_format() {
    let source = format!("dir:{}", root().join(RHEL8).display());
    let spdx = generate(&source, &["-o", "spdx-json"]);
    let cdx = generate(&source, &["-o", "cyclonedx-json"]);
    let cdx15 = generate(
        &source,
        &["-o", "cyclonedx-json", "--cyclonedx-version", "1.5"],
    );
    let table = generate(&source, &["-o", "table"]);
    schema::assert_valid_spdx(&json(&spdx));
    schema::assert_valid_cyclonedx(&json(&cdx));
    schema::assert_valid_cyclonedx(&json(&cdx15));
    schema::sample("rhel8-rootfs.spdx.json", &spdx);
    schema::sample("rhel8-rootfs.cdx.json", &cdx);
    schema::sample("rhel8-rootfs.cdx15.json", &cdx15);
    golden::check("rhel8-rootfs.spdx.json", &spdx);
    golden::check("rhel8-rootfs.cdx17.json", &cdx);
    golden::check("rhel8-rootfs.cdx15.json", &cdx15);
    golden::check("rhel8-rootfs.table.txt", &table);

    // What scanners read: the OS by its SPDX id prefix, and the package inside it with its purl.
    // The OS is named `redhat`, as its purls and the scanners' family name it (Trivy reports an OS
    // named `rhel` unsupported); CycloneDX keeps the os-release id in `swid`, where Syft and Grype
    // read it.
    let doc = json(&spdx);
    let os = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "redhat")
        .unwrap();
    let bom = json(&cdx);
    let os_component = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "operating-system")
        .unwrap();
    assert_eq!(os_component["name"], "redhat");
    assert_eq!(
        os_component["swid"],
        serde_json::json!({"tagId": "rhel-8.1", "name": "rhel", "version": "8.1"})
    );
    assert!(os["SPDXID"]
        .as_str()
        .unwrap()
        .starts_with("SPDXRef-OperatingSystem-"));
    assert!(String::from_utf8_lossy(&spdx).contains(
        "pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.1&upstream=util-linux-2.32.1-42.el8_8.src.rpm"
    ));
}

/// CBL-Mariner 2.0's own database beside its own os-release (`ID=mariner`): the OS is named
/// `cbl-mariner`, Trivy's family (it reports an OS named `mariner` unsupported), the purls by the
/// vendor with the os-release id in `distro`, and a source package carries the binary's epoch, as
/// `trivy rootfs` reports it (SrcEpoch 1 for ca-certificates).
#[test]
fn mariner_root_named_as_scanners_name_it() {
    let dir = tempdir();
    let r = dir.path();
    let fixtures = root().join("testdata/fixtures");
    write(
        r,
        "etc/os-release",
        &fs::read(fixtures.join("os-release/mariner-2.0.os-release")).unwrap(),
    );
    write(
        r,
        "var/lib/rpm/rpmdb.sqlite",
        &fs::read(fixtures.join("rpm/cbl-mariner-2.0.rpmdb.sqlite")).unwrap(),
    );
    let source = format!("dir:{}", r.display());
    let spdx = json(&generate(&source, &["-o", "spdx-json"]));
    let cdx = json(&generate(
        &source,
        &["-o", "cyclonedx-json", "--cyclonedx-version", "1.5"],
    ));
    schema::assert_valid_spdx(&spdx);
    schema::assert_valid_cyclonedx(&cdx);

    let packages = spdx["packages"].as_array().unwrap();
    let os = packages
        .iter()
        .find(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM")
        .unwrap();
    assert_eq!(
        (&os["name"], &os["versionInfo"]),
        (&"cbl-mariner".into(), &"2.0".into())
    );
    let ca = packages
        .iter()
        .find(|p| p["name"] == "ca-certificates-base")
        .unwrap();
    assert_eq!(
        ca["sourceInfo"],
        "built package from: ca-certificates 1:2.0.0-1.cm2"
    );
    let purl = ca["externalRefs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["referenceType"] == "purl")
        .unwrap();
    assert_eq!(
        purl["referenceLocator"],
        "pkg:rpm/cbl-mariner/ca-certificates-base@2.0.0-1.cm2?arch=noarch&distro=mariner-2.0&epoch=1&upstream=ca-certificates-2.0.0-1.cm2.src.rpm"
    );
    let os_component = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "operating-system")
        .unwrap();
    assert_eq!(os_component["name"], "cbl-mariner");
    assert_eq!(
        os_component["swid"],
        serde_json::json!({"tagId": "mariner-2.0", "name": "mariner", "version": "2.0"})
    );
}

/// A root folder with the built SQLite database and the files its packages own: a Python
/// manifest inside an RPM package is contained by it, and `--files` lists owned files with the
/// digests rpm recorded.
#[test]
fn files_and_manifests_owned_by_rpm_packages() {
    let dir = tempdir();
    let r = dir.path();
    write(
        r,
        "etc/os-release",
        &fs::read(root().join(RHEL8).join("etc/os-release")).unwrap(),
    );
    write(
        r,
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        &fs::read(root().join(BUILT).join("sqlite/rpmdb.sqlite")).unwrap(),
    );
    // The files exactly as the packages install them (the spec's %install).
    write(r, "usr/bin/sbk-tool", b"#!/bin/sh\necho sbk\n");
    write(r, "usr/share/sbk-base/README", b"base\n");
    write(
        r,
        "usr/lib/python3/site-packages/sbk_data-0.5.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: sbk-data\nVersion: 0.5\nLicense: MIT\n",
    );
    let source = format!("dir:{}", r.display());
    let out = run(
        sbomkit().args(["generate", &source, "--files", "-o", "spdx-json"]),
        0,
    );
    assert_eq!(out.stderr, "", "no warnings: every digest matches");
    let doc = json(&out.stdout);
    schema::assert_valid_spdx(&doc);
    let id_of = |name: &str, purl_prefix: &str| -> String {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                p["name"] == name
                    && p["externalRefs"].as_array().is_some_and(|refs| {
                        refs.iter().any(|r| {
                            r["referenceLocator"]
                                .as_str()
                                .is_some_and(|l| l.starts_with(purl_prefix))
                        })
                    })
            })
            .unwrap_or_else(|| panic!("no {name}"))["SPDXID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let rpm_data = id_of("sbk-data", "pkg:rpm/redhat/sbk-data@0.5-1?arch=noarch");
    let py_data = id_of("sbk-data", "pkg:pypi/sbk-data@0.5");
    let has = |from: &str, kind: &str, to: &str| {
        doc["relationships"].as_array().unwrap().iter().any(|r| {
            r["spdxElementId"] == from
                && r["relationshipType"] == kind
                && r["relatedSpdxElement"] == to
        })
    };
    assert!(has(&rpm_data, "CONTAINS", &py_data));
    // The program is a file of sbk-base, with the SHA-256 rpm recorded.
    let tool = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fileName"] == "./usr/bin/sbk-tool")
        .unwrap();
    let rpm_base = id_of("sbk-base", "pkg:rpm/redhat/sbk-base@1.0-1");
    assert!(has(&rpm_base, "CONTAINS", tool["SPDXID"].as_str().unwrap()));
}

#[test]
fn bare_databases_of_each_backend_need_no_scheme() {
    for rel in ["sqlite/rpmdb.sqlite", "bdb/Packages", "ndb/Packages.db"] {
        let path = root().join(BUILT).join(rel);
        let out = run(
            sbomkit().args(["generate", path.to_str().unwrap(), "-o", "table"]),
            0,
        );
        let table = String::from_utf8(out.stdout).unwrap();
        assert!(table.contains("3 packages (3 rpm)"), "{rel}: {table}");
        assert!(
            out.stderr
                .contains("no os-release, and the packages name no known vendor"),
            "{rel}: {}",
            out.stderr
        );
    }
}

/// A database whose pages are broken: a warning naming it, the document says it is incomplete.
#[test]
fn a_broken_database_is_a_warning_and_an_incomplete_document() {
    let dir = tempdir();
    let mut db = fs::read(root().join(BUILT).join("sqlite/rpmdb.sqlite")).unwrap();
    db.truncate(4096 * 2);
    let path = write(dir.path(), "rpmdb.sqlite", &db);
    let out = run(
        sbomkit().args(["generate", path.to_str().unwrap(), "-o", "cyclonedx-json"]),
        0,
    );
    assert!(
        out.stderr
            .contains("/var/lib/rpm/rpmdb.sqlite: SQLite page"),
        "{}",
        out.stderr
    );
    let doc = json(&out.stdout);
    schema::assert_valid_cyclonedx(&doc);
    assert!(String::from_utf8_lossy(&out.stdout).contains("incomplete"));
}
