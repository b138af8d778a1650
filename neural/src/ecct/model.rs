//! ECCT, the Error Correction Code Transformer (Choukroun & Wolf, NeurIPS 2022), in candle.
//!
//! Faithful to the official implementation (`yoniLc/ECCT`, `Model.py`, MIT):
//! - Input: the magnitudes `|y|` (n values) and the syndrome of the hard decision of `y` mapped to ±1
//!   (bit 0 → +1), one value per row of H *as stored*, redundant rows included: `n + m` tokens.
//! - Embedding: a learned d-vector per token position, multiplied by that token's input value.
//! - Encoder: N pre-LayerNorm layers `x + MHA(LN(x))`, `x + FFN(LN(x))` with 8 heads, FFN width 4d and
//!   exact erf GELU; one extra LayerNorm after layer N/2 (when N > 1) and a final LayerNorm. Attention
//!   probabilities get dropout 0.1 in training only (the official FFN/residual dropout is 0). On CPU
//!   attention runs over the visible pairs only ([`crate::ecct::sparse_attention`], ~4x fewer scores).
//! - Code-aware attention mask: token i sees token j iff i = j, or bits i and j share a check, or one is
//!   a check and the other a bit in its support. Check↔check pairs are masked.
//! - Head: `Linear(d, 1)` per token, then `Linear(n + m, n)`: the predicted multiplicative noise
//!   `z̃ = y·x` (soft). The hard decision of `y_i` is flipped where `z̃_i < 0`.
//! - Loss: BCE-with-logits of `-z̃` against "the hard decision of bit i is wrong" (the official code calls
//!   `model.loss(-z_pred, ...)`).
//!
//! Weights are initialised from our own seeded ChaCha generator exactly as the official code does with
//! PyTorch defaults: Xavier-uniform for every 2-D parameter (embedding and linear weights), linear biases
//! uniform in ±1/sqrt(fan_in), LayerNorm weight 1 and bias 0.

use candle_core::{Device, Result, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::core::layers::{LayerNorm, Linear};
use crate::core::nn;
pub use crate::core::nn::Dropout;

/// LayerNorm epsilon (PyTorch's default, as the official code uses).
const LN_EPS: f64 = 1e-5;
use crate::ecct::sparse_attention::{dense_attention, sparse_attention, AttentionPattern, PairDropout};

/// Architecture hyper-parameters of one ECCT model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcctConfig {
    /// Code length n.
    pub n: usize,
    /// Rows of H as stored (redundant rows included).
    pub m: usize,
    /// Encoder layers N.
    pub layers: usize,
    /// Model width d.
    pub dim: usize,
    /// Attention heads (8 in the paper).
    pub heads: usize,
}

impl EcctConfig {
    /// The paper's defaults (8 heads) for a code with `n` bits and `m` stored check rows.
    pub fn new(n: usize, m: usize, layers: usize, dim: usize) -> Self {
        Self { n, m, layers, dim, heads: 8 }
    }
    /// Sequence length n + m.
    pub fn tokens(&self) -> usize {
        self.n + self.m
    }
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.n == 0 || self.m == 0 || self.layers == 0 || self.dim == 0 || self.heads == 0 {
            return Err(format!("ECCT config has a zero size: {self:?}"));
        }
        if self.dim % self.heads != 0 {
            return Err(format!("ECCT dim {} is not a multiple of heads {}", self.dim, self.heads));
        }
        Ok(())
    }
}

/// The code-aware self-attention mask over `n + m` tokens, row-major, `true` = masked (not attended).
pub fn build_mask(n: usize, checks: &[Vec<usize>]) -> Vec<bool> {
    let size = n + checks.len();
    let mut visible = vec![false; size * size];
    for i in 0..size {
        visible[i * size + i] = true;
    }
    for (row, cols) in checks.iter().enumerate() {
        let c = n + row;
        for &j in cols {
            for &k in cols {
                if j != k {
                    visible[j * size + k] = true;
                    visible[k * size + j] = true;
                    // As the official code: the check sees its bits only inside the pair loop, i.e. for
                    // rows of weight >= 2 (every row of a useful code).
                    visible[c * size + j] = true;
                    visible[j * size + c] = true;
                }
            }
        }
    }
    visible.into_iter().map(|v| !v).collect()
}

