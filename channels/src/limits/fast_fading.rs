//! The normal approximation on fast Rayleigh fading: every BPSK symbol has its own gain,
//! `g² ~ Exp(Ω)` independent from symbol to symbol (ideal interleaving), known to the receiver
//! (CSI) or not.
//!
//! **With CSI** the gain is part of the output, the channel is memoryless, and given g a symbol
//! crosses the BI-AWGN channel at Es/N0·g². Its information density is the BI-AWGN one at that
//! SNR, so by the law of total variance
//!
//! - capacity (ergodic) `C = E_g[C_BI-AWGN(s·g²)]`,
//! - dispersion `V = E_g[V_BI-AWGN(s·g²)] + Var_g[C_BI-AWGN(s·g²)]`,
//!
//! the two-term dispersion of the coherent fading channel (Polyanskiy & Verdú, "Scalar coherent
//! fading channel: dispersion analysis", ISIT 2011, there for Gaussian inputs; here the fading is
//! memoryless, so the second term is the variance of the per-symbol capacity). The expectations
//! over the fade are Simpson's rule in `u = ln(g²/Ω)` over [−20, 3.5] (weight `e^(u − e^u)`; what
//! lies outside carries less than 1e-8 of the probability).
//!
//! **Without CSI** (the LM-SSCC and ICD reference code's channel: the receiver knows the fading's
//! statistics, not each gain) the channel `y = g·x + σ·n` is still memoryless, with output density
//! the Rayleigh mixture `p(y|x) = ∫ p(g)·N(y; g·x, σ²) dg`. In closed form,
//! `p(y|+1) = (2/Ω)·N(y; 0, σ²)·h(z)/(2a)` with `a = 1/Ω + 1/(2σ²)`, `z = y/(σ²·√(2a))` and
//! `h(z) = 1 + z·Φ(z)/φ(z)`; `p(y|−1) = p(−y|+1)`. The information density of the uniform input
//! (optimal by symmetry) is `ı(y) = 1 − log2(1 + h(−z)/h(z))`, its mean the capacity and its
//! variance the dispersion (PPV 2010: a memoryless channel), both by Simpson's rule over y given
//! x = +1. For z < 0, `h(z) = 1 − t·R(t)` (t = −z, R Mills' ratio) cancels; from t = 6 on it is
//! `1/(D₁·D₂)` with Laplace's continued fraction `D_j = t + j/D_(j+1)` (`R = 1/D₁`), which does not.
//! At low SNR the capacity is `(E[g])²/E[g²]` = π/4 of the CSI one: without the gain only its mean
//! carries the bit.
//!
//! The normal approximation `Q((n·C − k + ½·log2 n)/√(n·V))` then estimates the best (n, k)
//! code's error probability as on AWGN. It is an estimate, not a bound, and no sphere-packing bound
//! applies: after the fade the codewords no longer lie on one sphere.

use super::{info_density_moments, normal_approximation, simpson, softplus, solve_decreasing_within, std_normal_pdf};
use crate::snr::db_to_linear;
use std::f64::consts::{LN_2, PI, SQRT_2};

/// Simpson intervals over the fade (CSI).
const INTERVALS: usize = 240;

/// BPSK on fast Rayleigh fading of mean square gain `mean_square_gain` (Ω), with or without CSI
/// at the receiver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FastFading {
    pub mean_square_gain: f64,
    pub csi: bool,
}

impl FastFading {
    pub fn new(mean_square_gain: f64, csi: bool) -> Self {
        Self { mean_square_gain, csi }
    }

    /// (capacity, dispersion) in bits per BPSK symbol at mean Es/N0 `esn0_db`.
    pub fn moments(&self, esn0_db: f64) -> (f64, f64) {
        if self.csi {
            moments_with_csi(esn0_db, self.mean_square_gain)
        } else {
            moments_without_csi(esn0_db, self.mean_square_gain)
        }
    }

    /// The capacity (ergodic, with CSI) in bits per BPSK symbol.
    pub fn capacity(&self, esn0_db: f64) -> f64 {
        self.moments(esn0_db).0
    }

    /// The least mean Es/N0 (dB) at which the capacity reaches `rate` bits per symbol (bisection
    /// to 1e-6 dB).
    pub fn capacity_limit_esn0_db(&self, rate: f64) -> f64 {
        super::bisect(-30.0, 60.0, 1e-6, |x| self.capacity(x) < rate)
    }

    /// The normal approximation for k bits in n BPSK symbols (an estimate).
    pub fn normal_approximation_bler(&self, n: usize, k: usize, esn0_db: f64) -> f64 {
        let (c, v) = self.moments(esn0_db);
        normal_approximation(n, k, c, v)
    }

