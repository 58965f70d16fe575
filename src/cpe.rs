//! CPE 2.3 names in the formatted-string binding (NISTIR 7695).
//!
//! Only CPEs with a known vendor, product and version are made: a name of wildcards matches every
//! vulnerability and helps nobody.

/// `cpe:2.3:a:VENDOR:PRODUCT:VERSION:*:*:*:*:*:*:*` for an application package, or `None` when one of
/// the three is empty.
pub fn application(vendor: &str, product: &str, version: &str) -> Option<String> {
    formatted('a', vendor, product, version)
}

/// `cpe:2.3:o:VENDOR:PRODUCT:VERSION:*:*:*:*:*:*:*` for an operating system.
pub fn operating_system(vendor: &str, product: &str, version: &str) -> Option<String> {
    formatted('o', vendor, product, version)
}

fn formatted(part: char, vendor: &str, product: &str, version: &str) -> Option<String> {
    let (v, p, ver) = (escape(vendor), escape(product), escape(version));
    if v.is_empty() || p.is_empty() || ver.is_empty() {
        return None;
    }
    Some(format!("cpe:2.3:{part}:{v}:{p}:{ver}:*:*:*:*:*:*:*"))
}

/// Escapes one attribute value for the formatted string: lower-cased, whitespace to `_`, and every
/// character other than letters, digits, `_`, `-` and `.` quoted with a backslash (so `+`, `:`, `~`,
/// `*` and `?` are literal, never wildcards).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.trim().chars() {
        if c.is_whitespace() {
            out.push('_');
        } else if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_graphic() {
            out.push('\\');
            out.push(c);
        } else {
            // Non-ASCII is not allowed in a CPE value: drop it rather than make an invalid name.
        }
    }
    out
}

/// Converts an os-release `CPE_NAME` to a CPE 2.3 formatted string. Accepts a CPE 2.2 URI
/// (`cpe:/o:debian:debian_linux:12`, percent-encoded, with packed editions) or a 2.3 string, which
/// is returned as it is when it has all thirteen parts.
pub fn from_cpe_name(name: &str) -> Option<String> {
    let name = name.trim();
    if let Some(rest) = name.strip_prefix("cpe:2.3:") {
        let parts = split_formatted(rest);
        return (parts == 11).then(|| name.to_string());
    }
    let rest = name
        .strip_prefix("cpe:/")
        .or_else(|| name.strip_prefix("CPE:/"))?;
    let mut fields: Vec<String> = rest.split(':').map(uri_decode).collect::<Option<_>>()?;
    if fields.len() > 7 || fields.is_empty() {
        return None;
    }
    let part = fields.first()?.clone();
    if !matches!(part.as_str(), "a" | "o" | "h") {
        return None;
    }
    fields.resize(7, String::new());
    // URI order: part vendor product version update edition language; 2.2 packs sw_edition,
    // target_sw, target_hw and other into edition as `~edition~sw~tsw~thw~other`.
    let mut ext = vec![String::new(); 4];
    let edition = fields[5].clone();
    if let Some(packed) = edition.strip_prefix('~') {
        let packed: Vec<&str> = packed.split('~').collect();
        if packed.len() != 5 {
            return None;
        }
        fields[5] = packed[0].to_string();
        for (slot, v) in ext.iter_mut().zip(&packed[1..]) {
            *slot = v.to_string();
        }
    }
    let attr = |v: &str| -> String {
        match v {
            "" => "*".to_string(),
            "-" => "-".to_string(),
            v => escape(v),
        }
    };
    let mut out = format!("cpe:2.3:{part}");
    for v in fields[1..].iter().chain(&ext) {
        let a = attr(v);
        if a.is_empty() {
            return None;
        }
        out.push(':');
        out.push_str(&a);
    }
    let mut vp = out.split(':').skip(3);
    if vp.next() == Some("*") || vp.next() == Some("*") {
        return None; // a vendor and a product are the least a useful name has
    }
    Some(out)
}

/// Counts the colon-separated parts of a formatted string after `cpe:2.3:`, honouring `\:` escapes.
fn split_formatted(rest: &str) -> usize {
    let mut n = 1;
    let mut escaped = false;
    for c in rest.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, ':') => n += 1,
            _ => {}
        }
    }
    n
}

fn uri_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_escapes_specials() {
        assert_eq!(
            application("debian", "libc6", "2.36-9+deb12u4").as_deref(),
            Some("cpe:2.3:a:debian:libc6:2.36-9\\+deb12u4:*:*:*:*:*:*:*")
        );
        assert_eq!(
            application("debian", "zlib1g", "1:1.2.11.dfsg-1~bpo10+1").as_deref(),
            Some("cpe:2.3:a:debian:zlib1g:1\\:1.2.11.dfsg-1\\~bpo10\\+1:*:*:*:*:*:*:*")
        );
        assert_eq!(
            application("Alpine", "g++", "1*?").as_deref(),
            Some("cpe:2.3:a:alpine:g\\+\\+:1\\*\\?:*:*:*:*:*:*:*")
        );
    }

    #[test]
    fn never_a_wildcard_name() {
        assert_eq!(application("", "x", "1"), None);
        assert_eq!(application("debian", "x", ""), None);
        assert_eq!(application("debian", "ü", "1"), None);
        assert_eq!(from_cpe_name("cpe:/o::debian_linux:12"), None);
    }

    #[test]
    fn cpe22_uri_to_formatted() {
        assert_eq!(
            from_cpe_name("cpe:/o:debian:debian_linux:12").as_deref(),
            Some("cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*")
        );
        assert_eq!(
            from_cpe_name("cpe:/o:redhat:enterprise_linux:9::baseos").as_deref(),
            Some("cpe:2.3:o:redhat:enterprise_linux:9:*:baseos:*:*:*:*:*")
        );
        assert_eq!(
            from_cpe_name("cpe:/a:foo%21:bar:1.0:-:~~pro~linux~x64~").as_deref(),
            Some("cpe:2.3:a:foo\\!:bar:1.0:-:*:*:pro:linux:x64:*")
        );
        let full = "cpe:2.3:o:fedoraproject:fedora:40:*:*:*:*:*:*:*";
        assert_eq!(from_cpe_name(full).as_deref(), Some(full));
        assert_eq!(from_cpe_name("cpe:2.3:o:x"), None);
        assert_eq!(from_cpe_name("cpe:/o:a:b:%zz"), None);
        assert_eq!(from_cpe_name("nonsense"), None);
    }
}
