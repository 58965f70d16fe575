//! Transparency log entries, checked offline: the entry body against the bundle, the signed entry
//! timestamp, the RFC 6962 inclusion proof and the signed checkpoint. The log is never queried.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::bundle::{Content, Proof, TlogEntry};
use super::pki::{self, HashAlg};
use super::trust::{LogKey, TrustedRoot};
use super::{Failure, Kind};
use crate::attest::dsse;
use crate::attest::keys::{pem_decode, VerifyingKey};
use crate::attest::parse_json;

/// A failed log check.
fn fault(message: impl Into<String>) -> Failure {
    Failure {
        kind: Kind::Log,
        message: message.into(),
    }
}

/// Most signature lines read from one checkpoint.
const MAX_NOTE_SIGNATURES: usize = 32;
/// Deepest inclusion proof accepted: a tree of 2^64 leaves needs 64 hashes.
const MAX_PROOF_HASHES: usize = 64;

/// What the signer's key material is, to compare with the body's verifier.
pub enum Signer<'a> {
    /// The leaf certificate DER.
    Certificate(&'a [u8]),
    /// The key's SubjectPublicKeyInfo DER.
    Key(&'a [u8]),
}

/// The result of one entry: the log it is in and the time it proves, if any.
pub struct Verified {
    pub log: LogKey,
    /// The integrated time, covered by a verified SET (Rekor v1); `None` for entries without one.
    pub integrated_time: Option<i64>,
    pub detail: String,
}

/// Checks one entry completely. `Err` names the first thing that does not hold. From bundle v0.2
/// on the inclusion proof is required (`require_proof`); only v0.1 bundles may rest on the signed
/// entry timestamp alone.
pub fn verify_entry(
    entry: &TlogEntry,
    content: &Content,
    signer: &Signer,
    root: &TrustedRoot,
    require_proof: bool,
) -> Result<Verified, Failure> {
    if require_proof && entry.proof.is_none() {
        return Err(fault(
            "the entry has no inclusion proof, which bundles from v0.2 on must carry (a signed \
             entry timestamp alone is enough only in v0.1)",
        ));
    }
    let log = root
        .tlogs
        .iter()
        .find(|l| l.key_id == entry.log_id)
        .ok_or_else(|| {
            fault(format!(
                "the entry's log {} is not a transparency log of the trusted root",
                STANDARD.encode(&entry.log_id)
            ))
        })?;
    let key = pki::key_from_spki(&log.spki)
        .map_err(|e| fault(format!("the log key of {}: {e}", log.base_url)))?;
    check_body(entry, content, signer)?;

    let mut done = vec![format!(
        "{} {} body matches the bundle",
        entry.kind, entry.version
    )];
    let integrated_time = match &entry.set {
        Some(set) => {
            verify_set(entry, &key, set)?;
            done.push(format!(
                "signed entry timestamp verifies (integrated {})",
                pki::show_time(entry.integrated_time)
            ));
            Some(entry.integrated_time)
        }
        None => None,
    };
    match &entry.proof {
        Some(p) => {
            verify_inclusion(&entry.body, p)?;
            done.push(format!(
                "inclusion proof of leaf {} in a tree of {} verifies",
                p.log_index, p.tree_size
            ));
            match &p.checkpoint {
                Some(note) => {
                    verify_checkpoint(note, p, &key, &log.key_id)?;
                    done.push("checkpoint signed by the log verifies".into());
                }
                None if entry.set.is_some() => {}
                None => return Err(fault("the inclusion proof has no checkpoint")),
            }
        }
        None if entry.set.is_some() => {}
        None => {
            return Err(fault(
                "the entry has neither a signed entry timestamp nor an inclusion proof",
            ))
        }
    }
    if integrated_time.is_none() && entry.proof.is_none() {
        return Err(fault("the entry proves nothing"));
    }
    Ok(Verified {
        log: log.clone(),
        integrated_time,
        detail: format!("{}: {}", log.base_url, done.join(", ")),
    })
}

fn hex_of(v: &Value, path: &str) -> Option<String> {
    v.pointer(path)
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
}

fn b64_of(v: &Value, path: &str) -> Option<Vec<u8>> {
    v.pointer(path)
        .and_then(Value::as_str)
        .and_then(|s| STANDARD.decode(s).ok())
}

/// The DER inside a base64 PEM verifier (v1 bodies).
fn pem_verifier(v: &Value, path: &str) -> Option<Vec<u8>> {
    let pem = b64_of(v, path)?;
    pem_decode(std::str::from_utf8(&pem).ok()?)
        .ok()
        .map(|(_, d)| d)
}

/// The DER of a v2 body's verifier (`x509Certificate` or `publicKey`).
fn v2_verifier(v: &Value) -> Option<Vec<u8>> {
    b64_of(v, "/x509Certificate/rawBytes").or_else(|| b64_of(v, "/publicKey/rawBytes"))
}

fn matches_signer(der: Option<Vec<u8>>, signer: &Signer) -> bool {
    match (der, signer) {
        (Some(d), Signer::Certificate(c)) => d == *c,
        (Some(d), Signer::Key(k)) => d == *k,
        _ => false,
    }
}

/// Compares the canonicalized body with the bundle: same kind, same hashes, same signature, same
/// certificate or key. Signing checks the entry the log returns with it too.
pub(crate) fn check_body(
    entry: &TlogEntry,
    content: &Content,
    signer: &Signer,
) -> Result<(), Failure> {
    let body =
        parse_json(&entry.body).map_err(|e| fault(format!("the entry body is not JSON: {e}")))?;
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or("");
    let version = body.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if kind != entry.kind || version != entry.version {
        return Err(fault(format!(
            "the body is a {kind} {version} entry but the bundle says {} {}",
            entry.kind, entry.version
        )));
    }
    let spec = body
        .get("spec")
        .ok_or_else(|| fault("the entry body has no `spec`"))?;
    let sig = content.signature();
    let mismatch = |what: &str| Err(fault(format!("the log entry's {what} is not the bundle's")));
    match (kind, version, content) {
        ("dsse", "0.0.1", Content::Dsse { envelope, .. }) => {
            let want = hex::encode(Sha256::digest(&envelope.payload));
            if hex_of(spec, "/payloadHash/value").as_deref() != Some(&want)
                || hex_of(spec, "/payloadHash/algorithm").as_deref() != Some("sha256")
            {
                return mismatch("payload hash");
            }
            let sigs = spec
                .get("signatures")
                .and_then(Value::as_array)
                .ok_or_else(|| fault("no `signatures`"))?;
            if !sigs.iter().any(|s| {
                b64_of(s, "/signature").as_deref() == Some(sig)
                    && matches_signer(pem_verifier(s, "/verifier"), signer)
            }) {
                return mismatch("signature or verifier");
            }
        }
        ("dsse", "0.0.2", Content::Dsse { envelope, .. }) => {
            let d = spec.get("dsseV002").ok_or_else(|| fault("no `dsseV002`"))?;
            if b64_of(d, "/payloadHash/digest").as_deref()
                != Some(&Sha256::digest(&envelope.payload)[..])
            {
                return mismatch("payload hash");
            }
            let sigs = d
                .get("signatures")
                .and_then(Value::as_array)
                .ok_or_else(|| fault("no `signatures`"))?;
            if !sigs.iter().any(|s| {
                b64_of(s, "/content").as_deref() == Some(sig)
                    && matches_signer(s.get("verifier").and_then(v2_verifier), signer)
            }) {
                return mismatch("signature or verifier");
            }
        }
        ("intoto", "0.0.2", Content::Dsse { envelope, .. }) => {
            let want = hex::encode(Sha256::digest(&envelope.payload));
            if hex_of(spec, "/content/payloadHash/value").as_deref() != Some(&want) {
                return mismatch("payload hash");
            }
            let sigs = spec
                .pointer("/content/envelope/signatures")
                .and_then(Value::as_array)
                .ok_or_else(|| fault("no `content.envelope.signatures`"))?;
            // intoto 0.0.2 stores the signature base64-encoded twice.
            if !sigs.iter().any(|s| {
                let once = b64_of(s, "/sig");
                let twice = once
                    .as_deref()
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|t| STANDARD.decode(t).ok());
                (twice.as_deref() == Some(sig) || once.as_deref() == Some(sig))
                    && matches_signer(pem_verifier(s, "/publicKey"), signer)
            }) {
                return mismatch("signature or verifier");
            }
        }
        ("hashedrekord", "0.0.1", Content::Message { digest, .. }) => {
            if hex_of(spec, "/data/hash/algorithm").as_deref() != Some("sha256")
                || hex_of(spec, "/data/hash/value").as_deref() != Some(&hex::encode(digest))
            {
                return mismatch("artifact hash");
            }
            if b64_of(spec, "/signature/content").as_deref() != Some(sig)
                || !matches_signer(pem_verifier(spec, "/signature/publicKey/content"), signer)
            {
                return mismatch("signature or verifier");
            }
        }
        ("hashedrekord", "0.0.2", content) => {
            // Rekor v2 logs a DSSE envelope as a hashedrekord of its PAE (rekor v2 spec §6.1.4).
            let (digest, what) = match content {
                Content::Message { digest, .. } => (digest.clone(), "artifact hash"),
                Content::Dsse { envelope, .. } => (
                    Sha256::digest(dsse::pae(
                        envelope.payload_type.as_bytes(),
                        &envelope.payload,
                    ))
                    .to_vec(),
                    "hash of the envelope's PAE",
                ),
            };
            let h = spec
                .get("hashedRekordV002")
                .ok_or_else(|| fault("no `hashedRekordV002`"))?;
            if h.pointer("/data/algorithm").and_then(Value::as_str) != Some("SHA2_256")
                || b64_of(h, "/data/digest").as_deref() != Some(&digest[..])
            {
                return mismatch(what);
            }
            if b64_of(h, "/signature/content").as_deref() != Some(sig)
                || !matches_signer(
                    h.pointer("/signature/verifier").and_then(v2_verifier),
                    signer,
                )
            {
                return mismatch("signature or verifier");
            }
        }
        (k, v, c) => {
            let what = match c {
                Content::Dsse { .. } => "a DSSE envelope",
                Content::Message { .. } => "a message signature",
            };
            return Err(fault(format!("a {k} {v} log entry cannot record {what}")));
        }
    }
    Ok(())
}

