//! Link assembly and Monte-Carlo simulation.
//!
//! - [`scheme`]: builds a [`LinkScheme`] (code, modulation, channel, decoder) from a scenario.
//! - [`engine`]: simulates one SNR point in batches with a deterministic stopping rule.
//! - [`sweep`]: runs every point of a scenario, writing rows as they finish and resuming
//!   interrupted sweeps.
//! - Rows: [`point_row`] builds a row from a point's counts and its scheme's facts.
//! - Text link: [`messages`] (the text set), [`sources`] (source coders by name), [`framing`]
//!   (messages into k-bit blocks behind a length header), [`text_engine`] (one scheme at one
//!   point: transmit, source-decode, score), [`encoding_cache`] (encodings kept for resume) and
//!   [`text_sweep`] (every scheme × point); [`jscc`] runs the JSCC baselines (DeepSC) in the
//!   same sweep.
//! - Sweeps split over machines: [`shard_run`] (`sim run --shard I/N`: one shard's share into its
//!   own [`shard_file`]) and [`merge`] (`sim merge`: shards into the single run's results).

pub mod encoding_cache;
pub mod engine;
pub mod framing;
pub mod jscc;
pub mod merge;
pub mod messages;
pub mod point_row;
pub mod scheme;
pub mod shard_file;
pub mod shard_run;
pub mod sources;
pub mod sweep;
pub mod text_engine;
pub mod text_sweep;
pub mod ut_quant_coder;

pub use engine::{replay_stop_rule, run_group, run_point, PointOutcome, Replay, StopReason};

/// Stable 64-bit FNV-1a hash of a scheme's name: the id of its random streams.
pub(crate) fn stream_id_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}
pub use scheme::LinkScheme;
pub use sweep::{run_sweep, SweepOptions};
