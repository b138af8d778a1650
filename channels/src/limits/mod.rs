//! How well any code and any decoder could do: BI-AWGN capacity and finite-blocklength bounds.
//!
//! Channel: BPSK over real AWGN with the conventions of [`crate::snr`] (`x ∈ {±1}`, `Es = 1`,
//! `σ² = N0/2 = 1/(2·Es/N0)`). All functions take Es/N0 in dB; for a code of rate R = k/n carrying
//! one bit per BPSK symbol, `Eb/N0 = Es/N0 − 10·log10(R)` (see [`ebn0_db`]). Rates and
//! information are in bits.
//!
//! - **Capacity** of the binary-input AWGN channel (uniform input, which is optimal):
//!   `C = 1 − E[log2(1 + e^(−L))]` with the channel LLR `L = 2y/σ² ~ N(4·Es/N0, 8·Es/N0)` given
//!   `x = +1`; computed by Simpson's rule over the Gaussian (error < 1e-9). The unconstrained
//!   (Gaussian-input) capacity is `½·log2(1 + 2·Es/N0)` per real dimension ([`awgn_capacity`]).
//!   The Shannon limit is `Eb/N0 = ln 2` (−1.59 dB), the R → 0 limit of both.
//! - **Dispersion** `V = Var[ı(X;Y)]` of the information density `ı = 1 − log2(1 + e^(−L))`
//!   (Polyanskiy, Poor & Verdú, "Channel coding rate in the finite blocklength regime", IEEE
//!   Trans. IT 56(5), 2010, Thm. 49 and eq. (293) ff.; Durisi & Lancho, "Transmitting short packets
//!   over wireless channels", lecture notes, ch. 3.5, eq. for the bi-AWGN normal approximation).
//! - **Normal approximation** (PPV 2010, eq. (296) with the `½·log n` term that holds for the
//!   BI-AWGN channel): `k ≈ n·C − √(n·V)·Q⁻¹(ε) + ½·log2 n`, i.e.
//!   `ε ≈ Q((n·C − k + ½·log2 n) / √(n·V))`. Not a bound, but typically within a few tenths
//!   of a dB of the true optimum for n ≥ 100.
//! - **Sphere-packing bound (SP59)**, a rigorous converse: Shannon, "Probability of error for
//!   optimal codes in a Gaussian channel", Bell Syst. Tech. J. 38(3), 1959. Every code with 2^k
//!   codewords on the sphere of radius √(n·Es) — all binary codes with BPSK are — has block error
//!   probability at least `Q_n(θ)`, the probability that the noise carries the received point
//!   outside a cone of half-angle θ around the sent codeword, where the cone's solid angle is
//!   1/2^k of the whole sphere. Evaluated as in Valembois & Fossorier ("Sphere-packing bounds
//!   revisited for moderate block lengths", IEEE Trans. IT 50(12), 2004) by exact one-dimensional
//!   integrals: the cone fraction `∫₀^θ sin^(n−2) / ∫₀^π sin^(n−2)` in the log domain (so 2^−128
//!   is no problem), and `Q_n(θ) = Φ(−√n·A) + ∫ φ(t)·P[χ²_(n−1) > tan²θ·(√n·A + t)²] dt` with
//!   `A = √(2·Es/N0)`, the χ² tail from the regularized upper incomplete gamma function.
//! - **Gallager's random-coding bound**, a rigorous achievability bound: some (linear) code with
//!   2^k codewords has ML block error probability at most
//!   `min_{0≤ρ≤1} 2^(−n·(E0(ρ) − ρ·k/n))`, with `E0(ρ) = −log2 E[(½(1 + e^(−2A·y/(1+ρ))))^(1+ρ)]`,
//!   `y ~ N(A, 1)` (Gallager, "Information Theory and Reliable Communication", 1968, Thm. 5.6.2 and
//!   eq. (7.4.x) for continuous outputs; uniform i.i.d. inputs). Looser than the RCU bound of PPV
//!   2010 by a few tenths of a dB at these lengths, but exact to evaluate.
//!
//! [`min_esn0_db`] inverts any of these: the least Es/N0 at which the bound (or approximation)
//! reaches a target block error rate, used to draw bounds next to simulated curves.
//! [`quasi_static`] averages them over quasi-static Rayleigh fading (one gain per codeword);
//! [`fast_fading`] gives the normal approximation on fast Rayleigh fading (one gain per symbol),
//! [`block_fading`] on block fading (a gain per run of symbols), averaged over the runs' gains.
//! Three bounds are Monte Carlo means over the information density, on one importance-sampled draw
//! (`density_draws`): [`metaconverse`] (a converse on AWGN, tighter than SP59),
//! [`random_coding_union`] (RCUs, achievable with CSI; never looser than Gallager's) and
//! [`dependence_testing`] (DT, achievable on every channel here).

