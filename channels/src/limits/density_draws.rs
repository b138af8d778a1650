//! The Monte Carlo draws behind the finite-blocklength bounds that are expectations over the
//! information density: the dependence-testing and RCU achievability bounds and the metaconverse
//! ([`super::dependence_testing`], [`super::random_coding_union`], [`super::metaconverse`]).
//!
//! A codeword of n BPSK symbols is laid out in runs, each under one gain: 1 on AWGN, Rayleigh
//! (`g² ~ Exp(Ω)`) otherwise, told to the receiver or not ([`Gains`]). Every channel here is
//! symmetric (flipping the sign of a symbol's input and of its output changes nothing), so the
//! density's law does not depend on the codeword and the draws send x = (+1, …, +1).
//!
//! The draw is fixed and seeded (the same standard exponentials and normals at every Es/N0, so a
//! bound is a smooth function of it and its inverse well defined): 2^14 codewords, fewer for long
//! ones (at most 2^23 noise samples, at least 1,024 codewords). The bounds are dominated by the
//! rare codewords whose density falls near or below k bits, so both sources of randomness are
//! drawn by importance sampling and weighted back:
//!
//! - **Gains**, as in [`super::block_fading`]: a share α = min(0.3, 1.5/B) of the runs' gains are
//!   deep fades of mean square 1/(mean Es/N0), so that codewords several deep fades sink are drawn
//!   often.
//! - **Noise**, on AWGN only (where it is the only randomness): each symbol's output is drawn
//!   from the exponential tilt of its law by its own information density,
//!   `p_θ(y) = p(y)·e^(−θ·ı(y))/Z(θ)` (ı in nats), θ set so that the tilted mean density is k/n
//!   bits (none when the mean is below already). The weight `dP/dP_θ = Z^n·e^(θ·Σı)` is then a
//!   function of the codeword's density alone, bounded on the event {Σı ≤ γ} the bounds are
//!   decided on: the twist that keeps a large-deviation estimate's relative error bounded as ε
//!   falls (Sadowsky & Bucklew, "On large deviations theory and asymptotically efficient Monte
//!   Carlo estimation", IEEE Trans. IT, 1990). The tilted law is sampled by inverting its
//!   distribution function, tabulated on 16,384 points, at the draw's fixed standard normals.
//!   (Shifting the noise's mean instead was tried: its weights vary within the event, and at
//!   ε = 10⁻⁴ three draws of the (128, 64) metaconverse spread over a factor 2.3, against 4 %
//!   with the tilt.) With fading the gains' deep fades already dominate, and the noise is drawn
//!   plainly.

use super::block_fading::deep_fade_proposal;
use super::noncoherent_run::information_density;
use super::{biawgn_bits, parallel_map, softplus};
use crate::rng::stream;
use crate::snr::db_to_linear;
use crate::theory::q_function;
use rand::Rng;
use rand_distr::{Exp1, StandardNormal};
use std::f64::consts::LN_2;

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

/// One codeword's information density under the draw, with its importance weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WeightedDensity {
    /// `dP/dP̃` of the draw (1 without importance sampling).
    pub weight: f64,
    /// The density in bits, for each tilt `s` asked for (in their order).
    pub bits: [f64; TILTS],
}

/// At most how many tilts one pass evaluates.
pub(super) const TILTS: usize = 8;

/// A fixed draw of codewords' fading and noise, for codewords laid out in runs of one gain each.
#[derive(Debug, Clone)]
pub(super) struct DensityDraws {
    runs: Vec<usize>,
    gains: Gains,
    mean_square_gain: f64,
    /// Per codeword: a standard exponential per run, then a standard normal per symbol.
    draws: Vec<f64>,
    /// Per codeword and run: whether the gain is one of the proposal's deep fades.
    deep: Vec<bool>,
    /// The proposal's share of deep fades, α.
    deep_share: f64,
    /// Whether AWGN's noise is drawn tilted (always, but for the tests that check the tilt).
    tilt_noise: bool,
}

impl DensityDraws {
    /// Codewords of `runs.iter().sum()` symbols, `runs[b]` of them under gain b (on AWGN, any
    /// layout).
    pub(super) fn new(seed: u64, runs: Vec<usize>, gains: Gains, mean_square_gain: f64) -> Self {
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
        Self { runs, gains, mean_square_gain, draws, deep, deep_share, tilt_noise: true }
    }

