//! STOI, the short-time objective intelligibility measure of received speech against the speech
//! sent (Taal, Hendriks, Heusdens & Jensen, "An Algorithm for Intelligibility Prediction of
//! Time-Frequency Weighted Noisy Speech", IEEE TASLP 19(7), 2011).
//!
//! The algorithm, with the constants of the paper and of its reference implementations (MATLAB
//! `stoi.m`, ported as `pystoi`):
//! 1. Both signals are resampled to 10 kHz (Octave's `resample` filter, [`crate::dsp::resample`]).
//! 2. Silent frames are dropped: 256-sample Hann frames at hop 128 whose energy in the clean signal
//!    is 40 dB or more below its loudest frame; the frames kept (of both signals, by the clean
//!    signal's mask) are overlap-added back into signals.
//! 3. Short-time spectra: 256-sample Hann frames at hop 128, 512-point DFT; 15 one-third-octave
//!    bands from 150 Hz, each band's magnitude the root of its bins' summed power.
//! 4. For every run of N = 30 consecutive frames (384 ms) and every band, the received envelope is
//!    scaled to the clean one's energy, clipped at 15 dB above it (β = −15 dB), and correlated with
//!    it (both made zero-mean and unit-norm).
//! 5. STOI is the mean of those correlations over bands and runs: about 0 for unintelligible, 1 for
//!    identical speech.
//!
//! **ESTOI**, the extended STOI (Jensen & Taal, "An Algorithm for Predicting the Intelligibility
//! of Speech Masked by Modulated Noise Maskers", IEEE TASLP 24(11), 2016), shares steps 1–3 and
//! replaces 4–5: each 15 × 30 run of band envelopes is normalised row by row (each band's envelope
//! made zero-mean and unit-norm across the run) and then column by column (each frame's spectrum
//! made zero-mean and unit-norm across the bands), without clipping, and its score is the mean over
//! the run's frames of the correlation of the two spectra. Where STOI correlates each band's
//! envelope on its own, ESTOI compares the spectral shapes frame by frame, so it also sees
//! distortions that come and go within a run: speech muted for some frames (lost frames on a link)
//! or noise that fluctuates. ESTOI is the mean over runs; it can be slightly below 0.
//!
//! Each run's score is kept as a *segment score* so that several clips can be pooled (a point's
//! STOI or ESTOI is the mean over all its segments) and resampled for an interval. What we match to
//! 1e-9 in value is `pystoi.stoi(x, y, fs, extended)` 0.4.1 (ESTOI: where its dither does not
//! decide, below), checked by `tests/it/stoi.rs` on real speech. Where pystoi returns 1e-5 with a
//! warning (fewer than 30 frames after silence removal), we return no score.
//!
//! **ESTOI's dither.** Before each of its two normalisations the reference (pystoi's
//! `row_col_normalize`) adds `ε·N(0, 1)` to every entry (ε = 2.2·10⁻¹⁶, f64's epsilon) from an
//! unseeded generator, so that a row or column without variation (a band with no energy through
//! the run, as in a run of muted speech) has a direction to normalise. Elsewhere the dither moves
//! the score by about 10⁻¹⁵; on such runs it decides the score, which is then a random draw in the
//! reference (its values on muted stretches spread by about 10⁻³ from one call to the next). We
//! add the same dither from our own generator, seeded by [`ESTOI_DITHER_SEED`] at the start of
//! every utterance (one stream for the clean side, one for the received), so our ESTOI is a draw
//! from the reference's distribution that is the same on every run, shard and machine.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::dsp::fft::Fft;
use crate::dsp::resample::resample_octave;

/// STOI's internal sample rate.
pub const FS: u32 = 10_000;
const FRAME: usize = 256;
const HOP: usize = FRAME / 2;
const NFFT: usize = 512;
const BANDS: usize = 15;
const MIN_FREQ: f64 = 150.0;
/// Frames per segment (384 ms at hop 128).
pub const SEGMENT_FRAMES: usize = 30;
/// Lower signal-to-distortion bound of the clipping, dB.
const BETA_DB: f64 = -15.0;
const DYN_RANGE_DB: f64 = 40.0;
/// NumPy's float epsilon, which the reference adds to norms (and ESTOI's dither is scaled by).
const EPS: f64 = f64::EPSILON;
/// The seed of ESTOI's dither (see the module docs); the clean side draws from stream 0, the
/// received side from stream 1.
pub const ESTOI_DITHER_SEED: u64 = 0x5E5_7015;

/// A received utterance's scores, one per run of [`SEGMENT_FRAMES`] frames, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentScores {
    pub stoi: Vec<f64>,
    pub estoi: Vec<f64>,
}

