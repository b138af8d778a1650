//! WAV files in and out: 16-bit samples in memory, whatever lossless PCM layout the file had.
//!
//! Read: RIFF/WAVE with a `fmt ` chunk of format 1 (integer PCM, 8 or 16 bits), 3 (IEEE float,
//! 32 bits) or 0xFFFE (extensible, with one of those two sub-formats), any number of channels,
//! other chunks skipped. Float samples are accepted only when every one is an exact 16-bit value
//! (`v · 32768` an integer in `[-32768, 32767]`): then the conversion is lossless, and that is how
//! the clip set's files are stored ([`crate::audio::clips`]). 8-bit PCM is unsigned (0..=255,
//! silence 128) and is widened to `(b − 128) · 256`. [`parse_wav`] also recognises 24-bit PCM
//! (for the byte-exact container, [`crate::audio::container`]), which [`decode_wav`] refuses
//! rather than round. Every error names the file and the field.
//!
//! Write: 16-bit integer PCM with the canonical 44-byte header.

use crate::SourceError;
use std::path::Path;

/// Interleaved 16-bit samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: u16,
    /// Frame-major: channel 0 of frame 0, channel 1 of frame 0, …
    pub samples: Vec<i16>,
}

impl Audio {
    /// Samples per channel.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / self.sample_rate.max(1) as f64
    }

    /// The samples as little-endian 16-bit PCM bytes (what a WAV file's `data` chunk holds).
    pub fn pcm16_bytes(&self) -> Vec<u8> {
        self.samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }
}

/// Read a WAV file (see the module docs for what is accepted).
pub fn load_wav(path: &Path) -> Result<Audio, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::file(path, e))?;
    decode_wav(&bytes).map_err(|m| SourceError::file(path, m))
}

/// True if `bytes` start like a WAV file (`RIFF....WAVE`).
pub fn looks_like_wav(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE"
}

const FORMAT_PCM: u16 = 1;
const FORMAT_FLOAT: u16 = 3;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// How a WAV file's samples are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Unsigned 8-bit integers, silence at 128.
    Pcm8,
    /// Signed 16-bit little-endian integers.
    Pcm16,
    /// Signed 24-bit little-endian integers (three bytes).
    Pcm24,
    /// 32-bit little-endian IEEE floats in `[-1, 1)`.
    Float32,
}

impl SampleFormat {
    /// Bytes per sample.
    pub fn width(self) -> usize {
        match self {
            SampleFormat::Pcm8 => 1,
            SampleFormat::Pcm16 => 2,
            SampleFormat::Pcm24 => 3,
            SampleFormat::Float32 => 4,
        }
    }
}

/// Where a WAV file keeps its samples and how: the `fmt ` fields and the `data` chunk's byte
/// range (everything outside it is header and other chunks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavLayout {
    pub format: SampleFormat,
    pub channels: u16,
    pub sample_rate: u32,
    /// Byte range of the `data` chunk's body in the file (a truncated last chunk: what is there).
    pub data: std::ops::Range<usize>,
}

impl WavLayout {
    /// Whole frames in the `data` chunk.
    pub fn frames(&self) -> usize {
        self.data.len() / (self.format.width() * self.channels as usize)
    }
}

/// Find the `fmt ` fields and the `data` chunk; the error says which field is wrong (the caller
/// adds the file name).
pub fn parse_wav(bytes: &[u8]) -> Result<WavLayout, String> {
    if !looks_like_wav(bytes) {
        return Err("not a WAV file (no RIFF/WAVE header)".into());
    }
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let mut format: Option<(u16, u16, u32, u16)> = None;
    let mut data: Option<std::ops::Range<usize>> = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(bytes, at + 4) as usize;
        let body_start = at + 8;
        let body_end = body_start.checked_add(size).filter(|&e| e <= bytes.len());
        let name = String::from_utf8_lossy(id).into_owned();
        match id {
            b"fmt " => {
                let end = body_end.ok_or(format!("chunk `{name}` at byte {at}: size {size} runs past the end"))?;
                let body = &bytes[body_start..end];
                if body.len() < 16 {
                    return Err(format!("chunk `fmt ` at byte {at}: {} bytes, at least 16 expected", body.len()));
                }
                let mut tag = u16_at(body, 0);
                if tag == FORMAT_EXTENSIBLE {
                    if body.len() < 26 {
                        return Err(format!("chunk `fmt ` at byte {at}: extensible format without a sub-format"));
                    }
                    tag = u16_at(body, 24);
                }
                format = Some((tag, u16_at(body, 2), u32_at(body, 4), u16_at(body, 14)));
            }
            b"data" => {
                // A truncated final data chunk (a recording cut short) keeps what is there.
                data = Some(body_start..body_end.unwrap_or(bytes.len()));
                break;
            }
            _ => {}
        }
        at = body_start.saturating_add(size).saturating_add(size & 1);
    }
    let (tag, channels, sample_rate, bits) = format.ok_or("no `fmt ` chunk before the `data` chunk")?;
    let data = data.ok_or("no `data` chunk")?;
    if channels == 0 {
        return Err("`fmt ` field channels is 0".into());
    }
    if sample_rate == 0 {
        return Err("`fmt ` field sample rate is 0".into());
    }
    let format = match (tag, bits) {
        (FORMAT_PCM, 16) => SampleFormat::Pcm16,
        (FORMAT_PCM, 8) => SampleFormat::Pcm8,
        (FORMAT_PCM, 24) => SampleFormat::Pcm24,
        (FORMAT_FLOAT, 32) => SampleFormat::Float32,
        (FORMAT_PCM, b) | (FORMAT_FLOAT, b) => {
            return Err(format!(
                "`fmt ` field bits per sample is {b} for format {tag}; 8/16/24-bit PCM or 32-bit float"
            ))
        }
        (t, _) => return Err(format!("`fmt ` field format is {t}; only PCM (1) and IEEE float (3) are read")),
    };
    Ok(WavLayout { format, channels, sample_rate, data })
}

