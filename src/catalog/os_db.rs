//! What the OS package databases share (APK, dpkg, RPM): a database cataloger parses its files
//! and maps each record to an [`Installed`]; [`catalog`] does the rest, the same for every database:
//!
//! - looks the database files up at their paths (links followed, each file read once), and warns
//!   about a file that was not read: reached only through a link, or too large ([`unread_database`]);
//! - keeps a package listed twice once (by name, and architecture where several are installed side
//!   by side), with a warning naming the line;
//! - names packages after the distro: purl namespace and `distro` qualifier, CPE vendor, supplier
//!   ([`Naming`]), inferred from the packages without an os-release;
//! - attributes each package to the layer from which it is listed in every version of its database
//!   file ([`layer_of`]);
//! - resolves dependencies through package names and provided names into DEPENDS_ON (and
//!   OPTIONAL_DEPENDS_ON) edges;
//! - reports the files each package owns, for later phases and `--files`;
//! - has the operating system package ([`os_release::os_package`]) CONTAIN each package, when
//!   there is an os-release: scanners find a system's packages through its OS.

use std::collections::{BTreeMap, BTreeSet};

use super::{os_release, Context, Found, Owned};
use crate::cpe;
use crate::model::{
    Actor, Checksum, Completeness, Distro, Package, Relationship, RelationshipKind,
};
use crate::purl::{Purl, PurlType};
use crate::source::vfs::Version;
use crate::source::{display_path, Vfs};

/// One installed package, as a database's record maps into the skeleton.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    /// Line of the record in its file, for warnings.
    pub line: usize,
    /// What the record says of the package: id, kind, name, version, arch, source, licenses,
    /// originator, description, homepage, checksums, properties. [`catalog`] adds the purl, CPE
    /// and supplier (from the distro), the layer, evidence and `found_by`.
    pub package: Package,
    /// purl qualifiers beside `arch` and `distro` (`upstream`).
    pub qualifiers: Vec<(&'static str, String)>,
    /// The architecture, where the database installs one package of a name per architecture
    /// (dpkg's multi-arch); `None` where a name is installed once. Packages are unique by name and
    /// this; dependencies prefer a provider of the same one.
    pub multiarch: Option<String>,
    /// Names it provides, each with the exact version it provides them at, if any.
    pub provides: Vec<(String, Option<String>)>,
    /// Groups of alternatives it needs: any one satisfies the group.
    pub depends: Vec<Vec<Dep>>,
    /// Groups of alternatives it can use when present.
    pub optional: Vec<Vec<Dep>>,
    /// Files it owns.
    pub files: Vec<OwnedFile>,
}

/// A file a package owns: root-relative path and the digests the database records (SPDX algorithm
/// name, lower-case hex).
pub type OwnedFile = (Vec<u8>, Vec<Checksum>);

/// One alternative of a dependency: `name[:arch] [(op version)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub name: String,
    /// `any`, `native` or an architecture, from `name:arch`.
    pub arch: Option<String>,
    /// Operator (`>=`, `<<`, `=`, ...) and version.
    pub constraint: Option<(String, String)>,
}

impl Dep {
    /// A dependency on any version of `name`.
    pub fn named(name: impl Into<String>) -> Dep {
        Dep {
            name: name.into(),
            arch: None,
            constraint: None,
        }
    }
}

/// One database file that was read.
pub struct DbFile {
    /// The path it was looked up at, as the database cataloger named it.
    pub listed_at: Vec<u8>,
    /// Its canonical path in the image.
    pub path: Vec<u8>,
    records: Vec<Installed>,
    /// What each version of the file lists (`None` where it was removed), oldest first.
    listed: Vec<Listed>,
    final_layer: Option<usize>,
    /// `--scope all-layers`: packages an earlier version listed and the final one does not, each
    /// with the layer that introduced it and the layer that removed it.
    removed: Vec<(Installed, usize, usize)>,
}

/// An OS package database: its files, its parser, its record mapping.
pub trait Database: Sync {
    /// Named in warnings: `APK database`.
    const WHAT: &'static str;
    /// Largest database file read: what its cataloger keeps.
    const MAX_SIZE: u64;

    /// The database files, root-relative as the database names them, in groups: the packages of
    /// one group are named together and resolve each other's dependencies.
    fn files(&self, fs: &Vfs) -> Vec<Vec<Vec<u8>>>;

