//! `/etc/os-release` and `/usr/lib/os-release` (os-release(5)): shell-style `KEY=value` lines with
//! single or double quotes and backslash escapes. Also the operating system as a package, named by
//! its most precise release (Debian's point release from `/etc/debian_version`).

use std::collections::BTreeMap;

use super::{surviving_since, Cataloger, Context, Found};
use crate::cpe;
use crate::model::{Actor, Distro, Package, PackageKind, Purpose};
use crate::source::{display_path, Vfs};

/// Where os-release lives, in the order the specification says to look.
pub const PATHS: [&[u8]; 2] = [b"etc/os-release", b"usr/lib/os-release"];

/// Debian's point release (`12.15`); `trixie/sid` on testing, where it is not a release.
pub const DEBIAN_VERSION: &[u8] = b"etc/debian_version";

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
        point_release: None,
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

/// Reads the first os-release that exists, following symlinks inside the root, and Debian's point
/// release.
pub fn read(fs: &Vfs) -> Option<Distro> {
    for path in PATHS {
        if let Some(content) = fs.read(path) {
            if let Some(mut d) = distro_from(&parse(content), &display_path(path)) {
                if d.id == "debian" {
                    d.point_release = fs
                        .read(DEBIAN_VERSION)
                        .and_then(|c| debian_point_release(c));
                }
                return Some(d);
            }
        }
    }
    None
}

/// The content of `/etc/debian_version` when it is a point release `N.M` (digits only).
pub fn debian_point_release(content: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(content).ok()?.trim();
    let (major, minor) = text.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor)).then(|| text.to_string())
}

/// The id of the operating system package of `distro` ([`os_package`]), which contains the packages
/// its package database lists.
pub fn os_id(distro: &Distro) -> String {
    match distro.version() {
        Some(v) => format!("os:{}@{v}", distro.id),
        None => format!("os:{}", distro.id),
    }
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
    file: None,
};

/// How vulnerability scanners and purls name the distributions whose os-release id differs:
/// `(os-release id, family, rpm purl namespace)`. The family is Trivy's (0.44's spelling, which
/// later versions still accept as aliases): a scanner that finds an OS named by its os-release id
/// (`rhel`, `amzn`, `ol`) reports it unsupported, and a CVE gate then passes silently. The purl
/// namespace is the vendor (purl-spec), as Trivy writes it; the `distro` qualifier keeps the
/// os-release id, which Syft, Grype and Clair read.
const NAMES: [(&str, &str, &str); 8] = [
    ("rhel", "redhat", "redhat"),
    ("amzn", "amazon", "amazon"),
    ("ol", "oracle", "oracle"),
    ("almalinux", "alma", "alma"),
    ("mariner", "cbl-mariner", "cbl-mariner"),
    ("opensuse-leap", "opensuse.leap", "opensuse"),
    ("opensuse-tumbleweed", "opensuse.tumbleweed", "opensuse"),
    ("sles", "suse linux enterprise server", "suse"),
];

/// The name of a distribution as scanners' families name it (`rhel` is `redhat`); an id not in
/// [`NAMES`] names itself. The os-release id stays on the distro; documents that can hold both
/// keep it too.
pub fn os_name(id: &str) -> String {
    NAMES
        .iter()
        .find(|(i, _, _)| *i == id)
        .map_or(id, |(_, family, _)| family)
        .to_string()
}

/// The rpm purl namespace (the vendor) of a distribution by its os-release id.
pub fn purl_namespace(id: &str) -> String {
    NAMES
        .iter()
        .find(|(i, _, _)| *i == id)
        .map_or(id, |(_, _, ns)| ns)
        .to_string()
}

