//! A small causal byte-level transformer language model (the "Trans.-SSCC" source model).
//!
//! Alphabet: the 256 byte values plus [`END`] (= 256), which ends a message and is also the first
//! input of every message (a fixed start state). A message of n bytes is the input sequence
//! `END b1 … bn` with targets `b1 … bn END`, so the model gives next-byte probabilities for any byte
//! string: coding with it is lossless on any input.
//!
//! Architecture (GPT-2 style, pre-norm): token + learned position embeddings, `layers` blocks of
//! causal multi-head self-attention and a GELU (tanh form) MLP, final LayerNorm, output head tied to
//! the token embedding. Built only from differentiable candle-core ops ([`crate::core::nn`]); the test below
//! checks that every parameter receives a gradient.
//!
//! Training packs several messages into one row of `context` positions; attention is restricted to
//! the same message by an additive bias and positions restart at 0 for every message, so training
//! sees exactly what coding sees (each message from the start state).
//!
//! Weight files: safetensors, f32, tensor names as in [`ByteLm::named_parameters`], metadata
//! `format` = [`FORMAT`], `config` (JSON of [`ByteLmConfig`]) and `training` (JSON, free-form).
//! `lmsscc-source`'s `small_lm` reads the same files with its own plain-Rust inference.

use std::path::Path;

use candle_core::{Device, Result, Tensor, Var, D};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::core::layers::{LayerNorm, Linear};
use crate::core::nn;
use crate::core::weights::{read_model, save_model, set_loaded, ModelFile, WeightsError};

/// Format tag of byte-LM weight files.
pub const FORMAT: &str = "lmsscc-byte-lm-v1";
/// End-of-message symbol, also the start input.
pub const END: u32 = 256;
/// Alphabet size: 256 bytes + END.
pub const VOCAB: usize = 257;
/// LayerNorm epsilon (PyTorch's default, as `small_lm` in the source crate uses).
const LN_EPS: f64 = 1e-5;

/// Architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteLmConfig {
    pub vocab: usize,
    /// Positions (maximum message length + 1 for the start input).
    pub context: usize,
    pub dim: usize,
    pub layers: usize,
    pub heads: usize,
    /// Hidden width of the MLP.
    pub ffn: usize,
}

impl ByteLmConfig {
    /// The shipped model: d = 96, 3 layers, 4 heads, MLP 288, 256 positions (~0.33 M parameters).
    pub fn small() -> Self {
        Self { vocab: VOCAB, context: 256, dim: 96, layers: 3, heads: 4, ffn: 288 }
    }

    /// A tiny model for tests.
    pub fn tiny() -> Self {
        Self { vocab: VOCAB, context: 64, dim: 32, layers: 2, heads: 2, ffn: 64 }
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.vocab != VOCAB {
            return Err(format!("vocab must be {VOCAB} (bytes + end), got {}", self.vocab));
        }
        if self.context < 2 || self.dim == 0 || self.layers == 0 || self.heads == 0 || self.ffn == 0 {
            return Err(format!("degenerate byte-LM config {self:?}"));
        }
        if self.dim % self.heads != 0 {
            return Err(format!("dim {} is not a multiple of heads {}", self.dim, self.heads));
        }
        if self.context > 1 << 16 || self.dim > 1 << 14 || self.ffn > 1 << 16 || self.layers > 256 {
            return Err(format!("implausibly large byte-LM config {self:?}"));
        }
        Ok(())
    }

    /// Parameter count implied by the config.
    pub fn parameter_count(&self) -> usize {
        let (d, f) = (self.dim, self.ffn);
        let block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (f * d + f) + (d * f + d);
        self.vocab * d + self.context * d + self.layers * block + 2 * d
    }
}

struct Block {
    ln1: LayerNorm,
    qkv: Linear,
    proj: Linear,
    ln2: LayerNorm,
    fc: Linear,
    fc_out: Linear,
}

