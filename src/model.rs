//! The format-neutral description of what a source contains.
//!
//! Catalogers fill it, writers (`crate::format`) and the attestation code read it. Nothing here knows
//! about SPDX, CycloneDX, tar files or signatures. Every collection is ordered so that the same input
//! always gives the same document.

use std::collections::BTreeMap;
use std::fmt;

use crate::purl::PurlString;

/// Everything one scan found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sbom {
    /// What was scanned: the image, folder or file.
    pub subject: Subject,
    /// The operating system of the scanned root, from os-release.
    pub distro: Option<Distro>,
    /// Packages, sorted by [`Package::id`]. Ids are unique.
    pub packages: Vec<Package>,
    /// Files recorded in the document (only when asked for, or when a package owns them).
    pub files: Vec<FileRecord>,
    /// Only some of the files packages own are recorded (ELF files, without `--files`): a package's
    /// listed files are then not all of its files, so no verification code can be made from them.
    pub files_partial: bool,
    /// Edges between the subject, packages and files. Sorted and unique.
    pub relationships: Vec<Relationship>,
    /// Things the scan could not read or chose to skip, for the user and the document.
    pub warnings: Vec<String>,
    /// What the scan saw but could not describe (a package database it does not read) or was told
    /// to leave out: while any is listed the document is incomplete, and says so. Sorted.
    pub unknowns: Vec<Unknown>,
    /// The document's creation time, seconds since the epoch (from `SOURCE_DATE_EPOCH` or the image).
    pub created: i64,
    /// Who made the document (`--author`): whoever runs the scan, which the scan cannot know
    /// unless told. `None` is written as unknown where a format can say so.
    pub author: Option<Actor>,
}

/// Something in the subject whose contents the document does not list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unknown {
    /// Where it is: a root-relative path.
    pub location: String,
    /// What it is (`RPM package database`).
    pub what: String,
    /// Why its contents are missing.
    pub why: String,
    /// Whether the scan could not read it or was told to leave it out.
    pub cause: UnknownCause,
}

/// Why something is an [`Unknown`]: documents word the two differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnknownCause {
    /// A package database no cataloger reads.
    UnreadDatabase,
    /// Paths the user excluded from the scan (`--exclude`).
    Excluded,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.what, self.why)
    }
}

/// The thing an SBOM describes: an image, a root filesystem folder or a single file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub kind: SubjectKind,
    /// A human name: the image reference (`alpine:3.10`) or the folder/file name.
    pub name: String,
    /// Version shown for the root component (an image tag, or nothing).
    pub version: Option<String>,
    /// Digests that identify the subject, strongest first: for an image the manifest digest (where the
    /// input records one) and the config digest (the image ID); for a file its own SHA-256.
    pub identities: Vec<Identity>,
    /// Image only: `os`, `architecture`, `variant` from the config.
    pub platform: Option<Platform>,
    /// Image only: the layers in order, bottom first.
    pub layers: Vec<Layer>,
    /// Image only: repository tags recorded in the archive (`docker save`) or the OCI ref name.
    pub tags: Vec<String>,
    /// Image only: `created` from the image config, RFC 3339, as recorded.
    pub created: Option<String>,
}

impl Subject {
    /// [`Subject::created`] in seconds since the epoch, when it is a valid RFC 3339 time.
    pub fn created_unix(&self) -> Option<i64> {
        let created = self.created.as_deref()?;
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| t.unix_timestamp())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    #[default]
    Image,
    Directory,
    File,
}

/// One digest of the subject and what it is the digest of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    pub role: IdentityRole,
    /// `sha256:<hex>`.
    pub digest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityRole {
    /// The digest of the image manifest (what registries and cosign call the image digest).
    Manifest,
    /// The digest of the image config (`docker images` calls it the image ID).
    Config,
    /// The digest of the image index the manifest was chosen from (a registry reference to an
    /// index, read with `--platform`).
    Index,
    /// The digest of a plain file.
    File,
}

