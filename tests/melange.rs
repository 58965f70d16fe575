//! melange's per-package SPDX documents (`var/lib/db/sbom/`), cross-checked against the APK
//! database, on a root folder where the real melange-built APKs of `testdata/fixtures/apk/melange-repo`
//! were installed (`scripts/make-melange-root.py`).

use std::fs;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{all_components, run, sbomkit, schema, tempdir};

const ROOT: &str = "testdata/fixtures/apk/melange-root";
const DOCS: &str = "var/lib/db/sbom";

fn property<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?["value"]
        .as_str()
}

/// The CycloneDX document of `root` and the warnings printed.
fn scan(root: &Path) -> (Value, String) {
    let out = run(
        sbomkit()
            .args(["generate", "-o", "cyclonedx-json"])
            .arg(format!("dir:{}", root.display())),
        0,
    );
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    schema::assert_valid_cyclonedx(&bom);
    (bom, out.stderr)
}

fn copy_root(to: &Path) {
    for entry in walkdir::WalkDir::new(ROOT) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(ROOT).unwrap();
        if entry.file_type().is_dir() {
            fs::create_dir_all(to.join(rel)).unwrap();
        } else {
            fs::copy(entry.path(), to.join(rel)).unwrap();
        }
    }
}

#[test]
fn each_apk_records_the_melange_document_that_agrees_with_the_database() {
    let (bom, stderr) = scan(Path::new(ROOT));
    assert!(!stderr.contains("melange"), "{stderr}");
    let mut seen = 0;
    for entry in fs::read_dir(Path::new(ROOT).join(DOCS)).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let described = doc["documentDescribes"][0].as_str().unwrap();
        let package = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["SPDXID"] == described)
            .unwrap();
        let name = package["name"].as_str().unwrap();
        let c = all_components(&bom)
            .into_iter()
            .find(|c| c["name"] == name && c["purl"].as_str().unwrap_or("").starts_with("pkg:apk/"))
            .unwrap_or_else(|| panic!("no APK component {name}"));
        let file = format!("/{DOCS}/{}", path.file_name().unwrap().to_str().unwrap());
        assert_eq!(property(c, "sbomkit:melange:sbom"), Some(file.as_str()));
        assert_eq!(
            property(c, "sbomkit:melange:sbom-sha256"),
            Some(hex::encode(Sha256::digest(&bytes)).as_str())
        );
        assert_eq!(
            property(c, "sbomkit:melange:sbom-namespace"),
            doc["documentNamespace"].as_str()
        );
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn a_document_that_disagrees_is_a_warning_naming_both_files() {
    let dir = tempdir();
    copy_root(dir.path());
    let db = dir.path().join("lib/apk/db/installed");
    let text = fs::read_to_string(&db).unwrap();
    // replayout's stanza: another release and another commit than its melange document says.
    let (before, after) = text.split_once("P:replayout\n").unwrap();
    let after = after.replacen("V:1.0.0-r0", "V:1.0.0-r1", 1).replacen(
        "c:326e0ed687bdfeadac839dc9b25686e4442c9d04",
        "c:0000000000000000000000000000000000000000",
        1,
    );
    fs::write(&db, format!("{before}P:replayout\n{after}")).unwrap();
    // And a document that is not one.
    fs::write(
        dir.path().join(DOCS).join("broken-1-r0.spdx.json"),
        b"{\"spdx",
    )
    .unwrap();

    let (bom, stderr) = scan(dir.path());
    assert!(
        stderr.contains(
            "/var/lib/db/sbom/replayout-1.0.0-r0.spdx.json disagrees with /lib/apk/db/installed on \
             package replayout: version 1.0.0-r0 (database: 1.0.0-r1), commit \
             326e0ed687bdfeadac839dc9b25686e4442c9d04 (database: 0000000000000000000000000000000000000000)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "/var/lib/db/sbom/broken-1-r0.spdx.json: melange SBOM not cross-checked: not JSON"
        ),
        "{stderr}"
    );
    let replayout = all_components(&bom)
        .into_iter()
        .find(|c| c["name"] == "replayout")
        .unwrap();
    assert_eq!(
        replayout["version"], "1.0.0-r1",
        "the database is the truth"
    );
    assert_eq!(property(replayout, "sbomkit:melange:sbom"), None);
    let other = all_components(&bom)
        .into_iter()
        .find(|c| c["name"] == "custom-ca-certs-1")
        .unwrap();
    assert!(property(other, "sbomkit:melange:sbom").is_some());
}
