//! Separate source and channel coding of messages: source coder → framing → frame link (block
//! code or a code sized to the message, [`super::frame_link`]) → source decoder.
//!
//! Source encoding does not depend on the SNR, so the message set is encoded once per run
//! ([`EncodedMessages`], shared by the schemes with the same source coder); a batch only frames,
//! transmits and decodes. Batch `b` draws all its noise (and the noise a receiver hears after a
//! burst, see [`super::framing`]) from stream `(seed, scheme, SNR, b)`.
//!
//! A received payload equal to the sent one decodes, by the source coders' determinism guarantee,
//! to the sent message when the coder is lossless; it is not decoded again. Every other payload
//! (every payload of a lossy coder) is really decoded by the source decoder, bounded by the
//! framing's length header.
//!
//! The source coder is the modality's ([`SsccSource`]): a text coder (`source::SourceCoder`), the
//! image LM coding tiles ([`TileCoder`]), or an audio frame coder ([`FrameCoder`]); everything after
//! the payload bits is the same.

use std::sync::Arc;

use channels::{stream, SnrPoint};
use rayon::prelude::*;
use source::image::io::Image;
use source::{Bits, EndCheck, ListChoice, ListConfig, PayloadBlocks, SoftPayload, SourceCoder};

use super::encodings::{EncodedMessages, EncodingStore};
use super::frame_link::FrameLink;
use super::framing::Framer;
use super::icd;
use super::polar::PolarLink;
use super::{Batch, BatchOutcome, DecodedItem, ListMisses, MessageScheme, MessageSet, Received};
use crate::link::audio::coder::FrameCoder;
use crate::link::block::LinkSpec;
use crate::link::events::{BatchProgress, Sink};
use crate::link::facts::{SchemeFacts, TextFacts};
use crate::link::image::coder::TileCoder;
use crate::metrics::unified_snr::ChannelUse;
use crate::metrics::ErrorCounts;
use crate::scenario::{
    CodeKind, ReceiverConfig, ReceiverKind, Scenario, SchemeConfig, DEFAULT_LIST_BEAM, DEFAULT_LIST_MAX_PENALTY,
};

/// The source coder of an SSCC scheme, for its modality.
#[derive(Clone)]
pub enum SsccSource {
    Text(Arc<dyn SourceCoder>),
    Image(Arc<TileCoder>),
    Audio(Arc<FrameCoder>),
}

/// A payload as the source decoder delivered it.
struct DecodedPayload {
    received: Received,
    /// The stream ended as an intact one of its length does (text: `Decoded::intact`).
    intact: bool,
    /// ln P of what was decoded (text LM coders; what ICD weighs).
    ln_prob: Option<f64>,
    /// LM steps the decoding took (text: the tokens decoded, end symbol included).
    steps: u64,
}

impl SsccSource {
    fn is_lossless(&self) -> bool {
        match self {
            SsccSource::Text(c) => c.is_lossless(),
            SsccSource::Image(_) | SsccSource::Audio(_) => true,
        }
    }

    /// What the receiver delivers in place of a message it flags as damaged, for sources that
    /// conceal: audio mutes the frame (the bad-frame handling of speech codecs), since a damaged
    /// arithmetic code decodes to noise far louder than the speech it carried. `None`: the decoded
    /// message is delivered as it is.
    fn concealed(&self) -> Option<Received> {
        match self {
            SsccSource::Audio(c) => Some(Received::Audio { samples: vec![0; c.frame()] }),
            _ => None,
        }
    }

    /// Frames one worker decodes together (see `SourceCoder::decode_group`).
    fn decode_group(&self) -> usize {
        match self {
            SsccSource::Text(c) => c.decode_group(),
            SsccSource::Image(_) | SsccSource::Audio(_) => 1,
        }
    }

    /// Decodes `frames`; `candidate[i]`: frame `i` is an LM-aided receiver's candidate, used only
    /// if intact (a broken image tile is then not filled in). Text streams are told intact by
    /// `end_check`.
    fn decode_batch(&self, frames: &[&[u8]], candidate: &[bool], end_check: EndCheck) -> Vec<DecodedPayload> {
        match self {
            SsccSource::Text(c) => c
                .decode_batch(frames)
                .into_iter()
                .zip(frames)
                .map(|(d, f)| DecodedPayload {
                    intact: d.intact(f.len(), end_check),
                    ln_prob: d.ln_prob,
                    steps: d.symbols as u64 + 1,
                    received: Received::Text { text: d.text },
                })
                .collect(),
            SsccSource::Image(c) => c
                .decode_batch(frames, &candidate.iter().map(|&c| !c).collect::<Vec<_>>())
                .into_iter()
                .map(|d| DecodedPayload {
                    intact: d.intact,
                    ln_prob: None,
                    steps: d.steps,
                    received: Received::Tile { pixels: d.pixels },
                })
                .collect(),
            SsccSource::Audio(c) => c
                .decode_batch(frames)
                .into_iter()
                .map(|d| DecodedPayload {
                    intact: d.intact,
                    ln_prob: None,
                    steps: d.steps,
                    received: Received::Audio { samples: d.samples },
                })
                .collect(),
        }
    }
}

