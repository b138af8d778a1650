//! The results folder of a run: `results.csv`, `run.json`, and the policy for what a folder may be
//! reused for.
//!
//! The folder is tied to its configuration by `run.json`'s `config_hash` (sha256 of the resolved
//! scenario), written (atomically) before the first row. Rerunning the same configuration skips the
//! points already in `results.csv`; rows of a different configuration, or rows whose `run.json` is
//! missing (nothing says what made them), are refused unless `--fresh` is given, so results from two
//! configurations never mix; the exception is a scenario that only gained schemes or SNR points, or
//! changed schemes without rows, whose rows stay ([`changed_for_rows`] says what may change). A
//! folder without rows is anyone's. Each row's timing in `run.json` carries the sha256 of the row's
//! line (all but `seconds`) and of its point's samples; a row that no longer matches, or whose
//! samples are missing, is simulated again. `run.json` also records what each message scheme is (its facts,
//! with the sha256 of its model or weights): a scheme that changed under the same configuration is
//! refused while it has rows. [`KeptRows`] reads what a folder keeps, for a single run
//! ([`ResultsFolder`]), for shards (which skip those points) and for `sim merge` (which takes
//! those rows where no shard simulated the point). One run writes into a folder at a time:
//! [`FolderLock`], an advisory lock on `<folder>/.lock`, held until the process ends (shards write
//! only their own files and do not take it).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::SweepOptions;
use crate::link::events::{Event, Sink};
use crate::link::facts::SchemeFacts;
use crate::report::run_info::PointTiming;
use crate::report::{self, ResultRow, ResultsFile, RunInfo, SampleRow};
use crate::scenario::{LoadedScenario, Scenario};

/// An exclusive advisory lock on a results folder (`flock` on `<folder>/.lock`), released when it
/// is dropped or the process ends, however it ends. The file names its holder for whoever finds
/// the folder taken.
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    pub fn acquire(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("{}: cannot open the results folder's lock", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                let holder = format!(
                    "pid {} since unix time {}: {}",
                    std::process::id(),
                    report::run_info::unix_now(),
                    std::env::args().collect::<Vec<_>>().join(" ")
                );
                file.set_len(0)?;
                file.rewind()?;
                file.write_all(holder.as_bytes())?;
                Ok(FolderLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                anyhow::bail!(
                    "{}: another run is writing into this folder ({}); wait for it to finish or use --out",
                    dir.display(),
                    if holder.is_empty() { "holder unknown" } else { holder.trim() }
                )
            }
            Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("{}: cannot lock", path.display())),
        }
    }
}

/// sha256 of the resolved configuration.
pub fn config_hash(s: &Scenario) -> String {
    let json = serde_json::to_vec(s).expect("a scenario serializes");
    format!("{:x}", Sha256::digest(&json))
}

