//! The audio-coding benchmark: every coder on the held-out clips, each code checked to decode to
//! the exact samples or bytes.
//!
//! Two protocols:
//! - **16-bit** (the audio as recorded): each whole clip, by [`crate::audio::lpc`], zstd -19 on
//!   the raw PCM, and — when the `flac` program is on the `PATH` (Debian: `flac`) — `flac -8`
//!   without its padding and seek table (its stream header, ~40 bytes, is counted; `flac` has
//!   no headerless mode).
//! - **8-bit chunks** (Delétang et al.'s protocol, [`crate::audio::byte_lm`]): the clips in
//!   Delétang's 8-bit form, cut into 2,048-byte chunks, each chunk coded alone; the rate is the
//!   total code size over the total raw size. Coders: SmolLM2 on bytes (as they are, and
//!   spelled with [`crate::audio::byte_lm::DIGIT_OFFSET`]), SmolLM2 on the samples written as
//!   text ([`crate::audio::sample_text`]), SmolLM2's bytes mixed with the adaptive predictor
//!   ([`crate::audio::signal_mix`]), [`crate::audio::lpc`]
//!   (samples `b − 128`), zstd -19, and `flac -8` on an 8-bit WAV of the chunk.
//!
//! Rows are per (protocol, clip, coder): raw bytes, code bytes, seconds to encode and to decode.

use crate::audio::byte_lm::{packed_bytes, whole_chunks, ByteLm};
use crate::audio::lpc;
use crate::audio::sample_text::{decode_text_chunks, encode_text_chunks, TextCode};
use crate::audio::signal_mix::SignalMix;
use crate::file_coder::FileCoder;
use crate::SourceError;
use std::process::Command;
use std::time::Instant;

/// One coder on one clip under one protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBenchRow {
    /// `16-bit` or `8-bit-chunks`.
    pub protocol: &'static str,
    pub clip: String,
    pub coder: String,
    /// Chunks coded (1 for whole clips).
    pub chunks: usize,
    pub raw_bytes: usize,
    pub code_bytes: usize,
    pub encode_s: f64,
    /// Seconds to decode and check.
    pub decode_s: f64,
}

impl AudioBenchRow {
    /// Code size over raw size.
    pub fn rate(&self) -> f64 {
        self.code_bytes as f64 / self.raw_bytes.max(1) as f64
    }
}

pub const WHOLE_16BIT: &str = "16-bit";
pub const CHUNKS_8BIT: &str = "8-bit-chunks";
pub const FLAC: &str = "flac-8";
pub const ZSTD: &str = "zstd-19";
pub const SMOLLM2_BYTES: &str = "smollm2-bytes";
/// Suffix of the row of SmolLM2's bytes mixed with the adaptive predictor.
pub const MIX_SUFFIX: &str = "+mix";
/// SmolLM2 on the samples written as comma-separated numbers.
pub const SAMPLE_TEXT: &str = "smollm2-sample-text";

/// True if the `flac` program runs.
pub fn flac_available() -> bool {
    Command::new("flac").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn timed<T>(f: impl FnOnce() -> Result<T, SourceError>) -> Result<(T, f64), SourceError> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed().as_secs_f64()))
}

fn mismatch(coder: &str, clip: &str) -> SourceError {
    SourceError::Symbol(format!("{coder} did not decode {clip} exactly"))
}

/// The classical coders on one 16-bit clip (mono samples).
pub fn bench_16bit(clip: &str, samples: &[i16], sample_rate: u32) -> Result<Vec<AudioBenchRow>, SourceError> {
    let raw = samples.len() * 2;
    let row = |coder: &str, code_bytes, encode_s, decode_s| AudioBenchRow {
        protocol: WHOLE_16BIT,
        clip: clip.into(),
        coder: coder.into(),
        chunks: 1,
        raw_bytes: raw,
        code_bytes,
        encode_s,
        decode_s,
    };
    let mut rows = Vec::new();
    let (code, enc) = timed(|| Ok(lpc::encode(samples)))?;
    let (back, dec) = timed(|| lpc::decode(&code, samples.len()))?;
    if back != samples {
        return Err(mismatch(lpc::NAME, clip));
    }
    rows.push(row(lpc::NAME, code.len(), enc, dec));
    let pcm: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let (n, enc, dec) = zstd_round_trip(&pcm, clip)?;
    rows.push(row(ZSTD, n, enc, dec));
    if flac_available() {
        let (n, enc, dec) = flac_round_trip(&pcm, 16, sample_rate, clip)?;
        rows.push(row(FLAC, n, enc, dec));
    }
    Ok(rows)
}

