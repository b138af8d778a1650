//! Differentiable building blocks written from candle-core primitives.
//!
//! candle-nn 0.11.1 has no backward pass for `softmax_last_dim`, `layer_norm`, `sdpa` and friends: a model
//! built on them trains only the layers after the last such op, silently. Everything here is composed of
//! ops that candle-core's autograd differentiates (matmul, broadcast arithmetic, exp, sqrt, reductions),
//! so gradients reach every parameter. Shapes follow PyTorch: a linear weight is `(out, in)`.

use candle_core::{DType, Device, Result, Tensor, Var, D};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `x @ w^T + b` over the last dimension of `x` (any leading dimensions).
pub fn linear(x: &Tensor, w: &Var, b: &Var) -> Result<Tensor> {
    let dims = x.dims();
    let last = dims[dims.len() - 1];
    let lead: usize = dims[..dims.len() - 1].iter().product();
    let out = w.dims()[0];
    let y = add_bias(&x.reshape((lead, last))?.matmul(&w.t()?)?, b.as_tensor())?;
    let mut shape = dims[..dims.len() - 1].to_vec();
    shape.push(out);
    y.reshape(shape)
}

/// LayerNorm over the last dimension with PyTorch's default epsilon (biased variance), hand-written so
/// that it has a backward pass.
pub fn layer_norm(x: &Tensor, weight: &Var, bias: &Var) -> Result<Tensor> {
    layer_norm_eps(x, weight, bias, 1e-5)
}

/// [`layer_norm`] with epsilon `eps` (DeepSC's layers use 1e-6).
pub fn layer_norm_eps(x: &Tensor, weight: &Var, bias: &Var, eps: f64) -> Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centred.broadcast_div(&(var + eps)?.sqrt()?)?;
    scale_and_shift(&normed, weight.as_tensor(), bias.as_tensor())
}

/// `y + b` for `y` of shape `(rows, out)` and `b` of shape `(out)`, written as `y + 1·bᵀ` (a product
/// with a ones column) instead of a broadcast: candle sums a broadcast's gradient over leading
/// dimensions element by element with a division per element (15 % of an ECCT CPU training step,
/// perf), while the product's gradient `1ᵀ·∂y` is a matrix product. Same forward values exactly.
fn add_bias(y: &Tensor, b: &Tensor) -> Result<Tensor> {
    let rows = y.dim(0)?;
    let ones = Tensor::ones((rows, 1), y.dtype(), y.device())?;
    y + ones.matmul(&b.reshape((1, b.elem_count()))?)?
}

/// `x · w + b` over the last dimension (LayerNorm's affine part), with the weight applied as a
/// product with `diag(w)` and the bias as in [`add_bias`], for the same reason: their gradients are
/// then matrix products, not element-wise reductions over all rows. Same forward values exactly
/// (the off-diagonal products are exact zeros).
fn scale_and_shift(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dims = x.dims().to_vec();
    let d = dims[dims.len() - 1];
    let rows = x.elem_count() / d;
    let diag = Tensor::eye(d, x.dtype(), x.device())?.broadcast_mul(&w.reshape((1, d))?)?;
    add_bias(&x.reshape((rows, d))?.matmul(&diag)?, b)?.reshape(dims)
}

/// The LayerNorm of "The Annotated Transformer" (the UT reference code's `LayerNorm`):
/// `weight · (x − mean) / (std + eps) + bias`, with the *unbiased* standard deviation and `eps` added
/// to it rather than to the variance. (A 1e-12 under the square root keeps the gradient finite for a
/// constant row; it is far below f32 resolution of any real variance.)
pub fn layer_norm_std_eps(x: &Tensor, weight: &Var, bias: &Var, eps: f64) -> Result<Tensor> {
    let n = x.dim(D::Minus1)?;
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = (centred.sqr()?.sum_keepdim(D::Minus1)? / (n.max(2) - 1) as f64)?;
    let std = ((var + 1e-12)?.sqrt()? + eps)?;
    scale_and_shift(&centred.broadcast_div(&std)?, weight.as_tensor(), bias.as_tensor())
}

