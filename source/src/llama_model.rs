//! The llama-family network behind [`crate::llama::LlamaLm`]: a decoder run with a KV cache, for
//! `B` independent rows at once, one token per row and pass or several.
//!
//! Adapted from candle-transformers 0.11.1 `models/quantized_llama.rs` (MIT OR Apache-2.0,
//! © the candle authors). The tensor operations and their order are candle's, so the logits
//! equal candle's `ModelWeights` bit for bit (tested in `tests/smollm2.rs`). Two changes:
//!
//! - Trimmed to what the coder runs: GGUF `llama` architecture, dense MLP, interleaved RoPE.
//! - Attention is [`crate::llama_attention`]: candle's arithmetic over a KV cache kept in place,
//!   one position at a time, so feeding `S` tokens in one pass ([`LlamaModel::forward_all`],
//!   no causal mask needed) gives the logits of `S` single steps bit for bit. Optionally
//!   ([`LlamaModel::set_kv_cache`]) the cache is half precision with that module's own
//!   arithmetic: then the logits are no longer candle's, but the other properties hold.
//! - The KV cache is ours to copy: [`LlamaModel::repeat_rows`] turns the state after the start
//!   context (computed once, one row) into `B` identical rows. candle's type keeps its cache
//!   private, so a lockstep batch of `B` messages had to run the whole start context (~180
//!   tokens) through `B` rows for every group, which cost more than the messages themselves.
//! - Q8_0 products go through [`crate::q8_matmul`] (candle's arithmetic, four weight rows per
//!   pass; equal to candle's `QMatMul` bit for bit).
//!
//! Row independence: every operation here computes each row from that row alone (Q8_0
//! mat-vecs per row, per-row RMS norm, attention over the row's own cache), so a row's logits do
//! not depend on the other rows or on `B`; the coder relies on this and tests it.

use crate::llama_attention::{attend, Heads, KvCache, RowCache};
use crate::q8_matmul::Linear;
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::Embedding;

/// Longest sequence (start context + message) the RoPE tables cover.
pub const MAX_SEQ_LEN: usize = 4096;

/// True for block formats candle has no SIMD kernel for; they are re-quantised to Q8_0.
fn needs_requantize(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// What the layers' weight blocks become when a GGUF is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockWeights {
    /// Q4_0/Q4_1/Q5_0/Q5_1 blocks re-quantised to Q8_0, for candle's arithmetic (the message coder).
    RequantizeQ8,
    /// Q4_1 as stored, through [`crate::q4_1_matmul`]; Q4_0/Q5_0/Q5_1 still re-quantised to
    /// Q8_0 (the file coder, container version 3).
    Stored,
    /// As stored, through candle's kernels (slow; for comparing with candle).
    StoredCandle,
}

#[derive(Debug, Clone)]
struct Layer {
    attention_wq: Linear,
    attention_wk: Linear,
    attention_wv: Linear,
    attention_wo: Linear,
    attention_norm: Tensor,
    feed_forward_w1: Linear,
    feed_forward_w2: Linear,
    feed_forward_w3: Linear,
    ffn_norm: Tensor,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    cos: Tensor,
    sin: Tensor,
    /// Keys and values of the positions so far, one cache per row.
    kv_cache: Vec<RowCache>,
    /// How new rows store their keys and values.
    kv_kind: KvCache,
}

impl Layer {
    fn rotary(&self, x: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (_b, _h, seq_len, _d) = x.dims4()?;
        let cos = self.cos.narrow(0, index_pos, seq_len)?;
        let sin = self.sin.narrow(0, index_pos, seq_len)?;
        candle_nn::rotary_emb::rope_i(&x.contiguous()?, &cos, &sin)
    }

