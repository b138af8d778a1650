//! Polyanskiy, Poor & Verdú's dependence-testing (DT) bound, by Monte Carlo, for BPSK on AWGN and
//! on Rayleigh fading with a gain per run of symbols, the receiver told the gains or not: an
//! achievability bound. Some (n, k) code, decoded by a receiver that knows what this one knows,
//! reaches a block error probability of at most
//!
//! `ε ≤ E[2^(−(ı(X;Y) − log2((2^k − 1)/2))⁺)]`
//!
//! ("Channel coding rate in the finite blocklength regime", IEEE Trans. IT 56(5), 2010, Thm. 17),
//! with X uniform on {±1}^n and ı the information density of the channel the receiver faces: the
//! BI-AWGN density of each symbol at its gain when the receiver knows the gains (the gains are then
//! part of the output), the noncoherent run density ([`super::noncoherent_run`]) summed over the
//! runs when it does not. The runs are independent, so ı is a sum over them. Where the normal
//! approximation estimates the best code, this bounds it from the achievable side: a scheme's
//! distance to it is a lower bound on its distance to the best code with the same receiver.
//!
//! The expectation is a Monte Carlo mean over a fixed, seeded draw of gains and noise, importance
//! sampled towards the codewords that carry about k bits ([`super::density_draws`]). Each term
//! lies in (0, 1].

use super::density_draws::{DensityDraws, Gains};
use super::solve_costly_decreasing;

const SEED: u64 = 0xd7_b0d;

/// The DT bound for codewords laid out in runs of one gain each.
#[derive(Debug, Clone)]
pub struct DependenceTesting {
    draws: DensityDraws,
}

impl DependenceTesting {
    /// Codewords of `runs.iter().sum()` symbols, `runs[b]` of them under gain b (on AWGN, any
    /// layout).
    pub fn new(runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Self {
        Self::drawn_with(SEED, runs, gains, mean_square_gain)
    }

    fn drawn_with(seed: u64, runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Self {
        Self { draws: DensityDraws::new(seed, runs, gains, mean_square_gain) }
    }

    /// The bound on the best code's block error probability for k bits at mean Es/N0 `esn0_db`.
    pub fn bler(&self, k: usize, esn0_db: f64) -> f64 {
        // log2((2^k − 1)/2), exact for small k.
        let threshold = if k < 50 { ((2f64.powi(k as i32) - 1.0) / 2.0).log2() } else { k as f64 - 1.0 };
        let sample = self.draws.sample(esn0_db, k, &[1.0]);
        let sum: f64 = sample.iter().map(|d| d.weight * (-(d.bits[0] - threshold).max(0.0)).exp2()).sum();
        sum / sample.len() as f64
    }

    /// The least mean Es/N0 (dB) at which the bound reaches `target` (regula falsi on the log
    /// error rate to 1e-3 dB, searched in −30..100 dB; infinite if not by 100 dB).
    pub fn min_esn0_db(&self, k: usize, target: f64) -> f64 {
        solve_costly_decreasing(|x| self.bler(k, x), target, (0.0, 3.0), 3.0, (-30.0, 100.0), 1e-3)
    }
}

#[cfg(test)]
mod tests {
    use super::super::block_fading::{blocks, BlockFading};
    use super::super::density_draws::Gains;
    use super::super::{min_esn0_db, Bound};
    use super::*;

    /// On AWGN the DT bound lies right of the normal approximation and near Gallager's bound,
    /// the other achievability bound here.
    #[test]
    fn on_awgn_dt_lies_right_of_the_approximation_and_near_gallager() {
        for (n, k) in [(49, 24), (128, 64)] {
            let dt = DependenceTesting::new(vec![n], Gains::None, 1.0).min_esn0_db(k, 1e-2);
            let (na, gallager) =
                (min_esn0_db(Bound::NormalApproximation, n, k, 1e-2), min_esn0_db(Bound::Gallager, n, k, 1e-2));
            eprintln!("({n}, {k}) AWGN at 1e-2: NA {na:.3}, DT {dt:.3}, Gallager {gallager:.3}");
            assert!(na < dt && (dt - gallager).abs() < 0.5, "NA {na} DT {dt} Gallager {gallager}");
        }
    }

    /// Block fading: the blind receiver's bound lies right of the CSI one, and each right of its
    /// normal approximation; two draws agree.
    #[test]
    fn on_block_fading_dt_bounds_each_receiver_from_the_achievable_side() {
        let (n, k) = (49, 24);
        let runs = blocks(n, n, 7);
        let csi = DependenceTesting::new(runs.clone(), Gains::Csi, 1.0).min_esn0_db(k, 1e-2);
        let blind = DependenceTesting::new(runs.clone(), Gains::Blind, 1.0).min_esn0_db(k, 1e-2);
        let other = DependenceTesting::drawn_with(SEED + 1, runs.clone(), Gains::Blind, 1.0).min_esn0_db(k, 1e-2);
        let na_csi = BlockFading::new(1.0, runs.clone()).min_esn0_db(k, 1e-2);
        let na_blind = BlockFading::without_csi(1.0, runs).min_esn0_db(k, 1e-2);
        eprintln!(
            "({n}, {k}) in runs of 7 at 1e-2: CSI NA {na_csi:.3} DT {csi:.3}; blind NA {na_blind:.3} DT {blind:.3} ({other:.3})"
        );
        assert!(na_csi < csi && na_blind < blind && csi < blind, "{na_csi} {csi} {na_blind} {blind}");
        assert!((blind - other).abs() < 0.1, "{blind} {other}");
    }
}
