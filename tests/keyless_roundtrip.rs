//! Round trip: `attest --keyless` against the stand-in, then `verify-bundle` offline with the
//! stand-in's trusted root. Passes with the token's identity and issuer, fails with another
//! identity, another issuer, another artifact or a tampered bundle.
//!
//! Needs the `verify-bundle` subcommand; the binary is only called through its command line, so
//! this file compiles without it, and fails until the subcommand exists.

use crate::support::sigstore_standin as standin;

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::tamper::{self, Row};
use crate::support::{outcome, root, run, sbomkit_in, verify_bundle, write};
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

/// `attest --keyless --signing-config` against the stand-in; (exit code, stdout + stderr).
fn attest_with_config(s: &Standin, d: &Path, config: &Value, out: &str) -> (i32, String) {
    write(
        d,
        "signing_config.json",
        &serde_json::to_vec(config).unwrap(),
    );
    let o = outcome(
        sbomkit_in(d)
            .args([
                "attest",
                &format!("file:{}", root().join(ARTIFACT).display()),
            ])
            .args(["--keyless", "--output-file", out])
            .args(["--identity-token", &s.email_token("builder@example.org")])
            .args(["--signing-config", "signing_config.json"]),
    );
    (o.code, o.text())
}

fn artifact_digest() -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(
            std::fs::read(root().join(ARTIFACT)).unwrap()
        ))
    )
}