/// The clean signal's side of STOI, computed once and scored against any number of received
/// signals of the same length: its silent-frame mask and its band envelopes.
pub struct StoiReference {
    sample_rate: u32,
    len: usize,
    /// Which 256-sample frames (at hop 128, at 10 kHz) are kept.
    keep: Vec<bool>,
    /// Band envelopes, `[band][frame]`.
    bands: Vec<Vec<f64>>,
}

impl StoiReference {
    /// The clean signal `x` at `sample_rate` Hz; `None` when fewer than [`SEGMENT_FRAMES`] frames
    /// remain after silence removal (too short or too quiet to score).
    pub fn new(x: &[f64], sample_rate: u32) -> Option<Self> {
        let x = to_stoi_rate(x, sample_rate);
        let window = hann(FRAME);
        let starts = frame_starts(x.len());
        if starts.is_empty() {
            return None;
        }
        let energies: Vec<f64> = starts
            .iter()
            .map(|&i| {
                let norm = x[i..i + FRAME].iter().zip(&window).map(|(s, w)| (s * w) * (s * w)).sum::<f64>().sqrt();
                20.0 * (norm + EPS).log10()
            })
            .collect();
        let loudest = energies.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let keep: Vec<bool> = energies.iter().map(|e| loudest - DYN_RANGE_DB - e < 0.0).collect();
        let bands = band_envelopes(&overlap_add_kept(&x, &keep, &window));
        (bands[0].len() >= SEGMENT_FRAMES).then_some(StoiReference { sample_rate, len: x.len(), keep, bands })
    }

    /// The segment scores of `y` (received, as long as the clean signal and at its rate): per run of
    /// [`SEGMENT_FRAMES`] frames, STOI's mean over bands of the clipped envelope correlations and
    /// ESTOI's mean over frames of the normalised spectra's correlations.
    pub fn segment_scores(&self, y: &[f64]) -> SegmentScores {
        self.segment_scores_dithered(y, ESTOI_DITHER_SEED)
    }

    /// [`Self::segment_scores`] with ESTOI's dither drawn from `dither_seed`: other seeds give other
    /// draws from the reference's distribution (how `tests/it/stoi.rs` compares spreads).
    pub fn segment_scores_dithered(&self, y: &[f64], dither_seed: u64) -> SegmentScores {
        let y = to_stoi_rate(y, self.sample_rate);
        assert_eq!(y.len(), self.len, "received signal as long as the clean one");
        let y_bands = band_envelopes(&overlap_add_kept(&y, &self.keep, &hann(FRAME)));
        let frames = self.bands[0].len();
        let clip = 1.0 + 10f64.powf(-BETA_DB / 20.0);
        let stoi = (SEGMENT_FRAMES..=frames)
            .map(|m| {
                let range = m - SEGMENT_FRAMES..m;
                let sum: f64 = (0..BANDS)
                    .map(|j| {
                        let x = &self.bands[j][range.clone()];
                        let y = &y_bands[j][range.clone()];
                        let scale = norm(x) / (norm(y) + EPS);
                        let y: Vec<f64> = y.iter().zip(x).map(|(y, x)| (y * scale).min(x * clip)).collect();
                        correlation(x, &y)
                    })
                    .sum();
                sum / BANDS as f64
            })
            .collect();
        let dither = |stream: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(dither_seed);
            rng.set_stream(stream);
            rng
        };
        let (mut x_dither, mut y_dither) = (dither(0), dither(1));
        let estoi = (SEGMENT_FRAMES..=frames)
            .map(|m| {
                let x = row_col_normalized(&self.bands, m - SEGMENT_FRAMES, &mut x_dither);
                let y = row_col_normalized(&y_bands, m - SEGMENT_FRAMES, &mut y_dither);
                x.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() / SEGMENT_FRAMES as f64
            })
            .collect();
        SegmentScores { stoi, estoi }
    }
}

/// ESTOI's normalisation of the run of [`SEGMENT_FRAMES`] frames from `start` of `bands`
/// (`[band][frame]`), as a band-major matrix: each row (band) dithered, made zero-mean and
/// unit-norm, then each column (frame) the same (the reference's `row_col_normalize`; dither in the
/// module docs).
fn row_col_normalized(bands: &[Vec<f64>], start: usize, dither: &mut ChaCha8Rng) -> [f64; BANDS * SEGMENT_FRAMES] {
    const N: usize = SEGMENT_FRAMES;
    let mut m = [0.0; BANDS * N];
    for (j, band) in bands.iter().enumerate() {
        m[j * N..(j + 1) * N].copy_from_slice(&band[start..start + N]);
    }
    // One pass normalises the `count` lines of `len` entries at `line * line_step + i * entry_step`.
    let mut normalize = |m: &mut [f64; BANDS * N], count: usize, len: usize, line_step: usize, entry_step: usize| {
        for v in m.iter_mut() {
            *v += EPS * dither.sample::<f64, _>(StandardNormal);
        }
        for line in 0..count {
            let at = |i: usize| line * line_step + i * entry_step;
            let mean = (0..len).map(|i| m[at(i)]).sum::<f64>() / len as f64;
            (0..len).for_each(|i| m[at(i)] -= mean);
            // No ε here, as in the reference: the dither leaves no line without variation.
            let inverse = 1.0 / (0..len).map(|i| m[at(i)] * m[at(i)]).sum::<f64>().sqrt();
            (0..len).for_each(|i| m[at(i)] *= inverse);
        }
    };
    normalize(&mut m, BANDS, N, N, 1);
    normalize(&mut m, N, BANDS, 1, N);
    m
}

