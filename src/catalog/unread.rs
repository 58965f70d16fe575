//! Package databases sbomkit does not read. Each one found is a warning and an [`Unknown`] on the
//! document, so that an image whose packages sit in such a database is never described as if it
//! held nothing.

use std::collections::BTreeSet;

use super::{Cataloger, Context, Found};
use crate::model::{Unknown, UnknownCause};
use crate::source::{display_path, EntryFacts, Node};

/// Where a package manager keeps its database, and how it is named.
struct Kind {
    what: &'static str,
    /// The path recorded, if `path` is one of this manager's database files.
    matches: fn(&[u8]) -> Option<Vec<u8>>,
}

/// `var/lib/pacman/local/NAME-VERSION/desc`: the folder is recorded once.
fn pacman(path: &[u8]) -> Option<Vec<u8>> {
    let rest = path.strip_prefix(b"var/lib/pacman/local/")?;
    rest.ends_with(b"/desc")
        .then(|| b"var/lib/pacman/local".to_vec())
}

fn nix(path: &[u8]) -> Option<Vec<u8>> {
    (path == b"nix/var/nix/db/db.sqlite").then(|| path.to_vec())
}

/// `PREFIX/conda-meta/NAME-VERSION-BUILD.json`, anywhere: the folder is recorded once.
fn conda(path: &[u8]) -> Option<Vec<u8>> {
    let slash = path.iter().rposition(|&b| b == b'/')?;
    let (folder, file) = (&path[..slash], &path[slash + 1..]);
    let is_meta = folder == b"conda-meta" || folder.ends_with(b"/conda-meta");
    (is_meta && file.ends_with(b".json")).then(|| folder.to_vec())
}

/// Gentoo's installed-package database: `var/db/pkg/CATEGORY/NAME-VERSION/CONTENTS`.
fn portage(path: &[u8]) -> Option<Vec<u8>> {
    let rest = path.strip_prefix(b"var/db/pkg/")?;
    (rest.split(|&b| b == b'/').count() == 3 && rest.ends_with(b"/CONTENTS"))
        .then(|| b"var/db/pkg".to_vec())
}

const KINDS: [Kind; 4] = [
    Kind {
        what: "pacman package database",
        matches: pacman,
    },
    Kind {
        what: "Nix store database",
        matches: nix,
    },
    Kind {
        what: "conda package metadata",
        matches: conda,
    },
    Kind {
        what: "Gentoo portage package database",
        matches: portage,
    },
];

/// Why the contents are missing, the same for every kind.
pub const WHY: &str = "not read by sbomkit: the packages it lists are missing from this document";

/// The databases among `paths` (root-relative, as in the `Vfs`), each once.
pub fn find<'a>(paths: impl Iterator<Item = (&'a [u8], &'a Node)>) -> Vec<Unknown> {
    let mut seen = BTreeSet::new();
    for (path, node) in paths {
        if !node.is_file() {
            continue;
        }
        for kind in &KINDS {
            if let Some(at) = (kind.matches)(path) {
                seen.insert((display_path(&at), kind.what));
            }
        }
    }
    seen.into_iter()
        .map(|(location, what)| Unknown {
            location,
            what: what.to_string(),
            why: WHY.to_string(),
            cause: UnknownCause::UnreadDatabase,
        })
        .collect()
}

/// Finds the package databases no other cataloger reads.
pub struct UnreadDatabases;

impl Cataloger for UnreadDatabases {
    fn name(&self) -> &'static str {
        "unread-databases"
    }

    /// By the file name alone: a linked folder above it may put it at one of the places.
    fn lists(&self, entry: &EntryFacts<'_>) -> bool {
        let mut parts = entry.path.rsplit(|&b| b == b'/');
        let name = parts.next().unwrap_or_default();
        let folder = parts.next().unwrap_or_default();
        matches!(name, b"desc" | b"db.sqlite" | b"CONTENTS")
            || (folder == b"conda-meta" && name.ends_with(b".json"))
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let unknowns = find(cx.fs.iter());
        Found {
            warnings: unknowns.iter().map(Unknown::to_string).collect(),
            unknowns,
            ..Found::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil;
    use crate::source::Vfs;

    fn found(paths: &[&str]) -> Vec<(String, String)> {
        let mut fs = Vfs::new();
        for p in paths {
            testutil::put(&mut fs, p, testutil::file(0, b"x"));
        }
        find(fs.iter())
            .into_iter()
            .map(|u| (u.location, u.what))
            .collect()
    }

    #[test]
    fn each_database_once_at_its_place() {
        let got = found(&[
            // Read by the rpm-db cataloger.
            "var/lib/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/Packages.db",
            "var/lib/pacman/local/bash-5.2-1/desc",
            "var/lib/pacman/local/glibc-2.38-1/desc",
            "nix/var/nix/db/db.sqlite",
            "opt/conda/conda-meta/python-3.11.5-h955ad1f_0.json",
            "opt/conda/conda-meta/zlib-1.2.13-h5eee18b_0.json",
            "var/db/pkg/sys-libs/zlib-1.3/CONTENTS",
        ]);
        let expect = [
            ("/nix/var/nix/db/db.sqlite", "Nix store database"),
            ("/opt/conda/conda-meta", "conda package metadata"),
            ("/var/db/pkg", "Gentoo portage package database"),
            ("/var/lib/pacman/local", "pacman package database"),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn look_alikes_are_not_databases() {
        assert!(found(&[
            "var/lib/pacman/sync/core.db",
            "opt/myconda-meta/x.json",
            "opt/conda/conda-meta/sub/x.json",
            "var/db/pkg/sys-libs/CONTENTS",
            "lib/apk/db/installed",
        ])
        .is_empty());
    }
}
