//! What `sim run` and `sim merge` show while they work: a bar per point and a line per finished
//! point on stderr, drawn from the library's [`Event`]s. `--quiet` keeps only the notes a user must
//! see (a point that spent its frame budget).

use crate::link::events::{BatchProgress, Event, Sink};
use indicatif::{ProgressBar, ProgressStyle};

pub(super) struct SweepProgress {
    quiet: bool,
    bar: Option<ProgressBar>,
    /// Items of the current message point that arrived exactly (the bar counts from there).
    exact: u64,
    min_frame_errors: u64,
}

impl SweepProgress {
    pub fn new(quiet: bool) -> Self {
        SweepProgress { quiet, bar: None, exact: 0, min_frame_errors: 0 }
    }

    fn start_bar(&mut self, len: u64, template: &str, prefix: String) -> &ProgressBar {
        let bar = ProgressBar::new(len);
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
        bar.set_prefix(prefix);
        self.bar.insert(bar)
    }

    fn finish_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for SweepProgress {
    fn drop(&mut self) {
        self.finish_bar();
    }
}

impl Sink for SweepProgress {
    fn event(&mut self, event: Event<'_>) {
        if let Event::FrameBudgetSpent { scheme, snr_db, frames, frame_errors, min_frame_errors } = event {
            eprintln!(
                "note: {scheme} at {snr_db} dB spent its frame budget ({frames} frames) with {frame_errors} of \
                 {min_frame_errors} frame errors; its interval is wider than asked (raise stop.max_frames to tighten it)"
            );
            return;
        }
        if let Event::Note(note) = event {
            eprintln!("note: {note}");
            return;
        }
        if self.quiet {
            return;
        }
        match event {
            Event::Encoding { coder, messages } => eprintln!("encoding {messages} messages with {coder} ..."),
            Event::Encoded { coder, bits_per_char, bits_per_message, seconds, cached } => eprintln!(
                "  {coder}: {bits_per_char:.3} bits/char, {bits_per_message:.1} bits/message ({seconds:.1} s{})",
                if cached { ", from the results folder's encodings/" } else { "" }
            ),
            Event::UnknownWords { scheme, words, vocabulary } => {
                eprintln!("{scheme}: {words} words not in its {vocabulary}-word vocabulary (sent as <UNK>)")
            }
            Event::LinkPointStarted { scheme, snr_db, min_frame_errors } => {
                self.min_frame_errors = min_frame_errors;
                self.start_bar(
                    min_frame_errors,
                    "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} frame errors, {msg}",
                    format!("{scheme} @ {snr_db} dB"),
                );
            }
            Event::LinkProgress { counts } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(counts.frame_errors.min(self.min_frame_errors));
                    bar.set_message(format!("{} frames, BER {:.3e}", counts.frames, counts.ber()));
                }
            }
            Event::LinkPointFinished { row } => {
                self.finish_bar();
                eprintln!(
                    "{} @ {:>5} dB: BER {:.3e} [{:.2e}, {:.2e}]  BLER {:.3e}  ({} frames, {:.1} s)",
                    row.scheme, row.snr_db, row.ber, row.ber_lo, row.ber_hi, row.bler, row.frames, row.seconds
                );
            }
            Event::MessagePointStarted { scheme, snr_db, items } => {
                self.exact = 0;
                let bar = self.start_bar(
                    items,
                    "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} messages, {msg}",
                    format!("{scheme} @ {snr_db} dB"),
                );
                bar.set_message("transmitting");
                bar.enable_steady_tick(std::time::Duration::from_millis(500));
            }
            Event::Messages(progress) => {
                let Some(bar) = &self.bar else { return };
                match progress {
                    BatchProgress::Transmitted { items, corrupted } => {
                        self.exact = (items - corrupted) as u64;
                        bar.set_position(self.exact);
                        bar.set_message(format!("{corrupted} corrupted: source-decoding them"));
                    }
                    BatchProgress::Decoded(done) => bar.set_position(self.exact + done as u64),
                }
            }
            Event::MessagePointFinished { row } => {
                self.finish_bar();
                let quality = match (row.psnr_db, row.ssim, row.audio_snr_db, row.seg_snr_db) {
                    (Some(psnr), Some(ssim), ..) => format!("PSNR {psnr:.2} dB  SSIM {ssim:.3}"),
                    (_, _, Some(snr), Some(seg)) => {
                        let stoi = row.stoi.map_or("-".into(), |v| format!("{v:.3}"));
                        let estoi = row.estoi.map_or("-".into(), |v| format!("{v:.3}"));
                        format!("SNR {snr:.2} dB  segSNR {seg:.2} dB  STOI {stoi}  ESTOI {estoi}")
                    }
                    _ => format!(
                        "BLEU-1 {:.3}  BLEU-4 {:.3}  similarity {}",
                        row.bleu1.unwrap_or(f64::NAN),
                        row.bleu4.unwrap_or(f64::NAN),
                        row.similarity.map_or("-".into(), |v| format!("{v:.3}"))
                    ),
                };
                // A JSCC scheme sends real values, not coded blocks: it has no BLER.
                let bler = if row.frames > 0 { format!("{:.2e}", row.bler) } else { "-".into() };
                eprintln!(
                    "{} @ {:>5} dB (unified {:>6.2}): BLER {bler}  message errors {}/{}  {quality}  ({:.1} s)",
                    row.scheme,
                    row.snr_db,
                    row.snr_unified_db.unwrap_or(f64::NAN),
                    row.message_errors.unwrap_or(0),
                    row.messages.unwrap_or(0),
                    row.seconds
                );
            }
            Event::ShardPoint { shard, scheme, snr_db, own, new, unit } => {
                eprintln!("shard {shard} · {scheme} @ {snr_db:>5} dB: {own} {unit} of its own ({new} simulated now)")
            }
            Event::FrameBudgetSpent { .. } | Event::Note(_) => unreachable!("handled above"),
        }
    }
}
