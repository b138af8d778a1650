//! Cost of one lockstep step of SmolLM2 by batch size, against one message (B = 1) measured in
//! the same run: `RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1 cargo run --release -p lmsscc-source
//! --example lockstep_probe -- 1 4 8 16` (batch sizes; default 1 4 8). Positions start after the
//! Europarl start context (~180 tokens), as in the coder.
use source::lm_coder::LmCoder;
use std::time::Instant;

fn main() {
    let mut sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![1, 4, 8];
    }
    if sizes[0] != 1 {
        sizes.insert(0, 1);
    }
    let coder = LmCoder::smollm2(true).expect("SmolLM2 loads");
    let lm = coder.lm();
    let steps = 20;
    let mut baseline = None;
    for b in sizes {
        let t = Instant::now();
        let (mut lane, _) = lm.batch(b).expect("lane");
        let start = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for i in 0..steps {
            lane.step(&vec![(100 + i) as u32; b]).expect("step");
        }
        let per_step = t.elapsed().as_secs_f64() / steps as f64;
        let rate = b as f64 / per_step;
        let base = *baseline.get_or_insert(rate);
        println!(
            "B={b:2}  lane start {:.3} s  step {:.1} ms  {rate:.1} tokens/s  ({:.2}x one message)",
            start,
            per_step * 1e3,
            rate / base
        );
    }
}
