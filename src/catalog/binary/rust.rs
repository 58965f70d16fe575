//! Rust dependency data embedded by `cargo auditable` in `.dep-v0` (zlib-compressed JSON).
//!
//! The JSON is `{"packages": [{"name", "version", "source", "kind"?, "dependencies"?, "root"?}]}`
//! (`schemas/cargo-auditable/cargo-auditable.schema.json`), where `dependencies` are indices into
//! `packages`. Safe on untrusted input: the section must lie inside the file, decompression stops
//! past [`MAX_DECOMPRESSED`] bytes, and the graph is validated (one root, indices in range, no
//! cycles) before anyone walks it.

use std::io::Read;

use serde::Deserialize;

/// Where a crate came from, as cargo-auditable records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, Deserialize)]
pub enum CrateSource {
    CratesIo,
    Git,
    Local,
    Registry,
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, Deserialize)]
pub enum CrateKind {
    Runtime,
    Build,
}

/// One crate of the dependency tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Crate {
    pub name: String,
    pub version: String,
    pub source: CrateSource,
    pub kind: CrateKind,
    /// Indices into [`AuditInfo::crates`].
    pub dependencies: Vec<usize>,
    pub root: bool,
}

/// The validated dependency tree of one binary: exactly one root, indices in range, no cycles.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct AuditInfo {
    pub crates: Vec<Crate>,
}

impl AuditInfo {
    /// The root crate (the binary's own package); validation guarantees there is one.
    pub fn root(&self) -> Option<&Crate> {
        self.crates.iter().find(|c| c.root)
    }
}

/// Largest decompressed JSON accepted, as cargo-auditable's own reader recommends.
pub const MAX_DECOMPRESSED: u64 = 8 * 1024 * 1024;

const SECTION: &str = ".dep-v0";

/// Reads the cargo-auditable data of a binary. `Ok(None)` when there is none.
pub fn read(elf: &goblin::elf::Elf<'_>, bytes: &[u8]) -> Result<Option<AuditInfo>, String> {
    let Some(sh) = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(SECTION))
    else {
        return Ok(None);
    };
    let compressed = usize::try_from(sh.sh_offset)
        .ok()
        .zip(usize::try_from(sh.sh_size).ok())
        .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
        .ok_or_else(|| {
            format!(
                "{SECTION} section (offset {:#x}, size {:#x}) lies outside the file",
                sh.sh_offset, sh.sh_size
            )
        })?;
    let json = decompress(compressed, MAX_DECOMPRESSED)
        .map_err(|e| format!("{SECTION} section at offset {:#x}: {e}", sh.sh_offset))?;
    parse_json(&json)
        .map(Some)
        .map_err(|e| format!("{SECTION} section at offset {:#x}: {e}", sh.sh_offset))
}

/// Inflates zlib data, failing rather than producing more than `limit` bytes.
fn decompress(data: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    // One byte past the limit tells an exact fit from an overflow.
    flate2::read::ZlibDecoder::new(data)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("zlib: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "decompressed audit data exceeds {limit} bytes; refusing to read more"
        ));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawInfo {
    packages: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: RawSource,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// `"crates.io"`-style strings as written, or the `{"Other": ".."}` object the schema also allows.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Text(String),
    Other {
        #[serde(rename = "Other")]
        other: String,
    },
}

fn source_of(raw: RawSource) -> CrateSource {
    match raw {
        RawSource::Text(s) => match s.as_str() {
            "crates.io" | "CratesIo" => CrateSource::CratesIo,
            "git" | "Git" => CrateSource::Git,
            "local" | "Local" => CrateSource::Local,
            "registry" | "Registry" => CrateSource::Registry,
            _ => CrateSource::Other(s),
        },
        RawSource::Other { other } => CrateSource::Other(other),
    }
}

/// Parses and validates the decompressed JSON.
pub fn parse_json(json: &[u8]) -> Result<AuditInfo, String> {
    let raw: RawInfo = serde_json::from_slice(json).map_err(|e| format!("JSON: {e}"))?;
    let count = raw.packages.len();
    let mut crates = Vec::with_capacity(count);
    for (i, p) in raw.packages.into_iter().enumerate() {
        let kind = match p.kind.as_deref() {
            None | Some("runtime") => CrateKind::Runtime,
            Some("build") => CrateKind::Build,
            Some(other) => return Err(format!("package {i} ({}): unknown kind {other:?}", p.name)),
        };
        if let Some(&bad) = p.dependencies.iter().find(|&&d| d >= count) {
            return Err(format!(
                "package {i} ({}): dependency index {bad} out of range (there are {count} packages)",
                p.name
            ));
        }
        crates.push(Crate {
            name: p.name,
            version: p.version,
            source: source_of(p.source),
            kind,
            dependencies: p.dependencies,
            root: p.root,
        });
    }
    let roots: Vec<usize> = (0..count).filter(|&i| crates[i].root).collect();
    if roots.len() != 1 {
        return Err(format!(
            "expected exactly one root package, found {}",
            roots.len()
        ));
    }
    if let Some(at) = find_cycle(&crates) {
        return Err(format!(
            "dependency cycle through package {at} ({})",
            crates[at].name
        ));
    }
    Ok(AuditInfo { crates })
}