/// STOI of `y` against `x` (both at `sample_rate` Hz, same length); `None` when the clean signal
/// has too little speech to score (see [`StoiReference::new`]).
pub fn stoi(x: &[f64], y: &[f64], sample_rate: u32) -> Option<f64> {
    Some(mean(&StoiReference::new(x, sample_rate)?.segment_scores(y).stoi))
}

/// ESTOI of `y` against `x` (both at `sample_rate` Hz, same length); `None` as for [`stoi`].
pub fn estoi(x: &[f64], y: &[f64], sample_rate: u32) -> Option<f64> {
    Some(mean(&StoiReference::new(x, sample_rate)?.segment_scores(y).estoi))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn to_stoi_rate(x: &[f64], sample_rate: u32) -> Vec<f64> {
    if sample_rate == FS {
        x.to_vec()
    } else {
        resample_octave(x, FS as u64, sample_rate as u64)
    }
}

/// MATLAB's `hanning(n)`: the Hann window of n + 2 points without its two zero ends.
fn hann(n: usize) -> Vec<f64> {
    let m = (n + 2) as f64;
    (1..=n).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (m - 1.0)).cos()).collect()
}

/// Starts of the analysis frames of a signal of `len` samples: `0, 128, …` while below
/// `len − 256` (the reference's `range(0, len − 256, 128)`, which leaves out a frame ending exactly
/// at the end).
fn frame_starts(len: usize) -> Vec<usize> {
    (0..len.saturating_sub(FRAME)).step_by(HOP).collect()
}

/// The windowed frames of `x` that `keep` marks, overlap-added at hop 128.
fn overlap_add_kept(x: &[f64], keep: &[bool], window: &[f64]) -> Vec<f64> {
    let kept: Vec<usize> = frame_starts(x.len()).into_iter().zip(keep).filter(|(_, &k)| k).map(|(i, _)| i).collect();
    if kept.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0.0; (kept.len() - 1) * HOP + FRAME];
    for (j, &i) in kept.iter().enumerate() {
        for (o, (s, w)) in out[j * HOP..j * HOP + FRAME].iter_mut().zip(x[i..i + FRAME].iter().zip(window)) {
            *o += s * w;
        }
    }
    out
}

/// One-third-octave band envelopes `[band][frame]` of `x`'s short-time spectra.
fn band_envelopes(x: &[f64]) -> Vec<Vec<f64>> {
    let window = hann(FRAME);
    let fft = Fft::new(NFFT);
    let bands = band_bins();
    let mut out = vec![Vec::new(); BANDS];
    let mut buf = vec![(0.0, 0.0); NFFT];
    for i in frame_starts(x.len()) {
        buf.iter_mut().for_each(|c| *c = (0.0, 0.0));
        for (c, (s, w)) in buf.iter_mut().zip(x[i..i + FRAME].iter().zip(&window)) {
            c.0 = s * w;
        }
        fft.forward(&mut buf);
        for (band, bins) in out.iter_mut().zip(&bands) {
            band.push(buf[bins.clone()].iter().map(|(re, im)| re * re + im * im).sum::<f64>().sqrt());
        }
    }
    out
}

