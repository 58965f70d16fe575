//! `sbomkit validate` and `sbomkit convert` on SBOMs other tools wrote (testdata/sboms/, see its
//! PROVENANCE.md) and on sbomkit's own, and on hostile input.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::schema;
use crate::support::{generate, outcome, root, run, sbomkit, tempdir};

const SBOMS: &str = "testdata/sboms";

/// Every SBOM fixture, relative to the repository root.
fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root().join(SBOMS)) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "json") {
            out.push(e.path().to_path_buf());
        }
    }
    out.sort();
    assert_eq!(out.len(), 18, "the fixtures of testdata/sboms");
    out
}

fn report(file: &Path, profile: &str) -> (i32, Value) {
    let out = outcome(
        sbomkit()
            .args(["validate", "--output", "json", "--profile", profile])
            .arg(file),
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", file.display(), out.stderr));
    (out.code, v)
}

/// ntia-conformance-checker 6.0.0's `isNtiaConformant` on each SPDX fixture (`ntia-checker -r json
/// FILE`); scripts/ntia-agreement.sh checks the same against the tool itself.
const NTIA_VERDICTS: &[(&str, bool)] = &[
    (
        "apko/expected-image/both-describes-methods.spdx.json",
        false,
    ),
    ("apko/expected-image/custom-license.spdx.json", false),
    (
        "apko/expected-image/describes-relationship.spdx.json",
        false,
    ),
    ("apko/expected-image/no-supplier.spdx.json", false),
    ("apko/expected-image/package-deduplicating.spdx.json", false),
    (
        "apko/expected-image/unbound-package-dedupe.spdx.json",
        false,
    ),
    ("apko/golden-image/sbom-index.spdx.json", true),
    ("apko/golden-image/sbom-x86_64.spdx.json", true),
    ("melange-per-apk/font-ubuntu-0.869-r1.spdx.json", true),
    ("melange-per-apk/libattr1-2.5.1-r2.spdx.json", false),
    ("melange-per-apk/unbound-1.23.0-r0.spdx.json", true),
    ("melange-per-apk/unbound-libs-1.23.0-r0.spdx.json", true),
    ("syft/alpine-3.10.syft.spdx.json", false),
    ("syft/alpine-3.10.vendor.spdx.json", false),
    ("trivy/centos-7.spdx.json", false),
];

#[test]
fn ntia_verdicts_agree_with_ntia_conformance_checker() {
    for (file, conformant) in NTIA_VERDICTS {
        let path = root().join(SBOMS).join(file);
        let (code, r) = report(&path, "ntia");
        assert_eq!(r["holds"], *conformant, "{file}: {r:#}");
        assert_eq!(code, if *conformant { 0 } else { 3 }, "{file}");
    }
}

/// The schema verdict is the official schema's, checked here with the test's own validator.
#[test]
fn schema_verdicts_agree_with_the_official_schemas() {
    let spdx_errata = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft201909)
        .should_validate_formats(true)
        .build(&schema::load_json(
            "spdx/spdx-schema-v2.3-support-2.3.1.json",
        ))
        .unwrap();
    for f in fixtures() {
        let doc: Value = serde_json::from_slice(&fs::read(&f).unwrap()).unwrap();
        let independent = if doc.get("spdxVersion").is_some() {
            schema::errors(&spdx_errata, &doc).is_empty()
        } else {
            schema::cyclonedx_errors(&doc).is_empty()
        };
        let (code, r) = report(&f, "schema");
        assert_eq!(r["schema"]["valid"], independent, "{}: {r:#}", f.display());
        assert_eq!(code, if independent { 0 } else { 3 }, "{}", f.display());
    }
}

#[test]
fn schema_errors_name_their_pointer_and_line() {
    let f = root().join(SBOMS).join("syft/alpine-3.10.syft.spdx.json");
    let (code, r) = report(&f, "schema");
    assert_eq!(code, 3);
    let errors = r["schema"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{r:#}");
    assert_eq!(errors[0]["pointer"], "/files/0");
    // The file object `/files/0` opens on line 115 of the fixture.
    let text = fs::read_to_string(&f).unwrap();
    assert_eq!(text.lines().nth(114).map(str::trim), Some("{"));
    assert_eq!(errors[0]["line"], 115);
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("\"checksums\" is a required property"));
    // SPDX 2.2 has no schema of its own here: the report says which one was used.
    assert!(r["schema"]["note"].as_str().unwrap().contains("SPDX-2.2"));
    let table = run(sbomkit().arg("validate").arg(&f), 3).stdout;
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains("at /files/0 (line 115): \"checksums\" is a required property"),
        "{table}"
    );
}

