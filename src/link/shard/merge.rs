//! `sim merge DIR`: the shards in `DIR/shards/` combined into the `results.csv`, `run.json` and plots
//! that a single run of the same scenario and seed writes into `DIR`.
//!
//! Every shard file is read whole and checked first ([`super::file::read_shard`]): a line that
//! fails its checksum, a last line cut short, a file named for another shard, or shards that
//! disagree on the split, the configuration hash, the seed or the version are refused with an error
//! naming the file (and line), and nothing is written. Then each point is rebuilt as the single run
//! builds it:
//! - a link-level point replays the stopping rule over the recorded groups in order
//!   (`link::block::engine::replay_stop_rule`), so it sums exactly the groups a single run simulates; a group it
//!   needs and no shard recorded is an error naming the shard that owns it;
//! - a message point needs every message batch; they are reduced by the single run's reducer
//!   (`link::message::point::reduce_point`), which scores the whole point in one piece;
//! - a point the shards lack a unit of (they skip points the folder holds rows for) takes the
//!   folder's row, with its timing and samples, where the folder keeps one as a single run of the
//!   shards' scenario would (`link::sweep::folder::KeptRows`) and it was made with the schemes the
//!   shards built; rows of an incompatible configuration are refused.
//!
//! Rates and Wilson intervals are recomputed from the summed counts by the single run's row builder.
//! The `seconds` column is the sum of the shards' time on the units used (plus scoring, for text).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::file::{read_shard, short, Record, ShardContents, ShardId};
use crate::link::audio::frames::FrameSet;
use crate::link::block::engine::{replay_stop_rule, Replay};
use crate::link::events::{Event, Sink};
use crate::link::image::tiles::TileSet;
use crate::link::message::point::{reduce_point, PointScorer};
use crate::link::message::{batches, MessageSet};
use crate::link::paths::project_root_for;
use crate::link::sweep::folder::{config_hash, FolderLock, KeptRows};
use crate::link::sweep::plan::plan;
use crate::link::sweep::rows::{counts_row, message_row, sample_rows, theory_ber};
use crate::link::sweep::SweepSummary;
use crate::link::text::messages::TextSet;
use crate::report::{self, RunInfo};
use crate::scenario::Scenario;

