//! What a scan wants from the source, as one value: which files keep their content, which are read
//! whole and summarised (and for whom), and which files get digests. The scan builds it from its
//! catalogers; the source knows nothing else about them.

use super::vfs::{Summaries, Summary};

/// What a source knows of one entry besides its content: asked about once per entry of every
/// kind ([`Wants::note`]), so that a reader can keep the few facts it needs (an owner, a
/// capability) without every node carrying them.
#[derive(Debug, Clone, Copy)]
pub struct EntryFacts<'a> {
    /// Root-relative, normalised.
    pub path: &'a [u8],
    pub kind: EntryType<'a>,
    /// Permission bits and setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// The raw `security.capability` extended attribute (a tar's PAX `SCHILY.xattr.` record).
    pub capability: Option<&'a [u8]>,
}

/// The kind of an entry as [`EntryFacts`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType<'a> {
    File,
    Dir,
    /// The target exactly as stored.
    Symlink(&'a [u8]),
    /// A hard link to this (normalised) path.
    HardLink(&'a [u8]),
    Other,
}

/// Who reads files: each regular file is asked about once, on its root-relative path and its first
/// bytes (up to [`super::layer::HEAD_LEN`]), so that other files are never held in memory. Readers
/// are numbered slots (the scan's catalogers, in order); a file's summaries are stored per slot.
pub trait Wants: Sync {
    /// Keep the content (and its history across layers), up to this many bytes.
    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64>;
    /// The slots that want a summary of the whole content.
    fn inspecting(&self, _path: &[u8], _head: &[u8]) -> Slots {
        Slots::NONE
    }
    /// What slot `slot` makes of the whole content, or `None` when there is nothing to say. Called
    /// once per slot [`Wants::inspecting`] named, on the same bytes; then the bytes are dropped.
    fn inspect(&self, _slot: u8, _path: &[u8], _content: &[u8]) -> Option<Summary> {
        None
    }
    /// Everything that decides what these wants record of a layer (which readers, in which slots,
    /// with which summary encodings), for the layer cache's key; `None`: records are not cached.
    fn fingerprint(&self) -> Option<String> {
        None
    }
    /// Slot `slot`'s summary as bytes for the layer cache; `None` when it cannot be stored.
    fn encode(&self, _slot: u8, _summary: &Summary) -> Option<Vec<u8>> {
        None
    }
    /// The reverse of [`Wants::encode`]; `None` when the bytes are not a summary of this slot.
    fn decode(&self, _slot: u8, _bytes: &[u8]) -> Option<Summary> {
        None
    }
    /// Summaries of an entry's facts, by slot: stored on its node beside those of
    /// [`Wants::inspect`] (a slot may hold one of each, told apart by type).
    fn note(&self, _entry: &EntryFacts<'_>) -> Summaries {
        None
    }
    /// Whether a regular file nobody keeps, inspects, notes or hashes still needs its node in the
    /// final view (a reader that looks for it by path). Such files of the last layer are otherwise
    /// not stored: memory then follows what readers need, not the number of files. By default
    /// every node is kept.
    fn lists(&self, _entry: &EntryFacts<'_>) -> bool {
        true
    }
}

/// Both sets of summaries of one node.
pub fn merge(a: Summaries, b: Summaries) -> Summaries {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => Some(a.iter().chain(b.iter()).cloned().collect()),
    }
}

/// A bare keep rule: `|path, head| -> Option<u64>`, no summaries.
impl<F: Fn(&[u8], &[u8]) -> Option<u64> + Sync> Wants for F {
    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64> {
        self(path, head)
    }
}

/// Wants no file.
struct Nothing;

impl Wants for Nothing {
    fn keep(&self, _path: &[u8], _head: &[u8]) -> Option<u64> {
        None
    }
}

/// A set of reader slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slots(u64);

impl Slots {
    pub const NONE: Slots = Slots(0);
    /// How many slots there are: a scan registers at most this many readers.
    pub const COUNT: usize = 64;

    /// The set with `slot` added; a slot past [`Slots::COUNT`] is not representable and ignored.
    #[must_use]
    pub fn with(self, slot: u8) -> Slots {
        Slots(self.0 | 1u64.checked_shl(u32::from(slot)).unwrap_or(0))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The slots, in ascending order.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0..64u8).filter(move |&s| self.0 & (1u64 << s) != 0)
    }
}

/// Which files get digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digests {
    /// Only the files whose content is read (kept or inspected) get a SHA-256, inspected ones a
    /// SHA-1 too: a scan that lists no other files needs no more, and saves a pass over the bytes.
    Read,
    /// Every regular file gets a SHA-256 (inspected ones a SHA-1 too).
    All,
    /// Every regular file gets a SHA-256 and a SHA-1 (SPDX requires SHA-1 for the files it lists).
    AllWithSha1,
}

/// What a scan wants from the source.
#[derive(Clone, Copy)]
pub struct Interest<'a> {
    pub wants: &'a dyn Wants,
    pub digests: Digests,
}

impl<'a> Interest<'a> {
    /// No content, every file hashed: enough to describe the subject.
    pub const NOTHING: Interest<'static> = Interest {
        wants: &Nothing,
        digests: Digests::All,
    };

    pub fn new(wants: &'a dyn Wants, digests: Digests) -> Interest<'a> {
        Interest { wants, digests }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_hold_each_slot_once_in_order() {
        let s = Slots::NONE.with(3).with(0).with(63).with(3);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 3, 63]);
        assert!(Slots::NONE.is_empty() && !s.is_empty());
        assert_eq!(Slots::NONE.with(64), Slots::NONE);
    }
}