/// Why rows written under the resolved scenario `then` are not rows of `scenario`, or `None` if they
/// are. Besides an identical scenario, one that gained schemes, or changed only its description or
/// schemes without rows, keeps the rows (`rows` lists each one's scheme and SNR): a scheme's results
/// depend only on the shared settings, its own, the name its noise is drawn under (a stream per
/// scheme name, `link::stream_id_of`) and the unified SNR's reference scheme (`unified.reference`,
/// else the first scheme), which must therefore stay the same, unchanged.
///
/// The SNR grids (`snr.values_db`, a scheme's `snr_values_db`) may change too, as long as every row's
/// point is still in its scheme's grid: a point's noise is drawn from streams keyed by its SNR value
/// (`link::stream`), never by its place in the grid, so a row is what a fresh run of the new grid
/// would give there. The axis may not change. A point dropped from the grid while it has a row is
/// refused rather than deleted or left behind.
fn changed_for_rows(then: &serde_json::Value, scenario: &Scenario, rows: &[(&str, f64)]) -> Option<String> {
    use serde_json::{Map, Value};
    let now = serde_json::to_value(scenario).expect("a scenario serializes");
    let (Some(then), Some(now)) = (then.as_object(), now.as_object()) else {
        return Some("run.json's configuration is unreadable".into());
    };
    /// `config` without its SNR grids, which [`changed_for_rows`] checks point by point.
    fn without_grids(config: &Map<String, Value>) -> Map<String, Value> {
        let mut config = config.clone();
        if let Some(Value::Object(snr)) = config.get_mut("snr") {
            snr.remove("values_db");
        }
        if let Some(Value::Array(schemes)) = config.get_mut("schemes") {
            for scheme in schemes.iter_mut().filter_map(Value::as_object_mut) {
                scheme.remove("snr_values_db");
            }
        }
        config
    }
    fn schemes(config: &Map<String, Value>) -> &[Value] {
        config.get("schemes").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }
    fn name(scheme: &Value) -> &str {
        scheme.get("name").and_then(Value::as_str).unwrap_or("")
    }
    fn scheme<'a>(config: &'a Map<String, Value>, wanted: &str) -> Option<&'a Value> {
        schemes(config).iter().find(|x| name(x) == wanted)
    }
    fn reference(config: &Map<String, Value>) -> &str {
        let named = config.get("unified").and_then(|u| u.get("reference")).and_then(Value::as_str).unwrap_or("");
        if named.is_empty() {
            schemes(config).first().map_or("", name)
        } else {
            named
        }
    }
    let (then_fixed, now_fixed) = (without_grids(then), without_grids(now));
    let keys: std::collections::BTreeSet<&String> = then_fixed.keys().chain(now_fixed.keys()).collect();
    // `description` is prose: it changes no result.
    let shared = |k: &&String| k.as_str() != "schemes" && k.as_str() != "description";
    if let Some(key) = keys.into_iter().filter(shared).find(|&k| then_fixed.get(k) != now_fixed.get(k)) {
        return Some(format!("`{key}` changed"));
    }
    let (reference_then, reference_now) = (reference(then), reference(now));
    if reference_then != reference_now {
        return Some(format!(
            "the unified SNR's reference scheme changed ('{reference_then}' then, '{reference_now}' now)"
        ));
    }
    if scheme(&then_fixed, reference_now) != scheme(&now_fixed, reference_now) {
        return Some(format!("scheme '{reference_now}', the unified SNR's reference, changed"));
    }
    // A link-level scenario has no `schemes`: its rows are its one link's, which the shared settings
    // describe whole.
    let link_level = schemes(then).is_empty() && schemes(now).is_empty();
    let mut names: Vec<&str> = rows.iter().map(|&(name, _)| name).collect();
    names.sort_unstable();
    names.dedup();
    let changed = names.into_iter().filter(|_| !link_level).find_map(|name| {
        match (scheme(&then_fixed, name), scheme(&now_fixed, name)) {
            (Some(a), Some(b)) if a == b => None,
            (_, None) => Some(format!("scheme '{name}' has rows here but is not in the scenario")),
            _ => Some(format!("scheme '{name}' changed")),
        }
    });
    changed.or_else(|| {
        // `snr_values` falls back to the shared grid for a link-level scenario's one link too.
        rows.iter().find(|&&(name, snr_db)| !scenario.snr_values(name).contains(&snr_db)).map(|&(name, snr_db)| {
            let whose = if link_level { "the scenario's".to_string() } else { format!("scheme '{name}''s") };
            format!(
                "{whose} row at {snr_db} dB is a point its SNR list no longer holds; put the point back to \
                     keep the row"
            )
        })
    })
}

/// The rows of a results folder that a run of a scenario keeps, with what the folder says about
/// them: each row's timing (checksums of its line and samples), its samples, and the facts
/// `run.json` recorded for each message scheme. Reading writes nothing; a single run
/// ([`ResultsFolder`]), a shard (which skips the points kept) and `sim merge` (which takes them
/// where no shard simulated them) read the same way.
#[derive(Default)]
pub struct KeptRows {
    pub rows: Vec<ResultRow>,
    /// `samples.csv`'s rows, of the points in `rows`.
    pub samples: Vec<SampleRow>,
    /// `run.json`'s timings, of the points in `rows`.
    pub timings: Vec<PointTiming>,
    /// The facts `run.json` recorded for each message scheme (its model or weights hash).
    pub schemes: serde_json::Map<String, serde_json::Value>,
}

