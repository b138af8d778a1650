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
//! The expectation is a Monte Carlo mean over a fixed, seeded draw of gains and noise (the same at
//! every Es/N0, so the curve is smooth): 2^14 codewords, fewer for long ones (at most 2^23 noise
//! samples, at least 1,024 codewords). The gains are drawn by importance sampling as in
//! [`super::block_fading`]: a share α = min(0.3, 1.5/B) of deep fades of mean 1/(mean Es/N0),
//! weighted back to the Rayleigh law, so that the codewords that several deep fades sink are drawn
//! often. Each term lies in (0, 1].

use super::noncoherent_run::information_density;
use super::{softplus, solve_costly_decreasing};
use crate::rng::stream;
use crate::snr::db_to_linear;
use rand::Rng;
use rand_distr::{Exp1, StandardNormal};
use std::f64::consts::LN_2;

const SEED: u64 = 0xd7_b0d;

/// What the channel's gains are and what the receiver knows of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gains {
    /// No fading: every gain is 1 (AWGN).
    None,
    /// Rayleigh gains, told to the receiver.
    Csi,
    /// Rayleigh gains, not told to it.
    Blind,
}

/// The DT bound for codewords laid out in runs of one gain each.
#[derive(Debug, Clone)]
pub struct DependenceTesting {
    runs: Vec<usize>,
    gains: Gains,
    mean_square_gain: f64,
    /// Per codeword: a standard exponential per run, then a standard normal per symbol.
    draws: Vec<f64>,
    /// Per codeword and run: whether the gain is one of the proposal's deep fades.
    deep: Vec<bool>,
    /// The proposal's share of deep fades, α.
    deep_share: f64,
}

impl DependenceTesting {
    /// Codewords of `runs.iter().sum()` symbols, `runs[b]` of them under gain b (on AWGN, any
    /// layout).
    pub fn new(runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Self {
        Self::drawn_with(SEED, runs, gains, mean_square_gain)
    }

    fn drawn_with(seed: u64, runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Self {
        assert!(!runs.is_empty() && runs.iter().all(|&r| r > 0), "every run holds a symbol");
        let n: usize = runs.iter().sum();
        let codewords = ((1usize << 23) / n).clamp(1 << 10, 1 << 14);
        let deep_share = if gains == Gains::None { 0.0 } else { (1.5 / runs.len() as f64).min(0.3) };
        let mut rng = stream(seed, &[n as u64, runs.len() as u64]);
        let mut draws = Vec::with_capacity(codewords * (n + runs.len()));
        let mut deep = Vec::with_capacity(codewords * runs.len());
        for _ in 0..codewords {
            for _ in 0..runs.len() {
                deep.push(rng.random::<f64>() < deep_share);
                draws.push(rng.sample::<f64, _>(Exp1));
            }
            draws.extend((0..n).map(|_| rng.sample::<f64, _>(StandardNormal)));
        }
        Self { runs, gains, mean_square_gain, draws, deep, deep_share }
    }

    fn n(&self) -> usize {
        self.runs.iter().sum()
    }

    /// The bound on the best code's block error probability for k bits at mean Es/N0 `esn0_db`.
    pub fn bler(&self, k: usize, esn0_db: f64) -> f64 {
        // Ω scaled out: gains g²/Ω ~ Exp(1) at mean Es/N0 s = Ω·Es/N0, σ² = 1/(2s).
        let s = db_to_linear(esn0_db) * self.mean_square_gain;
        let sigma = (0.5 / s).sqrt();
        let (alpha, theta) = (self.deep_share, (1.0 / s).min(1.0));
        // log2((2^k − 1)/2), exact for small k.
        let threshold = if k < 50 { ((2f64.powi(k as i32) - 1.0) / 2.0).log2() } else { k as f64 - 1.0 };
        let b = self.runs.len();
        let codewords: Vec<(&[f64], &[bool])> =
            self.draws.chunks_exact(self.n() + b).zip(self.deep.chunks_exact(b)).collect();
        let term = |(draw, deep): &(&[f64], &[bool])| {
            let (exponentials, noise) = draw.split_at(b);
            let (mut density, mut weight, mut start) = (0.0, 1.0, 0);
            let mut y = Vec::new();
            for ((&symbols, &e), &is_deep) in self.runs.iter().zip(exponentials.iter()).zip(deep.iter()) {
                let g = if self.gains == Gains::None {
                    1.0
                } else {
                    let x = if is_deep { theta * e } else { e };
                    // e^(−x)/q(x) for the mixture q (see block_fading).
                    weight /= (1.0 - alpha) + alpha / theta * (-x * (1.0 / theta - 1.0)).exp();
                    x.sqrt()
                };
                y.clear();
                y.extend(noise[start..start + symbols].iter().map(|&z| g + sigma * z));
                start += symbols;
                density += match self.gains {
                    Gains::None | Gains::Csi => {
                        y.iter().map(|&v| 1.0 - softplus(-2.0 * g * v / (sigma * sigma)) / LN_2).sum::<f64>()
                    }
                    Gains::Blind => information_density(&y, s),
                };
            }
            weight * (-(density - threshold).max(0.0) * LN_2).exp()
        };
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(codewords.len());
        let chunk = codewords.len().div_ceil(threads);
        let sum: f64 = std::thread::scope(|scope| {
            let parts: Vec<_> =
                codewords.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(term).sum::<f64>())).collect();
            parts.into_iter().map(|p| p.join().expect("a DT worker")).sum()
        });
        sum / codewords.len() as f64
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
