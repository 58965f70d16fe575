//! Where bytes go: `-o FORMAT[=FILE]`, files written atomically with the user's umask, stdout (a
//! closed pipe is not an error), the progress bar, and errors on stderr.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use std::sync::Mutex;
use std::time::Duration;

use sbomkit::source::Progress;
use sbomkit::Error;

/// `-o FORMAT[@VERSION][=FILE]`, the same in every command: parsed by the library.
pub use sbomkit::format::words::{looks_like_format, parse_output};
pub use sbomkit::format::OutputSpec;

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

/// Whether an error is a closed pipe, however deep a writer wrapped it.
fn is_broken_pipe(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return true;
    }
    let mut cause = e.get_ref().map(|c| c as &(dyn std::error::Error + 'static));
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        if c.to_string().contains("Broken pipe") {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Runs a writer on stdout and flushes it; a closed pipe (`| head`) ends the output quietly.
pub fn to_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    match f(&mut lock).and_then(|_| lock.flush()) {
        Err(e) if is_broken_pipe(&e) => Ok(()),
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
    Pending::reserve(path, access)?.write(f)
}

/// The temporary files not yet renamed into place: removed by the signal handler.
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On SIGINT, SIGTERM or SIGHUP: remove the unfinished outputs, then exit as interrupted.
pub fn remove_temp_files_on_signal() {
    let _ = ctrlc::set_handler(|| {
        let files = match TEMP_FILES.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        for f in files {
            let _ = std::fs::remove_file(f);
        }
        std::process::exit(130);
    });
}

fn unregister(tmp: &Path) {
    let mut g = TEMP_FILES.lock().unwrap_or_else(|p| p.into_inner());
    g.retain(|p| p != tmp);
}

/// An output file whose temporary file exists: created before a scan, so that a folder that does
/// not exist or cannot be written is found before the work, not after it.
pub struct Pending {
    path: PathBuf,
    tmp_path: PathBuf,
    /// `None` once renamed into place.
    tmp: Option<tempfile::NamedTempFile>,
}

impl Pending {
    pub fn reserve(path: &Path, access: Access) -> Result<Pending, Error> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Error::Other(format!(
                "{}: cannot write: the folder {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(Error::Other(format!(
                "{}: cannot write: it is a folder",
                path.display()
            )));
        }
        // Held while the file is created: the signal handler then sees it registered or not created.
        let mut guard = TEMP_FILES.lock().unwrap_or_else(|p| p.into_inner());
        let tmp = temp_file(dir, access).map_err(|e| io_error(path, e))?;
        guard.push(tmp.path().to_path_buf());
        drop(guard);
        Ok(Pending {
            path: path.to_path_buf(),
            tmp_path: tmp.path().to_path_buf(),
            tmp: Some(tmp),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the content and renames the temporary file into place.
    pub fn write(mut self, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
        self.fill(f)?;
        self.persist()
    }

    /// Writes the content into the temporary file only: several outputs are all filled before any
    /// is renamed into place, so that a failure leaves none of them.
    pub fn fill(&mut self, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
        let Some(tmp) = self.tmp.as_mut() else {
            return Ok(());
        };
        let path = &self.path;
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w).map_err(|e| io_error(path, e))?;
        w.flush().map_err(|e| io_error(path, e))
    }

    /// Renames the filled temporary file into place.
    pub fn persist(mut self) -> Result<(), Error> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        tmp.persist(&self.path)
            .map_err(|e| io_error(&self.path, e.error))?;
        Ok(())
    }
}

/// The placeholder `-o FORMAT=TEMPLATE` and `--output-file` take for a platform's name.
pub const PLATFORM: &str = "{platform}";

/// Whether an output file name holds `{platform}`.
pub fn is_template(path: &Path) -> bool {
    path.to_string_lossy().contains(PLATFORM)
}

/// The file name with `{platform}` replaced by a platform's name (`linux-arm64-v8`) or `index`.
pub fn expand(path: &Path, platform: &str) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace(PLATFORM, platform))
}

