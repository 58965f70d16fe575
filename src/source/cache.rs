//! The layer cache: what reading a layer recorded (its [`LayerRecord`]: entries, whiteouts, links,
//! kept content, the readers' summaries, digests), not the layer, stored under the layer's blob
//! digest and a key of everything that changes what is recorded. A registry scan whose layers are
//! all cached fetches only the manifest and the config.
//!
//! One file per entry, `DIR/layers/<key>/<blob hex>`: a header (magic, format version, full key),
//! the record, and a SHA-256 over all of it. A corrupt, truncated or foreign-version file is
//! reported and read again from the registry, then rewritten. Files are written to a temp file in
//! the same folder and renamed, so scans running at once never see half an entry.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::interest::{Digests, Interest, Wants};
use super::layer::{EntryKind, LayerEntry, LayerRecord};
use super::stream::Compression;
use crate::limits::Limits;

/// Raised whenever the file layout or the record's encoding changes.
pub const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"sbomkitL";
const HEADER_LEN: usize = 8 + 4 + 32;

/// The cache as one scan uses it: a folder and the key of this scan's interest.
pub struct LayerCache {
    dir: PathBuf,
    key: [u8; 32],
}

/// What the cache holds for a layer.
pub enum Lookup {
    Hit(Box<LayerRecord>),
    Miss,
    /// An entry is there but cannot be used: why (to warn; it is then rewritten).
    Bad(String),
}

impl LayerCache {
    /// The cache in `dir` for scans with this interest and these limits; `None` when the interest
    /// cannot say what decides its records (then nothing is cached).
    pub fn new(dir: &Path, interest: &Interest<'_>, limits: &Limits) -> Option<LayerCache> {
        let fingerprint = interest.wants.fingerprint()?;
        let digests = match interest.digests {
            Digests::Read => "read",
            Digests::All => "all",
            Digests::AllWithSha1 => "all+sha1",
        };
        // The file size limit decides which files are read whole; the other limits are charged
        // again on every use (`Budget::layer`).
        let text = format!(
            "sbomkit {}\nformat {FORMAT}\nreaders {fingerprint}\ndigests {digests}\nmax-file-size {}\n",
            env!("CARGO_PKG_VERSION"),
            limits.max_file_size
        );
        Some(LayerCache {
            dir: dir.to_path_buf(),
            key: Sha256::digest(text.as_bytes()).into(),
        })
    }

    fn folder(&self) -> PathBuf {
        self.dir
            .join("layers")
            .join(hex::encode(self.key.get(..8).unwrap_or_default()))
    }

    /// Where the entry of blob `blob` lives.
    pub fn path(&self, blob: &[u8; 32]) -> PathBuf {
        self.folder().join(hex::encode(blob))
    }

    /// The record of the layer whose blob digest is `blob` and whose diff_id is `diff_id`: used
    /// only when both are the ones the entry recorded.
    pub fn get(&self, blob: &[u8; 32], diff_id: &[u8; 32], wants: &dyn Wants) -> Lookup {
        let path = self.path(blob);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Bad(format!("cannot read {}: {e}", path.display())),
        };
        let bad = |why: String| Lookup::Bad(format!("{}: {why}", path.display()));
        let rec = match self.decode_file(&bytes, wants) {
            Ok(r) => r,
            Err(why) => return bad(why),
        };
        if rec.digest != *blob || rec.diff_id != *diff_id {
            return bad(format!(
                "recorded for blob sha256:{} with diff_id sha256:{}, not the image's",
                hex::encode(rec.digest),
                hex::encode(rec.diff_id)
            ));
        }
        Lookup::Hit(Box::new(rec))
    }

    fn decode_file(&self, bytes: &[u8], wants: &dyn Wants) -> Result<LayerRecord, String> {
        let Some((body, sum)) = bytes.split_last_chunk::<32>() else {
            return Err("truncated".into());
        };
        if body.len() < HEADER_LEN || !body.starts_with(MAGIC) {
            return Err("not a layer cache entry".into());
        }
        let mut r = Reader(&body[MAGIC.len()..]);
        let format = r.u32()?;
        if format != FORMAT {
            return Err(format!("cache format {format}, not {FORMAT}"));
        }
        if <[u8; 32]>::from(Sha256::digest(body)) != *sum {
            return Err("checksum mismatch: corrupt or truncated".into());
        }
        if r.array::<32>()? != self.key {
            return Err("written for other readers".into());
        }
        let rec = decode(&mut r, wants)?;
        if !r.0.is_empty() {
            return Err("bytes after the record".into());
        }
        Ok(rec)
    }

    /// Stores `rec`; `Ok(false)` when a summary in it cannot be encoded (nothing is stored).
    pub fn put(&self, rec: &LayerRecord, wants: &dyn Wants) -> io::Result<bool> {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.key);
        if encode(rec, wants, &mut out).is_none() {
            return Ok(false);
        }
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        let folder = self.folder();
        std::fs::create_dir_all(&folder)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&folder)?;
        tmp.write_all(&out)?;
        tmp.as_file().sync_data()?;
        tmp.persist(self.path(&rec.digest)).map_err(|e| e.error)?;
        Ok(true)
    }
}

