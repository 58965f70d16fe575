//! `sbomkit verify-bundle` end to end: the real public-good bundles pass with the right identity and
//! every tampering is refused with its exit code; bundles made here with a test CA, CT log, Rekor
//! key and TSA exercise what the real ones lack (message signatures, key-based entries, RFC 3161).

use crate::support::bundle_ca;

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::support::tamper::{self, KindRow, Row};
use crate::support::{outcome, root, sbomkit_in, verify_bundle, write};
use bundle_ca::TestSigstore;
use sbomkit::attest::keys::VerifyingKey;
use sbomkit::attest::sigstore::{self, trust::TrustedRoot, Kind};
use sbomkit::attest::verify;
use sbomkit::ExitCode;

const COSIGN: &str = "testdata/fixtures/sigstore/cosign-oci-attestation.sigstore.json";
const TRIVY: &str = "testdata/fixtures/sigstore/trivy-cyclonedx-attestation.sigstore.json";
const PROD_ROOT: &str = "src/attest/sigstore/production.trusted_root.json";
const COSIGN_ID: &str = "cody@soyland.com";
const GITHUB_OAUTH: &str = "https://github.com/login/oauth";
/// The in-toto subject of the cosign bundle (an image pushed to a local registry in cosign's tests).
const COSIGN_SUBJECT: &str =
    "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
const TRIVY_ID: &str = "thomas.grininger@ringodev.com";
const TRIVY_SUBJECT: &str =
    "sha256:ea9c657ca44371fadd027510f2a1a68b799003294bf6a4827827971cc4390ad4";

fn load(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root().join(rel)).unwrap()).unwrap()
}

/// Runs verify-bundle on a bundle value; returns (exit code, stdout).
fn run(dir: &Path, bundle: &Value, args: &[&str], artifact: &str) -> (i32, String) {
    let path = write(dir, "b.sigstore.json", &serde_json::to_vec(bundle).unwrap());
    let out = verify_bundle(dir, &path, args, artifact);
    (out.code, out.text())
}

fn keyless<'a>(id: &'a str, issuer: &'a str) -> Vec<&'a str> {
    vec![
        "--certificate-identity",
        id,
        "--certificate-oidc-issuer",
        issuer,
    ]
}

fn cosign(bundle: &Value) -> (i32, String) {
    let d = tempfile::tempdir().unwrap();
    run(
        d.path(),
        bundle,
        &keyless(COSIGN_ID, GITHUB_OAUTH),
        COSIGN_SUBJECT,
    )
}

fn assert_refused(r: (i32, String), code: i32, words: &str) {
    assert_eq!(r.0, code, "{}", r.1);
    assert!(r.1.contains("NOT verified"), "{}", r.1);
    assert!(r.1.contains(words), "expected `{words}` in: {}", r.1);
}

fn b64_mut(v: &mut Value, ptr: &str, f: impl FnOnce(&mut Vec<u8>)) {
    let s = v.pointer(ptr).and_then(Value::as_str).unwrap().to_string();
    let mut bytes = STANDARD.decode(s).unwrap();
    f(&mut bytes);
    *v.pointer_mut(ptr).unwrap() = Value::String(STANDARD.encode(bytes));
}

#[test]
fn real_bundles_verify_with_their_identity() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        d.path(),
        &load(COSIGN),
        &keyless(COSIGN_ID, GITHUB_OAUTH),
        COSIGN_SUBJECT,
    );
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(
        r.1.contains("SCT from https://ctfe.sigstore.dev/2022"),
        "{}",
        r.1
    );
    assert!(
        r.1.contains("inclusion proof of leaf 53604734 in a tree of 53604735"),
        "{}",
        r.1
    );
    let r = run(
        d.path(),
        &load(TRIVY),
        &keyless(TRIVY_ID, GITHUB_OAUTH),
        TRIVY_SUBJECT,
    );
    assert_eq!(r.0, 0, "{}", r.1);
    // The same with the trusted root given explicitly, and a JSON report.
    let mut args = keyless(TRIVY_ID, GITHUB_OAUTH);
    let tr = root().join(PROD_ROOT).display().to_string();
    args.extend(["--trusted-root", &tr, "--output", "json"]);
    let r = run(d.path(), &load(TRIVY), &args, TRIVY_SUBJECT);
    assert_eq!(r.0, 0, "{}", r.1);
    let v: Value = serde_json::from_str(&r.1).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["signingTimes"], json!([1758603823]));
}

fn prod_chain() -> Vec<Value> {
    load(PROD_ROOT)["certificateAuthorities"][1]["certChain"]["certificates"]
        .as_array()
        .unwrap()
        .clone()
}

/// The cosign bundle rewritten as v0.2 with an `x509CertificateChain`.
fn as_v02_chain(extra: &[Value]) -> Value {
    let mut b = load(COSIGN);
    let leaf = b["verificationMaterial"]["certificate"].clone();
    let vm = b["verificationMaterial"].as_object_mut().unwrap();
    vm.remove("certificate");
    let mut certs = vec![leaf];
    certs.extend(extra.iter().cloned());
    vm.insert(
        "x509CertificateChain".into(),
        json!({ "certificates": certs }),
    );
    b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.2");
    b
}

/// The offset of the SCT list extension's OID in a certificate.
fn sct_offset(der: &[u8]) -> usize {
    let oid = [
        0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
    ];
    der.windows(oid.len())
        .position(|w| w == oid)
        .expect("an SCT extension")
}

/// The checkpoint note of the cosign bundle's log entry.
fn note(b: &Value) -> String {
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .to_string()
}

fn set_note(b: &mut Value, n: String) {
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
        json!(n);
}

/// A checkpoint signature line by a signer other than the log.
fn witness_line() -> String {
    format!("\u{2014} witness.example {}\n", STANDARD.encode([7u8; 68]))
}

/// A change to the cosign bundle and the kind of failure it must cause.
type BundleRow = KindRow<fn(&mut Value), Kind>;

