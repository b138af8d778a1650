//! Shard files: the partial results of `sim run --shard I/N`, one checksummed JSON record a line.
//!
//! `<results>/shards/<I>-of-<N>.jsonl` holds shard `I`'s work and nothing else. Every line is
//!
//! ```text
//! <sha256 of the JSON, 64 hex digits> <JSON>\n
//! ```
//!
//! and every JSON object carries the run's `config_hash`, `seed` and `version` beside its `record`,
//! so a line is checked on its own (a flipped byte anywhere fails its checksum) and cannot be mistaken
//! for a line of another run. The first record is the [`ShardHeader`] (which shard, the resolved
//! scenario, the facts rows need); the others are units of work: a link-level [`GroupRecord`] or a
//! text [`TextBatchRecord`].
//!
//! Writes: the file is created with its header by a temporary file and a rename; each record is then
//! appended as one line with a single write and an fsync, so a crash leaves at most one line without
//! its final newline. Such a *truncated* last line is reported by [`read_shard`] (not an error
//! there): the shard, when rerun, drops it (rewriting the file atomically) and redoes that unit;
//! `sim merge` refuses the file until then. A complete line that fails its checksum or does not
//! parse is corruption, and an error naming the file and line for everyone.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::link::facts::{SchemeFacts, SetSize};
use crate::link::message::BatchOutcome;
use crate::metrics::ErrorCounts;
use crate::report::write_atomic;

/// Shard `index` of `count` (0-based: `0/4` … `3/4`, as SLURM numbers array tasks `0-3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardId {
    pub index: u64,
    pub count: u64,
}

impl ShardId {
    /// `<I>-of-<N>.jsonl`.
    pub fn file_name(&self) -> String {
        format!("{}-of-{}.jsonl", self.index, self.count)
    }

    /// Does this shard own work unit `unit` (units are dealt out round-robin)?
    pub fn owns(&self, unit: u64) -> bool {
        unit % self.count == self.index
    }

    /// Parses a shard file name back (`None` for any other file).
    pub fn from_file_name(name: &str) -> Option<ShardId> {
        let (i, n) = name.strip_suffix(".jsonl")?.split_once("-of-")?;
        let id = ShardId { index: i.parse().ok()?, count: n.parse().ok()? };
        (id.index < id.count && id.file_name() == name).then_some(id)
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("'{s}' is not a shard: write I/N with 0 <= I < N, e.g. 0/4 (SLURM: $SLURM_ARRAY_TASK_ID/N)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let id = ShardId { index: i.trim().parse().map_err(|_| bad())?, count: n.trim().parse().map_err(|_| bad())? };
        if id.count == 0 || id.index >= id.count {
            return Err(bad());
        }
        Ok(id)
    }
}

/// What ties a record to one run: results mix only when all three agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStamp {
    pub config_hash: String,
    pub seed: u64,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    pub shard: ShardId,
    pub scenario_name: String,
    pub scenario_file: String,
    pub overrides: Vec<String>,
    /// The resolved scenario (its sha256 is the stamp's `config_hash`).
    pub config: serde_json::Value,
    /// Every scheme of the run, in the scenario's order.
    pub schemes: Vec<SchemeFacts>,
    /// Text link only: the messages sent (item `j` of a point is message `j mod M`). Message links:
    /// the message set's size, and the reference scheme of the unified SNR axis.
    pub messages: Vec<String>,
    pub text_set: Option<SetSize>,
    /// Image link only: sha256 of the tiles sent (`TileSet::sha256`); the merge loads the tiles from
    /// the scenario again and scores against them only if they hash to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiles_sha256: Option<String>,
    /// Audio link only: sha256 of the frames sent (`FrameSet::sha256`), checked by the merge as
    /// `tiles_sha256` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames_sha256: Option<String>,
    pub reference: usize,
    pub started_unix: u64,
}

/// Link-level unit: group `group` (see `link::block::engine::group_batches`) of `scheme` at `snr_db`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub scheme: String,
    pub snr_db: f64,
    pub group: u64,
    pub counts: ErrorCounts,
    pub seconds: f64,
}

