//! Min-sum belief propagation, flooding schedule, normalised (`α·min`) or offset (`max(min−β,0)`).
//!
//! Min-sum replaces the tanh rule by the minimum input magnitude, which overestimates the message;
//! scaling by α ≈ 0.75–0.8 or subtracting β ≈ 0.15 recovers most of the gap to sum-product at a
//! fraction of the cost (no transcendental functions). See [`crate::check_rule::MinSumRule`].

use crate::check_rule::{MinSumCorrection, MinSumRule};
use crate::flooding::FloodingDecoder;
use crate::LdpcCode;
use std::sync::Arc;

/// Flooding min-sum decoder.
pub type MinSumDecoder = FloodingDecoder<MinSumRule>;

impl FloodingDecoder<MinSumRule> {
    /// Named `NMS<α>-<iterations>` or `OMS<β>-<iterations>`.
    pub fn new(code: &Arc<LdpcCode>, correction: MinSumCorrection, iterations: usize, early_termination: bool) -> Self {
        let name = format!("{}-{iterations}", min_sum_label(correction));
        FloodingDecoder::with_rule(code, MinSumRule(correction), iterations, early_termination, name)
    }
}

/// `NMS0.75` / `OMS0.15`.
pub fn min_sum_label(c: MinSumCorrection) -> String {
    match c {
        MinSumCorrection::Normalized(a) => format!("NMS{a}"),
        MinSumCorrection::Offset(b) => format!("OMS{b}"),
    }
}
