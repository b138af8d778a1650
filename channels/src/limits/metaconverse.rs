//! Polyanskiy, Poor & Verdú's metaconverse for BPSK on AWGN and on Rayleigh fading with a gain per
//! run of symbols, by Monte Carlo: a converse tighter than Shannon's sphere packing (which holds
//! for any code on the sphere, not only binary ones). No (n, k) binary code has a block error
//! probability below the ε at which
//!
//! `β_{1−ε}(P_{Y|X=x}, Q_Y) = 2^(−k)`,
//!
//! where β_α(P, Q) is the least Q-probability of a test that accepts P with probability at least α
//! (Polyanskiy, Poor & Verdú, "Channel coding rate in the finite blocklength regime", IEEE Trans.
//! IT 56(5), 2010: the metaconverse, reduced by their Lemma 29 for channels whose β does not
//! depend on the codeword; Durisi & Lancho, "Transmitting short packets over wireless channels",
//! lecture notes, ch. 3.3, Thm. 3.2 and eqs. (3.14)–(3.15)). With Q_Y a product of one law per
//! symbol that is symmetric about 0, β is the same for every codeword x, and the Neyman–Pearson
//! lemma gives it from the law of `j(Y) = log2 dP/dQ` under P alone:
//!
//! `P[reject] = P[j ≤ γ]`, `Q[accept] = E_P[2^(−j)·1{j > γ}]`,
//!
//! the threshold γ (randomized at one point) set so that the second is 2^(−k); the first is then
//! the bound. Q is the tilted output `Q_s(y) = (½·p(y|+1)^s + ½·p(y|−1)^s)^(1/s)/μ_s` (s = 1: the
//! capacity-achieving output), for which `j = ı_s/s + n·log2 μ_s` with ı_s the generalized
//! information density of the RCUs bound; every s gives a bound and the largest of s = 0.3..1 is
//! taken (Font-Segura, Vazquez-Vilar, Martinez, Guillén i Fàbregas & Lancho, "Saddlepoint
//! approximations of lower and upper bounds to the error probability in channel coding", CISS
//! 2018, who optimize s the same way). Both probabilities are sums over the importance-sampled
//! draw of [`super::density_draws`], tilted towards densities of k bits where both are decided.
//!
//! **On fading** the bound is taken given the gains g and averaged over them: a code's error
//! probability given g is at least the metaconverse ε(g) of the parallel BI-AWGN channels g makes
//! (s = 1), whether or not the receiver is told g (under Q given g the output is still independent
//! of the codeword), so `ε ≥ E_g[ε(g)]` for both receivers. (The bound for the whole channel, the
//! gains drawn alike under P and Q, is looser: one threshold across all gains; 2.7 against 3.6 dB
//! for (49, 24) on runs of 7 at 10⁻².) The average is estimated as
//! `E_g[NA(g)] + mean of w·(ε̂(g) − NA(g))`: the normal approximation given the gains is the
//! control variate (its mean from [`BlockFading`]'s draw of up to 2^17 gain vectors), the
//! residual is averaged over 2,048 importance-sampled gain vectors, and ε̂(g) is a plain Monte
//! Carlo over 512 noise vectors (fewer beyond 512 symbols) drawn for that gain vector alone. A noise draw shared by all gain
//! vectors was tried first: its error does not average out over the gains, and three draws spread
//! over 0.16 dB; with a draw per vector they agree within 0.01 dB, and 4,096 noise vectors per
//! gain vector move the result by 1.5 %, within its error.

use super::block_fading::{normal_approximation_given_gains, BlockFading};
use super::density_draws::{DensityDraws, Gains, TILTS};
use super::{biawgn_bits, parallel_map, simpson, solve_costly_decreasing};
use crate::rng::stream;
use rand::Rng;
use rand_distr::StandardNormal;
use std::f64::consts::{LN_2, PI};

const SEED: u64 = 0x3e7a_c0de;

/// The metaconverse for binary codes on AWGN, or on Rayleigh fading averaged over the gains.
#[derive(Debug, Clone)]
pub struct Metaconverse {
    draws: DensityDraws,
    /// On fading: the normal approximation given the gains, averaged over them on its own large
    /// draw (the control variate's mean).
    fading: Option<BlockFading>,
    seed: u64,
}

impl Metaconverse {
    /// Codewords of n symbols on AWGN.
    pub fn new(n: usize) -> Self {
        Self::drawn_with(SEED, vec![n], None)
    }

