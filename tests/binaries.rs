//! End-to-end: ELF binaries in a root folder and in images, through the `sbomkit` binary.
//!
//! Expected facts come from the binaries' `readelf` listings committed beside them
//! (`testdata/binaries/c/*.readelf.txt`) and from the package note text `readelf -n` prints.
//! With `SBOMKIT_WRITE_SAMPLES=DIR` the documents are also saved in DIR, for the outside validators
//! (`scripts/interop-sbom.sh DIR`).

use crate::support::image;
use crate::support::schema;

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{component, generate, run, sbomkit, tempdir, write};

const C: &str = "testdata/binaries/c";
const LIBUDEV: &str = "testdata/fixtures/elf/package-notes/libudev.so.1.7.5";
const LIBUDEV_ID: &str = "deb:libudev1:amd64@252.39-1~deb12u2";
const LIBC_ID: &str = "deb:libc6:amd64@2.36-9+deb12u4";
const ZLIB_ID: &str = "deb:zlib1g:amd64@1:1.2.13.dfsg-1";

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Every component, the ones nested in a binary (1.6 on) too.
fn components(doc: &Value) -> Vec<&Value> {
    assert!(doc["components"].is_array(), "{doc}");
    crate::support::all_components(doc)
}

fn property<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

fn depends_on<'a>(doc: &'a Value, bom_ref: &str) -> Vec<&'a str> {
    doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == bom_ref)
        .and_then(|d| d["dependsOn"].as_array())
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn sha256_of(c: &Value) -> Option<String> {
    c["hashes"]
        .as_array()?
        .iter()
        .find(|h| h["alg"] == "SHA-256")
        .and_then(|h| h["content"].as_str())
        .map(str::to_string)
}

fn sha256_hex(path: &str) -> String {
    image::sha256_hex(&fs::read(path).unwrap())
}

/// What `go version -m` printed for a binary (committed beside each fixture).
struct GoVersionM {
    go: String,
    main: Option<(String, String)>,
    deps: Vec<(String, String)>,
}

impl GoVersionM {
    /// The purls sbomkit must write: stdlib, the main module (no version when `(devel)` and no VCS
    /// data) and every dependency at its original path and version.
    fn purls(&self) -> Vec<String> {
        let mut v = vec![format!(
            "pkg:golang/stdlib@{}",
            self.go.trim_start_matches("go")
        )];
        if let Some((path, version)) = &self.main {
            if version == "(devel)" {
                v.push(format!("pkg:golang/{path}"));
            } else {
                v.push(format!("pkg:golang/{path}@{version}"));
            }
        }
        for (path, version) in &self.deps {
            v.push(format!("pkg:golang/{path}@{version}"));
        }
        v
    }
}

fn go_version_m(path: &str) -> GoVersionM {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let go = lines
        .next()
        .and_then(|l| l.split_once(": "))
        .map(|(_, v)| v.trim().to_string())
        .unwrap();
    let mut out = GoVersionM {
        go,
        main: None,
        deps: Vec::new(),
    };
    for line in lines {
        let f: Vec<&str> = line.trim().split('\t').collect();
        match f.as_slice() {
            ["mod", path, version, ..] => out.main = Some((path.to_string(), version.to_string())),
            ["dep", path, version, ..] => out.deps.push((path.to_string(), version.to_string())),
            _ => {}
        }
    }
    out
}

const STATUS: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: libudev1
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 391
Maintainer: Debian systemd Maintainers <pkg-systemd-maintainers@lists.alioth.debian.org>
Architecture: amd64
Multi-Arch: same
Source: systemd
Version: 252.39-1~deb12u2
Depends: libc6 (>= 2.34)
Description: libudev shared library

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Depends: libc6 (>= 2.14)
Description: compression library - runtime
";

