//! `sim decompress IN -o FILE`: restores a file written by `sim compress` (the container names its
//! coder; length and sha256 prefix are checked; output is written atomically).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use source::container::{decompress_file, load_coder};

#[derive(Args)]
pub struct DecompressArgs {
    /// Container written by `sim compress`.
    pub input: PathBuf,
    /// Where to write the restored file.
    #[arg(short, long)]
    pub output: PathBuf,
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: DecompressArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    decompress_file(&a.input, &a.output, |name| load_coder(name, !a.quiet))
        .with_context(|| format!("decompressing {}", a.input.display()))?;
    if !a.quiet {
        let len = std::fs::metadata(&a.output).map(|m| m.len()).unwrap_or(0);
        println!(
            "{} -> {}: {len} bytes in {:.2} s",
            a.input.display(),
            a.output.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
