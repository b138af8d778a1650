//! Evaluates a weight file on random codewords: −ln(BER) at the given Eb/N0 values.
//! cargo run --release -p lmsscc-neural --example eval_ecct -- WEIGHTS CODE CHANNEL MAX_FRAMES [EBN0...]
// Same allocator as `sim` (see src/main.rs): candle's per-op buffers otherwise cost page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use candle_core::Device;
use codes::LdpcCode;
use neural::ecct::train::evaluate;
use neural::ecct::weights::load_model;
use neural::{Channel, Progress, TrainConfig};
use rand::SeedableRng;

fn main() -> Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let code = LdpcCode::from_file(&a[1])?;
    let (model, meta) = load_model(a[0].as_ref(), &code, &Device::Cpu)?;
    let mut cfg = TrainConfig::official(&a[1], meta.config.layers, meta.config.dim, "/tmp");
    cfg.channel = Channel::parse(&a[2]).context("channel")?;
    cfg.eval_max_frames = a[3].parse()?;
    cfg.eval_min_frames = cfg.eval_max_frames;
    cfg.eval_batch = 512;
    if a.len() > 4 {
        cfg.eval_ebn0_db = a[4..].iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1234);
    let t = std::time::Instant::now();
    evaluate(&model, &code, &cfg, &mut rng, &mut |p| {
        if let Progress::Eval(e) = p {
            println!(
                "{} Eb/N0 {:.1} dB: BER {:.3e} -ln(BER) {:.3} ({} frames, {} bit errors, {} frame errors) [{:.0}s]",
                meta.channel.name(),
                e.ebn0_db,
                e.ber,
                e.neg_ln_ber,
                e.frames,
                e.bit_errors,
                e.frame_errors,
                t.elapsed().as_secs_f64()
            )
        }
    })?;
    Ok(())
}
