//! `sim run SCENARIO --shard I/N`: shard `I` (0-based) of `N` simulates its share of a sweep into its
//! own file, `<results>/shards/<I>-of-<N>.jsonl` ([`super::shard_file`]); `sim merge` later
//! combines the shards into the `results.csv` a single run writes, bit for bit in every count.
//!
//! Work units, and who owns them:
//! - **Link-level points** are simulated in groups of `engine::GROUP_BATCHES` batches, and group `g`
//!   of a point draws from the same streams and has the same size whether a single run or a shard
//!   simulates it (`engine::group_batches`). Shard `I` owns groups `I, I+N, I+2N, …` of every point.
//!   A single run stops a point after the first `G` groups, where `G` is fixed by the stopping rule
//!   (`min_frame_errors` reached, else `max_frames` spent); `sim merge` replays that rule over the
//!   recorded groups in order (`engine::replay_stop_rule`), so it needs exactly groups `0..G` and
//!   ignores any group past them. A shard must therefore not stop a point before it has done each
//!   of its groups below `G`, which it cannot know in advance. Before each of its groups `g` it
//!   stops the point if
//!   1. group `g` lies past the frame budget, or
//!   2. the groups below `g` known so far, its own and those the other shards of the split have
//!      recorded (it reads their files as they grow, through the shared results folder), already
//!      hold `min_frame_errors` frame errors together. The single run's running count before
//!      group `g` sums *all* groups below `g`, so it is at least as large: the single run stops
//!      before `g`, and before every later group of this shard.
//!
//!   When the shards run at the same time, each sees nearly every group below its own, so together
//!   they simulate the single run's `G` groups plus about one group per shard per point (groups
//!   begun before the others' results showed them unneeded). A shard that runs while fewer others
//!   run sees fewer groups and goes further past `G`: alone (the others not started, or in another
//!   folder) it simulates up to the single run's whole work on an error-limited point, since its
//!   own groups must then hold the errors by themselves. So run all shards at once (a job array
//!   with N no more than the tasks the cluster runs at once); frame-limited points (high SNR, where
//!   `max_frames` binds) split evenly in any case.
//! - **Text points** send a fixed number of messages, in batches of `batch_messages` (one stream
//!   each). The (scheme, SNR, batch) units of the whole sweep, numbered in the single run's order,
//!   are dealt out round-robin: shard `I` owns unit `u` when `u mod N = I`. A shard transmits and
//!   source-decodes its batches (a JSCC scheme's: sends and decodes them) and records each batch's
//!   counts and the decoded text of every message it had to decode (payload changed, or any payload
//!   of a lossy coder; for JSCC, every message received other than sent). Scoring (BLEU, corpus BLEU, similarity) is left to
//!   `sim merge`, which scores each whole point with the same calls, in the same order, as a single
//!   run does: the sentence embedder's float rounding depends on how texts are batched, so only
//!   scoring the point in one piece gives the single run's similarity bit for bit. Every shard
//!   encodes the text set (through the shared `encodings/` cache) to know the payloads.
//!
//! A shard killed and run again reads its own file back, drops a last line cut short by the kill,
//! and continues with the units it has not recorded; recorded units are never simulated twice.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;

use super::engine::{group_batches, run_group};
use super::jscc::run_jscc_batch;
use super::point_row::SchemeFacts;
use super::shard_file::{
    read_shard, short, DecodedItem, GroupRecord, Record, RunStamp, ShardHeader, ShardId, ShardTail, ShardWriter,
    TextBatchRecord,
};
use super::sources::source_key;
use super::sweep::{config_hash, project_root_for, SweepOptions};
use super::text_engine::{decode_payloads, items_to_decode, text_batches, transmit_batch, EncodedMessages, TextScheme};
use super::text_sweep::{build_text_schemes, prepare_text, AnyScheme, PreparedText};
use super::LinkScheme;
use crate::metrics::ErrorCounts;
use crate::report;
use crate::scenario::LoadedScenario;

pub struct ShardSummary {
    pub path: PathBuf,
    /// Work units simulated by this invocation, and units found already recorded.
    pub simulated: u64,
    pub recorded_before: u64,
}

/// The results folder of a run (`--out`, else `results/<name>`) and its `shards/` folder.
fn folders(loaded: &LoadedScenario, opts: &SweepOptions) -> (PathBuf, PathBuf) {
    let out = opts.out_dir.clone().unwrap_or_else(|| PathBuf::from("results").join(&loaded.scenario.name));
    let shards = out.join("shards");
    (out, shards)
}

