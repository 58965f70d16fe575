//! `sbomkit verify`: gather the key, the identity and the image, print the library's report.

use sbomkit::attest::sigstore::trust::TrustedRoot;
use sbomkit::attest::{identities_of, keys, read_limited, verify};
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
    let trust = match &args.keyless.certificate_identity {
        Some(_) => Some(TrustedRoot::load(args.keyless.trusted_root.as_deref())?),
        None => None,
    };
    let keyless = match (
        &args.keyless.certificate_identity,
        &args.keyless.certificate_oidc_issuer,
        &trust,
    ) {
        (Some(identity), Some(issuer), Some(trust)) => Some(verify::Keyless {
            identity,
            issuer,
            trust,
            now: super::now(),
        }),
        _ => None,
    };
    let predicate_out = args
        .predicate_out
        .as_deref()
        .map(|p| Pending::reserve(p, Access::Umask))
        .transpose()?;
    let bytes = read_limited(&args.attestation)?;
    let target = match &args.image {
        Some(image) => {
            super::refuse_registry_reference(image)?;
            let opts = SourceOptions {
                platform: args.platform.clone(),
                ..SourceOptions::default()
            };
            let subject = identities_of(&SourceSpec::parse(image), &opts)?;
            Some(verify::Target {
                label: image.clone(),
                identities: subject.identities,
            })
        }
        None => None,
    };
    let opts = verify::Options {
        key: key.as_ref(),
        keyless,
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
