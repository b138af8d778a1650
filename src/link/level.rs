//! A link-level scenario's scheme: frames of random (or all-zero) information bits through code,
//! modulation, channel and decoder, counted by the engine ([`super::block::engine`]), which knows
//! no code. A block code or no code is a [`LinkScheme`]; a 5G polar code (`code.kind = "polar"`)
//! has a fixed size here, A = `code.payload_bits` payload bits per codeword in E = ⌈A / rate⌉ bits,
//! and goes through the message link's [`PolarLink`], one frame one codeword.

use std::ops::Range;
use std::path::Path;

use channels::StreamRng;

use super::block::engine::FrameSimulator;
use super::block::{information_bits, LinkScheme, LinkSpec};
use super::message::frame_link::FrameLink;
use super::message::polar::{PolarLink, MAX_SEGMENT_BITS};
use crate::metrics::ErrorCounts;
use crate::scenario::{CodeKind, CodewordSource, Scenario};

/// Builds the scheme of link-level scenario `s` (`base`: where relative code files are tried after
/// the working directory).
pub fn build(s: &Scenario, base: &Path) -> anyhow::Result<Box<dyn FrameSimulator>> {
    match s.code.kind {
        CodeKind::Polar => Ok(Box::new(PolarFrames::build(s)?)),
        CodeKind::Ldpc | CodeKind::Uncoded => Ok(Box::new(LinkScheme::from_scenario(s, base)?)),
    }
}

/// Polar codewords of a fixed payload size, one per frame.
pub struct PolarFrames {
    label: String,
    link: PolarLink,
    payload_bits: usize,
    codewords: CodewordSource,
}

impl PolarFrames {
    /// The polar code `[code]` sizes (`payload_bits`, `rate`, `crc`, `interleave`) with the
    /// scenario's decoder, modulation and channel.
    pub fn build(s: &Scenario) -> anyhow::Result<Self> {
        let a = s.code.payload_bits;
        if !(1..=MAX_SEGMENT_BITS).contains(&a) {
            anyhow::bail!(
                "field 'code.payload_bits': a link-level polar code carries 1 to {MAX_SEGMENT_BITS} bits, not {a}"
            );
        }
        let link = PolarLink::build(&LinkSpec::of(s))?;
        let code = link.code(a);
        // e.g. polar(E=128, A=64, crc11)+CA-SCL-8+BPSK: the code's sizes, then the link's decoder
        // and modulation.
        let bil = if code.interleaves_coded_bits() { ", I_BIL" } else { "" };
        let label = format!("polar(E={}, A={a}, {}{bil})+{}", code.e(), code.crc(), link.receiver_label());
        Ok(PolarFrames { label, link, payload_bits: a, codewords: s.code.codewords })
    }

    /// Coded bits per codeword (E).
    pub fn coded_bits(&self) -> usize {
        self.link.code(self.payload_bits).e()
    }
}

impl FrameSimulator for PolarFrames {
    fn label(&self) -> &str {
        &self.label
    }
    fn channel_name(&self) -> String {
        self.link.channel_name()
    }
    /// Payload bits per coded bit, A / E (the CRC counts as redundancy).
    fn rate(&self) -> f64 {
        self.payload_bits as f64 / self.coded_bits() as f64
    }
    fn bits_per_symbol(&self) -> u32 {
        self.link.bits_per_symbol()
    }
    fn stream_id(&self) -> u64 {
        super::stream_id_of(&self.label)
    }
    /// Each frame's payload drawn from `rng` (zeros for `codewords = "zero"`), then the frames in
    /// turn through [`PolarLink`], its noise from `rng` too.
    fn simulate_batch(&self, frames: usize, sigma: f32, rng: &mut StreamRng) -> ErrorCounts {
        let a = self.payload_bits;
        let info = information_bits(frames * a, self.codewords, rng);
        let spans: Vec<Range<usize>> = (0..frames).map(|f| f * a..(f + 1) * a).collect();
        self.link.transmit_frames(&info, &spans, sigma, rng, false, false).counts
    }
}
