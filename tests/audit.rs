//! `sbomkit audit` on images built by `testdata/posture/build.py` from real files and on the bundled
//! Alpine image. Expected findings come from outside sbomkit: the layers unpacked by GNU tar and
//! searched with `find -perm`, GNU tar's own listing (owners, link targets), `getcap`'s output
//! recorded when the images were built, `openssl pkey` and `ssh-keygen` on every candidate key
//! file, and the image config JSON. Every report is validated against its schema and its fields
//! against docs/reports.md.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

use crate::support::{self, run, sbomkit, schema, tempdir};

fn fixture(name: &str) -> PathBuf {
    support::root().join("testdata").join(name)
}

/// `audit --output json` with `args`, exiting `code`; the report is schema-checked and its fields
/// checked against the documentation.
fn audit(source: &Path, args: &[&str], code: i32) -> (Value, String) {
    let out = run(
        sbomkit()
            .arg("audit")
            .arg(source)
            .args(["--output", "json"])
            .args(args),
        code,
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is JSON");
    let errors = schema::posture_errors(&report);
    assert!(errors.is_empty(), "schema: {errors:#?}");
    let (documented, maps) = documented_fields();
    let mut paths = BTreeSet::new();
    crate::options::field_paths(&report, "", &maps, &mut paths);
    let undocumented: Vec<_> = paths.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/reports.md: {undocumented:?}"
    );
    (report, out.stderr)
}

fn documented_fields() -> (BTreeSet<String>, Vec<String>) {
    let tables = crate::options::documented("## audit");
    assert_eq!(tables.len(), 1, "one table under ## audit");
    tables.into_iter().next().unwrap()
}

/// The docker archive's config JSON and its layers unpacked in order into one root by GNU tar,
/// with their modes; and GNU tar's verbose listing of every layer.
struct Unpacked {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: Value,
    listing: String,
}

