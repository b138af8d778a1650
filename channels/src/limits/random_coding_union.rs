//! The RCUs bound (random-coding union bound with parameter s), by Monte Carlo, for BPSK on AWGN
//! and on Rayleigh fading with a gain per run of symbols told to the receiver: an achievability
//! bound. For every s > 0, some (n, k) code reaches a block error probability of at most
//!
//! `ε ≤ E[2^(−(ı_s(X;Y) − log2(2^k − 1))⁺)]`, `ı_s(x; y) = log2(W(y|x)^s / E_X̄[W(y|X̄)^s])`,
//!
//! X uniform on {±1}^n (Martinez & Guillén i Fàbregas, "Saddlepoint approximation of random-coding
//! bounds", ITA 2011; Durisi & Lancho, "Transmitting short packets over wireless channels",
//! lecture notes, ch. 3.2, Thm. 3.1). It is the RCU bound of Polyanskiy, Poor & Verdú (2010,
//! Thm. 16) with the inner probability bounded by Markov's inequality after raising to the power
//! s; with s = 1/(1 + ρ) its Chernoff bound is Gallager's random-coding bound, so the bound here
//! lies at or left of Gallager's. Per BPSK symbol at gain g, with the channel LLR `Λ = 2·g·y/σ²`,
//! `ı_s = 1 − log2(1 + e^(−s·Λ))`.
//!
//! s is chosen from 0.3..1 in steps of 0.1, the least of the eight bounds on the same draw (the
//! best s falls from 1 towards ½ as ε falls). The expectation is a Monte Carlo mean over the
//! importance-sampled draw of [`super::density_draws`].
//!
//! Not for a receiver not told the gains: the noncoherent run's tilted density needs the sum over
//! all 2^L inputs of a run of W^s, and at s = 1 the DT bound ([`super::dependence_testing`]) is
//! tighter than RCUs.

use super::density_draws::{DensityDraws, Gains, TILTS};
use super::solve_costly_decreasing;

const SEED: u64 = 0x7c_05;

/// The tilts s tried.
const S: [f64; TILTS] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];

/// The RCUs bound for codewords laid out in runs of one gain each, the gains told to the receiver.
#[derive(Debug, Clone)]
pub struct RandomCodingUnion {
    draws: DensityDraws,
}

impl RandomCodingUnion {
    /// Codewords of `runs.iter().sum()` symbols, `runs[b]` of them under gain b; `None` for a
    /// receiver not told the gains (`Gains::Blind`).
    pub fn new(runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Option<Self> {
        Self::drawn_with(SEED, runs, gains, mean_square_gain)
    }

    fn drawn_with(seed: u64, runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Option<Self> {
        (gains != Gains::Blind).then(|| Self { draws: DensityDraws::new(seed, runs, gains, mean_square_gain) })
    }

    /// The bound on the best code's block error probability for k bits at mean Es/N0 `esn0_db`
    /// (the least over s).
    pub fn bler(&self, k: usize, esn0_db: f64) -> f64 {
        // log2(2^k − 1), exact for small k.
        let threshold = if k < 50 { (2f64.powi(k as i32) - 1.0).log2() } else { k as f64 };
        let sample = self.draws.sample(esn0_db, k, &S);
        (0..S.len())
            .map(|t| {
                let sum: f64 = sample.iter().map(|d| d.weight * (-(d.bits[t] - threshold).max(0.0)).exp2()).sum();
                sum / sample.len() as f64
            })
            .fold(1.0, f64::min)
    }

    /// The least mean Es/N0 (dB) at which the bound reaches `target` (regula falsi on the log
    /// error rate to 1e-3 dB, searched in −30..100 dB; infinite if not by 100 dB).
    pub fn min_esn0_db(&self, k: usize, target: f64) -> f64 {
        solve_costly_decreasing(|x| self.bler(k, x), target, (0.0, 3.0), 3.0, (-30.0, 100.0), 1e-3)
    }
}

#[cfg(test)]
mod tests {
    use super::super::block_fading::blocks;
    use super::super::dependence_testing::DependenceTesting;
    use super::*;

    /// (128, 64) on AWGN against Durisi & Lancho's Fig. 3.5 (lecture notes, ch. 3; the figure's
    /// PNG in github.com/gdurisi/fbl-notes, images/Section3/figure3_5/snr_vs_eps.png, read where
    /// the curve crosses ε, to ±0.01 dB; ρ = 2·Es/N0): their RCUs bound, s optimized over
    /// 0.1..1, reaches 10⁻², 10⁻³, 10⁻⁴ at ρ = 2.29, 2.89, 3.35 dB.
    #[test]
    fn on_awgn_rcus_matches_durisi_and_lancho() {
        let bound = RandomCodingUnion::new(vec![128], Gains::None, 1.0).expect("AWGN");
        for (target, published) in [(1e-2, 2.29), (1e-3, 2.89), (1e-4, 3.35)] {
            let ours = bound.min_esn0_db(64, target) + 10.0 * 2f64.log10();
            eprintln!("(128, 64) RCUs at {target:e}: ρ = {ours:.3} dB (Durisi & Lancho {published})");
            assert!((ours - published).abs() < 0.05, "{ours} against {published}");
        }
    }

    /// With CSI on block fading RCUs and DT agree within a few tenths of a dB at 10⁻² (DT's
    /// halved threshold is worth more there than RCUs' tilt); without CSI RCUs is not offered.
    #[test]
    fn with_csi_on_block_fading_rcus_is_near_dt() {
        let runs = blocks(49, 49, 7);
        assert!(RandomCodingUnion::new(runs.clone(), Gains::Blind, 1.0).is_none());
        let rcus = RandomCodingUnion::new(runs.clone(), Gains::Csi, 1.0).expect("CSI").min_esn0_db(24, 1e-2);
        let dt = DependenceTesting::new(runs, Gains::Csi, 1.0).min_esn0_db(24, 1e-2);
        eprintln!("(49, 24) in runs of 7 with CSI at 1e-2: RCUs {rcus:.3}, DT {dt:.3} dB");
        assert!((rcus - dt).abs() < 0.3, "{rcus} {dt}");
    }
}