    /// The least mean Es/N0 (dB) at which the normal approximation reaches `target` (bisection
    /// to 1e-4 dB over −60..100 dB).
    pub fn min_esn0_db(&self, n: usize, k: usize, target: f64) -> f64 {
        let f = |x: f64| self.normal_approximation_bler(n, k, x);
        solve_decreasing_within(f, target, (-60.0, 100.0), 1e-4)
    }
}

/// (capacity, dispersion) with CSI: the BI-AWGN moments averaged over the fade.
fn moments_with_csi(esn0_db: f64, mean_square_gain: f64) -> (f64, f64) {
    let at = |u: f64| info_density_moments(esn0_db + 10.0 * (mean_square_gain * u.exp()).log10());
    let weight = |u: f64| (u - u.exp()).exp();
    let (a, b) = (-20.0, 3.5);
    // Each term's integrand, then the three expectations from one pass over the grid.
    let m = INTERVALS;
    let h = (b - a) / m as f64;
    let points: Vec<(f64, f64, f64)> = (0..=m)
        .map(|i| {
            let u = a + i as f64 * h;
            let (c, v) = at(u);
            (weight(u), c, v)
        })
        .collect();
    let integral =
        |f: &dyn Fn(&(f64, f64, f64)) -> f64| simpson(|x| f(&points[((x - a) / h).round() as usize]), a, b, m);
    let mass = integral(&|p| p.0);
    let c = integral(&|p| p.0 * p.1) / mass;
    let second = integral(&|p| p.0 * (p.2 + p.1 * p.1)) / mass;
    (c, (second - c * c).max(0.0))
}

/// `ln h(z)`, `h(z) = 1 + z·Φ(z)/φ(z)`: the gain integral of the no-CSI output density.
pub(super) fn ln_h(z: f64) -> f64 {
    if z >= 0.0 {
        // ln Φ(z) − ln φ(z), the latter written out: φ(z) underflows from z ≈ 38.
        let ln_ratio = (0.5 * libm::erfc(-z / SQRT_2)).ln() + 0.5 * z * z + 0.5 * (2.0 * PI).ln();
        if z == 0.0 {
            0.0
        } else {
            softplus(z.ln() + ln_ratio)
        }
    } else if z > -6.0 {
        let t = -z;
        (1.0 - t * 0.5 * libm::erfc(t / SQRT_2) / std_normal_pdf(t)).ln()
    } else {
        // h(−t) = R(t)·(1/R(t) − t) = 1/(D₁·D₂), Laplace's continued fraction from 200 deep.
        let t = -z;
        let mut d = t;
        let mut below = t;
        for j in (1..=200).rev() {
            below = d;
            d = t + j as f64 / d;
        }
        -(d.ln() + below.ln())
    }
}

/// The no-CSI channel's output at one Es/N0: `ln p(y|+1)` and the information density.
pub(super) struct WithoutCsi {
    variance: f64,
    /// z = y · z_per_y.
    z_per_y: f64,
    /// ln((2/Ω)·1/(√(2π)·σ)·1/(2a)).
    ln_constant: f64,
}

impl WithoutCsi {
    pub(super) fn new(esn0_db: f64, omega: f64) -> Self {
        let variance = 1.0 / (2.0 * db_to_linear(esn0_db));
        let a = 1.0 / omega + 1.0 / (2.0 * variance);
        let ln_constant = (2.0 / omega).ln() - (2.0 * PI * variance).sqrt().ln() - (2.0 * a).ln();
        Self { variance, z_per_y: 1.0 / (variance * (2.0 * a).sqrt()), ln_constant }
    }

    fn ln_density(&self, y: f64) -> f64 {
        self.ln_constant - y * y / (2.0 * self.variance) + ln_h(y * self.z_per_y)
    }

    /// `ı(y) = log2(2·p(y|+1)/(p(y|+1) + p(y|−1)))`.
    pub(super) fn info(&self, y: f64) -> f64 {
        let z = y * self.z_per_y;
        1.0 - softplus(ln_h(-z) - ln_h(z)) / LN_2
    }
}

