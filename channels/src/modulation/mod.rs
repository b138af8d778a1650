//! Linear modulations on real dimensions.
//!
//! Both schemes here are Gray-mapped and separable per real dimension, which makes the exact LLR of
//! each bit a closed form: for a dimension carrying amplitude `±A` with received value
//! `y = g·(±A) + n`, `n ~ N(0, σ²)`, the LLR is `2·A·g·y / σ²` (bit 0 is the `+A` point).

mod bpsk;
mod qpsk;

pub use bpsk::Bpsk;
pub use qpsk::Qpsk;

/// A bit-to-symbol mapping and its exact demapper.
pub trait Modulation: Send + Sync {
    /// Short name for scheme labels.
    fn name(&self) -> &'static str;
    /// Information bits per symbol (the `m` of Eb/N0 = Es/N0 / (R·m)).
    fn bits_per_symbol(&self) -> u32;
    /// Real dimensions used per symbol (1 for BPSK, 2 for QPSK).
    fn dims_per_symbol(&self) -> usize;
    /// Real dimensions needed for `bits` bits (the last symbol is zero-padded).
    fn dims_for_bits(&self, bits: usize) -> usize {
        let m = self.bits_per_symbol() as usize;
        bits.div_ceil(m) * self.dims_per_symbol()
    }
    /// Maps 0/1 `bits` to unit-energy symbols, written as real dimensions into `tx`
    /// (`tx.len() == dims_for_bits(bits.len())`).
    fn modulate(&self, bits: &[u8], tx: &mut [f32]);
    /// Exact per-bit LLRs from received dimensions `rx`, the receiver's gain per dimension `gain`
    /// and noise `sigma`; writes `llr.len()` values (the number of bits sent).
    fn demodulate(&self, rx: &[f32], gain: &[f32], sigma: f32, llr: &mut [f32]);
}
