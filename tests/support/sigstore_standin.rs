//! A stand-in for the sigstore services, on 127.0.0.1 with an ephemeral port: a test OIDC issuer,
//! Fulcio (v2 `signingCert`), Rekor v1 (`log/entries`, `dsse` 0.0.1), a Rekor v2 log (rekor-tiles
//! `api/v2/log/entries`, `hashedrekord` 0.0.2, with its own key and tree) and an RFC 3161 timestamp
//! authority, speaking the public instances' HTTP APIs. Everything is real: a test CA (root and
//! intermediate) issues leaf certificates with Fulcio's extensions and an embedded SCT signed by a
//! test CT log over the precertificate; Rekor keeps an RFC 6962 Merkle tree, verifies the proposed
//! envelope, and returns a signed entry timestamp, an inclusion proof and a signed checkpoint; the
//! timestamp authority signs a CMS SignedData over a TSTInfo. `trusted_root()` gives the sigstore
//! TrustedRoot JSON with all of these keys.
//!
//! The server answers at most `max_requests` connections and stops by itself after that, after
//! two minutes without a request, or when dropped.
//!
//! Paths: `/fulcio/api/v2/signingCert`, `/rekor/api/v1/log/entries`, `/rekor2/api/v2/log/entries`,
//! `/tsa/api/v1/timestamp`;
//! under `/down/` every service answers 503, and `/frozen-rekor/` refuses entries with 400.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::{GeneralizedTime, Ia5String, OctetString, UtcTime, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

pub use super::pki::merkle;
use super::pki::{code_signing_exts, ext, oid, pem, sign_tbs, timestamping_exts, tlv};

pub const OIDC_ISSUER: &str = "https://oidc.standin.test";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const OID_FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const LEAF_LIFETIME: u64 = 600;
const TREE_ID: u64 = 2_605_736_670_972_794_746;

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn spki_der(k: &VerifyingKey) -> Vec<u8> {
    k.to_public_key_der().unwrap().as_bytes().to_vec()
}

fn unpem(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")? + 11;
    let (label, rest) = text[start..].split_once("-----")?;
    let end = rest.find("-----END")?;
    let b64: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
    Some((label.to_string(), STANDARD.decode(b64).ok()?))
}

fn utc(t: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(t)).unwrap())
}

fn rfc3339(t: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t as i64)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn ski(k: &VerifyingKey) -> Vec<u8> {
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der(k)).unwrap();
    sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn random_serial() -> SerialNumber {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[0] &= 0x7f;
    b[0] |= 0x01;
    SerialNumber::new(&b).unwrap()
}

/// Signs a TBS certificate with ECDSA P-256 / SHA-256.
/// An ECDSA P-256 signature of `msg`, DER-encoded.
fn der_signature(key: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: Signature = key.sign(msg);
    sig.to_der().as_bytes().to_vec()
}

fn tbs(
    issuer: &Name,
    subject: Name,
    spki: &[u8],
    not_before: u64,
    not_after: u64,
    extensions: Vec<Extension>,
) -> TbsCertificate {
    TbsCertificate {
        version: Version::V3,
        serial_number: random_serial(),
        signature: AlgorithmIdentifierOwned {
            oid: oid(OID_ECDSA_SHA256),
            parameters: None,
        },
        issuer: issuer.clone(),
        validity: Validity {
            not_before: utc(not_before),
            not_after: utc(not_after),
        },
        subject,
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spki).unwrap(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    }
}

/// A CA certificate; `issuer` None makes it self-signed.
fn ca_cert(
    name: &Name,
    key: &SigningKey,
    issuer: Option<(&Name, &SigningKey)>,
    from: u64,
    to: u64,
) -> Vec<u8> {
    let vk = key.verifying_key();
    let (iname, ikey) = issuer.unwrap_or((name, key));
    let exts = vec![
        ext(
            "2.5.29.15",
            true,
            KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
                .to_der()
                .unwrap(),
        ),
        ext(
            "2.5.29.19",
            true,
            BasicConstraints {
                ca: true,
                path_len_constraint: issuer.map(|_| 0),
            }
            .to_der()
            .unwrap(),
        ),
        ext(
            "2.5.29.14",
            false,
            SubjectKeyIdentifier(OctetString::new(ski(vk)).unwrap())
                .to_der()
                .unwrap(),
        ),
    ];
    sign_tbs(
        tbs(iname, name.clone(), &spki_der(vk), from, to, exts),
        |m| der_signature(ikey, m),
    )
}

