//! X.509 checks of a signing certificate: the chain to a trusted certificate authority, the CA and
//! leaf constraints, the embedded SCT (RFC 6962), and the identity Fulcio put in it.

use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};
use x509_cert::Certificate;

use super::pki::{self, HashAlg};
use super::trust::{Authority, TrustedRoot};
use super::{Failure, Kind};

/// A failed certificate check.
fn fault(message: impl Into<String>) -> Failure {
    Failure {
        kind: Kind::Certificate,
        message: message.into(),
    }
}

pub const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_SAN: &str = "2.5.29.17";
const OID_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
pub const OID_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
/// Fulcio's OIDC issuer, v1: the extension value is the raw string.
const OID_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
/// Fulcio's OIDC issuer, v2: the extension value is a DER UTF8String.
const OID_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// RFC 6962 limits: an SCT list is at most 2^16 bytes by construction of its length prefix.
const MAX_SCTS: usize = 64;

/// A certificate with its DER kept: signatures are checked over the exact bytes received.
#[derive(Debug, Clone)]
pub struct Cert {
    pub der: Vec<u8>,
    pub cert: Certificate,
}

impl Cert {
    pub fn parse(der: &[u8]) -> Result<Cert, Failure> {
        let cert = Certificate::from_der(der)
            .map_err(|e| fault(format!("not an X.509 certificate: {e}")))?;
        Ok(Cert {
            der: der.to_vec(),
            cert,
        })
    }

