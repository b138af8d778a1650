//! Deep JSCC for images (`source = "deep-jscc"`; Bourtsoulatze, Kurka & Gündüz, IEEE TCCN 2019):
//! the model's encoder maps each tile to real values at unit mean power, they cross the channel, and
//! its decoder maps what arrived back to a tile; no bits, no code.
//!
//! Batches are the message link's: batch `b` of a point draws its noise from stream
//! `(seed, scheme, SNR, b)`, the channel as for the text JSCC schemes (`neural::jscc::channel`:
//! AWGN, or Rayleigh block fading with one CN(0, 1) gain per tile and perfect-CSI equalisation).
//! The model's pixel formats are its own (`planar_rgb`, `interleaved_rgb8`): the decoder's output
//! in [0, 1] is rounded to 8-bit subpixels. Channel use: the model's real
//! values per tile, each charged as a float32 (32 bits) on the unified SNR axis, as for DeepSC.

use std::path::{Path, PathBuf};

use anyhow::Context;
use candle_core::Device;
use channels::{stream, SnrPoint};
use neural::deep_jscc::model::{interleaved_rgb8, planar_rgb};
use neural::deep_jscc::DeepJscc;
use neural::jscc::channel::effective_noise;
use neural::Channel;

use super::tiles::{TileSet, TILE_CHANNELS};
use crate::link::events::{BatchProgress, Sink};
use crate::link::facts::SchemeFacts;
use crate::link::jscc::{analog_facts, analog_outcomes, check_weights_record, neural_channel};
use crate::link::message::encodings::EncodingStore;
use crate::link::message::{Batch, BatchOutcome, DecodedItem, MessageScheme, MessageSet, Received};
use crate::link::paths::resolve;
use crate::scenario::{ChannelKind, SchemeConfig};

/// The shipped Deep JSCC weights for a channel (`neural/models/README.md`).
pub fn shipped_weights(channel: Channel) -> String {
    format!("neural/models/deep-jscc-{}.safetensors", channel.name())
}

/// A Deep JSCC scheme: the model and the channel it is simulated over.
pub struct DeepJsccScheme {
    pub config: SchemeConfig,
    pub model: DeepJscc,
    pub channel: Channel,
    pub weights: PathBuf,
    pub weights_sha256: String,
    /// The tiles sent, once prepared: model inputs (planar RGB in [0, 1]) and the tiles themselves.
    inputs: Vec<Vec<f32>>,
    tiles: Vec<Vec<u8>>,
}

impl DeepJsccScheme {
    /// Loads the scheme's weights (`weights`, or the shipped model for the scenario's channel).
    pub fn load(config: &SchemeConfig, channel: ChannelKind, base: &Path) -> anyhow::Result<Self> {
        let channel = neural_channel(channel);
        let weights = resolve(config.weights.as_deref().unwrap_or(&shipped_weights(channel)), base);
        let model = DeepJscc::load(&weights, &Device::Cpu)
            .with_context(|| format!("scheme '{}': Deep JSCC weights (field 'weights')", config.name))?;
        let weights_sha256 = source::model_cache::sha256_file(&weights)?;
        Ok(DeepJsccScheme {
            config: config.clone(),
            model,
            channel,
            weights,
            weights_sha256,
            inputs: Vec::new(),
            tiles: Vec::new(),
        })
    }

    /// Sends batch `batch` and decodes it: each item's received tile.
    fn run_batch(&self, point: &SnrPoint, seed: u64, batch: &Batch) -> anyhow::Result<Vec<Vec<u8>>> {
        let m = self.inputs.len();
        let rows = batch.items.len();
        let input: Vec<f32> = batch.items.clone().flat_map(|j| self.inputs[j % m].iter().copied()).collect();
        let sent = self.model.encode(&input, rows)?;
        let reals = sent.len() / rows;
        let mut rng = stream(seed, &[self.stream_id(), point.snr_db.to_bits(), batch.index]);
        let noise = effective_noise(self.channel, rows, 1, reals, point.sigma(), &mut rng);
        let received: Vec<f32> = sent.iter().zip(&noise).map(|(x, e)| x + e).collect();
        let out = self.model.decode(&received, rows)?;
        let per = out.len() / rows;
        Ok(out.chunks(per).map(interleaved_rgb8).collect())
    }
}

impl MessageScheme for DeepJsccScheme {
    fn config(&self) -> &SchemeConfig {
        &self.config
    }

    fn prepare(
        &mut self,
        messages: &MessageSet,
        _store: &mut EncodingStore,
        _sink: &mut dyn Sink,
    ) -> anyhow::Result<SchemeFacts> {
        let tiles: &TileSet = messages.tiles(&format!("scheme '{}'", self.config.name))?;
        let model_tile = self.model.config().tile as u32;
        if tiles.tile != model_tile {
            anyhow::bail!(
                "scheme '{}': {} codes {model_tile}×{model_tile} tiles; set image.tile = {model_tile}",
                self.config.name,
                self.weights.display()
            );
        }
        self.inputs = tiles.tiles.iter().map(|t| planar_rgb(&t.pixels, TILE_CHANNELS as usize)).collect();
        self.tiles = tiles.tiles.iter().map(|t| t.pixels.clone()).collect();
        let reals = self.model.config().reals_per_tile();
        let channel = format!(
            "{} (JSCC, Deep JSCC k/n = {:.4} {})",
            self.channel.name(),
            self.model.config().ratio(),
            self.weights.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
        );
        Ok(analog_facts(&self.config.name, channel, reals as f64, &self.weights_sha256))
    }

    /// Runs the batches one after the other (each one tensor batch through the model); tiles
    /// received other than sent are listed.
    fn run_batches(
        &self,
        point: &SnrPoint,
        seed: u64,
        batches: &[Batch],
        progress: &mut dyn FnMut(BatchProgress),
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        let m = self.tiles.len();
        analog_outcomes(batches, progress, |batch| {
            let received = self.run_batch(point, seed, batch)?;
            Ok(batch
                .items
                .clone()
                .zip(received)
                .filter(|(item, pixels)| *pixels != self.tiles[item % m])
                .map(|(item, pixels)| DecodedItem { item: item as u64, received: Received::Tile { pixels } })
                .collect())
        })
    }

    fn check_results_folder(&self, out_dir: &Path, has_rows: bool) -> anyhow::Result<()> {
        check_weights_record(out_dir, &self.config.name, &self.weights, &self.weights_sha256, has_rows)
    }
}