/// Keys and certificates of the stand-in services.
pub struct Pki {
    pub oidc: SigningKey,
    pub root_der: Vec<u8>,
    pub intermediate: SigningKey,
    pub intermediate_name: Name,
    pub intermediate_der: Vec<u8>,
    pub ctlog: SigningKey,
    pub rekor: SigningKey,
    pub rekor2: SigningKey,
    pub tsa_root_der: Vec<u8>,
    pub tsa: SigningKey,
    pub tsa_der: Vec<u8>,
    pub not_before: u64,
}

impl Pki {
    fn new() -> Pki {
        let start = now() - 3600;
        let end = start + 5 * 365 * 86400;
        let k = || SigningKey::random(&mut OsRng);
        let (root, intermediate, tsa_root, tsa) = (k(), k(), k(), k());
        let root_name = Name::from_str("CN=sigstore-standin,O=sigstore.standin").unwrap();
        let intermediate_name =
            Name::from_str("CN=sigstore-standin-intermediate,O=sigstore.standin").unwrap();
        let root_der = ca_cert(&root_name, &root, None, start, end);
        let intermediate_der = ca_cert(
            &intermediate_name,
            &intermediate,
            Some((&root_name, &root)),
            start,
            end,
        );
        let tsa_root_name = Name::from_str("CN=standin-tsa-root,O=sigstore.standin").unwrap();
        let tsa_root_der = ca_cert(&tsa_root_name, &tsa_root, None, start, end);
        let tsa_exts = timestamping_exts();
        let tsa_der = sign_tbs(
            tbs(
                &tsa_root_name,
                Name::from_str("CN=standin-tsa,O=sigstore.standin").unwrap(),
                &spki_der(tsa.verifying_key()),
                start,
                end,
                tsa_exts,
            ),
            |m| der_signature(&tsa_root, m),
        );
        Pki {
            oidc: k(),
            root_der,
            intermediate,
            intermediate_name,
            intermediate_der,
            ctlog: k(),
            rekor: k(),
            rekor2: k(),
            tsa_root_der,
            tsa,
            tsa_der,
            not_before: start,
        }
    }

    pub fn rekor_log_id(&self) -> [u8; 32] {
        Sha256::digest(spki_der(self.rekor.verifying_key())).into()
    }

    pub fn rekor2_log_id(&self) -> [u8; 32] {
        Sha256::digest(spki_der(self.rekor2.verifying_key())).into()
    }

    pub fn ctlog_id(&self) -> [u8; 32] {
        Sha256::digest(spki_der(self.ctlog.verifying_key())).into()
    }
}

