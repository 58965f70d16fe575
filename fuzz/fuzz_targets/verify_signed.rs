//! `verify` past the signature: the input is the payload of an envelope signed with the key the
//! check uses, so the Statement, subject, predicate and schema checks all see hostile bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sbomkit::attest::bundle;
use sbomkit::attest::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use sbomkit::attest::keys::{Algorithm, SigningKey};
use sbomkit::attest::verify::{verify, Options, Target};
use sbomkit::model::{Identity, IdentityRole};

fn key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::generate(Algorithm::Ed25519))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let env = dsse::sign(IN_TOTO_PAYLOAD_TYPE, payload, key());
    let bytes = if sel & 1 == 0 {
        serde_json::to_vec(&env).unwrap()
    } else {
        serde_json::to_vec(&bundle::wrap(&env)).unwrap()
    };
    let target = Target {
        label: "image.tar".into(),
        identities: vec![Identity {
            role: IdentityRole::Config,
            digest: format!("sha256:{}", "ab".repeat(32)),
        }],
    };
    let vk = key().verifying_key();
    let opts = Options {
        key: Some(&vk),
        keyless: None,
        target: (sel & 2 == 0).then_some(&target),
        want_type: None,
    };
    if let Ok(report) = verify(&bytes, "fuzz", &opts) {
        let _ = report.human();
        let _ = report.to_json();
    }
});
