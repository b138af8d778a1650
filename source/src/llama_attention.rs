//! One-token attention over a per-row KV cache: in f32, what candle's quantized llama computes
//! bit for bit, without its copies; or in half precision with an arithmetic of our own.
//!
//! candle-transformers' attention appends a step's key and value by `Tensor::cat` (a copy of the
//! whole cache, every layer, every step) and expands the `n_kv_head` key/value heads to `n_head`
//! with `repeat_kv` (another copy, `n_head / n_kv_head` times larger). At the file coder's
//! contexts (up to 1,024 positions) and 16 lockstep rows that was hundreds of megabytes moved per
//! step. Here each row keeps its keys and values in place, head-major (`n_kv_head` blocks of
//! `capacity × head_dim`, so a head's keys are the same `(positions, head_dim)` matrix candle
//! multiplied), grown by doubling, shared copy-on-write between clones (the primed start context
//! is cloned into every lane).
//!
//! The arithmetic is candle 0.11.1's, call for call: per row and head, `gemm` 0.19 with the
//! arguments candle's CPU `MatMul` passes for `q · kᵀ` (m = 1, n = positions, k = head_dim) and for
//! `att · v` (m = 1, n = head_dim, k = positions), the `1/√head_dim` scale as candle's `affine`
//! (`x · mul + add` in f32), and `softmax_last_dim`'s max / exp / `vec_reduce_sum` / divide. Head
//! `h` reads key/value head `h / (n_head / n_kv_head)`, which is what `repeat_kv` laid out. The
//! logits are pinned by a hash test over a long lane (`tests/smollm2.rs`).
//!
//! **Half-precision cache** ([`KvCache::F16`], file containers of version 3): keys and values are
//! stored as IEEE binary16 (rounded to nearest even, clamped to ±65504), which halves what a
//! decoding step reads (at the file coder's ~640 positions a lane's keys and values are ~30 MB in
//! f32, against 143 MB of weights per batch). Its arithmetic is this module's, defined by a scalar
//! order of fused multiply-adds so that the AVX-512, AVX2 and plain code paths give the same bits
//! (tested): score `j` of a query is `s = 0; s = fma(q[i], k[j][i], s)` for `i = 0..head_dim`, then
//! `s · (1/√head_dim)`; softmax subtracts the maximum, takes `f32::exp`, sums in position order
//! and divides; output `d` is `o = 0; o = fma(a[j], v[j][d], o)` for `j = 0..t`. Keys are stored
//! in blocks of 16 positions, dimension-major inside a block, so one vector FMA serves 16
//! positions; values position-major, so one serves 16 dimensions. f16 → f32 is exact.

use candle_core::cpu::kernels::VecOps;
use half::f16;
use std::sync::Arc;

/// Shape of the attention of one layer.
#[derive(Debug, Clone, Copy)]
pub struct Heads {
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
}

/// How keys and values are stored and attended over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvCache {
    /// f32, candle 0.11.1's arithmetic call for call (the message coder; file containers of
    /// version 2).
    #[default]
    F32Candle,
    /// IEEE half precision with this module's arithmetic (file containers of version 3).
    F16,
}

/// Positions per key block of the half-precision cache (one 512-bit vector of f32).
const KEY_BLOCK: usize = 16;

/// Largest finite f16: stored values are clamped to it, so no key or value becomes infinite.
const F16_MAX: f32 = 65504.0;

#[derive(Debug, Clone)]
enum Store {
    /// `n_kv_head` blocks of `capacity × head_dim`, position-major.
    F32 { keys: Arc<Vec<f32>>, values: Arc<Vec<f32>> },
    /// Keys: per head, `capacity / 16` blocks of `head_dim × 16` (dimension-major inside a
    /// block); values: per head `capacity × head_dim`, position-major.
    F16 { keys: Arc<Vec<f16>>, values: Arc<Vec<f16>> },
}

/// Keys and values of one row at one layer.
#[derive(Debug, Clone)]
pub struct RowCache {
    store: Store,
    /// Positions allocated per head (a multiple of [`KEY_BLOCK`] once anything is stored).
    capacity: usize,
    len: usize,
}

impl RowCache {
    pub fn new(kind: KvCache) -> Self {
        let store = match kind {
            KvCache::F32Candle => Store::F32 { keys: Arc::default(), values: Arc::default() },
            KvCache::F16 => Store::F16 { keys: Arc::default(), values: Arc::default() },
        };
        Self { store, capacity: 0, len: 0 }
    }