#[test]
fn tampered_bundles_are_refused() {
    let rows: &[BundleRow] = &[
        KindRow {
            name: "signature byte flipped",
            change: |b| {
                b64_mut(b, "/dsseEnvelope/signatures/0/sig", |s| {
                    let n = s.len();
                    s[n - 3] ^= 1
                })
            },
            kind: Kind::Signature,
            says: "signature",
        },
        KindRow {
            name: "payload byte flipped",
            change: |b| b64_mut(b, "/dsseEnvelope/payload", |p| p[40] ^= 1),
            kind: Kind::Signature,
            says: "does not verify over the PAE",
        },
        KindRow {
            // The other certificate is a genuine Fulcio one; under the original identity it is
            // refused before the signature is checked.
            name: "certificate swapped for another",
            change: |b| {
                b["verificationMaterial"]["certificate"] =
                    load(TRIVY)["verificationMaterial"]["certificate"].clone()
            },
            kind: Kind::Certificate,
            says: "identity mismatch",
        },
        KindRow {
            name: "v0.2 chain embedding the root CA",
            change: |b| *b = as_v02_chain(&prod_chain()),
            kind: Kind::Certificate,
            says: "embeds a root CA",
        },
        KindRow {
            // Re-signing is impossible without Fulcio's key, so the chain breaks; the test CA
            // below re-signs to reach the SCT check itself.
            name: "SCT byte flipped",
            change: |b| {
                b64_mut(b, "/verificationMaterial/certificate/rawBytes", |c| {
                    let at = sct_offset(c) + 60;
                    c[at] ^= 1;
                })
            },
            kind: Kind::Certificate,
            says: "does not chain",
        },
        KindRow {
            name: "SCT removed",
            change: |b| {
                b64_mut(b, "/verificationMaterial/certificate/rawBytes", |c| {
                    *c = bundle_ca::without_extension(c, "1.3.6.1.4.1.11129.2.4.2");
                })
            },
            kind: Kind::Certificate,
            says: "certificate",
        },
        KindRow {
            name: "log body's payload hash altered",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/canonicalizedBody",
                    |body| {
                        let mut v: Value = serde_json::from_slice(body).unwrap();
                        v["spec"]["payloadHash"]["value"] = json!("00".repeat(32));
                        *body = serde_json::to_vec(&v).unwrap();
                    },
                )
            },
            kind: Kind::Log,
            says: "payload hash",
        },
        KindRow {
            // Intact but for whitespace: no longer what the SET signs.
            name: "log body with a space appended",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/canonicalizedBody",
                    |body| body.push(b' '),
                )
            },
            kind: Kind::Log,
            says: "signed entry timestamp",
        },
        KindRow {
            name: "signed entry timestamp byte flipped",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
                    |s| s[20] ^= 1,
                )
            },
            kind: Kind::Log,
            says: "signed entry timestamp does not verify",
        },
        KindRow {
            name: "inclusion proof hash flipped",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/3",
                    |h| h[0] ^= 1,
                )
            },
            kind: Kind::Log,
            says: "inclusion proof leads to root",
        },
        KindRow {
            name: "inclusion proof for another index",
            change: |b| {
                b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["logIndex"] =
                    json!("53604733")
            },
            kind: Kind::Log,
            says: "inclusion proof",
        },
        KindRow {
            name: "checkpoint signature altered",
            change: |b| {
                let n = note(b);
                let (text, sig) = n.split_once("\n\n").unwrap();
                let b64 = sig.trim_end().rsplit_once(' ').unwrap().1;
                let mut raw = STANDARD.decode(b64).unwrap();
                raw[30] ^= 1;
                set_note(
                    b,
                    format!(
                        "{text}\n\n\u{2014} rekor.sigstore.dev {}\n",
                        STANDARD.encode(raw)
                    ),
                );
            },
            kind: Kind::Log,
            says: "no checkpoint signature verifies",
        },
        KindRow {
            // The log's signature no longer holds.
            name: "checkpoint root hash changed",
            change: |b| {
                let n = note(b).replace(
                    "nd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=",
                    "ne/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=",
                );
                set_note(b, n);
            },
            kind: Kind::Log,
            says: "checkpoint",
        },
        KindRow {
            name: "checkpoint signed by another signer only",
            change: |b| {
                let n = note(b);
                let (text, _) = n.split_once("\n\n").unwrap();
                set_note(b, format!("{text}\n\n{}", witness_line()));
            },
            kind: Kind::Log,
            says: "no checkpoint signature verifies",
        },
        KindRow {
            // On a real entry any change of time breaks the SET; the test log below signs such
            // entries.
            name: "integrated time altered",
            change: |b| {
                b["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = json!("4102444800")
            },
            kind: Kind::Log,
            says: "signed entry timestamp",
        },
        KindRow {
            name: "unknown media type",
            change: |b| b["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.4+json"),
            kind: Kind::Bundle,
            says: "unknown bundle media type",
        },
        KindRow {
            name: "unknown media type version",
            change: |b| {
                b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.9")
            },
            kind: Kind::Bundle,
            says: "unknown bundle media type",
        },
        KindRow {
            name: "no media type",
            change: |b| {
                b.as_object_mut().unwrap().remove("mediaType");
            },
            kind: Kind::Bundle,
            says: "no `mediaType`",
        },
        KindRow {
            name: "v0.1 naming a v0.3-only field",
            change: |b| {
                b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.1")
            },
            kind: Kind::Bundle,
            says: "v0.3 field",
        },
        KindRow {
            name: "keyless bundle without a log entry",
            change: |b| b["verificationMaterial"]["tlogEntries"] = json!([]),
            kind: Kind::Log,
            says: "must carry a transparency log entry",
        },
        KindRow {
            // From v0.2 on the inclusion proof is required; the SET alone is a v0.1 allowance.
            name: "v0.3 entry with a signed entry timestamp but no inclusion proof",
            change: |b| {
                b["verificationMaterial"]["tlogEntries"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("inclusionProof");
            },
            kind: Kind::Log,
            says: "no inclusion proof",
        },
        KindRow {
            name: "v0.2 entry with a signed entry timestamp but no inclusion proof",
            change: |b| *b = without_proof(as_v02_chain(&prod_chain()[..1])),
            kind: Kind::Log,
            says: "no inclusion proof",
        },
    ];
    let changed = |change: &fn(&mut Value)| {
        let mut b = load(COSIGN);
        change(&mut b);
        b
    };
    tamper::refused_as(rows, |change| {
        cosign_in_process(&changed(change))
            .err()
            .map(|f| (f.kind, f.message))
    });
    let production = TrustedRoot::production().unwrap();
    let untouched: BundleRow = KindRow {
        name: "untouched",
        change: |_| {},
        kind: Kind::Bundle,
        says: "",
    };
    for row in rows.iter().chain([&untouched]) {
        let b = changed(&row.change);
        judged_alike(
            row.name,
            &cosign_in_process(&b),
            &verify_in_process(&b, None, Some((COSIGN_ID, GITHUB_OAUTH)), &production),
        );
    }
    // End to end, the first row of each kind exits with its code.
    let mut seen = Vec::new();
    for row in rows {
        if seen.contains(&row.kind) {
            continue;
        }
        seen.push(row.kind);
        assert_refused(
            cosign(&changed(&row.change)),
            row.kind.exit_code() as i32,
            row.says,
        );
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The cosign bundle verified in-process, as `verify-bundle` does with the cosign identity and
/// subject against the production root.
fn cosign_in_process(b: &Value) -> Result<sigstore::Verified, sigstore::Failure> {
    let trust = TrustedRoot::production().unwrap();
    let artifact: [u8; 32] = hex::decode(&COSIGN_SUBJECT["sha256:".len()..])
        .unwrap()
        .try_into()
        .unwrap();
    let opts = sigstore::Options {
        policy: sigstore::Policy::Identity {
            identity: COSIGN_ID,
            issuer: GITHUB_OAUTH,
        },
        trust: &trust,
        artifact: Some(artifact),
        now: now(),
    };
    sigstore::verify_bundle(&serde_json::to_vec(b).unwrap(), &opts)
}

/// `verify` judging the same bundle in-process, with the same key or identity and trusted root and
/// no --image: `None` when it verifies, else the exit code and detail of the failed check.
fn verify_in_process(
    b: &Value,
    key: Option<&VerifyingKey>,
    identity: Option<(&str, &str)>,
    trust: &TrustedRoot,
) -> Option<(ExitCode, String)> {
    let opts = verify::Options {
        key,
        keyless: identity.map(|(identity, issuer)| verify::Keyless { identity, issuer }),
        trust,
        now: now(),
        target: None,
        want_type: None,
    };
    let report = verify::verify(&serde_json::to_vec(b).unwrap(), "b.json", &opts).unwrap();
    report
        .chosen()
        .and_then(|c| c.first_failure())
        .map(|f| (f.code, f.detail.clone()))
}

/// Both commands reach the same verdict on one bundle: both verify, or both refuse it with the
/// same exit code, `verify` naming the kind and message of `verify-bundle`'s failure. Only a
/// subject that is not the artifact is `verify-bundle`'s alone: `verify` asks about --image.
fn judged_alike(
    name: &str,
    by_bundle: &Result<sigstore::Verified, sigstore::Failure>,
    by_verify: &Option<(ExitCode, String)>,
) {
    match (by_bundle, by_verify) {
        (Ok(_), None) => {}
        (Err(f), _) if f.kind == Kind::Artifact => {}
        (Err(f), Some((code, detail))) => {
            assert_eq!(
                *code,
                f.code(),
                "{name}: verify says {detail}, verify-bundle {f}"
            );
            if f.kind != Kind::Bundle {
                assert!(
                    detail.contains(&f.to_string()),
                    "{name}: verify says {detail}, verify-bundle {f}"
                );
            }
        }
        _ => panic!("{name}: verify-bundle {by_bundle:?}, verify {by_verify:?}"),
    }
}

#[test]
fn v02_chain_verifies() {
    let r = cosign(&as_v02_chain(&prod_chain()[..1]));
    assert_eq!(r.0, 0, "{}", r.1);
}

/// The bundle with its log entry's inclusion proof removed (its SET kept).
fn without_proof(mut b: Value) -> Value {
    b["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .unwrap()
        .remove("inclusionProof");
    b
}

#[test]
fn a_v01_bundle_may_rest_on_the_signed_entry_timestamp_alone() {
    let mut b = without_proof(as_v02_chain(&prod_chain()[..1]));
    b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.1");
    let r = cosign(&b);
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(r.1.contains("signed entry timestamp verifies"), "{}", r.1);
    assert!(!r.1.contains("inclusion proof"), "{}", r.1);
}

#[test]
fn a_trusted_root_with_a_validity_without_start_is_malformed() {
    let d = tempfile::tempdir().unwrap();
    for (ptr, what) in [
        ("/tlogs/0/publicKey/validFor", "tlogs[0]"),
        (
            "/certificateAuthorities/1/validFor",
            "certificateAuthorities[1]",
        ),
        (
            "/timestampAuthorities/0/validFor",
            "timestampAuthorities[0]",
        ),
    ] {
        let mut tr = load(PROD_ROOT);
        tr.pointer_mut(ptr)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("start");
        write(d.path(), "open.json", &serde_json::to_vec(&tr).unwrap());
        let args = with_root("open.json");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(d.path(), &load(COSIGN), &args, COSIGN_SUBJECT);
        assert_eq!(r.0, 13, "{what}: {}", r.1);
        assert!(
            r.1.contains(&format!("open.json: {what}: `validFor` has no `start`")),
            "{what}: {}",
            r.1
        );
    }
}

#[test]
fn another_signers_checkpoint_line_beside_the_logs_is_ignored() {
    let mut b = load(COSIGN);
    let n = note(&b);
    set_note(&mut b, format!("{n}{}", witness_line()));
    assert_eq!(cosign(&b).0, 0);
}

/// What a verification is asked: the bundle, the arguments and the artifact.
type Asked = (Value, Vec<String>, &'static str);

fn keyless_args(id: &str, issuer: &str) -> Vec<String> {
    keyless(id, issuer).into_iter().map(String::from).collect()
}

/// The keyless arguments of the cosign bundle with `--trusted-root FILE`.
fn with_root(file: &str) -> Vec<String> {
    let mut args = keyless_args(COSIGN_ID, GITHUB_OAUTH);
    args.extend(["--trusted-root".into(), file.into()]);
    args
}

#[test]
fn another_identity_artifact_or_trusted_root_is_refused() {
    let d = tempfile::tempdir().unwrap();
    // A file artifact is hashed: this one is not the subject either.
    write(d.path(), "artifact.bin", b"not the image");
    let trusted_root = |name: &str, change: fn(&mut Value)| {
        let mut tr = load(PROD_ROOT);
        change(&mut tr);
        write(d.path(), name, &serde_json::to_vec(&tr).unwrap());
    };
    trusted_root("no-ca.json", |tr| {
        tr["certificateAuthorities"]
            .as_array_mut()
            .unwrap()
            .remove(1);
    });
    trusted_root("no-log.json", |tr| {
        tr["tlogs"].as_array_mut().unwrap().remove(0);
    });
    trusted_root("no-ct.json", |tr| {
        tr["ctlogs"].as_array_mut().unwrap().clear()
    });
    let key = root()
        .join("testdata/fixtures/sigstore/python-cosign-p256.pub")
        .display()
        .to_string();
    let mut swapped = load(COSIGN);
    swapped["verificationMaterial"]["certificate"] =
        load(TRIVY)["verificationMaterial"]["certificate"].clone();
    let rows: Vec<Row<Asked>> = vec![
        Row {
            name: "another identity",
            change: (
                load(COSIGN),
                keyless_args("someone@else.com", GITHUB_OAUTH),
                COSIGN_SUBJECT,
            ),
            code: 14,
            says: "identity mismatch",
        },
        Row {
            name: "another issuer",
            change: (
                load(COSIGN),
                keyless_args(COSIGN_ID, "https://accounts.google.com"),
                COSIGN_SUBJECT,
            ),
            code: 14,
            says: "issuer mismatch",
        },
        Row {
            name: "a prefix of the identity",
            change: (
                load(COSIGN),
                keyless_args("cody@soyland.co", GITHUB_OAUTH),
                COSIGN_SUBJECT,
            ),
            code: 14,
            says: "identity mismatch",
        },
        Row {
            name: "a key for a keyless bundle",
            change: (load(COSIGN), vec!["--key".into(), key], COSIGN_SUBJECT),
            code: 14,
            says: "keyless",
        },
        Row {
            name: "another subject digest",
            change: (
                load(COSIGN),
                keyless_args(COSIGN_ID, GITHUB_OAUTH),
                TRIVY_SUBJECT,
            ),
            code: 11,
            says: "no subject of the statement is sha256:ea9c657c",
        },
        Row {
            name: "a file that is not the subject",
            change: (
                load(COSIGN),
                keyless_args(COSIGN_ID, GITHUB_OAUTH),
                "artifact.bin",
            ),
            code: 11,
            says: "no subject",
        },
        Row {
            // A genuine Fulcio certificate for its own identity: the signature fails.
            name: "certificate swapped, under the certificate's identity",
            change: (
                swapped,
                keyless_args(TRIVY_ID, GITHUB_OAUTH),
                COSIGN_SUBJECT,
            ),
            code: 10,
            says: "signature",
        },
        Row {
            name: "trusted root without the CA",
            change: (load(COSIGN), with_root("no-ca.json"), COSIGN_SUBJECT),
            code: 14,
            says: "does not chain",
        },
        Row {
            name: "trusted root without the log",
            change: (load(COSIGN), with_root("no-log.json"), COSIGN_SUBJECT),
            code: 15,
            says: "not a transparency log of the trusted root",
        },
        Row {
            name: "trusted root without CT logs",
            change: (load(COSIGN), with_root("no-ct.json"), COSIGN_SUBJECT),
            code: 14,
            says: "no SCT verifies",
        },
    ];
    tamper::refused(&rows, &["NOT verified"], |(bundle, args, artifact)| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(d.path(), bundle, &args, artifact)
    });
}

#[test]
fn usage_errors() {
    let d = tempfile::tempdir().unwrap();
    let r = run(
        d.path(),
        &load(COSIGN),
        &["--certificate-identity", COSIGN_ID],
        COSIGN_SUBJECT,
    );
    assert_eq!(r.0, 2, "{}", r.1);
    let r = run(
        d.path(),
        &load(COSIGN),
        &keyless(COSIGN_ID, GITHUB_OAUTH),
        "sha256:abcd",
    );
    assert_ne!(r.0, 0, "{}", r.1);
}

// ---- Bundles made with the test sigstore ----

use bundle_ca::{pem_cert, LeafSpec, San, SctMode, T0};
use sha2::{Digest, Sha256};

const ARTIFACT: &[u8] = b"an artifact signed with a message signature\n";
const TEST_ISSUER: &str = "https://issuer.example";
const TEST_ID: &str = "dev@example.com";

struct Made {
    dir: tempfile::TempDir,
    bundle: Value,
}

impl Made {
    fn verify(&self, id: &str, issuer: &str) -> (i32, String) {
        let mut args = keyless(id, issuer);
        args.extend(["--trusted-root", "root.json"]);
        run(self.dir.path(), &self.bundle, &args, "artifact.bin")
    }
}

/// How the log entry of a made bundle looks.
struct EntrySpec {
    time: i64,
    set: bool,
    proof: bool,
    v2: bool,
}

impl Default for EntrySpec {
    fn default() -> Self {
        EntrySpec {
            time: T0,
            set: true,
            proof: true,
            v2: false,
        }
    }
}

/// A keyless message-signature bundle over ARTIFACT with a hashedrekord entry.
fn message_bundle(ts: &TestSigstore, leaf: &LeafSpec, e: &EntrySpec, stamps: &[i64]) -> Made {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("artifact.bin"), ARTIFACT).unwrap();
    std::fs::write(
        dir.path().join("root.json"),
        serde_json::to_vec(&ts.trusted_root()).unwrap(),
    )
    .unwrap();
    let (key, cert) = ts.leaf(leaf);
    let sig = key.sign(ARTIFACT);
    let digest = Sha256::digest(ARTIFACT);
    let body = if e.v2 {
        json!({"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": STANDARD.encode(digest)},
            "signature": {"content": STANDARD.encode(&sig), "verifier": {
                "x509Certificate": {"rawBytes": STANDARD.encode(&cert)}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}}})
    } else {
        json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {"content": STANDARD.encode(&sig),
                          "publicKey": {"content": STANDARD.encode(pem_cert(&cert))}}}})
    };
    let body = serde_json::to_vec(&body).unwrap();
    let version = if e.v2 { "0.0.2" } else { "0.0.1" };
    let entry = ts.entry(
        "hashedrekord",
        version,
        &body,
        if e.v2 { 0 } else { e.time },
        e.set,
        e.proof,
    );
    let stamps: Vec<Value> = stamps
        .iter()
        .map(|&t| json!({"signedTimestamp": STANDARD.encode(ts.timestamp(&sig, t))}))
        .collect();
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": STANDARD.encode(&cert)},
            "tlogEntries": [entry],
            "timestampVerificationData": {"rfc3161Timestamps": stamps},
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(digest)},
            "signature": STANDARD.encode(&sig),
        },
    });
    Made { dir, bundle }
}

