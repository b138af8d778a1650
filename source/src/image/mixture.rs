//! The image LM's output distribution: a mixture of discretised logistics over the 256 levels of
//! a subpixel (PixelCNN++, Salimans et al. 2017, §2.1), and its integer frequency table.
//!
//! The network's `3K` outputs `o` for a subpixel whose MED prediction is `base` define, for each
//! component `k < K`: mean `μ_k = base + MEAN_SCALE · o[k]`, log-scale
//! `ln s_k = max(o[K + k], MIN_LN_SCALE)`, weight `π_k = softmax(o[2K..3K])_k`. Level `v` has
//! probability `Σ_k π_k (σ((v + ½ − μ_k)/s_k) − σ((v − ½ − μ_k)/s_k))`, with the outer edges at
//! ∓∞ so the 256 levels take all the mass. Training (`neural::image_lm`) minimises exactly this
//! negative log-likelihood.
//!
//! **Frequency table.** From the mixture CDF `F` at the 255 inner edges, computed in `f64` in a
//! fixed order (same code on both sides, so bit-identical tables):
//! `cum(v) = v + ⌊F(v − ½) · (T − 256)⌋` for `v = 1..255`, `cum(0) = 0`, `cum(256) = T`
//! (`T = 2^24`), made strictly increasing by `cum(v) ← max(cum(v), cum(v−1) + 1)`. Every level
//! thus gets at least one count (a corrupted stream still decodes to *some* level) and the cost of
//! that floor is at most 256/2^24 of the mass. Components whose logistic is saturated at an edge
//! (`|x| > 18`, where `σ` is within 1.5·10⁻⁸ of 0 or 1) are taken as 0 or 1 without an `exp`.

use crate::quantize::{FrequencyTable, LM_TOTAL_BUDGET};

/// Mixture components.
pub const COMPONENTS: usize = 5;
/// Network outputs per subpixel.
pub const OUTPUTS: usize = 3 * COMPONENTS;
/// A mean output of 1 moves the mean this many levels from the MED prediction.
pub const MEAN_SCALE: f32 = 32.0;
/// Smallest log-scale (a scale of e^−3 ≈ 0.05 levels: effectively one level).
pub const MIN_LN_SCALE: f32 = -3.0;
/// Subpixel levels.
pub const LEVELS: usize = 256;

/// Beyond `|x| > SATURATED` the logistic is taken as exactly 0 or 1 (`σ(−18) ≈ 1.5·10⁻⁸`, under a
/// quarter of one count of the 2^24 total).
const SATURATED: f64 = 18.0;

/// `σ(x)`, saturated beyond ±[`SATURATED`]; the exponential in f32 (the table needs ~2^-24
/// absolute precision, which f32 gives, at half the cost).
#[inline]
fn logistic(x: f64) -> f64 {
    if x > SATURATED {
        1.0
    } else if x < -SATURATED {
        0.0
    } else {
        1.0 / (1.0 + (-x as f32).exp() as f64)
    }
}

/// The mixture of one subpixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mixture {
    pub weight: [f64; COMPONENTS],
    pub mean: [f64; COMPONENTS],
    pub inv_scale: [f64; COMPONENTS],
}

impl Mixture {
    /// The mixture the network outputs `o` define around `base` (see the module docs).
    pub fn from_outputs(o: &[f32; OUTPUTS], base: i32) -> Self {
        let mut weight = [0f64; COMPONENTS];
        let mut mean = [0f64; COMPONENTS];
        let mut inv_scale = [0f64; COMPONENTS];
        let logits = &o[2 * COMPONENTS..];
        let top = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let top = if top.is_finite() { top as f64 } else { 0.0 };
        let mut sum = 0f64;
        for k in 0..COMPONENTS {
            let l = logits[k] as f64;
            weight[k] = if l.is_finite() { (l - top).exp() } else { 0.0 };
            sum += weight[k];
            let m = base as f64 + MEAN_SCALE as f64 * o[k] as f64;
            mean[k] = if m.is_finite() { m } else { base as f64 };
            let ln_s = (o[COMPONENTS + k].max(MIN_LN_SCALE) as f64).min(20.0);
            inv_scale[k] = if ln_s.is_finite() { (-ln_s).exp() } else { 1.0 };
        }
        if !(sum > 0.0 && sum.is_finite()) {
            weight = [1.0 / COMPONENTS as f64; COMPONENTS];
        } else {
            for w in &mut weight {
                *w /= sum;
            }
        }
        Self { weight, mean, inv_scale }
    }

