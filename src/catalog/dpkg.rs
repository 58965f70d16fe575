//! dpkg's database: `var/lib/dpkg/status` (one paragraph per package), the per-package files of
//! distroless images in `var/lib/dpkg/status.d/`, file lists `info/NAME[:ARCH].list` with digests in
//! `info/NAME[:ARCH].md5sums`, and licenses from machine-readable `usr/share/doc/NAME/copyright`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::deb822::{self, Paragraph};
use super::os_db::{self, Database, DbFile, Installed, OwnedFile};
use super::{license, person, version, Cataloger, Context, Found};
use crate::model::{Checksum, HashAlg, License, Package, PackageKind, Purpose};
use crate::source::{vfs, Vfs};

pub const STATUS: &[u8] = b"var/lib/dpkg/status";
pub const STATUS_D: &[u8] = b"var/lib/dpkg/status.d";
pub const INFO: &[u8] = b"var/lib/dpkg/info";

/// A package from dpkg's database.
pub const KIND: PackageKind = PackageKind {
    name: "deb",
    purl_type: Some("deb"),
    purpose: Purpose::Library,
    technique: None,
    purl_is_evidence: false,
    file: None,
};

const MAX_DB_SIZE: u64 = 256 << 20;
const MAX_INFO_SIZE: u64 = 64 << 20;
const MAX_COPYRIGHT_SIZE: u64 = 4 << 20;

/// One alternative of a relationship field: `name[:arch] [(op version)]`.
pub use super::os_db::Dep;

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
    let mut unlisted = 0usize;
    for p in &paragraphs {
        match record_from(p) {
            Some(r) => records.push(r),
            // Capped like the line problems: garbage makes many short paragraphs.
            None if warnings.len() >= 2 * deb822::MAX_PROBLEMS => unlisted += 1,
            None => warnings.push(format!(
                "{file}:{}: package paragraph without Package: or Version:, skipped",
                p.line
            )),
        }
    }
    if unlisted > 0 {
        warnings.push(format!(
            "{file}: {unlisted} more paragraphs without Package: or Version: not listed"
        ));
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

fn inferred_namespace(installed: &[&Installed]) -> &'static str {
    let ubuntu = installed
        .iter()
        .any(|r| r.package.name == "base-files" && r.package.version.contains("ubuntu"));
    if ubuntu {
        "ubuntu"
    } else {
        "debian"
    }
}

