//! RPM installed-package databases, in their three backends at the three places rpm keeps them:
//! SQLite `rpmdb.sqlite` (rpm ≥ 4.16: Fedora, RHEL/UBI 9, Azure Linux), Berkeley DB hash
//! `Packages` (RHEL/CentOS 7–8, UBI 8, Amazon Linux 2) and ndb `Packages.db` (SUSE). Each backend
//! only stores header blobs; [`header`] reads them. One folder holds one database: the backend
//! rpm would use there is read, and a leftover of another backend beside it is a warning.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use self::header::Header;
use super::os_db::{self, Database, Dep, Installed, OwnedFile};
use super::{license, Cataloger, Context, Found};
use crate::model::{Checksum, HashAlg, Package, PackageKind, Purpose, Unknown, UnknownCause};
use crate::source::{display_path, vfs, Vfs};

pub const KIND: PackageKind = PackageKind {
    name: "rpm",
    purl_type: Some("rpm"),
    purpose: Purpose::Library,
    technique: None,
    purl_is_evidence: false,
    file: None,
};

/// How a warning about a database file that could not be read at all ends.
const NOT_CATALOGUED: &str = "its packages are not catalogued";

/// Warnings listed per database file.
const MAX_WARNINGS: usize = 50;

/// Largest database file read; a full server install is tens of MiB.
const MAX_DB_SIZE: u64 = 512 << 20;

/// The folders rpm keeps its database in.
pub const FOLDERS: [&[u8]; 3] = [b"var/lib/rpm", b"usr/lib/sysimage/rpm", b"usr/share/rpm"];
/// The backends' files, in the order rpm prefers them where several are present.
pub const FILES: [&[u8]; 3] = [b"rpmdb.sqlite", b"Packages.db", b"Packages"];

/// Whether `path` is one of the database files.
fn is_db_path(path: &[u8]) -> bool {
    FOLDERS.iter().any(|f| {
        path.strip_prefix(*f)
            .and_then(|r| r.strip_prefix(b"/"))
            .is_some_and(|name| FILES.contains(&name))
    })
}

/// Header blobs by header number, and problems met with single ones.
pub type Blobs = (Vec<(u32, Vec<u8>)>, Vec<String>);

/// The header blobs of a database file, whichever backend wrote it, and problems with single ones.
pub fn blobs(content: &[u8]) -> Result<Blobs, String> {
    if content.starts_with(sqlite::MAGIC) {
        sqlite::packages(content)
    } else if content.starts_with(ndb::MAGIC) {
        ndb::blobs(content)
    } else if bdb::is_hash_db(content) {
        bdb::values(content)
    } else {
        Err("neither an SQLite, ndb nor Berkeley DB hash file".into())
    }
}

/// One package as its header states it.
#[derive(Debug, Clone, PartialEq)]
pub struct RpmRecord {
    /// The header number (rpm's instance), named in warnings.
    pub number: u32,
    pub name: String,
    pub epoch: Option<u64>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub source_rpm: Option<String>,
    pub size: Option<u64>,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub modularity_label: Option<String>,
    pub provides: Vec<(String, Option<String>)>,
    pub requires: Vec<Dep>,
    pub recommends: Vec<Dep>,
    pub files: Vec<OwnedFile>,
}

impl RpmRecord {
    /// `[epoch:]version-release`, as rpm prints it and scanners compare it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

const SENSE_LESS: u64 = 1 << 1;
const SENSE_GREATER: u64 = 1 << 2;
const SENSE_EQUAL: u64 = 1 << 3;
const SENSE_RPMLIB: u64 = 1 << 24;

fn operator(flags: u64) -> Option<&'static str> {
    match flags & (SENSE_LESS | SENSE_GREATER | SENSE_EQUAL) {
        SENSE_LESS => Some("<"),
        x if x == SENSE_LESS | SENSE_EQUAL => Some("<="),
        SENSE_EQUAL => Some("="),
        x if x == SENSE_GREATER | SENSE_EQUAL => Some(">="),
        SENSE_GREATER => Some(">"),
        _ => None,
    }
}

