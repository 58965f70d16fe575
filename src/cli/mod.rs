//! The command line: clap definitions ([`args`]), one module per command, and where bytes go
//! ([`output`]). Each command gathers its arguments, calls the library and writes what it returns.

mod args;
mod attest;
mod audit;
mod config;
mod convert;
mod diff;
mod docs;
mod generate;
mod keygen;
pub mod output;
mod validate;
mod verify;
mod verify_bundle;

use std::io::{self, IsTerminal};

use clap::{CommandFactory, FromArgMatches};
use sbomkit::{Error, ExitCode};

use args::Command;

/// What the command line asks for.
pub enum Parsed {
    Run(Box<Command>),
    /// Help, the version or a usage error, already printed by clap.
    Answered(ExitCode),
}

pub fn parse() -> Parsed {
    // `--version` alone answers before the whole command tree is built: it is called in loops.
    let mut argv = std::env::args_os().skip(1);
    if let (Some(a), None) = (argv.next(), argv.next()) {
        if a == "--version" || a == "-V" {
            println!("sbomkit {}", env!("CARGO_PKG_VERSION"));
            return Parsed::Answered(ExitCode::Success);
        }
    }
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Help, completions and man pages describe the definition itself: a broken config file does
    // not keep them from the user who is about to fix it.
    let describes = argv.iter().skip(1).any(|a| a == "--help" || a == "-h")
        || matches!(
            argv.get(1).and_then(|a| a.to_str()),
            Some("completions" | "man" | "help")
        );
    let command = match describes {
        true => Ok(args::Cli::command()),
        false => config::apply(args::Cli::command(), &argv),
    };
    let command = match command {
        Ok(c) => c,
        Err(e) => {
            output::report(&e);
            return Parsed::Answered(ExitCode::of(&Err(e)));
        }
    };
    match command
        .try_get_matches_from(argv)
        .and_then(|m| args::Cli::from_arg_matches(&m))
    {
        Ok(cli) => Parsed::Run(Box::new(cli.command)),
        Err(e) => {
            let _ = e.print();
            Parsed::Answered(if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Success
            })
        }
    }
}

pub fn run(command: Command) -> Result<ExitCode, Error> {
    output::remove_temp_files_on_signal();
    match command {
        Command::Generate(args) => generate::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Attest(args) => attest::run(args),
        Command::Verify(args) => verify::run(args),
        Command::VerifyBundle(args) => verify_bundle::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
    }
}

/// Refuses a registry reference without the `registry:` scheme (`alpine:3.10`, `docker://…`) with
/// what to type instead, before it would fail as a file that does not exist.
fn refuse_registry_reference(source: &str) -> Result<(), Error> {
    let spec = sbomkit::source::SourceSpec::parse(source);
    if spec.kind.is_some() || spec.path.exists() {
        return Ok(());
    }
    let reference = ["docker://", "docker:", "podman:"]
        .iter()
        .find_map(|s| source.strip_prefix(s));
    let looks_like_reference = source.contains(':')
        && !source.contains("//")
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c));
    let Some(reference) = reference.or(looks_like_reference.then_some(source)) else {
        return Ok(());
    };
    Err(Error::Other(format!(
        "{source}: no such file; to read the image from its registry, write registry:{reference}"
    )))
}

/// The registry flags, with the logins' places from the environment: `--registry-auth-file`, else
/// `REGISTRY_AUTH_FILE`; Docker's config in `$DOCKER_CONFIG`, else `~/.docker`.
fn registry_options(a: &args::RegistryArgs) -> sbomkit::source::registry::ClientOptions {
    let env_path = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    };
    sbomkit::source::registry::ClientOptions {
        ca_files: a.registry_ca.clone(),
        insecure: a.insecure_registry.clone(),
        timeout: std::time::Duration::from_secs(a.registry_timeout.max(1)),
        credentials: sbomkit::source::registry::auth::CredentialSources {
            auth_file: a
                .registry_auth_file
                .clone()
                .or_else(|| env_path("REGISTRY_AUTH_FILE")),
            docker_config_dir: env_path("DOCKER_CONFIG")
                .or_else(|| env_path("HOME").map(|h| h.join(".docker"))),
        },
    }
}

/// `SOURCE_DATE_EPOCH`, if set; an unparsable value is a usage error, not silently ignored.
fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH must be whole seconds since 1970, got `{v}`"
            ))
        }),
        _ => Ok(None),
    }
}

/// The private key password: SBOMKIT_PASSWORD, else COSIGN_PASSWORD, else a prompt on a terminal
/// (twice when `confirm`), else an error.
fn password(confirm: bool) -> Result<zeroize::Zeroizing<String>, String> {
    for var in ["SBOMKIT_PASSWORD", "COSIGN_PASSWORD"] {
        if let Ok(v) = std::env::var(var) {
            return Ok(zeroize::Zeroizing::new(v));
        }
    }
    if !io::stdin().is_terminal() {
        return Err(
            "no password: set SBOMKIT_PASSWORD (or COSIGN_PASSWORD), or run on a terminal to be asked"
                .into(),
        );
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| format!("cannot read the password: {e}"))
    };
    let first = read("Enter password for private key: ")?;
    if confirm {
        let again = read("Enter password for private key again: ")?;
        if *again != *first {
            return Err("the passwords do not match".into());
        }
    }
    Ok(first)
}

/// The current time in Unix seconds, for token expiry and signing times.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