/// The LLM coders of the 8-bit protocol, run on the first `limit` chunks of each clip only.
pub struct LlmChunkCoders<'a> {
    /// SmolLM2 on bytes: a row per spelling.
    pub byte_lms: &'a [ByteLm<'a>],
    /// SmolLM2 on bytes in this spelling mixed with the adaptive predictor
    /// ([`crate::audio::signal_mix`]), when given.
    pub mix: Option<&'a ByteLm<'a>>,
    /// SmolLM2 on the samples written as text ([`crate::audio::sample_text`]), when given.
    pub text: Option<&'a FileCoder>,
    pub limit: usize,
}

/// The coders on one clip's 8-bit chunks (`llm`: the LLM coders on the first chunks only, in
/// rows of their own, with the classical coders on the same chunks beside them).
pub fn bench_8bit_chunks(
    clip: &str,
    bytes: &[u8],
    llm: Option<&LlmChunkCoders>,
) -> Result<Vec<AudioBenchRow>, SourceError> {
    let chunks = whole_chunks(bytes);
    let mut rows = classical_chunks(clip, &chunks, "")?;
    if let Some(llm) = llm {
        let some = &chunks[..llm.limit.min(chunks.len())];
        let tag = format!(" (first {})", some.len());
        let row = |coder: String, code_bytes: usize, encode_s: f64, decode_s: f64| AudioBenchRow {
            protocol: CHUNKS_8BIT,
            clip: format!("{clip}{tag}"),
            coder,
            chunks: some.len(),
            raw_bytes: some.iter().map(|c| c.len()).sum(),
            code_bytes,
            encode_s,
            decode_s,
        };
        let same =
            |back: &[Vec<u8>]| back.len() == some.len() && back.iter().zip(some).all(|(a, b)| a.as_slice() == *b);
        for byte_lm in llm.byte_lms {
            let coder = byte_lm_name(byte_lm);
            let (codes, enc) = timed(|| byte_lm.encode_chunks(some))?;
            let refs: Vec<&[u8]> = codes.iter().map(|c| c.as_slice()).collect();
            let (back, dec) = timed(|| byte_lm.decode_chunks(&refs, some.first().map_or(0, |c| c.len())))?;
            if !same(&back) {
                return Err(mismatch(&coder, clip));
            }
            rows.push(row(coder, codes.iter().map(|c| packed_bytes(c.len())).sum(), enc, dec));
        }
        if let Some(byte_lm) = llm.mix {
            let coder = format!("{}{MIX_SUFFIX}", byte_lm_name(byte_lm));
            let (codes, enc) = timed(|| byte_lm.encode_chunks_with(some, SignalMix::new))?;
            let refs: Vec<&[u8]> = codes.iter().map(|c| c.as_slice()).collect();
            let len = some.first().map_or(0, |c| c.len());
            let (back, dec) = timed(|| byte_lm.decode_chunks_with(&refs, len, SignalMix::new))?;
            if !same(&back) {
                return Err(mismatch(&coder, clip));
            }
            rows.push(row(coder, codes.iter().map(|c| packed_bytes(c.len())).sum(), enc, dec));
        }
        if let Some(file_coder) = llm.text {
            let (codes, enc) = timed(|| encode_text_chunks(file_coder, some))?;
            let (back, dec) = timed(|| decode_text_chunks(file_coder, &codes))?;
            if !same(&back) {
                return Err(mismatch(SAMPLE_TEXT, clip));
            }
            rows.push(row(SAMPLE_TEXT.into(), codes.iter().map(TextCode::bytes).sum(), enc, dec));
        }
        rows.extend(classical_chunks(clip, some, &tag)?);
    }
    Ok(rows)
}

/// `smollm2-bytes`, or `smollm2-bytes+b0` for bytes spelled with an offset.
pub fn byte_lm_name(byte_lm: &ByteLm) -> String {
    match byte_lm.offset() {
        0 => SMOLLM2_BYTES.to_string(),
        o => format!("{SMOLLM2_BYTES}+{o:02x}"),
    }
}

