//! The file `sim compress` writes for an image: a small header and the image LM's arithmetic code.
//!
//! Layout (integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `LMSI` |
//! | 1 | kind: 1 = image-LM stream, 2 = the original PNG stored as it is |
//! | 4, 4, 1 | width, height, channels |
//! | 32 | SHA-256 of the image-LM weight file (decoding with another model is refused; zeros for kind 2) |
//! | 8 | first 8 bytes of the SHA-256 of the pixels (checked after decoding) |
//! | 8 | payload length in bits |
//! | … | payload: kind 1, the arithmetic code's bits packed MSB first; kind 2, the PNG file |
//!
//! Kind 2 is what [`compress_image_or_png`] writes when the image LM would give more bytes than the
//! PNG file it was handed (synthetic images with long exact repeats, which PNG's LZ77 catches and a
//! local pixel model cannot): an image container is never more than a header larger than its PNG.
//!
//! Images are limited to [`MAX_SUBPIXELS`] subpixels, so a corrupted header cannot make the
//! decoder run for hours.

use crate::file_coder::{hex, hex_to_bytes};
use crate::image::coder::{decode_image, encode_image, ImageStop};
use crate::image::io::{check_size, Image};
use crate::image::lm::ImageLm;
use crate::zstd_coder::{bits_to_bytes, bytes_to_bits};
use crate::SourceError;
use sha2::{Digest, Sha256};

/// Magic bytes of an image container.
pub const MAGIC: &[u8; 4] = b"LMSI";
const KIND_LM: u8 = 1;
const KIND_PNG: u8 = 2;
const HEADER: usize = 4 + 1 + 4 + 4 + 1 + 32 + 8 + 8;
pub use crate::image::io::MAX_SUBPIXELS;

/// The header of an image container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHeader {
    /// The payload is the original PNG file, not an image-LM stream.
    pub stored_png: bool,
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub model_sha256: [u8; 32],
    pub pixels_sha256_prefix: [u8; 8],
    pub payload_bits: u64,
}

/// True if `data` starts like an image container.
pub fn is_image_container(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

/// The model's SHA-256 as the header stores it.
fn model_digest(model: &ImageLm) -> [u8; 32] {
    hex_to_bytes(model.sha256()).expect("ImageLm::sha256 is 64 hex digits")
}

/// Compress `image` with `model`.
pub fn compress_image(image: &Image, model: &ImageLm) -> Result<Vec<u8>, SourceError> {
    check_size(image.width, image.height, image.channels).map_err(SourceError::Unsupported)?;
    let bits = encode_image(model, image)?;
    let mut out = Vec::with_capacity(HEADER + bits.len() / 8 + 1);
    out.extend_from_slice(MAGIC);
    out.push(KIND_LM);
    out.extend_from_slice(&image.width.to_le_bytes());
    out.extend_from_slice(&image.height.to_le_bytes());
    out.push(image.channels);
    out.extend_from_slice(&model_digest(model));
    out.extend_from_slice(&Sha256::digest(&image.pixels)[..8]);
    out.extend_from_slice(&(bits.len() as u64).to_le_bytes());
    out.extend_from_slice(&bits_to_bytes(&bits));
    Ok(out)
}

/// Read the header of an image container.
pub fn inspect_image(data: &[u8]) -> Result<ImageHeader, SourceError> {
    let bad = |m: &str| SourceError::Unsupported(format!("not a valid image container: {m}"));
    if data.len() < HEADER || !is_image_container(data) {
        return Err(bad("too short or wrong magic"));
    }
    if data[4] != KIND_LM && data[4] != KIND_PNG {
        return Err(bad(&format!("kind {} (this build reads {KIND_LM} and {KIND_PNG})", data[4])));
    }
    let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().expect("4 bytes"));
    let (width, height, channels) = (u32_at(5), u32_at(9), data[13]);
    check_size(width, height, channels).map_err(|e| bad(&e))?;
    let header = ImageHeader {
        stored_png: data[4] == KIND_PNG,
        width,
        height,
        channels,
        model_sha256: data[14..46].try_into().expect("32 bytes"),
        pixels_sha256_prefix: data[46..54].try_into().expect("8 bytes"),
        payload_bits: u64::from_le_bytes(data[54..62].try_into().expect("8 bytes")),
    };
    if header.payload_bits.div_ceil(8) != (data.len() - HEADER) as u64 {
        return Err(bad(&format!(
            "payload of {} bits does not fill the {} bytes after the header (truncated?)",
            header.payload_bits,
            data.len() - HEADER
        )));
    }
    Ok(header)
}

/// [`compress_image`], or the PNG file `png` (whose pixels `image` holds) stored as it is when that
/// is smaller.
pub fn compress_image_or_png(image: &Image, model: &ImageLm, png: &[u8]) -> Result<Vec<u8>, SourceError> {
    let coded = compress_image(image, model)?;
    if HEADER + png.len() >= coded.len() {
        return Ok(coded);
    }
    let mut out = coded[..HEADER].to_vec();
    out[4] = KIND_PNG;
    out[14..46].fill(0);
    out[54..62].copy_from_slice(&(8 * png.len() as u64).to_le_bytes());
    out.extend_from_slice(png);
    Ok(out)
}

/// Decompress an image container with `model` (which must be the one it was made with). Any
/// damage is an error; [`crate::image::coder::decode_image`] is the lenient decoder a receiver uses.
pub fn decompress_image(data: &[u8], model: &ImageLm) -> Result<Image, SourceError> {
    let header = inspect_image(data)?;
    if header.stored_png {
        let image = crate::image::io::decode_png(&data[HEADER..])
            .map_err(|e| SourceError::Unsupported(format!("corrupted stored PNG: {e}")))?;
        let same_size = (image.width, image.height, image.channels) == (header.width, header.height, header.channels);
        if !same_size || Sha256::digest(&image.pixels)[..8] != header.pixels_sha256_prefix {
            return Err(SourceError::Unsupported("corrupted stored PNG: its pixels do not match the header".into()));
        }
        return Ok(image);
    }
    if header.model_sha256 != model_digest(model) {
        return Err(SourceError::Unsupported(format!(
            "the image was compressed with the image LM of sha256 {}, not this one ({})",
            hex(&header.model_sha256),
            model.sha256()
        )));
    }
    let mut bits = bytes_to_bits(&data[HEADER..]);
    bits.truncate(header.payload_bits as usize);
    let decoded = decode_image(model, &bits, header.width, header.height, header.channels);
    if decoded.stop != ImageStop::Complete {
        return Err(SourceError::Unsupported(format!(
            "corrupted image stream: it ran out after {} of {} subpixels",
            decoded.subpixels,
            decoded.image.subpixels()
        )));
    }
    if Sha256::digest(&decoded.image.pixels)[..8] != header.pixels_sha256_prefix {
        return Err(SourceError::Unsupported("corrupted image stream: the pixels' checksum does not match".into()));
    }
    Ok(decoded.image)
}
