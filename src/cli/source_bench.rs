//! `sim source-bench [--limit N] [--data FILE] [--coders a,b] [--lm-batch B] [--out DIR]`
//! (`--files F…`: whole files, see [`super::file_bench`]; `--images`: photographs; `--audio`: speech,
//! see [`super::audio_bench`]): bits/char, bits/word,
//! bits/sentence and tokens/s (SmolLM2 tokens, a common unit) of every source coder on the Europarl
//! test sentences, with a byte-exact round-trip check; prints a table and writes `source_bench.csv`
//! and `source_bench.json` (what produced it: version, data files and their sha256, settings, times).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use source::bench::{run_source_bench, stats_csv, stats_table, BenchConfig, KNOWN_CODERS};
use source::model_cache::sha256_file;

use crate::report::run_info::{unix_now, write_atomic};

#[derive(Args)]
pub struct SourceBenchArgs {
    /// Only the first N test sentences (default: all).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Test sentences, one per line (default: data/europarl/test_sentences.txt, else
    /// ../shared/data/europarl/test_sentences.txt).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Training sentences for the Huffman codebook (default: beside the shared test file).
    #[arg(long)]
    pub train: Option<PathBuf>,
    /// Comma-separated coders (default: all): smollm2, smollm2-bare, small-lm, huffman, fixed, zstd.
    #[arg(long, value_delimiter = ',')]
    pub coders: Vec<String>,
    /// Messages per lockstep forward pass of the SmolLM2 coders (default: the coder's default).
    /// Threads come from RAYON_NUM_THREADS (one message group per thread).
    #[arg(long)]
    pub lm_batch: Option<usize>,
    /// Folder for source_bench.csv (image_bench.csv with --images).
    #[arg(long, default_value = "results/source-bench")]
    pub out: PathBuf,
    /// Benchmark the image coders on the held-out photographs instead of the text coders.
    #[arg(long)]
    pub images: bool,
    /// Benchmark the audio coders on the held-out speech clips instead (writes audio_bench.csv).
    #[arg(long)]
    pub audio: bool,
    /// With --audio: chunks of 2,048 bytes per clip that SmolLM2 codes (0: none; ~1 min each).
    #[arg(long, default_value_t = 4)]
    pub llm_chunks: usize,
    /// With --audio: the spellings SmolLM2 codes bytes with, as hexadecimal offsets (byte `b` is
    /// fed as the token of byte `b + offset`; 0: as they are, Delétang et al.'s protocol; b0:
    /// silence on the digit `0`).
    #[arg(long, value_delimiter = ',', value_parser = parse_hex_byte, default_value = "0,b0")]
    pub byte_offsets: Vec<u8>,
    /// With --audio: skip SmolLM2 on the samples written as comma-separated numbers (run by
    /// default next to the byte spellings).
    #[arg(long)]
    pub no_sample_text: bool,
    /// With --audio: skip SmolLM2's bytes (spelled as digits) mixed with the adaptive predictor
    /// (run by default).
    #[arg(long)]
    pub no_signal_mix: bool,
    /// With --audio: these WAV files instead of the held-out clips (each channel benched as a clip
    /// of its own).
    #[arg(long = "wav", value_name = "FILE")]
    pub wav: Vec<PathBuf>,
    /// With --images: the image-LM weight file (default: the shipped one).
    #[arg(long)]
    pub image_lm: Option<PathBuf>,
    /// With --images: also these PNG/JPEG files.
    #[arg(long = "image")]
    pub extra_images: Vec<PathBuf>,
    /// With --images: also code the centre N×N crop of each held-out photo with SmolLM2 over the
    /// pixels written as text (the zero-shot P²-LLM representation; slow: ~1 min per 16×16 RGB crop).
    #[arg(long, default_value_t = 0)]
    pub llm_crop: u32,
    /// Benchmark whole-file compression on these files instead (`sim compress`'s file mode
    /// against xz -9e, zstd -19 and bzip2 -9; writes file_bench.csv).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// With --files or --audio: the model (a known name or a local llama-family GGUF).
    #[arg(long, default_value = "smollm2-135m")]
    pub model: String,
    /// With --files: lanes per file (default: `sim compress`'s, one per 4 KiB up to 16).
    #[arg(long)]
    pub lanes: Option<usize>,
    /// With --files: the context window (as `sim compress`).
    #[command(flatten)]
    pub context: super::compress::ContextWindow,
}

