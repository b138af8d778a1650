//! Measure SmolLM2 code length on Europarl test sentences under different start contexts and
//! end symbols (information content from the quantised tables, as the arithmetic coder pays).
//! `cargo run --release -p lmsscc-source --example context_probe -- N`
use source::llama::{LlamaLm, LlamaOptions, StartContext};
use source::model_cache::{fetch, SMOLLM2_135M};
use source::quantize::{frequencies_from_logits, LM_TOTAL_BUDGET};
use source::SymbolModel;

fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(40);
    let path = fetch(&SMOLLM2_135M, true).unwrap();
    let test = std::fs::read_to_string("/work/shared/data/europarl/test_sentences.txt").unwrap();
    let train = std::fs::read_to_string("/work/shared/data/europarl/train_sentences.txt").unwrap();
    let sentences: Vec<&str> = test.lines().take(n).collect();
    let chars: usize = sentences.iter().map(|s| s.chars().count()).sum();
    let base = LlamaLm::load(&path, LlamaOptions::default(), StartContext::Bos).unwrap();
    let tok = base.tokenizer.clone();
    let few = |k: usize| -> String { train.lines().take(k).map(|l| format!("{l}\n")).collect() };
    let contexts: Vec<(&str, Vec<u32>)> = vec![
        ("endoftext+8 train sentences", [vec![0], tok.encode(&few(8)).unwrap()].concat()),
        ("endoftext+16 train sentences", [vec![0], tok.encode(&few(16)).unwrap()].concat()),
    ];
    let nl = tok.encode("\n").unwrap()[0];
    for (name, ids) in contexts {
        let lm = LlamaLm::load(&path, LlamaOptions::default(), StartContext::Ids(ids)).unwrap();
        let (mut body, mut eos_bits, mut nl_bits) = (0.0f64, 0.0f64, 0.0f64);
        let t0 = std::time::Instant::now();
        let mut ntok = 0;
        for s in &sentences {
            let mut sess = lm.session();
            let mut table = sess.start().unwrap();
            for &t in &tok.encode(s).unwrap() {
                body -= table.probability(t as usize).log2();
                table = sess.advance(t as usize).unwrap();
                ntok += 1;
            }
            eos_bits -= table.probability(2).log2();
            nl_bits -= table.probability(nl as usize).log2();
            let _ = frequencies_from_logits(&[0.0], LM_TOTAL_BUDGET);
        }
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "{name:<30} body {:.3} b/c | +<|im_end|> {:.3} b/c ({:.2} b/sent) | +\\n {:.3} b/c ({:.2} b/sent) | {:.1} tok/s",
            body / chars as f64,
            (body + eos_bits) / chars as f64,
            eos_bits / n as f64,
            (body + nl_bits) / chars as f64,
            nl_bits / n as f64,
            ntok as f64 / secs
        );
    }
}
