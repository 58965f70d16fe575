//! An RPM header as the database stores it: the index count and data length (big-endian), the
//! index entries (tag, type, offset, count) and the data store. Every entry is checked against the
//! data store before it is read; nothing is allocated from a count that the bytes cannot hold.

use std::collections::BTreeMap;

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const SUMMARY: u32 = 1004;
pub const SIZE: u32 = 1009;
pub const VENDOR: u32 = 1011;
pub const LICENSE: u32 = 1014;
pub const PACKAGER: u32 = 1015;
pub const URL: u32 = 1020;
pub const ARCH: u32 = 1022;
pub const OLDFILENAMES: u32 = 1027;
pub const FILEMODES: u32 = 1030;
pub const FILEDIGESTS: u32 = 1035;
pub const SOURCERPM: u32 = 1044;
pub const PROVIDENAME: u32 = 1047;
pub const REQUIREFLAGS: u32 = 1048;
pub const REQUIRENAME: u32 = 1049;
pub const REQUIREVERSION: u32 = 1050;
pub const PROVIDEFLAGS: u32 = 1112;
pub const PROVIDEVERSION: u32 = 1113;
pub const DIRINDEXES: u32 = 1116;
pub const BASENAMES: u32 = 1117;
pub const DIRNAMES: u32 = 1118;
pub const LONGSIZE: u32 = 5009;
pub const FILEDIGESTALGO: u32 = 5011;
pub const RECOMMENDNAME: u32 = 5046;
pub const RECOMMENDVERSION: u32 = 5047;
pub const RECOMMENDFLAGS: u32 = 5048;
pub const MODULARITYLABEL: u32 = 5096;

const TYPE_CHAR: u32 = 1;
const TYPE_INT8: u32 = 2;
const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits on a header (`hdrchkTags`, `hdrchkData`).
const MAX_TAGS: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;

/// One index entry, with its place in the data store checked.
#[derive(Debug, Clone, Copy)]
struct Entry {
    ty: u32,
    offset: usize,
    count: usize,
}

/// A parsed header: entries by tag over the blob.
#[derive(Debug)]
pub struct Header<'a> {
    data: &'a [u8],
    entries: BTreeMap<u32, Entry>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Header<'a> {
    /// Parses a header blob; the error says what is wrong with it.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, String> {
        let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
        let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
        if il == 0 || il > MAX_TAGS {
            return Err(format!("header with {il} tags"));
        }
        if dl > MAX_DATA {
            return Err(format!("header with {dl} bytes of data"));
        }
        let start = 8 + il * 16;
        let data = blob.get(start..start + dl).ok_or_else(|| {
            format!(
                "header of {il} tags and {dl} bytes cut at {} bytes",
                blob.len()
            )
        })?;
        let mut entries = BTreeMap::new();
        for i in 0..il {
            let at = 8 + i * 16;
            let (Some(tag), Some(ty), Some(offset), Some(count)) = (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) else {
                return Err("header index cut".into());
            };
            let (offset, count) = (offset as usize, count as usize);
            if offset > dl || count > dl {
                // Region tags (63, 62, 61) point at their trailer; any other entry must fit.
                if !(61..=63).contains(&tag) {
                    return Err(format!("tag {tag} at offset {offset} outside {dl} bytes"));
                }
                continue;
            }
            // Entries outside the immutable region come later and replace it (rpm's dribble).
            entries.insert(tag, Entry { ty, offset, count });
        }
        Ok(Header { data, entries })
    }

    /// The first string of a STRING, I18NSTRING or STRING_ARRAY entry.
    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.entries.get(&tag)?;
        match e.ty {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                self.strings_at(e.offset, 1).into_iter().next()
            }
            _ => None,
        }
    }

    /// The strings of a STRING_ARRAY (or one STRING) entry; empty when absent or cut.
    pub fn strings(&self, tag: u32) -> Vec<String> {
        match self.entries.get(&tag) {
            Some(e) if e.ty == TYPE_STRING_ARRAY || e.ty == TYPE_I18NSTRING => {
                self.strings_at(e.offset, e.count)
            }
            Some(e) if e.ty == TYPE_STRING => self.strings_at(e.offset, 1),
            _ => Vec::new(),
        }
    }

    /// `count` NUL-terminated strings from `offset`; all or none.
    fn strings_at(&self, offset: usize, count: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = match self.data.get(offset..) {
            Some(r) => r,
            None => return out,
        };
        for _ in 0..count {
            let Some(end) = rest.iter().position(|&b| b == 0) else {
                return Vec::new();
            };
            out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            rest = &rest[end + 1..];
        }
        out
    }

    /// The integers of an INT8/16/32/64 (or CHAR) entry, widened; empty when absent or cut.
    pub fn ints(&self, tag: u32) -> Vec<u64> {
        let Some(e) = self.entries.get(&tag) else {
            return Vec::new();
        };
        let width = match e.ty {
            TYPE_CHAR | TYPE_INT8 | TYPE_BIN => 1,
            TYPE_INT16 => 2,
            TYPE_INT32 => 4,
            TYPE_INT64 => 8,
            _ => return Vec::new(),
        };
        let Some(bytes) = e
            .count
            .checked_mul(width)
            .and_then(|n| self.data.get(e.offset..e.offset.checked_add(n)?))
        else {
            return Vec::new();
        };
        bytes
            .chunks_exact(width)
            .map(|c| c.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
            .collect()
    }

    /// The first integer of an entry.
    pub fn int(&self, tag: u32) -> Option<u64> {
        self.ints(tag).first().copied()
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A header blob with the given entries, for tests: (tag, type, count, data).
    pub fn blob(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut data = Vec::new();
        let mut index = Vec::new();
        for (tag, ty, count, d) in entries {
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(d);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn reads_entries_and_refuses_what_does_not_fit() {
        let b = blob(&[
            (NAME, TYPE_STRING, 1, b"bash\0".to_vec()),
            (SIZE, TYPE_INT32, 1, 7u32.to_be_bytes().to_vec()),
            (BASENAMES, TYPE_STRING_ARRAY, 2, b"a\0b\0".to_vec()),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(NAME).as_deref(), Some("bash"));
        assert_eq!(h.int(SIZE), Some(7));
        assert_eq!(h.strings(BASENAMES), ["a", "b"]);
        assert_eq!(h.strings(DIRNAMES), Vec::<String>::new());

        // Counts larger than the data: refused, or nothing read; never a panic or an allocation.
        let b = blob(&[(BASENAMES, TYPE_STRING_ARRAY, 1000, b"a\0".to_vec())]);
        assert!(Header::parse(&b).is_err());
        let b = blob(&[(BASENAMES, TYPE_STRING_ARRAY, 3, b"a\0b\0c".to_vec())]);
        assert!(Header::parse(&b).unwrap().strings(BASENAMES).is_empty());
        let b = blob(&[(SIZE, TYPE_INT32, 0x4000_0000, vec![0; 4])]);
        assert!(Header::parse(&b).is_err());
        let b = blob(&[(SIZE, TYPE_INT32, 2, vec![0; 4])]);
        assert!(Header::parse(&b).unwrap().ints(SIZE).is_empty());

        // Absurd counts and cut blobs.
        assert!(Header::parse(&[0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(Header::parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]).is_err());
        assert!(Header::parse(&b[..b.len() - 1]).is_err());
        assert!(Header::parse(&[0, 0]).is_err());
    }
}
