//! Trains the byte-level source LM (same code path as `sim train source-lm`).
//!
//! `cargo run --release -p lmsscc-neural --example train_byte_lm -- DATA OUT_DIR [STEPS] [--resume]`
use std::path::PathBuf;

use neural::byte_lm::train::{train_lm, LmProgress, LmTrainConfig};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if pos.len() < 2 {
        anyhow::bail!("usage: train_byte_lm DATA OUT_DIR [STEPS] [--resume]");
    }
    let mut cfg = LmTrainConfig::europarl(PathBuf::from(pos[0]), PathBuf::from(pos[1]));
    if let Some(s) = pos.get(2) {
        cfg.steps = s.parse()?;
    }
    cfg.resume = args.iter().any(|a| a == "--resume");
    println!("config: {}", serde_json::to_string(&cfg)?);
    println!("parameters: {}", cfg.model.parameter_count());
    let summary = train_lm(&cfg, &mut |p| match p {
        LmProgress::Step { step, total, bits_per_symbol, lr, symbols_per_s } => {
            println!(
                "step {step}/{total} loss {bits_per_symbol:.4} bits/symbol lr {lr:.2e} {symbols_per_s:.0} symbols/s"
            )
        }
        LmProgress::Eval { step, bits_per_byte } => {
            println!("eval step {step} validation {bits_per_byte:.4} bits/byte")
        }
        LmProgress::Checkpoint { step, path } => println!("checkpoint step {step} {}", path.display()),
    })?;
    println!("done: {} steps, {:.0} s", summary.steps, summary.wall_s);
    Ok(())
}
