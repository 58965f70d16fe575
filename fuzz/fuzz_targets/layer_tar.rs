//! A layer tar (plain, or gzip/zstd by its first bytes) read into a record and applied onto a Vfs
//! twice, as two layers: tar walking, whiteouts, links, and the virtual filesystem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::source::layer::{apply, read_layer};
use sbomkit::source::Vfs;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::with_cx(|cx| {
        if let Ok(rec) = read_layer(data, cx, "fuzz", "0") {
            let mut fs = Vfs::new();
            let mut warnings = Vec::new();
            apply(&mut fs, 0, &rec, "0", &mut warnings);
            apply(&mut fs, 1, &rec, "1", &mut warnings);
            let paths: Vec<Vec<u8>> = fs.iter().map(|(p, _)| p.to_vec()).collect();
            for p in &paths {
                let _ = fs.lookup(p);
                let _ = fs.read_dir(p);
                let _ = fs.history(p);
            }
        }
    });
});
