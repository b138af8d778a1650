//! The information density of a run of L BPSK symbols under one Rayleigh gain that the receiver
//! is not told (noncoherent block fading), and its mean and variance given that gain: what
//! [`super::block_fading`] needs for its normal approximation without CSI.
//!
//! Within a run `y_i = g·x_i + σ·n_i`, `g² ~ Exp(Ω)` and σ² = 1/(2·Es/N0). The receiver knows Ω, σ²
//! and the constellation, not g, so a run is one use of a memoryless channel from `{±1}^L` to
//! `ℝ^L` with `p(y|x) = ∫ p(g)·Π N(y_i; g·x_i, σ²) dg`. Its information density for uniform inputs
//! (optimal by symmetry) is `ı(x; y) = log2 p(y|x)/p(y)`, and the factors `Π N(y_i; 0, σ²)` common
//! to both cancel. With Ω scaled out (g²/Ω ~ Exp(1), mean Es/N0 s = Ω·Es/N0, σ² = 1/(2s)),
//! `a = 1 + L/(2σ²)` and `c_i = y_i/σ²`:
//!
//! - `p(y|x) ∝ ∫ 2g·e^(−a·g² + g·Σ x_i·c_i) dg = h(z)/a`, `z = Σ x_i·c_i / √(2a)` and
//!   `h(z) = 1 + z·Φ(z)/φ(z)`, the closed form of [`super::fast_fading`]'s no-CSI channel (L = 1);
//! - `p(y) ∝ ∫ 2g·e^(−a·g²)·Π cosh(g·c_i) dg`, the average over the 2^L inputs taken inside the
//!   integral, where each symbol's sign averages on its own. In u = ln g the integrand `e^G(u)`,
//!   `G(u) = ln 2 + 2u − a·e^(2u) + Σ ln cosh(e^u·c_i)`, is entire and falls doubly exponentially
//!   on the right and exponentially on the left, so the trapezoidal rule converges geometrically
//!   (Trefethen & Weideman, "The exponentially convergent trapezoidal rule", SIAM Review 56(3),
//!   2014). G has one maximum: `G'(u) = g²·q(g)` with `q(g) = 2/g² − 2a + Σ c_i²·tanh(g·c_i)/(g·c_i)`
//!   strictly decreasing (tanh t/t falls in |t|), so its root is found by bisection between
//!   `1/√a` (where q ≥ 0) and the root of `2/g² − 2a + Σ|c_i|/g` (≥ q). The rule steps by half
//!   the peak's width `1/√(−G'')`, at most 1/4, outward until G falls 25 below its top.
//!
//! Given the run's true gain, the density's mean and variance come from a fixed, seeded draw of
//! noise vectors (x = +1 without loss of generality: ı depends on (x, y) only through x_i·y_i and
//! |y_i|), the same draws at every Es/N0 and gain, so the moments are smooth in both. A deep fade
//! has a negative mean density: a receiver expecting a signal is misled by noise alone, where with
//! CSI it would know to ignore the run. As L grows the receiver learns the gain and the moments
//! approach L times the BI-AWGN ones; with L = 1 they are the fast-fading mixture channel's given
//! its gain. Conditioning on the gains is what makes the block-fading approximation an average of
//! Q over them, as with CSI (Yang, Durisi, Koch & Polyanskiy, IEEE Trans. IT 60(7), 2014, there for
//! one gain). It is an estimate built like the CSI one, not derived from the noncoherent
//! literature: Lancho, Koch & Durisi ("On single-antenna Rayleigh block-fading channels at finite
//! blocklength", IEEE Trans. IT 66(1), 496–519, 2020) give a high-SNR normal approximation for
//! unconstrained inputs over many coherence intervals, and Yang, Durisi, Koch & Polyanskiy
//! ("Diversity versus channel knowledge at finite block-length", ITW 2012) bounds showing the
//! trade between the runs' diversity and the cost of learning each gain that this one shows for
//! BPSK. [`super::dependence_testing`] bounds the same receiver from the achievable side.

use super::fast_fading::ln_h;
use super::{info_density_moments, parallel_map, softplus};
use crate::rng::stream;
use crate::snr::db_to_linear;
use rand::Rng;
use rand_distr::StandardNormal;
use std::f64::consts::LN_2;

/// The seed of the noise draws (any fixed value: the moments must not change from run to run).
const SEED: u64 = 0x0c0_4e7;

/// Noise vectors per run length: about this many noise samples in all, and at least
/// [`MIN_VECTORS`] vectors (with the control variate in [`NoncoherentRun::moments`], two
/// independent draws give limits 0.03 dB apart on runs of 7).
const SAMPLES: usize = 8_192;
const MIN_VECTORS: usize = 160;

