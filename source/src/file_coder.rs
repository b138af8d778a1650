//! File mode of the LLM arithmetic coder (`sim compress`): the model sees the whole document.
//!
//! The per-message coder ([`crate::lm_coder`]) codes every message from one fixed start context,
//! which is right for a link (each message stands alone) and wrong for a file. Here:
//!
//! - **Tokens**: the bytes of a lane are tokenised as UTF-8 runs; bytes that are not UTF-8 (and
//!   bytes the vocabulary lacks) are spelled with the tokenizer's byte escape
//!   (`escape d d d`), so any bytes are coded exactly. Tokenising is checked by decoding the ids
//!   back ([`FileCoder::tokenize`] fails if the spelling is not exact, and the container then
//!   stores that lane with zstd).
//! - **One stream per lane**: the start context is `<|endoftext|>` (else BOS), then every token
//!   of the lane, one per forward pass with the KV cache carried across the whole lane; the
//!   container stores the token count, so no end symbol is coded.
//! - **Sliding window**: when a lane's position reaches [`FileCoder::window`] tokens (start token
//!   included), its state is dropped and re-primed from the start token plus the last
//!   [`FileCoder::keep`] tokens, and coding continues. Both sides apply this rule before the same
//!   token, so the logits stay identical. Defaults: window 1024, keep 256 ([`DEFAULT_WINDOW`],
//!   [`DEFAULT_KEEP`]); the model always sees at least 256 and on average ~640 tokens of
//!   context. Re-priming is one pass over the 257 tokens
//!   ([`crate::llama::LlamaBatch::reprime`]), which gives the logits of 257 single steps bit for
//!   bit but reads the weights once.
//! - **Encoder and decoder schedules**: the decoder must go one token per step (it learns each
//!   token from the previous step's table); the encoder knows them all and feeds
//!   [`ENCODE_CHUNK`] tokens per pass ([`crate::llama::LlamaBatch::step_all`]), the window sliding
//!   before the same tokens. That is why compressing is faster than decompressing.
//! - **Lanes**: the container cuts a file into `C` contiguous segments (lanes), coded as
//!   independent streams: by the encoder one lane per worker, by the decoder in lockstep batches
//!   ([`crate::llama::LlamaBatch`], one `(B, 1)` forward pass per step; the Q8_0 kernel shares
//!   the weight stream between rows), spread over `rayon::current_num_threads()` workers. A
//!   row's logits do not depend on the other rows of its batch (tested in `tests/smollm2.rs`),
//!   so the grouping may differ between the two sides. (Measured and dropped: one batch of every
//!   lane with the kernel's columns and the rows' attention split between the two threads
//!   decoded 30–50 % slower than a batch per thread.)
//!
//! - **Model arithmetic** ([`FILE_MODEL`], container version 3): the GGUF's layers as stored
//!   (Q4_1 through [`crate::q4_1_matmul`]) and a half-precision KV cache
//!   ([`crate::llama_attention`]); per decoding step that reads ~100 MB of weights instead of
//!   152 MB and half the keys and values, for the same compression. Version-2 containers were
//!   coded by the message coder's model (`LlamaOptions::default()`) and decode with it.
//!
//! Frequencies come from [`crate::quantize::frequencies_from_logits`], the same function on both
//! sides (bit-identical tables for bit-identical logits).

use crate::arithmetic::{ArithmeticDecoder, ArithmeticEncoder};
use crate::coder::encode_symbol;
use crate::llama::{BlockWeights, KvCache, LlamaLm, LlamaOptions, StartContext, ENCODE_CHUNK};
use crate::llama_model::MAX_SEQ_LEN;
use crate::lm_coder::isolated_parallel_map;
use crate::model_cache::{sha256_file, spec_by_name, ModelSource};
use crate::quantize::{frequencies_from_logits, FrequencyTable, LM_TOTAL_BUDGET};
use crate::SourceError;
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Default position at which a lane's context slides (start token included).
pub const DEFAULT_WINDOW: usize = 1024;
/// Default number of tokens a slid lane is re-primed from.
pub const DEFAULT_KEEP: usize = 256;