/// An ES256 JWT from the test OIDC issuer (or from `key`, to forge one).
pub fn make_token(key: &SigningKey, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"standin","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    let input = format!("{header}.{body}");
    let sig: Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

#[derive(Default)]
struct Tree {
    leaves: Vec<[u8; 32]>,
    bodies: Vec<Vec<u8>>,
}

/// The two logs' trees: Rekor v1 and Rekor v2.
#[derive(Default)]
struct State {
    v1: Tree,
    v2: Tree,
}

/// The running stand-in.
pub struct Standin {
    pub base: String,
    pub pki: Arc<Pki>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    state: Arc<Mutex<State>>,
}

impl Standin {
    pub fn start(max_requests: usize) -> Standin {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let pki = Arc::new(Pki::new());
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new(State::default()));
        let (p, s, st, b) = (pki.clone(), stop.clone(), state.clone(), base.clone());
        let thread = std::thread::spawn(move || {
            let mut served = 0;
            let mut last = Instant::now();
            while served < max_requests
                && !s.load(Ordering::SeqCst)
                && last.elapsed() < Duration::from_secs(120)
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        last = Instant::now();
                        let _ = serve(stream, &p, &st, &b);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Standin {
            base,
            pki,
            stop,
            thread: Some(thread),
            state,
        }
    }

    pub fn fulcio_url(&self) -> String {
        format!("{}/fulcio", self.base)
    }
    pub fn rekor_url(&self) -> String {
        format!("{}/rekor", self.base)
    }
    /// The Rekor v2 log's base URL.
    pub fn rekor2_url(&self) -> String {
        format!("{}/rekor2", self.base)
    }
    pub fn tsa_url(&self) -> String {
        format!("{}/tsa/api/v1/timestamp", self.base)
    }

    /// A token of the test issuer for an email identity.
    pub fn email_token(&self, email: &str) -> String {
        let t = now();
        make_token(
            &self.pki.oidc,
            &json!({"iss": OIDC_ISSUER, "sub": format!("sub-{email}"), "aud": "sigstore",
                    "email": email, "email_verified": true, "iat": t, "exp": t + 300}),
        )
    }

    /// A token of the test issuer whose identity is a URI subject (CI workloads).
    pub fn uri_token(&self, uri: &str) -> String {
        let t = now();
        make_token(
            &self.pki.oidc,
            &json!({"iss": OIDC_ISSUER, "sub": uri, "aud": "sigstore", "iat": t, "exp": t + 300}),
        )
    }

    pub fn log_size(&self) -> usize {
        self.state.lock().unwrap().v1.leaves.len()
    }

    pub fn log2_size(&self) -> usize {
        self.state.lock().unwrap().v2.leaves.len()
    }

    /// A SigningConfig v0.2 naming the stand-in's Fulcio and timestamp authority, valid from an
    /// hour ago, and the Rekor logs given as (base URL, major API version).
    pub fn signing_config(&self, logs: &[(String, u32)], tsa: bool) -> Value {
        let from = json!({"start": rfc3339(self.pki.not_before)});
        let svc = |url: String, v: u32| json!({"url": url, "majorApiVersion": v, "validFor": from, "operator": "standin"});
        json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [svc(self.fulcio_url(), 1)],
            "oidcUrls": [svc(OIDC_ISSUER.to_string(), 1)],
            "rekorTlogUrls": logs.iter().map(|(u, v)| svc(u.clone(), *v)).collect::<Vec<_>>(),
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaUrls": if tsa { vec![svc(self.tsa_url(), 1)] } else { vec![] },
            "tsaConfig": {"selector": "ANY"},
        })
    }

    /// The sigstore TrustedRoot of the stand-in.
    pub fn trusted_root(&self) -> Value {
        let p = &self.pki;
        let key = |k: &SigningKey| {
            json!({"rawBytes": STANDARD.encode(spki_der(k.verifying_key())),
                   "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                   "validFor": {"start": rfc3339(p.not_before)}})
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": self.rekor_url(),
                "hashAlgorithm": "SHA2_256",
                "publicKey": key(&p.rekor),
                "logId": {"keyId": STANDARD.encode(p.rekor_log_id())},
            }, {
                "baseUrl": self.rekor2_url(),
                "hashAlgorithm": "SHA2_256",
                "publicKey": key(&p.rekor2),
                "logId": {"keyId": STANDARD.encode(p.rekor2_log_id())},
            }],
            "certificateAuthorities": [{
                "subject": {"organization": "sigstore.standin", "commonName": "sigstore-standin"},
                "uri": self.fulcio_url(),
                "certChain": {"certificates": [
                    {"rawBytes": STANDARD.encode(&p.intermediate_der)},
                    {"rawBytes": STANDARD.encode(&p.root_der)},
                ]},
                "validFor": {"start": rfc3339(p.not_before)},
            }],
            "ctlogs": [{
                "baseUrl": format!("{}/ctlog", self.base),
                "hashAlgorithm": "SHA2_256",
                "publicKey": key(&p.ctlog),
                "logId": {"keyId": STANDARD.encode(p.ctlog_id())},
            }],
            "timestampAuthorities": [{
                "subject": {"organization": "sigstore.standin", "commonName": "standin-tsa"},
                "uri": self.tsa_url(),
                "certChain": {"certificates": [
                    {"rawBytes": STANDARD.encode(&p.tsa_der)},
                    {"rawBytes": STANDARD.encode(&p.tsa_root_der)},
                ]},
                "validFor": {"start": rfc3339(p.not_before)},
            }],
        })
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One HTTP/1.1 exchange, connection closed after it.
fn serve(
    mut stream: TcpStream,
    pki: &Pki,
    state: &Mutex<State>,
    base: &str,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 << 10 {
            return respond(&mut stream, 431, "text/plain", b"headers too large");
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    let mut content_type = String::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = v.trim().parse().unwrap_or(0),
                "content-type" => content_type = v.trim().to_string(),
                _ => {}
            }
        }
    }
    if content_length > 8 << 20 {
        return respond(&mut stream, 413, "text/plain", b"too large");
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < content_length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(content_length);

    let err = |code: u16, msg: &str| {
        (
            code,
            "application/json",
            json!({"code": code, "message": msg})
                .to_string()
                .into_bytes(),
        )
    };
    let (status, ctype, out) = if method != "POST" {
        err(405, "method not allowed")
    } else if path.starts_with("/down/") {
        err(503, "service unavailable")
    } else if path == "/fulcio/api/v2/signingCert" {
        match fulcio(pki, &body) {
            Ok(v) => (200, "application/json", v.to_string().into_bytes()),
            Err((code, m)) => err(code, &m),
        }
    } else if path == "/frozen-rekor/api/v1/log/entries" {
        err(
            400,
            "error processing entry: this log shard is frozen and accepts no entries",
        )
    } else if path == "/rekor/api/v1/log/entries" {
        match rekor(pki, state, &body, base) {
            Ok(v) => (201, "application/json", v.to_string().into_bytes()),
            Err((code, m)) => err(code, &m),
        }
    } else if path == "/rekor2/api/v2/log/entries" {
        match rekor_v2(pki, state, &body, base) {
            Ok(v) => (201, "application/json", v.to_string().into_bytes()),
            Err((code, m)) => err(code, &m),
        }
    } else if path == "/tsa/api/v1/timestamp" {
        if content_type != "application/timestamp-query" {
            err(415, "expected application/timestamp-query")
        } else {
            match tsa(pki, &body) {
                Ok(der) => (200, "application/timestamp-reply", der),
                Err(m) => err(400, &m),
            }
        }
    } else {
        err(404, "not found")
    };
    respond(&mut stream, status, ctype, &out)
}

