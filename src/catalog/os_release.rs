//! `/etc/os-release` and `/usr/lib/os-release` (os-release(5)): shell-style `KEY=value` lines with
//! single or double quotes and backslash escapes. Also the operating system as a package.

use std::collections::BTreeMap;

use super::{surviving_since, Cataloger, Context, Found};
use crate::cpe;
use crate::model::{Actor, Distro, Package, PackageKind, Purpose};
use crate::source::{display_path, Vfs};

/// Where os-release lives, in the order the specification says to look.
pub const PATHS: [&[u8]; 2] = [b"etc/os-release", b"usr/lib/os-release"];

/// Largest os-release worth reading; real ones are a few hundred bytes.
const MAX_SIZE: u64 = 1 << 20;

/// Parses os-release text into its variables. Lines that are not assignments are ignored.
pub fn parse(text: &[u8]) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in String::from_utf8_lossy(text).lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        vars.insert(key.to_string(), shell_word(value));
    }
    vars
}

/// The value of one shell word: quotes removed, escapes applied, anything after unquoted
/// whitespace (a trailing comment) dropped.
fn shell_word(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.trim_start().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => out.push(e),
                            Some('\n') | None => {}
                            Some(other) => {
                                out.push('\\');
                                out.push(other);
                            }
                        },
                        c => out.push(c),
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '\\' => {
                if let Some(e) = chars.next() {
                    out.push(e);
                }
            }
            c if c.is_whitespace() => break,
            c => out.push(c),
        }
    }
    out
}

/// Builds the distro from parsed variables; `None` without an `ID`.
pub fn distro_from(vars: &BTreeMap<String, String>, path: &str) -> Option<Distro> {
    let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let id = get("ID")?.to_ascii_lowercase();
    Some(Distro {
        id,
        version_id: get("VERSION_ID").map(str::to_string),
        name: get("NAME").map(str::to_string),
        pretty_name: get("PRETTY_NAME").map(str::to_string),
        version_codename: get("VERSION_CODENAME").map(str::to_string),
        id_like: get("ID_LIKE")
            .map(|v| v.split_whitespace().map(str::to_ascii_lowercase).collect())
            .unwrap_or_default(),
        home_url: get("HOME_URL").map(str::to_string),
        cpe_name: get("CPE_NAME").map(str::to_string),
        path: path.to_string(),
    })
}

/// Reads the first os-release that exists, following symlinks inside the root.
pub fn read(fs: &Vfs) -> Option<Distro> {
    for path in PATHS {
        if let Some(content) = fs.read(path) {
            if let Some(d) = distro_from(&parse(content), &display_path(path)) {
                return Some(d);
            }
        }
    }
    None
}

/// `(vendor, product)` of the NVD CPE for distributions that have one.
fn known_os_cpe(id: &str) -> Option<(&'static str, &'static str)> {
    match id {
        "alpine" => Some(("alpinelinux", "alpine_linux")),
        "debian" => Some(("debian", "debian_linux")),
        "ubuntu" => Some(("canonical", "ubuntu_linux")),
        _ => None,
    }
}

/// The operating system as a package.
pub const KIND: PackageKind = PackageKind {
    name: "os",
    purl_type: None,
    purpose: Purpose::OperatingSystem,
    technique: None,
    purl_is_evidence: false,
};

/// The operating system package for a distro.
pub fn os_package(distro: &Distro) -> Package {
    let version = distro.version_id.clone().unwrap_or_default();
    let cpe = distro
        .cpe_name
        .as_deref()
        .and_then(cpe::from_cpe_name)
        .or_else(|| {
            let (vendor, product) = known_os_cpe(&distro.id)?;
            cpe::operating_system(vendor, product, &version)
        });
    let id = if version.is_empty() {
        format!("os:{}", distro.id)
    } else {
        format!("os:{}@{}", distro.id, version)
    };
    Package {
        name: distro.id.clone(),
        version,
        cpes: cpe.into_iter().collect(),
        description: distro.pretty_name.clone(),
        homepage: distro.home_url.clone(),
        supplier: distro.name.as_deref().and_then(Actor::organization),
        evidence: vec![distro.path.clone()],
        found_by: OsRelease.name().to_string(),
        ..Package::new(id, KIND)
    }
}

/// The operating system as a package.
pub struct OsRelease;

impl Cataloger for OsRelease {
    fn name(&self) -> &'static str {
        "os-release"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        PATHS.contains(&path).then_some(MAX_SIZE)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let mut found = Found::default();
        let Some(distro) = cx.distro else {
            return found;
        };
        let mut pkg = os_package(distro);
        // The layer from which this exact os-release survives to the final image.
        let wanted = distro.path.trim_start_matches('/').as_bytes();
        if let Some(content) = cx.fs.read(wanted) {
            let history = cx.fs.history(wanted);
            pkg.layer = surviving_since(history, |c| c == content.as_ref())
                .or_else(|| cx.fs.lookup(wanted).map(|(_, n)| n.layer));
        }
        found.packages.push(pkg);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/fixtures/os-release");