/// A package on a dependency cycle, found by an iterative depth-first search (no recursion, so a
/// deep hostile graph cannot overflow the stack). Indices are already checked to be in range.
fn find_cycle(crates: &[Crate]) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; crates.len()];
    for start in 0..crates.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // (node, next dependency position to visit)
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::Open;
        while let Some(top) = stack.last_mut() {
            let (node, pos) = *top;
            match crates[node].dependencies.get(pos) {
                Some(&dep) => {
                    top.1 += 1;
                    match mark[dep] {
                        Mark::Open => return Some(dep),
                        Mark::New => {
                            mark[dep] = Mark::Open;
                            stack.push((dep, 0));
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    mark[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::catalog::testutil::testdata;

    fn read_file(rel: &str) -> Result<Option<AuditInfo>, String> {
        let bytes = std::fs::read(testdata(rel)).unwrap();
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        read(&elf, &bytes)
    }

    /// The crates as the extracted JSON lists them, read with plain `serde_json::Value`.
    fn expected(rel: &str) -> Vec<(String, String, String, String, Vec<usize>, bool)> {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(testdata(rel)).unwrap()).unwrap();
        let text = |v: &serde_json::Value| v.as_str().unwrap().to_string();
        json["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    text(&p["name"]),
                    text(&p["version"]),
                    text(&p["source"]),
                    p.get("kind").map(text).unwrap_or_else(|| "runtime".into()),
                    p.get("dependencies")
                        .map(|d| {
                            d.as_array()
                                .unwrap()
                                .iter()
                                .map(|i| i.as_u64().unwrap() as usize)
                                .collect()
                        })
                        .unwrap_or_default(),
                    p.get("root").and_then(|r| r.as_bool()).unwrap_or(false),
                )
            })
            .collect()
    }

    fn as_expected(info: &AuditInfo) -> Vec<(String, String, String, String, Vec<usize>, bool)> {
        info.crates
            .iter()
            .map(|c| {
                let source = match &c.source {
                    CrateSource::CratesIo => "crates.io".to_string(),
                    CrateSource::Git => "git".to_string(),
                    CrateSource::Local => "local".to_string(),
                    CrateSource::Registry => "registry".to_string(),
                    CrateSource::Other(s) => s.clone(),
                };
                let kind = match c.kind {
                    CrateKind::Runtime => "runtime",
                    CrateKind::Build => "build",
                };
                (
                    c.name.clone(),
                    c.version.clone(),
                    source,
                    kind.to_string(),
                    c.dependencies.clone(),
                    c.root,
                )
            })
            .collect()
    }

    #[test]
    fn fixtures_match_the_extracted_json() {
        for (bin, json) in [
            (
                "fixtures/elf/rust/binary-with-audit-info",
                "binaries/expected/binary-with-audit-info.dep-v0.json",
            ),
            (
                "fixtures/elf/rust/binary-with-vuln",
                "binaries/expected/binary-with-vuln.dep-v0.json",
            ),
            ("binaries/rust-hello", "binaries/rust-hello.dep-v0.json"),
        ] {
            let info = read_file(bin).unwrap().expect("audit data");
            assert_eq!(as_expected(&info), expected(json), "{bin}");
        }
    }

    #[test]
    fn vulnerable_binary_depends_on_the_example_crate() {
        let info = read_file("fixtures/elf/rust/binary-with-vuln")
            .unwrap()
            .unwrap();
        let root = info.root().unwrap();
        assert_eq!(
            (root.name.as_str(), root.version.as_str()),
            ("vulnerable-binary", "0.1.0")
        );
        assert_eq!(root.source, CrateSource::Local);
        let dep = &info.crates[root.dependencies[0]];
        assert_eq!(
            (
                dep.name.as_str(),
                dep.version.as_str(),
                &dep.source,
                dep.kind
            ),
            (
                "rustsec-example-crate",
                "0.0.1",
                &CrateSource::CratesIo,
                CrateKind::Runtime
            )
        );
    }

    #[test]
    fn build_kind_and_local_source() {
        let info = read_file("binaries/rust-hello").unwrap().unwrap();
        let by_name = |n: &str| info.crates.iter().find(|c| c.name == n).unwrap();
        assert_eq!(by_name("autocfg").kind, CrateKind::Build);
        assert_eq!(by_name("itoa").kind, CrateKind::Runtime);
        assert_eq!(by_name("greet").source, CrateSource::Local);
        assert_eq!(info.root().unwrap().name, "rust-hello");
    }

    #[test]
    fn binaries_without_audit_data_are_none() {
        for rel in [
            "fixtures/elf/rust/binary-without-audit-info",
            "binaries/go-hello",
            "binaries/go-hello-noshdr",
        ] {
            assert_eq!(read_file(rel), Ok(None), "{rel}");
        }
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn garbage_section_is_an_error() {
        let original = std::fs::read(testdata("binaries/rust-hello")).unwrap();
        let elf = goblin::elf::Elf::parse(&original).unwrap();
        let sh = elf
            .section_headers
            .iter()
            .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(SECTION))
            .unwrap();
        let (start, len) = (sh.sh_offset as usize, sh.sh_size as usize);
        let mut bytes = original.clone();
        bytes[start..start + len].fill(0xa5);
        let err = read(&elf, &bytes).unwrap_err();
        assert!(err.contains("zlib") && err.contains(".dep-v0"), "{err}");
        // Cut inside the section, and every single-byte corruption of it: errors, never panics.
        assert!(read(&elf, &original[..start + len / 2]).is_err());
        let mut copy = original.clone();
        for i in start..start + len {
            copy[i] ^= 0x41;
            let _ = read(&elf, &copy);
            copy[i] ^= 0x41;
        }
    }

    #[test]
    fn decompression_is_capped() {
        let bomb = zlib(&vec![b' '; (MAX_DECOMPRESSED + 1) as usize]);
        assert!(bomb.len() < 64 * 1024);
        let err = decompress(&bomb, MAX_DECOMPRESSED).unwrap_err();
        assert!(err.contains("exceeds"), "{err}");
        // Exactly at the limit is fine.
        let exact = zlib(&[b'x'; 100]);
        assert_eq!(decompress(&exact, 100).unwrap().len(), 100);
        assert!(decompress(&exact, 99).is_err());
    }

    #[test]
    fn invalid_graphs_are_rejected() {
        let pkg = |name: &str, deps: &str, root: bool| {
            format!(
                r#"{{"name":"{name}","version":"1.0.0","source":"crates.io","dependencies":[{deps}],"root":{root}}}"#
            )
        };
        let doc = |pkgs: &[String]| format!(r#"{{"packages":[{}]}}"#, pkgs.join(","));
        let cases = [
            (doc(&[pkg("a", "1", true), pkg("b", "0", false)]), "cycle"),
            (doc(&[pkg("a", "0", true)]), "cycle"),
            (doc(&[pkg("a", "1", true), pkg("b", "2", false), pkg("c", "1", false)]), "cycle"),
            (doc(&[pkg("a", "", true), pkg("b", "", true)]), "exactly one root"),
            (doc(&[pkg("a", "", false)]), "exactly one root"),
            (doc(&[]), "exactly one root"),
            (doc(&[pkg("a", "5", true)]), "out of range"),
            (doc(&[pkg("a", "-1", true)]), "JSON"),
            (r#"{"packages":[{"name":"a","version":"1","source":"local","root":true,"kind":"dev"}]}"#.to_string(), "unknown kind"),
            ("[]".to_string(), "JSON"),
            ("not json".to_string(), "JSON"),
            ("[".repeat(100_000), "JSON"),
        ];
        for (json, want) in cases {
            let err = parse_json(json.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{json:.80}: {err}");
        }
        // A diamond is not a cycle.
        let ok = doc(&[
            pkg("a", "1,2", true),
            pkg("b", "3", false),
            pkg("c", "3", false),
            pkg("d", "", false),
        ]);
        assert_eq!(parse_json(ok.as_bytes()).unwrap().crates.len(), 4);
    }

    #[test]
    fn sources_map_to_their_kinds() {
        let json = r#"{"packages":[
            {"name":"r","version":"1","source":"local","root":true,"dependencies":[1,2,3,4]},
            {"name":"g","version":"1","source":"git"},
            {"name":"y","version":"1","source":"registry","kind":"build"},
            {"name":"o","version":"1","source":"hg"},
            {"name":"p","version":"1","source":{"Other":"svn"}}]}"#;
        let info = parse_json(json.as_bytes()).unwrap();
        let sources: Vec<_> = info.crates.iter().map(|c| c.source.clone()).collect();
        assert_eq!(
            sources,
            vec![
                CrateSource::Local,
                CrateSource::Git,
                CrateSource::Registry,
                CrateSource::Other("hg".into()),
                CrateSource::Other("svn".into()),
            ]
        );
        assert_eq!(info.crates[2].kind, CrateKind::Build);
    }
}
