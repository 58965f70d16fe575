//! One pass over an image archive (a tar, possibly gzip- or zstd-compressed as a whole): small JSON
//! documents are kept, layer blobs are read into [`LayerRecord`]s (digests checked later, once the
//! manifest says what they should be), anything else is skipped.
//!
//! - A plain tar file can be seeked: its entries are listed first (headers and JSON only), then its
//!   layers are read side by side, one per core, largest first.
//! - A compressed archive cannot: every entry is handled as it passes, in archive order.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::layer::{read_layer, LayerRecord, ReadCx};
use super::stream::{
    in_parallel, looks_like_tar, read_head, BudgetReader, Compression, Counted, HashReader,
    ProgressReader,
};
use super::vfs::{display_path, normalize};
use super::{Progress, SourceError};
use crate::limits::{Budget, FLAG_MAX_JSON_SIZE};

/// What one entry of the outer archive turned out to be.
#[derive(Debug)]
pub enum Blob {
    /// A JSON document within `--max-json-size`.
    Json(Vec<u8>),
    /// A layer tar, read (or the error that stopped its reading).
    Layer(Result<Arc<LayerRecord>, SourceError>),
    /// A JSON-looking document above `--max-json-size`: only hashed.
    JsonTooLarge,
    /// Anything else.
    Other,
}

#[derive(Debug)]
pub struct Stored {
    pub blob: Blob,
    /// SHA-256 of the entry's bytes, for JSON and layers (zero for others, and for a layer that
    /// failed to read).
    pub sha256: [u8; 32],
    pub size: u64,
}

/// The entries of an image archive, by normalised path.
#[derive(Debug, Default)]
pub struct Contents {
    pub entries: BTreeMap<Vec<u8>, Stored>,
    /// The JSON size limit in force when it was read, for error messages.
    pub max_json: u64,
}

impl Contents {
    pub fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name.as_bytes())
    }
}

/// Whether the file starts like an archive this module reads: a tar, or gzip/zstd (of a tar).
pub fn sniff_file(head: &[u8]) -> bool {
    Compression::sniff(head) != Compression::None || looks_like_tar(head)
}

