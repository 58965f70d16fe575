//! `sbomkit keygen`, `attest` and `verify` end to end on the binary, with real inputs, and every
//! tampering case an auditor relies on being caught.

use std::path::Path;

use assert_cmd::Command;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use sbomkit::attest::dsse::{self, Envelope, Signature, IN_TOTO_PAYLOAD_TYPE};
use sbomkit::attest::keys::{Algorithm, SigningKey};

use crate::support::image::sha256_hex;
use crate::support::schema;
use crate::support::tamper::{self, Row};
use crate::support::{outcome, root, run, sbomkit_in};

const ALPINE: &str = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";
const OTHER: &str = "dir:testdata/fixtures/dpkg/debian-libpam";

/// sbomkit in `dir`, with the password of the keys it makes.
fn signer(dir: &Path) -> Command {
    let mut c = sbomkit_in(dir);
    c.env("SBOMKIT_PASSWORD", "correct horse");
    c
}

fn alpine() -> String {
    root().join(ALPINE).display().to_string()
}

fn other() -> String {
    format!("dir:{}", root().join(&OTHER[4..]).display())
}

/// Runs verify and returns (exit code, stdout).
fn verify(dir: &Path, att: &str, key: &str, extra: &[&str]) -> (i32, String) {
    let out = outcome(signer(dir).args(["verify", att, "--key", key]).args(extra));
    (out.code, out.text())
}

/// A signed attestation made in-process: a statement about `file:` the alpine archive (its SHA-256),
/// with a schema-valid CycloneDX predicate.
struct Fixture {
    dir: tempfile::TempDir,
    key: SigningKey,
    blob_sha: String,
}

impl Fixture {
    fn new(alg: Algorithm) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate(alg);
        std::fs::write(dir.path().join("good.pub"), key.verifying_key().to_pem()).unwrap();
        let blob_sha = sha256_hex(&std::fs::read(root().join(ALPINE)).unwrap());
        Fixture { dir, key, blob_sha }
    }

    fn statement(
        &self,
        type_: &str,
        subjects: Value,
        predicate_type: &str,
        predicate: Value,
    ) -> Vec<u8> {
        serde_json::to_vec(&json!({"_type": type_, "subject": subjects,
            "predicateType": predicate_type, "predicate": predicate}))
        .unwrap()
    }

    fn good_statement(&self) -> Vec<u8> {
        self.statement(
            "https://in-toto.io/Statement/v1",
            json!([{"name": "alpine-3.10-docker-save.tar.gz", "digest": {"sha256": self.blob_sha}}]),
            "https://cyclonedx.org/bom/v1.6",
            json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}),
        )
    }

    fn write(&self, name: &str, v: &impl serde::Serialize) -> String {
        std::fs::write(self.dir.path().join(name), serde_json::to_vec(v).unwrap()).unwrap();
        name.to_string()
    }

    fn verify(&self, att: &str, extra: &[&str]) -> (i32, String) {
        let image = format!("file:{}", alpine());
        let mut args = vec!["--image", image.as_str()];
        args.extend_from_slice(extra);
        verify(self.dir.path(), att, "good.pub", &args)
    }
}

#[test]
fn readme_round_trip_passes_and_fails_on_another_image() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signer(d).arg("keygen").assert().success();
    assert!(d.join("sbomkit.key").exists() && d.join("sbomkit.pub").exists());
    let key_text = std::fs::read_to_string(d.join("sbomkit.key")).unwrap();
    assert!(key_text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let out = run(
        signer(d).args(["attest", &alpine(), "--key", "sbomkit.key"]),
        0,
    );
    std::fs::write(d.join("att.json"), &out.stdout).unwrap();

    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["payloadType"], IN_TOTO_PAYLOAD_TYPE);
    let pub_der = {
        let pem = std::fs::read_to_string(d.join("sbomkit.pub")).unwrap();
        sbomkit::attest::keys::pem_decode(&pem).unwrap().1
    };
    assert_eq!(env["signatures"][0]["keyid"], sha256_hex(&pub_der));
    let st: Value =
        serde_json::from_slice(&STANDARD.decode(env["payload"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["predicateType"], "https://spdx.dev/Document");
    assert_eq!(st["predicate"]["spdxVersion"], "SPDX-2.3");
    // docker save records no manifest digest: the one subject is the image ID, named without tag.
    assert_eq!(
        st["subject"],
        json!([{"name": "alpine", "digest": {"sha256": "af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e"}}])
    );

    let (code, text) = verify(d, "att.json", "sbomkit.pub", &["--image", &alpine()]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("PASS  predicate      valid SPDX-2.3"),
        "{text}"
    );
    let (code, text) = verify(
        d,
        "att.json",
        "sbomkit.pub",
        &[
            "--image",
            &alpine(),
            "--type",
            "spdxjson",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["verified"], true);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "envelope",
            "signature",
            "payloadType",
            "statement",
            "subject",
            "predicateType",
            "predicate"
        ]
    );

    let (code, text) = verify(d, "att.json", "sbomkit.pub", &["--image", &other()]);
    assert_eq!(code, 11, "{text}");
    assert!(
        text.contains("the attestation is about another artifact"),
        "{text}"
    );
    let (code, text) = verify(d, "att.json", "sbomkit.pub", &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("----  subject        no --image given"),
        "{text}"
    );
    let (code, text) = verify(d, "att.json", "sbomkit.pub", &["--type", "cyclonedx"]);
    assert_eq!(code, 12, "{text}");

    // keygen refuses to overwrite, and asks for a password it cannot get.
    signer(d)
        .arg("keygen")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("already exists"));
    let mut c = signer(d);
    c.args(["keygen", "--prefix", "x"])
        .env_remove("SBOMKIT_PASSWORD");
    c.assert()
        .code(1)
        .stderr(predicates::str::contains("no password"));
}