/// Merges `dir/shards/*.jsonl` into `dir`. `quiet`: no messages from loading the similarity model.
pub fn merge_shards(dir: &Path, quiet: bool, sink: &mut dyn Sink) -> anyhow::Result<SweepSummary> {
    // A folder that does not exist is named by the shards' error, not the lock's.
    let _lock = if dir.is_dir() { Some(FolderLock::acquire(dir)?) } else { None };
    let shards = load_shards(dir)?;
    let first = &shards[0];
    let scenario: Scenario = serde_json::from_value(first.header.config.clone())
        .with_context(|| format!("{}: line 1: the recorded scenario does not load", first.path.display()))?;
    if config_hash(&scenario) != first.stamp.config_hash {
        anyhow::bail!(
            "{}: line 1: the recorded scenario does not hash to the file's config_hash",
            first.path.display()
        );
    }
    let run_json = dir.join("run.json");
    // Rows the folder already holds for this configuration, or for one that only lacked some of its
    // schemes or SNR points: a point no shard simulated (the shards skip such points) takes its row.
    let remedy = "move its results.csv and run.json away, or merge the shards in another folder";
    let mut kept = KeptRows::read(dir, &scenario, false, remedy, sink)?;
    let units = index_units(&shards)?;
    let missing = |what: String, owner: u64| {
        let id = ShardId { index: owner, count: first.header.shard.count };
        anyhow::anyhow!(
            "{what} is missing: it is shard {id}'s work ({}{}); run `{}` (it resumes) and merge again",
            dir.join("shards").join(id.file_name()).display(),
            if shards.iter().any(|c| c.header.shard == id) { "" } else { ", not found" },
            rerun_command(first, id, dir)
        )
    };

    let mut rows = Vec::new();
    let mut samples = Vec::new();
    let mut timings = Vec::new();
    let h = &first.header;
    let point_key = |scheme: usize, value: f64, unit: u64| (h.schemes[scheme].name.clone(), value.to_bits(), unit);
    let mut sent_set = None;
    // The points whose row is the folder's.
    let mut used: Vec<(String, f64)> = Vec::new();
    if scenario.is_text_link() {
        let messages = recorded_messages(&scenario, first, quiet)?;
        let scorer = PointScorer::new(&messages, &scenario.metrics, !quiet)?;
        let set = h.text_set.context("a message run's shards record the message set")?;
        let batches = batches(messages.len() * scenario.repeats(), scenario.batch_messages());
        for p in plan(&h.schemes, &scenario, batches.len() as u64) {
            let (facts, value) = (&h.schemes[p.scheme], p.value_db);
            let started = std::time::Instant::now();
            let mut outcomes = Vec::with_capacity(batches.len());
            let mut seconds = 0.0;
            for b in &batches {
                match units.get(&point_key(p.scheme, value, b.index)) {
                    Some(Record::TextBatch(r)) => {
                        outcomes.push(&r.outcome);
                        seconds += r.seconds;
                    }
                    _ if kept.has(&facts.name, value) => break,
                    _ => {
                        return Err(missing(
                            format!("{} at {value} dB: message batch {}", facts.name, b.index),
                            (p.first_unit + b.index) % h.shard.count,
                        ))
                    }
                }
            }
            if outcomes.len() < batches.len() {
                let (row, timing, mine) = kept.point(&facts.name, value);
                used.push((facts.name.clone(), value));
                timings.push(timing);
                samples.extend(mine);
                rows.push(row);
                continue;
            }
            let reduced = reduce_point(&messages, &batches, &outcomes, &scorer, scenario.metrics.samples)
                .with_context(|| format!("{} at {value} dB", facts.name))?;
            seconds += started.elapsed().as_secs_f64();
            let row = message_row(facts, &h.schemes[h.reference], set, &p.point, &reduced, &scorer, seconds);
            sink.event(Event::MessagePointFinished { row: &row });
            let mine = sample_rows(&facts.name, value, &messages, &reduced);
            if let Some(image) = &reduced.first_image {
                report::image_grid::write_received(dir, &facts.name, value, image)?;
            }
            if let Some(audio) = &reduced.first_audio {
                report::audio_samples::write_received(dir, &facts.name, value, audio)?;
            }
            timings.push(timing(&row, seconds, reduced.counts.frames).with_samples(&mine));
            samples.extend(mine);
            rows.push(row);
        }
        if let MessageSet::Image(_) | MessageSet::Audio(_) = messages {
            sent_set = Some(messages);
        }
    } else {
        for p in plan(&h.schemes[..1], &scenario, 0) {
            let (facts, value) = (&h.schemes[0], p.value_db);
            let mut seconds = 0.0;
            let replay = replay_stop_rule(&scenario.stop, |g| match units.get(&point_key(0, value, g)) {
                Some(Record::Group(r)) => {
                    seconds += r.seconds;
                    Some(r.counts)
                }
                _ => None,
            });
            let (counts, stopped_by) = match replay {
                Replay::Stopped { counts, stopped_by, .. } => (counts, stopped_by),
                Replay::Missing(_) if kept.has(&facts.name, value) => {
                    let (row, timing, _) = kept.point(&facts.name, value);
                    used.push((facts.name.clone(), value));
                    timings.push(timing);
                    rows.push(row);
                    continue;
                }
                Replay::Missing(g) => {
                    return Err(missing(format!("{} at {value} dB: frame group {g}", facts.name), g % h.shard.count))
                }
            };
            let row = counts_row(
                &facts.name,
                facts.channel.clone(),
                &p.point,
                &counts,
                stopped_by.as_str(),
                seconds,
                theory_ber(&scenario, &p.point),
            );
            timings.push(timing(&row, seconds, counts.frames));
            rows.push(row);
        }
    }

    // A kept row must be of the schemes the shards built (the same model or weights).
    kept.retain(|scheme, snr_db| used.iter().any(|(s, v)| s == scheme && *v == snr_db));
    kept.check_schemes(dir, &h.schemes, "run the shards again with --fresh, which redoes every point, and merge")?;
    if !used.is_empty() {
        let note = format!(
            "{}: {} points no shard simulated keep the rows the folder held",
            dir.join("results.csv").display(),
            used.len()
        );
        sink.event(Event::Note(&note));
    }
    let info = RunInfo {
        scenario_name: first.header.scenario_name.clone(),
        scenario_file: first.header.scenario_file.clone(),
        config_hash: first.stamp.config_hash.clone(),
        seed: first.stamp.seed,
        version: first.stamp.version.clone(),
        threads: rayon::current_num_threads(),
        overrides: first.header.overrides.clone(),
        config: first.header.config.clone(),
        timings,
        started_unix: shards.iter().map(|c| c.header.started_unix).min().unwrap_or(0),
        finished_unix: Some(report::run_info::unix_now()),
        shards: Some(first.header.shard.count),
        schemes: h
            .schemes
            .iter()
            .filter(|f| f.text.is_some())
            .map(|f| Ok((f.name.clone(), serde_json::to_value(f)?)))
            .collect::<anyhow::Result<_>>()?,
    };
    // As a single run writes them: run.json first (a crash between leaves no rows without it), the
    // samples before the rows.
    info.save(&run_json)?;
    if scenario.is_text_link() && scenario.modality() == crate::scenario::Modality::Text && scenario.metrics.samples > 0
    {
        report::write_samples(dir, &samples)?;
    }
    report::write_rows(dir, &rows)?;
    let limits = report::distance::plot_limits(
        &rows,
        report::distance::LimitChannel::of_scenario(&scenario).ok(),
        scenario.framing.length_bits,
    );
    report::plot::all_plots(dir, &rows, &scenario.name, &limits)?;
    match &sent_set {
        Some(MessageSet::Image(tiles)) => {
            crate::link::sweep::message::write_image_grid(dir, tiles, &first.header.schemes, &scenario.snr.values_db)?
        }
        Some(MessageSet::Audio(frames)) => crate::link::sweep::message::write_audio_sent(dir, frames)?,
        _ => {}
    }
    Ok(SweepSummary { out_dir: dir.to_path_buf(), rows, simulated: 0 })
}

