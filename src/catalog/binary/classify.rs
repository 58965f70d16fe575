//! Binaries identified by their own bytes: a table of products (file names and the way each writes
//! its version into its read-only data) and of libraries that carry a version banner when linked
//! in statically. [`classify`] runs during the scan on the ELF files whose name a product may have
//! and keeps only what matched (a name, the versions read, the text and its offset); the cataloger
//! decides on the final image whether the file is an unowned binary worth a package.
//!
//! Versions are always read from the bytes, never inferred from a file name; a product whose
//! patterns give two different versions in one file gets none.

use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// A product a binary can be: the package it becomes when one of its patterns matches.
pub struct Product {
    /// Package name, purl name and table key (Syft's names, so that scanners read both alike).
    pub name: &'static str,
    /// The purl namespace, where Syft writes one.
    pub namespace: Option<&'static str>,
    /// File-name globs (the last path component).
    pub files: &'static [&'static str],
    /// A regex over the file name whose first group replaces `{v}` in the patterns (CPython writes
    /// only `3.11.2` between NULs: the `3.11` of `python3.11` makes that pattern specific).
    pub name_version: Option<&'static str>,
    /// Byte regexes, tried in order; the first group is the version. Each match is bounded (no
    /// unbounded repetition), so that a window overlap of [`OVERLAP`] bytes cannot cut one.
    pub patterns: &'static [&'static str],
    /// CPE vendor and product pairs, as NVD names them.
    pub cpes: &'static [(&'static str, &'static str)],
}

/// A library linked in statically, recognised by its version banner in any scanned binary.
pub struct Library {
    pub name: &'static str,
    /// Sonames (prefixes) of the library's shared objects: a binary that needs one was built
    /// against its headers (which hold the same banner) and links it dynamically.
    pub sonames: &'static [&'static str],
    pub patterns: &'static [&'static str],
    pub cpes: &'static [(&'static str, &'static str)],
}

