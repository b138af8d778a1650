// Stand-alone ECCT training driver (the `sim train ecct` subcommand wraps the same `neural::train`).
// Used to train the shipped models on a GPU machine, where only this binary travels.
//
// cargo run --release -p lmsscc-neural --example train_ecct -- --code codes/matrices/LDPC_N49_K24.alist \
//     --layers 6 --dim 32 --channel awgn --epochs 10 --steps-per-epoch 1000 --device cpu --out /tmp/ecct
// Same allocator as `sim` (see src/main.rs): candle's per-op buffers otherwise cost page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use anyhow::{bail, Context, Result};
use neural::{train, Channel, DeviceChoice, Progress, TrainConfig};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get =
        |flag: &str| -> Option<String> { args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned()) };
    let num = |flag: &str, default: f64| -> Result<f64> {
        get(flag).map(|v| v.parse::<f64>().with_context(|| format!("{flag} {v}"))).unwrap_or(Ok(default))
    };
    let code = get("--code").context("--code PATH is required")?;
    let out = get("--out").unwrap_or_else(|| "ecct-run".into());
    let mut cfg = TrainConfig::official(&code, num("--layers", 6.0)? as usize, num("--dim", 32.0)? as usize, &out);
    if let Some(c) = get("--channel") {
        cfg.channel = Channel::parse(&c).with_context(|| format!("unknown channel {c}"))?;
    }
    if let Some(d) = get("--device") {
        cfg.device = DeviceChoice::parse(&d).with_context(|| format!("unknown device {d}"))?;
    }
    cfg.epochs = num("--epochs", cfg.epochs as f64)? as usize;
    cfg.steps_per_epoch = num("--steps-per-epoch", cfg.steps_per_epoch as f64)? as usize;
    cfg.batch_size = num("--batch", cfg.batch_size as f64)? as usize;
    cfg.lr = num("--lr", cfg.lr)?;
    cfg.lr_min = num("--lr-min", cfg.lr_min)?;
    cfg.seed = num("--seed", cfg.seed as f64)? as u64;
    cfg.eval_max_frames = num("--eval-max-frames", cfg.eval_max_frames as f64)? as u64;
    cfg.eval_min_frames = num("--eval-min-frames", cfg.eval_min_frames as f64)? as u64;
    cfg.eval_min_frame_errors = num("--eval-min-frame-errors", cfg.eval_min_frame_errors as f64)? as u64;
    cfg.eval_batch = num("--eval-batch", cfg.eval_batch as f64)? as usize;
    cfg.resume = args.iter().any(|a| a == "--resume");
    cfg.init = get("--init").map(Into::into);
    if cfg.epochs == 0 {
        bail!("--epochs must be positive");
    }
    let t0 = Instant::now();
    let summary = train(&cfg, &mut |p| match p {
        Progress::Step { epoch, epochs, step, total_steps, loss, lr } => {
            println!(
                "[{:8.1}s] epoch {epoch}/{epochs} step {step}/{total_steps} loss {loss:.4e} lr {lr:.3e}",
                t0.elapsed().as_secs_f64()
            )
        }
        Progress::Epoch { epoch, mean_loss, lr, wall_s } => {
            println!("epoch {epoch} done: mean loss {mean_loss:.4e} lr {lr:.3e} ({wall_s:.1}s)")
        }
        Progress::Eval(e) => println!(
            "eval Eb/N0 {:.1} dB: BER {:.3e} -ln(BER) {:.3} ({} frames, {} bit errors, {} frame errors)",
            e.ebn0_db, e.ber, e.neg_ln_ber, e.frames, e.bit_errors, e.frame_errors
        ),
    })?;
    let json = serde_json::to_string_pretty(&summary)?;
    std::fs::write(std::path::Path::new(&out).join("summary.json"), &json)?;
    println!("{json}");
    Ok(())
}
