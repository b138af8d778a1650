//! Successive-cancellation (SC) and CRC-aided successive-cancellation list (CA-SCL) decoding of a
//! [`PolarCode`], LLR-based as in A. Balatsoukas-Stimming, M. Bastani Parizi and A. Burg,
//! "LLR-based successive cancellation list decoding of polar codes", IEEE Trans. Signal Process.
//! 63(19), 5165–5179, 2015:
//! - f(a, b) = sign(a)·sign(b)·min(|a|, |b|) (min-sum), g(a, b, β) = b + (1 − 2β)·a;
//! - path metric (their eq. (12), the hardware-friendly approximation of (10)):
//!   PM ← PM + |λ| when the bit chosen for a path disagrees with the sign of its leaf LLR λ;
//! - at each information bit every path forks, and the L forks of least metric survive (ties: the
//!   candidate that follows the leaf's hard decision, then the lower path slot); frozen bits are 0 on every path;
//! - at the end the paths are tried in increasing metric and the first whose K bits pass the CRC is
//!   returned (CA-SCL, I. Tal and A. Vardy 2015); if none passes, the best one.
//!
//! SC is a separate recursive implementation with the same f/g; it equals CA-SCL with L = 1 bit for
//! bit (tested). Both work on N LLRs after rate recovery ([`PolarCode::recover_llr`]: sanitized
//! inputs, punctured 0, shortened +cap), so NaN/inf never reach the arithmetic, and the LLRs stay
//! finite (at most N·cap in magnitude). Path state is copied when a path forks (no lazy copying):
//! per path N f32 LLRs, 2N partial-sum bytes and N decided bits.

use super::code::PolarCode;
use crate::{DecodeStats, Decoder};
use std::sync::Arc;

/// Largest list size accepted.
pub const MAX_LIST: usize = 64;

#[inline]
fn f_minsum(a: f32, b: f32) -> f32 {
    let m = a.abs().min(b.abs());
    if (a < 0.0) != (b < 0.0) {
        -m
    } else {
        m
    }
}

#[inline]
fn g_combine(a: f32, b: f32, beta: u8) -> f32 {
    if beta & 1 == 0 {
        b + a
    } else {
        b - a
    }
}

/// Which algorithm a [`PolarDecoder`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolarAlgorithm {
    /// Successive cancellation.
    Sc,
    /// (CRC-aided) successive-cancellation list with this list size (1..=[`MAX_LIST`]).
    Scl { list: usize },
}

/// A batched SC / CA-SCL decoder of one polar code. [`PolarDecoder::decode_info_batch`] returns
/// the A payload bits per frame; the [`Decoder`] impl writes the re-encoded E-bit codeword instead
/// (so the crate's BER/BLER harnesses work unchanged), and counts frames whose decision passes the
/// CRC as `valid_codewords`.
#[derive(Debug, Clone)]
pub struct PolarDecoder {
    code: Arc<PolarCode>,
    algo: PolarAlgorithm,
}

/// Per-thread working memory of a [`PolarDecoder`].
pub struct Scratch {
    llr_x: Vec<f32>,
    /// SC: N node LLRs; SCL: list × N (depths 1..=n of each path).
    alpha: Vec<f32>,
    /// SC: N partial sums; SCL: list × 2N.
    beta: Vec<u8>,
    /// Decided u bits, list × N.
    u: Vec<u8>,
    pm: Vec<f32>,
    /// (metric, disagrees with the leaf's hard decision, 2·path + bit).
    cand: Vec<(f32, bool, u32)>,
    keep: Vec<u8>,
    free: Vec<usize>,
    c: Vec<u8>,
    x: Vec<u8>,
}

impl PolarDecoder {
    pub fn new(code: Arc<PolarCode>, algo: PolarAlgorithm) -> Self {
        let algo = match algo {
            PolarAlgorithm::Scl { list } => PolarAlgorithm::Scl { list: list.clamp(1, MAX_LIST) },
            sc => sc,
        };
        PolarDecoder { code, algo }
    }
    pub fn sc(code: Arc<PolarCode>) -> Self {
        Self::new(code, PolarAlgorithm::Sc)
    }
    pub fn scl(code: Arc<PolarCode>, list: usize) -> Self {
        Self::new(code, PolarAlgorithm::Scl { list })
    }
    pub fn code(&self) -> &Arc<PolarCode> {
        &self.code
    }
    pub fn algorithm(&self) -> PolarAlgorithm {
        self.algo
    }

