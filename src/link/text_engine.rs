//! Monte-Carlo simulation of one end-to-end text scheme at one SNR point.
//!
//! Source encoding does not depend on the SNR, so it is done once per run ([`EncodedMessages`]);
//! a point only frames, transmits, decodes and scores. Each message is sent `repeats` times; item
//! `j` of a point is message `j mod M`, and items are grouped into batches of `batch_messages`,
//! batch `b` drawing all its noise (and the noise a receiver hears after a burst, see
//! [`super::framing`]) from stream `(seed, scheme, SNR, b)`. Batches run in parallel and are summed
//! in order, so results never depend on the thread count.
//!
//! A received payload equal to the sent one decodes, by the source coders' determinism guarantee,
//! to the sent text when the coder is lossless; it is not decoded again. Every other payload (every
//! payload of a lossy coder) is really decoded by the source decoder (bounded by the framing's
//! length header), then scored.
//!
//! The three stages are separate functions ([`transmit_batch`], [`decode_payloads`],
//! [`score_items`]) so that a shard can transmit and decode only its own batches and `sim merge`
//! can score the whole point afterwards, in the same order and with the same calls as here.

use std::ops::Range;
use std::sync::Arc;

use channels::{stream, SnrPoint};
use rayon::prelude::*;
use source::{Bits, SourceCoder};

use super::framing::Framer;
use super::messages::MessageSet;
use super::LinkScheme;
use crate::metrics::text_quality::{QualityScorer, TextCounts};
use crate::metrics::unified_snr::ChannelUse;
use crate::metrics::ErrorCounts;
use crate::scenario::{SchemeConfig, TextConfig};

/// One end-to-end scheme: source coder, framing and a link-level scheme for the blocks.
pub struct TextScheme {
    pub config: SchemeConfig,
    pub source: Arc<dyn SourceCoder>,
    pub link: LinkScheme,
    pub framer: Framer,
}

impl TextScheme {
    /// Identifies the scheme's random streams: a stable hash of its name.
    pub fn stream_id(&self) -> u64 {
        super::stream_id_of(&self.config.name)
    }
}

/// A text set encoded by one source coder.
#[derive(Debug, Clone)]
pub struct EncodedMessages {
    pub payloads: Vec<Bits>,
}

impl EncodedMessages {
    /// Encodes every message; a message too long for `framer`'s header is an error naming its line.
    pub fn encode(coder: &dyn SourceCoder, messages: &MessageSet, max_payload_bits: usize) -> anyhow::Result<Self> {
        let refs: Vec<&str> = messages.texts.iter().map(String::as_str).collect();
        let payloads = coder
            .encode_batch(&refs)
            .map_err(|e| anyhow::anyhow!("{}: {}: {e}", messages.path.display(), coder.name()))?;
        let e = EncodedMessages { payloads };
        e.check_fits(coder, messages, max_payload_bits)?;
        Ok(e)
    }

    /// Refuses a payload longer than the length header can describe, naming its line.
    pub fn check_fits(
        &self,
        coder: &dyn SourceCoder,
        messages: &MessageSet,
        max_payload_bits: usize,
    ) -> anyhow::Result<()> {
        if let Some((i, p)) = self.payloads.iter().enumerate().find(|(_, p)| p.len() > max_payload_bits) {
            anyhow::bail!(
                "{}:{}: {} codes this message in {} bits, more than the length header can describe ({max_payload_bits}); \
                 raise framing.length_bits",
                messages.path.display(),
                messages.lines[i],
                coder.name(),
                p.len()
            );
        }
        Ok(())
    }

    pub fn total_bits(&self) -> usize {
        self.payloads.iter().map(Vec::len).sum()
    }
}

/// Channel use of `scheme` on `encoded` (mean symbols per message).
pub fn channel_use(scheme: &TextScheme, encoded: &EncodedMessages) -> ChannelUse {
    let blocks: usize = encoded.payloads.iter().map(|p| scheme.framer.blocks_for(p.len())).sum();
    ChannelUse::digital((blocks * scheme.link.symbols_per_block()) as f64 / encoded.payloads.len() as f64)
}

#[derive(Debug, Clone)]
pub struct TextPointOutcome {
    pub counts: ErrorCounts,
    pub text: TextCounts,
    pub seconds: f64,
}

/// What a point reports as it goes.
pub enum TextProgress {
    /// All items were sent; this many arrived with a payload differing from the one sent.
    Transmitted { items: usize, corrupted: usize },
    /// Corrupted payloads decoded so far.
    Decoded(usize),
}

