//! `sbomkit diff` on the images `testdata/diff/build.py` builds from real Debian packages, checked
//! against `dpkg-query` and `dpkg --compare-versions` on the images' own status files (unpacked by
//! GNU tar); on sbomkit's documents of those images in every format; on Syft's and Trivy's
//! documents of the bundled Alpine image; on an ambiguous match; on inputs that are neither.
//! Every JSON report is validated against its schema and its fields against docs/reports.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{self, run, sbomkit, schema, tempdir};

fn fixture(name: &str) -> PathBuf {
    support::root().join("testdata").join(name)
}

/// `diff OLD NEW --output json` with `args`, exiting `code`; schema- and documentation-checked.
fn diff(old: &Path, new: &Path, args: &[&str], code: i32) -> Value {
    let out = run(
        sbomkit()
            .arg("diff")
            .arg(old)
            .arg(new)
            .args(["--output", "json"])
            .args(args),
        code,
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is JSON");
    let errors = schema::diff_errors(&report);
    assert!(errors.is_empty(), "schema: {errors:#?}");
    let (documented, maps) = documented_fields();
    let mut paths = BTreeSet::new();
    crate::options::field_paths(&report, "", &maps, &mut paths);
    let undocumented: Vec<_> = paths.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/reports.md: {undocumented:?}"
    );
    report
}

fn documented_fields() -> (BTreeSet<String>, Vec<String>) {
    let tables = crate::options::documented("## diff");
    assert_eq!(tables.len(), 1, "one table under ## diff");
    tables.into_iter().next().unwrap()
}

/// Each layer's `var/lib/dpkg/status` (if it has one) as `dpkg-query` lists it, and the layer
/// files unpacked by GNU tar, from a gzip `docker save` archive.
struct Layers {
    _dir: tempfile::TempDir,
    /// Per layer, bottom first: package → version, when the layer writes the status file.
    status: Vec<Option<BTreeMap<String, String>>>,
    /// The last layer's unpacked root that holds `var/lib/dpkg/info`.
    roots: Vec<PathBuf>,
}

fn dpkg_query(admindir: &Path) -> BTreeMap<String, String> {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args(["-W", "-f", "${Package}\t${Version}\n"])
        .output()
        .expect("dpkg-query runs (the diff tests compare against it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (p, v) = l.split_once('\t').unwrap();
            (p.to_string(), v.to_string())
        })
        .collect()
}

fn layers(image: &Path) -> Layers {
    let dir = tempdir();
    let outer = dir.path().join("outer");
    std::fs::create_dir(&outer).unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(image)
        .arg("-C")
        .arg(&outer)
        .status()
        .unwrap();
    assert!(st.success());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(outer.join("manifest.json")).unwrap()).unwrap();
    let mut status = Vec::new();
    let mut roots = Vec::new();
    for (i, l) in manifest[0]["Layers"].as_array().unwrap().iter().enumerate() {
        let root = dir.path().join(format!("layer{i}"));
        std::fs::create_dir(&root).unwrap();
        let st = Command::new("tar")
            .arg("-xf")
            .arg(outer.join(l.as_str().unwrap()))
            .arg("-C")
            .arg(&root)
            .status()
            .unwrap();
        assert!(st.success());
        let admin = root.join("var/lib/dpkg");
        status.push(admin.join("status").is_file().then(|| dpkg_query(&admin)));
        roots.push(root);
    }
    Layers {
        _dir: dir,
        status,
        roots,
    }
}

/// `dpkg --compare-versions a lt b`.
fn dpkg_lt(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .unwrap()
        .success()
}

/// The layer from which `version` of `package` is listed in every later status (the rule sbomkit
/// names layers by).
fn introduced(layers: &Layers, package: &str, version: &str) -> usize {
    let mut since = None;
    for (i, s) in layers.status.iter().enumerate() {
        match s
            .as_ref()
            .map(|s| s.get(package).map(String::as_str) == Some(version))
        {
            Some(true) => {
                since.get_or_insert(i);
            }
            Some(false) => since = None,
            None => {}
        }
    }
    since.expect("the package is in the final status")
}

fn final_status(layers: &Layers) -> BTreeMap<String, String> {
    layers.status.iter().flatten().last().unwrap().clone()
}

