//! One layer: a tar (plain, gzip or zstd) read once into a [`LayerRecord`], then applied onto the
//! [`Vfs`]. The two stages are separate so that layers can be read independently of the order in
//! which they are applied.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::interest::{merge, Digests, EntryFacts, EntryType, Interest};
use super::stream::{
    pipe, read_head, BudgetReader, ChunkReader, Compression, Counted, HashReader, ProgressReader,
    CHUNK_LEN,
};
use super::vfs::{display_path, normalize, Node, NodeKind, Summaries, Vfs};
use super::{spool, SourceError};
use crate::limits::{Budget, FLAG_MAX_FILE_SIZE};

/// How many first bytes of a file the [`Interest`] sees.
pub const HEAD_LEN: usize = 64;

/// What reading a layer needs to know.
pub struct ReadCx<'a> {
    /// Which files to keep, to summarise, to hash.
    pub interest: Interest<'a>,
    pub budget: &'a Budget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink(Vec<u8>),
    /// A hard link to the (normalised) path of another entry of the image.
    HardLink(Vec<u8>),
    Other,
}

/// One entry of a layer tar, its path normalised inside the root.
#[derive(Debug, Clone)]
pub struct LayerEntry {
    pub path: Vec<u8>,
    pub kind: EntryKind,
    pub mode: u32,
    pub size: u64,
    pub sha256: Option<[u8; 32]>,
    pub sha1: Option<[u8; 20]>,
    pub sha512: Option<Box<[u8; 64]>>,
    pub content: Option<Arc<[u8]>>,
    pub summaries: Summaries,
}

/// Everything a layer tar says, in tar order, with the digests of its bytes.
#[derive(Debug, Clone)]
pub struct LayerRecord {
    pub entries: Vec<LayerEntry>,
    /// The regular files nobody keeps, inspects, notes, hashes or lists, among `entries` in tar
    /// order: most files of an image, held as packed paths rather than entries.
    pub plain: PlainFiles,
    /// Folders made opaque by `.wh..wh..opq`.
    pub opaque: Vec<Vec<u8>>,
    /// Paths removed by `.wh.NAME`.
    pub whiteouts: Vec<Vec<u8>>,
    /// SHA-256 of the blob as stored.
    pub digest: [u8; 32],
    /// Size of the blob as stored.
    pub stored_size: u64,
    /// SHA-256 of the uncompressed tar (the diff_id).
    pub diff_id: [u8; 32],
    pub compression: Compression,
    /// Problems that did not stop the read, without the file/layer prefix.
    pub warnings: Vec<String>,
    /// What the read charged the budget (tar entries, uncompressed bytes): a record taken from the
    /// layer cache charges the same, so that limits hold whether a layer was cached or not.
    pub tar_entries: u64,
    pub tar_size: u64,
}

/// Regular files only listed, packed: each folder once per run of files in it, names side by side.
#[derive(Debug, Clone, Default)]
pub struct PlainFiles {
    /// Folder paths end to end; folder `i` ends at `dir_ends[i]`.
    dirs: Vec<u8>,
    dir_ends: Vec<u32>,
    /// File names end to end.
    names: Vec<u8>,
    files: Vec<PlainFile>,
}

#[derive(Debug, Clone, Copy)]
struct PlainFile {
    /// How many of the record's entries come before this file in the tar.
    before: u32,
    dir: u32,
    name_end: u32,
    mode: u32,
    size: u64,
}

impl PlainFiles {
    /// Adds a file after `before` entries; `false` (nothing added) past what the packing indexes.
    pub fn push(&mut self, before: usize, path: &[u8], mode: u32, size: u64) -> bool {
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&b""[..], path),
        };
        let same_dir = self.dir_ends.last().is_some_and(|&end| {
            let start = self
                .dir_ends
                .len()
                .checked_sub(2)
                .map_or(0, |i| self.dir_ends[i]);
            self.dirs.get(start as usize..end as usize) == Some(dir)
        });
        let (Ok(before), Ok(name_end), Ok(dir_end)) = (
            u32::try_from(before),
            u32::try_from(self.names.len() + name.len()),
            u32::try_from(self.dirs.len() + if same_dir { 0 } else { dir.len() }),
        ) else {
            return false;
        };
        if !same_dir {
            self.dirs.extend_from_slice(dir);
            self.dir_ends.push(dir_end);
        }
        self.names.extend_from_slice(name);
        self.files.push(PlainFile {
            before,
            dir: (self.dir_ends.len() - 1) as u32,
            name_end,
            mode,
            size,
        });
        true
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Each file as (entries before it, path, mode, size), in tar order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Vec<u8>, u32, u64)> + '_ {
        let mut name_start = 0usize;
        self.files.iter().map(move |f| {
            let dir_end = self.dir_ends[f.dir as usize] as usize;
            let dir_start = match f.dir {
                0 => 0,
                d => self.dir_ends[d as usize - 1] as usize,
            };
            let dir = &self.dirs[dir_start..dir_end];
            let name = &self.names[name_start..f.name_end as usize];
            name_start = f.name_end as usize;
            let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
            path.extend_from_slice(dir);
            if !dir.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            (f.before as usize, path, f.mode, f.size)
        })
    }
}

impl LayerRecord {
    /// Every entry in tar order, the plain files as entries too.
    pub fn all_entries(&self) -> impl Iterator<Item = std::borrow::Cow<'_, LayerEntry>> + '_ {
        let mut plain = self.plain.iter().peekable();
        let mut entries = self.entries.iter().enumerate().peekable();
        std::iter::from_fn(move || {
            let next_entry = entries.peek().map(|(i, _)| *i);
            match (plain.peek(), next_entry) {
                (Some((before, ..)), Some(i)) if *before > i => {
                    entries.next().map(|(_, e)| std::borrow::Cow::Borrowed(e))
                }
                (Some(_), _) => plain.next().map(|(_, path, mode, size)| {
                    std::borrow::Cow::Owned(LayerEntry {
                        path,
                        kind: EntryKind::File,
                        mode,
                        size,
                        sha256: None,
                        sha1: None,
                        sha512: None,
                        content: None,
                        summaries: None,
                    })
                }),
                (None, _) => entries.next().map(|(_, e)| std::borrow::Cow::Borrowed(e)),
            }
        })
    }
}

