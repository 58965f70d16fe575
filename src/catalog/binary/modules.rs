//! Go modules and Rust crates embedded in a binary, as packages.
//!
//! Ids are per (module, version) — plus the replacement for Go and the source for Rust, which make
//! a different thing under the same name — not per binary: the same module built into two binaries
//! is one package that both binaries CONTAIN, with both files as evidence. A per-binary id would list
//! the same module twice with nothing to tell the two apart.

use std::collections::BTreeMap;

use super::go::{GoBuildInfo, GoModule};
use super::rust::{AuditInfo, CrateKind, CrateSource};
use crate::model::{
    Completeness, Package, PackageKind, Purpose, Relationship, RelationshipKind, Technique,
};
use crate::purl::{Purl, PurlString, PurlType};

/// A Go module found in a binary's build info.
pub const GO_MODULE: PackageKind = PackageKind {
    name: "go-module",
    purl_type: Some("golang"),
    purpose: Purpose::Library,
    technique: Some(Technique::BinaryAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// A Rust crate found in a binary's cargo-auditable data.
pub const RUST_CRATE: PackageKind = PackageKind {
    name: "rust-crate",
    purl_type: Some("cargo"),
    purpose: Purpose::Library,
    technique: Some(Technique::BinaryAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// Packages found inside one binary, with the edges between them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Embedded {
    pub packages: Vec<Package>,
    /// Edges between embedded packages (Rust dependencies).
    pub relationships: Vec<Relationship>,
    /// Name and version of the binary's own module or root crate, where known.
    pub main: Option<(String, Option<String>)>,
    /// Facts about the build, for the binary (`sbomkit:go:build:GOOS`, ...).
    pub build_properties: BTreeMap<String, String>,
}

/// `pkg:golang/<path>@<version>`; no version when there is none worth writing.
fn go_purl(path: &str, version: Option<&str>) -> PurlString {
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    let mut p = Purl::new(PurlType::GOLANG, name);
    if let Some(ns) = ns {
        p = p.with_namespace(ns);
    }
    if let Some(v) = version {
        p = p.with_version(v);
    }
    p.into()
}

/// A version fit for a purl: not empty and not Go's `(devel)` placeholder.
fn real_version(v: &str) -> Option<&str> {
    let v = v.trim();
    (!v.is_empty() && v != "(devel)").then_some(v)
}

/// The main module's version: as recorded, or for `(devel)` a pseudo-version
/// `v0.0.0-<yyyymmddhhmmss>-<12 hex of vcs.revision>` from the vcs settings, or `None`.
pub fn main_version(info: &GoBuildInfo) -> Option<String> {
    let recorded = info.main.as_ref().map(|m| m.version.as_str()).unwrap_or("");
    if let Some(v) = real_version(recorded) {
        return Some(v.to_string());
    }
    let setting = |k: &str| {
        info.settings
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let revision = setting("vcs.revision")?;
    let time = setting("vcs.time")?;
    let rev: String = revision.chars().take(12).collect();
    if rev.len() < 12 || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let t = time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Some(format!("v0.0.0-{stamp}-{}", rev.to_ascii_lowercase()))
}

/// `go1.22.1` (possibly followed by ` X:experiment`) → `1.22.1`.
pub fn stdlib_version(go_version: &str) -> Option<String> {
    let first = go_version.split_whitespace().next()?;
    let v = first.strip_prefix("go")?;
    (v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
    .then(|| v.to_string())
}

fn go_id(m: &GoModule, version: &str) -> String {
    let mut id = format!("go-module:{}@{version}", m.path);
    if let Some(r) = &m.replace {
        id.push_str(&format!(" => {}", r.path));
        if !r.version.is_empty() {
            id.push_str(&format!("@{}", r.version));
        }
    }
    id
}

fn go_package(m: &GoModule, version: Option<&str>, evidence: &str, found_by: &str) -> Package {
    let shown = version.unwrap_or(m.version.as_str());
    let mut props = BTreeMap::new();
    if let Some(s) = &m.sum {
        props.insert("sbomkit:go:h1".to_string(), s.clone());
    }
    if let Some(r) = &m.replace {
        let to = if r.version.is_empty() {
            r.path.clone()
        } else {
            format!("{}@{}", r.path, r.version)
        };
        props.insert("sbomkit:go:replaced-by".to_string(), to);
        if let Some(s) = &r.sum {
            props.insert("sbomkit:go:replaced-by-h1".to_string(), s.clone());
        }
    }
    Package {
        name: m.path.clone(),
        version: real_version(shown).unwrap_or("").to_string(),
        purl: Some(go_purl(&m.path, version.and_then(real_version))),
        evidence: vec![evidence.to_string()],
        found_by: found_by.to_string(),
        properties: props,
        ..Package::new(go_id(m, shown), GO_MODULE)
    }
}

/// Packages for the main module, every dependency and the Go standard library.
pub fn go_packages(info: &GoBuildInfo, evidence: &str, found_by: &str) -> Embedded {
    let mut e = Embedded::default();
    if let Some(main) = info.main.as_ref().filter(|m| !m.path.is_empty()) {
        let version = main_version(info);
        let mut p = go_package(main, version.as_deref(), evidence, found_by);
        p.properties
            .insert("sbomkit:go:main-module".into(), "true".into());
        if real_version(&main.version).is_none() && version.is_some() {
            p.properties
                .insert("sbomkit:go:version-from".into(), "vcs".into());
        }
        e.main = Some((main.path.clone(), version));
        e.packages.push(p);
    }
    for d in info.deps.iter().filter(|d| !d.path.is_empty()) {
        let v = real_version(&d.version).map(str::to_string);
        e.packages
            .push(go_package(d, v.as_deref(), evidence, found_by));
    }
    if let Some(v) = stdlib_version(&info.go_version) {
        e.packages.push(Package {
            name: "stdlib".into(),
            version: v.clone(),
            purl: Some(
                Purl::new(PurlType::GOLANG, "stdlib")
                    .with_version(&v)
                    .into(),
            ),
            evidence: vec![evidence.to_string()],
            found_by: found_by.to_string(),
            ..Package::new(format!("go-module:stdlib@{v}"), GO_MODULE)
        });
    }
    if !info.go_version.is_empty() {
        e.build_properties
            .insert("sbomkit:go:toolchain".into(), info.go_version.clone());
    }
    if let Some(p) = &info.path {
        e.build_properties
            .insert("sbomkit:go:path".into(), p.clone());
    }
    for (k, v) in &info.settings {
        // A key given twice keeps its last value, as `go version -m` shows the effective one.
        e.build_properties
            .insert(format!("sbomkit:go:build:{k}"), v.clone());
    }
    e
}

fn source_name(s: &CrateSource) -> String {
    match s {
        CrateSource::CratesIo => "crates.io".into(),
        CrateSource::Git => "git".into(),
        CrateSource::Local => "local".into(),
        CrateSource::Registry => "registry".into(),
        CrateSource::Other(o) => o.clone(),
    }
}

fn crate_id(name: &str, version: &str, source: &CrateSource) -> String {
    match source {
        CrateSource::CratesIo => format!("rust-crate:{name}@{version}"),
        other => format!("rust-crate:{name}@{version} ({})", source_name(other)),
    }
}

/// Packages for every crate, DEPENDS_ON edges from the dependency indices.
pub fn rust_packages(info: &AuditInfo, evidence: &str, found_by: &str) -> Embedded {
    let mut e = Embedded::default();
    let ids: Vec<String> = info
        .crates
        .iter()
        .map(|c| crate_id(&c.name, &c.version, &c.source))
        .collect();
    for (c, id) in info.crates.iter().zip(&ids) {
        let mut props = BTreeMap::new();
        props.insert("sbomkit:cargo:source".to_string(), source_name(&c.source));
        props.insert(
            "sbomkit:cargo:kind".to_string(),
            match c.kind {
                CrateKind::Runtime => "runtime",
                CrateKind::Build => "build",
            }
            .to_string(),
        );
        if c.root {
            props.insert("sbomkit:cargo:root".to_string(), "true".to_string());
            e.main = Some((c.name.clone(), real_version(&c.version).map(str::to_string)));
        }
        e.packages.push(Package {
            name: c.name.clone(),
            version: c.version.clone(),
            purl: Some(
                Purl::new(PurlType::CARGO, &c.name)
                    .with_version(&c.version)
                    .into(),
            ),
            evidence: vec![evidence.to_string()],
            found_by: found_by.to_string(),
            properties: props,
            // cargo-auditable records every crate's dependencies.
            dependencies: match c.dependencies.iter().all(|&d| d < ids.len()) {
                true => Completeness::Complete,
                false => Completeness::Incomplete,
            },
            ..Package::new(id.clone(), RUST_CRATE)
        });
        for &d in &c.dependencies {
            if let Some(to) = ids.get(d).filter(|to| *to != id) {
                e.relationships.push(Relationship::new(
                    id.clone(),
                    RelationshipKind::DependsOn,
                    to.clone(),
                ));
            }
        }
    }
    e
}

/// Folds `p` into `into` (the same module found in another binary): evidence joined, earliest
/// layer kept, a crate used at run time by any binary stays a run-time crate.
pub fn merge(into: &mut Package, p: Package) {
    into.evidence.extend(p.evidence);
    into.evidence.sort();
    into.evidence.dedup();
    into.layer = match (into.layer, p.layer) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for (k, v) in p.properties {
        let slot = into
            .properties
            .entry(k.clone())
            .or_insert_with(|| v.clone());
        if k == "sbomkit:cargo:kind" && v == "runtime" {
            *slot = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::binary::rust::Crate;

    fn m(path: &str, version: &str) -> GoModule {
        GoModule {
            path: path.into(),
            version: version.into(),
            sum: Some(format!("h1:{path}=")),
            replace: None,
        }
    }

    fn settings(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn go_modules_stdlib_and_replacements() {
        let mut replaced = m("example.com/lib", "v1.0.0");
        replaced.replace = Some(Box::new(GoModule {
            path: "../lib".into(),
            version: String::new(),
            sum: None,
            replace: None,
        }));
        let info = GoBuildInfo {
            go_version: "go1.22.1 X:loopvar".into(),
            path: Some("example.com/app/cmd/app".into()),
            main: Some(m("example.com/app", "v1.2.3")),
            deps: vec![m("golang.org/x/sys", "v0.15.0"), replaced],
            settings: settings(&[("GOOS", "linux"), ("CGO_ENABLED", "0")]),
        };
        let e = go_packages(&info, "/app", "elf-binary");
        let purls: Vec<&str> = e
            .packages
            .iter()
            .filter_map(|p| p.purl.as_deref())
            .collect();
        assert_eq!(
            purls,
            [
                "pkg:golang/example.com/app@v1.2.3",
                "pkg:golang/golang.org/x/sys@v0.15.0",
                "pkg:golang/example.com/lib@v1.0.0",
                "pkg:golang/stdlib@1.22.1",
            ]
        );
        let lib = &e.packages[2];
        assert_eq!(lib.properties["sbomkit:go:replaced-by"], "../lib");
        assert_eq!(lib.id, "go-module:example.com/lib@v1.0.0 => ../lib");
        assert_eq!(
            e.packages[1].properties["sbomkit:go:h1"],
            "h1:golang.org/x/sys="
        );
        assert_eq!(e.build_properties["sbomkit:go:build:GOOS"], "linux");
        assert_eq!(e.build_properties["sbomkit:go:build:CGO_ENABLED"], "0");
        assert_eq!(
            e.build_properties["sbomkit:go:toolchain"],
            "go1.22.1 X:loopvar"
        );
        assert_eq!(
            e.main,
            Some(("example.com/app".into(), Some("v1.2.3".into())))
        );
    }

    #[test]
    fn devel_main_module_gets_a_pseudo_version_or_none() {
        let mut info = GoBuildInfo {
            go_version: "go1.21.0".into(),
            main: Some(m("example.com/app", "(devel)")),
            settings: settings(&[
                ("vcs", "git"),
                ("vcs.revision", "0123456789ABCDEF0123456789abcdef01234567"),
                ("vcs.time", "2024-03-05T07:08:09+01:00"),
            ]),
            ..GoBuildInfo::default()
        };
        assert_eq!(
            main_version(&info).as_deref(),
            Some("v0.0.0-20240305060809-0123456789ab")
        );
        let e = go_packages(&info, "/app", "x");
        assert_eq!(
            e.packages[0].purl.as_deref(),
            Some("pkg:golang/example.com/app@v0.0.0-20240305060809-0123456789ab")
        );
        info.settings.retain(|(k, _)| k != "vcs.time");
        assert_eq!(main_version(&info), None);
        let e = go_packages(&info, "/app", "x");
        let main = &e.packages[0];
        assert_eq!(main.purl.as_deref(), Some("pkg:golang/example.com/app"));
        assert_eq!(main.version, "");
        assert!(e
            .packages
            .iter()
            .all(|p| !p.purl.as_deref().unwrap_or("").contains("devel")));
    }

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.22.1").as_deref(), Some("1.22.1"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21rc2"));
        assert_eq!(stdlib_version("devel go1.23-abc"), None);
        assert_eq!(stdlib_version(""), None);
    }

    fn krate(name: &str, v: &str, source: CrateSource, kind: CrateKind, deps: &[usize]) -> Crate {
        Crate {
            name: name.into(),
            version: v.into(),
            source,
            kind,
            dependencies: deps.to_vec(),
            root: false,
        }
    }

    #[test]
    fn crates_with_edges_sources_and_kinds() {
        let mut root = krate(
            "app",
            "0.1.0",
            CrateSource::Local,
            CrateKind::Runtime,
            &[1, 2],
        );
        root.root = true;
        let info = AuditInfo {
            crates: vec![
                root,
                krate(
                    "serde",
                    "1.0.200",
                    CrateSource::CratesIo,
                    CrateKind::Runtime,
                    &[],
                ),
                krate(
                    "cc",
                    "1.0.90",
                    CrateSource::CratesIo,
                    CrateKind::Build,
                    &[7],
                ),
            ],
        };
        let e = rust_packages(&info, "/app", "x");
        assert_eq!(e.packages.len(), 3);
        assert_eq!(e.packages[0].id, "rust-crate:app@0.1.0 (local)");
        assert_eq!(
            e.packages[1].purl.as_deref(),
            Some("pkg:cargo/serde@1.0.200")
        );
        assert_eq!(e.packages[2].properties["sbomkit:cargo:kind"], "build");
        assert_eq!(e.packages[0].properties["sbomkit:cargo:source"], "local");
        let edges: Vec<(&str, &str)> = e
            .relationships
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str()))
            .collect();
        // Index 7 is out of range: no edge.
        assert_eq!(
            edges,
            [
                ("rust-crate:app@0.1.0 (local)", "rust-crate:serde@1.0.200"),
                ("rust-crate:app@0.1.0 (local)", "rust-crate:cc@1.0.90"),
            ]
        );
        assert_eq!(e.main, Some(("app".into(), Some("0.1.0".into()))));
    }

    #[test]
    fn merging_keeps_both_binaries_and_runtime_kind() {
        let info = AuditInfo {
            crates: vec![krate(
                "cc",
                "1.0.90",
                CrateSource::CratesIo,
                CrateKind::Build,
                &[],
            )],
        };
        let mut a = rust_packages(&info, "/a", "x").packages.remove(0);
        a.layer = Some(2);
        let info = AuditInfo {
            crates: vec![krate(
                "cc",
                "1.0.90",
                CrateSource::CratesIo,
                CrateKind::Runtime,
                &[],
            )],
        };
        let mut b = rust_packages(&info, "/b", "x").packages.remove(0);
        b.layer = Some(1);
        merge(&mut a, b);
        assert_eq!(a.evidence, ["/a", "/b"]);
        assert_eq!(a.layer, Some(1));
        assert_eq!(a.properties["sbomkit:cargo:kind"], "runtime");
    }
}