#[test]
fn made_message_signature_with_hashedrekord_verifies() {
    let ts = TestSigstore::new();
    let m = message_bundle(&ts, &LeafSpec::default(), &EntrySpec::default(), &[]);
    let r = m.verify(TEST_ID, TEST_ISSUER);
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(r.1.contains("hashedrekord 0.0.1 body matches"), "{}", r.1);
    // Another file is another artifact.
    std::fs::write(m.dir.path().join("artifact.bin"), b"something else").unwrap();
    assert_refused(
        m.verify(TEST_ID, TEST_ISSUER),
        11,
        "the bundle signs sha256:",
    );
    // Without the trusted root that made it, the production root refuses the certificate.
    let r = run(
        m.dir.path(),
        &m.bundle,
        &keyless(TEST_ID, TEST_ISSUER),
        "artifact.bin",
    );
    assert_refused(r, 14, "does not chain");
}

#[test]
fn made_uri_identity_and_both_issuer_extensions() {
    let ts = TestSigstore::new();
    let wf = "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main";
    let spec = LeafSpec {
        san: San::Uri(wf),
        issuer_v1: Some("https://token.actions.githubusercontent.com"),
        issuer_v2: None,
        ..LeafSpec::default()
    };
    let m = message_bundle(&ts, &spec, &EntrySpec::default(), &[]);
    assert_eq!(
        m.verify(wf, "https://token.actions.githubusercontent.com")
            .0,
        0
    );
    assert_refused(
        m.verify(TEST_ID, "https://token.actions.githubusercontent.com"),
        14,
        "identity mismatch",
    );
    let spec = LeafSpec {
        issuer_v1: Some("https://other.example"),
        ..LeafSpec::default()
    };
    let m = message_bundle(&ts, &spec, &EntrySpec::default(), &[]);
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 14, "two OIDC issuers");
}

