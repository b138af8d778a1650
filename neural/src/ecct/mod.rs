//! ECCT, the Error Correction Code Transformer (Choukroun & Wolf, "Error Correction Code Transformer",
//! NeurIPS 2022): a neural decoder for the LDPC codes of the link.
//!
//! - [`model`]: the network ([`sparse_attention`]: its fused attention over the code's visible pairs).
//! - [`weights`]: ECCT weight files (config, channel and code fingerprint in the metadata).
//! - [`decoder`]: inference, `EcctDecoder` (implements `codes::Decoder`) and the shipped-model lookup.
//! - [`train`]: the official training recipe with checkpoints and exact resume; evaluation.
//!
//! Inference ([`model`], [`weights`], [`decoder`]) never imports [`train`].
pub mod decoder;
pub mod model;
pub mod sparse_attention;
pub mod train;
pub mod weights;
