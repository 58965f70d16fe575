//! `sbomkit diff`: what changed between two images or SBOMs. Each side is a source `generate`
//! takes (scanned here) or an SBOM in any format [`crate::read`] reads, told apart by content.
//! Packages are matched by purl without version, qualifiers and subpath, then by type and name;
//! several candidates left on both sides are reported as ambiguous, never paired by guess. A
//! matched pair is an upgrade or a downgrade only when its ecosystem's version order
//! ([`version::Scheme`]) places the two versions; otherwise it is "changed". The images (or the
//! documents' described roots) are the subjects compared, named in the report's header. Two
//! scanned images also get the changes of `audit`'s posture findings.
//!
//! The report is a versioned JSON document (`schemas/sbomkit/diff-v1.schema.json`, documented in
//! `docs/reports.md`); `--fail-on` turns kinds of change into a gate
//! ([`crate::ExitCode::GateFailed`]).

pub mod text;
pub mod version;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::model::{IdentityRole, Package, RelationshipKind, Sbom, SubjectKind};
use crate::posture;
use crate::read::{self, DocFormat};
use crate::scan::ScanOptions;
use crate::source::{Progress, SourceSpec};

/// The report's type and version.
pub const REPORT_TYPE: &str = "https://sbomkit.dev/diff/v1";

/// A kind of change; also the names `--fail-on` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    Upgraded,
    Downgraded,
    /// A new version where no order is known (an ecosystem without one, or a version its
    /// scheme cannot parse).
    Changed,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Upgraded => "upgraded",
            ChangeKind::Downgraded => "downgraded",
            ChangeKind::Changed => "changed",
        }
    }
}

/// What `--fail-on` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Added,
    Removed,
    Upgraded,
    Downgraded,
    Changed,
    Ambiguous,
    /// A posture finding appeared (two scanned images only).
    Posture,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Added,
        Rule::Removed,
        Rule::Upgraded,
        Rule::Downgraded,
        Rule::Changed,
        Rule::Ambiguous,
        Rule::Posture,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Added => "added",
            Rule::Removed => "removed",
            Rule::Upgraded => "upgraded",
            Rule::Downgraded => "downgraded",
            Rule::Changed => "changed",
            Rule::Ambiguous => "ambiguous",
            Rule::Posture => "posture",
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
                format!("unknown rule `{s}`; the rules: {}, all", names.join(", "))
            })
    }
}

/// `--fail-on added,downgraded`: the rules, each once; `all` names every rule.
pub fn parse_rules(list: &str) -> Result<Vec<Rule>, Error> {
    crate::posture::parse_rule_list(list, &Rule::ALL)
}

/// The layer a package came from, as far as its side says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerRef {
    /// Bottom first; none when the document names the layer only by digest.
    pub index: Option<usize>,
    /// The layer's diff_id (sbomkit, Trivy) or the digest the tool names it by (Syft's layerID).
    pub digest: Option<String>,
}

/// One package on one side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version: String,
    pub purl: Option<String>,
    /// None: the side does not say.
    pub layer: Option<LayerRef>,
}

/// A package added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub ecosystem: String,
    pub name: String,
    pub change: ChangeKind,
    pub old: Option<Version>,
    pub new: Option<Version>,
    /// For `changed`: why no order was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Packages of one identity that could not be paired: several candidates on both sides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ambiguous {
    pub ecosystem: String,
    pub name: String,
    /// What they were matched on: a purl without version, or `TYPE/NAME`.
    pub key: String,
    pub old: Vec<Version>,
    pub new: Vec<Version>,
}

/// Counts of one ecosystem (or all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    pub upgraded: usize,
    pub downgraded: usize,
    pub changed: usize,
    pub ambiguous: usize,
    pub unchanged: usize,
}

impl Counts {
    fn add(&mut self, kind: ChangeKind) {
        match kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Removed => self.removed += 1,
            ChangeKind::Upgraded => self.upgraded += 1,
            ChangeKind::Downgraded => self.downgraded += 1,
            ChangeKind::Changed => self.changed += 1,
        }
    }
}