fn sh(cmd: &mut Process) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn unpack(archive: &Path) -> Unpacked {
    let dir = tempdir();
    let outer = dir.path().join("outer");
    let root = dir.path().join("root");
    fs::create_dir_all(&outer).unwrap();
    fs::create_dir_all(&root).unwrap();
    sh(Process::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(&outer));
    let manifest: Value =
        serde_json::from_slice(&fs::read(outer.join("manifest.json")).unwrap()).unwrap();
    let config: Value = serde_json::from_slice(
        &fs::read(outer.join(manifest[0]["Config"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let mut listing = String::new();
    for layer in manifest[0]["Layers"].as_array().unwrap() {
        let layer = outer.join(layer.as_str().unwrap());
        sh(Process::new("tar")
            .args(["-xpf"])
            .arg(&layer)
            .args(["--no-same-owner", "-C"])
            .arg(&root));
        listing += &sh(Process::new("tar")
            .args(["--numeric-owner", "-tvf"])
            .arg(&layer));
    }
    Unpacked {
        _dir: dir,
        root,
        config,
        listing,
    }
}

impl Unpacked {
    /// `find ROOT EXPR... -printf /%P\n`, sorted.
    fn find(&self, expr: &[&str]) -> BTreeSet<String> {
        sh(Process::new("find")
            .arg(&self.root)
            .args(["-mindepth", "1", "("])
            .args(expr)
            .args([")", "-printf", "/%P\n"]))
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// GNU tar's `uid/gid` column for `path` (absolute), from the last layer that lists it.
    fn owner(&self, path: &str) -> String {
        self.listing
            .lines()
            .rev()
            .find(|l| l.ends_with(&format!(" {}", &path[1..])))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("{path} not in the listing"))
            .to_string()
    }
}

fn paths_of(report: &Value, rule: &str) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect()
}

fn finding<'a>(report: &'a Value, rule: &str, path: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["path"] == path)
        .unwrap_or_else(|| panic!("no {rule} finding for {path}"))
}

#[test]
fn setuid_world_writable_and_capabilities_match_find_tar_and_getcap() {
    let image = fixture("posture/setuid-caps.tar.gz");
    let (report, stderr) = audit(&image, &[], 0);
    let u = unpack(&image);

    let setuid = u.find(&["-type", "f", "-perm", "/6000"]);
    assert_eq!(setuid.len(), 2, "{setuid:?}");
    assert_eq!(paths_of(&report, "setuid"), setuid);
    for path in &setuid {
        let f = finding(&report, "setuid", path);
        let owner = format!("{}/{}", f["owner"]["uid"], f["owner"]["gid"]);
        assert_eq!(owner, u.owner(path), "{path}");
        assert_eq!(f["layer"], 1, "{path}");
    }
    // gid 42 is `shadow` in the Alpine group file the image carries.
    let sg = finding(&report, "setuid", "/usr/bin/sg-plain");
    assert_eq!(sg["owner"]["group"], "shadow");

    let writable = u.find(&[
        "(", "-type", "f", "-perm", "-o+w", ")", "-o", "(", "-type", "d", "-perm", "-o+w", "!",
        "-perm", "-1000", ")",
    ]);
    assert_eq!(writable.len(), 2, "{writable:?}");
    assert_eq!(paths_of(&report, "world-writable"), writable);
    // /tmp is world-writable with the sticky bit: not a finding.
    assert_eq!(
        u.find(&["-type", "d", "-perm", "-1777"]),
        BTreeSet::from(["/tmp".to_string()])
    );

    // What getcap printed for the attribute setcap wrote, when the image was built.
    let getcap = fs::read_to_string(fixture("posture/getcap.txt")).unwrap();
    let mut expected = BTreeSet::new();
    for line in getcap.lines() {
        let (path, caps) = line.split_once(' ').unwrap();
        let f = finding(&report, "capabilities", path);
        assert_eq!(f["detail"], caps, "{path}");
        let names: Vec<&str> = caps.split('=').next().unwrap().split(',').collect();
        let mut got: Vec<&str> = f["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        got.sort();
        let mut want = names.clone();
        want.sort();
        assert_eq!(got, want, "{path}");
        expected.insert(path.to_string());
    }
    assert_eq!(paths_of(&report, "capabilities"), expected);
    // The garbage attribute is a warning, not a finding.
    assert!(
        stderr.contains("/usr/bin/garbage-caps: security.capability is not a capability set"),
        "{stderr}"
    );

    // Looping links to /bin/sh: warnings, no shell.
    assert!(paths_of(&report, "shell").is_empty());
    assert!(
        stderr.contains("/bin/sh: a link that does not resolve"),
        "{stderr}"
    );

    // The config: root (no User), secret-named variables by name only, ports, entrypoint.
    let config = &u.config["config"];
    assert!(config.get("User").is_none());
    assert_eq!(report["user"]["root"], true);
    let env: Vec<&str> = config["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let names: Vec<&str> = env.iter().map(|e| e.split('=').next().unwrap()).collect();
    assert_eq!(report["config"]["env"], serde_json::json!(names));
    let secrets: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "secret-env")
        .map(|f| f["detail"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, ["Env API_TOKEN", "Env DB_PASSWORD"]);
    let text = String::from_utf8(serde_json::to_vec(&report).unwrap()).unwrap() + &stderr;
    for e in &env {
        let value = e.split_once('=').unwrap().1;
        assert!(!text.contains(value), "the value of {e} is printed");
    }
    let mut ports: Vec<&String> = config["ExposedPorts"].as_object().unwrap().keys().collect();
    ports.sort();
    assert_eq!(report["config"]["exposedPorts"], serde_json::json!(ports));
    assert_eq!(report["config"]["entrypoint"], config["Entrypoint"]);
    assert_eq!(
        report["config"]["baseImage"]["name"],
        config["Labels"]["org.opencontainers.image.base.name"]
    );
    assert_eq!(report["config"]["created"], u.config["created"]);
    assert_eq!(report["layers"].as_array().unwrap().len(), 2);
}

#[test]
fn private_keys_are_what_openssl_and_ssh_keygen_accept() {
    let image = fixture("posture/setuid-caps.tar.gz");
    let (report, _) = audit(&image, &[], 0);
    let u = unpack(&image);
    // Every file naming a private-key header, then the tools' verdict on each.
    let candidates = sh(Process::new("grep")
        .args(["-rlZ", "PRIVATE KEY"])
        .arg(&u.root));
    let mut keys = BTreeSet::new();
    let mut not_keys = BTreeSet::new();
    for file in candidates.split('\0').filter(|f| !f.is_empty()) {
        let shown = format!(
            "/{}",
            Path::new(file).strip_prefix(&u.root).unwrap().display()
        );
        let openssl = Process::new("openssl")
            .args(["pkey", "-noout", "-in", file])
            .output()
            .expect("openssl runs");
        let ssh = Process::new("ssh-keygen")
            .args(["-y", "-P", "", "-f", file])
            .output();
        let ssh_ok = match ssh {
            Ok(o) => o.status.success(),
            Err(_) if fs::read(file).unwrap().starts_with(b"-----BEGIN OPENSSH") => {
                panic!("ssh-keygen is needed to check {shown}: install openssh-client")
            }
            Err(_) => false,
        };
        match openssl.status.success() || ssh_ok {
            true => keys.insert(shown),
            false => not_keys.insert(shown),
        };
    }
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        not_keys.contains("/usr/share/doc/header.txt"),
        "{not_keys:?}"
    );
    assert_eq!(paths_of(&report, "private-key"), keys);
}

/// uid and gid looked up by hand in the unpacked image's passwd and group.
fn lookup(root: &Path, file: &str, name: &str) -> Option<u64> {
    fs::read_to_string(root.join(file))
        .unwrap()
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f[0] == name)
        .map(|f| f[2].parse().unwrap())
}

#[test]
fn the_user_is_resolved_through_the_images_own_passwd_and_group() {
    for (image, root) in [("nonroot", false), ("admin", true)] {
        let archive = fixture(&format!("posture/{image}.tar.gz"));
        let (report, _) = audit(&archive, &[], 0);
        let u = unpack(&archive);
        let configured = u.config["config"]["User"].as_str().unwrap();
        let (user, group) = configured.split_once(':').unwrap_or((configured, ""));
        let uid = lookup(&u.root, "etc/passwd", user).unwrap();
        assert_eq!(report["user"]["configured"], configured);
        assert_eq!(report["user"]["uid"], uid, "{image}");
        assert_eq!(report["user"]["root"], root, "{image}");
        assert_eq!(report["user"]["name"], user, "{image}");
        if !group.is_empty() {
            assert_eq!(
                report["user"]["gid"],
                lookup(&u.root, "etc/group", group).unwrap()
            );
        }
        assert_eq!(paths_of(&report, "shell"), BTreeSet::new());
        let rootish = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "root");
        assert_eq!(rootish, root, "{image}");
    }
}

