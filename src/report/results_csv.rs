//! `results.csv`: one row per scheme × SNR point, appended and flushed as each point finishes.
//!
//! Column names are an interface (scripts read them): add columns at the end, never rename (a file
//! of an earlier version reads with the newer columns empty). Each row
//! is appended with one write and an fsync, its newline last, so a row is complete exactly when its
//! newline is there. On resume the file is re-read; a last row without its newline (cut short by a
//! crash, wherever the cut fell, even between two digits of its last number) is dropped (the file is
//! rewritten atomically with its complete rows) and that point is simulated again.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::write_atomic;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub scheme: String,
    pub channel: String,
    pub snr_db: f64,
    pub esn0_db: f64,
    pub ebn0_db: f64,
    pub frames: u64,
    pub bit_errors: u64,
    pub bits: u64,
    pub ber: f64,
    pub ber_lo: f64,
    pub ber_hi: f64,
    pub frame_errors: u64,
    pub bler: f64,
    pub bler_lo: f64,
    pub bler_hi: f64,
    pub coded_bit_errors: u64,
    pub coded_bits: u64,
    pub coded_ber: f64,
    /// Closed-form BER where theory exists (uncoded BPSK/QPSK over AWGN, or Rayleigh with CSI); empty otherwise.
    pub ber_theory: Option<f64>,
    pub mean_iterations: f64,
    /// `errors` when `min_frame_errors` was reached, `frames` when the frame budget ran out first.
    pub stopped_by: String,
    pub seconds: f64,
    // --- End-to-end text link columns (empty in link-level scenarios). ---
    /// Es/N0 shifted by the scheme's energy per message relative to the reference scheme's
    /// (see README, "Unified SNR").
    pub snr_unified_db: Option<f64>,
    /// Messages sent at this point (text lines × repeats) and how many were received with any
    /// difference from the text sent.
    pub messages: Option<u64>,
    pub message_errors: Option<u64>,
    /// Mean sentence BLEU-1..4 over the messages (weights and smoothing as `[metrics]` says).
    pub bleu1: Option<f64>,
    pub bleu2: Option<f64>,
    pub bleu3: Option<f64>,
    pub bleu4: Option<f64>,
    /// Mean cosine similarity of all-MiniLM-L6-v2 sentence embeddings, sent vs received.
    pub similarity: Option<f64>,
    /// Source bits per character of the text sent (payload only, before header and padding).
    pub source_bits_per_char: Option<f64>,
    /// Channel symbols per message (blocks × symbols per block), averaged over the messages.
    pub symbols_per_message: Option<f64>,
    pub message_error_rate: Option<f64>,
    /// Corpus BLEU-4 (NLTK `corpus_bleu`) over all messages of the point.
    pub corpus_bleu4: Option<f64>,
    pub source_bits_per_message: Option<f64>,
    /// Energy per message over N0, in dB: Es/N0 + 10·log10(symbols per message × precision charge).
    pub energy_per_message_db: Option<f64>,
    /// 95 % percentile-bootstrap intervals of mean BLEU-1..4 and similarity over the point's
    /// messages (`metrics::bootstrap`: 2,000 resamples of the messages, a fixed seed).
    pub bleu1_lo: Option<f64>,
    pub bleu1_hi: Option<f64>,
    pub bleu2_lo: Option<f64>,
    pub bleu2_hi: Option<f64>,
    pub bleu3_lo: Option<f64>,
    pub bleu3_hi: Option<f64>,
    pub bleu4_lo: Option<f64>,
    pub bleu4_hi: Option<f64>,
    pub similarity_lo: Option<f64>,
    pub similarity_hi: Option<f64>,
    /// Messages the receiver flagged as damaged (SSCC: a failed parity check or CRC, or a source
    /// stream that does not end where its length header says), the flagged ones that were wrong, and the wrong
    /// ones it did not flag (undetected errors). Empty for receivers with no such test (JSCC).
    pub flagged_messages: Option<u64>,
    pub flagged_errors: Option<u64>,
    pub unflagged_errors: Option<u64>,
    /// ICD receivers: candidates the LM decoded per message sent (its extra decoding work).
    pub candidates_per_message: Option<f64>,
    // --- Image link columns (`metrics::image_quality`; empty for text). ---
    /// PSNR of the point's tiles taken together, dB (100 when every tile arrived exactly), and its
    /// 95 % bootstrap interval over tiles.
    pub psnr_db: Option<f64>,
    pub psnr_lo: Option<f64>,
    pub psnr_hi: Option<f64>,
    /// Mean SSIM over tiles, and its 95 % bootstrap interval.
    pub ssim: Option<f64>,
    pub ssim_lo: Option<f64>,
    pub ssim_hi: Option<f64>,
    /// Source bits per pixel of the tiles sent (payload only, before header and padding).
    pub source_bits_per_pixel: Option<f64>,
    /// LM-aided receivers: the LM steps (one token for one candidate or path) their extra
    /// decoding took, per message sent; the plain decoding of what the channel decoder decided is
    /// not counted.
    pub lm_steps_per_message: Option<f64>,
    /// Images: the mean over tiles of each tile's own PSNR, dB (an exact tile counts 100): the
    /// per-image average the image-coding literature reports (Deep JSCC's CIFAR-10 curves), where
    /// `psnr_db` pools every tile's error first.
    pub psnr_tile_mean_db: Option<f64>,
    // --- Audio link columns (`metrics::audio_quality`; empty for text and images). ---
    /// SNR of the point's frames taken together, dB (100 when every frame arrived exactly), and its
    /// 95 % bootstrap interval over frames.
    pub audio_snr_db: Option<f64>,
    pub audio_snr_lo: Option<f64>,
    pub audio_snr_hi: Option<f64>,
    /// Segmental SNR (256-sample segments, each clamped to [−10, 35] dB), and its 95 % bootstrap
    /// interval over frames.
    pub seg_snr_db: Option<f64>,
    pub seg_snr_lo: Option<f64>,
    pub seg_snr_hi: Option<f64>,
    /// Source bits per sample of the frames sent (payload only, before header and padding).
    pub source_bits_per_sample: Option<f64>,
    /// STOI (Taal et al. 2011) of each clip's frames joined, received against sent (about 0
    /// unintelligible, 1 as sent), and its 95 % block-bootstrap interval over 384 ms segments;
    /// empty where no clip has enough speech to score.
    pub stoi: Option<f64>,
    pub stoi_lo: Option<f64>,
    pub stoi_hi: Option<f64>,
    /// ESTOI (Jensen & Taal 2016; frame-by-frame spectral correlations, which also see frames muted
    /// or noise that comes and goes within 384 ms), and its interval, as for STOI.
    pub estoi: Option<f64>,
    pub estoi_lo: Option<f64>,
    pub estoi_hi: Option<f64>,
    // --- List receivers, text and image (`link::message::ListMisses`; empty for other receivers). ---
    /// Messages the list searched and did not return although the sent one was within its penalty
    /// limit and scored better than its choice: misses of the search (a better search might find them).
    pub list_missed: Option<u64>,
    /// Messages the list searched where a wrong message it found scores at least as well as the
    /// sent one: errors of the metric, which no search removes.
    pub list_outscored: Option<u64>,
    /// Messages the list searched whose sent message is over the penalty limit.
    pub list_over_limit: Option<u64>,
}

