//! Dense f32 kernels of the plain-Rust model forwards ([`crate::small_lm`], [`crate::image::lm`]),
//! and the checked read of their f32 weight tensors ([`f32_tensor`]).
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

/// The f32 tensor `name` of a safetensors file, checked: present, dtype F32, shape `shape`, every
/// value finite. The error says which check failed (the caller adds the file's name).
pub fn f32_tensor(st: &safetensors::SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
    let view = st.tensor(name).map_err(|_| format!("missing tensor `{name}`"))?;
    if view.dtype() != safetensors::Dtype::F32 {
        return Err(format!("tensor `{name}` has dtype {:?}, expected F32", view.dtype()));
    }
    if view.shape() != shape {
        return Err(format!("tensor `{name}` has shape {:?}, expected {shape:?}", view.shape()));
    }
    let v: Vec<f32> = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if v.iter().any(|x| !x.is_finite()) {
        return Err(format!("tensor `{name}` holds a non-finite value"));
    }
    Ok(v)
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
