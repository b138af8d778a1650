//! The link: schemes, their Monte-Carlo simulation, and sweeps over SNR points.
//!
//! - [`block`]: the link-level chain for blocks of information bits (code → modulation → channel →
//!   decoder → bits) and its engine, which simulates one SNR point in groups of batches under a
//!   deterministic stopping rule.
//! - [`level`]: a link-level scenario's scheme, a block code's [`block::LinkScheme`] or a polar
//!   code of fixed size, as the engine's [`block::engine::FrameSimulator`].
//! - [`message`]: the message link, whatever the modality: a [`message::MessageScheme`] sends a batch
//!   of messages at an SNR point and says what arrived; [`message::sscc`] is separate source and
//!   channel coding (a source coder, [`message::framing`] and a block link), its encodings kept by
//!   [`message::encodings`]; [`message::point`] reduces a point's batches to its counts and scores.
//! - [`text`]: the text modality: the message set and the source coders scenarios name.
//!   Its quality metrics live in `crate::metrics::text_quality`.
//! - [`image`]: the image modality: photographs cut into tiles, the image LM as a source coder.
//!   Its quality metrics live in `crate::metrics::image_quality`.
//! - [`schemes`]: a message scenario's message set and schemes, built by its modality.
//! - [`jscc`]: joint source-channel coding schemes (DeepSC, UT), and UT-quant as a source coder.
//! - [`sweep`]: every point of a scenario: the plan of points and work units, rows, the results
//!   folder, the single run. [`facts`]: what a row needs to know about its scheme.
//! - [`events`]: what a run reports as it goes, to a [`events::Sink`] the front end draws from.
//! - [`shard`]: the same work units split over machines: shard files, one shard's run, the merge.
//! - [`paths`]: scenario-relative data paths.

pub mod audio;
pub mod block;
pub mod events;
pub mod facts;
pub mod image;
pub mod jscc;
pub mod level;
pub mod message;
pub mod paths;
pub mod sampling;
pub mod schemes;
pub mod shard;
pub mod sweep;
pub mod text;

pub use block::engine::{replay_stop_rule, run_group, run_point, FrameSimulator, PointOutcome, Replay, StopReason};
pub use block::LinkScheme;
pub use sweep::{run_sweep, SweepOptions};

/// Stable 64-bit FNV-1a hash of a scheme's name: the id of its random streams.
pub(crate) fn stream_id_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}
