//! The text modality: lines of a text file as messages, the source coders scenarios name, and the
//! schemes of a text scenario's `[[schemes]]`. Its quality metrics (BLEU, similarity) are
//! `crate::metrics::text_quality`.

pub mod messages;
pub mod sources;

use std::collections::BTreeMap;

use anyhow::Context;

use super::jscc::JsccScheme;
use super::message::sscc::{frame_link, SsccScheme, SsccSource};
use super::message::{MessageScheme, MessageSet};
use super::paths::{project_root_for, resolve};
use super::sampling::check_items_per_point;
use crate::scenario::LoadedScenario;
use messages::TextSet;
use sources::{source_coder, source_key, source_model_sha256};

/// Loads the text set and builds every scheme of `loaded`, in the scenario's order (no file is
/// written). Schemes that name the same source coder share it.
pub fn build_schemes(
    loaded: &LoadedScenario,
    verbose: bool,
) -> anyhow::Result<(MessageSet, Vec<Box<dyn MessageScheme>>)> {
    let s = &loaded.scenario;
    let file = loaded.path.display().to_string();
    let base = project_root_for(&loaded.path);
    let messages = TextSet::load(&resolve(&s.text.file, &base), &s.text, s.seed)?;
    check_items_per_point(&file, "text", "messages", messages.len(), s.text.repeats)?;
    let mut coders = BTreeMap::new();
    let mut model_hashes: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut schemes: Vec<Box<dyn MessageScheme>> = Vec::new();
    for c in &s.schemes {
        let context = || format!("{file}: scheme '{}'", c.name);
        if c.source.is_jscc() {
            schemes.push(Box::new(JsccScheme::load(c, s.channel.kind, &base).with_context(context)?));
            continue;
        }
        let (link, framer) = frame_link(s, c, &base).with_context(context)?;
        let source = source_coder(c, &base, verbose, &mut coders).with_context(context)?;
        let key = source_key(c);
        let model_sha256 = match model_hashes.get(&key) {
            Some(h) => h.clone(),
            None => {
                let h = source_model_sha256(c, &base).with_context(context)?;
                model_hashes.insert(key.clone(), h.clone());
                h
            }
        };
        let scheme = SsccScheme::new(c.clone(), SsccSource::Text(source), key, link, framer, model_sha256);
        scheme.check_receiver().with_context(context)?;
        schemes.push(Box::new(scheme));
    }
    Ok((MessageSet::Text(messages), schemes))
}
