//! Training of the JSCC models (DeepSC, [`crate::jscc::deepsc`]; UT and UT-quant, [`crate::jscc::ut`]) on a file of
//! sentences, as DeepSC's reference `main.py`; one loop for any [`JsccModel`].
//!
//! - Data: one sentence per line, mapped to ids by the vocabulary ([`WordVocab::encode`]; unseen words
//!   become `<UNK>` and are counted in the summary). Each epoch the sentences are shuffled by a ChaCha
//!   stream seeded with `(seed, epoch)`, cut into groups of 64 batches' worth, sorted by length inside a
//!   group (less padding) and cut into batches of `batch_size`; the batch order is shuffled too. The
//!   data order is a pure function of (seed, step).
//! - Step: transmit, add the channel's effective noise at a noise level drawn uniformly between those
//!   of `snr_high_db` and `snr_low_db` (the reference draws σ, not the SNR, uniformly), channel-decode,
//!   decode with teacher forcing, cross-entropy of the next word over real positions (per word), plus
//!   the model's penalty (UT: the weighted ACT ponder costs; DeepSC: none). Noise and dropout
//!   come from a stream seeded with `(seed, step)`, so a resumed run continues bit for bit.
//! - Word dropout (`word_dropout`, off in the references): each teacher-forced decoder input word
//!   after `<START>` becomes `<UNK>` with this probability, training only (Bowman et al., "Generating
//!   sentences from a continuous space", 2016). A decoder that sees the true previous words can
//!   reach a language model's loss without reading the channel; with words missing, the channel is
//!   the only way to them. Tried on the UT's language-model plateau (neural/models/README.md): not
//!   faster there over 250 steps; what got the UT off it was rescaling ([`rescale_parameters_as`]).
//! - Optimizer: Adam (ours, state saved) with the model's reference β₂ (DeepSC 0.98, UT 0.999) and L2
//!   weight decay (DeepSC 5e-4, UT none); learning rate `lr` after a linear warm-up of `warmup` steps
//!   (DeepSC: 1e-4, none; UT: 3e-4, none; UT's step decay and ±0.1 gradient clamping are not
//!   reproduced).
//! - UT-quant trains end to end: the channel's noise is added to its ±1 bits (straight-through
//!   gradient), a stand-in for the digital link it meets in `sim run`. The reference instead trains only
//!   the quantizer on a frozen model, with hard decisions after AWGN and an MSE loss.
//! - Checkpoints every `checkpoint_every` steps: `deepsc.safetensors` / `ut.safetensors` (f32 weights
//!   + vocabulary + training metadata, the file `sim` loads), `adam.safetensors`, `state.json` (step,
//!   loss log, validations).
//! - Validation: on held-out sentences, teacher-forced cross-entropy and word accuracy at fixed SNRs.
//! - The run folder and the step loop are the shared ones ([`crate::core::trainer`]); this file is the
//!   JSCC task (`JsccTask`, any [`JsccModel`]) and its setup.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::adam::Adam;
use crate::core::channel::Channel;
use crate::core::cross_entropy::cross_entropy_rows;
use crate::core::device::DeviceChoice;
use crate::core::nn::Dropout;
use crate::core::trainer::run_dir::read_state;
use crate::core::trainer::{train_loop, Due, LossWindow, RunDir, TrainTask, WallClock, STATE_FILE};
use crate::core::weights::StoredDtype;
use crate::jscc::channel::{effective_noise, sigma_for_snr_db};
use crate::jscc::deepsc::{DeepSc, DeepScConfig};
use crate::jscc::model::JsccModel;
use crate::jscc::sentence_batch::SentenceBatch;
use crate::jscc::ut::{Ut, UtConfig};
use crate::jscc::word_vocab::{WordVocab, PAD, UNK};

/// Everything that defines a training run of a model with configuration `C`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsccTrainConfig<C> {
    pub data: PathBuf,
    pub vocab: PathBuf,
    /// Held-out sentences for validation (the first `validation_sentences` lines).
    pub validation: PathBuf,
    pub validation_sentences: usize,
    pub channel: Channel,
    pub steps: u64,
    pub batch_size: usize,
    pub lr: f64,
    pub warmup: u64,
    pub weight_decay: f64,
    pub dropout: f64,
    /// Probability that a decoder input word (not `<START>`) is replaced by `<UNK>` in training.
    #[serde(default)]
    pub word_dropout: f64,
    pub snr_low_db: f64,
    pub snr_high_db: f64,
    pub seed: u64,
    pub checkpoint_every: u64,
    pub eval_every: u64,
    pub report_every: u64,
    /// SNRs of the validation.
    pub eval_snrs_db: Vec<f64>,
    /// Model size (`None`: the reference for the vocabulary).
    pub model: Option<C>,
    pub device: DeviceChoice,
    pub out_dir: PathBuf,
    pub resume: bool,
    /// Start from these weights (same model and vocabulary, e.g. a shipped f16 export) with a fresh
    /// optimizer and this run's schedule, instead of a random initialisation: how a run continues
    /// when its checkpoint folder (with the optimizer state) is gone.
    #[serde(default)]
    pub init: Option<PathBuf>,
}

/// DeepSC's training run.
pub type DeepScTrainConfig = JsccTrainConfig<DeepScConfig>;
/// UT's (or UT-quant's) training run.
pub type UtTrainConfig = JsccTrainConfig<UtConfig>;

impl JsccTrainConfig<DeepScConfig> {
    /// The reference recipe (batch 128, SNR 5..10 dB, Adam β₂ 0.98, weight decay 5e-4, dropout 0.1).
    pub fn reference(
        data: impl Into<PathBuf>,
        vocab: impl Into<PathBuf>,
        validation: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            data: data.into(),
            vocab: vocab.into(),
            validation: validation.into(),
            validation_sentences: 512,
            channel: Channel::Awgn,
            steps: 10_000,
            batch_size: 128,
            lr: 1e-4,
            warmup: 0,
            weight_decay: 5e-4,
            dropout: 0.1,
            word_dropout: 0.0,
            snr_low_db: 5.0,
            snr_high_db: 10.0,
            seed: 11,
            checkpoint_every: 50,
            eval_every: 250,
            report_every: 10,
            eval_snrs_db: vec![0.0, 9.0, 18.0],
            model: None,
            device: DeviceChoice::Cpu,
            out_dir: out_dir.into(),
            resume: false,
            init: None,
        }
    }
}