#[test]
fn failed_checks_count_and_name_the_components() {
    let f = root()
        .join(SBOMS)
        .join("apko/expected-image/no-supplier.spdx.json");
    let (_, r) = report(&f, "ntia");
    let check = |id: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id}: {r:#}"))
            .clone()
    };
    let name = check("component-name");
    assert_eq!(name["pass"], false);
    assert_eq!(name["missing"], 1);
    assert_eq!(name["examples"][0], "SPDXRef-Package-ImageLayer-");
    // The floating OS package is not reached from what the document describes: not counted,
    // as ntia-conformance-checker does not count it.
    assert_eq!(name["components"], 2);
    assert_eq!(check("component-supplier")["pass"], true);

    let f = root()
        .join(SBOMS)
        .join("trivy/mixed-os-and-lang.cyclonedx-1.7.json");
    let (code, r) = report(&f, "bsi-2.1");
    assert_eq!(code, 3);
    assert_eq!(r["format"], "CycloneDX 1.7");
    let format = &r["checks"][0];
    assert_eq!(
        (format["id"].as_str(), &format["pass"]),
        (Some("format"), &Value::Bool(true))
    );
    let sha512 = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "component-hash-sha512")
        .unwrap();
    let n = sha512["components"].as_u64().unwrap();
    assert!(n > 5, "{sha512:#}");
    assert_eq!(
        sha512["missing"].as_u64(),
        Some(n),
        "Trivy writes no SHA-512"
    );
    assert_eq!(sha512["examples"].as_array().unwrap().len(), 5);

    // BSI TR-03183-2 v2.1 accepts no SPDX 2.
    let f = root()
        .join(SBOMS)
        .join("apko/golden-image/sbom-x86_64.spdx.json");
    let (_, r) = report(&f, "bsi-2.1");
    assert_eq!(r["checks"][0]["id"], "format");
    assert_eq!(r["checks"][0]["pass"], false);
}

/// sbomkit's own documents: the schema profile holds for every format, and the NTIA verdict on
/// its SPDX output is ntia-conformance-checker's (which scripts/ntia-agreement.sh checks live).
#[test]
fn sbomkit_output_is_validated_like_any_other() {
    let dir = tempdir();
    let alpine = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";
    let spdx = dir.path().join("a.spdx.json");
    let spdx3 = dir.path().join("a.spdx3.json");
    let cdx = dir.path().join("a.cdx.json");
    generate(
        alpine,
        &[
            "-o",
            &format!("spdx-json={}", spdx.display()),
            "-o",
            &format!("spdx3-json={}", spdx3.display()),
            "-o",
            &format!("cyclonedx-json={}", cdx.display()),
        ],
    );
    for (f, format) in [
        (&spdx, "SPDX 2.3"),
        (&spdx3, "SPDX 3.0.1"),
        (&cdx, "CycloneDX 1.7"),
    ] {
        let (code, r) = report(f, "schema");
        assert_eq!((code, &r["format"]), (0, &Value::from(format)), "{r:#}");
    }
    for f in [&spdx, &spdx3] {
        let (_, r) = report(f, "ntia");
        let failed: Vec<&str> = r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["pass"] == false)
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        // The image itself has no supplier: ntia-conformance-checker names it too.
        assert_eq!(failed, ["component-supplier"], "{r:#}");
    }
}

#[test]
fn the_json_report_is_documented_field_by_field() {
    let doc = fs::read_to_string(root().join("docs/validate.md")).unwrap();
    // Paths as the doc writes them: `schema.errors[].pointer`.
    let mut keys = BTreeSet::new();
    fn walk(v: &Value, path: &str, keys: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = match path {
                        "" => k.clone(),
                        _ => format!("{path}.{k}"),
                    };
                    keys.insert(p.clone());
                    walk(v, &p, keys);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, &format!("{path}[]"), keys)),
            _ => {}
        }
    }
    for (file, profile) in [
        ("syft/alpine-3.10.syft.spdx.json", "cisa-2026"),
        ("trivy/mixed-os-and-lang.cyclonedx-1.7.json", "bsi-2.1"),
    ] {
        let (_, r) = report(&root().join(SBOMS).join(file), profile);
        walk(&r, "", &mut keys);
    }
    assert!(keys.contains("schema.errors[].line") && keys.contains("checks[].examples"));
    for k in &keys {
        assert!(
            doc.contains(&format!("`{k}`")),
            "docs/validate.md does not list `{k}`"
        );
    }
    // Every check id of every profile is documented too.
    for profile in ["ntia", "cisa-2026", "bsi-2.1"] {
        let (_, r) = report(
            &root().join(SBOMS).join("trivy/centos-7.cyclonedx-1.5.json"),
            profile,
        );
        for c in r["checks"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            assert!(
                doc.contains(&format!("`{id}`")),
                "docs/validate.md does not list `{id}`"
            );
        }
    }
}