#[test]
fn bundle_is_schema_valid_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signer(d)
        .args(["keygen", "--algorithm", "ed25519"])
        .assert()
        .success();
    signer(d)
        .args([
            "attest",
            &alpine(),
            "--key",
            "sbomkit.key",
            "--bundle",
            "-o",
            "cyclonedx-json",
            "--output-file",
            "b.json",
        ])
        .assert()
        .success();
    let b: Value = serde_json::from_slice(&std::fs::read(d.join("b.json")).unwrap()).unwrap();
    assert_eq!(
        b["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(
        b["verificationMaterial"]["publicKey"]["hint"],
        b["dsseEnvelope"]["signatures"][0]["keyid"]
    );
    // The schema is adjusted (see `sigstore_validator`); the real cosign bundle below shows it still
    // accepts what the reference client writes.
    let v = schema::sigstore_schema("Bundle.schema.json");
    let errors = schema::errors(&v, &b);
    assert!(errors.is_empty(), "{errors:?}");
    let cosign: Value = serde_json::from_slice(
        &std::fs::read(
            root().join("testdata/fixtures/sigstore/cosign-oci-attestation.sigstore.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(v.is_valid(&cosign));
    // The schema is not vacuous: a bundle without its envelope's payload fails it.
    let mut broken = b.clone();
    broken["dsseEnvelope"]["payload"] = json!(17);
    assert!(!v.is_valid(&broken));

    let (code, text) = verify(
        d,
        "b.json",
        "sbomkit.pub",
        &["--image", &alpine(), "--type", "https://cyclonedx.org/bom"],
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json)"),
        "{text}"
    );
    assert!(
        text.contains("valid CycloneDX 1.7"),
        "the default version: {text}"
    );
}

#[test]
fn predicate_must_describe_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signer(d)
        .args(["keygen", "--algorithm", "ed25519"])
        .assert()
        .success();
    signer(d)
        .args([
            "generate",
            "-q",
            &alpine(),
            "-o",
            "cyclonedx-json=alpine.cdx.json",
        ])
        .assert()
        .success();
    signer(d)
        .args([
            "generate",
            "-q",
            &other(),
            "-o",
            "spdx-json=other.spdx.json",
        ])
        .assert()
        .success();
    signer(d)
        .args([
            "attest",
            &alpine(),
            "--key",
            "sbomkit.key",
            "--predicate",
            "alpine.cdx.json",
            "--output-file",
            "a.json",
        ])
        .assert()
        .success();
    let (code, text) = verify(
        d,
        "a.json",
        "sbomkit.pub",
        &["--image", &alpine(), "--type", "cyclonedx"],
    );
    assert_eq!(code, 0, "{text}");
    signer(d)
        .args([
            "attest",
            &alpine(),
            "--key",
            "sbomkit.key",
            "--predicate",
            "other.spdx.json",
        ])
        .assert()
        .code(11)
        .stderr(predicates::str::contains("other.spdx.json describes"))
        .stderr(predicates::str::contains("refusing to sign"));
}

#[test]
fn keys_written_independently_in_cosign_format_are_read() {
    // Written by scripts/cosign-key.py (Python cryptography + PyNaCl): legacy label with N=2^15, and
    // the current label with N=2^17.
    for name in ["python-cosign-p256", "python-sigstore-ed25519"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let fx = root().join("testdata/fixtures/sigstore");
        let key = fx.join(format!("{name}.key"));
        let mut c = signer(d);
        c.env("SBOMKIT_PASSWORD", "sbomkit-test").args([
            "attest",
            &format!("file:{}", alpine()),
            "--key",
            key.to_str().unwrap(),
            "--output-file",
            "a.json",
        ]);
        c.assert().success();
        let public = fx.join(format!("{name}.pub"));
        let (code, text) = verify(
            d,
            "a.json",
            public.to_str().unwrap(),
            &["--image", &format!("file:{}", alpine())],
        );
        assert_eq!(code, 0, "{name}: {text}");
        let mut c = signer(d);
        c.env("SBOMKIT_PASSWORD", "wrong").args([
            "attest",
            &alpine(),
            "--key",
            key.to_str().unwrap(),
        ]);
        c.assert()
            .code(1)
            .stderr(predicates::str::contains("wrong password"));
    }
}

fn sign_env(fx: &Fixture, payload_type: &str, payload: &[u8]) -> Envelope {
    dsse::sign(payload_type, payload, &fx.key)
}

/// A tampered attestation written in the fixture's folder: (its file, the public key to verify with).
type Tampered = fn(&Fixture) -> (String, &'static str);

/// The good statement and its envelope, as signed by the fixture's key.
fn good(fx: &Fixture) -> (Vec<u8>, Envelope) {
    let payload = fx.good_statement();
    let env = sign_env(fx, IN_TOTO_PAYLOAD_TYPE, &payload);
    (payload, env)
}

/// The good envelope with the payload byte at `at(len)` flipped.
fn payload_flipped(fx: &Fixture, at: fn(usize) -> usize) -> (String, &'static str) {
    let (mut p, mut e) = good(fx);
    let i = at(p.len());
    p[i] ^= 0x01;
    e.payload = STANDARD.encode(&p);
    (fx.write("flip-payload.json", &e), "good.pub")
}

/// The good envelope with the signature byte at `at(len)` flipped.
fn signature_flipped(fx: &Fixture, at: fn(usize) -> usize) -> (String, &'static str) {
    let (_, mut e) = good(fx);
    let mut s = STANDARD.decode(&e.signatures[0].sig).unwrap();
    let i = at(s.len());
    s[i] ^= 0x80;
    e.signatures[0].sig = STANDARD.encode(&s);
    (fx.write("flip-sig.json", &e), "good.pub")
}

/// Signs `statement` as it is and writes the envelope.
fn signed(fx: &Fixture, name: &str, statement: &[u8]) -> (String, &'static str) {
    let e = sign_env(fx, IN_TOTO_PAYLOAD_TYPE, statement);
    (fx.write(name, &e), "good.pub")
}

#[test]
fn tampering_is_caught() {
    let fx = Fixture::new(Algorithm::EcdsaP256);
    let (_, e) = good(&fx);
    let name = fx.write("good.json", &e);
    assert_eq!(fx.verify(&name, &["--type", "cyclonedx"]).0, 0);

    let rows: &[Row<Tampered>] = &[
        Row {
            name: "payload's first byte flipped",
            change: |fx| payload_flipped(fx, |_| 0),
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "payload's middle byte flipped",
            change: |fx| payload_flipped(fx, |n| n / 2),
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "payload's last byte flipped",
            change: |fx| payload_flipped(fx, |n| n - 1),
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "signature's first byte flipped",
            change: |fx| signature_flipped(fx, |_| 0),
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "signature's middle byte flipped",
            change: |fx| signature_flipped(fx, |n| n / 2),
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "signature's last byte flipped",
            change: |fx| signature_flipped(fx, |n| n - 1),
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "verified with another key",
            change: |fx| {
                let other = SigningKey::generate(Algorithm::EcdsaP256);
                std::fs::write(
                    fx.dir.path().join("other.pub"),
                    other.verifying_key().to_pem(),
                )
                .unwrap();
                (fx.write("good.json", &good(fx).1), "other.pub")
            },
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "payloadType swapped after signing",
            change: |fx| {
                let (_, mut e) = good(fx);
                e.payload_type = "application/json".into();
                (fx.write("swapped.json", &e), "good.pub")
            },
            code: 10,
            says: "no signature of 1 verifies",
        },
        Row {
            name: "signed with the wrong payloadType",
            change: |fx| {
                let e = sign_env(fx, "application/json", &fx.good_statement());
                (fx.write("wrongtype.json", &e), "good.pub")
            },
            code: 13,
            says: "FAIL  payloadType",
        },
        Row {
            name: "signature over the raw payload, not the PAE",
            change: |fx| {
                let (payload, mut e) = good(fx);
                e.signatures[0].sig = STANDARD.encode(fx.key.sign(&payload));
                (fx.write("raw.json", &e), "good.pub")
            },
            code: 10,
            says: "raw payload, not over the DSSE PAE",
        },
        Row {
            name: "zero signatures",
            change: |fx| {
                let (_, mut e) = good(fx);
                e.signatures.clear();
                (fx.write("nosig.json", &e), "good.pub")
            },
            code: 10,
            says: "no signatures",
        },
        Row {
            name: "two subjects, one of them not this image",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"name": "a", "digest": {"sha256": fx.blob_sha}}, {"name": "b", "digest": {"sha256": "ab".repeat(32)}}]),
                    "https://cyclonedx.org/bom",
                    json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}),
                );
                signed(fx, "two.json", &st)
            },
            code: 11,
            says: "subject `b`",
        },
        Row {
            name: "duplicate key in the envelope",
            change: |fx| {
                let text = serde_json::to_string(&good(fx).1).unwrap();
                let dup = text.replacen(
                    "{\"payloadType\":",
                    "{\"payloadType\":\"x\",\"payloadType\":",
                    1,
                );
                std::fs::write(fx.dir.path().join("dup.json"), dup).unwrap();
                ("dup.json".into(), "good.pub")
            },
            code: 13,
            says: "duplicate key `payloadType`",
        },
        Row {
            name: "duplicate key in a correctly signed payload",
            change: |fx| {
                let dup = String::from_utf8(fx.good_statement()).unwrap().replacen(
                    "{\"_type\":",
                    "{\"_type\":\"x\",\"_type\":",
                    1,
                );
                signed(fx, "dup-payload.json", dup.as_bytes())
            },
            code: 13,
            says: "duplicate key `_type`",
        },
        Row {
            name: "invalid predicate of the declared type",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"digest": {"sha256": fx.blob_sha}}]),
                    "https://spdx.dev/Document",
                    json!({"spdxVersion": "SPDX-2.3", "name": 5}),
                );
                signed(fx, "badpred.json", &st)
            },
            code: 12,
            says: "not valid SPDX-2.3",
        },
        // An npm author as Debian's node-path-parse writes it, `<http://...>` read as an email:
        // `idn-email` is checked.
        Row {
            name: "an email that is a URL",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"digest": {"sha256": fx.blob_sha}}]),
                    "https://cyclonedx.org/bom",
                    json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                        "components": [{"type": "library", "name": "path-parse", "version": "1.0.7",
                            "authors": [{"name": "Javier Blanco", "email": "http://jbgutierrez.info"}]}]}),
                );
                signed(fx, "url-email.json", &st)
            },
            code: 12,
            says: "not valid CycloneDX 1.6: at /components/0/authors/0/email",
        },
        // Each document is judged by the schema of the version it declares.
        Row {
            name: "valid 1.6 but declared 1.5",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"digest": {"sha256": fx.blob_sha}}]),
                    "https://cyclonedx.org/bom",
                    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                        "metadata": {"manufacturer": {"name": "x"}}}),
                );
                signed(fx, "declared-15.json", &st)
            },
            code: 12,
            says: "not valid CycloneDX 1.5",
        },
        Row {
            name: "a CycloneDX version that does not exist",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"digest": {"sha256": fx.blob_sha}}]),
                    "https://cyclonedx.org/bom",
                    json!({"bomFormat": "CycloneDX", "specVersion": "1.9", "version": 1}),
                );
                signed(fx, "cdx19.json", &st)
            },
            code: 12,
            says: "CycloneDX 1.9 has no schema here (checked: 1.5, 1.6, 1.7)",
        },
        Row {
            name: "a version in the predicate type that is not the document's",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"digest": {"sha256": fx.blob_sha}}]),
                    "https://cyclonedx.org/bom/v1.5",
                    json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}),
                );
                signed(fx, "typed-15.json", &st)
            },
            code: 12,
            says: "names version 1.5, but the document's `specVersion` is \"1.6\"",
        },
        Row {
            name: "an SPDX document under the CycloneDX type",
            change: |fx| {
                let st = fx.statement(
                    "https://in-toto.io/Statement/v1",
                    json!([{"digest": {"sha256": fx.blob_sha}}]),
                    "https://cyclonedx.org/bom",
                    json!({"spdxVersion": "SPDX-2.3"}),
                );
                signed(fx, "spdx-as-cdx.json", &st)
            },
            code: 12,
            says: "the predicate is an SPDX document, but its type is https://cyclonedx.org/bom",
        },
    ];
    tamper::refused(rows, &[], |change| {
        let (att, key) = change(&fx);
        let image = format!("file:{}", alpine());
        verify(fx.dir.path(), &att, key, &["--image", &image])
    });
}

