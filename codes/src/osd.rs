//! Ordered-statistics decoding (OSD) of any binary linear code, orders 0–3: a near-maximum-
//! likelihood soft-decision decoder (M. P. C. Fossorier and S. Lin, "Soft-decision decoding of
//! linear block codes based on ordered statistics", IEEE Trans. Inf. Theory 41(5), 1379–1396, 1995).
//!
//! Per frame:
//! 1. Sort the n positions by decreasing reliability |LLR|.
//! 2. Gaussian elimination of the code's generator with its columns in that order: the first k
//!    linearly independent columns are the *most reliable basis* (MRB); the result is a
//!    systematic generator G' on the MRB (dependent columns are skipped, so this works for any
//!    code given by H, redundant rows and all).
//! 3. Order 0: re-encode the hard decisions on the MRB. Order i: also every pattern of up to i
//!    flips on the MRB. Every candidate c is scored by its correlation discrepancy
//!    `D(c) = Σ_{j : c_j ≠ hard_j} |L_j|`; minimum D is maximum likelihood among the candidates
//!    (for BPSK on AWGN, and for any symmetric channel given exact LLRs).
//! 4. Output the candidate with least D.
//!
//! Stopping rules (both exact: they never drop the candidate that full order-i reprocessing would
//! pick, so the output equals plain order-i OSD up to ties):
//! - If the best discrepancy is 0 (the hard decision is a codeword), nothing can beat it: stop.
//! - MRB flips are tried in increasing order of reliability, so each flip set's own cost
//!   `Σ_{flipped} |L_j|` only grows along a loop: once it reaches the best D found so far, no
//!   candidate with that prefix (nor any later one in the loop) can win and the loop is cut
//!   (the "necessary condition" on the MRB part in the spirit of Fossorier & Lin §V). The parity
//!   part of D is summed with the same cut-off.
//!
//! **Listing** ([`crate::Decoder::list_frame`]: the `max` candidates of least D, best first) cuts
//! the same way at the list's last entry once it holds `max` (a candidate that costs as much is
//! not listed), so it lists exactly what scoring every candidate would, and searches past a
//! zero-cost decision for the runners-up.
//!
//! **Soft output** ([`crate::Decoder::decode_batch_soft`]): the max-log posterior of each bit from
//! the list of candidates, as in soft-output OSD (M. P. C. Fossorier and S. Lin, "Soft-input
//! soft-output decoding of linear block codes based on ordered statistics", Proc. IEEE Globecom
//! 1998) and Chase–Pyndiah decoding (R. M. Pyndiah, "Near-optimum decoding of product codes: block
//! turbo codes", IEEE Trans. Commun. 46(8), 1998). Since −D(c) is a codeword's log-likelihood up to
//! a constant, bit j of the decision ĉ gets `|L_j| = min{D(c) : c_j ≠ ĉ_j} − D(ĉ)`, the minimum
//! over the order-i candidates. The soft pass scores every candidate (no cut-off, so order 2 on
//! k = 24 scores all 301); its decision is the same first least-discrepancy candidate as the hard
//! pass. A bit no candidate contradicts gets the largest gap found, or its channel |LLR| if that
//! is larger (no candidate at all: order 0, or k = 0). Where the order reaches k every codeword is
//! a candidate and the output is the exact max-log APP (tested against a brute force). This is
//! what lets a list receiver run on OSD's decisions: without it a failed block gives it nothing
//! to rank alternatives by.
//!
//! Inputs are sanitized as in the BP decoders (NaN → 0, ±inf → ±1e4), and ties in reliability are
//! broken by position, so any input (all zeros, NaN, inf) decodes deterministically to a codeword.
//! All buffers live in a per-thread scratch made once per chunk of frames: nothing is allocated per
//! frame.

use crate::tanner::{run_batch, run_batch_soft, sanitize_llr};
use crate::{DecodeStats, LdpcCode, ListedCodeword};
use std::sync::Arc;

/// Highest supported reprocessing order.
pub const MAX_ORDER: usize = 3;

#[derive(Debug, Clone)]
pub struct OsdDecoder {
    n: usize,
    k: usize,
    order: usize,
    /// Words per packed length-n row.
    nw: usize,
    /// Generator columns: column c of G as k bits packed in `kw` words, at `gcols[c*kw..]`.
    kw: usize,
    gcols: Vec<u64>,
}

