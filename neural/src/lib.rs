//! Neural link components in candle: the ECCT decoder (Error Correction Code Transformer).
//!
//! - [`nn`]: differentiable building blocks (candle-nn's fused ops have no backward pass).
//! - [`ecct`]: the model ([`sparse_attention`]: its fused attention over the code's visible pairs); [`adam`]: the optimizer; [`channel`]: training channels and LLR scaling.
//! - [`weights`]: safetensors weight files with config and code fingerprint.
//! - [`train`]: the official training recipe with checkpoints and exact resume; evaluation.
//! - [`byte_lm`]: small byte-level causal transformer LM (source coding); [`train_lm`]: its training.
//! - [`decoder`]: `EcctDecoder` (implements `codes::Decoder`) and the shipped-model lookup.
//! - [`deepsc`]: the DeepSC JSCC baseline ([`attention`] blocks, [`word_vocab`] its word vocabulary,
//!   [`cross_entropy`] a fused large-vocabulary loss, [`params`] seeded PyTorch-style initialisation).
//! - [`ut`]: the Universal Transformer JSCC baselines (UT, UT-quant) of Zhou et al.; [`jscc`] what the
//!   JSCC models share (embedding, greedy decoding, weight files).
//! - [`minilm`]: `SentenceEmbedder`, all-MiniLM-L6-v2 sentence embeddings (semantic similarity).
pub mod adam;
pub mod attention;
pub mod byte_lm;
pub mod channel;
pub mod cross_entropy;
pub mod decoder;
pub mod deepsc;
pub mod ecct;
pub mod jscc;
pub mod jscc_channel;
pub mod minilm;
pub mod nn;
pub mod params;
pub mod sentence_batch;
pub mod sparse_attention;
pub mod train;
pub mod train_deepsc;
pub mod train_lm;
pub mod ut;
pub mod weights;
pub mod word_vocab;

pub use channel::Channel;
pub use decoder::{shipped_model_path, EcctDecoder};
pub use ecct::{Ecct, EcctConfig};
pub use train::{train, DeviceChoice, EvalPoint, Progress, Summary, TrainConfig};
pub use weights::{EcctError, ModelMeta};
