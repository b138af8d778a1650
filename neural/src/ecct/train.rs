//! ECCT training as the official code does it, with exact resume.
//!
//! - Data: batches of all-zero codewords (ECCT's output is invariant to the codeword for a symmetric
//!   channel, so training on the zero word suffices); per sample an Eb/N0 drawn uniformly from the set
//!   {2, 3, 4, 5, 6, 7} dB (the official `random.choice` over `range(2, 8)`), σ = 1/sqrt(2 R Eb/N0); fresh
//!   noise every batch from our seeded ChaCha stream.
//! - Optimizer: Adam, lr 1e-4, no weight decay ([`crate::core::adam`]); cosine annealing to 1e-6 over the
//!   epochs, stepped once per epoch (PyTorch `CosineAnnealingLR(T_max = epochs, eta_min = 1e-6)`).
//! - Checkpoint after every epoch: `ecct.safetensors` (weights + metadata), `adam.safetensors` (moments)
//!   and `state.json` (config, epoch, step, both RNG stream positions, code fingerprint). `resume`
//!   continues from there bit for bit on the same device.
//! - Evaluation: random codewords at the given Eb/N0 values, −ln(BER) over all n bits, stopping at a
//!   frame-error count or a frame budget (the official test stops at 100 frame errors and ≥ 1e5 frames).
//! - The run folder and the step loop are the shared ones ([`crate::core::trainer`]); this file is the
//!   ECCT task (`EcctTask`) and its setup.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::Tensor;
use codes::LdpcCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::core::adam::Adam;
use crate::core::channel::{sigma_for_ebn0, Channel};
use crate::core::device::DeviceChoice;
use crate::core::trainer::{train_loop, Due, RngState, RunDir, TrainTask};
use crate::ecct::decoder::decode_inputs;
use crate::ecct::model::{prepare_inputs, Dropout, Ecct, EcctConfig};
use crate::ecct::weights::{load_model, save_model, ModelMeta};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub code_path: PathBuf,
    pub layers: usize,
    pub dim: usize,
    pub heads: usize,
    pub channel: Channel,
    pub epochs: usize,
    pub steps_per_epoch: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub lr_min: f64,
    pub attn_dropout: f64,
    /// Training Eb/N0 values (dB), one drawn uniformly per sample.
    pub train_ebn0_db: Vec<f64>,
    /// Evaluation Eb/N0 values (dB).
    pub eval_ebn0_db: Vec<f64>,
    /// Evaluation stops at this many frame errors (once `eval_min_frames` frames ran)...
    pub eval_min_frame_errors: u64,
    pub eval_min_frames: u64,
    /// ...or at this many frames.
    pub eval_max_frames: u64,
    pub eval_batch: usize,
    pub seed: u64,
    pub device: DeviceChoice,
    /// Checkpoint directory.
    pub out_dir: PathBuf,
    pub resume: bool,
    /// Start from these trained weights (same code and architecture) with a fresh optimizer and a
    /// new schedule: fine-tuning. Ignored when resuming a checkpoint.
    #[serde(default)]
    pub init: Option<PathBuf>,
}

impl TrainConfig {
    /// The official schedule (1000 epochs × 1000 steps, batch 128, lr 1e-4 → 1e-6) for `code_path`.
    pub fn official(code_path: impl Into<PathBuf>, layers: usize, dim: usize, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            code_path: code_path.into(),
            layers,
            dim,
            heads: 8,
            channel: Channel::Awgn,
            epochs: 1000,
            steps_per_epoch: 1000,
            batch_size: 128,
            lr: 1e-4,
            lr_min: 1e-6,
            attn_dropout: 0.1,
            train_ebn0_db: vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            eval_ebn0_db: vec![4.0, 5.0, 6.0],
            eval_min_frame_errors: 100,
            eval_min_frames: 100_000,
            eval_max_frames: 10_000_000,
            eval_batch: 4096,
            seed: 42,
            device: DeviceChoice::Cpu,
            out_dir: out_dir.into(),
            resume: false,
            init: None,
        }
    }

    /// Learning rate during epoch `epoch` (0-based): cosine annealing from `lr` to `lr_min`.
    pub fn lr_at_epoch(&self, epoch: usize) -> f64 {
        let t = epoch as f64 / self.epochs.max(1) as f64;
        self.lr_min + (self.lr - self.lr_min) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
    }

    fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.steps_per_epoch == 0 || self.batch_size == 0 || self.eval_batch == 0 {
            bail!("epochs, steps per epoch and batch sizes must be positive");
        }
        if self.train_ebn0_db.is_empty() {
            bail!("no training Eb/N0 values");
        }
        if !(0.0..1.0).contains(&self.attn_dropout) {
            bail!("attention dropout must be in [0, 1)");
        }
        Ok(())
    }
}

