//! `sbomkit attest`: gather the signer and the SBOM (scanning with a progress bar unless a
//! predicate file is given), let the library check, sign and wrap, write the result.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use sbomkit::attest::flow::{self, Predicate, Request, Signer, Wrapping};
use sbomkit::attest::keyless;
use sbomkit::attest::read_limited;
use sbomkit::attest::sigstore::signing_config::{Log, Services, SigningConfig};
use sbomkit::attest::statement::{self, SbomKind};
use sbomkit::format::index::PlatformDoc;
use sbomkit::format::{CycloneDxVersion, Format};
use sbomkit::posture;
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
    let template = out.file.as_deref().is_some_and(output::is_template);
    let many = output::many_platforms(args.scan.platform.as_deref());
    if (many || template) && args.predicate.is_some() {
        return Err(Error::Usage(
            "--predicate is one document about one image: several platforms or an output \
             with {platform} need a scan"
                .into(),
        ));
    }
    if many && !template && !(out.file.is_none() && attach_to.is_some()) {
        return Err(Error::Usage(MANY_OUTPUTS.into()));
    }
    // A template's folder is checked now; its files are known after the scan.
    let pending = match out.file.as_deref() {
        Some(p) if template => {
            drop(Pending::reserve(
                &output::expand(p, "index"),
                Access::Umask,
            )?);
            None
        }
        Some(p) => Some(Pending::reserve(p, Access::Umask)?),
        None => None,
    };
    let source = args.scan.source_options();
    let mut scanned = None;
    let mut audited = None;
    let predicate = match &args.predicate {
        None if out.posture => {
            let opts = ScanOptions {
                source: source.clone(),
                files: false,
                source_date_epoch: None,
                exclude,
                scope: args.scan.scope.into(),
                // The posture report names no author.
                author: None,
            };
            let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
            let (report, subject) = posture::audit_subject(&spec, &opts, &[], &bar)?;
            bar.finish();
            if !args.quiet {
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
            }
            let (report, subject) = audited.insert((report, subject));
            Predicate::Posture { report, subject }
        }
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
                author: args.scan.author.clone(),
            };
            let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
            let mut scans = scan::scan_each(&spec, &opts, &bar)?;
            bar.finish();
            if !args.quiet {
                if let Some(note) = scans.sboms.first().and_then(|(_, s)| s.note.as_ref()) {
                    eprintln!("note: {note}");
                }
                for (sbom, stats) in &scans.sboms {
                    for w in sbom.warnings.iter().chain(&stats.notices) {
                        eprintln!("warning: {w}");
                    }
                }
            }
            if scans.sboms.len() > 1 || template {
                return each(
                    &args,
                    &spec,
                    &out,
                    scans,
                    &signer,
                    attach_to.as_ref(),
                    &source,
                );
            }
            let (sbom, _) = scans.sboms.remove(0);
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
    if let Some(r) = &attach_to {
        attach(&args, r, &source, &document, "")?;
    }
    Ok(ExitCode::Success)
}

const MANY_OUTPUTS: &str = "--platform chooses several images: give --output-file (or -o \
    FORMAT=FILE) a name with {platform}, e.g. att-{platform}.json (the index's attestation goes \
    where {platform} is `index`), or attach them with --attach";

