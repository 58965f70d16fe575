//! Hostile images, built here at test time: each case runs `sbomkit generate` as a user would, under a
//! 4 GiB address-space limit and a 60 s timeout, and asserts what happens: a clear error naming the
//! file (exit 1), or warnings plus the correct rest of the SBOM (exit 0). Never a panic, a crash or
//! a hang.

use crate::support::image;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use crate::support::{clean_env, write};
use image::{BuiltLayer, Comp, DockerArchive, Image, Item, OciLayout};

/// The address-space limit every case runs under (KiB, for `ulimit -v`).
const ADDRESS_SPACE_KIB: u64 = 4 << 20;
const TIMEOUT: Duration = Duration::from_secs(60);

const OS_RELEASE: &[u8] = b"ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n";
const APK_DB: &[u8] = b"P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nT:the musl c library\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\nT:Size optimized toolbox\n";

struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); stderr: {}",
                self.stderr.chars().take(2000).collect::<String>()
            )
        })
    }
    fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "stderr: {}", self.short_stderr());
        self
    }
    /// Exit 1 with exactly one error line naming `file` and containing `needle`.
    fn fails(&self, file: &str, needle: &str) -> &Self {
        assert_eq!(self.code, Some(1), "stderr: {}", self.short_stderr());
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning: "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "one error expected: {}",
            self.short_stderr()
        );
        assert!(
            errors[0].contains(file) && errors[0].contains(needle),
            "error should name {file} and say {needle:?}: {}",
            errors[0]
        );
        self
    }
    fn warns(&self, needles: &[&str]) -> &Self {
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with("warning: ") && needles.iter().all(|n| l.contains(n))),
            "no warning with {needles:?}: {}",
            self.short_stderr()
        );
        self
    }
    fn short_stderr(&self) -> String {
        self.stderr.chars().take(3000).collect()
    }
}

/// Runs `sbomkit generate ARGS -o cyclonedx-json -q`-less (warnings wanted) under the limits.
fn generate(args: &[&str]) -> Outcome {
    run_under_limits(None, args)
}

fn run_under_limits(measure: Option<&Path>, args: &[&str]) -> Outcome {
    run_command_under_limits(measure, "generate", args)
}

fn run_command_under_limits(measure: Option<&Path>, command: &str, args: &[&str]) -> Outcome {
    let bin = assert_cmd::cargo::cargo_bin("sbomkit");
    // `timeout` kills a hang; the limit applies to sbomkit (and the `time` measuring it).
    let mut script = format!(
        "ulimit -v {ADDRESS_SPACE_KIB} || exit 99; exec timeout -s KILL {} ",
        TIMEOUT.as_secs()
    );
    if let Some(out) = measure {
        script.push_str(&format!("/usr/bin/time -f %M -o '{}' ", out.display()));
    }
    script.push_str("\"$@\"");
    let mut cmd = Command::new("sh");
    clean_env(&mut cmd)
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(bin)
        .arg(command)
        .args(args)
        .timeout(TIMEOUT);
    let start = Instant::now();
    let out = cmd.output().expect("sbomkit runs");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "sbomkit panicked: {}",
        stderr.chars().take(3000).collect::<String>()
    );
    assert!(
        elapsed < TIMEOUT,
        "took {elapsed:?} (killed by the timeout?): {}",
        stderr.chars().take(3000).collect::<String>()
    );
    // A signal (no code) is a crash; 99 is the shell failing to set the limit.
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "exit {:?} (crash or kill): {}",
        out.status,
        stderr.chars().take(3000).collect::<String>()
    );
    Outcome {
        code: out.status.code(),
        stdout: out.stdout,
        stderr,
        elapsed,
    }
}

fn docker(items: &[Item]) -> Vec<u8> {
    let img = Image::new(vec![BuiltLayer::new(items, Comp::None)]);
    let mut a = DockerArchive::default();
    a.add(&img, &["hostile:1"]);
    a.files().to_tar()
}

