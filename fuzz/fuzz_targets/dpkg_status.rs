//! dpkg status (deb822 paragraphs, package records, relation fields, version comparison).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::{deb822, dpkg, version};

fuzz_target!(|data: &[u8]| {
    let _ = deb822::parse(data);
    let (records, _warnings) = dpkg::parse(data, "var/lib/dpkg/status");
    for r in &records {
        let _ = r.id();
        let _ = r.is_installed(false);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dpkg::parse_relations(s);
        let (a, b) = s.split_once('\n').unwrap_or((s, "1.0"));
        let _ = version::compare(a, b);
        let _ = version::satisfies(a, ">=", b);
    }
});