#[test]
fn oversized_input_is_refused() {
    let fx = Fixture::new(Algorithm::Ed25519);
    let f = std::fs::File::create(fx.dir.path().join("big.json")).unwrap();
    f.set_len((64 << 20) + 1).unwrap();
    let (code, text) = fx.verify("big.json", &[]);
    assert_eq!(code, 13, "{text}");
    assert!(text.contains("larger than the limit of 64 MiB"), "{text}");
}

#[test]
fn unsupported_key_types_are_refused_clearly() {
    let keys = [
        ("secp256k1", "-----BEGIN PUBLIC KEY-----\nMFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEFOBe+KF1trx7DsVekNSOANZOqOPjEnmz\nV8Yg0TBQqU630KjxIDOtUM3vGJFc3USZBuRhLGPQVpIPCcwFvWRrFA==\n-----END PUBLIC KEY-----\n"),
        ("P-224", "-----BEGIN PUBLIC KEY-----\nME4wEAYHKoZIzj0CAQYFK4EEACEDOgAEeDfUBfSuD2AaKhpRV4OI84fGlCNR68Kz\nlmCwYmnJu2v7qnhFKgQyes1MehE+obDV6uWqsY9oM2Y=\n-----END PUBLIC KEY-----\n"),
    ];
    let fx = Fixture::new(Algorithm::EcdsaP256);
    let n = fx.write(
        "good.json",
        &sign_env(&fx, IN_TOTO_PAYLOAD_TYPE, &fx.good_statement()),
    );
    for (curve, pem) in keys {
        std::fs::write(fx.dir.path().join("k.pub"), pem).unwrap();
        let (code, text) = verify(fx.dir.path(), &n, "k.pub", &[]);
        assert_eq!(code, 1, "{text}");
        assert!(
            text.contains(&format!("unsupported public key type ECDSA {curve}")),
            "{text}"
        );
    }
}

