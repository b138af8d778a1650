//! Pieces shared by the JSCC models ([`crate::jscc::deepsc`], [`crate::jscc::ut`]): the token embedding, the
//! greedy decoding loop and the weight-file layout (format tag, config, vocabulary, training metadata).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Result, Tensor, Var};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::core::nn::Dropout;
use crate::core::weights::{read_tagged, set_loaded, training_metadata, write_tensors_as, StoredDtype, WeightsError};
use crate::jscc::attention::sinusoidal_positions;
use crate::jscc::word_vocab::{WordVocab, END, PAD, START};

/// Embedding lookup × sqrt(d) plus sinusoidal positions, then dropout (training only): the input
/// layer of both reference implementations.
pub(crate) fn embed_tokens(table: &Var, ids: &Tensor, dropout: &mut Option<&mut Dropout>) -> Result<Tensor> {
    let (b, t) = ids.dims2()?;
    let d = table.dim(1)?;
    let x = table.as_tensor().index_select(&ids.flatten_all()?, 0)?.reshape((b, t, d))?;
    let x = (x * (d as f64).sqrt())?.broadcast_add(&sinusoidal_positions(t, d, table.device())?)?;
    match dropout {
        Some(dr) => dr.apply(&x),
        None => Ok(x),
    }
}

/// Scales channel values `s` `(B, T, C)` (already 0 on padding) so that each sentence has unit mean
/// power per real value over its `lengths[i]` positions.
pub(crate) fn unit_power_per_sentence(s: &Tensor, lengths: &[usize]) -> Result<Tensor> {
    let c = s.dim(2)?;
    // Per-sentence power: Σ s² / (length · C).
    let reals: Vec<f32> = lengths.iter().map(|&n| (n * c).max(1) as f32).collect();
    let reals = Tensor::from_vec(reals, (lengths.len(), 1, 1), s.device())?;
    let power = s.sqr()?.sum_keepdim(2)?.sum_keepdim(1)?.broadcast_div(&reals)?;
    s.broadcast_div(&(power + 1e-12)?.sqrt()?)
}

/// The greedy decoding loop of the reference implementations for `b` rows: from `<START>`, `next`
/// maps the ids so far `(b, t)` to each row's most likely next word; rows stop at `<END>` (later
/// steps append `<PAD>`), all stop after `max_len` ids. Returns each row's ids after `<START>`, up to
/// and including `<END>`.
pub(crate) fn greedy_rows(
    b: usize,
    device: &Device,
    max_len: usize,
    mut next: impl FnMut(&Tensor) -> Result<Vec<u32>>,
) -> Result<Vec<Vec<u32>>> {
    let mut rows: Vec<Vec<u32>> = vec![vec![START]; b];
    let mut done = vec![false; b];
    for _ in 1..max_len.max(2) {
        let t = rows[0].len();
        let flat: Vec<u32> = rows.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(flat, (b, t), device)?;
        let words = next(&ids)?;
        for (i, &w) in words.iter().enumerate() {
            rows[i].push(if done[i] { PAD } else { w });
            done[i] |= w == END;
        }
        if done.iter().all(|&d| d) {
            break;
        }
    }
    Ok(rows.into_iter().map(|r| r.into_iter().skip(1).take_while(|&w| w != PAD).collect()).collect())
}

/// Writes `named` (f32 or f16) with the metadata every JSCC weight file carries: `format`, `config`
/// (JSON), the vocabulary's tokens and fingerprint, and `training`.
pub(crate) fn save_weights<C: Serialize>(
    path: &Path,
    format: &str,
    config: &C,
    named: &[(String, Var)],
    vocab: &WordVocab,
    training: &serde_json::Value,
    dtype: StoredDtype,
) -> std::result::Result<(), WeightsError> {
    let tensors: Vec<(String, Tensor)> = named.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect();
    let mut md = HashMap::new();
    md.insert("format".to_string(), format.to_string());
    md.insert("config".to_string(), serde_json::to_string(config).expect("config serialises"));
    md.insert("vocab".to_string(), serde_json::to_string(vocab.tokens()).expect("tokens serialise"));
    md.insert("vocab_sha256".to_string(), vocab.fingerprint());
    md.insert("training".to_string(), training.to_string());
    write_tensors_as(path, &tensors, md, dtype)
}

/// What [`load_weights`] read: tensors, config, vocabulary and training metadata.
pub(crate) struct LoadedWeights<C> {
    pub tensors: Vec<(String, Tensor)>,
    pub config: C,
    pub vocab: WordVocab,
    pub training: serde_json::Value,
}