/// Parse WAV bytes into 16-bit samples; the error says which field is wrong (the caller adds the
/// file name).
pub fn decode_wav(bytes: &[u8]) -> Result<Audio, String> {
    let layout = parse_wav(bytes)?;
    let whole = layout.frames() * layout.channels as usize * layout.format.width();
    let data = &bytes[layout.data.start..layout.data.start + whole];
    let samples: Vec<i16> = match layout.format {
        SampleFormat::Pcm16 => data.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect(),
        SampleFormat::Pcm8 => data.iter().map(|&b| ((b as i16) - 128) << 8).collect(),
        SampleFormat::Pcm24 => {
            return Err("`fmt ` field bits per sample is 24: samples are read as 16-bit here \
                        (`sim compress` codes 24-bit files exactly)"
                .into())
        }
        SampleFormat::Float32 => {
            let mut out = Vec::with_capacity(data.len() / 4);
            for (i, b) in data.chunks_exact(4).enumerate() {
                let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64 * 32768.0;
                if v.fract() != 0.0 || !(-32768.0..=32767.0).contains(&v) {
                    return Err(format!(
                        "`data` sample {i} is {}: float samples must be exact 16-bit values for lossless coding",
                        v / 32768.0
                    ));
                }
                out.push(v as i16);
            }
            out
        }
    };
    Ok(Audio { sample_rate: layout.sample_rate, channels: layout.channels, samples })
}

/// `audio` as a 16-bit PCM WAV file.
pub fn encode_wav(audio: &Audio) -> Vec<u8> {
    let data = audio.pcm16_bytes();
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
    out.extend_from_slice(&audio.channels.to_le_bytes());
    out.extend_from_slice(&audio.sample_rate.to_le_bytes());
    let block = 2 * audio.channels as u32;
    out.extend_from_slice(&(audio.sample_rate * block).to_le_bytes());
    out.extend_from_slice(&(block as u16).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Delétang et al.'s 8-bit audio (their LibriSpeech loader: `audioop.lin2lin(x, 2, 1)` keeps the
/// high byte, then `audioop.bias(.., 1, 128)` makes it unsigned): `(s >> 8) + 128`.
pub fn to_unsigned_8bit(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| ((s >> 8) + 128) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_wav(values: &[f32]) -> Vec<u8> {
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(4 + 26 + 12 + 8 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&18u32.to_le_bytes());
        out.extend_from_slice(&[3, 0, 1, 0]);
        out.extend_from_slice(&16000u32.to_le_bytes());
        out.extend_from_slice(&64000u32.to_le_bytes());
        out.extend_from_slice(&[4, 0, 32, 0, 0, 0]);
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
        out
    }

    #[test]
    fn pcm16_round_trips_and_float_reads_exactly() {
        let audio = Audio { sample_rate: 16000, channels: 2, samples: vec![0, -1, i16::MIN, i16::MAX, 123, -4567] };
        assert_eq!(decode_wav(&encode_wav(&audio)).unwrap(), audio);
        let from_float = decode_wav(&float_wav(&[0.0, -1.0, 32767.0 / 32768.0, 0.5])).unwrap();
        assert_eq!(from_float.samples, vec![0, i16::MIN, i16::MAX, 16384]);
        assert_eq!((from_float.sample_rate, from_float.channels), (16000, 1));
    }

    #[test]
    fn bad_files_name_the_field() {
        let err = decode_wav(&float_wav(&[0.25, 1e-7])).unwrap_err();
        assert!(err.contains("sample 1") && err.contains("exact 16-bit"), "{err}");
        let mut wav = encode_wav(&Audio { sample_rate: 8000, channels: 1, samples: vec![1, 2] });
        wav[34] = 24; // bits per sample
        let err = decode_wav(&wav).unwrap_err();
        assert!(err.contains("bits per sample is 24"), "{err}");
        assert!(decode_wav(b"RIFF\0\0\0\0WAVE").unwrap_err().contains("no `fmt `"));
        assert!(decode_wav(b"not a wav").unwrap_err().contains("RIFF"));
        // Truncated anywhere: an error or fewer samples, never a panic.
        let wav = float_wav(&[0.5; 9]);
        for cut in 0..wav.len() {
            let _ = decode_wav(&wav[..cut]);
        }
    }

    #[test]
    fn eight_bit_is_deletangs_high_byte_plus_128() {
        assert_eq!(
            to_unsigned_8bit(&[0, 255, 256, -1, -256, -257, i16::MIN, i16::MAX]),
            [128, 128, 129, 127, 127, 126, 0, 255]
        );
    }
}
