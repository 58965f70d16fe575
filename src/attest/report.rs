//! What `verify` and `verify-bundle` print: a report as text for people or JSON for machines, and
//! the exit code it stands for.

use serde_json::{json, Value};

use super::sigstore::{Failure, Verified};
use crate::error::ExitCode;

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
}

impl ReportFormat {
    /// The bytes printed: the text as it is, or the JSON pretty-printed with a final newline.
    pub fn render(self, text: impl FnOnce() -> String, json: impl FnOnce() -> Value) -> Vec<u8> {
        match self {
            ReportFormat::Text => text().into_bytes(),
            ReportFormat::Json => format!("{:#}\n", json()).into_bytes(),
        }
    }
}

/// The outcome of `verify-bundle` for one bundle.
#[derive(Debug, Clone)]
pub struct BundleReport {
    /// The bundle as the user named it.
    pub bundle: String,
    pub outcome: Result<Verified, Failure>,
}

impl BundleReport {
    pub fn exit_code(&self) -> ExitCode {
        match &self.outcome {
            Ok(_) => ExitCode::Success,
            Err(f) => f.code(),
        }
    }

    pub fn to_json(&self) -> Value {
        match &self.outcome {
            Ok(v) => json!({
                "bundle": self.bundle,
                "verified": true,
                "exitCode": 0,
                "mediaType": v.media_type,
                "identity": v.identity,
                "issuer": v.issuer,
                "signingTimes": v.signing_times,
                "checks": v.checks.iter().map(|(n, d)| json!({"name": n, "status": "pass", "detail": d})).collect::<Vec<_>>(),
            }),
            Err(f) => json!({
                "bundle": self.bundle,
                "verified": false,
                "exitCode": f.code() as u8,
                "failed": {"name": f.kind.name(), "detail": f.message},
            }),
        }
    }

    /// In `verify`'s style: the input, one line per check, then the verdict on the last line.
    pub fn human(&self) -> String {
        match &self.outcome {
            Ok(v) => {
                let mut out = format!("{}: sigstore bundle ({})\n", self.bundle, v.media_type);
                for (n, d) in &v.checks {
                    out.push_str(&check_line("PASS", n, d));
                }
                out.push_str("verified\n");
                out
            }
            Err(f) => format!(
                "{}: sigstore bundle\n{}{}",
                self.bundle,
                check_line("FAIL", f.kind.name(), &f.message),
                refusal_line(f.code(), f.kind.name(), &f.message)
            ),
        }
    }

    pub fn render(&self, format: ReportFormat) -> Vec<u8> {
        format.render(|| self.human(), || self.to_json())
    }
}

/// One check of a report, as `verify` and `verify-bundle` both print it.
pub(crate) fn check_line(mark: &str, name: &str, detail: &str) -> String {
    format!("  {mark}  {name:<14} {detail}\n")
}

/// The last line of a refused report.
pub(crate) fn refusal_line(code: ExitCode, name: &str, detail: &str) -> String {
    format!("NOT verified (exit {}): {name}: {detail}\n", code as u8)
}

#[cfg(test)]
mod tests {
    use super::super::sigstore::Kind;
    use super::*;

    fn passed() -> BundleReport {
        BundleReport {
            bundle: "a.sigstore.json".into(),
            outcome: Ok(Verified {
                media_type: "application/vnd.dev.sigstore.bundle.v0.3+json".into(),
                checks: vec![
                    ("bundle", "v0.3, 1 log entry".into()),
                    ("signature", "ECDSA P-256".into()),
                ],
                identity: Some("me@example.com".into()),
                issuer: Some("https://issuer.example".into()),
                signing_times: vec![1_700_000_000],
                dsse: None,
            }),
        }
    }

    fn failed() -> BundleReport {
        BundleReport {
            bundle: "b.sigstore.json".into(),
            outcome: Err(Failure {
                kind: Kind::Certificate,
                message: "another identity".into(),
            }),
        }
    }

    #[test]
    fn a_verified_bundle_lists_its_checks() {
        let r = passed();
        assert_eq!(r.exit_code(), ExitCode::Success);
        assert_eq!(
            r.human(),
            "a.sigstore.json: sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json)\n  PASS  bundle         v0.3, 1 log entry\n  PASS  signature      ECDSA P-256\nverified\n"
        );
        let j = r.to_json();
        assert_eq!(j["verified"], true);
        assert_eq!(j["exitCode"], 0);
        assert_eq!(j["identity"], "me@example.com");
        assert_eq!(j["checks"][1]["name"], "signature");
        assert_eq!(j["checks"][1]["status"], "pass");
    }

    #[test]
    fn a_refused_bundle_names_the_check_and_the_exit_code() {
        let r = failed();
        assert_eq!(r.exit_code(), ExitCode::CertificateInvalid);
        assert_eq!(
            r.human(),
            "b.sigstore.json: sigstore bundle\n  FAIL  certificate    another identity\nNOT verified (exit 14): certificate: another identity\n"
        );
        let j = r.to_json();
        assert_eq!(j["verified"], false);
        assert_eq!(j["exitCode"], 14);
        assert_eq!(j["failed"]["name"], "certificate");
    }

    #[test]
    fn json_is_pretty_and_ends_with_a_newline() {
        let r = failed();
        assert_eq!(r.render(ReportFormat::Text), r.human().into_bytes());
        let json = String::from_utf8(r.render(ReportFormat::Json)).unwrap();
        assert!(json.starts_with("{\n  \""), "{json}");
        assert!(json.ends_with("}\n"), "{json}");
        let expected = serde_json::to_string_pretty(&r.to_json()).unwrap() + "\n";
        assert_eq!(json, expected);
    }
}
