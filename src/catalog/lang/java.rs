//! Java archives (`.jar`, `.war`, `.ear`, Jenkins' `.hpi`/`.jpi`): the archive's own identity, from
//! its file name, `META-INF/MANIFEST.MF` and the `pom.properties` that names it, and every other
//! Maven artifact it records under `META-INF/maven/GROUP/ARTIFACT/pom.properties` (an uber-jar
//! records those it bundles). The jars a web application or a Spring Boot jar carries
//! (`WEB-INF/lib/*.jar`, `WEB-INF/lib-provided/*.jar`, `BOOT-INF/lib/*.jar`) are read the same way,
//! one level deep and within size limits, and become parts of the outer archive's package.

use std::io::{Cursor, Read as _};

use super::{Manifest, Packages};
use crate::catalog::{Cataloger, Context, Found};
use crate::model::{FileForm, PackageKind, Purpose, Technique};
use crate::purl::{Purl, PurlString, PurlType};
use crate::source::Summary;

/// A Java archive, or a Maven artifact it bundles.
pub const KIND: PackageKind = PackageKind {
    name: "java",
    purl_type: Some("maven"),
    purpose: Purpose::Library,
    technique: Some(Technique::ManifestAnalysis),
    purl_is_evidence: true,
    file: Some(FileForm::Archive),
};

pub struct JavaArchives;

impl Cataloger for JavaArchives {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn inspects(&self, path: &[u8], head: &[u8]) -> bool {
        is_archive(path, head)
    }

    fn inspect(&self, path: &[u8], content: &[u8]) -> Option<Summary> {
        let read: Packages = parse(path, content);
        Some(std::sync::Arc::new(read))
    }

    fn codec(&self) -> Option<&dyn crate::catalog::SummaryCodec> {
        const CODEC: crate::catalog::Json<Packages> = crate::catalog::Json::version(1);
        Some(&CODEC)
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        super::catalog(cx, KIND, self.name())
    }
}

const EXTENSIONS: [&[u8]; 5] = [b".jar", b".war", b".ear", b".hpi", b".jpi"];
/// Largest manifest or `pom.properties` read; real ones are a few KiB.
const MAX_TEXT: u64 = 1 << 20;
/// Most `pom.properties` read from one archive.
const MAX_POMS: usize = 512;
/// Where web applications and Spring Boot jars keep the jars they carry.
const NESTED_DIRS: [&str; 3] = ["WEB-INF/lib/", "WEB-INF/lib-provided/", "BOOT-INF/lib/"];
/// Most nested jars read from one archive, the largest one read (uncompressed, checked while
/// reading, not taken from the header) and all of them together: a zip bomb stops at these.
const MAX_NESTED: usize = 1024;
const MAX_NESTED_BYTES: u64 = 64 << 20;
const MAX_NESTED_TOTAL: u64 = 512 << 20;

pub fn is_archive(path: &[u8], head: &[u8]) -> bool {
    let lower = path.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e)) && head.starts_with(b"PK")
}

/// `Key: Value` lines of the main section, continuation lines (a leading space) joined.
fn manifest_fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

