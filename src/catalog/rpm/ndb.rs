//! The blobs of rpm's ndb `Packages.db` (SUSE), as rpm's `lib/backend/ndb/rpmpkg.c` writes them:
//! a 32-byte header (`RpmP`, version 0, generation, slot pages, next index), then 16-byte slots
//! (`Slot`, package index, block offset, block count) filling the slot pages, and each blob at its
//! block offset (16-byte blocks) between a head (`BlbS`, index, time, length) and a tail (Adler-32,
//! length, `BlbE`). All integers are little-endian.

pub const MAGIC: &[u8] = b"RpmP";
const SLOT_MAGIC: &[u8] = b"Slot";
const HEAD_MAGIC: &[u8] = b"BlbS";
const TAIL_MAGIC: &[u8] = b"BlbE";
const PAGE: usize = 4096;
const BLK: usize = 16;
const HEAD: usize = 16;
const TAIL: usize = 12;

fn le32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// Adler-32 (RFC 1950), as the blob tail records it.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// The `(package index, blob)` pairs, in slot order, and problems met with single blobs.
pub fn blobs(bytes: &[u8]) -> Result<super::Blobs, String> {
    if !bytes.starts_with(MAGIC) || bytes.len() < 32 {
        return Err("not an ndb package database".into());
    }
    let version = le32(bytes, 4).unwrap_or(0);
    if version != 0 {
        return Err(format!("ndb version {version}"));
    }
    let slot_pages = le32(bytes, 12).unwrap_or(0);
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE) > bytes.len() {
        return Err(format!(
            "{slot_pages} slot pages in a file of {} bytes",
            bytes.len()
        ));
    }
    let first_blob_blk = slot_pages * PAGE / BLK;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut used: Vec<(usize, usize)> = Vec::new();
    for at in (32..slot_pages * PAGE).step_by(16) {
        let slot = &bytes[at..at + 16];
        if &slot[..4] != SLOT_MAGIC {
            return Err(format!("slot at byte {at} has no slot magic"));
        }
        let (idx, off, cnt) = (
            le32(slot, 4).unwrap_or(0),
            le32(slot, 8).unwrap_or(0),
            le32(slot, 12).unwrap_or(0),
        );
        if off == 0 {
            continue; // a free slot
        }
        match blob(bytes, idx, off, cnt, first_blob_blk) {
            Ok(b) => {
                used.push((off, cnt));
                out.push((idx as u32, b));
            }
            Err(e) => problems.push(format!("package {idx} (slot at byte {at}): {e}")),
        }
    }
    // Two slots on the same blocks would read one blob twice.
    used.sort();
    if used.windows(2).any(|w| w[0].0 + w[0].1 > w[1].0) {
        return Err("slots overlap".into());
    }
    Ok((out, problems))
}

fn blob(bytes: &[u8], idx: usize, off: usize, cnt: usize, first: usize) -> Result<Vec<u8>, String> {
    if idx == 0 || cnt == 0 || off < first {
        return Err(format!("bad slot: index {idx}, blocks {off}+{cnt}"));
    }
    let start = off.checked_mul(BLK).ok_or("block offset overflows")?;
    let end = off
        .checked_add(cnt)
        .and_then(|e| e.checked_mul(BLK))
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format!("blocks {off}+{cnt} past the end of the file"))?;
    let area = &bytes[start..end];
    if area.len() < HEAD + TAIL || &area[..4] != HEAD_MAGIC {
        return Err("no blob head".into());
    }
    if le32(area, 4) != Some(idx) {
        return Err("blob of another package".into());
    }
    let len = le32(area, 12).unwrap_or(0);
    if (HEAD + len + TAIL).div_ceil(BLK) != cnt {
        return Err(format!("blob of {len} bytes in {cnt} blocks"));
    }
    let tail = &area[area.len() - TAIL..];
    if &tail[8..] != TAIL_MAGIC || le32(tail, 4) != Some(len) {
        return Err("no blob tail".into());
    }
    if le32(tail, 0) != Some(adler32(&area[..area.len() - TAIL]) as usize) {
        return Err("checksum mismatch".into());
    }
    Ok(area[HEAD..HEAD + len].to_vec())
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// An ndb file holding `blobs` as rpm lays them out: one slot page, blobs after it.
    pub fn write(blobs: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![0u8; PAGE];
        out[..4].copy_from_slice(MAGIC);
        out[8..12].copy_from_slice(&1u32.to_le_bytes());
        out[12..16].copy_from_slice(&1u32.to_le_bytes());
        out[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
        for s in (32..PAGE).step_by(16) {
            out[s..s + 4].copy_from_slice(SLOT_MAGIC);
        }
        for (i, b) in blobs.iter().enumerate() {
            let idx = i as u32 + 1;
            let cnt = (HEAD + b.len() + TAIL).div_ceil(BLK);
            let off = out.len() / BLK;
            let mut area = Vec::new();
            area.extend_from_slice(HEAD_MAGIC);
            area.extend_from_slice(&idx.to_le_bytes());
            area.extend_from_slice(&0u32.to_le_bytes());
            area.extend_from_slice(&(b.len() as u32).to_le_bytes());
            area.extend_from_slice(b);
            area.resize(cnt * BLK - TAIL, 0);
            let sum = adler32(&area);
            area.extend_from_slice(&sum.to_le_bytes());
            area.extend_from_slice(&(b.len() as u32).to_le_bytes());
            area.extend_from_slice(TAIL_MAGIC);
            out.extend(area);
            let s = 32 + i * 16;
            out[s + 4..s + 8].copy_from_slice(&idx.to_le_bytes());
            out[s + 8..s + 12].copy_from_slice(&(off as u32).to_le_bytes());
            out[s + 12..s + 16].copy_from_slice(&(cnt as u32).to_le_bytes());
        }
        out
    }

    #[test]
    fn adler32_of_rfc_1950() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn reads_blobs_and_refuses_broken_ones() {
        let db = write(&[b"first blob", b"second"]);
        let (blobs, problems) = blobs(&db).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            blobs,
            [(1, b"first blob".to_vec()), (2, b"second".to_vec())]
        );

        // A flipped byte fails the checksum: that blob is a problem, the other is read.
        let mut bad = db.clone();
        bad[PAGE + HEAD] ^= 1;
        let (blobs, problems) = super::blobs(&bad).unwrap();
        assert_eq!(blobs.len(), 1);
        assert!(problems[0].contains("checksum"), "{problems:?}");

        // A slot pointing past the end, two slots on one blob, absurd slot pages.
        let mut past = db.clone();
        past[32 + 12..32 + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(super::blobs(&past).unwrap().1[0].contains("past the end"));
        let mut twice = db.clone();
        let first = twice[32..48].to_vec();
        twice[48..64].copy_from_slice(&first);
        twice[52..56].copy_from_slice(&2u32.to_le_bytes());
        assert!(super::blobs(&twice).is_err() || !super::blobs(&twice).unwrap().1.is_empty());
        let mut pages = db.clone();
        pages[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(super::blobs(&pages).is_err());
        assert!(super::blobs(&db[..100]).is_err());
    }
}