impl JsccTrainConfig<UtConfig> {
    /// UT's reference recipe (`modeltrainUT.py`): batch 64, Adam lr 3e-4 without weight decay,
    /// dropout 0.1, training SNR −2..4 dB; the rest as DeepSC's.
    pub fn reference(
        data: impl Into<PathBuf>,
        vocab: impl Into<PathBuf>,
        validation: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            batch_size: 64,
            lr: 3e-4,
            weight_decay: 0.0,
            snr_low_db: -2.0,
            snr_high_db: 4.0,
            model: None,
            ..DeepScTrainConfig::reference(data, vocab, validation, out_dir).with_model(None)
        }
    }
}

impl<C: Serialize> JsccTrainConfig<C> {
    /// The same run for a model with another configuration type.
    pub fn with_model<D>(self, model: Option<D>) -> JsccTrainConfig<D> {
        JsccTrainConfig {
            data: self.data,
            vocab: self.vocab,
            validation: self.validation,
            validation_sentences: self.validation_sentences,
            channel: self.channel,
            steps: self.steps,
            batch_size: self.batch_size,
            lr: self.lr,
            warmup: self.warmup,
            weight_decay: self.weight_decay,
            dropout: self.dropout,
            word_dropout: self.word_dropout,
            snr_low_db: self.snr_low_db,
            snr_high_db: self.snr_high_db,
            seed: self.seed,
            checkpoint_every: self.checkpoint_every,
            eval_every: self.eval_every,
            report_every: self.report_every,
            eval_snrs_db: self.eval_snrs_db,
            model,
            device: self.device,
            out_dir: self.out_dir,
            resume: self.resume,
            init: self.init,
        }
    }

    pub fn lr_at(&self, step: u64) -> f64 {
        if step < self.warmup {
            self.lr * (step + 1) as f64 / self.warmup as f64
        } else {
            self.lr
        }
    }

    /// Fields that define the trajectory (not `steps`: a run can be extended on resume).
    fn trajectory_key(&self) -> String {
        let mut key = serde_json::json!({
            "channel": self.channel, "batch_size": self.batch_size, "lr": self.lr, "warmup": self.warmup,
            "weight_decay": self.weight_decay, "dropout": self.dropout, "snr_low_db": self.snr_low_db,
            "snr_high_db": self.snr_high_db, "seed": self.seed, "model": self.model,
            "init": self.init,
        });
        // Only when on, so runs from before the option resume.
        if self.word_dropout > 0.0 {
            key["word_dropout"] = serde_json::json!(self.word_dropout);
        }
        key.to_string()
    }
}

#[derive(Debug, Clone)]
pub enum DeepScProgress {
    /// Mean training cross-entropy (nats per word) since the last report.
    Step {
        step: u64,
        total: u64,
        loss: f64,
        lr: f64,
        words_per_s: f64,
    },
    Eval {
        step: u64,
        points: Vec<EvalAtSnr>,
    },
    Checkpoint {
        step: u64,
        path: PathBuf,
    },
}

/// One validation measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalAtSnr {
    pub snr_db: f64,
    /// Teacher-forced cross-entropy, nats per word.
    pub loss: f64,
    /// Fraction of words (END included) predicted right with teacher forcing.
    pub word_accuracy: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub step: u64,
    pub loss: f64,
    pub wall_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    pub step: u64,
    pub wall_s: f64,
    pub points: Vec<EvalAtSnr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunState<C> {
    config: JsccTrainConfig<C>,
    trajectory: String,
    data_sha256: String,
    vocab_sha256: String,
    step: u64,
    wall_s: f64,
    train_log: Vec<LossPoint>,
    eval_log: Vec<EvalPoint>,
    /// With `init`: the initial weights' file, sha256 and own training record, so the weights this
    /// run writes say everything they went through.
    #[serde(default)]
    init: Option<serde_json::Value>,
}

/// What a run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeepScSummary {
    pub parameters: usize,
    pub steps: u64,
    pub wall_s: f64,
    pub sentences: usize,
    /// Words of the training data missing from the vocabulary (sent as `<UNK>`).
    pub unknown_words: usize,
    pub train_log: Vec<LossPoint>,
    pub eval_log: Vec<EvalPoint>,
    pub weights_path: PathBuf,
}

pub const DEEPSC_WEIGHTS_FILE: &str = <DeepSc as JsccModel>::WEIGHTS_FILE;
pub const UT_WEIGHTS_FILE: &str = <Ut as JsccModel>::WEIGHTS_FILE;

/// Sentences of a file as ids, with the count of unseen words.
pub fn read_sentences(path: &Path, vocab: &WordVocab, limit: Option<usize>) -> Result<(Vec<Vec<u32>>, usize, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let sha: String = format!("{:x}", Sha256::digest(&bytes));
    let text = String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8", path.display()))?;
    let mut out = Vec::new();
    let mut unknown = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        let e = vocab.encode(line);
        unknown += e.unknown_words;
        out.push(e.ids);
    }
    if out.is_empty() {
        bail!("{}: no sentences", path.display());
    }
    Ok((out, unknown, sha))
}

/// Batches (sentence indices) of one epoch.
fn epoch_batches(sentences: &[Vec<u32>], batch: usize, seed: u64, epoch: u64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(epoch));
    order.shuffle(&mut rng);
    let mut batches = Vec::new();
    for group in order.chunks(64 * batch) {
        let mut g = group.to_vec();
        g.sort_by_key(|&i| (sentences[i].len(), i));
        batches.extend(g.chunks(batch).map(<[usize]>::to_vec));
    }
    batches.shuffle(&mut rng);
    batches
}

/// The random stream of one step (noise level, noise, dropout).
fn step_rng(seed: u64, step: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.rotate_left(29) ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66)
}

/// The next-word targets of teacher forcing, row-major `(B, t − 1)`: row i holds sentence i's ids
/// after `<START>`, then `<PAD>` (ignored by the loss).
pub fn next_word_targets(sentences: &[&[u32]], t: usize) -> Vec<u32> {
    let mut targets = vec![PAD; sentences.len() * (t - 1)];
    for (i, s) in sentences.iter().enumerate() {
        targets[i * (t - 1)..i * (t - 1) + s.len() - 1].copy_from_slice(&s[1..]);
    }
    targets
}