/// Message unit: batch `batch` of `scheme` at `snr_db`, sent and received: its counts and the items
/// the receiver decoded (the others arrived exactly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextBatchRecord {
    pub scheme: String,
    pub snr_db: f64,
    pub batch: u64,
    pub outcome: BatchOutcome,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Record {
    Header(ShardHeader),
    Group(GroupRecord),
    TextBatch(TextBatchRecord),
}

impl Record {
    /// The point and unit a work record is about (`None` for the header).
    pub fn unit(&self) -> Option<(&str, f64, u64)> {
        match self {
            Record::Header(_) => None,
            Record::Group(g) => Some((&g.scheme, g.snr_db, g.group)),
            Record::TextBatch(t) => Some((&t.scheme, t.snr_db, t.batch)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    config_hash: String,
    seed: u64,
    version: String,
    record: Record,
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// One line of a shard file, newline included.
fn encode_line(stamp: &RunStamp, record: &Record) -> Vec<u8> {
    let line = Line {
        config_hash: stamp.config_hash.clone(),
        seed: stamp.seed,
        version: stamp.version.clone(),
        record: record.clone(),
    };
    let json = serde_json::to_string(&line).expect("a record serializes");
    format!("{} {json}\n", sha256_hex(json.as_bytes())).into_bytes()
}

/// Checks and parses one line (without its newline).
fn decode_line(bytes: &[u8]) -> Result<(RunStamp, Record), String> {
    if bytes.len() < 66 || bytes[64] != b' ' {
        return Err("not a shard record (expected a 64-digit checksum, a space and JSON)".into());
    }
    let (sum, json) = (&bytes[..64], &bytes[65..]);
    if sum != sha256_hex(json).as_bytes() {
        return Err("checksum mismatch: the record was altered or damaged after it was written".into());
    }
    let line: Line =
        serde_json::from_slice(json).map_err(|e| format!("checksum matches but the record does not parse: {e}"))?;
    Ok((RunStamp { config_hash: line.config_hash, seed: line.seed, version: line.version }, line.record))
}

/// A shard file as read back.
#[derive(Debug, Clone)]
pub struct ShardContents {
    pub path: PathBuf,
    pub stamp: RunStamp,
    pub header: ShardHeader,
    /// Work records with their 1-based line numbers.
    pub records: Vec<(usize, Record)>,
    /// 1-based number of a last line cut short (no newline): an interrupted write.
    pub truncated_line: Option<usize>,
    /// Bytes of the complete lines (where a truncated line starts).
    pub complete_len: u64,
}

/// Reads and checks a whole shard file: every complete line must pass its checksum, carry the
/// header's stamp, and only the first may be a header.
pub fn read_shard(path: &Path) -> anyhow::Result<ShardContents> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read shard file", path.display()))?;
    let err = |line: usize, msg: String| anyhow::anyhow!("{}: line {line}: {msg}", path.display());
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut lines = bytes[..complete_len].split(|&b| b == b'\n');
    lines.next_back(); // the empty piece after the last newline
    let mut header: Option<(RunStamp, ShardHeader)> = None;
    let mut records = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i + 1;
        let (stamp, record) = decode_line(line).map_err(|m| err(n, m))?;
        match (&header, record) {
            (None, Record::Header(h)) => header = Some((stamp, h)),
            (None, _) => return Err(err(n, "the first record is not the shard's header".into())),
            (Some(_), Record::Header(_)) => return Err(err(n, "a second header".into())),
            (Some((first, _)), record) => {
                if &stamp != first {
                    return Err(err(
                        n,
                        format!(
                            "this record belongs to another run (config_hash {}, seed {}, version {})",
                            short(&stamp.config_hash),
                            stamp.seed,
                            stamp.version
                        ),
                    ));
                }
                records.push((n, record));
            }
        }
    }
    let line_count = records.len() + header.is_some() as usize;
    let truncated_line = (complete_len < bytes.len()).then_some(line_count + 1);
    let Some((stamp, header)) = header else {
        anyhow::bail!(
            "{}: no complete header line{}",
            path.display(),
            if truncated_line.is_some() { " (the file was cut short while being created)" } else { " (empty file)" }
        );
    };
    Ok(ShardContents {
        path: path.to_path_buf(),
        stamp,
        header,
        records,
        truncated_line,
        complete_len: complete_len as u64,
    })
}

pub(crate) fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// Appends records to a shard's own file.
pub struct ShardWriter {
    path: PathBuf,
    file: File,
    stamp: RunStamp,
}

impl ShardWriter {
    /// Creates `path` holding only `header` (atomically: a reader sees no file or a whole header).
    pub fn create(path: &Path, stamp: &RunStamp, header: &ShardHeader) -> anyhow::Result<Self> {
        write_atomic(path, &encode_line(stamp, &Record::Header(header.clone())))?;
        Self::open_append(path, stamp)
    }

    /// Reopens a file read by [`read_shard`] for appending, first dropping a truncated last line
    /// (the file is rewritten with its complete lines, atomically). Returns the writer and, when a
    /// line was dropped, a note saying so for the caller to pass on.
    pub fn resume(contents: &ShardContents) -> anyhow::Result<(Self, Option<String>)> {
        let mut note = None;
        if let Some(line) = contents.truncated_line {
            let bytes =
                std::fs::read(&contents.path).with_context(|| format!("{}: cannot read", contents.path.display()))?;
            write_atomic(&contents.path, &bytes[..contents.complete_len as usize])?;
            note = Some(format!(
                "{}: line {line} was cut short by an interrupted write; dropped, its work is done again",
                contents.path.display()
            ));
        }
        Ok((Self::open_append(&contents.path, &contents.stamp)?, note))
    }

    fn open_append(path: &Path, stamp: &RunStamp) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open for appending", path.display()))?;
        Ok(ShardWriter { path: path.to_path_buf(), file, stamp: stamp.clone() })
    }

    /// Appends one record as one line, durably.
    pub fn append(&mut self, record: &Record) -> anyhow::Result<()> {
        let line = encode_line(&self.stamp, record);
        self.file
            .write_all(&line)
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("{}: cannot append", self.path.display()))
    }
}

