//! The report for people: a header naming both subjects, the changes as a table (plain columns
//! or Markdown), the ambiguous matches, the posture changes and the counts.

use std::fmt::Write;

use super::{Change, LayerRef, Report, Side, Version};

/// Plain columns or a Markdown table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Table,
    Markdown,
}

/// `1 sha256:bfe26bc3cfe9` (index and short digest), `unknown` when the side does not say.
pub fn layer(l: Option<&LayerRef>) -> String {
    let Some(l) = l else {
        return "unknown".into();
    };
    let short = l.digest.as_deref().map(|d| {
        let hex = d.strip_prefix("sha256:").unwrap_or(d);
        hex.get(..12).unwrap_or(hex).to_string()
    });
    match (l.index, short) {
        (Some(i), Some(d)) => format!("{i} {d}"),
        (Some(i), None) => i.to_string(),
        (None, Some(d)) => d,
        (None, None) => "unknown".into(),
    }
}

fn side_lines(o: &mut String, label: &str, s: &Side, style: Style) {
    let bullet = match style {
        Style::Table => "",
        Style::Markdown => "- ",
    };
    // An image's version is its tag, already in its name.
    let version = match s.version.as_deref() {
        Some(v) if !s.name.ends_with(&format!(":{v}")) => format!(" {v}"),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "{bullet}{label} {} ({}, {}{version}, read as {}, {} packages)",
        s.source, s.kind, s.name, s.read_as, s.packages
    );
    let nested = match style {
        Style::Table => "  ",
        Style::Markdown => "  - ",
    };
    for (role, d) in &s.digests {
        let _ = writeln!(o, "{nested}{role}: {d}");
    }
}

fn version(v: Option<&Version>) -> &str {
    v.map_or("-", |v| v.version.as_str())
}

fn row(c: &Change) -> [String; 6] {
    // The layer of what is there now; a removed package's of where it was.
    let l = c
        .new
        .as_ref()
        .or(c.old.as_ref())
        .and_then(|v| v.layer.as_ref());
    [
        c.ecosystem.clone(),
        c.name.clone(),
        c.change.name().to_string(),
        version(c.old.as_ref()).to_string(),
        version(c.new.as_ref()).to_string(),
        layer(l),
    ]
}

fn table(o: &mut String, head: [&str; 6], rows: &[[String; 6]], style: Style) {
    match style {
        Style::Markdown => {
            let _ = writeln!(o, "| {} |", head.join(" | "));
            let _ = writeln!(o, "|{}", "---|".repeat(head.len()));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
                let _ = writeln!(o, "| {} |", cells.join(" | "));
            }
        }
        Style::Table => {
            let mut width = head.map(str::len);
            for r in rows {
                for (w, c) in width.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                let mut s = String::new();
                for (i, c) in cells.iter().enumerate() {
                    if i + 1 == cells.len() {
                        s.push_str(c);
                    } else {
                        let _ = write!(s, "{c:<w$}  ", w = width[i]);
                    }
                }
                s
            };
            let _ = writeln!(o, "{}", line(head.to_vec()));
            for r in rows {
                let _ = writeln!(o, "{}", line(r.iter().map(String::as_str).collect()));
            }
        }
    }
}

pub fn render(r: &Report, style: Style) -> String {
    let mut o = String::new();
    if style == Style::Markdown {
        let _ = writeln!(o, "## sbomkit diff\n");
    }
    side_lines(&mut o, "OLD", &r.old, style);
    side_lines(&mut o, "NEW", &r.new, style);
    let _ = writeln!(o);
    if r.changes.is_empty() {
        let _ = writeln!(o, "No package changes.");
    } else {
        let rows: Vec<[String; 6]> = r.changes.iter().map(row).collect();
        table(
            &mut o,
            ["ECOSYSTEM", "PACKAGE", "CHANGE", "OLD", "NEW", "LAYER"],
            &rows,
            style,
        );
    }
    for c in r.changes.iter().filter(|c| c.reason.is_some()) {
        let _ = writeln!(
            o,
            "note: {} {}: {}",
            c.ecosystem,
            c.name,
            c.reason.as_deref().unwrap_or("")
        );
    }
    if !r.ambiguous.is_empty() {
        let _ = writeln!(
            o,
            "\nAmbiguous (several candidates on both sides, not paired):"
        );
        for a in &r.ambiguous {
            let list = |v: &[Version]| {
                v.iter()
                    .map(|x| format!("{} (layer {})", x.version, layer(x.layer.as_ref())))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(o, "  {}: old {}; new {}", a.key, list(&a.old), list(&a.new));
        }
    }
    if let Some(p) = &r.posture {
        let _ = writeln!(o, "\nPosture:");
        if let Some(u) = &p.user {
            let show = |u: &Option<crate::posture::User>| match u {
                Some(u) => format!(
                    "`{}` uid={}{}",
                    u.configured,
                    u.uid.map_or("?".into(), |n| n.to_string()),
                    if u.root { " ROOT" } else { "" }
                ),
                None => "(no image config)".into(),
            };
            let _ = writeln!(o, "  user: {} → {}", show(&u.old), show(&u.new));
        }
        for (sign, list) in [("+", &p.appeared), ("-", &p.disappeared)] {
            for f in list {
                let at = f.layer.map(|l| format!(" (layer {l})")).unwrap_or_default();
                // Hardening findings say no more than their rule.
                let detail = match f.detail == f.rule {
                    true => String::new(),
                    false => format!(": {}", f.detail),
                };
                let _ = writeln!(
                    o,
                    "  {sign} {} {}{at}{detail}",
                    f.rule,
                    f.path.as_deref().unwrap_or("(config)"),
                );
            }
        }
        if p.user.is_none() && p.appeared.is_empty() && p.disappeared.is_empty() {
            let _ = writeln!(o, "  no changes");
        }
    }
    let s = &r.summary;
    let _ = writeln!(
        o,
        "\n{} added, {} removed, {} upgraded, {} downgraded, {} changed, {} ambiguous, {} unchanged",
        s.added, s.removed, s.upgraded, s.downgraded, s.changed, s.ambiguous, s.unchanged
    );
    if !r.tripped.is_empty() {
        let names: Vec<&str> = r.tripped.iter().map(|t| t.name()).collect();
        let _ = writeln!(o, "--fail-on tripped: {}", names.join(", "));
    }
    o
}
