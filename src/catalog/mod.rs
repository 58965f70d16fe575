//! Catalogers: each reads one kind of evidence from the [`Vfs`] and reports packages.
//!
//! They run in phases, because later ones need what earlier ones found: os-release first (the distro
//! names purls), then the package databases (they own files), then binaries (a binary owned by a
//! package is a file of that package, not a package of its own).

use std::collections::BTreeMap;

use crate::model::{Distro, FileRecord, Package, Relationship, Subject};
use crate::source::Vfs;

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
    /// Digests the database records: (SPDX algorithm name, lower-case hex).
    pub checksums: Vec<(String, String)>,
}

/// What a cataloger found.
#[derive(Debug, Default)]
pub struct Found {
    pub packages: Vec<Package>,
    pub relationships: Vec<Relationship>,
    pub owned: Vec<Owned>,
    pub files: Vec<FileRecord>,
    pub warnings: Vec<String>,
}

impl Found {
    pub fn extend(&mut self, other: Found) {
        self.packages.extend(other.packages);
        self.relationships.extend(other.relationships);
        self.owned.extend(other.owned);
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
    }
}

/// One kind of evidence.
pub trait Cataloger: Sync {
    /// Short name, shown with `-v` and recorded as `found_by`.
    fn name(&self) -> &'static str;
    /// Which files must keep their content for this cataloger: path (root-relative) and first bytes.
    /// Returns the largest size worth keeping.
    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64>;
    fn catalog(&self, cx: &Context<'_>) -> Found;
}

/// The catalogers, in phases: every phase sees the files owned by packages of earlier phases.
pub fn phases() -> Vec<Vec<Box<dyn Cataloger>>> {
    vec![vec![], vec![]]
}

/// Reads os-release (`etc/os-release`, then `usr/lib/os-release`).
pub fn read_distro(fs: &Vfs) -> Option<Distro> {
    let _ = fs;
    None
}
