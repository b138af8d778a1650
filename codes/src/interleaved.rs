//! Frame-interleaved min-sum: 8 frames decoded together, one per SIMD lane.
//!
//! Each edge message is an `[f32; 8]` holding the same edge of 8 different frames, so every
//! arithmetic step of the min-sum check update and the bit update is a plain loop over 8 lanes
//! that the compiler turns into vector instructions. Lanes never interact and every lane performs
//! exactly the operations, in the same order, as the one-frame decoders in `flooding.rs` /
//! `layered.rs`, so the results are bit-identical to them (a test checks this). Hard decisions
//! are packed one byte per lane into a `u64`, so a parity check of all 8 frames is a XOR of words.
//!
//! Lanes are refilled: as soon as a lane's frame is finished (valid codeword with early
//! termination, or the iteration limit) its hard decision is written out and the next frame of the
//! batch is loaded into that lane with fresh messages. So early termination saves work frame by
//! frame as in the one-frame decoders, instead of waiting for the slowest of 8 frames. Idle lanes
//! (batch exhausted) carry zeros; all messages are capped (see [`crate::tanner::LLR_CAP`]), so
//! nothing overflows.

use crate::check_rule::{MinSumCorrection, MinSumRule};
use crate::tanner::{sanitize_llr, TannerGraph, LLR_CAP};
use crate::DecodeStats;

pub const LANES: usize = 8;
type Lanes = [f32; LANES];
const SIGN: u32 = 0x8000_0000;

pub(crate) struct Scratch {
    llr: Vec<Lanes>,
    v2c: Vec<Lanes>,
    c2v: Vec<Lanes>,
    hard: Vec<u64>,
    t: Vec<Lanes>,
    new: Vec<Lanes>,
}

impl Scratch {
    pub(crate) fn new(g: &TannerGraph) -> Self {
        let z = [0f32; LANES];
        Scratch {
            llr: vec![z; g.n],
            v2c: vec![z; g.edges()],
            c2v: vec![z; g.edges()],
            hard: vec![0; g.n],
            t: vec![z; g.max_check_degree],
            new: vec![z; g.max_check_degree],
        }
    }
}

#[inline(always)]
fn check_update(rule: &MinSumRule, input: &[Lanes], output: &mut [Lanes]) {
    let mut min1 = [f32::INFINITY; LANES];
    let mut min2 = [f32::INFINITY; LANES];
    let mut at = [0u32; LANES];
    let mut signs = [0u32; LANES];
    for (i, x) in input.iter().enumerate() {
        for l in 0..LANES {
            let a = x[l].abs();
            signs[l] ^= x[l].to_bits() & SIGN;
            let smaller = a < min1[l];
            min2[l] = if smaller { min1[l] } else { min2[l].min(a) };
            at[l] = if smaller { i as u32 } else { at[l] };
            min1[l] = min1[l].min(a);
        }
    }
    let mut m1 = [0f32; LANES];
    let mut m2 = [0f32; LANES];
    // same arithmetic as MinSumRule::correct, with the match hoisted out of the lane loop
    match rule.0 {
        MinSumCorrection::Normalized(a) => {
            for l in 0..LANES {
                m1[l] = a * min1[l].min(LLR_CAP);
                m2[l] = a * min2[l].min(LLR_CAP);
            }
        }
        MinSumCorrection::Offset(b) => {
            for l in 0..LANES {
                m1[l] = (min1[l].min(LLR_CAP) - b).max(0.0);
                m2[l] = (min2[l].min(LLR_CAP) - b).max(0.0);
            }
        }
    }
    for (i, (o, x)) in output.iter_mut().zip(input).enumerate() {
        for l in 0..LANES {
            let mag = if at[l] == i as u32 { m2[l] } else { m1[l] };
            o[l] = f32::from_bits(mag.to_bits() | (signs[l] ^ (x[l].to_bits() & SIGN)));
        }
    }
}

