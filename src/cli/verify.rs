//! `sbomkit verify`: gather the key, the identity and the image, print the library's report.

use sbomkit::attest::sigstore::trust::TrustedRoot;
use sbomkit::attest::{discovered, identities_of, index_identity, keys, read_limited, verify};
use sbomkit::model::{Identity, IdentityRole};
use sbomkit::source::image::INDEX_PLATFORM;
use sbomkit::source::registry::{self, referrers};
use sbomkit::source::{SourceOptions, SourceSpec};
use sbomkit::{Error, ExitCode};

use super::args::VerifyArgs;
use super::output::{self, Access, Pending};

pub fn run(args: VerifyArgs) -> Result<ExitCode, Error> {
    let key = args
        .key
        .as_deref()
        .map(keys::read_public_key_file)
        .transpose()?;
    // Every bundle is judged against the trusted root, key-based ones' log entries too.
    let trust = TrustedRoot::load(args.keyless.trusted_root.as_deref())?;
    let keyless = match (
        &args.keyless.certificate_identity,
        &args.keyless.certificate_oidc_issuer,
    ) {
        (Some(identity), Some(issuer)) => Some(verify::Keyless { identity, issuer }),
        _ => None,
    };
    let predicate_out = args
        .predicate_out
        .as_deref()
        .map(|p| Pending::reserve(p, Access::Umask))
        .transpose()?;
    if let Some(reference) = args
        .attestation
        .to_str()
        .and_then(|a| a.strip_prefix("registry:"))
    {
        return from_registry(
            &args,
            reference,
            key.as_ref(),
            keyless,
            &trust,
            predicate_out,
        );
    }
    let bytes = read_limited(&args.attestation)?;
    let target = match &args.image {
        Some(image) => {
            super::refuse_registry_reference(image)?;
            let opts = SourceOptions {
                platform: args.platform.clone(),
                limits: args.limits.limits(),
                registry: super::registry_options(&args.registry),
                ..SourceOptions::default()
            };
            // A registry image is resolved to its manifest and config; its layers are not fetched.
            let (identities, platform) = match image.strip_prefix("registry:") {
                Some(reference) => (
                    identities_in_registry(&registry::resolve(reference, &opts)?),
                    args.platform.clone(),
                ),
                None if is_index(args.platform.as_deref()) => (
                    vec![index_identity(&SourceSpec::parse(image), &opts)?],
                    args.platform.clone(),
                ),
                None => {
                    let subject = identities_of(&SourceSpec::parse(image), &opts)?;
                    let platform = subject.platform.as_ref().map(|p| p.to_string());
                    (subject.identities, platform)
                }
            };
            Some(verify::Target {
                label: platform_label(image, args.platform.as_ref().and(platform.as_ref())),
                identities,
            })
        }
        None => None,
    };
    let opts = verify::Options {
        key: key.as_ref(),
        keyless,
        trust: &trust,
        now: super::now(),
        target: target.as_ref(),
        // Already resolved to a URI by the argument parser.
        want_type: args.predicate_type.clone(),
    };
    let label = args.attestation.display().to_string();
    let report = verify::verify(&bytes, &label, &opts)?;
    if let (Some(file), Some(predicate)) = (predicate_out, report.verified_predicate()) {
        file.write(|w| w.write_all(&predicate))?;
    }
    output::emit(None, &report.render(args.output.into()))?;
    Ok(report.exit_code())
}

/// `verify registry:IMAGE`: the attestations found beside the image, each verified for its manifest.
fn from_registry(
    args: &VerifyArgs,
    reference: &str,
    key: Option<&keys::VerifyingKey>,
    keyless: Option<verify::Keyless>,
    trust: &TrustedRoot,
    predicate_out: Option<Pending>,
) -> Result<ExitCode, Error> {
    if args.image.is_some() {
        return Err(Error::Usage(
            "verify registry:IMAGE checks that image: leave --image out".into(),
        ));
    }
    let opts = SourceOptions {
        platform: args.platform.clone(),
        limits: args.limits.limits(),
        registry: super::registry_options(&args.registry),
        ..SourceOptions::default()
    };
    let resolved = registry::resolve(reference, &opts)?;
    let max = opts.limits.max_json_size;
    let (found, notes) = referrers::discover(&resolved, max).map_err(|f| Error::Other(f.0))?;
    let identities = identities_in_registry(&resolved);
    let image = format!("registry:{reference}");
    let target = verify::Target {
        label: platform_label(&image, args.platform.as_ref()),
        identities,
    };
    let vopts = verify::Options {
        key,
        keyless,
        trust,
        now: super::now(),
        target: Some(&target),
        want_type: args.predicate_type.clone(),
    };
    let report = discovered::verify_found(&image, &resolved.manifest.digest, found, notes, &vopts);
    if let (Some(file), Some(predicate)) = (predicate_out, report.verified_predicate()) {
        file.write(|w| w.write_all(&predicate))?;
    }
    output::emit(None, &report.render(args.output.into()))?;
    Ok(report.exit_code())
}

/// `--platform index`: the attestation must be about the image index itself.
fn is_index(platform: Option<&str>) -> bool {
    platform.map(str::trim) == Some(INDEX_PLATFORM)
}

/// The image as the report names it: with the platform `--platform` chose, whose manifest the
/// attestation must be about, or its index.
fn platform_label(image: &str, platform: Option<&String>) -> String {
    match platform {
        Some(p) if is_index(Some(p)) => format!("{image} (its index)"),
        Some(p) => format!("{image} (its {p} image)"),
        None => image.to_string(),
    }
}

/// The identities of a registry image: its manifest digest and config digest; of an index
/// (`--platform index`), its digest.
fn identities_in_registry(resolved: &registry::Resolved) -> Vec<Identity> {
    let is_index = resolved
        .index
        .as_ref()
        .is_some_and(|i| i.digest == resolved.manifest.digest);
    let mut identities = vec![Identity {
        role: if is_index {
            IdentityRole::Index
        } else {
            IdentityRole::Manifest
        },
        digest: resolved.manifest.digest.clone(),
    }];
    if resolved.config_digest.starts_with("sha256:") {
        identities.push(Identity {
            role: IdentityRole::Config,
            digest: resolved.config_digest.clone(),
        });
    }
    identities
}
