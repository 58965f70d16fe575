//! Offline verification of sigstore bundles: keyless (Fulcio certificate, SCT, identity, Rekor
//! entry, timestamps) and key-based.
//!
//! Nothing in the bundle chooses what is trusted: keys, certificate authorities, logs and timestamp
//! authorities come from the TrustedRoot (`--trusted-root`, else the public-good root embedded in
//! the binary) or the key the verifier gives; the log is never queried. Certificates the bundle
//! carries besides the leaf are not used to build the path (a self-signed one is refused outright):
//! intermediates and roots come from the trusted root only.
//!
//! Checks run in this order and the first failure decides the exit code: bundle shape (13),
//! certificate: chain, constraints, SCT, identity and issuer (14), signature (10), artifact (11),
//! transparency log entries, timestamps and the signing time against the certificate (15).
//!
//! Subject rule of `verify-bundle`: the artifact given is one the bundle signs, so a DSSE
//! Statement passes when *any* subject's sha256 is the artifact's (one bundle may sign several
//! artifacts). `verify --image` asks the other question, whether the attestation describes that
//! image, and requires *every* subject to be an identity of it (`attest::verify`).

pub mod bundle;
pub mod cert;
pub mod pki;
pub mod signing_config;
pub mod tlog;
pub mod trust;
pub mod tsa;

use serde_json::Value;
use sha2::{Digest, Sha256};

use self::bundle::{Bundle, Content, Material};
use self::cert::Cert;
use self::trust::TrustedRoot;
use super::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use super::keys::VerifyingKey;
use super::{parse_json, statement};
use crate::error::ExitCode;

/// What must have signed the bundle.
#[derive(Debug, Clone, Copy)]
pub enum Policy<'a> {
    /// A key-based signature by this key.
    Key(&'a VerifyingKey),
    /// A Fulcio certificate for exactly this identity (SAN email or URI) from this OIDC issuer.
    Identity { identity: &'a str, issuer: &'a str },
}

pub struct Options<'a> {
    pub policy: Policy<'a>,
    pub trust: &'a TrustedRoot,
    /// The artifact's SHA-256; `None` when the caller compares the DSSE subjects itself.
    pub artifact: Option<[u8; 32]>,
    /// The current time (Unix seconds): integrated times after it are refused.
    pub now: i64,
}

/// What a failed check is about. Each kind has one exit code ([`Kind::exit_code`], the only place
/// the two are tied), documented in the README and `verify-bundle --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The bundle (or what it signs) is not well formed: its media type, fields, statement.
    Bundle,
    /// The certificate: chain, constraints, SCT, identity, issuer; or the wrong kind of material.
    Certificate,
    /// The signature over the artifact or the DSSE PAE.
    Signature,
    /// What is signed is not the artifact given.
    Artifact,
    /// A transparency log entry: its log, body, SET, inclusion proof or checkpoint.
    Log,
    /// An RFC 3161 timestamp.
    Timestamp,
    /// The signing time: in the future, outside the certificate's or the log's validity, or none.
    Time,
    /// The predicate: its type is not the one asked for, or it fails its schema.
    Predicate,
}

impl Kind {
    /// The check's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bundle => "bundle",
            Kind::Certificate => "certificate",
            Kind::Signature => "signature",
            Kind::Artifact => "artifact",
            Kind::Log => "tlog",
            Kind::Timestamp => "timestamp",
            Kind::Time => "time",
            Kind::Predicate => "predicate",
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Kind::Bundle => ExitCode::Malformed,
            Kind::Certificate => ExitCode::CertificateInvalid,
            Kind::Signature => ExitCode::BadSignature,
            Kind::Artifact => ExitCode::SubjectMismatch,
            Kind::Log | Kind::Timestamp | Kind::Time => ExitCode::LogInvalid,
            Kind::Predicate => ExitCode::BadPredicate,
        }
    }
}

/// Why a bundle did not verify: the kind of check that failed and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
}

impl Failure {
    pub fn code(&self) -> ExitCode {
        self.kind.exit_code()
    }
}

