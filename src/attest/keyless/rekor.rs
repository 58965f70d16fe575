//! Rekor v1: logging a DSSE envelope (`dsse` kind, version 0.0.1) and reading back the entry, its
//! signed entry timestamp and inclusion proof, checked for consistency before it goes in a bundle.
//!
//! `POST /api/v1/log/entries` with `{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":
//! {"envelope":"<envelope JSON>","verifiers":["<base64 of the PEM certificate>"]}}}`; the reply (201)
//! is `{"<uuid>":{"body","integratedTime","logID","logIndex","verification":{"signedEntryTimestamp",
//! "inclusionProof":{"logIndex","rootHash","treeSize","hashes","checkpoint"}}}}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::http::Service;

pub const ENTRIES_PATH: &str = "/api/v1/log/entries";

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
/// lead from its leaf hash to the root hash of the checkpoint.
fn check_body(
    entry: &LogEntry,
    envelope_json: &str,
    payload: &[u8],
    signature: &[u8],
    cert_pem: &str,
) -> Result<(), String> {
    let raw = STANDARD.decode(&entry.body).map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_slice(&raw).map_err(|e| format!("body is not JSON: {e}"))?;
    if body.get("kind").and_then(Value::as_str) != Some("dsse")
        || body.get("apiVersion").and_then(Value::as_str) != Some("0.0.1")
    {
        return Err("body is not a dsse 0.0.1 entry".into());
    }
    let hash = |p: &str| body.pointer(p).and_then(Value::as_str).unwrap_or_default();
    if hash("/spec/payloadHash/value") != hex::encode(Sha256::digest(payload)) {
        return Err("body records another payload hash".into());
    }
    if hash("/spec/envelopeHash/value") != hex::encode(Sha256::digest(envelope_json)) {
        return Err("body records another envelope hash".into());
    }
    let sig_b64 = STANDARD.encode(signature);
    let cert_b64 = STANDARD.encode(cert_pem.as_bytes());
    let ours = body
        .pointer("/spec/signatures")
        .and_then(Value::as_array)
        .is_some_and(|sigs| {
            sigs.len() == 1
                && sigs[0].get("signature").and_then(Value::as_str) == Some(&sig_b64)
                && sigs[0].get("verifier").and_then(Value::as_str) == Some(&cert_b64)
        });
    if !ours {
        return Err("body records another signature or certificate".into());
    }
    let p = &entry.proof;
    let (index, size) = (p.log_index as u64, p.tree_size as u64);
    let leaf = leaf_hash(&raw);
    if !verify_inclusion(index, size, &leaf, &p.hashes, &p.root_hash) {
        return Err(format!(
            "the inclusion proof does not lead to root hash {} (index {index}, tree size {size})",
            hex::encode(&p.root_hash)
        ));
    }
    let mut lines = p.checkpoint.lines();
    let _origin = lines.next();
    let cp_size = lines.next().and_then(|l| l.parse::<u64>().ok());
    let cp_root = lines.next().and_then(|l| STANDARD.decode(l).ok());
    if cp_size != Some(size) || cp_root.as_deref() != Some(p.root_hash.as_slice()) {
        return Err("the checkpoint is for another tree than the inclusion proof".into());
    }
    Ok(())
}

/// RFC 6962 leaf hash: SHA-256(0x00 || leaf).
pub fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 9162 section 2.1.3.2: verifies an inclusion proof of `leaf` at `index` in a tree of `size`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8; 32],
    proof: &[Vec<u8>],
    root: &[u8],
) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r.as_slice() == root
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

    /// RFC 6962 tree head over leaves, and the audit path, by the recursive definitions.
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = leaves.len().next_power_of_two() / 2;
        node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }

    fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<Vec<u8>> {
        if leaves.len() <= 1 {
            return vec![];
        }
        let k = leaves.len().next_power_of_two() / 2;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]).to_vec());
            p
        }
    }

    #[test]
    fn inclusion_proofs_of_every_leaf_in_trees_up_to_nine() {
        for size in 1..=9usize {
            let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(&[i as u8])).collect();
            let root = mth(&leaves);
            for m in 0..size {
                let p = path(m, &leaves);
                assert!(
                    verify_inclusion(m as u64, size as u64, &leaves[m], &p, &root),
                    "{m}/{size}"
                );
                let other = (m + 1) % size;
                if other != m {
                    assert!(!verify_inclusion(
                        other as u64,
                        size as u64,
                        &leaves[m],
                        &p,
                        &root
                    ));
                }
                let mut bad_root = root;
                bad_root[0] ^= 1;
                assert!(!verify_inclusion(
                    m as u64,
                    size as u64,
                    &leaves[m],
                    &p,
                    &bad_root
                ));
                if !p.is_empty() {
                    assert!(!verify_inclusion(
                        m as u64,
                        size as u64,
                        &leaves[m],
                        &p[1..],
                        &root
                    ));
                }
            }
        }
        assert!(!verify_inclusion(3, 3, &[0; 32], &[], &[0; 32]));
    }

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
