//! `sim train deepsc|ut|ut-quant ...`: trains a JSCC baseline (a thin layer over
//! `neural::jscc::train`), with progress reports, checkpoints, exact `--resume` and an f16 export for
//! shipping; `sim train curve` and `sim train export` work on any of their run folders.

use std::path::PathBuf;

use clap::Args;
use neural::core::weights::StoredDtype;
use neural::jscc::deepsc::DeepSc;
use neural::jscc::train::{
    export_f16_as, read_logs, rescale_parameters_as, train_deepsc, train_ut, DeepScProgress, DeepScTrainConfig,
    UtTrainConfig,
};
use neural::jscc::ut::Ut;
use neural::{Channel, DeviceChoice};

use super::progress::TrainingProgress;
use super::train_args::{parse_channel, parse_device};

/// Which JSCC model a training run trains.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum JsccKind {
    DeepSc,
    Ut,
    UtQuant,
}

impl JsccKind {
    fn name(&self) -> &'static str {
        match self {
            JsccKind::DeepSc => "DeepSC",
            JsccKind::Ut => "UT",
            JsccKind::UtQuant => "UT-quant",
        }
    }
}

#[derive(Args)]
pub struct JsccArgs {
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
    /// Sentences per step (default: the model's reference, DeepSC 128, UT 64).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Learning rate after warm-up (default: the reference, DeepSC 1e-4, UT 3e-4; no warm-up).
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    /// Probability that a teacher-forced decoder input word becomes `<UNK>` in training (word
    /// dropout; 0, the references, by default): makes the decoder read the channel instead of
    /// guessing from the previous words.
    #[arg(long, default_value_t = 0.0)]
    pub word_dropout: f64,
    #[arg(long, default_value_t = 11)]
    pub seed: u64,
    /// Training SNR range `LOW..HIGH` in dB, σ drawn uniformly between the two ends' values
    /// (default: the model's reference, DeepSC 5..10, UT and UT-quant -2..4).
    #[arg(long, value_parser = parse_snr_range, allow_hyphen_values = true)]
    pub snr_db: Option<(f64, f64)>,
    #[arg(long, default_value_t = 50)]
    pub checkpoint_every: u64,
    #[arg(long, default_value_t = 250)]
    pub eval_every: u64,
    /// Checkpoint folder (weights, adam.safetensors, state.json); default runs/<model>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub resume: bool,
    /// Continue training from these weights (e.g. the shipped neural/models/deepsc-awgn.safetensors)
    /// with a fresh optimizer and this run's schedule; the weights written record them. `ut-quant`
    /// also starts from a trained UT's weights: the trunk is the UT's, the quantizer starts fresh.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Also write the final weights as f16 here (e.g. neural/models/deepsc-awgn.safetensors).
    #[arg(long)]
    pub export: Option<PathBuf>,
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: DeviceChoice,
}

pub fn run(kind: JsccKind, a: JsccArgs) -> anyhow::Result<()> {
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(kind.name().to_lowercase()));
    // Both configs are the same struct over different model configs; fill the shared fields once.
    macro_rules! fill {
        ($cfg:expr) => {{
            let mut cfg = $cfg;
            cfg.validation_sentences = a.validation_sentences;
            cfg.channel = a.channel;
            cfg.steps = a.steps;
            cfg.batch_size = a.batch.unwrap_or(cfg.batch_size);
            cfg.lr = a.lr.unwrap_or(cfg.lr);
            cfg.warmup = a.warmup;
            cfg.seed = a.seed;
            cfg.word_dropout = a.word_dropout;
            if let Some((low, high)) = a.snr_db {
                (cfg.snr_low_db, cfg.snr_high_db) = (low, high);
            }
            cfg.checkpoint_every = a.checkpoint_every;
            cfg.eval_every = a.eval_every;
            cfg.device = a.device;
            cfg.resume = a.resume;
            cfg.init = a.init.clone();
            println!(
                "training {} on {} over {} at {}..{} dB for {} steps (batch {}, lr {:.1e}) -> {}",
                kind.name(),
                a.data.display(),
                a.channel.name(),
                cfg.snr_low_db,
                cfg.snr_high_db,
                cfg.steps,
                cfg.batch_size,
                cfg.lr,
                out.display()
            );
            cfg
        }};
    }
    let mut pb = TrainingProgress::new(a.steps);
    let mut on_progress = |p: DeepScProgress| match p {
        DeepScProgress::Step { step, loss, lr, words_per_s, .. } => {
            pb.step(step, format!("loss {loss:.3} nats/word, lr {lr:.1e}, {words_per_s:.0} words/s"));
        }
        DeepScProgress::Eval { step, points } => {
            let text: Vec<String> = points
                .iter()
                .map(|p| format!("{} dB: loss {:.3}, word accuracy {:.3}", p.snr_db, p.loss, p.word_accuracy))
                .collect();
            pb.line(format!("step {step}: {}", text.join("; ")));
        }
        DeepScProgress::Checkpoint { .. } => {}
    };
    let summary = match kind {
        JsccKind::DeepSc => train_deepsc(
            &fill!(DeepScTrainConfig::reference(&a.data, &a.vocab, &a.validation, &out)),
            &mut on_progress,
        )?,
        JsccKind::Ut | JsccKind::UtQuant => {
            let quantized = kind == JsccKind::UtQuant;
            train_ut(
                &fill!(UtTrainConfig::reference(&a.data, &a.vocab, &a.validation, &out)),
                quantized,
                &mut on_progress,
            )?
        }
    };
    pb.finish();
    println!(
        "done: {} parameters, {} steps, {:.0} s of training; {} sentences ({} words not in the vocabulary)",
        summary.parameters, summary.steps, summary.wall_s, summary.sentences, summary.unknown_words
    );
    println!("weights: {}", summary.weights_path.display());
    curve(&out, &out)?;
    if let Some(dst) = a.export {
        export(&summary.weights_path, &dst)?;
        println!("exported (f16) to {}", dst.display());
    }
    Ok(())
}

