//! Training of the image LM ([`crate::image_lm::model`]) on the training photographs of the fixed
//! set (`source::image::photos`, [`Split::Train`]); the held-out photos are never read here.
//!
//! - Data: every subpixel of every training photo, as (causal features, MED prediction, level).
//!   The bottom `validation_fraction` of each photo's rows is held out for validation (bits per
//!   subpixel); the rest is trained on. The training order is a pure function of (seed, step):
//!   step `t` draws `batch` subpixels uniformly with a ChaCha stream seeded with `(seed, t)`, so
//!   resuming needs only the step count.
//! - Optimizer: Adam ([`crate::core::adam`], our own state); learning rate linear warm-up over
//!   `warmup` steps, then cosine from `lr` to `lr_min` at `steps`.
//! - A task of the shared trainer ([`crate::core::trainer`]): checkpoints every `checkpoint_every`
//!   steps and at the end into `out_dir`: `image_lm.safetensors` (the file
//!   `source::image::lm::ImageLm` loads), `adam.safetensors`, `state.json` (`config`, `trajectory`,
//!   `data_sha256`, `step`, `wall_s`, `train_log`, `eval_log`). `resume` continues bit for bit
//!   (same machine and thread count).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use candle_core::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use source::image::context::{Causal, FEATURES};
use source::image::io::load_png;
use source::image::photos::{photos, photos_dir, Split};

use crate::core::adam::Adam;
use crate::core::device::DeviceChoice;
use crate::core::trainer::{train_loop, warmup_cosine, Due, LossWindow, RunDir, TrainTask, WallClock};
use crate::image_lm::model::{batch_tensors, ImageLm, ImageLmConfig};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageLmTrainConfig {
    /// Folder holding the photos (`None`: the verified cache, fetched if needed).
    pub photos: Option<PathBuf>,
    pub model: ImageLmConfig,
    pub steps: u64,
    /// Subpixels per step.
    pub batch: usize,
    pub lr: f64,
    pub lr_min: f64,
    pub warmup: u64,
    pub seed: u64,
    /// Share of each photo's rows (the bottom ones) held out for validation.
    pub validation_fraction: f64,
    /// Also train on each photo mirrored left–right, and on the luma of each colour photo as a grey
    /// image (validation stays on the photos as they are).
    pub augment: bool,
    pub checkpoint_every: u64,
    pub eval_every: u64,
    pub report_every: u64,
    pub device: DeviceChoice,
    pub out_dir: PathBuf,
    pub resume: bool,
}

impl ImageLmTrainConfig {
    /// The recipe of the shipped model.
    pub fn photos(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            photos: None,
            model: ImageLmConfig::small(),
            steps: 12000,
            batch: 4096,
            lr: 3e-3,
            lr_min: 1e-4,
            warmup: 100,
            seed: 11,
            validation_fraction: 0.1,
            augment: true,
            checkpoint_every: 200,
            eval_every: 500,
            report_every: 20,
            device: DeviceChoice::Cpu,
            out_dir: out_dir.into(),
            resume: false,
        }
    }

    /// Learning rate at step `step` (0-based).
    pub fn lr_at(&self, step: u64) -> f64 {
        warmup_cosine(step, self.warmup, self.steps, self.lr, self.lr_min)
    }

    /// The fields that define the trajectory (not `steps`: a run can be extended on resume).
    fn trajectory_key(&self) -> String {
        serde_json::json!({
            "model": self.model, "batch": self.batch, "lr": self.lr, "lr_min": self.lr_min,
            "warmup": self.warmup, "seed": self.seed, "validation_fraction": self.validation_fraction,
            "augment": self.augment,
        })
        .to_string()
    }
}

/// Reports handed to the progress callback.
#[derive(Debug, Clone)]
pub enum ImageLmProgress {
    /// Mean training loss (bits per subpixel) since the last report.
    Step {
        step: u64,
        total: u64,
        bits_per_subpixel: f64,
        lr: f64,
        subpixels_per_s: f64,
    },
    /// Validation bits per subpixel.
    Eval {
        step: u64,
        bits_per_subpixel: f64,
    },
    Checkpoint {
        step: u64,
        path: PathBuf,
    },
}

