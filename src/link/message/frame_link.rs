//! How a scheme's framed messages cross the channel: in the fixed k-bit blocks of a block code
//! (the link-level [`LinkScheme`], LDPC or uncoded), or each in a code sized to it
//! ([`super::polar::PolarLink`]). The SSCC scheme frames, calls [`FrameLink::transmit_frames`] and
//! deframes; it does not know which.

use std::ops::Range;

use channels::StreamRng;

use crate::link::block::LinkScheme;
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
    /// noise from `rng`; returns the decided bits in the same layout and the bit-level counts.
    fn transmit_frames(
        &self,
        info: &[u8],
        frames: &[Range<usize>],
        sigma: f32,
        rng: &mut StreamRng,
    ) -> (Vec<u8>, ErrorCounts);
}

/// A block code carries the frames' blocks back to back; the frame boundaries do not matter to it
/// (each frame is a whole number of blocks).
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
        _frames: &[Range<usize>],
        sigma: f32,
        rng: &mut StreamRng,
    ) -> (Vec<u8>, ErrorCounts) {
        self.transmit_blocks(info, sigma, rng)
    }
}