/// Reports handed to the progress callback.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Every `report_every` steps (and at the end of an epoch): mean loss since the last report.
    Step { epoch: usize, epochs: usize, step: u64, total_steps: u64, loss: f64, lr: f64 },
    /// After each epoch's checkpoint.
    Epoch { epoch: usize, mean_loss: f64, lr: f64, wall_s: f64 },
    /// One evaluation point done.
    Eval(EvalPoint),
}

/// One evaluation result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    pub ebn0_db: f64,
    pub frames: u64,
    pub bit_errors: u64,
    pub frame_errors: u64,
    pub ber: f64,
    /// −ln(BER); infinite when no bit error was seen.
    pub neg_ln_ber: f64,
}

/// What a run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub code: String,
    pub channel: Channel,
    pub config: EcctConfig,
    pub parameters: usize,
    pub epochs: usize,
    pub steps: u64,
    pub batch_size: usize,
    /// Wall time of this invocation's training (resumed runs count only their part).
    pub train_wall_s: f64,
    pub device: String,
    /// Mean training loss of each epoch run in this invocation.
    pub epoch_losses: Vec<f64>,
    pub eval: Vec<EvalPoint>,
    pub weights_path: PathBuf,
}

/// Persistent run state written next to the weights after each epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunState {
    train: TrainConfig,
    model: EcctConfig,
    code_fingerprint: u64,
    epochs_done: usize,
    steps_done: u64,
    noise_rng: RngState,
    dropout_rng: RngState,
    epoch_losses: Vec<f64>,
}

/// The weight file's name inside the checkpoint directory.
pub const WEIGHTS_FILE: &str = "ecct.safetensors";

/// One training batch on the host: (|y|, ±1 syndrome, target "hard decision wrong").
fn training_batch(
    rng: &mut ChaCha8Rng,
    code: &LdpcCode,
    channel: Channel,
    sigmas: &[f64],
    batch: usize,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = code.n();
    let zero = vec![0u8; n];
    let mut y = Vec::with_capacity(batch * n);
    for _ in 0..batch {
        let sigma = sigmas[rng.random_range(0..sigmas.len())];
        channel.transmit(rng, &zero, sigma, &mut y);
    }
    let (mag, syn, hard) = prepare_inputs(&y, n, code.checks());
    // Codeword is all-zero: the hard decision is wrong exactly where it says 1.
    let wrong: Vec<f32> = hard.iter().map(|&h| h as f32).collect();
    (mag, syn, wrong)
}