impl Identity {
    pub fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }

    /// The name every writer gives this digest: `sbomkit:image:manifest-digest`, ...; a file's digest
    /// (a file, or the archive of a root filesystem) is the file's, `sbomkit:file:sha256`.
    pub fn property(&self) -> &'static str {
        match self.role {
            IdentityRole::Manifest => "sbomkit:image:manifest-digest",
            IdentityRole::Config => "sbomkit:image:config-digest",
            IdentityRole::Index => "sbomkit:image:index-digest",
            IdentityRole::File => "sbomkit:file:sha256",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// `os.version` of an index entry (Windows builds); not part of the name.
    pub os_version: Option<String>,
}

impl Platform {
    /// The platform as a file name part: `linux/arm64/v8` is `linux-arm64-v8`.
    pub fn label(&self) -> String {
        self.to_string().replace('/', "-")
    }
}

/// An image index (a multi-platform image) as read: what its document describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageIndex {
    /// The image reference (`example.org/app:1`) or the layout's name.
    pub name: String,
    pub version: Option<String>,
    /// `sha256:` digest of the index manifest.
    pub digest: String,
    pub media_type: String,
    /// Annotations of the index and of its descriptor, the index's own winning.
    pub annotations: std::collections::BTreeMap<String, String>,
    /// Every image the index lists (attestation manifests aside), in its order.
    pub images: Vec<IndexImage>,
}

/// One platform's image in an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexImage {
    pub platform: Option<Platform>,
    pub manifest_digest: String,
}

/// `os/architecture`, with `/variant` when there is one (`linux/arm64/v8`).
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match self.variant.as_deref() {
            Some(v) if !v.is_empty() => write!(f, "/{v}"),
            _ => Ok(()),
        }
    }
}

/// One image layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    /// Position, 0 is the bottom layer.
    pub index: usize,
    /// `sha256:` digest of the uncompressed layer tar (the config's `rootfs.diff_ids`).
    pub diff_id: String,
    /// `sha256:` digest of the blob as stored (compressed), where known.
    pub digest: Option<String>,
    pub media_type: Option<String>,
    /// Size of the stored blob in bytes.
    pub size: u64,
}

/// The operating system release, from `/etc/os-release` or `/usr/lib/os-release`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Distro {
    /// `ID`, e.g. `alpine`, `wolfi`, `debian`.
    pub id: String,
    /// `VERSION_ID`, e.g. `3.18.4`, `12`, `20230201`.
    pub version_id: Option<String>,
    /// A release more precise than `VERSION_ID` where the system records one elsewhere: Debian's
    /// point release from `/etc/debian_version` (`12.15`). See [`Distro::version`].
    pub point_release: Option<String>,
    pub name: Option<String>,
    pub pretty_name: Option<String>,
    pub version_codename: Option<String>,
    pub id_like: Vec<String>,
    pub home_url: Option<String>,
    pub cpe_name: Option<String>,
    /// The file it was read from.
    pub path: String,
}

impl Distro {
    /// The version to name the OS by: the point release where known, else `VERSION_ID`. Scanners
    /// report this one (`trivy image` says `debian 12.15`).
    pub fn version(&self) -> Option<&str> {
        self.point_release
            .as_deref()
            .or(self.version_id.as_deref())
            .filter(|v| !v.is_empty())
    }
}

/// What kind of thing a package is, in format-neutral terms: writers derive the SPDX purpose, the
/// CycloneDX type and evidence from it, so they name no ecosystem. The cataloger that produces a
/// kind defines it as a `const` (`apk::KIND`, `lang::npm::KIND`): a new ecosystem adds no variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackageKind {
    /// A short lower-case name, shown in tables and used in ids (`apk`, `go-module`).
    pub name: &'static str,
    /// The purl type of its packages; `None` where it has none of its own (a package note names
    /// any type).
    pub purl_type: Option<&'static str>,
    pub purpose: Purpose,
    /// How its packages are found when that is analysis worth showing as evidence; `None` for what a
    /// package database or release file states.
    pub technique: Option<Technique>,
    /// Whether its purl was read from the file it was found in, and so is evidence of identity.
    pub purl_is_evidence: bool,
    /// What one package of this kind is when it is one file in the image (an ELF binary, a Java
    /// archive): that file is its deployable form, named and hashed in [`Package::file`]. `None`
    /// for a package installed as many files (an OS or language package) or inside another file.
    pub file: Option<FileForm>,
}

