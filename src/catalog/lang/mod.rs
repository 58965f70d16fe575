//! Language packages installed in the image, from the manifests their package managers leave:
//! npm `package.json` ([`npm`]), Python `METADATA`/`PKG-INFO` ([`python`]), Java archives
//! ([`java`]). Each is summarised while the layers stream ([`Cataloger::inspect`]), so memory
//! follows the number of packages, not the size of the files.
//!
//! Phase 2: a manifest owned by an OS package (Debian's `node-*` and `python3-*` packages install
//! them) makes its package a part of that OS package (CONTAINS); any other hangs under the image.
//! Artifacts a Java archive bundles are parts of the archive's package.

pub mod java;
pub mod npm;
pub mod python;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::catalog::{Cataloger, Context, Found};
use crate::model::{Actor, License, Package, PackageKind, Relationship, RelationshipKind};
use crate::purl::PurlString;
use crate::source::{display_path, Node, Summary};

/// Largest manifest worth parsing; real ones are a few KiB.
pub const MAX_MANIFEST: usize = 1 << 20;

/// What one manifest says of its package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub kind: Option<PackageKind>,
    pub name: String,
    pub version: String,
    pub purl: Option<PurlString>,
    /// Licenses as written.
    pub licenses: Vec<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub author: Option<Actor>,
    /// `sbomkit:<ecosystem>:*` facts.
    pub properties: BTreeMap<String, String>,
}

/// What one npm or Python manifest says: the package, none (no name or version: not a package),
/// or why it could not be read.
type Read = Result<Option<Manifest>, String>;

/// A file's summary: its packages (for a Java archive, its own first, then those it bundles), or
/// why it could not be read.
type Packages = Result<Vec<Manifest>, String>;

/// A person from a name and an optional mail, read as a maintainer `NAME <MAIL>` would be.
pub fn person(name: &str, mail: Option<&str>) -> Option<Actor> {
    match mail.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => crate::catalog::person(&format!("{} <{m}>", name.trim())),
        None => crate::catalog::person(name),
    }
}

pub struct LangPackages;

const NAME: &str = "lang-manifest";

impl Cataloger for LangPackages {
    fn name(&self) -> &'static str {
        NAME
    }

    fn keep(&self, _path: &[u8], _head: &[u8]) -> Option<u64> {
        None
    }

    fn inspects(&self, path: &[u8], head: &[u8]) -> bool {
        npm::is_manifest(path) || python::is_manifest(path) || java::is_archive(path, head)
    }

    fn inspect(&self, path: &[u8], content: &[u8]) -> Option<Summary> {
        let head = content.get(..4).unwrap_or(content);
        let read: Packages = if java::is_archive(path, head) {
            java::parse(path, content)
        } else if content.len() > MAX_MANIFEST {
            Err(format!(
                "{} bytes: larger than the {MAX_MANIFEST} read for a manifest",
                content.len()
            ))
        } else if npm::is_manifest(path) {
            npm::parse(content).map(|m| m.into_iter().collect())
        } else if python::is_manifest(path) {
            python::parse(content).map(|m| m.into_iter().collect())
        } else {
            return None;
        };
        Some(Arc::new(read))
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        catalog(cx)
    }
}

fn summary_of(node: &Node) -> Option<&Packages> {
    node.summary.as_deref()?.downcast_ref::<Packages>()
}

fn catalog(cx: &Context<'_>) -> Found {
    let mut found = Found::default();
    let layered = !cx.subject.layers.is_empty();
    for (path, node) in cx.fs.iter() {
        if !node.is_file() {
            continue;
        }
        let Some(read) = summary_of(node) else {
            continue;
        };
        let shown = display_path(path);
        let list = match read {
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
        // what a Java archive bundles is part of the archive's package.
        let mut first: Option<String> = None;
        for m in list {
            let kind = m.kind.map_or("lang", PackageKind::as_str);
            let id = match &first {
                None => format!("{kind}:{shown}"),
                Some(f) => format!("{f}#{}@{}", m.name, m.version),
            };
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
            first.get_or_insert_with(|| id.clone());
            found.packages.push(Package {
                id,
                kind: m.kind,
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
                layer: layered.then_some(node.layer),
                evidence: vec![shown.clone()],
                found_by: NAME.to_string(),
                properties: m.properties.clone(),
                ..Package::default()
            });
        }
    }
    found
}
