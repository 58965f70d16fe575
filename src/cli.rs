//! The `sbomkit` command: argument parsing and output plumbing over the library. No scanning logic
//! lives here.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process;

use clap::{Args, Parser, Subcommand};

use crate::error::{Error, ExitCode};
use crate::format::{self, CycloneDxVersion, Format, WriteOptions};
use crate::limits::Limits;
use crate::scan::{self, ScanOptions};
use crate::source::{Progress, SourceOptions, SourceSpec};

const EXIT_CODES: &str = "\
Exit codes:
  0   success
  1   the input could not be read (not an image, corrupt archive, I/O error)
  2   wrong usage
  10  verify: a signature did not verify
  11  verify: the attestation is about another artifact
  12  verify: the predicate has the wrong type or does not validate
  13  verify: the attestation is malformed";

#[derive(Parser, Debug)]
#[command(name = "sbomkit", version, about = "What ships inside a container image, and proof of it", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write an SBOM of an image archive, OCI layout, root folder or package database
    #[command(after_help = GENERATE_HELP)]
    Generate(GenerateArgs),
}

const GENERATE_HELP: &str = "\
Sources (the kind is detected from the path and its first bytes; a prefix forces it):
  docker-archive:PATH   a `docker save` tar, also gzip-compressed
  oci-archive:PATH      an OCI image layout packed in a tar
  oci-dir:PATH          an OCI image layout folder
  dir:PATH              a root filesystem folder
  file:PATH             one file: an APK installed database, a dpkg status file, a binary

Outputs (-o, repeatable; FORMAT=FILE writes to a file, FORMAT alone to stdout):
  spdx-json        SPDX 2.3 JSON
  cyclonedx-json   CycloneDX 1.6 JSON (1.5 with --cyclonedx-version 1.5)
  table            name, version, type and layer of every package
Default: table on a terminal, spdx-json otherwise.

The document's time comes from SOURCE_DATE_EPOCH, else the image config's `created`, else 1970-01-01:
the same input always gives the same bytes.

Exit codes:
  0  success
  1  the input could not be read (not an image, corrupt archive, I/O error)
  2  wrong usage";

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// What to scan: [SCHEME:]PATH
    pub source: String,
    /// Output as FORMAT or FORMAT=FILE; repeat for several outputs from one scan
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=FILE]")]
    pub outputs: Vec<String>,
    /// CycloneDX spec version to write
    #[arg(long, value_name = "VERSION", default_value = "1.6", value_parser = ["1.5", "1.6"])]
    pub cyclonedx_version: String,
    /// Which image of a multi-image archive (NAME:TAG)
    #[arg(long, value_name = "NAME:TAG")]
    pub image: Option<String>,
    /// Which platform of a multi-platform image (os/arch[/variant])
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Record every file packages own, with its SHA-256
    #[arg(long)]
    pub files: bool,
    /// No progress bar, no warnings on stderr
    #[arg(short, long)]
    pub quiet: bool,
    /// Say what each cataloger found
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Limits that protect against hostile images.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most archive entries over all layers
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_entries: u64,
    /// Most bytes read after decompression over all layers
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_decompressed_bytes)]
    pub max_decompressed_bytes: u64,
    /// Largest file whose content is parsed
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_size)]
    pub max_file_size: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_entries: self.max_entries,
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_file_size: self.max_file_size,
            ..Limits::default()
        }
    }
}

/// Entry point of the binary.
pub fn main() -> process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return process::ExitCode::from(if e.use_stderr() {
                ExitCode::Usage as u8
            } else {
                0
            });
        }
    };
    let result = match cli.command {
        Command::Generate(args) => generate(args),
    };
    match result {
        Ok(code) => process::ExitCode::from(code as u8),
        Err(e) => {
            report(&e);
            process::ExitCode::from(e.exit_code() as u8)
        }
    }
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

fn generate(args: GenerateArgs) -> Result<ExitCode, Error> {
    let mut outputs = args
        .outputs
        .iter()
        .map(|s| parse_output(s))
        .collect::<Result<Vec<_>, _>>()?;
    if outputs.is_empty() {
        let format = if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::SpdxJson
        };
        outputs.push(OutputSpec { format, file: None });
    }
    if outputs.iter().filter(|o| o.file.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one output can go to stdout; give the others a file (-o FORMAT=FILE)".into(),
        ));
    }
    let opts = ScanOptions {
        source: SourceOptions {
            image: args.image.clone(),
            platform: args.platform.clone(),
            limits: args.limits.limits(),
        },
        files: args.files,
        source_date_epoch: source_date_epoch()?,
    };
    let spec = SourceSpec::parse(&args.source);
    let show_progress = !args.quiet && io::stderr().is_terminal();
    let bar = Bar::new(show_progress);
    let (sbom, stats) = scan::scan(&spec, &opts, &bar)?;
    bar.finish();

    if !args.quiet {
        for w in &sbom.warnings {
            eprintln!("warning: {w}");
        }
    }
    if args.verbose {
        for (name, n) in &stats.per_cataloger {
            eprintln!("{name}: {n} packages");
        }
    }

    let wopts = WriteOptions {
        cyclonedx_version: match args.cyclonedx_version.as_str() {
            "1.5" => CycloneDxVersion::V1_5,
            _ => CycloneDxVersion::V1_6,
        },
    };
    for out in &outputs {
        match &out.file {
            Some(path) => write_atomically(path, |w| format::write(&sbom, out.format, &wopts, w))?,
            None => {
                let stdout = io::stdout();
                let mut lock = stdout.lock();
                let r =
                    format::write(&sbom, out.format, &wopts, &mut lock).and_then(|_| lock.flush());
                match r {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                    r => r.map_err(|e| Error::Io {
                        path: "<stdout>".into(),
                        source: e,
                    })?,
                }
            }
        }
    }
    Ok(ExitCode::Success)
}

/// `SOURCE_DATE_EPOCH`, if set; an unparsable value is a usage error, not silently ignored.
pub fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH must be whole seconds since 1970, got `{v}`"
            ))
        }),
        _ => Ok(None),
    }
}

/// Writes a file through a temporary file in the same folder, renamed into place only when complete,
/// so a failed run never leaves a half-written document.
pub fn write_atomically(
    path: &Path,
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
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w).map_err(io_err)?;
        w.flush().map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// A progress bar on stderr, only on a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(show: bool) -> Bar {
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
        assert!(parse_output("xml").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