#[test]
fn made_sct_cases() {
    let ts = TestSigstore::new();
    let with = |sct| LeafSpec {
        sct,
        ..LeafSpec::default()
    };
    let m = message_bundle(
        &ts,
        &with(SctMode::WithExtensions),
        &EntrySpec::default(),
        &[],
    );
    assert_eq!(
        m.verify(TEST_ID, TEST_ISSUER).0,
        0,
        "an SCT with extensions verifies"
    );
    // A certificate properly signed by the CA but whose SCT signature is wrong.
    let m = message_bundle(
        &ts,
        &with(SctMode::BadSignature),
        &EntrySpec::default(),
        &[],
    );
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 14, "no SCT verifies");
    let m = message_bundle(&ts, &with(SctMode::None), &EntrySpec::default(), &[]);
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 14, "no embedded SCT");
}

#[test]
fn made_integrated_time_in_the_future_or_outside_the_certificate_is_refused() {
    let ts = TestSigstore::new();
    let far = 4_000_000_000; // 2096
    let spec = LeafSpec {
        not_before: T0 - 60,
        not_after: 2_524_607_999, // 2049-12-31T23:59:59Z, the end of UTCTime
        ..LeafSpec::default()
    };
    let m = message_bundle(
        &ts,
        &spec,
        &EntrySpec {
            time: far,
            ..EntrySpec::default()
        },
        &[],
    );
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 15, "in the future");
    let m = message_bundle(
        &ts,
        &LeafSpec::default(),
        &EntrySpec {
            time: T0 + 3600,
            ..EntrySpec::default()
        },
        &[],
    );
    assert_refused(
        m.verify(TEST_ID, TEST_ISSUER),
        15,
        "not at the signing time",
    );
    let m = message_bundle(
        &ts,
        &LeafSpec::default(),
        &EntrySpec {
            time: T0 - 3600,
            ..EntrySpec::default()
        },
        &[],
    );
    assert_refused(
        m.verify(TEST_ID, TEST_ISSUER),
        15,
        "not at the signing time",
    );
    // The validity end is inclusive.
    let m = message_bundle(
        &ts,
        &LeafSpec::default(),
        &EntrySpec {
            time: T0 + 540,
            ..EntrySpec::default()
        },
        &[],
    );
    assert_eq!(m.verify(TEST_ID, TEST_ISSUER).0, 0);
}

