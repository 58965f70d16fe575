//! Image layouts: `docker save` archives (manifest.json) and OCI image layouts (index.json), read
//! from a streamed archive or from a folder. Both end in the same place: the chosen manifest's
//! layers, checked against their digests and diff_ids, applied in order onto a [`Vfs`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::archive::{self, Blob, Contents};
use super::layer::{self, read_layer, LayerRecord, ReadCx};
use super::stream::{digest_string, in_parallel, parse_digest, ProgressReader};
use super::vfs::{normalize, Vfs};
use super::{Progress, Scanned, SourceError, SourceOptions};
use crate::model::{
    Identity, IdentityRole, ImageIndex, IndexImage, Layer, Platform, Subject, SubjectKind,
};

const MAX_INDEX_DEPTH: usize = 8;

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const MANIFEST_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Layer media types this reader understands. The compression is read from the blob's first bytes.
const LAYER_TYPES: [&str; 11] = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
];

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

#[derive(Debug, Deserialize)]
struct DockerManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct ImageConfig {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    rootfs: Option<RootFs>,
}

#[derive(Debug, Deserialize, Default)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Debug, Deserialize, Clone, Default)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Clone, Default)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(rename = "os.version", default)]
    os_version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Index {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Probe for what a manifest-or-index blob without a descriptor media type is.
#[derive(Debug, Deserialize)]
struct Probe {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
}

fn parse<'a, T: Deserialize<'a>>(
    file: &str,
    name: &str,
    bytes: &'a [u8],
) -> Result<T, SourceError> {
    serde_json::from_slice(bytes).map_err(|e| SourceError::Invalid {
        path: file.to_string(),
        message: format!("{name}: invalid JSON: {e}"),
    })
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Where the blobs of an OCI layout come from: a streamed archive or a folder.
pub trait Blobs {
    fn file(&self) -> &str;
    fn has(&self, name: &str) -> bool;
    fn json(&mut self, name: &str) -> Result<Vec<u8>, SourceError>;
    fn layer(&mut self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError>;
    /// A manifest or index by blob name: a layout stores them as blobs, a registry serves them apart.
    fn manifest_json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        self.json(name)
    }
    /// The chosen layers' blob names and sizes as the manifest gives them.
    fn layer_sizes(&mut self, _sizes: &[(String, u64)]) {}
    /// The chosen layers' blob names and the diff_ids the config gives them.
    fn layer_diff_ids(&mut self, _diff_ids: &[(String, [u8; 32])]) {}
    /// Called once the layers to read are known, with their stored sizes.
    fn will_read(&mut self, _total: u64) {}
    /// Called with the layers' names and labels before they are asked for one by one: blobs that
    /// can be read side by side are read now.
    fn prefetch(&mut self, _layers: &[(String, String)]) {}
    fn done(&mut self) {}
}

/// Blobs of a streamed archive.
pub struct ArchiveBlobs<'c> {
    pub file: String,
    pub contents: &'c mut Contents,
}

impl Blobs for ArchiveBlobs<'_> {
    fn file(&self) -> &str {
        &self.file
    }
    fn has(&self, name: &str) -> bool {
        self.contents.has(name)
    }
    fn json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        archive::json(self.contents, &self.file, name).map(|b| b.to_vec())
    }
    fn layer(&mut self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError> {
        let key = normalize(name.as_bytes());
        match self.contents.entries.get_mut(key.as_slice()) {
            None => Err(SourceError::invalid(
                &self.file,
                format!("layer {label}: missing blob {name}"),
            )),
            Some(stored) => match &mut stored.blob {
                Blob::Layer(Ok(rec)) => Ok(rec.clone()),
                Blob::Layer(Err(_)) => match std::mem::replace(&mut stored.blob, Blob::Other) {
                    // Read before the manifest said which layer it is: name it by position now.
                    Blob::Layer(Err(SourceError::Invalid { path, message })) => {
                        let prefix = format!("layer {}: ", super::vfs::display_path(&key));
                        let rest = message.strip_prefix(&prefix).unwrap_or(&message);
                        Err(SourceError::Invalid {
                            path,
                            message: format!("layer {label}: {rest}"),
                        })
                    }
                    Blob::Layer(Err(e)) => Err(e),
                    _ => Err(SourceError::invalid(
                        &self.file,
                        format!("layer {label}: unreadable"),
                    )),
                },
                _ => Err(SourceError::invalid(
                    &self.file,
                    format!("layer {label}: {name} is not a tar archive (nor gzip or zstd)"),
                )),
            },
        }
    }
}

/// Blobs of an OCI layout folder, read on demand.
pub struct DirBlobs<'a> {
    pub root: PathBuf,
    pub file: String,
    pub cx: &'a ReadCx<'a>,
    pub progress: &'a dyn Progress,
    /// Layers read by [`Blobs::prefetch`], by name.
    pub ready: BTreeMap<String, Result<Arc<LayerRecord>, SourceError>>,
}

impl DirBlobs<'_> {
    fn read(&self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError> {
        let p = self.path(name)?;
        let f = File::open(&p).map_err(|e| SourceError::Invalid {
            path: self.file.clone(),
            message: format!("layer {label}: missing blob {name}: {e}"),
        })?;
        let pos = std::cell::Cell::new(0);
        let r = std::io::BufReader::new(ProgressReader::new(f, self.progress, &pos));
        read_layer(r, self.cx, &self.file, label).map(Arc::new)
    }

    fn path(&self, name: &str) -> Result<PathBuf, SourceError> {
        // Names come from the layout itself: only plain relative components are allowed.
        let norm = normalize(name.as_bytes());
        let s = String::from_utf8(norm).map_err(|_| {
            SourceError::invalid(&self.root, format!("blob name {name:?} is not UTF-8"))
        })?;
        if s.is_empty() {
            return Err(SourceError::invalid(
                &self.root,
                format!("bad blob name {name:?}"),
            ));
        }
        Ok(self.root.join(s))
    }
}

