//! Rayleigh fading: amplitude `g = |h|`, `h ~ CN(0, Ω)`, then AWGN.
//!
//! `g² = Ω·(u² + v²)/2` with `u, v ~ N(0, 1)` is exponential with mean Ω. The default Ω = 1 keeps the
//! average received SNR equal to the nominal one; the LM-SSCC reference code draws `h = √(u² + v²)`,
//! i.e. Ω = 2, and decodes without CSI (`RayleighChannel::lm_sscc_reference`).
//!
//! Between knowing each gain and knowing only its mean, [`Csi::Estimated`] gives the receiver a
//! blind estimate of each run's gain from the run itself: the posterior mean `E[g | y]` under the
//! Rayleigh prior, each real dimension `y = ±g·a + n` with its sign unknown and equiprobable (`a`
//! the constellation's amplitude per dimension, 1 for BPSK and 1/√2 for QPSK), so the likelihood of
//! g is `Π cosh(g·a·y/σ²)·e^(−g²a²/2σ²)`; the receiver knows Ω, σ² and the constellation, not the
//! symbols (no pilots, no decisions). It is evaluated on a grid of 256 gains over [0, 4√Ω]. On
//! long runs it is close to g; on short ones it leans on the prior, which is what keeps it from
//! trusting a deep fade's noise: the method of moments on the same runs (`ĝ² = (Σy² − m·σ²)/Σx²`)
//! lost 2.4 times as many LDPC(49,24) codewords on runs of 7 symbols at 8 dB (README).

use super::Channel;
use crate::rng::StreamRng;
use rand::Rng;
use rand_distr::StandardNormal;

/// How often the gain changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fading {
    /// A fresh gain for every complex symbol (ideal interleaving).
    Fast,
    /// One gain for each run of `symbols` consecutive symbols within a frame; 0 means one per frame.
    Block { symbols: usize },
    /// One gain for a whole message, however many frames (codewords) carry it: quasi-static
    /// fading, the channel Deep JSCC was published with. The gain is held for a whole
    /// [`Channel::transmit`] call, and the links send each message in its own call
    /// ([`Channel::one_gain_per_call`]).
    Message,
}

/// What the receiver knows about the gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Csi {
    /// The receiver knows each `g` exactly.
    Perfect,
    /// The receiver only knows `E[g]`, and uses it in place of `g` when computing LLRs.
    None,
    /// The receiver estimates each run's gain from the run's received values (module doc).
    Estimated,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RayleighChannel {
    pub fading: Fading,
    pub csi: Csi,
    /// Ω = E[g²].
    pub mean_square_gain: f64,
}

impl RayleighChannel {
    pub fn new(fading: Fading, csi: Csi, mean_square_gain: f64) -> Self {
        Self { fading, csi, mean_square_gain }
    }

    /// The convention of the LM-SSCC reference implementation: fast fading, Ω = 2, no CSI.
    pub fn lm_sscc_reference() -> Self {
        Self::new(Fading::Fast, Csi::None, 2.0)
    }

    /// `E[g] = √(π·Ω) / 2` for a Rayleigh amplitude with `E[g²] = Ω`.
    pub fn mean_gain(&self) -> f64 {
        (std::f64::consts::PI * self.mean_square_gain).sqrt() / 2.0
    }

    /// `E[g | rx]` for one run (module doc): the amplitudes `|tx|` are the constellation's, the
    /// signs unknown. With σ = 0 the receiver sees the gain itself.
    fn posterior_mean_gain(&self, rx: &[f32], tx: &[f32], sigma: f32) -> f64 {
        const GRID: usize = 256;
        let omega = self.mean_square_gain;
        let s2 = (sigma as f64).powi(2);
        if s2 == 0.0 {
            let energy: f64 = tx.iter().map(|&x| (x as f64).powi(2)).sum();
            let received: f64 = rx.iter().map(|&y| (y as f64).powi(2)).sum();
            return if energy > 0.0 { (received / energy).sqrt() } else { 0.0 };
        }
        let step = 4.0 * omega.sqrt() / GRID as f64;
        let log_posterior: Vec<(f64, f64)> = (0..GRID)
            .map(|j| {
                let g = (j as f64 + 0.5) * step;
                // ln of the prior density 2g/Ω·e^(−g²/Ω), then each dimension's ln cosh(g·a·y/σ²)
                // − g²a²/2σ² (the factor common to every g left out).
                let mut l = (2.0 * g / omega).ln() - g * g / omega;
                for (&y, &x) in rx.iter().zip(tx) {
                    let a = (x as f64).abs();
                    let t = (g * a * y as f64 / s2).abs();
                    l += t + (-2.0 * t).exp().ln_1p() - (g * a).powi(2) / (2.0 * s2);
                }
                (g, l)
            })
            .collect();
        let top = log_posterior.iter().map(|&(_, l)| l).fold(f64::NEG_INFINITY, f64::max);
        let (mut mean, mut total) = (0.0, 0.0);
        for (g, l) in log_posterior {
            let w = (l - top).exp();
            mean += g * w;
            total += w;
        }
        mean / total
    }

