//! A self-contained sigstore for tests: a Fulcio-like CA (P-384 root and intermediate), a CT log, a
//! Rekor log and a timestamp authority, each with its own key, and the trusted root naming them.
//! Everything signed here is built from the standards (RFC 5280, RFC 6962, RFC 3161, signed notes)
//! independently of the code under test.

use std::str::FromStr;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use der::asn1::{Any, Ia5String, OctetString, SetOfVec, UtcTime, Utf8StringRef};
use der::{Decode, Encode, Tag};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::EncodePublicKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

pub use super::pki::merkle;
use super::pki::{code_signing_exts, ext, oid, pem, sign_tbs, timestamping_exts, tlv};

pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
pub const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
pub const SCT_OID: &str = "1.3.6.1.4.1.11129.2.4.2";
/// 2024-01-01T00:00:00Z: the test world's "signing day".
pub const T0: i64 = 1_704_067_200;

fn alg(s: &str) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oid(s),
        parameters: None,
    }
}

fn time(t: i64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(t as u64)).unwrap())
}

pub enum Key {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl Key {
    pub fn p256() -> Key {
        Key::P256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }
    pub fn p384() -> Key {
        Key::P384(p384::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }
    pub fn spki(&self) -> Vec<u8> {
        match self {
            Key::P256(k) => k.verifying_key().to_public_key_der().unwrap().to_vec(),
            Key::P384(k) => k.verifying_key().to_public_key_der().unwrap().to_vec(),
        }
    }
    /// ECDSA, DER; SHA-256 on P-256 and SHA-384 on P-384.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Key::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            Key::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
        }
    }
    fn sig_alg(&self) -> &'static str {
        match self {
            Key::P256(_) => ECDSA_SHA256,
            Key::P384(_) => ECDSA_SHA384,
        }
    }
    pub fn pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki())
    }
}

/// Builds and signs a certificate.
#[allow(clippy::too_many_arguments)]
pub fn make_cert(
    subject: &str,
    issuer: &str,
    spki: &[u8],
    signer: &Key,
    serial: u8,
    not_before: i64,
    not_after: i64,
    exts: Vec<Extension>,
) -> Vec<u8> {
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[serial]).unwrap(),
        signature: alg(signer.sig_alg()),
        issuer: Name::from_str(issuer).unwrap(),
        validity: Validity {
            not_before: time(not_before),
            not_after: time(not_after),
        },
        subject: Name::from_str(subject).unwrap(),
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spki).unwrap(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(exts),
    };
    sign_tbs(tbs, |m| signer.sign(m))
}

/// The certificate re-encoded without one extension (its signature left as it was).
pub fn without_extension(der: &[u8], id: &str) -> Vec<u8> {
    let mut c = Certificate::from_der(der).unwrap();
    c.tbs_certificate
        .extensions
        .as_mut()
        .unwrap()
        .retain(|e| e.extn_id.to_string() != id);
    c.to_der().unwrap()
}

fn ca_exts() -> Vec<Extension> {
    vec![
        ext(
            "2.5.29.19",
            true,
            BasicConstraints {
                ca: true,
                path_len_constraint: None,
            }
            .to_der()
            .unwrap(),
        ),
        ext(
            "2.5.29.15",
            true,
            KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
                .to_der()
                .unwrap(),
        ),
    ]
}

pub enum San<'a> {
    Email(&'a str),
    Uri(&'a str),
}

pub enum SctMode {
    Good,
    /// With SCT extensions bytes (RFC 6962 allows them; none are defined).
    WithExtensions,
    BadSignature,
    None,
}

pub struct LeafSpec<'a> {
    pub san: San<'a>,
    pub issuer_v1: Option<&'a str>,
    pub issuer_v2: Option<&'a str>,
    pub not_before: i64,
    pub not_after: i64,
    pub sct: SctMode,
}

impl Default for LeafSpec<'_> {
    fn default() -> Self {
        LeafSpec {
            san: San::Email("dev@example.com"),
            issuer_v1: None,
            issuer_v2: Some("https://issuer.example"),
            not_before: T0 - 60,
            not_after: T0 + 540,
            sct: SctMode::Good,
        }
    }
}

