//! The frames an audio scenario sends: speech clips cut into frames of `frame` samples, one frame
//! per message.
//!
//! Clips are the named ones of the fixed speech set (`source::audio::clips`, fetched and
//! hash-checked) and then every channel of each `[audio] files` WAV file, in that order. Each clip
//! is cut into frames in time order; a last frame shorter than `frame` is dropped. `frames = N`
//! keeps the first N frames (`sample = "first"`, the default: the clips then play in order) or N
//! drawn without replacement from a stream of the scenario's seed (`"random"`, kept in set order);
//! 0 keeps every frame.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use source::audio::clips::{clip_by_name, load_clip};
use source::audio::wav::{load_wav, Audio};

use crate::link::paths::resolve;
use crate::link::sampling::pick_messages;
use crate::scenario::AudioConfig;

/// Stream id of the random sample of frames (kept apart from every scheme's channel streams).
const SAMPLE_STREAM: u64 = 0x6672_616d; // "fram"

/// One frame: where it comes from and its samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Index into [`FrameSet::clips`].
    pub clip: usize,
    /// Index of the frame's first sample in its clip.
    pub start: usize,
    pub samples: Vec<i16>,
}

/// A clip the frames come from (one channel of a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceClip {
    /// The clip's name, or the file as the scenario gives it (with `#channel` for a channel past
    /// the first).
    pub name: String,
    pub sample_rate: u32,
    /// Samples in the clip.
    pub length: usize,
}

/// The frames sent, in message order.
#[derive(Debug, Clone)]
pub struct FrameSet {
    /// Samples per frame.
    pub frame: usize,
    pub clips: Vec<SourceClip>,
    pub frames: Vec<Frame>,
}

impl FrameSet {
    /// Loads the clips `config` names (files relative to `base` when not found as given) and picks
    /// the frames (see the module docs).
    pub fn load(config: &AudioConfig, base: &Path, seed: u64, verbose: bool) -> anyhow::Result<Self> {
        let mut loaded: Vec<(String, u32, Vec<i16>)> = Vec::new();
        for name in &config.clips {
            let clip = clip_by_name(name).with_context(|| format!("field 'audio.clips': no clip named '{name}'"))?;
            let audio = load_clip(clip, verbose).with_context(|| format!("field 'audio.clips': '{name}'"))?;
            loaded.extend(channels_of(name, audio));
        }
        for file in &config.files {
            let path: PathBuf = resolve(file, base);
            let audio = load_wav(&path).with_context(|| format!("field 'audio.files': {file}"))?;
            loaded.extend(channels_of(file, audio));
        }
        let n = config.frame;
        let mut clips = Vec::new();
        let mut all = Vec::new();
        for (i, (name, sample_rate, samples)) in loaded.into_iter().enumerate() {
            for (f, chunk) in samples.chunks_exact(n).enumerate() {
                all.push(Frame { clip: i, start: f * n, samples: chunk.to_vec() });
            }
            clips.push(SourceClip { name, sample_rate, length: samples.len() });
        }
        if all.is_empty() {
            anyhow::bail!("field 'audio.frame': no clip is {n} samples long, so there is no frame to send");
        }
        let wanted = if config.frames == 0 { all.len() } else { config.frames };
        if wanted > all.len() {
            anyhow::bail!(
                "field 'audio.frames' asks for {wanted} frames but the clips give {} frames of {n} samples",
                all.len()
            );
        }
        let picked = pick_messages(all.len(), wanted, config.sample, seed, SAMPLE_STREAM);
        let frames = picked.into_iter().map(|j| all[j].clone()).collect();
        Ok(FrameSet { frame: n, clips, frames })
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Samples over all frames.
    pub fn samples(&self) -> u64 {
        (self.frames.len() * self.frame) as u64
    }

    /// Mean power of the samples sent (over every frame), at least 1: what the analog scheme
    /// scales to unit power by.
    pub fn mean_power(&self) -> f64 {
        let sum: f64 = self.frames.iter().flat_map(|f| &f.samples).map(|&s| (s as f64) * (s as f64)).sum();
        (sum / self.samples().max(1) as f64).max(1.0)
    }

    /// Clip `clip` as the frames `samples_of(j)` give it: each of its frames in the set at its
    /// place, silence where no frame was sent; cut after its last frame sent.
    pub fn splice<'a>(&self, clip: usize, samples_of: impl Fn(usize) -> &'a [i16]) -> Audio {
        let end = self.frames.iter().filter(|f| f.clip == clip).map(|f| f.start + self.frame).max().unwrap_or(0);
        let mut samples = vec![0i16; end];
        for (j, f) in self.frames.iter().enumerate().filter(|(_, f)| f.clip == clip) {
            samples[f.start..f.start + self.frame].copy_from_slice(samples_of(j));
        }
        Audio { sample_rate: self.clips[clip].sample_rate, channels: 1, samples }
    }

