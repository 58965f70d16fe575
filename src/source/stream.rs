//! Readers that hash, count and report progress while bytes pass, and sniffing of compression.

use std::cell::Cell;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};

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
    total: u64,
}

impl<'a, R: Read> BudgetReader<'a, R> {
    pub fn new(inner: R, budget: &'a Budget, counted: Counted) -> Self {
        BudgetReader {
            inner,
            budget,
            counted,
            total: 0,
        }
    }

    /// The bytes read so far.
    pub fn total(&self) -> u64 {
        self.total
    }
}

impl<R: Read> Read for BudgetReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total = self.total.saturating_add(n as u64);
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

/// Size of the chunks handed from the reading thread to the parsing thread.
pub const CHUNK_LEN: usize = 256 * 1024;
/// Chunks in flight between the two threads: bounds the pipeline's memory to a few MiB.
const CHUNKS_IN_FLIGHT: usize = 8;

/// What the reading end of a [`pipe`] hands over.
enum Msg {
    /// `len` bytes of `buf`, and how far the stored input had been read when they were.
    Data { buf: Vec<u8>, len: usize, pos: u64 },
    /// The read failed here; the stream ends.
    Err(io::Error),
}

/// The reading end of a pipeline: fills chunks from a reader and hands them to a [`ChunkReader`] on
/// another thread, so that reading, decompressing and hashing the stream overlap with parsing it.
pub struct Pump {
    tx: SyncSender<Msg>,
    spare: Receiver<Vec<u8>>,
}

/// The parsing end of a [`pipe`]: reads the chunks in order, optionally hashing them as they pass.
pub struct ChunkReader<'a> {
    rx: Receiver<Msg>,
    spare: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    len: usize,
    at: usize,
    done: bool,
    hasher: Option<Sha256>,
    count: u64,
    /// Set to how far the stored input had been read when the current chunk was.
    pos: Option<&'a AtomicU64>,
}

/// A bounded pipeline between two threads. Chunks are recycled, so a long stream allocates only the
/// chunks in flight.
pub fn pipe(hash: bool) -> (Pump, ChunkReader<'static>) {
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    let (spare_tx, spare_rx) = sync_channel(CHUNKS_IN_FLIGHT + 2);
    (
        Pump {
            tx,
            spare: spare_rx,
        },
        ChunkReader {
            rx,
            spare: spare_tx,
            buf: Vec::new(),
            len: 0,
            at: 0,
            done: false,
            hasher: hash.then(Sha256::new),
            count: 0,
            pos: None,
        },
    )
}

impl Pump {
    /// Reads `r` to its end into the pipe. Stops early, returning `false`, when the other end has
    /// hung up (it met an error of its own) or the read failed (the error is handed over).
    pub fn run(self, r: &mut impl Read, pos: &dyn Fn() -> u64) -> bool {
        loop {
            let mut buf = match self.spare.try_recv() {
                Ok(b) => b,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => vec![0u8; CHUNK_LEN],
            };
            if buf.len() < CHUNK_LEN {
                buf.resize(CHUNK_LEN, 0);
            }
            let mut len = 0;
            let mut failed = None;
            while len < buf.len() {
                match r.read(buf.get_mut(len..).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(n) => len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if len > 0 {
                let msg = Msg::Data {
                    buf,
                    len,
                    pos: pos(),
                };
                if self.tx.send(msg).is_err() {
                    return false;
                }
            }
            if let Some(e) = failed {
                let _ = self.tx.send(Msg::Err(e));
                return false;
            }
            if len == 0 {
                return true;
            }
        }
    }
}

impl ChunkReader<'_> {
    /// The same reader, reporting the stored offset of its current chunk into `pos`.
    pub fn with_pos(self, pos: &AtomicU64) -> ChunkReader<'_> {
        ChunkReader {
            rx: self.rx,
            spare: self.spare,
            buf: self.buf,
            len: self.len,
            at: self.at,
            done: self.done,
            hasher: self.hasher,
            count: self.count,
            pos: Some(pos),
        }
    }
    /// Reads what is left, so that the digest covers the whole stream.
    pub fn drain(&mut self) -> io::Result<()> {
        loop {
            self.at = self.len;
            if !self.next()? {
                return Ok(());
            }
        }
    }
    /// The SHA-256 (when asked for) and the number of bytes read.
    pub fn finish(self) -> (Option<[u8; 32]>, u64) {
        (self.hasher.map(|h| h.finalize().into()), self.count)
    }
    /// Moves to the next chunk; `false` at the end of the stream.
    fn next(&mut self) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        match self.rx.recv() {
            Ok(Msg::Data { buf, len, pos }) => {
                let old = std::mem::replace(&mut self.buf, buf);
                if !old.is_empty() {
                    let _ = self.spare.try_send(old);
                }
                self.len = len.min(self.buf.len());
                self.at = 0;
                if let Some(p) = self.pos {
                    p.store(pos, Ordering::Relaxed);
                }
                let data = self.buf.get(..self.len).unwrap_or_default();
                if let Some(h) = self.hasher.as_mut() {
                    h.update(data);
                }
                self.count = self.count.saturating_add(self.len as u64);
                Ok(true)
            }
            Ok(Msg::Err(e)) => {
                self.done = true;
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Ok(false)
            }
        }
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.at >= self.len {
            if !self.next()? {
                return Ok(0);
            }
        }
        let avail = self.buf.get(self.at..self.len).unwrap_or_default();
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

/// Forward only, from where the reader is: the tar reader skips the data of the entries no one reads
/// without copying it out (and without zeroing a buffer for it, per entry).
impl io::Seek for ChunkReader<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let io::SeekFrom::Current(delta) = to else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a layer stream only skips forward",
            ));
        };
        let mut left = u64::try_from(delta).map_err(|_| {
            io::Error::new(io::ErrorKind::Unsupported, "a layer stream cannot go back")
        })?;
        while left > 0 {
            while self.at >= self.len {
                if !self.next()? {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected end of the layer while skipping an entry's data",
                    ));
                }
            }
            let step = ((self.len - self.at) as u64).min(left);
            self.at += step as usize;
            left -= step;
        }
        // Where the reader is in the stream: everything received but the rest of this chunk.
        Ok(self.count - (self.len - self.at) as u64)
    }
}

