//! Version order per ecosystem, for telling an upgrade from a downgrade. Each scheme follows its
//! ecosystem's own rules; a version a scheme cannot parse gives no order (the change is reported
//! as "changed", never guessed as up or down).

use std::cmp::Ordering;

/// The version schemes `diff` orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// deb-version(7).
    Dpkg,
    /// apk-tools' `apk_version_compare`.
    Apk,
    /// rpm's `rpmvercmp` on epoch, version and release.
    Rpm,
    /// Semantic Versioning 2.0.0 (npm, cargo, Go modules with their `v`).
    Semver,
    /// PEP 440 (Python).
    Pep440,
    /// Maven's `ComparableVersion`.
    Maven,
}

impl Scheme {
    pub const ALL: [Scheme; 6] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Maven,
    ];

    /// The scheme of a purl type, if one is known.
    pub fn for_type(purl_type: &str) -> Option<Scheme> {
        Some(match purl_type {
            "deb" => Scheme::Dpkg,
            "apk" => Scheme::Apk,
            "rpm" => Scheme::Rpm,
            "npm" | "cargo" | "golang" => Scheme::Semver,
            "pypi" => Scheme::Pep440,
            "maven" => Scheme::Maven,
            _ => return None,
        })
    }

    /// `a` against `b`; `None` when either is not a version of this scheme.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Dpkg => dpkg(a, b),
            Scheme::Apk => Some(apk_tokens(a)?.cmp_with(&apk_tokens(b)?)),
            Scheme::Rpm => rpm(a, b),
            Scheme::Semver => Some(Semver::parse(a)?.cmp(&Semver::parse(b)?)),
            Scheme::Pep440 => Some(Pep440::parse(a)?.cmp(&Pep440::parse(b)?)),
            Scheme::Maven => Some(maven(a).cmp_list(&maven(b))),
        }
    }
}

// ---- dpkg ----

fn dpkg_valid(v: &str) -> bool {
    let rest = match v.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => r,
        Some(_) => return false,
        None => v,
    };
    rest.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+-~:".contains(&b))
}

fn dpkg(a: &str, b: &str) -> Option<Ordering> {
    (dpkg_valid(a) && dpkg_valid(b)).then(|| crate::catalog::version::compare(a, b))
}

// ---- rpm ----

fn rpm(a: &str, b: &str) -> Option<Ordering> {
    let ok = |v: &str| {
        !v.is_empty()
            && v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"._+~^:-".contains(&c))
    };
    if !ok(a) || !ok(b) {
        return None;
    }
    let split = |v: &str| -> Option<(u64, String, Option<String>)> {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) => (e.parse().ok()?, r),
            None => (0, v),
        };
        Some(match rest.rsplit_once('-') {
            Some((v, r)) => (epoch, v.to_string(), Some(r.to_string())),
            None => (epoch, rest.to_string(), None),
        })
    };
    let (ea, va, ra) = split(a)?;
    let (eb, vb, rb) = split(b)?;
    use crate::catalog::rpm::rpmvercmp;
    let ord = ea.cmp(&eb).then_with(|| rpmvercmp(&va, &vb));
    match (ra, rb) {
        (Some(x), Some(y)) => Some(ord.then_with(|| rpmvercmp(&x, &y))),
        (None, None) => Some(ord),
        // A release on one side only: the versions decide, or nothing does.
        _ => (ord != Ordering::Equal).then_some(ord),
    }
}

// ---- apk ----

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A number; `fraction` when it follows a dot and has a leading zero (compared as text).
    Digit {
        text: String,
        fraction: bool,
    },
    Letter(u8),
    /// A suffix: negative before the release (`_alpha` … `_rc`), positive after (`_cvs` … `_p`).
    Suffix(i32),
    SuffixNo(String),
    Revision(String),
}

impl Tok {
    /// The token's class in apk-tools' order (digit < letter < suffix < suffix number <
    /// revision < end).
    fn class(&self) -> u8 {
        match self {
            Tok::Digit { .. } => 1,
            Tok::Letter(_) => 2,
            Tok::Suffix(_) => 3,
            Tok::SuffixNo(_) => 4,
            Tok::Revision(_) => 5,
        }
    }
}

