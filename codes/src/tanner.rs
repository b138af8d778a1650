//! Edge-indexed Tanner graph shared by the message-passing decoders.
//!
//! Edges are numbered check-major: the edges of check j are `check_start[j]..check_start[j+1]`
//! and `edge_var[e]` is the bit at the other end. `var_edges[var_start[v]..var_start[v+1]]` lists
//! the edge numbers touching bit v. Messages then live in flat `f32` arrays indexed by edge, so a
//! decoder needs a few allocations per batch and none per frame, and the check-node pass walks
//! memory sequentially. Indices are `u32` to halve the cache footprint.

use crate::LdpcCode;

/// LLR magnitude cap applied to decoder inputs: ±inf become ±`LLR_CAP`, NaN becomes 0 (an
/// erasure). Far above any LLR a real channel produces at the SNRs we simulate, and small enough
/// that sums over a node's edges stay exact enough in `f32`.
pub const LLR_CAP: f32 = 1.0e4;

/// Replaces NaN by 0 and clamps to ±[`LLR_CAP`] (so ±inf become ±`LLR_CAP`).
#[inline]
pub fn sanitize_llr(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-LLR_CAP, LLR_CAP)
    }
}

/// Hard decision with the project convention: negative LLR → bit 1; 0 (and NaN) → bit 0.
#[inline]
pub fn hard_bit(x: f32) -> u8 {
    (x < 0.0) as u8
}

#[derive(Debug, Clone)]
pub struct TannerGraph {
    pub n: usize,
    pub m: usize,
    pub check_start: Vec<u32>,
    pub edge_var: Vec<u32>,
    pub var_start: Vec<u32>,
    pub var_edges: Vec<u32>,
    pub max_check_degree: usize,
}

impl TannerGraph {
    pub fn new(code: &LdpcCode) -> Self {
        let (n, m) = (code.n(), code.m());
        let mut check_start = Vec::with_capacity(m + 1);
        let mut edge_var = Vec::with_capacity(code.edges());
        let mut per_var: Vec<Vec<u32>> = vec![Vec::new(); n];
        check_start.push(0);
        for row in code.checks() {
            for &v in row {
                per_var[v].push(edge_var.len() as u32);
                edge_var.push(v as u32);
            }
            check_start.push(edge_var.len() as u32);
        }
        let mut var_start = Vec::with_capacity(n + 1);
        let mut var_edges = Vec::with_capacity(edge_var.len());
        var_start.push(0);
        for edges in per_var {
            var_edges.extend(edges);
            var_start.push(var_edges.len() as u32);
        }
        let max_check_degree = code.checks().iter().map(Vec::len).max().unwrap_or(0);
        TannerGraph { n, m, check_start, edge_var, var_start, var_edges, max_check_degree }
    }

    pub fn edges(&self) -> usize {
        self.edge_var.len()
    }

    #[inline]
    pub fn check_range(&self, c: usize) -> std::ops::Range<usize> {
        self.check_start[c] as usize..self.check_start[c + 1] as usize
    }

    #[inline]
    pub fn var_range(&self, v: usize) -> std::ops::Range<usize> {
        self.var_start[v] as usize..self.var_start[v + 1] as usize
    }

    /// Whether hard decisions `bits` satisfy every check.
    #[inline]
    pub fn syndrome_ok(&self, bits: &[u8]) -> bool {
        (0..self.m).all(|c| {
            let r = self.check_range(c);
            self.edge_var[r].iter().fold(0u8, |s, &v| s ^ bits[v as usize]) == 0
        })
    }
}

/// Frames per parallel work item.
pub const CHUNK_FRAMES: usize = 64;

/// Splits a flat batch into frames and runs `decode_frame` on each, in parallel chunks when the
/// batch is large. Each frame is decoded independently, so results do not depend on the number of
/// threads. `make_scratch` is called once per chunk, never per frame.
pub fn run_batch<S, F>(
    n: usize,
    llr: &[f32],
    bits: &mut [u8],
    make_scratch: impl Fn() -> S + Sync,
    decode_frame: F,
) -> crate::DecodeStats
where
    F: Fn(&[f32], &mut [u8], &mut S) -> (u64, bool) + Sync,
{
    run_batch_groups(n, 1, llr, bits, make_scratch, |l, b, s| {
        let (iterations, valid) = decode_frame(l, b, s);
        crate::DecodeStats { frames: 1, iterations, valid_codewords: valid as u64 }
    })
}

/// The soft-output counterpart of [`run_batch`]: `decode_frame` decodes one frame's LLRs into its
/// posterior LLRs (same layout), frames in parallel, each worker with its own scratch.
pub fn run_batch_soft<S, F>(
    n: usize,
    llr: &[f32],
    posterior: &mut [f32],
    make_scratch: impl Fn() -> S + Sync + Send,
    decode_frame: F,
) -> crate::DecodeStats
where
    F: Fn(&[f32], &mut [f32], &mut S) -> crate::DecodeStats + Sync + Send,
{
    use rayon::prelude::*;
    assert!(llr.len().is_multiple_of(n) && posterior.len() == llr.len(), "soft output needs whole frames of n = {n}");
    llr.par_chunks(n)
        .zip(posterior.par_chunks_mut(n))
        .map_init(&make_scratch, |s, (l, p)| decode_frame(l, p, s))
        .reduce(crate::DecodeStats::default, |mut a, b| {
            a += b;
            a
        })
}

/// Like [`run_batch`] but hands `decode_group` up to `group` consecutive frames at a time (the
/// last group of a chunk may be shorter). Chunk boundaries are multiples of `group`.
pub fn run_batch_groups<S, F>(
    n: usize,
    group: usize,
    llr: &[f32],
    bits: &mut [u8],
    make_scratch: impl Fn() -> S + Sync,
    decode_group: F,
) -> crate::DecodeStats
where
    F: Fn(&[f32], &mut [u8], &mut S) -> crate::DecodeStats + Sync,
{
    use rayon::prelude::*;
    assert!(n > 0 && llr.len() % n == 0, "LLR buffer length {} is not a multiple of n = {n}", llr.len());
    assert_eq!(bits.len(), llr.len(), "output buffer must have the same length as the LLR buffer");
    let chunk = CHUNK_FRAMES.max(group) * n;
    let run_chunk = |(l, b): (&[f32], &mut [u8])| {
        let mut scratch = make_scratch();
        let mut stats = crate::DecodeStats::default();
        for (lf, bf) in l.chunks(group * n).zip(b.chunks_mut(group * n)) {
            stats += decode_group(lf, bf, &mut scratch);
        }
        stats
    };
    let sum = |mut a: crate::DecodeStats, b: crate::DecodeStats| {
        a += b;
        a
    };
    if llr.len() <= chunk || rayon::current_num_threads() == 1 {
        run_chunk((llr, bits))
    } else {
        llr.par_chunks(chunk).zip(bits.par_chunks_mut(chunk)).map(run_chunk).reduce(Default::default, sum)
    }
}
