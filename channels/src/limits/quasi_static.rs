//! The finite-length limits on quasi-static Rayleigh fading: one gain per codeword (a whole
//! message), `g² ~ Exp(Ω)`, known to the receiver (perfect CSI) and not to the transmitter.
//!
//! Given its gain a codeword crosses BPSK over AWGN at Es/N0·g², so the best (n, k) code's error
//! probability is the AWGN one averaged over the fade: `ε(s) = E[ε_AWGN(n, k, s·g²)]`. Averaging
//! Shannon's 1959 sphere-packing bound keeps it a rigorous lower bound (it bounds every code at
//! every gain); averaging the normal approximation gives an estimate. As n grows both tend to the
//! outage probability `P(C_BI-AWGN(s·g²) < k/n) = 1 − exp(−γ*/(Ω·s))`, γ* the Es/N0 where the
//! BI-AWGN capacity reaches k/n ([`outage_probability`]; Ozarow, Shamai & Wyner, "Information
//! theoretic considerations for cellular mobile radio", IEEE Trans. Veh. Technol. 43(2), 1994).
//! The dispersion of quasi-static fading is zero, so outage is a sharp proxy already at short
//! lengths (Yang, Durisi, Koch & Polyanskiy, "Quasi-static multiple-antenna fading channels at
//! finite blocklength", IEEE Trans. IT 60(7), 2014). Every scheme's error rate then falls as 1/SNR
//! at high SNR (diversity 1), a factor 10 per 10 dB.
//!
//! The average is a sum over cells of the fade: the AWGN curve is evaluated once on a grid of
//! per-codeword Es/N0, [`CELLS`] cells from where it is 0.999 to where it is 1e-9, and each cell
//! of `s·g²` takes the curve's value at its upper end, the least over the cell (the curves fall
//! with Es/N0), so that the averaged sphere-packing bound stays a lower bound; below the grid the
//! curve's first value, above it 0. The cells are (the curve's waterfall width)/200 wide, a few
//! hundredths of a dB for the lengths here, so the averaged normal approximation is low by no
//! more than that.

use super::{biawgn_capacity_limit_esn0_db, min_esn0_db, solve_decreasing_within, Bound};
use crate::snr::db_to_linear;

/// Where the grid of a curve with a floor ends (dB per codeword).
const FLOOR_DB: f64 = 40.0;

/// Cells of the grid the AWGN curve is averaged over.
pub const CELLS: usize = 200;

/// One (n, k) bound, averaged over quasi-static Rayleigh fading of mean square gain Ω.
#[derive(Debug, Clone)]
pub struct QuasiStatic {
    mean_square_gain: f64,
    /// The grid's per-codeword Es/N0, linear, increasing.
    snr: Vec<f64>,
    /// The AWGN curve at each grid point.
    bler: Vec<f64>,
    /// The curve above the grid: 0, or its floor where it has one.
    above: f64,
}

impl QuasiStatic {
    /// `bound` for k bits in n BPSK symbols, averaged over fading of mean square gain
    /// `mean_square_gain` (Ω).
    pub fn new(bound: Bound, n: usize, k: usize, mean_square_gain: f64) -> Self {
        let lo = min_esn0_db(bound, n, k, 0.999);
        // Gallager's bound on a short code never reaches 1e-9 (its exponent is at most 1 − k/n
        // bits per symbol: random codes' floor, 3e-8 for (49, 24)): its grid ends at 40 dB, where
        // it has flattened, and the floor stands above it. Its cells are then wider (0.2 dB for
        // (49, 24)), and the averaged bound low by up to a cell.
        let hi = min_esn0_db(bound, n, k, 1e-9);
        let (hi, has_floor) = if hi.is_finite() { (hi, false) } else { (FLOOR_DB, true) };
        let (snr, bler): (Vec<f64>, Vec<f64>) = (0..=CELLS)
            .map(|i| {
                let db = lo + (hi - lo) * i as f64 / CELLS as f64;
                (db_to_linear(db), bound.bler(n, k, db))
            })
            .unzip();
        let above = if has_floor { bler[CELLS] } else { 0.0 };
        QuasiStatic { mean_square_gain, snr, bler, above }
    }

    /// The averaged error probability at mean Es/N0 `esn0_db`.
    pub fn bler(&self, esn0_db: f64) -> f64 {
        let mean = self.mean_square_gain * db_to_linear(esn0_db);
        // P(s·g² ≤ γ) for g² ~ Exp(Ω).
        let below = |gamma: f64| -(-gamma / mean).exp_m1();
        let mut sum = self.bler[0] * below(self.snr[0]);
        for i in 1..self.snr.len() {
            sum += self.bler[i] * (below(self.snr[i]) - below(self.snr[i - 1]));
        }
        sum += self.above * (1.0 - below(self.snr[CELLS]));
        sum.min(1.0)
    }