const APK_PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const APK_POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

fn numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

struct ApkVersion(Vec<Tok>);

/// `1.2.3a_rc1_p2-r4`, per apk-tools' `get_token`: numbers separated by dots, one optional
/// letter, suffixes each with an optional number, an optional `-rN`.
fn apk_tokens(v: &str) -> Option<ApkVersion> {
    let s = v.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        (start < *i).then(|| v[start..*i].to_string())
    };
    // Release numbers.
    let first = digits(&mut i)?;
    out.push(Tok::Digit {
        text: first,
        fraction: false,
    });
    while i < s.len() && s[i] == b'.' {
        i += 1;
        let n = digits(&mut i)?;
        out.push(Tok::Digit {
            fraction: n.len() > 1 && n.starts_with('0'),
            text: n,
        });
    }
    if i < s.len() && s[i].is_ascii_lowercase() {
        out.push(Tok::Letter(s[i]));
        i += 1;
    }
    while i < s.len() && s[i] == b'_' {
        i += 1;
        let start = i;
        while i < s.len() && s[i].is_ascii_lowercase() {
            i += 1;
        }
        let word = &v[start..i];
        let rank = if let Some(p) = APK_PRE.iter().position(|w| *w == word) {
            p as i32 - APK_PRE.len() as i32
        } else {
            APK_POST.iter().position(|w| *w == word)? as i32 + 1
        };
        out.push(Tok::Suffix(rank));
        if let Some(n) = digits(&mut i) {
            out.push(Tok::SuffixNo(n));
        }
    }
    if i + 1 < s.len() && s[i] == b'-' && s[i + 1] == b'r' {
        i += 2;
        out.push(Tok::Revision(digits(&mut i)?));
    }
    (i == s.len()).then_some(ApkVersion(out))
}

impl ApkVersion {
    fn cmp_with(&self, other: &ApkVersion) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        for k in 0..a.len().max(b.len()) {
            match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) if x.class() == y.class() => {
                    let ord = match (x, y) {
                        (
                            Tok::Digit {
                                text: p,
                                fraction: fp,
                            },
                            Tok::Digit {
                                text: q,
                                fraction: fq,
                            },
                        ) => match *fp || *fq {
                            true => p.cmp(q),
                            false => numeric(p, q),
                        },
                        (Tok::Letter(p), Tok::Letter(q)) => p.cmp(q),
                        (Tok::Suffix(p), Tok::Suffix(q)) => p.cmp(q),
                        (Tok::SuffixNo(p), Tok::SuffixNo(q))
                        | (Tok::Revision(p), Tok::Revision(q)) => numeric(p, q),
                        _ => Ordering::Equal,
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                // Equal so far: a pre-release suffix makes its side older; otherwise the side
                // whose next token comes earlier in the class order is the newer one.
                (x, y) => {
                    if let Some(Tok::Suffix(r)) = x {
                        if *r < 0 {
                            return Ordering::Less;
                        }
                    }
                    if let Some(Tok::Suffix(r)) = y {
                        if *r < 0 {
                            return Ordering::Greater;
                        }
                    }
                    let cx = x.map_or(6, Tok::class);
                    let cy = y.map_or(6, Tok::class);
                    return cy.cmp(&cx);
                }
            }
        }
        Ordering::Equal
    }
}

// ---- semver ----

#[derive(Debug, PartialEq, Eq)]
enum Ident {
    Num(String),
    Alpha(String),
}

#[derive(Debug, PartialEq, Eq)]
struct Semver {
    core: [String; 3],
    pre: Vec<Ident>,
}

