//! The error type of the library and the exit codes of the command: every code the command exits
//! with is chosen here ([`ExitCode::of`]).

use crate::source::SourceError;

/// Exit codes of `sbomkit`, documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Success = 0,
    /// The input could not be read: not an image, corrupt archive, unreadable file, I/O failure.
    Failure = 1,
    /// Wrong command-line usage.
    Usage = 2,
    /// A gate did not hold: a rule of `audit --fail-on` has findings, or `validate`'s profile is not met.
    GateFailed = 3,
    /// `verify`: a signature did not verify.
    BadSignature = 10,
    /// `verify`: the attestation is about another artifact.
    SubjectMismatch = 11,
    /// `verify`: the predicate is of the wrong type or does not validate.
    BadPredicate = 12,
    /// `verify`: the attestation itself is malformed.
    Malformed = 13,
    /// `verify-bundle`/`verify`: the signing certificate does not chain to a trusted CA, its SCT
    /// does not verify, or it names another identity or OIDC issuer.
    CertificateInvalid = 14,
    /// `verify-bundle`/`verify`: a transparency log entry, inclusion proof, checkpoint or timestamp
    /// does not verify, or the signing time is outside the certificate's validity or in the future.
    LogInvalid = 15,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
    /// `attest`/`verify`/`keygen`: a failure with its own exit code (bad signature, subject mismatch,
    /// bad predicate, malformed input; `Failure` for key and password problems).
    #[error("{message}")]
    Attest { code: ExitCode, message: String },
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) => ExitCode::Usage,
            Error::Attest { code, .. } => *code,
            _ => ExitCode::Failure,
        }
    }
}

impl ExitCode {
    /// The exit code of a whole run: the one the command chose (a verification outcome), or the one
    /// its error carries.
    pub fn of(outcome: &Result<ExitCode, Error>) -> ExitCode {
        match outcome {
            Ok(code) => *code,
            Err(e) => e.exit_code(),
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> std::process::ExitCode {
        std::process::ExitCode::from(code as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_its_documented_exit_code() {
        let cases = [
            (Ok(ExitCode::Success), 0),
            (Ok(ExitCode::GateFailed), 3),
            (Ok(ExitCode::BadSignature), 10),
            (Ok(ExitCode::LogInvalid), 15),
            (Err(Error::Usage("bad flag".into())), 2),
            (Err(Error::Other("built-in root".into())), 1),
            (
                Err(Error::Io {
                    path: "out.json".into(),
                    source: std::io::Error::other("disk full"),
                }),
                1,
            ),
            (
                Err(Error::Source(SourceError::Invalid {
                    path: "img.tar".into(),
                    message: "not an image".into(),
                })),
                1,
            ),
            (
                Err(Error::Attest {
                    code: ExitCode::SubjectMismatch,
                    message: "another artifact".into(),
                }),
                11,
            ),
            (
                Err(Error::Attest {
                    code: ExitCode::Malformed,
                    message: "not JSON".into(),
                }),
                13,
            ),
        ];
        for (outcome, code) in cases {
            assert_eq!(ExitCode::of(&outcome) as u8, code, "{outcome:?}");
        }
    }
}
