//! `rootfs-archive:` a root filesystem packed in a tar (plain, gzip or zstd), as `tar czf rootfs.tgz
//! -C root .` makes it. It is read as the one layer of an image without a config: through the same
//! one-pass layer reader, identified by the archive's own SHA-256.

use std::cell::Cell;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::layer::{apply, read_layer, ReadCx};
use super::stream::{digest_string, ProgressReader};
use super::vfs::Vfs;
use super::{Progress, Scanned, SourceError, SourceKind, SourceOptions};
use crate::model::{Identity, IdentityRole, Subject, SubjectKind};

pub fn read(
    path: &Path,
    opts: &SourceOptions,
    cx: &ReadCx<'_>,
    progress: &dyn Progress,
) -> Result<Scanned, SourceError> {
    super::no_platform(path, SourceKind::RootfsArchive, opts)?;
    let file_name = path.display().to_string();
    let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    progress.start(total);
    let pos = Cell::new(0u64);
    let reader = BufReader::new(ProgressReader::new(file, progress, &pos));
    let rec = read_layer(reader, cx, &file_name, "(root filesystem)")?;
    progress.finish();
    if rec.entries.is_empty() && rec.plain.is_empty() {
        return Err(SourceError::invalid(
            path,
            "an empty tar archive: no files to describe",
        ));
    }
    let mut fs = Vfs::new();
    let mut warnings = Vec::new();
    apply(&mut fs, 0, &rec, &file_name, true, &mut warnings);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file_name.clone());
    let subject = Subject {
        kind: SubjectKind::Directory,
        name,
        identities: vec![Identity {
            role: IdentityRole::File,
            digest: digest_string(&rec.digest),
        }],
        ..Subject::default()
    };
    Ok(Scanned {
        subject,
        fs,
        warnings,
        image: None,
        notices: Vec::new(),
    })
}