impl ResultRow {
    /// The row as one `results.csv` line (no header), newline included.
    pub fn csv_line(&self) -> anyhow::Result<Vec<u8>> {
        let mut wtr = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        wtr.serialize(self)?;
        Ok(wtr.into_inner()?)
    }

    /// sha256 of [`ResultRow::csv_line`] with `seconds` left out (set to 0): `run.json` records it for
    /// every row it times, so a result changed after it was written is recognised (a row read back
    /// re-serialises to the same bytes: numbers are written in their shortest round-tripping form),
    /// while the rows of another run of the same configuration, which differ only in `seconds`, match.
    pub fn line_sha256(&self) -> String {
        self.sha256_of_first(header().len())
    }

    /// Whether `recorded` is this row's [`ResultRow::line_sha256`], as this version or an earlier one
    /// (with fewer columns) wrote it: a row of an earlier version, read back with the newer columns
    /// empty, still matches the checksum that version recorded.
    pub fn matches_line_sha256(&self, recorded: &str) -> bool {
        if recorded == self.line_sha256() {
            return true;
        }
        // An earlier version wrote the first `width` columns; its row is this one when every column
        // appended since is empty.
        let record = own_fields(&self.csv_line().expect("a row of numbers and strings serialises"));
        EARLIER_WIDTHS
            .iter()
            .any(|&width| record.iter().skip(width).all(str::is_empty) && recorded == self.sha256_of_first(width))
    }

