//! Safetensors weight files shared by every model (ECCT, DeepSC, UT, byte LM): named f32 tensors
//! stored as f32 or f16 plus string metadata, written atomically; the format tag read from the header
//! alone. A truncated or otherwise corrupted file fails in the safetensors parser or in our checks
//! (dtype, finite values), never by panicking. Model-specific checks (config, code fingerprint, every
//! parameter present) live with each model's file API.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};

/// What can go wrong reading or writing a weight file of any model; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Shared by every weight format (ECCT, DeepSC, UT, byte LM), so the message names none; the
    /// reason says which format tag was expected where the tag is the problem.
    #[error("{path}: not a valid weight file: {reason}")]
    Format { path: PathBuf, reason: String },
    /// A tensor operation failed while converting the file's values (or building the model they fill).
    #[error("{path}: candle: {source}")]
    Candle { path: PathBuf, source: candle_core::Error },
}

impl WeightsError {
    /// A [`WeightsError::Format`] for `path`.
    pub fn format(path: &Path, reason: impl Into<String>) -> Self {
        WeightsError::Format { path: path.to_path_buf(), reason: reason.into() }
    }
    /// A [`WeightsError::Candle`] for `path`.
    pub fn candle(path: &Path, source: candle_core::Error) -> Self {
        WeightsError::Candle { path: path.to_path_buf(), source }
    }
    /// A [`WeightsError::Io`] for `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        WeightsError::Io { path: path.to_path_buf(), source }
    }
}

pub(crate) fn format_err(path: &Path, reason: impl Into<String>) -> WeightsError {
    WeightsError::format(path, reason)
}

/// How a weight file stores its numbers: f32 for checkpoints (exact resume), f16 for shipped models
/// (half the size; loading widens to f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredDtype {
    F32,
    F16,
}