fn limit_or_invalid(cx: &ReadCx<'_>, file: &str, layer: &str, message: String) -> SourceError {
    if let Some(e) = cx.budget.tripped() {
        return SourceError::Limit {
            path: file.to_string(),
            what: format!("{} (layer {layer})", e.what()),
            limit: e.limit(),
            flag: e.flag(),
        };
    }
    SourceError::Invalid {
        path: file.to_string(),
        message: format!("layer {layer}: {message}"),
    }
}

/// Reads one layer blob from `reader` to its end. `file` and `layer` name it in errors.
///
/// Two threads share the work: this one reads the stored bytes, hashes them (the blob digest) and
/// decompresses them; a second one parses the tar, hashes the uncompressed stream (the diff_id, the
/// same digest as the blob's when the layer is not compressed) and every file, and inspects the
/// files catalogers want. A bounded pipe of chunks joins them.
pub fn read_layer(
    reader: impl Read,
    cx: &ReadCx<'_>,
    file: &str,
    layer: &str,
) -> Result<LayerRecord, SourceError> {
    // The offset in the stored blob, readable while the decoders borrow the reader.
    let pos = Cell::new(0u64);
    let mut stored = HashReader::new(ProgressReader::new(reader, &super::NoProgress, &pos));
    let at = |p: u64| format!(" (at byte {p} of the blob)");
    let head = read_head(&mut stored, 512).map_err(|e| {
        limit_or_invalid(
            cx,
            file,
            layer,
            format!("cannot read the blob: {e}{}", at(pos.get())),
        )
    })?;
    let compression = Compression::sniff(&head);
    if compression == Compression::None && !super::stream::looks_like_tar(&head) {
        return Err(limit_or_invalid(
            cx,
            file,
            layer,
            "not a tar archive (nor gzip or zstd)".to_string(),
        ));
    }
    let joined = io::Cursor::new(head).chain(&mut stored);
    let decoded: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(joined),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            io::BufReader::with_capacity(CHUNK_LEN, joined),
        )),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(joined).map_err(|e| {
            limit_or_invalid(
                cx,
                file,
                layer,
                format!("cannot start zstd: {e}{}", at(pos.get())),
            )
        })?),
    };
    let mut diff = BudgetReader::new(decoded, cx.budget, Counted::Layer);
    let (parsed, complete) = std::thread::scope(|s| {
        let (pump, chunks) = pipe(compression != Compression::None);
        let worker = s.spawn(move || {
            // Where this thread is in the stored blob: the offset its current chunk was read at.
            let parse_pos = AtomicU64::new(0);
            let mut chunks = chunks.with_pos(&parse_pos);
            parse_layer(&mut chunks, cx, file, layer, &parse_pos).map(|r| (r, chunks.finish().0))
        });
        let complete = pump.run(&mut diff, &|| pos.get());
        match worker.join() {
            Ok(rec) => (rec, complete),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    // A failed read is handed to the parser, which names it; `complete` is false only then, or
    // when the parser stopped first with an error of its own.
    let (mut rec, diff_id) = match parsed {
        Ok(r) if complete => r,
        Ok(_) => {
            return Err(limit_or_invalid(
                cx,
                file,
                layer,
                format!("cannot read the blob{}", at(pos.get())),
            ))
        }
        Err(e) => return Err(e),
    };
    rec.tar_size = diff.total();
    drop(diff);
    stored.drain().map_err(|e| {
        limit_or_invalid(
            cx,
            file,
            layer,
            format!("cannot read the blob: {e}{}", at(pos.get())),
        )
    })?;
    let (digest, stored_size) = stored.finish();
    rec.diff_id = diff_id.unwrap_or(digest);
    rec.digest = digest;
    rec.stored_size = stored_size;
    rec.compression = compression;
    Ok(rec)
}

/// The parsing side of [`read_layer`]: the tar entries into a record, then whatever follows the
/// end-of-archive blocks (it still belongs to the diff_id).
fn parse_layer(
    chunks: &mut ChunkReader<'_>,
    cx: &ReadCx<'_>,
    file: &str,
    layer: &str,
    pos: &AtomicU64,
) -> Result<LayerRecord, SourceError> {
    let at = || format!(" (at byte {} of the blob)", pos.load(Ordering::Relaxed));
    let mut rec = LayerRecord {
        entries: Vec::new(),
        plain: PlainFiles::default(),
        opaque: Vec::new(),
        whiteouts: Vec::new(),
        digest: [0; 32],
        stored_size: 0,
        diff_id: [0; 32],
        compression: Compression::None,
        warnings: Vec::new(),
        tar_entries: 0,
        tar_size: 0,
    };
    {
        let mut archive = tar::Archive::new(&mut *chunks);
        let entries = archive.entries_with_seek().map_err(|e| {
            limit_or_invalid(cx, file, layer, format!("cannot read the tar: {e}{}", at()))
        })?;
        // The last entry's path, shown only in an error.
        let mut last: Option<Vec<u8>> = None;
        let shown = |last: &Option<Vec<u8>>| last.as_deref().map_or("(start)".into(), display_path);
        for entry in entries {
            let entry = entry.map_err(|e| {
                limit_or_invalid(
                    cx,
                    file,
                    layer,
                    format!(
                        "corrupt or truncated after entry {}: {e}{}",
                        shown(&last),
                        at()
                    ),
                )
            })?;
            let l = last.get_or_insert_with(Vec::new);
            l.clear();
            l.extend_from_slice(&entry.path_bytes());
            read_entry(entry, cx, &mut rec).map_err(|m| {
                limit_or_invalid(
                    cx,
                    file,
                    layer,
                    format!("entry {}: {m}{}", shown(&last), at()),
                )
            })?;
        }
    }
    // Trailing bytes after the end-of-archive blocks still belong to the diff_id.
    chunks.drain().map_err(|e| {
        limit_or_invalid(
            cx,
            file,
            layer,
            format!("corrupt data after the tar: {e}{}", at()),
        )
    })?;
    Ok(rec)
}

fn read_entry<R: Read>(
    mut entry: tar::Entry<'_, R>,
    cx: &ReadCx<'_>,
    rec: &mut LayerRecord,
) -> Result<(), String> {
    let kind = entry.header().entry_type();
    if matches!(
        kind,
        tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
    ) {
        return Ok(());
    }
    cx.budget.entry().map_err(|e| e.what().to_string())?;
    rec.tar_entries += 1;
    let raw = entry.path_bytes().into_owned();
    let path = normalize(&raw);
    let mode = entry.header().mode().unwrap_or(0o644) & 0o7777;

    let (parent, base) = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&b""[..], &path[..]),
    };
    if climbs_out(&raw) {
        // Kept, clamped inside the root as `normalize` does, but said: it may shadow a real file.
        rec.warnings.push(format!(
            "entry {} points outside the root: read as {}",
            display_path_raw(&raw),
            display_path(&path)
        ));
    }
    if let Some(name) = raw_base(&raw).strip_prefix(b".wh.") {
        if name == b"." || name == b".." {
            // Would hide the folder itself or its parent (the whole root at the top): refused, as
            // containerd refuses it.
            rec.warnings.push(format!(
                "whiteout {} names `{}`: ignored",
                display_path_raw(&raw),
                String::from_utf8_lossy(name)
            ));
            return Ok(());
        }
    }
    if let Some(name) = base.strip_prefix(b".wh.") {
        if name == b".wh..opq" {
            rec.opaque.push(parent.to_vec());
        } else if !name.starts_with(b".wh.") && !name.is_empty() {
            let mut p = parent.to_vec();
            if !p.is_empty() {
                p.push(b'/');
            }
            p.extend_from_slice(name);
            rec.whiteouts.push(p);
        }
        return Ok(()); // whiteouts never appear in the filesystem; `.wh..wh.*` is overlay bookkeeping
    }
    if path.is_empty() {
        if kind != tar::EntryType::Directory {
            rec.warnings.push(format!(
                "entry {} resolves to the root and is not a folder: skipped",
                display_path(&raw)
            ));
        }
        return Ok(());
    }

    let node_kind = match kind {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            EntryKind::File
        }
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => match entry.link_name_bytes() {
            Some(t) => EntryKind::Symlink(t.into_owned()),
            None => {
                rec.warnings.push(format!(
                    "symlink {} has no target: skipped",
                    display_path(&path)
                ));
                return Ok(());
            }
        },
        tar::EntryType::Link => match entry.link_name_bytes() {
            Some(t) => EntryKind::HardLink(normalize(&t)),
            None => {
                rec.warnings.push(format!(
                    "hard link {} has no target: skipped",
                    display_path(&path)
                ));
                return Ok(());
            }
        },
        tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => EntryKind::Other,
        other => {
            rec.warnings.push(format!(
                "entry {} has an unsupported type {:?}: skipped",
                display_path(&path),
                other.as_byte() as char
            ));
            return Ok(());
        }
    };

    let (noted, listed) = note_entry(&mut entry, &path, &node_kind, mode, cx);
    if node_kind != EntryKind::File {
        rec.entries.push(LayerEntry {
            path,
            kind: node_kind,
            mode,
            size: 0,
            sha256: None,
            sha1: None,
            sha512: None,
            content: None,
            summaries: noted,
        });
        return Ok(());
    }

    let declared = entry.size();
    let file =
        read_file(&mut entry, &path, declared, cx, &mut rec.warnings).map_err(|e| e.to_string())?;
    if file.size != declared {
        return Err(format!("truncated: {} bytes of {declared}", file.size));
    }
    let plain = !listed
        && !file.asked
        && noted.is_none()
        && file.summaries.is_none()
        && file.content.is_none()
        && file.sha256.is_none()
        && file.sha1.is_none()
        && file.sha512.is_none();
    if plain && rec.plain.push(rec.entries.len(), &path, mode, file.size) {
        return Ok(());
    }
    rec.entries.push(LayerEntry {
        path,
        kind: EntryKind::File,
        mode,
        size: file.size,
        sha256: file.sha256,
        sha1: file.sha1,
        sha512: file.sha512,
        content: file.content,
        summaries: merge(noted, file.summaries),
    });
    Ok(())
}

