//! A sweep: every SNR point of a scenario, with rows written as points finish and resume.
//!
//! The results folder is tied to its configuration by `run.json`'s `config_hash` (sha256 of the
//! resolved scenario). Rerunning the same configuration skips the points already in `results.csv`;
//! a different configuration in the same folder is refused unless `--fresh` is given, so results from
//! two configurations never mix.

use std::path::{Path, PathBuf};

use anyhow::Context;
use channels::{theory, SnrPoint};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::{run_point, LinkScheme};
use crate::metrics::{wilson_interval, ErrorCounts, Z_95};
use crate::report::{self, ResultRow, ResultsFile, RunInfo};
use crate::scenario::{ChannelKind, CodeKind, LoadedScenario, ModulationKind, Scenario};

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// Results folder; `results/<name>` when `None`.
    pub out_dir: Option<PathBuf>,
    /// Discard results from a different configuration in the folder instead of refusing.
    pub fresh: bool,
    /// No progress bars (tests, scripts).
    pub quiet: bool,
    pub overrides: Vec<String>,
}

pub struct SweepSummary {
    pub out_dir: PathBuf,
    pub rows: Vec<ResultRow>,
    /// Points simulated by this invocation (the others were already in the folder).
    pub simulated: usize,
}

/// sha256 of the resolved configuration.
pub fn config_hash(s: &Scenario) -> String {
    let json = serde_json::to_vec(s).expect("a scenario serializes");
    format!("{:x}", Sha256::digest(&json))
}

/// A results folder opened for a run: rows already there, the open CSV and `run.json`.
pub(super) struct ResultsFolder {
    pub out_dir: PathBuf,
    pub file: ResultsFile,
    pub rows: Vec<ResultRow>,
    pub info: RunInfo,
    run_json: PathBuf,
}

impl ResultsFolder {
    /// Opens `results/<name>` (or `--out`), refusing results of another configuration unless
    /// `--fresh`. `run.json` is rewritten for this run from its first recorded point on (so a run
    /// refused by a later check leaves the folder as it was), keeping the timings of the rows it
    /// resumes from.
    pub fn open(loaded: &LoadedScenario, opts: &SweepOptions) -> anyhow::Result<Self> {
        let s = &loaded.scenario;
        let out_dir = opts.out_dir.clone().unwrap_or_else(|| PathBuf::from("results").join(&s.name));
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("{}: cannot create results folder", out_dir.display()))?;
        let hash = config_hash(s);
        let run_json = out_dir.join("run.json");
        let mut timings = Vec::new();
        if opts.fresh {
            // Start over whatever the folder holds: another configuration, or the same one whose
            // rows must be redone (e.g. retrained weights under the same path). run.json goes too,
            // so a fresh run stopped before its first point does not leave the old configuration's
            // record in charge of an empty folder.
            let _ = std::fs::remove_file(out_dir.join("results.csv"));
            let _ = std::fs::remove_file(&run_json);
        } else if run_json.exists() {
            let previous = RunInfo::load(&run_json)?;
            if previous.config_hash != hash {
                anyhow::bail!(
                    "{} holds results of a different configuration (config_hash {} vs {}); \
                     use --fresh to replace them or --out to write elsewhere",
                    out_dir.display(),
                    &previous.config_hash[..12],
                    &hash[..12]
                );
            }
            timings = previous.timings;
        }
        let (file, rows) = ResultsFile::open(&out_dir)?;
        // Rows lost to a crash mid-write lose their timing too.
        timings.retain(|t: &report::run_info::PointTiming| {
            rows.iter().any(|r| r.scheme == t.scheme && r.snr_db == t.snr_db)
        });
        let info = RunInfo {
            scenario_name: s.name.clone(),
            scenario_file: loaded.path.display().to_string(),
            config_hash: hash,
            seed: s.seed,
            version: crate::version(),
            threads: rayon::current_num_threads(),
            overrides: opts.overrides.clone(),
            config: serde_json::to_value(s)?,
            timings,
            started_unix: report::run_info::unix_now(),
            finished_unix: None,
            shards: None,
        };
        Ok(ResultsFolder { out_dir, file, rows, info, run_json })
    }

    /// True if the folder already has the row of `scheme` at `snr_db`.
    pub fn has(&self, scheme: &str, snr_db: f64) -> bool {
        self.rows.iter().any(|r| r.scheme == scheme && r.snr_db == snr_db)
    }

    /// Appends a finished point to results.csv and its timing to run.json.
    pub fn record(&mut self, row: ResultRow, frames: u64) -> anyhow::Result<()> {
        self.file.append(&row)?;
        self.info.timings.push(report::run_info::PointTiming {
            scheme: row.scheme.clone(),
            snr_db: row.snr_db,
            seconds: row.seconds,
            frames,
        });
        self.info.save(&self.run_json)?;
        self.rows.push(row);
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<(PathBuf, Vec<ResultRow>)> {
        self.info.finished_unix = Some(report::run_info::unix_now());
        self.info.save(&self.run_json)?;
        Ok((self.out_dir, self.rows))
    }
}

