//! End-to-end: the `sbomkit` binary on real inputs, as a user runs it.

use crate::support::image;
use crate::support::schema;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{clean_env, generate, run, sbomkit, tempdir};

const ALPINE: &str = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";

fn read_json(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `P:`/`V:`/`A:` records of the APK database inside the alpine image, read here independently of
/// sbomkit: gunzip, walk the outer tar, then the layer tar.
fn alpine_db_packages() -> BTreeSet<(String, String, String)> {
    let gz = flate2::read::GzDecoder::new(fs::File::open(ALPINE).unwrap());
    let mut outer = tar::Archive::new(gz);
    for entry in outer.entries().unwrap() {
        let entry = entry.unwrap();
        if !entry.path().unwrap().ends_with("layer.tar") {
            continue;
        }
        let mut layer = tar::Archive::new(entry);
        for e in layer.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path().unwrap() == Path::new("lib/apk/db/installed") {
                let mut text = String::new();
                e.read_to_string(&mut text).unwrap();
                let mut out = BTreeSet::new();
                for stanza in text.split("\n\n") {
                    let field = |k: &str| {
                        stanza
                            .lines()
                            .find_map(|l| l.strip_prefix(k))
                            .map(str::to_string)
                    };
                    if let (Some(p), Some(v), Some(a)) = (field("P:"), field("V:"), field("A:")) {
                        out.insert((p, v, a));
                    }
                }
                return out;
            }
        }
    }
    panic!("no APK database in {ALPINE}");
}

fn purl_of(pkg: &Value) -> Option<String> {
    pkg["externalRefs"].as_array()?.iter().find_map(|r| {
        (r["referenceType"] == "purl").then(|| r["referenceLocator"].as_str().unwrap().to_string())
    })
}

#[test]
fn alpine_image_lists_exactly_the_packages_of_its_database() {
    let dir = tempdir();
    let spdx = dir.path().join("a.spdx.json");
    let cdx = dir.path().join("a.cdx.json");
    sbomkit()
        .args(["generate", "-q", ALPINE])
        .arg("-o")
        .arg(format!("spdx-json={}", spdx.display()))
        .arg("-o")
        .arg(format!("cyclonedx-json={}", cdx.display()))
        .assert()
        .success();
    let expected = alpine_db_packages();
    assert_eq!(expected.len(), 14);

    let doc = read_json(&spdx);
    schema::assert_valid_spdx(&doc);
    let mut found = BTreeSet::new();
    for p in doc["packages"].as_array().unwrap() {
        if let Some(purl) = purl_of(p).filter(|u| u.starts_with("pkg:apk/")) {
            assert!(purl.starts_with("pkg:apk/alpine/"), "{purl}");
            assert!(purl.contains("distro=alpine-3.10.4"), "{purl}");
            let arch = purl
                .split("arch=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap();
            found.insert((
                p["name"].as_str().unwrap().to_string(),
                p["versionInfo"].as_str().unwrap().to_string(),
                arch.to_string(),
            ));
        }
    }
    assert_eq!(found, expected);

    let bom = read_json(&cdx);
    schema::assert_valid_cyclonedx(&bom);
    assert_eq!(bom["specVersion"], "1.7", "the default version");
    assert_eq!(bom["metadata"]["component"]["type"], "container");
    let libs: BTreeSet<(String, String)> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected_nv: BTreeSet<(String, String)> = expected
        .iter()
        .map(|(p, v, _)| (p.clone(), v.clone()))
        .collect();
    assert_eq!(libs, expected_nv);
    assert!(bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "operating-system" && c["name"] == "alpine"));
}

#[test]
fn output_is_byte_identical_across_runs_and_follows_source_date_epoch() {
    let spdx = |epoch: Option<&str>| {
        let mut cmd = sbomkit();
        if let Some(e) = epoch {
            cmd.env("SOURCE_DATE_EPOCH", e);
        }
        run(cmd.args(["generate", "-q", ALPINE, "-o", "spdx-json"]), 0).stdout
    };
    let a = spdx(None);
    assert_eq!(a, spdx(None));
    let doc: Value = serde_json::from_slice(&a).unwrap();
    // Without SOURCE_DATE_EPOCH the time is the image config's `created`.
    let created = doc["creationInfo"]["created"].as_str().unwrap();
    assert!(created.starts_with("2020-01-23"), "{created}");

    let c = spdx(Some("1700000000"));
    let doc: Value = serde_json::from_slice(&c).unwrap();
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");

    let cdx = || generate(ALPINE, &["-o", "cyclonedx-json"]);
    assert_eq!(cdx(), cdx());
}

