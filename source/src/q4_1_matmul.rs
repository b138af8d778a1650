//! Q4_1 matrix products on the GGUF's own blocks (the file coder's weights, container version 3).
//!
//! Q4_1 stores 32 weights as a scale `d` and a minimum `m` (f16 each) and 32 unsigned nibbles
//! `q` (byte `j` holds weight `j` in its low nibble and weight `j + 16` in its high one): weight
//! `i` is `d·q_i + m`. SmolLM2-135M ships its layers so; re-quantising them to Q8_0 (what the
//! message coder does, for candle's kernel) moves every weight a little and makes the stream
//! read per decoding step 1.8× larger (36 instead of 20 bytes per 32 weights in our layouts). This
//! module multiplies by the blocks as stored, as llama.cpp's `ggml_vec_dot_q4_1_q8_1` does:
//!
//! - An activation row is quantised per block of 32: `a = max|x|`, `dx = a / 127`,
//!   `xq_i = round(x_i / dx)` (as `x_i · (1/dx)`, rounded half to even; 0 if `a = 0`),
//!   `sx = dx · Σ xq_i`.
//! - For weight row `w` and activation row `x`, per block `b` in order: the integer sums
//!   `s_p = Σ q_i·xq_i` over `i ∈ {4p..4p+3} ∪ {16+4p..16+4p+3}` for `p = 0..3` (exact), then
//!   `acc_p = fma(d_b·dx_b, s_p, acc_p)` and `accm = fma(m_b, sx_b, accm)`; the output is
//!   `((acc_0 + acc_1) + (acc_2 + acc_3)) + accm`.
//!
//! That definition is what the scalar code computes; the AVX-512 VNNI (`vpdpbusd`: unsigned
//! nibbles × signed activation bytes, four products per 32-bit lane, exactly the `s_p` grouping)
//! and AVX2 (`pmaddubsw` + `pmaddwd`: pairs of at most 2·15·127, no saturation) kernels compute
//! each lane's chain in the same order, so every path gives the same bits (tested), and a row's
//! result does not depend on the other rows. Weights are laid out in quads of rows: per quad and
//! block, 64 bytes of nibbles (four rows' 16 bytes) then 8 f16 (`d` of the four rows, `m` of
//! the four rows), so one 512-bit load serves four rows.

use half::f16;

const QK: usize = 32;
/// Activation rows computed per pass over a quad's weights.
const MAX_ROWS: usize = 8;
/// Bytes of a GGUF Q4_1 block: `d`, `m` (f16) and 16 bytes of nibbles.
const GGUF_BLOCK_BYTES: usize = 4 + QK / 2;

/// Q4_1 weights `(n, k)` in quads of rows (see the module docs); rows `n..` (up to a multiple
/// of four) are zero.
pub struct Q41Weights {
    /// Quad `q`, block `b`: 64 bytes at `(q · kb + b) · 64` (row `4q + r`'s 16 bytes at `16r`).
    qs: Vec<u8>,
    /// Quad `q`, block `b`: `[d_0..d_3, m_0..m_3]` at `(q · kb + b) · 8`.
    scales: Vec<f16>,
    pub n: usize,
    pub k: usize,
}

impl std::fmt::Debug for Q41Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Q41Weights({}x{})", self.n, self.k)
    }
}

/// An activation row quantised per block (see the module docs).
pub struct Q8Row {
    xq: Vec<i8>,
    dx: Vec<f32>,
    sx: Vec<f32>,
}

