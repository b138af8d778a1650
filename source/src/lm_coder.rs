//! LLM arithmetic source coder: text → BPE tokens → next-token frequencies → arithmetic code.
//!
//! Each message is coded on its own from the same fixed start context, then its tokens, then an
//! end-of-message token. The receiver decodes tokens until the end token, until its input is
//! exhausted, or until `max_tokens`, so corrupted frames end in bounded time.
//!
//! Start context and end symbol (measured on 40 Europarl test sentences, see README): a bare
//! `<|endoftext|>` start with the GGUF's EOS (`<|im_end|>`) as end costs 2.00 bits/char, of which
//! the EOS alone is ~10.5 bits per sentence, because the model expects a newline after a
//! sentence. The default ([`LmCoderConfig::europarl`]) starts from `<|endoftext|>` plus a few
//! sentences of the Europarl *training* split, one per line (a fixed part of the codec, like a
//! Huffman codebook), and ends each message with the newline token: 1.47 bits/char. A newline
//! token inside a message is spelled with the tokenizer's byte escape, so the code stays
//! lossless for text that contains newlines.
//!
//! Batches are encoded message by message in sequence mode ([`SourceCoder::encode_batch`]: all
//! of a message's tokens in one pass, [`ENCODE_CHUNK`] at a time, messages spread over
//! `rayon::current_num_threads()` workers) and decoded in lockstep groups of `batch_size`
//! messages ([`SourceCoder::decode_batch`], default 8: one `(B, 1)` forward pass per step; rows
//! leave the group as their message ends), groups spread over the workers. Both are
//! bit-identical to single-message coding (tested logit by logit and code by code). With the project's Q8_0 kernel
//! ([`crate::q8_matmul`]) one step of 8 rows costs about twice one row, so lockstep doubles the
//! throughput (measured numbers in `source/README.md`); `batch_size = 1` runs one session per
//! message.

use crate::arithmetic::{ArithmeticDecoder, ArithmeticEncoder};
use crate::coder::{
    decode_symbols_scored, encode_symbol, encode_symbols, Bits, Decoded, ListDecoded, SourceCoder, StopReason,
};
use crate::list_decoding::{list_decode, score_message, ListChoice, ListConfig, MessageEnd, PathModel, SoftPayload};
use crate::llama::{LlamaBatch, LlamaLm, LlamaOptions, StartContext, ENCODE_CHUNK};
use crate::model_cache::ModelSource;
use crate::quantize::{frequencies_from_logits, FrequencyTable, LM_TOTAL_BUDGET};
use crate::SourceError;
use rayon::prelude::*;
use std::path::Path;

/// Default bound on decoded tokens per message (Europarl sentences have < 300 tokens).
pub const DEFAULT_MAX_TOKENS: usize = 1024;

/// Start of a message as the model sees it, and which token ends a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmCoderConfig {
    /// Text after `<|endoftext|>` that every message is coded after (may be empty).
    pub context: String,
    pub end: EndSymbol,
}

/// The end-of-message symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSymbol {
    /// The single-newline token; newline tokens inside messages are escaped.
    Newline,
    /// The GGUF's `tokenizer.ggml.eos_token_id`, which the tokenizer never produces from text.
    Eos,
}

/// The first sentences of the Europarl training split (`train_sentences.txt`, lines 1–8),
/// one per line: shows the model the corpus style (lower case, spaced punctuation).
pub const EUROPARL_CONTEXT: &str = "the house rose and observed a minute s silence
this is all in accordance with the principles that we have always upheld .
thank you mr segni i shall do so gladly . indeed it is quite in keeping with the positions this house has always adopted .
yes mrs schroedter i shall be pleased to look into the facts of this case when i have received your letter .
in any event this question is not presently included among the requests for topical and urgent debate on thursday .
applause from the pse group
applause from the ppe de group
i propose that we vote on the request of the group of the party of european socialists that the commission statement on its strategic objectives should be reinstated .
";

impl LmCoderConfig {
    /// Default: Europarl-style context, newline end.
    pub fn europarl() -> Self {
        Self { context: EUROPARL_CONTEXT.to_string(), end: EndSymbol::Newline }
    }

    /// No context beyond `<|endoftext|>`, EOS end (the plain per-sentence scheme).
    pub fn bare() -> Self {
        Self { context: String::new(), end: EndSymbol::Eos }
    }
}

/// Arithmetic coder driven by a llama-family language model.
#[derive(Clone)]
pub struct LmCoder {
    name: String,
    lm: LlamaLm,
    end_token: u32,
    /// Tokens substituted for the end token when it occurs inside a message (newline escape).
    end_escape: Option<[u32; 4]>,
    pub max_tokens: usize,
    /// Messages per lockstep batch in `encode_batch`/`decode_batch` (1: one session per message).
    pub batch_size: usize,
}