/// The run's identity as recorded in every shard line.
pub fn run_stamp(loaded: &LoadedScenario) -> RunStamp {
    RunStamp { config_hash: config_hash(&loaded.scenario), seed: loaded.scenario.seed, version: crate::version() }
}

pub fn run_shard(loaded: &LoadedScenario, opts: &SweepOptions, shard: ShardId) -> anyhow::Result<ShardSummary> {
    let s = &loaded.scenario;
    let (out_dir, dir) = folders(loaded, opts);
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create the shards folder", dir.display()))?;
    let verbose = !opts.quiet;
    let stamp = run_stamp(loaded);

    let (facts, text, link) = if s.is_text_link() {
        let (messages, schemes) = build_text_schemes(loaded, verbose)?;
        let prepared = prepare_text(loaded, messages, schemes, &out_dir, verbose)?;
        (prepared.facts.clone(), Some(prepared), None)
    } else {
        let scheme = LinkScheme::from_scenario(s, &project_root_for(&loaded.path))
            .with_context(|| format!("{}: cannot build the scheme", loaded.path.display()))?;
        (vec![link_facts(&scheme)], None, Some(scheme))
    };
    let header = ShardHeader {
        shard,
        scenario_name: s.name.clone(),
        scenario_file: loaded.path.display().to_string(),
        overrides: opts.overrides.clone(),
        config: serde_json::to_value(s)?,
        schemes: facts,
        messages: text.as_ref().map(|t| t.messages.texts.clone()).unwrap_or_default(),
        text_set: text.as_ref().map(PreparedText::set_size),
        reference: text.as_ref().map_or(0, |t| t.reference),
        started_unix: report::run_info::unix_now(),
    };
    let path = dir.join(shard.file_name());
    let (mut writer, recorded) = open_own_file(&path, &stamp, &header, opts.fresh)?;
    let recorded_before = recorded.len() as u64;
    let mut job = ShardJob { shard, writer: &mut writer, recorded, simulated: 0, verbose };
    match (&text, &link) {
        (Some(prepared), _) => job.text_points(loaded, prepared)?,
        (None, Some(scheme)) => job.link_points(loaded, scheme, KnownGroups::new(&dir, shard, &stamp))?,
        (None, None) => unreachable!("a scenario is a text link or a link-level one"),
    }
    Ok(ShardSummary { path, simulated: job.simulated, recorded_before })
}

fn link_facts(scheme: &LinkScheme) -> SchemeFacts {
    SchemeFacts {
        name: scheme.name.clone(),
        channel: scheme.channel_name(),
        rate: scheme.rate(),
        bits_per_symbol: scheme.bits_per_symbol(),
        text: None,
    }
}

/// Units recorded by a file, by (scheme, SNR bits, unit).
type Recorded = HashMap<(String, u64, u64), Record>;

/// Opens this shard's file: creates it, or resumes it if it belongs to this run (replaced with
/// `--fresh` if it belongs to another). Returns the writer and the units already recorded.
fn open_own_file(
    path: &Path,
    stamp: &RunStamp,
    header: &ShardHeader,
    fresh: bool,
) -> anyhow::Result<(ShardWriter, Recorded)> {
    if path.exists() {
        let contents = read_shard(path).map_err(|e| {
            e.context(format!(
                "cannot resume shard {}: its file is damaged; delete it (or rerun with --fresh) to redo this shard",
                header.shard
            ))
        });
        let contents = match (contents, fresh) {
            (Ok(c), _) if &c.stamp == stamp && c.header.shard == header.shard => Some(c),
            (Ok(c), false) => anyhow::bail!(
                "{} holds shard results of a different configuration (config_hash {}, seed {}, version {}; this run: {}, {}, {}); \
                 use --fresh to replace them or --out to write elsewhere",
                path.display(),
                short(&c.stamp.config_hash),
                c.stamp.seed,
                c.stamp.version,
                short(&stamp.config_hash),
                stamp.seed,
                stamp.version
            ),
            (Err(e), false) => return Err(e),
            (_, true) => None,
        };
        if let Some(c) = contents {
            if c.header.schemes != header.schemes || c.header.messages != header.messages {
                anyhow::bail!(
                    "{}: recorded with other scheme facts or messages than this run builds under the same configuration \
                     (e.g. other weights under the same path); use --fresh to replace it",
                    path.display()
                );
            }
            let recorded = c
                .records
                .iter()
                .filter_map(|(_, r)| r.unit().map(|(s, x, u)| ((s.to_string(), x.to_bits(), u), r.clone())))
                .collect();
            return Ok((ShardWriter::resume(&c)?, recorded));
        }
    }
    Ok((ShardWriter::create(path, stamp, header)?, HashMap::new()))
}

