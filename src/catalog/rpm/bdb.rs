//! The values of rpm's Berkeley DB hash `Packages` file, read from the page format (libdb's
//! `db_page.h`): a metadata page (magic, byte order, page size, last page), hash pages whose
//! items come in key/value pairs, and values too large for a page on chains of overflow pages.
//! Every hash page is read in order, as rpm's own read-only backend does; the keys are rpm's header
//! numbers. No C library: the format is small and read-only here.

use std::collections::BTreeSet;

/// The hash magic, at offset 12 in the file's byte order.
pub const MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// Whether `head` starts like a Berkeley DB hash file (either byte order).
pub fn is_hash_db(head: &[u8]) -> bool {
    head.get(12..16)
        .and_then(|m| m.try_into().ok())
        .is_some_and(|m: [u8; 4]| u32::from_le_bytes(m) == MAGIC || u32::from_be_bytes(m) == MAGIC)
}

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    big_endian: bool,
    /// Value bytes still allowed (see [`super::sqlite`]): chains shared between values are refused.
    budget: std::cell::Cell<usize>,
}

impl Db<'_> {
    fn u16(&self, b: &[u8], at: usize) -> Option<usize> {
        let a: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(usize::from(if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }))
    }

    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    fn page(&self, n: usize) -> Option<&[u8]> {
        let start = n.checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }

    /// The value an off-page item points at: `total` bytes along a chain of overflow pages.
    fn overflow(&self, first: usize, total: usize) -> Result<Vec<u8>, String> {
        let left = self.budget.get();
        if total > left {
            return Err(format!("value of {total} bytes: more than the file holds"));
        }
        self.budget.set(left - total);
        let mut out = Vec::with_capacity(total);
        let mut seen = BTreeSet::new();
        let mut n = first;
        while out.len() < total {
            if n == 0 {
                return Err(format!(
                    "overflow chain ends after {} of {total} bytes",
                    out.len()
                ));
            }
            if !seen.insert(n) {
                return Err(format!(
                    "overflow page {n} reached twice: the chain has a loop"
                ));
            }
            let page = self
                .page(n)
                .ok_or_else(|| format!("overflow page {n} outside the file"))?;
            if page[25] != P_OVERFLOW {
                return Err(format!(
                    "page {n} is not an overflow page (type {})",
                    page[25]
                ));
            }
            let take = (total - out.len()).min(self.page_size - PAGE_HEADER);
            out.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + take]);
            n = self.u32(page, 16).unwrap_or(0) as usize;
        }
        Ok(out)
    }
}

/// The `(key, value)` pairs of the hash pages, and problems met with single items.
pub fn values(bytes: &[u8]) -> Result<super::Blobs, String> {
    let magic: [u8; 4] = bytes
        .get(12..16)
        .and_then(|m| m.try_into().ok())
        .ok_or("not a Berkeley DB file")?;
    let big_endian = if u32::from_le_bytes(magic) == MAGIC {
        false
    } else if u32::from_be_bytes(magic) == MAGIC {
        true
    } else {
        return Err("not a Berkeley DB hash file".into());
    };
    let mut db = Db {
        bytes,
        page_size: 0,
        big_endian,
        budget: std::cell::Cell::new(bytes.len()),
    };
    let page_size = db.u32(bytes, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("Berkeley DB page size {page_size}"));
    }
    if bytes.get(24).copied().unwrap_or(0) != 0 {
        return Err("encrypted Berkeley DB".into());
    }
    db.page_size = page_size;
    let last = db.u32(bytes, 32).unwrap_or(0) as usize;
    let pages = bytes.len() / page_size;
    let mut problems = Vec::new();
    if last >= pages {
        problems.push(format!(
            "the metadata names page {last} as the last, the file holds {pages}: read what is there"
        ));
    }
    let mut out = Vec::new();
    for n in 1..pages.min(last.saturating_add(1)) {
        let Some(page) = db.page(n) else { break };
        if page[25] != P_HASH && page[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = db.u16(page, 20).unwrap_or(0);
        if PAGE_HEADER + entries * 2 > page_size || entries % 2 != 0 {
            problems.push(format!("hash page {n} claims {entries} items"));
            continue;
        }
        let index: Vec<usize> = (0..entries)
            .filter_map(|i| db.u16(page, PAGE_HEADER + i * 2))
            .collect();
        // Items sit from the end of the page down: each ends where the one before starts.
        let item = |i: usize| -> Option<&[u8]> {
            let start = index[i];
            let end = if i == 0 { page_size } else { index[i - 1] };
            (start >= PAGE_HEADER + entries * 2 && start < end && end <= page_size)
                .then(|| &page[start..end])
        };
        for pair in 0..entries / 2 {
            let (Some(key), Some(value)) = (item(pair * 2), item(pair * 2 + 1)) else {
                problems.push(format!("hash page {n}: item {} outside the page", pair * 2));
                continue;
            };
            // rpm's keys are header numbers, 4 bytes in the file's byte order.
            let key = match (key[0], key.len()) {
                (H_KEYDATA, 5) => db.u32(key, 1).unwrap_or(0),
                _ => continue,
            };
            let value = match value[0] {
                H_KEYDATA => value[1..].to_vec(),
                H_OFFPAGE => {
                    let (Some(first), Some(total)) = (db.u32(value, 4), db.u32(value, 8)) else {
                        problems.push(format!("hash page {n}: off-page item cut"));
                        continue;
                    };
                    match db.overflow(first as usize, total as usize) {
                        Ok(v) => v,
                        Err(e) => {
                            problems.push(format!("hash page {n}, key {key}: {e}"));
                            continue;
                        }
                    }
                }
                _ => continue,
            };
            // Key 0 holds rpm's next header number, not a header.
            if key != 0 {
                out.push((key, value));
            }
        }
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::fixture;

    #[test]
    fn reads_the_headers_of_a_real_database() {
        let db = fixture("rpm/libuuid.Packages.bdb");
        assert!(is_hash_db(&db));
        let (values, problems) = values(&db).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(values.len(), 1);
        let blob = &values[0].1;
        let il = u32::from_be_bytes(blob[0..4].try_into().unwrap()) as usize;
        let dl = u32::from_be_bytes(blob[4..8].try_into().unwrap()) as usize;
        assert_eq!(blob.len(), 8 + il * 16 + dl);
    }

    #[test]
    fn loops_and_bad_pages_are_problems_or_errors() {
        let db = fixture("rpm/libuuid.Packages.bdb");
        let ps = 4096;
        // Every overflow page points back at itself.
        let mut looped = db.clone();
        for n in 1..db.len() / ps {
            if looped[n * ps + 25] == P_OVERFLOW {
                looped[n * ps + 16..n * ps + 20].copy_from_slice(&(n as u32).to_le_bytes());
            }
        }
        let (values, problems) = super::values(&looped).unwrap();
        assert!(values.is_empty());
        assert!(problems.iter().any(|p| p.contains("loop")), "{problems:?}");
        // Absurd item counts on every hash page.
        let mut counted = db.clone();
        for n in 1..db.len() / ps {
            if counted[n * ps + 25] == P_HASH {
                counted[n * ps + 20..n * ps + 22].copy_from_slice(&0xfffeu16.to_le_bytes());
            }
        }
        let (values, problems) = super::values(&counted).unwrap();
        assert!(values.is_empty() && !problems.is_empty());
        // Cut, and not a database.
        assert!(super::values(&db[..20]).is_err());
        assert!(super::values(b"hello").is_err());
        let (values, problems) = super::values(&db[..ps * 2]).unwrap();
        assert!(values.is_empty());
        assert!(!problems.is_empty());
    }
}
