//! The format-neutral description of what a source contains.
//!
//! Catalogers fill it, writers (`crate::format`) and the attestation code read it. Nothing here knows
//! about SPDX, CycloneDX, tar files or signatures. Every collection is ordered so that the same input
//! always gives the same document.

use std::collections::BTreeMap;

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
    /// The document's creation time, seconds since the epoch (from `SOURCE_DATE_EPOCH` or the image).
    pub created: i64,
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
    /// The digest of a plain file.
    File,
}

impl Identity {
    pub fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
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
    pub name: Option<String>,
    pub pretty_name: Option<String>,
    pub version_codename: Option<String>,
    pub id_like: Vec<String>,
    pub home_url: Option<String>,
    pub cpe_name: Option<String>,
    /// The file it was read from.
    pub path: String,
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

/// One package: OS package, language module or binary.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// Stable id, unique in the document; used to build SPDX ids and bom-refs.
    pub id: String,
    pub kind: PackageKind,
    pub name: String,
    pub version: String,
    /// Package URL, per the purl spec.
    pub purl: Option<String>,
    /// CPE 2.3 names.
    pub cpes: Vec<String>,
    pub arch: Option<String>,
    /// The source package it was built from: name and version (dpkg Source, APK origin).
    pub source_name: Option<String>,
    pub source_version: Option<String>,
    /// Licenses the package declares (concluded licenses are never guessed).
    pub licenses: Vec<License>,
    /// Supplier (distributor) as `Organization: X` or `Person: X (mail)`.
    pub supplier: Option<String>,
    /// Originator (author/maintainer upstream), same form.
    pub originator: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    /// Checksums of the package artifact: (algorithm as in SPDX, e.g. `SHA1`, `SHA256`; lower-case hex).
    pub checksums: Vec<(String, String)>,
    /// Index of the layer that introduced the package (first layer from which it survives).
    pub layer: Option<usize>,
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
            layer: None,
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
    /// Other digests recorded by the package database: (SPDX algorithm name, hex).
    pub other_checksums: Vec<(String, String)>,
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
    }

    pub fn package(&self, id: &str) -> Option<&Package> {
        self.packages
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.packages[i])
    }
}
