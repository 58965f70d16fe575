//! The SPDX documents melange writes into each package it builds (`var/lib/db/sbom/NAME-VERSION.spdx.json`,
//! Wolfi and Chainguard images), cross-checked against the APK database: the document must describe
//! the package the database lists, with the same name, version and origin. A document that agrees
//! is recorded on the package as evidence (its path, SHA-256 and namespace); one that does not is a
//! warning naming both files. The packages themselves come from the database only.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Cataloger, Context, Found};
use crate::model::Package;
use crate::source::display_path;

/// Where melange puts the package's own document.
const FOLDER: &[u8] = b"var/lib/db/sbom/";

/// Largest document read; melange's are a few KiB, with every file of the package listed.
const MAX_SIZE: u64 = 16 << 20;

/// Property keys on the APK package the document describes.
pub const PROP_PATH: &str = "sbomkit:melange:sbom";
pub const PROP_SHA256: &str = "sbomkit:melange:sbom-sha256";
pub const PROP_NAMESPACE: &str = "sbomkit:melange:sbom-namespace";

fn is_document(path: &[u8]) -> bool {
    path.strip_prefix(FOLDER)
        .is_some_and(|name| !name.contains(&b'/') && name.ends_with(b".spdx.json"))
}

/// What a melange document says about the package it describes.
#[derive(Debug, PartialEq, Eq)]
pub struct Described {
    pub name: String,
    pub version: String,
    /// The melange configuration the package was built from (`unbound.yaml` → `unbound`), when the
    /// document names it (`DESCRIBED_BY`); older melange releases do not.
    pub origin: Option<String>,
    /// The commit of that configuration (the configuration package's version), which the APK
    /// database records as `c:`.
    pub commit: Option<String>,
    pub namespace: Option<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The package the document describes: its one `documentDescribes` element.
pub fn parse(content: &[u8]) -> Result<Described, String> {
    let doc: Value = serde_json::from_slice(content).map_err(|e| format!("not JSON: {e}"))?;
    if doc.get("spdxVersion").and_then(Value::as_str).is_none() {
        return Err("not an SPDX 2 document (no spdxVersion)".into());
    }
    let ids: Vec<&str> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let [id] = ids.as_slice() else {
        return Err(format!(
            "describes {} elements, not the one package it was written for",
            ids.len()
        ));
    };
    let packages = doc.get("packages").and_then(Value::as_array);
    let by_id = |want: &str| {
        packages
            .into_iter()
            .flatten()
            .find(|p| p.get("SPDXID").and_then(Value::as_str) == Some(want))
    };
    let package = by_id(id).ok_or_else(|| format!("describes {id}, which it does not list"))?;
    let name = text(package, "name").ok_or("the described package has no name")?;
    let version = text(package, "versionInfo").ok_or("the described package has no version")?;
    // `NAME.yaml` (2023) or `NAME.melange.yaml` (2026).
    let config = doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("spdxElementId").and_then(Value::as_str) == Some(id)
                && r.get("relationshipType").and_then(Value::as_str) == Some("DESCRIBED_BY")
        })
        .filter_map(|r| r.get("relatedSpdxElement").and_then(Value::as_str))
        .filter_map(by_id)
        .find_map(|p| {
            let name = text(p, "name")?;
            let stem = name.strip_suffix(".yaml")?;
            let origin = stem.strip_suffix(".melange").unwrap_or(stem).to_string();
            let commit = text(p, "versionInfo")
                .filter(|v| v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()));
            Some((origin, commit))
        });
    let (origin, commit) = config.map_or((None, None), |(o, c)| (Some(o), c));
    Ok(Described {
        name,
        version,
        origin,
        commit,
        namespace: text(&doc, "documentNamespace"),
    })
}

/// Cross-checks melange's per-package documents against the APK packages found before.
pub struct MelangeSboms;