fn classical_chunks(clip: &str, chunks: &[&[u8]], tag: &str) -> Result<Vec<AudioBenchRow>, SourceError> {
    let raw: usize = chunks.iter().map(|c| c.len()).sum();
    let mut sums: Vec<(&str, usize, f64, f64)> = vec![(lpc::NAME, 0, 0.0, 0.0), (ZSTD, 0, 0.0, 0.0)];
    let flac = flac_available();
    if flac {
        sums.push((FLAC, 0, 0.0, 0.0));
    }
    for chunk in chunks {
        let samples: Vec<i16> = chunk.iter().map(|&b| b as i16 - 128).collect();
        let (code, enc) = timed(|| Ok(lpc::encode(&samples)))?;
        let (back, dec) = timed(|| lpc::decode(&code, samples.len()))?;
        if back != samples {
            return Err(mismatch(lpc::NAME, clip));
        }
        sums[0].1 += code.len();
        sums[0].2 += enc;
        sums[0].3 += dec;
        let (n, enc, dec) = zstd_round_trip(chunk, clip)?;
        sums[1].1 += n;
        sums[1].2 += enc;
        sums[1].3 += dec;
        if flac {
            let (n, enc, dec) = flac_round_trip(chunk, 8, 16_000, clip)?;
            sums[2].1 += n;
            sums[2].2 += enc;
            sums[2].3 += dec;
        }
    }
    Ok(sums
        .into_iter()
        .map(|(coder, code_bytes, encode_s, decode_s)| AudioBenchRow {
            protocol: CHUNKS_8BIT,
            clip: format!("{clip}{tag}"),
            coder: coder.into(),
            chunks: chunks.len(),
            raw_bytes: raw,
            code_bytes,
            encode_s,
            decode_s,
        })
        .collect())
}

fn zstd_round_trip(raw: &[u8], clip: &str) -> Result<(usize, f64, f64), SourceError> {
    let (code, enc) = timed(|| zstd::bulk::compress(raw, 19).map_err(|e| SourceError::Symbol(format!("zstd: {e}"))))?;
    let (back, dec) =
        timed(|| zstd::bulk::decompress(&code, raw.len()).map_err(|e| SourceError::Symbol(format!("zstd: {e}"))))?;
    if back != raw {
        return Err(mismatch(ZSTD, clip));
    }
    Ok((code.len(), enc, dec))
}

/// `flac -8` on raw little-endian PCM (`bits` 8: unsigned bytes; 16: signed), mono, and back.
fn flac_round_trip(raw: &[u8], bits: u32, rate: u32, clip: &str) -> Result<(usize, f64, f64), SourceError> {
    use std::io::Write;
    use std::process::Stdio;
    let run = |args: &[String], input: &[u8]| -> Result<Vec<u8>, SourceError> {
        let mut child = Command::new("flac")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| SourceError::Unsupported(format!("cannot run flac: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().map_err(|e| SourceError::Unsupported(format!("flac: {e}")))?;
        let _ = writer.join();
        if !out.status.success() {
            return Err(SourceError::Unsupported(format!("flac {args:?} failed on {clip}: {}", out.status)));
        }
        Ok(out.stdout)
    };
    let sign = if bits == 8 { "unsigned" } else { "signed" };
    let raw_format = [
        "--force-raw-format".to_string(),
        "--endian=little".into(),
        format!("--sign={sign}"),
        "--channels=1".into(),
        format!("--bps={bits}"),
        format!("--sample-rate={rate}"),
    ];
    // No PADDING block (8 KiB by default) and no seek table: only the stream and its header.
    let mut enc_args = vec!["-8".to_string(), "-s".into(), "-c".into(), "--no-padding".into(), "--no-seektable".into()];
    enc_args.extend(raw_format.iter().cloned());
    enc_args.push("-".into());
    let (code, enc) = timed(|| run(&enc_args, raw))?;
    // Decoding to raw takes only the byte layout (the rest is in the stream).
    let mut dec_args = vec!["-d".to_string(), "-s".into(), "-c".into()];
    dec_args.extend(raw_format[..3].iter().cloned());
    dec_args.push("-".into());
    let (back, dec) = timed(|| run(&dec_args, &code))?;
    if back != raw {
        return Err(mismatch(FLAC, clip));
    }
    Ok((code.len(), enc, dec))
}

/// Per protocol and coder, the totals over rows whose clip names have no tag (`clip = "all"`),
/// then the same over the tagged (first-N-chunk) rows (`clip = "all (LLM chunks)"`).
pub fn total_rows(rows: &[AudioBenchRow]) -> Vec<AudioBenchRow> {
    let mut out: Vec<AudioBenchRow> = Vec::new();
    for r in rows {
        let name = if r.clip.contains(" (first ") { "all (LLM chunks)" } else { "all" };
        match out.iter_mut().find(|t| t.protocol == r.protocol && t.coder == r.coder && t.clip == name) {
            Some(t) => {
                t.chunks += r.chunks;
                t.raw_bytes += r.raw_bytes;
                t.code_bytes += r.code_bytes;
                t.encode_s += r.encode_s;
                t.decode_s += r.decode_s;
            }
            None => out.push(AudioBenchRow { clip: name.into(), ..r.clone() }),
        }
    }
    out
}
