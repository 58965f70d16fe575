//! Rekor clients. v1: logging a DSSE envelope (`dsse` kind, version 0.0.1) and reading back the
//! entry, its signed entry timestamp and inclusion proof. v2 (rekor-tiles): logging it as a
//! `hashedrekord` 0.0.2 of SHA-256(PAE), as the v2 spec asks for DSSE, and reading back the
//! TransparencyLogEntry (inclusion proof and checkpoint, no SET, no integrated time). Either is
//! checked against what was signed, with `sigstore::tlog`, before it goes in a bundle.
//!
//! `POST /api/v1/log/entries` with `{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":
//! {"envelope":"<envelope JSON>","verifiers":["<base64 of the PEM certificate>"]}}}`; the reply (201)
//! is `{"<uuid>":{"body","integratedTime","logID","logIndex","verification":{"signedEntryTimestamp",
//! "inclusionProof":{"logIndex","rootHash","treeSize","hashes","checkpoint"}}}}`.
//!
//! v2: `POST /api/v2/log/entries` with `{"hashedRekordRequestV002":{"digest","signature":{"content",
//! "verifier":{"x509Certificate":{"rawBytes"},"keyDetails"}}}}`; the reply is the bundle's
//! `TransparencyLogEntry` as it is.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::http::Service;
use crate::attest::dsse;
use crate::attest::keys::pem_decode;
use crate::attest::sigstore::bundle::{self, Content, Proof, TlogEntry};
use crate::attest::sigstore::tlog::{self, Signer};

pub const ENTRIES_PATH: &str = "/api/v1/log/entries";
pub const ENTRIES_PATH_V2: &str = "/api/v2/log/entries";

/// A log entry as Rekor returned it, checked.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub uuid: String,
    /// Standard base64 of the canonicalized entry body.
    pub body: String,
    pub integrated_time: i64,
    /// Hex SHA-256 of the log's public key.
    pub log_id: Vec<u8>,
    pub log_index: i64,
    pub signed_entry_timestamp: Vec<u8>,
    pub proof: InclusionProof,
}

#[derive(Debug, Clone)]
pub struct InclusionProof {
    /// The index in the tree the proof is for (differs from the global index on sharded logs).
    pub log_index: i64,
    pub root_hash: Vec<u8>,
    pub tree_size: i64,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: String,
}

/// The proposed entry, as Rekor's `dsse` v0.0.1 type reads it.
pub fn proposed_entry(envelope_json: &str, cert_pem: &str) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": envelope_json,
                "verifiers": [STANDARD.encode(cert_pem.as_bytes())],
            },
        },
    })
}

/// Logs the envelope and returns the entry, after checking that the body is the one proposed and
/// that the inclusion proof leads to the root hash the checkpoint commits to.
pub fn upload_dsse(
    rekor: &Service,
    envelope_json: &str,
    payload: &[u8],
    signature: &[u8],
    cert_pem: &str,
) -> Result<LogEntry, String> {
    let body =
        serde_json::to_vec(&proposed_entry(envelope_json, cert_pem)).map_err(|e| e.to_string())?;
    let reply = rekor.post(ENTRIES_PATH, "application/json", "application/json", &body)?;
    if reply.status != 201 && reply.status != 200 {
        return Err(rekor.status_error(ENTRIES_PATH, &reply));
    }
    let entry = parse_response(&reply.body).map_err(|e| format!("Rekor: {e}"))?;
    check_body(&entry, envelope_json, payload, signature, cert_pem)
        .map_err(|e| format!("Rekor: the logged entry {}: {e}", entry.uuid))?;
    Ok(entry)
}

