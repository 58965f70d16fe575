//! Reading a sigstore bundle (protobuf JSON, media types v0.1 to v0.3) into typed parts. Nothing is
//! verified here; every field is checked for shape and named when wrong.

use serde_json::Value;

use super::trust;
use super::{Failure, Kind};
use crate::attest::dsse::{self, ParsedEnvelope};
use crate::attest::kind_of;

/// A failed bundle check.
fn fault(message: impl Into<String>) -> Failure {
    Failure {
        kind: Kind::Bundle,
        message: message.into(),
    }
}

/// Media types accepted, with the version they stand for.
pub const MEDIA_TYPES: [(&str, u8); 4] = [
    ("application/vnd.dev.sigstore.bundle+json;version=0.1", 1),
    ("application/vnd.dev.sigstore.bundle+json;version=0.2", 2),
    ("application/vnd.dev.sigstore.bundle+json;version=0.3", 3),
    ("application/vnd.dev.sigstore.bundle.v0.3+json", 3),
];

/// Most transparency log entries, timestamps, certificates or proof hashes read from one bundle.
const MAX_ITEMS: usize = 64;

#[derive(Debug, Clone)]
pub enum Material {
    /// The signing certificate (leaf) and any further certificates the bundle carries (v0.1/v0.2).
    Certificate { leaf: Vec<u8>, rest: Vec<Vec<u8>> },
    /// A key-based signature: only a hint, the key comes from the verifier.
    PublicKey { hint: String },
}

#[derive(Debug, Clone)]
pub enum Content {
    Dsse {
        envelope: ParsedEnvelope,
        signature: Vec<u8>,
    },
    Message {
        /// Only SHA2_256 is read.
        digest: Vec<u8>,
        signature: Vec<u8>,
    },
}

impl Content {
    pub fn signature(&self) -> &[u8] {
        match self {
            Content::Dsse { signature, .. } | Content::Message { signature, .. } => signature,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Proof {
    pub log_index: u64,
    pub root_hash: Vec<u8>,
    pub tree_size: u64,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TlogEntry {
    pub log_index: i64,
    pub log_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    pub integrated_time: i64,
    pub set: Option<Vec<u8>>,
    pub proof: Option<Proof>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Bundle {
    pub media_type: String,
    pub version: u8,
    pub material: Material,
    pub tlog: Vec<TlogEntry>,
    /// DER of each RFC 3161 timestamp (a TimeStampResp or a bare token).
    pub timestamps: Vec<Vec<u8>>,
    pub content: Content,
}

/// An int64 in protobuf JSON: a string of digits, or a number.
/// A base64 field, named when it is not.
fn b64(v: Option<&Value>, what: &str) -> Result<Vec<u8>, Failure> {
    trust::b64(v, what).map_err(fault)
}

fn int(v: Option<&Value>, what: &str) -> Result<i64, Failure> {
    match v {
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| fault(format!("`{what}` is not an integer: `{s}`"))),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| fault(format!("`{what}` is not an integer"))),
        None => Err(fault(format!("`{what}` is missing"))),
        Some(o) => Err(fault(format!(
            "`{what}` must be an integer string, found {}",
            kind_of(o)
        ))),
    }
}

fn uint(v: Option<&Value>, what: &str) -> Result<u64, Failure> {
    u64::try_from(int(v, what)?).map_err(|_| fault(format!("`{what}` is negative")))
}

fn array<'a>(v: Option<&'a Value>, what: &str) -> Result<&'a [Value], Failure> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) if a.len() <= MAX_ITEMS => Ok(a),
        Some(Value::Array(a)) => Err(fault(format!(
            "`{what}` has {} items, over the limit of {MAX_ITEMS}",
            a.len()
        ))),
        Some(o) => Err(fault(format!(
            "`{what}` must be an array, found {}",
            kind_of(o)
        ))),
    }
}

