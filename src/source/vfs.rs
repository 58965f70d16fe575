//! The virtual filesystem a source builds: the final view of an image after every layer is applied, or
//! of a root folder.
//!
//! Paths are byte strings relative to the image root, without a leading `/` (`etc/os-release`); the
//! root itself is the empty path. Nothing here touches the host filesystem: symlinks and `..` are
//! resolved inside this tree, and resolution never climbs above the root.
//!
//! Only files a cataloger asked for keep their content (see [`Keep`]); every regular file keeps its
//! size, mode and SHA-256. Kept files also keep their history across layers, so a cataloger can tell
//! which layer introduced a package.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Decides which files keep their content: called with the path and the first bytes of the file
/// (up to 64). Returns the largest size worth keeping, or `None` to keep nothing.
pub type Keep<'a> = &'a (dyn Fn(&[u8], &[u8]) -> Option<u64> + Sync);

/// How many symlinks one lookup may follow before it gives up (as Linux's `MAXSYMLINKS`).
const MAX_SYMLINKS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Dir,
    /// A symlink and its target exactly as stored.
    Symlink(Vec<u8>),
    /// Devices, fifos and sockets: recorded, never read.
    Other,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    /// Permission bits and setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub size: u64,
    /// Index of the layer that last wrote this path (0 for a folder or file source).
    pub layer: usize,
    /// SHA-256 of a regular file's content.
    pub sha256: Option<[u8; 32]>,
    /// The content, when a [`Keep`] asked for it and it was within the limit.
    pub content: Option<Arc<[u8]>>,
}

impl Node {
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
                    self.remove_below(&path, usize::MAX);
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

    /// Removes `path` and everything below it (a `.wh.NAME` whiteout applied in `layer`).
    pub fn remove(&mut self, path: &[u8], layer: usize) {
        let path = normalize(path);
        if path.is_empty() {
            self.remove_below(b"", usize::MAX);
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

    fn remove_below(&mut self, dir: &[u8], before_layer: usize) {
        self.remove_below_in(dir, before_layer, before_layer)
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
            let layer = if layer == usize::MAX {
                v.last().map_or(0, |l| l.layer)
            } else {
                layer
            };
            v.push(Version {
                layer,
                content: None,
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(layer: usize, content: &[u8]) -> Node {
        Node {
            kind: NodeKind::File,
            mode: 0o644,
            size: content.len() as u64,
            layer,
            sha256: None,
            content: Some(Arc::from(content)),
        }
    }
    fn dir(layer: usize) -> Node {
        Node {
            kind: NodeKind::Dir,
            mode: 0o755,
            size: 0,
            layer,
            sha256: None,
            content: None,
        }
    }
    fn link(layer: usize, target: &str) -> Node {
        Node {
            kind: NodeKind::Symlink(target.as_bytes().to_vec()),
            mode: 0o777,
            size: 0,
            layer,
            sha256: None,
            content: None,
        }
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
    fn display_escapes_non_utf8() {
        assert_eq!(display_path(b"a/\xffb"), "/a/\\xffb");
    }
}
