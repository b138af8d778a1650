//! The file `sim compress` writes for a WAV file: its samples coded by the adaptive predictor
//! ([`crate::audio::lpc`]), everything else zstd-compressed, and the original file given back
//! byte for byte.
//!
//! A WAV file is its `data` chunk's samples plus a few hundred bytes of header and other chunks
//! (`LIST` metadata, `fact`, a truncated last frame, padding). The samples are read in their
//! stored form — 8-bit as `b − 128`, 16- and 24-bit as they are, 32-bit float as `v · 32768`
//! when that is an exact 16-bit value — and the file is coded this way only when writing those
//! values back in
//! the same form gives exactly the stored bytes (so a float file with a `-0.0`, a NaN or a
//! sample off the 16-bit grid goes to the general coder instead). Each channel is cut into
//! segments of [`SEGMENT`] samples coded independently (in parallel both ways; a new segment
//! re-adapts in a few hundred samples: +0.1 % at 16 kHz); a segment whose code would be larger
//! than its raw samples is stored raw (2 bytes a value, 3 for 24-bit files). The rest of the file (the bytes before and after the
//! samples) is stored with zstd -19. Decoding rebuilds the file and checks its SHA-256.
//!
//! Layout (integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `LMSA` |
//! | 1 | version (1) |
//! | 1 | sample format: 1 = unsigned 8-bit PCM, 2 = 16-bit PCM, 3 = 32-bit float, 4 = 24-bit PCM |
//! | 2 | channels |
//! | 4 | sample rate (informational) |
//! | 8 | frames |
//! | 8 | byte offset of the samples in the file |
//! | 8 | original file length |
//! | 32 | SHA-256 of the original file |
//! | 8 | length of the zstd-compressed rest of the file |
//! | 9 × segments | per segment (channel-major): kind (0 = coded, 1 = raw LE values), length |
//! | 8 | first 8 bytes of the SHA-256 of all the header bytes above |
//! | … | the zstd-compressed rest, then the segments' payloads in order |
//!
//! A damaged header is refused by its checksum before any decoding starts; a damaged payload
//! decodes to an error (never a panic; the coder's work is bounded by its code's length), and
//! anything that slips through is caught by the file's SHA-256.

use crate::audio::lpc;
use crate::audio::wav::{parse_wav, SampleFormat, WavLayout};
use crate::SourceError;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// Magic bytes of an audio container.
pub const MAGIC: &[u8; 4] = b"LMSA";
const VERSION: u8 = 1;
/// Samples per independently coded segment of one channel (65 s at 16 kHz).
pub const SEGMENT: usize = 1 << 20;
/// Most channels accepted (WAV's extensible format names 18 speaker positions).
pub const MAX_CHANNELS: u16 = 64;
const FIXED_HEADER: usize = 4 + 1 + 1 + 2 + 4 + 8 + 8 + 8 + 32 + 8;
const SEGMENT_ENTRY: usize = 9;
const KIND_CODED: u8 = 0;
const KIND_RAW: u8 = 1;
const ZSTD_LEVEL: i32 = 19;

/// What an audio container's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioHeader {
    pub format: SampleFormat,
    pub channels: u16,
    pub sample_rate: u32,
    pub frames: u64,
    pub data_offset: u64,
    pub file_len: u64,
    pub file_sha256: [u8; 32],
    pub rest_len: u64,
    /// Per segment, channel-major: stored raw (`true`) or coded, and its payload length.
    pub segments: Vec<(bool, u64)>,
    /// Header bytes (where the payload starts).
    pub header_len: usize,
}

impl AudioHeader {
    /// Segments whose payload is the adaptive coder's, not raw samples.
    pub fn coded_segments(&self) -> usize {
        self.segments.iter().filter(|s| !s.0).count()
    }
}

