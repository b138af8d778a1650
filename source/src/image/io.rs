//! 8-bit images in memory and their files: PNG in and out, JPEG in.
//!
//! [`load_image`] decodes any 8-bit PNG (grey, grey+alpha, RGB, RGBA; palette and sub-byte depths
//! are expanded to 8 bits) or baseline/progressive JPEG (grey or RGB; CMYK refused) into
//! interleaved subpixels; 16-bit PNGs are refused by name (the coders here model 8-bit
//! subpixels). [`encode_png`] writes one back.

use crate::SourceError;
use std::path::Path;

/// An 8-bit image: `height` rows of `width` pixels of `channels` interleaved subpixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
    pub channels: u8,
    pub pixels: Vec<u8>,
}

impl Image {
    /// Build an image, checking that `pixels` has `width * height * channels` entries.
    pub fn new(width: u32, height: u32, channels: u8, pixels: Vec<u8>) -> Result<Self, SourceError> {
        if !(1..=4).contains(&channels) {
            return Err(SourceError::Unsupported(format!("{channels} channels (1 to 4 supported)")));
        }
        let expected = width as usize * height as usize * channels as usize;
        if pixels.len() != expected {
            return Err(SourceError::Unsupported(format!(
                "{width}x{height}x{channels} image needs {expected} subpixels, got {}",
                pixels.len()
            )));
        }
        Ok(Self { width, height, channels, pixels })
    }

    /// Number of subpixels.
    pub fn subpixels(&self) -> usize {
        self.pixels.len()
    }

    /// The `width × height` window whose top-left pixel is `(x0, y0)`, clipped to the image.
    pub fn crop(&self, x0: u32, y0: u32, width: u32, height: u32) -> Image {
        let (x0, y0) = (x0.min(self.width), y0.min(self.height));
        let (w, h) = (width.min(self.width - x0), height.min(self.height - y0));
        let ch = self.channels as usize;
        let mut pixels = Vec::with_capacity((w * h) as usize * ch);
        for y in y0..y0 + h {
            let start = ((y * self.width + x0) as usize) * ch;
            pixels.extend_from_slice(&self.pixels[start..start + w as usize * ch]);
        }
        Image { width: w, height: h, channels: self.channels, pixels }
    }
}

/// Largest image accepted, in subpixels (e.g. 8192 × 5461 RGB): checked against a file's header
/// before its pixels are allocated, so a small file claiming a huge image is refused at once.
pub const MAX_SUBPIXELS: usize = 1 << 27;

/// `Err` naming the size unless a `width × height × channels` image is non-empty, of 1 to 4
/// channels and at most [`MAX_SUBPIXELS`] subpixels.
pub fn check_size(width: u32, height: u32, channels: u8) -> Result<(), String> {
    let n = width as usize * height as usize * channels as usize;
    if width == 0 || height == 0 || !(1..=4).contains(&channels) || n > MAX_SUBPIXELS {
        return Err(format!("unsupported image size {width}×{height}×{channels} (at most {MAX_SUBPIXELS} subpixels)"));
    }
    Ok(())
}

/// True if `data` starts with the PNG signature.
pub fn is_png(data: &[u8]) -> bool {
    data.starts_with(&[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'])
}

/// True if `data` starts with a JPEG start-of-image marker.
pub fn is_jpeg(data: &[u8]) -> bool {
    data.starts_with(&[0xff, 0xd8, 0xff])
}

/// Decode a PNG or JPEG file (by its signature, not its name); errors name the file.
pub fn load_image(path: &Path) -> Result<Image, SourceError> {
    let data = std::fs::read(path).map_err(|e| SourceError::file(path, e))?;
    decode_image(&data).map_err(|e| SourceError::file(path, e))
}

/// Decode PNG or JPEG bytes (by signature).
pub fn decode_image(data: &[u8]) -> Result<Image, String> {
    if is_png(data) {
        decode_png(data)
    } else if is_jpeg(data) {
        decode_jpeg(data)
    } else {
        Err("neither a PNG nor a JPEG file (by its first bytes)".into())
    }
}

/// Decode JPEG bytes (8-bit grey or RGB; CMYK and 16-bit refused).
pub fn decode_jpeg(data: &[u8]) -> Result<Image, String> {
    let mut decoder = jpeg_decoder::Decoder::new(data);
    decoder.read_info().map_err(|e| format!("corrupt or unsupported JPEG: {e}"))?;
    let info = decoder.info().ok_or("JPEG without a frame header")?;
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => 1,
        jpeg_decoder::PixelFormat::RGB24 => 3,
        other => return Err(format!("{other:?} JPEG: only 8-bit grey or RGB is supported")),
    };
    check_size(info.width as u32, info.height as u32, channels)?;
    let pixels = decoder.decode().map_err(|e| format!("corrupt or unsupported JPEG: {e}"))?;
    Image::new(info.width as u32, info.height as u32, channels, pixels).map_err(|e| e.to_string())
}

/// Decode the PNG file at `path` (errors name the file).
pub fn load_png(path: &Path) -> Result<Image, SourceError> {
    let data = std::fs::read(path).map_err(|e| SourceError::file(path, e))?;
    decode_png(&data).map_err(|e| SourceError::file(path, e))
}

/// Decode PNG bytes into an 8-bit image (palette and sub-byte depths expanded; 16-bit refused).
pub fn decode_png(data: &[u8]) -> Result<Image, String> {
    let mut decoder = png::Decoder::new(data);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| format!("not a readable PNG: {e}"))?;
    let (color, depth) = reader.output_color_type();
    if depth != png::BitDepth::Eight {
        let bits = match depth {
            png::BitDepth::Sixteen => 16,
            png::BitDepth::Four => 4,
            png::BitDepth::Two => 2,
            png::BitDepth::One => 1,
            png::BitDepth::Eight => 8,
        };
        return Err(format!("{bits}-bit PNG: only 8-bit subpixels are supported"));
    }
    let channels = match color {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("indexed PNG was not expanded".into()),
    };
    let header = reader.info();
    check_size(header.width, header.height, channels)?;
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| format!("corrupt PNG: {e}"))?;
    buf.truncate(info.buffer_size());
    Image::new(info.width, info.height, channels, buf).map_err(|e| e.to_string())
}

