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

use crate::support::tamper::{self, Row};
use crate::support::{root, run, sbomkit_in, verify_bundle, write};
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

/// What a verification is asked, changed by each refused row.
struct Asked {
    bundle: Value,
    identity: &'static str,
    issuer: &'static str,
    artifact: String,
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
            .args(["--keyless", "--output-file", "b.json"])
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

    // Another identity, issuer or artifact, or a tampered log entry, is refused.
    let bundle: Value = serde_json::from_slice(&std::fs::read(d.join("b.json")).unwrap()).unwrap();
    let rows: &[Row<fn(&mut Asked)>] = &[
        Row {
            name: "another identity",
            change: |a| a.identity = "someone@example.org",
            code: 14,
            says: "identity mismatch",
        },
        Row {
            name: "another issuer",
            change: |a| a.issuer = "https://accounts.example.com",
            code: 14,
            says: "issuer mismatch",
        },
        Row {
            name: "another artifact",
            change: |a| a.artifact = format!("sha256:{}", "ab".repeat(32)),
            code: 11,
            says: "no subject",
        },
        Row {
            name: "integrated time changed",
            change: |a| {
                let entry = &mut a.bundle["verificationMaterial"]["tlogEntries"][0];
                let it: i64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
                entry["integratedTime"] = Value::String((it + 1).to_string());
            },
            code: 15,
            says: "signed entry timestamp",
        },
        Row {
            name: "tree size changed",
            change: |a| {
                a.bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"] =
                    Value::String("2".into())
            },
            code: 15,
            says: "inclusion proof",
        },
    ];
    tamper::refused(rows, &["NOT verified"], |change| {
        let mut a = Asked {
            bundle: bundle.clone(),
            identity: email,
            issuer: OIDC_ISSUER,
            artifact: digest.clone(),
        };
        change(&mut a);
        write(d, "t.json", &serde_json::to_vec(&a.bundle).unwrap());
        verify_offline(d, "t.json", a.identity, a.issuer, &a.artifact)
    });
}