/// One end-to-end scheme: source coder, framing and a link-level scheme for the blocks.
pub struct SsccScheme {
    pub config: SchemeConfig,
    pub source: SsccSource,
    /// The identity of `source`: schemes with the same key share the coder and its encodings.
    pub source_key: String,
    pub link: Box<dyn FrameLink>,
    pub framer: Framer,
    /// sha256 of the model or weights file the source coder depends on (see `TextFacts`).
    pub model_sha256: Option<String>,
    /// The message set's payloads, once prepared.
    encoded: Option<Arc<EncodedMessages>>,
    /// The sent messages, once prepared, for a list receiver: what its misses are told by.
    sent: Option<SentMessages>,
}

/// The messages a scheme sends, message `j mod len` for item `j`.
enum SentMessages {
    Texts(Arc<[String]>),
    Tiles(Arc<[Image]>),
}

/// A batch's decoding work: each frame to source-decode, and what it is for.
#[derive(Default)]
struct DecodeJobs {
    frames: Vec<Bits>,
    /// Per frame: (item, candidate index) — `None` for the item's own received payload.
    owner: Vec<(usize, Option<usize>)>,
}

/// The digital link of SSCC scheme `c` of `s`: its code (the scheme's or the scenario's; a block
/// code, or a polar code sized to each message) and the framer for that code's blocks.
pub fn frame_link(
    s: &Scenario,
    c: &SchemeConfig,
    base: &std::path::Path,
) -> anyhow::Result<(Box<dyn FrameLink>, Framer)> {
    let spec = LinkSpec::for_scheme(s, c);
    let link: Box<dyn FrameLink> = match spec.code.kind {
        CodeKind::Polar => Box::new(PolarLink::build(&spec)?),
        _ => Box::new(spec.build(base)?),
    };
    let framer = Framer::new(link.frame_granularity(), s.framing.length_bits).with_end_check(s.framing.end_check);
    Ok((link, framer))
}

impl SsccScheme {
    pub fn new(
        config: SchemeConfig,
        source: SsccSource,
        source_key: String,
        link: Box<dyn FrameLink>,
        framer: Framer,
        model_sha256: Option<String>,
    ) -> Self {
        SsccScheme { config, source, source_key, link, framer, model_sha256, encoded: None, sent: None }
    }

    fn has_list_receiver(&self) -> bool {
        self.config.receiver.as_ref().is_some_and(|r| r.kind == ReceiverKind::List)
    }

    /// The receiver, checked against the link and the source: ICD and the list decoder need the
    /// decoder's soft output, and the list decoder a source coder with a sequential model.
    pub fn check_receiver(&self) -> anyhow::Result<()> {
        let Some(receiver) = &self.config.receiver else { return Ok(()) };
        if !self.link.has_soft_output() {
            anyhow::bail!(
                "field 'receiver': an LM-aided receiver weighs the decoder's reliabilities, and {} gives none (use \
                 a flooding belief-propagation decoder, ECCT or OSD)",
                self.link.name()
            );
        }
        if receiver.kind == ReceiverKind::List {
            match &self.source {
                SsccSource::Text(coder) if !coder.can_decode_list() => anyhow::bail!(
                    "field 'receiver': the list receiver needs a source coder with a sequential model (an LM \
                     arithmetic coder), and {} has none",
                    coder.name()
                ),
                SsccSource::Text(_) | SsccSource::Image(_) => {}
                SsccSource::Audio(_) => {
                    anyhow::bail!("field 'receiver': the list receiver decodes text messages and image tiles")
                }
            }
        }
        Ok(())
    }

