//! The byte-level causal Transformer LM used for source coding (the "Trans.-SSCC" source model; GPT-2
//! style, Radford et al. 2019, scaled down).
//!
//! - [`model`]: the network, its batches and its weight files.
//! - [`train`]: its training on a file of sentences, with checkpoints and exact resume.
//!
//! [`model`] never imports [`train`].
pub mod model;
pub mod train;
