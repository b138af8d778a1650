//! Multi-head attention restricted to a fixed sparsity pattern, fused into one candle op with its
//! backward pass (CPU).
//!
//! ECCT's code-aware mask hides most token pairs (72 % for LDPC(49,24)). The dense form computes all
//! `B × heads × L × L` scores, adds −1e9 where masked, and runs softmax, dropout and the weighted sum as
//! separate tensor ops: on CPU a training step then spends most of its time allocating and sweeping
//! those large tensors (perf: element-wise maps, page clearing, `exp`), not in arithmetic. Here each
//! query attends only to its visible keys, in one pass, with no `L × L` tensor at all:
//!
//! ```text
//! s_ij = scale · q_i·k_j  (j visible from i)     p_ij = softmax_j(s_ij)
//! a_ij = p_ij · keep_ij / (1 − p_drop)            out_i = Σ_j a_ij v_j
//! ```
//!
//! Masked pairs get exactly zero probability in the dense form too (exp(−1e9 − max) underflows to 0;
//! the diagonal is always visible), so both compute the same function; they differ only in the order
//! of floating-point sums (tested against each other, values and gradients).
//!
//! In training, forward keeps its probabilities and dropout multipliers (heads × visible pairs per
//! batch row each, a quarter of the dense tensor for LDPC(49,24)) for backward; without them backward
//! recomputes both from q, k and the seed.
//! Backward applies the softmax Jacobian: with g = ∂L/∂out_i, `∂L/∂v_j += a_ij g`, `d_ij = keep_ij/(1−p) · g·v_j`,
//! `∂L/∂s_ij = p_ij (d_ij − Σ_k p_ik d_ik)`, then `∂L/∂q_i = scale Σ_j ∂s_ij k_j` and
//! `∂L/∂k_j += scale ∂s_ij q_i`.
//!
//! Dropout: the keep decisions of pair (b, i, j) are 16-bit lanes of one hash of a per-call seed and
//! the pair's index (four heads per hash), so backward sees the same mask without storing it, and a
//! run is reproducible from the seed (drawn from the caller's seeded generator, which checkpoints
//! store).
//!
//! Tensors are `(B, L, d)` with head h on features `h·dk .. (h+1)·dk`, the layout the projections
//! produce: no head transposes. Work is split over the batch with rayon; each batch row is computed
//! the same way whatever the thread count, so results do not depend on it.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// For every query position, the key positions it may attend to (compressed rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttentionPattern {
    /// `keys[offsets[i]..offsets[i + 1]]` are the keys visible from query `i`, ascending.
    offsets: Vec<usize>,
    keys: Vec<usize>,
}

impl AttentionPattern {
    /// From a row-major `size × size` mask, `true` = masked (hidden). Every query must see at least
    /// one key (softmax over nothing is undefined).
    pub fn from_mask(masked: &[bool], size: usize) -> Result<Self> {
        if masked.len() != size * size {
            candle_core::bail!("attention mask has {} entries, expected {size}²", masked.len());
        }
        let mut offsets = vec![0];
        let mut keys = Vec::new();
        for (i, row) in masked.chunks(size).enumerate() {
            keys.extend(row.iter().enumerate().filter(|(_, &m)| !m).map(|(j, _)| j));
            if keys.len() == offsets[i] {
                candle_core::bail!("attention mask hides every key from query {i}");
            }
            offsets.push(keys.len());
        }
        Ok(Self { offsets, keys })
    }
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn visible(&self, i: usize) -> &[usize] {
        &self.keys[self.offsets[i]..self.offsets[i + 1]]
    }
    /// The widest row: scratch size for per-query probabilities.
    fn max_row(&self) -> usize {
        (0..self.len()).map(|i| self.visible(i).len()).max().unwrap_or(0)
    }
}

/// Attention dropout as used inside the fused op.
#[derive(Debug, Clone, Copy)]
pub struct PairDropout {
    /// Drop probability in [0, 1).
    pub p: f64,
    pub seed: u64,
}