/// (capacity, dispersion) without CSI: the information density of the Rayleigh-mixture channel
/// over y given x = +1 (Simpson's rule, steps of at most σ/8 where they fit 400,000).
fn moments_without_csi(esn0_db: f64, mean_square_gain: f64) -> (f64, f64) {
    let channel = WithoutCsi::new(esn0_db, mean_square_gain);
    let sigma = channel.variance.sqrt();
    // g² > 40·Ω has probability e^−40; the noise beyond 12σ less.
    let (lo, hi) = (-12.0 * sigma, (40.0 * mean_square_gain).sqrt() + 12.0 * sigma);
    let intervals = (((hi - lo) / (sigma / 8.0)).ceil() as usize).clamp(4000, 400_000);
    let h = (hi - lo) / intervals as f64;
    let points: Vec<(f64, f64)> = (0..=intervals)
        .map(|i| {
            let y = lo + i as f64 * h;
            (channel.ln_density(y).exp(), channel.info(y))
        })
        .collect();
    let integral =
        |f: &dyn Fn(&(f64, f64)) -> f64| simpson(|y| f(&points[((y - lo) / h).round() as usize]), lo, hi, intervals);
    let mass = integral(&|p| p.0);
    let c = integral(&|p| p.0 * p.1) / mass;
    let second = integral(&|p| p.0 * p.1 * p.1) / mass;
    (c, (second - c * c).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;

    /// The quadrature against a Monte Carlo estimate of the information density's mean and
    /// variance over both the fade and the noise: 2,000,000 symbols, g² = −ln U, y = g + σ·n, and
    /// `ı = 1 − log2(1 + e^(−2·g·y/σ²))`. The variance's estimate is slow to settle (a symbol in a
    /// moderate fade whose noise flips its sign has a large negative ı): at 10 dB three runs of
    /// 4,000,000 gave 0.1305–0.1309 against the quadrature's 0.1311, one of 400,000 0.1346.
    #[test]
    fn the_moments_match_a_monte_carlo_estimate() {
        let mut rng = stream(17, &[3]);
        for esn0_db in [-3.0, 3.0, 10.0] {
            let s = 10f64.powf(esn0_db / 10.0);
            let sigma = (1.0 / (2.0 * s)).sqrt();
            let sampled = monte_carlo(&mut rng, |g, n| {
                let l = 2.0 * g * (g + sigma * n) / (sigma * sigma);
                let i = 1.0 - (1.0 + (-l).exp()).ln() / std::f64::consts::LN_2;
                if l < -700.0 {
                    1.0 + l / std::f64::consts::LN_2
                } else {
                    i
                }
            });
            assert_moments(esn0_db, FastFading::new(1.0, true).moments(esn0_db), sampled);
        }
    }

    /// Mean and variance of `info(g, n)` over 2,000,000 draws of the fade (g² = −ln U, Ω = 1) and
    /// the noise (n ~ N(0, 1)), with the sample count.
    fn monte_carlo(rng: &mut crate::rng::StreamRng, info: impl Fn(f64, f64) -> f64) -> (f64, f64, usize) {
        let samples = 2_000_000;
        let (mut sum, mut sum2) = (0.0, 0.0);
        for _ in 0..samples {
            let u: f64 = rng.random::<f64>().max(1e-300);
            let g = (-u.ln()).sqrt();
            let n: f64 = rng.sample(StandardNormal);
            let i = info(g, n);
            sum += i;
            sum2 += i * i;
        }
        let mean = sum / samples as f64;
        (mean, sum2 / samples as f64 - mean * mean, samples)
    }

    /// The quadrature's (C, V) within four standard errors (and 1e-4) and 2 % of the sampled ones.
    fn assert_moments(esn0_db: f64, (c, v): (f64, f64), (mean, var, samples): (f64, f64, usize)) {
        let se = (var / samples as f64).sqrt();
        assert!((c - mean).abs() < 4.0 * se + 1e-4, "{esn0_db} dB: C {c} against {mean} ± {se}");
        assert!((v / var - 1.0).abs() < 0.02, "{esn0_db} dB: V {v} against {var}");
    }

    /// Fading costs capacity (Jensen: C is concave in the SNR) and, from moderate SNR on, adds
    /// dispersion (the variance of the per-symbol capacity); long codes approach the ergodic
    /// capacity limit; Ω = 2 is 3.01 dB of mean gain.
    #[test]
    fn fading_costs_capacity_and_long_codes_reach_the_ergodic_limit() {
        let csi = FastFading::new(1.0, true);
        for esn0_db in [-5.0, 0.0, 5.0, 10.0] {
            let (c, v) = csi.moments(esn0_db);
            assert!(c < super::super::biawgn_capacity(esn0_db), "{esn0_db} dB");
            assert!(esn0_db < 5.0 || v > super::super::biawgn_dispersion(esn0_db), "{esn0_db} dB");
        }
        assert!(csi.capacity(40.0) > 0.999);
        // Where the ergodic capacity is 1/2, by bisection on the capacity itself.
        let limit = csi.capacity_limit_esn0_db(0.5);
        let long = csi.min_esn0_db(100_000, 50_000, 0.1);
        assert!(long > limit && long - limit < 0.1, "n = 100,000: {long} dB against the limit {limit} dB");
        let short = csi.min_esn0_db(300, 150, 0.1);
        assert!(short > long + 0.5, "n = 300 needs more: {short} against {long}");
        let twice = FastFading::new(2.0, true).min_esn0_db(300, 150, 0.1);
        assert!((short - twice - 10.0 * 2f64.log10()).abs() < 1e-3, "{short} {twice}");
    }

    /// The closed-form no-CSI output density against Simpson's rule over the gain,
    /// `p(y|+1) = ∫ (2g/Ω)·e^(−g²/Ω)·N(y; g, σ²) dg`, from deep in the wrong half-line (where
    /// the continued fraction serves) to far right, at low and high SNR.
    #[test]
    fn the_no_csi_density_is_the_rayleigh_mixture() {
        for (esn0_db, omega) in [(-5.0, 1.0), (5.0, 1.0), (15.0, 2.0)] {
            let channel = WithoutCsi::new(esn0_db, omega);
            let sigma = channel.variance.sqrt();
            for y in [-8.0 * sigma, -3.0 * sigma, -0.3, 0.0, 0.4, 1.0, 2.5] {
                let integrand =
                    |g: f64| (2.0 * g / omega) * (-g * g / omega).exp() * std_normal_pdf((y - g) / sigma) / sigma;
                let direct = simpson(integrand, 0.0, (40.0 * omega).sqrt(), 200_000);
                let closed = channel.ln_density(y).exp();
                assert!((closed / direct - 1.0).abs() < 1e-7, "{esn0_db} dB, y = {y}: {closed} against {direct}");
            }
        }
    }

    /// `h(−t) = 1 − t·R(t)`: the continued fraction (from t = 6) against the direct form where
    /// that still holds 12 digits, and against the asymptotic series far out.
    #[test]
    fn the_continued_fraction_meets_the_direct_form() {
        let direct = |t: f64| 1.0 - t * 0.5 * libm::erfc(t / SQRT_2) / std_normal_pdf(t);
        for t in [6.0f64, 6.5, 7.0, 8.0] {
            let (cf, d) = (ln_h(-t - 1e-12), direct(t).ln());
            assert!((cf - d).abs() < 1e-9, "t = {t}: {cf} against {d}");
        }
        let t = 40.0f64;
        let series = (1.0 - 3.0 / t.powi(2) + 15.0 / t.powi(4) - 105.0 / t.powi(6) + 945.0 / t.powi(8)) / t.powi(2);
        assert!((ln_h(-t) - series.ln()).abs() < 1e-11, "{} against {}", ln_h(-t), series.ln());
        // And h(z) > 0 on both sides, increasing.
        let mut last = f64::NEG_INFINITY;
        for i in -400..=400 {
            let v = ln_h(i as f64 * 0.1);
            assert!(v.is_finite() && v > last, "z = {}", i as f64 * 0.1);
            last = v;
        }
    }

    /// Without CSI: the moments against a Monte Carlo over fade and noise (2,000,000 symbols,
    /// the same density ı(y) on y drawn as the channel draws it: an independent check of the
    /// integration over y); below the CSI capacity at every SNR, π/4 of it at low SNR (only
    /// E[g] carries the bit), 1 bit at high SNR; so codes need more Es/N0 without CSI.
    #[test]
    fn without_csi_the_capacity_is_the_mixtures() {
        let mut rng = stream(19, &[4]);
        for esn0_db in [-3.0, 3.0, 10.0] {
            let channel = WithoutCsi::new(esn0_db, 1.0);
            let sigma = channel.variance.sqrt();
            let sampled = monte_carlo(&mut rng, |g, n| channel.info(g + sigma * n));
            assert_moments(esn0_db, FastFading::new(1.0, false).moments(esn0_db), sampled);
        }
        let (csi, no_csi) = (FastFading::new(1.0, true), FastFading::new(1.0, false));
        for esn0_db in [-10.0, 0.0, 5.0, 10.0, 20.0] {
            assert!(no_csi.capacity(esn0_db) < csi.capacity(esn0_db), "{esn0_db} dB");
        }
        let ratio = no_csi.capacity(-30.0) / csi.capacity(-30.0);
        assert!((ratio - PI / 4.0).abs() < 0.01, "{ratio}");
        assert!(no_csi.capacity(50.0) > 0.999);
        let (with, without) = (csi.min_esn0_db(300, 150, 0.1), no_csi.min_esn0_db(300, 150, 0.1));
        assert!(without > with + 0.3 && without.is_finite(), "{without} against {with}");
    }
}
