fn main() -> std::process::ExitCode {
    lmsscc::cli::main()
}