/// Asks the [`Interest`] about the entry's facts: owner (PAX `uid`/`gid` over the header's),
/// mode, link target and the `security.capability` extended attribute. Also says whether a
/// reader lists the entry ([`super::Wants::lists`]).
fn note_entry<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    path: &[u8],
    kind: &EntryKind,
    mode: u32,
    cx: &ReadCx<'_>,
) -> (Summaries, bool) {
    let header = entry.header();
    let mut uid = header.uid().unwrap_or(0);
    let mut gid = header.gid().unwrap_or(0);
    let mut capability = None;
    if let Ok(Some(pax)) = entry.pax_extensions() {
        for ext in pax.flatten() {
            let number = || std::str::from_utf8(ext.value_bytes()).ok()?.parse().ok();
            match ext.key_bytes() {
                b"uid" => uid = number().unwrap_or(uid),
                b"gid" => gid = number().unwrap_or(gid),
                b"SCHILY.xattr.security.capability" => {
                    capability = Some(ext.value_bytes().to_vec())
                }
                _ => {}
            }
        }
    }
    let kind = match kind {
        EntryKind::File => EntryType::File,
        EntryKind::Dir => EntryType::Dir,
        EntryKind::Symlink(t) => EntryType::Symlink(t),
        EntryKind::HardLink(t) => EntryType::HardLink(t),
        EntryKind::Other => EntryType::Other,
    };
    let facts = EntryFacts {
        path,
        kind,
        mode,
        uid,
        gid,
        capability: capability.as_deref(),
    };
    let listed = kind == EntryType::File && cx.interest.wants.lists(&facts);
    (cx.interest.wants.note(&facts), listed)
}

