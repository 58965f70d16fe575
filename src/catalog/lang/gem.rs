//! Ruby gems: the installed gemspecs `gem install` writes (`specifications/NAME-VERSION.gemspec`,
//! and `specifications/default/` for Ruby's default gems), under any gem home, including Debian's
//! `rubygems-integration` folders. They are Ruby code; only the plain assignments gem writes
//! (`s.name = "rack".freeze`, `s.licenses = ["MIT".freeze]`) are read, no Ruby is run.

use super::{Manifest, ManifestCataloger, Read};
use crate::model::{PackageKind, Purpose, Technique};
use crate::purl::{Purl, PurlType};

/// A Ruby gem (installed gemspec).
pub const KIND: PackageKind = PackageKind {
    name: "gem",
    purl_type: Some("gem"),
    purpose: Purpose::Library,
    technique: Some(Technique::ManifestAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// Ruby gems from installed gemspecs.
pub const CATALOGER: ManifestCataloger = ManifestCataloger {
    name: "ruby-gemspec",
    kind: KIND,
    is_manifest,
    parse,
};

/// Most strings read from one array (`s.authors = [...]`).
const MAX_ITEMS: usize = 64;

pub fn is_manifest(path: &[u8]) -> bool {
    let Some(dir_end) = path.iter().rposition(|&b| b == b'/') else {
        return false;
    };
    let (dir, file) = (&path[..dir_end], &path[dir_end + 1..]);
    file.len() > b".gemspec".len()
        && file.ends_with(b".gemspec")
        && (dir == b"specifications"
            || dir.ends_with(b"/specifications")
            || dir.ends_with(b"/specifications/default"))
}

/// A value gem writes: a string or an array of strings.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    List(Vec<String>),
}

impl Value {
    fn first(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::List(l) => l.first().map(String::as_str),
        }
    }
    fn all(&self) -> Vec<String> {
        match self {
            Value::Str(s) => vec![s.clone()],
            Value::List(l) => l.clone(),
        }
    }
}

