//! Large files to inspect go through an unnamed temporary file instead of memory, so that peak
//! memory does not follow the largest binary of the image. The file is written once while the bytes
//! stream by (and are hashed), then mapped read-only: the ELF reader touches only the pages of the
//! structures it reads (headers, symbol and string tables, notes), and only those become resident.
//!
//! The temporary file lives in the platform's temp folder (`TMPDIR`), is unlinked from the start
//! where the platform allows it, and is gone when closed.

use std::fs::File;
use std::io;

/// Files to inspect larger than this are spooled; smaller ones are read into memory.
pub const SPOOL_OVER: u64 = 4 << 20;

/// An unnamed temporary file, deleted when closed.
pub fn create() -> io::Result<File> {
    tempfile::tempfile()
}

/// Maps a spooled file read-only.
#[allow(unsafe_code)]
pub fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: a mapping is sound while nothing else truncates or writes the file. This one is an
    // unnamed temporary file this process created and never shares; it is written before the map
    // and not touched again while the map lives.
    unsafe { memmap2::MmapOptions::new().map(file) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn written_bytes_read_back_through_the_map() {
        let mut f = create().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        f.flush().unwrap();
        let m = map(&f).unwrap();
        assert_eq!(&m[..], &data[..]);
    }
}
