//! `sbomkit generate` (alias `scan`): check the outputs, scan once, write every requested output.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal};
use std::path::PathBuf;

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
    let many = output::many_platforms(args.scan.platform.as_deref());
    if many {
        refuse_untemplated(&outputs)?;
    }
    // Templates are checked under the index document's name, which every run with them may write.
    let first_names: Vec<PathBuf> = outputs
        .iter()
        .filter_map(|o| o.file.as_deref())
        .map(|p| output::expand(p, "index"))
        .collect();
    output::refuse_same_file(first_names.iter().map(PathBuf::as_path))?;
    super::refuse_registry_reference(&args.scan.source)?;
    let opts = ScanOptions {
        source: args.scan.source_options(),
        files: args.files,
        source_date_epoch: super::source_date_epoch()?,
        exclude: args.scan.exclude()?,
        scope: args.scan.scope.into(),
        author: args.scan.author.clone(),
    };
    // Before the scan: a folder that does not exist or cannot be written is found now.
    // A plain file keeps its temporary file through the scan; a template's files are known after.
    let mut held = BTreeMap::new();
    for (p, template) in first_names.iter().zip(
        outputs
            .iter()
            .filter_map(|o| o.file.as_deref())
            .map(output::is_template),
    ) {
        let slot = Pending::reserve(p, Access::Umask)?;
        if !template {
            held.insert(p.clone(), slot);
        }
    }

    let spec = SourceSpec::parse(&args.scan.source);
    let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
    let scans = scan::scan_each(&spec, &opts, &bar)?;
    bar.finish();
    // The scan's working set is gone; the documents are made next.
    sbomkit::memory::release_freed();

    if let Some(note) = scans.sboms.first().and_then(|(_, s)| s.note.as_ref()) {
        if !args.quiet {
            eprintln!("note: {note}");
        }
    }
    for (sbom, stats) in &scans.sboms {
        let platform = match (scans.sboms.len(), &sbom.subject.platform) {
            (1, _) | (_, None) => String::new(),
            (_, Some(p)) => format!("{p}: "),
        };
        if !args.quiet {
            for w in sbom.warnings.iter().chain(&stats.notices) {
                eprintln!("warning: {platform}{w}");
            }
        }
        if args.verbose {
            for (name, n) in &stats.per_cataloger {
                eprintln!("{platform}{name}: {n} packages");
            }
        }
    }
    if args.verbose {
        match super::config::read() {
            Some(p) => eprintln!("config: {}", p.display()),
            None => eprintln!("config: none"),
        }
    }
    if scans.sboms.len() > 1 {
        refuse_untemplated(&outputs)?;
    }

    // Every document is made before any file is touched: all are written, or none.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut to_stdout = None;
    for out in &outputs {
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
        let render = |sbom: &Sbom| -> Result<Vec<u8>, Error> {
            let mut b = Vec::new();
            format::write(sbom, out.format, &wopts, &mut b).map_err(|e| Error::Io {
                path: out
                    .file
                    .as_deref()
                    .map_or_else(|| "<stdout>".into(), |p| p.display().to_string()),
                source: e,
            })?;
            Ok(b)
        };
        match out.file.as_deref() {
            None => to_stdout = Some(render(&scans.sboms[0].0)?),
            Some(p) if !output::is_template(p) => {
                files.push((p.to_path_buf(), render(&scans.sboms[0].0)?))
            }
            Some(template) => {
                let mut docs = Vec::new();
                for (sbom, _) in &scans.sboms {
                    let label = sbom
                        .subject
                        .platform
                        .as_ref()
                        .map(|p| p.label())
                        .ok_or_else(|| {
                            Error::Usage(format!(
                                "{}: {{platform}} in an output name, but {} has no platform",
                                template.display(),
                                args.scan.source
                            ))
                        })?;
                    docs.push((output::expand(template, &label), render(sbom)?));
                }
                if let Some(index) = &scans.index {
                    let path = output::expand(template, "index");
                    let refs: Vec<format::index::PlatformDoc<'_>> = scans
                        .sboms
                        .iter()
                        .zip(&docs)
                        .map(|((sbom, _), (_, bytes))| format::index::PlatformDoc { sbom, bytes })
                        .collect();
                    let created = scans
                        .sboms
                        .iter()
                        .map(|(s, _)| s.created)
                        .max()
                        .unwrap_or(0);
                    let mut b = Vec::new();
                    format::index::write_index(index, &refs, out.format, &wopts, created, &mut b)
                        .map_err(|e| Error::Io {
                        path: path.display().to_string(),
                        source: e,
                    })?;
                    docs.push((path, b));
                }
                files.extend(docs);
            }
        }
    }
    output::refuse_same_file(files.iter().map(|(p, _)| p.as_path()))?;
    let mut pending = files
        .iter()
        .map(|(p, _)| match held.remove(p) {
            Some(slot) => Ok(slot),
            None => Pending::reserve(p, Access::Umask),
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (slot, (_, bytes)) in pending.iter_mut().zip(&files) {
        slot.fill(|w| w.write_all(bytes))?;
    }
    let written: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    for slot in pending {
        slot.persist()?;
    }
    if let Some(bytes) = to_stdout {
        output::to_stdout(|w| w.write_all(&bytes))?;
    }
    if !args.quiet && !written.is_empty() {
        let summary = match scans.sboms.as_slice() {
            [(sbom, _)] => packages_summary(sbom),
            many => format!("{} platforms", many.len()),
        };
        eprintln!("{summary}; wrote {}", written.join(", "));
    }
    Ok(ExitCode::Success)
}

/// Several platforms' documents need a file name each: every output must hold `{platform}`.
fn refuse_untemplated(outputs: &[OutputSpec]) -> Result<(), Error> {
    if outputs
        .iter()
        .any(|o| !o.file.as_deref().is_some_and(output::is_template))
    {
        return Err(Error::Usage(
            "--platform chooses several images: give every output a file name with {platform}, \
             e.g. -o spdx-json=sbom-{platform}.spdx.json (the index document is written where \
             {platform} is `index`)"
                .into(),
        ));
    }
    Ok(())
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
