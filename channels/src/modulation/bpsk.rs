//! BPSK: bit 0 → +1, bit 1 → −1, one real dimension per bit, unit symbol energy.

use super::Modulation;

#[derive(Debug, Clone, Copy, Default)]
pub struct Bpsk;

impl Modulation for Bpsk {
    fn name(&self) -> &'static str {
        "BPSK"
    }
    fn bits_per_symbol(&self) -> u32 {
        1
    }
    fn dims_per_symbol(&self) -> usize {
        1
    }
    fn modulate(&self, bits: &[u8], tx: &mut [f32]) {
        for (t, &b) in tx.iter_mut().zip(bits) {
            *t = 1.0 - 2.0 * (b & 1) as f32;
        }
    }
    fn demodulate(&self, rx: &[f32], gain: &[f32], sigma: f32, llr: &mut [f32]) {
        let scale = 2.0 / (sigma * sigma);
        for ((l, &y), &g) in llr.iter_mut().zip(rx).zip(gain) {
            *l = scale * g * y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_zero_to_plus_one_and_llr_sign_follows() {
        let mut tx = [0f32; 3];
        Bpsk.modulate(&[0, 1, 0], &mut tx);
        assert_eq!(tx, [1.0, -1.0, 1.0]);
        let mut llr = [0f32; 3];
        Bpsk.demodulate(&[0.5, -0.25, 0.0], &[1.0, 1.0, 1.0], 1.0, &mut llr);
        assert_eq!(llr, [1.0, -0.5, 0.0]);
    }

    #[test]
    fn llr_equals_log_likelihood_ratio_of_gaussians() {
        // Check 2gy/σ² against ln N(y; g, σ²) / N(y; −g, σ²) computed directly.
        let (y, g, s) = (0.3f64, 0.7f64, 0.8f64);
        let direct = (-(y - g).powi(2) / (2.0 * s * s)) - (-(y + g).powi(2) / (2.0 * s * s));
        let mut llr = [0f32];
        Bpsk.demodulate(&[y as f32], &[g as f32], s as f32, &mut llr);
        assert!((llr[0] as f64 - direct).abs() < 1e-5);
    }
}