/// Every product, in the order they are tried: the first that matches names the binary.
pub static PRODUCTS: &[Product] = &[
    Product {
        namespace: None,
        name: "python",
        files: &["python*", "libpython*.so*"],
        name_version: Some(r"^(?:lib)?python([0-9]+\.[0-9]+)"),
        patterns: &[r"\x00({v}\.[0-9]{1,3}(?:[abc]|rc)?[0-9]{0,3}\+?)\x00"],
        cpes: &[
            ("python_software_foundation", "python"),
            ("python", "python"),
        ],
    },
    Product {
        namespace: None,
        name: "node",
        files: &["node", "nodejs"],
        name_version: None,
        patterns: &[
            r"node\.js/v([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})",
            r"\x00(?:node )?v((?:0|4|5|6)\.[0-9]{1,3}\.[0-9]{1,3})\x00",
        ],
        cpes: &[("nodejs", "node.js")],
    },
    Product {
        namespace: Some("oracle"),
        name: "openjdk",
        files: &["java"],
        name_version: None,
        // The launcher: `openjdk`, `java`, the release, then the full runtime version.
        patterns: &[
            r"\x00openjdk\x00java\x00[0-9][0-9.]{0,15}\x00([0-9][0-9.]{0,20}(?:\+[^\x00]{1,60})?)\x00",
        ],
        cpes: &[("oracle", "openjdk")],
    },
    Product {
        namespace: None,
        name: "busybox",
        files: &["busybox"],
        name_version: None,
        patterns: &[r"BusyBox v([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})"],
        cpes: &[("busybox", "busybox")],
    },
    Product {
        namespace: None,
        name: "redis",
        files: &["redis-server", "redis-check-rdb", "redis-check-aof"],
        name_version: None,
        patterns: &[
            // Version, build id, dirty flag and commit, joined: `7.0.15` `1790282056` `0` `00000000`,
            // or `7.0.14` `buildkitsandbox-1702957741` `0` `00000000`.
            r"[^0-9.]([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2})(?:[\w.]{0,64}-)?[0-9]{10,19}[01][0-9a-f]{8}\x00",
            r"Redis version ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2})",
        ],
        cpes: &[("redislabs", "redis"), ("redis", "redis")],
    },
    Product {
        namespace: None,
        name: "postgresql",
        files: &["postgres", "postgresql"],
        name_version: None,
        patterns: &[
            r"[\x00?]PostgreSQL ([0-9]{1,3}(?:\.[0-9]{1,3}){0,2}(?:alpha[0-9]|beta[0-9]|rc[0-9])?)[ \x00]",
        ],
        cpes: &[("postgresql", "postgresql")],
    },
    Product {
        namespace: None,
        name: "nginx",
        files: &["nginx"],
        name_version: None,
        patterns: &[r"nginx version: [a-z]{1,20}/([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})"],
        cpes: &[("f5", "nginx"), ("nginx", "nginx")],
    },
    Product {
        namespace: None,
        name: "openssl",
        files: &["openssl"],
        name_version: None,
        patterns: &[
            r"\x00OpenSSL ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}[a-z]{0,2}(?:-alpha[0-9]|-beta[0-9])?) [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4}",
        ],
        cpes: &[("openssl", "openssl")],
    },
    Product {
        namespace: None,
        name: "perl",
        files: &["perl", "perl5*"],
        name_version: None,
        patterns: &[
            r"\x00v(5\.[0-9]{1,3}\.[0-9]{1,3})\x00",
            r"/lib/perl5/(5\.[0-9]{1,3}\.[0-9]{1,3})",
        ],
        cpes: &[("perl", "perl")],
    },
    Product {
        namespace: None,
        name: "bash",
        files: &["bash"],
        name_version: None,
        patterns: &[
            r"@\(#\)Bash version ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3})\([0-9]{1,3}\) [a-z0-9]{1,10} GNU",
        ],
        cpes: &[("gnu", "bash")],
    },
    Product {
        namespace: None,
        name: "curl",
        files: &["curl"],
        name_version: None,
        // The command's own banner (`curl 7.88.1 (x86_64-pc-linux-gnu) %s`): `libcurl/8.5.0` in a
        // statically linked curl names the library, not the command.
        patterns: &[r"\x00curl ([0-9]{1,2}\.[0-9]{1,3}\.[0-9]{1,3}(?:-DEV)?) \("],
        cpes: &[("haxx", "curl")],
    },
    Product {
        namespace: None,
        name: "httpd",
        files: &["httpd", "apache2"],
        name_version: None,
        patterns: &[r"Apache/([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3})"],
        cpes: &[("apache", "http_server")],
    },
    Product {
        namespace: None,
        name: "haproxy",
        files: &["haproxy"],
        name_version: None,
        patterns: &[
            r"version ([0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,3}|-dev[0-9]{1,3}|-rc[0-9]{1,3}))[^,\x00]{0,40}, released 20",
            r"HA-Proxy version ([0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,3}|-dev[0-9]{1,3}))",
        ],
        cpes: &[("haproxy", "haproxy")],
    },
    Product {
        namespace: None,
        name: "memcached",
        files: &["memcached"],
        name_version: None,
        patterns: &[r"memcached ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3})"],
        cpes: &[("memcached", "memcached")],
    },
    // MariaDB before MySQL: MariaDB's programs keep the MySQL names.
    Product {
        namespace: None,
        name: "mariadb",
        files: &["mariadbd", "mariadb", "mysqld", "mysql"],
        name_version: None,
        patterns: &[
            // The server version between NULs; help texts also give examples (`10.1.1-MariaDB-…`).
            r"\x00([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3})-MariaDB[\x00-]",
        ],
        cpes: &[("mariadb", "mariadb")],
    },
    Product {
        namespace: None,
        name: "mysql",
        files: &["mysqld", "mysql"],
        name_version: None,
        patterns: &[r"/mysql-([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3})(?:-rc)?/"],
        cpes: &[("oracle", "mysql")],
    },
    Product {
        namespace: None,
        name: "php-cli",
        files: &["php", "php[0-9]*"],
        name_version: None,
        patterns: &[r"X-Powered-By: PHP/([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}(?:RC[0-9])?)"],
        cpes: &[("php", "php")],
    },
    Product {
        namespace: None,
        name: "php-fpm",
        files: &["php-fpm*"],
        name_version: None,
        patterns: &[r"X-Powered-By: PHP/([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}(?:RC[0-9])?)"],
        cpes: &[("php", "php")],
    },
    Product {
        namespace: None,
        name: "ruby",
        files: &["ruby", "ruby[0-9]*", "libruby*.so*"],
        name_version: None,
        patterns: &[
            r"ruby ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}(?:p[0-9]{1,4}|preview[0-9]?|rc[0-9]?|dev)?) \([0-9]{4}-[0-9]{2}-[0-9]{2}",
        ],
        cpes: &[("ruby-lang", "ruby")],
    },
    Product {
        namespace: None,
        name: "go",
        files: &["go", "gofmt"],
        name_version: None,
        patterns: &[
            r"\x00go([0-9]{1,2}\.[0-9]{1,3}(?:\.[0-9]{1,3})?(?:rc[0-9]{1,2}|beta[0-9]{1,2})?)\x00",
        ],
        cpes: &[("golang", "go")],
    },
    Product {
        namespace: None,
        name: "traefik",
        files: &["traefik"],
        name_version: None,
        // The main module line of its Go build information.
        patterns: &[
            r"\tgithub\.com/traefik/traefik(?:/v[0-9]{1,2})?\tv([0-9]{1,2}\.[0-9]{1,3}\.[0-9]{1,3}(?:-(?:alpha|beta|rc)\.?[0-9]{1,2})?)\t",
            r"\x00v?([0-9]{1,2}\.[0-9]{1,3}\.[0-9]{1,3})\x00traefik\x00",
        ],
        cpes: &[("traefik", "traefik")],
    },
    Product {
        namespace: None,
        name: "envoy",
        files: &["envoy"],
        name_version: None,
        // Its version between NULs, near the runtime feature flags it defines.
        patterns: &[
            r"\x00(1\.[0-9]{1,2}\.[0-9]{1,3}(?:-dev)?)\x00(?s:.){0,1000}envoy[._]reloadable_features",
        ],
        cpes: &[("envoyproxy", "envoy")],
    },
];

