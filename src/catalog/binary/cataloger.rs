//! The ELF cataloger (phase 2): every ELF file of the image, from the summaries the scan made of
//! them ([`super::elf::inspect`]).
//!
//! - A file owned by a package of an earlier phase is a file of that package: its facts go on a file
//!   record, its package note on the owning package (the note often names the *source* package), and
//!   what it embeds hangs under the owning package.
//! - Any other ELF file is a package of its own (named by its package note where it has one), with its
//!   digest, its facts as properties, and what it embeds under it.
//! - Libraries it needs (`DT_NEEDED`, `.note.dlopen`) are found as the image's loader would and give
//!   DEPENDS_ON (OPTIONAL for dlopen) edges to the packages owning them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::classify::{self, Classified, Hit};
use super::elf::{self, ElfFacts, ElfSummary, ElfType};
use super::loader::{self, Loader};
use super::modules::{self, Embedded};
use super::notes::PackageNote;
use crate::catalog::{Cataloger, Context, Found, Json, SummaryCodec};
use crate::cpe;
use crate::model::{
    Checksum, Completeness, FileForm, FileKind, FileRecord, HashAlg, Package, PackageKind, Purpose,
    Relationship, RelationshipKind, Technique,
};
use crate::purl::{Purl, PurlString, PurlType};
use crate::source::{display_path, EntryFacts, Node, Summary};

/// Largest loader configuration file worth reading.
const MAX_CONF_SIZE: u64 = 1 << 20;
/// Largest JDK `release` file worth reading.
const MAX_RELEASE_SIZE: u64 = 64 << 10;
/// Most names joined into one property value.
const MAX_LISTED: usize = 256;

/// An executable or library no package owns.
pub const BINARY: PackageKind = PackageKind {
    name: "binary",
    purl_type: None,
    purpose: Purpose::Application,
    technique: Some(Technique::BinaryAnalysis),
    // Named after its file: nothing in it says who it is.
    purl_is_evidence: false,
    file: Some(FileForm::Executable),
};

/// An unowned binary a classifier named: product and version read from its bytes.
pub const CLASSIFIED: PackageKind = PackageKind {
    name: "classified-binary",
    purl_type: Some("generic"),
    purpose: Purpose::Application,
    technique: Some(Technique::BinaryAnalysis),
    purl_is_evidence: true,
    file: Some(FileForm::Executable),
};

/// A library linked into an unowned binary, found by its version banner.
pub const EMBEDDED_LIBRARY: PackageKind = PackageKind {
    name: "embedded-library",
    purl_type: Some("generic"),
    purpose: Purpose::Library,
    technique: Some(Technique::BinaryAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// A package named by an ELF `.note.package` note.
pub const ELF_NOTE: PackageKind = PackageKind {
    name: "elf-note",
    purl_type: None,
    purpose: Purpose::Application,
    technique: Some(Technique::BinaryAnalysis),
    purl_is_evidence: true,
    file: Some(FileForm::Executable),
};

pub struct ElfBinaries;

const NAME: &str = "elf-binary";

impl Cataloger for ElfBinaries {
    fn name(&self) -> &'static str {
        NAME
    }

    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64> {
        if classify::is_java_release(path, head) {
            return Some(MAX_RELEASE_SIZE);
        }
        loader::is_loader_config(path).then_some(MAX_CONF_SIZE)
    }

    fn inspects(&self, _path: &[u8], head: &[u8]) -> bool {
        elf::is_elf(head)
    }

    fn inspect(&self, path: &[u8], content: &[u8]) -> Option<Summary> {
        let mut summary = elf::inspect(content);
        // Named like a product, or linked statically (where libraries' banners are found; a Go
        // binary carries its modules in its build information instead).
        let static_c = summary.go.is_none()
            && summary
                .facts
                .as_ref()
                .is_ok_and(|f| !f.dynamic && f.kind != ElfType::SharedObject);
        if classify::wanted(path) || static_c {
            summary.classified = classify::classify(path, content);
        }
        Some(Arc::new(summary))
    }

    /// A soname the loader resolves to a file that is not ELF still resolves.
    fn lists(&self, entry: &EntryFacts<'_>) -> bool {
        let name = entry.path.rsplit(|&b| b == b'/').next().unwrap_or_default();
        name.windows(3).any(|w| w == b".so")
    }

    fn codec(&self) -> Option<&dyn SummaryCodec> {
        // 2: classifier matches, and JDK `release` files kept.
        const CODEC: Json<ElfSummary> = Json::version(2);
        Some(&CODEC)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        catalog(cx)
    }
}

/// One ELF file of the image.
struct Seen<'a> {
    path: &'a [u8],
    node: &'a Node,
    facts: &'a ElfFacts,
    summary: &'a ElfSummary,
    /// The owning package, or this file's own package.
    package: String,
    owned: bool,
}

