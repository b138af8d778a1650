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
    Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn run_sweep(loaded: &LoadedScenario, opts: &SweepOptions) -> anyhow::Result<SweepSummary> {
    let s = &loaded.scenario;
    let base = project_root_for(&loaded.path);
    let scheme = LinkScheme::from_scenario(s, &base)
        .with_context(|| format!("{}: cannot build the scheme", loaded.path.display()))?;
    let out_dir = opts.out_dir.clone().unwrap_or_else(|| PathBuf::from("results").join(&s.name));
    std::fs::create_dir_all(&out_dir).with_context(|| format!("{}: cannot create results folder", out_dir.display()))?;
    let hash = config_hash(s);
    let run_json = out_dir.join("run.json");
    if run_json.exists() {
        let previous = RunInfo::load(&run_json)?;
        if previous.config_hash != hash {
            if !opts.fresh {
                anyhow::bail!(
                    "{} holds results of a different configuration (config_hash {} vs {}); \
                     use --fresh to replace them or --out to write elsewhere",
                    out_dir.display(),
                    &previous.config_hash[..12],
                    &hash[..12]
                );
            }
            let _ = std::fs::remove_file(out_dir.join("results.csv"));
        }
    }
    let (mut file, existing) = ResultsFile::open(&out_dir)?;
    let mut info = RunInfo {
        scenario_name: s.name.clone(),
        scenario_file: loaded.path.display().to_string(),
        config_hash: hash,
        seed: s.seed,
        version: crate::version(),
        threads: rayon::current_num_threads(),
        overrides: opts.overrides.clone(),
        config: serde_json::to_value(s)?,
        timings: Vec::new(),
        started_unix: report::run_info::unix_now(),
        finished_unix: None,
    };
    info.save(&run_json)?;

    let mut rows = existing;
    let mut simulated = 0;
    for &value in &s.snr.values_db {
        let point = SnrPoint::new(value, s.snr.axis, scheme.rate(), scheme.bits_per_symbol());
        if rows.iter().any(|r| r.scheme == scheme.name && r.snr_db == value) {
            continue;
        }
        let bar = progress_bar(opts.quiet, &scheme.name, value, s.stop.min_frame_errors);
        let outcome = run_point(&scheme, &point, s.seed, &s.stop, &mut |c: &ErrorCounts| {
            bar.set_position(c.frame_errors.min(s.stop.min_frame_errors));
            bar.set_message(format!("{} frames, BER {:.3e}", c.frames, c.ber()));
        });
        bar.finish_and_clear();
        let row = make_row(&scheme, s, &point, &outcome);
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
        file.append(&row)?;
        info.timings.push(report::run_info::PointTiming {
            scheme: scheme.name.clone(),
            snr_db: value,
            seconds: outcome.seconds,
            frames: outcome.counts.frames,
        });
        info.save(&run_json)?;
        rows.push(row);
        simulated += 1;
    }
    info.finished_unix = Some(report::run_info::unix_now());
    info.save(&run_json)?;
    report::plot::ber_plot(&out_dir, &rows, &s.name)?;
    Ok(SweepSummary { out_dir, rows, simulated })
}

fn make_row(scheme: &LinkScheme, s: &Scenario, point: &SnrPoint, o: &super::PointOutcome) -> ResultRow {
    let c = &o.counts;
    let (ber_lo, ber_hi) = wilson_interval(c.bit_errors, c.bits, Z_95);
    let (bler_lo, bler_hi) = wilson_interval(c.frame_errors, c.frames, Z_95);
    ResultRow {
        scheme: scheme.name.clone(),
        channel: scheme.channel_name(),
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
        ber_theory: theory_ber(s, point),
        mean_iterations: c.mean_iterations(),
        stopped_by: o.stopped_by.as_str().to_string(),
        seconds: o.seconds,
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
fn project_root_for(scenario: &Path) -> PathBuf {
    let dir = scenario.parent().unwrap_or(Path::new("."));
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("scenarios") => dir.parent().unwrap_or(Path::new(".")).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

fn progress_bar(quiet: bool, scheme: &str, snr: f64, target: u64) -> ProgressBar {
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
