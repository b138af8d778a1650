//! One-token attention over a per-row KV cache, computing what candle's quantized llama computes
//! bit for bit, without its copies.
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

use candle_core::cpu::kernels::VecOps;
use std::sync::Arc;

/// Shape of the attention of one layer.
#[derive(Debug, Clone, Copy)]
pub struct Heads {
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
}

/// Keys and values of one row at one layer.
#[derive(Debug, Clone, Default)]
pub struct RowCache {
    /// `n_kv_head` blocks of `capacity × head_dim`.
    keys: Arc<Vec<f32>>,
    values: Arc<Vec<f32>>,
    capacity: usize,
    len: usize,
}

impl RowCache {
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
            let capacity = (2 * self.capacity).max(64);
            let grow = |old: &[f32]| {
                let mut new = vec![0f32; heads.n_kv_head * capacity * hd];
                for g in 0..heads.n_kv_head {
                    let (from, to) = (g * self.capacity * hd, g * capacity * hd);
                    new[to..to + self.len * hd].copy_from_slice(&old[from..from + self.len * hd]);
                }
                Arc::new(new)
            };
            self.keys = grow(&self.keys);
            self.values = grow(&self.values);
            self.capacity = capacity;
        }
        let (keys, values) = (Arc::make_mut(&mut self.keys), Arc::make_mut(&mut self.values));
        for g in 0..heads.n_kv_head {
            let at = (g * self.capacity + self.len) * hd;
            keys[at..at + hd].copy_from_slice(&k[g * hd..(g + 1) * hd]);
            values[at..at + hd].copy_from_slice(&v[g * hd..(g + 1) * hd]);
        }
        self.len += 1;
    }

    /// The `(len, head_dim)` keys and values of key/value head `g`.
    fn head(&self, g: usize, hd: usize) -> (&[f32], &[f32]) {
        let at = g * self.capacity * hd;
        (&self.keys[at..at + self.len * hd], &self.values[at..at + self.len * hd])
    }
}

/// One step of attention for one row: append `k`, `v` (`n_kv_head × head_dim`, RoPE applied) to
/// `cache`, attend with `q` (`n_head × head_dim`, RoPE applied); returns `n_head × head_dim`
/// outputs (head-major, as candle's `transpose(1, 2).reshape(..)` lays them out).
pub fn attend(heads: Heads, cache: &mut RowCache, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32]) {
    let hd = heads.head_dim;
    cache.push(heads, k, v);
    let t = cache.len;
    let n_rep = heads.n_head / heads.n_kv_head;
    let mul = (1.0 / (hd as f64).sqrt()) as f32;
    let add = 0f32;
    let mut scores = vec![0f32; t];
    let mut att = vec![0f32; t];
    for h in 0..heads.n_head {
        let (keys, values) = cache.head(h / n_rep, hd);
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
