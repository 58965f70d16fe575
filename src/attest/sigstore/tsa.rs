//! RFC 3161 timestamps: a CMS SignedData over a TSTInfo, signed by a timestamp authority of the
//! trusted root, whose message imprint is the hash of the bundle's signature.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};

use super::cert::{Cert, OID_TIME_STAMPING};
use super::pki::{self, HashAlg};
use super::trust::TrustedRoot;
use super::{Failure, Kind};

/// A failed timestamp check.
fn fault(message: impl Into<String>) -> Failure {
    Failure {
        kind: Kind::Timestamp,
        message: message.into(),
    }
}

const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

/// A verified timestamp.
#[derive(Debug, Clone)]
pub struct Timestamp {
    pub time: i64,
    pub authority: String,
}

/// The token inside a TimeStampResp (status granted), or the DER itself when it is a bare token.
fn token(der: &[u8]) -> Result<&[u8], Failure> {
    let outer = pki::tlv(der)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| fault("the timestamp is not a DER SEQUENCE"))?;
    let first = pki::tlv(outer.content).ok_or_else(|| fault("the timestamp is empty"))?;
    if first.tag == 0x06 {
        return Ok(outer.whole);
    }
    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
    let status = pki::tlv(first.content)
        .filter(|t| t.tag == 0x02)
        .ok_or_else(|| fault("the timestamp response has no status"))?;
    if !matches!(status.content, [0] | [1]) {
        // PKIStatusInfo ::= SEQUENCE { status, statusString SEQUENCE OF UTF8String OPTIONAL, … }
        let mut texts = Vec::new();
        if let Some(strings) = pki::tlv(status.rest).filter(|t| t.tag == 0x30) {
            let mut rest = strings.content;
            while let Some(t) = pki::tlv(rest).filter(|t| t.tag == 0x0c) {
                texts.push(
                    String::from_utf8_lossy(t.content)
                        .chars()
                        .take(200)
                        .collect::<String>(),
                );
                rest = t.rest;
            }
        }
        return Err(fault(format!(
            "the timestamp response's status is not `granted` (PKIStatus {}{})",
            status.content.first().copied().unwrap_or(0xff),
            texts.iter().map(|t| format!(": {t}")).collect::<String>()
        )));
    }
    let tok = pki::tlv(first.rest).ok_or_else(|| fault("the timestamp response has no token"))?;
    Ok(tok.whole)
}

/// The TSTInfo fields used: the message imprint, the time and the nonce.
#[derive(Debug, Clone)]
pub(crate) struct TstInfo {
    pub hash: HashAlg,
    pub imprint: Vec<u8>,
    pub time: i64,
    pub nonce: Option<Vec<u8>>,
}

fn tst_info(bytes: &[u8]) -> Result<TstInfo, Failure> {
    let bad = |w: &str| format!("the TSTInfo is malformed: {w}");
    let seq = pki::tlv(bytes)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| fault(bad("not a SEQUENCE")))?;
    let version = pki::tlv(seq.content)
        .filter(|t| t.tag == 0x02)
        .ok_or_else(|| fault(bad("version")))?;
    let policy = pki::tlv(version.rest)
        .filter(|t| t.tag == 0x06)
        .ok_or_else(|| fault(bad("policy")))?;
    let imprint = pki::tlv(policy.rest)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| fault(bad("messageImprint")))?;
    let alg = pki::tlv(imprint.content)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(|| fault(bad("hashAlgorithm")))?;
    let alg_oid = der::asn1::ObjectIdentifier::from_der(
        pki::tlv(alg.content)
            .filter(|t| t.tag == 0x06)
            .ok_or_else(|| fault(bad("hashAlgorithm")))?
            .whole,
    )
    .map_err(|_| fault(bad("hashAlgorithm")))?;
    let hash = HashAlg::from_oid(&alg_oid.to_string()).ok_or_else(|| {
        fault(format!(
            "the timestamp's hash algorithm {alg_oid} is not supported"
        ))
    })?;
    let hashed = pki::tlv(alg.rest)
        .filter(|t| t.tag == 0x04)
        .ok_or_else(|| fault(bad("hashedMessage")))?;
    let serial = pki::tlv(imprint.rest)
        .filter(|t| t.tag == 0x02)
        .ok_or_else(|| fault(bad("serialNumber")))?;
    let gen = pki::tlv(serial.rest)
        .filter(|t| t.tag == 0x18)
        .ok_or_else(|| fault(bad("genTime")))?;
    let time = pki::generalized_time(gen.content).ok_or_else(|| fault(bad("genTime")))?;
    // accuracy (SEQUENCE) and ordering (BOOLEAN) may come before the nonce (INTEGER).
    let mut rest = gen.rest;
    let mut nonce = None;
    while let Some(t) = pki::tlv(rest) {
        if t.tag == 0x02 {
            nonce = Some(t.content.to_vec());
            break;
        }
        rest = t.rest;
    }
    Ok(TstInfo {
        hash,
        imprint: hashed.content.to_vec(),
        time,
        nonce,
    })
}