#[test]
fn a_signing_config_chooses_rekor_v1_or_v2_and_both_round_trips_verify() {
    let s = Standin::start(16);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // v1 and v2 listed: the highest API version is used; v2 gets the hashedrekord of the PAE.
    let both = s.signing_config(&[(s.rekor2_url(), 2), (s.rekor_url(), 1)], true);
    let r = attest_with_config(&s, d, &both, "v2.json");
    assert_eq!(r.0, 0, "{}", r.1);
    assert_eq!((s.log_size(), s.log2_size()), (0, 1));
    // Only v1 listed, no timestamp authority: a dsse 0.0.1 entry with its signed entry timestamp.
    let v1 = s.signing_config(&[(s.rekor_url(), 1)], false);
    let r = attest_with_config(&s, d, &v1, "v1.json");
    assert_eq!(r.0, 0, "{}", r.1);
    assert_eq!((s.log_size(), s.log2_size()), (1, 1));
    std::fs::write(
        d.join("standin_root.json"),
        serde_json::to_vec_pretty(&s.trusted_root()).unwrap(),
    )
    .unwrap();
    drop(s);

    let read =
        |f: &str| -> Value { serde_json::from_slice(&std::fs::read(d.join(f)).unwrap()).unwrap() };
    let v2 = read("v2.json");
    let vm = &v2["verificationMaterial"];
    let entry = &vm["tlogEntries"][0];
    assert_eq!(vm["tlogEntries"].as_array().unwrap().len(), 1);
    assert_eq!(
        entry["kindVersion"],
        serde_json::json!({"kind": "hashedrekord", "version": "0.0.2"})
    );
    assert!(entry.get("inclusionPromise").is_none() && entry.get("integratedTime").is_none());
    assert!(entry["inclusionProof"]["checkpoint"]["envelope"].is_string());
    assert_eq!(
        vm["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let v1 = read("v1.json");
    let entry = &v1["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["kind"], "dsse");
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string());
    assert!(v1["verificationMaterial"]
        .get("timestampVerificationData")
        .is_none());

    let digest = artifact_digest();
    let email = "builder@example.org";
    for f in ["v1.json", "v2.json"] {
        let (code, text) = verify_offline(d, f, email, OIDC_ISSUER, &digest);
        assert_eq!(code, 0, "{f}: {text}");
        assert!(
            text.contains(if f == "v2.json" {
                "hashedrekord 0.0.2 body matches"
            } else {
                "dsse 0.0.1 body matches"
            }),
            "{text}"
        );
        // `verify` judges the same bundle alike.
        let o = outcome(
            sbomkit_in(d)
                .args(["verify", f, "--trusted-root", "standin_root.json"])
                .args([
                    "--certificate-identity",
                    email,
                    "--certificate-oidc-issuer",
                    OIDC_ISSUER,
                ]),
        );
        assert_eq!(o.code, 0, "{f}: {}", o.text());
    }

    // The v2 entry proves no time: without its timestamp the bundle has no signing time.
    let rows: &[Row<fn(&mut Value)>] = &[
        Row {
            name: "v2 bundle without its timestamp",
            change: |b| {
                b["verificationMaterial"]
                    .as_object_mut()
                    .unwrap()
                    .remove("timestampVerificationData");
            },
            code: 15,
            says: "no verified signing time",
        },
        Row {
            name: "v2 entry's body for another signature",
            change: |b| {
                let e = &mut b["verificationMaterial"]["tlogEntries"][0];
                let mut body: Value = serde_json::from_slice(
                    &STANDARD
                        .decode(e["canonicalizedBody"].as_str().unwrap())
                        .unwrap(),
                )
                .unwrap();
                body["spec"]["hashedRekordV002"]["signature"]["content"] =
                    Value::String(STANDARD.encode([1u8; 71]));
                e["canonicalizedBody"] =
                    Value::String(STANDARD.encode(serde_json::to_vec(&body).unwrap()));
            },
            code: 15,
            says: "signature or verifier",
        },
        Row {
            name: "v2 inclusion proof for another tree size",
            change: |b| {
                b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"] =
                    Value::String("3".into())
            },
            code: 15,
            says: "inclusion proof",
        },
    ];
    tamper::refused(rows, &["NOT verified"], |change| {
        let mut b = v2.clone();
        change(&mut b);
        write(d, "t.json", &serde_json::to_vec(&b).unwrap());
        verify_offline(d, "t.json", email, OIDC_ISSUER, &digest)
    });
}

#[test]
fn unusable_signing_configs_are_refused_before_any_request() {
    let s = Standin::start(4);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v2_only = s.signing_config(&[(s.rekor2_url(), 2)], false);
    let mut expired = s.signing_config(&[(s.rekor_url(), 1)], true);
    expired["rekorTlogUrls"][0]["validFor"]["end"] = Value::String("2024-01-01T00:00:00Z".into());
    let v3 = s.signing_config(&[(s.rekor_url(), 3)], true);
    let mut exact = s.signing_config(&[(s.rekor_url(), 1)], true);
    exact["rekorTlogConfig"] = serde_json::json!({"selector": "EXACT", "count": 2});
    let mut no_start = s.signing_config(&[(s.rekor_url(), 1)], true);
    no_start["tsaUrls"][0]["validFor"] = serde_json::json!({});
    let mut v01 = s.signing_config(&[(s.rekor_url(), 1)], true);
    v01["mediaType"] =
        Value::String("application/vnd.dev.sigstore.signingconfig+json;version=0.1".into());
    let rows: Vec<Row<Value>> = vec![
        Row {
            name: "a Rekor v2 log without a timestamp authority",
            change: v2_only,
            code: 2,
            says: "a timestamp authority is required",
        },
        Row {
            name: "every log past its validity",
            change: expired,
            code: 2,
            says: "was valid until 2024-01-01T00:00:00Z",
        },
        Row {
            name: "an unknown Rekor API version",
            change: v3,
            code: 2,
            says: "speaks API v3, not v1 or v2",
        },
        Row {
            name: "EXACT 2 of one log",
            change: exact,
            code: 2,
            says: "EXACT 2",
        },
        Row {
            name: "a window without start",
            change: no_start,
            code: 13,
            says: "tsaUrls[0] has no `validFor.start`",
        },
        Row {
            name: "another media type",
            change: v01,
            code: 13,
            says: "is not application/vnd.dev.sigstore.signingconfig.v0.2+json",
        },
    ];
    tamper::refused(&rows, &["signing_config.json"], |config| {
        attest_with_config(&s, d, config, "b.json")
    });
    assert!(!d.join("b.json").exists(), "no half-written output");
    assert_eq!((s.log_size(), s.log2_size()), (0, 0));
}
