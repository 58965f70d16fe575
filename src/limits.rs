//! Explicit limits on what a scan reads, so that a hostile image is refused with a clear error instead
//! of exhausting memory, disk or time. Defaults are far above what real images need. Going over any
//! of them is an error naming the limit and the flag that raises it: past them the scan could no
//! longer describe the image as a whole, and a partial SBOM would report something false.
//!
//! - `max_entries` bounds memory: every entry is a record (~500 bytes at peak), and the default
//!   keeps a scan under about 2 GiB.
//! - `max_decompressed_bytes` bounds time (and decompression bombs).
//! - `max_file_size` bounds one file a cataloger parses (a package database, a binary): the error
//!   names the file. Databases are read into memory, each cataloger to its own smaller bound;
//!   binaries over 4 MiB are spooled to an unnamed temp file, so memory does not follow them.
//! - `max_json_size` bounds one manifest, config or index.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bounds applied while reading a source. Each can be raised from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files, folders, links) in all layers together. Real images hold well under a
    /// million; each entry costs a few hundred bytes until the scan ends.
    pub max_entries: u64,
    /// Most bytes read after decompression, over all layers.
    pub max_decompressed_bytes: u64,
    /// Largest single file whose content a cataloger parses (package databases, binaries).
    pub max_file_size: u64,
    /// Largest JSON document (manifest, config, index) read from an image.
    pub max_json_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 4_000_000,
            max_decompressed_bytes: 256 << 30,
            // The largest real shared objects (CUDA, TensorRT) are about 2 GiB.
            max_file_size: 4 << 30,
            max_json_size: 64 << 20,
        }
    }
}

/// The command-line flag that raises each limit, named in errors.
pub const FLAG_MAX_ENTRIES: &str = "--max-entries";
pub const FLAG_MAX_DECOMPRESSED_BYTES: &str = "--max-decompressed-bytes";
pub const FLAG_MAX_FILE_SIZE: &str = "--max-file-size";
pub const FLAG_MAX_JSON_SIZE: &str = "--max-json-size";

/// Which limit was gone over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    Entries {
        limit: u64,
    },
    DecompressedBytes {
        limit: u64,
    },
    /// One file to parse, `path` as shown in output.
    FileSize {
        limit: u64,
        size: u64,
        path: String,
    },
}

impl Exceeded {
    pub fn what(&self) -> String {
        match self {
            Exceeded::Entries { .. } => "the number of archive entries".to_string(),
            Exceeded::DecompressedBytes { .. } => "the number of decompressed bytes".to_string(),
            Exceeded::FileSize { size, path, .. } => {
                format!("the size of {path} ({size} bytes, a file to parse)")
            }
        }
    }
    pub fn limit(&self) -> u64 {
        match self {
            Exceeded::Entries { limit }
            | Exceeded::DecompressedBytes { limit }
            | Exceeded::FileSize { limit, .. } => *limit,
        }
    }
    pub fn flag(&self) -> &'static str {
        match self {
            Exceeded::Entries { .. } => FLAG_MAX_ENTRIES,
            Exceeded::DecompressedBytes { .. } => FLAG_MAX_DECOMPRESSED_BYTES,
            Exceeded::FileSize { .. } => FLAG_MAX_FILE_SIZE,
        }
    }
}