/// The fused op; build with [`sparse_attention`].
struct SparseAttention {
    pattern: Arc<AttentionPattern>,
    heads: usize,
    scale: f32,
    dropout: Option<PairDropout>,
    /// Forward's probabilities (and dropout multipliers), kept for backward when the inputs need
    /// gradients (training): saves recomputing scores, exponentials and hashes. Per batch row
    /// ([`Self::saved_per_row`]): for each query, heads × visible keys, then the same for `keep`.
    saved: Option<Mutex<Vec<f32>>>,
}

/// `(B, L, d)` query, key, value → `(B, L, d)` attention output under `pattern` (see the module doc).
/// `q`, `k`, `v` must be f32 on the CPU.
pub fn sparse_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    pattern: &Arc<AttentionPattern>,
    heads: usize,
    dropout: Option<PairDropout>,
) -> Result<Tensor> {
    let (_, l, d) = q.dims3()?;
    if k.dims() != q.dims() || v.dims() != q.dims() {
        candle_core::bail!("sparse attention: q {:?}, k {:?}, v {:?} differ", q.dims(), k.dims(), v.dims());
    }
    if l != pattern.len() || heads == 0 || d % heads != 0 {
        candle_core::bail!(
            "sparse attention: {l} tokens, {d} features, {heads} heads vs a pattern of {}",
            pattern.len()
        );
    }
    let dropout = dropout.filter(|dr| dr.p > 0.0);
    let saved = (q.track_op() || k.track_op() || v.track_op()).then(|| Mutex::new(Vec::new()));
    let op =
        SparseAttention { pattern: pattern.clone(), heads, scale: 1.0 / ((d / heads) as f32).sqrt(), dropout, saved };
    q.contiguous()?.apply_op3_arc(&k.contiguous()?, &v.contiguous()?, Arc::new(Box::new(op)))
}

/// Heads whose dropout decisions come from one 64-bit hash (16 bits each).
const HEADS_PER_HASH: usize = 4;

/// A 16-bit lane below this drops the pair: probability `round(p·2¹⁶)/2¹⁶`.
fn drop_threshold(p: f64) -> u64 {
    (p * 65536.0).round() as u64
}

