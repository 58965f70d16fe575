//! `sbomkit verify-bundle`: gather the policy, the trusted root and the artifact, print the
//! library's report.

use sbomkit::attest::report::BundleReport;
use sbomkit::attest::sigstore::{self, trust::TrustedRoot, Policy};
use sbomkit::attest::verify::InputKind;
use sbomkit::attest::{keys, read_limited};
use sbomkit::{Error, ExitCode};

use super::args::VerifyBundleArgs;
use super::output;

pub fn run(args: VerifyBundleArgs) -> Result<ExitCode, Error> {
    // Both given are refused by clap: a key beside an identity came from the config file or
    // SBOMKIT_PUBLIC_KEY, and gives way.
    let key = args
        .key
        .as_deref()
        .filter(|_| args.keyless.certificate_identity.is_none())
        .map(keys::read_public_key_file)
        .transpose()?;
    let policy = match (
        &key,
        &args.keyless.certificate_identity,
        &args.keyless.certificate_oidc_issuer,
    ) {
        (Some(k), _, _) => Policy::Key(k),
        (None, Some(identity), Some(issuer)) => Policy::Identity { identity, issuer },
        _ => {
            return Err(Error::Usage(
                "give --key, or --certificate-identity with --certificate-oidc-issuer".into(),
            ))
        }
    };
    let trust = TrustedRoot::load(args.keyless.trusted_root.as_deref())?;
    let artifact = sigstore::artifact_digest(&args.artifact).map_err(Error::Other)?;
    let bytes = read_limited(&args.bundle)?;
    let kind = InputKind::of(&bytes);
    if !matches!(kind, InputKind::Bundle | InputKind::Other) {
        return Err(Error::Attest {
            code: ExitCode::Malformed,
            message: kind.misplaced(&args.bundle.display().to_string(), "verify-bundle"),
        });
    }
    let opts = sigstore::Options {
        policy,
        trust: &trust,
        artifact: Some(artifact),
        now: super::now(),
    };
    let report = BundleReport {
        bundle: args.bundle.display().to_string(),
        outcome: sigstore::verify_bundle(&bytes, &opts),
    };
    output::emit(None, &report.render(args.output.into()))?;
    Ok(report.exit_code())
}
