//! Catalogers: each reads one kind of evidence from the [`Vfs`] and reports packages.
//!
//! They run in phases, because later ones need what earlier ones found: os-release first (the distro
//! names purls), then the package databases (they own files), then binaries (a binary owned by a
//! package is a file of that package, not a package of its own).

pub mod apk;
pub mod binary;
pub mod deb822;
pub mod dpkg;
pub mod lang;
pub mod license;
pub mod os_release;
#[cfg(test)]
mod testutil;
pub mod version;

use std::collections::BTreeMap;

use crate::model::{Actor, Checksum, Distro, FileRecord, Package, Relationship, Subject};
use crate::source::vfs::Version;
use crate::source::{Inspect, Summary, Vfs};

/// What a cataloger sees.
pub struct Context<'a> {
    pub fs: &'a Vfs,
    pub subject: &'a Subject,
    pub distro: Option<&'a Distro>,
    /// Path (root-relative, as in the [`Vfs`]) → id of the package that owns it, from earlier phases.
    pub owners: &'a BTreeMap<Vec<u8>, String>,
}

/// A file a package owns, as its database lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owned {
    pub package: String,
    /// Root-relative path as listed by the database.
    pub path: Vec<u8>,
    /// Digests the database records (lower-case hex).
    pub checksums: Vec<Checksum>,
}

/// What a cataloger found.
#[derive(Debug, Default)]
pub struct Found {
    pub packages: Vec<Package>,
    pub relationships: Vec<Relationship>,
    pub owned: Vec<Owned>,
    pub files: Vec<FileRecord>,
    pub warnings: Vec<String>,
    /// Properties for packages found by earlier phases: (package id, key, value). A later phase
    /// learns things about a package it cannot change itself (an ELF note naming the source package
    /// of the package that owns the file); the scan adds them, never replacing a value.
    pub package_properties: Vec<(String, String, String)>,
}

impl Found {
    pub fn extend(&mut self, other: Found) {
        self.packages.extend(other.packages);
        self.relationships.extend(other.relationships);
        self.owned.extend(other.owned);
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
        self.package_properties.extend(other.package_properties);
    }
}

/// One kind of evidence.
pub trait Cataloger: Sync {
    /// Short name, shown with `-v` and recorded as `found_by`.
    fn name(&self) -> &'static str;
    /// Which files must keep their content for this cataloger: path (root-relative) and first bytes.
    /// Returns the largest size worth keeping.
    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64>;
    /// Whether this cataloger wants to summarise the whole content of the file (see [`Inspect`]):
    /// decided on the first bytes, so that other files are never read whole.
    fn inspects(&self, _path: &[u8], _head: &[u8]) -> bool {
        false
    }
    /// A summary of a file [`Cataloger::inspects`] asked for, stored on its node.
    fn inspect(&self, _path: &[u8], _content: &[u8]) -> Option<Summary> {
        None
    }
    fn catalog(&self, cx: &Context<'_>) -> Found;
}

/// The source-side [`Inspect`] of a set of catalogers: the first one that wants a file summarises it.
pub struct Inspectors<'a>(pub &'a [Vec<Box<dyn Cataloger>>]);

impl Inspect for Inspectors<'_> {
    fn wants(&self, path: &[u8], head: &[u8]) -> bool {
        self.0.iter().flatten().any(|c| c.inspects(path, head))
    }
    fn inspect(&self, path: &[u8], content: &[u8]) -> Option<Summary> {
        let head = content.get(..64).unwrap_or(content);
        self.0
            .iter()
            .flatten()
            .find(|c| c.inspects(path, head))
            .and_then(|c| c.inspect(path, content))
    }
}

/// The catalogers, in phases: every phase sees the files owned by packages of earlier phases.
pub fn phases() -> Vec<Vec<Box<dyn Cataloger>>> {
    vec![
        vec![
            Box::new(os_release::OsRelease),
            Box::new(apk::ApkDb),
            Box::new(dpkg::DpkgDb),
        ],
        vec![Box::new(binary::ElfBinaries), Box::new(lang::LangPackages)],
    ]
}

