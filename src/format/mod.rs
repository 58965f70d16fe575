//! Writers: turn a [`Sbom`] into SPDX 2.3 (JSON, tag-value), SPDX 3.0.1 JSON-LD, CycloneDX
//! 1.5/1.6/1.7 (JSON, XML) or a table for people.
//! Writers see only the model; they never read the source.
//!
//! Every writer is a pure function of the model: no clock, no randomness. The SPDX namespace and the
//! CycloneDX serial number are UUIDv5 values derived from the subject's digests and a hash of the
//! document body, so the same model always gives the same bytes and different content a different id.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Write};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::{
    Completeness, FileForm, IdentityRole, Package, Sbom, Subject, SubjectKind, UnknownCause,
};
use crate::purl::{Purl, PurlType};

mod cyclonedx;
pub mod index;
mod spdx;
mod spdx3;
mod table;
pub mod words;

pub use words::OutputSpec;

/// Output formats for `-o`; their names and versions are in [`words`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    SpdxJson,
    SpdxTagValue,
    Spdx3Json,
    CycloneDxJson,
    CycloneDxXml,
    Table,
}

/// CycloneDX spec versions, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum CycloneDxVersion {
    V1_5,
    V1_6,
    #[default]
    V1_7,
}

impl CycloneDxVersion {
    pub const ALL: [CycloneDxVersion; 3] = [Self::V1_5, Self::V1_6, Self::V1_7];

    /// As `specVersion` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
            Self::V1_7 => "1.7",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub cyclonedx_version: CycloneDxVersion,
    /// The table's width in terminal columns: long cells are cut to fit, with `…`. `None` keeps
    /// every cell whole (files and pipes, so that the output stays byte-reproducible).
    pub width: Option<usize>,
}

/// Writes `sbom` in `format`.
pub fn write(
    sbom: &Sbom,
    format: Format,
    opts: &WriteOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::SpdxJson => spdx::write(sbom, out),
        Format::SpdxTagValue => spdx::write_tag_value(sbom, out),
        Format::Spdx3Json => spdx3::write(sbom, out),
        Format::CycloneDxJson => cyclonedx::write(sbom, opts.cyclonedx_version, out),
        Format::CycloneDxXml => cyclonedx::write_xml(sbom, opts.cyclonedx_version, out),
        Format::Table => table::write(sbom, opts.width, out),
    }
}

/// `Tool: sbomkit-<version>` and friends name the tool with this.
pub(crate) const TOOL_NAME: &str = "sbomkit";
pub(crate) const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The base namespace of every UUIDv5 sbomkit derives.
fn uuid_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://sbomkit.dev/")
}

/// A document id derived from the subject's digests and the SHA-256 of the document body (written
/// with the id left empty), so that it is stable for the same content and differs for other content.
pub(crate) fn document_uuid(subject: &Subject, body_sha256: &[u8]) -> Uuid {
    let mut name = Vec::new();
    for id in &subject.identities {
        name.extend_from_slice(id.digest.as_bytes());
        name.push(b'\n');
    }
    name.extend_from_slice(hex::encode(body_sha256).as_bytes());
    Uuid::new_v5(&uuid_namespace(), &name)
}

/// A `Write` that only hashes, to derive ids from a body without keeping it in memory.
#[derive(Default)]
pub(crate) struct HashWriter(pub(crate) Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `created` as RFC 3339 UTC with a `Z`, as both formats want it.
pub(crate) fn rfc3339(secs: i64) -> io::Result<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .filter(|t| (0..=9999).contains(&t.year()))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("document time {secs} is outside the years 0000-9999"),
            )
        })?;
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f).map_err(io::Error::other)
}

/// The digest identifying the subject best: manifest, else config, else the file's own digest.
pub(crate) fn subject_digest(subject: &Subject) -> Option<&str> {
    [
        IdentityRole::Manifest,
        IdentityRole::Config,
        IdentityRole::File,
    ]
    .iter()
    .find_map(|role| subject.identities.iter().find(|i| i.role == *role))
    .map(|i| i.digest.as_str())
}