/// A record in the skeleton's terms; its files and licenses come later ([`Database::complete`]).
fn installed(r: DebRecord) -> Installed {
    let mut upstream = None;
    if r.source_version != r.version {
        upstream = Some(format!("{}@{}", r.source_name, r.source_version));
    } else if r.source_name != r.name {
        upstream = Some(r.source_name.clone());
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
    let package = Package {
        name: r.name.clone(),
        version: r.version.clone(),
        arch: r.arch.clone(),
        source_name: Some(r.source_name.clone()),
        source_version: Some(r.source_version.clone()),
        originator: r.maintainer.as_deref().and_then(person),
        description: r.description.clone(),
        homepage: r.homepage.clone(),
        properties: props,
        ..Package::new(r.id(), KIND)
    };
    Installed {
        line: r.line,
        package,
        qualifiers: upstream.map(|u| ("upstream", u)).into_iter().collect(),
        multiarch: r.arch,
        provides: r.provides,
        depends: r.depends,
        optional: r.optional,
        files: Vec::new(),
    }
}

/// Files a package owns: its `.list` (with `.md5sums` digests), or the `.md5sums` alone.
fn owned_files(fs: &Vfs, db: &DbFile, p: &Package) -> Vec<OwnedFile> {
    let arch = p.arch.as_deref();
    let mut sums: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    if let Some((_, c)) = info_file(fs, &p.name, arch, "md5sums") {
        sums.extend(parse_md5sums(c));
    }
    if is_status_d(&db.listed_at) {
        let mut path = db.path.clone();
        path.extend_from_slice(b".md5sums");
        if let Some(c) = fs.read(&path) {
            sums.extend(parse_md5sums(c));
        }
    }
    let paths: Vec<Vec<u8>> = match info_file(fs, &p.name, arch, "list") {
        Some((_, c)) => parse_list(c, fs),
        None => sums.keys().cloned().collect(),
    };
    paths
        .into_iter()
        .map(|path| {
            let digests = sums
                .get(&path)
                .map(|m| vec![Checksum::new(HashAlg::Md5, m.clone())])
                .unwrap_or_default();
            (path, digests)
        })
        .collect()
}

/// A distroless per-package file, `status.d/NAME`, rather than the status file.
fn is_status_d(listed_at: &[u8]) -> bool {
    listed_at.starts_with(STATUS_D) && listed_at.get(STATUS_D.len()) == Some(&b'/')
}

/// Debian packages from dpkg's database.
pub struct DpkgDb;

impl Database for DpkgDb {
    const WHAT: &'static str = "dpkg database";
    const MAX_SIZE: u64 = MAX_DB_SIZE;

    /// The status file and the `status.d` files together: one installation.
    fn files(&self, fs: &Vfs) -> Vec<Vec<Vec<u8>>> {
        let mut files = vec![STATUS.to_vec()];
        for entry in fs.read_dir(STATUS_D) {
            if entry.ends_with(b".md5sums") {
                continue;
            }
            let mut p = STATUS_D.to_vec();
            p.push(b'/');
            p.extend_from_slice(&entry);
            files.push(p);
        }
        vec![files]
    }

    fn parse(&self, listed_at: &[u8], content: &[u8], file: &str) -> (Vec<Installed>, Vec<String>) {
        let status_d = is_status_d(listed_at);
        let (records, warnings) = parse(content, file);
        let installed = records
            .into_iter()
            .filter(|r| r.is_installed(status_d))
            .map(installed)
            .collect();
        (installed, warnings)
    }

    fn inferred_namespace(&self, installed: &[&Installed]) -> &'static str {
        inferred_namespace(installed)
    }

    fn complete(&self, fs: &Vfs, db: &DbFile, r: &mut Installed) {
        let p = &mut r.package;
        p.licenses = fs
            .read(format!("usr/share/doc/{}/copyright", p.name).as_bytes())
            .and_then(|c| copyright_licenses(c))
            .unwrap_or_default();
        r.files = owned_files(fs, db, p);
    }

    fn satisfies(&self, have: &str, op: &str, want: &str) -> bool {
        version::satisfies(have, op, want)
    }
}

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
        os_db::catalog(self, cx, self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::{by_name, distro, file, fixture, put, run};
    use crate::catalog::Owned;
    use crate::model::{Actor, RelationshipKind};

    const UBUNTU: &str = "dpkg/ubuntu-18.04-full/var/lib/dpkg/status";

    fn status_fs(text: &[u8]) -> Vfs {
        let mut fs = Vfs::new();
        put(&mut fs, "var/lib/dpkg/status", file(0, text));
        fs
    }

    fn edges(found: &Found, from: &str, kind: RelationshipKind) -> Vec<String> {
        found
            .relationships
            .iter()
            .filter(|r| r.from == from && r.kind == kind)
            .map(|r| r.to.clone())
            .collect()
    }

    #[test]
    fn ubuntu_1804_installed_only() {
        let text = fixture(UBUNTU);
        let (records, warnings) = parse(&text, "status");
        assert_eq!(records.len(), 91);
        assert!(warnings.is_empty(), "{warnings:?}");
        let fs = status_fs(&text);
        let found = run(&DpkgDb, &fs, Some(&distro("ubuntu-20.04.os-release")));
        assert_eq!(found.packages.len(), 90);
        assert!(found.packages.iter().all(|p| p.name != "git")); // deinstall ok config-files
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);

        // Source with its own version (an epoch the source does not have).
        let gcc = by_name(&found, "libgcc1");
        assert_eq!(gcc.id, "deb:libgcc1:amd64@1:8-20180414-1ubuntu2");
        assert_eq!(gcc.source_name.as_deref(), Some("gcc-8"));
        assert_eq!(gcc.source_version.as_deref(), Some("8-20180414-1ubuntu2"));
        assert_eq!(
            gcc.purl.as_deref(),
            Some("pkg:deb/ubuntu/libgcc1@1:8-20180414-1ubuntu2?arch=amd64&distro=ubuntu-20.04&upstream=gcc-8%408-20180414-1ubuntu2")
        );
        assert_eq!(
            gcc.cpes,
            vec!["cpe:2.3:a:ubuntu:libgcc1:1\\:8-20180414-1ubuntu2:*:*:*:*:*:*:*"]
        );
        let lzma = by_name(&found, "liblzma5");
        assert_eq!(
            lzma.source_version.as_deref(),
            Some("5.1.1alpha+20120614-2")
        );
        assert_eq!(
            lzma.purl.as_deref(),
            Some("pkg:deb/ubuntu/liblzma5@5.1.1alpha%2B20120614-2%2Bb3?arch=amd64&distro=ubuntu-20.04&upstream=xz-utils%405.1.1alpha%2B20120614-2")
        );
        // Source name only: the version is the package's.
        let gpgv = by_name(&found, "gpgv");
        assert_eq!(gpgv.source_name.as_deref(), Some("gnupg2"));
        assert_eq!(gpgv.source_version.as_deref(), Some("2.2.4-1ubuntu1.1"));
        assert!(gpgv.purl.as_deref().unwrap().ends_with("&upstream=gnupg2"));
        // No Source: the package is its own source, and the purl says nothing more.
        let dpkg = by_name(&found, "dpkg");
        assert_eq!(dpkg.source_name.as_deref(), Some("dpkg"));
        assert_eq!(
            dpkg.purl.as_deref(),
            Some("pkg:deb/ubuntu/dpkg@1.19.0.5ubuntu2?arch=amd64&distro=ubuntu-20.04")
        );
        assert_eq!(dpkg.properties["sbomkit:deb:multi-arch"], "foreign");
        assert_eq!(dpkg.found_by, "dpkg-db");
        assert_eq!(dpkg.evidence, vec!["/var/lib/dpkg/status"]);
        assert_eq!(dpkg.supplier, Actor::organization("Ubuntu"));
        assert_eq!(
            dpkg.originator,
            Actor::person(
                "Ubuntu Developers",
                Some("ubuntu-devel-discuss@lists.ubuntu.com")
            )
        );

        // Alternatives: `debconf (>= 0.5) | debconf-2.0` → debconf itself.
        let pam = "deb:libpam-runtime:all@1.1.8-3.6ubuntu2";
        let deps = edges(&found, pam, RelationshipKind::DependsOn);
        assert!(
            deps.contains(&"deb:debconf:all@1.5.66".to_string()),
            "{deps:?}"
        );
        // Virtual package: base-files Pre-Depends on awk, which mawk provides.
        assert!(edges(
            &found,
            "deb:base-files:amd64@10.1ubuntu2.2",
            RelationshipKind::DependsOn
        )
        .contains(&"deb:mawk:amd64@1.3.3-17ubuntu3".to_string()));
        // `gpgv | gpgv2 | gpgv1` → gpgv; `libgcc1 (>= 1:3.0)` holds against an epoch.
        let apt = edges(
            &found,
            "deb:apt:amd64@1.6.3ubuntu0.1",
            RelationshipKind::DependsOn,
        );
        assert!(apt.contains(&"deb:gpgv:amd64@2.2.4-1ubuntu1.1".to_string()));
        assert!(apt.contains(&"deb:libgcc1:amd64@1:8-20180414-1ubuntu2".to_string()));
        // Recommends and Suggests are optional, and only when installed.
        let apt_opt = edges(
            &found,
            "deb:apt:amd64@1.6.3ubuntu0.1",
            RelationshipKind::OptionalDependsOn,
        );
        assert!(apt_opt
            .iter()
            .all(|t| found.packages.iter().any(|p| &p.id == t)));
        // Every edge ends at an installed package.
        for r in &found.relationships {
            assert!(found.packages.iter().any(|p| p.id == r.to), "{r:?}");
        }
    }

    #[test]
    fn namespace_inferred_from_base_files() {
        let found = run(&DpkgDb, &status_fs(&fixture(UBUNTU)), None);
        assert_eq!(
            by_name(&found, "dpkg").purl.as_deref(),
            Some("pkg:deb/ubuntu/dpkg@1.19.0.5ubuntu2?arch=amd64")
        );
        assert_eq!(found.warnings.len(), 1);
        assert!(found.warnings[0].contains("`ubuntu` inferred"));
        let found = run(
            &DpkgDb,
            &status_fs(&fixture("dpkg/debian-10-postgresql.status")),
            None,
        );
        assert!(by_name(&found, "postgresql-client")
            .purl
            .as_deref()
            .unwrap()
            .starts_with("pkg:deb/debian/postgresql-client@11%2B200%2Bdeb10u5?arch=all&upstream="));
    }

    #[test]
    fn debian_10_postgresql() {
        let mut d = distro("debian-12.os-release");
        d.version_id = Some("10".into());
        let found = run(
            &DpkgDb,
            &status_fs(&fixture("dpkg/debian-10-postgresql.status")),
            Some(&d),
        );
        assert_eq!(found.packages.len(), 3);
        let client = by_name(&found, "postgresql-client");
        assert_eq!(
            client.purl.as_deref(),
            Some("pkg:deb/debian/postgresql-client@11%2B200%2Bdeb10u5?arch=all&distro=debian-10&upstream=postgresql-common%40200%2Bdeb10u5")
        );
        assert_eq!(client.supplier, Actor::organization("Debian GNU/Linux"));
        assert_eq!(client.properties["sbomkit:deb:installed-size"], "65");
        assert_eq!(client.properties["sbomkit:deb:section"], "database");
        assert_eq!(
            client.description.as_deref(),
            Some("front-end programs for PostgreSQL (supported version)")
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert_eq!(
            edges(&found, &client.id, RelationshipKind::DependsOn),
            ["deb:postgresql-client-11:amd64@11.22-0+deb10u2"]
        );
        let c11 = "deb:postgresql-client-11:amd64@11.22-0+deb10u2";
        // `postgresql-client-common (>= 182~)` holds; libpq5, libc6 ... are not installed here.
        assert_eq!(
            edges(&found, c11, RelationshipKind::DependsOn),
            ["deb:postgresql-client-common:all@200+deb10u5"]
        );
        // Suggests of packages not installed give nothing.
        assert!(edges(&found, c11, RelationshipKind::OptionalDependsOn).is_empty());
    }

    #[test]
    fn version_constraints_pick_the_satisfiable_alternative() {
        let text = b"Package: app\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nDepends: old (>= 2) | new, virt (>= 1), plainvirt, pinned:any (<< 5), mine:i386\nRecommends: gone | new\n\n\
Package: old\nStatus: install ok installed\nVersion: 1.5\nArchitecture: amd64\n\n\
Package: new\nStatus: install ok installed\nVersion: 3\nArchitecture: amd64\nProvides: virt (= 1.0), plainvirt\n\n\
Package: pinned\nStatus: install ok installed\nVersion: 4\nArchitecture: all\n\n\
Package: mine\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n\
Package: mine\nStatus: install ok installed\nVersion: 1\nArchitecture: i386\n";
        let found = run(
            &DpkgDb,
            &status_fs(text),
            Some(&distro("debian-12.os-release")),
        );
        assert_eq!(found.packages.len(), 6);
        assert_eq!(
            edges(&found, "deb:app:amd64@1", RelationshipKind::DependsOn),
            ["deb:mine:i386@1", "deb:new:amd64@3", "deb:pinned:all@4"]
        );
        assert_eq!(
            edges(
                &found,
                "deb:app:amd64@1",
                RelationshipKind::OptionalDependsOn
            ),
            ["deb:new:amd64@3"]
        );
        let deps = parse_relations("a:any (>= 1:2.0~rc1) [amd64] <!nocheck> | b, , c");
        assert_eq!(deps.len(), 2);
        assert_eq!(
            deps[0][0],
            Dep {
                name: "a".into(),
                arch: Some("any".into()),
                constraint: Some((">=".into(), "1:2.0~rc1".into()))
            }
        );
        assert_eq!(deps[0][1].name, "b");
        assert_eq!(deps[1][0].name, "c");
    }

    #[test]
    fn libpam_md5sums_and_copyright() {
        let base = "dpkg/debian-libpam";
        let mut fs = Vfs::new();
        for f in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/info/libpam-runtime.md5sums",
            "usr/share/doc/libpam-runtime/copyright",
            "etc/os-release",
        ] {
            put(&mut fs, f, file(0, &fixture(&format!("{base}/{f}"))));
        }
        let d = crate::catalog::read_distro(&fs).unwrap();
        let found = run(&DpkgDb, &fs, Some(&d));
        assert_eq!(found.packages.len(), 1);
        // The file opens with an empty `Package:` paragraph: a warning with its line.
        assert_eq!(
            found.warnings,
            vec!["/var/lib/dpkg/status:1: package paragraph without Package: or Version:, skipped"]
        );
        let p = &found.packages[0];
        assert_eq!(p.id, "deb:libpam-runtime:all@1.1.8-3.6");
        let lic: Vec<(&str, Option<&str>)> = p
            .licenses
            .iter()
            .map(|l| (l.raw.as_str(), l.spdx.as_deref()))
            .collect();
        assert_eq!(
            lic,
            [
                ("GPL-2", Some("GPL-2.0-only")),
                ("LGPL-2.1", Some("LGPL-2.1-only"))
            ]
        );
        assert_eq!(
            p.purl.as_deref(),
            Some(
                format!(
                    "pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro={}&upstream=pam",
                    crate::purl::distro_qualifier(&d)
                )
                .as_str()
            )
        );
        // No .list: ownership comes from the md5sums, with MD5 digests.
        assert_eq!(found.owned.len(), 4);
        assert_eq!(found.owned[0].path, b"lib/x86_64-linux-gnu/libz.so.1.2.11");
        assert_eq!(
            found.owned[0].checksums,
            vec![Checksum::new(
                HashAlg::Md5,
                "55f905631797551d4d936a34c7e73474"
            )]
        );
        assert!(found.owned.iter().all(|o| o.package == p.id));
    }

    #[test]
    fn distroless_status_d() {
        let base = "dpkg/distroless";
        let mut fs = Vfs::new();
        for f in [
            "var/lib/dpkg/status.d/libsqlite3-0",
            "var/lib/dpkg/status.d/libsqlite3-0.md5sums",
            "usr/share/doc/libsqlite3-0/copyright",
        ] {
            put(&mut fs, f, file(0, &fixture(&format!("{base}/{f}"))));
        }
        let d = distro("distroless-debian-11.os-release");
        let found = run(&DpkgDb, &fs, Some(&d));
        assert_eq!(found.packages.len(), 1, "the .md5sums is not a package");
        let p = &found.packages[0];
        assert_eq!(p.id, "deb:libsqlite3-0:arm64@3.34.1-3");
        assert_eq!(p.evidence, vec!["/var/lib/dpkg/status.d/libsqlite3-0"]);
        assert_eq!(
            p.purl.as_deref(),
            Some(
                "pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&distro=debian-11&upstream=sqlite3"
            )
        );
        let lic: Vec<(&str, Option<&str>)> = p
            .licenses
            .iter()
            .map(|l| (l.raw.as_str(), l.spdx.as_deref()))
            .collect();
        assert_eq!(
            lic,
            [
                ("GPL-2+", Some("GPL-2.0-or-later")),
                ("public-domain", Some("LicenseRef-public-domain"))
            ]
        );
        assert_eq!(found.owned.len(), 6);
        assert!(found.owned.iter().any(|o| o.path
            == b"usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6"
            && o.checksums
                == [Checksum::new(
                    HashAlg::Md5,
                    "e11d70c96979a1328ae4e7e50542782b"
                )]));
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    #[test]
    fn tar_list_ownership_skips_folders() {
        let mut fs = status_fs(&fixture(UBUNTU));
        put(
            &mut fs,
            "var/lib/dpkg/info/tar.list",
            file(0, &fixture("dpkg/info/tar.list")),
        );
        put(
            &mut fs,
            "var/lib/dpkg/info/tar.md5sums",
            file(0, &fixture("dpkg/info/tar.md5sums")),
        );
        // `/usr/share/man/man8` has no entry below it in the list but is a folder in the image.
        put(&mut fs, "usr/share/man/man8/rmt-tar.8.gz", file(0, b"x"));
        let found = run(&DpkgDb, &fs, Some(&distro("ubuntu-20.04.os-release")));
        let tar: Vec<&Owned> = found
            .owned
            .iter()
            .filter(|o| o.package == "deb:tar:amd64@1.29b-2")
            .collect();
        let paths: Vec<String> = tar
            .iter()
            .map(|o| String::from_utf8_lossy(&o.path).into_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "bin/tar",
                "etc/rmt",
                "usr/lib/mime/packages/tar",
                "usr/sbin/rmt-tar",
                "usr/sbin/tarcat",
                "usr/share/doc/tar/AUTHORS",
                "usr/share/doc/tar/NEWS.gz",
                "usr/share/doc/tar/README.Debian",
                "usr/share/doc/tar/THANKS.gz",
                "usr/share/doc/tar/changelog.Debian.gz",
                "usr/share/doc/tar/copyright",
                "usr/share/man/man1/tar.1.gz",
                "usr/share/man/man1/tarcat.1.gz",
                "usr/share/man/man8/rmt-tar.8.gz",
            ]
        );
        // md5sums say usr/bin/tar, the list /bin/tar: only paths both name get a digest.
        let digest = |p: &str| {
            tar.iter()
                .find(|o| o.path == p.as_bytes())
                .unwrap()
                .checksums
                .clone()
        };
        assert!(digest("bin/tar").is_empty());
        assert_eq!(
            digest("usr/sbin/tarcat"),
            vec![Checksum::new(
                HashAlg::Md5,
                "fd2fab77cf4da2288c11a4de2c0c7fe0"
            )]
        );
    }

    #[test]
    fn multiarch_info_files() {
        let text = b"Package: libfoo\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n";
        let mut fs = status_fs(text);
        put(
            &mut fs,
            "var/lib/dpkg/info/libfoo:amd64.list",
            file(0, b"/.\n/usr\n/usr/lib\n/usr/lib/libfoo.so.1\n"),
        );
        put(
            &mut fs,
            "var/lib/dpkg/info/libfoo:amd64.md5sums",
            file(
                0,
                b"0123456789abcdef0123456789ABCDEF  usr/lib/libfoo.so.1\nshort  x\n",
            ),
        );
        let found = run(&DpkgDb, &fs, None);
        assert_eq!(found.owned.len(), 1);
        assert_eq!(found.owned[0].path, b"usr/lib/libfoo.so.1");
        assert_eq!(
            found.owned[0].checksums[0].value,
            "0123456789abcdef0123456789abcdef"
        );
    }

    #[test]
    fn layers_follow_the_status_history() {
        let v0 = b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: b\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: c\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n";
        // Layer 1: b upgraded, c removed (config files left), d added.
        let v1 = b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: b\nStatus: install ok installed\nVersion: 2\nArchitecture: all\n\nPackage: c\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: all\n\nPackage: d\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n";
        // Layer 2: c reinstalled, the file rewritten.
        let v2 = b"Package: d\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: c\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: b\nStatus: install ok installed\nVersion: 2\nArchitecture: all\n\nPackage: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n";
        let mut fs = Vfs::new();
        put(&mut fs, "var/lib/dpkg/status", file(0, v0));
        put(&mut fs, "var/lib/dpkg/status", file(1, v1));
        put(&mut fs, "var/lib/dpkg/status", file(2, v2));
        let found = run(&DpkgDb, &fs, None);
        let layer = |n: &str| by_name(&found, n).layer;
        assert_eq!(
            [layer("a"), layer("b"), layer("c"), layer("d")],
            [Some(0), Some(1), Some(2), Some(1)]
        );

        // status.d: each file has its own history.
        let mut fs = Vfs::new();
        let pkg = |n: &str, v: &str| {
            format!("Package: {n}\nVersion: {v}\nArchitecture: amd64\n").into_bytes()
        };
        put(&mut fs, "var/lib/dpkg/status.d/x", file(0, &pkg("x", "1")));
        put(&mut fs, "var/lib/dpkg/status.d/y", file(0, &pkg("y", "1")));
        put(&mut fs, "var/lib/dpkg/status.d/x", file(2, &pkg("x", "1")));
        put(&mut fs, "var/lib/dpkg/status.d/y", file(3, &pkg("y", "2")));
        let found = run(&DpkgDb, &fs, None);
        assert_eq!(by_name(&found, "x").layer, Some(0));
        assert_eq!(by_name(&found, "y").layer, Some(3));
    }

    #[test]
    fn malformed_paragraphs_and_garbage() {
        let mut text = fixture(UBUNTU);
        text.splice(
            0..0,
            b"Package: broken\nthis line is junk\nVersion: 1\nStatus: install ok installed\n\n"
                .iter()
                .copied(),
        );
        let found = run(&DpkgDb, &status_fs(&text), None);
        assert_eq!(found.packages.len(), 91);
        assert!(found.warnings.contains(
            &"/var/lib/dpkg/status:2: line is neither `Name: value` nor a continuation".to_string()
        ));

        let mut junk = Vec::new();
        let mut x: u32 = 7;
        for _ in 0..20000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let b = (x >> 16) as u8;
            junk.extend_from_slice(match b % 10 {
                0 => b"\n",
                1 => b": ",
                2 => b"Package",
                3 => b"Depends: a (>= | b:",
                4 => b"\n ",
                5 => b"(",
                _ => std::slice::from_ref(&b),
            });
        }
        let mut fs = status_fs(&junk);
        put(&mut fs, "var/lib/dpkg/status.d/j", file(0, &junk));
        put(&mut fs, "usr/share/doc/Package/copyright", file(0, &junk));
        let _ = run(&DpkgDb, &fs, None);
        let _ = parse_md5sums(&junk);
        let _ = copyright_licenses(&junk);
        assert!(copyright_licenses(b"Upstream: x\n\nLicense: MIT\n").is_none());
    }

    #[test]
    fn keeps_only_what_it_reads() {
        let k = |p: &[u8]| DpkgDb.keep(p, b"").is_some();
        assert!(k(b"var/lib/dpkg/status"));
        assert!(k(b"var/lib/dpkg/status.d/libc6"));
        assert!(k(b"var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(k(b"var/lib/dpkg/info/tar.list"));
        assert!(k(b"var/lib/dpkg/info/libc6:amd64.md5sums"));
        assert!(k(b"usr/share/doc/tar/copyright"));
        assert!(!k(b"var/lib/dpkg/info/tar.postinst"));
        assert!(!k(b"var/lib/dpkg/status-old"));
        assert!(!k(b"var/lib/dpkg/status.d/a/b"));
        assert!(!k(b"usr/share/doc/tar/changelog.gz"));
        assert!(!k(b"usr/share/doc/tar/sub/copyright"));
    }
}