/// The default cache folder: `$XDG_CACHE_HOME/sbomkit`, else `~/.cache/sbomkit` (an
/// `XDG_CACHE_HOME` that is not absolute is ignored, as the XDG spec says). `None` without either.
pub fn default_dir(
    xdg_cache_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    if let Some(x) = xdg_cache_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Some(x.join("sbomkit"));
    }
    let home = home.map(PathBuf::from).filter(|p| p.is_absolute())?;
    Some(home.join(".cache").join("sbomkit"))
}

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_list(out: &mut Vec<u8>, list: &[impl AsRef<[u8]>]) {
    put_u64(out, list.len() as u64);
    for b in list {
        put_bytes(out, b.as_ref());
    }
}

/// The record after the header; `None` when a summary cannot be encoded.
fn encode(rec: &LayerRecord, wants: &dyn Wants, out: &mut Vec<u8>) -> Option<()> {
    out.extend_from_slice(&rec.digest);
    out.extend_from_slice(&rec.diff_id);
    put_u64(out, rec.stored_size);
    out.push(match rec.compression {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Zstd => 2,
    });
    put_u64(out, rec.tar_entries);
    put_u64(out, rec.tar_size);
    put_list(out, &rec.warnings);
    put_list(out, &rec.opaque);
    put_list(out, &rec.whiteouts);
    // Plain files as entries: the format has one kind of file.
    put_u64(out, (rec.entries.len() + rec.plain.len()) as u64);
    for e in rec.all_entries() {
        let e = &*e;
        put_bytes(out, &e.path);
        match &e.kind {
            EntryKind::File => out.push(0),
            EntryKind::Dir => out.push(1),
            EntryKind::Symlink(t) => {
                out.push(2);
                put_bytes(out, t);
            }
            EntryKind::HardLink(t) => {
                out.push(3);
                put_bytes(out, t);
            }
            EntryKind::Other => out.push(4),
        }
        out.extend_from_slice(&e.mode.to_le_bytes());
        put_u64(out, e.size);
        let flags = u8::from(e.sha256.is_some())
            | u8::from(e.sha1.is_some()) << 1
            | u8::from(e.content.is_some()) << 2
            | u8::from(e.sha512.is_some()) << 3;
        out.push(flags);
        if let Some(h) = &e.sha256 {
            out.extend_from_slice(h);
        }
        if let Some(h) = &e.sha1 {
            out.extend_from_slice(h);
        }
        if let Some(h) = &e.sha512 {
            out.extend_from_slice(&h[..]);
        }
        if let Some(c) = &e.content {
            put_bytes(out, c);
        }
        let summaries = e.summaries.as_deref().unwrap_or_default();
        out.push(u8::try_from(summaries.len()).ok()?);
        for (slot, s) in summaries {
            out.push(*slot);
            put_bytes(out, &wants.encode(*slot, s)?);
        }
    }
    Some(())
}