    /// sha256 of the row's line cut to its first `columns` columns, `seconds` set to 0.
    fn sha256_of_first(&self, columns: usize) -> String {
        use sha2::{Digest, Sha256};
        let line =
            ResultRow { seconds: 0.0, ..self.clone() }.csv_line().expect("a row of numbers and strings serialises");
        let line = if columns < header().len() {
            let record = own_fields(&line);
            let mut wtr = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
            wtr.write_record(record.iter().take(columns)).expect("writes to memory");
            wtr.into_inner().expect("writes to memory")
        } else {
            line
        };
        format!("{:x}", Sha256::digest(&line))
    }
}

/// The fields of a line this version wrote.
fn own_fields(line: &[u8]) -> csv::StringRecord {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line)
        .records()
        .next()
        .expect("one line")
        .expect("our own line parses")
}

/// How many columns each earlier version that recorded row checksums wrote: 46 (the first, before
/// the detection columns), 50 (before the image columns), 57 (before `lm_steps_per_message`), 58
/// (before `psnr_tile_mean_db`), 59 (before the audio columns), 66 (before STOI), 69 (before ESTOI),
/// 72 (before the list receiver's misses).
const EARLIER_WIDTHS: [usize; 8] = [46, 50, 57, 58, 59, 66, 69, 72];

pub struct ResultsFile {
    path: PathBuf,
}

impl ResultsFile {
    /// Starts `dir/results.csv` over with exactly `rows` (written atomically) and opens it for
    /// appending.
    pub fn create(dir: &Path, rows: &[ResultRow]) -> anyhow::Result<Self> {
        write_rows(dir, rows)?;
        Ok(ResultsFile { path: dir.join("results.csv") })
    }

    /// Appends one row and flushes it to disk.
    pub fn append(&mut self, row: &ResultRow) -> anyhow::Result<()> {
        let bytes = row.csv_line()?;
        let mut f =
            OpenOptions::new().append(true).open(&self.path).with_context(|| format!("{}", self.path.display()))?;
        f.write_all(&bytes)?;
        f.sync_data()?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `dir/results.csv` with exactly `rows`, atomically (a merge writes all its rows at once).
pub fn write_rows(dir: &Path, rows: &[ResultRow]) -> anyhow::Result<()> {
    let mut wtr = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        // No rows to serialize (serde would write the header with the first row): write it alone.
        wtr.write_record(header())?;
    }
    for r in rows {
        wtr.serialize(r)?;
    }
    write_atomic(&dir.join("results.csv"), &wtr.into_inner()?)
}

/// The CSV header, in column order.
pub fn header() -> Vec<&'static str> {
    vec![
        "scheme",
        "channel",
        "snr_db",
        "esn0_db",
        "ebn0_db",
        "frames",
        "bit_errors",
        "bits",
        "ber",
        "ber_lo",
        "ber_hi",
        "frame_errors",
        "bler",
        "bler_lo",
        "bler_hi",
        "coded_bit_errors",
        "coded_bits",
        "coded_ber",
        "ber_theory",
        "mean_iterations",
        "stopped_by",
        "seconds",
        "snr_unified_db",
        "messages",
        "message_errors",
        "bleu1",
        "bleu2",
        "bleu3",
        "bleu4",
        "similarity",
        "source_bits_per_char",
        "symbols_per_message",
        "message_error_rate",
        "corpus_bleu4",
        "source_bits_per_message",
        "energy_per_message_db",
        "bleu1_lo",
        "bleu1_hi",
        "bleu2_lo",
        "bleu2_hi",
        "bleu3_lo",
        "bleu3_hi",
        "bleu4_lo",
        "bleu4_hi",
        "similarity_lo",
        "similarity_hi",
        "flagged_messages",
        "flagged_errors",
        "unflagged_errors",
        "candidates_per_message",
        "psnr_db",
        "psnr_lo",
        "psnr_hi",
        "ssim",
        "ssim_lo",
        "ssim_hi",
        "source_bits_per_pixel",
        "lm_steps_per_message",
        "psnr_tile_mean_db",
        "audio_snr_db",
        "audio_snr_lo",
        "audio_snr_hi",
        "seg_snr_db",
        "seg_snr_lo",
        "seg_snr_hi",
        "source_bits_per_sample",
        "stoi",
        "stoi_lo",
        "stoi_hi",
        "estoi",
        "estoi_lo",
        "estoi_hi",
        "list_missed",
        "list_outscored",
        "list_over_limit",
    ]
}

