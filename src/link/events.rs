//! What a sweep, a shard or a merge tells its front end as it goes.
//!
//! The library never prints: it hands [`Event`]s to a [`Sink`], and the CLI (`cli/sweep_progress.rs`)
//! draws bars and lines from them, as ripgrep's searcher hands matches to a `Sink`. Tests and scripts
//! pass [`Silent`].

use crate::metrics::ErrorCounts;
use crate::report::ResultRow;

/// How a message point's batches are getting on.
#[derive(Debug, Clone, Copy)]
pub enum BatchProgress {
    /// All items were sent; this many arrived with a payload differing from the one sent.
    Transmitted { items: usize, corrupted: usize },
    /// Items received through the decoder so far (corrupted payloads, or any item of a JSCC scheme).
    Decoded(usize),
}

#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A source coder starts encoding the message set.
    Encoding {
        coder: &'a str,
        messages: usize,
    },
    /// ... and has encoded it (`cached`: read back from the results folder's `encodings/`).
    Encoded {
        coder: &'a str,
        bits_per_char: f64,
        bits_per_message: f64,
        seconds: f64,
        cached: bool,
    },
    /// A JSCC scheme's vocabulary misses words of the message set (they are sent as `<UNK>`).
    UnknownWords {
        scheme: &'a str,
        words: usize,
        vocabulary: usize,
    },
    /// A link-level point starts; it stops at `min_frame_errors` frame errors or its frame budget.
    LinkPointStarted {
        scheme: &'a str,
        snr_db: f64,
        min_frame_errors: u64,
    },
    /// A link-level point's running counts after each group of batches.
    LinkProgress {
        counts: &'a ErrorCounts,
    },
    /// A link-level point is done and recorded.
    LinkPointFinished {
        row: &'a ResultRow,
    },
    /// A link-level point spent its frame budget before reaching `min_frame_errors`.
    FrameBudgetSpent {
        scheme: &'a str,
        snr_db: f64,
        frames: u64,
        frame_errors: u64,
        min_frame_errors: u64,
    },
    /// A message point starts: `items` messages × repeats to send.
    MessagePointStarted {
        scheme: &'a str,
        snr_db: f64,
        items: u64,
    },
    Messages(BatchProgress),
    /// A message point is done and recorded (or, in a merge, rebuilt).
    MessagePointFinished {
        row: &'a ResultRow,
    },
    /// Something the user should know even with `--quiet` (e.g. a damaged file that was repaired).
    Note(&'a str),
    /// A shard finished its share of a point: `own` work units (groups or message batches), `new` of
    /// them simulated by this invocation.
    ShardPoint {
        shard: &'a str,
        scheme: &'a str,
        snr_db: f64,
        own: u64,
        new: u64,
        unit: &'a str,
    },
}

pub trait Sink {
    fn event(&mut self, event: Event<'_>);
}

/// A sink that drops every event.
pub struct Silent;

impl Sink for Silent {
    fn event(&mut self, _: Event<'_>) {}
}
