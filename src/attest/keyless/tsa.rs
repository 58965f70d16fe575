//! RFC 3161 timestamps over the envelope signature: `POST` of a DER `TimeStampReq`
//! (`application/timestamp-query`) to the authority's URL; the DER `TimeStampResp` it returns goes
//! into the bundle as it came, after checking its status, its message imprint and its nonce. The
//! request is encoded and the reply decoded with `der`/`cms`, as `verify-bundle` decodes it.

use der::asn1::{Any, OctetString, Uint};
use der::{Encode, Sequence};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;

use super::http::Service;
use crate::attest::sigstore::pki::HashAlg;
use crate::attest::sigstore::tsa;

const OID_SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Asks for a timestamp over `signature` and returns the DER `TimeStampResp`.
pub fn timestamp(tsa: &Service, signature: &[u8]) -> Result<Vec<u8>, String> {
    let digest: [u8; 32] = Sha256::digest(signature).into();
    let mut nonce = [0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    let req = request(&digest, &nonce)?;
    let reply = tsa.post(
        "",
        "application/timestamp-query",
        "application/timestamp-reply",
        &req,
    )?;
    if reply.status != 200 {
        return Err(tsa.status_error("", &reply));
    }
    check_response(&reply.body, &digest, &nonce)
        .map_err(|e| format!("timestamp authority: {e}"))?;
    Ok(reply.body)
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`.
#[derive(Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// `TimeStampReq` (RFC 3161 §2.4.1) with the fields sent: no policy, no extensions.
#[derive(Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    nonce: Uint,
    cert_req: bool,
}

/// `TimeStampReq { version 1, messageImprint { sha256, digest }, nonce, certReq TRUE }`, DER.
pub fn request(digest: &[u8; 32], nonce: &[u8; 8]) -> Result<Vec<u8>, String> {
    let req = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: OID_SHA256,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(digest.to_vec()).map_err(|e| e.to_string())?,
        },
        nonce: Uint::new(nonce).map_err(|e| e.to_string())?,
        cert_req: true,
    };
    req.to_der().map_err(|e| e.to_string())
}

/// Checks the `TimeStampResp`: status granted (0) or granted with modifications (1), a SignedData
/// holding a TSTInfo whose message imprint is the SHA-256 asked for and whose nonce is ours. The
/// token's signature is the verifier's to check, against its trusted root.
pub fn check_response(der: &[u8], digest: &[u8; 32], nonce: &[u8; 8]) -> Result<(), String> {
    let (_, _, info) = tsa::decode(der).map_err(|f| f.message)?;
    if info.hash != HashAlg::Sha256 || info.imprint != digest {
        return Err("the timestamp is over another message than the signature".into());
    }
    let want = Uint::new(nonce).map_err(|e| e.to_string())?;
    match info.nonce {
        Some(n) if n == want.as_bytes() || n == [&[0u8][..], want.as_bytes()].concat() => Ok(()),
        Some(_) => Err("the timestamp answers another request (nonce differs)".into()),
        None => Err("the timestamp has no nonce".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::sigstore::pki;

    #[test]
    fn request_is_der_with_the_digest_and_nonce() {
        let req = request(&[7; 32], &[0x80, 0, 0, 0, 0, 0, 0, 1]).unwrap();
        let seq = pki::tlv(&req).filter(|t| t.tag == 0x30).unwrap();
        assert!(seq.rest.is_empty());
        let version = pki::tlv(seq.content).unwrap();
        assert_eq!((version.tag, version.content), (0x02, &[1u8][..]));
        let imprint = pki::tlv(version.rest).unwrap();
        let alg = pki::tlv(imprint.content).unwrap();
        let hashed = pki::tlv(alg.rest).unwrap();
        assert_eq!((hashed.tag, hashed.content), (0x04, &[7u8; 32][..]));
        // The nonce stays positive: a 0x00 is prepended when its high bit is set.
        let nonce = pki::tlv(imprint.rest).unwrap();
        assert_eq!(
            (nonce.tag, nonce.content),
            (0x02, &[0, 0x80, 0, 0, 0, 0, 0, 0, 1][..])
        );
        let cert_req = pki::tlv(nonce.rest).unwrap();
        assert_eq!((cert_req.tag, cert_req.content), (0x01, &[0xffu8][..]));
        assert!(cert_req.rest.is_empty());
    }

    #[test]
    fn refusals_and_garbage_are_errors_not_panics() {
        // TimeStampResp { PKIStatusInfo { rejection (2), statusString { "bad alg" } } }
        let refused = b"\x30\x10\x30\x0e\x02\x01\x02\x30\x09\x0c\x07bad alg";
        let e = check_response(refused, &[0; 32], &[0; 8]).unwrap_err();
        assert!(e.contains("not `granted` (PKIStatus 2: bad alg)"), "{e}");
        for junk in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x02\x30\x00",
        ] {
            assert!(check_response(junk, &[0; 32], &[0; 8]).is_err());
        }
    }
}
