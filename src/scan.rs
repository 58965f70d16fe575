//! One scan: open the source, run the catalogers phase by phase, assemble the [`Sbom`].

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{self, Context, Found};
use crate::error::Error;
use crate::exclude::Exclude;
use crate::model::{Checksum, FileRecord, HashAlg, Relationship, RelationshipKind, Sbom};
use crate::source::{self, display_path, Progress, SourceOptions, SourceSpec};

/// What the user chose for a scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub source: SourceOptions,
    /// Record every file a package owns (with its digest) in the document.
    pub files: bool,
    /// `SOURCE_DATE_EPOCH`: the document's creation time; wins over the image's `created`.
    pub source_date_epoch: Option<i64>,
    /// `--exclude`: paths neither catalogued nor listed, each recorded as an unknown.
    pub exclude: Exclude,
    /// `--scope`: the final image only, or also what earlier layers installed and later ones removed.
    pub scope: Scope,
}

/// Which packages a scan of an image lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Those of the final image (what every layer applied gives).
    #[default]
    Squashed,
    /// Also the packages an OS package database listed in an earlier layer and no longer lists in
    /// the final image, marked with the layer that removed them ([`crate::model::Package::removed_in`]).
    AllLayers,
}

impl Scope {
    /// As `--scope` and the config file spell it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Squashed => "squashed",
            Scope::AllLayers => "all-layers",
        }
    }
}

/// What each cataloger found, for `-v`.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub per_cataloger: Vec<(&'static str, usize)>,
    /// About this run, not the subject (the layer cache): for the user, not the document.
    pub notices: Vec<String>,
}

/// Scans `spec` and returns the document with per-cataloger counts.
pub fn scan(
    spec: &SourceSpec,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<(Sbom, Stats), Error> {
    let catalogers = catalog::Catalogers::registered();
    let interest = catalogers.interest(opts.files);
    let excluding = opts.exclude.interest(&catalogers);
    let interest = match opts.exclude.is_empty() {
        true => interest,
        false => excluding.as_interest(&interest),
    };
    let mut scanned = source::open(spec, &opts.source, &interest, progress)?;
    let (excluded, exclude_warnings) = opts.exclude.apply(&mut scanned.fs);
    let distro = catalog::read_distro(&scanned.fs);

    let mut stats = Stats {
        notices: std::mem::take(&mut scanned.notices),
        ..Stats::default()
    };
    let mut all = Found::default();
    let mut owners: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    for phase in catalogers.phases() {
        let mut found_in_phase = Found::default();
        for (slot, cataloger) in phase {
            let found = cataloger.catalog(&Context {
                fs: &scanned.fs,
                subject: &scanned.subject,
                distro: distro.as_ref(),
                owners: &owners,
                slot,
                all_layers: opts.scope == Scope::AllLayers,
            });
            stats
                .per_cataloger
                .push((cataloger.name(), found.packages.len()));
            found_in_phase.extend(found);
        }
        for o in &found_in_phase.owned {
            owners
                .entry(source::vfs::normalize(&o.path))
                .or_insert_with(|| o.package.clone());
        }
        all.extend(found_in_phase);
    }

    let mut sbom = Sbom {
        subject: scanned.subject,
        distro,
        packages: all.packages,
        files_partial: !opts.files && !all.files.is_empty(),
        files: all.files,
        relationships: all.relationships,
        warnings: scanned.warnings,
        unknowns: all.unknowns,
        created: 0,
    };
    sbom.warnings.extend(all.warnings);
    sbom.warnings.extend(exclude_warnings);
    sbom.unknowns.extend(excluded);
    let index: BTreeMap<String, usize> = sbom
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    for (id, key, value) in all.package_properties {
        if let Some(p) = index.get(&id).and_then(|&i| sbom.packages.get_mut(i)) {
            p.properties.entry(key).or_insert(value);
        }
    }

    if sbom.subject.layers.is_empty() {
        for p in &mut sbom.packages {
            p.layer = None;
            p.removed_in = None;
        }
    }

    if opts.files {
        add_owned_files(&mut sbom, &all.owned, &scanned.fs);
    }

    // Whatever no package contains hangs directly under the subject; what the operating system
    // contains is installed in the image, and the subject contains it too.
    let os = sbom.os_ids();
    let contained: BTreeSet<String> = sbom
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::Contains && r.from != Relationship::SUBJECT)
        .filter(|r| !os.contains(r.from.as_str()))
        .map(|r| r.to.clone())
        .collect();
    let top: Vec<String> = sbom
        .packages
        .iter()
        // A package removed in a later layer is not in the image.
        .filter(|p| !contained.contains(&p.id) && p.removed_in.is_none())
        .map(|p| p.id.clone())
        .collect();
    for id in top {
        sbom.relationships.push(Relationship::new(
            Relationship::SUBJECT,
            RelationshipKind::Contains,
            id,
        ));
    }

    sbom.created = opts
        .source_date_epoch
        .or_else(|| sbom.subject.created_unix())
        .unwrap_or(0);
    sbom.normalize();
    Ok((sbom, stats))
}

