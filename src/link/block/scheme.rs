//! A link-level scheme: information bits → code → modulation → channel → decoder → bits.
//!
//! One batch is simulated end to end in flat buffers (frames back to back); nothing is allocated per
//! frame. Uncoded schemes skip encoding and decide each bit by the sign of its LLR.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use channels::{AwgnChannel, Bpsk, Channel, Csi, Fading, Modulation, Qpsk, RayleighChannel, StreamRng};
use codes::{Decoder, LdpcCode};
use rand::Rng;

use super::super::paths::resolve;
use super::interleave::{deinterleave, interleave};
use crate::metrics::ErrorCounts;
use crate::scenario::{
    ChannelConfig, ChannelKind, CodeConfig, CodeKind, CodewordSource, CsiSetting, DecoderConfig, DecoderKindName,
    FadingKind, Interleave, ModulationConfig, ModulationKind, Scenario, ScheduleName, SchemeConfig,
};

/// The parts of a scenario a link-level scheme is built from. A text scheme may bring its own code
/// and decoder ([`LinkSpec::for_scheme`]); everything else is the scenario's.
#[derive(Debug, Clone, Copy)]
pub struct LinkSpec<'a> {
    pub code: &'a CodeConfig,
    pub decoder: &'a DecoderConfig,
    pub modulation: &'a ModulationConfig,
    pub channel: &'a ChannelConfig,
}

impl<'a> LinkSpec<'a> {
    /// The scenario's own link (`[code]`, `[decoder]`, `[modulation]`, `[channel]`).
    pub fn of(s: &'a Scenario) -> Self {
        LinkSpec { code: &s.code, decoder: &s.decoder, modulation: &s.modulation, channel: &s.channel }
    }

    /// The link of scheme `c`: its `code` and `decoder` where it names them, else the scenario's.
    pub fn for_scheme(s: &'a Scenario, c: &'a SchemeConfig) -> Self {
        LinkSpec {
            code: c.code.as_ref().unwrap_or(&s.code),
            decoder: c.decoder.as_ref().unwrap_or(&s.decoder),
            ..Self::of(s)
        }
    }

    /// Builds the scheme. `base` is the folder relative paths are tried against after the working
    /// directory (the project root, see `link::paths`).
    pub fn build(&self, base: &Path) -> anyhow::Result<LinkScheme> {
        if self.code.interleave == Interleave::Codeword {
            anyhow::bail!(
                "field 'code.interleave': \"codeword\" is the polar code's coded-bit interleaver; a block code's \
                 codewords are spread over their message by \"message\""
            );
        }
        let modulation = self.build_modulation();
        let channel = self.build_channel();
        let (code, decoder) = match self.code.kind {
            CodeKind::Uncoded => (None, None),
            CodeKind::Polar => anyhow::bail!(
                "field 'code.kind': a polar code is sized to each message (link::message::polar), it has no fixed block"
            ),
            CodeKind::Ldpc => {
                let path = resolve(&self.code.file, base);
                if !path.exists() {
                    anyhow::bail!(
                        "field 'code.file': '{}' not found (looked in the working directory and in {})",
                        self.code.file,
                        base.display()
                    );
                }
                let code = Arc::new(LdpcCode::from_file(&path)?);
                if code.k() == 0 {
                    anyhow::bail!(
                        "field 'code.file': {}: the code has no information bits (k = 0: H has full rank n = {})",
                        path.display(),
                        code.n()
                    );
                }
                let decoder = self.build_decoder(&code, &path)?;
                (Some(code), Some(decoder))
            }
        };
        let code_label = match &code {
            None => "uncoded".to_string(),
            Some(c) => format!("LDPC({},{})", c.n(), c.k()),
        };
        let decoder_label = decoder.as_ref().map(|d| format!("+{}", d.name())).unwrap_or_default();
        let name = format!("{code_label}{decoder_label}+{}", modulation.name());
        Ok(LinkScheme {
            name,
            code,
            uncoded_bits: self.code.uncoded_bits,
            codewords: self.code.codewords,
            modulation,
            channel,
            decoder,
            interleave: self.code.interleave,
        })
    }

    /// The modulation `[modulation]` names.
    pub fn build_modulation(&self) -> Box<dyn Modulation> {
        match self.modulation.kind {
            ModulationKind::Bpsk => Box::new(Bpsk),
            ModulationKind::Qpsk => Box::new(Qpsk),
        }
    }