#[test]
fn jsonl_with_one_good_envelope_among_bad_ones_verifies() {
    let fx = Fixture::new(Algorithm::EcdsaP256);
    let payload = fx.good_statement();
    let good = sign_env(&fx, IN_TOTO_PAYLOAD_TYPE, &payload);
    let mut tampered = good.clone();
    tampered.signatures[0].sig = STANDARD.encode([0u8; 64]);
    let foreign = dsse::sign(
        IN_TOTO_PAYLOAD_TYPE,
        &payload,
        &SigningKey::generate(Algorithm::EcdsaP256),
    );
    let line = |e: &Envelope| serde_json::to_string(e).unwrap();
    let all = format!(
        "{}\n{{not json\n{}\n{}\n",
        line(&tampered),
        line(&foreign),
        line(&good)
    );
    std::fs::write(fx.dir.path().join("a.intoto.jsonl"), all).unwrap();
    let (code, text) = fx.verify("a.intoto.jsonl", &["--output", "json"]);
    assert_eq!(code, 0, "{text}");
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["envelopes"], 4);
    assert_eq!(r["decidingEnvelope"], "line 4: DSSE envelope");
    let bad_only = format!("{}\n{}\n", line(&tampered), line(&foreign));
    std::fs::write(fx.dir.path().join("b.intoto.jsonl"), bad_only).unwrap();
    let (code, text) = fx.verify("b.intoto.jsonl", &[]);
    assert_eq!(code, 10, "{text}");
    assert!(text.contains("none of the 2 envelopes verified"), "{text}");
}