#[test]
fn busybox_shells_and_applets_match_the_layer_listing() {
    let image = fixture("fixtures/images/alpine-3.10-docker-save.tar.gz");
    let (report, _) = audit(&image, &[], 0);
    let u = unpack(&image);
    let in_path = |p: &str| {
        let parent = &p[..p.rfind('/').unwrap()];
        [
            "/bin",
            "/sbin",
            "/usr/bin",
            "/usr/sbin",
            "/usr/local/bin",
            "/usr/local/sbin",
        ]
        .contains(&parent)
    };
    let named = |names: &[&str]| -> BTreeSet<String> {
        u.find(&["(", "-type", "f", "-o", "-type", "l", ")"])
            .into_iter()
            .filter(|p| in_path(p) && names.contains(&&p[p.rfind('/').unwrap() + 1..]))
            .collect()
    };
    assert_eq!(
        paths_of(&report, "shell"),
        named(&["sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "busybox"])
    );
    assert_eq!(
        paths_of(&report, "remote-tool"),
        named(&[
            "wget", "nc", "ssh", "scp", "telnet", "curl", "ftp", "sftp", "socat", "ncat", "netcat"
        ])
    );
    assert_eq!(paths_of(&report, "package-manager"), named(&["apk"]));
    // Busybox's applets: the links GNU tar lists as pointing at it.
    let applets = u
        .listing
        .lines()
        .filter(|l| l.ends_with(" -> /bin/busybox"))
        .count();
    assert!(applets > 300, "{applets}");
    let busybox = finding(&report, "shell", "/bin/busybox");
    assert_eq!(
        busybox["detail"],
        format!("busybox with {applets} applet links")
    );
    // No User in the config: root.
    assert!(u.config["config"]["User"].as_str().unwrap_or("").is_empty());
    assert_eq!(report["user"]["root"], true);
}

#[test]
fn fail_on_is_a_gate_with_exit_3() {
    let image = fixture("posture/setuid-caps.tar.gz");
    let (report, _) = audit(&image, &["--fail-on", "setuid,shell"], 3);
    assert_eq!(report["tripped"], serde_json::json!(["setuid"]));
    assert_eq!(report["failOn"], serde_json::json!(["shell", "setuid"]));
    let (report, _) = audit(
        &fixture("posture/nonroot.tar.gz"),
        &["--fail-on", "root,shell,setuid"],
        0,
    );
    assert_eq!(report["tripped"], serde_json::json!([]));
    let out = run(
        sbomkit()
            .arg("audit")
            .arg(&image)
            .args(["--fail-on", "setuid,shel"]),
        2,
    );
    assert!(out.stderr.contains("unknown rule `shel`"), "{}", out.stderr);
    // The table says so too.
    let out = run(
        sbomkit()
            .arg("audit")
            .arg(&image)
            .args(["--fail-on", "root"]),
        3,
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Gate failed: root"), "{table}");
}

#[test]
fn a_folder_has_no_user_and_no_layers() {
    let (report, _) = audit(&support::root().join("testdata/binaries/c"), &[], 0);
    assert_eq!(report["user"], Value::Null);
    assert_eq!(report["config"], Value::Null);
    assert_eq!(report["subject"]["kind"], "directory");
    // Every ELF file of the folder, by `readelf`'s listings kept beside them.
    assert!(report["hardening"]["binaries"].as_u64().unwrap() >= 4);
    let no_pie: BTreeSet<&str> = report["hardening"]["noPie"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        no_pie.contains("/plain") && !no_pie.contains("/hardened"),
        "{no_pie:?}"
    );
}

#[test]
fn the_schema_and_the_documentation_list_the_same_fields() {
    let schema = schema::load_json("sbomkit/posture-v1.schema.json");
    let in_schema = schema::property_paths(&schema);
    let (documented, _) = documented_fields();
    assert_eq!(in_schema, documented);
}

#[test]
fn a_signed_report_verifies_as_posture_about_the_image_only() {
    let t = tempdir();
    let d = t.path();
    let image = fixture("posture/nonroot.tar.gz");
    run(
        sbomkit()
            .current_dir(d)
            .env("SBOMKIT_PASSWORD", "pw")
            .args(["keygen", "--prefix", "k"]),
        0,
    );
    run(
        sbomkit()
            .current_dir(d)
            .env("SBOMKIT_PASSWORD", "pw")
            .arg("attest")
            .arg(&image)
            .args([
                "--key",
                "k.key",
                "--predicate-type",
                "posture",
                "--output-file",
                "p.att",
            ]),
        0,
    );
    // The predicate is the report `audit` prints, about the image's digests.
    let envelope: Value = serde_json::from_slice(&fs::read(d.join("p.att")).unwrap()).unwrap();
    use base64::Engine;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["predicateType"], "https://sbomkit.dev/posture/v1");
    let (report, _) = audit(&image, &[], 0);
    assert_eq!(statement["predicate"], report);
    let config = &report["subject"]["digests"]["config"];
    assert_eq!(
        format!(
            "sha256:{}",
            statement["subject"][0]["digest"]["sha256"]
                .as_str()
                .unwrap()
        ),
        config.as_str().unwrap()
    );
    let verify = |image: &Path, kind: &str, code: i32| {
        run(
            sbomkit()
                .current_dir(d)
                .args([
                    "verify", "p.att", "--key", "k.pub", "--type", kind, "--image",
                ])
                .arg(image),
            code,
        )
    };
    let ok = verify(&image, "posture", 0);
    assert!(
        ok.text().contains("valid posture report v1"),
        "{}",
        ok.text()
    );
    verify(&image, "spdx", 12);
    verify(&fixture("posture/admin.tar.gz"), "posture", 11);
    // With a key, `-o FORMAT` or `--predicate` beside it, posture is refused as usage.
    let out = run(
        sbomkit()
            .current_dir(d)
            .env("SBOMKIT_PASSWORD", "pw")
            .arg("attest")
            .arg(&image)
            .args(["--key", "k.key", "--type", "posture", "-o", "spdx-json"]),
        2,
    );
    assert!(
        out.stderr
            .contains("--type posture signs the `audit` report"),
        "{}",
        out.stderr
    );
}

#[test]
fn excluded_paths_are_not_findings() {
    let image = fixture("posture/setuid-caps.tar.gz");
    let (report, _) = audit(
        &image,
        &["--exclude", "/usr/bin/su-plain", "--exclude", "/data/**"],
        0,
    );
    assert_eq!(
        paths_of(&report, "setuid"),
        BTreeSet::from(["/usr/bin/sg-plain".to_string()])
    );
    assert_eq!(
        paths_of(&report, "world-writable"),
        BTreeSet::from(["/data".to_string()])
    );
}

/// The README shows the table of the bundled example as it is today.
#[test]
fn the_readme_shows_real_output() {
    let image = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";
    let out = run(
        sbomkit()
            .current_dir(support::root())
            .args(["audit", image]),
        0,
    );
    let readme = fs::read_to_string(support::root().join("README.md")).unwrap();
    let shown = format!(
        "$ sbomkit audit {image}\n{}```",
        String::from_utf8(out.stdout).unwrap()
    );
    assert!(readme.contains(&shown), "README.md lacks:\n{shown}");
}
