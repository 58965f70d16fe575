//! `attest` from an SBOM to the bytes written: which document becomes the predicate, whether it
//! describes the artifact, the Statement, the signature and its wrapping. The caller gathers the
//! arguments, asks for the password, shows the scan's progress and writes what [`attest`] returns.

use std::path::Path;

use serde_json::Value;
use zeroize::Zeroizing;

use super::keyless::Keyless;
use super::keys::{self, SigningKey};
use super::sigstore::signing_config::Services;
use super::statement::{self, SbomKind};
use super::{bundle, dsse, fail, identities_of, parse_json, read_limited};
use crate::error::{Error, ExitCode};
use crate::format::index::PlatformDoc;
use crate::format::{self, CycloneDxVersion, Format, WriteOptions};
use crate::model::{Identity, IdentityRole, ImageIndex, Sbom, Subject, SubjectKind};
use crate::source::{SourceOptions, SourceSpec};

/// What signs the Statement.
pub enum Signer {
    /// A private key from a file.
    Key(SigningKey),
    /// An ephemeral key certified by Fulcio; the envelope is logged to Rekor.
    Keyless(Keyless),
}

impl Signer {
    /// Reads a private key file (sbomkit's or cosign's encrypted key, or PKCS#8); `password` is
    /// asked only for an encrypted one.
    pub fn from_key_file(
        path: &Path,
        password: impl FnOnce() -> Result<Zeroizing<String>, String>,
    ) -> Result<Signer, Error> {
        let text = keys::read_pem_file(path)?;
        keys::read_private_key(&text, password)
            .map(Signer::Key)
            .map_err(|m| keys::file_error(path, m))
    }

    /// Keyless signing for the holder of `token`: the token's shape and expiry (at `now`, Unix
    /// seconds) and the service URLs are checked here, before anything is scanned.
    pub fn keyless(token: Option<&str>, services: &Services, now: i64) -> Result<Signer, Error> {
        let token = token.unwrap_or_default();
        if token.trim().is_empty() {
            return Err(Error::Usage(format!(
                "--keyless needs an OIDC identity token: pass --identity-token TOKEN or set {}",
                super::keyless::TOKEN_ENV
            )));
        }
        Keyless::new(token, services, now)
            .map(Signer::Keyless)
            .map_err(|m| Error::Usage(format!("--keyless: {m}")))
    }
}

/// How the signed Statement is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// A bare DSSE envelope.
    Envelope,
    /// A sigstore bundle v0.3 around the envelope.
    Bundle,
}

/// The SBOM that becomes the predicate.
pub enum Predicate<'a> {
    /// The document of a scan of the source, written in the requested format (SPDX when none is).
    Scanned {
        sbom: &'a Sbom,
        cyclonedx_version: CycloneDxVersion,
    },
    /// An SPDX or CycloneDX JSON file: it must be of the requested format and describe the source,
    /// which is opened with `source` for its digests.
    File {
        path: &'a Path,
        source: &'a SourceOptions,
    },
    /// An `audit` report of the source: the posture predicate about its digests.
    Posture {
        report: &'a crate::posture::Report,
        subject: &'a Subject,
    },
    /// The index document of a multi-platform scan: the subject is the index itself. `docs` are
    /// the platforms' documents as written in the requested format.
    Index {
        index: &'a ImageIndex,
        docs: &'a [PlatformDoc<'a>],
        created: i64,
        cyclonedx_version: CycloneDxVersion,
    },
}

/// One attestation to make.
pub struct Request<'a> {
    /// What is attested, and how the user named it (for messages).
    pub source: &'a SourceSpec,
    pub source_label: &'a str,
    pub predicate: Predicate<'a>,
    /// The predicate's format, when one was asked for.
    pub format: Option<SbomKind>,
    pub signer: &'a Signer,
    pub wrapping: Wrapping,
}