/// SPDX 3.0.1 of a real image says what SPDX 2.3 says: the same packages with the same purls, the
/// same files with `--files`, the same time; and it is byte-identical across runs.
#[test]
fn spdx3_json_describes_the_image_as_spdx_2_3_does() {
    let dir = tempdir();
    let (s2, s3) = (
        dir.path().join("a.spdx.json"),
        dir.path().join("a.spdx3.json"),
    );
    let mut cmd = sbomkit();
    cmd.env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["generate", "-q", ALPINE, "--files", "-o"])
        .arg(format!("spdx-json={}", s2.display()))
        .arg("-o")
        .arg(format!("spdx3-json@3.0.1={}", s3.display()));
    run(&mut cmd, 0);
    let (v2, v3) = (read_json(&s2), read_json(&s3));
    schema::assert_valid_spdx3(&v3);
    let graph = v3["@graph"].as_array().unwrap();
    let of = |class: &'static str| graph.iter().filter(move |n| n["type"] == class);
    let info = of("CreationInfo").next().unwrap();
    assert_eq!(info["created"], "2023-11-14T22:13:20Z");
    assert_eq!(info["created"], v2["creationInfo"]["created"]);

    let packages2: BTreeSet<(String, String, Option<String>)> = v2["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["versionInfo"].as_str().unwrap_or_default().to_string(),
                purl_of(p),
            )
        })
        .collect();
    let packages3: BTreeSet<(String, String, Option<String>)> = of("software_Package")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["software_packageVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                p["software_packageUrl"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(packages3.len(), 16);
    assert_eq!(packages3, packages2);
    let files2: BTreeSet<String> = v2["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["fileName"]
                .as_str()
                .unwrap()
                .trim_start_matches('.')
                .to_string()
        })
        .collect();
    let files3: BTreeSet<String> = of("software_File")
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert!(files3.contains("/bin/busybox"), "{files3:?}");
    assert_eq!(files3, files2);
    // With `--files` a package's files are all listed.
    assert!(of("Relationship")
        .filter(|r| r["spdxId"].as_str().unwrap().ends_with("-contains-files"))
        .all(|r| r["completeness"] == "complete"));

    let again = generate(ALPINE, &["-o", "spdx3-json"]);
    assert_eq!(again, generate(ALPINE, &["-o", "spdx3-json"]));
}

#[test]
fn table_names_every_package() {
    let text = String::from_utf8(generate(ALPINE, &["-o", "table"])).unwrap();
    for (name, version, _) in alpine_db_packages() {
        assert!(
            text.lines().any(|l| l
                .split_whitespace()
                .take(2)
                .eq([name.as_str(), version.as_str()])),
            "{name} {version} missing from:\n{text}"
        );
    }
}

#[test]
fn verbose_says_what_each_cataloger_found() {
    sbomkit()
        .args(["generate", "-v", ALPINE, "-o", "table"])
        .assert()
        .success()
        .stderr(predicates::str::contains("apk-db: 14 packages"));
}

#[test]
fn only_one_output_may_go_to_stdout() {
    sbomkit()
        .args(["generate", ALPINE, "-o", "spdx-json", "-o", "table"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("only one output"));
}

#[test]
fn bad_input_names_the_file_and_leaves_no_output() {
    let dir = tempdir();
    // A truncated copy of the real image.
    let bytes = fs::read(ALPINE).unwrap();
    let broken = dir.path().join("broken.tar.gz");
    fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let out: PathBuf = dir.path().join("out.spdx.json");
    sbomkit()
        .args(["generate", "-q"])
        .arg(format!("docker-archive:{}", broken.display()))
        .arg("-o")
        .arg(format!("spdx-json={}", out.display()))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("broken.tar.gz"));
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("broken.tar.gz")]);
}

