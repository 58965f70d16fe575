//! `sbomkit attest --keyless` against a stand-in Fulcio, Rekor and timestamp authority on
//! loopback (real HTTP, real certificates, a real Merkle tree). Every part of the bundle written is
//! checked here with code independent of the signer's: the certificate's identity, extensions,
//! chain and SCT, the log entry's body, signed entry timestamp, inclusion proof and checkpoint,
//! the timestamp's message imprint.

use crate::support::sigstore_standin as standin;

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::{ObjectIdentifier, OctetString, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::Certificate;

use crate::support::schema::{errors as schema_errors, sigstore_schema, sigstore_validator};
use crate::support::{outcome, root, run, sbomkit_in, Outcome};
use standin::{merkle, Standin, OIDC_ISSUER};

const ARTIFACT: &str = "testdata/fixtures/apk/installed/alpine-single.installed";

fn artifact() -> String {
    format!("file:{}", root().join(ARTIFACT).display())
}

/// `attest --keyless` with the stand-in's URLs; extra args appended.
fn attest(dir: &Path, s: &Standin, extra: &[&str]) -> Outcome {
    let mut c = sbomkit_in(dir);
    c.args([
        "attest",
        &artifact(),
        // No --bundle: --keyless implies it.
        "--keyless",
        "--output-file",
        "b.json",
    ]);
    if !extra.contains(&"--fulcio-url") {
        c.args(["--fulcio-url", &s.fulcio_url()]);
    }
    if !extra.contains(&"--rekor-url") {
        c.args(["--rekor-url", &s.rekor_url()]);
    }
    outcome(c.args(extra))
}

fn ext<'a>(cert: &'a Certificate, id: &str) -> Option<&'a [u8]> {
    let id = ObjectIdentifier::new_unwrap(id);
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == id)
        .map(|e| e.extn_value.as_bytes())
}

fn key_of(cert: &Certificate) -> VerifyingKey {
    VerifyingKey::from_public_key_der(
        &cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
    )
    .unwrap()
}

/// The root an RFC 6962 audit path leads to, by the recursive definition of PATH (not the
/// iterative algorithm the signer uses).
fn root_from_path(m: usize, n: usize, leaf: [u8; 32], path: &[[u8; 32]]) -> Option<[u8; 32]> {
    if n == 1 {
        return path.is_empty().then_some(leaf);
    }
    let (last, rest) = path.split_last()?;
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    Some(if m < k {
        merkle::node(&root_from_path(m, k, leaf, rest)?, last)
    } else {
        merkle::node(last, &root_from_path(m - k, n - k, leaf, rest)?)
    })
}

/// The published TrustedRoot schema, adjusted twice: the `required` renaming of the Bundle schema,
/// and without the `oneOf` the generator made of proto3 `optional` fields (`PublicKey.raw_bytes`,
/// `PublicKey.valid_for`, `TimeRange.end`), which as published require `end` in every time range
/// and refuse keys that have both bytes and validity: the production trusted root itself fails it.
fn trusted_root_schema() -> jsonschema::Validator {
    let mut schema =
        crate::support::schema::load_json("sigstore/jsonschema/TrustedRoot.schema.json");
    for def in [
        "dev.sigstore.common.v1.TimeRange",
        "dev.sigstore.common.v1.PublicKey",
    ] {
        let removed = schema["definitions"][def]
            .as_object_mut()
            .unwrap()
            .remove("oneOf");
        assert!(removed.is_some(), "{def}");
    }
    sigstore_validator(schema)
}

