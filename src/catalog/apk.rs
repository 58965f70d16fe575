//! The APK installed database (`lib/apk/db/installed`, `usr/lib/apk/db/installed`) of Alpine, Wolfi
//! and Chainguard images.
//!
//! The file is a list of stanzas separated by blank lines; each line is `K:value` with a one-letter
//! key (apk-tools' `apk_db_index_read`). `C:` and `Z:` digests are `Q1` + base64 of a SHA-1 (`Q2`:
//! SHA-256). `F:` opens a folder, the `R:` lines after it are files in it, each followed by its
//! `a:` mode and `Z:` digest. Unknown keys are kept, never an error.

use std::collections::BTreeMap;

use base64::Engine;

use super::os_db::{self, Database, Dep, Installed};
use super::{license, person, Cataloger, Context, Found};
use crate::model::{Checksum, HashAlg, Package, PackageKind, Purpose};
use crate::source::Vfs;

/// Where apk keeps its database (the second on merged-/usr systems such as Wolfi and newer Alpine).
pub const DB_PATHS: [&[u8]; 2] = [b"lib/apk/db/installed", b"usr/lib/apk/db/installed"];

/// A package from an APK database.
pub const KIND: PackageKind = PackageKind {
    name: "apk",
    purl_type: Some("apk"),
    purpose: Purpose::Library,
    technique: None,
    purl_is_evidence: false,
    file: None,
};

/// Largest database worth parsing; a full desktop install is a few MiB.
const MAX_DB_SIZE: u64 = 256 << 20;

/// One file an APK installs: path from the root and the digest `Z:` recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkFile {
    pub path: Vec<u8>,
    pub digest: Option<Checksum>,
}

/// One stanza of the installed database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApkRecord {
    /// Line of the stanza's first field.
    pub line: usize,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub origin: Option<String>,
    pub maintainer: Option<String>,
    pub build_time: Option<String>,
    pub commit: Option<String>,
    /// `C:`: digest of the package's control section.
    pub checksum: Option<Checksum>,
    pub size: Option<String>,
    pub installed_size: Option<String>,
    pub depends: Vec<String>,
    pub provides: Vec<String>,
    pub replaces: Vec<String>,
    pub install_if: Vec<String>,
    pub provider_priority: Option<String>,
    pub replaces_priority: Option<String>,
    pub repository_tag: Option<String>,
    pub files: Vec<ApkFile>,
    /// Keys this parser has no field for, in file order.
    pub other: Vec<(char, String)>,
}

