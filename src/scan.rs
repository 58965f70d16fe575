//! One scan: open the source, run the catalogers phase by phase, assemble the [`Sbom`].

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{self, Context, Found};
use crate::error::Error;
use crate::exclude::Exclude;
use crate::model::{
    Actor, Checksum, FileRecord, HashAlg, ImageIndex, Relationship, RelationshipKind, Sbom,
};
use crate::source::{self, display_path, ImageMeta, Progress, SourceOptions, SourceSpec};

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
    /// `--author`: who makes the document.
    pub author: Option<Actor>,
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
    /// Which platform of an index was described when `--platform` was left out (for stderr).
    pub note: Option<String>,
    /// About this run, not the subject (the layer cache): for the user, not the document.
    pub notices: Vec<String>,
}

/// The scans of every image `--platform` chose, and the index they came from.
#[derive(Debug)]
pub struct Scans {
    /// One per image, in the index's order: each what a scan of that platform alone gives.
    pub sboms: Vec<(Sbom, Stats)>,
    /// Each image's config and annotations, beside its document.
    pub metas: Vec<Option<ImageMeta>>,
    pub index: Option<ImageIndex>,
}

/// Scans `spec` and returns the document with per-cataloger counts.
pub fn scan(
    spec: &SourceSpec,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<(Sbom, Stats), Error> {
    let (sbom, stats, _) = scan_with(spec, opts, progress, &catalog::Catalogers::registered())?;
    Ok((sbom, stats))
}

/// [`scan`] with other catalogers (`audit` adds its own to the registered ones); also returns the
/// image's config and annotations.
pub fn scan_with(
    spec: &SourceSpec,
    opts: &ScanOptions,
    progress: &dyn Progress,
    catalogers: &catalog::Catalogers,
) -> Result<(Sbom, Stats, Option<ImageMeta>), Error> {
    let mut scans = scan_each_with(spec, opts, progress, catalogers)?;
    match scans.sboms.len() {
        1 => {
            let (sbom, stats) = scans.sboms.remove(0);
            Ok((sbom, stats, scans.metas.remove(0)))
        }
        n => Err(Error::Usage(format!(
            "--platform chooses {n} images ({}); this command describes one: choose one platform",
            scans
                .sboms
                .iter()
                .filter_map(|(s, _)| s.subject.platform.as_ref().map(|p| p.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Scans every image of `spec` that `--platform` chooses (see [`source::open_each`]).
pub fn scan_each(
    spec: &SourceSpec,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Scans, Error> {
    scan_each_with(spec, opts, progress, &catalog::Catalogers::registered())
}

/// [`scan_each`] with other catalogers.
pub fn scan_each_with(
    spec: &SourceSpec,
    opts: &ScanOptions,
    progress: &dyn Progress,
    catalogers: &catalog::Catalogers,
) -> Result<Scans, Error> {
    let interest = catalogers.interest(opts.files);
    let excluding = opts.exclude.interest(catalogers);
    let interest = match opts.exclude.is_empty() {
        true => interest,
        false => excluding.as_interest(&interest),
    };
    let picked = source::open_each(spec, &opts.source, &interest, progress)?;
    let mut sboms = Vec::new();
    let mut metas = Vec::new();
    for scanned in picked.images {
        let (sbom, mut stats, meta) = catalog_image(scanned, catalogers, opts);
        stats.note = picked.note.clone();
        sboms.push((sbom, stats));
        metas.push(meta);
    }
    Ok(Scans {
        sboms,
        metas,
        index: picked.index,
    })
}

/// Runs the catalogers on one image read.
fn catalog_image(
    mut scanned: source::Scanned,
    catalogers: &catalog::Catalogers,
    opts: &ScanOptions,
) -> (Sbom, Stats, Option<ImageMeta>) {
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
                packages: &all.packages,
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

    let image = scanned.image;
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
        author: opts.author.clone(),
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
    (sbom, stats, image)
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
