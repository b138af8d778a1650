//! `run.json`: what produced a results folder — resolved config, its hash, seed, version, timings.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::ResultRow;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub scenario_name: String,
    pub scenario_file: String,
    /// sha256 of the resolved configuration (what the results depend on).
    pub config_hash: String,
    pub seed: u64,
    pub version: String,
    pub threads: usize,
    pub overrides: Vec<String>,
    pub config: serde_json::Value,
    /// Seconds spent per SNR point in this invocation, by scheme and SNR.
    pub timings: Vec<PointTiming>,
    pub started_unix: u64,
    pub finished_unix: Option<u64>,
    /// Set by `sim merge`: the number of shards the results were merged from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u64>,
    /// Message links: what each scheme is besides its configuration (channel use, source bits,
    /// sha256 of its model or weights), by scheme name. A resumed run whose schemes differ from these
    /// (another file under the same path) is refused for the schemes that have rows.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub schemes: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointTiming {
    pub scheme: String,
    pub snr_db: f64,
    pub seconds: f64,
    pub frames: u64,
    /// sha256 of the point's `results.csv` line ([`ResultRow::line_sha256`]): a resumed run redoes a
    /// row that no longer matches it (damaged or edited). Absent in folders written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_sha256: Option<String>,
    /// sha256 of the point's `samples.csv` lines ([`super::samples_sha256`]), for text links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_sha256: Option<String>,
}

impl PointTiming {
    /// The timing of `row`, bound to its content.
    pub fn of(row: &ResultRow, seconds: f64, frames: u64) -> Self {
        PointTiming {
            scheme: row.scheme.clone(),
            snr_db: row.snr_db,
            seconds,
            frames,
            row_sha256: Some(row.line_sha256()),
            samples_sha256: None,
        }
    }

    /// Binds the timing to the point's samples too.
    pub fn with_samples(mut self, samples: &[super::SampleRow]) -> Self {
        self.samples_sha256 = Some(super::samples_sha256(samples));
        self
    }
}

impl RunInfo {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not a valid run.json", path.display()))
    }
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        write_atomic(path, serde_json::to_string_pretty(self)?.as_bytes())
    }
}

/// Writes via a temporary file in the same folder and a rename, so a reader (or a crash) never sees
/// a half-written file. The temporary name carries the process id: shards of one sweep running at
/// once on a shared folder (e.g. all writing the same `encodings/` cache) never write into each
/// other's temporary file, and the last rename wins with complete contents.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let tmp = path.with_extension(format!("{extension}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(())
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
