//! A 5G NR polar code (3GPP TS 38.212 §5.3.1 and §5.4.1) for a payload of A bits sent in E coded
//! bits: CRC attachment (K = A + L), mother code length N, frozen set from the reliability
//! sequence with rate matching taken into account, encoding x = u·G_N (G_N = F^{⊗n}, F = [1 0; 1 1],
//! non-systematic), sub-block interleaving and bit selection (repetition, puncturing or
//! shortening), optionally the coded-bit interleaver of §5.4.1.3 (I_BIL = 1, as on the uplink:
//! [`PolarCode::with_coded_bit_interleaving`]), and the inverse rate recovery of LLRs for the
//! decoder.
//!
//! The coded-bit interleaver writes the E bits row by row into a triangle of T rows (row i holds
//! T − i bits, T the smallest with T(T+1)/2 ≥ E) and reads them column by column, so neighbours
//! in a row are sent T − j places apart (j their column) and a stretch of bit selection's output
//! is scattered over the whole transmission. On a memoryless channel it changes nothing in
//! distribution; on block fading it spreads each stretch of the mother codeword over the blocks
//! instead of leaving it under one gain (tested: 49 bits in a row of E = 283 meet at least 4 of
//! its 6 blocks of 49).
//!
//! Left out on purpose (none of them changes the BLER on a memoryless BPSK/AWGN channel, or they
//! apply to other payload sizes): the 3 parity-check bits of PC-polar (uplink, 12 ≤ A ≤ 19), the
//! input-bit interleaver and RNTI scrambling of downlink control (CRC-24C is offered without
//! them), and code-block segmentation.

use super::crc::Crc;
use super::sequence::NR_RELIABILITY;
use crate::error::CodeError;
use std::path::Path;

/// Largest mother code length (TS 38.212: n_max = 10 for uplink control).
pub const N_MAX: usize = 1024;
/// Smallest mother code length (n_min = 5).
pub const N_MIN: usize = 32;
/// Largest rate-matched length accepted (TS 38.212 caps E at 8192 for uplink control).
pub const E_MAX: usize = 8192;

/// How the N mother-code bits become E transmitted bits (TS 38.212 §5.4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateMatching {
    /// E = N: every bit sent once.
    None,
    /// E > N: bit k sent is y_{k mod N}.
    Repetition,
    /// E < N and K/E ≤ 7/16: the first N − E interleaved bits are not sent (decoder LLR 0).
    Puncturing,
    /// E < N and K/E > 7/16: the last N − E interleaved bits are not sent; they are always 0
    /// (decoder LLR +∞), which the frozen set guarantees.
    Shortening,
}

/// Sub-block interleaver pattern P(i) of TS 38.212 Table 5.4.1.1-1.
pub const SUBBLOCK_PATTERN: [usize; 32] = [
    0, 1, 2, 4, 3, 5, 6, 7, 8, 16, 9, 17, 10, 18, 11, 19, 12, 20, 13, 21, 14, 22, 15, 23, 24, 25, 26, 28, 27, 29, 30,
    31,
];

/// Mother code length for K bits (CRC included) sent in E bits, TS 38.212 §5.3.1 with
/// n_max = 10 and R_min = 1/8.
pub fn mother_length(k: usize, e: usize) -> usize {
    let ceil_log2 = |x: usize| usize::BITS - (x.max(1) - 1).leading_zeros();
    let c = ceil_log2(e);
    // n1 = ⌈log2 E⌉ − 1 if E ≤ (9/8)·2^(⌈log2 E⌉−1) and K/E < 9/16, else ⌈log2 E⌉.
    let n1 = if c >= 1 && 8 * e <= 9 << (c - 1) && 16 * k < 9 * e { c - 1 } else { c };
    let n2 = ceil_log2(8 * k);
    let n = n1.min(n2).min(N_MAX.trailing_zeros()).max(N_MIN.trailing_zeros());
    1 << n
}