impl Semver {
    /// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`, with the `v` Go module versions carry; build
    /// metadata (`+incompatible`) takes no part in the order.
    fn parse(v: &str) -> Option<Semver> {
        let v = v.strip_prefix('v').unwrap_or(v);
        let v = v.split_once('+').map_or(v, |(v, build)| {
            // A build part must be well-formed, though it does not order.
            match build
                .split('.')
                .all(|i| !i.is_empty() && i.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
            {
                true => v,
                false => "",
            }
        });
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.len() != 3 {
            return None;
        }
        let num_ok = |n: &str| {
            !n.is_empty()
                && n.bytes().all(|c| c.is_ascii_digit())
                && (n == "0" || !n.starts_with('0'))
        };
        if !nums.iter().all(|n| num_ok(n)) {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => p
                .split('.')
                .map(|i| {
                    if i.is_empty() || !i.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                        None
                    } else if i.bytes().all(|c| c.is_ascii_digit()) {
                        num_ok(i).then(|| Ident::Num(i.to_string()))
                    } else {
                        Some(Ident::Alpha(i.to_string()))
                    }
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(Semver {
            core: [nums[0].into(), nums[1].into(), nums[2].into()],
            pre,
        })
    }
}

impl Ord for Semver {
    fn cmp(&self, o: &Semver) -> Ordering {
        for (a, b) in self.core.iter().zip(&o.core) {
            let ord = numeric(a, b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&o.pre) {
            let ord = match (a, b) {
                (Ident::Num(x), Ident::Num(y)) => numeric(x, y),
                (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
                (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
                (Ident::Alpha(x), Ident::Alpha(y)) => x.cmp(y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.pre.len().cmp(&o.pre.len())
    }
}

impl PartialOrd for Semver {
    fn partial_cmp(&self, o: &Semver) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

// ---- PEP 440 ----

/// A local segment: numbers sort after words (`packaging`'s rule).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Word(String),
    Num(u128),
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pep440 {
    epoch: u128,
    release: Vec<u128>,
    /// `(0, -, -)` a dev release without pre/post (first), `(1, kind, n)` a pre-release, `(2, -, -)`
    /// none.
    pre: (u8, u8, u128),
    /// `None` sorts first: no post-release.
    post: Option<u128>,
    /// `(0, n)` a dev release, `(1, 0)` none.
    dev: (u8, u128),
    /// `None` first: no local part.
    local: Option<Vec<Local>>,
}

impl Pep440 {
    /// The PEP 440 grammar with its normalisations (case, `alpha`/`beta`/`c`/`pre`/`preview`,
    /// `rev`/`r`, `-N` as post, separators `.`, `-`, `_` or none, a leading `v`).
    fn parse(v: &str) -> Option<Pep440> {
        let v = v.trim().to_ascii_lowercase();
        let v = v.strip_prefix('v').unwrap_or(&v);
        let (public, local) = match v.split_once('+') {
            Some((p, l)) => (p, Some(l)),
            None => (v, None),
        };
        let s = public.as_bytes();
        let mut i = 0;
        let num = |i: &mut usize| -> Option<u128> {
            let start = *i;
            while *i < s.len() && s[*i].is_ascii_digit() {
                *i += 1;
            }
            public[start..*i].parse().ok()
        };
        let mut epoch = 0;
        let mut release = vec![num(&mut i)?];
        if i < s.len() && s[i] == b'!' {
            i += 1;
            epoch = release[0];
            release = vec![num(&mut i)?];
        }
        while i + 1 < s.len() && s[i] == b'.' && s[i + 1].is_ascii_digit() {
            i += 1;
            release.push(num(&mut i)?);
        }
        let sep = |i: &mut usize| {
            if *i < s.len() && b".-_".contains(&s[*i]) {
                *i += 1;
            }
        };
        let word = |i: &mut usize, words: &[&str]| -> Option<usize> {
            let mut best = None;
            for (k, w) in words.iter().enumerate() {
                if public[*i..].starts_with(w)
                    && best.is_none_or(|(_, l): (usize, usize)| w.len() > l)
                {
                    best = Some((k, w.len()));
                }
            }
            best.map(|(k, l)| {
                *i += l;
                k
            })
        };
        let opt_num = |i: &mut usize| -> Option<u128> {
            let save = *i;
            sep(i);
            match num(i) {
                Some(n) => Some(n),
                None => {
                    *i = save;
                    Some(0)
                }
            }
        };
        let mut pre = None;
        let save = i;
        sep(&mut i);
        const PRE: [&str; 7] = ["alpha", "a", "beta", "b", "preview", "pre", "rc"];
        const PRE_C: [&str; 1] = ["c"];
        if let Some(k) = word(&mut i, &PRE) {
            let kind = match k {
                0 | 1 => 0,
                2 | 3 => 1,
                _ => 2,
            };
            pre = Some((kind, opt_num(&mut i)?));
        } else if word(&mut i, &PRE_C).is_some() {
            pre = Some((2, opt_num(&mut i)?));
        } else {
            i = save;
        }
        let mut post = None;
        let save = i;
        if i < s.len() && s[i] == b'-' && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            post = Some(num(&mut i)?);
        } else {
            sep(&mut i);
            if word(&mut i, &["post", "rev", "r"]).is_some() {
                post = Some(opt_num(&mut i)?);
            } else {
                i = save;
            }
        }
        let mut dev = None;
        let save = i;
        sep(&mut i);
        if word(&mut i, &["dev"]).is_some() {
            dev = Some(opt_num(&mut i)?);
        } else {
            i = save;
        }
        if i != s.len() {
            return None;
        }
        let local = match local {
            None => None,
            Some(l) => Some(
                l.split(['.', '-', '_'])
                    .map(|seg| {
                        if seg.is_empty() || !seg.bytes().all(|c| c.is_ascii_alphanumeric()) {
                            None
                        } else if seg.bytes().all(|c| c.is_ascii_digit()) {
                            seg.parse().ok().map(Local::Num)
                        } else {
                            Some(Local::Word(seg.to_string()))
                        }
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let pre = match (pre, post, dev) {
            (None, None, Some(_)) => (0, 0, 0),
            (None, _, _) => (2, 0, 0),
            (Some((k, n)), _, _) => (1, k, n),
        };
        Some(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev: dev.map_or((1, 0), |n| (0, n)),
            local,
        })
    }
}

// ---- Maven ----

#[derive(Debug, Clone)]
enum Item {
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const MAVEN_QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// A qualifier's sort key: a known one by its place, any other after all of them, by its text.
fn qualifier_key(q: &str) -> String {
    match MAVEN_QUALIFIERS.iter().position(|k| *k == q) {
        Some(p) => p.to_string(),
        None => format!("{}-{q}", MAVEN_QUALIFIERS.len()),
    }
}

const RELEASE_KEY: &str = "5";

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let s = match (followed_by_digit, s) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final" | "release") => "",
        (_, "cr") => "rc",
        (_, s) => s,
    };
    Item::Str(s.to_string())
}

fn parse_item(digit: bool, s: &str) -> Item {
    match digit {
        true => Item::Int(s.trim_start_matches('0').to_string()),
        false => string_item(s, false),
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_empty(),
            Item::Str(s) => qualifier_key(s) == RELEASE_KEY,
            Item::List(l) => l.is_empty(),
        }
    }

    /// Against no item (the other version ended).
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(n) => match n.is_empty() {
                true => Ordering::Equal,
                false => Ordering::Greater,
            },
            Item::Str(s) => qualifier_key(s).as_str().cmp(RELEASE_KEY),
            Item::List(l) => l.first().map_or(Ordering::Equal, Item::cmp_null),
        }
    }

    fn cmp_item(&self, o: &Item) -> Ordering {
        match (self, o) {
            (Item::Int(a), Item::Int(b)) => numeric(a, b),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(_), Item::List(_)) => self.cmp_list(o),
        }
    }

    fn cmp_list(&self, o: &Item) -> Ordering {
        let (Item::List(a), Item::List(b)) = (self, o) else {
            return self.cmp_item(o);
        };
        for k in 0..a.len().max(b.len()) {
            let ord = match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => x.cmp_item(y),
                (Some(x), None) => x.cmp_null(),
                (None, Some(y)) => y.cmp_null().reverse(),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

/// Trailing null items (`0`, `""`, `ga`, empty lists) are dropped, from the end back to the
/// first that is not null or is a list.
fn normalize(list: &mut Vec<Item>) {
    // From the end back: nulls go, a non-null list is stepped over, anything else stops.
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Maven's `ComparableVersion` parse: `.` separates items, `-` and a change between digits and
/// letters open a sub-list.
fn maven(v: &str) -> Item {
    let v = v.to_ascii_lowercase();
    // Lists under construction: the innermost last.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let b = v.as_bytes();
    let mut digit = false;
    let mut start = 0;
    let close_all = |stack: &mut Vec<Vec<Item>>| {
        while stack.len() > 1 {
            let mut inner = stack.pop().unwrap_or_default();
            normalize(&mut inner);
            if let Some(outer) = stack.last_mut() {
                outer.push(Item::List(inner));
            }
        }
    };
    for i in 0..b.len() {
        let c = b[i];
        let top = stack.len() - 1;
        if c == b'.' || c == b'-' {
            if i == start {
                stack[top].push(Item::Int(String::new()));
            } else {
                let item = parse_item(digit, &v[start..i]);
                stack[top].push(item);
            }
            start = i + 1;
            if c == b'-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !digit && i > start {
                stack[top].push(string_item(&v[start..i], true));
                start = i;
                stack.push(Vec::new());
            }
            digit = true;
        } else {
            if digit && i > start {
                stack[top].push(parse_item(true, &v[start..i]));
                start = i;
                stack.push(Vec::new());
            }
            digit = false;
        }
    }
    if b.len() > start {
        let top = stack.len() - 1;
        let item = parse_item(digit, &v[start..]);
        stack[top].push(item);
    }
    close_all(&mut stack);
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    Item::List(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every version in `ordered` sorts strictly before every later one.
    fn ascending(scheme: Scheme, ordered: &[&str]) {
        for (i, a) in ordered.iter().enumerate() {
            for b in &ordered[i + 1..] {
                assert_eq!(scheme.compare(a, b), Some(Ordering::Less), "{a} < {b}");
                assert_eq!(scheme.compare(b, a), Some(Ordering::Greater), "{b} > {a}");
            }
            assert_eq!(scheme.compare(a, a), Some(Ordering::Equal), "{a}");
        }
    }

    fn table(scheme: Scheme, rows: &[(&str, &str, i8)]) {
        for (a, b, want) in rows {
            let want = want.cmp(&0);
            assert_eq!(scheme.compare(a, b), Some(want), "{a} vs {b}");
        }
    }

    /// deb-version(7)'s examples and dpkg's own test rows (lib/dpkg/t/t-version.c).
    #[test]
    fn dpkg_order() {
        table(
            Scheme::Dpkg,
            &[
                ("0:1.0", "1.0", 0),
                ("1.0~rc1", "1.0", -1),
                ("1:0.1", "9.9", 1),
                ("1.2.3-1", "1.2.3-1+b1", -1),
                ("252.39-1~deb12u2", "252.38-1~deb12u1", 1),
                ("1.0-1", "1.0-1~bpo1", 1),
                ("1.0~~", "1.0~", -1),
                ("1.0+dfsg", "1.0", 1),
            ],
        );
        assert_eq!(Scheme::Dpkg.compare("latest", "1.0"), None);
        assert_eq!(Scheme::Dpkg.compare("x:1.0", "1.0"), None);
    }

    /// apk-tools' test/version.data (lines of `A < B`, `A > B`, `A = B`).
    #[test]
    fn apk_order() {
        table(
            Scheme::Apk,
            &[
                ("2.34", "0.1.0_alpha", 1),
                ("0.1.0_alpha", "0.1.0_alpha", 0),
                ("0.1.0_alpha", "0.1.3_alpha", -1),
                ("0.1.0_alpha2", "0.1.0_alpha", 1),
                ("0.1.0_alpha", "0.1.0_beta", -1),
                ("0.1.0_beta", "0.1.0_pre", -1),
                ("0.1.0_pre", "0.1.0_rc", -1),
                ("0.1.0_rc", "0.1.0", -1),
                ("0.1.0", "0.1.0_cvs", -1),
                ("0.1.0_cvs", "0.1.0_svn", -1),
                ("0.1.0_git", "0.1.0_hg", -1),
                ("0.1.0_hg", "0.1.0_p", -1),
                ("0.1.0_p1", "0.1.0_p2", -1),
                ("1.0", "1.0-r1", -1),
                ("1.0-r1", "1.0-r10", -1),
                ("1.0a", "1.0", 1),
                ("1.0a", "1.0b", -1),
                ("1.0.1", "1.0a", 1),
                ("1.0_rc1", "1.0.1", -1),
                ("1.0_p1", "1.0.1", -1),
                ("1.1.1", "1.1.1-r0", -1),
                ("1.01", "1.1", -1),
                ("1.001", "1.01", -1),
                ("2.2.0-r1", "2.2.0_rc3-r1", 1),
                ("1.2.3-r100", "1.2.3-r99", 1),
                ("7.62.0-r0", "7.61.1-r3", 1),
                // More rows of test/version.data: leading zeros, letters, dates, `_p`, `_pre`.
                ("1.06-r6", "006", -1),
                ("3.0.0-r2", "021109-r3", -1),
                ("20060720", "3.0.20060720", 1),
                ("2.5.1-r8", "2.5.1a-r1", -1),
                ("0.15.1b-r2", "0.15.1b", 1),
                ("2.10.1", "02.08.01b", 1),
                ("3.81", "1.6d", 1),
                ("0.9.8c-r1", "0.9.8d", -1),
                ("1.8.5", "1.8.5_p2", -1),
                ("1.6.8_p12-r1", "1.6.8_p9-r2", 1),
                ("0.9.28.1", "087-r1", -1),
                ("20040406-r1", "2.12r-r4", 1),
                ("0.1.0_alpha_pre2", "0.1.0_alpha", -1),
                (
                    "1.0.0_pre20191002222144-r0",
                    "1.0.0_pre20210530193627-r0",
                    -1,
                ),
                ("0.59s-r11", "0.65", -1),
            ],
        );
        for bad in ["", "a1", "1..2", "1.0_foo", "1.0-x", "1.0 "] {
            assert_eq!(Scheme::Apk.compare(bad, "1.0"), None, "{bad:?}");
        }
    }

    /// rpm's tests/rpmvercmp.at, with epochs and releases as `rpmVersionCompare` takes them.
    #[test]
    fn rpm_order() {
        table(
            Scheme::Rpm,
            &[
                ("1.0", "1.0", 0),
                ("1.0", "2.0", -1),
                ("2.0.1", "2.0", 1),
                ("2.0.1a", "2.0.1", 1),
                ("5.5p1", "5.5p2", -1),
                ("5.5p10", "5.5p1", 1),
                ("10xyz", "10.1xyz", -1),
                ("xyz10", "xyz10.1", -1),
                ("xyz.4", "8", -1),
                ("6.0.rc1", "6.0", 1),
                ("10b2", "10a1", 1),
                ("1.0aa", "1.0a", 1),
                ("10.0001", "10.1", 0),
                ("10.0001", "10.0039", -1),
                ("4.999.9", "5.0", -1),
                ("20101121", "20101122", -1),
                ("2_0", "2.0", 0),
                ("1.0~rc1", "1.0", -1),
                ("1.0~rc1", "1.0~rc2", -1),
                ("1.0~rc1~git123", "1.0~rc1", -1),
                ("1.0^", "1.0", 1),
                ("1.0^git1", "1.0^git2", -1),
                ("1.0^git1", "1.01", -1),
                ("1.0^20160101", "1.0.1", -1),
                ("1.0~rc1^git1", "1.0~rc1", 1),
                ("1.0^git1~pre", "1.0^git1", -1),
                ("1:1.0-1", "2.0-1", 1),
                ("2.0-1", "2.0-2", -1),
                ("2.0-1.el7", "2.0-1.el7_9", -1),
            ],
        );
        assert_eq!(Scheme::Rpm.compare("1.0 beta", "1.0"), None);
        assert_eq!(Scheme::Rpm.compare("x:1.0", "1.0"), None);
        assert_eq!(Scheme::Rpm.compare("4.2.46-31.el7", "4.2.46"), None);
        assert_eq!(
            Scheme::Rpm.compare("4.2.46-31.el7", "4.2.47"),
            Some(Ordering::Less)
        );
    }

    /// semver.org §11's precedence example, and Go's module versions (go.dev/ref/mod:
    /// pseudo-versions sort before the release they precede and after the one they follow).
    #[test]
    fn semver_order() {
        ascending(
            Scheme::Semver,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "2.0.0",
                "2.1.0",
                "2.1.1",
            ],
        );
        ascending(
            Scheme::Semver,
            &[
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-abcdefabcdef",
                "v1.2.3",
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.4",
            ],
        );
        table(
            Scheme::Semver,
            &[
                ("1.0.0+build.1", "1.0.0", 0),
                ("v2.0.0+incompatible", "v1.9.9", 1),
            ],
        );
        for bad in ["1.0", "01.0.0", "1.0.0-", "1.0.0-01", "(devel)", "1.0.0+"] {
            assert_eq!(Scheme::Semver.compare(bad, "1.0.0"), None, "{bad}");
        }
    }

    /// packaging's tests/test_version.py `VERSIONS`, already in PEP 440 order.
    #[test]
    fn pep440_order() {
        ascending(
            Scheme::Pep440,
            &[
                "1.0.dev456",
                "1.0a1",
                "1.0a2.dev456",
                "1.0a12.dev456",
                "1.0a12",
                "1.0b1.dev456",
                "1.0b2",
                "1.0b2.post345.dev456",
                "1.0b2.post345",
                "1.0b2-346",
                "1.0c1.dev456",
                "1.0c1",
                "1.0rc2",
                "1.0c3",
                "1.0",
                "1.0.post456.dev34",
                "1.0.post456",
                "1.1.dev1",
                "1.2+123abc",
                "1.2+123abc456",
                "1.2+abc",
                "1.2+abc123",
                "1.2+abc123def",
                "1.2+1234.abc",
                "1.2+123456",
                "1.2.r32+123456",
                "1.2.rev33+123456",
                "1!1.0b2.post345.dev456",
                "1!1.0b2.post345",
                "1!1.0",
                "1!1.0.post456",
                "1!1.2.rev33+123456",
            ],
        );
        table(
            Scheme::Pep440,
            &[
                ("1.0", "1.0.0", 0),
                ("1.0-alpha1", "1.0a1", 0),
                ("1.0.PREVIEW-2", "1.0rc2", 0),
                ("v1.0", "1.0", 0),
                ("1.0-r4", "1.0.post4", 0),
            ],
        );
        for bad in ["1.0+", "french toast", "1.0.x", "1!"] {
            assert_eq!(Scheme::Pep440.compare(bad, "1.0"), None, "{bad}");
        }
    }

    /// maven-artifact's ComparableVersionTest: `VERSIONS_QUALIFIER`, `VERSIONS_NUMBER` in order,
    /// and its equalities.
    #[test]
    fn maven_order() {
        ascending(
            Scheme::Maven,
            &[
                "1-alpha2snapshot",
                "1-alpha2",
                "1-alpha-123",
                "1-beta-2",
                "1-beta123",
                "1-m2",
                "1-m11",
                "1-rc",
                "1-cr2",
                "1-rc123",
                "1-SNAPSHOT",
                "1",
                "1-sp",
                "1-sp2",
                "1-sp123",
                "1-abc",
                "1-def",
                "1-pom-1",
                "1-1-snapshot",
                "1-1",
                "1-2",
                "1-123",
            ],
        );
        ascending(
            Scheme::Maven,
            &[
                "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b",
                "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11",
                "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m",
            ],
        );
        for group in [
            &[
                "1", "1.0", "1.0.0", "1-0", "1.0-0", "1ga", "1-ga", "1.ga", "1final", "1release",
            ][..],
            &["1a1", "1-a1", "1alpha-1", "1-alpha-1"],
            &["1cr", "1rc"],
            &["1m3", "1-m3", "1milestone3"],
        ] {
            for a in group {
                for b in group {
                    assert_eq!(
                        Scheme::Maven.compare(a, b),
                        Some(Ordering::Equal),
                        "{a} = {b}"
                    );
                }
            }
        }
    }

    /// Hostile strings parse to no order or some order, never a panic.
    #[test]
    fn any_bytes_are_safe() {
        let odd = [
            "", "é", "1é", "1.é", "1-é", "1_é", "1.0-ré", "%", "1!é", "1+é", "é1", "1.0.0-é",
        ];
        for scheme in Scheme::ALL {
            for a in odd {
                for b in odd {
                    let _ = scheme.compare(a, b);
                }
            }
        }
    }

    #[test]
    fn unknown_types_have_no_order() {
        assert_eq!(Scheme::for_type("generic"), None);
        assert_eq!(Scheme::for_type("golang"), Some(Scheme::Semver));
    }
}