    fn draw_gain(&self, rng: &mut StreamRng) -> f32 {
        let u: f64 = rng.sample(StandardNormal);
        let v: f64 = rng.sample(StandardNormal);
        (self.mean_square_gain * (u * u + v * v) / 2.0).sqrt() as f32
    }
}

impl Channel for RayleighChannel {
    fn name(&self) -> String {
        let fading = match self.fading {
            Fading::Fast => "fast".to_string(),
            Fading::Block { symbols: 0 } => "block".to_string(),
            Fading::Block { symbols } => format!("block{symbols}"),
            Fading::Message => "message".to_string(),
        };
        let csi = match self.csi {
            Csi::Perfect => "csi",
            Csi::None => "nocsi",
            Csi::Estimated => "estcsi",
        };
        let omega =
            if self.mean_square_gain == 1.0 { String::new() } else { format!("-omega{}", self.mean_square_gain) };
        format!("rayleigh-{fading}-{csi}{omega}")
    }

    fn one_gain_per_call(&self) -> bool {
        self.fading == Fading::Message
    }

    fn transmit(
        &self,
        tx: &[f32],
        frame_dims: usize,
        dims_per_symbol: usize,
        sigma: f32,
        rng: &mut StreamRng,
        rx: &mut [f32],
        gain: &mut [f32],
    ) {
        let symbols_per_block = match self.fading {
            Fading::Fast => 1,
            Fading::Block { symbols: 0 } | Fading::Message => usize::MAX,
            Fading::Block { symbols } => symbols,
        };
        // A message's frames share its gain: the whole call is one frame.
        let frame_dims = if self.fading == Fading::Message { tx.len() } else { frame_dims }.max(1);
        let mut g = 0f32;
        // Where each run of one gain starts, for the receiver's estimates (only they need it).
        let estimating = self.csi == Csi::Estimated;
        let mut runs = Vec::new();
        for (i, &x) in tx.iter().enumerate() {
            let within_frame = i % frame_dims;
            let symbol = within_frame / dims_per_symbol;
            if within_frame % dims_per_symbol == 0 && symbol % symbols_per_block == 0 {
                g = self.draw_gain(rng);
                if estimating {
                    runs.push(i);
                }
            }
            let n: f32 = rng.sample(StandardNormal);
            rx[i] = g * x + sigma * n;
            gain[i] = g;
        }
        match self.csi {
            Csi::Perfect => {}
            Csi::None => gain[..tx.len()].fill(self.mean_gain() as f32),
            Csi::Estimated => {
                runs.push(tx.len());
                for run in runs.windows(2) {
                    let r = run[0]..run[1];
                    let estimate = self.posterior_mean_gain(&rx[r.clone()], &tx[r.clone()], sigma);
                    gain[r].fill(estimate as f32);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    fn gains(ch: &RayleighChannel, frames: usize, frame_dims: usize) -> Vec<f32> {
        let tx = vec![1f32; frames * frame_dims];
        let (mut rx, mut g) = (vec![0f32; tx.len()], vec![0f32; tx.len()]);
        ch.transmit(&tx, frame_dims, 1, 0.0, &mut stream(3, &[0]), &mut rx, &mut g);
        // With σ = 0 the received value is the true gain whatever the CSI setting.
        rx
    }

    #[test]
    fn mean_square_gain_matches_omega() {
        for omega in [1.0, 2.0] {
            let ch = RayleighChannel::new(Fading::Fast, Csi::Perfect, omega);
            let g = gains(&ch, 2000, 100);
            let ms: f64 = g.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / g.len() as f64;
            let mean: f64 = g.iter().map(|&x| x as f64).sum::<f64>() / g.len() as f64;
            // 200k exponential samples: the standard error of the mean square is Ω/√200000 ≈ 0.0022·Ω.
            assert!((ms - omega).abs() < 0.01 * omega, "E[g²] = {ms}, expected {omega}");
            assert!((mean - ch.mean_gain()).abs() < 0.01, "E[g] = {mean}, expected {}", ch.mean_gain());
        }
    }

    #[test]
    fn block_fading_holds_the_gain_for_a_block() {
        let ch = RayleighChannel::new(Fading::Block { symbols: 5 }, Csi::Perfect, 1.0);
        let g = gains(&ch, 3, 12);
        for f in 0..3 {
            let fr = &g[f * 12..(f + 1) * 12];
            assert!(fr[..5].iter().all(|&x| x == fr[0]));
            assert!(fr[5..10].iter().all(|&x| x == fr[5]));
            assert!(fr[10..].iter().all(|&x| x == fr[10]));
            assert_ne!(fr[0], fr[5]);
        }
        let whole = RayleighChannel::new(Fading::Block { symbols: 0 }, Csi::Perfect, 1.0);
        let g = gains(&whole, 2, 7);
        assert!(g[..7].iter().all(|&x| x == g[0]) && g[7..].iter().all(|&x| x == g[7]) && g[0] != g[7]);
    }

    #[test]
    fn message_fading_holds_one_gain_for_the_whole_call() {
        let ch = RayleighChannel::new(Fading::Message, Csi::Perfect, 1.0);
        assert!(ch.one_gain_per_call() && ch.name() == "rayleigh-message-csi");
        // Three frames of 12 dimensions in one call: one gain, whatever `frame_dims` says.
        let g = gains(&ch, 3, 12);
        assert!(g.iter().all(|&x| x == g[0]) && g[0] > 0.0, "{g:?}");
        // Call after call, fresh gains from the one stream, exponential in g² with mean Ω.
        let mut rng = stream(5, &[1]);
        let (tx, mut rx, mut gain) = (vec![1f32; 4], vec![0f32; 4], vec![0f32; 4]);
        let squares: Vec<f64> = (0..20_000)
            .map(|_| {
                ch.transmit(&tx, 1, 1, 0.0, &mut rng, &mut rx, &mut gain);
                assert!(rx.iter().all(|&x| x == rx[0]));
                (rx[0] as f64).powi(2)
            })
            .collect();
        let mean = squares.iter().sum::<f64>() / squares.len() as f64;
        // P(g² < 0.1) = 1 − e^(−0.1) for an exponential of mean 1: the deep fades that make outages.
        let deep = squares.iter().filter(|&&x| x < 0.1).count() as f64 / squares.len() as f64;
        assert!((mean - 1.0).abs() < 0.03, "E[g²] = {mean}");
        assert!((deep - (1.0 - (-0.1f64).exp())).abs() < 0.006, "P(g² < 0.1) = {deep}");
    }

    /// The blind estimate: close to each run's gain on long quiet runs, and in mean square error
    /// below both the prior mean (what no CSI uses) and the method of moments on short noisy runs,
    /// as a posterior mean must be; one estimate a run, never NaN or negative.
    #[test]
    fn estimated_csi_learns_each_runs_gain_from_the_run() {
        // (posterior mean, method of moments, prior mean): mean square errors in g over 7,000 runs.
        let mse = |symbols: usize, sigma: f32| -> (f64, f64, f64) {
            let ch = RayleighChannel::new(Fading::Block { symbols }, Csi::Estimated, 1.0);
            let truth = RayleighChannel::new(Fading::Block { symbols }, Csi::Perfect, 1.0);
            assert_eq!(ch.name(), format!("rayleigh-block{symbols}-estcsi"));
            // BPSK symbols of either sign: the estimate must not depend on them.
            let tx: Vec<f32> = (0..7_000 * symbols).map(|i| if i % 3 == 0 { -1.0 } else { 1.0 }).collect();
            let (mut rx, mut g, mut true_g) = (vec![0f32; tx.len()], vec![0f32; tx.len()], vec![0f32; tx.len()]);
            ch.transmit(&tx, 49, 1, sigma, &mut stream(8, &[symbols as u64]), &mut rx, &mut g);
            truth.transmit(&tx, 49, 1, sigma, &mut stream(8, &[symbols as u64]), &mut rx, &mut true_g);
            assert!(g.iter().all(|x| x.is_finite() && *x >= 0.0));
            let (mut posterior, mut moments, mut prior) = (0.0, 0.0, 0.0);
            for (r, run) in rx.chunks(symbols).enumerate() {
                let (e, t) = (g[r * symbols] as f64, true_g[r * symbols] as f64);
                assert!(g[r * symbols..(r + 1) * symbols].iter().all(|&x| x as f64 == e), "one estimate a run");
                let energy: f64 = run.iter().map(|&y| (y as f64).powi(2)).sum();
                let m = ((energy / symbols as f64) - (sigma as f64).powi(2)).max(0.0).sqrt();
                posterior += (e - t).powi(2);
                moments += (m - t).powi(2);
                prior += (ch.mean_gain() - t).powi(2);
            }
            let runs = (tx.len() / symbols) as f64;
            (posterior / runs, moments / runs, prior / runs)
        };
        let (long_quiet, _, _) = mse(49, 0.1);
        assert!(long_quiet < 1e-3, "{long_quiet}");
        for (symbols, sigma) in [(7, 0.7), (7, 0.3), (1, 0.5), (49, 0.7)] {
            let (posterior, moments, prior) = mse(symbols, sigma);
            assert!(
                posterior < moments && posterior < prior,
                "{symbols} symbols, σ {sigma}: {posterior} {moments} {prior}"
            );
        }
        // The prior's own error: Var(g) = Ω(1 − π/4).
        let (_, _, prior) = mse(7, 0.7);
        assert!((prior - (1.0 - std::f64::consts::PI / 4.0)).abs() < 0.01, "{prior}");
    }

    #[test]
    fn no_csi_reports_the_mean_gain() {
        let ch = RayleighChannel::lm_sscc_reference();
        let tx = vec![1f32; 10];
        let (mut rx, mut g) = (vec![0f32; 10], vec![0f32; 10]);
        ch.transmit(&tx, 10, 1, 0.5, &mut stream(1, &[]), &mut rx, &mut g);
        assert!(g.iter().all(|&x| (x as f64 - (std::f64::consts::PI * 2.0).sqrt() / 2.0).abs() < 1e-6));
    }
}
