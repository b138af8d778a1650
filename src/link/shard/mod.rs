//! A sweep split over machines: `sim run --shard I/N` runs shard `I`'s work units into its own
//! [`file`] ([`run`]), and `sim merge` combines the shards into the very `results.csv` a single run
//! writes ([`merge`]). The units and their order are the single run's (`link::sweep::plan`).

pub mod file;
pub mod merge;
pub mod run;

pub use file::ShardId;