fn respond(stream: &mut TcpStream, status: u16, ctype: &str, body: &[u8]) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

type Refusal = (u16, String);

/// Verifies an ES256 token of the test issuer; returns its claims.
fn verify_token(pki: &Pki, token: &str) -> Result<Value, Refusal> {
    let unauth = |m: &str| (401, format!("invalid identity token: {m}"));
    let (input, sig) = token.rsplit_once('.').ok_or_else(|| unauth("not a JWT"))?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| unauth("signature encoding"))?;
    let sig = Signature::from_slice(&sig).map_err(|_| unauth("signature length"))?;
    pki.oidc
        .verifying_key()
        .verify(input.as_bytes(), &sig)
        .map_err(|_| unauth("signature does not verify with the issuer's key"))?;
    let payload = input
        .split('.')
        .nth(1)
        .ok_or_else(|| unauth("no payload"))?;
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| unauth("payload encoding"))?,
    )
    .map_err(|_| unauth("payload is not JSON"))?;
    if claims["iss"] != OIDC_ISSUER {
        return Err(unauth("unknown issuer"));
    }
    if claims["exp"].as_u64().unwrap_or(0) <= now() {
        return Err(unauth("expired"));
    }
    Ok(claims)
}

fn fulcio(pki: &Pki, body: &[u8]) -> Result<Value, Refusal> {
    let bad = |m: &str| (400, m.to_string());
    let req: Value = serde_json::from_slice(body).map_err(|_| bad("request is not JSON"))?;
    let token = req
        .pointer("/credentials/oidcIdentityToken")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing credentials.oidcIdentityToken"))?;
    let claims = verify_token(pki, token)?;
    if req.pointer("/publicKeyRequest/publicKey/algorithm") != Some(&json!("ECDSA")) {
        return Err(bad("publicKey.algorithm must be ECDSA"));
    }
    let key_pem = req
        .pointer("/publicKeyRequest/publicKey/content")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing publicKey.content"))?;
    let (label, spki) = unpem(key_pem).ok_or_else(|| bad("publicKey.content is not PEM"))?;
    if label != "PUBLIC KEY" {
        return Err(bad("publicKey.content is not a PUBLIC KEY"));
    }
    let vk = VerifyingKey::from_public_key_der(&spki).map_err(|_| bad("not a P-256 key"))?;
    let proof = req
        .pointer("/publicKeyRequest/proofOfPossession")
        .and_then(Value::as_str)
        .and_then(|p| STANDARD.decode(p).ok())
        .ok_or_else(|| bad("missing proofOfPossession"))?;
    let proof = Signature::from_der(&proof).map_err(|_| bad("proofOfPossession is not DER"))?;
    let email = claims["email"].as_str();
    let subject = email.or(claims["sub"].as_str()).unwrap_or_default();
    vk.verify(subject.as_bytes(), &proof)
        .map_err(|_| bad("the proof of possession does not verify over the token's subject"))?;

    let san = match email {
        Some(e) => GeneralName::Rfc822Name(Ia5String::new(e).unwrap()),
        None => GeneralName::UniformResourceIdentifier(Ia5String::new(subject).unwrap()),
    };
    let issuer = claims["iss"].as_str().unwrap_or_default();
    let t = now();
    let mut exts = code_signing_exts();
    exts.extend([
        ext(
            "2.5.29.14",
            false,
            SubjectKeyIdentifier(OctetString::new(ski(&vk)).unwrap())
                .to_der()
                .unwrap(),
        ),
        ext(
            "2.5.29.35",
            false,
            AuthorityKeyIdentifier {
                key_identifier: Some(
                    OctetString::new(ski(pki.intermediate.verifying_key())).unwrap(),
                ),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            }
            .to_der()
            .unwrap(),
        ),
        ext(
            "2.5.29.17",
            true,
            SubjectAltName(vec![san]).to_der().unwrap(),
        ),
        ext(OID_FULCIO_ISSUER_V1, false, issuer.as_bytes().to_vec()),
        ext(
            OID_FULCIO_ISSUER_V2,
            false,
            Utf8StringRef::new(issuer).unwrap().to_der().unwrap(),
        ),
    ]);
    let mut leaf = tbs(
        &pki.intermediate_name,
        Name::default(),
        &spki,
        t - 1,
        t + LEAF_LIFETIME,
        exts,
    );
    let sct = sct(pki, &leaf.to_der().unwrap(), t * 1000);
    let list = [(sct.len() as u16).to_be_bytes().to_vec(), sct].concat();
    let list = [(list.len() as u16).to_be_bytes().to_vec(), list].concat();
    leaf.extensions.as_mut().unwrap().push(ext(
        OID_SCT_LIST,
        false,
        OctetString::new(list).unwrap().to_der().unwrap(),
    ));
    let leaf_der = sign_tbs(leaf, |m| der_signature(&pki.intermediate, m));
    Ok(
        json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [
            pem("CERTIFICATE", &leaf_der),
            pem("CERTIFICATE", &pki.intermediate_der),
            pem("CERTIFICATE", &pki.root_der),
        ]}}}),
    )
}

