//! `sbomkit audit`: the posture of an image from the same one-pass scan as `generate`. Who it runs
//! as, which shells, package managers, remote tools and compilers it carries, setuid and setgid
//! files, world-writable paths, file capabilities, private keys, secret-named variables, binary
//! hardening and the config's facts; each finding with its path and layer. `--fail-on` turns
//! rules into a gate ([`crate::ExitCode::GateFailed`]).
//!
//! The report is a versioned JSON document (`schemas/sbomkit/posture-v1.schema.json`, documented
//! in `docs/reports.md`) that `attest --predicate-type posture` can sign.

pub mod caps;
pub mod facts;
pub mod keys;
pub mod text;
pub mod users;

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalog::{phases, Catalogers};
use crate::error::Error;
use crate::model::{IdentityRole, SubjectKind};
use crate::scan::{scan_with, ScanOptions};
use crate::source::{ImageMeta, Progress, SourceSpec};

/// The report's type and version, also the in-toto predicate type of a signed report.
pub const REPORT_TYPE: &str = "https://sbomkit.dev/posture/v1";

/// What a finding is about; the names `--fail-on` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Root,
    Shell,
    PackageManager,
    Setuid,
    WorldWritable,
    Capabilities,
    RemoteTool,
    Compiler,
    PrivateKey,
    SecretEnv,
    NoPie,
    NoNxStack,
    NoRelro,
    NoStackProtector,
    NoFortify,
}

impl Rule {
    pub const ALL: [Rule; 15] = [
        Rule::Root,
        Rule::Shell,
        Rule::PackageManager,
        Rule::Setuid,
        Rule::WorldWritable,
        Rule::Capabilities,
        Rule::RemoteTool,
        Rule::Compiler,
        Rule::PrivateKey,
        Rule::SecretEnv,
        Rule::NoPie,
        Rule::NoNxStack,
        Rule::NoRelro,
        Rule::NoStackProtector,
        Rule::NoFortify,
    ];

    /// A rule about ELF hardening: counted over binaries, listed in [`Hardening`].
    pub fn is_hardening(self) -> bool {
        matches!(
            self,
            Rule::NoPie
                | Rule::NoNxStack
                | Rule::NoRelro
                | Rule::NoStackProtector
                | Rule::NoFortify
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Rule::Root => "root",
            Rule::Shell => "shell",
            Rule::PackageManager => "package-manager",
            Rule::Setuid => "setuid",
            Rule::WorldWritable => "world-writable",
            Rule::Capabilities => "capabilities",
            Rule::RemoteTool => "remote-tool",
            Rule::Compiler => "compiler",
            Rule::PrivateKey => "private-key",
            Rule::SecretEnv => "secret-env",
            Rule::NoPie => "no-pie",
            Rule::NoNxStack => "no-nx-stack",
            Rule::NoRelro => "no-relro",
            Rule::NoStackProtector => "no-stack-protector",
            Rule::NoFortify => "no-fortify",
        }
    }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Rule, String> {
        Rule::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                format!("unknown rule `{s}`; the rules: {}", names.join(", "))
            })
    }
}

/// `--fail-on root,shell`: the rules, each once; `all` names every rule.
pub fn parse_rules(list: &str) -> Result<Vec<Rule>, Error> {
    parse_rule_list(list, &Rule::ALL)
}

/// A comma-separated `--fail-on` list of any gate's rules, each once; `all` names every rule.
pub(crate) fn parse_rule_list<R>(list: &str, all: &[R]) -> Result<Vec<R>, Error>
where
    R: FromStr<Err = String> + Copy + Ord,
{
    let mut rules = Vec::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word {
            "all" => rules.extend_from_slice(all),
            w => rules.push(w.parse().map_err(Error::Usage)?),
        }
    }
    rules.sort();
    rules.dedup();
    Ok(rules)
}

/// An owner, with the names the image's own passwd and group give.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Owner {
    pub uid: u64,
    pub gid: u64,
    pub user: Option<String>,
    pub group: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule: Rule,
    /// The file (`/bin/sh`), or none for a finding about the config.
    pub path: Option<String>,
    /// The layer that last wrote the path (its index); none for a folder source or the config.
    pub layer: Option<usize>,
    /// What was found, for people.
    pub detail: String,
    /// Setuid and setgid files: their owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Files with capabilities: the permitted ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

/// ELF executables and libraries lacking each protection, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hardening {
    /// ELF executables and shared libraries read.
    pub binaries: usize,
    /// Executables linked at a fixed address (`ET_EXEC`).
    pub no_pie: Vec<String>,
    pub no_nx_stack: Vec<String>,
    pub no_relro: Vec<String>,
    pub no_stack_protector: Vec<String>,
    pub no_fortify: Vec<String>,
}

