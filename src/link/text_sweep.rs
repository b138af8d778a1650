//! A text-link sweep: every scheme × SNR point of a scenario with `[[schemes]]`.
//!
//! Builds each scheme (source coder shared between schemes that name the same one), encodes the
//! text set once per source coder, works out each scheme's channel use for the unified SNR axis,
//! then simulates the points not yet in the results folder, writing each row as it finishes. JSCC
//! schemes ([`super::jscc`]) sit in the same list: their text is mapped to word ids instead of
//! source-coded, and their rows leave the bit-level and source-rate columns empty.
//!
//! Building and encoding ([`build_text_schemes`], [`prepare_text`]) are shared with sharded runs
//! (`shard_run`), and rows are built from [`SchemeFacts`] by `point_row::text_row`, as `sim merge`
//! builds them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::encoding_cache::load_or_encode;
use super::framing::Framer;
use super::jscc::{run_jscc_point, JsccEncoded, JsccScheme};
use super::messages::MessageSet;
use super::point_row::{text_row, SchemeFacts, TextFacts, TextSetSize};
use super::scheme::resolve;
use super::sources::{source_coder, source_key};
use super::sweep::{project_root_for, ResultsFolder, SweepOptions, SweepSummary};
use super::text_engine::{channel_use, run_text_point, EncodedMessages, TextProgress, TextScheme};
use super::LinkScheme;
use crate::metrics::text_quality::{QualityScorer, TextCounts};
use crate::report::{self, ResultRow};
use crate::scenario::{LoadedScenario, SchemeConfig};

/// A scenario's scheme: separate source and channel coding, or JSCC.
pub enum AnyScheme {
    Digital(TextScheme),
    Jscc(JsccScheme),
}

impl AnyScheme {
    pub fn config(&self) -> &SchemeConfig {
        match self {
            AnyScheme::Digital(d) => &d.config,
            AnyScheme::Jscc(j) => &j.config,
        }
    }
}

/// Loads the text set and builds every scheme of `loaded` (no file is written).
pub fn build_text_schemes(loaded: &LoadedScenario, verbose: bool) -> anyhow::Result<(MessageSet, Vec<AnyScheme>)> {
    let s = &loaded.scenario;
    let file = loaded.path.display().to_string();
    let base = project_root_for(&loaded.path);
    let messages = MessageSet::load(&resolve(&s.text.file, &base), &s.text, s.seed)?;
    let mut coders = BTreeMap::new();
    let mut schemes: Vec<AnyScheme> = Vec::new();
    for c in &s.schemes {
        if c.source.is_jscc() {
            let j =
                JsccScheme::load(c, s.channel.kind, &base).with_context(|| format!("{file}: scheme '{}'", c.name))?;
            schemes.push(AnyScheme::Jscc(j));
            continue;
        }
        let mut link_scenario = s.clone();
        if let Some(code) = &c.code {
            link_scenario.code = code.clone();
        }
        if let Some(decoder) = &c.decoder {
            link_scenario.decoder = decoder.clone();
        }
        let link =
            LinkScheme::from_scenario(&link_scenario, &base).with_context(|| format!("{file}: scheme '{}'", c.name))?;
        let source =
            source_coder(c, &base, verbose, &mut coders).with_context(|| format!("{file}: scheme '{}'", c.name))?;
        let framer = Framer::new(link.k(), s.framing.length_bits);
        schemes.push(AnyScheme::Digital(TextScheme { config: c.clone(), source, link, framer }));
    }
    Ok((messages, schemes))
}

/// A text scenario ready to simulate: its schemes, the text set encoded for each, and the facts
/// its rows need.
pub struct PreparedText {
    pub messages: MessageSet,
    pub schemes: Vec<AnyScheme>,
    /// Digital schemes' encodings by source key (shared between schemes with the same source).
    pub encoded: BTreeMap<String, Arc<EncodedMessages>>,
    /// JSCC schemes' word ids, by scheme (`None` for digital schemes).
    pub jscc_encoded: Vec<Option<JsccEncoded>>,
    pub facts: Vec<SchemeFacts>,
    /// The scheme whose channel use the unified SNR axis is relative to.
    pub reference: usize,
}