    pub fn scratch(&self) -> Scratch {
        let n = self.code.n();
        let list = match self.algo {
            PolarAlgorithm::Sc => 1,
            PolarAlgorithm::Scl { list } => list,
        };
        Scratch {
            llr_x: vec![0.0; n],
            alpha: vec![0.0; list * n],
            beta: vec![0; list * 2 * n],
            u: vec![0; list * n],
            pm: vec![0.0; list],
            cand: Vec::with_capacity(2 * list),
            keep: vec![0; list],
            free: Vec::with_capacity(list),
            c: vec![0; self.code.k()],
            x: vec![0; n],
        }
    }

    /// Decodes one frame of E channel LLRs into the A payload bits; returns whether the decision
    /// passes the CRC (always true without a CRC).
    pub fn decode_frame(&self, llr: &[f32], payload: &mut [u8], s: &mut Scratch) -> bool {
        let code = &*self.code;
        assert_eq!(payload.len(), code.a());
        code.recover_llr(llr, &mut s.llr_x);
        let path = match self.algo {
            PolarAlgorithm::Sc => {
                let n = code.n();
                sc_node(&s.llr_x, code.frozen(), &mut s.u[..n], &mut s.beta[..n], &mut s.alpha[..n]);
                0
            }
            PolarAlgorithm::Scl { list } => self.list_decode(list, s),
        };
        let n = code.n();
        let u = &s.u[path * n..(path + 1) * n];
        for (c, &q) in s.c.iter_mut().zip(code.info_positions()) {
            *c = u[q as usize];
        }
        payload.copy_from_slice(&s.c[..code.a()]);
        code.crc().check(&s.c)
    }

    /// Decodes `llr.len() / E` frames into `payload` (A bits per frame, back to back). Frames are
    /// split across rayon threads; the result does not depend on the thread count.
    pub fn decode_info_batch(&self, llr: &[f32], payload: &mut [u8]) -> DecodeStats {
        self.batch(llr, payload, self.code.a(), |d, l, out, s| d.decode_frame(l, out, s))
    }

    fn batch<F>(&self, llr: &[f32], out: &mut [u8], out_len: usize, frame: F) -> DecodeStats
    where
        F: Fn(&Self, &[f32], &mut [u8], &mut Scratch) -> bool + Sync,
    {
        use rayon::prelude::*;
        let e = self.code.e();
        assert_eq!(llr.len() % e, 0, "LLR buffer length {} is not a multiple of E = {e}", llr.len());
        let frames = llr.len() / e;
        assert_eq!(out.len(), frames * out_len, "output buffer must hold {frames} frames of {out_len} bits");
        const CHUNK: usize = 32;
        let run = |(l, o): (&[f32], &mut [u8])| {
            let mut s = self.scratch();
            let mut st = DecodeStats::default();
            for (lf, of) in l.chunks_exact(e).zip(o.chunks_exact_mut(out_len)) {
                st.frames += 1;
                st.valid_codewords += frame(self, lf, of, &mut s) as u64;
            }
            st
        };
        if frames <= CHUNK || rayon::current_num_threads() == 1 {
            run((llr, out))
        } else {
            llr.par_chunks(CHUNK * e).zip(out.par_chunks_mut(CHUNK * out_len)).map(run).reduce(
                DecodeStats::default,
                |mut a, b| {
                    a += b;
                    a
                },
            )
        }
    }