/// The user the image runs as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub configured: String,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub name: Option<String>,
    pub group: Option<String>,
    pub root: bool,
}

/// The base image, from the `org.opencontainers.image.base.*` annotations (or labels).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaseImage {
    pub name: Option<String>,
    pub digest: Option<String>,
}

/// The config's facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    /// `ExposedPorts`, as `80/tcp`.
    pub exposed_ports: Vec<String>,
    /// Names of the `Env` entries; values are never read out.
    pub env: Vec<String>,
    pub created: Option<String>,
    pub base_image: Option<BaseImage>,
}

/// One layer, bottom first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub index: usize,
    pub diff_id: String,
    pub digest: Option<String>,
    pub size: u64,
}

/// What was audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub name: String,
    /// `image`, `directory` or `file`.
    pub kind: String,
    /// `manifest`, `config`, ... → `sha256:<hex>`.
    pub digests: BTreeMap<String, String>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub report_type: String,
    pub subject: Subject,
    /// None without an image config (a folder, a root filesystem archive).
    pub user: Option<User>,
    pub config: Option<Config>,
    pub layers: Vec<Layer>,
    /// Sorted by rule, then path.
    pub findings: Vec<Finding>,
    /// Every rule → how many findings (hardening rules: how many binaries).
    pub counts: BTreeMap<String, usize>,
    pub hardening: Hardening,
    /// `--fail-on`, and the rules of it that tripped.
    pub fail_on: Vec<Rule>,
    pub tripped: Vec<Rule>,
    /// Problems met (a passwd too large, a capability attribute of garbage, a link loop).
    pub warnings: Vec<String>,
}

impl Report {
    /// The count of a rule.
    pub fn count(&self, rule: Rule) -> usize {
        self.counts.get(rule.name()).copied().unwrap_or(0)
    }

    /// The pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[derive(Deserialize, Default)]
struct ConfigJson {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    config: Option<ContainerConfig>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ContainerConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// Whether an environment variable's name says it holds a secret.
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        [
            "SECRET",
            "TOKEN",
            "PASSWORD",
            "PASSWD",
            "CREDENTIAL",
            "CREDENTIALS",
        ]
        .iter()
        .any(|s| w.contains(s))
            || w == "KEY"
            || w.ends_with("APIKEY")
            || w.ends_with("KEY") && w.len() > 3 && w.starts_with("ACCESS")
    })
}

/// Audits `spec`: one scan with the registered catalogers and the posture one.
pub fn audit(
    spec: &SourceSpec,
    opts: &ScanOptions,
    fail_on: &[Rule],
    progress: &dyn Progress,
) -> Result<Report, Error> {
    audit_subject(spec, opts, fail_on, progress).map(|(report, _)| report)
}

/// [`audit`], with the subject the scan described (its digests are what a signed report is about).
pub fn audit_subject(
    spec: &SourceSpec,
    opts: &ScanOptions,
    fail_on: &[Rule],
    progress: &dyn Progress,
) -> Result<(Report, crate::model::Subject), Error> {
    audit_sbom(spec, opts, fail_on, progress).map(|(report, sbom)| (report, sbom.subject))
}

/// [`audit`], with the SBOM of the same scan (`diff` compares both).
pub fn audit_sbom(
    spec: &SourceSpec,
    opts: &ScanOptions,
    fail_on: &[Rule],
    progress: &dyn Progress,
) -> Result<(Report, crate::model::Sbom), Error> {
    let posture = facts::Posture::default();
    let mut all = phases();
    all.last_mut()
        .expect("phases are never empty")
        .push(Box::new(posture.clone()));
    let (sbom, _, image) = scan_with(spec, opts, progress, &Catalogers::new(all))?;
    let collected = posture.collected();
    let report = report(&sbom, image.as_ref(), collected, fail_on);
    Ok((report, sbom))
}

