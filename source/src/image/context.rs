//! The causal context of one subpixel: the inputs of the image LM, shared by training
//! (`neural::image_lm`) and coding ([`crate::image::lm`]) so both see the very same numbers.
//!
//! Subpixels are coded in raster order, pixel by pixel, channel by channel (R, G, B of one pixel
//! before the next pixel). The context of subpixel `(y, x, c)` is therefore
//! - the same channel at 16 causal neighbours ([`SAME_CHANNEL`]: the three to the left, and the
//!   rows above out to a distance of 3 — the neighbourhood of CALIC / JPEG-LS, widened), and
//! - the already-coded channels `c−1` and `c−2` of the same pixel, each as its residual against
//!   its own prediction and its differences to its west and north neighbours (for RGB photos the
//!   green residual predicts most of the blue one: this is where colour decorrelation comes from).
//!
//! Every value enters as a residual against the **MED predictor** of JPEG-LS / LOCO-I
//! (Weinberger, Seroussi & Sapiro 2000): `base = min(W, N)` if `NW ≥ max(W, N)`, `max(W, N)` if
//! `NW ≤ min(W, N)`, else `W + N − NW`, divided by [`RESIDUAL_SCALE`]. The model then predicts a
//! correction to `base`, not an absolute level, which is what lets a small network trained on five
//! photographs generalise. Neighbours outside the image read as `base` (residual 0) and three
//! flags say which border the subpixel is on. The first subpixel of the image (no west, no north)
//! predicts 128, or the previous channel of the same pixel.

/// Same-channel causal neighbours `(dy, dx)`.
pub const SAME_CHANNEL: [(i32, i32); 16] = [
    (0, -1),
    (0, -2),
    (0, -3),
    (-1, -3),
    (-1, -2),
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (-1, 2),
    (-1, 3),
    (-2, -2),
    (-2, -1),
    (-2, 0),
    (-2, 1),
    (-2, 2),
    (-3, 0),
];

/// How many previous channels of the same pixel enter the context.
pub const PREVIOUS_CHANNELS: usize = 2;
/// Values per previous channel.
const PER_PREVIOUS: usize = 4;
/// Residuals are divided by this (a typical photo residual is within ±32).
pub const RESIDUAL_SCALE: f32 = 32.0;
/// Largest channel count (grey, grey+alpha, RGB, RGBA).
pub const MAX_CHANNELS: usize = 4;

const PREVIOUS_AT: usize = SAME_CHANNEL.len();
const FLAGS_AT: usize = PREVIOUS_AT + PREVIOUS_CHANNELS * PER_PREVIOUS;
const LEVEL_AT: usize = FLAGS_AT + PREVIOUS_CHANNELS;
const CHANNEL_AT: usize = LEVEL_AT + 1;
const COLOUR_AT: usize = CHANNEL_AT + MAX_CHANNELS;
const BORDER_AT: usize = COLOUR_AT + 1;

/// Number of input features of one subpixel.
pub const FEATURES: usize = BORDER_AT + 3;

/// Read access to an image being coded: only causal subpixels are ever read, so a decoder can
/// pass its partly filled buffer.
#[derive(Debug, Clone, Copy)]
pub struct Causal<'a> {
    pixels: &'a [u8],
    width: usize,
    height: usize,
    channels: usize,
}

impl<'a> Causal<'a> {
    /// `pixels` holds `height` rows of `width` pixels of `channels` interleaved subpixels.
    ///
    /// # Panics
    /// If the sizes disagree or `channels` is not 1 to 4 (a programming error: images are checked
    /// when built).
    pub fn new(pixels: &'a [u8], width: usize, height: usize, channels: usize) -> Self {
        assert!((1..=MAX_CHANNELS).contains(&channels), "{channels} channels");
        assert_eq!(pixels.len(), width * height * channels, "pixel buffer size");
        Self { pixels, width, height, channels }
    }