/// Makes the attestation: one line of JSON ending with a newline, a DSSE envelope or a bundle.
/// Nothing is signed unless the predicate is of the requested format and describes the source.
pub fn attest(req: &Request) -> Result<Vec<u8>, Error> {
    let (subject, predicate_type, predicate) = match &req.predicate {
        Predicate::Scanned {
            sbom,
            cyclonedx_version,
        } => {
            let kind = req.format.unwrap_or(SbomKind::Spdx);
            let doc = scanned_document(sbom, kind, *cyclonedx_version)?;
            (sbom.subject.clone(), kind.predicate_type(), doc)
        }
        Predicate::File { path, source } => {
            let (kind, doc) = read_predicate(path, req.format)?;
            let subject = identities_of(req.source, source)?;
            check_subject(&doc, path, &subject, req.source_label)?;
            (subject, kind.predicate_type(), doc)
        }
        Predicate::Posture { report, subject } => {
            let doc = serde_json::to_value(report).map_err(|e| Error::Other(e.to_string()))?;
            ((*subject).clone(), statement::POSTURE, doc)
        }
        Predicate::Index {
            index,
            docs,
            created,
            cyclonedx_version,
        } => {
            let kind = req.format.unwrap_or(SbomKind::Spdx);
            let mut buf = Vec::new();
            format::index::write_index(
                index,
                docs,
                format_of(kind),
                &WriteOptions {
                    cyclonedx_version: *cyclonedx_version,
                    width: None,
                },
                *created,
                &mut buf,
            )
            .map_err(|e| Error::Io {
                path: "<index document>".into(),
                source: e,
            })?;
            let doc = serde_json::from_slice(&buf)
                .map_err(|e| Error::Other(format!("the index document is not JSON: {e}")))?;
            let subject = Subject {
                kind: SubjectKind::Image,
                name: index.name.clone(),
                identities: vec![Identity {
                    role: IdentityRole::Manifest,
                    digest: index.digest.clone(),
                }],
                ..Subject::default()
            };
            (subject, kind.predicate_type(), doc)
        }
    };
    let subjects = statement::subjects_for(&subject, &req.source.path)
        .map_err(|m| fail(ExitCode::Failure, m))?;
    let payload = statement::build(subjects, predicate_type, predicate);
    let doc = match req.signer {
        Signer::Key(key) => {
            let envelope = dsse::sign(dsse::IN_TOTO_PAYLOAD_TYPE, &payload, key);
            match req.wrapping {
                Wrapping::Bundle => bundle::wrap(&envelope),
                Wrapping::Envelope => {
                    serde_json::to_value(&envelope).map_err(|e| Error::Other(e.to_string()))?
                }
            }
        }
        Signer::Keyless(k) => k
            .sign(dsse::IN_TOTO_PAYLOAD_TYPE, &payload)
            .map_err(|m| fail(ExitCode::Failure, format!("keyless signing: {m}")))?,
    };
    let mut text = serde_json::to_vec(&doc).map_err(|e| Error::Other(e.to_string()))?;
    text.push(b'\n');
    Ok(text)
}

/// The scan's SBOM as the JSON value the Statement carries.
fn scanned_document(
    sbom: &Sbom,
    kind: SbomKind,
    cyclonedx_version: CycloneDxVersion,
) -> Result<Value, Error> {
    let mut buf = Vec::new();
    format::write(
        sbom,
        format_of(kind),
        &WriteOptions {
            cyclonedx_version,
            width: None,
        },
        &mut buf,
    )
    .map_err(|e| Error::Io {
        path: "<sbom>".into(),
        source: e,
    })?;
    serde_json::from_slice(&buf)
        .map_err(|e| Error::Other(format!("the SBOM written is not JSON: {e}")))
}

/// The JSON format an SBOM kind is written in.
pub fn format_of(kind: SbomKind) -> Format {
    match kind {
        SbomKind::Spdx => Format::SpdxJson,
        SbomKind::Spdx3 => Format::Spdx3Json,
        SbomKind::CycloneDx => Format::CycloneDxJson,
    }
}

/// The predicate policy: a given file must be SPDX or CycloneDX JSON (else it is malformed), and of
/// the format asked for, if any (else it is a usage error).
fn read_predicate(path: &Path, wanted: Option<SbomKind>) -> Result<(SbomKind, Value), Error> {
    let bytes = read_limited(path)?;
    let doc = parse_json(&bytes).map_err(|e| {
        fail(
            ExitCode::Malformed,
            format!("{}: not JSON: {e}", path.display()),
        )
    })?;
    let kind = SbomKind::of(&doc).ok_or_else(|| {
        fail(
            ExitCode::Malformed,
            format!("{}: not an SPDX or CycloneDX JSON document", path.display()),
        )
    })?;
    if wanted.is_some_and(|w| w != kind) {
        return Err(Error::Usage(format!(
            "{} is a {} document, not the -o format asked for",
            path.display(),
            kind.label()
        )));
    }
    Ok((kind, doc))
}

