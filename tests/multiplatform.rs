//! Multi-platform images on the real two-platform layout of `testdata/multiarch/debian-libs`
//! (Debian 12's zlib1g and libbz2-1.0, amd64 and arm64): `--platform all` and lists, the index
//! document in every format, the host's platform by default, and hostile indexes.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::support::{root, run, sbomkit, schema, tempdir};

const INDEX_DIGEST: &str =
    "sha256:d0e7c2badbed0fb3b3f49c080dd587b5fe6c541ce50c4518a4e722d7b89f1b60";
const AMD64_MANIFEST: &str =
    "sha256:217cf1869aea58e78c42fed41fe7ac3b56414905af0cc230d49a8f1e2c720f90";
const ARM64_MANIFEST: &str =
    "sha256:3637b8dd035108898ed05d522b07a2f4dbd4475d5389314b659d25595d1eabb8";

fn layout() -> PathBuf {
    root().join("testdata/multiarch/debian-libs")
}

fn json_of(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Every file of a folder, by name.
fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn purls(doc: &Value) -> Vec<String> {
    let mut p: Vec<String> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["referenceType"] == "purl")
        .map(|r| r["referenceLocator"].as_str().unwrap().to_string())
        .filter(|p| p.starts_with("pkg:deb/"))
        .collect();
    p.sort();
    p
}