    /// CA-SCL on `s.llr_x`; returns the slot of the chosen path (its u bits in `s.u`).
    fn list_decode(&self, list: usize, s: &mut Scratch) -> usize {
        let code = &*self.code;
        let n = code.n();
        let levels = n.trailing_zeros() as usize;
        let frozen = code.frozen();
        let mut count = 1usize;
        s.pm[0] = 0.0;
        for i in 0..n {
            for p in 0..count {
                descend(&s.llr_x, &mut s.alpha[p * n..(p + 1) * n], &s.beta[p * 2 * n..(p + 1) * 2 * n], i, levels);
            }
            let leaf = |s: &Scratch, p: usize| s.alpha[p * n + n - 2];
            if frozen[i] {
                for p in 0..count {
                    let l = leaf(s, p);
                    if l < 0.0 {
                        s.pm[p] -= l;
                    }
                    s.u[p * n + i] = 0;
                    ascend(&mut s.beta[p * 2 * n..(p + 1) * 2 * n], 0, i, levels);
                }
                continue;
            }
            // Fork every path; candidate 2p + b = path p with bit b.
            s.cand.clear();
            for p in 0..count {
                let l = leaf(s, p);
                let (m0, m1) = if l < 0.0 { (s.pm[p] - l, s.pm[p]) } else { (s.pm[p], s.pm[p] + l) };
                s.cand.push((m0, l < 0.0, 2 * p as u32));
                s.cand.push((m1, l >= 0.0, 2 * p as u32 + 1));
            }
            let new_count = (2 * count).min(list);
            if 2 * count > list {
                // Equal metrics (e.g. a tiny |λ| lost against a large PM in f32): prefer the
                // candidate that follows the leaf's hard decision, as SC does.
                s.cand.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            }
            s.keep[..count].fill(0);
            // keep bit mask per path: bit 0 → keep "u=0", bit 1 → keep "u=1".
            for &(_, _, c) in &s.cand[..new_count] {
                s.keep[c as usize / 2] |= 1 << (c & 1);
            }
            // Metrics by candidate index (cand is possibly sorted; rebuild per path).
            let mut pm0 = [0f32; MAX_LIST];
            let mut pm1 = [0f32; MAX_LIST];
            for &(m, _, c) in &s.cand {
                if c & 1 == 0 {
                    pm0[c as usize / 2] = m;
                } else {
                    pm1[c as usize / 2] = m;
                }
            }
            s.free.clear();
            for p in (0..count).rev() {
                if s.keep[p] == 0 {
                    s.free.push(p);
                }
            }
            for q in (count..new_count).rev() {
                s.free.push(q);
            }
            for p in 0..count {
                match s.keep[p] {
                    0 => {}
                    1 | 2 => {
                        let b = s.keep[p] >> 1;
                        s.pm[p] = if b == 0 { pm0[p] } else { pm1[p] };
                        s.u[p * n + i] = b;
                        ascend(&mut s.beta[p * 2 * n..(p + 1) * 2 * n], b, i, levels);
                    }
                    _ => {
                        let q = s.free.pop().expect("a free slot for every forked path");
                        copy_path(s, p, q, n);
                        s.pm[p] = pm0[p];
                        s.pm[q] = pm1[p];
                        s.u[p * n + i] = 0;
                        s.u[q * n + i] = 1;
                        ascend(&mut s.beta[p * 2 * n..(p + 1) * 2 * n], 0, i, levels);
                        ascend(&mut s.beta[q * 2 * n..(q + 1) * 2 * n], 1, i, levels);
                    }
                }
            }
            debug_assert!(s.free.is_empty());
            count = new_count;
        }
        // Paths by increasing metric (ties: lower slot); first to pass the CRC wins.
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by(|&a, &b| s.pm[a].total_cmp(&s.pm[b]).then(a.cmp(&b)));
        let crc = code.crc();
        if crc.is_none() {
            return order[0];
        }
        for &p in &order {
            let u = &s.u[p * n..(p + 1) * n];
            for (c, &q) in s.c.iter_mut().zip(code.info_positions()) {
                *c = u[q as usize];
            }
            if crc.check(&s.c) {
                return p;
            }
        }
        order[0]
    }
}

fn copy_path(s: &mut Scratch, from: usize, to: usize, n: usize) {
    s.alpha.copy_within(from * n..(from + 1) * n, to * n);
    s.beta.copy_within(from * 2 * n..(from + 1) * 2 * n, to * 2 * n);
    s.u.copy_within(from * n..(from + 1) * n, to * n);
}

/// Offset of depth d ≥ 1 in a path's LLR buffer (size N >> d; the leaf, d = n, is at N − 2).
#[inline]
fn alpha_off(n: usize, d: usize) -> usize {
    n - (n >> (d - 1))
}

/// Offset of depth d in a path's partial-sum buffer (size N >> d).
#[inline]
fn beta_off(n: usize, d: usize) -> usize {
    2 * n - 2 * (n >> d)
}

