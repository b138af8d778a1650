//! Channel models acting on real dimensions.
//!
//! `y = g·x + n`, `n ~ N(0, σ²)` per real dimension. AWGN has `g = 1`; Rayleigh draws the amplitude
//! `g = |h|` of a circularly-symmetric complex Gaussian gain `h ~ CN(0, Ω)` (so `E[g²] = Ω`) per
//! complex symbol (fast fading), per block of symbols (block fading) or per message (quasi-static
//! fading), and the receiver either knows `g` (perfect CSI) or only its mean `E[g] = √(πΩ)/2` (no
//! CSI). Coherent detection is assumed, so the phase of `h` is removed and only its amplitude acts
//! on each dimension.

mod awgn;
mod rayleigh;

pub use awgn::AwgnChannel;
pub use rayleigh::{Csi, Fading, RayleighChannel};

use crate::rng::StreamRng;

/// A memoryless (per frame) channel.
pub trait Channel: Send + Sync {
    /// Short name for CSV rows, e.g. `"awgn"`, `"rayleigh-fast-csi"`.
    fn name(&self) -> String;
    /// Sends `tx` (frames back to back, `frame_dims` real dimensions each, `dims_per_symbol` real
    /// dimensions per complex symbol) and writes the received dimensions to `rx` and the gain the
    /// receiver assumes for each dimension to `gain`.
    #[allow(clippy::too_many_arguments)]
    fn transmit(
        &self,
        tx: &[f32],
        frame_dims: usize,
        dims_per_symbol: usize,
        sigma: f32,
        rng: &mut StreamRng,
        rx: &mut [f32],
        gain: &mut [f32],
    );

    /// Whether the channel holds one gain for a whole [`Channel::transmit`] call, whatever its
    /// frames (one gain per message): then a link sends each message in its own call.
    fn one_gain_per_call(&self) -> bool {
        false
    }
}