/// One side of the comparison: what it is and what it names as its subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// The argument as given.
    pub source: String,
    /// `scan`, or the document's format (`SPDX 2.3`, `CycloneDX 1.6`).
    pub read_as: String,
    /// The subject: the image or the document's described root.
    pub name: String,
    pub version: Option<String>,
    /// `image`, `directory`, `file`, or `document` for an SBOM without a root.
    pub kind: String,
    /// Identities of the subject: `manifest`, `config`, `index`, `file` or a hash algorithm →
    /// `sha256:<hex>`; `purl` → the root's purl.
    pub digests: BTreeMap<String, String>,
    /// Packages compared (the subject and removed packages not among them).
    pub packages: usize,
    /// The layers' diff_ids, bottom first (scans and sbomkit's own documents).
    pub layers: Vec<String>,
}

/// A posture finding as compared: the layer is not part of its identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostureFinding {
    pub rule: String,
    pub path: Option<String>,
    pub detail: String,
    /// The layer that wrote it on its side.
    pub layer: Option<usize>,
}

/// How the posture of two scanned images differs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostureChanges {
    /// Findings of the new image the old one did not have (ELF hardening per binary too).
    pub appeared: Vec<PostureFinding>,
    /// Findings of the old image the new one no longer has.
    pub disappeared: Vec<PostureFinding>,
    /// The user each runs as, when it changed: `configured` (uid, root).
    pub user: Option<UserChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserChange {
    pub old: Option<posture::User>,
    pub new: Option<posture::User>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub report_type: String,
    pub old: Side,
    pub new: Side,
    pub summary: Counts,
    /// Ecosystem (purl type, else the package kind) → its counts.
    pub ecosystems: BTreeMap<String, Counts>,
    /// Sorted by ecosystem, name, change.
    pub changes: Vec<Change>,
    pub ambiguous: Vec<Ambiguous>,
    /// Two scanned images only.
    pub posture: Option<PostureChanges>,
    pub fail_on: Vec<Rule>,
    pub tripped: Vec<Rule>,
    pub warnings: Vec<String>,
}

impl Report {
    /// The pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A side loaded: the model, where its packages' layers came from, and for a scan the posture.
pub struct Loaded {
    pub side: Side,
    pub sbom: Sbom,
    /// Package id → its layer, where the side says.
    pub layers: BTreeMap<String, LayerRef>,
    /// Package ids that are not packages of the subject: the subject itself (an SPDX
    /// document's described root) and CycloneDX `file` components.
    pub excluded: BTreeSet<String>,
    pub posture: Option<posture::Report>,
    pub warnings: Vec<String>,
}

/// Whether `path` opens like a JSON document: the first non-blank byte is `{`.
fn looks_like_json(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    if f.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Loads one side: an SBOM when the file's content is JSON, else a source scanned with the
/// registered catalogers and `audit`'s.
pub fn load(arg: &str, opts: &ScanOptions, progress: &dyn Progress) -> Result<Loaded, Error> {
    let spec = SourceSpec::parse(arg);
    if spec.kind.is_none() && spec.path.is_file() && looks_like_json(&spec.path) {
        let doc = read::read_file(&spec.path).map_err(|e| {
            Error::Other(format!(
                "{e} (diff takes an SBOM in SPDX 2.2/2.3, SPDX 3.0.1 or CycloneDX 1.4-1.7 JSON, or a source generate takes)"
            ))
        })?;
        return Ok(from_document(arg, doc));
    }
    let (report, sbom) = posture::audit_sbom(&spec, opts, &[], progress)?;
    let layers = sbom
        .packages
        .iter()
        .filter_map(|p| {
            let index = p.layer?;
            let digest = sbom
                .subject
                .layers
                .iter()
                .find(|l| l.index == index)
                .map(|l| l.diff_id.clone());
            Some((
                p.id.clone(),
                LayerRef {
                    index: Some(index),
                    digest,
                },
            ))
        })
        .collect();
    let subject = &sbom.subject;
    let side = Side {
        source: arg.to_string(),
        read_as: "scan".into(),
        name: subject.name.clone(),
        version: subject.version.clone(),
        kind: match subject.kind {
            SubjectKind::Image => "image",
            SubjectKind::Directory => "directory",
            SubjectKind::File => "file",
        }
        .into(),
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
        packages: 0,
        layers: subject.layers.iter().map(|l| l.diff_id.clone()).collect(),
    };
    let warnings = report.warnings.clone();
    Ok(Loaded {
        side,
        sbom,
        layers,
        excluded: BTreeSet::new(),
        posture: Some(report),
        warnings,
    })
}

fn str_at<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// `sbomkit:layer: 0 sha256:…` lines (sbomkit's SPDX annotations and comments).
fn sbomkit_layer_line(text: &str) -> Option<LayerRef> {
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("sbomkit:layer:")?.trim();
        let (index, digest) = rest.split_once(' ')?;
        Some(LayerRef {
            index: index.parse().ok(),
            digest: Some(digest.trim().to_string()).filter(|d| d.starts_with("sha256:")),
        })
    })
}