/// Writes named f32 tensors plus string metadata to `path` atomically (temp file, then rename).
pub(crate) fn write_tensors(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<(), WeightsError> {
    write_tensors_as(path, tensors, metadata, StoredDtype::F32)
}

/// [`write_tensors`] storing the values as `dtype`.
pub(crate) fn write_tensors_as(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
    dtype: StoredDtype,
) -> Result<(), WeightsError> {
    let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        let values = (|| t.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>())()
            .map_err(|e| WeightsError::candle(path, e))?;
        let bytes: Vec<u8> = match dtype {
            StoredDtype::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            StoredDtype::F16 => values.iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect(),
        };
        buffers.push((name.clone(), t.dims().to_vec(), bytes));
    }
    let st_dtype = match dtype {
        StoredDtype::F32 => Dtype::F32,
        StoredDtype::F16 => Dtype::F16,
    };
    let views: Vec<(String, TensorView<'_>)> = buffers
        .iter()
        .map(|(n, s, b)| {
            TensorView::new(st_dtype, s.clone(), b).map(|v| (n.clone(), v)).map_err(|e| format_err(path, e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| format_err(path, e.to_string()))?;
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, bytes).map_err(|source| WeightsError::Io { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, path).map_err(|source| WeightsError::io(path, source))
}

/// Writes a model file: the parameters `named` (f32) with the metadata `format`, `config` (JSON) and
/// `training` (JSON), atomically.
pub(crate) fn save_model<C: Serialize>(
    path: &Path,
    named: &[(String, candle_core::Var)],
    format: &str,
    config: &C,
    training: &serde_json::Value,
) -> Result<(), WeightsError> {
    let tensors: Vec<(String, Tensor)> = named.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect();
    let mut md = HashMap::new();
    md.insert("format".to_string(), format.to_string());
    md.insert("config".to_string(), serde_json::to_string(config).map_err(|e| format_err(path, e.to_string()))?);
    md.insert("training".to_string(), training.to_string());
    write_tensors(path, &tensors, md)
}

/// The parts of a model file written by [`save_model`]: its tensors, its `config` and its `training`
/// metadata (`Null` when absent or unreadable).
pub(crate) type ModelFile<C> = (Vec<(String, Tensor)>, C, serde_json::Value);

/// Reads a model file written by [`save_model`], checking its `format` tag.
pub(crate) fn read_model<C: serde::de::DeserializeOwned>(
    path: &Path,
    format: &str,
) -> Result<ModelFile<C>, WeightsError> {
    let (tensors, config, md) = read_tagged(path, format)?;
    Ok((tensors, config, training_metadata(&md)))
}

/// Reads a weight file whose metadata holds `format` (refused if it is another tag) and `config`:
/// its tensors, the parsed config and all its metadata.
pub(crate) fn read_tagged<C: serde::de::DeserializeOwned>(
    path: &Path,
    format: &str,
) -> Result<(Vec<(String, Tensor)>, C, HashMap<String, String>), WeightsError> {
    let bad = |reason: String| WeightsError::format(path, reason);
    let (tensors, md) = read_tensors(path)?;
    match md.get("format") {
        Some(f) if f == format => {}
        other => return Err(bad(format!("format tag {other:?}, expected `{format}`"))),
    }
    let config: C = serde_json::from_str(md.get("config").ok_or_else(|| bad("no `config` metadata".into()))?)
        .map_err(|e| bad(format!("metadata `config`: {e}")))?;
    Ok((tensors, config, md))
}

/// The `training` metadata as JSON (`Null` when absent or unreadable).
pub(crate) fn training_metadata(md: &HashMap<String, String>) -> serde_json::Value {
    md.get("training").and_then(|s| serde_json::from_str(s).ok()).unwrap_or(serde_json::Value::Null)
}

/// Sets `named` from `tensors` (exactly one tensor per parameter), as an [`WeightsError::Format`] on failure.
pub(crate) fn set_loaded(
    path: &Path,
    named: &[(String, candle_core::Var)],
    tensors: &[(String, Tensor)],
    device: &Device,
) -> Result<(), WeightsError> {
    let bad = |reason: String| WeightsError::format(path, reason);
    if tensors.len() != named.len() {
        return Err(bad(format!("{} tensors, the model has {} parameters", tensors.len(), named.len())));
    }
    crate::core::nn::set_named_parameters(named, tensors, device).map_err(|e| bad(e.to_string()))
}

/// Writes `value` as pretty JSON to `path` atomically (temp file, then rename): a trainer's run state.
pub(crate) fn write_json_atomic(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(value)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Reads every tensor (f32, or f16 widened to f32) and the metadata of a safetensors file.
pub(crate) fn read_tensors(path: &Path) -> Result<(Vec<(String, Tensor)>, HashMap<String, String>), WeightsError> {
    let bytes = std::fs::read(path).map_err(|source| WeightsError::io(path, source))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| format_err(path, e.to_string()))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| format_err(path, e.to_string()))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        let values: Vec<f32> = match view.dtype() {
            Dtype::F32 => view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            Dtype::F16 => {
                view.data().chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
            }
            other => return Err(format_err(path, format!("tensor `{name}` has dtype {other:?}, expected F32 or F16"))),
        };
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            return Err(format_err(path, format!("tensor `{name}` holds a non-finite value at index {bad}")));
        }
        out.push((
            name,
            Tensor::from_vec(values, view.shape(), &Device::Cpu).map_err(|e| WeightsError::candle(path, e))?,
        ));
    }
    Ok((out, meta.metadata().clone().unwrap_or_default()))
}

/// Longest safetensors header accepted (the safetensors crate's own limit).
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// The `__metadata__` of a safetensors file, read from its header alone (8 bytes of length, then
/// JSON), not the tensors after it: enough to tell which model a tens-of-MB weight file holds.
pub fn read_file_metadata(path: &Path) -> Result<HashMap<String, String>, WeightsError> {
    use std::io::Read;
    #[derive(Deserialize)]
    struct Header {
        #[serde(rename = "__metadata__", default)]
        metadata: HashMap<String, String>,
    }
    let read_err = |source: std::io::Error, what: &str| match source.kind() {
        std::io::ErrorKind::UnexpectedEof => format_err(path, format!("file ends inside the safetensors {what}")),
        _ => WeightsError::io(path, source),
    };
    let mut file = std::fs::File::open(path).map_err(|source| WeightsError::io(path, source))?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(|e| read_err(e, "header length"))?;
    let len = u64::from_le_bytes(len);
    if len > MAX_HEADER_BYTES {
        return Err(format_err(path, format!("safetensors header of {len} bytes (not a weight file?)")));
    }
    let mut header = vec![0u8; len as usize];
    file.read_exact(&mut header).map_err(|e| read_err(e, "header"))?;
    let header: Header =
        serde_json::from_slice(&header).map_err(|e| format_err(path, format!("safetensors header: {e}")))?;
    Ok(header.metadata)
}

/// The format tag (`format` metadata) of a weight file: which model it holds (ECCT, DeepSC, UT, byte
/// LM), from the header alone.
pub fn weight_format(path: &Path) -> Result<String, WeightsError> {
    read_file_metadata(path)?.remove("format").ok_or_else(|| format_err(path, "metadata has no `format` entry"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_tag_is_read_from_the_header_and_broken_headers_are_format_errors() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("w.safetensors");
        let mut md = HashMap::new();
        md.insert("format".to_string(), "some-format-v1".to_string());
        let tensors = vec![("a".to_string(), Tensor::new(&[1f32, 2., 3.], &Device::Cpu)?)];
        write_tensors(&path, &tensors, md.clone())?;
        assert_eq!(read_file_metadata(&path)?, md);
        assert_eq!(weight_format(&path)?, "some-format-v1");

        let bytes = std::fs::read(&path)?;
        let header_len = u64::from_le_bytes(bytes[..8].try_into()?) as usize;
        // Only the header is read: a file cut right after it still names its format.
        std::fs::write(&path, &bytes[..8 + header_len])?;
        assert_eq!(weight_format(&path)?, "some-format-v1");
        for (broken, why) in [
            (bytes[..5].to_vec(), "file ends inside the safetensors header length"),
            (bytes[..8 + header_len / 2].to_vec(), "file ends inside the safetensors header"),
            (b"not a weight file at all".to_vec(), "bytes (not a weight file?)"),
            ([&(3u64.to_le_bytes())[..], b"{x}"].concat(), "safetensors header:"),
        ] {
            std::fs::write(&path, &broken)?;
            match weight_format(&path) {
                Err(WeightsError::Format { path: p, reason }) => {
                    assert_eq!(p, path);
                    assert!(reason.contains(why), "{reason}");
                }
                other => panic!("expected a format error ({why}), got {other:?}"),
            }
        }
        write_tensors(&path, &tensors, HashMap::new())?;
        assert!(weight_format(&path).unwrap_err().to_string().contains("no `format` entry"));
        Ok(())
    }
}
