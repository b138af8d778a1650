//! The image LM as the source coder of an SSCC image scheme: one arithmetic-coded stream per tile
//! (`source::image::coder`, the embedded next-subpixel model), no header (the tile size is the
//! scenario's).
//!
//! **What a damaged stream gives.** The decoder decodes subpixels until the stream breaks (an
//! invalid interval, or the bits run out before the last subpixel); the rest of the tile is filled
//! with the model's most likely value for each subpixel given everything before it
//! (`fill_most_likely`), so the tile degrades from the point of damage on instead of going black,
//! and its PSNR is always finite. A stream counts as intact when every subpixel decoded and the
//! bits received are exactly the decoded tile's code, termination included
//! (`source::arithmetic::ArithmeticDecoder::ends_exactly`: the decoder runs the encoder on the
//! intervals it consumed, so the test needs no model call): the coder is deterministic, so this is
//! the receiver's exact test that what arrived is a complete code, as the audio coder's
//! (`link::audio::coder`). A corrupted stream that still decodes to the end is flagged unless it
//! is itself the whole code of another tile. It replaced a window on the length (within 3 bits of
//! −log2 P of the decoded tile, as `source::Decoded::ends_at` still tests text), which let more
//! wrong streams through, and then encoding the decoded tile again, which gave the same decisions
//! for twice the model calls of a complete tile.

use std::sync::Arc;

use rayon::prelude::*;
use source::image::coder::{decode_image, encode_image, fill_most_likely, ImageStop};
use source::image::io::Image;
use source::image::list::{list_decode_image, score_image, ListedImage};
use source::image::lm::ImageLm;
use source::{Bits, ListChoice, ListConfig, SoftPayload};

use super::tiles::{TileSet, TILE_CHANNELS};
use crate::link::message::encodings::EncodedOnce;

/// A tile as the image LM decoded it.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedTile {
    pub pixels: Vec<u8>,
    /// Every subpixel decoded, and the bits received are exactly the tile's code.
    pub intact: bool,
    /// Model evaluations the decoding took: one per subpixel decoded or filled, and one for the
    /// subpixel the stream broke at, if it broke.
    pub steps: u64,
}

/// The image LM coding tiles of one size.
pub struct TileCoder {
    model: ImageLm,
    tile: u32,
    /// The last tile set encoded (by its sha256) and its streams: the SSCC schemes of a scenario
    /// share one coder, and encoding is the same for all of them.
    encoded: EncodedOnce,
}

impl TileCoder {
    /// The embedded image LM for `tile × tile` RGB tiles.
    pub fn embedded(tile: u32) -> anyhow::Result<Self> {
        Ok(TileCoder { model: ImageLm::embedded()?, tile, encoded: EncodedOnce::default() })
    }

    pub fn name(&self) -> String {
        "image-lm".into()
    }

    /// sha256 of the model's weights.
    pub fn model_sha256(&self) -> String {
        self.model.sha256().to_string()
    }

    /// Every tile's stream, tiles in parallel (once per tile set).
    pub fn encode(&self, set: &TileSet) -> anyhow::Result<Arc<Vec<Bits>>> {
        let streams = self.encoded.try_get_or_encode(set.sha256(), || {
            (0..set.len()).into_par_iter().map(|j| encode_image(&self.model, &set.image(j))).collect()
        })?;
        Ok(streams)
    }

    /// Decodes each stream to a tile (see the module docs), in parallel. `fill[i]`: whether tile
    /// `i`'s rest is filled in if its stream breaks, as for a tile the receiver delivers; an LM-aided
    /// receiver's candidate is not, since it is discarded unless intact.
    pub fn decode_batch(&self, frames: &[&[u8]], fill: &[bool]) -> Vec<DecodedTile> {
        frames.par_iter().zip(fill).map(|(bits, &fill)| self.decode(bits, fill)).collect()
    }

    /// The list receiver's search for the tile behind a damaged burst (`source::image::list`).
    pub fn decode_list(&self, soft: &SoftPayload, config: ListConfig) -> ListedImage {
        list_decode_image(&self.model, soft, config, self.tile, self.tile, TILE_CHANNELS)
    }

    /// `tile` scored as [`Self::decode_list`]'s search scores its paths (`source::image::list::score_image`).
    pub fn score_list(&self, soft: &SoftPayload, tile: &Image) -> Option<ListChoice> {
        score_image(&self.model, soft, tile)
    }

    fn decode(&self, bits: &[u8], fill: bool) -> DecodedTile {
        let mut decoded = decode_image(&self.model, bits, self.tile, self.tile, TILE_CHANNELS);
        let broken = decoded.stop != ImageStop::Complete;
        // The subpixel the stream broke at was predicted too.
        let mut steps = decoded.subpixels + broken as usize;
        if broken && fill {
            steps += decoded.image.pixels.len() - decoded.subpixels;
            fill_most_likely(&self.model, &mut decoded);
        }
        DecodedTile { steps: steps as u64, pixels: decoded.image.pixels, intact: decoded.exact }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use source::image::io::Image;

    /// A 16×16 RGB tile with a photo's kind of structure: smooth gradients and an edge.
    fn tile() -> Image {
        let pixels = (0..16 * 16 * 3)
            .map(|i| {
                let (p, c) = (i / 3, i % 3);
                let (y, x) = (p / 16, p % 16);
                (40 + 6 * x + 3 * y + 20 * c + if x > 9 { 60 } else { 0 }) as u8
            })
            .collect();
        Image { width: 16, height: 16, channels: TILE_CHANNELS, pixels }
    }

    #[test]
    fn a_broken_candidate_costs_only_what_decoded_and_a_delivered_tile_is_filled() {
        let coder = TileCoder::embedded(16).unwrap();
        let image = tile();
        let bits = encode_image(&coder.model, &image).unwrap();
        let cut = &bits[..bits.len() / 2];
        let got = coder.decode_batch(&[&bits, cut, cut], &[true, true, false]);
        assert_eq!((got[0].steps, got[0].intact), (768, true));
        assert_eq!(got[0].pixels, image.pixels);
        let decoded = decode_image(&coder.model, cut, 16, 16, TILE_CHANNELS).subpixels;
        assert!(decoded > 0 && decoded < 768, "{decoded}");
        // Delivered: every subpixel decoded or filled, plus the one the stream broke at.
        assert_eq!((got[1].steps, got[1].intact), (769, false));
        // A candidate stops where its stream broke, and is not filled.
        assert_eq!((got[2].steps, got[2].intact), (decoded as u64 + 1, false));
        assert_eq!(got[2].pixels[..decoded], got[1].pixels[..decoded]);
        assert!(got[2].pixels[decoded..].iter().all(|&v| v == 0));
        assert!(got[1].pixels[decoded..].iter().any(|&v| v != 0), "the delivered tile is filled");
    }
}