    pub fn spki_der(&self) -> Result<Vec<u8>, Failure> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| fault(e.to_string()))
    }

    pub fn not_before(&self) -> i64 {
        secs(self.cert.tbs_certificate.validity.not_before)
    }

    pub fn not_after(&self) -> i64 {
        secs(self.cert.tbs_certificate.validity.not_after)
    }

    /// Valid at `t`, both ends inclusive.
    pub fn valid_at(&self, t: i64) -> bool {
        self.not_before() <= t && t <= self.not_after()
    }

    pub fn is_self_issued(&self) -> bool {
        self.cert.tbs_certificate.issuer == self.cert.tbs_certificate.subject
    }

    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    fn ext(&self, oid: &str) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    fn basic_constraints(&self) -> Result<Option<BasicConstraints>, Failure> {
        self.ext(OID_BASIC_CONSTRAINTS)
            .map(|b| {
                BasicConstraints::from_der(b).map_err(|e| fault(format!("basicConstraints: {e}")))
            })
            .transpose()
    }

    fn key_usage(&self) -> Result<Option<KeyUsage>, Failure> {
        self.ext(OID_KEY_USAGE)
            .map(|b| KeyUsage::from_der(b).map_err(|e| fault(format!("keyUsage: {e}"))))
            .transpose()
    }

    pub fn ext_key_usage(&self) -> Result<Vec<String>, Failure> {
        Ok(self
            .ext(OID_EXT_KEY_USAGE)
            .map(|b| ExtendedKeyUsage::from_der(b).map_err(|e| fault(format!("extKeyUsage: {e}"))))
            .transpose()?
            .map(|e| e.0.iter().map(|o| o.to_string()).collect())
            .unwrap_or_default())
    }

    /// Whether `issuer`'s key verifies this certificate's signature.
    pub fn signed_by(&self, issuer: &Cert) -> bool {
        let Some(tbs) = pki::tbs_bytes(&self.der) else {
            return false;
        };
        let alg = self.cert.signature_algorithm.oid.to_string();
        let Some(hash) = HashAlg::from_oid(&alg) else {
            return false;
        };
        let Some(sig) = self.cert.signature.as_bytes() else {
            return false;
        };
        let Some(key) = issuer
            .spki_der()
            .ok()
            .and_then(|d| pki::key_from_spki(&d).ok())
        else {
            return false;
        };
        pki::verify(&key, hash, tbs, sig)
    }

    /// The subject alternative names a signer identity can be: emails, URIs, and Fulcio's
    /// UTF8String otherName.
    pub fn identities(&self) -> Result<Vec<String>, Failure> {
        let Some(b) = self.ext(OID_SAN) else {
            return Ok(Vec::new());
        };
        let san = SubjectAltName::from_der(b).map_err(|e| fault(format!("subjectAltName: {e}")))?;
        let mut out = Vec::new();
        for n in san.0 {
            match n {
                GeneralName::Rfc822Name(s) => out.push(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => out.push(s.to_string()),
                GeneralName::OtherName(o) => {
                    if let Ok(s) = o.value.decode_as::<der::asn1::Utf8StringRef>() {
                        out.push(s.as_str().to_string());
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The OIDC issuer from Fulcio's extensions (v2 UTF8String, else v1 raw); both present and
    /// different is refused.
    pub fn oidc_issuer(&self) -> Result<Option<String>, Failure> {
        let v1 = self
            .ext(OID_ISSUER_V1)
            .map(|b| {
                String::from_utf8(b.to_vec())
                    .map_err(|_| fault("the v1 OIDC issuer extension is not UTF-8".to_string()))
            })
            .transpose()?;
        let v2 = self
            .ext(OID_ISSUER_V2)
            .map(|b| {
                der::asn1::Utf8StringRef::from_der(b)
                    .map(|s| s.as_str().to_string())
                    .map_err(|e| {
                        fault(format!(
                            "the v2 OIDC issuer extension is not a UTF8String: {e}"
                        ))
                    })
            })
            .transpose()?;
        match (v1, v2) {
            (Some(a), Some(b)) if a != b => Err(fault(format!(
                "the certificate names two OIDC issuers: `{a}` (v1) and `{b}` (v2)"
            ))),
            (a, b) => Ok(b.or(a)),
        }
    }
}

fn secs(t: x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// A leaf's verified path: the authority it chains to and the certificate that issued it.
#[derive(Debug, Clone)]
pub struct Path {
    pub authority: Authority,
    /// The trusted chain, issuer of the leaf first, root last.
    pub chain: Vec<Cert>,
}

/// Checks the leaf's own constraints: an end-entity certificate for code signing.
pub fn check_leaf(leaf: &Cert) -> Result<(), Failure> {
    if leaf.basic_constraints()?.is_some_and(|b| b.ca) {
        return Err(fault("the signing certificate is a CA certificate"));
    }
    match leaf.key_usage()? {
        Some(ku) if ku.digital_signature() => {}
        Some(_) => {
            return Err(fault(
                "the signing certificate's keyUsage lacks digitalSignature",
            ))
        }
        None => return Err(fault("the signing certificate has no keyUsage extension")),
    }
    if !leaf.ext_key_usage()?.iter().any(|o| o == OID_CODE_SIGNING) {
        return Err(fault(
            "the signing certificate's extKeyUsage lacks codeSigning",
        ));
    }
    Ok(())
}

/// Finds a certificate authority of the trusted root whose chain verifies the leaf: each
/// certificate signed by the next, the last self-signed, CA constraints and path lengths held.
pub fn find_path(leaf: &Cert, cas: &[Authority]) -> Result<Path, Failure> {
    let mut reasons = Vec::new();
    for ca in cas {
        match try_authority(leaf, ca) {
            Ok(chain) => {
                return Ok(Path {
                    authority: ca.clone(),
                    chain,
                })
            }
            Err(e) => reasons.push(format!("{} ({}): {}", ca.uri, first_subject(ca), e.message)),
        }
    }
    if cas.is_empty() {
        return Err(fault("the trusted root has no certificate authority"));
    }
    Err(fault(format!(
        "the certificate does not chain to a certificate authority of the trusted root: {}",
        reasons.join("; ")
    )))
}

fn first_subject(a: &Authority) -> String {
    a.chain
        .first()
        .and_then(|d| Cert::parse(d).ok())
        .map(|c| c.subject())
        .unwrap_or_default()
}

fn try_authority(leaf: &Cert, ca: &Authority) -> Result<Vec<Cert>, Failure> {
    let chain = ca
        .chain
        .iter()
        .map(|d| Cert::parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let first = chain.first().ok_or_else(|| fault("an empty chain"))?;
    if !leaf.signed_by(first) {
        return Err(fault("not issued by it"));
    }
    for (i, c) in chain.iter().enumerate() {
        let issuer = chain.get(i + 1).unwrap_or(c);
        if !c.signed_by(issuer) {
            return Err(fault(format!(
                "chain certificate {} ({}) does not verify",
                i + 1,
                c.subject()
            )));
        }
        match c.basic_constraints()? {
            Some(b) if b.ca => {
                if let Some(max) = b.path_len_constraint {
                    // `i` CA certificates lie below this one in the path.
                    if i > usize::from(max) {
                        return Err(fault(format!(
                            "path length constraint of {} exceeded",
                            c.subject()
                        )));
                    }
                }
            }
            _ => return Err(fault(format!("{} is not a CA certificate", c.subject()))),
        }
        if c.key_usage()?.is_some_and(|k| !k.key_cert_sign()) {
            return Err(fault(format!("{} may not sign certificates", c.subject())));
        }
    }
    Ok(chain)
}

/// A signing time the certificate path was not valid at.
fn time_fault(message: impl Into<String>) -> Failure {
    Failure {
        kind: Kind::Time,
        message: message.into(),
    }
}

/// Checks that the leaf, the chain and the authority were all valid at `t` (a failure of kind
/// time: the certificate is fine, the signing time is not).
pub fn check_path_at(leaf: &Cert, path: &Path, t: i64) -> Result<(), Failure> {
    if !path.authority.valid_for.contains(t) {
        return Err(time_fault(format!(
            "the certificate authority {} is not trusted at {}",
            path.authority.uri,
            pki::show_time(t)
        )));
    }
    for c in std::iter::once(leaf).chain(path.chain.iter()) {
        if !c.valid_at(t) {
            return Err(time_fault(format!(
                "{} is valid from {} to {}, not at the signing time {}",
                if std::ptr::eq(c, leaf) {
                    "the signing certificate".to_string()
                } else {
                    format!("CA certificate {}", c.subject())
                },
                pki::show_time(c.not_before()),
                pki::show_time(c.not_after()),
                pki::show_time(t)
            )));
        }
    }
    Ok(())
}

/// One SCT as read from the TLS encoding.
struct Sct<'a> {
    log_id: &'a [u8],
    timestamp: u64,
    extensions: &'a [u8],
    hash: u8,
    signature: &'a [u8],
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<usize> {
        let b = self.take(2)?;
        Some(usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?])))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

fn parse_scts(ext_value: &[u8]) -> Result<Vec<Sct<'_>>, Failure> {
    let inner = pki::tlv(ext_value)
        .filter(|t| t.tag == 0x04 && t.rest.is_empty())
        .ok_or_else(|| fault("the SCT list extension is not an OCTET STRING"))?;
    let mut list = Reader(inner.content);
    let all = list
        .vec16()
        .ok_or_else(|| fault("the SCT list is truncated"))?;
    if !list.0.is_empty() {
        return Err(fault("bytes after the SCT list"));
    }
    let mut r = Reader(all);
    let mut out = Vec::new();
    while !r.0.is_empty() {
        if out.len() >= MAX_SCTS {
            return Err(fault(format!("more than {MAX_SCTS} SCTs")));
        }
        let one = r.vec16().ok_or_else(|| fault("an SCT is truncated"))?;
        let mut s = Reader(one);
        let bad = || fault("an SCT is truncated");
        let version = s.u8().ok_or_else(bad)?;
        if version != 0 {
            return Err(fault(format!("SCT version {version} is not v1")));
        }
        let log_id = s.take(32).ok_or_else(bad)?;
        let timestamp = s.u64().ok_or_else(bad)?;
        let extensions = s.vec16().ok_or_else(bad)?;
        let hash = s.u8().ok_or_else(bad)?;
        let _sig_alg = s.u8().ok_or_else(bad)?;
        let signature = s.vec16().ok_or_else(bad)?;
        if !s.0.is_empty() {
            return Err(fault("bytes after an SCT"));
        }
        out.push(Sct {
            log_id,
            timestamp,
            extensions,
            hash,
            signature,
        });
    }
    Ok(out)
}

/// The precertificate TBS the CT log signed: the leaf's TBS without the SCT list extension.
fn precert_tbs(leaf: &Cert) -> Result<Vec<u8>, Failure> {
    let mut tbs = leaf.cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id.to_string() != OID_SCT_LIST);
    }
    tbs.to_der()
        .map_err(|e| fault(format!("cannot re-encode the TBS: {e}")))
}

/// Verifies the leaf's embedded SCTs: at least one must be signed by a CT log of the trusted root.
/// Returns a description of the one that verified.
pub fn verify_sct(leaf: &Cert, issuer: &Cert, root: &TrustedRoot) -> Result<String, Failure> {
    let ext = leaf.ext(OID_SCT_LIST).ok_or_else(|| {
        fault("the certificate has no embedded SCT (signed certificate timestamp)")
    })?;
    let scts = parse_scts(ext)?;
    if scts.is_empty() {
        return Err(fault("the certificate's SCT list is empty"));
    }
    let tbs = precert_tbs(leaf)?;
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|&n| n < 1 << 24)
        .ok_or_else(|| fault("the TBS certificate is too large for an SCT"))?;
    let issuer_key_hash = Sha256::digest(issuer.spki_der()?);
    let mut reasons = Vec::new();
    for sct in &scts {
        let Some(log) = root.ctlogs.iter().find(|l| l.key_id == sct.log_id) else {
            reasons.push(format!("SCT from unknown log {}", hex::encode(sct.log_id)));
            continue;
        };
        let mut signed = Vec::with_capacity(tbs.len() + 64);
        signed.push(0); // v1
        signed.push(0); // certificate_timestamp
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        // The extensions' length fits 16 bits: it was read from a 16-bit prefix.
        signed.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        let hash = match sct.hash {
            4 => HashAlg::Sha256,
            5 => HashAlg::Sha384,
            6 => HashAlg::Sha512,
            h => {
                reasons.push(format!("SCT hash algorithm {h} not supported"));
                continue;
            }
        };
        let ok = pki::key_from_spki(&log.spki)
            .map(|k| pki::verify(&k, hash, &signed, sct.signature))
            .unwrap_or(false);
        if ok {
            return Ok(format!(
                "SCT from {} at {} verifies",
                log.base_url,
                pki::show_time(i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX))
            ));
        }
        reasons.push(format!("SCT from {} does not verify", log.base_url));
    }
    Err(fault(format!("no SCT verifies: {}", reasons.join("; "))))
}
