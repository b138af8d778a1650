//! `sim run SCENARIO.toml [--out DIR] [--set key=value ...] [--fresh] [--quiet] [--shard I/N]`

use std::path::PathBuf;

use clap::Args;

use super::sweep_progress::SweepProgress;
use crate::link::shard::run::run_shard;
use crate::link::shard::ShardId;
use crate::link::{run_sweep, SweepOptions};
use crate::scenario;

#[derive(Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Results folder (default: results/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a scenario field by dotted name, e.g. --set snr.values_db=[0,2,4] --set decoder.iterations=5.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Replace results of a different configuration found in the results folder (with --shard: this
    /// shard's file only, and the shard ignores the folder's rows).
    #[arg(long)]
    pub fresh: bool,
    /// No progress bars or per-point lines.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard I of N (0-based, 0 <= I < N) into <out>/shards/I-of-N.jsonl; combine the
    /// shards with `sim merge <out>`. Rerunning a shard resumes it. Points the folder already has
    /// rows for (a grid that gained points) are skipped, and `sim merge` keeps those rows.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardId>,
}

pub fn run(a: RunArgs) -> anyhow::Result<()> {
    let loaded = scenario::load(&a.scenario, &a.set)?;
    for note in &loaded.notes {
        eprintln!("note: {note}");
    }
    let opts = SweepOptions { out_dir: a.out, fresh: a.fresh, quiet: a.quiet, overrides: a.set };
    if let Some(shard) = a.shard {
        let summary = run_shard(&loaded, &opts, shard, &mut SweepProgress::new(a.quiet))?;
        println!(
            "shard {shard}: {} work units simulated{}; partial results in {}",
            summary.simulated,
            if summary.recorded_before > 0 {
                format!(", {} already recorded", summary.recorded_before)
            } else {
                String::new()
            },
            summary.path.display()
        );
        return Ok(());
    }
    let summary = run_sweep(&loaded, &opts, &mut SweepProgress::new(a.quiet))?;
    let skipped = summary.rows.len() - summary.simulated;
    println!(
        "{} points simulated{}; results in {}",
        summary.simulated,
        if skipped > 0 { format!(", {skipped} already done") } else { String::new() },
        summary.out_dir.join("results.csv").display()
    );
    Ok(())
}
