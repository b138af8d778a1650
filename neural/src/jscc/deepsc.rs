//! DeepSC (Xie, Qin, Li & Juang, "Deep Learning Enabled Semantic Communication Systems", IEEE TSP 2021),
//! the joint source-channel coding baseline, in candle.
//!
//! Faithful to the authors' PyTorch code (`13274086/DeepSC`, `models/transceiver.py`):
//! - Semantic encoder: word embedding × sqrt(d) + sinusoidal positions (dropout), `layers` post-norm
//!   Transformer layers `x = LN(x + MHA(x))`, `x = LN(x + FFN(x))` (LayerNorm ε = 1e-6; dropout after
//!   the attention output and after the FFN).
//! - Channel encoder: `Linear(d, 256) → ReLU → Linear(256, 16)`: 16 real values per word position,
//!   `<START>` and `<END>` included. Power normalisation (see below).
//! - Channel decoder: `x1 = Linear(16, d)(y)`, `x5 = Linear(512, d)(ReLU(Linear(d, 512)(ReLU(x1))))`,
//!   output `LN(x1 + x5)`.
//! - Semantic decoder: embedding × sqrt(d) + positions, `layers` post-norm layers (causal self-attention,
//!   attention to the channel decoder's output, FFN), then `Linear(d, vocab)`.
//! - Weights: Xavier-uniform for every 2-D parameter (the reference's `initNetParams`), biases PyTorch's
//!   default, from our seeded generator.
//!
//! With DeepSC's 22,234-word vocabulary, d = 128, 8 heads, FFN 512 and 4 layers this is exactly
//! 10,582,762 parameters (a test checks the count).
//!
//! One deliberate difference: the reference divides the whole *batch* by its RMS when that exceeds 1,
//! so a sentence's energy depends on its batch-mates and may be below 1. Here every sentence is scaled
//! to unit mean power per real value exactly, so each real value costs Es = 1 and the Es/N0 axis (and
//! the unified SNR that charges 16 reals per word) means what it says for every message.

use candle_core::{Device, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::core::layers::{LayerNorm, Linear};
use crate::core::nn::Dropout;
use crate::core::params::ParamBuilder;
use crate::jscc::attention::{causal_bias, FeedForward, MultiHeadAttention};
use crate::jscc::model::{embed_tokens, unit_power_per_sentence};
use crate::jscc::sentence_batch::SentenceBatch;

/// Format tag of DeepSC weight files.
pub const FORMAT: &str = "lmsscc-deepsc-v1";
const LN_EPS: f64 = 1e-6;

/// Architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeepScConfig {
    pub vocab: usize,
    pub layers: usize,
    pub dim: usize,
    pub heads: usize,
    pub ffn: usize,
    /// Real channel values per word position (16 = 8 complex symbols).
    pub channel_dim: usize,
    /// Hidden width of the channel encoder (256).
    pub channel_hidden: usize,
    /// Hidden width of the channel decoder (512).
    pub decoder_hidden: usize,
}

impl DeepScConfig {
    /// The reference configuration for a vocabulary of `vocab` words.
    pub fn reference(vocab: usize) -> Self {
        Self {
            vocab,
            layers: 4,
            dim: 128,
            heads: 8,
            ffn: 512,
            channel_dim: 16,
            channel_hidden: 256,
            decoder_hidden: 512,
        }
    }

    /// A small model for tests.
    pub fn tiny(vocab: usize) -> Self {
        Self { vocab, layers: 1, dim: 16, heads: 2, ffn: 32, channel_dim: 4, channel_hidden: 16, decoder_hidden: 32 }
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if [
            self.vocab,
            self.layers,
            self.dim,
            self.heads,
            self.ffn,
            self.channel_dim,
            self.channel_hidden,
            self.decoder_hidden,
        ]
        .contains(&0)
        {
            return Err(format!("DeepSC config has a zero size: {self:?}"));
        }
        if self.vocab < 5 {
            return Err(format!("DeepSC vocabulary of {} words lacks the five special tokens", self.vocab));
        }
        if self.dim % self.heads != 0 {
            return Err(format!("dim {} is not a multiple of heads {}", self.dim, self.heads));
        }
        if self.channel_dim % 2 != 0 {
            return Err(format!("channel_dim {} must be even (pairs of reals are complex symbols)", self.channel_dim));
        }
        if self.vocab > 1 << 22 || self.dim > 1 << 14 || self.ffn > 1 << 16 || self.layers > 64 {
            return Err(format!("implausibly large DeepSC config {self:?}"));
        }
        Ok(())
    }
}