    /// Codewords of `runs.iter().sum()` symbols, `runs[b]` of them under Rayleigh gain b of mean
    /// square Ω: the bound averaged over the gains given them, which holds whether or not the
    /// receiver is told them.
    pub fn on_fading(runs: Vec<usize>, mean_square_gain: f64) -> Self {
        Self::drawn_with(SEED, runs, Some(mean_square_gain))
    }

    fn drawn_with(seed: u64, runs: Vec<usize>, fading: Option<f64>) -> Self {
        match fading {
            None => Self { draws: DensityDraws::new(seed, runs, Gains::None, 1.0), fading: None, seed },
            Some(omega) => Self {
                fading: Some(BlockFading::new(omega, runs.clone())),
                draws: DensityDraws::new(seed, runs, Gains::Csi, omega),
                seed,
            },
        }
    }

    /// The least block error probability of any (n, k) code at mean Es/N0 `esn0_db`.
    pub fn bler(&self, k: usize, esn0_db: f64) -> f64 {
        match &self.fading {
            None => self.awgn_bler(k, esn0_db),
            Some(fading) => self.given_gains_bler(fading, k, esn0_db),
        }
    }

    /// On AWGN: the largest bound over the tilts of Q, on the tilted draw.
    fn awgn_bler(&self, k: usize, esn0_db: f64) -> f64 {
        let sample = self.draws.sample(esn0_db, k, &S);
        let sigma = self.draws.noise_sigma(esn0_db);
        let n = self.draws.n() as f64;
        S.iter()
            .enumerate()
            .map(|(t, &s)| {
                // log2 dP/dQ_s = ı_s/s + n·log2 μ_s.
                let offset = if s == 1.0 { 0.0 } else { n * ln_tilted_output_mass(s, sigma) / LN_2 };
                let mut pairs: Vec<(f64, f64)> = sample.iter().map(|d| (d.bits[t] / s + offset, d.weight)).collect();
                least_error(&mut pairs, k)
            })
            .fold(0.0, f64::max)
    }

    /// On fading: `E_g[ε(g)]`, ε(g) the metaconverse (s = 1) of the parallel BI-AWGN channels the
    /// gains g make, estimated as `E_g[NA(g)] + mean of w·(ε̂(g) − NA(g))` over the gain draw, with
    /// the normal approximation given the gains as the control variate (its mean from
    /// [`BlockFading`]'s far larger draw) and ε̂(g) a plain Monte Carlo over the noise.
    fn given_gains_bler(&self, fading: &BlockFading, k: usize, esn0_db: f64) -> f64 {
        let gains = self.draws.gains(esn0_db, GAIN_VECTORS);
        let sigma = self.draws.noise_sigma(esn0_db);
        let runs = self.draws.runs();
        let mean_snr_db = 10.0 * (0.5 / (sigma * sigma)).log10();
        let n = self.draws.n();
        let residual = |j: usize, (weight, g): &(f64, Vec<f64>)| {
            // Each gain vector its own noise draw (the same at every Es/N0; keyed by one id, where
            // the draws' own stream has two): with one draw shared by all, its error would not
            // average out over the gains.
            let mut rng = stream(self.seed, &[j as u64]);
            let noise: Vec<f64> = (0..noise_vectors(n) * n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
            let mut pairs: Vec<(f64, f64)> = noise
                .chunks_exact(n)
                .map(|z| {
                    let (mut bits, mut start) = (0.0, 0);
                    for (&symbols, &g) in runs.iter().zip(g) {
                        bits += z[start..start + symbols]
                            .iter()
                            .map(|&z| biawgn_bits(2.0 * g * (g + sigma * z) / (sigma * sigma)))
                            .sum::<f64>();
                        start += symbols;
                    }
                    (bits, 1.0)
                })
                .collect();
            let run_db: Vec<f64> = g.iter().map(|&g| mean_snr_db + 20.0 * g.log10()).collect();
            weight * (least_error(&mut pairs, k) - normal_approximation_given_gains(runs, k, &run_db))
        };
        let all = parallel_map(gains.len(), |j| residual(j, &gains[j]));
        let sum: f64 = all.iter().sum();
        (fading.normal_approximation_bler(k, esn0_db) + sum / gains.len() as f64).clamp(0.0, 1.0)
    }

    /// The least mean Es/N0 (dB) at which the bound lets a code reach `target`: no code does below
    /// it (regula falsi on the log error rate to 1e-3 dB, searched in −30..100 dB).
    pub fn min_esn0_db(&self, k: usize, target: f64) -> f64 {
        let guess = match &self.fading {
            None => (-1.0, 2.0),
            Some(fading) => {
                let approximation = fading.min_esn0_db(k, target);
                (approximation - 1.5, approximation)
            }
        };
        solve_costly_decreasing(|x| self.bler(k, x), target, guess, 3.0, (-30.0, 100.0), 1e-3)
    }
}

/// Gain vectors in the average over the gains.
const GAIN_VECTORS: usize = 2048;

/// Noise vectors crossed with each gain vector: 512, fewer beyond 512 symbols (at least 128), so
/// that an evaluation costs at most 2^28 symbols' densities (a long code's ε(g) is close to a step
/// in g, which the control variate follows).
fn noise_vectors(n: usize) -> usize {
    ((1usize << 18) / n).clamp(128, 512)
}

/// The tilts s of Q tried on AWGN.
const S: [f64; TILTS] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];

