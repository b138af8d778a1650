//! Training of Deep JSCC ([`crate::deep_jscc::model`]) on crops of the training photographs of the
//! fixed set (`source::image::photos`, [`Split::Train`]); the held-out photos are never read here.
//!
//! - Data: each photo as RGB in [0, 1] (grey photos replicated to three channels). The bottom
//!   `validation_fraction` of each photo's rows, rounded up to whole tiles, is held apart: its
//!   non-overlapping `T × T` tiles are the validation set. Step `t` draws `batch` crops from the rows
//!   above with a ChaCha stream seeded with `(seed, t)`: a photo uniformly, a position uniformly,
//!   and (with `augment`) a left–right mirror with probability 1/2; then the same stream draws the
//!   channel noise. So a step is a pure function of (seed, step) and resuming needs only the step.
//! - Loss: mean squared error between the tiles and their reconstructions after the channel
//!   (`crate::jscc::channel::effective_noise`: AWGN, or Rayleigh block fading with one gain per
//!   tile and perfect-CSI equalisation) at the fixed training SNR `snr_db`.
//! - Optimizer: Adam ([`crate::core::adam`], our own state), learning rate `lr` (the paper's 1e-3),
//!   optionally a cosine down to `lr_min` at `steps` (`lr_min` = `lr`: constant, the paper's).
//! - Validation: mean PSNR (dB, peak 1) over the validation tiles after the channel at `snr_db`, with
//!   the same noise at every evaluation (a stream seeded by `seed` alone).
//! - A task of the shared trainer ([`crate::core::trainer`]): checkpoints every `checkpoint_every`
//!   steps and at the end into `out_dir`: `deep_jscc.safetensors` (what [`DeepJscc::load`] reads),
//!   `adam.safetensors`, `state.json` (`config`, `trajectory`, `data_sha256`, `step`, `wall_s`,
//!   `train_log` (MSE), `eval_log` (PSNR dB)). `resume` continues bit for bit (same machine and
//!   thread count).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use source::image::io::load_png;
use source::image::photos::{photos, photos_dir, Split};

use crate::core::adam::Adam;
use crate::core::channel::Channel;
use crate::core::device::DeviceChoice;
use crate::core::trainer::{train_loop, warmup_cosine, Due, LossWindow, RunDir, TrainTask, WallClock};
use crate::deep_jscc::model::{planar_rgb, DeepJscc, DeepJsccConfig};
use crate::jscc::channel::{effective_noise, sigma_for_snr_db};

pub use crate::core::trainer::LogPoint;

pub const DEEP_JSCC_WEIGHTS_FILE: &str = "deep_jscc.safetensors";

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepJsccTrainConfig {
    /// Folder holding the photos (`None`: the verified cache, fetched if needed).
    pub photos: Option<PathBuf>,
    pub model: DeepJsccConfig,
    pub channel: Channel,
    /// Training (and validation) SNR, dB, per real dimension (`jscc::channel`'s convention).
    pub snr_db: f64,
    pub steps: u64,
    /// Tiles per step.
    pub batch: usize,
    pub lr: f64,
    /// Learning rate at `steps` (cosine from `lr`); equal to `lr` for a constant rate.
    pub lr_min: f64,
    pub seed: u64,
    /// Share of each photo's rows (the bottom ones, rounded up to whole tiles) held apart for validation.
    pub validation_fraction: f64,
    /// Mirror half of the crops left–right.
    pub augment: bool,
    pub checkpoint_every: u64,
    pub eval_every: u64,
    pub report_every: u64,
    pub device: DeviceChoice,
    pub out_dir: PathBuf,
    pub resume: bool,
}

