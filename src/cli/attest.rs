//! `sbomkit attest`: gather the signer and the SBOM (scanning with a progress bar unless a
//! predicate file is given), let the library check, sign and wrap, write the result.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use sbomkit::attest::flow::{self, Predicate, Request, Signer, Wrapping};
use sbomkit::attest::keyless;
use sbomkit::attest::statement::{self, SbomKind};
use sbomkit::format::{CycloneDxVersion, Format};
use sbomkit::scan::{self, ScanOptions};
use sbomkit::source::registry::referrers::{self, Placement};
use sbomkit::source::registry::{Client, Reference};
use sbomkit::source::{Progress, SourceKind, SourceSpec};
use sbomkit::{Error, ExitCode};

use super::args::{AttachArg, AttestArgs};
use super::output::{self, Access, Bar, Pending};

pub fn run(args: AttestArgs) -> Result<ExitCode, Error> {
    let out = output_of(&args)?;
    // `--exclude` with `--predicate` is refused by clap; one from the config file is not used.
    let exclude = args.scan.exclude()?;
    // Checked before the scan: a bad key, token, URL or output folder should not wait for a large
    // image.
    let signer = signer(&args)?;
    super::refuse_registry_reference(&args.scan.source)?;
    let spec = SourceSpec::parse(&args.scan.source);
    let attach_to =
        match (args.attach.is_some(), spec.kind) {
            (false, _) => None,
            (true, Some(SourceKind::Registry)) => Some(
                Reference::parse(&spec.path.to_string_lossy())
                    .map_err(|e| Error::Usage(format!("--attach: {e}")))?,
            ),
            (true, _) => return Err(Error::Usage(
                "--attach pushes to a registry: SOURCE must be registry:HOST/REPO[:TAG|@DIGEST]"
                    .into(),
            )),
        };
    let pending = out
        .file
        .as_deref()
        .map(|p| Pending::reserve(p, Access::Umask))
        .transpose()?;
    let source = args.scan.source_options();
    let mut scanned = None;
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
                exclude,
                scope: args.scan.scope.into(),
            };
            let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
            let (sbom, stats) = scan::scan(&spec, &opts, &bar)?;
            bar.finish();
            if !args.quiet {
                for w in sbom.warnings.iter().chain(&stats.notices) {
                    eprintln!("warning: {w}");
                }
            }
            Predicate::Scanned {
                sbom: scanned.insert(sbom),
                cyclonedx_version: out
                    .cyclonedx_version
                    .unwrap_or(args.cyclonedx_version.into()),
            }
        }
    };
    let document = flow::attest(&Request {
        source: &spec,
        source_label: &args.scan.source,
        predicate,
        format: out.kind,
        signer: &signer,
        // A keyless signature is always a bundle: the certificate and log entry go in it; a
        // referrer is a bundle too.
        wrapping: if args.bundle || args.keyless || args.attach.is_some() {
            Wrapping::Bundle
        } else {
            Wrapping::Envelope
        },
    })?;
    match pending {
        Some(file) => {
            let name = file.path().display().to_string();
            file.write(|w| w.write_all(&document))?;
            if !args.quiet {
                let what = if args.bundle || args.keyless {
                    "sigstore bundle"
                } else {
                    "DSSE envelope"
                };
                match &scanned {
                    None => eprintln!("wrote {name} ({what})"),
                    Some(sbom) => eprintln!(
                        "{}; wrote {name} ({what})",
                        super::generate::packages_summary(sbom)
                    ),
                }
            }
        }
        None if attach_to.is_some() => {}
        None => output::emit(None, &document)?,
    }
    if let Some(r) = attach_to {
        let client =
            Client::connect(r.api_host(), &source.registry).map_err(|f| Error::Other(f.0))?;
        let attached = referrers::attach_bundle(
            &client,
            &r.repository,
            &document,
            super::source_date_epoch()?,
            source.limits.max_json_size,
        )
        .map_err(|f| Error::Other(f.0))?;
        let legacy = match args.attach {
            Some(AttachArg::CosignLegacy) => Some(
                referrers::attach_cosign_legacy(
                    &client,
                    &r.repository,
                    &document,
                    &attached.subject,
                    source.limits.max_json_size,
                )
                .map_err(|f| Error::Other(f.0))?,
            ),
            _ => None,
        };
        if !args.quiet {
            let how = match &attached.placement {
                Placement::ReferrersApi => "through the referrers API".to_string(),
                Placement::ReferrersTag(t) => format!("listed in the referrers tag {t}"),
            };
            eprintln!(
                "attached {} to {}@{} ({how})",
                attached.manifest.digest,
                r.repository_url(),
                attached.subject.digest
            );
            if let Some(tag) = legacy {
                eprintln!("and appended it to cosign's {}:{tag}", r.repository_url());
            }
        }
    }
    Ok(ExitCode::Success)
}

