//! What every model in the crate builds on, independent of any one model.
//!
//! - [`nn`]: differentiable building blocks (candle-nn 0.11's fused softmax/LayerNorm have no backward
//!   pass, so training uses these candle-core compositions).
//! - [`layers`]: `Linear` and `LayerNorm` as small structs with a `forward`.
//! - [`params`]: seeded PyTorch-style parameter initialisation (`ParamBuilder`).
//! - [`adam`]: the Adam optimizer with its own saveable state (exact resume).
//! - [`cross_entropy`]: a fused large-vocabulary cross-entropy with its own backward pass.
//! - [`weights`]: safetensors weight files (f32/f16, metadata, format tag) for every model.
//! - [`channel`]: the BPSK training channels (AWGN, Rayleigh) and LLR scaling.
//! - [`device`]: where a trainer runs (CPU or CUDA).
//! - [`trainer`]: what every trainer shares: run folder, checkpoints, exact resume.
pub mod adam;
pub mod channel;
pub mod cross_entropy;
pub mod device;
pub mod layers;
pub mod nn;
pub mod params;
pub mod trainer;
pub mod weights;
