//! A text LLM as a compressor of raw bytes: Delétang et al.'s protocol with SmolLM2.
//!
//! Delétang et al., "Language Modeling Is Compression" (ICLR 2024, arXiv 2309.10668), code
//! audio with text-trained LLMs: the data is cut into chunks of 2,048 bytes, each chunk is
//! arithmetic-coded alone from the model's next-byte distribution, and the rate is the total
//! code size over the total raw size. Their LibriSpeech chunks are 8-bit audio
//! ([`crate::audio::wav::to_unsigned_8bit`]), 2,048 samples (128 ms at 16 kHz) each.
//!
//! Here the model is any byte-level-BPE llama GGUF (SmolLM2-135M by default) computing as the
//! file coder does ([`crate::file_coder::FILE_MODEL`]). Byte `b` is the vocabulary's
//! single-byte token for `b`; the next-byte distribution is the softmax of the logits of those
//! 256 tokens alone (every other token dropped), quantised by
//! [`crate::quantize::frequencies_from_logits`], the function both sides call. SmolLM2 has no
//! single-byte token for 21 byte values (the control bytes 4, 6, 19, 20, 22, 29 and 15 that
//! UTF-8 never uses: 192, 193, 241, 242, 245–255): they get the smallest logit
//! of the 256 (so they stay codable), and the model is fed the token of the nearest byte value
//! that has one (both sides do the same). Every chunk starts from the start context
//! `<|endoftext|>`, then one byte per position; chunks are independent, so a lost chunk costs
//! only itself.
//!
//! **Spelling.** Which token stands for which byte matters more than anything else here: with
//! the bytes as they are, 8-bit audio (which sits around 0x80) lands on tokens of bytes that
//! UTF-8 text only uses inside multi-byte characters, which a byte-level BPE model has almost
//! never seen alone, and SmolLM2 costs more than 8 bits a byte. [`ByteLm::with_offset`] spells
//! byte `b` with the token of `b + offset` (a bijection); [`DIGIT_OFFSET`] puts silence on `0`
//! and small amplitudes on digits and punctuation, and cuts the code twenty-fold.
//!
//! Schedules: the encoder feeds a chunk [`ENCODE_CHUNK`] bytes per pass
//! ([`crate::llama::LlamaBatch::step_all`], the logits of single steps bit for bit); the decoder
//! steps lockstep batches of up to [`DECODE_BATCH`] chunks, one byte per step. A row's logits do
//! not depend on the other rows, so both give the same tables.

use crate::arithmetic::{ArithmeticDecoder, ArithmeticEncoder};
use crate::coder::encode_symbol;
use crate::llama::{LlamaLm, ENCODE_CHUNK};
use crate::lm_coder::isolated_parallel_map;
use crate::quantize::{frequencies_from_logits, FrequencyTable, LM_TOTAL_BUDGET};
use crate::SourceError;

/// Delétang et al.'s chunk length in bytes.
pub const CHUNK_BYTES: usize = 2048;

/// Rows of one decoder lockstep batch.
pub const DECODE_BATCH: usize = 8;

/// The offset of [`ByteLm::with_offset`] that puts 8-bit silence (0x80) on the token `0`:
/// small positive values then read as the digits `1`–`9`, small negative ones as `/ . - , +`.
/// Measured on the first chunk of each held-out clip (10 KB, SmolLM2-135M; `sim source-bench
/// --audio --llm-chunks 1 --byte-offsets 0,d0,e0,a0,f1,b0`): offset 0 (Delétang's bytes as they
/// are) 211 % of the raw size, silence on `P` (0xD0) 24.5 %, on `` ` `` (0xE0) 17.0 %, on a space
/// (0xA0) 32.5 %, on `q` (0xF1) 28.8 %, on `0` (0xB0) 9.9 % (zstd -19: 10.7 %).
pub const DIGIT_OFFSET: u8 = 0xB0;

/// A llama LM restricted to the 256 byte values.
pub struct ByteLm<'a> {
    lm: &'a LlamaLm,
    offset: u8,
    /// Token id of byte `b` (`Some`), or `None` where the vocabulary has no single-byte token.
    token: [Option<u32>; 256],
    /// The token fed after byte `b`: its own, else the nearest byte value's.
    fed: [u32; 256],
}

