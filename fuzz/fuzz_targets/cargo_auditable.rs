//! cargo-auditable dependency JSON (after the zlib layer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::binary::{modules, rust};

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = rust::parse_json(data) {
        let _ = info.root();
        let _ = modules::rust_packages(&info, "bin/x", "fuzz");
    }
});
