//! The run folder of a training run and how a checkpoint is written to it and read back.
//!
//! Layout (the same for every task, so a folder tells by its weight file what it trains):
//!
//! - `<task>.safetensors`: the model's weights and metadata, f32 (the file inference loads);
//! - `adam.safetensors` ([`ADAM_FILE`]): the optimizer's moments (`m`, `v`), see [`Adam::save`];
//! - `state.json` ([`STATE_FILE`]): the task's own run state (step, logs, RNG positions, what the run
//!   was made with), written last, so it only ever points at complete weight and optimizer files.
//!
//! Every file is written to a temporary name and renamed into place: a run killed mid-checkpoint
//! leaves the previous checkpoint whole. Resuming reads the state, refuses a run whose
//! trajectory-defining settings differ (an error naming the state file and the differing fields),
//! and loads the optimizer at the saved step; the task then continues bit for bit on the same
//! machine and thread count.
//!
//! The state struct stays each task's own (their JSON fields differ, and existing run folders must
//! keep resuming); this module is generic over it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use candle_core::Var;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::core::adam::Adam;
use crate::core::weights;

/// The run state's file name inside a run folder.
pub const STATE_FILE: &str = "state.json";
/// The optimizer state's file name inside a run folder.
pub const ADAM_FILE: &str = "adam.safetensors";

/// A run folder: where a task's checkpoint lives.
#[derive(Debug, Clone)]
pub struct RunDir {
    dir: PathBuf,
    weights: PathBuf,
    state: PathBuf,
    adam: PathBuf,
}

impl RunDir {
    /// Creates `dir` (and its parents) if needed; `weights_file` is the task's weight-file name.
    pub fn create(dir: &Path, weights_file: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self::at(dir, weights_file))
    }

    /// The paths of a run folder, without touching the file system.
    pub fn at(dir: &Path, weights_file: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            weights: dir.join(weights_file),
            state: dir.join(STATE_FILE),
            adam: dir.join(ADAM_FILE),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn weights_path(&self) -> &Path {
        &self.weights
    }

    pub fn state_path(&self) -> &Path {
        &self.state
    }

    pub fn adam_path(&self) -> &Path {
        &self.adam
    }

    /// The saved run state to continue from: `Some` when `resume` is asked and the folder holds a
    /// state (a resume into an empty folder starts a fresh run, as `--resume` on a first
    /// invocation should).
    pub fn resume_state<S: DeserializeOwned>(&self, resume: bool) -> Result<Option<S>> {
        if !(resume && self.state.exists()) {
            return Ok(None);
        }
        self.read_state().map(Some)
    }

    /// Reads `state.json` as `S`.
    pub fn read_state<S: DeserializeOwned>(&self) -> Result<S> {
        read_state(&self.dir)
    }

    /// The optimizer saved with the checkpoint, at optimizer step `step` (the run state's count).
    pub fn load_adam(&self, params: &[(String, Var)], step: u64) -> Result<Adam> {
        Adam::load(&self.adam, params, step)
    }

    /// Writes a checkpoint: the weights (`write_weights` gets the path to write, atomically), the
    /// optimizer's moments, then the state that points at them.
    pub fn save_checkpoint<S: Serialize>(
        &self,
        write_weights: impl FnOnce(&Path) -> Result<()>,
        adam: &Adam,
        state: &S,
    ) -> Result<()> {
        write_weights(&self.weights)?;
        adam.save(&self.adam)?;
        weights::write_json_atomic(&self.state, state)
    }

    /// An error refusing to resume, prefixed with the state file: `reason` says what differs.
    pub fn refuse(&self, reason: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("{}: {reason}", self.state.display())
    }

    /// Refuses to resume a run trained on other data (its file's sha256 differs from the saved one).
    pub fn check_data(&self, saved_sha256: &str, data: &Path, sha256: &str) -> Result<()> {
        if saved_sha256 == sha256 {
            return Ok(());
        }
        Err(self.refuse(format!(
            "checkpoint was trained on data with sha256 {saved_sha256}, {} has {sha256}",
            data.display()
        )))
    }

    /// Refuses to resume when the saved trajectory key (a JSON object of the settings that define the
    /// trajectory) differs from the requested one; the error names the differing fields and shows
    /// both keys.
    pub fn check_trajectory(&self, saved: &str, requested: &str) -> Result<()> {
        if saved == requested {
            return Ok(());
        }
        let fields = differing_fields(saved, requested);
        let which = if fields.is_empty() { String::new() } else { format!(": {}", fields.join(", ")) };
        Err(self.refuse(format!(
            "checkpoint was made with different settings{which} (checkpoint {saved}, requested {requested})"
        )))
    }
}

