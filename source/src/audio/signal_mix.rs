//! A text LLM and a model of the signal, mixed: SmolLM2's next-byte distribution on 8-bit audio
//! ([`crate::audio::byte_lm`]) combined with the adaptive predictor of our classical coder
//! ([`crate::audio::lpc`]).
//!
//! The two see different things. The LLM, reading the bytes spelled as digits, copies patterns
//! from its context (repeated shapes, the level of the noise) but knows nothing of waveforms;
//! the predictor extrapolates the waveform (formants, pitch) but gives its error one symmetric
//! shape. For each byte:
//!
//! - `ℓ_lm(b)`: the LLM's log-probability of byte `b` (softmax over the 256 byte values; a byte
//!   without a token gets the smallest logit minus 20);
//! - `ℓ_sig(b) = −|(b − 128) − μ| / s`: a Laplace log-density around the predictor's prediction
//!   `μ`, its scale `s` a running mean of the predictor's absolute error;
//! - the coding distribution is the geometric mixture `p(b) ∝ exp(w_lm·ℓ_lm(b) + w_sig·ℓ_sig(b))`,
//!   and after each byte `x` the weights take a gradient step on its code length, whose gradient
//!   is `E_p[ℓ_i] − ℓ_i(x)` (geometric mixing, Mattern, "Mixing Strategies in Data Compression",
//!   DCC 2012; PAQ's mixers do the same for binary symbols).
//!
//! Tuned on the middle chunk of three training clips (`trn01`–`trn03`, 6 KB; `cargo run
//! --release -p lmsscc-source --example audio_llm_trials -- mix 3`): the mixture
//! codes them in 4.87 % of their size, against 8.12 % for the digit-spelled bytes alone, 9.23 %
//! for our classical coder and 6.74 % for zstd -19; learning rates 0.005 and 0.05 gave 5.00 % and
//! 4.93 %.
//!
//! Both sides compute the mixture in `f64` in the same order from the same logits and bytes, so
//! they build the same tables (the quantisation is [`crate::quantize::frequencies_from_logits`],
//! as for the LLM alone). The `exp`/`ln` calls make the tables depend on the platform's math
//! library, as the LLM's own softmax does: a code is decoded on the kind of machine it was made on.

use crate::audio::byte_lm::{ByteLm, ByteModel};
use crate::audio::lpc::Predictor;
use crate::quantize::{frequencies_from_logits, FrequencyTable, LM_TOTAL_BUDGET};

/// Weights `[w_lm, w_sig]` at the start of a chunk.
const INITIAL_WEIGHTS: [f64; 2] = [1.0, 0.25];
/// Step of the weights' gradient descent.
const LEARNING_RATE: f64 = 0.02;
/// The weights stay in `[0, MAX_WEIGHT]`.
const MAX_WEIGHT: f64 = 4.0;
/// Smoothing of the running mean absolute error (the scale of the Laplace term).
const SCALE_RATE: f64 = 1.0 / 16.0;
/// The scale's floor (in 8-bit steps) and its value at the start of a chunk.
const MIN_SCALE: f64 = 0.25;
const INITIAL_SCALE: f64 = 2.0;
/// How far below the smallest logit a byte without a token sits.
const MISSING_MARGIN: f64 = 20.0;

/// The LLM mixed with the adaptive predictor, one per chunk (see the module docs).
pub struct SignalMix {
    predictor: Predictor,
    scale: f64,
    weights: [f64; 2],
    prediction: f64,
    /// This byte's `ℓ_lm`, `ℓ_sig` and mixture, per byte value.
    lm: Vec<f64>,
    signal: Vec<f64>,
    probs: Vec<f64>,
}

impl Default for SignalMix {
    fn default() -> Self {
        Self::new()
    }
}

impl SignalMix {
    pub fn new() -> Self {
        Self {
            predictor: Predictor::new(),
            scale: INITIAL_SCALE,
            weights: INITIAL_WEIGHTS,
            prediction: 0.0,
            lm: vec![0.0; 256],
            signal: vec![0.0; 256],
            probs: vec![0.0; 256],
        }
    }

    /// The current weights `[w_lm, w_sig]`.
    pub fn weights(&self) -> [f64; 2] {
        self.weights
    }
}

/// `ln Σ exp(x)`, from the largest term.
fn log_sum_exp(x: &[f64]) -> f64 {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for &v in x {
        sum += (v - max).exp();
    }
    max + sum.ln()
}

impl ByteModel for SignalMix {
    fn table(&mut self, lm: &ByteLm, logits: &[f32]) -> FrequencyTable {
        let bytes = lm.byte_logits(logits);
        let finite_min = bytes.iter().copied().filter(|x| x.is_finite()).fold(f32::INFINITY, f32::min);
        let floor = if finite_min.is_finite() { finite_min as f64 - MISSING_MARGIN } else { 0.0 };
        for (l, &x) in self.lm.iter_mut().zip(&bytes) {
            *l = if x.is_finite() { x as f64 } else { floor };
        }
        let norm = log_sum_exp(&self.lm);
        self.lm.iter_mut().for_each(|l| *l -= norm);
        self.prediction = self.predictor.predict();
        let s = self.scale.max(MIN_SCALE);
        for (b, l) in self.signal.iter_mut().enumerate() {
            *l = -((b as f64 - 128.0) - self.prediction).abs() / s;
        }
        let [w_lm, w_sig] = self.weights;
        for ((p, &a), &b) in self.probs.iter_mut().zip(&self.lm).zip(&self.signal) {
            *p = w_lm * a + w_sig * b;
        }
        let mixed: Vec<f32> = self.probs.iter().map(|&m| m as f32).collect();
        let norm = log_sum_exp(&self.probs);
        self.probs.iter_mut().for_each(|p| *p = (*p - norm).exp());
        frequencies_from_logits(&mixed, LM_TOTAL_BUDGET)
    }

    fn update(&mut self, byte: u8) {
        let x = byte as usize;
        for (w, feature) in self.weights.iter_mut().zip([&self.lm, &self.signal]) {
            let mut expected = 0.0;
            for (&p, &f) in self.probs.iter().zip(feature.iter()) {
                expected += p * f;
            }
            *w = (*w - LEARNING_RATE * (expected - feature[x])).clamp(0.0, MAX_WEIGHT);
        }
        let v = byte as f64 - 128.0;
        self.scale += ((v - self.prediction).abs() - self.scale) * SCALE_RATE;
        self.predictor.update(v);
    }
}