/// An RFC 6962 v1 SCT over the precertificate entry: the issuer key hash and the TBS without the
/// SCT list extension (what the final certificate's TBS becomes once the extension is removed).
fn sct(pki: &Pki, precert_tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
    let issuer_key_hash = Sha256::digest(spki_der(pki.intermediate.verifying_key()));
    let mut signed = vec![0u8, 0u8]; // v1, certificate_timestamp
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    signed.extend_from_slice(&issuer_key_hash);
    signed.extend_from_slice(&(precert_tbs.len() as u32).to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&0u16.to_be_bytes()); // no extensions
    let sig: Signature = pki.ctlog.sign(&signed);
    let sig = sig.to_der();
    let mut out = vec![0u8];
    out.extend_from_slice(&pki.ctlog_id());
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&[4, 3]); // sha256, ecdsa
    out.extend_from_slice(&(sig.as_bytes().len() as u16).to_be_bytes());
    out.extend_from_slice(sig.as_bytes());
    out
}

fn pae(t: &str, body: &[u8]) -> Vec<u8> {
    [
        format!("DSSEv1 {} {t} {} ", t.len(), body.len()).as_bytes(),
        body,
    ]
    .concat()
}

fn rekor(pki: &Pki, state: &Mutex<State>, body: &[u8], base: &str) -> Result<Value, Refusal> {
    let bad = |m: &str| (400, format!("error processing entry: {m}"));
    let req: Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
    if req["kind"] != "dsse" || req["apiVersion"] != "0.0.1" {
        return Err(bad("unsupported kind or apiVersion"));
    }
    let envelope = req
        .pointer("/spec/proposedContent/envelope")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing proposedContent.envelope"))?;
    let verifiers = req
        .pointer("/spec/proposedContent/verifiers")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing proposedContent.verifiers"))?;
    let env: Value = serde_json::from_str(envelope).map_err(|_| bad("envelope is not JSON"))?;
    let payload_type = env["payloadType"]
        .as_str()
        .ok_or_else(|| bad("no payloadType"))?;
    let payload = env["payload"]
        .as_str()
        .and_then(|p| STANDARD.decode(p).ok())
        .ok_or_else(|| bad("payload is not base64"))?;
    let sigs = env["signatures"]
        .as_array()
        .ok_or_else(|| bad("no signatures"))?;
    if sigs.is_empty() {
        return Err(bad("no signatures"));
    }
    let mut keys = Vec::new();
    for v in verifiers {
        let text = v
            .as_str()
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| bad("a verifier is not base64 PEM"))?;
        let (label, der) = unpem(&text).ok_or_else(|| bad("a verifier is not PEM"))?;
        let spki = match label.as_str() {
            "CERTIFICATE" => Certificate::from_der(&der)
                .map_err(|_| bad("a verifier certificate does not parse"))?
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .unwrap(),
            "PUBLIC KEY" => der,
            _ => return Err(bad("a verifier is neither a certificate nor a public key")),
        };
        let key = VerifyingKey::from_public_key_der(&spki).map_err(|_| bad("not a P-256 key"))?;
        keys.push((key, text));
    }
    let message = pae(payload_type, &payload);
    let mut signatures = Vec::new();
    for s in sigs {
        let sig_b64 = s["sig"]
            .as_str()
            .ok_or_else(|| bad("a signature has no sig"))?;
        let raw = STANDARD
            .decode(sig_b64)
            .map_err(|_| bad("sig is not base64"))?;
        let sig = Signature::from_der(&raw)
            .or_else(|_| Signature::from_slice(&raw))
            .map_err(|_| bad("sig is not an ECDSA signature"))?;
        let (_, pem_text) = keys
            .iter()
            .find(|(k, _)| k.verify(&message, &sig).is_ok())
            .ok_or_else(|| bad("all signatures must have a key that verifies it"))?;
        signatures.push(json!({"signature": sig_b64, "verifier": STANDARD.encode(pem_text)}));
    }
    signatures.sort_by(|a, b| a["signature"].as_str().cmp(&b["signature"].as_str()));
    // serde_json's map is sorted by key: this is the canonical (JCS) form of an ASCII document.
    let canonical = serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(envelope))},
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload))},
            "signatures": signatures,
        },
    }))
    .unwrap();

    let mut st = state.lock().unwrap();
    let logged = append(&mut st.v1, &canonical, &pki.rekor, base, "");
    drop(st);
    let (index, size, root, leaf, checkpoint) = (
        logged.index,
        logged.size,
        logged.root,
        logged.leaf,
        logged.checkpoint,
    );
    let hashes: Vec<String> = logged.hashes.iter().map(hex::encode).collect();

    let body_b64 = STANDARD.encode(&canonical);
    let integrated = now();
    let log_id = hex::encode(pki.rekor_log_id());
    let set_input = serde_json::to_vec(&json!({
        "body": body_b64, "integratedTime": integrated, "logID": log_id, "logIndex": index,
    }))
    .unwrap();
    let set: Signature = pki.rekor.sign(&set_input);
    let uuid = format!("{TREE_ID:016x}{}", hex::encode(leaf));
    Ok(json!({ uuid: {
        "body": body_b64,
        "integratedTime": integrated,
        "logID": log_id,
        "logIndex": index,
        "verification": {
            "signedEntryTimestamp": STANDARD.encode(set.to_der().as_bytes()),
            "inclusionProof": {
                "checkpoint": checkpoint,
                "hashes": hashes,
                "logIndex": index,
                "rootHash": hex::encode(root),
                "treeSize": size,
            },
        },
    }}))
}