/// `sbomkit:image:layer: 0 sha256:…` lines: the image's layers, on sbomkit's SPDX root.
fn image_layer_lines(text: &str, out: &mut BTreeMap<usize, String>) {
    for l in text.lines() {
        if let Some((i, d)) = l
            .trim()
            .strip_prefix("sbomkit:image:layer:")
            .and_then(|r| r.trim().split_once(' '))
        {
            if let Ok(i) = i.parse() {
                out.insert(i, d.trim().to_string());
            }
        }
    }
}

/// What a document says of a package's layer: sbomkit's `sbomkit:layer`/`sbomkit:layer-index`,
/// Trivy's `aquasecurity:trivy:LayerDiffID`, Syft's `syft:location:N:layerID`.
fn property_layer(p: &Package) -> Option<LayerRef> {
    let props = &p.properties;
    if let Some(d) = props.get("sbomkit:layer") {
        return Some(LayerRef {
            index: props
                .get("sbomkit:layer-index")
                .and_then(|i| i.parse().ok()),
            digest: Some(d.clone()),
        });
    }
    if let Some(d) = props.get("aquasecurity:trivy:LayerDiffID") {
        return Some(LayerRef {
            index: None,
            digest: Some(d.clone()),
        });
    }
    props
        .iter()
        .find(|(k, _)| k.starts_with("syft:location:") && k.ends_with(":layerID"))
        .map(|(_, d)| LayerRef {
            index: None,
            digest: Some(d.clone()),
        })
}