#[test]
fn made_checkpoint_for_another_tree_is_refused() {
    let ts = TestSigstore::new();
    let mut m = message_bundle(&ts, &LeafSpec::default(), &EntrySpec::default(), &[]);
    // A checkpoint the log really signed, but for another root hash.
    let note = ts.checkpoint(7, &[0x55; 32]);
    m.bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"] = json!(note);
    assert_refused(
        m.verify(TEST_ID, TEST_ISSUER),
        15,
        "checkpoint's root hash is not the proof's",
    );
    let note = ts.checkpoint(8, &[0x55; 32]);
    m.bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"] = json!(note);
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 15, "tree size 8");
}

#[test]
fn made_rekor_v2_entry_with_rfc3161_timestamp() {
    let ts = TestSigstore::new();
    let v2 = EntrySpec {
        set: false,
        v2: true,
        ..EntrySpec::default()
    };
    let m = message_bundle(&ts, &LeafSpec::default(), &v2, &[T0 + 30]);
    let r = m.verify(TEST_ID, TEST_ISSUER);
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(
        r.1.contains("RFC 3161 time 2024-01-01T00:00:30Z from https://tsa.test"),
        "{}",
        r.1
    );
    assert!(r.1.contains("hashedrekord 0.0.2"), "{}", r.1);
    // Without a timestamp there is no signing time.
    let m = message_bundle(&ts, &LeafSpec::default(), &v2, &[]);
    assert_refused(
        m.verify(TEST_ID, TEST_ISSUER),
        15,
        "no verified signing time",
    );
    // A timestamp outside the certificate's validity.
    let m = message_bundle(&ts, &LeafSpec::default(), &v2, &[T0 + 3600]);
    assert_refused(
        m.verify(TEST_ID, TEST_ISSUER),
        15,
        "not at the signing time",
    );
    // Outside the TSA certificate's validity (it ends at T0 + 1 day; inclusive).
    let long = LeafSpec {
        not_after: T0 + 86400 * 2,
        ..LeafSpec::default()
    };
    let m = message_bundle(&ts, &long, &v2, &[T0 + 86400]);
    assert_eq!(
        m.verify(TEST_ID, TEST_ISSUER).0,
        0,
        "the TSA validity end is inclusive"
    );
    let m = message_bundle(&ts, &long, &v2, &[T0 + 86401]);
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 15, "outside the validity");
    // A timestamp over another signature.
    let mut m = message_bundle(&ts, &LeafSpec::default(), &v2, &[]);
    m.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        json!([{"signedTimestamp": STANDARD.encode(ts.timestamp(b"another signature", T0))}]);
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 15, "message imprint");
    // A timestamp by another TSA.
    let other = TestSigstore::new();
    let mut m = message_bundle(&ts, &LeafSpec::default(), &v2, &[]);
    let sig = STANDARD
        .decode(m.bundle["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    m.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        json!([{"signedTimestamp": STANDARD.encode(other.timestamp(&sig, T0))}]);
    assert_refused(m.verify(TEST_ID, TEST_ISSUER), 15, "no timestamp authority");
}

/// A made bundle verified in-process against its test trusted root, as `Made::verify` does.
fn made_in_process(ts: &TestSigstore, m: &Made) -> Result<sigstore::Verified, sigstore::Failure> {
    let trust = TrustedRoot::parse(&serde_json::to_vec(&ts.trusted_root()).unwrap()).unwrap();
    let opts = sigstore::Options {
        policy: sigstore::Policy::Identity {
            identity: TEST_ID,
            issuer: TEST_ISSUER,
        },
        trust: &trust,
        artifact: Some(Sha256::digest(ARTIFACT).into()),
        now: now(),
    };
    sigstore::verify_bundle(&serde_json::to_vec(&m.bundle).unwrap(), &opts)
}

#[test]
fn log_timestamp_and_time_failures_share_an_exit_code_but_not_a_kind() {
    let ts = TestSigstore::new();
    let v2 = EntrySpec {
        set: false,
        v2: true,
        ..EntrySpec::default()
    };
    let made = |stamps: &[i64]| message_bundle(&ts, &LeafSpec::default(), &v2, stamps);
    let mut over_other = made(&[]);
    over_other.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        json!([{"signedTimestamp": STANDARD.encode(ts.timestamp(b"another signature", T0))}]);
    let mut other_tree = made(&[T0 + 30]);
    other_tree.bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
        ["envelope"] = json!(ts.checkpoint(7, &[0x55; 32]));
    let rows = vec![
        KindRow {
            name: "no signing time at all",
            change: made(&[]),
            kind: Kind::Time,
            says: "no verified signing time",
        },
        KindRow {
            name: "a timestamp outside the certificate's validity",
            change: made(&[T0 + 3600]),
            kind: Kind::Time,
            says: "not at the signing time",
        },
        KindRow {
            name: "a timestamp over another signature",
            change: over_other,
            kind: Kind::Timestamp,
            says: "message imprint",
        },
        KindRow {
            name: "a checkpoint for another tree",
            change: other_tree,
            kind: Kind::Log,
            says: "checkpoint's root hash is not the proof's",
        },
    ];
    assert!(rows.iter().all(|r| r.kind.exit_code() as i32 == 15));
    tamper::refused_as(&rows, |m| {
        made_in_process(&ts, m).err().map(|f| (f.kind, f.message))
    });
    assert!(made_in_process(&ts, &made(&[T0 + 30])).is_ok());
}

/// What the hashedrekord 0.0.2 body of a DSSE bundle records: the PAE digest, signature and
/// certificate, each replaceable to make a mismatch.
#[derive(Default, Clone)]
struct Recorded {
    pae_digest: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    certificate: Option<Vec<u8>>,
}

/// A keyless DSSE bundle logged as Rekor v2 does it (rekor v2 spec §6.1.4): a hashedrekord 0.0.2
/// entry over SHA-256(PAE(payloadType, payload)), an inclusion proof and an RFC 3161 timestamp.
fn dsse_as_hashedrekord(ts: &TestSigstore, rec: Recorded) -> Made {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("artifact.bin"), ARTIFACT).unwrap();
    std::fs::write(
        dir.path().join("root.json"),
        serde_json::to_vec(&ts.trusted_root()).unwrap(),
    )
    .unwrap();
    let (key, cert) = ts.leaf(&LeafSpec::default());
    let payload = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.bin", "digest": {"sha256": hex::encode(Sha256::digest(ARTIFACT))}}],
        "predicateType": "https://example.com/p", "predicate": {}}))
    .unwrap();
    let pt = "application/vnd.in-toto+json";
    let pae = [
        format!("DSSEv1 {} {pt} {} ", pt.len(), payload.len()).into_bytes(),
        payload.clone(),
    ]
    .concat();
    let sig = key.sign(&pae);
    let body = json!({"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": {"hashedRekordV002": {
        "data": {"algorithm": "SHA2_256",
                 "digest": STANDARD.encode(rec.pae_digest.unwrap_or_else(|| Sha256::digest(&pae).to_vec()))},
        "signature": {"content": STANDARD.encode(rec.signature.as_ref().unwrap_or(&sig)), "verifier": {
            "x509Certificate": {"rawBytes": STANDARD.encode(rec.certificate.as_ref().unwrap_or(&cert))},
            "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}}});
    let body = serde_json::to_vec(&body).unwrap();
    let entry = ts.entry("hashedrekord", "0.0.2", &body, 0, false, true);
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": STANDARD.encode(&cert)},
            "tlogEntries": [entry],
            "timestampVerificationData": {"rfc3161Timestamps": [
                {"signedTimestamp": STANDARD.encode(ts.timestamp(&sig, T0 + 30))}]},
        },
        "dsseEnvelope": {"payloadType": pt, "payload": STANDARD.encode(&payload),
                         "signatures": [{"keyid": "", "sig": STANDARD.encode(&sig)}]},
    });
    Made { dir, bundle }
}

#[test]
fn made_dsse_logged_as_hashedrekord_v2_verifies_and_every_mismatch_is_refused() {
    let ts = TestSigstore::new();
    let m = dsse_as_hashedrekord(&ts, Recorded::default());
    let r = m.verify(TEST_ID, TEST_ISSUER);
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(r.1.contains("hashedrekord 0.0.2 body matches"), "{}", r.1);
    assert!(r.1.contains("inclusion proof of leaf 5"), "{}", r.1);
    // `verify` judges the same bundle the same way.
    let out = outcome(
        sbomkit_in(m.dir.path())
            .arg("verify")
            .arg(write(
                m.dir.path(),
                "b.json",
                &serde_json::to_vec(&m.bundle).unwrap(),
            ))
            .args(keyless(TEST_ID, TEST_ISSUER))
            .args(["--trusted-root", "root.json"]),
    );
    assert_eq!(out.code, 0, "{}", out.text());

    // The PAE of another envelope (the same payload under another payload type).
    let other_pae = b"DSSEv1 10 text/plain 2 {}";
    let (other_key, other_cert) = ts.leaf(&LeafSpec::default());
    let rows: Vec<Row<Recorded>> = vec![
        Row {
            name: "another envelope's PAE digest",
            change: Recorded {
                pae_digest: Some(Sha256::digest(other_pae).to_vec()),
                ..Recorded::default()
            },
            code: 15,
            says: "hash of the envelope's PAE is not the bundle's",
        },
        Row {
            name: "the payload's digest instead of the PAE's",
            change: Recorded {
                pae_digest: Some(
                    Sha256::digest(
                        STANDARD
                            .decode(m.bundle["dsseEnvelope"]["payload"].as_str().unwrap())
                            .unwrap(),
                    )
                    .to_vec(),
                ),
                ..Recorded::default()
            },
            code: 15,
            says: "hash of the envelope's PAE is not the bundle's",
        },
        Row {
            name: "another signature",
            change: Recorded {
                signature: Some(other_key.sign(other_pae)),
                ..Recorded::default()
            },
            code: 15,
            says: "signature or verifier",
        },
        Row {
            name: "another signer's certificate",
            change: Recorded {
                certificate: Some(other_cert.clone()),
                ..Recorded::default()
            },
            code: 15,
            says: "signature or verifier",
        },
    ];
    tamper::refused(&rows, &["NOT verified"], |rec| {
        dsse_as_hashedrekord(&ts, rec.clone()).verify(TEST_ID, TEST_ISSUER)
    });
}

/// A key-based DSSE bundle with a dsse 0.0.1 or intoto 0.0.2 log entry.
fn key_bundle(ts: &TestSigstore, kind: &str) -> (tempfile::TempDir, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let key = bundle_ca::Key::p256();
    std::fs::write(dir.path().join("key.pub"), key.pem()).unwrap();
    std::fs::write(
        dir.path().join("root.json"),
        serde_json::to_vec(&ts.trusted_root()).unwrap(),
    )
    .unwrap();
    let subject = hex::encode(Sha256::digest(ARTIFACT));
    let payload = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.bin", "digest": {"sha256": subject}}],
        "predicateType": "https://example.com/p", "predicate": {}}))
    .unwrap();
    let pt = "application/vnd.in-toto+json";
    let pae = [
        format!("DSSEv1 {} {pt} {} ", pt.len(), payload.len()).into_bytes(),
        payload.clone(),
    ]
    .concat();
    let sig = key.sign(&pae);
    let payload_hash = hex::encode(Sha256::digest(&payload));
    let body = match kind {
        "dsse" => json!({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": "00"},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
            "signatures": [{"signature": STANDARD.encode(&sig), "verifier": STANDARD.encode(key.pem())}]}}),
        _ => json!({"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": {
            "envelope": {"payloadType": pt, "signatures": [{
                "sig": STANDARD.encode(STANDARD.encode(&sig)), "publicKey": STANDARD.encode(key.pem())}]},
            "hash": {"algorithm": "sha256", "value": "00"},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash}}}}),
    };
    let body = serde_json::to_vec(&body).unwrap();
    let version = if kind == "dsse" { "0.0.1" } else { "0.0.2" };
    let entry = ts.entry(kind, version, &body, T0, true, true);
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": [entry]},
        "dsseEnvelope": {"payloadType": pt, "payload": STANDARD.encode(&payload),
                         "signatures": [{"keyid": "", "sig": STANDARD.encode(&sig)}]},
    });
    (dir, bundle, format!("sha256:{subject}"))
}

