//! `sbomkit audit`: scan once with the posture cataloger, print the report, exit 3 when a gate
//! rule tripped.

use std::io::{self, IsTerminal};

use sbomkit::posture;
use sbomkit::scan::ScanOptions;
use sbomkit::source::{Progress, SourceSpec};
use sbomkit::{Error, ExitCode};

use super::args::{AuditArgs, AuditFormatArg};
use super::output::{self, Bar};

pub fn run(args: AuditArgs) -> Result<ExitCode, Error> {
    let fail_on = match &args.fail_on {
        Some(list) => posture::parse_rules(list)?,
        None => Vec::new(),
    };
    super::refuse_registry_reference(&args.scan.source)?;
    let opts = ScanOptions {
        source: args.scan.source_options(),
        files: false,
        source_date_epoch: None,
        exclude: args.scan.exclude()?,
        scope: args.scan.scope.into(),
        // The posture report names no author.
        author: None,
    };
    let spec = SourceSpec::parse(&args.scan.source);
    let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
    let report = posture::audit(&spec, &opts, &fail_on, &bar)?;
    bar.finish();
    if !args.quiet {
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    }
    let text = match args.output {
        AuditFormatArg::Table => posture::text::render(&report),
        AuditFormatArg::Json => report.to_json(),
    };
    output::emit(None, text.as_bytes())?;
    Ok(match report.tripped.is_empty() {
        true => ExitCode::Success,
        false => ExitCode::GateFailed,
    })
}