fn from_document(arg: &str, doc: read::Document) -> Loaded {
    let mut layers: BTreeMap<String, LayerRef> = BTreeMap::new();
    for p in &doc.sbom.packages {
        if let Some(l) = property_layer(p) {
            layers.insert(p.id.clone(), l);
        }
    }
    let mut roots = BTreeSet::new();
    let mut digests = BTreeMap::new();
    let mut name = doc.sbom.subject.name.clone();
    let mut version = doc.sbom.subject.version.clone();
    let mut kind = match doc.sbom.subject.kind {
        SubjectKind::File => "file",
        _ => "document",
    }
    .to_string();
    let mut diff_ids = Vec::new();
    let mut image_layers: BTreeMap<usize, String> = BTreeMap::new();
    match &doc.format {
        DocFormat::Spdx2(_) => {
            // sbomkit writes the layer as an annotation (and a comment line).
            for p in doc
                .json
                .get("packages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(id) = str_at(p, "SPDXID") else {
                    continue;
                };
                let texts = p
                    .get("annotations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| str_at(a, "comment"))
                    .chain(str_at(p, "comment"));
                for t in texts {
                    image_layer_lines(t, &mut image_layers);
                    if let Some(l) = sbomkit_layer_line(t) {
                        layers.entry(id.to_string()).or_insert(l);
                    }
                }
            }
        }
        DocFormat::Spdx3(_) => {
            for e in doc
                .json
                .get("@graph")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = str_at(e, "spdxId").or(str_at(e, "@id"));
                if let (Some(id), Some(c)) = (id, str_at(e, "comment")) {
                    image_layer_lines(c, &mut image_layers);
                    if let Some(l) = sbomkit_layer_line(c) {
                        layers.entry(id.to_string()).or_insert(l);
                    }
                }
            }
        }
        DocFormat::CycloneDx(_) => {
            // A `file` component is a file, not a package (sbomkit lists binaries so).
            let mut stack: Vec<&Value> = doc
                .json
                .get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            let mut n = 0usize;
            while let Some(c) = stack.pop() {
                n += 1;
                if n > 1_000_000 {
                    break;
                }
                if str_at(c, "type") == Some("file") {
                    if let Some(r) = str_at(c, "bom-ref") {
                        roots.insert(r.to_string());
                    }
                }
                stack.extend(
                    c.get("components")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                );
            }
            let root = doc.json.get("metadata").and_then(|m| m.get("component"));
            if let Some(r) = root {
                kind = match str_at(r, "type") {
                    Some("container") => "image",
                    Some(t) => t,
                    None => "document",
                }
                .to_string();
                for h in r
                    .get("hashes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let (Some(alg), Some(c)) = (str_at(h, "alg"), str_at(h, "content")) {
                        digests.insert(
                            alg.to_ascii_lowercase().replace('-', ""),
                            c.to_ascii_lowercase(),
                        );
                    }
                }
                if let Some(p) = str_at(r, "purl") {
                    digests.insert("purl".into(), p.to_string());
                }
                for prop in r
                    .get("properties")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    match (str_at(prop, "name"), str_at(prop, "value")) {
                        (Some("sbomkit:image:manifest-digest"), Some(v)) => {
                            digests.insert("manifest".into(), v.to_string());
                        }
                        (
                            Some("sbomkit:image:config-digest" | "aquasecurity:trivy:ImageID"),
                            Some(v),
                        ) => {
                            digests.insert("config".into(), v.to_string());
                        }
                        (Some("aquasecurity:trivy:RepoDigest"), Some(v)) => {
                            digests.insert("repo-digest".into(), v.to_string());
                        }
                        (Some("aquasecurity:trivy:DiffID"), Some(v)) => {
                            diff_ids.push(v.to_string())
                        }
                        (Some("sbomkit:image:layer"), Some(v)) => image_layer_lines(
                            &format!("sbomkit:image:layer: {v}"),
                            &mut image_layers,
                        ),
                        _ => {}
                    }
                }
            }
        }
    }
    // An SPDX document describes its root as a package: a described element that contains
    // other packages is the subject (the image), not a package of it.
    if matches!(doc.format, DocFormat::Spdx2(_) | DocFormat::Spdx3(_)) {
        let described: Vec<&str> = doc
            .sbom
            .relationships
            .iter()
            .filter(|r| {
                r.from == crate::model::Relationship::SUBJECT
                    && r.kind == RelationshipKind::Contains
            })
            .map(|r| r.to.as_str())
            .collect();
        let contains_something = |id: &str| {
            doc.sbom
                .relationships
                .iter()
                .any(|r| r.from == id && r.kind == RelationshipKind::Contains && r.to != id)
        };
        for d in described {
            if contains_something(d) {
                roots.insert(d.to_string());
            }
        }
        if roots.len() == 1 {
            if let Some(root) = roots.iter().next().and_then(|id| doc.sbom.package(id)) {
                name = root.name.clone();
                version = Some(root.version.clone()).filter(|v| !v.is_empty());
                kind = match root.kind.purpose {
                    crate::model::Purpose::OperatingSystem => "operating-system",
                    _ => "image",
                }
                .into();
                for c in &root.checksums {
                    digests.insert(format!("{:?}", c.alg).to_ascii_lowercase(), c.value.clone());
                }
                if let Some(p) = &root.purl {
                    digests.insert("purl".into(), p.to_string());
                }
            }
        }
    }
    // sbomkit's own documents list the image's layers on the subject; else the layers the
    // packages name are all that is known.
    if diff_ids.is_empty() {
        diff_ids = image_layers.into_values().collect();
    }
    let mut seen: BTreeMap<usize, String> = BTreeMap::new();
    for l in layers.values() {
        if let (Some(i), Some(d)) = (l.index, &l.digest) {
            seen.entry(i).or_insert_with(|| d.clone());
        }
    }
    if diff_ids.is_empty() {
        diff_ids = seen.into_values().collect();
    }
    Loaded {
        side: Side {
            source: arg.to_string(),
            read_as: doc.format.label(),
            name,
            version,
            kind,
            digests,
            packages: 0,
            layers: diff_ids,
        },
        sbom: doc.sbom,
        layers,
        excluded: roots,
        posture: None,
        warnings: Vec::new(),
    }
}

/// A package of one side, ready to match.
#[derive(Debug, Clone)]
struct Entry {
    ecosystem: String,
    name: String,
    /// `pkg:TYPE/NAMESPACE/NAME`, decoded, without version, qualifiers or subpath.
    purl_key: Option<String>,
    /// `TYPE/NAME`, the name in lower case.
    name_key: String,
    version: String,
    /// The version as its scheme orders it (RPM: with the purl's epoch).
    ordered: String,
    purl: Option<String>,
    layer: Option<LayerRef>,
}