/// The dependencies of one kind: names, versions and flags side by side.
fn deps(h: &Header<'_>, names: u32, versions: u32, flags: u32) -> Vec<Dep> {
    let v = h.strings(versions);
    let f = h.ints(flags);
    h.strings(names)
        .into_iter()
        .enumerate()
        .filter(|(i, n)| {
            // rpm's own features and rich (boolean) dependencies name no package.
            !n.starts_with("rpmlib(")
                && !n.starts_with('(')
                && f.get(*i).is_none_or(|fl| fl & SENSE_RPMLIB == 0)
        })
        .map(|(i, name)| {
            let constraint = match (f.get(i).copied().and_then(operator), v.get(i)) {
                (Some(op), Some(ver)) if !ver.is_empty() => Some((op.to_string(), ver.clone())),
                _ => None,
            };
            Dep {
                name,
                arch: None,
                constraint,
            }
        })
        .collect()
}

fn digest_alg(code: u64) -> Option<HashAlg> {
    match code {
        1 => Some(HashAlg::Md5),
        2 => Some(HashAlg::Sha1),
        8 => Some(HashAlg::Sha256),
        9 => Some(HashAlg::Sha384),
        10 => Some(HashAlg::Sha512),
        11 => Some(HashAlg::Sha224),
        _ => None,
    }
}

/// The files a header lists, folders left out (as in dpkg's lists, a folder is no file of its
/// own), each with its recorded digest.
fn files(h: &Header<'_>) -> Vec<OwnedFile> {
    let paths: Vec<String> = {
        let base = h.strings(header::BASENAMES);
        let dirs = h.strings(header::DIRNAMES);
        let idx = h.ints(header::DIRINDEXES);
        if base.is_empty() {
            h.strings(header::OLDFILENAMES)
        } else if idx.len() != base.len() {
            Vec::new()
        } else {
            base.iter()
                .zip(&idx)
                .filter_map(|(b, &i)| Some(format!("{}{b}", dirs.get(usize::try_from(i).ok()?)?)))
                .collect()
        }
    };
    let modes = h.ints(header::FILEMODES);
    let digests = h.strings(header::FILEDIGESTS);
    let alg = digest_alg(h.int(header::FILEDIGESTALGO).unwrap_or(1));
    paths
        .iter()
        .enumerate()
        .filter(|(i, _)| modes.get(*i).is_none_or(|m| m & 0o170000 != 0o040000))
        .map(|(i, p)| {
            let sums = match (alg, digests.get(i)) {
                (Some(a), Some(d)) if !d.is_empty() => {
                    let c = Checksum::new(a, d.to_ascii_lowercase());
                    c.is_well_formed().then_some(c).into_iter().collect()
                }
                _ => Vec::new(),
            };
            (vfs::normalize(p.as_bytes()), sums)
        })
        .filter(|(p, _)| !p.is_empty())
        .collect()
}

/// A header blob as a record; `None` for rpm's public keys (`gpg-pubkey`), which are no software.
pub fn record(number: u32, blob: &[u8]) -> Result<Option<RpmRecord>, String> {
    let h = Header::parse(blob)?;
    let name = h.string(header::NAME).ok_or("header without a name")?;
    if name == "gpg-pubkey" {
        return Ok(None);
    }
    let version = h
        .string(header::VERSION)
        .ok_or("header without a version")?;
    let release = h.string(header::RELEASE).unwrap_or_default();
    let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty() && s != "(none)");
    let provides: Vec<(String, Option<String>)> = {
        let v = h.strings(header::PROVIDEVERSION);
        let f = h.ints(header::PROVIDEFLAGS);
        h.strings(header::PROVIDENAME)
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let exact = f.get(i).is_some_and(|fl| fl & SENSE_EQUAL != 0);
                (n, v.get(i).filter(|v| exact && !v.is_empty()).cloned())
            })
            .collect()
    };
    Ok(Some(RpmRecord {
        number,
        name,
        epoch: h.int(header::EPOCH),
        version,
        release,
        arch: nonempty(h.string(header::ARCH)),
        license: nonempty(h.string(header::LICENSE)),
        vendor: nonempty(h.string(header::VENDOR)),
        source_rpm: nonempty(h.string(header::SOURCERPM)),
        size: h.int(header::LONGSIZE).or_else(|| h.int(header::SIZE)),
        summary: nonempty(h.string(header::SUMMARY)),
        url: nonempty(h.string(header::URL)),
        modularity_label: nonempty(h.string(header::MODULARITYLABEL)),
        provides,
        requires: deps(
            &h,
            header::REQUIRENAME,
            header::REQUIREVERSION,
            header::REQUIREFLAGS,
        ),
        recommends: deps(
            &h,
            header::RECOMMENDNAME,
            header::RECOMMENDVERSION,
            header::RECOMMENDFLAGS,
        ),
        files: files(&h),
    }))
}

