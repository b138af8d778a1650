//! Deterministic quantisation of model scores (logits) into integer symbol frequencies.
//!
//! Arithmetic decoding is only correct if the decoder sees *bit-identical* frequencies to the
//! encoder. Floating-point softmax results depend on summation order, so both sides call this
//! one function, which runs strictly sequential `f64` arithmetic in index order (no SIMD
//! reductions, no threads): the same logits on the same build give the same table.
//!
//! Rule: `p_i = softmax(logits)_i` (max-subtracted, `f64`), then
//! `freq_i = 1 + floor(p_i * (total_budget - n))`. Every symbol gets at least 1 (so any text is
//! codable, and a corrupted stream can still decode to some symbol), and the sum is at most
//! `total_budget` by construction (the floors only lose mass). With `total_budget = 2^24` and
//! SmolLM2's 49,152-token vocabulary the floor of 1 costs under 0.3 % of the probability mass.
//! Non-finite logits (NaN, ±inf from a broken model) are treated as the smallest finite logit,
//! so the table is always valid.

use crate::arithmetic::MAX_TOTAL;

/// Frequency total used for language-model tables (the coder's maximum, 2^24).
pub const LM_TOTAL_BUDGET: u32 = MAX_TOTAL;

/// A frequency table ready for arithmetic coding: `cumulative[s]..cumulative[s+1]` is symbol `s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrequencyTable {
    cumulative: Vec<u32>,
}

impl FrequencyTable {
    /// Build from per-symbol frequencies (each must be >= 1; sum <= 2^24).
    pub fn from_frequencies(freqs: &[u32]) -> Option<Self> {
        if freqs.is_empty() || freqs.contains(&0) {
            return None;
        }
        let sum: u64 = freqs.iter().map(|&f| f as u64).sum();
        if sum > MAX_TOTAL as u64 {
            return None;
        }
        Some(Self { cumulative: crate::arithmetic::cumulative_from_frequencies(freqs) })
    }

    /// Build from cumulative counts `c[0] = 0 < c[1] < … < c[n] <= 2^24` (symbol `s` is
    /// `c[s]..c[s+1]`).
    pub fn from_cumulative(cumulative: Vec<u32>) -> Option<Self> {
        if cumulative.len() < 2 || cumulative[0] != 0 || cumulative[cumulative.len() - 1] > MAX_TOTAL {
            return None;
        }
        if cumulative.windows(2).any(|w| w[1] <= w[0]) {
            return None;
        }
        Some(Self { cumulative })
    }