/// `ids` `(B, T)` with each word after `<START>` (column 0) replaced by `<UNK>` with probability `rate`
/// (`<PAD>` stays).
fn drop_words(ids: &Tensor, rate: f64, rng: &mut ChaCha8Rng) -> Result<Tensor> {
    let (b, t) = ids.dims2()?;
    let mut v = ids.flatten_all()?.to_vec1::<u32>()?;
    for (i, id) in v.iter_mut().enumerate() {
        if i % t != 0 && *id != PAD && rng.random::<f64>() < rate {
            *id = UNK;
        }
    }
    Ok(Tensor::from_vec(v, (b, t), ids.device())?)
}

/// Summed cross-entropy (nats), the model's penalty, words predicted right and words, of `sentences`
/// through `model` at noise `sigma`, with teacher forcing. Training passes `dropout` and may pass
/// `word_dropout` (rate and its stream); the loss tensors keep their graph.
fn forward_loss<M: JsccModel>(
    model: &M,
    sentences: &[&[u32]],
    channel: Channel,
    sigma: f64,
    rng: &mut ChaCha8Rng,
    mut dropout: Option<&mut Dropout>,
    word_dropout: Option<(f64, &mut ChaCha8Rng)>,
    count_correct: bool,
) -> Result<(Tensor, Option<Tensor>, usize, usize)> {
    let dev = model.device().clone();
    let batch = SentenceBatch::new(sentences, &dev)?;
    let (b, t) = batch.ids.dims2()?;
    let (tx, tx_penalty) = model.transmit_with_penalty(&batch, dropout.as_deref_mut())?;
    let reals = model.values_per_token();
    let noise = Tensor::from_vec(effective_noise(channel, b, t, reals, sigma, rng), (b, t, reals), &dev)?;
    let memory = model.channel_decode(&(tx + noise)?)?;
    let mut inputs = batch.ids.narrow(1, 0, t - 1)?;
    if let Some((rate, rng)) = word_dropout {
        inputs = drop_words(&inputs, rate, rng)?;
    }
    let lengths: Vec<usize> = batch.lengths.iter().map(|n| n - 1).collect();
    let (states, rx_penalty) =
        model.decode_states_with_penalty(&inputs, &lengths, &memory, &batch.src_bias, dropout)?;
    let penalty = match (tx_penalty, rx_penalty) {
        (Some(a), Some(b)) => Some((a + b)?),
        (a, b) => a.or(b),
    };
    let logits = model.logits(&states)?.reshape((b * (t - 1), ()))?;
    let targets = next_word_targets(sentences, t);
    let words = targets.iter().filter(|&&w| w != PAD).count();
    let correct = if count_correct {
        let best = logits.argmax(1)?.to_vec1::<u32>()?;
        best.iter().zip(&targets).filter(|(p, t)| **t != PAD && p == t).count()
    } else {
        0
    };
    let nll = cross_entropy_rows(&logits, &targets, Some(PAD))?.sum_all()?;
    Ok((nll, penalty, correct, words))
}

/// Validation at each of `snrs_db` (noise from a fixed stream, no dropout).
pub fn evaluate<M: JsccModel>(
    model: &M,
    sentences: &[Vec<u32>],
    channel: Channel,
    snrs_db: &[f64],
    batch: usize,
) -> Result<Vec<EvalAtSnr>> {
    let mut out = Vec::new();
    for &snr in snrs_db {
        let mut rng = ChaCha8Rng::seed_from_u64(0xE7A1 ^ snr.to_bits());
        let (mut nats, mut correct, mut words) = (0f64, 0usize, 0usize);
        for chunk in sentences.chunks(batch.max(1)) {
            let refs: Vec<&[u32]> = chunk.iter().map(Vec::as_slice).collect();
            let (nll, _, c, w) =
                forward_loss(model, &refs, channel, sigma_for_snr_db(snr), &mut rng, None, None, true)?;
            nats += nll.to_scalar::<f32>()? as f64;
            correct += c;
            words += w;
        }
        out.push(EvalAtSnr {
            snr_db: snr,
            loss: nats / words.max(1) as f64,
            word_accuracy: correct as f64 / words.max(1) as f64,
        });
    }
    Ok(out)
}

/// Trains (or resumes) DeepSC per `config`.
pub fn train_deepsc(config: &DeepScTrainConfig, progress: &mut dyn FnMut(DeepScProgress)) -> Result<DeepScSummary> {
    train_jscc::<DeepSc>(config, DeepScConfig::reference, progress)
}

/// Trains (or resumes) UT, or UT-quant when `quantized`, per `config` (`config.model`, when given,
/// must be of the same kind).
pub fn train_ut(
    config: &UtTrainConfig,
    quantized: bool,
    progress: &mut dyn FnMut(DeepScProgress),
) -> Result<DeepScSummary> {
    if let Some(m) = &config.model {
        if m.quantized_bits.is_some() != quantized {
            bail!("model config {m:?} is not a {} model", if quantized { "UT-quant" } else { "UT" });
        }
    }
    let reference = if quantized { UtConfig::reference_quantized } else { UtConfig::reference };
    train_jscc::<Ut>(config, reference, progress)
}

