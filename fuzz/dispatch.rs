//! Every fuzz target in one table. The fuzz binaries (`fuzz_targets/<name>.rs`) call
//! `run("<name>", data)`; `tests/fuzz_regressions.rs` replays `fuzz/regressions/<name>/*` and the
//! seeds through the same `run`; `write_seeds.rs` (used by `scripts/fuzz.sh`) writes the corpus
//! from the seeds named here. A new target is a row in `TARGETS` with its entry function, a
//! `fuzz_targets/<name>.rs` of three lines and a `[[bin]]` in `Cargo.toml`.
// Each includer uses a different part: the binaries `run`, the test and the example the seeds.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use sbomkit::attest::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use sbomkit::attest::keys::{Algorithm, SigningKey};
use sbomkit::attest::verify::{self, verify, Options};
use sbomkit::attest::{bundle, parse_json, statement};
use sbomkit::catalog::binary::{classify, elf, go, modules, notes, rust};
use sbomkit::catalog::lang::{composer, dotnet, gem, java, npm, python};
use sbomkit::catalog::{apk, deb822, dpkg, os_release, rpm, version};
use sbomkit::format::{self, CycloneDxVersion, Format, WriteOptions};
use sbomkit::limits::{Budget, Limits};
use sbomkit::model::{Identity, IdentityRole};
use sbomkit::posture::{caps, keys, users};
use sbomkit::read::{self, profile};
use sbomkit::source::layer::{apply, read_layer, ReadCx};
use sbomkit::source::{Digests, Interest, NoProgress, SourceKind, SourceOptions, SourceSpec, Vfs};

#[path = "seeds.rs"]
pub mod seeds;

use seeds::{as_is, Fixture};

pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    /// Seed fixtures relative to the repository root: files, or folders for every file in them.
    pub seeds: &'static [&'static str],
    /// Turns the seed fixtures into inputs of the target.
    pub prepare: fn(&[Fixture]) -> Vec<Vec<u8>>,
}

const FX: &str = "testdata/fixtures";

const SIGSTORE_BUNDLES: &[&str] = &[
    "testdata/fixtures/sigstore/cosign-oci-attestation.sigstore.json",
    "testdata/fixtures/sigstore/trivy-cyclonedx-attestation.sigstore.json",
];

const LAYER_SEEDS: &[&str] = &[
    "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz",
    "testdata/fixtures/os-release",
    "testdata/fixtures/apk/installed/alpine-single.installed",
    "testdata/fixtures/dpkg/info",
];

const RPM_DBS: &[&str] = &[
    "testdata/fixtures/rpm/built",
    "testdata/fixtures/rpm/libuuid.Packages.bdb",
];