/// Decodes an apk digest: `Q1` + base64 SHA-1, `Q2` + base64 SHA-256.
pub fn decode_digest(v: &str) -> Option<Checksum> {
    let (alg, len, b64) = if let Some(b) = v.strip_prefix("Q1") {
        (HashAlg::Sha1, 20, b)
    } else if let Some(b) = v.strip_prefix("Q2") {
        (HashAlg::Sha256, 32, b)
    } else {
        return None;
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    (bytes.len() == len).then(|| Checksum::new(alg, hex::encode(bytes)))
}

fn words(v: &str) -> Vec<String> {
    v.split_whitespace().map(str::to_string).collect()
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Parses a database. `file` names it in warnings. Never fails: bad lines and stanzas are warnings.
pub fn parse(text: &[u8], file: &str) -> (Vec<ApkRecord>, Vec<String>) {
    let mut records = Vec::new();
    let mut warnings = Capped::default();
    let warnings = &mut warnings;
    let mut cur: Option<ApkRecord> = None;
    let mut dir: Vec<u8> = Vec::new();

    let finish = |rec: ApkRecord, records: &mut Vec<ApkRecord>, warnings: &mut Capped| {
        if rec.name.is_empty() || rec.version.is_empty() {
            capped(
                warnings,
                format!(
                    "{file}:{}: package stanza without P: or V:, skipped",
                    rec.line
                ),
            );
        } else {
            records.push(rec);
        }
    };

    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            if let Some(rec) = cur.take() {
                finish(rec, &mut records, warnings);
            }
            dir.clear();
            continue;
        }
        let (key, value) = match line {
            [k, b':', rest @ ..] if k.is_ascii_graphic() => (char::from(*k), rest),
            _ => {
                capped(
                    warnings,
                    format!("{file}:{number}: not a `K:value` line, skipped"),
                );
                continue;
            }
        };
        let rec = cur.get_or_insert_with(|| {
            dir.clear();
            ApkRecord {
                line: number,
                ..ApkRecord::default()
            }
        });
        let text = String::from_utf8_lossy(value);
        let v = text.as_ref();
        match key {
            'P' => rec.name = v.trim().to_string(),
            'V' => rec.version = v.trim().to_string(),
            'A' => rec.arch = opt(v),
            'L' => rec.license = opt(v),
            'T' => rec.description = opt(v),
            'U' => rec.url = opt(v),
            'o' => rec.origin = opt(v),
            'm' => rec.maintainer = opt(v),
            't' => rec.build_time = opt(v),
            'c' => rec.commit = opt(v),
            'S' => rec.size = opt(v),
            'I' => rec.installed_size = opt(v),
            'D' => rec.depends.extend(words(v)),
            'p' => rec.provides.extend(words(v)),
            'r' => rec.replaces.extend(words(v)),
            'i' => rec.install_if.extend(words(v)),
            'k' => rec.provider_priority = opt(v),
            'q' => rec.replaces_priority = opt(v),
            's' => rec.repository_tag = opt(v),
            'C' => {
                rec.checksum = decode_digest(v);
                if rec.checksum.is_none() {
                    capped(warnings, format!("{file}:{number}: unreadable C: digest"));
                }
            }
            'F' => dir = value.to_vec(),
            'R' => {
                let mut path = dir.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(value);
                rec.files.push(ApkFile { path, digest: None });
            }
            'Z' => match rec.files.last_mut() {
                Some(f) if f.digest.is_none() => f.digest = decode_digest(v),
                _ => capped(
                    warnings,
                    format!("{file}:{number}: Z: without an R: before it"),
                ),
            },
            // File and folder modes/ACLs: not recorded in the SBOM.
            'a' | 'M' => {}
            other => rec.other.push((other, v.to_string())),
        }
    }
    if let Some(rec) = cur.take() {
        finish(rec, &mut records, warnings);
    }
    (records, warnings.finish(file))
}

/// The name a dependency or provides entry is about: `so:libc.musl-x86_64.so.1=1` →
/// `so:libc.musl-x86_64.so.1`, `busybox>=1.36` → `busybox`, `name@tag` → `name`.
/// Warnings of one file, at most [`MAX_WARNINGS`]: garbage would otherwise give one per line, a
/// list many times the size of the file. The rest are counted in one last warning.
#[derive(Default)]
struct Capped {
    list: Vec<String>,
    dropped: usize,
}

const MAX_WARNINGS: usize = 50;

fn capped(w: &mut Capped, message: String) {
    if w.list.len() < MAX_WARNINGS {
        w.list.push(message);
    } else {
        w.dropped += 1;
    }
}

impl Capped {
    fn finish(&mut self, file: &str) -> Vec<String> {
        let mut list = std::mem::take(&mut self.list);
        if self.dropped > 0 {
            list.push(format!("{file}: {} more problems not listed", self.dropped));
        }
        list
    }
}

pub fn dependency_name(dep: &str) -> &str {
    let end = dep.find(['=', '<', '>', '~']).unwrap_or(dep.len());
    let name = &dep[..end];
    match name.find('@') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

/// The namespace to use when there is no os-release: from the distro's baselayout package.
fn inferred_namespace(installed: &[&Installed]) -> &'static str {
    let has = |name: &str| installed.iter().any(|r| r.package.name == name);
    if has("wolfi-baselayout") {
        "wolfi"
    } else if has("chainguard-baselayout") {
        "chainguard"
    } else {
        "alpine"
    }
}