/// A rate-matched 5G NR polar code with its CRC. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct PolarCode {
    a: usize,
    crc: Crc,
    e: usize,
    n: usize,
    mode: RateMatching,
    /// Sub-block interleaver: y_j = x_{J(j)}.
    interleaver: Vec<u16>,
    /// Coded-bit interleaver when I_BIL = 1: the k-th bit sent is e_{P(k)} (§5.4.1.3).
    coded_bit_order: Option<Vec<u16>>,
    /// Information bit-channel indices (K of them), ascending; the CRC bits take the last L.
    info: Vec<u16>,
    /// Per u index: frozen (true) or information.
    frozen: Vec<bool>,
}

impl PolarCode {
    /// The 5G NR polar code for `a` payload bits with `crc` sent in `e` bits. Fails when the code
    /// cannot exist: K = A + L must satisfy 1 ≤ A, K ≤ E, K ≤ the bit channels left after
    /// puncturing or shortening, and E ≤ 8192.
    pub fn nr(a: usize, e: usize, crc: Crc) -> Result<Self, CodeError> {
        let name = format!("polar(E={e}, A={a}, {crc})");
        let bad = |m: String| CodeError::invalid(Path::new(&name), m);
        if a == 0 {
            return Err(bad("the payload must have at least one bit".into()));
        }
        let k = a + crc.len();
        if e > E_MAX {
            return Err(bad(format!("E = {e} exceeds {E_MAX}")));
        }
        if k > e {
            return Err(bad(format!("K = A + CRC = {k} bits do not fit in E = {e} bits")));
        }
        let n = mother_length(k, e);
        let interleaver = subblock_interleaver(n);
        let mode = if e >= n {
            if e == n {
                RateMatching::None
            } else {
                RateMatching::Repetition
            }
        } else if 16 * k <= 7 * e {
            RateMatching::Puncturing
        } else {
            RateMatching::Shortening
        };
        // Q_F,tmp of §5.4.1.1: bit channels made useless by puncturing or shortening.
        let mut frozen = vec![false; n];
        match mode {
            RateMatching::Puncturing => {
                for j in 0..n - e {
                    frozen[interleaver[j] as usize] = true;
                }
                let t = if 4 * e >= 3 * n { (6 * n - 4 * e).div_ceil(8) } else { (9 * n - 4 * e).div_ceil(16) };
                for f in frozen.iter_mut().take(t) {
                    *f = true;
                }
            }
            RateMatching::Shortening => {
                for j in e..n {
                    frozen[interleaver[j] as usize] = true;
                }
            }
            RateMatching::None | RateMatching::Repetition => {}
        }
        // Q_I: the K most reliable of the remaining channels, in the order of Q_0^{N−1}.
        let available: Vec<u16> =
            NR_RELIABILITY.iter().copied().filter(|&q| (q as usize) < n && !frozen[q as usize]).collect();
        if available.len() < k {
            return Err(bad(format!(
                "K = {k} needs more than the {} usable bit channels of the N = {n} mother code",
                available.len()
            )));
        }
        let mut info: Vec<u16> = available[available.len() - k..].to_vec();
        info.sort_unstable();
        frozen.fill(true);
        for &q in &info {
            frozen[q as usize] = false;
        }
        Ok(PolarCode { a, crc, e, n, mode, interleaver, coded_bit_order: None, info, frozen })
    }

    /// The same code with TS 38.212's coded-bit interleaver after bit selection (I_BIL = 1,
    /// §5.4.1.3): the frozen set is unchanged, only the order of the E bits sent.
    pub fn with_coded_bit_interleaving(mut self) -> Self {
        self.coded_bit_order = Some(coded_bit_interleaver(self.e));
        self
    }

    /// Whether the coded bits are interleaved (I_BIL = 1).
    pub fn interleaves_coded_bits(&self) -> bool {
        self.coded_bit_order.is_some()
    }

    /// Which bit of bit selection's output e the k-th bit sent is.
    fn selected(&self, k: usize) -> usize {
        self.coded_bit_order.as_ref().map_or(k, |p| p[k] as usize)
    }

