//! `sim train source-lm ...` and `sim train ecct ...` (and the dispatch to `sim train deepsc|ut|ut-quant`, in
//! `train_jscc.rs`): the project's trainings, with progress
//! reports (`progress.rs`), checkpoints and exact `--resume` (both are thin layers over `neural::byte_lm::train` and
//! `neural::train`).

use std::path::PathBuf;

use super::progress::TrainingProgress;
use super::train_args::{parse_channel, parse_device};
use anyhow::Context;
use clap::{Args, Subcommand};
use neural::byte_lm::train::{train_lm, LmProgress, LmTrainConfig};
use neural::{train, Channel, DeviceChoice, Progress, TrainConfig};

#[derive(Subcommand)]
pub enum TrainCommand {
    /// Train the small byte-level source LM (the embedded `small-lm` coder) on a sentence file.
    SourceLm(SourceLmArgs),
    /// Train an ECCT decoder for a parity-check code.
    Ecct(EcctArgs),
    /// Train the next-subpixel image LM (the `image-lm` coder) on the training photographs.
    ImageLm(super::train_image::ImageLmArgs),
    /// Train the Deep JSCC image baseline (Bourtsoulatze et al. 2019) on crops of the training photographs.
    DeepJscc(super::train_deep_jscc::DeepJsccArgs),
    /// Train the DeepSC JSCC baseline on a sentence file.
    Deepsc(super::train_jscc::JsccArgs),
    /// Train the Universal Transformer JSCC baseline.
    Ut(super::train_jscc::JsccArgs),
    /// Train UT-quant (UT with 30 sign bits per word).
    UtQuant(super::train_jscc::JsccArgs),
    /// Learning curves (SVG/PNG) and log (CSV) of a JSCC run folder, also while it runs.
    Curve(super::train_jscc::CurveArgs),
    /// Write a DeepSC or UT checkpoint as the f16 file `sim run` ships.
    Export(super::train_jscc::ExportArgs),
    /// Write a DeepSC or UT weight file with some parameters multiplied by factors (an `--init`).
    Rescale(super::train_jscc::RescaleArgs),
}

#[derive(Args)]
pub struct SourceLmArgs {
    /// Training sentences, one per line (the last --validation lines are held out).
    #[arg(long, default_value = "../shared/data/europarl/train_sentences.txt")]
    pub data: PathBuf,
    /// Optimizer steps in the plan (the cosine learning-rate schedule ends here).
    #[arg(long, default_value_t = 3000)]
    pub steps: u64,
    /// Rows (messages) budget per step: rows × 256 positions.
    #[arg(long, default_value_t = 16)]
    pub batch_rows: usize,
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Last lines of --data held out for validation.
    #[arg(long, default_value_t = 1000)]
    pub validation: usize,
    /// Checkpoint folder (byte_lm.safetensors, adam.safetensors, state.json).
    #[arg(long, default_value = "runs/source-lm")]
    pub out: PathBuf,
    /// Continue from the checkpoint in --out (bit for bit on the same machine and thread count).
    #[arg(long)]
    pub resume: bool,
    /// Copy the final weights here (e.g. source/models/europarl-byte-lm.safetensors, then rebuild).
    #[arg(long)]
    pub export: Option<PathBuf>,
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: DeviceChoice,
}

#[derive(Args)]
pub struct EcctArgs {
    /// Parity-check matrix (alist or dense).
    #[arg(long)]
    pub code: PathBuf,
    #[arg(long, default_value_t = 6)]
    pub layers: usize,
    #[arg(long, default_value_t = 32)]
    pub dim: usize,
    #[arg(long, default_value_t = 8)]
    pub heads: usize,
    #[arg(long, value_parser = parse_channel, default_value = "awgn")]
    pub channel: Channel,
    /// Epochs (official: 1000).
    #[arg(long, default_value_t = 1000)]
    pub epochs: usize,
    /// Steps per epoch (official: 1000).
    #[arg(long, default_value_t = 1000)]
    pub steps_per_epoch: usize,
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Evaluation frame budget per Eb/N0 point (official: 1e5 frames and 100 frame errors).
    #[arg(long)]
    pub eval_max_frames: Option<u64>,
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Checkpoint folder.
    #[arg(long, default_value = "runs/ecct")]
    pub out: PathBuf,
    #[arg(long)]
    pub resume: bool,
    /// Fine-tune: start from these weights (same code and architecture, e.g. a shipped model) with
    /// a fresh optimizer and this run's schedule.
    #[arg(long)]
    pub init: Option<PathBuf>,
}

pub fn run(c: TrainCommand) -> anyhow::Result<()> {
    match c {
        TrainCommand::SourceLm(a) => source_lm(a),
        TrainCommand::Ecct(a) => ecct(a),
        TrainCommand::ImageLm(a) => super::train_image::run(a),
        TrainCommand::DeepJscc(a) => super::train_deep_jscc::run(a),
        TrainCommand::Deepsc(a) => super::train_jscc::run(super::train_jscc::JsccKind::DeepSc, a),
        TrainCommand::Ut(a) => super::train_jscc::run(super::train_jscc::JsccKind::Ut, a),
        TrainCommand::UtQuant(a) => super::train_jscc::run(super::train_jscc::JsccKind::UtQuant, a),
        TrainCommand::Curve(a) => super::train_jscc::run_curve(a),
        TrainCommand::Export(a) => super::train_jscc::run_export(a),
        TrainCommand::Rescale(a) => super::train_jscc::run_rescale(a),
    }
}

