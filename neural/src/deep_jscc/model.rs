//! Deep JSCC for images: Bourtsoulatze, Kurka & Gündüz, "Deep Joint Source-Channel Coding for
//! Wireless Image Transmission", IEEE Trans. Cogn. Commun. Netw. 5(3), 2019 (arXiv:1809.01733),
//! Fig. 2, in candle.
//!
//! The published architecture, tile `T × T` RGB in [0, 1] (`T` = 32 by default, CIFAR-10's size):
//! - Encoder: five 5×5 convolutions, "same" padding 2, each followed by PReLU: 16 filters stride 2,
//!   32 stride 2, 32 stride 1, 32 stride 1, `c` stride 1. The output `(c, T/4, T/4)` is flattened
//!   and normalised ([`power_normalise`]): `z · sqrt(k / ‖z‖²)` for the tile's `k` reals, so each
//!   real value has mean power 1.
//! - Channel (`crate::jscc::channel`, the convention of every JSCC model here): every real value is
//!   one real channel use, consecutive pairs form complex symbols; noise σ = 1/sqrt(2·10^(snr/10))
//!   per real value.
//! - Decoder: five 5×5 transposed convolutions, padding 2: `c`→32 stride 1, 32→32 stride 1, 32→32
//!   stride 1, 32→16 stride 2, 16→3 stride 2 (output padding 1 on the strided ones, so 8 → 16 → 32),
//!   PReLU after each but the last, a sigmoid at the end.
//!
//! The latent holds `c·(T/4)²` reals = `c·(T/4)²/2` complex channel uses for `n = 3·T²` source
//! values: bandwidth ratio `k/n = c/96` for any `T` (c = 16 → 1/6, c = 8 → 1/12).
//!
//! What differs from the paper:
//! - SNR convention: the paper's SNR is P/σ² per complex symbol with average power P per complex
//!   symbol. Here each real value has unit power and noise variance 1/(2·snr) (Es/N0 per real
//!   dimension, the project's convention), so the paper's SNR is this `snr_db` + 3.01 dB.
//! - Rayleigh: the paper's slow-fading decoder sees `h z + n` without channel state; here the receiver
//!   equalises with perfect CSI (`z + n/h`, `jscc::channel::effective_noise`), one gain per tile.
//! - PReLU has one slope per channel (initialised to 0.25, PyTorch's default value); the paper does
//!   not say whether slopes are shared.
//! - Initialisation: PyTorch's defaults for `nn.Conv2d` / `nn.ConvTranspose2d` (uniform ±1/sqrt(fan_in),
//!   fan_in from the weight's dimension 1 as PyTorch computes it), drawn from our seeded stream.
//! - Training data (see `train.rs`): crops of the five training photographs of the project's fixed
//!   set, not CIFAR-10's 50 000 images; grey photos are replicated to three channels.
//!
//! candle-core 0.11.1 has backward passes for both `conv2d` and `conv_transpose2d` (checked against
//! finite differences in the tests), so the decoder uses real transposed convolutions.
//!
//! Weight files: safetensors, f32, metadata `format` = [`FORMAT`], `config` ([`DeepJsccConfig`])
//! and `training` (JSON). Parameter names follow the struct tree:
//! `encoder.blocks.{i}.conv.{weight,bias}`, `encoder.blocks.{i}.prelu.weight`,
//! `decoder.blocks.{i}.tconv.{weight,bias}`, `decoder.blocks.{i}.prelu.weight` (no PReLU on the
//! last block).

use std::path::Path;

use candle_core::{Device, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::core::params::ParamBuilder;
use crate::core::weights::{read_model, save_model, set_loaded, ModelFile, WeightsError};

/// The weight file's format tag.
pub const FORMAT: &str = "lmsscc-deep-jscc-v1";

/// Kernel size of every convolution.
pub const KERNEL: usize = 5;
/// "Same" padding of the 5×5 kernels.
const PADDING: usize = 2;
/// Hidden widths of the published model.
const WIDTH_1: usize = 16;
const WIDTH_2: usize = 32;

/// Architecture: tile size `T` and the latent's channel count `c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeepJsccConfig {
    /// Side of the square RGB tiles (a multiple of 4).
    pub tile: usize,
    /// Channels `c` of the encoder's last convolution.
    pub channels_c: usize,
}