/// A record in the skeleton's terms. Versions in dependencies are not compared: any installed
/// provider satisfies them, as the database was consistent when apk wrote it.
fn installed(r: ApkRecord) -> Installed {
    let mut props = BTreeMap::new();
    let mut prop = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            props.insert(format!("sbomkit:apk:{k}"), v);
        }
    };
    let joined = |v: &[String]| (!v.is_empty()).then(|| v.join(" "));
    prop("commit", r.commit.clone());
    prop("build-time", r.build_time.clone());
    prop("size", r.size.clone());
    prop("installed-size", r.installed_size.clone());
    prop("repository-tag", r.repository_tag.clone());
    prop("provides", joined(&r.provides));
    prop("depends", joined(&r.depends));
    prop("replaces", joined(&r.replaces));
    prop("install-if", joined(&r.install_if));
    prop("provider-priority", r.provider_priority.clone());
    prop("replaces-priority", r.replaces_priority.clone());
    for (k, v) in &r.other {
        prop(&format!("field:{k}"), Some(v.clone()));
    }
    let package = Package {
        name: r.name.clone(),
        version: r.version.clone(),
        arch: r.arch.clone(),
        source_name: Some(r.origin.clone().unwrap_or_else(|| r.name.clone())),
        source_version: Some(r.version.clone()),
        licenses: r
            .license
            .as_deref()
            .map(license::from_raw)
            .into_iter()
            .collect(),
        originator: r.maintainer.as_deref().and_then(person),
        description: r.description.clone(),
        homepage: r.url.clone(),
        checksums: r.checksum.clone().into_iter().collect(),
        properties: props,
        ..Package::new(format!("apk:{}@{}", r.name, r.version), KIND)
    };
    Installed {
        line: r.line,
        package,
        qualifiers: r
            .origin
            .iter()
            .filter(|o| **o != r.name)
            .map(|o| ("upstream", o.clone()))
            .collect(),
        multiarch: None,
        provides: r
            .provides
            .iter()
            .map(|p| (dependency_name(p).to_string(), None))
            .collect(),
        depends: r
            .depends
            .iter()
            // `!name` is a conflict, not a dependency.
            .filter(|d| !d.starts_with('!'))
            .map(|d| vec![Dep::named(dependency_name(d))])
            .collect(),
        optional: Vec::new(),
        files: r
            .files
            .into_iter()
            .map(|f| (f.path, f.digest.into_iter().collect()))
            .collect(),
    }
}

/// APK packages from the installed database.
pub struct ApkDb;

impl Database for ApkDb {
    const WHAT: &'static str = "APK database";
    const MAX_SIZE: u64 = MAX_DB_SIZE;

    /// Each database on its own: one does not name the other's packages.
    fn files(&self, _fs: &Vfs) -> Vec<Vec<Vec<u8>>> {
        DB_PATHS.iter().map(|p| vec![p.to_vec()]).collect()
    }

    fn parse(
        &self,
        _listed_at: &[u8],
        content: &[u8],
        file: &str,
    ) -> (Vec<Installed>, Vec<String>) {
        let (records, warnings) = parse(content, file);
        (records.into_iter().map(installed).collect(), warnings)
    }

    fn inferred_namespace(&self, installed: &[&Installed]) -> &'static str {
        inferred_namespace(installed)
    }
}

