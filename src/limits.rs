//! Explicit limits on what a scan reads, so that a hostile image is refused with a clear error instead
//! of exhausting memory or time. Defaults are far above what real images need.

/// Bounds applied while reading a source. Each can be raised from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files, folders, links) in all layers together.
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
            max_entries: 10_000_000,
            max_decompressed_bytes: 256 << 30,
            max_file_size: 512 << 20,
            max_json_size: 64 << 20,
        }
    }
}