fn component_names(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["components"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn cdx(path: &Path) -> String {
    path.display().to_string()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().to_path_buf())
        .collect();
    v.sort();
    v
}

#[test]
fn path_traversal_entries_land_inside_the_root_with_a_warning() {
    let t = tempfile::tempdir().unwrap();
    let inner = t.path().join("work");
    fs::create_dir(&inner).unwrap();
    let tar = docker(&[
        Item::RawFile(
            b"../../../../etc/passwd".to_vec(),
            b"root:x:0:0::/:/bin/sh\n".to_vec(),
        ),
        Item::RawFile(b"../../lib/apk/db/installed".to_vec(), APK_DB.to_vec()),
        Item::RawFile(b"/etc/os-release".to_vec(), OS_RELEASE.to_vec()),
    ]);
    let p = write(&inner, "trav.tar", &tar);
    let before = files_in(t.path());
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json"]);
    out.ok()
        .warns(&["trav.tar", "../../../../etc/passwd", "outside the root"]);
    // Nothing written anywhere: the scan extracts nothing.
    assert_eq!(files_in(t.path()), before);
    let doc = out.json();
    assert_eq!(component_names(&doc), ["alpine", "busybox", "musl"]);
}

#[test]
fn symlinks_out_of_the_root_resolve_inside_it() {
    let t = tempfile::tempdir().unwrap();
    // Links climbing out of the root land inside it: the image's own os-release is read, never the
    // host's (which exists at the same path with other content).
    let host = fs::read("/usr/lib/os-release").or_else(|_| fs::read("/etc/os-release"));
    let tar = docker(&[
        Item::Symlink("etc/os-release", "../../../../../../../usr/lib/os-release"),
        Item::File("usr/lib/os-release", OS_RELEASE),
        Item::File("lib/apk/db/installed", APK_DB),
        Item::Symlink("bin/sh", "/../../../../proc/self/environ"),
        Item::Symlink("etc/shadow", "/etc/../../../../../etc/shadow"),
    ]);
    let p = write(t.path(), "links.tar", &tar);
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json"]);
    let doc = out.ok().json();
    assert_eq!(component_names(&doc), ["alpine", "busybox", "musl"]);
    let os = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "operating-system")
        .expect("the image's OS");
    assert_eq!(os["version"], "3.18.4");
    if let Ok(host) = host {
        assert_ne!(host, OS_RELEASE);
    }
}

#[test]
fn symlink_loops_end_and_the_rest_is_catalogued() {
    let t = tempfile::tempdir().unwrap();
    let tar = docker(&[
        Item::File("etc/os-release", OS_RELEASE),
        Item::File("lib/apk/db/installed", APK_DB),
        Item::Symlink("a", "b"),
        Item::Symlink("b", "a"),
        Item::Symlink("self", "self"),
        Item::Symlink("usr/lib/os-release", "../../usr/lib/os-release"),
        Item::Symlink("var/lib/dpkg", "../../var/lib/dpkg/x/.."),
        Item::Symlink("deep", "deep/deep/deep/deep"),
        // An entry below a looping link: its parent never resolves.
        Item::File("a/inside", b"x"),
    ]);
    let p = write(t.path(), "loops.tar", &tar);
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json"]);
    out.ok().warns(&["loops.tar", "/a/inside"]);
    assert_eq!(component_names(&out.json()), ["alpine", "busybox", "musl"]);
}

#[test]
fn hard_links_to_missing_or_outside_targets_are_warnings() {
    let t = tempfile::tempdir().unwrap();
    let tar = docker(&[
        Item::File("etc/os-release", OS_RELEASE),
        Item::HardLink("lib/apk/db/installed", "../../../../etc/shadow"),
        Item::HardLink("bin/sh", "/nonexistent"),
        Item::File("usr/share/apk-db", APK_DB),
        Item::HardLink("etc/apk-db-link", "/../usr/share/apk-db"),
    ]);
    let p = write(t.path(), "hard.tar", &tar);
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json"]);
    out.ok()
        .warns(&[
            "hard.tar",
            "hard link /lib/apk/db/installed to missing /etc/shadow",
        ])
        .warns(&["hard.tar", "hard link /bin/sh to missing /nonexistent"]);
    // The database was never there: only the OS.
    assert_eq!(component_names(&out.json()), ["alpine"]);
}