/// Default lockstep batch size (see module docs for the measurement).
pub const DEFAULT_BATCH_SIZE: usize = 8;

impl LmCoder {
    /// Load SmolLM2-135M (fetching it on first use) with the default (Europarl) configuration.
    pub fn smollm2(verbose: bool) -> Result<Self, SourceError> {
        Self::from_source(&ModelSource::Named("smollm2-135m".into()), LmCoderConfig::europarl(), verbose)
    }

    /// Load any [`ModelSource`] with the given configuration.
    pub fn from_source(source: &ModelSource, config: LmCoderConfig, verbose: bool) -> Result<Self, SourceError> {
        let path = source.resolve(verbose)?;
        let base = match source {
            ModelSource::Named(n) => n.clone(),
            _ => "llama-gguf".to_string(),
        };
        let suffix = if config == LmCoderConfig::europarl() {
            ""
        } else if config == LmCoderConfig::bare() {
            "-bare"
        } else {
            "-custom"
        };
        Self::from_gguf(&path, &format!("{base}-ac{suffix}"), LlamaOptions::default(), config)
    }

    /// Load a GGUF file directly.
    pub fn from_gguf(
        path: &Path,
        name: &str,
        options: LlamaOptions,
        config: LmCoderConfig,
    ) -> Result<Self, SourceError> {
        let start = StartContext::TokenThenText { token: "<|endoftext|>".into(), text: config.context.clone() };
        let lm = LlamaLm::load(path, options, start)?;
        let (end_token, end_escape) = match config.end {
            EndSymbol::Eos => {
                (lm.eos_token.ok_or_else(|| SourceError::file(path, "GGUF has no tokenizer.ggml.eos_token_id"))?, None)
            }
            EndSymbol::Newline => {
                let ids = lm.tokenizer.encode("\n")?;
                let escape = lm.tokenizer.escape_byte(b'\n');
                match (ids.as_slice(), escape) {
                    ([nl], Some(esc)) => (*nl, Some(esc)),
                    _ => {
                        return Err(SourceError::file(
                            path,
                            "vocabulary has no single newline token or no byte escape; use EndSymbol::Eos",
                        ))
                    }
                }
            }
        };
        Ok(Self {
            name: name.to_string(),
            lm,
            end_token,
            end_escape,
            max_tokens: DEFAULT_MAX_TOKENS,
            batch_size: DEFAULT_BATCH_SIZE,
        })
    }

    pub fn lm(&self) -> &LlamaLm {
        &self.lm
    }

    pub fn end_token(&self) -> u32 {
        self.end_token
    }

    /// Token ids of a message (without the end token); the end token, if the tokenizer
    /// produces it, is replaced by its byte escape.
    pub fn tokenize(&self, message: &str) -> Result<Vec<u32>, SourceError> {
        let ids = self.lm.tokenizer.encode(message)?;
        if !ids.contains(&self.end_token) {
            return Ok(ids);
        }
        let escape = self
            .end_escape
            .ok_or_else(|| SourceError::Tokenizer("message tokenised to the end-of-message token".into()))?;
        Ok(ids.into_iter().flat_map(|id| if id == self.end_token { escape.to_vec() } else { vec![id] }).collect())
    }
}

impl SourceCoder for LmCoder {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn encode(&self, message: &str) -> Result<Bits, SourceError> {
        let mut symbols: Vec<usize> = self.tokenize(message)?.into_iter().map(|t| t as usize).collect();
        symbols.push(self.end_token as usize);
        let mut session = self.lm.session();
        encode_symbols(&mut session, &symbols)
    }

    fn decode(&self, bits: &[u8]) -> Decoded {
        let mut session = self.lm.session();
        let d = decode_symbols_scored(&mut session, bits, self.end_token as usize, self.max_tokens);
        let ids: Vec<u32> = d.symbols.iter().map(|&s| s as u32).collect();
        Decoded {
            text: self.lm.tokenizer.decode(&ids),
            stop: d.stop,
            symbols: ids.len(),
            ln_prob: Some(d.ln_prob),
            exact: Some(d.exact),
        }
    }

    fn encode_batch(&self, messages: &[&str]) -> Result<Vec<Bits>, SourceError> {
        if self.batch_size <= 1 {
            return isolated_parallel_map(messages, |m| self.encode(m)).into_iter().collect();
        }
        let symbols: Vec<Vec<usize>> = messages
            .iter()
            .map(|m| {
                let mut s: Vec<usize> = self.tokenize(m)?.into_iter().map(|t| t as usize).collect();
                s.push(self.end_token as usize);
                Ok(s)
            })
            .collect::<Result<_, SourceError>>()?;
        isolated_parallel_map(&symbols, |s| self.encode_sequence(s)).into_iter().collect()
    }