/// Trains (or resumes) a model `M` per `config`; `reference(vocab)` is the model when `config.model`
/// is `None`.
pub fn train_jscc<M: JsccModel>(
    config: &JsccTrainConfig<M::Config>,
    reference: impl Fn(usize) -> M::Config,
    progress: &mut dyn FnMut(DeepScProgress),
) -> Result<DeepScSummary> {
    if config.steps == 0
        || config.batch_size == 0
        || config.checkpoint_every == 0
        || config.eval_every == 0
        || config.report_every == 0
    {
        bail!("steps, batch size and the checkpoint/eval/report intervals must be positive");
    }
    if !(config.snr_low_db <= config.snr_high_db) {
        bail!("training SNR range {}..{} dB is empty", config.snr_low_db, config.snr_high_db);
    }
    if !(0.0..1.0).contains(&config.word_dropout) {
        bail!("word dropout {} is not in [0, 1)", config.word_dropout);
    }
    let device: Device = config.device.device()?;
    let vocab = WordVocab::from_json_file(&config.vocab)?;
    let (train, unknown_words, data_sha) = read_sentences(&config.data, &vocab, None)?;
    let (val, _, _) = read_sentences(&config.validation, &vocab, Some(config.validation_sentences))?;
    let run = RunDir::create(&config.out_dir, M::WEIGHTS_FILE)?;
    let weights_path = run.weights_path().to_path_buf();
    let model_config = config.model.unwrap_or_else(|| reference(vocab.len()));
    if M::config_vocab(&model_config) != vocab.len() {
        bail!(
            "model config has {} words, {} has {}",
            M::config_vocab(&model_config),
            config.vocab.display(),
            vocab.len()
        );
    }

    let (model, mut adam, state) = if let Some(mut state) = run.resume_state::<RunState<M::Config>>(config.resume)? {
        run.check_trajectory(&state.trajectory, &config.trajectory_key())?;
        run.check_data(&state.data_sha256, &config.data, &data_sha)?;
        let (model, saved_vocab, _) = M::load(&weights_path, &device)?;
        if *model.config() != model_config {
            bail!(
                "{}: checkpoint holds a model {:?}, requested {model_config:?}",
                weights_path.display(),
                model.config()
            );
        }
        if saved_vocab.fingerprint() != vocab.fingerprint() || state.vocab_sha256 != vocab.fingerprint() {
            bail!(
                "{}: checkpoint was trained with a different vocabulary ({} words, sha256 {}) than {} ({} words, sha256 {})",
                weights_path.display(),
                saved_vocab.len(),
                &saved_vocab.fingerprint()[..12],
                config.vocab.display(),
                vocab.len(),
                &vocab.fingerprint()[..12]
            );
        }
        let adam = run.load_adam(model.named_parameters(), state.step)?;
        state.config = config.clone();
        (model, adam, state)
    } else {
        let (model, init) = match &config.init {
            Some(path) => {
                let (loaded, init_vocab, training) =
                    M::load(path, &device).with_context(|| format!("loading initial weights {}", path.display()))?;
                let mut fresh_parameters = Vec::new();
                let model = if *loaded.config() == model_config {
                    loaded
                } else if M::extends(&model_config, loaded.config()) {
                    // Start from every parameter the file has; the rest keep this run's seeded init.
                    let model = M::new(model_config, config.seed, &device)?;
                    let from: std::collections::HashMap<&str, &candle_core::Var> =
                        loaded.named_parameters().iter().map(|(n, v)| (n.as_str(), v)).collect();
                    for (name, var) in model.named_parameters() {
                        match from.get(name.as_str()) {
                            Some(v) => var
                                .set(v.as_tensor())
                                .with_context(|| format!("{}: parameter {name}", path.display()))?,
                            None => fresh_parameters.push(name.clone()),
                        }
                    }
                    model
                } else {
                    bail!(
                        "{}: initial weights are a model {:?}, the run asks for {model_config:?}",
                        path.display(),
                        loaded.config()
                    );
                };
                if init_vocab.fingerprint() != vocab.fingerprint() {
                    bail!(
                        "{}: initial weights were trained with a different vocabulary ({} words) than {} ({} words)",
                        path.display(),
                        init_vocab.len(),
                        config.vocab.display(),
                        vocab.len()
                    );
                }
                let mut record = weights_record(path, training)?;
                record["fresh_parameters"] = serde_json::json!(fresh_parameters);
                (model, Some(record))
            }
            None => (M::new(model_config, config.seed, &device)?, None),
        };
        let adam = Adam::new(model.named_parameters())?;
        let state = RunState {
            config: config.clone(),
            trajectory: config.trajectory_key(),
            data_sha256: data_sha.clone(),
            vocab_sha256: vocab.fingerprint(),
            step: 0,
            wall_s: 0.0,
            train_log: Vec::new(),
            eval_log: Vec::new(),
            init,
        };
        (model, adam, state)
    };
    adam.beta2 = M::ADAM_BETA2;
    adam.weight_decay = config.weight_decay;

    let per_epoch = train.len().div_ceil(config.batch_size) as u64;
    let mut task = JsccTask {
        config,
        run,
        clock: WallClock::resume_from(state.wall_s),
        model,
        adam,
        state,
        vocab: &vocab,
        train: &train,
        val: &val,
        per_epoch,
        epoch_cache: None,
        sigma_range: (sigma_for_snr_db(config.snr_high_db), sigma_for_snr_db(config.snr_low_db)),
        window: LossWindow::new(),
        lr: config.lr_at(0),
    };
    train_loop(&mut task, progress)?;
    let JsccTask { model, state, .. } = task;
    Ok(DeepScSummary {
        parameters: model.parameter_count(),
        steps: state.step,
        wall_s: state.wall_s,
        sentences: train.len(),
        unknown_words,
        train_log: state.train_log,
        eval_log: state.eval_log,
        weights_path,
    })
}

/// A JSCC model as a [`TrainTask`]: the data order is a pure function of (seed, step), and each
/// step's noise level, noise and dropout come from a stream seeded with (seed, step), so the run
/// state needs no RNG position. Validation runs at every SNR of `eval_snrs_db`.
struct JsccTask<'a, M: JsccModel> {
    config: &'a JsccTrainConfig<M::Config>,
    run: RunDir,
    clock: WallClock,
    model: M,
    adam: Adam,
    state: RunState<M::Config>,
    vocab: &'a WordVocab,
    train: &'a [Vec<u32>],
    val: &'a [Vec<u32>],
    per_epoch: u64,
    /// The current epoch's batches.
    epoch_cache: Option<(u64, Vec<Vec<usize>>)>,
    /// Noise standard deviations at the high and the low training SNR.
    sigma_range: (f64, f64),
    /// Nats and words since the last report.
    window: LossWindow,
    /// Learning rate of the last step.
    lr: f64,
}

