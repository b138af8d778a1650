//! Uncoded analog transmission of audio (`source = "analog"`): each sample is one real channel
//! value, no bits and no code — the classical joint source-channel baseline, optimal for a
//! Gaussian source sent over AWGN at one channel use per sample (Goblick, "Theoretical limitations
//! on the transmission of data from analog sources", IEEE Trans. IT 1965; Gastpar, Rimoldi &
//! Vetterli 2003).
//!
//! **Transmitter.** `x = s / √P`, with `P` the mean power of the frames sent (over the whole set,
//! so the values have unit mean power; `P` is known at the receiver and not charged).
//!
//! **Channel.** AWGN with `σ = 1/√(2·Es/N0)` per real value, as for every real-valued scheme here.
//! On Rayleigh fading, pairs of values form complex symbols, each frame sees one CN(0, 1) gain
//! `h` (block fading, as the JSCC schemes' `neural::jscc::channel`), and the receiver equalises
//! with perfect CSI: `y = x + n/h`.
//!
//! **Receiver.** The linear MMSE estimate `x̂ = y · g/(g + σ²)` with `g = |h|²` (`g = 1` on AWGN),
//! then `ŝ = round(√P · x̂)` clamped to 16 bits. Its mean squared error is `σ²/(g + σ²)` for any
//! source of unit power (only second moments enter a linear estimate), so on AWGN the output SNR
//! is `1 + 1/σ² = 1 + 2·Es/N0` before rounding — the closed form the tests check.
//!
//! Channel use: one real value per sample, charged as a float32 (32 bits) on the unified SNR
//! axis, as the project charges every JSCC scheme's real values (`link::jscc`).

use channels::{stream, SnrPoint, StreamRng};
use neural::jscc::channel::message_noise;
use neural::Channel;
use rand::Rng;

use super::frames::FrameSet;
use crate::link::events::{BatchProgress, Sink};
use crate::link::facts::{SchemeFacts, TextFacts};
use crate::link::jscc::{analog_outcomes, neural_channel, FLOAT_PRECISION_BITS};
use crate::link::message::encodings::EncodingStore;
use crate::link::message::{Batch, BatchOutcome, DecodedItem, MessageScheme, MessageSet, Received};
use crate::scenario::{ChannelKind, SchemeConfig};

/// An analog audio scheme.
pub struct AnalogScheme {
    config: SchemeConfig,
    channel: Channel,
    /// The frames sent, once prepared, and `√P`.
    frames: Vec<Vec<i16>>,
    scale: f64,
}

impl AnalogScheme {
    pub fn new(config: &SchemeConfig, channel: ChannelKind) -> Self {
        AnalogScheme { config: config.clone(), channel: neural_channel(channel), frames: Vec::new(), scale: 1.0 }
    }

    /// Sends `frame` through the channel with `rng`'s noise (`neural::jscc::channel::message_noise`,
    /// the JSCC schemes' channel) and estimates it.
    fn receive(&self, frame: &[i16], sigma: f64, rng: &mut impl Rng) -> Vec<i16> {
        let (g, noise) = message_noise(self.channel, frame.len(), sigma, rng);
        let var = sigma * sigma;
        frame
            .iter()
            .zip(noise)
            .map(|(&s, e)| {
                let y = s as f64 / self.scale + e;
                (self.scale * y * g / (g + var)).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
            })
            .collect()
    }
}

impl MessageScheme for AnalogScheme {
    fn config(&self) -> &SchemeConfig {
        &self.config
    }

    fn prepare(
        &mut self,
        messages: &MessageSet,
        _store: &mut EncodingStore,
        _sink: &mut dyn Sink,
    ) -> anyhow::Result<SchemeFacts> {
        let set: &FrameSet = messages.frames(&format!("scheme '{}'", self.config.name))?;
        self.frames = set.frames.iter().map(|f| f.samples.clone()).collect();
        self.scale = set.mean_power().sqrt();
        Ok(SchemeFacts {
            name: self.config.name.clone(),
            channel: format!("{} (analog, 1 real value per sample, LMMSE)", self.channel.name()),
            rate: 1.0,
            bits_per_symbol: 1,
            text: Some(TextFacts {
                symbols_per_message: set.frame as f64,
                precision_bits: FLOAT_PRECISION_BITS,
                source_bits: None,
                weights_sha256: None,
                end_check: None,
            }),
        })
    }

