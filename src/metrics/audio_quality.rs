//! Audio quality of received frames: SNR, segmental SNR and exact recovery.
//!
//! - **SNR** of a point: `10·log10(Σ s² / Σ (s − r)²)` over every sample of every frame the point
//!   delivered, sent `s` against received `r` (16-bit sample values). When every frame arrived
//!   exactly the error is 0, reported as the cap [`SNR_EXACT_DB`] (100 dB; one sample off by one
//!   in a frame of speech already gives far less, so the cap only ever means "exact").
//! - **Segmental SNR** (the speech-enhancement literature's `segSNR`; Hansen & Pellom, ICSLP 1998,
//!   "An effective quality evaluation protocol for speech enhancement algorithms", whose limits
//!   we take): each frame is cut into segments of [`SEGMENT`] samples (16 ms at 16 kHz; a last
//!   shorter one is a segment too), each segment's SNR clamped to [−10, 35] dB (an exact segment
//!   scores 35, a silent segment that received noise −10), and the point's segSNR is the mean over
//!   all its segments. It weighs quiet passages as much as loud ones, where the SNR is ruled by
//!   the loud ones; hence both columns.
//! - **STOI** (Taal et al. 2011) and **ESTOI** (Jensen & Taal 2016), [`super::stoi`]: the mean of
//!   the point's segment scores (384 ms runs of each clip's frames joined,
//!   `crate::link::audio::intelligibility`); about 0 for unintelligible speech, 1 for speech as
//!   sent.
//! - **Intervals**: 95 % percentile bootstrap over frames ([`super::bootstrap`]): the SNR's from
//!   the resampled frames' signal and error energies taken together (a ratio of sums, so a point
//!   whose frames were all muted, error = signal, has the point interval [0, 0] dB), the segmental
//!   SNR's from the frames' mean segment SNRs, with the same draws. STOI's and ESTOI's segments
//!   overlap (each shares 29 of its 30 spectral frames with the next), so their intervals resample
//!   blocks of [`STOI_BLOCK`] consecutive segments of one clip (a block bootstrap; Künsch, Ann.
//!   Statist. 1989), each block's sum over its count, as a ratio of sums.

use crate::metrics::bootstrap::{mean_intervals_95, ratio_interval_95};

/// The SNR reported when every sample arrived exactly.
pub const SNR_EXACT_DB: f64 = 100.0;

/// Samples per segment of the segmental SNR.
pub const SEGMENT: usize = 256;

/// Limits of a segment's SNR (Hansen & Pellom 1998).
pub const SEGMENT_SNR_MIN_DB: f64 = -10.0;
pub const SEGMENT_SNR_MAX_DB: f64 = 35.0;

/// Consecutive STOI (or ESTOI) segments per resampled block: one segment's length, so that two
/// blocks share only the spectral frames at their edges.
pub const STOI_BLOCK: usize = crate::metrics::stoi::SEGMENT_FRAMES;

/// One received frame's scores against the frame sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameScores {
    /// Sum of squared sample values sent.
    pub signal: f64,
    /// Sum of squared sample errors.
    pub error: f64,
    pub samples: u64,
    /// Mean of the frame's segment SNRs, dB.
    pub seg_snr_db: f64,
    pub exact: bool,
}

/// Scores `received` against `sent` (one frame of samples each).
pub fn score_frame(sent: &[i16], received: &[i16]) -> FrameScores {
    assert_eq!(received.len(), sent.len(), "received frame size");
    let sq = |a: &[i16], b: &[i16]| -> (f64, f64) {
        a.iter().zip(b).fold((0.0, 0.0), |(s, e), (&x, &y)| {
            let d = x as f64 - y as f64;
            (s + (x as f64) * (x as f64), e + d * d)
        })
    };
    let (signal, error) = sq(sent, received);
    let segments: Vec<f64> = sent
        .chunks(SEGMENT)
        .zip(received.chunks(SEGMENT))
        .map(|(a, b)| {
            let (s, e) = sq(a, b);
            if e == 0.0 {
                SEGMENT_SNR_MAX_DB
            } else if s == 0.0 {
                SEGMENT_SNR_MIN_DB
            } else {
                (10.0 * (s / e).log10()).clamp(SEGMENT_SNR_MIN_DB, SEGMENT_SNR_MAX_DB)
            }
        })
        .collect();
    FrameScores {
        signal,
        error,
        samples: sent.len() as u64,
        seg_snr_db: segments.iter().sum::<f64>() / segments.len().max(1) as f64,
        exact: error == 0.0,
    }
}

