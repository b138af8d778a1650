//! Flooding-schedule belief propagation, generic over the check-node rule.
//!
//! One iteration updates every check node from the current bit-to-check messages, then every bit
//! node: `total_v = L_v + Σ c2v`, `v2c_e = total_v − c2v_e`, hard decision from `total_v`. With
//! early termination the decoder stops as soon as the hard decision satisfies all checks,
//! including before the first iteration (so a valid channel word costs 0 iterations).

use crate::check_rule::CheckRule;
use crate::interleaved;
use crate::tanner::{hard_bit, run_batch, run_batch_groups, run_batch_soft, sanitize_llr, TannerGraph, CHUNK_FRAMES};
use crate::{DecodeStats, LdpcCode};
use std::sync::Arc;

/// Flooding BP decoder with check rule `R`; see [`crate::SumProductDecoder`] and
/// [`crate::MinSumDecoder`].
#[derive(Debug, Clone)]
pub struct FloodingDecoder<R: CheckRule> {
    graph: TannerGraph,
    rule: R,
    iterations: usize,
    early_termination: bool,
    name: String,
}

pub(crate) struct Scratch {
    llr: Vec<f32>,
    v2c: Vec<f32>,
    c2v: Vec<f32>,
    rule: Vec<f64>,
}

impl<R: CheckRule> FloodingDecoder<R> {
    pub(crate) fn with_rule(
        code: &Arc<LdpcCode>,
        rule: R,
        iterations: usize,
        early_termination: bool,
        name: String,
    ) -> Self {
        FloodingDecoder { graph: TannerGraph::new(code), rule, iterations, early_termination, name }
    }

    pub fn iterations(&self) -> usize {
        self.iterations
    }

    pub fn early_termination(&self) -> bool {
        self.early_termination
    }

    fn scratch(&self) -> Scratch {
        let g = &self.graph;
        Scratch {
            llr: vec![0.0; g.n],
            v2c: vec![0.0; g.edges()],
            c2v: vec![0.0; g.edges()],
            rule: vec![0.0; R::scratch_len(g.max_check_degree)],
        }
    }

    /// Decodes one frame with the plain one-frame code path (allocates its scratch). For min-sum
    /// rules `decode_batch` uses the frame-interleaved SIMD path instead; this is its reference,
    /// and the two must agree bit for bit. Returns (iterations, valid codeword).
    pub fn decode_frame_scalar(&self, llr: &[f32], bits: &mut [u8]) -> (u64, bool) {
        assert_eq!(llr.len(), self.graph.n);
        assert_eq!(bits.len(), self.graph.n);
        self.decode_frame(llr, bits, None, &mut self.scratch())
    }

    /// Decodes one frame; with `posterior`, also writes each bit's total LLR at the decision (the
    /// channel LLR when the channel word is already a codeword and decoding stops before it starts).
    fn decode_frame(
        &self,
        input: &[f32],
        out: &mut [u8],
        mut posterior: Option<&mut [f32]>,
        s: &mut Scratch,
    ) -> (u64, bool) {
        let g = &self.graph;
        for ((l, &x), o) in s.llr.iter_mut().zip(input).zip(out.iter_mut()) {
            *l = sanitize_llr(x);
            *o = hard_bit(*l);
        }
        if let Some(p) = posterior.as_deref_mut() {
            p.copy_from_slice(&s.llr);
        }
        if self.early_termination && g.syndrome_ok(out) {
            return (0, true);
        }
        for (m, &v) in s.v2c.iter_mut().zip(&g.edge_var) {
            *m = s.llr[v as usize];
        }
        for it in 1..=self.iterations {
            for c in 0..g.m {
                let r = g.check_range(c);
                self.rule.update(&s.v2c[r.clone()], &mut s.c2v[r], &mut s.rule);
            }
            for v in 0..g.n {
                let edges = &g.var_edges[g.var_range(v)];
                let total = edges.iter().fold(s.llr[v], |t, &e| t + s.c2v[e as usize]);
                for &e in edges {
                    s.v2c[e as usize] = total - s.c2v[e as usize];
                }
                out[v] = hard_bit(total);
                if let Some(p) = posterior.as_deref_mut() {
                    p[v] = total;
                }
            }
            if self.early_termination && g.syndrome_ok(out) {
                return (it as u64, true);
            }
        }
        (self.iterations as u64, g.syndrome_ok(out))
    }
}

impl<R: CheckRule> crate::Decoder for FloodingDecoder<R> {
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
                |l, b, s| interleaved::flooding_batch(g, &rule, it, et, l, b, s),
            );
        }
        run_batch(self.graph.n, llr, bits, || self.scratch(), |l, b, s| self.decode_frame(l, b, None, s))
    }

    /// The scalar one-frame path for every check rule (min-sum's SIMD path agrees with it bit for
    /// bit), frames in parallel.
    fn decode_batch_soft(&self, llr: &[f32], posterior: &mut [f32]) -> Option<DecodeStats> {
        let n = self.graph.n;
        Some(run_batch_soft(
            n,
            llr,
            posterior,
            || (self.scratch(), vec![0u8; n]),
            |l, p, (s, bits)| {
                let (iterations, valid) = self.decode_frame(l, bits, Some(p), s);
                DecodeStats { frames: 1, iterations, valid_codewords: valid as u64 }
            },
        ))
    }
}