    /// The channel `[channel]` names.
    pub fn build_channel(&self) -> Box<dyn Channel> {
        let c = self.channel;
        match c.kind {
            ChannelKind::Awgn => Box::new(AwgnChannel),
            ChannelKind::RayleighLmSscc => Box::new(RayleighChannel::lm_sscc_reference()),
            ChannelKind::Rayleigh => Box::new(RayleighChannel::new(
                match c.fading {
                    FadingKind::Fast => Fading::Fast,
                    FadingKind::Block => Fading::Block { symbols: c.block_symbols },
                    FadingKind::Message => Fading::Message,
                },
                match c.csi {
                    CsiSetting::Perfect => Csi::Perfect,
                    CsiSetting::None => Csi::None,
                    CsiSetting::Estimated => Csi::Estimated,
                },
                c.mean_square_gain,
            )),
        }
    }

    fn build_decoder(&self, code: &Arc<LdpcCode>, code_path: &Path) -> anyhow::Result<Box<dyn Decoder>> {
        use codes::{DecoderKind, DecoderSpec, Schedule};
        let d = self.decoder;
        let kind = match d.kind {
            DecoderKindName::Hard => DecoderKind::Hard,
            DecoderKindName::SumProduct => DecoderKind::SumProduct,
            DecoderKindName::MinSum => DecoderKind::NormalizedMinSum { alpha: 1.0 },
            DecoderKindName::NormalizedMinSum => DecoderKind::NormalizedMinSum { alpha: d.alpha },
            DecoderKindName::OffsetMinSum => DecoderKind::OffsetMinSum { beta: d.beta },
            DecoderKindName::Ecct => return self.build_ecct(code, code_path),
            DecoderKindName::Osd => DecoderKind::Osd { order: d.order },
            DecoderKindName::Sc | DecoderKindName::Scl => {
                anyhow::bail!("field 'decoder.kind': SC and SCL decode polar codes, not {}", code_path.display())
            }
        };
        let schedule = match d.schedule {
            ScheduleName::Flooding => Schedule::Flooding,
            ScheduleName::Layered => Schedule::Layered,
        };
        Ok(DecoderSpec { kind, schedule, iterations: d.iterations, early_termination: d.early_termination }
            .build(code.clone()))
    }

    /// The shipped ECCT model for this code and channel (`neural/models/<code stem>.<channel>.safetensors`).
    /// The models were trained on AWGN and on fast Rayleigh fading with Ω = 1 and perfect CSI. The
    /// noise variance is estimated per batch from the LLRs (each batch holds one SNR point). One
    /// gain per codeword or per message with CSI is AWGN within each codeword, at the noise σ/g, and
    /// its LLRs are exactly the AWGN ones there, so the AWGN model decodes it with the scale
    /// estimated per codeword (not when interleaving spreads each codeword over several gains).
    /// Other channel settings would feed the network inputs it never saw, so they are refused.
    fn build_ecct(&self, code: &Arc<LdpcCode>, code_path: &Path) -> anyhow::Result<Box<dyn Decoder>> {
        let c = self.channel;
        // Interleaved, a codeword spreads over every gain of its message unless the message has one.
        let one_gain_per_codeword = matches!(c.fading, FadingKind::Message)
            || (c.fading == FadingKind::Block && c.block_symbols == 0 && self.code.interleave == Interleave::None);
        let (channel, per_codeword) = match c.kind {
            ChannelKind::Awgn => (neural::Channel::Awgn, false),
            ChannelKind::Rayleigh
                if c.fading == FadingKind::Fast && c.csi.knows_gain() && c.mean_square_gain == 1.0 =>
            {
                (neural::Channel::Rayleigh, false)
            }
            ChannelKind::Rayleigh if one_gain_per_codeword && c.csi.knows_gain() => (neural::Channel::Awgn, true),
            _ => anyhow::bail!(
                "decoder.kind = \"ecct\": the shipped models cover AWGN, fast Rayleigh fading with csi = true and \
                 mean_square_gain = 1.0, and one Rayleigh gain per codeword or message (fading = \"block\" with \
                 block_symbols = 0 and code.interleave = \"none\", or \"message\") with csi = true"
            ),
        };
        if self.modulation.kind != ModulationKind::Bpsk {
            anyhow::bail!("decoder.kind = \"ecct\": the shipped models were trained with BPSK");
        }
        let decoder = neural::EcctDecoder::shipped(code_path, code.clone(), channel)?;
        Ok(Box::new(if per_codeword { decoder.with_noise_estimated_per_frame() } else { decoder }))
    }
}

