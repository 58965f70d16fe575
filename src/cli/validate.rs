//! `sbomkit validate`: read the document, check it, print the library's report.

use sbomkit::read::{self, profile};
use sbomkit::{Error, ExitCode};

use super::args::{ValidateArgs, ValidateOutputArg};
use super::output;

pub fn run(args: ValidateArgs) -> Result<ExitCode, Error> {
    let label = args.file.display().to_string();
    let bytes = read::read_bounded(&args.file).map_err(|e| Error::Other(e.to_string()))?;
    let doc = read::parse(&bytes, &label).map_err(|e| Error::Other(e.to_string()))?;
    let report = profile::validate(&doc, &bytes, &label, args.profile.into());
    let text = match args.output {
        ValidateOutputArg::Table => profile::render_text(&report),
        ValidateOutputArg::Json => {
            let mut s = serde_json::to_string_pretty(&report)
                .map_err(|e| Error::Other(format!("cannot render the report: {e}")))?;
            s.push('\n');
            s
        }
    };
    output::emit(None, text.as_bytes())?;
    Ok(match report.holds {
        true => ExitCode::Success,
        false => ExitCode::GateFailed,
    })
}