fn source_lm(a: SourceLmArgs) -> anyhow::Result<()> {
    let mut cfg = LmTrainConfig::europarl(&a.data, &a.out);
    cfg.steps = a.steps;
    cfg.batch_rows = a.batch_rows;
    cfg.lr = a.lr;
    cfg.seed = a.seed;
    cfg.validation_sentences = a.validation;
    cfg.resume = a.resume;
    cfg.device = a.device;
    println!(
        "training the byte-level source LM ({} parameters) on {} for {} steps -> {}",
        cfg.model.parameter_count(),
        a.data.display(),
        cfg.steps,
        a.out.display()
    );
    let mut pb = TrainingProgress::new(cfg.steps);
    let mut last_val = None;
    let summary = train_lm(&cfg, &mut |p| match p {
        LmProgress::Step { step, bits_per_symbol, lr, symbols_per_s, .. } => {
            let val = last_val.map(|v: f64| format!(", validation {v:.3} b/B")).unwrap_or_default();
            pb.step(step, format!("loss {bits_per_symbol:.3} bits/sym, lr {lr:.2e}, {symbols_per_s:.0} sym/s{val}"));
        }
        LmProgress::Eval { step, bits_per_byte } => {
            last_val = Some(bits_per_byte);
            pb.line(format!("step {step}: validation {bits_per_byte:.4} bits/byte"));
        }
        LmProgress::Checkpoint { .. } => {}
    })?;
    pb.finish();
    println!("done: {} steps, {:.0} s of training in total", summary.steps, summary.wall_s);
    println!("{:>8} {:>22}", "step", "validation bits/byte");
    for p in &summary.eval_log {
        println!("{:>8} {:>22.4}", p.step, p.value);
    }
    println!("weights: {}", summary.weights_path.display());
    if let Some(dst) = a.export {
        // Check that the coder reads the file before exporting it.
        source::small_lm::SmallLmCoder::load(&summary.weights_path)?;
        std::fs::copy(&summary.weights_path, &dst).with_context(|| format!("copying to {}", dst.display()))?;
        println!("exported to {} (rebuild to embed it)", dst.display());
    }
    Ok(())
}

fn ecct(a: EcctArgs) -> anyhow::Result<()> {
    let mut cfg = TrainConfig::official(&a.code, a.layers, a.dim, &a.out);
    cfg.heads = a.heads;
    cfg.channel = a.channel;
    cfg.epochs = a.epochs;
    cfg.steps_per_epoch = a.steps_per_epoch;
    cfg.batch_size = a.batch;
    cfg.lr = a.lr;
    cfg.seed = a.seed;
    cfg.device = a.device;
    cfg.resume = a.resume;
    cfg.init = a.init;
    if let Some(f) = a.eval_max_frames {
        cfg.eval_max_frames = f;
        cfg.eval_min_frames = cfg.eval_min_frames.min(f);
    }
    println!(
        "training ECCT N={} d={} on {} over {}: {} epochs x {} steps, batch {} -> {}",
        a.layers,
        a.dim,
        a.code.display(),
        a.channel.name(),
        a.epochs,
        a.steps_per_epoch,
        a.batch,
        a.out.display()
    );
    let mut pb = TrainingProgress::new((a.epochs * a.steps_per_epoch) as u64);
    let summary = train(&cfg, &mut |p| match p {
        Progress::Step { epoch, epochs, step, loss, lr, .. } => {
            pb.step(step, format!("epoch {epoch}/{epochs}, loss {loss:.3e}, lr {lr:.2e}"));
        }
        Progress::Epoch { epoch, mean_loss, wall_s, .. } => {
            pb.line(format!("epoch {epoch}: mean loss {mean_loss:.4e} ({wall_s:.0} s)"));
        }
        Progress::Eval(e) => {
            pb.line(format!("eval Eb/N0 {} dB: BER {:.3e} ({} frames)", e.ebn0_db, e.ber, e.frames));
        }
    })?;
    pb.finish();
    println!(
        "done: {} parameters, {} epochs / {} steps, {:.0} s on {}",
        summary.parameters, summary.epochs, summary.steps, summary.train_wall_s, summary.device
    );
    println!(
        "{:>10} {:>10} {:>12} {:>12} {:>10} {:>10}",
        "Eb/N0 dB", "frames", "bit errors", "BER", "-ln(BER)", "frame err"
    );
    for e in &summary.eval {
        println!(
            "{:>10.1} {:>10} {:>12} {:>12.3e} {:>10.3} {:>10}",
            e.ebn0_db, e.frames, e.bit_errors, e.ber, e.neg_ln_ber, e.frame_errors
        );
    }
    println!("weights: {}", summary.weights_path.display());
    Ok(())
}
