//! The rows of rpm's SQLite `Packages` table, read from the file format itself
//! (<https://www.sqlite.org/fileformat2.html>): the schema table gives the table's root page, whose
//! b-tree leaves hold `(hnum, blob)` records, spilled to overflow page chains when large.
//!
//! No crate: rusqlite with its bundled SQLite is a C build that costs minutes of cold build time,
//! and the pure-Rust readers on crates.io are unfinished or unmaintained. This needs only table
//! b-trees and overflow chains, read-only. Every page is visited at most once per walk, so a loop
//! in the b-tree or an overflow chain ends with an error, not a hang.

use std::collections::BTreeSet;

pub const MAGIC: &[u8] = b"SQLite format 3\0";

/// A database file in memory.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: usize,
    /// Payload bytes still allowed: records of a sound file share no pages, so together they are
    /// no larger than the file; shared overflow chains are refused before they multiply it.
    budget: std::cell::Cell<usize>,
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// A varint at `at`: value and length.
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let byte = *b.get(at + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(byte), 9));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// One column value of a record, as far as rpm's tables need them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Bytes(Vec<u8>),
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Result<Db<'a>, String> {
        if !bytes.starts_with(MAGIC) || bytes.len() < 100 {
            return Err("not an SQLite database".into());
        }
        let page_size = match be16(bytes, 16).unwrap_or(0) {
            1 => 65536,
            n if n >= 512 && n.is_power_of_two() => n,
            n => return Err(format!("SQLite page size {n}")),
        };
        let reserved = usize::from(bytes[20]);
        let usable = page_size.saturating_sub(reserved);
        if usable < 480 {
            return Err(format!("SQLite usable page size {usable}"));
        }
        Ok(Db {
            bytes,
            page_size,
            usable,
            pages: bytes.len() / page_size,
            budget: std::cell::Cell::new(bytes.len()),
        })
    }

    fn page(&self, n: usize) -> Result<&'a [u8], String> {
        if n == 0 || n > self.pages {
            return Err(format!(
                "SQLite page {n} outside the {} pages of the file",
                self.pages
            ));
        }
        Ok(&self.bytes[(n - 1) * self.page_size..n * self.page_size])
    }

    /// Calls `row` with each record of the table b-tree rooted at `root`, in rowid order.
    fn walk(
        &self,
        root: usize,
        row: &mut dyn FnMut(i64, Vec<u8>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        // Depth first, left to right: children pushed in reverse.
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                return Err(format!(
                    "SQLite page {n} reached twice: the b-tree has a loop"
                ));
            }
            let page = self.page(n)?;
            let h = if n == 1 { 100 } else { 0 };
            let kind = *page.get(h).ok_or("SQLite page cut")?;
            let cells = be16(page, h + 3).ok_or("SQLite page cut")?;
            let header = match kind {
                0x0d => 8,
                0x05 => 12,
                k => {
                    return Err(format!(
                        "SQLite page {n} is not a table b-tree page (type {k})"
                    ))
                }
            };
            if h + header + cells * 2 > self.usable {
                return Err(format!("SQLite page {n} claims {cells} cells"));
            }
            let cell = |i: usize| -> Result<usize, String> {
                let at = be16(page, h + header + i * 2).ok_or("SQLite page cut")?;
                if at >= self.usable {
                    return Err(format!(
                        "SQLite page {n}: cell {i} at {at}, outside the page"
                    ));
                }
                Ok(at)
            };
            if kind == 0x05 {
                stack.push(be32(page, h + 8).ok_or("SQLite page cut")?);
                for i in (0..cells).rev() {
                    let at = cell(i)?;
                    stack.push(be32(page, at).ok_or("SQLite cell cut")?);
                }
                continue;
            }
            for i in 0..cells {
                let at = cell(i)?;
                let (size, a) = varint(page, at).ok_or("SQLite cell cut")?;
                let (rowid, b) = varint(page, at + a).ok_or("SQLite cell cut")?;
                let payload = self.payload(page, at + a + b, size)?;
                row(rowid as i64, payload)?;
            }
        }
        Ok(())
    }

    /// A cell's payload of `size` bytes starting at `at` in `page`, with its overflow chain.
    fn payload(&self, page: &[u8], at: usize, size: u64) -> Result<Vec<u8>, String> {
        let u = self.usable;
        if size > self.bytes.len() as u64 {
            return Err(format!("SQLite record of {size} bytes in a smaller file"));
        }
        let size = size as usize;
        let left = self.budget.get();
        if size > left {
            return Err("SQLite records larger together than the file: pages are shared".into());
        }
        self.budget.set(left - size);
        let x = u - 35;
        let local = if size <= x {
            size
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + (size - m) % (u - 4);
            if k <= x {
                k
            } else {
                m
            }
        };
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(page.get(at..at + local).ok_or("SQLite record cut")?);
        if local == size {
            return Ok(out);
        }
        let mut next = be32(page, at + local).ok_or("SQLite record cut")?;
        let mut seen = BTreeSet::new();
        while out.len() < size {
            if !seen.insert(next) {
                return Err(format!(
                    "SQLite overflow page {next} reached twice: the chain has a loop"
                ));
            }
            let p = self.page(next)?;
            let take = (size - out.len()).min(u - 4);
            out.extend_from_slice(&p[4..4 + take]);
            next = be32(p, 0).ok_or("SQLite page cut")?;
        }
        Ok(out)
    }
}

