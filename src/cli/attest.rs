//! `sbomkit attest`: gather the signer and the SBOM (scanning with a progress bar unless a
//! predicate file is given), let the library check, sign and wrap, write the result.

use std::io::{self, IsTerminal};

use sbomkit::attest::flow::{self, Predicate, Request, Signer, Wrapping};
use sbomkit::attest::keyless;
use sbomkit::scan::{self, ScanOptions};
use sbomkit::source::{Progress, SourceSpec};
use sbomkit::{Error, ExitCode};

use super::args::AttestArgs;
use super::output::{self, Bar};

pub fn run(args: AttestArgs) -> Result<ExitCode, Error> {
    // Checked before the scan: a bad key, token or URL should not wait for a large image.
    let signer = signer(&args)?;
    let spec = SourceSpec::parse(&args.scan.source);
    let source = args.scan.source_options();
    let scanned;
    let predicate = match &args.predicate {
        Some(path) => Predicate::File {
            path,
            source: &source,
        },
        None => {
            let opts = ScanOptions {
                source: source.clone(),
                files: false,
                source_date_epoch: super::source_date_epoch()?,
            };
            let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
            let (sbom, _) = scan::scan(&spec, &opts, &bar)?;
            bar.finish();
            if !args.quiet {
                for w in &sbom.warnings {
                    eprintln!("warning: {w}");
                }
            }
            scanned = sbom;
            Predicate::Scanned {
                sbom: &scanned,
                cyclonedx_version: args.cyclonedx_version.into(),
            }
        }
    };
    let document = flow::attest(&Request {
        source: &spec,
        source_label: &args.scan.source,
        predicate,
        format: args.format.map(Into::into),
        signer: &signer,
        wrapping: if args.bundle {
            Wrapping::Bundle
        } else {
            Wrapping::Envelope
        },
    })?;
    output::emit(args.output.as_deref(), &document)?;
    Ok(ExitCode::Success)
}

fn signer(args: &AttestArgs) -> Result<Signer, Error> {
    if let Some(path) = &args.key {
        return Signer::from_key_file(path, || super::password(false));
    }
    let token = match &args.identity_token {
        Some(t) => Some(t.clone()),
        None => std::env::var(keyless::TOKEN_ENV).ok(),
    };
    Signer::keyless(
        token.as_deref(),
        &args.fulcio_url,
        &args.rekor_url,
        args.timestamp_url.as_deref(),
        super::now(),
    )
}