#[inline(always)]
fn pack_hard(x: &Lanes) -> u64 {
    let mut h = 0u64;
    for (l, &v) in x.iter().enumerate() {
        h |= ((v < 0.0) as u64) << (8 * l);
    }
    h
}

/// Bit l set ⇔ lane l violates at least one check.
fn failing_lanes(g: &TannerGraph, hard: &[u64]) -> u8 {
    let mut any = 0u64;
    for c in 0..g.m {
        any |= g.edge_var[g.check_range(c)].iter().fold(0u64, |s, &v| s ^ hard[v as usize]);
    }
    let mut mask = 0u8;
    for l in 0..LANES {
        mask |= (((any >> (8 * l)) & 0xff != 0) as u8) << l;
    }
    mask
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flooding,
    /// `Scratch::llr` holds the posteriors.
    Layered,
}

/// Loads one frame (or zeros when `frame` is None) into lane `l` and resets its messages.
#[inline(always)]
fn reset_lane(g: &TannerGraph, kind: Kind, s: &mut Scratch, l: usize, frame: Option<&[f32]>) {
    let keep = !(0xffu64 << (8 * l));
    for v in 0..g.n {
        let x = frame.map_or(0.0, |f| sanitize_llr(f[v]));
        s.llr[v][l] = x;
        s.hard[v] = (s.hard[v] & keep) | (((x < 0.0) as u64) << (8 * l));
    }
    match kind {
        Kind::Flooding => {
            for (m, &v) in s.v2c.iter_mut().zip(&g.edge_var) {
                m[l] = s.llr[v as usize][l];
            }
        }
        Kind::Layered => {
            for m in s.c2v.iter_mut() {
                m[l] = 0.0;
            }
        }
    }
}

/// One iteration on all lanes.
#[inline(always)]
fn iterate(g: &TannerGraph, kind: Kind, rule: &MinSumRule, s: &mut Scratch) {
    match kind {
        Kind::Flooding => {
            for c in 0..g.m {
                let r = g.check_range(c);
                check_update(rule, &s.v2c[r.clone()], &mut s.c2v[r]);
            }
            for v in 0..g.n {
                let edges = &g.var_edges[g.var_range(v)];
                let mut total = s.llr[v];
                for &e in edges {
                    let m = &s.c2v[e as usize];
                    for l in 0..LANES {
                        total[l] += m[l];
                    }
                }
                for &e in edges {
                    let (out, m) = (&mut s.v2c[e as usize], &s.c2v[e as usize]);
                    for l in 0..LANES {
                        out[l] = total[l] - m[l];
                    }
                }
                s.hard[v] = pack_hard(&total);
            }
        }
        Kind::Layered => {
            for c in 0..g.m {
                let r = g.check_range(c);
                let d = r.len();
                let vars = &g.edge_var[r.clone()];
                let c2v = &mut s.c2v[r];
                for i in 0..d {
                    let p = &s.llr[vars[i] as usize];
                    for l in 0..LANES {
                        s.t[i][l] = p[l] - c2v[i][l];
                    }
                }
                check_update(rule, &s.t[..d], &mut s.new[..d]);
                for i in 0..d {
                    c2v[i] = s.new[i];
                    let p = &mut s.llr[vars[i] as usize];
                    for l in 0..LANES {
                        p[l] = s.t[i][l] + s.new[i][l];
                    }
                }
            }
            for (h, p) in s.hard.iter_mut().zip(&s.llr) {
                *h = pack_hard(p);
            }
        }
    }
}

const IDLE: usize = usize::MAX;

/// Which frame each lane holds and how many iterations it has run.
struct Lanes8<'a> {
    llr: &'a [f32],
    n: usize,
    next: usize,
    frame: [usize; LANES],
    iterations: [usize; LANES],
}

