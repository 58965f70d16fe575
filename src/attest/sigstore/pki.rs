//! Signature checks with keys given as SubjectPublicKeyInfo DER, and a small DER reader for the few
//! structures read field by field (certificate outer layers, TSTInfo).

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::attest::keys::VerifyingKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(msg).to_vec(),
            HashAlg::Sha384 => Sha384::digest(msg).to_vec(),
            HashAlg::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }

    /// The hash of an X.509 / CMS signature or digest algorithm OID.
    pub fn from_oid(oid: &str) -> Option<HashAlg> {
        match oid {
            // ecdsa-with-SHA256/384/512, sha256/384/512WithRSAEncryption, and the bare digests.
            "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" | "2.16.840.1.101.3.4.2.1" => {
                Some(HashAlg::Sha256)
            }
            "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" | "2.16.840.1.101.3.4.2.2" => {
                Some(HashAlg::Sha384)
            }
            "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" | "2.16.840.1.101.3.4.2.3" => {
                Some(HashAlg::Sha512)
            }
            // Ed25519 hashes internally; the value is not used for it.
            "1.3.101.112" => Some(HashAlg::Sha512),
            _ => None,
        }
    }
}

/// Verifies `sig` over `msg` with a public key: ECDSA (ASN.1 DER signature) over `hash(msg)`,
/// Ed25519 over `msg` itself, RSA PKCS#1 v1.5 with `hash`.
pub fn verify(key: &VerifyingKey, hash: HashAlg, msg: &[u8], sig: &[u8]) -> bool {
    match key {
        VerifyingKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(sig)
            .is_ok_and(|s| k.verify_strict(msg, &s).is_ok()),
        VerifyingKey::Rsa(k) => {
            use p256::ecdsa::signature::Verifier;
            let Ok(s) = rsa::pkcs1v15::Signature::try_from(sig) else {
                return false;
            };
            let k = (**k).clone();
            match hash {
                HashAlg::Sha256 => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k)
                    .verify(msg, &s)
                    .is_ok(),
                HashAlg::Sha384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(k)
                    .verify(msg, &s)
                    .is_ok(),
                HashAlg::Sha512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(k)
                    .verify(msg, &s)
                    .is_ok(),
            }
        }
        _ => verify_prehash(key, &hash.digest(msg), sig),
    }
}

/// Verifies an ECDSA signature (ASN.1 DER) over a digest computed elsewhere.
pub fn verify_prehash(key: &VerifyingKey, digest: &[u8], sig: &[u8]) -> bool {
    match key {
        VerifyingKey::P256(k) => p256::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
        VerifyingKey::P384(k) => p384::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
        _ => false,
    }
}

pub fn key_from_spki(spki: &[u8]) -> Result<VerifyingKey, String> {
    VerifyingKey::from_spki_der(spki)
}

/// One DER element: its tag byte, the whole encoding, the contents, and what follows it.
pub struct Tlv<'a> {
    pub tag: u8,
    pub whole: &'a [u8],
    pub content: &'a [u8],
    pub rest: &'a [u8],
}

/// Reads one DER TLV (single-byte tags, definite lengths up to 4 bytes).
pub fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, after_tag) = input.split_first()?;
    let (&first, after_len) = after_tag.split_first()?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), after_len)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = after_len.get(..n)?;
        let len = bytes.iter().try_fold(0usize, |acc, &b| {
            acc.checked_mul(256)?.checked_add(usize::from(b))
        })?;
        (len, after_len.get(n..)?)
    };
    let content = body.get(..len)?;
    let header = input.len().checked_sub(body.len())?;
    let whole = input.get(..header.checked_add(len)?)?;
    Some(Tlv {
        tag,
        whole,
        content,
        rest: body.get(len..)?,
    })
}

/// The raw `tbsCertificate` bytes of a certificate, exactly as signed.
pub fn tbs_bytes(cert_der: &[u8]) -> Option<&[u8]> {
    let outer = tlv(cert_der)?;
    if outer.tag != 0x30 {
        return None;
    }
    let tbs = tlv(outer.content)?;
    (tbs.tag == 0x30).then_some(tbs.whole)
}

/// Parses an ASN.1 GeneralizedTime (`YYYYMMDDHHMMSS[.f*]Z`) into Unix seconds (fraction dropped).
pub fn generalized_time(s: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?;
    let s = s.strip_suffix('Z')?;
    let main = s.split('.').next()?;
    if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(frac) = s.split_once('.').map(|(_, f)| f) {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let n = |r: std::ops::Range<usize>| main.get(r).and_then(|v| v.parse::<u32>().ok());
    let month = time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(n(0..4)?).ok()?,
        month,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Formats Unix seconds as RFC 3339 for messages.
pub fn show_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_times() {
        assert_eq!(generalized_time(b"20250228191811Z"), Some(1740770291));
        assert_eq!(generalized_time(b"20250228191811.123Z"), Some(1740770291));
        assert_eq!(generalized_time(b"20250228191811"), None);
        assert_eq!(generalized_time(b"20251328191811Z"), None);
        assert_eq!(generalized_time(b"2025022819181.Z"), None);
    }

    #[test]
    fn tlv_refuses_truncation() {
        assert!(tlv(&[0x30, 0x03, 1, 2]).is_none());
        assert!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        let t = tlv(&[0x04, 0x01, 9, 0xff]).unwrap();
        assert_eq!((t.tag, t.content, t.rest), (4, &[9u8][..], &[0xffu8][..]));
    }
}
