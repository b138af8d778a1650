//! The normal approximation on fast Rayleigh fading with perfect CSI: every BPSK symbol has its own
//! gain, `g² ~ Exp(Ω)` independent from symbol to symbol (ideal interleaving), known to the
//! receiver.
//!
//! With the gain as part of the output the channel is memoryless, and given g a symbol crosses the
//! BI-AWGN channel at Es/N0·g². Its information density is the BI-AWGN one at that SNR, so by the
//! law of total variance
//!
//! - capacity (ergodic) `C = E_g[C_BI-AWGN(s·g²)]`,
//! - dispersion `V = E_g[V_BI-AWGN(s·g²)] + Var_g[C_BI-AWGN(s·g²)]`,
//!
//! the two-term dispersion of the coherent fading channel (Polyanskiy & Verdú, "Scalar coherent
//! fading channel: dispersion analysis", ISIT 2011, there for Gaussian inputs; here the fading is
//! memoryless, so the second term is the variance of the per-symbol capacity). The normal
//! approximation `Q((n·C − k + ½·log2 n)/√(n·V))` then estimates the best (n, k) code's error
//! probability as on AWGN. It is an estimate, not a bound, and no sphere-packing bound applies:
//! after the fade the codewords no longer lie on one sphere.
//!
//! The expectations over the fade are Simpson's rule in `u = ln(g²/Ω)` over [−20, 3.5] (weight
//! `e^(u − e^u)`; what lies outside carries less than 1e-8 of the probability).

use super::{info_density_moments, normal_approximation, simpson, solve_decreasing_within};

/// Simpson intervals over the fade.
const INTERVALS: usize = 240;

/// (capacity, dispersion) in bits of BPSK on fast Rayleigh fading of mean square gain
/// `mean_square_gain` (Ω) at mean Es/N0 `esn0_db`, with CSI.
pub fn moments(esn0_db: f64, mean_square_gain: f64) -> (f64, f64) {
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

/// The ergodic capacity `E_g[C_BI-AWGN(s·g²)]` in bits per BPSK symbol.
pub fn ergodic_capacity(esn0_db: f64, mean_square_gain: f64) -> f64 {
    moments(esn0_db, mean_square_gain).0
}

/// The least mean Es/N0 (dB) at which the ergodic capacity reaches `rate` bits per symbol
/// (bisection to 1e-6 dB).
pub fn ergodic_capacity_limit_esn0_db(rate: f64, mean_square_gain: f64) -> f64 {
    super::bisect(-30.0, 60.0, 1e-6, |x| ergodic_capacity(x, mean_square_gain) < rate)
}

/// The normal approximation for k bits in n BPSK symbols on fast fading (an estimate).
pub fn normal_approximation_bler(n: usize, k: usize, esn0_db: f64, mean_square_gain: f64) -> f64 {
    let (c, v) = moments(esn0_db, mean_square_gain);
    normal_approximation(n, k, c, v)
}

/// The least mean Es/N0 (dB) at which the normal approximation reaches `target` (bisection to
/// 1e-4 dB over −60..100 dB).
pub fn min_esn0_db(n: usize, k: usize, mean_square_gain: f64, target: f64) -> f64 {
    let f = |x: f64| normal_approximation_bler(n, k, x, mean_square_gain);
    solve_decreasing_within(f, target, (-60.0, 100.0), 1e-4)
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
            let samples = 2_000_000;
            let (mut sum, mut sum2) = (0.0, 0.0);
            for _ in 0..samples {
                let u: f64 = rng.random::<f64>().max(1e-300);
                let g = (-u.ln()).sqrt();
                let n: f64 = rng.sample(StandardNormal);
                let l = 2.0 * g * (g + sigma * n) / (sigma * sigma);
                let i = 1.0 - (1.0 + (-l).exp()).ln() / std::f64::consts::LN_2;
                let i = if l < -700.0 { 1.0 + l / std::f64::consts::LN_2 } else { i };
                sum += i;
                sum2 += i * i;
            }
            let mean = sum / samples as f64;
            let var = sum2 / samples as f64 - mean * mean;
            let (c, v) = moments(esn0_db, 1.0);
            let se = (var / samples as f64).sqrt();
            assert!((c - mean).abs() < 4.0 * se + 1e-4, "{esn0_db} dB: C {c} against {mean} ± {se}");
            assert!((v / var - 1.0).abs() < 0.02, "{esn0_db} dB: V {v} against {var}");
        }
    }

    /// Fading costs capacity (Jensen: C is concave in the SNR) and, from moderate SNR on, adds
    /// dispersion (the variance of the per-symbol capacity); long codes approach the ergodic
    /// capacity limit; Ω = 2 is 3.01 dB of mean gain.
    #[test]
    fn fading_costs_capacity_and_long_codes_reach_the_ergodic_limit() {
        for esn0_db in [-5.0, 0.0, 5.0, 10.0] {
            let (c, v) = moments(esn0_db, 1.0);
            assert!(c < super::super::biawgn_capacity(esn0_db), "{esn0_db} dB");
            assert!(esn0_db < 5.0 || v > super::super::biawgn_dispersion(esn0_db), "{esn0_db} dB");
        }
        assert!(ergodic_capacity(40.0, 1.0) > 0.999);
        // Where the ergodic capacity is 1/2, by bisection on the capacity itself.
        let limit = ergodic_capacity_limit_esn0_db(0.5, 1.0);
        let long = min_esn0_db(100_000, 50_000, 1.0, 0.1);
        assert!(long > limit && long - limit < 0.1, "n = 100,000: {long} dB against the limit {limit} dB");
        let short = min_esn0_db(300, 150, 1.0, 0.1);
        assert!(short > long + 0.5, "n = 300 needs more: {short} against {long}");
        let twice = min_esn0_db(300, 150, 2.0, 0.1);
        assert!((short - twice - 10.0 * 2f64.log10()).abs() < 1e-3, "{short} {twice}");
    }
}