impl DeepJsccTrainConfig {
    /// The paper's recipe at ratio 1/6 (c = 16), AWGN at 10 dB, batch 64, Adam at a constant 1e-3.
    pub fn paper(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            photos: None,
            model: DeepJsccConfig::default(),
            channel: Channel::Awgn,
            snr_db: 10.0,
            steps: 10000,
            batch: 64,
            lr: 1e-3,
            lr_min: 1e-3,
            seed: 17,
            validation_fraction: 0.1,
            augment: true,
            checkpoint_every: 250,
            eval_every: 250,
            report_every: 10,
            device: DeviceChoice::Cpu,
            out_dir: out_dir.into(),
            resume: false,
        }
    }

    /// Learning rate at step `step` (0-based).
    pub fn lr_at(&self, step: u64) -> f64 {
        warmup_cosine(step, 0, self.steps, self.lr, self.lr_min)
    }

    /// The fields that define the trajectory (not `steps`: a run can be extended on resume; with
    /// `lr_min` < `lr` the cosine is then re-planned).
    fn trajectory_key(&self) -> String {
        serde_json::json!({
            "model": self.model, "channel": self.channel, "snr_db": self.snr_db, "batch": self.batch,
            "lr": self.lr, "lr_min": self.lr_min, "seed": self.seed,
            "validation_fraction": self.validation_fraction, "augment": self.augment,
        })
        .to_string()
    }
}

