//! Source-coding benchmark: `cargo bench -p lmsscc-source --bench source_bench -- [--limit N] [--coders a,b] [--batch B] [--csv FILE]`.
//!
//! Prints one row per coder (bits/char, bits/word, bits/sentence, SmolLM2 tokens/s for encode
//! and decode, rayon threads) on the Europarl test sentences; thread count from RAYON_NUM_THREADS.

use source::bench::{run_source_bench, stats_csv, stats_table, BenchConfig};
use std::path::PathBuf;

fn main() {
    // One candle thread per worker: candle's spinning barrier pool shared by several message
    // workers gives no speed-up; 1 candle thread + message-level workers scales (README).
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let limit = value("--limit").map(|v| v.parse::<usize>().expect("--limit takes a number"));
    let data = value("--data").map(PathBuf::from).unwrap_or_else(|| {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        [here.join("../../shared/data/europarl"), here.join("../shared/data/europarl")]
            .into_iter()
            .find(|p| p.is_dir())
            .unwrap_or_else(|| PathBuf::from("/work/shared/data/europarl"))
    });
    let mut config = BenchConfig::europarl(&data, limit);
    config.verbose = true;
    config.lm_batch_size = value("--batch").map(|v| v.parse::<usize>().expect("--batch takes a number"));
    if let Some(c) = value("--coders") {
        config.coders = c.split(',').map(str::to_string).collect();
    }
    match run_source_bench(&config) {
        Ok(stats) => {
            print!("{}", stats_table(&stats));
            let csv = stats_csv(&stats);
            if let Some(path) = value("--csv") {
                std::fs::write(&path, &csv).expect("write CSV");
            } else {
                print!("{csv}");
            }
        }
        Err(e) => {
            eprintln!("source-bench: {e}");
            std::process::exit(1);
        }
    }
}