    pub fn len(&self) -> usize {
        self.cumulative.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn total(&self) -> u32 {
        *self.cumulative.last().expect("table is never empty")
    }

    /// `(cum_low, freq)` of a symbol, or `None` if out of range.
    pub fn interval(&self, symbol: usize) -> Option<(u32, u32)> {
        if symbol >= self.len() {
            return None;
        }
        let lo = self.cumulative[symbol];
        Some((lo, self.cumulative[symbol + 1] - lo))
    }

    /// ln(frequency / total) of `symbol` (−∞ for a symbol outside the table).
    pub fn ln_probability(&self, symbol: usize) -> f64 {
        match self.interval(symbol) {
            Some((_, f)) if f > 0 => (f as f64 / self.total() as f64).ln(),
            _ => f64::NEG_INFINITY,
        }
    }

    pub fn cumulative(&self) -> &[u32] {
        &self.cumulative
    }

    /// Probability the table assigns to `symbol`.
    pub fn probability(&self, symbol: usize) -> f64 {
        self.interval(symbol).map_or(0.0, |(_, f)| f as f64 / self.total() as f64)
    }
}

/// Quantise logits to a frequency table with the given budget (see module docs).
///
/// `total_budget` must exceed `logits.len()`; it is clamped into `[n + 1, 2^24]`.
pub fn frequencies_from_logits(logits: &[f32], total_budget: u32) -> FrequencyTable {
    let n = logits.len().max(1);
    let budget = (total_budget as u64).clamp(n as u64 + 1, MAX_TOTAL as u64);
    if logits.is_empty() {
        return FrequencyTable { cumulative: vec![0, 1] };
    }
    let finite_min = logits.iter().copied().filter(|x| x.is_finite()).fold(f32::INFINITY, f32::min);
    let finite_min = if finite_min.is_finite() { finite_min } else { 0.0 };
    let clean = |x: f32| if x.is_finite() { x as f64 } else { finite_min as f64 };
    let mut max = f64::NEG_INFINITY;
    for &x in logits {
        max = max.max(clean(x));
    }
    // Each exponential is computed once and kept (half the work of recomputing it; same values).
    let exps: Vec<f64> = logits.iter().map(|&x| (clean(x) - max).exp()).collect();
    let mut sum = 0.0f64;
    for &e in &exps {
        sum += e;
    }
    let spread = (budget - n as u64) as f64;
    let mut cumulative = Vec::with_capacity(n + 1);
    let mut acc: u64 = 0;
    cumulative.push(0u32);
    for &e in &exps {
        let p = e / sum;
        // p <= 1 so the floor is <= spread; the sum of floors is <= spread.
        let f = 1 + (p * spread).floor().min(spread) as u64;
        acc += f;
        cumulative.push(acc.min(MAX_TOTAL as u64) as u32);
    }
    FrequencyTable { cumulative }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_positive_and_total_within_budget() {
        let logits: Vec<f32> = (0..49_152).map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 10.0).collect();
        let t = frequencies_from_logits(&logits, LM_TOTAL_BUDGET);
        assert_eq!(t.len(), 49_152);
        assert!(t.total() <= LM_TOTAL_BUDGET);
        assert!((0..t.len()).all(|s| t.interval(s).unwrap().1 >= 1));
        // Floors lose at most one unit per symbol.
        assert!(t.total() as u64 >= LM_TOTAL_BUDGET as u64 - 49_152);
    }

    #[test]
    fn matches_softmax_for_known_logits() {
        // logits ln(1), ln(2), ln(5) -> p = 0.125, 0.25, 0.625 exactly.
        let logits = [0.0f32, 2f32.ln(), 5f32.ln()];
        let t = frequencies_from_logits(&logits, 1003);
        // spread 1000 -> floors 124/125, 250, 625 (+1 each); allow f32 ln rounding of +-1.
        let f: Vec<u32> = (0..3).map(|s| t.interval(s).unwrap().1).collect();
        assert!(
            (f[0] as i64 - 126).abs() <= 1 && (f[1] as i64 - 251).abs() <= 1 && (f[2] as i64 - 626).abs() <= 1,
            "{f:?}"
        );
    }

    #[test]
    fn deterministic_and_shift_invariant_to_rounding() {
        let logits: Vec<f32> = (0..1000).map(|i| (i as f32).sin() * 8.0).collect();
        let a = frequencies_from_logits(&logits, LM_TOTAL_BUDGET);
        let b = frequencies_from_logits(&logits.clone(), LM_TOTAL_BUDGET);
        assert_eq!(a, b);
    }

    #[test]
    fn non_finite_logits_still_give_a_valid_table() {
        let logits = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0, -3.0];
        let t = frequencies_from_logits(&logits, 1 << 16);
        assert_eq!(t.len(), 5);
        assert!((0..5).all(|s| t.interval(s).unwrap().1 >= 1));
        assert!(t.total() <= 1 << 16);
        let all_nan = [f32::NAN; 4];
        let t = frequencies_from_logits(&all_nan, 100);
        assert_eq!((0..4).map(|s| t.interval(s).unwrap().1).collect::<Vec<_>>(), vec![25, 25, 25, 25]);
    }

    #[test]
    fn from_frequencies_rejects_zero_and_overflow() {
        assert!(FrequencyTable::from_frequencies(&[1, 0, 2]).is_none());
        assert!(FrequencyTable::from_frequencies(&[]).is_none());
        assert!(FrequencyTable::from_frequencies(&[MAX_TOTAL, 1]).is_none());
        let t = FrequencyTable::from_frequencies(&[3, 1]).unwrap();
        assert_eq!(t.interval(1), Some((3, 1)));
        assert_eq!(t.interval(2), None);
        assert!((t.probability(0) - 0.75).abs() < 1e-12);
    }
}