/// One attestation per platform, each about its own manifest, and one about the index whose
/// predicate is the index document: written where the template says, attached to each manifest.
fn each(
    args: &AttestArgs,
    spec: &SourceSpec,
    out: &Out,
    scans: scan::Scans,
    signer: &Signer,
    attach_to: Option<&Reference>,
    source: &sbomkit::source::SourceOptions,
) -> Result<ExitCode, Error> {
    let template = out.file.as_deref().filter(|p| output::is_template(p));
    if template.is_none() && attach_to.is_none() {
        return Err(Error::Usage(MANY_OUTPUTS.into()));
    }
    let kind = out.kind.unwrap_or(SbomKind::Spdx);
    let cyclonedx_version = out
        .cyclonedx_version
        .unwrap_or(args.cyclonedx_version.into());
    let wrapping = if args.bundle || args.keyless || args.attach.is_some() {
        Wrapping::Bundle
    } else {
        Wrapping::Envelope
    };
    let request = |predicate| Request {
        source: spec,
        source_label: &args.scan.source,
        predicate,
        format: Some(kind),
        signer,
        wrapping,
    };
    // (file label, attestation)
    let mut made: Vec<(String, Vec<u8>)> = Vec::new();
    let mut docs = Vec::new();
    for (sbom, _) in &scans.sboms {
        let label = sbom
            .subject
            .platform
            .as_ref()
            .map(|p| p.label())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{{platform}} in an output name, but {} has no platform",
                    args.scan.source
                ))
            })?;
        made.push((
            label,
            flow::attest(&request(Predicate::Scanned {
                sbom,
                cyclonedx_version,
            }))?,
        ));
        let mut bytes = Vec::new();
        let wopts = sbomkit::format::WriteOptions {
            cyclonedx_version,
            width: None,
        };
        sbomkit::format::write(sbom, flow::format_of(kind), &wopts, &mut bytes).map_err(|e| {
            Error::Io {
                path: "<sbom>".into(),
                source: e,
            }
        })?;
        docs.push(bytes);
    }
    if let Some(index) = &scans.index {
        let refs: Vec<PlatformDoc<'_>> = scans
            .sboms
            .iter()
            .zip(&docs)
            .map(|((sbom, _), bytes)| PlatformDoc { sbom, bytes })
            .collect();
        let created = scans
            .sboms
            .iter()
            .map(|(s, _)| s.created)
            .max()
            .unwrap_or(0);
        made.push((
            "index".into(),
            flow::attest(&request(Predicate::Index {
                index,
                docs: &refs,
                created,
                cyclonedx_version,
            }))?,
        ));
    }
    if let Some(t) = template {
        let paths: Vec<PathBuf> = made.iter().map(|(l, _)| output::expand(t, l)).collect();
        output::refuse_same_file(paths.iter().map(PathBuf::as_path))?;
        let mut pending = paths
            .iter()
            .map(|p| Pending::reserve(p, Access::Umask))
            .collect::<Result<Vec<_>, _>>()?;
        for (slot, (_, doc)) in pending.iter_mut().zip(&made) {
            slot.fill(|w| w.write_all(doc))?;
        }
        for slot in pending {
            slot.persist()?;
        }
        if !args.quiet {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            eprintln!(
                "{} platforms; wrote {}",
                scans.sboms.len(),
                names.join(", ")
            );
        }
    }
    if let Some(r) = attach_to {
        for (label, doc) in &made {
            attach(args, r, source, doc, label)?;
        }
    }
    Ok(ExitCode::Success)
}

/// Pushes one signed bundle beside the manifest its statement names.
fn attach(
    args: &AttestArgs,
    r: &Reference,
    source: &sbomkit::source::SourceOptions,
    document: &[u8],
    label: &str,
) -> Result<(), Error> {
    let client = Client::connect(r.api_host(), &source.registry).map_err(|f| Error::Other(f.0))?;
    let attached = referrers::attach_bundle(
        &client,
        &r.repository,
        document,
        super::source_date_epoch()?,
        source.limits.max_json_size,
    )
    .map_err(|f| Error::Other(f.0))?;
    let legacy = match args.attach {
        Some(AttachArg::CosignLegacy) => Some(
            referrers::attach_cosign_legacy(
                &client,
                &r.repository,
                document,
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
        let what = if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        };
        eprintln!(
            "attached {} to {}@{}{what} ({how})",
            attached.manifest.digest,
            r.repository_url(),
            attached.subject.digest
        );
        if let Some(tag) = legacy {
            eprintln!("and appended it to cosign's {}:{tag}", r.repository_url());
        }
    }
    Ok(())
}

/// What `-o`, `--output-file` and `--type` ask for.
struct Out {
    kind: Option<SbomKind>,
    /// `--type posture`: the `audit` report is the predicate.
    posture: bool,
    cyclonedx_version: Option<CycloneDxVersion>,
    file: Option<PathBuf>,
}

/// `-o FORMAT[=FILE]` as in `generate`; `--output FILE` (its old meaning) still works with a note.
fn output_of(args: &AttestArgs) -> Result<Out, Error> {
    let mut out = Out {
        kind: None,
        posture: false,
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
    if let Some(t) = args
        .predicate_type
        .as_ref()
        .filter(|t| statement::resolve_type(t) == statement::POSTURE)
    {
        if out.kind.is_some() || args.predicate.is_some() {
            return Err(Error::Usage(format!(
                "--type {t} signs the `audit` report of SOURCE: it takes neither -o FORMAT nor --predicate"
            )));
        }
        out.posture = true;
    } else if let Some(t) = &args.predicate_type {
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
    let now = super::now();
    let services = match &args.signing_config {
        Some(path) => SigningConfig::parse(&read_limited(path)?)
            .map_err(|m| Error::Attest {
                code: ExitCode::Malformed,
                message: format!("{}: {m}", path.display()),
            })?
            .choose(now)
            .map_err(|m| Error::Usage(format!("--signing-config {}: {m}", path.display())))?,
        // The flags name a Rekor v1 log.
        None => Services {
            fulcio: args.fulcio_url.clone(),
            logs: vec![Log {
                url: args.rekor_url.clone(),
                version: 1,
            }],
            tsas: args.timestamp_url.iter().cloned().collect(),
        },
    };
    Signer::keyless(token.as_deref(), &services, now)
}
