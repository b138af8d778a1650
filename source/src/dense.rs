//! Dense f32 kernels of the plain-Rust model forwards ([`crate::small_lm`], [`crate::image::lm`]).
//!
//! Encoder and decoder must compute bit-identical probabilities, so every reduction here runs in
//! one fixed order: eight partial sums over the vector in chunks of 8 (which the compiler
//! vectorises), combined pairwise in a fixed tree, then the tail. No thread count or CPU feature
//! changes that order.

/// Dot product with 8 fixed partial sums (vectorisable, same order on every run).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0f32;
    for i in chunks * 8..n {
        tail += a[i] * b[i];
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `out = W x + b`, `W` row-major `(out.len(), x.len())`.
pub fn matvec(w: &[f32], b: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (o, (row, &bias)) in out.iter_mut().zip(w.chunks_exact(n).zip(b)) {
        *o = bias + dot(row, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_is_exact_on_small_integers() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..19).map(|i| (i % 3) as f32).collect();
        let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert_eq!(dot(&a, &b), want);
    }
}
