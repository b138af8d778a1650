//! The source coders of SSCC audio schemes, one stream per frame and no header (the frame length
//! is the scenario's):
//!
//! - `audio-lpc`: the adaptive predictive lossless coder (`source::audio::lpc`), started afresh on
//!   every frame so that a frame decodes alone, from one fixed state: the coder as it stands after
//!   coding `audio.prime_samples` samples (default 256,000) of the training clip `audio.prime_clip`
//!   (default trn01), its sample histories cleared (`lpc::CodeStart::primed`; [`prime`]). A cold start cost 14 % on 1,024-sample frames of dev00
//!   against the whole clip; the primed one saves 6.7 % of the cold frames' bits on the five
//!   held-out clips. The prime's length was picked on training clips (frames of trn03–trn09:
//!   64,000 / 128,000 / 256,000 / 480,000 / 960,000 samples of trn01–trn02 gave 4.93 / 4.90 /
//!   4.88 / 4.93 / 4.89 bits/sample, cold 5.35). Its arithmetic code's bits are sent as they are.
//! - `pcm`: the samples as 16-bit two's-complement words, most significant bit first: separate
//!   coding without compression, the digital reference a compressor has to beat.
//!
//! **What a damaged stream gives.** `audio-lpc` decodes samples until the code breaks (a residual
//! outside the 16-bit range, or the bits run out before the last sample); the rest of the frame is
//! silence. A stream counts as intact when every sample decoded and the bits received are exactly
//! their code, termination included (what encoding them again gives; the decoder tells it from
//! the intervals it consumed, `lpc::CodeStart::decode_bits_checked`, without coding them again):
//! the coder is deterministic, so this is the receiver's exact test that what arrived is a
//! complete code (a flip in the code's last, termination bits is flagged though the samples are
//! right). `pcm` decodes whatever arrives; a stream of the wrong length is
//! cut or filled with silence and flagged; bit errors within it cannot be told here.
//!
//! The SSCC scheme then mutes every frame it flags, by this test or by the channel code's parity
//! check (`link::message::sscc`): the samples an arithmetic code gives after an error are noise
//! far louder than speech (−24 dB SNR measured on `scenarios/audio-quick.toml` at 1 dB before
//! muting), and PCM words with a flipped high bit are as loud.

use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;
use source::audio::clips::{clip_by_name, load_clip};
use source::audio::lpc::{self, CodeStart};
use source::Bits;

use super::frames::FrameSet;
use crate::link::message::encodings::EncodedOnce;
use crate::scenario::AudioConfig;

/// Bits per sample of the `pcm` coding.
pub const PCM_BITS: usize = 16;

/// Where `config`'s `audio-lpc` frames start: primed on `prime_samples` samples of `prime_clip`
/// (loaded from the clip set, hash-checked), or cold when `prime_samples` is 0.
pub fn prime(config: &AudioConfig, verbose: bool) -> anyhow::Result<CodeStart> {
    if config.prime_samples == 0 {
        return Ok(CodeStart::cold());
    }
    let name = &config.prime_clip;
    let clip = clip_by_name(name).with_context(|| format!("field 'audio.prime_clip': no clip named '{name}'"))?;
    let audio = load_clip(clip, verbose).with_context(|| format!("field 'audio.prime_clip': '{name}'"))?;
    let mono: Vec<i16> = audio.samples.iter().step_by(audio.channels.max(1) as usize).copied().collect();
    Ok(CodeStart::primed(&mono[..mono.len().min(config.prime_samples)]))
}

/// How an SSCC audio scheme codes its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameCoding {
    /// `source::audio::lpc`, lossless and adaptive.
    Lpc,
    /// 16-bit PCM words, uncompressed.
    Pcm,
}

/// A frame as the source decoder delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFrame {
    pub samples: Vec<i16>,
    /// The stream passed the coder's own test (see the module docs).
    pub intact: bool,
    /// Predictor steps the decoding took: for `audio-lpc`, one per sample decoded and one for the
    /// sample the code broke at, if it broke (the silenced rest costs none); none for `pcm`, which
    /// has no model.
    pub steps: u64,
}

/// A frame coder for frames of one length.
pub struct FrameCoder {
    coding: FrameCoding,
    frame: usize,
    /// Where every `audio-lpc` frame's code starts.
    start: CodeStart,
    /// The last frame set encoded (by its sha256) and its streams: schemes that share a coder
    /// share its encoding.
    encoded: EncodedOnce,
}

impl FrameCoder {
    /// The coder of `coding` for frames of `frame` samples, `audio-lpc` frames starting from
    /// `start` ([`prime`]; PCM ignores it).
    pub fn new(coding: FrameCoding, frame: usize, start: CodeStart) -> Self {
        FrameCoder { coding, frame, start, encoded: EncodedOnce::default() }
    }

    /// Samples per frame.
    pub fn frame(&self) -> usize {
        self.frame
    }

    pub fn coding(&self) -> FrameCoding {
        self.coding
    }