/// `key=value` lines of a Java properties file (comments and blank lines skipped).
fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', '!']))
        .filter_map(|l| {
            let (k, v) = l.split_once(['=', ':'])?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// `name-1.2.3` → (`name`, `1.2.3`): the version is the first `-` part that starts with a digit.
fn split_file_name(stem: &str) -> (String, Option<String>) {
    let mut at = 0;
    for (i, _) in stem.match_indices('-') {
        if stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            at = i;
            break;
        }
    }
    if at == 0 {
        (stem.to_string(), None)
    } else {
        (stem[..at].to_string(), Some(stem[at + 1..].to_string()))
    }
}

struct Pom {
    group: String,
    artifact: String,
    version: String,
}

fn maven(group: &str, artifact: &str, version: &str) -> PurlString {
    let mut p = Purl::new(PurlType::MAVEN, artifact).with_namespace(group);
    if !version.is_empty() {
        p = p.with_version(version);
    }
    p.into()
}

/// Reads one archive: its own package first, then the artifacts it bundles, then for each jar
/// it carries (see [`NESTED_DIRS`]) that jar's package and artifacts, marked with
/// `sbomkit:java:nested-path`. A carried jar that cannot be read is named in the outer package's
/// `sbomkit:java:nested-unread`.
pub fn parse(path: &[u8], content: &[u8]) -> Result<Vec<Manifest>, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(content))
        .map_err(|e| format!("not a readable Java archive: {e}"))?;
    let mut out = read_one(path, &mut zip);
    let nested: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| {
            NESTED_DIRS.iter().any(|d| {
                n.strip_prefix(d).is_some_and(|rest| {
                    !rest.contains('/') && rest.to_ascii_lowercase().ends_with(".jar")
                })
            })
        })
        .map(|n| n.into_owned())
        .collect();
    let mut names: Vec<String> = nested.into_iter().take(MAX_NESTED + 1).collect();
    names.sort();
    let mut unread = Vec::new();
    if names.len() > MAX_NESTED {
        names.truncate(MAX_NESTED);
        unread.push(format!("more than {MAX_NESTED} jars, the rest"));
    }
    let mut budget = MAX_NESTED_TOTAL;
    let mut seen: std::collections::BTreeSet<(String, String)> = out
        .iter()
        .skip(1)
        .map(|m| (m.name.clone(), m.version.clone()))
        .collect();
    for name in names {
        let limit = MAX_NESTED_BYTES.min(budget);
        let mut bytes = Vec::new();
        let read = zip.by_name(&name).map_err(|e| e.to_string()).and_then(|f| {
            f.take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())
        });
        let why = match read {
            Err(e) => Some(e),
            Ok(n) if n as u64 > limit => {
                Some(format!("larger than the {limit} bytes left to read"))
            }
            Ok(n) => {
                budget -= n as u64;
                match zip::ZipArchive::new(Cursor::new(bytes.as_slice())) {
                    Err(e) => Some(format!("not a readable Java archive: {e}")),
                    Ok(mut inner) => {
                        for mut m in read_one(name.as_bytes(), &mut inner) {
                            // One package per name and version under the outer archive.
                            if seen.insert((m.name.clone(), m.version.clone())) {
                                m.properties
                                    .insert("sbomkit:java:nested-path".into(), name.clone());
                                out.push(m);
                            }
                        }
                        None
                    }
                }
            }
        };
        if let Some(why) = why {
            unread.push(format!("{name} ({why})"));
        }
    }
    if !unread.is_empty() {
        out[0]
            .properties
            .insert("sbomkit:java:nested-unread".into(), unread.join("; "));
    }
    Ok(out)
}