/// Running totals of one scan, checked against [`Limits`] while bytes stream. Shared by reference
/// between readers (and threads): the counters are atomic.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    entries: AtomicU64,
    /// Bytes out of layer decompressors (the uncompressed layer tars).
    layer_bytes: AtomicU64,
    /// Bytes out of a compressed outer archive, counted apart so that layers are not counted twice.
    outer_bytes: AtomicU64,
    /// The first limit hit, so that an I/O error raised by a counting reader can be told apart.
    tripped: std::sync::Mutex<Option<Exceeded>>,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits,
            entries: AtomicU64::new(0),
            layer_bytes: AtomicU64::new(0),
            outer_bytes: AtomicU64::new(0),
            tripped: std::sync::Mutex::new(None),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn trip(&self, e: Exceeded) -> Exceeded {
        if let Ok(mut t) = self.tripped.lock() {
            t.get_or_insert(e.clone());
        }
        e
    }

    /// The limit hit so far, if any.
    pub fn tripped(&self) -> Option<Exceeded> {
        self.tripped.lock().ok().and_then(|t| t.clone())
    }

    /// Checks the size of one file to parse; `path` names it in the error.
    pub fn file_size(&self, size: u64, path: impl FnOnce() -> String) -> Result<(), Exceeded> {
        let limit = self.limits.max_file_size;
        if size > limit {
            return Err(self.trip(Exceeded::FileSize {
                limit,
                size,
                path: path(),
            }));
        }
        Ok(())
    }

    /// Counts one more archive entry.
    pub fn entry(&self) -> Result<(), Exceeded> {
        let n = self
            .entries
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        if n > self.limits.max_entries {
            return Err(self.trip(Exceeded::Entries {
                limit: self.limits.max_entries,
            }));
        }
        Ok(())
    }

    /// Counts `n` more bytes out of a layer decompressor.
    pub fn layer_bytes(&self, n: u64) -> Result<(), Exceeded> {
        Self::add(&self.layer_bytes, n, self.limits.max_decompressed_bytes)
            .map_err(|e| self.trip(e))
    }

    /// Counts a whole layer read before (from the layer cache): its entries and uncompressed bytes.
    pub fn layer(&self, entries: u64, bytes: u64) -> Result<(), Exceeded> {
        let n = self
            .entries
            .fetch_add(entries, Ordering::Relaxed)
            .saturating_add(entries);
        if n > self.limits.max_entries {
            return Err(self.trip(Exceeded::Entries {
                limit: self.limits.max_entries,
            }));
        }
        self.layer_bytes(bytes)
    }

    /// Counts `n` more bytes out of a compressed outer archive.
    pub fn outer_bytes(&self, n: u64) -> Result<(), Exceeded> {
        Self::add(&self.outer_bytes, n, self.limits.max_decompressed_bytes)
            .map_err(|e| self.trip(e))
    }

    fn add(counter: &AtomicU64, n: u64, limit: u64) -> Result<(), Exceeded> {
        let total = counter.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        if total > limit {
            return Err(Exceeded::DecompressedBytes { limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_trips_on_the_first_excess_and_remembers_it() {
        let b = Budget::new(Limits {
            max_entries: 2,
            max_decompressed_bytes: 10,
            ..Limits::default()
        });
        assert!(b.entry().is_ok());
        assert!(b.entry().is_ok());
        assert_eq!(b.entry(), Err(Exceeded::Entries { limit: 2 }));
        assert!(b.layer_bytes(10).is_ok());
        assert!(b.outer_bytes(10).is_ok());
        assert_eq!(
            b.layer_bytes(1),
            Err(Exceeded::DecompressedBytes { limit: 10 })
        );
        assert_eq!(b.tripped(), Some(Exceeded::Entries { limit: 2 }));
        assert!(b.layer_bytes(u64::MAX).is_err());
    }

    #[test]
    fn a_cached_layer_charges_what_reading_it_did() {
        let b = Budget::new(Limits {
            max_entries: 10,
            max_decompressed_bytes: 1000,
            ..Limits::default()
        });
        assert!(b.layer(6, 600).is_ok());
        assert!(b.entry().is_ok());
        assert_eq!(b.layer(4, 0), Err(Exceeded::Entries { limit: 10 }));
        let b = Budget::new(Limits {
            max_decompressed_bytes: 1000,
            ..Limits::default()
        });
        assert!(b.layer(1, 1000).is_ok());
        assert_eq!(
            b.layer(1, 1),
            Err(Exceeded::DecompressedBytes { limit: 1000 })
        );
        assert_eq!(
            b.tripped(),
            Some(Exceeded::DecompressedBytes { limit: 1000 })
        );
    }

    #[test]
    fn file_size_names_the_file_and_the_flag() {
        let b = Budget::new(Limits {
            max_file_size: 100,
            ..Limits::default()
        });
        assert!(b.file_size(100, || "a".into()).is_ok());
        let e = b
            .file_size(101, || "/var/lib/dpkg/status".into())
            .unwrap_err();
        assert_eq!(e.flag(), "--max-file-size");
        assert_eq!(e.limit(), 100);
        assert!(e.what().contains("/var/lib/dpkg/status (101 bytes"));
        assert_eq!(b.tripped(), Some(e));
    }
}