impl Default for DeepJsccConfig {
    /// The paper's CIFAR-10 setting at ratio 1/6: `T` = 32, `c` = 16.
    fn default() -> Self {
        Self { tile: 32, channels_c: 16 }
    }
}

impl DeepJsccConfig {
    /// The `c` that gives bandwidth ratio `num/den` (`c = 96·num/den`), if it is a whole number.
    pub fn for_ratio(tile: usize, num: usize, den: usize) -> std::result::Result<Self, String> {
        if den == 0 || !(96 * num).is_multiple_of(den) || num == 0 {
            return Err(format!("ratio {num}/{den}: c = 96·{num}/{den} is not a positive whole number"));
        }
        let config = Self { tile, channels_c: 96 * num / den };
        config.validate()?;
        Ok(config)
    }

    /// Bandwidth ratio `k/n`: complex channel uses per source value (`c/96`).
    pub fn ratio(&self) -> f64 {
        (self.reals_per_tile() as f64 / 2.0) / self.source_values_per_tile() as f64
    }

    /// Real channel values per tile (`c·(T/4)²`), the length of one tile's latent.
    pub fn reals_per_tile(&self) -> usize {
        self.channels_c * self.latent_side() * self.latent_side()
    }

    /// Source values per tile (`3·T²`).
    pub fn source_values_per_tile(&self) -> usize {
        3 * self.tile * self.tile
    }

    /// Side of the latent (`T/4`).
    pub fn latent_side(&self) -> usize {
        self.tile / 4
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.tile < 4 || !self.tile.is_multiple_of(4) || self.tile > 1024 {
            return Err(format!("config {self:?}: the tile side must be a multiple of 4 from 4 to 1024"));
        }
        if self.channels_c == 0 || self.channels_c > 1024 {
            return Err(format!("config {self:?}: c must be 1 to 1024"));
        }
        if !self.reals_per_tile().is_multiple_of(2) {
            return Err(format!(
                "config {self:?}: {} reals per tile do not pair into complex symbols",
                self.reals_per_tile()
            ));
        }
        Ok(())
    }
}

/// PyTorch's default bound of `nn.Conv2d` / `nn.ConvTranspose2d` weights and biases,
/// `1/sqrt(fan_in)` (kaiming-uniform with a = √5 gives the same bound for the weight).
fn torch_conv_bound(fan_in: usize) -> f64 {
    1.0 / (fan_in as f64).sqrt()
}

/// `nn.Conv2d(c_in, c_out, 5, stride, padding = 2)`: weight `(c_out, c_in, 5, 5)`, bias `(c_out)`.
pub struct Conv2d {
    weight: Var,
    bias: Var,
    stride: usize,
}

impl Conv2d {
    pub fn new(p: &mut ParamBuilder, name: &str, c_in: usize, c_out: usize, stride: usize) -> Result<Self> {
        let bound = torch_conv_bound(c_in * KERNEL * KERNEL);
        let weight = p.uniform(format!("{name}.weight"), &[c_out, c_in, KERNEL, KERNEL], bound)?;
        let bias = p.uniform(format!("{name}.bias"), &[c_out], bound)?;
        Ok(Self { weight, bias, stride })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.conv2d(self.weight.as_tensor(), PADDING, self.stride, 1, 1)?;
        y.broadcast_add(&self.bias.as_tensor().reshape((1, (), 1, 1))?)
    }
}

/// `nn.ConvTranspose2d(c_in, c_out, 5, stride, padding = 2, output_padding)`: weight
/// `(c_in, c_out, 5, 5)`, bias `(c_out)`.
pub struct ConvTranspose2d {
    weight: Var,
    bias: Var,
    stride: usize,
    output_padding: usize,
}

impl ConvTranspose2d {
    pub fn new(p: &mut ParamBuilder, name: &str, c_in: usize, c_out: usize, stride: usize) -> Result<Self> {
        // PyTorch computes fan_in from weight.size(1), which for a transposed conv is c_out.
        let bound = torch_conv_bound(c_out * KERNEL * KERNEL);
        let weight = p.uniform(format!("{name}.weight"), &[c_in, c_out, KERNEL, KERNEL], bound)?;
        let bias = p.uniform(format!("{name}.bias"), &[c_out], bound)?;
        // Output side (i − 1)·s − 2·2 + 5 + op = s·i needs op = s − 1.
        Ok(Self { weight, bias, stride, output_padding: stride - 1 })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.conv_transpose2d(self.weight.as_tensor(), PADDING, self.output_padding, self.stride, 1)?;
        y.broadcast_add(&self.bias.as_tensor().reshape((1, (), 1, 1))?)
    }
}

