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
//!
//! **AVX-512 VNNI** (detected at run time; same outputs bit for bit, tested): one 512-bit register
//! holds two weight rows' blocks side by side, so each instruction serves two (row, column)
//! pairs. The sign trick becomes a masked byte negation (`w` negated where `x < 0`; AVX-512 has
//! no `vpsignb`), and `vpdpbusd(0, |x|, ±w)` gives the eight 32-bit sums of four products that
//! `madd(1, maddubs(..))` gave (exact integers either way); each half then takes candle's float
//! steps in candle's order (per block: scale product, FMA into eight lanes; horizontal sum last).
//! Weight blocks are the inner loop's constant and up to eight activation rows its variable, so a
//! weight block is read once per product, not once per row. Weights are stored in pairs of rows
//! (`[row 2p block b | row 2p+1 block b]`, 64 bytes), padded to a multiple of four rows.

use crate::q4_1_matmul::{Q41Weights, Q8Row};
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

/// Q8_0 weights `(n, k)`: `n` output rows of `k / 32` blocks, laid out in pairs of rows.
pub struct Q8Weights {
    /// For pair `p` and block `b`, 64 bytes at `(p · kb + b) · 64`: row `2p`'s block, then row
    /// `2p + 1`'s. Rows `n..` (padding up to a multiple of four) are zero.
    qs: Vec<i8>,
    /// Scale of row `j`, block `b` at `j · kb + b` (f16 widened to f32, exact; padding 0).
    d: Vec<f32>,
    n: usize,
    k: usize,
}

impl Q8Weights {
    fn blocks_per_row(&self) -> usize {
        self.k / QK8_0
    }

    /// The 32 quantised values of row `j`, block `b`.
    fn row_block(&self, j: usize, b: usize) -> &[i8] {
        let at = row_block_offset(self.blocks_per_row(), j, b);
        &self.qs[at..at + QK8_0]
    }
}

/// Where row `j`'s block `b` starts in [`Q8Weights::qs`] (rows of `kb` blocks, in pairs).
fn row_block_offset(kb: usize, j: usize, b: usize) -> usize {
    ((j / 2) * kb + b) * 2 * QK8_0 + (j % 2) * QK8_0
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
    /// The GGUF's own Q4_1 blocks ([`crate::q4_1_matmul`]; not candle's arithmetic).
    Q41(Arc<Q41Weights>),
    Candle(QMatMul),
}

fn kernel_available() -> bool {
    crate::cpu::avx2_fma()
}

impl Linear {
    /// Wrap a weight matrix `(out, in)`: Q8_0 through our kernel (candle's arithmetic), Q4_1
    /// through [`crate::q4_1_matmul`] if `own_kernels` (else candle's), the rest candle's.
    pub fn from_qtensor(qt: QTensor, own_kernels: bool) -> Result<Self> {
        let dims = qt.shape().dims().to_vec();
        if own_kernels && qt.dtype() == GgmlDType::Q4_1 && dims.len() == 2 && dims[1] % QK8_0 == 0 {
            let weights = Q41Weights::from_gguf(&qt.data()?, dims[0], dims[1]).map_err(candle_core::Error::msg)?;
            return Ok(Self::Q41(Arc::new(weights)));
        }
        if qt.dtype() != GgmlDType::Q8_0 || dims.len() != 2 || dims[1] % QK8_0 != 0 || !kernel_available() {
            return Ok(Self::Candle(QMatMul::from_qtensor(qt)?));
        }
        let (n, k) = (dims[0], dims[1]);
        let bytes = qt.data()?;
        const BLOCK_BYTES: usize = 2 + QK8_0;
        if bytes.len() != n * k / QK8_0 * BLOCK_BYTES {
            candle_core::bail!("Q8_0 tensor of {n}x{k} has {} bytes", bytes.len());
        }
        let kb = k / QK8_0;
        let padded = n.div_ceil(4) * 4;
        let mut qs = vec![0i8; padded * k];
        let mut d = vec![0f32; padded * kb];
        for (i, block) in bytes.chunks_exact(BLOCK_BYTES).enumerate() {
            let (j, b) = (i / kb, i % kb);
            d[i] = f16::from_le_bytes([block[0], block[1]]).to_f32();
            let at = row_block_offset(kb, j, b);
            for (q, &byte) in qs[at..at + QK8_0].iter_mut().zip(&block[2..]) {
                *q = byte as i8;
            }
        }
        Ok(Self::Q8(Arc::new(Q8Weights { qs, d, n, k })))
    }