/// Element `index` of the SplitMix64 stream seeded with `seed`: a well-mixed 64-bit hash.
fn hash(seed: u64, index: u64) -> u64 {
    mix(seed.wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SparseAttention {
    /// Multiplier of pair (b, h, i, j): 1 without dropout, else 0 or 1/(1 − p). One 64-bit hash per
    /// (b, i, j) serves four heads (16 bits each), so p is applied at a resolution of 2⁻¹⁶. The
    /// per-pair reference the tests build the dense mask from; the op itself uses [`Self::keeps`].
    #[cfg(test)]
    fn keep(&self, l: usize, b: usize, h: usize, i: usize, j: usize) -> f32 {
        match self.dropout {
            None => 1.0,
            Some(dr) => {
                let chunks = self.heads.div_ceil(HEADS_PER_HASH);
                let index = (((b * l + i) * l + j) * chunks + h / HEADS_PER_HASH) as u64;
                let lane = (hash(dr.seed, index) >> (16 * (h % HEADS_PER_HASH))) & 0xFFFF;
                if lane >= drop_threshold(dr.p) {
                    (1.0 / (1.0 - dr.p)) as f32
                } else {
                    0.0
                }
            }
        }
    }

    /// Softmax probabilities of query `i` of one batch row, every head at once, over its `nk`
    /// visible keys: `p[h * nk + jj]` for the `jj`-th visible key. One pass over each key row
    /// computes all heads' scores (the d products are contiguous; head h sums its dk of them).
    fn probabilities(&self, qb: &[f32], kb: &[f32], d: usize, i: usize, p: &mut [f32]) {
        let dk = d / self.heads;
        let keys = self.pattern.visible(i);
        let nk = keys.len();
        let qi = &qb[i * d..(i + 1) * d];
        for (jj, &j) in keys.iter().enumerate() {
            let kj = &kb[j * d..(j + 1) * d];
            for (h, (qh, kh)) in qi.chunks_exact(dk).zip(kj.chunks_exact(dk)).enumerate() {
                p[h * nk + jj] = qh.iter().zip(kh).map(|(a, b)| a * b).sum::<f32>() * self.scale;
            }
        }
        for row in p[..self.heads * nk].chunks_exact_mut(nk) {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
            let mut sum = 0f32;
            for x in row.iter_mut() {
                *x = (*x - max).exp();
                sum += *x;
            }
            let inv = 1.0 / sum;
            row.iter_mut().for_each(|x| *x *= inv);
        }
    }

    /// Dropout multipliers of query `i`'s visible pairs, laid out as the probabilities (the same
    /// decisions as [`Self::keep`], one hash per four heads). Without dropout `keep` stays all ones.
    fn keeps(&self, l: usize, b: usize, i: usize, keep: &mut [f32]) {
        let Some(dr) = self.dropout else { return };
        let keys = self.pattern.visible(i);
        let nk = keys.len();
        let chunks = self.heads.div_ceil(HEADS_PER_HASH);
        let (threshold, scale) = (drop_threshold(dr.p), (1.0 / (1.0 - dr.p)) as f32);
        for (jj, &j) in keys.iter().enumerate() {
            for c in 0..chunks {
                let bits = hash(dr.seed, (((b * l + i) * l + j) * chunks + c) as u64);
                for h in c * HEADS_PER_HASH..((c + 1) * HEADS_PER_HASH).min(self.heads) {
                    let lane = (bits >> (16 * (h % HEADS_PER_HASH))) & 0xFFFF;
                    keep[h * nk + jj] = if lane >= threshold { scale } else { 0.0 };
                }
            }
        }
    }

    /// Values saved per batch row: probabilities, and dropout multipliers when there is dropout.
    fn saved_per_row(&self) -> usize {
        self.heads * self.pattern.keys.len() * if self.dropout.is_some() { 2 } else { 1 }
    }

    /// Scratch buffers of one worker: probabilities, keep multipliers, and the backward's d_ij.
    fn scratch(&self) -> [Vec<f32>; 3] {
        let size = self.heads * self.pattern.max_row();
        [vec![0f32; size], vec![1f32; size], vec![0f32; size]]
    }
}

fn contiguous_f32<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
    let data = match s {
        CpuStorage::F32(v) => v.as_slice(),
        _ => candle_core::bail!("sparse attention: {what} must be f32"),
    };
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("sparse attention: {what} must be contiguous"),
    }
}