/// `nn.PReLU(channels)` on `(B, C, H, W)`: `relu(x) + a·min(x, 0)` with one slope `a` per channel
/// (initialised to 0.25), written with differentiable candle-core ops.
pub struct PRelu {
    weight: Var,
}

impl PRelu {
    pub fn new(p: &mut ParamBuilder, name: &str, channels: usize) -> Result<Self> {
        Ok(Self { weight: p.constant(format!("{name}.weight"), &[channels], 0.25)? })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let a = self.weight.as_tensor().reshape((1, (), 1, 1))?;
        // min(x, 0) = −relu(−x).
        x.relu()?.sub(&x.neg()?.relu()?.broadcast_mul(&a)?)
    }
}

/// A convolution and its PReLU.
pub struct EncoderBlock {
    conv: Conv2d,
    prelu: PRelu,
}

impl EncoderBlock {
    fn new(p: &mut ParamBuilder, name: &str, c_in: usize, c_out: usize, stride: usize) -> Result<Self> {
        let conv = Conv2d::new(p, &format!("{name}.conv"), c_in, c_out, stride)?;
        let prelu = PRelu::new(p, &format!("{name}.prelu"), c_out)?;
        Ok(Self { conv, prelu })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.prelu.forward(&self.conv.forward(x)?)
    }
}

/// A transposed convolution and its PReLU (none on the last block).
pub struct DecoderBlock {
    tconv: ConvTranspose2d,
    prelu: Option<PRelu>,
}

impl DecoderBlock {
    fn new(p: &mut ParamBuilder, name: &str, c_in: usize, c_out: usize, stride: usize, prelu: bool) -> Result<Self> {
        let tconv = ConvTranspose2d::new(p, &format!("{name}.tconv"), c_in, c_out, stride)?;
        let prelu = if prelu { Some(PRelu::new(p, &format!("{name}.prelu"), c_out)?) } else { None };
        Ok(Self { tconv, prelu })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.tconv.forward(x)?;
        match &self.prelu {
            Some(prelu) => prelu.forward(&y),
            None => Ok(y),
        }
    }
}

/// The encoder: tiles `(B, 3, T, T)` → latent `(B, c, T/4, T/4)` (before normalisation).
pub struct Encoder {
    blocks: Vec<EncoderBlock>,
}

impl Encoder {
    fn new(p: &mut ParamBuilder, name: &str, c: usize) -> Result<Self> {
        let shape =
            [(3, WIDTH_1, 2), (WIDTH_1, WIDTH_2, 2), (WIDTH_2, WIDTH_2, 1), (WIDTH_2, WIDTH_2, 1), (WIDTH_2, c, 1)];
        let blocks = shape
            .iter()
            .enumerate()
            .map(|(i, &(c_in, c_out, s))| EncoderBlock::new(p, &format!("{name}.blocks.{i}"), c_in, c_out, s))
            .collect::<Result<_>>()?;
        Ok(Self { blocks })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.blocks.iter().try_fold(x.clone(), |x, b| b.forward(&x))
    }
}

/// The decoder: latent `(B, c, T/4, T/4)` → tiles `(B, 3, T, T)` in (0, 1).
pub struct Decoder {
    blocks: Vec<DecoderBlock>,
}

impl Decoder {
    fn new(p: &mut ParamBuilder, name: &str, c: usize) -> Result<Self> {
        let shape =
            [(c, WIDTH_2, 1), (WIDTH_2, WIDTH_2, 1), (WIDTH_2, WIDTH_2, 1), (WIDTH_2, WIDTH_1, 2), (WIDTH_1, 3, 2)];
        let last = shape.len() - 1;
        let blocks = shape
            .iter()
            .enumerate()
            .map(|(i, &(c_in, c_out, s))| {
                DecoderBlock::new(p, &format!("{name}.blocks.{i}"), c_in, c_out, s, i != last)
            })
            .collect::<Result<_>>()?;
        Ok(Self { blocks })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        sigmoid(&self.blocks.iter().try_fold(x.clone(), |x, b| b.forward(&x))?)
    }
}