/// Libraries that write their version into read-only data, found in any scanned binary.
pub static LIBRARIES: &[Library] = &[
    Library {
        name: "openssl",
        sonames: &["libssl.so", "libcrypto.so"],
        // `OpenSSL 3.0.22 25 Aug 2026` (OPENSSL_VERSION_TEXT); AWS-LC and BoringSSL write
        // `OpenSSL 1.1.1 (compatible; …)` and are not OpenSSL.
        patterns: &[
            r"\x00OpenSSL ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}[a-z]{0,2}(?:-alpha[0-9]|-beta[0-9])?)(?:-fips)? [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4}\x00",
        ],
        cpes: &[("openssl", "openssl")],
    },
    Library {
        name: "libressl",
        sonames: &["libssl.so", "libcrypto.so", "libtls.so"],
        patterns: &[r"\x00LibreSSL ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2})\x00"],
        cpes: &[("openbsd", "libressl")],
    },
    Library {
        name: "aws-lc",
        sonames: &["libssl.so", "libcrypto.so"],
        patterns: &[r"AWS-LC ([0-9]{1,2}\.[0-9]{1,3}\.[0-9]{1,3})\)\x00"],
        cpes: &[("amazon", "aws_libcrypto")],
    },
    Library {
        name: "gnutls",
        sonames: &["libgnutls.so"],
        patterns: &[r"Enabled GnuTLS ([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}) logging"],
        cpes: &[("gnu", "gnutls")],
    },
    Library {
        name: "zlib",
        sonames: &["libz.so"],
        // deflate's and inflate's copyright strings, which zlib keeps for exactly this.
        patterns: &[
            r" (?:deflate|inflate) ([0-9]\.[0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,2})?) Copyright 1995-[0-9]{4} ",
        ],
        cpes: &[("zlib", "zlib")],
    },
    Library {
        name: "curl",
        sonames: &["libcurl.so", "libcurl-gnutls.so"],
        patterns: &[r"\x00libcurl/([0-9]{1,2}\.[0-9]{1,3}\.[0-9]{1,3}(?:-DEV)?)\x00"],
        cpes: &[("haxx", "libcurl")],
    },
    Library {
        name: "pcre2",
        sonames: &["libpcre2-"],
        // `10.42 2022-12-11`: PCRE2's version and date.
        patterns: &[r"\x00(10\.[0-9]{2}) 20[0-9]{2}-[0-9]{2}-[0-9]{2}\x00"],
        cpes: &[("pcre", "pcre2")],
    },
    Library {
        name: "pcre",
        sonames: &["libpcre.so", "libpcrecpp.so", "libpcreposix.so"],
        patterns: &[r"\x00(8\.[0-9]{2}) 20[0-9]{2}-[0-9]{2}-[0-9]{2}\x00"],
        cpes: &[("pcre", "pcre")],
    },
    Library {
        name: "openjdk",
        sonames: &["libjvm.so"],
        // HotSpot's VM banner: `OpenJDK 64-Bit Server VM (17.0.21.1+2-1-deb12u1-Debian)`.
        patterns: &[
            r"OpenJDK (?:64-Bit )?(?:Server|Client|Zero) VM \(([0-9]{1,2}(?:\.[0-9]{1,3}){0,3}(?:\+[0-9A-Za-z.-]{1,40})?)\)",
        ],
        cpes: &[("oracle", "openjdk")],
    },
];