    pub fn kind(&self) -> KvCache {
        match self.store {
            Store::F32 { .. } => KvCache::F32Candle,
            Store::F16 { .. } => KvCache::F16,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append one position's keys and values (`n_kv_head × head_dim` each, head-major).
    fn push(&mut self, heads: Heads, k: &[f32], v: &[f32]) {
        let hd = heads.head_dim;
        if self.len == self.capacity {
            // A multiple of KEY_BLOCK, so a head's key blocks are whole and, at `len ==
            // capacity`, its first `len · hd` entries are exactly its stored keys in either layout.
            let capacity = (2 * self.capacity).max(64);
            fn grow<T: Copy + Default>(
                old: &[T],
                heads: Heads,
                from_cap: usize,
                to_cap: usize,
                len: usize,
            ) -> Arc<Vec<T>> {
                let hd = heads.head_dim;
                let mut new = vec![T::default(); heads.n_kv_head * to_cap * hd];
                for g in 0..heads.n_kv_head {
                    let (from, to) = (g * from_cap * hd, g * to_cap * hd);
                    new[to..to + len * hd].copy_from_slice(&old[from..from + len * hd]);
                }
                Arc::new(new)
            }
            let (from, len) = (self.capacity, self.len);
            match &mut self.store {
                Store::F32 { keys, values } => {
                    *keys = grow(keys, heads, from, capacity, len);
                    *values = grow(values, heads, from, capacity, len);
                }
                Store::F16 { keys, values } => {
                    *keys = grow(keys, heads, from, capacity, len);
                    *values = grow(values, heads, from, capacity, len);
                }
            }
            self.capacity = capacity;
        }
        let (cap, pos) = (self.capacity, self.len);
        match &mut self.store {
            Store::F32 { keys, values } => {
                let (keys, values) = (Arc::make_mut(keys), Arc::make_mut(values));
                for g in 0..heads.n_kv_head {
                    let at = (g * cap + pos) * hd;
                    keys[at..at + hd].copy_from_slice(&k[g * hd..(g + 1) * hd]);
                    values[at..at + hd].copy_from_slice(&v[g * hd..(g + 1) * hd]);
                }
            }
            Store::F16 { keys, values } => {
                let (keys, values) = (Arc::make_mut(keys), Arc::make_mut(values));
                let half = |x: f32| f16::from_f32(x.clamp(-F16_MAX, F16_MAX));
                for g in 0..heads.n_kv_head {
                    let block = (g * cap + pos / KEY_BLOCK * KEY_BLOCK) * hd;
                    for i in 0..hd {
                        keys[block + i * KEY_BLOCK + pos % KEY_BLOCK] = half(k[g * hd + i]);
                    }
                    let at = (g * cap + pos) * hd;
                    for i in 0..hd {
                        values[at + i] = half(v[g * hd + i]);
                    }
                }
            }
        }
        self.len += 1;
    }
}

/// One step of attention for one row: append `k`, `v` (`n_kv_head × head_dim`, RoPE applied) to
/// `cache`, attend with `q` (`n_head × head_dim`, RoPE applied); returns `n_head × head_dim`
/// outputs (head-major, as candle's `transpose(1, 2).reshape(..)` lays them out).
pub fn attend(heads: Heads, cache: &mut RowCache, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32]) {
    cache.push(heads, k, v);
    match &cache.store {
        Store::F32 { keys, values } => attend_candle(heads, keys, values, cache.capacity, cache.len, q, out),
        Store::F16 { keys, values } => attend_f16(heads, keys, values, cache.capacity, cache.len, q, out),
    }
}

/// Candle's arithmetic over the f32 cache (see the module docs).
fn attend_candle(heads: Heads, keys: &[f32], values: &[f32], capacity: usize, t: usize, q: &[f32], out: &mut [f32]) {
    let hd = heads.head_dim;
    let n_rep = heads.n_head / heads.n_kv_head;
    let mul = (1.0 / (hd as f64).sqrt()) as f32;
    let add = 0f32;
    let mut scores = vec![0f32; t];
    let mut att = vec![0f32; t];
    for h in 0..heads.n_head {
        let at = h / n_rep * capacity * hd;
        let (keys, values) = (&keys[at..at + t * hd], &values[at..at + t * hd]);
        let qh = &q[h * hd..(h + 1) * hd];
        // SAFETY: qh is 1×hd, keysᵀ is hd×t (element (i, j) at j·hd + i), scores holds t values.
        unsafe { candle_row_product(t, hd, scores.as_mut_ptr(), qh.as_ptr(), keys.as_ptr(), hd, 1) };
        for s in scores.iter_mut() {
            *s = *s * mul + add;
        }
        let mut max = f32::NEG_INFINITY;
        // SAFETY: both buffers hold `t` values.
        unsafe { <f32 as VecOps>::vec_reduce_max(scores.as_ptr(), &mut max, t) };
        for (s, a) in scores.iter().zip(att.iter_mut()) {
            *a = (*s - max).exp();
        }
        let mut sum_exp = 0f32;
        unsafe { <f32 as VecOps>::vec_reduce_sum(att.as_ptr(), &mut sum_exp, t) };
        for a in att.iter_mut() {
            *a /= sum_exp;
        }
        let oh = &mut out[h * hd..(h + 1) * hd];
        // SAFETY: att holds t values, values is t×hd row-major, oh holds hd values.
        unsafe { candle_row_product(hd, t, oh.as_mut_ptr(), att.as_ptr(), values.as_ptr(), 1, hd) };
    }
}

/// The half-precision cache's arithmetic (see the module docs). The `n_head / n_kv_head` query
/// heads that share a key/value head are computed together, so its keys and values are read
/// and widened once for all of them.
fn attend_f16(heads: Heads, keys: &[f16], values: &[f16], capacity: usize, t: usize, q: &[f32], out: &mut [f32]) {
    let hd = heads.head_dim;
    let n_rep = heads.n_head / heads.n_kv_head;
    let mul = (1.0 / (hd as f64).sqrt()) as f32;
    let blocks = t.div_ceil(KEY_BLOCK);
    let span = blocks * KEY_BLOCK;
    let kernels = Kernels::detect();
    let mut scores = vec![0f32; n_rep * span];
    let mut att = vec![0f32; n_rep * t];
    for g in 0..heads.n_kv_head {
        let at = g * capacity * hd;
        let group = g * n_rep * hd..(g + 1) * n_rep * hd;
        kernels.scores(&q[group.clone()], hd, &keys[at..at + span * hd], &mut scores);
        for (scores, att) in scores.chunks_exact(span).zip(att.chunks_exact_mut(t)) {
            let mut max = f32::NEG_INFINITY;
            for (a, &s) in att.iter_mut().zip(scores) {
                *a = s * mul;
                max = max.max(*a);
            }
            let mut sum = 0f32;
            for a in att.iter_mut() {
                *a = (*a - max).exp();
                sum += *a;
            }
            for a in att.iter_mut() {
                *a /= sum;
            }
        }
        kernels.weighted_sum(&att, hd, &values[at..at + t * hd], &mut out[group]);
    }
}

/// The instruction set the half-precision kernels use (same results on each, tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernels {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernels {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if crate::cpu::avx512f() {
                return Self::Avx512;
            }
            if crate::cpu::avx2_fma_f16c() {
                return Self::Avx2;
            }
        }
        Self::Scalar
    }

    /// Every instruction set this CPU can run (for the equality tests).
    #[cfg(test)]
    fn available() -> Vec<Self> {
        let best = Self::detect();
        let mut all = vec![Self::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if best == Self::Avx512 && crate::cpu::avx2_fma_f16c() {
                all.push(Self::Avx2);
            }
        }
        if best != Self::Scalar {
            all.push(best);
        }
        all
    }

    /// For `R` query heads (`q` holds `R × hd`) over `blocks` key blocks (`keys` holds
    /// `blocks × hd × 16`): `out[r · 16 · blocks + j] = Σ_i q[r][i]·k[j][i]`, FMAs in `i` order,
    /// for every position `j` of the blocks (positions past the stored ones hold zeros).
    fn scores(self, q: &[f32], hd: usize, keys: &[f16], out: &mut [f32]) {
        let (heads, span) = (q.len() / hd, keys.len() / hd);
        assert!(q.len() == heads * hd && keys.len() == span * hd && span % KEY_BLOCK == 0);
        assert!(out.len() >= heads * span);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has the features (detected); the lengths are checked above.
            Self::Avx512 => unsafe { x86::scores_avx512(q, hd, keys, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Self::Avx2 => unsafe { x86::scores_avx2(q, hd, keys, out) },
            Self::Scalar => {
                for (r, qr) in q.chunks_exact(hd).enumerate() {
                    for j in 0..span {
                        let block = &keys[j / KEY_BLOCK * KEY_BLOCK * hd..];
                        let mut s = 0f32;
                        for (i, &qi) in qr.iter().enumerate() {
                            s = qi.mul_add(block[i * KEY_BLOCK + j % KEY_BLOCK].to_f32(), s);
                        }
                        out[r * span + j] = s;
                    }
                }
            }
        }
    }

    /// For `R` query heads (`out` holds `R × hd`, `att` holds `R × t`, `values` `t × hd`):
    /// `out[r · hd + d] = Σ_j att[r · t + j]·v[j][d]`, FMAs in `j` order.
    fn weighted_sum(self, att: &[f32], hd: usize, values: &[f16], out: &mut [f32]) {
        let (heads, t) = (out.len() / hd, values.len() / hd);
        assert!(out.len() == heads * hd && values.len() == t * hd && att.len() == heads * t);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has the features (detected); the lengths are checked above.
            Self::Avx512 if hd % 16 == 0 => unsafe { x86::weighted_sum_avx512(att, values, out, hd) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Self::Avx2 | Self::Avx512 if hd % 8 == 0 => unsafe { x86::weighted_sum_avx2(att, values, out, hd) },
            _ => {
                for (r, out) in out.chunks_exact_mut(hd).enumerate() {
                    out.fill(0.0);
                    for (j, &a) in att[r * t..(r + 1) * t].iter().enumerate() {
                        for (o, v) in out.iter_mut().zip(&values[j * hd..(j + 1) * hd]) {
                            *o = a.mul_add(v.to_f32(), *o);
                        }
                    }
                }
            }
        }
    }
}