impl KeptRows {
    /// The rows in `out_dir` that are results of `s` (see the module doc), less a last row cut
    /// short, rows that no longer match their checksums and rows whose samples are missing, each
    /// said to `sink`. Rows of another configuration are refused, the error ending with `remedy`
    /// (what the caller's user can do about it). `fresh`: keep nothing.
    pub fn read(out_dir: &Path, s: &Scenario, fresh: bool, remedy: &str, sink: &mut dyn Sink) -> anyhow::Result<Self> {
        let hash = config_hash(s);
        let run_json = out_dir.join("run.json");
        let csv = out_dir.join("results.csv");
        // --fresh starts over whatever the folder holds: another configuration, or the same one whose
        // rows must be redone (e.g. retrained weights under the same path).
        let read = if fresh || !csv.exists() { Default::default() } else { report::read_complete_rows(&csv)? };
        let previous = if fresh || !run_json.exists() { None } else { Some(RunInfo::load(&run_json)?) };
        let mut timings = Vec::new();
        let mut previous_schemes = serde_json::Map::new();
        let with_rows: Vec<(&str, f64)> = read.rows.iter().map(|r| (r.scheme.as_str(), r.snr_db)).collect();
        match &previous {
            Some(p) if p.config_hash == hash => (timings, previous_schemes) = (p.timings.clone(), p.schemes.clone()),
            Some(p) if !read.rows.is_empty() => match changed_for_rows(&p.config, s, &with_rows) {
                None => {
                    let note = format!(
                        "{}: the scenario changed only where no row here depends on it (schemes or SNR \
                             points without rows); the rows here are kept",
                        out_dir.display()
                    );
                    sink.event(Event::Note(&note));
                    (timings, previous_schemes) = (p.timings.clone(), p.schemes.clone());
                }
                Some(why) => anyhow::bail!(
                    "{} holds results of a different configuration ({why}; config_hash {} vs {}); {remedy}",
                    out_dir.display(),
                    &p.config_hash[..p.config_hash.len().min(12)],
                    &hash[..12]
                ),
            },
            None if !read.rows.is_empty() => anyhow::bail!(
                "{}: results.csv holds {} rows but run.json, which says what produced them, is missing; {remedy}",
                out_dir.display(),
                read.rows.len()
            ),
            _ => {}
        }
        if read.dropped_cut_row {
            let note = format!(
                "{}: dropped a last row cut short by an interrupted write; its point runs again",
                csv.display()
            );
            sink.event(Event::Note(&note));
        }
        // A row that no longer matches the checksum run.json recorded for it (damaged or edited since)
        // is redone, and said.
        let mut rows = read.rows;
        rows.retain(|r| {
            let recorded = timings.iter().find(|t| t.scheme == r.scheme && t.snr_db == r.snr_db);
            match recorded.and_then(|t| t.row_sha256.as_deref()) {
                Some(sum) if !r.matches_line_sha256(sum) => {
                    let note = format!(
                        "{}: the row of {} at {} dB does not match the checksum run.json recorded for it \
                         (changed since it was written); its point runs again",
                        csv.display(),
                        r.scheme,
                        r.snr_db
                    );
                    sink.event(Event::Note(&note));
                    false
                }
                _ => true,
            }
        });
        // A message point's samples are part of its output: a row whose samples are missing (the file
        // lost, damaged, or cut before the row was written) is redone.
        let samples_per_point = samples_per_point(s);
        let samples_csv = out_dir.join("samples.csv");
        let mut samples = Vec::new();
        if samples_per_point > 0 && !fresh && !rows.is_empty() {
            match report::read_samples(&samples_csv) {
                Ok(read) => samples = read,
                Err(e) => {
                    let note = format!("{e:#}; the points it showed run again");
                    sink.event(Event::Note(&note));
                }
            }
            rows.retain(|r| {
                let want = samples_per_point.min(r.messages.unwrap_or(0) as usize);
                let mine: Vec<SampleRow> =
                    samples.iter().filter(|x| x.scheme == r.scheme && x.snr_db == r.snr_db).cloned().collect();
                let recorded = timings.iter().find(|t| t.scheme == r.scheme && t.snr_db == r.snr_db);
                let problem = if mine.len() != want {
                    Some(format!("{} of its {want} samples are there", mine.len()))
                } else {
                    match recorded.and_then(|t| t.samples_sha256.as_deref()) {
                        Some(sum) if sum != report::samples_sha256(&mine) => {
                            Some("its samples do not match the checksum run.json recorded for them".to_string())
                        }
                        _ => None,
                    }
                };
                if let Some(problem) = &problem {
                    let note = format!(
                        "{}: {} at {} dB: {problem}; its point runs again",
                        samples_csv.display(),
                        r.scheme,
                        r.snr_db
                    );
                    sink.event(Event::Note(&note));
                }
                problem.is_none()
            });
        }
        let mut kept = KeptRows { rows, samples, timings, schemes: previous_schemes };
        // Samples and timings of rows dropped above (or lost to a crash mid-write) go with them.
        kept.retain(|_, _| true);
        Ok(kept)
    }