/// The rows of a results file as read back.
#[derive(Debug, Clone, Default)]
pub struct ReadRows {
    pub rows: Vec<ResultRow>,
    /// A last row without its newline (an interrupted write) was left out.
    pub dropped_cut_row: bool,
}

/// Reads the complete rows of an existing results file, leaving out a last row cut short. A damaged
/// row elsewhere, or a header from another version, is an error naming the line: we never silently
/// discard results.
pub fn read_complete_rows(path: &Path) -> anyhow::Result<ReadRows> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read results", path.display()))?;
    // Everything after the last newline is a row whose write did not finish.
    let complete = text.rfind('\n').map_or("", |i| &text[..=i]);
    let dropped_cut_row = complete.len() < text.len() && !complete.is_empty();
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(complete.as_bytes());
    let found: Vec<String> = rdr.headers()?.iter().map(String::from).collect();
    // Columns are only ever appended: a file of an earlier version has a prefix of them, and reads
    // with the newer columns empty.
    let all = header();
    if found.is_empty() || found.len() > all.len() || found.iter().zip(&all).any(|(f, h)| f != h) {
        anyhow::bail!(
            "{}: line 1: the header does not match this version's columns; move the file away or use another --out",
            path.display()
        );
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let parsed = rec.map_err(anyhow::Error::from).and_then(|mut r| {
            if r.len() != found.len() {
                anyhow::bail!("expected {} fields, found {}", found.len(), r.len());
            }
            for _ in found.len()..all.len() {
                r.push_field("");
            }
            r.deserialize::<ResultRow>(None).map_err(|e| name_the_column(e, &all))
        });
        rows.push(parsed.with_context(|| format!("{}: line {}", path.display(), i + 2))?);
    }
    // A point is one row: a second row for the same (scheme, SNR) would be counted twice by a
    // resumed run, and drawn twice by the report and the plots.
    let mut seen = std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if !r.snr_db.is_finite() {
            anyhow::bail!("{}: line {}: column 'snr_db' is {}, not a finite SNR", path.display(), i + 2, r.snr_db);
        }
        // A rate is a fraction, or NaN where nothing was counted (an analog link sends no bits);
        // anything else (inf, a negative number) would be drawn or tabled as if it were one.
        let rates = [
            ("ber", r.ber),
            ("ber_lo", r.ber_lo),
            ("ber_hi", r.ber_hi),
            ("bler", r.bler),
            ("bler_lo", r.bler_lo),
            ("bler_hi", r.bler_hi),
            ("coded_ber", r.coded_ber),
        ];
        if let Some((name, v)) = rates.iter().find(|(_, v)| !v.is_nan() && !(0.0..=1.0).contains(v)) {
            anyhow::bail!("{}: line {}: column '{name}' is {v}, not a rate between 0 and 1", path.display(), i + 2);
        }
        if let Some(first) = seen.insert((r.scheme.as_str(), r.snr_db.to_bits()), i) {
            anyhow::bail!(
                "{}: line {}: scheme '{}' at {} dB already has a row (line {}); a point has one row",
                path.display(),
                i + 2,
                r.scheme,
                r.snr_db,
                first + 2
            );
        }
    }
    Ok(ReadRows { rows, dropped_cut_row })
}

