//! Channels ECCT is trained for, and the scale between channel LLRs and the network's input.
//!
//! BPSK maps bit 0 to +1. Noise variance per real dimension is σ² = 1 / (2 R Eb/N0).
//! - AWGN: `y = s + σ z`. The network sees `y`; the channel LLR is `2y/σ²`.
//! - Rayleigh fast fading with perfect CSI: `r = h s + σ z`, `h` Rayleigh with E[h²] = 1, independent per
//!   bit. The network sees the matched-filter output `y = h r` (the sufficient statistic for s given h);
//!   the channel LLR is `2 h r / σ²`.
//!
//! In both cases the network input is `LLR · σ²/2`, which is how [`crate::EcctDecoder`] maps LLRs back.

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Awgn,
    Rayleigh,
}

impl Channel {
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Awgn => "awgn",
            Channel::Rayleigh => "rayleigh",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "awgn" => Some(Channel::Awgn),
            "rayleigh" => Some(Channel::Rayleigh),
            _ => None,
        }
    }

    /// Network inputs (one per bit) for codeword `bits` at noise std `sigma`.
    pub fn transmit<R: Rng>(&self, rng: &mut R, bits: &[u8], sigma: f64, out: &mut Vec<f32>) {
        for &b in bits {
            let s = if b & 1 == 0 { 1.0 } else { -1.0 };
            let z: f64 = rng.sample(StandardNormal);
            let y = match self {
                Channel::Awgn => s + sigma * z,
                Channel::Rayleigh => {
                    let a: f64 = rng.sample(StandardNormal);
                    let c: f64 = rng.sample(StandardNormal);
                    let h = ((a * a + c * c) / 2.0).sqrt();
                    h * (h * s + sigma * z)
                }
            };
            out.push(y as f32);
        }
    }

    /// Estimates the LLR scale `2/σ²` from a batch of LLRs by the method of moments, for callers that do
    /// not know σ². AWGN: E[L²] = s² + 2s; Rayleigh (E[h⁴] = 2): E[L²] = 2s² + 2s. Non-finite LLRs are
    /// skipped, and so are outliers a thousand times the median magnitude (erasure markers such as
    /// ±1e30, clipped or hostile values) that would otherwise dominate the second moment; the cut is
    /// relative because at high SNR every LLR is large (4·Es/N0 on AWGN: 4,000 at 30 dB). Returns 1
    /// when nothing usable remains.
    pub fn estimate_llr_scale(&self, llr: &[f32]) -> f64 {
        let mut magnitudes: Vec<f64> = llr.iter().filter(|l| l.is_finite()).map(|&l| (l as f64).abs()).collect();
        if magnitudes.is_empty() {
            return 1.0;
        }
        let middle = magnitudes.len() / 2;
        let median = *magnitudes.select_nth_unstable_by(middle, f64::total_cmp).1;
        let (mut sum, mut count) = (0f64, 0usize);
        for &m in magnitudes.iter().filter(|&&m| m <= 1e3 * median) {
            sum += m * m;
            count += 1;
        }
        if count == 0 || sum <= 0.0 {
            return 1.0;
        }
        let e = sum / count as f64;
        let s = match self {
            Channel::Awgn => -1.0 + (1.0 + e).sqrt(),
            Channel::Rayleigh => (-1.0 + (1.0 + 2.0 * e).sqrt()) / 2.0,
        };
        if s.is_finite() && s > 0.0 {
            s
        } else {
            1.0
        }
    }
}

/// Noise standard deviation per real dimension for BPSK at `ebn0_db` and code rate `rate`.
pub fn sigma_for_ebn0(ebn0_db: f64, rate: f64) -> f64 {
    (1.0 / (2.0 * rate * 10f64.powf(ebn0_db / 10.0))).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn sigma_matches_definition() {
        // R = 1/2, Eb/N0 = 0 dB: Es/N0 = 1/2, σ² = 1.
        assert!((sigma_for_ebn0(0.0, 0.5) - 1.0).abs() < 1e-12);
        assert!((sigma_for_ebn0(10.0, 0.5) - 0.1f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn moments_and_scale_estimates() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // σ = 0.8 and, at high SNR where every LLR is in the thousands, σ = 0.02.
        for (ch, sigma) in
            [(Channel::Awgn, 0.8), (Channel::Rayleigh, 0.8), (Channel::Awgn, 0.02), (Channel::Rayleigh, 0.02)]
        {
            let mut y = Vec::new();
            ch.transmit(&mut rng, &vec![0u8; 200_000], sigma, &mut y);
            let mean = y.iter().map(|&v| v as f64).sum::<f64>() / y.len() as f64;
            // E[y] = 1 for AWGN, E[h²] = 1 for Rayleigh.
            assert!((mean - 1.0).abs() < 0.01, "{ch:?} mean {mean}");
            let s = 2.0 / (sigma * sigma);
            let mut llr: Vec<f32> = y.iter().map(|&v| (v as f64 * s) as f32).collect();
            // Markers and hostile values do not move the estimate.
            llr[..40].iter_mut().enumerate().for_each(|(i, l)| {
                *l = [f32::INFINITY, f32::NAN, -1e30, 1e30][i % 4];
            });
            let est = ch.estimate_llr_scale(&llr);
            assert!((est / s - 1.0).abs() < 0.02, "{ch:?} σ {sigma}: scale {est} vs {s}");
        }
        assert_eq!(Channel::Awgn.estimate_llr_scale(&[f32::NAN, 0.0, 0.0]), 1.0);
        assert_eq!(Channel::Awgn.estimate_llr_scale(&[]), 1.0);
    }
}