/// `σ(x) = (1 + tanh(x/2)) / 2`: no overflow, and candle-core differentiates `tanh`.
fn sigmoid(x: &Tensor) -> Result<Tensor> {
    (x * 0.5)?.tanh()?.affine(0.5, 0.5)
}

/// Interleaved 8-bit pixels with 1 (replicated to R, G and B) or 3 channels → the model's input
/// format, planar RGB in [0, 1] (`3 × pixels`).
pub fn planar_rgb(pixels: &[u8], channels: usize) -> Vec<f32> {
    let n = pixels.len() / channels;
    let mut planes = vec![0f32; 3 * n];
    for i in 0..n {
        for c in 0..3 {
            let v = pixels[i * channels + if channels == 3 { c } else { 0 }];
            planes[c * n + i] = v as f32 / 255.0;
        }
    }
    planes
}

/// The decoder's output format (planar RGB, values in [0, 1]) → interleaved 8-bit RGB, each value
/// clamped to [0, 1] and rounded to the nearest level.
pub fn interleaved_rgb8(planar: &[f32]) -> Vec<u8> {
    let n = planar.len() / 3;
    (0..n).flat_map(|p| (0..3).map(move |c| (planar[c * n + p].clamp(0.0, 1.0) * 255.0).round() as u8)).collect()
}

/// Scales each row of `z` `(B, k)` to mean power 1 per value: `z · sqrt(k / ‖z‖²)` (a 1e-12 floor on
/// `‖z‖²` keeps an all-zero row finite).
pub fn power_normalise(z: &Tensor) -> Result<Tensor> {
    let k = z.dim(1)? as f64;
    let norm = (z.sqr()?.sum_keepdim(1)? + 1e-12)?.sqrt()?;
    z.broadcast_div(&norm)? * k.sqrt()
}

/// The Deep JSCC model: encoder, power normalisation, decoder.
pub struct DeepJscc {
    config: DeepJsccConfig,
    encoder: Encoder,
    decoder: Decoder,
    named: Vec<(String, Var)>,
    device: Device,
    training: serde_json::Value,
}

