//! Python distributions installed in the image: the core metadata pip and setuptools leave,
//! `NAME-VERSION.dist-info/METADATA` (wheels), `NAME.egg-info/PKG-INFO` or a single-file
//! `NAME.egg-info`, and `EGG-INFO/PKG-INFO` inside an unpacked egg.

use super::{person, Manifest, ManifestCataloger, Read};
use crate::model::{PackageKind, Purpose, Technique};
use crate::purl::{Purl, PurlType};

/// A Python distribution (`METADATA`, `PKG-INFO`).
pub const KIND: PackageKind = PackageKind {
    name: "python",
    purl_type: Some("pypi"),
    purpose: Purpose::Library,
    technique: Some(Technique::ManifestAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// Python distributions from their core metadata.
pub const CATALOGER: ManifestCataloger = ManifestCataloger {
    name: "python-manifest",
    kind: KIND,
    is_manifest,
    parse,
};

pub fn is_manifest(path: &[u8]) -> bool {
    let (dir, base) = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&b""[..], path),
    };
    (base == b"METADATA" && dir.ends_with(b".dist-info"))
        || (base == b"PKG-INFO" && (dir.ends_with(b".egg-info") || dir.ends_with(b"/EGG-INFO")))
        || base.ends_with(b".egg-info")
}

/// The PyPI purl name: lower case, runs of `-`, `_` and `.` as one `-` (PEP 503).
fn normalized(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// The header fields of a core metadata file (RFC 822 style, up to the first empty line);
/// continuation lines join their field.
fn headers(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

pub fn parse(content: &[u8]) -> Read {
    let text = String::from_utf8_lossy(content);
    let fields = headers(&text);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, v)| key == k && !v.is_empty() && v != "UNKNOWN")
            .map(|(_, v)| v.clone())
    };
    let (Some(name), Some(version)) = (get("name"), get("version")) else {
        if fields.is_empty() {
            return Err("no metadata fields".into());
        }
        return Ok(None);
    };
    let purl = Purl::new(PurlType::PYPI, normalized(&name)).with_version(version.as_str());
    let mut m = Manifest {
        purl: Some(purl.into()),
        name,
        version,
        description: get("summary"),
        homepage: get("home-page").or_else(|| {
            fields
                .iter()
                .find(|(k, v)| k == "project-url" && v.to_ascii_lowercase().starts_with("homepage"))
                .and_then(|(_, v)| v.split_once(',').map(|(_, u)| u.trim().to_string()))
        }),
        author: get("author").and_then(|a| person(&a, get("author-email").as_deref())),
        ..Manifest::default()
    };
    // PEP 639's expression wins over the free-text field; a long text (a whole license) is not a name.
    match get("license-expression") {
        Some(e) => m.licenses.push(e),
        None => {
            if let Some(l) = get("license").filter(|l| !l.contains('\n') && l.len() <= 100) {
                m.licenses.push(l);
            }
        }
    }
    Ok(Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_metadata() {
        let m = parse(
            b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nSummary: A very fast template engine.\nHome-page: https://palletsprojects.com/p/jinja/\nAuthor: Armin Ronacher\nAuthor-email: armin.ronacher@active-4.com\nLicense: BSD-3-Clause\nClassifier: License :: OSI Approved :: BSD License\n\nJinja is ...\nName: not-a-header\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.purl.as_deref(), Some("pkg:pypi/jinja2@3.1.2"));
        assert_eq!(m.name, "Jinja2");
        assert_eq!(m.licenses, ["BSD-3-Clause"]);
        assert_eq!(
            m.author,
            crate::model::Actor::person("Armin Ronacher", Some("armin.ronacher@active-4.com"))
        );
        assert_eq!(
            m.homepage.as_deref(),
            Some("https://palletsprojects.com/p/jinja/")
        );
    }

    #[test]
    fn egg_info_with_unknown_fields_and_a_whole_license_text() {
        let m = parse(b"Metadata-Version: 1.2\nName: setuptools\nVersion: 66.1.1\nLicense: Permission is hereby granted\n        free of charge\nAuthor: UNKNOWN\nLicense-Expression: MIT\n")
            .unwrap()
            .unwrap();
        assert_eq!(m.licenses, ["MIT"]);
        assert_eq!(m.author, None);
        let m = parse(b"Name: zope.interface\nVersion: 5.5\nLicense: ZPL\n     2.1\n")
            .unwrap()
            .unwrap();
        assert!(m.licenses.is_empty());
        assert_eq!(m.purl.as_deref(), Some("pkg:pypi/zope-interface@5.5"));
    }

    #[test]
    fn no_name_or_version() {
        assert_eq!(parse(b"Metadata-Version: 2.1\nName: x\n"), Ok(None));
        assert!(parse(b"\x00\x01garbage").is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn names_normalise_as_pep_503_says() {
        assert_eq!(normalized("Foo__Bar.baz-"), "foo-bar-baz");
        assert_eq!(normalized("_private"), "private");
    }

    #[test]
    fn manifests_by_path() {
        assert!(is_manifest(
            b"usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA"
        ));
        assert!(is_manifest(
            b"usr/lib/python3/dist-packages/wheel-0.38.4.egg-info/PKG-INFO"
        ));
        assert!(is_manifest(
            b"usr/lib/python3/dist-packages/six-1.16.0.egg-info"
        ));
        assert!(is_manifest(b"opt/x.egg/EGG-INFO/PKG-INFO"));
        assert!(!is_manifest(b"usr/lib/python3/dist-packages/pip/METADATA"));
        assert!(!is_manifest(b"usr/share/doc/PKG-INFO"));
    }
}