#[test]
fn keyless_bundle_is_complete_and_consistent() {
    let s = Standin::start(16);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let email = "builder@example.org";
    let out = attest(
        d,
        &s,
        &[
            "--identity-token",
            &s.email_token(email),
            "--timestamp-url",
            &s.tsa_url(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b: Value = serde_json::from_slice(&std::fs::read(d.join("b.json")).unwrap()).unwrap();

    // Shape: the published schema, media type, single leaf, int64 as strings.
    let errors = schema_errors(&sigstore_schema("Bundle.schema.json"), &b);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        b["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let vm = &b["verificationMaterial"];
    assert!(vm.get("x509CertificateChain").is_none() && vm.get("publicKey").is_none());
    let tlog = &vm["tlogEntries"][0];
    assert_eq!(vm["tlogEntries"].as_array().unwrap().len(), 1);
    for p in [
        "/logIndex",
        "/integratedTime",
        "/inclusionProof/logIndex",
        "/inclusionProof/treeSize",
    ] {
        assert!(tlog.pointer(p).unwrap().is_string(), "{p} must be a string");
    }
    assert_eq!(
        tlog["kindVersion"],
        json!({"kind": "dsse", "version": "0.0.1"})
    );

    // The certificate: identity, issuer in both extensions, code signing, chain to the test CA.
    let leaf_der = STANDARD
        .decode(vm["certificate"]["rawBytes"].as_str().unwrap())
        .unwrap();
    let leaf = Certificate::from_der(&leaf_der).unwrap();
    let san = SubjectAltName::from_der(ext(&leaf, "2.5.29.17").unwrap()).unwrap();
    assert!(matches!(san.0.as_slice(), [GeneralName::Rfc822Name(e)] if e.as_str() == email));
    assert_eq!(
        ext(&leaf, "1.3.6.1.4.1.57264.1.1").unwrap(),
        OIDC_ISSUER.as_bytes()
    );
    let v2 = Utf8StringRef::from_der(ext(&leaf, "1.3.6.1.4.1.57264.1.8").unwrap()).unwrap();
    assert_eq!(v2.as_str(), OIDC_ISSUER);
    let eku = ExtendedKeyUsage::from_der(ext(&leaf, "2.5.29.37").unwrap()).unwrap();
    assert_eq!(
        eku.0,
        vec![ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3")]
    );
    let sig = Signature::from_der(leaf.signature.raw_bytes()).unwrap();
    s.pki
        .intermediate
        .verifying_key()
        .verify(&leaf.tbs_certificate.to_der().unwrap(), &sig)
        .expect("the leaf is signed by the intermediate");

    // The embedded SCT: over the precertificate (TBS without the SCT list, issuer key hash).
    let sct_list = OctetString::from_der(ext(&leaf, "1.3.6.1.4.1.11129.2.4.2").unwrap()).unwrap();
    let list = sct_list.as_bytes();
    assert_eq!(
        u16::from_be_bytes([list[0], list[1]]) as usize,
        list.len() - 2
    );
    let sct = &list[4..];
    assert_eq!(sct[0], 0, "SCT v1");
    assert_eq!(&sct[1..33], s.pki.ctlog_id().as_slice());
    let ts = &sct[33..41];
    let sig_len = u16::from_be_bytes([sct[45], sct[46]]) as usize;
    let mut pre = leaf.tbs_certificate.clone();
    let sct_oid = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
    pre.extensions
        .as_mut()
        .unwrap()
        .retain(|e| e.extn_id != sct_oid);
    let pre = pre.to_der().unwrap();
    let ikh = Sha256::digest(
        Certificate::from_der(&s.pki.intermediate_der)
            .unwrap()
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
    );
    let signed = [
        &[0u8, 0][..],
        ts,
        &[0, 1],
        &ikh,
        &(pre.len() as u32).to_be_bytes()[1..],
        &pre,
        &[0, 0],
    ]
    .concat();
    s.pki
        .ctlog
        .verifying_key()
        .verify(
            &signed,
            &Signature::from_der(&sct[47..47 + sig_len]).unwrap(),
        )
        .expect("the SCT verifies with the CT log key over the precertificate");

    // The envelope: signed by the certified key over the PAE; the subject is the artifact.
    let env = &b["dsseEnvelope"];
    assert_eq!(env["signatures"].as_array().unwrap().len(), 1);
    let payload = STANDARD.decode(env["payload"].as_str().unwrap()).unwrap();
    let env_sig = STANDARD
        .decode(env["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    let pae = [
        format!(
            "DSSEv1 {} {} {} ",
            28,
            "application/vnd.in-toto+json",
            payload.len()
        )
        .as_bytes(),
        &payload,
    ]
    .concat();
    key_of(&leaf)
        .verify(&pae, &Signature::from_der(&env_sig).unwrap())
        .expect("the envelope verifies with the leaf's key");
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    let digest = hex::encode(Sha256::digest(
        std::fs::read(root().join(ARTIFACT)).unwrap(),
    ));
    assert_eq!(statement["subject"][0]["digest"]["sha256"], digest);

    // The log entry body records this payload, signature and certificate.
    let body_bytes = STANDARD
        .decode(tlog["canonicalizedBody"].as_str().unwrap())
        .unwrap();
    let body: Value = serde_json::from_slice(&body_bytes).unwrap();
    assert_eq!(body["kind"], "dsse");
    assert_eq!(
        body["spec"]["payloadHash"]["value"],
        hex::encode(Sha256::digest(&payload))
    );
    assert_eq!(
        body["spec"]["signatures"][0]["signature"],
        env["signatures"][0]["sig"]
    );
    let verifier_pem = String::from_utf8(
        STANDARD
            .decode(body["spec"]["signatures"][0]["verifier"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(verifier_pem.contains(&STANDARD.encode(&leaf_der)[..60]));

    // The signed entry timestamp, by the Rekor key over the canonical entry.
    let log_id = STANDARD
        .decode(tlog["logId"]["keyId"].as_str().unwrap())
        .unwrap();
    assert_eq!(log_id, s.pki.rekor_log_id());
    let set_input = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        tlog["canonicalizedBody"].as_str().unwrap(),
        tlog["integratedTime"].as_str().unwrap(),
        hex::encode(&log_id),
        tlog["logIndex"].as_str().unwrap(),
    );
    let set = STANDARD
        .decode(
            tlog["inclusionPromise"]["signedEntryTimestamp"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    s.pki
        .rekor
        .verifying_key()
        .verify(set_input.as_bytes(), &Signature::from_der(&set).unwrap())
        .expect("the SET verifies");
    let integrated: u64 = tlog["integratedTime"].as_str().unwrap().parse().unwrap();
    assert!(integrated.abs_diff(standin::now()) < 300);

    // The inclusion proof leads to the root hash, which the signed checkpoint commits to.
    let proof = &tlog["inclusionProof"];
    let index: usize = proof["logIndex"].as_str().unwrap().parse().unwrap();
    let size: usize = proof["treeSize"].as_str().unwrap().parse().unwrap();
    let path: Vec<[u8; 32]> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            STANDARD
                .decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    let root_hash = STANDARD
        .decode(proof["rootHash"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        root_from_path(index, size, merkle::leaf(&body_bytes), &path)
            .unwrap()
            .as_slice(),
        root_hash.as_slice()
    );
    let cp = proof["checkpoint"]["envelope"].as_str().unwrap();
    let (note, sigs) = cp.split_once("\n\n").unwrap();
    let note = format!("{note}\n");
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[1], size.to_string());
    assert_eq!(STANDARD.decode(lines[2]).unwrap(), root_hash);
    let sig_line = sigs.lines().next().unwrap();
    let (name, sig_b64) = sig_line
        .trim_start_matches("\u{2014} ")
        .rsplit_once(' ')
        .unwrap();
    assert_eq!(name, lines[0], "signed by the origin");
    let raw = STANDARD.decode(sig_b64).unwrap();
    let rekor_spki =
        p256::pkcs8::EncodePublicKey::to_public_key_der(s.pki.rekor.verifying_key()).unwrap();
    assert_eq!(
        &raw[..4],
        &Sha256::digest(rekor_spki.as_bytes())[..4],
        "key hint"
    );
    s.pki
        .rekor
        .verifying_key()
        .verify(note.as_bytes(), &Signature::from_der(&raw[4..]).unwrap())
        .expect("the checkpoint verifies");

    // The timestamp: granted, over the SHA-256 of the envelope signature.
    let tsr = STANDARD
        .decode(
            vm["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let want = Sha256::digest(&env_sig);
    assert!(
        tsr.windows(32).any(|w| w == want.as_slice()),
        "imprint of the signature"
    );
    assert_eq!(&tsr[..2], &[0x30, 0x82]);

    // The stand-in's trusted root is a valid TrustedRoot document for the verifier.
    let tr = s.trusted_root();
    let v = trusted_root_schema();
    let errors = schema_errors(&v, &tr);
    assert!(errors.is_empty(), "{errors:?}");
    let production: Value =
        serde_json::from_slice(sbomkit::attest::sigstore::trust::PRODUCTION_JSON).unwrap();
    assert!(v.is_valid(&production));
    let mut broken = tr.clone();
    broken["tlogs"][0]["publicKey"]["rawBytes"] = json!(17);
    assert!(!v.is_valid(&broken));
    assert_eq!(s.log_size(), 1);
}

#[test]
fn uri_identities_and_the_token_from_the_environment() {
    let s = Standin::start(8);
    let dir = tempfile::tempdir().unwrap();
    let uri = "https://ci.example.org/workflows/release.yaml@refs/heads/main";
    run(
        sbomkit_in(dir.path())
            .env("SIGSTORE_ID_TOKEN", s.uri_token(uri))
            .args([
                "attest",
                &artifact(),
                "--keyless",
                "--bundle",
                "--output",
                "b.json",
            ])
            .args([
                "--fulcio-url",
                &s.fulcio_url(),
                "--rekor-url",
                &format!("{}/", s.rekor_url()),
            ]),
        0,
    );
    let b: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("b.json")).unwrap()).unwrap();
    let der = STANDARD
        .decode(
            b["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let leaf = Certificate::from_der(&der).unwrap();
    let san = SubjectAltName::from_der(ext(&leaf, "2.5.29.17").unwrap()).unwrap();
    assert!(
        matches!(san.0.as_slice(), [GeneralName::UniformResourceIdentifier(u)] if u.as_str() == uri)
    );
    assert!(b["verificationMaterial"]
        .get("timestampVerificationData")
        .is_none());
}

#[test]
fn missing_token_is_a_usage_error_before_any_request() {
    let s = Standin::start(4);
    let dir = tempfile::tempdir().unwrap();
    let out = attest(dir.path(), &s, &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("--keyless needs an OIDC identity token"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("SIGSTORE_ID_TOKEN"));
    assert!(!dir.path().join("b.json").exists());
    assert_eq!(s.log_size(), 0);
}

#[test]
fn fulcio_errors_name_fulcio_and_the_status() {
    let s = Standin::start(8);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = s.email_token("a@example.org");
    let down = format!("{}/down", s.base);
    let out = attest(d, &s, &["--identity-token", &token, "--fulcio-url", &down]);
    assert_eq!(out.code, 1);
    let e = &out.stderr;
    assert!(e.contains("Fulcio refused the request: HTTP 503"), "{e}");
    assert!(e.contains("service unavailable"), "{e}");

    // A token not signed by the issuer: Fulcio's own refusal, passed on.
    let forged = standin::make_token(
        &p256::ecdsa::SigningKey::random(&mut rand_core::OsRng),
        &json!({"iss": OIDC_ISSUER, "sub": "x", "email": "a@example.org", "exp": standin::now() + 60}),
    );
    let out = attest(d, &s, &["--identity-token", &forged]);
    let e = &out.stderr;
    assert_eq!(out.code, 1, "{e}");
    assert!(e.contains("Fulcio refused the request: HTTP 401"), "{e}");
    assert!(e.contains("does not verify with the issuer's key"), "{e}");
    assert!(!d.join("b.json").exists());
    assert_eq!(s.log_size(), 0);
}

#[test]
fn rekor_refusals_name_rekor_and_the_status() {
    let s = Standin::start(8);
    let dir = tempfile::tempdir().unwrap();
    let frozen = format!("{}/frozen-rekor", s.base);
    let out = attest(
        dir.path(),
        &s,
        &[
            "--identity-token",
            &s.email_token("a@example.org"),
            "--rekor-url",
            &frozen,
        ],
    );
    let e = &out.stderr;
    assert_eq!(out.code, 1, "{e}");
    assert!(e.contains("Rekor refused the request: HTTP 400"), "{e}");
    assert!(!dir.path().join("b.json").exists());

    // The stand-in Rekor checks the proposed signature: an envelope signed by another key than
    // the certificate's is refused, and the client reports it.
    use sbomkit::attest::keyless::{http::Service, rekor};
    use sbomkit::attest::keys::{Algorithm, SigningKey};
    let cert_key = SigningKey::generate(Algorithm::EcdsaP256);
    let other = SigningKey::generate(Algorithm::EcdsaP256);
    let payload = b"{}";
    let sig = other.sign(&sbomkit::attest::dsse::pae(
        b"application/vnd.in-toto+json",
        payload,
    ));
    let env =
        json!({"payloadType": "application/vnd.in-toto+json", "payload": STANDARD.encode(payload),
                     "signatures": [{"sig": STANDARD.encode(&sig)}]})
        .to_string();
    let rekor_service = Service::new("Rekor", &s.rekor_url()).unwrap();
    let e = rekor::upload_dsse(
        &rekor_service,
        &env,
        payload,
        &sig,
        &cert_key.verifying_key().to_pem(),
    )
    .unwrap_err();
    assert!(e.contains("Rekor refused the request: HTTP 400"), "{e}");
    assert!(
        e.contains("all signatures must have a key that verifies it"),
        "{e}"
    );
    // Signed by the right key, the same request is accepted.
    let sig = cert_key.sign(&sbomkit::attest::dsse::pae(
        b"application/vnd.in-toto+json",
        payload,
    ));
    let env =
        json!({"payloadType": "application/vnd.in-toto+json", "payload": STANDARD.encode(payload),
                     "signatures": [{"sig": STANDARD.encode(&sig)}]})
        .to_string();
    let entry = rekor::upload_dsse(
        &rekor_service,
        &env,
        payload,
        &sig,
        &cert_key.verifying_key().to_pem(),
    )
    .unwrap();
    assert_eq!(entry.log_index, 0);
    assert_eq!(s.log_size(), 1);
}

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let s = Standin::start(4);
    let dir = tempfile::tempdir().unwrap();
    let token = s.email_token("a@example.org");
    for flag in ["--fulcio-url", "--rekor-url", "--timestamp-url"] {
        let out = attest(
            dir.path(),
            &s,
            &[
                "--identity-token",
                &token,
                flag,
                "http://sigstore.example.org",
            ],
        );
        let e = &out.stderr;
        assert_eq!(out.code, 2, "{flag}: {e}");
        assert!(
            e.contains("plain http is refused except to a loopback address"),
            "{flag}: {e}"
        );
    }
    assert_eq!(s.log_size(), 0);
}
