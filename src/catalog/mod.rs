//! Catalogers: each reads one kind of evidence from the [`Vfs`] and reports packages.
//!
//! They run in phases, because later ones need what earlier ones found: os-release first (the distro
//! names purls), then the package databases (they own files), then binaries and language manifests
//! (a binary owned by a package is a file of that package, not a package of its own). [`phases`] is
//! the one place a cataloger is registered.

pub mod apk;
pub mod binary;
pub mod deb822;
pub mod dpkg;
pub mod lang;
pub mod license;
pub mod melange;
pub mod os_db;
pub mod os_release;
pub mod rpm;
#[cfg(test)]
pub(crate) mod testutil;
pub mod unread;
pub mod version;

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::model::{Actor, Checksum, Distro, FileRecord, Package, Relationship, Subject, Unknown};
use crate::source::vfs::Version;
use crate::source::{Digests, EntryFacts, Interest, Node, Slots, Summaries, Summary, Vfs, Wants};

/// What a cataloger sees.
pub struct Context<'a> {
    pub fs: &'a Vfs,
    pub subject: &'a Subject,
    pub distro: Option<&'a Distro>,
    /// Path (root-relative, as in the [`Vfs`]) → id of the package that owns it, from earlier phases.
    pub owners: &'a BTreeMap<Vec<u8>, String>,
    /// The packages earlier phases found.
    pub packages: &'a [Package],
    /// The cataloger's slot: where the source stored the summaries it made ([`Cataloger::inspect`]).
    pub slot: u8,
    /// `--scope all-layers`: OS package databases also list what earlier layers installed and
    /// later ones removed ([`crate::model::Package::removed_in`]).
    pub all_layers: bool,
}

impl Context<'_> {
    /// The summary this cataloger made of the file at `node`, if it made one of type `T`.
    pub fn summary<'n, T: Any>(&self, node: &'n Node) -> Option<&'n T> {
        node.summaries_of(self.slot)
            .find_map(|s| s.downcast_ref::<T>())
    }
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
    /// What was seen but not read: the document is incomplete.
    pub unknowns: Vec<Unknown>,
}

impl Found {
    pub fn extend(&mut self, other: Found) {
        self.packages.extend(other.packages);
        self.relationships.extend(other.relationships);
        self.owned.extend(other.owned);
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
        self.package_properties.extend(other.package_properties);
        self.unknowns.extend(other.unknowns);
    }
}

