//! APK installed database (`lib/apk/db/installed`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::apk;

fuzz_target!(|data: &[u8]| {
    let (records, _warnings) = apk::parse(data, "lib/apk/db/installed");
    for r in &records {
        let _ = format!("{r:?}");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = apk::decode_digest(s);
        let _ = apk::dependency_name(s);
    }
});
