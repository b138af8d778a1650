//! Parity-check codes and their decoders.
pub mod decoder;
pub use decoder::{DecodeStats, Decoder};