    fn fixture(name: &str) -> Distro {
        let text = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
        distro_from(&parse(&text), "/etc/os-release").unwrap()
    }

    #[test]
    fn real_files() {
        let d = fixture("debian-12.os-release");
        assert_eq!(d.id, "debian");
        assert_eq!(d.version_id.as_deref(), Some("12"));
        assert_eq!(d.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(d.version_codename.as_deref(), Some("bookworm"));
        let u = fixture("ubuntu-20.04.os-release");
        assert_eq!(u.id_like, vec!["debian".to_string()]);
        assert_eq!(u.pretty_name.as_deref(), Some("Ubuntu 20.04.4 LTS"));
        let w = fixture("wolfi.os-release");
        assert_eq!(
            (w.id.as_str(), w.version_id.as_deref()),
            ("wolfi", Some("20220914"))
        );
        let e = fixture("alpine-edge.os-release");
        assert_eq!(e.version_id.as_deref(), Some("3.19_alpha20230901"));
        let dl = fixture("distroless-debian-11.os-release");
        assert_eq!(
            (dl.id.as_str(), dl.pretty_name.as_deref()),
            ("debian", Some("Distroless"))
        );
    }

    #[test]
    fn quoting_escapes_and_comments() {
        let vars = parse(
            b"# comment\nA=\"x \\\"y\\\" \\$z\"\nB='it''s'\nC=plain # trailing\nD=a\\ b\n  E = bad\nnot a line\nF=\"unterminated\n",
        );
        assert_eq!(vars["A"], "x \"y\" $z");
        assert_eq!(vars["B"], "its");
        assert_eq!(vars["C"], "plain");
        assert_eq!(vars["D"], "a b");
        assert_eq!(vars["E"], "bad");
        assert_eq!(vars["F"], "unterminated");
        assert!(!vars.contains_key("not a line"));
        assert!(distro_from(&parse(b"NAME=x\n"), "/etc/os-release").is_none());
    }

    #[test]
    fn os_package_identifiers() {
        let mut d = fixture("debian-12.os-release");
        let p = os_package(&d);
        assert_eq!(p.id, "os:debian@12");
        assert_eq!(p.kind, KIND);
        assert_eq!(
            p.cpes,
            vec!["cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*"]
        );
        assert_eq!(
            p.description.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        d.cpe_name = Some("cpe:/o:debian:debian_linux:12.5".into());
        assert_eq!(
            os_package(&d).cpes,
            vec!["cpe:2.3:o:debian:debian_linux:12.5:*:*:*:*:*:*:*"]
        );
        // No NVD product for Wolfi: no CPE rather than a made-up one.
        assert!(os_package(&fixture("wolfi.os-release")).cpes.is_empty());
        assert_eq!(
            os_package(&fixture("alpine-3.18.os-release")).cpes,
            vec!["cpe:2.3:o:alpinelinux:alpine_linux:3.18.4:*:*:*:*:*:*:*"]
        );
    }

    #[test]
    fn os_package_layer_and_symlinked_os_release() {
        use crate::catalog::testutil::{file, link, put, run};
        let text = std::fs::read(format!("{FIXTURES}/debian-12.os-release")).unwrap();
        let mut fs = Vfs::new();
        put(&mut fs, "usr/lib/os-release", file(0, &text));
        put(&mut fs, "etc/os-release", link(0, "../usr/lib/os-release"));
        // Layer 1 writes the same bytes again: the OS still comes from layer 0.
        put(&mut fs, "usr/lib/os-release", file(1, &text));
        let d = crate::catalog::read_distro(&fs).unwrap();
        assert_eq!(d.path, "/etc/os-release");
        let found = run(&OsRelease, &fs, Some(&d));
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.packages[0].layer, Some(0));
        assert_eq!(found.packages[0].found_by, "os-release");
        assert_eq!(found.packages[0].evidence, vec!["/etc/os-release"]);
        // A point release in layer 2 changes it.
        let mut newer = text.clone();
        newer.extend_from_slice(b"CPE_NAME=\"cpe:/o:debian:debian_linux:12\"\n");
        put(&mut fs, "usr/lib/os-release", file(2, &newer));
        let d = crate::catalog::read_distro(&fs).unwrap();
        let found = run(&OsRelease, &fs, Some(&d));
        assert_eq!(found.packages[0].layer, Some(2));

        // Only usr/lib/os-release: read from there.
        let mut fs = Vfs::new();
        put(&mut fs, "usr/lib/os-release", file(0, &text));
        assert_eq!(
            crate::catalog::read_distro(&fs).unwrap().path,
            "/usr/lib/os-release"
        );
        assert!(crate::catalog::read_distro(&Vfs::new()).is_none());
        assert!(run(&OsRelease, &Vfs::new(), None).packages.is_empty());
        assert!(OsRelease.keep(b"etc/os-release", b"").is_some());
        assert!(OsRelease.keep(b"etc/lsb-release", b"").is_none());
    }
}