/// Whether a path from an archive climbs above the root with `..` (absolute paths are only
/// re-rooted, as every extractor does, and not reported).
fn climbs_out(raw: &[u8]) -> bool {
    let mut depth = 0usize;
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    false
}

/// The last component of a path as stored (`normalize` would already have applied a final `..`).
fn raw_base(raw: &[u8]) -> &[u8] {
    let trimmed = raw.strip_suffix(b"/").unwrap_or(raw);
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => trimmed.get(i + 1..).unwrap_or_default(),
        None => trimmed,
    }
}

/// A path exactly as stored, escaped like [`display_path`] but without the leading `/`.
fn display_path_raw(raw: &[u8]) -> String {
    let shown = display_path(raw);
    shown.strip_prefix('/').map(str::to_string).unwrap_or(shown)
}

/// A regular file read through: digests, size and the content when asked for.
pub struct ReadFile {
    pub size: u64,
    /// Absent only with [`Digests::Read`] for a file whose content was not read.
    pub sha256: Option<[u8; 32]>,
    pub sha1: Option<[u8; 20]>,
    /// Only for an inspected file: documents give it for the executables and archives they list.
    pub sha512: Option<Box<[u8; 64]>>,
    pub content: Option<Arc<[u8]>>,
    /// What the readers that asked for the whole content made of it.
    pub summaries: Summaries,
    /// Whether a reader asked to keep or inspect it (even if it was too large to).
    pub asked: bool,
}

/// The digests one file is read through; each is computed only when asked for.
#[derive(Default)]
struct Hashers {
    sha256: Option<Sha256>,
    sha1: Option<Sha1>,
    sha512: Option<Sha512>,
}

impl Hashers {
    fn update(&mut self, chunk: &[u8]) {
        if let Some(h) = self.sha256.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = self.sha1.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = self.sha512.as_mut() {
            h.update(chunk);
        }
    }
}

/// Streams a regular file of `declared` bytes at `path`, hashing it and keeping its content when
/// the [`Interest`] asks for it. A file some readers want summarised is read whole, handed to each
/// of them, and dropped (unless it is kept too): into a reused buffer, or past
/// [`spool::SPOOL_OVER`] into a temp file that is mapped, so that memory does not follow the
/// largest binary. An inspected file also gets a SHA-1, which lets documents list it as a file, and
/// a SHA-512 (the executables and archives catalogers read are what regulators want it of). A
/// file to keep or inspect larger than `--max-file-size` is an error (the budget records which).
pub fn read_file(
    r: &mut impl Read,
    path: &[u8],
    declared: u64,
    cx: &ReadCx<'_>,
    warnings: &mut Vec<String>,
) -> io::Result<ReadFile> {
    let head = read_head(r, HEAD_LEN)?;
    let max_file = cx.budget.limits().max_file_size;
    let wants = cx.interest.wants;
    let wanted = wants.keep(path, &head);
    let inspecting = wants.inspecting(path, &head);
    let inspect = !inspecting.is_empty();
    // Every reader that asked gets the same bytes.
    let summarise = |content: &[u8]| -> Summaries {
        let all: Vec<_> = inspecting
            .iter()
            .filter_map(|slot| Some((slot, wants.inspect(slot, path, content)?)))
            .collect();
        (!all.is_empty()).then(|| all.into_boxed_slice())
    };
    if wanted.is_some() || inspect {
        cx.budget
            .file_size(declared, || display_path(path))
            .map_err(|e| {
                io::Error::other(format!(
                    "{} exceeds the limit of {} (raise it with {FLAG_MAX_FILE_SIZE})",
                    e.what(),
                    e.limit()
                ))
            })?;
    }
    // A cataloger's own bound below the file limit: the cataloger reports the file it missed.
    let keep_max = wanted
        .filter(|&max| declared <= max)
        .map(|max| max.min(max_file));
    // Read whole for `keep` up to what it asked; for the inspector alone up to the spool size (a
    // larger file goes through the temp file).
    let whole_max = match (keep_max, inspect) {
        (Some(k), _) => Some(k),
        (None, true) => Some(spool::SPOOL_OVER),
        (None, false) => None,
    };
    let digests = cx.interest.digests;
    let hashed = digests != Digests::Read || whole_max.is_some();
    let mut hash = Hashers {
        sha256: hashed.then(Sha256::new),
        sha1: (digests == Digests::AllWithSha1 || inspect).then(Sha1::new),
        // The bytes pass anyway: one more digest, never for a file only listed.
        sha512: inspect.then(Sha512::new),
    };
    let mut size = head.len() as u64;
    hash.update(&head);
    let mut summaries = None;
    let spooled = inspect && keep_max.is_none() && declared > spool::SPOOL_OVER;
    let content = if spooled {
        // Written while hashed. Without a temp file (none can be made, or the folder is full) the
        // file is only hashed: reading it into memory instead would let one binary set the peak.
        let (mut file, mut write_err) = match spool::create() {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e)),
        };
        let mut write = |chunk: &[u8]| {
            if let (Some(f), None) = (file.as_mut(), write_err.as_ref()) {
                write_err = f.write_all(chunk).err();
            }
        };
        write(&head);
        size = size.saturating_add(pump(
            &mut r.take(max_file.saturating_sub(size).saturating_add(1)),
            &mut hash,
            write,
        )?);
        if size > max_file {
            // Longer than the header said.
            size = size.saturating_add(pump(r, &mut hash, |_| {})?);
        } else {
            let mapped = match (write_err, &file) {
                (None, Some(f)) => spool::map(f),
                (Some(e), _) => Err(e),
                (None, None) => Err(io::Error::other("no temp file")),
            };
            match mapped {
                Ok(map) => summaries = summarise(&map),
                Err(e) => warnings.push(format!(
                    "{}: not inspected: cannot spool {size} bytes to a temp file: {e}",
                    display_path(path)
                )),
            }
        }
        None
    } else if let Some(max) = whole_max {
        thread_local! {
            // One buffer per thread for whole files, grown to the largest read, not one per file.
            static WHOLE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        WHOLE.with(|cell| -> io::Result<Option<Arc<[u8]>>> {
            let mut guard = cell.try_borrow_mut();
            let mut local = Vec::new();
            let buf: &mut Vec<u8> = match guard.as_deref_mut() {
                Ok(b) => b,
                Err(_) => &mut local,
            };
            buf.clear();
            buf.extend_from_slice(&head);
            // Grown as bytes arrive, never sized from the header.
            r.take(max.saturating_sub(buf.len() as u64).saturating_add(1))
                .read_to_end(buf)?;
            hash.update(buf.get(HEAD_LEN..).unwrap_or_default());
            size = buf.len() as u64;
            if size > max {
                // Longer than the header said: hash the rest, keep nothing.
                size = size.saturating_add(pump(r, &mut hash, |_| {})?);
                return Ok(None);
            }
            if inspect {
                summaries = summarise(buf);
            }
            Ok(keep_max
                .filter(|k| size <= *k)
                .map(|_| Arc::from(buf.as_slice())))
        })?
    } else {
        size = size.saturating_add(pump(r, &mut hash, |_| {})?);
        None
    };
    Ok(ReadFile {
        size,
        sha256: hash.sha256.map(|h| h.finalize().into()),
        sha1: hash.sha1.map(|h| h.finalize().into()),
        sha512: hash.sha512.map(|h| Box::new(h.finalize().into())),
        content,
        summaries,
        asked: wanted.is_some() || inspect,
    })
}