/// Per-thread working memory.
pub struct Scratch {
    llr: Vec<f32>,
    rel: Vec<f32>,
    perm: Vec<u32>,
    /// k rows × nw words: the generator with permuted columns, reduced in place to G', then
    /// restricted to the parity positions.
    g: Vec<u64>,
    /// Permuted column index of each MRB row's pivot (decreasing reliability).
    pivots: Vec<u32>,
    is_pivot: Vec<bool>,
    /// Permuted positions outside the MRB, in order.
    parity_pos: Vec<u32>,
    /// Reliability of each permuted position.
    rel_perm: Vec<f32>,
    /// Parity positions as a bit mask over permuted positions (nw words).
    mask: Vec<u64>,
    /// Parity mismatch of the order-0 codeword against the hard decisions (nw words).
    base: Vec<u64>,
    /// Reliability of each MRB row's position (k).
    mrb_rel: Vec<f32>,
    /// Work vectors: partial XORs for nested flip loops (3 × nw words).
    acc: Vec<u64>,
    hard: Vec<u8>,
    best_flips: [usize; MAX_ORDER],
    best_count: usize,
    /// Soft pass, per permuted position: the least discrepancy of a candidate whose bit there
    /// agrees with (`same`) or differs from (`differ`) the hard decision.
    same: Vec<f32>,
    differ: Vec<f32>,
}

impl OsdDecoder {
    /// Order-`order` OSD of `code` (orders above [`MAX_ORDER`] are clamped to it).
    pub fn new(code: &Arc<LdpcCode>, order: usize) -> Self {
        let (n, k) = (code.n(), code.k());
        let kw = k.div_ceil(64).max(1);
        let g = code.generator();
        let mut gcols = vec![0u64; n * kw];
        for r in 0..k {
            for c in 0..n {
                if g.get(r, c) {
                    gcols[c * kw + r / 64] |= 1 << (r % 64);
                }
            }
        }
        OsdDecoder { n, k, order: order.min(MAX_ORDER), nw: n.div_ceil(64), kw, gcols }
    }

    pub fn order(&self) -> usize {
        self.order
    }

    pub fn scratch(&self) -> Scratch {
        let (n, k) = (self.n, self.k);
        let pw = self.nw;
        Scratch {
            llr: vec![0.0; n],
            rel: vec![0.0; n],
            perm: (0..n as u32).collect(),
            g: vec![0; k * self.nw],
            pivots: Vec::with_capacity(k),
            is_pivot: vec![false; n],
            parity_pos: Vec::with_capacity(n),
            rel_perm: vec![0.0; n],
            mask: vec![0; pw],
            base: vec![0; pw],
            mrb_rel: vec![0.0; k],
            acc: vec![0; MAX_ORDER * pw],
            hard: vec![0; n],
            best_flips: [0; MAX_ORDER],
            best_count: 0,
            same: vec![0.0; n],
            differ: vec![0.0; n],
        }
    }

    /// Decodes one frame into `out` (n bits, original order). Returns the number of candidate
    /// codewords scored.
    pub fn decode_frame(&self, input: &[f32], out: &mut [u8], s: &mut Scratch) -> u64 {
        self.decode_frame_dispatch(input, out, None, None, s)
    }

    /// Like [`OsdDecoder::decode_frame`], also writing each bit's max-log posterior LLR (positive:
    /// 0; its sign is the decision in `out`) to `posterior`, from every order-i candidate (see the
    /// module docs).
    pub fn decode_frame_soft(&self, input: &[f32], out: &mut [u8], posterior: &mut [f32], s: &mut Scratch) -> u64 {
        self.decode_frame_dispatch(input, out, Some(posterior), None, s)
    }

    /// Like [`OsdDecoder::decode_frame`], also listing the `max` candidates of least discrepancy,
    /// best first (see [`crate::Decoder::list_frame`]); the first is the decision in `out`.
    pub fn decode_frame_list(&self, input: &[f32], out: &mut [u8], max: usize, s: &mut Scratch) -> Vec<ListedCodeword> {
        let mut list = TopList { max: max.max(1), entries: Vec::new() };
        self.decode_frame_dispatch(input, out, None, Some(&mut list), s);
        list.entries.iter().map(|e| ListedCodeword { bits: s.rebuild(&e.flips[..e.count]), discrepancy: e.d }).collect()
    }

