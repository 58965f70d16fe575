//! dpkg's database: `var/lib/dpkg/status` (one paragraph per package), the per-package files of
//! distroless images in `var/lib/dpkg/status.d/`, file lists `info/NAME[:ARCH].list` with digests in
//! `info/NAME[:ARCH].md5sums`, and licenses from machine-readable `usr/share/doc/NAME/copyright`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::deb822::{self, Paragraph};
use super::{layer_of, license, person, version, Cataloger, Context, Found, Naming, Owned};
use crate::cpe;
use crate::model::{License, Package, PackageKind, Relationship, RelationshipKind};
use crate::purl::Purl;
use crate::source::{display_path, vfs, Vfs};

pub const STATUS: &[u8] = b"var/lib/dpkg/status";
pub const STATUS_D: &[u8] = b"var/lib/dpkg/status.d";
pub const INFO: &[u8] = b"var/lib/dpkg/info";

const MAX_DB_SIZE: u64 = 256 << 20;
const MAX_INFO_SIZE: u64 = 64 << 20;
const MAX_COPYRIGHT_SIZE: u64 = 4 << 20;

/// One alternative of a relationship field: `name[:arch] [(op version)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub name: String,
    /// `any`, `native` or an architecture, from `name:arch`.
    pub arch: Option<String>,
    pub constraint: Option<(String, String)>,
}

/// One package paragraph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebRecord {
    pub line: usize,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    /// The `Status:` field; distroless `status.d` files have none.
    pub status: Option<String>,
    pub source_name: String,
    pub source_version: String,
    pub maintainer: Option<String>,
    pub installed_size: Option<String>,
    pub section: Option<String>,
    pub priority: Option<String>,
    pub multi_arch: Option<String>,
    pub essential: Option<String>,
    pub homepage: Option<String>,
    /// The synopsis (first line of `Description:`).
    pub description: Option<String>,
    /// `Pre-Depends` and `Depends`: groups of alternatives.
    pub depends: Vec<Vec<Dep>>,
    /// `Recommends` and `Suggests`.
    pub optional: Vec<Vec<Dep>>,
    /// `Provides`: virtual names, each with an optional exact version.
    pub provides: Vec<(String, Option<String>)>,
}

impl DebRecord {
    /// Installed, as dpkg means it: the third word of `Status:` is `installed`. A record without
    /// `Status:` counts only in `status.d`, where distroless writes none.
    pub fn is_installed(&self, status_d: bool) -> bool {
        match &self.status {
            Some(s) => s.split_whitespace().nth(2) == Some("installed"),
            None => status_d,
        }
    }

    pub fn id(&self) -> String {
        match &self.arch {
            Some(a) => format!("deb:{}:{}@{}", self.name, a, self.version),
            None => format!("deb:{}@{}", self.name, self.version),
        }
    }

    fn key(&self) -> (String, String, Option<String>) {
        (self.name.clone(), self.version.clone(), self.arch.clone())
    }
}

/// Parses a relationship field (`Depends:` and friends) into groups of alternatives.
pub fn parse_relations(v: &str) -> Vec<Vec<Dep>> {
    v.split(',')
        .map(|group| group.split('|').filter_map(parse_dep).collect::<Vec<_>>())
        .filter(|g| !g.is_empty())
        .collect()
}

fn parse_dep(s: &str) -> Option<Dep> {
    let s = s.trim();
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '<'))
        .unwrap_or(s.len());
    let full = &s[..end];
    if full.is_empty() {
        return None;
    }
    let (name, arch) = match full.split_once(':') {
        Some((n, a)) => (n, Some(a.to_string())),
        None => (full, None),
    };
    let rest = &s[end..];
    let constraint = rest.find('(').and_then(|open| {
        let inner = &rest[open + 1..];
        let inner = &inner[..inner.find(')')?];
        let inner = inner.trim();
        let op_len = inner
            .find(|c: char| !matches!(c, '<' | '>' | '='))
            .unwrap_or(inner.len());
        let (op, ver) = inner.split_at(op_len);
        let ver = ver.trim();
        (!op.is_empty() && !ver.is_empty()).then(|| (op.to_string(), ver.to_string()))
    });
    Some(Dep {
        name: name.to_string(),
        arch,
        constraint,
    })
}