    fn decode_batch(&self, frames: &[&[u8]]) -> Vec<Decoded> {
        if self.batch_size <= 1 {
            return isolated_parallel_map(frames, |b| self.decode(b));
        }
        // Frame length is a proxy for message length: group similar ones to waste fewer steps.
        let groups = length_groups(&frames.iter().map(|f| f.len()).collect::<Vec<_>>(), self.batch_size);
        let decoded: Vec<Vec<(usize, Decoded)>> = isolated_parallel_map(&groups, |g| {
            let rows: Vec<&[u8]> = g.iter().map(|&i| frames[i]).collect();
            g.iter().copied().zip(self.decode_lockstep(&rows)).collect()
        });
        let mut out: Vec<Option<Decoded>> = vec![None; frames.len()];
        for (i, d) in decoded.into_iter().flatten() {
            out[i] = Some(d);
        }
        out.into_iter()
            .map(|d| {
                d.unwrap_or(Decoded {
                    text: String::new(),
                    stop: StopReason::Invalid,
                    symbols: 0,
                    ln_prob: None,
                    exact: Some(false),
                })
            })
            .collect()
    }

    fn decode_group(&self) -> usize {
        self.batch_size.max(1)
    }

    fn can_decode_list(&self) -> bool {
        true
    }

    fn decode_list(&self, soft: &SoftPayload, config: ListConfig) -> Option<ListDecoded> {
        let mut paths = LlamaPaths { lm: &self.lm, batch: None };
        let config = ListConfig { max_symbols: config.max_symbols.min(self.max_tokens), ..config };
        let result = list_decode(&mut paths, MessageEnd::Symbol(self.end_token as usize), soft, config);
        let score = result.choice.as_ref().map(ListChoice::score);
        let decoded = result.choice.map(|c| {
            let ids: Vec<u32> = c.symbols.iter().map(|&s| s as u32).collect();
            Decoded {
                text: self.lm.tokenizer.decode(&ids),
                stop: StopReason::EndOfMessage,
                symbols: ids.len(),
                ln_prob: Some(c.ln_prob),
                exact: None,
            }
        });
        Some(ListDecoded { decoded, model_steps: result.model_steps, score })
    }

    fn score_list(&self, message: &str, soft: &SoftPayload) -> Option<ListChoice> {
        let symbols: Vec<usize> = self.tokenize(message).ok()?.into_iter().map(|t| t as usize).collect();
        let mut paths = LlamaPaths { lm: &self.lm, batch: None };
        score_message(&mut paths, MessageEnd::Symbol(self.end_token as usize), soft, &symbols)
    }
}

/// The list decoder's paths as the rows of one lockstep batch: a level is one `(paths, 1)` step,
/// and forking a path copies its row (the KV cache is shared until appended to).
struct LlamaPaths<'a> {
    lm: &'a LlamaLm,
    batch: Option<LlamaBatch>,
}

impl PathModel for LlamaPaths<'_> {
    fn root(&mut self) -> Result<FrequencyTable, SourceError> {
        let (batch, mut logits) = self.lm.batch(1)?;
        self.batch = Some(batch);
        Ok(frequencies_from_logits(&logits.pop().unwrap_or_default(), LM_TOTAL_BUDGET))
    }

    fn branch(&mut self, parents: &[usize], symbols: &[usize]) -> Result<Vec<FrequencyTable>, SourceError> {
        let batch = self.batch.as_mut().ok_or_else(|| SourceError::Model("branch before root".into()))?;
        batch.select(parents)?;
        let tokens: Vec<u32> = symbols.iter().map(|&s| s as u32).collect();
        Ok(batch.step(&tokens)?.iter().map(|l| frequencies_from_logits(l, LM_TOTAL_BUDGET)).collect())
    }
}

/// Map `f` over `items` on `rayon::current_num_threads()` worker threads, each inside its own
/// one-thread rayon pool, so candle's inner `par_iter`s stay on that worker. Measured: nesting
/// message-level and candle's parallelism in one 2-thread pool gave no speed-up (33 vs 32
/// tokens/s), while two 1-thread processes gave 63 tokens/s in total; this reproduces the
/// latter inside one process. Results do not depend on the number of workers.
pub fn isolated_parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = rayon::current_num_threads().min(items.len());
    if workers <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<R>>> = items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= items.len() {
            break;
        }
        let r = f(&items[i]);
        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
                Ok(pool) => pool.install(work),
                Err(_) => work(),
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every item was processed"))
        .collect()
}

