//! Replays every input kept in `fuzz/regressions/<target>/` (each once crashed, hung or exhausted
//! memory in that fuzz target) through the same parser entry points, so that a fixed bug stays fixed.

use std::fs;
use std::path::Path;

use sbomkit::attest::keys::{Algorithm, SigningKey};
use sbomkit::attest::verify::{verify, Options};
use sbomkit::attest::{bundle, dsse, parse_json, statement};
use sbomkit::catalog::binary::{elf, go, notes, rust};
use sbomkit::catalog::{apk, deb822, dpkg, lang, os_release};
use sbomkit::limits::{Budget, Limits};
use sbomkit::source::layer::{apply, read_layer, ReadCx};
use sbomkit::source::{Digests, Interest, Vfs};

use crate::support::keep_all;

fn layer(data: &[u8]) {
    let budget = Budget::new(Limits {
        max_entries: 20_000,
        max_decompressed_bytes: 64 << 20,
        max_file_size: 4 << 20,
        max_json_size: 1 << 20,
    });
    let cx = ReadCx {
        interest: Interest::new(&keep_all, Digests::AllWithSha1),
        budget: &budget,
    };
    if let Ok(rec) = read_layer(data, &cx, "fuzz", "0") {
        let mut fs = Vfs::new();
        let mut w = Vec::new();
        apply(&mut fs, 0, &rec, "0", &mut w);
        apply(&mut fs, 1, &rec, "1", &mut w);
    }
}

fn replay(target: &str, data: &[u8]) {
    match target {
        "layer_tar" => layer(data),
        "layer_decode" => {
            if let Some((&sel, rest)) = data.split_first() {
                let magic: &[u8] = if sel & 1 == 0 {
                    &[0x1f, 0x8b]
                } else {
                    &[0x28, 0xb5, 0x2f, 0xfd]
                };
                layer(&[magic, rest].concat());
            }
        }
        "apk_db" => drop(apk::parse(data, "db")),
        "dpkg_status" => {
            let _ = deb822::parse(data);
            let _ = dpkg::parse(data, "status");
        }
        "dpkg_files" => {
            let _ = dpkg::parse_md5sums(data);
            let _ = dpkg::parse_list(data, &Vfs::new());
            let _ = dpkg::copyright_licenses(data);
        }
        "os_release" => {
            let _ = os_release::distro_from(&os_release::parse(data), "os-release");
        }
        "elf" => drop(elf::inspect(data)),
        "elf_notes" => {
            if let Some((&sel, rest)) = data.split_first() {
                let _ = notes::parse(rest, sel & 1 == 0, if sel & 2 == 0 { 4 } else { 8 });
            }
        }
        "go_buildinfo" => drop(go::parse_modinfo(data)),
        "lang_manifest" => {
            if let Some((&sel, rest)) = data.split_first() {
                match sel % 3 {
                    0 => drop(lang::npm::parse(rest)),
                    1 => drop(lang::python::parse(rest)),
                    _ => drop(lang::java::parse(b"opt/lib/app-1.0.jar", rest)),
                }
            }
        }
        "cargo_auditable" => drop(rust::parse_json(data)),
        "verify_envelope" | "verify_signed" | "statement" | "bundle" => {
            let key = SigningKey::generate(Algorithm::Ed25519).verifying_key();
            let opts = Options {
                key: Some(&key),
                keyless: None,
                target: None,
                want_type: None,
            };
            let _ = verify(data, "fuzz", &opts);
            if let Ok(v) = parse_json(data) {
                let _ = statement::parse(&v);
                let _ = dsse::parse_envelope(&v);
                let _ = bundle::unwrap(&v);
            }
        }
        other => panic!("fuzz/regressions/{other}: no such fuzz target"),
    }
}

#[test]
fn every_kept_crash_input_is_handled() {
    let root = Path::new("fuzz/regressions");
    let mut n = 0;
    let Ok(dirs) = fs::read_dir(root) else {
        return;
    };
    for dir in dirs.flatten().filter(|d| d.path().is_dir()) {
        let target = dir.file_name().to_string_lossy().into_owned();
        for f in fs::read_dir(dir.path()).unwrap().flatten() {
            let data = fs::read(f.path()).unwrap();
            replay(&target, &data);
            n += 1;
        }
    }
    eprintln!("{n} regression inputs replayed");
}