    fn run_batches(
        &self,
        point: &SnrPoint,
        seed: u64,
        batches: &[Batch],
        progress: &mut dyn FnMut(BatchProgress),
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        let noise = [seed, self.stream_id(), point.snr_db.to_bits()];
        received_frames(batches, progress, noise, &self.frames, |j, rng| {
            self.receive(&self.frames[j], point.sigma(), rng)
        })
    }
}

/// An analog scheme's batches at one point, in order: `receive(j, rng)` sends frame `j` of the set
/// with noise from `rng`, drawn in item order from the batch's own stream (`noise`: the seed, the
/// scheme's stream id and the SNR's bits); the frames received other than sent are listed.
pub(super) fn received_frames(
    batches: &[Batch],
    progress: &mut dyn FnMut(BatchProgress),
    noise: [u64; 3],
    frames: &[Vec<i16>],
    receive: impl Fn(usize, &mut StreamRng) -> Vec<i16>,
) -> anyhow::Result<Vec<BatchOutcome>> {
    let m = frames.len();
    analog_outcomes(batches, progress, |batch| {
        let mut rng = stream(noise[0], &[noise[1], noise[2], batch.index]);
        Ok(batch
            .items
            .clone()
            .filter_map(|item| {
                let samples = receive(item % m, &mut rng);
                (samples != frames[item % m])
                    .then_some(DecodedItem { item: item as u64, received: Received::Audio { samples } })
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::audio_quality::{score_frame, snr_db};

    fn scheme(channel: ChannelKind) -> AnalogScheme {
        let config = SchemeConfig { name: "analog".into(), ..SchemeConfig::default() };
        let mut s = AnalogScheme::new(&config, channel);
        s.scale = 3000.0;
        s
    }

    /// Output SNR on AWGN against the closed form `1 + 2·Es/N0`, on a non-Gaussian source.
    #[test]
    fn awgn_output_snr_is_the_lmmse_closed_form() {
        let frame: Vec<i16> = (0..20_000).map(|i| if (i / 7) % 2 == 0 { 3000 } else { -3000 }).collect();
        let s = scheme(ChannelKind::Awgn);
        for esn0_db in [-5.0, 0.0, 10.0] {
            let sigma = channels::snr::noise_sigma(esn0_db);
            let mut rng = stream(1, &[esn0_db.to_bits()]);
            let f = score_frame(&frame, &s.receive(&frame, sigma, &mut rng));
            let theory = 10.0 * (1.0 + 2.0 * 10f64.powf(esn0_db / 10.0)).log10();
            let measured = snr_db(f.signal, f.error);
            // 20,000 samples: the error energy's relative standard error is about 1 %, 0.05 dB.
            assert!((measured - theory).abs() < 0.2, "Es/N0 {esn0_db} dB: {measured:.3} against {theory:.3}");
        }
    }

    /// On Rayleigh block fading the frame's SNR follows its gain: the mean over frames of the
    /// MSE is E[σ²/(g + σ²)] with g ~ Exp(1).
    #[test]
    fn rayleigh_mse_follows_the_gain() {
        let frame: Vec<i16> = (0..64).map(|i| if i % 2 == 0 { 3000 } else { -3000 }).collect();
        let s = scheme(ChannelKind::Rayleigh);
        let sigma = channels::snr::noise_sigma(5.0);
        let var = sigma * sigma;
        let mut rng = stream(2, &[]);
        let frames = 4000;
        let mse: f64 = (0..frames)
            .map(|_| score_frame(&frame, &s.receive(&frame, sigma, &mut rng)).error / (64.0 * 3000.0 * 3000.0))
            .sum::<f64>()
            / frames as f64;
        // E[σ²/(g + σ²)] by quadrature over g ~ Exp(1).
        let steps = 200_000;
        let theory: f64 = (0..steps)
            .map(|k| {
                let g = (k as f64 + 0.5) * 40.0 / steps as f64;
                (-g).exp() * var / (g + var) * 40.0 / steps as f64
            })
            .sum();
        assert!((mse / theory - 1.0).abs() < 0.05, "{mse} against {theory}");
    }
}
