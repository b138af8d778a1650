//! `sim run SCENARIO --shard I/N`: shard `I` (0-based) of `N` simulates its share of a sweep into its
//! own file, `<results>/shards/<I>-of-<N>.jsonl` ([`super::file`]); `sim merge` later
//! combines the shards into the `results.csv` a single run writes, bit for bit in every count.
//!
//! Work units, and who owns them:
//! - **Link-level points** are simulated in groups of `block::engine::GROUP_BATCHES` batches, and group `g`
//!   of a point draws from the same streams and has the same size whether a single run or a shard
//!   simulates it (`block::engine::group_batches`). Shard `I` owns groups `I, I+N, I+2N, …` of every point.
//!   A single run stops a point after the first `G` groups, where `G` is fixed by the stopping rule
//!   (`min_frame_errors` reached, else `max_frames` spent); `sim merge` replays that rule over the
//!   recorded groups in order (`block::engine::replay_stop_rule`), so it needs exactly groups `0..G` and
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
//!
//! A point that already has a row in the results folder, kept as a single run would keep it
//! (`link::sweep::folder::KeptRows`: the same configuration, or one that only gained schemes or SNR
//! points), is skipped by every shard, and `sim merge` takes the row. So a grid extended after a
//! run, or a sweep a single run began, is finished on a cluster without redoing its points.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::file::{
    read_shard, short, GroupRecord, Record, RunStamp, ShardHeader, ShardId, ShardTail, ShardWriter, TextBatchRecord,
};
use crate::link::block::engine::{group_batches, run_group, FrameSimulator};
use crate::link::events::{Event, Sink};
use crate::link::facts::SchemeFacts;
use crate::link::message::{batches, Batch, MessageSet};
use crate::link::paths::project_root_for;
use crate::link::schemes::build_schemes;
use crate::link::sweep::folder::{config_hash, KeptRows};
use crate::link::sweep::message::PreparedMessages;
use crate::link::sweep::plan::plan;
use crate::link::sweep::SweepOptions;
use crate::report;
use crate::scenario::LoadedScenario;

pub struct ShardSummary {
    pub path: PathBuf,
    /// Work units simulated by this invocation, and units found already recorded.
    pub simulated: u64,
    pub recorded_before: u64,
}

/// The run's identity as recorded in every shard line.
pub fn run_stamp(loaded: &LoadedScenario) -> RunStamp {
    RunStamp { config_hash: config_hash(&loaded.scenario), seed: loaded.scenario.seed, version: crate::version() }
}

pub fn run_shard(
    loaded: &LoadedScenario,
    opts: &SweepOptions,
    shard: ShardId,
    sink: &mut dyn Sink,
) -> anyhow::Result<ShardSummary> {
    let s = &loaded.scenario;
    let out_dir = opts.out_dir(loaded);
    let dir = out_dir.join("shards");
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create the shards folder", dir.display()))?;
    let stamp = run_stamp(loaded);
    // Points the results folder already holds rows for (a grid that gained points, schemes added,
    // a single run that did part of the sweep) are not simulated again: `sim merge` takes those
    // rows. With --fresh this shard ignores them, as it ignores its own file.
    let kept = if opts.fresh {
        KeptRows::default()
    } else {
        let remedy = "run the shards with --out elsewhere";
        KeptRows::read(&out_dir, s, false, remedy, sink)
            .with_context(|| format!("shard {shard}: reading the rows the results folder holds"))?
    };
    if !kept.rows.is_empty() {
        let note = format!(
            "{}: {} points have rows there; shard {shard} skips them and `sim merge` keeps those rows",
            out_dir.join("results.csv").display(),
            kept.rows.len()
        );
        sink.event(Event::Note(&note));
    }
    let done: HashSet<(String, u64)> = kept.rows.iter().map(|r| (r.scheme.clone(), r.snr_db.to_bits())).collect();

    let (facts, prepared, link) = if s.is_text_link() {
        let (messages, schemes) = build_schemes(loaded, !opts.quiet)?;
        let prepared = PreparedMessages::prepare(loaded, messages, schemes, &out_dir, sink)?;
        (prepared.facts.clone(), Some(prepared), None)
    } else {
        let scheme = crate::link::level::build(s, &project_root_for(&loaded.path))
            .with_context(|| format!("{}: cannot build the scheme", loaded.path.display()))?;
        (vec![SchemeFacts::of_link(scheme.as_ref())], None, Some(scheme))
    };
    let remedy = "rerun the shards with --fresh (they then redo every point) or with --out elsewhere";
    kept.check_schemes(&out_dir, &facts, remedy)?;
    let header = ShardHeader {
        shard,
        scenario_name: s.name.clone(),
        scenario_file: loaded.path.display().to_string(),
        overrides: opts.overrides.clone(),
        config: serde_json::to_value(s)?,
        schemes: facts,
        messages: match prepared.as_ref().map(|t| &t.messages) {
            Some(MessageSet::Text(t)) => t.texts.clone(),
            _ => Vec::new(),
        },
        text_set: prepared.as_ref().map(PreparedMessages::set_size),
        tiles_sha256: match prepared.as_ref().map(|t| &t.messages) {
            Some(MessageSet::Image(t)) => Some(t.sha256()),
            _ => None,
        },
        frames_sha256: match prepared.as_ref().map(|t| &t.messages) {
            Some(MessageSet::Audio(f)) => Some(f.sha256()),
            _ => None,
        },
        reference: prepared.as_ref().map_or(0, |t| t.reference),
        started_unix: report::run_info::unix_now(),
    };
    let path = dir.join(shard.file_name());
    let (mut writer, recorded) = open_own_file(&path, &stamp, &header, opts.fresh, sink)?;
    let recorded_before = recorded.len() as u64;
    let mut job = ShardJob { shard, writer: &mut writer, recorded, done, simulated: 0, sink };
    match (&prepared, &link) {
        (Some(prepared), _) => job.message_points(loaded, prepared)?,
        (None, Some(scheme)) => job.link_points(loaded, scheme.as_ref(), KnownGroups::new(&dir, shard, &stamp))?,
        (None, None) => unreachable!("a scenario is a text link or a link-level one"),
    }
    Ok(ShardSummary { path, simulated: job.simulated, recorded_before })
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
    sink: &mut dyn Sink,
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
            let (writer, note) = ShardWriter::resume(&c)?;
            if let Some(note) = note {
                sink.event(Event::Note(&note));
            }
            return Ok((writer, recorded));
        }
    }
    Ok((ShardWriter::create(path, stamp, header)?, HashMap::new()))
}