pub mod block_fading;
mod density_draws;
pub mod dependence_testing;
pub mod fast_fading;
pub mod metaconverse;
pub mod noncoherent_run;
pub mod quasi_static;
pub mod random_coding_union;

pub use density_draws::Gains;

use crate::snr::db_to_linear;
use crate::theory::q_function;
use std::f64::consts::{LN_2, PI};

/// Eb/N0 = ln 2, i.e. −1.5917 dB: no code of any rate works below it (AWGN, any input).
pub fn shannon_limit_ebn0_db() -> f64 {
    10.0 * LN_2.log10()
}

/// Eb/N0 (dB) of a link with `k` information bits in `n` BPSK symbols at `esn0_db`.
pub fn ebn0_db(esn0_db: f64, n: usize, k: usize) -> f64 {
    esn0_db - 10.0 * (k as f64 / n as f64).log10()
}

/// Composite Simpson's rule on `[a, b]` with `intervals` (made even) sub-intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, intervals: usize) -> f64 {
    let m = intervals + intervals % 2;
    let h = (b - a) / m as f64;
    let mut s = f(a) + f(b);
    for i in 1..m {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

fn std_normal_pdf(t: f64) -> f64 {
    (-0.5 * t * t).exp() / (2.0 * PI).sqrt()
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// BI-AWGN's information density in bits of the sent symbol given its channel LLR towards it:
/// `1 − log2(1 + e^(−Λ))`.
fn biawgn_bits(llr: f64) -> f64 {
    1.0 - softplus(-llr) / LN_2
}

/// `f(0), …, f(count − 1)`, the indices spread over the machine's threads.
fn parallel_map<T: Send>(count: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(count.max(1));
    let chunk = count.div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|first| scope.spawn(move || (first..(first + chunk).min(count)).map(f).collect::<Vec<T>>()))
            .collect();
        parts.into_iter().flat_map(|p| p.join().expect("a worker thread")).collect()
    })
}

/// Mean and variance of the information density `ı = 1 − log2(1 + e^(−L))` (bits) given x = +1.
fn info_density_moments(esn0_db: f64) -> (f64, f64) {
    let g = db_to_linear(esn0_db);
    let (mu, sd) = (4.0 * g, (8.0 * g).sqrt());
    let i = |t: f64| 1.0 - softplus(-(mu + sd * t)) / LN_2;
    let m1 = simpson(|t| std_normal_pdf(t) * i(t), -12.0, 12.0, 4000);
    let m2 = simpson(|t| std_normal_pdf(t) * (i(t) - m1).powi(2), -12.0, 12.0, 4000);
    (m1, m2)
}

/// Capacity of the BPSK-input AWGN channel in bits per channel use at `esn0_db`.
pub fn biawgn_capacity(esn0_db: f64) -> f64 {
    info_density_moments(esn0_db).0
}

/// Channel dispersion of the BPSK-input AWGN channel in bits² per channel use.
pub fn biawgn_dispersion(esn0_db: f64) -> f64 {
    info_density_moments(esn0_db).1
}

/// Gaussian-input AWGN capacity per real dimension, `½·log2(1 + 2·Es/N0)` bits.
pub fn awgn_capacity(esn0_db: f64) -> f64 {
    0.5 * (1.0 + 2.0 * db_to_linear(esn0_db)).log2()
}