/// The operating system package for a distro.
pub fn os_package(distro: &Distro) -> Package {
    let version = distro.version().unwrap_or_default().to_string();
    let cpe = distro
        .cpe_name
        .as_deref()
        .and_then(cpe::from_cpe_name)
        .or_else(|| {
            let (vendor, product) = known_os_cpe(&distro.id)?;
            cpe::operating_system(vendor, product, &version)
        });
    let id = os_id(distro);
    Package {
        name: os_name(&distro.id),
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
        (PATHS.contains(&path) || path == DEBIAN_VERSION).then_some(MAX_SIZE)
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
    fn distributions_named_as_scanners_and_purls_name_them() {
        // (file, os-release id, version, OS package name, rpm purl namespace, distro qualifier)
        let cases = [
            (
                "almalinux-9.4",
                "almalinux",
                "9.4",
                "alma",
                "alma",
                "almalinux-9.4",
            ),
            ("oracle-8.10", "ol", "8.10", "oracle", "oracle", "ol-8.10"),
            (
                "mariner-2.0",
                "mariner",
                "2.0",
                "cbl-mariner",
                "cbl-mariner",
                "mariner-2.0",
            ),
            (
                "azurelinux-3.0",
                "azurelinux",
                "3.0",
                "azurelinux",
                "azurelinux",
                "azurelinux-3.0",
            ),
            (
                "sles-15.3",
                "sles",
                "15.3",
                "suse linux enterprise server",
                "suse",
                "sles-15.3",
            ),
            (
                "opensuse-leap-15.2.1",
                "opensuse-leap",
                "15.2.1",
                "opensuse.leap",
                "opensuse",
                "opensuse-leap-15.2.1",
            ),
            ("rocky-9.3", "rocky", "9.3", "rocky", "rocky", "rocky-9.3"),
            ("centos-7", "centos", "7", "centos", "centos", "centos-7"),
            ("fedora-42", "fedora", "42", "fedora", "fedora", "fedora-42"),
            ("debian-12", "debian", "12", "debian", "debian", "debian-12"),
            (
                "alpine-3.18",
                "alpine",
                "3.18.4",
                "alpine",
                "alpine",
                "alpine-3.18.4",
            ),
        ];
        for (file, id, version, name, namespace, qualifier) in cases {
            let d = fixture(&format!("{file}.os-release"));
            assert_eq!((d.id.as_str(), d.version()), (id, Some(version)), "{file}");
            let p = os_package(&d);
            assert_eq!(
                (p.name.as_str(), p.version.as_str()),
                (name, version),
                "{file}"
            );
            assert_eq!(p.id, format!("os:{id}@{version}"), "{file}");
            assert_eq!(purl_namespace(&d.id), namespace, "{file}");
            assert_eq!(crate::purl::distro_qualifier(&d), qualifier, "{file}");
        }
        // Red Hat's own file, in the RPM fixture root.
        let rhel = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/fixtures/rpm/rhel8-rootfs/etc/os-release"
        ))
        .unwrap();
        let d = distro_from(&parse(&rhel), "/etc/os-release").unwrap();
        assert_eq!(
            (d.id.as_str(), os_package(&d).name.as_str()),
            ("rhel", "redhat")
        );
        assert_eq!(purl_namespace("rhel"), "redhat");
        // Amazon Linux (no os-release file stored here): the id is `amzn`.
        assert_eq!(
            (os_name("amzn"), purl_namespace("amzn")),
            ("amazon".into(), "amazon".into())
        );
        assert_eq!(os_name("opensuse-tumbleweed"), "opensuse.tumbleweed");
        assert_eq!(os_name("wolfi"), "wolfi");
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
    fn debian_named_by_its_point_release() {
        use crate::catalog::testutil::{file, put};
        assert_eq!(debian_point_release(b"12.15\n").as_deref(), Some("12.15"));
        assert_eq!(debian_point_release(b"11.7").as_deref(), Some("11.7"));
        for not in [
            &b"trixie/sid\n"[..],
            b"bookworm/sid",
            b"12",
            b"12.",
            b".5",
            b"12.1.2",
            b"\xff",
        ] {
            assert_eq!(debian_point_release(not), None, "{not:?}");
        }
        let debian = std::fs::read(format!("{FIXTURES}/debian-12.os-release")).unwrap();
        let mut fs = Vfs::new();
        put(&mut fs, "etc/os-release", file(0, &debian));
        put(&mut fs, "etc/debian_version", file(0, b"12.15\n"));
        let d = crate::catalog::read_distro(&fs).unwrap();
        assert_eq!(
            (d.version_id.as_deref(), d.version()),
            (Some("12"), Some("12.15"))
        );
        let p = os_package(&d);
        assert_eq!(
            (p.id.as_str(), p.version.as_str()),
            ("os:debian@12.15", "12.15")
        );
        assert_eq!(crate::purl::distro_qualifier(&d), "debian-12.15");
        assert!(OsRelease.keep(DEBIAN_VERSION, b"").is_some());
        // Testing has no point release: VERSION_ID (absent there) or the codename names it.
        put(&mut fs, "etc/debian_version", file(1, b"trixie/sid\n"));
        assert_eq!(
            crate::catalog::read_distro(&fs).unwrap().version(),
            Some("12")
        );
        // Ubuntu ships a debian_version too (`bookworm/sid`, or a number on old releases): not its own.
        let ubuntu = std::fs::read(format!("{FIXTURES}/ubuntu-20.04.os-release")).unwrap();
        let mut fs = Vfs::new();
        put(&mut fs, "etc/os-release", file(0, &ubuntu));
        put(&mut fs, "etc/debian_version", file(0, b"11.2\n"));
        let u = crate::catalog::read_distro(&fs).unwrap();
        assert_eq!(
            (u.point_release, u.version_id.as_deref()),
            (None, Some("20.04"))
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