impl Q8Row {
    pub fn quantize(x: &[f32]) -> Self {
        let kb = x.len() / QK;
        let mut row = Q8Row { xq: vec![0; kb * QK], dx: vec![0.0; kb], sx: vec![0.0; kb] };
        #[cfg(target_arch = "x86_64")]
        if Kernel::detect() == Kernel::Avx512Vnni {
            // SAFETY: AVX-512 F and BW were detected; `row` has room for `kb` blocks.
            unsafe { x86::quantize_avx512(x, &mut row) };
            return row;
        }
        for (b, xs) in x.chunks_exact(QK).enumerate() {
            let (d, id) = block_scale(xs.iter().fold(0f32, |a, x| a.max(x.abs())));
            let mut sum = 0i32;
            for (q, &x) in row.xq[b * QK..(b + 1) * QK].iter_mut().zip(xs) {
                *q = (x * id).round_ties_even() as i8;
                sum += *q as i32;
            }
            row.dx[b] = d;
            row.sx[b] = d * sum as f32;
        }
        row
    }
}

/// A block's step `dx = max|x| / 127` and its inverse (0 for an all-zero block).
fn block_scale(amax: f32) -> (f32, f32) {
    let d = amax / 127.0;
    (d, if d != 0.0 { 1.0 / d } else { 0.0 })
}

impl Q41Weights {
    /// From GGUF Q4_1 bytes of an `(n, k)` tensor (`k` a multiple of 32).
    pub fn from_gguf(bytes: &[u8], n: usize, k: usize) -> Result<Self, String> {
        if k % QK != 0 || bytes.len() != n * k / QK * GGUF_BLOCK_BYTES {
            return Err(format!("Q4_1 tensor of {n}x{k} has {} bytes", bytes.len()));
        }
        let kb = k / QK;
        let quads = n.div_ceil(4);
        let mut qs = vec![0u8; quads * kb * 64];
        let mut scales = vec![f16::ZERO; quads * kb * 8];
        for (i, block) in bytes.chunks_exact(GGUF_BLOCK_BYTES).enumerate() {
            let (j, b) = (i / kb, i % kb);
            let (q, r) = (j / 4, j % 4);
            let at = (q * kb + b) * 64 + 16 * r;
            qs[at..at + 16].copy_from_slice(&block[4..]);
            let s = (q * kb + b) * 8;
            scales[s + r] = f16::from_le_bytes([block[0], block[1]]);
            scales[s + 4 + r] = f16::from_le_bytes([block[2], block[3]]);
        }
        Ok(Self { qs, scales, n, k })
    }

    fn blocks_per_row(&self) -> usize {
        self.k / QK
    }

    /// `out[r · n + j] = row r · weight row j` for every activation row (the module docs'
    /// definition), with the best kernel this CPU has.
    pub fn matmul(&self, rows: &[Q8Row], out: &mut [f32]) {
        self.matmul_with(Kernel::detect(), rows, out)
    }

    fn matmul_with(&self, kernel: Kernel, rows: &[Q8Row], out: &mut [f32]) {
        let kb = self.blocks_per_row();
        assert!(rows.iter().all(|r| r.dx.len() == kb) && out.len() >= rows.len() * self.n);
        // Quads outer, rows inner: a quad's weights are read from memory once for every row.
        for q in 0..self.n.div_ceil(4) {
            for (c, chunk) in rows.chunks(MAX_ROWS).enumerate() {
                let mut quads = [[0f32; 4]; MAX_ROWS];
                match kernel {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the features were detected; `q` is a quad and the rows have `kb` blocks.
                    Kernel::Avx512Vnni => unsafe { x86::quads_avx512(self, q, chunk, &mut quads) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    Kernel::Avx2 => {
                        for (row, quad) in chunk.iter().zip(quads.iter_mut()) {
                            *quad = unsafe { x86::quad_avx2(self, q, row) };
                        }
                    }
                    Kernel::Scalar => {
                        for (row, quad) in chunk.iter().zip(quads.iter_mut()) {
                            *quad = self.quad_scalar(q, row);
                        }
                    }
                }
                for (i, quad) in quads.iter().enumerate().take(chunk.len()) {
                    let r = c * MAX_ROWS + i;
                    for (c, &v) in quad.iter().enumerate() {
                        let j = 4 * q + c;
                        if j < self.n {
                            out[r * self.n + j] = v;
                        }
                    }
                }
            }
        }
    }

    /// The definition, one lane at a time.
    fn quad_scalar(&self, q: usize, row: &Q8Row) -> [f32; 4] {
        let kb = self.blocks_per_row();
        let mut out = [0f32; 4];
        for (c, o) in out.iter_mut().enumerate() {
            let mut acc = [0f32; 4];
            let mut accm = 0f32;
            for b in 0..kb {
                let nibbles = &self.qs[(q * kb + b) * 64 + 16 * c..][..16];
                let scales = &self.scales[(q * kb + b) * 8..][..8];
                let xq = &row.xq[b * QK..(b + 1) * QK];
                let scale = scales[c].to_f32() * row.dx[b];
                for (p, acc) in acc.iter_mut().enumerate() {
                    let mut s = 0i32;
                    for i in 4 * p..4 * p + 4 {
                        s += (nibbles[i] & 0x0f) as i32 * xq[i] as i32 + (nibbles[i] >> 4) as i32 * xq[i + 16] as i32;
                    }
                    *acc = scale.mul_add(s as f32, *acc);
                }
                accm = scales[4 + c].to_f32().mul_add(row.sx[b], accm);
            }
            *o = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + accm;
        }
        out
    }
}

/// Which instruction set computes the products (the outputs are the same bit for bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512Vnni,
}