/// What [`LinkScheme::transmit_blocks_checked`] is asked for beyond the decisions (see there).
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked {
    pub check: bool,
    pub soft: bool,
    pub listing: bool,
}

/// What [`LinkScheme::transmit_blocks_checked`] delivered.
pub struct BlockDelivery {
    /// The decided information bits.
    pub decoded: Vec<u8>,
    pub counts: ErrorCounts,
    /// Per block, when checked: its decision is a codeword.
    pub valid: Vec<bool>,
    /// When asked: each decided information bit's posterior LLR (positive: bit 0).
    pub posterior: Option<Vec<f32>>,
    /// When asked, with a code: every coded bit's posterior LLR, `n` per block.
    pub codeword_posterior: Option<Vec<f32>>,
    /// When listing is asked: every coded bit's channel LLR, `n` per block, from which
    /// [`LinkScheme::list_blocks`] lists the codewords of the blocks a receiver needs, once it
    /// knows which (with a decoder that lists: OSD).
    pub channel_llr: Option<Vec<f32>>,
}

/// One codeword of a block's list, as the receiver sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedBlock {
    /// Its information bits.
    pub info: Vec<u8>,
    /// How much less likely it is than the block's decision, in nats: its discrepancy less the
    /// decision's (`codes::ListedCodeword`), from the channel's LLRs.
    pub gap: f64,
}

pub struct LinkScheme {
    pub name: String,
    code: Option<Arc<LdpcCode>>,
    uncoded_bits: usize,
    codewords: CodewordSource,
    modulation: Box<dyn Modulation>,
    channel: Box<dyn Channel>,
    decoder: Option<Box<dyn Decoder>>,
    /// How each message's blocks are laid on the channel ([`super::interleave`]).
    interleave: Interleave,
}

impl LinkScheme {
    /// The scheme of a link-level scenario with a block code or none ([`LinkSpec::of`]);
    /// `link::level::build` builds any link-level scenario's, a polar code's included.
    pub fn from_scenario(s: &Scenario, base: &Path) -> anyhow::Result<Self> {
        LinkSpec::of(s).build(base)
    }

    /// Codeword length in bits.
    pub fn n(&self) -> usize {
        self.code.as_ref().map_or(self.uncoded_bits, |c| c.n())
    }
    /// Information bits per frame.
    pub fn k(&self) -> usize {
        self.code.as_ref().map_or(self.uncoded_bits, |c| c.k())
    }
    pub fn rate(&self) -> f64 {
        self.k() as f64 / self.n() as f64
    }
    pub fn bits_per_symbol(&self) -> u32 {
        self.modulation.bits_per_symbol()
    }
    pub fn channel_name(&self) -> String {
        self.channel.name()
    }
    /// Identifies the scheme's random streams: a stable hash of its name.
    pub fn stream_id(&self) -> u64 {
        super::super::stream_id_of(&self.name)
    }

    /// Simulates `frames` frames of random (or all-zero) information at noise `sigma`.
    pub fn simulate_batch(&self, frames: usize, sigma: f32, rng: &mut StreamRng) -> ErrorCounts {
        let info = information_bits(frames * self.k(), self.codewords, rng);
        self.transmit_blocks(&info, sigma, rng).1
    }

    /// Sends `info` (whole blocks of k bits, back to back) through code, modulation, channel and
    /// decoder; returns the decoded information bits and the error counts. Noise comes from `rng`.
    pub fn transmit_blocks(&self, info: &[u8], sigma: f32, rng: &mut StreamRng) -> (Vec<u8>, ErrorCounts) {
        let delivered = self.transmit_blocks_checked(info, None, sigma, rng, Asked::default());
        (delivered.decoded, delivered.counts)
    }

