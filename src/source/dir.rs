//! `dir:` a root filesystem folder, walked without following symlinks (they are recorded as
//! symlinks and resolved later inside the [`Vfs`], never on the host).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use walkdir::WalkDir;

use super::interest::{merge, EntryFacts, EntryType};
use super::layer::{read_file, ReadCx};
use super::vfs::{display_path, Node, NodeKind, Summaries, Vfs};
use super::{Progress, Scanned, SourceError};
use crate::model::{Subject, SubjectKind};

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn mode_of(m: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(m: &std::fs::Metadata) -> u32 {
    if m.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

/// The path of `p` below `root` as root-relative bytes.
fn relative(root: &Path, p: &Path) -> Option<Vec<u8>> {
    let rel = p.strip_prefix(root).ok()?;
    let parts: Vec<Vec<u8>> = rel.iter().map(os_bytes).collect();
    Some(parts.join(&b'/'))
}

pub fn read(root: &Path, cx: &ReadCx<'_>, progress: &dyn Progress) -> Result<Scanned, SourceError> {
    let name = root.display().to_string();
    let mut fs = Vfs::new();
    let mut warnings = Vec::new();
    progress.start(0);
    let walker = WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name();
    for item in walker {
        let entry = match item {
            Ok(e) => e,
            Err(e) => {
                let at = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| name.clone());
                warnings.push(format!("{at}: cannot read: {e}"));
                continue;
            }
        };
        if let Err(e) = cx.budget.entry() {
            return Err(SourceError::over(name, &e));
        }
        let Some(rel) = relative(root, entry.path()) else {
            continue;
        };
        let meta = match entry.path().symlink_metadata() {
            Ok(m) => m,
            Err(e) => {
                warnings.push(format!("{}: cannot read: {e}", entry.path().display()));
                continue;
            }
        };
        let ft = meta.file_type();
        let mut node = Node {
            mode: mode_of(&meta),
            ..Node::default()
        };
        if ft.is_symlink() {
            match std::fs::read_link(entry.path()) {
                Ok(t) => node.kind = NodeKind::Symlink(os_bytes(t.as_os_str())),
                Err(e) => {
                    warnings.push(format!(
                        "{}: cannot read the link: {e}",
                        entry.path().display()
                    ));
                    continue;
                }
            }
        } else if ft.is_dir() {
            node.kind = NodeKind::Dir;
        } else if ft.is_file() {
            let read = File::open(entry.path()).and_then(|f| {
                let mut r = BufReader::new(f);
                read_file(&mut r, &rel, meta.len(), cx, &mut warnings)
            });
            match read {
                Ok(f) => {
                    progress.advance(f.size);
                    node.kind = NodeKind::File;
                    node.size = f.size;
                    node.sha256 = f.sha256;
                    node.sha1 = f.sha1;
                    node.sha512 = f.sha512;
                    node.content = f.content;
                    node.summaries = f.summaries;
                }
                Err(e) => {
                    if let Some(over) = cx.budget.tripped() {
                        return Err(SourceError::over(name, &over));
                    }
                    warnings.push(format!(
                        "{}: cannot read: {e} (recorded without content or digest)",
                        entry.path().display()
                    ));
                    node.kind = NodeKind::File;
                    node.size = meta.len();
                }
            }
        } else {
            node.kind = NodeKind::Other;
        }
        node.summaries = merge(note(cx, &rel, &node, &meta), node.summaries.take());
        if fs.make_parents(&rel, 0).is_none() {
            warnings.push(format!(
                "{name}: {}: a parent is not a folder: skipped",
                display_path(&rel)
            ));
            continue;
        }
        fs.insert(rel, node);
    }
    progress.finish();
    let subject = Subject {
        kind: SubjectKind::Directory,
        name: folder_name(root),
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

/// Asks the [`super::Interest`] about the entry's facts. A folder gives no extended attributes:
/// reading them would need a system call std does not offer.
fn note(cx: &ReadCx<'_>, rel: &[u8], node: &Node, meta: &std::fs::Metadata) -> Summaries {
    #[cfg(unix)]
    let (uid, gid) = {
        use std::os::unix::fs::MetadataExt;
        (u64::from(meta.uid()), u64::from(meta.gid()))
    };
    #[cfg(not(unix))]
    let (uid, gid) = {
        let _ = meta;
        (0, 0)
    };
    let kind = match &node.kind {
        NodeKind::File => EntryType::File,
        NodeKind::Dir => EntryType::Dir,
        NodeKind::Symlink(t) => EntryType::Symlink(t),
        NodeKind::Other => EntryType::Other,
    };
    cx.interest.wants.note(&EntryFacts {
        path: rel,
        kind,
        mode: node.mode,
        uid,
        gid,
        capability: None,
    })
}

fn folder_name(root: &Path) -> String {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    canonical
        .file_name()
        .or_else(|| root.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| root.display().to_string())
}