impl Cataloger for MelangeSboms {
    fn name(&self) -> &'static str {
        "melange-sbom"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        is_document(path).then_some(MAX_SIZE)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let mut found = Found::default();
        let apk: Vec<&Package> = cx
            .packages
            .iter()
            .filter(|p| p.kind == super::apk::KIND && p.removed_in.is_none())
            .collect();
        for (path, node) in cx.fs.iter() {
            if !node.is_file() || !is_document(path) {
                continue;
            }
            let file = display_path(path);
            let Some(content) = node.content.as_deref() else {
                found.warnings.push(format!(
                    "{file}: {} bytes, larger than the {MAX_SIZE} read for a melange SBOM: not cross-checked",
                    node.size
                ));
                continue;
            };
            let doc = match parse(content) {
                Ok(d) => d,
                Err(why) => {
                    found
                        .warnings
                        .push(format!("{file}: melange SBOM not cross-checked: {why}"));
                    continue;
                }
            };
            let Some(package) = apk.iter().find(|p| p.name == doc.name) else {
                found.warnings.push(format!(
                    "{file}: melange SBOM of {} {}, a package the APK database does not list",
                    doc.name, doc.version
                ));
                continue;
            };
            let db = package
                .evidence
                .first()
                .map_or("the APK database", String::as_str);
            let mut disagree = Vec::new();
            if package.version != doc.version {
                disagree.push(format!(
                    "version {} (database: {})",
                    doc.version, package.version
                ));
            }
            if let (Some(origin), Some(db_origin)) = (&doc.origin, &package.source_name) {
                if origin != db_origin {
                    disagree.push(format!("origin {origin} (database: {db_origin})"));
                }
            }
            if let (Some(commit), Some(db_commit)) =
                (&doc.commit, package.properties.get("sbomkit:apk:commit"))
            {
                if !commit.eq_ignore_ascii_case(db_commit) {
                    disagree.push(format!("commit {commit} (database: {db_commit})"));
                }
            }
            if !disagree.is_empty() {
                found.warnings.push(format!(
                    "{file} disagrees with {db} on package {}: {}",
                    doc.name,
                    disagree.join(", ")
                ));
                continue;
            }
            let sha256 = hex::encode(Sha256::digest(content));
            let mut record = |key: &str, value: String| {
                found
                    .package_properties
                    .push((package.id.clone(), key.to_string(), value))
            };
            record(PROP_PATH, file);
            record(PROP_SHA256, sha256);
            if let Some(ns) = doc.namespace {
                record(PROP_NAMESPACE, ns);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNBOUND_LIBS: &[u8] = include_bytes!(
        "../../testdata/fixtures/apk/melange-sboms/unbound-libs-1.23.0-r0.spdx.json"
    );
    const LIBATTR1: &[u8] =
        include_bytes!("../../testdata/fixtures/apk/melange-sboms/libattr1-2.5.1-r2.spdx.json");

    #[test]
    fn reads_name_version_origin_and_namespace() {
        let d = parse(UNBOUND_LIBS).unwrap();
        assert_eq!(d.name, "unbound-libs");
        assert_eq!(d.version, "1.23.0-r0");
        assert_eq!(d.origin.as_deref(), Some("unbound"));
        assert_eq!(
            d.commit.as_deref(),
            Some("23e8ff8479b39f3f2e97fdca28d814f0c434c39b")
        );
        assert_eq!(
            d.namespace.as_deref(),
            Some("https://spdx.org/spdxdocs/chainguard/melange/6107945343eac5611a87a2eb5a482b79")
        );
        // Older melange names no configuration: the origin is not known.
        let d = parse(LIBATTR1).unwrap();
        assert_eq!((d.name.as_str(), d.origin), ("libattr1", None));
    }

    #[test]
    fn refuses_what_is_not_one_described_package() {
        for (bad, why) in [
            (&b"{"[..], "not JSON"),
            (b"[]", "no spdxVersion"),
            (br#"{"spdxVersion":"SPDX-2.3"}"#, "describes 0 elements"),
            (
                br#"{"spdxVersion":"SPDX-2.3","documentDescribes":["a","b"]}"#,
                "describes 2 elements",
            ),
            (
                br#"{"spdxVersion":"SPDX-2.3","documentDescribes":["a"],"packages":[]}"#,
                "does not list",
            ),
            (
                br#"{"spdxVersion":"SPDX-2.3","documentDescribes":["a"],"packages":[{"SPDXID":"a","name":"x"}]}"#,
                "no version",
            ),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
        // Deep nesting is an error of the JSON reader, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(deep.as_bytes()).unwrap_err().contains("not JSON"));
    }

    #[test]
    fn only_documents_directly_in_the_folder() {
        assert!(is_document(b"var/lib/db/sbom/x-1-r0.spdx.json"));
        assert!(!is_document(b"var/lib/db/sbom/sub/x-1-r0.spdx.json"));
        assert!(!is_document(b"var/lib/db/sbom/x-1-r0.json"));
        assert!(!is_document(b"usr/var/lib/db/sbom/x.spdx.json"));
    }
}