/// The messages a message run sent: a text run's shards record them; an image run's tiles are
/// loaded again from the scenario (photos from the checked cache) and must hash to what the shards
/// recorded.
fn recorded_messages(scenario: &Scenario, first: &ShardContents, quiet: bool) -> anyhow::Result<MessageSet> {
    let h = &first.header;
    match scenario.modality() {
        crate::scenario::Modality::Text => Ok(MessageSet::Text(TextSet {
            path: PathBuf::from(&h.scenario_file),
            texts: h.messages.clone(),
            lines: (1..=h.messages.len()).collect(),
        })),
        crate::scenario::Modality::Image => {
            let base = project_root_for(Path::new(&h.scenario_file));
            let tiles = TileSet::load(&scenario.image, &base, scenario.seed, !quiet)
                .with_context(|| format!("{}: loading the tiles the shards sent", first.path.display()))?;
            let recorded = h.tiles_sha256.as_deref().unwrap_or("(none)");
            if tiles.sha256() != recorded {
                anyhow::bail!(
                    "{}: line 1: the tiles loaded here (sha256 {}) are not the ones the shards sent ({}); merge where \
                     the scenario's images are the same",
                    first.path.display(),
                    short(&tiles.sha256()),
                    short(recorded)
                );
            }
            Ok(MessageSet::Image(tiles))
        }
        crate::scenario::Modality::Audio => {
            let base = project_root_for(Path::new(&h.scenario_file));
            let frames = FrameSet::load(&scenario.audio, &base, scenario.seed, !quiet)
                .with_context(|| format!("{}: loading the frames the shards sent", first.path.display()))?;
            let recorded = h.frames_sha256.as_deref().unwrap_or("(none)");
            if frames.sha256() != recorded {
                anyhow::bail!(
                    "{}: line 1: the frames loaded here (sha256 {}) are not the ones the shards sent ({}); merge \
                     where the scenario's clips are the same",
                    first.path.display(),
                    short(&frames.sha256()),
                    short(recorded)
                );
            }
            Ok(MessageSet::Audio(frames))
        }
    }
}

