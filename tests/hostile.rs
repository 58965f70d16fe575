//! Hostile images, built here at test time: each case runs `sbomkit generate` as a user would, under a
//! 4 GiB address-space limit and a 60 s timeout, and asserts what happens: a clear error naming the
//! file (exit 1), or warnings plus the correct rest of the SBOM (exit 0). Never a panic, a crash or
//! a hang.

#[path = "support/image.rs"]
mod image;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

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
        assert_eq!(errors.len(), 1, "one error expected: {}", self.short_stderr());
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
    let bin = assert_cmd::cargo::cargo_bin("sbomkit");
    let mut script = format!("ulimit -v {ADDRESS_SPACE_KIB} || exit 99; exec ");
    if let Some(out) = measure {
        script.push_str(&format!("/usr/bin/time -f %M -o '{}' ", out.display()));
    }
    script.push_str("\"$@\"");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg("sh")
        .arg(bin)
        .arg("generate")
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
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

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
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
        Item::RawFile(b"../../../../etc/passwd".to_vec(), b"root:x:0:0::/:/bin/sh\n".to_vec()),
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
        .warns(&["hard.tar", "hard link /lib/apk/db/installed to missing /etc/shadow"])
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
    out.ok().warns(&["wh.tar", "layer 1", "whiteout", "/.wh..."]);
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
    add("manifest.json", manifest.len() as u64, &mut manifest.as_slice());
    add(&config_name, config.len() as u64, &mut config.as_slice());
    let mut lf = fs::File::open(layer.path()).unwrap();
    add("l/layer.tar", layer_bytes_len, &mut lf);
    b.into_inner().unwrap().flush().unwrap();
}

/// Entries of the tar bomb: enough to show memory and time stay bounded at the default limits.
const TAR_BOMB_ENTRIES: u64 = 300_000;

#[test]
fn tar_bomb_is_streamed_and_refused_by_max_entries() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("tarbomb.tar");
    tar_bomb_image(&p, TAR_BOMB_ENTRIES);
    // Lowered limit: a clear error naming the file, the layer and the flag.
    let out = generate(&[&cdx(&p), "-o", "cyclonedx-json", "--max-entries", "100000"]);
    out.fails("tarbomb.tar", "--max-entries");
    assert!(out.stderr.contains("the number of archive entries"), "{}", out.stderr);
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