/// The form of a package that is one file: BSI TR-03183-2 asks whether it is executable, an
/// archive, and structured (an archive whose entries can be listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileForm {
    /// An executable or shared object (ELF): runs as it is, no archive, no listed entries.
    Executable,
    /// A zip archive whose entries are read (a jar): not executable by itself.
    Archive,
}

/// How much of a package's dependencies the document lists, as the scan knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Completeness {
    /// Every dependency the package states is listed (a database's `Depends` all installed, every
    /// `DT_NEEDED` library found, a crate's dependencies from cargo-auditable data).
    Complete,
    /// Some stated dependency is not listed: not installed, or a library the loader would not find.
    Incomplete,
    /// Nothing the scan reads states the package's dependencies (a manifest without a lock file, a
    /// Go module known from build information).
    #[default]
    Unknown,
}

/// What a package is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The operating system itself.
    OperatingSystem,
    /// A program: an executable, or a binary known by its package note.
    Application,
    /// An installed component other software links to or runs: OS and language packages, modules.
    Library,
}

/// How a package was found, when it was found by analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Technique {
    /// Read out of a binary (ELF notes, Go build info, cargo-auditable data).
    BinaryAnalysis,
    /// Read from a manifest a package manager left (`package.json`, `METADATA`, a jar's).
    ManifestAnalysis,
}

/// A license as the package states it, and as an SPDX expression where it parses as one.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct License {
    /// Exactly as written in the package metadata.
    pub raw: String,
    /// A valid SPDX license expression equivalent to `raw`, if one could be made.
    pub spdx: Option<String>,
}

/// Who supplies or wrote a package: a person or an organization, with a name that is never empty.
// Serde only for the layer cache's summaries, which are made from valid values.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Actor {
    kind: ActorKind,
    name: String,
    email: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ActorKind {
    Person,
    Organization,
}

impl Actor {
    /// A person; `None` when the name is blank. An email that is blank or does not look like an
    /// address (`<http://example.org>` in an npm author) counts as none: writers may rely on it.
    pub fn person(name: &str, email: Option<&str>) -> Option<Actor> {
        Actor::new(ActorKind::Person, name, email)
    }

    /// An organization; `None` when the name is blank.
    pub fn organization(name: &str) -> Option<Actor> {
        Actor::new(ActorKind::Organization, name, None)
    }

    fn new(kind: ActorKind, name: &str, email: Option<&str>) -> Option<Actor> {
        let name = name.trim();
        (!name.is_empty()).then(|| Actor {
            kind,
            name: name.to_string(),
            email: email
                .map(str::trim)
                .filter(|e| is_email(e))
                .map(str::to_string),
        })
    }

    /// The SBOM author as `--author` takes it: `NAME`, `NAME <EMAIL>`, either after `Person:` (the
    /// default) or `Organization:`. A blank name or an `<...>` that is no address is refused.
    pub fn author(text: &str) -> Result<Actor, String> {
        let (kind, rest) = if let Some(r) = text.trim().strip_prefix("Organization:") {
            (ActorKind::Organization, r)
        } else {
            let t = text.trim();
            (ActorKind::Person, t.strip_prefix("Person:").unwrap_or(t))
        };
        let (name, email) = match rest.split_once('<') {
            Some((name, mail)) => {
                let mail = mail
                    .trim()
                    .strip_suffix('>')
                    .ok_or_else(|| format!("`{text}`: write the email as NAME <EMAIL>"))?
                    .trim();
                if !is_email(mail) {
                    return Err(format!("`{text}`: `{mail}` is not an email address"));
                }
                (name, Some(mail))
            }
            None => (rest, None),
        };
        Actor::new(kind, name, email)
            .ok_or_else(|| format!("`{text}`: give a name (NAME or NAME <EMAIL>)"))
    }

    pub fn kind(&self) -> ActorKind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
}

