//! A llama-family GGUF language model (candle's quantized llama) as a [`SymbolModel`].
//!
//! Loading: the GGUF is read with `candle_core::quantized::gguf_file`. candle has no SIMD kernel
//! for Q4_1 (SmolLM2's file), so by default weights in Q4_0/Q4_1/Q5_0/Q5_1 are dequantised and
//! re-quantised to Q8_0 (which has one): measured 3× faster decoding at no measurable cost in
//! bits. The file coder instead keeps Q4_1 blocks as stored, through our own kernel
//! ([`BlockWeights::Stored`], [`crate::q4_1_matmul`]), which reads less per step. The network
//! is [`crate::llama_model::LlamaModel`], candle's quantized llama adapted so its KV cache can
//! be copied into lockstep rows. SmolLM2 has no `output.weight` (tied embeddings); the token
//! embedding serves as the output layer.
//!
//! Determinism: logits computed for a full sequence differ from those computed token by token
//! with the KV cache (up to ~1 logit unit), so encoder and decoder use one schedule: the start
//! context is run once and its state cloned for every message, then one token per forward pass.
//! [`LlamaSession`] is the per-message state; it borrows nothing mutable from [`LlamaLm`], so
//! many sessions can run in parallel threads.

use crate::coder::SymbolModel;
pub use crate::llama_attention::KvCache;
pub use crate::llama_model::BlockWeights;
use crate::llama_model::{LlamaModel, MAX_SEQ_LEN};
use crate::quantize::{frequencies_from_logits, FrequencyTable, LM_TOTAL_BUDGET};
use crate::tokenizer::ByteLevelBpe;
use crate::SourceError;
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use std::path::Path;

/// Tokens an encoder feeds per [`LlamaBatch::step_all`] pass where it knows them all (the logits
/// of a pass: `ENCODE_CHUNK` × vocabulary f32 per row).
pub const ENCODE_CHUNK: usize = 64;

/// Load-time options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LlamaOptions {
    /// What the layers' weight blocks become (re-quantised to Q8_0 by default).
    pub weights: BlockWeights,
    /// How the KV cache stores keys and values (f32 with candle's arithmetic by default).
    pub kv_cache: KvCache,
}

impl Default for LlamaOptions {
    fn default() -> Self {
        Self { weights: BlockWeights::RequantizeQ8, kv_cache: KvCache::F32Candle }
    }
}

/// The context every message is coded after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartContext {
    /// The GGUF's `tokenizer.ggml.bos_token_id`.
    Bos,
    /// The vocabulary entry spelled exactly so (e.g. `<|endoftext|>`), else BOS.
    TokenOrBos(String),
    /// Explicit token ids.
    Ids(Vec<u32>),
    /// The vocabulary entry `token` (else BOS) followed by the tokens of `text`.
    TokenThenText { token: String, text: String },
}

/// A loaded model plus its tokenizer and the state after the start context.
#[derive(Clone)]
pub struct LlamaLm {
    /// Weights with the KV cache holding the start context.
    primed: LlamaModel,
    /// Logits after the start context (distribution of the first token).
    first_logits: Vec<f32>,
    start_tokens: Vec<u32>,
    vocab_size: usize,
    pub tokenizer: std::sync::Arc<ByteLevelBpe>,
    pub bos_token: Option<u32>,
    pub eos_token: Option<u32>,
    pub metadata_name: String,
}

fn meta_strings(ct: &gguf_file::Content, key: &str, path: &Path) -> Result<Vec<String>, SourceError> {
    let value =
        ct.metadata.get(key).ok_or_else(|| SourceError::file(path, format!("GGUF metadata has no field {key}")))?;
    let items = value.to_vec().map_err(|e| SourceError::file(path, format!("GGUF field {key}: {e}")))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.to_string().cloned().map_err(|e| SourceError::file(path, format!("GGUF field {key}[{i}]: {e}")))
        })
        .collect()
}

fn meta_u32(ct: &gguf_file::Content, key: &str) -> Option<u32> {
    ct.metadata.get(key).and_then(|v| v.to_u32().ok())
}

/// The tokenizer part of a GGUF file.
pub struct GgufTokenizer {
    pub tokenizer: ByteLevelBpe,
    /// Token strings as stored (`tokenizer.ggml.tokens`).
    pub tokens: Vec<String>,
    pub bos_token: Option<u32>,
    pub eos_token: Option<u32>,
}