pub struct TestSigstore {
    pub root_der: Vec<u8>,
    pub inter: Key,
    pub inter_der: Vec<u8>,
    pub ct: Key,
    pub rekor: Key,
    pub tsa_root_der: Vec<u8>,
    pub tsa: Key,
    pub tsa_der: Vec<u8>,
}

const ROOT_NAME: &str = "CN=test-root,O=sbomkit.test";
const INTER_NAME: &str = "CN=test-intermediate,O=sbomkit.test";
const TSA_ROOT_NAME: &str = "CN=test-tsa-root,O=sbomkit.test";
const TSA_NAME: &str = "CN=test-tsa,O=sbomkit.test";

impl TestSigstore {
    pub fn new() -> TestSigstore {
        let root = Key::p384();
        let root_der = make_cert(
            ROOT_NAME,
            ROOT_NAME,
            &root.spki(),
            &root,
            1,
            T0 - 86400 * 365,
            T0 + 86400 * 3650,
            ca_exts(),
        );
        let inter = Key::p384();
        let inter_der = make_cert(
            INTER_NAME,
            ROOT_NAME,
            &inter.spki(),
            &root,
            2,
            T0 - 86400 * 365,
            T0 + 86400 * 3650,
            ca_exts(),
        );
        let tsa_root = Key::p384();
        let tsa_root_der = make_cert(
            TSA_ROOT_NAME,
            TSA_ROOT_NAME,
            &tsa_root.spki(),
            &tsa_root,
            3,
            T0 - 86400 * 365,
            T0 + 86400 * 3650,
            ca_exts(),
        );
        let tsa = Key::p384();
        let tsa_der = make_cert(
            TSA_NAME,
            TSA_ROOT_NAME,
            &tsa.spki(),
            &tsa_root,
            4,
            T0 - 86400,
            T0 + 86400,
            timestamping_exts(),
        );
        TestSigstore {
            root_der,
            inter,
            inter_der,
            ct: Key::p256(),
            rekor: Key::p256(),
            tsa_root_der,
            tsa,
            tsa_der,
        }
    }

    pub fn rekor_log_id(&self) -> Vec<u8> {
        Sha256::digest(self.rekor.spki()).to_vec()
    }