/// Reads the `state.json` of run folder `dir` as `S` (e.g. only its logs, while the run goes on).
pub fn read_state<S: DeserializeOwned>(dir: &Path) -> Result<S> {
    let path = dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: invalid run state", path.display()))
}

/// `field: saved → requested` for each top-level field in which two JSON objects differ (empty when
/// either is not a JSON object).
fn differing_fields(saved: &str, requested: &str) -> Vec<String> {
    let parse = |s: &str| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s).ok();
    let (Some(a), Some(b)) = (parse(saved), parse(requested)) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&serde_json::Value>| v.map_or_else(|| "(absent)".to_string(), |v| v.to_string());
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("`{k}` {} in the checkpoint, {} requested", show(a.get(k)), show(b.get(k))))
        .collect()
}

/// Seconds of training of a run, summed over the invocations that resumed it.
#[derive(Debug, Clone, Copy)]
pub struct WallClock {
    before: f64,
    started: Instant,
}

impl WallClock {
    /// Starts now, after `before` seconds of earlier invocations (0 for a fresh run).
    pub fn resume_from(before: f64) -> Self {
        Self { before, started: Instant::now() }
    }

    /// Seconds of the whole run so far.
    pub fn total_s(&self) -> f64 {
        self.before + self.this_invocation_s()
    }

    /// Seconds of this invocation.
    pub fn this_invocation_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The position of a ChaCha stream, as stored in a run state: enough to continue it exactly.
/// (`word_pos` is a u128, written as a decimal string since JSON numbers cannot hold it.)
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RngState {
    seed: [u8; 32],
    stream: u64,
    word_pos: String,
}

impl RngState {
    pub fn of(rng: &ChaCha8Rng) -> Self {
        Self { seed: rng.get_seed(), stream: rng.get_stream(), word_pos: rng.get_word_pos().to_string() }
    }

    pub fn restore(&self) -> Result<ChaCha8Rng> {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos.parse::<u128>().context("rng word position")?);
        Ok(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn trajectory_mismatch_names_the_state_file_and_the_fields() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::create(&dir.path().join("run"), "m.safetensors").unwrap();
        run.check_trajectory(r#"{"lr":0.1,"seed":1}"#, r#"{"lr":0.1,"seed":1}"#).unwrap();
        let err = run.check_trajectory(r#"{"lr":0.1,"seed":1}"#, r#"{"lr":0.2,"seed":1,"x":3}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(&run.state_path().display().to_string()), "{text}");
        assert!(text.contains("different settings"), "{text}");
        assert!(text.contains("`lr` 0.1 in the checkpoint, 0.2 requested"), "{text}");
        assert!(text.contains("`x` (absent) in the checkpoint, 3 requested"), "{text}");
        assert!(!text.contains("`seed`"), "{text}");
    }

    #[test]
    fn checkpoint_round_trips_state_and_rng_positions() -> Result<()> {
        #[derive(Serialize, Deserialize)]
        struct State {
            step: u64,
            rng: RngState,
        }
        let dir = tempfile::tempdir()?;
        let run = RunDir::create(dir.path(), "m.safetensors")?;
        assert!(run.resume_state::<State>(true)?.is_none(), "nothing to resume in an empty folder");
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let _: u64 = rng.random();
        let params = vec![("w".to_string(), Var::new(&[1f32, 2.0], &candle_core::Device::Cpu)?)];
        let adam = Adam::new(&params)?;
        let state = State { step: 1, rng: RngState::of(&rng) };
        run.save_checkpoint(|p| Ok(std::fs::write(p, b"weights")?), &adam, &state)?;
        assert!(run.resume_state::<State>(false)?.is_none(), "no resume asked");
        let back: State = run.resume_state(true)?.expect("saved");
        assert_eq!(back.step, 1);
        let mut again = back.rng.restore()?;
        assert_eq!(again.random::<u64>(), rng.random::<u64>());
        run.load_adam(&params, back.step)?;
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())?
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        Ok(())
    }
}
