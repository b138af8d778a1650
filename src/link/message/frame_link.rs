//! How a scheme's framed messages cross the channel: in the fixed k-bit blocks of a block code
//! (the link-level [`LinkScheme`], LDPC or uncoded), or each in a code sized to it
//! ([`super::polar::PolarLink`]). The SSCC scheme frames, calls [`FrameLink::transmit_frames`] and
//! deframes; it does not know which.

use std::ops::Range;

use channels::StreamRng;

use crate::link::block::{Asked, LinkScheme, ListedBlock};
use crate::metrics::ErrorCounts;

/// Carries framed messages (length header + payload + padding, see [`super::framing`]) through
/// code, modulation, channel and decoder.
pub trait FrameLink: Send + Sync {
    /// The link's description (code, decoder, modulation), e.g. `LDPC(49,24)+BP+BPSK`.
    fn name(&self) -> &str;
    fn channel_name(&self) -> String;
    /// Information bits per coded bit (for a code sized to each message, its nominal rate).
    fn rate(&self) -> f64;
    fn bits_per_symbol(&self) -> u32;
    /// Framed messages are padded to a whole number of this many bits (a block code's k).
    fn frame_granularity(&self) -> usize;
    /// Channel uses (symbols) that one framed message of `bits` bits costs.
    fn symbols_for(&self, bits: usize) -> usize;
    /// Sends the framed messages `frames` (back to back in `info`, in order) at noise `sigma`, all
    /// noise from `rng`; with `soft`, also the decided bits' posterior LLRs (see
    /// [`FrameLink::has_soft_output`]); with `listing`, also what [`FrameLink::list_blocks`] lists
    /// each block's codewords from (see [`FrameLink::lists_codewords`]). The same noise and
    /// decisions either way.
    fn transmit_frames(
        &self,
        info: &[u8],
        frames: &[Range<usize>],
        sigma: f32,
        rng: &mut StreamRng,
        soft: bool,
        listing: bool,
    ) -> Transmitted;

    /// Whether the link can list each block's most likely codewords ([`FrameLink::list_blocks`]).
    fn lists_codewords(&self) -> bool {
        false
    }

    /// The `max` most likely codewords of each block whose channel LLRs are `channel_llr` (a slice
    /// of [`Transmitted::channel_llr`], whole blocks), the decision first. None from a link that
    /// cannot list (which is never asked to: [`FrameLink::lists_codewords`]).
    fn list_blocks(&self, _channel_llr: &[f32], _max: usize) -> Vec<Vec<ListedBlock>> {
        Vec::new()
    }

    /// Whether [`FrameLink::transmit_frames`] can give posterior LLRs.
    fn has_soft_output(&self) -> bool {
        false
    }

    /// Whether [`Transmitted::suspect`] can be set: the link checks its decisions (a block code
    /// whose decoder may decide a non-codeword, a polar code's CRC).
    fn flags_wrong_decisions(&self) -> bool {
        true
    }

    /// For a block code whose soft output covers its parity bits
    /// ([`Transmitted::codeword_posterior`]): the penalty of a block's parity positions when its
    /// information bits are `info`, given the block's coded-bit posteriors (see
    /// [`LinkScheme::parity_penalty`]).
    fn parity_penalty(&self, _info: &[u8], _posterior: &[f32]) -> f64 {
        0.0
    }
}

/// What a [`FrameLink`] delivered for a group of frames.
pub struct Transmitted {
    /// The decided bits, in the layout of the frames sent.
    pub decided: Vec<u8>,
    pub counts: ErrorCounts,
    /// Per frame: the channel decoder knows its decision is wrong (a block whose decision fails a
    /// parity check, a polar codeword whose CRC fails). Without a check (uncoded, or a decoder that
    /// always outputs a codeword, as OSD does) never set.
    pub suspect: Vec<bool>,
    /// When asked: the posterior LLR of each decided bit (positive: bit 0).
    pub posterior: Option<Vec<f32>>,
    /// When asked, for a block code: every coded bit's posterior LLR, block after block (the
    /// frames' blocks back to back).
    pub codeword_posterior: Option<Vec<f32>>,
    /// When listing is asked, for a block code: every coded bit's channel LLR, block after block,
    /// for [`FrameLink::list_blocks`].
    pub channel_llr: Option<Vec<f32>>,
}

/// A block code carries the frames' blocks back to back (each frame is a whole number of blocks);
/// a frame is suspect when one of its blocks is not a codeword.
impl FrameLink for LinkScheme {
    fn name(&self) -> &str {
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
    fn frame_granularity(&self) -> usize {
        self.k()
    }
    fn symbols_for(&self, bits: usize) -> usize {
        bits.div_ceil(self.k()) * self.symbols_per_block()
    }
    fn transmit_frames(
        &self,
        info: &[u8],
        frames: &[Range<usize>],
        sigma: f32,
        rng: &mut StreamRng,
        soft: bool,
        listing: bool,
    ) -> Transmitted {
        let d = self.transmit_blocks_checked(info, Some(frames), sigma, rng, Asked { check: true, soft, listing });
        let k = self.k();
        let suspect = frames.iter().map(|f| !d.valid[f.start / k..f.end / k].iter().all(|&v| v)).collect();
        Transmitted {
            decided: d.decoded,
            counts: d.counts,
            suspect,
            posterior: d.posterior,
            codeword_posterior: d.codeword_posterior,
            channel_llr: d.channel_llr,
        }
    }

    fn lists_codewords(&self) -> bool {
        LinkScheme::lists_codewords(self)
    }

    fn list_blocks(&self, channel_llr: &[f32], max: usize) -> Vec<Vec<ListedBlock>> {
        LinkScheme::list_blocks(self, channel_llr, max)
    }

    fn has_soft_output(&self) -> bool {
        LinkScheme::has_soft_output(self)
    }

    fn flags_wrong_decisions(&self) -> bool {
        LinkScheme::flags_wrong_decisions(self)
    }

    fn parity_penalty(&self, info: &[u8], posterior: &[f32]) -> f64 {
        LinkScheme::parity_penalty(self, info, posterior)
    }
}