#[test]
fn whiteouts_naming_dot_dot_are_ignored_with_a_warning() {
    let t = tempfile::tempdir().unwrap();
    let lower = BuiltLayer::new(
        &[
            Item::File("etc/os-release", OS_RELEASE),
            Item::File("lib/apk/db/installed", APK_DB),
        ],
        Comp::None,
    );
    // `.wh...` would name the parent of its folder: at the top, the root itself; `lib/apk/.wh...`
    // would name `lib`. Neither may hide the lower layer.
    let upper = BuiltLayer::new(
        &[
            Item::RawFile(b".wh...".to_vec(), Vec::new()),
            Item::RawFile(b"lib/apk/.wh...".to_vec(), Vec::new()),
            Item::RawFile(b"etc/.wh..".to_vec(), Vec::new()),
            Item::File("tmp/new", b"n"),
        ],
        Comp::None,
    );
    let mut a = DockerArchive::default();
    a.add(&Image::new(vec![lower, upper]), &["wh:1"]);
    let p = write(t.path(), "wh.tar", &a.files().to_tar());
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json"]);
    out.ok()
        .warns(&["wh.tar", "layer 1", "whiteout", "/.wh..."]);
    assert_eq!(component_names(&out.json()), ["alpine", "busybox", "musl"]);
}

/// Streams a layer tar of `n` empty files to `w`, headers written by hand (fast even unoptimised).
fn write_tar_bomb(w: &mut impl Write, n: u64) {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_mtime(0);
    for i in 0..n {
        let name = format!("d{}/f{i}", i % 1000);
        h.set_path(&name).unwrap();
        h.set_cksum();
        w.write_all(h.as_bytes()).unwrap();
    }
    w.write_all(&[0u8; 1024]).unwrap();
}

/// A `docker save` archive of one plain layer holding `n` entries, streamed to `path`.
fn tar_bomb_image(path: &Path, n: u64) {
    let mut layer = tempfile::NamedTempFile::new_in(path.parent().unwrap()).unwrap();
    {
        let mut w = std::io::BufWriter::new(layer.as_file_mut());
        write_tar_bomb(&mut w, n);
        w.flush().unwrap();
    }
    let layer_bytes_len = layer.as_file().metadata().unwrap().len();
    let diff = {
        use sha2::Digest;
        let mut f = fs::File::open(layer.path()).unwrap();
        let mut h = sha2::Sha256::new();
        std::io::copy(&mut f, &mut h).unwrap();
        format!("sha256:{}", hex::encode(h.finalize()))
    };
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let config_name = format!("{}.json", image::sha256_hex(&config));
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": ["bomb:1"], "Layers": ["l/layer.tar"]}
    ]))
    .unwrap();
    let out = fs::File::create(path).unwrap();
    let mut b = tar::Builder::new(std::io::BufWriter::new(out));
    let mut add = |name: &str, size: u64, r: &mut dyn std::io::Read| {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, r).unwrap();
    };
    add(
        "manifest.json",
        manifest.len() as u64,
        &mut manifest.as_slice(),
    );
    add(&config_name, config.len() as u64, &mut config.as_slice());
    let mut lf = fs::File::open(layer.path()).unwrap();
    add("l/layer.tar", layer_bytes_len, &mut lf);
    b.into_inner().unwrap().flush().unwrap();
}

/// Entries of the tar bomb: enough to show memory and time stay bounded at the default limits.
const TAR_BOMB_ENTRIES: u64 = 200_000;

#[test]
fn tar_bomb_is_streamed_and_refused_by_max_entries() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("tarbomb.tar");
    tar_bomb_image(&p, TAR_BOMB_ENTRIES);
    // Lowered limit: a clear error naming the file, the layer and the flag.
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json", "--max-entries", "50000"]);
    out.fails("tarbomb.tar", "--max-entries");
    assert!(
        out.stderr.contains("the number of archive entries"),
        "{}",
        out.stderr
    );
    // Default limits: read whole, in bounded memory and time; nothing catalogued, no error.
    let mem = t.path().join("mem");
    let out = run_under_limits(
        time_available().then_some(mem.as_path()),
        &[&cdx(&p), "-o", "cyclonedx-json"],
    );
    out.ok();
    assert_eq!(component_names(&out.json()), Vec::<String>::new());
    if let Some(kib) = peak_kib(&mem) {
        eprintln!(
            "tar bomb of {TAR_BOMB_ENTRIES} entries: peak RSS {} MiB in {:?}",
            kib >> 10,
            out.elapsed
        );
        assert!(kib < 1 << 20, "peak RSS {kib} KiB");
    }
}

