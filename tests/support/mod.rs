//! What the suites share: the `sbomkit` command with a clean environment and the check of its
//! outcome, files in temporary folders, golden files, tampering tables, and the builders of images,
//! certificate authorities and a stand-in Sigstore, and the schema validation.

pub mod bundle_ca;
pub mod golden;
pub mod image;
pub mod pki;
pub mod registry;
pub mod schema;
pub mod sigstore_standin;
pub mod tamper;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Every environment variable sbomkit (or a crate it uses) reads, so that no test depends on the
/// caller's: the timestamp, the key password, the OIDC token, registry logins and CAs, HTTP proxies
/// (ureq), terminal colours (clap, through anstream), the config file's places and option
/// variables, and the layer cache's places.
pub const ENV_READ: &[&str] = &[
    "SOURCE_DATE_EPOCH",
    "SBOMKIT_PASSWORD",
    "COSIGN_PASSWORD",
    "SIGSTORE_ID_TOKEN",
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "DOCKER_CONFIG",
    "REGISTRY_AUTH_FILE",
    "SSL_CERT_FILE",
    // The config file and the options set in the environment; without HOME and XDG_CONFIG_HOME
    // no user config file is found.
    "SBOMKIT_CONFIG",
    "SBOMKIT_OUTPUT",
    "SBOMKIT_EXCLUDE",
    "SBOMKIT_CYCLONEDX_VERSION",
    "SBOMKIT_SCOPE",
    "SBOMKIT_AUTHOR",
    "SBOMKIT_PLATFORM",
    "SBOMKIT_QUIET",
    "SBOMKIT_KEY",
    "SBOMKIT_PUBLIC_KEY",
    "XDG_CONFIG_HOME",
    "HOME",
    // The layer cache: without these (and HOME) a scan has no cache folder, so no test touches
    // the user's; the tests of the cache name their own.
    "XDG_CACHE_HOME",
    "SBOMKIT_CACHE_DIR",
    "SBOMKIT_NO_CACHE",
];

/// The repository root: fixtures are named relative to it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `bytes` at `dir/rel`, creating the folders on the way; returns the path.
pub fn write(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A source `keep` function keeping every file's first MiB.
pub fn keep_all(_: &[u8], _: &[u8]) -> Option<u64> {
    Some(1 << 20)
}

/// A source `keep` function keeping no file.
pub fn keep_none(_: &[u8], _: &[u8]) -> Option<u64> {
    None
}

/// Removes from `cmd` every variable of [`ENV_READ`].
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    for var in ENV_READ {
        cmd.env_remove(var);
    }
    cmd
}

/// The `sbomkit` binary, with none of the variables it reads inherited.
pub fn sbomkit() -> Command {
    let mut cmd = Command::cargo_bin("sbomkit").expect("binary built");
    clean_env(&mut cmd);
    cmd
}

/// [`sbomkit`] run in `dir`.
pub fn sbomkit_in(dir: &Path) -> Command {
    let mut cmd = sbomkit();
    cmd.current_dir(dir);
    cmd
}

/// What a run gave: its exit code (-1 when killed by a signal) and both streams.
pub struct Outcome {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Outcome {
    /// stdout, then stderr, as text: where a message is looked for without caring which stream.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned() + &self.stderr
    }
}

/// Runs `cmd` and returns what it gave, whatever its exit code.
pub fn outcome(cmd: &mut Command) -> Outcome {
    let out = cmd.output().expect("sbomkit runs");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd` and checks it exits with `code`; on another code, fails showing both streams.
pub fn run(cmd: &mut Command, code: i32) -> Outcome {
    let out = outcome(cmd);
    assert_eq!(
        out.code,
        code,
        "{cmd:?}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        out.stderr
    );
    out
}

/// Runs `sbomkit verify-bundle --bundle BUNDLE ARGS ARTIFACT` in `dir`.
pub fn verify_bundle(dir: &Path, bundle: &Path, args: &[&str], artifact: &str) -> Outcome {
    outcome(
        sbomkit_in(dir)
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(bundle)
            .args(args)
            .arg(artifact),
    )
}

/// The CycloneDX component named `name` in `bom`, top-level or nested.
pub fn component<'a>(bom: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    all_components(bom)
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

/// Every component of a CycloneDX `bom`, the nested ones (in their container's `components`,
/// 1.6 on) after their container, depth first.
pub fn all_components(bom: &serde_json::Value) -> Vec<&serde_json::Value> {
    fn walk<'a>(list: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
        for c in list.as_array().into_iter().flatten() {
            out.push(c);
            walk(&c["components"], out);
        }
    }
    let mut out = Vec::new();
    walk(&bom["components"], &mut out);
    out
}

/// Runs `sbomkit generate -q SOURCE ARGS`, checks it succeeds and returns stdout.
pub fn generate(source: &str, args: &[&str]) -> Vec<u8> {
    run(sbomkit().args(["generate", "-q", source]).args(args), 0).stdout
}