fn yes(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

fn joined(list: &[String], sep: &str) -> Option<String> {
    (!list.is_empty()).then(|| {
        list.iter()
            .take(MAX_LISTED)
            .cloned()
            .collect::<Vec<_>>()
            .join(sep)
    })
}

/// `sbomkit:elf:*` properties of one file.
fn elf_properties(f: &ElfFacts, node: &Node) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            p.insert(format!("sbomkit:elf:{k}"), v);
        }
    };
    put("class", Some(format!("ELF{}", f.class)));
    put("machine", Some(f.machine.clone()));
    put("type", Some(f.kind.as_str().to_string()));
    put(
        "linkage",
        Some(if f.dynamic { "dynamic" } else { "static" }.to_string()),
    );
    put("interpreter", f.interpreter.clone());
    put("needed", joined(&f.needed, " "));
    put("soname", f.soname.clone());
    put("rpath", joined(&f.rpath, ":"));
    put("runpath", joined(&f.runpath, ":"));
    put("build-id", f.notes.build_id.clone());
    put("stripped", Some(yes(f.stripped)));
    if matches!(f.kind, ElfType::Executable | ElfType::Pie) {
        put("pie", Some(yes(f.kind == ElfType::Pie)));
    }
    put("nx-stack", Some(yes(f.nx_stack)));
    put("relro", Some(f.relro.as_str().to_string()));
    put("stack-protector", Some(yes(f.stack_protector)));
    put("fortify", Some(yes(!f.fortified.is_empty())));
    put("fortified", joined(&f.fortified, " "));
    put("setuid", Some(yes(node.mode & 0o4000 != 0)));
    put("setgid", Some(yes(node.mode & 0o2000 != 0)));
    let dl: Vec<String> = f
        .notes
        .dlopen
        .iter()
        .map(|d| {
            format!(
                "{} ({}): {}",
                d.feature.as_deref().unwrap_or("?"),
                d.priority.as_deref().unwrap_or("recommended"),
                d.soname.join(" ")
            )
        })
        .collect();
    put("dlopen", joined(&dl, "; "));
    p
}

/// `pkg:TYPE/OS/NAME@VERSION?arch=..&distro=OS-VERSION` for a package note; `None` without a type
/// or name.
pub fn note_purl(n: &PackageNote) -> Option<PurlString> {
    let ty = PurlType::new(n.kind.as_deref()?.trim()).ok()?;
    let name = n.name.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    let mut p = Purl::new(ty, name);
    let os =
        n.os.as_deref()
            .map(|o| o.trim().to_ascii_lowercase())
            .filter(|o| !o.is_empty());
    if let Some(os) = &os {
        p = p.with_namespace(os.clone());
    }
    if let Some(v) = n.version.as_deref().filter(|v| !v.is_empty()) {
        p = p.with_version(v);
    }
    if let Some(a) = n.architecture.as_deref().filter(|a| !a.is_empty()) {
        p = p.with_qualifier("arch", a);
    }
    if let (Some(os), Some(v)) = (&os, n.os_version.as_deref().filter(|v| !v.is_empty())) {
        p = p.with_qualifier("distro", format!("{os}-{v}"));
    }
    Some(p.into())
}

/// `sbomkit:elf-note:*` properties of a package note.
fn note_properties(n: &PackageNote) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    let fields = [
        ("type", &n.kind),
        ("name", &n.name),
        ("version", &n.version),
        ("architecture", &n.architecture),
        ("os", &n.os),
        ("os-version", &n.os_version),
        ("os-cpe", &n.os_cpe),
        ("app-cpe", &n.app_cpe),
        ("debug-info-url", &n.debug_info_url),
    ];
    for (k, v) in fields {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            p.insert(format!("sbomkit:elf-note:{k}"), v.to_string());
        }
    }
    if let Some(purl) = note_purl(n) {
        p.insert("sbomkit:elf-note:purl".into(), purl.to_string());
    }
    p
}