/// True if `data` starts like an audio container.
pub fn is_audio_container(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

fn format_code(format: SampleFormat) -> u8 {
    match format {
        SampleFormat::Pcm8 => 1,
        SampleFormat::Pcm16 => 2,
        SampleFormat::Float32 => 3,
        SampleFormat::Pcm24 => 4,
    }
}

/// Bits of the values the coder sees, and bytes a raw value takes.
fn coded_bits(format: SampleFormat) -> (u32, usize) {
    match format {
        SampleFormat::Pcm24 => (24, 3),
        SampleFormat::Pcm8 | SampleFormat::Pcm16 | SampleFormat::Float32 => (16, 2),
    }
}

/// The values the coder sees, read from their stored bytes (`None` for a float off the 16-bit
/// grid); [`stored_bytes`] is the inverse wherever it is defined.
fn coded_value(format: SampleFormat, b: &[u8]) -> Option<i32> {
    match format {
        SampleFormat::Pcm8 => Some(b[0] as i32 - 128),
        SampleFormat::Pcm16 => Some(i16::from_le_bytes([b[0], b[1]]) as i32),
        SampleFormat::Pcm24 => Some(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8),
        SampleFormat::Float32 => {
            let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64 * 32768.0;
            (v.fract() == 0.0 && (-32768.0..=32767.0).contains(&v)).then_some(v as i32)
        }
    }
}

/// `v` written in `format` (a value out of the format's range, decoded from a damaged stream,
/// writes wrong bytes, which the file's checksum then rejects).
fn stored_bytes(format: SampleFormat, v: i32, out: &mut Vec<u8>) {
    match format {
        SampleFormat::Pcm8 => out.push(v.wrapping_add(128) as u8),
        SampleFormat::Pcm16 => out.extend_from_slice(&(v as i16).to_le_bytes()),
        SampleFormat::Pcm24 => out.extend_from_slice(&v.to_le_bytes()[..3]),
        SampleFormat::Float32 => out.extend_from_slice(&((v as i16) as f32 / 32768.0).to_le_bytes()),
    }
}

/// The samples of `layout` in `file`, one vector per channel, or why they cannot be coded
/// exactly.
fn channel_values(file: &[u8], layout: &WavLayout) -> Result<Vec<Vec<i32>>, String> {
    let (width, channels) = (layout.format.width(), layout.channels as usize);
    let frames = layout.frames();
    let mut out: Vec<Vec<i32>> = (0..channels).map(|_| Vec::with_capacity(frames)).collect();
    let data = &file[layout.data.start..layout.data.start + frames * channels * width];
    let mut again = Vec::with_capacity(4);
    for (i, sample) in data.chunks_exact(width).enumerate() {
        let value = coded_value(layout.format, sample);
        again.clear();
        if let Some(v) = value {
            stored_bytes(layout.format, v, &mut again);
        }
        if again != sample {
            return Err(format!(
                "`data` sample {} (frame {}, channel {}) is not an exact 16-bit value written in its canonical form",
                i,
                i / channels,
                i % channels
            ));
        }
        out[i % channels].push(value.expect("checked"));
    }
    Ok(out)
}

/// Compress a WAV file so that [`decompress_wav`] gives back exactly `file`. An error (naming
/// the field) when the file is not a WAV file this coder can take; the caller then uses a general
/// coder.
pub fn compress_wav(file: &[u8]) -> Result<Vec<u8>, SourceError> {
    let layout = parse_wav(file).map_err(SourceError::Unsupported)?;
    if layout.channels > MAX_CHANNELS {
        return Err(SourceError::Unsupported(format!(
            "`fmt ` field channels is {} (at most {MAX_CHANNELS})",
            layout.channels
        )));
    }
    let channels = channel_values(file, &layout).map_err(SourceError::Unsupported)?;
    let frames = layout.frames();
    let samples_end = layout.data.start + frames * layout.channels as usize * layout.format.width();
    let mut rest = file[..layout.data.start].to_vec();
    rest.extend_from_slice(&file[samples_end..]);
    let rest = zstd::bulk::compress(&rest, ZSTD_LEVEL).map_err(|e| SourceError::Symbol(format!("zstd: {e}")))?;

    let (bits, raw_width) = coded_bits(layout.format);
    let segments: Vec<&[i32]> = channels.iter().flat_map(|c| c.chunks(SEGMENT)).collect();
    let payloads: Vec<(u8, Vec<u8>)> = segments
        .par_iter()
        .map(|values| {
            let code = lpc::encode_wide(values, bits)?;
            Ok(if code.len() < raw_width * values.len() {
                (KIND_CODED, code)
            } else {
                (KIND_RAW, values.iter().flat_map(|v| v.to_le_bytes()[..raw_width].to_vec()).collect())
            })
        })
        .collect::<Result<_, SourceError>>()?;

    let mut out =
        Vec::with_capacity(FIXED_HEADER + 8 + rest.len() + payloads.iter().map(|p| p.1.len() + 9).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(format_code(layout.format));
    out.extend_from_slice(&layout.channels.to_le_bytes());
    out.extend_from_slice(&layout.sample_rate.to_le_bytes());
    out.extend_from_slice(&(frames as u64).to_le_bytes());
    out.extend_from_slice(&(layout.data.start as u64).to_le_bytes());
    out.extend_from_slice(&(file.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(file));
    out.extend_from_slice(&(rest.len() as u64).to_le_bytes());
    for (kind, payload) in &payloads {
        out.push(*kind);
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    }
    let check = Sha256::digest(&out);
    out.extend_from_slice(&check[..8]);
    out.extend_from_slice(&rest);
    for (_, payload) in &payloads {
        out.extend_from_slice(payload);
    }
    Ok(out)
}

/// Read and check an audio container's header.
pub fn inspect_audio(data: &[u8]) -> Result<AudioHeader, SourceError> {
    let bad = |m: String| SourceError::Unsupported(format!("not a valid audio container: {m}"));
    if data.len() < FIXED_HEADER + 8 || !is_audio_container(data) {
        return Err(bad("too short or wrong magic".into()));
    }
    if data[4] != VERSION {
        return Err(bad(format!("version {} (this build reads {VERSION})", data[4])));
    }
    let u64_at = |i: usize| u64::from_le_bytes(data[i..i + 8].try_into().expect("8 bytes"));
    let format = match data[5] {
        1 => SampleFormat::Pcm8,
        2 => SampleFormat::Pcm16,
        3 => SampleFormat::Float32,
        4 => SampleFormat::Pcm24,
        f => return Err(bad(format!("sample format {f} (1 to 4 expected)"))),
    };
    let channels = u16::from_le_bytes([data[6], data[7]]);
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(bad(format!("{channels} channels (1 to {MAX_CHANNELS})")));
    }
    let sample_rate = u32::from_le_bytes(data[8..12].try_into().expect("4 bytes"));
    let frames = u64_at(12);
    // Bounding the segment table by the container's length keeps a wild frame count from
    // allocating before the checksum is read.
    let per_channel = frames.div_ceil(SEGMENT as u64);
    let count = per_channel.saturating_mul(channels as u64);
    let header_len = (count as u128) * SEGMENT_ENTRY as u128 + FIXED_HEADER as u128 + 8;
    if header_len > data.len() as u128 {
        return Err(bad(format!(
            "{frames} frames × {channels} channels need a header longer than the file (truncated?)"
        )));
    }
    let header_len = header_len as usize;
    let table = FIXED_HEADER..header_len - 8;
    if Sha256::digest(&data[..table.end])[..8] != data[table.end..header_len] {
        return Err(bad("the header's checksum does not match (damaged)".into()));
    }
    let segments: Vec<(bool, u64)> = data[table]
        .chunks_exact(SEGMENT_ENTRY)
        .map(|e| (e[0] != KIND_CODED, u64::from_le_bytes(e[1..9].try_into().expect("8 bytes"))))
        .collect();
    let header = AudioHeader {
        format,
        channels,
        sample_rate,
        frames,
        data_offset: u64_at(20),
        file_len: u64_at(28),
        file_sha256: data[36..68].try_into().expect("32 bytes"),
        rest_len: u64_at(68),
        segments,
        header_len,
    };
    let payload: u128 = header.rest_len as u128 + header.segments.iter().map(|s| s.1 as u128).sum::<u128>();
    if payload != (data.len() - header_len) as u128 {
        return Err(bad(format!(
            "the header promises {payload} payload bytes, the file has {} after it (truncated?)",
            data.len() - header_len
        )));
    }
    let samples_len = frames as u128 * channels as u128 * format.width() as u128;
    if header.data_offset as u128 + samples_len > header.file_len as u128 {
        return Err(bad("the samples run past the original file's end".into()));
    }
    Ok(header)
}

/// The original WAV file back from an audio container. Any damage is an error.
pub fn decompress_wav(data: &[u8]) -> Result<Vec<u8>, SourceError> {
    let header = inspect_audio(data)?;
    let corrupt = |m: String| SourceError::Unsupported(format!("corrupted audio container: {m}"));
    let mut at = header.header_len;
    let rest = &data[at..at + header.rest_len as usize];
    at += rest.len();
    let outside = header.file_len as usize - header.frames as usize * header.channels as usize * header.format.width();
    // Read through a reader bounded by the expected size, so a forged length allocates nothing.
    let rest = {
        use std::io::Read;
        let mut out = Vec::new();
        zstd::stream::read::Decoder::new(rest)
            .and_then(|d| d.take(outside as u64 + 1).read_to_end(&mut out))
            .map_err(|e| corrupt(format!("the rest of the file: {e}")))?;
        out
    };
    if rest.len() != outside || header.data_offset as usize > rest.len() {
        return Err(corrupt(format!("the rest of the file is {} bytes, not {outside}", rest.len())));
    }
    let frames = header.frames as usize;
    let (bits, raw_width) = coded_bits(header.format);
    let mut jobs = Vec::with_capacity(header.segments.len());
    for &(raw, len) in &header.segments {
        let index = jobs.len() % frames.div_ceil(SEGMENT).max(1);
        let count = SEGMENT.min(frames - index * SEGMENT);
        jobs.push((raw, &data[at..at + len as usize], count));
        at += len as usize;
    }
    let decoded: Vec<Vec<i32>> = jobs
        .par_iter()
        .enumerate()
        .map(|(i, &(raw, payload, count))| {
            if raw {
                if payload.len() != raw_width * count {
                    let want = raw_width * count;
                    return Err(corrupt(format!("raw segment {i} is {} bytes, not {want}", payload.len())));
                }
                // Little-endian, sign-extended from the top byte.
                let unpack = |b: &[u8]| {
                    let mut v = [0u8; 4];
                    v[4 - raw_width..].copy_from_slice(b);
                    i32::from_le_bytes(v) >> (8 * (4 - raw_width))
                };
                return Ok(payload.chunks_exact(raw_width).map(unpack).collect());
            }
            lpc::decode_wide(payload, count, bits).map_err(|e| corrupt(format!("segment {i}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let per_channel = frames.div_ceil(SEGMENT);
    let channels: Vec<Vec<i32>> = decoded.chunks(per_channel.max(1)).map(|c| c.concat()).collect();
    let mut file = Vec::with_capacity(rest.len() + frames * channels.len() * header.format.width());
    file.extend_from_slice(&rest[..header.data_offset as usize]);
    for frame in 0..frames {
        for channel in &channels {
            stored_bytes(header.format, channel[frame], &mut file);
        }
    }
    file.extend_from_slice(&rest[header.data_offset as usize..]);
    if file.len() as u64 != header.file_len || Sha256::digest(&file)[..] != header.file_sha256 {
        return Err(corrupt("the rebuilt file's SHA-256 does not match the original's".into()));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file with a `LIST` chunk before and an odd-sized chunk after the samples.
    fn wav(format: SampleFormat, channels: u16, values: &[i32]) -> Vec<u8> {
        let mut data = Vec::new();
        for &v in values {
            stored_bytes(format, v, &mut data);
        }
        let (tag, bits): (u16, u16) = match format {
            SampleFormat::Pcm8 => (1, 8),
            SampleFormat::Pcm16 => (1, 16),
            SampleFormat::Pcm24 => (1, 24),
            SampleFormat::Float32 => (3, 32),
        };
        let mut body = b"WAVE".to_vec();
        body.extend_from_slice(b"fmt ");
        body.extend_from_slice(&16u32.to_le_bytes());
        body.extend_from_slice(&tag.to_le_bytes());
        body.extend_from_slice(&channels.to_le_bytes());
        body.extend_from_slice(&16_000u32.to_le_bytes());
        let block = channels as u32 * format.width() as u32;
        body.extend_from_slice(&(16_000 * block).to_le_bytes());
        body.extend_from_slice(&(block as u16).to_le_bytes());
        body.extend_from_slice(&bits.to_le_bytes());
        body.extend_from_slice(b"LIST\x06\x00\x00\x00INFOab");
        body.extend_from_slice(b"data");
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&data);
        body.extend_from_slice(b"note\x03\x00\x00\x00xyz\x00");
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn tone(n: usize, scale: f64) -> Vec<i32> {
        (0..n)
            .map(|i| ((i as f64 * 0.05).sin() * scale + (i as f64 * 0.31).cos() * scale / 7.0).round() as i32)
            .collect()
    }

    #[test]
    fn every_format_and_channel_count_comes_back_byte_for_byte_and_smaller() {
        // (format, amplitude, largest share of the file): the 24-bit tone costs about 8 bits a
        // sample more than the same tone at 16 bits (the predictor's error grows with the
        // amplitude; measured 50 %).
        for (format, scale, share) in [
            (SampleFormat::Pcm16, 9000.0, 0.33),
            (SampleFormat::Pcm8, 100.0, 0.33),
            (SampleFormat::Float32, 9000.0, 0.33),
            (SampleFormat::Pcm24, 7_000_000.0, 0.55),
        ] {
            for channels in [1u16, 2, 3] {
                let file = wav(format, channels, &tone(3000 * channels as usize + 1, scale));
                let packed = compress_wav(&file).unwrap();
                let at_most = (share * file.len() as f64) as usize;
                assert!(packed.len() < at_most, "{format:?} ×{channels}: {} of {}", packed.len(), file.len());
                assert_eq!(decompress_wav(&packed).unwrap(), file, "{format:?} ×{channels}");
            }
        }
    }

    #[test]
    fn long_channels_split_into_segments_and_noise_is_stored_raw() {
        // Full-scale noise costs the coder more than 16 bits a sample: stored raw.
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let noise: Vec<i32> = (0..SEGMENT + 5000).map(|_| next() as i16 as i32).collect();
        let file = wav(SampleFormat::Pcm16, 1, &noise);
        let packed = compress_wav(&file).unwrap();
        let header = inspect_audio(&packed).unwrap();
        assert_eq!(header.segments.len(), 2);
        assert_eq!(header.coded_segments(), 0);
        assert!(packed.len() < file.len() + 200);
        assert_eq!(decompress_wav(&packed).unwrap(), file);
        // The same with 24-bit noise, stored raw in three bytes a value (negative ones included).
        let noise: Vec<i32> = (0..3000).map(|_| (next() as i32) >> 8).collect();
        let file = wav(SampleFormat::Pcm24, 2, &noise);
        let packed = compress_wav(&file).unwrap();
        assert_eq!(inspect_audio(&packed).unwrap().coded_segments(), 0);
        assert!(packed.len() < file.len() + 200);
        assert_eq!(decompress_wav(&packed).unwrap(), file);
    }

    #[test]
    fn files_it_cannot_code_exactly_are_refused_by_field() {
        let mut file = wav(SampleFormat::Float32, 1, &tone(100, 9000.0));
        let at = file.windows(4).position(|w| w == b"data").unwrap() + 8 + 4 * 7;
        file[at..at + 4].copy_from_slice(&(-0.0f32).to_le_bytes());
        let err = compress_wav(&file).unwrap_err().to_string();
        assert!(err.contains("sample 7"), "{err}");
        let mut pcm32 = wav(SampleFormat::Pcm16, 1, &tone(100, 9000.0));
        let bits = pcm32.windows(4).position(|w| w == b"fmt ").unwrap() + 8 + 14;
        pcm32[bits] = 32;
        assert!(compress_wav(&pcm32).unwrap_err().to_string().contains("bits per sample is 32"));
        assert!(compress_wav(b"not a wav").is_err());
    }

    #[test]
    fn damaged_containers_are_errors_not_panics() {
        let file = wav(SampleFormat::Pcm16, 2, &tone(4000, 9000.0));
        let packed = compress_wav(&file).unwrap();
        for cut in 0..packed.len() {
            assert!(decompress_wav(&packed[..cut]).is_err(), "truncated to {cut}");
        }
        let mut state = 7u64;
        for _ in 0..300 {
            let mut damaged = packed.clone();
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = (state >> 33) as usize % damaged.len();
            damaged[at] ^= 1 << ((state >> 29) & 7);
            assert!(decompress_wav(&damaged).is_err(), "byte {at}");
        }
    }
}
