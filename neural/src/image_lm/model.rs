//! The image LM in candle, for training: an MLP from a subpixel's causal context to the parameters
//! of a mixture of discretised logistics, and that mixture's negative log-likelihood.
//!
//! The inputs (`source::image::context`), the output parametrisation and the likelihood
//! (`source::image::mixture`, after PixelCNN++: Salimans, Karpathy, Chen & Kingma 2017, §2.1) are
//! defined once in the `source` crate, which codes with the trained weights in plain Rust; this
//! file is their differentiable twin. What differs from PixelCNN++: the context is a fixed causal
//! neighbourhood fed to an MLP (no convolutional stack), values are in level units around the
//! MED prediction (not in [−1, 1]), and the previous channels of the pixel are inputs rather than
//! linear coefficients on the means.
//!
//! Weight files: safetensors, f32, names `hidden.{i}.weight|bias` and `head.weight|bias`,
//! metadata `format` = `source::image::lm::FORMAT`, `config` (`features`, `hidden`, `layers`,
//! `outputs`) and `training` (JSON).

use std::path::Path;

use candle_core::{DType, Device, Result, Tensor, Var, D};
use serde::{Deserialize, Serialize};
use source::image::context::FEATURES;
use source::image::lm::FORMAT;
use source::image::mixture::{COMPONENTS, LEVELS, MEAN_SCALE, MIN_LN_SCALE, OUTPUTS};

use crate::core::layers::Linear;
use crate::core::nn;
use crate::core::params::ParamBuilder;
use crate::core::weights::{read_model, save_model, set_loaded, ModelFile, WeightsError};

/// Architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLmConfig {
    pub features: usize,
    pub hidden: usize,
    /// Hidden layers.
    pub layers: usize,
    pub outputs: usize,
}

impl ImageLmConfig {
    /// The shipped model's shape.
    pub fn small() -> Self {
        Self { features: FEATURES, hidden: 128, layers: 2, outputs: OUTPUTS }
    }

    /// A small shape for tests.
    pub fn tiny() -> Self {
        Self { features: FEATURES, hidden: 16, layers: 1, outputs: OUTPUTS }
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.features != FEATURES || self.outputs != OUTPUTS {
            return Err(format!("config {self:?}: this build's context has {FEATURES} features and {OUTPUTS} outputs"));
        }
        if self.hidden == 0 || self.hidden > 4096 || self.layers == 0 || self.layers > 16 {
            return Err(format!("config {self:?}: 1 to 16 hidden layers of 1 to 4096 units"));
        }
        Ok(())
    }
}

/// The trainable image LM.
pub struct ImageLm {
    config: ImageLmConfig,
    hidden: Vec<Linear>,
    head: Linear,
    named: Vec<(String, Var)>,
    device: Device,
}

/// `log(1 + e^x)` in a form without overflow: `relu(x) + log(1 + e^−|x|)`.
fn softplus(x: &Tensor) -> Result<Tensor> {
    x.relu()?.add(&(x.abs()?.neg()?.exp()? + 1.0)?.log()?)
}

/// `σ(x) = exp(−softplus(−x))`: no overflow for any `x`, and a gradient everywhere.
fn sigmoid(x: &Tensor) -> Result<Tensor> {
    softplus(&x.neg()?)?.neg()?.exp()
}

/// `log Σ exp` over the last dimension, max-shifted (the max is a constant for the gradient).
fn logsumexp_last(x: &Tensor) -> Result<Tensor> {
    let top = x.max_keepdim(D::Minus1)?.detach();
    x.broadcast_sub(&top)?.exp()?.sum_keepdim(D::Minus1)?.log()?.add(&top)?.squeeze(D::Minus1)
}

impl ImageLm {
    /// A freshly initialised model (PyTorch's `nn.Linear` initialisation after Xavier, from our
    /// seeded stream).
    pub fn new(config: ImageLmConfig, seed: u64, device: &Device) -> Result<Self> {
        let mut p = ParamBuilder::new(seed, device);
        let mut hidden = Vec::with_capacity(config.layers);
        let mut fan_in = config.features;
        for i in 0..config.layers {
            hidden.push(p.linear(&format!("hidden.{i}"), fan_in, config.hidden)?);
            fan_in = config.hidden;
        }
        let head = p.linear("head", fan_in, config.outputs)?;
        Ok(Self { config, hidden, head, named: p.finish(), device: device.clone() })
    }