/// Bisection for the Es/N0 (dB) where the decreasing `f` crosses `target`, searched in
/// [−60, 40] dB; returns +inf if even 40 dB is not enough, −60 if −60 dB already is.
fn solve_decreasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    solve_decreasing_within(f, target, (-60.0, 40.0), 1e-6)
}

/// Where the decreasing `f` reaches `target` within `range` (to `tol`): infinity if it does not
/// by the top, the bottom if it already has.
fn solve_decreasing_within(f: impl Fn(f64) -> f64, target: f64, (lo, hi): (f64, f64), tol: f64) -> f64 {
    if f(hi) > target {
        return f64::INFINITY;
    }
    if f(lo) <= target {
        return lo;
    }
    bisect(lo, hi, tol, |x| f(x) > target)
}

/// Where the decreasing, smooth and costly `f` reaches `target` within `range`: the bracket
/// `guess` is widened by `step` at a time until it holds the crossing, then narrowed by
/// [`regula_falsi_log`]. Infinite if `f` is still above `target` at the top of `range`; the bottom
/// if it is already at or below it there.
pub(super) fn solve_costly_decreasing(
    f: impl Fn(f64) -> f64,
    target: f64,
    (mut lo, mut hi): (f64, f64),
    step: f64,
    (bottom, top): (f64, f64),
    tol: f64,
) -> f64 {
    let (mut f_lo, mut f_hi) = (f(lo), f(hi));
    while f_lo <= target {
        if lo <= bottom {
            return lo;
        }
        (hi, f_hi, lo) = (lo, f_lo, (lo - step).max(bottom));
        f_lo = f(lo);
    }
    while f_hi > target {
        if hi >= top {
            return f64::INFINITY;
        }
        (lo, f_lo, hi) = (hi, f_hi, (hi + step).min(top));
        f_hi = f(hi);
    }
    regula_falsi_log(f, target, (lo, f_lo), (hi, f_hi), tol)
}

/// Where the decreasing, smooth `f` reaches `target` between `lo` (where it is above) and `hi`
/// (where it is not), each with its value: the Illinois variant of regula falsi on `ln f`, which
/// is nearly linear in dB there, until the bracket is narrower than `tol` (at most 60 steps).
/// For an `f` costly to evaluate: a handful of steps where bisection would take a dozen.
fn regula_falsi_log(
    f: impl Fn(f64) -> f64,
    target: f64,
    (mut lo, f_lo): (f64, f64),
    (mut hi, f_hi): (f64, f64),
    tol: f64,
) -> f64 {
    let distance = |v: f64| v.max(1e-300).ln() - target.ln();
    let (mut d_lo, mut d_hi) = (distance(f_lo), distance(f_hi));
    // Which end moved last: the other end's distance is halved when one end keeps moving.
    let mut last = 0i8;
    for _ in 0..60 {
        if hi - lo < tol {
            break;
        }
        // The secant's root, kept inside the bracket's middle 98 %.
        let t = (d_lo / (d_lo - d_hi)).clamp(0.01, 0.99);
        let x = lo + t * (hi - lo);
        let d = distance(f(x));
        if d.abs() < 1e-3 {
            return x;
        }
        if d > 0.0 {
            (lo, d_lo) = (x, d);
            if last == 1 {
                d_hi *= 0.5;
            }
            last = 1;
        } else {
            (hi, d_hi) = (x, d);
            if last == -1 {
                d_lo *= 0.5;
            }
            last = -1;
        }
    }
    0.5 * (lo + hi)
}

