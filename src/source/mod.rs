//! Sources: turn what the user points at (an image archive, an OCI layout, a folder, a file) into a
//! [`Vfs`] plus a description of the subject. Layers are streamed once; nothing is extracted to disk.

pub mod archive;
pub mod cache;
mod dir;
mod file;
pub mod image;
pub mod interest;
pub mod layer;
pub mod registry;
mod rootfs;
mod sniff;
mod spool;
pub mod stream;
pub mod vfs;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::limits::{Budget, Limits};
use crate::model::Subject;
pub use image::{Picked, Selection};
pub use interest::{Digests, EntryFacts, EntryType, Interest, Slots, Wants};
pub use vfs::{display_path, Node, NodeKind, Summaries, Summary, Vfs};

/// The kinds of input `generate` accepts, named by their scheme prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `docker-archive:` a `docker save` tar, optionally gzip-compressed as a whole.
    DockerArchive,
    /// `oci-archive:` an OCI image layout packed in a tar.
    OciArchive,
    /// `oci-dir:` an OCI image layout folder.
    OciDir,
    /// `dir:` a root filesystem folder.
    Dir,
    /// `file:` a single file (a package database, a binary, anything).
    File,
    /// `rootfs-archive:` a root filesystem packed in a tar (`tar czf rootfs.tgz -C root .`),
    /// read as one layer.
    RootfsArchive,
    /// `registry:HOST[:PORT]/REPO[:TAG|@sha256:HEX]` an image in a registry.
    Registry,
}

impl SourceKind {
    pub const ALL: [SourceKind; 7] = [
        SourceKind::DockerArchive,
        SourceKind::OciArchive,
        SourceKind::OciDir,
        SourceKind::Dir,
        SourceKind::File,
        SourceKind::RootfsArchive,
        SourceKind::Registry,
    ];

    pub fn scheme(self) -> &'static str {
        match self {
            SourceKind::DockerArchive => "docker-archive",
            SourceKind::OciArchive => "oci-archive",
            SourceKind::OciDir => "oci-dir",
            SourceKind::Dir => "dir",
            SourceKind::File => "file",
            SourceKind::RootfsArchive => "rootfs-archive",
            SourceKind::Registry => "registry",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme())
    }
}

/// A source as the user wrote it: an optional scheme and a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub kind: Option<SourceKind>,
    pub path: PathBuf,
}

impl SourceSpec {
    /// Splits `scheme:path`. A prefix that is not a known scheme is part of the path.
    pub fn parse(arg: &str) -> SourceSpec {
        for kind in SourceKind::ALL {
            if let Some(rest) = arg
                .strip_prefix(kind.scheme())
                .and_then(|r| r.strip_prefix(':'))
            {
                return SourceSpec {
                    kind: Some(kind),
                    path: PathBuf::from(rest),
                };
            }
        }
        SourceSpec {
            kind: None,
            path: PathBuf::from(arg),
        }
    }
}

/// Choices the user makes about a source.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// `--image NAME:TAG`: which image of a multi-image archive.
    pub image: Option<String>,
    /// `--platform os/arch[/variant]`: which manifest of an image index.
    pub platform: Option<String>,
    pub limits: Limits,
    /// How `registry:` sources are reached: trusted CAs, plain-HTTP hosts, timeout, credentials.
    pub registry: registry::ClientOptions,
    /// The layer cache folder for `registry:` sources (`--cache-dir`); `None`: no cache.
    pub cache: Option<PathBuf>,
}

/// What a source produced: the subject's description and its final filesystem.
#[derive(Debug)]
pub struct Scanned {
    pub subject: Subject,
    pub fs: Vfs,
    /// Non-fatal problems met while reading (a layer entry skipped, an odd link), each naming its file.
    pub warnings: Vec<String>,
    /// An image's own description, for what reads more than the SBOM does (`audit`).
    pub image: Option<ImageMeta>,
    /// About this run, not the input (a layer cache entry rewritten or not stored): shown to the
    /// user, never written into a document, which is the same with or without a cache.
    pub notices: Vec<String>,
}

/// An image's config and manifest annotations, as recorded.
#[derive(Debug, Clone, Default)]
pub struct ImageMeta {
    /// The config JSON, exactly as stored.
    pub config: Vec<u8>,
    /// The manifest's annotations (`org.opencontainers.image.base.name`, ...); none for `docker save`.
    pub annotations: std::collections::BTreeMap<String, String>,
}

impl Picked {
    /// A source of one image or none: nothing to choose.
    fn one(scanned: Scanned) -> Picked {
        Picked {
            images: vec![scanned],
            index: None,
            note: None,
        }
    }
}