fn record_from(p: &Paragraph) -> Option<DebRecord> {
    let name = p.value("Package")?.to_string();
    let version = p.value("Version")?.to_string();
    let (source_name, source_version) = match p.value("Source") {
        Some(src) => match src.split_once('(') {
            Some((n, v)) => (
                n.trim().to_string(),
                v.trim_end_matches(')').trim().to_string(),
            ),
            None => (src.to_string(), version.clone()),
        },
        None => (name.clone(), version.clone()),
    };
    let owned = |k: &str| p.value(k).map(str::to_string);
    let relations = |keys: &[&str]| -> Vec<Vec<Dep>> {
        keys.iter()
            .filter_map(|k| p.value(k))
            .flat_map(parse_relations)
            .collect()
    };
    Some(DebRecord {
        line: p.line,
        arch: owned("Architecture"),
        status: owned("Status"),
        source_name: if source_name.is_empty() {
            name.clone()
        } else {
            source_name
        },
        source_version: if source_version.is_empty() {
            version.clone()
        } else {
            source_version
        },
        maintainer: owned("Maintainer"),
        installed_size: owned("Installed-Size"),
        section: owned("Section"),
        priority: owned("Priority"),
        multi_arch: owned("Multi-Arch"),
        essential: owned("Essential"),
        homepage: owned("Homepage"),
        description: p
            .value("Description")
            .and_then(|d| d.lines().next())
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty()),
        depends: relations(&["Pre-Depends", "Depends"]),
        optional: relations(&["Recommends", "Suggests"]),
        provides: p
            .value("Provides")
            .map(parse_relations)
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(|d| {
                let v = d.constraint.filter(|(op, _)| op == "=").map(|(_, v)| v);
                (d.name, v)
            })
            .collect(),
        name,
        version,
    })
}

/// Parses a status file (or one `status.d` file): every paragraph with `Package:` and `Version:`,
/// installed or not. `file` names it in warnings.
pub fn parse(text: &[u8], file: &str) -> (Vec<DebRecord>, Vec<String>) {
    let (paragraphs, problems) = deb822::parse(text);
    let mut warnings: Vec<String> = problems
        .into_iter()
        .map(|(line, why)| format!("{file}:{line}: {why}"))
        .collect();
    let mut records = Vec::new();
    for p in &paragraphs {
        match record_from(p) {
            Some(r) => records.push(r),
            None => warnings.push(format!(
                "{file}:{}: package paragraph without Package: or Version:, skipped",
                p.line
            )),
        }
    }
    (records, warnings)
}

/// `md5  path` lines of a `.md5sums` file → root-relative path and MD5.
pub fn parse_md5sums(text: &[u8]) -> Vec<(Vec<u8>, String)> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let digest = line.get(..32)?;
            if !digest.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let path = line.get(32..)?;
            let start = path.iter().position(|b| !b.is_ascii_whitespace())?;
            let path = vfs::normalize(&path[start..]);
            (!path.is_empty()).then(|| (path, String::from_utf8_lossy(digest).to_ascii_lowercase()))
        })
        .collect()
}

/// Files (not folders) of a `.list`: `/.` and every entry that is a folder in the image or has
/// other entries below it are left out.
pub fn parse_list(text: &[u8], fs: &Vfs) -> Vec<Vec<u8>> {
    let all: BTreeSet<Vec<u8>> = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .map(vfs::normalize)
        .filter(|p| !p.is_empty())
        .collect();
    all.iter()
        .filter(|p| {
            let mut below = (*p).clone();
            below.push(b'/');
            let has_children = all
                .range(below.clone()..)
                .next()
                .is_some_and(|q| q.starts_with(&below));
            let is_dir = fs.lookup(p).is_some_and(|(_, n)| n.is_dir());
            !has_children && !is_dir
        })
        .cloned()
        .collect()
}