/// One chunk's code: the arithmetic coder's bits (one `u8` per bit).
pub type ChunkCode = Vec<u8>;

impl<'a> ByteLm<'a> {
    /// Wrap `lm`; an error if its vocabulary has fewer than 128 single-byte tokens.
    pub fn new(lm: &'a LlamaLm) -> Result<Self, SourceError> {
        Self::with_offset(lm, 0)
    }

    /// Wrap `lm`, spelling byte `b` with the token of byte `(b + offset) mod 256`: a bijection,
    /// so any offset codes losslessly; it only changes which tokens the data lands on.
    pub fn with_offset(lm: &'a LlamaLm, offset: u8) -> Result<Self, SourceError> {
        let plain = Self::identity(lm)?;
        let at = |b: usize| (b + offset as usize) % 256;
        Ok(Self {
            lm,
            offset,
            token: std::array::from_fn(|b| plain.token[at(b)]),
            fed: std::array::from_fn(|b| plain.fed[at(b)]),
        })
    }

    fn identity(lm: &'a LlamaLm) -> Result<Self, SourceError> {
        let token = lm.tokenizer.single_byte_tokens();
        let present: Vec<usize> = (0..256).filter(|&b| token[b].is_some()).collect();
        if present.len() < 128 {
            return Err(SourceError::Unsupported(format!(
                "the model's vocabulary has single-byte tokens for {} of the 256 byte values; a byte LM needs them",
                present.len()
            )));
        }
        let fed = std::array::from_fn(|b: usize| {
            let nearest = *present.iter().min_by_key(|&&p| (p.abs_diff(b), p)).expect("non-empty");
            token[nearest].expect("present")
        });
        Ok(Self { lm, offset: 0, token, fed })
    }

    /// The offset bytes are spelled with (see [`Self::with_offset`]).
    pub fn offset(&self) -> u8 {
        self.offset
    }

    /// Byte values without a token of their own.
    pub fn missing_bytes(&self) -> Vec<u8> {
        (0..=255u8).filter(|&b| self.token[b as usize].is_none()).collect()
    }

    /// The logits of the 256 byte values, from the model's logits over its whole vocabulary
    /// (`-inf` for a byte without a token).
    pub fn byte_logits(&self, logits: &[f32]) -> Vec<f32> {
        self.token
            .iter()
            .map(|t| t.and_then(|id| logits.get(id as usize).copied()).unwrap_or(f32::NEG_INFINITY))
            .collect()
    }

    /// The next-byte table from the model's logits over its whole vocabulary.
    pub fn table(&self, logits: &[f32]) -> FrequencyTable {
        frequencies_from_logits(&self.byte_logits(logits), LM_TOTAL_BUDGET)
    }

    fn fed_tokens(&self, bytes: &[u8]) -> Vec<u32> {
        bytes.iter().map(|&b| self.fed[b as usize]).collect()
    }

    /// Code each chunk alone (in parallel, one chunk per worker at a time).
    pub fn encode_chunks(&self, chunks: &[&[u8]]) -> Result<Vec<ChunkCode>, SourceError> {
        self.encode_chunks_with(chunks, || LmOnly)
    }

    /// [`Self::encode_chunks`] with the tables made by a fresh `model()` per chunk.
    pub fn encode_chunks_with<M: ByteModel>(
        &self,
        chunks: &[&[u8]],
        model: impl Fn() -> M + Sync,
    ) -> Result<Vec<ChunkCode>, SourceError> {
        isolated_parallel_map(chunks, |c| self.encode_chunk(c, &mut model())).into_iter().collect()
    }