/// The model (parameters as candle `Var`s, for training).
pub struct ByteLm {
    config: ByteLmConfig,
    device: Device,
    tok_emb: Var,
    pos_emb: Var,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    named: Vec<(String, Var)>,
}

impl ByteLm {
    /// Freshly initialised from our seeded ChaCha stream: weights N(0, 0.02), residual output
    /// projections N(0, 0.02/sqrt(2·layers)), biases 0, LayerNorm 1/0.
    pub fn new(config: ByteLmConfig, seed: u64, device: &Device) -> Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut named: Vec<(String, Var)> = Vec::new();
        let mut add = |name: String, shape: &[usize], std: f64, constant: f32| -> Result<Var> {
            let count: usize = shape.iter().product();
            let values: Vec<f32> = if std > 0.0 {
                let normal = Normal::new(0.0, std).expect("positive std");
                (0..count).map(|_| normal.sample(&mut rng) as f32).collect()
            } else {
                vec![constant; count]
            };
            let var = Var::from_tensor(&Tensor::from_vec(values, shape, device)?)?;
            named.push((name, var.clone()));
            Ok(var)
        };
        let (d, f) = (config.dim, config.ffn);
        let resid_std = 0.02 / (2.0 * config.layers as f64).sqrt();
        let tok_emb = add("tok_emb".into(), &[config.vocab, d], 0.02, 0.0)?;
        let pos_emb = add("pos_emb".into(), &[config.context, d], 0.01, 0.0)?;
        let mut blocks = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("h.{i}");
            let ln1 = LayerNorm::new(
                add(format!("{p}.ln1.weight"), &[d], 0.0, 1.0)?,
                add(format!("{p}.ln1.bias"), &[d], 0.0, 0.0)?,
                LN_EPS,
            );
            let qkv = Linear::new(
                add(format!("{p}.attn.qkv.weight"), &[3 * d, d], 0.02, 0.0)?,
                add(format!("{p}.attn.qkv.bias"), &[3 * d], 0.0, 0.0)?,
            );
            let proj = Linear::new(
                add(format!("{p}.attn.proj.weight"), &[d, d], resid_std, 0.0)?,
                add(format!("{p}.attn.proj.bias"), &[d], 0.0, 0.0)?,
            );
            let ln2 = LayerNorm::new(
                add(format!("{p}.ln2.weight"), &[d], 0.0, 1.0)?,
                add(format!("{p}.ln2.bias"), &[d], 0.0, 0.0)?,
                LN_EPS,
            );
            let fc = Linear::new(
                add(format!("{p}.mlp.fc.weight"), &[f, d], 0.02, 0.0)?,
                add(format!("{p}.mlp.fc.bias"), &[f], 0.0, 0.0)?,
            );
            let fc_out = Linear::new(
                add(format!("{p}.mlp.proj.weight"), &[d, f], resid_std, 0.0)?,
                add(format!("{p}.mlp.proj.bias"), &[d], 0.0, 0.0)?,
            );
            blocks.push(Block { ln1, qkv, proj, ln2, fc, fc_out });
        }
        let ln_f = LayerNorm::new(
            add("ln_f.weight".into(), &[d], 0.0, 1.0)?,
            add("ln_f.bias".into(), &[d], 0.0, 0.0)?,
            LN_EPS,
        );
        Ok(Self { config, device: device.clone(), tok_emb, pos_emb, blocks, ln_f, named })
    }

    pub fn config(&self) -> &ByteLmConfig {
        &self.config
    }
    pub fn device(&self) -> &Device {
        &self.device
    }
    /// Every parameter with its name, in a fixed order (optimizer state and weight files use it).
    pub fn named_parameters(&self) -> &[(String, Var)] {
        &self.named
    }
    pub fn parameter_count(&self) -> usize {
        self.named.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Logits `(B, T, vocab)` for `tokens` `(B, T)` (u32), `positions` `(B, T)` (u32, < context) and an
    /// additive attention bias `(B, T, T)` (0 visible, −1e9 hidden; causal and same-message).
    pub fn forward(&self, tokens: &Tensor, positions: &Tensor, bias: &Tensor) -> Result<Tensor> {
        let (b, t) = tokens.dims2()?;
        let (d, h) = (self.config.dim, self.config.heads);
        let dh = d / h;
        let tok = self.tok_emb.as_tensor().index_select(&tokens.flatten_all()?, 0)?;
        let pos = self.pos_emb.as_tensor().index_select(&positions.flatten_all()?, 0)?;
        let mut x = (tok + pos)?.reshape((b, t, d))?;
        let bias = bias.unsqueeze(1)?; // (B, 1, T, T)
        let scale = 1.0 / (dh as f64).sqrt();
        for blk in &self.blocks {
            let xn = blk.ln1.forward(&x)?;
            let qkv = blk.qkv.forward(&xn)?; // (B, T, 3d)
            let split = |i: usize| -> Result<Tensor> {
                qkv.narrow(2, i * d, d)?.reshape((b, t, h, dh))?.transpose(1, 2)?.contiguous()
            };
            let (q, k, v) = (split(0)?, split(1)?, split(2)?);
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?; // (B, h, T, T)
            let p = nn::softmax_last_dim(&scores)?;
            let att = p.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b, t, d))?;
            x = (x + blk.proj.forward(&att)?)?;
            let xn = blk.ln2.forward(&x)?;
            let hid = blk.fc.forward(&xn)?.gelu()?;
            x = (x + blk.fc_out.forward(&hid)?)?;
        }
        let x = self.ln_f.forward(&x)?;
        x.reshape((b * t, d))?.matmul(&self.tok_emb.as_tensor().t()?)?.reshape((b, t, self.config.vocab))
    }

    /// Summed negative log-likelihood in nats over the positions with non-zero weight: `logits`
    /// `(B, T, V)`, `target_weights` `(B·T, V)` = one-hot target × position weight (0 for padding).
    pub fn nll_sum(&self, logits: &Tensor, target_weights: &Tensor) -> Result<Tensor> {
        let v = self.config.vocab;
        let x = logits.reshape(((), v))?;
        let max = x.max_keepdim(D::Minus1)?.detach();
        let shifted = x.broadcast_sub(&max)?;
        let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
        let logp = shifted.broadcast_sub(&lse)?;
        (logp * target_weights)?.sum_all()?.neg()
    }

    /// Replaces every parameter's value (names and shapes must match).
    pub fn set_parameters(&self, values: &[(String, Tensor)]) -> Result<()> {
        nn::set_named_parameters(&self.named, values, &self.device)
    }

    /// Writes the weights with `format`, `config` and the given `training` JSON as metadata.
    pub fn save(&self, path: &Path, training: &serde_json::Value) -> std::result::Result<(), WeightsError> {
        save_model(path, &self.named, FORMAT, &self.config, training)
    }

    /// Loads a weight file written by [`ByteLm::save`]; returns the model and the `training` metadata.
    pub fn load(path: &Path, device: &Device) -> std::result::Result<(Self, serde_json::Value), WeightsError> {
        let bad = |reason: String| WeightsError::format(path, reason);
        let (tensors, config, training): ModelFile<ByteLmConfig> = read_model(path, FORMAT)?;
        config.validate().map_err(bad)?;
        let model = Self::new(config, 0, device).map_err(|e| WeightsError::candle(path, e))?;
        set_loaded(path, &model.named, &tensors, device)?;
        Ok((model, training))
    }
}