/// The report's changes as `(name, change, old version, new version, layer index)`.
fn changes(report: &Value) -> BTreeSet<(String, String, String, String, Option<u64>)> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let v = |s: &str| c[s]["version"].as_str().unwrap_or("-").to_string();
            let side = if c["new"].is_null() { "old" } else { "new" };
            (
                c["name"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
                v("old"),
                v("new"),
                c[side]["layer"]["index"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn two_built_images_differ_as_dpkg_says() {
    let (old_img, new_img) = (
        fixture("diff/minbase.tar.gz"),
        fixture("diff/updated.tar.gz"),
    );
    let (old_l, new_l) = (layers(&old_img), layers(&new_img));
    let (old_s, new_s) = (final_status(&old_l), final_status(&new_l));
    // The expectation from dpkg alone.
    let mut expected = BTreeSet::new();
    for (p, v) in &new_s {
        let layer = Some(introduced(&new_l, p, v) as u64);
        match old_s.get(p) {
            None => expected.insert((p.clone(), "added".into(), "-".into(), v.clone(), layer)),
            Some(o) if o == v => false,
            Some(o) => {
                let kind = if dpkg_lt(o, v) {
                    "upgraded"
                } else {
                    "downgraded"
                };
                expected.insert((p.clone(), kind.into(), o.clone(), v.clone(), layer))
            }
        };
    }
    for (p, o) in &old_s {
        if !new_s.contains_key(p) {
            let layer = Some(introduced(&old_l, p, o) as u64);
            expected.insert((p.clone(), "removed".into(), o.clone(), "-".into(), layer));
        }
    }
    // Each kind of change is there: the images were built for it.
    for kind in ["added", "removed", "upgraded", "downgraded"] {
        assert!(expected.iter().any(|e| e.1 == kind), "{kind}: {expected:?}");
    }
    let report = diff(&old_img, &new_img, &[], 0);
    let debs: BTreeSet<_> = changes(&report)
        .into_iter()
        .filter(|c| new_s.contains_key(&c.0) || old_s.contains_key(&c.0))
        .collect();
    assert_eq!(debs, expected);
    assert_eq!(report["summary"]["changed"], 0);
    assert_eq!(report["summary"]["ambiguous"], 0);
    let unchanged = new_s
        .iter()
        .filter(|(p, v)| old_s.get(*p) == Some(*v))
        .count();
    // The OS (debian 12.15 on both) is unchanged too.
    assert_eq!(report["ecosystems"]["deb"]["unchanged"], unchanged);
    assert_eq!(report["ecosystems"]["os"]["unchanged"], 1);
    // The images are the subjects, named by their config digests.
    for (side, img) in [("old", &old_img), ("new", &new_img)] {
        let s = &report[side];
        assert_eq!(s["readAs"], "scan");
        assert_eq!(s["kind"], "image");
        let out = Command::new("tar")
            .arg("-xzOf")
            .arg(img)
            .arg("manifest.json")
            .output()
            .unwrap();
        let m: Value = serde_json::from_slice(&out.stdout).unwrap();
        let config = m[0]["Config"].as_str().unwrap().trim_end_matches(".json");
        assert_eq!(s["digests"]["config"], format!("sha256:{config}"));
    }
    // Posture: the one finding that went is about a file of the deleted package, as its dpkg
    // file list (in the old image) names it.
    let lz4_list =
        std::fs::read_to_string(old_l.roots[0].join("var/lib/dpkg/info/liblz4-1:amd64.list"))
            .unwrap();
    let posture = &report["posture"];
    let gone = posture["disappeared"].as_array().unwrap();
    assert!(!gone.is_empty());
    for f in gone {
        let path = f["path"].as_str().unwrap();
        assert!(lz4_list.lines().any(|l| l == path), "{path}");
    }
    assert!(posture["user"].is_null());
}

#[test]
fn sbomkit_documents_of_an_image_compare_as_the_image() {
    let t = tempdir();
    let d = t.path();
    let (old_img, new_img) = (
        fixture("diff/minbase.tar.gz"),
        fixture("diff/updated.tar.gz"),
    );
    run(
        sbomkit()
            .current_dir(d)
            .arg("generate")
            .arg(&new_img)
            .args([
                "-o",
                "spdx-json=n.spdx.json",
                "-o",
                "spdx3-json=n.spdx3.json",
            ])
            .args([
                "-o",
                "cyclonedx-json@1.5=n.cdx15.json",
                "-o",
                "cyclonedx-json=n.cdx.json",
            ]),
        0,
    );
    let images = diff(&old_img, &new_img, &[], 0);
    for doc in ["n.spdx.json", "n.spdx3.json", "n.cdx15.json", "n.cdx.json"] {
        let doc = d.join(doc);
        // The document against its own image: nothing changed, every package matched.
        let same = diff(&doc, &new_img, &[], 0);
        assert_eq!(same["changes"], Value::Array(vec![]), "{}", doc.display());
        assert_eq!(same["summary"]["unchanged"], same["new"]["packages"]);
        assert_eq!(same["old"]["packages"], same["new"]["packages"]);
        // Against the old image: the changes the two images give, layers included.
        let mixed = diff(&old_img, &doc, &[], 0);
        assert_eq!(changes(&mixed), changes(&images), "{}", doc.display());
        assert!(mixed["posture"].is_null());
        assert_eq!(mixed["new"]["name"], "updated:test");
        assert_eq!(mixed["new"]["layers"], images["new"]["layers"]);
    }
}

#[test]
fn syft_and_trivy_on_one_image_agree() {
    let syft = fixture("diff/alpine-3.10.syft.cdx.json");
    let trivy = fixture("diff/alpine-3.10.trivy.cdx.json");
    let image = fixture("fixtures/images/alpine-3.10-docker-save.tar.gz");
    let r = diff(&syft, &trivy, &[], 0);
    assert_eq!(r["changes"], Value::Array(vec![]));
    assert_eq!(r["ambiguous"], Value::Array(vec![]));
    assert_eq!(r["summary"]["unchanged"], 15);
    assert_eq!(r["old"]["readAs"], "CycloneDX 1.6");
    assert_eq!(r["new"]["readAs"], "CycloneDX 1.5");
    // Each against the image sbomkit scans: the same 15 packages.
    for doc in [&syft, &trivy] {
        let r = diff(doc, &image, &[], 0);
        assert_eq!(r["changes"], Value::Array(vec![]), "{}", doc.display());
        assert_eq!(r["summary"]["unchanged"], 15);
    }
    // Layers as each tool names them: Trivy's diff_id and Syft's layerID are the image's layer.
    let scanned = diff(&image, &image, &[], 0);
    let diff_id = scanned["new"]["layers"][0].as_str().unwrap().to_string();
    let gate = |doc: &Path| {
        let t = tempdir();
        // An SBOM with busybox removed: its layer is what the tool said.
        let mut v: Value = serde_json::from_slice(&std::fs::read(doc).unwrap()).unwrap();
        v["components"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["name"] != "busybox");
        let cut = t.path().join("cut.json");
        std::fs::write(&cut, serde_json::to_vec(&v).unwrap()).unwrap();
        let r = diff(doc, &cut, &["--fail-on", "removed"], 3);
        assert_eq!(r["tripped"], serde_json::json!(["removed"]));
        r["changes"][0]["old"]["layer"].clone()
    };
    assert_eq!(
        gate(&trivy),
        serde_json::json!({"index": 0, "digest": diff_id})
    );
    assert_eq!(gate(&syft)["digest"], diff_id);
}

#[test]
fn several_candidates_are_reported_not_paired() {
    // Trivy's document of the bundled image, with musl listed twice on each side at versions
    // that differ: nothing says which became which.
    let t = tempdir();
    let src = fixture("diff/alpine-3.10.trivy.cdx.json");
    let v: Value = serde_json::from_slice(&std::fs::read(&src).unwrap()).unwrap();
    let with = |versions: [&str; 2], name: &str| {
        let mut v = v.clone();
        let comps = v["components"].as_array_mut().unwrap();
        let musl = comps.iter().find(|c| c["name"] == "musl").unwrap().clone();
        comps.retain(|c| c["name"] != "musl");
        for (i, ver) in versions.iter().enumerate() {
            let mut c = musl.clone();
            c["bom-ref"] = format!("musl-{i}").into();
            c["version"] = (*ver).into();
            c["purl"] = format!("pkg:apk/alpine/musl@{ver}?arch=x86_64&distro=3.10.4").into();
            comps.push(c);
        }
        let p = t.path().join(name);
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        p
    };
    let old = with(["1.1.22-r3", "1.1.20-r5"], "old.json");
    let new = with(["1.1.22-r4", "1.1.24-r0"], "new.json");
    let r = diff(&old, &new, &["--fail-on", "ambiguous,upgraded"], 3);
    assert_eq!(r["changes"], Value::Array(vec![]));
    let a = &r["ambiguous"][0];
    assert_eq!(a["key"], "pkg:apk/alpine/musl");
    let versions = |side: &str| -> Vec<&str> {
        a[side]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap())
            .collect()
    };
    assert_eq!(versions("old"), ["1.1.20-r5", "1.1.22-r3"]);
    assert_eq!(versions("new"), ["1.1.22-r4", "1.1.24-r0"]);
    assert_eq!(r["tripped"], serde_json::json!(["ambiguous"]));
    // One equal version on each side pairs; the other pair is then one against one.
    let new = with(["1.1.22-r3", "1.1.19-r0"], "new2.json");
    let r = diff(&old, &new, &["--fail-on", "downgraded"], 3);
    assert_eq!(r["ambiguous"], Value::Array(vec![]));
    assert_eq!(r["changes"][0]["change"], "downgraded");
    assert_eq!(r["changes"][0]["old"]["version"], "1.1.20-r5");
}

#[test]
fn table_and_markdown_say_the_same() {
    let (old, new) = (
        fixture("diff/minbase.tar.gz"),
        fixture("diff/updated.tar.gz"),
    );
    let text = |fmt: &str| {
        let out = run(
            sbomkit()
                .arg("diff")
                .arg(&old)
                .arg(&new)
                .args(["--output", fmt]),
            0,
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = text("table");
    let md = text("markdown");
    assert!(table.contains("ECOSYSTEM  PACKAGE"), "{table}");
    assert!(
        md.contains("| ECOSYSTEM | PACKAGE | CHANGE | OLD | NEW | LAYER |"),
        "{md}"
    );
    for row in [
        "libudev1",
        "downgraded",
        "252.39-1~deb12u2",
        "252.38-1~deb12u1",
    ] {
        assert!(table.contains(row) && md.contains(row), "{row}");
    }
    let summary = "2 added, 1 removed, 1 upgraded, 1 downgraded, 0 changed, 0 ambiguous";
    assert!(table.contains(summary) && md.contains(summary), "{table}");
    // Deterministic: the same bytes twice.
    assert_eq!(table, text("table"));
}

#[test]
fn what_is_neither_an_sbom_nor_a_source_is_refused_by_name() {
    let t = tempdir();
    let d = t.path();
    let image = fixture("diff/minbase.tar.gz");
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "index.json",
            br#"{"schemaVersion": 2, "manifests": []}"#,
            "not an SBOM",
        ),
        (
            "cut.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "compo"#,
            "not JSON",
        ),
        (
            "dup.json",
            br#"{"spdxVersion": "SPDX-2.3", "spdxVersion": "SPDX-2.3"}"#,
            "not JSON",
        ),
        (
            "cdx13.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.3"}"#,
            "1.4 to 1.7",
        ),
        (
            "noise.bin",
            b"\x00\x01garbage that is no image\n",
            "noise.bin",
        ),
    ];
    for (name, bytes, says) in cases {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        for args in [[&p, &image], [&image, &p]] {
            let out = sbomkit().arg("diff").args(args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name}: {err}");
            assert!(err.contains(name) && err.contains(says), "{name}: {err}");
            assert!(out.stdout.is_empty(), "{name}: nothing printed on failure");
        }
    }
    let missing = sbomkit()
        .arg("diff")
        .arg(d.join("nowhere.json"))
        .arg(&image)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nowhere.json"));
    let usage = sbomkit()
        .arg("diff")
        .arg(&image)
        .arg(&image)
        .args(["--fail-on", "bigger"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("unknown rule `bigger`"));
}

#[test]
fn the_schema_and_the_documentation_list_the_same_fields() {
    let schema = schema::load_json("sbomkit/diff-v1.schema.json");
    let in_schema = schema::property_paths(&schema);
    let (documented, _) = documented_fields();
    assert_eq!(in_schema, documented);
}

/// The README shows the table of the built images as it is today.
#[test]
fn the_readme_shows_todays_table() {
    let out = run(
        sbomkit().current_dir(support::root()).args([
            "diff",
            "testdata/diff/minbase.tar.gz",
            "testdata/diff/updated.tar.gz",
        ]),
        0,
    );
    let shown = format!(
        "$ sbomkit diff testdata/diff/minbase.tar.gz testdata/diff/updated.tar.gz\n{}```",
        String::from_utf8(out.stdout).unwrap()
    );
    let readme = std::fs::read_to_string(support::root().join("README.md")).unwrap();
    assert!(readme.contains(&shown), "README.md lacks:\n{shown}");
}