/// The error probability at which `β_{1−ε} = 2^(−k)`, from (log2 dP/dQ, weight) pairs drawn under
/// (an importance-sampling proposal for) P.
fn least_error(pairs: &mut [(f64, f64)], k: usize) -> f64 {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let count = pairs.len() as f64;
    // 2^k·Q[ı > γ] as γ falls from the top, until it reaches 1: the test then accepts that
    // codeword with the probability that makes it exactly 1, and P rejects all below.
    let mut accepted = 0.0;
    for (j, &(density, weight)) in pairs.iter().enumerate().rev() {
        let term = weight * (k as f64 - density).exp2() / count;
        if accepted + term >= 1.0 {
            let accept_share = (1.0 - accepted) / term;
            let below: f64 = pairs[..j].iter().map(|p| p.1).sum::<f64>() / count;
            return below + (1.0 - accept_share) * weight / count;
        }
        accepted += term;
    }
    0.0
}

/// `ln μ_s`, μ_s = ∫ (½·φ_σ(y − 1)^s + ½·φ_σ(y + 1)^s)^(1/s) dy: the mass that normalizes the
/// tilted BI-AWGN output `Q_s` (Simpson's rule over ±14σ beyond the two means).
fn ln_tilted_output_mass(s: f64, sigma: f64) -> f64 {
    let ln_phi = |t: f64| -t * t / (2.0 * sigma * sigma) - (sigma * (2.0 * PI).sqrt()).ln();
    let integrand = |y: f64| {
        let (a, b) = (s * ln_phi(y - 1.0), s * ln_phi(y + 1.0));
        let top = a.max(b);
        ((top + (0.5 * (a - top).exp() + 0.5 * (b - top).exp()).ln()) / s).exp()
    };
    simpson(integrand, -1.0 - 14.0 * sigma, 1.0 + 14.0 * sigma, 8000).ln()
}

#[cfg(test)]
mod tests {
    use super::super::block_fading::blocks;
    use super::super::dependence_testing::DependenceTesting;
    use super::super::quasi_static::QuasiStatic;
    use super::super::random_coding_union::RandomCodingUnion;
    use super::super::{min_esn0_db, Bound};
    use super::*;

    /// ρ = 2·Es/N0 in dB, the SNR of Durisi & Lancho's notes (y = √ρ·x + w, unit noise).
    fn rho_db(esn0_db: f64) -> f64 {
        esn0_db + 10.0 * 2f64.log10()
    }

    /// (128, 64) on AWGN against Durisi & Lancho's Fig. 3.5 (lecture notes, ch. 3; the figure's
    /// PNG in github.com/gdurisi/fbl-notes, images/Section3/figure3_5/snr_vs_eps.png, read where
    /// each curve crosses ε, to ±0.01 dB): their metaconverse, tilt optimized by saddlepoint
    /// approximation, reaches 10⁻², 10⁻³, 10⁻⁴ at ρ = 1.76, 2.34, 2.80 dB.
    #[test]
    fn on_awgn_the_metaconverse_matches_durisi_and_lancho() {
        let bound = Metaconverse::new(128);
        for (target, published) in [(1e-2, 1.76), (1e-3, 2.34), (1e-4, 2.80)] {
            let ours = rho_db(bound.min_esn0_db(64, target));
            eprintln!("(128, 64) metaconverse at {target:e}: ρ = {ours:.3} dB (Durisi & Lancho {published})");
            assert!((ours - published).abs() < 0.05, "{ours} against {published}");
        }
    }

