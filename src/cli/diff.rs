//! `sbomkit diff`: load both sides (scan or SBOM), print the comparison, exit 3 when a gate rule
//! tripped.

use std::io::{self, IsTerminal};

use sbomkit::diff::{self, text::Style};
use sbomkit::exclude::Exclude;
use sbomkit::scan::{ScanOptions, Scope};
use sbomkit::source::{Progress, SourceOptions};
use sbomkit::{Error, ExitCode};

use super::args::{DiffArgs, DiffFormatArg};
use super::output::{self, Bar};

pub fn run(args: DiffArgs) -> Result<ExitCode, Error> {
    let fail_on = match &args.fail_on {
        Some(list) => diff::parse_rules(list)?,
        None => Vec::new(),
    };
    super::refuse_registry_reference(&args.old)?;
    super::refuse_registry_reference(&args.new)?;
    let opts = ScanOptions {
        source: SourceOptions {
            image: None,
            platform: args.platform.clone(),
            limits: args.limits.limits(),
            registry: super::registry_options(&args.registry),
            // Each side is read once; nothing is worth keeping for a later run.
            cache: None,
        },
        files: false,
        source_date_epoch: None,
        exclude: Exclude::new(&args.exclude)?,
        scope: Scope::default(),
        author: None,
    };
    let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
    let report = diff::diff(&args.old, &args.new, &opts, &fail_on, &bar)?;
    bar.finish();
    if !args.quiet {
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    }
    let text = match args.output {
        DiffFormatArg::Table => diff::text::render(&report, Style::Table),
        DiffFormatArg::Markdown => diff::text::render(&report, Style::Markdown),
        DiffFormatArg::Json => report.to_json(),
    };
    output::emit(None, text.as_bytes())?;
    Ok(match report.tripped.is_empty() {
        true => ExitCode::Success,
        false => ExitCode::GateFailed,
    })
}