    /// The installed packages the file looked up at `listed_at` lists, and problems met (each
    /// naming `file` and the line). Pure: it also reads the earlier versions of the file.
    fn parse(&self, listed_at: &[u8], content: &[u8], file: &str) -> (Vec<Installed>, Vec<String>);

    /// The purl namespace to use without an os-release, from the packages; empty for none.
    fn inferred_namespace(&self, installed: &[&Installed]) -> &'static str;

    /// Adds to a package what the database keeps beside its records (file lists, licenses);
    /// called once per package kept.
    fn complete(&self, _fs: &Vfs, _db: &DbFile, _installed: &mut Installed) {}

    /// What may be installed once: by default a name (per architecture, where several are).
    fn slot(&self, r: &Installed) -> (String, Option<String>) {
        (r.package.name.clone(), r.multiarch.clone())
    }

    /// The purl namespace for a distro's os-release id; the default is the id itself.
    fn namespace(&self, distro_id: &str) -> String {
        distro_id.to_string()
    }

    /// The purl version of a package version; the default is the version itself.
    fn purl_version<'a>(&self, version: &'a str) -> &'a str {
        version
    }

    /// Whether version `have` satisfies `op want`, in the database's version order. The default
    /// accepts any: for databases whose mapping records no constraints.
    fn satisfies(&self, _have: &str, _op: &str, _want: &str) -> bool {
        true
    }
}

/// The packages of `db` in the image, recorded as found by `found_by`.
pub fn catalog<D: Database>(db: &D, cx: &Context<'_>, found_by: &str) -> Found {
    let mut found = Found::default();
    let mut seen = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for group in db.files(cx.fs) {
        let mut files = Vec::new();
        for listed_at in group {
            let Some((path, node)) = cx.fs.lookup(&listed_at) else {
                // A database file a later layer deleted still has its history.
                if cx.all_layers && !cx.fs.history(&listed_at).is_empty() {
                    let path = crate::source::vfs::normalize(&listed_at);
                    if seen.insert(path.clone()) {
                        files.push(read(db, cx, listed_at, path, None, &mut found));
                    }
                }
                continue;
            };
            if !node.is_file() || !seen.insert(path.clone()) {
                continue;
            }
            match node.content.as_deref() {
                Some(content) => {
                    files.push(read(db, cx, listed_at, path, Some(content), &mut found));
                }
                None => found.warnings.push(unread_database(
                    D::WHAT,
                    &listed_at,
                    &path,
                    node.size,
                    D::MAX_SIZE,
                )),
            }
        }
        if !files.is_empty() {
            catalog_group(db, cx, files, &mut ids, found_by, &mut found);
        }
    }
    found.relationships.sort();
    found.relationships.dedup();
    found
}

/// Reads one database file: its final `content` (`None` where a later layer deleted it) and,
/// from its history, what each version listed.
fn read<D: Database>(
    db: &D,
    cx: &Context<'_>,
    listed_at: Vec<u8>,
    path: Vec<u8>,
    content: Option<&[u8]>,
    found: &mut Found,
) -> DbFile {
    let fs = cx.fs;
    let evidence = display_path(&path);
    let (records, warnings) =
        content.map_or_else(Default::default, |c| db.parse(&listed_at, c, &evidence));
    found.warnings.extend(warnings);
    // Warnings only from the final version, parsed above.
    let history = fs.history(&path);
    let versions: Vec<Option<Vec<Installed>>> = history
        .iter()
        .map(|v| {
            v.content
                .as_deref()
                .map(|c| db.parse(&listed_at, c, &evidence).0)
        })
        .collect();
    let listed: Vec<Listed> = versions
        .iter()
        .map(|v| {
            v.as_ref()
                .map(|rs| rs.iter().map(|r| key(&r.package)).collect())
        })
        .collect();
    let removed = match cx.all_layers {
        true => removed_since(history, &listed, versions),
        false => Vec::new(),
    };
    let final_layer = fs.lookup(&path).map(|(_, n)| n.layer);
    DbFile {
        listed_at,
        path,
        records,
        listed,
        final_layer,
        removed,
    }
}

