//! Readers that hash, count and report progress while bytes pass, and sniffing of compression.

use std::cell::Cell;
use std::io::{self, Read};

use sha2::{Digest, Sha256};

use crate::limits::Budget;

use super::Progress;

/// How a blob is stored, as told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Whether `head` (the first bytes of an uncompressed stream) starts a tar archive: a ustar or GNU
/// header, or a zero block (an empty archive, as Docker writes for empty layers).
pub fn looks_like_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    let magic = head.get(257..262);
    magic == Some(b"ustar".as_slice()) || head.iter().take(512).all(|&b| b == 0)
}

/// Reads up to `n` bytes (fewer only at end of stream).
pub fn read_head(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Hashes (SHA-256) and counts the bytes read through it.
pub struct HashReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashReader<R> {
    pub fn new(inner: R) -> Self {
        HashReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Reads what is left, so that the digest covers the whole stream.
    pub fn drain(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }
    pub fn finish(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.count)
    }
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        self.hasher.update(done);
        self.count = self.count.saturating_add(n as u64);
        Ok(n)
    }
}

/// Which running total a [`BudgetReader`] counts against.
#[derive(Debug, Clone, Copy)]
pub enum Counted {
    Layer,
    Outer,
}

/// Counts decompressed bytes against the scan's [`Budget`], failing the read once over the limit.
pub struct BudgetReader<'a, R> {
    inner: R,
    budget: &'a Budget,
    counted: Counted,
}

impl<'a, R: Read> BudgetReader<'a, R> {
    pub fn new(inner: R, budget: &'a Budget, counted: Counted) -> Self {
        BudgetReader {
            inner,
            budget,
            counted,
        }
    }
}

impl<R: Read> Read for BudgetReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let r = match self.counted {
            Counted::Layer => self.budget.layer_bytes(n as u64),
            Counted::Outer => self.budget.outer_bytes(n as u64),
        };
        match r {
            Ok(()) => Ok(n),
            Err(e) => Err(io::Error::other(format!("{} over the limit", e.what()))),
        }
    }
}

/// Counts the bytes of the stored input (into `pos`, readable while the reader is borrowed by a
/// decoder) and reports them as progress.
pub struct ProgressReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
    pos: &'a Cell<u64>,
}

impl<'a, R: Read> ProgressReader<'a, R> {
    pub fn new(inner: R, progress: &'a dyn Progress, pos: &'a Cell<u64>) -> Self {
        ProgressReader {
            inner,
            progress,
            pos,
        }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.set(self.pos.get().saturating_add(n as u64));
        if n > 0 {
            self.progress.advance(n as u64);
        }
        Ok(n)
    }
}

/// A `sha256:<hex>` digest string.
pub fn digest_string(d: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(d))
}

/// Splits `sha256:<64 hex>` into its raw bytes; anything else is `None`.
pub fn parse_digest(s: &str) -> Option<[u8; 32]> {
    let hex_part = s.strip_prefix("sha256:")?;
    if hex_part.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_compression_and_tar() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"{}"), Compression::None);
        assert!(looks_like_tar(&[0u8; 1024]));
        assert!(!looks_like_tar(&[0u8; 100]));
        let mut h = vec![b'a'; 512];
        assert!(!looks_like_tar(&h));
        h[257..262].copy_from_slice(b"ustar");
        assert!(looks_like_tar(&h));
    }

    #[test]
    fn digests_parse_only_when_well_formed() {
        let d = [7u8; 32];
        assert_eq!(parse_digest(&digest_string(&d)), Some(d));
        assert_eq!(parse_digest("sha256:abc"), None);
        assert_eq!(parse_digest("sha512:00"), None);
        assert_eq!(parse_digest(&format!("sha256:{}", "zz".repeat(32))), None);
    }
}
