//! `sbomkit generate`: scan once, write every requested output.

use std::io::{self, IsTerminal};

use sbomkit::format::{self, Format, WriteOptions};
use sbomkit::scan::{self, ScanOptions};
use sbomkit::source::{Progress, SourceSpec};
use sbomkit::{Error, ExitCode};

use super::args::GenerateArgs;
use super::output::{self, Access, Bar, OutputSpec};

pub fn run(args: GenerateArgs) -> Result<ExitCode, Error> {
    let mut outputs = args
        .outputs
        .iter()
        .map(|s| output::parse_output(s))
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
        source: args.scan.source_options(),
        files: args.files,
        source_date_epoch: super::source_date_epoch()?,
    };
    let spec = SourceSpec::parse(&args.scan.source);
    let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
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
        cyclonedx_version: args.cyclonedx_version.into(),
    };
    for out in &outputs {
        let write = |w: &mut dyn io::Write| format::write(&sbom, out.format, &wopts, w);
        match &out.file {
            Some(path) => output::write_atomically(path, Access::Umask, write)?,
            None => output::to_stdout(write)?,
        }
    }
    Ok(ExitCode::Success)
}
