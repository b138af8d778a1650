//! `sim compare`: one metric of several results folders on one plot, with one legend.
//!
//! Each folder is read as `sim plot` reads it (its complete rows) with its `run.json`. Folders are
//! overlaid only when their x axes mean the same thing: the scenario's SNR axis (Es/N0, Eb/N0 or
//! SNR, from `run.json`) must be the same in all of them, and the unified axis needs every folder's
//! reference scheme to spend the same channel symbols per message (the unified SNR is Es/N0 shifted
//! by energy per message relative to that reference). A metric every folder does not have (e.g.
//! BLEU of a link-level run) is refused, naming the folder.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::domain::Domain;
use super::plot::{comparison_plot, ComparedCurve};
use super::{results_csv_rows, ResultRow, RunInfo};

/// What `sim compare` can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Metric {
    Ber,
    Bler,
    Bleu1,
    Bleu2,
    Bleu3,
    Bleu4,
    Similarity,
    MessageErrorRate,
    /// Images: PSNR of the tiles.
    Psnr,
    /// Images: mean SSIM of the tiles.
    Ssim,
    /// Audio: SNR of the samples.
    AudioSnr,
    /// Audio: segmental SNR.
    SegSnr,
    /// Audio: STOI intelligibility.
    Stoi,
    /// Audio: ESTOI intelligibility.
    Estoi,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Ber => "ber",
            Metric::Bler => "bler",
            Metric::Bleu1 => "bleu1",
            Metric::Bleu2 => "bleu2",
            Metric::Bleu3 => "bleu3",
            Metric::Bleu4 => "bleu4",
            Metric::Similarity => "similarity",
            Metric::MessageErrorRate => "message_error_rate",
            Metric::Psnr => "psnr",
            Metric::Ssim => "ssim",
            Metric::AudioSnr => "audio_snr",
            Metric::SegSnr => "seg_snr",
            Metric::Stoi => "stoi",
            Metric::Estoi => "estoi",
        }
    }

    fn log_y(self) -> bool {
        matches!(self, Metric::Ber | Metric::Bler | Metric::MessageErrorRate)
    }

    /// The value and its interval, where the row has them.
    fn of(self, r: &ResultRow) -> (Option<f64>, Option<(f64, f64)>) {
        let pair = |lo: Option<f64>, hi: Option<f64>| lo.zip(hi);
        match self {
            Metric::Ber => (Some(r.ber), Some((r.ber_lo, r.ber_hi))),
            Metric::Bler => (Some(r.bler), Some((r.bler_lo, r.bler_hi))),
            Metric::Bleu1 => (r.bleu1, pair(r.bleu1_lo, r.bleu1_hi)),
            Metric::Bleu2 => (r.bleu2, pair(r.bleu2_lo, r.bleu2_hi)),
            Metric::Bleu3 => (r.bleu3, pair(r.bleu3_lo, r.bleu3_hi)),
            Metric::Bleu4 => (r.bleu4, pair(r.bleu4_lo, r.bleu4_hi)),
            Metric::Similarity => (r.similarity, pair(r.similarity_lo, r.similarity_hi)),
            Metric::MessageErrorRate => (r.message_error_rate, None),
            Metric::Psnr => (r.psnr_db, pair(r.psnr_lo, r.psnr_hi)),
            Metric::Ssim => (r.ssim, pair(r.ssim_lo, r.ssim_hi)),
            Metric::AudioSnr => (r.audio_snr_db, pair(r.audio_snr_lo, r.audio_snr_hi)),
            Metric::SegSnr => (r.seg_snr_db, pair(r.seg_snr_lo, r.seg_snr_hi)),
            Metric::Stoi => (r.stoi, pair(r.stoi_lo, r.stoi_hi)),
            Metric::Estoi => (r.estoi, pair(r.estoi_lo, r.estoi_hi)),
        }
    }
}

/// The x axis of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Axis {
    /// The scenarios' own SNR axis (`snr_db`).
    Snr,
    /// The unified SNR of text links (`snr_unified_db`).
    Unified,
}

/// A results folder to compare, with its legend label.
pub struct Folder {
    pub dir: PathBuf,
    pub label: String,
    rows: Vec<ResultRow>,
    info: RunInfo,
}

impl Folder {
    /// Reads `dir/results.csv` (complete rows) and `dir/run.json`.
    pub fn load(dir: &Path, label: Option<String>) -> anyhow::Result<Self> {
        let read = results_csv_rows(dir)?;
        if read.rows.is_empty() {
            anyhow::bail!("{}: no complete rows to compare", dir.join("results.csv").display());
        }
        let info = RunInfo::load(&dir.join("run.json"))?;
        let label = label.unwrap_or_else(|| dir.file_name().and_then(|n| n.to_str()).unwrap_or("results").to_string());
        Ok(Folder { dir: dir.to_path_buf(), label, rows: read.rows, info })
    }

    /// The metric its rows are best compared by: an image link's PSNR, an audio link's sample SNR,
    /// a text link's BLEU-4, else (a link-level run) the BER.
    pub fn main_metric(&self) -> Metric {
        match Domain::of(&self.rows) {
            Domain::Image => Metric::Psnr,
            Domain::Audio => Metric::AudioSnr,
            Domain::Text if self.rows.iter().any(|r| r.bleu4.is_some()) => Metric::Bleu4,
            _ => Metric::Ber,
        }
    }