/// Whether `s` is a plain `local@domain` address, a subset of what JSON Schema's `idn-email`
/// (RFC 6531) accepts: no quoted local parts, no address literals, no spaces or brackets.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let atom = |part: &str, max: usize| {
        !part.is_empty()
            && part.len() <= max
            && !part.starts_with('.')
            && !part.ends_with('.')
            && !part.contains("..")
            && part
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"@".contains(c))
    };
    atom(local, 64)
        && atom(domain, 253)
        && domain.split('.').all(|l| {
            l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// A digest algorithm. Writers spell it their own way (SPDX `SHA1`, CycloneDX `SHA-1`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum HashAlg {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Blake2b256,
    Blake2b384,
    Blake2b512,
    Blake3,
}

impl HashAlg {
    /// The number of hex digits of one digest.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlg::Md5 => 32,
            HashAlg::Sha1 => 40,
            HashAlg::Sha224 => 56,
            HashAlg::Sha256 | HashAlg::Sha3_256 | HashAlg::Blake2b256 | HashAlg::Blake3 => 64,
            HashAlg::Sha384 | HashAlg::Sha3_384 | HashAlg::Blake2b384 => 96,
            HashAlg::Sha512 | HashAlg::Sha3_512 | HashAlg::Blake2b512 => 128,
        }
    }
}

/// A digest: the algorithm and the digest in hex, as recorded (normally lower case).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Checksum {
    pub alg: HashAlg,
    pub value: String,
}

impl Checksum {
    pub fn new(alg: HashAlg, value: impl Into<String>) -> Checksum {
        Checksum {
            alg,
            value: value.into(),
        }
    }

    /// Whether the value is hex of the algorithm's length: what a document may carry.
    pub fn is_well_formed(&self) -> bool {
        self.value.len() == self.alg.hex_len() && self.value.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// One package: OS package, language module or binary.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// Stable id, unique in the document; used to build SPDX ids and bom-refs.
    pub id: String,
    pub kind: PackageKind,
    pub name: String,
    pub version: String,
    /// Package URL, per the purl spec.
    pub purl: Option<PurlString>,
    /// CPE 2.3 names.
    pub cpes: Vec<String>,
    pub arch: Option<String>,
    /// The source package it was built from: name and version (dpkg Source, APK origin).
    pub source_name: Option<String>,
    pub source_version: Option<String>,
    /// Licenses the package declares (concluded licenses are never guessed).
    pub licenses: Vec<License>,
    /// Supplier (distributor).
    pub supplier: Option<Actor>,
    /// Originator (author/maintainer upstream).
    pub originator: Option<Actor>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    /// Checksums of the package artifact: of [`Package::file`] when there is one, else as the
    /// package metadata records them.
    pub checksums: Vec<Checksum>,
    /// The file in the image that is this package (its kind's [`PackageKind::file`]), root-relative
    /// as shown (`/usr/bin/x`): its checksums are of that file as shipped in the image.
    pub file: Option<String>,
    /// How much of its dependencies the relationships list.
    pub dependencies: Completeness,
    /// Index of the layer that introduced the package (first layer from which it survives).
    pub layer: Option<usize>,
    /// `--scope all-layers`: the layer whose database no longer lists the package. Such a package
    /// was in the image's layers but is not in the final image; nothing contains it.
    pub removed_in: Option<usize>,
    /// The files this package was found in (package database, binary).
    pub evidence: Vec<String>,
    /// Name of the cataloger that found it.
    pub found_by: String,
    /// Extra facts, keyed in the `sbomkit:` namespace (see `ARCHITECTURE.md`).
    pub properties: BTreeMap<String, String>,
}

impl Package {
    /// A package with only its id and kind; catalogers fill in the rest.
    pub fn new(id: impl Into<String>, kind: PackageKind) -> Package {
        Package {
            id: id.into(),
            kind,
            name: String::new(),
            version: String::new(),
            purl: None,
            cpes: Vec::new(),
            arch: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            supplier: None,
            originator: None,
            description: None,
            homepage: None,
            checksums: Vec::new(),
            file: None,
            dependencies: Completeness::Unknown,
            layer: None,
            removed_in: None,
            evidence: Vec::new(),
            found_by: String::new(),
            properties: BTreeMap::new(),
        }
    }
}

/// A file recorded in the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileRecord {
    /// Stable id, unique in the document.
    pub id: String,
    /// Absolute path inside the scanned root, e.g. `/usr/bin/ssh`. Non-UTF-8 bytes are escaped.
    pub path: String,
    /// Lower-case hex SHA-256 of the content, when known.
    pub sha256: Option<String>,
    /// Other digests: recorded by the package database, or SHA-1 computed by the scan.
    pub other_checksums: Vec<Checksum>,
    pub layer: Option<usize>,
    /// What the file is, where a cataloger looked inside it.
    pub kind: Option<FileKind>,
    /// Extra facts (ELF linkage and hardening, ...), keyed in the `sbomkit:` namespace.
    pub properties: BTreeMap<String, String>,
}