#[test]
fn missing_input_is_an_error_naming_it() {
    sbomkit()
        .args(["generate", "-q", "no/such/image.tar"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no/such/image.tar"));
}

#[test]
fn bare_databases_are_recognised_by_content() {
    let out = generate(
        "testdata/fixtures/apk/installed/wolfi-base.installed",
        &["-o", "cyclonedx-json"],
    );
    let bom: Value = serde_json::from_slice(&out).unwrap();
    schema::assert_valid_cyclonedx(&bom);
    let apks: Vec<&Value> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:apk/wolfi/"))
        })
        .collect();
    assert_eq!(apks.len(), 15);
    assert_eq!(bom["metadata"]["component"]["type"], "file");

    let out = generate(
        "file:testdata/fixtures/dpkg/ubuntu-18.04-full/var/lib/dpkg/status",
        &["-o", "spdx-json"],
    );
    let doc: Value = serde_json::from_slice(&out).unwrap();
    schema::assert_valid_spdx(&doc);
    let debs = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| purl_of(p).is_some_and(|u| u.starts_with("pkg:deb/ubuntu/")))
        .count();
    assert_eq!(debs, 90);
}

#[test]
fn rootfs_folder_with_files() {
    let dir = tempdir();
    let out = dir.path().join("libpam.spdx.json");
    sbomkit()
        .args([
            "generate",
            "-q",
            "--files",
            "dir:testdata/fixtures/dpkg/debian-libpam",
        ])
        .arg("-o")
        .arg(format!("spdx-json={}", out.display()))
        .assert()
        .success();
    let doc = read_json(&out);
    schema::assert_valid_spdx(&doc);
    let pam = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libpam-runtime")
        .expect("libpam-runtime catalogued");
    let purl = purl_of(pam).unwrap();
    assert!(purl.starts_with("pkg:deb/debian/libpam-runtime@"), "{purl}");
    assert_ne!(pam["licenseDeclared"], "NOASSERTION");
    assert_eq!(pam["licenseConcluded"], "NOASSERTION");
}

