//! os-release files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::os_release;

fuzz_target!(|data: &[u8]| {
    let vars = os_release::parse(data);
    if let Some(d) = os_release::distro_from(&vars, "etc/os-release") {
        let _ = os_release::os_package(&d);
    }
});
