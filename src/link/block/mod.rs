//! The link-level chain for blocks of information bits and its Monte-Carlo engine.
//!
//! - [`scheme`]: a [`LinkScheme`] (code, modulation, channel, decoder) built from a [`LinkSpec`],
//!   the four parts of a scenario it needs; it sends whole blocks and counts their errors.
//! - [`interleave`]: the row–column interleaver that spreads a message's codewords over its channel
//!   symbols (`code.interleave = "message"`).
//! - [`engine`]: one SNR point simulated in groups of batches, the stopping rule checked between
//!   groups, so every count is a function of the scenario alone.

pub mod engine;
pub mod interleave;
pub mod scheme;

pub(crate) use scheme::information_bits;
pub use scheme::{Asked, LinkScheme, LinkSpec, ListedBlock};