/// SNR in dB of a total `error` energy against a `signal` energy ([`SNR_EXACT_DB`] when the error
/// is 0; −100 dB for a silent signal received with noise, so a row never holds an infinity).
pub fn snr_db(signal: f64, error: f64) -> f64 {
    if error <= 0.0 {
        return SNR_EXACT_DB;
    }
    if signal <= 0.0 {
        return -SNR_EXACT_DB;
    }
    10.0 * (signal / error).log10()
}

/// A point's audio scores: every frame it delivered, in item order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioCounts {
    pub per_frame: Vec<FrameScores>,
    /// STOI segment scores, one list per utterance scored (each clip of each repeat of the set).
    pub stoi_segments: Vec<Vec<f64>>,
    /// ESTOI segment scores, as `stoi_segments`.
    pub estoi_segments: Vec<Vec<f64>>,
}

/// 95 % intervals of a point's SNR, segmental SNR, STOI and ESTOI (`None` where it has no STOI).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioIntervals {
    pub snr_db: (f64, f64),
    pub seg_snr_db: (f64, f64),
    pub stoi: Option<(f64, f64)>,
    pub estoi: Option<(f64, f64)>,
}

impl AudioCounts {
    pub fn add(&mut self, scores: FrameScores) {
        self.per_frame.push(scores);
    }

    pub fn messages(&self) -> u64 {
        self.per_frame.len() as u64
    }

    /// Frames that did not arrive exactly.
    pub fn message_errors(&self) -> u64 {
        self.per_frame.iter().filter(|f| !f.exact).count() as u64
    }

    /// SNR of all frames together (see the module docs).
    pub fn snr_db(&self) -> f64 {
        let signal: f64 = self.per_frame.iter().map(|f| f.signal).sum();
        let error: f64 = self.per_frame.iter().map(|f| f.error).sum();
        snr_db(signal, error)
    }

    /// Mean segment SNR (every frame has the same number of segments).
    pub fn seg_snr_db(&self) -> f64 {
        self.per_frame.iter().map(|f| f.seg_snr_db).sum::<f64>() / self.per_frame.len().max(1) as f64
    }

    /// Mean STOI segment score; `None` when no clip had enough speech to score.
    pub fn stoi(&self) -> Option<f64> {
        pooled_mean(&self.stoi_segments)
    }

    /// Mean ESTOI segment score; `None` when no clip had enough speech to score.
    pub fn estoi(&self) -> Option<f64> {
        pooled_mean(&self.estoi_segments)
    }

    /// Bootstrap intervals (see the module docs).
    pub fn intervals(&self) -> AudioIntervals {
        let signal: Vec<f64> = self.per_frame.iter().map(|f| f.signal).collect();
        let error: Vec<f64> = self.per_frame.iter().map(|f| f.error).collect();
        let seg: Vec<f64> = self.per_frame.iter().map(|f| f.seg_snr_db).collect();
        // error / signal: a resample without errors gives 0, not a division by zero.
        let (lo, hi) = ratio_interval_95(&error, &signal);
        // 0/0 (silent and exact frames alone) is exact; x/0 (silence received as noise) the floor.
        let snr = |ratio: f64| match ratio {
            r if r.is_nan() || r <= 0.0 => SNR_EXACT_DB,
            r if r.is_infinite() => -SNR_EXACT_DB,
            r => -10.0 * r.log10(),
        };
        AudioIntervals {
            snr_db: (snr(hi), snr(lo)),
            seg_snr_db: mean_intervals_95(&[&seg])[0],
            stoi: block_interval(&self.stoi_segments),
            estoi: block_interval(&self.estoi_segments),
        }
    }
}

/// The mean of every utterance's segment scores together; `None` without any.
fn pooled_mean(utterances: &[Vec<f64>]) -> Option<f64> {
    let (sum, count) = utterances.iter().flatten().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (count > 0).then(|| sum / count as f64)
}