/// Follows another shard's file as it grows (while this shard runs), yielding the work records of
/// its complete lines once each. A file that turns out damaged, or from another run, is left alone
/// from then on (`sim merge` will report it); this shard then simply does not count on its work.
pub struct ShardTail {
    pub path: PathBuf,
    offset: u64,
    stamp: RunStamp,
    given_up: bool,
}

impl ShardTail {
    pub fn new(path: PathBuf, stamp: RunStamp) -> Self {
        ShardTail { path, offset: 0, stamp, given_up: false }
    }

    /// Work records appended since the last call.
    pub fn poll(&mut self) -> Vec<Record> {
        if self.given_up {
            return Vec::new();
        }
        let mut bytes = Vec::new();
        let read = File::open(&self.path)
            .and_then(|mut f| f.seek(SeekFrom::Start(self.offset)).and_then(|_| f.read_to_end(&mut bytes)));
        if read.is_err() {
            return Vec::new(); // not there (yet), or gone: nothing to count on
        }
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut out = Vec::new();
        for line in bytes[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            match decode_line(line) {
                Ok((stamp, record)) if stamp == self.stamp => {
                    if !matches!(record, Record::Header(_)) {
                        out.push(record);
                    }
                }
                Ok(_) | Err(_) => {
                    self.given_up = true;
                    return Vec::new();
                }
            }
        }
        self.offset += complete as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> RunStamp {
        RunStamp { config_hash: "ab".repeat(32), seed: 7, version: "0.1.0 (test)".into() }
    }

    fn header() -> ShardHeader {
        ShardHeader {
            shard: ShardId { index: 1, count: 4 },
            scenario_name: "t".into(),
            scenario_file: "t.toml".into(),
            overrides: vec![],
            config: serde_json::json!({"seed": 7}),
            schemes: vec![],
            messages: vec![],
            text_set: None,
            tiles_sha256: None,
            frames_sha256: None,
            reference: 0,
            started_unix: 0,
        }
    }

    fn group(g: u64) -> Record {
        Record::Group(GroupRecord {
            scheme: "s".into(),
            snr_db: 0.1 + g as f64,
            group: g,
            counts: ErrorCounts { frames: 10, frame_errors: g, ..Default::default() },
            seconds: 0.5,
        })
    }

    #[test]
    fn shard_ids_parse_and_name_their_files() {
        let id: ShardId = "3/4".parse().unwrap();
        assert_eq!(id, ShardId { index: 3, count: 4 });
        assert_eq!(id.file_name(), "3-of-4.jsonl");
        assert_eq!(ShardId::from_file_name("3-of-4.jsonl"), Some(id));
        assert_eq!(ShardId::from_file_name("4-of-4.jsonl"), None);
        assert_eq!(ShardId::from_file_name("03-of-4.jsonl"), None);
        for bad in ["4/4", "1/0", "1", "a/4", "-1/4"] {
            assert!(bad.parse::<ShardId>().is_err(), "{bad}");
        }
        assert!(id.owns(7) && !id.owns(8));
    }

    #[test]
    fn records_round_trip_and_a_cut_line_is_reported_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1-of-4.jsonl");
        let mut w = ShardWriter::create(&path, &stamp(), &header()).unwrap();
        w.append(&group(1)).unwrap();
        w.append(&group(5)).unwrap();
        let c = read_shard(&path).unwrap();
        assert_eq!((c.header.clone(), c.stamp.clone(), c.truncated_line), (header(), stamp(), None));
        assert_eq!(c.records, vec![(2, group(1)), (3, group(5))]);

        // Cut the last line short: the first two stay, the third is reported and dropped on resume.
        let len = std::fs::metadata(&path).unwrap().len();
        OpenOptions::new().write(true).open(&path).unwrap().set_len(len - 10).unwrap();
        let c = read_shard(&path).unwrap();
        assert_eq!((c.records.len(), c.truncated_line), (1, Some(3)));
        let (mut w, note) = ShardWriter::resume(&c).unwrap();
        assert!(note.is_some_and(|n| n.contains("cut short")), "the dropped line is reported");
        w.append(&group(9)).unwrap();
        let c = read_shard(&path).unwrap();
        assert_eq!(c.records, vec![(2, group(1)), (3, group(9))]);
        assert_eq!(c.truncated_line, None);
    }