/// Simulates every message (× repeats) of `messages` through `scheme` at `point`.
#[allow(clippy::too_many_arguments)]
pub fn run_text_point(
    scheme: &TextScheme,
    messages: &MessageSet,
    encoded: &EncodedMessages,
    text: &TextConfig,
    point: &SnrPoint,
    seed: u64,
    quality: &QualityScorer,
    progress: &mut dyn FnMut(TextProgress),
) -> anyhow::Result<TextPointOutcome> {
    let start = std::time::Instant::now();
    let items = messages.len() * text.repeats;
    let batches = text_batches(items, text.batch_messages);

    // Transmit: one batch of whole bursts per random stream.
    let sent: Vec<(ErrorCounts, Vec<Bits>)> = batches
        .par_iter()
        .enumerate()
        .map(|(b, range)| transmit_batch(scheme, encoded, point, seed, b as u64, range.clone()))
        .collect();
    let mut counts = ErrorCounts::default();
    let mut received: Vec<Bits> = Vec::with_capacity(items);
    for (c, r) in sent {
        counts += c;
        received.extend(r);
    }

    // Decode what differs from what was sent; the rest is the sent text.
    let corrupted = items_to_decode(scheme, encoded, 0, &received);
    progress(TextProgress::Transmitted { items, corrupted: corrupted.len() });
    let frames: Vec<&[u8]> = corrupted.iter().map(|&j| received[j].as_slice()).collect();
    let texts = decode_payloads(scheme, &frames, &mut |done| progress(TextProgress::Decoded(done)));
    let mut decoded_text: Vec<Option<String>> = vec![None; items];
    for (j, t) in corrupted.into_iter().zip(texts) {
        decoded_text[j] = Some(t);
    }
    let text_counts = score_items(&messages.texts, &decoded_text, quality)?;
    Ok(TextPointOutcome { counts, text: text_counts, seconds: start.elapsed().as_secs_f64() })
}

/// The items (message × repeat indices) of each batch of a point with `items` items.
pub fn text_batches(items: usize, batch_messages: usize) -> Vec<Range<usize>> {
    (0..items).step_by(batch_messages).map(|a| a..(a + batch_messages).min(items)).collect()
}

/// Transmits batch `b` of a point (items `range`; item `j` is message `j mod M`), all its noise
/// from stream `(seed, scheme, SNR, b)`. Returns the batch's counts and each item's received payload.
pub fn transmit_batch(
    scheme: &TextScheme,
    encoded: &EncodedMessages,
    point: &SnrPoint,
    seed: u64,
    b: u64,
    range: Range<usize>,
) -> (ErrorCounts, Vec<Bits>) {
    let m = encoded.payloads.len();
    let framer = scheme.framer;
    let mut rng = stream(seed, &[scheme.stream_id(), point.snr_db.to_bits(), b]);
    let mut info = Vec::new();
    let mut spans = Vec::with_capacity(range.len());
    for j in range {
        let framed = framer.frame(&encoded.payloads[j % m]).expect("payload lengths were checked at encoding");
        spans.push(info.len()..info.len() + framed.len());
        info.extend_from_slice(&framed);
    }
    let (decoded, counts) = scheme.link.transmit_blocks(&info, point.sigma() as f32, &mut rng);
    let received = spans
        .into_iter()
        .map(|span| framer.deframe(&decoded[span], || rand::Rng::random::<bool>(&mut rng) as u8))
        .collect();
    (counts, received)
}

/// Items among `received` (item `first + i` at index `i`) that must be source-decoded: those whose
/// payload differs from the one sent, or all of them for a lossy coder, whose exact payload need not
/// give the text sent.
pub fn items_to_decode(scheme: &TextScheme, encoded: &EncodedMessages, first: usize, received: &[Bits]) -> Vec<usize> {
    let m = encoded.payloads.len();
    let lossless = scheme.source.is_lossless();
    (first..first + received.len()).filter(|&j| !lossless || received[j - first] != encoded.payloads[j % m]).collect()
}

/// Source-decodes `frames` in groups (a few per thread), reporting how many are done after each.
/// Each frame's text depends on that frame alone (the source coders' determinism guarantee), not on
/// the group it was decoded in.
pub fn decode_payloads(scheme: &TextScheme, frames: &[&[u8]], progress: &mut dyn FnMut(usize)) -> Vec<String> {
    let chunk = (4 * rayon::current_num_threads()).max(1);
    let mut texts = Vec::with_capacity(frames.len());
    for group in frames.chunks(chunk) {
        texts.extend(scheme.source.decode_batch(group).into_iter().map(|d| d.text));
        progress(texts.len());
    }
    texts
}

/// Scores every item of a point in item order: item `j` was message `j mod M`, received as
/// `decoded[j]`, or exactly when `None`.
pub fn score_items(
    messages: &[String],
    decoded: &[Option<String>],
    quality: &QualityScorer,
) -> anyhow::Result<TextCounts> {
    let m = messages.len();
    let pairs: Vec<(&str, &str)> = decoded
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let sent = messages[j % m].as_str();
            (sent, d.as_deref().unwrap_or(sent))
        })
        .collect();
    let mut text_counts = TextCounts::default();
    quality.add(&pairs, &mut text_counts)?;
    Ok(text_counts)
}