pub const TARGETS: &[Target] = &[
    Target {
        name: "layer_tar",
        run: layer_tar,
        seeds: LAYER_SEEDS,
        prepare: seeds::layer_tars,
    },
    Target {
        name: "layer_decode",
        run: layer_decode,
        seeds: LAYER_SEEDS,
        prepare: seeds::compressed_layers,
    },
    Target {
        name: "image_docker",
        run: image_docker,
        seeds: &["testdata/fixtures/images/alpine-3.10-docker-save.tar.gz"],
        prepare: seeds::docker_documents,
    },
    Target {
        name: "image_oci",
        run: image_oci,
        seeds: &[],
        prepare: seeds::oci_documents,
    },
    Target {
        name: "apk_db",
        run: apk_db,
        seeds: &["testdata/fixtures/apk/installed"],
        prepare: as_is,
    },
    Target {
        name: "dpkg_status",
        run: dpkg_status,
        seeds: &[
            "testdata/fixtures/dpkg/debian-10-postgresql.status",
            "testdata/fixtures/dpkg/debian-libpam/var/lib/dpkg/status",
            "testdata/fixtures/dpkg/distroless/var/lib/dpkg/status.d/libsqlite3-0",
            "testdata/fixtures/dpkg/ubuntu-18.04-full/var/lib/dpkg/status",
        ],
        prepare: seeds::heads,
    },
    Target {
        name: "dpkg_md5sums",
        run: dpkg_md5sums,
        seeds: &[
            "testdata/fixtures/dpkg/info/tar.md5sums",
            "testdata/fixtures/dpkg/distroless/var/lib/dpkg/status.d/libsqlite3-0.md5sums",
            "testdata/fixtures/dpkg/debian-libpam/var/lib/dpkg/info/libpam-runtime.md5sums",
        ],
        prepare: as_is,
    },
    Target {
        name: "dpkg_list",
        run: dpkg_list,
        seeds: &["testdata/fixtures/dpkg/info/tar.list"],
        prepare: as_is,
    },
    Target {
        name: "dpkg_copyright",
        run: dpkg_copyright,
        seeds: &[
            "testdata/fixtures/dpkg/distroless/usr/share/doc/libsqlite3-0/copyright",
            "testdata/fixtures/dpkg/debian-libpam/usr/share/doc/libpam-runtime/copyright",
        ],
        prepare: as_is,
    },
    Target {
        name: "rpm_db",
        run: rpm_db,
        seeds: RPM_DBS,
        prepare: as_is,
    },
    Target {
        name: "rpm_header",
        run: rpm_header,
        seeds: RPM_DBS,
        prepare: seeds::rpm_headers,
    },
    Target {
        name: "os_release",
        run: os_release,
        seeds: &["testdata/fixtures/os-release"],
        prepare: as_is,
    },
    Target {
        name: "posture",
        run: posture,
        seeds: &["testdata/posture"],
        prepare: as_is,
    },
    Target {
        name: "diff_versions",
        run: diff_versions,
        seeds: &["testdata/diff/alpine-3.10.trivy.cdx.json"],
        prepare: as_is,
    },
    Target {
        name: "elf",
        run: elf,
        seeds: &[
            "testdata/binaries/c/hardened",
            "testdata/binaries/c/noted",
            "testdata/binaries/c/noted-noshdr",
            "testdata/binaries/c/plain",
            "testdata/binaries/rust-hello",
            "testdata/binaries/go-hello-noshdr",
            "testdata/fixtures/elf/package-notes/libudev.so.1.7.5",
        ],
        prepare: as_is,
    },
    Target {
        name: "classify",
        run: classify_bytes,
        seeds: &["testdata/binaries/classify/excerpts"],
        prepare: as_is,
    },
    Target {
        name: "elf_notes",
        run: elf_notes,
        seeds: &[
            "testdata/binaries/c/noted",
            "testdata/binaries/c/hardened",
            "testdata/binaries/c/plain",
        ],
        prepare: seeds::note_sections,
    },
    Target {
        name: "go_buildinfo",
        run: go_buildinfo,
        seeds: &[
            "testdata/binaries/go-hello.go-version-m.txt",
            "testdata/binaries/go-hello-noshdr.go-version-m.txt",
            "testdata/binaries/go-hello-stripped.go-version-m.txt",
        ],
        prepare: seeds::modinfo,
    },
    Target {
        name: "cargo_auditable",
        run: cargo_auditable,
        seeds: &["testdata/binaries/rust-hello.dep-v0.json"],
        prepare: as_is,
    },
    Target {
        name: "lang_npm",
        run: lang_npm,
        seeds: &[
            "testdata/lang/acorn.package.json",
            "testdata/lang/types-node.package.json",
        ],
        prepare: as_is,
    },
    Target {
        name: "lang_python",
        run: lang_python,
        seeds: &[
            "testdata/lang/pip-23.0.1.METADATA",
            "testdata/lang/wheel-0.38.4.PKG-INFO",
        ],
        prepare: as_is,
    },
    Target {
        name: "lang_gem",
        run: lang_gem,
        seeds: &[
            "testdata/lang/rack-2.2.22.gemspec",
            "testdata/lang/rack-test-2.0.2.gemspec",
        ],
        prepare: as_is,
    },
    Target {
        name: "melange_sbom",
        run: melange_sbom,
        seeds: &[
            "testdata/fixtures/apk/melange-sboms/unbound-libs-1.23.0-r0.spdx.json",
            "testdata/fixtures/apk/melange-sboms/libattr1-2.5.1-r2.spdx.json",
        ],
        prepare: as_is,
    },
    Target {
        name: "lang_composer",
        run: lang_composer,
        seeds: &["testdata/lang/mediawiki.installed.json"],
        prepare: as_is,
    },
    Target {
        name: "lang_dotnet",
        run: lang_dotnet,
        seeds: &["testdata/lang/Python.Runtime.deps.json"],
        prepare: as_is,
    },
    Target {
        name: "lang_java",
        run: lang_java,
        seeds: &[
            "testdata/lang/ca-certificates-java.jar",
            "testdata/lang/jrt-fs.jar",
        ],
        prepare: as_is,
    },
    Target {
        name: "verify_envelope",
        run: verify_envelope,
        seeds: SIGSTORE_BUNDLES,
        prepare: seeds::bundles_and_envelopes,
    },
    Target {
        name: "verify_signed",
        run: verify_signed,
        seeds: SIGSTORE_BUNDLES,
        prepare: seeds::signed_payloads,
    },
    Target {
        name: "statement",
        run: statement,
        seeds: SIGSTORE_BUNDLES,
        prepare: seeds::statements,
    },
    Target {
        name: "bundle",
        run: bundle,
        seeds: SIGSTORE_BUNDLES,
        prepare: seeds::bundles_and_envelopes,
    },
    Target {
        name: "sbom_validate",
        run: sbom_validate,
        seeds: &["testdata/sboms"],
        prepare: as_is,
    },
    Target {
        name: "sbom_convert",
        run: sbom_convert,
        seeds: &["testdata/sboms"],
        prepare: as_is,
    },
];

pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Runs one input through the named target.
pub fn run(name: &str, data: &[u8]) {
    match target(name) {
        Some(t) => (t.run)(data),
        None => panic!("no fuzz target named {name}"),
    }
}

/// An RPM database in any backend (SQLite, Berkeley DB hash, ndb, told by the first bytes): pages,
/// b-trees, overflow chains, slots, and every header found.
fn rpm_db(data: &[u8]) {
    let _ = rpm::parse(data, "fuzz");
}

/// One RPM header blob, as the databases store them.
fn rpm_header(data: &[u8]) {
    let _ = rpm::record(1, data);
}

/// Small limits, so that a valid but huge input is a clean refusal rather than a timeout.
fn limits() -> Limits {
    Limits {
        max_entries: 20_000,
        max_decompressed_bytes: 64 << 20,
        max_file_size: 4 << 20,
        max_json_size: 1 << 20,
    }
}

/// Keeps every file up to 1 MiB, so that the content path of the reader runs too.
fn keep_all(_path: &[u8], _head: &[u8]) -> Option<u64> {
    Some(1 << 20)
}

/// The one place that builds what the layer reader is given.
fn with_read_cx<T>(f: impl FnOnce(&ReadCx<'_>) -> T) -> T {
    let budget = Budget::new(limits());
    let cx = ReadCx {
        interest: Interest::new(&keep_all, Digests::AllWithSha1),
        budget: &budget,
    };
    f(&cx)
}

/// A layer tar (plain, or gzip/zstd by its first bytes) read into a record and applied onto a Vfs
/// twice, as two layers: tar walking, whiteouts, links, and the virtual filesystem.
fn layer_tar(data: &[u8]) {
    with_read_cx(|cx| {
        if let Ok(rec) = read_layer(data, cx, "fuzz", "0") {
            let mut fs = Vfs::new();
            let mut warnings = Vec::new();
            apply(&mut fs, 0, &rec, "0", false, &mut warnings);
            apply(&mut fs, 1, &rec, "1", true, &mut warnings);
            let paths: Vec<Vec<u8>> = fs.iter().map(|(p, _)| p.to_vec()).collect();
            for p in &paths {
                let _ = fs.lookup(p);
                let _ = fs.read_dir(p);
                let _ = fs.history(p);
            }
        }
    });
}

/// gzip and zstd layer decoding: the first byte picks the codec, whose magic is put before the
/// rest, so that every input reaches the decoder (and whatever it yields, the tar reader).
fn layer_decode(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let magic: &[u8] = if sel & 1 == 0 {
        &[0x1f, 0x8b]
    } else {
        &[0x28, 0xb5, 0x2f, 0xfd]
    };
    let blob: Vec<u8> = magic.iter().chain(rest).copied().collect();
    with_read_cx(|cx| {
        let _ = read_layer(blob.as_slice(), cx, "fuzz", "0");
    });
}

/// A `docker save` archive whose manifest.json and config come from the input (split at
/// `\n--\n`). `@CONFIG` and `@LAYER` in them become the digests of the stored blobs, so the
/// fuzzer reaches past the digest checks.
fn image_docker(data: &[u8]) {
    let p = parts(data, 2);
    let layer = small_layer();
    let layer_hex = sha256_hex(&layer);
    let config = fill(&p[1], &[("@LAYER", &layer_hex)]);
    let config_hex = sha256_hex(&config);
    let manifest = fill(&p[0], &[("@CONFIG", &config_hex), ("@LAYER", &layer_hex)]);
    let config_name = format!("{config_hex}.json");
    let layer_name = format!("{layer_hex}/layer.tar");
    let archive = tar_of(&[
        ("manifest.json", &manifest),
        (&config_name, &config),
        (&layer_name, &layer),
    ]);
    open_archive(&archive, SourceKind::DockerArchive);
}

/// An OCI layout archive whose index.json, manifest and config come from the input (split at
/// `\n--\n`); `@MANIFEST`, `@CONFIG`, `@LAYER` become the digests of the stored blobs, and
/// `@SIZE_*` their sizes.
fn image_oci(data: &[u8]) {
    let p = parts(data, 3);
    let layer = small_layer();
    let layer_hex = sha256_hex(&layer);
    let layer_size = layer.len().to_string();
    let config = fill(&p[2], &[("@LAYER", &layer_hex)]);
    let config_hex = sha256_hex(&config);
    let config_size = config.len().to_string();
    let subs = [
        ("@CONFIG", config_hex.as_str()),
        ("@LAYER", layer_hex.as_str()),
        ("@SIZE_CONFIG", config_size.as_str()),
        ("@SIZE_LAYER", layer_size.as_str()),
    ];
    let manifest = fill(&p[1], &subs);
    let manifest_hex = sha256_hex(&manifest);
    let manifest_size = manifest.len().to_string();
    let index = fill(
        &p[0],
        &[
            ("@MANIFEST", manifest_hex.as_str()),
            ("@SIZE_MANIFEST", manifest_size.as_str()),
        ],
    );
    let names = [
        format!("blobs/sha256/{manifest_hex}"),
        format!("blobs/sha256/{config_hex}"),
        format!("blobs/sha256/{layer_hex}"),
    ];
    let archive = tar_of(&[
        (
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#.as_slice(),
        ),
        ("index.json", &index),
        (&names[0], &manifest),
        (&names[1], &config),
        (&names[2], &layer),
    ]);
    open_archive(&archive, SourceKind::OciArchive);
}

/// APK installed database (`lib/apk/db/installed`).
fn apk_db(data: &[u8]) {
    let (records, _warnings) = apk::parse(data, "lib/apk/db/installed");
    for r in &records {
        let _ = format!("{r:?}");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = apk::decode_digest(s);
        let _ = apk::dependency_name(s);
    }
}

/// dpkg status: deb822 paragraphs, package records, relation fields, version comparison.
fn dpkg_status(data: &[u8]) {
    let _ = deb822::parse(data);
    let (records, _warnings) = dpkg::parse(data, "var/lib/dpkg/status");
    for r in &records {
        let _ = r.id();
        let _ = r.is_installed(false);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dpkg::parse_relations(s);
        let (a, b) = s.split_once('\n').unwrap_or((s, "1.0"));
        let _ = version::compare(a, b);
        let _ = version::satisfies(a, ">=", b);
    }
}

/// dpkg `*.md5sums` files.
fn dpkg_md5sums(data: &[u8]) {
    let _ = dpkg::parse_md5sums(data);
}

/// dpkg `*.list` files.
fn dpkg_list(data: &[u8]) {
    let _ = dpkg::parse_list(data, &Vfs::new());
}

/// Machine-readable Debian copyright files.
fn dpkg_copyright(data: &[u8]) {
    let _ = dpkg::copyright_licenses(data);
}

/// os-release files.
/// The audit's parsers of untrusted bytes: a capability attribute, private-key blocks, passwd and
/// group with a `User` taken from the same bytes.
fn posture(data: &[u8]) {
    let _ = caps::decode(data).map(|c| c.text());
    let _ = keys::find(data);
    let passwd = users::Accounts::parse(data, true);
    let group = users::Accounts::parse(data, false);
    let user = String::from_utf8_lossy(data.get(..32).unwrap_or(data));
    let _ = users::resolve(&user, &passwd, &group);
}

/// `diff`'s version orders, every scheme on each pair of neighbouring lines.
fn diff_versions(data: &[u8]) {
    use sbomkit::diff::version::Scheme;
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().take(256).collect();
    for pair in lines.windows(2) {
        for s in Scheme::ALL {
            let _ = s.compare(pair[0], pair[1]);
        }
    }
}

fn os_release(data: &[u8]) {
    let vars = os_release::parse(data);
    if let Some(d) = os_release::distro_from(&vars, "etc/os-release") {
        let _ = os_release::os_package(&d);
    }
}

/// One ELF file: facts, hardening, notes, Go build information, cargo-auditable data.
fn elf(data: &[u8]) {
    let s = elf::inspect(data);
    let _ = format!("{s:?}");
}

/// The classifiers over any bytes, under a name every product's patterns are tried for (the first
/// byte picks it), and the JDK `release` reader.
fn classify_bytes(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let names: [&[u8]; 6] = [
        b"usr/bin/python3.11",
        b"usr/local/bin/node",
        b"usr/bin/redis-server",
        b"usr/bin/mysql",
        b"usr/bin/envoy",
        b"opt/app/server",
    ];
    let c = classify::classify(names[usize::from(sel) % names.len()], rest);
    let _ = format!("{c:?}");
    let _ = classify::java_release(rest);
}

/// ELF note sections: the first byte picks the byte order and the alignment; then the note walk,
/// package and dlopen notes.
fn elf_notes(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let align = if sel & 2 == 0 { 4 } else { 8 };
    let (found, _err) = notes::parse(rest, sel & 1 == 0, align);
    let _ = format!("{found:?}");
    let _ = notes::package_note(rest);
    let _ = notes::dlopen_note(rest);
}

/// Go module information (the `go version -m` text embedded in Go binaries).
fn go_buildinfo(data: &[u8]) {
    if let Ok(info) = go::parse_modinfo(data) {
        let _ = modules::main_version(&info);
        let _ = modules::go_packages(&info, "bin/x", "fuzz");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = modules::stdlib_version(s);
    }
}

/// cargo-auditable dependency JSON (after the zlib layer).
fn cargo_auditable(data: &[u8]) {
    if let Ok(info) = rust::parse_json(data) {
        let _ = info.root();
        let _ = modules::rust_packages(&info, "bin/x", "fuzz");
    }
}

/// npm `package.json`.
fn lang_npm(data: &[u8]) {
    let _ = npm::parse(data);
}

/// Python core metadata (`METADATA`, `PKG-INFO`).
fn lang_python(data: &[u8]) {
    let _ = python::parse(data);
}

/// A melange per-package SPDX document.
fn melange_sbom(data: &[u8]) {
    let _ = sbomkit::catalog::melange::parse(data);
}

/// An installed gemspec.
fn lang_gem(data: &[u8]) {
    let _ = gem::parse(data);
}

/// Composer's `installed.json`.
fn lang_composer(data: &[u8]) {
    let _ = composer::parse(b"vendor/composer/installed.json", data);
}

/// A .NET `deps.json` (named so that its project is the application).
fn lang_dotnet(data: &[u8]) {
    let _ = dotnet::parse(b"app/Python.Runtime.deps.json", data);
}

/// A Java archive: manifest, `pom.properties`, bundled archives.
fn lang_java(data: &[u8]) {
    let _ = java::parse(b"opt/lib/app-1.0.jar", data);
}

fn signing_key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::generate(Algorithm::Ed25519))
}