/// Trains (or resumes) an ECCT model per `config`; returns the run summary. `progress` is called from
/// this thread.
pub fn train(config: &TrainConfig, progress: &mut dyn FnMut(Progress)) -> Result<Summary> {
    config.validate()?;
    let code = Arc::new(
        LdpcCode::from_file(&config.code_path)
            .with_context(|| format!("loading code {}", config.code_path.display()))?,
    );
    let device = config.device.device()?;
    let model_cfg =
        EcctConfig { heads: config.heads, ..EcctConfig::new(code.n(), code.m(), config.layers, config.dim) };
    let run = RunDir::create(&config.out_dir, WEIGHTS_FILE)?;
    let weights_path = run.weights_path().to_path_buf();

    let (model, adam, noise_rng, dropout_rng, epochs_done, steps_done, epoch_losses) = if let Some(state) =
        run.resume_state::<RunState>(config.resume)?
    {
        if state.code_fingerprint != code.fingerprint() {
            return Err(run.refuse(format!(
                "checkpoint was made for a code with fingerprint {:016x}, {} has {:016x}",
                state.code_fingerprint,
                config.code_path.display(),
                code.fingerprint()
            )));
        }
        if state.model != model_cfg {
            return Err(
                run.refuse(format!("checkpoint model {:?} differs from requested {:?}", state.model, model_cfg))
            );
        }
        let (model, _meta) = load_model(&weights_path, &code, &device)?;
        let adam = run.load_adam(model.named_parameters(), state.steps_done)?;
        (
            model,
            adam,
            state.noise_rng.restore()?,
            state.dropout_rng.restore()?,
            state.epochs_done,
            state.steps_done,
            state.epoch_losses,
        )
    } else {
        let model = match &config.init {
            Some(path) => {
                let (model, _meta) = load_model(path, &code, &device)
                    .with_context(|| format!("loading initial weights {}", path.display()))?;
                if *model.config() != model_cfg {
                    bail!("{}: weights are for {:?}, the run asks for {:?}", path.display(), model.config(), model_cfg);
                }
                model
            }
            None => Ecct::new(model_cfg, code.checks(), config.seed, &device)?,
        };
        let adam = Adam::new(model.named_parameters())?;
        let noise_rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(1));
        let dropout_rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(2));
        (model, adam, noise_rng, dropout_rng, 0, 0, Vec::new())
    };

    let zero = Tensor::zeros((), candle_core::DType::F32, &device)?;
    let mut task = EcctTask {
        config,
        code: &code,
        run,
        model_cfg,
        sigmas: config.train_ebn0_db.iter().map(|&e| sigma_for_ebn0(e, code.rate())).collect(),
        model,
        adam,
        noise_rng,
        dropout: Dropout { p: config.attn_dropout, rng: dropout_rng },
        epochs_done,
        steps_done,
        epoch_losses,
        run_losses: Vec::new(),
        epoch: epochs_done,
        step_in_epoch: 0,
        lr: config.lr_at_epoch(epochs_done),
        epoch_start: Instant::now(),
        epoch_sum: zero.clone(),
        window_sum: zero,
        window: 0,
        device,
    };
    let start = Instant::now();
    train_loop(&mut task, progress)?;
    let train_wall_s = start.elapsed().as_secs_f64();
    let EcctTask { model, epochs_done, steps_done, run_losses, .. } = task;

    let mut eval_rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(3));
    let eval = evaluate(&model, &code, config, &mut eval_rng, progress)?;
    Ok(Summary {
        code: code.name().to_string(),
        channel: config.channel,
        config: model_cfg,
        parameters: model.parameter_count(),
        epochs: epochs_done,
        steps: steps_done,
        batch_size: config.batch_size,
        train_wall_s,
        device: format!("{:?}", config.device),
        epoch_losses: run_losses,
        eval,
        weights_path,
    })
}

/// Steps between two loss reports (one is also made at the end of each epoch).
const REPORT_EVERY: u64 = 100;

/// ECCT as a [`TrainTask`]: epochs of `steps_per_epoch` steps at the epoch's learning rate, a
/// checkpoint after each epoch; two ChaCha streams (noise, attention dropout) whose positions the run
/// state saves. Evaluation is not part of the loop: it runs once, after training ([`train`]).
struct EcctTask<'a> {
    config: &'a TrainConfig,
    code: &'a LdpcCode,
    run: RunDir,
    device: candle_core::Device,
    model_cfg: EcctConfig,
    /// Noise standard deviations of the training Eb/N0 values.
    sigmas: Vec<f64>,
    model: Ecct,
    adam: Adam,
    noise_rng: ChaCha8Rng,
    dropout: Dropout,
    epochs_done: usize,
    steps_done: u64,
    /// Mean loss of every epoch of the run, and of those of this invocation.
    epoch_losses: Vec<f64>,
    run_losses: Vec<f64>,
    /// The epoch of the last step (0-based), its step count so far, learning rate and start.
    epoch: usize,
    step_in_epoch: usize,
    lr: f64,
    epoch_start: Instant,
    /// Losses summed on the device (no synchronisation per step): over the epoch and since the last
    /// report.
    epoch_sum: Tensor,
    window_sum: Tensor,
    window: u64,
}

