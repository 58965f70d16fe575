fn main() -> std::process::ExitCode {
    sbomkit::cli::main()
}