/// One kind of evidence. The file questions are asked while layers stream, on a root-relative path
/// and the first bytes of the file; [`Cataloger::catalog`] runs on the final filesystem.
pub trait Cataloger: Sync {
    /// Short name, shown with `-v` and recorded as `found_by`.
    fn name(&self) -> &'static str;
    /// Whether the file must keep its content (and its history across layers) for this cataloger:
    /// the largest size worth keeping.
    fn keep(&self, _path: &[u8], _head: &[u8]) -> Option<u64> {
        None
    }
    /// Whether this cataloger wants to summarise the whole content of the file: decided on the
    /// first bytes, so that other files are never read whole. Every cataloger that asks gets it.
    fn inspects(&self, _path: &[u8], _head: &[u8]) -> bool {
        false
    }
    /// A summary of a file [`Cataloger::inspects`] asked for, stored on its node for
    /// [`Context::summary`].
    fn inspect(&self, _path: &[u8], _content: &[u8]) -> Option<Summary> {
        None
    }
    /// A summary of an entry's facts (owner, mode, capability, link target), asked of every entry
    /// of every kind: for the few facts a node does not keep itself.
    fn note(&self, _entry: &EntryFacts<'_>) -> Option<Summary> {
        None
    }
    /// Whether this cataloger looks up a regular file by path without reading it (nor asking to
    /// keep, inspect or note it): only such files keep a node when they come from the last layer.
    fn lists(&self, _entry: &EntryFacts<'_>) -> bool {
        false
    }
    /// How the summaries [`Cataloger::inspect`] makes are stored in the layer cache. Without one,
    /// a layer holding such a summary is read again on every scan.
    fn codec(&self) -> Option<&dyn SummaryCodec> {
        None
    }
    fn catalog(&self, cx: &Context<'_>) -> Found;
}

/// A cataloger's summaries as bytes, for the layer cache: one type, and a version raised whenever
/// what the summary holds or means changes (entries of another version are never decoded).
pub trait SummaryCodec: Sync {
    fn version(&self) -> u32;
    fn encode(&self, summary: &Summary) -> Option<Vec<u8>>;
    fn decode(&self, bytes: &[u8]) -> Option<Summary>;
}

/// Summaries of type `T` stored as JSON: `const CODEC: Json<ElfSummary> = Json::version(1);`.
pub struct Json<T>(u32, PhantomData<fn() -> T>);

impl<T> Json<T> {
    pub const fn version(v: u32) -> Json<T> {
        Json(v, PhantomData)
    }
}

impl<T: Serialize + DeserializeOwned + Any + Send + Sync> SummaryCodec for Json<T> {
    fn version(&self) -> u32 {
        self.0
    }
    fn encode(&self, summary: &Summary) -> Option<Vec<u8>> {
        serde_json::to_vec(summary.downcast_ref::<T>()?).ok()
    }
    fn decode(&self, bytes: &[u8]) -> Option<Summary> {
        let t: T = serde_json::from_slice(bytes).ok()?;
        Some(Arc::new(t))
    }
}

/// The catalogers, in phases: every phase sees the files owned by packages of earlier phases. The
/// one place a cataloger is registered, one line each.
pub fn phases() -> Vec<Vec<Box<dyn Cataloger>>> {
    vec![
        vec![
            Box::new(os_release::OsRelease),
            Box::new(apk::ApkDb),
            Box::new(dpkg::DpkgDb),
            Box::new(rpm::RpmDb),
            Box::new(unread::UnreadDatabases),
        ],
        vec![
            Box::new(binary::ElfBinaries),
            Box::new(lang::npm::CATALOGER),
            Box::new(lang::python::CATALOGER),
            Box::new(lang::java::JavaArchives),
            Box::new(lang::gem::CATALOGER),
            Box::new(lang::composer::CATALOGER),
            Box::new(lang::dotnet::CATALOGER),
            Box::new(melange::MelangeSboms),
        ],
    ]
}

/// A set of catalogers in phases, each with its slot (its place in the order), and what they want
/// from the source.
pub struct Catalogers {
    phases: Vec<Vec<Box<dyn Cataloger>>>,
}

impl Catalogers {
    /// The registered catalogers ([`phases`]).
    pub fn registered() -> Catalogers {
        Catalogers::new(phases())
    }

    /// At most [`Slots::COUNT`] catalogers: those past it would never see a summary.
    pub fn new(phases: Vec<Vec<Box<dyn Cataloger>>>) -> Catalogers {
        assert!(
            phases.iter().flatten().count() <= Slots::COUNT,
            "more catalogers than summary slots"
        );
        Catalogers { phases }
    }

    /// The phases, each cataloger with its slot.
    pub fn phases(&self) -> Vec<Vec<(u8, &dyn Cataloger)>> {
        let mut slot = 0u8;
        self.phases
            .iter()
            .map(|phase| {
                phase
                    .iter()
                    .map(|c| {
                        let s = slot;
                        slot = slot.saturating_add(1);
                        (s, c.as_ref())
                    })
                    .collect()
            })
            .collect()
    }

    fn all(&self) -> impl Iterator<Item = (u8, &dyn Cataloger)> {
        (0u8..).zip(self.phases.iter().flatten().map(|c| c.as_ref()))
    }

    /// What a scan with these catalogers wants from the source. With `files` (every owned file
    /// listed) every file gets its digests, SHA-1 included as SPDX requires for files; without,
    /// only the files catalogers read.
    pub fn interest(&self, files: bool) -> Interest<'_> {
        Interest::new(
            self,
            if files {
                Digests::AllWithSha1
            } else {
                Digests::Read
            },
        )
    }
}

impl Wants for Catalogers {
    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64> {
        self.all().filter_map(|(_, c)| c.keep(path, head)).max()
    }

    fn inspecting(&self, path: &[u8], head: &[u8]) -> Slots {
        self.all()
            .filter(|(_, c)| c.inspects(path, head))
            .fold(Slots::NONE, |s, (slot, _)| s.with(slot))
    }

    fn inspect(&self, slot: u8, path: &[u8], content: &[u8]) -> Option<Summary> {
        self.at(slot)?.inspect(path, content)
    }

    /// Each cataloger by slot with its summary encoding: what a cached layer record depends on
    /// (besides the program's version, which the cache adds).
    fn fingerprint(&self) -> Option<String> {
        let each: Vec<String> = self
            .all()
            .map(|(slot, c)| {
                let codec = c
                    .codec()
                    .map_or("-".to_string(), |k| k.version().to_string());
                format!("{slot}:{}:{codec}", c.name())
            })
            .collect();
        Some(each.join(" "))
    }