fn time_available() -> bool {
    Path::new("/usr/bin/time").exists()
}

fn peak_kib(file: &Path) -> Option<u64> {
    let text = fs::read_to_string(file).ok()?;
    text.lines().last()?.trim().parse().ok()
}

/// A gzip layer that inflates to `gib` GiB: one member holding a tar header for a file of that
/// size, then the same small member of zeros (1 GiB each, ~1 MiB stored) repeated. Streamed to
/// `path`; never held in memory.
pub(crate) fn gzip_bomb_image(path: &Path, gib: u64) -> u64 {
    use flate2::write::GzEncoder;
    let size = gib << 30;
    let mut head = tar::Header::new_gnu();
    head.set_entry_type(tar::EntryType::Regular);
    head.set_path("zeros").unwrap();
    head.set_size(size);
    head.set_mode(0o644);
    head.set_cksum();
    let first = {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(head.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let zeros = {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            e.write_all(&chunk).unwrap();
        }
        e.finish().unwrap()
    };
    // The layer: header, the file's zeros, then the end-of-archive blocks (zeros too).
    let stored_len = first.len() as u64 + zeros.len() as u64 * (gib + 1);
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#;
    let config_name = format!("{}.json", image::sha256_hex(config));
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["gzbomb:1"],"Layers":["l/layer.tar.gz"]}}]"#
    );
    let out = fs::File::create(path).unwrap();
    let mut b = tar::Builder::new(std::io::BufWriter::new(out));
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(manifest.len() as u64);
    b.append_data(&mut h, "manifest.json", manifest.as_bytes())
        .unwrap();
    h.set_size(config.len() as u64);
    b.append_data(&mut h, &config_name, config.as_slice())
        .unwrap();
    h.set_size(stored_len);
    let blob = std::io::Cursor::new(first).chain(RepeatReader {
        block: zeros,
        left: gib + 1,
        at: 0,
    });
    b.append_data(&mut h, "l/layer.tar.gz", blob).unwrap();
    b.into_inner().unwrap().flush().unwrap();
    stored_len
}

use std::io::Read;

struct RepeatReader {
    block: Vec<u8>,
    left: u64,
    at: usize,
}

impl Read for RepeatReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let rest = &self.block[self.at..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        if self.at == self.block.len() {
            self.at = 0;
            self.left -= 1;
        }
        Ok(n)
    }
}

#[test]
fn decompression_bomb_is_refused_by_max_decompressed_bytes_in_bounded_memory() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("gzbomb.tar");
    let stored = gzip_bomb_image(&p, 32);
    assert!(stored < 64 << 20, "the bomb is small: {stored} bytes");
    let mem = t.path().join("mem");
    let out = run_under_limits(
        time_available().then_some(mem.as_path()),
        &[
            &cdx(&p),
            "-o",
            "cyclonedx-json",
            "--max-decompressed-bytes",
            "1073741824",
        ],
    );
    out.fails("gzbomb.tar", "--max-decompressed-bytes");
    assert!(out.stderr.contains("layer"), "{}", out.stderr);
    if let Some(kib) = peak_kib(&mem) {
        eprintln!(
            "gzip bomb (32 GiB from {} MiB), refused after 1 GiB: peak RSS {} MiB in {:?}",
            stored >> 20,
            kib >> 10,
            out.elapsed
        );
        assert!(kib < 256 << 10, "peak RSS {kib} KiB");
    }
}

#[test]
fn a_file_claiming_more_bytes_than_the_archive_holds_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let mut layer = image::layer_tar(&[Item::File("etc/os-release", OS_RELEASE)]);
    // Rewrite the header's size to 1 GiB (octal), with a valid checksum.
    let mut h = tar::Header::from_byte_slice(&layer[..512]).clone();
    h.set_size(1 << 30);
    h.set_cksum();
    layer[..512].copy_from_slice(h.as_bytes());
    let img = Image::new(vec![BuiltLayer {
        stored: layer.clone(),
        tar: layer,
        comp: Comp::None,
    }]);
    let mut a = DockerArchive::default();
    a.add(&img, &["big:1"]);
    let p = write(t.path(), "claims.tar", &a.files().to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("claims.tar", "etc/os-release");
    // The same as the whole outer archive's last entry.
    let mut outer = image::layer_tar(&[Item::File("manifest.json", b"[]")]);
    let mut h = tar::Header::from_byte_slice(&outer[..512]).clone();
    h.set_size(1 << 40);
    h.set_cksum();
    outer[..512].copy_from_slice(h.as_bytes());
    let p = write(t.path(), "claims-outer.tar", &outer);
    generate(&[
        &format!("docker-archive:{}", cdx(&p)),
        "-o",
        "cyclonedx-json",
    ])
    .fails("claims-outer.tar", "manifest.json");
}