struct ShardJob<'a> {
    shard: ShardId,
    writer: &'a mut ShardWriter,
    recorded: Recorded,
    simulated: u64,
    verbose: bool,
}

impl ShardJob<'_> {
    /// This shard's groups of every point, each point stopped by the rules of the module doc.
    fn link_points(
        &mut self,
        loaded: &LoadedScenario,
        scheme: &LinkScheme,
        mut known: KnownGroups,
    ) -> anyhow::Result<()> {
        let s = &loaded.scenario;
        let stop = &s.stop;
        let facts = link_facts(scheme);
        for record in self.recorded.values() {
            if let Record::Group(r) = record {
                known.insert(r);
            }
        }
        for &value in &s.snr.values_db {
            let point = facts.point(value, s.snr.axis);
            let key = |g: u64| (scheme.name.clone(), value.to_bits(), g);
            let (mut mine, mut new) = (0u64, 0u64);
            let mut g = self.shard.index;
            while group_batches(stop, g).is_some() {
                if !self.recorded.contains_key(&key(g)) {
                    known.poll();
                    if known.frame_errors_below(&scheme.name, value, g, stop.min_frame_errors) >= stop.min_frame_errors
                    {
                        break;
                    }
                    let started = std::time::Instant::now();
                    let counts =
                        run_group(scheme, &point, s.seed, stop, g).expect("the group is within the frame budget");
                    let record = GroupRecord {
                        scheme: scheme.name.clone(),
                        snr_db: value,
                        group: g,
                        counts,
                        seconds: started.elapsed().as_secs_f64(),
                    };
                    self.writer.append(&Record::Group(record.clone()))?;
                    known.insert(&record);
                    self.recorded.insert(key(g), Record::Group(record));
                    self.simulated += 1;
                    new += 1;
                }
                mine += 1;
                g += self.shard.count;
            }
            if self.verbose {
                eprintln!(
                    "shard {} · {} @ {value:>5} dB: {mine} groups of its own ({new} simulated now)",
                    self.shard, scheme.name
                );
            }
        }
        Ok(())
    }

    /// This shard's message batches of every text point: sent and decoded, a few at a time.
    fn text_points(&mut self, loaded: &LoadedScenario, prepared: &PreparedText) -> anyhow::Result<()> {
        let s = &loaded.scenario;
        let texts = &prepared.messages.texts;
        let items = texts.len() * s.text.repeats;
        let batches = text_batches(items, s.text.batch_messages);
        let per_round = rayon::current_num_threads().max(1);
        let mut unit = 0u64;
        for (i, scheme) in prepared.schemes.iter().enumerate() {
            let name = &scheme.config().name;
            for &value in &s.snr.values_db {
                let point = prepared.facts[i].point(value, s.snr.axis);
                let first_unit = unit;
                unit += batches.len() as u64;
                let todo: Vec<u64> = (0..batches.len() as u64)
                    .filter(|&b| {
                        self.shard.owns(first_unit + b)
                            && !self.recorded.contains_key(&(name.clone(), value.to_bits(), b))
                    })
                    .collect();
                // A few batches at a time: the shard's CPUs stay busy and a kill loses little.
                for round in todo.chunks(per_round) {
                    let started = std::time::Instant::now();
                    let done: Vec<(ErrorCounts, Vec<DecodedItem>)> = match scheme {
                        AnyScheme::Digital(d) => {
                            digital_round(d, &prepared.encoded[&source_key(&d.config)], &point, s.seed, round, &batches)
                        }
                        AnyScheme::Jscc(j) => {
                            let enc = prepared.jscc_encoded[i].as_ref().expect("a JSCC scheme has word ids");
                            let mut done = Vec::with_capacity(round.len());
                            for &b in round {
                                let range = batches[b as usize].clone();
                                let received = run_jscc_batch(j, enc, &point, s.seed, b, range.clone())?;
                                // Items received exactly need no record: the merge scores them as sent.
                                let changed = range
                                    .zip(received)
                                    .filter(|(item, text)| *text != texts[item % texts.len()])
                                    .map(|(item, text)| DecodedItem { item: item as u64, text })
                                    .collect();
                                done.push((ErrorCounts::default(), changed));
                            }
                            done
                        }
                    };
                    let seconds = started.elapsed().as_secs_f64() / round.len() as f64;
                    for (&b, (counts, corrupted)) in round.iter().zip(done) {
                        let record = Record::TextBatch(TextBatchRecord {
                            scheme: name.clone(),
                            snr_db: value,
                            batch: b,
                            counts,
                            corrupted,
                            seconds,
                        });
                        self.writer.append(&record)?;
                        self.recorded.insert((name.clone(), value.to_bits(), b), record);
                        self.simulated += 1;
                    }
                }
                if self.verbose && !todo.is_empty() {
                    eprintln!(
                        "shard {} · {name} @ {value:>5} dB: {} message batches simulated",
                        self.shard,
                        todo.len()
                    );
                }
            }
        }
        Ok(())
    }
}