/// Reads every shard file of `dir/shards/` and checks that they can be merged.
fn load_shards(dir: &Path) -> anyhow::Result<Vec<ShardContents>> {
    let shards_dir = dir.join("shards");
    let entries = std::fs::read_dir(&shards_dir).with_context(|| {
        format!(
            "{}: cannot list shard files (run `sim run SCENARIO --shard I/N --out {}` first)",
            shards_dir.display(),
            dir.display()
        )
    })?;
    let mut files: Vec<(ShardId, PathBuf)> = Vec::new();
    for e in entries {
        let path = e?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match ShardId::from_file_name(name) {
            Some(id) => files.push((id, path)),
            // A `.jsonl` file that no shard could have written (`2-of-2`, `0-of-0`, a renamed
            // copy) would otherwise be left out of the merge without a word.
            None if name.ends_with(".jsonl") => anyhow::bail!(
                "{}: not a shard file name (<I>-of-<N>.jsonl with I < N); move it out of {}",
                path.display(),
                shards_dir.display()
            ),
            None => {}
        }
    }
    if files.is_empty() {
        anyhow::bail!("{}: no shard files (<I>-of-<N>.jsonl) to merge", shards_dir.display());
    }
    files.sort_by_key(|(id, _)| (id.count, id.index));
    let mut shards = Vec::new();
    for (id, path) in &files {
        let c = read_shard(path)?;
        if let Some(line) = c.truncated_line {
            anyhow::bail!(
                "{}: line {line} is cut short: shard {id} was interrupted while writing it (or is still running); \
                 run `{}` to complete it (it resumes), then merge again",
                path.display(),
                rerun_command(&c, *id, dir)
            );
        }
        if c.header.shard != *id {
            anyhow::bail!("{}: line 1: holds shard {} but is named for shard {id}", path.display(), c.header.shard);
        }
        shards.push(c);
    }
    let first = &shards[0];
    for c in &shards[1..] {
        let (a, b) = (first.path.display(), c.path.display());
        if c.header.shard.count != first.header.shard.count {
            anyhow::bail!(
                "{a} and {b} come from different splits ({} vs {} shards); merge one split, move the other away",
                first.header.shard.count,
                c.header.shard.count
            );
        }
        if c.stamp.config_hash != first.stamp.config_hash {
            anyhow::bail!(
                "{a} and {b} come from different configurations (config_hash {} vs {}); refusing to mix them",
                short(&first.stamp.config_hash),
                short(&c.stamp.config_hash)
            );
        }
        if c.stamp.seed != first.stamp.seed {
            anyhow::bail!(
                "{a} and {b} come from different seeds ({} vs {}); refusing to mix them",
                first.stamp.seed,
                c.stamp.seed
            );
        }
        if c.stamp.version != first.stamp.version {
            anyhow::bail!(
                "{a} and {b} come from different versions of sim ({} vs {}); refusing to mix them",
                first.stamp.version,
                c.stamp.version
            );
        }
        if c.header.schemes != first.header.schemes
            || c.header.messages != first.header.messages
            || c.header.text_set != first.header.text_set
        {
            anyhow::bail!(
                "{a} and {b}: same configuration but different schemes or messages recorded; refusing to mix them"
            );
        }
    }
    Ok(shards)
}

/// The command that (re)runs shard `id` of the run `c` belongs to.
fn rerun_command(c: &ShardContents, id: ShardId, dir: &Path) -> String {
    let sets: String = c.header.overrides.iter().map(|o| format!(" --set '{o}'")).collect();
    format!("sim run {}{sets} --shard {id} --out {}", c.header.scenario_file, dir.display())
}

/// Every recorded unit by (scheme, SNR bits, unit). The same unit in two places must agree.
fn index_units(shards: &[ShardContents]) -> anyhow::Result<HashMap<(String, u64, u64), Record>> {
    let mut units: HashMap<(String, u64, u64), (Record, String)> = HashMap::new();
    for c in shards {
        for (line, record) in &c.records {
            let Some((scheme, snr, unit)) = record.unit() else { continue };
            let here = format!("{}: line {line}", c.path.display());
            match units.get(&(scheme.to_string(), snr.to_bits(), unit)) {
                Some((other, there)) if !same_work(other, record) => {
                    anyhow::bail!("{here} and {there} record different results for {scheme} at {snr} dB, unit {unit}; refusing to merge")
                }
                Some(_) => {}
                None => {
                    units.insert((scheme.to_string(), snr.to_bits(), unit), (record.clone(), here));
                }
            }
        }
    }
    Ok(units.into_iter().map(|(k, (r, _))| (k, r)).collect())
}

/// Equal results (timings aside).
fn same_work(a: &Record, b: &Record) -> bool {
    match (a, b) {
        (Record::Group(x), Record::Group(y)) => x.counts == y.counts,
        (Record::TextBatch(x), Record::TextBatch(y)) => x.outcome == y.outcome,
        _ => false,
    }
}

/// The `run.json` timing of a merged point: the shards' seconds on its units (and its scoring).
fn timing(row: &report::ResultRow, seconds: f64, frames: u64) -> report::run_info::PointTiming {
    report::run_info::PointTiming::of(row, seconds, frames)
}