/// The packages of a database file, and problems met (each naming `file`).
pub fn parse(content: &[u8], file: &str) -> (Vec<RpmRecord>, Vec<String>) {
    let (blobs, problems) = match blobs(content) {
        Ok(b) => b,
        Err(e) => return (Vec::new(), vec![format!("{file}: {e}: {NOT_CATALOGUED}")]),
    };
    let mut warnings: Vec<String> = problems
        .into_iter()
        .map(|p| format!("{file}: {p}"))
        .collect();
    let mut records = Vec::new();
    for (number, blob) in blobs {
        match record(number, &blob) {
            Ok(Some(r)) => records.push(r),
            Ok(None) => {}
            Err(e) => warnings.push(format!("{file}: package header {number}: {e}")),
        }
    }
    // A corrupt file could otherwise give one warning per page or header.
    if warnings.len() > MAX_WARNINGS {
        let more = warnings.len() - MAX_WARNINGS;
        warnings.truncate(MAX_WARNINGS);
        warnings.push(format!("{file}: {more} more problems not listed"));
    }
    (records, warnings)
}

/// `name-version-release.src.rpm` → name and `version-release`.
fn source_of(srpm: &str) -> Option<(String, String)> {
    let stem = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty())
        .then(|| (name.to_string(), format!("{version}-{release}")))
}

fn installed(r: RpmRecord) -> Installed {
    let version = r.evr();
    let id = match &r.arch {
        Some(a) => format!("rpm:{}:{a}@{version}", r.name),
        None => format!("rpm:{}@{version}", r.name),
    };
    let mut props = BTreeMap::new();
    for (k, v) in [
        ("size", r.size.map(|s| s.to_string())),
        ("vendor", r.vendor.clone()),
        ("modularity-label", r.modularity_label.clone()),
    ] {
        if let Some(v) = v {
            props.insert(format!("sbomkit:rpm:{k}"), v);
        }
    }
    let source = r.source_rpm.as_deref().and_then(source_of);
    let mut qualifiers = Vec::new();
    if let Some(e) = r.epoch {
        qualifiers.push(("epoch", e.to_string()));
    }
    if let Some(s) = &r.source_rpm {
        qualifiers.push(("upstream", s.clone()));
    }
    let package = Package {
        name: r.name.clone(),
        version,
        arch: r.arch.clone(),
        source_name: source.as_ref().map(|s| s.0.clone()),
        // The source RPM's file name has no epoch; its package has the binary's (one spec file).
        // Trivy and Grype assume the same, and match source advisories on that version.
        source_version: source.map(|s| match r.epoch {
            Some(e) if e != 0 => format!("{e}:{}", s.1),
            _ => s.1,
        }),
        licenses: r
            .license
            .as_deref()
            .map(license::from_raw)
            .into_iter()
            .collect(),
        description: r.summary.clone(),
        homepage: r.url.clone(),
        properties: props,
        ..Package::new(id, KIND)
    };
    Installed {
        line: r.number as usize,
        package,
        qualifiers,
        multiarch: r.arch,
        provides: r.provides,
        depends: r.requires.into_iter().map(|d| vec![d]).collect(),
        optional: r.recommends.into_iter().map(|d| vec![d]).collect(),
        files: r.files,
    }
}

