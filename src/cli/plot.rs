//! `sim plot DIR`: redraw a results folder's plots from its results.csv.

use std::path::PathBuf;

use clap::Args;

use crate::report::{self, plot};

#[derive(Args)]
pub struct PlotArgs {
    /// Results folder holding results.csv.
    pub dir: PathBuf,
}

pub fn run(a: PlotArgs) -> anyhow::Result<()> {
    let rows = report::results_csv_rows(&a.dir)?;
    let title = a.dir.file_name().and_then(|n| n.to_str()).unwrap_or("results").to_string();
    for f in plot::all_plots(&a.dir, &rows, &title)? {
        println!("wrote {}", f.display());
    }
    Ok(())
}