struct ShardJob<'a> {
    shard: ShardId,
    writer: &'a mut ShardWriter,
    recorded: Recorded,
    /// Points with a row in the results folder, by (scheme, SNR bits): not simulated.
    done: HashSet<(String, u64)>,
    simulated: u64,
    sink: &'a mut dyn Sink,
}

impl ShardJob<'_> {
    /// This shard's groups of every point, each point stopped by the rules of the module doc.
    fn link_points(
        &mut self,
        loaded: &LoadedScenario,
        scheme: &dyn FrameSimulator,
        mut known: KnownGroups,
    ) -> anyhow::Result<()> {
        let s = &loaded.scenario;
        let stop = &s.stop;
        for record in self.recorded.values() {
            if let Record::Group(r) = record {
                known.insert(r);
            }
        }
        let name = scheme.label().to_string();
        for p in plan(&[SchemeFacts::of_link(scheme)], s, 0) {
            let value = p.value_db;
            if self.done.contains(&(name.clone(), value.to_bits())) {
                continue;
            }
            let key = |g: u64| (name.clone(), value.to_bits(), g);
            let (mut mine, mut new) = (0u64, 0u64);
            let mut g = self.shard.index;
            while group_batches(stop, g).is_some() {
                if !self.recorded.contains_key(&key(g)) {
                    known.poll();
                    if known.frame_errors_below(&name, value, g, stop.min_frame_errors) >= stop.min_frame_errors {
                        break;
                    }
                    let started = std::time::Instant::now();
                    let counts =
                        run_group(scheme, &p.point, s.seed, stop, g).expect("the group is within the frame budget");
                    let record = GroupRecord {
                        scheme: name.clone(),
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
            let shard = self.shard.to_string();
            self.sink.event(Event::ShardPoint {
                shard: &shard,
                scheme: &name,
                snr_db: value,
                own: mine,
                new,
                unit: "groups",
            });
        }
        Ok(())
    }

    /// This shard's message batches of every point: sent and received a few at a time (a round of
    /// one batch per thread keeps the CPUs busy, and a kill loses little).
    fn message_points(&mut self, loaded: &LoadedScenario, prepared: &PreparedMessages) -> anyhow::Result<()> {
        let s = &loaded.scenario;
        let batches = batches(prepared.messages.len() * s.repeats(), s.batch_messages());
        let per_round = rayon::current_num_threads().max(1);
        for p in plan(&prepared.facts, s, batches.len() as u64) {
            let scheme = &prepared.schemes[p.scheme];
            let name = &prepared.facts[p.scheme].name;
            let value = p.value_db;
            if self.done.contains(&(name.clone(), value.to_bits())) {
                continue;
            }
            let todo: Vec<Batch> = batches
                .iter()
                .filter(|b| {
                    self.shard.owns(p.first_unit + b.index)
                        && !self.recorded.contains_key(&(name.clone(), value.to_bits(), b.index))
                })
                .cloned()
                .collect();
            for round in todo.chunks(per_round) {
                let started = std::time::Instant::now();
                let outcomes = scheme.run_batches(&p.point, s.seed, round, &mut |_| {})?;
                let seconds = started.elapsed().as_secs_f64() / round.len() as f64;
                for (b, outcome) in round.iter().zip(outcomes) {
                    let record = Record::TextBatch(TextBatchRecord {
                        scheme: name.clone(),
                        snr_db: value,
                        batch: b.index,
                        outcome,
                        seconds,
                    });
                    self.writer.append(&record)?;
                    self.recorded.insert((name.clone(), value.to_bits(), b.index), record);
                    self.simulated += 1;
                }
            }
            if !todo.is_empty() {
                let shard = self.shard.to_string();
                let own = todo.len() as u64;
                self.sink.event(Event::ShardPoint {
                    shard: &shard,
                    scheme: name,
                    snr_db: value,
                    own,
                    new: own,
                    unit: "message batches",
                });
            }
        }
        Ok(())
    }
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
