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

/// Most notes read from one file: real files have a handful.
const MAX_NOTES: usize = 256;
/// Largest JSON descriptor worth parsing.
const MAX_JSON: usize = 64 << 10;

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

/// Parses the notes in `data` (one section or segment). `align` is the section's alignment (8 keeps
/// 8, anything else means 4). Stops at the first note that does not fit, and says so; the notes
/// before it are kept.
pub fn parse(data: &[u8], little: bool, align: u64) -> (Vec<Note<'_>>, Option<String>) {
    let align = if align == 8 { 8 } else { 4 };
    let mut notes = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        if notes.len() >= MAX_NOTES {
            return (
                notes,
                Some(format!("more than {MAX_NOTES} notes, the rest skipped")),
            );
        }
        let bad = |what: &str| Some(format!("note at offset {at}: {what}"));
        let (Some(namesz), Some(descsz), Some(kind)) = (
            u32_at(data, at, little),
            at.checked_add(4).and_then(|a| u32_at(data, a, little)),
            at.checked_add(8).and_then(|a| u32_at(data, a, little)),
        ) else {
            return (notes, bad("truncated header"));
        };
        let name_start = at.saturating_add(12);
        let Some(name_end) = name_start.checked_add(namesz as usize) else {
            return (notes, bad("name size overflows"));
        };
        let Some(desc_start) = align_up(name_end, align) else {
            return (notes, bad("name size overflows"));
        };
        let Some(desc_end) = desc_start.checked_add(descsz as usize) else {
            return (notes, bad("descriptor size overflows"));
        };
        let (Some(name), Some(desc)) = (
            data.get(name_start..name_end),
            data.get(desc_start..desc_end),
        ) else {
            return (
                notes,
                bad(&format!(
                    "name size {namesz} and descriptor size {descsz} exceed the {} bytes left",
                    data.len().saturating_sub(at)
                )),
            );
        };
        let name = name.strip_suffix(&[0]).unwrap_or(name);
        notes.push(Note { name, kind, desc });
        let Some(next) = align_up(desc_end, align) else {
            break;
        };
        at = next;
    }
    (notes, None)
}

/// The systemd package-metadata note (<https://systemd.io/ELF_PACKAGE_METADATA/>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteFacts {
    pub build_id: Option<String>,
    pub package: Option<PackageNote>,
    pub dlopen: Vec<DlopenEntry>,
    pub warnings: Vec<String>,
}

impl NoteFacts {
    /// Takes in the notes of one section or segment.
    pub fn add(&mut self, notes: &[Note<'_>]) {
        for n in notes {
            match (n.name, n.kind) {
                (b"GNU", NT_GNU_BUILD_ID) if self.build_id.is_none() && !n.desc.is_empty() => {
                    self.build_id = Some(hex::encode(n.desc));
                }
                (b"FDO", NT_FDO_PACKAGING_METADATA) if self.package.is_none() => {
                    match package_note(n.desc) {
                        Ok(p) => self.package = Some(p),
                        Err(e) => self.warnings.push(e),
                    }
                }
                (b"FDO", NT_FDO_DLOPEN_METADATA) => match dlopen_note(n.desc) {
                    Ok(mut d) => self.dlopen.append(&mut d),
                    Err(e) => self.warnings.push(e),
                },
                _ => {}
            }
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
        // Zero-sized notes repeated: bounded count.
        let zeros = vec![0u8; 12 * 1000];
        let (notes, err) = parse(&zeros, true, 4);
        assert_eq!(notes.len(), MAX_NOTES);
        assert!(err.is_some());
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
