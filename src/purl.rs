//! Package URLs, per the purl specification
//! (<https://github.com/package-url/purl-spec/blob/main/docs/specification.md>).
//!
//! Every component is percent-encoded except ASCII letters, digits, `.`, `-`, `_`, `~` and `:`, which
//! the specification says must stay as they are. So `2.36-9+deb12u4` becomes `2.36-9%2Bdeb12u4` and
//! an epoch such as `1:1.2.11` keeps its colon. Qualifiers are sorted by key; keys are lower case.
//! The type is checked when it is made ([`PurlType`]), so every purl written has a valid one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;

/// A purl type: ASCII letters (kept lower case), digits, `.`, `+` and `-`, not starting with a digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PurlType(Cow<'static, str>);

/// A purl type that breaks the rules of [`PurlType`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPurlType(pub String);

impl fmt::Display for InvalidPurlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid purl type `{}`", self.0)
    }
}

impl std::error::Error for InvalidPurlType {}

impl PurlType {
    pub const APK: PurlType = PurlType::known("apk");
    pub const CARGO: PurlType = PurlType::known("cargo");
    pub const COMPOSER: PurlType = PurlType::known("composer");
    pub const DEB: PurlType = PurlType::known("deb");
    pub const GEM: PurlType = PurlType::known("gem");
    pub const GENERIC: PurlType = PurlType::known("generic");
    pub const GOLANG: PurlType = PurlType::known("golang");
    pub const MAVEN: PurlType = PurlType::known("maven");
    pub const NPM: PurlType = PurlType::known("npm");
    pub const NUGET: PurlType = PurlType::known("nuget");
    pub const OCI: PurlType = PurlType::known("oci");
    pub const PYPI: PurlType = PurlType::known("pypi");

    /// A type from input (an ELF package note, say). Types are case-insensitive: upper-case letters
    /// are lowered first.
    pub fn new(ty: &str) -> Result<PurlType, InvalidPurlType> {
        let lower = ty.to_ascii_lowercase();
        if valid_type(&lower) {
            Ok(PurlType(Cow::Owned(lower)))
        } else {
            Err(InvalidPurlType(ty.to_string()))
        }
    }

