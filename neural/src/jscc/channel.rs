//! The channels a JSCC model's real values cross, as the DeepSC reference (`utils.py`, `Channels`).
//!
//! Every real value has unit mean power (the transmitter normalises each sentence) and is one real
//! channel use; consecutive pairs form complex symbols. At Es/N0 = SNR (per real dimension, the same
//! convention as BPSK: σ² = 1 / (2 Es/N0)):
//! - AWGN: `y = x + σ z`.
//! - Rayleigh block fading: one gain `h ~ CN(0, 1)` per sentence, `y = h x + n`, and the receiver
//!   equalises with perfect CSI, `x̂ = y / h = x + n / h` (the reference multiplies by `H⁻¹`).
//!
//! Both are written as `x̂ = x + e` with the effective noise `e` drawn here, so training back-propagates
//! through `x` exactly as through the reference's channel, and evaluation uses the same function.

use rand::Rng;
use rand_distr::StandardNormal;

use crate::core::channel::Channel;

/// Noise standard deviation per real value at `snr_db` (unit signal power per real value).
pub fn sigma_for_snr_db(snr_db: f64) -> f64 {
    1.0 / (2.0 * 10f64.powf(snr_db / 10.0)).sqrt()
}

/// Effective noise `(sentences, positions, reals)` (row-major) for the equalised channel output:
/// [`message_noise`] for each sentence in turn.
pub fn effective_noise<R: Rng>(
    channel: Channel,
    sentences: usize,
    positions: usize,
    reals: usize,
    sigma: f64,
    rng: &mut R,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(sentences * positions * reals);
    for _ in 0..sentences {
        let (_, noise) = message_noise(channel, positions * reals, sigma, rng);
        out.extend(noise.iter().map(|&e| e as f32));
    }
    out
}

/// One message's effective noise on `reals` real values, and the power gain `|h|²` it crossed
/// (1 on AWGN), for a receiver that weighs by the gain (an LMMSE estimate). Rayleigh draws the
/// gain, then the complex noise of each pair of values (an odd last value takes the real part of
/// its pair's).
pub fn message_noise<R: Rng>(channel: Channel, reals: usize, sigma: f64, rng: &mut R) -> (f64, Vec<f64>) {
    match channel {
        Channel::Awgn => (1.0, (0..reals).map(|_| sigma * rng.sample::<f64, _>(StandardNormal)).collect()),
        Channel::Rayleigh => {
            let hr: f64 = rng.sample::<f64, _>(StandardNormal) * std::f64::consts::FRAC_1_SQRT_2;
            let hi: f64 = rng.sample::<f64, _>(StandardNormal) * std::f64::consts::FRAC_1_SQRT_2;
            let g = (hr * hr + hi * hi).max(1e-30);
            let mut noise = Vec::with_capacity(reals + 1);
            for _ in 0..reals.div_ceil(2) {
                let nr: f64 = sigma * rng.sample::<f64, _>(StandardNormal);
                let ni: f64 = sigma * rng.sample::<f64, _>(StandardNormal);
                // n / h = n · conj(h) / |h|².
                noise.push((nr * hr + ni * hi) / g);
                noise.push((ni * hr - nr * hi) / g);
            }
            noise.truncate(reals);
            (g, noise)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn awgn_noise_has_the_asked_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let sigma = sigma_for_snr_db(3.0);
        let e = effective_noise(Channel::Awgn, 100, 50, 16, sigma, &mut rng);
        let var = e.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / e.len() as f64;
        assert!((var / (sigma * sigma) - 1.0).abs() < 0.02, "{var}");
    }

    /// After zero-forcing, the noise power is σ²/|h|² with |h|² ~ Exp(1): its median over sentences
    /// is σ²/ln 2 (the median of Exp(1) is ln 2), and one sentence shares one gain.
    #[test]
    fn rayleigh_noise_is_scaled_by_one_gain_per_sentence() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let sigma = 0.1;
        let (s, t, d) = (4000, 8, 16);
        let e = effective_noise(Channel::Rayleigh, s, t, d, sigma, &mut rng);
        let mut powers: Vec<f64> =
            e.chunks(t * d).map(|c| c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / c.len() as f64).collect();
        powers.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = powers[s / 2] / (sigma * sigma);
        // Per-sentence estimate over 128 values adds a few % of spread around 1/|h|².
        assert!((median * std::f64::consts::LN_2 - 1.0).abs() < 0.1, "median {median}");
    }
}