/// An entry appended to a log's tree: where it is, the proof and the signed checkpoint.
struct Logged {
    index: usize,
    size: usize,
    root: [u8; 32],
    leaf: [u8; 32],
    hashes: Vec<[u8; 32]>,
    checkpoint: String,
}

fn append(tree: &mut Tree, canonical: &[u8], key: &SigningKey, base: &str, shard: &str) -> Logged {
    let index = tree.leaves.len();
    let leaf = merkle::leaf(canonical);
    tree.leaves.push(leaf);
    tree.bodies.push(canonical.to_vec());
    let size = tree.leaves.len();
    let root = merkle::root(&tree.leaves);
    let hashes = merkle::path(index, &tree.leaves);
    let origin = format!("{}{shard} - {TREE_ID}", base.trim_start_matches("http://"));
    let note = format!("{origin}\n{size}\n{}\n", STANDARD.encode(root));
    let note_sig: Signature = key.sign(note.as_bytes());
    let hint = &Sha256::digest(spki_der(key.verifying_key()))[..4];
    let checkpoint = format!(
        "{note}\n\u{2014} {origin} {}\n",
        STANDARD.encode([hint, note_sig.to_der().as_bytes()].concat())
    );
    Logged {
        index,
        size,
        root,
        leaf,
        hashes,
        checkpoint,
    }
}

