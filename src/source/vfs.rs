//! The virtual filesystem a source builds: the final view of an image after every layer is applied, or
//! of a root folder.
//!
//! Paths are byte strings relative to the image root, without a leading `/` (`etc/os-release`); the
//! root itself is the empty path. Nothing here touches the host filesystem: symlinks and `..` are
//! resolved inside this tree, and resolution never climbs above the root.
//!
//! Only files a cataloger asked for keep their content (see [`super::Interest`]); every regular file
//! keeps its size, mode and SHA-256 (unless the source was asked to hash only the files it reads).
//! Kept files also keep their history across layers, so a cataloger can tell which layer introduced
//! a package.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a cataloger made of one file's whole content: small, and opaque to the source, which only
/// stores it on the [`Node`]. The content itself is dropped right after inspection.
pub type Summary = Arc<dyn Any + Send + Sync>;

/// The summaries of one file, each with the slot of the reader that made it
/// ([`super::interest::Wants`]). Boxed: most files have none, and a node stays small.
pub type Summaries = Option<Box<[(u8, Summary)]>>;

/// How many symlinks one lookup may follow before it gives up (as Linux's `MAXSYMLINKS`).
const MAX_SYMLINKS: usize = 40;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NodeKind {
    #[default]
    File,
    Dir,
    /// A symlink and its target exactly as stored.
    Symlink(Vec<u8>),
    /// Devices, fifos and sockets: recorded, never read.
    Other,
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub kind: NodeKind,
    /// Permission bits and setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub size: u64,
    /// Index of the layer that last wrote this path (0 for a folder or file source).
    pub layer: usize,
    /// SHA-256 of a regular file's content (absent when the source hashed only the files it read).
    pub sha256: Option<[u8; 32]>,
    /// SHA-1 of a regular file's content, computed only when the source was asked for it
    /// ([`super::SourceOptions::sha1`]).
    pub sha1: Option<[u8; 20]>,
    /// SHA-512 of a regular file some reader inspected (read whole); boxed, as most files have none.
    pub sha512: Option<Box<[u8; 64]>>,
    /// The content, when the [`super::Interest`] asked to keep it and it was within the limit.
    pub content: Option<Arc<[u8]>>,
    /// What the readers that asked for the whole content made of it.
    pub summaries: Summaries,
}

impl Node {
    /// The summary the reader in `slot` made of this file.
    pub fn summary(&self, slot: u8) -> Option<&Summary> {
        self.summaries
            .as_deref()?
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, summary)| summary)
    }

    /// Every summary readers in `slot` made (one of the content, one of the entry's facts).
    pub fn summaries_of(&self, slot: u8) -> impl Iterator<Item = &Summary> {
        self.summaries
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(move |(s, _)| *s == slot)
            .map(|(_, summary)| summary)
    }

    pub fn is_file(&self) -> bool {
        self.kind == NodeKind::File
    }
    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }
}

/// One state of a kept file: its content after `layer` was applied, or `None` where it was removed.
#[derive(Debug, Clone)]
pub struct Version {
    pub layer: usize,
    pub content: Option<Arc<[u8]>>,
}

#[derive(Debug, Default, Clone)]
pub struct Vfs {
    nodes: BTreeMap<Vec<u8>, Node>,
    history: BTreeMap<Vec<u8>, Vec<Version>>,
}

/// Normalises a path from an archive or a link target into a root-relative path: drops `.`, empty
/// components and leading `/`, and applies `..` lexically without ever climbing above the root.
pub fn normalize(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join(&b'/')
}

fn parent_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..i],
        None => b"",
    }
}

/// `prefix/` as a byte string, the lower bound of a folder's descendants in the ordered map.
fn dir_prefix(dir: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.is_empty() {
        p.push(b'/');
    }
    p
}