/// The column values of a record.
pub fn record(payload: &[u8]) -> Option<Vec<Value>> {
    let (hsize, mut at) = varint(payload, 0)?;
    let hsize = usize::try_from(hsize).ok()?;
    if hsize > payload.len() {
        return None;
    }
    let mut body = hsize;
    let mut out = Vec::new();
    while at < hsize {
        let (ty, n) = varint(payload, at)?;
        at += n;
        let (len, v) = match ty {
            0 => (0, Some(Value::Null)),
            1..=6 => {
                let len = [1, 2, 3, 4, 6, 8][ty as usize - 1];
                let b = payload.get(body..body + len)?;
                let mut v = if b[0] & 0x80 != 0 { -1i64 } else { 0 };
                for &x in b {
                    v = (v << 8) | i64::from(x);
                }
                (len, Some(Value::Int(v)))
            }
            7 => (8, None),
            8 => (0, Some(Value::Int(0))),
            9 => (0, Some(Value::Int(1))),
            10 | 11 => return None,
            n => {
                let len = usize::try_from((n - 12) / 2).ok()?;
                let b = payload.get(body..body.checked_add(len)?)?;
                (len, Some(Value::Bytes(b.to_vec())))
            }
        };
        body = body.checked_add(len)?;
        if body > payload.len() {
            return None;
        }
        out.push(v.unwrap_or(Value::Null));
    }
    Some(out)
}

/// The `(hnum, blob)` rows of rpm's `Packages` table, and problems met with single rows.
pub fn packages(bytes: &[u8]) -> Result<super::Blobs, String> {
    let db = Db::open(bytes)?;
    if db.pages == 0 {
        return Err("SQLite database without pages".into());
    }
    // sqlite_schema: type, name, tbl_name, rootpage, sql.
    let mut root = None;
    db.walk(1, &mut |_, payload| {
        if let Some(v) = record(&payload) {
            if let [Value::Bytes(ty), Value::Bytes(name), _, Value::Int(page), ..] = v.as_slice() {
                if ty == b"table" && name == b"Packages" {
                    root = Some(*page);
                }
            }
        }
        Ok(())
    })?;
    let root = root.ok_or("no Packages table: not an rpm database")?;
    let root = usize::try_from(root).map_err(|_| format!("Packages table at page {root}"))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    db.walk(root, &mut |rowid, payload| {
        match record(&payload).as_deref() {
            Some([_, Value::Bytes(blob), ..]) => match u32::try_from(rowid) {
                Ok(hnum) => rows.push((hnum, blob.clone())),
                Err(_) => problems.push(format!("package row {rowid}: not an rpm header number")),
            },
            _ => problems.push(format!("package row {rowid}: not an (hnum, blob) record")),
        }
        Ok(())
    })?;
    Ok((rows, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::fixture;

    #[test]
    fn reads_the_packages_of_a_real_database() {
        let db = fixture("rpm/cbl-mariner-2.0.rpmdb.sqlite");
        let (rows, problems) = packages(&db).unwrap();
        assert_eq!(rows.len(), 129);
        assert!(problems.is_empty(), "{problems:?}");
        // Large headers spill to overflow pages: each blob is whole (index + data sizes match).
        for (_, blob) in &rows {
            let il = u32::from_be_bytes(blob[0..4].try_into().unwrap()) as usize;
            let dl = u32::from_be_bytes(blob[4..8].try_into().unwrap()) as usize;
            assert_eq!(blob.len(), 8 + il * 16 + dl);
        }
        assert!(rows.iter().any(|(_, b)| b.len() > 4096 * 4));
    }

    #[test]
    fn loops_and_cut_files_are_errors() {
        let db = fixture("rpm/cbl-mariner-2.0.rpmdb.sqlite");
        // Cut to the first pages: the table's pages are missing.
        assert!(packages(&db[..4096 * 3]).is_err());
        // Page 1 is an interior page: point its right-most child at itself.
        let mut looped = db.clone();
        assert_eq!(looped[100], 0x05);
        looped[108..112].copy_from_slice(&1u32.to_be_bytes());
        let err = packages(&looped).unwrap_err();
        assert!(err.contains("loop"), "{err}");
        assert!(packages(b"SQLite format 3\0").is_err());
        assert!(packages(b"").is_err());
    }
}