fn file_name(path: &[u8]) -> String {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    String::from_utf8_lossy(name).into_owned()
}

fn catalog(cx: &Context<'_>) -> Found {
    let mut found = Found::default();
    let layered = !cx.subject.layers.is_empty();

    // Owners by the canonical path of what they list (a database may name `/lib/x` on a merged-/usr
    // image where the file lives at `/usr/lib/x`).
    let mut owners: BTreeMap<Vec<u8>, &str> = BTreeMap::new();
    for (path, pkg) in cx.owners {
        let canonical = cx.fs.resolve_parent(path).unwrap_or_else(|| path.clone());
        owners.entry(canonical).or_insert(pkg.as_str());
        owners.entry(path.clone()).or_insert(pkg.as_str());
    }

    let mut seen: Vec<Seen<'_>> = Vec::new();
    for (path, node) in cx.fs.iter() {
        if !node.is_file() {
            continue;
        }
        let Some(summary) = cx.summary::<ElfSummary>(node) else {
            continue;
        };
        let shown = display_path(path);
        for w in &summary.warnings {
            found.warnings.push(format!("{shown}: {w}"));
        }
        let facts = match &summary.facts {
            Ok(f) => f,
            Err(e) => {
                found.warnings.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let (package, owned) = match owners.get(path) {
            Some(o) => (o.to_string(), true),
            None => (format!("binary:{shown}"), false),
        };
        seen.push(Seen {
            path,
            node,
            facts,
            summary,
            package,
            owned,
        });
    }
    let by_path: BTreeMap<&[u8], &str> =
        seen.iter().map(|s| (s.path, s.package.as_str())).collect();
    let package_at = |p: &[u8]| -> Option<String> {
        owners
            .get(p)
            .copied()
            .or_else(|| by_path.get(p).copied())
            .map(str::to_string)
    };

    let loader = Loader::read(cx.fs);
    let mut embedded: BTreeMap<String, Package> = BTreeMap::new();
    let mut libraries: BTreeMap<String, Package> = BTreeMap::new();
    for s in &seen {
        let shown = display_path(s.path);
        let layer = layered.then_some(s.node.layer);
        let mut props = elf_properties(s.facts, s.node);

        // Linkage, as the loader would resolve it.
        let mut unresolved = Vec::new();
        for soname in &s.facts.needed {
            match loader.find(cx.fs, s.facts, s.path, soname) {
                Some(lib) => {
                    if let Some(to) = package_at(&lib).filter(|to| *to != s.package) {
                        found.relationships.push(Relationship::new(
                            s.package.clone(),
                            RelationshipKind::DependsOn,
                            to,
                        ));
                    }
                }
                None => unresolved.push(soname.clone()),
            }
        }
        for entry in &s.facts.notes.dlopen {
            // Any of the sonames satisfies the feature: the first found is the one used.
            let target = entry
                .soname
                .iter()
                .take(MAX_LISTED)
                .find_map(|n| loader.find(cx.fs, s.facts, s.path, n));
            if let Some(to) = target
                .and_then(|lib| package_at(&lib))
                .filter(|to| *to != s.package)
            {
                found.relationships.push(Relationship::new(
                    s.package.clone(),
                    RelationshipKind::OptionalDependsOn,
                    to,
                ));
            }
        }
        let links = match unresolved.is_empty() {
            true => Completeness::Complete,
            false => Completeness::Incomplete,
        };
        if let Some(v) = joined(&unresolved, " ") {
            props.insert("sbomkit:elf:needed-unresolved".into(), v);
        }

        // Embedded modules.
        let mut parts: Vec<Embedded> = Vec::new();
        if let Some(go) = &s.summary.go {
            parts.push(modules::go_packages(go, &shown, NAME));
        }
        if let Some(rust) = &s.summary.rust {
            parts.push(modules::rust_packages(rust, &shown, NAME));
        }
        let mut main = None;
        for e in parts {
            props.extend(e.build_properties);
            main = main.or(e.main);
            found.relationships.extend(e.relationships);
            for mut p in e.packages {
                p.layer = layer;
                found.relationships.push(Relationship::new(
                    s.package.clone(),
                    RelationshipKind::Contains,
                    p.id.clone(),
                ));
                match embedded.get_mut(&p.id) {
                    Some(into) => modules::merge(into, p),
                    None => {
                        embedded.insert(p.id.clone(), p);
                    }
                }
            }
        }

        let note = s.facts.notes.package.as_ref();
        let mut checksums = Vec::new();
        if let Some(h) = s.node.sha256 {
            checksums.push(Checksum::new(HashAlg::Sha256, hex::encode(h)));
        }
        if let Some(h) = s.node.sha1 {
            checksums.push(Checksum::new(HashAlg::Sha1, hex::encode(h)));
        }
        if let Some(h) = &s.node.sha512 {
            checksums.push(Checksum::new(HashAlg::Sha512, hex::encode(h.as_slice())));
        }
        if s.owned {
            // The owner's file: facts on the file record, the note on the owner.
            if let Some(n) = note {
                let np = note_properties(n);
                for (k, v) in &np {
                    found
                        .package_properties
                        .push((s.package.clone(), k.clone(), v.clone()));
                }
                props.extend(np);
            }
            let id = format!("file:{shown}");
            found.files.push(FileRecord {
                id: id.clone(),
                path: shown.clone(),
                sha256: s.node.sha256.map(hex::encode),
                other_checksums: checksums
                    .into_iter()
                    .filter(|c| c.alg != HashAlg::Sha256)
                    .collect(),
                layer,
                kind: Some(file_kind(s.facts.kind)),
                properties: props,
            });
            found.relationships.push(Relationship::new(
                s.package.clone(),
                RelationshipKind::Contains,
                id,
            ));
        } else {
            let mut pkg = Package {
                name: file_name(s.path),
                arch: Some(s.facts.machine.clone()),
                checksums,
                file: Some(shown.clone()),
                dependencies: links,
                layer,
                evidence: vec![shown.clone()],
                found_by: NAME.to_string(),
                ..Package::new(s.package.clone(), BINARY)
            };
            if let Some((m, v)) = main {
                if s.summary.go.is_some() {
                    pkg.name = m.rsplit('/').next().unwrap_or(&m).to_string();
                }
                pkg.version = v.unwrap_or_default();
            }
            if let Some(n) = note.filter(|n| n.name.as_deref().is_some_and(|x| !x.is_empty())) {
                pkg.kind = ELF_NOTE;
                pkg.name = n.name.clone().unwrap_or_default();
                pkg.version = n.version.clone().unwrap_or_default();
                pkg.purl = note_purl(n);
                pkg.arch = n.architecture.clone().or(pkg.arch);
                pkg.cpes = n
                    .app_cpe
                    .as_deref()
                    .and_then(cpe::from_cpe_name)
                    .into_iter()
                    .collect();
                props.extend(note_properties(n));
            }
            if let Some(c) = &s.summary.classified {
                if pkg.kind == BINARY {
                    identify(&mut pkg, &mut props, c, cx.fs, s.path, &mut found.warnings);
                }
                for lib in &c.libraries {
                    // The product's own banner is not a second copy of it.
                    if pkg.kind == CLASSIFIED && lib.name == pkg.name {
                        continue;
                    }
                    let Some(table) = classify::library(&lib.name) else {
                        continue;
                    };
                    // Linked dynamically: the banner came with the headers it was built against.
                    if s.facts
                        .needed
                        .iter()
                        .any(|n| table.sonames.iter().any(|so| n.starts_with(so)))
                    {
                        continue;
                    }
                    for p in embedded_libraries(table, lib, &shown, layer) {
                        found.relationships.push(Relationship::new(
                            s.package.clone(),
                            RelationshipKind::Contains,
                            p.id.clone(),
                        ));
                        match libraries.get_mut(&p.id) {
                            Some(into) => merge_library(into, p),
                            None => {
                                libraries.insert(p.id.clone(), p);
                            }
                        }
                    }
                }
            }
            pkg.properties = props;
            found.packages.push(pkg);
        }
    }
    found.packages.extend(embedded.into_values());
    found.packages.extend(libraries.into_values());
    found.relationships.sort();
    found.relationships.dedup();
    found
}

/// The one version a product's patterns gave, or a warning naming the file and every version.
fn one_version<'h>(
    hit: &'h Hit,
    shown: &str,
    warnings: &mut Vec<String>,
) -> Option<&'h classify::Seen> {
    match hit.found.as_slice() {
        [one] => Some(one),
        many => {
            warnings.push(format!(
                "{shown}: {} versions of {} written in it ({}): none is given",
                many.len(),
                hit.name,
                hit.versions().join(", ")
            ));
            None
        }
    }
}