    /// True if the folder kept the row of `scheme` at `snr_db`.
    pub fn has(&self, scheme: &str, snr_db: f64) -> bool {
        self.rows.iter().any(|r| r.scheme == scheme && r.snr_db == snr_db)
    }

    /// The kept row of `scheme` at `snr_db` (which must be there: see [`KeptRows::has`]), with its
    /// `run.json` timing and its samples. A folder written before rows had timings gets one made
    /// from the row.
    pub fn point(&self, scheme: &str, snr_db: f64) -> (ResultRow, PointTiming, Vec<SampleRow>) {
        let row = self.rows.iter().find(|r| r.scheme == scheme && r.snr_db == snr_db).expect("a kept point").clone();
        let samples: Vec<SampleRow> =
            self.samples.iter().filter(|x| x.scheme == scheme && x.snr_db == snr_db).cloned().collect();
        let timing = match self.timings.iter().find(|t| t.scheme == scheme && t.snr_db == snr_db) {
            Some(t) => t.clone(),
            None if samples.is_empty() => PointTiming::of(&row, row.seconds, row.frames),
            None => PointTiming::of(&row, row.seconds, row.frames).with_samples(&samples),
        };
        (row, timing, samples)
    }

    /// Keeps the rows of the points `keep` names, with their samples and timings; drops samples and
    /// timings of points without a row.
    pub fn retain(&mut self, keep: impl Fn(&str, f64) -> bool) {
        self.rows.retain(|r| keep(&r.scheme, r.snr_db));
        let rows = &self.rows;
        let has = |scheme: &str, snr_db: f64| rows.iter().any(|r| r.scheme == scheme && r.snr_db == snr_db);
        self.samples.retain(|x| has(&x.scheme, x.snr_db));
        self.timings.retain(|t| has(&t.scheme, t.snr_db));
    }

    /// Refuses a message scheme with rows here whose facts differ from those `run.json` recorded
    /// for it ([`check_scheme_facts`]).
    pub fn check_schemes(&self, out_dir: &Path, facts: &[SchemeFacts], remedy: &str) -> anyhow::Result<()> {
        check_scheme_facts(out_dir, &self.rows, &self.schemes, facts, remedy)
    }
}

