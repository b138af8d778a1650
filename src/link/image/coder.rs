//! The image LM as the source coder of an SSCC image scheme: one arithmetic-coded stream per tile
//! (`source::image::coder`, the embedded next-subpixel model), no header (the tile size is the
//! scenario's).
//!
//! **What a damaged stream gives.** The decoder decodes subpixels until the stream breaks (an
//! invalid interval, or the bits run out before the last subpixel); the rest of the tile is filled
//! with the model's most likely value for each subpixel given everything before it
//! (`fill_most_likely`), so the tile degrades from the point of damage on instead of going black,
//! and its PSNR is always finite. A stream counts as intact when every subpixel decoded and encoding
//! the tile again gives exactly the bits received: the coder is deterministic, so this is the
//! receiver's exact test that what arrived is a complete code (as the audio coder's,
//! `link::audio::coder`). A corrupted stream that still decodes to the end is flagged unless it is
//! itself the whole code of another tile. It replaced a window on the length (within 3 bits of
//! −log2 P of the decoded tile, as `source::Decoded::ends_at` still tests text), which let more
//! wrong streams through and cost as much: the length needs the model's tables for every subpixel,
//! as encoding does.

use std::sync::Arc;

use rayon::prelude::*;
use source::image::coder::{decode_image, encode_image, fill_most_likely, ImageStop};
use source::image::list::{list_decode_image, ListedImage};
use source::image::lm::ImageLm;
use source::{Bits, ListConfig, SoftPayload};

use super::tiles::{TileSet, TILE_CHANNELS};
use crate::link::message::encodings::EncodedOnce;

/// A tile as the image LM decoded it.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedTile {
    pub pixels: Vec<u8>,
    /// Every subpixel decoded, and the tile encodes again to exactly the bits received.
    pub intact: bool,
    /// Model evaluations the decoding took: one per subpixel, decoded or filled.
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

    /// Decodes each stream to a tile (see the module docs), in parallel.
    pub fn decode_batch(&self, frames: &[&[u8]]) -> Vec<DecodedTile> {
        frames.par_iter().map(|bits| self.decode(bits)).collect()
    }

    /// The list receiver's search for the tile behind a damaged burst (`source::image::list`).
    pub fn decode_list(&self, soft: &SoftPayload, config: ListConfig) -> ListedImage {
        list_decode_image(&self.model, soft, config, self.tile, self.tile, TILE_CHANNELS)
    }

    fn decode(&self, bits: &[u8]) -> DecodedTile {
        let mut decoded = decode_image(&self.model, bits, self.tile, self.tile, TILE_CHANNELS);
        let complete = decoded.stop == ImageStop::Complete;
        if !complete {
            fill_most_likely(&self.model, &mut decoded);
        }
        // The exact bits: a stronger test than any window on the length, and no dearer (both need
        // the model's tables for every subpixel).
        let intact = complete && encode_image(&self.model, &decoded.image).is_ok_and(|again| again == bits);
        DecodedTile { steps: decoded.image.pixels.len() as u64, pixels: decoded.image.pixels, intact }
    }
}
