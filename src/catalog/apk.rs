//! The APK installed database (`lib/apk/db/installed`, `usr/lib/apk/db/installed`) of Alpine, Wolfi
//! and Chainguard images.
//!
//! The file is a list of stanzas separated by blank lines; each line is `K:value` with a one-letter
//! key (apk-tools' `apk_db_index_read`). `C:` and `Z:` digests are `Q1` + base64 of a SHA-1 (`Q2`:
//! SHA-256). `F:` opens a folder, the `R:` lines after it are files in it, each followed by its
//! `a:` mode and `Z:` digest. Unknown keys are kept, never an error.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;

use super::{layer_of, license, person, Cataloger, Context, Found, Naming, Owned};
use crate::cpe;
use crate::model::{Package, PackageKind, Relationship, RelationshipKind};
use crate::purl::Purl;
use crate::source::display_path;

/// Where apk keeps its database (the second on merged-/usr systems such as Wolfi and newer Alpine).
pub const DB_PATHS: [&[u8]; 2] = [b"lib/apk/db/installed", b"usr/lib/apk/db/installed"];

/// Largest database worth parsing; a full desktop install is a few MiB.
const MAX_DB_SIZE: u64 = 256 << 20;

/// One file an APK installs: path from the root and the digest `Z:` recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkFile {
    pub path: Vec<u8>,
    /// (SPDX algorithm, hex).
    pub digest: Option<(String, String)>,
}

/// One stanza of the installed database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApkRecord {
    /// Line of the stanza's first field.
    pub line: usize,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub origin: Option<String>,
    pub maintainer: Option<String>,
    pub build_time: Option<String>,
    pub commit: Option<String>,
    /// `C:`: digest of the package's control section.
    pub checksum: Option<(String, String)>,
    pub size: Option<String>,
    pub installed_size: Option<String>,
    pub depends: Vec<String>,
    pub provides: Vec<String>,
    pub replaces: Vec<String>,
    pub install_if: Vec<String>,
    pub provider_priority: Option<String>,
    pub replaces_priority: Option<String>,
    pub repository_tag: Option<String>,
    pub files: Vec<ApkFile>,
    /// Keys this parser has no field for, in file order.
    pub other: Vec<(char, String)>,
}

/// Decodes an apk digest: `Q1` + base64 SHA-1, `Q2` + base64 SHA-256.
pub fn decode_digest(v: &str) -> Option<(String, String)> {
    let (alg, len, b64) = if let Some(b) = v.strip_prefix("Q1") {
        ("SHA1", 20, b)
    } else if let Some(b) = v.strip_prefix("Q2") {
        ("SHA256", 32, b)
    } else {
        return None;
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    (bytes.len() == len).then(|| (alg.to_string(), hex::encode(bytes)))
}

fn words(v: &str) -> Vec<String> {
    v.split_whitespace().map(str::to_string).collect()
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Parses a database. `file` names it in warnings. Never fails: bad lines and stanzas are warnings.
pub fn parse(text: &[u8], file: &str) -> (Vec<ApkRecord>, Vec<String>) {
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    let mut cur: Option<ApkRecord> = None;
    let mut dir: Vec<u8> = Vec::new();

    let finish = |rec: ApkRecord, records: &mut Vec<ApkRecord>, warnings: &mut Vec<String>| {
        if rec.name.is_empty() || rec.version.is_empty() {
            warnings.push(format!(
                "{file}:{}: package stanza without P: or V:, skipped",
                rec.line
            ));
        } else {
            records.push(rec);
        }
    };

    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            if let Some(rec) = cur.take() {
                finish(rec, &mut records, &mut warnings);
            }
            dir.clear();
            continue;
        }
        let (key, value) = match line {
            [k, b':', rest @ ..] if k.is_ascii_graphic() => (char::from(*k), rest),
            _ => {
                warnings.push(format!("{file}:{number}: not a `K:value` line, skipped"));
                continue;
            }
        };
        let rec = cur.get_or_insert_with(|| {
            dir.clear();
            ApkRecord {
                line: number,
                ..ApkRecord::default()
            }
        });
        let text = String::from_utf8_lossy(value);
        let v = text.as_ref();
        match key {
            'P' => rec.name = v.trim().to_string(),
            'V' => rec.version = v.trim().to_string(),
            'A' => rec.arch = opt(v),
            'L' => rec.license = opt(v),
            'T' => rec.description = opt(v),
            'U' => rec.url = opt(v),
            'o' => rec.origin = opt(v),
            'm' => rec.maintainer = opt(v),
            't' => rec.build_time = opt(v),
            'c' => rec.commit = opt(v),
            'S' => rec.size = opt(v),
            'I' => rec.installed_size = opt(v),
            'D' => rec.depends.extend(words(v)),
            'p' => rec.provides.extend(words(v)),
            'r' => rec.replaces.extend(words(v)),
            'i' => rec.install_if.extend(words(v)),
            'k' => rec.provider_priority = opt(v),
            'q' => rec.replaces_priority = opt(v),
            's' => rec.repository_tag = opt(v),
            'C' => {
                rec.checksum = decode_digest(v);
                if rec.checksum.is_none() {
                    warnings.push(format!("{file}:{number}: unreadable C: digest"));
                }
            }
            'F' => dir = value.to_vec(),
            'R' => {
                let mut path = dir.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(value);
                rec.files.push(ApkFile { path, digest: None });
            }
            'Z' => match rec.files.last_mut() {
                Some(f) if f.digest.is_none() => f.digest = decode_digest(v),
                _ => warnings.push(format!("{file}:{number}: Z: without an R: before it")),
            },
            // File and folder modes/ACLs: not recorded in the SBOM.
            'a' | 'M' => {}
            other => rec.other.push((other, v.to_string())),
        }
    }
    if let Some(rec) = cur.take() {
        finish(rec, &mut records, &mut warnings);
    }
    (records, warnings)
}