#[test]
fn statement_v01_and_both_ecdsa_signature_encodings_verify() {
    let fx = Fixture::new(Algorithm::EcdsaP256);
    let st = fx.statement(
        "https://in-toto.io/Statement/v0.1",
        json!([{"name": "x", "digest": {"sha256": fx.blob_sha}}]),
        "https://cyclonedx.org/bom",
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1}),
    );
    let der_env = sign_env(&fx, IN_TOTO_PAYLOAD_TYPE, &st);
    let der = STANDARD.decode(&der_env.signatures[0].sig).unwrap();
    assert_eq!(der[0], 0x30, "cosign-style ASN.1 DER");
    let n = fx.write("der.json", &der_env);
    let (code, text) = fx.verify(&n, &["--type", "cyclonedx"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("https://in-toto.io/Statement/v0.1"), "{text}");

    // Raw r||s (as the DSSE test vectors), URL-safe base64 without padding.
    let raw = p256::ecdsa::Signature::from_der(&der).unwrap().to_bytes();
    assert_eq!(raw.len(), 64);
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let raw_env = Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.into(),
        payload: url.encode(&st),
        signatures: vec![Signature {
            keyid: String::new(),
            sig: url.encode(raw),
        }],
    };
    let n = fx.write("raw.json", &raw_env);
    let (code, text) = fx.verify(&n, &[]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn malformed_inputs_exit_13_without_panicking() {
    let fx = Fixture::new(Algorithm::Ed25519);
    for (name, body) in [
        ("empty.json", "".to_string()),
        ("array.json", "[1,2]".to_string()),
        ("nopayload.json", r#"{"payloadType":"application/vnd.in-toto+json","signatures":[]}"#.to_string()),
        ("badb64.json", r#"{"payloadType":"application/vnd.in-toto+json","payload":"%%%","signatures":[]}"#.to_string()),
        ("deep.json", "[".repeat(200_000)),
        ("msgsig.json", r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{}}"#.to_string()),
    ] {
        std::fs::write(fx.dir.path().join(name), body).unwrap();
        let (code, text) = fx.verify(name, &[]);
        assert_eq!(code, 13, "{name}: {text}");
        assert!(!text.contains("panicked"), "{name}: {text}");
    }
}

/// The alpine image ID: the subject of its attestations, and an ARTIFACT for `verify-bundle`.
const ALPINE_ID: &str = "sha256:af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e";

/// A fresh Ed25519 key pair `sbomkit.key`/`sbomkit.pub` in `d`.
fn keygen(d: &Path) {
    signer(d)
        .args(["keygen", "--algorithm", "ed25519"])
        .assert()
        .success();
}

fn predicate_of(envelope: &Value) -> Value {
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice::<Value>(&payload).unwrap()["predicate"].clone()
}

#[test]
fn attest_output_means_what_it_means_in_generate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d);
    let base = ["attest", &alpine(), "--key", "sbomkit.key"];

    // -o FORMAT=FILE, with a version.
    let out = run(
        signer(d)
            .args(base)
            .args(["-o", "cyclonedx-json@1.5=a.json"]),
        0,
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        out.stderr,
        "15 packages (14 apk, 1 os); wrote a.json (DSSE envelope)\n"
    );
    let env: Value = serde_json::from_slice(&std::fs::read(d.join("a.json")).unwrap()).unwrap();
    let p = predicate_of(&env);
    assert_eq!(p["specVersion"], "1.5");
    schema::assert_valid_cyclonedx(&p);

    // --output-file FILE, and cosign's --type.
    run(
        signer(d)
            .args(base)
            .args(["-q", "--type", "cyclonedx", "--output-file", "b.json"]),
        0,
    );
    let env: Value = serde_json::from_slice(&std::fs::read(d.join("b.json")).unwrap()).unwrap();
    assert_eq!(predicate_of(&env)["bomFormat"], "CycloneDX");

    // The old `--output FILE` still writes the file, with a note saying what to use.
    let out = run(signer(d).args(base).args(["--output", "c.json"]), 0);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("deprecated") && out.stderr.contains("use `--output-file c.json`"),
        "{}",
        out.stderr
    );
    let env: Value = serde_json::from_slice(&std::fs::read(d.join("c.json")).unwrap()).unwrap();
    assert_eq!(predicate_of(&env)["spdxVersion"], "SPDX-2.3");

    // A format name where a file was meant is not taken as a file name.
    let out = run(signer(d).args(base).args(["--output-file", "spdx-json"]), 2);
    assert!(out.stderr.contains("use `-o spdx-json`"), "{}", out.stderr);
    assert!(!d.join("spdx-json").exists());
    let out = run(signer(d).args(base).args(["--output", "spdx-json"]), 0);
    assert_eq!(
        predicate_of(&serde_json::from_slice(&out.stdout).unwrap())["spdxVersion"],
        "SPDX-2.3"
    );
    assert!(!d.join("spdx-json").exists());

    // Types that are not SBOMs, two formats, two files: usage errors.
    for args in [
        &["--type", "slsaprovenance"][..],
        &["--type", "spdx", "-o", "cyclonedx-json"],
        &["-o", "spdx-json=x.json", "--output-file", "y.json"],
        &["-o", "table"],
        &["-o", "spdx"],
    ] {
        let out = run(signer(d).args(base).args(args), 2);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(!d.join("x.json").exists() && !d.join("y.json").exists());
}

#[test]
fn key_and_output_problems_are_reported_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d);
    // The source does not exist: an error about the key or the output shows it came first.
    let out = run(
        signer(d).args(["attest", "no-such-image.tar", "--key", "missing.key"]),
        1,
    );
    assert!(out.stderr.contains("missing.key"), "{}", out.stderr);
    let out = run(
        signer(d).env("SBOMKIT_PASSWORD", "wrong").args([
            "attest",
            "no-such-image.tar",
            "--key",
            "sbomkit.key",
        ]),
        1,
    );
    assert!(out.stderr.contains("sbomkit.key"), "{}", out.stderr);
    assert!(!out.stderr.contains("no-such-image"), "{}", out.stderr);
    let out = run(
        signer(d).args([
            "attest",
            "no-such-image.tar",
            "--key",
            "sbomkit.key",
            "--output-file",
            "/nonexistent/a.json",
        ]),
        1,
    );
    assert!(out.stderr.contains("/nonexistent/a.json"), "{}", out.stderr);
}