/// The SET: the log's signature over canonical JSON of body, integrated time, log ID and index.
fn verify_set(entry: &TlogEntry, key: &VerifyingKey, set: &[u8]) -> Result<(), Failure> {
    // Keys in sorted order, no spaces: the canonical form Rekor signs.
    let payload = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
        STANDARD.encode(&entry.body),
        entry.integrated_time,
        hex::encode(&entry.log_id),
        entry.log_index
    );
    if pki::verify(key, HashAlg::Sha256, payload.as_bytes(), set) {
        Ok(())
    } else {
        Err(fault(
            "the signed entry timestamp does not verify with the log's key",
        ))
    }
}

fn node(l: &[u8], r: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// RFC 6962 leaf hash.
pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

/// The root an RFC 6962 / RFC 9162 audit path leads to.
pub fn root_from_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    hashes: &[Vec<u8>],
) -> Result<[u8; 32], Failure> {
    if index >= size {
        return Err(fault(format!(
            "leaf index {index} is not below the tree size {size}"
        )));
    }
    if hashes.len() > MAX_PROOF_HASHES {
        return Err(fault(format!(
            "an inclusion proof of {} hashes",
            hashes.len()
        )));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in hashes {
        if p.len() != 32 {
            return Err(fault(format!("a proof hash of {} bytes", p.len())));
        }
        if s == 0 {
            return Err(fault("the inclusion proof is longer than the path"));
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(fault("the inclusion proof is shorter than the path"));
    }
    Ok(r)
}

/// Checks that the proof leads from the body's leaf hash to the proof's root hash.
pub(crate) fn verify_inclusion(body: &[u8], p: &Proof) -> Result<(), Failure> {
    let root = root_from_proof(p.log_index, p.tree_size, leaf_hash(body), &p.hashes)?;
    if root[..] != p.root_hash[..] {
        return Err(fault(format!(
            "the inclusion proof leads to root {} but the proof says {}",
            hex::encode(root),
            hex::encode(&p.root_hash)
        )));
    }
    Ok(())
}

/// A signed note checkpoint's text, signature lines, tree size and root hash, unverified.
pub(crate) fn checkpoint_tree(note: &str) -> Result<(&str, &str, u64, Vec<u8>), Failure> {
    let (text, sigs) = note
        .split_once("\n\n")
        .ok_or_else(|| fault("the checkpoint has no blank line before its signatures"))?;
    let mut lines = text.split('\n');
    let origin = lines.next().unwrap_or("");
    if origin.is_empty() {
        return Err(fault("the checkpoint has no origin line"));
    }
    let size: u64 = lines
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fault("the checkpoint's tree size is not a number"))?;
    let root = lines
        .next()
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or_else(|| fault("the checkpoint's root hash is not base64"))?;
    Ok((text, sigs, size, root))
}

/// Verifies a signed note checkpoint: the log's key must sign it (other signatures and
/// cosignatures are ignored), and its size and root hash must be the proof's.
fn verify_checkpoint(
    note: &str,
    p: &Proof,
    key: &VerifyingKey,
    key_id: &[u8],
) -> Result<(), Failure> {
    let (text, sigs, size, root) = checkpoint_tree(note)?;
    let signed = format!("{text}\n");
    let mut verified = false;
    for line in sigs
        .lines()
        .filter(|l| !l.is_empty())
        .take(MAX_NOTE_SIGNATURES)
    {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return Err(fault(format!(
                "checkpoint signature line `{line}` does not start with an em dash"
            )));
        };
        let Some((name, b64sig)) = rest.rsplit_once(' ') else {
            continue;
        };
        let Some(raw) = STANDARD.decode(b64sig).ok().filter(|r| r.len() > 4) else {
            continue;
        };
        let (hint, sig) = raw.split_at(4);
        // Rekor v1 hints are the first bytes of the log ID; note keys hash name and key.
        let note_hint = note_key_hint(name, key);
        if hint != key_id.get(..4).unwrap_or(&[])
            && Some(hint) != note_hint.as_ref().map(|h| &h[..])
        {
            continue;
        }
        if pki::verify(key, HashAlg::Sha256, signed.as_bytes(), sig) {
            verified = true;
            break;
        }
    }
    if !verified {
        return Err(fault("no checkpoint signature verifies with the log's key"));
    }
    if size != p.tree_size {
        return Err(fault(format!(
            "the checkpoint's tree size {size} is not the proof's {}",
            p.tree_size
        )));
    }
    if root != p.root_hash {
        return Err(fault("the checkpoint's root hash is not the proof's"));
    }
    Ok(())
}

