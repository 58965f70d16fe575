//! The fuzz targets of `fuzz/dispatch.rs`, run here without libFuzzer: every input kept in
//! `fuzz/regressions/<target>/` (each once crashed, hung or exhausted memory in that target) so
//! that a fixed bug stays fixed, and every seed, so that the seed table stays true.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "../fuzz/dispatch.rs"]
mod dispatch;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn table() -> BTreeSet<&'static str> {
    dispatch::TARGETS.iter().map(|t| t.name).collect()
}

#[test]
fn every_kept_crash_input_is_handled() {
    let mut n = 0;
    for dir in fs::read_dir(fuzz_dir().join("regressions")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let target = dir.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            dispatch::target(&target).is_some(),
            "fuzz/regressions/{target}: no such fuzz target"
        );
        for f in fs::read_dir(&dir).unwrap() {
            dispatch::run(&target, &fs::read(f.unwrap().path()).unwrap());
            n += 1;
        }
    }
    eprintln!("{n} regression inputs replayed");
}

#[test]
fn every_fuzz_binary_is_a_target_of_the_table_and_back() {
    let fuzz = fuzz_dir();
    let mut files = BTreeSet::new();
    for f in fs::read_dir(fuzz.join("fuzz_targets")).unwrap() {
        let path = f.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("dispatch::run(\"{name}\", data)")),
            "{}: does not run its own target",
            path.display()
        );
        files.insert(name);
    }
    let table: BTreeSet<String> = table().into_iter().map(String::from).collect();
    assert_eq!(files, table, "fuzz/fuzz_targets/*.rs against TARGETS");

    // Each target is a [[bin]] of the fuzz crate, built from its own file.
    let manifest = fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    let bins: BTreeSet<String> = manifest
        .split("[[bin]]")
        .skip(1)
        .map(|b| {
            let field = |key: &str| {
                b.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_string())
                    .unwrap()
            };
            let name = field("name");
            assert_eq!(field("path"), format!("fuzz_targets/{name}.rs"));
            name
        })
        .collect();
    assert_eq!(bins, table, "[[bin]] in fuzz/Cargo.toml against TARGETS");
}

#[test]
fn every_seed_exists_and_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for t in dispatch::TARGETS {
        for rel in t.seeds {
            assert!(root.join(rel).exists(), "{}: seed {rel} is missing", t.name);
        }
        let inputs = dispatch::seed_inputs(root, t).unwrap();
        assert!(!inputs.is_empty(), "{}: no seed input", t.name);
        for input in &inputs {
            (t.run)(input);
        }
    }
}