/// The vector forms of [`Kernels`]: lane `p` of a vector computes exactly the scalar chain of
/// FMAs for its position or dimension, so the results do not depend on the vector width.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::KEY_BLOCK;
    use half::f16;
    use std::arch::x86_64::*;

    /// Query heads computed together (each widened key or value vector serves all of them).
    const MAX_HEADS: usize = 4;

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn scores_avx512(q: &[f32], hd: usize, keys: &[f16], out: &mut [f32]) {
        let span = keys.len() / hd;
        let mut r = 0;
        let heads = q.len() / hd;
        while r < heads {
            let n = (heads - r).min(MAX_HEADS);
            let (q, o) = (&q[r * hd..(r + n) * hd], &mut out[r * span..(r + n) * span]);
            // SAFETY: the caller checked the lengths; the CPU has AVX-512 F.
            unsafe {
                match n {
                    1 => scores_heads_avx512::<1>(q, hd, keys, o),
                    2 => scores_heads_avx512::<2>(q, hd, keys, o),
                    3 => scores_heads_avx512::<3>(q, hd, keys, o),
                    _ => scores_heads_avx512::<4>(q, hd, keys, o),
                }
            }
            r += n;
        }
    }

    /// [`scores_avx512`] for exactly `R` heads: per key block, one widened row serves `R` FMAs.
    #[target_feature(enable = "avx512f")]
    unsafe fn scores_heads_avx512<const R: usize>(q: &[f32], hd: usize, keys: &[f16], out: &mut [f32]) {
        let span = keys.len() / hd;
        let k = keys.as_ptr() as *const __m256i;
        let o = out.as_mut_ptr();
        // SAFETY: block `b`, row `i` is 16 f16 (32 bytes) at `k + b·hd + i`; `out` holds `R · span`.
        unsafe {
            for b in 0..span / KEY_BLOCK {
                let mut acc = [_mm512_setzero_ps(); R];
                for i in 0..hd {
                    let kv = _mm512_cvtph_ps(_mm256_loadu_si256(k.add(b * hd + i)));
                    for (r, a) in acc.iter_mut().enumerate() {
                        *a = _mm512_fmadd_ps(_mm512_set1_ps(*q.get_unchecked(r * hd + i)), kv, *a);
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    _mm512_storeu_ps(o.add(r * span + b * KEY_BLOCK), *a);
                }
            }
        }
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn scores_avx2(q: &[f32], hd: usize, keys: &[f16], out: &mut [f32]) {
        let span = keys.len() / hd;
        // Eight positions per vector: half a key block.
        let k = keys.as_ptr() as *const __m128i;
        let o = out.as_mut_ptr();
        // SAFETY: half `h` of block `b`, row `i` is 8 f16 at `k + (b·hd + i)·2 + h`; the caller
        // checked the lengths.
        unsafe {
            for (r, q) in q.chunks_exact(hd).enumerate() {
                for b in 0..span / KEY_BLOCK {
                    let mut acc = [_mm256_setzero_ps(); 2];
                    for (i, &qi) in q.iter().enumerate() {
                        let qv = _mm256_set1_ps(qi);
                        for (h, a) in acc.iter_mut().enumerate() {
                            let kv = _mm256_cvtph_ps(_mm_loadu_si128(k.add((b * hd + i) * 2 + h)));
                            *a = _mm256_fmadd_ps(qv, kv, *a);
                        }
                    }
                    for (h, a) in acc.iter().enumerate() {
                        _mm256_storeu_ps(o.add(r * span + b * KEY_BLOCK + 8 * h), *a);
                    }
                }
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn weighted_sum_avx512(att: &[f32], values: &[f16], out: &mut [f32], hd: usize) {
        let heads = out.len() / hd;
        let t = values.len() / hd;
        let mut r = 0;
        while r < heads {
            let n = (heads - r).min(MAX_HEADS);
            let (a, o) = (&att[r * t..(r + n) * t], &mut out[r * hd..(r + n) * hd]);
            // SAFETY: the caller checked the lengths; the CPU has AVX-512 F.
            unsafe {
                match n {
                    1 => weighted_heads_avx512::<1>(a, values, o, hd),
                    2 => weighted_heads_avx512::<2>(a, values, o, hd),
                    3 => weighted_heads_avx512::<3>(a, values, o, hd),
                    _ => weighted_heads_avx512::<4>(a, values, o, hd),
                }
            }
            r += n;
        }
    }

    /// [`weighted_sum_avx512`] for exactly `R` heads, 64 dimensions per pass: one widened value
    /// vector serves `R` FMAs.
    #[target_feature(enable = "avx512f")]
    unsafe fn weighted_heads_avx512<const R: usize>(att: &[f32], values: &[f16], out: &mut [f32], hd: usize) {
        const CHUNKS: usize = 4;
        let t = values.len() / hd;
        let chunks = hd / 16;
        let v = values.as_ptr() as *const __m256i;
        let o = out.as_mut_ptr();
        let mut c = 0;
        // SAFETY: row `j`, chunk `c` is 16 f16 at `v + j·chunks + c`; `att` holds `R · t` and
        // `out` `R · hd` values.
        unsafe {
            while c < chunks {
                let n = (chunks - c).min(CHUNKS);
                let mut acc = [[_mm512_setzero_ps(); CHUNKS]; R];
                for j in 0..t {
                    let a: [__m512; R] = std::array::from_fn(|r| _mm512_set1_ps(*att.get_unchecked(r * t + j)));
                    for u in 0..CHUNKS {
                        if u < n {
                            let vv = _mm512_cvtph_ps(_mm256_loadu_si256(v.add(j * chunks + c + u)));
                            for r in 0..R {
                                acc[r][u] = _mm512_fmadd_ps(a[r], vv, acc[r][u]);
                            }
                        }
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    for (u, acc) in acc.iter().enumerate().take(n) {
                        _mm512_storeu_ps(o.add(r * hd + (c + u) * 16), *acc);
                    }
                }
                c += n;
            }
        }
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn weighted_sum_avx2(att: &[f32], values: &[f16], out: &mut [f32], hd: usize) {
        let t = values.len() / hd;
        let v = values.as_ptr() as *const __m128i;
        let chunks = hd / 8;
        const CHUNKS: usize = 8;
        // SAFETY: row `j`, chunk `c` is 8 f16 at `v + j·chunks + c`; the caller checked the lengths.
        unsafe {
            for (r, out) in out.chunks_exact_mut(hd).enumerate() {
                let att = &att[r * t..(r + 1) * t];
                let o = out.as_mut_ptr();
                let mut c = 0;
                while c < chunks {
                    let n = (chunks - c).min(CHUNKS);
                    let mut acc = [_mm256_setzero_ps(); CHUNKS];
                    for (j, &a) in att.iter().enumerate() {
                        let av = _mm256_set1_ps(a);
                        for (u, acc) in acc.iter_mut().enumerate().take(n) {
                            let vv = _mm256_cvtph_ps(_mm_loadu_si128(v.add(j * chunks + c + u)));
                            *acc = _mm256_fmadd_ps(av, vv, *acc);
                        }
                    }
                    for (u, acc) in acc.iter().enumerate().take(n) {
                        _mm256_storeu_ps(o.add((c + u) * 8), *acc);
                    }
                    c += n;
                }
            }
        }
    }
}

/// `dst (1×n) = lhs (1×k) · rhs (k×n)`, as candle 0.11.1's CPU `MatMul` calls `gemm` for it: a
/// contiguous row on the left, `rhs` element `(i, j)` at `i·rhs_rs + j·rhs_cs`, no parallelism.
///
/// # Safety
/// `dst` holds `n` values, `lhs` `k`, and `rhs` every `(i, j)` with `i < k`, `j < n`.
unsafe fn candle_row_product(
    n: usize,
    k: usize,
    dst: *mut f32,
    lhs: *const f32,
    rhs: *const f32,
    rhs_cs: usize,
    rhs_rs: usize,
) {
    // SAFETY: by the caller's contract.
    unsafe {
        gemm::gemm(
            1,
            n,
            k,
            dst,
            1,
            n as isize,
            false,
            lhs,
            1,
            k as isize,
            rhs,
            rhs_cs as isize,
            rhs_rs as isize,
            0f32,
            1f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random(rng: &mut rand::rngs::StdRng, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-scale..scale)).collect()
    }

    /// Every instruction set gives the scalar definition's bits, for head sizes that use the
    /// unrolled loops, their remainders and the plain fallback.
    #[test]
    fn half_precision_kernels_agree_bit_for_bit_across_instruction_sets() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let kernels = Kernels::available();
        for hd in [8, 16, 24, 48, 64, 80, 128] {
            for (heads, blocks) in [(1, 1), (3, 2), (2, 3), (4, 4), (5, 5), (3, 9), (1, 6)] {
                let q = random(&mut rng, heads * hd, 3.0);
                let keys: Vec<f16> =
                    random(&mut rng, blocks * KEY_BLOCK * hd, 4.0).into_iter().map(f16::from_f32).collect();
                let t = blocks * KEY_BLOCK - rng.random_range(0..KEY_BLOCK);
                let att = random(&mut rng, heads * t, 1.0);
                let values: Vec<f16> = random(&mut rng, t * hd, 4.0).into_iter().map(f16::from_f32).collect();
                let bits = |x: &[f32]| x.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                let run = |k: Kernels| {
                    let mut s = vec![0f32; heads * blocks * KEY_BLOCK];
                    k.scores(&q, hd, &keys, &mut s);
                    let mut o = vec![0f32; heads * hd];
                    k.weighted_sum(&att, hd, &values, &mut o);
                    (bits(&s), bits(&o))
                };
                let reference = run(Kernels::Scalar);
                for &k in &kernels {
                    assert_eq!(run(k), reference, "{k:?}, head_dim {hd}, {heads} heads, {blocks} blocks");
                }
            }
        }
        assert!(kernels.len() > 1 || !cfg!(target_arch = "x86_64"), "no vector kernel was tested");
    }

    /// The half-precision cache attends like the f32 one up to f16 rounding, through the
    /// cache's growth (past 64 positions) and for grouped heads.
    #[test]
    fn half_precision_attention_is_close_to_candles() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let heads = Heads { n_head: 9, n_kv_head: 3, head_dim: 64 };
        let (mut exact, mut half) = (RowCache::new(KvCache::F32Candle), RowCache::new(KvCache::F16));
        assert_eq!((exact.kind(), half.kind()), (KvCache::F32Candle, KvCache::F16));
        let (mut a, mut b) = (vec![0f32; 9 * 64], vec![0f32; 9 * 64]);
        for step in 0..150 {
            let q = random(&mut rng, 9 * 64, 1.0);
            let k = random(&mut rng, 3 * 64, 1.0);
            let v = random(&mut rng, 3 * 64, 2.0);
            attend(heads, &mut exact, &q, &k, &v, &mut a);
            attend(heads, &mut half, &q, &k, &v, &mut b);
            let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
            assert!(worst < 4e-3, "step {step}: differs by {worst}");
        }
        assert_eq!(half.len(), 150);
    }
}