impl<M: JsccModel> TrainTask for JsccTask<'_, M> {
    type Event = DeepScProgress;

    fn finished(&self) -> bool {
        self.state.step >= self.config.steps
    }

    fn step(&mut self) -> Result<Due> {
        let config = self.config;
        let step = self.state.step;
        let epoch = step / self.per_epoch;
        if self.epoch_cache.as_ref().map(|(e, _)| *e) != Some(epoch) {
            self.epoch_cache = Some((epoch, epoch_batches(self.train, config.batch_size, config.seed, epoch)));
        }
        let batches = &self.epoch_cache.as_ref().expect("filled above").1;
        let rows = &batches[((step % self.per_epoch) as usize).min(batches.len() - 1)];
        let refs: Vec<&[u32]> = rows.iter().map(|&i| self.train[i].as_slice()).collect();
        let mut rng = step_rng(config.seed, step);
        let (sigma_lo, sigma_hi) = self.sigma_range;
        let sigma = if sigma_hi > sigma_lo { rng.random_range(sigma_lo..sigma_hi) } else { sigma_lo };
        let mut dropout = Dropout { p: config.dropout, rng: ChaCha8Rng::seed_from_u64(rng.random()) };
        // Drawn only when on, so the stream of a run without it is unchanged.
        let mut word_rng = (config.word_dropout > 0.0).then(|| ChaCha8Rng::seed_from_u64(rng.random()));
        let word_dropout = word_rng.as_mut().map(|r| (config.word_dropout, r));
        let (nll, penalty, _, words) =
            forward_loss(&self.model, &refs, config.channel, sigma, &mut rng, Some(&mut dropout), word_dropout, false)?;
        let loss = (&nll / words.max(1) as f64)?;
        let loss = match penalty {
            Some(p) => (loss + p)?,
            None => loss,
        };
        let grads = loss.backward()?;
        let lr = config.lr_at(step);
        self.adam.step(self.model.named_parameters(), &grads, lr)?;
        let nats = nll.to_scalar::<f32>()? as f64;
        if !nats.is_finite() {
            bail!("training diverged at step {step}: loss {nats}");
        }
        self.window.add(nats, words as f64);
        self.lr = lr;
        self.state.step += 1;
        self.state.wall_s = self.clock.total_s();
        Ok(Due::every(self.state.step, config.steps, config.report_every, config.eval_every, config.checkpoint_every))
    }

    fn report(&mut self, progress: &mut dyn FnMut(DeepScProgress)) -> Result<()> {
        let state = &mut self.state;
        let mean = self.window.sum / self.window.units.max(1.0);
        state.train_log.push(LossPoint { step: state.step, loss: mean, wall_s: state.wall_s });
        progress(DeepScProgress::Step {
            step: state.step,
            total: self.config.steps,
            loss: mean,
            lr: self.lr,
            words_per_s: self.window.units_per_s(),
        });
        self.window = LossWindow::new();
        Ok(())
    }

    fn evaluate(&mut self, progress: &mut dyn FnMut(DeepScProgress)) -> Result<()> {
        let config = self.config;
        let points = evaluate(&self.model, self.val, config.channel, &config.eval_snrs_db, config.batch_size)?;
        let state = &mut self.state;
        state.eval_log.push(EvalPoint { step: state.step, wall_s: state.wall_s, points: points.clone() });
        progress(DeepScProgress::Eval { step: state.step, points });
        Ok(())
    }

    fn checkpoint(&mut self, progress: &mut dyn FnMut(DeepScProgress)) -> Result<()> {
        let (config, state) = (self.config, &self.state);
        let training = serde_json::json!({
            "data_file": config.data.file_name().map(|s| s.to_string_lossy().to_string()),
            "data_sha256": state.data_sha256,
            "channel": config.channel.name(),
            "steps": state.step,
            "batch_size": config.batch_size,
            "lr": config.lr, "warmup": config.warmup, "weight_decay": config.weight_decay,
            "dropout": config.dropout, "word_dropout": config.word_dropout, "snr_db": [config.snr_low_db, config.snr_high_db], "seed": config.seed,
            "validation": state.eval_log.last(),
            "wall_s": state.wall_s,
            "init": state.init,
        });
        let (model, vocab) = (&self.model, self.vocab);
        self.run.save_checkpoint(
            |path| Ok(model.save(path, vocab, &training, StoredDtype::F32)?),
            &self.adam,
            state,
        )?;
        progress(DeepScProgress::Checkpoint { step: state.step, path: self.run.weights_path().to_path_buf() });
        Ok(())
    }

    fn run_dir(&self) -> &RunDir {
        &self.run
    }
}

/// What [`read_logs`] reads from a run folder.
#[derive(Debug, Clone)]
pub struct RunLogs {
    pub train: Vec<LossPoint>,
    pub evals: Vec<EvalPoint>,
    /// The run's training channel (`awgn`, `rayleigh`) and SNR range in dB.
    pub channel: String,
    pub snr_db: (f64, f64),
}

/// The training and validation logs of a run folder (its `state.json`), e.g. while it is running,
/// with the channel and SNR range the run trains at.
pub fn read_logs(out_dir: &Path) -> Result<RunLogs> {
    #[derive(Deserialize)]
    struct Logs {
        trajectory: String,
        train_log: Vec<LossPoint>,
        eval_log: Vec<EvalPoint>,
    }
    #[derive(Deserialize)]
    struct Setting {
        channel: String,
        snr_low_db: f64,
        snr_high_db: f64,
    }
    let path = out_dir.join(STATE_FILE);
    let logs: Logs = read_state(out_dir)?;
    let setting: Setting = serde_json::from_str(&logs.trajectory)
        .with_context(|| format!("{}: field `trajectory` lacks the channel or SNR range", path.display()))?;
    Ok(RunLogs {
        train: logs.train_log,
        evals: logs.eval_log,
        channel: setting.channel,
        snr_db: (setting.snr_low_db, setting.snr_high_db),
    })
}

/// Writes `weights` (a DeepSC training checkpoint) as an f16 file for shipping, keeping its metadata.
pub fn export_f16(weights: &Path, out: &Path) -> Result<()> {
    export_f16_as::<DeepSc>(weights, out)
}

/// [`export_f16`] for a model `M`.
pub fn export_f16_as<M: JsccModel>(weights: &Path, out: &Path) -> Result<()> {
    let (model, vocab, training) = M::load(weights, &Device::Cpu)?;
    model.save(out, &vocab, &training, StoredDtype::F16)?;
    Ok(())
}

