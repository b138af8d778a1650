//! Q8_0 matrix products for the coder's model, four weight rows per pass over an activation row.
//!
//! Q8_0 stores 32 weights as 32 signed bytes and one f16 scale. A product `x·Wᵀ` quantises each
//! activation row to Q8_0 as well and sums, block by block, `scale_w·scale_x·Σ w_i·x_i`. candle
//! 0.11.1 has a fast AVX2 kernel for one (row, column) pair only (its four-column form on x86
//! calls it four times), so each pair reloads the activation block and recomputes its sign
//! trick. Here one pass serves four weight rows: the activation's absolute value is computed
//! once and each weight row only contributes `sign(w, x)`; `maddubs(|x|, sign(w, x))` gives the
//! same 16-bit pair sums as candle's `maddubs(|w|, sign(x, w))` (both are `w_i·x_i`, at most
//! 2·127² in magnitude, so neither saturates), and the float steps (scale product, FMA into
//! eight lanes, horizontal sum) are candle's in candle's order. So every output equals candle's
//! bit for bit (tested against `QMatMul`), and a row's result does not depend on how many rows
//! are computed together.
//!
//! Used only where it is exact: Q8_0 weights with rows a multiple of 32 on an x86_64 CPU with
//! AVX2 and FMA (detected at run time); everything else goes through candle's `QMatMul`.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Module, Result, Tensor};
use half::f16;
use std::sync::Arc;

const QK8_0: usize = 32;

/// One Q8_0 block with its f16 scale widened to f32 (exact).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(4))]
struct Block {
    d: f32,
    qs: [i8; QK8_0],
}

/// Q8_0 weights `(n, k)`: `n` output rows of `k / 32` blocks.
pub struct Q8Weights {
    blocks: Vec<Block>,
    n: usize,
    k: usize,
}

impl std::fmt::Debug for Q8Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Q8Weights({}x{})", self.n, self.k)
    }
}

/// A linear layer without bias: our Q8_0 kernel where it applies, else candle's.
#[derive(Debug, Clone)]
pub enum Linear {
    Q8(Arc<Q8Weights>),
    Candle(QMatMul),
}

fn kernel_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl Linear {
    /// Wrap a weight matrix `(out, in)`.
    pub fn from_qtensor(qt: QTensor) -> Result<Self> {
        let dims = qt.shape().dims().to_vec();
        if qt.dtype() != GgmlDType::Q8_0 || dims.len() != 2 || dims[1] % QK8_0 != 0 || !kernel_available() {
            return Ok(Self::Candle(QMatMul::from_qtensor(qt)?));
        }
        let (n, k) = (dims[0], dims[1]);
        let bytes = qt.data()?;
        const BLOCK_BYTES: usize = 2 + QK8_0;
        if bytes.len() != n * k / QK8_0 * BLOCK_BYTES {
            candle_core::bail!("Q8_0 tensor of {n}x{k} has {} bytes", bytes.len());
        }
        let blocks = bytes
            .chunks_exact(BLOCK_BYTES)
            .map(|b| {
                let mut qs = [0i8; QK8_0];
                for (q, &byte) in qs.iter_mut().zip(&b[2..]) {
                    *q = byte as i8;
                }
                Block { d: f16::from_le_bytes([b[0], b[1]]).to_f32(), qs }
            })
            .collect();
        Ok(Self::Q8(Arc::new(Q8Weights { blocks, n, k })))
    }

    /// `x · Wᵀ` for `x` of shape `(.., in)`; returns `(.., out)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::Candle(m) => m.forward(x),
            Self::Q8(w) => {
                let dims = x.dims().to_vec();
                let k = *dims.last().unwrap_or(&0);
                if k != w.k || x.dtype() != DType::F32 {
                    candle_core::bail!("Q8_0 product expects (.., {}) f32 input, got {:?} {:?}", w.k, dims, x.dtype());
                }
                let xs: Vec<f32> = x.flatten_all()?.to_vec1()?;
                let m = xs.len() / k;
                let mut out = vec![0f32; m * w.n];
                let rows: Vec<Vec<Block>> = xs.chunks_exact(k).map(quantize_row).collect();
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `Q8` is only built when AVX2 and FMA were detected (`kernel_available`).
                unsafe {
                    avx2::matmul(w, &rows, &mut out)
                };
                let mut out_dims = dims;
                *out_dims.last_mut().expect("non-empty dims") = w.n;
                Tensor::from_vec(out, out_dims, x.device())
            }
        }
    }
}

