//! A batch of sentences as the JSCC models (DeepSC, UT) take it: word ids padded to the longest
//! sentence, with the masks both models need. Its own module so the models and their shared
//! pieces (`jscc`) depend on it, not on each other.

use candle_core::{Device, Result, Tensor};

use crate::jscc::attention::padding_bias;
use crate::jscc::word_vocab::PAD;

/// Sentences as padded id tensors plus the masks the model needs.
pub struct SentenceBatch {
    /// `(B, T)` ids, `<PAD>` after each sentence.
    pub ids: Tensor,
    pub lengths: Vec<usize>,
    /// `(B, T, 1)`: 1 on real positions, 0 on padding.
    pub keep: Tensor,
    /// `(B, 1, 1, T)` key-padding bias.
    pub src_bias: Tensor,
}

impl SentenceBatch {
    pub fn new(sentences: &[&[u32]], device: &Device) -> Result<Self> {
        let t = sentences.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
        let lengths: Vec<usize> = sentences.iter().map(|s| s.len()).collect();
        let mut ids = vec![PAD; sentences.len() * t];
        let mut keep = vec![0f32; sentences.len() * t];
        for (i, s) in sentences.iter().enumerate() {
            ids[i * t..i * t + s.len()].copy_from_slice(s);
            keep[i * t..i * t + s.len()].fill(1.0);
        }
        Ok(Self {
            ids: Tensor::from_vec(ids, (sentences.len(), t), device)?,
            keep: Tensor::from_vec(keep, (sentences.len(), t, 1), device)?,
            src_bias: padding_bias(&lengths, t, device)?,
            lengths,
        })
    }
}
