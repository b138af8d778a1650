//! Row-layered belief propagation (each check is a layer), generic over the check-node rule.
//!
//! The decoder keeps one posterior LLR per bit, `P_v`, and the last message of every edge. For each
//! check c in stored order: `t_e = P_v − c2v_e` (the bit-to-check message), new `c2v_e` from the rule,
//! then `P_v = t_e + c2v_e`. Updated beliefs are used by the very next check, which makes layered
//! decoding converge in about half the iterations of flooding. One iteration = one pass over all
//! rows (redundant rows included). Early termination checks the hard decision of `P` after each
//! pass and before the first one.

use crate::check_rule::CheckRule;
use crate::interleaved;
use crate::tanner::{hard_bit, run_batch, run_batch_groups, sanitize_llr, TannerGraph, CHUNK_FRAMES};
use crate::{DecodeStats, LdpcCode};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct LayeredDecoder<R: CheckRule> {
    graph: TannerGraph,
    rule: R,
    iterations: usize,
    early_termination: bool,
    name: String,
}

pub(crate) struct Scratch {
    posterior: Vec<f32>,
    c2v: Vec<f32>,
    t: Vec<f32>,
    new: Vec<f32>,
    rule: Vec<f64>,
}

impl<R: CheckRule> LayeredDecoder<R> {
    /// Builds a layered decoder; the name is what [`crate::Decoder::name`] reports.
    pub fn new(code: &Arc<LdpcCode>, rule: R, iterations: usize, early_termination: bool, name: String) -> Self {
        LayeredDecoder { graph: TannerGraph::new(code), rule, iterations, early_termination, name }
    }

    fn scratch(&self) -> Scratch {
        let g = &self.graph;
        let d = g.max_check_degree;
        Scratch {
            posterior: vec![0.0; g.n],
            c2v: vec![0.0; g.edges()],
            t: vec![0.0; d],
            new: vec![0.0; d],
            rule: vec![0.0; R::scratch_len(d)],
        }
    }

    /// Decodes one frame with the plain one-frame code path (allocates its scratch). For min-sum
    /// rules `decode_batch` uses the frame-interleaved SIMD path instead; this is its reference,
    /// and the two must agree bit for bit. Returns (iterations, valid codeword).
    pub fn decode_frame_scalar(&self, llr: &[f32], bits: &mut [u8]) -> (u64, bool) {
        assert_eq!(llr.len(), self.graph.n);
        assert_eq!(bits.len(), self.graph.n);
        self.decode_frame(llr, bits, &mut self.scratch())
    }

    fn decode_frame(&self, input: &[f32], out: &mut [u8], s: &mut Scratch) -> (u64, bool) {
        let g = &self.graph;
        for ((p, &x), o) in s.posterior.iter_mut().zip(input).zip(out.iter_mut()) {
            *p = sanitize_llr(x);
            *o = hard_bit(*p);
        }
        if self.early_termination && g.syndrome_ok(out) {
            return (0, true);
        }
        s.c2v.fill(0.0);
        for it in 1..=self.iterations {
            for c in 0..g.m {
                let r = g.check_range(c);
                let d = r.len();
                let vars = &g.edge_var[r.clone()];
                let c2v = &mut s.c2v[r];
                for i in 0..d {
                    s.t[i] = s.posterior[vars[i] as usize] - c2v[i];
                }
                self.rule.update(&s.t[..d], &mut s.new[..d], &mut s.rule);
                for i in 0..d {
                    c2v[i] = s.new[i];
                    s.posterior[vars[i] as usize] = s.t[i] + s.new[i];
                }
            }
            for (o, &p) in out.iter_mut().zip(&s.posterior) {
                *o = hard_bit(p);
            }
            if self.early_termination && g.syndrome_ok(out) {
                return (it as u64, true);
            }
        }
        (self.iterations as u64, g.syndrome_ok(out))
    }
}

impl<R: CheckRule> crate::Decoder for LayeredDecoder<R> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn n(&self) -> usize {
        self.graph.n
    }

    fn decode_batch(&self, llr: &[f32], bits: &mut [u8]) -> DecodeStats {
        if let Some(rule) = self.rule.as_min_sum() {
            let g = &self.graph;
            let (it, et) = (self.iterations, self.early_termination);
            return run_batch_groups(
                g.n,
                CHUNK_FRAMES,
                llr,
                bits,
                || interleaved::Scratch::new(g),
                |l, b, s| interleaved::layered_batch(g, &rule, it, et, l, b, s),
            );
        }
        run_batch(self.graph.n, llr, bits, || self.scratch(), |l, b, s| self.decode_frame(l, b, s))
    }
}