/// The packages some version of a database file lists and its final version does not: each from
/// the last version that lists it, with the first layer of the run of versions that list it up to
/// there, and the layer of the version after it (the one that removed it).
fn removed_since(
    history: &[Version],
    listed: &[Listed],
    versions: Vec<Option<Vec<Installed>>>,
) -> Vec<(Installed, usize, usize)> {
    let empty = BTreeSet::new();
    let last = listed.last().and_then(Option::as_ref).unwrap_or(&empty);
    let mut latest: BTreeMap<PackageKey, (usize, Installed)> = BTreeMap::new();
    for (j, records) in versions.into_iter().enumerate() {
        for r in records.into_iter().flatten() {
            let k = key(&r.package);
            if !last.contains(&k) {
                latest.insert(k, (j, r));
            }
        }
    }
    latest
        .into_iter()
        .filter_map(|(k, (j, r))| {
            let removed = history.get(j + 1)?.layer;
            let mut first = j;
            while first > 0 && listed[first - 1].as_ref().is_some_and(|s| s.contains(&k)) {
                first -= 1;
            }
            Some((r, history.get(first)?.layer, removed))
        })
        .collect()
}

fn catalog_group<D: Database>(
    db: &D,
    cx: &Context<'_>,
    mut files: Vec<DbFile>,
    ids: &mut BTreeSet<String>,
    found_by: &str,
    found: &mut Found,
) {
    let first = display_path(&files[0].path);
    let mut naming = {
        let all: Vec<&Installed> = files.iter().flat_map(|f| &f.records).collect();
        Naming::new(
            cx.distro,
            db.inferred_namespace(&all),
            &first,
            &mut found.warnings,
        )
    };
    if cx.distro.is_some() {
        naming.namespace = db.namespace(&naming.namespace);
    }

    // Each package once.
    let mut kept: Vec<(usize, Installed)> = Vec::new();
    let mut slots = BTreeSet::new();
    for (f, file) in files.iter_mut().enumerate() {
        for r in std::mem::take(&mut file.records) {
            let slot = db.slot(&r);
            if !slots.insert(slot) || !ids.insert(r.package.id.clone()) {
                found.warnings.push(format!(
                    "{}:{}: package {} listed again, kept once",
                    display_path(&file.path),
                    r.line,
                    r.package.name
                ));
                continue;
            }
            kept.push((f, r));
        }
    }
    for (f, r) in &mut kept {
        db.complete(cx.fs, &files[*f], r);
    }

    // Purl, CPE, supplier, evidence: what the database and the distro say of a record.
    let identify = |r: &Installed, file: &DbFile| {
        let mut p = r.package.clone();
        // A kind names its purl type in code; the database tests check the purls it gives.
        let purl_type = p.kind.purl_type.and_then(|ty| PurlType::new(ty).ok());
        p.purl = purl_type.map(|ty| {
            let mut purl = Purl::new(ty, &p.name).with_version(db.purl_version(&p.version));
            if !naming.namespace.is_empty() {
                purl = purl.with_namespace(&naming.namespace);
            }
            if let Some(a) = &p.arch {
                purl = purl.with_qualifier("arch", a);
            }
            if let Some(d) = &naming.distro_qualifier {
                purl = purl.with_qualifier("distro", d);
            }
            for (k, v) in &r.qualifiers {
                purl = purl.with_qualifier(*k, v);
            }
            purl.into()
        });
        p.cpes = naming
            .cpe_vendor
            .as_deref()
            .and_then(|v| cpe::application(v, &p.name, &p.version))
            .into_iter()
            .collect();
        p.supplier = naming.supplier.clone();
        p.evidence = vec![display_path(&file.path)];
        p.found_by = found_by.to_string();
        p
    };
    // Removed by a later layer: listed with the layers that introduced and removed them, without
    // edges or files (what they owned is gone, or another package's now).
    for file in &files {
        for (r, introduced, removed) in &file.removed {
            if !ids.insert(r.package.id.clone()) {
                continue;
            }
            let mut p = identify(r, file);
            p.layer = Some(*introduced);
            p.removed_in = Some(*removed);
            found.packages.push(p);
        }
    }

    let index = Index::new(kept.iter().map(|(_, r)| r).collect());
    for (i, (f, r)) in kept.iter().enumerate() {
        let file = &files[*f];
        let mut p = identify(r, file);
        p.layer = layer_of(cx.fs.history(&file.path), &file.listed, &key(&p)).or(file.final_layer);
        // Complete while every required dependency is installed; an optional one may be absent.
        p.dependencies = Completeness::Complete;
        for (groups, kind) in [
            (&r.depends, RelationshipKind::DependsOn),
            (&r.optional, RelationshipKind::OptionalDependsOn),
        ] {
            for g in groups {
                let Some(t) = index.resolve(db, i, g) else {
                    if kind == RelationshipKind::DependsOn {
                        p.dependencies = Completeness::Incomplete;
                    }
                    continue;
                };
                if t != i {
                    found.relationships.push(Relationship::new(
                        p.id.clone(),
                        kind,
                        index.recs[t].package.id.clone(),
                    ));
                }
            }
        }
        if let Some(d) = cx.distro {
            found.relationships.push(Relationship::new(
                os_release::os_id(d),
                RelationshipKind::Contains,
                p.id.clone(),
            ));
        }
        for (path, checksums) in &r.files {
            found.owned.push(Owned {
                package: p.id.clone(),
                path: path.clone(),
                checksums: checksums.clone(),
            });
        }
        found.packages.push(p);
    }
}

