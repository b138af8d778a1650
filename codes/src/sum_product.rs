//! Sum-product (belief propagation with the exact tanh check rule), flooding schedule.
//!
//! The reference decoder: ECCT and most papers report "BP" with this rule and schedule. See
//! [`crate::check_rule::SumProductRule`] for the numerically safe check update (never NaN, handles
//! ±inf inputs, saturates near ±35) and [`crate::flooding`] for the schedule.

use crate::check_rule::SumProductRule;
use crate::flooding::FloodingDecoder;
use crate::LdpcCode;
use std::sync::Arc;

/// Flooding sum-product decoder.
pub type SumProductDecoder = FloodingDecoder<SumProductRule>;

impl FloodingDecoder<SumProductRule> {
    /// `iterations` full flooding iterations at most; `early_termination` stops at the first valid
    /// codeword. Named `SPA-<iterations>`.
    pub fn new(code: &Arc<LdpcCode>, iterations: usize, early_termination: bool) -> Self {
        FloodingDecoder::with_rule(code, SumProductRule, iterations, early_termination, format!("SPA-{iterations}"))
    }
}
