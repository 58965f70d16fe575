//! Building blocks shared by the test PKIs (`bundle_ca.rs` for the verifier tests,
//! `sigstore_standin.rs` for the signer tests): DER pieces, PEM, and RFC 6962 Merkle tree hashing
//! by the recursive definitions. Written from the standards, independently of the code under test.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use x509_cert::der::asn1::{BitString, ObjectIdentifier, OctetString};
use x509_cert::der::Encode;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::{Certificate, TbsCertificate};

/// The DER certificate of `tbs` signed by `sign`, which returns the signature of the bytes it is
/// given, as the certificate carries it.
pub fn sign_tbs(tbs: TbsCertificate, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let sig = sign(&tbs.to_der().unwrap());
    Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap()
}

pub fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

pub fn ext(id: &str, critical: bool, der: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid(id),
        critical,
        extn_value: OctetString::new(der).unwrap(),
    }
}

/// The extensions of a signing leaf certificate: digital signature, and one extended key usage.
fn leaf_exts(eku: &str, eku_critical: bool) -> Vec<Extension> {
    vec![
        ext(
            "2.5.29.15",
            true,
            KeyUsage(KeyUsages::DigitalSignature.into())
                .to_der()
                .unwrap(),
        ),
        ext(
            "2.5.29.37",
            eku_critical,
            ExtendedKeyUsage(vec![oid(eku)]).to_der().unwrap(),
        ),
    ]
}

/// A timestamping authority's certificate: `timeStamping`, critical as RFC 3161 §2.3 requires.
pub fn timestamping_exts() -> Vec<Extension> {
    leaf_exts("1.3.6.1.5.5.7.3.8", true)
}

/// The first extensions of a Fulcio signing certificate: `codeSigning`, not critical, as Fulcio
/// issues it.
pub fn code_signing_exts() -> Vec<Extension> {
    leaf_exts("1.3.6.1.5.5.7.3.3", false)
}

/// A DER TLV (lengths up to 2^24 - 1).
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else if n < 0x10000 {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    } else {
        out.extend_from_slice(&[0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(value);
    out
}

/// PEM with 64-character lines.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// RFC 6962 §2.1 Merkle tree hashing.
pub mod merkle {
    use sha2::{Digest, Sha256};

    pub fn leaf(data: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update([0])
            .chain_update(data)
            .finalize()
            .into()
    }
    pub fn node(l: &[u8], r: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update([1])
            .chain_update(l)
            .chain_update(r)
            .finalize()
            .into()
    }
    /// The largest power of two smaller than `n`.
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }
    /// The tree hash (MTH).
    pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let k = split(n);
                node(&root(&leaves[..k]), &root(&leaves[k..]))
            }
        }
    }
    /// §2.1.1: the audit path of leaf `m`.
    pub fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = split(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(root(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(root(&leaves[..k]));
            p
        }
    }
}
