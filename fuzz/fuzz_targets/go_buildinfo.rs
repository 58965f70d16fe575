//! Go module information (the `go version -m` text embedded in Go binaries).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::binary::{go, modules};

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = go::parse_modinfo(data) {
        let _ = modules::main_version(&info);
        let _ = modules::go_packages(&info, "bin/x", "fuzz");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = modules::stdlib_version(s);
    }
});
