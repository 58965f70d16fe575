//! `verify registry:IMAGE`: every attestation found beside the image (see
//! `source::registry::referrers::discover`), each verified as `verify` verifies a file, reported
//! with where it was found. Fails closed: it passes only when one signed attestation verifies for
//! this manifest with the asked type; unsigned ones are listed and never count.

use serde_json::{json, Value};

use super::report::ReportFormat;
use super::sigstore::Kind;
use super::verify::{self, Options, Report};
use crate::error::ExitCode;
use crate::source::registry::referrers::{Content, Found};

/// One attestation and its verdict.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub found: Found,
    /// The report of a signed one.
    pub report: Option<Report>,
    /// Why it failed without a report, or what an unsigned one is.
    pub detail: String,
    pub code: Option<ExitCode>,
}

impl Verdict {
    fn verified(&self) -> bool {
        self.code == Some(ExitCode::Success)
    }
    fn word(&self) -> &'static str {
        match (&self.found.content, self.verified()) {
            (Content::Unsigned(_), _) => "unsigned",
            (_, true) => "verified",
            _ => "failed",
        }
    }
}

/// All verdicts for one image.
#[derive(Debug, Clone)]
pub struct RegistryReport {
    /// `registry:HOST/REPO:TAG` as given.
    pub image: String,
    pub manifest: String,
    pub verdicts: Vec<Verdict>,
    pub notes: Vec<String>,
}

/// Verifies each attestation found with `opts` (whose target is the image's identities).
pub fn verify_found(
    image: &str,
    manifest: &str,
    found: Vec<Found>,
    notes: Vec<String>,
    opts: &Options,
) -> RegistryReport {
    let verdicts = found
        .into_iter()
        .map(|f| {
            let label = format!("{} ({})", f.manifest, f.location);
            match &f.content {
                Content::Signed(bytes) => match verify::verify(bytes, &label, opts) {
                    Ok(report) => {
                        let code = report.exit_code();
                        let detail = report
                            .chosen()
                            .and_then(|c| c.first_failure())
                            .map(|k| format!("{}: {}", k.name, k.detail))
                            .unwrap_or_default();
                        Verdict {
                            found: f,
                            report: Some(report),
                            detail,
                            code: Some(code),
                        }
                    }
                    Err(e) => {
                        let code = e.exit_code();
                        Verdict {
                            found: f,
                            report: None,
                            detail: e.to_string(),
                            code: Some(code),
                        }
                    }
                },
                Content::Unsigned(types) => {
                    let detail = format!(
                        "an unsigned in-toto statement{}; never counts",
                        if types.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", types.join(", "))
                        }
                    );
                    Verdict {
                        found: f,
                        report: None,
                        detail,
                        code: None,
                    }
                }
                Content::OtherSubject(d) => Verdict {
                    detail: format!("the referrer is about {d}, not this manifest"),
                    found: f,
                    report: None,
                    code: Some(Kind::Artifact.exit_code()),
                },
                Content::Unreadable(why) => Verdict {
                    detail: format!("unreadable: {why}"),
                    found: f,
                    report: None,
                    code: Some(Kind::Bundle.exit_code()),
                },
            }
        })
        .collect();
    RegistryReport {
        image: image.to_string(),
        manifest: manifest.to_string(),
        verdicts,
        notes,
    }
}

impl RegistryReport {
    /// The attestation that verified (the first found).
    pub fn chosen(&self) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.verified())
    }

    /// The predicate of the attestation that verified, and of no other.
    pub fn verified_predicate(&self) -> Option<Vec<u8>> {
        self.chosen()?.report.as_ref()?.verified_predicate()
    }

    /// 0 when one verified; else the code of the first signed one found; with none signed, 10.
    pub fn exit_code(&self) -> ExitCode {
        if self.chosen().is_some() {
            return ExitCode::Success;
        }
        self.verdicts
            .iter()
            .find_map(|v| v.code)
            .unwrap_or(ExitCode::BadSignature)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "image": self.image,
            "manifestDigest": self.manifest,
            "verified": self.exit_code() == ExitCode::Success,
            "exitCode": self.exit_code() as u8,
            "verifiedAttestation": self.chosen().map(|v| v.found.manifest.clone()),
            "notes": self.notes,
            "attestations": self.verdicts.iter().map(|v| json!({
                "foundIn": v.found.location,
                "manifest": v.found.manifest,
                "verdict": v.word(),
                "exitCode": v.code.map(|c| c as u8),
                "detail": v.detail,
                "predicateType": v.report.as_ref().and_then(|r| r.chosen()).and_then(|c| c.predicate_type.clone()),
                "report": v.report.as_ref().map(Report::to_json),
            })).collect::<Vec<_>>(),
        })
    }

    pub fn human(&self) -> String {
        let mut out = format!("{}: manifest {}\n", self.image, self.manifest);
        for v in &self.verdicts {
            let ptype = v
                .report
                .as_ref()
                .and_then(|r| r.chosen())
                .and_then(|c| c.predicate_type.clone())
                .or_else(|| v.found.announced_type.clone())
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}: {}{ptype}: {}{}\n",
                v.found.location,
                v.found.manifest,
                v.word(),
                if v.detail.is_empty() || v.verified() {
                    String::new()
                } else {
                    format!(" ({})", v.detail)
                }
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        let signed = self
            .verdicts
            .iter()
            .filter(|v| !matches!(v.found.content, Content::Unsigned(_)))
            .count();
        match self.chosen() {
            Some(v) => out.push_str(&format!(
                "verified: {} ({}) of {signed} signed attestation{}\n",
                v.found.manifest,
                v.found.location,
                if signed == 1 { "" } else { "s" }
            )),
            None if signed == 0 => {
                out.push_str("FAILED (exit 10): no signed attestation found for this manifest\n")
            }
            None => out.push_str(&format!(
                "FAILED (exit {}): none of the {signed} signed attestations verified\n",
                self.exit_code() as u8
            )),
        }
        out
    }

    pub fn render(&self, format: ReportFormat) -> Vec<u8> {
        format.render(|| self.human(), || self.to_json())
    }
}