/// The subject check: a digest of what the SBOM describes must be one of the source's identities,
/// else nothing is signed.
fn check_subject(
    doc: &Value,
    path: &Path,
    subject: &Subject,
    source_label: &str,
) -> Result<(), Error> {
    let described = statement::described_digests(doc);
    let ours: Vec<&str> = subject.identities.iter().map(|i| i.hex()).collect();
    if described.iter().any(|d| ours.contains(&d.as_str())) {
        return Ok(());
    }
    let theirs = if described.is_empty() {
        "no digest".to_string()
    } else {
        described
            .iter()
            .map(|d| format!("sha256:{d}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let identities = subject
        .identities
        .iter()
        .map(|i| i.digest.clone())
        .collect::<Vec<_>>()
        .join(", ");
    Err(fail(
        ExitCode::SubjectMismatch,
        format!(
            "{} describes {theirs}, but {source_label} is {identities}; refusing to sign an SBOM of another artifact",
            path.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use serde_json::json;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::attest::keys::Algorithm;
    use crate::attest::verify;

    /// A file to attest and its SHA-256, in a folder that also holds predicates.
    struct Fixture {
        dir: tempfile::TempDir,
        artifact: SourceSpec,
        digest: String,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("artifact.bin");
        fs::write(&path, b"the artifact").unwrap();
        let digest = hex::encode(Sha256::digest(b"the artifact"));
        let artifact = SourceSpec::parse(&format!("file:{}", path.display()));
        Fixture {
            dir,
            artifact,
            digest,
        }
    }

    /// A CycloneDX document whose root component has this SHA-256.
    fn cyclonedx_about(digest: &str) -> Value {
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "metadata": {"component": {
                "type": "file",
                "name": "artifact.bin",
                "hashes": [{"alg": "SHA-256", "content": digest}],
            }},
        })
    }

    fn write_predicate(f: &Fixture, doc: &Value) -> std::path::PathBuf {
        let path = f.dir.path().join("sbom.json");
        fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
        path
    }

    fn attest_file(
        f: &Fixture,
        predicate: &Path,
        format: Option<SbomKind>,
        signer: &Signer,
    ) -> Result<Vec<u8>, Error> {
        attest(&Request {
            source: &f.artifact,
            source_label: "artifact.bin",
            predicate: Predicate::File {
                path: predicate,
                source: &SourceOptions::default(),
            },
            format,
            signer,
            wrapping: Wrapping::Envelope,
        })
    }

    fn code_of(r: Result<Vec<u8>, Error>) -> ExitCode {
        r.map(|_| ExitCode::Success)
            .unwrap_or_else(|e| e.exit_code())
    }

    #[test]
    fn an_sbom_of_the_artifact_is_signed_and_verifies() {
        let f = fixture();
        let path = write_predicate(&f, &cyclonedx_about(&f.digest));
        let key = SigningKey::generate(Algorithm::Ed25519);
        let public = key.verifying_key();
        let signer = Signer::Key(key);
        let bytes = attest_file(&f, &path, Some(SbomKind::CycloneDx), &signer).unwrap();
        assert_eq!(bytes.last(), Some(&b'\n'));
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);

        let report = verify::verify(
            &bytes,
            "attestation",
            &verify::Options {
                key: Some(&public),
                keyless: None,
                trust: &Default::default(),
                now: 0,
                target: None,
                want_type: Some(statement::CYCLONEDX_BOM.into()),
            },
        )
        .unwrap();
        assert_eq!(report.exit_code(), ExitCode::Success, "{}", report.human());
    }

    #[test]
    fn an_sbom_of_another_artifact_is_refused() {
        let f = fixture();
        let other = "ab".repeat(32);
        let path = write_predicate(&f, &cyclonedx_about(&other));
        let signer = Signer::Key(SigningKey::generate(Algorithm::Ed25519));
        let e = attest_file(&f, &path, None, &signer).unwrap_err();
        assert_eq!(e.exit_code(), ExitCode::SubjectMismatch);
        let msg = e.to_string();
        assert!(msg.contains(&format!("describes sha256:{other}")), "{msg}");
        assert!(
            msg.contains(&format!("artifact.bin is sha256:{}", f.digest)),
            "{msg}"
        );

        let nothing = json!({"bomFormat": "CycloneDX", "specVersion": "1.6"});
        let path = write_predicate(&f, &nothing);
        let e = attest_file(&f, &path, None, &signer).unwrap_err();
        assert_eq!(e.exit_code(), ExitCode::SubjectMismatch);
        assert!(e.to_string().contains("describes no digest"), "{e}");
    }

    #[test]
    fn a_predicate_of_another_format_than_asked_is_refused() {
        let f = fixture();
        let path = write_predicate(&f, &cyclonedx_about(&f.digest));
        let signer = Signer::Key(SigningKey::generate(Algorithm::Ed25519));
        let e = attest_file(&f, &path, Some(SbomKind::Spdx), &signer).unwrap_err();
        assert!(
            matches!(&e, Error::Usage(m) if m.contains("is a CycloneDX document")),
            "{e}"
        );
        assert_eq!(
            code_of(attest_file(&f, &path, Some(SbomKind::CycloneDx), &signer)),
            ExitCode::Success
        );
    }

    #[test]
    fn a_predicate_that_is_no_sbom_is_malformed() {
        let f = fixture();
        let signer = Signer::Key(SigningKey::generate(Algorithm::Ed25519));
        let path = write_predicate(&f, &json!({"hello": "world"}));
        let e = attest_file(&f, &path, None, &signer).unwrap_err();
        assert_eq!(e.exit_code(), ExitCode::Malformed);
        assert!(e.to_string().contains("not an SPDX or CycloneDX"), "{e}");
        fs::write(&path, b"{\"a\":1,\"a\":2}").unwrap();
        assert_eq!(
            code_of(attest_file(&f, &path, None, &signer)),
            ExitCode::Malformed
        );
    }

    #[test]
    fn a_keyless_signer_needs_a_token() {
        let services = Services {
            fulcio: "https://f.example".into(),
            logs: vec![crate::attest::sigstore::signing_config::Log {
                url: "https://r.example".into(),
                version: 1,
            }],
            tsas: Vec::new(),
        };
        for token in [None, Some(""), Some("  ")] {
            let r = Signer::keyless(token, &services, 0);
            assert!(
                matches!(&r, Err(Error::Usage(m)) if m.contains("identity token")),
                "{token:?}"
            );
        }
    }
}
