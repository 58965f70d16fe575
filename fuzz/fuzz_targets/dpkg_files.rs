//! dpkg per-package files: md5sums, file lists, machine-readable copyright files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::dpkg;
use sbomkit::source::Vfs;

fuzz_target!(|data: &[u8]| {
    let _ = dpkg::parse_md5sums(data);
    let _ = dpkg::parse_list(data, &Vfs::new());
    let _ = dpkg::copyright_licenses(data);
});