#[test]
fn verify_refuses_an_unknown_type_as_a_usage_error() {
    let fx = Fixture::new(Algorithm::Ed25519);
    let (code, text) = fx.verify("none.json", &["--type", "cylonedx"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("`cylonedx` is not a predicate type"),
        "{text}"
    );
    assert!(text.contains("spdx, spdxjson, cyclonedx"), "{text}");
}

#[test]
fn the_wrong_kind_of_input_is_named_with_the_command_that_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d);
    // An image as the attestation.
    let (code, text) = verify(d, &alpine(), "sbomkit.pub", &[]);
    assert_eq!(code, 13, "{text}");
    assert!(
        text.contains("is an archive (an image?), not an attestation"),
        "{text}"
    );
    assert!(text.contains(&format!("--image {}", alpine())), "{text}");

    // An SBOM as the attestation.
    let sbom = run(
        signer(d).args(["generate", "-q", &alpine(), "-o", "spdx-json=sbom.json"]),
        0,
    );
    assert!(sbom.stdout.is_empty());
    let (code, text) = verify(d, "sbom.json", "sbomkit.pub", &[]);
    assert_eq!(code, 13, "{text}");
    assert!(
        text.contains("sbom.json is an SPDX SBOM, not an attestation"),
        "{text}"
    );
    assert!(
        text.contains("sbomkit attest SOURCE --predicate sbom.json"),
        "{text}"
    );

    // A bare envelope to verify-bundle.
    run(
        signer(d).args([
            "attest",
            &alpine(),
            "--key",
            "sbomkit.key",
            "-q",
            "--output-file",
            "env.json",
        ]),
        0,
    );
    let out = run(
        signer(d).args([
            "verify-bundle",
            "--bundle",
            "env.json",
            "--key",
            "sbomkit.pub",
            ALPINE_ID,
        ]),
        13,
    );
    assert!(
        out.stderr
            .contains("env.json is a bare DSSE envelope, not a sigstore bundle: `sbomkit verify env.json --key PUB`"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_reports_say_what_was_checked_in_one_style() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d);
    run(
        signer(d).args([
            "attest",
            &alpine(),
            "--key",
            "sbomkit.key",
            "-q",
            "--bundle",
            "--output-file",
            "b.json",
        ]),
        0,
    );
    let (code, text) = verify(d, "b.json", "sbomkit.pub", &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.ends_with(
            "verified, but no artifact was checked: give --image SOURCE to check what the attestation is about\n"
        ),
        "{text}"
    );
    let (code, text) = verify(d, "b.json", "sbomkit.pub", &["--image", &alpine()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.ends_with("\nverified\n"), "{text}");

    let out = run(
        signer(d).args([
            "verify-bundle",
            "--bundle",
            "b.json",
            "--key",
            "sbomkit.pub",
            ALPINE_ID,
        ]),
        0,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "b.json: sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json)"
    );
    assert!(
        lines[1..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("  PASS  ")),
        "{text}"
    );
    assert!(text.contains("  PASS  signature      "), "{text}");
    assert_eq!(lines.last(), Some(&"verified"));
}

#[test]
fn predicate_out_writes_only_the_predicate_that_verified() {
    let fx = Fixture::new(Algorithm::Ed25519);
    let d = fx.dir.path();
    // Two envelopes: a foreign signature first, then the good one.
    let other = SigningKey::generate(Algorithm::Ed25519);
    let bad_statement = fx.statement(
        "https://in-toto.io/Statement/v1",
        json!([{"name": "x", "digest": {"sha256": fx.blob_sha}}]),
        "https://spdx.dev/Document",
        json!({"spdxVersion": "SPDX-2.3", "name": "the wrong one"}),
    );
    let bad = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &bad_statement, &other);
    let good = dsse::sign(IN_TOTO_PAYLOAD_TYPE, &fx.good_statement(), &fx.key);
    let jsonl = format!(
        "{}\n{}\n",
        serde_json::to_string(&bad).unwrap(),
        serde_json::to_string(&good).unwrap()
    );
    std::fs::write(d.join("a.intoto.jsonl"), jsonl).unwrap();
    let (code, text) = fx.verify("a.intoto.jsonl", &["--predicate-out", "p.json"]);
    assert_eq!(code, 0, "{text}");
    let p: Value = serde_json::from_slice(&std::fs::read(d.join("p.json")).unwrap()).unwrap();
    assert_eq!(
        p,
        json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1})
    );
    schema::assert_valid_cyclonedx(&p);

    // Nothing verified: nothing written.
    std::fs::write(d.join("bad.json"), serde_json::to_vec(&bad).unwrap()).unwrap();
    let (code, text) = fx.verify("bad.json", &["--predicate-out", "q.json"]);
    assert_eq!(code, 10, "{text}");
    assert!(!d.join("q.json").exists());
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        4,
        "a temporary file was left"
    );
}