/// Writes the model in `weights` with the named parameters multiplied by their factors (f16 or
/// f32), as an `--init` for a training run that should start from a rescaled model; the file's
/// training record says what was done to which file (`rescaled`). Used to give the UT's channel
/// decoder output and source embeddings DeepSC's scale (neural/models/README.md). Unknown names
/// and non-finite factors are refused.
pub fn rescale_parameters_as<M: JsccModel>(
    weights: &Path,
    out: &Path,
    scales: &[(String, f64)],
    dtype: StoredDtype,
) -> Result<()> {
    let (model, vocab, training) = M::load(weights, &Device::Cpu)?;
    for (name, factor) in scales {
        if !factor.is_finite() {
            bail!("scale of {name}: {factor} is not a finite number");
        }
        let Some((_, var)) = model.named_parameters().iter().find(|(n, _)| n == name) else {
            bail!(
                "{}: no parameter named {name} (the file has {} parameters)",
                weights.display(),
                model.named_parameters().len()
            );
        };
        var.set(&(var.as_tensor() * *factor)?)?;
    }
    let mut rescaled = weights_record(weights, training)?;
    rescaled["scales"] =
        scales.iter().map(|(n, f)| (n.clone(), serde_json::json!(f))).collect::<serde_json::Map<_, _>>().into();
    model.save(out, &vocab, &serde_json::json!({ "rescaled": rescaled }), dtype)?;
    Ok(())
}