/// One packed batch on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedBatch {
    pub rows: usize,
    pub len: usize,
    pub tokens: Vec<u32>,
    pub positions: Vec<u32>,
    /// Target symbol per position (END for padding, with weight 0).
    pub targets: Vec<u32>,
    pub weights: Vec<f32>,
    /// Additive attention bias, rows × len × len.
    pub bias: Vec<f32>,
    /// Message bytes (not counting END) in this batch.
    pub text_bytes: usize,
}

/// Packs messages (byte strings) into rows of `len` positions. A message of n bytes takes n + 1
/// positions (`END b1 … bn` → `b1 … bn END`); messages longer than `len − 1` bytes are cut to their
/// first `len` positions. Each message goes into the first of the last `open` rows with room.
pub fn pack_rows(messages: &[&[u8]], len: usize, open: usize) -> Vec<Vec<(usize, usize)>> {
    // Rows as lists of (message index, positions used).
    let mut rows: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let need = (m.len() + 1).min(len);
        let first_open = rows.len().saturating_sub(open);
        let slot = (first_open..rows.len()).find(|&r| free[r] >= need);
        let r = match slot {
            Some(r) => r,
            None => {
                rows.push(Vec::new());
                free.push(len);
                rows.len() - 1
            }
        };
        rows[r].push((i, need));
        free[r] -= need;
    }
    rows
}