pub fn parse(v: &Value) -> Result<Bundle, Failure> {
    if !v.is_object() {
        return Err(fault(format!(
            "a bundle is a JSON object, found {}",
            kind_of(v)
        )));
    }
    let media_type = match v.get("mediaType") {
        Some(Value::String(s)) => s.clone(),
        None => {
            return Err(fault(
                "the bundle has no `mediaType`: its version is unknown",
            ))
        }
        Some(o) => {
            return Err(fault(format!(
                "`mediaType` must be a string, found {}",
                kind_of(o)
            )))
        }
    };
    let version = MEDIA_TYPES
        .iter()
        .find(|(m, _)| *m == media_type)
        .map(|(_, v)| *v)
        .ok_or_else(|| fault(format!("unknown bundle media type `{media_type}`")))?;

    let vm = v
        .get("verificationMaterial")
        .ok_or_else(|| fault("the bundle has no `verificationMaterial`"))?;
    let material = if let Some(c) = vm.get("certificate") {
        if version < 3 {
            return Err(fault(
                "a single `certificate` is a v0.3 field; this bundle is older",
            ));
        }
        Material::Certificate {
            leaf: b64(
                c.get("rawBytes"),
                "verificationMaterial.certificate.rawBytes",
            )?,
            rest: Vec::new(),
        }
    } else if let Some(c) = vm.get("x509CertificateChain") {
        if version >= 3 {
            return Err(fault(
                "v0.3 bundles carry a single `certificate`, not `x509CertificateChain`",
            ));
        }
        let certs = array(c.get("certificates"), "x509CertificateChain.certificates")?
            .iter()
            .enumerate()
            .map(|(i, c)| {
                b64(
                    c.get("rawBytes"),
                    &format!("x509CertificateChain.certificates[{i}].rawBytes"),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut it = certs.into_iter();
        let leaf = it
            .next()
            .ok_or_else(|| fault("`x509CertificateChain` is empty"))?;
        Material::Certificate {
            leaf,
            rest: it.collect(),
        }
    } else if let Some(k) = vm.get("publicKey") {
        Material::PublicKey {
            hint: k
                .get("hint")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }
    } else {
        return Err(fault(
            "`verificationMaterial` has no certificate, certificate chain or public key",
        ));
    };

    let mut tlog = Vec::new();
    for (i, e) in array(vm.get("tlogEntries"), "tlogEntries")?
        .iter()
        .enumerate()
    {
        tlog.push(parse_entry(e).map_err(|f| fault(format!("tlogEntries[{i}]: {}", f.message)))?);
    }
    let mut timestamps = Vec::new();
    for (i, t) in array(
        vm.pointer("/timestampVerificationData/rfc3161Timestamps"),
        "rfc3161Timestamps",
    )?
    .iter()
    .enumerate()
    {
        timestamps.push(b64(
            t.get("signedTimestamp"),
            &format!("rfc3161Timestamps[{i}].signedTimestamp"),
        )?);
    }

    let content = match (v.get("dsseEnvelope"), v.get("messageSignature")) {
        (Some(_), Some(_)) => {
            return Err(fault(
                "the bundle holds both a DSSE envelope and a message signature",
            ))
        }
        (Some(env), None) => {
            let envelope = dsse::parse_envelope(env).map_err(fault)?;
            if envelope.signatures.len() != 1 {
                return Err(fault(format!(
                    "a DSSE envelope in a bundle must have exactly one signature, this one has {}",
                    envelope.signatures.len()
                )));
            }
            let signature = envelope
                .signatures
                .first()
                .and_then(|(_, s)| s.clone())
                .ok_or_else(|| fault("the envelope's signature is not valid base64"))?;
            Content::Dsse {
                envelope,
                signature,
            }
        }
        (None, Some(m)) => {
            let alg = m
                .pointer("/messageDigest/algorithm")
                .and_then(Value::as_str)
                .unwrap_or("");
            if alg != "SHA2_256" {
                return Err(fault(format!(
                    "message digest algorithm `{alg}` is not SHA2_256"
                )));
            }
            let digest = b64(
                m.pointer("/messageDigest/digest"),
                "messageSignature.messageDigest.digest",
            )?;
            if digest.len() != 32 {
                return Err(fault(format!(
                    "the SHA-256 message digest has {} bytes",
                    digest.len()
                )));
            }
            Content::Message {
                digest,
                signature: b64(m.get("signature"), "messageSignature.signature")?,
            }
        }
        (None, None) => {
            return Err(fault(
                "the bundle holds neither `dsseEnvelope` nor `messageSignature`",
            ))
        }
    };
    Ok(Bundle {
        media_type,
        version,
        material,
        tlog,
        timestamps,
        content,
    })
}

/// One `TransparencyLogEntry` (also what a Rekor v2 log answers).
pub fn parse_entry(e: &Value) -> Result<TlogEntry, Failure> {
    let proof = match e.get("inclusionProof") {
        None | Some(Value::Null) => None,
        Some(p) => {
            let hashes = array(p.get("hashes"), "inclusionProof.hashes")?
                .iter()
                .enumerate()
                .map(|(i, h)| b64(Some(h), &format!("inclusionProof.hashes[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Some(Proof {
                log_index: uint(p.get("logIndex"), "inclusionProof.logIndex")?,
                root_hash: b64(p.get("rootHash"), "inclusionProof.rootHash")?,
                tree_size: uint(p.get("treeSize"), "inclusionProof.treeSize")?,
                hashes,
                checkpoint: match p.pointer("/checkpoint/envelope") {
                    Some(Value::String(s)) => Some(s.clone()),
                    None => None,
                    Some(o) => {
                        return Err(fault(format!(
                            "`checkpoint.envelope` must be a string, found {}",
                            kind_of(o)
                        )))
                    }
                },
            })
        }
    };
    let str_at = |p: &str| {
        e.pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| fault(format!("`{}` is missing", &p[1..].replace('/', "."))))
    };
    Ok(TlogEntry {
        log_index: int(e.get("logIndex"), "logIndex")?,
        log_id: b64(e.pointer("/logId/keyId"), "logId.keyId")?,
        kind: str_at("/kindVersion/kind")?,
        version: str_at("/kindVersion/version")?,
        // Rekor v2 entries have no integrated time (absent or 0).
        integrated_time: match e.get("integratedTime") {
            None => 0,
            v => int(v, "integratedTime")?,
        },
        set: match e.pointer("/inclusionPromise/signedEntryTimestamp") {
            None => None,
            v => Some(b64(v, "inclusionPromise.signedEntryTimestamp")?),
        },
        proof,
        body: b64(e.get("canonicalizedBody"), "canonicalizedBody")?,
    })
}