    /// The least mean Es/N0 (dB) at which the averaged error probability reaches `target`
    /// (bisection to 1e-6 dB over −60..100 dB).
    pub fn min_esn0_db(&self, target: f64) -> f64 {
        solve_decreasing_within(|x| self.bler(x), target, (-60.0, 100.0), 1e-6)
    }
}

/// The outage probability `1 − exp(−γ*/(Ω·s))` at mean Es/N0 `esn0_db`: the chance that the
/// codeword's gain leaves the BI-AWGN capacity below `rate`, the n → ∞ limit of both averaged
/// curves.
pub fn outage_probability(rate: f64, mean_square_gain: f64, esn0_db: f64) -> f64 {
    let threshold = db_to_linear(biawgn_capacity_limit_esn0_db(rate));
    -(-threshold / (mean_square_gain * db_to_linear(esn0_db))).exp_m1()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid's sum against a direct integral over the fade (the midpoint rule on 4,000 points
    /// in ln g²), for the cheap normal approximation.
    #[test]
    fn the_cell_sum_matches_a_direct_integral() {
        let (n, k) = (300, 150);
        let q = QuasiStatic::new(Bound::NormalApproximation, n, k, 1.0);
        for esn0 in [0.0, 10.0, 25.0] {
            let s = db_to_linear(esn0);
            // ∫ ε(s·x) e^(−x) dx with x = e^u: ∫ ε(s·e^u) e^(u − e^u) du over u ∈ [−30, 4].
            let (a, b, m) = (-30.0f64, 4.0f64, 4_000);
            let h = (b - a) / m as f64;
            let direct: f64 = (0..m)
                .map(|i| {
                    let u = a + (i as f64 + 0.5) * h;
                    let x = u.exp();
                    super::super::normal_approximation_bler(n, k, 10.0 * (s * x).log10()) * (u - x).exp() * h
                })
                .sum();
            let grid = q.bler(esn0);
            // Low by at most a cell's worth: the cells are (hi − lo)/200 wide.
            assert!(grid <= direct * 1.0001 && grid > direct * 0.99, "{esn0} dB: grid {grid}, direct {direct}");
        }
    }

    /// Long codes: both averages approach the outage probability, SP59 from below, and every one
    /// falls tenfold per 10 dB at high SNR.
    #[test]
    fn long_codes_approach_the_outage_probability() {
        let (n, k) = (4000, 2000);
        let sp = QuasiStatic::new(Bound::SpherePacking59, n, k, 1.0);
        let na = QuasiStatic::new(Bound::NormalApproximation, n, k, 1.0);
        for esn0 in [5.0, 15.0, 25.0] {
            let out = outage_probability(0.5, 1.0, esn0);
            let (s, a) = (sp.bler(esn0), na.bler(esn0));
            assert!(s <= a && s <= out * 1.0001, "{esn0} dB: SP59 {s}, NA {a}, outage {out}");
            // n = 4,000 at rate 1/2: the AWGN waterfall sits within 0.2 dB of capacity.
            assert!((s / out - 1.0).abs() < 0.06 && (a / out - 1.0).abs() < 0.06, "{esn0} dB: {s} {a} {out}");
        }
        let ratio = na.bler(30.0) / na.bler(40.0);
        assert!((ratio - 10.0).abs() < 0.1, "diversity 1: {ratio}");
        // The inverse: where the average reaches 0.1, γ* over −ln 0.9 (9.78 dB above γ*).
        let want = biawgn_capacity_limit_esn0_db(0.5) - 10.0 * (-(0.9f64.ln())).log10();
        assert!((na.min_esn0_db(0.1) - want).abs() < 0.25, "{} against {want}", na.min_esn0_db(0.1));
        // Ω = 2 is 3 dB of mean gain.
        let twice = QuasiStatic::new(Bound::NormalApproximation, n, k, 2.0);
        assert!((na.min_esn0_db(0.1) - twice.min_esn0_db(0.1) - 10.0 * 2f64.log10()).abs() < 1e-3);
    }

    /// Gallager's bound on (49, 24) never reaches 1e-9 on AWGN (its floor): averaged over the fade
    /// it still reaches 1e-2, right of the averaged normal approximation.
    #[test]
    fn a_bound_with_a_floor_is_averaged_too() {
        let gallager = QuasiStatic::new(Bound::Gallager, 49, 24, 1.0).min_esn0_db(1e-2);
        let na = QuasiStatic::new(Bound::NormalApproximation, 49, 24, 1.0).min_esn0_db(1e-2);
        eprintln!("(49, 24) quasi-static at 1e-2: Gallager {gallager:.3}, NA {na:.3}");
        assert!(gallager.is_finite() && gallager > na && gallager < na + 3.0, "{gallager} {na}");
    }
}