/// What `-o`, `--output-file` and `--type` ask for.
struct Out {
    kind: Option<SbomKind>,
    cyclonedx_version: Option<CycloneDxVersion>,
    file: Option<PathBuf>,
}

/// `-o FORMAT[=FILE]` as in `generate`; `--output FILE` (its old meaning) still works with a note.
fn output_of(args: &AttestArgs) -> Result<Out, Error> {
    let mut out = Out {
        kind: None,
        cyclonedx_version: None,
        file: args.output_file.clone(),
    };
    if let Some(f) = args.output_file.as_deref().and_then(|f| f.to_str()) {
        if output::looks_like_format(f) {
            return Err(Error::Usage(format!(
                "`--output-file {f}` names a format, not a file: use `-o {f}` for the format, \
                 `--output-file FILE` for where it goes"
            )));
        }
    }
    let once = |out: &Out| {
        if out.file.is_some() {
            Err(Error::Usage(
                "the output file is given twice: use `-o FORMAT=FILE` or `--output-file FILE`"
                    .into(),
            ))
        } else {
            Ok(())
        }
    };
    // Repeatable so that the old `-o FORMAT --output FILE` still parses.
    for o in &args.output {
        if output::looks_like_format(o) {
            if out.kind.is_some() {
                return Err(Error::Usage(
                    "attest signs one SBOM: give one format with -o".into(),
                ));
            }
            let spec = output::parse_output(o)?;
            spec.require_json()?;
            out.kind =
                Some(match spec.format {
                    Format::SpdxJson | Format::SpdxTagValue => SbomKind::Spdx,
                    Format::Spdx3Json => SbomKind::Spdx3,
                    Format::CycloneDxJson | Format::CycloneDxXml => SbomKind::CycloneDx,
                    Format::Table => return Err(Error::Usage(
                        "attest signs an SBOM: -o takes spdx-json, spdx3-json or cyclonedx-json, \
                         not table"
                            .into(),
                    )),
                });
            out.cyclonedx_version = spec.cyclonedx_version;
            if let Some(f) = spec.file {
                once(&out)?;
                out.file = Some(f);
            }
        } else {
            once(&out)?;
            if !args.quiet {
                eprintln!(
                    "note: `attest --output FILE` is deprecated: -o/--output now takes \
                     FORMAT[=FILE] as in `generate`; use `--output-file {o}`"
                );
            }
            out.file = Some(PathBuf::from(o));
        }
    }
    if let Some(t) = &args.predicate_type {
        let kind = statement::sbom_kind_of_type(t).map_err(Error::Usage)?;
        if out.kind.is_some_and(|k| k != kind) {
            return Err(Error::Usage(format!(
                "--type {t} and -o ask for two formats: give one"
            )));
        }
        out.kind = Some(kind);
    }
    Ok(out)
}

fn signer(args: &AttestArgs) -> Result<Signer, Error> {
    // Both flags given are refused by clap: a key beside --keyless came from the config file or
    // SBOMKIT_KEY, and gives way.
    if let Some(path) = args.key.as_ref().filter(|_| !args.keyless) {
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
