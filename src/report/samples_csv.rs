//! `samples.csv`: what each scheme delivered. For the first `metrics.samples` messages of the set
//! (the same messages for every scheme), at every point: the text sent, the text received (CSV-quoted,
//! so commas, quotes and line breaks survive; bytes that were not UTF-8 were already replaced by
//! U+FFFD when the message was decoded), and that message's BLEU-1..4 and similarity.
//!
//! A point's samples are part of its output: the results folder rewrites this file atomically
//! (whole) before the point's row is appended to `results.csv`, and a resumed run redoes a point
//! whose samples are missing (see `link::sweep::folder`).

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::write_atomic;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    pub scheme: String,
    pub snr_db: f64,
    /// Index of the message among those sent at the point (message `j mod M` of the set).
    pub message: u64,
    pub sent: String,
    pub received: String,
    pub bleu1: f64,
    pub bleu2: f64,
    pub bleu3: f64,
    pub bleu4: f64,
    /// Empty when similarity is off.
    pub similarity: Option<f64>,
}

/// Writes `dir/samples.csv` with exactly `rows`, atomically.
pub fn write_samples(dir: &Path, rows: &[SampleRow]) -> anyhow::Result<()> {
    let mut wtr = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        wtr.write_record([
            "scheme",
            "snr_db",
            "message",
            "sent",
            "received",
            "bleu1",
            "bleu2",
            "bleu3",
            "bleu4",
            "similarity",
        ])?;
    }
    for r in rows {
        wtr.serialize(r)?;
    }
    write_atomic(&dir.join("samples.csv"), &wtr.into_inner()?)
}

/// sha256 of `rows` as `samples.csv` lines (no header): `run.json` records it for every point, so
/// samples changed after they were written are recognised.
pub fn samples_sha256(rows: &[SampleRow]) -> String {
    use sha2::{Digest, Sha256};
    let mut wtr = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for r in rows {
        wtr.serialize(r).expect("a sample row serialises");
    }
    format!("{:x}", Sha256::digest(wtr.into_inner().expect("writes to memory")))
}

/// Reads `path`; an error names the line.
pub fn read_samples(path: &Path) -> anyhow::Result<Vec<SampleRow>> {
    let mut rdr = csv::Reader::from_path(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut rows = Vec::new();
    for (i, r) in rdr.deserialize().enumerate() {
        rows.push(r.with_context(|| format!("{}: line {}", path.display(), i + 2))?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let row = |received: &str| SampleRow {
            scheme: "s".into(),
            snr_db: -1.5,
            message: 3,
            sent: "a, \"quoted\" sentence".into(),
            received: received.into(),
            bleu1: 0.25,
            bleu2: 0.0,
            bleu3: 0.0,
            bleu4: 0.0,
            similarity: None,
        };
        let rows = vec![row("two\nlines, \u{fffd} and \"quotes\""), row(""), row("\r\t\u{0}")];
        write_samples(dir.path(), &rows).unwrap();
        assert_eq!(read_samples(&dir.path().join("samples.csv")).unwrap(), rows);
        write_samples(dir.path(), &[]).unwrap();
        assert!(read_samples(&dir.path().join("samples.csv")).unwrap().is_empty());
    }
}
