//! Sentence-embedding throughput of all-MiniLM-L6-v2 on Europarl test sentences.
//!
//! ```sh
//! RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1 cargo run --release -p lmsscc-neural --example minilm_throughput -- [N] [SENTENCES_FILE]
//! ```
//! Embeds the first N (default 512) lines of the file (default
//! `../shared/data/europarl/test_sentences.txt`) in one `embed` call and prints sentences/s.

use neural::minilm::SentenceEmbedder;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(512);
    let file = args.next().unwrap_or_else(|| "../shared/data/europarl/test_sentences.txt".into());
    let text = std::fs::read_to_string(&file)?;
    let sentences: Vec<&str> = text.lines().take(n).collect();
    let t = Instant::now();
    let dir = source::model_cache::fetch_bundle(&source::model_cache::ALL_MINILM_L6_V2, true)?;
    let embedder = SentenceEmbedder::load(&dir)?;
    let load = t.elapsed().as_secs_f64();
    let tokens: usize =
        sentences.iter().map(|s| embedder.token_ids(s).map(|t| t.len())).sum::<anyhow::Result<usize>>()?;
    let _ = embedder.embed(&sentences[..sentences.len().min(32)])?; // warm-up
    let t = Instant::now();
    let emb = embedder.embed(&sentences)?;
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(emb.len(), sentences.len());
    println!(
        "load+verify {load:.2} s; {} sentences ({:.1} tokens each) in {secs:.2} s: {:.1} sentences/s, {:.0} tokens/s \
         (RAYON_NUM_THREADS={}, CANDLE_NUM_THREADS={})",
        sentences.len(),
        tokens as f64 / sentences.len() as f64,
        sentences.len() as f64 / secs,
        tokens as f64 / secs,
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into()),
        std::env::var("CANDLE_NUM_THREADS").unwrap_or_else(|_| "unset".into()),
    );
    Ok(())
}