/// A CSV value error naming its column by name rather than by index.
fn name_the_column(e: csv::Error, columns: &[&str]) -> anyhow::Error {
    if let csv::ErrorKind::Deserialize { err, .. } = e.kind() {
        if let Some(name) = err.field().and_then(|f| columns.get(f as usize)) {
            return anyhow::anyhow!("column '{name}': {}", err.kind());
        }
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_an_earlier_version_reads_with_the_new_columns_empty() {
        // A committed reference run cut to the columns of a version before the interval columns
        // (the first 36, up to `energy_per_message_db`).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/paper-awgn");
        let tmp = tempfile::tempdir().unwrap();
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(dir.join("results.csv")).unwrap();
        let mut writer = csv::Writer::from_path(tmp.path().join("earlier.csv")).unwrap();
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap();
            if i == 0 {
                assert_eq!(&record[35], "energy_per_message_db");
            }
            writer.write_record(record.iter().take(36)).unwrap();
        }
        writer.flush().unwrap();
        let read = read_complete_rows(&tmp.path().join("earlier.csv")).unwrap();
        assert!(!read.rows.is_empty() && !read.dropped_cut_row);
        assert!(read.rows.iter().all(|r| r.bleu4.is_some() && r.bleu4_lo.is_none() && r.similarity_hi.is_none()));
        // A header that is not a prefix of this version's is refused, naming line 1.
        let odd = tmp.path().join("results.csv");
        std::fs::write(&odd, "scheme,channel,snr,esn0_db\n").unwrap();
        let err = read_complete_rows(&odd).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("header"), "{err}");
    }

    #[test]
    fn a_duplicated_point_or_a_bad_value_is_named_by_line_and_column() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/uncoded-awgn");
        let text = std::fs::read_to_string(dir.join("results.csv")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("results.csv");
        // Row 2 twice.
        std::fs::write(&path, format!("{}\n{}\n{}\n{}\n", lines[0], lines[1], lines[2], lines[1])).unwrap();
        let err = format!("{:#}", read_complete_rows(&path).unwrap_err());
        assert!(err.contains("line 4") && err.contains("already has a row (line 2)"), "{err}");
        // "abc" as the BER (column 8 counted from 0).
        let mut fields: Vec<&str> = lines[1].split(',').collect();
        fields[8] = "abc";
        std::fs::write(&path, format!("{}\n{}\n", lines[0], fields.join(","))).unwrap();
        let err = format!("{:#}", read_complete_rows(&path).unwrap_err());
        assert!(err.contains("line 2") && err.contains("column 'ber'"), "{err}");
        // A point at no SNR.
        let mut fields: Vec<&str> = lines[1].split(',').collect();
        fields[2] = "NaN";
        std::fs::write(&path, format!("{}\n{}\n", lines[0], fields.join(","))).unwrap();
        let err = format!("{:#}", read_complete_rows(&path).unwrap_err());
        assert!(err.contains("line 2") && err.contains("'snr_db' is NaN"), "{err}");
        // An infinite or negative rate; NaN (nothing counted) stays readable.
        for (column, value) in [(8, "inf"), (12, "-0.5"), (17, "1.5")] {
            let mut fields: Vec<&str> = lines[1].split(',').collect();
            fields[column] = value;
            std::fs::write(&path, format!("{}\n{}\n", lines[0], fields.join(","))).unwrap();
            let err = format!("{:#}", read_complete_rows(&path).unwrap_err());
            assert!(err.contains("line 2") && err.contains(&format!("'{}' is", header()[column])), "{err}");
        }
        let mut fields: Vec<&str> = lines[1].split(',').collect();
        fields[8] = "NaN";
        std::fs::write(&path, format!("{}\n{}\n", lines[0], fields.join(","))).unwrap();
        assert!(read_complete_rows(&path).unwrap().rows[0].ber.is_nan());
    }

    #[test]
    fn audio_rows_of_the_versions_before_stoi_and_estoi_match_their_recorded_checksums() {
        // Those versions wrote 66 columns (up to source_bits_per_sample) and 69 (up to stoi_hi),
        // and recorded the sha256 of the line with `seconds` 0: rebuilt here by cutting this
        // version's line at that comma (no field of these rows is quoted).
        let before_stoi = ResultRow {
            scheme: "audio-lpc-ldpc-bp".into(),
            seconds: 12.5,
            audio_snr_db: Some(13.2),
            seg_snr_db: Some(34.7),
            source_bits_per_sample: Some(4.9),
            ..ResultRow::default()
        };
        let before_estoi =
            ResultRow { stoi: Some(0.97), stoi_lo: Some(0.95), stoi_hi: Some(0.98), ..before_stoi.clone() };
        for (width, row) in [(66, before_stoi), (69, before_estoi)] {
            let line = String::from_utf8(ResultRow { seconds: 0.0, ..row.clone() }.csv_line().unwrap()).unwrap();
            let cut = line.trim_end().split(',').take(width).collect::<Vec<_>>().join(",") + "\n";
            use sha2::{Digest, Sha256};
            let recorded = format!("{:x}", Sha256::digest(cut.as_bytes()));
            assert_ne!(recorded, row.line_sha256());
            assert!(row.matches_line_sha256(&recorded), "{width}");
            // The same row with a value in a later column is not the row that version wrote.
            let later =
                if width == 66 { ResultRow { stoi: Some(0.99), ..row } } else { ResultRow { estoi: Some(0.9), ..row } };
            assert!(!later.matches_line_sha256(&recorded), "{width}");
        }
    }

    #[test]
    fn rows_written_before_the_tile_mean_psnr_match_their_recorded_checksums() {
        // Written with 58 columns (up to lm_steps_per_message): results/reference/list-awgn as it was
        // before it gained a scheme (tests/data/results-58-columns/README.md).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results-58-columns");
        let read = read_complete_rows(&dir.join("results.csv")).unwrap();
        let info = super::super::RunInfo::load(&dir.join("run.json")).unwrap();
        assert!(!read.rows.is_empty());
        for r in &read.rows {
            let t = info.timings.iter().find(|t| t.scheme == r.scheme && t.snr_db == r.snr_db).unwrap();
            let recorded = t.row_sha256.as_deref().unwrap();
            assert_ne!(recorded, r.line_sha256(), "the 58-column line is not this version's line");
            assert!(r.matches_line_sha256(recorded), "{} at {} dB", r.scheme, r.snr_db);
            let with_mean = ResultRow { psnr_tile_mean_db: Some(30.0), ..r.clone() };
            assert!(!with_mean.matches_line_sha256(recorded), "a row with the tile mean is not the old row");
            let with_audio = ResultRow { seg_snr_db: Some(30.0), ..r.clone() };
            assert!(!with_audio.matches_line_sha256(recorded), "a row with audio columns is not the old row");
        }
    }

    #[test]
    fn rows_of_the_version_before_the_detection_columns_match_their_recorded_checksums() {
        // Written with 46 columns and a row checksum per point: results/reference/codes-awgn as it
        // was before it gained a scheme (tests/data/results-46-columns/README.md). Read back with
        // the detection columns empty, each row still matches what that run recorded (so a resumed
        // folder of that version keeps its rows), and a changed number still does not.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results-46-columns");
        let read = read_complete_rows(&dir.join("results.csv")).unwrap();
        let info = super::super::RunInfo::load(&dir.join("run.json")).unwrap();
        assert_eq!(read.rows.len(), 44);
        for r in &read.rows {
            assert!(r.flagged_messages.is_none());
            let t = info.timings.iter().find(|t| t.scheme == r.scheme && t.snr_db == r.snr_db).unwrap();
            let recorded = t.row_sha256.as_deref().unwrap();
            assert_ne!(recorded, r.line_sha256(), "the 46-column line is not this version's line");
            assert!(r.matches_line_sha256(recorded), "{} at {} dB", r.scheme, r.snr_db);
            let changed = ResultRow { bleu4: r.bleu4.map(|b| b + 0.001), ..r.clone() };
            assert!(!changed.matches_line_sha256(recorded));
            let flagged = ResultRow { flagged_messages: Some(0), ..r.clone() };
            assert!(!flagged.matches_line_sha256(recorded), "a row with flags is not the old row");
        }
    }
}
