//! Applies the config file and the `SBOMKIT_*` variables to the command line: flags win over
//! variables, variables over the file, the file over the defaults. Each value from a variable or
//! the file becomes the default of its flag, so clap still checks and documents everything.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::Command;
use sbomkit::config::{self, Loaded};
use sbomkit::Error;

use super::output;

/// The list variables, split on whitespace as Syft splits its own (`SBOMKIT_EXCLUDE="/a/** /b"`).
const OUTPUT_VAR: &str = "SBOMKIT_OUTPUT";
const EXCLUDE_VAR: &str = "SBOMKIT_EXCLUDE";
/// Key paths are not clap `env` values: a variable counts as given for `conflicts_with`, so
/// `SBOMKIT_KEY` would refuse `attest --keyless`. As defaults they give way to the other flag.
const KEY_VAR: &str = "SBOMKIT_KEY";
const PUBLIC_KEY_VAR: &str = "SBOMKIT_PUBLIC_KEY";
pub const CONFIG_VAR: &str = "SBOMKIT_CONFIG";

/// The config file this run read, for `-v`.
static READ: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The file read, if any.
pub fn read() -> Option<&'static Path> {
    READ.get().and_then(|p| p.as_deref())
}

/// `command` with the config file (found from `argv`, the environment and the working folder)
/// and the list and key variables applied as defaults.
pub fn apply(command: Command, argv: &[OsString]) -> Result<Command, Error> {
    let explicit = explicit_config(argv).or_else(|| var(CONFIG_VAR).map(PathBuf::from));
    let cwd = std::env::current_dir().unwrap_or_default();
    let path = config::locate(
        explicit.as_deref(),
        &cwd,
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    );
    let loaded = path.as_deref().map(config::load).transpose()?;
    if let Some(l) = &loaded {
        for o in &l.config.output {
            output::parse_output(o).map_err(|e| l.error("output", e))?;
        }
    }
    let _ = READ.set(path);
    Ok(with_defaults(command, loaded.as_ref()))
}

fn with_defaults(command: Command, loaded: Option<&Loaded>) -> Command {
    let c = loaded.map(|l| l.config.clone()).unwrap_or_default();
    let list = |var_name: &str, from_file: Vec<String>| -> Vec<String> {
        match var(var_name) {
            Some(v) => v.split_whitespace().map(str::to_string).collect(),
            None => from_file,
        }
    };
    let outputs = list(OUTPUT_VAR, c.output);
    let exclude = list(EXCLUDE_VAR, c.exclude);
    let key = var(KEY_VAR).or_else(|| c.key.map(|p| p.display().to_string()));
    let public_key = var(PUBLIC_KEY_VAR).or_else(|| c.public_key.map(|p| p.display().to_string()));
    let cdx = c.cyclonedx_version.map(|v| v.0);
    let quiet = c.quiet.filter(|&q| q).map(|_| "true".to_string());
    let scope = c.scope.map(|s| s.name().to_string());
    let cache_dir = c.cache_dir.map(|p| p.display().to_string());
    let no_cache = c.no_cache.filter(|&n| n).map(|_| "true".to_string());

    let set = |cmd: Command, id: &str, value: &Option<String>| match value {
        Some(v) => cmd.mut_arg(id, |a| a.default_value(v.clone())),
        None => cmd,
    };
    let set_all = |cmd: Command, id: &str, values: &[String]| match values.is_empty() {
        true => cmd,
        false => cmd.mut_arg(id, |a| a.default_values(values.to_vec())),
    };
    // A key from the file or a variable also lifts the flag's requirement.
    let set_key = |cmd: Command, value: &Option<String>| match value {
        Some(v) => cmd.mut_arg("key", |a| {
            a.default_value(v.clone())
                .required_unless_present(clap::builder::Resettable::<clap::Id>::Reset)
        }),
        None => cmd,
    };
    let scan = |cmd: Command| {
        let cmd = set(cmd, "cyclonedx_version", &cdx);
        let cmd = set(cmd, "platform", &c.platform);
        let cmd = set(cmd, "quiet", &quiet);
        let cmd = set(cmd, "scope", &scope);
        let cmd = set(cmd, "author", &c.author);
        let cmd = set(cmd, "cache_dir", &cache_dir);
        let cmd = set(cmd, "no_cache", &no_cache);
        set_all(cmd, "exclude", &exclude)
    };
    command
        .mut_subcommand("generate", |g| set_all(scan(g), "outputs", &outputs))
        .mut_subcommand("attest", |a| set_key(scan(a), &key))
        .mut_subcommand("verify", |v| {
            set_key(set(v, "platform", &c.platform), &public_key)
        })
        .mut_subcommand("verify-bundle", |v| set_key(v, &public_key))
}

/// `--config FILE` or `--config=FILE`, wherever it is (it is a global flag), before `--`.
fn explicit_config(argv: &[OsString]) -> Option<PathBuf> {
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(rest) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some(PathBuf::from(rest));
        }
    }
    None
}

/// A set, non-empty variable.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every id the file is applied to exists (clap panics on an unknown one), and the command
    /// with them is still consistent.
    #[test]
    fn a_full_config_applies_to_the_real_command() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("c.yaml");
        std::fs::write(
            &p,
            "output: [table]\ncyclonedx-version: 1.5\nexclude: [/a]\nplatform: linux/arm64\n\
             quiet: true\nkey: k.key\npublic-key: k.pub\nscope: all-layers\n\
             cache-dir: c\nno-cache: true\n",
        )
        .unwrap();
        let loaded = config::load(&p).unwrap();
        let cmd = with_defaults(super::super::args::Cli::command(), Some(&loaded));
        cmd.clone().debug_assert();
        let m = cmd
            .try_get_matches_from(["sbomkit", "attest", "img.tar"])
            .unwrap();
        let (_, attest) = m.subcommand().unwrap();
        assert_eq!(
            attest.get_one::<PathBuf>("key"),
            Some(&t.path().join("k.key"))
        );
        assert!(attest.get_flag("quiet"));
        assert!(attest.get_flag("no_cache"));
        assert_eq!(
            attest.get_one::<PathBuf>("cache_dir"),
            Some(&t.path().join("c"))
        );
    }

    #[test]
    fn the_config_flag_is_found_anywhere_before_a_double_dash() {
        let argv = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            explicit_config(&argv(&["sbomkit", "generate", "x", "--config", "c.yaml"])),
            Some(PathBuf::from("c.yaml"))
        );
        assert_eq!(
            explicit_config(&argv(&["sbomkit", "--config=d.yaml", "generate", "x"])),
            Some(PathBuf::from("d.yaml"))
        );
        assert_eq!(
            explicit_config(&argv(&["sbomkit", "generate", "--", "--config", "x"])),
            None
        );
    }
}