fn names(doc: &Value) -> BTreeSet<String> {
    if let Some(ps) = doc.get("packages").and_then(Value::as_array) {
        return ps
            .iter()
            .filter(|p| {
                !p["SPDXID"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("SPDXRef-DocumentRoot")
            })
            .map(|p| p["name"].as_str().unwrap_or("").to_string())
            .collect();
    }
    if let Some(g) = doc.get("@graph").and_then(Value::as_array) {
        return g
            .iter()
            .filter(|e| e["type"] == "software_Package")
            .filter(|e| !e["spdxId"].as_str().unwrap_or("").contains("#DocumentRoot"))
            .map(|e| e["name"].as_str().unwrap_or("").to_string())
            .collect();
    }
    crate::support::all_components(doc)
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Every fixture into every format: valid against the official schema, the same packages, and
/// each kind of information dropped said once.
#[test]
fn convert_writes_valid_documents_with_the_same_packages() {
    let dir = tempdir();
    for f in fixtures() {
        let input: Value = serde_json::from_slice(&fs::read(&f).unwrap()).unwrap();
        let want = names(&input);
        for (word, ext) in [
            ("spdx-json", "spdx.json"),
            ("spdx3-json", "spdx3.json"),
            ("cyclonedx-json@1.5", "cdx15.json"),
            ("cyclonedx-json@1.6", "cdx16.json"),
            ("cyclonedx-json", "cdx17.json"),
        ] {
            let stem = f.file_stem().unwrap().to_string_lossy().replace('.', "-");
            let out = dir.path().join(format!("{stem}.{ext}"));
            let o = run(
                sbomkit()
                    .arg("convert")
                    .arg(&f)
                    .arg("-o")
                    .arg(format!("{word}={}", out.display())),
                0,
            );
            let lines: Vec<&str> = o.stderr.lines().collect();
            let unique: BTreeSet<&str> = lines.iter().copied().collect();
            assert_eq!(lines.len(), unique.len(), "{}: {}", f.display(), o.stderr);
            let bytes = fs::read(&out).unwrap();
            schema::sample(&format!("convert-{stem}.{ext}"), &bytes);
            let doc: Value = serde_json::from_slice(&bytes).unwrap();
            match ext {
                "spdx.json" => schema::assert_valid_spdx(&doc),
                "spdx3.json" => schema::assert_valid_spdx3(&doc),
                _ => schema::assert_valid_cyclonedx(&doc),
            }
            let mut got = names(&doc);
            // The CycloneDX root was the subject: it is written as the document's root again.
            got.remove("");
            let mut want = want.clone();
            want.remove("");
            assert!(
                want.is_subset(&got) || ext.starts_with("cdx") && input.get("bomFormat").is_none(),
                "{} → {word}: lost {:?}",
                f.display(),
                want.difference(&got).collect::<Vec<_>>()
            );
            // And the result reads back (once per format: each run compiles its schema).
            if f.ends_with("centos-7.cyclonedx-1.5.json") {
                run(sbomkit().arg("validate").arg(&out), 0);
            }
        }
    }
}

#[test]
fn convert_says_what_it_drops() {
    let f = root().join(SBOMS).join("syft/alpine-3.10.syft.spdx.json");
    let o = run(
        sbomkit()
            .arg("convert")
            .arg(&f)
            .args(["-o", "cyclonedx-json"]),
        0,
    );
    let expected = [
        "not carried over: concluded licenses",
        "not carried over: the document's creators (authors and tools)",
    ];
    for e in expected {
        assert!(o.stderr.contains(e), "{}", o.stderr);
    }
    assert_eq!(o.stderr.lines().count(), expected.len(), "{}", o.stderr);
    let bom: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ssl = crate::support::component(&bom, "ssl_client");
    assert_eq!(ssl["version"], "1.30.1-r5");
    assert_eq!(ssl["authors"][0]["email"], "ncopa@alpinelinux.org");
    assert!(ssl["purl"]
        .as_str()
        .unwrap()
        .starts_with("pkg:apk/alpine/ssl_client@1.30.1-r5"));
    let q = run(
        sbomkit()
            .arg("convert")
            .arg("-q")
            .arg(&f)
            .args(["-o", "spdx3-json"]),
        0,
    );
    assert_eq!(q.stderr, "");
}

/// Bad input to either command: a clear error naming the file, exit 1, nothing written.
#[test]
fn bad_input_is_refused_naming_the_file() {
    let dir = tempdir();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not-json.json",
            b"SPDXVersion: SPDX-2.3\n".to_vec(),
            "not JSON",
        ),
        (
            "manifest.json",
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#
                .to_vec(),
            "not an SBOM",
        ),
        ("deep.json", deep.into_bytes(), "nested more than 64 levels"),
        (
            "dup.json",
            br#"{"spdxVersion":"SPDX-2.3","spdxVersion":"SPDX-2.2"}"#.to_vec(),
            "\"spdxVersion\" appears twice",
        ),
        ("empty.json", Vec::new(), "not JSON"),
        (
            "cdx13.json",
            br#"{"bomFormat":"CycloneDX","specVersion":"1.3"}"#.to_vec(),
            "CycloneDX 1.3 is not read",
        ),
    ];
    for (name, bytes, says) in cases {
        let input = dir.path().join(name);
        fs::write(&input, bytes).unwrap();
        for profile in ["schema", "bsi-2.1"] {
            let o = run(
                sbomkit()
                    .arg("validate")
                    .arg(&input)
                    .args(["--profile", profile]),
                1,
            );
            assert!(
                o.stderr.contains(name) && o.stderr.contains(says),
                "{name}: {}",
                o.stderr
            );
            assert!(o.stdout.is_empty());
        }
        let out = dir.path().join(format!("{name}.out"));
        let o = run(
            sbomkit()
                .arg("convert")
                .arg(&input)
                .arg("-o")
                .arg(format!("spdx-json={}", out.display())),
            1,
        );
        assert!(
            o.stderr.contains(name) && o.stderr.contains(says),
            "{name}: {}",
            o.stderr
        );
        assert!(!out.exists(), "{name}: an output was left");
    }
    // A 1 GiB document (sparse: no disk used) is refused by its size, before a byte is read.
    let big = dir.path().join("big.json");
    fs::File::create(&big).unwrap().set_len(1 << 30).unwrap();
    let start = std::time::Instant::now();
    let o = run(sbomkit().arg("validate").arg(&big), 1);
    assert!(
        o.stderr
            .contains("big.json: 1073741824 bytes, over the limit"),
        "{}",
        o.stderr
    );
    assert!(start.elapsed().as_secs() < 10);
    let out = dir.path().join("big.out");
    run(
        sbomkit()
            .arg("convert")
            .arg(&big)
            .arg("-o")
            .arg(format!("cyclonedx-json={}", out.display())),
        1,
    );
    assert!(!out.exists());
    // No temporary file is left beside the outputs either.
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".out") || n.starts_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A missing file and a folder.
    let o = run(
        sbomkit().arg("validate").arg(dir.path().join("nope.json")),
        1,
    );
    assert!(o.stderr.contains("nope.json"), "{}", o.stderr);
    let o = run(sbomkit().arg("validate").arg(dir.path()), 1);
    assert!(o.stderr.contains("a folder"), "{}", o.stderr);
}