/// The block-bootstrap interval of [`pooled_mean`] (see the module docs); `None` without segments.
fn block_interval(utterances: &[Vec<f64>]) -> Option<(f64, f64)> {
    let (block_sums, block_counts): (Vec<f64>, Vec<f64>) = utterances
        .iter()
        .flat_map(|u| u.chunks(STOI_BLOCK))
        .map(|block| (block.iter().sum::<f64>(), block.len() as f64))
        .unzip();
    (!block_sums.is_empty()).then(|| ratio_interval_95(&block_sums, &block_counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snr_and_segmental_snr_of_known_errors() {
        // A square wave of amplitude 1000 received with every sample 10 too high: SNR 40 dB; each
        // segment's SNR is 40 dB too, clamped to 35.
        let sent: Vec<i16> = (0..1024).map(|i| if i % 32 < 16 { 1000 } else { -1000 }).collect();
        let off: Vec<i16> = sent.iter().map(|s| s + 10).collect();
        let f = score_frame(&sent, &off);
        assert!((snr_db(f.signal, f.error) - 40.0).abs() < 1e-9);
        assert_eq!(f.seg_snr_db, SEGMENT_SNR_MAX_DB);
        assert!(!f.exact);
        // Errors in one segment only: the other three score 35 dB, that one its own SNR.
        let mut one = sent.clone();
        for s in &mut one[256..512] {
            *s /= 2; // error 500 on every sample: 10·log10(1000² / 500²) = 6.02 dB
        }
        let g = score_frame(&sent, &one);
        let expected = (3.0 * 35.0 + 20.0 * 2f64.log10()) / 4.0;
        assert!((g.seg_snr_db - expected).abs() < 1e-9, "{}", g.seg_snr_db);
        // Silence received as noise: the floor; an exact frame: the caps.
        let silent = vec![0i16; 300];
        let noisy: Vec<i16> = (0..300).map(|i| (i % 3) as i16 - 1).collect();
        let h = score_frame(&silent, &noisy);
        assert_eq!(h.seg_snr_db, SEGMENT_SNR_MIN_DB);
        assert_eq!(snr_db(h.signal, h.error), -SNR_EXACT_DB);
        let exact = score_frame(&sent, &sent);
        assert!(exact.exact && exact.seg_snr_db == SEGMENT_SNR_MAX_DB);
        assert_eq!(snr_db(exact.signal, exact.error), SNR_EXACT_DB);
    }

    #[test]
    fn a_point_pools_errors_and_its_intervals_hold_its_values() {
        let sent: Vec<i16> = (0..512).map(|i| ((i as f64 * 0.1).sin() * 3000.0) as i16).collect();
        let mut counts = AudioCounts::default();
        for k in 0..40 {
            let received: Vec<i16> =
                sent.iter().enumerate().map(|(i, s)| s + 100 * (((i * 7 + k) % 11) as i16 - 5)).collect();
            counts.add(score_frame(&sent, if k % 4 == 0 { &sent } else { &received }));
        }
        assert_eq!((counts.messages(), counts.message_errors()), (40, 30));
        let signal: f64 = counts.per_frame.iter().map(|f| f.signal).sum();
        let error: f64 = counts.per_frame.iter().map(|f| f.error).sum();
        assert!((counts.snr_db() - 10.0 * (signal / error).log10()).abs() < 1e-12);
        let iv = counts.intervals();
        // Every frame muted (error = signal): 0 dB, and so is every resample.
        let mut muted = AudioCounts::default();
        for _ in 0..10 {
            muted.add(score_frame(&sent, &vec![0; sent.len()]));
        }
        assert_eq!((muted.snr_db(), muted.intervals().snr_db), (0.0, (0.0, 0.0)));
        assert!(iv.snr_db.0 < counts.snr_db() && counts.snr_db() < iv.snr_db.1, "{iv:?}");
        assert!(iv.seg_snr_db.0 < counts.seg_snr_db() && counts.seg_snr_db() < iv.seg_snr_db.1, "{iv:?}");
        assert_eq!((counts.stoi(), iv.stoi, counts.estoi(), iv.estoi), (None, None, None, None));
    }

    #[test]
    fn stoi_pools_every_segment_and_resamples_blocks() {
        // Two utterances: 70 segments at 0.9 and 50 alternating 0.2 / 0.6 (blocks of 30, 30, 10
        // and 30, 20).
        let alternating: Vec<f64> = (0..50).map(|i| if i % 2 == 0 { 0.2 } else { 0.6 }).collect();
        let segments = vec![vec![0.9; 70], alternating];
        let counts = AudioCounts { stoi_segments: segments.clone(), estoi_segments: segments, ..Default::default() };
        let want = (70.0 * 0.9 + 25.0 * 0.8) / 120.0;
        assert!((counts.stoi().unwrap() - want).abs() < 1e-12);
        // ESTOI is pooled the same way, from its own segments.
        assert_eq!((counts.estoi(), counts.intervals().estoi), (counts.stoi(), counts.intervals().stoi));
        let (lo, hi) = counts.intervals().stoi.unwrap();
        assert!(lo < want && want < hi, "{lo} {hi}");
        // Block means lie in [0.4, 0.9]: so does every resample's.
        assert!(lo >= 0.4 - 1e-12 && hi <= 0.9 + 1e-12, "{lo} {hi}");
        // Every segment the same: the point interval.
        let flat = AudioCounts { stoi_segments: vec![vec![0.5; 45]], ..Default::default() };
        let (lo, hi) = flat.intervals().stoi.unwrap();
        assert!((lo - 0.5).abs() < 1e-12 && (hi - 0.5).abs() < 1e-12);
    }
}