/// Builds the host tensors of a batch from packed rows.
pub fn build_batch(messages: &[&[u8]], rows: &[Vec<(usize, usize)>], len: usize) -> PackedBatch {
    let n = rows.len();
    let mut b = PackedBatch {
        rows: n,
        len,
        tokens: vec![END; n * len],
        positions: vec![0; n * len],
        targets: vec![END; n * len],
        weights: vec![0.0; n * len],
        bias: vec![-1e9; n * len * len],
        text_bytes: 0,
    };
    for (r, row) in rows.iter().enumerate() {
        let mut at = 0;
        for &(mi, used) in row {
            let m = messages[mi];
            for p in 0..used {
                let i = r * len + at + p;
                b.tokens[i] = if p == 0 { END } else { m[p - 1] as u32 };
                b.positions[i] = p as u32;
                b.targets[i] = if p < m.len() { m[p] as u32 } else { END };
                b.weights[i] = 1.0;
                // Attend to the same message's positions up to this one.
                let base = (r * len + at + p) * len + at;
                b.bias[base..base + p + 1].iter_mut().for_each(|x| *x = 0.0);
            }
            b.text_bytes += used.min(m.len());
            at += used;
        }
        // Padding positions attend to themselves only (weight 0; keeps softmax finite).
        for p in at..len {
            b.bias[(r * len + p) * len + p] = 0.0;
        }
    }
    b
}