/// Fraction of masked pairs (the official code logs it as "Self-Attention Sparsity Ratio").
pub fn masked_fraction(mask: &[bool]) -> f64 {
    mask.iter().filter(|&&m| m).count() as f64 / mask.len() as f64
}

/// Parameters of one pre-LN encoder layer.
struct EncoderLayer {
    /// q, k, v and output projections.
    attn: [Linear; 4],
    ff1: Linear,
    ff2: Linear,
    norm_attn: LayerNorm,
    norm_ff: LayerNorm,
}

/// The ECCT model: parameters plus the fixed attention mask of its code.
pub struct Ecct {
    config: EcctConfig,
    device: Device,
    src_embed: Var,
    layers: Vec<EncoderLayer>,
    norm_mid: Option<LayerNorm>,
    norm_final: LayerNorm,
    head_token: Linear,
    head_out: Linear,
    /// Additive attention bias (L, L): 0 where visible, -1e9 where masked (dense attention, GPU).
    mask_bias: Tensor,
    /// The visible pairs (fused sparse attention, CPU).
    pattern: Arc<AttentionPattern>,
    /// Run the dense attention on CPU too (comparisons and tests; GPUs always run it).
    dense_on_cpu: bool,
    masked_fraction: f64,
    /// Every parameter with its PyTorch-style name, in a fixed order (optimizer state and files use it).
    named: Vec<(String, Var)>,
}