/// How the file coder's model computes (container version 3): the GGUF's own 4/5-bit blocks
/// where a kernel for them exists ([`crate::q4_1_matmul`] for Q4_1, SmolLM2's format), and
/// half-precision keys and values ([`KvCache::F16`]). Per decoding step that reads ~100 MB of
/// weights instead of 152 MB and half the keys and values. (Version 2 was
/// `LlamaOptions::default()`: Q8_0 re-quantised weights, f32 cache, candle's arithmetic.)
pub const FILE_MODEL: LlamaOptions = LlamaOptions { weights: BlockWeights::Stored, kv_cache: KvCache::F16 };

/// Progress of a long coding job: `(tokens done, tokens in all)`, called from worker threads.
pub type ProgressFn<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// A llama-family GGUF model set up for whole-file coding.
#[derive(Clone)]
pub struct FileCoder {
    lm: LlamaLm,
    options: LlamaOptions,
    /// How the user named the model (a known name or a GGUF path); stored in the container.
    pub model_name: String,
    /// SHA-256 of the GGUF file.
    pub model_sha256: [u8; 32],
    /// [`crate::tokenizer::ByteLevelBpe::vocabulary_digest`] of its tokenizer.
    pub tokenizer_digest: [u8; 32],
    pub window: usize,
    pub keep: usize,
}

