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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrateSource {
    CratesIo,
    Git,
    Local,
    Registry,
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrateKind {
    Runtime,
    Build,
}

/// One crate of the dependency tree.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