impl Blobs for DirBlobs<'_> {
    fn file(&self) -> &str {
        &self.file
    }
    fn has(&self, name: &str) -> bool {
        self.path(name).map(|p| p.is_file()).unwrap_or(false)
    }
    fn json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        let p = self.path(name)?;
        let f = File::open(&p).map_err(|e| SourceError::io(&p, e))?;
        let max = self.cx.budget.limits().max_json_size;
        let mut buf = Vec::new();
        f.take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| SourceError::io(&p, e))?;
        if buf.len() as u64 > max {
            let size = std::fs::metadata(&p)
                .map(|m| m.len())
                .unwrap_or(buf.len() as u64);
            return Err(archive::json_limit(&self.file, name, size, max));
        }
        Ok(buf)
    }
    fn layer(&mut self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError> {
        match self.ready.remove(name) {
            Some(r) => r,
            None => self.read(name, label),
        }
    }
    fn prefetch(&mut self, layers: &[(String, String)]) {
        let mut unique: Vec<&(String, String)> = Vec::new();
        for l in layers {
            if !unique.iter().any(|u| u.0 == l.0) {
                unique.push(l);
            }
        }
        // Largest first, so that the last one to finish is a small one.
        let size = |name: &str| {
            self.path(name)
                .ok()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len())
        };
        unique.sort_by_key(|l| std::cmp::Reverse(size(&l.0)));
        let this = &*self;
        let read = in_parallel(&unique, |(name, label)| this.read(name, label));
        for ((name, _), r) in unique.into_iter().zip(read) {
            self.ready.insert(name.clone(), r);
        }
    }
    fn will_read(&mut self, total: u64) {
        self.progress.start(total);
    }
    fn done(&mut self) {
        self.progress.finish();
    }
}

/// Names compared the way users write them: `alpine`, `alpine:latest`, `docker.io/library/alpine:latest`
/// are the same image.
fn normalize_ref(r: &str) -> String {
    let mut s = r.trim();
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "index.docker.io/",
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    if last.contains(':') || last.contains('@') {
        s.to_string()
    } else {
        format!("{s}:latest")
    }
}

fn ref_matches(wanted: &str, name: &str) -> bool {
    if wanted == name || normalize_ref(wanted) == normalize_ref(name) {
        return true;
    }
    // A bare OCI ref name is only a tag.
    !name.contains('/') && !name.contains(':') && tag_of(wanted).as_deref() == Some(name)
}

/// The tag of a reference (`3.10` of `alpine:3.10`), if it has one.
fn tag_of(reference: &str) -> Option<String> {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    let last = last.split('@').next().unwrap_or(last);
    last.split_once(':').map(|(_, t)| t.to_string())
}

fn parse_platform(file: &str, s: &str) -> Result<Platform, SourceError> {
    let parts: Vec<&str> = s.split('/').collect();
    let bad = || {
        SourceError::invalid(
            file,
            format!(
                "--platform `{s}`: expected OS/ARCH or OS/ARCH/VARIANT, a comma-separated list \
                 of them, or `all`"
            ),
        )
    };
    let (os, arch, variant) = match parts.as_slice() {
        [os, arch] => (*os, *arch, None),
        [os, arch, variant] if !variant.is_empty() => (*os, *arch, Some(variant.to_string())),
        _ => return Err(bad()),
    };
    if os.is_empty() || arch.is_empty() {
        return Err(bad());
    }
    Ok(Platform {
        os: os.to_string(),
        architecture: arch.to_string(),
        variant,
        os_version: None,
    })
}

/// What `--platform` asks of an image index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Left out: the platform sbomkit runs on, when the index has several.
    Host,
    /// `all`: every platform the index lists.
    All,
    /// `OS/ARCH[/VARIANT][,…]`: these, each matching one image.
    These(Vec<Platform>),
}

/// `verify --platform index`: the image index itself, which `attest --platform all` attests
/// beside its platforms.
pub const INDEX_PLATFORM: &str = "index";

impl Selection {
    /// `--platform` as given; `file` names the source in errors.
    pub fn parse(file: &str, platform: Option<&str>) -> Result<Selection, SourceError> {
        match platform.map(str::trim) {
            None => Ok(Selection::Host),
            Some("all") => Ok(Selection::All),
            Some(INDEX_PLATFORM) => Err(SourceError::invalid(
                file,
                "--platform index names the image index itself: only `verify` takes it, to check \
                 the attestation `attest --platform all` makes about the index",
            )),
            Some(list) => list
                .split(',')
                .map(|p| parse_platform(file, p.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map(Selection::These),
        }
    }
}

/// The platform this program runs on, in the names OCI uses (`x86_64` is `amd64`); images are
/// Linux unless the host is Windows, as with docker.
pub fn host_platform() -> Platform {
    let little = cfg!(target_endian = "little");
    let architecture = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if little => "ppc64le",
        "mips64" if little => "mips64le",
        "mips" if little => "mipsle",
        "loongarch64" => "loong64",
        other => other,
    };
    let os = match std::env::consts::OS {
        "windows" => "windows",
        _ => "linux",
    };
    Platform {
        os: os.to_string(),
        architecture: architecture.to_string(),
        variant: None,
        os_version: None,
    }
}

/// `--platform` against the one platform of a single-platform image.
pub fn check_platform(
    path: &Path,
    opts: &SourceOptions,
    have: Option<&Platform>,
) -> Result<(), SourceError> {
    let Some(p) = &opts.platform else {
        return Ok(());
    };
    let file = path.display().to_string();
    let fits = match Selection::parse(&file, Some(p))? {
        Selection::Host | Selection::All => true,
        Selection::These(wanted) => {
            have.is_some_and(|have| wanted.iter().any(|w| platform_matches(w, have)))
        }
    };
    match fits {
        true => Ok(()),
        false => Err(SourceError::PlatformMismatch {
            path: file,
            wanted: p.clone(),
            actual: have.map_or_else(
                || "of no recorded platform".to_string(),
                Platform::to_string,
            ),
        }),
    }
}

/// The variant an architecture has when none is written: `arm64` is `arm64/v8`.
fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        _ => None,
    }
}

