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
//! to the sent text; it is not decoded again. Every other payload is really decoded by the source
//! decoder (bounded by the framing's length header), then scored.

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
        let payloads = coder.encode_batch(&refs).map_err(|e| anyhow::anyhow!("{}: {}: {e}", messages.path.display(), coder.name()))?;
        let e = EncodedMessages { payloads };
        e.check_fits(coder, messages, max_payload_bits)?;
        Ok(e)
    }

    /// Refuses a payload longer than the length header can describe, naming its line.
    pub fn check_fits(&self, coder: &dyn SourceCoder, messages: &MessageSet, max_payload_bits: usize) -> anyhow::Result<()> {
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
    let sigma = point.sigma() as f32;
    let m = messages.len();
    let items = m * text.repeats;
    let batches: Vec<(usize, usize)> = (0..items).step_by(text.batch_messages).map(|a| (a, (a + text.batch_messages).min(items))).collect();
    let scheme_id = scheme.stream_id();
    let framer = scheme.framer;

    // Transmit: one batch of whole bursts per random stream.
    let sent: Vec<(ErrorCounts, Vec<Bits>)> = batches
        .par_iter()
        .enumerate()
        .map(|(b, &(first, end))| {
            let mut rng = stream(seed, &[scheme_id, point.snr_db.to_bits(), b as u64]);
            let mut info = Vec::new();
            let mut spans = Vec::with_capacity(end - first);
            for j in first..end {
                let framed = framer.frame(&encoded.payloads[j % m]).expect("payload lengths were checked at encoding");
                spans.push(info.len()..info.len() + framed.len());
                info.extend_from_slice(&framed);
            }
            let (decoded, counts) = scheme.link.transmit_blocks(&info, sigma, &mut rng);
            let received = spans
                .into_iter()
                .map(|span| framer.deframe(&decoded[span], || rand::Rng::random::<bool>(&mut rng) as u8))
                .collect();
            (counts, received)
        })
        .collect();
    let mut counts = ErrorCounts::default();
    let mut received: Vec<Bits> = Vec::with_capacity(items);
    for (c, r) in sent {
        counts += c;
        received.extend(r);
    }

    // Decode what differs from what was sent; the rest is the sent text.
    // A lossy coder's exact payload still has to be decoded: it need not give the text sent.
    let lossless = scheme.source.is_lossless();
    let corrupted: Vec<usize> = (0..items).filter(|&j| !lossless || received[j] != encoded.payloads[j % m]).collect();
    progress(TextProgress::Transmitted { items, corrupted: corrupted.len() });
    let mut decoded_text: Vec<Option<String>> = vec![None; items];
    let chunk = (4 * rayon::current_num_threads()).max(1);
    let mut done = 0;
    for group in corrupted.chunks(chunk) {
        let frames: Vec<&[u8]> = group.iter().map(|&j| received[j].as_slice()).collect();
        for (&j, d) in group.iter().zip(scheme.source.decode_batch(&frames)) {
            decoded_text[j] = Some(d.text);
        }
        done += group.len();
        progress(TextProgress::Decoded(done));
    }

    let pairs: Vec<(&str, &str)> = (0..items)
        .map(|j| {
            let sent = messages.texts[j % m].as_str();
            (sent, decoded_text[j].as_deref().unwrap_or(sent))
        })
        .collect();
    let mut text_counts = TextCounts::default();
    quality.add(&pairs, &mut text_counts)?;
    Ok(TextPointOutcome { counts, text: text_counts, seconds: start.elapsed().as_secs_f64() })
}