/// Batches `round` of a digital scheme's point: transmitted in parallel, then every payload that
/// must be decoded (see `text_engine::items_to_decode`) decoded; per batch, its counts and the
/// decoded items.
fn digital_round(
    scheme: &TextScheme,
    encoded: &EncodedMessages,
    point: &channels::SnrPoint,
    seed: u64,
    round: &[u64],
    batches: &[std::ops::Range<usize>],
) -> Vec<(ErrorCounts, Vec<DecodedItem>)> {
    let sent: Vec<(ErrorCounts, Vec<source::Bits>)> = round
        .par_iter()
        .map(|&b| transmit_batch(scheme, encoded, point, seed, b, batches[b as usize].clone()))
        .collect();
    let to_decode: Vec<Vec<usize>> = round
        .iter()
        .zip(&sent)
        .map(|(&b, (_, received))| items_to_decode(scheme, encoded, batches[b as usize].start, received))
        .collect();
    let frames: Vec<&[u8]> = round
        .iter()
        .zip(&sent)
        .zip(&to_decode)
        .flat_map(|((&b, (_, received)), items)| {
            let first = batches[b as usize].start;
            items.iter().map(move |&j| received[j - first].as_slice())
        })
        .collect();
    let mut texts = decode_payloads(scheme, &frames, &mut |_| {}).into_iter();
    sent.iter()
        .zip(to_decode)
        .map(|((counts, _), items)| {
            let decoded = items
                .into_iter()
                .map(|j| DecodedItem { item: j as u64, text: texts.next().expect("one text per frame") })
                .collect();
            (*counts, decoded)
        })
        .collect()
}

/// Frame errors of every group of the split known so far, this shard's and those the other shards
/// have recorded (read as their files grow), by point.
struct KnownGroups {
    dir: PathBuf,
    me: ShardId,
    stamp: RunStamp,
    tails: Vec<ShardTail>,
    errors: HashMap<(String, u64), BTreeMap<u64, u64>>,
}

impl KnownGroups {
    fn new(dir: &Path, me: ShardId, stamp: &RunStamp) -> Self {
        KnownGroups { dir: dir.to_path_buf(), me, stamp: stamp.clone(), tails: Vec::new(), errors: HashMap::new() }
    }

    fn insert(&mut self, g: &GroupRecord) {
        self.errors.entry((g.scheme.clone(), g.snr_db.to_bits())).or_default().insert(g.group, g.counts.frame_errors);
    }

    /// Picks up new files of the other shards of the split, and new lines in them.
    fn poll(&mut self) {
        for index in (0..self.me.count).filter(|&i| i != self.me.index) {
            let path = self.dir.join(ShardId { index, count: self.me.count }.file_name());
            if path.exists() && !self.tails.iter().any(|t| t.path == path) {
                self.tails.push(ShardTail::new(path, self.stamp.clone()));
            }
        }
        let records: Vec<Record> = self.tails.iter_mut().flat_map(ShardTail::poll).collect();
        for record in records {
            if let Record::Group(g) = record {
                self.insert(&g);
            }
        }
    }

    /// Frame errors in the known groups below `g` of a point (counting stops once `enough`).
    fn frame_errors_below(&self, scheme: &str, snr_db: f64, g: u64, enough: u64) -> u64 {
        let Some(groups) = self.errors.get(&(scheme.to_string(), snr_db.to_bits())) else { return 0 };
        let mut sum = 0;
        for (_, e) in groups.range(..g) {
            sum += e;
            if sum >= enough {
                break;
            }
        }
        sum
    }
}