/// A package as layer attribution compares it: name, version, architecture.
type PackageKey = (String, String, Option<String>);

fn key(p: &Package) -> PackageKey {
    (p.name.clone(), p.version.clone(), p.arch.clone())
}

/// What one version of a database file lists (`None` where the file was removed).
type Listed = Option<BTreeSet<PackageKey>>;

/// The first layer from which `key` is listed in every version of a database file up to the final
/// one; `listed[i]` is what version `history[i]` lists (`None` where the file was removed).
pub fn layer_of<K: Ord>(
    history: &[Version],
    listed: &[Option<BTreeSet<K>>],
    key: &K,
) -> Option<usize> {
    let mut since = None;
    for (v, set) in history.iter().zip(listed).rev() {
        match set {
            Some(set) if set.contains(key) => since = Some(v.layer),
            _ => break,
        }
    }
    since
}

/// Installed packages by name and by provided name, to resolve dependencies.
struct Index<'a> {
    recs: Vec<&'a Installed>,
    by_name: BTreeMap<&'a str, Vec<usize>>,
    provided: BTreeMap<&'a str, Vec<(usize, Option<&'a str>)>>,
}

impl<'a> Index<'a> {
    fn new(recs: Vec<&'a Installed>) -> Self {
        let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut provided: BTreeMap<&str, Vec<(usize, Option<&str>)>> = BTreeMap::new();
        for (i, r) in recs.iter().enumerate() {
            by_name.entry(&r.package.name).or_default().push(i);
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
            Some(a) => matches!(self.recs[i].multiarch.as_deref(), Some(x) if x == a || x == "all"),
        }
    }

    /// Of several candidates, the one of the depending package's architecture, then `all`.
    fn best(&self, from: usize, candidates: impl Iterator<Item = usize>) -> Option<usize> {
        let c: Vec<usize> = candidates.collect();
        let arch = self.recs[from].multiarch.as_deref();
        c.iter()
            .find(|&&i| self.recs[i].multiarch.as_deref() == arch)
            .or_else(|| {
                c.iter()
                    .find(|&&i| self.recs[i].multiarch.as_deref() == Some("all"))
            })
            .or(c.first())
            .copied()
    }