impl PackedBatch {
    /// Device tensors: (tokens, positions, bias, target weights `(rows·len, VOCAB)`).
    pub fn tensors(&self, device: &Device) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
        let (n, l) = (self.rows, self.len);
        let tokens = Tensor::from_vec(self.tokens.clone(), (n, l), device)?;
        let positions = Tensor::from_vec(self.positions.clone(), (n, l), device)?;
        let bias = Tensor::from_vec(self.bias.clone(), (n, l, l), device)?;
        let mut tw = vec![0f32; n * l * VOCAB];
        for (i, (&t, &w)) in self.targets.iter().zip(&self.weights).enumerate() {
            tw[i * VOCAB + t as usize] = w;
        }
        let tw = Tensor::from_vec(tw, (n * l, VOCAB), device)?;
        Ok((tokens, positions, bias, tw))
    }

    /// Number of predicted symbols (text bytes + END symbols).
    pub fn symbols(&self) -> f64 {
        self.weights.iter().map(|&w| w as f64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_is_about_a_third_of_a_million_parameters() -> Result<()> {
        let c = ByteLmConfig::small();
        let m = ByteLm::new(c, 1, &Device::Cpu)?;
        assert_eq!(m.parameter_count(), c.parameter_count());
        assert!((250_000..400_000).contains(&c.parameter_count()), "{}", c.parameter_count());
        Ok(())
    }

    #[test]
    fn packing_keeps_messages_whole_and_masks_across_them() {
        let msgs: Vec<&[u8]> = vec![b"abc", b"de", b"fghijk", b"", b"xy"];
        let rows = pack_rows(&msgs, 8, 4);
        let mut seen: Vec<usize> = rows.iter().flatten().map(|&(i, _)| i).collect();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        for r in &rows {
            assert!(r.iter().map(|&(_, u)| u).sum::<usize>() <= 8);
        }
        let b = build_batch(&msgs, &rows, 8);
        // Row 0 starts with "abc": END a b c → a b c END.
        assert_eq!(&b.tokens[..4], &[END, 97, 98, 99]);
        assert_eq!(&b.targets[..4], &[97, 98, 99, END]);
        assert_eq!(&b.positions[..4], &[0, 1, 2, 3]);
        // Position 4 (start of the next message) sees only itself.
        let row4 = &b.bias[4 * 8..5 * 8];
        assert_eq!(row4.iter().filter(|&&x| x == 0.0).count(), 1);
        assert_eq!(row4[4], 0.0);
        assert_eq!(b.text_bytes, 13);
        assert_eq!(b.symbols(), 18.0);
    }

    /// candle-nn's fused ops have no backward pass; this model must not use any: every parameter
    /// gets a non-zero gradient.
    #[test]
    fn every_parameter_gets_a_gradient() -> Result<()> {
        let dev = Device::Cpu;
        let m = ByteLm::new(ByteLmConfig::tiny(), 3, &dev)?;
        let msgs: Vec<&[u8]> = vec![b"hello world", b"the house rose", b"\x00\xff\xc3\xa9"];
        let rows = pack_rows(&msgs, 16, 4);
        let b = build_batch(&msgs, &rows, 16);
        let (t, p, bias, tw) = b.tensors(&dev)?;
        let loss = m.nll_sum(&m.forward(&t, &p, &bias)?, &tw)?;
        let grads = loss.backward()?;
        for (name, v) in m.named_parameters() {
            let g = grads.get(v.as_tensor()).unwrap_or_else(|| panic!("no gradient for {name}"));
            let norm = g.sqr()?.sum_all()?.to_scalar::<f32>()?;
            // Position rows beyond 16 are unused; the tensor as a whole still gets a gradient.
            assert!(norm > 0.0 && norm.is_finite(), "zero gradient for {name}");
        }
        Ok(())
    }

    #[test]
    fn packed_rows_give_the_same_loss_as_single_messages() -> Result<()> {
        let dev = Device::Cpu;
        let m = ByteLm::new(ByteLmConfig::tiny(), 5, &dev)?;
        let msgs: Vec<&[u8]> = vec![b"abc de", b"fgh", b"ijklm"];
        let eval = |rows: Vec<Vec<(usize, usize)>>| -> Result<f32> {
            let b = build_batch(&msgs, &rows, 16);
            let (t, p, bias, tw) = b.tensors(&dev)?;
            m.nll_sum(&m.forward(&t, &p, &bias)?, &tw)?.to_scalar::<f32>()
        };
        let packed = eval(pack_rows(&msgs, 16, 4))?;
        let single = eval(vec![vec![(0, 7)], vec![(1, 4)], vec![(2, 6)]])?;
        assert!((packed - single).abs() < 1e-3 * single, "{packed} vs {single}");
        Ok(())
    }

    #[test]
    fn save_load_round_trip() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("m.safetensors");
        let m = ByteLm::new(ByteLmConfig::tiny(), 9, &Device::Cpu)?;
        m.save(&path, &serde_json::json!({"steps": 3}))?;
        let (back, training) = ByteLm::load(&path, &Device::Cpu)?;
        assert_eq!(training["steps"], 3);
        for ((na, a), (nb, b)) in m.named_parameters().iter().zip(back.named_parameters()) {
            assert_eq!(na, nb);
            assert_eq!(a.flatten_all()?.to_vec1::<f32>()?, b.flatten_all()?.to_vec1::<f32>()?);
        }
        std::fs::write(&path, b"garbage")?;
        assert!(ByteLm::load(&path, &Device::Cpu).is_err());
        Ok(())
    }
}