/// License short names of a machine-readable (DEP-5) copyright file; `None` when the file is not
/// in that format.
pub fn copyright_licenses(text: &[u8]) -> Option<Vec<License>> {
    let (paragraphs, _) = deb822::parse(text);
    paragraphs.first()?.value("Format")?;
    let names: BTreeSet<String> = paragraphs
        .iter()
        .filter_map(|p| p.value("License"))
        .filter_map(|l| l.lines().next())
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    Some(names.iter().map(|n| license::from_debian(n)).collect())
}

fn info_file<'a>(
    fs: &'a Vfs,
    name: &str,
    arch: Option<&str>,
    ext: &str,
) -> Option<(Vec<u8>, &'a Arc<[u8]>)> {
    let mut candidates = Vec::new();
    if let Some(a) = arch {
        candidates.push(format!("{name}:{a}.{ext}"));
    }
    candidates.push(format!("{name}.{ext}"));
    candidates.into_iter().find_map(|f| {
        let mut p = INFO.to_vec();
        p.push(b'/');
        p.extend_from_slice(f.as_bytes());
        fs.read(&p).map(|c| (p, c))
    })
}

/// One database file: the status file or one `status.d` entry.
struct DbFile {
    path: Vec<u8>,
    status_d: bool,
    records: Vec<DebRecord>,
    /// What each historical version lists as installed.
    listed: Vec<Option<BTreeSet<(String, String, Option<String>)>>>,
}

fn read_db(fs: &Vfs, path: &[u8], content: &[u8], status_d: bool, found: &mut Found) -> DbFile {
    let evidence = display_path(path);
    let (records, warnings) = parse(content, &evidence);
    found.warnings.extend(warnings);
    let listed = fs
        .history(path)
        .iter()
        .map(|v| {
            v.content.as_deref().map(|c| {
                parse(c, &evidence)
                    .0
                    .iter()
                    .filter(|r| r.is_installed(status_d))
                    .map(DebRecord::key)
                    .collect()
            })
        })
        .collect();
    DbFile {
        path: path.to_vec(),
        status_d,
        records,
        listed,
    }
}

/// Installed packages by name and by provided virtual name, to resolve relationships.
struct Index<'a> {
    recs: Vec<&'a DebRecord>,
    by_name: BTreeMap<&'a str, Vec<usize>>,
    provided: BTreeMap<&'a str, Vec<(usize, Option<&'a str>)>>,
}

impl<'a> Index<'a> {
    fn new(recs: Vec<&'a DebRecord>) -> Self {
        let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut provided: BTreeMap<&str, Vec<(usize, Option<&str>)>> = BTreeMap::new();
        for (i, r) in recs.iter().enumerate() {
            by_name.entry(&r.name).or_default().push(i);
            for (name, v) in &r.provides {
                provided.entry(name).or_default().push((i, v.as_deref()));
            }
        }
        Index {
            recs,
            by_name,
            provided,
        }
    }

    fn arch_ok(&self, dep: &Dep, i: usize) -> bool {
        match dep.arch.as_deref() {
            None | Some("any") | Some("native") => true,
            Some(a) => matches!(self.recs[i].arch.as_deref(), Some(x) if x == a || x == "all"),
        }
    }

    /// Of several candidates, the one of the depending package's architecture, then `all`.
    fn best(&self, from: usize, candidates: impl Iterator<Item = usize>) -> Option<usize> {
        let c: Vec<usize> = candidates.collect();
        let arch = self.recs[from].arch.as_deref();
        c.iter()
            .find(|&&i| self.recs[i].arch.as_deref() == arch)
            .or_else(|| {
                c.iter()
                    .find(|&&i| self.recs[i].arch.as_deref() == Some("all"))
            })
            .or(c.first())
            .copied()
    }

