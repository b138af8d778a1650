//! Wilson score interval for a binomial proportion.
//!
//! Unlike the normal ("Wald") interval it stays inside [0, 1] and is honest at zero errors, which is
//! where high-SNR points of a sweep live: with 0 errors in `n` trials the 95 % upper bound is about
//! `3.84 / n`.

/// Two-sided 95 % normal quantile.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Two-sided 99.9 % normal quantile.
pub const Z_99_9: f64 = 3.290_526_731_491_926;

/// `(low, high)` bounds for `errors` successes out of `trials` at quantile `z`.
pub fn wilson_interval(errors: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = errors as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At 0 (or n) errors the bound is exactly 0 (or 1); rounding would leave ~1e-19 instead.
    let lo = if errors == 0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if errors >= trials { 1.0 } else { (centre + half).min(1.0) };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_example() {
        // Newcombe (1998), Table I, example 20/40... use the textbook 81/263: Wilson 95 % CI
        // (0.2553, 0.3662) (Brown, Cai & DasGupta 2001 style computation).
        let (lo, hi) = wilson_interval(81, 263, Z_95);
        assert!((lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4, "{lo} {hi}");
    }

    #[test]
    fn zero_errors_gives_rule_of_three_like_bound() {
        let (lo, hi) = wilson_interval(0, 1000, Z_95);
        assert_eq!(lo, 0.0);
        assert!((hi - 3.8415 / 1003.8415).abs() < 1e-6, "{hi}");
        assert_eq!(wilson_interval(0, 0, Z_95), (0.0, 1.0));
    }
}
