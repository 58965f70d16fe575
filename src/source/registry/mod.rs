//! `registry:HOST[:PORT]/REPO[:TAG|@sha256:HEX]`: an image read where it lives. The manifest (or
//! index) and config are fetched whole (bounded by `--max-json-size`); each layer blob is fetched
//! as a stream straight into the same one-pass layer reader as the archives use, side by side, its
//! digest and diff_id checked from the bytes as they pass. Nothing is written to disk but the
//! layer cache (`--cache-dir`, [`super::cache`]): a layer recorded there is not fetched at all.

pub mod auth;
pub mod client;
pub mod referrers;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::cache::{LayerCache, Lookup};
use super::image::{self, Blobs};
use super::layer::{read_layer, LayerRecord, ReadCx};
use super::stream::{in_parallel, ProgressReader};
use super::{Progress, SourceError, SourceOptions};
pub use client::{Client, ClientOptions, Failure};

/// Every manifest and index media type asked for, so the registry never converts.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Docker Hub: its name in references and the host its API answers on.
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]` as written (`docker.io` for a reference without a registry).
    pub registry: String,
    /// `library/alpine`, `team/app`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<hex>`.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `HOST[:PORT]/REPO[:TAG][@sha256:HEX]`; a first component without `.` or `:` that is
    /// not `localhost` is a Docker Hub repository, as Docker reads it. Without tag or digest the
    /// tag is `latest`.
    pub fn parse(s: &str) -> Result<Reference, String> {
        let bad = |why: &str| {
            format!("`{s}` is not an image reference (HOST[:PORT]/REPO[:TAG|@sha256:HEX]): {why}")
        };
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad("the digest must be sha256:<64 hex>"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("the digest must be sha256:<64 hex>"));
                }
                (r, Some(format!("sha256:{}", hex.to_ascii_lowercase())))
            }
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            _ if name.contains('/') => (DOCKER_HUB.to_string(), name.to_string()),
            _ => (DOCKER_HUB.to_string(), format!("library/{name}")),
        };
        if registry.is_empty()
            || !registry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        {
            return Err(bad("bad registry host"));
        }
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.as_bytes()[0].is_ascii_alphanumeric()
        };
        if repository.is_empty() || !repository.split('/').all(component_ok) {
            return Err(bad(
                "the repository takes lower-case letters, digits and . _ - between slashes",
            ));
        }
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                && !t.starts_with(['.', '-']);
            if !ok {
                return Err(bad("a tag takes up to 128 letters, digits and . _ -"));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the API answers on.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// `HOST/REPO`.
    pub fn repository_url(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What the manifest is fetched by: the digest when there is one, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.repository_url())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// An image in a registry resolved to its manifest without reading its layers: what `verify` needs.
pub struct Resolved {
    pub client: Client,
    pub reference: Reference,
    /// The image manifest (chosen by `--platform` from an index), or with `--platform index` the
    /// index itself.
    pub manifest: referrers::Descriptor,
    pub config_digest: String,
    /// The index the reference names, when it names one.
    pub index: Option<client::Fetched>,
}

/// Resolves `reference` to its image manifest: the manifest it names, or the one of its index that
/// `opts.platform` chooses (attestation manifests aside; one platform needs no choice).
pub fn resolve(reference: &str, opts: &SourceOptions) -> Result<Resolved, SourceError> {
    let file = format!("registry:{reference}");
    let r = Reference::parse(reference).map_err(SourceError::Registry)?;
    let client = Client::connect(r.api_host(), &opts.registry).map_err(registry_error)?;
    let max = opts.limits.max_json_size;
    let top = client
        .manifest(&r.repository, r.manifest_ref(), ACCEPT, max)
        .map_err(registry_error)?;
    if r.digest.as_ref().is_some_and(|d| *d != top.digest) {
        return Err(SourceError::invalid(
            &file,
            "the registry served another manifest than the digest names",
        ));
    }
    let json = |b: &[u8]| -> Result<serde_json::Value, SourceError> {
        serde_json::from_slice(b)
            .map_err(|e| SourceError::invalid(&file, format!("manifest: invalid JSON: {e}")))
    };
    let top_json = json(&top.bytes)?;
    if opts.platform.as_deref().map(str::trim) == Some(image::INDEX_PLATFORM) {
        // The index itself: what `attest --platform all` attests beside its platforms.
        if top_json.get("manifests").is_none() {
            return Err(SourceError::invalid(
                &file,
                "--platform index: the reference names one image, not an image index",
            ));
        }
        return Ok(Resolved {
            client,
            reference: r,
            manifest: referrers::Descriptor {
                media_type: top.media_type.clone(),
                digest: top.digest.clone(),
                size: top.bytes.len() as u64,
            },
            config_digest: String::new(),
            index: Some(top),
        });
    }
    let (manifest, index) = match top_json.get("manifests").and_then(|m| m.as_array()) {
        None => (top, None),
        Some(list) => {
            let platform_of = |d: &serde_json::Value| {
                let p = &d["platform"];
                let mut s = format!(
                    "{}/{}",
                    p["os"].as_str().unwrap_or("unknown"),
                    p["architecture"].as_str().unwrap_or("unknown")
                );
                if let Some(v) = p["variant"].as_str().filter(|v| !v.is_empty()) {
                    s.push('/');
                    s.push_str(v);
                }
                s
            };
            let images: Vec<&serde_json::Value> = list
                .iter()
                .filter(|d| {
                    d["annotations"]["vnd.docker.reference.type"] != "attestation-manifest"
                        && platform_of(d) != "unknown/unknown"
                })
                .collect();
            let mut choices: Vec<String> = images.iter().map(|d| platform_of(d)).collect();
            choices.sort();
            choices.dedup();
            // As an OCI layout chooses: one platform, this machine's when none is named.
            let wanted = match image::Selection::parse(&file, opts.platform.as_deref())? {
                image::Selection::These(mut one) if one.len() == 1 => one.pop(),
                image::Selection::Host if images.len() > 1 => Some(image::host_platform()),
                image::Selection::Host => None,
                _ => {
                    return Err(SourceError::invalid(
                        &file,
                        "--platform: name one platform, whose manifest is checked",
                    ))
                }
            };
            let chosen: Vec<&&serde_json::Value> = images
                .iter()
                .filter(|d| {
                    let p = &d["platform"];
                    let text = |k: &str| p[k].as_str().filter(|s| !s.is_empty()).map(String::from);
                    let have = crate::model::Platform {
                        os: text("os").unwrap_or_default(),
                        architecture: text("architecture").unwrap_or_default(),
                        variant: text("variant"),
                        os_version: text("os.version"),
                    };
                    wanted
                        .as_ref()
                        .is_none_or(|w| image::platform_matches(w, &have))
                })
                .collect();
            let d = match chosen.as_slice() {
                [one] => one["digest"].as_str().unwrap_or_default().to_string(),
                [] if wanted.is_some() => {
                    return Err(SourceError::NoSuchPlatform {
                        path: file,
                        wanted: wanted.map(|w| w.to_string()).unwrap_or_default(),
                        choices,
                    })
                }
                _ => {
                    return Err(SourceError::AmbiguousPlatform {
                        path: file,
                        choices,
                    })
                }
            };
            let m = client
                .manifest(&r.repository, &d, ACCEPT, max)
                .map_err(registry_error)?;
            if m.digest != d {
                return Err(SourceError::invalid(
                    &file,
                    format!("manifest {d}: the registry served other bytes"),
                ));
            }
            (m, Some(top))
        }
    };
    let config_digest = json(&manifest.bytes)?["config"]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok(Resolved {
        client,
        reference: r,
        manifest: referrers::Descriptor {
            media_type: manifest.media_type,
            digest: manifest.digest,
            size: manifest.bytes.len() as u64,
        },
        config_digest,
        index,
    })
}

fn registry_error(f: Failure) -> SourceError {
    SourceError::Registry(f.0)
}

/// Reads the image `reference` names from its registry.
pub fn open(
    reference: &str,
    opts: &SourceOptions,
    cx: &ReadCx<'_>,
    progress: &dyn Progress,
) -> Result<image::Picked, SourceError> {
    let file = format!("registry:{reference}");
    let r = Reference::parse(reference).map_err(SourceError::Registry)?;
    if opts.image.is_some() {
        return Err(SourceError::invalid(
            &file,
            "--image chooses an image inside an archive; a registry reference names one image",
        ));
    }
    let client = Client::connect(r.api_host(), &opts.registry).map_err(registry_error)?;
    let max_json = cx.budget.limits().max_json_size;
    let top = client
        .manifest(&r.repository, r.manifest_ref(), ACCEPT, max_json)
        .map_err(registry_error)?;
    if let Some(d) = &r.digest {
        if top.digest != *d {
            return Err(SourceError::DigestMismatch {
                path: file,
                layer: "manifest".into(),
                expected: d.clone(),
                actual: top.digest,
            });
        }
    }
    // The subject is named by the repository and tag; a digest reference names no tag.
    let name = match &r.tag {
        Some(t) => format!("{}:{t}", r.repository_url()),
        None => r.repository_url(),
    };
    let mut blobs = RegistryBlobs {
        client: &client,
        repo: r.repository.clone(),
        file: file.clone(),
        cx,
        progress,
        manifests: BTreeMap::from([(top.digest.clone(), top.bytes.clone())]),
        sizes: BTreeMap::new(),
        diff_ids: BTreeMap::new(),
        ready: BTreeMap::new(),
        cache: opts
            .cache
            .as_deref()
            .and_then(|dir| LayerCache::new(dir, &cx.interest, cx.budget.limits())),
        notices: Mutex::new(Vec::new()),
    };
    let mut picked = image::registry(
        &mut blobs,
        image::Top {
            name,
            media_type: top.media_type,
            digest: top.digest,
            size: top.bytes.len() as u64,
        },
        opts,
        cx,
    )?;
    // About the run: shown once, with the first image.
    if let Some(first) = picked.images.first_mut() {
        first
            .notices
            .extend(blobs.notices.into_inner().unwrap_or_default());
    }
    Ok(picked)
}

/// Blobs of one repository, fetched as they are asked for.
struct RegistryBlobs<'a> {
    client: &'a Client,
    repo: String,
    file: String,
    cx: &'a ReadCx<'a>,
    progress: &'a dyn Progress,
    /// Manifests and configs already fetched, by digest.
    manifests: BTreeMap<String, Vec<u8>>,
    /// Layer sizes from the manifest, by blob name: a blob sending more is cut off.
    sizes: BTreeMap<String, u64>,
    /// Layer diff_ids from the config, by blob name: a cached record is used only for these.
    diff_ids: BTreeMap<String, [u8; 32]>,
    ready: BTreeMap<String, Result<Arc<LayerRecord>, SourceError>>,
    cache: Option<LayerCache>,
    /// What happened to the cache, for the user (not the document).
    notices: Mutex<Vec<String>>,
}