/// Whether an index entry's platform is the one asked for, as the OCI image-index rules say:
/// os and architecture equal; a variant or os.version asked for must be the entry's (a variant
/// left out matches any, and `arm64` is `arm64/v8`).
pub fn platform_matches(wanted: &Platform, have: &Platform) -> bool {
    let variant = |p: &Platform| {
        p.variant
            .clone()
            .or_else(|| default_variant(&p.architecture).map(str::to_string))
    };
    wanted.os == have.os
        && wanted.architecture == have.architecture
        && (wanted.variant.is_none() || variant(wanted) == variant(have))
        && (wanted.os_version.is_none() || wanted.os_version == have.os_version)
}

/// Whether two index entries are for one platform (so an index listing both is ambiguous).
fn same_platform(a: &Platform, b: &Platform) -> bool {
    let norm = |p: &Platform| {
        (
            p.os.clone(),
            p.architecture.clone(),
            p.variant
                .clone()
                .or_else(|| default_variant(&p.architecture).map(str::to_string)),
            p.os_version.clone(),
        )
    };
    norm(a) == norm(b)
}

fn config_platform(c: &ImageConfig) -> Option<Platform> {
    Some(Platform {
        os: c.os.clone().filter(|s| !s.is_empty())?,
        architecture: c.architecture.clone().filter(|s| !s.is_empty())?,
        variant: c.variant.clone().filter(|s| !s.is_empty()),
        os_version: None,
    })
}

/// What both layouts hand to the common last step.
struct Chosen {
    name: String,
    version: Option<String>,
    tags: Vec<String>,
    manifest_digest: Option<String>,
    config_bytes: Vec<u8>,
    config_name: String,
    annotations: BTreeMap<String, String>,
    /// Per layer: blob name in the layout, expected blob digest, media type.
    layers: Vec<(String, Option<[u8; 32]>, Option<String>)>,
}

/// Reads the chosen image's config and layers and builds the result.
fn finish(blobs: &mut dyn Blobs, chosen: Chosen, cx: &ReadCx<'_>) -> Result<Scanned, SourceError> {
    let file = blobs.file().to_string();
    let config: ImageConfig = parse(&file, &chosen.config_name, &chosen.config_bytes)?;
    let diff_ids = config
        .rootfs
        .as_ref()
        .map(|r| r.diff_ids.clone())
        .unwrap_or_default();
    if diff_ids.len() != chosen.layers.len() {
        return Err(SourceError::invalid(
            &file,
            format!(
                "inconsistent image: the config {} lists {} diff_ids but the manifest {} layers",
                chosen.config_name,
                diff_ids.len(),
                chosen.layers.len()
            ),
        ));
    }
    let mut fs = Vfs::new();
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    let _ = cx;
    let labelled: Vec<(String, String)> = chosen
        .layers
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| (name.clone(), format!("{i} ({name})")))
        .collect();
    let named: Vec<(String, [u8; 32])> = chosen
        .layers
        .iter()
        .zip(&diff_ids)
        .filter_map(|((name, _, _), d)| Some((name.clone(), parse_digest(d)?)))
        .collect();
    blobs.layer_diff_ids(&named);
    blobs.prefetch(&labelled);
    for (i, ((name, expected, media_type), diff_id)) in
        chosen.layers.iter().zip(&diff_ids).enumerate()
    {
        let label = format!("{i} ({name})");
        let want_diff = parse_digest(diff_id).ok_or_else(|| {
            SourceError::invalid(
                &file,
                format!("layer {label}: diff_id {diff_id:?} is not a sha256 digest"),
            )
        })?;
        let rec = blobs.layer(name, &label)?;
        if let Some(expected) = expected {
            if *expected != rec.digest {
                return Err(SourceError::DigestMismatch {
                    path: file.clone(),
                    layer: format!("{label} blob"),
                    expected: digest_string(expected),
                    actual: digest_string(&rec.digest),
                });
            }
        }
        if want_diff != rec.diff_id {
            return Err(SourceError::DigestMismatch {
                path: file.clone(),
                layer: format!("{label} diff_id"),
                expected: diff_id.clone(),
                actual: digest_string(&rec.diff_id),
            });
        }
        layer::apply(
            &mut fs,
            i,
            &rec,
            &format!("{file}: layer {label}"),
            i + 1 == chosen.layers.len(),
            &mut warnings,
        );
        layers.push(Layer {
            index: i,
            diff_id: digest_string(&rec.diff_id),
            digest: Some(digest_string(&rec.digest)),
            media_type: media_type.clone(),
            size: rec.stored_size,
        });
    }
    blobs.done();
    // The layer records, freed by this thread after each was applied, were built by the readers.
    crate::memory::release_freed();
    let mut identities = Vec::new();
    if let Some(d) = chosen.manifest_digest {
        identities.push(Identity {
            role: IdentityRole::Manifest,
            digest: d,
        });
    }
    identities.push(Identity {
        role: IdentityRole::Config,
        digest: digest_string(&sha256(&chosen.config_bytes)),
    });
    let subject = Subject {
        kind: SubjectKind::Image,
        version: chosen.version,
        name: chosen.name,
        identities,
        platform: config_platform(&config),
        layers,
        tags: chosen.tags,
        created: config.created,
    };
    Ok(Scanned {
        subject,
        fs,
        warnings,
        image: Some(super::ImageMeta {
            config: chosen.config_bytes,
            annotations: chosen.annotations,
        }),
        notices: Vec::new(),
    })
}

