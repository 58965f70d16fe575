//! Where bytes go: `-o FORMAT[=FILE]`, files written atomically with the user's umask, stdout (a
//! closed pipe is not an error), the progress bar, and errors on stderr.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sbomkit::format::Format;
use sbomkit::source::Progress;
use sbomkit::Error;

/// One `-o` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub file: Option<PathBuf>,
}

pub fn parse_output(s: &str) -> Result<OutputSpec, Error> {
    let (name, file) = match s.split_once('=') {
        Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
        Some((n, _)) => (n, None),
        None => (s, None),
    };
    let format = Format::from_name(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown output format `{name}`; choose one of: {}",
            Format::NAMES.join(", ")
        ))
    })?;
    Ok(OutputSpec { format, file })
}

/// Who may read a file sbomkit writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Whoever the umask lets, as with any file a tool creates: SBOMs, attestations, public keys.
    Umask,
    /// The owner alone, whatever the umask: private keys.
    Owner,
}

/// Writes bytes to a file atomically, or to stdout (a closed pipe is not an error).
pub fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<(), Error> {
    match path {
        Some(p) => write_atomically(p, Access::Umask, |w| w.write_all(bytes)),
        None => to_stdout(|w| w.write_all(bytes)),
    }
}

/// Runs a writer on stdout and flushes it; a closed pipe (`| head`) ends the output quietly.
pub fn to_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    match f(&mut lock).and_then(|_| lock.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| Error::Io {
            path: "<stdout>".into(),
            source: e,
        }),
    }
}

/// Writes a file through a temporary file in the same folder, renamed into place only when complete,
/// so a failed run never leaves a half-written document.
pub fn write_atomically(
    path: &Path,
    access: Access,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = temp_file(dir, access).map_err(io_err)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w).map_err(io_err)?;
        w.flush().map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// The temporary file, created with its final mode: the kernel applies the umask to the mode given at
/// creation, and the rename keeps it.
fn temp_file(dir: &Path, access: Access) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::Umask => 0o666,
            Access::Owner => 0o600,
        };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = access;
    builder.tempfile_in(dir)
}

/// Prints an error and its causes on stderr.
pub fn report(e: &Error) {
    let mut msg = format!("error: {e}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !msg.contains(&text) {
            msg.push_str(&format!("\n  caused by: {text}"));
        }
        cause = c.source();
    }
    eprintln!("{msg}");
}

/// A progress bar on stderr, only on a terminal.
pub struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub fn new(show: bool) -> Bar {
        Bar(show.then(|| {
            let b = indicatif::ProgressBar::hidden();
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        }))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn advance(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs() {
        assert_eq!(
            parse_output("spdx-json=a.json").unwrap(),
            OutputSpec {
                format: Format::SpdxJson,
                file: Some("a.json".into())
            }
        );
        assert_eq!(parse_output("table").unwrap().file, None);
        assert_eq!(parse_output("table=").unwrap().file, None);
        assert!(matches!(parse_output("xml"), Err(Error::Usage(_))));
    }

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let r = write_atomically(&path, Access::Umask, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(matches!(r, Err(Error::Io { .. })));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
