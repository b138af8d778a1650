//! `sim report DIR`: a results folder as one self-contained HTML page and a Markdown file.

use std::path::PathBuf;

use clap::Args;

use crate::report::page::{write_report, ReportOptions};

#[derive(Args)]
pub struct ReportArgs {
    /// Results folder holding results.csv and run.json (and samples.csv for text links).
    pub dir: PathBuf,
    /// SNR values (scenario axis) whose samples the page shows (comma-separated; default: the lowest,
    /// a middle and the highest).
    #[arg(long = "snr", value_delimiter = ',', allow_hyphen_values = true)]
    pub snrs: Vec<f64>,
    /// Error rate the distance to the limit is measured at (default 0.1 for text links, 0.01 for
    /// link-level runs).
    #[arg(long)]
    pub target: Option<f64>,
}

pub fn run(a: ReportArgs) -> anyhow::Result<()> {
    if let Some(t) = a.target {
        if !(t > 0.0 && t < 1.0) {
            anyhow::bail!("--target {t}: an error rate strictly between 0 and 1");
        }
    }
    let written = write_report(&a.dir, &ReportOptions { sample_snrs: a.snrs, target: a.target })?;
    for note in &written.notes {
        eprintln!("note: {note}");
    }
    for f in written.files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