/// candle's `BlockQ8_0::from_float` (x86 path), with the stored f16 scale widened.
fn quantize_row(xs: &[f32]) -> Vec<Block> {
    xs.chunks_exact(QK8_0)
        .map(|xs| {
            let mut amax = 0f32;
            for &x in xs {
                amax = amax.max(x.abs())
            }
            let d = amax / ((1 << 7) - 1) as f32;
            let id = if d != 0f32 { 1. / d } else { 0. };
            let mut qs = [0i8; QK8_0];
            for (q, &x) in qs.iter_mut().zip(xs) {
                *q = f32::round(x * id) as i8
            }
            Block { d: f16::from_f32(d).to_f32(), qs }
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Block, Q8Weights};
    use std::arch::x86_64::*;

    /// candle's `hsum_float_8`, same order of additions.
    #[target_feature(enable = "avx2,fma")]
    fn hsum_float_8(x: __m256) -> f32 {
        let res = _mm256_extractf128_ps(x, 1);
        let res = _mm_add_ps(res, _mm256_castps256_ps128(x));
        let res = _mm_add_ps(res, _mm_movehl_ps(res, res));
        let res = _mm_add_ss(res, _mm_movehdup_ps(res));
        _mm_cvtss_f32(res)
    }

    /// Dot products of one activation row with `C` weight rows.
    #[target_feature(enable = "avx2,fma")]
    fn dots<const C: usize>(weights: [&[Block]; C], row: &[Block]) -> [f32; C] {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); C];
        for (b, a) in row.iter().enumerate() {
            // SAFETY: `qs` is 32 bytes; unaligned loads.
            let ya = unsafe { _mm256_loadu_si256(a.qs.as_ptr() as *const __m256i) };
            let ay = _mm256_sign_epi8(ya, ya);
            for c in 0..C {
                let w = &weights[c][b];
                let wx = unsafe { _mm256_loadu_si256(w.qs.as_ptr() as *const __m256i) };
                let pairs = _mm256_maddubs_epi16(ay, _mm256_sign_epi8(wx, ya));
                let q = _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, pairs));
                acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(w.d * a.d), q, acc[c]);
            }
        }
        acc.map(|a| hsum_float_8(a))
    }

    /// `out[r * n + j] = Σ_b …` for every activation row `r` and weight row `j`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn matmul(w: &Q8Weights, rows: &[Vec<Block>], out: &mut [f32]) {
        let kb = w.k / super::QK8_0;
        let wrow = |j: usize| &w.blocks[j * kb..(j + 1) * kb];
        let quads = w.n / 4;
        // Weight quad outer, rows inner: the quad stays in L1 while every row uses it.
        for qd in 0..quads {
            let j = qd * 4;
            let ws = [wrow(j), wrow(j + 1), wrow(j + 2), wrow(j + 3)];
            for (r, row) in rows.iter().enumerate() {
                let d = dots::<4>(ws, row);
                out[r * w.n + j..r * w.n + j + 4].copy_from_slice(&d);
            }
        }
        for j in quads * 4..w.n {
            for (r, row) in rows.iter().enumerate() {
                out[r * w.n + j] = dots::<1>([wrow(j)], row)[0];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use rand::{Rng, SeedableRng};

    fn random(rng: &mut rand_chacha::ChaCha8Rng, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| (rng.random::<f32>() - 0.5) * scale).collect()
    }

    /// Every output equals candle's Q8_0 `QMatMul` bit for bit, for one row and for several,
    /// with a column count that leaves a remainder after the groups of four.
    #[test]
    fn equals_candles_q8_0_matmul_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (n, k) = (38, 96);
        let w = Tensor::from_vec(random(&mut rng, n * k, 2.0), (n, k), &Device::Cpu).unwrap();
        let qt = QTensor::quantize(&w, GgmlDType::Q8_0).unwrap();
        let ours = Linear::from_qtensor(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap()).unwrap();
        if !kernel_available() {
            eprintln!("no AVX2/FMA: the kernel is not used on this CPU, nothing to compare");
            return;
        }
        assert!(matches!(ours, Linear::Q8(_)));
        let theirs = QMatMul::from_qtensor(qt).unwrap();
        for m in [1usize, 3, 5] {
            // Include a zero block and a large outlier: scale 0 and saturation edge cases.
            let mut x = random(&mut rng, m * k, 6.0);
            x[..32].iter_mut().for_each(|v| *v = 0.0);
            x[40] = 1e3;
            let x = Tensor::from_vec(x, (1, m, k), &Device::Cpu).unwrap();
            let a: Vec<f32> = ours.forward(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            let b: Vec<f32> = theirs.forward(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(a.len(), m * n);
            let same = a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits());
            assert!(same, "m={m}: outputs differ from candle's");
        }
    }

    #[test]
    fn other_formats_and_shapes_use_candle() {
        let w = Tensor::ones((4, 48), DType::F32, &Device::Cpu).unwrap();
        let odd = QTensor::quantize(&w, GgmlDType::F32).unwrap();
        assert!(matches!(Linear::from_qtensor(odd).unwrap(), Linear::Candle(_)));
    }
}
