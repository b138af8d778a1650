//! BLEU, bit-for-bit compatible with NLTK's `nltk.translate.bleu_score` (3.9.x and 3.10.x).
//!
//! # The algorithm (Papineni et al., 2002)
//!
//! For each n-gram order `n = 1..=N`, the *modified n-gram precision* is
//!
//! ```text
//! p_n = Σ_g min(count_hyp(g), count_ref(g)) / max(1, Σ_g count_hyp(g))
//! ```
//!
//! over the n-grams `g` of the hypothesis: every hypothesis n-gram counts as a match at most as many
//! times as it occurs in the reference ("clipping", so `the the the the` earns no credit for the
//! fourth `the` against a reference with one). The score is the weighted geometric mean of the
//! precisions times a *brevity penalty* that punishes hypotheses shorter than the reference:
//!
//! ```text
//! BLEU = BP · exp(Σ_n w_n · ln p_n),   BP = 1 if c > r, 0 if c = 0, else exp(1 − r/c)
//! ```
//!
//! with `c` the hypothesis length and `r` the reference length (NLTK: the closest reference length;
//! here there is exactly one reference). "BLEU-n" means uniform weights `1/n` over orders `1..=n`
//! (cumulative BLEU); the *individual* unigram score with weights `(1, 0, 0, 0)` is what DeepSC and
//! follow-up papers report as "BLEU (1-gram)".
//!
//! # NLTK's conventions, reproduced exactly
//!
//! (From `nltk/translate/bleu_score.py`, identical in 3.9.1 and 3.10.4 except comments.)
//!
//! - `sentence_bleu([ref], hyp, w, sm)` is `corpus_bleu([[ref]], [hyp], w, sm)`: one code path
//!   ([`CorpusBleuCounts`]) serves both here too.
//! - `modified_precision`: the denominator is `max(1, number of hypothesis n-grams)`, so a
//!   hypothesis shorter than `n` has precision `0/1` at order `n`; `corpus_bleu` sums these
//!   numerators and denominators over sentences (the `max(1, ·)` is applied *per sentence*, before
//!   summing — [`CorpusBleuCounts::totals`] stores exactly that sum).
//! - Precisions are computed for orders `1..=len(weights)` even where a weight is zero.
//! - `corpus_bleu`: if there is no unigram match at all (`p_numerators[1] == 0`: empty hypothesis,
//!   empty reference, or no word in common) it returns `0` before any smoothing.
//! - `brevity_penalty(r, c)`: `1` if `c > r`, `0` if `c == 0`, else `exp(1 − r/c)` (so `c == r`
//!   gives `exp(0) = 1`).
//! - `SmoothingFunction().method0` (no smoothing, [`Smoothing::None`]): a zero precision is
//!   replaced by `sys.float_info.min` (= `f64::MIN_POSITIVE`, 2.2e-308) with a warning, so the
//!   score is **not 0** but tiny: e.g. a one-word exact match has BLEU-2 = `exp(½ ln 1 + ½ ln
//!   2.2e-308)` ≈ 1.49e-154 and BLEU-4 ≈ 1.8e-231. A zero-weight term contributes
//!   `0 · ln(2.2e-308) = −0`, so weights `(1, 0, 0, 0)` give exactly `BP · p_1`.
//! - `method1` ([`Smoothing::Method1`], `epsilon` 0.1 by default): a zero precision `0/d` becomes
//!   `epsilon / d` (a float).
//! - The final sum is `math.fsum((w_i * math.log(p_i) for w_i, p_i in zip(weights, p_n) if p_i > 0))`:
//!   terms with `p_i ≤ 0` are dropped (only possible with `Method1 { epsilon: 0.0 }`), and the sum
//!   is Python's exactly rounded `fsum`, ported here as [`fsum`]. Then `BLEU = bp * math.exp(sum)`.
//! - `auto_reweigh` (off by default in NLTK) is not supported.
//!
//! Tokens are compared exactly (case-sensitive); [`tokenize`] splits on whitespace and optionally
//! lower-cases (the Europarl data of this project is pre-tokenized and lower case already).
//!
//! The unit tests check every function against values computed by NLTK 3.9.1
//! (`tests/data/bleu_nltk_reference.py`, output in `tests/data/bleu_nltk_reference.rs`) to a
//! relative 1e-12.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::AddAssign;

/// Smoothing of zero n-gram precisions (NLTK's `SmoothingFunction` methods 0 and 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Smoothing {
    /// `SmoothingFunction().method0`: a zero precision becomes `sys.float_info.min`, so any zero
    /// order with a non-zero weight makes the score vanishingly small (but not exactly 0).
    None,
    /// `SmoothingFunction(epsilon).method1`: a zero precision `0/d` becomes `epsilon / d`.
    Method1 { epsilon: f64 },
}