/// Rekor v2 (rekor-tiles): a `hashedRekordRequestV002` whose signature verifies over the digest
/// with the certificate's key is logged as a `hashedrekord` 0.0.2 entry; the answer is the
/// bundle's TransparencyLogEntry, with no integrated time and no SET.
fn rekor_v2(pki: &Pki, state: &Mutex<State>, body: &[u8], base: &str) -> Result<Value, Refusal> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let bad = |m: &str| (400, format!("invalid argument: {m}"));
    let req: Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
    let r = req
        .get("hashedRekordRequestV002")
        .ok_or_else(|| bad("only hashedRekordRequestV002 is accepted"))?;
    let b64 = |p: &str| {
        r.pointer(p)
            .and_then(Value::as_str)
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| bad(&format!("{p} is missing or not base64")))
    };
    let digest = b64("/digest")?;
    let sig_raw = b64("/signature/content")?;
    let cert = b64("/signature/verifier/x509Certificate/rawBytes")?;
    if r.pointer("/signature/verifier/keyDetails") != Some(&json!("PKIX_ECDSA_P256_SHA_256")) {
        return Err(bad("keyDetails must be PKIX_ECDSA_P256_SHA_256"));
    }
    if digest.len() != 32 {
        return Err(bad("the digest is not SHA-256"));
    }
    let spki = Certificate::from_der(&cert)
        .map_err(|_| bad("the certificate does not parse"))?
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = VerifyingKey::from_public_key_der(&spki).map_err(|_| bad("not a P-256 key"))?;
    let sig = Signature::from_der(&sig_raw).map_err(|_| bad("not an ECDSA signature"))?;
    key.verify_prehash(&digest, &sig)
        .map_err(|_| bad("the signature does not verify over the digest"))?;
    let canonical = serde_json::to_vec(&json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": STANDARD.encode(&digest)},
            "signature": {"content": STANDARD.encode(&sig_raw), "verifier": {
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "x509Certificate": {"rawBytes": STANDARD.encode(&cert)}}},
        }},
    }))
    .unwrap();
    let mut st = state.lock().unwrap();
    let logged = append(&mut st.v2, &canonical, &pki.rekor2, base, "/rekor2");
    drop(st);
    Ok(json!({
        "logIndex": logged.index.to_string(),
        "logId": {"keyId": STANDARD.encode(pki.rekor2_log_id())},
        "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
        "inclusionProof": {
            "logIndex": logged.index.to_string(),
            "rootHash": STANDARD.encode(logged.root),
            "treeSize": logged.size.to_string(),
            "hashes": logged.hashes.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": logged.checkpoint},
        },
        "canonicalizedBody": STANDARD.encode(&canonical),
    }))
}