fn parse_response(body: &[u8]) -> Result<LogEntry, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the response is not JSON: {e}"))?;
    let map = v.as_object().ok_or("the response is not a JSON object")?;
    let mut entries = map.iter();
    let (uuid, e) = match (entries.next(), entries.next()) {
        (Some(one), None) => one,
        _ => {
            return Err(format!(
                "the response holds {} entries, expected one",
                map.len()
            ))
        }
    };
    let s = |p: &str| {
        e.pointer(p)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("entry {uuid} has no string `{}`", &p[1..]))
    };
    let n = |p: &str| {
        e.pointer(p)
            .and_then(Value::as_i64)
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("entry {uuid} has no non-negative integer `{}`", &p[1..]))
    };
    let hex_field = |p: &str| {
        s(p).and_then(|h| {
            hex::decode(h).map_err(|_| format!("entry {uuid}: `{}` is not hex", &p[1..]))
        })
    };
    let b64_field = |p: &str| {
        s(p).and_then(|b| {
            STANDARD
                .decode(b)
                .map_err(|_| format!("entry {uuid}: `{}` is not base64", &p[1..]))
        })
    };
    let hashes = e
        .pointer("/verification/inclusionProof/hashes")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            format!("entry {uuid} has no inclusion proof (`verification.inclusionProof.hashes`)")
        })?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(|h| hex::decode(h).ok())
                .filter(|h| h.len() == 32)
                .ok_or_else(|| format!("entry {uuid}: an inclusion proof hash is not 32 hex bytes"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = s("/body")?.to_string();
    STANDARD
        .decode(&body)
        .map_err(|_| format!("entry {uuid}: `body` is not base64"))?;
    Ok(LogEntry {
        uuid: uuid.clone(),
        body,
        integrated_time: n("/integratedTime")?,
        log_id: hex_field("/logID")?,
        log_index: n("/logIndex")?,
        signed_entry_timestamp: b64_field("/verification/signedEntryTimestamp")?,
        proof: InclusionProof {
            log_index: n("/verification/inclusionProof/logIndex")?,
            root_hash: hex_field("/verification/inclusionProof/rootHash")?,
            tree_size: n("/verification/inclusionProof/treeSize")?,
            hashes,
            checkpoint: s("/verification/inclusionProof/checkpoint")?.to_string(),
        },
    })
}

/// The body must record this envelope, payload, signature and certificate, and the proof must
/// lead from its leaf hash to the root hash of the checkpoint: the checks `verify-bundle` makes
/// (`sigstore::tlog`), without the log's key, which signing does not know.
fn check_body(
    entry: &LogEntry,
    envelope_json: &str,
    payload: &[u8],
    signature: &[u8],
    cert_pem: &str,
) -> Result<(), String> {
    let raw = STANDARD.decode(&entry.body).map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_slice(&raw).map_err(|e| format!("body is not JSON: {e}"))?;
    // Only the signing side knows the exact envelope bytes it proposed.
    let envelope_hash = body
        .pointer("/spec/envelopeHash/value")
        .and_then(Value::as_str);
    if envelope_hash != Some(&hex::encode(Sha256::digest(envelope_json))) {
        return Err("body records another envelope hash".into());
    }
    let envelope = serde_json::from_str(envelope_json)
        .map_err(|e| e.to_string())
        .and_then(|v| dsse::parse_envelope(&v))?;
    if envelope.payload != payload {
        return Err("the envelope does not hold the payload signed".into());
    }
    let (label, der) = pem_decode(cert_pem)?;
    let signer = if label == "CERTIFICATE" {
        Signer::Certificate(&der)
    } else {
        Signer::Key(&der)
    };
    let p = &entry.proof;
    let logged = TlogEntry {
        log_index: entry.log_index,
        log_id: entry.log_id.clone(),
        kind: "dsse".into(),
        version: "0.0.1".into(),
        integrated_time: entry.integrated_time,
        set: None,
        proof: Some(Proof {
            log_index: u64::try_from(p.log_index).map_err(|e| e.to_string())?,
            root_hash: p.root_hash.clone(),
            tree_size: u64::try_from(p.tree_size).map_err(|e| e.to_string())?,
            hashes: p.hashes.clone(),
            checkpoint: Some(p.checkpoint.clone()),
        }),
        body: raw,
    };
    let content = Content::Dsse {
        envelope,
        signature: signature.to_vec(),
    };
    check_logged(&logged, &content, &signer)
}

/// What signing can check of an entry a log returned (it does not know the log's key): the body
/// records this content and signer, the inclusion proof leads from it to the root hash, and the
/// checkpoint commits to that tree.
fn check_logged(entry: &TlogEntry, content: &Content, signer: &Signer) -> Result<(), String> {
    tlog::check_body(entry, content, signer).map_err(|f| f.message)?;
    let proof = entry
        .proof
        .as_ref()
        .ok_or("the entry has no inclusion proof")?;
    tlog::verify_inclusion(&entry.body, proof).map_err(|f| f.message)?;
    let note = proof
        .checkpoint
        .as_deref()
        .ok_or("the inclusion proof has no checkpoint")?;
    let (_, _, size, root) = tlog::checkpoint_tree(note).map_err(|f| f.message)?;
    if size != proof.tree_size || root != proof.root_hash {
        return Err("the checkpoint is for another tree than the inclusion proof".into());
    }
    Ok(())
}

/// Logs the envelope to a Rekor v2 log as a `hashedrekord` 0.0.2 entry over SHA-256 of its PAE,
/// signed by the certificate's key, and returns the TransparencyLogEntry, checked.
pub fn upload_v2(
    rekor: &Service,
    payload_type: &str,
    payload: &[u8],
    signature: &[u8],
    cert_der: &[u8],
) -> Result<Value, String> {
    let pae = dsse::pae(payload_type.as_bytes(), payload);
    let request = json!({"hashedRekordRequestV002": {
        "digest": STANDARD.encode(Sha256::digest(&pae)),
        "signature": {
            "content": STANDARD.encode(signature),
            "verifier": {
                "x509Certificate": {"rawBytes": STANDARD.encode(cert_der)},
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            },
        },
    }});
    let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    let reply = rekor.post(
        ENTRIES_PATH_V2,
        "application/json",
        "application/json",
        &body,
    )?;
    if reply.status != 201 && reply.status != 200 {
        return Err(rekor.status_error(ENTRIES_PATH_V2, &reply));
    }
    let v: Value = serde_json::from_slice(&reply.body)
        .map_err(|e| format!("Rekor v2: the response is not JSON: {e}"))?;
    let entry =
        bundle::parse_entry(&v).map_err(|f| format!("Rekor v2: the entry: {}", f.message))?;
    if (entry.kind.as_str(), entry.version.as_str()) != ("hashedrekord", "0.0.2") {
        return Err(format!(
            "Rekor v2: the log answered a {} {} entry, not the hashedrekord 0.0.2 asked",
            entry.kind, entry.version
        ));
    }
    let content = Content::Dsse {
        envelope: dsse::ParsedEnvelope {
            payload_type: payload_type.to_string(),
            payload: payload.to_vec(),
            signatures: Vec::new(),
        },
        signature: signature.to_vec(),
    };
    check_logged(&entry, &content, &Signer::Certificate(cert_der))
        .map_err(|e| format!("Rekor v2: the logged entry {}: {e}", entry.log_index))?;
    Ok(v)
}

impl LogEntry {
    /// The `TransparencyLogEntry` of a bundle (proto3 JSON: int64 as strings, bytes as base64).
    pub fn to_bundle_json(&self) -> Value {
        json!({
            "logIndex": self.log_index.to_string(),
            "logId": {"keyId": STANDARD.encode(&self.log_id)},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": self.integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": STANDARD.encode(&self.signed_entry_timestamp)},
            "inclusionProof": {
                "logIndex": self.proof.log_index.to_string(),
                "rootHash": STANDARD.encode(&self.proof.root_hash),
                "treeSize": self.proof.tree_size.to_string(),
                "hashes": self.proof.hashes.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
                "checkpoint": {"envelope": self.proof.checkpoint},
            },
            "canonicalizedBody": self.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_read_strictly() {
        assert!(parse_response(b"[]")
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(parse_response(b"{}").unwrap_err().contains("0 entries"));
        let no_proof = br#"{"u":{"body":"e30=","integratedTime":1,"logID":"00","logIndex":0,"verification":{"signedEntryTimestamp":"AA=="}}}"#;
        assert!(parse_response(no_proof)
            .unwrap_err()
            .contains("no inclusion proof"));
    }
}