impl CustomOp3 for SparseAttention {
    fn name(&self) -> &'static str {
        "sparse-attention"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (q, k, v) = (contiguous_f32(s1, l1, "q")?, contiguous_f32(s2, l2, "k")?, contiguous_f32(s3, l3, "v")?);
        let (_, l, d) = l1.shape().dims3()?;
        let dk = d / self.heads;
        let row = l * d;
        let mut out = vec![0f32; q.len()];
        let batch = q.len() / row;
        let per_row = self.heads * self.pattern.keys.len();
        let saved_per_row = self.saved_per_row();
        let mut saved = vec![0f32; if self.saved.is_some() { saved_per_row * batch } else { 0 }];
        let mut saved_rows: Vec<&mut [f32]> = saved.chunks_mut(saved_per_row.max(1)).collect();
        saved_rows.resize_with(batch, Default::default);
        out.par_chunks_mut(row).zip(saved_rows.into_par_iter()).enumerate().for_each(|(b, (ob, sb))| {
            let (qb, kb, vb) = (&q[b * row..(b + 1) * row], &k[b * row..(b + 1) * row], &v[b * row..(b + 1) * row]);
            let [mut p, mut keep, _] = self.scratch();
            for i in 0..l {
                let keys = self.pattern.visible(i);
                let nk = keys.len();
                self.probabilities(qb, kb, d, i, &mut p);
                self.keeps(l, b, i, &mut keep);
                if !sb.is_empty() {
                    let at = self.heads * self.pattern.offsets[i];
                    sb[at..at + self.heads * nk].copy_from_slice(&p[..self.heads * nk]);
                    if self.dropout.is_some() {
                        sb[per_row + at..per_row + at + self.heads * nk].copy_from_slice(&keep[..self.heads * nk]);
                    }
                }
                let oi = &mut ob[i * d..(i + 1) * d];
                for (jj, &j) in keys.iter().enumerate() {
                    let vj = &vb[j * d..(j + 1) * d];
                    for (h, (oh, vh)) in oi.chunks_exact_mut(dk).zip(vj.chunks_exact(dk)).enumerate() {
                        let a = p[h * nk + jj] * keep[h * nk + jj];
                        oh.iter_mut().zip(vh).for_each(|(o, &x)| *o += a * x);
                    }
                }
            }
        });
        if let Some(slot) = &self.saved {
            *slot.lock().map_err(|_| candle_core::Error::msg("sparse attention: poisoned lock"))? = saved;
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (_, l, d) = q.dims3()?;
        let dk = d / self.heads;
        let row = l * d;
        let flat = |t: &Tensor| -> Result<Vec<f32>> { t.flatten_all()?.to_vec1::<f32>() };
        let (qv, kv, vv, gv) = (flat(q)?, flat(k)?, flat(v)?, flat(grad)?);
        let mut dq = vec![0f32; qv.len()];
        let mut dkv = vec![0f32; kv.len()];
        let mut dv = vec![0f32; vv.len()];
        let per_row = self.heads * self.pattern.keys.len();
        let saved_per_row = self.saved_per_row();
        let saved = match &self.saved {
            Some(slot) => std::mem::take(
                &mut *slot.lock().map_err(|_| candle_core::Error::msg("sparse attention: poisoned lock"))?,
            ),
            None => Vec::new(),
        };
        // A second backward through the same graph finds nothing saved and recomputes.
        let saved = (!saved.is_empty() && saved.len() == saved_per_row * (qv.len() / row)).then_some(saved);
        dq.par_chunks_mut(row).zip(dkv.par_chunks_mut(row)).zip(dv.par_chunks_mut(row)).enumerate().for_each(
            |(b, ((dqb, dkb), dvb))| {
                let r = b * row..(b + 1) * row;
                let (qb, kb, vb, gb) = (&qv[r.clone()], &kv[r.clone()], &vv[r.clone()], &gv[r]);
                let [mut p, mut keep, mut dp] = self.scratch();
                for i in 0..l {
                    let keys = self.pattern.visible(i);
                    let nk = keys.len();
                    match &saved {
                        Some(sv) => {
                            let at = b * saved_per_row + self.heads * self.pattern.offsets[i];
                            p[..self.heads * nk].copy_from_slice(&sv[at..at + self.heads * nk]);
                            if self.dropout.is_some() {
                                keep[..self.heads * nk]
                                    .copy_from_slice(&sv[per_row + at..per_row + at + self.heads * nk]);
                            }
                        }
                        None => {
                            self.probabilities(qb, kb, d, i, &mut p);
                            self.keeps(l, b, i, &mut keep);
                        }
                    }
                    let gi = &gb[i * d..(i + 1) * d];
                    // dV_j += a_ij g_i and d_ij = keep_ij · g_i·v_j, every head per key row.
                    for (jj, &j) in keys.iter().enumerate() {
                        let vj = &vb[j * d..(j + 1) * d];
                        let dvj = &mut dvb[j * d..(j + 1) * d];
                        for (h, ((gh, vh), dvh)) in
                            gi.chunks_exact(dk).zip(vj.chunks_exact(dk)).zip(dvj.chunks_exact_mut(dk)).enumerate()
                        {
                            let at = h * nk + jj;
                            let a = p[at] * keep[at];
                            dvh.iter_mut().zip(gh).for_each(|(o, &g)| *o += a * g);
                            dp[at] = keep[at] * gh.iter().zip(vh).map(|(a, b)| a * b).sum::<f32>();
                        }
                    }
                    // ∂s_ij = p_ij (d_ij − Σ_k p_ik d_ik), scaled; stored back into dp.
                    for (ph, dph) in
                        p[..self.heads * nk].chunks_exact(nk).zip(dp[..self.heads * nk].chunks_exact_mut(nk))
                    {
                        let weighted: f32 = ph.iter().zip(dph.iter()).map(|(a, b)| a * b).sum();
                        dph.iter_mut().zip(ph).for_each(|(x, &pj)| *x = pj * (*x - weighted) * self.scale);
                    }
                    let qi = &qb[i * d..(i + 1) * d];
                    let dqi = &mut dqb[i * d..(i + 1) * d];
                    for (jj, &j) in keys.iter().enumerate() {
                        let kj = &kb[j * d..(j + 1) * d];
                        let dkj = &mut dkb[j * d..(j + 1) * d];
                        for (h, ((dqh, kh), (dkh, qh))) in dqi
                            .chunks_exact_mut(dk)
                            .zip(kj.chunks_exact(dk))
                            .zip(dkj.chunks_exact_mut(dk).zip(qi.chunks_exact(dk)))
                            .enumerate()
                        {
                            let ds = dp[h * nk + jj];
                            dqh.iter_mut().zip(kh).for_each(|(o, &x)| *o += ds * x);
                            dkh.iter_mut().zip(qh).for_each(|(o, &x)| *o += ds * x);
                        }
                    }
                }
            },
        );
        let shape = q.shape().clone();
        let dev = q.device();
        Ok((
            Some(Tensor::from_vec(dq, shape.clone(), dev)?),
            Some(Tensor::from_vec(dkv, shape.clone(), dev)?),
            Some(Tensor::from_vec(dv, shape, dev)?),
        ))
    }
}