    fn encode_chunk(&self, bytes: &[u8], model: &mut impl ByteModel) -> Result<ChunkCode, SourceError> {
        let mut encoder = ArithmeticEncoder::new();
        let Some(&first) = bytes.first() else { return Ok(encoder.finish()) };
        let (mut row, logits) = self.lm.batch(1)?;
        encode_symbol(&mut encoder, &model.table(self, &logits[0]), first as usize)?;
        model.update(first);
        let fed = self.fed_tokens(bytes);
        // `t`: the last byte coded; feeding it gives the distribution of byte t + 1.
        let mut t = 0;
        while t + 1 < bytes.len() {
            let end = (bytes.len() - 1).min(t + ENCODE_CHUNK);
            let logits = row.step_all(&[&fed[t..end]], true)?.pop().unwrap_or_default();
            for (i, l) in logits.iter().enumerate() {
                let byte = bytes[t + 1 + i];
                encode_symbol(&mut encoder, &model.table(self, l), byte as usize)?;
                model.update(byte);
            }
            t = end;
        }
        Ok(encoder.finish())
    }

    /// Decode `len` bytes from each code (inverse of [`Self::encode_chunks`]). Any bits decode to
    /// some bytes (a corrupted code gives wrong bytes, never a panic or a hang: `len` bounds it).
    pub fn decode_chunks(&self, codes: &[&[u8]], len: usize) -> Result<Vec<Vec<u8>>, SourceError> {
        self.decode_chunks_with(codes, len, || LmOnly)
    }

    /// Inverse of [`Self::encode_chunks_with`] with the same `model`.
    pub fn decode_chunks_with<M: ByteModel>(
        &self,
        codes: &[&[u8]],
        len: usize,
        model: impl Fn() -> M + Sync,
    ) -> Result<Vec<Vec<u8>>, SourceError> {
        let groups: Vec<&[&[u8]]> = codes.chunks(DECODE_BATCH).collect();
        let decoded = isolated_parallel_map(&groups, |group| self.decode_group(group, len, &model));
        Ok(decoded.into_iter().collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
    }

    fn decode_group<M: ByteModel>(
        &self,
        codes: &[&[u8]],
        len: usize,
        model: &impl Fn() -> M,
    ) -> Result<Vec<Vec<u8>>, SourceError> {
        let mut out: Vec<Vec<u8>> = codes.iter().map(|_| Vec::with_capacity(len)).collect();
        if len == 0 || codes.is_empty() {
            return Ok(out);
        }
        let mut decoders: Vec<ArithmeticDecoder> = codes.iter().map(|c| ArithmeticDecoder::new(c)).collect();
        let mut models: Vec<M> = codes.iter().map(|_| model()).collect();
        let (mut batch, mut logits) = self.lm.batch(codes.len())?;
        for step in 0..len {
            let mut fed = Vec::with_capacity(codes.len());
            for (((decoder, l), bytes), m) in decoders.iter_mut().zip(&logits).zip(out.iter_mut()).zip(&mut models) {
                let table = m.table(self, l);
                let b = decoder.decode_symbol(table.cumulative()).map_err(|e| SourceError::Symbol(e.to_string()))?;
                bytes.push(b as u8);
                m.update(b as u8);
                fed.push(self.fed[b]);
            }
            if step + 1 < len {
                logits = batch.step(&fed)?;
            }
        }
        Ok(out)
    }
}

/// What turns the LLM's logits into the table each byte is coded with, one per chunk, called in
/// the same order by the encoder and the decoder: `table` for the next byte, then `update` with
/// the byte coded. It may keep state (a model of the signal); it must compute the same tables on
/// both sides.
pub trait ByteModel {
    /// The table of the next byte, given the LLM's logits over its whole vocabulary.
    fn table(&mut self, lm: &ByteLm, logits: &[f32]) -> FrequencyTable;
    /// The byte that was just coded.
    fn update(&mut self, byte: u8);
}

/// The LLM alone: its byte logits, quantised.
pub struct LmOnly;

impl ByteModel for LmOnly {
    fn table(&mut self, lm: &ByteLm, logits: &[f32]) -> FrequencyTable {
        lm.table(logits)
    }

    fn update(&mut self, _: u8) {}
}

/// `data` cut into whole chunks of [`CHUNK_BYTES`] (a shorter tail is dropped, as in
/// Delétang et al.'s loader).
pub fn whole_chunks(data: &[u8]) -> Vec<&[u8]> {
    data.chunks_exact(CHUNK_BYTES).collect()
}

/// Bytes a code of `bits` bits takes when packed.
pub fn packed_bytes(bits: usize) -> usize {
    bits.div_ceil(8)
}
