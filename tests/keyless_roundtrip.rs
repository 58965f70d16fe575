//! Round trip: `attest --keyless` against the stand-in, then `verify-bundle` offline with the
//! stand-in's trusted root. Passes with the token's identity and issuer, fails with another
//! identity, another issuer, another artifact or a tampered bundle.
//!
//! Needs the `verify-bundle` subcommand; the binary is only called through its command line, so
//! this file compiles without it, and fails until the subcommand exists.

use crate::support::sigstore_standin as standin;

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{root, run, sbomkit_in, verify_bundle};
use standin::{Standin, OIDC_ISSUER};

const ARTIFACT: &str = "testdata/fixtures/apk/installed/alpine-single.installed";

/// Runs verify-bundle with the stand-in's trusted root; (exit code, stdout + stderr).
fn verify_offline(
    dir: &Path,
    bundle: &str,
    identity: &str,
    issuer: &str,
    artifact: &str,
) -> (i32, String) {
    let args = [
        "--trusted-root",
        "standin_root.json",
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
    ];
    let out = verify_bundle(dir, Path::new(bundle), &args, artifact);
    (out.code, out.text())
}

#[test]
fn keyless_bundle_verifies_offline_with_the_standin_trusted_root() {
    let s = Standin::start(16);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let email = "builder@example.org";
    run(
        sbomkit_in(d)
            .args([
                "attest",
                &format!("file:{}", root().join(ARTIFACT).display()),
            ])
            .args(["--keyless", "--bundle", "--output", "b.json"])
            .args(["--identity-token", &s.email_token(email)])
            .args([
                "--fulcio-url",
                &s.fulcio_url(),
                "--rekor-url",
                &s.rekor_url(),
            ])
            .args(["--timestamp-url", &s.tsa_url()]),
        0,
    );
    std::fs::write(
        d.join("standin_root.json"),
        serde_json::to_vec_pretty(&s.trusted_root()).unwrap(),
    )
    .unwrap();
    drop(s); // verification is offline: the services are gone.

    let digest = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(
            std::fs::read(root().join(ARTIFACT)).unwrap()
        ))
    );
    let path = root().join(ARTIFACT).display().to_string();
    for artifact in [&digest, &path] {
        let (code, text) = verify_offline(d, "b.json", email, OIDC_ISSUER, artifact);
        assert_eq!(code, 0, "{artifact}: {text}");
    }
    let (code, text) = verify_offline(d, "b.json", "someone@example.org", OIDC_ISSUER, &digest);
    assert_ne!(code, 0, "another identity: {text}");
    let (code, text) = verify_offline(d, "b.json", email, "https://accounts.example.com", &digest);
    assert_ne!(code, 0, "another issuer: {text}");
    let other = format!("sha256:{}", "ab".repeat(32));
    let (code, text) = verify_offline(d, "b.json", email, OIDC_ISSUER, &other);
    assert_ne!(code, 0, "another artifact: {text}");

    // Tampering with the log entry or the envelope is caught.
    let b: Value = serde_json::from_slice(&std::fs::read(d.join("b.json")).unwrap()).unwrap();
    let mut t = b.clone();
    let it = t["verificationMaterial"]["tlogEntries"][0]["integratedTime"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    t["verificationMaterial"]["tlogEntries"][0]["integratedTime"] =
        Value::String((it + 1).to_string());
    std::fs::write(d.join("t1.json"), serde_json::to_vec(&t).unwrap()).unwrap();
    let (code, text) = verify_offline(d, "t1.json", email, OIDC_ISSUER, &digest);
    assert_ne!(code, 0, "integrated time changed: {text}");
    let mut t = b.clone();
    t["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"] =
        Value::String("2".into());
    std::fs::write(d.join("t2.json"), serde_json::to_vec(&t).unwrap()).unwrap();
    let (code, text) = verify_offline(d, "t2.json", email, OIDC_ISSUER, &digest);
    assert_ne!(code, 0, "tree size changed: {text}");
}
