//! The image-coding benchmark: bits per subpixel and speed of every image coder on photographs,
//! each code checked to round-trip exactly.
//!
//! Coders: the image LM ([`crate::image::container`], header included), PNG at best effort, WebP
//! lossless, zstd -19 on raw subpixels, and — when the `cjxl`/`djxl` programs of libjxl are on the
//! `PATH` (Debian: `libjxl-tools`) — JPEG-XL lossless at effort 9 (`cjxl -d 0 -e 9`), run on a PNG of
//! the photo. Rows are per (photo, coder); [`mean_rows`] adds each coder's mean over the photos.

use crate::image::classical::ClassicalCoder;
use crate::image::container::{compress_image, decompress_image};
use crate::image::io::{decode_png, encode_png, Image, PngEffort};
use crate::image::lm::ImageLm;
use crate::SourceError;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// One coder on one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBenchRow {
    pub image: String,
    pub coder: String,
    pub subpixels: usize,
    pub bytes: usize,
    pub encode_s: f64,
    /// Seconds to decode (and check) the code.
    pub decode_s: f64,
}

impl ImageBenchRow {
    pub fn bits_per_subpixel(&self) -> f64 {
        8.0 * self.bytes as f64 / self.subpixels.max(1) as f64
    }

    /// Subpixels encoded per second.
    pub fn encode_subpixels_per_s(&self) -> f64 {
        self.subpixels as f64 / self.encode_s.max(1e-9)
    }

    /// Subpixels decoded per second.
    pub fn decode_subpixels_per_s(&self) -> f64 {
        self.subpixels as f64 / self.decode_s.max(1e-9)
    }
}

/// Name of the zero-shot SmolLM2 row (pixels written as text).
pub const PIXEL_TEXT: &str = "smollm2-pixel-text";

/// The image as text, the zero-shot "next pixel in language space" representation of P²-LLM
/// (Chen et al. 2025) without its fine-tuning: one line per image row, pixels separated by spaces,
/// each pixel's subpixels in channel order (RGB) as decimal numbers joined by commas, e.g.
/// `12,40,200 13,41,199\n`. SmolLM2's tokenizer splits digits, so every digit is one token.
pub fn pixels_as_text(image: &Image) -> String {
    let ch = image.channels as usize;
    let mut s = String::with_capacity(image.pixels.len() * 4);
    for row in image.pixels.chunks_exact(image.width as usize * ch) {
        for (i, px) in row.chunks_exact(ch).enumerate() {
            if i > 0 {
                s.push(' ');
            }
            for (j, v) in px.iter().enumerate() {
                if j > 0 {
                    s.push(',');
                }
                s.push_str(&v.to_string());
            }
        }
        s.push('\n');
    }
    s
}

/// The subpixels of text written by [`pixels_as_text`] (`None` if it is not such text).
pub fn text_to_pixels(text: &str) -> Option<Vec<u8>> {
    text.split(['\n', ' ', ',']).filter(|t| !t.is_empty()).map(|t| t.parse::<u8>().ok()).collect()
}

/// The zero-shot LLM baseline on `image`: [`pixels_as_text`] compressed by `coder` in file mode
/// (one lane, the LM on every token, container header included), decompressed and checked.
pub fn bench_pixel_text(
    image: &Image,
    name: &str,
    coder: &crate::file_coder::FileCoder,
) -> Result<ImageBenchRow, SourceError> {
    use crate::container::{compress_whole_file, decompress_whole_file, LaneChoice};
    let text = pixels_as_text(image);
    let (packed, encode_s) =
        timed(|| compress_whole_file(text.as_bytes(), Some(coder), LaneChoice::Lm, 1, &|_, _| {}))?;
    let (back, decode_s) = timed(|| decompress_whole_file(&packed, |_, _| Ok(coder.clone()), &|_, _| {}))?;
    let pixels = std::str::from_utf8(&back).ok().and_then(text_to_pixels);
    if pixels.as_deref() != Some(&image.pixels[..]) {
        return Err(mismatch(PIXEL_TEXT, name));
    }
    Ok(ImageBenchRow {
        image: name.into(),
        coder: PIXEL_TEXT.into(),
        subpixels: image.subpixels(),
        bytes: packed.len(),
        encode_s,
        decode_s,
    })
}

/// Name of the JPEG-XL row.
pub const JPEG_XL: &str = "jpeg-xl-lossless-e9";
/// Name of the image-LM row.
pub const IMAGE_LM: &str = "image-lm";

/// True if `cjxl` and `djxl` can be run.
pub fn jpeg_xl_available() -> bool {
    ["cjxl", "djxl"].iter().all(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
}

fn timed<T>(f: impl FnOnce() -> Result<T, SourceError>) -> Result<(T, f64), SourceError> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed().as_secs_f64()))
}

fn mismatch(coder: &str, name: &str) -> SourceError {
    SourceError::Model(format!("{coder} did not round-trip {name} exactly"))
}