impl Cataloger for ApkDb {
    fn name(&self) -> &'static str {
        "apk-db"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        DB_PATHS.contains(&path).then_some(MAX_DB_SIZE)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        os_db::catalog(self, cx, self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::{by_name, distro, fixture, link, put, run};
    use crate::model::{Actor, Relationship, RelationshipKind};
    use crate::source::Vfs;

    fn db_fs(path: &str, fixture_name: &str) -> Vfs {
        let mut fs = Vfs::new();
        put(
            &mut fs,
            path,
            crate::catalog::testutil::file(0, &fixture(&format!("apk/installed/{fixture_name}"))),
        );
        fs
    }

    fn deps_of(found: &Found, id: &str) -> Vec<String> {
        found
            .relationships
            .iter()
            .filter(|r| r.from == id && r.kind == RelationshipKind::DependsOn)
            .map(|r| r.to.clone())
            .collect()
    }

    #[test]
    fn wolfi_base() {
        let fs = db_fs("usr/lib/apk/db/installed", "wolfi-base.installed");
        let d = distro("wolfi.os-release");
        let found = run(&ApkDb, &fs, Some(&d));
        assert_eq!(found.packages.len(), 15);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);

        let glibc = by_name(&found, "glibc");
        assert_eq!(glibc.id, "apk:glibc@2.41-r55");
        assert_eq!(
            glibc.purl.as_deref(),
            Some("pkg:apk/wolfi/glibc@2.41-r55?arch=x86_64&distro=wolfi-20220914")
        );
        assert_eq!(
            glibc.cpes,
            vec!["cpe:2.3:a:wolfi:glibc:2.41-r55:*:*:*:*:*:*:*"]
        );
        assert_eq!(glibc.supplier, Actor::organization("Wolfi"));
        assert_eq!(glibc.found_by, "apk-db");
        assert_eq!(glibc.evidence, vec!["/usr/lib/apk/db/installed"]);
        assert_eq!(glibc.layer, Some(0));
        let locale = by_name(&found, "glibc-locale-posix");
        assert_eq!(
            locale.purl.as_deref(),
            Some("pkg:apk/wolfi/glibc-locale-posix@2.41-r55?arch=x86_64&distro=wolfi-20220914&upstream=glibc")
        );
        assert_eq!(locale.source_name.as_deref(), Some("glibc"));
        assert_eq!(locale.source_version.as_deref(), Some("2.41-r55"));

        let ca = by_name(&found, "ca-certificates-bundle");
        assert_eq!(ca.licenses[0].raw, "MPL-2.0 AND MIT");
        assert_eq!(ca.licenses[0].spdx.as_deref(), Some("MPL-2.0 AND MIT"));
        let libgcc = by_name(&found, "libgcc");
        assert_eq!(
            libgcc.licenses[0].spdx.as_deref(),
            Some("GPL-3.0-or-later WITH GCC-exception-3.1")
        );

        let base = by_name(&found, "wolfi-baselayout");
        assert_eq!(
            base.checksums,
            vec![Checksum::new(
                HashAlg::Sha1,
                "e46291d9cbac245b895b98d8401c514502bdc53b"
            )]
        );
        assert_eq!(
            base.properties["sbomkit:apk:commit"],
            "a2020bf03d408b2ef1585d7dc52c29ce88524a76"
        );
        assert_eq!(base.properties["sbomkit:apk:build-time"], "1752789152");
        assert_eq!(base.properties["sbomkit:apk:installed-size"], "123541");
        assert_eq!(base.properties["sbomkit:apk:provider-priority"], "0");
        assert_eq!(base.homepage, None); // `U:` is empty
        assert_eq!(base.originator, Actor::person("wolfi", None));

        // Ownership: every R: line, with its Z: digest.
        assert_eq!(found.owned.len(), 91);
        let group = found.owned.iter().find(|o| o.path == b"etc/group").unwrap();
        assert_eq!(group.package, "apk:wolfi-baselayout@20230201-r23");
        assert_eq!(
            group.checksums,
            vec![Checksum::new(
                HashAlg::Sha1,
                "c3b8fac9c89336635be93d39c805fe04f852b800"
            )]
        );

        // Dependencies through so: provides, plain names, versioned names; conflicts ignored.
        assert_eq!(
            deps_of(&found, "apk:libcrypto3@3.5.1-r1"),
            ["apk:glibc@2.41-r55"]
        );
        assert_eq!(
            deps_of(&found, "apk:libgcc@15.1.0-r3"),
            ["apk:glibc@2.41-r55", "apk:ld-linux@2.41-r55"]
        );
        assert_eq!(
            deps_of(&found, "apk:wolfi-base@1-r7"),
            [
                "apk:apk-tools@2.14.10-r6",
                "apk:busybox@1.37.0-r47",
                "apk:wolfi-keys@1-r12"
            ]
        );
        assert!(deps_of(&found, "apk:busybox@1.37.0-r47")
            .contains(&"apk:libcrypt1@2.41-r55".to_string()));
        // `D:merged-usrsbin` is provided by wolfi-baselayout's `p:merged-usrsbin`.
        assert!(deps_of(&found, "apk:ca-certificates-bundle@20250619-r3")
            .contains(&"apk:wolfi-baselayout@20230201-r23".to_string()));
        let glibc_deps = deps_of(&found, "apk:glibc@2.41-r55");
        assert!(glibc_deps.contains(&"apk:libgcc@15.1.0-r3".to_string()));
        assert!(!glibc_deps.contains(&"apk:glibc@2.41-r55".to_string()));
        assert_eq!(
            deps_of(&found, "apk:ld-linux@2.41-r55")[0],
            "apk:glibc@2.41-r55"
        );
    }