/// Softmax over the last dimension. The row maximum is subtracted for stability and detached: softmax is
/// invariant to that shift, so the gradient is unchanged and the max op needs no backward.
pub fn softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    let s = e.sum_keepdim(D::Minus1)?;
    e.broadcast_div(&s)
}

/// Mean binary cross-entropy with logits `x` against targets `z` in {0, 1}, in the stable form
/// `max(x, 0) - x z + log(1 + exp(-|x|))`.
///
/// `log(1 + t)` for `t = exp(-|x|)` is evaluated as `t - t²/2` when `t < 1e-4`: in f32 `1 + t` rounds to 1
/// below about 6e-8, which would report a loss of exactly 0 where ECCT's training loss actually sits
/// (1e-8 and below). Both branches are finite for every `t` in (0, 1], so the selection is safe for autograd.
pub fn bce_with_logits(x: &Tensor, z: &Tensor) -> Result<Tensor> {
    let t = x.abs()?.neg()?.exp()?;
    let small = t.lt(1e-4)?;
    let series = (&t - (t.sqr()? * 0.5)?)?;
    let direct = (t.clone() + 1.0)?.log()?;
    let log1p = small.where_cond(&series, &direct)?;
    let loss = ((x.relu()? - (x * z)?)? + log1p)?;
    loss.mean_all()
}

/// Element-wise exact (erf-based) GELU, as `torch.nn.functional.gelu` by default.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    x.gelu_erf()
}

/// Converts a boolean-like mask (`true` = masked) into an additive attention bias of 0 / -1e9, the value
/// the official code fills masked scores with.
pub fn mask_to_bias(masked: &[bool], size: usize, device: &candle_core::Device) -> Result<Tensor> {
    let v: Vec<f32> = masked.iter().map(|&m| if m { -1e9 } else { 0.0 }).collect();
    Tensor::from_vec(v, (size, size), device)?.to_dtype(DType::F32)
}

/// Source of attention-dropout keep-masks. On CPU the masks are drawn from our seeded ChaCha stream; on
/// CUDA the device generator is re-seeded from that stream before each draw (uploading 36 M host-drawn
/// values per step would dominate a GPU step). Either way a run is reproducible from the seed and the
/// stream position, which the checkpoint stores.
pub struct Dropout {
    /// Drop probability.
    pub p: f64,
    pub rng: ChaCha8Rng,
}

impl Dropout {
    /// Keep-mask (0 or 1/(1−p)) of `shape`.
    pub fn keep_mask(&mut self, shape: &[usize], device: &Device) -> Result<Tensor> {
        let scale = 1.0 / (1.0 - self.p);
        if device.is_cpu() {
            let count: usize = shape.iter().product();
            let threshold = self.p;
            let v: Vec<f32> =
                (0..count).map(|_| if self.rng.random::<f64>() >= threshold { scale as f32 } else { 0.0 }).collect();
            Tensor::from_vec(v, shape, device)
        } else {
            device.set_seed(self.rng.random::<u64>())?;
            let u = Tensor::rand(0f32, 1f32, shape, device)?;
            u.ge(self.p)?.to_dtype(DType::F32)? * scale
        }
    }