#[test]
fn convert_checks_its_outputs_before_reading() {
    let dir = tempdir();
    let f = root().join(SBOMS).join("trivy/centos-7.cyclonedx-1.5.json");
    let o = run(
        sbomkit().arg("convert").arg(&f).arg("-o").arg(format!(
            "spdx-json={}",
            dir.path().join("no/such/dir/x.json").display()
        )),
        1,
    );
    assert!(o.stderr.contains("does not exist"), "{}", o.stderr);
    let o = run(sbomkit().arg("convert").arg(&f).args(["-o", "table"]), 2);
    assert!(
        o.stderr.contains("convert writes documents"),
        "{}",
        o.stderr
    );
}

/// CycloneDX 1.4 (Syft's `cyclonedx-json@1.4`) is checked against the 1.4 schema, which fails
/// what 1.4 does not have.
#[test]
fn cyclonedx_1_4_is_checked_against_the_1_4_schema() {
    let f = root().join(SBOMS).join("syft/alpine-3.10.syft.cdx14.json");
    let (code, r) = report(&f, "schema");
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["schema"]["schema"], "CycloneDX 1.4", "{r:#}");
    // `lifecycles` came with 1.5: valid in 1.5, not in 1.4.
    let mut doc: Value = serde_json::from_slice(&fs::read(&f).unwrap()).unwrap();
    doc["metadata"]["lifecycles"] = serde_json::json!([{"phase": "post-build"}]);
    let dir = tempdir();
    let broken = dir.path().join("lifecycles.cdx14.json");
    fs::write(&broken, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let (code, r) = report(&broken, "schema");
    assert_eq!(code, 3, "{r:#}");
    assert_eq!(r["schema"]["errors"][0]["pointer"], "/metadata", "{r:#}");
    assert!(r["schema"]["errors"][0]["line"].is_u64(), "{r:#}");
    doc["specVersion"] = serde_json::json!("1.5");
    doc["$schema"] = serde_json::json!("http://cyclonedx.org/schema/bom-1.5.schema.json");
    assert_eq!(schema::cyclonedx_errors(&doc), Vec::<String>::new());
}
