//! The message link: messages of a modality sent in batches at an SNR point, whatever the scheme.
//!
//! Per point, item `j` is message `j mod M` (each message is sent `repeats` times), and items are
//! grouped into batches of `batch_messages` ([`batches`]). Batch `b` draws all its randomness from
//! stream `(seed, scheme, SNR, b)`, so what a batch delivers is a function of the scenario and `b`
//! alone: a single run, a shard and `sim merge` deal in the same units, a [`MessageScheme`] runs
//! them, and [`point::reduce_point`] turns a point's batches into its counts and scores wherever they
//! were run.
//!
//! - [`sscc`]: separate source and channel coding (source coder → [`framing`] → [`frame_link`]: a
//!   block code, or a polar code sized to each message ([`polar`]) → source decoder), with the
//!   message set's encodings kept by [`encodings`];
//! - JSCC schemes live in `link::jscc`; the modalities' message sets, coders and schemes in
//!   `link::text` and `link::image`; [`set`] is what the link knows of them (a [`MessageSet`] of
//!   either, a [`Received`] message).

pub mod encodings;
pub mod frame_link;
pub mod framing;
pub mod icd;
pub mod point;
pub mod polar;
pub mod set;
pub mod sscc;

use std::ops::Range;

use channels::SnrPoint;
use serde::{Deserialize, Serialize};

use super::events::{BatchProgress, Sink};
use super::facts::SchemeFacts;
use crate::metrics::ErrorCounts;
use crate::scenario::SchemeConfig;
use encodings::EncodingStore;
pub use set::{MessageSet, Received};

/// Batch `index` of a point: items `items` (item `j` is message `j mod M`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub index: u64,
    pub items: Range<usize>,
}

/// The batches of a point with `items` items, `batch_messages` items each (the last may be short).
pub fn batches(items: usize, batch_messages: usize) -> Vec<Batch> {
    (0..items)
        .step_by(batch_messages)
        .enumerate()
        .map(|(b, a)| Batch { index: b as u64, items: a..(a + batch_messages).min(items) })
        .collect()
}

/// An item that was received through the decoder, with the message it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodedItem {
    pub item: u64,
    #[serde(flatten)]
    pub received: Received,
}

/// What one batch delivered: its bit-level counts (empty for JSCC schemes) and the items the
/// receiver decoded. Items not listed arrived exactly, as sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchOutcome {
    pub counts: ErrorCounts,
    pub decoded: Vec<DecodedItem>,
    /// The items the receiver itself flags as damaged (in item order), for schemes whose receiver
    /// can tell: SSCC flags a message whose channel decision fails its code's check (a parity check,
    /// a CRC) or whose source stream is not intact (`Decoded::intact` by `framing.end_check`). `None`
    /// for receivers with no such test (JSCC), and in shard files written before flags existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<Vec<u64>>,
    /// ICD receivers: the candidates the LM decoded in this batch. `None` for other receivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<u64>,
    /// LM-aided receivers: the LM steps their extra decoding took in this batch (ICD: the tokens
    /// of every candidate decoded; list: the paths advanced). `None` for other receivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lm_steps: Option<u64>,
    /// List receivers of text: why the search did not return the sent message, over the messages
    /// it searched. `None` for other receivers (and image tiles), and in shard files written
    /// before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_misses: Option<ListMisses>,
}

/// Why a list receiver did not return the sent message, counted over the messages it searched:
/// the simulator knows the sent message and scores it as the search would
/// (`source::SourceCoder::score_list`, ln P − penalty), which tells a search that missed it from a
/// metric that prefers another message. Each message counts at most once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMisses {
    /// Within the penalty limit and scoring better than what the search returned (or it returned
    /// nothing): the search lost it on the way, and a better search might find it.
    pub missed: u64,
    /// A wrong message the search found scores at least as well: no search returns the sent one.
    pub outscored: u64,
    /// Its penalty is over the limit: the limit keeps it out, as it keeps out wrong messages.
    pub over_limit: u64,
}

impl std::ops::Add for ListMisses {
    type Output = ListMisses;
    fn add(self, o: ListMisses) -> ListMisses {
        ListMisses {
            missed: self.missed + o.missed,
            outscored: self.outscored + o.outscored,
            over_limit: self.over_limit + o.over_limit,
        }
    }
}

/// One scheme of a message link: a transmitter and receiver for whole messages.
pub trait MessageScheme: Send + Sync {
    /// The scheme's entry in the scenario.
    fn config(&self) -> &SchemeConfig;

    /// Readies the scheme for `messages` (encodes them, through `store` for source coders shared by
    /// several schemes) and returns the facts its rows need. Called once, before [`Self::run_batches`].
    fn prepare(
        &mut self,
        messages: &MessageSet,
        store: &mut EncodingStore,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<SchemeFacts>;

    /// Sends and receives `batches` of a point. Each batch's outcome depends on that batch alone (its
    /// own random stream; decoding a message does not depend on what it is decoded beside), so any
    /// set of batches may be run together.
    fn run_batches(
        &self,
        point: &SnrPoint,
        seed: u64,
        batches: &[Batch],
        progress: &mut dyn FnMut(BatchProgress),
    ) -> anyhow::Result<Vec<BatchOutcome>>;

    /// Ties the rows a results folder holds for this scheme to what the scenario names only by path
    /// (JSCC weights). `has_rows`: the folder already holds rows of the scheme.
    fn check_results_folder(&self, _out_dir: &std::path::Path, _has_rows: bool) -> anyhow::Result<()> {
        Ok(())
    }

    /// Identifies the scheme's random streams: a stable hash of its name (or of the scheme it takes
    /// its noise from, `noise_from`).
    fn stream_id(&self) -> u64 {
        let config = self.config();
        super::stream_id_of(config.noise_from.as_deref().unwrap_or(&config.name))
    }
}