/// Reads a file written by [`save_weights`] with tag `format`, checks the config (`validate`) and that
/// the vocabulary has `vocab_size(config)` words. Every problem is an [`WeightsError::Format`].
pub(crate) fn load_weights<C: DeserializeOwned>(
    path: &Path,
    format: &str,
    validate: impl Fn(&C) -> std::result::Result<(), String>,
    vocab_size: impl Fn(&C) -> usize,
) -> std::result::Result<LoadedWeights<C>, WeightsError> {
    let bad = |reason: String| WeightsError::format(path, reason);
    let (tensors, config, md): (_, C, _) = read_tagged(path, format)?;
    validate(&config).map_err(bad)?;
    let tokens: Vec<String> = serde_json::from_str(md.get("vocab").ok_or_else(|| bad("no `vocab` metadata".into()))?)
        .map_err(|e| bad(format!("metadata `vocab`: {e}")))?;
    let vocab = WordVocab::from_tokens(tokens).map_err(|e| bad(format!("metadata `vocab`: {e}")))?;
    if vocab.len() != vocab_size(&config) {
        return Err(bad(format!("vocabulary of {} words, the model has {} outputs", vocab.len(), vocab_size(&config))));
    }
    Ok(LoadedWeights { tensors, config, vocab, training: training_metadata(&md) })
}

/// A JSCC model as the training loop ([`crate::jscc::train`]) and the link see it: DeepSC or UT.
///
/// The methods mirror [`crate::jscc::deepsc::DeepSc`]'s; the `*_with_penalty` forms also return a scalar
/// already weighted to be added to the per-word cross-entropy (UT's ACT ponder costs), `None` where
/// the model has none.
pub trait JsccModel: Sized {
    type Config: Copy + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned;
    /// Name of the checkpoint's weight file in a training folder.
    const WEIGHTS_FILE: &'static str;
    /// Adam's β₂ in the model's reference recipe.
    const ADAM_BETA2: f64;
    /// Format tag of the model's weight files.
    const FORMAT: &'static str;

    fn new(config: Self::Config, seed: u64, device: &Device) -> Result<Self>;
    /// Words the configuration's embeddings and output layer have.
    fn config_vocab(config: &Self::Config) -> usize;
    /// Refuses configurations the model cannot be built from (a weight file's metadata is input).
    fn validate_config(config: &Self::Config) -> std::result::Result<(), String>;
    fn config(&self) -> &Self::Config;
    fn device(&self) -> &Device;
    fn named_parameters(&self) -> &[(String, Var)];
    fn parameter_count(&self) -> usize {
        self.named_parameters().iter().map(|(_, v)| v.elem_count()).sum()
    }
    /// Channel values per word position (reals, or bits for a quantized model).
    fn values_per_token(&self) -> usize;
    /// Channel values `(B, T, values_per_token)` of `batch`, and the model's penalty.
    fn transmit_with_penalty(
        &self,
        batch: &crate::jscc::sentence_batch::SentenceBatch,
        dropout: Option<&mut Dropout>,
    ) -> Result<(Tensor, Option<Tensor>)>;
    fn channel_decode(&self, received: &Tensor) -> Result<Tensor>;
    /// Decoder states for teacher-forced `ids` (`lengths` real positions per row), and the penalty.
    fn decode_states_with_penalty(
        &self,
        ids: &Tensor,
        lengths: &[usize],
        memory: &Tensor,
        memory_bias: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> Result<(Tensor, Option<Tensor>)>;
    fn logits(&self, states: &Tensor) -> Result<Tensor>;
    /// Greedy decoding of received values `(B, T, values_per_token)` (the references'
    /// `greedy_decode`): from `<START>`, append the most likely word until every row has produced
    /// `<END>` or `max_len` ids. Returns each row's ids after `<START>`, up to and including `<END>`.
    fn greedy_decode(&self, received: &Tensor, memory_bias: &Tensor, max_len: usize) -> Result<Vec<Vec<u32>>> {
        let b = received.dim(0)?;
        let memory = self.channel_decode(received)?;
        greedy_rows(b, self.device(), max_len, |ids| {
            let t = ids.dim(1)?;
            let (states, _) = self.decode_states_with_penalty(ids, &vec![t; b], &memory, memory_bias, None)?;
            let last = states.narrow(1, t - 1, 1)?.squeeze(1)?;
            self.logits(&last)?.argmax(1)?.to_dtype(candle_core::DType::U32)?.to_vec1::<u32>()
        })
    }
    /// Writes the weights (f32 or f16) with `format`, `config`, the vocabulary and `training` metadata.
    fn save(
        &self,
        path: &Path,
        vocab: &WordVocab,
        training: &serde_json::Value,
        dtype: StoredDtype,
    ) -> std::result::Result<(), WeightsError> {
        save_weights(path, Self::FORMAT, self.config(), self.named_parameters(), vocab, training, dtype)
    }
    /// Whether weights of a model `from` may start a training run of `to` although the two differ:
    /// `to` then starts from `from`'s parameters wherever the names match and keeps its own seeded
    /// initialisation for the rest (UT-quant from a trained UT, as the reference trains its
    /// quantizer on top of a trained transceiver). Identical configurations are not asked.
    fn extends(to: &Self::Config, from: &Self::Config) -> bool {
        let _ = (to, from);
        false
    }
    /// Loads a weight file written by [`JsccModel::save`]: the model, its vocabulary and `training`.
    fn load(path: &Path, device: &Device) -> std::result::Result<(Self, WordVocab, serde_json::Value), WeightsError> {
        let w = load_weights(path, Self::FORMAT, Self::validate_config, Self::config_vocab)?;
        let model = Self::new(w.config, 0, device).map_err(|e| WeightsError::candle(path, e))?;
        set_loaded(path, model.named_parameters(), &w.tensors, device)?;
        Ok((model, w.vocab, w.training))
    }
}

/// Checks every [`JsccModel`] must pass, shared by the DeepSC and UT unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::jscc::sentence_batch::SentenceBatch;

