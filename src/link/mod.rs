//! Link assembly and Monte-Carlo simulation.
//!
//! - [`scheme`]: builds a [`LinkScheme`] (code, modulation, channel, decoder) from a scenario.
//! - [`engine`]: simulates one SNR point in batches with a deterministic stopping rule.
//! - [`sweep`]: runs every point of a scenario, writing rows as they finish and resuming
//!   interrupted sweeps.

pub mod engine;
pub mod scheme;
pub mod sweep;

pub use engine::{run_point, PointOutcome, StopReason};
pub use scheme::LinkScheme;
pub use sweep::{run_sweep, SweepOptions};