    pub fn trusted_root(&self) -> Value {
        let log = |k: &Key, url: &str| {
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": STANDARD.encode(k.spki()), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                              "validFor": {"start": "2020-01-01T00:00:00Z"}},
                "logId": {"keyId": STANDARD.encode(Sha256::digest(k.spki()))},
            })
        };
        let chain = |certs: &[&Vec<u8>]| json!({"certificates": certs.iter().map(|c| json!({"rawBytes": STANDARD.encode(c)})).collect::<Vec<_>>()});
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor, "https://rekor.test")],
            "ctlogs": [log(&self.ct, "https://ct.test")],
            "certificateAuthorities": [{
                "subject": {"organization": "sbomkit.test", "commonName": "test-root"},
                "uri": "https://fulcio.test",
                "certChain": chain(&[&self.inter_der, &self.root_der]),
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }],
            "timestampAuthorities": [{
                "subject": {"organization": "sbomkit.test", "commonName": "test-tsa"},
                "uri": "https://tsa.test",
                "certChain": chain(&[&self.tsa_der, &self.tsa_root_der]),
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }],
        })
    }

    /// A Fulcio-style leaf for a fresh P-256 key, with an embedded SCT from the test CT log.
    pub fn leaf(&self, spec: &LeafSpec) -> (Key, Vec<u8>) {
        let key = Key::p256();
        let san = match spec.san {
            San::Email(e) => GeneralName::Rfc822Name(Ia5String::new(e).unwrap()),
            San::Uri(u) => GeneralName::UniformResourceIdentifier(Ia5String::new(u).unwrap()),
        };
        let mut exts = code_signing_exts();
        exts.push(ext(
            "2.5.29.17",
            true,
            SubjectAltName(vec![san]).to_der().unwrap(),
        ));
        if let Some(i) = spec.issuer_v1 {
            exts.push(ext("1.3.6.1.4.1.57264.1.1", false, i.as_bytes().to_vec()));
        }
        if let Some(i) = spec.issuer_v2 {
            exts.push(ext(
                "1.3.6.1.4.1.57264.1.8",
                false,
                Utf8StringRef::new(i).unwrap().to_der().unwrap(),
            ));
        }
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[9, 9]).unwrap(),
            signature: alg(ECDSA_SHA384),
            issuer: Name::from_str(INTER_NAME).unwrap(),
            validity: Validity {
                not_before: time(spec.not_before),
                not_after: time(spec.not_after),
            },
            subject: Name::default(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&key.spki()).unwrap(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(exts),
        };
        if !matches!(spec.sct, SctMode::None) {
            // RFC 6962 §3.2: the log signs the precertificate TBS (no SCT extension) and the
            // hash of the issuer's key.
            let precert = tbs.to_der().unwrap();
            let sct_exts: &[u8] = if matches!(spec.sct, SctMode::WithExtensions) {
                b"\x01\x02\x03"
            } else {
                b""
            };
            let ts_ms = (spec.not_before as u64) * 1000 + 5;
            let mut signed = vec![0u8, 0u8];
            signed.extend(ts_ms.to_be_bytes());
            signed.extend(1u16.to_be_bytes());
            signed.extend(Sha256::digest(self.inter.spki()));
            signed.extend(&(precert.len() as u32).to_be_bytes()[1..]);
            signed.extend(&precert);
            signed.extend((sct_exts.len() as u16).to_be_bytes());
            signed.extend(sct_exts);
            let mut sig = self.ct.sign(&signed);
            if matches!(spec.sct, SctMode::BadSignature) {
                let n = sig.len();
                sig[n - 2] ^= 1;
            }
            let mut sct = vec![0u8];
            sct.extend(Sha256::digest(self.ct.spki()));
            sct.extend(ts_ms.to_be_bytes());
            sct.extend((sct_exts.len() as u16).to_be_bytes());
            sct.extend(sct_exts);
            sct.extend([4u8, 3u8]); // sha256, ecdsa
            sct.extend((sig.len() as u16).to_be_bytes());
            sct.extend(&sig);
            let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
            list.extend((sct.len() as u16).to_be_bytes());
            list.extend(&sct);
            let value = OctetString::new(list).unwrap().to_der().unwrap();
            tbs.extensions
                .as_mut()
                .unwrap()
                .push(ext(SCT_OID, false, value));
        }
        let der = sign_tbs(tbs, |m| self.inter.sign(m));
        (key, der)
    }

    /// A v1 tlog entry for `body` at `index` of a 7-leaf tree, with SET and checkpoint as asked.
    pub fn entry(
        &self,
        kind: &str,
        version: &str,
        body: &[u8],
        integrated_time: i64,
        set: bool,
        proof: bool,
    ) -> Value {
        let log_index = 1000;
        let mut e = json!({
            "logIndex": log_index.to_string(),
            "logId": {"keyId": STANDARD.encode(self.rekor_log_id())},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": integrated_time.to_string(),
            "canonicalizedBody": STANDARD.encode(body),
        });
        if set {
            let payload = format!(
                "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
                STANDARD.encode(body),
                integrated_time,
                hex::encode(self.rekor_log_id()),
                log_index
            );
            e["inclusionPromise"] = json!({"signedEntryTimestamp": STANDARD.encode(self.rekor.sign(payload.as_bytes()))});
        }
        if proof {
            let index = 5usize;
            let mut leaves: Vec<[u8; 32]> = (0..7u8).map(|i| merkle::leaf(&[i])).collect();
            leaves[index] = merkle::leaf(body);
            let root = merkle::root(&leaves);
            let hashes: Vec<String> = merkle::path(index, &leaves)
                .iter()
                .map(|h| STANDARD.encode(h))
                .collect();
            e["inclusionProof"] = json!({
                "logIndex": index.to_string(),
                "rootHash": STANDARD.encode(root),
                "treeSize": leaves.len().to_string(),
                "hashes": hashes,
                "checkpoint": {"envelope": self.checkpoint(leaves.len() as u64, &root)},
            });
        }
        e
    }

    /// A signed note from the test log, with a witness cosignature beside it.
    pub fn checkpoint(&self, size: u64, root: &[u8]) -> String {
        let text = format!("rekor.test - 42\n{size}\n{}\n", STANDARD.encode(root));
        let mut raw = self.rekor_log_id()[..4].to_vec();
        raw.extend(self.rekor.sign(text.as_bytes()));
        let witness = Key::p256();
        let mut w = vec![1, 2, 3, 4];
        w.extend(witness.sign(text.as_bytes()));
        format!(
            "{text}\n\u{2014} witness.test {}\n\u{2014} rekor.test {}\n",
            STANDARD.encode(w),
            STANDARD.encode(raw)
        )
    }

    /// An RFC 3161 TimeStampResp over SHA-256(`signature`), at `at`, by the test TSA.
    pub fn timestamp(&self, signature: &[u8], at: i64) -> Vec<u8> {
        let gen = time::OffsetDateTime::from_unix_timestamp(at).unwrap();
        let gen = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}.25Z",
            gen.year(),
            u8::from(gen.month()),
            gen.day(),
            gen.hour(),
            gen.minute(),
            gen.second()
        );
        let sha256 = oid("2.16.840.1.101.3.4.2.1").to_der().unwrap();
        let imprint = [tlv(0x30, &sha256), tlv(0x04, &Sha256::digest(signature))].concat();
        let tst = tlv(
            0x30,
            &[
                tlv(0x02, &[1]),
                oid("1.3.6.1.4.1.57264.2").to_der().unwrap(),
                tlv(0x30, &imprint),
                tlv(0x02, &[0x11, 0x22]),
                tlv(0x18, gen.as_bytes()),
            ]
            .concat(),
        );
        let attr = |id: &str, value: Any| x509_cert::attr::Attribute {
            oid: oid(id),
            values: SetOfVec::try_from(vec![value]).unwrap(),
        };
        let attrs = SetOfVec::try_from(vec![
            attr(
                "1.2.840.113549.1.9.3",
                Any::encode_from(&oid("1.2.840.113549.1.9.16.1.4")).unwrap(),
            ),
            attr(
                "1.2.840.113549.1.9.4",
                Any::new(Tag::OctetString, Sha384::digest(&tst).to_vec()).unwrap(),
            ),
        ])
        .unwrap();
        let sig = self.tsa.sign(&attrs.to_der().unwrap());
        let tsa_cert = Certificate::from_der(&self.tsa_der).unwrap();
        let si = cms::signed_data::SignerInfo {
            version: cms::content_info::CmsVersion::V1,
            sid: cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(
                cms::cert::IssuerAndSerialNumber {
                    issuer: tsa_cert.tbs_certificate.issuer.clone(),
                    serial_number: tsa_cert.tbs_certificate.serial_number.clone(),
                },
            ),
            digest_alg: alg("2.16.840.1.101.3.4.2.2"),
            signed_attrs: Some(attrs),
            signature_algorithm: alg(ECDSA_SHA384),
            signature: OctetString::new(sig).unwrap(),
            unsigned_attrs: None,
        };
        let sd = cms::signed_data::SignedData {
            version: cms::content_info::CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![alg("2.16.840.1.101.3.4.2.2")]).unwrap(),
            encap_content_info: cms::signed_data::EncapsulatedContentInfo {
                econtent_type: oid("1.2.840.113549.1.9.16.1.4"),
                econtent: Some(Any::new(Tag::OctetString, tst).unwrap()),
            },
            certificates: None,
            crls: None,
            signer_infos: cms::signed_data::SignerInfos(SetOfVec::try_from(vec![si]).unwrap()),
        };
        let ci = cms::content_info::ContentInfo {
            content_type: oid("1.2.840.113549.1.7.2"),
            content: Any::encode_from(&sd).unwrap(),
        };
        let token = ci.to_der().unwrap();
        tlv(0x30, &[tlv(0x30, &tlv(0x02, &[0])), token].concat())
    }
}

pub fn pem_cert(der: &[u8]) -> String {
    pem("CERTIFICATE", der)
}
