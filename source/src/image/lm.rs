//! The image LM's forward pass in plain Rust: causal context ([`crate::image::context`]) → MLP →
//! mixture of discretised logistics ([`crate::image::mixture`]).
//!
//! The network is `FEATURES → hidden → … → hidden → OUTPUTS` with ReLU between layers, trained by
//! `neural::image_lm` (candle) and stored as safetensors with the format tag [`FORMAT`] and a
//! `config` metadata entry (`features`, `hidden`, `layers`, `outputs`). Inference is plain f32 with
//! the fixed-order kernels of [`crate::dense`] (no candle): encoder and decoder run the same code
//! on the same inputs, so their frequency tables are bit-identical; for a network this small it is
//! also several times faster than a framework call per subpixel.

use crate::dense::{f32_tensor, matvec};
use crate::image::context::{Causal, FEATURES};
use crate::image::mixture::{Mixture, OUTPUTS};
use crate::SourceError;
use safetensors::SafeTensors;
use std::path::Path;

/// Format tag written by `neural::image_lm`.
pub const FORMAT: &str = "lmsscc-image-lm-v1";

/// The shipped weights (trained on the training photographs, see `source/models/README.md`).
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../../models/image-lm.safetensors");

/// Architecture, as stored in the weight file's `config` metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLmConfig {
    pub features: usize,
    pub hidden: usize,
    /// Hidden layers.
    pub layers: usize,
    pub outputs: usize,
}

struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// A loaded image LM.
pub struct ImageLm {
    config: ImageLmConfig,
    hidden: Vec<Dense>,
    head: Dense,
    sha256: String,
    training: String,
}

/// Per-thread buffers of a forward pass.
pub struct Scratch {
    features: [f32; FEATURES],
    a: Vec<f32>,
    b: Vec<f32>,
    out: [f32; OUTPUTS],
}

impl ImageLm {
    /// Parse a weight file (format tag, config, every tensor's shape, dtype and finiteness
    /// checked). `origin` names the file in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, SourceError> {
        let bad = |m: String| SourceError::file(origin, format!("not a valid image-LM weight file: {m}"));
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let md = meta.metadata().clone().unwrap_or_default();
        match md.get("format") {
            Some(f) if f == FORMAT => {}
            other => return Err(bad(format!("format tag {other:?}, expected `{FORMAT}`"))),
        }
        let cfg: serde_json::Value = md
            .get("config")
            .and_then(|c| serde_json::from_str(c).ok())
            .ok_or_else(|| bad("no readable `config` metadata".into()))?;
        let get = |k: &str| {
            cfg.get(k).and_then(|v| v.as_u64()).map(|v| v as usize).ok_or_else(|| bad(format!("config lacks `{k}`")))
        };
        let config = ImageLmConfig {
            features: get("features")?,
            hidden: get("hidden")?,
            layers: get("layers")?,
            outputs: get("outputs")?,
        };
        if config.features != FEATURES
            || config.outputs != OUTPUTS
            || config.hidden == 0
            || config.hidden > 4096
            || config.layers == 0
            || config.layers > 16
        {
            return Err(bad(format!(
                "unsupported config {config:?} (this build has {FEATURES} features and {OUTPUTS} outputs)"
            )));
        }
        let st = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let tensor = |name: &str, shape: &[usize]| f32_tensor(&st, name, shape).map_err(bad);
        let mut hidden = Vec::with_capacity(config.layers);
        let mut fan_in = config.features;
        for i in 0..config.layers {
            hidden.push(Dense {
                weight: tensor(&format!("hidden.{i}.weight"), &[config.hidden, fan_in])?,
                bias: tensor(&format!("hidden.{i}.bias"), &[config.hidden])?,
            });
            fan_in = config.hidden;
        }
        let head = Dense {
            weight: tensor("head.weight", &[config.outputs, fan_in])?,
            bias: tensor("head.bias", &[config.outputs])?,
        };
        use sha2::Digest;
        Ok(Self {
            config,
            hidden,
            head,
            sha256: format!("{:x}", sha2::Sha256::digest(bytes)),
            training: md.get("training").cloned().unwrap_or_default(),
        })
    }

    /// The shipped model (no download).
    pub fn embedded() -> Result<Self, SourceError> {
        Self::from_bytes(EMBEDDED_MODEL, "embedded image-lm.safetensors")
    }

    /// Load a weight file.
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        let bytes = std::fs::read(path).map_err(|e| SourceError::file(path, e))?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    pub fn config(&self) -> ImageLmConfig {
        self.config
    }

    /// SHA-256 of the weight file (hex): the identity a compressed image records.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The `training` metadata (JSON).
    pub fn training_metadata(&self) -> &str {
        &self.training
    }

    /// Parameter count.
    pub fn parameters(&self) -> usize {
        self.hidden.iter().chain(std::iter::once(&self.head)).map(|d| d.weight.len() + d.bias.len()).sum()
    }

    /// Buffers for [`Self::mixture`].
    pub fn scratch(&self) -> Scratch {
        Scratch {
            features: [0.0; FEATURES],
            a: vec![0.0; self.config.hidden],
            b: vec![0.0; self.config.hidden],
            out: [0.0; OUTPUTS],
        }
    }

    /// The predicted distribution of subpixel `(y, x, c)` given the causal part of `image`.
    pub fn mixture(&self, image: &Causal, y: usize, x: usize, c: usize, s: &mut Scratch) -> Mixture {
        let base = image.features(y, x, c, &mut s.features);
        let Scratch { features, a, b, out } = s;
        // Layer 0 reads the features into `a`; every further layer reads `a` into `b` and swaps.
        for (i, layer) in self.hidden.iter().enumerate() {
            if i == 0 {
                matvec(&layer.weight, &layer.bias, &features[..], a);
            } else {
                matvec(&layer.weight, &layer.bias, a, b);
                std::mem::swap(a, b);
            }
            for v in a.iter_mut() {
                *v = v.max(0.0);
            }
        }
        matvec(&self.head.weight, &self.head.bias, a, out);
        Mixture::from_outputs(out, base)
    }
}
