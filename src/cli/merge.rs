//! `sim merge DIR [--quiet]`: combine the shards of `sim run --shard I/N` in `DIR/shards/` into
//! `DIR/results.csv`, `DIR/run.json` and the plots, as a single run would have written them.

use std::path::PathBuf;

use clap::Args;

use super::sweep_progress::SweepProgress;
use crate::link::shard::merge::merge_shards;

#[derive(Args)]
pub struct MergeArgs {
    /// Results folder holding shards/ (the --out of the shards, default results/<scenario name>).
    pub dir: PathBuf,
    /// No per-point lines.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: MergeArgs) -> anyhow::Result<()> {
    let summary = merge_shards(&a.dir, a.quiet, &mut SweepProgress::new(a.quiet))?;
    println!("{} points merged; results in {}", summary.rows.len(), summary.out_dir.join("results.csv").display());
    Ok(())
}