/// Indices grouped into chunks of `size`, sorted by `lengths` so each chunk has similar lengths.
fn length_groups(lengths: &[usize], size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| (lengths[i], i));
    order.chunks(size.max(1)).map(<[usize]>::to_vec).collect()
}

fn tables(logits: &[Vec<f32>]) -> Vec<FrequencyTable> {
    logits.par_iter().map(|l| frequencies_from_logits(l, LM_TOTAL_BUDGET)).collect()
}

impl LmCoder {
    /// Encode one symbol sequence (ending with the end token), feeding its tokens
    /// [`ENCODE_CHUNK`] per pass ([`crate::llama::LlamaBatch::step_all`]: the logits of single
    /// steps bit for bit, tested against [`SourceCoder::encode`]), so the weights are read once
    /// per pass instead of once per token.
    fn encode_sequence(&self, symbols: &[usize]) -> Result<Bits, SourceError> {
        let mut encoder = ArithmeticEncoder::new();
        let mut code = |s: usize, logits: &[f32]| {
            encode_symbol(&mut encoder, &frequencies_from_logits(logits, LM_TOTAL_BUDGET), s)
        };
        let Some((&first_symbol, rest)) = symbols.split_first() else { return Ok(encoder.finish()) };
        let (mut lane, first) = self.lm.batch(1)?;
        code(first_symbol, &first[0])?;
        // Feeding symbol j gives the table of symbol j + 1.
        let feed: Vec<u32> = symbols[..symbols.len() - 1].iter().map(|&s| s as u32).collect();
        for (chunk, next) in feed.chunks(ENCODE_CHUNK).zip(rest.chunks(ENCODE_CHUNK)) {
            let logits = lane.step_all(&[chunk], true)?.pop().unwrap_or_default();
            for (&s, l) in next.iter().zip(&logits) {
                code(s, l)?;
            }
        }
        Ok(encoder.finish())
    }

    /// Decode several frames in one lockstep batch (same stopping rules as [`SourceCoder::decode`]).
    fn decode_lockstep(&self, frames: &[&[u8]]) -> Vec<Decoded> {
        let n = frames.len();
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut stops: Vec<Option<StopReason>> = vec![None; n];
        let mut ln_probs = vec![0f64; n];
        // Set when a row stops on its end symbol, as `decode_symbols_scored` does.
        let mut exact = vec![false; n];
        let finish = |ids: Vec<Vec<u32>>, stops: Vec<Option<StopReason>>, ln_probs: Vec<f64>, exact: Vec<bool>| {
            ids.into_iter()
                .zip(stops)
                .zip(ln_probs)
                .zip(exact)
                .map(|(((ids, stop), ln_prob), exact)| Decoded {
                    text: self.lm.tokenizer.decode(&ids),
                    stop: stop.unwrap_or(StopReason::Invalid),
                    symbols: ids.len(),
                    ln_prob: Some(ln_prob),
                    exact: Some(exact),
                })
                .collect::<Vec<_>>()
        };
        let Ok((mut lane, first)) = self.lm.batch(n) else { return finish(ids, stops, ln_probs, exact) };
        let mut tables = tables(&first);
        let mut decoders: Vec<ArithmeticDecoder> = frames.iter().map(|f| ArithmeticDecoder::new(f)).collect();
        // Lane row i holds frame active[i]; rows leave the lane when their frame stops.
        let mut active: Vec<usize> = (0..n).collect();
        loop {
            let mut keep = Vec::new();
            let mut feed = Vec::new();
            for (i, &r) in active.iter().enumerate() {
                let symbol = match decoders[r].decode_symbol(tables[i].cumulative()) {
                    Ok(s) => s as u32,
                    Err(_) => {
                        stops[r] = Some(StopReason::Invalid);
                        continue;
                    }
                };
                ln_probs[r] += tables[i].ln_probability(symbol as usize);
                if symbol == self.end_token {
                    stops[r] = Some(StopReason::EndOfMessage);
                    exact[r] = decoders[r].ends_exactly();
                } else if decoders[r].exhausted() {
                    stops[r] = Some(StopReason::OutOfBits);
                } else {
                    ids[r].push(symbol);
                    if ids[r].len() >= self.max_tokens {
                        stops[r] = Some(StopReason::SymbolLimit);
                    } else {
                        keep.push(i);
                        feed.push(symbol);
                    }
                }
            }
            if keep.is_empty() {
                return finish(ids, stops, ln_probs, exact);
            }
            active = keep.iter().map(|&i| active[i]).collect();
            match lane.retain(&keep).and_then(|_| lane.step(&feed)) {
                Ok(logits) => tables = self::tables(&logits),
                Err(_) => {
                    for &r in &active {
                        stops[r] = Some(StopReason::Invalid);
                    }
                    return finish(ids, stops, ln_probs, exact);
                }
            }
        }
    }
}
