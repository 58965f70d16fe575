//! `verify` on raw input: a DSSE envelope, a sigstore bundle, or JSON Lines of envelopes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sbomkit::attest::keys::{Algorithm, SigningKey, VerifyingKey};
use sbomkit::attest::verify::{verify, Options};

fn key() -> &'static VerifyingKey {
    static K: OnceLock<VerifyingKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::generate(Algorithm::Ed25519).verifying_key())
}

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        key: Some(key()),
        keyless: None,
        target: None,
        want_type: None,
    };
    if let Ok(report) = verify(data, "fuzz", &opts) {
        let _ = report.human();
        let _ = report.to_json();
        let _ = report.exit_code();
    }
});
