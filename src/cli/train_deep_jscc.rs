//! `sim train deep-jscc`: the Deep JSCC image baseline (Bourtsoulatze et al. 2019) on crops of the
//! training photographs (a thin layer over `neural::deep_jscc::train`, with progress and exact
//! `--resume`).

use std::path::PathBuf;

use clap::Args;
use neural::deep_jscc::model::DeepJsccConfig;
use neural::deep_jscc::train::{train_deep_jscc, DeepJsccProgress, DeepJsccTrainConfig};
use neural::{Channel, DeviceChoice};

use super::progress::TrainingProgress;
use super::train_args::{parse_channel, parse_device};

#[derive(Args)]
pub struct DeepJsccArgs {
    /// Folder with the photo set (default: the verified cache, fetched from PyPI if needed).
    #[arg(long)]
    pub photos: Option<PathBuf>,
    /// Bandwidth ratio k/n, complex channel uses per source value: 1/6 (c = 16) or 1/12 (c = 8);
    /// any ratio with c = 96·k/n whole.
    #[arg(long, default_value = "1/6", conflicts_with = "c")]
    pub ratio: String,
    /// Channels of the encoder's last convolution (sets the ratio to c/96 instead of --ratio).
    #[arg(long)]
    pub c: Option<usize>,
    /// Side of the square training tiles (a multiple of 4).
    #[arg(long, default_value_t = 32)]
    pub tile: usize,
    /// Training (and validation) SNR in dB, per real dimension (the paper's SNR is this + 3.01 dB).
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub snr_db: f64,
    /// awgn, or rayleigh (block fading, one gain per tile, perfect-CSI equalisation).
    #[arg(long, value_parser = parse_channel, default_value = "awgn")]
    pub channel: Channel,
    /// Optimizer steps in the plan.
    #[arg(long, default_value_t = 10000)]
    pub steps: u64,
    /// Tiles per step.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Adam's learning rate (the paper's 1e-3).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Learning rate at the last step, reached by a cosine (default: --lr, a constant rate).
    #[arg(long)]
    pub lr_min: Option<f64>,
    #[arg(long, default_value_t = 17)]
    pub seed: u64,
    /// Checkpoint every so many steps.
    #[arg(long, default_value_t = 250)]
    pub checkpoint_every: u64,
    /// Validate every so many steps.
    #[arg(long, default_value_t = 250)]
    pub eval_every: u64,
    /// Checkpoint folder (deep_jscc.safetensors, adam.safetensors, state.json).
    #[arg(long, default_value = "runs/deep-jscc")]
    pub out: PathBuf,
    /// Continue from the checkpoint in --out (bit for bit on the same machine and thread count).
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: DeviceChoice,
}

/// `"1/6"` → `(1, 6)`.
fn parse_ratio(s: &str) -> anyhow::Result<(usize, usize)> {
    let (num, den) = s.split_once('/').ok_or_else(|| anyhow::anyhow!("ratio '{s}': expected k/n, e.g. 1/6"))?;
    Ok((num.trim().parse()?, den.trim().parse()?))
}

pub fn run(a: DeepJsccArgs) -> anyhow::Result<()> {
    let model = match a.c {
        Some(c) => DeepJsccConfig { tile: a.tile, channels_c: c },
        None => {
            let (num, den) = parse_ratio(&a.ratio)?;
            DeepJsccConfig::for_ratio(a.tile, num, den).map_err(anyhow::Error::msg)?
        }
    };
    let mut cfg = DeepJsccTrainConfig::paper(&a.out);
    cfg.photos = a.photos;
    cfg.model = model;
    cfg.channel = a.channel;
    cfg.snr_db = a.snr_db;
    cfg.steps = a.steps;
    cfg.batch = a.batch;
    cfg.lr = a.lr;
    cfg.lr_min = a.lr_min.unwrap_or(a.lr);
    cfg.seed = a.seed;
    cfg.checkpoint_every = a.checkpoint_every;
    cfg.eval_every = a.eval_every;
    cfg.resume = a.resume;
    cfg.device = a.device;
    println!(
        "training Deep JSCC (tile {}, c {}, ratio {:.4}) on {} at {} dB for {} steps -> {}",
        model.tile,
        model.channels_c,
        model.ratio(),
        cfg.channel.name(),
        cfg.snr_db,
        cfg.steps,
        a.out.display()
    );
    let mut pb = TrainingProgress::new(cfg.steps);
    let mut last_val = None;
    let summary = train_deep_jscc(&cfg, &mut |p| match p {
        DeepJsccProgress::Step { step, mse, psnr_db, lr, tiles_per_s, .. } => {
            let val = last_val.map(|v: f64| format!(", validation {v:.2} dB")).unwrap_or_default();
            pb.step(step, format!("loss {mse:.5} MSE ({psnr_db:.2} dB), lr {lr:.2e}, {tiles_per_s:.1} tiles/s{val}"));
        }
        DeepJsccProgress::Eval { step, psnr_db, mse } => {
            last_val = Some(psnr_db);
            pb.line(format!("step {step}: validation PSNR {psnr_db:.3} dB (MSE {mse:.5})"));
        }
        DeepJsccProgress::Checkpoint { .. } => {}
    })?;
    pb.finish();
    println!(
        "done: {} parameters, {} steps, {:.0} s of training; {} photos, {} validation tiles",
        summary.parameters, summary.steps, summary.wall_s, summary.photos, summary.validation_tiles
    );
    println!("{:>8} {:>22}", "step", "validation PSNR (dB)");
    for p in &summary.eval_log {
        println!("{:>8} {:>22.3}", p.step, p.value);
    }
    println!("weights: {}", summary.weights_path.display());
    Ok(())
}
