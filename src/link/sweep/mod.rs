//! A sweep: every SNR point of a scenario, each row written as its point finishes, interrupted
//! sweeps resumed.
//!
//! - [`plan`]: the points and their work units, in the single run's order;
//! - [`message`]: a message scenario (`[[schemes]]`): its schemes prepared, every point run through
//!   [`crate::link::message::MessageScheme::run_batches`] and reduced;
//! - a link-level scenario runs here, one point at a time through `link::block::engine`;
//! - [`rows`]: the rows of `results.csv`; [`folder`]: the results folder and what it may be reused for.
//!
//! Progress and per-point lines go to a [`Sink`]; nothing here prints.

pub mod folder;
pub mod message;
pub mod plan;
pub mod rows;

use std::path::PathBuf;

use anyhow::Context;

use super::block::engine::{run_point, StopReason};
use super::events::{Event, Sink};
use super::facts::SchemeFacts;
use super::paths::project_root_for;
use crate::report::{self, ResultRow};
use crate::scenario::LoadedScenario;
use folder::ResultsFolder;
use rows::{counts_row, theory_ber};

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// Results folder; `results/<name>` when `None`.
    pub out_dir: Option<PathBuf>,
    /// Discard results from a different configuration in the folder instead of refusing.
    pub fresh: bool,
    /// No messages from model loading (the front end decides what else to show).
    pub quiet: bool,
    pub overrides: Vec<String>,
}

impl SweepOptions {
    /// The results folder: `--out`, else `results/<scenario name>`.
    pub fn out_dir(&self, loaded: &LoadedScenario) -> PathBuf {
        self.out_dir.clone().unwrap_or_else(|| PathBuf::from("results").join(&loaded.scenario.name))
    }
}

pub struct SweepSummary {
    pub out_dir: PathBuf,
    pub rows: Vec<ResultRow>,
    /// Points simulated by this invocation (the others were already in the folder).
    pub simulated: usize,
}

/// Builds every scheme of `loaded` (text set, code files, models and weights) without writing
/// anything: what `sim slurm` checks before it hands a scenario to a cluster.
pub fn check_buildable(loaded: &LoadedScenario) -> anyhow::Result<()> {
    if loaded.scenario.is_text_link() {
        super::schemes::build_schemes(loaded, false)?;
    } else {
        super::level::build(&loaded.scenario, &project_root_for(&loaded.path))
            .with_context(|| format!("{}: cannot build the scheme", loaded.path.display()))?;
    }
    Ok(())
}

/// Runs every point of `loaded` not yet in its results folder, then draws the plots.
pub fn run_sweep(loaded: &LoadedScenario, opts: &SweepOptions, sink: &mut dyn Sink) -> anyhow::Result<SweepSummary> {
    if loaded.scenario.is_text_link() {
        return message::run_message_sweep(loaded, opts, sink);
    }
    let s = &loaded.scenario;
    let scheme = super::level::build(s, &project_root_for(&loaded.path))
        .with_context(|| format!("{}: cannot build the scheme", loaded.path.display()))?;
    let scheme = scheme.as_ref();
    let facts = SchemeFacts::of_link(scheme);
    let mut folder = ResultsFolder::open(loaded, opts, sink)?;
    let mut simulated = 0;
    for p in plan::plan(std::slice::from_ref(&facts), s, 0) {
        let value = p.value_db;
        if folder.has(scheme.label(), value) {
            continue;
        }
        sink.event(Event::LinkPointStarted {
            scheme: scheme.label(),
            snr_db: value,
            min_frame_errors: s.stop.min_frame_errors,
        });
        let outcome =
            run_point(scheme, &p.point, s.seed, &s.stop, &mut |c| sink.event(Event::LinkProgress { counts: c }));
        let row = counts_row(
            scheme.label(),
            scheme.channel_name(),
            &p.point,
            &outcome.counts,
            outcome.stopped_by.as_str(),
            outcome.seconds,
            theory_ber(s, &p.point),
        );
        if outcome.stopped_by == StopReason::Frames && outcome.counts.frame_errors < s.stop.min_frame_errors {
            sink.event(Event::FrameBudgetSpent {
                scheme: scheme.label(),
                snr_db: value,
                frames: outcome.counts.frames,
                frame_errors: outcome.counts.frame_errors,
                min_frame_errors: s.stop.min_frame_errors,
            });
        }
        sink.event(Event::LinkPointFinished { row: &row });
        folder.record(row, outcome.counts.frames, Vec::new())?;
        simulated += 1;
    }
    let order: Vec<(&str, f64)> = s.snr.values_db.iter().map(|&v| (scheme.label(), v)).collect();
    let (out_dir, rows) = folder.finish(&order)?;
    report::plot::ber_plot(&out_dir, &rows, &s.name)?;
    Ok(SweepSummary { out_dir, rows, simulated })
}