/// What a recorded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// An ELF executable (fixed-address or position-independent).
    Executable,
    /// An ELF shared object.
    SharedLibrary,
    /// Another ELF file (relocatable object, core dump).
    OtherBinary,
}

/// The `sbomkit:file:kind` value: `executable`, `shared-library`, `binary`.
impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Executable => "executable",
            FileKind::SharedLibrary => "shared-library",
            FileKind::OtherBinary => "binary",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationshipKind {
    /// The subject (or a package) contains a package or file.
    Contains,
    /// A package needs another at run time.
    DependsOn,
    /// A package can use another when present (recommended, suggested, dlopen).
    OptionalDependsOn,
}

/// An edge. Ends are package or file ids, or [`Relationship::SUBJECT`] for the scanned subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Relationship {
    pub from: String,
    pub kind: RelationshipKind,
    pub to: String,
}

impl Relationship {
    /// The id that stands for the scanned subject itself.
    pub const SUBJECT: &'static str = "subject";

    pub fn new(from: impl Into<String>, kind: RelationshipKind, to: impl Into<String>) -> Self {
        Relationship {
            from: from.into(),
            kind,
            to: to.into(),
        }
    }
}

impl Sbom {
    /// Sort and de-duplicate everything so that output is byte-for-byte reproducible.
    pub fn normalize(&mut self) {
        self.packages.sort_by(|a, b| a.id.cmp(&b.id));
        self.packages.dedup_by(|a, b| a.id == b.id);
        for p in &mut self.packages {
            p.cpes.sort();
            p.cpes.dedup();
            p.evidence.sort();
            p.evidence.dedup();
            p.checksums.sort();
            p.checksums.dedup();
        }
        self.files.sort();
        self.files.dedup_by(|a, b| a.id == b.id);
        self.relationships.sort();
        self.relationships.dedup();
        self.warnings.sort();
        self.warnings.dedup();
        self.unknowns.sort();
        self.unknowns.dedup();
    }

    /// The ids of the operating-system packages.
    pub fn os_ids(&self) -> std::collections::BTreeSet<&str> {
        self.packages
            .iter()
            .filter(|p| p.kind.purpose == Purpose::OperatingSystem)
            .map(|p| p.id.as_str())
            .collect()
    }