#[test]
fn all_platforms_in_one_run_each_as_it_alone_gives_with_an_index_document() {
    let t = tempdir();
    let d = t.path();
    let source = layout().display().to_string();
    let o = |f: &str, name: &str| format!("{f}={}/{name}", d.display());
    let out = run(
        sbomkit().args([
            "generate",
            &source,
            "--platform",
            "all",
            "-o",
            &o("spdx-json", "s-{platform}.json"),
            "-o",
            &o("cyclonedx-json", "c-{platform}.json"),
            "-o",
            &o("cyclonedx-json@1.5", "c15-{platform}.json"),
            "-o",
            &o("spdx3-json", "t-{platform}.json"),
            "-o",
            &o("table", "{platform}.txt"),
        ]),
        0,
    );
    assert!(out.stderr.contains("2 platforms; wrote"), "{}", out.stderr);
    let mut want = Vec::new();
    for p in ["c", "c15", "s", "t"] {
        for l in ["index", "linux-amd64", "linux-arm64-v8"] {
            want.push(format!("{p}-{l}.json"));
        }
    }
    want.extend(["index.txt", "linux-amd64.txt", "linux-arm64-v8.txt"].map(String::from));
    want.sort();
    assert_eq!(names(d), want);

    // Each platform's documents are byte for byte what --platform alone writes.
    for (platform, label) in [
        ("linux/amd64", "linux-amd64"),
        ("linux/arm64", "linux-arm64-v8"),
    ] {
        let alone = d.join("alone");
        fs::create_dir(&alone).unwrap();
        let a = |f: &str, n: &str| format!("{f}={}/{n}", alone.display());
        run(
            sbomkit().args([
                "generate",
                "-q",
                &source,
                "--platform",
                platform,
                "-o",
                &a("spdx-json", "s.json"),
                "-o",
                &a("cyclonedx-json", "c.json"),
                "-o",
                &a("spdx3-json", "t.json"),
            ]),
            0,
        );
        for p in ["s", "c", "t"] {
            assert_eq!(
                fs::read(alone.join(format!("{p}.json"))).unwrap(),
                fs::read(d.join(format!("{p}-{label}.json"))).unwrap(),
                "{p} {platform}"
            );
        }
        fs::remove_dir_all(&alone).unwrap();
    }

    // Each lists its own architecture's packages.
    for (label, arch) in [("linux-amd64", "amd64"), ("linux-arm64-v8", "arm64")] {
        let doc = json_of(&d.join(format!("s-{label}.json")));
        schema::assert_valid_spdx(&doc);
        assert_eq!(
            purls(&doc),
            vec![
                format!("pkg:deb/debian/libbz2-1.0@1.0.8-5%2Bb1?arch={arch}&distro=debian-12&upstream=bzip2%401.0.8-5"),
                format!("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch={arch}&distro=debian-12&upstream=zlib"),
            ]
        );
        schema::assert_valid_cyclonedx(&json_of(&d.join(format!("c-{label}.json"))));
        schema::assert_valid_cyclonedx(&json_of(&d.join(format!("c15-{label}.json"))));
        schema::assert_valid_spdx3(&json_of(&d.join(format!("t-{label}.json"))));
    }

    // SPDX 2.3: the index package, a SHA-1 per platform document, a relationship to each image.
    let spdx = json_of(&d.join("s-index.json"));
    schema::assert_valid_spdx(&spdx);
    let index_pkg = &spdx["packages"][0];
    assert_eq!(index_pkg["name"], "example.org/debian-libs:12");
    assert_eq!(
        index_pkg["checksums"][0]["checksumValue"],
        INDEX_DIGEST.strip_prefix("sha256:").unwrap()
    );
    assert!(index_pkg["comment"]
        .as_str()
        .unwrap()
        .starts_with("mediaType=application/vnd.oci.image.index.v1+json\n"));
    let refs = spdx["externalDocumentRefs"].as_array().unwrap();
    assert_eq!(refs.len(), 2);
    for (r, (label, platform)) in refs.iter().zip([
        ("linux-amd64", "linux/amd64"),
        ("linux-arm64-v8", "linux/arm64/v8"),
    ]) {
        let bytes = fs::read(d.join(format!("s-{label}.json"))).unwrap();
        let platform_doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(r["spdxDocument"], platform_doc["documentNamespace"]);
        assert_eq!(r["checksum"]["algorithm"], "SHA1");
        assert_eq!(
            r["checksum"]["checksumValue"],
            hex::encode(Sha1::digest(&bytes))
        );
        let id = r["externalDocumentId"].as_str().unwrap();
        let root_id = platform_doc["documentDescribes"]
            .get(0)
            .or_else(|| {
                platform_doc["relationships"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["relationshipType"] == "DESCRIBES")
                    .map(|r| &r["relatedSpdxElement"])
            })
            .and_then(Value::as_str)
            .unwrap();
        assert!(spdx["relationships"].as_array().unwrap().contains(&json!({
            "spdxElementId": "SPDXRef-DocumentRoot-Index",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": format!("{id}:{root_id}"),
            "comment": format!("the {platform} image"),
        })));
    }

    // CycloneDX: a `bom` reference per platform with the SHA-256 of its document and its serial.
    for (name, version) in [("c-index.json", "1.7"), ("c15-index.json", "1.5")] {
        let cdx = json_of(&d.join(name));
        schema::assert_valid_cyclonedx(&cdx);
        assert_eq!(cdx["specVersion"], version);
        let comp = &cdx["metadata"]["component"];
        assert_eq!(
            comp["hashes"][0]["content"],
            INDEX_DIGEST.strip_prefix("sha256:").unwrap()
        );
        let prefix = name.trim_end_matches("index.json");
        let images = cdx["components"].as_array().unwrap();
        assert_eq!(images.len(), 2);
        for (c, (label, manifest)) in images.iter().zip([
            ("linux-amd64", AMD64_MANIFEST),
            ("linux-arm64-v8", ARM64_MANIFEST),
        ]) {
            let bytes = fs::read(d.join(format!("{prefix}{label}.json"))).unwrap();
            let platform_doc: Value = serde_json::from_slice(&bytes).unwrap();
            let serial = platform_doc["serialNumber"].as_str().unwrap();
            let r = &c["externalReferences"][0];
            assert_eq!(r["type"], "bom");
            assert_eq!(
                r["url"],
                format!("urn:cdx:{}/1", serial.strip_prefix("urn:uuid:").unwrap())
            );
            assert_eq!(r["hashes"][0]["alg"], "SHA-256");
            assert_eq!(
                r["hashes"][0]["content"],
                hex::encode(Sha256::digest(&bytes))
            );
            assert_eq!(c["version"], manifest);
        }
    }

    // SPDX 3.0.1: each platform document imported, verified by its SHA-256.
    let spdx3 = json_of(&d.join("t-index.json"));
    schema::assert_valid_spdx3(&spdx3);
    let graph = spdx3["@graph"].as_array().unwrap();
    let document = graph.iter().find(|n| n["type"] == "SpdxDocument").unwrap();
    let imports = document["import"].as_array().unwrap();
    assert_eq!(imports.len(), 2);
    for (i, label) in imports.iter().zip(["linux-amd64", "linux-arm64-v8"]) {
        let bytes = fs::read(d.join(format!("t-{label}.json"))).unwrap();
        assert_eq!(
            i["verifiedUsing"][0]["hashValue"],
            hex::encode(Sha256::digest(&bytes))
        );
    }

    // The table: one line per platform.
    let table = fs::read_to_string(d.join("index.txt")).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].contains(INDEX_DIGEST));
    assert!(lines[2].starts_with("linux/amd64 ") && lines[2].contains(AMD64_MANIFEST));
    assert!(lines[3].starts_with("linux/arm64/v8 ") && lines[3].contains(ARM64_MANIFEST));
}

