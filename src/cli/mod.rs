//! The `sim` command line: one file per subcommand, each a thin layer over the library.

mod codes;
mod plot;
mod run;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sim", version = env!("CARGO_PKG_VERSION"), about = "Simulate LLM-based separate source-channel coding links")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario's SNR sweep and write results.csv, run.json and plots.
    Run(run::RunArgs),
    /// Inspect parity-check matrices.
    #[command(subcommand)]
    Codes(codes::CodesCommand),
    /// Redraw the plots of a results folder from its results.csv.
    Plot(plot::PlotArgs),
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::Codes(c) => codes::run(c),
        Command::Plot(a) => plot::run(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
