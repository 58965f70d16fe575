//! License strings as packages write them, and the SPDX expressions they stand for where that is
//! certain. A string is never guessed into an expression: `MIT BSD GPL2+` stays raw.

use crate::model::License;

/// Parsing that accepts what package metadata commonly writes and still means exactly one thing:
/// deprecated ids (`GPL-2.0`), `+` on GNU ids, `/` for OR and lower-case operators. Imprecise
/// names (`BSD`, `apache`) are refused, because the version they would get is a guess.
const LENIENT: spdx::ParseMode = spdx::ParseMode {
    allow_slash_as_or_operator: true,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

/// The SPDX expression for `raw`, written in canonical form (`GPL-2.0+` → `GPL-2.0-or-later`), or
/// `None` when it is not one.
pub fn spdx_expression(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    spdx::Expression::parse_mode(raw, LENIENT).ok()?;
    let canonical = match spdx::Expression::canonicalize(raw) {
        Ok(Some(c)) => c,
        Ok(None) => raw.to_string(),
        Err(_) => return None,
    };
    spdx::Expression::parse(&canonical).ok()?;
    Some(canonical)
}

/// A license as written, with its SPDX form where it has one.
pub fn from_raw(raw: &str) -> License {
    License {
        raw: raw.to_string(),
        spdx: spdx_expression(raw),
    }
}

/// Maps a Debian copyright-format short name (`GPL-2+`, `Expat`, `BSD-3-clause`, `public-domain`) or
/// a Debian license expression (`GPL-2+ or Artistic`) to SPDX.
pub fn from_debian(raw: &str) -> License {
    License {
        raw: raw.to_string(),
        spdx: debian_expression(raw),
    }
}

fn debian_expression(raw: &str) -> Option<String> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    // Operands separated by `and` / `or`; a trailing comma on an operand only groups, as in
    // `GPL-2+, and LGPL-2+`.
    let mut out: Vec<String> = Vec::new();
    let mut expect_operand = true;
    for w in words {
        let lw = w.to_ascii_lowercase();
        if expect_operand {
            out.push(debian_short_name(w.trim_end_matches(','))?);
            expect_operand = false;
        } else if lw == "or" || lw == "and" {
            out.push(lw.to_ascii_uppercase());
            expect_operand = true;
        } else {
            return None; // `with ... exception` and prose: keep raw
        }
    }
    if expect_operand {
        return None;
    }
    let expr = out.join(" ");
    spdx::Expression::parse(&expr).ok()?;
    Some(expr)
}

/// One Debian short name to an SPDX id.
fn debian_short_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let fixed = match lower.as_str() {
        "expat" => Some("MIT"),
        "public-domain" | "public_domain" | "pd" => Some("LicenseRef-public-domain"),
        "artistic" | "artistic-1" | "artistic-1.0" => Some("Artistic-1.0-Perl"),
        "artistic-2" | "artistic-2.0" => Some("Artistic-2.0"),
        "bsd-2-clause" => Some("BSD-2-Clause"),
        "bsd-3-clause" => Some("BSD-3-Clause"),
        "bsd-4-clause" => Some("BSD-4-Clause"),
        "zlib" => Some("Zlib"),
        "isc" => Some("ISC"),
        "mit" => Some("MIT"),
        "apache-2" | "apache-2.0" => Some("Apache-2.0"),
        "mpl-1.1" => Some("MPL-1.1"),
        "mpl-2" | "mpl-2.0" => Some("MPL-2.0"),
        "cc0" | "cc0-1.0" => Some("CC0-1.0"),
        "psf-2" | "python-2.0" => Some("Python-2.0"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.to_string());
    }
    if let Some(gnu) = gnu_name(name) {
        return Some(gnu);
    }
    // Names that already are SPDX ids (Debian uses many of them as they are).
    let id = spdx::license_id(name)?;
    if name.ends_with('+') || id.is_deprecated() {
        return None;
    }
    Some(id.name.to_string())
}

/// `GPL-2`, `GPL-2+`, `LGPL-2.1+`, `AGPL-3`, `GFDL-1.3+` → the `-only` / `-or-later` ids.
fn gnu_name(name: &str) -> Option<String> {
    let (base, version) = name.split_once('-')?;
    let base = match base.to_ascii_uppercase().as_str() {
        b @ ("GPL" | "LGPL" | "AGPL" | "GFDL") => b.to_string(),
        _ => return None,
    };
    let (version, later) = match version.strip_suffix('+') {
        Some(v) => (v, true),
        None => (version, false),
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let version = if version.contains('.') {
        version.to_string()
    } else {
        format!("{version}.0")
    };
    let id = format!(
        "{base}-{version}-{}",
        if later { "or-later" } else { "only" }
    );
    spdx::license_id(&id).map(|l| l.name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apk_strings() {
        assert_eq!(spdx_expression("MIT BSD GPL2+"), None);
        assert_eq!(
            spdx_expression("GPL-2.0-only").as_deref(),
            Some("GPL-2.0-only")
        );
        assert_eq!(spdx_expression("GPL-2.0").as_deref(), Some("GPL-2.0-only"));
        assert_eq!(
            spdx_expression("GPL-2.0+ and MIT").as_deref(),
            Some("GPL-2.0-or-later AND MIT")
        );
        assert_eq!(
            spdx_expression("MPL-2.0 AND MIT").as_deref(),
            Some("MPL-2.0 AND MIT")
        );
        assert_eq!(
            spdx_expression("MIT/Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(spdx_expression("BSD"), None);
        assert_eq!(spdx_expression("mit"), None);
        assert_eq!(spdx_expression(""), None);
        assert_eq!(spdx_expression("(MIT"), None);
    }

    #[test]
    fn debian_names() {
        let m = |s: &str| from_debian(s).spdx;
        assert_eq!(m("GPL-2+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(m("GPL-2").as_deref(), Some("GPL-2.0-only"));
        assert_eq!(m("LGPL-2.1+").as_deref(), Some("LGPL-2.1-or-later"));
        assert_eq!(m("LGPL-2.1").as_deref(), Some("LGPL-2.1-only"));
        assert_eq!(m("BSD-3-clause").as_deref(), Some("BSD-3-Clause"));
        assert_eq!(m("Expat").as_deref(), Some("MIT"));
        assert_eq!(
            m("public-domain").as_deref(),
            Some("LicenseRef-public-domain")
        );
        assert_eq!(
            m("GPL-1+ or Artistic").as_deref(),
            Some("GPL-1.0-or-later OR Artistic-1.0-Perl")
        );
        assert_eq!(m("Apache-2.0").as_deref(), Some("Apache-2.0"));
        assert_eq!(m("GPL-2+ with OpenSSL exception"), None);
        assert_eq!(m("permissive"), None);
        assert_eq!(m("GPL-9"), None);
        assert_eq!(m("GPL-2 or"), None);
        assert_eq!(from_debian("permissive").raw, "permissive");
    }
}
