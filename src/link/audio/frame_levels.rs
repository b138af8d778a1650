//! Each frame's level as side information for the linear analog scheme (`frame_levels = true`,
//! `link::audio::linear`), as SoftCast sends each chunk's variance as metadata (Jakubczak & Katabi,
//! MobiCom 2011).
//!
//! **Quantizer.** A frame's mean square `P` becomes the level `q = round(2·log2 P)` clamped to
//! 0..=63: steps of `√2` in power (1.505 dB), up to `2^31.5` (an RMS of 55,109, above any 16-bit
//! frame's). Level 0 stands for silence (`P < 2^0.25`, an RMS under 1.09): such a frame sends no
//! power and is received as zeros.
//!
//! **Code.** The 6 bits of `q` as one codeword of the first-order Reed–Muller code RM(1, 5)
//! (`codes::reed_muller`): 32 BPSK values (±1, unit power) sent over the channel with the frame,
//! whose likelihoods the receiver takes from the fast Hadamard transform. Its minimum distance
//! is 16, so at Es/N0 −2 dB (σ² = 0.79) a pairwise error has probability `Q(4/σ) ≈ 3.6·10⁻⁶` on
//! AWGN. In a deep fade the codeword is lost like the rest of the frame, and a level decoded far
//! too loud would scale the frame's noise up by as much. So the receiver (`link::audio::linear`)
//! does not commit to one level: it weighs each by its posterior probability, the codeword's
//! likelihood ([`LevelCode::log_likelihoods`]) times the training frames' share at that level
//! (`TrainingSpectrum::level_log_prior`). Where the codeword is clear, as on AWGN at the
//! scenarios' SNRs, that is one level; where it is not, the prior keeps the estimate near the
//! levels speech has.

use codes::ReedMuller1;

/// Levels there are (6 bits).
pub const LEVELS: usize = 64;

/// The level of a frame of mean square `mean_square`.
pub fn quantize(mean_square: f64) -> u8 {
    if mean_square.is_nan() || mean_square <= 0.0 {
        return 0;
    }
    (2.0 * mean_square.log2()).round().clamp(0.0, (LEVELS - 1) as f64) as u8
}

/// The level of a frame of `samples` (its mean square, [`quantize`]d): one definition for the
/// frames sent and the training frames the receiver's prior counts.
pub fn level_of(samples: &[f64]) -> u8 {
    quantize(samples.iter().map(|s| s * s).sum::<f64>() / samples.len().max(1) as f64)
}

/// The mean square level `q` stands for: 0 for level 0, else `2^(q/2)`.
pub fn level_power(q: u8) -> f64 {
    if q == 0 {
        0.0
    } else {
        2f64.powf(q as f64 / 2.0)
    }
}

/// The level's channel code.
#[derive(Debug, Clone, Copy)]
pub struct LevelCode(ReedMuller1);

impl Default for LevelCode {
    fn default() -> Self {
        LevelCode(ReedMuller1::new(5))
    }
}

impl LevelCode {
    /// Channel values a level takes: RM(1, 5)'s 32.
    pub fn channel_values(&self) -> usize {
        self.0.n()
    }

    /// The [`channel_values`](Self::channel_values) values that send level `q`.
    pub fn values(&self, q: u8) -> Vec<f64> {
        self.0.encode_bpsk(q as u32)
    }

    /// The level decoded from the received values alone, by ML (any input gives a level).
    pub fn decode(&self, received: &[f64]) -> u8 {
        self.0.decode_soft(received) as u8
    }

    /// Each level's log-likelihood (up to a constant) given the received values, on AWGN of
    /// variance `noise` per value.
    pub fn log_likelihoods(&self, received: &[f64], noise: f64) -> Vec<f64> {
        self.0.correlations(received).into_iter().map(|c| c / noise).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use channels::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;

    #[test]
    fn levels_are_1_5_db_apart_and_round_to_the_nearest() {
        assert_eq!(quantize(0.0), 0);
        assert_eq!(quantize(1.0), 0);
        assert_eq!(quantize(f64::NAN), 0);
        assert_eq!(quantize(32767.0 * 32767.0), 60);
        for q in 1..LEVELS as u8 {
            let p = level_power(q);
            assert_eq!(quantize(p), q);
            // Half a step either side stays at q.
            assert_eq!(quantize(p * 2f64.powf(0.24)), q);
            assert_eq!(quantize(p * 2f64.powf(-0.24)), q);
        }
        assert!((10.0 * (level_power(2) / level_power(1)).log10() - 1.505).abs() < 1e-3);
    }

    /// Over AWGN the decoded level's error rate lies between the nearest-codeword bound `Q(4/σ)`
    /// and the union bound `62·Q(4/σ) + Q(√32/σ)`.
    #[test]
    fn level_errors_lie_within_the_ml_bounds() {
        let code = LevelCode::default();
        let q = channels::theory::q_function;
        let mut rng = stream(3, &[]);
        for esn0_db in [-8.0, -4.0] {
            let sigma = channels::snr::noise_sigma(esn0_db);
            let trials = 20_000;
            let errors = (0..trials)
                .filter(|t| {
                    let level = (t % LEVELS) as u8;
                    let y: Vec<f64> =
                        code.values(level).iter().map(|x| x + sigma * rng.sample::<f64, _>(StandardNormal)).collect();
                    code.decode(&y) != level
                })
                .count();
            let rate = errors as f64 / trials as f64;
            let (lower, upper) = (q(4.0 / sigma), 62.0 * q(4.0 / sigma) + q(32f64.sqrt() / sigma));
            assert!(rate > lower && rate < upper, "{esn0_db} dB: {rate} not in [{lower}, {upper}]");
        }
    }
}