fn file_stem(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A blob name inside the layout, `blobs/sha256/<hex>`, checked to be a sha256 digest.
fn blob_name(file: &str, digest: &str) -> Result<(String, [u8; 32]), SourceError> {
    let raw = parse_digest(digest).ok_or_else(|| {
        SourceError::invalid(file, format!("unsupported or malformed digest {digest:?}"))
    })?;
    Ok((format!("blobs/sha256/{}", hex::encode(raw)), raw))
}

/// The digest named by a `blobs/sha256/<hex>` or `<hex>.json` path, if the name is one.
fn digest_in_name(name: &str) -> Option<[u8; 32]> {
    let base = name.rsplit('/').next()?;
    let hex_part = if let Some(h) = name.strip_prefix("blobs/sha256/") {
        h
    } else {
        base.strip_suffix(".json")?
    };
    parse_digest(&format!("sha256:{hex_part}"))
}

fn docker_manifests(blobs: &mut dyn Blobs) -> Result<Vec<DockerManifest>, SourceError> {
    let file = blobs.file().to_string();
    let bytes = blobs.json("manifest.json")?;
    parse(&file, "manifest.json", &bytes)
}

/// Reads a `docker save` archive through its manifest.json.
pub fn docker(
    blobs: &mut dyn Blobs,
    input: &Path,
    opts: &SourceOptions,
    cx: &ReadCx<'_>,
) -> Result<Scanned, SourceError> {
    let file = blobs.file().to_string();
    let manifests = docker_manifests(blobs)?;
    if manifests.is_empty() {
        return Err(SourceError::invalid(&file, "manifest.json lists no image"));
    }
    let label = |m: &DockerManifest| -> String {
        m.repo_tags
            .as_ref()
            .and_then(|t| t.first().cloned())
            .unwrap_or_else(|| m.config.clone())
    };
    let choices: Vec<String> = manifests
        .iter()
        .flat_map(|m| match &m.repo_tags {
            Some(t) if !t.is_empty() => t.clone(),
            _ => vec![m.config.clone()],
        })
        .collect();
    let (m, name) = match &opts.image {
        Some(wanted) => {
            let found = manifests.iter().find_map(|m| {
                let tags = m.repo_tags.clone().unwrap_or_default();
                if let Some(t) = tags.iter().find(|t| ref_matches(wanted, t)) {
                    return Some((m, t.clone()));
                }
                let by_id = wanted.strip_prefix("sha256:").unwrap_or(wanted);
                (by_id.len() >= 12 && m.config.contains(by_id)).then(|| (m, label(m)))
            });
            found.ok_or_else(|| SourceError::NoSuchImage {
                path: file.clone(),
                wanted: wanted.clone(),
                choices: choices.clone(),
            })?
        }
        None if manifests.len() > 1 => {
            return Err(SourceError::AmbiguousImage {
                path: file.clone(),
                choices,
            })
        }
        None => {
            let m = manifests
                .first()
                .ok_or_else(|| SourceError::invalid(&file, "no image"))?;
            (m, label(m))
        }
    };
    let tags = m.repo_tags.clone().unwrap_or_default();
    let name = if tags.is_empty() {
        file_stem(input)
    } else {
        name
    };
    let version = if tags.is_empty() { None } else { tag_of(&name) };
    let config_bytes = blobs.json(&m.config)?;
    if let Some(expected) = digest_in_name(&m.config) {
        let actual = sha256(&config_bytes);
        if actual != expected {
            return Err(SourceError::DigestMismatch {
                path: file.clone(),
                layer: format!("config {}", m.config),
                expected: digest_string(&expected),
                actual: digest_string(&actual),
            });
        }
    }
    let layers = m
        .layers
        .iter()
        .map(|l| {
            let expected = l
                .strip_prefix("blobs/sha256/")
                .and_then(|_| digest_in_name(l));
            (l.clone(), expected, None)
        })
        .collect();
    finish(
        blobs,
        Chosen {
            name,
            version,
            tags,
            manifest_digest: None,
            config_bytes,
            config_name: m.config.clone(),
            annotations: BTreeMap::new(),
            layers,
        },
        cx,
    )
}

/// One image manifest reachable from index.json.
struct Candidate {
    names: Vec<String>,
    platform: Option<Platform>,
    digest: String,
    /// The manifest, or why it could not be read: an error only if this image is chosen.
    manifest: Result<Manifest, SourceError>,
    /// Which top descriptor it was reached from.
    top: usize,
}

fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .get("vnd.docker.reference.type")
        .map(String::as_str)
        == Some("attestation-manifest")
        || d.platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

fn desc_names(d: &Descriptor) -> Vec<String> {
    [CONTAINERD_NAME, REF_NAME]
        .iter()
        .filter_map(|k| d.annotations.get(*k))
        .filter(|s| !s.is_empty())
        .cloned()
        .collect()
}

/// Reads a JSON blob by descriptor and checks its digest.
fn blob_json(blobs: &mut dyn Blobs, d: &Descriptor, what: &str) -> Result<Vec<u8>, SourceError> {
    let file = blobs.file().to_string();
    let (name, expected) = blob_name(&file, &d.digest)?;
    let bytes = if what == "manifest" {
        blobs.manifest_json(&name)?
    } else {
        blobs.json(&name)?
    };
    let actual = sha256(&bytes);
    if actual != expected {
        return Err(SourceError::DigestMismatch {
            path: file,
            layer: format!("{what} {name}"),
            expected: d.digest.clone(),
            actual: digest_string(&actual),
        });
    }
    Ok(bytes)
}

fn desc_platform(d: &Descriptor) -> Option<Platform> {
    d.platform.as_ref().map(|p| Platform {
        os: p.os.clone(),
        architecture: p.architecture.clone(),
        variant: p.variant.clone().filter(|v| !v.is_empty()),
        os_version: p.os_version.clone().filter(|v| !v.is_empty()),
    })
}

/// A top descriptor that is an index: its media type and annotations, for the index document.
struct TopIndex {
    media_type: String,
    annotations: BTreeMap<String, String>,
}

fn expand(
    blobs: &mut dyn Blobs,
    d: &Descriptor,
    names: &[String],
    (top, depth): (usize, usize),
    out: &mut Vec<Candidate>,
) -> Result<Option<TopIndex>, SourceError> {
    let file = blobs.file().to_string();
    if depth > MAX_INDEX_DEPTH {
        return Err(SourceError::invalid(
            &file,
            format!(
                "image indexes nested deeper than {MAX_INDEX_DEPTH} at {}",
                d.digest
            ),
        ));
    }
    let known = INDEX_TYPES.contains(&d.media_type.as_str())
        || MANIFEST_TYPES.contains(&d.media_type.as_str());
    if !known && !d.media_type.is_empty() {
        return Ok(None); // artifacts, signatures: not images
    }
    let mut names = names.to_vec();
    for n in desc_names(d) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let bytes = match blob_json(blobs, d, "manifest") {
        // A platform's image that cannot be read is an error only if it is chosen.
        Err(e) if MANIFEST_TYPES.contains(&d.media_type.as_str()) && d.platform.is_some() => {
            out.push(Candidate {
                names,
                platform: desc_platform(d),
                digest: d.digest.clone(),
                manifest: Err(e),
                top,
            });
            return Ok(None);
        }
        r => r?,
    };
    let is_index = if d.media_type.is_empty() {
        let probe: Probe = parse(&file, &d.digest, &bytes)?;
        probe.manifests.is_some()
            || probe
                .media_type
                .as_deref()
                .is_some_and(|m| INDEX_TYPES.contains(&m))
    } else {
        INDEX_TYPES.contains(&d.media_type.as_str())
    };
    if is_index {
        let index: Index = parse(&file, &d.digest, &bytes)?;
        for child in index.manifests.iter().filter(|c| !is_attestation(c)) {
            expand(blobs, child, &names, (top, depth + 1), out)?;
        }
        let media_type = match d.media_type.as_str() {
            "" => index
                .media_type
                .unwrap_or_else(|| INDEX_TYPES[0].to_string()),
            m => m.to_string(),
        };
        let mut annotations = d.annotations.clone();
        annotations.extend(index.annotations);
        Ok(Some(TopIndex {
            media_type,
            annotations,
        }))
    } else {
        let manifest: Manifest = parse(&file, &d.digest, &bytes)?;
        out.push(Candidate {
            names,
            platform: desc_platform(d),
            digest: d.digest.clone(),
            manifest: Ok(manifest),
            top,
        });
        Ok(None)
    }
}

/// What an OCI layout or registry reference gave: one image per platform chosen, and the index
/// they came from when they came from one.
#[derive(Debug)]
pub struct Picked {
    pub images: Vec<Scanned>,
    pub index: Option<ImageIndex>,
    /// Said on stderr: which platform was described when `--platform` was left out, and which
    /// others the index has.
    pub note: Option<String>,
}

/// Reads an OCI image layout (from an archive or a folder).
pub fn oci(
    blobs: &mut dyn Blobs,
    input: &Path,
    opts: &SourceOptions,
    cx: &ReadCx<'_>,
) -> Result<Picked, SourceError> {
    let file = blobs.file().to_string();
    if !blobs.has("oci-layout") {
        return Err(SourceError::invalid(
            &file,
            "not an OCI image layout: no oci-layout file",
        ));
    }
    let layout: serde_json::Value = parse(&file, "oci-layout", &blobs.json("oci-layout")?)?;
    if layout
        .get("imageLayoutVersion")
        .and_then(|v| v.as_str())
        .is_none()
    {
        return Err(SourceError::invalid(
            &file,
            "oci-layout: no imageLayoutVersion",
        ));
    }
    let index_bytes = blobs.json("index.json")?;
    let index: Index = parse(&file, "index.json", &index_bytes)?;
    // `docker save` also writes manifest.json: its RepoTags name images by config.
    let mut repo_tags: BTreeMap<[u8; 32], Vec<String>> = BTreeMap::new();
    if blobs.has("manifest.json") {
        for m in docker_manifests(blobs)? {
            if let (Some(d), Some(tags)) = (digest_in_name(&m.config), m.repo_tags) {
                repo_tags.entry(d).or_default().extend(tags);
            }
        }
    }
    // index.json is the index when it lists the platforms' manifests itself.
    let root = TopIndex {
        media_type: INDEX_TYPES[0].to_string(),
        annotations: index.annotations.clone(),
    };
    let root = (digest_string(&sha256(&index_bytes)), root);
    pick(
        blobs,
        &index.manifests,
        Some(root),
        &repo_tags,
        input,
        opts,
        cx,
    )
}

/// The top manifest of a registry reference: what it was fetched as and under which name.
pub struct Top {
    /// `HOST/REPO:TAG`, or `HOST/REPO` for a digest reference.
    pub name: String,
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

/// Reads the image a registry reference names: an image manifest, or the manifests of an index
/// chosen by `--platform`; the index digest is recorded beside each manifest digest.
pub fn registry(
    blobs: &mut dyn Blobs,
    top: Top,
    opts: &SourceOptions,
    cx: &ReadCx<'_>,
) -> Result<Picked, SourceError> {
    let known = INDEX_TYPES.contains(&top.media_type.as_str())
        || MANIFEST_TYPES.contains(&top.media_type.as_str());
    if !known {
        return Err(SourceError::invalid(
            blobs.file(),
            format!(
                "{} is not an image manifest or index but {:?}",
                top.digest, top.media_type
            ),
        ));
    }
    let d = Descriptor {
        media_type: top.media_type,
        digest: top.digest.clone(),
        size: top.size,
        platform: None,
        annotations: BTreeMap::from([(REF_NAME.to_string(), top.name.clone())]),
    };
    let input = PathBuf::from(&top.name);
    let mut picked = pick(blobs, &[d], None, &BTreeMap::new(), &input, opts, cx)?;
    for scanned in &mut picked.images {
        let ids = &mut scanned.subject.identities;
        if !ids.iter().any(|i| i.digest == top.digest) {
            ids.push(Identity {
                role: IdentityRole::Index,
                digest: top.digest.clone(),
            });
        }
    }
    Ok(picked)
}

/// Blobs seen through a record of the layers read in this run: a layer two platforms share is
/// read once. Only those layers are held: a record no other image needs is dropped once applied,
/// so memory stays what one image's scan takes.
struct Shared<'b> {
    inner: &'b mut dyn Blobs,
    read: BTreeMap<String, Arc<LayerRecord>>,
    prefetched: std::collections::BTreeSet<String>,
    /// Layers more than one chosen image has.
    shared: std::collections::BTreeSet<String>,
}

impl Blobs for Shared<'_> {
    fn file(&self) -> &str {
        self.inner.file()
    }
    fn has(&self, name: &str) -> bool {
        self.inner.has(name)
    }
    fn json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        self.inner.json(name)
    }
    fn manifest_json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        self.inner.manifest_json(name)
    }
    fn layer(&mut self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError> {
        if let Some(r) = self.read.get(name) {
            return Ok(r.clone());
        }
        let r = self.inner.layer(name, label)?;
        if self.shared.contains(name) {
            self.read.insert(name.to_string(), r.clone());
        }
        Ok(r)
    }
    fn layer_sizes(&mut self, sizes: &[(String, u64)]) {
        self.inner.layer_sizes(sizes)
    }
    fn layer_diff_ids(&mut self, diff_ids: &[(String, [u8; 32])]) {
        self.inner.layer_diff_ids(diff_ids)
    }
    fn will_read(&mut self, total: u64) {
        self.inner.will_read(total)
    }
    fn prefetch(&mut self, layers: &[(String, String)]) {
        let new: Vec<(String, String)> = layers
            .iter()
            .filter(|(n, _)| !self.read.contains_key(n) && !self.prefetched.contains(n))
            .cloned()
            .collect();
        self.prefetched.extend(new.iter().map(|(n, _)| n.clone()));
        self.inner.prefetch(&new);
    }
    fn done(&mut self) {
        self.inner.done()
    }
}