    /// Payload bits A (what the decoder returns).
    pub fn a(&self) -> usize {
        self.a
    }
    /// Information bits K = A + CRC length.
    pub fn k(&self) -> usize {
        self.info.len()
    }
    /// Transmitted bits E.
    pub fn e(&self) -> usize {
        self.e
    }
    /// Mother code length N.
    pub fn n(&self) -> usize {
        self.n
    }
    pub fn crc(&self) -> Crc {
        self.crc
    }
    pub fn rate_matching(&self) -> RateMatching {
        self.mode
    }
    /// Payload rate A / E.
    pub fn rate(&self) -> f64 {
        self.a as f64 / self.e as f64
    }
    /// Information bit-channel indices, ascending (the CRC occupies the last L).
    pub fn info_positions(&self) -> &[u16] {
        &self.info
    }
    /// Frozen flag per u index (N).
    pub fn frozen(&self) -> &[bool] {
        &self.frozen
    }
    /// Sub-block interleaver J: the j-th interleaved bit is x_{J(j)}.
    pub fn interleaver(&self) -> &[u16] {
        &self.interleaver
    }
    /// E.g. `polar(E=128, A=53, crc11; N=128, shortening)`; `, I_BIL` ends it when the coded bits
    /// are interleaved.
    pub fn name(&self) -> String {
        let mode = match self.mode {
            RateMatching::None => "no rate matching",
            RateMatching::Repetition => "repetition",
            RateMatching::Puncturing => "puncturing",
            RateMatching::Shortening => "shortening",
        };
        let bil = if self.interleaves_coded_bits() { ", I_BIL" } else { "" };
        format!("polar(E={}, A={}, {}; N={}, {mode}{bil})", self.e, self.a, self.crc, self.n)
    }

    /// u (N bits, frozen = 0) from the K information bits c (payload then CRC).
    pub fn place(&self, c: &[u8], u: &mut [u8]) {
        assert_eq!(c.len(), self.k());
        assert_eq!(u.len(), self.n);
        u.fill(0);
        for (&q, &b) in self.info.iter().zip(c) {
            u[q as usize] = b & 1;
        }
    }

    /// Encodes `a` payload bits (low bit of each byte) into `out` (E bits).
    pub fn encode(&self, payload: &[u8], out: &mut [u8]) {
        let mut c = vec![0u8; self.k()];
        let mut x = vec![0u8; self.n];
        self.encode_with(payload, out, &mut c, &mut x);
    }

    /// Encodes `payload.len() / A` frames laid back to back into as many frames of E bits.
    pub fn encode_batch(&self, payload: &[u8], out: &mut [u8]) {
        let frames = payload.len() / self.a;
        assert_eq!(payload.len(), frames * self.a, "payload length must be a multiple of A = {}", self.a);
        assert_eq!(out.len(), frames * self.e, "output must hold {frames} frames of E = {}", self.e);
        let mut c = vec![0u8; self.k()];
        let mut x = vec![0u8; self.n];
        for (p, o) in payload.chunks_exact(self.a).zip(out.chunks_exact_mut(self.e)) {
            self.encode_with(p, o, &mut c, &mut x);
        }
    }

    pub(crate) fn encode_with(&self, payload: &[u8], out: &mut [u8], c: &mut [u8], x: &mut [u8]) {
        assert_eq!(payload.len(), self.a, "payload must have A = {} bits", self.a);
        assert_eq!(out.len(), self.e, "output must have E = {} bits", self.e);
        for (ci, &p) in c.iter_mut().zip(payload) {
            *ci = p & 1;
        }
        let (msg, parity) = c.split_at_mut(self.a);
        self.crc.parity_into(msg, parity);
        self.place(c, x);
        polar_transform(x);
        self.rate_match(x, out);
    }