#[test]
fn made_key_based_bundles_with_log_entries() {
    let ts = TestSigstore::new();
    for kind in ["dsse", "intoto"] {
        let (dir, b, subject) = key_bundle(&ts, kind);
        let args = ["--key", "key.pub", "--trusted-root", "root.json"];
        let r = run(dir.path(), &b, &args, &subject);
        assert_eq!(r.0, 0, "{kind}: {}", r.1);
        // The artifact as a file gives the same digest.
        std::fs::write(dir.path().join("artifact.bin"), ARTIFACT).unwrap();
        assert_eq!(run(dir.path(), &b, &args, "artifact.bin").0, 0);
        let mut t = b.clone();
        b64_mut(
            &mut t,
            "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
            |s| s[12] ^= 1,
        );
        assert_refused(
            run(dir.path(), &t, &args, &subject),
            15,
            "signed entry timestamp",
        );
        // No entry: the signature alone, as for any key-based bundle.
        let mut t = b.clone();
        t["verificationMaterial"]["tlogEntries"] = json!([]);
        assert_eq!(run(dir.path(), &t, &args, &subject).0, 0);
        // Identity flags on a key-based bundle.
        let mut a = keyless(TEST_ID, TEST_ISSUER);
        a.extend(["--trusted-root", "root.json"]);
        assert_refused(run(dir.path(), &b, &a, &subject), 14, "signed with a key");
        // Another key.
        std::fs::write(dir.path().join("other.pub"), bundle_ca::Key::p256().pem()).unwrap();
        let r = run(
            dir.path(),
            &b,
            &["--key", "other.pub", "--trusted-root", "root.json"],
            &subject,
        );
        assert_refused(r, 10, "signature");
    }
}