    /// The same draw with AWGN's noise drawn plainly.
    #[cfg(test)]
    pub(super) fn untilted(self) -> Self {
        Self { tilt_noise: false, ..self }
    }

    pub(super) fn n(&self) -> usize {
        self.runs.iter().sum()
    }

    /// The noise's deviation σ at mean Es/N0 `esn0_db` (the gains' Ω scaled out).
    pub(super) fn noise_sigma(&self, esn0_db: f64) -> f64 {
        (0.5 / (db_to_linear(esn0_db) * self.mean_square_gain)).sqrt()
    }

    /// The first `count` codewords' gains at mean Es/N0 `esn0_db` (one per run, `g²` in units of
    /// Ω, which the noise's σ carries), each vector with its importance weight.
    pub(super) fn gains(&self, esn0_db: f64, count: usize) -> Vec<(f64, Vec<f64>)> {
        let snr = db_to_linear(esn0_db) * self.mean_square_gain;
        let (alpha, theta) = (self.deep_share, (1.0 / snr).min(1.0));
        let b = self.runs.len();
        self.draws
            .chunks_exact(self.n() + b)
            .zip(self.deep.chunks_exact(b))
            .take(count)
            .map(|(draw, deep)| {
                let mut weight = 1.0;
                let gains = draw[..b]
                    .iter()
                    .zip(deep)
                    .map(|(&e, &is_deep)| {
                        let (x, proposal_over_rayleigh) = deep_fade_proposal(e, is_deep, alpha, theta);
                        weight /= proposal_over_rayleigh;
                        x.sqrt()
                    })
                    .collect();
                (weight, gains)
            })
            .collect()
    }

    pub(super) fn runs(&self) -> &[usize] {
        &self.runs
    }

    /// Each codeword's weighted density at mean Es/N0 `esn0_db`, the draw tilted towards densities
    /// of `k` bits. `tilts` are the exponents s of the generalized density
    /// `ı_s(x; y) = log2(W(y|x)^s / E_X̄[W(y|X̄)^s])` (s = 1: the information density); a receiver
    /// not told the gains has only s = 1 here.
    pub(super) fn sample(&self, esn0_db: f64, k: usize, tilts: &[f64]) -> Vec<WeightedDensity> {
        assert!(!tilts.is_empty() && tilts.len() <= TILTS, "1 to {TILTS} tilts");
        assert!(self.gains != Gains::Blind || tilts == [1.0], "without CSI only s = 1");
        let sigma = self.noise_sigma(esn0_db);
        let snr = 0.5 / (sigma * sigma);
        self.map(esn0_db, k, usize::MAX, |weight, gains, y| {
            let (mut bits, mut start) = ([0.0; TILTS], 0);
            for (&symbols, &g) in self.runs.iter().zip(gains) {
                let y = &y[start..start + symbols];
                start += symbols;
                match self.gains {
                    Gains::None | Gains::Csi => {
                        for (out, &s) in bits.iter_mut().zip(tilts) {
                            *out += y.iter().map(|&v| biawgn_bits(2.0 * s * g * v / (sigma * sigma))).sum::<f64>();
                        }
                    }
                    Gains::Blind => bits[0] += information_density(y, snr),
                }
            }
            WeightedDensity { weight, bits }
        })
    }

