//! Language packages installed in the image, from the manifests their package managers leave:
//! npm `package.json` ([`npm`]), Python `METADATA`/`PKG-INFO` ([`python`]), Java archives
//! ([`java`]), Ruby gemspecs ([`gem`]), Composer's `installed.json` ([`composer`]), .NET `*.deps.json`
//! ([`dotnet`]), each its own cataloger. Each is summarised while the layers stream
//! ([`Cataloger::inspect`]), so memory follows the number of packages, not the size of the files;
//! what they share (packages from the summaries, the owner lookup, CONTAINS edges) is here.
//!
//! Phase 2: a manifest owned by an OS package (Debian's `node-*` and `python3-*` packages install
//! them) makes its package a part of that OS package (CONTAINS); any other hangs under the image.
//! Artifacts a Java archive bundles are parts of the archive's package.

pub mod composer;
pub mod dotnet;
pub mod gem;
pub mod java;
pub mod npm;
pub mod python;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::catalog::{Cataloger, Context, Found, Json, SummaryCodec};
use crate::model::{
    Actor, Checksum, HashAlg, License, Package, PackageKind, Relationship, RelationshipKind,
};
use crate::purl::PurlString;
use crate::source::{display_path, Summary};

/// Largest manifest worth parsing; real ones are a few KiB.
pub const MAX_MANIFEST: usize = 1 << 20;

/// What one manifest says of its package.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub purl: Option<PurlString>,
    /// Licenses as written.
    pub licenses: Vec<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub author: Option<Actor>,
    /// Checksums of the package artifact the manifest states.
    pub checksums: Vec<Checksum>,
    /// `sbomkit:<ecosystem>:*` facts.
    pub properties: BTreeMap<String, String>,
}

/// What one npm or Python manifest says: the package, none (no name or version: not a package),
/// or why it could not be read.
pub type Read = Result<Option<Manifest>, String>;

/// A file's summary: its packages (for a Java archive, its own first, then those it bundles), or
/// why it could not be read.
pub type Packages = Result<Vec<Manifest>, String>;

/// A manifest that lists the packages installed beside each other (Composer, .NET): whether its
/// first package is the application the others are part of, and the packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    pub first_holds_rest: bool,
    pub packages: Vec<Manifest>,
}

/// A listing file's summary, or why it could not be read.
pub type Listed = Result<Listing, String>;

/// Largest listing parsed: a lock of a few thousand packages is a few MiB.
pub const MAX_LISTING: usize = 16 << 20;
/// Most packages taken from one listing.
pub const MAX_LISTED: usize = 100_000;

/// A person from a name and an optional mail, read as a maintainer `NAME <MAIL>` would be.
pub fn person(name: &str, mail: Option<&str>) -> Option<Actor> {
    match mail.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => crate::catalog::person(&format!("{} <{m}>", name.trim())),
        None => crate::catalog::person(name),
    }
}

/// A cataloger of one kind of manifest file, one package each (npm, Python): which files, and
/// their parser.
pub struct ManifestCataloger {
    pub name: &'static str,
    pub kind: PackageKind,
    pub is_manifest: fn(&[u8]) -> bool,
    pub parse: fn(&[u8]) -> Read,
}

impl Cataloger for ManifestCataloger {
    fn name(&self) -> &'static str {
        self.name
    }

    fn inspects(&self, path: &[u8], _head: &[u8]) -> bool {
        (self.is_manifest)(path)
    }

    /// What the parser reads of the file, unless it is larger than a manifest can be.
    fn inspect(&self, _path: &[u8], content: &[u8]) -> Option<Summary> {
        let read: Packages = if content.len() > MAX_MANIFEST {
            Err(format!(
                "{} bytes: larger than the {MAX_MANIFEST} read for a manifest",
                content.len()
            ))
        } else {
            (self.parse)(content).map(|m| m.into_iter().collect())
        };
        Some(Arc::new(read))
    }

    fn codec(&self) -> Option<&dyn SummaryCodec> {
        const CODEC: Json<Packages> = Json::version(1);
        Some(&CODEC)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        catalog(cx, self.kind, self.name)
    }
}

/// A cataloger of one kind of listing file (many packages each): which files, and their parser
/// (given the file's path and content).
pub struct ListCataloger {
    pub name: &'static str,
    pub kind: PackageKind,
    pub is_manifest: fn(&[u8]) -> bool,
    pub parse: fn(&[u8], &[u8]) -> Listed,
}

