//! The layer cache of `registry:` scans, against the in-test server, which counts what is fetched:
//! a warm rescan fetches only the manifest and the config; the SBOM is the same bytes cold, warm
//! and with `--no-cache`; a damaged entry is reported, read again and rewritten; two scans at once
//! share a cold cache; the default place follows XDG.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::image::{BuiltLayer, Comp, Image, Item, OciLayout};
use crate::support::registry::{Answer, MiniServer};
use crate::support::{outcome, run, sbomkit, schema};

/// A two-layer image of real files: os-release and an apk database (kept content), then a Go
/// binary, a Rust binary and a Java archive (summaries); served as `app:1`.
fn server() -> (MiniServer, Vec<String>) {
    let root = crate::support::root();
    let read = |p: &str| std::fs::read(root.join(p)).unwrap();
    let file = |p: &str, f: &str| Item::RawFile(p.as_bytes().to_vec(), read(f));
    let img = Image::new(vec![
        BuiltLayer::new(
            &[
                file(
                    "etc/os-release",
                    "testdata/fixtures/os-release/alpine-3.18.os-release",
                ),
                file(
                    "lib/apk/db/installed",
                    "testdata/fixtures/apk/installed/alpine-base.installed",
                ),
            ],
            Comp::Gzip,
        ),
        BuiltLayer::new(
            &[
                file("usr/bin/go-app", "testdata/fixtures/elf/go/test.elf"),
                file(
                    "usr/bin/rust-app",
                    "testdata/fixtures/elf/rust/binary-with-audit-info",
                ),
                file("usr/share/java/jrt-fs.jar", "testdata/lang/jrt-fs.jar"),
            ],
            Comp::Zstd,
        ),
    ]);
    let mut l = OciLayout::default();
    let (desc, manifest) = l.image(&img);
    let blobs: BTreeMap<String, Vec<u8>> = l
        .files
        .0
        .iter()
        .filter_map(|(k, v)| {
            Some((
                format!("sha256:{}", k.strip_prefix("blobs/sha256/")?),
                v.clone(),
            ))
        })
        .collect();
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let layers = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    let media_type = desc["mediaType"].as_str().unwrap().to_string();
    let server = MiniServer::start(move |req, _| {
        let ok = |mt: &str, b: &[u8]| {
            Answer::Reply(200, vec![("Content-Type".into(), mt.into())], b.to_vec())
        };
        match req.path.as_str() {
            "/v2/" => ok("application/json", b"{}"),
            "/v2/app/manifests/1" => ok(&media_type, &manifest),
            p => match p.strip_prefix("/v2/app/blobs/").and_then(|d| blobs.get(d)) {
                Some(b) => ok("application/octet-stream", b),
                None => Answer::Reply(404, vec![], b"{}".to_vec()),
            },
        }
    });
    (server, layers)
}

/// The requests for blobs since `from`, by path.
fn blob_gets(server: &MiniServer, from: usize) -> Vec<String> {
    server.seen()[from..]
        .iter()
        .filter(|s| s.path.starts_with("/v2/app/blobs/"))
        .map(|s| s.path["/v2/app/blobs/".len()..].to_string())
        .collect()
}

/// `sbomkit generate -q registry:… -o FORMAT ARGS` with `cache` (or `--no-cache`); the document
/// (validated) and stderr.
fn scan(
    server: &MiniServer,
    format: &str,
    cache: Option<&Path>,
    args: &[&str],
) -> (Vec<u8>, String) {
    let mut cmd = sbomkit();
    cmd.args([
        "generate",
        &format!("registry:{}/app:1", server.host),
        "-o",
        format,
    ])
    .args(args);
    match cache {
        Some(dir) => cmd.arg("--cache-dir").arg(dir),
        None => cmd.arg("--no-cache"),
    };
    let out = run(&mut cmd, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    match format {
        "spdx-json" => schema::assert_valid_spdx(&doc),
        _ => schema::assert_valid_cyclonedx(&doc),
    }
    (out.stdout, out.stderr)
}

/// The cache entry files under `dir`.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walk(dir);
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flat_map(|e| {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p)
        } else {
            vec![p]
        }
    })
    .collect()
}