/// The same attention written densely with candle ops (scores, additive −1e9 mask, softmax, weighted
/// sum): the reference the fused op is tested against, and the path on devices without a fused op.
pub fn dense_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask_bias: &Tensor,
    heads: usize,
    keep: Option<&Tensor>,
) -> Result<Tensor> {
    let (b, l, d) = q.dims3()?;
    let dk = d / heads;
    let split = |t: &Tensor| -> Result<Tensor> { t.reshape((b, l, heads, dk))?.transpose(1, 2)?.contiguous() };
    let (q, k, v) = (split(q)?, split(k)?, split(v)?);
    let scores = (q.matmul(&k.t()?)? * (1.0 / (dk as f64).sqrt()))?.broadcast_add(mask_bias)?;
    let mut p = crate::core::nn::softmax_last_dim(&scores)?;
    if let Some(keep) = keep {
        p = (p * keep)?;
    }
    p.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b, l, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecct::model::build_mask;
    use candle_core::{Device, Var};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(shape: (usize, usize, usize), rng: &mut ChaCha8Rng) -> Tensor {
        let count = shape.0 * shape.1 * shape.2;
        let v: Vec<f32> = (0..count).map(|_| rng.random_range(-2.0..2.0)).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// Hamming(7,4): 10 tokens, a realistic ECCT pattern.
    fn hamming_pattern() -> (Vec<bool>, usize) {
        let checks = vec![vec![0, 1, 2, 4], vec![0, 1, 3, 5], vec![0, 2, 3, 6]];
        (build_mask(7, &checks), 10)
    }

    #[test]
    fn equals_dense_masked_attention_in_value_and_gradient() -> Result<()> {
        let (mask, l) = hamming_pattern();
        let pattern = Arc::new(AttentionPattern::from_mask(&mask, l)?);
        let bias = crate::core::nn::mask_to_bias(&mask, l, &Device::Cpu)?;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (b, d, heads) = (3, 16, 4);
        let q = Var::from_tensor(&random((b, l, d), &mut rng))?;
        let k = Var::from_tensor(&random((b, l, d), &mut rng))?;
        let v = Var::from_tensor(&random((b, l, d), &mut rng))?;
        // A loss with distinct weights per output so every gradient entry matters.
        let w = random((b, l, d), &mut rng);
        let sparse = sparse_attention(&q, &k, &v, &pattern, heads, None)?;
        let dense = dense_attention(&q, &k, &v, &bias, heads, None)?;
        assert!(max_abs_diff(&sparse, &dense) < 1e-5, "values differ by {}", max_abs_diff(&sparse, &dense));
        let gs = (sparse * &w)?.sum_all()?.backward()?;
        let gd = (dense * &w)?.sum_all()?.backward()?;
        for (name, var) in [("q", &q), ("k", &k), ("v", &v)] {
            let (a, b) = (gs.get(var).unwrap(), gd.get(var).unwrap());
            let diff = max_abs_diff(a, b);
            let size = b.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
            assert!(size > 1e-3 && diff < 1e-5 * size.max(1.0), "d{name}: differs by {diff} (scale {size})");
        }
        Ok(())
    }

    #[test]
    fn dropout_is_reproducible_drops_about_p_and_backward_uses_the_same_mask() -> Result<()> {
        let (mask, l) = hamming_pattern();
        let pattern = Arc::new(AttentionPattern::from_mask(&mask, l)?);
        let bias = crate::core::nn::mask_to_bias(&mask, l, &Device::Cpu)?;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (b, d, heads) = (64, 8, 2);
        let q = Var::from_tensor(&random((b, l, d), &mut rng))?;
        let k = Var::from_tensor(&random((b, l, d), &mut rng))?;
        let v = Var::from_tensor(&random((b, l, d), &mut rng))?;
        let dr = PairDropout { p: 0.25, seed: 99 };
        let op = SparseAttention { pattern: pattern.clone(), heads, scale: 0.5, dropout: Some(dr), saved: None };
        // The dense keep tensor (B, heads, L, L) of the same decisions, for the reference.
        let mut keep = vec![0f32; b * heads * l * l];
        let mut kept = 0usize;
        for (idx, slot) in keep.iter_mut().enumerate() {
            let (j, i, h, bb) = (idx % l, idx / l % l, idx / (l * l) % heads, idx / (l * l * heads));
            *slot = op.keep(l, bb, h, i, j);
            kept += usize::from(*slot > 0.0);
        }
        let rate = kept as f64 / keep.len() as f64;
        assert!((rate - 0.75).abs() < 0.01, "keep rate {rate}");
        let keep = Tensor::from_vec(keep, (b, heads, l, l), &Device::Cpu)?;
        let a = sparse_attention(&q, &k, &v, &pattern, heads, Some(dr))?;
        let again = sparse_attention(&q, &k, &v, &pattern, heads, Some(dr))?;
        assert_eq!(max_abs_diff(&a, &again), 0.0);
        let other = sparse_attention(&q, &k, &v, &pattern, heads, Some(PairDropout { p: 0.25, seed: 100 }))?;
        assert!(max_abs_diff(&a, &other) > 1e-3, "another seed must give another mask");
        let dense = dense_attention(&q, &k, &v, &bias, heads, Some(&keep))?;
        assert!(max_abs_diff(&a, &dense) < 1e-5);
        let w = random((b, l, d), &mut rng);
        let loss = (a * &w)?.sum_all()?;
        let gs = loss.backward()?;
        // A second backward finds forward's saved values taken and recomputes them: same result.
        let recomputed = loss.backward()?;
        let gd = (dense * &w)?.sum_all()?.backward()?;
        for var in [&q, &k, &v] {
            assert!(max_abs_diff(gs.get(var).unwrap(), gd.get(var).unwrap()) < 1e-4);
            assert_eq!(max_abs_diff(gs.get(var).unwrap(), recomputed.get(var).unwrap()), 0.0);
        }
        Ok(())
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() -> Result<()> {
        let (mask, l) = hamming_pattern();
        let pattern = Arc::new(AttentionPattern::from_mask(&mask, l)?);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (q, k, v) = (random((16, l, 8), &mut rng), random((16, l, 8), &mut rng), random((16, l, 8), &mut rng));
        let run = |threads: usize| -> Vec<f32> {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                sparse_attention(&q, &k, &v, &pattern, 2, None).unwrap().flatten_all().unwrap().to_vec1().unwrap()
            })
        };
        assert_eq!(run(1), run(3));
        Ok(())
    }

    #[test]
    fn a_query_that_sees_nothing_is_refused() {
        let mut mask = vec![false; 9];
        mask[3..6].iter_mut().for_each(|m| *m = true);
        let err = AttentionPattern::from_mask(&mask, 3).unwrap_err().to_string();
        assert!(err.contains("query 1"), "{err}");
    }
}