struct EncoderLayer {
    mha: MultiHeadAttention,
    ffn: FeedForward,
    ln1: LayerNorm,
    ln2: LayerNorm,
}

struct DecoderLayer {
    self_mha: MultiHeadAttention,
    src_mha: MultiHeadAttention,
    ffn: FeedForward,
    ln1: LayerNorm,
    ln2: LayerNorm,
    ln3: LayerNorm,
}

/// The model (parameters as candle `Var`s, for training).
pub struct DeepSc {
    config: DeepScConfig,
    device: Device,
    enc_embed: Var,
    enc_layers: Vec<EncoderLayer>,
    chan_enc: [Linear; 2],
    chan_dec: [Linear; 3],
    chan_dec_ln: LayerNorm,
    dec_embed: Var,
    dec_layers: Vec<DecoderLayer>,
    dense: Linear,
    named: Vec<(String, Var)>,
}

impl DeepSc {
    /// Freshly initialised from `seed` (module order as the reference, so names match its state dict).
    pub fn new(config: DeepScConfig, seed: u64, device: &Device) -> Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        let mut p = ParamBuilder::new(seed, device);
        let (d, f) = (config.dim, config.ffn);
        let enc_embed = p.xavier("encoder.embedding.weight".into(), [config.vocab, d])?;
        let mut enc_layers = Vec::new();
        for i in 0..config.layers {
            let n = format!("encoder.enc_layers.{i}");
            enc_layers.push(EncoderLayer {
                mha: MultiHeadAttention::new(&mut p, &format!("{n}.mha"), d, config.heads)?,
                ffn: FeedForward::new(&mut p, &format!("{n}.ffn"), d, f)?,
                ln1: p.layer_norm(&format!("{n}.layernorm1"), d, LN_EPS)?,
                ln2: p.layer_norm(&format!("{n}.layernorm2"), d, LN_EPS)?,
            });
        }
        let chan_enc = [
            p.linear("channel_encoder.0", d, config.channel_hidden)?,
            p.linear("channel_encoder.2", config.channel_hidden, config.channel_dim)?,
        ];
        let chan_dec = [
            p.linear("channel_decoder.linear1", config.channel_dim, d)?,
            p.linear("channel_decoder.linear2", d, config.decoder_hidden)?,
            p.linear("channel_decoder.linear3", config.decoder_hidden, d)?,
        ];
        let chan_dec_ln = p.layer_norm("channel_decoder.layernorm", d, LN_EPS)?;
        let dec_embed = p.xavier("decoder.embedding.weight".into(), [config.vocab, d])?;
        let mut dec_layers = Vec::new();
        for i in 0..config.layers {
            let n = format!("decoder.dec_layers.{i}");
            dec_layers.push(DecoderLayer {
                self_mha: MultiHeadAttention::new(&mut p, &format!("{n}.self_mha"), d, config.heads)?,
                src_mha: MultiHeadAttention::new(&mut p, &format!("{n}.src_mha"), d, config.heads)?,
                ffn: FeedForward::new(&mut p, &format!("{n}.ffn"), d, f)?,
                ln1: p.layer_norm(&format!("{n}.layernorm1"), d, LN_EPS)?,
                ln2: p.layer_norm(&format!("{n}.layernorm2"), d, LN_EPS)?,
                ln3: p.layer_norm(&format!("{n}.layernorm3"), d, LN_EPS)?,
            });
        }
        let dense = p.linear("dense", d, config.vocab)?;
        Ok(Self {
            config,
            device: device.clone(),
            enc_embed,
            enc_layers,
            chan_enc,
            chan_dec,
            chan_dec_ln,
            dec_embed,
            dec_layers,
            dense,
            named: p.finish(),
        })
    }

    /// Transmitter: the channel values `(B, T, channel_dim)` of `batch`, each sentence scaled to unit
    /// mean power per real value over its own positions (padding positions are 0).
    pub fn transmit(&self, batch: &SentenceBatch, mut dropout: Option<&mut Dropout>) -> Result<Tensor> {
        let mut x = embed_tokens(&self.enc_embed, &batch.ids, &mut dropout)?;
        for l in &self.enc_layers {
            let a = l.mha.forward(&x, &x, &batch.src_bias, dropout.as_deref_mut())?;
            x = l.ln1.forward(&(x + a)?)?;
            let f = l.ffn.forward(&x, dropout.as_deref_mut())?;
            x = l.ln2.forward(&(x + f)?)?;
        }
        let h = self.chan_enc[0].forward(&x)?.relu()?;
        let s = self.chan_enc[1].forward(&h)?.broadcast_mul(&batch.keep)?;
        unit_power_per_sentence(&s, &batch.lengths)
    }

    /// Channel decoder: received values `(B, T, channel_dim)` to the semantic decoder's memory.
    pub fn channel_decode(&self, received: &Tensor) -> Result<Tensor> {
        let x1 = self.chan_dec[0].forward(received)?;
        let x3 = self.chan_dec[1].forward(&x1.relu()?)?;
        let x5 = self.chan_dec[2].forward(&x3.relu()?)?;
        self.chan_dec_ln.forward(&(x1 + x5)?)
    }

    /// Semantic decoder states `(B, T', d)` for decoder inputs `ids` `(B, T')` (causal, `lengths`
    /// real positions per row) attending to `memory` under `memory_bias`.
    pub fn decode_states(
        &self,
        ids: &Tensor,
        lengths: &[usize],
        memory: &Tensor,
        memory_bias: &Tensor,
        mut dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let t = ids.dim(1)?;
        let self_bias = causal_bias(lengths, t, &self.device)?;
        let mut x = embed_tokens(&self.dec_embed, ids, &mut dropout)?;
        for l in &self.dec_layers {
            let a = l.self_mha.forward(&x, &x, &self_bias, dropout.as_deref_mut())?;
            x = l.ln1.forward(&(x + a)?)?;
            let c = l.src_mha.forward(&x, memory, memory_bias, dropout.as_deref_mut())?;
            x = l.ln2.forward(&(x + c)?)?;
            let f = l.ffn.forward(&x, dropout.as_deref_mut())?;
            x = l.ln3.forward(&(x + f)?)?;
        }
        Ok(x)
    }

    /// Word logits of decoder states (any leading dimensions).
    pub fn logits(&self, states: &Tensor) -> Result<Tensor> {
        self.dense.forward(states)
    }
}