    pub fn config(&self) -> &ImageLmConfig {
        &self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn named_parameters(&self) -> &[(String, Var)] {
        &self.named
    }

    pub fn parameter_count(&self) -> usize {
        self.named.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Network outputs `(N, OUTPUTS)` for features `(N, FEATURES)`.
    pub fn forward(&self, features: &Tensor) -> Result<Tensor> {
        let mut x = features.clone();
        for layer in &self.hidden {
            x = layer.forward(&x)?.relu()?;
        }
        self.head.forward(&x)
    }

    /// Negative log-likelihood in nats of each subpixel `(N)`: `outputs (N, OUTPUTS)`, their MED
    /// predictions `base (N)` and true levels `target (N)` (both as f32 levels).
    pub fn nll(&self, outputs: &Tensor, base: &Tensor, target: &Tensor) -> Result<Tensor> {
        let k = COMPONENTS;
        let n = outputs.dim(0)?;
        let mean = outputs.narrow(1, 0, k)?.affine(MEAN_SCALE as f64, 0.0)?.broadcast_add(&base.unsqueeze(1)?)?;
        // ln s = max(o, MIN_LN_SCALE), written as MIN + relu(o − MIN) so it has a gradient.
        let ln_s = (outputs.narrow(1, k, k)?.affine(1.0, -(MIN_LN_SCALE as f64))?.relu()? + MIN_LN_SCALE as f64)?;
        let inv_s = ln_s.neg()?.exp()?;
        let log_weight = {
            let logits = outputs.narrow(1, 2 * k, k)?;
            logits.broadcast_sub(&logsumexp_last(&logits)?.unsqueeze(1)?)?
        };
        let centred = target.unsqueeze(1)?.broadcast_sub(&mean)?; // v − μ, (N, K)
        let plus_in = ((&centred + 0.5)? * &inv_s)?;
        let min_in = ((&centred - 0.5)? * &inv_s)?;
        let mid_in = (&centred * &inv_s)?;
        // log σ(a) = −softplus(−a); log(1 − σ(b)) = −softplus(b).
        let log_cdf_plus = softplus(&plus_in.neg()?)?.neg()?;
        let log_one_minus_cdf_min = softplus(&min_in)?.neg()?;
        let cdf_delta = (sigmoid(&plus_in)? - sigmoid(&min_in)?)?;
        // Bins with little mass under a component: the density at the bin centre (bin width 1),
        // as PixelCNN++ does, so the logarithm never sees 0.
        let log_pdf_mid = ((&mid_in - &ln_s)? - (softplus(&mid_in)? * 2.0)?)?;
        let floor = 1e-12;
        let log_delta = ((&cdf_delta - floor)?.relu()? + floor)?.log()?;
        let delta_ok = cdf_delta.detach().ge(1e-5)?;
        let inner = delta_ok.where_cond(&log_delta, &log_pdf_mid)?;
        let levels = target.unsqueeze(1)?.broadcast_as((n, k))?.contiguous()?;
        let at_zero = levels.le(0.5)?;
        let at_top = levels.ge((LEVELS - 1) as f64 - 0.5)?;
        let log_prob = at_zero.where_cond(&log_cdf_plus, &at_top.where_cond(&log_one_minus_cdf_min, &inner)?)?;
        logsumexp_last(&(log_prob + log_weight)?)?.neg()
    }

    /// Replaces every parameter's value (names and shapes must match).
    pub fn set_parameters(&self, values: &[(String, Tensor)]) -> Result<()> {
        nn::set_named_parameters(&self.named, values, &self.device)
    }

    /// Writes the weights with `format`, `config` and the given `training` JSON as metadata.
    pub fn save(&self, path: &Path, training: &serde_json::Value) -> std::result::Result<(), WeightsError> {
        save_model(path, &self.named, FORMAT, &self.config, training)
    }

    /// Loads a weight file written by [`ImageLm::save`]; returns the model and its `training` metadata.
    pub fn load(path: &Path, device: &Device) -> std::result::Result<(Self, serde_json::Value), WeightsError> {
        let bad = |reason: String| WeightsError::format(path, reason);
        let (tensors, config, training): ModelFile<ImageLmConfig> = read_model(path, FORMAT)?;
        config.validate().map_err(bad)?;
        let model = Self::new(config, 0, device).map_err(|e| WeightsError::candle(path, e))?;
        set_loaded(path, &model.named, &tensors, device)?;
        Ok((model, training))
    }
}

/// Host-side batch → tensors: features `(N, FEATURES)`, base `(N)`, target `(N)`.
pub fn batch_tensors(
    features: &[f32],
    base: &[f32],
    target: &[f32],
    device: &Device,
) -> Result<(Tensor, Tensor, Tensor)> {
    let n = base.len();
    Ok((
        Tensor::from_slice(features, (n, FEATURES), device)?,
        Tensor::from_slice(base, n, device)?,
        Tensor::from_slice(target, n, device)?.to_dtype(DType::F32)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use source::image::mixture::Mixture;

    #[test]
    fn nll_equals_the_coder_mixture_and_every_parameter_gets_a_gradient() -> Result<()> {
        let device = Device::Cpu;
        let model = ImageLm::new(ImageLmConfig::tiny(), 3, &device)?;
        let n = 9;
        let features: Vec<f32> = (0..n * FEATURES).map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0).collect();
        let base: Vec<f32> = vec![0.0, 255.0, 128.0, 3.0, 250.0, 77.0, 128.0, 10.0, 200.0];
        let target: Vec<f32> = vec![0.0, 255.0, 130.0, 0.0, 255.0, 70.0, 128.0, 25.0, 199.0];
        let (f, b, t) = batch_tensors(&features, &base, &target, &device)?;
        let out = model.forward(&f)?;
        let nll = model.nll(&out, &b, &t)?;
        let nll_v = nll.to_vec1::<f32>()?;
        let out_v = out.to_vec2::<f32>()?;
        for i in 0..n {
            let o: [f32; OUTPUTS] = out_v[i].clone().try_into().unwrap();
            let m = Mixture::from_outputs(&o, base[i] as i32);
            let v = target[i] as usize;
            let lo = if v == 0 { 0.0 } else { m.cdf(v as f64 - 0.5) };
            let hi = if v == LEVELS - 1 { 1.0 } else { m.cdf(v as f64 + 0.5) };
            let want = -(hi - lo).ln();
            assert!((nll_v[i] as f64 - want).abs() < 1e-3 * want.max(1.0), "row {i}: {} vs {want}", nll_v[i]);
        }
        let grads = nll.sum_all()?.backward()?;
        for (name, var) in model.named_parameters() {
            let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} has no gradient"));
            assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0, "{name}: zero gradient");
        }
        Ok(())
    }
}