fn looks_like_json(head: &[u8]) -> bool {
    matches!(
        head.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

/// What an archive holds, judged on its first telling entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Shape {
    /// Entries an image archive holds (`manifest.json`, `oci-layout`, `blobs/`, `<digest>/`).
    Image,
    /// A root filesystem: the first telling entry sits in a folder every root has.
    RootFs,
    /// No entries at all.
    Empty,
    /// Neither; the first few names, for the error.
    Other(Vec<String>),
}

/// How many bytes of the (decompressed) archive [`shape`] looks at, at most.
const SHAPE_MAX: u64 = 64 << 20;

/// Folders at the top of a root filesystem; image archives hold none of them.
const ROOT_FOLDERS: [&[u8]; 20] = [
    b"bin", b"boot", b"dev", b"etc", b"home", b"lib", b"lib32", b"lib64", b"libx32", b"media",
    b"mnt", b"nix", b"opt", b"root", b"run", b"sbin", b"srv", b"tmp", b"usr", b"var",
];

/// Whether a top-level name belongs to an image archive: its documents, `blobs/`, or a digest
/// (`<hex>/layer.tar` of `docker save`, `<hex>.json`, `<hex>.tar` of other tools).
fn image_name(first: &[u8]) -> bool {
    let stem = first.split(|&b| b == b'.').next().unwrap_or(first);
    matches!(
        first,
        b"manifest.json" | b"oci-layout" | b"index.json" | b"repositories" | b"blobs"
    ) || (stem.len() == 64 && stem.iter().all(u8::is_ascii_hexdigit))
}

/// Reads entry headers (through the decompression, if any) until one tells an image archive from
/// a root filesystem. A corrupt archive is left for [`read`] to report.
pub fn shape(path: &Path, cx: &ReadCx<'_>) -> Result<Shape, SourceError> {
    let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let mut raw = BufReader::new(file);
    let head = {
        use std::io::BufRead;
        raw.fill_buf()
            .map_err(|e| SourceError::io(path, e))?
            .to_vec()
    };
    let inner: Box<dyn Read> = match Compression::sniff(&head) {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Compression::Zstd => match zstd::stream::read::Decoder::new(raw) {
            Ok(d) => Box::new(d),
            Err(_) => return Ok(Shape::Image),
        },
        Compression::None => Box::new(raw),
    };
    // Its own budget: the bytes looked at here are counted again by the read that follows. The
    // first telling entry comes early; past `SHAPE_MAX` the full read decides.
    let budget = Budget::new(*cx.budget.limits());
    let mut archive =
        tar::Archive::new(BudgetReader::new(inner, &budget, Counted::Outer).take(SHAPE_MAX));
    let Ok(entries) = archive.entries() else {
        return Ok(Shape::Image);
    };
    let mut names = Vec::new();
    let mut any = false;
    for entry in entries {
        let Ok(entry) = entry else {
            return Ok(Shape::Image);
        };
        any = true;
        let name = normalize(&entry.path_bytes());
        let first = name.split(|&b| b == b'/').next().unwrap_or_default();
        if first.is_empty() {
            continue; // `./`
        }
        if image_name(first) {
            return Ok(Shape::Image);
        }
        if ROOT_FOLDERS.contains(&first) {
            return Ok(Shape::RootFs);
        }
        if names.len() < 5 {
            names.push(display_path(&name));
        }
    }
    if archive.into_inner().limit() == 0 {
        return Ok(Shape::Image);
    }
    Ok(match (any, names.is_empty()) {
        (false, _) | (true, true) => Shape::Empty,
        (true, false) => Shape::Other(names),
    })
}

/// Streams the archive at `path` once.
pub fn read(
    path: &Path,
    cx: &ReadCx<'_>,
    progress: &dyn Progress,
) -> Result<Contents, SourceError> {
    let file_name = path.display().to_string();
    let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    progress.start(total);
    let pos = Cell::new(0u64);
    let mut raw = BufReader::new(ProgressReader::new(file, progress, &pos));
    let head = {
        use std::io::BufRead;
        raw.fill_buf()
            .map_err(|e| SourceError::io(path, e))?
            .to_vec()
    };
    if Compression::sniff(&head) == Compression::None {
        drop(raw);
        // The sniffed head was counted: the seekable read starts again from byte 0.
        progress.start(total);
        return read_seekable(path, total, cx, progress);
    }
    let outer: Box<dyn Read + '_> = match Compression::sniff(&head) {
        Compression::Gzip => Box::new(BudgetReader::new(
            flate2::read::MultiGzDecoder::new(raw),
            cx.budget,
            Counted::Outer,
        )),
        Compression::Zstd => Box::new(BudgetReader::new(
            zstd::stream::read::Decoder::new(raw).map_err(|e| SourceError::io(path, e))?,
            cx.budget,
            Counted::Outer,
        )),
        Compression::None => Box::new(raw),
    };
    let fail = |what: String| -> SourceError {
        if let Some(e) = cx.budget.tripped() {
            return SourceError::over(file_name.clone(), &e);
        }
        SourceError::Invalid {
            path: file_name.clone(),
            message: format!("{what} (at byte {} of the file)", pos.get()),
        }
    };
    let mut archive = tar::Archive::new(outer);
    let mut contents = Contents {
        max_json: cx.budget.limits().max_json_size,
        ..Contents::default()
    };
    let entries = archive
        .entries()
        .map_err(|e| fail(format!("not a readable tar archive: {e}")))?;
    let mut last = String::from("(start)");
    let max_json = cx.budget.limits().max_json_size;
    for entry in entries {
        let Some((mut entry, name)) = regular_entry(entry, cx, &mut last, &fail)? else {
            continue;
        };
        let declared = entry.size();
        let mut hashed = HashReader::new(&mut entry);
        let head = read_head(&mut hashed, 512)
            .map_err(|e| fail(format!("entry {last}: cannot read: {e}")))?;
        let stored = if looks_like_json(&head) && declared <= max_json {
            let (buf, sha256, size) = read_json(hashed, head, max_json, declared, &last, &fail)?;
            Stored {
                blob: Blob::Json(buf),
                sha256,
                size,
            }
        } else if sniff_file(&head) {
            let (_, consumed) = hashed.finish();
            let joined = io::Cursor::new(head).chain(&mut entry);
            let rec = read_layer(joined, cx, &file_name, &last);
            layer_stored(rec, declared, consumed, &last, &fail)?
        } else {
            let too_large = looks_like_json(&head);
            hashed
                .drain()
                .map_err(|e| fail(format!("entry {last}: cannot read: {e}")))?;
            let (sha256, size) = hashed.finish();
            check_size(size, declared, &last, &fail)?;
            Stored {
                blob: if too_large {
                    Blob::JsonTooLarge
                } else {
                    Blob::Other
                },
                sha256,
                size,
            }
        };
        contents.entries.insert(name, stored);
    }
    // The rest of a compressed archive is read too, so that a truncated or corrupt stream (its
    // checksum is at the end) is an error rather than silently accepted.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| {
        fail(format!(
            "corrupt or truncated after the last entry {last}: {e}"
        ))
    })?;
    progress.finish();
    Ok(contents)
}

