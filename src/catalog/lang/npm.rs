//! npm packages: a `package.json` with a name and a version, wherever it is (inside `node_modules/`,
//! or the system module folders such as Debian's `/usr/share/nodejs`).

use serde::Deserialize;
use serde_json::Value;

use super::{Manifest, ManifestCataloger, Read};
use crate::model::{is_email, Actor, PackageKind, Purpose, Technique};
use crate::purl::{Purl, PurlType};

/// An npm package (`package.json`).
pub const KIND: PackageKind = PackageKind {
    name: "npm",
    purl_type: Some("npm"),
    purpose: Purpose::Library,
    technique: Some(Technique::ManifestAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// npm packages from `package.json` files.
pub const CATALOGER: ManifestCataloger = ManifestCataloger {
    name: "npm-manifest",
    kind: KIND,
    is_manifest,
    parse,
};

pub fn is_manifest(path: &[u8]) -> bool {
    path == b"package.json" || path.ends_with(b"/package.json")
}

#[derive(Deserialize)]
struct PackageJson {
    name: Option<Value>,
    version: Option<Value>,
    description: Option<Value>,
    homepage: Option<Value>,
    license: Option<Value>,
    licenses: Option<Value>,
    author: Option<Value>,
    private: Option<Value>,
}

fn text(v: &Option<Value>) -> Option<String> {
    v.as_ref()
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `"MIT"`, `{"type": "MIT"}`, or a list of either (the old `licenses` field).
fn licenses(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("type") {
                if !s.trim().is_empty() {
                    out.push(s.trim().to_string());
                }
            }
        }
        Value::Array(a) => a.iter().take(16).for_each(|x| licenses(x, out)),
        _ => {}
    }
}

/// npm's person forms: `"Name <mail> (url)"` (each part optional, as npm's own parser reads it) or
/// `{"name", "email", "url"}`. A URL is never an email (`"Javier Blanco <http://jbgutierrez.info>"`)
/// nor a name (`"(https://github.com/x)"`, `"https://x.org"`); the model has no place for it.
fn author(v: &Value) -> Option<Actor> {
    let (name, mail) = match v {
        Value::String(s) => split_person(s),
        Value::Object(o) => (
            o.get("name").and_then(Value::as_str).unwrap_or(""),
            o.get("email").and_then(Value::as_str),
        ),
        _ => return None,
    };
    let name = name.trim();
    let mail = mail.map(str::trim).filter(|m| is_email(m));
    let name = if name.is_empty() || is_url(name) {
        mail?
    } else {
        name
    };
    Actor::person(name, mail)
}

/// `Name <mail> (url)` into the name and what is between the angle brackets.
fn split_person(s: &str) -> (&str, Option<&str>) {
    let end = s.find(['<', '(']).unwrap_or(s.len());
    let (name, rest) = s.split_at(end);
    let mail = rest
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map(|(m, _)| m);
    (name, mail)
}

fn is_url(s: &str) -> bool {
    s.contains("://") || s.starts_with("www.")
}

pub fn parse(content: &[u8]) -> Read {
    let p: PackageJson =
        serde_json::from_slice(content).map_err(|e| format!("not a package.json: {e}"))?;
    let (Some(name), Some(version)) = (text(&p.name), text(&p.version)) else {
        return Ok(None);
    };
    // `@scope/name`: the scope is the purl namespace.
    let purl = match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, base)) => Purl::new(PurlType::NPM, base).with_namespace(format!("@{scope}")),
        None => Purl::new(PurlType::NPM, name.as_str()),
    }
    .with_version(version.as_str());
    let mut m = Manifest {
        purl: Some(purl.into()),
        name,
        version,
        description: text(&p.description),
        homepage: text(&p.homepage),
        author: p.author.as_ref().and_then(author),
        ..Manifest::default()
    };
    for v in [&p.license, &p.licenses].into_iter().flatten() {
        licenses(v, &mut m.licenses);
    }
    if p.private.as_ref().and_then(Value::as_bool) == Some(true) {
        m.properties
            .insert("sbomkit:npm:private".into(), "true".into());
    }
    Ok(Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_package_with_object_license_and_author() {
        let m = parse(
            br#"{"name":"@types/node","version":"18.18.14","license":{"type":"MIT"},
                "author":"Jane Doe <jane@example.org> (https://example.org)","description":" Types "}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.purl.as_deref(), Some("pkg:npm/%40types/node@18.18.14"));
        assert_eq!(m.name, "@types/node");
        assert_eq!(m.licenses, ["MIT"]);
        assert_eq!(
            m.author,
            Actor::person("Jane Doe", Some("jane@example.org"))
        );
        assert_eq!(m.description.as_deref(), Some("Types"));
    }

    #[test]
    fn without_name_or_version_it_is_not_a_package() {
        assert_eq!(parse(br#"{"name":"x"}"#), Ok(None));
        assert_eq!(parse(br#"{"version":"1.0.0","private":true}"#), Ok(None));
        assert!(parse(b"{not json").is_err());
        // Fields of unexpected types are ignored, not errors.
        let m = parse(br#"{"name":"a","version":"1","license":7,"licenses":[{"type":"ISC"},"MIT"],"author":{"name":"A","email":"a@b"},"private":true}"#)
            .unwrap()
            .unwrap();
        assert_eq!(m.licenses, ["ISC", "MIT"]);
        assert_eq!(m.author, Actor::person("A", Some("a@b")));
        assert_eq!(
            m.properties.get("sbomkit:npm:private").map(String::as_str),
            Some("true")
        );
    }

    /// Debian's node-path-parse: the author's URL in angle brackets is not an email.
    #[test]
    fn an_author_url_is_not_an_email() {
        let m = parse(include_bytes!(
            "../../../testdata/lang/path-parse.package.json"
        ))
        .unwrap()
        .unwrap();
        assert_eq!(m.purl.as_deref(), Some("pkg:npm/path-parse@1.0.7"));
        assert_eq!(m.author, Actor::person("Javier Blanco", None));
        for (json, want) in [
            (
                r#""Isaac Z. Schlueter <i@izs.me> (http://blog.izs.me/)""#,
                Actor::person("Isaac Z. Schlueter", Some("i@izs.me")),
            ),
            (
                r#""Shinnosuke Watanabe (https://github.com/shinnn)""#,
                Actor::person("Shinnosuke Watanabe", None),
            ),
            (r#""Raynos""#, Actor::person("Raynos", None)),
            (r#""<a@b.org>""#, Actor::person("a@b.org", Some("a@b.org"))),
            (r#""https://example.org""#, None),
            (r#""(https://example.org)""#, None),
            (r#""<http://example.org>""#, None),
            (
                r#"{"name":"James Halliday","email":"mail@substack.net","url":"http://substack.net"}"#,
                Actor::person("James Halliday", Some("mail@substack.net")),
            ),
            (
                r#"{"name":"X","email":"http://x.org"}"#,
                Actor::person("X", None),
            ),
            (r#"{"url":"http://x.org"}"#, None),
        ] {
            let v: Value = serde_json::from_str(json).unwrap();
            assert_eq!(author(&v), want, "{json}");
        }
    }

    #[test]
    fn manifests_are_package_json_files() {
        assert!(is_manifest(b"usr/share/nodejs/acorn/package.json"));
        assert!(is_manifest(b"package.json"));
        assert!(!is_manifest(b"usr/share/nodejs/acorn/xpackage.json"));
    }
}