/// A three-layer Wolfi image written as an OCI layout: layer 0 installs 13 packages, layer 1 rewrites
/// the database adding two more, layer 2 removes busybox (database entry and, by whiteout, its
/// binary). Each package must name the layer that introduced it, not the last one that rewrote the
/// database.
#[test]
fn layers_are_attributed_to_the_layer_that_introduced_each_package() {
    use image::{BuiltLayer, Comp, Image, Item, OciLayout};

    let db = fs::read_to_string("testdata/fixtures/apk/installed/wolfi-base.installed").unwrap();
    let stanzas: Vec<&str> = db.split("\n\n").filter(|s| !s.trim().is_empty()).collect();
    assert_eq!(stanzas.len(), 15);
    let join = |v: Vec<&str>| -> &'static [u8] {
        Box::leak(
            format!("{}\n\n", v.join("\n\n"))
                .into_bytes()
                .into_boxed_slice(),
        )
    };
    let name_of = |s: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix("P:"))
            .unwrap()
            .to_string()
    };
    let first: Vec<&str> = stanzas[..13].to_vec();
    let without_busybox: Vec<&str> = stanzas
        .iter()
        .copied()
        .filter(|s| name_of(s) != "busybox")
        .collect();
    let os_release: &'static [u8] = Box::leak(
        fs::read("testdata/fixtures/os-release/wolfi.os-release")
            .unwrap()
            .into_boxed_slice(),
    );

    let l0 = BuiltLayer::new(
        &[
            Item::Dir("etc"),
            Item::File("etc/os-release", os_release),
            Item::Dir("lib"),
            Item::Dir("lib/apk"),
            Item::Dir("lib/apk/db"),
            Item::File("lib/apk/db/installed", join(first)),
            Item::Dir("bin"),
            Item::File("bin/busybox", b"\x7fELF not really"),
        ],
        Comp::Gzip,
    );
    let l1 = BuiltLayer::new(
        &[Item::File("lib/apk/db/installed", join(stanzas.clone()))],
        Comp::Zstd,
    );
    let l2 = BuiltLayer::new(
        &[
            Item::File("lib/apk/db/installed", join(without_busybox)),
            Item::Whiteout("bin/busybox"),
        ],
        Comp::None,
    );
    let diff_ids: Vec<String> = [&l0, &l1, &l2].iter().map(|l| l.diff_id()).collect();
    let mut layout = OciLayout::default();
    let img = Image::new(vec![l0, l1, l2]);
    let (desc, manifest) = layout.image(&img);
    layout.index.push(image::named(
        desc,
        "org.opencontainers.image.ref.name",
        "cgr.example/wolfi-base:latest",
    ));
    let dir = tempdir();
    let root = dir.path().join("layout");
    layout.files().write_dir(&root);

    let out = run(
        sbomkit()
            .args(["generate", "-q"])
            .arg(&root)
            .args(["-o", "cyclonedx-json"]),
        0,
    );
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    schema::assert_valid_cyclonedx(&bom);

    // The image is the root component, named by its manifest digest.
    let purl = bom["metadata"]["component"]["purl"].as_str().unwrap();
    assert!(
        purl.starts_with(&format!("pkg:oci/wolfi-base@{}?", image::digest(&manifest))),
        "{purl}"
    );

    let prop = |c: &Value, name: &str| -> Option<String> {
        c["properties"]
            .as_array()?
            .iter()
            .find_map(|p| (p["name"] == name).then(|| p["value"].as_str().unwrap().to_string()))
    };
    let mut layers = std::collections::BTreeMap::new();
    for c in bom["components"].as_array().unwrap() {
        if c["purl"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:apk/wolfi/"))
        {
            layers.insert(
                c["name"].as_str().unwrap().to_string(),
                prop(c, "sbomkit:layer"),
            );
        }
    }
    assert_eq!(layers.len(), 14, "{layers:?}");
    assert!(!layers.contains_key("busybox"));
    for (name, layer) in &layers {
        let expected = if name == "wolfi-keys" || name == "wolfi-base" {
            &diff_ids[1]
        } else {
            &diff_ids[0]
        };
        assert_eq!(layer.as_deref(), Some(expected.as_str()), "{name}");
    }

    // The same scan as SPDX, with files: the whited-out binary is gone.
    let spdx = run(
        sbomkit()
            .args(["generate", "-q", "--files"])
            .arg(format!("oci-dir:{}", root.display()))
            .args(["-o", "spdx-json"]),
        0,
    );
    let doc: Value = serde_json::from_slice(&spdx.stdout).unwrap();
    schema::assert_valid_spdx(&doc);
    let names: Vec<&str> = doc["files"]
        .as_array()
        .map(|f| f.iter().map(|f| f["fileName"].as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(
        !names.iter().any(|n| n.ends_with("bin/busybox")),
        "{names:?}"
    );
}

#[test]
fn version_alone_takes_the_short_path_and_says_what_clap_says() {
    let want = format!("sbomkit {}\n", env!("CARGO_PKG_VERSION"));
    for flag in ["--version", "-V"] {
        let out = sbomkit().arg(flag).assert().success().get_output().clone();
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{flag}");
    }
}

/// The binary run under `umask MASK`, with the arguments added after.
fn sbomkit_under_umask(mask: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("sh");
    clean_env(&mut cmd)
        .arg("-c")
        .arg(format!("umask {mask}; exec \"$0\" \"$@\""))
        .arg(assert_cmd::cargo::cargo_bin("sbomkit"));
    cmd
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

const SMALL_DB: &str = "testdata/fixtures/apk/installed/alpine-single.installed";

#[cfg(unix)]
#[test]
fn outputs_are_created_with_the_users_umask() {
    for (mask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let dir = tempdir();
        let spdx = dir.path().join("a.spdx.json");
        let table = dir.path().join("a.txt");
        sbomkit_under_umask(mask)
            .args(["generate", "-q", SMALL_DB, "-o"])
            .arg(format!("spdx-json={}", spdx.display()))
            .arg("-o")
            .arg(format!("table={}", table.display()))
            .assert()
            .success();
        for p in [&spdx, &table] {
            assert_eq!(mode_of(p), mode, "umask {mask}: {}", p.display());
        }
    }
}

#[cfg(unix)]
#[test]
fn a_private_key_stays_owner_only_under_a_permissive_umask() {
    let dir = tempdir();
    let prefix = dir.path().join("k");
    sbomkit_under_umask("022")
        .env("SBOMKIT_PASSWORD", "pw")
        .args(["keygen", "--algorithm", "ed25519", "--prefix"])
        .arg(&prefix)
        .assert()
        .success();
    assert_eq!(mode_of(&dir.path().join("k.key")), 0o600);
    assert_eq!(mode_of(&dir.path().join("k.pub")), 0o644);

    // An attestation is an output like any other.
    let out = dir.path().join("a.intoto.json");
    sbomkit_under_umask("022")
        .env("SBOMKIT_PASSWORD", "pw")
        .args(["attest", "-q", SMALL_DB, "--key"])
        .arg(dir.path().join("k.key"))
        .arg("--output-file")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(mode_of(&out), 0o644);
}

/// `generate -q ALPINE` with extra arguments, in `dir`; returns what it gave.
fn generate_in(dir: &Path, args: &[&str]) -> crate::support::Outcome {
    crate::support::outcome(
        crate::support::sbomkit_in(dir)
            .args(["generate", &root_path(ALPINE)])
            .args(args),
    )
}

fn root_path(rel: &str) -> String {
    crate::support::root().join(rel).display().to_string()
}

#[test]
fn output_errors_are_found_before_the_scan_and_name_the_output() {
    let dir = tempdir();
    let d = dir.path();
    // The source does not exist: an error about the output proves it was checked first.
    let out = run(
        sbomkit().args([
            "generate",
            "no-such-image.tar",
            "-o",
            "spdx-json=/nonexistent/sbom.json",
        ]),
        1,
    );
    assert!(
        out.stderr.contains(
            "/nonexistent/sbom.json: cannot write: the folder /nonexistent does not exist"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("no-such-image"), "{}", out.stderr);

    // A folder nothing can be created in (even as root): the error names the output, not the
    // temporary file beside it.
    let out = generate_in(d, &["-o", "spdx-json=/proc/sbomkit-out.json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: /proc/sbomkit-out.json: "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(".tmp"), "{}", out.stderr);

    // Two outputs to one file, spelled two ways: refused, nothing written.
    let out = generate_in(
        d,
        &["-o", "spdx-json=a.json", "-o", "cyclonedx-json=./a.json"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("two outputs go to one file"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_dir(d).unwrap().count(), 0);

    // An empty file name is a usage error, not stdout.
    let out = generate_in(d, &["-o", "spdx-json="]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("`-o spdx-json=` names no file"),
        "{}",
        out.stderr
    );
}

#[test]
fn format_names_mean_what_they_mean_in_syft() {
    let dir = tempdir();
    let d = dir.path();
    // `spdx` is tag-value and `cyclonedx` XML, as in Syft; the default CycloneDX version is 1.7.
    let out = generate_in(
        d,
        &[
            "-q",
            "-o",
            "spdx=s.spdx",
            "-o",
            "spdx-json=s.spdx.json",
            "-o",
            "cyclonedx=c.cdx17.xml",
            "-o",
            "cyclonedx-json=c.cdx17.json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tv = fs::read_to_string(d.join("s.spdx")).unwrap();
    assert!(tv.starts_with("SPDXVersion: SPDX-2.3\n"), "{tv}");
    let xml = fs::read_to_string(d.join("c.cdx17.xml")).unwrap();
    assert!(
        xml.contains("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.7\""),
        "{xml}"
    );
    let json = read_json(&d.join("c.cdx17.json"));
    assert_eq!(json["specVersion"], "1.7");
    schema::assert_valid_cyclonedx(&json);
    schema::assert_valid_spdx(&read_json(&d.join("s.spdx.json")));
    for f in ["s.spdx", "s.spdx.json", "c.cdx17.xml", "c.cdx17.json"] {
        schema::sample(&format!("cli-alpine-{f}"), &fs::read(d.join(f)).unwrap());
    }

    let out = generate_in(d, &["-o", "cyclonedx-json@1.4"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "`cyclonedx-json` is not written in version `1.4`; its versions: 1.5, 1.6, 1.7"
        ),
        "{}",
        out.stderr
    );
    let out = generate_in(d, &["-o", "spdx-tag-value@3.0"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("its versions: 2.3"), "{}", out.stderr);

    let out = generate_in(
        d,
        &[
            "-q",
            "-o",
            "cyclonedx-json@1.5=c15.json",
            "-o",
            "cyclonedx-json@1.6=c16.json",
            "-o",
            "cyclonedx-xml@1.6=c16.xml",
            "-o",
            "spdx-json@2.3=s.json",
            "-o",
            "spdx-tag-value@2.3=s.tv",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let c15 = read_json(&d.join("c15.json"));
    assert_eq!(c15["specVersion"], "1.5");
    schema::assert_valid_cyclonedx(&c15);
    let c16 = read_json(&d.join("c16.json"));
    assert_eq!(c16["specVersion"], "1.6");
    schema::assert_valid_cyclonedx(&c16);
    let x16 = fs::read_to_string(d.join("c16.xml")).unwrap();
    assert!(x16.contains("xmlns=\"http://cyclonedx.org/schema/bom/1.6\""));
    // The XML of a version carries the serial number of the JSON of that version.
    let serial = c16["serialNumber"].as_str().unwrap();
    assert!(
        x16.contains(&format!("serialNumber=\"{serial}\"")),
        "{serial}"
    );
    schema::sample("cli-alpine-c16.cdx16.xml", x16.as_bytes());
    schema::sample(
        "cli-alpine-c16.cdx16.json",
        &fs::read(d.join("c16.json")).unwrap(),
    );
    let s = read_json(&d.join("s.json"));
    assert_eq!(s["spdxVersion"], "SPDX-2.3");
    schema::assert_valid_spdx(&s);
    let tv = fs::read_to_string(d.join("s.tv")).unwrap();
    let ns = s["documentNamespace"].as_str().unwrap();
    assert!(tv.contains(&format!("\nDocumentNamespace: {ns}\n")), "{ns}");
}

#[test]
fn attest_takes_json_predicates_and_names_the_json_format_of_another() {
    for (word, instead) in [
        ("cyclonedx-xml@1.5", "cyclonedx-json@1.5"),
        ("cyclonedx", "cyclonedx-json"),
        ("spdx", "spdx-json"),
        ("spdx-tag-value=att.json", "spdx-json"),
    ] {
        let out = crate::support::outcome(sbomkit().args([
            "attest",
            ALPINE,
            "--key",
            "no-such.key",
            "-o",
            word,
        ]));
        assert_eq!(out.code, 2, "{word}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr
                .contains(&format!("is not JSON; use `{instead}`")),
            "{word}: {}",
            out.stderr
        );
    }
}

#[test]
fn scan_is_generate() {
    let generate = generate(ALPINE, &["-o", "cyclonedx-json"]);
    let scan = run(
        sbomkit().args(["scan", "-q", ALPINE, "-o", "cyclonedx-json"]),
        0,
    )
    .stdout;
    assert_eq!(scan, generate);
    schema::assert_valid_cyclonedx(&serde_json::from_slice(&scan).unwrap());
}

#[test]
fn writing_files_ends_with_one_summary_line_unless_quiet() {
    let dir = tempdir();
    let d = dir.path();
    let out = generate_in(d, &["-o", "spdx-json=a.json", "-o", "table=a.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    schema::assert_valid_spdx(&read_json(&d.join("a.json")));
    assert_eq!(
        out.stderr,
        "15 packages (14 apk, 1 os); wrote a.json, a.txt\n"
    );
    let out = generate_in(d, &["-q", "-o", "spdx-json=b.json"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stderr, "");
    // To stdout only: nothing to report.
    let out = generate_in(d, &["-o", "spdx-json"]);
    assert_eq!(out.stderr, "");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sbomkit"))
        .args(["generate", ALPINE, "-o", "spdx-json"])
        .env_remove("SOURCE_DATE_EPOCH")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the first byte: every write meets a closed pipe, as after `| head -1`.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    let dir = tempdir();
    let image = dir.path().join("big.tar");
    // 16 GiB of zeros to inflate: the scan is still running when the signal comes.
    crate::hostile::gzip_bomb_image(&image, 16);
    for signal in ["INT", "TERM"] {
        let out = dir.path().join(format!("out-{signal}"));
        fs::create_dir(&out).unwrap();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("sbomkit"));
        for var in crate::support::ENV_READ {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .args(["generate", "-q"])
            .arg(&image)
            .arg("-o")
            .arg(format!("spdx-json={}", out.join("a.json").display()))
            .arg("-o")
            .arg(format!("cyclonedx-json={}", out.join("b.json").display()))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while fs::read_dir(&out).unwrap().count() < 2 {
            assert!(
                child.try_wait().unwrap().is_none(),
                "ended before its outputs were open"
            );
            assert!(std::time::Instant::now() < deadline, "no temporary files");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "SIG{signal}");
        let left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
    }
}

/// Lines wrapped once, by clap: prose never broken where the next word would have fitted.
fn assert_wrapped_once(help: &str) {
    let lines: Vec<&str> = help.lines().collect();
    for pair in lines.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.is_empty() || b.is_empty() || a.starts_with(' ') || b.starts_with(' ') {
            continue;
        }
        let word = b.split(' ').next().unwrap();
        assert!(
            a.chars().count() + 1 + word.chars().count() > 100,
            "broken by hand:\n{a}\n{b}"
        );
    }
}

#[test]
fn help_text_is_wrapped_once() {
    for args in [
        &["--help"][..],
        &["generate", "--help"],
        &["attest", "--help"],
        &["verify", "--help"],
        &["verify-bundle", "--help"],
        &["keygen", "--help"],
    ] {
        let out = run(sbomkit().args(args), 0);
        let help = String::from_utf8(out.stdout).unwrap();
        assert_wrapped_once(&help);
        for line in help.lines() {
            assert!(line.chars().count() <= 100, "{args:?}: {line}");
        }
    }
    let top = String::from_utf8(run(sbomkit().arg("--help"), 0).stdout).unwrap();
    assert!(
        top.contains("its SCT does not verify, or it names another identity"),
        "{top}"
    );
    let gen = String::from_utf8(run(sbomkit().args(["generate", "--help"]), 0).stdout).unwrap();
    let words = gen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("else 1970-01-01, so the same input"),
        "{gen}"
    );
}

#[test]
fn registry_references_without_the_scheme_say_what_to_type() {
    for (source, reference) in [
        ("alpine:3.10", "alpine:3.10"),
        (
            "docker://docker.io/library/alpine:3.10",
            "docker.io/library/alpine:3.10",
        ),
    ] {
        let out = run(sbomkit().args(["generate", source]), 1);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr.contains(&format!(
                "no such file; to read the image from its registry, write registry:{reference}"
            )),
            "{}",
            out.stderr
        );
    }
}

/// A package database sbomkit does not read (pacman, Nix), in a root folder and in an image: a warning
/// (with and without `-v`), the CycloneDX subject's assembly marked `incomplete`, an SPDX
/// document comment naming it; valid documents. Without it the documents say nothing of the kind.
#[test]
fn an_unread_package_database_is_an_unknown_in_the_document() {
    let t = tempdir();
    let root = t.path().join("root");
    let desc = b"%NAME%\nbash\n\n%VERSION%\n5.2.026-2\n";
    crate::support::write(&root, "var/lib/pacman/local/bash-5.2.026-2/desc", desc);
    crate::support::write(
        &root,
        "etc/os-release",
        &fs::read("testdata/fixtures/os-release/debian-12.os-release").unwrap(),
    );
    let mut a = image::DockerArchive::default();
    a.add(
        &image::Image::new(vec![image::BuiltLayer::new(
            &[image::Item::RawFile(
                b"nix/var/nix/db/db.sqlite".to_vec(),
                b"SQLite format 3\0".to_vec(),
            )],
            image::Comp::Gzip,
        )]),
        &["nix:1"],
    );
    let archive = t.path().join("nix.tar");
    fs::write(&archive, a.files().to_tar()).unwrap();
    let cases = [
        (
            format!("dir:{}", root.display()),
            "/var/lib/pacman/local",
            "pacman package database",
        ),
        (
            archive.display().to_string(),
            "/nix/var/nix/db/db.sqlite",
            "Nix store database",
        ),
    ];
    for (source, at, what) in &cases {
        let warning = format!(
            "warning: {at}: {what}: not read by sbomkit: the packages it lists are \
             missing from this document"
        );
        for verbose in [&[][..], &["-v"][..]] {
            let cdx = t.path().join("out.cdx.json");
            let cdx15 = t.path().join("out.cdx15.json");
            let spdx = t.path().join("out.spdx.json");
            let spdx3 = t.path().join("out.spdx3.json");
            let out = run(
                sbomkit()
                    .args(["generate", source])
                    .args(verbose)
                    .arg("-o")
                    .arg(format!("cyclonedx-json={}", cdx.display()))
                    .arg("-o")
                    .arg(format!("spdx-json={}", spdx.display()))
                    .arg("-o")
                    .arg(format!("spdx3-json={}", spdx3.display())),
                0,
            );
            assert!(out.stderr.contains(&warning), "{source}: {}", out.stderr);
            let bom = read_json(&cdx);
            schema::assert_valid_cyclonedx(&bom);
            let subject_ref = bom["metadata"]["component"]["bom-ref"].clone();
            // The subject's assembly is incomplete; the packages' dependencies are grouped apart.
            let assemblies: Vec<&serde_json::Value> = bom["compositions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c.get("assemblies").is_some())
                .collect();
            assert_eq!(
                assemblies,
                [&serde_json::json!({"aggregate": "incomplete", "assemblies": [subject_ref]})]
            );
            assert_eq!(
                bom["metadata"]["properties"],
                serde_json::json!([{
                    "name": "sbomkit:unknown",
                    "value": warning.strip_prefix("warning: ").unwrap()
                }])
            );
            let doc = read_json(&spdx);
            schema::assert_valid_spdx(&doc);
            let comment = doc["comment"].as_str().unwrap();
            assert!(
                comment.starts_with("This document is incomplete"),
                "{comment}"
            );
            assert_eq!(comment.matches(at).count(), 1, "{comment}");
            assert!(comment.contains(&format!("unknown: {at}: {what}")));
            let doc = read_json(&spdx3);
            schema::assert_valid_spdx3(&doc);
            let graph = doc["@graph"].as_array().unwrap();
            let document = graph.iter().find(|n| n["type"] == "SpdxDocument").unwrap();
            assert_eq!(document["comment"], comment);
            let bom = graph.iter().find(|n| n["type"] == "software_Sbom").unwrap();
            let image_contains = graph
                .iter()
                .find(|n| n["from"] == bom["rootElement"][0] && n["relationshipType"] == "contains")
                .unwrap();
            assert_eq!(image_contains["completeness"], "incomplete");
            run(
                sbomkit()
                    .args(["generate", "-q", source, "--cyclonedx-version", "1.5"])
                    .arg("-o")
                    .arg(format!("cyclonedx-json={}", cdx15.display())),
                0,
            );
            let bom = read_json(&cdx15);
            schema::assert_valid_cyclonedx(&bom);
            assert_eq!(bom["compositions"][0]["aggregate"], "incomplete");
        }
    }
    fs::remove_dir_all(root.join("var/lib/pacman")).unwrap();
    let bom: Value = serde_json::from_slice(&generate(
        &format!("dir:{}", root.display()),
        &["-o", "cyclonedx-json"],
    ))
    .unwrap();
    // Only the packages' dependencies: the subject's assembly is no longer said to be incomplete.
    let compositions = bom["compositions"].as_array().unwrap();
    assert!(compositions.iter().all(|c| c.get("assemblies").is_none()));
    assert!(bom["metadata"].get("properties").is_none());
}

/// What is not a source is refused by the command with the file named and a non-zero exit, and
/// no output is written; `file:` describes it on purpose.
#[test]
fn a_file_that_is_not_an_image_is_refused() {
    let t = tempdir();
    let pic = t.path().join("pic.tar");
    fs::write(&pic, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = t.path().join("out.json");
    let got = run(
        sbomkit()
            .args(["generate", "-q"])
            .arg(&pic)
            .arg("-o")
            .arg(format!("spdx-json={}", out.display())),
        1,
    );
    assert!(
        got.stderr.contains(&format!(
            "{}: not an image archive, OCI layout, folder or package database: a PNG image",
            pic.display()
        )),
        "{}",
        got.stderr
    );
    assert!(got.stderr.contains(&format!("file:{}", pic.display())));
    assert!(!out.exists());
    let doc: Value = serde_json::from_slice(&generate(
        &format!("file:{}", pic.display()),
        &["-o", "spdx-json"],
    ))
    .unwrap();
    schema::assert_valid_spdx(&doc);
}