    fn attention(&mut self, x: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (b, seq_len, n_embd) = x.dims3()?;
        let [q, k, v]: [Tensor; 3] =
            Linear::forward_shared(&[&self.attention_wq, &self.attention_wk, &self.attention_wv], x)?
                .try_into()
                .expect("three products");
        let q = q.reshape((b, seq_len, self.n_head, self.head_dim))?.transpose(1, 2)?;
        let k = k.reshape((b, seq_len, self.n_kv_head, self.head_dim))?.transpose(1, 2)?;
        let v = v.reshape((b, seq_len, self.n_kv_head, self.head_dim))?.transpose(1, 2)?.contiguous()?;
        let q: Vec<f32> = self.rotary(&q, index_pos)?.flatten_all()?.to_vec1()?;
        let k: Vec<f32> = self.rotary(&k, index_pos)?.flatten_all()?.to_vec1()?;
        let v: Vec<f32> = v.flatten_all()?.to_vec1()?;
        if index_pos == 0 {
            self.kv_cache = vec![RowCache::new(self.kv_kind); b];
        }
        if self.kv_cache.len() != b || self.kv_cache.iter().any(|r| r.len() != index_pos) {
            candle_core::bail!(
                "KV cache of {} rows does not hold positions 0..{index_pos} for {b} rows",
                self.kv_cache.len()
            );
        }
        let heads = Heads { n_head: self.n_head, n_kv_head: self.n_kv_head, head_dim: self.head_dim };
        let hd = self.head_dim;
        // q is laid out (b, n_head, seq, hd), k and v (b, n_kv_head, seq, hd); each position
        // attends in turn, appending its key and value first: the same calls, in the same
        // order, as feeding the positions one step at a time.
        let gather = |x: &[f32], r: usize, heads: usize, s: usize| -> Vec<f32> {
            let mut out = Vec::with_capacity(heads * hd);
            for h in 0..heads {
                out.extend_from_slice(&x[((r * heads + h) * seq_len + s) * hd..][..hd]);
            }
            out
        };
        let mut y = vec![0f32; b * seq_len * n_embd];
        for (r, cache) in self.kv_cache.iter_mut().enumerate() {
            for s in 0..seq_len {
                let (qs, ks, vs) =
                    (gather(&q, r, self.n_head, s), gather(&k, r, self.n_kv_head, s), gather(&v, r, self.n_kv_head, s));
                attend(heads, cache, &qs, &ks, &vs, &mut y[(r * seq_len + s) * n_embd..][..n_embd]);
            }
        }
        let y = Tensor::from_vec(y, (b, seq_len, n_embd), x.device())?;
        self.attention_wo.forward(&y)
    }

    fn mlp(&self, x: &Tensor) -> Result<Tensor> {
        let [w1, w3]: [Tensor; 2] = Linear::forward_shared(&[&self.feed_forward_w1, &self.feed_forward_w3], x)?
            .try_into()
            .expect("two products");
        self.feed_forward_w2.forward(&(candle_nn::ops::silu(&w1)? * w3)?)
    }
}

/// Weights plus the KV cache of `B` rows (cloning shares the weights).
#[derive(Debug, Clone)]
pub struct LlamaModel {
    tok_embeddings: Embedding,
    layers: Vec<Layer>,
    norm: Tensor,
    rms_norm_eps: f32,
    output: Linear,
}