impl Smoothing {
    /// `SmoothingFunction().method1` with NLTK's default epsilon 0.1.
    pub const NLTK_METHOD1: Smoothing = Smoothing::Method1 { epsilon: 0.1 };
}

/// Split `text` on whitespace (like Python's `str.split()`), optionally lower-casing each token.
pub fn tokenize(text: &str, lowercase: bool) -> Vec<String> {
    text.split_whitespace().map(|w| if lowercase { w.to_lowercase() } else { w.to_string() }).collect()
}

/// `nltk.translate.bleu_score.sentence_bleu([reference], hypothesis, weights, smoothing_function)`.
///
/// Orders `1..=weights.len()` are evaluated. Empty `weights` give 0 (as NLTK, which then sees no
/// unigram matches).
pub fn sentence_bleu(reference: &[String], hypothesis: &[String], weights: &[f64], smoothing: Smoothing) -> f64 {
    let orders = weights.len();
    if orders == 0 {
        return 0.0;
    }
    let mut matches = vec![0u64; orders];
    let mut totals = vec![0u64; orders];
    for n in 1..=orders {
        let (m, t) = modified_precision(reference, hypothesis, n);
        matches[n - 1] = m;
        totals[n - 1] = t;
    }
    bleu_from_counts(&matches, &totals, hypothesis.len() as u64, reference.len() as u64, weights, smoothing)
}

/// Cumulative BLEU-1..4 of one sentence: `[sentence_bleu(w = (1/n, …, 1/n)) for n in 1..=4]`.
pub fn cumulative_bleu(reference: &[String], hypothesis: &[String], smoothing: Smoothing) -> [f64; 4] {
    let mut counts = CorpusBleuCounts::default();
    counts.add_sentence(reference, hypothesis);
    [1, 2, 3, 4].map(|n| counts.bleu(n, smoothing))
}

/// Sufficient statistics of NLTK's `corpus_bleu` for orders 1..4 and one reference per sentence.
///
/// Additive: shards, batches and resumed runs merge exactly with `+=` / [`merge`](Self::merge), and
/// [`bleu`](Self::bleu) of the sum equals `corpus_bleu` over all the sentences.
#[derive(Default, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusBleuCounts {
    /// Clipped n-gram matches, order `i + 1` at index `i` (NLTK's `p_numerators`).
    pub matches: [u64; 4],
    /// Sum over sentences of `max(1, number of hypothesis n-grams)` (NLTK's `p_denominators`).
    pub totals: [u64; 4],
    /// Sum of hypothesis lengths (tokens).
    pub hypothesis_len: u64,
    /// Sum of (closest) reference lengths (tokens).
    pub reference_len: u64,
}

impl CorpusBleuCounts {
    /// Counts of one sentence pair.
    pub fn from_sentence(reference: &[String], hypothesis: &[String]) -> Self {
        let mut c = Self::default();
        c.add_sentence(reference, hypothesis);
        c
    }

    /// Add one (reference, hypothesis) pair.
    pub fn add_sentence(&mut self, reference: &[String], hypothesis: &[String]) {
        for n in 1..=4 {
            let (m, t) = modified_precision(reference, hypothesis, n);
            self.matches[n - 1] += m;
            self.totals[n - 1] += t;
        }
        self.hypothesis_len += hypothesis.len() as u64;
        self.reference_len += reference.len() as u64;
    }

    /// Add another set of counts (same as `+=`).
    pub fn merge(&mut self, other: &CorpusBleuCounts) {
        *self += other;
    }

    /// `corpus_bleu(…, weights = (1/n, …, 1/n), smoothing_function)` over the sentences added.
    ///
    /// # Panics
    /// If `n` is not in `1..=4`.
    pub fn bleu(&self, n: usize, smoothing: Smoothing) -> f64 {
        assert!((1..=4).contains(&n), "BLEU order {n} is not in 1..=4");
        let weights = vec![1.0 / n as f64; n];
        bleu_from_counts(
            &self.matches[..n],
            &self.totals[..n],
            self.hypothesis_len,
            self.reference_len,
            &weights,
            smoothing,
        )
    }
}

impl AddAssign<&CorpusBleuCounts> for CorpusBleuCounts {
    fn add_assign(&mut self, other: &CorpusBleuCounts) {
        for i in 0..4 {
            self.matches[i] += other.matches[i];
            self.totals[i] += other.totals[i];
        }
        self.hypothesis_len += other.hypothesis_len;
        self.reference_len += other.reference_len;
    }
}