/// The 32 bytes of a 64-digit hex string (`None` if it is not one).
pub fn hex_to_bytes(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl FileCoder {
    /// Load a known model name (fetched on first use, hash-checked) or a local llama GGUF path,
    /// computing as [`FILE_MODEL`] (what new containers are written with).
    pub fn load(model: &str, verbose: bool) -> Result<Self, SourceError> {
        Self::load_with(model, verbose, FILE_MODEL)
    }

    /// [`Self::load`] computing as `options` (as an older container was written).
    pub fn load_with(model: &str, verbose: bool, options: LlamaOptions) -> Result<Self, SourceError> {
        let source = ModelSource::parse(model);
        let path = source.resolve(verbose)?;
        let sha = match &source {
            ModelSource::Named(n) => hex_to_bytes(spec_by_name(n)?.sha256),
            _ => None,
        };
        let sha = match sha {
            Some(s) => s,
            None => hex_to_bytes(&sha256_file(&path)?).ok_or_else(|| SourceError::file(&path, "bad sha256"))?,
        };
        Self::from_gguf(&path, model, sha, options)
    }

    /// Load a GGUF whose SHA-256 is already known.
    pub fn from_gguf(
        path: &Path,
        model_name: &str,
        model_sha256: [u8; 32],
        options: LlamaOptions,
    ) -> Result<Self, SourceError> {
        let lm = LlamaLm::load(path, options, StartContext::TokenOrBos("<|endoftext|>".into()))?;
        let tokenizer_digest = lm.tokenizer.vocabulary_digest();
        Ok(Self {
            lm,
            options,
            model_name: model_name.to_string(),
            model_sha256,
            tokenizer_digest,
            window: DEFAULT_WINDOW,
            keep: DEFAULT_KEEP,
        })
    }

    /// How the model computes (weights and KV cache); a container records it (its version).
    pub fn options(&self) -> LlamaOptions {
        self.options
    }

    pub fn lm(&self) -> &LlamaLm {
        &self.lm
    }

    /// The same coder with another context window and re-priming length (both recorded in the
    /// container, so any valid pair decodes); an error names the valid range.
    pub fn with_window(mut self, window: usize, keep: usize) -> Result<Self, SourceError> {
        self.window = window;
        self.keep = keep;
        self.check_window()?;
        Ok(self)
    }

    /// Check `window` and `keep` against the model (both sides must use the same values).
    pub fn check_window(&self) -> Result<(), SourceError> {
        let start = self.lm.start_tokens().len();
        if self.window > MAX_SEQ_LEN || self.keep + start + 1 >= self.window {
            return Err(SourceError::Unsupported(format!(
                "context window {} / keep {} invalid (need keep + {} < window <= {MAX_SEQ_LEN})",
                self.window,
                self.keep,
                start + 1
            )));
        }
        Ok(())
    }

    /// Token ids spelling `bytes` exactly (see module docs); an error if the vocabulary cannot.
    pub fn tokenize(&self, bytes: &[u8]) -> Result<Vec<u32>, SourceError> {
        let tok = &self.lm.tokenizer;
        let mut ids = Vec::with_capacity(bytes.len() / 3);
        for chunk in bytes.utf8_chunks() {
            ids.extend(tok.encode(chunk.valid())?);
            for &b in chunk.invalid() {
                ids.extend(tok.escape_byte(b).ok_or_else(|| {
                    SourceError::Tokenizer("vocabulary has no byte escape for non-UTF-8 bytes".into())
                })?);
            }
        }
        if tok.decode_bytes(&ids) != bytes {
            return Err(SourceError::Tokenizer("the tokens do not spell these bytes exactly".into()));
        }
        Ok(ids)
    }

    /// Bytes of token ids (inverse of [`Self::tokenize`]).
    pub fn detokenize(&self, ids: &[u32]) -> Vec<u8> {
        self.lm.tokenizer.decode_bytes(ids)
    }

    /// Arithmetic-code each lane's tokens as one stream; returns the bits (one `u8` per bit).
    ///
    /// The encoder knows every token, so it feeds them [`ENCODE_CHUNK`] at a time
    /// ([`crate::llama::LlamaBatch::step_all`]: the logits of single steps bit for bit, the
    /// weights read once per chunk) on the decoder's schedule: the window slides before the
    /// same token, from the same `keep` tokens. Lanes run in parallel, one per worker.
    pub fn encode_lanes(&self, lanes: &[&[u32]], progress: ProgressFn) -> Result<Vec<Vec<u8>>, SourceError> {
        self.check_window()?;
        let total: usize = lanes.iter().map(|l| l.len()).sum();
        let done = AtomicUsize::new(0);
        let coded = isolated_parallel_map(lanes, |tokens| {
            self.encode_lane(tokens, &|n| progress(done.fetch_add(n, Ordering::Relaxed) + n, total))
        });
        coded.into_iter().collect()
    }

    fn encode_lane(&self, tokens: &[u32], progress: &dyn Fn(usize)) -> Result<Vec<u8>, SourceError> {
        let mut encoder = ArithmeticEncoder::new();
        let mut code = |s: u32, logits: &[f32]| {
            encode_symbol(&mut encoder, &frequencies_from_logits(logits, LM_TOTAL_BUDGET), s as usize)
        };
        let Some(&first_token) = tokens.first() else { return Ok(encoder.finish()) };
        let (mut lane, first) = self.lm.batch(1)?;
        code(first_token, &first[0])?;
        progress(1);
        // `t`: the last token coded; feeding it gives the logits of token t + 1.
        let mut t = 0;
        while t + 1 < tokens.len() {
            if lane.position() >= self.window {
                lane.reprime(&self.lm, &[&tokens[t - self.keep..t]])?;
            }
            let end = (tokens.len() - 1).min(t + (self.window - lane.position())).min(t + ENCODE_CHUNK);
            let logits = lane.step_all(&[&tokens[t..end]], true)?.pop().unwrap_or_default();
            for (i, l) in logits.iter().enumerate() {
                code(tokens[t + 1 + i], l)?;
            }
            progress(end - t);
            t = end;
        }
        Ok(encoder.finish())
    }

    /// Decode each lane's `counts[i]` tokens from its bits (inverse of [`Self::encode_lanes`]).
    /// A stream that runs out of bits before its count is an error (corrupt container).
    pub fn decode_lanes(
        &self,
        frames: &[&[u8]],
        counts: &[usize],
        progress: ProgressFn,
    ) -> Result<Vec<Vec<u32>>, SourceError> {
        self.check_window()?;
        if frames.len() != counts.len() {
            return Err(SourceError::Unsupported("one token count per lane needed".into()));
        }
        let total: usize = counts.iter().sum();
        let done = AtomicUsize::new(0);
        let groups = lane_groups(frames.len());
        let decoded = isolated_parallel_map(&groups, |g| {
            let mut decoders: Vec<ArithmeticDecoder> = g.iter().map(|&l| ArithmeticDecoder::new(frames[l])).collect();
            let group_counts: Vec<usize> = g.iter().map(|&l| counts[l]).collect();
            self.run_lanes(
                &group_counts,
                |row, t, table| {
                    let d = &mut decoders[row];
                    let s = d.decode_symbol(table.cumulative()).map_err(|e| {
                        SourceError::Unsupported(format!("corrupt container: lane {} token {t}: {e}", g[row]))
                    })?;
                    if d.exhausted() {
                        return Err(SourceError::Unsupported(format!(
                            "corrupt container: lane {} ran out of bits at token {t} of {}",
                            g[row], counts[g[row]]
                        )));
                    }
                    Ok(s as u32)
                },
                &|n| progress(done.fetch_add(n, Ordering::Relaxed) + n, total),
            )
        });
        let mut out = Vec::with_capacity(frames.len());
        for r in decoded {
            out.extend(r?);
        }
        Ok(out)
    }

    /// The decoder's schedule: rows `0..counts.len()` in one lockstep batch; at each step every
    /// running row gets its frequency table and `code(row, t, table)` returns the row's token `t`
    /// (the decoded one). [`Self::encode_lane`] follows the same schedule, many tokens per pass.
    fn run_lanes(
        &self,
        counts: &[usize],
        mut code: impl FnMut(usize, usize, &FrequencyTable) -> Result<u32, SourceError>,
        progress: &dyn Fn(usize),
    ) -> Result<Vec<Vec<u32>>, SourceError> {
        let mut history: Vec<Vec<u32>> = counts.iter().map(|&c| Vec::with_capacity(c)).collect();
        let mut active: Vec<usize> = (0..counts.len()).filter(|&r| counts[r] > 0).collect();
        if active.is_empty() {
            return Ok(history);
        }
        let (mut lane, mut logits) = self.lm.batch(active.len())?;
        loop {
            let tables: Vec<FrequencyTable> =
                logits.par_iter().map(|l| frequencies_from_logits(l, LM_TOTAL_BUDGET)).collect();
            for (i, &r) in active.iter().enumerate() {
                let t = history[r].len();
                let s = code(r, t, &tables[i])?;
                history[r].push(s);
            }
            progress(active.len());
            let keep: Vec<usize> =
                (0..active.len()).filter(|&i| history[active[i]].len() < counts[active[i]]).collect();
            if keep.is_empty() {
                return Ok(history);
            }
            lane.retain(&keep)?;
            active = keep.iter().map(|&i| active[i]).collect();
            if lane.position() >= self.window {
                let recent: Vec<&[u32]> = active
                    .iter()
                    .map(|&r| {
                        let h = &history[r];
                        &h[h.len() - 1 - self.keep..h.len() - 1]
                    })
                    .collect();
                lane.reprime(&self.lm, &recent)?;
            }
            let feed: Vec<u32> = active.iter().map(|&r| *history[r].last().expect("coded above")).collect();
            logits = lane.step(&feed)?;
        }
    }
}

/// Lanes split into contiguous groups, one lockstep batch each, as many as worker threads.
fn lane_groups(lanes: usize) -> Vec<Vec<usize>> {
    let groups = rayon::current_num_threads().clamp(1, lanes.max(1));
    let per = lanes.div_ceil(groups).max(1);
    (0..lanes).collect::<Vec<_>>().chunks(per).map(<[usize]>::to_vec).collect()
}

/// Cut `data` into at most `lanes` contiguous non-empty segments of nearly equal length, each
/// cut moved forward to the next UTF-8 character boundary (so text is not split inside a
/// character) when one lies within 4 bytes.
pub fn cut_lanes(data: &[u8], lanes: usize) -> Vec<&[u8]> {
    let lanes = lanes.clamp(1, data.len().max(1));
    let mut out = Vec::with_capacity(lanes);
    let mut start = 0;
    for i in 1..=lanes {
        let mut end = data.len() * i / lanes;
        if i < lanes {
            let mut e = end;
            while e < data.len() && e < end + 4 && (data[e] & 0xC0) == 0x80 {
                e += 1;
            }
            if e < data.len() && (data[e] & 0xC0) != 0x80 {
                end = e;
            }
        }
        let end = end.max(start);
        if end > start {
            out.push(&data[start..end]);
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_cover_the_data_and_respect_characters() {
        let text = "ünïcödé text, ".repeat(50);
        for c in [1, 2, 3, 7, 64] {
            let lanes = cut_lanes(text.as_bytes(), c);
            assert_eq!(lanes.concat(), text.as_bytes());
            assert!(lanes.len() <= c && lanes.iter().all(|l| !l.is_empty()));
            assert!(lanes.iter().all(|l| std::str::from_utf8(l).is_ok()), "cut inside a character");
        }
        assert!(cut_lanes(b"", 4).is_empty());
        assert_eq!(cut_lanes(b"ab", 8).len(), 2);
        let groups = lane_groups(5);
        assert_eq!(groups.concat(), (0..5).collect::<Vec<_>>());
    }

    #[test]
    fn hex_round_trips() {
        let h = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
        assert_eq!(hex(&hex_to_bytes(h).unwrap()), h);
        assert!(hex_to_bytes("zz").is_none());
    }
}