/// The table of moments over the run's own Es/N0 (mean Es/N0 times g²/Ω), in dB: from
/// [`TABLE_LO_DB`] (where a run of any length here holds no signal worth counting: the moments
/// there are those of noise alone) to [`TABLE_HI_DB`] (where a run's density is L bits to 1e-6)
/// in steps of [`TABLE_STEP_DB`], linearly interpolated.
const TABLE_LO_DB: f64 = -40.0;
const TABLE_HI_DB: f64 = 24.0;
const TABLE_STEP_DB: f64 = 1.0;

/// `ln cosh t` without overflow.
fn ln_cosh(t: f64) -> f64 {
    let t = t.abs();
    t + (-2.0 * t).exp().ln_1p() - LN_2
}

/// `ln Σ e^(x_j)` over a walk of the trapezoidal rule: the running top and the sum below it.
struct LogSum {
    top: f64,
    sum: f64,
}

impl LogSum {
    fn add(&mut self, x: f64) {
        if x > self.top {
            self.sum = self.sum * (self.top - x).exp() + 1.0;
            self.top = x;
        } else {
            self.sum += (x - self.top).exp();
        }
    }
}

/// `ln ∫ e^G(u) du` over ℝ for a unimodal G with its top near `centre`, of width about `width`
/// there: the trapezoidal rule walked outward from `centre` until G is 25 below the top.
fn ln_integral(g: impl Fn(f64) -> f64, centre: f64, width: f64) -> f64 {
    let h = (0.5 * width).min(0.25);
    let first = g(centre);
    let mut acc = LogSum { top: first, sum: 1.0 };
    for direction in [1.0, -1.0] {
        // Each side ends where G is 25 below the top; 200,000 steps bound a pathological walk.
        for j in 1..200_000 {
            let value = g(centre + direction * j as f64 * h);
            acc.add(value);
            if value < acc.top - 25.0 {
                break;
            }
        }
    }
    acc.top + acc.sum.ln() + h.ln()
}

/// The information density in bits of x = (+1, …, +1) given `y`, for a run of `y.len()` symbols at
/// mean Es/N0 `mean_snr` (linear, Ω scaled out). For another x, pass `x_i·y_i`.
pub fn information_density(y: &[f64], mean_snr: f64) -> f64 {
    let l = y.len() as f64;
    let inv_variance = 2.0 * mean_snr;
    let a = 1.0 + 0.5 * l * inv_variance;
    let c: Vec<f64> = y.iter().map(|&v| v * inv_variance).collect();
    let z = c.iter().sum::<f64>() / (2.0 * a).sqrt();
    if y.len() == 1 {
        // One symbol: the output integral has the closed form (h(z) + h(−z))/(2a) too (fast
        // fading's mixture channel), `1 − log2(1 + h(−z)/h(z))`; the quadrature agrees (tested).
        return 1.0 - softplus(ln_h(-z) - ln_h(z)) / LN_2;
    }
    (ln_h(z) - a.ln() - ln_output(&c, a)) / LN_2
}