fn report(
    sbom: &crate::model::Sbom,
    image: Option<&ImageMeta>,
    collected: facts::Collected,
    fail_on: &[Rule],
) -> Report {
    let mut warnings = collected.warnings;
    let mut findings = collected.findings;
    let parsed: Option<ConfigJson> = image.map(|i| {
        serde_json::from_slice(&i.config).unwrap_or_else(|e| {
            warnings.push(format!("the image config: {e}: its facts are not read"));
            ConfigJson::default()
        })
    });
    let container = parsed.as_ref().and_then(|c| c.config.as_ref());
    let user = parsed.as_ref().map(|_| {
        let configured = container.and_then(|c| c.user.clone()).unwrap_or_default();
        let run = users::resolve(&configured, &collected.passwd, &collected.group);
        warnings.extend(
            run.problems
                .iter()
                .map(|p| format!("the config's User: {p}")),
        );
        User {
            configured: run.configured,
            uid: run.uid,
            gid: run.gid,
            name: run.name,
            group: run.group,
            root: run.root,
        }
    });
    if let Some(u) = user.as_ref().filter(|u| u.root) {
        let said = match u.configured.as_str() {
            "" => "no User in the config: runs as root".to_string(),
            c => format!("User `{c}` is uid 0"),
        };
        findings.push(Finding {
            rule: Rule::Root,
            path: None,
            layer: None,
            detail: said,
            owner: None,
            capabilities: None,
        });
    }
    let env: Vec<String> = container
        .and_then(|c| c.env.as_ref())
        .map(|e| {
            e.iter()
                .map(|kv| {
                    kv.split_once('=')
                        .map_or(kv.as_str(), |(k, _)| k)
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    for name in env.iter().filter(|n| secret_name(n)) {
        findings.push(Finding {
            rule: Rule::SecretEnv,
            path: None,
            layer: None,
            detail: format!("Env {name}"),
            owner: None,
            capabilities: None,
        });
    }
    let config = parsed.as_ref().map(|p| {
        let labels = container.and_then(|c| c.labels.clone()).unwrap_or_default();
        let base = |key: &str| {
            image
                .and_then(|i| i.annotations.get(key))
                .or_else(|| labels.get(key))
                .cloned()
        };
        let base_image = BaseImage {
            name: base("org.opencontainers.image.base.name"),
            digest: base("org.opencontainers.image.base.digest"),
        };
        Config {
            entrypoint: container.and_then(|c| c.entrypoint.clone()),
            cmd: container.and_then(|c| c.cmd.clone()),
            working_dir: container
                .and_then(|c| c.working_dir.clone())
                .filter(|w| !w.is_empty()),
            exposed_ports: container
                .and_then(|c| c.exposed_ports.as_ref())
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default(),
            env: env.clone(),
            created: p.created.clone(),
            base_image: (base_image != BaseImage::default()).then_some(base_image),
        }
    });
    findings.sort();
    findings.dedup();
    let hardening = collected.hardening;
    let mut counts: BTreeMap<String, usize> = Rule::ALL
        .iter()
        .map(|r| (r.name().to_string(), 0))
        .collect();
    for f in &findings {
        *counts.entry(f.rule.name().to_string()).or_default() += 1;
    }
    for (rule, list) in [
        (Rule::NoPie, &hardening.no_pie),
        (Rule::NoNxStack, &hardening.no_nx_stack),
        (Rule::NoRelro, &hardening.no_relro),
        (Rule::NoStackProtector, &hardening.no_stack_protector),
        (Rule::NoFortify, &hardening.no_fortify),
    ] {
        counts.insert(rule.name().to_string(), list.len());
    }
    let tripped = fail_on
        .iter()
        .copied()
        .filter(|r| counts.get(r.name()).copied().unwrap_or(0) > 0)
        .collect();
    let subject = &sbom.subject;
    Report {
        report_type: REPORT_TYPE.to_string(),
        subject: Subject {
            name: subject.name.clone(),
            kind: match subject.kind {
                SubjectKind::Image => "image",
                SubjectKind::Directory => "directory",
                SubjectKind::File => "file",
            }
            .to_string(),
            digests: subject
                .identities
                .iter()
                .map(|i| {
                    let role = match i.role {
                        IdentityRole::Manifest => "manifest",
                        IdentityRole::Config => "config",
                        IdentityRole::Index => "index",
                        IdentityRole::File => "file",
                    };
                    (role.to_string(), i.digest.clone())
                })
                .collect(),
        },
        user,
        config,
        layers: subject
            .layers
            .iter()
            .map(|l| Layer {
                index: l.index,
                diff_id: l.diff_id.clone(),
                digest: l.digest.clone(),
                size: l.size,
            })
            .collect(),
        findings,
        counts,
        hardening,
        fail_on: fail_on.to_vec(),
        tripped,
        warnings: {
            let mut w = sbom.warnings.clone();
            w.extend(warnings);
            w
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_told_by_their_words() {
        for n in [
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "API_KEY",
            "APIKEY",
            "mysql_root_password",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in ["PATH", "HOME", "KEYBOARD", "PWD", "LANG", "MONKEY_BUSINESS"] {
            assert!(!secret_name(n), "{n}");
        }
    }

    #[test]
    fn rules_parse_by_name_and_all() {
        assert_eq!(
            parse_rules("shell, root,shell").unwrap(),
            [Rule::Root, Rule::Shell]
        );
        assert_eq!(parse_rules("all").unwrap(), Rule::ALL);
        assert!(parse_rules("shel").is_err());
    }
}
