//! Audio as a third source: speech recordings in, lossless codes out.
//!
//! - [`clips`]: the fixed speech-clip set (real meeting speech from pyannote.audio's pinned
//!   PyPI source archive, hash-checked) and its train / held-out split.
//! - [`wav`]: WAV files in and out (16-bit samples in memory), and Delétang et al.'s 8-bit form.
//! - [`byte_lm`]: a text LLM (SmolLM2) as a compressor of raw bytes, Delétang et al.'s protocol.
//! - [`sample_text`]: a text LLM on the samples written as comma-separated numbers.
//! - [`signal_mix`]: the byte LLM and the adaptive predictor, mixed.
//! - [`lpc`]: the classical reference we built: backward-adaptive prediction and adaptive
//!   arithmetic coding of the residual.
//! - [`container`]: `sim compress` for WAV files: the samples through [`lpc`], the rest with
//!   zstd, the file given back byte for byte.
//! - [`bench`]: every audio coder on the held-out clips, each code checked to decode exactly.

pub mod bench;
pub mod byte_lm;
pub mod clips;
pub mod container;
pub mod lpc;
pub mod sample_text;
pub mod signal_mix;
pub mod wav;
