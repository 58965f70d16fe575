//! The command line's options for what a scan leaves out and how the binary is set up: `--exclude`,
//! the config file and `SBOMKIT_*` variables, shell completions and the man page, and the fields of
//! the JSON reports.

use std::fs;

use serde_json::Value;

use crate::support::{run, sbomkit, schema, tempdir};

const ALPINE: &str = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";

/// Runs `generate` with `args` and returns the CycloneDX and SPDX documents, both validated.
fn documents(source: &str, args: &[&str]) -> (Value, Value, String) {
    let t = tempdir();
    let cdx = t.path().join("out.cdx.json");
    let spdx = t.path().join("out.spdx.json");
    let out = run(
        sbomkit()
            .args(["generate", source])
            .args(args)
            .arg("-o")
            .arg(format!("cyclonedx-json={}", cdx.display()))
            .arg("-o")
            .arg(format!("spdx-json={}", spdx.display())),
        0,
    );
    let bom: Value = serde_json::from_slice(&fs::read(&cdx).unwrap()).unwrap();
    let doc: Value = serde_json::from_slice(&fs::read(&spdx).unwrap()).unwrap();
    schema::assert_valid_cyclonedx(&bom);
    schema::assert_valid_spdx(&doc);
    (bom, doc, out.stderr)
}

fn component_names(bom: &Value, kind: &str) -> Vec<String> {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("pkg:{kind}/")))
        })
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Excluding the APK database folder of a real image: its packages disappear, and both documents
/// say that they are incomplete and which pattern made them so.
#[test]
fn an_excluded_database_folder_takes_its_packages_and_the_document_says_so() {
    let (bom, _, _) = documents(ALPINE, &[]);
    assert_eq!(component_names(&bom, "apk").len(), 14);
    assert!(bom.get("compositions").is_none());

    let (bom, doc, stderr) = documents(ALPINE, &["--exclude", "/lib/apk/db/**"]);
    assert!(component_names(&bom, "apk").is_empty(), "{bom:#}");
    let subject = bom["metadata"]["component"]["bom-ref"].clone();
    assert_eq!(
        bom["compositions"],
        serde_json::json!([{"aggregate": "incomplete", "assemblies": [subject]}])
    );
    let unknown = "/lib/apk/db/**: excluded from the scan on request: 4 paths left out: the \
                   packages and files there are missing from this document";
    assert_eq!(
        bom["metadata"]["properties"],
        serde_json::json!([{"name": "sbomkit:unknown", "value": unknown}])
    );
    let comment = doc["comment"].as_str().unwrap();
    assert_eq!(
        comment,
        format!(
            "This document is incomplete: the paths named below were excluded from the scan.\n\
             unknown: {unknown}"
        )
    );
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "apk-tools"));
}

/// `/P`, `./P` and `P` are the same pattern (as Syft users write them): the same bytes.
#[test]
fn the_three_spellings_of_a_pattern_give_the_same_document() {
    let docs: Vec<Vec<u8>> = ["/lib/apk/db/**", "./lib/apk/db/**", "lib/apk/db/**"]
        .iter()
        .map(|p| crate::support::generate(ALPINE, &["--exclude", p, "-o", "cyclonedx-json"]))
        .collect();
    assert_eq!(docs[0], docs[1]);
    assert_eq!(docs[0], docs[2]);
}

/// Excluded files are not listed either (`--files`), nor catalogued as binaries; what is not
/// excluded stays.
#[test]
fn excluded_files_are_neither_listed_nor_catalogued() {
    let (bom, doc, _) = documents(
        ALPINE,
        &[
            "--files",
            "--exclude",
            "/bin/**",
            "--exclude",
            "usr/lib/engines-1.1",
        ],
    );
    let paths: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fileName"].as_str().unwrap())
        .collect();
    assert!(paths.iter().any(|p| p.starts_with("./sbin/")), "{paths:?}");
    for p in &paths {
        assert!(
            !p.starts_with("./bin/") && !p.starts_with("./usr/lib/engines-1.1/"),
            "{p}"
        );
    }
    // The packages themselves stay: only their files there are left out.
    assert_eq!(component_names(&bom, "apk").len(), 14);
    let unknowns: Vec<&str> = bom["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(unknowns.len(), 2, "{unknowns:?}");
    assert!(unknowns[0].starts_with("/bin/**: excluded from the scan on request: "));
    assert!(unknowns[1].starts_with("/usr/lib/engines-1.1: excluded from the scan on request: "));
}

/// A pattern that matches nothing leaves the document complete, with a warning; a bad pattern is a
/// usage error before anything is read or written.
#[test]
fn a_pattern_that_matches_nothing_warns_and_a_bad_one_is_refused() {
    let (bom, doc, stderr) = documents(ALPINE, &["--exclude", "/opt/**"]);
    assert!(bom.get("compositions").is_none());
    assert!(
        stderr.contains("warning: --exclude /opt/**: matched nothing in the image"),
        "{stderr}"
    );
    assert!(doc["comment"].as_str().unwrap().contains("matched nothing"));

    let t = tempdir();
    let out_file = t.path().join("x.json");
    for cmd in ["generate", "scan"] {
        let out = run(
            sbomkit()
                .args([cmd, ALPINE, "--exclude", "usr/[lib"])
                .arg("-o")
                .arg(format!("spdx-json={}", out_file.display())),
            2,
        );
        assert!(
            out.stderr.contains("--exclude `usr/[lib`"),
            "{}",
            out.stderr
        );
        assert!(!out_file.exists());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
    }
    let out = run(
        sbomkit().args(["attest", ALPINE, "--key", "none.key", "--exclude", "/"]),
        2,
    );
    assert!(out.stderr.contains("--exclude `/`"), "{}", out.stderr);
}