fn is_under(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() || (path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/')
}

impl Vfs {
    pub fn new() -> Self {
        Vfs::default()
    }

    /// Puts a node at `path` (already normalised), replacing what was there. Records the version for
    /// kept files. Replacing a folder by a non-folder removes everything below it, as extraction does.
    pub fn insert(&mut self, path: Vec<u8>, node: Node) {
        if path.is_empty() {
            return; // the root is implicit
        }
        if !node.is_dir() {
            if let Some(old) = self.nodes.get(&path) {
                if old.is_dir() {
                    let layer = node.layer;
                    self.remove_below_in(&path, usize::MAX, layer);
                }
            }
        }
        let kept = node.content.is_some();
        if kept || self.history.contains_key(&path) {
            let content = node.content.clone();
            let versions = self.history.entry(path.clone()).or_default();
            match versions.last_mut() {
                Some(last) if last.layer == node.layer => last.content = content,
                _ => versions.push(Version {
                    layer: node.layer,
                    content,
                }),
            }
        }
        // A folder entry over an existing folder keeps what is below it.
        self.nodes.insert(path, node);
    }

    /// What inserting a file that gets no node at `path` does: the node there (and what is below
    /// a folder there) is gone, and a kept file's history records that its content is.
    pub fn shadow(&mut self, path: &[u8], layer: usize) {
        if path.is_empty() {
            return;
        }
        if let Some(old) = self.nodes.remove(path) {
            if old.is_dir() {
                self.remove_below_in(path, usize::MAX, layer);
            }
        }
        self.mark_removed(path, layer);
    }

    /// Removes `path` and everything below it (a `.wh.NAME` whiteout applied in `layer`).
    pub fn remove(&mut self, path: &[u8], layer: usize) {
        let path = normalize(path);
        if path.is_empty() {
            self.remove_below_in(b"", usize::MAX, layer);
            return;
        }
        if self.nodes.remove(&path).is_some() {
            self.mark_removed(&path, layer);
        }
        self.remove_below_in(&path, usize::MAX, layer);
    }

    /// Removes everything below `dir` written by layers before `layer` (an opaque whiteout).
    pub fn make_opaque(&mut self, dir: &[u8], layer: usize) {
        let dir = normalize(dir);
        self.remove_below_in(&dir, layer, layer);
    }

    fn remove_below_in(&mut self, dir: &[u8], before_layer: usize, removed_in: usize) {
        let start = dir_prefix(dir);
        let doomed: Vec<Vec<u8>> = self
            .nodes
            .range(start.clone()..)
            .take_while(|(k, _)| is_under(k, dir))
            .filter(|(_, n)| n.layer < before_layer)
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
            self.mark_removed(&k, removed_in);
        }
    }

    fn mark_removed(&mut self, path: &[u8], layer: usize) {
        if let Some(v) = self.history.get_mut(path) {
            match v.last_mut() {
                Some(last) if last.layer == layer => last.content = None,
                _ => v.push(Version {
                    layer,
                    content: None,
                }),
            }
        }
    }

    /// Makes sure every folder above `path` exists, as extracting a tar entry would: a missing folder
    /// is created (as written by `layer`), a symlink to a folder is followed inside the root. Returns
    /// where the entry lands, or `None` when a parent is a file or a dangling link.
    pub fn make_parents(&mut self, path: &[u8], layer: usize) -> Option<Vec<u8>> {
        self.make_parents_with(path, layer, |_| false)
    }

    /// [`Vfs::make_parents`], where `is_file` also names files that have no node.
    pub fn make_parents_with(
        &mut self,
        path: &[u8],
        layer: usize,
        mut is_file: impl FnMut(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        let path = normalize(path);
        let (parent, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => return Some(path.clone()),
        };
        let mut current: Vec<u8> = Vec::new();
        for part in parent.split(|&b| b == b'/') {
            let mut candidate = dir_prefix(&current);
            candidate.extend_from_slice(part);
            match self.nodes.get(&candidate).map(|n| &n.kind) {
                Some(NodeKind::Dir) => current = candidate,
                Some(NodeKind::Symlink(_)) => {
                    let target = self.resolve(&candidate)?;
                    if !self.nodes.get(&target).is_some_and(Node::is_dir) {
                        return None;
                    }
                    current = target;
                }
                Some(_) => return None,
                None if is_file(&candidate) => return None,
                None => {
                    self.nodes.insert(
                        candidate.clone(),
                        Node {
                            kind: NodeKind::Dir,
                            mode: 0o755,
                            layer,
                            ..Node::default()
                        },
                    );
                    current = candidate;
                }
            }
        }
        let mut at = dir_prefix(&current);
        at.extend_from_slice(name);
        Some(at)
    }

    /// `path` with symlinks resolved in its folders but not in its last component, or `None` when
    /// a folder above it does not exist.
    pub fn resolve_parent(&self, path: &[u8]) -> Option<Vec<u8>> {
        let path = normalize(path);
        match path.iter().rposition(|&b| b == b'/') {
            None => Some(path),
            Some(i) => {
                let dir = self.resolve(&path[..i])?;
                let mut at = dir_prefix(&dir);
                at.extend_from_slice(&path[i + 1..]);
                Some(at)
            }
        }
    }

    /// The node stored at exactly `path` (normalised), without following symlinks.
    pub fn get(&self, path: &[u8]) -> Option<&Node> {
        self.nodes.get(&normalize(path))
    }

    /// Resolves every symlink in `path` inside the root, like the kernel would with the image root as
    /// `/`. Returns the canonical path of an existing node, or `None` (missing, loop, too many links).
    pub fn resolve(&self, path: &[u8]) -> Option<Vec<u8>> {
        let mut pending: Vec<Vec<u8>> = normalize_keep_dots(path);
        pending.reverse();
        let mut resolved: Vec<u8> = Vec::new();
        let mut followed = 0;
        while let Some(part) = pending.pop() {
            if part == b".." {
                resolved = parent_of(&resolved).to_vec();
                continue;
            }
            let mut candidate = dir_prefix(&resolved);
            candidate.extend_from_slice(&part);
            match self.nodes.get(&candidate) {
                Some(Node {
                    kind: NodeKind::Symlink(target),
                    ..
                }) => {
                    followed += 1;
                    if followed > MAX_SYMLINKS {
                        return None;
                    }
                    if target.first() == Some(&b'/') {
                        resolved.clear();
                    }
                    let mut parts = normalize_keep_dots(target);
                    parts.reverse();
                    pending.extend(parts);
                }
                Some(node) => {
                    if !pending.is_empty() && !node.is_dir() {
                        return None;
                    }
                    resolved = candidate;
                }
                None => return None,
            }
        }
        Some(resolved)
    }

    /// The node at `path` after following symlinks.
    pub fn lookup(&self, path: &[u8]) -> Option<(Vec<u8>, &Node)> {
        let p = self.resolve(path)?;
        if p.is_empty() {
            return None;
        }
        let n = self.nodes.get(&p)?;
        Some((p, n))
    }

    /// The kept content of the regular file at `path` (symlinks followed).
    pub fn read(&self, path: &[u8]) -> Option<&Arc<[u8]>> {
        let (_, node) = self.lookup(path)?;
        node.content.as_ref()
    }

    /// Names directly inside the folder at `path` (symlinks followed), sorted.
    pub fn read_dir(&self, path: &[u8]) -> Vec<Vec<u8>> {
        let Some(dir) = self.resolve(path) else {
            return Vec::new();
        };
        let start = dir_prefix(&dir);
        self.nodes
            .range(start.clone()..)
            .take_while(|(k, _)| is_under(k, &dir))
            .filter(|(k, _)| !k[start.len()..].contains(&b'/'))
            .map(|(k, _)| k[start.len()..].to_vec())
            .collect()
    }

    /// The versions of a kept file, oldest first, ending with its final state.
    pub fn history(&self, path: &[u8]) -> &[Version] {
        let canonical = self.resolve(path).unwrap_or_else(|| normalize(path));
        self.history.get(&canonical).map_or(&[], |v| v.as_slice())
    }

    /// Removes every node `keep` refuses, with its history, and returns them (paths left out of
    /// a scan on request: nothing of them may remain for a cataloger).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &Node) -> bool) -> Vec<(Vec<u8>, Node)> {
        let doomed: Vec<Vec<u8>> = self
            .nodes
            .iter()
            .filter(|(k, n)| !keep(k, n))
            .map(|(k, _)| k.clone())
            .collect();
        doomed
            .into_iter()
            .filter_map(|k| {
                self.history.remove(&k);
                let node = self.nodes.remove(&k)?;
                Some((k, node))
            })
            .collect()
    }

    /// Forgets the history of the paths `drop` names, also of those no node holds any more (a
    /// file a later layer deleted): excluded paths leave nothing an `all-layers` scan could read.
    pub fn forget_history(&mut self, mut drop: impl FnMut(&[u8]) -> bool) {
        self.history.retain(|k, _| !drop(k));
    }

    /// Every node, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_slice(), v))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Like [`normalize`] but keeps `..` components, which symlink resolution must apply after the
/// components before them are resolved.
fn normalize_keep_dots(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .map(|p| p.to_vec())
        .collect()
}

/// Renders a path for people and documents: `/` + the path, with bytes that are not UTF-8 escaped as
/// `\xNN` so that the original bytes can be recovered.
pub fn display_path(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Nodes for unit tests here and in the catalogers'.
#[cfg(test)]
pub(crate) mod test_nodes {
    use std::sync::Arc;

    use super::{Node, NodeKind};

    pub fn file(layer: usize, content: &[u8]) -> Node {
        Node {
            kind: NodeKind::File,
            mode: 0o644,
            size: content.len() as u64,
            layer,
            sha256: None,
            sha1: None,
            sha512: None,
            content: Some(Arc::from(content)),
            summaries: None,
        }
    }
    pub fn dir(layer: usize) -> Node {
        Node {
            kind: NodeKind::Dir,
            mode: 0o755,
            size: 0,
            layer,
            sha256: None,
            sha1: None,
            sha512: None,
            content: None,
            summaries: None,
        }
    }
    pub fn link(layer: usize, target: &str) -> Node {
        Node {
            kind: NodeKind::Symlink(target.as_bytes().to_vec()),
            mode: 0o777,
            size: 0,
            layer,
            sha256: None,
            sha1: None,
            sha512: None,
            content: None,
            summaries: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_nodes::{dir, file, link};
    use super::*;

    #[test]
    fn summaries_per_slot_cost_a_node_no_more_than_one_summary_did() {
        assert_eq!(
            std::mem::size_of::<Summaries>(),
            std::mem::size_of::<Option<Summary>>()
        );
        let node = Node {
            summaries: Some(Box::new([
                (0, Arc::new(1u8) as Summary),
                (3, Arc::new("three") as Summary),
            ])),
            ..file(0, b"")
        };
        let three = node.summary(3).and_then(|s| s.downcast_ref::<&str>());
        assert_eq!(three, Some(&"three"));
        assert!(node.summary(1).is_none());
    }

    #[test]
    fn normalize_never_climbs_above_root() {
        assert_eq!(normalize(b"/../../etc/passwd"), b"etc/passwd");
        assert_eq!(normalize(b"./a//b/./c/../d"), b"a/b/d");
        assert_eq!(normalize(b"../../.."), b"");
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let mut fs = Vfs::new();
        fs.insert(b"usr".to_vec(), dir(0));
        fs.insert(b"usr/lib".to_vec(), dir(0));
        fs.insert(b"usr/lib/os-release".to_vec(), file(0, b"ID=x"));
        fs.insert(b"etc".to_vec(), dir(0));
        fs.insert(b"etc/os-release".to_vec(), link(0, "../usr/lib/os-release"));
        fs.insert(b"lib".to_vec(), link(0, "usr/lib"));
        fs.insert(
            b"escape".to_vec(),
            link(0, "../../../../usr/lib/os-release"),
        );
        fs.insert(b"abs".to_vec(), link(0, "/usr/lib/os-release"));
        assert_eq!(fs.read(b"etc/os-release").unwrap().as_ref(), b"ID=x");
        assert_eq!(fs.read(b"/lib/os-release").unwrap().as_ref(), b"ID=x");
        assert_eq!(fs.read(b"escape").unwrap().as_ref(), b"ID=x");
        assert_eq!(fs.read(b"abs").unwrap().as_ref(), b"ID=x");
    }

    #[test]
    fn symlink_loops_end() {
        let mut fs = Vfs::new();
        fs.insert(b"a".to_vec(), link(0, "b"));
        fs.insert(b"b".to_vec(), link(0, "a"));
        assert_eq!(fs.resolve(b"a"), None);
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let mut fs = Vfs::new();
        fs.insert(b"d".to_vec(), dir(0));
        fs.insert(b"d/a".to_vec(), file(0, b"a"));
        fs.insert(b"d/b".to_vec(), file(0, b"b"));
        fs.insert(b"e".to_vec(), file(0, b"e"));
        fs.remove(b"e", 1);
        assert!(fs.get(b"e").is_none());
        assert_eq!(fs.history(b"e").len(), 2);
        assert!(fs.history(b"e")[1].content.is_none());
        // Opaque dir in layer 2, with a new file in the same layer.
        fs.insert(b"d/c".to_vec(), file(2, b"c"));
        fs.make_opaque(b"d", 2);
        assert_eq!(fs.read_dir(b"d"), vec![b"c".to_vec()]);
    }

    #[test]
    fn replacing_a_folder_records_removal_in_the_replacing_layer() {
        let mut fs = Vfs::new();
        fs.insert(b"d".to_vec(), dir(0));
        fs.insert(b"d/db".to_vec(), file(0, b"v"));
        fs.insert(b"d".to_vec(), file(3, b"now a file"));
        let h = fs.history(b"d/db");
        assert_eq!(h.len(), 2);
        assert_eq!((h[1].layer, h[1].content.is_none()), (3, true));
        // Whiting out the root in layer 2 records layer 2, not the file's last layer.
        let mut fs = Vfs::new();
        fs.insert(b"f".to_vec(), file(0, b"x"));
        fs.remove(b"", 2);
        assert_eq!(fs.history(b"f")[1].layer, 2);
        assert!(fs.is_empty());
    }

    #[test]
    fn removal_and_rewrite_in_one_layer_keep_one_version() {
        let mut fs = Vfs::new();
        fs.insert(b"f".to_vec(), file(0, b"old"));
        fs.remove(b"f", 1);
        fs.insert(b"f".to_vec(), file(1, b"new"));
        let states: Vec<(usize, Option<&[u8]>)> = fs
            .history(b"f")
            .iter()
            .map(|v| (v.layer, v.content.as_deref()))
            .collect();
        assert_eq!(states, vec![(0, Some(&b"old"[..])), (1, Some(&b"new"[..]))]);
    }

    #[test]
    fn parents_are_created_and_followed_inside_the_root() {
        let mut fs = Vfs::new();
        assert_eq!(fs.make_parents(b"a/b/c", 1), Some(b"a/b/c".to_vec()));
        assert!(fs.get(b"a").unwrap().is_dir());
        assert_eq!(fs.get(b"a/b").unwrap().layer, 1);
        // A symlinked folder (merged /usr) is followed, as extraction does.
        fs.insert(b"usr".to_vec(), dir(0));
        fs.insert(b"usr/lib".to_vec(), dir(0));
        fs.insert(b"lib".to_vec(), link(0, "/usr/lib"));
        assert_eq!(
            fs.make_parents(b"lib/x.so", 2),
            Some(b"usr/lib/x.so".to_vec())
        );
        // A file or a dangling link above blocks the entry.
        fs.insert(b"f".to_vec(), file(0, b""));
        assert_eq!(fs.make_parents(b"f/x", 2), None);
        fs.insert(b"gone".to_vec(), link(0, "nowhere"));
        assert_eq!(fs.make_parents(b"gone/x", 2), None);
        assert_eq!(
            fs.resolve_parent(b"lib/x.so"),
            Some(b"usr/lib/x.so".to_vec())
        );
        assert_eq!(fs.resolve_parent(b"lib"), Some(b"lib".to_vec()));
        assert_eq!(fs.resolve_parent(b"missing/x"), None);
    }

    #[test]
    fn display_escapes_non_utf8() {
        assert_eq!(display_path(b"a/\xffb"), "/a/\\xffb");
    }
}
