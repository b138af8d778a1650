//! The image modality: tiles of photographs as messages ([`tiles`]), the image LM as an SSCC
//! scheme's source coder ([`coder`]), Deep JSCC ([`jscc`]), and the schemes of an image scenario's
//! `[[schemes]]`. Its quality metrics (PSNR, SSIM) are `crate::metrics::image_quality`.

pub mod coder;
pub mod jscc;
pub mod tiles;

use std::sync::Arc;

use anyhow::Context;

use super::message::sscc::{frame_link, SsccScheme, SsccSource};
use super::message::{MessageScheme, MessageSet};
use super::paths::project_root_for;
use super::sampling::check_items_per_point;
use crate::scenario::{LoadedScenario, SourceKind};
use coder::TileCoder;
use jscc::DeepJsccScheme;
use tiles::TileSet;

/// Loads the tiles and builds every scheme of `loaded`, in the scenario's order (no file is
/// written). The SSCC schemes share one image LM.
pub fn build_schemes(
    loaded: &LoadedScenario,
    verbose: bool,
) -> anyhow::Result<(MessageSet, Vec<Box<dyn MessageScheme>>)> {
    let s = &loaded.scenario;
    let file = loaded.path.display().to_string();
    let base = project_root_for(&loaded.path);
    let tiles = TileSet::load(&s.image, &base, s.seed, verbose).with_context(|| file.clone())?;
    check_items_per_point(&file, "image", "tiles", tiles.len(), s.image.repeats)?;
    let mut image_lm: Option<Arc<TileCoder>> = None;
    let mut schemes: Vec<Box<dyn MessageScheme>> = Vec::new();
    for c in &s.schemes {
        let context = || format!("{file}: scheme '{}'", c.name);
        match c.source {
            SourceKind::ImageLm => {
                let (link, framer) = frame_link(s, c, &base).with_context(context)?;
                let coder = match &image_lm {
                    Some(coder) => coder.clone(),
                    None => image_lm.insert(Arc::new(TileCoder::embedded(s.image.tile)?)).clone(),
                };
                let sha = coder.model_sha256();
                let scheme =
                    SsccScheme::new(c.clone(), SsccSource::Image(coder), "image-lm".into(), link, framer, Some(sha));
                schemes.push(Box::new(scheme));
            }
            SourceKind::DeepJscc => {
                schemes.push(Box::new(DeepJsccScheme::load(c, s.channel.kind, &base).with_context(context)?))
            }
            _ => anyhow::bail!("{}: field 'source': this source does not code image tiles", context()),
        }
    }
    Ok((MessageSet::Image(tiles), schemes))
}