    /// The list receiver's decisions for `items` (item index, its soft input), with each item's
    /// [`ListMisses`] where the sent messages are known, in the order given. The point's searches run in one pass over the
    /// worker threads, longest burst first, so that no worker waits alone on a batch's slowest
    /// search: a batch of 50 messages near the cliff holds about 17 searches, fewer than a large
    /// node's cores. (On two cores a per-batch pass was as fast: 268 against 269 s for
    /// `lm-receivers-awgn`'s list at 0 dB.) Each search depends only on its item, so the order
    /// changes nothing in the results.
    fn list_decode(&self, items: &[(usize, &SoftItem)]) -> Vec<Option<Listed>> {
        let Some(receiver) = &self.config.receiver else {
            return vec![None; items.len()];
        };
        let config = list_config(receiver);
        let framer = self.framer;
        let link = &self.link;
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(items[i].1.header.len() + items[i].1.window.len()));
        let longest_first: Vec<(usize, &SoftItem)> = order.iter().map(|&i| items[i]).collect();
        let listed = source::lm_coder::isolated_parallel_map(&longest_first, |&(j, item)| {
            let burst = item.header.len() + item.window.len();
            let (k, blocks) = (framer.block_bits, burst / framer.block_bits);
            // Block i's coded-bit posteriors, when the link gives them.
            let coded = |i: usize| {
                let n = item.parity.len() / blocks;
                &item.parity[i * n..(i + 1) * n]
            };
            let penalty = |i: usize, info: &[u8]| link.parity_penalty(info, coded(i));
            let blocks_soft = (!item.parity.is_empty()).then_some(PayloadBlocks {
                offset: item.header.len(),
                size: k,
                penalty: &penalty,
            });
            // The header's penalty, and the parity of the blocks the search did not score
            // (those holding header bits or padding).
            let end_penalty = |payload: &[u8]| {
                let header = framer.end_penalty(&item.header, burst, payload.len())?;
                let Some(b) = &blocks_soft else { return Some(header) };
                let framed = framer.frame(payload).ok()?;
                let rest: f64 = (0..blocks)
                    .filter(|&i| !b.scored_by_search(i, payload.len()))
                    .map(|i| penalty(i, &framed[i * k..(i + 1) * k]))
                    .sum();
                Some(header + rest)
            };
            let soft = SoftPayload { llrs: &item.window, end_penalty: &end_penalty, blocks: blocks_soft };
            match &self.source {
                SsccSource::Text(coder) => coder.decode_list(&soft, config).map(|l| {
                    let misses = match &self.sent {
                        Some(SentMessages::Texts(t)) => {
                            let sent = t[j % t.len()].as_str();
                            let returned = l.decoded.as_ref().is_some_and(|d| d.text == sent);
                            list_misses(returned, l.score, &config, || coder.score_list(sent, &soft))
                        }
                        _ => None,
                    };
                    Listed {
                        misses,
                        choice: l.decoded.map(|d| Received::Text { text: d.text }),
                        model_steps: l.model_steps,
                    }
                }),
                SsccSource::Image(coder) => {
                    let l = coder.decode_list(&soft, config);
                    let misses = match &self.sent {
                        Some(SentMessages::Tiles(t)) => {
                            let sent = &t[j % t.len()];
                            let returned = l.image.as_ref().is_some_and(|i| i.pixels == sent.pixels);
                            list_misses(returned, l.score, &config, || coder.score_list(&soft, sent))
                        }
                        _ => None,
                    };
                    Some(Listed {
                        choice: l.image.map(|image| Received::Tile { pixels: image.pixels }),
                        model_steps: l.model_steps,
                        misses,
                    })
                }
                SsccSource::Audio(_) => None,
            }
        });
        let mut in_order: Vec<Option<Listed>> = vec![None; items.len()];
        for (i, l) in order.into_iter().zip(listed) {
            in_order[i] = l;
        }
        in_order
    }

    fn encoded(&self) -> &EncodedMessages {
        self.encoded.as_deref().expect("MessageScheme::prepare runs before the scheme sends")
    }

    /// Channel use on the encoded message set (mean symbols per message).
    fn channel_use(&self, encoded: &EncodedMessages) -> ChannelUse {
        let symbols: usize = encoded
            .payloads
            .iter()
            .map(|p| self.link.symbols_for(self.framer.blocks_for(p.len()) * self.framer.block_bits))
            .sum();
        ChannelUse::digital(symbols as f64 / encoded.payloads.len() as f64)
    }

    /// Transmits batch `batch`, all its noise from stream `(seed, scheme, SNR, b)`.
    fn transmit_batch(&self, point: &SnrPoint, seed: u64, batch: &Batch) -> SentBatch {
        let encoded = self.encoded();
        let m = encoded.payloads.len();
        let framer = self.framer;
        let mut rng = stream(seed, &[self.stream_id(), point.snr_db.to_bits(), batch.index]);
        let mut info = Vec::new();
        let mut spans = Vec::with_capacity(batch.items.len());
        for j in batch.items.clone() {
            let framed = framer.frame(&encoded.payloads[j % m]).expect("payload lengths were checked at encoding");
            spans.push(info.len()..info.len() + framed.len());
            info.extend_from_slice(&framed);
        }
        // ICD on a link that checks nothing, with a decoder that lists codewords: each block's
        // list, the decision and as many alternatives as ICD decodes candidates (then it needs no
        // posteriors); the other LM-aided receivers: the decoder's posteriors.
        let icd = self.config.receiver.as_ref().filter(|r| r.kind == ReceiverKind::Icd);
        let unchecked = !self.link.flags_wrong_decisions();
        let list = match icd {
            Some(config) if unchecked && self.link.lists_codewords() => config.candidates.max(1) + 1,
            _ => 0,
        };
        let soft = self.config.receiver.is_some() && list == 0;
        let sent = self.link.transmit_frames(&info, &spans, point.sigma() as f32, &mut rng, soft, list > 0);
        let received = spans
            .iter()
            .map(|span| framer.deframe(&sent.decided[span.clone()], || rand::Rng::random::<bool>(&mut rng) as u8))
            .collect();
        // The list receiver's soft input for the items it may search: those whose decision fails
        // its code's check or, on a link that checks nothing (uncoded, or OSD, which always decides
        // a codeword), every item; of those it searches the ones known wrong once source-decoded
        // (`known_wrong`).
        //
        // Where blocks are checked, a broken stream whose blocks all pass is BP having converged
        // to a wrong codeword, with posteriors that vouch for it: searching those as well recovered
        // none (`scenarios/list-awgn.toml`, BP with beams 4, 8 and 16 at all five SNRs: the same
        // wrong messages everywhere, for 0.3–6 % more model steps), so they are left flagged.
        let header = framer.length_bits as usize;
        let k = framer.block_bits;
        let soft = match (&self.config.receiver, &sent.posterior) {
            (Some(config), Some(posterior)) if config.kind == ReceiverKind::List => spans
                .iter()
                .zip(&sent.suspect)
                .map(|(span, &suspect)| {
                    (suspect || unchecked).then(|| SoftItem {
                        header: posterior[span.start..span.start + header].to_vec(),
                        window: posterior[span.start + header..span.end].to_vec(),
                        parity: match &sent.codeword_posterior {
                            Some(coded) if config.parity != Some(false) => {
                                let n = coded.len() / (info.len() / k);
                                coded[span.start / k * n..span.end / k * n].to_vec()
                            }
                            _ => Vec::new(),
                        },
                    })
                })
                .collect(),
            _ => vec![None; spans.len()],
        };
        // ICD's candidates: for the items whose decision fails its code's check; on a link that
        // checks nothing, for every item, to be decoded if its decoding breaks (`deferred`), or,
        // from codeword lists, listed then (`channel_llr`).
        let mut candidates = vec![Vec::new(); spans.len()];
        let mut deferred = vec![Vec::new(); spans.len()];
        let channel_llr = sent.channel_llr.as_ref().map(|llr| {
            let n = llr.len() / (info.len() / k);
            spans.iter().map(|span| llr[span.start / k * n..span.end / k * n].to_vec()).collect()
        });
        if let Some(config) = icd.filter(|_| channel_llr.is_none()) {
            for (at, (span, &suspect)) in spans.iter().zip(&sent.suspect).enumerate() {
                if let Some(posterior) = sent.posterior.as_ref().filter(|_| suspect || unchecked) {
                    let decided = &sent.decided[span.clone()];
                    let read = (header + framer.claimed_length(decided)).min(span.len());
                    let mut bits = icd::candidates(&decided[..read], &posterior[span.start..span.start + read], config);
                    if !suspect {
                        // Decoded only once the decision is known broken: it is out.
                        bits.retain(|c| c.bits != decided[..read]);
                        deferred[at] = bits;
                    } else {
                        candidates[at] = bits;
                    }
                }
            }
        }
        SentBatch {
            counts: sent.counts,
            received,
            suspect: sent.suspect,
            candidates,
            deferred,
            channel_llr,
            list_size: list,
            soft,
        }
    }

    /// The frames a batch must source-decode: the items whose payload differs from the one sent (all
    /// of them for a lossy coder), and every ICD item's received payload and candidates. A
    /// candidate whose header claims more bits than it holds is not decoded (it is out).
    fn decode_jobs(&self, batch: &Batch, sent: &SentBatch) -> DecodeJobs {
        let mut jobs = DecodeJobs::default();
        let icd_items: Vec<usize> =
            batch.items.clone().zip(&sent.candidates).filter(|(_, c)| !c.is_empty()).map(|(j, _)| j).collect();
        for j in self.items_to_decode(batch, &sent.received).into_iter().chain(icd_items.iter().copied()) {
            if jobs.owner.contains(&(j, None)) {
                continue;
            }
            jobs.frames.push(sent.received[j - batch.items.start].clone());
            jobs.owner.push((j, None));
        }
        for j in icd_items {
            self.candidate_jobs(j, &sent.candidates[j - batch.items.start], &mut jobs);
        }
        jobs
    }

    /// Adds the payloads of item `j`'s ICD candidates to `jobs`.
    fn candidate_jobs(&self, j: usize, candidates: &[icd::Candidate], jobs: &mut DecodeJobs) {
        let header = self.framer.length_bits as usize;
        for (c, candidate) in candidates.iter().enumerate() {
            let end = header + self.framer.claimed_length(&candidate.bits);
            if end <= candidate.bits.len() {
                jobs.frames.push(candidate.bits[header..end].to_vec());
                jobs.owner.push((j, Some(c)));
            }
        }
    }

    /// Items of `batch` (received as `received`) that must be source-decoded: those whose payload
    /// differs from the one sent, or all of them for a lossy coder, whose exact payload need not give
    /// the message sent.
    fn items_to_decode(&self, batch: &Batch, received: &[Bits]) -> Vec<usize> {
        let payloads = &self.encoded().payloads;
        let lossless = self.source.is_lossless();
        batch
            .items
            .clone()
            .zip(received)
            .filter(|(j, r)| !lossless || **r != payloads[j % payloads.len()])
            .map(|(j, _)| j)
            .collect()
    }

    /// `payloads` as the scheme's encodings, or an error naming the first message (`what` `j`)
    /// whose payload is longer than the length header can describe, and what to change (`remedy`).
    fn fitting(
        &self,
        payloads: Vec<Bits>,
        who: &str,
        coder: &str,
        what: &str,
        remedy: &str,
    ) -> anyhow::Result<Arc<EncodedMessages>> {
        let max = self.framer.max_payload_bits();
        if let Some((j, p)) = payloads.iter().enumerate().find(|(_, p)| p.len() > max) {
            anyhow::bail!(
                "{who}: {coder} codes {what} {j} in {} bits, more than the length header can describe ({max}); \
                 raise framing.length_bits or {remedy}",
                p.len()
            );
        }
        Ok(Arc::new(EncodedMessages { payloads }))
    }

    /// Source-decodes `frames` in chunks, reporting how many are done after each. A chunk holds two
    /// of the coder's decode groups (an LM's lockstep rows) per thread, so every worker is busy;
    /// chunks of 4 frames per thread had left one of two workers idle with SmolLM2's 8-row groups
    /// (the main job used 1.2 of 2 cores). Each frame's text depends on that frame alone (the
    /// source coders' determinism guarantee), not on the chunk or group it was decoded in.
    /// `candidate[i]`: frame `i` is an ICD candidate (`SsccSource::decode_batch`).
    fn decode_payloads(
        &self,
        frames: &[&[u8]],
        candidate: &[bool],
        progress: &mut dyn FnMut(BatchProgress),
    ) -> Vec<DecodedPayload> {
        let chunk = rayon::current_num_threads().max(1) * (2 * self.source.decode_group()).max(4);
        let mut decoded = Vec::with_capacity(frames.len());
        for (group, candidate) in frames.chunks(chunk).zip(candidate.chunks(chunk)) {
            decoded.extend(self.source.decode_batch(group, candidate, self.framer.end_check));
            progress(BatchProgress::Decoded(decoded.len()));
        }
        decoded
    }
}