/// Reports handed to the progress callback.
#[derive(Debug, Clone)]
pub enum DeepJsccProgress {
    /// Mean training MSE since the last report (and its PSNR, dB).
    Step {
        step: u64,
        total: u64,
        mse: f64,
        psnr_db: f64,
        lr: f64,
        tiles_per_s: f64,
    },
    /// Validation: mean PSNR over the validation tiles (dB) and their mean MSE.
    Eval {
        step: u64,
        psnr_db: f64,
        mse: f64,
    },
    Checkpoint {
        step: u64,
        path: PathBuf,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunState {
    config: DeepJsccTrainConfig,
    trajectory: String,
    data_sha256: String,
    step: u64,
    wall_s: f64,
    /// Mean training MSE per report.
    train_log: Vec<LogPoint>,
    /// Validation PSNR (dB).
    eval_log: Vec<LogPoint>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct DeepJsccSummary {
    pub parameters: usize,
    pub steps: u64,
    pub wall_s: f64,
    pub data_sha256: String,
    pub photos: usize,
    pub validation_tiles: usize,
    pub train_log: Vec<LogPoint>,
    pub eval_log: Vec<LogPoint>,
    pub weights_path: PathBuf,
}

/// One photo as planar RGB in [0, 1] (`3 × height × width`), and how many of its rows are for training.
#[derive(Debug, Clone)]
pub struct PhotoPlanes {
    pub width: usize,
    pub height: usize,
    pub planes: Vec<f32>,
    pub train_rows: usize,
}

impl PhotoPlanes {
    /// From interleaved 8-bit pixels with 1 (replicated) or 3 channels.
    pub fn from_pixels(pixels: &[u8], width: usize, height: usize, channels: usize, train_rows: usize) -> Self {
        debug_assert_eq!(pixels.len(), width * height * channels);
        Self { width, height, planes: planar_rgb(pixels, channels), train_rows }
    }

    /// Appends the `tile × tile` crop at `(x0, y0)` (mirrored left–right if `mirror`) as `3 × T × T`.
    pub fn push_crop(&self, x0: usize, y0: usize, tile: usize, mirror: bool, out: &mut Vec<f32>) {
        for c in 0..3 {
            let plane = &self.planes[c * self.width * self.height..(c + 1) * self.width * self.height];
            for y in y0..y0 + tile {
                let row = &plane[y * self.width + x0..y * self.width + x0 + tile];
                if mirror {
                    out.extend(row.iter().rev());
                } else {
                    out.extend_from_slice(row);
                }
            }
        }
    }
}

/// The training photos of `dir` as [`PhotoPlanes`] (the bottom rows held apart per
/// `validation_fraction` and `tile`), their validation tiles (`n × 3 × T × T`), and a SHA-256 over
/// the photos' names and pixels (the data identity a checkpoint records).
pub fn training_data(
    dir: &Path,
    tile: usize,
    validation_fraction: f64,
) -> Result<(Vec<PhotoPlanes>, Vec<f32>, String)> {
    let mut hash = Sha256::new();
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for photo in photos(Split::Train) {
        let image = load_png(&dir.join(photo.file_name()))?;
        hash.update(photo.name.as_bytes());
        hash.update(&image.pixels);
        let (w, h, c) = (image.width as usize, image.height as usize, image.channels as usize);
        if c != 1 && c != 3 {
            bail!("{}: {c} channels, expected grey or RGB", photo.name);
        }
        let held_tiles = (h as f64 * validation_fraction / tile as f64).ceil() as usize;
        let held = held_tiles * tile;
        if w < tile || h < held + tile {
            bail!("{}: {w}×{h} is too small for {tile}×{tile} tiles and {held} held-apart rows", photo.name);
        }
        let planes = PhotoPlanes::from_pixels(&image.pixels, w, h, c, h - held);
        for ty in 0..held_tiles {
            for tx in 0..w / tile {
                planes.push_crop(tx * tile, h - held + ty * tile, tile, false, &mut val);
            }
        }
        train.push(planes);
    }
    Ok((train, val, format!("{:x}", hash.finalize())))
}

/// The ChaCha stream of step `step`: crops, then channel noise.
fn step_rng(seed: u64, step: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ step)
}

/// The `batch` training crops of one step (`batch × 3 × T × T`), drawn from `rng`.
fn draw_crops(photos: &[PhotoPlanes], tile: usize, batch: usize, augment: bool, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut out = Vec::with_capacity(batch * 3 * tile * tile);
    for _ in 0..batch {
        let p = &photos[rng.random_range(0..photos.len())];
        let y0 = rng.random_range(0..=p.train_rows - tile);
        let x0 = rng.random_range(0..=p.width - tile);
        let mirror = augment && rng.random_bool(0.5);
        p.push_crop(x0, y0, tile, mirror, &mut out);
    }
    out
}

/// Tiles `(B, 3, T, T)` through encoder, channel (noise drawn from `rng`) and decoder.
fn transmit(model: &DeepJscc, tiles: &Tensor, channel: Channel, sigma: f64, rng: &mut ChaCha8Rng) -> Result<Tensor> {
    let z = model.encode_tensor(tiles)?;
    let (b, k) = z.dims2()?;
    let noise = Tensor::from_vec(effective_noise(channel, b, 1, k, sigma, rng), (b, k), model.device())?;
    Ok(model.decode_tensor(&(z + noise)?)?)
}

/// Mean PSNR (dB, peak 1) and mean MSE of `tiles` (`n × 3 × T × T`) after the channel at `snr_db`,
/// the noise drawn from `rng`, in chunks of 64 tiles.
pub fn evaluate(
    model: &DeepJscc,
    tiles: &[f32],
    channel: Channel,
    snr_db: f64,
    rng: &mut ChaCha8Rng,
) -> Result<(f64, f64)> {
    let t = model.config().tile;
    let per = 3 * t * t;
    let n = tiles.len() / per;
    let sigma = sigma_for_snr_db(snr_db);
    let (mut psnr, mut mse) = (0f64, 0f64);
    for chunk in tiles.chunks(64 * per) {
        let b = chunk.len() / per;
        let x = Tensor::from_slice(chunk, (b, 3, t, t), model.device())?;
        let y = transmit(model, &x, channel, sigma, rng)?.detach();
        let per_tile = (y - &x)?.sqr()?.flatten_from(1)?.mean(1)?.to_vec1::<f32>()?;
        for m in per_tile {
            let m = (m as f64).max(1e-10);
            mse += m;
            psnr += 10.0 * (1.0 / m).log10();
        }
    }
    Ok((psnr / n.max(1) as f64, mse / n.max(1) as f64))
}

/// The validation noise stream: the same at every evaluation of a run.
fn validation_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_0f7a_11da_7e00)
}

