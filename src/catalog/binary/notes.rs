//! ELF notes: `namesz`, `descsz`, `type`, then the name and the descriptor, each padded to the
//! note alignment (4 bytes, or 8 in sections aligned so). Several notes may follow each other in one
//! section or segment. Recognised here: the GNU build id, the systemd package-metadata note
//! (`.note.package`) and the dlopen note (`.note.dlopen`), both found by owner and type, not by name.

use serde::Deserialize;

/// `NT_GNU_BUILD_ID`, owner `GNU`.
pub const NT_GNU_BUILD_ID: u32 = 3;
/// The package-metadata note type, owner `FDO`.
pub const NT_FDO_PACKAGING_METADATA: u32 = 0xcafe_1a7e;
/// The dlopen note type, owner `FDO`.
pub const NT_FDO_DLOPEN_METADATA: u32 = 0x407c_0c0a;

/// Largest JSON descriptor worth parsing.
const MAX_JSON: usize = 64 << 10;
/// Most dlopen entries and note warnings kept from one file: what a note says is stored, so its
/// count is bounded; the walk itself is bounded by the bytes of the section (a note takes at least 12).
const MAX_DLOPEN: usize = 1024;
const MAX_WARNINGS: usize = 16;

/// One note, borrowing the file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'a> {
    /// The owner name without its terminating NUL.
    pub name: &'a [u8],
    pub kind: u32,
    pub desc: &'a [u8],
}

fn u32_at(b: &[u8], at: usize, little: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(s)
    } else {
        u32::from_be_bytes(s)
    })
}

fn align_up(n: usize, align: usize) -> Option<usize> {
    let rem = n % align;
    if rem == 0 {
        Some(n)
    } else {
        n.checked_add(align - rem)
    }
}

/// The notes in one section or segment, one at a time: nothing is collected, and every step
/// moves forward by at least the 12-byte header, so a walk takes time linear in the region's size
/// whatever the note count (OpenJDK's `libjvm.so` has ~532 SystemTap notes). It stops at the first
/// note that does not fit; [`Walk::error`] then says why.
pub struct Walk<'a> {
    data: &'a [u8],
    little: bool,
    align: usize,
    at: usize,
    error: Option<String>,
}

/// Walks the notes in `data`. `align` is the section's alignment (8 keeps 8, anything else means 4).
pub fn walk(data: &[u8], little: bool, align: u64) -> Walk<'_> {
    Walk {
        data,
        little,
        align: if align == 8 { 8 } else { 4 },
        at: 0,
        error: None,
    }
}

impl<'a> Walk<'a> {
    /// Why the walk stopped before the end of the region, once it has.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn fail(&mut self, what: &str) -> Option<Note<'a>> {
        self.error = Some(format!("note at offset {}: {what}", self.at));
        self.at = self.data.len();
        None
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Note<'a>;

    fn next(&mut self) -> Option<Note<'a>> {
        let (data, at, little, align) = (self.data, self.at, self.little, self.align);
        if at >= data.len() {
            return None;
        }
        let (Some(namesz), Some(descsz), Some(kind)) = (
            u32_at(data, at, little),
            at.checked_add(4).and_then(|a| u32_at(data, a, little)),
            at.checked_add(8).and_then(|a| u32_at(data, a, little)),
        ) else {
            return self.fail("truncated header");
        };
        let name_start = at.saturating_add(12);
        let Some(name_end) = name_start.checked_add(namesz as usize) else {
            return self.fail("name size overflows");
        };
        let Some(desc_start) = align_up(name_end, align) else {
            return self.fail("name size overflows");
        };
        let Some(desc_end) = desc_start.checked_add(descsz as usize) else {
            return self.fail("descriptor size overflows");
        };
        let (Some(name), Some(desc)) = (
            data.get(name_start..name_end),
            data.get(desc_start..desc_end),
        ) else {
            return self.fail(&format!(
                "name size {namesz} and descriptor size {descsz} exceed the {} bytes left",
                data.len().saturating_sub(at)
            ));
        };
        // desc_end >= at + 12, so the walk always advances.
        self.at = align_up(desc_end, align).unwrap_or(data.len());
        Some(Note {
            name: name.strip_suffix(&[0]).unwrap_or(name),
            kind,
            desc,
        })
    }
}

