//! Writes the seed corpus of the fuzz targets: `write_seeds CORPUS [TARGET...]` fills
//! `CORPUS/<target>/` with the target's seed inputs (`dispatch.rs`) and the inputs kept in
//! `regressions/<target>/`; `write_seeds --list` prints the names of all targets.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "dispatch.rs"]
mod dispatch;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => {
            for t in dispatch::TARGETS {
                println!("{}", t.name);
            }
            ExitCode::SUCCESS
        }
        Some(corpus) => match write(Path::new(corpus), &args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("write_seeds: {e}");
                ExitCode::FAILURE
            }
        },
        None => {
            eprintln!("usage: write_seeds CORPUS [TARGET...] | write_seeds --list");
            ExitCode::from(2)
        }
    }
}

fn write(corpus: &Path, names: &[String]) -> Result<(), String> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = fuzz.parent().unwrap();
    let targets: Vec<&dispatch::Target> = if names.is_empty() {
        dispatch::TARGETS.iter().collect()
    } else {
        names
            .iter()
            .map(|n| dispatch::target(n).ok_or(format!("no fuzz target named {n}")))
            .collect::<Result<_, _>>()?
    };
    for t in targets {
        let mut inputs = dispatch::seed_inputs(root, t).map_err(|e| format!("{}: {e}", t.name))?;
        if let Ok(kept) = std::fs::read_dir(fuzz.join("regressions").join(t.name)) {
            for f in kept.flatten() {
                inputs.push(std::fs::read(f.path()).map_err(|e| e.to_string())?);
            }
        }
        let dir = corpus.join(t.name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for input in &inputs {
            // Named by content, as libFuzzer names what it adds.
            let name = {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(input))
            };
            std::fs::write(dir.join(&name[..40]), input).map_err(|e| e.to_string())?;
        }
        println!("{}: {} seeds", t.name, inputs.len());
    }
    Ok(())
}
