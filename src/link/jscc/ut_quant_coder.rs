//! UT-quant as a source coder: the quantized Universal Transformer's transmitter turns a sentence into
//! 30 bits per word position (`<START>` and `<END>` included), which then cross the scheme's digital
//! link (framing, code, modulation, decoder) like any SSCC payload; its receiver half maps the received
//! bits back to ±1 and decodes greedily.
//!
//! Unlike every other coder here it is **lossy**: decoding the exact bits sent gives the model's
//! reconstruction, not necessarily the sentence, so [`SourceCoder::is_lossless`] is false and the
//! link decodes every payload. Decoding never fails: any bit string of `30·T (+ r)` bits decodes
//! (the `r < 30` trailing bits are ignored), an empty one to the empty text.

use std::path::Path;

use anyhow::Context;
use candle_core::{Device, Tensor};
use neural::jscc::sentence_batch::SentenceBatch;
use neural::jscc::ut::Ut;
use neural::jscc::word_vocab::{WordVocab, END};
use neural::jscc::JsccModel;
use source::{Bits, Decoded, SourceCoder, SourceError, StopReason};

/// The shipped UT-quant weights.
pub const SHIPPED_UT_QUANT: &str = "neural/models/ut-quant-awgn.safetensors";

pub struct UtQuantCoder {
    model: Ut,
    vocab: WordVocab,
    bits: usize,
}

impl UtQuantCoder {
    pub fn load(weights: &Path) -> anyhow::Result<Self> {
        let (model, vocab, _) = Ut::load(weights, &Device::Cpu)?;
        let bits = model
            .config()
            .quantized_bits
            .with_context(|| format!("{}: UT weights without a quantizer; use source = \"ut\"", weights.display()))?;
        Ok(Self { model, vocab, bits })
    }

    fn decode_ids(&self, bits: &[u8]) -> candle_core::Result<Vec<u32>> {
        let t = bits.len() / self.bits;
        // BPSK's convention: bit 0 is +1.
        let values: Vec<f32> = bits[..t * self.bits].iter().map(|&b| if b & 1 == 0 { 1.0 } else { -1.0 }).collect();
        let received = Tensor::from_vec(values, (1, t, self.bits), self.model.device())?;
        let visible = Tensor::zeros((1, 1, 1, t), candle_core::DType::F32, self.model.device())?;
        Ok(self.model.greedy_decode(&received, &visible, t + 4)?.remove(0))
    }
}

impl SourceCoder for UtQuantCoder {
    fn name(&self) -> String {
        format!("ut-quant-{}b", self.bits)
    }

    fn encode(&self, message: &str) -> Result<Bits, SourceError> {
        let ids = self.vocab.encode(message).ids;
        let model_err = |e: candle_core::Error| SourceError::Model(e.to_string());
        let batch = SentenceBatch::new(&[&ids], self.model.device()).map_err(model_err)?;
        let tx = self.model.transmit(&batch, None).map_err(model_err)?.flatten_all().map_err(model_err)?;
        let values = tx.to_vec1::<f32>().map_err(model_err)?;
        Ok(values.iter().map(|&v| u8::from(v < 0.0)).collect())
    }

    fn decode(&self, bits: &[u8]) -> Decoded {
        if bits.len() < self.bits {
            return Decoded {
                text: String::new(),
                stop: StopReason::OutOfBits,
                symbols: 0,
                ln_prob: None,
                exact: None,
            };
        }
        match self.decode_ids(bits) {
            Ok(ids) => {
                let complete = ids.last() == Some(&END);
                Decoded {
                    text: self.vocab.decode(&ids),
                    stop: if complete { StopReason::EndOfMessage } else { StopReason::SymbolLimit },
                    symbols: ids.len().saturating_sub(usize::from(complete)),
                    ln_prob: None,
                    exact: None,
                }
            }
            Err(_) => {
                Decoded { text: String::new(), stop: StopReason::Invalid, symbols: 0, ln_prob: None, exact: None }
            }
        }
    }

    fn is_lossless(&self) -> bool {
        false
    }
}