impl Entry {
    fn view(&self) -> Version {
        Version {
            version: self.version.clone(),
            purl: self.purl.clone(),
            layer: self.layer.clone(),
        }
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `(key, version, qualifiers)` of a purl.
fn purl_parts(purl: &str) -> Option<(String, Option<String>, BTreeMap<String, String>)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (rest, quals) = match rest.split_once('?') {
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let (ty, path) = rest.split_once('/')?;
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    let (path, version) = match path[last_slash..].rfind('@') {
        Some(at) => (
            &path[..last_slash + at],
            Some(decode(&path[last_slash + at + 1..])),
        ),
        None => (path, None),
    };
    let ty = ty.to_ascii_lowercase();
    let mut segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    if ty == "pypi" {
        if let Some(n) = segments.last_mut() {
            *n = pypi_name(n);
        }
    }
    let qualifiers = quals
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
        .collect();
    Some((
        format!("pkg:{ty}/{}", segments.join("/")),
        version,
        qualifiers,
    ))
}

/// PEP 503's normalised name.
fn pypi_name(n: &str) -> String {
    let mut out = String::new();
    for c in n.chars() {
        match c {
            '-' | '_' | '.' => {
                if !out.ends_with('-') {
                    out.push('-');
                }
            }
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn entries(loaded: &Loaded) -> Vec<Entry> {
    loaded
        .sbom
        .packages
        .iter()
        .filter(|p| p.removed_in.is_none() && !loaded.excluded.contains(&p.id))
        .map(|p| {
            let parts = p.purl.as_deref().and_then(purl_parts);
            let ty = p
                .purl
                .as_ref()
                .map(|u| u.purl_type().to_ascii_lowercase())
                .or(p.kind.purl_type.map(str::to_string))
                .unwrap_or_else(|| {
                    // Trivy's SPDX names the OS only by its id (SPDX 2.2 has no purpose).
                    match p.kind.purpose == crate::model::Purpose::OperatingSystem
                        || p.id.starts_with("SPDXRef-OperatingSystem")
                    {
                        true => "os".to_string(),
                        false => p.kind.name.to_string(),
                    }
                });
            let version = match (p.version.is_empty(), &parts) {
                (true, Some((_, Some(v), _))) => v.clone(),
                _ => p.version.clone(),
            };
            let ordered = match (&parts, ty.as_str()) {
                (Some((_, _, q)), "rpm") if !version.contains(':') => match q.get("epoch") {
                    Some(e) if e != "0" => format!("{e}:{version}"),
                    _ => version.clone(),
                },
                _ => version.clone(),
            };
            let name_key = match ty.as_str() {
                "pypi" => pypi_name(&p.name),
                _ => p.name.to_lowercase(),
            };
            Entry {
                name_key: format!("{ty}/{name_key}"),
                ecosystem: ty,
                name: p.name.clone(),
                purl_key: parts.map(|(k, _, _)| k),
                version,
                ordered,
                purl: p.purl.as_ref().map(|u| u.to_string()),
                layer: loaded.layers.get(&p.id).cloned().map(|mut l| {
                    // A document naming the layer by diff_id: its place among the side's layers.
                    if l.index.is_none() {
                        l.index = l
                            .digest
                            .as_ref()
                            .and_then(|d| loaded.side.layers.iter().position(|x| x == d));
                    }
                    l
                }),
            }
        })
        .collect()
}

/// The outcome of matching one key's candidates.
#[derive(Default)]
struct Matched {
    pairs: Vec<(Entry, Entry)>,
    old_left: Vec<Entry>,
    new_left: Vec<Entry>,
    ambiguous: Vec<Ambiguous>,
}

/// Pairs candidates sharing a key: equal versions first (no guess there), then one against one;
/// what stays on one side only is left over, several on both sides are ambiguous.
fn match_group(key: &str, mut old: Vec<Entry>, mut new: Vec<Entry>, out: &mut Matched) {
    old.sort_by(|a, b| a.version.cmp(&b.version));
    new.sort_by(|a, b| a.version.cmp(&b.version));
    let mut rest_old = Vec::new();
    for o in old {
        match new.iter().position(|n| n.version == o.version) {
            Some(i) => {
                let n = new.remove(i);
                out.pairs.push((o, n));
            }
            None => rest_old.push(o),
        }
    }
    match (rest_old.len(), new.len()) {
        (0, _) => out.new_left.extend(new),
        (_, 0) => out.old_left.extend(rest_old),
        (1, 1) => out.pairs.push((rest_old.remove(0), new.remove(0))),
        _ => out.ambiguous.push(Ambiguous {
            ecosystem: rest_old[0].ecosystem.clone(),
            name: rest_old[0].name.clone(),
            key: key.to_string(),
            old: rest_old.iter().map(Entry::view).collect(),
            new: new.iter().map(Entry::view).collect(),
        }),
    }
}

/// Candidates by key: old and new.
type Groups = BTreeMap<String, (Vec<Entry>, Vec<Entry>)>;

fn group_by<F: Fn(&Entry) -> Option<String>>(
    old: Vec<Entry>,
    new: Vec<Entry>,
    key: F,
) -> (Groups, Vec<Entry>, Vec<Entry>) {
    let mut groups = Groups::new();
    let (mut old_rest, mut new_rest) = (Vec::new(), Vec::new());
    for e in old {
        match key(&e) {
            Some(k) => groups.entry(k).or_default().0.push(e),
            None => old_rest.push(e),
        }
    }
    for e in new {
        match key(&e) {
            Some(k) => groups.entry(k).or_default().1.push(e),
            None => new_rest.push(e),
        }
    }
    (groups, old_rest, new_rest)
}

/// Matches two sides' packages: by purl key where both have one, then what is left by type
/// and name.
fn match_all(old: Vec<Entry>, new: Vec<Entry>) -> Matched {
    let mut out = Matched::default();
    let (groups, mut old_rest, mut new_rest) = group_by(old, new, |e| e.purl_key.clone());
    let mut first = Matched::default();
    for (k, (o, n)) in groups {
        match_group(&k, o, n, &mut first);
    }
    out.pairs = first.pairs;
    out.ambiguous = first.ambiguous;
    old_rest.extend(first.old_left);
    new_rest.extend(first.new_left);
    let (groups, _, _) = group_by(old_rest, new_rest, |e| Some(e.name_key.clone()));
    for (k, (o, n)) in groups {
        match_group(&k, o, n, &mut out);
    }
    out
}

fn classify(o: &Entry, n: &Entry) -> Option<(ChangeKind, Option<String>)> {
    if o.version == n.version {
        return None;
    }
    let eco = n.ecosystem.as_str();
    let Some(scheme) = version::Scheme::for_type(eco) else {
        return Some((
            ChangeKind::Changed,
            Some(format!("no version order is known for `{eco}`")),
        ));
    };
    match scheme.compare(&o.ordered, &n.ordered) {
        Some(std::cmp::Ordering::Less) => Some((ChangeKind::Upgraded, None)),
        Some(std::cmp::Ordering::Greater) => Some((ChangeKind::Downgraded, None)),
        Some(std::cmp::Ordering::Equal) => None,
        None => Some((
            ChangeKind::Changed,
            Some(format!(
                "`{eco}`'s version order does not place `{}` against `{}`",
                o.version, n.version
            )),
        )),
    }
}

/// The findings of a posture report as compared: hardening lists become one finding per binary.
fn posture_findings(r: &posture::Report) -> Vec<PostureFinding> {
    let mut out: Vec<PostureFinding> = r
        .findings
        .iter()
        .map(|f| PostureFinding {
            rule: f.rule.name().to_string(),
            path: f.path.clone(),
            detail: f.detail.clone(),
            layer: f.layer,
        })
        .collect();
    let h = &r.hardening;
    for (rule, list) in [
        (posture::Rule::NoPie, &h.no_pie),
        (posture::Rule::NoNxStack, &h.no_nx_stack),
        (posture::Rule::NoRelro, &h.no_relro),
        (posture::Rule::NoStackProtector, &h.no_stack_protector),
        (posture::Rule::NoFortify, &h.no_fortify),
    ] {
        out.extend(list.iter().map(|p| PostureFinding {
            rule: rule.name().to_string(),
            path: Some(p.clone()),
            detail: rule.name().to_string(),
            layer: None,
        }));
    }
    out
}

fn posture_changes(old: &posture::Report, new: &posture::Report) -> PostureChanges {
    let key = |f: &PostureFinding| (f.rule.clone(), f.path.clone(), f.detail.clone());
    let old_f = posture_findings(old);
    let new_f = posture_findings(new);
    let old_keys: BTreeSet<_> = old_f.iter().map(key).collect();
    let new_keys: BTreeSet<_> = new_f.iter().map(key).collect();
    let mut appeared: Vec<_> = new_f
        .into_iter()
        .filter(|f| !old_keys.contains(&key(f)))
        .collect();
    let mut disappeared: Vec<_> = old_f
        .into_iter()
        .filter(|f| !new_keys.contains(&key(f)))
        .collect();
    appeared.sort();
    appeared.dedup();
    disappeared.sort();
    disappeared.dedup();
    let user = (old.user != new.user).then(|| UserChange {
        old: old.user.clone(),
        new: new.user.clone(),
    });
    PostureChanges {
        appeared,
        disappeared,
        user,
    }
}

/// Compares two loaded sides.
pub fn compare(mut old: Loaded, mut new: Loaded, fail_on: &[Rule]) -> Report {
    let old_e = entries(&old);
    let new_e = entries(&new);
    old.side.packages = old_e.len();
    new.side.packages = new_e.len();
    let matched = match_all(old_e, new_e);
    let mut changes = Vec::new();
    let mut ecosystems: BTreeMap<String, Counts> = BTreeMap::new();
    let mut summary = Counts::default();
    for (o, n) in &matched.pairs {
        match classify(o, n) {
            None => {
                summary.unchanged += 1;
                ecosystems.entry(n.ecosystem.clone()).or_default().unchanged += 1;
            }
            Some((kind, reason)) => changes.push(Change {
                ecosystem: n.ecosystem.clone(),
                name: n.name.clone(),
                change: kind,
                old: Some(o.view()),
                new: Some(n.view()),
                reason,
            }),
        }
    }
    for o in &matched.old_left {
        changes.push(Change {
            ecosystem: o.ecosystem.clone(),
            name: o.name.clone(),
            change: ChangeKind::Removed,
            old: Some(o.view()),
            new: None,
            reason: None,
        });
    }
    for n in &matched.new_left {
        changes.push(Change {
            ecosystem: n.ecosystem.clone(),
            name: n.name.clone(),
            change: ChangeKind::Added,
            old: None,
            new: Some(n.view()),
            reason: None,
        });
    }
    changes.sort();
    for c in &changes {
        summary.add(c.change);
        ecosystems
            .entry(c.ecosystem.clone())
            .or_default()
            .add(c.change);
    }
    let mut ambiguous = matched.ambiguous;
    for a in &mut ambiguous {
        a.old.sort();
        a.new.sort();
    }
    ambiguous.sort();
    for a in &ambiguous {
        summary.ambiguous += 1;
        ecosystems.entry(a.ecosystem.clone()).or_default().ambiguous += 1;
    }
    let posture = match (&old.posture, &new.posture) {
        (Some(o), Some(n)) => Some(posture_changes(o, n)),
        _ => None,
    };
    let count = |r: Rule| match r {
        Rule::Added => summary.added,
        Rule::Removed => summary.removed,
        Rule::Upgraded => summary.upgraded,
        Rule::Downgraded => summary.downgraded,
        Rule::Changed => summary.changed,
        Rule::Ambiguous => summary.ambiguous,
        Rule::Posture => posture.as_ref().map_or(0, |p| p.appeared.len()),
    };
    let tripped = fail_on.iter().copied().filter(|r| count(*r) > 0).collect();
    let mut warnings: Vec<String> = old
        .warnings
        .iter()
        .map(|w| format!("old: {w}"))
        .chain(new.warnings.iter().map(|w| format!("new: {w}")))
        .collect();
    if fail_on.contains(&Rule::Posture) && posture.is_none() {
        warnings.push(
            "--fail-on posture: the posture is compared only between two scanned images".into(),
        );
    }
    Report {
        report_type: REPORT_TYPE.to_string(),
        old: old.side,
        new: new.side,
        summary,
        ecosystems,
        changes,
        ambiguous,
        posture,
        fail_on: fail_on.to_vec(),
        tripped,
        warnings,
    }
}

/// Loads both sides and compares them.
pub fn diff(
    old: &str,
    new: &str,
    opts: &ScanOptions,
    fail_on: &[Rule],
    progress: &dyn Progress,
) -> Result<Report, Error> {
    let o = load(old, opts, progress)?;
    let n = load(new, opts, progress)?;
    Ok(compare(o, n, fail_on))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_keys_drop_version_qualifiers_and_subpath() {
        let (k, v, q) =
            purl_parts("pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=alpine-3.10.9#sub")
                .unwrap();
        assert_eq!(k, "pkg:apk/alpine/musl");
        assert_eq!(v.as_deref(), Some("1.1.22-r3"));
        assert_eq!(q.get("arch").map(String::as_str), Some("x86_64"));
        let (k, v, _) = purl_parts("pkg:npm/%40angular/core@16.0.0").unwrap();
        assert_eq!(
            (k.as_str(), v.as_deref()),
            ("pkg:npm/@angular/core", Some("16.0.0"))
        );
        let (k, _, _) = purl_parts("pkg:PyPI/Django_Rest.Framework@3.0").unwrap();
        assert_eq!(k, "pkg:pypi/django-rest-framework");
        assert_eq!(purl_parts("npm/x@1"), None);
        // A `%` before a multi-byte character is kept, not split.
        let (k, _, _) = purl_parts("pkg:npm/a%é@1.0.0").unwrap();
        assert_eq!(k, "pkg:npm/a%é");
    }

    fn entry(eco: &str, name: &str, version: &str, purl: bool) -> Entry {
        Entry {
            ecosystem: eco.into(),
            name: name.into(),
            purl_key: purl.then(|| format!("pkg:{eco}/{name}")),
            name_key: format!("{eco}/{}", name.to_lowercase()),
            version: version.into(),
            ordered: version.into(),
            purl: None,
            layer: None,
        }
    }

    #[test]
    fn several_candidates_on_both_sides_are_ambiguous_not_guessed() {
        // Two lodash versions in each: one stays, the others cannot be paired.
        let old = vec![
            entry("npm", "lodash", "4.17.20", true),
            entry("npm", "lodash", "3.10.1", true),
            entry("npm", "lodash", "4.17.15", true),
        ];
        let new = vec![
            entry("npm", "lodash", "4.17.21", true),
            entry("npm", "lodash", "3.10.1", true),
            entry("npm", "lodash", "4.17.19", true),
        ];
        let m = match_all(old, new);
        assert_eq!(m.pairs.len(), 1);
        assert_eq!(m.pairs[0].0.version, "3.10.1");
        assert_eq!(m.ambiguous.len(), 1);
        assert_eq!(m.ambiguous[0].key, "pkg:npm/lodash");
        let versions: Vec<&str> = m.ambiguous[0]
            .new
            .iter()
            .map(|v| v.version.as_str())
            .collect();
        assert_eq!(versions, ["4.17.19", "4.17.21"]);
        // One left on each side after equal versions pair: an upgrade, no guess involved.
        let m = match_all(
            vec![
                entry("npm", "a", "1.0.0", true),
                entry("npm", "a", "2.0.0", true),
            ],
            vec![
                entry("npm", "a", "1.0.0", true),
                entry("npm", "a", "2.1.0", true),
            ],
        );
        assert_eq!(m.pairs.len(), 2);
        assert!(m.ambiguous.is_empty());
    }

    #[test]
    fn a_package_without_purl_matches_by_type_and_name() {
        let m = match_all(
            vec![entry("deb", "libc6", "2.36-9", true)],
            vec![entry("deb", "LibC6", "2.36-9+deb12u4", false)],
        );
        assert_eq!(m.pairs.len(), 1);
        assert_eq!(
            classify(&m.pairs[0].0, &m.pairs[0].1).map(|c| c.0),
            Some(ChangeKind::Upgraded)
        );
    }

    #[test]
    fn unknown_orders_are_changed_never_guessed() {
        let o = entry("generic", "x", "1.0", true);
        let n = entry("generic", "x", "2.0", true);
        assert_eq!(classify(&o, &n).map(|c| c.0), Some(ChangeKind::Changed));
        let o = entry("npm", "x", "latest", true);
        let n = entry("npm", "x", "1.0.0", true);
        let (kind, reason) = classify(&o, &n).unwrap();
        assert_eq!(kind, ChangeKind::Changed);
        assert!(reason.unwrap().contains("latest"));
        // Equal in the ecosystem's order: not a change.
        let o = entry("maven", "x", "1.0", true);
        let n = entry("maven", "x", "1.0.0", true);
        assert_eq!(classify(&o, &n), None);
    }

    #[test]
    fn rules_parse_by_name_and_all() {
        assert_eq!(
            parse_rules("downgraded, added,added").unwrap(),
            [Rule::Added, Rule::Downgraded]
        );
        assert_eq!(parse_rules("all").unwrap(), Rule::ALL);
        assert!(parse_rules("upgrade").is_err());
    }
}