/// The name a dependency or provides entry is about: `so:libc.musl-x86_64.so.1=1` →
/// `so:libc.musl-x86_64.so.1`, `busybox>=1.36` → `busybox`, `name@tag` → `name`.
pub fn dependency_name(dep: &str) -> &str {
    let end = dep.find(['=', '<', '>', '~']).unwrap_or(dep.len());
    let name = &dep[..end];
    match name.find('@') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

/// The namespace to use when there is no os-release: from the distro's baselayout package.
fn inferred_namespace(records: &[ApkRecord]) -> &'static str {
    if records.iter().any(|r| r.name == "wolfi-baselayout") {
        "wolfi"
    } else if records.iter().any(|r| r.name == "chainguard-baselayout") {
        "chainguard"
    } else {
        "alpine"
    }
}

fn package_id(r: &ApkRecord) -> String {
    format!("apk:{}@{}", r.name, r.version)
}

fn to_package(r: &ApkRecord, naming: &Naming, evidence: &str) -> Package {
    let mut purl = Purl::new("apk", &r.name)
        .with_namespace(&naming.namespace)
        .with_version(&r.version);
    if let Some(a) = &r.arch {
        purl = purl.with_qualifier("arch", a);
    }
    if let Some(d) = &naming.distro_qualifier {
        purl = purl.with_qualifier("distro", d);
    }
    if let Some(o) = r.origin.as_ref().filter(|o| **o != r.name) {
        purl = purl.with_qualifier("upstream", o);
    }
    let mut props = BTreeMap::new();
    let mut prop = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            props.insert(format!("sbomkit:apk:{k}"), v);
        }
    };
    let joined = |v: &[String]| (!v.is_empty()).then(|| v.join(" "));
    prop("commit", r.commit.clone());
    prop("build-time", r.build_time.clone());
    prop("size", r.size.clone());
    prop("installed-size", r.installed_size.clone());
    prop("repository-tag", r.repository_tag.clone());
    prop("provides", joined(&r.provides));
    prop("depends", joined(&r.depends));
    prop("replaces", joined(&r.replaces));
    prop("install-if", joined(&r.install_if));
    prop("provider-priority", r.provider_priority.clone());
    prop("replaces-priority", r.replaces_priority.clone());
    for (k, v) in &r.other {
        prop(&format!("field:{k}"), Some(v.clone()));
    }
    Package {
        id: package_id(r),
        kind: Some(PackageKind::Apk),
        name: r.name.clone(),
        version: r.version.clone(),
        purl: Some(purl.to_string()),
        cpes: naming
            .cpe_vendor
            .as_deref()
            .and_then(|v| cpe::application(v, &r.name, &r.version))
            .into_iter()
            .collect(),
        arch: r.arch.clone(),
        source_name: Some(r.origin.clone().unwrap_or_else(|| r.name.clone())),
        source_version: Some(r.version.clone()),
        licenses: r
            .license
            .as_deref()
            .map(license::from_raw)
            .into_iter()
            .collect(),
        supplier: naming.supplier.clone(),
        originator: r.maintainer.as_deref().and_then(person),
        description: r.description.clone(),
        homepage: r.url.clone(),
        checksums: r.checksum.clone().into_iter().collect(),
        layer: None,
        evidence: vec![evidence.to_string()],
        found_by: ApkDb.name().to_string(),
        properties: props,
    }
}