    /// sha256 over the frames' places and samples, in order: what a merge checks it scores against.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        h.update((self.frame as u64).to_le_bytes());
        for f in &self.frames {
            h.update(self.clips[f.clip].name.as_bytes());
            h.update([0]);
            h.update((f.start as u64).to_le_bytes());
            for s in &f.samples {
                h.update(s.to_le_bytes());
            }
        }
        format!("{:x}", h.finalize())
    }
}

/// Each channel of `audio` as a clip: `name`, then `name#2`, `name#3`, … for the channels after
/// the first.
fn channels_of(name: &str, audio: Audio) -> Vec<(String, u32, Vec<i16>)> {
    let ch = audio.channels.max(1) as usize;
    (0..ch)
        .map(|c| {
            let label = if c == 0 { name.to_string() } else { format!("{name}#{}", c + 1) };
            (label, audio.sample_rate, audio.samples.iter().skip(c).step_by(ch).copied().collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SampleKind;

    #[test]
    fn frames_in_time_order_short_ends_dropped_channels_split() {
        let dir = tempfile::tempdir().unwrap();
        // Stereo, 10 samples per channel: left counts up, right counts down.
        let stereo = Audio { sample_rate: 8000, channels: 2, samples: (0..10).flat_map(|i| [i, -i]).collect() };
        std::fs::write(dir.path().join("s.wav"), source::audio::wav::encode_wav(&stereo)).unwrap();
        let config = AudioConfig {
            clips: vec![],
            files: vec!["s.wav".into()],
            frame: 4,
            frames: 0,
            sample: SampleKind::First,
            ..AudioConfig::default()
        };
        let set = FrameSet::load(&config, dir.path(), 1, false).unwrap();
        let at: Vec<(usize, usize)> = set.frames.iter().map(|f| (f.clip, f.start)).collect();
        assert_eq!(at, vec![(0, 0), (0, 4), (1, 0), (1, 4)]);
        assert_eq!(set.clips[1].name, "s.wav#2");
        assert_eq!(set.frames[1].samples, vec![4, 5, 6, 7]);
        assert_eq!(set.frames[2].samples, vec![0, -1, -2, -3]);
        // The splice puts every frame back; the dropped tail is not there.
        assert_eq!(set.splice(0, |j| &set.frames[j].samples).samples, (0..8).collect::<Vec<i16>>());
        let r = |seed| {
            FrameSet::load(
                &AudioConfig { frames: 2, sample: SampleKind::Random, ..config.clone() },
                dir.path(),
                seed,
                false,
            )
            .unwrap()
        };
        assert_eq!(r(5).sha256(), r(5).sha256());
        assert_ne!(r(5).sha256(), set.sha256());
        // A frame missing from a sampled set is silence in the splice.
        let one = FrameSet::load(&AudioConfig { frames: 1, ..config.clone() }, dir.path(), 1, false).unwrap();
        assert_eq!(one.splice(0, |j| &one.frames[j].samples).samples.len(), 4);
        let e = FrameSet::load(&AudioConfig { frames: 5, ..config.clone() }, dir.path(), 1, false).unwrap_err();
        assert!(format!("{e:#}").contains("audio.frames"), "{e:#}");
        let e = FrameSet::load(&AudioConfig { frame: 11, ..config }, dir.path(), 1, false).unwrap_err();
        assert!(format!("{e:#}").contains("audio.frame"), "{e:#}");
    }
}
