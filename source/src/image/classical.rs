//! Classical lossless image coders, the references every learned coder is measured against:
//! PNG at maximum effort (every row filter tried at zlib's best level, smallest kept), WebP
//! lossless (`image-webp`, the pure-Rust encoder), and zstd -19 on the raw subpixels. Each returns
//! the encoded bytes; the benchmark checks each round-trips where a decoder is at hand.

use crate::image::io::{encode_png, Image, PngEffort};
use crate::SourceError;

/// A classical coder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassicalCoder {
    /// PNG, every filter at zlib's best level (the `png` crate).
    PngBest,
    /// WebP lossless (`image-webp`).
    WebpLossless,
    /// zstd level 19 on the raw interleaved subpixels (no header: size known).
    ZstdRaw,
}

impl ClassicalCoder {
    pub const ALL: [ClassicalCoder; 3] =
        [ClassicalCoder::PngBest, ClassicalCoder::WebpLossless, ClassicalCoder::ZstdRaw];

    pub fn name(self) -> &'static str {
        match self {
            ClassicalCoder::PngBest => "png-best",
            ClassicalCoder::WebpLossless => "webp-lossless",
            ClassicalCoder::ZstdRaw => "zstd-19-raw",
        }
    }

    /// The encoded bytes of `image`.
    pub fn encode(self, image: &Image) -> Result<Vec<u8>, SourceError> {
        match self {
            ClassicalCoder::PngBest => encode_png(image, PngEffort::Best),
            ClassicalCoder::WebpLossless => {
                let color = match image.channels {
                    1 => image_webp::ColorType::L8,
                    2 => image_webp::ColorType::La8,
                    3 => image_webp::ColorType::Rgb8,
                    _ => image_webp::ColorType::Rgba8,
                };
                let mut out = Vec::new();
                image_webp::WebPEncoder::new(&mut out)
                    .encode(&image.pixels, image.width, image.height, color)
                    .map_err(|e| SourceError::Model(format!("WebP encoder: {e}")))?;
                Ok(out)
            }
            ClassicalCoder::ZstdRaw => {
                zstd::bulk::compress(&image.pixels, 19).map_err(|e| SourceError::Model(format!("zstd: {e}")))
            }
        }
    }

    /// Decode what [`Self::encode`] wrote back to pixels (for the round-trip check).
    pub fn decode(self, data: &[u8], like: &Image) -> Result<Vec<u8>, SourceError> {
        match self {
            ClassicalCoder::PngBest => {
                crate::image::io::decode_png(data).map(|i| i.pixels).map_err(SourceError::Unsupported)
            }
            ClassicalCoder::WebpLossless => {
                let mut decoder = image_webp::WebPDecoder::new(std::io::Cursor::new(data))
                    .map_err(|e| SourceError::Unsupported(format!("WebP: {e}")))?;
                let mut rgba = vec![0u8; decoder.output_buffer_size().unwrap_or(0)];
                decoder.read_image(&mut rgba).map_err(|e| SourceError::Unsupported(format!("WebP: {e}")))?;
                // The decoder gives RGB or RGBA; grey images come back with equal channels.
                let out_channels = if decoder.has_alpha() { 4 } else { 3 };
                let n = like.width as usize * like.height as usize;
                let ch = like.channels as usize;
                let mut pixels = Vec::with_capacity(n * ch);
                for p in rgba.chunks_exact(out_channels).take(n) {
                    match ch {
                        1 => pixels.push(p[0]),
                        2 => pixels.extend_from_slice(&[p[0], p[3]]),
                        3 => pixels.extend_from_slice(&p[..3]),
                        _ => pixels.extend_from_slice(&p[..4]),
                    }
                }
                Ok(pixels)
            }
            ClassicalCoder::ZstdRaw => zstd::bulk::decompress(data, like.pixels.len())
                .map_err(|e| SourceError::Unsupported(format!("zstd: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_classical_coder_round_trips_grey_and_colour() {
        for ch in [1u8, 2, 3, 4] {
            let (w, h) = (23u32, 17u32);
            let pixels: Vec<u8> =
                (0..(w * h) as usize * ch as usize).map(|i| ((i / ch as usize) % 23 * 9 + (i % 5) * 3) as u8).collect();
            let image = Image::new(w, h, ch, pixels).unwrap();
            for coder in ClassicalCoder::ALL {
                let data = coder.encode(&image).unwrap();
                assert_eq!(coder.decode(&data, &image).unwrap(), image.pixels, "{} on {ch} channels", coder.name());
            }
        }
    }
}
