//! A text-link sweep: every scheme × SNR point of a scenario with `[[schemes]]`.
//!
//! Builds each scheme (source coder shared between schemes that name the same one), encodes the
//! text set once per source coder, works out each scheme's channel use for the unified SNR axis,
//! then simulates the points not yet in the results folder, writing each row as it finishes. JSCC
//! schemes ([`super::jscc`]) sit in the same list: their text is mapped to word ids instead of
//! source-coded, and their rows leave the bit-level and source-rate columns empty.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use channels::SnrPoint;
use indicatif::{ProgressBar, ProgressStyle};

use super::encoding_cache::load_or_encode;
use super::framing::Framer;
use super::jscc::{run_jscc_point, JsccEncoded, JsccScheme};
use super::messages::MessageSet;
use super::scheme::resolve;
use super::sources::{source_coder, source_key};
use super::sweep::{counts_row, project_root_for, ResultsFolder, SweepOptions, SweepSummary};
use super::text_engine::{channel_use, run_text_point, EncodedMessages, TextProgress, TextScheme};
use super::LinkScheme;
use crate::metrics::text_quality::QualityScorer;
use crate::metrics::unified_snr::{energy_per_message_db, unified_snr_db, ChannelUse};
use crate::report;
use crate::scenario::{LoadedScenario, SchemeConfig};

pub fn run_text_sweep(loaded: &LoadedScenario, opts: &SweepOptions) -> anyhow::Result<SweepSummary> {
    let s = &loaded.scenario;
    let file = loaded.path.display().to_string();
    let base = project_root_for(&loaded.path);
    let messages = MessageSet::load(&resolve(&s.text.file, &base), &s.text, s.seed)?;
    let verbose = !opts.quiet;

    let mut coders = BTreeMap::new();
    let mut schemes: Vec<AnyScheme> = Vec::new();
    for c in &s.schemes {
        if c.source.is_jscc() {
            let j = JsccScheme::load(c, s.channel.kind, &base).with_context(|| format!("{file}: scheme '{}'", c.name))?;
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
        let link = LinkScheme::from_scenario(&link_scenario, &base).with_context(|| format!("{file}: scheme '{}'", c.name))?;
        let source = source_coder(c, &base, verbose, &mut coders).with_context(|| format!("{file}: scheme '{}'", c.name))?;
        let framer = Framer::new(link.k(), s.framing.length_bits);
        schemes.push(AnyScheme::Digital(TextScheme { config: c.clone(), source, link, framer }));
    }

    let mut folder = ResultsFolder::open(loaded, opts)?;
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
        let (e, cached) = load_or_encode(&folder.out_dir, &key, scheme.source.as_ref(), &messages, max_payload)?;
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
    for sc in &schemes {
        if let AnyScheme::Jscc(j) = sc {
            let has_rows = s.snr.values_db.iter().any(|&v| folder.has(&j.config.name, v));
            j.check_weights_unchanged(&folder.out_dir, has_rows)?;
        }
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
    let uses: Vec<ChannelUse> = schemes
        .iter()
        .zip(&jscc_encoded)
        .map(|(sc, je)| match sc {
            AnyScheme::Digital(d) => channel_use(d, &encoded[&source_key(&d.config)]),
            AnyScheme::Jscc(j) => j.channel_use(je.as_ref().expect("encoded above")),
        })
        .collect();
    let reference = schemes.iter().position(|sc| sc.config().name == s.unified.reference).unwrap_or(0);

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
            let (point, outcome, channel_name, source_bits) = match scheme {
                AnyScheme::Digital(d) => {
                    let enc = &encoded[&source_key(&d.config)];
                    let point = SnrPoint::new(value, s.snr.axis, d.link.rate(), d.link.bits_per_symbol());
                    let outcome = run_text_point(d, &messages, enc, &s.text, &point, s.seed, quality, &mut on_progress)?;
                    (point, outcome, d.link.channel_name(), Some(enc.total_bits() as f64))
                }
                AnyScheme::Jscc(j) => {
                    let point = SnrPoint::new(value, s.snr.axis, 1.0, 1);
                    let enc = jscc_encoded[i].as_ref().expect("encoded above");
                    let outcome = run_jscc_point(j, &messages, enc, &s.text, &point, s.seed, quality, &mut on_progress)?;
                    (point, outcome, format!("{} (JSCC, {})", j.channel.name(), j.model_name()), None)
                }
            };
            bar.finish_and_clear();
            let t = &outcome.text;
            let mut row = counts_row(name, channel_name, &point, &outcome.counts, "messages", outcome.seconds, None);
            row.snr_unified_db = Some(unified_snr_db(point.esn0_db, uses[i], uses[reference]));
            row.messages = Some(t.messages);
            row.message_errors = Some(t.message_errors);
            row.message_error_rate = Some(t.message_error_rate());
            row.bleu1 = Some(t.bleu(1));
            row.bleu2 = Some(t.bleu(2));
            row.bleu3 = Some(t.bleu(3));
            row.bleu4 = Some(t.bleu(4));
            row.corpus_bleu4 = Some(quality.corpus_bleu4(t));
            row.similarity = t.similarity();
            row.source_bits_per_char = source_bits.map(|b| b / messages.chars() as f64);
            row.source_bits_per_message = source_bits.map(|b| b / messages.len() as f64);
            row.symbols_per_message = Some(uses[i].symbols_per_message);
            row.energy_per_message_db = Some(energy_per_message_db(point.esn0_db, uses[i]));
            if verbose {
                eprintln!(
                    "{name} @ {value:>5} dB (unified {:>6.2}): BLER {:.2e}  message errors {}/{}  BLEU-1 {:.3}  BLEU-4 {:.3}  similarity {}  ({:.1} s)",
                    row.snr_unified_db.unwrap_or(f64::NAN),
                    row.bler,
                    t.message_errors,
                    t.messages,
                    t.bleu(1),
                    t.bleu(4),
                    t.similarity().map_or("-".into(), |v| format!("{v:.3}")),
                    outcome.seconds
                );
            }
            folder.record(row, outcome.counts.frames)?;
            simulated += 1;
        }
    }
    let (out_dir, rows) = folder.finish()?;
    report::plot::all_plots(&out_dir, &rows, &s.name)?;
    Ok(SweepSummary { out_dir, rows, simulated })
}

/// A scenario's scheme: separate source and channel coding, or JSCC.
enum AnyScheme {
    Digital(TextScheme),
    Jscc(JsccScheme),
}

impl AnyScheme {
    fn config(&self) -> &SchemeConfig {
        match self {
            AnyScheme::Digital(d) => &d.config,
            AnyScheme::Jscc(j) => &j.config,
        }
    }
}

fn bar(quiet: bool, scheme: &str, snr: f64, items: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(items);
    bar.set_style(ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} messages, {msg}").expect("valid template"));
    bar.set_prefix(format!("{scheme} @ {snr} dB"));
    bar.set_message("transmitting");
    bar.enable_steady_tick(std::time::Duration::from_millis(500));
    bar
}