fn small_image() -> Vec<u8> {
    docker(&[
        Item::File("etc/os-release", OS_RELEASE),
        Item::File("lib/apk/db/installed", APK_DB),
    ])
}

#[test]
fn truncated_archives_at_every_block_boundary() {
    let t = tempfile::tempdir().unwrap();
    let full = small_image();
    let whole = write(t.path(), "whole.tar", &full);
    let reference = generate(&[&cdx(&whole), "-o", "cyclonedx-json"]);
    reference.ok();
    let (mut ok, mut failed) = (0, 0);
    for cut in (0..full.len()).step_by(512) {
        let p = write(t.path(), "cut.tar", &full[..cut]);
        let out = generate(&[
            &format!("docker-archive:{}", cdx(&p)),
            "-o",
            "cyclonedx-json",
        ]);
        if out.code == Some(0) {
            // Only the end-of-archive blocks were cut: the same document.
            assert_eq!(out.stdout, reference.stdout, "cut at {cut}");
            ok += 1;
        } else {
            out.fails("cut.tar", "");
            failed += 1;
        }
    }
    assert!(failed > 10, "{failed} failures, {ok} complete");
    // And inside a gzip-compressed archive, at odd offsets.
    let gz = image::gzip(&full);
    for cut in (10..gz.len()).step_by(97) {
        let p = write(t.path(), "cut.tar.gz", &gz[..cut]);
        generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("cut.tar.gz", "");
    }
}

fn oci_archive(img: &Image) -> (OciLayout, Value) {
    let mut layout = OciLayout::default();
    let (d, _) = layout.platform_image(img);
    layout.index.push(d.clone());
    (layout, d)
}

#[test]
fn manifests_with_wrong_digests_or_missing_layers() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![BuiltLayer::new(
        &[Item::File("etc/os-release", OS_RELEASE)],
        Comp::Gzip,
    )]);
    // A layer blob whose bytes do not match its name.
    let (mut layout, _) = oci_archive(&img);
    let layer_name = layout
        .files
        .0
        .iter()
        .find(|(_, v)| v.starts_with(&[0x1f, 0x8b]))
        .map(|(k, _)| k.clone())
        .unwrap();
    let other = BuiltLayer::new(&[Item::File("etc/os-release", b"ID=evil\n")], Comp::Gzip);
    layout.files.0.insert(layer_name.clone(), other.stored);
    let p = write(t.path(), "wrong-digest.tar", &layout.files().to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("wrong-digest.tar", "digest mismatch");
    // A missing layer blob.
    let (mut layout, _) = oci_archive(&img);
    layout.files.0.remove(&layer_name);
    let p = write(t.path(), "missing-layer.tar", &layout.files().to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("missing-layer.tar", "missing");
    // docker save: a layer listed in manifest.json that is not in the archive.
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let mut files = a.files();
    let name = files
        .0
        .keys()
        .find(|k| k.ends_with("layer.tar"))
        .cloned()
        .unwrap();
    files.0.remove(&name);
    let p = write(t.path(), "missing-docker-layer.tar", &files.to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("missing-docker-layer.tar", "missing");
}

#[test]
fn huge_deep_and_duplicate_key_json() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![BuiltLayer::new(
        &[Item::File("etc/os-release", OS_RELEASE)],
        Comp::None,
    )]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    // manifest.json over the default --max-json-size (64 MiB): only hashed, then refused.
    let mut files = a.files();
    let mut huge = b"[{\"Config\":\"x\",\"Layers\":[],\"RepoTags\":[\"".to_vec();
    huge.resize(huge.len() + (65 << 20), b'a');
    huge.extend_from_slice(b"\"]}]");
    files.0.insert("manifest.json".into(), huge);
    let p = write(t.path(), "huge.tar", &files.to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("huge.tar", "--max-json-size");
    // Deeply nested: serde's recursion limit, not the stack.
    let mut files = a.files();
    let mut deep = "[".repeat(1_000_000);
    deep.push_str(&"]".repeat(1_000_000));
    files.0.insert("manifest.json".into(), deep.into_bytes());
    let p = write(t.path(), "deep.tar", &files.to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("deep.tar", "manifest.json");
    // Duplicate keys in the manifest and the config are refused, not resolved either way.
    let mut files = a.files();
    let m: Value = serde_json::from_slice(&files.0["manifest.json"]).unwrap();
    let config = m[0]["Config"].as_str().unwrap().to_string();
    let text = String::from_utf8(files.0["manifest.json"].clone()).unwrap();
    let dup = text.replacen("{\"Config\":", "{\"Config\":\"other.json\",\"Config\":", 1);
    assert_ne!(dup, text);
    files.0.insert("manifest.json".into(), dup.into_bytes());
    let p = write(t.path(), "dup-manifest.tar", &files.to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("dup-manifest.tar", "duplicate");
    let _ = config;
    let mut layout = OciLayout::default();
    let (d, _) = layout.image(&img);
    let mut files = layout.files();
    let index = serde_json::to_string(&serde_json::json!({
        "schemaVersion": 2, "manifests": [d.clone()],
    }))
    .unwrap();
    let evil = serde_json::to_string(&serde_json::json!([d])).unwrap();
    let dup = index.replacen(
        "\"manifests\":",
        &format!("\"manifests\":{evil},\"manifests\":"),
        1,
    );
    files.0.insert("index.json".into(), dup.into_bytes());
    let p = write(t.path(), "dup-index.tar", &files.to_tar());
    generate(&[&cdx(&p), "-o", "cyclonedx-json"]).fails("dup-index.tar", "duplicate");
}

fn root_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for (p, c) in files {
        let p = t.path().join("root").join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, c).unwrap();
    }
    t
}

fn garbage(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        })
        .collect()
}

