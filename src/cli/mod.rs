//! The `sim` command line: one file per subcommand, each a thin layer over the library.

mod audio_bench;
mod codes;
mod compare;
mod compress;
mod decompress;
mod file_bench;
mod image_bench;
mod limits;
mod merge;
mod models;
mod output;
mod plot;
mod progress;
mod progress_line;
mod report;
mod run;
mod slurm;
mod source_bench;
mod sweep_progress;
mod train;
mod train_args;
mod train_deep_jscc;
mod train_image;
mod train_jscc;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sim", version = env!("CARGO_PKG_VERSION"), about = "Simulate LLM-based separate source-channel coding links")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario's SNR sweep and write results.csv, run.json and plots (or, with --shard I/N,
    /// one shard's share of it).
    Run(run::RunArgs),
    /// Combine the shards of `sim run --shard I/N` into results.csv, run.json and plots.
    Merge(merge::MergeArgs),
    /// Write SLURM job-array scripts that run a scenario in shards and merge them.
    Slurm(slurm::SlurmArgs),
    /// Inspect parity-check matrices.
    #[command(subcommand)]
    Codes(codes::CodesCommand),
    /// Redraw the plots of a results folder from its results.csv.
    Plot(plot::PlotArgs),
    /// Where the best (n, k) code reaches a block error rate: SP59, the normal approximation,
    /// Gallager's bound (and with --dt the DT bound) on AWGN and Rayleigh fading, with or without
    /// CSI (what `sim report` measures against).
    Limits(limits::LimitsArgs),
    /// Overlay metrics of several results folders on one plot (refusing axes that differ).
    Compare(compare::CompareArgs),
    /// Write a results folder's report: one self-contained HTML page and a Markdown file.
    Report(report::ReportArgs),
    /// List or fetch the models the project uses.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Compress any file losslessly (text with a source coder, other bytes with zstd).
    Compress(compress::CompressArgs),
    /// Restore a file written by `sim compress`.
    Decompress(decompress::DecompressArgs),
    /// Rate and speed of every source coder on the Europarl test sentences.
    SourceBench(source_bench::SourceBenchArgs),
    /// Train the small source LM or an ECCT decoder.
    #[command(subcommand)]
    Train(train::TrainCommand),
}

pub fn main() -> std::process::ExitCode {
    // candle's CPU kernels spin on their own thread pool; one thread per worker is what scaled
    // on a loaded machine (source/README.md). Set before any candle call unless the user chose.
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Slurm(a) => slurm::run(a),
        Command::Codes(c) => codes::run(c),
        Command::Plot(a) => plot::run(a),
        Command::Limits(a) => limits::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Report(a) => report::run(a),
        Command::Models(c) => models::run(c),
        Command::Compress(a) => compress::run(a),
        Command::Decompress(a) => decompress::run(a),
        Command::SourceBench(a) => source_bench::run(a),
        Command::Train(c) => train::run(c),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