impl crate::jscc::model::JsccModel for DeepSc {
    type Config = DeepScConfig;
    const WEIGHTS_FILE: &'static str = "deepsc.safetensors";
    const FORMAT: &'static str = FORMAT;
    const ADAM_BETA2: f64 = 0.98;

    fn new(config: DeepScConfig, seed: u64, device: &Device) -> Result<Self> {
        DeepSc::new(config, seed, device)
    }
    fn config_vocab(config: &DeepScConfig) -> usize {
        config.vocab
    }
    fn validate_config(config: &DeepScConfig) -> std::result::Result<(), String> {
        config.validate()
    }
    fn config(&self) -> &DeepScConfig {
        &self.config
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn named_parameters(&self) -> &[(String, Var)] {
        &self.named
    }
    fn values_per_token(&self) -> usize {
        self.config.channel_dim
    }
    fn transmit_with_penalty(
        &self,
        batch: &SentenceBatch,
        dropout: Option<&mut Dropout>,
    ) -> Result<(Tensor, Option<Tensor>)> {
        Ok((self.transmit(batch, dropout)?, None))
    }
    fn channel_decode(&self, received: &Tensor) -> Result<Tensor> {
        DeepSc::channel_decode(self, received)
    }
    fn decode_states_with_penalty(
        &self,
        ids: &Tensor,
        lengths: &[usize],
        memory: &Tensor,
        memory_bias: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> Result<(Tensor, Option<Tensor>)> {
        Ok((self.decode_states(ids, lengths, memory, memory_bias, dropout)?, None))
    }
    fn logits(&self, states: &Tensor) -> Result<Tensor> {
        DeepSc::logits(self, states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jscc::model::{test_support, JsccModel};

    #[test]
    fn reference_configuration_has_the_published_parameter_count() -> Result<()> {
        // DeepSC with the Europarl vocabulary (22,234 words): 10,582,762 parameters.
        let m = DeepSc::new(DeepScConfig::reference(22_234), 0, &Device::Cpu)?;
        assert_eq!(m.parameter_count(), 10_582_762);
        Ok(())
    }

    #[test]
    fn every_sentence_is_sent_at_unit_power_and_padding_is_silent() -> Result<()> {
        test_support::assert_unit_power_and_silent_padding(&DeepSc::new(DeepScConfig::tiny(12), 3, &Device::Cpu)?)
    }

    #[test]
    fn every_parameter_gets_a_gradient() -> Result<()> {
        test_support::assert_every_parameter_gets_a_gradient(&DeepSc::new(DeepScConfig::tiny(12), 1, &Device::Cpu)?)
    }

    #[test]
    fn save_load_round_trip_and_greedy_decoding_terminates() -> Result<()> {
        test_support::assert_save_load_round_trip(&DeepSc::new(DeepScConfig::tiny(12), 5, &Device::Cpu)?)
    }
}
