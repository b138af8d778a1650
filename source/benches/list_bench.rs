//! List-decoding benchmark:
//! `cargo bench -p lmsscc-source --bench list_bench -- [--limit N] [--coders small-lm,smollm2] [--sigma S] [--beam B]`.
//!
//! The list receiver's cost against plain decoding of the same sentences, measured in one run.
//! Each Europarl test sentence is arithmetic-coded, framed as the link frames it (11-bit length
//! header, zero padding to 24-bit blocks; no channel code, so no parity to weigh) and sent as BPSK
//! over AWGN at noise `sigma` (seeded). The hard decisions are decoded plainly; every sentence
//! they lose is list-decoded (`beam`, the receiver's 10-nat penalty limit). One row per coder:
//! sentences, lost, recovered by the list, undecided, wrong; plain decoding ms per sentence, list
//! ms and model steps per lost sentence, and the ratio of the two times. Thread count from
//! RAYON_NUM_THREADS (each search runs on one thread; SmolLM2's paths are one lockstep batch).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use source::bench::read_sentences;
use source::lm_coder::LmCoder;
use source::small_lm::SmallLmCoder;
use source::{ListConfig, SoftPayload, SourceCoder};
use std::path::PathBuf;
use std::time::Instant;

const HEADER: usize = 11;
const BLOCK: usize = 24;

/// BPSK over AWGN at `sigma` of `bits`: their LLRs (positive: 0).
fn received(bits: &[u8], sigma: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
    bits.iter()
        .map(|&b| {
            let x = 1.0 - 2.0 * f64::from(b);
            // Box–Muller.
            let (u, v): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            let n = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            (2.0 * (x + sigma * n) / (sigma * sigma)) as f32
        })
        .collect()
}

/// The length header, the payload and zeros to whole blocks.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut f: Vec<u8> = (0..HEADER).rev().map(|i| ((payload.len() >> i) & 1) as u8).collect();
    f.extend_from_slice(payload);
    f.resize(f.len().div_ceil(BLOCK) * BLOCK, 0);
    f
}

struct Row {
    coder: String,
    sentences: usize,
    lost: usize,
    recovered: usize,
    undecided: usize,
    wrong: usize,
    plain_ms: f64,
    list_ms: f64,
    steps: f64,
}

fn bench(coder: &dyn SourceCoder, sentences: &[String], sigma: f64, beam: usize) -> Row {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut row = Row {
        coder: coder.name(),
        sentences: sentences.len(),
        lost: 0,
        recovered: 0,
        undecided: 0,
        wrong: 0,
        plain_ms: 0.0,
        list_ms: 0.0,
        steps: 0.0,
    };
    let (mut plain_s, mut list_s) = (0.0, 0.0);
    for sentence in sentences {
        let bits = coder.encode(sentence).expect("the test sentences encode");
        let llrs = received(&framed(&bits), sigma, &mut rng);
        let (header, window) = llrs.split_at(HEADER);
        let claimed = header.iter().fold(0usize, |a, &l| (a << 1) | usize::from(l < 0.0));
        let payload: Vec<u8> = (0..claimed).map(|i| window.get(i).map_or(0, |&l| u8::from(l < 0.0))).collect();
        let t = Instant::now();
        let plain = coder.decode(&payload);
        plain_s += t.elapsed().as_secs_f64();
        if plain.text == *sentence {
            continue;
        }
        row.lost += 1;
        let burst_blocks = llrs.len() / BLOCK;
        let end_penalty = |p: &[u8]| -> Option<f64> {
            let t = p.len();
            if t >> HEADER != 0 || (HEADER + t).div_ceil(BLOCK) != burst_blocks {
                return None;
            }
            let wrong = |i: usize| ((t >> (HEADER - 1 - i)) & 1 == 1) != (header[i] < 0.0);
            Some((0..HEADER).filter(|&i| wrong(i)).map(|i| f64::from(header[i]).abs()).sum())
        };
        let config = ListConfig { beam, first_beam: beam, max_symbols: usize::MAX, max_penalty: 10.0 };
        let t = Instant::now();
        let got = coder
            .decode_list(&SoftPayload { llrs: window, end_penalty: &end_penalty, blocks: None }, config)
            .expect("an LM coder list-decodes");
        list_s += t.elapsed().as_secs_f64();
        row.steps += got.model_steps as f64;
        match got.decoded {
            None => row.undecided += 1,
            Some(d) if d.text == *sentence => row.recovered += 1,
            Some(_) => row.wrong += 1,
        }
    }
    row.plain_ms = 1e3 * plain_s / sentences.len() as f64;
    row.list_ms = 1e3 * list_s / row.lost.max(1) as f64;
    row.steps /= row.lost.max(1) as f64;
    row
}

fn main() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let limit = value("--limit").map_or(100, |v| v.parse::<usize>().expect("--limit takes a number"));
    let sigma = value("--sigma").map_or(0.4, |v| v.parse::<f64>().expect("--sigma takes a number"));
    let beam = value("--beam").map_or(8, |v| v.parse::<usize>().expect("--beam takes a number"));
    let coders: Vec<String> =
        value("--coders").map_or(vec!["small-lm".into()], |c| c.split(',').map(str::to_string).collect());
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sentences =
        read_sentences(&here.join("../data/europarl/test_sentences.txt"), Some(limit)).expect("test sentences");
    println!("list_bench: {} sentences, BPSK/AWGN at sigma {sigma}, beam {beam}, limit 10 nats", sentences.len());
    println!("coder,sentences,lost,recovered,undecided,wrong,plain_ms_per_sentence,list_ms_per_lost,model_steps_per_lost,list_over_plain");
    for name in coders {
        let coder: Box<dyn SourceCoder> = match name.as_str() {
            "small-lm" => Box::new(SmallLmCoder::embedded().expect("the embedded small LM")),
            "smollm2" => Box::new(LmCoder::smollm2(true).expect("SmolLM2 (fetched and cached on first use)")),
            other => panic!("unknown coder '{other}' (small-lm, smollm2)"),
        };
        let r = bench(coder.as_ref(), &sentences, sigma, beam);
        println!(
            "{},{},{},{},{},{},{:.2},{:.1},{:.0},{:.1}",
            r.coder,
            r.sentences,
            r.lost,
            r.recovered,
            r.undecided,
            r.wrong,
            r.plain_ms,
            r.list_ms,
            r.steps,
            r.list_ms / r.plain_ms
        );
    }
}