/// `as_deepsc` or `as_ut`, as the weight file's format tag says (read from its header).
fn as_deepsc_or_ut(
    weights: &std::path::Path,
    as_deepsc: impl FnOnce() -> anyhow::Result<()>,
    as_ut: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match neural::core::weights::weight_format(weights)?.as_str() {
        neural::jscc::deepsc::FORMAT => as_deepsc(),
        neural::jscc::ut::FORMAT => as_ut(),
        other => anyhow::bail!(
            "{}: format tag `{other}`, expected a DeepSC (`{}`) or UT / UT-quant (`{}`) weight file",
            weights.display(),
            neural::jscc::deepsc::FORMAT,
            neural::jscc::ut::FORMAT
        ),
    }
}

/// f16 copy of a DeepSC or UT checkpoint (the format tag inside says which).
fn export(weights: &std::path::Path, out: &std::path::Path) -> anyhow::Result<()> {
    as_deepsc_or_ut(weights, || export_f16_as::<DeepSc>(weights, out), || export_f16_as::<Ut>(weights, out))
}

#[derive(Args)]
pub struct CurveArgs {
    /// A `sim train deepsc|ut|ut-quant` run folder (its state.json; the run may still be going).
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
    let logs = read_logs(run)?;
    let (train, evals) = (&logs.train, &logs.evals);
    let mut csv = String::from("step,wall_s,series,snr_db,loss,word_accuracy\n");
    for p in train {
        csv.push_str(&format!("{},{:.1},train,,{},\n", p.step, p.wall_s, p.loss));
    }
    let mut snrs: Vec<f64> = Vec::new();
    for e in evals {
        for p in &e.points {
            csv.push_str(&format!(
                "{},{:.1},validation,{},{},{}\n",
                e.step, e.wall_s, p.snr_db, p.loss, p.word_accuracy
            ));
            if !snrs.contains(&p.snr_db) {
                snrs.push(p.snr_db);
            }
        }
    }
    let log = out.join("training_log.csv");
    crate::report::write_atomic(&log, csv.as_bytes())?;
    let at = |snr: f64, f: fn(&neural::jscc::train::EvalAtSnr) -> f64| -> Vec<(f64, f64)> {
        evals.iter().filter_map(|e| e.points.iter().find(|p| p.snr_db == snr).map(|p| (e.step as f64, f(p)))).collect()
    };
    let (low, high) = logs.snr_db;
    let label = format!("training ({}, {low}..{high} dB)", logs.channel);
    let mut losses = vec![Curve { label, points: train.iter().map(|p| (p.step as f64, p.loss)).collect() }];
    let mut accuracies = Vec::new();
    for &snr in &snrs {
        losses.push(Curve { label: format!("validation, {snr} dB"), points: at(snr, |p| p.loss) });
        accuracies.push(Curve { label: format!("validation, {snr} dB"), points: at(snr, |p| p.word_accuracy) });
    }
    let mut files = training_plots(out, "JSCC training", "cross-entropy (nats/word)", losses, accuracies)?;
    files.push(log);
    Ok(files)
}

#[derive(Args)]
pub struct ExportArgs {
    /// A DeepSC or UT checkpoint (e.g. runs/deepsc/deepsc.safetensors), possibly of a run still going.
    pub weights: PathBuf,
    /// The f16 file to write (e.g. neural/models/deepsc-awgn.safetensors).
    pub out: PathBuf,
}