/// Catalogues one database given its versions across layers (oldest first, last = final).
fn catalog_db(
    cx: &Context<'_>,
    path: &[u8],
    content: &[u8],
    found: &mut Found,
    ids: &mut BTreeSet<String>,
) {
    let evidence = display_path(path);
    let (records, warnings) = parse(content, &evidence);
    found.warnings.extend(warnings);

    // Which (name, version, arch) each historical version of the file lists; warnings only from
    // the final version, parsed above.
    let history = cx.fs.history(path);
    let listed: Vec<Option<BTreeSet<(String, String, Option<String>)>>> = history
        .iter()
        .map(|v| {
            v.content.as_deref().map(|c| {
                parse(c, &evidence)
                    .0
                    .into_iter()
                    .map(|r| (r.name, r.version, r.arch))
                    .collect()
            })
        })
        .collect();
    let final_layer = cx.fs.lookup(path).map(|(_, n)| n.layer);

    let naming = Naming::new(
        cx.distro,
        inferred_namespace(&records),
        &evidence,
        &mut found.warnings,
    );

    let mut kept: Vec<&ApkRecord> = Vec::new();
    let mut names = BTreeSet::new();
    for r in &records {
        if !names.insert(r.name.clone()) || ids.contains(&package_id(r)) {
            found.warnings.push(format!(
                "{evidence}:{}: package {} listed again, kept once",
                r.line, r.name
            ));
            continue;
        }
        kept.push(r);
    }

    // Provides: package names themselves first, then `p:` entries.
    let mut providers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in &kept {
        providers.entry(&r.name).or_default().push(package_id(r));
    }
    for r in &kept {
        for p in &r.provides {
            let list = providers.entry(dependency_name(p)).or_default();
            let id = package_id(r);
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }

    for r in &kept {
        let mut pkg = to_package(r, &naming, &evidence);
        let key = (r.name.clone(), r.version.clone(), r.arch.clone());
        let layer = layer_of(history, &listed, &key);
        pkg.layer = layer.or(final_layer);
        let id = pkg.id.clone();
        ids.insert(id.clone());
        for dep in &r.depends {
            if dep.starts_with('!') {
                continue; // a conflict, not a dependency
            }
            if let Some(target) = providers.get(dependency_name(dep)).and_then(|l| l.first()) {
                if *target != id {
                    found.relationships.push(Relationship::new(
                        id.clone(),
                        RelationshipKind::DependsOn,
                        target.clone(),
                    ));
                }
            }
        }
        for f in &r.files {
            found.owned.push(Owned {
                package: id.clone(),
                path: f.path.clone(),
                checksums: f.digest.clone().into_iter().collect(),
            });
        }
        found.packages.push(pkg);
    }
}

/// APK packages from the installed database.
pub struct ApkDb;

impl Cataloger for ApkDb {
    fn name(&self) -> &'static str {
        "apk-db"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        DB_PATHS.contains(&path).then_some(MAX_DB_SIZE)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let mut found = Found::default();
        let mut seen = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for p in DB_PATHS {
            let Some((canonical, node)) = cx.fs.lookup(p) else {
                continue;
            };
            if !node.is_file() || !seen.insert(canonical.clone()) {
                continue;
            }
            match node.content.as_deref() {
                Some(content) => catalog_db(cx, &canonical, content, &mut found, &mut ids),
                None => found.warnings.push(format!(
                    "{}: APK database not read (larger than the file size limit)",
                    display_path(&canonical)
                )),
            }
        }
        found
    }
}
