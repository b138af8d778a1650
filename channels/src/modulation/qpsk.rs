//! QPSK with Gray mapping: bit pair (b0, b1) → ((1 − 2·b0) + j·(1 − 2·b1)) / √2.
//!
//! With Gray mapping each bit rides alone on one real dimension of amplitude 1/√2, so the exact LLR
//! is the BPSK one scaled by that amplitude.

use super::Modulation;
use std::f32::consts::FRAC_1_SQRT_2;

#[derive(Debug, Clone, Copy, Default)]
pub struct Qpsk;

impl Modulation for Qpsk {
    fn name(&self) -> &'static str {
        "QPSK"
    }
    fn bits_per_symbol(&self) -> u32 {
        2
    }
    fn dims_per_symbol(&self) -> usize {
        2
    }
    fn modulate(&self, bits: &[u8], tx: &mut [f32]) {
        // An odd bit count leaves the last quadrature dimension carrying a padding 0 bit.
        for (i, t) in tx.iter_mut().enumerate() {
            let b = bits.get(i).copied().unwrap_or(0);
            *t = FRAC_1_SQRT_2 * (1.0 - 2.0 * (b & 1) as f32);
        }
    }
    fn demodulate(&self, rx: &[f32], gain: &[f32], sigma: f32, llr: &mut [f32]) {
        let scale = 2.0 * FRAC_1_SQRT_2 / (sigma * sigma);
        for ((l, &y), &g) in llr.iter_mut().zip(rx).zip(gain) {
            *l = scale * g * y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_constellation_has_unit_energy() {
        let mut tx = [0f32; 8];
        Qpsk.modulate(&[0, 0, 0, 1, 1, 1, 1, 0], &mut tx);
        for s in tx.chunks(2) {
            assert!((s[0] * s[0] + s[1] * s[1] - 1.0).abs() < 1e-6);
        }
        assert!(tx[2] > 0.0 && tx[3] < 0.0);
        assert_eq!(Qpsk.dims_for_bits(7), 8);
    }
}
