//! A table for people: NAME, VERSION, TYPE, LAYER, the operating system first, then by name (a
//! binary no package owns is a package here); then, when the scan recorded every file (`--files`),
//! the ELF files (FILE, ELF TYPE, LINKAGE, RELRO, OWNER); and a summary line. Given a width, long
//! cells are cut with `…` so that each line fits it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// Columns are not cut below this width (or their header's, if narrower).
const MIN_COLUMN: usize = 6;

/// `cell` cut to at most `width` columns, ending in `…` when cut.
fn cut(cell: &str, width: usize) -> String {
    if cell.width() <= width {
        return cell.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in cell.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Narrows the widest columns, one column at a time, until the line (two spaces between columns)
/// fits `max` or every column is at its minimum.
fn fit(widths: &mut [usize], header: &[&str], max: usize) {
    let gaps = 2 * widths.len().saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > max {
        let widest = widths
            .iter()
            .enumerate()
            .filter(|&(i, &w)| w > MIN_COLUMN.min(header[i].width()).max(1))
            .max_by_key(|&(i, &w)| (w, std::cmp::Reverse(i)));
        match widest {
            Some((i, _)) => widths[i] -= 1,
            None => break,
        }
    }
}

/// Writes `header` and `rows` aligned, fitted to `width` when one is given.
fn grid<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut widths = header.map(UnicodeWidthStr::width);
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    if let Some(max) = width {
        fit(&mut widths, &header, max);
    }
    let mut line = |cells: [&str; N]| -> io::Result<()> {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let cell = cut(cell, widths[i]);
            s.push_str(&cell);
            if i + 1 < N {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(header)?;
    for r in rows {
        line(r.each_ref().map(String::as_str))?;
    }
    Ok(())
}

pub(super) fn write(sbom: &Sbom, width: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
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
            // Not in the final image (`--scope all-layers`): said in the layer column.
            let layer = match p.removed_in {
                Some(r) => format!("{layer}, removed in {r}"),
                None => layer,
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
    let rows: Vec<[String; 4]> = rows.into_iter().map(|(_, r)| r).collect();
    grid(HEADER, &rows, width, out)?;

    // Without `--files` the recorded files are only those packages own; listing them would bury
    // the packages.
    if !sbom.files_partial {
        binaries(sbom, width, out)?;
    }

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

/// Files with ELF facts: where they are, what they are, who owns them.
fn binaries(sbom: &Sbom, width: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
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
    writeln!(out)?;
    grid(
        ["FILE", "ELF TYPE", "LINKAGE", "RELRO", "OWNER"],
        &rows,
        width,
        out,
    )?;
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

    #[test]
    fn cells_are_cut_by_display_width() {
        // Each CJK character takes two columns: 日本語 is 6 wide.
        assert_eq!(cut("日本語-doc", 10), "日本語-doc");
        assert_eq!(cut("日本語-doc", 9), "日本語-d…");
        // A wide character that would straddle the edge is left out: 2 + 2 + `…` = 5 ≤ 6.
        assert_eq!(cut("日本語-doc", 6), "日本…");
        assert_eq!(cut("日本語-doc", 5), "日本…");
        assert_eq!(cut("日本語-doc", 4), "日…");
        assert_eq!(cut("日本語-doc", 6).width(), 5);
        assert_eq!(cut("abcdef", 3), "ab…");
    }

    #[test]
    fn a_fitted_table_keeps_its_columns_aligned_within_the_width() {
        let rows = [
            [
                "日本語の長いパッケージ名-doc".to_string(),
                "1.0-r0".into(),
                "apk".into(),
                "2 0123456789ab".into(),
            ],
            [
                "musl".into(),
                "1.1.22-r3".into(),
                "apk".into(),
                String::new(),
            ],
        ];
        let mut out = Vec::new();
        grid(HEADER, &rows, Some(40), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        for l in &lines {
            assert!(l.width() <= 40, "{l:?} is {} wide", l.width());
        }
        // VERSION starts at the same column on every line.
        let col = |l: &str, at: &str| l[..l.find(at).unwrap()].width();
        assert_eq!(col(lines[0], "VERSION"), col(lines[1], "1.0-r0"));
        assert_eq!(col(lines[0], "VERSION"), col(lines[2], "1.1.22-r3"));
        assert!(lines[1].contains('…'), "{text}");
        assert!(lines[2].starts_with("musl "), "{text}");

        // Without a width nothing is cut.
        let mut out = Vec::new();
        grid(HEADER, &rows, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("日本語の長いパッケージ名-doc") && !text.contains('…'));
    }
}