    fn snr_axis(&self) -> String {
        self.info.config.pointer("/snr/axis").and_then(|v| v.as_str()).unwrap_or("esn0").to_string()
    }

    /// The reference scheme of the unified axis and its channel symbols per message.
    fn unified_reference(&self) -> Option<(String, f64)> {
        let named = self.info.config.pointer("/unified/reference").and_then(|v| v.as_str()).unwrap_or("");
        let first = self.info.config.pointer("/schemes/0/name").and_then(|v| v.as_str()).unwrap_or("");
        let name = if named.is_empty() { first } else { named };
        let row = self.rows.iter().find(|r| r.scheme == name)?;
        Some((name.to_string(), row.symbols_per_message?))
    }
}

/// What to compare.
pub struct Comparison {
    pub metrics: Vec<Metric>,
    pub axis: Axis,
    /// Only these schemes (all when empty).
    pub schemes: Vec<String>,
}

/// Checks that `folders` can share the axes and metrics of `c`, then writes one figure per metric
/// (`compare_<metric>.svg/.png`) and `compare.csv` (every point drawn) into `out`. Returns the files.
pub fn compare(folders: &[Folder], c: &Comparison, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if folders.len() < 2 {
        anyhow::bail!("name at least two results folders to compare");
    }
    let first = &folders[0];
    for f in &folders[1..] {
        if f.snr_axis() != first.snr_axis() {
            anyhow::bail!(
                "{} runs on the {} axis but {} on {}: their SNR values are not comparable",
                f.dir.display(),
                f.snr_axis(),
                first.dir.display(),
                first.snr_axis()
            );
        }
    }
    if c.axis == Axis::Unified {
        let reference = |f: &Folder| {
            f.unified_reference().with_context(|| {
                format!("{}: not a text link with a unified SNR axis (no reference scheme's row)", f.dir.display())
            })
        };
        let (name, symbols) = reference(first)?;
        for f in &folders[1..] {
            let (other, other_symbols) = reference(f)?;
            if other_symbols != symbols {
                anyhow::bail!(
                    "the unified axes differ: {}'s reference {name} sends {symbols} channel symbols per message, \
                     {}'s reference {other} {other_symbols}; compare on --axis snr",
                    first.dir.display(),
                    f.dir.display()
                );
            }
        }
    }
    let x_of = |r: &ResultRow| match c.axis {
        Axis::Snr => Some(r.snr_db),
        Axis::Unified => r.snr_unified_db,
    };
    let shown = |r: &ResultRow| c.schemes.is_empty() || c.schemes.contains(&r.scheme);
    for s in &c.schemes {
        if !folders.iter().any(|f| f.rows.iter().any(|r| &r.scheme == s)) {
            anyhow::bail!("no folder has a scheme named {s}");
        }
    }
    for f in folders {
        for &m in &c.metrics {
            if !f.rows.iter().filter(|r| shown(r)).any(|r| m.of(r).0.is_some()) {
                anyhow::bail!("{}: its rows have no {} to compare", f.dir.display(), m.name());
            }
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut table = csv::Writer::from_writer(Vec::new());
    table.write_record(["metric", "folder", "scheme", "x_db", "value", "lo", "hi"])?;
    let mut written = Vec::new();
    for &m in &c.metrics {
        let mut curves = Vec::new();
        for f in folders {
            let mut schemes: Vec<&str> = Vec::new();
            for r in f.rows.iter().filter(|r| shown(r)) {
                if !schemes.contains(&r.scheme.as_str()) {
                    schemes.push(&r.scheme);
                }
            }
            for s in schemes {
                let mut rows: Vec<&ResultRow> = f.rows.iter().filter(|r| r.scheme == s).collect();
                rows.sort_by(|a, b| a.snr_db.total_cmp(&b.snr_db));
                let mut curve =
                    ComparedCurve { label: format!("{}: {s}", f.label), points: Vec::new(), bars: Vec::new() };
                for r in rows {
                    let (Some(x), (Some(y), interval)) = (x_of(r), m.of(r)) else { continue };
                    let drawable = |v: f64| v.is_finite() && (!m.log_y() || v > 0.0);
                    let (lo, hi) = interval.unwrap_or((f64::NAN, f64::NAN));
                    table.write_record([
                        m.name().to_string(),
                        f.label.clone(),
                        s.to_string(),
                        x.to_string(),
                        y.to_string(),
                        if lo.is_finite() { lo.to_string() } else { String::new() },
                        if hi.is_finite() { hi.to_string() } else { String::new() },
                    ])?;
                    if x.is_finite() && drawable(y) {
                        curve.points.push((x, y));
                    }
                    if drawable(lo) && drawable(hi) {
                        curve.bars.push((x, lo, hi));
                    }
                }
                curves.push(curve);
            }
        }
        let x_label = match c.axis {
            Axis::Snr => format!("SNR (dB, {} axis)", first.snr_axis()),
            Axis::Unified => "unified SNR (dB)".to_string(),
        };
        let stem = format!("compare_{}", m.name());
        let title =
            format!("{}: {}", folders.iter().map(|f| f.label.as_str()).collect::<Vec<_>>().join(" vs "), m.name());
        written.extend(comparison_plot(out, &stem, &title, &x_label, m.name(), m.log_y(), curves)?);
    }
    let csv_path = out.join("compare.csv");
    super::write_atomic(&csv_path, &table.into_inner()?)?;
    written.push(csv_path);
    Ok(written)
}