/// A merged-/usr Debian-like root: dpkg owns libc, libudev and zlib (listed under `/lib`, which is a
/// link to `/usr/lib`); the C test binaries sit unowned in `/usr/local/bin`, one of them setuid.
fn debian_root(root: &Path) {
    write(
        root,
        "etc/os-release",
        &fs::read("testdata/fixtures/os-release/debian-12.os-release").unwrap(),
    );
    write(root, "var/lib/dpkg/status", STATUS.as_bytes());
    write(
        root,
        "var/lib/dpkg/info/libc6:amd64.list",
        b"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n",
    );
    write(
        root,
        "var/lib/dpkg/info/libudev1:amd64.list",
        b"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libudev.so.1.7.5\n/lib/x86_64-linux-gnu/libudev.so.1\n",
    );
    write(
        root,
        "var/lib/dpkg/info/zlib1g:amd64.list",
        b"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libz.so.1.2.13\n/lib/x86_64-linux-gnu/libz.so.1\n",
    );
    write(
        root,
        "etc/ld.so.conf",
        b"include /etc/ld.so.conf.d/*.conf\n",
    );
    write(
        root,
        "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
        b"/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
    );
    let lib = "usr/lib/x86_64-linux-gnu";
    // Stand-ins for libc, the loader and zlib: only their place matters to the loader search.
    write(root, &format!("{lib}/libc.so.6"), b"not the real libc\n");
    write(
        root,
        &format!("{lib}/ld-linux-x86-64.so.2"),
        b"not the real loader\n",
    );
    write(
        root,
        &format!("{lib}/libz.so.1.2.13"),
        b"not the real zlib\n",
    );
    std::os::unix::fs::symlink("libz.so.1.2.13", root.join(lib).join("libz.so.1")).unwrap();
    write(
        root,
        &format!("{lib}/libudev.so.1.7.5"),
        &fs::read(LIBUDEV).unwrap(),
    );
    std::os::unix::fs::symlink("libudev.so.1.7.5", root.join(lib).join("libudev.so.1")).unwrap();
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
    for name in ["hardened", "plain", "noted"] {
        write(
            root,
            &format!("usr/local/bin/{name}"),
            &fs::read(format!("{C}/{name}")).unwrap(),
        );
    }
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        root.join("usr/local/bin/hardened"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
}

#[test]
fn debian_root_binaries_notes_and_linkage() {
    let dir = tempdir();
    let root = dir.path().join("rootfs");
    debian_root(&root);
    let source = format!("dir:{}", root.display());

    let cdx_bytes = generate(&source, &["-o", "cyclonedx-json"]);
    let cdx = json(&cdx_bytes);
    schema::assert_valid_cyclonedx(&cdx);
    let cdx15_bytes = generate(
        &source,
        &["-o", "cyclonedx-json", "--cyclonedx-version", "1.5"],
    );
    let cdx15 = json(&cdx15_bytes);
    schema::assert_valid_cyclonedx(&cdx15);
    let spdx_bytes = generate(&source, &["-o", "spdx-json"]);
    let spdx = json(&spdx_bytes);
    schema::assert_valid_spdx(&spdx);
    schema::sample("debian-root.cdx.json", &cdx_bytes);
    schema::sample("debian-root.cdx15.json", &cdx15_bytes);
    schema::sample("debian-root.spdx.json", &spdx_bytes);
    // Deterministic.
    assert_eq!(cdx_bytes, generate(&source, &["-o", "cyclonedx-json"]));

    // The note names the source package `systemd`; the file belongs to libudev1, which carries the
    // note. No second package is made from it.
    assert!(!components(&cdx).iter().any(|c| c["name"] == "systemd"));
    assert!(!spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "systemd"));
    let udev = component(&cdx, "libudev1");
    assert_eq!(property(udev, "sbomkit:elf-note:name"), Some("systemd"));
    assert_eq!(
        property(udev, "sbomkit:elf-note:purl"),
        Some("pkg:deb/debian/systemd@252.39-1~deb12u2?arch=amd64")
    );
    // Its ELF facts are on the file record, owned by libudev1, even without --files.
    let file = component(&cdx, "/usr/lib/x86_64-linux-gnu/libudev.so.1.7.5");
    assert_eq!(file["type"], "file");
    assert_eq!(property(file, "sbomkit:package"), Some(LIBUDEV_ID));
    assert_eq!(property(file, "sbomkit:elf:soname"), Some("libudev.so.1"));
    assert_eq!(
        property(file, "sbomkit:elf:build-id"),
        Some("15712d7cbb7e891534e72538c0c0e2ed13839fae")
    );
    let hash = file["hashes"].as_array().unwrap();
    assert!(hash
        .iter()
        .any(|h| h["alg"] == "SHA-256" && h["content"] == sha256_hex(LIBUDEV)));
    // libudev needs libc.so.6 and ld-linux-x86-64.so.2, both found through /lib → /usr/lib.
    assert!(depends_on(&cdx, LIBUDEV_ID).contains(&LIBC_ID));
    let spdx_file = spdx["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fileName"] == "./usr/lib/x86_64-linux-gnu/libudev.so.1.7.5")
        .expect("libudev listed as a file");
    assert_eq!(spdx_file["fileTypes"], serde_json::json!(["BINARY"]));
    assert!(spdx_file["comment"]
        .as_str()
        .unwrap()
        .contains("sbomkit:elf-note:name: systemd"));

    // Unowned binaries are packages, with hardening as readelf shows it.
    let hardened_readelf = fs::read_to_string(format!("{C}/hardened.readelf.txt")).unwrap();
    assert!(hardened_readelf.contains("GNU_RELRO") && hardened_readelf.contains("BIND_NOW"));
    let hardened = component(&cdx, "hardened");
    assert_eq!(hardened["type"], "application");
    assert_eq!(property(hardened, "sbomkit:elf:relro"), Some("full"));
    assert_eq!(property(hardened, "sbomkit:elf:pie"), Some("true"));
    assert_eq!(
        property(hardened, "sbomkit:elf:stack-protector"),
        Some("true")
    );
    assert_eq!(property(hardened, "sbomkit:elf:fortify"), Some("true"));
    assert_eq!(property(hardened, "sbomkit:elf:setuid"), Some("true"));
    assert_eq!(
        property(hardened, "sbomkit:elf:interpreter"),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!(
        sha256_of(hardened),
        Some(sha256_hex(&format!("{C}/hardened")))
    );
    assert_eq!(
        hardened["evidence"]["occurrences"][0]["location"],
        "/usr/local/bin/hardened"
    );
    let hardened_ref = hardened["bom-ref"].as_str().unwrap();
    assert!(depends_on(&cdx, hardened_ref).contains(&LIBC_ID));

    let plain_readelf = fs::read_to_string(format!("{C}/plain.readelf.txt")).unwrap();
    assert!(!plain_readelf.contains("GNU_RELRO") && plain_readelf.contains("EXEC"));
    let plain = component(&cdx, "plain");
    assert_eq!(property(plain, "sbomkit:elf:relro"), Some("none"));
    assert_eq!(property(plain, "sbomkit:elf:pie"), Some("false"));
    assert_eq!(
        property(plain, "sbomkit:elf:stack-protector"),
        Some("false")
    );
    assert_eq!(property(plain, "sbomkit:elf:setuid"), Some("false"));

    // The noted binary is the package its note names, with the note's purl and CPE.
    let noted = component(&cdx, "hello-notes");
    assert_eq!(noted["purl"], "pkg:deb/debian/hello-notes@1.2-3?arch=amd64");
    assert_eq!(
        noted["cpe"],
        "cpe:2.3:a:example:hello-notes:1.2:*:*:*:*:*:*:*"
    );
    assert_eq!(noted["evidence"]["identity"]["field"], "purl");
    assert_eq!(property(noted, "sbomkit:elf:relro"), Some("partial"));
    // Its dlopen note suggests libz.so.1: an optional dependency on zlib1g.
    let noted_ref = noted["bom-ref"].as_str().unwrap();
    assert!(depends_on(&cdx, noted_ref).contains(&ZLIB_ID));
    assert_eq!(
        property(noted, "sbomkit:optional-depends-on"),
        Some(ZLIB_ID)
    );
    let spdx_noted = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "hello-notes")
        .unwrap();
    let spdx_zlib = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "zlib1g")
        .unwrap();
    assert!(spdx["relationships"].as_array().unwrap().iter().any(|r| {
        r["relationshipType"] == "OPTIONAL_DEPENDENCY_OF"
            && r["spdxElementId"] == spdx_zlib["SPDXID"]
            && r["relatedSpdxElement"] == spdx_noted["SPDXID"]
    }));

    // The table lists the binaries that are packages; the ELF files only with --files.
    let table = String::from_utf8(generate(&source, &["-o", "table"])).unwrap();
    assert!(table
        .lines()
        .any(|l| l.starts_with("hardened ") && l.contains("binary")));
    assert!(table
        .lines()
        .any(|l| l.starts_with("hello-notes ") && l.contains("elf-note")));
    assert!(!table.contains("FILE "), "{table}");
    assert!(
        !table.contains("/usr/lib/x86_64-linux-gnu/libudev.so.1.7.5"),
        "{table}"
    );
    let table = String::from_utf8(generate(&source, &["--files", "-o", "table"])).unwrap();
    assert!(table.lines().any(|l| l.starts_with("FILE ")), "{table}");
    assert!(table.lines().any(
        |l| l.starts_with("/usr/lib/x86_64-linux-gnu/libudev.so.1.7.5")
            && l.contains("shared-object")
            && l.contains("libudev1")
    ));
    // Each package is still listed once, before the files.
    assert_eq!(
        table.lines().filter(|l| l.starts_with("hardened ")).count(),
        1
    );

    // With --files every owned file is listed and the ELF record keeps its facts.
    let with_files_bytes = generate(&source, &["--files", "-o", "spdx-json"]);
    schema::sample("debian-root-files.spdx.json", &with_files_bytes);
    let with_files = json(&with_files_bytes);
    schema::assert_valid_spdx(&with_files);
    let f = with_files["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fileName"] == "./usr/lib/x86_64-linux-gnu/libudev.so.1.7.5")
        .unwrap();
    assert!(f["comment"]
        .as_str()
        .unwrap()
        .contains("sbomkit:elf:soname"));
}