/// Bisection on `[lo, hi]` for the point where `go_right` turns from true to false, to width `tol`.
fn bisect(mut lo: f64, mut hi: f64, tol: f64, go_right: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if go_right(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < tol {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Least Es/N0 (dB) at which the BI-AWGN capacity reaches `rate` bits per channel use
/// (0 < rate < 1); add `−10·log10(rate)` for Eb/N0. Infinite for rate ≥ 1.
pub fn biawgn_capacity_limit_esn0_db(rate: f64) -> f64 {
    if rate >= 1.0 {
        return f64::INFINITY;
    }
    solve_decreasing(|s| -biawgn_capacity(s), -rate)
}

/// Least Es/N0 (dB) at which the unconstrained AWGN capacity reaches `rate` bits per dimension.
pub fn awgn_capacity_limit_esn0_db(rate: f64) -> f64 {
    10.0 * (((2f64).powf(2.0 * rate) - 1.0) / 2.0).log10()
}

/// Which finite-blocklength curve to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// PPV normal approximation with the ½·log2 n term (an estimate, not a bound).
    NormalApproximation,
    /// Shannon's 1959 sphere-packing bound: no code does better (a lower bound on BLER).
    SpherePacking59,
    /// Gallager's random-coding bound: some code does at least this well (an upper bound on the
    /// best code's ML BLER).
    Gallager,
}

impl Bound {
    pub const ALL: [Bound; 3] = [Bound::SpherePacking59, Bound::NormalApproximation, Bound::Gallager];

    pub fn name(&self) -> &'static str {
        match self {
            Bound::NormalApproximation => "normal approximation",
            Bound::SpherePacking59 => "sphere packing (SP59)",
            Bound::Gallager => "Gallager random coding",
        }
    }

    /// Block error probability of the best (n, k) code at `esn0_db` as this bound states it.
    pub fn bler(&self, n: usize, k: usize, esn0_db: f64) -> f64 {
        match self {
            Bound::NormalApproximation => normal_approximation_bler(n, k, esn0_db),
            Bound::SpherePacking59 => sphere_packing_bler(n, k, esn0_db),
            Bound::Gallager => gallager_bler(n, k, esn0_db),
        }
    }
}

/// Least Es/N0 (dB) at which `bound` gives block error rate `target_bler` for k bits in n BPSK
/// symbols (bisection to 1e-6 dB). Use [`ebn0_db`] for the Eb/N0 axis.
pub fn min_esn0_db(bound: Bound, n: usize, k: usize, target_bler: f64) -> f64 {
    solve_decreasing(|s| bound.bler(n, k, s), target_bler)
}

/// PPV normal approximation `Q((n·C − k + ½·log2 n) / √(n·V))`.
pub fn normal_approximation_bler(n: usize, k: usize, esn0_db: f64) -> f64 {
    let (c, v) = info_density_moments(esn0_db);
    normal_approximation(n, k, c, v)
}

/// `Q((n·C − k + ½·log2 n) / √(n·V))` for a channel of capacity `c` and dispersion `v` (bits).
fn normal_approximation(n: usize, k: usize, c: f64, v: f64) -> f64 {
    let nf = n as f64;
    let num = nf * c - k as f64 + 0.5 * nf.log2();
    if v <= 0.0 {
        return if num > 0.0 { 0.0 } else { 1.0 };
    }
    q_function(num / (nf * v).sqrt())
}

/// `ln Γ(x)`.
fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Regularized upper incomplete gamma `Q(a, x) = Γ(a, x) / Γ(a)` (series for x < a + 1, Lentz
/// continued fraction otherwise; Numerical Recipes §6.2). Accurate in relative terms in the
/// upper tail, which is where the sphere-packing bound needs it.
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..100_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * front).max(0.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        front * h
    }
}

/// `ln` of the fraction of the unit sphere in R^n inside a cone of half-angle θ ≤ π/2:
/// `ln ∫₀^θ sin^(n−2)φ dφ − ln ∫₀^π sin^(n−2)φ dφ`, the latter `√π·Γ((n−1)/2)/Γ(n/2)`.
fn ln_cone_fraction(n: usize, theta: f64) -> f64 {
    let e = n as f64 - 2.0;
    let ln_total = 0.5 * PI.ln() + ln_gamma((n as f64 - 1.0) / 2.0) - ln_gamma(n as f64 / 2.0);
    if e <= 0.0 {
        return (theta / PI).ln();
    }
    let ln_sin_t = theta.sin().ln();
    // The integrand sin^e φ / sin^e θ decays like exp(−e·cot θ·(θ − φ)) below θ: integrate over
    // the last 60 e-folds only (or all of [0, θ]).
    let width = (60.0 / (e / theta.tan()).max(1e-12)).min(theta);
    let part =
        simpson(|p| if p <= 0.0 { 0.0 } else { (e * (p.sin().ln() - ln_sin_t)).exp() }, theta - width, theta, 4000);
    e * ln_sin_t + part.ln() - ln_total
}

