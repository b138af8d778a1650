//! `sim train deepsc ...`: trains the DeepSC JSCC baseline (a thin layer over `neural::train_deepsc`),
//! with a progress bar, checkpoints, exact `--resume` and an f16 export for shipping.

use std::path::PathBuf;

use clap::Args;
use neural::train_deepsc::{export_f16, read_logs, train_deepsc, DeepScProgress, DeepScTrainConfig};
use neural::{Channel, DeviceChoice};

use super::train::{bar, parse_channel, parse_device};

#[derive(Args)]
pub struct DeepScArgs {
    /// Training sentences, one per line.
    #[arg(long, default_value = "../shared/data/europarl/train_sentences.txt")]
    pub data: PathBuf,
    /// DeepSC's vocabulary (`{"token_to_idx": {...}}`).
    #[arg(long, default_value = "data/europarl/vocab.json")]
    pub vocab: PathBuf,
    /// Validation sentences (the first --validation-sentences lines).
    #[arg(long, default_value = "data/europarl/test_sentences.txt")]
    pub validation: PathBuf,
    #[arg(long, default_value_t = 512)]
    pub validation_sentences: usize,
    #[arg(long, value_parser = parse_channel, default_value = "awgn")]
    pub channel: Channel,
    #[arg(long, default_value_t = 10_000)]
    pub steps: u64,
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
    /// Learning rate after warm-up (reference: 1e-4, no warm-up).
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f64,
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    #[arg(long, default_value_t = 11)]
    pub seed: u64,
    #[arg(long, default_value_t = 50)]
    pub checkpoint_every: u64,
    #[arg(long, default_value_t = 250)]
    pub eval_every: u64,
    /// Checkpoint folder (deepsc.safetensors, adam.safetensors, state.json).
    #[arg(long, default_value = "runs/deepsc")]
    pub out: PathBuf,
    #[arg(long)]
    pub resume: bool,
    /// Also write the final weights as f16 here (e.g. neural/models/deepsc-awgn.safetensors).
    #[arg(long)]
    pub export: Option<PathBuf>,
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: DeviceChoice,
}

pub fn run(a: DeepScArgs) -> anyhow::Result<()> {
    let mut cfg = DeepScTrainConfig::reference(&a.data, &a.vocab, &a.validation, &a.out);
    cfg.validation_sentences = a.validation_sentences;
    cfg.channel = a.channel;
    cfg.steps = a.steps;
    cfg.batch_size = a.batch;
    cfg.lr = a.lr;
    cfg.warmup = a.warmup;
    cfg.seed = a.seed;
    cfg.checkpoint_every = a.checkpoint_every;
    cfg.eval_every = a.eval_every;
    cfg.device = a.device;
    cfg.resume = a.resume;
    println!(
        "training DeepSC on {} over {} for {} steps (batch {}, lr {:.1e}) -> {}",
        a.data.display(),
        a.channel.name(),
        a.steps,
        a.batch,
        a.lr,
        a.out.display()
    );
    let pb = bar(cfg.steps);
    let summary = train_deepsc(&cfg, &mut |p| match p {
        DeepScProgress::Step { step, loss, lr, words_per_s, .. } => {
            pb.set_position(step);
            pb.set_message(format!("loss {loss:.3} nats/word, lr {lr:.1e}, {words_per_s:.0} words/s"));
        }
        DeepScProgress::Eval { step, points } => {
            let text: Vec<String> = points
                .iter()
                .map(|p| format!("{} dB: loss {:.3}, word accuracy {:.3}", p.snr_db, p.loss, p.word_accuracy))
                .collect();
            pb.println(format!("step {step}: {}", text.join("; ")));
        }
        DeepScProgress::Checkpoint { .. } => {}
    })?;
    pb.finish_and_clear();
    println!(
        "done: {} parameters, {} steps, {:.0} s of training; {} sentences ({} words not in the vocabulary)",
        summary.parameters, summary.steps, summary.wall_s, summary.sentences, summary.unknown_words
    );
    println!("weights: {}", summary.weights_path.display());
    curve(&a.out, &a.out)?;
    if let Some(dst) = a.export {
        export_f16(&summary.weights_path, &dst)?;
        println!("exported (f16) to {}", dst.display());
    }
    Ok(())
}

#[derive(Args)]
pub struct CurveArgs {
    /// A `sim train deepsc` run folder (its state.json; the run may still be going).
    pub run: PathBuf,
    /// Where to write training_loss/training_accuracy (.svg, .png) and training_log.csv.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run_curve(a: CurveArgs) -> anyhow::Result<()> {
    let out = a.out.unwrap_or_else(|| a.run.clone());
    std::fs::create_dir_all(&out)?;
    for f in curve(&a.run, &out)? {
        println!("{}", f.display());
    }
    Ok(())
}

/// Learning curves and the log as CSV (`step, wall_s, series, snr_db, loss, word_accuracy`).
fn curve(run: &std::path::Path, out: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    use crate::report::plot::{training_plots, Curve};
    let (train, evals) = read_logs(run)?;
    let mut csv = String::from("step,wall_s,series,snr_db,loss,word_accuracy\n");
    for p in &train {
        csv.push_str(&format!("{},{:.1},train,,{},\n", p.step, p.wall_s, p.loss));
    }
    let mut snrs: Vec<f64> = Vec::new();
    for e in &evals {
        for p in &e.points {
            csv.push_str(&format!("{},{:.1},validation,{},{},{}\n", e.step, e.wall_s, p.snr_db, p.loss, p.word_accuracy));
            if !snrs.contains(&p.snr_db) {
                snrs.push(p.snr_db);
            }
        }
    }
    let log = out.join("training_log.csv");
    crate::report::write_atomic(&log, csv.as_bytes())?;
    let at = |snr: f64, f: fn(&neural::train_deepsc::EvalAtSnr) -> f64| -> Vec<(f64, f64)> {
        evals.iter().filter_map(|e| e.points.iter().find(|p| p.snr_db == snr).map(|p| (e.step as f64, f(p)))).collect()
    };
    let mut losses = vec![Curve { label: "training (5..10 dB)".into(), points: train.iter().map(|p| (p.step as f64, p.loss)).collect() }];
    let mut accuracies = Vec::new();
    for &snr in &snrs {
        losses.push(Curve { label: format!("validation, {snr} dB"), points: at(snr, |p| p.loss) });
        accuracies.push(Curve { label: format!("validation, {snr} dB"), points: at(snr, |p| p.word_accuracy) });
    }
    let mut files = training_plots(out, "DeepSC training", "cross-entropy (nats/word)", losses, accuracies)?;
    files.push(log);
    Ok(files)
}

#[derive(Args)]
pub struct ExportArgs {
    /// A DeepSC checkpoint (e.g. runs/deepsc/deepsc.safetensors), possibly of a run still going.
    pub weights: PathBuf,
    /// The f16 file to write (e.g. neural/models/deepsc-awgn.safetensors).
    pub out: PathBuf,
}

pub fn run_export(a: ExportArgs) -> anyhow::Result<()> {
    export_f16(&a.weights, &a.out)?;
    println!("exported (f16) {} -> {}", a.weights.display(), a.out.display());
    Ok(())
}