    /// The installed package that satisfies a group: its first satisfiable alternative, by real
    /// package first and then by `Provides`.
    fn resolve(&self, from: usize, group: &[Dep]) -> Option<usize> {
        for dep in group {
            let real = self
                .by_name
                .get(dep.name.as_str())
                .into_iter()
                .flatten()
                .copied();
            let real = real.filter(|&i| {
                self.arch_ok(dep, i)
                    && dep
                        .constraint
                        .as_ref()
                        .is_none_or(|(op, v)| version::satisfies(&self.recs[i].version, op, v))
            });
            if let Some(i) = self.best(from, real) {
                return Some(i);
            }
            let virt = self
                .provided
                .get(dep.name.as_str())
                .into_iter()
                .flatten()
                .filter(|&&(i, pv)| {
                    self.arch_ok(dep, i)
                        && match (&dep.constraint, pv) {
                            (None, _) => true,
                            // An unversioned Provides never satisfies a versioned dependency.
                            (Some(_), None) => false,
                            (Some((op, v)), Some(pv)) => version::satisfies(pv, op, v),
                        }
                })
                .map(|&(i, _)| i);
            if let Some(i) = self.best(from, virt) {
                return Some(i);
            }
        }
        None
    }
}

fn inferred_namespace<'a>(recs: impl IntoIterator<Item = &'a DebRecord>) -> &'static str {
    let ubuntu = recs
        .into_iter()
        .any(|r| r.name == "base-files" && r.version.contains("ubuntu"));
    if ubuntu {
        "ubuntu"
    } else {
        "debian"
    }
}

fn to_package(r: &DebRecord, naming: &Naming, evidence: &str, licenses: Vec<License>) -> Package {
    let mut purl = Purl::new("deb", &r.name)
        .with_namespace(&naming.namespace)
        .with_version(&r.version);
    if let Some(a) = &r.arch {
        purl = purl.with_qualifier("arch", a);
    }
    if let Some(d) = &naming.distro_qualifier {
        purl = purl.with_qualifier("distro", d);
    }
    if r.source_version != r.version {
        purl = purl.with_qualifier(
            "upstream",
            format!("{}@{}", r.source_name, r.source_version),
        );
    } else if r.source_name != r.name {
        purl = purl.with_qualifier("upstream", &r.source_name);
    }
    let mut props = BTreeMap::new();
    for (k, v) in [
        ("installed-size", &r.installed_size),
        ("section", &r.section),
        ("priority", &r.priority),
        ("multi-arch", &r.multi_arch),
        ("essential", &r.essential),
    ] {
        if let Some(v) = v {
            props.insert(format!("sbomkit:deb:{k}"), v.clone());
        }
    }
    if !r.provides.is_empty() {
        let p: Vec<&str> = r.provides.iter().map(|(n, _)| n.as_str()).collect();
        props.insert("sbomkit:deb:provides".into(), p.join(" "));
    }
    Package {
        id: r.id(),
        kind: Some(PackageKind::Deb),
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
        source_name: Some(r.source_name.clone()),
        source_version: Some(r.source_version.clone()),
        licenses,
        supplier: naming.supplier.clone(),
        originator: r.maintainer.as_deref().and_then(person),
        description: r.description.clone(),
        homepage: r.homepage.clone(),
        checksums: Vec::new(),
        layer: None,
        evidence: vec![evidence.to_string()],
        found_by: DpkgDb.name().to_string(),
        properties: props,
    }
}

/// Files a package owns: its `.list` (with `.md5sums` digests), or the `.md5sums` alone.
fn owned_files(fs: &Vfs, db: &DbFile, r: &DebRecord) -> Vec<Owned> {
    let arch = r.arch.as_deref();
    let mut sums: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    if let Some((_, c)) = info_file(fs, &r.name, arch, "md5sums") {
        sums.extend(parse_md5sums(c));
    }
    if db.status_d {
        let mut p = db.path.clone();
        p.extend_from_slice(b".md5sums");
        if let Some(c) = fs.read(&p) {
            sums.extend(parse_md5sums(c));
        }
    }
    let paths: Vec<Vec<u8>> = match info_file(fs, &r.name, arch, "list") {
        Some((_, c)) => parse_list(c, fs),
        None => sums.keys().cloned().collect(),
    };
    paths
        .into_iter()
        .map(|path| Owned {
            package: r.id(),
            checksums: sums
                .get(&path)
                .map(|m| vec![("MD5".to_string(), m.clone())])
                .unwrap_or_default(),
            path,
        })
        .collect()
}

/// Debian packages from dpkg's database.
pub struct DpkgDb;