impl Failure {
    /// The same failure, its message prefixed with what it is about.
    pub fn within(self, what: impl std::fmt::Display) -> Failure {
        Failure {
            kind: self.kind,
            message: format!("{what}: {}", self.message),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

/// A verified bundle: what each check established, and the signed content.
#[derive(Debug, Clone)]
pub struct Verified {
    pub media_type: String,
    pub checks: Vec<(&'static str, String)>,
    /// The certificate's identity and issuer (keyless only).
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// Verified signing times: SET-covered integrated times and RFC 3161 times.
    pub signing_times: Vec<i64>,
    /// The DSSE payload type and the exact verified payload bytes.
    pub dsse: Option<(String, Vec<u8>)>,
}

fn fail(kind: Kind, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
    }
}

/// Verifies a bundle file's bytes.
pub fn verify_bundle(bytes: &[u8], opts: &Options) -> Result<Verified, Failure> {
    let v = parse_json(bytes).map_err(|e| fail(Kind::Bundle, format!("not JSON: {e}")))?;
    verify_value(&v, opts)
}

/// Verifies a parsed bundle.
pub fn verify_value(v: &Value, opts: &Options) -> Result<Verified, Failure> {
    let b = bundle::parse(v)?;
    let mut checks = vec![(
        "bundle",
        format!(
            "{}, {}, {} log entr{}, {} timestamp(s)",
            b.media_type,
            match b.content {
                Content::Dsse { .. } => "DSSE envelope",
                Content::Message { .. } => "message signature",
            },
            b.tlog.len(),
            if b.tlog.len() == 1 { "y" } else { "ies" },
            b.timestamps.len()
        ),
    )];

    // Who signed: the key given, or a certificate that chains to a trusted CA and names the identity.
    let cert_fail = |m: String| fail(Kind::Certificate, m);
    let (key, keyless) = match (&b.material, opts.policy) {
        (Material::PublicKey { .. }, Policy::Key(k)) => {
            checks.push(("key", format!("{} key {} given by the verifier", k.describe(), k.keyid())));
            (k.clone(), None)
        }
        (Material::PublicKey { .. }, Policy::Identity { .. }) => {
            return Err(cert_fail(
                "the bundle is signed with a key, not a certificate: verify it with --key".into(),
            ))
        }
        (Material::Certificate { .. }, Policy::Key(_)) => {
            return Err(cert_fail(
                "the bundle is signed with a certificate (keyless): verify it with --certificate-identity and --certificate-oidc-issuer".into(),
            ))
        }
        (Material::Certificate { leaf, rest }, Policy::Identity { identity, issuer }) => {
            let (key, path, leaf) =
                check_certificate(leaf, rest, identity, issuer, opts.trust, &mut checks)?;
            (key, Some((leaf, path)))
        }
    };

    check_signature(&b, &key, &mut checks)?;
    let dsse = check_artifact(&b, opts.artifact, &mut checks)?;
    let signing_times = check_log_and_time(&b, &key, keyless.as_ref(), opts, &mut checks)?;
    let (identity, issuer) = match opts.policy {
        Policy::Identity { identity, issuer } => {
            (Some(identity.to_string()), Some(issuer.to_string()))
        }
        Policy::Key(_) => (None, None),
    };
    Ok(Verified {
        media_type: b.media_type,
        checks,
        identity,
        issuer,
        signing_times,
        dsse,
    })
}

fn check_certificate(
    leaf_der: &[u8],
    rest: &[Vec<u8>],
    identity: &str,
    issuer: &str,
    root: &TrustedRoot,
    checks: &mut Vec<(&'static str, String)>,
) -> Result<(VerifyingKey, cert::Path, Cert), Failure> {
    let bad = |m: String| fail(Kind::Certificate, m);
    let leaf = Cert::parse(leaf_der).map_err(|f| f.within("the signing certificate"))?;
    for (i, d) in rest.iter().enumerate() {
        let c = Cert::parse(d).map_err(|f| f.within(format!("chain certificate {}", i + 2)))?;
        if c.is_self_issued() {
            return Err(bad(format!(
                "the bundle embeds a root CA ({}): roots come from the trusted root only",
                c.subject()
            )));
        }
    }
    if leaf.is_self_issued() {
        return Err(bad("the signing certificate is self-issued".into()));
    }
    cert::check_leaf(&leaf)?;
    let path = cert::find_path(&leaf, &root.certificate_authorities)?;
    checks.push((
        "chain",
        format!(
            "issued by {} of {}, chaining to {}",
            path.chain.first().map(Cert::subject).unwrap_or_default(),
            path.authority.uri,
            path.chain.last().map(Cert::subject).unwrap_or_default()
        ),
    ));
    let issuer_cert = path
        .chain
        .first()
        .ok_or_else(|| bad("an empty chain".into()))?;
    checks.push(("sct", cert::verify_sct(&leaf, issuer_cert, root)?));
    let names = leaf.identities()?;
    if !names.iter().any(|n| n == identity) {
        return Err(bad(format!(
            "identity mismatch: the certificate is for {}, not `{identity}`",
            if names.is_empty() {
                "no email or URI".to_string()
            } else {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    }
    match leaf.oidc_issuer()? {
        Some(i) if i == issuer => {}
        Some(i) => {
            return Err(bad(format!(
                "issuer mismatch: the certificate's OIDC issuer is `{i}`, not `{issuer}`"
            )))
        }
        None => return Err(bad("the certificate names no OIDC issuer".into())),
    }
    checks.push(("identity", format!("`{identity}` from `{issuer}`")));
    let key = VerifyingKey::from_spki_der(&leaf.spki_der()?)
        .map_err(|e| bad(format!("the signing certificate's key: {e}")))?;
    Ok((key, path, leaf))
}

fn check_signature(
    b: &Bundle,
    key: &VerifyingKey,
    checks: &mut Vec<(&'static str, String)>,
) -> Result<(), Failure> {
    let bad = |m: &str| fail(Kind::Signature, m);
    match &b.content {
        Content::Dsse {
            envelope,
            signature,
        } => {
            let pae = dsse::pae(envelope.payload_type.as_bytes(), &envelope.payload);
            if !key.verify(&pae, signature) {
                return Err(bad("the DSSE signature does not verify over the PAE"));
            }
            checks.push((
                "signature",
                format!("DSSE signature verifies with the {} key", key.describe()),
            ));
        }
        Content::Message { digest, signature } => {
            // The signature is over the artifact; ECDSA verifies it from the SHA-256 alone.
            if !pki::verify_prehash(key, digest, signature) {
                return Err(bad(
                    if matches!(key, VerifyingKey::P256(_) | VerifyingKey::P384(_)) {
                        "the message signature does not verify over the message digest"
                    } else {
                        "message signatures are verified for ECDSA keys only"
                    },
                ));
            }
            checks.push((
                "signature",
                format!("message signature verifies with the {} key", key.describe()),
            ));
        }
    }
    Ok(())
}

fn check_artifact(
    b: &Bundle,
    artifact: Option<[u8; 32]>,
    checks: &mut Vec<(&'static str, String)>,
) -> Result<Option<(String, Vec<u8>)>, Failure> {
    let mismatch = |m: String| fail(Kind::Artifact, m);
    match &b.content {
        Content::Message { digest, .. } => {
            if let Some(a) = artifact {
                if digest[..] != a[..] {
                    return Err(mismatch(format!(
                        "the bundle signs sha256:{}, the artifact is sha256:{}",
                        hex::encode(digest),
                        hex::encode(a)
                    )));
                }
                checks.push((
                    "artifact",
                    format!("sha256:{} is the signed message digest", hex::encode(a)),
                ));
            }
            Ok(None)
        }
        Content::Dsse { envelope, .. } => {
            let pt = &envelope.payload_type;
            if let Some(a) = artifact {
                if pt != IN_TOTO_PAYLOAD_TYPE {
                    return Err(fail(
                        Kind::Bundle,
                        format!("payload type `{pt}` is not {IN_TOTO_PAYLOAD_TYPE}: no subject to compare"),
                    ));
                }
                let st = parse_json(&envelope.payload)
                    .map_err(|e| format!("the payload is not JSON: {e}"))
                    .and_then(|v| statement::parse(&v))
                    .map_err(|e| fail(Kind::Bundle, e))?;
                let want = hex::encode(a);
                let hit = st.subjects.iter().find(|s| {
                    s.digests
                        .get("sha256")
                        .is_some_and(|d| d.eq_ignore_ascii_case(&want))
                });
                match hit {
                    Some(s) => checks.push((
                        "artifact",
                        format!(
                            "subject `{}` is sha256:{want}",
                            s.name.as_deref().unwrap_or("_")
                        ),
                    )),
                    None => {
                        return Err(mismatch(format!(
                            "no subject of the statement is sha256:{want}; it names {}",
                            st.subjects
                                .iter()
                                .map(|s| format!(
                                    "`{}` sha256:{}",
                                    s.name.as_deref().unwrap_or("_"),
                                    s.digests.get("sha256").map_or("-", String::as_str)
                                ))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )))
                    }
                }
            }
            Ok(Some((pt.clone(), envelope.payload.clone())))
        }
    }
}

fn check_log_and_time(
    b: &Bundle,
    key: &VerifyingKey,
    keyless: Option<&(Cert, cert::Path)>,
    opts: &Options,
    checks: &mut Vec<(&'static str, String)>,
) -> Result<Vec<i64>, Failure> {
    let log_fail = |m: String| fail(Kind::Log, m);
    let time_fail = |m: String| fail(Kind::Time, m);
    let spki = key.to_spki_der();
    let signer = match keyless {
        Some((leaf, _)) => tlog::Signer::Certificate(&leaf.der),
        None => tlog::Signer::Key(&spki),
    };
    let mut times = Vec::new();
    for (i, e) in b.tlog.iter().enumerate() {
        let v = tlog::verify_entry(e, &b.content, &signer, opts.trust, b.version >= 2)
            .map_err(|f| f.within(format!("entry {}", i + 1)))?;
        if let Some(t) = v.integrated_time {
            if t > opts.now {
                return Err(time_fail(format!(
                    "entry {}: integrated time {} is in the future (now {})",
                    i + 1,
                    pki::show_time(t),
                    pki::show_time(opts.now)
                )));
            }
            if !v.log.valid_for.contains(t) {
                return Err(time_fail(format!(
                    "entry {}: the log {} was not trusted at {}",
                    i + 1,
                    v.log.base_url,
                    pki::show_time(t)
                )));
            }
            times.push(t);
        }
        checks.push(("tlog", v.detail));
    }
    if keyless.is_some() && b.tlog.is_empty() {
        return Err(log_fail(
            "a keyless bundle must carry a transparency log entry".into(),
        ));
    }
    for (i, ts) in b.timestamps.iter().enumerate() {
        let t = tsa::verify(ts, b.content.signature(), opts.trust)
            .map_err(|f| f.within(format!("timestamp {}", i + 1)))?;
        if t.time > opts.now {
            return Err(time_fail(format!("timestamp {} is in the future", i + 1)));
        }
        checks.push((
            "timestamp",
            format!(
                "RFC 3161 time {} from {}",
                pki::show_time(t.time),
                t.authority
            ),
        ));
        times.push(t.time);
    }
    if let Some((leaf, path)) = keyless {
        if times.is_empty() {
            return Err(time_fail(
                "no verified signing time: neither a signed entry timestamp nor an RFC 3161 timestamp".into(),
            ));
        }
        for &t in &times {
            cert::check_path_at(leaf, path, t)?;
        }
        checks.push((
            "time",
            format!(
                "signed at {} within the certificate's validity ({} to {})",
                times
                    .iter()
                    .map(|&t| pki::show_time(t))
                    .collect::<Vec<_>>()
                    .join(", "),
                pki::show_time(leaf.not_before()),
                pki::show_time(leaf.not_after())
            ),
        ));
    }
    Ok(times)
}

/// The SHA-256 of an artifact: `sha256:<64 hex>` as given, or a file hashed.
pub fn artifact_digest(arg: &str) -> Result<[u8; 32], String> {
    if let Some(h) = arg.strip_prefix("sha256:") {
        let bytes = hex::decode(h).map_err(|_| format!("`{arg}` is not sha256:<64 hex digits>"))?;
        return bytes
            .try_into()
            .map_err(|_| format!("`{arg}` is not sha256:<64 hex digits>"));
    }
    let mut f = std::fs::File::open(arg).map_err(|e| format!("{arg}: {e}"))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| format!("{arg}: {e}"))?;
    Ok(h.finalize().into())
}