impl AddAssign for CorpusBleuCounts {
    fn add_assign(&mut self, other: CorpusBleuCounts) {
        *self += &other;
    }
}

/// NLTK's `modified_precision([reference], hypothesis, n)` as (numerator, denominator):
/// clipped matches and `max(1, number of hypothesis n-grams)`.
fn modified_precision(reference: &[String], hypothesis: &[String], n: usize) -> (u64, u64) {
    if hypothesis.len() < n {
        return (0, 1);
    }
    let grams = hypothesis.len() - n + 1;
    let mut counts: HashMap<&[String], (u64, u64)> = HashMap::with_capacity(grams);
    for g in hypothesis.windows(n) {
        counts.entry(g).or_insert((0, 0)).0 += 1;
    }
    if reference.len() >= n {
        for g in reference.windows(n) {
            if let Some(c) = counts.get_mut(g) {
                c.1 += 1;
            }
        }
    }
    let matches = counts.values().map(|&(hyp, refc)| hyp.min(refc)).sum();
    (matches, grams.max(1) as u64)
}

/// NLTK's `brevity_penalty(closest_ref_len, hyp_len)`.
fn brevity_penalty(reference_len: u64, hypothesis_len: u64) -> f64 {
    if hypothesis_len > reference_len {
        1.0
    } else if hypothesis_len == 0 {
        0.0
    } else {
        (1.0 - reference_len as f64 / hypothesis_len as f64).exp()
    }
}

/// The tail of NLTK's `corpus_bleu` after the counting loop, for one weight vector.
fn bleu_from_counts(
    matches: &[u64],
    totals: &[u64],
    hypothesis_len: u64,
    reference_len: u64,
    weights: &[f64],
    smoothing: Smoothing,
) -> f64 {
    // `if p_numerators[1] == 0: return 0`
    if matches.first().copied().unwrap_or(0) == 0 {
        return 0.0;
    }
    let bp = brevity_penalty(reference_len, hypothesis_len);
    let p_n = matches.iter().zip(totals).map(|(&m, &t)| {
        if m != 0 {
            // float(Fraction(m, t)): the correctly rounded quotient (m, t < 2^53 are exact).
            m as f64 / t as f64
        } else {
            match smoothing {
                Smoothing::None => f64::MIN_POSITIVE, // sys.float_info.min
                Smoothing::Method1 { epsilon } => epsilon / t as f64,
            }
        }
    });
    let terms: Vec<f64> = weights.iter().zip(p_n).filter(|&(_, p)| p > 0.0).map(|(&w, p)| w * p.ln()).collect();
    bp * fsum(&terms).exp()
}