/// Half-angle θ ∈ (0, π/2] of the cone holding 1/2^k of the sphere in R^n.
fn sp59_theta(n: usize, k: usize) -> f64 {
    let target = -(k as f64) * LN_2;
    bisect(1e-12, PI / 2.0, 1e-15, |theta| ln_cone_fraction(n, theta) < target)
}

/// Shannon's 1959 sphere-packing lower bound on the block error probability of any code with
/// 2^k equal-energy codewords in n real dimensions (hence of any binary code with BPSK).
pub fn sphere_packing_bler(n: usize, k: usize, esn0_db: f64) -> f64 {
    if n < 2 || k == 0 {
        return 0.0;
    }
    let theta = sp59_theta(n, k);
    let tan2 = theta.tan().powi(2);
    let s = (n as f64).sqrt() * (2.0 * db_to_linear(esn0_db)).sqrt();
    let half_dof = (n as f64 - 1.0) / 2.0;
    let lo = (-s).max(-12.0);
    let inside = simpson(|t| std_normal_pdf(t) * gamma_q(half_dof, 0.5 * tan2 * (s + t).powi(2)), lo, 12.0, 6000);
    (q_function(s) + inside).min(1.0)
}

/// Gallager's E0(ρ) in bits for the BPSK-input AWGN channel with uniform inputs.
fn gallager_e0(rho: f64, esn0_db: f64) -> f64 {
    let a = (2.0 * db_to_linear(esn0_db)).sqrt();
    // E over y = a + t, t ~ N(0,1), of exp((1+ρ)·(softplus(−2a·y/(1+ρ)) − ln 2)); the integrand
    // peaks near t = −2a for large a, so integrate down to −2a − 14.
    let g = |t: f64| {
        let y = a + t;
        (-0.5 * t * t + (1.0 + rho) * (softplus(-2.0 * a * y / (1.0 + rho)) - LN_2)).exp() / (2.0 * PI).sqrt()
    };
    -simpson(g, -2.0 * a - 14.0, 14.0, 6000).log2()
}