/// `Tag: value` lines of a tag-value document with that tag.
fn tag_values<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(tag)?.strip_prefix(": "))
        .collect()
}

#[test]
fn the_index_document_in_tag_value_and_xml_references_those_documents() {
    let t = tempdir();
    let d = t.path();
    let o = |f: &str, name: &str| format!("{f}={}/{name}", d.display());
    run(
        sbomkit().args([
            "generate",
            "-q",
            &layout().display().to_string(),
            "--platform",
            "all",
            "-o",
            &o("spdx-tag-value", "s-{platform}.spdx"),
            "-o",
            &o("cyclonedx-xml", "c-{platform}.xml"),
            "-o",
            &o("cyclonedx-xml@1.5", "c15-{platform}.xml"),
        ]),
        0,
    );
    let mut want = Vec::new();
    for (p, ext) in [("c", "xml"), ("c15", "xml"), ("s", "spdx")] {
        for l in ["index", "linux-amd64", "linux-arm64-v8"] {
            want.push(format!("{p}-{l}.{ext}"));
        }
    }
    assert_eq!(names(d), want);

    // Tag-value: an ExternalDocumentRef per platform with the SHA-1 of its tag-value document, and
    // a CONTAINS from the index package to the image that document describes.
    let index = fs::read_to_string(d.join("s-index.spdx")).unwrap();
    assert_eq!(
        tag_values(&index, "PackageChecksum"),
        [format!(
            "SHA256: {}",
            INDEX_DIGEST.strip_prefix("sha256:").unwrap()
        )]
    );
    let refs = tag_values(&index, "ExternalDocumentRef");
    assert_eq!(refs.len(), 2, "{index}");
    for (i, (r, label)) in refs
        .iter()
        .zip(["linux-amd64", "linux-arm64-v8"])
        .enumerate()
    {
        let bytes = fs::read(d.join(format!("s-{label}.spdx"))).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let ns = tag_values(&text, "DocumentNamespace")[0];
        let id = format!("DocumentRef-{label}-{i}");
        assert_eq!(
            *r,
            format!("{id} {ns} SHA1: {}", hex::encode(Sha1::digest(&bytes)))
        );
        let root = tag_values(&text, "Relationship")
            .into_iter()
            .find_map(|r| r.strip_prefix("SPDXRef-DOCUMENT DESCRIBES "))
            .unwrap();
        assert!(
            tag_values(&index, "Relationship")
                .contains(&format!("SPDXRef-DocumentRoot-Index CONTAINS {id}:{root}").as_str()),
            "{index}"
        );
    }

    // XML: a `bom` reference per platform with the SHA-256 of its XML document and its serial.
    for (prefix, version) in [("c", "1.7"), ("c15", "1.5")] {
        let index = fs::read_to_string(d.join(format!("{prefix}-index.xml"))).unwrap();
        assert!(
            index.contains(&format!(
                "xmlns=\"http://cyclonedx.org/schema/bom/{version}\""
            )),
            "{index}"
        );
        assert!(index.contains(&format!(
            "<hash alg=\"SHA-256\">{}</hash>",
            INDEX_DIGEST.strip_prefix("sha256:").unwrap()
        )));
        for (label, manifest) in [
            ("linux-amd64", AMD64_MANIFEST),
            ("linux-arm64-v8", ARM64_MANIFEST),
        ] {
            let bytes = fs::read(d.join(format!("{prefix}-{label}.xml"))).unwrap();
            let text = String::from_utf8(bytes.clone()).unwrap();
            let serial = text
                .split("serialNumber=\"urn:uuid:")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap();
            let reference = format!(
                "<reference type=\"bom\">\n          <url>urn:cdx:{serial}/1</url>\n          \
                 <comment>the SBOM of the {} image</comment>\n          <hashes>\n            \
                 <hash alg=\"SHA-256\">{}</hash>",
                label.replacen('-', "/", 2),
                hex::encode(Sha256::digest(&bytes))
            );
            assert!(index.contains(&reference), "{reference}\nnot in\n{index}");
            assert!(index.contains(&format!("<version>{manifest}</version>")));
        }
    }
}