impl Ecct {
    /// A freshly initialised model for the code with `checks` (per stored row, its column indices).
    pub fn new(config: EcctConfig, checks: &[Vec<usize>], seed: u64, device: &Device) -> Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        if checks.len() != config.m {
            candle_core::bail!("ECCT config says m = {} but the code has {} check rows", config.m, checks.len());
        }
        if let Some(bad) = checks.iter().flatten().find(|&&c| c >= config.n) {
            candle_core::bail!("check row refers to column {bad} >= n = {}", config.n);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (n, l, d) = (config.n, config.tokens(), config.dim);
        let mut named: Vec<(String, Var)> = Vec::new();
        let mut add = |name: String, shape: &[usize], init: Init, rng: &mut ChaCha8Rng| -> Result<Var> {
            let count: usize = shape.iter().product();
            let values: Vec<f32> = match init {
                Init::Xavier => {
                    // PyTorch: fan_in = size(1), fan_out = size(0) for a 2-D tensor.
                    let bound = (6.0 / (shape[0] + shape[1]) as f64).sqrt();
                    (0..count).map(|_| rng.random_range(-bound..bound) as f32).collect()
                }
                Init::Uniform(bound) => (0..count).map(|_| rng.random_range(-bound..bound) as f32).collect(),
                Init::Const(c) => vec![c; count],
            };
            let var = Var::from_tensor(&Tensor::from_vec(values, shape, device)?)?;
            named.push((name, var.clone()));
            Ok(var)
        };
        let mut linear = |name: &str, fan_in: usize, fan_out: usize, rng: &mut ChaCha8Rng| -> Result<Linear> {
            let w = add(format!("{name}.weight"), &[fan_out, fan_in], Init::Xavier, rng)?;
            let b = add(format!("{name}.bias"), &[fan_out], Init::Uniform(1.0 / (fan_in as f64).sqrt()), rng)?;
            Ok(Linear::new(w, b))
        };
        // Parameter creation order follows the official module order (src_embed, decoder, heads) so the
        // same seed always gives the same model.
        let src_embed = {
            let v = Tensor::from_vec(
                (0..l * d)
                    .map(|_| {
                        let bound = (6.0 / (l + d) as f64).sqrt();
                        rng.random_range(-bound..bound) as f32
                    })
                    .collect::<Vec<f32>>(),
                (l, d),
                device,
            )?;
            Var::from_tensor(&v)?
        };
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("decoder.layers.{i}");
            let attn = [
                linear(&format!("{p}.self_attn.linears.0"), d, d, &mut rng)?,
                linear(&format!("{p}.self_attn.linears.1"), d, d, &mut rng)?,
                linear(&format!("{p}.self_attn.linears.2"), d, d, &mut rng)?,
                linear(&format!("{p}.self_attn.linears.3"), d, d, &mut rng)?,
            ];
            let ff1 = linear(&format!("{p}.feed_forward.w_1"), d, 4 * d, &mut rng)?;
            let ff2 = linear(&format!("{p}.feed_forward.w_2"), 4 * d, d, &mut rng)?;
            layers.push((attn, ff1, ff2));
        }
        let head_token = linear("oned_final_embed.0", d, 1, &mut rng)?;
        let head_out = linear("out_fc", l, n, &mut rng)?;
        drop(linear);
        let mut norm = |name: &str| -> Result<LayerNorm> {
            let w = add(format!("{name}.weight"), &[d], Init::Const(1.0), &mut rng)?;
            let b = add(format!("{name}.bias"), &[d], Init::Const(0.0), &mut rng)?;
            Ok(LayerNorm::new(w, b, LN_EPS))
        };
        let mut built = Vec::with_capacity(config.layers);
        for (i, (attn, ff1, ff2)) in layers.into_iter().enumerate() {
            let norm_attn = norm(&format!("decoder.layers.{i}.sublayer.0.norm"))?;
            let norm_ff = norm(&format!("decoder.layers.{i}.sublayer.1.norm"))?;
            built.push(EncoderLayer { attn, ff1, ff2, norm_attn, norm_ff });
        }
        let norm_final = norm("decoder.norm")?;
        let norm_mid = if config.layers > 1 { Some(norm("decoder.norm2")?) } else { None };
        drop(norm);
        named.insert(0, ("src_embed".to_string(), src_embed.clone()));
        let mask = build_mask(n, checks);
        let mask_bias = nn::mask_to_bias(&mask, l, device)?;
        Ok(Self {
            config,
            device: device.clone(),
            src_embed,
            layers: built,
            norm_mid,
            norm_final,
            head_token,
            head_out,
            mask_bias,
            pattern: Arc::new(AttentionPattern::from_mask(&mask, l)?),
            dense_on_cpu: false,
            masked_fraction: masked_fraction(&mask),
            named,
        })
    }

    pub fn config(&self) -> &EcctConfig {
        &self.config
    }
    pub fn device(&self) -> &Device {
        &self.device
    }
    /// Computes attention densely (all L×L scores, masked by −1e9) on CPU as well, as GPUs do; the
    /// default on CPU is the fused sparse form. Same function; for comparisons and tests.
    pub fn use_dense_attention(&mut self, dense: bool) {
        self.dense_on_cpu = dense;
    }

    /// Fraction of attention pairs the code-aware mask removes.
    pub fn masked_fraction(&self) -> f64 {
        self.masked_fraction
    }
    /// Every parameter with its name, in the fixed order used by the optimizer and weight files.
    pub fn named_parameters(&self) -> &[(String, Var)] {
        &self.named
    }
    pub fn parameter_count(&self) -> usize {
        self.named.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Forward pass. `magnitude`: (B, n) = |y|; `syndrome`: (B, m) in ±1. Returns (B, n), the predicted
    /// multiplicative noise z̃ (flip bit i's hard decision where z̃_i < 0). `dropout` is `Some` in
    /// training only.
    pub fn forward(&self, magnitude: &Tensor, syndrome: &Tensor, mut dropout: Option<&mut Dropout>) -> Result<Tensor> {
        let (b, _) = magnitude.dims2()?;
        let (l, h) = (self.config.tokens(), self.config.heads);
        let inputs = Tensor::cat(&[magnitude, syndrome], 1)?.unsqueeze(2)?; // (B, L, 1)
        let mut x = inputs.broadcast_mul(&self.src_embed.as_tensor().unsqueeze(0)?)?; // (B, L, d)
        for (idx, layer) in self.layers.iter().enumerate() {
            // Self-attention sublayer.
            let xn = layer.norm_attn.forward(&x)?;
            let q = layer.attn[0].forward(&xn)?;
            let k = layer.attn[1].forward(&xn)?;
            let v = layer.attn[2].forward(&xn)?;
            let dropping = dropout.as_deref_mut().filter(|dr| dr.p > 0.0);
            let att = if self.device.is_cpu() && !self.dense_on_cpu {
                // Visible pairs only, fused (see sparse_attention: same function, a fraction of the work).
                let pair_dropout = dropping.map(|dr| PairDropout { p: dr.p, seed: dr.rng.random::<u64>() });
                sparse_attention(&q, &k, &v, &self.pattern, h, pair_dropout)?
            } else {
                let keep = match dropping {
                    Some(dr) => Some(dr.keep_mask(&[b, h, l, l], &self.device)?),
                    None => None,
                };
                dense_attention(&q, &k, &v, &self.mask_bias, h, keep.as_ref())?
            };
            x = (x + layer.attn[3].forward(&att)?)?;
            // Feed-forward sublayer.
            let xn = layer.norm_ff.forward(&x)?;
            let hdn = nn::gelu(&layer.ff1.forward(&xn)?)?;
            x = (x + layer.ff2.forward(&hdn)?)?;
            if idx + 1 == self.layers.len() / 2 {
                if let Some(norm) = &self.norm_mid {
                    x = norm.forward(&x)?;
                }
            }
        }
        let x = self.norm_final.forward(&x)?;
        let per_token = self.head_token.forward(&x)?.squeeze(2)?; // (B, L)
        self.head_out.forward(&per_token)
    }

    /// Training loss: BCE-with-logits of `-z̃` against `wrong` (1 where the hard decision is wrong).
    pub fn loss(&self, z_pred: &Tensor, wrong: &Tensor) -> Result<Tensor> {
        nn::bce_with_logits(&z_pred.neg()?, wrong)
    }

    /// Replaces every parameter's value (names and shapes must match; used by weight loading).
    pub(crate) fn set_parameters(&self, values: &[(String, Tensor)]) -> Result<()> {
        nn::set_named_parameters(&self.named, values, &self.device)
    }
}