    fn decode_frame_dispatch(
        &self,
        input: &[f32],
        out: &mut [u8],
        posterior: Option<&mut [f32]>,
        list: Option<&mut TopList>,
        s: &mut Scratch,
    ) -> u64 {
        // Codes up to n = 128 get a copy with the row length (in words) known at compile time,
        // which lets the row operations unroll; the result is the same.
        match self.nw {
            1 => self.decode_frame_words::<1>(input, out, posterior, list, s),
            2 => self.decode_frame_words::<2>(input, out, posterior, list, s),
            _ => self.decode_frame_words::<0>(input, out, posterior, list, s),
        }
    }

    /// `W` = words per row if known at compile time, 0 otherwise.
    fn decode_frame_words<const W: usize>(
        &self,
        input: &[f32],
        out: &mut [u8],
        posterior: Option<&mut [f32]>,
        mut list: Option<&mut TopList>,
        s: &mut Scratch,
    ) -> u64 {
        let nw = if W > 0 { W } else { self.nw };
        let (n, k) = (self.n, self.k);
        assert_eq!(input.len(), n);
        assert_eq!(out.len(), n);
        for j in 0..n {
            let l = sanitize_llr(input[j]);
            s.llr[j] = l;
            s.rel[j] = l.abs();
            s.hard[j] = (l < 0.0) as u8;
        }
        if k == 0 {
            out.fill(0);
            s.pivots.clear();
            s.perm.clear();
            s.perm.extend(0..n as u32);
            s.parity_pos.clear();
            s.parity_pos.extend(0..n as u32);
            // The zero word's mismatch against the hard decisions: the hard decisions.
            s.base.fill(0);
            for (j, &h) in s.hard.iter().enumerate() {
                s.base[j / 64] |= u64::from(h) << (j % 64);
            }
            if let Some(l) = list {
                l.offer(s.rel.iter().zip(&s.hard).map(|(&r, &h)| r * f32::from(h)).sum(), &[]);
            }
            if let Some(p) = posterior {
                // The zero word is the only codeword; nothing contradicts it.
                for (p, &r) in p.iter_mut().zip(&s.rel) {
                    *p = r.max(MIN_RELIABILITY);
                }
            }
            return 1;
        }
        // 1. Reliability order (stable: ties keep position order).
        for (j, p) in s.perm.iter_mut().enumerate() {
            *p = j as u32;
        }
        let rel = &s.rel;
        s.perm.sort_by(|&a, &b| rel[b as usize].total_cmp(&rel[a as usize]));

        // 2. Permuted generator, then Gauss–Jordan until k pivots.
        s.g.fill(0);
        let kw = self.kw;
        for (j, &c) in s.perm.iter().enumerate() {
            let col = &self.gcols[c as usize * kw..(c as usize + 1) * kw];
            for (w, &bits) in col.iter().enumerate() {
                let mut b = bits;
                while b != 0 {
                    let r = w * 64 + b.trailing_zeros() as usize;
                    b &= b - 1;
                    s.g[r * nw + j / 64] |= 1 << (j % 64);
                }
            }
        }
        s.pivots.clear();
        s.is_pivot.fill(false);
        let g = &mut s.g[..];
        for j in 0..n {
            let rank = s.pivots.len();
            if rank == k {
                break;
            }
            let (word, bit) = (j / 64, 1u64 << (j % 64));
            let Some(p) = (rank..k).find(|&r| g[r * nw + word] & bit != 0) else { continue };
            if p != rank {
                for w in 0..nw {
                    g.swap(p * nw + w, rank * nw + w);
                }
            }
            let (head, tail) = g.split_at_mut(rank * nw);
            let (pivot_row, tail) = tail.split_at_mut(nw);
            for row in head.chunks_exact_mut(nw).chain(tail.chunks_exact_mut(nw)) {
                if row[word] & bit != 0 {
                    for (x, &y) in row.iter_mut().zip(pivot_row.iter()) {
                        *x ^= y;
                    }
                }
            }
            s.pivots.push(j as u32);
            s.is_pivot[j] = true;
        }
        debug_assert_eq!(s.pivots.len(), k, "generator rows are independent");

        // Restrict each row of G' to the parity positions (clear the MRB columns, where G' is the
        // identity), in place: candidates then live in permuted-position space, nw words each.
        s.parity_pos.clear();
        s.base.fill(0);
        for j in 0..n {
            let orig = s.perm[j] as usize;
            s.rel_perm[j] = s.rel[orig];
            if !s.is_pivot[j] {
                s.parity_pos.push(j as u32);
                // `base` = parity mismatch of the order-0 codeword against the hard decisions;
                // start from the hard decisions on the parity positions.
                s.base[j / 64] |= (s.hard[orig] as u64) << (j % 64);
            }
        }
        s.mask.fill(0);
        for &j in &s.parity_pos {
            s.mask[j as usize / 64] |= 1 << (j % 64);
        }
        for row in s.g.chunks_exact_mut(nw) {
            for (x, &m) in row.iter_mut().zip(&s.mask) {
                *x &= m;
            }
        }
        let pw = nw;
        // 3. Order 0: re-encode the MRB hard decisions.
        for (r, &j) in s.pivots.iter().enumerate() {
            if s.hard[s.perm[j as usize] as usize] == 1 {
                for w in 0..pw {
                    s.base[w] ^= s.g[r * pw + w];
                }
            }
        }
        let best = parity_cost(&s.base, f32::INFINITY, &s.rel_perm);
        s.best_count = 0;
        let mut candidates = 1u64;
        let soft = posterior.is_some();
        if let Some(l) = list.as_deref_mut() {
            l.offer(best, &[]);
        }
        // The soft pass scores every candidate (no cut-off); listing searches past a zero-cost
        // decision, for the runners-up.
        let exhaustive = soft || list.is_some();
        if soft {
            s.same.fill(f32::INFINITY);
            s.differ.fill(f32::INFINITY);
            tally(&mut s.same, &mut s.differ, best, &[], &s.pivots, &s.parity_pos, &s.base);
        }

        // Order-i reprocessing over MRB flips, least reliable MRB positions first: MRB row r has
        // reliability rel[perm[pivots[r]]], and pivots come in decreasing reliability.
        let mut best_d = best;
        if self.order >= 1 && (best > 0.0 || exhaustive) {
            for r in 0..k {
                s.mrb_rel[r] = s.rel[s.perm[s.pivots[r] as usize] as usize];
            }
            let mut search = Search {
                order: self.order,
                pw,
                g: &s.g,
                mrb_rel: &s.mrb_rel,
                rel_perm: &s.rel_perm,
                best,
                flips: [0; MAX_ORDER],
                best_flips: [0; MAX_ORDER],
                best_count: 0,
                candidates: 0,
                soft: soft.then_some(SoftTally {
                    pivots: &s.pivots,
                    parity_pos: &s.parity_pos,
                    same: &mut s.same,
                    differ: &mut s.differ,
                }),
                list,
            };
            search.run(0, k, 0.0, &s.base, &mut s.acc);
            candidates += search.candidates;
            s.best_flips = search.best_flips;
            s.best_count = search.best_count;
            best_d = search.best;
        }

        // 4. Rebuild the winner.
        let flips = s.best_flips;
        s.rebuild_into(&flips[..s.best_count], out);
        if let Some(p) = posterior {
            // The least discrepancy of a candidate that contradicts the decision, less the
            // decision's own: the max-log LLR's magnitude.
            let gap = |j: usize, orig: usize| {
                let contradicts = if out[orig] == s.hard[orig] { s.differ[j] } else { s.same[j] };
                contradicts - best_d
            };
            let largest = (0..n).map(|j| gap(j, s.perm[j] as usize)).filter(|g| g.is_finite()).fold(0.0f32, f32::max);
            for j in 0..n {
                let orig = s.perm[j] as usize;
                let g = gap(j, orig);
                let magnitude = if g.is_finite() { g } else { largest.max(s.rel[orig]) };
                // A tie (gap 0) keeps the decision's sign.
                let magnitude = magnitude.max(MIN_RELIABILITY);
                p[orig] = if out[orig] == 0 { magnitude } else { -magnitude };
            }
        }
        candidates
    }