/// Bytes scanned at a time.
pub const CHUNK: usize = 1 << 20;
/// Bytes each window shares with the next: longer than any match the patterns allow.
pub const OVERLAP: usize = 1024;
/// Most characters of matched text kept as evidence.
const MAX_TEXT: usize = 160;
/// Most distinct versions kept per name (more say the file is ambiguous anyway).
const MAX_VERSIONS: usize = 4;

/// What matched in one file: a product or a library, and each distinct version it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// [`Product::name`] or [`Library::name`].
    pub name: String,
    /// One per distinct version, sorted by version; more than one for a product means the file
    /// does not say which.
    pub found: Vec<Seen>,
}

impl Hit {
    pub fn versions(&self) -> Vec<&str> {
        self.found.iter().map(|f| f.version.as_str()).collect()
    }
}

/// A version read, with the first text that gave it, as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub version: String,
    /// The match, printable.
    pub text: String,
    /// Its byte offset in the file.
    pub offset: u64,
}

/// What the classifiers found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    /// Every product whose patterns matched, in table order (the first names the binary).
    pub products: Vec<Hit>,
    /// Libraries whose banners matched.
    pub libraries: Vec<Hit>,
}

impl Classified {
    /// The product naming the binary: the first that matched.
    pub fn product(&self) -> Option<&Hit> {
        self.products.first()
    }
}

/// The product table entry of that name.
pub fn product(name: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.name == name)
}

/// The library table entry of that name.
pub fn library(name: &str) -> Option<&'static Library> {
    LIBRARIES.iter().find(|l| l.name == name)
}

fn build(pattern: &str) -> Regex {
    // Bytes, not text: `\d`, `\w` and `.` are ASCII, any byte may match.
    RegexBuilder::new(&format!("(?-u){pattern}"))
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("classifier pattern {pattern:?}: {e}"))
}

/// All of one entry's patterns as one alternation: group `i + 1` is pattern `i`'s version.
fn alternation(patterns: &[&str]) -> String {
    patterns
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|")
}

