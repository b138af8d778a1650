//! STOI and ESTOI of a point's received frames ([`crate::metrics::stoi`]): each clip's frames, in
//! set order and joined end to end, are one utterance, scored against the same frames as sent.
//!
//! Both score 384 ms runs of speech, far longer than a frame, so it is scored per clip rather than
//! per frame. With `sample = "first"` a clip's frames are a contiguous stretch of it; with
//! `"random"` they are joined across the gaps, the same joins in the signals sent and received.
//! The clean side (resampling, silent-frame mask, band envelopes) is computed once per set; each
//! repeat of the set is scored as utterances of its own. A clip with too little speech to hold one
//! 30-frame run (about 0.4 s after silence removal) is left out of the score.

use super::frames::FrameSet;
use crate::metrics::stoi::{SegmentScores, StoiReference};

/// The clean side of every clip's utterance, built once per frame set.
pub struct ClipsStoi {
    /// Per clip that can be scored: its frames' indices in set order and its reference.
    clips: Vec<(Vec<usize>, StoiReference)>,
}

impl ClipsStoi {
    pub fn new(set: &FrameSet) -> Self {
        let clips = (0..set.clips.len())
            .filter_map(|c| {
                let frames: Vec<usize> = (0..set.len()).filter(|&j| set.frames[j].clip == c).collect();
                let sent = join(&frames, |j| &set.frames[j].samples);
                let reference = StoiReference::new(&sent, set.clips[c].sample_rate)?;
                Some((frames, reference))
            })
            .collect();
        ClipsStoi { clips }
    }

    /// The segment scores of every clip's utterance as `received(j)` gives frame `j` of the set
    /// (one list per clip that can be scored, in clip order).
    pub fn segment_scores<'a>(&self, received: impl Fn(usize) -> &'a [i16]) -> Vec<SegmentScores> {
        self.clips.iter().map(|(frames, reference)| reference.segment_scores(&join(frames, &received))).collect()
    }
}

/// Frames `frames` joined end to end, as real samples.
fn join<'a>(frames: &[usize], samples_of: impl Fn(usize) -> &'a [i16]) -> Vec<f64> {
    frames.iter().flat_map(|&j| samples_of(j).iter().map(|&s| s as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::audio::frames::{Frame, SourceClip};

    /// Two clips of speech-like sound (a chirp under a syllable-rate envelope), cut into frames.
    fn two_clips(frame: usize, frames_per_clip: usize) -> FrameSet {
        let clip = |seed: f64| -> Vec<i16> {
            (0..frame * frames_per_clip)
                .map(|i| {
                    let t = i as f64 / 16_000.0;
                    let envelope = (2.0 * std::f64::consts::PI * 4.0 * t).sin().abs();
                    (envelope * 8000.0 * (2.0 * std::f64::consts::PI * (300.0 + seed * 400.0 * t) * t).sin()) as i16
                })
                .collect()
        };
        let (a, b) = (clip(1.0), clip(2.0));
        let frames = [(0, &a), (1, &b)]
            .into_iter()
            .flat_map(|(c, s)| {
                s.chunks(frame).enumerate().map(move |(f, x)| Frame { clip: c, start: f * frame, samples: x.to_vec() })
            })
            .collect();
        let source =
            |name: &str| SourceClip { name: name.into(), sample_rate: 16_000, length: frame * frames_per_clip };
        FrameSet { frame, clips: vec![source("a"), source("b")], frames }
    }

    #[test]
    fn each_clip_is_an_utterance_scored_on_its_own() {
        let set = two_clips(1024, 24);
        let stoi = ClipsStoi::new(&set);
        let sent = stoi.segment_scores(|j| &set.frames[j].samples);
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().flat_map(|s| s.stoi.iter().chain(&s.estoi)).all(|&s| (s - 1.0).abs() < 1e-9));
        // Clip b muted: its segments score 0 (ESTOI's within its dither's reach), clip a's are
        // untouched.
        let silence = vec![0i16; 1024];
        let muted = stoi.segment_scores(|j| if set.frames[j].clip == 1 { &silence } else { &set.frames[j].samples });
        assert_eq!(muted[0], sent[0]);
        assert!(muted[1].stoi.iter().all(|&s| s.abs() < 1e-9), "{:?}", &muted[1].stoi[..3]);
        let estoi = muted[1].estoi.iter().sum::<f64>() / muted[1].estoi.len() as f64;
        assert!(
            estoi.abs() < 0.02 && muted[1].estoi.iter().all(|&s| s.abs() < 0.2),
            "{estoi} {:?}",
            &muted[1].estoi[..3]
        );
        // A clip too short to hold one 384 ms segment is left out.
        let short = two_clips(256, 8);
        assert!(ClipsStoi::new(&short).segment_scores(|j| &short.frames[j].samples).is_empty());
    }
}
