//! Neural link components in candle, by domain.
//!
//! - [`core`]: what every model builds on: differentiable layers, parameter initialisation, the Adam
//!   optimizer, cross-entropy, weight files, training channels, the training device, and the one
//!   trainer (run folder, exact resume, step loop) every model's training plugs into.
//! - [`ecct`]: the ECCT decoder (Choukroun & Wolf 2022): model, weight files, inference, training.
//! - [`jscc`]: the JSCC baselines DeepSC (Xie et al. 2021) and UT / UT-quant (Zhou et al. 2022):
//!   models, shared pieces, word vocabulary, channel, training.
//! - [`byte_lm`]: small byte-level causal transformer LM (source coding) and its training.
//! - [`image_lm`]: next-subpixel MLP with a discretised-logistic mixture (lossless image coding) and
//!   its training.
//! - [`deep_jscc`]: Deep JSCC for images (Bourtsoulatze et al. 2019): convolutional encoder and
//!   decoder around the channel, and its training on crops of the training photographs.
//! - [`minilm`]: `SentenceEmbedder`, all-MiniLM-L6-v2 sentence embeddings (semantic similarity).
pub mod byte_lm;
pub mod core;
pub mod deep_jscc;
pub mod ecct;
pub mod image_lm;
pub mod jscc;
pub mod minilm;

pub use crate::core::channel::Channel;
pub use crate::core::device::DeviceChoice;
pub use crate::core::weights::WeightsError;
pub use ecct::decoder::{shipped_model_path, EcctDecoder};
pub use ecct::model::{Ecct, EcctConfig};
pub use ecct::train::{train, EvalPoint, Progress, Summary, TrainConfig};
pub use ecct::weights::{EcctError, ModelMeta};
