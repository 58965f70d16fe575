//! Language package manifests: the first byte picks npm `package.json`, Python core metadata or a
//! Java archive; the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::lang::{java, npm, python};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 3 {
        0 => drop(npm::parse(rest)),
        1 => drop(python::parse(rest)),
        _ => drop(java::parse(b"opt/lib/app-1.0.jar", rest)),
    }
});