struct Compiled {
    files: GlobSet,
    /// Per glob in `files`: the product it belongs to.
    owner: Vec<usize>,
    /// Per product (None where the pattern needs the file name).
    products: Vec<Option<Regex>>,
    name_versions: Vec<Option<Regex>>,
    libraries: Regex,
    /// Per capture group of `libraries`: the library it belongs to.
    library_of_group: Vec<usize>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let mut files = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (i, p) in PRODUCTS.iter().enumerate() {
            for g in p.files {
                let glob = Glob::new(g).unwrap_or_else(|e| panic!("classifier glob {g:?}: {e}"));
                files.add(glob);
                owner.push(i);
            }
        }
        let files = files.build().expect("classifier globs");
        let products = PRODUCTS
            .iter()
            .map(|p| {
                p.name_version
                    .is_none()
                    .then(|| build(&alternation(p.patterns)))
            })
            .collect();
        let name_versions = PRODUCTS.iter().map(|p| p.name_version.map(build)).collect();
        let mut all = Vec::new();
        let mut library_of_group = vec![usize::MAX];
        for (i, l) in LIBRARIES.iter().enumerate() {
            for p in l.patterns {
                all.push(*p);
                library_of_group.push(i);
            }
        }
        Compiled {
            files,
            owner,
            products,
            name_versions,
            libraries: build(&alternation(&all)),
            library_of_group,
        }
    })
}