/// Refuses a message scheme with rows in `rows` whose facts differ from those recorded for it
/// (`recorded`, from `run.json`): another model or weights file under the same path, or another
/// encoding of the messages. Folders written before the facts were recorded are checked by what
/// they have.
fn check_scheme_facts(
    out_dir: &Path,
    rows: &[ResultRow],
    recorded: &serde_json::Map<String, serde_json::Value>,
    facts: &[SchemeFacts],
    remedy: &str,
) -> anyhow::Result<()> {
    for f in facts {
        let now = serde_json::to_value(f)?;
        let has_rows = rows.iter().any(|r| r.scheme == f.name);
        let Some(then) = recorded.get(&f.name).filter(|_| has_rows) else { continue };
        if then != &now {
            let sha = |v: &serde_json::Value| {
                v.pointer("/text/weights_sha256").and_then(|s| s.as_str()).map(|s| s[..s.len().min(12)].to_string())
            };
            let (a, b) = (sha(then), sha(&now));
            let what = if a != b {
                let show = |h: Option<String>| h.unwrap_or_else(|| "none".into());
                format!("other weights or another model file (sha256 {} then, {} now)", show(a), show(b))
            } else {
                format!("other facts ({})", changed_facts(then, &now))
            };
            anyhow::bail!(
                "{}: scheme '{}' has rows made with {what} under the same configuration; {remedy}",
                out_dir.display(),
                f.name
            );
        }
    }
    Ok(())
}

/// `metrics.samples` for a text link; 0 (no `samples.csv`) for a link-level one, and for image and
/// audio points, whose samples are pictures and clips.
fn samples_per_point(s: &Scenario) -> usize {
    if s.is_text_link() && s.modality() == crate::scenario::Modality::Text {
        s.metrics.samples
    } else {
        0
    }
}

/// A results folder opened for a run: rows already there, the open CSV and `run.json`.
///
/// Opening only reads and checks; the folder is first written by [`ResultsFolder::begin`] (called by
/// the first [`ResultsFolder::record`] at the latest), so a run refused after opening (e.g. a scheme's
/// own check of the folder) leaves `run.json` and `results.csv` as they were.
pub struct ResultsFolder {
    pub out_dir: PathBuf,
    file: Option<ResultsFile>,
    pub rows: Vec<ResultRow>,
    /// `samples.csv`'s rows, of the points in `rows`.
    samples: Vec<SampleRow>,
    /// `metrics.samples` for a message link; 0 (no `samples.csv`) for a link-level one.
    samples_per_point: usize,
    pub info: RunInfo,
    run_json: PathBuf,
    _lock: FolderLock,
}

/// What a single run's user can do about a folder it refuses.
const RUN_REMEDY: &str = "use --fresh to replace them or --out to write elsewhere";

