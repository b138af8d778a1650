//! Rational resampling by `p/q` with Octave's `resample` filter: what STOI's reference code
//! resamples speech to 10 kHz with, so that our STOI sees the same samples as it.
//!
//! The filter is the one `pystoi.utils.resample_oct` builds (a port of Octave's `resample.m`): an
//! ideal low-pass at `1/(2·max(p, q))` cycles per sample of the upsampled signal, windowed by a
//! Kaiser window designed for 60 dB rejection over a roll-off a tenth of the cut-off, normalised to
//! unit sum; it is then applied as `scipy.signal.resample_poly(x, p, q, window = h)` applies it:
//! upsample by `p` with zeros, filter with `p·h` (zero-padded in front so that the output samples
//! sit at the filter's centre), keep every `q`-th sample, `⌈n·p/q⌉` samples in all.

/// Resamples `x` by `p/q` (see the module docs). `p` and `q` are reduced by their gcd first.
pub fn resample_octave(x: &[f64], p: u64, q: u64) -> Vec<f64> {
    assert!(p >= 1 && q >= 1, "resampling factors are positive");
    let g = gcd(p, q);
    let (up, down) = ((p / g) as usize, (q / g) as usize);
    if up == 1 && down == 1 {
        return x.to_vec();
    }
    let h = octave_filter(up as f64, down as f64);
    let half_len = (h.len() - 1) / 2;
    // resample_poly's alignment: `pre_pad` zeros before the filter, then `pre_remove` outputs
    // dropped, so that output 0 is the filter's centre over input 0.
    let pre_pad = down - half_len % down;
    let pre_remove = (half_len + pre_pad) / down;
    let mut padded = vec![0.0; pre_pad];
    padded.extend(h.iter().map(|v| v * up as f64));
    let n_out = (x.len() * up).div_ceil(down);
    (0..n_out)
        .map(|m| {
            // Output m is sample (m + pre_remove)·down of the upsampled, filtered signal:
            // Σ_k padded[t − k·up]·x[k] over the k that land inside the filter.
            let t = (m + pre_remove) * down;
            let k_min = (t + 1).saturating_sub(padded.len()).div_ceil(up);
            let k_max = (t / up).min(x.len().saturating_sub(1));
            if x.is_empty() || k_min > k_max {
                return 0.0;
            }
            (k_min..=k_max).map(|k| padded[t - k * up] * x[k]).sum()
        })
        .collect()
}

/// Octave's `resample` filter for `p/q` (reduced), normalised to unit sum.
fn octave_filter(p: f64, q: f64) -> Vec<f64> {
    let rejection_db = 60.0; // -20·log10(1e-3)
    let stopband_cutoff = 1.0 / (2.0 * p.max(q));
    let roll_off_width = stopband_cutoff / 10.0;
    let l = ((rejection_db - 8.0) / (28.714 * roll_off_width)).ceil() as i64;
    // Kaiser's β for a rejection over 50 dB.
    let beta = 0.1102 * (rejection_db - 8.7);
    let window = kaiser((2 * l + 1) as usize, beta);
    let h: Vec<f64> = (-l..=l)
        .zip(&window)
        .map(|(t, w)| w * 2.0 * p * stopband_cutoff * sinc(2.0 * stopband_cutoff * t as f64))
        .collect();
    let sum: f64 = h.iter().sum();
    h.into_iter().map(|v| v / sum).collect()
}

/// `sin(πx)/(πx)`, 1 at 0 (NumPy's `sinc`).
fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let y = std::f64::consts::PI * x;
        y.sin() / y
    }
}

/// The Kaiser window of `m` points (NumPy's `kaiser`).
fn kaiser(m: usize, beta: f64) -> Vec<f64> {
    if m == 1 {
        return vec![1.0];
    }
    let alpha = (m - 1) as f64 / 2.0;
    (0..m)
        .map(|n| {
            let r = (n as f64 - alpha) / alpha;
            bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(beta)
        })
        .collect()
}

/// The modified Bessel function of the first kind, order 0, by its power series
/// `Σ ((x/2)^k / k!)²` (every term positive, so summing to the last one that counts is exact to
/// rounding for the arguments a Kaiser window takes).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum, mut k) = (1.0f64, 1.0f64, 1.0f64);
    while term > sum * 1e-17 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_bessel_and_window_match_their_definitions() {
        // I0(0) = 1, I0(1) = 1.2660658777520082 (Abramowitz & Stegun, table 9.8).
        assert_eq!(bessel_i0(0.0), 1.0);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_2).abs() < 1e-15);
        // 16 kHz to 10 kHz is 5/8: Octave's filter has 2·290 + 1 taps, symmetric, unit sum.
        let h = octave_filter(5.0, 8.0);
        assert_eq!(h.len(), 581);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(h.iter().zip(h.iter().rev()).all(|(a, b)| (a - b).abs() < 1e-15));
    }

    #[test]
    fn resampling_keeps_a_passband_tone_and_the_length_rule() {
        // 200 Hz at 16 kHz to 10 kHz: the same tone, n·5/8 samples rounded up.
        let tone = |fs: f64, n: usize| -> Vec<f64> {
            (0..n).map(|i| (2.0 * std::f64::consts::PI * 200.0 * i as f64 / fs).sin()).collect()
        };
        let x = tone(16_000.0, 8003);
        let y = resample_octave(&x, 10_000, 16_000);
        assert_eq!(y.len(), 5002);
        let want = tone(10_000.0, y.len());
        // Away from the ends (where the filter runs past the signal) the tone is kept to 1e-3.
        let worst = y[400..4600].iter().zip(&want[400..4600]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-3, "{worst}");
        assert_eq!(resample_octave(&x, 3, 3), x);
    }
}
