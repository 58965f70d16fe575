//! gzip and zstd layer decoding: the first byte picks the codec, its magic is put before the rest,
//! so every input reaches the decoder (and whatever it yields, the tar reader).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::source::layer::read_layer;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let magic: &[u8] = if sel & 1 == 0 {
        &[0x1f, 0x8b]
    } else {
        &[0x28, 0xb5, 0x2f, 0xfd]
    };
    let blob: Vec<u8> = magic.iter().chain(rest).copied().collect();
    common::with_cx(|cx| {
        let _ = read_layer(blob.as_slice(), cx, "fuzz", "0");
    });
});
