//! What every trainer of the crate shares (ECCT, the byte LM, the JSCC models).
//!
//! - [`run_dir`]: the run folder (`<task>.safetensors`, `adam.safetensors`, `state.json`), atomic
//!   checkpoints, reading a state back and refusing a resume whose settings differ, the wall clock
//!   summed over resumed invocations, saved RNG stream positions.
//!
//! Training modules use this; inference modules never do.
pub mod run_dir;
pub mod train_loop;

pub use run_dir::{RngState, RunDir, WallClock, ADAM_FILE, STATE_FILE};
pub use train_loop::{train_loop, Due, LossWindow, TrainTask};
