//! Source coders named by scenarios, built once per run and shared by every scheme that uses them.
//!
//! Loading SmolLM2 costs seconds and ~150 MB, and encoding the text set with it costs minutes, so
//! schemes with the same source (`source` + `model`) share one coder and one set of encodings.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use source::fixed_length::FixedLengthTokenCoder;
use source::huffman::HuffmanWordCoder;
use source::llama::GgufTokenizer;
use source::lm_coder::{LmCoder, LmCoderConfig};
use source::model_cache::ModelSource;
use source::SourceCoder;

use crate::link::paths::resolve;
use crate::scenario::{SchemeConfig, SourceKind};

/// The identity of a scheme's source coder: schemes with equal keys share it.
pub fn source_key(c: &SchemeConfig) -> String {
    match c.source {
        SourceKind::Llm => format!("llm:{}", c.model),
        SourceKind::Fixed => format!("fixed:{}", c.model),
        SourceKind::SmallLm => "small-lm".into(),
        SourceKind::Huffman => "huffman".into(),
        SourceKind::Zstd => "zstd".into(),
        SourceKind::Deepsc => format!("deepsc:{}", c.weights.as_deref().unwrap_or("shipped")),
        SourceKind::Ut => format!("ut:{}", c.weights.as_deref().unwrap_or("shipped")),
        SourceKind::UtQuant => format!("ut-quant:{}", c.weights.as_deref().unwrap_or("shipped")),
        SourceKind::ImageLm => "image-lm".into(),
        SourceKind::DeepJscc => format!("deep-jscc:{}", c.weights.as_deref().unwrap_or("shipped")),
        SourceKind::AudioLpc => source::audio::lpc::NAME.into(),
        SourceKind::Pcm => "pcm16".into(),
        SourceKind::Analog => "analog".into(),
        SourceKind::Linear => "linear".into(),
    }
}

/// Builds (or reuses from `cache`) the source coder of `c`.
pub fn source_coder(
    c: &SchemeConfig,
    base: &Path,
    verbose: bool,
    cache: &mut BTreeMap<String, Arc<dyn SourceCoder>>,
) -> anyhow::Result<Arc<dyn SourceCoder>> {
    let key = source_key(c);
    if let Some(coder) = cache.get(&key) {
        return Ok(coder.clone());
    }
    let coder: Arc<dyn SourceCoder> = match c.source {
        SourceKind::Llm => {
            let model = ModelSource::parse(&c.model);
            Arc::new(
                LmCoder::from_source(&model, LmCoderConfig::europarl(), verbose)
                    .with_context(|| format!("model '{}'", c.model))?,
            )
        }
        SourceKind::Fixed => {
            let path = ModelSource::parse(&c.model).resolve(verbose).with_context(|| format!("model '{}'", c.model))?;
            let tok = GgufTokenizer::load(&path)?;
            let eos = tok
                .eos_token
                .ok_or_else(|| anyhow::anyhow!("{}: the GGUF has no EOS token to end messages", path.display()))?;
            Arc::new(FixedLengthTokenCoder::new(Arc::new(tok.tokenizer), eos)?)
        }
        SourceKind::SmallLm => Arc::new(source::small_lm::SmallLmCoder::embedded()?),
        // The Europarl training split's word counts, embedded (see `data/europarl/SOURCE.md`).
        SourceKind::Huffman => Arc::new(HuffmanWordCoder::europarl()?),
        SourceKind::Zstd => Arc::new(source::zstd_coder::ZstdCoder::default()),
        SourceKind::UtQuant => {
            let weights =
                resolve(c.weights.as_deref().unwrap_or(crate::link::jscc::ut_quant_coder::SHIPPED_UT_QUANT), base);
            Arc::new(
                crate::link::jscc::ut_quant_coder::UtQuantCoder::load(&weights)
                    .with_context(|| format!("field 'weights': {}", weights.display()))?,
            )
        }
        SourceKind::Deepsc | SourceKind::Ut | SourceKind::DeepJscc => {
            anyhow::bail!("scheme '{}' is JSCC: it has no separate source coder", c.name)
        }
        SourceKind::ImageLm => anyhow::bail!("scheme '{}' codes images, not text", c.name),
        SourceKind::AudioLpc | SourceKind::Pcm | SourceKind::Analog | SourceKind::Linear => {
            anyhow::bail!("scheme '{}' codes audio, not text", c.name)
        }
    };
    cache.insert(key, coder.clone());
    Ok(coder)
}

/// sha256 of the model or weights file `c`'s source coder depends on: a known model's pinned hash
/// (checked when it is fetched), a local GGUF's or UT-quant weights' hash computed here; `None` for
/// the coders built into `sim` (its version pins them) and JSCC schemes (they hash their own weights).
pub fn source_model_sha256(c: &SchemeConfig, base: &Path) -> anyhow::Result<Option<String>> {
    let file = match c.source {
        SourceKind::Llm | SourceKind::Fixed => match ModelSource::parse(&c.model) {
            ModelSource::Named(name) => return Ok(Some(source::model_cache::spec_by_name(&name)?.sha256.to_string())),
            ModelSource::LocalGguf(path) => path,
            ModelSource::Hub(_) => return Ok(None),
        },
        SourceKind::UtQuant => {
            resolve(c.weights.as_deref().unwrap_or(crate::link::jscc::ut_quant_coder::SHIPPED_UT_QUANT), base)
        }
        _ => return Ok(None),
    };
    Ok(Some(
        source::model_cache::sha256_file(&file)
            .with_context(|| format!("scheme '{}': hashing {}", c.name, file.display()))?,
    ))
}