    /// Sub-block interleaving, bit selection and (I_BIL = 1) coded-bit interleaving of a mother
    /// codeword x (N bits) into the E bits sent.
    pub fn rate_match(&self, x: &[u8], out: &mut [u8]) {
        let (n, e) = (self.n, self.e);
        let y = |j: usize| x[self.interleaver[j] as usize];
        for (k, o) in out.iter_mut().enumerate() {
            let i = self.selected(k);
            *o = match self.mode {
                RateMatching::None | RateMatching::Repetition => y(i % n),
                RateMatching::Puncturing => y(i + n - e),
                RateMatching::Shortening => y(i),
            };
        }
    }

    /// Rate recovery: from the E channel LLRs (in the order sent) to the N LLRs of the mother
    /// codeword x, in x order. Inputs are sanitized (NaN → 0, ±inf → ±[`crate::tanner::LLR_CAP`]);
    /// punctured bits get 0, shortened bits +`LLR_CAP` (known zeros), repeated bits the sum of
    /// their copies (clamped).
    pub fn recover_llr(&self, llr: &[f32], out: &mut [f32]) {
        use crate::tanner::{sanitize_llr, LLR_CAP};
        assert_eq!(llr.len(), self.e);
        assert_eq!(out.len(), self.n);
        let (n, e) = (self.n, self.e);
        let x_of = |j: usize| self.interleaver[j] as usize;
        match self.mode {
            RateMatching::None | RateMatching::Shortening => {
                // Shortened bits (the last N − E of y) are known zeros.
                for j in e..n {
                    out[x_of(j)] = LLR_CAP;
                }
            }
            RateMatching::Repetition => out.fill(0.0),
            RateMatching::Puncturing => {
                for j in 0..n - e {
                    out[x_of(j)] = 0.0;
                }
            }
        }
        for (k, &l) in llr.iter().enumerate() {
            let i = self.selected(k);
            let l = sanitize_llr(l);
            match self.mode {
                RateMatching::None | RateMatching::Shortening => out[x_of(i)] = l,
                RateMatching::Repetition => {
                    let x = x_of(i % n);
                    out[x] = (out[x] + l).clamp(-LLR_CAP, LLR_CAP);
                }
                RateMatching::Puncturing => out[x_of(i + n - e)] = l,
            }
        }
    }
}

/// In place x = u·F^{⊗n} over GF(2) (N a power of two): butterflies x_j ^= x_{j+h}, h = 1, 2, …, N/2.
pub fn polar_transform(x: &mut [u8]) {
    let n = x.len();
    debug_assert!(n.is_power_of_two());
    let mut h = 1;
    while h < n {
        for block in x.chunks_exact_mut(2 * h) {
            let (l, r) = block.split_at_mut(h);
            for (a, &b) in l.iter_mut().zip(r.iter()) {
                *a ^= b;
            }
        }
        h *= 2;
    }
}

/// The coded-bit interleaver of TS 38.212 §5.4.1.3 for E bits: P with f_k = e_{P(k)}. The bits
/// are written row by row into a triangle whose row i holds T − i places (T the smallest with
/// T(T+1)/2 ≥ E; the last places stay empty) and read column by column, skipping the empty ones.
pub fn coded_bit_interleaver(e: usize) -> Vec<u16> {
    assert!(e <= u16::MAX as usize + 1);
    let mut t = 0;
    while t * (t + 1) / 2 < e {
        t += 1;
    }
    // Row i starts at the index of its first bit: the rows above hold T + (T − 1) + … places.
    let row_start = |i: usize| i * t - i * (i.saturating_sub(1)) / 2;
    let mut order = Vec::with_capacity(e);
    for j in 0..t {
        for i in 0..t - j {
            let k = row_start(i) + j;
            if k < e {
                order.push(k as u16);
            }
        }
    }
    order
}

/// J(j) of TS 38.212 §5.4.1.1 for a mother code of length N ≥ 32: j ↦ P(⌊32j/N⌋)·N/32 + j mod N/32.
pub fn subblock_interleaver(n: usize) -> Vec<u16> {
    assert!(n >= 32 && n.is_power_of_two());
    let b = n / 32;
    (0..n).map(|j| (SUBBLOCK_PATTERN[j / b] * b + j % b) as u16).collect()
}