/// Reads `r` to its end through the digests asked for, handing each chunk to `sink`; returns how
/// many bytes there were.
fn pump(r: &mut impl Read, hash: &mut Hashers, mut sink: impl FnMut(&[u8])) -> io::Result<u64> {
    thread_local! {
        // One read buffer per thread, not one per file.
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut guard = scratch.try_borrow_mut();
        let mut local = Vec::new();
        let buf: &mut Vec<u8> = match guard.as_deref_mut() {
            Ok(b) => b,
            Err(_) => &mut local,
        };
        if buf.len() < HASH_BUF_LEN {
            buf.resize(HASH_BUF_LEN, 0);
        }
        let mut total = 0u64;
        loop {
            let n = match r.read(buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hash.update(chunk);
            sink(chunk);
            total = total.saturating_add(n as u64);
        }
    })
}

/// How much of a file is hashed per read.
const HASH_BUF_LEN: usize = 128 * 1024;

/// Applies a layer record onto `fs` as layer number `layer`: whiteouts and opaque folders first (they
/// only hide lower layers, whatever their place in the tar), then the entries in tar order.
/// `label` names the layer in warnings. In the `last` layer (no later layer can need them) the
/// plain files get no node: they only replace what was at their path, and are remembered by a
/// hash of their path while the layer is applied, for its hard links and entries below them.
pub fn apply(
    fs: &mut Vfs,
    layer: usize,
    rec: &LayerRecord,
    label: &str,
    last: bool,
    warnings: &mut Vec<String>,
) {
    for w in &rec.warnings {
        warnings.push(format!("{label}: {w}"));
    }
    for dir in &rec.opaque {
        let canonical = fs.resolve(dir).unwrap_or_else(|| dir.clone());
        fs.make_opaque(&canonical, layer);
    }
    for path in &rec.whiteouts {
        let target = fs.resolve_parent(path).unwrap_or_else(|| path.clone());
        fs.remove(&target, layer);
    }
    let mut applying = Applying {
        fs,
        layer,
        label,
        warnings,
        unstored: last.then(|| Unstored::with_capacity(rec.plain.len())),
        folder: None,
    };
    let mut plain = rec.plain.iter().peekable();
    for (i, e) in rec.entries.iter().enumerate() {
        while let Some((_, path, mode, size)) = plain.next_if(|(before, ..)| *before <= i) {
            applying.plain(&path, mode, size);
        }
        applying.entry(e);
    }
    for (_, path, mode, size) in plain {
        applying.plain(&path, mode, size);
    }
}

/// The paths of the plain files of the layer being applied that got no node, by a hash with a
/// key of this run (no path can be made to collide with another on purpose). The hashes are only
/// listed until something asks: most layers never do, and a million inserts into a set cost more
/// than the rest of applying them.
struct Unstored {
    keys: std::collections::hash_map::RandomState,
    listed: Vec<u64>,
    hashes: std::collections::HashSet<u64>,
}

impl Unstored {
    fn with_capacity(n: usize) -> Unstored {
        Unstored {
            keys: std::collections::hash_map::RandomState::new(),
            listed: Vec::with_capacity(n),
            hashes: std::collections::HashSet::new(),
        }
    }
    fn insert(&mut self, path: &[u8]) {
        use std::hash::BuildHasher;
        self.listed.push(self.keys.hash_one(path));
    }
    fn contains(&mut self, path: &[u8]) -> bool {
        use std::hash::BuildHasher;
        // What was listed since the last question joins the set once.
        self.hashes.extend(self.listed.drain(..));
        self.hashes.contains(&self.keys.hash_one(path))
    }
}

struct Applying<'a> {
    fs: &'a mut Vfs,
    layer: usize,
    label: &'a str,
    warnings: &'a mut Vec<String>,
    unstored: Option<Unstored>,
    /// The folder the last plain file landed in, as written and as resolved: the next plain files
    /// of the same folder (the usual tar order) land there without walking it again. Any other
    /// entry may change what a folder resolves to and forgets it.
    folder: Option<(Vec<u8>, Vec<u8>)>,
}