/// `blobs/sha256/<hex>` back to `sha256:<hex>`.
fn digest_of(name: &str) -> String {
    match name.strip_prefix("blobs/sha256/") {
        Some(hex) => format!("sha256:{hex}"),
        None => name.to_string(),
    }
}

impl RegistryBlobs<'_> {
    /// The layer's record: from the cache when it holds one for this blob and diff_id, else read
    /// from the registry and stored.
    fn read(&self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError> {
        let wants = self.cx.interest.wants;
        let blob = super::stream::parse_digest(&digest_of(name));
        let known = blob.zip(self.diff_ids.get(name).copied());
        let (Some(cache), Some((blob, diff_id))) = (&self.cache, known) else {
            return self.fetch(name, label).map(Arc::new);
        };
        let problem = match cache.get(&blob, &diff_id, wants) {
            Lookup::Hit(rec) => {
                // Charged as reading it would be: limits hold whether a layer was cached or not.
                self.cx
                    .budget
                    .layer(rec.tar_entries, rec.tar_size)
                    .map_err(|e| SourceError::Limit {
                        path: self.file.clone(),
                        what: format!("{} (layer {label})", e.what()),
                        limit: e.limit(),
                        flag: e.flag(),
                    })?;
                // The bar counts stored bytes: a cached layer counts as read.
                self.progress.advance(rec.stored_size);
                return Ok(Arc::new(*rec));
            }
            Lookup::Miss => None,
            Lookup::Bad(why) => Some(why),
        };
        let rec = self.fetch(name, label)?;
        let notice = |what: String| {
            if let Ok(mut n) = self.notices.lock() {
                n.push(format!("{}: layer {label}: {what}", self.file));
            }
        };
        if let Some(why) = problem {
            notice(format!("layer cache entry ignored and rewritten: {why}"));
        }
        // Only what the manifest and config name is stored; a mismatch is reported by the caller.
        if rec.digest == blob && rec.diff_id == diff_id {
            if let Err(e) = cache.put(&rec, wants) {
                notice(format!(
                    "not stored in the layer cache {}: {e}",
                    cache.path(&blob).display()
                ));
            }
        }
        Ok(Arc::new(rec))
    }

    fn fetch(&self, name: &str, label: &str) -> Result<LayerRecord, SourceError> {
        let size = self.sizes.get(name).copied().filter(|s| *s > 0);
        let body = self
            .client
            .blob_reader(&self.repo, &digest_of(name), size.unwrap_or(u64::MAX))
            .map_err(|f| SourceError::invalid(&self.file, format!("layer {label}: {f}")))?;
        let pos = Cell::new(0);
        let r = std::io::BufReader::with_capacity(
            256 << 10,
            ProgressReader::new(body, self.progress, &pos),
        );
        read_layer(r, self.cx, &self.file, label)
    }
}