impl MessageScheme for SsccScheme {
    fn config(&self) -> &SchemeConfig {
        &self.config
    }

    fn prepare(
        &mut self,
        messages: &MessageSet,
        store: &mut EncodingStore,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<SchemeFacts> {
        let who = format!("scheme '{}'", self.config.name);
        let encoded = match &self.source {
            SsccSource::Text(coder) => {
                let texts = messages.text(&who)?;
                if self.has_list_receiver() {
                    self.sent = Some(SentMessages::Texts(texts.texts.clone().into()));
                }
                store.encoded(&self.source_key, coder.as_ref(), texts, sink)?
            }
            SsccSource::Image(coder) => {
                let tiles = messages.tiles(&who)?;
                if self.has_list_receiver() {
                    self.sent = Some(SentMessages::Tiles((0..tiles.len()).map(|j| tiles.image(j)).collect()));
                }
                let payloads = coder.encode(tiles)?.as_ref().clone();
                self.fitting(payloads, &who, "the image LM", "tile", "make image.tile smaller")?
            }
            SsccSource::Audio(coder) => {
                let payloads = coder.encode(messages.frames(&who)?).as_ref().clone();
                self.fitting(payloads, &who, coder.name(), "frame", "make audio.frame shorter")?
            }
        };
        let uses = self.channel_use(&encoded);
        let facts = SchemeFacts {
            name: self.config.name.clone(),
            channel: self.link.channel_name(),
            rate: self.link.rate(),
            bits_per_symbol: self.link.bits_per_symbol(),
            text: Some(TextFacts {
                symbols_per_message: uses.symbols_per_message,
                precision_bits: uses.precision_bits,
                source_bits: Some(encoded.total_bits() as u64),
                weights_sha256: self.model_sha256.clone(),
                end_check: matches!(self.source, SsccSource::Text(_)).then(|| self.framer.end_check),
            }),
        };
        self.encoded = Some(encoded);
        Ok(facts)
    }

    /// Transmits the batches in parallel, then source-decodes every item that needs it, a few per
    /// thread at a time across the batches (the LM coders decode several messages in lockstep).
    fn run_batches(
        &self,
        point: &SnrPoint,
        seed: u64,
        batches: &[Batch],
        progress: &mut dyn FnMut(BatchProgress),
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        let mut sent: Vec<SentBatch> =
            batches.par_iter().map(|batch| self.transmit_batch(point, seed, batch)).collect();
        let mut jobs: Vec<DecodeJobs> =
            batches.iter().zip(&sent).map(|(batch, b)| self.decode_jobs(batch, b)).collect();
        let frames: Vec<&[u8]> = jobs.iter().flat_map(|j| j.frames.iter().map(Vec::as_slice)).collect();
        let items = batches.iter().map(|b| b.items.len()).sum();
        let corrupted = jobs.iter().map(|j| j.owner.iter().filter(|(_, c)| c.is_none()).count()).sum();
        progress(BatchProgress::Transmitted { items, corrupted });
        let candidate: Vec<bool> = jobs.iter().flat_map(|j| j.owner.iter().map(|(_, c)| c.is_some())).collect();
        let mut decoded = self.decode_payloads(&frames, &candidate, progress).into_iter();
        let mut results: Vec<Vec<DecodedPayload>> =
            jobs.iter().map(|j| decoded.by_ref().take(j.owner.len()).collect()).collect();
        // Which items' decisions are known wrong; ICD on a link that checks nothing decodes their
        // candidates now, drawn from their blocks' codeword lists (listed now, in parallel) on a
        // link that lists them.
        let first: Vec<usize> = jobs.iter().map(|j| j.owner.len()).collect();
        let wrong: Vec<Vec<bool>> = batches
            .iter()
            .zip(&sent)
            .zip(&jobs)
            .zip(&results)
            .map(|(((batch, b), jobs), results)| known_wrong(batch, &b.suspect, jobs, results))
            .collect();
        if let Some(config) = &self.config.receiver {
            let to_list: Vec<(usize, usize)> = (0..batches.len())
                .filter(|&i| sent[i].channel_llr.is_some())
                .flat_map(|i| wrong[i].iter().enumerate().filter(|(_, &w)| w).map(move |(at, _)| (i, at)))
                .collect();
            let drawn: Vec<Vec<icd::Candidate>> = to_list
                .par_iter()
                .map(|&(i, at)| {
                    let llr = &sent[i].channel_llr.as_ref().expect("filtered on")[at];
                    let lists = self.link.list_blocks(llr, sent[i].list_size);
                    icd::codeword_candidates(&lists, |bits| self.framer.fits(bits), config)
                })
                .collect();
            for ((i, at), candidates) in to_list.into_iter().zip(drawn) {
                sent[i].deferred[at] = candidates;
            }
        }
        for (((batch, b), jobs), known) in batches.iter().zip(&mut sent).zip(&mut jobs).zip(&wrong) {
            for at in (0..known.len()).filter(|&at| known[at]) {
                if !b.deferred[at].is_empty() {
                    b.candidates[at] = std::mem::take(&mut b.deferred[at]);
                    self.candidate_jobs(batch.items.start + at, &b.candidates[at], jobs);
                }
            }
        }
        let frames: Vec<&[u8]> =
            jobs.iter().zip(&first).flat_map(|(j, &f)| j.frames[f..].iter().map(Vec::as_slice)).collect();
        let mut decoded = self.decode_payloads(&frames, &vec![true; frames.len()], &mut |_| {}).into_iter();
        for ((results, jobs), &f) in results.iter_mut().zip(&jobs).zip(&first) {
            results.extend(decoded.by_ref().take(jobs.owner.len() - f));
        }
        // The list receiver searches for every item known wrong that has soft input, across the
        // point's batches in one pass; `at` is an item's place among the batches' items.
        let mut at = 0;
        let mut places = Vec::new();
        let mut to_search: Vec<(usize, &SoftItem)> = Vec::new();
        for ((batch, b), wrong) in batches.iter().zip(&sent).zip(&wrong) {
            for ((j, s), &wrong) in batch.items.clone().zip(&b.soft).zip(wrong) {
                if let Some(s) = s.as_ref().filter(|_| wrong) {
                    places.push(at);
                    to_search.push((j, s));
                }
                at += 1;
            }
        }
        let mut listed: Vec<Option<Listed>> = vec![None; items];
        for (place, l) in places.into_iter().zip(self.list_decode(&to_search)) {
            listed[place] = l;
        }
        let mut listed = listed.into_iter();
        Ok(batches
            .iter()
            .zip(sent)
            .zip(jobs)
            .zip(results)
            .map(|(((batch, b), jobs), results)| {
                let listed = listed.by_ref().take(batch.items.len()).collect();
                self.outcome(batch, b, &jobs, results, listed)
            })
            .collect())
    }
}

/// Per item of `batch`: whether its plain decision is known to be wrong: a block failed its code's
/// check (`suspect`), or its decoded stream broke at its end (the length header, termination or
/// padding disagree).
fn known_wrong(batch: &Batch, suspect: &[bool], jobs: &DecodeJobs, results: &[DecodedPayload]) -> Vec<bool> {
    let mut wrong = suspect.to_vec();
    for (&(j, candidate), d) in jobs.owner.iter().zip(results) {
        if candidate.is_none() && !d.intact {
            wrong[j - batch.items.start] = true;
        }
    }
    wrong
}

/// Why the list receiver did not return the sent message, if it did not (`returned`; a count of 1
/// in one of [`ListMisses`]' fields, all zero when it did): the sent message scored as the search
/// would score it (`score_sent`: `SourceCoder::score_list`, `TileCoder::score_list`), against the
/// penalty limit and the score of the search's choice (`got_score`, `None` if it chose nothing).
/// `None` if the sent message cannot be scored.
fn list_misses(
    returned: bool,
    got_score: Option<f64>,
    config: &ListConfig,
    score_sent: impl FnOnce() -> Option<ListChoice>,
) -> Option<ListMisses> {
    if returned {
        return Some(ListMisses::default());
    }
    let truth = score_sent()?;
    Some(if truth.penalty > config.max_penalty {
        ListMisses { over_limit: 1, ..Default::default() }
    } else if got_score.is_none_or(|s| truth.score() > s) {
        ListMisses { missed: 1, ..Default::default() }
    } else {
        ListMisses { outscored: 1, ..Default::default() }
    })
}

/// The list receiver's search as `receiver` sets it (the coder bounds a message's length).
fn list_config(receiver: &ReceiverConfig) -> ListConfig {
    let beam = receiver.beam.unwrap_or(DEFAULT_LIST_BEAM);
    ListConfig {
        beam,
        first_beam: receiver.first_beam.unwrap_or(beam),
        max_symbols: usize::MAX,
        max_penalty: receiver.max_penalty.unwrap_or(DEFAULT_LIST_MAX_PENALTY),
    }
}

impl SsccScheme {
    /// A batch's outcome from its decoded frames: each item's text (an ICD item's chosen candidate,
    /// or its received payload when none is valid) and the items the receiver flags.
    fn outcome(
        &self,
        batch: &Batch,
        sent: SentBatch,
        jobs: &DecodeJobs,
        results: Vec<DecodedPayload>,
        listed: Vec<Option<Listed>>,
    ) -> BatchOutcome {
        let mut texts: Vec<Option<Received>> = vec![None; batch.items.len()];
        let mut flagged: Vec<bool> = sent.suspect.clone();
        let mut lm: Vec<Vec<Option<f64>>> = sent.candidates.iter().map(|c| vec![None; c.len()]).collect();
        let mut candidate_texts: Vec<Vec<Option<Received>>> =
            sent.candidates.iter().map(|c| vec![None; c.len()]).collect();
        let mut lm_steps = 0;
        for (&(j, candidate), d) in jobs.owner.iter().zip(results) {
            let at = j - batch.items.start;
            match candidate {
                None => {
                    flagged[at] |= !d.intact;
                    texts[at] = Some(d.received);
                }
                Some(c) => {
                    lm_steps += d.steps;
                    if d.intact {
                        lm[at][c] = Some(d.ln_prob.unwrap_or(0.0));
                        candidate_texts[at][c] = Some(d.received);
                    }
                }
            }
        }
        let tried = jobs.owner.iter().filter(|(_, c)| c.is_some()).count() as u64;
        let mut list_misses = self.sent.as_ref().map(|_| ListMisses::default());
        // The list receiver: its choice replaces the plain decoding; with none, the item is flagged.
        for (at, list) in listed.into_iter().enumerate() {
            let Some(list) = list else { continue };
            lm_steps += list.model_steps;
            if let (Some(total), Some(m)) = (list_misses.as_mut(), list.misses) {
                *total = *total + m;
            }
            match list.choice {
                Some(received) => {
                    texts[at] = Some(received);
                    flagged[at] = false;
                }
                None => flagged[at] = true,
            }
        }
        if let Some(config) = self.config.receiver.as_ref().filter(|r| r.kind == ReceiverKind::Icd) {
            for at in 0..batch.items.len() {
                if sent.candidates[at].is_empty() {
                    continue;
                }
                match icd::choose(&sent.candidates[at], &lm[at], config.lm_weight) {
                    Some(c) => {
                        texts[at] = candidate_texts[at][c].take();
                        flagged[at] = false;
                    }
                    None => flagged[at] = true,
                }
            }
        }
        if let Some(silence) = self.source.concealed() {
            for (received, _) in texts.iter_mut().zip(&flagged).filter(|(_, &f)| f) {
                *received = Some(silence.clone());
            }
        }
        BatchOutcome {
            counts: sent.counts,
            decoded: texts
                .into_iter()
                .enumerate()
                .filter_map(|(at, t)| t.map(|received| DecodedItem { item: (batch.items.start + at) as u64, received }))
                .collect(),
            flagged: Some(
                flagged.iter().enumerate().filter(|(_, &f)| f).map(|(at, _)| (batch.items.start + at) as u64).collect(),
            ),
            candidates: self.config.receiver.as_ref().filter(|r| r.kind == ReceiverKind::Icd).map(|_| tried),
            lm_steps: self.config.receiver.as_ref().map(|_| lm_steps),
            list_misses,
        }
    }
}

/// A batch as the channel delivered it.
struct SentBatch {
    counts: ErrorCounts,
    /// Each item's received payload.
    received: Vec<Bits>,
    /// Per item: the channel decoder found its decision wrong ([`super::frame_link::Transmitted`]).
    suspect: Vec<bool>,
    /// Per item: ICD's candidates (none without an ICD receiver, or for an item not suspect).
    candidates: Vec<Vec<icd::Candidate>>,
    /// Per item, on a link that checks nothing: ICD's candidates, moved to `candidates` and
    /// decoded if the item's decoding breaks at its end.
    deferred: Vec<Vec<icd::Candidate>>,
    /// Per item, for ICD on a link that lists codewords: its blocks' channel LLRs, from which
    /// `list_size` codewords per block are listed (and ICD's candidates drawn) if its decoding
    /// breaks at its end. Listing every block at once cost ICD on OSD-2 three times OSD-2's own
    /// time where nothing broke.
    channel_llr: Option<Vec<Vec<f32>>>,
    list_size: usize,
    /// Per item: the list receiver's soft input (none without a list receiver, or for an item it
    /// does not search: not suspect on a link that checks its decisions).
    soft: Vec<Option<SoftItem>>,
}

/// What the list receiver made of one item.
#[derive(Clone)]
struct Listed {
    /// The message it chose, or `None` when none fitted the burst within the penalty limit.
    choice: Option<Received>,
    /// Model steps its search took.
    model_steps: u64,
    /// Text: why it is not the sent message, if it is not ([`list_misses`]).
    misses: Option<ListMisses>,
}

/// The posterior LLRs of one burst, split at the length header.
#[derive(Clone)]
struct SoftItem {
    header: Vec<f32>,
    window: Vec<f32>,
    /// The coded-bit posteriors of the item's blocks (`n` per block), when the link gives them.
    parity: Vec<f32>,
}
