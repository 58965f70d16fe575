//! An OCI layout archive whose index.json, manifest and config come from the input (split at
//! `\n--\n`); `@MANIFEST`, `@CONFIG`, `@LAYER` become the digests of the stored blobs, and `@SIZE_*`
//! their sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::source::SourceKind;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let p = common::parts(data, 3);
    let layer = common::small_layer();
    let layer_hex = common::sha256_hex(&layer);
    let layer_size = layer.len().to_string();
    let config = common::fill(&p[2], &[("@LAYER", &layer_hex)]);
    let config_hex = common::sha256_hex(&config);
    let config_size = config.len().to_string();
    let subs = [
        ("@CONFIG", config_hex.as_str()),
        ("@LAYER", layer_hex.as_str()),
        ("@SIZE_CONFIG", config_size.as_str()),
        ("@SIZE_LAYER", layer_size.as_str()),
    ];
    let manifest = common::fill(&p[1], &subs);
    let manifest_hex = common::sha256_hex(&manifest);
    let manifest_size = manifest.len().to_string();
    let index = common::fill(
        &p[0],
        &[
            ("@MANIFEST", manifest_hex.as_str()),
            ("@SIZE_MANIFEST", manifest_size.as_str()),
        ],
    );
    let names = [
        format!("blobs/sha256/{manifest_hex}"),
        format!("blobs/sha256/{config_hex}"),
        format!("blobs/sha256/{layer_hex}"),
    ];
    let archive = common::tar_of(&[
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.as_slice()),
        ("index.json", &index),
        (&names[0], &manifest),
        (&names[1], &config),
        (&names[2], &layer),
    ]);
    common::open_archive(&archive, SourceKind::OciArchive);
});
