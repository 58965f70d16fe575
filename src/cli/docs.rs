//! `sbomkit completions SHELL` and `sbomkit man`: generated from the command definition itself
//! (without any config file applied), so they never disagree with `--help`.

use clap::CommandFactory;
use sbomkit::{Error, ExitCode};

use super::args::{Cli, CompletionsArgs, ManArgs};
use super::output::{self, Access};

pub fn completions(args: CompletionsArgs) -> Result<ExitCode, Error> {
    let mut cmd = Cli::command();
    output::to_stdout(|w| {
        clap_complete::generate(args.shell, &mut cmd, "sbomkit", w);
        Ok(())
    })?;
    Ok(ExitCode::Success)
}

pub fn man(args: ManArgs) -> Result<ExitCode, Error> {
    let pages = pages();
    match args.dir {
        None => {
            let top = pages.into_iter().next().map(clap_mangen::Man::new);
            if let Some(man) = top {
                output::to_stdout(|w| man.render(w))?;
            }
        }
        Some(dir) => {
            let mut written = Vec::new();
            for cmd in pages {
                let man = clap_mangen::Man::new(cmd);
                let path = dir.join(man.get_filename());
                output::write_atomically(&path, Access::Umask, |w| man.render(w))?;
                written.push(path.display().to_string());
            }
            eprintln!("wrote {}", written.join(", "));
        }
    }
    Ok(ExitCode::Success)
}

/// The top command, then each visible subcommand, built (so subcommands are named
/// `sbomkit-generate`), without clap's `help` subcommand.
pub(super) fn pages() -> Vec<clap::Command> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    std::iter::once(cmd).chain(subs).collect()
}
