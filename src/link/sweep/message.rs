//! A message sweep: every scheme × SNR point of a scenario with `[[schemes]]`.
//!
//! Builds each scheme (`link::schemes::build_schemes`, by modality), prepares it for the message set
//! (source coders encode it once each, JSCC schemes map it to their inputs) and works out its facts for the unified
//! SNR axis, then runs the points not yet in the results folder: all of a point's batches through
//! [`MessageScheme::run_batches`], reduced by [`reduce_point`], each row written as it finishes.
//! Preparing is shared with shards (`link::shard::run`), reducing with `sim merge`.

use std::path::Path;

use super::folder::ResultsFolder;
use super::plan::plan;
use super::rows::{message_row, sample_rows};
use super::{SweepOptions, SweepSummary};
use crate::link::events::{Event, Sink};
use crate::link::facts::{SchemeFacts, SetSize};
use crate::link::message::encodings::EncodingStore;
use crate::link::message::point::{reduce_point, PointScorer};
use crate::link::message::{batches, MessageScheme, MessageSet};
use crate::link::schemes::build_schemes;
use crate::report;
use crate::scenario::LoadedScenario;

/// A message scenario ready to run: its schemes prepared for the message set, and their facts.
pub struct PreparedMessages {
    pub messages: MessageSet,
    pub schemes: Vec<Box<dyn MessageScheme>>,
    pub facts: Vec<SchemeFacts>,
    /// The scheme whose channel use the unified SNR axis is relative to.
    pub reference: usize,
}

impl PreparedMessages {
    /// Prepares every scheme (digital ones encode through `out_dir`'s encodings cache).
    pub fn prepare(
        loaded: &LoadedScenario,
        messages: MessageSet,
        mut schemes: Vec<Box<dyn MessageScheme>>,
        out_dir: &Path,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<Self> {
        let s = &loaded.scenario;
        let mut store = EncodingStore::new(out_dir, s.framing.length_bits);
        let facts = schemes
            .iter_mut()
            .map(|scheme| scheme.prepare(&messages, &mut store, sink))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let reference = schemes.iter().position(|sc| sc.config().name == s.unified.reference).unwrap_or(0);
        Ok(PreparedMessages { messages, schemes, facts, reference })
    }

    pub fn set_size(&self) -> SetSize {
        self.messages.size()
    }
}

pub fn run_message_sweep(
    loaded: &LoadedScenario,
    opts: &SweepOptions,
    sink: &mut dyn Sink,
) -> anyhow::Result<SweepSummary> {
    let s = &loaded.scenario;
    let (messages, schemes) = build_schemes(loaded, !opts.quiet)?;
    let mut folder = ResultsFolder::open(loaded, opts, sink)?;
    let prepared = PreparedMessages::prepare(loaded, messages, schemes, &folder.out_dir, sink)?;
    let PreparedMessages { messages, schemes, facts, reference } = &prepared;
    folder.check_schemes(facts)?;
    for scheme in schemes {
        let name = &scheme.config().name;
        let has_rows = s.snr_values(name).iter().any(|&v| folder.has(name, v));
        scheme.check_results_folder(&folder.out_dir, has_rows)?;
    }
    folder.begin()?;

    let batches = batches(messages.len() * s.repeats(), s.batch_messages());
    let points = plan(facts, s, batches.len() as u64);
    let order: Vec<(&str, f64)> = points.iter().map(|p| (facts[p.scheme].name.as_str(), p.value_db)).collect();
    let pending: Vec<_> = points.into_iter().filter(|p| !folder.has(&facts[p.scheme].name, p.value_db)).collect();
    let scorer = if pending.is_empty() { None } else { Some(PointScorer::new(messages, &s.metrics, !opts.quiet)?) };
    for p in &pending {
        let scorer = scorer.as_ref().expect("built when points are pending");
        let name = &facts[p.scheme].name;
        let started = std::time::Instant::now();
        let items = batches.last().map_or(0, |b| b.items.end) as u64;
        sink.event(Event::MessagePointStarted { scheme: name, snr_db: p.value_db, items });
        let outcomes =
            schemes[p.scheme].run_batches(&p.point, s.seed, &batches, &mut |e| sink.event(Event::Messages(e)))?;
        let reduced =
            reduce_point(messages, &batches, &outcomes.iter().collect::<Vec<_>>(), scorer, s.metrics.samples)?;
        let seconds = started.elapsed().as_secs_f64();
        let row =
            message_row(&facts[p.scheme], &facts[*reference], prepared.set_size(), &p.point, &reduced, scorer, seconds);
        sink.event(Event::MessagePointFinished { row: &row });
        let samples = sample_rows(name, p.value_db, messages, &reduced);
        if let Some(image) = &reduced.first_image {
            report::image_grid::write_received(&folder.out_dir, name, p.value_db, image)?;
        }
        if let Some(audio) = &reduced.first_audio {
            report::audio_samples::write_received(&folder.out_dir, name, p.value_db, audio)?;
        }
        folder.record(row, reduced.counts.frames, samples)?;
    }
    let simulated = pending.len();
    let (out_dir, rows) = folder.finish(&order)?;
    let limits = report::distance::plot_limits(
        &rows,
        report::distance::LimitChannel::of_scenario(s).ok(),
        s.framing.length_bits,
    );
    report::plot::all_plots(&out_dir, &rows, &s.name, &limits)?;
    match messages {
        MessageSet::Image(tiles) => write_image_grid(&out_dir, tiles, facts, &s.snr.values_db)?,
        MessageSet::Audio(frames) => write_audio_sent(&out_dir, frames)?,
        MessageSet::Text(_) => {}
    }
    Ok(SweepSummary { out_dir, rows, simulated })
}

/// The image sent and `grid.png` of an image run (see `report::image_grid`).
pub fn write_image_grid(
    out_dir: &Path,
    tiles: &crate::link::image::tiles::TileSet,
    facts: &[SchemeFacts],
    snrs: &[f64],
) -> anyhow::Result<()> {
    report::image_grid::write_sent(out_dir, &tiles.mosaic(0, |j| &tiles.tiles[j].pixels))?;
    let names: Vec<&str> = facts.iter().map(|f| f.name.as_str()).collect();
    report::image_grid::write_grid(out_dir, &names, &report::image_grid::grid_snrs(snrs))?;
    Ok(())
}

/// The clip sent of an audio run (see `report::audio_samples`).
pub fn write_audio_sent(out_dir: &Path, frames: &crate::link::audio::frames::FrameSet) -> anyhow::Result<()> {
    report::audio_samples::write_sent(out_dir, &frames.splice(0, |j| &frames.frames[j].samples))
}