    #[test]
    fn without_os_release_the_namespace_is_inferred() {
        let fs = db_fs("lib/apk/db/installed", "wolfi-base.installed");
        let found = run(&ApkDb, &fs, None);
        let glibc = by_name(&found, "glibc");
        assert_eq!(
            glibc.purl.as_deref(),
            Some("pkg:apk/wolfi/glibc@2.41-r55?arch=x86_64")
        );
        assert!(glibc.cpes.is_empty());
        assert_eq!(glibc.supplier, None);
        assert_eq!(found.warnings.len(), 1);
        assert!(found.warnings[0].starts_with("/lib/apk/db/installed: no os-release"));
        assert!(found.warnings[0].contains("`wolfi`"));

        let fs = db_fs("lib/apk/db/installed", "alpine-multiple-2.installed");
        let found = run(&ApkDb, &fs, None);
        assert_eq!(
            by_name(&found, "musl").purl.as_deref(),
            Some("pkg:apk/alpine/musl@1.2.3-r0?arch=x86_64")
        );
    }

    #[test]
    fn alpine_316_under_usr_lib_found_once_through_the_lib_symlink() {
        let mut fs = db_fs("usr/lib/apk/db/installed", "alpine-3.16-base.installed");
        fs.insert(b"lib".to_vec(), link(0, "usr/lib"));
        let d = distro("alpine-3.18.os-release");
        let found = run(&ApkDb, &fs, Some(&d));
        assert_eq!(found.packages.len(), 14);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let data = by_name(&found, "alpine-baselayout-data");
        assert_eq!(data.arch.as_deref(), Some("aarch64"));
        assert_eq!(data.source_name.as_deref(), Some("alpine-baselayout"));
        assert_eq!(
            data.originator,
            Actor::person("Natanael Copa", Some("ncopa@alpinelinux.org"))
        );
        assert_eq!(
            data.purl.as_deref(),
            Some("pkg:apk/alpine/alpine-baselayout-data@3.2.0-r22?arch=aarch64&distro=alpine-3.18.4&upstream=alpine-baselayout")
        );
        assert_eq!(data.properties["sbomkit:apk:replaces"], "alpine-baselayout");
    }