/// What a weight file derived from `path` records about it: the file's name, its sha256 and its own
/// training record (`training`, as loaded), so a chain of `--init`/`rescale` steps stays traceable.
/// The file is hashed after loading (a second read): weight files are tens of MB, and the loaders
/// take paths.
fn weights_record(path: &Path, training: serde_json::Value) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::json!({
        "file": path.file_name().map(|s| s.to_string_lossy().to_string()),
        "sha256": format!("{:x}", Sha256::digest(&bytes)),
        "training": training,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jscc::word_vocab::START;

    /// The toy corpora's 10 words (the vocabulary file of [`toy`] holds them after the 5 specials).
    const TOY_WORDS: [&str; 10] = ["the", "house", "rose", "and", "observed", "a", "minute", "silence", "we", "vote"];

    /// A toy corpus over 10 words and its vocabulary file.
    fn toy(dir: &Path) -> (PathBuf, PathBuf) {
        let words = TOY_WORDS;
        let mut text = String::new();
        for i in 0..300usize {
            let n = 3 + i % 4;
            let s: Vec<&str> = (0..n).map(|j| words[(i * 7 + j * 3) % words.len()]).collect();
            text.push_str(&s.join(" "));
            text.push_str(" .\n");
        }
        let data = dir.join("toy.txt");
        std::fs::write(&data, text).unwrap();
        let mut map = serde_json::Map::new();
        for (i, w) in ["<PAD>", "<START>", "<END>", "<UNK>", ""].iter().chain(words.iter()).enumerate() {
            map.insert(w.to_string(), serde_json::json!(i));
        }
        let vocab = dir.join("vocab.json");
        std::fs::write(&vocab, serde_json::json!({ "token_to_idx": map }).to_string()).unwrap();
        (data, vocab)
    }

    fn tiny(dir: &Path, steps: u64, out: &str) -> DeepScTrainConfig {
        let (data, vocab) = toy(dir);
        DeepScTrainConfig {
            steps,
            batch_size: 16,
            lr: 3e-3,
            checkpoint_every: 5,
            eval_every: 1000,
            report_every: 5,
            validation_sentences: 32,
            eval_snrs_db: vec![10.0],
            model: Some(DeepScConfig::tiny(15)),
            ..DeepScTrainConfig::reference(&data, &vocab, &data, dir.join(out))
        }
    }

    #[test]
    fn loss_falls_and_resume_continues_bit_for_bit() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let straight = tiny(dir.path(), 30, "a");
        let mut losses = Vec::new();
        let s = train_deepsc(&straight, &mut |p| {
            if let DeepScProgress::Step { loss, .. } = p {
                losses.push(loss)
            }
        })?;
        assert_eq!(s.steps, 30);
        assert_eq!(s.unknown_words, 0);
        assert!(losses[0] > 1.8, "initial loss near ln 15 = 2.7: {losses:?}");
        assert!(*losses.last().unwrap() < losses[0] - 0.8, "loss did not fall: {losses:?}");

        train_deepsc(&tiny(dir.path(), 15, "b"), &mut |_| {})?;
        let rest = DeepScTrainConfig { resume: true, ..tiny(dir.path(), 30, "b") };
        train_deepsc(&rest, &mut |_| {})?;
        let logs = read_logs(&rest.out_dir)?;
        assert_eq!((logs.channel.as_str(), logs.snr_db), ("awgn", (5.0, 10.0)), "DeepSC's reference setting");
        let steps: Vec<u64> = logs.train.iter().map(|p| p.step).collect();
        assert_eq!(steps, [5, 10, 15, 20, 25, 30], "the resumed run's log continues the first part's");
        let (a, _, _) = DeepSc::load(&straight.out_dir.join(DEEPSC_WEIGHTS_FILE), &Device::Cpu)?;
        let (b, _, _) = DeepSc::load(&rest.out_dir.join(DEEPSC_WEIGHTS_FILE), &Device::Cpu)?;
        for ((n, x), (_, y)) in a.named_parameters().iter().zip(b.named_parameters()) {
            assert_eq!(x.flatten_all()?.to_vec1::<f32>()?, y.flatten_all()?.to_vec1::<f32>()?, "{n} differs");
        }
        Ok(())
    }

    #[test]
    fn init_starts_from_the_given_weights_records_them_and_refuses_other_vocabularies() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let first = tiny(dir.path(), 30, "first");
        train_deepsc(&first, &mut |_| {})?;
        let shipped = dir.path().join("shipped.safetensors");
        export_f16(&first.out_dir.join(DEEPSC_WEIGHTS_FILE), &shipped)?;
        let first_loss = |config: &DeepScTrainConfig| -> Result<f64> {
            let mut losses = Vec::new();
            train_deepsc(config, &mut |p| {
                if let DeepScProgress::Step { loss, .. } = p {
                    losses.push(loss)
                }
            })?;
            Ok(losses[0])
        };
        let fresh = first_loss(&tiny(dir.path(), 5, "fresh"))?;
        let continued = DeepScTrainConfig { init: Some(shipped.clone()), ..tiny(dir.path(), 5, "continued") };
        let from_init = first_loss(&continued)?;
        assert!(from_init < fresh - 0.5, "init weights not used: first loss {from_init} vs {fresh} from scratch");
        let (_, _, training) = DeepSc::load(&continued.out_dir.join(DEEPSC_WEIGHTS_FILE), &Device::Cpu)?;
        let bytes = std::fs::read(&shipped)?;
        assert_eq!(training["init"]["sha256"], format!("{:x}", Sha256::digest(&bytes)));
        assert_eq!(training["init"]["training"]["steps"], 30);

        let text = std::fs::read_to_string(&first.vocab)?.replace("\"vote\"", "\"veto\"");
        let other = dir.path().join("other.json");
        std::fs::write(&other, text)?;
        let mismatched = DeepScTrainConfig { vocab: other, ..tiny(dir.path(), 5, "mismatched") };
        let err = train_deepsc(&DeepScTrainConfig { init: Some(shipped), ..mismatched }, &mut |_| {}).unwrap_err();
        assert!(format!("{err:#}").contains("different vocabulary"), "{err:#}");
        Ok(())
    }

    /// Accuracy at `high` and `low` dB after `steps` on sentences of uniformly random words, where
    /// only what crosses the channel can beat chance (1 in 10 words).
    fn random_word_accuracy<C: Copy>(
        dir: &Path,
        model: C,
        steps: u64,
        train: impl Fn(&JsccTrainConfig<C>, &mut dyn FnMut(DeepScProgress)) -> Result<DeepScSummary>,
    ) -> Result<(f64, f64)> {
        let (_, vocab) = toy(dir);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let words = TOY_WORDS;
        let text: String = (0..400)
            .map(|_| {
                let n = rng.random_range(4..8);
                let s: Vec<&str> = (0..n).map(|_| words[rng.random_range(0..words.len())]).collect();
                s.join(" ") + "\n"
            })
            .collect();
        let data = dir.join("random.txt");
        std::fs::write(&data, text)?;
        let config = JsccTrainConfig {
            steps,
            batch_size: 32,
            lr: 3e-3,
            warmup: 0,
            checkpoint_every: steps,
            eval_every: steps,
            report_every: steps,
            validation_sentences: 64,
            eval_snrs_db: vec![-15.0, 20.0],
            snr_low_db: 15.0,
            snr_high_db: 20.0,
            ..DeepScTrainConfig::reference(&data, &vocab, &data, dir.join("random-run")).with_model(Some(model))
        };
        let mut points = Vec::new();
        train(&config, &mut |p| {
            if let DeepScProgress::Eval { points: p, .. } = p {
                points = p
            }
        })?;
        Ok((points[1].word_accuracy, points[0].word_accuracy))
    }

    #[test]
    fn deepsc_and_ut_learn_to_carry_random_words_over_the_channel() -> Result<()> {
        let (a, b, c) = (tempfile::tempdir()?, tempfile::tempdir()?, tempfile::tempdir()?);
        let d = random_word_accuracy(a.path(), DeepScConfig::tiny(15), 300, |c, p| train_deepsc(c, p))?;
        let u = random_word_accuracy(b.path(), UtConfig::tiny(15), 300, |c, p| train_ut(c, false, p))?;
        let q = random_word_accuracy(c.path(), UtConfig::tiny_quantized(15), 300, |c, p| train_ut(c, true, p))?;
        eprintln!("accuracy at 20 / -15 dB: DeepSC {d:?}, UT {u:?}, UT-quant {q:?}");
        for (name, (high, low)) in [("DeepSC", d), ("UT", u), ("UT-quant", q)] {
            // Measured: DeepSC 0.55 / 0.15, UT 0.43 / 0.12, UT-quant 0.34 / 0.18 (chance ≈ 0.1 plus <END>).
            assert!(high > low + 0.12, "{name}: {high} at 20 dB vs {low} at -15 dB");
        }
        Ok(())
    }

    #[test]
    fn word_dropout_hides_words_but_not_start_or_padding() -> Result<()> {
        let (b, t) = (40usize, 12usize);
        // Row i: <START>, then words 5.. up to length 4 + i % 8, then <PAD>.
        let ids: Vec<u32> = (0..b)
            .flat_map(|i| {
                (0..t).map(move |j| {
                    if j == 0 {
                        START
                    } else if j < 4 + i % 8 {
                        4 + j as u32
                    } else {
                        PAD
                    }
                })
            })
            .collect();
        let ids = Tensor::from_vec(ids, (b, t), &Device::Cpu)?;
        let before = ids.to_vec2::<u32>()?;
        let after = drop_words(&ids, 0.3, &mut ChaCha8Rng::seed_from_u64(7))?.to_vec2::<u32>()?;
        let (mut words, mut hidden) = (0, 0);
        for (r0, r1) in before.iter().zip(&after) {
            assert_eq!(r1[0], START);
            for (&x, &y) in r0.iter().zip(r1).skip(1) {
                match x {
                    PAD => assert_eq!(y, PAD),
                    _ => {
                        words += 1;
                        hidden += usize::from(y == UNK);
                        assert!(y == x || y == UNK);
                    }
                }
            }
        }
        let rate = hidden as f64 / words as f64;
        assert!((0.2..0.4).contains(&rate), "{hidden} of {words} words hidden");
        assert_eq!(drop_words(&ids, 0.0, &mut ChaCha8Rng::seed_from_u64(7))?.to_vec2::<u32>()?, before);
        Ok(())
    }

    #[test]
    fn word_dropout_changes_the_run_and_is_recorded_only_when_on() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let plain = tiny(dir.path(), 3, "plain");
        let off = train_deepsc(&plain, &mut |_| {})?;
        let dropped = DeepScTrainConfig { word_dropout: 0.5, out_dir: dir.path().join("dropped"), ..plain.clone() };
        let on = train_deepsc(&dropped, &mut |_| {})?;
        assert_ne!(off.train_log.last().map(|p| p.loss), on.train_log.last().map(|p| p.loss));
        assert!(!plain.trajectory_key().contains("word_dropout"), "a run without it keeps its old key");
        assert!(dropped.trajectory_key().contains("word_dropout"));
        let bad = DeepScTrainConfig { word_dropout: 1.0, out_dir: dir.path().join("bad"), ..plain };
        assert!(train_deepsc(&bad, &mut |_| {}).unwrap_err().to_string().contains("word dropout"));
        Ok(())
    }

    #[test]
    fn rescale_multiplies_the_named_parameters_only_and_records_it() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let (_, vocab_path) = toy(dir.path());
        let vocab = WordVocab::from_json_file(&vocab_path)?;
        let ut = Ut::new(UtConfig::tiny(vocab.len()), 3, &Device::Cpu)?;
        let src = dir.path().join("ut.safetensors");
        ut.save(&src, &vocab, &serde_json::json!({"steps": 7}), StoredDtype::F32)?;
        let out = dir.path().join("scaled.safetensors");
        let scales = vec![("from_channel_emb.2.weight".to_string(), 5.0), ("src_embed.lut.weight".to_string(), 8.0)];
        rescale_parameters_as::<Ut>(&src, &out, &scales, StoredDtype::F32)?;
        let (scaled, _, record) = Ut::load(&out, &Device::Cpu)?;
        for ((name, a), (_, b)) in ut.named_parameters().iter().zip(scaled.named_parameters()) {
            let factor = scales.iter().find(|(n, _)| n == name).map_or(1.0, |s| s.1);
            let diff = (a.as_tensor() * factor)?.sub(b.as_tensor())?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-6, "{name}: off by {diff}");
        }
        assert_eq!(record["rescaled"]["scales"]["src_embed.lut.weight"], 8.0);
        assert_eq!(record["rescaled"]["training"]["steps"], 7);
        assert_eq!(record["rescaled"]["file"], "ut.safetensors");
        assert_eq!(record["rescaled"]["sha256"], format!("{:x}", Sha256::digest(std::fs::read(&src)?)));
        let unknown = vec![("no.such.weight".to_string(), 2.0)];
        let err = rescale_parameters_as::<Ut>(&src, &out, &unknown, StoredDtype::F32).unwrap_err().to_string();
        assert!(err.contains("no parameter named no.such.weight"), "{err}");
        Ok(())
    }

    #[test]
    fn resume_with_another_vocabulary_is_refused() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let first = tiny(dir.path(), 5, "run");
        train_deepsc(&first, &mut |_| {})?;
        // Same size, one word renamed: the fingerprint differs.
        let text = std::fs::read_to_string(&first.vocab)?.replace("\"vote\"", "\"veto\"");
        let other = dir.path().join("other.json");
        std::fs::write(&other, text)?;
        let again = DeepScTrainConfig { resume: true, vocab: other, steps: 10, ..first };
        let err = train_deepsc(&again, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("different vocabulary"), "{err}");
        Ok(())
    }

    #[test]
    fn ut_and_ut_quant_train_resume_bit_for_bit_and_keep_their_kind() -> Result<()> {
        let dir = tempfile::tempdir()?;
        for (quantized, model) in [(false, UtConfig::tiny(15)), (true, UtConfig::tiny_quantized(15))] {
            let name = if quantized { "q" } else { "u" };
            let ut = |steps: u64, out: &str| tiny(dir.path(), steps, &format!("{name}{out}")).with_model(Some(model));
            let straight = ut(20, "a");
            let mut losses = Vec::new();
            let s = train_ut(&straight, quantized, &mut |p| {
                if let DeepScProgress::Step { loss, .. } = p {
                    losses.push(loss)
                }
            })?;
            assert_eq!(s.steps, 20);
            assert!(*losses.last().unwrap() < losses[0] - 0.3, "quantized {quantized}: loss did not fall: {losses:?}");

            train_ut(&ut(10, "b"), quantized, &mut |_| {})?;
            let rest = UtTrainConfig { resume: true, ..ut(20, "b") };
            train_ut(&rest, quantized, &mut |_| {})?;
            let (a, _, _) = Ut::load(&straight.out_dir.join(UT_WEIGHTS_FILE), &Device::Cpu)?;
            let (b, _, _) = Ut::load(&rest.out_dir.join(UT_WEIGHTS_FILE), &Device::Cpu)?;
            assert_eq!(a.config(), &model);
            for ((n, x), (_, y)) in a.named_parameters().iter().zip(b.named_parameters()) {
                assert_eq!(x.flatten_all()?.to_vec1::<f32>()?, y.flatten_all()?.to_vec1::<f32>()?, "{n} differs");
            }
            if !quantized {
                // UT-quant starts from this UT: its trunk is the UT's, its quantizer its own seeded init.
                let quant = UtTrainConfig {
                    init: Some(straight.out_dir.join(UT_WEIGHTS_FILE)),
                    ..tiny(dir.path(), 1, "from-ut").with_model(Some(UtConfig::tiny_quantized(15)))
                };
                let fresh = Ut::new(UtConfig::tiny_quantized(15), quant.seed, &Device::Cpu)?;
                let no_steps = UtTrainConfig { steps: 1, lr: 0.0, ..quant };
                train_ut(&no_steps, true, &mut |_| {})?;
                let (q, _, training) = Ut::load(&no_steps.out_dir.join(UT_WEIGHTS_FILE), &Device::Cpu)?;
                let (base, _, _) = Ut::load(&straight.out_dir.join(UT_WEIGHTS_FILE), &Device::Cpu)?;
                let base: std::collections::HashMap<_, _> = base.named_parameters().iter().cloned().collect();
                let fresh: std::collections::HashMap<_, _> = fresh.named_parameters().iter().cloned().collect();
                let mut from_file = 0;
                for (n, v) in q.named_parameters() {
                    let want = base.get(n).or_else(|| fresh.get(n)).unwrap();
                    from_file += base.contains_key(n) as usize;
                    assert_eq!(v.flatten_all()?.to_vec1::<f32>()?, want.flatten_all()?.to_vec1::<f32>()?, "{n}");
                }
                assert_eq!(from_file, base.len());
                let fresh_names = training["init"]["fresh_parameters"].as_array().unwrap().len();
                assert_eq!(fresh_names, 4, "quantizer weights and biases: {training}");
                // The other way round is refused: a UT cannot start from a UT-quant.
                let back = UtTrainConfig { init: Some(no_steps.out_dir.join(UT_WEIGHTS_FILE)), ..ut(1, "back") };
                let err = train_ut(&back, false, &mut |_| {}).unwrap_err();
                assert!(format!("{err:#}").contains("initial weights are a model"), "{err:#}");
            }
            // The other kind is refused, up front or on resume.
            assert!(train_ut(&straight, !quantized, &mut |_| {}).is_err());
            let other = UtTrainConfig { resume: true, steps: 25, model: None, ..straight.clone() };
            let err = train_ut(&other, !quantized, &mut |_| {}).unwrap_err().to_string();
            assert!(err.contains("different settings") || err.contains("checkpoint holds"), "{err}");
        }
        Ok(())
    }
}