/// A file dependency (`/bin/sh`) is met by the package that owns the file: such files become
/// provided names of their owners, only those some package requires.
fn provide_required_files(installed: &mut [Installed]) {
    let wanted: BTreeSet<String> = installed
        .iter()
        .flat_map(|r| r.depends.iter().chain(&r.optional).flatten())
        .filter(|d| d.name.starts_with('/'))
        .map(|d| d.name.clone())
        .collect();
    if wanted.is_empty() {
        return;
    }
    for r in installed {
        let owned: Vec<String> = r
            .files
            .iter()
            .map(|(p, _)| format!("/{}", String::from_utf8_lossy(p)))
            .filter(|p| wanted.contains(p))
            .collect();
        r.provides.extend(owned.into_iter().map(|p| (p, None)));
    }
}

/// rpm's `rpmvercmp`: alternating numeric and alphabetic segments, `~` sorting before anything
/// and `^` after the end but before anything else.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while x.first().is_some_and(|&c| sep(c)) {
            x = &x[1..];
        }
        while y.first().is_some_and(|&c| sep(c)) {
            y = &y[1..];
        }
        if x.first() == Some(&b'~') || y.first() == Some(&b'~') {
            if x.first() != Some(&b'~') {
                return Ordering::Greater;
            }
            if y.first() != Some(&b'~') {
                return Ordering::Less;
            }
            (x, y) = (&x[1..], &y[1..]);
            continue;
        }
        if x.first() == Some(&b'^') || y.first() == Some(&b'^') {
            match (x.first(), y.first()) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(&c), _) if c != b'^' => return Ordering::Greater,
                (_, Some(&c)) if c != b'^' => return Ordering::Less,
                _ => {}
            }
            (x, y) = (&x[1..], &y[1..]);
            continue;
        }
        if x.is_empty() || y.is_empty() {
            break;
        }
        let numeric = x[0].is_ascii_digit();
        let seg = |s: &[u8]| -> usize {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (n, m) = (seg(x), seg(y));
        if m == 0 {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sx, sy) = (&x[..n], &y[..m]);
        let ord = if numeric {
            let tx = &sx[sx.iter().take_while(|&&c| c == b'0').count()..];
            let ty = &sy[sy.iter().take_while(|&&c| c == b'0').count()..];
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
        } else {
            sx.cmp(sy)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        (x, y) = (&x[n..], &y[m..]);
    }
    match (x.is_empty(), y.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// `[epoch:]version[-release]` split; a missing epoch is 0.
fn split_evr(evr: &str) -> (u64, &str, Option<&str>) {
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, r)) if e.bytes().all(|b| b.is_ascii_digit()) && !e.is_empty() => {
            (e.parse().unwrap_or(0), r)
        }
        _ => (0, evr),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (epoch, v, Some(r)),
        None => (epoch, rest, None),
    }
}

/// Compares two EVRs as rpm does for a dependency: a release missing on either side is not
/// compared.
pub fn evr_cmp(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = split_evr(a);
    let (eb, vb, rb) = split_evr(b);
    ea.cmp(&eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(x), Some(y)) => rpmvercmp(x, y),
            _ => Ordering::Equal,
        })
}

/// The purl namespace without an os-release: the vendor the packages name, if one is known, as
/// [`os_release::purl_namespace`](crate::catalog::os_release::purl_namespace) names it.
fn inferred_namespace(installed: &[&Installed]) -> &'static str {
    const VENDORS: [(&str, &str); 9] = [
        ("Red Hat", "redhat"),
        ("Fedora", "fedora"),
        ("CentOS", "centos"),
        ("Microsoft", "cbl-mariner"),
        ("Amazon", "amazon"),
        ("SUSE", "suse"),
        ("openSUSE", "opensuse"),
        ("Rocky", "rocky"),
        ("AlmaLinux", "alma"),
    ];
    installed
        .iter()
        .filter_map(|r| r.package.properties.get("sbomkit:rpm:vendor"))
        .find_map(|v| {
            VENDORS
                .iter()
                .find(|(k, _)| v.contains(k))
                .map(|(_, ns)| *ns)
        })
        .unwrap_or("")
}