    /// The installed package that satisfies a group: its first satisfiable alternative, by real
    /// package first and then by provided name.
    fn resolve(&self, db: &impl Database, from: usize, group: &[Dep]) -> Option<usize> {
        for dep in group {
            let real = self
                .by_name
                .get(dep.name.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| {
                    self.arch_ok(dep, i)
                        && dep.constraint.as_ref().is_none_or(|(op, v)| {
                            db.satisfies(&self.recs[i].package.version, op, v)
                        })
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
                            // An unversioned provide never satisfies a versioned dependency.
                            (Some(_), None) => false,
                            (Some((op, v)), Some(pv)) => db.satisfies(pv, op, v),
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

/// The warning for a package database found without content: reached only through a link (content
/// is kept by stored path, while layers stream), or larger than the cataloger reads.
pub fn unread_database(what: &str, path: &[u8], canonical: &[u8], size: u64, max: u64) -> String {
    if crate::source::vfs::normalize(path) != canonical {
        format!(
            "{}: {what} leads through a link to {}, which was not read (databases are read at their own paths only): its packages are not catalogued",
            display_path(path),
            display_path(canonical)
        )
    } else {
        format!(
            "{}: {what} of {size} bytes is larger than the {max} bytes read for one: its packages are not catalogued",
            display_path(canonical)
        )
    }
}

/// How packages of one database are named: purl namespace, `distro` qualifier, CPE vendor and
/// supplier, from os-release or, without one, inferred from the packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    pub namespace: String,
    pub distro_qualifier: Option<String>,
    /// Only from a real os-release: an inferred vendor would put a guess into a CPE.
    pub cpe_vendor: Option<String>,
    pub supplier: Option<Actor>,
}

impl Naming {
    /// Naming from os-release, or from `inferred` with a warning that says so.
    pub fn new(
        distro: Option<&Distro>,
        inferred: &str,
        file: &str,
        warnings: &mut Vec<String>,
    ) -> Naming {
        match distro {
            Some(d) => Naming {
                namespace: d.id.clone(),
                distro_qualifier: Some(crate::purl::distro_qualifier(d)),
                cpe_vendor: Some(d.id.clone()),
                supplier: d
                    .name
                    .as_deref()
                    .or(d.pretty_name.as_deref())
                    .and_then(Actor::organization),
            },
            None => {
                warnings.push(if inferred.is_empty() {
                    format!("{file}: no os-release, and the packages name no known vendor: purls without a namespace")
                } else {
                    format!("{file}: no os-release; purl namespace `{inferred}` inferred from the packages")
                });
                Naming {
                    namespace: inferred.to_string(),
                    distro_qualifier: None,
                    cpe_vendor: None,
                    supplier: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::{by_name, distro, file, fixture, link, put, run};
    use crate::catalog::{apk::ApkDb, dpkg::DpkgDb};
    use crate::source::Node;

    const POSTGRES: &str = "dpkg/debian-10-postgresql.status";
    const SQLITE: &str = "dpkg/distroless/var/lib/dpkg/status.d/libsqlite3-0";

    /// A database file as the source leaves one it did not keep.
    fn unread(size: u64) -> Node {
        Node {
            content: None,
            size,
            ..file(0, b"")
        }
    }

    #[test]
    fn a_database_not_read_is_a_warning_saying_why() {
        // Reached only through a link: content is kept at the stored path.
        let mut fs = Vfs::new();
        put(&mut fs, "opt/dpkg/status", unread(10));
        put(&mut fs, "var/lib", crate::catalog::testutil::dir(0));
        fs.insert(b"var/lib/dpkg".to_vec(), link(0, "/opt/dpkg"));
        let found = run(&DpkgDb, &fs, Some(&distro("debian-12.os-release")));
        assert!(found.packages.is_empty());
        assert_eq!(
            found.warnings,
            ["/var/lib/dpkg/status: dpkg database leads through a link to /opt/dpkg/status, which was not read (databases are read at their own paths only): its packages are not catalogued"]
        );
        // Too large to keep, at its own path.
        let mut fs = Vfs::new();
        put(&mut fs, "lib/apk/db/installed", unread(1 << 30));
        let found = run(&ApkDb, &fs, None);
        assert_eq!(
            found.warnings,
            [format!("/lib/apk/db/installed: APK database of {} bytes is larger than the {} bytes read for one: its packages are not catalogued", 1u64 << 30, ApkDb::MAX_SIZE)]
        );
    }

    #[test]
    fn files_of_one_database_are_named_together_and_list_each_package_once() {
        // dpkg: the status file and a status.d file are one group, named once from the first.
        let mut fs = Vfs::new();
        put(&mut fs, "var/lib/dpkg/status", file(0, &fixture(POSTGRES)));
        let sqlite = fixture(SQLITE);
        put(
            &mut fs,
            "var/lib/dpkg/status.d/libsqlite3-0",
            file(0, &sqlite),
        );
        // The same package again in a second status.d file.
        put(
            &mut fs,
            "var/lib/dpkg/status.d/sqlite-again",
            file(0, &sqlite),
        );
        let found = run(&DpkgDb, &fs, None);
        assert_eq!(found.packages.len(), 4);
        assert_eq!(
            found.warnings,
            [
                "/var/lib/dpkg/status: no os-release; purl namespace `debian` inferred from the packages",
                "/var/lib/dpkg/status.d/sqlite-again:1: package libsqlite3-0 listed again, kept once",
            ]
        );
        let sqlite = by_name(&found, "libsqlite3-0");
        assert_eq!(sqlite.evidence, ["/var/lib/dpkg/status.d/libsqlite3-0"]);
        assert_eq!(
            sqlite.purl.as_deref(),
            Some("pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&upstream=sqlite3")
        );

        // APK: two databases are two groups, each named on its own; an id listed by both is kept
        // from the first.
        let apk = fixture("apk/installed/alpine-multiple-2.installed");
        let mut fs = Vfs::new();
        put(&mut fs, "lib/apk/db/installed", file(0, &apk));
        put(&mut fs, "usr/lib/apk/db/installed", file(0, &apk));
        let found = run(&ApkDb, &fs, None);
        assert_eq!(found.packages.len(), 14);
        let inferred = |w: &&String| w.contains("no os-release");
        assert_eq!(found.warnings.iter().filter(inferred).count(), 2);
        assert_eq!(found.warnings.len(), 2 + 14);
        assert!(found
            .packages
            .iter()
            .all(|p| p.evidence == ["/lib/apk/db/installed"]));
    }

    #[test]
    fn each_package_comes_from_the_layer_since_which_its_file_lists_it() {
        let status = String::from_utf8(fixture(POSTGRES)).unwrap();
        let paragraphs: Vec<&str> = status.split("\n\n").filter(|p| !p.is_empty()).collect();
        assert_eq!(paragraphs.len(), 3);
        let mut fs = Vfs::new();
        let path = "var/lib/dpkg/status";
        // Layer 0 installs the first; layer 2 the others; layer 3 rewrites the file unchanged.
        put(
            &mut fs,
            path,
            file(0, format!("{}\n\n", paragraphs[0]).as_bytes()),
        );
        put(&mut fs, path, file(2, status.as_bytes()));
        put(&mut fs, path, file(3, status.as_bytes()));
        let found = run(&DpkgDb, &fs, Some(&distro("debian-12.os-release")));
        assert_eq!(by_name(&found, "postgresql-client").layer, Some(0));
        assert_eq!(by_name(&found, "postgresql-client-11").layer, Some(2));
        assert_eq!(by_name(&found, "postgresql-client-common").layer, Some(2));
    }

    /// Resolution rules, on records as a database maps them.
    #[test]
    fn dependencies_go_to_real_names_first_then_provided_names_of_the_same_architecture() {
        let rec = |name: &str, arch: &str, provides: &[&str], depends: &[&str]| Installed {
            line: 1,
            package: Package {
                name: name.into(),
                version: "1".into(),
                ..Package::new(format!("{name}:{arch}"), crate::catalog::dpkg::KIND)
            },
            qualifiers: Vec::new(),
            multiarch: Some(arch.into()),
            provides: provides.iter().map(|p| (p.to_string(), None)).collect(),
            depends: depends.iter().map(|d| vec![Dep::named(*d)]).collect(),
            optional: Vec::new(),
            files: Vec::new(),
        };
        let recs = [
            rec("app", "arm64", &[], &["sh", "libc", "app"]),
            rec("dash", "amd64", &["sh"], &[]),
            rec("busybox", "arm64", &["sh"], &[]),
            rec("libc", "all", &["sh"], &[]),
        ];
        let index = Index::new(recs.iter().collect());
        let resolved: Vec<Option<usize>> = recs[0]
            .depends
            .iter()
            .map(|g| index.resolve(&DpkgDb, 0, g))
            .collect();
        // `sh`: the arm64 provider; `libc`: the real package; `app`: itself (no edge is made).
        assert_eq!(resolved, [Some(2), Some(3), Some(0)]);
        let versioned = Dep {
            constraint: Some((">=".into(), "2".into())),
            ..Dep::named("libc")
        };
        assert_eq!(index.resolve(&DpkgDb, 0, &[versioned]), None);
    }
}
