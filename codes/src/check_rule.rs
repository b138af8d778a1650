//! Check-node update rules shared by the flooding and layered schedules.
//!
//! A rule maps the d messages entering a check node to the d extrinsic messages leaving it
//! (message i excludes input i).
//! - [`SumProductRule`]: the exact tanh rule, `L_i = 2 atanh(∏_{j≠i} tanh(L_j/2))`. Computed in
//!   f64 with prefix/suffix products (no division, so zero inputs are safe), `tanh(|x|/2)` as
//!   `(1-e^{-|x|})/(1+e^{-|x|})` and `2 atanh(p) = ln((1+p)/(1-p))` with p capped at 1 − 2⁻⁵⁰, so the
//!   output magnitude never exceeds ≈ 35.3 and is never NaN or infinite.
//! - [`MinSumRule`]: min-sum with normalisation (`α·min`) or offset (`max(min − β, 0)`), from the two
//!   smallest input magnitudes; output capped at [`crate::tanner::LLR_CAP`] (a degree-1 check
//!   would otherwise send an infinite message).

use crate::tanner::LLR_CAP;

pub trait CheckRule: Send + Sync + Copy {
    /// f64 scratch length needed for checks of degree up to `max_degree`.
    fn scratch_len(max_degree: usize) -> usize;
    /// Writes the extrinsic outputs for `input` into `output` (same length).
    fn update(&self, input: &[f32], output: &mut [f32], scratch: &mut [f64]);
    /// Min-sum rules return themselves so the decoders can use the frame-interleaved SIMD path
    /// ([`crate::interleaved`]), which gives bit-identical results.
    fn as_min_sum(&self) -> Option<MinSumRule> {
        None
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SumProductRule;

const P_MAX: f64 = 1.0 - 1.0 / (1u64 << 50) as f64;

impl CheckRule for SumProductRule {
    fn scratch_len(max_degree: usize) -> usize {
        2 * max_degree
    }

    #[inline]
    fn update(&self, input: &[f32], output: &mut [f32], scratch: &mut [f64]) {
        let d = input.len();
        let (t, prefix) = scratch.split_at_mut(d);
        let prefix = &mut prefix[..d];
        let mut negative = false;
        let mut prod = 1.0f64;
        for i in 0..d {
            let x = input[i];
            negative ^= x < 0.0;
            let e = (-(x.abs() as f64)).exp();
            let ti = (1.0 - e) / (1.0 + e);
            t[i] = ti;
            prefix[i] = prod;
            prod *= ti;
        }
        let mut suffix = 1.0f64;
        for i in (0..d).rev() {
            let p = (prefix[i] * suffix).min(P_MAX);
            suffix *= t[i];
            let mag = ((1.0 + p) / (1.0 - p)).ln() as f32;
            output[i] = if negative ^ (input[i] < 0.0) { -mag } else { mag };
        }
    }
}

/// Magnitude correction applied to the minimum in min-sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinSumCorrection {
    /// `α · min` (normalised min-sum); α = 1 is plain min-sum.
    Normalized(f32),
    /// `max(min − β, 0)` (offset min-sum).
    Offset(f32),
}

#[derive(Debug, Clone, Copy)]
pub struct MinSumRule(pub MinSumCorrection);

impl MinSumRule {
    #[inline(always)]
    pub(crate) fn correct(&self, m: f32) -> f32 {
        let m = m.min(LLR_CAP);
        match self.0 {
            MinSumCorrection::Normalized(a) => a * m,
            MinSumCorrection::Offset(b) => (m - b).max(0.0),
        }
    }
}

impl CheckRule for MinSumRule {
    fn scratch_len(_: usize) -> usize {
        0
    }

    fn as_min_sum(&self) -> Option<MinSumRule> {
        Some(*self)
    }

    /// Branch-free on purpose: with noisy inputs the "is this the new minimum?" branch is
    /// unpredictable, and mispredictions cost more than the whole update. Signs are handled as IEEE
    /// sign bits (a −0.0 input only ever meets a zero magnitude, so the result is unchanged).
    #[inline]
    fn update(&self, input: &[f32], output: &mut [f32], _: &mut [f64]) {
        const SIGN: u32 = 0x8000_0000;
        let mut min1 = f32::INFINITY;
        let mut min2 = f32::INFINITY;
        let mut at = 0usize;
        let mut signs = 0u32;
        for (i, &x) in input.iter().enumerate() {
            let a = x.abs();
            signs ^= x.to_bits() & SIGN;
            let smaller = a < min1;
            min2 = if smaller { min1 } else { min2.min(a) };
            at = if smaller { i } else { at };
            min1 = min1.min(a);
        }
        let (m1, m2) = (self.correct(min1), self.correct(min2));
        for (i, (o, &x)) in output.iter_mut().zip(input).enumerate() {
            let mag = if i == at { m2 } else { m1 };
            *o = f32::from_bits(mag.to_bits() | (signs ^ (x.to_bits() & SIGN)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(input: &[f32], i: usize) -> f64 {
        let p: f64 = input.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &x)| (x as f64 / 2.0).tanh()).product();
        2.0 * p.atanh()
    }

    #[test]
    fn sum_product_matches_tanh_rule() {
        let input = [1.5f32, -0.3, 2.2, -4.0, 0.7];
        let mut out = [0f32; 5];
        let mut s = vec![0f64; SumProductRule::scratch_len(5)];
        SumProductRule.update(&input, &mut out, &mut s);
        for i in 0..5 {
            assert!((out[i] as f64 - exact(&input, i)).abs() < 1e-5, "edge {i}: {} vs {}", out[i], exact(&input, i));
        }
    }

    #[test]
    fn sum_product_saturates_without_nan() {
        let input = [1e4f32, -1e4, 1e4, 0.0];
        let mut out = [0f32; 4];
        let mut s = vec![0f64; 8];
        SumProductRule.update(&input, &mut out, &mut s);
        assert!(out.iter().all(|x| x.is_finite()));
        assert_eq!(&out[..3], &[0.0, 0.0, 0.0]); // zero input kills the other messages
        assert!(out[3] < -35.0 && out[3] > -36.0); // two positive, one negative: saturated negative
    }

    #[test]
    fn min_sum_uses_two_smallest() {
        let input = [1.5f32, -0.3, 2.2, -4.0];
        let mut out = [0f32; 4];
        MinSumRule(MinSumCorrection::Normalized(1.0)).update(&input, &mut out, &mut []);
        assert_eq!(out, [0.3, -1.5, 0.3, -0.3]);
        MinSumRule(MinSumCorrection::Offset(0.5)).update(&input, &mut out, &mut []);
        assert_eq!(out, [0.0, -1.0, 0.0, -0.0]);
        MinSumRule(MinSumCorrection::Normalized(0.5)).update(&[-7.0], &mut out[..1], &mut []);
        assert_eq!(out[0], 0.5 * LLR_CAP); // degree-1 check: capped, not infinite
    }
}