    /// `x` with dropout applied.
    pub fn apply(&mut self, x: &Tensor) -> Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(x.clone());
        }
        x * self.keep_mask(x.dims(), x.device())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn layer_norm_matches_definition() -> Result<()> {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1f32, 2., 3., 4.], [-1., 0., 0., 1.]], &dev)?;
        let w = Var::new(&[1f32, 1., 2., 1.], &dev)?;
        let b = Var::new(&[0f32, 0., 0., 1.], &dev)?;
        let y = layer_norm(&x, &w, &b)?.to_vec2::<f32>()?;
        // Row 1: mean 2.5, var 1.25.
        let s = (1.25f32 + 1e-5).sqrt();
        let want = [-1.5 / s, -0.5 / s, 2.0 * 0.5 / s, 1.5 / s + 1.0];
        for (a, b) in y[0].iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        Ok(())
    }

    #[test]
    fn std_layer_norm_uses_the_unbiased_std_plus_eps() -> Result<()> {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1f32, 2., 3., 4.]], &dev)?;
        let w = Var::new(&[1f32, 1., 2., 1.], &dev)?;
        let b = Var::new(&[0f32, 0., 0., 1.], &dev)?;
        let y = layer_norm_std_eps(&x, &w, &b, 1e-6)?.to_vec2::<f32>()?;
        // Mean 2.5, unbiased variance 5/3.
        let s = (5f32 / 3.0).sqrt() + 1e-6;
        let want = [-1.5 / s, -0.5 / s, 2.0 * 0.5 / s, 1.5 / s + 1.0];
        for (a, b) in y[0].iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        Ok(())
    }

    #[test]
    fn softmax_rows_sum_to_one_and_masked_entries_vanish() -> Result<()> {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1f32, 2., -1e9], [0., 0., 0.]], &dev)?;
        let p = softmax_last_dim(&x)?.to_vec2::<f32>()?;
        assert!((p[0][0] + p[0][1] - 1.0).abs() < 1e-6);
        assert_eq!(p[0][2], 0.0);
        assert!((p[0][1] / p[0][0] - std::f32::consts::E).abs() < 1e-5);
        assert!((p[1][0] - 1.0 / 3.0).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn bce_matches_closed_form_including_tiny_losses() -> Result<()> {
        let dev = Device::Cpu;
        // Logit -20 with target 0: loss = log(1 + e^-20) ≈ 2.06e-9, which a naive f32 log(1+t) reports as 0.
        let x = Tensor::new(&[-20f32, 3.0, -2.0, 0.0], &dev)?;
        let z = Tensor::new(&[0f32, 1.0, 1.0, 0.0], &dev)?;
        let per = [(-20f64).exp().ln_1p(), (-3f64).exp().ln_1p(), 2.0 + (-2f64).exp().ln_1p(), 2f64.ln()];
        let want = per.iter().sum::<f64>() / 4.0;
        let got = bce_with_logits(&x, &z)?.to_scalar::<f32>()? as f64;
        assert!((got - want).abs() < 1e-6 * want, "{got} vs {want}");
        let tiny =
            bce_with_logits(&Tensor::new(&[-20f32], &dev)?, &Tensor::new(&[0f32], &dev)?)?.to_scalar::<f32>()? as f64;
        assert!((tiny / (-20f64).exp().ln_1p() - 1.0).abs() < 1e-4, "tiny loss {tiny}");
        Ok(())
    }

    #[test]
    fn bce_gradient_is_sigmoid_minus_target() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::new(&[-30f32, -1.0, 0.5, 4.0, 25.0], &dev)?;
        let z = Tensor::new(&[0f32, 1.0, 0.0, 1.0, 1.0], &dev)?;
        let loss = bce_with_logits(x.as_tensor(), &z)?;
        let g = loss.backward()?.get(x.as_tensor()).unwrap().to_vec1::<f32>()?;
        let xs = [-30f32, -1.0, 0.5, 4.0, 25.0];
        let zs = [0f32, 1.0, 0.0, 1.0, 1.0];
        for i in 0..5 {
            let want = (1.0 / (1.0 + (-xs[i]).exp()) - zs[i]) / 5.0;
            assert!((g[i] - want).abs() < 1e-6, "grad {i}: {} vs {want}", g[i]);
        }
        Ok(())
    }
}

/// Replaces the value of every parameter in `named` by the tensor of the same name in `values`,
/// moved to `device` as f32; a missing name or a shape mismatch is an error naming the parameter.
/// Shared by every model's weight loading.
pub fn set_named_parameters(
    named: &[(String, Var)],
    values: &[(String, Tensor)],
    device: &candle_core::Device,
) -> Result<()> {
    for (name, var) in named {
        let t = values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
            .ok_or_else(|| candle_core::Error::msg(format!("weights lack parameter `{name}`")))?;
        if t.dims() != var.dims() {
            candle_core::bail!("parameter `{name}` has shape {:?}, the model expects {:?}", t.dims(), var.dims());
        }
        var.set(&t.to_device(device)?.to_dtype(DType::F32)?)?;
    }
    Ok(())
}