impl TrainTask for EcctTask<'_> {
    type Event = Progress;

    fn finished(&self) -> bool {
        self.epochs_done >= self.config.epochs
    }

    fn step(&mut self) -> Result<Due> {
        let config = self.config;
        let (b, n, m) = (config.batch_size, self.code.n(), self.code.m());
        if self.step_in_epoch == 0 {
            self.epoch = self.epochs_done;
            self.lr = config.lr_at_epoch(self.epoch);
            self.epoch_start = Instant::now();
            self.epoch_sum = Tensor::zeros((), candle_core::DType::F32, &self.device)?;
            self.window_sum = Tensor::zeros((), candle_core::DType::F32, &self.device)?;
            self.window = 0;
        }
        let (mag, syn, wrong) = training_batch(&mut self.noise_rng, self.code, config.channel, &self.sigmas, b);
        let mag = Tensor::from_vec(mag, (b, n), &self.device)?;
        let syn = Tensor::from_vec(syn, (b, m), &self.device)?;
        let wrong = Tensor::from_vec(wrong, (b, n), &self.device)?;
        let z = self.model.forward(&mag, &syn, Some(&mut self.dropout))?;
        let loss = self.model.loss(&z, &wrong)?;
        let grads = loss.backward()?;
        self.adam.step(self.model.named_parameters(), &grads, self.lr)?;
        let loss = loss.detach();
        self.epoch_sum = (&self.epoch_sum + &loss)?;
        self.window_sum = (&self.window_sum + &loss)?;
        self.window += 1;
        self.steps_done += 1;
        self.step_in_epoch += 1;
        let epoch_end = self.step_in_epoch == config.steps_per_epoch;
        if epoch_end {
            let mean_loss = self.epoch_sum.to_scalar::<f32>()? as f64 / config.steps_per_epoch as f64;
            self.epochs_done += 1;
            self.epoch_losses.push(mean_loss);
            self.run_losses.push(mean_loss);
            self.step_in_epoch = 0;
        }
        Ok(Due { report: self.steps_done % REPORT_EVERY == 0 || epoch_end, eval: false, checkpoint: epoch_end })
    }

    fn report(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        let mean = self.window_sum.to_scalar::<f32>()? as f64 / self.window as f64;
        if !mean.is_finite() {
            bail!("training diverged at step {}: loss {mean}", self.steps_done);
        }
        progress(Progress::Step {
            epoch: self.epoch + 1,
            epochs: self.config.epochs,
            step: self.steps_done,
            total_steps: (self.config.epochs * self.config.steps_per_epoch) as u64,
            loss: mean,
            lr: self.lr,
        });
        self.window_sum = Tensor::zeros((), candle_core::DType::F32, &self.device)?;
        self.window = 0;
        Ok(())
    }

    fn evaluate(&mut self, _progress: &mut dyn FnMut(Progress)) -> Result<()> {
        Ok(())
    }

    /// Saves the epoch just finished (checkpoints fall on epoch ends only).
    fn checkpoint(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        let (config, code) = (self.config, self.code);
        let meta = ModelMeta {
            config: self.model_cfg,
            channel: config.channel,
            code_name: code.name().to_string(),
            code_fingerprint: code.fingerprint(),
            trained_steps: self.steps_done,
        };
        let state = RunState {
            train: config.clone(),
            model: self.model_cfg,
            code_fingerprint: code.fingerprint(),
            epochs_done: self.epochs_done,
            steps_done: self.steps_done,
            noise_rng: RngState::of(&self.noise_rng),
            dropout_rng: RngState::of(&self.dropout.rng),
            epoch_losses: self.epoch_losses.clone(),
        };
        self.run.save_checkpoint(|path| Ok(save_model(path, &self.model, &meta)?), &self.adam, &state)?;
        progress(Progress::Epoch {
            epoch: self.epoch + 1,
            mean_loss: self.epoch_losses.last().copied().unwrap_or(f64::NAN),
            lr: self.lr,
            wall_s: self.epoch_start.elapsed().as_secs_f64(),
        });
        Ok(())
    }

    fn run_dir(&self) -> &RunDir {
        &self.run
    }
}