#[test]
fn an_oci_archive_of_the_layout_gives_the_same_documents() {
    let t = tempdir();
    let archive = t.path().join("debian-libs.tar");
    let status = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&archive)
        .arg("-C")
        .arg(layout())
        .args(["oci-layout", "index.json", "blobs"])
        .status()
        .unwrap();
    assert!(status.success());
    for (source, dir) in [
        (layout().display().to_string(), "dir"),
        (format!("oci-archive:{}", archive.display()), "tar"),
    ] {
        let out = t.path().join(dir);
        fs::create_dir(&out).unwrap();
        run(
            sbomkit().args([
                "generate",
                "-q",
                &source,
                "--platform",
                "all",
                "-o",
                &format!("cyclonedx-json={}/{{platform}}.json", out.display()),
            ]),
            0,
        );
    }
    for n in ["index.json", "linux-amd64.json", "linux-arm64-v8.json"] {
        assert_eq!(
            fs::read(t.path().join("dir").join(n)).unwrap(),
            fs::read(t.path().join("tar").join(n)).unwrap(),
            "{n}"
        );
    }
}

#[test]
fn platform_lists_and_the_oci_matching_rules() {
    let t = tempdir();
    let source = layout().display().to_string();
    // `linux/arm64` is `linux/arm64/v8`; a platform named twice is described once.
    let out = t.path().join("list");
    fs::create_dir(&out).unwrap();
    run(
        sbomkit().args([
            "generate",
            "-q",
            &source,
            "--platform",
            "linux/arm64,linux/arm64/v8",
            "-o",
            &format!("spdx-json={}/{{platform}}.json", out.display()),
        ]),
        0,
    );
    assert_eq!(names(&out), ["index.json", "linux-arm64-v8.json"]);
    let index = json_of(&out.join("index.json"));
    assert_eq!(index["externalDocumentRefs"].as_array().unwrap().len(), 1);
    // Another variant is another platform.
    let e = run(
        sbomkit().args([
            "generate",
            &source,
            "--platform",
            "linux/arm64/v7",
            "-o",
            "table",
        ]),
        1,
    );
    assert!(
        e.stderr.contains(
            "no manifest for platform `linux/arm64/v7`; available: linux/amd64, linux/arm64/v8"
        ),
        "{}",
        e.stderr
    );
    // Several platforms with one output that has no {platform}: refused before the scan.
    let e = run(
        sbomkit().args([
            "generate",
            &source,
            "--platform",
            "linux/amd64,linux/arm64",
            "-o",
            &format!("spdx-json={}/one.json", t.path().display()),
        ]),
        2,
    );
    assert!(e.stderr.contains("{platform}"), "{}", e.stderr);
    assert!(!t.path().join("one.json").exists());
}