/// Most layers read at once; each also has a parsing thread.
const MAX_LAYER_WORKERS: usize = 4;

/// Runs `f` on every job on up to one thread per core (at most [`MAX_LAYER_WORKERS`]), each thread
/// taking the next job when done with one; results come back in job order.
pub fn in_parallel<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_LAYER_WORKERS)
        .min(jobs.len());
    if workers <= 1 {
        return jobs.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else {
                            return done;
                        };
                        done.push((i, f(job)));
                    }
                })
            })
            .collect();
        for t in threads {
            match t.join() {
                Ok(done) => {
                    for (i, r) in done {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = Some(r);
                        }
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    // Every index below `jobs.len()` was taken by exactly one thread.
    results.into_iter().flatten().collect()
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
    fn parallel_results_keep_the_job_order() {
        let jobs: Vec<u64> = (0..50).collect();
        let out = in_parallel(&jobs, |&j| {
            std::thread::sleep(std::time::Duration::from_micros((50 - j) * 20));
            j * j
        });
        assert_eq!(out, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        assert!(in_parallel(&[] as &[u8], |_| 0).is_empty());
    }

    /// Skips forward across chunk boundaries and reports the position in the stream; never back.
    #[test]
    fn chunk_reader_seeks_forward_only() {
        use std::io::{Seek, SeekFrom};
        let data: Vec<u8> = (0..(CHUNK_LEN * 2 + 1000))
            .map(|i| (i % 251) as u8)
            .collect();
        let (pump, mut r) = pipe(true);
        std::thread::scope(|s| {
            s.spawn(|| pump.run(&mut &data[..], &|| 0));
            let mut b = [0u8; 10];
            r.read_exact(&mut b).unwrap();
            assert_eq!(b[..], data[..10]);
            // Across the first chunk's end, into the second.
            let to = r.seek(SeekFrom::Current(CHUNK_LEN as i64)).unwrap();
            assert_eq!(to, CHUNK_LEN as u64 + 10);
            r.read_exact(&mut b).unwrap();
            assert_eq!(b[..], data[CHUNK_LEN + 10..CHUNK_LEN + 20]);
            assert_eq!(r.stream_position().unwrap(), CHUNK_LEN as u64 + 20);
            for back in [SeekFrom::Current(-1), SeekFrom::Start(0), SeekFrom::End(0)] {
                let e = r.seek(back).unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::Unsupported);
            }
            // Past the end: an error, not a silent stop.
            let e = r.seek(SeekFrom::Current(CHUNK_LEN as i64 * 2)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
            r.drain().unwrap();
        });
        // What was skipped is hashed all the same: the digest covers the whole stream.
        let (digest, count) = r.finish();
        assert_eq!(count, data.len() as u64);
        assert_eq!(digest.unwrap(), <[u8; 32]>::from(Sha256::digest(&data)));
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