    /// `per_codeword(weight, gains, outputs)` for each of the first `count` codewords of the draw
    /// at mean Es/N0 `esn0_db` (tilted towards densities of `k` bits): its importance weight, its
    /// runs' gains (Ω scaled out: 1 on AWGN) and its n outputs given x = (+1, …, +1), on all cores.
    pub(super) fn map<T: Send>(
        &self,
        esn0_db: f64,
        k: usize,
        count: usize,
        per_codeword: impl Fn(f64, &[f64], &[f64]) -> T + Sync,
    ) -> Vec<T> {
        // Ω scaled out: gains g²/Ω ~ Exp(1) at mean Es/N0 s = Ω·Es/N0, σ² = 1/(2s).
        let snr = db_to_linear(esn0_db) * self.mean_square_gain;
        let sigma = self.noise_sigma(esn0_db);
        let (alpha, theta) = (self.deep_share, (1.0 / snr).min(1.0));
        let tilted = if self.gains == Gains::None && self.tilt_noise {
            TiltedOutput::towards(sigma, k as f64 / self.n() as f64)
        } else {
            TiltedOutput::new(sigma, 0.0)
        };
        let b = self.runs.len();
        let codewords: Vec<(&[f64], &[bool])> =
            self.draws.chunks_exact(self.n() + b).zip(self.deep.chunks_exact(b)).take(count).collect();
        let per_codeword = &per_codeword;
        let one = |(draw, deep): &(&[f64], &[bool])| {
            let (exponentials, noise) = draw.split_at(b);
            let (mut weight, mut ln_tilt_weight) = (1.0, 0.0);
            let mut gains = Vec::with_capacity(b);
            let mut y = Vec::with_capacity(noise.len());
            let mut start = 0;
            for ((&symbols, &e), &is_deep) in self.runs.iter().zip(exponentials.iter()).zip(deep.iter()) {
                let noise = &noise[start..start + symbols];
                start += symbols;
                if self.gains == Gains::None {
                    gains.push(1.0);
                    let from = y.len();
                    y.extend(noise.iter().map(|&z| tilted.output(z)));
                    // Summed in the log domain: a product of thousands could underflow.
                    ln_tilt_weight += y[from..].iter().map(|&v| tilted.ln_weight(v)).sum::<f64>();
                } else {
                    let (x, proposal_over_rayleigh) = deep_fade_proposal(e, is_deep, alpha, theta);
                    weight /= proposal_over_rayleigh;
                    let g = x.sqrt();
                    gains.push(g);
                    y.extend(noise.iter().map(|&z| g + sigma * z));
                }
            }
            per_codeword(weight * ln_tilt_weight.exp(), &gains, &y)
        };
        parallel_map(codewords.len(), |i| one(&codewords[i]))
    }
}

/// BI-AWGN's output given x = +1 under the exponential tilt of its information density,
/// `p_θ(y) = p(y)·e^(−θ·ı(y))/Z(θ)` (ı in nats): tabulated on a grid for its inverse distribution
/// function, so that a fixed standard normal z maps to the output y with the same tail probability.
#[derive(Debug, Clone)]
struct TiltedOutput {
    theta: f64,
    sigma: f64,
    /// ln Z(θ).
    ln_z: f64,
    ys: Vec<f64>,
    /// The distribution function at `ys`, and its complement summed from the right (each exact
    /// where it is small).
    cdf: Vec<f64>,
    sf: Vec<f64>,
}

/// Grid points of a tilted output's table.
const GRID: usize = 1 << 14;

impl TiltedOutput {
    fn new(sigma: f64, theta: f64) -> Self {
        // Between N(1, σ²) (high y, where ı → 1 bit) and N(1 − 2θ, σ²) (low y, where ı falls as
        // 2y/σ²): 12 deviations beyond each.
        let (lo, hi) = (1.0 - 2.0 * theta - 12.0 * sigma, 1.0 + 12.0 * sigma);
        let h = (hi - lo) / (GRID - 1) as f64;
        let ys: Vec<f64> = (0..GRID).map(|j| lo + j as f64 * h).collect();
        let ln_density: Vec<f64> =
            ys.iter().map(|&y| -(y - 1.0).powi(2) / (2.0 * sigma * sigma) - theta * nats(y, sigma)).collect();
        let top = ln_density.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let density: Vec<f64> = ln_density.iter().map(|&l| (l - top).exp()).collect();
        let mut cdf = vec![0.0; GRID];
        for j in 1..GRID {
            cdf[j] = cdf[j - 1] + 0.5 * h * (density[j - 1] + density[j]);
        }
        let total = cdf[GRID - 1];
        let mut sf = vec![0.0; GRID];
        for j in (0..GRID - 1).rev() {
            sf[j] = sf[j + 1] + 0.5 * h * (density[j] + density[j + 1]);
        }
        cdf.iter_mut().for_each(|c| *c /= total);
        sf.iter_mut().for_each(|c| *c /= total);
        let ln_z = top + total.ln() - (2.0 * std::f64::consts::PI).sqrt().ln() - sigma.ln();
        Self { theta, sigma, ln_z, ys, cdf, sf }
    }