impl GgufTokenizer {
    /// Read only the tokenizer of a GGUF file (no weights).
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        let mut file = std::fs::File::open(path).map_err(|e| SourceError::file(path, e))?;
        let ct = gguf_file::Content::read(&mut file)
            .map_err(|e| SourceError::file(path, format!("not a readable GGUF file: {e}")))?;
        Self::from_content(&ct, path)
    }

    fn from_content(ct: &gguf_file::Content, path: &Path) -> Result<Self, SourceError> {
        let tokens = meta_strings(ct, "tokenizer.ggml.tokens", path)?;
        let merges = meta_strings(ct, "tokenizer.ggml.merges", path)?;
        let tok_model =
            ct.metadata.get("tokenizer.ggml.model").and_then(|v| v.to_string().ok().cloned()).unwrap_or_default();
        if tok_model != "gpt2" {
            return Err(SourceError::file(
                path,
                format!("tokenizer.ggml.model is '{tok_model}', only byte-level BPE ('gpt2') is supported"),
            ));
        }
        let pre = ct.metadata.get("tokenizer.ggml.pre").and_then(|v| v.to_string().ok().cloned()).unwrap_or_default();
        let bos_token = meta_u32(ct, "tokenizer.ggml.bos_token_id");
        let eos_token = meta_u32(ct, "tokenizer.ggml.eos_token_id");
        // Escape for bytes without a token: the first special token `<...>` (after id 0, which
        // is `<|endoftext|>`, the start context) that is neither BOS nor EOS.
        let escape = tokens
            .iter()
            .enumerate()
            .skip(1)
            .find(|(i, t)| {
                let i = Some(*i as u32);
                t.len() > 2 && t.starts_with('<') && t.ends_with('>') && i != bos_token && i != eos_token
            })
            .map(|(i, _)| i as u32);
        let tokenizer =
            ByteLevelBpe::new(&tokens, &merges, pre == "smollm", escape).map_err(|e| SourceError::file(path, e))?;
        Ok(Self { tokenizer, tokens, bos_token, eos_token })
    }
}