    pub fn package(&self, id: &str) -> Option<&Package> {
        self.packages
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.packages[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_have_a_name() {
        let a = Actor::person(" Jane Doe ", Some(" ")).expect("a name");
        assert_eq!(
            (a.kind(), a.name(), a.email()),
            (ActorKind::Person, "Jane Doe", None)
        );
        let a = Actor::person("Jane", Some(" j@example.org ")).expect("a name");
        assert_eq!(a.email(), Some("j@example.org"));
        let o = Actor::organization("Debian").expect("a name");
        assert_eq!(
            (o.kind(), o.name(), o.email()),
            (ActorKind::Organization, "Debian", None)
        );
        assert_eq!(Actor::person(" ", Some("j@example.org")), None);
        assert_eq!(Actor::organization(""), None);
    }

    /// What `is_email` accepts, the `idn-email` format of the CycloneDX schema accepts too.
    #[test]
    fn an_email_is_kept_only_when_it_is_an_address() {
        let idn = jsonschema::options()
            .should_validate_formats(true)
            .with_format("idn-email", crate::attest::schema::idn_email)
            .build(&serde_json::json!({"type": "string", "format": "idn-email"}))
            .unwrap();
        for good in [
            "mail@substack.net",
            "a@b",
            "i+npm@izs.me",
            "jos\u{e9}@exampl\u{e9}.org",
        ] {
            assert!(is_email(good), "{good}");
            assert!(idn.is_valid(&serde_json::json!(good)), "{good}");
            let a = Actor::person("A", Some(good)).unwrap();
            assert_eq!(a.email(), Some(good));
        }
        for bad in [
            "http://jbgutierrez.info",
            "https://github.com/x",
            "x",
            "@x.org",
            "a@",
            "a b@c.org",
            "a@b@c",
            "a..b@c.org",
            "a@-b.org",
            "<a@b.org>",
        ] {
            assert!(!is_email(bad), "{bad}");
            assert_eq!(
                Actor::person("A", Some(bad)).unwrap().email(),
                None,
                "{bad}"
            );
        }
        assert!(!idn.is_valid(&serde_json::json!("http://jbgutierrez.info")));
    }

    #[test]
    fn authors_are_a_name_and_an_optional_address() {
        let a = Actor::author("Jane Doe <jane@example.org>").unwrap();
        assert_eq!(
            (a.kind(), a.name(), a.email()),
            (ActorKind::Person, "Jane Doe", Some("jane@example.org"))
        );
        let o = Actor::author("Organization: ACME Corp <sbom@acme.example>").unwrap();
        assert_eq!(
            (o.kind(), o.name(), o.email()),
            (
                ActorKind::Organization,
                "ACME Corp",
                Some("sbom@acme.example")
            )
        );
        assert_eq!(
            Actor::author("Person: Jane"),
            Ok(Actor::person("Jane", None).unwrap())
        );
        for (bad, says) in [
            ("", "give a name"),
            ("<jane@example.org>", "give a name"),
            ("Jane <not an address>", "is not an email address"),
            ("Jane <jane@example.org", "NAME <EMAIL>"),
        ] {
            let e = Actor::author(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn checksums_are_hex_of_the_algorithm_length() {
        assert!(Checksum::new(HashAlg::Md5, "0123456789abcdefABCDEF0123456789").is_well_formed());
        assert!(!Checksum::new(HashAlg::Sha1, "0123456789abcdefABCDEF0123456789").is_well_formed());
        assert!(!Checksum::new(HashAlg::Md5, "g123456789abcdefABCDEF0123456789").is_well_formed());
        assert_eq!(HashAlg::Sha512.hex_len(), 128);
        // Sorting keeps the order of the algorithm names SPDX writes (`MD5` < `SHA1` < `SHA256`).
        let mut v = [HashAlg::Sha256, HashAlg::Sha1, HashAlg::Md5];
        v.sort();
        assert_eq!(v, [HashAlg::Md5, HashAlg::Sha1, HashAlg::Sha256]);
    }

    #[test]
    fn platforms_and_file_kinds_display() {
        let mut p = Platform {
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: Some("v8".into()),
            os_version: None,
        };
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert_eq!(p.label(), "linux-arm64-v8");
        p.variant = Some(String::new());
        assert_eq!(p.to_string(), "linux/arm64");
        p.variant = None;
        assert_eq!(p.to_string(), "linux/arm64");
        let kinds = [
            FileKind::Executable,
            FileKind::SharedLibrary,
            FileKind::OtherBinary,
        ];
        assert_eq!(
            kinds.map(|k| k.to_string()),
            ["executable", "shared-library", "binary"]
        );
    }

    #[test]
    fn created_time_is_read_when_it_is_rfc3339() {
        let mut s = Subject {
            created: Some("2023-11-14T22:13:20Z".into()),
            ..Subject::default()
        };
        assert_eq!(s.created_unix(), Some(1_700_000_000));
        s.created = Some("2023-11-14T23:13:20+01:00".into());
        assert_eq!(s.created_unix(), Some(1_700_000_000));
        s.created = Some("yesterday".into());
        assert_eq!(s.created_unix(), None);
        s.created = None;
        assert_eq!(s.created_unix(), None);
    }
}