impl PreparedText {
    pub fn set_size(&self) -> TextSetSize {
        TextSetSize { messages: self.messages.len() as u64, chars: self.messages.chars() as u64 }
    }
}

/// Encodes the text set for every scheme (digital ones through `out_dir`'s encodings cache) and
/// works out each scheme's facts.
pub fn prepare_text(
    loaded: &LoadedScenario,
    messages: MessageSet,
    schemes: Vec<AnyScheme>,
    out_dir: &Path,
    verbose: bool,
) -> anyhow::Result<PreparedText> {
    let s = &loaded.scenario;
    let max_payload = Framer::new(1, s.framing.length_bits).max_payload_bits();
    let mut encoded: BTreeMap<String, Arc<EncodedMessages>> = BTreeMap::new();
    for scheme in &schemes {
        let AnyScheme::Digital(scheme) = scheme else { continue };
        let key = source_key(&scheme.config);
        if encoded.contains_key(&key) {
            continue;
        }
        let started = std::time::Instant::now();
        if verbose {
            eprintln!("encoding {} messages with {} ...", messages.len(), scheme.source.name());
        }
        let (e, cached) = load_or_encode(out_dir, &key, scheme.source.as_ref(), &messages, max_payload)?;
        if verbose {
            eprintln!(
                "  {}: {:.3} bits/char, {:.1} bits/message ({:.1} s{})",
                scheme.source.name(),
                e.total_bits() as f64 / messages.chars() as f64,
                e.total_bits() as f64 / messages.len() as f64,
                started.elapsed().as_secs_f64(),
                if cached { ", from the results folder's encodings/" } else { "" }
            );
        }
        encoded.insert(key, Arc::new(e));
    }
    let jscc_encoded: Vec<Option<JsccEncoded>> = schemes
        .iter()
        .map(|sc| match sc {
            AnyScheme::Jscc(j) => {
                let e = j.encode(&messages);
                if verbose {
                    eprintln!(
                        "{}: {} words not in its {}-word vocabulary (sent as <UNK>)",
                        j.config.name,
                        e.unknown_words,
                        j.vocab.len()
                    );
                }
                Some(e)
            }
            AnyScheme::Digital(_) => None,
        })
        .collect();
    let mut facts = Vec::with_capacity(schemes.len());
    for (sc, je) in schemes.iter().zip(&jscc_encoded) {
        facts.push(match sc {
            AnyScheme::Digital(d) => {
                let enc = &encoded[&source_key(&d.config)];
                let uses = channel_use(d, enc);
                SchemeFacts {
                    name: d.config.name.clone(),
                    channel: d.link.channel_name(),
                    rate: d.link.rate(),
                    bits_per_symbol: d.link.bits_per_symbol(),
                    text: Some(TextFacts {
                        symbols_per_message: uses.symbols_per_message,
                        precision_bits: uses.precision_bits,
                        source_bits: Some(enc.total_bits() as u64),
                        weights_sha256: None,
                    }),
                }
            }
            AnyScheme::Jscc(j) => {
                let uses = j.channel_use(je.as_ref().expect("encoded above"));
                SchemeFacts {
                    name: j.config.name.clone(),
                    channel: format!("{} (JSCC, {})", j.channel.name(), j.model_name()),
                    // Real values straight on the channel: Es/N0 per real value is the SNR.
                    rate: 1.0,
                    bits_per_symbol: 1,
                    text: Some(TextFacts {
                        symbols_per_message: uses.symbols_per_message,
                        precision_bits: uses.precision_bits,
                        source_bits: None,
                        weights_sha256: Some(j.weights_sha256.clone()),
                    }),
                }
            }
        });
    }
    let reference = schemes.iter().position(|sc| sc.config().name == s.unified.reference).unwrap_or(0);
    Ok(PreparedText { messages, schemes, encoded, jscc_encoded, facts, reference })
}