/// Expands the top descriptors to image manifests, picks them by `--image` and `--platform`, and
/// reads them.
fn pick(
    blobs: &mut dyn Blobs,
    tops: &[Descriptor],
    root: Option<(String, TopIndex)>,
    repo_tags: &BTreeMap<[u8; 32], Vec<String>>,
    input: &Path,
    opts: &SourceOptions,
    cx: &ReadCx<'_>,
) -> Result<Picked, SourceError> {
    let file = blobs.file().to_string();
    let mut candidates = Vec::new();
    let mut top_indexes = BTreeMap::new();
    for (i, d) in tops.iter().enumerate().filter(|(_, d)| !is_attestation(d)) {
        if let Some(t) = expand(blobs, d, &[], (i, 0), &mut candidates)? {
            top_indexes.insert(i, t);
        }
    }
    for c in &mut candidates {
        if let Ok(m) = &c.manifest {
            if let Some(d) = parse_digest(&m.config.digest) {
                for t in repo_tags.get(&d).into_iter().flatten() {
                    if !c.names.contains(t) {
                        c.names.push(t.clone());
                    }
                }
            }
        }
    }
    if candidates.is_empty() {
        let what = if blobs.has("index.json") {
            "index.json lists no image manifest"
        } else {
            "the index lists no image manifest"
        };
        return Err(SourceError::invalid(&file, what));
    }
    let choice_of = |c: &Candidate| c.names.first().cloned().unwrap_or_else(|| c.digest.clone());
    let mut all_choices: Vec<String> = candidates.iter().map(choice_of).collect();
    all_choices.sort();
    all_choices.dedup();

    let mut picked_name = None;
    if let Some(wanted) = &opts.image {
        candidates.retain(|c| {
            c.names.iter().any(|n| ref_matches(wanted, n)) || c.digest.contains(wanted.as_str())
        });
        if candidates.is_empty() {
            return Err(SourceError::NoSuchImage {
                path: file,
                wanted: wanted.clone(),
                choices: all_choices,
            });
        }
        picked_name = candidates
            .iter()
            .flat_map(|c| c.names.iter())
            .find(|n| ref_matches(wanted, n) && (n.contains(':') || n.contains('/')))
            .cloned();
    } else {
        let mut groups: Vec<Vec<String>> = candidates
            .iter()
            .map(|c| {
                let mut n = c.names.clone();
                n.sort();
                n
            })
            .collect();
        groups.sort();
        groups.dedup();
        if groups.len() > 1 {
            return Err(SourceError::AmbiguousImage {
                path: file,
                choices: all_choices,
            });
        }
    }

    // Platforms not on the descriptor come from the config.
    // (A manifest not read has its platform on the descriptor.)
    for c in &mut candidates {
        if let (None, Ok(m)) = (&c.platform, &c.manifest) {
            let bytes = blob_json(blobs, &m.config, "config")?;
            let config: ImageConfig = parse(&file, &m.config.digest, &bytes)?;
            c.platform = config_platform(&config);
        }
    }
    let name_of = |c: &Candidate| {
        c.platform
            .as_ref()
            .map_or_else(|| "unknown".to_string(), Platform::to_string)
    };
    let mut platforms: Vec<String> = candidates.iter().map(name_of).collect();
    platforms.sort();
    platforms.dedup();

    let selection = Selection::parse(&file, opts.platform.as_deref())?;
    let mut note = None;
    let chosen: Vec<usize> = match &selection {
        Selection::All => {
            for (i, a) in candidates.iter().enumerate() {
                for b in &candidates[i + 1..] {
                    if let (Some(pa), Some(pb)) = (&a.platform, &b.platform) {
                        if same_platform(pa, pb) {
                            return Err(SourceError::invalid(
                                &file,
                                format!(
                                    "the index lists platform {pa} twice ({} and {}): \
                                     one SBOM per platform cannot say which is meant",
                                    a.digest, b.digest
                                ),
                            ));
                        }
                    }
                }
            }
            (0..candidates.len()).collect()
        }
        Selection::Host if candidates.len() == 1 => vec![0],
        Selection::Host => {
            let host = host_platform();
            let i = one_match(&file, &candidates, &host, &platforms, true)?;
            let others: Vec<String> = candidates
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| name_of(c))
                .collect();
            note = Some(format!(
                "{file}: described platform {} (this machine's); the index also has {}: \
                 choose with --platform OS/ARCH[/VARIANT], a list, or all",
                name_of(&candidates[i]),
                others.join(", ")
            ));
            vec![i]
        }
        Selection::These(wanted) => {
            let mut chosen = Vec::new();
            for w in wanted {
                let i = one_match(&file, &candidates, w, &platforms, false)?;
                if !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
            chosen
        }
    };

    // The index the chosen images came from: one top index, or index.json listing them.
    let tops_of: std::collections::BTreeSet<usize> =
        chosen.iter().map(|&i| candidates[i].top).collect();
    let index_of = |digest: String, t: &TopIndex, top: Option<usize>| ImageIndex {
        name: String::new(),
        version: None,
        digest,
        media_type: t.media_type.clone(),
        annotations: t.annotations.clone(),
        images: candidates
            .iter()
            .filter(|c| top.is_none_or(|t| c.top == t))
            .map(|c| IndexImage {
                platform: c.platform.clone(),
                manifest_digest: c.digest.clone(),
            })
            .collect(),
    };
    let mut index = match (tops_of.iter().collect::<Vec<_>>().as_slice(), &root) {
        ([t], _) if top_indexes.contains_key(t) => Some(index_of(
            tops[**t].digest.clone(),
            &top_indexes[*t],
            Some(**t),
        )),
        (_, Some((digest, t))) if top_indexes.is_empty() && candidates.len() > 1 => {
            Some(index_of(digest.clone(), t, None))
        }
        _ => None,
    };

    let mut shared = Shared {
        inner: blobs,
        read: BTreeMap::new(),
        prefetched: Default::default(),
        shared: Default::default(),
    };
    // Every chosen platform's layers in one pass, side by side.
    if chosen.len() > 1 {
        let mut all = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for &i in &chosen {
            if let Ok(m) = &candidates[i].manifest {
                for (n, l) in m.layers.iter().enumerate() {
                    if let Ok((name, _)) = blob_name(&file, &l.digest) {
                        if !seen.insert(name.clone()) {
                            shared.shared.insert(name.clone());
                        }
                        all.push((name.clone(), format!("{n} ({name})")));
                    }
                }
            }
        }
        shared.prefetch(&all);
    }
    let mut images = Vec::new();
    for &i in &chosen {
        let c = &candidates[i];
        let m = c.manifest.as_ref().map_err(|e| {
            SourceError::invalid(
                &file,
                format!(
                    "the {} image of the index ({}) cannot be read: {e}",
                    name_of(c),
                    c.digest
                ),
            )
        })?;
        images.push(read_candidate(
            &mut shared,
            c,
            m,
            picked_name.clone(),
            input,
            cx,
        )?);
    }
    if let (Some(ix), Some(first)) = (&mut index, images.first()) {
        ix.name = first.subject.name.clone();
        ix.version = first.subject.version.clone();
    }
    Ok(Picked {
        images,
        index,
        note,
    })
}