#[test]
fn a_warm_rescan_fetches_only_manifest_and_config_and_writes_the_same_bytes() {
    let (server, layers) = server();
    let t = crate::support::tempdir();
    let cache = t.path().join("cache");
    for (format, files) in [("spdx-json", &[][..]), ("cyclonedx-json", &["--files"][..])] {
        let from = server.seen().len();
        let (none, _) = scan(&server, format, None, files);
        let fetched = blob_gets(&server, from);
        for l in &layers {
            assert!(fetched.contains(l), "{fetched:?}");
        }
        let from = server.seen().len();
        let (cold, _) = scan(&server, format, Some(&cache), files);
        assert_eq!(blob_gets(&server, from).len(), 3, "config and two layers");
        let from = server.seen().len();
        let (warm, stderr) = scan(&server, format, Some(&cache), files);
        let warm_gets = blob_gets(&server, from);
        // The config alone: the layers come from the cache.
        assert_eq!(warm_gets.len(), 1, "{warm_gets:?}");
        assert!(!layers.contains(&warm_gets[0]));
        let paths: Vec<String> = server.seen()[from..]
            .iter()
            .map(|s| s.path.clone())
            .collect();
        assert_eq!(
            paths,
            [
                "/v2/",
                "/v2/app/manifests/1",
                &format!("/v2/app/blobs/{}", warm_gets[0])
            ],
        );
        assert!(!stderr.contains("cache"), "{stderr}");
        assert_eq!(
            String::from_utf8_lossy(&cold),
            String::from_utf8_lossy(&none)
        );
        assert_eq!(cold, warm, "{format}");
        // What the summaries gave is there: the Go and Rust binaries' modules, the jar.
        let text = String::from_utf8_lossy(&warm);
        for name in [
            "github.com/aquasecurity",
            "hello-world",
            "jrt-fs",
            "alpine-baselayout",
        ] {
            assert!(
                text.contains(name),
                "{name} missing from the {format} document"
            );
        }
    }
    // One entry per layer and per set of readers (with and without --files).
    assert_eq!(entries(&cache).len(), 4, "{:?}", entries(&cache));
    // The limits hold for cached layers as for fetched ones.
    for (flag, value) in [
        ("--max-entries", "4"),
        ("--max-decompressed-bytes", "100000"),
    ] {
        for cached in [false, true] {
            let mut cmd = sbomkit();
            cmd.args(["generate", &format!("registry:{}/app:1", server.host)])
                .args(["-o", "spdx-json", flag, value]);
            match cached {
                true => cmd.arg("--cache-dir").arg(&cache),
                false => cmd.arg("--no-cache"),
            };
            let out = run(&mut cmd, 1);
            assert!(out.stdout.is_empty());
            assert!(
                out.stderr.contains(&format!(
                    "exceeds the limit of {value} (raise it with {flag})"
                )),
                "{}",
                out.stderr
            );
        }
    }
}