/// The hex of the subject's config digest (image) or own digest (file), for SHA-256 checksums.
pub(crate) fn subject_sha256(subject: &Subject) -> Option<&str> {
    let role = match subject.kind {
        SubjectKind::Image => IdentityRole::Config,
        SubjectKind::File => IdentityRole::File,
        SubjectKind::Directory => return None,
    };
    subject
        .identities
        .iter()
        .find(|i| i.role == role && i.digest.starts_with("sha256:"))
        .map(|i| i.hex())
        .filter(|h| valid_hex(h, 64))
}

/// Splits an image reference into (repository, tag); a trailing `@digest` is dropped.
fn split_reference(name: &str) -> (&str, Option<&str>) {
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    }
}

/// Docker's rule: the first path component names a registry if it has a `.` or `:` or is `localhost`.
fn has_registry(repository: &str) -> bool {
    match repository.split_once('/') {
        Some((first, _)) => first.contains('.') || first.contains(':') || first == "localhost",
        None => false,
    }
}

/// `pkg:oci/NAME@sha256:<hex>?arch=..&os=..&repository_url=..&tag=..&variant=..` per the purl OCI
/// type (`variant` is OCI's platform field; the type defines none); None when the subject is not an
/// image or has no digest. Without a repository the name is `image`.
pub(crate) fn image_purl(subject: &Subject) -> Option<String> {
    if subject.kind != SubjectKind::Image {
        return None;
    }
    let digest = subject
        .identities
        .iter()
        .find(|i| i.role == IdentityRole::Manifest)
        .or_else(|| {
            subject
                .identities
                .iter()
                .find(|i| i.role == IdentityRole::Config)
        })?;
    // An OCI layout whose refs are only tags (`3.10`) names no repository: the subject's name is
    // then the archive's file name, which the purl's name (a repository's last part) must not take.
    let unnamed = !subject.tags.is_empty()
        && subject.tags.iter().all(|t| !t.contains(['/', ':']))
        && !subject.tags.contains(&subject.name);
    let (repository, parsed_tag) = split_reference(if unnamed { "" } else { subject.name.trim() });
    let last = repository
        .rsplit('/')
        .next()
        .unwrap_or(repository)
        .to_ascii_lowercase();
    let name = if last.is_empty() {
        "image".to_string()
    } else {
        last
    };
    let mut purl = Purl::new(PurlType::OCI, name).with_version(digest.digest.clone());
    if let Some(p) = &subject.platform {
        purl = purl
            .with_qualifier("arch", p.architecture.clone())
            .with_qualifier("os", p.os.clone());
        // The oci type has no variant; OCI's own field name keeps `arm64` `v8` apart from `v9`.
        if let Some(v) = &p.variant {
            purl = purl.with_qualifier("variant", v.clone());
        }
    }
    if has_registry(repository) {
        purl = purl.with_qualifier("repository_url", repository.to_ascii_lowercase());
    }
    if let Some(tag) = subject.version.as_deref().or(parsed_tag) {
        purl = purl.with_qualifier("tag", tag);
    }
    Some(purl.to_string())
}

/// Lower- or upper-case hex of exactly `len` digits.
pub(crate) fn valid_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A homepage worth writing: an absolute http(s) URL without spaces or control characters.
pub(crate) fn usable_url(s: &str) -> Option<&str> {
    let s = s.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && !rest.starts_with('/')
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b));
    ok.then_some(s)
}

/// Hands out unique output ids for model ids: `prefix` + the id reduced to `[A-Za-z0-9.-]`. A lossy
/// reduction gets a short hash of the original, and a clash still left gets a counter, so every id is
/// unique and, for the same model, stable.
pub(crate) struct IdMap {
    used: HashSet<String>,
    map: HashMap<String, String>,
}

impl IdMap {
    pub(crate) fn new() -> Self {
        IdMap {
            used: HashSet::new(),
            map: HashMap::new(),
        }
    }

    /// Reserves an exact id (for fixed ids like `SPDXRef-DOCUMENT`).
    pub(crate) fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }

    pub(crate) fn assign(&mut self, prefix: &str, model_id: &str) -> String {
        if let Some(id) = self.map.get(model_id) {
            return id.clone();
        }
        let base = format!("{prefix}{}", sanitize_id(model_id));
        let mut id = base.clone();
        let mut n = 2u64;
        while self.used.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        self.map.insert(model_id.to_string(), id.clone());
        id
    }

    #[cfg(test)]
    pub(crate) fn get(&self, model_id: &str) -> Option<&str> {
        self.map.get(model_id).map(String::as_str)
    }
}

