//! The auditor's check of an attestation: signature over the DSSE PAE with the given key, payload
//! type, Statement, subject against the image's own digests, predicate type and schema.
//!
//! Nothing inside the attestation is trusted before its signature verifies with the key the auditor
//! gave: no key, certificate or URL is taken from it, and after a failed signature nothing else in the
//! payload is looked at. A sigstore bundle, key-based or keyless, is verified by
//! `sigstore::verify_value`, the check `verify-bundle` makes (certificate, log entries and
//! timestamps against the trusted root), so both commands judge it alike.
//!
//! Subject rule: every subject of the Statement must carry a SHA-256 digest that is an identity of
//! the image given with `--image` (its manifest digest or its config digest / image ID; for a file, its
//! SHA-256). One foreign subject fails the check: an SBOM vouched for as describing this image and also
//! something else does not describe this image.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::bundle;
use super::dsse::{self, ParsedEnvelope, IN_TOTO_PAYLOAD_TYPE};
use super::keys::VerifyingKey;
use super::schema::{self, Validation};
use super::sigstore::{self, trust::TrustedRoot, Kind};
use super::statement::{self, Statement};
use super::{fail, kind_of, parse_json, ReportFormat, MAX_INPUT_BYTES};
use crate::error::{Error, ExitCode};
use crate::model::{Identity, IdentityRole};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotChecked => "not checked",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// The exit code when this check fails.
    pub code: ExitCode,
}

/// The checks of one envelope.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where it came from: `DSSE envelope`, `sigstore bundle (…)`, `line 3`.
    pub origin: String,
    pub checks: Vec<Check>,
    pub predicate_type: Option<String>,
    pub subjects: Vec<statement::SubjectRef>,
    /// The Statement's predicate, once its signature verified.
    pub predicate: Option<Value>,
}

impl Candidate {
    fn new(origin: String) -> Candidate {
        Candidate {
            origin,
            checks: Vec::new(),
            predicate_type: None,
            subjects: Vec::new(),
            predicate: None,
        }
    }

    /// Records a check about `kind`; its exit code comes from the kind alone ([`Kind::exit_code`]).
    fn push(&mut self, name: &'static str, status: Status, detail: String, kind: Kind) {
        self.checks.push(Check {
            name,
            status,
            detail,
            code: kind.exit_code(),
        });
    }

    fn skip_rest(&mut self, names: &[&'static str]) {
        for n in names {
            self.checks.push(Check {
                name: n,
                status: Status::NotChecked,
                detail: "not checked after an earlier failure".into(),
                code: ExitCode::Success,
            });
        }
    }

    pub fn passed(&self) -> bool {
        self.first_failure().is_none()
    }

    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == Status::Fail)
    }

    pub fn exit_code(&self) -> ExitCode {
        self.first_failure().map_or(ExitCode::Success, |c| c.code)
    }

    /// How far the checks got: failing later means closer to verifying.
    fn progress(&self) -> usize {
        self.checks
            .iter()
            .position(|c| c.status == Status::Fail)
            .unwrap_or(usize::MAX)
    }
}

/// What the attestation is checked against.
#[derive(Debug, Clone)]
pub struct Target {
    /// How the user named it (`image.tar`).
    pub label: String,
    pub identities: Vec<Identity>,
}

/// The identity a keyless bundle's certificate must carry.
#[derive(Clone, Copy)]
pub struct Keyless<'a> {
    pub identity: &'a str,
    pub issuer: &'a str,
}

pub struct Options<'a> {
    /// The key that must have signed; `None` when only keyless bundles are accepted.
    pub key: Option<&'a VerifyingKey>,
    /// The identity keyless bundles must carry.
    pub keyless: Option<Keyless<'a>>,
    /// What a bundle's certificate, log entries and timestamps are judged against, as
    /// `verify-bundle` judges them.
    pub trust: &'a TrustedRoot,
    /// Unix seconds: signing times after it are refused.
    pub now: i64,
    pub target: Option<&'a Target>,
    /// A predicate type URI (short names already resolved).
    pub want_type: Option<String>,
}