enum Init {
    Xavier,
    Uniform(f64),
    Const(f32),
}

/// Hard decisions and network inputs for a batch of channel outputs `y` (B·n values, y > 0 ↔ bit 0):
/// returns (|y|, syndrome in ±1, hard bits).
pub fn prepare_inputs(y: &[f32], n: usize, checks: &[Vec<usize>]) -> (Vec<f32>, Vec<f32>, Vec<u8>) {
    let frames = y.len() / n;
    let m = checks.len();
    let mut magnitude = Vec::with_capacity(y.len());
    let mut hard = Vec::with_capacity(y.len());
    let mut syndrome = Vec::with_capacity(frames * m);
    for f in 0..frames {
        let yf = &y[f * n..(f + 1) * n];
        for &v in yf {
            // NaN is treated as an erasure: magnitude 0, decision 0.
            let v = if v.is_nan() { 0.0 } else { v };
            magnitude.push(v.abs().min(f32::MAX));
            hard.push(u8::from(v < 0.0));
        }
        let hf = &hard[f * n..(f + 1) * n];
        for cols in checks {
            let parity = cols.iter().fold(0u8, |acc, &c| acc ^ hf[c]);
            syndrome.push(if parity == 0 { 1.0 } else { -1.0 });
        }
    }
    (magnitude, syndrome, hard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Hamming(7,4) parity checks (columns 0-based).
    pub(crate) fn hamming74() -> Vec<Vec<usize>> {
        vec![vec![0, 1, 2, 4], vec![0, 1, 3, 5], vec![0, 2, 3, 6]]
    }

    #[test]
    fn mask_of_hamming_code_by_hand() {
        let checks = hamming74();
        let mask = build_mask(7, &checks);
        let size = 10;
        let seen = |i: usize, j: usize| !mask[i * size + j];
        // Bits 4 and 5 share no check; bits 0 and 6 share check 2.
        assert!(!seen(4, 5));
        assert!(seen(0, 6) && seen(6, 0));
        // Check 0 (token 7) sees bits 0,1,2,4 only among bits, and no other check.
        for j in 0..7 {
            assert_eq!(seen(7, j), [0, 1, 2, 4].contains(&j), "check 0 vs bit {j}");
        }
        assert!(!seen(7, 8) && !seen(9, 7) && seen(8, 8));
        assert!(mask.chunks(size).enumerate().all(|(i, r)| !r[i]));
    }

    #[test]
    fn parameter_count_formula() -> Result<()> {
        let m = Ecct::new(EcctConfig::new(7, 3, 2, 16), &hamming74(), 1, &Device::Cpu)?;
        let (l, d) = (10usize, 16usize);
        let per_layer = 4 * (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d) + 4 * d;
        let want = l * d + 2 * per_layer + 4 * d + (d + 1) + (l * 7 + 7);
        assert_eq!(m.parameter_count(), want);
        Ok(())
    }

    /// The CPU's fused sparse attention and the dense form (what GPUs run) give the same model:
    /// outputs and every parameter's gradient agree to float rounding.
    #[test]
    fn sparse_and_dense_attention_give_the_same_model_and_gradients() -> Result<()> {
        let dev = Device::Cpu;
        let mut model = Ecct::new(EcctConfig::new(7, 3, 2, 16), &hamming74(), 5, &dev)?;
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let y: Vec<f32> = (0..32 * 7).map(|_| 1.0 + rng.random_range(-1.5f32..1.5)).collect();
        let (mag, syn, hard) = prepare_inputs(&y, 7, &hamming74());
        let mag = Tensor::from_vec(mag, (32, 7), &dev)?;
        let syn = Tensor::from_vec(syn, (32, 3), &dev)?;
        let wrong = Tensor::from_vec(hard.iter().map(|&h| h as f32).collect::<Vec<_>>(), (32, 7), &dev)?;
        let run = |model: &Ecct| -> Result<(Vec<f32>, Vec<Vec<f32>>)> {
            let z = model.forward(&mag, &syn, None)?;
            let grads = model.loss(&z, &wrong)?.backward()?;
            let g = model
                .named_parameters()
                .iter()
                .map(|(_, v)| grads.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
                .collect();
            Ok((z.flatten_all()?.to_vec1::<f32>()?, g))
        };
        let (z_sparse, g_sparse) = run(&model)?;
        model.use_dense_attention(true);
        let (z_dense, g_dense) = run(&model)?;
        for (a, b) in z_sparse.iter().zip(&z_dense) {
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "output {a} vs {b}");
        }
        for ((name, _), (gs, gd)) in model.named_parameters().iter().zip(g_sparse.iter().zip(&g_dense)) {
            let scale = gd.iter().fold(0f32, |m, v| m.max(v.abs()));
            let diff = gs.iter().zip(gd).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            // Key biases get a zero gradient in exact arithmetic (softmax ignores a shift common to a
            // row), so both forms give rounding noise there: hence the absolute floor.
            assert!(diff <= 1e-3 * scale + 1e-7, "{name}: gradients differ by {diff} (scale {scale})");
        }
        Ok(())
    }

    #[test]
    fn prepare_inputs_syndrome() {
        let checks = hamming74();
        // Bit 0 flipped: every check that contains bit 0 fails.
        let y = [-0.5f32, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let (mag, syn, hard) = prepare_inputs(&y, 7, &checks);
        assert_eq!(hard, vec![1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(syn, vec![-1.0, -1.0, -1.0]);
        assert_eq!(mag[0], 0.5);
    }
}