pub fn run_text_sweep(loaded: &LoadedScenario, opts: &SweepOptions) -> anyhow::Result<SweepSummary> {
    let s = &loaded.scenario;
    let verbose = !opts.quiet;
    let (messages, schemes) = build_text_schemes(loaded, verbose)?;
    let mut folder = ResultsFolder::open(loaded, opts)?;
    let prepared = prepare_text(loaded, messages, schemes, &folder.out_dir, verbose)?;
    let PreparedText { messages, schemes, encoded, jscc_encoded, facts, reference } = &prepared;
    for sc in schemes {
        if let AnyScheme::Jscc(j) = sc {
            let has_rows = s.snr.values_db.iter().any(|&v| folder.has(&j.config.name, v));
            j.check_weights_unchanged(&folder.out_dir, has_rows)?;
        }
    }

    let pending = schemes.iter().any(|sc| s.snr.values_db.iter().any(|&v| !folder.has(&sc.config().name, v)));
    let quality = if pending { Some(QualityScorer::new(&s.metrics, verbose)?) } else { None };
    let mut simulated = 0;
    for (i, scheme) in schemes.iter().enumerate() {
        for &value in &s.snr.values_db {
            let name = &scheme.config().name;
            if folder.has(name, value) {
                continue;
            }
            let quality = quality.as_ref().expect("built when points are pending");
            let point = facts[i].point(value, s.snr.axis);
            let items = (messages.len() * s.text.repeats) as u64;
            let bar = bar(opts.quiet, name, value, items);
            let mut exact = 0u64;
            let mut on_progress = |p: TextProgress| match p {
                TextProgress::Transmitted { items, corrupted } => {
                    exact = (items - corrupted) as u64;
                    bar.set_position(exact);
                    bar.set_message(format!("{corrupted} corrupted: source-decoding them"));
                }
                TextProgress::Decoded(done) => bar.set_position(exact + done as u64),
            };
            let outcome = match scheme {
                AnyScheme::Digital(d) => {
                    let enc = &encoded[&source_key(&d.config)];
                    run_text_point(d, messages, enc, &s.text, &point, s.seed, quality, &mut on_progress)?
                }
                AnyScheme::Jscc(j) => {
                    let enc = jscc_encoded[i].as_ref().expect("encoded above");
                    run_jscc_point(j, messages, enc, &s.text, &point, s.seed, quality, &mut on_progress)?
                }
            };
            bar.finish_and_clear();
            let t = &outcome.text;
            let row = text_row(
                &facts[i],
                &facts[*reference],
                prepared.set_size(),
                &point,
                &outcome.counts,
                t,
                quality,
                outcome.seconds,
            );
            if verbose {
                print_text_row(&row, t);
            }
            folder.record(row, outcome.counts.frames)?;
            simulated += 1;
        }
    }
    let (out_dir, rows) = folder.finish()?;
    report::plot::all_plots(&out_dir, &rows, &s.name)?;
    Ok(SweepSummary { out_dir, rows, simulated })
}

/// The line a finished text point prints.
pub(super) fn print_text_row(row: &ResultRow, t: &TextCounts) {
    eprintln!(
        "{} @ {:>5} dB (unified {:>6.2}): BLER {:.2e}  message errors {}/{}  BLEU-1 {:.3}  BLEU-4 {:.3}  similarity {}  ({:.1} s)",
        row.scheme,
        row.snr_db,
        row.snr_unified_db.unwrap_or(f64::NAN),
        row.bler,
        t.message_errors,
        t.messages,
        t.bleu(1),
        t.bleu(4),
        t.similarity().map_or("-".into(), |v| format!("{v:.3}")),
        row.seconds
    );
}

fn bar(quiet: bool, scheme: &str, snr: f64, items: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(items);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} messages, {msg}")
            .expect("valid template"),
    );
    bar.set_prefix(format!("{scheme} @ {snr} dB"));
    bar.set_message("transmitting");
    bar.enable_steady_tick(std::time::Duration::from_millis(500));
    bar
}
