//! Percentile-bootstrap confidence intervals for the mean of per-message scores (BLEU-n, similarity),
//! and for a ratio of per-message sums (an SNR).
//!
//! Efron and Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13: draw `RESAMPLES` samples
//! of the `n` messages with replacement, take each one's mean, and report the 2.5 % and 97.5 %
//! quantiles of those means. Why not a normal interval (mean ± 1.96 s/√n): a sentence's BLEU lies in
//! [0, 1] and, at a scheme's cliff, is mostly 0 or 1 — a skewed, two-humped score over a few dozen
//! messages, where the normal interval leaves [0, 1] and is too narrow on the short side; the
//! percentile interval stays inside the values seen and follows the skew. Each message carries its
//! own channel realisation, so resampling messages covers both the text and the noise.
//!
//! All metrics of a point are resampled with the same draws (one index sequence), from a fixed seed:
//! an interval depends only on the point's scores, in message order, so a resumed run, a shard merge
//! and a single run give the same bits.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bootstrap resamples per interval: the 2.5 % quantile then rests on 50 resamples.
pub const RESAMPLES: usize = 2000;
const SEED: u64 = 0x6c6d_7373_6363_b007;

/// The 95 % percentile-bootstrap interval of the mean of each column of `columns` (all of one
/// length `n`, row `j` the scores of message `j`), resampled jointly. Empty columns give NaN.
pub fn mean_intervals_95(columns: &[&[f64]]) -> Vec<(f64, f64)> {
    let n = columns.first().map_or(0, |c| c.len()) as f64;
    let sums = resampled_sums(columns);
    (0..columns.len()).map(|c| percentile_95(sums.iter().map(|s| s[c] / n).collect())).collect()
}

/// The 95 % percentile-bootstrap interval of the ratio `Σ numerator / Σ denominator` over
/// messages (row `j` of each is message `j`'s), both resampled with the same draws as
/// [`mean_intervals_95`]: e.g. an SNR's signal energy over its error energy. Empty columns give NaN.
pub fn ratio_interval_95(numerator: &[f64], denominator: &[f64]) -> (f64, f64) {
    let sums = resampled_sums(&[numerator, denominator]);
    percentile_95(sums.iter().map(|s| s[0] / s[1]).collect())
}

/// Each resample's column sums (`RESAMPLES` rows; none for empty columns).
fn resampled_sums(columns: &[&[f64]]) -> Vec<Vec<f64>> {
    let n = columns.first().map_or(0, |c| c.len());
    assert!(columns.iter().all(|c| c.len() == n), "one score per message in every column");
    if n == 0 {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    (0..RESAMPLES)
        .map(|_| {
            let mut sums = vec![0.0; columns.len()];
            for _ in 0..n {
                let j = rng.random_range(0..n);
                for (s, c) in sums.iter_mut().zip(columns) {
                    *s += c[j];
                }
            }
            sums
        })
        .collect()
}

/// The 2.5 % and 97.5 % quantiles of the resampled statistics (NaN when there are none).
fn percentile_95(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    // Quantiles as the order statistics (B+1)·α and (B+1)·(1−α), 1-based.
    let lo = ((RESAMPLES + 1) as f64 * 0.025).floor() as usize;
    let hi = ((RESAMPLES + 1) as f64 * 0.975).ceil() as usize;
    (values[lo.max(1) - 1], values[hi.min(RESAMPLES) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_scores_give_a_point_interval() {
        let ones = [1.0; 48];
        assert_eq!(mean_intervals_95(&[&ones]), vec![(1.0, 1.0)]);
        assert!(mean_intervals_95(&[&[]])[0].0.is_nan());
    }

    #[test]
    fn half_right_messages_match_the_binomial_interval_and_stay_inside_the_values() {
        // 24 of 48 messages perfect, 24 lost: the mean's sampling interval is about
        // 0.5 ± 1.96·sqrt(0.25/48) = [0.359, 0.641].
        let scores: Vec<f64> = (0..48).map(|j| (j % 2) as f64).collect();
        let (lo, hi) = mean_intervals_95(&[&scores])[0];
        assert!((lo - 0.359).abs() < 0.03 && (hi - 0.641).abs() < 0.03, "[{lo}, {hi}]");
        // At a cliff (2 of 48 right) the normal interval would go below 0; the bootstrap's does not.
        let cliff: Vec<f64> = (0..48).map(|j| (j < 2) as u8 as f64).collect();
        let (lo, hi) = mean_intervals_95(&[&cliff])[0];
        let mean: f64 = 2.0 / 48.0;
        assert!(mean - 1.96 * (mean * (1.0 - mean) / 48.0).sqrt() < 0.0);
        assert!(lo >= 0.0 && lo < mean && hi > mean && hi < 0.15, "[{lo}, {hi}]");
    }

    #[test]
    fn columns_are_resampled_jointly_and_reproducibly() {
        let a: Vec<f64> = (0..30).map(|j| (j as f64 * 0.37).sin().abs()).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 0.5).collect();
        let both = mean_intervals_95(&[&a, &b]);
        // The same draws: b's interval is exactly half of a's.
        assert_eq!((both[0].0 * 0.5, both[0].1 * 0.5), both[1]);
        assert_eq!(both, mean_intervals_95(&[&a, &b]), "same scores, same bits");
        assert_eq!(both[0], mean_intervals_95(&[&a])[0], "a column's interval does not depend on the others");
    }
}