impl LlamaLm {
    /// Load a llama-family GGUF; every message is coded after `start`.
    pub fn load(path: &Path, options: LlamaOptions, start: StartContext) -> Result<Self, SourceError> {
        let mut file = std::fs::File::open(path).map_err(|e| SourceError::file(path, e))?;
        let ct = gguf_file::Content::read(&mut file)
            .map_err(|e| SourceError::file(path, format!("not a readable GGUF file: {e}")))?;
        let arch =
            ct.metadata.get("general.architecture").and_then(|v| v.to_string().ok().cloned()).unwrap_or_default();
        if arch != "llama" {
            return Err(SourceError::file(path, format!("general.architecture is '{arch}', expected 'llama'")));
        }
        let GgufTokenizer { tokenizer, tokens, bos_token, eos_token } = GgufTokenizer::from_content(&ct, path)?;
        let metadata_name =
            ct.metadata.get("general.name").and_then(|v| v.to_string().ok().cloned()).unwrap_or_default();

        let mut weights = LlamaModel::from_gguf(&ct, &mut file, options.weights)
            .map_err(|e| SourceError::file(path, format!("loading llama weights: {e}")))?;
        weights.set_kv_cache(options.kv_cache);

        let bos = || {
            bos_token
                .ok_or_else(|| SourceError::file(path, "GGUF has no tokenizer.ggml.bos_token_id for the start context"))
        };
        let start_tokens = match start {
            StartContext::Ids(t) if !t.is_empty() => t,
            StartContext::TokenOrBos(text) => match tokens.iter().position(|t| *t == text) {
                Some(id) => vec![id as u32],
                None => vec![bos()?],
            },
            StartContext::TokenThenText { token, text } => {
                let first = match tokens.iter().position(|t| *t == token) {
                    Some(id) => id as u32,
                    None => bos()?,
                };
                [vec![first], tokenizer.encode(&text)?].concat()
            }
            _ => vec![bos()?],
        };
        let vocab_size = tokens.len();
        if let Some(&bad) = start_tokens.iter().find(|&&t| t as usize >= vocab_size) {
            return Err(SourceError::Model(format!("start token {bad} outside vocabulary of {vocab_size}")));
        }
        let (primed, first_logits) = prime(weights, &start_tokens, vocab_size)?;
        if first_logits.len() != vocab_size {
            return Err(SourceError::file(
                path,
                format!("model has {} outputs but the tokenizer {vocab_size} tokens", first_logits.len()),
            ));
        }
        Ok(Self {
            primed,
            first_logits,
            start_tokens,
            vocab_size,
            tokenizer: std::sync::Arc::new(tokenizer),
            bos_token,
            eos_token,
            metadata_name,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// How the KV cache stores keys and values.
    pub fn kv_cache(&self) -> KvCache {
        self.primed.kv_cache()
    }

    pub fn start_tokens(&self) -> &[u32] {
        &self.start_tokens
    }

    /// A fresh per-message state (cheap: tensors are shared, the KV cache is copy-on-append).
    pub fn session(&self) -> LlamaSession {
        LlamaSession { lm: self.clone(), lane: self.lane(self.primed.clone(), 1) }
    }

    /// A lane of `batch` rows holding `model` (whose KV cache has that many rows) after the start context.
    fn lane(&self, model: LlamaModel, batch: usize) -> LlamaBatch {
        LlamaBatch { model, position: self.start_tokens.len(), batch, vocab_size: self.vocab_size }
    }
}

/// `model` (with an empty KV cache) after the start context, one token per step (the schedule
/// every coder's decoder follows), and the logits of the first token.
fn prime(model: LlamaModel, start_tokens: &[u32], vocab_size: usize) -> Result<(LlamaModel, Vec<f32>), SourceError> {
    let mut priming = LlamaBatch { model, position: 0, batch: 1, vocab_size };
    let mut first_logits = Vec::new();
    for &t in start_tokens {
        first_logits = priming.step(&[t])?.pop().unwrap_or_default();
    }
    Ok((priming.model, first_logits))
}

/// Per-message model state: start context, then one token per [`SymbolModel::advance`]; a
/// one-row [`LlamaBatch`], so single messages and lockstep rows run the same code.
pub struct LlamaSession {
    lm: LlamaLm,
    lane: LlamaBatch,
}

impl LlamaSession {
    /// Logits of the next token given the tokens so far (for diagnostics and tests).
    pub fn next_logits(&mut self, token: u32) -> Result<Vec<f32>, SourceError> {
        Ok(self.lane.step(&[token])?.pop().unwrap_or_default())
    }
}

impl SymbolModel for LlamaSession {
    fn start(&mut self) -> Result<FrequencyTable, SourceError> {
        self.lane = self.lm.lane(self.lm.primed.clone(), 1);
        Ok(frequencies_from_logits(&self.lm.first_logits, LM_TOTAL_BUDGET))
    }

    fn advance(&mut self, symbol: usize) -> Result<FrequencyTable, SourceError> {
        let logits = self.next_logits(symbol as u32)?;
        Ok(frequencies_from_logits(&logits, LM_TOTAL_BUDGET))
    }
}

/// Lockstep batch: `B` messages advanced together, one `(B, 1)` forward pass per step.
///
/// Every operation of the model (Q8_0 products per row, per-row RMS norm, attention over the
/// row's own KV cache, softmax) computes a row from that row alone, so each message's logits
/// are bit-identical to a single-message session; the tests compare logits row by row and
/// codes message by message. Rows whose message has ended leave the lane ([`LlamaBatch::retain`]).
pub struct LlamaBatch {
    model: LlamaModel,
    position: usize,
    batch: usize,
    vocab_size: usize,
}

impl LlamaLm {
    /// Start a lockstep batch of `batch` messages; returns it and each row's first-token logits.
    /// Every row starts from the one-row state after the start context (copied, not recomputed).
    pub fn batch(&self, batch: usize) -> Result<(LlamaBatch, Vec<Vec<f32>>), SourceError> {
        let batch = batch.max(1);
        let lane = self.lane(self.primed.repeat_rows(batch)?, batch);
        Ok((lane, vec![self.first_logits.clone(); batch]))
    }
}

impl LlamaBatch {
    pub fn len(&self) -> usize {
        self.batch
    }

    pub fn is_empty(&self) -> bool {
        self.batch == 0
    }

    /// Drop every row not in `keep` (indices into the current rows, in order); the kept rows'
    /// logits are unchanged by this (tested).
    pub fn retain(&mut self, keep: &[usize]) -> Result<(), SourceError> {
        if keep.iter().any(|&r| r >= self.batch) || keep.windows(2).any(|w| w[0] >= w[1]) {
            return Err(SourceError::Model(format!("retain {keep:?} from {} rows", self.batch)));
        }
        if keep.len() < self.batch {
            self.model.retain_rows(keep)?;
            self.batch = keep.len();
        }
        Ok(())
    }

    /// Make rows `rows` (indices into the current rows, in any order, repeats allowed: a repeated
    /// row forks) the batch; each keeps its state, so its logits continue exactly as before.
    pub fn select(&mut self, rows: &[usize]) -> Result<(), SourceError> {
        if rows.is_empty() || rows.iter().any(|&r| r >= self.batch) {
            return Err(SourceError::Model(format!("select {rows:?} from {} rows", self.batch)));
        }
        self.model.retain_rows(rows)?;
        self.batch = rows.len();
        Ok(())
    }

    /// Position of the next token fed (start context included).
    pub fn position(&self) -> usize {
        self.position
    }

    /// Forget every row's state and run `lm`'s start context, then `histories` (one per row, all
    /// the same length), in one pass ([`LlamaBatch::step_all`], the logits of single steps bit
    /// for bit); returns each row's next-token logits. The file coder's sliding window (see
    /// [`crate::file_coder`]).
    pub fn reprime(&mut self, lm: &LlamaLm, histories: &[&[u32]]) -> Result<Vec<Vec<f32>>, SourceError> {
        if histories.len() != self.batch || histories.windows(2).any(|w| w[0].len() != w[1].len()) {
            return Err(SourceError::Model("reprime needs one history per row, all of one length".into()));
        }
        self.model.clear_kv_cache();
        self.position = 0;
        let rows: Vec<Vec<u32>> = histories.iter().map(|h| [lm.start_tokens(), h].concat()).collect();
        let refs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
        Ok(self.step_all(&refs, false)?.into_iter().map(|mut row| row.pop().unwrap_or_default()).collect())
    }

    /// Feed `tokens[r]` to row `r` (all rows the same number of tokens) in one pass; returns,
    /// per row, the logits after each token (`all`) or after the last one only. Bit for bit the
    /// logits of [`LlamaBatch::step`] called once per token (tested), with the weights read
    /// once for every row and position, so it is far faster where the tokens are known ahead
    /// (the encoder, re-priming).
    pub fn step_all(&mut self, tokens: &[&[u32]], all: bool) -> Result<Vec<Vec<Vec<f32>>>, SourceError> {
        let len = tokens.first().map_or(0, |t| t.len());
        if tokens.len() != self.batch || tokens.iter().any(|t| t.len() != len) {
            return Err(SourceError::Model(format!(
                "step_all needs {} rows of one length, got {:?}",
                self.batch,
                tokens.iter().map(|t| t.len()).collect::<Vec<_>>()
            )));
        }
        if len == 0 {
            return Ok(vec![Vec::new(); self.batch]);
        }
        if let Some(&bad) = tokens.iter().flat_map(|t| t.iter()).find(|&&t| t as usize >= self.vocab_size) {
            return Err(SourceError::Symbol(format!("token {bad} outside vocabulary of {}", self.vocab_size)));
        }
        if self.position + len > MAX_SEQ_LEN {
            return Err(SourceError::Model("message longer than the model's context".into()));
        }
        let flat: Vec<u32> = tokens.iter().flat_map(|t| t.iter().copied()).collect();
        let input = Tensor::new(flat, &Device::Cpu)?.reshape((self.batch, len))?;
        let logits = if all {
            self.model.forward_all(&input, self.position)?.to_vec3::<f32>()?
        } else {
            self.model.forward(&input, self.position)?.to_vec2::<f32>()?.into_iter().map(|l| vec![l]).collect()
        };
        self.position += len;
        Ok(logits)
    }

    /// Feed one token per row; returns each row's next-token logits.
    pub fn step(&mut self, tokens: &[u32]) -> Result<Vec<Vec<f32>>, SourceError> {
        if tokens.len() != self.batch {
            return Err(SourceError::Model(format!("batch step got {} tokens for {} rows", tokens.len(), self.batch)));
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= self.vocab_size) {
            return Err(SourceError::Symbol(format!("token {bad} outside vocabulary of {}", self.vocab_size)));
        }
        if self.position >= MAX_SEQ_LEN {
            return Err(SourceError::Model("message longer than the model's context".into()));
        }
        let input = Tensor::new(tokens, &Device::Cpu)?.reshape((self.batch, 1))?;
        let logits = self.model.forward(&input, self.position)?;
        self.position += 1;
        Ok(logits.to_dtype(candle_core::DType::F32)?.to_vec2::<f32>()?)
    }
}