/// JPEG-XL lossless through `cjxl`/`djxl` in `work` (a scratch folder).
fn jpeg_xl(image: &Image, name: &str, work: &Path) -> Result<ImageBenchRow, SourceError> {
    let png = work.join(format!("{name}.png"));
    let jxl = work.join(format!("{name}.jxl"));
    let back = work.join(format!("{name}.back.png"));
    std::fs::write(&png, encode_png(image, PngEffort::Default)?).map_err(|e| SourceError::file(&png, e))?;
    let run = |cmd: &mut Command| -> Result<(), SourceError> {
        let out = cmd.output().map_err(|e| SourceError::Model(format!("running {cmd:?}: {e}")))?;
        if !out.status.success() {
            return Err(SourceError::Model(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        Ok(())
    };
    let (_, encode_s) =
        timed(|| run(Command::new("cjxl").arg(&png).arg(&jxl).args(["-d", "0", "-e", "9", "--quiet"])))?;
    let (_, decode_s) = timed(|| run(Command::new("djxl").arg(&jxl).arg(&back).arg("--quiet")))?;
    let bytes = std::fs::metadata(&jxl).map_err(|e| SourceError::file(&jxl, e))?.len() as usize;
    let data = std::fs::read(&back).map_err(|e| SourceError::file(&back, e))?;
    let decoded = decode_png(&data).map_err(|e| SourceError::file(&back, e))?;
    if decoded.pixels != image.pixels {
        return Err(mismatch(JPEG_XL, name));
    }
    Ok(ImageBenchRow {
        image: name.into(),
        coder: JPEG_XL.into(),
        subpixels: image.subpixels(),
        bytes,
        encode_s,
        decode_s,
    })
}

/// Every coder on one image (`model`: the image LM, if it is to run; `jpeg_xl_work`: a scratch
/// folder for JPEG-XL, which runs when it is given — check [`jpeg_xl_available`] once first).
pub fn bench_image(
    image: &Image,
    name: &str,
    model: Option<&ImageLm>,
    jpeg_xl_work: Option<&Path>,
) -> Result<Vec<ImageBenchRow>, SourceError> {
    let mut rows = Vec::new();
    if let Some(model) = model {
        let (packed, encode_s) = timed(|| compress_image(image, model))?;
        let (back, decode_s) = timed(|| decompress_image(&packed, model))?;
        if back != *image {
            return Err(mismatch(IMAGE_LM, name));
        }
        rows.push(ImageBenchRow {
            image: name.into(),
            coder: IMAGE_LM.into(),
            subpixels: image.subpixels(),
            bytes: packed.len(),
            encode_s,
            decode_s,
        });
    }
    for coder in ClassicalCoder::ALL {
        let (data, encode_s) = timed(|| coder.encode(image))?;
        let (back, decode_s) = timed(|| coder.decode(&data, image))?;
        if back != image.pixels {
            return Err(mismatch(coder.name(), name));
        }
        rows.push(ImageBenchRow {
            image: name.into(),
            coder: coder.name().into(),
            subpixels: image.subpixels(),
            bytes: data.len(),
            encode_s,
            decode_s,
        });
    }
    if let Some(work) = jpeg_xl_work {
        rows.push(jpeg_xl(image, name, work)?);
    }
    Ok(rows)
}

/// Each coder's mean over the images (image name `mean`): mean bits per subpixel (the images
/// weighted equally, as papers report), summed bytes and seconds.
pub fn mean_rows(rows: &[ImageBenchRow]) -> Vec<(String, f64, ImageBenchRow)> {
    let mut coders: Vec<String> = Vec::new();
    for r in rows {
        if !coders.contains(&r.coder) {
            coders.push(r.coder.clone());
        }
    }
    coders
        .into_iter()
        .map(|coder| {
            let of: Vec<&ImageBenchRow> = rows.iter().filter(|r| r.coder == coder).collect();
            let mean_bps = of.iter().map(|r| r.bits_per_subpixel()).sum::<f64>() / of.len() as f64;
            let total = ImageBenchRow {
                image: "mean".into(),
                coder: coder.clone(),
                subpixels: of.iter().map(|r| r.subpixels).sum(),
                bytes: of.iter().map(|r| r.bytes).sum(),
                encode_s: of.iter().map(|r| r.encode_s).sum(),
                decode_s: of.iter().map(|r| r.decode_s).sum(),
            };
            (coder, mean_bps, total)
        })
        .collect()
}

/// CSV of the rows (one line per photo and coder).
pub fn rows_csv(rows: &[ImageBenchRow]) -> String {
    let mut s = String::from("image,coder,subpixels,bytes,bits_per_subpixel,encode_s,decode_s\n");
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{:.4},{:.3},{:.3}\n",
            r.image,
            r.coder,
            r.subpixels,
            r.bytes,
            r.bits_per_subpixel(),
            r.encode_s,
            r.decode_s
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_text_round_trips_and_reads_as_intended() {
        let image = Image::new(2, 2, 3, vec![0, 1, 255, 10, 20, 30, 7, 8, 9, 100, 200, 250]).unwrap();
        let text = pixels_as_text(&image);
        assert_eq!(text, "0,1,255 10,20,30\n7,8,9 100,200,250\n");
        assert_eq!(text_to_pixels(&text).unwrap(), image.pixels);
        assert_eq!(text_to_pixels("1,2,256"), None);
        let grey = Image::new(3, 1, 1, vec![5, 6, 7]).unwrap();
        assert_eq!(pixels_as_text(&grey), "5 6 7\n");
    }
}