/// The warning for a package database found without content: reached only through a link (content
/// is kept by stored path, while layers stream), or larger than the cataloger reads.
pub fn unread_database(what: &str, path: &[u8], canonical: &[u8], size: u64, max: u64) -> String {
    use crate::source::display_path;
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

/// Reads os-release (`etc/os-release`, then `usr/lib/os-release`).
pub fn read_distro(fs: &Vfs) -> Option<Distro> {
    os_release::read(fs)
}

/// The layer from which `present` holds for every version of a file up to its final state: walks
/// the history back from the end while the content is there and `present` accepts it. `None` when
/// the final version itself does not qualify (or there is no history).
pub fn surviving_since(
    history: &[Version],
    mut present: impl FnMut(&[u8]) -> bool,
) -> Option<usize> {
    let mut since = None;
    for v in history.iter().rev() {
        match v.content.as_deref() {
            Some(c) if present(c) => since = Some(v.layer),
            _ => break,
        }
    }
    since
}

/// A package as layer attribution compares it: name, version, architecture.
pub(crate) type PackageKey = (String, String, Option<String>);

/// What one version of a database file lists (`None` where the file was removed).
pub(crate) type Listed = Option<std::collections::BTreeSet<PackageKey>>;

/// The first layer from which `key` is listed in every version of a database file up to the final
/// one; `listed[i]` is what version `history[i]` lists (`None` where the file was removed).
pub(crate) fn layer_of<K: Ord>(
    history: &[Version],
    listed: &[Option<std::collections::BTreeSet<K>>],
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

/// How packages of one database are named: purl namespace, `distro` qualifier, CPE vendor and
/// supplier, from os-release or, without one, inferred from the packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Naming {
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
                warnings.push(format!(
                    "{file}: no os-release; purl namespace `{inferred}` inferred from the packages"
                ));
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

/// A person from `Name <mail>`, as package databases write maintainers; the mail stands in for a
/// missing name.
pub(crate) fn person(maintainer: &str) -> Option<Actor> {
    match maintainer.split_once('<') {
        Some((name, rest)) => {
            let mail = rest.split('>').next().unwrap_or("").trim();
            let name = name.trim();
            let name = if name.is_empty() { mail } else { name };
            Actor::person(name, Some(mail))
        }
        None => Actor::person(maintainer, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActorKind;
    use std::sync::Arc;

    fn v(layer: usize, c: Option<&[u8]>) -> Version {
        Version {
            layer,
            content: c.map(Arc::from),
        }
    }

    #[test]
    fn survival_walks_back_to_the_first_unbroken_layer() {
        let h = [v(0, Some(b"a")), v(1, Some(b"ab")), v(3, Some(b"ab"))];
        assert_eq!(surviving_since(&h, |c| c.contains(&b'a')), Some(0));
        assert_eq!(surviving_since(&h, |c| c.contains(&b'b')), Some(1));
        assert_eq!(surviving_since(&h, |c| c.contains(&b'z')), None);
        let removed = [v(0, Some(b"a")), v(1, None), v(2, Some(b"a"))];
        assert_eq!(surviving_since(&removed, |c| c == b"a"), Some(2));
        assert_eq!(surviving_since(&[], |_| true), None);
    }

    #[test]
    fn maintainers_become_people() {
        let check = |maintainer: &str, expected: Option<(&str, Option<&str>)>| {
            let actor = person(maintainer);
            assert!(
                actor.iter().all(|a| a.kind() == ActorKind::Person),
                "{maintainer:?}"
            );
            let got = actor.as_ref().map(|a| (a.name(), a.email()));
            assert_eq!(got, expected, "{maintainer:?}");
        };
        check(
            "Timo Teräs <timo.teras@iki.fi>",
            Some(("Timo Teräs", Some("timo.teras@iki.fi"))),
        );
        check("wolfi", Some(("wolfi", None)));
        check("  wolfi \t", Some(("wolfi", None)));
        check("<a@b>", Some(("a@b", Some("a@b"))));
        check("Jane <>", Some(("Jane", None)));
        check("Jane <a@b", Some(("Jane", Some("a@b"))));
        check("Jane <a@b> (https://x)", Some(("Jane", Some("a@b"))));
        check("  ", None);
        check("", None);
        check("<>", None);
        check(" < > ", None);
    }

    #[test]
    fn phase_one_has_the_package_databases_phase_two_binaries_and_manifests() {
        let p = phases();
        let names: Vec<&str> = p[0].iter().map(|c| c.name()).collect();
        assert_eq!(names, ["os-release", "apk-db", "dpkg-db"]);
        let names: Vec<&str> = p[1].iter().map(|c| c.name()).collect();
        assert_eq!(names, ["elf-binary", "lang-manifest"]);
    }
}