impl Lanes8<'_> {
    fn assign(&mut self, g: &TannerGraph, kind: Kind, s: &mut Scratch, l: usize) {
        let n = self.n;
        if self.next < self.llr.len() / n {
            reset_lane(g, kind, s, l, Some(&self.llr[self.next * n..(self.next + 1) * n]));
            self.frame[l] = self.next;
            self.next += 1;
        } else {
            reset_lane(g, kind, s, l, None);
            self.frame[l] = IDLE;
        }
        self.iterations[l] = 0;
    }
}

fn freeze(s: &Scratch, l: usize, f: usize, n: usize, bits: &mut [u8], stats: &mut DecodeStats, it: usize, valid: bool) {
    for (o, &h) in bits[f * n..(f + 1) * n].iter_mut().zip(&s.hard) {
        *o = ((h >> (8 * l)) & 1) as u8;
    }
    stats.iterations += it as u64;
    stats.valid_codewords += valid as u64;
}

/// Decodes every frame of `llr` (any count) through the 8 lanes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn decode_impl(
    g: &TannerGraph,
    kind: Kind,
    rule: &MinSumRule,
    iterations: usize,
    early: bool,
    llr: &[f32],
    bits: &mut [u8],
    s: &mut Scratch,
) -> DecodeStats {
    let n = g.n;
    let mut stats = DecodeStats { frames: (llr.len() / n) as u64, ..Default::default() };
    let mut lanes = Lanes8 { llr, n, next: 0, frame: [IDLE; LANES], iterations: [0; LANES] };
    for l in 0..LANES {
        lanes.assign(g, kind, s, l);
    }
    loop {
        // Freshly loaded frames that need no iteration: valid channel words under early
        // termination, or every frame when the iteration limit is 0.
        let fresh = |lanes: &Lanes8| (0..LANES).any(|l| lanes.frame[l] != IDLE && lanes.iterations[l] == 0);
        if (early || iterations == 0) && fresh(&lanes) {
            loop {
                let fail = failing_lanes(g, &s.hard);
                let mut refilled = false;
                for l in 0..LANES {
                    let f = lanes.frame[l];
                    let valid = fail & (1 << l) == 0;
                    if f != IDLE && lanes.iterations[l] == 0 && ((early && valid) || iterations == 0) {
                        freeze(s, l, f, n, bits, &mut stats, 0, valid);
                        lanes.assign(g, kind, s, l);
                        refilled = true;
                    }
                }
                if !refilled {
                    break;
                }
            }
        }
        if lanes.frame.iter().all(|&f| f == IDLE) {
            break;
        }
        iterate(g, kind, rule, s);
        let fail = failing_lanes(g, &s.hard);
        for l in 0..LANES {
            let f = lanes.frame[l];
            if f == IDLE {
                continue;
            }
            lanes.iterations[l] += 1;
            let valid = fail & (1 << l) == 0;
            if (early && valid) || lanes.iterations[l] >= iterations {
                freeze(s, l, f, n, bits, &mut stats, lanes.iterations[l], valid);
                lanes.assign(g, kind, s, l);
            }
        }
    }
    stats
}

macro_rules! dispatch {
    ($name:ident, $kind:expr) => {
        /// Decodes all frames of `llr`; uses an AVX2 build of the same code when the CPU has it
        /// (identical IEEE results: no fused operations are introduced).
        pub(crate) fn $name(
            g: &TannerGraph,
            rule: &MinSumRule,
            iterations: usize,
            early: bool,
            llr: &[f32],
            bits: &mut [u8],
            s: &mut Scratch,
        ) -> DecodeStats {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2(
                    g: &TannerGraph,
                    rule: &MinSumRule,
                    iterations: usize,
                    early: bool,
                    llr: &[f32],
                    bits: &mut [u8],
                    s: &mut Scratch,
                ) -> DecodeStats {
                    decode_impl(g, $kind, rule, iterations, early, llr, bits, s)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { avx2(g, rule, iterations, early, llr, bits, s) };
                }
            }
            decode_impl(g, $kind, rule, iterations, early, llr, bits, s)
        }
    };
}

dispatch!(flooding_batch, Kind::Flooding);
dispatch!(layered_batch, Kind::Layered);
