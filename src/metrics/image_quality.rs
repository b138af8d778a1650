//! Image quality of received tiles: PSNR, SSIM and exact recovery.
//!
//! - **PSNR** of a point: `10·log10(255² / MSE)` with the MSE taken over every subpixel of every
//!   tile the point delivered (the PSNR of all its tiles as one image, as the image grid shows them).
//!   A tile that arrived exactly adds zero error; when *every* tile arrived exactly the MSE is 0 and
//!   the PSNR is infinite, so it is reported as the cap [`PSNR_EXACT_DB`] (100 dB: a single subpixel
//!   off by one in a 32×32 RGB tile already gives 83 dB, so the cap only ever means "exact").
//! - **SSIM** (Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 2004), as scikit-image's
//!   `structural_similarity(x, y, data_range=255, gaussian_weights=True, sigma=1.5,
//!   use_sample_covariance=False, channel_axis=-1)` computes it: local means, variances and
//!   covariance under an 11×11 Gaussian window (σ = 1.5, truncated at 3.5σ), K1 = 0.01, K2 = 0.03,
//!   the SSIM map averaged over the pixels whose window lies inside the tile (scikit-image crops the
//!   5-pixel border), then over channels. A point's SSIM is the mean over its tiles.
//! - **Intervals**: 95 % percentile bootstrap over tiles ([`super::bootstrap`]), the tiles' squared
//!   errors and SSIMs resampled jointly; the PSNR interval is the PSNR of the resampled MSE interval
//!   (PSNR falls as MSE grows, so the MSE's upper bound gives the PSNR's lower one).

use crate::metrics::bootstrap::mean_intervals_95;

/// The PSNR reported when every subpixel arrived exactly (MSE 0).
pub const PSNR_EXACT_DB: f64 = 100.0;

/// Peak value of an 8-bit subpixel.
const PEAK: f64 = 255.0;

/// SSIM's Gaussian window: σ and radius (scikit-image: `truncate = 3.5`, radius ⌊3.5σ + 0.5⌋ = 5).
const SSIM_SIGMA: f64 = 1.5;
const SSIM_RADIUS: usize = 5;
const K1: f64 = 0.01;
const K2: f64 = 0.03;

/// One received tile's scores against the tile sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileScores {
    /// Sum of squared subpixel errors.
    pub sse: u64,
    pub subpixels: u64,
    pub ssim: f64,
    pub exact: bool,
}

/// Scores `received` against `sent`: interleaved subpixels of `width × height × channels` tiles.
pub fn score_tile(sent: &[u8], received: &[u8], width: usize, height: usize, channels: usize) -> TileScores {
    assert_eq!(sent.len(), width * height * channels, "tile size");
    assert_eq!(received.len(), sent.len(), "received tile size");
    let sse = sent.iter().zip(received).map(|(&a, &b)| (a as i64 - b as i64).pow(2) as u64).sum();
    let exact = sse == 0;
    TileScores {
        sse,
        subpixels: sent.len() as u64,
        ssim: if exact { 1.0 } else { ssim(sent, received, width, height, channels) },
        exact,
    }
}

/// PSNR in dB of a total squared error over `subpixels` subpixels ([`PSNR_EXACT_DB`] when 0).
pub fn psnr_db(sse: f64, subpixels: f64) -> f64 {
    if sse <= 0.0 {
        return PSNR_EXACT_DB;
    }
    (10.0 * (PEAK * PEAK * subpixels / sse).log10()).min(PSNR_EXACT_DB)
}

