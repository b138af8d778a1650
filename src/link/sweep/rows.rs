//! Rows of `results.csv`, built from a point's counts and its scheme's facts.
//!
//! One builder per kind of row: [`counts_row`] (the link-level columns, rates and Wilson intervals
//! from the summed counts) and [`message_row`] (those plus a message point's columns: the unified
//! SNR, message errors, channel use and detection for every modality, then the text, image or audio
//! columns). The single run and `sim merge` both build their rows here, so a merged row is the
//! single run's; likewise the rows of `samples.csv` ([`sample_rows`]).

use channels::{theory, SnrPoint};

use crate::link::facts::{SchemeFacts, SetSize};
use crate::link::message::point::{PointQuality, PointScorer, ReducedPoint};
use crate::link::message::MessageSet;
use crate::metrics::unified_snr::{energy_per_message_db, unified_snr_db};
use crate::metrics::{wilson_interval, ErrorCounts, Z_95};
use crate::report::{ResultRow, SampleRow};
use crate::scenario::{ChannelKind, CodeKind, ModulationKind, Scenario};

/// A row with the link-level columns filled from `c` (text columns empty).
pub fn counts_row(
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
        // The text columns are filled by `text_row`.
        ..Default::default()
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

/// A message scheme's row at `point`: link-level columns from the point's counts, the message
/// columns from its scores and flags, the unified SNR relative to `reference`'s channel use.
pub fn message_row(
    scheme: &SchemeFacts,
    reference: &SchemeFacts,
    set: SetSize,
    point: &SnrPoint,
    reduced: &ReducedPoint,
    scorer: &PointScorer,
    seconds: f64,
) -> ResultRow {
    let counts = &reduced.counts;
    let facts = scheme.text.as_ref().expect("a message scheme has message facts");
    let reference_use = reference.text.as_ref().expect("the reference is a message scheme").channel_use();
    let uses = facts.channel_use();
    let (messages, message_errors) = reduced.messages();
    let mut row = counts_row(&scheme.name, scheme.channel.clone(), point, counts, "messages", seconds, None);
    row.snr_unified_db = Some(unified_snr_db(point.esn0_db, uses, reference_use));
    row.messages = Some(messages);
    row.message_errors = Some(message_errors);
    row.message_error_rate = Some(message_errors as f64 / messages as f64);
    row.source_bits_per_message = facts.source_bits.map(|b| b as f64 / set.messages as f64);
    row.symbols_per_message = Some(uses.symbols_per_message);
    row.energy_per_message_db = Some(energy_per_message_db(point.esn0_db, uses));
    if let Some(d) = reduced.detection {
        row.flagged_messages = Some(d.flagged);
        row.flagged_errors = Some(d.flagged_errors);
        row.unflagged_errors = Some(d.unflagged_errors);
    }
    row.candidates_per_message = reduced.candidates.map(|c| c as f64 / messages as f64);
    row.lm_steps_per_message = reduced.lm_steps.map(|c| c as f64 / messages as f64);
    if let Some(m) = reduced.list_misses {
        row.list_missed = Some(m.missed);
        row.list_outscored = Some(m.outscored);
        row.list_over_limit = Some(m.over_limit);
    }
    match (&reduced.quality, scorer) {
        (PointQuality::Text(text), PointScorer::Text(quality)) => {
            row.bleu1 = Some(text.bleu(1));
            row.bleu2 = Some(text.bleu(2));
            row.bleu3 = Some(text.bleu(3));
            row.bleu4 = Some(text.bleu(4));
            row.corpus_bleu4 = Some(quality.corpus_bleu4(text));
            row.similarity = text.similarity();
            let iv = text.intervals();
            [row.bleu1_lo, row.bleu2_lo, row.bleu3_lo, row.bleu4_lo] = iv.bleu.map(|(lo, _)| Some(lo));
            [row.bleu1_hi, row.bleu2_hi, row.bleu3_hi, row.bleu4_hi] = iv.bleu.map(|(_, hi)| Some(hi));
            (row.similarity_lo, row.similarity_hi) = (iv.similarity.map(|i| i.0), iv.similarity.map(|i| i.1));
            row.source_bits_per_char = facts.source_bits.map(|b| b as f64 / set.chars as f64);
        }
        (PointQuality::Image(image), PointScorer::Image) => {
            let iv = image.intervals();
            row.psnr_db = Some(image.psnr_db());
            row.psnr_tile_mean_db = Some(image.mean_tile_psnr_db());
            (row.psnr_lo, row.psnr_hi) = (Some(iv.psnr_db.0), Some(iv.psnr_db.1));
            row.ssim = Some(image.ssim());
            (row.ssim_lo, row.ssim_hi) = (Some(iv.ssim.0), Some(iv.ssim.1));
            row.source_bits_per_pixel = facts.source_bits.map(|b| b as f64 / set.pixels as f64);
        }
        (PointQuality::Audio(audio), PointScorer::Audio(_)) => {
            let iv = audio.intervals();
            row.audio_snr_db = Some(audio.snr_db());
            (row.audio_snr_lo, row.audio_snr_hi) = (Some(iv.snr_db.0), Some(iv.snr_db.1));
            row.seg_snr_db = Some(audio.seg_snr_db());
            (row.seg_snr_lo, row.seg_snr_hi) = (Some(iv.seg_snr_db.0), Some(iv.seg_snr_db.1));
            row.stoi = audio.stoi();
            (row.stoi_lo, row.stoi_hi) = (iv.stoi.map(|i| i.0), iv.stoi.map(|i| i.1));
            row.estoi = audio.estoi();
            (row.estoi_lo, row.estoi_hi) = (iv.estoi.map(|i| i.0), iv.estoi.map(|i| i.1));
            row.source_bits_per_sample = facts.source_bits.map(|b| b as f64 / set.samples as f64);
        }
        _ => unreachable!("the scorer is built for the point's modality"),
    }
    row
}

/// The `samples.csv` rows of a reduced message point: its first items, sent and received, with scores.
/// Empty for image and audio points (their samples are the image grid and the received WAV files).
pub fn sample_rows(scheme: &str, snr_db: f64, messages: &MessageSet, reduced: &ReducedPoint) -> Vec<SampleRow> {
    let (MessageSet::Text(set), PointQuality::Text(text)) = (messages, &reduced.quality) else { return Vec::new() };
    let messages = &set.texts;
    reduced
        .first_received
        .iter()
        .zip(&text.per_message)
        .enumerate()
        .map(|(j, (received, scores))| SampleRow {
            scheme: scheme.to_string(),
            snr_db,
            message: j as u64,
            sent: messages[j % messages.len()].clone(),
            received: received.clone(),
            bleu1: scores.bleu[0],
            bleu2: scores.bleu[1],
            bleu3: scores.bleu[2],
            bleu4: scores.bleu[3],
            similarity: scores.similarity,
        })
        .collect()
}