/// Whether `--platform` asks for more than one image (`all` or a list).
pub fn many_platforms(platform: Option<&str>) -> bool {
    platform.is_some_and(|p| p.trim() == "all" || p.contains(','))
}

impl Drop for Pending {
    fn drop(&mut self) {
        // The temporary file is gone by now (renamed, or removed with the `NamedTempFile`).
        drop(self.tmp.take());
        unregister(&self.tmp_path);
    }
}

/// An I/O error on an output, naming the output and not the temporary file beside it.
fn io_error(path: &Path, e: io::Error) -> Error {
    // tempfile adds ` at path "<temporary file>"` to its errors: the user named the output.
    let text = e.to_string();
    let source = match text.split_once(" at path \"") {
        Some((message, _)) => io::Error::new(e.kind(), message.to_string()),
        None => e,
    };
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Refuses two outputs to one file: the last would silently replace the first.
pub fn refuse_same_file<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), Error> {
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for p in paths {
        let key = same_file_key(p);
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(Error::Usage(format!(
                "two outputs go to one file ({} and {}): give each its own file",
                first.display(),
                p.display()
            )));
        }
        seen.push((key, p));
    }
    Ok(())
}

/// The file a path names, through `.`/`..` and links where the folder exists.
fn same_file_key(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), p.file_name()) {
        (Ok(d), Some(n)) => d.join(n),
        _ => p.to_path_buf(),
    }
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

/// The width of the terminal stdout is, if it is one and its width is known.
pub fn terminal_width() -> Option<usize> {
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
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
                .with_key(
                    "eta",
                    |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        if let Some(eta) = eta(s.pos(), s.len().unwrap_or(0), s.elapsed()) {
                            let _ = write!(w, "{}", indicatif::HumanDuration(eta));
                        }
                    },
                )
                .progress_chars("=> "),
            );
            b
        }))
    }
}

/// Time left at the average rate since reading started; none in the first second (too few bytes
/// to say) or when nothing was read. Reading an archive is I/O at a steady rate, so the average is
/// a fair guess; a smoothed rate that starts from zero overestimates wildly at the start.
fn eta(pos: u64, total: u64, elapsed: Duration) -> Option<Duration> {
    if pos == 0 || elapsed < Duration::from_secs(1) {
        return None;
    }
    let left = total.saturating_sub(pos) as f64;
    Some(elapsed.mul_f64(left / pos as f64))
}

impl Progress for Bar {
    /// The bar's clock starts here, not when it was made: time spent before reading is not
    /// counted against the rate.
    fn start(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
            b.reset();
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
    fn eta_is_the_average_rate_since_reading_started() {
        let s = Duration::from_secs;
        // Nothing read, or too early to tell: no guess.
        assert_eq!(eta(0, 100, s(10)), None);
        assert_eq!(eta(50, 100, Duration::from_millis(900)), None);
        // A fifth of 100 MB in 1 s: 4 s left, not minutes.
        assert_eq!(eta(20_000_000, 100_000_000, s(1)), Some(s(4)));
        assert_eq!(eta(100, 100, s(5)), Some(s(0)));
        // More read than announced (a file that grew): nothing left, not an underflow.
        assert_eq!(eta(120, 100, s(5)), Some(s(0)));
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

    #[test]
    fn an_output_in_a_missing_folder_is_refused_naming_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/out.json");
        let Err(e) = Pending::reserve(&path, Access::Umask) else {
            panic!("reserved");
        };
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn two_spellings_of_one_file_are_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join(".").join("a.json");
        assert!(refuse_same_file([a.as_path(), b.as_path()]).is_err());
        let c = dir.path().join("c.json");
        assert!(refuse_same_file([a.as_path(), c.as_path()]).is_ok());
    }
}