#[test]
fn verify_and_verify_bundle_judge_key_based_bundles_alike() {
    let ts = TestSigstore::new();
    let (dir, b, subject) = key_bundle(&ts, "dsse");
    let trust = TrustedRoot::parse(&serde_json::to_vec(&ts.trusted_root()).unwrap()).unwrap();
    let key = VerifyingKey::from_pem(&std::fs::read_to_string(dir.path().join("key.pub")).unwrap())
        .unwrap();
    let verify = |b: &Value, root: &[&str]| {
        let p = write(dir.path(), "v.json", &serde_json::to_vec(b).unwrap());
        let out = outcome(
            sbomkit_in(dir.path())
                .arg("verify")
                .arg(&p)
                .args(["--key", "key.pub"])
                .args(root),
        );
        (out.code, out.text())
    };
    let root_args = ["--trusted-root", "root.json"];
    let bundle_args = ["--key", "key.pub", "--trusted-root", "root.json"];
    let r = verify(&b, &root_args);
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(r.1.contains("inclusion proof of leaf 5"), "{}", r.1);
    assert_eq!(run(dir.path(), &b, &bundle_args, &subject).0, 0);
    // The log entry is checked by `verify` too: the production root does not know the test log.
    let r = verify(&b, &[]);
    assert_eq!(r.0, 15, "{}", r.1);
    assert!(
        r.1.contains("not a transparency log of the trusted root"),
        "{}",
        r.1
    );
    let r = run(dir.path(), &b, &["--key", "key.pub"], &subject);
    assert_eq!(r.0, 15, "{}", r.1);
    let rows: &[BundleRow] = &[
        KindRow {
            name: "no media type",
            change: |b| {
                b.as_object_mut().unwrap().remove("mediaType");
            },
            kind: Kind::Bundle,
            says: "no `mediaType`",
        },
        KindRow {
            name: "no verification material",
            change: |b| {
                b.as_object_mut().unwrap().remove("verificationMaterial");
            },
            kind: Kind::Bundle,
            says: "no `verificationMaterial`",
        },
        KindRow {
            name: "a signature that is not base64",
            change: |b| b["dsseEnvelope"]["signatures"][0]["sig"] = json!("%%%"),
            kind: Kind::Bundle,
            says: "not valid base64",
        },
        KindRow {
            name: "payload byte flipped",
            change: |b| b64_mut(b, "/dsseEnvelope/payload", |p| p[20] ^= 1),
            kind: Kind::Signature,
            says: "does not verify over the PAE",
        },
        KindRow {
            name: "signed entry timestamp flipped",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
                    |s| s[12] ^= 1,
                )
            },
            kind: Kind::Log,
            says: "signed entry timestamp",
        },
        KindRow {
            name: "inclusion proof hash flipped",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/0",
                    |h| h[0] ^= 1,
                )
            },
            kind: Kind::Log,
            says: "inclusion proof",
        },
        KindRow {
            name: "another log",
            change: |b| {
                b64_mut(b, "/verificationMaterial/tlogEntries/0/logId/keyId", |k| {
                    k[0] ^= 1
                })
            },
            kind: Kind::Log,
            says: "not a transparency log of the trusted root",
        },
        KindRow {
            name: "v0.2 entry without its inclusion proof",
            change: |b| {
                b["verificationMaterial"]["tlogEntries"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("inclusionProof");
            },
            kind: Kind::Log,
            says: "no inclusion proof",
        },
        KindRow {
            name: "an entry for another signature",
            change: |b| {
                b64_mut(
                    b,
                    "/verificationMaterial/tlogEntries/0/canonicalizedBody",
                    |body| {
                        let mut v: Value = serde_json::from_slice(body).unwrap();
                        v["spec"]["signatures"][0]["signature"] = json!(STANDARD.encode([7u8; 70]));
                        *body = serde_json::to_vec(&v).unwrap();
                    },
                )
            },
            kind: Kind::Log,
            says: "signature or verifier",
        },
    ];
    let bundle_opts = |trust| sigstore::Options {
        policy: sigstore::Policy::Key(&key),
        trust,
        artifact: Some(
            hex::decode(&subject["sha256:".len()..])
                .unwrap()
                .try_into()
                .unwrap(),
        ),
        now: now(),
    };
    tamper::refused_as(rows, |change| {
        let mut t = b.clone();
        change(&mut t);
        let by_bundle = sigstore::verify_value(&t, &bundle_opts(&trust));
        judged_alike(
            "",
            &by_bundle,
            &verify_in_process(&t, Some(&key), None, &trust),
        );
        by_bundle.err().map(|f| (f.kind, f.message))
    });
    // End to end, every row exits with its code from both commands.
    for row in rows {
        let mut t = b.clone();
        (row.change)(&mut t);
        let by_bundle = run(dir.path(), &t, &bundle_args, &subject);
        let by_verify = verify(&t, &root_args);
        for (cmd, (code, text)) in [("verify-bundle", by_bundle), ("verify", by_verify)] {
            assert_eq!(
                code,
                row.kind.exit_code() as i32,
                "{}, {cmd}: {text}",
                row.name
            );
            assert!(text.contains(row.says), "{}, {cmd}: {text}", row.name);
        }
    }
    // The public keyless bundles given only a key: neither command takes the key for the
    // certificate.
    let production = TrustedRoot::production().unwrap();
    for (file, artifact) in [(COSIGN, COSIGN_SUBJECT), (TRIVY, TRIVY_SUBJECT)] {
        let pb = load(file);
        let opts = sigstore::Options {
            artifact: Some(
                hex::decode(&artifact["sha256:".len()..])
                    .unwrap()
                    .try_into()
                    .unwrap(),
            ),
            ..bundle_opts(&production)
        };
        let by_bundle = sigstore::verify_value(&pb, &opts);
        assert_eq!(by_bundle.as_ref().unwrap_err().kind, Kind::Certificate);
        judged_alike(
            file,
            &by_bundle,
            &verify_in_process(&pb, Some(&key), None, &production),
        );
    }
}

