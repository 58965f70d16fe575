//! PHP Composer packages: `vendor/composer/installed.json`, which Composer writes for what it
//! installed into `vendor/` (v1: an array of packages; v2: `{"packages": [...], "dev-package-names"}`).
//! The packages stand side by side: the application that required them has no entry.

use serde::Deserialize;
use serde_json::Value;

use super::{ListCataloger, Listed, Listing, Manifest, MAX_LISTED};
use crate::model::{Checksum, HashAlg, PackageKind, Purpose, Technique};
use crate::purl::{Purl, PurlType};

/// A Composer package.
pub const KIND: PackageKind = PackageKind {
    name: "composer",
    purl_type: Some("composer"),
    purpose: Purpose::Library,
    technique: Some(Technique::ManifestAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// Composer packages from `vendor/composer/installed.json`.
pub const CATALOGER: ListCataloger = ListCataloger {
    name: "php-composer-installed",
    kind: KIND,
    is_manifest,
    parse,
};

const FILE: &[u8] = b"vendor/composer/installed.json";

pub fn is_manifest(path: &[u8]) -> bool {
    path == FILE || (path.ends_with(FILE) && path[path.len() - FILE.len() - 1] == b'/')
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V2 {
        packages: Vec<Value>,
        #[serde(rename = "dev-package-names", default)]
        dev: Vec<Value>,
    },
    V1(Vec<Value>),
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One package entry; none without a `vendor/name` and a version.
fn package(p: &Value, dev: &[Value]) -> Option<Manifest> {
    let name = text(p.get("name"))?;
    let version = text(p.get("version"))?;
    let (vendor, base) = name.split_once('/')?;
    if vendor.is_empty() || base.is_empty() {
        return None;
    }
    let mut m = Manifest {
        purl: Some(
            Purl::new(PurlType::COMPOSER, base)
                .with_namespace(vendor)
                .with_version(version.as_str())
                .into(),
        ),
        description: text(p.get("description")),
        homepage: text(p.get("homepage")),
        ..Manifest::default()
    };
    // `license` is a list of SPDX ids (or, in old files, one string).
    match p.get("license") {
        Some(Value::String(s)) if !s.trim().is_empty() => m.licenses.push(s.trim().to_string()),
        Some(Value::Array(a)) => m
            .licenses
            .extend(a.iter().take(16).filter_map(|l| text(Some(l)))),
        _ => {}
    }
    m.author = p
        .get("authors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|a| {
            let name = text(a.get("name"));
            let mail = text(a.get("email"));
            super::person(name.as_deref().or(mail.as_deref())?, mail.as_deref())
        });
    // The commit installed: the source's, else the archive's.
    let reference = ["source", "dist"]
        .iter()
        .find_map(|k| text(p.get(k).and_then(|s| s.get("reference"))));
    if let Some(r) = reference {
        m.properties.insert("sbomkit:composer:reference".into(), r);
    }
    if let Some(sha1) = text(p.get("dist").and_then(|d| d.get("shasum"))) {
        let c = Checksum::new(HashAlg::Sha1, sha1.to_ascii_lowercase());
        if c.is_well_formed() {
            m.checksums.push(c);
        }
    }
    if dev.iter().any(|d| d.as_str() == Some(name.as_str())) {
        m.properties
            .insert("sbomkit:composer:dev".into(), "true".into());
    }
    m.name = name;
    m.version = version;
    Some(m)
}

pub fn parse(_path: &[u8], content: &[u8]) -> Listed {
    let installed: Installed = serde_json::from_slice(content)
        .map_err(|e| format!("not a Composer installed.json: {e}"))?;
    let (packages, dev) = match installed {
        Installed::V2 { packages, dev } => (packages, dev),
        Installed::V1(packages) => (packages, Vec::new()),
    };
    if packages.len() > MAX_LISTED {
        return Err(format!(
            "{} packages: more than the {MAX_LISTED} read from one list",
            packages.len()
        ));
    }
    Ok(Listing {
        first_holds_rest: false,
        packages: packages.iter().filter_map(|p| package(p, &dev)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Actor;

    fn fixture() -> Vec<u8> {
        std::fs::read(crate::catalog::testutil::testdata(
            "lang/mediawiki.installed.json",
        ))
        .unwrap()
    }

    /// Debian's mediawiki bundles 67 Composer packages (v2 shape).
    #[test]
    fn a_v2_installed_json() {
        let l = parse(b"", &fixture()).unwrap();
        assert!(!l.first_holds_rest);
        assert_eq!(l.packages.len(), 67);
        let guzzle = l
            .packages
            .iter()
            .find(|m| m.name == "guzzlehttp/guzzle")
            .unwrap();
        assert_eq!(guzzle.version, "7.4.5");
        assert_eq!(
            guzzle.purl.as_deref(),
            Some("pkg:composer/guzzlehttp/guzzle@7.4.5")
        );
        assert_eq!(guzzle.licenses, ["MIT"]);
        assert_eq!(
            guzzle.author,
            Actor::person("Graham Campbell", Some("hello@gjcampbell.co.uk"))
        );
        assert_eq!(
            guzzle
                .properties
                .get("sbomkit:composer:reference")
                .map(String::as_str),
            Some("1dd98b0564cb3f6bd16ce683cb755f94c10fbd82")
        );
        let base32 = &l.packages[0];
        assert_eq!(base32.name, "christian-riesen/base32");
        assert_eq!(
            base32
                .properties
                .get("sbomkit:composer:reference")
                .map(String::as_str),
            Some("2e82dab3baa008e24a505649b0d583c31d31e894")
        );
        // Its `dist.shasum` is empty: no checksum.
        assert!(base32.checksums.is_empty());
        let pear = l
            .packages
            .iter()
            .find(|m| m.name == "pear/net_socket")
            .unwrap();
        assert_eq!(pear.version, "v1.2.2");
        assert_eq!(pear.licenses, ["PHP License"]);
    }

    /// The v1 shape (a bare array) of the same entries gives the same packages.
    #[test]
    fn a_v1_installed_json() {
        let v2: Value = serde_json::from_slice(&fixture()).unwrap();
        let v1 = serde_json::to_vec(&v2["packages"]).unwrap();
        assert_eq!(parse(b"", &v1), parse(b"", &fixture()));
    }

    #[test]
    fn entries_without_name_or_version_and_dev_packages() {
        let l = parse(
            b"",
            br#"{"packages":[{"name":"a/b","version":"1.0","dist":{"shasum":"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"}},
                {"name":"nameonly"},{"name":"noslash","version":"1"},7,
                {"name":"c/d","version":"2","license":"MIT","authors":[{"email":"x@y.org"}]}],
                "dev-package-names":["c/d"]}"#,
        )
        .unwrap();
        let names: Vec<&str> = l.packages.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a/b", "c/d"]);
        assert_eq!(
            l.packages[0].checksums,
            [Checksum::new(
                HashAlg::Sha1,
                "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            )]
        );
        assert_eq!(l.packages[1].licenses, ["MIT"]);
        assert_eq!(
            l.packages[1].author,
            Actor::person("x@y.org", Some("x@y.org"))
        );
        assert_eq!(
            l.packages[1]
                .properties
                .get("sbomkit:composer:dev")
                .map(String::as_str),
            Some("true")
        );
        assert!(parse(b"", b"{\"packages\": 3}").is_err());
        assert!(parse(b"", b"[[[[").is_err());
    }

    /// A list over the size read is a warning, not parsed.
    #[test]
    fn a_huge_file_is_not_read() {
        use crate::catalog::Cataloger;
        let big = vec![b' '; super::super::MAX_LISTING + 1];
        let summary = CATALOGER
            .inspect(b"vendor/composer/installed.json", &big)
            .unwrap();
        let read = summary.downcast_ref::<Listed>().unwrap();
        assert!(
            read.as_ref().unwrap_err().contains("larger than the"),
            "{read:?}"
        );
    }

    #[test]
    fn only_composers_own_file() {
        assert!(is_manifest(b"var/www/html/vendor/composer/installed.json"));
        assert!(is_manifest(b"vendor/composer/installed.json"));
        assert!(!is_manifest(b"var/www/myvendor/composer/installed.json"));
        assert!(!is_manifest(b"var/www/vendor/composer/installed.php"));
    }
}