/// SPDX 3.0.1 as a predicate: `-o spdx3-json` and `--type spdx3` make one statement type, a
/// predicate file must describe the source, `verify --type spdx3` checks the predicate against
/// the 3.0.1 schema, and SPDX 2 and 3 are never taken for each other.
#[test]
fn spdx3_predicates_are_attested_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d);
    let base = ["attest", &alpine(), "--key", "sbomkit.key", "-q"];
    run(signer(d).args(base).args(["-o", "spdx3-json=a.json"]), 0);
    let env: Value = serde_json::from_slice(&std::fs::read(d.join("a.json")).unwrap()).unwrap();
    let payload = STANDARD.decode(env["payload"].as_str().unwrap()).unwrap();
    let st: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(st["predicateType"], "https://spdx.dev/Document/v3");
    let p = predicate_of(&env);
    assert_eq!(
        p["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    schema::assert_valid_spdx3(&p);
    // cosign's way of naming it makes the same attestation (Ed25519 signs deterministically).
    run(
        signer(d)
            .args(base)
            .args(["--type", "spdx3", "--output-file", "b.json"]),
        0,
    );
    assert_eq!(
        std::fs::read(d.join("a.json")).unwrap(),
        std::fs::read(d.join("b.json")).unwrap()
    );

    for t in [
        "spdx3",
        "https://spdx.dev/Document/v3",
        "https://spdx.dev/Document/v3.0.1",
    ] {
        let (code, text) = verify(
            d,
            "a.json",
            "sbomkit.pub",
            &["--image", &alpine(), "--type", t],
        );
        assert_eq!(code, 0, "{t}: {text}");
        assert!(
            text.contains("PASS  predicate      valid SPDX 3.0.1"),
            "{t}: {text}"
        );
    }
    // SPDX 2's family is another format.
    for t in ["spdx", "https://spdx.dev/Document/v2.3"] {
        let (code, text) = verify(d, "a.json", "sbomkit.pub", &["--type", t]);
        assert_eq!(code, 12, "{t}: {text}");
    }
    run(
        signer(d).args(base).args(["--output-file", "spdx2.json"]),
        0,
    );
    let (code, text) = verify(d, "spdx2.json", "sbomkit.pub", &["--type", "spdx3"]);
    assert_eq!(code, 12, "{text}");
    assert!(
        text.contains("but https://spdx.dev/Document/v3 was asked for"),
        "{text}"
    );
    let out = run(
        signer(d)
            .args(base)
            .args(["-o", "spdx3-json", "--type", "spdx"]),
        2,
    );
    assert!(out.stdout.is_empty());

    // A given SPDX 3 document is signed only for the artifact it describes.
    for (source, name) in [
        (alpine(), "alpine.spdx3.json"),
        (other(), "other.spdx3.json"),
    ] {
        run(
            signer(d).args([
                "generate",
                "-q",
                &source,
                "-o",
                &format!("spdx3-json={name}"),
            ]),
            0,
        );
    }
    run(
        signer(d).args(base).args([
            "--predicate",
            "alpine.spdx3.json",
            "--output-file",
            "c.json",
        ]),
        0,
    );
    let (code, text) = verify(
        d,
        "c.json",
        "sbomkit.pub",
        &["--image", &alpine(), "--type", "spdx3"],
    );
    assert_eq!(code, 0, "{text}");
    let out = run(
        signer(d)
            .args(base)
            .args(["--predicate", "other.spdx3.json"]),
        11,
    );
    assert!(
        out.stderr.contains("other.spdx3.json describes"),
        "{}",
        out.stderr
    );
    let out = run(
        signer(d)
            .args(base)
            .args(["--predicate", "alpine.spdx3.json", "-o", "spdx-json"]),
        2,
    );
    assert!(
        out.stderr.contains("is a SPDX 3 document"),
        "{}",
        out.stderr
    );
    // An SPDX 3 SBOM is not an attestation.
    let (code, text) = verify(d, "alpine.spdx3.json", "sbomkit.pub", &[]);
    assert_eq!(code, 13, "{text}");
    assert!(
        text.contains("is an SPDX SBOM, not an attestation"),
        "{text}"
    );
}

/// A signed SPDX 3 predicate that breaks the 3.0.1 schema fails `verify` as a bad predicate.
#[test]
fn a_signed_spdx3_predicate_is_checked_against_the_3_0_1_schema() {
    let fx = Fixture::new(Algorithm::Ed25519);
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        sbomkit_in(dir.path()).args([
            "generate",
            "-q",
            &format!("file:{}", alpine()),
            "-o",
            "spdx3-json",
        ]),
        0,
    );
    let good: Value = serde_json::from_slice(&out.stdout).unwrap();
    let subjects =
        json!([{"name": "alpine-3.10-docker-save.tar.gz", "digest": {"sha256": fx.blob_sha}}]);
    let v1 = "https://in-toto.io/Statement/v1";
    let st = fx.statement(
        v1,
        subjects.clone(),
        "https://spdx.dev/Document/v3",
        good.clone(),
    );
    let (name, _) = signed(&fx, "good3.json", &st);
    let (code, text) = fx.verify(&name, &["--type", "spdx3"]);
    assert_eq!(code, 0, "{text}");

    let mut bad = good.clone();
    let graph = bad["@graph"].as_array_mut().unwrap();
    let info = graph
        .iter_mut()
        .find(|n| n["type"] == "CreationInfo")
        .unwrap();
    info.as_object_mut().unwrap().remove("createdBy");
    let st = fx.statement(v1, subjects.clone(), "https://spdx.dev/Document/v3", bad);
    let (name, _) = signed(&fx, "bad3.json", &st);
    let (code, text) = fx.verify(&name, &["--type", "spdx3"]);
    assert_eq!(code, 12, "{text}");
    assert!(
        text.contains("FAIL  predicate      not valid SPDX 3.0.1"),
        "{text}"
    );

    // The version the document declares picks the schema, and must be the type's.
    let mut old = good.clone();
    old["@context"] = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld".into();
    let st = fx.statement(v1, subjects.clone(), "https://spdx.dev/Document/v3", old);
    let (name, _) = signed(&fx, "old3.json", &st);
    let (code, text) = fx.verify(&name, &["--type", "spdx3"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("SPDX 3.0.0 has no schema here"), "{text}");
    let st = fx.statement(v1, subjects, "https://spdx.dev/Document/v3.1", good);
    let (name, _) = signed(&fx, "typed3.json", &st);
    let (code, text) = fx.verify(&name, &["--type", "spdx3"]);
    assert_eq!(code, 12, "{text}");
    assert!(text.contains("names version 3.1"), "{text}");
}
