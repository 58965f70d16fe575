//! RFC 3161 timestamps over the envelope signature: `POST` of a DER `TimeStampReq`
//! (`application/timestamp-query`) to the authority's URL; the DER `TimeStampResp` it returns goes
//! into the bundle as it came, after checking its status, its message imprint and its nonce.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::http::Service;

const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_TST_INFO: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];

/// Asks for a timestamp over `signature` and returns the DER `TimeStampResp`.
pub fn timestamp(tsa: &Service, signature: &[u8]) -> Result<Vec<u8>, String> {
    let digest: [u8; 32] = Sha256::digest(signature).into();
    let mut nonce = [0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    let req = request(&digest, &nonce);
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

/// `TimeStampReq ::= SEQUENCE { version 1, messageImprint { sha256, digest }, nonce, certReq TRUE }`.
pub fn request(digest: &[u8; 32], nonce: &[u8; 8]) -> Vec<u8> {
    let alg = tlv(0x30, &[tlv(0x06, OID_SHA256), vec![0x05, 0x00]].concat());
    let imprint = tlv(0x30, &[alg, tlv(0x04, digest)].concat());
    tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            imprint,
            tlv(0x02, &positive_integer(nonce)),
            tlv(0x01, &[0xff]),
        ]
        .concat(),
    )
}

/// Checks `TimeStampResp { status PKIStatusInfo, timeStampToken ContentInfo }`: status granted
/// (0) or granted with modifications (1), a SignedData holding a TSTInfo whose message imprint is
/// the SHA-256 asked for and whose nonce is ours. The token's signature is the verifier's to check.
pub fn check_response(der: &[u8], digest: &[u8; 32], nonce: &[u8; 8]) -> Result<(), String> {
    let resp = Der(der).one(0x30, "TimeStampResp")?;
    let mut fields = Der(resp);
    let status_info = fields.next(0x30, "PKIStatusInfo")?;
    let status = Der(status_info).next(0x02, "PKIStatus")?;
    if status != [0] && status != [1] {
        let text = Der(status_info).texts();
        return Err(format!(
            "the request was refused (PKIStatus {}){}",
            status.first().copied().unwrap_or(0xff),
            if text.is_empty() {
                String::new()
            } else {
                format!(": {}", text.join("; "))
            }
        ));
    }
    let token = fields.next(0x30, "timeStampToken")?;
    let mut ci = Der(token);
    if ci.next(0x06, "contentType")? != OID_SIGNED_DATA {
        return Err("the token is not a CMS SignedData".into());
    }
    let sd = Der(ci.next(0xa0, "content")?).one(0x30, "SignedData")?;
    let mut sd = Der(sd);
    sd.next(0x02, "version")?;
    sd.next(0x31, "digestAlgorithms")?;
    let mut eci = Der(sd.next(0x30, "encapContentInfo")?);
    if eci.next(0x06, "eContentType")? != OID_TST_INFO {
        return Err("the token does not hold a TSTInfo".into());
    }
    let octets = Der(eci.next(0xa0, "eContent")?).one(0x04, "eContent")?;
    let mut tst = Der(Der(octets).one(0x30, "TSTInfo")?);
    tst.next(0x02, "version")?;
    tst.next(0x06, "policy")?;
    let mut imprint = Der(tst.next(0x30, "messageImprint")?);
    let alg = Der(imprint.next(0x30, "hashAlgorithm")?).next(0x06, "algorithm")?;
    let hashed = imprint.next(0x04, "hashedMessage")?;
    if alg != OID_SHA256 || hashed != digest {
        return Err("the timestamp is over another message than the signature".into());
    }
    tst.next(0x02, "serialNumber")?;
    tst.next(0x18, "genTime")?;
    // accuracy (SEQUENCE) and ordering (BOOLEAN) may come before the nonce.
    let want = positive_integer(nonce);
    while let Some((tag, value)) = tst.any()? {
        if tag == 0x02 {
            return if value == want.as_slice() {
                Ok(())
            } else {
                Err("the timestamp answers another request (nonce differs)".into())
            };
        }
    }
    Err("the timestamp has no nonce".into())
}

fn positive_integer(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        None => vec![0],
        Some(b) if b & 0x80 != 0 => [&[0u8][..], &trimmed].concat(),
        Some(_) => trimmed,
    }
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let len = n.to_be_bytes();
        let skip = len.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (len.len() - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(value);
    out
}

/// A reader over DER elements; every length is checked against the bytes left.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The next element, whatever its tag; `None` at the end.
    fn any(&mut self) -> Result<Option<(u8, &'a [u8])>, String> {
        let b = self.0;
        let Some((&tag, rest)) = b.split_first() else {
            return Ok(None);
        };
        let (&first, rest) = rest.split_first().ok_or("truncated DER length")?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err("unsupported or truncated DER length".into());
            }
            let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
            (len, &rest[n..])
        };
        if rest.len() < len {
            return Err("DER element longer than its container".into());
        }
        let (value, after) = rest.split_at(len);
        self.0 = after;
        Ok(Some((tag, value)))
    }

    fn next(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        match self.any()? {
            Some((t, v)) if t == tag => Ok(v),
            Some((t, _)) => Err(format!(
                "{what}: expected DER tag {tag:#04x}, found {t:#04x}"
            )),
            None => Err(format!("{what}: missing")),
        }
    }

    /// The single element the bytes must hold.
    fn one(mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let v = self.next(tag, what)?;
        if !self.0.is_empty() {
            return Err(format!("{what}: trailing bytes"));
        }
        Ok(v)
    }

    /// UTF8String values of a PKIStatusInfo's statusString, best effort.
    fn texts(mut self) -> Vec<String> {
        let _ = self.any();
        match self.any() {
            Ok(Some((0x30, seq))) => {
                let mut d = Der(seq);
                let mut out = Vec::new();
                while let Ok(Some((0x0c, s))) = d.any() {
                    out.push(String::from_utf8_lossy(s).chars().take(200).collect());
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_der_with_the_digest_and_nonce() {
        let req = request(&[7; 32], &[0x80, 0, 0, 0, 0, 0, 0, 1]);
        let mut seq = Der(Der(&req).one(0x30, "req").unwrap());
        assert_eq!(seq.next(0x02, "v").unwrap(), [1]);
        let mut imprint = Der(seq.next(0x30, "imprint").unwrap());
        imprint.next(0x30, "alg").unwrap();
        assert_eq!(imprint.next(0x04, "hash").unwrap(), [7; 32]);
        // The nonce stays positive: a 0x00 is prepended when its high bit is set.
        assert_eq!(
            seq.next(0x02, "nonce").unwrap(),
            [0, 0x80, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(seq.next(0x01, "certReq").unwrap(), [0xff]);
        assert_eq!(tlv(4, &[0; 300])[..4], [4, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn refusals_and_garbage_are_errors_not_panics() {
        let refused = tlv(
            0x30,
            &tlv(
                0x30,
                &[tlv(0x02, &[2]), tlv(0x30, &tlv(0x0c, b"bad alg"))].concat(),
            ),
        );
        let e = check_response(&refused, &[0; 32], &[0; 8]).unwrap_err();
        assert!(e.contains("refused (PKIStatus 2): bad alg"), "{e}");
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