#[test]
fn a_damaged_entry_is_reported_read_again_and_rewritten() {
    let (server, layers) = server();
    let t = crate::support::tempdir();
    let cache = t.path().join("cache");
    let (cold, _) = scan(&server, "spdx-json", Some(&cache), &[]);
    let files = entries(&cache);
    assert_eq!(files.len(), 2);
    let victim = &files[0];
    let blob = format!("sha256:{}", victim.file_name().unwrap().to_str().unwrap());
    assert!(layers.contains(&blob));
    let good = std::fs::read(victim).unwrap();
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 0x20;
    for damaged in [flipped, good[..good.len() / 3].to_vec()] {
        std::fs::write(victim, damaged).unwrap();
        let from = server.seen().len();
        let (again, stderr) = scan(&server, "spdx-json", Some(&cache), &[]);
        assert_eq!(again, cold);
        assert!(
            stderr.contains("layer cache entry ignored and rewritten")
                && stderr.contains("checksum mismatch")
                && stderr.contains(&victim.display().to_string()),
            "{stderr}"
        );
        assert!(blob_gets(&server, from).contains(&blob));
        assert_eq!(std::fs::read(victim).unwrap(), good, "rewritten");
        let from = server.seen().len();
        let (_, stderr) = scan(&server, "spdx-json", Some(&cache), &[]);
        assert!(!stderr.contains("cache"), "{stderr}");
        assert_eq!(blob_gets(&server, from).len(), 1);
    }
}

#[test]
fn two_scans_at_once_share_a_cold_cache() {
    let (server, _) = server();
    let t = crate::support::tempdir();
    let cache = t.path().join("cache");
    let (none, _) = scan(&server, "cyclonedx-json", None, &[]);
    let both: Vec<(Vec<u8>, String)> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| scan(&server, "cyclonedx-json", Some(&cache), &[])))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (doc, stderr) in &both {
        assert_eq!(*doc, none);
        assert!(!stderr.contains("cache"), "{stderr}");
    }
    // The cache is whole: a third scan takes every layer from it, without a warning.
    let from = server.seen().len();
    let (warm, stderr) = scan(&server, "cyclonedx-json", Some(&cache), &[]);
    assert_eq!(warm, none);
    assert!(!stderr.contains("cache"), "{stderr}");
    assert_eq!(blob_gets(&server, from).len(), 1);
    assert_eq!(entries(&cache).len(), 2, "{:?}", entries(&cache));
}

#[test]
fn the_cache_lives_where_xdg_the_home_folder_the_variable_or_the_config_file_say() {
    let (server, _) = server();
    let t = crate::support::tempdir();
    let source = format!("registry:{}/app:1", server.host);
    let scan_with = |env: &[(&str, &Path)], args: &[&str]| {
        let mut cmd = sbomkit();
        cmd.args(["generate", "-q", &source, "-o", "table"])
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd, 0);
    };
    let home = t.path().join("home");
    let xdg = t.path().join("xdg");
    scan_with(&[("HOME", &home)], &[]);
    assert_eq!(entries(&home.join(".cache/sbomkit/layers")).len(), 2);
    scan_with(&[("HOME", &home), ("XDG_CACHE_HOME", &xdg)], &[]);
    assert_eq!(entries(&xdg.join("sbomkit/layers")).len(), 2);
    let var = t.path().join("var");
    scan_with(&[("SBOMKIT_CACHE_DIR", &var)], &[]);
    assert_eq!(entries(&var).len(), 2);
    // --no-cache (or SBOMKIT_NO_CACHE, or the config file) neither reads nor writes.
    let off = t.path().join("off");
    scan_with(&[("HOME", &off)], &["--no-cache"]);
    let one = Path::new("1");
    scan_with(&[("HOME", &off), ("SBOMKIT_NO_CACHE", one)], &[]);
    let config = crate::support::write(t.path(), "c/sbomkit.yaml", b"no-cache: true\n");
    scan_with(&[("HOME", &off), ("SBOMKIT_CONFIG", &config)], &[]);
    assert!(!off.exists());
    // A relative cache-dir in the config file is relative to the file.
    let config = crate::support::write(t.path(), "d/sbomkit.yaml", b"cache-dir: here\n");
    scan_with(&[("SBOMKIT_CONFIG", &config)], &[]);
    assert_eq!(entries(&t.path().join("d/here")).len(), 2);
    // Without any of them, no cache: nothing to write to.
    let out = outcome(sbomkit().args(["generate", &source, "-o", "table"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("cache"), "{}", out.stderr);
}
