//! Sigstore bundles and DSSE envelopes, parsed from strict JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::attest::{bundle, dsse, parse_json};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = parse_json(data) {
        if bundle::is_bundle(&v) {
            if let Ok((env, _info)) = bundle::unwrap(&v) {
                let _ = dsse::parse_envelope(env);
            }
        }
        let _ = dsse::parse_envelope(&v);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dsse::decode_base64(s);
    }
});