    /// Like [`crate::Decoder::decode_batch`], also returning the number of candidates scored.
    pub fn decode_batch_counting(&self, llr: &[f32], bits: &mut [u8]) -> (DecodeStats, u64) {
        let counted = std::sync::atomic::AtomicU64::new(0);
        let stats = run_batch(
            self.n,
            llr,
            bits,
            || self.scratch(),
            |l, b, s| {
                let c = self.decode_frame(l, b, s);
                counted.fetch_add(c, std::sync::atomic::Ordering::Relaxed);
                (0, true)
            },
        );
        (stats, counted.into_inner())
    }
}

impl crate::Decoder for OsdDecoder {
    fn name(&self) -> String {
        format!("OSD-{}", self.order)
    }

    fn n(&self) -> usize {
        self.n
    }

    fn decode_batch(&self, llr: &[f32], bits: &mut [u8]) -> DecodeStats {
        self.decode_batch_counting(llr, bits).0
    }

    fn always_decides_codewords(&self) -> bool {
        true
    }

    fn list_frame(&self, llr: &[f32], max: usize) -> Option<Vec<ListedCodeword>> {
        let mut out = vec![0u8; self.n];
        Some(self.decode_frame_list(llr, &mut out, max, &mut self.scratch()))
    }

    fn decode_batch_soft(&self, llr: &[f32], posterior: &mut [f32]) -> Option<DecodeStats> {
        let n = self.n;
        Some(run_batch_soft(
            n,
            llr,
            posterior,
            || (self.scratch(), vec![0u8; n]),
            |l, p, (s, bits)| {
                self.decode_frame_soft(l, bits, p, s);
                DecodeStats { frames: 1, iterations: 0, valid_codewords: 1 }
            },
        ))
    }
}