    #[test]
    fn alpine_single_keeps_a_non_spdx_license_raw() {
        let fs = db_fs("lib/apk/db/installed", "alpine-single.installed");
        let d = distro("alpine-3.x.os-release");
        let found = run(&ApkDb, &fs, Some(&d));
        assert_eq!(found.packages.len(), 1);
        let p = &found.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("musl-utils", "1.1.24-r2")
        );
        assert_eq!(p.licenses.len(), 1);
        assert_eq!(p.licenses[0].raw, "MIT BSD GPL2+");
        assert_eq!(p.licenses[0].spdx, None);
        assert_eq!(
            p.originator,
            Actor::person("Timo Teräs", Some("timo.teras@iki.fi"))
        );
        assert_eq!(p.supplier, Actor::organization("Alpine Linux"));
        assert_eq!(
            p.description.as_deref(),
            Some("the musl c library (libc) implementation")
        );
        assert_eq!(p.homepage.as_deref(), Some("https://musl.libc.org/"));
        assert_eq!(
            p.cpes,
            vec!["cpe:2.3:a:alpine:musl-utils:1.1.24-r2:*:*:*:*:*:*:*"]
        );
        assert_eq!(
            p.checksums,
            vec![Checksum::new(
                HashAlg::Sha1,
                "6d3b45e79dbab444ca7cbfa59e2833203be6fb6a"
            )]
        );
        assert_eq!(p.properties["sbomkit:apk:size"], "37944");
        assert_eq!(p.properties["sbomkit:apk:installed-size"], "151552");
        assert_eq!(p.properties["sbomkit:apk:build-time"], "1584790550");
        assert_eq!(p.properties["sbomkit:apk:replaces"], "libiconv");
        // Neither scanelf nor musl is installed here: no edges to packages that are not there, only
        // the OS containing the package.
        assert_eq!(
            found.relationships,
            [Relationship::new(
                crate::catalog::os_release::os_id(&d),
                RelationshipKind::Contains,
                p.id.clone()
            )]
        );
        let paths: Vec<&[u8]> = found.owned.iter().map(|o| o.path.as_slice()).collect();
        assert_eq!(
            paths,
            [
                &b"sbin/ldconfig"[..],
                b"usr/bin/iconv",
                b"usr/bin/ldd",
                b"usr/bin/getconf",
                b"usr/bin/getent"
            ]
        );
        assert_eq!(
            found.owned[0].checksums[0].value,
            "2a36b6f8f3992b112450e66ac128c2ea499a103e"
        );
    }

    #[test]
    fn alpine_multiple_dependencies() {
        let fs = db_fs("lib/apk/db/installed", "alpine-multiple-2.installed");
        let d = distro("alpine-3.x.os-release");
        let found = run(&ApkDb, &fs, Some(&d));
        assert_eq!(found.packages.len(), 14);
        // `so:libc.musl-x86_64.so.1` → musl; `/bin/sh` → busybox; `alpine-baselayout-data=3.2.0-r22`.
        assert_eq!(
            deps_of(&found, "apk:alpine-baselayout@3.2.0-r22"),
            [
                "apk:alpine-baselayout-data@3.2.0-r22",
                "apk:busybox@1.35.0-r17",
                "apk:musl@1.2.3-r0"
            ]
        );
        // `musl>=1.2` and so: names.
        assert_eq!(
            deps_of(&found, "apk:apk-tools@2.12.9-r3"),
            [
                "apk:ca-certificates-bundle@20220614-r0",
                "apk:libcrypto1.1@1.1.1q-r0",
                "apk:libssl1.1@1.1.1q-r0",
                "apk:musl@1.2.3-r0",
                "apk:zlib@1.2.12-r3"
            ]
        );
        assert_eq!(
            deps_of(&found, "apk:libc-utils@0.7.2-r3"),
            ["apk:musl-utils@1.2.3-r0"]
        );
        assert!(deps_of(&found, "apk:musl@1.2.3-r0").is_empty());
    }

    /// Splits a database into its stanzas (each without the blank line after it).
    fn stanzas(text: &str) -> Vec<String> {
        text.split("\n\n")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    fn join(st: &[String]) -> Vec<u8> {
        let mut s = st.join("\n\n");
        s.push_str("\n\n");
        s.into_bytes()
    }

    #[test]
    fn layer_is_where_the_package_arrived_and_survived() {
        let text = String::from_utf8(fixture("apk/installed/alpine-multiple-2.installed")).unwrap();
        let all = stanzas(&text);
        assert_eq!(all.len(), 14);
        let path = "lib/apk/db/installed";
        let mut fs = Vfs::new();
        use crate::catalog::testutil::file;
        // Layer 0: the first ten packages (musl among them).
        put(&mut fs, path, file(0, &join(&all[..10])));
        // Layer 1 rewrites the database: four more packages, zlib removed.
        let mut l1: Vec<String> = all
            .iter()
            .filter(|s| !s.contains("\nP:zlib\n"))
            .cloned()
            .collect();
        put(&mut fs, path, file(1, &join(&l1)));
        // Layer 2: musl upgraded, zlib re-added.
        for s in &mut l1 {
            if s.contains("\nP:musl\n") {
                *s = s.replace("V:1.2.3-r0", "V:1.2.3-r1");
            }
        }
        l1.push(
            all.iter()
                .find(|s| s.contains("\nP:zlib\n"))
                .unwrap()
                .clone(),
        );
        put(&mut fs, path, file(2, &join(&l1)));
        // Layer 3 rewrites the file again without changing the package set.
        let mut l3 = l1.clone();
        l3.reverse();
        put(&mut fs, path, file(3, &join(&l3)));

        let found = run(&ApkDb, &fs, None);
        assert_eq!(found.packages.len(), 14);
        assert_eq!(by_name(&found, "busybox").layer, Some(0));
        assert_eq!(by_name(&found, "apk-tools").layer, Some(1)); // added by layer 1, untouched since
        assert_eq!(by_name(&found, "zlib").layer, Some(2)); // removed in 1, re-added in 2
        let musl = by_name(&found, "musl");
        assert_eq!((musl.version.as_str(), musl.layer), ("1.2.3-r1", Some(2)));

        // A whiteout of the whole database and a restore: everything comes from the restoring layer.
        fs.remove(path.as_bytes(), 4);
        put(&mut fs, path, file(5, &join(&l3)));
        let found = run(&ApkDb, &fs, None);
        assert!(found.packages.iter().all(|p| p.layer == Some(5)));
    }

    #[test]
    fn malformed_records_are_warnings_and_the_rest_is_catalogued() {
        let text = String::from_utf8(fixture("apk/installed/alpine-multiple-2.installed")).unwrap();
        let all = stanzas(&text);
        let mut parts = all[..3].to_vec();
        // A garbage line inside a stanza, a stanza without P:, and a duplicate package.
        parts[1] = parts[1].replacen("\n", "\nthis is not a field\n", 1);
        parts.push("V:1.0\nA:x86_64".to_string());
        parts.push(all[0].clone());
        let db = join(&parts);
        let text = String::from_utf8(db.clone()).unwrap();
        let garbage_line = text
            .lines()
            .position(|l| l == "this is not a field")
            .unwrap()
            + 1;
        let orphan_line = text.lines().position(|l| l == "V:1.0").unwrap() + 1;
        let first = all[0].lines().next().unwrap();
        let dup_line = text
            .lines()
            .enumerate()
            .filter(|(_, l)| *l == first)
            .nth(1)
            .unwrap()
            .0
            + 1;

        let mut fs = Vfs::new();
        put(
            &mut fs,
            "lib/apk/db/installed",
            crate::catalog::testutil::file(0, &db),
        );
        let found = run(&ApkDb, &fs, Some(&distro("alpine-3.x.os-release")));
        assert_eq!(found.packages.len(), 3);
        assert_eq!(
            found.warnings,
            vec![
                format!("/lib/apk/db/installed:{garbage_line}: not a `K:value` line, skipped"),
                format!("/lib/apk/db/installed:{orphan_line}: package stanza without P: or V:, skipped"),
                format!("/lib/apk/db/installed:{dup_line}: package alpine-baselayout-data listed again, kept once"),
            ]
        );
        assert_eq!(by_name(&found, "musl").version, "1.2.3-r0");
    }

    #[test]
    fn garbage_never_panics() {
        let mut junk = Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..20000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let b = (x >> 16) as u8;
            // Bias towards the bytes the parser cares about.
            junk.push(match b % 8 {
                0 => b'\n',
                1 => b':',
                2 => b"PVDpFRZC"[usize::from(b >> 5)],
                _ => b,
            });
        }
        let (_, _) = parse(&junk, "junk");
        let mut fs = Vfs::new();
        put(
            &mut fs,
            "lib/apk/db/installed",
            crate::catalog::testutil::file(0, &junk),
        );
        let _ = run(&ApkDb, &fs, None);
        assert_eq!(decode_digest("Q1!!!"), None);
        assert_eq!(decode_digest("Q1AAAA"), None); // wrong length
        assert_eq!(decode_digest("deadbeef"), None);
    }

    #[test]
    fn keeps_only_the_databases() {
        assert!(ApkDb.keep(b"lib/apk/db/installed", b"").is_some());
        assert!(ApkDb.keep(b"usr/lib/apk/db/installed", b"").is_some());
        assert!(ApkDb.keep(b"lib/apk/db/triggers", b"").is_none());
        assert!(ApkDb.keep(b"etc/apk/world", b"").is_none());
        assert_eq!(
            dependency_name("so:libc.musl-x86_64.so.1=1"),
            "so:libc.musl-x86_64.so.1"
        );
        assert_eq!(dependency_name("musl>=1.2"), "musl");
        assert_eq!(dependency_name("foo@edge"), "foo");
        assert_eq!(dependency_name("pc:zlib"), "pc:zlib");
    }
}