impl ResultsFolder {
    /// Opens `results/<name>` (or `--out`) for this run: locks it, checks that its rows (if any)
    /// are this configuration's (see the module doc) and drops a last row cut short. Writes nothing:
    /// see [`ResultsFolder::begin`].
    pub fn open(loaded: &LoadedScenario, opts: &SweepOptions, sink: &mut dyn Sink) -> anyhow::Result<Self> {
        let s = &loaded.scenario;
        let out_dir = opts.out_dir(loaded);
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("{}: cannot create results folder", out_dir.display()))?;
        let lock = FolderLock::acquire(&out_dir)?;
        let kept = KeptRows::read(&out_dir, s, opts.fresh, RUN_REMEDY, sink)?;
        let info = RunInfo {
            scenario_name: s.name.clone(),
            scenario_file: loaded.path.display().to_string(),
            config_hash: config_hash(s),
            seed: s.seed,
            version: crate::version(),
            threads: rayon::current_num_threads(),
            overrides: opts.overrides.clone(),
            config: serde_json::to_value(s)?,
            timings: kept.timings,
            started_unix: report::run_info::unix_now(),
            finished_unix: None,
            shards: None,
            schemes: kept.schemes,
        };
        Ok(ResultsFolder {
            run_json: out_dir.join("run.json"),
            out_dir,
            file: None,
            rows: kept.rows,
            samples: kept.samples,
            samples_per_point: samples_per_point(s),
            info,
            _lock: lock,
        })
    }

    /// Writes this run's `run.json` (keeping the timings of the rows it resumes from), then rewrites
    /// `samples.csv` and `results.csv` with what was kept. Idempotent.
    pub fn begin(&mut self) -> anyhow::Result<()> {
        if self.file.is_none() {
            // run.json first: a crash between the two leaves a folder that says what its rows are.
            self.info.save(&self.run_json)?;
            if self.samples_per_point > 0 {
                report::write_samples(&self.out_dir, &self.samples)?;
            }
            self.file = Some(ResultsFile::create(&self.out_dir, &self.rows)?);
        }
        Ok(())
    }

    /// Checks the schemes this run built against those `run.json` recorded (a message link): a
    /// scheme with rows whose facts differ is refused ([`KeptRows::check_schemes`]); then records
    /// these.
    pub fn check_schemes(&mut self, facts: &[SchemeFacts]) -> anyhow::Result<()> {
        let remedy = "use --fresh or --out to start a new results folder";
        check_scheme_facts(&self.out_dir, &self.rows, &self.info.schemes, facts, remedy)?;
        for f in facts {
            self.info.schemes.insert(f.name.clone(), serde_json::to_value(f)?);
        }
        Ok(())
    }

    /// True if the folder already has the row of `scheme` at `snr_db`.
    pub fn has(&self, scheme: &str, snr_db: f64) -> bool {
        self.rows.iter().any(|r| r.scheme == scheme && r.snr_db == snr_db)
    }

    /// Appends a finished point to results.csv and its timing to run.json.
    /// `samples` go to `samples.csv` first (rewritten whole, atomically), so a row is never there
    /// without them.
    pub fn record(&mut self, row: ResultRow, frames: u64, samples: Vec<SampleRow>) -> anyhow::Result<()> {
        self.begin()?;
        let mut timing = report::run_info::PointTiming::of(&row, row.seconds, frames);
        if self.samples_per_point > 0 {
            timing = timing.with_samples(&samples);
            self.samples.extend(samples);
            report::write_samples(&self.out_dir, &self.samples)?;
        }
        self.file.as_mut().expect("begun").append(&row)?;
        self.info.timings.push(timing);
        self.info.save(&self.run_json)?;
        self.rows.push(row);
        Ok(())
    }

    /// Ends the run: rows in the single run's order (`order`: scheme and SNR of every point, as the
    /// plan walks them), so a folder whose points were redone out of turn (a damaged row) ends with
    /// the same `results.csv` as an uninterrupted run; then `run.json` marked finished.
    pub fn finish(mut self, order: &[(&str, f64)]) -> anyhow::Result<(PathBuf, Vec<ResultRow>)> {
        self.begin()?;
        let rank = |r: &ResultRow| order.iter().position(|&(s, v)| s == r.scheme && v == r.snr_db);
        let mut sorted = self.rows.clone();
        // Stable: rows of points not in `order` (none from this configuration) keep their places at the end.
        sorted.sort_by_key(|r| rank(r).unwrap_or(usize::MAX));
        if sorted != self.rows {
            self.file = Some(ResultsFile::create(&self.out_dir, &sorted)?);
            self.rows = sorted;
        }
        if self.samples_per_point > 0 {
            let point = |x: &SampleRow| order.iter().position(|&(s, v)| s == x.scheme && v == x.snr_db);
            let mut sorted = self.samples.clone();
            sorted.sort_by_key(|x| (point(x).unwrap_or(usize::MAX), x.message));
            if sorted != self.samples {
                report::write_samples(&self.out_dir, &sorted)?;
            }
        }
        self.info.finished_unix = Some(report::run_info::unix_now());
        self.info.save(&self.run_json)?;
        Ok((self.out_dir, self.rows))
    }
}

/// The facts that differ between two recorded scheme facts, as `name: A then, B now` (nested fields
/// by their dotted path), so a refusal names what changed rather than printing both records.
fn changed_facts(then: &serde_json::Value, now: &serde_json::Value) -> String {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                let null = serde_json::Value::Null;
                for k in keys {
                    let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(&sub, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
                }
            }
            _ if a != b => out.push(format!("{path}: {a} then, {b} now")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", then, now, &mut out);
    out.join("; ")
}
