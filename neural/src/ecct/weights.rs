//! ECCT weight files: safetensors holding every parameter (f32, PyTorch-style names) plus metadata that
//! names the architecture, the channel and the code the model was trained for.
//!
//! The code is identified by `LdpcCode::fingerprint` (FNV-1a over H): loading a model for a different
//! code, or for a code file edited since training, is refused with both fingerprints in the message. A
//! truncated or otherwise corrupted file fails in the safetensors parser or in our checks (format tag,
//! every parameter present with the right shape and dtype, finite values), never by panicking.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use codes::LdpcCode;
use serde::{Deserialize, Serialize};

use crate::core::channel::Channel;
use crate::core::weights::{format_err, read_file_metadata, read_tensors, write_tensors, WeightsError};
use crate::ecct::model::{Ecct, EcctConfig};

/// Format tag stored in every weight file.
pub const FORMAT: &str = "lmsscc-ecct-v1";

/// Everything a weight file says about its model besides the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub config: EcctConfig,
    pub channel: Channel,
    /// Name of the code (file stem) at training time.
    pub code_name: String,
    /// `LdpcCode::fingerprint()` of the training code.
    pub code_fingerprint: u64,
    /// Optimizer steps the weights have seen.
    pub trained_steps: u64,
}

/// What can go wrong loading an ECCT model: a weight-file problem, or a model that does not fit the
/// code or channel asked for.
#[derive(Debug, thiserror::Error)]
pub enum EcctError {
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(
        "{path}: model was trained for code `{trained_name}` (fingerprint {trained:016x}), \
         but the code given is `{given_name}` (fingerprint {given:016x}); the code differs or its file changed since training"
    )]
    CodeMismatch { path: PathBuf, trained_name: String, trained: u64, given_name: String, given: u64 },
    #[error("{path}: model was trained for the {trained} channel, not {wanted}")]
    ChannelMismatch { path: PathBuf, trained: &'static str, wanted: &'static str },
    #[error("no shipped ECCT model for code `{code}` over {channel}: looked for {path}")]
    NoShippedModel { code: String, channel: &'static str, path: PathBuf },
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Saves the model's parameters with its metadata.
pub fn save_model(path: &Path, model: &Ecct, meta: &ModelMeta) -> Result<(), WeightsError> {
    let tensors: Vec<(String, Tensor)> =
        model.named_parameters().iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect();
    let mut md = HashMap::new();
    md.insert("format".to_string(), FORMAT.to_string());
    md.insert("ecct".to_string(), serde_json::to_string(meta).expect("metadata serialises"));
    write_tensors(path, &tensors, md)
}

/// Reads only the metadata of a weight file (validates the format tag).
pub fn read_meta(path: &Path) -> Result<ModelMeta, WeightsError> {
    parse_meta(path, &read_file_metadata(path)?)
}

fn parse_meta(path: &Path, md: &HashMap<String, String>) -> Result<ModelMeta, WeightsError> {
    match md.get("format") {
        Some(f) if f == FORMAT => {}
        Some(f) => return Err(format_err(path, format!("format tag `{f}`, expected `{FORMAT}`"))),
        None => return Err(format_err(path, "metadata has no `format` entry")),
    }
    let json = md.get("ecct").ok_or_else(|| format_err(path, "metadata has no `ecct` entry"))?;
    let meta: ModelMeta =
        serde_json::from_str(json).map_err(|e| format_err(path, format!("metadata field `ecct`: {e}")))?;
    meta.config.validate().map_err(|e| format_err(path, e))?;
    Ok(meta)
}

/// Loads a model for `code` onto `device`, checking format, code fingerprint and every parameter.
pub fn load_model(path: &Path, code: &LdpcCode, device: &Device) -> Result<(Ecct, ModelMeta), EcctError> {
    let (tensors, md) = read_tensors(path)?;
    let meta = parse_meta(path, &md)?;
    if meta.code_fingerprint != code.fingerprint() {
        return Err(EcctError::CodeMismatch {
            path: path.to_path_buf(),
            trained_name: meta.code_name.clone(),
            trained: meta.code_fingerprint,
            given_name: code.name().to_string(),
            given: code.fingerprint(),
        });
    }
    if meta.config.n != code.n() || meta.config.m != code.m() {
        return Err(format_err(
            path,
            format!("config n={} m={} does not match the code", meta.config.n, meta.config.m),
        )
        .into());
    }
    let model = Ecct::new(meta.config, code.checks(), 0, device).map_err(|e| WeightsError::candle(path, e))?;
    if tensors.len() != model.named_parameters().len() {
        return Err(format_err(
            path,
            format!("{} tensors, the model has {} parameters", tensors.len(), model.named_parameters().len()),
        )
        .into());
    }
    model.set_parameters(&tensors).map_err(|e| format_err(path, e.to_string()))?;
    Ok((model, meta))
}

/// Config helper for callers that only know the architecture.
pub fn config_for(code: &LdpcCode, layers: usize, dim: usize) -> EcctConfig {
    EcctConfig::new(code.n(), code.m(), layers, dim)
}