    /// The coder's name in the results (`source_key` of the schemes that share it).
    pub fn name(&self) -> &'static str {
        match self.coding {
            FrameCoding::Lpc => lpc::NAME,
            FrameCoding::Pcm => "pcm16",
        }
    }

    /// Every frame's stream, frames in parallel (once per frame set).
    pub fn encode(&self, set: &FrameSet) -> Arc<Vec<Bits>> {
        self.encoded
            .get_or_encode(set.sha256(), || set.frames.par_iter().map(|f| self.encode_frame(&f.samples)).collect())
    }

    fn encode_frame(&self, samples: &[i16]) -> Bits {
        match self.coding {
            FrameCoding::Lpc => self.start.encode_bits(samples),
            FrameCoding::Pcm => {
                samples.iter().flat_map(|&s| (0..PCM_BITS).rev().map(move |i| ((s as u16 >> i) & 1) as u8)).collect()
            }
        }
    }

    /// Decodes each stream to a frame (see the module docs), in parallel.
    pub fn decode_batch(&self, streams: &[&[u8]]) -> Vec<DecodedFrame> {
        streams.par_iter().map(|bits| self.decode(bits)).collect()
    }

    fn decode(&self, bits: &[u8]) -> DecodedFrame {
        let n = self.frame;
        match self.coding {
            FrameCoding::Lpc => {
                let decoded = self.start.decode_bits_checked(bits, n);
                // The sample the code broke at was predicted too.
                let steps = decoded.samples.len() + !decoded.complete as usize;
                let mut samples = decoded.samples;
                samples.resize(n, 0);
                DecodedFrame { samples, intact: decoded.exact, steps: steps as u64 }
            }
            FrameCoding::Pcm => {
                let mut samples: Vec<i16> = bits
                    .chunks_exact(PCM_BITS)
                    .take(n)
                    .map(|w| w.iter().fold(0u16, |acc, &b| (acc << 1) | (b & 1) as u16) as i16)
                    .collect();
                samples.resize(n, 0);
                DecodedFrame { samples, intact: bits.len() == n * PCM_BITS, steps: 0 }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::audio::frames::Frame;
    use crate::link::audio::frames::SourceClip;

    fn speech_like(n: usize) -> Vec<i16> {
        (0..n).map(|i| ((i as f64 * 0.07).sin() * 4000.0 + (i as f64 * 0.31).sin() * 900.0) as i16).collect()
    }

    /// A start primed on other samples of the same kind of signal.
    fn primed() -> CodeStart {
        CodeStart::primed(&speech_like(4096).iter().map(|s| s / 2).collect::<Vec<_>>())
    }

    fn set_of(frames: Vec<Vec<i16>>) -> FrameSet {
        let n = frames[0].len();
        FrameSet {
            frame: n,
            clips: vec![SourceClip { name: "x".into(), sample_rate: 16000, length: n * frames.len() }],
            frames: frames
                .into_iter()
                .enumerate()
                .map(|(j, samples)| Frame { clip: 0, start: j * n, samples })
                .collect(),
        }
    }

    #[test]
    fn both_codings_round_trip_and_lpc_compresses() {
        let set = set_of(vec![speech_like(512), speech_like(512).iter().map(|s| s / 3).collect()]);
        for coding in [FrameCoding::Lpc, FrameCoding::Pcm] {
            let coder = FrameCoder::new(coding, 512, primed());
            let streams = coder.encode(&set);
            let refs: Vec<&[u8]> = streams.iter().map(Vec::as_slice).collect();
            let decoded = coder.decode_batch(&refs);
            for (d, f) in decoded.iter().zip(&set.frames) {
                assert_eq!(d.samples, f.samples, "{coding:?}");
                assert!(d.intact, "{coding:?}");
            }
            let bits = streams[0].len();
            match coding {
                FrameCoding::Pcm => assert_eq!(bits, 512 * 16),
                FrameCoding::Lpc => assert!(bits < 512 * 16 / 2, "{bits} bits"),
            }
        }
    }

    #[test]
    fn damaged_streams_decode_to_full_frames_and_are_flagged() {
        let samples = speech_like(1024);
        let set = set_of(vec![samples.clone()]);
        let lpc_coder = FrameCoder::new(FrameCoding::Lpc, 1024, primed());
        let code = lpc_coder.encode(&set)[0].clone();
        let (mut flagged, mut flips) = (0, 0);
        for at in (0..code.len()).step_by(code.len() / 40 + 1) {
            flips += 1;
            let mut bad = code.clone();
            bad[at] ^= 1;
            let d = lpc_coder.decode(&bad);
            assert_eq!(d.samples.len(), 1024);
            flagged += !d.intact as usize;
        }
        // Re-encoding what decoded never gives the damaged bits, so every flip is flagged.
        assert_eq!(flagged, flips);
        // Cut short: the decoded prefix, then silence.
        let d = lpc_coder.decode(&code[..code.len() / 2]);
        assert!(!d.intact && d.samples[1000..].iter().all(|&s| s == 0));
        assert_eq!(d.samples[..100], samples[..100]);
        // PCM: a flip changes one sample by a power of two and cannot be told; a short stream can.
        let pcm = FrameCoder::new(FrameCoding::Pcm, 1024, CodeStart::cold());
        let mut bits = pcm.encode(&set)[0].clone();
        bits[16 * 5] ^= 1; // the sign bit of sample 5
        let d = pcm.decode(&bits);
        assert!(d.intact);
        assert_eq!(d.samples[5] as i32 - samples[5] as i32, if samples[5] < 0 { 32768 } else { -32768 });
        assert!(!pcm.decode(&bits[..100]).intact);
    }
}