/// Reduces `s` to the characters SPDX allows in ids (`[A-Za-z0-9.-]`). When anything had to change,
/// a short hash of the original is appended so that `a/b` and `a:b` stay apart.
pub(crate) fn sanitize_id(s: &str) -> String {
    const MAX: usize = 100;
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let lossy = out != s || out.len() > MAX || out.is_empty();
    if lossy {
        out.truncate(MAX);
        let h = Sha256::digest(s.as_bytes());
        if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        out.push_str(&hex::encode(&h[..4]));
    }
    out
}

/// What a package's hashes are of, written beside them (`sbomkit:hashes`, an SPDX comment line):
/// digests say nothing unless it is known what bytes they cover.
pub(crate) fn hashes_of(p: &Package) -> String {
    match (&p.file, p.checksums.is_empty()) {
        (Some(f), _) => format!("the file {f} as shipped in the image"),
        (None, false) => {
            "as the package metadata records them; its deployable form is not in the image".into()
        }
        (None, true) => "unknown: its deployable form is not in the image".into(),
    }
}

/// BSI TR-03183-2 v2.1's file facts of a package that is one file (taxonomy
/// `bsi:component:{filename,executable,archive,structured}`), in that order; none for a package
/// that is not one file, whose deployable form the image does not hold.
pub(crate) fn bsi_file_facts(p: &Package) -> Vec<(&'static str, String)> {
    let (Some(form), Some(path)) = (p.kind.file, p.file.as_deref()) else {
        return Vec::new();
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    let (executable, archive, structured) = match form {
        FileForm::Executable => ("executable", "no archive", "unstructured"),
        // A jar's entries (its manifest, bundled jars) are listed, so it is structured.
        FileForm::Archive => ("non-executable", "archive", "structured"),
    };
    vec![
        ("bsi:component:filename", name.to_string()),
        ("bsi:component:executable", executable.into()),
        ("bsi:component:archive", archive.into()),
        ("bsi:component:structured", structured.into()),
    ]
}

/// How complete a package's listed dependencies are, in the words of CycloneDX's `aggregate` and
/// SPDX 3's `RelationshipCompleteness` (`unknown` is SPDX 3's `noAssertion`).
pub(crate) fn completeness_word(c: Completeness) -> &'static str {
    match c {
        Completeness::Complete => "complete",
        Completeness::Incomplete => "incomplete",
        Completeness::Unknown => "unknown",
    }
}