/// What a layer read comes to: the record, or its error kept for when the manifest names the layer.
/// A limit stops the whole read.
fn layer_stored(
    rec: Result<LayerRecord, SourceError>,
    declared: u64,
    consumed: u64,
    entry: &str,
    fail: &dyn Fn(String) -> SourceError,
) -> Result<Stored, SourceError> {
    match rec {
        Ok(rec) => {
            check_size(rec.stored_size, declared, entry, fail)?;
            Ok(Stored {
                sha256: rec.digest,
                size: rec.stored_size,
                blob: Blob::Layer(Ok(Arc::new(rec))),
            })
        }
        Err(e @ SourceError::Limit { .. }) => Err(e),
        Err(e) => Ok(Stored {
            sha256: [0; 32],
            size: consumed,
            blob: Blob::Layer(Err(e)),
        }),
    }
}

/// One layer blob found by [`read_seekable`]'s listing.
struct LayerJob {
    name: Vec<u8>,
    label: String,
    offset: u64,
    size: u64,
}

/// Reads a plain tar archive: lists its entries (reading only headers and JSON documents), then
/// reads its layer blobs side by side.
fn read_seekable(
    path: &Path,
    total: u64,
    cx: &ReadCx<'_>,
    progress: &dyn Progress,
) -> Result<Contents, SourceError> {
    let file_name = path.display().to_string();
    let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let fail = |what: String| -> SourceError {
        match cx.budget.tripped() {
            Some(e) => SourceError::over(file_name.clone(), &e),
            None => SourceError::Invalid {
                path: file_name.clone(),
                message: what,
            },
        }
    };
    let max_json = cx.budget.limits().max_json_size;
    let mut contents = Contents {
        max_json,
        ..Contents::default()
    };
    let mut jobs = Vec::new();
    let mut archive = tar::Archive::new(BufReader::new(file));
    let entries = archive
        .entries_with_seek()
        .map_err(|e| fail(format!("not a readable tar archive: {e}")))?;
    let mut last = String::from("(start)");
    for entry in entries {
        let Some((mut entry, name)) = regular_entry(entry, cx, &mut last, &fail)? else {
            continue;
        };
        let declared = entry.size();
        let offset = entry.raw_file_position();
        // Entries are skipped by seeking, which does not see a file cut short: check the ends.
        let present = total.saturating_sub(offset);
        if present < declared {
            return Err(fail(format!(
                "truncated archive: entry {last} has {present} of its {declared} bytes"
            )));
        }
        let mut hashed = HashReader::new(&mut entry);
        let head = read_head(&mut hashed, 512)
            .map_err(|e| fail(format!("entry {last}: cannot read: {e}")))?;
        let stored = if looks_like_json(&head) && declared <= max_json {
            let (buf, sha256, size) = read_json(hashed, head, max_json, declared, &last, &fail)?;
            progress.advance(size);
            Stored {
                blob: Blob::Json(buf),
                sha256,
                size,
            }
        } else if sniff_file(&head) {
            jobs.push(LayerJob {
                name,
                label: last.clone(),
                offset,
                size: declared,
            });
            continue;
        } else {
            progress.advance(declared);
            Stored {
                blob: if looks_like_json(&head) {
                    Blob::JsonTooLarge
                } else {
                    Blob::Other
                },
                sha256: [0; 32],
                size: declared,
            }
        };
        contents.entries.insert(name, stored);
    }
    // Largest first, so that the last one to finish is a small one.
    jobs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    let read_one = |job: &LayerJob| -> Result<(LayerRecord, u64), SourceError> {
        let io_fail = |e: io::Error| fail(format!("layer {}: cannot read: {e}", job.label));
        let mut f = File::open(path).map_err(io_fail)?;
        f.seek(SeekFrom::Start(job.offset)).map_err(io_fail)?;
        let pos = Cell::new(0u64);
        let section = BufReader::new(ProgressReader::new(f.take(job.size), progress, &pos));
        let rec = read_layer(section, cx, &file_name, &job.label);
        Ok((rec?, pos.get()))
    };
    let results = in_parallel(&jobs, read_one);
    for (job, r) in jobs.into_iter().zip(results) {
        let (rec, consumed) = match r {
            Ok((rec, consumed)) => (Ok(rec), consumed),
            Err(e) => (Err(e), 0),
        };
        let stored = layer_stored(rec, job.size, consumed, &job.label, &fail)?;
        contents.entries.insert(job.name, stored);
    }
    progress.finish();
    Ok(contents)
}