impl Cataloger for ListCataloger {
    fn name(&self) -> &'static str {
        self.name
    }

    fn inspects(&self, path: &[u8], _head: &[u8]) -> bool {
        (self.is_manifest)(path)
    }

    fn inspect(&self, path: &[u8], content: &[u8]) -> Option<Summary> {
        let read: Listed = if content.len() > MAX_LISTING {
            Err(format!(
                "{} bytes: larger than the {MAX_LISTING} read for a package list",
                content.len()
            ))
        } else {
            (self.parse)(path, content)
        };
        Some(Arc::new(read))
    }

    fn codec(&self) -> Option<&dyn SummaryCodec> {
        const CODEC: Json<Listed> = Json::version(1);
        Some(&CODEC)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        catalog(cx, self.kind, self.name)
    }
}

/// Packages of `kind` from the summaries the cataloger `found_by` made ([`Packages`], whose first
/// package holds the rest, or [`Listed`]).
fn catalog(cx: &Context<'_>, kind: PackageKind, found_by: &str) -> Found {
    let mut found = Found::default();
    let layered = !cx.subject.layers.is_empty();
    for (path, node) in cx.fs.iter() {
        if !node.is_file() {
            continue;
        }
        let read = match (cx.summary::<Packages>(node), cx.summary::<Listed>(node)) {
            (Some(r), _) => r.as_ref().map(|l| (true, l.as_slice())),
            (None, Some(r)) => r
                .as_ref()
                .map(|l| (l.first_holds_rest, l.packages.as_slice())),
            (None, None) => continue,
        };
        let shown = display_path(path);
        let (nested, list) = match read {
            Ok(list) => list,
            Err(e) => {
                found.warnings.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let owner = cx
            .owners
            .get(path)
            .or_else(|| cx.fs.resolve_parent(path).and_then(|c| cx.owners.get(&c)));
        // One package per file (the same name and version may be installed in several places);
        // what a Java archive bundles is part of the archive's package. The packages of a list
        // stand side by side, unless its first is the application that holds them.
        let mut first: Option<String> = None;
        let mut seen = std::collections::BTreeSet::new();
        for (i, m) in list.iter().enumerate() {
            let id = match &first {
                None if nested || list.len() == 1 => format!("{}:{shown}", kind.name),
                None => format!("{}:{shown}#{}@{}", kind.name, m.name, m.version),
                Some(f) => format!("{f}#{}@{}", m.name, m.version),
            };
            // A list naming a package twice (hostile or hand-edited) gives it once.
            if !seen.insert(id.clone()) {
                continue;
            }
            match (&first, owner) {
                (Some(f), _) => found.relationships.push(Relationship::new(
                    f.clone(),
                    RelationshipKind::Contains,
                    id.clone(),
                )),
                (None, Some(o)) => found.relationships.push(Relationship::new(
                    o.clone(),
                    RelationshipKind::Contains,
                    id.clone(),
                )),
                (None, None) => {}
            }
            if nested && i == 0 {
                first = Some(id.clone());
            }
            // A kind whose package is its file (a jar): that file, hashed as it was read.
            let is_file = kind.file.is_some() && i == 0;
            let mut checksums = m.checksums.clone();
            if is_file {
                checksums.extend(
                    node.sha256
                        .map(|h| Checksum::new(HashAlg::Sha256, hex::encode(h))),
                );
                checksums.extend(
                    node.sha512
                        .as_ref()
                        .map(|h| Checksum::new(HashAlg::Sha512, hex::encode(h.as_slice()))),
                );
            }
            found.packages.push(Package {
                name: m.name.clone(),
                version: m.version.clone(),
                purl: m.purl.clone(),
                licenses: m
                    .licenses
                    .iter()
                    .map(|l| crate::catalog::license::from_raw(l))
                    .collect::<Vec<License>>(),
                originator: m.author.clone(),
                description: m.description.clone(),
                homepage: m.homepage.clone(),
                checksums,
                file: is_file.then(|| shown.clone()),
                layer: layered.then_some(node.layer),
                evidence: vec![shown.clone()],
                found_by: found_by.to_string(),
                properties: m.properties.clone(),
                ..Package::new(id, kind)
            });
        }
    }
    found
}