#[test]
fn apk_database_with_garbage_long_lines_missing_fields_and_duplicates() {
    let mut db = APK_DB.to_vec();
    db.extend_from_slice(b"\n");
    db.extend_from_slice(&garbage(1 << 20, 7));
    db.extend_from_slice(b"\n\nP:nover\nA:x86_64\n\nP:zlib\nV:1.3-r0\nT:");
    db.extend(std::iter::repeat_n(b'x', 8 << 20));
    db.extend_from_slice(b"\n\nP:musl\nV:1.2.4-r2\nA:x86_64\n\n");
    let t = root_with(&[
        ("etc/os-release", OS_RELEASE),
        ("lib/apk/db/installed", &db),
    ]);
    let root = t.path().join("root");
    let out = generate(&[&format!("dir:{}", cdx(&root)), "-o", "cyclonedx-json"]);
    out.ok()
        .warns(&["lib/apk/db/installed:", "not a `K:value` line"])
        .warns(&["lib/apk/db/installed:", "more problems not listed"])
        .warns(&["lib/apk/db/installed:", "package musl listed again"]);
    assert_eq!(
        component_names(&out.json()),
        ["alpine", "busybox", "musl", "zlib"]
    );
    // One warning per bad line would let a small file flood the output: they are capped.
    let n = out.stderr.lines().count();
    assert!(n < 200, "{n} lines on stderr");
}