impl Cataloger for DpkgDb {
    fn name(&self) -> &'static str {
        "dpkg-db"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        if path == STATUS {
            return Some(MAX_DB_SIZE);
        }
        let under = |dir: &[u8]| -> Option<&[u8]> {
            let rest = path.strip_prefix(dir)?.strip_prefix(b"/")?;
            (!rest.is_empty() && !rest.contains(&b'/')).then_some(rest)
        };
        if under(STATUS_D).is_some() {
            return Some(MAX_DB_SIZE);
        }
        if let Some(f) = under(INFO) {
            if f.ends_with(b".list") || f.ends_with(b".md5sums") {
                return Some(MAX_INFO_SIZE);
            }
        }
        let doc = path.strip_prefix(b"usr/share/doc/")?;
        let pkg = doc.strip_suffix(b"/copyright")?;
        (!pkg.is_empty() && !pkg.contains(&b'/')).then_some(MAX_COPYRIGHT_SIZE)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let fs = cx.fs;
        let mut found = Found::default();
        let mut dbs: Vec<DbFile> = Vec::new();
        let mut add = |path: &[u8], status_d: bool, found: &mut Found| {
            let Some((canonical, node)) = fs.lookup(path) else {
                return;
            };
            if !node.is_file() {
                return;
            }
            match node.content.as_deref() {
                Some(c) => dbs.push(read_db(fs, &canonical, c, status_d, found)),
                None => found.warnings.push(format!(
                    "{}: dpkg database not read (larger than the file size limit)",
                    display_path(&canonical)
                )),
            }
        };
        add(STATUS, false, &mut found);
        for entry in fs.read_dir(STATUS_D) {
            if entry.ends_with(b".md5sums") {
                continue;
            }
            let mut p = STATUS_D.to_vec();
            p.push(b'/');
            p.extend_from_slice(&entry);
            add(&p, true, &mut found);
        }
        if dbs.is_empty() {
            return found;
        }

        // Installed packages, each once.
        let mut chosen: Vec<(usize, &DebRecord)> = Vec::new();
        let mut ids = BTreeSet::new();
        let mut names_arch = BTreeSet::new();
        for (d, db) in dbs.iter().enumerate() {
            for r in db.records.iter().filter(|r| r.is_installed(db.status_d)) {
                if !names_arch.insert((r.name.clone(), r.arch.clone())) || !ids.insert(r.id()) {
                    found.warnings.push(format!(
                        "{}:{}: package {} listed again, kept once",
                        display_path(&db.path),
                        r.line,
                        r.name
                    ));
                    continue;
                }
                chosen.push((d, r));
            }
        }
        let first_db = display_path(&dbs[0].path);
        let naming = Naming::new(
            cx.distro,
            inferred_namespace(chosen.iter().map(|(_, r)| *r)),
            &first_db,
            &mut found.warnings,
        );
        let index = Index::new(chosen.iter().map(|(_, r)| *r).collect());

        for (i, &(d, r)) in chosen.iter().enumerate() {
            let db = &dbs[d];
            let licenses = fs
                .read(format!("usr/share/doc/{}/copyright", r.name).as_bytes())
                .and_then(|c| copyright_licenses(c))
                .unwrap_or_default();
            let mut pkg = to_package(r, &naming, &display_path(&db.path), licenses);
            let history = fs.history(&db.path);
            pkg.layer = layer_of(history, &db.listed, &r.key())
                .or_else(|| fs.lookup(&db.path).map(|(_, n)| n.layer));
            for (groups, kind) in [
                (&r.depends, RelationshipKind::DependsOn),
                (&r.optional, RelationshipKind::OptionalDependsOn),
            ] {
                for g in groups {
                    if let Some(t) = index.resolve(i, g).filter(|&t| t != i) {
                        found.relationships.push(Relationship::new(
                            pkg.id.clone(),
                            kind,
                            index.recs[t].id(),
                        ));
                    }
                }
            }
            found.owned.extend(owned_files(fs, db, r));
            found.packages.push(pkg);
        }
        found.relationships.sort();
        found.relationships.dedup();
        found
    }
}