impl Kernel {
    fn detect() -> Self {
        static DETECTED: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if crate::cpu::avx512_vnni() {
                    return Kernel::Avx512Vnni;
                }
                if crate::cpu::avx2_fma_f16c() {
                    return Kernel::Avx2;
                }
            }
            Kernel::Scalar
        })
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Q41Weights, Q8Row, QK};
    use std::arch::x86_64::*;

    /// [`Q8Row::quantize`]'s definition, 16 values per vector: the maximum is exact in any
    /// order, `vcvtps2dq` rounds half to even (the default rounding mode) and saturating
    /// narrowing equals Rust's saturating `as i8`.
    ///
    /// # Safety
    /// AVX-512 F and BW present; `row` holds `x.len() / 32` blocks.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn quantize_avx512(x: &[f32], row: &mut Q8Row) {
        let sign = _mm512_set1_epi32(0x7fff_ffff);
        for (b, xs) in x.chunks_exact(QK).enumerate() {
            // SAFETY: 32 floats in `xs`, 32 bytes at `xq + 32b`.
            unsafe {
                let lo = _mm512_loadu_ps(xs.as_ptr());
                let hi = _mm512_loadu_ps(xs.as_ptr().add(16));
                let abs = |v: __m512| _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), sign));
                let amax = _mm512_reduce_max_ps(_mm512_max_ps(abs(lo), abs(hi)));
                let (d, id) = super::block_scale(amax);
                let idv = _mm512_set1_ps(id);
                let qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, idv));
                let qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, idv));
                let out = row.xq.as_mut_ptr().add(b * QK);
                _mm_storeu_si128(out as *mut __m128i, _mm512_cvtsepi32_epi8(qlo));
                _mm_storeu_si128(out.add(16) as *mut __m128i, _mm512_cvtsepi32_epi8(qhi));
                // The stored bytes, summed exactly (saturated values as stored).
                let back = |q: __m512i| _mm512_cvtepi8_epi32(_mm512_cvtsepi32_epi8(q));
                let sum = _mm512_reduce_add_epi32(_mm512_add_epi32(back(qlo), back(qhi)));
                row.dx[b] = d;
                row.sx[b] = d * sum as f32;
            }
        }
    }

    /// Blocks ahead of use that a quad's weights are prefetched.
    const PREFETCH_BLOCKS: usize = 8;

    /// The four outputs of quad `q` for each of `rows` (at most [`super::MAX_ROWS`]).
    ///
    /// # Safety
    /// AVX-512 F, BW, VNNI and F16C present; `q < ⌈n/4⌉`; every row has `k / 32` blocks.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
    pub(super) unsafe fn quads_avx512(w: &Q41Weights, q: usize, rows: &[Q8Row], out: &mut [[f32; 4]; super::MAX_ROWS]) {
        // SAFETY: by the caller's contract.
        unsafe {
            match rows.len() {
                1 => quad_rows_avx512::<1>(w, q, rows, out),
                2 => quad_rows_avx512::<2>(w, q, rows, out),
                3 => quad_rows_avx512::<3>(w, q, rows, out),
                4 => quad_rows_avx512::<4>(w, q, rows, out),
                5 => quad_rows_avx512::<5>(w, q, rows, out),
                6 => quad_rows_avx512::<6>(w, q, rows, out),
                7 => quad_rows_avx512::<7>(w, q, rows, out),
                _ => quad_rows_avx512::<8>(w, q, rows, out),
            }
        }
    }

    /// [`quads_avx512`] for exactly `R` rows: per block, the quad's nibbles and scales are
    /// loaded and unpacked once and serve every row. Lane `4c + p` of a row's accumulator is
    /// weight row `4q + c`'s `acc_p` (the `m` chain is repeated in the four lanes of a row).
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
    unsafe fn quad_rows_avx512<const R: usize>(
        w: &Q41Weights,
        q: usize,
        rows: &[Q8Row],
        out: &mut [[f32; 4]; super::MAX_ROWS],
    ) {
        let kb = w.blocks_per_row();
        let low = _mm512_set1_epi8(0x0f);
        let spread_d = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        let spread_m = _mm512_add_epi32(spread_d, _mm512_set1_epi32(4));
        let mut acc = [_mm512_setzero_ps(); R];
        let mut accm = [_mm512_setzero_ps(); R];
        let qs = w.qs.as_ptr();
        let scales = w.scales.as_ptr() as *const u16;
        let xq: [*const i8; R] = std::array::from_fn(|r| rows[r].xq.as_ptr());
        let dx: [*const f32; R] = std::array::from_fn(|r| rows[r].dx.as_ptr());
        let sx: [*const f32; R] = std::array::from_fn(|r| rows[r].sx.as_ptr());
        // SAFETY (whole loop): quad `q`'s block `b` is 64 bytes at `qs + (q·kb + b)·64` and 8 f16
        // at `scales + (q·kb + b)·8`; a row's block `b` is 32 bytes at `xq + 32b`, its scales at `b`.
        unsafe {
            for b in 0..kb {
                let at = q * kb + b;
                _mm_prefetch::<_MM_HINT_T0>(qs.wrapping_add((at + PREFETCH_BLOCKS) * 64) as *const i8);
                let v = _mm512_loadu_si512(qs.add(at * 64) as *const __m512i);
                let lo = _mm512_and_si512(v, low);
                let hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
                let dm = _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128(scales.add(at * 8) as *const __m128i)));
                let d = _mm512_permutexvar_ps(spread_d, dm);
                let m = _mm512_permutexvar_ps(spread_m, dm);
                for r in 0..R {
                    let xlo = _mm512_broadcast_i32x4(_mm_loadu_si128(xq[r].add(b * QK) as *const __m128i));
                    let xhi = _mm512_broadcast_i32x4(_mm_loadu_si128(xq[r].add(b * QK + 16) as *const __m128i));
                    let s = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, xlo), hi, xhi);
                    let scale = _mm512_mul_ps(d, _mm512_set1_ps(*dx[r].add(b)));
                    acc[r] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(s), acc[r]);
                    accm[r] = _mm512_fmadd_ps(m, _mm512_set1_ps(*sx[r].add(b)), accm[r]);
                }
            }
        }
        for r in 0..R {
            let mut a = [0f32; 16];
            let mut am = [0f32; 16];
            // SAFETY: 16 floats each.
            unsafe {
                _mm512_storeu_ps(a.as_mut_ptr(), acc[r]);
                _mm512_storeu_ps(am.as_mut_ptr(), accm[r]);
            }
            out[r] = std::array::from_fn(|c| ((a[4 * c] + a[4 * c + 1]) + (a[4 * c + 2] + a[4 * c + 3])) + am[4 * c]);
        }
    }

    /// One row of [`quads_avx512`] with 256-bit vectors: two weight rows per vector, two vectors
    /// per quad.
    ///
    /// # Safety
    /// AVX2, FMA and F16C present; `q < ⌈n/4⌉`; `row` has `k / 32` blocks.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn quad_avx2(w: &Q41Weights, q: usize, row: &Q8Row) -> [f32; 4] {
        let kb = w.blocks_per_row();
        let low = _mm256_set1_epi8(0x0f);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); 2];
        let mut accm = [_mm256_setzero_ps(); 2];
        let qs = w.qs.as_ptr();
        let scales = w.scales.as_ptr() as *const u16;
        let xq = row.xq.as_ptr();
        // SAFETY (whole loop): as in `quad_rows_avx512`.
        unsafe {
            for b in 0..kb {
                let at = q * kb + b;
                let xlo = _mm256_broadcastsi128_si256(_mm_loadu_si128(xq.add(b * QK) as *const __m128i));
                let xhi = _mm256_broadcastsi128_si256(_mm_loadu_si128(xq.add(b * QK + 16) as *const __m128i));
                let dm = _mm256_cvtph_ps(_mm_loadu_si128(scales.add(at * 8) as *const __m128i));
                let dx = _mm256_set1_ps(*row.dx.get_unchecked(b));
                let sx = _mm256_set1_ps(*row.sx.get_unchecked(b));
                for h in 0..2 {
                    let v = _mm256_loadu_si256(qs.add(at * 64 + 32 * h) as *const __m256i);
                    let lo = _mm256_and_si256(v, low);
                    let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
                    let s = _mm256_add_epi32(
                        _mm256_madd_epi16(ones, _mm256_maddubs_epi16(lo, xlo)),
                        _mm256_madd_epi16(ones, _mm256_maddubs_epi16(hi, xhi)),
                    );
                    // Rows 2h and 2h + 1: their d in lanes 0..3 and 4..7, their m likewise.
                    let spread_d = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
                    let base = _mm256_set1_epi32(2 * h as i32);
                    let d = _mm256_permutevar8x32_ps(dm, _mm256_add_epi32(spread_d, base));
                    let m = _mm256_permutevar8x32_ps(
                        dm,
                        _mm256_add_epi32(spread_d, _mm256_add_epi32(base, _mm256_set1_epi32(4))),
                    );
                    acc[h] = _mm256_fmadd_ps(_mm256_mul_ps(d, dx), _mm256_cvtepi32_ps(s), acc[h]);
                    accm[h] = _mm256_fmadd_ps(m, sx, accm[h]);
                }
            }
        }
        let mut a = [0f32; 16];
        let mut am = [0f32; 16];
        // SAFETY: 8 floats per store, 16 in all.
        unsafe {
            for h in 0..2 {
                _mm256_storeu_ps(a.as_mut_ptr().add(8 * h), acc[h]);
                _mm256_storeu_ps(am.as_mut_ptr().add(8 * h), accm[h]);
            }
        }
        std::array::from_fn(|c| ((a[4 * c] + a[4 * c + 1]) + (a[4 * c + 2] + a[4 * c + 3])) + am[4 * c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{GgmlDType, QTensor};
    use candle_core::{Device, Tensor};
    use rand::{Rng, SeedableRng};

    fn random(rng: &mut rand_chacha::ChaCha8Rng, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| (rng.random::<f32>() - 0.5) * scale).collect()
    }

    fn kernels() -> Vec<Kernel> {
        let mut all = vec![Kernel::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if crate::cpu::avx2_fma_f16c() {
                all.push(Kernel::Avx2);
            }
            if Kernel::detect() == Kernel::Avx512Vnni {
                all.push(Kernel::Avx512Vnni);
            }
        }
        all
    }

    /// Every kernel gives the scalar definition's bits, and the products are close to the
    /// exact product of the dequantised weights (candle's dequantisation of the same blocks)
    /// with the activations: the layout and nibble order are read as GGUF writes them.
    #[test]
    fn kernels_agree_bit_for_bit_and_match_the_dequantised_product() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let kernels = kernels();
        assert!(kernels.len() > 1 || !cfg!(target_arch = "x86_64"), "no vector kernel was tested");
        for (n, k) in [(7, 64), (38, 96), (12, 576)] {
            let w = Tensor::from_vec(random(&mut rng, n * k, 2.0), (n, k), &Device::Cpu).unwrap();
            let qt = QTensor::quantize(&w, GgmlDType::Q4_1).unwrap();
            let dequantised: Vec<f32> = qt.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            let weights = Q41Weights::from_gguf(&qt.data().unwrap(), n, k).unwrap();
            for m in [1usize, 3, 9] {
                let mut x = random(&mut rng, m * k, 6.0);
                x[..32].iter_mut().for_each(|v| *v = 0.0);
                x[40] = 1e3;
                let rows: Vec<Q8Row> = x.chunks_exact(k).map(Q8Row::quantize).collect();
                let mut reference = vec![f32::NAN; m * n];
                weights.matmul_with(Kernel::Scalar, &rows, &mut reference);
                for &kernel in &kernels {
                    let mut out = vec![f32::NAN; m * n];
                    weights.matmul_with(kernel, &rows, &mut out);
                    let same = out.iter().zip(&reference).all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{n}x{k}, m={m}, {kernel:?}: differs from the scalar definition");
                }
                // Against the exact product: off by at most the activations' rounding (half a
                // step `dx` per element) plus float slack.
                for r in 0..m {
                    for j in 0..n {
                        let (xr, wj) = (&x[r * k..(r + 1) * k], &dequantised[j * k..(j + 1) * k]);
                        let exact: f64 = xr.iter().zip(wj).map(|(&a, &b)| a as f64 * b as f64).sum();
                        let bound: f64 = (0..k / QK)
                            .map(|b| {
                                rows[r].dx[b] as f64 / 2.0
                                    * wj[b * QK..(b + 1) * QK].iter().map(|w| w.abs() as f64).sum::<f64>()
                            })
                            .sum();
                        let got = reference[r * n + j] as f64;
                        assert!(
                            (got - exact).abs() <= bound * 1.001 + 1e-3,
                            "{n}x{k} ({r},{j}): {got} vs {exact} (bound {bound})"
                        );
                    }
                }
            }
        }
        assert!(Q41Weights::from_gguf(&[0; 10], 1, 32).is_err());
    }

    /// The vector quantisation equals the scalar definition, ties and zero blocks included.
    #[test]
    fn activation_quantisation_is_the_definition() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut x = random(&mut rng, 32 * 40, 10.0);
        x[..32].iter_mut().for_each(|v| *v = 0.0);
        // A block whose values land on .5 steps: max 127 gives step 1.
        for (i, v) in x[32..64].iter_mut().enumerate() {
            *v = i as f32 - 15.5;
        }
        x[63] = 127.0;
        x[70] = -1e30;
        let fast = Q8Row::quantize(&x);
        for (b, xs) in x.chunks_exact(QK).enumerate() {
            let (d, id) = block_scale(xs.iter().fold(0f32, |a, x| a.max(x.abs())));
            let q: Vec<i8> = xs.iter().map(|&x| (x * id).round_ties_even() as i8).collect();
            assert_eq!(&fast.xq[b * QK..(b + 1) * QK], &q[..], "block {b}");
            assert_eq!(fast.dx[b].to_bits(), d.to_bits());
            let sum: i32 = q.iter().map(|&q| q as i32).sum();
            assert_eq!(fast.sx[b].to_bits(), (d * sum as f32).to_bits());
        }
        assert_eq!(&fast.xq[32..36], &[-16, -14, -14, -12]);
    }
}
