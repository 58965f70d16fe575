//! Keys: generation, cosign's encrypted private key files, PEM public keys, signing and verifying.
//!
//! Built on the RustCrypto crates rather than the `sigstore` crate: `sigstore` 0.15 cannot be built
//! without a TLS crypto backend (OpenSSL system libraries or aws-lc's C/CMake build) and tokio, and
//! its key decryption refuses N = 2^17 while writing N = 2^15; the format itself is small (scrypt +
//! NaCl secretbox over PKCS#8 DER, a JSON body in PEM) and is implemented here exactly.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::der::Decode;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, PrivateKeyInfo};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spki::{DecodePublicKey, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::error::{Error, ExitCode};

/// PEM label of the private keys cosign (v2.x and later) writes, and sbomkit too.
pub const SIGSTORE_PRIVATE_KEY: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label of older cosign private keys (same body).
pub const COSIGN_PRIVATE_KEY: &str = "ENCRYPTED COSIGN PRIVATE KEY";

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// scrypt cost parameters accepted on decryption (cosign's list: legacy, standard, OWASP), each with
/// r = 8, p = 1. Anything else is refused before any work is done: N is attacker-chosen CPU and memory.
const ACCEPTED_LOG_N: [u8; 3] = [15, 16, 17];
const WRITE_LOG_N: u8 = 16;

/// Smallest RSA modulus accepted for verification.
const MIN_RSA_BITS: usize = 2048;

/// Key types `keygen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256,
    Ed25519,
}

/// A private key that signs.
pub enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SigningKey {
    pub fn generate(alg: Algorithm) -> SigningKey {
        match alg {
            Algorithm::EcdsaP256 => SigningKey::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            Algorithm::Ed25519 => {
                SigningKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng))
            }
        }
    }

    /// Reads a PKCS#8 DER private key (P-256, P-384 or Ed25519).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, String> {
        let info = PrivateKeyInfo::from_der(der)
            .map_err(|e| format!("the private key is not PKCS#8 DER: {e}"))?;
        let alg = info.algorithm.oid;
        let curve = info
            .algorithm
            .parameters_oid()
            .ok()
            .filter(|_| alg == OID_EC_PUBLIC_KEY);
        let bad = |e: pkcs8::Error| format!("the private key does not decode: {e}");
        if alg == OID_ED25519 {
            return ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .map(SigningKey::Ed25519)
                .map_err(bad);
        }
        match curve {
            Some(c) if c == OID_P256 => p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(SigningKey::P256)
                .map_err(bad),
            Some(c) if c == OID_P384 => p384::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(SigningKey::P384)
                .map_err(bad),
            _ => Err(format!(
                "unsupported private key type {}; sbomkit signs with ECDSA P-256, P-384 or Ed25519",
                describe_algorithm(alg, curve)
            )),
        }
    }

    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, String> {
        let doc = match self {
            SigningKey::P256(k) => k.to_pkcs8_der(),
            SigningKey::P384(k) => k.to_pkcs8_der(),
            SigningKey::Ed25519(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| format!("cannot encode the private key: {e}"))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::P256(k) => VerifyingKey::P256(*k.verifying_key()),
            SigningKey::P384(k) => VerifyingKey::P384(*k.verifying_key()),
            SigningKey::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
        }
    }

    /// The DSSE keyid: hex SHA-256 of the public key's SubjectPublicKeyInfo DER.
    pub fn keyid(&self) -> String {
        self.verifying_key().keyid()
    }

    /// Signs `msg`: ECDSA with SHA-256 (P-256) or SHA-384 (P-384), ASN.1 DER as cosign writes it;
    /// Ed25519 as 64 raw bytes.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match self {
            SigningKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            SigningKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            SigningKey::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
        }
    }
}

/// A public key that verifies.
#[derive(Debug, Clone)]
pub enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(Box<rsa::RsaPublicKey>),
}

