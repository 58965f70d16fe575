//! Debian version comparison (deb-version(7)), used to check `Depends` constraints such as
//! `libc6 (>= 2.15)` against the installed versions.

use std::cmp::Ordering;

/// Compares two Debian versions `[epoch:]upstream[-revision]`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    compare_digits(ea, eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

fn split(v: &str) -> (&str, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, r),
        _ => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// Sort weight of a non-digit character: `~` before everything, even the end; letters before
/// other characters.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // Non-digit run.
        loop {
            let ca = a.first().copied().filter(|c| !c.is_ascii_digit());
            let cb = b.first().copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let ord = weight(ca).cmp(&weight(cb));
            if ord != Ordering::Equal {
                return ord;
            }
            if ca.is_some() {
                a = &a[1..];
            }
            if cb.is_some() {
                b = &b[1..];
            }
        }
        // Digit run, compared as numbers of any length.
        let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let ord = compare_digits(
            std::str::from_utf8(&a[..da]).unwrap_or(""),
            std::str::from_utf8(&b[..db]).unwrap_or(""),
        );
        if ord != Ordering::Equal {
            return ord;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether `installed` satisfies `op wanted` (`<<`, `<=`, `=`, `>=`, `>>`, and the obsolete `<`
/// and `>`, which mean `<=` and `>=`).
pub fn satisfies(installed: &str, op: &str, wanted: &str) -> bool {
    let ord = compare(installed, wanted);
    match op {
        "<<" => ord == Ordering::Less,
        "<=" | "<" => ord != Ordering::Greater,
        "=" => ord == Ordering::Equal,
        ">=" | ">" => ord != Ordering::Less,
        ">>" => ord == Ordering::Greater,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn debian_ordering() {
        assert_eq!(compare("1.0~rc1", "1.0"), Less);
        assert_eq!(compare("1.0", "1.0+b1"), Less);
        assert_eq!(compare("1:0.1", "9.9"), Greater);
        assert_eq!(compare("2.36-9+deb12u4", "2.36-9"), Greater);
        assert_eq!(compare("1.2.3-1", "1.2.3-1"), Equal);
        assert_eq!(compare("1.10", "1.9"), Greater);
        assert_eq!(compare("1.0a", "1.0+"), Less);
        assert_eq!(compare("0001", "1"), Equal);
        assert_eq!(compare("1~", "1"), Less);
        assert_eq!(compare("1~~", "1~"), Less);
        assert_eq!(compare("99999999999999999999999", "1"), Greater);
    }

    #[test]
    fn constraints() {
        assert!(satisfies("11.22-0+deb10u2", ">=", "11.22"));
        assert!(!satisfies("1.0", ">>", "1.0"));
        assert!(satisfies("1:1.2.11.dfsg-1", ">=", "1:1.1.4"));
        assert!(satisfies("0.5", "<<", "1"));
        assert!(!satisfies("1", "!=", "1"));
    }
}
