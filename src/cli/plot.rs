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
    let csv = a.dir.join("results.csv");
    let read = report::results_csv_rows(&a.dir)?;
    if read.dropped_cut_row {
        eprintln!("note: {}: its last row is cut short (an interrupted write); plotting without it", csv.display());
    }
    let rows = read.rows;
    if rows.is_empty() {
        anyhow::bail!("{}: no complete rows to plot", csv.display());
    }
    let title = a.dir.file_name().and_then(|n| n.to_str()).unwrap_or("results").to_string();
    // The limit marks need the run's channel and framing: from run.json when there is one.
    let limits = match report::RunInfo::load(&a.dir.join("run.json")) {
        Ok(info) => {
            let length_bits = info.config.pointer("/framing/length_bits").and_then(|v| v.as_u64()).unwrap_or(11);
            let channel = report::distance::LimitChannel::of_run(&info.config).ok();
            report::distance::plot_limits(&rows, channel, length_bits as u32)
        }
        Err(e) => {
            eprintln!("note: {e:#}; plotting without the finite-length limit marks");
            Vec::new()
        }
    };
    let written = plot::all_plots(&a.dir, &rows, &title, &limits)?;
    if written.is_empty() {
        anyhow::bail!("{}: no plot drawn: the rows hold no finite values to draw", csv.display());
    }
    for f in written {
        println!("wrote {}", f.display());
    }
    Ok(())
}
