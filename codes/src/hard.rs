//! Hard-decision "decoder": the sign of each channel LLR, no correction. It is the uncoded
//! baseline and the lower bound every iterative decoder must beat. NaN decides bit 0.

use crate::tanner::{hard_bit, run_batch, TannerGraph};
use crate::{DecodeStats, LdpcCode};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct HardDecision {
    graph: TannerGraph,
}

impl HardDecision {
    pub fn new(code: &Arc<LdpcCode>) -> Self {
        HardDecision { graph: TannerGraph::new(code) }
    }
}

impl crate::Decoder for HardDecision {
    fn name(&self) -> String {
        "HD".into()
    }

    fn n(&self) -> usize {
        self.graph.n
    }

    fn decode_batch(&self, llr: &[f32], bits: &mut [u8]) -> DecodeStats {
        run_batch(
            self.graph.n,
            llr,
            bits,
            || (),
            |l, b, _| {
                for (o, &x) in b.iter_mut().zip(l) {
                    *o = hard_bit(x);
                }
                (0, self.graph.syndrome_ok(b))
            },
        )
    }
}