impl VerifyingKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn from_pem(text: &str) -> Result<VerifyingKey, String> {
        let (label, der) = pem_decode(text)?;
        if label != "PUBLIC KEY" {
            return Err(format!(
                "expected a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), found `{label}`"
            ));
        }
        VerifyingKey::from_spki_der(&der)
    }

    pub fn from_spki_der(der: &[u8]) -> Result<VerifyingKey, String> {
        let info = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("the public key is not SubjectPublicKeyInfo DER: {e}"))?;
        let alg = info.algorithm.oid;
        let curve = info
            .algorithm
            .parameters_oid()
            .ok()
            .filter(|_| alg == OID_EC_PUBLIC_KEY);
        let bad = |e: spki::Error| format!("the public key does not decode: {e}");
        if alg == OID_ED25519 {
            return ed25519_dalek::VerifyingKey::from_public_key_der(der)
                .map(VerifyingKey::Ed25519)
                .map_err(bad);
        }
        if alg == OID_RSA {
            use rsa::traits::PublicKeyParts;
            let k = rsa::RsaPublicKey::from_public_key_der(der).map_err(bad)?;
            let bits = k.n().bits();
            if bits < MIN_RSA_BITS {
                return Err(format!(
                    "RSA key of {bits} bits refused; at least {MIN_RSA_BITS} are required"
                ));
            }
            return Ok(VerifyingKey::Rsa(Box::new(k)));
        }
        match curve {
            Some(c) if c == OID_P256 => p256::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(VerifyingKey::P256)
                .map_err(bad),
            Some(c) if c == OID_P384 => p384::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(VerifyingKey::P384)
                .map_err(bad),
            _ => Err(format!(
                "unsupported public key type {}; sbomkit verifies ECDSA P-256/P-384, Ed25519 and RSA",
                describe_algorithm(alg, curve)
            )),
        }
    }

    pub fn to_spki_der(&self) -> Vec<u8> {
        let doc = match self {
            VerifyingKey::P256(k) => k.to_public_key_der(),
            VerifyingKey::P384(k) => k.to_public_key_der(),
            VerifyingKey::Ed25519(k) => k.to_public_key_der(),
            VerifyingKey::Rsa(k) => k.to_public_key_der(),
        };
        // Encoding a key that was built in memory cannot fail short of allocation failure.
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.to_spki_der())
    }

    pub fn keyid(&self) -> String {
        hex::encode(Sha256::digest(self.to_spki_der()))
    }

    /// A short name of the key type for reports.
    pub fn describe(&self) -> String {
        match self {
            VerifyingKey::P256(_) => "ECDSA P-256".into(),
            VerifyingKey::P384(_) => "ECDSA P-384".into(),
            VerifyingKey::Ed25519(_) => "Ed25519".into(),
            VerifyingKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                format!("RSA-{}", k.n().bits())
            }
        }
    }

    /// Checks `sig` over `msg`. ECDSA signatures may be ASN.1 DER or raw r‖s; RSA may be PKCS#1 v1.5 or
    /// PSS (salt the digest length or the maximum), all with SHA-256 (SHA-384 for P-384).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            VerifyingKey::P256(k) => p256::ecdsa::Signature::from_der(sig)
                .or_else(|_| p256::ecdsa::Signature::from_slice(sig))
                .is_ok_and(|s| k.verify(msg, &s).is_ok()),
            VerifyingKey::P384(k) => p384::ecdsa::Signature::from_der(sig)
                .or_else(|_| p384::ecdsa::Signature::from_slice(sig))
                .is_ok_and(|s| k.verify(msg, &s).is_ok()),
            VerifyingKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(sig)
                .is_ok_and(|s| k.verify_strict(msg, &s).is_ok()),
            VerifyingKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                let pkcs1 = rsa::pkcs1v15::VerifyingKey::<Sha256>::new((**k).clone());
                let ok_pkcs1 = rsa::pkcs1v15::Signature::try_from(sig)
                    .is_ok_and(|s| pkcs1.verify(msg, &s).is_ok());
                if ok_pkcs1 {
                    return true;
                }
                let Ok(pss_sig) = rsa::pss::Signature::try_from(sig) else {
                    return false;
                };
                let max_salt = k.size().saturating_sub(32 + 2);
                [32, max_salt].iter().any(|&salt| {
                    rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len((**k).clone(), salt)
                        .verify(msg, &pss_sig)
                        .is_ok()
                })
            }
        }
    }
}

fn describe_algorithm(alg: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> String {
    let curve_name = |c: ObjectIdentifier| match c.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1".to_string(),
        "1.3.132.0.33" => "P-224".to_string(),
        "1.3.132.0.35" => "P-521".to_string(),
        "1.2.840.10045.3.1.1" => "P-192".to_string(),
        other => format!("curve {other}"),
    };
    match curve {
        Some(c) => format!("ECDSA {}", curve_name(c)),
        None if alg == OID_EC_PUBLIC_KEY => "ECDSA without a named curve".into(),
        None if alg == OID_RSA => "RSA".into(),
        None => format!("with algorithm {alg}"),
    }
}