impl LlamaModel {
    /// Load a GGUF of the `llama` architecture, its blocks as `blocks` says (see
    /// [`crate::llama`]'s module docs for why).
    pub fn from_gguf<R: std::io::Seek + std::io::Read>(
        ct: &gguf_file::Content,
        reader: &mut R,
        blocks: BlockWeights,
    ) -> Result<Self> {
        let device = Device::Cpu;
        let md = |key: &str| match ct.metadata.get(key) {
            None => candle_core::bail!("cannot find {key} in metadata"),
            Some(v) => Ok(v),
        };
        let head_count = md("llama.attention.head_count")?.to_u32()? as usize;
        let head_count_kv = md("llama.attention.head_count_kv")?.to_u32()? as usize;
        let block_count = md("llama.block_count")?.to_u32()? as usize;
        let embedding_length = md("llama.embedding_length")?.to_u32()? as usize;
        let rope_dim = md("llama.rope.dimension_count")?.to_u32()? as usize;
        let rms_norm_eps = md("llama.attention.layer_norm_rms_epsilon")?.to_f32()?;
        let rope_freq_base = md("llama.rope.freq_base").and_then(|m| m.to_f32()).unwrap_or(10000f32);
        if md("llama.expert_count").and_then(|v| v.to_u32()).unwrap_or(0) > 1 {
            candle_core::bail!("mixture-of-experts llama models are not supported");
        }
        if head_count == 0
            || head_count_kv == 0
            || head_count % head_count_kv != 0
            || embedding_length % head_count != 0
        {
            candle_core::bail!(
                "inconsistent head counts ({head_count} heads, {head_count_kv} KV heads, width {embedding_length})"
            );
        }

        let mut tensor = |name: &str| -> Result<QTensor> {
            let qt = ct.tensor(reader, name, &device)?;
            let row = qt.shape().dims().last().copied().unwrap_or(0);
            let requantize = match blocks {
                BlockWeights::RequantizeQ8 => needs_requantize(qt.dtype()),
                BlockWeights::Stored => needs_requantize(qt.dtype()) && qt.dtype() != GgmlDType::Q4_1,
                BlockWeights::StoredCandle => false,
            };
            if requantize && row % 32 == 0 {
                QTensor::quantize(&qt.dequantize(&device)?, GgmlDType::Q8_0)
            } else {
                Ok(qt)
            }
        };
        let (cos, sin) = rope_tables(rope_dim, rope_freq_base, &device)?;
        let tok_embeddings_q = tensor("token_embd.weight")?;
        let tok_embeddings = tok_embeddings_q.dequantize(&device)?;
        let norm = tensor("output_norm.weight")?.dequantize(&device)?;
        // SmolLM2 ties its output to the token embedding (no `output.weight`).
        let output = match ct.tensor_infos.contains_key("output.weight") {
            true => tensor("output.weight")?,
            false => tok_embeddings_q,
        };
        let mut layers = Vec::with_capacity(block_count);
        for i in 0..block_count {
            let own_kernels = blocks != BlockWeights::StoredCandle;
            let mut matmul = |name: &str| Linear::from_qtensor(tensor(&format!("blk.{i}.{name}.weight"))?, own_kernels);
            let attention_wq = matmul("attn_q")?;
            let attention_wk = matmul("attn_k")?;
            let attention_wv = matmul("attn_v")?;
            let attention_wo = matmul("attn_output")?;
            let feed_forward_w1 = matmul("ffn_gate")?;
            let feed_forward_w2 = matmul("ffn_down")?;
            let feed_forward_w3 = matmul("ffn_up")?;
            layers.push(Layer {
                attention_wq,
                attention_wk,
                attention_wv,
                attention_wo,
                attention_norm: tensor(&format!("blk.{i}.attn_norm.weight"))?.dequantize(&device)?,
                feed_forward_w1,
                feed_forward_w2,
                feed_forward_w3,
                ffn_norm: tensor(&format!("blk.{i}.ffn_norm.weight"))?.dequantize(&device)?,
                n_head: head_count,
                n_kv_head: head_count_kv,
                head_dim: embedding_length / head_count,
                cos: cos.clone(),
                sin: sin.clone(),
                kv_cache: Vec::new(),
                kv_kind: KvCache::default(),
            });
        }
        Ok(Self {
            tok_embeddings: Embedding::new(tok_embeddings, embedding_length),
            layers,
            norm,
            rms_norm_eps,
            output: Linear::from_qtensor(output, blocks != BlockWeights::StoredCandle)?,
        })
    }

    /// Store keys and values as `kind` from now on; forgets every position (the next forward
    /// must be at position 0).
    pub fn set_kv_cache(&mut self, kind: KvCache) {
        for layer in &mut self.layers {
            layer.kv_kind = kind;
        }
        self.clear_kv_cache();
    }

    /// How keys and values are stored.
    pub fn kv_cache(&self) -> KvCache {
        self.layers.first().map_or(KvCache::default(), |l| l.kv_kind)
    }

