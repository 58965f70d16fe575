//! A table for people: NAME, VERSION, TYPE, LAYER, the operating system first, then by name; then
//! the binaries that packages own (FILE, ELF TYPE, LINKAGE, RELRO, OWNER), and a summary line.

use std::collections::BTreeMap;
use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::model::{Purpose, RelationshipKind, Sbom};

const HEADER: [&str; 4] = ["NAME", "VERSION", "TYPE", "LAYER"];

/// Names come from untrusted databases: control characters are shown escaped, never sent to the
/// terminal.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `sha256:0123456789abcdef…` → `0123456789ab`.
fn short_digest(d: &str) -> &str {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

pub(super) fn write(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    let mut rows: Vec<(bool, [String; 4])> = sbom
        .packages
        .iter()
        .map(|p| {
            let layer = match p.layer {
                Some(i) => match sbom.subject.layers.get(i) {
                    Some(l) => format!("{i} {}", short_digest(&l.diff_id)),
                    None => i.to_string(),
                },
                None => String::new(),
            };
            (
                p.kind.purpose != Purpose::OperatingSystem,
                [
                    clean(&p.name),
                    clean(&p.version),
                    p.kind.name.to_string(),
                    clean(&layer),
                ],
            )
        })
        .collect();
    rows.sort();

    let mut widths = HEADER.map(UnicodeWidthStr::width);
    for (_, r) in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    let mut line = |cells: &[&str]| -> io::Result<()> {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            s.push_str(cell);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(&HEADER)?;
    for (_, r) in &rows {
        line(&[&r[0], &r[1], &r[2], &r[3]])?;
    }

    binaries(sbom, out)?;

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &sbom.packages {
        *kinds.entry(p.kind.name).or_default() += 1;
    }
    let n = sbom.packages.len();
    let mut summary = format!("{n} package{}", if n == 1 { "" } else { "s" });
    if !kinds.is_empty() {
        let parts: Vec<String> = kinds.iter().map(|(k, c)| format!("{c} {k}")).collect();
        summary.push_str(&format!(" ({})", parts.join(", ")));
    }
    let layers = sbom.subject.layers.len();
    if layers > 0 {
        summary.push_str(&format!(
            ", {layers} layer{}",
            if layers == 1 { "" } else { "s" }
        ));
    }
    if !sbom.files.is_empty() {
        summary.push_str(&format!(", {} files", sbom.files.len()));
    }
    writeln!(out, "{summary}")
}

/// Files with ELF facts (binaries owned by a package): where they are, what they are, who owns them.
fn binaries(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in &sbom.relationships {
        if r.kind == RelationshipKind::Contains {
            if let Some(p) = sbom.package(&r.from) {
                owners
                    .entry(r.to.as_str())
                    .or_default()
                    .push(p.name.as_str());
            }
        }
    }
    let rows: Vec<[String; 5]> = sbom
        .files
        .iter()
        .filter(|f| f.kind.is_some())
        .map(|f| {
            let get = |k: &str| clean(f.properties.get(k).map_or("", String::as_str));
            [
                clean(&f.path),
                get("sbomkit:elf:type"),
                get("sbomkit:elf:linkage"),
                get("sbomkit:elf:relro"),
                clean(
                    &owners
                        .get(f.id.as_str())
                        .map(|o| o.join(", "))
                        .unwrap_or_default(),
                ),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let header = ["FILE", "ELF TYPE", "LINKAGE", "RELRO", "OWNER"];
    let mut widths = header.map(UnicodeWidthStr::width);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    writeln!(out)?;
    let mut line = |cells: [&str; 5]| -> io::Result<()> {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            s.push_str(cell);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(header)?;
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]])?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(short_digest("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_digest("abc"), "abc");
    }
}