#[test]
fn without_platform_the_host_platform_is_described_and_said() {
    let host = sbomkit::source::image::host_platform();
    let source = layout().display().to_string();
    let out = sbomkit()
        .args(["generate", &source, "-o", "spdx-json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match host.architecture.as_str() {
        "amd64" | "arm64" => {
            assert!(out.status.success(), "{stderr}");
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            schema::assert_valid_spdx(&doc);
            assert!(purls(&doc)[0].contains(&format!("arch={}", host.architecture)));
            let other = if host.architecture == "amd64" {
                "linux/arm64/v8"
            } else {
                "linux/amd64"
            };
            assert!(
                stderr.contains(&format!("described platform {host}"))
                    && stderr.contains(&format!("the index also has {other}")),
                "{stderr}"
            );
        }
        _ => {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(stderr.contains("linux/amd64, linux/arm64/v8"), "{stderr}");
        }
    }
}

/// A copy of the fixture layout whose index.json names `index` (written as a blob) instead.
fn with_index(dir: &Path, index: &Value) -> PathBuf {
    let copy = dir.join("layout");
    fs::create_dir_all(copy.join("blobs/sha256")).unwrap();
    for e in fs::read_dir(layout().join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), copy.join("blobs/sha256").join(e.file_name())).unwrap();
    }
    fs::copy(layout().join("oci-layout"), copy.join("oci-layout")).unwrap();
    let bytes = serde_json::to_vec(index).unwrap();
    let hex = hex::encode(Sha256::digest(&bytes));
    fs::write(copy.join("blobs/sha256").join(&hex), &bytes).unwrap();
    let top = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": format!("sha256:{hex}"),
        "size": bytes.len(),
        "annotations": {"org.opencontainers.image.ref.name": "example.org/hostile:1"},
    }]});
    fs::write(copy.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    copy
}

/// The fixture's index blob.
fn fixture_index() -> Value {
    json_of(
        &layout()
            .join("blobs/sha256")
            .join(INDEX_DIGEST.strip_prefix("sha256:").unwrap()),
    )
}

/// Runs `generate --platform all` into an empty folder, expecting exit 1; returns stderr.
fn all_fails(source: &Path, out: &Path, extra: &[&str]) -> String {
    fs::create_dir_all(out).unwrap();
    let e = run(
        sbomkit()
            .args([
                "generate",
                &source.display().to_string(),
                "--platform",
                "all",
            ])
            .args([
                "-o",
                &format!("spdx-json={}/{{platform}}.json", out.display()),
            ])
            .args(extra),
        1,
    );
    assert!(names(out).is_empty(), "{:?}", names(out));
    assert_eq!(e.stderr.lines().count(), 1, "{}", e.stderr);
    e.stderr
}

#[test]
fn an_index_listing_one_platform_twice_is_refused_naming_both() {
    let t = tempdir();
    let mut index = fixture_index();
    let amd = index["manifests"][0].clone();
    index["manifests"][1] = amd.clone();
    let copy = with_index(t.path(), &index);
    let e = all_fails(&copy, &t.path().join("out"), &[]);
    assert!(
        e.contains(&copy.display().to_string())
            && e.contains("lists platform linux/amd64 twice")
            && e.contains(AMD64_MANIFEST),
        "{e}"
    );
    // One platform asked for by name is ambiguous too.
    let e = run(
        sbomkit().args([
            "generate",
            &copy.display().to_string(),
            "--platform",
            "linux/amd64",
        ]),
        1,
    );
    assert!(e.stderr.contains("several platforms"), "{}", e.stderr);
}

#[test]
fn a_missing_platform_manifest_fails_only_the_runs_that_need_it() {
    let t = tempdir();
    let copy = with_index(t.path(), &fixture_index());
    fs::remove_file(
        copy.join("blobs/sha256")
            .join(ARM64_MANIFEST.strip_prefix("sha256:").unwrap()),
    )
    .unwrap();
    let e = all_fails(&copy, &t.path().join("out"), &[]);
    assert!(
        e.contains("the linux/arm64/v8 image of the index") && e.contains(ARM64_MANIFEST),
        "{e}"
    );
    // The platform that is there is still described.
    let doc = crate::support::generate(
        &copy.display().to_string(),
        &["--platform", "linux/amd64", "-o", "spdx-json"],
    );
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    schema::assert_valid_spdx(&doc);
    assert!(purls(&doc)[0].contains("arch=amd64"));
}