    /// On AWGN: SP59 ≤ metaconverse (both converses; SP59 holds for any code on the sphere, the
    /// metaconverse uses the binary input) ≤ normal approximation ≤ RCU ≤ Gallager and DT (the
    /// achievability bounds).
    #[test]
    fn on_awgn_the_bounds_fall_in_order() {
        for (n, k) in [(49, 24), (128, 64)] {
            let converse = Metaconverse::new(n);
            let rcu = RandomCodingUnion::new(vec![n], Gains::None, 1.0).expect("AWGN");
            let dt = DependenceTesting::new(vec![n], Gains::None, 1.0);
            for target in [1e-2, 1e-4] {
                let sp59 = min_esn0_db(Bound::SpherePacking59, n, k, target);
                let na = min_esn0_db(Bound::NormalApproximation, n, k, target);
                let gallager = min_esn0_db(Bound::Gallager, n, k, target);
                let (mc, rcu, dt) =
                    (converse.min_esn0_db(k, target), rcu.min_esn0_db(k, target), dt.min_esn0_db(k, target));
                eprintln!(
                    "({n}, {k}) at {target:e}, Es/N0 dB: SP59 {sp59:.3} metaconverse {mc:.3} NA {na:.3} RCU {rcu:.3} DT {dt:.3} Gallager {gallager:.3}"
                );
                assert!(sp59 < mc && mc < na && na < rcu && rcu < gallager && rcu < dt, "({n}, {k}) at {target}");
            }
        }
    }

    /// The tilted draw agrees with a plain one where a plain one is accurate (ε near 10⁻²), and
    /// with other tilted draws where it is not (10⁻⁴).
    #[test]
    fn the_tilted_draw_is_unbiased_and_steady() {
        let (n, k) = (128, 64);
        let tilted = Metaconverse::new(n);
        let plain = Metaconverse { draws: tilted.draws.clone().untilted(), fading: None, seed: SEED };
        let es = -1.25;
        let (a, b) = (tilted.bler(k, es), plain.bler(k, es));
        eprintln!("(128, 64) at Es/N0 {es} dB: tilted {a:.4e}, plain {b:.4e}");
        assert!((a / b - 1.0).abs() < 0.1, "tilted {a} plain {b}");
        let es = 2.8 - 10.0 * 2f64.log10();
        let draws: Vec<f64> = (0..3).map(|seed| Metaconverse::drawn_with(seed, vec![n], None).bler(k, es)).collect();
        eprintln!("(128, 64) at ρ = 2.8 dB, three draws: {draws:?}");
        let (lo, hi) = draws.iter().fold((1.0f64, 0.0f64), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        assert!(lo > 0.0 && hi / lo < 1.15, "{draws:?}");
    }

    /// Quasi-static fading (one gain per codeword): the average of the bound given the gain lies
    /// between the averaged SP59 (a looser converse at every gain) and the averaged normal
    /// approximation.
    #[test]
    fn on_quasi_static_fading_it_lies_between_sp59_and_the_approximation() {
        let (n, k, target) = (49, 24, 1e-2);
        let ours = Metaconverse::on_fading(vec![n], 1.0).min_esn0_db(k, target);
        let sp59 = QuasiStatic::new(Bound::SpherePacking59, n, k, 1.0).min_esn0_db(target);
        let na = QuasiStatic::new(Bound::NormalApproximation, n, k, 1.0).min_esn0_db(target);
        eprintln!("({n}, {k}) quasi-static at 1e-2, Es/N0 dB: SP59 {sp59:.3} metaconverse {ours:.3} NA {na:.3}");
        assert!(sp59 < ours && ours < na, "{sp59} {ours} {na}");
    }

    /// Block fading in runs of 7 symbols: below each receiver's normal approximation and DT bound
    /// (it binds the blind receiver too: given the gains, the output under Q is still independent
    /// of the codeword), and steady across draws.
    #[test]
    fn on_block_fading_it_bounds_both_receivers_and_is_steady() {
        let (n, k, target) = (49, 24, 1e-2);
        let runs = blocks(n, n, 7);
        let ours = Metaconverse::on_fading(runs.clone(), 1.0).min_esn0_db(k, target);
        let other = Metaconverse::drawn_with(SEED + 1, runs.clone(), Some(1.0)).min_esn0_db(k, target);
        let na_csi = BlockFading::new(1.0, runs.clone()).min_esn0_db(k, target);
        let dt_csi = DependenceTesting::new(runs.clone(), Gains::Csi, 1.0).min_esn0_db(k, target);
        let na_blind = BlockFading::without_csi(1.0, runs).min_esn0_db(k, target);
        eprintln!(
            "({n}, {k}) in runs of 7 at 1e-2, Es/N0 dB: metaconverse {ours:.3} (another draw {other:.3}); CSI NA {na_csi:.3} DT {dt_csi:.3}; blind NA {na_blind:.3}"
        );
        assert!(ours < na_csi && na_csi < dt_csi && na_csi < na_blind, "{ours} {na_csi} {dt_csi} {na_blind}");
        assert!((ours - other).abs() < 0.05, "{ours} {other}");
    }
}