/// Trains (or resumes) per `config`.
pub fn train_deep_jscc(
    config: &DeepJsccTrainConfig,
    progress: &mut dyn FnMut(DeepJsccProgress),
) -> Result<DeepJsccSummary> {
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
    let lr_ok = config.lr > 0.0 && config.lr_min > 0.0 && config.lr_min <= config.lr;
    if !config.snr_db.is_finite() || !lr_ok {
        bail!(
            "SNR must be finite and 0 < lr_min <= lr (snr {} dB, lr {}, lr_min {})",
            config.snr_db,
            config.lr,
            config.lr_min
        );
    }
    let device: Device = config.device.device()?;
    let dir = match &config.photos {
        Some(d) => d.clone(),
        None => photos_dir(false)?,
    };
    let (train, val, data_sha) = training_data(&dir, config.model.tile, config.validation_fraction)?;
    let run = RunDir::create(&config.out_dir, DEEP_JSCC_WEIGHTS_FILE)?;
    let weights_path = run.weights_path().to_path_buf();

    let (model, adam, state) = if let Some(mut state) = run.resume_state::<RunState>(config.resume)? {
        run.check_trajectory(&state.trajectory, &config.trajectory_key())?;
        run.check_data(&state.data_sha256, &dir, &data_sha)?;
        let model = DeepJscc::load(&weights_path, &device)?;
        let adam = run.load_adam(model.named_parameters(), state.step)?;
        state.config = config.clone();
        (model, adam, state)
    } else {
        let model = DeepJscc::new(config.model, config.seed, &device)?;
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
    let mut task = DeepJsccTask {
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
    let DeepJsccTask { model, state, .. } = task;
    Ok(DeepJsccSummary {
        parameters: model.parameter_count(),
        steps: state.step,
        wall_s: state.wall_s,
        data_sha256: state.data_sha256,
        photos: train.len(),
        validation_tiles: val.len() / config.model.source_values_per_tile(),
        train_log: state.train_log,
        eval_log: state.eval_log,
        weights_path,
    })
}

/// Deep JSCC as a [`TrainTask`]: each step's crops and noise are a pure function of (seed, step),
/// so the run state needs no RNG position.
struct DeepJsccTask<'a> {
    config: &'a DeepJsccTrainConfig,
    run: RunDir,
    device: Device,
    clock: WallClock,
    model: DeepJscc,
    adam: Adam,
    state: RunState,
    train: &'a [PhotoPlanes],
    val: &'a [f32],
    /// Summed per-step MSE × batch, and tiles, since the last report.
    window: LossWindow,
    /// Learning rate of the last step.
    lr: f64,
}

impl TrainTask for DeepJsccTask<'_> {
    type Event = DeepJsccProgress;

    fn finished(&self) -> bool {
        self.state.step >= self.config.steps
    }

    fn step(&mut self) -> Result<Due> {
        let config = self.config;
        let step = self.state.step;
        let t = config.model.tile;
        let mut rng = step_rng(config.seed, step);
        let crops = draw_crops(self.train, t, config.batch, config.augment, &mut rng);
        let x = Tensor::from_vec(crops, (config.batch, 3, t, t), &self.device)?;
        let y = transmit(&self.model, &x, config.channel, sigma_for_snr_db(config.snr_db), &mut rng)?;
        let loss = (y - &x)?.sqr()?.mean_all()?;
        let grads = loss.backward()?;
        let lr = config.lr_at(step);
        self.adam.step(self.model.named_parameters(), &grads, lr)?;
        let mse = loss.to_scalar::<f32>()? as f64;
        if !mse.is_finite() {
            bail!("training diverged at step {step}: loss {mse}");
        }
        self.window.add(mse * config.batch as f64, config.batch as f64);
        self.lr = lr;
        self.state.step += 1;
        self.state.wall_s = self.clock.total_s();
        Ok(Due::every(self.state.step, config.steps, config.report_every, config.eval_every, config.checkpoint_every))
    }

    fn report(&mut self, progress: &mut dyn FnMut(DeepJsccProgress)) -> Result<()> {
        let state = &mut self.state;
        let mse = self.window.sum / self.window.units;
        state.train_log.push(LogPoint { step: state.step, value: mse, wall_s: state.wall_s });
        progress(DeepJsccProgress::Step {
            step: state.step,
            total: self.config.steps,
            mse,
            psnr_db: 10.0 * (1.0 / mse.max(1e-10)).log10(),
            lr: self.lr,
            tiles_per_s: self.window.units_per_s(),
        });
        self.window = LossWindow::new();
        Ok(())
    }

    fn evaluate(&mut self, progress: &mut dyn FnMut(DeepJsccProgress)) -> Result<()> {
        let c = self.config;
        let (psnr_db, mse) = evaluate(&self.model, self.val, c.channel, c.snr_db, &mut validation_rng(c.seed))?;
        let state = &mut self.state;
        state.eval_log.push(LogPoint { step: state.step, value: psnr_db, wall_s: state.wall_s });
        progress(DeepJsccProgress::Eval { step: state.step, psnr_db, mse });
        Ok(())
    }

    fn checkpoint(&mut self, progress: &mut dyn FnMut(DeepJsccProgress)) -> Result<()> {
        let (config, state) = (self.config, &self.state);
        let training = serde_json::json!({
            "data": "scikit-image 0.24.0 training photos",
            "data_sha256": state.data_sha256,
            "validation_fraction": config.validation_fraction,
            "augment": config.augment,
            "channel": config.channel,
            "snr_db": config.snr_db,
            "ratio": config.model.ratio(),
            "steps": state.step,
            "planned_steps": config.steps,
            "batch": config.batch,
            "lr": config.lr, "lr_min": config.lr_min, "seed": config.seed,
            "validation_psnr_db": state.eval_log.last().map(|p| p.value),
            "wall_s": state.wall_s,
        });
        self.run.save_checkpoint(|path| Ok(self.model.save(path, &training)?), &self.adam, state)?;
        progress(DeepJsccProgress::Checkpoint { step: state.step, path: self.run.weights_path().to_path_buf() });
        Ok(())
    }

    fn run_dir(&self) -> &RunDir {
        &self.run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(out: &Path, steps: u64) -> DeepJsccTrainConfig {
        DeepJsccTrainConfig {
            model: DeepJsccConfig { tile: 16, channels_c: 4 },
            steps,
            batch: 16,
            lr: 3e-3,
            lr_min: 3e-3,
            checkpoint_every: 5,
            eval_every: 1000,
            report_every: 1,
            ..DeepJsccTrainConfig::paper(out)
        }
    }

    /// Not a check: the mean PSNR of a trained model (`DEEP_JSCC_WEIGHTS`, e.g. a run folder's
    /// `deep_jscc.safetensors`) over the non-overlapping tiles of the held-out photos, at its
    /// training channel and SNR (`DEEP_JSCC_SNR_DB` to override), printed. Run with
    /// `cargo test -p lmsscc-neural --lib held_out_psnr -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn held_out_psnr_of_a_trained_model() -> Result<()> {
        let path = std::env::var("DEEP_JSCC_WEIGHTS").expect("set DEEP_JSCC_WEIGHTS");
        let model = DeepJscc::load(Path::new(&path), &Device::Cpu)?;
        let training = model.training().clone();
        let channel: Channel = serde_json::from_value(training["channel"].clone())?;
        let snr_db = match std::env::var("DEEP_JSCC_SNR_DB") {
            Ok(s) => s.parse()?,
            Err(_) => training["snr_db"].as_f64().expect("snr_db in the training metadata"),
        };
        let t = model.config().tile;
        let dir = photos_dir(false)?;
        let (mut all, mut n) = (0f64, 0usize);
        for photo in photos(Split::HeldOut) {
            let image = load_png(&dir.join(photo.file_name()))?;
            let (w, h) = (image.width as usize, image.height as usize);
            let planes = PhotoPlanes::from_pixels(&image.pixels, w, h, image.channels as usize, h);
            let mut tiles = Vec::new();
            for ty in 0..h / t {
                for tx in 0..w / t {
                    planes.push_crop(tx * t, ty * t, t, false, &mut tiles);
                }
            }
            let count = tiles.len() / (3 * t * t);
            let (psnr, mse) = evaluate(&model, &tiles, channel, snr_db, &mut validation_rng(0))?;
            println!("{:<10} {count:>4} tiles: PSNR {psnr:.2} dB (mean MSE {mse:.5})", photo.name);
            all += psnr * count as f64;
            n += count;
        }
        println!(
            "held-out photos, {} at {snr_db} dB, steps {}: mean PSNR {:.2} dB over {n} tiles",
            channel.name(),
            training["steps"],
            all / n as f64
        );
        Ok(())
    }

    #[test]
    fn rayleigh_training_runs_and_validates() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let config = DeepJsccTrainConfig { channel: Channel::Rayleigh, ..tiny(dir.path(), 6) };
        let summary = train_deep_jscc(&config, &mut |_| {})?;
        assert_eq!(summary.steps, 6);
        assert!(summary.train_log.iter().all(|p| p.value.is_finite()));
        assert!(summary.eval_log[0].value.is_finite() && summary.eval_log[0].value > 5.0, "{:?}", summary.eval_log);
        assert!(DeepJscc::load(&summary.weights_path, &Device::Cpu)?.training()["channel"] == "rayleigh");
        Ok(())
    }

    #[test]
    fn crops_cover_three_channels_and_mirror() {
        let pixels: Vec<u8> = (0..4 * 6).map(|i| i as u8).collect(); // grey 4 wide, 6 high
        let p = PhotoPlanes::from_pixels(&pixels, 4, 6, 1, 6);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        p.push_crop(1, 2, 2, false, &mut a);
        p.push_crop(1, 2, 2, true, &mut b);
        let v = |i: u8| i as f32 / 255.0;
        assert_eq!(&a[..4], &[v(9), v(10), v(13), v(14)]);
        assert_eq!(&a[4..8], &a[..4]);
        assert_eq!(&b[..4], &[v(10), v(9), v(14), v(13)]);
    }

    #[test]
    fn loss_falls_and_resume_continues_bit_for_bit() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let config = tiny(&dir.path().join("a"), 60);
        // Validation PSNR of the untrained model (the run's first evaluation is after its last step).
        let (_, val, _) = training_data(&photos_dir(false)?, config.model.tile, config.validation_fraction)?;
        let fresh = DeepJscc::new(config.model, config.seed, &Device::Cpu)?;
        let (before, _) = evaluate(&fresh, &val, config.channel, config.snr_db, &mut validation_rng(config.seed))?;
        let mut losses = Vec::new();
        let straight = train_deep_jscc(&config, &mut |p| {
            if let DeepJsccProgress::Step { mse, .. } = p {
                losses.push(mse)
            }
        })?;
        assert_eq!(straight.eval_log.len(), 1);
        let after = straight.eval_log[0].value;
        let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len() as f64;
        let (first, last) = (mean(&losses[..10]), mean(&losses[50..]));
        assert!(after > before + 2.0 && last < 0.8 * first, "PSNR {before} -> {after} dB, MSE {first} -> {last}");
        // 25 steps, then resume to 60: the same weights, bit for bit.
        train_deep_jscc(&tiny(&dir.path().join("b"), 25), &mut |_| {})?;
        let resumed =
            train_deep_jscc(&DeepJsccTrainConfig { resume: true, ..tiny(&dir.path().join("b"), 60) }, &mut |_| {})?;
        assert_eq!(resumed.steps, 60);
        let a = DeepJscc::load(&straight.weights_path, &Device::Cpu)?;
        let b = DeepJscc::load(&resumed.weights_path, &Device::Cpu)?;
        for ((n, x), (_, y)) in a.named_parameters().iter().zip(b.named_parameters()) {
            let (x, y) = (x.flatten_all()?.to_vec1::<f32>()?, y.flatten_all()?.to_vec1::<f32>()?);
            assert!(x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()), "{n} differs");
        }
        // Other settings are refused on resume.
        let other = DeepJsccTrainConfig { resume: true, snr_db: 3.0, ..tiny(&dir.path().join("b"), 70) };
        let err = train_deep_jscc(&other, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("different settings") && err.contains("snr_db"), "{err}");
        Ok(())
    }
}