/// The one image of `candidates` that `wanted` matches.
fn one_match(
    file: &str,
    candidates: &[Candidate],
    wanted: &Platform,
    platforms: &[String],
    host: bool,
) -> Result<usize, SourceError> {
    let matching: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.platform
                .as_ref()
                .is_some_and(|have| platform_matches(wanted, have))
        })
        .map(|(i, _)| i)
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] if host => Err(SourceError::invalid(
            file,
            format!(
                "the image has several platforms and none is this machine's ({wanted}): \
                 choose with --platform OS/ARCH[/VARIANT], a comma-separated list, or all: {}",
                platforms.join(", ")
            ),
        )),
        [] => Err(SourceError::NoSuchPlatform {
            path: file.to_string(),
            wanted: wanted.to_string(),
            choices: platforms.to_vec(),
        }),
        _ => {
            let mut choices: Vec<String> = matching
                .iter()
                .map(|&i| {
                    let c = &candidates[i];
                    let p = c
                        .platform
                        .as_ref()
                        .map_or_else(String::new, Platform::to_string);
                    format!("{p} ({})", c.digest)
                })
                .collect();
            choices.sort();
            choices.dedup();
            Err(SourceError::AmbiguousPlatform {
                path: file.to_string(),
                choices,
            })
        }
    }
}