    /// The modulated blocks `tx` (`frame_dims` each, back to back) through the channel: laid out
    /// message by message (`message_dims`) as `code.interleave` says, one channel call per message
    /// where the channel holds a gain per call. Returns the received values and the gains the
    /// receiver assumes, in the blocks' own order.
    fn cross_channel(
        &self,
        tx: Vec<f32>,
        message_dims: &[Range<usize>],
        frame_dims: usize,
        sigma: f32,
        rng: &mut StreamRng,
    ) -> (Vec<f32>, Vec<f32>) {
        let dims_per_symbol = self.modulation.dims_per_symbol();
        let symbols = frame_dims / dims_per_symbol;
        let interleaved = self.interleave == Interleave::Message;
        let tx = if interleaved {
            let mut sent = vec![0f32; tx.len()];
            for d in message_dims {
                interleave(&tx[d.clone()], symbols, dims_per_symbol, &mut sent[d.clone()]);
            }
            sent
        } else {
            tx
        };
        let (mut rx, mut gain) = (vec![0f32; tx.len()], vec![0f32; tx.len()]);
        if self.channel.one_gain_per_call() {
            // One call per message, so that its blocks share its gain.
            for dims in message_dims {
                let (rx, gain) = (&mut rx[dims.clone()], &mut gain[dims.clone()]);
                self.channel.transmit(&tx[dims.clone()], frame_dims, dims_per_symbol, sigma, rng, rx, gain);
            }
        } else {
            self.channel.transmit(&tx, frame_dims, dims_per_symbol, sigma, rng, &mut rx, &mut gain);
        }
        if !interleaved {
            return (rx, gain);
        }
        let (mut natural_rx, mut natural_gain) = (vec![0f32; rx.len()], vec![0f32; gain.len()]);
        for d in message_dims {
            deinterleave(&rx[d.clone()], symbols, dims_per_symbol, &mut natural_rx[d.clone()]);
            deinterleave(&gain[d.clone()], symbols, dims_per_symbol, &mut natural_gain[d.clone()]);
        }
        (natural_rx, natural_gain)
    }

    /// [`Self::transmit_blocks`] of the messages `messages` (ranges of `info` in whole blocks, back
    /// to back; `None`: each block is a message, as in a link-level run: what a channel with one
    /// gain per message holds its gain for), and what `asked` asks: with `check`, whether each
    /// block's decision is a codeword (parity checks all satisfied: what a receiver can know without
    /// the bits sent; always true uncoded); with `soft`, the posterior LLR of each decided
    /// information bit (the channel LLR uncoded); with `listing`, the channel LLRs
    /// [`Self::list_blocks`] lists codewords from. The same noise and decisions either way. `soft` needs a decoder with soft output
    /// ([`Self::has_soft_output`], checked when an ICD receiver is built); it panics otherwise.
    pub fn transmit_blocks_checked(
        &self,
        info: &[u8],
        messages: Option<&[Range<usize>]>,
        sigma: f32,
        rng: &mut StreamRng,
        asked: Asked,
    ) -> BlockDelivery {
        let Asked { check, soft, listing } = asked;
        let (n, k) = (self.n(), self.k());
        assert_eq!(info.len() % k, 0, "transmit_blocks needs whole blocks of {k} bits");
        let frames = info.len() / k;
        let codeword = match &self.code {
            None => info.to_vec(),
            Some(code) => {
                let mut cw = vec![0u8; frames * n];
                for (i, c) in info.chunks_exact(k).zip(cw.chunks_exact_mut(n)) {
                    code.encode(i, c);
                }
                cw
            }
        };
        let frame_dims = self.modulation.dims_for_bits(n);
        let mut tx = vec![0f32; frames * frame_dims];
        for (c, t) in codeword.chunks_exact(n).zip(tx.chunks_exact_mut(frame_dims)) {
            self.modulation.modulate(c, t);
        }
        // Each message's channel dimensions; without messages, each block is one.
        let message_dims: Vec<Range<usize>> = match messages {
            Some(m) => {
                let mut sent = 0;
                let dims = m
                    .iter()
                    .map(|m| {
                        assert!(
                            m.start == sent && m.end % k == 0,
                            "messages are whole blocks of {k} bits, back to back"
                        );
                        sent = m.end;
                        m.start / k * frame_dims..m.end / k * frame_dims
                    })
                    .collect();
                assert_eq!(sent, info.len(), "the messages cover the blocks sent");
                dims
            }
            None => (0..frames).map(|b| b * frame_dims..(b + 1) * frame_dims).collect(),
        };
        let (rx, gain) = self.cross_channel(tx, &message_dims, frame_dims, sigma, rng);
        let mut llr = vec![0f32; frames * n];
        for ((l, r), g) in llr.chunks_exact_mut(n).zip(rx.chunks_exact(frame_dims)).zip(gain.chunks_exact(frame_dims)) {
            self.modulation.demodulate(r, g, sigma, l);
        }
        // The LLRs the blocks' lists come from, listed later for the blocks a receiver needs: most
        // are never needed, and listing searches past the decision for its runners-up.
        let channel_llr = listing.then(|| llr.clone());
        let mut decided = vec![0u8; frames * n];
        let mut counts = ErrorCounts::default();
        let mut posterior = soft.then(|| llr.clone());
        match (&self.decoder, posterior.as_mut()) {
            (Some(d), Some(p)) => {
                let stats = d.decode_batch_soft(&llr, p).expect("soft output is checked when the receiver is built");
                counts.iterations = stats.iterations;
                for (b, &x) in decided.iter_mut().zip(p.iter()) {
                    *b = (x < 0.0) as u8;
                }
            }
            (Some(d), None) => counts.iterations = d.decode_batch(&llr, &mut decided).iterations,
            (None, _) => {
                for (d, &l) in decided.iter_mut().zip(&llr) {
                    *d = (l < 0.0) as u8;
                }
            }
        }
        let info_positions: Vec<usize> = match &self.code {
            Some(c) => c.info_positions().to_vec(),
            None => (0..n).collect(),
        };
        let mut decoded_info = vec![0u8; frames * k];
        for (((sent_cw, got), sent_info), out) in codeword
            .chunks_exact(n)
            .zip(decided.chunks_exact(n))
            .zip(info.chunks_exact(k))
            .zip(decoded_info.chunks_exact_mut(k))
        {
            for (o, &p) in out.iter_mut().zip(&info_positions) {
                *o = got[p];
            }
            let coded_errors = sent_cw.iter().zip(got).filter(|(a, b)| a != b).count() as u64;
            let info_errors = out.iter().zip(sent_info).filter(|(a, b)| a != b).count() as u64;
            counts.coded_bit_errors += coded_errors;
            counts.bit_errors += info_errors;
            counts.frame_errors += (info_errors > 0) as u64;
        }
        counts.frames = frames as u64;
        counts.bits = (frames * k) as u64;
        counts.coded_bits = (frames * n) as u64;
        let valid = match (&self.code, check) {
            (Some(code), true) => decided.chunks_exact(n).map(|d| code.is_codeword(d)).collect(),
            _ => vec![true; if check { frames } else { 0 }],
        };
        let info_posterior = posterior.as_ref().map(|p| {
            let positions: Vec<usize> = match &self.code {
                Some(c) => c.info_positions().to_vec(),
                None => (0..n).collect(),
            };
            p.chunks_exact(n).flat_map(|f| positions.iter().map(move |&q| f[q])).collect()
        });
        let codeword_posterior = posterior.filter(|_| self.code.is_some());
        BlockDelivery {
            decoded: decoded_info,
            counts,
            valid,
            posterior: info_posterior,
            codeword_posterior,
            channel_llr,
        }
    }

