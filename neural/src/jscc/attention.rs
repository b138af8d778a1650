//! Multi-head attention and the position-wise feed-forward block, as in "Attention Is All You Need"
//! and the DeepSC / UT reference code, built from differentiable candle-core ops ([`crate::core::nn`]).
//!
//! Masks are additive biases broadcastable to `(B, heads, Tq, Tk)`: 0 where a key is visible, −1e9
//! where it is hidden (padding, future positions), the value the reference code adds.

use candle_core::{Result, Tensor};

use crate::core::layers::Linear;
use crate::core::nn::{self, Dropout};
use crate::core::params::ParamBuilder;

/// `heads` attention heads over `dim` features, with q/k/v and output projections.
pub struct MultiHeadAttention {
    pub wq: Linear,
    pub wk: Linear,
    pub wv: Linear,
    pub dense: Linear,
    pub heads: usize,
}

impl MultiHeadAttention {
    pub fn new(p: &mut ParamBuilder, name: &str, dim: usize, heads: usize) -> Result<Self> {
        Ok(Self {
            wq: p.linear(&format!("{name}.wq"), dim, dim)?,
            wk: p.linear(&format!("{name}.wk"), dim, dim)?,
            wv: p.linear(&format!("{name}.wv"), dim, dim)?,
            dense: p.linear(&format!("{name}.dense"), dim, dim)?,
            heads,
        })
    }

    /// Attends from `query` `(B, Tq, d)` to `memory` `(B, Tk, d)` under the additive `bias`.
    /// `dropout` (training only) applies to the output, as DeepSC's reference does.
    pub fn forward(
        &self,
        query: &Tensor,
        memory: &Tensor,
        bias: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let (b, tq, d) = query.dims3()?;
        let tk = memory.dim(1)?;
        let (h, dh) = (self.heads, d / self.heads);
        let heads = |x: Tensor, t: usize| -> Result<Tensor> { x.reshape((b, t, h, dh))?.transpose(1, 2)?.contiguous() };
        let q = heads(self.wq.forward(query)?, tq)?;
        let k = heads(self.wk.forward(memory)?, tk)?;
        let v = heads(self.wv.forward(memory)?, tk)?;
        let scores = (q.matmul(&k.t()?)? * (1.0 / (dh as f64).sqrt()))?.broadcast_add(bias)?;
        let p = nn::softmax_last_dim(&scores)?;
        let att = p.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b, tq, d))?;
        let out = self.dense.forward(&att)?;
        match dropout {
            Some(dr) => dr.apply(&out),
            None => Ok(out),
        }
    }
}

/// `w2(activation(w1 x))`, then dropout (training only).
pub struct FeedForward {
    pub w1: Linear,
    pub w2: Linear,
}

impl FeedForward {
    pub fn new(p: &mut ParamBuilder, name: &str, dim: usize, hidden: usize) -> Result<Self> {
        Ok(Self {
            w1: p.linear(&format!("{name}.w_1"), dim, hidden)?,
            w2: p.linear(&format!("{name}.w_2"), hidden, dim)?,
        })
    }

    /// With ReLU, as DeepSC and UT.
    pub fn forward(&self, x: &Tensor, dropout: Option<&mut Dropout>) -> Result<Tensor> {
        let h = self.w1.forward(x)?.relu()?;
        let out = self.w2.forward(&h)?;
        match dropout {
            Some(dr) => dr.apply(&out),
            None => Ok(out),
        }
    }
}

/// The sinusoidal position table `(len, dim)`: sin on even features, cos on odd ones.
pub fn sinusoidal_positions(len: usize, dim: usize, device: &candle_core::Device) -> Result<Tensor> {
    let mut table = vec![0f32; len * dim];
    for pos in 0..len {
        for i in (0..dim).step_by(2) {
            let angle = pos as f64 * (-(10000f64.ln()) * i as f64 / dim as f64).exp();
            table[pos * dim + i] = angle.sin() as f32;
            if i + 1 < dim {
                table[pos * dim + i + 1] = angle.cos() as f32;
            }
        }
    }
    Tensor::from_vec(table, (len, dim), device)
}

/// Additive key-padding bias `(B, 1, 1, T)` from per-row lengths (positions ≥ length hidden).
pub fn padding_bias(lengths: &[usize], t: usize, device: &candle_core::Device) -> Result<Tensor> {
    let v: Vec<f32> = lengths.iter().flat_map(|&n| (0..t).map(move |j| if j < n { 0.0 } else { -1e9 })).collect();
    Tensor::from_vec(v, (lengths.len(), 1, 1, t), device)
}

/// Causal plus key-padding bias `(B, 1, T, T)`: position i sees keys j ≤ i with j < length.
pub fn causal_bias(lengths: &[usize], t: usize, device: &candle_core::Device) -> Result<Tensor> {
    let mut v: Vec<f32> = Vec::with_capacity(lengths.len() * t * t);
    for &n in lengths {
        for i in 0..t {
            v.extend((0..t).map(|j| if j <= i && j < n { 0.0 } else { -1e9 }));
        }
    }
    Tensor::from_vec(v, (lengths.len(), 1, t, t), device)
}