    /// `x · Wᵀ` for `x` of shape `(.., in)`; returns `(.., out)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(Self::forward_shared(&[self], x)?.pop().expect("one product"))
    }

    /// `x · Wᵀ` for each of `linears` (all of the same input width): the activations are read
    /// and quantised once for all of them (the attention's q, k, v; the MLP's gate and up).
    /// Each result is what [`Self::forward`] gives, bit for bit.
    pub fn forward_shared(linears: &[&Linear], x: &Tensor) -> Result<Vec<Tensor>> {
        let dims = x.dims().to_vec();
        let k = *dims.last().unwrap_or(&0);
        let mut xs: Option<Vec<f32>> = None;
        let mut q8_rows: Option<Vec<Vec<Block>>> = None;
        let mut q41_rows: Option<Vec<Q8Row>> = None;
        let mut out = Vec::with_capacity(linears.len());
        for linear in linears {
            let (n, values) = match linear {
                Self::Candle(m) => {
                    out.push(m.forward(x)?);
                    continue;
                }
                Self::Q8(w) => (w.n, w.k),
                Self::Q41(w) => (w.n, w.k),
            };
            if values != k || x.dtype() != DType::F32 {
                candle_core::bail!("product expects (.., {values}) f32 input, got {dims:?} {:?}", x.dtype());
            }
            if xs.is_none() {
                xs = Some(x.flatten_all()?.to_vec1()?);
            }
            let xs = xs.as_deref().expect("read above");
            let m = xs.len() / k.max(1);
            let mut y = vec![0f32; m * n];
            match linear {
                Self::Q8(w) => {
                    let rows = q8_rows.get_or_insert_with(|| xs.chunks_exact(k).map(quantize_row).collect());
                    matmul(w, rows, &mut y, Kernel::detect());
                }
                Self::Q41(w) => {
                    let rows = q41_rows.get_or_insert_with(|| xs.chunks_exact(k).map(Q8Row::quantize).collect());
                    w.matmul(rows, &mut y);
                }
                Self::Candle(_) => unreachable!("handled above"),
            }
            let mut out_dims = dims.clone();
            *out_dims.last_mut().expect("non-empty dims") = n;
            out.push(Tensor::from_vec(y, out_dims, x.device())?);
        }
        Ok(out)
    }
}

/// Which instruction set computes the products (the outputs are the same bit for bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Avx2,
    Avx512Vnni,
}

impl Kernel {
    fn detect() -> Self {
        static DETECTED: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            if crate::cpu::avx512_vnni() {
                return Kernel::Avx512Vnni;
            }
            Kernel::Avx2
        })
    }
}

