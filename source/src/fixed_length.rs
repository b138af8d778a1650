//! Fixed-length token ids: every BPE token costs `ceil(log2 V)` bits, then an end token.
//!
//! The baseline that shows what the language model's probabilities buy over the tokenizer
//! alone (SmolLM2: V = 49,152 → 16 bits per token). The end-of-message id is the GGUF's EOS,
//! which the tokenizer never produces from text. Decoding stops at the end id or when fewer
//! than one id's worth of bits remain.

use crate::coder::{Bits, Decoded, SourceCoder, StopReason};
use crate::tokenizer::ByteLevelBpe;
use crate::SourceError;
use std::sync::Arc;

/// Fixed-length token-id coder over a byte-level BPE vocabulary.
#[derive(Debug, Clone)]
pub struct FixedLengthTokenCoder {
    tokenizer: Arc<ByteLevelBpe>,
    end_token: u32,
    bits_per_token: usize,
}

impl FixedLengthTokenCoder {
    pub fn new(tokenizer: Arc<ByteLevelBpe>, end_token: u32) -> Result<Self, SourceError> {
        let v = tokenizer.vocab_size();
        if end_token as usize >= v {
            return Err(SourceError::Tokenizer(format!("end token {end_token} outside vocabulary of {v}")));
        }
        let bits_per_token = (usize::BITS - (v.max(2) - 1).leading_zeros()) as usize;
        Ok(Self { tokenizer, end_token, bits_per_token })
    }

    pub fn bits_per_token(&self) -> usize {
        self.bits_per_token
    }

    fn write(&self, id: u32, out: &mut Bits) {
        for i in (0..self.bits_per_token).rev() {
            out.push(((id >> i) & 1) as u8);
        }
    }
}

impl SourceCoder for FixedLengthTokenCoder {
    fn name(&self) -> String {
        format!("fixed-token-{}bit", self.bits_per_token)
    }

    fn encode(&self, message: &str) -> Result<Bits, SourceError> {
        let ids = self.tokenizer.encode(message)?;
        if ids.contains(&self.end_token) {
            return Err(SourceError::Tokenizer("message tokenised to the end-of-message token".into()));
        }
        let mut out = Vec::with_capacity((ids.len() + 1) * self.bits_per_token);
        for &id in &ids {
            self.write(id, &mut out);
        }
        self.write(self.end_token, &mut out);
        Ok(out)
    }

    fn decode(&self, bits: &[u8]) -> Decoded {
        let mut ids = Vec::new();
        let mut stop = StopReason::OutOfBits;
        for chunk in bits.chunks_exact(self.bits_per_token) {
            let id = chunk.iter().fold(0u32, |acc, &b| (acc << 1) | (b != 0) as u32);
            if id == self.end_token {
                stop = StopReason::EndOfMessage;
                break;
            }
            ids.push(id); // ids >= V (corruption) are skipped by decode
        }
        Decoded { text: self.tokenizer.decode(&ids), stop, symbols: ids.len(), ln_prob: None, exact: None }
    }
}