/// An entry of the outer archive and its normalised name.
type Named<'a, R> = (tar::Entry<'a, R>, Vec<u8>);

/// A regular file entry of the outer archive with its normalised name, counted against the entry
/// limit; `None` for what carries nothing (folders, links, extended headers). `last` is the name of
/// the entry before, then of this one.
fn regular_entry<'a, R: Read>(
    entry: io::Result<tar::Entry<'a, R>>,
    cx: &ReadCx<'_>,
    last: &mut String,
    fail: &dyn Fn(String) -> SourceError,
) -> Result<Option<Named<'a, R>>, SourceError> {
    let entry = entry.map_err(|e| {
        fail(format!(
            "corrupt or truncated archive after entry {last}: {e}"
        ))
    })?;
    let raw_path = entry.path_bytes().into_owned();
    *last = display_path(&raw_path);
    let kind = entry.header().entry_type();
    if matches!(
        kind,
        tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
    ) {
        return Ok(None);
    }
    cx.budget.entry().map_err(|_| fail(String::new()))?;
    if !matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
        return Ok(None);
    }
    Ok(Some((entry, normalize(&raw_path))))
}

/// Reads the rest of a JSON entry whose first bytes are `head`: the document, its SHA-256 and size.
fn read_json<R: Read>(
    mut hashed: HashReader<R>,
    mut buf: Vec<u8>,
    max_json: u64,
    declared: u64,
    entry: &str,
    fail: &dyn Fn(String) -> SourceError,
) -> Result<(Vec<u8>, [u8; 32], u64), SourceError> {
    (&mut hashed)
        .take(max_json.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| fail(format!("entry {entry}: cannot read: {e}")))?;
    let (sha256, size) = hashed.finish();
    check_size(size, declared, entry, fail)?;
    Ok((buf, sha256, size))
}

fn check_size(
    got: u64,
    declared: u64,
    entry: &str,
    fail: &dyn Fn(String) -> SourceError,
) -> Result<(), SourceError> {
    if got < declared {
        return Err(fail(format!(
            "truncated archive: entry {entry} has {got} of its {declared} bytes"
        )));
    }
    Ok(())
}

/// The JSON document stored at `name`, or an error naming the file and entry.
pub fn json<'c>(contents: &'c Contents, file: &str, name: &str) -> Result<&'c [u8], SourceError> {
    match contents.entries.get(normalize(name.as_bytes()).as_slice()) {
        Some(Stored {
            blob: Blob::Json(b),
            ..
        }) => Ok(b),
        Some(Stored {
            blob: Blob::JsonTooLarge,
            size,
            ..
        }) => Err(json_limit(file, name, *size, max_json(contents))),
        Some(_) => Err(SourceError::Invalid {
            path: file.to_string(),
            message: format!("{name} is not a JSON document"),
        }),
        None => Err(SourceError::Invalid {
            path: file.to_string(),
            message: format!("missing {name}"),
        }),
    }
}

fn max_json(contents: &Contents) -> u64 {
    contents.max_json
}

/// The error for a JSON document above `--max-json-size`.
pub fn json_limit(file: &str, name: &str, size: u64, limit: u64) -> SourceError {
    SourceError::Limit {
        path: file.to_string(),
        what: format!("{name} ({size} bytes of JSON)"),
        limit,
        flag: FLAG_MAX_JSON_SIZE,
    }
}
