//! Lossless image coding with the image LM: every subpixel, in raster order (pixel by pixel,
//! channel by channel), is arithmetic-coded under the frequency table of its predicted mixture.
//!
//! The encoder knows the whole image, so it computes the tables of all rows in parallel (rayon);
//! the decoder must go subpixel by subpixel, since each context needs the subpixels decoded before
//! it. Both call [`ImageLm::mixture`] on the same causal inputs, so their tables are bit-identical
//! whatever the thread count. Decoding a corrupted or truncated stream never fails or hangs: it
//! always returns an image of the stated size, the subpixels after the point where the stream ran
//! out left at 0, and says how far it got; [`fill_most_likely`] then fills them with the model's own
//! predictions, so a damaged image degrades instead of going black.

use crate::arithmetic::{ArithmeticDecoder, ArithmeticEncoder};
use crate::image::context::Causal;
use crate::image::io::Image;
use crate::image::lm::ImageLm;
use crate::quantize::LM_TOTAL_BUDGET;
use crate::SourceError;
use rayon::prelude::*;

/// Why image decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageStop {
    /// Every subpixel was decoded.
    Complete,
    /// The stream ended first (truncated or corrupted input).
    OutOfBits,
}

/// A decoded image and how far decoding got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// Always of the requested size; subpixels from `subpixels` on are 0.
    pub image: Image,
    /// Subpixels decoded.
    pub subpixels: usize,
    pub stop: ImageStop,
    /// Every subpixel decoded and the bits are exactly the image's code, termination included
    /// ([`ArithmeticDecoder::ends_exactly`]): what [`encode_image`] gives for it, without the
    /// model calls of encoding it again.
    pub exact: bool,
}

/// The `(cum_low, freq)` interval of every subpixel of `image`, in coding order.
fn intervals(model: &ImageLm, image: &Image) -> Vec<(u32, u32)> {
    let (w, h, ch) = (image.width as usize, image.height as usize, image.channels as usize);
    let causal = Causal::new(&image.pixels, w, h, ch);
    (0..h)
        .into_par_iter()
        .map_init(
            || model.scratch(),
            |scratch, y| {
                let mut row = Vec::with_capacity(w * ch);
                for x in 0..w {
                    for c in 0..ch {
                        let v = image.pixels[(y * w + x) * ch + c];
                        row.push(model.mixture(&causal, y, x, c, scratch).interval(v));
                    }
                }
                row
            },
        )
        .flatten()
        .collect()
}

/// Arithmetic-code `image` under `model`; the bits (one per `u8`, 0 or 1).
pub fn encode_image(model: &ImageLm, image: &Image) -> Result<Vec<u8>, SourceError> {
    let mut encoder = ArithmeticEncoder::new();
    for (lo, f) in intervals(model, image) {
        encoder.encode(lo, f, LM_TOTAL_BUDGET).map_err(|e| SourceError::Symbol(e.to_string()))?;
    }
    Ok(encoder.finish())
}

/// The model's information content of `image` in bits (`−Σ log2 p` of the quantised tables): what
/// the arithmetic code costs, up to its two termination bits.
pub fn information_bits(model: &ImageLm, image: &Image) -> f64 {
    let total = LM_TOTAL_BUDGET as f64;
    intervals(model, image).iter().map(|&(_, f)| (total / f as f64).log2()).sum()
}

/// Decode a `width × height × channels` image from `bits` (see the module docs).
pub fn decode_image(model: &ImageLm, bits: &[u8], width: u32, height: u32, channels: u8) -> DecodedImage {
    let (w, h, ch) = (width as usize, height as usize, channels as usize);
    let mut pixels = vec![0u8; w * h * ch];
    let mut decoder = ArithmeticDecoder::new(bits);
    let mut scratch = model.scratch();
    let mut done = 0;
    let mut stop = ImageStop::Complete;
    'rows: for y in 0..h {
        for x in 0..w {
            for c in 0..ch {
                let table = {
                    let causal = Causal::new(&pixels, w, h, ch);
                    model.mixture(&causal, y, x, c, &mut scratch).cumulative()
                };
                // A valid stream always ends after its last subpixel; past the end, or on an
                // interval error, the rest is unknown.
                let level = match decoder.decode_symbol(&table) {
                    Ok(v) if !decoder.exhausted() || done + 1 == pixels.len() => v,
                    _ => {
                        stop = ImageStop::OutOfBits;
                        break 'rows;
                    }
                };
                pixels[done] = level as u8;
                done += 1;
            }
        }
    }
    let exact = stop == ImageStop::Complete && decoder.ends_exactly();
    let image = Image { width, height, channels, pixels };
    DecodedImage { image, subpixels: done, stop, exact }
}

/// Fills the subpixels of `decoded` that were not decoded (from `decoded.subpixels` on, in coding
/// order) with the model's most likely level given the causal context, each prediction seeing the
/// ones before it: the receiver's best guess of the rest of the image from what did arrive. The
/// most likely level is the one with the largest frequency in the coding table (lowest level on a
/// tie), so the fill is as deterministic as decoding.
pub fn fill_most_likely(model: &ImageLm, decoded: &mut DecodedImage) {
    let image = &mut decoded.image;
    let (w, h, ch) = (image.width as usize, image.height as usize, image.channels as usize);
    let mut scratch = model.scratch();
    for at in decoded.subpixels..image.pixels.len() {
        let (p, c) = (at / ch, at % ch);
        let (y, x) = (p / w, p % w);
        let table = {
            let causal = Causal::new(&image.pixels, w, h, ch);
            model.mixture(&causal, y, x, c, &mut scratch).cumulative()
        };
        let mut best = (0u32, 0u8);
        for v in 0..table.len() - 1 {
            let f = table[v + 1] - table[v];
            if f > best.0 {
                best = (f, v as u8);
            }
        }
        image.pixels[at] = best.1;
    }
}