/// Progress callbacks while layers are read (bytes of the stored input consumed so far).
pub trait Progress: Sync {
    /// Reading starts (or starts again) at byte 0 of `total_bytes`.
    fn start(&self, _total_bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Errors from reading a source. Each names the file (and the entry or offset) it concerns.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// A registry could not be reached or refused a request; the message names the host.
    #[error("{0}")]
    Registry(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: archive holds several images, choose one with --image: {}", choices.join(", "))]
    AmbiguousImage { path: String, choices: Vec<String> },
    #[error("{path}: no image matches `{wanted}`; the archive holds: {}", choices.join(", "))]
    NoSuchImage {
        path: String,
        wanted: String,
        choices: Vec<String>,
    },
    #[error("{path}: no manifest for platform `{wanted}`; available: {}", choices.join(", "))]
    NoSuchPlatform {
        path: String,
        wanted: String,
        choices: Vec<String>,
    },
    #[error("{path}: the image has several platforms, choose one with --platform: {}", choices.join(", "))]
    AmbiguousPlatform { path: String, choices: Vec<String> },
    #[error("{path}: --platform {wanted} does not match the image, which is {actual} (a single-platform image)")]
    PlatformMismatch {
        path: String,
        wanted: String,
        actual: String,
    },
    #[error("{path}: --platform {wanted}: a {kind}: source has no platform to choose (only an image does); leave --platform out")]
    NoPlatform {
        path: String,
        kind: SourceKind,
        wanted: String,
    },
    #[error("{path}: layer {layer}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        path: String,
        layer: String,
        expected: String,
        actual: String,
    },
    #[error("{path}: {what} exceeds the limit of {limit} (raise it with {flag})")]
    Limit {
        path: String,
        what: String,
        limit: u64,
        flag: &'static str,
    },
}

impl SourceError {
    pub fn invalid(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        SourceError::Invalid {
            path: path.as_ref().display().to_string(),
            message: message.into(),
        }
    }
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        SourceError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
    /// A limit gone over while reading `path`.
    pub fn over(path: impl Into<String>, e: &crate::limits::Exceeded) -> Self {
        SourceError::Limit {
            path: path.into(),
            what: e.what(),
            limit: e.limit(),
            flag: e.flag(),
        }
    }
}

/// Opens the source `spec` and reads it to its final filesystem, as `interest` asks: files it keeps
/// keep their content, files its readers want are read whole once and summarised on their [`Node`]
/// ([`Node::summaries`]), and files get the digests it asks for.
pub fn open(
    spec: &SourceSpec,
    opts: &SourceOptions,
    interest: &Interest<'_>,
    progress: &dyn Progress,
) -> Result<Scanned, SourceError> {
    let mut picked = open_each(spec, opts, interest, progress)?;
    match picked.images.len() {
        1 => Ok(picked.images.remove(0)),
        n => Err(SourceError::invalid(
            &spec.path,
            format!(
                "--platform chooses {n} images of the index ({}); this reads one: choose one \
                 platform",
                picked
                    .images
                    .iter()
                    .filter_map(|s| s.subject.platform.as_ref().map(|p| p.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// As [`open`], for every image `--platform` chooses of an image index (`all`, a list, or the
/// host's platform when left out), each read as it alone would be; layers they share are read once.
pub fn open_each(
    spec: &SourceSpec,
    opts: &SourceOptions,
    interest: &Interest<'_>,
    progress: &dyn Progress,
) -> Result<Picked, SourceError> {
    let budget = Budget::new(opts.limits);
    let cx = layer::ReadCx {
        interest: *interest,
        budget: &budget,
    };
    if spec.kind == Some(SourceKind::Registry) {
        return registry::open(&spec.path.to_string_lossy(), opts, &cx, progress);
    }
    let path = spec.path.as_path();
    let meta = std::fs::metadata(path).map_err(|e| SourceError::io(path, e))?;
    let is_layout = |p: &Path| p.join("oci-layout").is_file() && p.join("index.json").is_file();
    let kind = match spec.kind {
        Some(k) => k,
        None if meta.is_dir() => {
            if is_layout(path) {
                SourceKind::OciDir
            } else {
                SourceKind::Dir
            }
        }
        None => {
            let head = file_head(path, file::SNIFF_LEN)?;
            if archive::sniff_file(&head) {
                return open_archive(path, None, opts, &cx, progress);
            }
            // A bare package database is the one plain file described without `file:`.
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if !file::is_package_db(&head, name.as_deref().unwrap_or_default()) {
                return Err(SourceError::invalid(
                    path,
                    format!(
                        "not an image archive, OCI layout, folder or package database: {}; \
                         to describe this one file on purpose, use file:{}",
                        sniff::what(&head),
                        path.display()
                    ),
                ));
            }
            SourceKind::File
        }
    };
    if matches!(kind, SourceKind::Dir | SourceKind::File) {
        no_platform(path, kind, opts)?;
    }
    let name = path.display().to_string();
    match kind {
        SourceKind::Registry => registry::open(&spec.path.to_string_lossy(), opts, &cx, progress),
        SourceKind::OciDir => {
            if !meta.is_dir() || !is_layout(path) {
                return Err(SourceError::invalid(
                    path,
                    "not an OCI image layout folder (needs oci-layout and index.json)",
                ));
            }
            let mut blobs = image::DirBlobs {
                root: path.to_path_buf(),
                file: name,
                cx: &cx,
                progress,
                ready: Default::default(),
            };
            image::oci(&mut blobs, path, opts, &cx)
        }
        SourceKind::Dir => {
            if !meta.is_dir() {
                return Err(SourceError::invalid(path, "not a folder (dir: needs one)"));
            }
            dir::read(path, &cx, progress).map(Picked::one)
        }
        SourceKind::File => {
            if !meta.is_file() {
                return Err(SourceError::invalid(
                    path,
                    "not a regular file (file: needs one)",
                ));
            }
            file::read(path, &cx, progress).map(Picked::one)
        }
        SourceKind::DockerArchive | SourceKind::OciArchive | SourceKind::RootfsArchive => {
            if !meta.is_file() {
                return Err(SourceError::invalid(
                    path,
                    format!("not a file ({kind}: needs a tar archive)"),
                ));
            }
            if !archive::sniff_file(&file_head(path, 512)?) {
                return Err(SourceError::invalid(
                    path,
                    format!("not a tar archive (nor gzip or zstd), so not a {kind}"),
                ));
            }
            open_archive(path, Some(kind), opts, &cx, progress)
        }
    }
}

fn file_head(path: &Path, n: usize) -> Result<Vec<u8>, SourceError> {
    let f = std::fs::File::open(path).map_err(|e| SourceError::io(path, e))?;
    stream::read_head(&mut f.take(n as u64), n).map_err(|e| SourceError::io(path, e))
}

/// Reads an image archive; `kind` is what the user asked for, `None` to decide from its content.
fn open_archive(
    path: &Path,
    kind: Option<SourceKind>,
    opts: &SourceOptions,
    cx: &layer::ReadCx<'_>,
    progress: &dyn Progress,
) -> Result<Picked, SourceError> {
    if kind == Some(SourceKind::RootfsArchive) {
        return rootfs::read(path, opts, cx, progress).map(Picked::one);
    }
    if kind.is_none() {
        match archive::shape(path, cx)? {
            archive::Shape::Image => {}
            archive::Shape::RootFs => {
                return rootfs::read(path, opts, cx, progress).map(Picked::one)
            }
            archive::Shape::Empty => {
                return Err(SourceError::invalid(
                    path,
                    "an empty tar archive: no image and no files to describe",
                ))
            }
            archive::Shape::Other(names) => {
                return Err(SourceError::invalid(
                    path,
                    format!(
                        "a tar archive that is neither an image (no manifest.json, oci-layout or \
                         index.json) nor a root filesystem (no etc/, usr/, lib/, ...): it holds {}; \
                         use rootfs-archive:{} to read it as a root filesystem anyway",
                        names.join(", "),
                        path.display()
                    ),
                ))
            }
        }
    }
    let name = path.display().to_string();
    let mut contents = archive::read(path, cx, progress)?;
    let is_oci = contents.has("oci-layout");
    let is_docker = contents.has("manifest.json");
    let chosen =
        match kind {
            Some(SourceKind::DockerArchive) if !is_docker => {
                return Err(SourceError::invalid(
                    path,
                    "not a docker-archive: no manifest.json in the archive",
                ))
            }
            Some(SourceKind::OciArchive) if !is_oci => {
                return Err(SourceError::invalid(
                    path,
                    "not an oci-archive: no oci-layout in the archive",
                ))
            }
            Some(k) => k,
            // Newer `docker save` writes both: the OCI reading knows the manifest digest.
            None if is_oci => SourceKind::OciArchive,
            None if is_docker => SourceKind::DockerArchive,
            None if contents.has("index.json") => SourceKind::OciArchive,
            None => return Err(SourceError::invalid(
                path,
                "not an image archive: no manifest.json, oci-layout or index.json in the archive",
            )),
        };
    let mut blobs = image::ArchiveBlobs {
        file: name,
        contents: &mut contents,
    };
    if chosen == SourceKind::DockerArchive {
        // One image, one platform: a --platform that is not its own is an error, not ignored.
        let scanned = image::docker(&mut blobs, path, opts, cx)?;
        image::check_platform(path, opts, scanned.subject.platform.as_ref())?;
        Ok(Picked::one(scanned))
    } else {
        image::oci(&mut blobs, path, opts, cx)
    }
}

/// A source without platforms (a folder, a file, a root filesystem) refuses `--platform`.
fn no_platform(path: &Path, kind: SourceKind, opts: &SourceOptions) -> Result<(), SourceError> {
    match &opts.platform {
        Some(wanted) => Err(SourceError::NoPlatform {
            path: path.display().to_string(),
            kind,
            wanted: wanted.clone(),
        }),
        None => Ok(()),
    }
}