/// A scratch image: no package database, one static binary → the binary as a package, with its
/// digest and layer; a binary removed by a later layer's whiteout is not reported.
#[test]
fn image_without_database_lists_its_static_binary() {
    use image::{BuiltLayer, Comp, Image, Item, OciLayout};

    let go: &'static [u8] = Box::leak(
        fs::read("testdata/fixtures/elf/go/test.elf")
            .unwrap()
            .into_boxed_slice(),
    );
    let plain: &'static [u8] =
        Box::leak(fs::read(format!("{C}/plain")).unwrap().into_boxed_slice());
    let l0 = BuiltLayer::new(
        &[
            Item::Dir("usr"),
            Item::Dir("usr/bin"),
            Item::File("usr/bin/app", go),
            Item::File("usr/bin/gone", plain),
            Item::File("usr/bin/truncated", &go[..4096]),
            Item::File("usr/bin/notelf", b"#!/bin/sh\necho hi\n"),
        ],
        Comp::Gzip,
    );
    let l1 = BuiltLayer::new(&[Item::Whiteout("usr/bin/gone")], Comp::None);
    let diff0 = l0.diff_id();
    let mut layout = OciLayout::default();
    let (desc, _) = layout.image(&Image::new(vec![l0, l1]));
    layout.index.push(image::named(
        desc,
        "org.opencontainers.image.ref.name",
        "example.com/app:1",
    ));
    let dir = tempdir();
    let root = dir.path().join("layout");
    layout.files().write_dir(&root);
    let source = format!("oci-dir:{}", root.display());

    let cdx_bytes = generate(&source, &["-o", "cyclonedx-json"]);
    let cdx = json(&cdx_bytes);
    schema::assert_valid_cyclonedx(&cdx);
    let spdx_bytes = generate(&source, &["-o", "spdx-json"]);
    let spdx = json(&spdx_bytes);
    schema::assert_valid_spdx(&spdx);
    schema::sample("static-image.cdx.json", &cdx_bytes);
    schema::sample("static-image.spdx.json", &spdx_bytes);

    // The binary (named by its main module), the Go standard library and every module `go version -m`
    // lists; the whited-out binary, the truncated one and the script are not packages.
    let expected = go_version_m("testdata/binaries/expected/test.elf.go-version-m.txt");
    let mut want: Vec<String> = expected.purls();
    want.push("test".into());
    want.sort();
    let mut got: Vec<String> = components(&cdx)
        .iter()
        .map(|c| match c["purl"].as_str() {
            Some(p) => p.to_string(),
            None => c["name"].as_str().unwrap().to_string(),
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    let app = component(&cdx, "test");
    assert_eq!(sha256_of(app), Some(image::sha256_hex(go)));
    // The SHA-512 of the file as the layer holds it, computed while it streamed by, and what it is of.
    use sha2::Digest;
    let sha512 = hex::encode(sha2::Sha512::digest(go));
    assert!(
        app["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["alg"] == "SHA-512" && h["content"] == sha512.as_str()),
        "{app:#}"
    );
    assert_eq!(
        property(app, "sbomkit:hashes"),
        Some("the file /usr/bin/app as shipped in the image")
    );
    for (k, v) in [
        ("bsi:component:filename", "app"),
        ("bsi:component:executable", "executable"),
        ("bsi:component:archive", "no archive"),
        ("bsi:component:structured", "unstructured"),
    ] {
        assert_eq!(property(app, k), Some(v), "{k}");
    }
    // A static binary links nothing: its dependencies are complete, and SPDX says there are none.
    let complete: Vec<&str> = cdx["compositions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["aggregate"] == "complete")
        .flat_map(|c| c["dependencies"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    assert!(
        complete.contains(&app["bom-ref"].as_str().unwrap()),
        "{complete:?}"
    );
    let spdx_app = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "test")
        .unwrap();
    assert_eq!(spdx_app["packageFileName"], "app");
    assert!(spdx["relationships"].as_array().unwrap().iter().any(|r| {
        r["spdxElementId"] == spdx_app["SPDXID"]
            && r["relationshipType"] == "DEPENDS_ON"
            && r["relatedSpdxElement"] == "NONE"
    }));
    assert_eq!(property(app, "sbomkit:elf:linkage"), Some("static"));
    assert_eq!(property(app, "sbomkit:layer"), Some(diff0.as_str()));
    // The subject contains it.
    let subject_ref = cdx["metadata"]["component"]["bom-ref"].as_str().unwrap();
    assert!(depends_on(&cdx, subject_ref).contains(&app["bom-ref"].as_str().unwrap()));
    // The truncated binary is a warning naming it; the scan went on.
    let comment = spdx["comment"].as_str().unwrap_or_default();
    assert!(comment.contains("/usr/bin/truncated"), "{comment}");
    assert!(!comment.contains("notelf"), "{comment}");
}

/// The libudev library alone (`file:`) is a package of its own, named by its note.
#[test]
fn single_library_file_is_named_by_its_note() {
    let cdx = json(&generate(
        &format!("file:{LIBUDEV}"),
        &["-o", "cyclonedx-json"],
    ));
    schema::assert_valid_cyclonedx(&cdx);
    let c = component(&cdx, "systemd");
    assert_eq!(
        c["purl"],
        "pkg:deb/debian/systemd@252.39-1~deb12u2?arch=amd64"
    );
    assert_eq!(property(c, "sbomkit:elf:type"), Some("shared-object"));
    assert_eq!(
        property(c, "sbomkit:elf:needed-unresolved"),
        Some("libc.so.6 ld-linux-x86-64.so.2")
    );
}

/// 600 SystemTap notes before the package note in one section (`c/many-notes.S`; OpenJDK's
/// libjvm.so has ~532): the note is read and nothing is skipped or warned about.
#[test]
fn a_package_note_after_hundreds_of_notes_is_read() {
    let out = run(
        sbomkit().args([
            "generate",
            "file:testdata/binaries/c/many-notes",
            "-o",
            "cyclonedx-json",
            "-v",
        ]),
        0,
    );
    assert!(!out.stderr.contains("note"), "{}", out.stderr);
    let cdx = json(&out.stdout);
    schema::assert_valid_cyclonedx(&cdx);
    let c = component(&cdx, "many-notes");
    assert_eq!(c["purl"], "pkg:deb/debian/many-notes@1.0-1?arch=amd64");
}

/// Every module `go version -m` lists and every crate the cargo-auditable data lists, with exact
/// versions, for each fixture binary placed in one root folder.
#[test]
fn folder_of_binaries_lists_every_module_and_crate() {
    let go_bins = [
        (
            "testdata/binaries/go-hello",
            "testdata/binaries/go-hello.go-version-m.txt",
        ),
        (
            "testdata/binaries/go-hello-stripped",
            "testdata/binaries/go-hello-stripped.go-version-m.txt",
        ),
        (
            "testdata/binaries/go-hello-noshdr",
            "testdata/binaries/go-hello-noshdr.go-version-m.txt",
        ),
        (
            "testdata/binaries/third-party/age-keygen",
            "testdata/binaries/third-party/age-keygen.go-version-m.txt",
        ),
        (
            "testdata/fixtures/elf/go/test.elf",
            "testdata/binaries/expected/test.elf.go-version-m.txt",
        ),
    ];
    let rust_bins = [
        (
            "testdata/binaries/rust-hello",
            "testdata/binaries/rust-hello.dep-v0.json",
        ),
        (
            "testdata/fixtures/elf/rust/binary-with-vuln",
            "testdata/binaries/expected/binary-with-vuln.dep-v0.json",
        ),
    ];
    let dir = tempdir();
    for (bin, _) in go_bins.iter().chain(rust_bins.iter()) {
        let name = Path::new(bin).file_name().unwrap().to_str().unwrap();
        write(
            dir.path(),
            &format!("usr/local/bin/{name}"),
            &fs::read(bin).unwrap(),
        );
    }
    let bytes = generate(
        &format!("dir:{}", dir.path().display()),
        &["-o", "cyclonedx-json"],
    );
    let doc = json(&bytes);
    schema::assert_valid_cyclonedx(&doc);
    schema::sample("binaries-folder.cdx.json", &bytes);
    let purls: Vec<&str> = components(&doc)
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();

    for (bin, listing) in go_bins {
        let m = go_version_m(listing);
        for (path, version) in &m.deps {
            let want = format!("pkg:golang/{path}@{version}");
            assert!(purls.contains(&want.as_str()), "{bin}: {want} missing");
        }
        let stdlib = format!("pkg:golang/stdlib@{}", m.go.trim_start_matches("go"));
        assert!(purls.contains(&stdlib.as_str()), "{bin}: {stdlib} missing");
        if let Some((path, _)) = &m.main {
            let prefix = format!("pkg:golang/{path}");
            assert!(
                purls
                    .iter()
                    .any(|p| *p == prefix || p.starts_with(&format!("{prefix}@"))),
                "{bin}: main module {path} missing"
            );
            // `(devel)` never appears in a purl.
            assert!(!purls.iter().any(|p| p.contains("devel")), "{purls:?}");
        }
    }
    for (bin, listing) in rust_bins {
        let data: Value = serde_json::from_str(&fs::read_to_string(listing).unwrap()).unwrap();
        for p in data["packages"].as_array().unwrap() {
            let want = format!(
                "pkg:cargo/{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            );
            assert!(purls.contains(&want.as_str()), "{bin}: {want} missing");
        }
    }
}

/// What a document says of its components, digests aside.
fn described(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = components(doc)
        .iter()
        .map(|c| {
            let props: Vec<String> = c["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| format!("{}={}", p["name"], p["value"]))
                .collect();
            format!(
                "{} {} {} [{}]",
                c["name"],
                c["version"],
                c["purl"],
                props.join(" ")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn binaries_larger_than_memory_reads_are_described_the_same() {
    // Past 16 MiB a binary goes through a temp file instead of memory: padding the same binaries
    // past that size must change nothing but their digests.
    let bins = [
        "testdata/binaries/go-hello",
        "testdata/binaries/go-hello-noshdr",
        "testdata/binaries/rust-hello",
        "testdata/binaries/c/noted",
        "testdata/binaries/c/noted-noshdr",
        LIBUDEV,
    ];
    let (small, large) = (tempdir(), tempdir());
    for bin in bins {
        let name = Path::new(bin).file_name().unwrap().to_str().unwrap();
        let bytes = fs::read(bin).unwrap();
        write(small.path(), &format!("opt/{name}"), &bytes);
        let mut padded = bytes;
        padded.resize(padded.len() + (17 << 20), 0);
        write(large.path(), &format!("opt/{name}"), &padded);
    }
    let doc = |d: &tempfile::TempDir| {
        json(&generate(
            &format!("dir:{}", d.path().display()),
            &["-o", "cyclonedx-json"],
        ))
    };
    let (a, b) = (doc(&small), doc(&large));
    let (a, b) = (described(&a), described(&b));
    assert!(a.len() > 10, "{a:?}");
    assert!(a.iter().any(|c| c.contains("pkg:golang/stdlib")), "{a:?}");
    assert!(a.iter().any(|c| c.contains("pkg:cargo/")), "{a:?}");
    assert_eq!(a, b);
}

#[test]
fn a_large_binary_without_temp_space_is_hashed_not_read_into_memory() {
    let dir = tempdir();
    let mut padded = fs::read("testdata/binaries/go-hello").unwrap();
    padded.resize(padded.len() + (17 << 20), 0);
    write(dir.path(), "opt/go-hello", &padded);
    let out = run(
        sbomkit()
            .args(["generate", &format!("dir:{}", dir.path().display())])
            .args(["-o", "cyclonedx-json"])
            .env("TMPDIR", dir.path().join("no-such-folder")),
        0,
    );
    let stderr = out.stderr;
    assert!(
        stderr.contains("/opt/go-hello: not inspected: cannot spool"),
        "{stderr}"
    );
    // Nothing read from it: no Go modules.
    let doc = json(&out.stdout);
    schema::assert_valid_cyclonedx(&doc);
    assert!(
        !components(&doc).iter().any(|c| c["purl"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:golang/"))),
        "{doc}"
    );
}

/// A real ELF file followed by windows cut from real binaries (testdata/binaries/classify/).
fn with_excerpts(parts: &[&str]) -> Vec<u8> {
    let mut bytes = fs::read(format!("{C}/plain")).unwrap();
    for p in parts {
        bytes.extend(fs::read(format!("testdata/binaries/classify/excerpts/{p}.bin")).unwrap());
    }
    bytes
}

#[test]
fn binaries_named_by_their_bytes_in_every_format() {
    let dir = tempdir();
    let root = dir.path().join("root");
    write(
        &root,
        "usr/local/bin/node",
        &with_excerpts(&[
            "node",
            "node-openssl",
            "node-zlib-1.3.0.1",
            "node-zlib-1.3.2.1",
        ]),
    );
    write(
        &root,
        "opt/java/openjdk/bin/java",
        &with_excerpts(&["java"]),
    );
    write(
        &root,
        "opt/java/openjdk/release",
        b"IMPLEMENTOR=\"Debian\"\nJAVA_RUNTIME_VERSION=\"17.0.21.1+2-1-deb12u1-Debian\"\nJAVA_VERSION=\"17.0.21.1\"\n",
    );
    let source = format!("dir:{}", root.display());

    let cdx_bytes = generate(&source, &["-o", "cyclonedx-json"]);
    let cdx = json(&cdx_bytes);
    schema::assert_valid_cyclonedx(&cdx);
    schema::sample("classified.cdx.json", &cdx_bytes);
    let cdx15 = json(&generate(&source, &["-o", "cyclonedx-json@1.5"]));
    schema::assert_valid_cyclonedx(&cdx15);
    let spdx_bytes = generate(&source, &["-o", "spdx-json"]);
    let spdx = json(&spdx_bytes);
    schema::assert_valid_spdx(&spdx);
    schema::sample("classified.spdx.json", &spdx_bytes);
    let spdx3 = json(&generate(&source, &["-o", "spdx3-json"]));
    schema::assert_valid_spdx3(&spdx3);

    // Node.js, with what it links statically nested inside it.
    let node = component(&cdx, "node");
    assert_eq!(node["purl"], "pkg:generic/node@24.19.0");
    assert_eq!(
        node["cpe"],
        "cpe:2.3:a:nodejs:node.js:24.19.0:*:*:*:*:*:*:*"
    );
    assert_eq!(property(node, "sbomkit:identified-by"), Some("classifier"));
    let inside: Vec<&str> = node["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(
        inside,
        [
            "pkg:generic/openssl@3.5.7",
            "pkg:generic/zlib@1.3.0.1",
            "pkg:generic/zlib@1.3.2.1"
        ]
    );
    let openssl = &node["components"][0];
    assert_eq!(openssl["type"], "library");
    assert_eq!(
        property(openssl, "sbomkit:identified-by"),
        Some("version-string")
    );
    assert_eq!(
        openssl["evidence"]["identity"]["methods"][0]["technique"],
        "binary-analysis"
    );

    let java = component(&cdx, "openjdk");
    assert_eq!(
        java["purl"],
        "pkg:generic/oracle/openjdk@17.0.21.1%2B2-1-deb12u1-Debian"
    );
    assert_eq!(
        java["cpe"],
        "cpe:2.3:a:oracle:openjdk:17.0.21.1:*:*:*:*:*:*:*"
    );

    // SPDX: the same purls, and the libraries contained by the binary.
    let packages = spdx["packages"].as_array().unwrap();
    let spdx_id = |purl: &str| -> String {
        packages
            .iter()
            .find(|p| {
                p["externalRefs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| r["referenceLocator"] == purl)
            })
            .unwrap_or_else(|| panic!("{purl}"))["SPDXID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let node_id = spdx_id("pkg:generic/node@24.19.0");
    let zlib_id = spdx_id("pkg:generic/zlib@1.3.2.1");
    assert!(spdx["relationships"].as_array().unwrap().iter().any(|r| {
        r["spdxElementId"] == node_id.as_str()
            && r["relationshipType"] == "CONTAINS"
            && r["relatedSpdxElement"] == zlib_id.as_str()
    }));
}