    #[test]
    fn a_flipped_byte_or_a_foreign_record_is_an_error_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1-of-4.jsonl");
        let mut w = ShardWriter::create(&path, &stamp(), &header()).unwrap();
        w.append(&group(1)).unwrap();
        w.append(&group(2)).unwrap();
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        let second_line = good.iter().position(|&b| b == b'\n').unwrap() + 1;
        bad[second_line + 100] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        let e = read_shard(&path).unwrap_err().to_string();
        assert!(e.contains("1-of-4.jsonl: line 2: checksum mismatch"), "{e}");

        // A line of another run, correctly checksummed, appended to this file.
        let other = RunStamp { seed: 8, ..stamp() };
        let mut mixed = good.clone();
        mixed.extend(encode_line(&other, &group(3)));
        std::fs::write(&path, &mixed).unwrap();
        let e = read_shard(&path).unwrap_err().to_string();
        assert!(e.contains("line 4: this record belongs to another run"), "{e}");
    }

    #[test]
    fn a_tail_sees_complete_lines_once_and_ignores_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1-of-4.jsonl");
        let mut tail = ShardTail::new(path.clone(), stamp());
        assert!(tail.poll().is_empty(), "no file yet");
        let mut w = ShardWriter::create(&path, &stamp(), &header()).unwrap();
        w.append(&group(1)).unwrap();
        assert_eq!(tail.poll(), vec![group(1)]);
        // Half a line: not yet.
        let line = encode_line(&stamp(), &group(2));
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&line[..20]).unwrap();
        assert!(tail.poll().is_empty());
        f.write_all(&line[20..]).unwrap();
        assert_eq!(tail.poll(), vec![group(2)]);
        assert!(tail.poll().is_empty());
        // Damage: the tail stops trusting the file.
        let mut damaged = line.clone();
        damaged[70] ^= 1;
        f.write_all(&damaged).unwrap();
        f.write_all(&encode_line(&stamp(), &group(3))).unwrap();
        assert!(tail.poll().is_empty());
    }
}