fn parse_hex_byte(s: &str) -> Result<u8, String> {
    u8::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("'{s}' is not a hexadecimal byte: {e}"))
}

fn first_existing(candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates.iter().find(|p| p.exists()).cloned()
}

pub fn run(a: SourceBenchArgs) -> anyhow::Result<()> {
    if !a.files.is_empty() {
        let out = if a.out == std::path::Path::new("results/source-bench") {
            PathBuf::from("results/file-bench")
        } else {
            a.out
        };
        return super::file_bench::run(&a.files, &a.model, a.context, a.lanes, &out);
    }
    if a.audio {
        let out = if a.out == std::path::Path::new("results/source-bench") {
            PathBuf::from("results/audio-bench")
        } else {
            a.out
        };
        return super::audio_bench::run(super::audio_bench::AudioBenchArgs {
            out,
            llm_chunks: a.llm_chunks,
            model: a.model,
            wav: a.wav,
            byte_offsets: a.byte_offsets,
            sample_text: !a.no_sample_text,
            signal_mix: !a.no_signal_mix,
        });
    }
    if a.images {
        return super::image_bench::run(super::image_bench::ImageBenchArgs {
            image_lm: a.image_lm,
            extra: a.extra_images,
            out: a.out,
            llm_crop: a.llm_crop,
        });
    }
    for c in &a.coders {
        if !KNOWN_CODERS.contains(&c.as_str()) {
            anyhow::bail!("unknown coder '{c}' (known: {})", KNOWN_CODERS.join(", "));
        }
    }
    let shared = PathBuf::from("../shared/data/europarl");
    let test = match a.data {
        Some(p) => p,
        None => first_existing(&[PathBuf::from("data/europarl/test_sentences.txt"), shared.join("test_sentences.txt")])
            .context("no Europarl test set found (data/europarl/ or ../shared/data/europarl/); pass --data FILE")?,
    };
    let mut config = BenchConfig::europarl(&shared, a.limit);
    config.test_sentences = test;
    config.train_sentences = match a.train {
        Some(p) => p,
        None => {
            first_existing(&[shared.join("train_sentences.txt"), PathBuf::from("data/europarl/train_sentences.txt")])
                .unwrap_or_else(|| shared.join("train_sentences.txt"))
        }
    };
    config.coders = a.coders;
    config.lm_batch_size = a.lm_batch;
    config.verbose = true;
    let started_unix = unix_now();
    let stats = run_source_bench(&config)?;
    print!("{}", stats_table(&stats));
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let csv = a.out.join("source_bench.csv");
    write_atomic(&csv, stats_csv(&stats).as_bytes())?;
    let record = serde_json::json!({
        "version": crate::version(),
        "test_sentences": config.test_sentences.display().to_string(),
        "test_sha256": sha256_file(&config.test_sentences)?,
        "train_sentences": config.train_sentences.display().to_string(),
        "train_sha256": sha256_file(&config.train_sentences).ok(),
        "limit": config.limit,
        "coders": stats.iter().map(|s| s.coder.clone()).collect::<Vec<_>>(),
        "lm_batch": config.lm_batch_size,
        "threads": rayon::current_num_threads(),
        "started_unix": started_unix,
        "finished_unix": unix_now(),
    });
    let json = a.out.join("source_bench.json");
    write_atomic(&json, serde_json::to_string_pretty(&record)?.as_bytes())?;
    println!("wrote {} and {}", csv.display(), json.display());
    Ok(())
}