impl Applying<'_> {
    /// Where an entry lands, or `None` (with the warning) when a parent is not a folder.
    fn land(&mut self, path: &[u8]) -> Option<Vec<u8>> {
        let unstored = &mut self.unstored;
        let is_file = |p: &[u8]| unstored.as_mut().is_some_and(|u| u.contains(p));
        let at = self.fs.make_parents_with(path, self.layer, is_file);
        if at.is_none() {
            self.warnings.push(format!(
                "{}: entry {}: a parent is not a folder: skipped",
                self.label,
                display_path(path)
            ));
        }
        at
    }

    /// [`Self::land`] for a plain file (its path normalised when the layer was read).
    fn land_plain(&mut self, path: &[u8]) -> Option<Vec<u8>> {
        let split = path.iter().rposition(|&b| b == b'/');
        if let (Some(i), Some((written, resolved))) = (split, &self.folder) {
            if path.get(..i) == Some(written.as_slice()) {
                let name = path.get(i + 1..).unwrap_or_default();
                let mut at = Vec::with_capacity(resolved.len() + 1 + name.len());
                at.extend_from_slice(resolved);
                at.push(b'/');
                at.extend_from_slice(name);
                return Some(at);
            }
        }
        let at = self.land(path)?;
        self.folder = match (split, at.iter().rposition(|&b| b == b'/')) {
            (Some(i), Some(j)) => Some((path[..i].to_vec(), at[..j].to_vec())),
            _ => None,
        };
        Some(at)
    }

    fn plain(&mut self, path: &[u8], mode: u32, size: u64) {
        let Some(at) = self.land_plain(path) else {
            return;
        };
        match self.unstored.as_mut() {
            Some(unstored) => {
                self.fs.shadow(&at, self.layer);
                unstored.insert(&at);
            }
            None => self.fs.insert(
                at,
                Node {
                    kind: NodeKind::File,
                    mode,
                    size,
                    layer: self.layer,
                    ..Node::default()
                },
            ),
        }
    }

    fn entry(&mut self, e: &LayerEntry) {
        self.folder = None;
        let Some(at) = self.land(&e.path) else {
            return;
        };
        let layer = self.layer;
        let fs = &mut *self.fs;
        let node = match &e.kind {
            EntryKind::HardLink(target) => {
                let canonical = fs.resolve_parent(target);
                let found = fs
                    .get(target)
                    .or_else(|| canonical.as_deref().and_then(|t| fs.get(t)));
                match found {
                    Some(n) if !n.is_dir() => Node { layer, ..n.clone() },
                    _ => {
                        let unstored = self.unstored.as_mut().and_then(|u| {
                            let hit = u.contains(target)
                                || canonical.as_deref().is_some_and(|t| u.contains(t));
                            hit.then_some(u)
                        });
                        match unstored {
                            // A link to a file that got no node gets none either.
                            Some(u) => {
                                fs.shadow(&at, layer);
                                u.insert(&at);
                            }
                            None => self.warnings.push(format!(
                                "{}: hard link {} to missing {}: skipped",
                                self.label,
                                display_path(&e.path),
                                display_path(target)
                            )),
                        }
                        return;
                    }
                }
            }
            kind => Node {
                kind: match kind {
                    EntryKind::File => NodeKind::File,
                    EntryKind::Dir => NodeKind::Dir,
                    EntryKind::Symlink(t) => NodeKind::Symlink(t.clone()),
                    _ => NodeKind::Other,
                },
                mode: e.mode,
                size: e.size,
                layer,
                sha256: e.sha256,
                sha1: e.sha1,
                sha512: e.sha512.clone(),
                content: e.content.clone(),
                summaries: e.summaries.clone(),
            },
        };
        fs.insert(at, node);
    }
}

#[cfg(test)]
mod inspect_tests {
    use super::*;
    use crate::limits::Limits;
    use crate::source::interest::{Slots, Wants};
    use crate::source::Summary;

    type Keep<'a> = &'a (dyn Fn(&[u8]) -> Option<u64> + Sync);

