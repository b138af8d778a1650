//! Joint source-channel coding (JSCC) baselines: sentences mapped straight to channel symbols.
//!
//! - [`deepsc`]: DeepSC (Xie, Qin, Li & Juang, "Deep Learning Enabled Semantic Communication Systems",
//!   IEEE TSP 2021).
//! - [`ut`]: the Universal Transformer JSCC baselines UT and UT-quant (Zhou et al., "Semantic
//!   Communication with Adaptive Universal Transformer", IEEE WCL 2022).
//! - [`model`]: what the JSCC models share ([`JsccModel`], token embedding, greedy decoding, weight files).
//! - [`attention`]: their Transformer blocks; [`sentence_batch`]: a padded batch of sentences;
//!   [`word_vocab`]: the word vocabulary; [`channel`]: the JSCC channel (Es/N0, effective noise).
//! - [`train`]: their training on a file of sentences, with checkpoints and exact resume.
//!
//! Inference modules never import [`train`].
pub mod attention;
pub mod channel;
pub mod deepsc;
pub mod model;
pub mod sentence_batch;
pub mod train;
pub mod ut;
pub mod word_vocab;

pub use model::JsccModel;