pub use crate::core::trainer::LogPoint;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunState {
    config: ImageLmTrainConfig,
    trajectory: String,
    data_sha256: String,
    step: u64,
    wall_s: f64,
    train_log: Vec<LogPoint>,
    eval_log: Vec<LogPoint>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct ImageLmSummary {
    pub parameters: usize,
    pub steps: u64,
    pub wall_s: f64,
    pub data_sha256: String,
    pub train_subpixels: usize,
    pub validation_subpixels: usize,
    pub train_log: Vec<LogPoint>,
    pub eval_log: Vec<LogPoint>,
    pub weights_path: PathBuf,
}

pub const IMAGE_LM_WEIGHTS_FILE: &str = "image_lm.safetensors";

/// Subpixels as model inputs: features `(n × FEATURES)`, MED predictions and levels.
#[derive(Debug, Clone, Default)]
pub struct Subpixels {
    pub features: Vec<f32>,
    pub base: Vec<f32>,
    pub target: Vec<f32>,
}

impl Subpixels {
    pub fn len(&self) -> usize {
        self.base.len()
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    /// Appends the subpixels of rows `rows` of an image.
    pub fn push_rows(
        &mut self,
        pixels: &[u8],
        width: usize,
        height: usize,
        channels: usize,
        rows: std::ops::Range<usize>,
    ) {
        let causal = Causal::new(pixels, width, height, channels);
        let mut f = [0f32; FEATURES];
        for y in rows {
            for x in 0..width {
                for c in 0..channels {
                    let base = causal.features(y, x, c, &mut f);
                    self.features.extend_from_slice(&f);
                    self.base.push(base as f32);
                    self.target.push(pixels[(y * width + x) * channels + c] as f32);
                }
            }
        }
    }

    fn gather(&self, idx: &[usize]) -> Subpixels {
        let mut out = Subpixels {
            features: Vec::with_capacity(idx.len() * FEATURES),
            base: Vec::with_capacity(idx.len()),
            target: Vec::with_capacity(idx.len()),
        };
        for &i in idx {
            out.features.extend_from_slice(&self.features[i * FEATURES..(i + 1) * FEATURES]);
            out.base.push(self.base[i]);
            out.target.push(self.target[i]);
        }
        out
    }
}

/// `pixels` (`width × height × channels`) mirrored left–right.
fn mirrored(pixels: &[u8], width: usize, channels: usize) -> Vec<u8> {
    pixels.chunks_exact(width * channels).flat_map(|row| row.chunks_exact(channels).rev().flatten().copied()).collect()
}

/// The luma of an RGB image, ITU-R BT.601 weights in integers: `(299 R + 587 G + 114 B + 500) / 1000`.
fn luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| ((299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32 + 500) / 1000) as u8)
        .collect()
}

/// The training and validation subpixels of the training photos in `dir` (with `augment`, also
/// mirrored and luma versions of the training rows), and a SHA-256 over the photos' names and
/// pixels (the data identity a checkpoint records).
pub fn training_data(dir: &Path, validation_fraction: f64, augment: bool) -> Result<(Subpixels, Subpixels, String)> {
    let (mut train, mut val) = (Subpixels::default(), Subpixels::default());
    let mut hash = Sha256::new();
    for photo in photos(Split::Train) {
        let image = load_png(&dir.join(photo.file_name()))?;
        hash.update(photo.name.as_bytes());
        hash.update(&image.pixels);
        let (w, h, c) = (image.width as usize, image.height as usize, image.channels as usize);
        let cut = h - ((h as f64 * validation_fraction).round() as usize).min(h - 1);
        train.push_rows(&image.pixels, w, h, c, 0..cut);
        val.push_rows(&image.pixels, w, h, c, cut..h);
        if augment {
            train.push_rows(&mirrored(&image.pixels, w, c), w, h, c, 0..cut);
            if c == 3 {
                let grey = luma(&image.pixels);
                train.push_rows(&grey, w, h, 1, 0..cut);
                train.push_rows(&mirrored(&grey, w, 1), w, h, 1, 0..cut);
            }
        }
    }
    Ok((train, val, format!("{:x}", hash.finalize())))
}

/// Mean bits per subpixel of `data` under `model`.
pub fn evaluate(model: &ImageLm, data: &Subpixels) -> Result<f64> {
    let chunk = 1 << 16;
    let mut nats = 0f64;
    for start in (0..data.len()).step_by(chunk) {
        let end = (start + chunk).min(data.len());
        let (f, b, t) = batch_tensors(
            &data.features[start * FEATURES..end * FEATURES],
            &data.base[start..end],
            &data.target[start..end],
            model.device(),
        )?;
        let out = model.forward(&f)?.detach();
        nats += model.nll(&out, &b, &t)?.sum_all()?.to_scalar::<f32>()? as f64;
    }
    Ok(nats / std::f64::consts::LN_2 / data.len().max(1) as f64)
}