/// The `max` candidates of least discrepancy seen so far, best first; ties keep the order they
/// were offered in (order 0 first, then the search's order), so the first is the decision.
struct TopList {
    max: usize,
    entries: Vec<TopEntry>,
}

struct TopEntry {
    d: f32,
    flips: [usize; MAX_ORDER],
    count: usize,
}

impl TopList {
    /// What a candidate must cost less than to be listed: the last entry's discrepancy once the
    /// list is full.
    fn bound(&self) -> f32 {
        match self.entries.last() {
            Some(last) if self.entries.len() == self.max => last.d,
            _ => f32::INFINITY,
        }
    }

    fn offer(&mut self, d: f32, flips: &[usize]) {
        if self.entries.len() == self.max && self.entries.last().is_some_and(|w| w.d <= d) {
            return;
        }
        let at = self.entries.partition_point(|e| e.d <= d);
        let mut entry = TopEntry { d, flips: [0; MAX_ORDER], count: flips.len() };
        entry.flips[..flips.len()].copy_from_slice(flips);
        self.entries.insert(at, entry);
        self.entries.truncate(self.max);
    }
}

impl Scratch {
    /// The candidate of the frame last decoded that flips MRB rows `flips`: MRB bits = hard
    /// decisions with the flips, parity bits = hard decisions ^ (order-0 mismatch ^ the flipped
    /// rows of G'), written to `out` in the code's order.
    fn rebuild_into(&mut self, flips: &[usize], out: &mut [u8]) {
        let pw = self.base.len();
        for (r, &j) in self.pivots.iter().enumerate() {
            let orig = self.perm[j as usize] as usize;
            out[orig] = self.hard[orig] ^ flips.contains(&r) as u8;
        }
        self.acc[..pw].copy_from_slice(&self.base);
        for &r in flips {
            for w in 0..pw {
                self.acc[w] ^= self.g[r * pw + w];
            }
        }
        for &j in &self.parity_pos {
            let (j, orig) = (j as usize, self.perm[j as usize] as usize);
            out[orig] = self.hard[orig] ^ ((self.acc[j / 64] >> (j % 64)) & 1) as u8;
        }
    }

    fn rebuild(&mut self, flips: &[usize]) -> Vec<u8> {
        let mut out = vec![0u8; self.hard.len()];
        self.rebuild_into(flips, &mut out);
        out
    }
}

/// The least magnitude of a soft output, so that its sign always carries the decision (a gap of 0,
/// two candidates tied, would otherwise read as bit 0).
const MIN_RELIABILITY: f32 = 1e-6;