// --- RFC 3161 ---------------------------------------------------------------------------------

/// Splits DER into (tag, value) elements; None on anything malformed.
fn elements(mut b: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let tag = *b.first()?;
        let first = *b.get(1)?;
        let (len, hdr) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 3 {
                return None;
            }
            let bytes = b.get(2..2 + n)?;
            (
                bytes.iter().fold(0usize, |a, x| a << 8 | *x as usize),
                2 + n,
            )
        };
        let value = b.get(hdr..hdr + len)?;
        out.push((tag, value));
        b = &b[hdr + len..];
    }
    Some(out)
}

fn oid_der(s: &str) -> Vec<u8> {
    oid(s).to_der().unwrap()
}

fn tsa(pki: &Pki, req: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || "malformed TimeStampReq".to_string();
    let top = elements(req).ok_or_else(bad)?;
    let [(0x30, seq)] = top.as_slice() else {
        return Err(bad());
    };
    let fields = elements(seq).ok_or_else(bad)?;
    let imprint = fields.get(1).filter(|f| f.0 == 0x30).ok_or_else(bad)?;
    let nonce = fields.iter().skip(2).find(|f| f.0 == 0x02).map(|f| f.1);
    let imprint_der = tlv(0x30, imprint.1);

    let mut serial = [0u8; 8];
    OsRng.fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    let gen_time = GeneralizedTime::from_unix_duration(Duration::from_secs(now()))
        .unwrap()
        .to_der()
        .unwrap();
    let mut tst = [
        tlv(0x02, &[1]),
        oid_der("1.3.6.1.4.1.57264.2"),
        imprint_der,
        tlv(0x02, &serial),
        gen_time,
    ]
    .concat();
    if let Some(n) = nonce {
        tst.extend(tlv(0x02, n));
    }
    let tst_info = tlv(0x30, &tst);

    let sha256_alg = tlv(
        0x30,
        &[oid_der("2.16.840.1.101.3.4.2.1"), vec![0x05, 0x00]].concat(),
    );
    let tsa_cert = Certificate::from_der(&pki.tsa_der).unwrap();
    let attr = |id: &str, value: Vec<u8>| tlv(0x30, &[oid_der(id), tlv(0x31, &value)].concat());
    let ess_cert_id = tlv(
        0x30,
        &tlv(0x30, &tlv(0x30, &tlv(0x04, &Sha256::digest(&pki.tsa_der)))),
    );
    let mut attrs = [
        attr("1.2.840.113549.1.9.3", oid_der("1.2.840.113549.1.9.16.1.4")),
        attr(
            "1.2.840.113549.1.9.4",
            tlv(0x04, &Sha256::digest(&tst_info)),
        ),
        attr("1.2.840.113549.1.9.16.2.47", ess_cert_id),
    ];
    attrs.sort(); // DER SET OF order
    let attrs = attrs.concat();
    let sig: Signature = pki.tsa.sign(&tlv(0x31, &attrs));
    let signer_info = tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            tlv(
                0x30,
                &[
                    tsa_cert.tbs_certificate.issuer.to_der().unwrap(),
                    tsa_cert.tbs_certificate.serial_number.to_der().unwrap(),
                ]
                .concat(),
            ),
            sha256_alg.clone(),
            tlv(0xa0, &attrs),
            tlv(0x30, &oid_der(OID_ECDSA_SHA256)),
            tlv(0x04, sig.to_der().as_bytes()),
        ]
        .concat(),
    );
    let signed_data = tlv(
        0x30,
        &[
            tlv(0x02, &[3]),
            tlv(0x31, &sha256_alg),
            tlv(
                0x30,
                &[
                    oid_der("1.2.840.113549.1.9.16.1.4"),
                    tlv(0xa0, &tlv(0x04, &tst_info)),
                ]
                .concat(),
            ),
            tlv(0xa0, &pki.tsa_der),
            tlv(0x31, &signer_info),
        ]
        .concat(),
    );
    let token = tlv(
        0x30,
        &[oid_der("1.2.840.113549.1.7.2"), tlv(0xa0, &signed_data)].concat(),
    );
    Ok(tlv(0x30, &[tlv(0x30, &tlv(0x02, &[0])), token].concat()))
}