#[test]
fn nested_indexes_are_one_index_of_their_images() {
    let t = tempdir();
    let inner = fixture_index();
    let inner_bytes = serde_json::to_vec(&inner).unwrap();
    let inner_hex = hex::encode(Sha256::digest(&inner_bytes));
    let outer = json!({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": format!("sha256:{inner_hex}"),
        "size": inner_bytes.len(),
    }]});
    let copy = with_index(t.path(), &outer);
    fs::write(copy.join("blobs/sha256").join(&inner_hex), &inner_bytes).unwrap();
    let out = t.path().join("out");
    fs::create_dir(&out).unwrap();
    run(
        sbomkit().args([
            "generate",
            "-q",
            &copy.display().to_string(),
            "--platform",
            "all",
            "-o",
            &format!("cyclonedx-json={}/{{platform}}.json", out.display()),
        ]),
        0,
    );
    assert_eq!(
        names(&out),
        ["index.json", "linux-amd64.json", "linux-arm64-v8.json"]
    );
    let index = json_of(&out.join("index.json"));
    schema::assert_valid_cyclonedx(&index);
    assert_eq!(
        index["metadata"]["component"]["name"],
        "example.org/hostile:1"
    );
    assert_eq!(index["components"].as_array().unwrap().len(), 2);
}

#[test]
fn an_index_over_the_json_limit_is_refused_naming_the_flag() {
    let t = tempdir();
    let mut index = fixture_index();
    index["annotations"]["padding"] = json!("x".repeat(4096));
    let copy = with_index(t.path(), &index);
    let e = all_fails(&copy, &t.path().join("out"), &["--max-json-size", "2048"]);
    assert!(
        e.contains(&copy.display().to_string()) && e.contains("--max-json-size"),
        "{e}"
    );
}