pub fn run_sweep(loaded: &LoadedScenario, opts: &SweepOptions) -> anyhow::Result<SweepSummary> {
    if loaded.scenario.is_text_link() {
        return super::text_sweep::run_text_sweep(loaded, opts);
    }
    let s = &loaded.scenario;
    let base = project_root_for(&loaded.path);
    let scheme = LinkScheme::from_scenario(s, &base)
        .with_context(|| format!("{}: cannot build the scheme", loaded.path.display()))?;
    let mut folder = ResultsFolder::open(loaded, opts)?;
    let mut simulated = 0;
    for &value in &s.snr.values_db {
        let point = SnrPoint::new(value, s.snr.axis, scheme.rate(), scheme.bits_per_symbol());
        if folder.has(&scheme.name, value) {
            continue;
        }
        let bar = progress_bar(opts.quiet, &scheme.name, value, s.stop.min_frame_errors);
        let outcome = run_point(&scheme, &point, s.seed, &s.stop, &mut |c: &ErrorCounts| {
            bar.set_position(c.frame_errors.min(s.stop.min_frame_errors));
            bar.set_message(format!("{} frames, BER {:.3e}", c.frames, c.ber()));
        });
        bar.finish_and_clear();
        let row = counts_row(
            &scheme.name,
            scheme.channel_name(),
            &point,
            &outcome.counts,
            outcome.stopped_by.as_str(),
            outcome.seconds,
            theory_ber(s, &point),
        );
        if outcome.stopped_by == super::StopReason::Frames && outcome.counts.frame_errors < s.stop.min_frame_errors {
            eprintln!(
                "note: {} at {value} dB spent its frame budget ({} frames) with {} of {} frame errors; \
                 its interval is wider than asked (raise stop.max_frames to tighten it)",
                scheme.name, outcome.counts.frames, outcome.counts.frame_errors, s.stop.min_frame_errors
            );
        }
        if !opts.quiet {
            eprintln!(
                "{} @ {value:>5} dB: BER {:.3e} [{:.2e}, {:.2e}]  BLER {:.3e}  ({} frames, {:.1} s)",
                scheme.name, row.ber, row.ber_lo, row.ber_hi, row.bler, row.frames, row.seconds
            );
        }
        folder.record(row, outcome.counts.frames)?;
        simulated += 1;
    }
    let (out_dir, rows) = folder.finish()?;
    report::plot::ber_plot(&out_dir, &rows, &s.name)?;
    Ok(SweepSummary { out_dir, rows, simulated })
}

/// A row with the link-level columns filled from `c` (text columns empty).
pub(super) fn counts_row(
    scheme: &str,
    channel: String,
    point: &SnrPoint,
    c: &ErrorCounts,
    stopped_by: &str,
    seconds: f64,
    ber_theory: Option<f64>,
) -> ResultRow {
    let (ber_lo, ber_hi) = wilson_interval(c.bit_errors, c.bits, Z_95);
    let (bler_lo, bler_hi) = wilson_interval(c.frame_errors, c.frames, Z_95);
    ResultRow {
        scheme: scheme.to_string(),
        channel,
        snr_db: point.snr_db,
        esn0_db: point.esn0_db,
        ebn0_db: point.ebn0_db,
        frames: c.frames,
        bit_errors: c.bit_errors,
        bits: c.bits,
        ber: c.ber(),
        ber_lo,
        ber_hi,
        frame_errors: c.frame_errors,
        bler: c.bler(),
        bler_lo,
        bler_hi,
        coded_bit_errors: c.coded_bit_errors,
        coded_bits: c.coded_bits,
        coded_ber: c.coded_ber(),
        ber_theory,
        mean_iterations: c.mean_iterations(),
        stopped_by: stopped_by.to_string(),
        seconds,
        snr_unified_db: None,
        messages: None,
        message_errors: None,
        bleu1: None,
        bleu2: None,
        bleu3: None,
        bleu4: None,
        similarity: None,
        source_bits_per_char: None,
        symbols_per_message: None,
        message_error_rate: None,
        corpus_bleu4: None,
        source_bits_per_message: None,
        energy_per_message_db: None,
    }
}

/// Closed-form uncoded BER where one exists for the configured link.
pub fn theory_ber(s: &Scenario, point: &SnrPoint) -> Option<f64> {
    if s.code.kind != CodeKind::Uncoded {
        return None;
    }
    // Gray QPSK has the BPSK bit error rate at the same Eb/N0 (= Es/N0 per real dimension).
    let per_dim_db = match s.modulation.kind {
        ModulationKind::Bpsk => point.esn0_db,
        ModulationKind::Qpsk => point.ebn0_db,
    };
    match s.channel.kind {
        ChannelKind::Awgn => Some(theory::bpsk_awgn_ber(per_dim_db)),
        // The hard decision sign(y) does not depend on the gain, so CSI does not matter uncoded; block
        // fading changes which bits err together, not how often each bit errs.
        ChannelKind::Rayleigh => Some(theory::bpsk_rayleigh_ber(per_dim_db, s.channel.mean_square_gain)),
        ChannelKind::RayleighLmSscc => Some(theory::bpsk_rayleigh_ber(per_dim_db, 2.0)),
    }
}

/// Relative data paths in scenarios are written from the project root; a scenario at
/// `<root>/scenarios/x.toml` therefore resolves them against `<root>`.
pub(super) fn project_root_for(scenario: &Path) -> PathBuf {
    let dir = scenario.parent().unwrap_or(Path::new("."));
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("scenarios") => dir.parent().unwrap_or(Path::new(".")).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

pub(super) fn progress_bar(quiet: bool, scheme: &str, snr: f64, target: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(target);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} frame errors, {msg}")
            .expect("valid template"),
    );
    bar.set_prefix(format!("{scheme} @ {snr} dB"));
    bar
}
