//! Builds real image archives at test time: layer tars from lists of entries (whiteouts included),
//! written as `docker save` archives or OCI image layouts (folder or tar), with plain, gzip or zstd
//! layers. Digests are computed here from the bytes written, independently of the code under test.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// One entry of a layer.
#[derive(Debug, Clone)]
pub enum Item {
    File(&'static str, &'static [u8]),
    /// A file with a path given as raw bytes (written into the header as-is: `..`, `/`, non-UTF-8).
    RawFile(Vec<u8>, Vec<u8>),
    Dir(&'static str),
    Symlink(&'static str, &'static str),
    HardLink(&'static str, &'static str),
    /// `.wh.NAME` for the path given.
    Whiteout(&'static str),
    /// `.wh..wh..opq` inside the folder given.
    Opaque(&'static str),
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// Writes `name` into the header's name field exactly (no checks), for names of at most 100 bytes.
fn raw_name(h: &mut tar::Header, name: &[u8]) {
    let field = &mut h.as_gnu_mut().unwrap().name;
    assert!(name.len() <= field.len(), "raw names must fit the header");
    field.fill(0);
    field[..name.len()].copy_from_slice(name);
}

fn append_raw(b: &mut tar::Builder<Vec<u8>>, mut h: tar::Header, name: &[u8], data: &[u8]) {
    if name.len() <= 100 {
        raw_name(&mut h, name);
        h.set_cksum();
        b.append(&h, data).unwrap();
    } else {
        // Long names go through the GNU long-name extension.
        let p = std::str::from_utf8(name).unwrap();
        b.append_data(&mut h, p, data).unwrap();
    }
}

/// The uncompressed tar of a layer.
pub fn layer_tar(items: &[Item]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for item in items {
        match item {
            Item::File(p, c) => append_raw(
                &mut b,
                header(tar::EntryType::Regular, c.len() as u64, 0o644),
                p.as_bytes(),
                c,
            ),
            Item::RawFile(p, c) => append_raw(
                &mut b,
                header(tar::EntryType::Regular, c.len() as u64, 0o644),
                p,
                c,
            ),
            Item::Dir(p) => append_raw(
                &mut b,
                header(tar::EntryType::Directory, 0, 0o755),
                format!("{p}/").as_bytes(),
                &[],
            ),
            Item::Symlink(p, t) => {
                let mut h = header(tar::EntryType::Symlink, 0, 0o777);
                h.set_link_name_literal(t).unwrap();
                append_raw(&mut b, h, p.as_bytes(), &[]);
            }
            Item::HardLink(p, t) => {
                let mut h = header(tar::EntryType::Link, 0, 0o644);
                h.set_link_name_literal(t).unwrap();
                append_raw(&mut b, h, p.as_bytes(), &[]);
            }
            Item::Whiteout(p) => {
                let (dir, name) = match p.rsplit_once('/') {
                    Some((d, n)) => (format!("{d}/"), n),
                    None => (String::new(), *p),
                };
                let path = format!("{dir}.wh.{name}");
                append_raw(
                    &mut b,
                    header(tar::EntryType::Regular, 0, 0o644),
                    path.as_bytes(),
                    &[],
                );
            }
            Item::Opaque(d) => {
                let path = format!("{d}/.wh..wh..opq");
                append_raw(
                    &mut b,
                    header(tar::EntryType::Regular, 0, 0o644),
                    path.as_bytes(),
                    &[],
                );
            }
        }
    }
    b.into_inner().unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comp {
    None,
    Gzip,
    Zstd,
}

pub fn compress(data: &[u8], c: Comp) -> Vec<u8> {
    match c {
        Comp::None => data.to_vec(),
        Comp::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Comp::Zstd => zstd::encode_all(data, 3).unwrap(),
    }
}

/// One layer: its tar and how it is stored.
#[derive(Debug, Clone)]
pub struct BuiltLayer {
    pub tar: Vec<u8>,
    pub stored: Vec<u8>,
    pub comp: Comp,
}

impl BuiltLayer {
    pub fn new(items: &[Item], comp: Comp) -> Self {
        let tar = layer_tar(items);
        let stored = compress(&tar, comp);
        BuiltLayer { tar, stored, comp }
    }
    pub fn diff_id(&self) -> String {
        digest(&self.tar)
    }
    pub fn oci_media_type(&self) -> &'static str {
        match self.comp {
            Comp::None => "application/vnd.oci.image.layer.v1.tar",
            Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Comp::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// An image: layers and the config facts.
#[derive(Debug, Clone)]
pub struct Image {
    pub layers: Vec<BuiltLayer>,
    pub os: &'static str,
    pub arch: &'static str,
    pub variant: Option<&'static str>,
    pub created: &'static str,
    /// Replaces the diff_ids written in the config (to build inconsistent images).
    pub diff_ids: Option<Vec<String>>,
    /// Replaces every layer's media type in an OCI manifest.
    pub media_type: Option<&'static str>,
}

impl Image {
    pub fn new(layers: Vec<BuiltLayer>) -> Self {
        Image {
            layers,
            os: "linux",
            arch: "amd64",
            variant: None,
            created: "2024-01-02T03:04:05Z",
            diff_ids: None,
            media_type: None,
        }
    }
    pub fn platform(
        mut self,
        os: &'static str,
        arch: &'static str,
        variant: Option<&'static str>,
    ) -> Self {
        self.os = os;
        self.arch = arch;
        self.variant = variant;
        self
    }
    pub fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self
            .diff_ids
            .clone()
            .unwrap_or_else(|| self.layers.iter().map(BuiltLayer::diff_id).collect());
        let mut c = json!({
            "architecture": self.arch,
            "os": self.os,
            "created": self.created,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        if let Some(v) = self.variant {
            c["variant"] = json!(v);
        }
        serde_json::to_vec(&c).unwrap()
    }
}

/// Files of an archive or folder, by path. Written in path order.
#[derive(Debug, Clone, Default)]
pub struct Files(pub BTreeMap<String, Vec<u8>>);

impl Files {
    pub fn to_tar(&self) -> Vec<u8> {
        self.to_tar_in(self.0.keys().cloned().collect())
    }
    /// The same archive with entries in reverse path order.
    pub fn to_tar_reversed(&self) -> Vec<u8> {
        self.to_tar_in(self.0.keys().rev().cloned().collect())
    }
    fn to_tar_in(&self, order: Vec<String>) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for k in order {
            let v = &self.0[&k];
            let mut h = header(tar::EntryType::Regular, v.len() as u64, 0o644);
            b.append_data(&mut h, &k, v.as_slice()).unwrap();
        }
        b.into_inner().unwrap()
    }
    pub fn write_dir(&self, root: &Path) {
        for (k, v) in &self.0 {
            let p = root.join(k);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, v).unwrap();
        }
    }
}

/// A `docker save` archive in the legacy layout: `<id>/layer.tar`, `<config digest>.json`,
/// `manifest.json`, `repositories`.
#[derive(Debug, Default)]
pub struct DockerArchive {
    pub files: Files,
    manifest: Vec<Value>,
}

impl DockerArchive {
    pub fn add(&mut self, img: &Image, tags: &[&str]) -> &mut Self {
        let config = img.config();
        let config_name = format!("{}.json", sha256_hex(&config));
        let mut layers = Vec::new();
        for l in &img.layers {
            // The legacy layer folder is named by an id unrelated to any digest of the blob.
            let id = sha256_hex(format!("id-{}", sha256_hex(&l.stored)).as_bytes());
            let name = format!("{id}/layer.tar");
            self.files.0.insert(name.clone(), l.stored.clone());
            self.files
                .0
                .insert(format!("{id}/VERSION"), b"1.0".to_vec());
            layers.push(name);
        }
        self.files.0.insert(config_name.clone(), config);
        self.manifest
            .push(json!({"Config": config_name, "RepoTags": tags, "Layers": layers}));
        self
    }
    pub fn files(&self) -> Files {
        let mut f = self.files.clone();
        f.0.insert(
            "manifest.json".into(),
            serde_json::to_vec(&self.manifest).unwrap(),
        );
        f.0.insert("repositories".into(), b"{}".to_vec());
        f
    }
}

/// An OCI image layout being written.
#[derive(Debug)]
pub struct OciLayout {
    pub files: Files,
    pub index: Vec<Value>,
}

impl Default for OciLayout {
    fn default() -> Self {
        let mut files = Files::default();
        files.0.insert(
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        );
        OciLayout {
            files,
            index: Vec::new(),
        }
    }
}

impl OciLayout {
    pub fn blob(&mut self, bytes: &[u8]) -> (String, usize) {
        self.files.0.insert(
            format!("blobs/sha256/{}", sha256_hex(bytes)),
            bytes.to_vec(),
        );
        (digest(bytes), bytes.len())
    }
    /// Writes the image's blobs and returns (manifest descriptor without platform, manifest bytes).
    pub fn image(&mut self, img: &Image) -> (Value, Vec<u8>) {
        let config = img.config();
        let (cd, cs) = self.blob(&config);
        let mut layers = Vec::new();
        for l in &img.layers {
            let (d, s) = self.blob(&l.stored);
            layers.push(json!({
                "mediaType": img.media_type.unwrap_or(l.oci_media_type()),
                "digest": d,
                "size": s,
            }));
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": layers,
        }))
        .unwrap();
        let (md, ms) = self.blob(&manifest);
        (
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms}),
            manifest,
        )
    }
    /// A manifest descriptor with the image's platform.
    pub fn platform_image(&mut self, img: &Image) -> (Value, Vec<u8>) {
        let (mut d, m) = self.image(img);
        let mut p = json!({"os": img.os, "architecture": img.arch});
        if let Some(v) = img.variant {
            p["variant"] = json!(v);
        }
        d["platform"] = p;
        (d, m)
    }
    /// An attestation manifest as BuildKit writes it, attached to `subject_digest`.
    pub fn attestation(&mut self, subject_digest: &str) -> Value {
        let stmt = br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#;
        let (sd, ss) = self.blob(stmt);
        let config = br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#;
        let (cd, cs) = self.blob(config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": sd, "size": ss}],
        }))
        .unwrap();
        let (md, ms) = self.blob(&manifest);
        json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md,
            "size": ms,
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {
                "vnd.docker.reference.type": "attestation-manifest",
                "vnd.docker.reference.digest": subject_digest,
            },
        })
    }
    /// An image index blob over `manifests`; returns its descriptor.
    pub fn nested_index(&mut self, manifests: Vec<Value>) -> Value {
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }))
        .unwrap();
        let (d, s) = self.blob(&index);
        json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": s})
    }
    pub fn files(&self) -> Files {
        let mut f = self.files.clone();
        f.0.insert(
            "index.json".into(),
            serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": self.index,
            }))
            .unwrap(),
        );
        f
    }
}

/// Annotates a descriptor with a ref name.
pub fn named(mut d: Value, key: &str, name: &str) -> Value {
    d["annotations"] = json!({ key: name });
    d
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    compress(data, Comp::Gzip)
}
