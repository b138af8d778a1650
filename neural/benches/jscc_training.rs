//! What mimalloc's purge delay costs a JSCC training step on the CPU: seconds per step and minor
//! page faults of UT and DeepSC (reference sizes, batch 64 / 128, one process) with mimalloc's default
//! purge delay (freed pages go back to the kernel after 1 s, so every step's large tensors come back
//! as fresh zeroed pages) and with purging off (`-1`, what `sim` sets at start: src/main.rs), as the
//! ratio default / off measured in the same run. Steps are the real training loop
//! (`train_ut` / `train_deepsc`) on the shipped Europarl test sentences; the first step is warm-up.
//! Run: RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1 cargo bench -p lmsscc-neural --bench jscc_training
//! (JSCC_BENCH_STEPS sets the steps per case, default 6; JSCC_BENCH_MODELS=ut or deepsc picks one).
use std::path::Path;
use std::time::Instant;

use neural::jscc::train::{train_deepsc, train_ut, DeepScProgress, DeepScTrainConfig, JsccTrainConfig, UtTrainConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (as src/main.rs).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Minor page faults of this process so far (field 10 of /proc/self/stat; 0 where there is none).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    rest.split_whitespace().nth(7).and_then(|f| f.parse().ok()).unwrap_or(0)
}

/// Seconds and minor faults per step after the first, of `steps` steps of `train`.
fn time_steps(steps: u64, train: impl FnOnce(&mut dyn FnMut(DeepScProgress)) -> anyhow::Result<()>) -> (f64, f64) {
    let mut first: Option<(Instant, u64)> = None;
    let mut last = None;
    train(&mut |p| {
        if let DeepScProgress::Step { step, .. } = p {
            let now = (Instant::now(), minor_faults());
            if step == 1 {
                first = Some(now);
            } else if step == steps {
                last = Some(now);
            }
        }
    })
    .expect("training run");
    let ((t0, f0), (t1, f1)) = (first.expect("step 1 reported"), last.expect("last step reported"));
    let n = (steps - 1) as f64;
    (t1.duration_since(t0).as_secs_f64() / n, (f1 - f0) as f64 / n)
}

/// `config` cut to `steps` steps, reporting each, with no evaluation or checkpoint on the way.
fn timing_run<C>(config: JsccTrainConfig<C>, steps: u64) -> JsccTrainConfig<C> {
    JsccTrainConfig {
        steps,
        report_every: 1,
        eval_every: u64::MAX,
        checkpoint_every: u64::MAX,
        validation_sentences: 8,
        ..config
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = root.join("data/europarl/test_sentences.txt");
    let vocab = root.join("data/europarl/vocab.json");
    let steps: u64 = std::env::var("JSCC_BENCH_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(6).max(2);
    let models = std::env::var("JSCC_BENCH_MODELS").unwrap_or_else(|_| "ut,deepsc".into());
    let default_delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    println!("{steps} steps per case (first is warm-up); mimalloc purge delay default {default_delay} ms");
    println!("{:<8} {:>20} {:>12} {:>16}", "model", "purge delay", "s/step", "minor faults/step");
    for model in models.split(',') {
        let mut rows = Vec::new();
        for delay in [default_delay, -1] {
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay) };
            let out = tempfile::tempdir().expect("temporary folder");
            let (s, faults) = match model {
                "ut" => {
                    let c = timing_run(UtTrainConfig::reference(&data, &vocab, &data, out.path()), steps);
                    time_steps(steps, |p| train_ut(&c, false, p).map(drop))
                }
                "deepsc" => {
                    let c = timing_run(DeepScTrainConfig::reference(&data, &vocab, &data, out.path()), steps);
                    time_steps(steps, |p| train_deepsc(&c, p).map(drop))
                }
                other => panic!("JSCC_BENCH_MODELS: unknown model '{other}' (ut, deepsc)"),
            };
            println!(
                "{model:<8} {:>20} {s:>12.3} {faults:>16.0}",
                if delay < 0 { "off (-1, as sim)".to_string() } else { format!("{delay} ms") }
            );
            rows.push(s);
        }
        println!("{model:<8} step time default / off: {:.2}x", rows[0] / rows[1]);
    }
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, default_delay) };
}