/// Python's `math.fsum`: the correctly rounded sum of finite floats (Shewchuk's algorithm as in
/// CPython's `Modules/mathmodule.c`, without its non-finite special cases).
pub fn fsum(values: &[f64]) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for &v in values {
        let mut x = v;
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        if x != 0.0 {
            partials.push(x);
        }
    }
    let mut n = partials.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = partials[n];
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    // Half-even rounding across several partials.
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        let yr = x - hi;
        if y == yr {
            hi = x;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    // NLTK's outputs, verbatim (some happen to be close to named constants such as 1/sqrt(2)).
    #[allow(clippy::approx_constant)]
    mod nltk {
        include!("../../tests/data/bleu_nltk_reference.rs");
    }
    use nltk::{NLTK_CORPUS_CASES, NLTK_SENTENCE_CASES};

    const M1: Smoothing = Smoothing::NLTK_METHOD1;

    /// Relative 1e-12; subnormal NLTK values (method0 with weight on a zero order) within 1e-320.
    fn assert_close(got: f64, want: f64, what: &str) {
        let tol = 1e-12 * want.abs().max(f64::MIN_POSITIVE);
        assert!(
            (got - want).abs() <= tol && got.is_finite(),
            "{what}: got {got:e}, NLTK {want:e} (diff {:e})",
            got - want
        );
    }

    fn toks(s: &str) -> Vec<String> {
        tokenize(s, false)
    }

    #[test]
    fn sentence_bleu_matches_nltk() {
        assert!(NLTK_SENTENCE_CASES.len() >= 30);
        for (k, &(r, h, want)) in NLTK_SENTENCE_CASES.iter().enumerate() {
            let (r, h) = (toks(r), toks(h));
            let mut got = Vec::new();
            for sm in [Smoothing::None, M1] {
                for n in 1..=4 {
                    got.push(sentence_bleu(&r, &h, &vec![1.0 / n as f64; n], sm));
                }
            }
            got.push(sentence_bleu(&r, &h, &[1.0, 0.0, 0.0, 0.0], Smoothing::None));
            got.push(sentence_bleu(&r, &h, &[1.0, 0.0, 0.0, 0.0], M1));
            got.push(sentence_bleu(&r, &h, &[0.1, 0.3, 0.5, 0.1], Smoothing::None));
            got.push(sentence_bleu(&r, &h, &[0.0, 0.0, 0.0, 1.0], Smoothing::None));
            for (col, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert_close(g, w, &format!("case {k} column {col}"));
            }
        }
    }

    #[test]
    fn cumulative_bleu_matches_nltk() {
        for (k, &(r, h, want)) in NLTK_SENTENCE_CASES.iter().enumerate() {
            let (r, h) = (toks(r), toks(h));
            for (sm, off) in [(Smoothing::None, 0), (M1, 4)] {
                let got = cumulative_bleu(&r, &h, sm);
                for n in 0..4 {
                    assert_close(got[n], want[off + n], &format!("case {k} BLEU-{} ({sm:?})", n + 1));
                }
            }
        }
    }

    #[test]
    fn corpus_bleu_matches_nltk_and_shards_merge() {
        for &(count, want) in NLTK_CORPUS_CASES {
            let cases = &NLTK_SENTENCE_CASES[..count];
            let mut whole = CorpusBleuCounts::default();
            let mut shard_a = CorpusBleuCounts::default();
            let mut shard_b = CorpusBleuCounts::default();
            for (k, &(r, h, _)) in cases.iter().enumerate() {
                whole.add_sentence(&toks(r), &toks(h));
                let shard = if k % 3 == 0 { &mut shard_a } else { &mut shard_b };
                *shard += CorpusBleuCounts::from_sentence(&toks(r), &toks(h));
            }
            let mut merged = shard_b.clone();
            merged.merge(&shard_a);
            assert_eq!(merged, whole);
            for (sm, off) in [(Smoothing::None, 0), (M1, 4)] {
                for n in 1..=4 {
                    assert_close(whole.bleu(n, sm), want[off + n - 1], &format!("corpus of {count}, BLEU-{n} {sm:?}"));
                }
            }
        }
    }

    #[test]
    fn edge_cases_spelled_out() {
        let empty: Vec<String> = Vec::new();
        let one = toks("commission");
        // Empty hypothesis / reference / weights: 0.
        assert_eq!(sentence_bleu(&one, &empty, &[1.0], M1), 0.0);
        assert_eq!(sentence_bleu(&empty, &one, &[1.0], M1), 0.0);
        assert_eq!(sentence_bleu(&one, &one, &[], M1), 0.0);
        // One-word exact match: BLEU-1 = 1; BLEU-2 without smoothing is exp(½ ln MIN_POSITIVE), not 0.
        assert_eq!(sentence_bleu(&one, &one, &[1.0], Smoothing::None), 1.0);
        let b2 = sentence_bleu(&one, &one, &[0.5, 0.5], Smoothing::None);
        assert!(b2 > 0.0 && b2 < 1e-150, "{b2:e}");
        // method1: p_2 = 0.1 / 1.
        assert_close(sentence_bleu(&one, &one, &[0.5, 0.5], M1), 0.1f64.sqrt(), "method1");
        // (1, 0, 0, 0) is BP · p_1 whatever the higher orders.
        let r = toks("a b c d e f");
        let h = toks("f e d c b");
        let want = (1.0 - 6.0 / 5.0f64).exp();
        assert_close(sentence_bleu(&r, &h, &[1.0, 0.0, 0.0, 0.0], Smoothing::None), want, "deepsc");
        // Clipping.
        let r = toks("the cat is on the mat");
        let h = toks("the the the the the the the");
        assert_close(sentence_bleu(&r, &h, &[1.0], Smoothing::None), 2.0 / 7.0, "clipping");
    }

    #[test]
    fn tokenize_splits_on_whitespace() {
        assert_eq!(tokenize("  The  cat\tsat\n. ", false), ["The", "cat", "sat", "."]);
        assert_eq!(tokenize("The CAT", true), ["the", "cat"]);
        assert!(tokenize(" \n", true).is_empty());
    }

    #[test]
    fn fsum_is_exactly_rounded() {
        assert_eq!(fsum(&[]), 0.0);
        assert_eq!(fsum(&[0.1; 10]), 1.0);
        assert_eq!(fsum(&[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]), 1e-100);
        assert_eq!(fsum(&[1e-16, 1.0, 1e16]), 10000000000000002.0);
    }
}