    /// Each block's `max` most likely codewords, the decision first ([`codes::Decoder::list_frame`]),
    /// from its channel LLRs (`n` per block, as [`BlockDelivery::channel_llr`] holds them). The first
    /// is the decision the link delivered: a decoder that lists decides its list's first. Empty
    /// lists for a link that cannot list ([`Self::lists_codewords`]).
    pub fn list_blocks(&self, channel_llr: &[f32], max: usize) -> Vec<Vec<ListedBlock>> {
        let blocks = channel_llr.chunks_exact(self.n());
        let (Some(code), Some(decoder)) = (&self.code, &self.decoder) else { return vec![Vec::new(); blocks.len()] };
        blocks
            .map(|l| decoder.list_frame(l, max).map(|words| listed_blocks(code, &words)).unwrap_or_default())
            .collect()
    }

    /// Whether the decoder lists candidate codewords ([`codes::Decoder::list_frame`]: OSD).
    pub fn lists_codewords(&self) -> bool {
        self.decoder.as_ref().is_some_and(|d| d.list_frame(&vec![1.0; d.n()], 1).is_some())
    }

    /// The penalty of one block's parity positions when its information bits are `info`: Σ |L|
    /// over the positions of its codeword where the bit differs from the sign of `posterior` (the
    /// block's `n` coded-bit LLRs, positive: 0). Zero without a code.
    pub fn parity_penalty(&self, info: &[u8], posterior: &[f32]) -> f64 {
        self.code.as_ref().map_or(0.0, |code| parity_penalty(code, info, posterior))
    }

