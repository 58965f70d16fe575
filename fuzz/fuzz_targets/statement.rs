//! The in-toto Statement and the SBOM digests it describes, parsed from strict JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::attest::{parse_json, statement};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = parse_json(data) {
        let _ = statement::parse(&v);
        let _ = statement::described_digests(&v);
        let _ = statement::SbomKind::of(&v);
    }
});