/// The result of `verify`: every envelope's checks and the one that decides.
#[derive(Debug, Clone)]
pub struct Report {
    pub attestation: String,
    pub candidates: Vec<Candidate>,
    pub chosen: usize,
    pub notes: Vec<String>,
}

impl Report {
    pub fn chosen(&self) -> Option<&Candidate> {
        self.candidates.get(self.chosen)
    }

    /// The predicate of the envelope that verified, and only when one did: what `--predicate-out`
    /// writes. A text predicate (SPDX tag-value) is written as its text.
    pub fn verified_predicate(&self) -> Option<Vec<u8>> {
        let c = self.chosen().filter(|c| c.passed())?;
        let mut bytes = match c.predicate.as_ref()? {
            Value::String(text) => text.clone().into_bytes(),
            v => serde_json::to_vec_pretty(v).ok()?,
        };
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        Some(bytes)
    }

    pub fn exit_code(&self) -> ExitCode {
        self.chosen()
            .map_or(ExitCode::Malformed, Candidate::exit_code)
    }

    pub fn to_json(&self) -> Value {
        let cand = |c: &Candidate| {
            json!({
                "origin": c.origin,
                "verified": c.passed(),
                "predicateType": c.predicate_type,
                "subjects": c.subjects.iter().map(|s| json!({"name": s.name, "digest": s.digests})).collect::<Vec<_>>(),
                "checks": c.checks.iter().map(|k| json!({"name": k.name, "status": k.status.as_str(), "detail": k.detail})).collect::<Vec<_>>(),
            })
        };
        let chosen = self.chosen();
        json!({
            "attestation": self.attestation,
            "verified": self.exit_code() == ExitCode::Success,
            "exitCode": self.exit_code() as u8,
            "envelopes": self.candidates.len(),
            "decidingEnvelope": chosen.map(|c| c.origin.clone()),
            "checks": chosen.map(|c| cand(c)["checks"].clone()).unwrap_or(json!([])),
            "predicateType": chosen.and_then(|c| c.predicate_type.clone()),
            "notes": self.notes,
            "all": self.candidates.iter().map(cand).collect::<Vec<_>>(),
        })
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        let Some(c) = self.chosen() else {
            return format!("{}: no envelope found\n", self.attestation);
        };
        let of = if self.candidates.len() > 1 {
            format!(
                " ({} of {} envelopes)",
                self.chosen + 1,
                self.candidates.len()
            )
        } else {
            String::new()
        };
        out.push_str(&format!("{}: {}{of}\n", self.attestation, c.origin));
        for k in &c.checks {
            let mark = match k.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::NotChecked => "----",
            };
            out.push_str(&super::report::check_line(mark, k.name, &k.detail));
        }
        for n in &self.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        let no_artifact = c
            .checks
            .iter()
            .any(|k| k.name == "subject" && k.status == Status::NotChecked);
        match c.first_failure() {
            None if no_artifact => out.push_str(
                "verified, but no artifact was checked: give --image SOURCE to check what the \
                 attestation is about\n",
            ),
            None => out.push_str("verified\n"),
            Some(f) => {
                if self.candidates.len() > 1 {
                    out.push_str(&format!(
                        "none of the {} envelopes verified; the closest is shown\n",
                        self.candidates.len()
                    ));
                }
                out.push_str(&super::report::refusal_line(f.code, f.name, &f.detail));
            }
        }
        out
    }

    pub fn render(&self, format: ReportFormat) -> Vec<u8> {
        format.render(|| self.human(), || self.to_json())
    }
}

/// What a file given to `verify` or `verify-bundle` is, to say so when it is the wrong kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A tar or gzip file: an image archive.
    Archive,
    Spdx,
    CycloneDx,
    /// A DSSE envelope without a bundle around it.
    Envelope,
    /// A sigstore bundle.
    Bundle,
    Other,
}