/// `verify` on raw input: a DSSE envelope, a sigstore bundle, or JSON Lines of envelopes.
fn verify_envelope(data: &[u8]) {
    let vk = signing_key().verifying_key();
    let opts = Options {
        key: Some(&vk),
        keyless: None,
        trust: &Default::default(),
        now: 0,
        target: None,
        want_type: None,
    };
    if let Ok(report) = verify(data, "fuzz", &opts) {
        let _ = report.human();
        let _ = report.to_json();
        let _ = report.exit_code();
    }
}

/// `verify` past the signature: after a selector byte, the input is the payload of an envelope
/// signed with the key the check uses, so the Statement, subject, predicate and schema checks all
/// see hostile bytes.
fn verify_signed(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let env = dsse::sign(IN_TOTO_PAYLOAD_TYPE, payload, signing_key());
    let bytes = if sel & 1 == 0 {
        serde_json::to_vec(&env).unwrap()
    } else {
        serde_json::to_vec(&bundle::wrap(&env)).unwrap()
    };
    let target = verify::Target {
        label: "image.tar".into(),
        identities: vec![Identity {
            role: IdentityRole::Config,
            digest: format!("sha256:{}", "ab".repeat(32)),
        }],
    };
    let vk = signing_key().verifying_key();
    let opts = Options {
        key: Some(&vk),
        keyless: None,
        trust: &Default::default(),
        now: 0,
        target: (sel & 2 == 0).then_some(&target),
        want_type: None,
    };
    if let Ok(report) = verify(&bytes, "fuzz", &opts) {
        let _ = report.human();
        let _ = report.to_json();
    }
}