/// Reads one chosen image of an index.
fn read_candidate(
    blobs: &mut dyn Blobs,
    chosen: &Candidate,
    manifest: &Manifest,
    picked_name: Option<String>,
    input: &Path,
    cx: &ReadCx<'_>,
) -> Result<Scanned, SourceError> {
    let file = blobs.file().to_string();
    let (config_name, _) = blob_name(&file, &manifest.config.digest)?;
    let config_bytes = blob_json(blobs, &manifest.config, "config")?;
    let mut layers = Vec::new();
    let mut total = 0u64;
    let mut sizes = Vec::new();
    for (i, l) in manifest.layers.iter().enumerate() {
        if !LAYER_TYPES.contains(&l.media_type.as_str()) {
            return Err(SourceError::invalid(
                &file,
                format!(
                    "layer {i} ({}): unknown media type {:?}",
                    l.digest, l.media_type
                ),
            ));
        }
        let (name, expected) = blob_name(&file, &l.digest)?;
        total = total.saturating_add(l.size);
        sizes.push((name.clone(), l.size));
        layers.push((name, Some(expected), Some(l.media_type.clone())));
    }
    blobs.layer_sizes(&sizes);
    blobs.will_read(total);

    // Full references first (containerd name, RepoTags), bare ref names (a tag only) last.
    let mut tags: Vec<String> = chosen
        .names
        .iter()
        .filter(|n| n.contains(':') || n.contains('/'))
        .cloned()
        .collect();
    tags.dedup();
    let bare_tag = chosen
        .names
        .iter()
        .find(|n| !n.contains(':') && !n.contains('/'))
        .cloned();
    let name = picked_name.or_else(|| tags.first().cloned());
    let version = match &name {
        Some(n) => tag_of(n),
        None => bare_tag.clone(),
    };
    let name = name.unwrap_or_else(|| file_stem(input));
    if tags.is_empty() {
        if let Some(t) = &bare_tag {
            tags.push(t.clone());
        }
    }
    finish(
        blobs,
        Chosen {
            name,
            version,
            tags,
            manifest_digest: Some(chosen.digest.clone()),
            config_bytes,
            config_name,
            annotations: manifest.annotations.clone(),
            layers,
        },
        cx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        parse_platform("x", s).unwrap()
    }

    #[test]
    fn platforms_match_by_the_oci_image_index_rules() {
        let arm64_v8 = p("linux/arm64/v8");
        let arm64 = p("linux/arm64");
        // arm64 is arm64/v8, either way round; another variant is another platform.
        assert!(platform_matches(&arm64, &arm64_v8));
        assert!(platform_matches(&arm64_v8, &arm64));
        assert!(!platform_matches(&p("linux/arm64/v9"), &arm64));
        assert!(same_platform(&arm64, &arm64_v8));
        // A variant left out matches any; one asked for must be the image's.
        assert!(platform_matches(&p("linux/arm"), &p("linux/arm/v7")));
        assert!(!platform_matches(&p("linux/arm/v6"), &p("linux/arm/v7")));
        assert!(!same_platform(&p("linux/arm/v6"), &p("linux/arm/v7")));
        assert!(!platform_matches(&p("linux/amd64"), &p("windows/amd64")));
        // os.version: asked for, it must match; not asked for, any does; it tells images apart.
        let mut win = p("windows/amd64");
        win.os_version = Some("10.0.20348.2227".into());
        let mut other = win.clone();
        other.os_version = Some("10.0.17763.5329".into());
        assert!(platform_matches(&p("windows/amd64"), &win));
        assert!(!platform_matches(&other, &win));
        assert!(!same_platform(&other, &win));
    }

    #[test]
    fn platform_selections_as_the_user_writes_them() {
        assert_eq!(Selection::parse("x", None).unwrap(), Selection::Host);
        assert_eq!(Selection::parse("x", Some("all")).unwrap(), Selection::All);
        assert_eq!(
            Selection::parse("x", Some("linux/amd64, linux/arm64/v8")).unwrap(),
            Selection::These(vec![p("linux/amd64"), p("linux/arm64/v8")])
        );
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64,",
            "a/b/c/d",
            "linux/arm64/",
        ] {
            let e = Selection::parse("img.tar", Some(bad))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("img.tar: --platform"), "{bad}: {e}");
        }
        let host = host_platform();
        assert!(!host.architecture.is_empty() && host.architecture != "x86_64");
        assert!(host.architecture != "aarch64");
    }
}