/// The packages one opened archive names: its own first, then the artifacts it bundles.
fn read_one<R: std::io::Read + std::io::Seek>(
    path: &[u8],
    zip: &mut zip::ZipArchive<R>,
) -> Vec<Manifest> {
    let mut text = |name: &str| -> Option<String> {
        let f = zip.by_name(name).ok()?;
        let mut buf = Vec::new();
        f.take(MAX_TEXT).read_to_end(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    };
    let fields = text("META-INF/MANIFEST.MF")
        .map(|t| manifest_fields(&t))
        .unwrap_or_default();
    let pom_names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("META-INF/maven/") && n.ends_with("/pom.properties"))
        .take(MAX_POMS)
        .map(|n| n.into_owned())
        .collect();
    let mut poms = Vec::new();
    for n in pom_names {
        let Some(t) = zip.by_name(&n).ok().and_then(|f| {
            let mut buf = Vec::new();
            f.take(MAX_TEXT).read_to_end(&mut buf).ok()?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        }) else {
            continue;
        };
        let p = properties(&t);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if let (Some(group), Some(artifact)) = (get("groupId"), get("artifactId")) {
            poms.push(Pom {
                group,
                artifact,
                version: get("version").unwrap_or_default(),
            });
        }
    }
    poms.sort_by(|a, b| (&a.group, &a.artifact).cmp(&(&b.group, &b.artifact)));

    let file = String::from_utf8_lossy(path.rsplit(|&b| b == b'/').next().unwrap_or(path));
    let stem = file.rsplit_once('.').map_or(file.as_ref(), |(s, _)| s);
    let (file_name, file_version) = split_file_name(stem);
    let field = |k: &str| {
        fields
            .iter()
            .find(|(key, v)| key == k && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    // The pom.properties naming this archive, if one does.
    let own = poms.iter().position(|p| p.artifact == file_name);
    let mut out = Vec::new();
    let mut me = Manifest {
        name: file_name.clone(),
        description: field("implementation-title").or_else(|| field("bundle-name")),
        homepage: field("bundle-docurl"),
        ..Manifest::default()
    };
    match own.map(|i| poms.remove(i)) {
        Some(p) => {
            me.name = p.artifact.clone();
            me.version = p.version.clone();
            me.purl = Some(maven(&p.group, &p.artifact, &p.version));
            me.properties
                .insert("sbomkit:java:identity".into(), "pom.properties".into());
        }
        None => {
            me.version = file_version
                .or_else(|| field("implementation-version"))
                .or_else(|| field("bundle-version"))
                .or_else(|| field("specification-version"))
                .unwrap_or_default();
            // A purl needs the group id: only the manifest's own word for it is taken.
            if let Some(group) = field("implementation-vendor-id") {
                me.purl = Some(maven(&group, &me.name, &me.version));
            }
            me.properties
                .insert("sbomkit:java:identity".into(), "manifest".into());
        }
    }
    if let Some(l) = field("bundle-license") {
        me.licenses.push(l);
    }
    out.push(me);
    for p in poms {
        out.push(Manifest {
            purl: Some(maven(&p.group, &p.artifact, &p.version)),
            name: p.artifact,
            version: p.version,
            properties: [(
                "sbomkit:java:identity".to_string(),
                "pom.properties".to_string(),
            )]
            .into_iter()
            .collect(),
            ..Manifest::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn jar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn identity_from_pom_properties_and_bundled_artifacts() {
        let bytes = jar(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: Commons\r\n Lang\r\n\r\nName: x\r\n"),
            ("META-INF/maven/org.apache.commons/commons-lang3/pom.properties", b"#Generated\ngroupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.12.0\n"),
            ("META-INF/maven/com.google.guava/guava/pom.properties", b"version=31.1-jre\ngroupId=com.google.guava\nartifactId=guava\n"),
        ]);
        let m = parse(b"app/lib/commons-lang3-3.12.0.jar", &bytes).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0].purl.as_deref(),
            Some("pkg:maven/org.apache.commons/commons-lang3@3.12.0")
        );
        assert_eq!(m[0].description.as_deref(), Some("CommonsLang"));
        assert_eq!(
            m[1].purl.as_deref(),
            Some("pkg:maven/com.google.guava/guava@31.1-jre")
        );
    }

    #[test]
    fn identity_from_file_name_and_manifest() {
        let bytes = jar(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Version: 17.0.19\n",
        )]);
        let m = parse(b"usr/lib/jvm/java-17-openjdk-amd64/lib/jrt-fs.jar", &bytes).unwrap();
        assert_eq!(
            (m[0].name.as_str(), m[0].version.as_str()),
            ("jrt-fs", "17.0.19")
        );
        assert_eq!(m[0].purl, None, "no group id, no purl");
        let bytes = jar(&[("a.txt", b"x")]);
        let m = parse(b"x/ca-certificates-java.jar", &bytes).unwrap();
        assert_eq!(
            (m[0].name.as_str(), m[0].version.as_str()),
            ("ca-certificates-java", "")
        );
        assert_eq!(
            split_file_name("spring-boot-3.1.0-SNAPSHOT"),
            ("spring-boot".into(), Some("3.1.0-SNAPSHOT".into()))
        );
    }

    fn deflated(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, o).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A WAR carrying Debian's jrt-fs.jar and a jar naming itself by pom.properties; a
    /// decompression bomb and a broken jar beside them are named, not read.
    #[test]
    fn jars_a_web_application_carries_are_parts_of_it() {
        let jrt = include_bytes!("../../../testdata/lang/jrt-fs.jar");
        let lang3 = jar(&[(
            "META-INF/maven/org.apache.commons/commons-lang3/pom.properties",
            b"groupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.12.0\n",
        )]);
        let war = deflated(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("WEB-INF/web.xml", b"<web-app/>"),
            ("WEB-INF/lib/jrt-fs.jar", jrt),
            ("WEB-INF/lib/commons-lang3-3.12.0.jar", &lang3),
            ("WEB-INF/lib/broken.jar", b"PK\x03\x04 no"),
            ("WEB-INF/lib/sub/deeper.jar", &lang3),
            (
                "WEB-INF/lib/huge.jar",
                &vec![0u8; (MAX_NESTED_BYTES + 1) as usize],
            ),
        ]);
        assert!(
            war.len() < MAX_NESTED_BYTES as usize / 100,
            "the bomb is small"
        );
        let m = parse(b"srv/app-1.0.war", &war).unwrap();
        let got: Vec<(&str, &str, Option<&str>, Option<&str>)> = m
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.version.as_str(),
                    m.purl.as_deref(),
                    m.properties
                        .get("sbomkit:java:nested-path")
                        .map(String::as_str),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("app", "1.0", None, None),
                (
                    "commons-lang3",
                    "3.12.0",
                    Some("pkg:maven/org.apache.commons/commons-lang3@3.12.0"),
                    Some("WEB-INF/lib/commons-lang3-3.12.0.jar")
                ),
                ("jrt-fs", "17.0.19", None, Some("WEB-INF/lib/jrt-fs.jar")),
            ]
        );
        let unread = &m[0].properties["sbomkit:java:nested-unread"];
        assert!(
            unread.starts_with("WEB-INF/lib/broken.jar (not a readable Java archive")
                && unread.contains(&format!(
                    "WEB-INF/lib/huge.jar (larger than the {MAX_NESTED_BYTES} bytes left to read)"
                )),
            "{unread}"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"a.jar", b"PK\x03\x04garbage").is_err());
        assert!(is_archive(b"opt/App.JAR", b"PK\x03\x04"));
        assert!(!is_archive(b"opt/app.jar", b"#!/bin/sh"));
    }
}
