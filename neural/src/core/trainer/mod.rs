//! What every trainer of the crate shares (ECCT, the byte LM, the JSCC models): the run folder,
//! checkpoint and exact resume ([`run_dir`]) and the step loop ([`train_loop`](mod@train_loop)).
//! A model is trained by plugging a task into them; the task keeps what defines its trajectory
//! (data order, RNG streams, schedule, loss), so moving a trainer onto this changes no number it
//! computes.
//!
//! Plugging in a task (see `byte_lm/train.rs` for the smallest complete one):
//!
//! 1. A run-state struct (`Serialize + Deserialize`), written as `state.json`: at least the step, the
//!    trajectory-defining settings (e.g. a JSON trajectory key) and whatever a resumed run needs to
//!    continue exactly (log so far, RNG positions as [`RngState`] unless the randomness is a pure
//!    function of (seed, step), `wall_s` via [`WallClock`]). Its fields are the folder's format:
//!    change them only with `#[serde(default)]`, so existing folders still resume.
//! 2. The trainer function: validate the config, `RunDir::create(out_dir, WEIGHTS_FILE)`, then
//!    `run.resume_state(config.resume)?`: with a state, check it ([`RunDir::check_trajectory`],
//!    [`RunDir::refuse`] for other checks), load the weights and [`RunDir::load_adam`] at the saved
//!    step; without one, build the model from the seed and a fresh `Adam`.
//! 3. A struct implementing [`TrainTask`]: `step` (one optimizer step, advance the state, say what is
//!    due, [`Due::every`] for the usual cadence), `report`, `evaluate`, `checkpoint` (through
//!    [`RunDir::save_checkpoint`]) with the task's own progress event type; then [`train_loop()`] and
//!    a summary from the task's fields.
//!
//! Training modules use this; inference modules never do.
pub mod run_dir;
pub mod schedule;
pub mod train_loop;

pub use run_dir::{RngState, RunDir, WallClock, ADAM_FILE, STATE_FILE};
pub use schedule::warmup_cosine;
pub use train_loop::{train_loop, Due, LogPoint, LossWindow, TrainTask};