    /// The mixture CDF at `edge`.
    #[inline]
    pub fn cdf(&self, edge: f64) -> f64 {
        let mut f = 0f64;
        for k in 0..COMPONENTS {
            f += self.weight[k] * logistic((edge - self.mean[k]) * self.inv_scale[k]);
        }
        f
    }

    /// Cumulative counts `cum(0..=256)` of the frequency table (see the module docs).
    pub fn cumulative(&self) -> [u32; LEVELS + 1] {
        // F at the inner edges v − ½, v = 1..255, summed over the components in index order (the
        // same order as `cdf`, so the values are equal); a component only costs an `exp` on the
        // edges where it is not saturated.
        let mut f = [0f64; LEVELS];
        for k in 0..COMPONENTS {
            let (w, mean, inv) = (self.weight[k], self.mean[k], self.inv_scale[k]);
            let reach = SATURATED / inv;
            let first = ((mean - reach + 0.5).floor().max(1.0) as usize).min(LEVELS);
            let last = ((mean + reach + 0.5).ceil().max(0.0) as usize).min(LEVELS - 1);
            for (v, slot) in f.iter_mut().enumerate().skip(1) {
                if v > last {
                    *slot += w;
                } else if v >= first {
                    *slot += w * logistic((v as f64 - 0.5 - mean) * inv);
                }
            }
        }
        let spread = (LM_TOTAL_BUDGET - LEVELS as u32) as f64;
        let mut cum = [0u32; LEVELS + 1];
        for v in 1..LEVELS {
            let c = v as u32 + (f[v].clamp(0.0, 1.0) * spread) as u32;
            cum[v] = c.max(cum[v - 1] + 1);
        }
        cum[LEVELS] = LM_TOTAL_BUDGET;
        cum
    }

    /// The frequency table of the subpixel.
    pub fn table(&self) -> FrequencyTable {
        FrequencyTable::from_cumulative(self.cumulative().to_vec()).expect("cumulative counts are strictly increasing")
    }

    /// `(cum_low, freq)` of level `v` in [`Self::table`] (what the encoder needs).
    pub fn interval(&self, v: u8) -> (u32, u32) {
        let cum = self.cumulative();
        (cum[v as usize], cum[v as usize + 1] - cum[v as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(mean: f32, ln_scale: f32) -> [f32; OUTPUTS] {
        let mut o = [0f32; OUTPUTS];
        for k in 0..COMPONENTS {
            o[k] = mean + 0.01 * k as f32;
            o[COMPONENTS + k] = ln_scale;
            o[2 * COMPONENTS + k] = -(k as f32);
        }
        o
    }

    #[test]
    fn table_is_valid_and_follows_the_mixture() {
        for (mean, ln_s, base) in [(0.0, 1.0, 100), (0.3, -3.0, 0), (-5.0, 4.0, 255), (50.0, -3.0, 3), (0.0, 30.0, 7)] {
            let m = Mixture::from_outputs(&outputs(mean, ln_s), base);
            let table = m.table();
            assert_eq!(table.len(), LEVELS);
            assert_eq!(table.total(), LM_TOTAL_BUDGET);
            let total: f64 = (0..LEVELS).map(|v| table.probability(v)).sum();
            assert!((total - 1.0).abs() < 1e-9);
            // Each level's quantised probability is the mixture's, up to the floor of one count.
            for v in 0..LEVELS {
                let lo = if v == 0 { 0.0 } else { m.cdf(v as f64 - 0.5) };
                let hi = if v == LEVELS - 1 { 1.0 } else { m.cdf(v as f64 + 0.5) };
                let p = table.probability(v);
                assert!(
                    (p - (hi - lo)).abs() < 1e-5 + 2.0 * LEVELS as f64 / LM_TOTAL_BUDGET as f64,
                    "v {v}: {p} vs {}",
                    hi - lo
                );
            }
        }
    }

    #[test]
    fn broken_outputs_still_give_a_valid_table() {
        let mut o = [f32::NAN; OUTPUTS];
        o[0] = f32::INFINITY;
        let t = Mixture::from_outputs(&o, 17).table();
        assert_eq!(t.len(), LEVELS);
        assert!((0..LEVELS).all(|v| t.probability(v) > 0.0));
    }
}