/// The subpixels of step `step`: a pure function of (seed, step).
fn step_indices(seed: u64, step: u64, batch: usize, len: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ step);
    (0..batch).map(|_| rng.random_range(0..len)).collect()
}

/// Trains (or resumes) per `config`.
pub fn train_image_lm(
    config: &ImageLmTrainConfig,
    progress: &mut dyn FnMut(ImageLmProgress),
) -> Result<ImageLmSummary> {
    config.model.validate().map_err(anyhow::Error::msg)?;
    if config.steps == 0 || config.batch == 0 || config.checkpoint_every == 0 {
        bail!("steps, batch and checkpoint interval must be positive");
    }
    if config.report_every == 0 || config.eval_every == 0 {
        bail!("report and evaluation intervals must be positive");
    }
    if !(0.0..0.5).contains(&config.validation_fraction) {
        bail!("validation fraction {} is not in [0, 0.5)", config.validation_fraction);
    }
    let device: Device = config.device.device()?;
    let dir = match &config.photos {
        Some(d) => d.clone(),
        None => photos_dir(false)?,
    };
    let (train, val, data_sha) = training_data(&dir, config.validation_fraction, config.augment)?;
    let run = RunDir::create(&config.out_dir, IMAGE_LM_WEIGHTS_FILE)?;
    let weights_path = run.weights_path().to_path_buf();

    let (model, adam, state) = if let Some(mut state) = run.resume_state::<RunState>(config.resume)? {
        run.check_trajectory(&state.trajectory, &config.trajectory_key())?;
        run.check_data(&state.data_sha256, &dir, &data_sha)?;
        let (model, _) = ImageLm::load(&weights_path, &device)?;
        let adam = run.load_adam(model.named_parameters(), state.step)?;
        state.config = config.clone();
        (model, adam, state)
    } else {
        let model = ImageLm::new(config.model, config.seed, &device)?;
        let adam = Adam::new(model.named_parameters())?;
        let state = RunState {
            config: config.clone(),
            trajectory: config.trajectory_key(),
            data_sha256: data_sha.clone(),
            step: 0,
            wall_s: 0.0,
            train_log: Vec::new(),
            eval_log: Vec::new(),
        };
        (model, adam, state)
    };
    let mut task = ImageLmTask {
        config,
        run,
        device,
        clock: WallClock::resume_from(state.wall_s),
        model,
        adam,
        state,
        train: &train,
        val: &val,
        window: LossWindow::new(),
        lr: config.lr_at(0),
    };
    train_loop(&mut task, progress)?;
    let ImageLmTask { model, state, .. } = task;
    Ok(ImageLmSummary {
        parameters: model.parameter_count(),
        steps: state.step,
        wall_s: state.wall_s,
        data_sha256: state.data_sha256,
        train_subpixels: train.len(),
        validation_subpixels: val.len(),
        train_log: state.train_log,
        eval_log: state.eval_log,
        weights_path,
    })
}

/// The image LM as a [`TrainTask`]: each step's subpixels are a pure function of (seed, step), so
/// the run state needs no RNG position.
struct ImageLmTask<'a> {
    config: &'a ImageLmTrainConfig,
    run: RunDir,
    device: Device,
    clock: WallClock,
    model: ImageLm,
    adam: Adam,
    state: RunState,
    train: &'a Subpixels,
    val: &'a Subpixels,
    /// Nats and subpixels since the last report.
    window: LossWindow,
    /// Learning rate of the last step.
    lr: f64,
}