/// What a document does not say, as SPDX writes it in the document comment: why it is incomplete,
/// each unknown, then each other warning (an unknown is also a warning for the user: named once).
pub(crate) fn incompleteness_lines(sbom: &Sbom) -> Vec<String> {
    let mut lines = Vec::new();
    let has = |cause| sbom.unknowns.iter().any(|u| u.cause == cause);
    if has(UnknownCause::UnreadDatabase) {
        lines.push(
            "This document is incomplete: the package databases named below were not read."
                .to_string(),
        );
    }
    if has(UnknownCause::Excluded) {
        lines.push(
            "This document is incomplete: the paths named below were excluded from the scan."
                .to_string(),
        );
    }
    if sbom.author.is_none() {
        lines.push("SBOM author: unknown (not given with --author).".to_string());
    }
    for u in &sbom.unknowns {
        lines.push(format!("unknown: {u}"));
    }
    let unknowns: BTreeSet<String> = sbom.unknowns.iter().map(|u| u.to_string()).collect();
    for w in sbom.warnings.iter().filter(|w| !unknowns.contains(*w)) {
        lines.push(format!("warning: {w}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Identity, Platform};

    fn image(name: &str, version: Option<&str>, manifest: bool) -> Subject {
        let mut identities = vec![Identity {
            role: IdentityRole::Config,
            digest: format!("sha256:{}", "c".repeat(64)),
        }];
        if manifest {
            identities.insert(
                0,
                Identity {
                    role: IdentityRole::Manifest,
                    digest: format!("sha256:{}", "a".repeat(64)),
                },
            );
        }
        Subject {
            kind: SubjectKind::Image,
            name: name.into(),
            version: version.map(Into::into),
            identities,
            platform: Some(Platform {
                os: "linux".into(),
                architecture: "amd64".into(),
                variant: None,
                os_version: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn image_purl_uses_manifest_digest_and_registry() {
        let s = image("ghcr.io/Org/Tools/Alpine:3.18", None, true);
        assert_eq!(
            image_purl(&s).as_deref(),
            Some(
                "pkg:oci/alpine@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
                 ?arch=amd64&os=linux&repository_url=ghcr.io/org/tools/alpine&tag=3.18"
            )
        );
    }

    #[test]
    fn image_purl_falls_back_to_config_digest_without_registry() {
        let s = image("alpine", Some("3.10"), false);
        let purl = image_purl(&s).unwrap_or_default();
        assert!(
            purl.starts_with(&format!("pkg:oci/alpine@sha256:{}?", "c".repeat(64))),
            "{purl}"
        );
        assert!(!purl.contains("repository_url"), "{purl}");
        assert!(purl.ends_with("&tag=3.10"), "{purl}");
    }

    #[test]
    fn image_purl_of_a_tag_only_layout_and_a_variant() {
        let mut s = image("alpine-3.10-oci.tar", Some("3.10"), true);
        s.tags = vec!["3.10".into()];
        s.platform.as_mut().unwrap().architecture = "arm64".into();
        s.platform.as_mut().unwrap().variant = Some("v8".into());
        assert_eq!(
            image_purl(&s).as_deref(),
            Some(
                "pkg:oci/image@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
                 ?arch=arm64&os=linux&tag=3.10&variant=v8"
            )
        );
        // A full reference among the tags names the repository.
        s.tags = vec!["docker.io/library/alpine:3.10".into()];
        s.name = "docker.io/library/alpine:3.10".into();
        assert!(image_purl(&s).unwrap().starts_with("pkg:oci/alpine@"));
    }

    #[test]
    fn image_purl_handles_registry_port_and_digest_reference() {
        let s = image("localhost:5000/app@sha256:0123", None, true);
        let purl = image_purl(&s).unwrap_or_default();
        assert!(purl.contains("repository_url=localhost:5000/app"), "{purl}");
        assert!(!purl.contains("tag="), "{purl}");
        let mut dir = image("x", None, true);
        dir.kind = SubjectKind::Directory;
        assert_eq!(image_purl(&dir), None);
    }

    #[test]
    fn sanitize_keeps_valid_ids_and_separates_lossy_ones() {
        assert_eq!(sanitize_id("apk-musl-1.2.4-r2"), "apk-musl-1.2.4-r2");
        let a = sanitize_id("apk:musl/1.2");
        let b = sanitize_id("apk/musl:1.2");
        assert_ne!(a, b);
        assert!(a.starts_with("apk-musl-1.2-"), "{a}");
        for id in [&a, &b] {
            assert!(id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
        }
        assert!(!sanitize_id("").is_empty());
        assert!(sanitize_id("ünïcode").is_ascii());
    }

    #[test]
    fn id_map_is_unique_even_on_clashes() {
        let mut m = IdMap::new();
        m.reserve("SPDXRef-Package-x");
        let x = m.assign("SPDXRef-Package-", "x");
        assert_eq!(x, "SPDXRef-Package-x-2");
        assert_eq!(
            m.assign("SPDXRef-Package-", "x"),
            x,
            "same model id, same output id"
        );
        let h = sanitize_id("a/b");
        let lossless = m.assign("SPDXRef-Package-", &h);
        let lossy = m.assign("SPDXRef-Package-", "a/b");
        assert_ne!(lossless, lossy);
        assert_eq!(m.get("a/b"), Some(lossy.as_str()));
    }

    #[test]
    fn rfc3339_is_utc_z_and_rejects_out_of_range() {
        assert_eq!(rfc3339(0).ok().as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(1_700_000_000).ok().as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert!(rfc3339(i64::MAX).is_err());
        assert!(rfc3339(-70_000_000_000).is_err());
    }
}
