//! `sbomkit convert`: read a document from any tool into the model, write it with the writers.

use std::io;

use sbomkit::format::{self, CycloneDxVersion, Format, WriteOptions};
use sbomkit::read;
use sbomkit::{Error, ExitCode};

use super::args::ConvertArgs;
use super::output::{self, Access, Pending};

pub fn run(args: ConvertArgs) -> Result<ExitCode, Error> {
    let outputs = args
        .outputs
        .iter()
        .map(|s| output::parse_output(s))
        .collect::<Result<Vec<_>, _>>()?;
    if outputs.iter().any(|o| o.format == Format::Table) {
        return Err(Error::Usage(
            "convert writes documents: spdx-json, spdx-tag-value, spdx3-json, cyclonedx-json, cyclonedx-xml"
                .into(),
        ));
    }
    if outputs.iter().filter(|o| o.file.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one output can go to stdout; give the others a file (-o FORMAT=FILE)".into(),
        ));
    }
    output::refuse_same_file(outputs.iter().filter_map(|o| o.file.as_deref()))?;
    // Before reading: a folder that does not exist is found first, and nothing is left behind.
    let mut pending = outputs
        .iter()
        .map(|o| {
            o.file
                .as_deref()
                .map(|p| Pending::reserve(p, Access::Umask))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let doc = read::read_file(&args.input).map_err(|e| Error::Other(e.to_string()))?;
    if !args.quiet {
        for what in &doc.dropped {
            eprintln!(
                "warning: {}: not carried over: {what}",
                args.input.display()
            );
        }
    }
    for (out, slot) in outputs.iter().zip(pending.iter_mut()) {
        let wopts = WriteOptions {
            cyclonedx_version: out.cyclonedx_version.unwrap_or(CycloneDxVersion::V1_7),
            width: None,
        };
        let write = |w: &mut dyn io::Write| format::write(&doc.sbom, out.format, &wopts, w);
        match slot.take() {
            Some(file) => file.write(write)?,
            None => output::to_stdout(write)?,
        }
    }
    Ok(ExitCode::Success)
}