    /// Forget every position (the next forward must be at position 0).
    pub fn clear_kv_cache(&mut self) {
        for layer in &mut self.layers {
            layer.kv_cache.clear();
        }
    }

    /// A model whose `rows` rows each hold this one-row model's KV cache.
    pub fn repeat_rows(&self, rows: usize) -> Result<Self> {
        let mut out = self.clone();
        for layer in &mut out.layers {
            match layer.kv_cache.as_slice() {
                [] => {}
                [one] => layer.kv_cache = vec![one.clone(); rows],
                more => candle_core::bail!("repeat_rows needs a one-row cache, this one has {} rows", more.len()),
            }
        }
        Ok(out)
    }

    /// Keep only the rows `keep` (in that order) of the KV cache, e.g. when some messages of a
    /// lockstep batch have ended: the remaining rows continue exactly as before (rows are
    /// independent), and later steps cost only the rows still running.
    pub fn retain_rows(&mut self, keep: &[usize]) -> Result<()> {
        for layer in &mut self.layers {
            if layer.kv_cache.is_empty() {
                continue;
            }
            if let Some(&bad) = keep.iter().find(|&&r| r >= layer.kv_cache.len()) {
                candle_core::bail!("row {bad} of {} rows", layer.kv_cache.len());
            }
            layer.kv_cache = keep.iter().map(|&r| layer.kv_cache[r].clone()).collect();
        }
        Ok(())
    }

    /// `tokens` is `(B, S)` (usually `S = 1`: one token per row and step), fed at positions
    /// `index_pos..index_pos + S`; returns the logits after the last one, `(B, vocab)`.
    pub fn forward(&mut self, tokens: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (_b, seq_len) = tokens.dims2()?;
        let x = self.hidden(tokens, index_pos)?;
        self.output.forward(&x.i((.., seq_len - 1, ..))?.contiguous()?)
    }

    /// Several steps at once: `tokens` is `(B, S)`, fed at positions `index_pos..index_pos + S`;
    /// returns the logits after each of them, `(B, S, vocab)`. Bit for bit what `S` calls of
    /// [`Self::forward`] give (every operation is per row and per position, and attention runs
    /// position by position; tested), but the weights are read once for all `B·S` rows.
    pub fn forward_all(&mut self, tokens: &Tensor, index_pos: usize) -> Result<Tensor> {
        let x = self.hidden(tokens, index_pos)?;
        self.output.forward(&x)
    }

    /// The final normalised hidden states `(B, S, width)`.
    fn hidden(&mut self, tokens: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (_b, seq_len) = tokens.dims2()?;
        if seq_len == 0 || index_pos + seq_len > MAX_SEQ_LEN {
            candle_core::bail!("positions {index_pos}..{} outside 0..{MAX_SEQ_LEN}", index_pos + seq_len);
        }
        let eps = self.rms_norm_eps;
        let mut h = self.tok_embeddings.forward(tokens)?;
        for layer in &mut self.layers {
            let residual = &h;
            let x = candle_nn::ops::rms_norm(&h, &layer.attention_norm, eps)?;
            let x = (layer.attention(&x, index_pos)? + residual)?;
            let residual = &x;
            let y = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            h = (layer.mlp(&y)? + residual)?;
        }
        candle_nn::ops::rms_norm(&h, &self.norm, eps)
    }
}

fn rope_tables(head_dim: usize, freq_base: f32, device: &Device) -> Result<(Tensor, Tensor)> {
    let theta: Vec<_> = (0..head_dim).step_by(2).map(|i| 1f32 / freq_base.powf(i as f32 / head_dim as f32)).collect();
    let theta = Tensor::new(theta.as_slice(), device)?;
    let idx_theta = Tensor::arange(0, MAX_SEQ_LEN as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((MAX_SEQ_LEN, 1))?
        .matmul(&theta.reshape((1, theta.elem_count()))?)?;
    Ok((idx_theta.cos()?, idx_theta.sin()?))
}