/// Decodes a timestamp (a TimeStampResp or a bare token) down to its SignedData and the TSTInfo
/// bytes and fields, verifying nothing: what signing checks of the reply, and where `verify`
/// starts.
pub(crate) fn decode(der: &[u8]) -> Result<(SignedData, Vec<u8>, TstInfo), Failure> {
    let ci = ContentInfo::from_der(token(der)?)
        .map_err(|e| fault(format!("the timestamp token is not CMS: {e}")))?;
    if ci.content_type.to_string() != OID_SIGNED_DATA {
        return Err(fault("the timestamp token is not SignedData"));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| fault(format!("the timestamp's SignedData does not decode: {e}")))?;
    if sd.encap_content_info.econtent_type.to_string() != OID_TST_INFO {
        return Err(fault("the timestamp's content is not a TSTInfo"));
    }
    let tst = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| fault("the timestamp has no TSTInfo"))?
        .value()
        .to_vec();
    let info = tst_info(&tst)?;
    Ok((sd, tst, info))
}

/// Verifies one timestamp over `signature` (the bundle's signature bytes).
pub fn verify(der: &[u8], signature: &[u8], root: &TrustedRoot) -> Result<Timestamp, Failure> {
    let (sd, tst, info) = decode(der)?;
    let (tst, time) = (&tst[..], info.time);
    if info.hash.digest(signature) != info.imprint {
        return Err(fault(
            "the timestamp's message imprint is not the hash of the bundle's signature",
        ));
    }
    let si = match sd.signer_infos.0.as_slice() {
        [one] => one,
        s => {
            return Err(fault(format!(
                "the timestamp has {} signers, not one",
                s.len()
            )))
        }
    };
    let digest_alg = HashAlg::from_oid(&si.digest_alg.oid.to_string()).ok_or_else(|| {
        fault(format!(
            "digest algorithm {} not supported",
            si.digest_alg.oid
        ))
    })?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| fault("the timestamp has no signed attributes"))?;
    let attr = |oid: &str| {
        attrs
            .iter()
            .find(|a| a.oid.to_string() == oid)
            .and_then(|a| a.values.get(0))
    };
    let ct = attr(OID_CONTENT_TYPE)
        .and_then(|v| v.decode_as::<der::asn1::ObjectIdentifier>().ok())
        .ok_or_else(|| fault("the timestamp's signed attributes have no content type"))?;
    if ct.to_string() != OID_TST_INFO {
        return Err(fault("the signed content type is not TSTInfo"));
    }
    let md = attr(OID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok())
        .ok_or_else(|| fault("the timestamp's signed attributes have no message digest"))?;
    if md.as_bytes() != digest_alg.digest(tst) {
        return Err(fault("the signed message digest is not the TSTInfo's"));
    }
    let signed = attrs.to_der().map_err(|e| fault(e.to_string()))?;
    let sig_hash = HashAlg::from_oid(&si.signature_algorithm.oid.to_string()).unwrap_or(digest_alg);
    let sig = si.signature.as_bytes();

    let mut reasons = Vec::new();
    for tsa in &root.timestamp_authorities {
        let chain = match tsa
            .chain
            .iter()
            .map(|d| Cert::parse(d))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(c) => c,
            Err(e) => {
                reasons.push(format!("{}: {}", tsa.uri, e.message));
                continue;
            }
        };
        let Some(leaf) = chain.first() else { continue };
        let key = match leaf
            .spki_der()
            .map_err(|f| f.message)
            .and_then(|d| pki::key_from_spki(&d))
        {
            Ok(k) => k,
            Err(e) => {
                reasons.push(format!("{}: {e}", tsa.uri));
                continue;
            }
        };
        if !pki::verify(&key, sig_hash, &signed, sig) {
            reasons.push(format!("{}: not signed by it", tsa.uri));
            continue;
        }
        let chain_ok = chain
            .iter()
            .enumerate()
            .all(|(i, c)| c.signed_by(chain.get(i + 1).unwrap_or(c)));
        if !chain_ok {
            return Err(fault(format!(
                "the chain of timestamp authority {} does not verify",
                tsa.uri
            )));
        }
        let usage = leaf.ext_key_usage().map_err(|f| fault(f.message))?;
        if !usage.iter().any(|o| o == OID_TIME_STAMPING) {
            return Err(fault(format!(
                "the certificate of {} is not for time stamping",
                tsa.uri
            )));
        }
        if !tsa.valid_for.contains(time) {
            return Err(fault(format!(
                "timestamp authority {} is not trusted at {}",
                tsa.uri,
                pki::show_time(time)
            )));
        }
        if let Some(c) = chain.iter().find(|c| !c.valid_at(time)) {
            return Err(fault(format!(
                "the timestamp's time {} is outside the validity of {} ({} to {})",
                pki::show_time(time),
                c.subject(),
                pki::show_time(c.not_before()),
                pki::show_time(c.not_after())
            )));
        }
        return Ok(Timestamp {
            time,
            authority: tsa.uri.clone(),
        });
    }
    if root.timestamp_authorities.is_empty() {
        return Err(fault("the trusted root has no timestamp authority"));
    }
    Err(fault(format!(
        "no timestamp authority of the trusted root signed the timestamp: {}",
        reasons.join("; ")
    )))
}