/// `ln ∫ 2g·e^(−a·g²)·Π cosh(g·c_i) dg`: the output density's gain integral.
fn ln_output(c: &[f64], a: f64) -> f64 {
    let q = |g: f64| {
        2.0 / (g * g) - 2.0 * a
            + c.iter()
                .map(|&ci| {
                    let t = g * ci;
                    if t.abs() < 1e-8 {
                        ci * ci
                    } else {
                        ci * t.tanh() / g
                    }
                })
                .sum::<f64>()
    };
    let sum_abs: f64 = c.iter().map(|ci| ci.abs()).sum();
    let (mut lo, mut hi) =
        ((1.0 / a.sqrt()).ln(), ((sum_abs + (sum_abs * sum_abs + 16.0 * a).sqrt()) / (4.0 * a)).ln());
    for _ in 0..10 {
        let mid = 0.5 * (lo + hi);
        if q(mid.exp()) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let centre = 0.5 * (lo + hi);
    let g = centre.exp();
    let curvature = -4.0 * a * g * g
        + c.iter()
            .map(|&ci| {
                let t = g * ci;
                let th = t.tanh();
                t * (th + t * (1.0 - th * th))
            })
            .sum::<f64>();
    let width = 1.0 / (-curvature).max(1e-12).sqrt();
    ln_integral(
        |u| {
            let g = u.exp();
            LN_2 + 2.0 * u - a * g * g + c.iter().map(|&ci| ln_cosh(g * ci)).sum::<f64>()
        },
        centre,
        width,
    )
}

/// The density's moments for runs of one length, from a fixed draw of noise vectors.
#[derive(Debug, Clone)]
pub struct NoncoherentRun {
    symbols: usize,
    /// `vectors × symbols` standard normal draws.
    noise: Vec<f64>,
}

impl NoncoherentRun {
    /// Runs of `symbols` symbols.
    pub fn new(symbols: usize) -> Self {
        Self::drawn_with(SEED, symbols)
    }

    pub(super) fn drawn_with(seed: u64, symbols: usize) -> Self {
        assert!(symbols > 0, "a run holds a symbol");
        let vectors = (SAMPLES / symbols).max(MIN_VECTORS);
        let mut rng = stream(seed, &[symbols as u64]);
        let noise = (0..vectors * symbols).map(|_| rng.sample(StandardNormal)).collect();
        Self { symbols, noise }
    }

    /// Symbols per run.
    pub fn symbols(&self) -> usize {
        self.symbols
    }

    /// (mean, variance) of a run's information density in bits given its gain: at mean Es/N0
    /// `mean_esn0_db` (Ω·Es/N0), the run's own Es/N0 (mean Es/N0 times g²/Ω) `run_esn0_db`.
    ///
    /// The coherent density of the same run, `ı_c = Σ 1 − log2(1 + e^(−2g·y_i/σ²))`, is a control
    /// variate: its mean and variance given g are L times the BI-AWGN ones, known to 1e-9, and it
    /// moves with the blind density sample by sample (the noise that helps or hurts one helps or
    /// hurts the other). With β the least-squares slope of ı on ı_c and e = ı − β·ı_c,
    /// `E[ı] = E[e] + β·L·C(r)` and `Var[ı] = Var[e] + β²·L·V(r)` (e is uncorrelated with ı_c):
    /// the Monte Carlo error is that of the residual e, whose variance is 8 to 600 times smaller
    /// than ı's (measured over L = 7 and 49 and runs from −10 to 6 dB; least in the deepest
    /// fades, where a run carries next to nothing either way).
    pub fn moments(&self, mean_esn0_db: f64, run_esn0_db: f64) -> (f64, f64) {
        let s = db_to_linear(mean_esn0_db);
        let sigma = (0.5 / s).sqrt();
        let gain = (db_to_linear(run_esn0_db) / s).sqrt();
        let mut y = vec![0.0; self.symbols];
        let vectors = self.noise.len() / self.symbols;
        let pairs: Vec<(f64, f64)> = self
            .noise
            .chunks_exact(self.symbols)
            .map(|noise| {
                for (yi, &ni) in y.iter_mut().zip(noise) {
                    *yi = gain + sigma * ni;
                }
                let coherent: f64 = y.iter().map(|&v| 1.0 - softplus(-2.0 * gain * v / (sigma * sigma)) / LN_2).sum();
                (information_density(&y, s), coherent)
            })
            .collect();
        let m = vectors as f64;
        let (mean_i, mean_c) = pairs.iter().fold((0.0, 0.0), |(a, b), &(i, c)| (a + i / m, b + c / m));
        let (cov, var_c) = pairs
            .iter()
            .fold((0.0, 0.0), |(a, b), &(i, c)| (a + (i - mean_i) * (c - mean_c), b + (c - mean_c).powi(2)));
        // With no spread in ı_c (a noiseless or signal-free run) there is nothing to regress on.
        let beta = if var_c > 1e-12 * m { cov / var_c } else { 0.0 };
        let residual = |&(i, c): &(f64, f64)| i - beta * c;
        let mean_e = pairs.iter().map(residual).sum::<f64>() / m;
        let var_e = pairs.iter().map(|p| (residual(p) - mean_e).powi(2)).sum::<f64>() / (m - 1.0);
        let (c, v) = info_density_moments(run_esn0_db);
        let l = self.symbols as f64;
        (mean_e + beta * l * c, var_e + beta * beta * l * v)
    }

    /// The moments at mean Es/N0 `mean_esn0_db` tabulated over the run's own Es/N0.
    pub fn table(&self, mean_esn0_db: f64) -> RunTable {
        let points = ((TABLE_HI_DB - TABLE_LO_DB) / TABLE_STEP_DB).round() as usize + 1;
        let at = |j: usize| self.moments(mean_esn0_db, TABLE_LO_DB + j as f64 * TABLE_STEP_DB);
        // The points are independent: spread them over the machine's threads.
        let values = parallel_map(points, at);
        RunTable { values }
    }
}

/// A run's (mean, variance) of the information density over its own Es/N0 at one mean Es/N0.
#[derive(Debug, Clone)]
pub struct RunTable {
    values: Vec<(f64, f64)>,
}

impl RunTable {
    /// (mean, variance) in bits at the run's own Es/N0 `run_esn0_db` (clamped to the table: noise
    /// alone below it, L noiseless bits above).
    pub fn moments(&self, run_esn0_db: f64) -> (f64, f64) {
        let x = ((run_esn0_db - TABLE_LO_DB) / TABLE_STEP_DB).clamp(0.0, (self.values.len() - 1) as f64);
        let i = (x.floor() as usize).min(self.values.len() - 2);
        let f = x - i as f64;
        let (a, b) = (self.values[i], self.values[i + 1]);
        (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fast_fading::WithoutCsi;
    use super::*;

    /// `log2 p(y|+1…+1)/p(y)` the long way: each of the 2^L inputs' density by a plain midpoint
    /// rule over the gain (g ≤ 8: e^−64 of the prior is beyond), then their mean.
    fn brute_force(y: &[f64], s: f64) -> f64 {
        let variance = 0.5 / s;
        let l = y.len();
        let given = |x: usize| {
            let (m, top) = (400_000, 8.0);
            let h = top / m as f64;
            (0..m)
                .map(|j| {
                    let g = (j as f64 + 0.5) * h;
                    let exponent: f64 = (0..l)
                        .map(|i| {
                            let sign = if x >> i & 1 == 0 { 1.0 } else { -1.0 };
                            -(y[i] - sign * g).powi(2) / (2.0 * variance)
                        })
                        .sum();
                    2.0 * g * (-g * g + exponent).exp() * h
                })
                .sum::<f64>()
        };
        let all: f64 = (0..1usize << l).map(given).sum::<f64>() / (1usize << l) as f64;
        (given(0) / all).log2()
    }

    #[test]
    fn the_density_meets_a_brute_force_sum_over_inputs_and_gains() {
        let cases: [(&[f64], f64); 5] = [
            (&[0.9, 1.3, -0.2], 2.0),
            (&[0.1, -0.05, 0.02], 0.5),
            (&[-1.1, -0.8, 0.6], 4.0),
            (&[2.0, 1.7, 2.4, 1.9], 10.0),
            (&[0.4], 1.0),
        ];
        for (y, s) in cases {
            let (fast, slow) = (information_density(y, s), brute_force(y, s));
            assert!((fast - slow).abs() < 1e-6, "{y:?} at {s}: {fast} against {slow}");
        }
    }

    /// One symbol: the fast-fading no-CSI channel's density, whose closed form has no integral;
    /// the quadrature meets it there.
    #[test]
    fn one_symbol_is_the_fast_fading_mixture_channel() {
        for esn0_db in [-5.0, 0.0, 7.0, 20.0] {
            let channel = WithoutCsi::new(esn0_db, 1.0);
            let s = db_to_linear(esn0_db);
            let a = 1.0 + s;
            for y in [-2.5, -0.3, 0.0, 0.01, 0.8, 3.0] {
                let c = 2.0 * s * y;
                let by_quadrature = (ln_h(c / (2.0 * a).sqrt()) - a.ln() - ln_output(&[c], a)) / LN_2;
                let (d, b) = (information_density(&[y], s), channel.info(y));
                assert!((d - b).abs() < 1e-12, "{esn0_db} dB, y = {y}: {d} against {b}");
                assert!((by_quadrature - b).abs() < 1e-6, "{esn0_db} dB, y = {y}: {by_quadrature} against {b}");
            }
        }
    }

    /// Long runs learn their gain: the mean density per symbol nears the BI-AWGN capacity at the
    /// run's Es/N0. Short runs pay more, and a run in a deep fade loses information.
    #[test]
    fn long_runs_approach_the_coherent_density_and_deep_fades_cost() {
        for run_db in [-2.0, 2.0, 6.0] {
            let (coherent, _) = info_density_moments(run_db);
            let per_symbol = |l: usize| NoncoherentRun::new(l).moments(4.0, run_db).0 / l as f64;
            let (short, long) = (per_symbol(4), per_symbol(400));
            eprintln!("run at {run_db} dB: L=4 {short:.4}, L=400 {long:.4}, coherent {coherent:.4}");
            assert!(short < long && (long / coherent - 1.0).abs() < 0.01, "{short} {long} {coherent}");
        }
        let (deep, _) = NoncoherentRun::new(8).moments(10.0, -30.0);
        assert!(deep < -0.5, "{deep}");
    }
}