/// The JSON body of an encrypted key file.
#[derive(Serialize, Deserialize)]
struct EncryptedKey {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn derive(password: &[u8], salt: &[u8], log_n: u8) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = scrypt::Params::new(log_n, 8, 1, 32)
        .map_err(|e| format!("scrypt parameters refused: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut())
        .map_err(|e| format!("scrypt failed: {e}"))?;
    Ok(key)
}

/// Writes `key` as cosign does: `ENCRYPTED SIGSTORE PRIVATE KEY` PEM over
/// `{"kdf":{scrypt N=2^16 r=8 p=1, 32-byte salt},"cipher":{nacl/secretbox, 24-byte nonce},"ciphertext"}`.
pub fn encrypt_private_key(key: &SigningKey, password: &[u8]) -> Result<String, String> {
    let der = key.to_pkcs8_der()?;
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let box_key = derive(password, &salt, WRITE_LOG_N)?;
    let cipher = XSalsa20Poly1305::new(&(*box_key).into());
    let ciphertext = cipher
        .encrypt(&nonce.into(), der.as_slice())
        .map_err(|_| "encryption failed".to_string())?;
    let body = EncryptedKey {
        kdf: Kdf {
            name: "scrypt".into(),
            params: ScryptParams {
                n: 1 << WRITE_LOG_N,
                r: 8,
                p: 1,
            },
            salt: STANDARD.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: STANDARD.encode(nonce),
        },
        ciphertext: STANDARD.encode(ciphertext),
    };
    let json = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    Ok(pem_encode(SIGSTORE_PRIVATE_KEY, &json))
}

/// Reads a private key file: cosign's encrypted PEM (either label), or an unencrypted PKCS#8
/// `PRIVATE KEY`. `password` is only asked for when the file is encrypted.
pub fn read_private_key(
    text: &str,
    password: impl FnOnce() -> Result<Zeroizing<String>, String>,
) -> Result<SigningKey, String> {
    let (label, body) = pem_decode(text)?;
    let body = Zeroizing::new(body);
    match label.as_str() {
        SIGSTORE_PRIVATE_KEY | COSIGN_PRIVATE_KEY => {
            let pw = password()?;
            let der = decrypt_private_key(&body, pw.as_bytes())?;
            SigningKey::from_pkcs8_der(&der)
        }
        "PRIVATE KEY" => SigningKey::from_pkcs8_der(&body),
        "ENCRYPTED PRIVATE KEY" => {
            Err("PKCS#8 PBES2 `ENCRYPTED PRIVATE KEY` files are not read; use a cosign key (`sbomkit keygen` or `cosign generate-key-pair`)".into())
        }
        other => Err(format!(
            "`{other}` is not a private key sbomkit reads; expected `{SIGSTORE_PRIVATE_KEY}`, `{COSIGN_PRIVATE_KEY}` or `PRIVATE KEY`"
        )),
    }
}

/// Decrypts the JSON body of a cosign key file into PKCS#8 DER.
pub fn decrypt_private_key(body: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
    let v = super::parse_json(body).map_err(|e| format!("the key body is not JSON: {e}"))?;
    let k: EncryptedKey = serde_json::from_value(v)
        .map_err(|e| format!("the key body is not a cosign encrypted key: {e}"))?;
    if k.kdf.name != "scrypt" {
        return Err(format!("unsupported key derivation `{}`", k.kdf.name));
    }
    if k.cipher.name != "nacl/secretbox" {
        return Err(format!("unsupported cipher `{}`", k.cipher.name));
    }
    let log_n = ACCEPTED_LOG_N
        .iter()
        .copied()
        .find(|&l| k.kdf.params.n == 1u64 << l)
        .filter(|_| k.kdf.params.r == 8 && k.kdf.params.p == 1)
        .ok_or_else(|| {
            format!(
                "scrypt parameters N={} r={} p={} refused; accepted: N = 32768, 65536 or 131072 with r=8, p=1",
                k.kdf.params.n, k.kdf.params.r, k.kdf.params.p
            )
        })?;
    let salt = STANDARD
        .decode(&k.kdf.salt)
        .map_err(|_| "the key's salt is not base64".to_string())?;
    let nonce: [u8; 24] = STANDARD
        .decode(&k.cipher.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| "the key's nonce is not 24 bytes of base64".to_string())?;
    let ciphertext = STANDARD
        .decode(&k.ciphertext)
        .map_err(|_| "the key's ciphertext is not base64".to_string())?;
    let box_key = derive(password, &salt, log_n)?;
    let cipher = XSalsa20Poly1305::new(&(*box_key).into());
    cipher
        .decrypt(&nonce.into(), ciphertext.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| "wrong password, or the key file is corrupt".to_string())
}

/// Encodes one PEM block with 64-column base64 lines.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block: (label, body bytes). Tolerates CRLF and any line width; headers
/// (`Proc-Type:` and the like) are refused.
pub fn pem_decode(text: &str) -> Result<(String, Vec<u8>), String> {
    let start = text
        .find("-----BEGIN ")
        .ok_or_else(|| "no PEM block (-----BEGIN ...-----) found".to_string())?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = rest
        .split_once("-----")
        .ok_or_else(|| "malformed PEM BEGIN line".to_string())?;
    let end_marker = format!("-----END {label}-----");
    let end = rest
        .find(&end_marker)
        .ok_or_else(|| format!("PEM block `{label}` has no END line"))?;
    let body = &rest[..end];
    if body.contains(':') {
        return Err(format!(
            "PEM block `{label}` has headers, which are not supported"
        ));
    }
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = STANDARD
        .decode(b64)
        .map_err(|e| format!("PEM block `{label}` is not base64: {e}"))?;
    Ok((label.to_string(), bytes))
}

/// Reads a key file as text; a problem is a failure naming the file.
pub fn read_pem_file(path: &Path) -> Result<String, Error> {
    String::from_utf8(super::read_limited(path)?)
        .map_err(|_| file_error(path, "not a PEM text file".into()))
}

/// Reads a public key file (PEM SubjectPublicKeyInfo).
pub fn read_public_key_file(path: &Path) -> Result<VerifyingKey, Error> {
    VerifyingKey::from_pem(&read_pem_file(path)?).map_err(|m| file_error(path, m))
}

/// A key file that cannot be used: exit code 1, the message prefixed with the file's name.
pub fn file_error(path: &Path, message: String) -> Error {
    super::fail(ExitCode::Failure, format!("{}: {message}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_key_round_trips_for_each_algorithm() {
        for alg in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
            let key = SigningKey::generate(alg);
            let pem = encrypt_private_key(&key, b"s3cret").unwrap();
            assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
            let (_, body) = pem_decode(&pem).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["kdf"]["params"]["N"], 65536);
            assert_eq!(
                STANDARD
                    .decode(v["kdf"]["salt"].as_str().unwrap())
                    .unwrap()
                    .len(),
                32
            );
            let back = read_private_key(&pem, || Ok(Zeroizing::new("s3cret".into()))).unwrap();
            assert_eq!(back.keyid(), key.keyid());
            let wrong = read_private_key(&pem, || Ok(Zeroizing::new("nope".into())));
            assert!(wrong.err().unwrap().contains("wrong password"));
            // The legacy label carries the same body.
            let legacy = pem.replace("SIGSTORE", "COSIGN");
            assert!(read_private_key(&legacy, || Ok(Zeroizing::new("s3cret".into()))).is_ok());
        }
    }

    #[test]
    fn costly_scrypt_parameters_are_refused_before_any_work() {
        for (n, r, p) in [
            (1u64 << 20, 8, 1),
            (65536, 16, 1),
            (65536, 8, 2),
            (1024, 8, 1),
        ] {
            let body = format!(
                r#"{{"kdf":{{"name":"scrypt","params":{{"N":{n},"r":{r},"p":{p}}},"salt":"AAAA"}},"cipher":{{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},"ciphertext":"AAAA"}}"#
            );
            let e = decrypt_private_key(body.as_bytes(), b"x").unwrap_err();
            assert!(e.contains("refused"), "{e}");
        }
    }

    #[test]
    fn signatures_verify_in_der_and_raw_form() {
        let key = SigningKey::generate(Algorithm::EcdsaP256);
        let SigningKey::P256(k) = &key else {
            unreachable!()
        };
        let vk = key.verifying_key();
        let der = key.sign(b"msg");
        assert!(vk.verify(b"msg", &der));
        assert!(!vk.verify(b"msh", &der));
        let raw: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(k, b"msg");
        assert_eq!(raw.to_bytes().len(), 64);
        assert!(vk.verify(b"msg", &raw.to_bytes()));
        let ed = SigningKey::generate(Algorithm::Ed25519);
        assert!(ed.verifying_key().verify(b"m", &ed.sign(b"m")));
        assert!(!vk.verify(b"m", &ed.sign(b"m")));
    }

    #[test]
    fn public_key_pem_round_trips() {
        let key = SigningKey::generate(Algorithm::EcdsaP256);
        let pem = key.verifying_key().to_pem();
        let back = VerifyingKey::from_pem(&pem).unwrap();
        assert_eq!(back.keyid(), key.keyid());
        assert!(VerifyingKey::from_pem("garbage").is_err());
    }
}