/// Bounds-checked reads from an entry.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.0.len() {
            return Err("truncated".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// A count of items, each at least `min` bytes: never more than the bytes left allow.
    fn count(&mut self, min: usize) -> Result<usize, String> {
        let n = self.u64()?;
        match usize::try_from(n) {
            Ok(n) if n.saturating_mul(min) <= self.0.len() => Ok(n),
            _ => Err(format!("a count of {n} is more than the entry holds")),
        }
    }
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.count(1)?;
        self.take(n)
    }
    fn list(&mut self) -> Result<Vec<Vec<u8>>, String> {
        let n = self.count(8)?;
        (0..n).map(|_| self.bytes().map(<[u8]>::to_vec)).collect()
    }
}

fn decode(r: &mut Reader<'_>, wants: &dyn Wants) -> Result<LayerRecord, String> {
    let digest = r.array::<32>()?;
    let diff_id = r.array::<32>()?;
    let stored_size = r.u64()?;
    let compression = match r.u8()? {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Zstd,
        n => return Err(format!("unknown compression {n}")),
    };
    let tar_entries = r.u64()?;
    let tar_size = r.u64()?;
    let warnings = r
        .list()?
        .into_iter()
        .map(|w| String::from_utf8(w).map_err(|_| "a warning is not UTF-8".to_string()))
        .collect::<Result<_, _>>()?;
    let opaque = r.list()?;
    let whiteouts = r.list()?;
    // An entry takes at least its path length, kind, mode, size, flags and summary count.
    let n = r.count(8 + 1 + 4 + 8 + 1 + 1)?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let path = r.bytes()?.to_vec();
        let kind = match r.u8()? {
            0 => EntryKind::File,
            1 => EntryKind::Dir,
            2 => EntryKind::Symlink(r.bytes()?.to_vec()),
            3 => EntryKind::HardLink(r.bytes()?.to_vec()),
            4 => EntryKind::Other,
            k => return Err(format!("unknown entry kind {k}")),
        };
        let mode = r.u32()?;
        let size = r.u64()?;
        let flags = r.u8()?;
        let sha256 = (flags & 1 != 0).then(|| r.array::<32>()).transpose()?;
        let sha1 = (flags & 2 != 0).then(|| r.array::<20>()).transpose()?;
        let sha512 = (flags & 8 != 0)
            .then(|| r.array::<64>().map(Box::new))
            .transpose()?;
        let content = (flags & 4 != 0)
            .then(|| r.bytes().map(Arc::<[u8]>::from))
            .transpose()?;
        let mut summaries = Vec::new();
        for _ in 0..r.u8()? {
            let slot = r.u8()?;
            let bytes = r.bytes()?;
            let s = wants
                .decode(slot, bytes)
                .ok_or_else(|| format!("a summary of reader {slot} cannot be read"))?;
            summaries.push((slot, s));
        }
        entries.push(LayerEntry {
            path,
            kind,
            mode,
            size,
            sha256,
            sha1,
            sha512,
            content,
            summaries: (!summaries.is_empty()).then(|| summaries.into_boxed_slice()),
        });
    }
    Ok(LayerRecord {
        entries,
        plain: super::layer::PlainFiles::default(),
        opaque,
        whiteouts,
        digest,
        stored_size,
        diff_id,
        compression,
        warnings,
        tar_entries,
        tar_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::binary::elf::ElfSummary;
    use crate::catalog::testutil::{fixture, testdata};
    use crate::catalog::Catalogers;
    use crate::limits::Budget;
    use crate::source::layer::{read_layer, ReadCx};

    /// A gzip layer of real files: a Go and a Rust binary (ELF summaries), an apk database (kept),
    /// a Java archive (its summary), a link, a whiteout and an opaque folder.
    fn layer() -> Vec<u8> {
        let mut t = tar::Builder::new(Vec::new());
        let mut add = |path: &str, bytes: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o755);
            t.append_data(&mut h, path, bytes).unwrap();
        };
        add("usr/bin/go-test", &fixture("elf/go/test.elf"));
        add(
            "usr/bin/rust-app",
            &fixture("elf/rust/binary-with-audit-info"),
        );
        add(
            "lib/apk/db/installed",
            &fixture("apk/installed/alpine-base.installed"),
        );
        add(
            "usr/share/java/jrt-fs.jar",
            &std::fs::read(testdata("lang/jrt-fs.jar")).unwrap(),
        );
        add("etc/.wh.gone", b"");
        add("opt/.wh..wh..opq", b"");
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        t.append_link(&mut h, "usr/bin/go", "go-test").unwrap();
        let raw = t.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        gz.finish().unwrap()
    }

    fn read(catalogers: &Catalogers, blob: &[u8]) -> LayerRecord {
        let budget = Budget::new(Limits::default());
        let cx = ReadCx {
            interest: catalogers.interest(false),
            budget: &budget,
        };
        read_layer(blob, &cx, "t.tar", "0").unwrap()
    }

    fn encoded(rec: &LayerRecord, wants: &dyn Wants) -> Vec<u8> {
        let mut out = Vec::new();
        encode(rec, wants, &mut out).unwrap();
        out
    }

    fn hit(l: Lookup) -> LayerRecord {
        match l {
            Lookup::Hit(r) => *r,
            Lookup::Miss => panic!("miss"),
            Lookup::Bad(why) => panic!("bad: {why}"),
        }
    }

    fn bad(l: Lookup) -> String {
        match l {
            Lookup::Bad(why) => why,
            Lookup::Hit(_) => panic!("hit"),
            Lookup::Miss => panic!("miss"),
        }
    }

    #[test]
    fn a_record_comes_back_as_it_was_read_with_its_summaries() {
        let catalogers = Catalogers::registered();
        let rec = read(&catalogers, &layer());
        let elf = |r: &LayerRecord, path: &[u8]| -> ElfSummary {
            let e = r.entries.iter().find(|e| e.path == path).unwrap();
            let (_, s) = &e.summaries.as_deref().unwrap()[0];
            s.downcast_ref::<ElfSummary>().unwrap().clone()
        };
        assert!(elf(&rec, b"usr/bin/go-test").go.is_some());
        assert!(elf(&rec, b"usr/bin/rust-app").rust.is_some());
        assert_eq!(rec.whiteouts, [b"etc/gone".to_vec()]);
        assert_eq!(rec.opaque, [b"opt".to_vec()]);

        let dir = tempfile::tempdir().unwrap();
        let interest = catalogers.interest(false);
        let cache = LayerCache::new(dir.path(), &interest, &Limits::default()).unwrap();
        assert!(matches!(
            cache.get(&rec.digest, &rec.diff_id, &catalogers),
            Lookup::Miss
        ));
        assert!(cache.put(&rec, &catalogers).unwrap());
        let back = hit(cache.get(&rec.digest, &rec.diff_id, &catalogers));
        assert_eq!(encoded(&back, &catalogers), encoded(&rec, &catalogers));
        for path in [&b"usr/bin/go-test"[..], b"usr/bin/rust-app"] {
            assert_eq!(elf(&back, path), elf(&rec, path));
        }
        let kept = |r: &LayerRecord| {
            r.entries
                .iter()
                .find(|e| e.path == b"lib/apk/db/installed")
                .and_then(|e| e.content.clone())
        };
        assert_eq!(
            kept(&back).as_deref(),
            Some(&fixture("apk/installed/alpine-base.installed")[..])
        );
        assert_eq!(kept(&rec), kept(&back));
        assert_eq!(
            (back.tar_entries, back.tar_size),
            (rec.tar_entries, rec.tar_size)
        );
        assert!(rec.tar_entries == 7 && rec.tar_size > 1 << 20);
    }

    #[test]
    fn only_the_blob_and_diff_id_recorded_and_the_same_readers_find_an_entry() {
        let catalogers = Catalogers::registered();
        let rec = read(&catalogers, &layer());
        let dir = tempfile::tempdir().unwrap();
        let interest = catalogers.interest(false);
        let cache = LayerCache::new(dir.path(), &interest, &Limits::default()).unwrap();
        cache.put(&rec, &catalogers).unwrap();
        let why = bad(cache.get(&rec.digest, &[7; 32], &catalogers));
        assert!(why.contains("not the image's"), "{why}");
        // `--files`, another file size limit, `--exclude`: other keys, other entries.
        let files = catalogers.interest(true);
        let other = LayerCache::new(dir.path(), &files, &Limits::default()).unwrap();
        assert!(matches!(
            other.get(&rec.digest, &rec.diff_id, &catalogers),
            Lookup::Miss
        ));
        let small = Limits {
            max_file_size: 1 << 20,
            ..Limits::default()
        };
        let other = LayerCache::new(dir.path(), &interest, &small).unwrap();
        assert_ne!(other.path(&rec.digest), cache.path(&rec.digest));
        let exclude = crate::exclude::Exclude::new(&["/usr/bin".to_string()]).unwrap();
        let excluding = exclude.interest(&catalogers);
        let other = LayerCache::new(
            dir.path(),
            &excluding.as_interest(&interest),
            &Limits::default(),
        )
        .unwrap();
        assert_ne!(other.path(&rec.digest), cache.path(&rec.digest));
        // Wants that cannot say what they record are not cached.
        let keep = |_: &[u8], _: &[u8]| Some(1u64 << 20);
        let plain = Interest::new(&keep, Digests::Read);
        assert!(LayerCache::new(dir.path(), &plain, &Limits::default()).is_none());
    }

    #[test]
    fn corrupt_truncated_and_foreign_entries_are_told_apart_from_records() {
        let catalogers = Catalogers::registered();
        let rec = read(&catalogers, &layer());
        let dir = tempfile::tempdir().unwrap();
        let interest = catalogers.interest(false);
        let cache = LayerCache::new(dir.path(), &interest, &Limits::default()).unwrap();
        cache.put(&rec, &catalogers).unwrap();
        let path = cache.path(&rec.digest);
        let good = std::fs::read(&path).unwrap();
        let get = || cache.get(&rec.digest, &rec.diff_id, &catalogers);
        let mut flipped = good.clone();
        flipped[good.len() / 2] ^= 1;
        let mut future = good.clone();
        future[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        for (bytes, says) in [
            (flipped, "checksum mismatch"),
            (good[..good.len() - 100].to_vec(), "checksum mismatch"),
            (good[..20].to_vec(), "truncated"),
            (future, "cache format 2, not 1"),
            (
                b"{\"not\": \"an entry\"}".repeat(3),
                "not a layer cache entry",
            ),
        ] {
            std::fs::write(&path, bytes).unwrap();
            let why = bad(get());
            assert!(why.contains(says), "{why}");
            assert!(why.contains(&hex::encode(rec.digest)), "{why}");
        }
        // Rewritten, it is used again; no temp file is left beside it.
        cache.put(&rec, &catalogers).unwrap();
        hit(get());
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(hex::encode(rec.digest))]);
    }

    #[test]
    fn writers_at_once_leave_one_whole_entry() {
        let catalogers = Catalogers::registered();
        let rec = read(&catalogers, &layer());
        let dir = tempfile::tempdir().unwrap();
        let interest = catalogers.interest(false);
        let cache = LayerCache::new(dir.path(), &interest, &Limits::default()).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..5 {
                        cache.put(&rec, &catalogers).unwrap();
                        hit(cache.get(&rec.digest, &rec.diff_id, &catalogers));
                    }
                });
            }
        });
        let back = hit(cache.get(&rec.digest, &rec.diff_id, &catalogers));
        assert_eq!(encoded(&back, &catalogers), encoded(&rec, &catalogers));
    }

    #[test]
    fn the_default_place_follows_xdg_then_home() {
        let d =
            |x: Option<&str>, h: Option<&str>| default_dir(x.map(Into::into), h.map(Into::into));
        assert_eq!(d(Some("/x"), Some("/h")), Some(PathBuf::from("/x/sbomkit")));
        assert_eq!(
            d(Some("rel"), Some("/h")),
            Some(PathBuf::from("/h/.cache/sbomkit"))
        );
        assert_eq!(d(None, None), None);
        assert_eq!(d(None, Some("")), None);
    }
}