/// Mean SSIM over channels of two interleaved 8-bit images (see the module docs). Images smaller
/// than the 11×11 window in either dimension have no inner pixel; their SSIM is computed over the
/// whole image with the window clipped (renormalised) at the borders.
pub fn ssim(x: &[u8], y: &[u8], width: usize, height: usize, channels: usize) -> f64 {
    let weights = gaussian_weights();
    let r = SSIM_RADIUS as isize;
    let (c1, c2) = ((K1 * PEAK).powi(2), (K2 * PEAK).powi(2));
    let inner = width > 2 * SSIM_RADIUS && height > 2 * SSIM_RADIUS;
    let (x0, x1, y0, y1) = if inner {
        (SSIM_RADIUS, width - SSIM_RADIUS, SSIM_RADIUS, height - SSIM_RADIUS)
    } else {
        (0, width, 0, height)
    };
    let mut total = 0.0;
    for c in 0..channels {
        let at = |img: &[u8], px: usize, py: usize| img[(py * width + px) * channels + c] as f64;
        let mut sum = 0.0;
        for py in y0..y1 {
            for px in x0..x1 {
                let (mut w_sum, mut mx, mut my, mut mxx, mut myy, mut mxy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
                for dy in -r..=r {
                    let qy = py as isize + dy;
                    if qy < 0 || qy >= height as isize {
                        continue;
                    }
                    for dx in -r..=r {
                        let qx = px as isize + dx;
                        if qx < 0 || qx >= width as isize {
                            continue;
                        }
                        let w = weights[(dy + r) as usize] * weights[(dx + r) as usize];
                        let (a, b) = (at(x, qx as usize, qy as usize), at(y, qx as usize, qy as usize));
                        w_sum += w;
                        mx += w * a;
                        my += w * b;
                        mxx += w * a * a;
                        myy += w * b * b;
                        mxy += w * a * b;
                    }
                }
                let (mx, my) = (mx / w_sum, my / w_sum);
                let vx = mxx / w_sum - mx * mx;
                let vy = myy / w_sum - my * my;
                let vxy = mxy / w_sum - mx * my;
                sum += ((2.0 * mx * my + c1) * (2.0 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            }
        }
        total += sum / ((x1 - x0) * (y1 - y0)) as f64;
    }
    total / channels as f64
}

/// The 1-D Gaussian weights of the SSIM window, normalised (scipy's `gaussian_filter` kernel).
fn gaussian_weights() -> [f64; 2 * SSIM_RADIUS + 1] {
    let mut w = [0.0; 2 * SSIM_RADIUS + 1];
    for (i, v) in w.iter_mut().enumerate() {
        let d = i as f64 - SSIM_RADIUS as f64;
        *v = (-0.5 * d * d / (SSIM_SIGMA * SSIM_SIGMA)).exp();
    }
    let s: f64 = w.iter().sum();
    w.iter_mut().for_each(|v| *v /= s);
    w
}

/// A point's image scores: every tile it delivered, in item order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageCounts {
    pub per_tile: Vec<TileScores>,
}

/// 95 % intervals of a point's PSNR and mean SSIM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageIntervals {
    pub psnr_db: (f64, f64),
    pub ssim: (f64, f64),
}

impl ImageCounts {
    pub fn add(&mut self, scores: TileScores) {
        self.per_tile.push(scores);
    }

    pub fn messages(&self) -> u64 {
        self.per_tile.len() as u64
    }

    /// Tiles that did not arrive exactly.
    pub fn message_errors(&self) -> u64 {
        self.per_tile.iter().filter(|t| !t.exact).count() as u64
    }

    /// PSNR of all tiles together (see the module docs).
    pub fn psnr_db(&self) -> f64 {
        let sse: u64 = self.per_tile.iter().map(|t| t.sse).sum();
        let n: u64 = self.per_tile.iter().map(|t| t.subpixels).sum();
        psnr_db(sse as f64, n as f64)
    }

    /// The mean over tiles of each tile's PSNR (an exact tile counts [`PSNR_EXACT_DB`]).
    pub fn mean_tile_psnr_db(&self) -> f64 {
        let sum: f64 = self.per_tile.iter().map(|t| psnr_db(t.sse as f64, t.subpixels as f64)).sum();
        sum / self.per_tile.len().max(1) as f64
    }

    /// Mean SSIM over tiles.
    pub fn ssim(&self) -> f64 {
        self.per_tile.iter().map(|t| t.ssim).sum::<f64>() / self.per_tile.len().max(1) as f64
    }

    /// Bootstrap intervals over tiles (see the module docs).
    pub fn intervals(&self) -> ImageIntervals {
        let mse: Vec<f64> = self.per_tile.iter().map(|t| t.sse as f64 / t.subpixels as f64).collect();
        let ssim: Vec<f64> = self.per_tile.iter().map(|t| t.ssim).collect();
        let iv = mean_intervals_95(&[&mse, &ssim]);
        let (mse_lo, mse_hi) = iv[0];
        ImageIntervals { psnr_db: (psnr_db(mse_hi, 1.0), psnr_db(mse_lo, 1.0)), ssim: iv[1] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic 8-bit test pattern (a smooth ramp with a texture), `w × h × ch`.
    fn pattern(w: usize, h: usize, ch: usize, seed: u64) -> Vec<u8> {
        (0..w * h * ch)
            .map(|i| {
                let (p, c) = (i / ch, i % ch);
                let (x, y) = ((p % w) as f64, (p / w) as f64);
                let v = 128.0 + 60.0 * ((x * 0.3 + seed as f64).sin() + (y * 0.21 + c as f64).cos());
                v.clamp(0.0, 255.0) as u8
            })
            .collect()
    }

    #[test]
    fn psnr_of_known_errors_and_the_exact_cap() {
        // One subpixel off by 1 in 3072: MSE 1/3072, PSNR = 10·log10(255²·3072) = 83.005 dB.
        let sent = vec![100u8; 3072];
        let mut got = sent.clone();
        got[7] = 101;
        let s = score_tile(&sent, &got, 32, 32, 3);
        assert_eq!((s.sse, s.exact), (1, false));
        assert!((psnr_db(s.sse as f64, s.subpixels as f64) - 83.0050).abs() < 1e-3);
        assert_eq!(psnr_db(0.0, 3072.0), PSNR_EXACT_DB);
        // Every subpixel off by 16: MSE 256, PSNR = 10·log10(255²/256) = 24.048 dB.
        let off: Vec<u8> = sent.iter().map(|v| v + 16).collect();
        assert!((psnr_db(score_tile(&sent, &off, 32, 32, 3).sse as f64, 3072.0) - 24.0484).abs() < 1e-3);
        let exact = score_tile(&sent, &sent, 32, 32, 3);
        assert!(exact.exact && exact.ssim == 1.0);
        // Two tiles, one exact and one off by 16 everywhere: the per-tile mean averages 100 and
        // 24.048 dB; the pooled PSNR sees half the squared error, 3.01 dB above the damaged tile.
        let mut counts = ImageCounts::default();
        counts.add(exact);
        counts.add(score_tile(&sent, &off, 32, 32, 3));
        assert!((counts.mean_tile_psnr_db() - (100.0 + 24.0484) / 2.0).abs() < 1e-3);
        assert!((counts.psnr_db() - (24.0484 + 10.0 * 2f64.log10())).abs() < 1e-3);
    }

    #[test]
    fn ssim_is_one_for_equal_images_and_falls_with_noise() {
        let x = pattern(32, 32, 3, 1);
        assert!((ssim(&x, &x, 32, 32, 3) - 1.0).abs() < 1e-12);
        let mild: Vec<u8> = x.iter().enumerate().map(|(i, &v)| v.saturating_add((i % 3) as u8)).collect();
        let strong: Vec<u8> = x.iter().enumerate().map(|(i, &v)| v.wrapping_add((i * 37 % 61) as u8)).collect();
        let (a, b) = (ssim(&x, &mild, 32, 32, 3), ssim(&x, &strong, 32, 32, 3));
        assert!(a < 1.0 && b < a && b > -1.0, "{a} {b}");
    }

    /// The value scikit-image 0.26.0 (an independent implementation) gives for the same two patterns:
    /// ```python
    /// import math, numpy as np
    /// from skimage.metrics import structural_similarity
    /// def pattern(w, h, ch, seed):
    ///     v = [min(max(128.0 + 60.0 * (math.sin((i // ch % w) * 0.3 + seed)
    ///                                 + math.cos((i // ch // w) * 0.21 + i % ch)), 0.0), 255.0)
    ///          for i in range(w * h * ch)]
    ///     return np.array([int(a) for a in v], dtype=np.uint8).reshape(h, w, ch)
    /// structural_similarity(pattern(24, 20, 3, 1), pattern(24, 20, 3, 2), data_range=255,
    ///     gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=-1)
    /// ```
    #[test]
    fn ssim_matches_scikit_image() {
        let x = pattern(24, 20, 3, 1);
        let y = pattern(24, 20, 3, 2);
        let ours = ssim(&x, &y, 24, 20, 3);
        assert!((ours - SKIMAGE_SSIM_24X20X3).abs() < 1e-9, "ours {ours}, scikit-image {SKIMAGE_SSIM_24X20X3}");
    }

    const SKIMAGE_SSIM_24X20X3: f64 = 0.5962662260293975;

    #[test]
    fn intervals_bracket_the_point_values() {
        let sent = pattern(16, 16, 1, 3);
        let mut counts = ImageCounts::default();
        for k in 0..40u8 {
            let got: Vec<u8> = sent.iter().map(|&v| if k % 4 == 0 { v ^ (k | 1) } else { v }).collect();
            counts.add(score_tile(&sent, &got, 16, 16, 1));
        }
        assert_eq!((counts.messages(), counts.message_errors()), (40, 10));
        let iv = counts.intervals();
        let (p, s) = (counts.psnr_db(), counts.ssim());
        assert!(iv.psnr_db.0 < p && p < iv.psnr_db.1, "{iv:?} {p}");
        assert!(iv.ssim.0 < s && s < iv.ssim.1, "{iv:?} {s}");
    }
}