    /// `<PAD> <START> <END> <UNK> "" w5 … w{n−1}`: an `n`-word vocabulary for tiny models.
    pub fn tiny_vocab(n: usize) -> WordVocab {
        let mut t: Vec<String> = ["<PAD>", "<START>", "<END>", "<UNK>", ""].iter().map(|s| s.to_string()).collect();
        t.extend((5..n).map(|i| format!("w{i}")));
        WordVocab::from_tokens(t).expect("tiny vocabulary")
    }

    /// Every sentence is sent at unit power per channel value; padded positions send nothing.
    pub fn assert_unit_power_and_silent_padding<M: JsccModel>(m: &M) -> Result<()> {
        let a = [START, 5, 6, 7, END];
        let b = [START, 8, END];
        let batch = SentenceBatch::new(&[&a, &b], m.device())?;
        let s = m.transmit_with_penalty(&batch, None)?.0.to_vec3::<f32>()?;
        let per_token = m.values_per_token();
        for (row, &n) in s.iter().zip(&batch.lengths) {
            let p: f32 = row[..n].iter().flatten().map(|v| v * v).sum::<f32>() / (n * per_token) as f32;
            assert!((p - 1.0).abs() < 1e-4, "power {p}");
            assert!(row[n..].iter().flatten().all(|&v| v == 0.0));
        }
        Ok(())
    }

    /// A teacher-forced pass at noise 0.1 (cross-entropy plus the model's penalties) gives every
    /// parameter a non-zero gradient. `m` must have a 12-word vocabulary.
    pub fn assert_every_parameter_gets_a_gradient<M: JsccModel>(m: &M) -> Result<()> {
        let a = [START, 5, 6, 7, END];
        let b = [START, 8, 9, END];
        let batch = SentenceBatch::new(&[&a, &b], m.device())?;
        let (tx, tx_penalty) = m.transmit_with_penalty(&batch, None)?;
        let memory = m.channel_decode(&(tx + 0.1)?)?;
        let inp = batch.ids.narrow(1, 0, 4)?;
        let lens: Vec<usize> = batch.lengths.iter().map(|n| n - 1).collect();
        let (states, rx_penalty) = m.decode_states_with_penalty(&inp, &lens, &memory, &batch.src_bias, None)?;
        let logits = m.logits(&states)?.reshape((8, 12))?;
        let targets = [5u32, 6, 7, END, 8, 9, END, PAD];
        let mut loss = crate::core::cross_entropy::cross_entropy_rows(&logits, &targets, Some(PAD))?.sum_all()?;
        for penalty in [tx_penalty, rx_penalty].into_iter().flatten() {
            loss = (loss + penalty)?;
        }
        let grads = loss.backward()?;
        for (name, v) in m.named_parameters() {
            let g = grads.get(v.as_tensor()).unwrap_or_else(|| panic!("no gradient for {name}"));
            let norm = g.sqr()?.sum_all()?.to_scalar::<f32>()?;
            assert!(norm > 0.0, "zero gradient for {name} (config {:?})", m.config());
        }
        Ok(())
    }

    /// Save then load (f32): same configuration, vocabulary, training metadata, channel values
    /// and greedy decoding (at most `max_len − 1` words); the file cut in half is an error.
    /// `m` must have a 12-word vocabulary.
    pub fn assert_save_load_round_trip<M: JsccModel>(m: &M) -> Result<()> {
        let dev = m.device();
        let vocab = tiny_vocab(12);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.safetensors");
        m.save(&path, &vocab, &serde_json::json!({"steps": 3}), StoredDtype::F32).expect("save");
        let (back, v2, training) = M::load(&path, dev).expect("load");
        assert_eq!(back.config(), m.config());
        assert_eq!(v2.fingerprint(), vocab.fingerprint());
        assert_eq!(training["steps"], 3);
        let a = [START, 5, 6, END];
        let batch = SentenceBatch::new(&[&a], dev)?;
        let rx = m.transmit_with_penalty(&batch, None)?.0;
        assert_eq!(rx.to_vec3::<f32>()?, back.transmit_with_penalty(&batch, None)?.0.to_vec3::<f32>()?);
        let x = m.greedy_decode(&rx, &batch.src_bias, 7)?;
        assert_eq!(x, back.greedy_decode(&rx, &batch.src_bias, 7)?);
        assert!(x[0].len() <= 6, "at most max_len − 1 words: {:?}", x[0]);
        let bytes = std::fs::read(&path).expect("read back");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
        assert!(M::load(&path, dev).is_err(), "a truncated file is an error, not a panic");
        Ok(())
    }
}