/// The DFT bins of each one-third-octave band: from the bin nearest `150·2^((2k−1)/6)` Hz up to,
/// not including, the bin nearest `150·2^((2k+1)/6)` Hz (the reference's `thirdoct`).
fn band_bins() -> Vec<std::ops::Range<usize>> {
    let freqs: Vec<f64> = (0..=NFFT / 2).map(|k| k as f64 * FS as f64 / NFFT as f64).collect();
    let nearest = |f: f64| -> usize {
        // First of equally near bins, as argmin takes.
        let mut best = 0;
        for (k, &b) in freqs.iter().enumerate() {
            if (b - f) * (b - f) < (freqs[best] - f) * (freqs[best] - f) {
                best = k;
            }
        }
        best
    };
    (0..BANDS)
        .map(|k| {
            let k = k as f64;
            nearest(MIN_FREQ * 2f64.powf((2.0 * k - 1.0) / 6.0))..nearest(MIN_FREQ * 2f64.powf((2.0 * k + 1.0) / 6.0))
        })
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// Correlation of two vectors after removing their means (the reference's normalisations, with
/// its ε).
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let centred = |v: &[f64]| -> Vec<f64> {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let c: Vec<f64> = v.iter().map(|a| a - mean).collect();
        let n = norm(&c) + EPS;
        c.into_iter().map(|a| a / n).collect()
    };
    centred(x).iter().zip(centred(y)).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Speech-like test signal: a 1 s chirp with a syllable-rate envelope, at 16 kHz.
    fn babble(seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..16_000)
            .map(|i| {
                let t = i as f64 / 16_000.0;
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let noise = ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5;
                let envelope = (2.0 * std::f64::consts::PI * 4.0 * t).sin().abs();
                envelope * (3000.0 * (2.0 * std::f64::consts::PI * (300.0 + 900.0 * t) * t).sin() + 2000.0 * noise)
            })
            .collect()
    }

    #[test]
    fn bands_are_the_reference_third_octaves() {
        // The band edges (DFT bins) of pystoi 0.4.1's `thirdoct(10000, 512, 15, 150)`: from bin 7
        // (136.7 Hz, nearest 150·2^(−1/6) ≈ 133.6 Hz) to bin 219 (4.28 kHz), edge to edge.
        let edges = [7, 9, 11, 14, 17, 22, 27, 34, 43, 55, 69, 87, 109, 138, 174, 219];
        let want: Vec<_> = edges.windows(2).map(|w| w[0]..w[1]).collect();
        assert_eq!(band_bins(), want);
    }

    #[test]
    fn identical_speech_scores_one_and_noise_lowers_it_monotonically() {
        let x = babble(1);
        assert!((stoi(&x, &x, 16_000).unwrap() - 1.0).abs() < 1e-9);
        // Scale does not matter: the envelopes are normalised per segment.
        let louder: Vec<f64> = x.iter().map(|s| s * 3.0).collect();
        assert!((stoi(&x, &louder, 16_000).unwrap() - 1.0).abs() < 1e-9);
        let mut state = 99u64;
        let noise: Vec<f64> = (0..x.len())
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                3000.0 * (((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5)
            })
            .collect();
        let with_noise = |gain: f64| -> f64 {
            let y: Vec<f64> = x.iter().zip(&noise).map(|(s, n)| s + gain * n).collect();
            stoi(&x, &y, 16_000).unwrap()
        };
        let scores: Vec<f64> = [0.1, 0.5, 1.0, 3.0].into_iter().map(with_noise).collect();
        assert!(scores.windows(2).all(|w| w[0] > w[1]), "{scores:?}");
        assert!(scores[0] > 0.9 && scores[3] < 0.7, "{scores:?}");
        // Silence received scores about 0 (no envelope to correlate with).
        assert!(stoi(&x, &vec![0.0; x.len()], 16_000).unwrap().abs() < 0.05);
        // Too short to hold one 30-frame segment: no score.
        assert!(stoi(&x[..4000], &x[..4000], 16_000).is_none());
    }

    #[test]
    fn estoi_scores_one_for_the_speech_sent_falls_with_noise_and_is_the_same_on_every_call() {
        let x = babble(1);
        let louder: Vec<f64> = x.iter().map(|s| s * 3.0).collect();
        for y in [&x, &louder] {
            assert!((estoi(&x, y, 16_000).unwrap() - 1.0).abs() < 1e-9);
        }
        let noise = babble(2);
        let scores: Vec<f64> = [0.1, 0.5, 1.0, 3.0]
            .into_iter()
            .map(|gain| {
                let y: Vec<f64> = x.iter().zip(&noise).map(|(s, n)| s + gain * n).collect();
                estoi(&x, &y, 16_000).unwrap()
            })
            .collect();
        assert!(scores.windows(2).all(|w| w[0] > w[1]), "{scores:?}");
        // Silence received: every run's bands are the dither alone, about 0.
        let silence = vec![0.0; x.len()];
        let once = estoi(&x, &silence, 16_000).unwrap();
        assert!(once.abs() < 0.05, "{once}");
        // The dither is seeded: the same value on every call, another on another seed.
        assert_eq!(estoi(&x, &silence, 16_000).unwrap(), once);
        let reference = StoiReference::new(&x, 16_000).unwrap();
        let other = reference.segment_scores_dithered(&silence, ESTOI_DITHER_SEED + 1).estoi;
        assert_ne!(mean(&other), once);
        assert!(mean(&other).abs() < 0.05);
    }
}
