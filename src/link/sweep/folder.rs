//! The results folder of a run: `results.csv`, `run.json`, and the policy for what a folder may be
//! reused for.
//!
//! The folder is tied to its configuration by `run.json`'s `config_hash` (sha256 of the resolved
//! scenario). Rerunning the same configuration skips the points already in `results.csv`; a
//! different configuration in the same folder is refused unless `--fresh` is given, so results from
//! two configurations never mix.

use std::path::PathBuf;

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::SweepOptions;
use crate::report::{self, ResultRow, ResultsFile, RunInfo};
use crate::scenario::{LoadedScenario, Scenario};

/// sha256 of the resolved configuration.
pub fn config_hash(s: &Scenario) -> String {
    let json = serde_json::to_vec(s).expect("a scenario serializes");
    format!("{:x}", Sha256::digest(&json))
}

/// A results folder opened for a run: rows already there, the open CSV and `run.json`.
pub struct ResultsFolder {
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
        let out_dir = opts.out_dir(loaded);
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