/// The in-toto statement of a DSSE envelope file.
fn statement_of(path: &Path) -> Value {
    use base64::Engine;
    let envelope = json_of(path);
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

fn subject_digests(statement: &Value) -> Vec<String> {
    statement["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("sha256:{}", s["digest"]["sha256"].as_str().unwrap()))
        .collect()
}

#[test]
fn attest_all_signs_each_platform_about_its_manifest_and_the_index_about_the_index() {
    let t = tempdir();
    let d = t.path();
    let source = layout().display().to_string();
    let signer = || {
        let mut c = sbomkit();
        c.current_dir(d).env("SBOMKIT_PASSWORD", "pw");
        c
    };
    run(signer().args(["keygen", "--prefix", "k"]), 0);
    // Several platforms and one file: refused before the scan.
    let e = run(
        signer().args([
            "attest",
            &source,
            "--platform",
            "all",
            "--key",
            "k.key",
            "--output-file",
            "a.json",
        ]),
        2,
    );
    assert!(e.stderr.contains("{platform}"), "{}", e.stderr);
    run(
        signer().args([
            "attest",
            "-q",
            &source,
            "--platform",
            "all",
            "--key",
            "k.key",
            "-o",
            "spdx-json",
            "--output-file",
            "att-{platform}.json",
        ]),
        0,
    );
    assert_eq!(
        names(d),
        [
            "att-index.json",
            "att-linux-amd64.json",
            "att-linux-arm64-v8.json",
            "k.key",
            "k.pub"
        ]
    );
    let amd = statement_of(&d.join("att-linux-amd64.json"));
    let arm = statement_of(&d.join("att-linux-arm64-v8.json"));
    let index = statement_of(&d.join("att-index.json"));
    assert_eq!(subject_digests(&amd)[0], AMD64_MANIFEST);
    assert_eq!(subject_digests(&arm)[0], ARM64_MANIFEST);
    assert_eq!(subject_digests(&index), [INDEX_DIGEST]);
    assert_eq!(index["subject"][0]["name"], "example.org/debian-libs");
    // The index's predicate is the index document.
    let doc = &index["predicate"];
    schema::assert_valid_spdx(doc);
    assert_eq!(doc["externalDocumentRefs"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["externalDocumentRefs"][1]["spdxDocument"],
        arm["predicate"]["documentNamespace"]
    );
    for s in [&amd, &arm] {
        schema::assert_valid_spdx(&s["predicate"]);
    }

    // verify --platform checks the attestation is about that platform's manifest, and says so.
    let verify = |att: &str, platform: &str, code: i32| {
        let out = run(
            sbomkit().current_dir(d).args([
                "verify",
                att,
                "--key",
                "k.pub",
                "--image",
                &source,
                "--platform",
                platform,
            ]),
            code,
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let report = verify("att-linux-arm64-v8.json", "linux/arm64", 0);
    assert!(
        report.contains(&format!("identity of {source} (its linux/arm64/v8 image)"))
            && report.contains(ARM64_MANIFEST),
        "{report}"
    );
    let report = verify("att-linux-amd64.json", "linux/arm64", 11);
    assert!(
        report.contains("the attestation is about another artifact")
            && report.contains(AMD64_MANIFEST),
        "{report}"
    );

    // --platform index checks the index attestation against the index digest, and says so.
    let report = verify("att-index.json", "index", 0);
    assert!(
        report.contains(&format!("identity of {source} (its index)"))
            && report.contains(&format!("{INDEX_DIGEST} (index digest)")),
        "{report}"
    );
    // A platform's attestation is not about the index, nor the index's about a platform.
    let report = verify("att-linux-amd64.json", "index", 11);
    assert!(report.contains("about another artifact"), "{report}");
    let report = verify("att-index.json", "linux/amd64", 11);
    assert!(
        report.contains("about another artifact") && report.contains(INDEX_DIGEST),
        "{report}"
    );
}

#[test]
fn an_index_attestation_checked_against_another_index_is_refused() {
    let t = tempdir();
    let d = t.path();
    let source = layout().display().to_string();
    let signer = || {
        let mut c = sbomkit();
        c.current_dir(d).env("SBOMKIT_PASSWORD", "pw");
        c
    };
    run(signer().args(["keygen", "--prefix", "k"]), 0);
    run(
        signer().args([
            "attest",
            "-q",
            &source,
            "--platform",
            "all",
            "--key",
            "k.key",
            "--output-file",
            "att-{platform}.json",
        ]),
        0,
    );
    let verify = |image: &Path, code: i32| {
        run(
            sbomkit().current_dir(d).args([
                "verify",
                "att-index.json",
                "--key",
                "k.pub",
                "--image",
                &image.display().to_string(),
                "--platform",
                "index",
            ]),
            code,
        )
    };
    // The same platforms under another index (one more annotation): another digest.
    let mut index = fixture_index();
    index["annotations"]["org.example.rebuilt"] = json!("yes");
    let other = with_index(&d.join("other"), &index);
    let other_digest = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(serde_json::to_vec(&index).unwrap()))
    );
    let out = verify(&other, 11);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("the attestation is about another artifact")
            && report.contains(INDEX_DIGEST)
            && report.contains(&other_digest),
        "{report}"
    );
    // The fixture itself still verifies: the refusal is the digest's.
    verify(&layout(), 0);

    // One image is no index: said, naming the source.
    let one = d.join("one");
    fs::create_dir_all(one.join("blobs")).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(layout().join("blobs/sha256"))
        .arg(one.join("blobs"))
        .status()
        .unwrap();
    assert!(status.success());
    fs::copy(layout().join("oci-layout"), one.join("oci-layout")).unwrap();
    let top = json!({"schemaVersion": 2, "manifests": [fixture_index()["manifests"][0].clone()]});
    fs::write(one.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let out = verify(&one, 1);
    assert!(
        out.stderr.contains(&one.display().to_string())
            && out.stderr.contains("one image, not an image index"),
        "{}",
        out.stderr
    );
    // generate and attest do not take it: it names no platform to describe.
    let out = run(
        sbomkit().args(["generate", &source, "--platform", "index"]),
        1,
    );
    assert!(
        out.stderr.contains("only `verify` takes it"),
        "{}",
        out.stderr
    );
}