impl InputKind {
    pub fn of(bytes: &[u8]) -> InputKind {
        let tar = bytes.len() >= 262 && &bytes[257..262] == b"ustar";
        if tar || bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            return InputKind::Archive;
        }
        let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(bytes) else {
            return InputKind::Other;
        };
        let is_spdx3 = o
            .get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.starts_with("https://spdx.org/rdf/3"));
        if o.contains_key("spdxVersion") || is_spdx3 {
            InputKind::Spdx
        } else if o.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            InputKind::CycloneDx
        } else if o
            .get("mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
        {
            InputKind::Bundle
        } else if o.contains_key("payloadType") && o.contains_key("signatures") {
            InputKind::Envelope
        } else {
            InputKind::Other
        }
    }

    /// The message when `command` was given this kind of input for another: what the input is and
    /// the command that takes it.
    pub fn misplaced(self, label: &str, command: &str) -> String {
        match self {
            InputKind::Archive => format!(
                "{label} is an archive (an image?), not an attestation: `sbomkit verify \
                 ATTESTATION --key PUB --image {label}` checks an attestation against it, \
                 `sbomkit generate {label}` describes it"
            ),
            InputKind::Spdx | InputKind::CycloneDx => format!(
                "{label} is {} SBOM, not an attestation: `sbomkit attest SOURCE --predicate \
                 {label} --key KEY` signs it",
                if self == InputKind::Spdx {
                    "an SPDX"
                } else {
                    "a CycloneDX"
                }
            ),
            InputKind::Envelope => format!(
                "{label} is a bare DSSE envelope, not a sigstore bundle: `sbomkit verify {label} \
                 --key PUB` checks it"
            ),
            InputKind::Bundle => format!(
                "{label} is a sigstore bundle: `sbomkit verify-bundle --bundle {label} ARTIFACT` \
                 or `sbomkit verify {label}` checks it"
            ),
            InputKind::Other => format!("{label}: not an input `sbomkit {command}` takes"),
        }
    }
}

