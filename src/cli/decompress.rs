//! `sim decompress IN -o FILE`: restores a file written by `sim compress` (the container names its
//! coder; length and sha256 prefix are checked; output is written atomically).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use source::container::{decompress_file, load_coder};
use source::file_coder::FileCoder;

#[derive(Args)]
pub struct DecompressArgs {
    /// Container written by `sim compress`.
    pub input: PathBuf,
    /// Where to write the restored file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Model for file-mode containers (default: the one the container names; its sha256 must match).
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: DecompressArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let data = std::fs::read(&a.input).with_context(|| format!("reading {}", a.input.display()))?;
    if source::container::container_version(&data).ok() == Some(2) {
        let meter = crate::cli::progress_line::Meter::new(data.len(), a.quiet);
        let plain = source::container::decompress_v2(
            &data,
            |name| FileCoder::load(a.model.as_deref().unwrap_or(name), !a.quiet),
            &|done, total| meter.show(done, total),
        )
        .with_context(|| format!("decompressing {}", a.input.display()))?;
        source::container::write_atomic(&a.output, &plain)?;
    } else {
        decompress_file(&a.input, &a.output, |name| load_coder(name, !a.quiet))
            .with_context(|| format!("decompressing {}", a.input.display()))?;
    }
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
