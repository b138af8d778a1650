//! The trials behind the audio LLM coders' settings (code sizes only, no decoding):
//! - `text N`: the first N 2,048-byte chunks of each held-out clip written as text, signed
//!   numbers separated by spaces or by commas, or unsigned (`sample_text.rs` keeps the commas);
//! - `mix N`: the middle chunk of the first N training clips, SmolLM2's digit-spelled bytes alone
//!   and mixed with the adaptive predictor (`signal_mix.rs`; its constants were tuned this way).
//!
//! `cargo run --release -p lmsscc-source --example audio_llm_trials -- text 1`
use source::audio::byte_lm::{packed_bytes, whole_chunks, ByteLm, DIGIT_OFFSET};
use source::audio::clips::{clips, load_clip, Split};
use source::audio::signal_mix::SignalMix;
use source::audio::wav::to_unsigned_8bit;
use source::file_coder::FileCoder;

fn percent(bytes: usize, raw: usize) -> String {
    format!("{:.2} %", 100.0 * bytes as f64 / raw as f64)
}

fn main() {
    let trial = std::env::args().nth(1).unwrap_or_else(|| "mix".into());
    let n: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(3);
    let coder = FileCoder::load("smollm2-135m", true).unwrap();
    let split = if trial == "text" { Split::HeldOut } else { Split::Train };
    let mut data: Vec<Vec<u8>> = vec![];
    for clip in clips(split).take(if trial == "text" { usize::MAX } else { n }) {
        let bytes = to_unsigned_8bit(&load_clip(clip, true).unwrap().samples);
        let chunks = whole_chunks(&bytes);
        match trial.as_str() {
            "text" => data.extend(chunks.iter().take(n).map(|c| c.to_vec())),
            _ => data.push(chunks[chunks.len() / 2].to_vec()),
        }
    }
    let chunks: Vec<&[u8]> = data.iter().map(|c| c.as_slice()).collect();
    let raw: usize = chunks.iter().map(|c| c.len()).sum();
    let zstd: usize = chunks.iter().map(|c| zstd::bulk::compress(c, 19).unwrap().len()).sum();
    println!("{} chunks, {raw} bytes; zstd -19 {}", chunks.len(), percent(zstd, raw));
    if trial == "text" {
        type Format = (&'static str, fn(u8) -> String, &'static str);
        let formats: [Format; 3] = [
            ("signed, spaces", |b| (b as i32 - 128).to_string(), " "),
            ("signed, commas", |b| (b as i32 - 128).to_string(), ","),
            ("unsigned, spaces", |b| b.to_string(), " "),
        ];
        for (name, write, separator) in formats {
            let ids: Vec<Vec<u32>> = chunks
                .iter()
                .map(|c| {
                    let text = c.iter().map(|&b| write(b)).collect::<Vec<_>>().join(separator);
                    coder.tokenize(text.as_bytes()).unwrap()
                })
                .collect();
            let lanes: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
            let bits = coder.encode_lanes(&lanes, &|_, _| {}).unwrap();
            let bytes: usize = bits.iter().map(|b| b.len().div_ceil(8)).sum();
            let tokens: usize = ids.iter().map(Vec::len).sum();
            println!("{name}: {tokens} tokens, {}", percent(bytes, raw));
        }
    } else {
        let lpc: usize = chunks
            .iter()
            .map(|c| source::audio::lpc::encode(&c.iter().map(|&b| b as i16 - 128).collect::<Vec<_>>()).len())
            .sum();
        println!("ours (ols-nlms) {}", percent(lpc, raw));
        let lm = ByteLm::with_offset(coder.lm(), DIGIT_OFFSET).unwrap();
        let alone: usize = lm.encode_chunks(&chunks).unwrap().iter().map(|c| packed_bytes(c.len())).sum();
        println!("SmolLM2, digit-spelled bytes {}", percent(alone, raw));
        let mixed: usize =
            lm.encode_chunks_with(&chunks, SignalMix::new).unwrap().iter().map(|c| packed_bytes(c.len())).sum();
        println!("the same mixed with the predictor {}", percent(mixed, raw));
    }
}