/// A string literal at the start of `s`: `"..."` with Ruby's escapes, `'...'`, or `%q<...>` (gem
/// writes dependency names so), with an optional `.freeze`; and the rest after it.
fn string(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let (close, body, escapes) = if let Some(r) = s.strip_prefix('"') {
        ('"', r, true)
    } else if let Some(r) = s.strip_prefix('\'') {
        ('\'', r, false)
    } else if let Some(r) = s.strip_prefix("%q<") {
        ('>', r, false)
    } else {
        return None;
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == close {
            let rest = &body[i + 1..];
            let rest = rest.strip_prefix(".freeze").unwrap_or(rest);
            return Some((out, rest));
        }
        if c == '\\' {
            let (_, e) = chars.next()?;
            match (escapes, e) {
                (true, 'n') => out.push('\n'),
                (true, 't') => out.push('\t'),
                (true, e) => out.push(e),
                (false, e) if e == close || e == '\\' => out.push(e),
                (false, e) => {
                    out.push('\\');
                    out.push(e);
                }
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// The value of one assignment: a string, or an array of strings (at most [`MAX_ITEMS`] kept).
fn value(s: &str) -> Option<Value> {
    let s = s.trim_start();
    let Some(mut rest) = s.strip_prefix('[') else {
        return string(s).map(|(v, _)| Value::Str(v));
    };
    let mut items = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.starts_with(']') {
            return Some(Value::List(items));
        }
        let (item, r) = string(rest)?;
        if items.len() < MAX_ITEMS {
            items.push(item);
        }
        rest = r.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// `s.FIELD = VALUE` lines of the specification block (any block variable name).
fn fields(text: &str) -> Vec<(&str, Value)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((var, rest)) = line.split_once('.') else {
            continue;
        };
        if var.is_empty() || !var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let Some((field, rhs)) = rest.split_once(" = ") else {
            continue;
        };
        let field = field.trim();
        if field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            if let Some(v) = value(rhs) {
                out.push((field, v));
            }
        }
    }
    out
}

pub fn parse(content: &[u8]) -> Read {
    let text = std::str::from_utf8(content).map_err(|_| "not a gemspec: not UTF-8".to_string())?;
    if !text.contains("Gem::Specification.new") {
        return Err("not a gemspec: no Gem::Specification".into());
    }
    let fields = fields(text);
    let get = |name: &str| fields.iter().find(|(f, _)| *f == name).map(|(_, v)| v);
    let text_of = |name: &str| {
        get(name)
            .and_then(Value::first)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (Some(name), Some(version)) = (text_of("name"), text_of("version")) else {
        return Ok(None);
    };
    let mut licenses: Vec<String> = ["license", "licenses"]
        .iter()
        .filter_map(|f| get(f))
        .flat_map(Value::all)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    licenses.dedup();
    // The first author, with the first email when gem lists one.
    let author = get("authors")
        .and_then(Value::first)
        .and_then(|a| super::person(a, get("email").and_then(Value::first)));
    Ok(Some(Manifest {
        purl: Some(
            Purl::new(PurlType::GEM, name.as_str())
                .with_version(version.as_str())
                .into(),
        ),
        name,
        version,
        licenses,
        description: text_of("summary"),
        homepage: text_of("homepage"),
        author,
        ..Manifest::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Actor;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(crate::catalog::testutil::testdata(&format!("lang/{name}"))).unwrap()
    }

    /// Debian's ruby-rack: the gemspec rubygems wrote, escapes and all.
    #[test]
    fn an_installed_gemspec() {
        let m = parse(&fixture("rack-2.2.22.gemspec")).unwrap().unwrap();
        assert_eq!(m.name, "rack");
        assert_eq!(m.version, "2.2.22");
        assert_eq!(m.purl.as_deref(), Some("pkg:gem/rack@2.2.22"));
        assert_eq!(m.licenses, ["MIT"]);
        assert_eq!(m.homepage.as_deref(), Some("https://github.com/rack/rack"));
        assert_eq!(
            m.description.as_deref(),
            Some("A modular Ruby webserver interface.")
        );
        assert_eq!(
            m.author,
            Actor::person("Leah Neukirchen", Some("leah@vuxu.org"))
        );
    }

    /// ruby-rack-test: two authors and an array of emails; the first of each is the originator.
    #[test]
    fn authors_and_emails_as_arrays() {
        let m = parse(&fixture("rack-test-2.0.2.gemspec")).unwrap().unwrap();
        assert_eq!(m.purl.as_deref(), Some("pkg:gem/rack-test@2.0.2"));
        assert_eq!(
            m.author,
            Actor::person("Jeremy Evans", Some("code@jeremyevans.net"))
        );
    }

    #[test]
    fn strings_as_gem_writes_them() {
        assert_eq!(
            string(r#""a\"b\\c\nd".freeze, x"#),
            Some(("a\"b\\c\nd".into(), ", x"))
        );
        assert_eq!(string("%q<rake>.freeze, ["), Some(("rake".into(), ", [")));
        assert_eq!(string("'it''"), Some(("it".into(), "'")));
        assert_eq!(string(r#""open"#), None);
        assert_eq!(
            value(r#"["A".freeze, "B".freeze]"#),
            Some(Value::List(vec!["A".into(), "B".into()]))
        );
        assert_eq!(value(r#"["A".freeze, 7]"#), None);
        assert_eq!(value("Gem::Requirement.new"), None);
    }

    #[test]
    fn not_a_gem_or_not_a_gemspec() {
        assert_eq!(
            parse(b"Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n"),
            Ok(None)
        );
        assert!(parse(b"\xff\xfe").is_err());
        assert!(parse(b"puts 1").is_err());
        // A license given as one string, and a hand-written block variable.
        let m = parse(b"Gem::Specification.new do |spec|\n spec.name = 'x'\n spec.version = '1.0'\n spec.license = 'Ruby'\nend\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.version.as_str(), m.licenses.as_slice()),
            ("1.0", &["Ruby".to_string()][..])
        );
    }

    #[test]
    fn gemspecs_in_specification_folders() {
        for yes in [
            "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec",
            "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
            "usr/local/lib/ruby/gems/3.3.0/specifications/rails-7.1.0.gemspec",
            "usr/local/bundle/specifications/puma-6.4.0.gemspec",
        ] {
            assert!(is_manifest(yes.as_bytes()), "{yes}");
        }
        for no in [
            "srv/app/app.gemspec",
            "usr/lib/ruby/gems/3.1.0/specifications/.gemspec",
            "usr/lib/ruby/gems/3.1.0/specifications/x.rb",
        ] {
            assert!(!is_manifest(no.as_bytes()), "{no}");
        }
    }
}