/// The soft pass's per-position minima (see [`Scratch::same`]) and what maps a candidate onto them.
struct SoftTally<'a> {
    pivots: &'a [u32],
    parity_pos: &'a [u32],
    same: &'a mut [f32],
    differ: &'a mut [f32],
}

/// Records a candidate of discrepancy `d` whose bits differ from the hard decisions on the MRB rows
/// `flips` and on the parity positions set in `mismatch` (permuted positions).
fn tally(
    same: &mut [f32],
    differ: &mut [f32],
    d: f32,
    flips: &[usize],
    pivots: &[u32],
    parity_pos: &[u32],
    mismatch: &[u64],
) {
    for (r, &j) in pivots.iter().enumerate() {
        let slot = if flips.contains(&r) { &mut differ[j as usize] } else { &mut same[j as usize] };
        *slot = slot.min(d);
    }
    for &j in parity_pos {
        let j = j as usize;
        let slot = if (mismatch[j / 64] >> (j % 64)) & 1 == 1 { &mut differ[j] } else { &mut same[j] };
        *slot = slot.min(d);
    }
}

/// `Σ prel[j]` over the set bits j of `v`; may stop early once the sum reaches `limit`.
fn parity_cost(v: &[u64], limit: f32, prel: &[f32]) -> f32 {
    let mut sum = 0.0f32;
    for (w, &word) in v.iter().enumerate() {
        let mut b = word;
        while b != 0 {
            let q = w * 64 + b.trailing_zeros() as usize;
            b &= b - 1;
            sum += prel[q];
        }
        if sum >= limit {
            return sum;
        }
    }
    sum
}

/// Depth-first reprocessing over flip sets of up to `order` MRB rows, each set in decreasing row
/// index (increasing reliability), with the exact cut-off described in the module docs.
struct Search<'a> {
    order: usize,
    pw: usize,
    g: &'a [u64],
    mrb_rel: &'a [f32],
    rel_perm: &'a [f32],
    best: f32,
    flips: [usize; MAX_ORDER],
    best_flips: [usize; MAX_ORDER],
    best_count: usize,
    candidates: u64,
    /// The soft pass: every candidate is scored in full (no cut-off) and tallied.
    soft: Option<SoftTally<'a>>,
    /// Listing: candidates are offered to the list, cut off at its last entry once it is full.
    list: Option<&'a mut TopList>,
}

impl Search<'_> {
    /// What a candidate must cost less than to count: the best so far, or when listing the list's
    /// last entry once it is full (a candidate that costs as much is not listed); none for the soft
    /// pass, which tallies every candidate.
    fn bound(&self) -> f32 {
        match (&self.soft, &self.list) {
            (Some(_), _) => f32::INFINITY,
            (None, Some(l)) => l.bound(),
            (None, None) => self.best,
        }
    }

    /// Adds one more flip (number `level`) among rows `0..upto` to a set costing `cost` whose
    /// parity mismatch is `prev`; `accs` holds the work vectors of this and deeper levels.
    fn run(&mut self, level: usize, upto: usize, cost: f32, prev: &[u64], accs: &mut [u64]) {
        let pw = self.pw;
        let (cur, deeper) = accs.split_at_mut(pw);
        for r in (0..upto).rev() {
            let c = cost + self.mrb_rel[r];
            // Exact: c only grows along the loop and deeper, and a candidate costs at least c.
            let bound = self.bound();
            if c >= bound {
                break;
            }
            for w in 0..pw {
                cur[w] = prev[w] ^ self.g[r * pw + w];
            }
            self.candidates += 1;
            self.flips[level] = r;
            let d = c + parity_cost(cur, bound - c, self.rel_perm);
            if let Some(t) = &mut self.soft {
                tally(t.same, t.differ, d, &self.flips[..=level], t.pivots, t.parity_pos, cur);
            }
            if let Some(l) = &mut self.list {
                l.offer(d, &self.flips[..=level]);
            }
            if d < self.best {
                self.best = d;
                self.best_flips = self.flips;
                self.best_count = level + 1;
            }
            if level + 1 < self.order {
                self.run(level + 1, r, c, cur, deeper);
            }
        }
    }
}