    /// Keeps what `keep` says; slot 0 summarises files starting with `MAGIC` by their length.
    struct Lengths<'a>(Keep<'a>);
    impl Wants for Lengths<'_> {
        fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
            (self.0)(path)
        }
        fn inspecting(&self, _path: &[u8], head: &[u8]) -> Slots {
            match head.starts_with(b"MAGIC") {
                true => Slots::NONE.with(0),
                false => Slots::NONE,
            }
        }
        fn inspect(&self, _slot: u8, _path: &[u8], content: &[u8]) -> Option<Summary> {
            Some(Arc::new(content.len()))
        }
    }

    /// Records every entry's facts as a summary in slot 1.
    struct Facts;
    impl Wants for Facts {
        fn keep(&self, _path: &[u8], _head: &[u8]) -> Option<u64> {
            None
        }
        fn note(&self, e: &EntryFacts<'_>) -> Summaries {
            let kind = match e.kind {
                EntryType::Symlink(t) => format!("link {}", String::from_utf8_lossy(t)),
                other => format!("{other:?}"),
            };
            let fact = (kind, e.mode, e.uid, e.gid, e.capability.map(<[u8]>::to_vec));
            Some(Box::new([(1, Arc::new(fact) as Summary)]))
        }
    }

    #[test]
    fn every_entry_is_noted_with_pax_owner_and_capability() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o4755);
        h.set_uid(7);
        h.set_gid(42);
        h.set_size(3);
        // PAX overrides the header's uid and carries the attribute.
        b.append_pax_extensions([
            ("uid", b"1000".as_slice()),
            ("SCHILY.xattr.security.capability", b"\x01\x00\x00\x02raw"),
        ])
        .unwrap();
        b.append_data(&mut h, "usr/bin/ping", b"elf".as_slice())
            .unwrap();
        let mut l = tar::Header::new_ustar();
        l.set_entry_type(tar::EntryType::Symlink);
        l.set_mode(0o777);
        l.set_size(0);
        b.append_link(&mut l, "bin/sh", "busybox").unwrap();
        let tar = b.into_inner().unwrap();
        let budget = Budget::new(Limits::default());
        let cx = ReadCx {
            interest: Interest::new(&Facts, Digests::Read),
            budget: &budget,
        };
        let rec = read_layer(tar.as_slice(), &cx, "t.tar", "0").unwrap();
        type Fact = (String, u32, u64, u64, Option<Vec<u8>>);
        let facts: Vec<(&[u8], &Fact)> = rec
            .entries
            .iter()
            .map(|e| {
                let (slot, s) = &e.summaries.as_deref().unwrap()[0];
                assert_eq!(*slot, 1);
                (e.path.as_slice(), s.downcast_ref::<Fact>().unwrap())
            })
            .collect();
        assert_eq!(facts[0].0, b"usr/bin/ping");
        assert_eq!(
            facts[0].1,
            &(
                "File".to_string(),
                0o4755,
                1000,
                42,
                Some(b"\x01\x00\x00\x02raw".to_vec())
            )
        );
        assert_eq!(facts[1].0, b"bin/sh");
        assert_eq!(facts[1].1, &("link busybox".to_string(), 0o777, 0, 0, None));
    }

    fn length(f: &ReadFile) -> Option<&usize> {
        let (slot, s) = f.summaries.as_deref()?.first()?;
        assert_eq!(*slot, 0);
        s.downcast_ref::<usize>()
    }

    fn try_read(
        content: &[u8],
        max_file_size: u64,
        keep: Keep<'_>,
    ) -> (io::Result<ReadFile>, Vec<String>, Budget) {
        let budget = Budget::new(Limits {
            max_file_size,
            ..Limits::default()
        });
        let mut warnings = Vec::new();
        let f = {
            let wants = Lengths(keep);
            let cx = ReadCx {
                interest: Interest::new(&wants, Digests::All),
                budget: &budget,
            };
            let mut r = content;
            read_file(&mut r, b"bin/x", content.len() as u64, &cx, &mut warnings)
        };
        (f, warnings, budget)
    }

    fn read(content: &[u8], max_file_size: u64, keep: Keep<'_>) -> (ReadFile, Vec<String>) {
        let (f, w, _) = try_read(content, max_file_size, keep);
        (f.unwrap(), w)
    }

    #[test]
    fn inspected_files_keep_a_summary_not_their_content() {
        let body: Vec<u8> = b"MAGIC".iter().chain(&[7u8; 100_000]).copied().collect();
        let (f, w) = read(&body, 1 << 20, &|_| None);
        assert!(w.is_empty());
        assert!(f.content.is_none());
        assert_eq!(length(&f), Some(&body.len()));
        assert_eq!(f.sha256, Some(<[u8; 32]>::from(Sha256::digest(&body))));
        // The bytes were in memory: SHA-1 and SHA-512 come for free.
        assert_eq!(f.sha1, Some(<[u8; 20]>::from(Sha1::digest(&body))));
        assert_eq!(
            f.sha512.as_deref(),
            Some(&<[u8; 64]>::from(Sha512::digest(&body)))
        );
        // Kept and inspected at once.
        let (f, _) = read(&body, 1 << 20, &|_| Some(1 << 20));
        assert_eq!(f.content.as_deref(), Some(body.as_slice()));
        assert!(length(&f).is_some());
    }

    #[test]
    fn other_files_are_not_inspected_and_big_ones_are_an_error() {
        let (f, w) = read(b"#!/bin/sh\n", 1 << 20, &|_| None);
        assert!(f.summaries.is_none() && f.sha1.is_none() && w.is_empty());
        assert!(f.sha512.is_none(), "no SHA-512 for a file nobody reads");
        let big: Vec<u8> = b"MAGIC".iter().chain(&[0u8; 5000]).copied().collect();
        let (f, _, budget) = try_read(&big, 1000, &|_| None);
        let e = f.err().unwrap().to_string();
        assert!(
            e.contains("/bin/x (5005 bytes") && e.contains("--max-file-size"),
            "{e}"
        );
        assert_eq!(budget.tripped().map(|t| t.limit()), Some(1000));
        // Not parsed, not limited.
        let plain = vec![0u8; 5000];
        assert_eq!(read(&plain, 1000, &|_| None).0.size, 5000);
    }

    #[test]
    fn large_inspected_files_go_through_a_temp_file_with_the_same_result() {
        let len = spool::SPOOL_OVER as usize + 12_345;
        let body: Vec<u8> = b"MAGIC"
            .iter()
            .copied()
            .chain((0..len - 5).map(|i| (i % 253) as u8))
            .collect();
        let (f, w) = read(&body, 1 << 30, &|_| None);
        assert!(w.is_empty(), "{w:?}");
        assert!(f.content.is_none());
        assert_eq!(length(&f), Some(&len));
        assert_eq!(f.size, len as u64);
        assert_eq!(f.sha256, Some(<[u8; 32]>::from(Sha256::digest(&body))));
        assert_eq!(f.sha1, Some(<[u8; 20]>::from(Sha1::digest(&body))));
        assert_eq!(
            f.sha512.as_deref(),
            Some(&<[u8; 64]>::from(Sha512::digest(&body)))
        );
    }

    #[test]
    fn lazy_digests_hash_only_what_is_read() {
        let budget = Budget::new(Limits::default());
        let wants = Lengths(&|path| (path == b"etc/kept").then_some(1 << 20));
        let cx = ReadCx {
            interest: Interest::new(&wants, Digests::Read),
            budget: &budget,
        };
        let mut w = Vec::new();
        let body = b"MAGIC and the rest".repeat(10_000);
        for (path, digested) in [
            (&b"etc/kept"[..], true),
            (b"bin/x", true),
            (b"usr/share/doc/x", false),
        ] {
            let content: &[u8] = if path == b"usr/share/doc/x" {
                &body[5..]
            } else {
                &body
            };
            let mut r = content;
            let f = read_file(&mut r, path, content.len() as u64, &cx, &mut w).unwrap();
            assert_eq!(f.size, content.len() as u64);
            let want = digested.then(|| <[u8; 32]>::from(Sha256::digest(content)));
            assert_eq!(f.sha256, want, "{}", display_path(path));
            assert_eq!(f.sha1.is_some(), digested);
        }
        assert!(w.is_empty());
    }
}

#[cfg(test)]
mod plain_tests {
    use super::*;
    use crate::limits::Limits;
    use crate::source::interest::{Slots, Wants};
    use crate::source::Summary;