fn cpes_of(pairs: &[(&str, &str)], version: &str) -> Vec<String> {
    pairs
        .iter()
        .filter_map(|(vendor, product)| cpe::application(vendor, product, version))
        .collect()
}

fn generic_purl(name: &str, version: &str) -> PurlString {
    Purl::new(PurlType::GENERIC, name)
        .with_version(version)
        .into()
}

/// Names an unowned binary after the product its bytes match, with the version they give (for
/// `java`, the `release` file of its JDK when there is one).
fn identify(
    pkg: &mut Package,
    props: &mut BTreeMap<String, String>,
    c: &Classified,
    fs: &crate::source::Vfs,
    path: &[u8],
    warnings: &mut Vec<String>,
) {
    let Some(hit) = c.product() else {
        return;
    };
    let Some(product) = classify::product(&hit.name) else {
        return;
    };
    let shown = display_path(path);
    let seen = one_version(hit, &shown, warnings);
    let mut version = seen.map(|s| s.version.clone());
    if product.name == "openjdk" {
        // bin/java → the release file two levels up; its runtime version is the launcher's.
        let home: Vec<u8> = path
            .rsplitn(3, |&b| b == b'/')
            .nth(2)
            .unwrap_or(b"")
            .to_vec();
        let release = [home.as_slice(), b"/release"].concat();
        if let Some((java, runtime)) = fs.read(&release).map(|r| classify::java_release(r)) {
            if let Some(v) = runtime.or(java.clone()) {
                pkg.evidence.push(display_path(&release));
                props.insert("sbomkit:classifier:release".into(), display_path(&release));
                version = Some(v);
            }
            if let Some(j) = java {
                props.insert("sbomkit:classifier:java-version".into(), j);
            }
        }
    }
    let (Some(version), Some(seen)) = (version, seen) else {
        return;
    };
    // CPEs name the feature release: `17.0.21.1`, not `17.0.21.1+2-1-deb12u1-Debian`.
    let cpe_version = props
        .get("sbomkit:classifier:java-version")
        .cloned()
        .unwrap_or_else(|| version.split('+').next().unwrap_or(&version).to_string());
    pkg.kind = CLASSIFIED;
    pkg.name = product.name.to_string();
    let mut purl = Purl::new(PurlType::GENERIC, product.name).with_version(&version);
    if let Some(ns) = product.namespace {
        purl = purl.with_namespace(ns);
    }
    pkg.purl = Some(purl.into());
    pkg.cpes = cpes_of(product.cpes, &cpe_version);
    pkg.version = version;
    props.insert("sbomkit:identified-by".into(), "classifier".into());
    props.insert("sbomkit:classifier".into(), product.name.into());
    props.insert(
        "sbomkit:classifier:match".into(),
        format!("{} at byte {}", seen.text, seen.offset),
    );
}