    fn encode(&self, slot: u8, summary: &Summary) -> Option<Vec<u8>> {
        self.at(slot)?.codec()?.encode(summary)
    }

    fn decode(&self, slot: u8, bytes: &[u8]) -> Option<Summary> {
        self.at(slot)?.codec()?.decode(bytes)
    }

    fn note(&self, entry: &EntryFacts<'_>) -> Summaries {
        let all: Vec<_> = self
            .all()
            .filter_map(|(slot, c)| Some((slot, c.note(entry)?)))
            .collect();
        (!all.is_empty()).then(|| all.into_boxed_slice())
    }

    fn lists(&self, entry: &EntryFacts<'_>) -> bool {
        self.all().any(|(_, c)| c.lists(entry))
    }
}

impl Catalogers {
    fn at(&self, slot: u8) -> Option<&dyn Cataloger> {
        self.all().find(|(s, _)| *s == slot).map(|(_, c)| c)
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

    /// Summarises ELF files by their size; reports what it summarised as warnings.
    struct Sizes;
    impl Cataloger for Sizes {
        fn name(&self) -> &'static str {
            "sizes"
        }
        fn inspects(&self, _path: &[u8], head: &[u8]) -> bool {
            binary::elf::is_elf(head)
        }
        fn inspect(&self, _path: &[u8], content: &[u8]) -> Option<Summary> {
            Some(Arc::new(content.len()))
        }
        fn catalog(&self, cx: &Context<'_>) -> Found {
            let mut found = Found::default();
            for (path, node) in cx.fs.iter() {
                if let Some(n) = cx.summary::<usize>(node) {
                    let shown = crate::source::display_path(path);
                    found.warnings.push(format!("{shown}: {n} bytes"));
                }
            }
            found
        }
    }

    #[test]
    fn every_cataloger_that_asks_for_a_file_gets_it() {
        use crate::source::layer::{read_file, ReadCx};
        let bytes = testutil::fixture("../binaries/c/plain");
        let catalogers = Catalogers::new(vec![
            vec![Box::new(Sizes)],
            vec![Box::new(binary::ElfBinaries)],
        ]);
        let budget = crate::limits::Budget::new(crate::limits::Limits::default());
        let cx = ReadCx {
            interest: catalogers.interest(false),
            budget: &budget,
        };
        let mut warnings = Vec::new();
        let path = b"usr/bin/plain";
        let read = read_file(
            &mut bytes.as_slice(),
            path,
            bytes.len() as u64,
            &cx,
            &mut warnings,
        )
        .unwrap();
        assert!(warnings.is_empty() && read.content.is_none());
        let slots: Vec<u8> = read.summaries.iter().flatten().map(|(s, _)| *s).collect();
        assert_eq!(slots, [0, 1]);

        let mut fs = Vfs::new();
        testutil::put(
            &mut fs,
            "usr/bin/plain",
            Node {
                summaries: read.summaries,
                ..testutil::file(0, b"")
            },
        );
        let subject = Subject::default();
        let owners = BTreeMap::new();
        let mut names = Vec::new();
        for phase in catalogers.phases() {
            for (slot, c) in phase {
                let found = c.catalog(&Context {
                    fs: &fs,
                    subject: &subject,
                    distro: None,
                    owners: &owners,
                    packages: &[],
                    slot,
                    all_layers: false,
                });
                names.extend(found.packages.iter().map(|p| p.id.clone()));
                names.extend(found.warnings);
            }
        }
        assert_eq!(
            names,
            [
                format!("/usr/bin/plain: {} bytes", bytes.len()),
                "binary:/usr/bin/plain".to_string()
            ]
        );
    }

    #[test]
    fn phase_one_has_the_package_databases_phase_two_binaries_and_manifests() {
        let p = phases();
        let names: Vec<&str> = p[0].iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "os-release",
                "apk-db",
                "dpkg-db",
                "rpm-db",
                "unread-databases"
            ]
        );
        let names: Vec<&str> = p[1].iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "elf-binary",
                "npm-manifest",
                "python-manifest",
                "java-archive",
                "ruby-gemspec",
                "php-composer-installed",
                "dotnet-deps",
                "melange-sbom",
            ]
        );
    }
}