/// Every note in `data` and why the walk stopped early, if it did; see [`walk`].
pub fn parse(data: &[u8], little: bool, align: u64) -> (Vec<Note<'_>>, Option<String>) {
    let mut w = walk(data, little, align);
    let notes = w.by_ref().collect();
    (notes, w.error)
}

/// The systemd package-metadata note (<https://systemd.io/ELF_PACKAGE_METADATA/>).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageNote {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub os_cpe: Option<String>,
    pub app_cpe: Option<String>,
    pub debug_info_url: Option<String>,
}

/// One entry of the dlopen note (<https://systemd.io/ELF_DLOPEN_METADATA/>).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct DlopenEntry {
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `required`, `recommended` or `suggested`.
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub soname: Vec<String>,
}

/// The descriptor as JSON text: NUL padding removed, size bounded.
fn json_text(desc: &[u8]) -> Result<&[u8], String> {
    let end = desc.iter().position(|&b| b == 0).unwrap_or(desc.len());
    let text = desc.get(..end).unwrap_or_default();
    if text.len() > MAX_JSON {
        return Err(format!(
            "{} bytes of JSON exceed the limit of {MAX_JSON}",
            text.len()
        ));
    }
    Ok(text)
}

pub fn package_note(desc: &[u8]) -> Result<PackageNote, String> {
    serde_json::from_slice(json_text(desc)?).map_err(|e| format!("package note: {e}"))
}

pub fn dlopen_note(desc: &[u8]) -> Result<Vec<DlopenEntry>, String> {
    serde_json::from_slice(json_text(desc)?).map_err(|e| format!("dlopen note: {e}"))
}

/// What the notes of one file say.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct NoteFacts {
    pub build_id: Option<String>,
    pub package: Option<PackageNote>,
    pub dlopen: Vec<DlopenEntry>,
    pub warnings: Vec<String>,
}