impl DeepJscc {
    /// A freshly initialised model (PyTorch's default initialisation, from our seeded stream).
    pub fn new(config: DeepJsccConfig, seed: u64, device: &Device) -> Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        let mut p = ParamBuilder::new(seed, device);
        let encoder = Encoder::new(&mut p, "encoder", config.channels_c)?;
        let decoder = Decoder::new(&mut p, "decoder", config.channels_c)?;
        Ok(Self {
            config,
            encoder,
            decoder,
            named: p.finish(),
            device: device.clone(),
            training: serde_json::Value::Null,
        })
    }

    pub fn config(&self) -> DeepJsccConfig {
        self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The `training` metadata of the file the model was loaded from (`Null` for a new model).
    pub fn training(&self) -> &serde_json::Value {
        &self.training
    }

    pub fn named_parameters(&self) -> &[(String, Var)] {
        &self.named
    }

    pub fn parameter_count(&self) -> usize {
        self.named.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Tiles `(B, 3, T, T)` → normalised channel reals `(B, reals_per_tile)`.
    pub fn encode_tensor(&self, tiles: &Tensor) -> Result<Tensor> {
        let z = self.encoder.forward(tiles)?;
        power_normalise(&z.flatten_from(1)?)
    }

    /// Received reals `(B, reals_per_tile)` → reconstructed tiles `(B, 3, T, T)` in (0, 1).
    pub fn decode_tensor(&self, received: &Tensor) -> Result<Tensor> {
        let s = self.config.latent_side();
        let b = received.dim(0)?;
        self.decoder.forward(&received.reshape((b, self.config.channels_c, s, s))?)
    }

    /// Encodes `batch` tiles (`B × 3 × T × T` row-major, values in [0, 1]) into `B × reals_per_tile`
    /// normalised channel reals (mean power 1 per real value in each tile).
    pub fn encode(&self, tiles: &[f32], batch: usize) -> Result<Vec<f32>> {
        let t = self.config.tile;
        if tiles.len() != batch * 3 * t * t {
            candle_core::bail!("encode: {} values for {batch} tiles of 3×{t}×{t}", tiles.len());
        }
        let x = Tensor::from_slice(tiles, (batch, 3, t, t), &self.device)?;
        self.encode_tensor(&x)?.flatten_all()?.to_vec1()
    }

    /// Decodes `batch` tiles' received reals (`B × reals_per_tile`, equalised channel outputs) into
    /// `B × 3 × T × T` values in [0, 1].
    pub fn decode(&self, received: &[f32], batch: usize) -> Result<Vec<f32>> {
        let k = self.config.reals_per_tile();
        if received.len() != batch * k {
            candle_core::bail!("decode: {} values for {batch} tiles of {k} reals", received.len());
        }
        let y = Tensor::from_slice(received, (batch, k), &self.device)?;
        self.decode_tensor(&y)?.flatten_all()?.to_vec1()
    }

    /// Writes the weights with `format`, `config` and the given `training` JSON as metadata.
    pub fn save(&self, path: &Path, training: &serde_json::Value) -> std::result::Result<(), WeightsError> {
        save_model(path, &self.named, FORMAT, &self.config, training)
    }

    /// Loads a weight file written by [`DeepJscc::save`] (its `training` metadata: [`DeepJscc::training`]).
    pub fn load(path: &Path, device: &Device) -> std::result::Result<DeepJscc, WeightsError> {
        let bad = |reason: String| WeightsError::format(path, reason);
        let (tensors, config, training): ModelFile<DeepJsccConfig> = read_model(path, FORMAT)?;
        config.validate().map_err(bad)?;
        let mut model = Self::new(config, 0, device).map_err(|e| WeightsError::candle(path, e))?;
        set_loaded(path, &model.named, &tensors, device)?;
        model.training = training;
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_go_planar_and_come_back_interleaved() {
        let tile: Vec<u8> = (0..4 * 4 * 3).map(|i| (i * 5) as u8).collect();
        let planar = planar_rgb(&tile, 3);
        assert_eq!(planar[0], 0.0);
        assert_eq!(planar[16], 5.0 / 255.0, "the G plane starts with pixel 0's green");
        assert_eq!(interleaved_rgb8(&planar), tile);
        let grey = planar_rgb(&[0, 51, 255], 1);
        assert_eq!(grey, [0.0, 0.2, 1.0, 0.0, 0.2, 1.0, 0.0, 0.2, 1.0]);
    }
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn tiles(batch: usize, t: usize, seed: u64) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..batch * 3 * t * t).map(|_| rng.random_range(0.0..1.0f32)).collect()
    }

    #[test]
    fn shapes_and_ratios_of_the_published_settings() -> Result<()> {
        let c16 = DeepJsccConfig::for_ratio(32, 1, 6).unwrap();
        assert_eq!(c16, DeepJsccConfig { tile: 32, channels_c: 16 });
        assert_eq!(c16.reals_per_tile(), 16 * 64);
        assert!((c16.ratio() - 1.0 / 6.0).abs() < 1e-12);
        let c8 = DeepJsccConfig::for_ratio(32, 1, 12).unwrap();
        assert_eq!(c8.channels_c, 8);
        assert!((c8.ratio() - 1.0 / 12.0).abs() < 1e-12);
        assert!(DeepJsccConfig::for_ratio(32, 1, 7).is_err());
        let model = DeepJscc::new(c8, 1, &Device::Cpu)?;
        let x = tiles(2, 32, 1);
        let z = model.encode(&x, 2)?;
        assert_eq!(z.len(), 2 * c8.reals_per_tile());
        let y = model.decode(&z, 2)?;
        assert_eq!(y.len(), x.len());
        assert!(y.iter().all(|v| (0.0..=1.0).contains(v)));
        Ok(())
    }

    #[test]
    fn power_normalisation_gives_mean_power_one_per_real_value() -> Result<()> {
        let config = DeepJsccConfig { tile: 16, channels_c: 4 };
        let model = DeepJscc::new(config, 2, &Device::Cpu)?;
        let batch = 5;
        let mut x = tiles(batch, 16, 2);
        // A dark tile and a bright one too.
        x[..3 * 256].iter_mut().for_each(|v| *v *= 0.01);
        x[3 * 256..6 * 256].iter_mut().for_each(|v| *v = 0.5 + *v * 0.5);
        let z = model.encode(&x, batch)?;
        for tile in z.chunks(config.reals_per_tile()) {
            let power = tile.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tile.len() as f64;
            assert!((power - 1.0).abs() < 1e-5, "mean power {power}");
        }
        Ok(())
    }

    #[test]
    fn every_parameter_gets_a_gradient() -> Result<()> {
        let config = DeepJsccConfig { tile: 16, channels_c: 4 };
        let device = Device::Cpu;
        let model = DeepJscc::new(config, 3, &device)?;
        let x = Tensor::from_vec(tiles(3, 16, 3), (3, 3, 16, 16), &device)?;
        let y = model.decode_tensor(&model.encode_tensor(&x)?)?;
        let loss = (y - &x)?.sqr()?.mean_all()?;
        let grads = loss.backward()?;
        assert_eq!(model.named_parameters().len(), 5 * 3 + 5 * 2 + 4);
        for (name, var) in model.named_parameters() {
            let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} has no gradient"));
            assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0, "{name}: zero gradient");
        }
        Ok(())
    }

    /// candle's backward passes of `conv2d` and `conv_transpose2d` (strided, padded, with output
    /// padding) against central differences of the loss in f64.
    #[test]
    fn convolution_gradients_match_finite_differences() -> Result<()> {
        let device = Device::Cpu;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut rand = |shape: &[usize]| -> Result<Tensor> {
            let n: usize = shape.iter().product();
            Tensor::from_vec((0..n).map(|_| rng.random_range(-1.0..1.0f64)).collect::<Vec<_>>(), shape, &device)
        };
        let x = Var::from_tensor(&rand(&[2, 3, 8, 8])?)?;
        let k1 = Var::from_tensor(&rand(&[4, 3, 5, 5])?)?;
        let k2 = Var::from_tensor(&rand(&[4, 2, 5, 5])?)?;
        let w = rand(&[2, 2, 8, 8])?;
        let loss = |x: &Tensor, k1: &Tensor, k2: &Tensor| -> Result<Tensor> {
            let h = x.conv2d(k1, 2, 2, 1, 1)?.tanh()?; // (2, 4, 4, 4)
            let y = h.conv_transpose2d(k2, 2, 1, 2, 1)?; // (2, 2, 8, 8)
            (y * &w)?.sum_all()
        };
        let grads = loss(x.as_tensor(), k1.as_tensor(), k2.as_tensor())?.backward()?;
        let eps = 1e-6;
        for (which, var) in [("x", &x), ("k1", &k1), ("k2", &k2)] {
            let g = grads.get(var.as_tensor()).unwrap().flatten_all()?.to_vec1::<f64>()?;
            let base = var.as_tensor().flatten_all()?.to_vec1::<f64>()?;
            for i in (0..base.len()).step_by(7) {
                let at = |d: f64| -> Result<f64> {
                    let mut v = base.clone();
                    v[i] += d;
                    let t = Tensor::from_vec(v, var.dims(), &device)?;
                    let (a, b, c) = match which {
                        "x" => (t, k1.as_tensor().clone(), k2.as_tensor().clone()),
                        "k1" => (x.as_tensor().clone(), t, k2.as_tensor().clone()),
                        _ => (x.as_tensor().clone(), k1.as_tensor().clone(), t),
                    };
                    loss(&a, &b, &c)?.to_scalar::<f64>()
                };
                let numeric = (at(eps)? - at(-eps)?) / (2.0 * eps);
                assert!((numeric - g[i]).abs() < 1e-5 * (1.0 + numeric.abs()), "{which}[{i}]: {} vs {numeric}", g[i]);
            }
        }
        Ok(())
    }

    #[test]
    fn save_and_load_give_identical_outputs() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let config = DeepJsccConfig { tile: 16, channels_c: 8 };
        let model = DeepJscc::new(config, 5, &Device::Cpu)?;
        let training = serde_json::json!({"steps": 3});
        model.save(&path, &training).unwrap();
        let loaded = DeepJscc::load(&path, &Device::Cpu).unwrap();
        assert_eq!(loaded.config(), config);
        assert_eq!(loaded.training(), &training);
        let x = tiles(2, 16, 5);
        let z = model.encode(&x, 2)?;
        assert_eq!(z, loaded.encode(&x, 2)?);
        assert_eq!(model.decode(&z, 2)?, loaded.decode(&z, 2)?);
        // Another tag is refused.
        crate::core::weights::save_model(&path, model.named_parameters(), "other", &config, &training).unwrap();
        assert!(DeepJscc::load(&path, &Device::Cpu).is_err());
        Ok(())
    }
}