/// The key hint of a signed note key (golang.org/x/mod/sumdb/note): SHA-256(name, "\n", type, key)[..4]
/// with type 0x01 for Ed25519; for ECDSA keys the type byte 0x02 and the SPKI DER.
fn note_key_hint(name: &str, key: &VerifyingKey) -> Option<[u8; 4]> {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    match key {
        VerifyingKey::Ed25519(k) => {
            h.update([1u8]);
            h.update(k.as_bytes());
        }
        other => {
            h.update([2u8]);
            h.update(other.to_spki_der());
        }
    }
    let d = h.finalize();
    Some([*d.first()?, *d.get(1)?, *d.get(2)?, *d.get(3)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962: the largest power of two below n.
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn tree(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            1 => leaves[0],
            n => {
                let k = split(n);
                node(&tree(&leaves[..k]), &tree(&leaves[k..]))
            }
        }
    }

    fn path(leaves: &[[u8; 32]], m: usize) -> Vec<Vec<u8>> {
        let n = leaves.len();
        if n == 1 {
            return Vec::new();
        }
        let k = split(n);
        if m < k {
            let mut p = path(&leaves[..k], m);
            p.push(tree(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(&leaves[k..], m - k);
            p.push(tree(&leaves[..k]).to_vec());
            p
        }
    }

    #[test]
    fn inclusion_proofs_of_every_leaf_of_small_trees() {
        for n in 1..=17usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = tree(&leaves);
            for m in 0..n {
                let p = path(&leaves, m);
                assert_eq!(
                    root_from_proof(m as u64, n as u64, leaves[m], &p).unwrap(),
                    root,
                    "n={n} m={m}"
                );
                if !p.is_empty() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert_ne!(
                        root_from_proof(m as u64, n as u64, leaves[m], &bad).unwrap(),
                        root
                    );
                    assert!(root_from_proof(m as u64, n as u64, leaves[m], &p[1..]).is_err());
                }
            }
            assert!(root_from_proof(n as u64, n as u64, leaves[0], &[]).is_err());
        }
    }
}