    /// The tilted law's mean information density, bits per symbol.
    fn mean_bits(&self) -> f64 {
        let mass = |j: usize| if j + 1 < GRID { self.cdf[j + 1] - self.cdf[j] } else { 0.0 };
        (0..GRID - 1)
            .map(|j| mass(j) * 0.5 * (nats(self.ys[j], self.sigma) + nats(self.ys[j + 1], self.sigma)))
            .sum::<f64>()
            / LN_2
    }

    /// The output whose tail probability under the tilted law is the standard normal z's.
    fn output(&self, z: f64) -> f64 {
        if self.theta == 0.0 {
            return 1.0 + self.sigma * z;
        }
        // Lower half from the distribution function, upper half from its complement.
        let (table, p, rising) =
            if z <= 0.0 { (&self.cdf, q_function(-z), true) } else { (&self.sf, q_function(z), false) };
        let j = if rising { table.partition_point(|&c| c < p) } else { table.partition_point(|&c| c > p) };
        let j = j.clamp(1, GRID - 1);
        let (a, b) = (table[j - 1], table[j]);
        let t = if b != a { ((p - a) / (b - a)).clamp(0.0, 1.0) } else { 0.5 };
        self.ys[j - 1] + t * (self.ys[j] - self.ys[j - 1])
    }

    /// ln dP/dP_θ of one symbol with output y: `ln Z + θ·ı(y)`.
    fn ln_weight(&self, y: f64) -> f64 {
        if self.theta == 0.0 {
            0.0
        } else {
            self.ln_z + self.theta * nats(y, self.sigma)
        }
    }

    /// The tilt that brings the mean density to `rate` bits per symbol (none if it is there
    /// already): θ in [0, 1], where θ = 1 is the output law Q, under which the mean is −D(Q‖P).
    fn towards(sigma: f64, rate: f64) -> Self {
        let untilted = Self::new(sigma, 0.0);
        if untilted.mean_bits() <= rate {
            return untilted;
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..30 {
            let mid = 0.5 * (lo + hi);
            if Self::new(sigma, mid).mean_bits() > rate {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Self::new(sigma, 0.5 * (lo + hi))
    }
}

/// BI-AWGN's information density of x = +1 at output y, nats: `ln 2 − ln(1 + e^(−2y/σ²))`.
fn nats(y: f64, sigma: f64) -> f64 {
    LN_2 - softplus(-2.0 * y / (sigma * sigma))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tilt lands the mean density where it was asked to, the weights average to 1 under the
    /// tilted law (the table's inverse and Z agree), and θ = 1 is the output law Q.
    #[test]
    fn the_tilted_output_is_a_law_with_the_asked_mean() {
        let sigma = (0.5f64 / 0.9).sqrt();
        let tilted = TiltedOutput::towards(sigma, 0.5);
        assert!(tilted.theta > 0.0 && (tilted.mean_bits() - 0.5).abs() < 1e-3, "{tilted:?}");
        let mut rng = stream(7, &[]);
        let draws = 200_000;
        let (mut weight, mut bits) = (0.0, 0.0);
        for _ in 0..draws {
            let y = tilted.output(rng.sample::<f64, _>(StandardNormal));
            weight += tilted.ln_weight(y).exp();
            bits += nats(y, sigma) / LN_2;
        }
        let (weight, bits) = (weight / draws as f64, bits / draws as f64);
        eprintln!("θ = {:.4}: mean weight {weight:.4}, mean density {bits:.4} bits", tilted.theta);
        assert!((weight - 1.0).abs() < 0.02 && (bits - 0.5).abs() < 0.01, "{weight} {bits}");
        // Under Q the mean density is −D(Q‖P) < 0, and Z(1) = E_P[Q/P] = 1.
        let q = TiltedOutput::new(sigma, 1.0);
        assert!(q.mean_bits() < 0.0 && q.ln_z.abs() < 1e-6, "{} {}", q.mean_bits(), q.ln_z);
    }
}