#[test]
fn dpkg_status_with_garbage_long_lines_missing_fields_and_duplicates() {
    let mut st = b"Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n".to_vec();
    st.extend_from_slice(&garbage(1 << 20, 11));
    st.extend_from_slice(b"\n\nPackage: nover\nStatus: install ok installed\n\nPackage: long\nStatus: install ok installed\nVersion: 1.0\nDescription: ");
    st.extend(std::iter::repeat_n(b'y', 8 << 20));
    st.extend_from_slice(b"\n\nPackage: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n");
    let t = root_with(&[
        ("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
        ("var/lib/dpkg/status", &st),
    ]);
    let root = t.path().join("root");
    let out = generate(&[&format!("dir:{}", cdx(&root)), "-o", "cyclonedx-json"]);
    out.ok()
        .warns(&["var/lib/dpkg/status:", "without Package: or Version:"]);
    assert_eq!(
        component_names(&out.json()),
        ["base-files", "debian", "long"]
    );
    let n = out.stderr.lines().count();
    assert!(n < 200, "{n} lines on stderr");
}

#[test]
fn non_utf8_and_4k_names_are_kept_exactly_and_escaped() {
    let t = tempfile::tempdir().unwrap();
    let elf = fs::read("testdata/binaries/c/plain").unwrap();
    let long: String = (0..17)
        .map(|i| format!("{}{}", i % 10, "d".repeat(250)))
        .collect::<Vec<_>>()
        .join("/");
    let long_path = format!("{long}/tool");
    assert!(long_path.len() >= 4096);
    // Raw bytes go straight into the header for short names; the long one uses GNU long names.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o755);
    h.set_size(elf.len() as u64);
    {
        let name = b"usr/bin/caf\xe9\\n";
        let field = &mut h.as_gnu_mut().unwrap().name;
        field[..name.len()].copy_from_slice(name);
        h.set_cksum();
        b.append(&h, elf.as_slice()).unwrap();
    }
    let mut h2 = tar::Header::new_gnu();
    h2.set_mode(0o755);
    h2.set_size(elf.len() as u64);
    b.append_data(&mut h2, &long_path, elf.as_slice()).unwrap();
    let layer = b.into_inner().unwrap();
    let img = Image::new(vec![BuiltLayer {
        stored: layer.clone(),
        tar: layer,
        comp: Comp::None,
    }]);
    let mut a = DockerArchive::default();
    a.add(&img, &["names:1"]);
    let p = write(t.path(), "names.tar", &a.files().to_tar());
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json"]);
    let doc = out.ok().json();
    let text = serde_json::to_string(&doc).unwrap();
    // Not UTF-8: the byte escaped as \xe9 and the backslash doubled, so the original is recoverable.
    assert!(text.contains(r"/usr/bin/caf\\xe9\\\\n"), "{text}");
    assert!(
        text.contains(&format!("/{long_path}")),
        "4 KiB path missing"
    );
}

#[test]
fn a_file_to_parse_over_max_file_size_is_an_error_naming_it() {
    let t = root_with(&[
        ("etc/os-release", OS_RELEASE),
        ("lib/apk/db/installed", APK_DB),
    ]);
    let root = t.path().join("root");
    let dir = format!("dir:{}", cdx(&root));
    let out_file = t.path().join("out.json");
    let out = generate(&[
        &dir,
        "--max-file-size",
        "100",
        "-o",
        &format!("cyclonedx-json={}", out_file.display()),
    ]);
    out.fails("/lib/apk/db/installed", "--max-file-size");
    assert!(!out_file.exists(), "no output on a limit error");
    // The same database within the limit is catalogued.
    let out = generate(&[&dir, "--max-file-size", "1000", "-o", "cyclonedx-json"]);
    assert_eq!(
        component_names(&out.ok().json()),
        ["alpine", "busybox", "musl"]
    );
}

#[test]
fn a_database_reached_only_through_a_linked_folder_is_a_warning_not_a_silent_gap() {
    let t = root_with(&[
        ("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
        (
            "opt/dpkgdb/status",
            b"Package: tar\nStatus: install ok installed\nVersion: 1.34\nArchitecture: amd64\n\n",
        ),
        ("opt/apkdb/installed", APK_DB),
    ]);
    let root = t.path().join("root");
    // The databases' own folders are links: content is kept by stored path while layers stream.
    fs::create_dir_all(root.join("lib/apk")).unwrap();
    fs::create_dir_all(root.join("var/lib")).unwrap();
    std::os::unix::fs::symlink("../../opt/dpkgdb", root.join("var/lib/dpkg")).unwrap();
    std::os::unix::fs::symlink("../../opt/apkdb", root.join("lib/apk/db")).unwrap();
    let out = generate(&[&format!("dir:{}", cdx(&root)), "-o", "cyclonedx-json"]);
    out.ok()
        .warns(&[
            "/var/lib/dpkg/status: dpkg database leads through a link to /opt/dpkgdb/status",
            "not catalogued",
        ])
        .warns(&[
            "/lib/apk/db/installed: APK database leads through a link to /opt/apkdb/installed",
        ]);
    assert_eq!(component_names(&out.json()), ["debian"]);
}

/// RPM databases of each backend with garbage pages: warnings (capped), what is intact read, no
/// hang; a file of garbage at a database path is a warning and an unknown.
#[test]
fn rpm_databases_with_garbage_pages() {
    let built = |rel: &str| fs::read(format!("testdata/fixtures/rpm/built/{rel}")).unwrap();
    // Page 2 onwards of the Berkeley DB copy overwritten; the ndb slots after the first cleared to
    // point into garbage; an SQLite file of 1 MiB of garbage after its real header.
    let mut bdb = built("bdb/Packages");
    let g = garbage(bdb.len() - 8192, 3);
    bdb[8192..].copy_from_slice(&g);
    let mut ndb = built("ndb/Packages.db");
    for s in (48..4096).step_by(16) {
        ndb[s + 8..s + 16].copy_from_slice(&garbage(8, s as u32));
    }
    let mut sqlite = built("sqlite/rpmdb.sqlite")[..100].to_vec();
    sqlite.extend_from_slice(&garbage(1 << 20, 5));
    let cases: [(&str, &[u8]); 3] = [
        ("var/lib/rpm/Packages", &bdb),
        ("usr/share/rpm/Packages.db", &ndb),
        ("usr/lib/sysimage/rpm/rpmdb.sqlite", &sqlite),
    ];
    for (path, db) in cases {
        let t = root_with(&[
            ("etc/os-release", b"ID=fedora\nVERSION_ID=40\n"),
            (path, db),
        ]);
        let root = t.path().join("root");
        let out = generate(&[&format!("dir:{}", cdx(&root)), "-o", "cyclonedx-json"]);
        let out = out.ok().warns(&[path]);
        let n = out.stderr.lines().count();
        assert!(n < 60, "{path}: {n} lines on stderr");
        let names = component_names(&out.json());
        assert!(
            names.iter().all(|n| n == "fedora" || n.starts_with("sbk-")),
            "{names:?}"
        );
    }
}

/// `audit` on an image whose `/etc/passwd` is a 1 GiB sparse file (GNU tar `--sparse`) and whose
/// `/bin/sh` and `/bin/sh2` link to each other: warnings, bounded memory, the rest of the report.
#[test]
fn audit_bounds_a_huge_passwd_and_survives_looping_shell_links() {
    let t = crate::support::tempdir();
    let root = t.path().join("root");
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("bin")).unwrap();
    let passwd = fs::File::create(root.join("etc/passwd")).unwrap();
    passwd.set_len(1 << 30).unwrap();
    (&passwd)
        .write_all(b"root:x:0:0:root:/root:/bin/sh\n")
        .unwrap();
    std::os::unix::fs::symlink("sh2", root.join("bin/sh")).unwrap();
    std::os::unix::fs::symlink("sh", root.join("bin/sh2")).unwrap();
    let layer = t.path().join("layer.tar");
    let status = std::process::Command::new("tar")
        .args(["--sparse", "--sort=name", "-cf"])
        .arg(&layer)
        .arg("-C")
        .arg(&root)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    let tar = fs::read(&layer).unwrap();
    assert!(
        tar.len() < 1 << 20,
        "the layer is sparse: {} bytes",
        tar.len()
    );
    let img = Image::new(vec![BuiltLayer {
        stored: tar.clone(),
        tar,
        comp: Comp::None,
    }]);
    let mut a = DockerArchive::default();
    a.add(&img, &["hostile:1"]);
    let archive = write(t.path(), "img.tar", &a.files().to_tar());
    let out = run_command_under_limits(
        None,
        "audit",
        &[archive.to_str().unwrap(), "--output", "json"],
    );
    out.ok();
    let report = out.json();
    assert!(
        out.stderr.contains(
            "/etc/passwd: 1073741824 bytes, over the 1048576 read for user names: not read"
        ),
        "{}",
        out.short_stderr()
    );
    for link in ["/bin/sh", "/bin/sh2"] {
        assert!(
            out.stderr
                .contains(&format!("{link}: a link that does not resolve")),
            "{}",
            out.short_stderr()
        );
    }
    assert_eq!(report["counts"]["shell"], 0);
    // No User: root, whatever passwd would have said.
    assert_eq!(report["user"]["root"], true);
    assert!(crate::support::schema::posture_errors(&report).is_empty());
}