/// A library a binary carries, by its banner, once per version: two banners of one library are
/// two copies (Node.js links two zlibs). Shared by every binary that carries the same version.
fn embedded_libraries(
    lib: &classify::Library,
    hit: &Hit,
    shown: &str,
    layer: Option<usize>,
) -> Vec<Package> {
    hit.found
        .iter()
        .map(|seen| {
            let version = &seen.version;
            let mut properties = BTreeMap::new();
            properties.insert("sbomkit:identified-by".into(), "version-string".into());
            properties.insert(
                "sbomkit:classifier:match".into(),
                format!("{shown}: {} at byte {}", seen.text, seen.offset),
            );
            Package {
                name: lib.name.to_string(),
                version: version.clone(),
                purl: Some(generic_purl(lib.name, version)),
                cpes: cpes_of(lib.cpes, version),
                layer,
                evidence: vec![shown.to_string()],
                found_by: NAME.to_string(),
                properties,
                ..Package::new(
                    format!("embedded:{}@{}", lib.name, version),
                    EMBEDDED_LIBRARY,
                )
            }
        })
        .collect()
}

/// The same library in another binary: one more file it was found in.
fn merge_library(into: &mut Package, other: Package) {
    into.evidence.extend(other.evidence);
    into.evidence.sort();
    into.evidence.dedup();
    into.layer = into.layer.min(other.layer);
}