    /// Keeps `etc/kept`, summarises files starting with `MAGIC`, lists `bin/listed`.
    struct Some3;
    impl Wants for Some3 {
        fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
            (path == b"etc/kept").then_some(1 << 20)
        }
        fn inspecting(&self, _path: &[u8], head: &[u8]) -> Slots {
            match head.starts_with(b"MAGIC") {
                true => Slots::NONE.with(0),
                false => Slots::NONE,
            }
        }
        fn inspect(&self, _slot: u8, _path: &[u8], content: &[u8]) -> Option<Summary> {
            Some(Arc::new(content.len()))
        }
        fn lists(&self, entry: &EntryFacts<'_>) -> bool {
            entry.path == b"bin/listed"
        }
    }

    fn tar(entries: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, link, body) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o640);
            match (path.ends_with('/'), link) {
                (true, _) => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    b.append_data(&mut h, path, &[][..]).unwrap();
                }
                (false, Some(target)) => {
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_size(0);
                    b.append_link(&mut h, path, target).unwrap();
                }
                (false, None) => {
                    h.set_size(body.len() as u64);
                    b.append_data(&mut h, path, *body).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    fn read(data: &[u8]) -> LayerRecord {
        let budget = Budget::new(Limits::default());
        let cx = ReadCx {
            interest: Interest::new(&Some3, Digests::Read),
            budget: &budget,
        };
        read_layer(data, &cx, "t.tar", "0").unwrap()
    }

    /// Files of one folder land where the first did, until an entry changes what the folder is.
    #[test]
    fn a_folder_replaced_by_a_symlink_is_walked_again() {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, kind: tar::EntryType, target: Option<&str>, body: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_entry_type(kind);
            h.set_size(body.len() as u64);
            match target {
                Some(t) => b.append_link(&mut h, path, t).unwrap(),
                None => b.append_data(&mut h, path, body).unwrap(),
            }
        };
        add("b/", tar::EntryType::Directory, None, b"");
        add("a/", tar::EntryType::Directory, None, b"");
        add("a/x", tar::EntryType::Regular, None, b"x");
        add("a/z", tar::EntryType::Regular, None, b"z");
        add("a", tar::EntryType::Symlink, Some("b"), b"");
        add("a/y", tar::EntryType::Regular, None, b"y");
        let layer = b.into_inner().unwrap();
        let rec = read(&layer);
        let mut fs = Vfs::new();
        let mut warnings = Vec::new();
        apply(&mut fs, 0, &rec, "L", false, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(fs.get(b"a/x").is_none(), "the symlink replaced the folder");
        assert!(
            fs.get(b"b/y").is_some_and(Node::is_file),
            "through the symlink"
        );
        assert!(fs.get(b"a/y").is_none());
    }

    #[test]
    fn files_nobody_reads_are_packed_and_the_last_layer_stores_no_node_for_them() {
        let layer = tar(&[
            ("d/", None, b""),
            ("d/a", None, b"plain"),
            ("d/b", Some("d/a"), b""),
            ("f", None, b"plain too"),
            ("f/x", None, b"under a file"),
            ("etc/kept", None, b"kept"),
            ("bin/elf", None, b"MAGIC bytes"),
            ("bin/listed", None, b"listed"),
            ("deep/er/g", None, b"parents made"),
        ]);
        let rec = read(&layer);
        let plain: Vec<(usize, Vec<u8>, u32, u64)> = rec.plain.iter().collect();
        let paths: Vec<&[u8]> = plain.iter().map(|p| p.1.as_slice()).collect();
        assert_eq!(
            paths,
            [&b"d/a"[..], b"f", b"f/x", b"deep/er/g"],
            "only the files nobody reads are packed"
        );
        assert_eq!((plain[0].0, plain[0].2, plain[0].3), (1, 0o640, 5));
        // In tar order, the packed files among the entries.
        let order: Vec<Vec<u8>> = rec.all_entries().map(|e| e.path.clone()).collect();
        let want: Vec<&[u8]> = vec![
            b"d",
            b"d/a",
            b"d/b",
            b"f",
            b"f/x",
            b"etc/kept",
            b"bin/elf",
            b"bin/listed",
            b"deep/er/g",
        ];
        assert_eq!(order, want);

        for last in [false, true] {
            let mut fs = Vfs::new();
            let mut warnings = Vec::new();
            apply(&mut fs, 0, &rec, "L", last, &mut warnings);
            // The same warnings either way: a link to a file without a node is no missing target.
            assert_eq!(
                warnings,
                ["L: entry /f/x: a parent is not a folder: skipped"],
                "last: {last}"
            );
            for p in [&b"d/a"[..], b"d/b", b"f", b"deep/er/g"] {
                assert_eq!(
                    fs.get(p).is_some(),
                    !last,
                    "{} last: {last}",
                    display_path(p)
                );
            }
            assert!(fs.get(b"f/x").is_none());
            assert!(fs.get(b"deep/er").is_some_and(Node::is_dir));
            assert!(fs.get(b"etc/kept").is_some_and(|n| n.content.is_some()));
            assert!(fs.get(b"bin/elf").is_some_and(|n| n.summaries.is_some()));
            assert!(fs.get(b"bin/listed").is_some_and(Node::is_file));
        }
        if let Some(n) = {
            let mut fs = Vfs::new();
            apply(&mut fs, 0, &rec, "L", false, &mut Vec::new());
            fs.get(b"d/b").cloned()
        } {
            assert_eq!(
                (n.size, n.mode),
                (5, 0o640),
                "a hard link copies its target"
            );
        }
    }

    #[test]
    fn a_last_layer_file_nobody_reads_still_replaces_what_was_there() {
        let lower = read(&tar(&[
            ("bin/x", None, b"MAGIC once a binary"),
            ("etc/kept", None, b"v1"),
            ("d/", None, b""),
            ("d/inner", None, b"MAGIC"),
        ]));
        let upper = read(&tar(&[
            ("bin/x", None, b"now text"),
            ("d", None, b"now a file"),
        ]));
        assert_eq!(upper.plain.len(), 2);
        let mut fs = Vfs::new();
        let mut warnings = Vec::new();
        apply(&mut fs, 0, &lower, "0", false, &mut warnings);
        apply(&mut fs, 1, &upper, "1", true, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(fs.get(b"bin/x").is_none(), "the summarised binary is gone");
        assert!(fs.get(b"d").is_none() && fs.get(b"d/inner").is_none());
        assert!(fs.get(b"etc/kept").is_some());
    }
}