#[test]
fn verify_accepts_keyless_bundles_with_the_identity_flags() {
    let sbomkit = |args: &[&str]| {
        let out = outcome(sbomkit_in(&root()).arg("verify").args(args));
        (out.code, String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let r = sbomkit(&[
        TRIVY,
        "--certificate-identity",
        TRIVY_ID,
        "--certificate-oidc-issuer",
        GITHUB_OAUTH,
        "--type",
        "cyclonedx",
    ]);
    // Trivy wrote CycloneDX 1.4, whose schema is not built in: the predicate is said to be
    // unchecked, never reported valid against another version's schema; every other check passes.
    assert_eq!(r.0, 0, "{}", r.1);
    assert!(
        r.1.contains("keyless")
            && r.1.contains("checkpoint signed by the log verifies")
            && r.1.contains("CycloneDX 1.4 has no schema here")
            && r.1.contains("not checked")
            && !r.1.contains("FAIL  ")
            && r.1.matches("PASS  ").count() == 5,
        "{}",
        r.1
    );
    let r = sbomkit(&[
        TRIVY,
        "--certificate-identity",
        COSIGN_ID,
        "--certificate-oidc-issuer",
        GITHUB_OAUTH,
    ]);
    assert_eq!(r.0, 14, "{}", r.1);
    let r = sbomkit(&[
        TRIVY,
        "--certificate-identity",
        TRIVY_ID,
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
    ]);
    assert_eq!(r.0, 14, "{}", r.1);
    // The type is still checked after the keyless signature.
    let r = sbomkit(&[
        COSIGN,
        "--certificate-identity",
        COSIGN_ID,
        "--certificate-oidc-issuer",
        GITHUB_OAUTH,
        "--type",
        "spdx",
    ]);
    assert_eq!(r.0, 12, "{}", r.1);
    // A trusted root without the CA.
    let d = tempfile::tempdir().unwrap();
    let mut tr = load(PROD_ROOT);
    tr["certificateAuthorities"] = json!([]);
    let p = d.path().join("empty.json");
    std::fs::write(&p, serde_json::to_vec(&tr).unwrap()).unwrap();
    let p = p.display().to_string();
    let r = sbomkit(&[
        COSIGN,
        "--certificate-identity",
        COSIGN_ID,
        "--certificate-oidc-issuer",
        GITHUB_OAUTH,
        "--trusted-root",
        &p,
    ]);
    assert_eq!(r.0, 14, "{}", r.1);
    // Neither a key nor an identity: a usage error.
    assert_eq!(sbomkit(&[COSIGN]).0, 2);
}