/// The in-toto Statement and the SBOM digests it describes, parsed from strict JSON.
fn statement(data: &[u8]) {
    if let Ok(v) = parse_json(data) {
        let _ = statement::parse(&v);
        let _ = statement::described_digests(&v);
        let _ = statement::SbomKind::of(&v);
    }
}

/// An SBOM from any tool (`sbomkit validate`): strict JSON, the format's reader, the schema with
/// the lines of its errors, and every profile.
fn sbom_validate(data: &[u8]) {
    if let Ok(doc) = read::parse(data, "fuzz") {
        for p in profile::Profile::ALL {
            let r = profile::validate(&doc, data, "fuzz", p);
            let _ = profile::render_text(&r);
        }
    }
}

/// An SBOM from any tool (`sbomkit convert`): the reader, then every writer on what it read.
fn sbom_convert(data: &[u8]) {
    if let Ok(doc) = read::parse(data, "fuzz") {
        for format in Format::ALL {
            let opts = WriteOptions {
                cyclonedx_version: CycloneDxVersion::V1_5,
                width: None,
            };
            let _ = format::write(&doc.sbom, format, &opts, &mut std::io::sink());
        }
    }
}

/// Sigstore bundles and DSSE envelopes, parsed from strict JSON.
fn bundle(data: &[u8]) {
    if let Ok(v) = parse_json(data) {
        if bundle::is_bundle(&v) {
            let _ = sbomkit::attest::sigstore::bundle::parse(&v);
        }
        let _ = dsse::parse_envelope(&v);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dsse::decode_base64(s);
    }
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Splits the input at `\n--\n` into at most `n` parts (missing parts are empty).
fn parts(data: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(4).position(|w| w == b"\n--\n") {
            Some(i) => {
                out.push(rest[..i].to_vec());
                rest = &rest[i + 4..];
            }
            None => break,
        }
    }
    out.push(rest.to_vec());
    out.resize(n, Vec::new());
    out
}