pub fn run_export(a: ExportArgs) -> anyhow::Result<()> {
    export(&a.weights, &a.out)?;
    println!("exported (f16) {} -> {}", a.weights.display(), a.out.display());
    Ok(())
}

#[derive(Args)]
pub struct RescaleArgs {
    /// A DeepSC or UT weight file (a checkpoint or a shipped f16 file).
    pub weights: PathBuf,
    /// The rescaled weights to write (for `sim train ... --init`).
    #[arg(long)]
    pub out: PathBuf,
    /// NAME=FACTOR: multiply parameter NAME by FACTOR (repeatable), e.g.
    /// from_channel_emb.2.weight=5.
    #[arg(long = "scale", value_parser = parse_scale, required = true)]
    pub scales: Vec<(String, f64)>,
    /// Store f16 (as the shipped files) instead of f32.
    #[arg(long)]
    pub f16: bool,
}

pub fn run_rescale(a: RescaleArgs) -> anyhow::Result<()> {
    let dtype = if a.f16 { StoredDtype::F16 } else { StoredDtype::F32 };
    as_deepsc_or_ut(
        &a.weights,
        || rescale_parameters_as::<DeepSc>(&a.weights, &a.out, &a.scales, dtype),
        || rescale_parameters_as::<Ut>(&a.weights, &a.out, &a.scales, dtype),
    )?;
    println!("rescaled {} -> {}", a.weights.display(), a.out.display());
    Ok(())
}

/// `NAME=FACTOR` with a finite FACTOR.
fn parse_scale(s: &str) -> Result<(String, f64), String> {
    let bad = || format!("'{s}': expected NAME=FACTOR, e.g. from_channel_emb.2.weight=5");
    let (name, factor) = s.rsplit_once('=').ok_or_else(bad)?;
    let factor: f64 = factor.trim().parse().map_err(|_| bad())?;
    if name.trim().is_empty() || !factor.is_finite() {
        return Err(bad());
    }
    Ok((name.trim().to_string(), factor))
}

/// `LOW..HIGH` in dB, LOW ≤ HIGH, both finite.
fn parse_snr_range(s: &str) -> Result<(f64, f64), String> {
    let bad = || format!("'{s}': expected LOW..HIGH in dB, e.g. 5..10 or -2..4");
    let (low, high) = s.split_once("..").ok_or_else(bad)?;
    let (low, high): (f64, f64) = (low.trim().parse().map_err(|_| bad())?, high.trim().parse().map_err(|_| bad())?);
    if !low.is_finite() || !high.is_finite() || low > high {
        return Err(bad());
    }
    Ok((low, high))
}

#[cfg(test)]
mod tests {
    use super::{export, parse_scale, parse_snr_range};

    #[test]
    fn scales_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_scale("from_channel_emb.2.weight=5"), Ok(("from_channel_emb.2.weight".to_string(), 5.0)));
        assert_eq!(parse_scale("a.b=0.5"), Ok(("a.b".to_string(), 0.5)));
        for bad in ["a.b", "=2", "a.b=", "a.b=x", "a.b=nan", "a.b=inf"] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn snr_ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_snr_range("5..10"), Ok((5.0, 10.0)));
        assert_eq!(parse_snr_range("-2..4"), Ok((-2.0, 4.0)));
        assert_eq!(parse_snr_range("3..3"), Ok((3.0, 3.0)));
        for bad in ["10..5", "5", "a..b", "5..", "nan..1", "1..inf"] {
            assert!(parse_snr_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn export_picks_the_model_by_format_tag_and_refuses_other_weight_files() -> anyhow::Result<()> {
        let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("neural/models");
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("out.safetensors");
        let ecct = models.join("LDPC_N49_K24.awgn.safetensors");
        let err = export(&ecct, &out).unwrap_err().to_string();
        assert!(err.contains("LDPC_N49_K24.awgn.safetensors") && err.contains("format tag `lmsscc-ecct-v1`"), "{err}");
        assert!(!out.exists(), "nothing is written for a refused file");
        export(&models.join("ut-quant-awgn.safetensors"), &out)?;
        assert_eq!(neural::core::weights::weight_format(&out)?, neural::jscc::ut::FORMAT);
        let (model, _, _) = <neural::jscc::ut::Ut as neural::jscc::JsccModel>::load(&out, &candle_core::Device::Cpu)?;
        assert_eq!(neural::jscc::JsccModel::values_per_token(&model), 30, "UT-quant stays UT-quant");
        Ok(())
    }
}