impl NoteFacts {
    /// Takes in the notes of one section or segment.
    pub fn add<'a>(&mut self, notes: impl IntoIterator<Item = &'a Note<'a>>) {
        for n in notes {
            self.add_one(n);
        }
    }

    /// Takes in one note.
    pub fn add_one(&mut self, n: &Note<'_>) {
        {
            match (n.name, n.kind) {
                (b"GNU", NT_GNU_BUILD_ID) if self.build_id.is_none() && !n.desc.is_empty() => {
                    self.build_id = Some(hex::encode(n.desc));
                }
                (b"FDO", NT_FDO_PACKAGING_METADATA) if self.package.is_none() => {
                    match package_note(n.desc) {
                        Ok(p) => self.package = Some(p),
                        Err(e) => self.warn(e),
                    }
                }
                (b"FDO", NT_FDO_DLOPEN_METADATA) if self.dlopen.len() < MAX_DLOPEN => {
                    match dlopen_note(n.desc) {
                        Ok(mut d) => {
                            d.truncate(MAX_DLOPEN - self.dlopen.len());
                            self.dlopen.append(&mut d);
                        }
                        Err(e) => self.warn(e),
                    }
                }
                _ => {}
            }
        }
    }

    /// A warning, unless as many as are worth showing for one file were given already.
    pub fn warn(&mut self, w: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(name: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(name.len() as u32).to_le_bytes());
        v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        v.extend_from_slice(&kind.to_le_bytes());
        v.extend_from_slice(name);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v.extend_from_slice(desc);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn several_notes_with_padding() {
        let mut data = note(b"GNU\0", NT_GNU_BUILD_ID, &[0xab, 0xcd, 0xef]);
        data.extend(note(
            b"FDO\0",
            NT_FDO_PACKAGING_METADATA,
            b"{\"type\":\"rpm\",\"name\":\"a\",\"version\":\"1\"}\0\0",
        ));
        data.extend(note(
            b"FDO\0",
            NT_FDO_DLOPEN_METADATA,
            br#"[{"feature":"x","priority":"suggested","soname":["libx.so.1","libx.so.0"]}]"#,
        ));
        let (notes, err) = parse(&data, true, 4);
        assert_eq!(err, None);
        assert_eq!(notes.len(), 3);
        let mut f = NoteFacts::default();
        f.add(&notes);
        assert_eq!(f.build_id.as_deref(), Some("abcdef"));
        let p = f.package.unwrap();
        assert_eq!(
            (p.kind.as_deref(), p.name.as_deref(), p.version.as_deref()),
            (Some("rpm"), Some("a"), Some("1"))
        );
        assert_eq!(f.dlopen[0].soname, ["libx.so.1", "libx.so.0"]);
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn hostile_sizes_stop_without_panic() {
        let mut data = note(b"GNU\0", NT_GNU_BUILD_ID, &[1, 2, 3, 4]);
        let good = data.len();
        // namesz and descsz near u32::MAX.
        data.extend_from_slice(&u32::MAX.to_le_bytes());
        data.extend_from_slice(&u32::MAX.to_le_bytes());
        data.extend_from_slice(&1u32.to_le_bytes());
        let (notes, err) = parse(&data, true, 4);
        assert_eq!(notes.len(), 1);
        assert!(err.unwrap().contains(&format!("offset {good}")));
        for cut in 0..data.len() {
            let _ = parse(&data[..cut], true, 4);
            let _ = parse(&data[..cut], false, 8);
        }
        // Empty notes repeated: each takes its 12-byte header, all are walked, none is stored.
        let zeros = vec![0u8; 12 * 100_000 + 5];
        let mut w = walk(&zeros, true, 4);
        assert_eq!(w.by_ref().count(), 100_000);
        assert_eq!(w.error(), Some("note at offset 1200000: truncated header"));
        // Dlopen entries and warnings from one file are bounded.
        let mut many = Vec::new();
        for _ in 0..3000 {
            many.extend(note(
                b"FDO\0",
                NT_FDO_DLOPEN_METADATA,
                br#"[{"soname":["a"]}]"#,
            ));
            many.extend(note(b"FDO\0", NT_FDO_DLOPEN_METADATA, b"["));
        }
        let mut f = NoteFacts::default();
        walk(&many, true, 4).for_each(|n| f.add_one(&n));
        assert_eq!(
            (f.dlopen.len(), f.warnings.len()),
            (MAX_DLOPEN, MAX_WARNINGS)
        );
    }

    /// OpenJDK's libjvm.so: ~532 SystemTap notes; a package note after them is still read.
    #[test]
    fn a_package_note_after_hundreds_of_others() {
        let mut data = Vec::new();
        for _ in 0..600 {
            data.extend(note(b"stapsdt\0", 3, &[0; 40]));
        }
        data.extend(note(
            b"FDO\0",
            NT_FDO_PACKAGING_METADATA,
            br#"{"name":"late"}"#,
        ));
        let mut f = NoteFacts::default();
        let mut w = walk(&data, true, 4);
        w.by_ref().for_each(|n| f.add_one(&n));
        assert_eq!(w.error(), None);
        assert_eq!(f.package.unwrap().name.as_deref(), Some("late"));
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn bad_json_is_a_warning() {
        let data = note(b"FDO\0", NT_FDO_PACKAGING_METADATA, b"{\"name\":");
        let (notes, _) = parse(&data, true, 4);
        let mut f = NoteFacts::default();
        f.add(&notes);
        assert!(f.package.is_none());
        assert_eq!(f.warnings.len(), 1);
    }
}