/// Computes the LLRs from the deepest node leaf `i` shares with leaf `i − 1` down to leaf `i`
/// (at `alpha[n − 2]`): one g step into the right child, then f steps.
fn descend(llr: &[f32], alpha: &mut [f32], beta: &[u8], i: usize, levels: usize) {
    let n = llr.len();
    let mut d = if i == 0 { 1 } else { levels - i.trailing_zeros() as usize };
    if i != 0 {
        let s = n >> d;
        let left = &beta[beta_off(n, d - 1)..beta_off(n, d - 1) + s];
        let (parent, child) = if d == 1 {
            (&llr[..], &mut alpha[..s])
        } else {
            let (lo, hi) = alpha.split_at_mut(alpha_off(n, d));
            (&lo[alpha_off(n, d - 1)..], &mut hi[..s])
        };
        for j in 0..s {
            child[j] = g_combine(parent[j], parent[j + s], left[j]);
        }
        d += 1;
    }
    while d <= levels {
        let s = n >> d;
        let (parent, child) = if d == 1 {
            (&llr[..], &mut alpha[..s])
        } else {
            let (lo, hi) = alpha.split_at_mut(alpha_off(n, d));
            (&lo[alpha_off(n, d - 1)..], &mut hi[..s])
        };
        for j in 0..s {
            child[j] = f_minsum(parent[j], parent[j + s]);
        }
        d += 1;
    }
}

/// Records the decision `bit` on leaf `i` in the partial sums: it goes into its parent's buffer;
/// every node it completes (a right child) is combined into [l ⊕ r, r] and passed up.
fn ascend(beta: &mut [u8], bit: u8, i: usize, levels: usize) {
    let n = beta.len() / 2;
    let mut d = levels;
    loop {
        let parent = d - 1;
        let s = n >> d;
        let h = (i >> (levels - d)) & 1;
        let po = beta_off(n, parent);
        if d == levels {
            beta[po + h] = bit;
        } else {
            let co = beta_off(n, d);
            beta.copy_within(co..co + s, po + h * s);
        }
        if h == 0 || parent == 0 {
            break;
        }
        for j in 0..s {
            beta[po + j] ^= beta[po + s + j];
        }
        d = parent;
    }
}

/// Recursive SC on one node: `alpha` its LLRs (length 2^m), `frozen` and `u` its leaves, `beta` its
/// re-encoded bits on return, `buf` ≥ len(alpha) scratch for the children's LLRs.
fn sc_node(alpha: &[f32], frozen: &[bool], u: &mut [u8], beta: &mut [u8], buf: &mut [f32]) {
    let len = alpha.len();
    if len == 1 {
        let b = if frozen[0] { 0 } else { (alpha[0] < 0.0) as u8 };
        u[0] = b;
        beta[0] = b;
        return;
    }
    let m = len / 2;
    let (child, rest) = buf.split_at_mut(m);
    for j in 0..m {
        child[j] = f_minsum(alpha[j], alpha[j + m]);
    }
    let (bl, br) = beta.split_at_mut(m);
    let (ul, ur) = u.split_at_mut(m);
    sc_node(child, &frozen[..m], ul, bl, rest);
    for j in 0..m {
        child[j] = g_combine(alpha[j], alpha[j + m], bl[j]);
    }
    sc_node(child, &frozen[m..], ur, br, rest);
    for j in 0..m {
        bl[j] ^= br[j];
    }
}

impl Decoder for PolarDecoder {
    /// `SC`, `SCL-8` (no CRC) or `CA-SCL-8`.
    fn name(&self) -> String {
        match self.algo {
            PolarAlgorithm::Sc => "SC".into(),
            PolarAlgorithm::Scl { list } if self.code.crc().is_none() => format!("SCL-{list}"),
            PolarAlgorithm::Scl { list } => format!("CA-SCL-{list}"),
        }
    }

    fn n(&self) -> usize {
        self.code.e()
    }

    /// Writes the re-encoded E-bit codeword of each frame's decision.
    fn decode_batch(&self, llr: &[f32], bits: &mut [u8]) -> DecodeStats {
        let (a, e) = (self.code.a(), self.code.e());
        self.batch(llr, bits, e, |d, l, out, s| {
            let mut payload = [0u8; 1024];
            let ok = d.decode_frame(l, &mut payload[..a], s);
            let (mut c, mut x) = (std::mem::take(&mut s.c), std::mem::take(&mut s.x));
            d.code.encode_with(&payload[..a], out, &mut c, &mut x);
            (s.c, s.x) = (c, x);
            ok
        })
    }
}