/// RPM packages from rpm's database.
pub struct RpmDb;

impl Database for RpmDb {
    const WHAT: &'static str = "RPM database";
    const MAX_SIZE: u64 = MAX_DB_SIZE;

    /// Per folder, the one backend rpm would read there; folders that are one (a link) once.
    fn files(&self, fs: &Vfs) -> Vec<Vec<Vec<u8>>> {
        let mut groups = Vec::new();
        for folder in FOLDERS {
            let present: Vec<Vec<u8>> = FILES
                .iter()
                .map(|f| [folder, b"/", f].concat())
                .filter(|p| fs.lookup(p).is_some_and(|(_, n)| n.is_file()))
                .collect();
            if let Some(first) = present.first() {
                groups.push(vec![first.clone()]);
            }
        }
        groups
    }

    fn parse(
        &self,
        _listed_at: &[u8],
        content: &[u8],
        file: &str,
    ) -> (Vec<Installed>, Vec<String>) {
        let (records, warnings) = parse(content, file);
        let mut installed: Vec<Installed> = records.into_iter().map(installed).collect();
        provide_required_files(&mut installed);
        (installed, warnings)
    }

    fn inferred_namespace(&self, installed: &[&Installed]) -> &'static str {
        inferred_namespace(installed)
    }

    /// rpm installs several versions of one name side by side (`installonlypkgs`: kernels).
    fn slot(&self, r: &Installed) -> (String, Option<String>) {
        let arch = r.multiarch.as_deref().unwrap_or_default();
        (
            r.package.name.clone(),
            Some(format!("{arch}@{}", r.package.version)),
        )
    }

    /// The vendor: Red Hat's os-release id is `rhel`, its purls say `redhat`.
    fn namespace(&self, distro_id: &str) -> String {
        crate::catalog::os_release::purl_namespace(distro_id)
    }

    /// The purl carries the epoch as a qualifier, not in the version.
    fn purl_version<'a>(&self, version: &'a str) -> &'a str {
        match version.split_once(':') {
            Some((e, v)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => v,
            _ => version,
        }
    }

    fn satisfies(&self, have: &str, op: &str, want: &str) -> bool {
        let ord = evr_cmp(have, want);
        match op {
            "<" => ord == Ordering::Less,
            "<=" => ord != Ordering::Greater,
            "=" => ord == Ordering::Equal,
            ">=" => ord != Ordering::Less,
            ">" => ord == Ordering::Greater,
            _ => true,
        }
    }
}

impl Cataloger for RpmDb {
    fn name(&self) -> &'static str {
        "rpm-db"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        is_db_path(path).then_some(MAX_DB_SIZE)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let mut found = os_db::catalog(self, cx, self.name());
        let mut seen = BTreeSet::new();
        for folder in FOLDERS {
            let present: Vec<Vec<u8>> = FILES
                .iter()
                .filter_map(|f| {
                    let (path, node) = cx.fs.lookup(&[folder, b"/", f].concat())?;
                    node.is_file().then_some(path)
                })
                .filter(|path| seen.insert(path.clone()))
                .collect();
            // A file that could not be read leaves the document incomplete.
            for path in &present {
                let shown = display_path(path);
                let unread = found
                    .warnings
                    .iter()
                    .any(|w| w.starts_with(&format!("{shown}: ")) && w.ends_with(NOT_CATALOGUED));
                if unread {
                    found.unknowns.push(Unknown {
                        location: shown,
                        what: Self::WHAT.to_string(),
                        why: "not read: the packages it lists are missing from this document"
                            .to_string(),
                        cause: UnknownCause::UnreadDatabase,
                    });
                }
            }
            // A second backend's file beside the one read: rpm does not read it either.
            for other in present.iter().skip(1) {
                found.warnings.push(format!(
                    "{}: not read: {} beside it is the database rpm uses",
                    display_path(other),
                    display_path(&present[0])
                ));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests;