impl TrainTask for ImageLmTask<'_> {
    type Event = ImageLmProgress;

    fn finished(&self) -> bool {
        self.state.step >= self.config.steps
    }

    fn step(&mut self) -> Result<Due> {
        let config = self.config;
        let step = self.state.step;
        let batch = self.train.gather(&step_indices(config.seed, step, config.batch, self.train.len()));
        let (f, b, t) = batch_tensors(&batch.features, &batch.base, &batch.target, &self.device)?;
        let model = &self.model;
        let nll = model.nll(&model.forward(&f)?, &b, &t)?.sum_all()?;
        let loss = (&nll / config.batch as f64)?;
        let grads = loss.backward()?;
        let lr = config.lr_at(step);
        self.adam.step(model.named_parameters(), &grads, lr)?;
        let nats = nll.to_scalar::<f32>()? as f64;
        if !nats.is_finite() {
            bail!("training diverged at step {step}: loss {nats}");
        }
        self.window.add(nats, config.batch as f64);
        self.lr = lr;
        self.state.step += 1;
        self.state.wall_s = self.clock.total_s();
        Ok(Due::every(self.state.step, config.steps, config.report_every, config.eval_every, config.checkpoint_every))
    }

    fn report(&mut self, progress: &mut dyn FnMut(ImageLmProgress)) -> Result<()> {
        let state = &mut self.state;
        let bits = self.window.sum / std::f64::consts::LN_2 / self.window.units;
        state.train_log.push(LogPoint { step: state.step, value: bits, wall_s: state.wall_s });
        progress(ImageLmProgress::Step {
            step: state.step,
            total: self.config.steps,
            bits_per_subpixel: bits,
            lr: self.lr,
            subpixels_per_s: self.window.units_per_s(),
        });
        self.window = LossWindow::new();
        Ok(())
    }

    fn evaluate(&mut self, progress: &mut dyn FnMut(ImageLmProgress)) -> Result<()> {
        let bits = evaluate(&self.model, self.val)?;
        let state = &mut self.state;
        state.eval_log.push(LogPoint { step: state.step, value: bits, wall_s: state.wall_s });
        progress(ImageLmProgress::Eval { step: state.step, bits_per_subpixel: bits });
        Ok(())
    }

    fn checkpoint(&mut self, progress: &mut dyn FnMut(ImageLmProgress)) -> Result<()> {
        let (config, state) = (self.config, &self.state);
        let training = serde_json::json!({
            "data": "scikit-image 0.24.0 training photos",
            "data_sha256": state.data_sha256,
            "validation_fraction": config.validation_fraction,
            "augment": config.augment,
            "steps": state.step,
            "planned_steps": config.steps,
            "batch": config.batch,
            "lr": config.lr, "lr_min": config.lr_min, "warmup": config.warmup, "seed": config.seed,
            "validation_bits_per_subpixel": state.eval_log.last().map(|p| p.value),
            "wall_s": state.wall_s,
        });
        self.run.save_checkpoint(|path| Ok(self.model.save(path, &training)?), &self.adam, state)?;
        progress(ImageLmProgress::Checkpoint { step: state.step, path: self.run.weights_path().to_path_buf() });
        Ok(())
    }

    fn run_dir(&self) -> &RunDir {
        &self.run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(out: &Path, steps: u64) -> ImageLmTrainConfig {
        ImageLmTrainConfig {
            model: ImageLmConfig::tiny(),
            steps,
            batch: 256,
            // A constant rate, so that a run cut in two plans the same schedule as one straight run.
            lr: 3e-3,
            lr_min: 3e-3,
            warmup: 1,
            checkpoint_every: 5,
            eval_every: 1000,
            report_every: 1,
            augment: false,
            ..ImageLmTrainConfig::photos(out)
        }
    }

    #[test]
    fn loss_falls_and_resume_continues_bit_for_bit() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut losses = Vec::new();
        let straight = train_image_lm(&tiny(&dir.path().join("a"), 30), &mut |p| {
            if let ImageLmProgress::Step { bits_per_subpixel, .. } = p {
                losses.push(bits_per_subpixel)
            }
        })?;
        assert!(losses[0] > 6.0, "an untrained mixture costs several bits: {}", losses[0]);
        assert!(*losses.last().unwrap() < losses[0] - 1.5, "loss did not fall: {losses:?}");
        // 15 steps, then resume to 30: the same weights, byte for byte.
        train_image_lm(&tiny(&dir.path().join("b"), 15), &mut |_| {})?;
        let resumed =
            train_image_lm(&ImageLmTrainConfig { resume: true, ..tiny(&dir.path().join("b"), 30) }, &mut |_| {})?;
        assert_eq!(resumed.steps, 30);
        let (a, _) = ImageLm::load(&straight.weights_path, &Device::Cpu)?;
        let (b, _) = ImageLm::load(&resumed.weights_path, &Device::Cpu)?;
        for ((n, x), (_, y)) in a.named_parameters().iter().zip(b.named_parameters()) {
            assert_eq!(x.flatten_all()?.to_vec1::<f32>()?, y.flatten_all()?.to_vec1::<f32>()?, "{n} differs");
        }
        // Other settings are refused on resume.
        let other = ImageLmTrainConfig { resume: true, seed: 99, ..tiny(&dir.path().join("b"), 40) };
        let err = train_image_lm(&other, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("different settings"), "{err}");
        // The coder reads what the trainer wrote.
        source::image::lm::ImageLm::load(&straight.weights_path)?;
        Ok(())
    }
}
