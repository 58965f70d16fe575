//! `file:` a single file. A bare package database is recognised by its content and placed where its
//! cataloger looks for it; any other file sits at its own name.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::interest::{Digests, Interest};
use super::layer::{read_file, ReadCx};
use super::stream::{digest_string, read_head};
use super::vfs::{Node, NodeKind, Vfs};
use super::{Progress, Scanned, SourceError};
use crate::model::{Identity, IdentityRole, Subject, SubjectKind};

/// How much of the file is looked at to recognise it.
pub const SNIFF_LEN: usize = 8192;

/// The first stanza (up to the first blank line) of what was read.
fn first_stanza(head: &[u8]) -> Vec<&[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect()
}

/// An APK installed database: `X:value` lines, with `P:` and `V:`.
pub fn is_apk_db(head: &[u8]) -> bool {
    let lines = first_stanza(head);
    // The sniffed window may cut the last line: judge the complete ones.
    let complete = if head.len() >= SNIFF_LEN {
        lines.len().saturating_sub(1)
    } else {
        lines.len()
    };
    let lines = lines.get(..complete).unwrap_or_default();
    !lines.is_empty()
        && lines
            .iter()
            .all(|l| l.len() >= 2 && l[0].is_ascii_alphabetic() && l[1] == b':')
        && lines.iter().any(|l| l.starts_with(b"P:"))
        && lines.iter().any(|l| l.starts_with(b"V:"))
}

/// A dpkg status file: `Package:` stanzas with `Status:`.
pub fn is_dpkg_status(head: &[u8]) -> bool {
    let lines = first_stanza(head);
    lines.iter().any(|l| l.starts_with(b"Package:"))
        && lines.iter().any(|l| l.starts_with(b"Status:"))
        && lines
            .iter()
            .all(|l| l.first().is_some_and(|b| *b == b' ' || *b == b'\t') || l.contains(&b':'))
}

/// Where a bare package database named `name` belongs, from its first bytes: where its cataloger
/// looks for it.
pub fn db_place(head: &[u8], name: &str) -> Option<&'static [u8]> {
    if is_apk_db(head) {
        Some(b"lib/apk/db/installed")
    } else if is_dpkg_status(head) {
        Some(b"var/lib/dpkg/status")
    } else {
        rpm_db_place(head, name)
    }
}

/// An RPM database, by backend: SQLite with rpm's tables (or named as rpm names it), ndb, or
/// Berkeley DB hash (either byte order).
fn rpm_db_place(head: &[u8], name: &str) -> Option<&'static [u8]> {
    let table = b"'Packages'(hnum)";
    let bdb_hash = |m: &[u8]| m == [0x61, 0x15, 0x06, 0x00] || m == [0x00, 0x06, 0x15, 0x61];
    if head.starts_with(b"SQLite format 3\0")
        && (name == "rpmdb.sqlite" || head.windows(table.len()).any(|w| w == table))
    {
        Some(b"var/lib/rpm/rpmdb.sqlite")
    } else if head.starts_with(b"RpmP") {
        Some(b"var/lib/rpm/Packages.db")
    } else if head.get(12..16).is_some_and(bdb_hash) {
        Some(b"var/lib/rpm/Packages")
    } else {
        None
    }
}

/// Whether the file is a package database this module places where its cataloger looks.
pub fn is_package_db(head: &[u8], name: &str) -> bool {
    db_place(head, name).is_some()
}

pub fn read(path: &Path, cx: &ReadCx<'_>, progress: &dyn Progress) -> Result<Scanned, SourceError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let f = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let meta = f.metadata().map_err(|e| SourceError::io(path, e))?;
    progress.start(meta.len());
    let mut r = BufReader::new(f);
    let head = read_head(&mut r, SNIFF_LEN).map_err(|e| SourceError::io(path, e))?;
    let place: Vec<u8> = match db_place(&head, &name) {
        Some(p) => p.to_vec(),
        None => name.as_bytes().to_vec(),
    };
    let mut warnings = Vec::new();
    let mut joined = std::io::Cursor::new(head).chain(r);
    // The file's own digest identifies the subject: always computed.
    let digests = match cx.interest.digests {
        Digests::Read => Digests::All,
        d => d,
    };
    let cx = ReadCx {
        interest: Interest::new(cx.interest.wants, digests),
        budget: cx.budget,
    };
    let read =
        read_file(&mut joined, &place, meta.len(), &cx, &mut warnings).map_err(|e| {
            match cx.budget.tripped() {
                Some(over) => SourceError::over(path.display().to_string(), &over),
                None => SourceError::io(path, e),
            }
        })?;
    let sha256 = read
        .sha256
        .ok_or_else(|| SourceError::invalid(path, "not hashed"))?;
    progress.advance(read.size);
    progress.finish();
    let mut fs = Vfs::new();
    let at = fs.make_parents(&place, 0).unwrap_or_else(|| place.clone());
    fs.insert(
        at,
        Node {
            kind: NodeKind::File,
            mode: 0o644,
            size: read.size,
            layer: 0,
            sha256: Some(sha256),
            sha1: read.sha1,
            sha512: read.sha512,
            content: read.content,
            summaries: read.summaries,
        },
    );
    let subject = Subject {
        kind: SubjectKind::File,
        name,
        identities: vec![Identity {
            role: IdentityRole::File,
            digest: digest_string(&sha256),
        }],
        ..Subject::default()
    };
    Ok(Scanned {
        subject,
        fs,
        warnings,
        image: None,
        notices: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_real_databases() {
        let apk = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/fixtures/apk/installed/alpine-3.16-base.installed"
        ))
        .unwrap();
        assert!(is_apk_db(&apk[..apk.len().min(SNIFF_LEN)]));
        assert!(!is_dpkg_status(&apk));
        let dpkg = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/fixtures/dpkg/debian-10-postgresql.status"
        ))
        .unwrap();
        assert!(is_dpkg_status(&dpkg));
        assert!(!is_apk_db(&dpkg));
        assert!(!is_apk_db(b"\x7fELF\x02\x01\x01"));
        assert!(!is_dpkg_status(b"Package: x\nVersion: 1\n"));
    }

    #[test]
    fn recognises_rpm_databases_of_each_backend() {
        let head = |rel: &str| {
            let b = std::fs::read(format!(
                "{}/testdata/fixtures/{rel}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            b[..b.len().min(SNIFF_LEN)].to_vec()
        };
        let sqlite = head("rpm/cbl-mariner-2.0.rpmdb.sqlite");
        assert_eq!(
            db_place(&sqlite, "any.db"),
            Some(&b"var/lib/rpm/rpmdb.sqlite"[..])
        );
        assert_eq!(
            db_place(&head("rpm/libuuid.Packages.bdb"), "Packages"),
            Some(&b"var/lib/rpm/Packages"[..])
        );
        assert_eq!(
            db_place(b"RpmP\0\0\0\0", "x"),
            Some(&b"var/lib/rpm/Packages.db"[..])
        );
        // Another SQLite database is none, unless named as rpm names its own.
        assert_eq!(db_place(b"SQLite format 3\0", "app.db"), None);
        assert_eq!(
            db_place(b"SQLite format 3\0", "rpmdb.sqlite"),
            Some(&b"var/lib/rpm/rpmdb.sqlite"[..])
        );
    }
}
