//! A `docker save` archive whose manifest.json and config come from the input (split at `\n--\n`).
//! `@CONFIG` and `@LAYER` in them are replaced by the digests of the stored blobs, so the fuzzer
//! reaches past the digest checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::source::SourceKind;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let p = common::parts(data, 2);
    let layer = common::small_layer();
    let layer_hex = common::sha256_hex(&layer);
    let config = common::fill(&p[1], &[("@LAYER", &layer_hex)]);
    let config_hex = common::sha256_hex(&config);
    let manifest = common::fill(&p[0], &[("@CONFIG", &config_hex), ("@LAYER", &layer_hex)]);
    let config_name = format!("{config_hex}.json");
    let layer_name = format!("{layer_hex}/layer.tar");
    let archive = common::tar_of(&[
        ("manifest.json", &manifest),
        (&config_name, &config),
        (&layer_name, &layer),
    ]);
    common::open_archive(&archive, SourceKind::DockerArchive);
});
