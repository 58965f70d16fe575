//! The `sbomkit` command: parse, run, and map the outcome to an exit code, once, here.

mod cli;

fn main() -> std::process::ExitCode {
    // Before any thread starts: see src/memory.rs.
    sbomkit::memory::share_one_arena();
    let outcome = match cli::parse() {
        cli::Parsed::Run(command) => cli::run(*command),
        cli::Parsed::Answered(code) => Ok(code),
    };
    if let Err(e) = &outcome {
        cli::output::report(e);
    }
    sbomkit::ExitCode::of(&outcome).into()
}