    /// Whether the decoder gives soft output ([`codes::Decoder::decode_batch_soft`]); uncoded links
    /// hand on the channel LLRs.
    pub fn has_soft_output(&self) -> bool {
        match &self.decoder {
            None => true,
            Some(d) => {
                let n = d.n();
                d.decode_batch_soft(&vec![1.0; n], &mut vec![0.0; n]).is_some()
            }
        }
    }

    /// Whether a block's decision can fail its code's check: never uncoded, nor with a decoder that
    /// always decides a codeword (OSD).
    pub fn flags_wrong_decisions(&self) -> bool {
        self.code.is_some() && !self.decoder.as_ref().is_some_and(|d| d.always_decides_codewords())
    }

    /// Channel uses per block: complex symbols for QPSK, real (BPSK) symbols for BPSK.
    pub fn symbols_per_block(&self) -> usize {
        self.n().div_ceil(self.bits_per_symbol() as usize)
    }
}

impl super::engine::FrameSimulator for LinkScheme {
    fn label(&self) -> &str {
        &self.name
    }
    fn channel_name(&self) -> String {
        LinkScheme::channel_name(self)
    }
    fn rate(&self) -> f64 {
        LinkScheme::rate(self)
    }
    fn bits_per_symbol(&self) -> u32 {
        LinkScheme::bits_per_symbol(self)
    }
    fn stream_id(&self) -> u64 {
        LinkScheme::stream_id(self)
    }
    fn simulate_batch(&self, frames: usize, sigma: f32, rng: &mut StreamRng) -> ErrorCounts {
        LinkScheme::simulate_batch(self, frames, sigma, rng)
    }
}

/// `len` information bits of a link-level batch: fair coin flips from `rng`, or zeros for the
/// all-zero codeword (which draws nothing).
pub(crate) fn information_bits(len: usize, source: CodewordSource, rng: &mut StreamRng) -> Vec<u8> {
    let mut info = vec![0u8; len];
    if source == CodewordSource::Random {
        for b in info.iter_mut() {
            *b = rng.random::<bool>() as u8;
        }
    }
    info
}

/// A decoder's codeword list as information bits and gaps to its first (the decision).
fn listed_blocks(code: &LdpcCode, words: &[codes::ListedCodeword]) -> Vec<ListedBlock> {
    let best = words.first().map_or(0.0, |w| f64::from(w.discrepancy));
    words
        .iter()
        .map(|w| ListedBlock {
            info: code.info_positions().iter().map(|&p| w.bits[p]).collect(),
            gap: f64::from(w.discrepancy) - best,
        })
        .collect()
}

/// See [`LinkScheme::parity_penalty`].
fn parity_penalty(code: &LdpcCode, info: &[u8], posterior: &[f32]) -> f64 {
    let mut codeword = vec![0u8; posterior.len()];
    code.encode(info, &mut codeword);
    // Information positions are ascending: skip them in one pass, summing in position order.
    let mut info_positions = code.info_positions().iter().peekable();
    let mut penalty = 0.0;
    for (p, (&b, &l)) in codeword.iter().zip(posterior).enumerate() {
        if info_positions.next_if_eq(&&p).is_none() && b != (l < 0.0) as u8 {
            penalty += f64::from(l).abs();
        }
    }
    penalty
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parity_penalty_charges_the_parity_bits_a_wrong_block_changes() {
        let code =
            LdpcCode::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/codes/matrices/LDPC_N49_K24.alist")).unwrap();
        let (n, k) = (code.n(), code.k());
        let info: Vec<u8> = (0..k).map(|i| ((i * 5 + 1) % 3 == 0) as u8).collect();
        let mut codeword = vec![0u8; n];
        code.encode(&info, &mut codeword);
        let posterior: Vec<f32> = codeword.iter().map(|&b| if b == 0 { 3.0 } else { -3.0 }).collect();
        assert_eq!(parity_penalty(&code, &info, &posterior), 0.0, "the sent block agrees everywhere");
        // One information bit flipped: its own position is the list decoder's to score; every
        // parity bit the flip changes costs its |L|, and a codeword differs in at least 2 of them.
        let mut wrong = info.clone();
        wrong[3] ^= 1;
        let mut other = vec![0u8; n];
        code.encode(&wrong, &mut other);
        let info_positions = code.info_positions();
        let changed = (0..n).filter(|&p| !info_positions.contains(&p) && other[p] != codeword[p]).count();
        assert!(changed >= 2, "{changed} parity bits changed");
        assert_eq!(parity_penalty(&code, &wrong, &posterior), 3.0 * changed as f64);
    }
}