/// Verifies the attestation in `bytes` (an envelope, a bundle, or JSON Lines of envelopes).
/// `Err` only when the input as a whole cannot be read; each envelope's problems are in the report.
pub fn verify(bytes: &[u8], label: &str, opts: &Options) -> Result<Report, Error> {
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(fail(
            ExitCode::Malformed,
            format!(
                "{label}: larger than the limit of {} MiB",
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    let kind = InputKind::of(bytes);
    if matches!(
        kind,
        InputKind::Archive | InputKind::Spdx | InputKind::CycloneDx
    ) {
        return Err(fail(ExitCode::Malformed, kind.misplaced(label, "verify")));
    }
    let docs: Vec<(String, Result<Value, String>)> = match parse_json(bytes) {
        Ok(v) => vec![(String::new(), Ok(v))],
        Err(whole) => {
            let lines: Vec<(usize, &[u8])> = bytes
                .split(|&b| b == b'\n')
                .enumerate()
                .filter(|(_, l)| l.iter().any(|b| !b.is_ascii_whitespace()))
                .collect();
            let first_is_json = lines
                .first()
                .is_some_and(|(_, l)| matches!(parse_json(l), Ok(Value::Object(_))));
            if lines.len() < 2 || !first_is_json {
                return Err(fail(
                    ExitCode::Malformed,
                    format!("{label}: not a DSSE envelope, sigstore bundle or JSON Lines of envelopes: {whole}"),
                ));
            }
            lines
                .into_iter()
                .map(|(i, l)| {
                    (
                        format!("line {}: ", i + 1),
                        parse_json(l).map_err(|e| format!("not JSON: {e}")),
                    )
                })
                .collect()
        }
    };
    let mut notes = BTreeSet::new();
    let candidates: Vec<Candidate> = docs
        .into_iter()
        .map(|(prefix, doc)| check_document(prefix, doc, opts, &mut notes))
        .collect();
    let chosen = candidates
        .iter()
        .position(Candidate::passed)
        .or_else(|| {
            candidates
                .iter()
                .enumerate()
                .max_by(|(ia, a), (ib, b)| a.progress().cmp(&b.progress()).then(ib.cmp(ia)))
                .map(|(i, _)| i)
        })
        .unwrap_or(0);
    Ok(Report {
        attestation: label.to_string(),
        candidates,
        chosen,
        notes: notes.into_iter().collect(),
    })
}

const AFTER_ENVELOPE: [&str; 6] = [
    "signature",
    "payloadType",
    "statement",
    "subject",
    "predicateType",
    "predicate",
];

fn check_document(
    prefix: String,
    doc: Result<Value, String>,
    opts: &Options,
    notes: &mut BTreeSet<String>,
) -> Candidate {
    let doc = match doc {
        Ok(d) => d,
        Err(e) => {
            let mut c = Candidate::new(format!("{prefix}unreadable"));
            c.push("envelope", Status::Fail, e, Kind::Bundle);
            c.skip_rest(&AFTER_ENVELOPE);
            return c;
        }
    };
    if bundle::is_bundle(&doc) {
        return check_bundle(prefix, &doc, opts, notes);
    }
    let mut c = Candidate::new(format!("{prefix}DSSE envelope"));
    match dsse::parse_envelope(&doc) {
        Ok(env) => {
            c.push(
                "envelope",
                Status::Pass,
                format!(
                    "{} signature(s), payload of {} bytes",
                    env.signatures.len(),
                    env.payload.len()
                ),
                Kind::Bundle,
            );
            check_envelope(&mut c, &env, opts);
        }
        Err(e) => {
            c.push("envelope", Status::Fail, e, Kind::Bundle);
            c.skip_rest(&AFTER_ENVELOPE);
        }
    }
    c
}

/// A sigstore bundle, key-based or keyless, goes through the verification `verify-bundle` makes
/// (`sigstore::verify_value`: signature, certificate, log entries, timestamps), so both commands
/// judge a bundle alike; the subject is then compared with --image, as for any envelope.
fn check_bundle(
    prefix: String,
    doc: &Value,
    opts: &Options,
    notes: &mut BTreeSet<String>,
) -> Candidate {
    let mt = doc
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("no mediaType");
    let material = doc.get("verificationMaterial");
    let keyless = material
        .is_some_and(|m| m.get("certificate").is_some() || m.get("x509CertificateChain").is_some());
    let mut c = Candidate::new(if keyless {
        format!("{prefix}sigstore bundle ({mt}, keyless)")
    } else {
        format!("{prefix}sigstore bundle ({mt})")
    });
    let policy = match (keyless, opts.keyless, opts.key) {
        (true, Some(k), _) => sigstore::Policy::Identity {
            identity: k.identity,
            issuer: k.issuer,
        },
        (_, _, Some(key)) => {
            let hint = material
                .and_then(|m| m.pointer("/publicKey/hint"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !keyless && !hint.is_empty() && hint != key.keyid() {
                notes.insert(format!(
                    "the bundle's key hint `{hint}` is not the keyid of the key given (hints are not authenticated)"
                ));
            }
            sigstore::Policy::Key(key)
        }
        (_, Some(k), None) => sigstore::Policy::Identity {
            identity: k.identity,
            issuer: k.issuer,
        },
        (_, None, None) => {
            c.push(
                "envelope",
                Status::Pass,
                "a sigstore bundle".into(),
                Kind::Bundle,
            );
            c.push(
                "signature",
                Status::Fail,
                "no --key, and no --certificate-identity with --certificate-oidc-issuer, was given"
                    .into(),
                Kind::Signature,
            );
            c.skip_rest(&AFTER_ENVELOPE[1..]);
            return c;
        }
    };
    let sopts = sigstore::Options {
        policy,
        trust: opts.trust,
        artifact: None,
        now: opts.now,
    };
    let verified = match sigstore::verify_value(doc, &sopts) {
        Ok(v) => v,
        Err(f) => {
            let envelope_ok = f.kind != sigstore::Kind::Bundle;
            c.push(
                "envelope",
                if envelope_ok {
                    Status::Pass
                } else {
                    Status::Fail
                },
                if envelope_ok {
                    "well formed".into()
                } else {
                    f.message.clone()
                },
                Kind::Bundle,
            );
            if envelope_ok {
                c.push("signature", Status::Fail, f.to_string(), f.kind);
            }
            c.skip_rest(&AFTER_ENVELOPE[usize::from(envelope_ok)..]);
            return c;
        }
    };
    let Some((payload_type, payload)) = verified.dsse.clone() else {
        c.push(
            "envelope",
            Status::Fail,
            "the bundle holds a message signature, not a DSSE attestation".into(),
            Kind::Bundle,
        );
        c.skip_rest(&AFTER_ENVELOPE);
        return c;
    };
    c.push(
        "envelope",
        Status::Pass,
        format!("1 signature, payload of {} bytes", payload.len()),
        Kind::Bundle,
    );
    c.push(
        "signature",
        Status::Pass,
        verified
            .checks
            .iter()
            .skip(1)
            .map(|(n, d)| format!("{n}: {d}"))
            .collect::<Vec<_>>()
            .join("; "),
        Kind::Signature,
    );
    let env = ParsedEnvelope {
        payload_type,
        payload,
        signatures: Vec::new(),
    };
    check_after_signature(&mut c, &env, opts);
    c
}

fn check_envelope(c: &mut Candidate, env: &ParsedEnvelope, opts: &Options) {
    let Some(key) = opts.key else {
        c.push(
            "signature",
            Status::Fail,
            "not a keyless sigstore bundle, and no --key was given".into(),
            Kind::Signature,
        );
        c.skip_rest(&AFTER_ENVELOPE[1..]);
        return;
    };
    // Signature first: nothing else in the payload is read unless it verifies.
    let pae = dsse::pae(env.payload_type.as_bytes(), &env.payload);
    let key_desc = format!("{} key {}", key.describe(), short(&key.keyid()));
    let good = env
        .signatures
        .iter()
        .position(|(_, s)| s.as_deref().is_some_and(|s| key.verify(&pae, s)));
    match good {
        Some(i) => c.push(
            "signature",
            Status::Pass,
            format!(
                "signature {} of {} verifies over the DSSE PAE with the {key_desc}",
                i + 1,
                env.signatures.len()
            ),
            Kind::Signature,
        ),
        None => {
            let detail = if env.signatures.is_empty() {
                "the envelope has no signatures".to_string()
            } else if env
                .signatures
                .iter()
                .any(|(_, s)| s.as_deref().is_some_and(|s| key.verify(&env.payload, s)))
            {
                "the signature is over the raw payload, not over the DSSE PAE: refused".to_string()
            } else if env.signatures.iter().all(|(_, s)| s.is_none()) {
                "no signature is valid base64".to_string()
            } else {
                format!(
                    "no signature of {} verifies with the {key_desc}",
                    env.signatures.len()
                )
            };
            c.push("signature", Status::Fail, detail, Kind::Signature);
            c.skip_rest(&AFTER_ENVELOPE[1..]);
            return;
        }
    }
    check_after_signature(c, env, opts);
}

/// Everything after a verified signature: payload type, Statement, subject, predicate.
fn check_after_signature(c: &mut Candidate, env: &ParsedEnvelope, opts: &Options) {
    let pt = &env.payload_type;
    let in_toto_variant = pt
        .strip_prefix("application/vnd.in-toto.")
        .and_then(|r| r.strip_suffix("+json"))
        .is_some_and(|m| !m.is_empty());
    if pt == IN_TOTO_PAYLOAD_TYPE || in_toto_variant {
        c.push("payloadType", Status::Pass, pt.clone(), Kind::Bundle);
    } else {
        c.push(
            "payloadType",
            Status::Fail,
            format!("`{pt}` is not {IN_TOTO_PAYLOAD_TYPE}"),
            Kind::Bundle,
        );
        c.skip_rest(&AFTER_ENVELOPE[2..]);
        return;
    }

    let st = match parse_json(&env.payload)
        .map_err(|e| format!("the payload is not JSON: {e}"))
        .and_then(|v| statement::parse(&v))
    {
        Ok(st) => st,
        Err(e) => {
            c.push("statement", Status::Fail, e, Kind::Bundle);
            c.skip_rest(&AFTER_ENVELOPE[3..]);
            return;
        }
    };
    c.push(
        "statement",
        Status::Pass,
        format!("{}, {} subject(s)", st.type_, st.subjects.len()),
        Kind::Bundle,
    );
    c.predicate_type = Some(st.predicate_type.clone());
    c.subjects = st.subjects.clone();
    c.predicate = st.predicate.clone();

    check_subject(c, &st, opts.target);
    check_predicate(c, &st, opts.want_type.as_deref());
}

fn short(hex: &str) -> String {
    format!("sha256:{}…", hex.get(..12).unwrap_or(hex))
}

fn role_name(r: IdentityRole) -> &'static str {
    match r {
        IdentityRole::Manifest => "manifest digest",
        IdentityRole::Config => "config digest",
        IdentityRole::Index => "index digest",
        IdentityRole::File => "file digest",
    }
}

fn check_subject(c: &mut Candidate, st: &Statement, target: Option<&Target>) {
    let Some(t) = target else {
        c.push(
            "subject",
            Status::NotChecked,
            "no --image given: what the attestation describes was not compared".into(),
            Kind::Artifact,
        );
        return;
    };
    let have: Vec<(String, IdentityRole)> = t
        .identities
        .iter()
        .filter(|i| i.digest.starts_with("sha256:"))
        .map(|i| (i.hex().to_ascii_lowercase(), i.role))
        .collect();
    let has_list = if have.is_empty() {
        "no SHA-256 digest at all".to_string()
    } else {
        have.iter()
            .map(|(h, r)| format!("{} sha256:{h}", role_name(*r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if st.subjects.is_empty() {
        c.push(
            "subject",
            Status::Fail,
            "the statement names no subject".into(),
            Kind::Artifact,
        );
        return;
    }
    let mut matched = Vec::new();
    for s in &st.subjects {
        let name = s.name.as_deref().unwrap_or("_");
        let hit = s
            .digests
            .get("sha256")
            .and_then(|d| have.iter().find(|(h, _)| h == d));
        match hit {
            Some((h, r)) => matched.push(format!("{name} sha256:{h} ({})", role_name(*r))),
            None => {
                let what = s.digests.get("sha256").map_or_else(
                    || "has no sha256 digest".to_string(),
                    |d| format!("sha256:{d} is not an identity of it"),
                );
                c.push(
                    "subject",
                    Status::Fail,
                    format!(
                        "the attestation is about another artifact: subject `{name}` {what}; {} has {has_list}",
                        t.label
                    ),
                    Kind::Artifact,
                );
                return;
            }
        }
    }
    c.push(
        "subject",
        Status::Pass,
        format!(
            "every subject is an identity of {}: {}",
            t.label,
            matched.join(", ")
        ),
        Kind::Artifact,
    );
}

fn check_predicate(c: &mut Candidate, st: &Statement, want: Option<&str>) {
    let pt = &st.predicate_type;
    match want {
        None => c.push(
            "predicateType",
            Status::Pass,
            format!("{pt} (any type accepted without --type)"),
            Kind::Predicate,
        ),
        Some(w) if statement::same_family(pt, w) => c.push(
            "predicateType",
            Status::Pass,
            format!("{pt} (matches {w})"),
            Kind::Predicate,
        ),
        Some(w) => {
            c.push(
                "predicateType",
                Status::Fail,
                format!("{pt}, but {w} was asked for"),
                Kind::Predicate,
            );
            c.skip_rest(&["predicate"]);
            return;
        }
    }
    if statement::same_family(pt, statement::POSTURE) {
        let (status, detail) = match st.predicate.as_ref().map(schema::validate_posture) {
            Some(Validation::Valid(d)) => (Status::Pass, d),
            Some(Validation::Invalid(d)) => (Status::Fail, d),
            Some(Validation::NotChecked(d)) => (Status::NotChecked, d),
            None => (Status::Fail, "the statement has no predicate".to_string()),
        };
        c.push("predicate", status, detail, Kind::Predicate);
        return;
    }
    let sbom = [
        statement::SPDX_DOCUMENT,
        statement::SPDX3_DOCUMENT,
        statement::CYCLONEDX_BOM,
    ]
    .iter()
    .any(|f| statement::same_family(pt, f));
    if !sbom {
        c.push(
            "predicate",
            Status::NotChecked,
            "not an SPDX or CycloneDX predicate type: no schema to check".into(),
            Kind::Predicate,
        );
        return;
    }
    let Some(mut p) = st.predicate.as_ref() else {
        c.push(
            "predicate",
            Status::Fail,
            "the statement has no predicate".into(),
            Kind::Predicate,
        );
        return;
    };
    // Before cosign 2.0, short-named types wrapped the SBOM in {"Data":…,"Timestamp":…}.
    if let Some(data) = p
        .get("Data")
        .filter(|_| statement::SbomKind::of(p).is_none())
    {
        p = data;
    }
    let result = match p {
        Value::Object(_) => schema::validate_predicate(pt, p),
        Value::String(_) => Validation::NotChecked(
            "the predicate is text (SPDX tag-value as cosign `--type spdx` writes it): no JSON schema applies".into(),
        ),
        other => Validation::Invalid(format!("the predicate is {}, not an SBOM", kind_of(other))),
    };
    let (status, detail) = match result {
        Validation::Valid(d) => (Status::Pass, d),
        Validation::Invalid(d) => (Status::Fail, d),
        Validation::NotChecked(d) => (Status::NotChecked, d),
    };
    c.push("predicate", status, detail, Kind::Predicate);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, status: Status, detail: &str, code: ExitCode) -> Check {
        Check {
            name,
            status,
            detail: detail.into(),
            code,
        }
    }

    fn report(checks: Vec<Check>) -> Report {
        Report {
            attestation: "a.intoto.json".into(),
            candidates: vec![Candidate {
                origin: "DSSE envelope".into(),
                checks,
                predicate_type: Some(statement::SPDX_DOCUMENT.into()),
                subjects: Vec::new(),
                predicate: Some(json!({"spdxVersion": "SPDX-2.3"})),
            }],
            chosen: 0,
            notes: vec!["one note".into()],
        }
    }

    #[test]
    fn a_passing_report_says_verified() {
        let r = report(vec![
            check("envelope", Status::Pass, "1 signature", ExitCode::Malformed),
            check(
                "subject",
                Status::NotChecked,
                "no --image",
                ExitCode::SubjectMismatch,
            ),
        ]);
        assert_eq!(r.exit_code(), ExitCode::Success);
        assert_eq!(
            r.human(),
            "a.intoto.json: DSSE envelope\n  PASS  envelope       1 signature\n  ----  subject        no --image\n  note: one note\nverified, but no artifact was checked: give --image SOURCE to check what the attestation is about\n"
        );
        let j = r.to_json();
        assert_eq!(j["verified"], true);
        assert_eq!(j["exitCode"], 0);
        assert_eq!(j["checks"][1]["status"], "not checked");
        assert_eq!(
            r.verified_predicate().unwrap(),
            b"{\n  \"spdxVersion\": \"SPDX-2.3\"\n}\n"
        );
    }

    #[test]
    fn a_failing_report_names_the_first_failure_and_its_exit_code() {
        let r = report(vec![
            check("signature", Status::Pass, "ed25519", ExitCode::BadSignature),
            check(
                "subject",
                Status::Fail,
                "sha256:ab is foreign",
                ExitCode::SubjectMismatch,
            ),
            check("predicate", Status::Fail, "invalid", ExitCode::BadPredicate),
        ]);
        assert_eq!(r.exit_code(), ExitCode::SubjectMismatch);
        let text = r.human();
        assert!(
            text.contains("  FAIL  subject        sha256:ab is foreign\n"),
            "{text}"
        );
        assert!(
            text.ends_with("NOT verified (exit 11): subject: sha256:ab is foreign\n"),
            "{text}"
        );
        assert_eq!(r.to_json()["exitCode"], 11);
        assert_eq!(
            r.verified_predicate(),
            None,
            "not verified: nothing to write"
        );
        assert_eq!(r.render(ReportFormat::Text), text.into_bytes());
    }

    #[test]
    fn a_report_without_envelopes_is_malformed() {
        let r = Report {
            attestation: "empty.jsonl".into(),
            candidates: Vec::new(),
            chosen: 0,
            notes: Vec::new(),
        };
        assert_eq!(r.exit_code(), ExitCode::Malformed);
        assert_eq!(r.human(), "empty.jsonl: no envelope found\n");
    }
}