/// How hard [`encode_png`] tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngEffort {
    /// The `png` crate's defaults.
    Default,
    /// Best zlib compression, trying every row filter and keeping the smallest file.
    Best,
}

/// Encode an image as PNG. With [`PngEffort::Best`], every fixed filter and the adaptive filter
/// are tried at the best zlib level and the smallest file is kept.
pub fn encode_png(image: &Image, effort: PngEffort) -> Result<Vec<u8>, SourceError> {
    let color = match image.channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let write = |filter: Option<(png::FilterType, png::AdaptiveFilterType)>| -> Result<Vec<u8>, SourceError> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
            encoder.set_color(color);
            encoder.set_depth(png::BitDepth::Eight);
            if let Some((f, a)) = filter {
                encoder.set_compression(png::Compression::Best);
                encoder.set_filter(f);
                encoder.set_adaptive_filter(a);
            }
            let mut writer = encoder.write_header().map_err(|e| SourceError::Model(format!("PNG encoder: {e}")))?;
            writer.write_image_data(&image.pixels).map_err(|e| SourceError::Model(format!("PNG encoder: {e}")))?;
        }
        Ok(out)
    };
    match effort {
        PngEffort::Default => write(None),
        PngEffort::Best => {
            use png::{AdaptiveFilterType as A, FilterType as F};
            let mut best: Option<Vec<u8>> = None;
            for choice in [
                (F::NoFilter, A::NonAdaptive),
                (F::Sub, A::NonAdaptive),
                (F::Up, A::NonAdaptive),
                (F::Avg, A::NonAdaptive),
                (F::Paeth, A::NonAdaptive),
                (F::Paeth, A::Adaptive),
            ] {
                let out = write(Some(choice))?;
                if best.as_ref().is_none_or(|b| out.len() < b.len()) {
                    best = Some(out);
                }
            }
            Ok(best.expect("at least one filter tried"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_file_claiming_a_huge_image_is_refused_before_its_pixels_are_allocated() {
        // 68 bytes: a PNG header of 100,000 × 100,000 RGB (30 GB of pixels) and a tiny IDAT. Under
        // an address-space limit the decoder used to abort allocating the buffer.
        let hex = "89504e470d0a1a0a0000000d49484452000186a0000186a0080200000027309c9f0000000b49444154789c63\
                   60800100000a00017f80745e0000000049454e44ae426082";
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let e = decode_image(&bytes).unwrap_err();
        assert!(e.contains("unsupported image size 100000×100000×3"), "{e}");
        assert!(check_size(8192, 5461, 3).is_ok() && check_size(8192, 5462, 3).is_err());
        assert!(check_size(0, 5, 3).is_err() && check_size(5, 5, 5).is_err());
    }

    #[test]
    fn png_round_trips_and_bad_png_is_an_error() {
        let pixels: Vec<u8> = (0..7 * 5 * 3).map(|i| (i * 37 % 256) as u8).collect();
        let image = Image::new(7, 5, 3, pixels).unwrap();
        for effort in [PngEffort::Default, PngEffort::Best] {
            let data = encode_png(&image, effort).unwrap();
            assert!(is_png(&data));
            assert_eq!(decode_png(&data).unwrap(), image);
        }
        assert!(decode_png(b"not a png").unwrap_err().contains("PNG"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\nxx").unwrap();
        assert!(load_png(&path).unwrap_err().to_string().contains("broken.png"));
    }
}