/// `out[r · n + j] = Σ_b …` for every activation row `r` and weight row `j`.
fn matmul(w: &Q8Weights, rows: &[Vec<Block>], out: &mut [f32], kernel: Kernel) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `Q8` weights exist only where AVX2 and FMA were detected (`kernel_available`), and
    // `Kernel::Avx512Vnni` only where AVX-512 F, BW and VNNI were.
    unsafe {
        match kernel {
            Kernel::Avx2 => avx2::matmul(w, rows, out),
            Kernel::Avx512Vnni => avx512::matmul(w, rows, out),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (w, rows, out, kernel);
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
    pub(super) fn hsum_float_8(x: __m256) -> f32 {
        let res = _mm256_extractf128_ps(x, 1);
        let res = _mm_add_ps(res, _mm256_castps256_ps128(x));
        let res = _mm_add_ps(res, _mm_movehl_ps(res, res));
        let res = _mm_add_ss(res, _mm_movehdup_ps(res));
        _mm_cvtss_f32(res)
    }

    /// Dot products of one activation row with `C` weight rows (`rows[c]`).
    #[target_feature(enable = "avx2,fma")]
    fn dots<const C: usize>(w: &Q8Weights, rows: [usize; C], act: &[Block]) -> [f32; C] {
        let ones = _mm256_set1_epi16(1);
        let kb = w.blocks_per_row();
        let mut acc = [_mm256_setzero_ps(); C];
        for (b, a) in act.iter().enumerate() {
            // SAFETY: `qs` is 32 bytes; unaligned loads.
            let ya = unsafe { _mm256_loadu_si256(a.qs.as_ptr() as *const __m256i) };
            let ay = _mm256_sign_epi8(ya, ya);
            for c in 0..C {
                let j = rows[c];
                let wx = unsafe { _mm256_loadu_si256(w.row_block(j, b).as_ptr() as *const __m256i) };
                let pairs = _mm256_maddubs_epi16(ay, _mm256_sign_epi8(wx, ya));
                let q = _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, pairs));
                acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(w.d[j * kb + b] * a.d), q, acc[c]);
            }
        }
        acc.map(|a| hsum_float_8(a))
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn matmul(w: &Q8Weights, rows: &[Vec<Block>], out: &mut [f32]) {
        let quads = w.n / 4;
        // Weight quad outer, rows inner: the quad stays in L1 while every row uses it.
        for qd in 0..quads {
            let j = qd * 4;
            for (r, row) in rows.iter().enumerate() {
                let d = dots::<4>(w, [j, j + 1, j + 2, j + 3], row);
                out[r * w.n + j..r * w.n + j + 4].copy_from_slice(&d);
            }
        }
        for j in quads * 4..w.n {
            for (r, row) in rows.iter().enumerate() {
                out[r * w.n + j] = dots::<1>(w, [j], row)[0];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Block, Q8Weights, QK8_0};
    use std::arch::x86_64::*;

    /// How many blocks ahead of use weight blocks are prefetched.
    const PREFETCH_BLOCKS: usize = 24;

    /// Activation rows prepared once per product: per block, `|x|` twice (both halves of a
    /// 512-bit register), the mask of negative bytes twice, and the scale.
    struct Prepared {
        abs: Vec<[i8; 64]>,
        negative: Vec<u64>,
        d: Vec<f32>,
    }

    #[target_feature(enable = "avx2")]
    fn prepare(act: &[Block]) -> Prepared {
        let mut p = Prepared {
            abs: Vec::with_capacity(act.len()),
            negative: Vec::with_capacity(act.len()),
            d: Vec::with_capacity(act.len()),
        };
        for a in act {
            // SAFETY: `qs` is 32 bytes; unaligned load.
            let x = unsafe { _mm256_loadu_si256(a.qs.as_ptr() as *const __m256i) };
            let mut abs = [0i8; 64];
            // SAFETY: `abs` has room for two 32-byte stores.
            unsafe {
                _mm256_storeu_si256(abs.as_mut_ptr() as *mut __m256i, _mm256_sign_epi8(x, x));
                _mm256_storeu_si256(abs.as_mut_ptr().add(32) as *mut __m256i, _mm256_sign_epi8(x, x));
            }
            let m = _mm256_movemask_epi8(x) as u32 as u64;
            p.abs.push(abs);
            p.negative.push(m | (m << 32));
            p.d.push(a.d);
        }
        p
    }

    /// candle's `hsum_float_8` on each 256-bit half: (low half, high half).
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn hsum_halves(x: __m512) -> (f32, f32) {
        let lo = _mm512_castps512_ps256(x);
        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1));
        (super::avx2::hsum_float_8(lo), super::avx2::hsum_float_8(hi))
    }

    /// Weight rows `4q .. 4q + 4` against `R` prepared activation rows; `out[r]` gets row `r`'s
    /// four outputs.
    ///
    /// # Safety
    /// `q < ⌈n / 4⌉` and every `act[r]` holds `k / 32` blocks; the CPU has AVX-512 F, BW, VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    unsafe fn quad<const R: usize>(w: &Q8Weights, q: usize, act: &[&Prepared; R]) -> [[f32; 4]; R] {
        let kb = w.blocks_per_row();
        let zero = _mm512_setzero_si512();
        let qs = w.qs.as_ptr();
        let d = w.d.as_ptr();
        let abs: [*const [i8; 64]; R] = std::array::from_fn(|r| act[r].abs.as_ptr());
        let negative: [*const u64; R] = std::array::from_fn(|r| act[r].negative.as_ptr());
        let scale: [*const f32; R] = std::array::from_fn(|r| act[r].d.as_ptr());
        let mut acc0 = [_mm512_setzero_ps(); R];
        let mut acc1 = [_mm512_setzero_ps(); R];
        let (p0, p1) = (2 * q, 2 * q + 1);
        for b in 0..kb {
            // SAFETY (whole block): offsets stay inside the pairs' blocks and the rows' `kb` blocks.
            unsafe {
                // The weights stream from memory once per product: fetch ahead of use (a
                // prefetch past the end of the weights is harmless).
                _mm_prefetch::<_MM_HINT_T0>(qs.wrapping_add((p0 * kb + b + PREFETCH_BLOCKS) * 2 * QK8_0));
                _mm_prefetch::<_MM_HINT_T0>(qs.wrapping_add((p1 * kb + b + PREFETCH_BLOCKS) * 2 * QK8_0));
                let w0 = _mm512_loadu_si512(qs.add((p0 * kb + b) * 2 * QK8_0) as *const __m512i);
                let w1 = _mm512_loadu_si512(qs.add((p1 * kb + b) * 2 * QK8_0) as *const __m512i);
                let halves = |lo: f32, hi: f32| {
                    let (lo, hi) = (_mm512_castps_pd(_mm512_set1_ps(lo)), _mm256_castps_pd(_mm256_set1_ps(hi)));
                    _mm512_castpd_ps(_mm512_insertf64x4(lo, hi, 1))
                };
                let dd0 = halves(*d.add(2 * p0 * kb + b), *d.add((2 * p0 + 1) * kb + b));
                let dd1 = halves(*d.add(2 * p1 * kb + b), *d.add((2 * p1 + 1) * kb + b));
                for r in 0..R {
                    let ax = _mm512_loadu_si512(abs[r].add(b) as *const __m512i);
                    let neg: __mmask64 = *negative[r].add(b);
                    let da = _mm512_set1_ps(*scale[r].add(b));
                    let s0 = _mm512_dpbusd_epi32(zero, ax, _mm512_mask_sub_epi8(w0, neg, zero, w0));
                    let s1 = _mm512_dpbusd_epi32(zero, ax, _mm512_mask_sub_epi8(w1, neg, zero, w1));
                    acc0[r] = _mm512_fmadd_ps(_mm512_mul_ps(dd0, da), _mm512_cvtepi32_ps(s0), acc0[r]);
                    acc1[r] = _mm512_fmadd_ps(_mm512_mul_ps(dd1, da), _mm512_cvtepi32_ps(s1), acc1[r]);
                }
            }
        }
        std::array::from_fn(|r| {
            let (a, b) = hsum_halves(acc0[r]);
            let (c, d) = hsum_halves(acc1[r]);
            [a, b, c, d]
        })
    }

    /// One quad of weight rows against a chunk of at most eight rows starting at `first_row`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    fn quad_chunk<const R: usize>(w: &Q8Weights, q: usize, act: &[&Prepared], first_row: usize, out: &mut [f32]) {
        let act: &[&Prepared; R] = act.try_into().expect("R rows");
        // SAFETY: q < ⌈n / 4⌉ and the rows' block counts are checked by `matmul`; features by
        // the caller.
        let quad_out = unsafe { quad::<R>(w, q, act) };
        for (r, o) in quad_out.iter().enumerate() {
            for (c, &v) in o.iter().enumerate() {
                let j = 4 * q + c;
                if j < w.n {
                    out[(first_row + r) * w.n + j] = v;
                }
            }
        }
    }

    /// Quads of weight rows outer, chunks of eight activation rows inner: a quad's weights are
    /// read from memory once and stay in L1 for every row.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    pub(super) fn matmul(w: &Q8Weights, rows: &[Vec<Block>], out: &mut [f32]) {
        let prepared: Vec<Prepared> = rows.iter().map(|r| prepare(r)).collect();
        assert!(prepared.iter().all(|a| a.abs.len() == w.blocks_per_row()), "activation rows of k / 32 blocks");
        let refs: Vec<&Prepared> = prepared.iter().collect();
        for q in 0..w.n.div_ceil(4) {
            for (c, chunk) in refs.chunks(8).enumerate() {
                let first = 8 * c;
                match chunk.len() {
                    1 => quad_chunk::<1>(w, q, chunk, first, out),
                    2 => quad_chunk::<2>(w, q, chunk, first, out),
                    3 => quad_chunk::<3>(w, q, chunk, first, out),
                    4 => quad_chunk::<4>(w, q, chunk, first, out),
                    5 => quad_chunk::<5>(w, q, chunk, first, out),
                    6 => quad_chunk::<6>(w, q, chunk, first, out),
                    7 => quad_chunk::<7>(w, q, chunk, first, out),
                    _ => quad_chunk::<8>(w, q, chunk, first, out),
                }
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

    /// Every output equals candle's Q8_0 `QMatMul` bit for bit, for one row and for several (more
    /// than one chunk of eight), with a column count that leaves a remainder after the groups of
    /// four, through each kernel this CPU has.
    #[test]
    fn equals_candles_q8_0_matmul_bit_for_bit() {
        for (n, k) in [(38, 96), (301, 64)] {
            equals_candles_for(n, k);
        }
    }

    fn equals_candles_for(n: usize, k: usize) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let w = Tensor::from_vec(random(&mut rng, n * k, 2.0), (n, k), &Device::Cpu).unwrap();
        let qt = QTensor::quantize(&w, GgmlDType::Q8_0).unwrap();
        let ours = Linear::from_qtensor(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap(), true).unwrap();
        if !kernel_available() {
            eprintln!("no AVX2/FMA: the kernel is not used on this CPU, nothing to compare");
            return;
        }
        let Linear::Q8(weights) = &ours else { panic!("Q8_0 weights use our kernel") };
        let mut kernels = vec![Kernel::Avx2];
        if Kernel::detect() == Kernel::Avx512Vnni {
            kernels.push(Kernel::Avx512Vnni);
        } else {
            eprintln!("no AVX-512 VNNI on this CPU: only the AVX2 kernel is compared");
        }
        let theirs = QMatMul::from_qtensor(qt).unwrap();
        for m in [1usize, 3, 5, 8, 9, 17] {
            // Include a zero block and a large outlier: scale 0 and saturation edge cases.
            let mut x = random(&mut rng, m * k, 6.0);
            x[..32].iter_mut().for_each(|v| *v = 0.0);
            x[40] = 1e3;
            let rows: Vec<Vec<Block>> = x.chunks_exact(k).map(quantize_row).collect();
            let x = Tensor::from_vec(x, (1, m, k), &Device::Cpu).unwrap();
            let b: Vec<f32> = theirs.forward(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            let a: Vec<f32> = ours.forward(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "m={m}: forward differs");
            for &kernel in &kernels {
                let mut a = vec![f32::NAN; m * n];
                matmul(weights, &rows, &mut a, kernel);
                let same = a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits());
                assert!(same, "m={m}, {kernel:?}: outputs differ from candle's");
            }
        }
    }

    #[test]
    fn other_formats_and_shapes_use_candle() {
        let w = Tensor::ones((4, 48), DType::F32, &Device::Cpu).unwrap();
        let odd = QTensor::quantize(&w, GgmlDType::F32).unwrap();
        assert!(matches!(Linear::from_qtensor(odd, true).unwrap(), Linear::Candle(_)));
    }
}