fn file_kind(t: ElfType) -> FileKind {
    match t {
        ElfType::Executable | ElfType::Pie => FileKind::Executable,
        ElfType::SharedObject => FileKind::SharedLibrary,
        _ => FileKind::OtherBinary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::{fixture, put};
    use crate::model::Subject;
    use crate::source::{NodeKind, Vfs};

    fn elf_node(bytes: &[u8], mode: u32) -> Node {
        use sha2::Digest;
        Node {
            kind: NodeKind::File,
            mode,
            size: bytes.len() as u64,
            layer: 0,
            sha256: Some(sha2::Sha256::digest(bytes).into()),
            sha1: None,
            sha512: None,
            content: None,
            summaries: Some(Box::new([(0, Arc::new(elf::inspect(bytes)) as Summary)])),
        }
    }

    fn run(fs: &Vfs, owners: &BTreeMap<Vec<u8>, String>) -> Found {
        let subject = Subject::default();
        catalog(&Context {
            fs,
            subject: &subject,
            distro: None,
            owners,
            packages: &[],
            slot: 0,
            all_layers: false,
        })
    }

    #[test]
    fn note_purls() {
        let n = PackageNote {
            kind: Some("deb".into()),
            name: Some("systemd".into()),
            version: Some("252.39-1~deb12u2".into()),
            architecture: Some("amd64".into()),
            os: Some("Debian".into()),
            ..PackageNote::default()
        };
        assert_eq!(
            note_purl(&n).as_deref(),
            Some("pkg:deb/debian/systemd@252.39-1~deb12u2?arch=amd64")
        );
        let n = PackageNote {
            kind: Some("rpm".into()),
            name: Some("curl".into()),
            version: Some("8.6.0-7.fc40".into()),
            architecture: Some("x86_64".into()),
            os: Some("fedora".into()),
            os_version: Some("40".into()),
            ..PackageNote::default()
        };
        assert_eq!(
            note_purl(&n).as_deref(),
            Some("pkg:rpm/fedora/curl@8.6.0-7.fc40?arch=x86_64&distro=fedora-40")
        );
        assert_eq!(note_purl(&PackageNote::default()), None);
        // A type the purl specification does not allow makes no purl.
        for kind in ["", " ", "my type", "1c", "a/b"] {
            let n = PackageNote {
                kind: Some(kind.into()),
                name: Some("x".into()),
                ..PackageNote::default()
            };
            assert_eq!(note_purl(&n), None, "{kind:?}");
        }
    }

    #[test]
    fn owned_library_puts_the_note_on_its_owner() {
        let lib = fixture("elf/package-notes/libudev.so.1.7.5");
        let mut fs = Vfs::new();
        put(
            &mut fs,
            "usr/lib/x86_64-linux-gnu/libudev.so.1.7.5",
            elf_node(&lib, 0o644),
        );
        let mut owners = BTreeMap::new();
        // Listed through the /lib link of a merged-/usr image.
        fs.insert(
            b"lib".to_vec(),
            crate::catalog::testutil::link(0, "usr/lib"),
        );
        owners.insert(
            b"lib/x86_64-linux-gnu/libudev.so.1.7.5".to_vec(),
            "deb:libudev1@252.39-1~deb12u2".to_string(),
        );
        let found = run(&fs, &owners);
        assert!(found.packages.is_empty(), "{:?}", found.packages);
        assert_eq!(found.files.len(), 1);
        let f = &found.files[0];
        assert_eq!(f.kind, Some(FileKind::SharedLibrary));
        assert_eq!(f.properties["sbomkit:elf:soname"], "libudev.so.1");
        assert!(found.package_properties.contains(&(
            "deb:libudev1@252.39-1~deb12u2".to_string(),
            "sbomkit:elf-note:name".to_string(),
            "systemd".to_string()
        )));
        assert!(found.relationships.contains(&Relationship::new(
            "deb:libudev1@252.39-1~deb12u2",
            RelationshipKind::Contains,
            f.id.clone()
        )));
    }

    #[test]
    fn unowned_binaries_become_packages_and_link_to_owners() {
        let lib = fixture("elf/package-notes/libudev.so.1.7.5");
        let go = fixture("elf/go/test.elf");
        let mut fs = Vfs::new();
        put(&mut fs, "opt/libudev.so.1", elf_node(&lib, 0o644));
        put(&mut fs, "usr/bin/tool", elf_node(&go, 0o4755));
        put(
            &mut fs,
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            elf_node(b"\x7fELF", 0o644),
        );
        let mut owners = BTreeMap::new();
        owners.insert(
            b"usr/lib/x86_64-linux-gnu/libc.so.6".to_vec(),
            "deb:libc6@2.36".to_string(),
        );
        let found = run(&fs, &owners);
        let note = found
            .packages
            .iter()
            .find(|p| p.id == "binary:/opt/libudev.so.1")
            .unwrap();
        assert_eq!(note.kind, ELF_NOTE);
        assert_eq!(note.name, "systemd");
        assert_eq!(
            note.purl.as_deref(),
            Some("pkg:deb/debian/systemd@252.39-1~deb12u2?arch=amd64")
        );
        assert_eq!(note.checksums[0].alg, HashAlg::Sha256);
        // libudev needs libc.so.6, found in the multiarch folder and owned by libc6.
        assert!(found.relationships.contains(&Relationship::new(
            "binary:/opt/libudev.so.1",
            RelationshipKind::DependsOn,
            "deb:libc6@2.36"
        )));
        let tool = found
            .packages
            .iter()
            .find(|p| p.id == "binary:/usr/bin/tool")
            .unwrap();
        assert_eq!(tool.kind, BINARY);
        // A Go binary is named by its main module (github.com/aquasecurity/test), not its file name.
        assert_eq!(tool.name, "test");
        assert_eq!(tool.properties["sbomkit:elf:setuid"], "true");
        assert_eq!(tool.properties["sbomkit:elf:linkage"], "static");
        // The stub libc is no readable ELF: a warning naming it, nothing else.
        assert!(found
            .warnings
            .iter()
            .any(|w| w.starts_with("/usr/lib/x86_64-linux-gnu/libc.so.6: ")));
    }

    fn classify_fixture(name: &str) -> Vec<u8> {
        fixture(&format!("../binaries/classify/excerpts/{name}.bin"))
    }

    /// A real ELF file with windows of real binaries' bytes after it, summarised as the scan does.
    fn classified_node(path: &str, parts: &[&str], needed: &[&str]) -> Node {
        let mut bytes = fixture("../binaries/c/plain");
        for p in parts {
            bytes.extend(classify_fixture(p));
        }
        let summary = ElfBinaries.inspect(path.as_bytes(), &bytes).unwrap();
        let mut summary = summary.downcast_ref::<ElfSummary>().unwrap().clone();
        if let Ok(f) = &mut summary.facts {
            f.needed.extend(needed.iter().map(|n| n.to_string()));
        }
        Node {
            summaries: Some(Box::new([(0, Arc::new(summary) as Summary)])),
            ..elf_node(&bytes, 0o755)
        }
    }

    #[test]
    fn unowned_binaries_are_named_by_their_bytes_owned_ones_are_not() {
        let mut fs = Vfs::new();
        put(
            &mut fs,
            "usr/local/bin/node",
            classified_node(
                "usr/local/bin/node",
                &[
                    "node",
                    "node-openssl",
                    "node-zlib-1.3.0.1",
                    "node-zlib-1.3.2.1",
                ],
                &[],
            ),
        );
        put(
            &mut fs,
            "usr/bin/openssl",
            classified_node("usr/bin/openssl", &["openssl"], &[]),
        );
        // Built against OpenSSL's headers, linked to libcrypto: the banner is no copy of it.
        put(
            &mut fs,
            "opt/php/bin/php",
            classified_node(
                "opt/php/bin/php",
                &["php", "libcrypto"],
                &["libcrypto.so.3"],
            ),
        );
        put(
            &mut fs,
            "opt/java/openjdk/bin/java",
            classified_node("opt/java/openjdk/bin/java", &["java"], &[]),
        );
        put(
            &mut fs,
            "opt/java/openjdk/release",
            crate::catalog::testutil::file(
                0,
                b"IMPLEMENTOR=\"Debian\"\nJAVA_RUNTIME_VERSION=\"17.0.21.1+2-1-deb12u1-Debian\"\nJAVA_VERSION=\"17.0.21.1\"\n",
            ),
        );
        let mut owners = BTreeMap::new();
        owners.insert(
            b"usr/bin/openssl".to_vec(),
            "deb:openssl@3.0.22-1~deb12u2".to_string(),
        );
        let found = run(&fs, &owners);
        let by_id = |id: &str| found.packages.iter().find(|p| p.id == id);

        let node = by_id("binary:/usr/local/bin/node").unwrap();
        assert_eq!(node.kind, CLASSIFIED);
        assert_eq!(
            (node.name.as_str(), node.version.as_str()),
            ("node", "24.19.0")
        );
        assert_eq!(node.purl.as_deref(), Some("pkg:generic/node@24.19.0"));
        assert_eq!(
            node.cpes,
            ["cpe:2.3:a:nodejs:node.js:24.19.0:*:*:*:*:*:*:*"]
        );
        assert_eq!(node.evidence, ["/usr/local/bin/node"]);
        assert_eq!(node.properties["sbomkit:identified-by"], "classifier");
        assert!(
            node.properties["sbomkit:classifier:match"].starts_with("node.js/v24.19.0 at byte ")
        );
        for (lib, version) in [
            ("openssl", "3.5.7"),
            ("zlib", "1.3.0.1"),
            ("zlib", "1.3.2.1"),
        ] {
            let id = format!("embedded:{lib}@{version}");
            let p = by_id(&id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(p.kind, EMBEDDED_LIBRARY);
            assert_eq!(
                p.purl.as_deref(),
                Some(format!("pkg:generic/{lib}@{version}").as_str())
            );
            assert_eq!(p.properties["sbomkit:identified-by"], "version-string");
            assert_eq!(p.evidence, ["/usr/local/bin/node"]);
            assert!(found.relationships.contains(&Relationship::new(
                "binary:/usr/local/bin/node",
                RelationshipKind::Contains,
                id.as_str()
            )));
        }

        // The OS package's file: a file record, no package of its own, nothing contained.
        assert!(by_id("binary:/usr/bin/openssl").is_none());
        assert!(found.files.iter().any(|f| f.path == "/usr/bin/openssl"));

        let php = by_id("binary:/opt/php/bin/php").unwrap();
        assert_eq!(php.purl.as_deref(), Some("pkg:generic/php-cli@8.2.36"));
        assert!(by_id("embedded:openssl@3.0.22").is_none());

        // The launcher's version, confirmed by the release file beside it, which CPEs take.
        let java = by_id("binary:/opt/java/openjdk/bin/java").unwrap();
        assert_eq!(java.name, "openjdk");
        assert_eq!(
            java.purl.as_deref(),
            Some("pkg:generic/oracle/openjdk@17.0.21.1%2B2-1-deb12u1-Debian")
        );
        assert_eq!(
            java.cpes,
            ["cpe:2.3:a:oracle:openjdk:17.0.21.1:*:*:*:*:*:*:*"]
        );
        assert_eq!(
            java.evidence,
            ["/opt/java/openjdk/bin/java", "/opt/java/openjdk/release"]
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    #[test]
    fn a_product_with_two_versions_in_it_gets_none() {
        let mut fs = Vfs::new();
        // Two real busybox banners of different builds would be two versions; here, MariaDB's
        // server banner and a second server version: the file does not say which it is.
        let mut bytes = fixture("../binaries/c/plain");
        bytes.extend(classify_fixture("mariadbd"));
        bytes.extend(b"\x0010.6.21-MariaDB\x00");
        let summary = ElfBinaries.inspect(b"usr/sbin/mariadbd", &bytes).unwrap();
        put(
            &mut fs,
            "usr/sbin/mariadbd",
            Node {
                summaries: Some(Box::new([(0, summary)])),
                ..elf_node(&bytes, 0o755)
            },
        );
        let found = run(&fs, &BTreeMap::new());
        let p = &found.packages[0];
        assert_eq!((p.kind, p.version.as_str()), (BINARY, ""));
        assert_eq!(p.purl, None);
        assert_eq!(
            found.warnings,
            ["/usr/sbin/mariadbd: 2 versions of mariadb written in it (10.11.19, 10.6.21): none is given"]
        );
    }
}
