//! `sbomkit generate` (alias `scan`): check the outputs, scan once, write every requested output.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal};

use sbomkit::format::{self, Format, WriteOptions};
use sbomkit::model::Sbom;
use sbomkit::scan::{self, ScanOptions};
use sbomkit::source::{Progress, SourceSpec};
use sbomkit::{Error, ExitCode};

use super::args::GenerateArgs;
use super::output::{self, Access, Bar, OutputSpec, Pending};

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
        outputs.push(OutputSpec {
            format,
            file: None,
            cyclonedx_version: None,
        });
    }
    if outputs.iter().filter(|o| o.file.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one output can go to stdout; give the others a file (-o FORMAT=FILE)".into(),
        ));
    }
    output::refuse_same_file(outputs.iter().filter_map(|o| o.file.as_deref()))?;
    super::refuse_registry_reference(&args.scan.source)?;
    let opts = ScanOptions {
        source: args.scan.source_options(),
        files: args.files,
        source_date_epoch: super::source_date_epoch()?,
        exclude: args.scan.exclude()?,
        scope: args.scan.scope.into(),
    };
    // Before the scan: a folder that does not exist or cannot be written is found now.
    let mut pending = outputs
        .iter()
        .map(|o| {
            o.file
                .as_deref()
                .map(|p| Pending::reserve(p, Access::Umask))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;

    let spec = SourceSpec::parse(&args.scan.source);
    let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
    let (sbom, stats) = scan::scan(&spec, &opts, &bar)?;
    bar.finish();

    if !args.quiet {
        for w in sbom.warnings.iter().chain(&stats.notices) {
            eprintln!("warning: {w}");
        }
    }
    if args.verbose {
        match super::config::read() {
            Some(p) => eprintln!("config: {}", p.display()),
            None => eprintln!("config: none"),
        }
        for (name, n) in &stats.per_cataloger {
            eprintln!("{name}: {n} packages");
        }
    }

    let mut written = Vec::new();
    for (out, slot) in outputs.iter().zip(pending.iter_mut()) {
        let wopts = WriteOptions {
            cyclonedx_version: out
                .cyclonedx_version
                .unwrap_or(args.cyclonedx_version.into()),
            // Only a terminal gets a fitted table: files and pipes keep whole cells.
            width: match out.file {
                None => output::terminal_width(),
                Some(_) => None,
            },
        };
        let write = |w: &mut dyn io::Write| format::write(&sbom, out.format, &wopts, w);
        match slot.take() {
            Some(file) => {
                written.push(file.path().display().to_string());
                file.write(write)?;
            }
            None => output::to_stdout(write)?,
        }
    }
    if !args.quiet && !written.is_empty() {
        eprintln!("{}; wrote {}", packages_summary(&sbom), written.join(", "));
    }
    Ok(ExitCode::Success)
}

/// How many packages of each type: the start of the line printed after writing files.
pub(super) fn packages_summary(sbom: &Sbom) -> String {
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &sbom.packages {
        *by_kind.entry(p.kind.name).or_default() += 1;
    }
    let kinds = by_kind
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let n = sbom.packages.len();
    match (n, kinds.is_empty()) {
        (1, _) => format!("1 package ({kinds})"),
        (_, true) => format!("{n} packages"),
        _ => format!("{n} packages ({kinds})"),
    }
}