fn base_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// The products a file of this name may be, in table order.
pub fn candidates(path: &[u8]) -> Vec<usize> {
    let c = compiled();
    let Ok(name) = std::str::from_utf8(base_name(path)) else {
        return Vec::new();
    };
    let mut found: Vec<usize> = c
        .files
        .matches(name)
        .into_iter()
        .map(|g| c.owner[g])
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Whether a file of this name is one the classifiers read.
pub fn wanted(path: &[u8]) -> bool {
    !candidates(path).is_empty()
}

/// The product regex for a file: `{v}` filled from the file name where the product asks for it.
fn product_regex(i: usize, path: &[u8]) -> Option<Regex> {
    let c = compiled();
    if let Some(r) = &c.products[i] {
        return Some(r.clone());
    }
    let caps = c.name_versions[i].as_ref()?.captures(base_name(path))?;
    let v = std::str::from_utf8(caps.get(1)?.as_bytes()).ok()?;
    let pattern = alternation(PRODUCTS[i].patterns).replace("{v}", &regex::escape(v));
    Some(build(&pattern))
}

/// Printable text of a match, bounded: NULs and other control bytes as `\xNN`.
fn printable(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        if s.len() >= MAX_TEXT {
            s.push('…');
            break;
        }
        if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    // Edge spaces (zlib's ` deflate 1.2.13 … `) would not survive XML readers that trim.
    s.trim().to_string()
}

/// Runs `regex` over `content` in windows of [`CHUNK`] bytes overlapping by [`OVERLAP`]: a match
/// belongs to the window it starts in before the overlap, so none is seen twice. Calls `each` with
/// the capture group that matched (1-based), the match's offset, its text and the version.
fn scan(content: &[u8], regex: &Regex, mut each: impl FnMut(usize, u64, &[u8], &[u8])) {
    let mut start = 0usize;
    while start < content.len() {
        let end = content.len().min(start + CHUNK + OVERLAP);
        let window = &content[start..end];
        let last = end == content.len();
        for caps in regex.captures_iter(window) {
            let Some(m) = caps.get(0) else { continue };
            if !last && m.start() >= CHUNK {
                break;
            }
            if let Some((g, v)) = (1..caps.len()).find_map(|g| Some((g, caps.get(g)?))) {
                each(g, (start + m.start()) as u64, m.as_bytes(), v.as_bytes());
            }
        }
        if last {
            break;
        }
        start += CHUNK;
    }
}

fn record(hits: &mut Vec<Hit>, name: &str, offset: u64, text: &[u8], version: &[u8]) {
    let seen = Seen {
        version: String::from_utf8_lossy(version).into_owned(),
        text: printable(text),
        offset,
    };
    match hits.iter_mut().find(|h| h.name == name) {
        Some(h) => {
            if h.found.len() < MAX_VERSIONS && h.found.iter().all(|f| f.version != seen.version) {
                h.found.push(seen);
                h.found.sort_by(|a, b| a.version.cmp(&b.version));
            }
        }
        None => hits.push(Hit {
            name: name.to_string(),
            found: vec![seen],
        }),
    }
}

/// Classifies one file: the products its name allows, then the library banners. `None` when
/// nothing matched.
pub fn classify(path: &[u8], content: &[u8]) -> Option<Classified> {
    let c = compiled();
    let mut out = Classified::default();
    for i in candidates(path) {
        let Some(regex) = product_regex(i, path) else {
            continue;
        };
        let mut hits = Vec::new();
        scan(content, &regex, |_, offset, text, v| {
            record(&mut hits, PRODUCTS[i].name, offset, text, v)
        });
        out.products.extend(hits);
    }
    scan(content, &c.libraries, |g, offset, text, v| {
        let lib = LIBRARIES[c.library_of_group[g]].name;
        record(&mut out.libraries, lib, offset, text, v)
    });
    out.libraries.sort_by(|a, b| a.name.cmp(&b.name));
    (!out.products.is_empty() || !out.libraries.is_empty()).then_some(out)
}

/// `JAVA_VERSION` and `JAVA_RUNTIME_VERSION` of a JDK's or JRE's `release` file.
pub fn java_release(content: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(content);
    let value = |key: &str| {
        text.lines().find_map(|l| {
            let v = l
                .strip_prefix(key)?
                .strip_prefix('=')?
                .trim()
                .trim_matches('"');
            (!v.is_empty() && v.len() <= 80).then(|| v.to_string())
        })
    };
    (value("JAVA_VERSION"), value("JAVA_RUNTIME_VERSION"))
}

/// Whether a file is a JDK's `release` file, on its name and first bytes.
pub fn is_java_release(path: &[u8], head: &[u8]) -> bool {
    base_name(path) == b"release"
        && (head.starts_with(b"IMPLEMENTOR=") || head.starts_with(b"JAVA_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_and_glob_compiles_and_has_a_version_group() {
        let c = compiled();
        assert_eq!(c.products.len(), PRODUCTS.len());
        for (i, p) in PRODUCTS.iter().enumerate() {
            assert!(!p.files.is_empty() && !p.cpes.is_empty(), "{}", p.name);
            for pat in p.patterns {
                let r = build(&pat.replace("{v}", "3\\.11"));
                assert_eq!(r.captures_len(), 2, "{}: {pat}", p.name);
            }
            assert!(
                PRODUCTS[..i].iter().all(|q| q.name != p.name),
                "{} listed twice",
                p.name
            );
        }
        for l in LIBRARIES {
            for pat in l.patterns {
                assert_eq!(build(pat).captures_len(), 2, "{}: {pat}", l.name);
            }
        }
    }

    #[test]
    fn file_names_pick_the_candidates() {
        let names = |p: &str| -> Vec<&str> {
            candidates(p.as_bytes())
                .into_iter()
                .map(|i| PRODUCTS[i].name)
                .collect()
        };
        assert_eq!(names("usr/bin/python3.11"), ["python"]);
        assert_eq!(names("usr/lib/libpython3.12.so.1.0"), ["python"]);
        assert_eq!(names("usr/bin/mysql"), ["mariadb", "mysql"]);
        assert_eq!(names("usr/sbin/apache2"), ["httpd"]);
        assert_eq!(names("usr/bin/php8.2"), ["php-cli"]);
        assert_eq!(names("usr/sbin/php-fpm8.2"), ["php-fpm"]);
        assert!(names("usr/bin/ls").is_empty());
        assert!(names("usr/bin/nodes").is_empty());
        // The name of the file, not of a folder.
        assert!(names("opt/node/lib/index.js").is_empty());
    }

    #[test]
    fn a_match_across_a_window_edge_is_found_once() {
        let banner = b"\x00OpenSSL 3.0.22 25 Aug 2026\x00";
        for at in [
            0,
            CHUNK - 10,
            CHUNK - 1,
            CHUNK,
            CHUNK + OVERLAP - 5,
            2 * CHUNK + 3,
        ] {
            let mut bytes = vec![b'x'; 3 * CHUNK];
            bytes[at..at + banner.len()].copy_from_slice(banner);
            let c = classify(b"opt/app", &bytes).unwrap();
            assert_eq!(c.libraries.len(), 1, "at {at}");
            assert_eq!(c.libraries[0].versions(), ["3.0.22"], "at {at}");
            assert_eq!(c.libraries[0].found[0].offset, at as u64, "at {at}");
        }
    }

    #[test]
    fn versions_are_read_never_taken_from_the_name() {
        // `python3.11` whose bytes say nothing of 3.11: no version, no product.
        assert_eq!(classify(b"usr/bin/python3.11", b"\x003.12.1\x00"), None);
        let c = classify(b"usr/bin/python3.11", b"ab\x003.11.2\x00cd").unwrap();
        assert_eq!(c.product().unwrap().versions(), ["3.11.2"]);
    }

    #[test]
    fn two_products_strings_give_each_its_own_version() {
        // A statically linked curl: the command's banner and libcurl's differ.
        let bytes = b"..\x00curl 8.11.0 (x86_64-pc-linux-gnu) %s\x00..\x00libcurl/8.5.0\x00..\x00OpenSSL 3.3.2 3 Sep 2024\x00";
        let c = classify(b"usr/local/bin/curl", bytes).unwrap();
        assert_eq!(c.products.len(), 1);
        assert_eq!(c.product().unwrap().name, "curl");
        assert_eq!(c.product().unwrap().versions(), ["8.11.0"]);
        let libs: Vec<(&str, Vec<&str>)> = c
            .libraries
            .iter()
            .map(|h| (h.name.as_str(), h.versions()))
            .collect();
        assert_eq!(libs, [("curl", vec!["8.5.0"]), ("openssl", vec!["3.3.2"])]);
        // Two versions of one product: both kept, so that none is chosen.
        let c = classify(b"bin/busybox", b"BusyBox v1.36.1 \x00BusyBox v1.35.0 ").unwrap();
        assert_eq!(c.product().unwrap().versions(), ["1.35.0", "1.36.1"]);
    }

    fn excerpt(name: &str) -> Vec<u8> {
        crate::catalog::testutil::fixture(&format!("../binaries/classify/excerpts/{name}.bin"))
    }

    /// Windows cut from real binaries (testdata/binaries/classify/PROVENANCE.md), under the names
    /// the files have in images.
    #[test]
    fn real_version_strings_give_each_product_its_version() {
        let cases = [
            ("busybox", "bin/busybox", "busybox", "1.35.0"),
            (
                "redis-server",
                "usr/local/bin/redis-server",
                "redis",
                "7.0.15",
            ),
            (
                "postgres",
                "usr/lib/postgresql/15/bin/postgres",
                "postgresql",
                "15.20",
            ),
            ("nginx", "usr/sbin/nginx", "nginx", "1.22.1"),
            ("openssl", "usr/bin/openssl", "openssl", "3.0.22"),
            ("perl", "usr/bin/perl", "perl", "5.36.0"),
            ("bash", "bin/bash", "bash", "5.2.15"),
            ("curl", "usr/bin/curl", "curl", "7.88.1"),
            ("httpd", "usr/local/apache2/bin/httpd", "httpd", "2.4.71"),
            ("haproxy", "usr/sbin/haproxy", "haproxy", "2.6.12"),
            ("memcached", "usr/bin/memcached", "memcached", "1.6.18"),
            ("mariadbd", "usr/sbin/mariadbd", "mariadb", "10.11.19"),
            ("mariadbd", "usr/bin/mysql", "mariadb", "10.11.19"),
            ("php", "usr/local/bin/php", "php-cli", "8.2.36"),
            (
                "libruby-3.1.so.3.1.2",
                "usr/lib/libruby-3.1.so.3.1.2",
                "ruby",
                "3.1.2p20",
            ),
            ("go", "usr/local/go/bin/go", "go", "1.19.8"),
            ("python3.11", "usr/local/bin/python3.11", "python", "3.11.2"),
            (
                "java",
                "opt/java/openjdk/bin/java",
                "openjdk",
                "17.0.21.1+2-1-deb12u1-Debian",
            ),
            ("node", "usr/local/bin/node", "node", "24.19.0"),
            ("traefik", "usr/local/bin/traefik", "traefik", "3.7.15"),
            ("envoy", "usr/local/bin/envoy", "envoy", "1.40.0"),
        ];
        for (file, path, product, version) in cases {
            let c = classify(path.as_bytes(), &excerpt(file)).unwrap_or_default();
            let got = c.product().map(|h| (h.name.as_str(), h.versions()));
            assert_eq!(got, Some((product, vec![version])), "{file} as {path}");
        }
        // The name decides which product is tried: a busybox under another name is not one.
        assert_eq!(classify(b"usr/bin/tool", &excerpt("busybox")), None);
        // A help text's example is not the server's version.
        assert_eq!(
            classify(b"usr/sbin/mariadbd", &excerpt("mariadbd-help")),
            None
        );
    }

    #[test]
    fn real_library_banners() {
        let cases = [
            ("libgnutls", "gnutls", "3.7.9"),
            ("libcurl", "curl", "7.88.1"),
            ("libpcre2-8", "pcre2", "10.42"),
            ("libcrypto", "openssl", "3.0.22"),
            ("libz", "zlib", "1.2.13"),
            ("libjvm", "openjdk", "17.0.21.1+2-1-deb12u1-Debian"),
            ("node-openssl", "openssl", "3.5.7"),
        ];
        for (file, lib, version) in cases {
            let c = classify(b"opt/app/server", &excerpt(file)).unwrap_or_default();
            let got: Vec<(&str, Vec<&str>)> = c
                .libraries
                .iter()
                .map(|h| (h.name.as_str(), h.versions()))
                .collect();
            assert_eq!(got, [(lib, vec![version])], "{file}");
            assert!(c.products.is_empty());
        }
    }

    /// Node.js's own version, its OpenSSL and its two zlib copies, as its bytes hold them: each
    /// string gives its own product or library, none another's version.
    #[test]
    fn a_binary_with_several_products_strings() {
        let mut bytes = Vec::new();
        for part in [
            "node-zlib-1.3.2.1",
            "node",
            "node-openssl",
            "node-zlib-1.3.0.1",
            "mariadbd",
        ] {
            bytes.extend(excerpt(part));
        }
        let c = classify(b"usr/local/bin/node", &bytes).unwrap();
        assert_eq!(c.products.len(), 1);
        assert_eq!(c.product().unwrap().name, "node");
        assert_eq!(c.product().unwrap().versions(), ["24.19.0"]);
        let libs: Vec<(&str, Vec<&str>)> = c
            .libraries
            .iter()
            .map(|h| (h.name.as_str(), h.versions()))
            .collect();
        assert_eq!(
            libs,
            [
                ("openssl", vec!["3.5.7"]),
                ("zlib", vec!["1.3.0.1", "1.3.2.1"])
            ]
        );
        // The same bytes as `mysql`: MariaDB's version, not Node's or OpenSSL's.
        let c = classify(b"usr/bin/mysql", &bytes).unwrap();
        assert_eq!(c.product().unwrap().name, "mariadb");
        assert_eq!(c.product().unwrap().versions(), ["10.11.19"]);
    }

    #[test]
    fn release_files() {
        let r = b"IMPLEMENTOR=\"Debian\"\nJAVA_RUNTIME_VERSION=\"17.0.21.1+2-1-deb12u1-Debian\"\nJAVA_VERSION=\"17.0.21.1\"\n";
        assert!(is_java_release(b"usr/lib/jvm/x/release", r));
        assert!(!is_java_release(b"etc/release", b"NAME=x"));
        assert_eq!(
            java_release(r),
            (
                Some("17.0.21.1".to_string()),
                Some("17.0.21.1+2-1-deb12u1-Debian".to_string())
            )
        );
    }
}