/// Gallager's random-coding upper bound `min_ρ 2^(−n(E0(ρ) − ρ·k/n))` on the ML block error
/// probability of the best (n, k) code (golden-section search over ρ ∈ [0, 1]; the exponent is
/// concave in ρ).
pub fn gallager_bler(n: usize, k: usize, esn0_db: f64) -> f64 {
    let r = k as f64 / n as f64;
    let exponent = |rho: f64| gallager_e0(rho, esn0_db) - rho * r;
    let (mut a, mut b) = (0.0f64, 1.0f64);
    let gr = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - gr * (b - a), a + gr * (b - a));
    let (mut fc, mut fd) = (exponent(c), exponent(d));
    for _ in 0..60 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - gr * (b - a);
            fc = exponent(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + gr * (b - a);
            fd = exponent(d);
        }
    }
    let best = exponent(1.0).max(fc.max(fd)).max(0.0);
    2f64.powf(-(n as f64) * best).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shannon_limit_is_ln2() {
        assert!((shannon_limit_ebn0_db() - (-1.5917)).abs() < 1e-4);
        // BI-AWGN capacity limit approaches the Shannon limit as R → 0.
        let r = 1e-3;
        let eb = biawgn_capacity_limit_esn0_db(r) - 10.0 * r.log10();
        assert!((eb - shannon_limit_ebn0_db()).abs() < 0.01, "{eb}");
    }

    #[test]
    fn capacity_limits() {
        // BI-AWGN at rate 1/2: Eb/N0 = 0.187 dB; Gaussian input at rate 1/2: 0 dB.
        let eb_half = biawgn_capacity_limit_esn0_db(0.5) + 10.0 * 2f64.log10();
        assert!((eb_half - 0.187).abs() < 0.002, "{eb_half}");
        assert!((awgn_capacity_limit_esn0_db(0.5) + 10.0 * 2f64.log10()).abs() < 1e-12);
        // Capacity is below both 1 bit and the Gaussian-input capacity, and tends to 1.
        for s in [-10.0, -3.0, 0.0, 3.0, 10.0] {
            let c = biawgn_capacity(s);
            assert!(c > 0.0 && c < 1.0 && c < awgn_capacity(s) + 1e-12, "{s} dB: {c}");
        }
        assert!(biawgn_capacity(15.0) > 1.0 - 1e-9);
    }

    #[test]
    fn dispersion_limits() {
        // Low SNR: the information density is ≈ √ρ·x·y − ρ/2 in nats with ρ = 2·Es/N0, so V ≈ ρ
        // nats² (the Gaussian-input dispersion ρ(ρ+2)/(2(ρ+1)²) has the same limit).
        let s = -20.0;
        let rho = 2.0 * db_to_linear(s);
        let v_nats = biawgn_dispersion(s) * LN_2 * LN_2;
        assert!((v_nats / rho - 1.0).abs() < 0.03, "{v_nats} vs {rho}");
        // High SNR: no uncertainty left.
        assert!(biawgn_dispersion(15.0) < 1e-8);
    }

    #[test]
    fn gamma_q_textbook_values() {
        // Q(1, x) = e^−x; Q(½, x) = erfc(√x); χ²_2 tail at 10 = e^−5.
        assert!((gamma_q(1.0, 3.0) - (-3.0f64).exp()).abs() < 1e-14);
        assert!((gamma_q(0.5, 0.3) - libm::erfc(0.3f64.sqrt())).abs() < 1e-13);
        let x = 60.0;
        assert!((gamma_q(0.5, x) / libm::erfc(x.sqrt()) - 1.0).abs() < 1e-10);
    }

    #[test]
    fn cone_fraction_small_cases() {
        // n = 3: fraction of the sphere within θ of a pole is (1 − cos θ)/2.
        for th in [0.1, 0.7, 1.5] {
            let f = ln_cone_fraction(3, th).exp();
            assert!((f - (1.0 - f64::cos(th)) / 2.0).abs() < 1e-9, "{th}: {f}");
        }
        // Half the sphere at θ = π/2 for any n.
        for n in [4, 49, 284] {
            assert!((ln_cone_fraction(n, PI / 2.0) - 0.5f64.ln()).abs() < 1e-9, "{n}");
        }
    }

    #[test]
    fn bounds_are_ordered() {
        // SP59 ≤ NA ≤ Gallager at block error rates of interest, for the three lengths we use.
        for (n, k) in [(49, 24), (128, 64), (284, 128)] {
            for target in [1e-2, 1e-4] {
                let sp = min_esn0_db(Bound::SpherePacking59, n, k, target);
                let na = min_esn0_db(Bound::NormalApproximation, n, k, target);
                let ga = min_esn0_db(Bound::Gallager, n, k, target);
                let cap = biawgn_capacity_limit_esn0_db(k as f64 / n as f64);
                assert!(cap < sp && sp < na && na < ga, "({n},{k}) at {target}: cap {cap} sp {sp} na {na} ga {ga}");
            }
        }
    }

    #[test]
    fn sphere_packing_matches_shannons_asymptotic_formula() {
        // Shannon (1959) gives an asymptotic expression for SP59 that becomes exact as n grows.
        // Its values for R = 1/2 at block error rate 1e-5, as evaluated in the public notebook
        // `Lcrypto/Shannon-and-Polyanskiy-bound/Sphere_Packaging_Bound.ipynb` (stored output):
        // Eb/N0 = 3.297546 dB at n = 100, 1.271164 at n = 1000, 0.435089 at n = 10000. Our exact
        // evaluation must approach it, with a gap shrinking in n.
        let mut last_gap = f64::INFINITY;
        for (n, published, tol) in [(100, 3.297546, 0.03), (1000, 1.271164, 0.006), (10000, 0.435089, 0.002)] {
            let got = ebn0_db(min_esn0_db(Bound::SpherePacking59, n, n / 2, 1e-5), n, n / 2);
            let gap = (got - published).abs();
            assert!(gap < tol, "n = {n}: SP59 {got:.4} dB vs asymptotic {published}");
            assert!(gap < last_gap, "n = {n}: gap {gap} should shrink");
            last_gap = gap;
        }
    }
}