    #[inline]
    fn at(&self, y: i64, x: i64, c: usize) -> Option<i32> {
        if y < 0 || x < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return None;
        }
        Some(self.pixels[(y as usize * self.width + x as usize) * self.channels + c] as i32)
    }

    /// The MED prediction of channel `c` at `(y, x)` from its west, north and north-west
    /// neighbours (see the module docs for the border rules).
    #[inline]
    pub fn base(&self, y: usize, x: usize, c: usize) -> i32 {
        let (y, x) = (y as i64, x as i64);
        match (self.at(y, x - 1, c), self.at(y - 1, x, c)) {
            (Some(w), Some(n)) => {
                let nw = self.at(y - 1, x - 1, c).expect("inside when W and N are");
                med(w, n, nw)
            }
            (Some(w), None) => w,
            (None, Some(n)) => n,
            (None, None) if c > 0 => self.at(y, x, c - 1).expect("previous channel of an inside pixel"),
            (None, None) => 128,
        }
    }

    /// Writes the features of subpixel `(y, x, c)` into `out` and returns its MED prediction.
    pub fn features(&self, y: usize, x: usize, c: usize, out: &mut [f32; FEATURES]) -> i32 {
        let base = self.base(y, x, c);
        let (yi, xi) = (y as i64, x as i64);
        for (slot, &(dy, dx)) in out[..PREVIOUS_AT].iter_mut().zip(SAME_CHANNEL.iter()) {
            let v = self.at(yi + dy as i64, xi + dx as i64, c).unwrap_or(base);
            *slot = (v - base) as f32 / RESIDUAL_SCALE;
        }
        for k in 0..PREVIOUS_CHANNELS {
            let at = PREVIOUS_AT + k * PER_PREVIOUS;
            if c > k {
                let p = c - 1 - k;
                let current = self.at(yi, xi, p).expect("inside");
                let w = self.at(yi, xi - 1, p).unwrap_or(current);
                let n = self.at(yi - 1, xi, p).unwrap_or(current);
                out[at] = (current - self.base(y, x, p)) as f32 / RESIDUAL_SCALE;
                out[at + 1] = (current - w) as f32 / RESIDUAL_SCALE;
                out[at + 2] = (current - n) as f32 / RESIDUAL_SCALE;
                out[at + 3] = (current - base) as f32 / RESIDUAL_SCALE;
                out[FLAGS_AT + k] = 1.0;
            } else {
                out[at..at + PER_PREVIOUS].fill(0.0);
                out[FLAGS_AT + k] = 0.0;
            }
        }
        out[LEVEL_AT] = base as f32 / 127.5 - 1.0;
        for k in 0..MAX_CHANNELS {
            out[CHANNEL_AT + k] = if k == c { 1.0 } else { 0.0 };
        }
        out[COLOUR_AT] = if self.channels >= 3 { 1.0 } else { 0.0 };
        out[BORDER_AT] = if y == 0 { 1.0 } else { 0.0 };
        out[BORDER_AT + 1] = if x == 0 { 1.0 } else { 0.0 };
        out[BORDER_AT + 2] = if x + 1 == self.width { 1.0 } else { 0.0 };
        base
    }
}

/// The median edge detector of LOCO-I.
#[inline]
pub fn med(w: i32, n: i32, nw: i32) -> i32 {
    if nw >= w.max(n) {
        w.min(n)
    } else if nw <= w.min(n) {
        w.max(n)
    } else {
        w + n - nw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn med_follows_loco_i() {
        assert_eq!(med(10, 20, 25), 10, "NW above both: the smaller");
        assert_eq!(med(10, 20, 5), 20, "NW below both: the larger");
        assert_eq!(med(10, 20, 15), 15, "in between: the plane W + N − NW");
    }

    #[test]
    fn features_never_read_the_future() {
        // Two buffers that agree on everything before subpixel (y, x, c) and differ after it must
        // give the same features: that is what lets the decoder pass a half-filled buffer.
        let (w, h, ch) = (7, 5, 3);
        let a: Vec<u8> = (0..w * h * ch).map(|i| (i * 97 % 251) as u8).collect();
        for cut in [0, 1, 2, 3, 20, 50, 104] {
            let mut b = a.clone();
            for v in &mut b[cut..] {
                *v = v.wrapping_add(77);
            }
            let (y, x, c) = (cut / ch / w, cut / ch % w, cut % ch);
            let (mut fa, mut fb) = ([0f32; FEATURES], [0f32; FEATURES]);
            let ba = Causal::new(&a, w, h, ch).features(y, x, c, &mut fa);
            let bb = Causal::new(&b, w, h, ch).features(y, x, c, &mut fb);
            assert_eq!((ba, fa), (bb, fb), "subpixel {cut}");
        }
    }

    #[test]
    fn a_flat_image_has_zero_residuals() {
        let img = vec![90u8; 6 * 4];
        let mut f = [0f32; FEATURES];
        let base = Causal::new(&img, 6, 4, 1).features(2, 3, 0, &mut f);
        assert_eq!(base, 90);
        assert!(f[..PREVIOUS_AT].iter().all(|&v| v == 0.0));
        assert_eq!(f[CHANNEL_AT], 1.0);
        assert_eq!(f[COLOUR_AT], 0.0);
    }
}
