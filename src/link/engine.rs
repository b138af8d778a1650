//! Monte-Carlo simulation of one SNR point.
//!
//! Frames are simulated in batches of `stop.batch_frames`; batch `b` of scheme `s` at SNR `x` draws
//! from its own stream `(seed, s, x, b)`. Batches run in parallel in groups of [`GROUP_BATCHES`], and
//! the stopping rule (`min_frame_errors` reached or `max_frames` spent) is checked only between
//! groups, after summing the group in batch order. The set of batches simulated, and therefore every
//! count, is thus a function of the scenario alone, never of the number of threads.

use crate::metrics::ErrorCounts;
use crate::scenario::StopConfig;
use channels::{stream, SnrPoint};
use rayon::prelude::*;

use super::LinkScheme;

/// Batches simulated between two checks of the stopping rule. Fixed (not the thread count) so that
/// results are reproducible on any machine; large enough to keep 2–64 cores busy.
pub const GROUP_BATCHES: u64 = 16;

/// Why a point stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Enough frame errors were seen: the estimate is as tight as the scenario asked.
    Errors,
    /// The frame budget ran out first: the estimate may rest on few errors.
    Frames,
}

impl StopReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            StopReason::Errors => "errors",
            StopReason::Frames => "frames",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PointOutcome {
    pub counts: ErrorCounts,
    pub stopped_by: StopReason,
    pub seconds: f64,
}

/// Simulates `scheme` at `point` until the stopping rule fires. `progress` is called after each group
/// with the running counts.
pub fn run_point(
    scheme: &LinkScheme,
    point: &SnrPoint,
    seed: u64,
    stop: &StopConfig,
    progress: &mut dyn FnMut(&ErrorCounts),
) -> PointOutcome {
    let start = std::time::Instant::now();
    let sigma = point.sigma() as f32;
    let batch = stop.batch_frames as u64;
    let scheme_id = scheme.stream_id();
    let mut total = ErrorCounts::default();
    let mut next_batch = 0u64;
    let stopped_by = loop {
        if total.frame_errors >= stop.min_frame_errors {
            break StopReason::Errors;
        }
        if total.frames >= stop.max_frames {
            break StopReason::Frames;
        }
        let remaining = stop.max_frames - total.frames;
        let batches = remaining.div_ceil(batch).min(GROUP_BATCHES);
        let first = next_batch;
        let group: Vec<ErrorCounts> = (0..batches)
            .into_par_iter()
            .map(|i| {
                let frames = batch.min(remaining - i * batch) as usize;
                let mut rng = stream(seed, &[scheme_id, point.snr_db.to_bits(), first + i]);
                scheme.simulate_batch(frames, sigma, &mut rng)
            })
            .collect();
        for c in group {
            total += c;
        }
        next_batch += batches;
        progress(&total);
    };
    PointOutcome { counts: total, stopped_by, seconds: start.elapsed().as_secs_f64() }
}