/// Replaces each `(placeholder, value)` in a JSON text, so that the fuzzer can name blobs by digest.
fn fill(text: &[u8], subs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = text.to_vec();
    for (k, v) in subs {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            if s[i..].starts_with(k.as_bytes()) {
                out.extend_from_slice(v.as_bytes());
                i += k.len();
            } else {
                out.push(s[i]);
                i += 1;
            }
        }
        s = out;
    }
    s
}

/// A tar archive of the given regular files.
fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A small real layer: a folder, a file, a link, a whiteout.
fn small_layer() -> Vec<u8> {
    tar_of(&[
        (
            "etc/os-release",
            b"ID=alpine\nVERSION_ID=3.18.0\n".as_slice(),
        ),
        ("usr/bin/x", b"#!/bin/sh\n".as_slice()),
    ])
}

/// Writes `archive` to a temp file and runs the whole source reading on it.
fn open_archive(archive: &[u8], kind: SourceKind) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(archive).unwrap();
    f.flush().unwrap();
    let spec = SourceSpec {
        kind: Some(kind),
        path: f.path().to_path_buf(),
    };
    let opts = SourceOptions {
        limits: limits(),
        ..SourceOptions::default()
    };
    let interest = Interest::new(&keep_all, Digests::AllWithSha1);
    if let Ok(scanned) = sbomkit::source::open(&spec, &opts, &interest, &NoProgress) {
        for (path, _) in scanned.fs.iter() {
            let _ = scanned.fs.lookup(path);
        }
    }
}

/// The seed inputs of a target, read from the fixtures under `root` (the repository).
pub fn seed_inputs(root: &Path, t: &Target) -> std::io::Result<Vec<Vec<u8>>> {
    let mut fixtures = Vec::new();
    for rel in t.seeds {
        seeds::read_fixtures(root, rel, &mut fixtures)?;
    }
    Ok((t.prepare)(&fixtures))
}

/// Where `prepare` functions find the fixtures' own path: relative to `testdata/fixtures/`.
fn in_fixtures(path: &str) -> Option<&str> {
    path.strip_prefix(FX)?.strip_prefix('/')
}