fn add_owned_files(sbom: &mut Sbom, owned: &[catalog::Owned], fs: &source::Vfs) {
    let mut ids: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let mut warnings = Vec::new();
    // Files catalogers recorded already, by id.
    let recorded: BTreeMap<String, usize> = sbom
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone(), i))
        .collect();
    for o in owned {
        // Links in the folders are followed (merged /usr), a link named by the database is not: it
        // is the package's link, not the file it points to.
        let Some(canonical) = fs.resolve_parent(&o.path) else {
            continue; // listed by the database but not in the image
        };
        let Some(node) = fs.get(&canonical).filter(|n| n.is_file()) else {
            continue; // a folder, a link, or gone
        };
        let file_id = format!("file:{}", display_path(&canonical));
        if let Some(existing) = recorded.get(&file_id).and_then(|&i| sbom.files.get_mut(i)) {
            // Recorded by a cataloger already (an ELF file): add what the database records.
            for c in &o.checksums {
                if c.alg != HashAlg::Sha1
                    && !existing.other_checksums.iter().any(|e| e.alg == c.alg)
                {
                    existing.other_checksums.push(c.clone());
                }
            }
            existing.other_checksums.sort();
            ids.insert(canonical.clone(), file_id.clone());
            sbom.relationships.push(Relationship::new(
                o.package.clone(),
                RelationshipKind::Contains,
                file_id,
            ));
            continue;
        }
        let id = ids
            .entry(canonical.clone())
            .or_insert_with(|| {
                let id = format!("file:{}", display_path(&canonical));
                let mut checksums = o.checksums.clone();
                if let Some(sha1) = node.sha1.map(hex::encode) {
                    // The content wins over the database; a difference is worth telling.
                    if let Some(recorded) = checksums.iter().find(|c| c.alg == HashAlg::Sha1) {
                        let recorded = &recorded.value;
                        if *recorded != sha1 {
                            warnings.push(format!(
                                "{}: content differs from what package {} recorded (SHA1 {recorded}, found {sha1})",
                                display_path(&canonical),
                                o.package
                            ));
                        }
                    }
                    checksums.retain(|c| c.alg != HashAlg::Sha1);
                    checksums.push(Checksum::new(HashAlg::Sha1, sha1));
                }
                checksums.sort();
                sbom.files.push(FileRecord {
                    id: id.clone(),
                    path: display_path(&canonical),
                    sha256: node.sha256.map(hex::encode),
                    other_checksums: checksums,
                    layer: (!sbom.subject.layers.is_empty()).then_some(node.layer),
                    ..FileRecord::default()
                });
                id
            })
            .clone();
        sbom.relationships.push(Relationship::new(
            o.package.clone(),
            RelationshipKind::Contains,
            id,
        ));
    }
    sbom.warnings.extend(warnings);
}