    /// A type named in the code: checked when the constant is evaluated, at compile time.
    const fn known(ty: &'static str) -> PurlType {
        assert!(valid_type(ty), "invalid purl type");
        PurlType(Cow::Borrowed(ty))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PurlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const fn valid_type(ty: &str) -> bool {
    let b = ty.as_bytes();
    if b.is_empty() || b[0].is_ascii_digit() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'+' || c == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

/// A package URL, built from decoded parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: PurlType,
    /// Namespace segments joined by `/` (each segment is encoded on its own).
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    /// Keys are lower-cased when written; empty values are left out, as the specification says.
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

impl Purl {
    pub fn new(ty: PurlType, name: impl Into<String>) -> Self {
        Purl {
            ty,
            namespace: None,
            name: name.into(),
            version: None,
            qualifiers: BTreeMap::new(),
            subpath: None,
        }
    }

    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    pub fn with_qualifier(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.qualifiers
            .insert(key.into().to_ascii_lowercase(), value.into());
        self
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = self.namespace.as_deref() {
            let segments: Vec<String> = ns
                .split('/')
                .filter(|s| !s.is_empty())
                .map(encode)
                .collect();
            if !segments.is_empty() {
                write!(f, "{}/", segments.join("/"))?;
            }
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = self.version.as_deref() {
            write!(f, "@{}", encode(v))?;
        }
        let mut first = true;
        for (k, v) in &self.qualifiers {
            if v.is_empty() {
                continue;
            }
            f.write_str(if first { "?" } else { "&" })?;
            first = false;
            // `/` stays as is in a value (`repository_url=ghcr.io/o/app`), as the spec's examples
            // and packageurl-go write it.
            write!(
                f,
                "{}={}",
                k.to_ascii_lowercase(),
                encode(v).replace("%2F", "/")
            )?;
        }
        if let Some(sub) = self.subpath.as_deref() {
            let segments: Vec<String> = sub
                .split('/')
                .filter(|s| !s.is_empty() && *s != "." && *s != "..")
                .map(encode)
                .collect();
            if !segments.is_empty() {
                write!(f, "#{}", segments.join("/"))?;
            }
        }
        Ok(())
    }
}

/// A purl as written, made only from a [`Purl`]: what the model keeps.
// Serde only for the layer cache's summaries, which are made from purls.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct PurlString(String);

impl From<Purl> for PurlString {
    fn from(p: Purl) -> Self {
        PurlString(p.to_string())
    }
}

impl PurlString {
    /// A purl read from a document another tool wrote: kept as written when it has the
    /// `pkg:TYPE/NAME` shape and a valid type; `None` otherwise.
    pub fn read(s: &str) -> Option<PurlString> {
        let rest = s.strip_prefix("pkg:")?;
        let (ty, name) = rest.split_once('/')?;
        PurlType::new(ty).ok()?;
        (!name.trim_matches('/').is_empty() && !s.chars().any(char::is_whitespace))
            .then(|| PurlString(s.to_string()))
    }

    /// The purl's type (`apk`, `npm`), lower case as the specification writes it.
    pub fn purl_type(&self) -> &str {
        self.0
            .strip_prefix("pkg:")
            .and_then(|r| r.split('/').next())
            .unwrap_or("")
    }
}

impl Deref for PurlString {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PurlString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encodes one purl component (UTF-8 bytes, upper-case hex).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The purl `distro` qualifier for an os-release: `ID-VERSION` (`debian-12.15`, `wolfi-20230201`,
/// with [`Distro::version`](crate::model::Distro::version)), falling back to the codename, then to
/// the bare id.
pub fn distro_qualifier(distro: &crate::model::Distro) -> String {
    match (distro.version(), distro.version_codename.as_deref()) {
        (Some(v), _) if !v.is_empty() => format!("{}-{}", distro.id, v),
        (_, Some(c)) if !c.is_empty() => format!("{}-{}", distro.id, c),
        _ => distro.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apk_example() {
        let p = Purl::new(PurlType::APK, "openssl")
            .with_namespace("wolfi")
            .with_version("3.3.0-r0")
            .with_qualifier("distro", "wolfi-20230201")
            .with_qualifier("arch", "x86_64");
        assert_eq!(
            p.to_string(),
            "pkg:apk/wolfi/openssl@3.3.0-r0?arch=x86_64&distro=wolfi-20230201"
        );
    }

    #[test]
    fn versions_with_plus_tilde_colon() {
        let p = Purl::new(PurlType::DEB, "libc6")
            .with_namespace("debian")
            .with_version("2.36-9+deb12u4")
            .with_qualifier("arch", "amd64")
            .with_qualifier("distro", "debian-12");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        let p = Purl::new(PurlType::DEB, "zlib1g")
            .with_namespace("debian")
            .with_version("1:1.2.11.dfsg-1~bpo10+1");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/zlib1g@1:1.2.11.dfsg-1~bpo10%2B1"
        );
    }

    #[test]
    fn qualifier_values_and_names_are_encoded() {
        let p = Purl::new(PurlType::DEB, "g++ 12")
            .with_namespace("debian")
            .with_qualifier("upstream", "gcc-12@12.2.0-14")
            .with_qualifier("Empty", "");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/g%2B%2B%2012?upstream=gcc-12%4012.2.0-14"
        );
        assert_eq!(encode("a/b?c#d&e=f%"), "a%2Fb%3Fc%23d%26e%3Df%25");
        let oci = Purl::new(PurlType::OCI, "app").with_qualifier("repository_url", "ghcr.io/o/app");
        assert_eq!(oci.to_string(), "pkg:oci/app?repository_url=ghcr.io/o/app");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn namespace_segments_and_subpath() {
        let ty = PurlType::new("GoLang").expect("letters are a valid type");
        let mut p = Purl::new(ty, "x").with_namespace("/golang.org//a b/");
        p.subpath = Some("./sub/../dir".into());
        assert_eq!(p.to_string(), "pkg:golang/golang.org/a%20b/x#sub/dir");
    }

    #[test]
    fn types_follow_the_spec() {
        for ok in ["apk", "c++", "a.b-c", "x1", "GitHub"] {
            assert!(PurlType::new(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            PurlType::new("GitHub").map(|t| t.to_string()),
            Ok("github".into())
        );
        for bad in [
            "", "1abc", "9", "a b", "a/b", "a_b", "a:b", "a%b", "é", "deb\n",
        ] {
            assert_eq!(
                PurlType::new(bad),
                Err(InvalidPurlType(bad.to_string())),
                "{bad:?}"
            );
        }
        for known in [
            PurlType::APK,
            PurlType::CARGO,
            PurlType::COMPOSER,
            PurlType::DEB,
            PurlType::GEM,
            PurlType::GENERIC,
            PurlType::GOLANG,
            PurlType::MAVEN,
            PurlType::NPM,
            PurlType::NUGET,
            PurlType::OCI,
            PurlType::PYPI,
        ] {
            assert_eq!(PurlType::new(known.as_str()).as_ref(), Ok(&known));
        }
    }

    #[test]
    fn purl_string_is_the_written_purl() {
        let p = Purl::new(PurlType::NPM, "node").with_namespace("@types");
        let s = PurlString::from(p.clone());
        assert_eq!(&*s, "pkg:npm/%40types/node");
        assert_eq!(s.to_string(), p.to_string());
    }
}