/// BER on random codewords at each of `config.eval_ebn0_db`.
pub fn evaluate(
    model: &Ecct,
    code: &LdpcCode,
    config: &TrainConfig,
    rng: &mut ChaCha8Rng,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<EvalPoint>> {
    let (n, k) = (code.n(), code.k());
    let mut points = Vec::new();
    for &ebn0 in &config.eval_ebn0_db {
        let sigma = sigma_for_ebn0(ebn0, code.rate());
        let (mut frames, mut bit_errors, mut frame_errors) = (0u64, 0u64, 0u64);
        let batch = config.eval_batch;
        let mut info = vec![0u8; batch * k];
        let mut cw = vec![0u8; batch * n];
        let mut bits = vec![0u8; batch * n];
        while frames < config.eval_max_frames
            && !(frame_errors >= config.eval_min_frame_errors && frames >= config.eval_min_frames)
        {
            info.iter_mut().for_each(|b| *b = rng.random::<bool>() as u8);
            code.encode_batch(&info, &mut cw);
            let mut y = Vec::with_capacity(batch * n);
            config.channel.transmit(rng, &cw, sigma, &mut y);
            decode_inputs(model, code, &y, &mut bits)?;
            for f in 0..batch {
                let e = cw[f * n..(f + 1) * n].iter().zip(&bits[f * n..(f + 1) * n]).filter(|(a, b)| a != b).count();
                bit_errors += e as u64;
                frame_errors += u64::from(e > 0);
            }
            frames += batch as u64;
        }
        let ber = bit_errors as f64 / (frames * n as u64) as f64;
        let p = EvalPoint { ebn0_db: ebn0, frames, bit_errors, frame_errors, ber, neg_ln_ber: -ber.ln() };
        progress(Progress::Eval(p));
        points.push(p);
    }
    Ok(points)
}

/// Path of the checkpoint weights inside `out_dir`.
pub fn weights_in(out_dir: &Path) -> PathBuf {
    out_dir.join(WEIGHTS_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// A tiny run of `epochs` epochs on the (49, 24) LDPC code, at a constant learning rate so that
    /// runs of different lengths share a schedule.
    fn tiny(out_dir: &Path, epochs: usize) -> TrainConfig {
        let code = Path::new(env!("CARGO_MANIFEST_DIR")).join("../codes/matrices/LDPC_N49_K24.alist");
        TrainConfig {
            epochs,
            steps_per_epoch: 5,
            batch_size: 4,
            heads: 2,
            lr: 1e-3,
            lr_min: 1e-3,
            eval_ebn0_db: vec![4.0],
            eval_min_frame_errors: 1,
            eval_min_frames: 8,
            eval_max_frames: 8,
            eval_batch: 8,
            ..TrainConfig::official(code, 1, 8, out_dir)
        }
    }

    #[test]
    fn resume_continues_bit_for_bit_and_refuses_another_model() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let straight = tiny(&dir.path().join("a"), 3);
        let s = train(&straight, &mut |_| {})?;
        assert_eq!((s.epochs, s.steps, s.epoch_losses.len()), (3, 15, 3));
        train(&tiny(&dir.path().join("b"), 1), &mut |_| {})?;
        let rest = TrainConfig { resume: true, ..tiny(&dir.path().join("b"), 3) };
        let r = train(&rest, &mut |_| {})?;
        assert_eq!((r.steps, r.epoch_losses.as_slice()), (15, &s.epoch_losses[1..]), "this invocation's epochs");
        assert_eq!(r.eval, s.eval);
        let code = LdpcCode::from_file(&straight.code_path)?;
        let (a, _) = load_model(&weights_in(&straight.out_dir), &code, &Device::Cpu)?;
        let (b, meta) = load_model(&weights_in(&rest.out_dir), &code, &Device::Cpu)?;
        assert_eq!(meta.trained_steps, 15);
        for ((n, x), (_, y)) in a.named_parameters().iter().zip(b.named_parameters()) {
            assert_eq!(x.flatten_all()?.to_vec1::<f32>()?, y.flatten_all()?.to_vec1::<f32>()?, "{n} differs");
        }
        let wider = TrainConfig { resume: true, dim: 16, ..tiny(&dir.path().join("b"), 4) };
        let err = train(&wider, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("state.json") && err.contains("differs from requested"), "{err}");
        Ok(())
    }
}