impl Blobs for RegistryBlobs<'_> {
    fn file(&self) -> &str {
        &self.file
    }
    fn has(&self, _name: &str) -> bool {
        false
    }
    fn json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        // The same config is asked for twice (platform, then the image): fetched once.
        let digest = digest_of(name);
        if let Some(b) = self.manifests.get(&digest) {
            return Ok(b.clone());
        }
        let max = self.cx.budget.limits().max_json_size;
        let bytes = self
            .client
            .blob_bytes(&self.repo, &digest, max)
            .map_err(registry_error)?;
        self.manifests.insert(digest, bytes.clone());
        Ok(bytes)
    }
    fn manifest_json(&mut self, name: &str) -> Result<Vec<u8>, SourceError> {
        let digest = digest_of(name);
        if let Some(b) = self.manifests.get(&digest) {
            return Ok(b.clone());
        }
        let max = self.cx.budget.limits().max_json_size;
        let fetched = self
            .client
            .manifest(&self.repo, &digest, ACCEPT, max)
            .map_err(registry_error)?;
        self.manifests.insert(digest, fetched.bytes.clone());
        Ok(fetched.bytes)
    }
    fn layer(&mut self, name: &str, label: &str) -> Result<Arc<LayerRecord>, SourceError> {
        match self.ready.remove(name) {
            Some(r) => r,
            None => self.read(name, label),
        }
    }
    fn layer_sizes(&mut self, sizes: &[(String, u64)]) {
        self.sizes.extend(sizes.iter().cloned());
    }
    fn layer_diff_ids(&mut self, diff_ids: &[(String, [u8; 32])]) {
        self.diff_ids.extend(diff_ids.iter().cloned());
    }
    fn prefetch(&mut self, layers: &[(String, String)]) {
        let mut unique: Vec<&(String, String)> = Vec::new();
        for l in layers {
            if !unique.iter().any(|u| u.0 == l.0) {
                unique.push(l);
            }
        }
        // Largest first, so that the last one to finish is a small one.
        unique.sort_by_key(|l| std::cmp::Reverse(self.sizes.get(&l.0).copied().unwrap_or(0)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_as_docker_reads_them() {
        let r = Reference::parse("127.0.0.1:5000/alpine:3.10").unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.tag.as_deref(),
                r.api_host()
            ),
            ("127.0.0.1:5000", "alpine", Some("3.10"), "127.0.0.1:5000")
        );
        assert_eq!(r.to_string(), "127.0.0.1:5000/alpine:3.10");
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/o/app@{d}")).unwrap();
        assert_eq!((r.tag.as_deref(), r.manifest_ref()), (None, d.as_str()));
        let r = Reference::parse("localhost/a/b:v1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost", "a/b")
        );
        for bad in [
            "h.io/Upper:1",
            "h.io/a@sha256:12",
            "h.io/a@md5:aa",
            "h.io/a:-x",
            "h.io/",
            "h.io//a",
            "",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
