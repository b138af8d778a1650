//! STOI of a point's received frames ([`crate::metrics::stoi`]): each clip's frames, in set order
//! and joined end to end, are one utterance, scored against the same frames as sent.
//!
//! STOI scores 384 ms runs of speech, far longer than a frame, so it is scored per clip rather than
//! per frame. With `sample = "first"` a clip's frames are a contiguous stretch of it; with
//! `"random"` they are joined across the gaps, the same joins in the signals sent and received.
//! The clean side (resampling, silent-frame mask, band envelopes) is computed once per set; each
//! repeat of the set is scored as utterances of its own. A clip with too little speech to hold one
//! 30-frame run (about 0.4 s after silence removal) is left out of the score.

use super::frames::FrameSet;
use crate::metrics::stoi::StoiReference;

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
    pub fn segment_scores<'a>(&self, received: impl Fn(usize) -> &'a [i16]) -> Vec<Vec<f64>> {
        self.clips.iter().map(|(frames, reference)| reference.segment_scores(&join(frames, &received))).collect()
    }
}

/// Frames `frames` joined end to end, as real samples.
fn join<'a>(frames: &[usize], samples_of: impl Fn(usize) -> &'a [i16]) -> Vec<f64> {
    frames.iter().flat_map(|&j| samples_of(j).iter().map(|&s| s as f64)).collect()
}
