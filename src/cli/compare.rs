//! `sim compare DIR... --out DIR`: overlay one or more metrics of several results folders.

use std::path::PathBuf;

use clap::Args;

use crate::report::compare::{compare, Axis, Comparison, Folder, Metric};

#[derive(Args)]
pub struct CompareArgs {
    /// Results folders (each with results.csv and run.json), at least two.
    #[arg(required = true, num_args = 2..)]
    pub dirs: Vec<PathBuf>,
    /// Folder for compare_<metric>.svg/.png and compare.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// Metrics to draw, one figure each (default: the folders' shared main metric: psnr for image
    /// links, audio-snr for audio links, bleu4 for text links, ber for link-level runs).
    #[arg(long = "metric", value_enum, value_delimiter = ',')]
    pub metrics: Vec<Metric>,
    /// x axis: the scenarios' own SNR axis, or the unified SNR of text links.
    #[arg(long, value_enum, default_value = "snr")]
    pub axis: Axis,
    /// Only these schemes (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub schemes: Vec<String>,
    /// Legend labels, one per folder in order (default: the folder names).
    #[arg(long, value_delimiter = ',')]
    pub labels: Vec<String>,
}

pub fn run(a: CompareArgs) -> anyhow::Result<()> {
    if !a.labels.is_empty() && a.labels.len() != a.dirs.len() {
        anyhow::bail!("--labels: {} labels for {} folders", a.labels.len(), a.dirs.len());
    }
    let folders = a
        .dirs
        .iter()
        .enumerate()
        .map(|(i, d)| Folder::load(d, a.labels.get(i).cloned()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let metrics = if a.metrics.is_empty() {
        // The folders' own main metric when they share one; BLEU-4 on the unified axis (message
        // links) and the BER otherwise, as before image and audio links existed.
        let main = folders[0].main_metric();
        let shared = folders.iter().all(|f| f.main_metric() == main);
        vec![match (shared, a.axis) {
            (true, _) => main,
            (false, Axis::Unified) => Metric::Bleu4,
            (false, Axis::Snr) => Metric::Ber,
        }]
    } else {
        a.metrics
    };
    let written = compare(&folders, &Comparison { metrics, axis: a.axis, schemes: a.schemes }, &a.out)?;
    for f in written {
        println!("wrote {}", f.display());
    }
    Ok(())
}
