//! Monte-Carlo simulation of one SNR point.
//!
//! Frames are simulated in batches of `stop.batch_frames`; batch `b` of scheme `s` at SNR `x` draws
//! from its own stream `(seed, s, x, b)`. Batches run in parallel in groups of [`GROUP_BATCHES`], and
//! the stopping rule (`min_frame_errors` reached or `max_frames` spent) is checked only between
//! groups, after summing the group in batch order. The set of batches simulated, and therefore every
//! count, is thus a function of the scenario alone, never of the number of threads.
//!
//! Every group but the last is full, so group `g`'s batches and sizes follow from `g` alone
//! ([`group_batches`]): a group can be simulated by itself ([`run_group`]), e.g. by one shard of a
//! sweep split over machines, and the stopping rule replayed afterwards over groups recorded
//! anywhere ([`replay_stop_rule`], the rule's one definition) stops after the very same groups.

use crate::metrics::ErrorCounts;
use crate::scenario::StopConfig;
use channels::{stream, SnrPoint, StreamRng};
use rayon::prelude::*;

/// What the engine needs of a link-level scheme: batches of frames at a noise level, counted. It
/// knows no code: a block code ([`super::LinkScheme`]) and a polar code of fixed size
/// (`link::level`) both simulate through it.
pub trait FrameSimulator: Sync {
    /// The `scheme` column of its rows.
    fn label(&self) -> &str;
    /// The `channel` column of its rows.
    fn channel_name(&self) -> String;
    /// Information bits per coded bit.
    fn rate(&self) -> f64;
    /// Coded bits per channel symbol.
    fn bits_per_symbol(&self) -> u32;
    /// Identifies the scheme's random streams.
    fn stream_id(&self) -> u64;
    /// Simulates `frames` frames at noise `sigma`, every draw from `rng`.
    fn simulate_batch(&self, frames: usize, sigma: f32, rng: &mut StreamRng) -> ErrorCounts;
}

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
    scheme: &dyn FrameSimulator,
    point: &SnrPoint,
    seed: u64,
    stop: &StopConfig,
    progress: &mut dyn FnMut(&ErrorCounts),
) -> PointOutcome {
    let start = std::time::Instant::now();
    let mut running = ErrorCounts::default();
    let outcome = replay_stop_rule(stop, |g| {
        let counts = run_group(scheme, point, seed, stop, g)
            .expect("the stopping rule only asks for groups within the frame budget");
        running += counts;
        progress(&running);
        Some(counts)
    });
    match outcome {
        Replay::Stopped { counts, stopped_by, .. } => {
            PointOutcome { counts, stopped_by, seconds: start.elapsed().as_secs_f64() }
        }
        Replay::Missing(_) => unreachable!("every group was simulated on demand"),
    }
}

/// Frames of each batch of group `g` of a point, or `None` when the group starts at or past the
/// frame budget. Every group before the last is full (`GROUP_BATCHES` batches of `batch_frames`), so
/// group `g` starts at frame `g · GROUP_BATCHES · batch_frames` with batch `g · GROUP_BATCHES`,
/// whatever happened before it: its content is a function of `g` alone.
pub fn group_batches(stop: &StopConfig, g: u64) -> Option<Vec<u64>> {
    let batch = stop.batch_frames as u64;
    let first_frame = g.checked_mul(GROUP_BATCHES * batch)?;
    if first_frame >= stop.max_frames {
        return None;
    }
    let remaining = stop.max_frames - first_frame;
    let batches = remaining.div_ceil(batch).min(GROUP_BATCHES);
    Some((0..batches).map(|i| batch.min(remaining - i * batch)).collect())
}

/// Simulates group `g` of `scheme` at `point` (its batches in parallel, summed in batch order), or
/// `None` when the group lies past the frame budget.
pub fn run_group(
    scheme: &dyn FrameSimulator,
    point: &SnrPoint,
    seed: u64,
    stop: &StopConfig,
    g: u64,
) -> Option<ErrorCounts> {
    let frames = group_batches(stop, g)?;
    let sigma = point.sigma() as f32;
    let scheme_id = scheme.stream_id();
    let first = g * GROUP_BATCHES;
    let group: Vec<ErrorCounts> = frames
        .par_iter()
        .enumerate()
        .map(|(i, &n)| {
            let mut rng = stream(seed, &[scheme_id, point.snr_db.to_bits(), first + i as u64]);
            scheme.simulate_batch(n as usize, sigma, &mut rng)
        })
        .collect();
    let mut total = ErrorCounts::default();
    for c in group {
        total += c;
    }
    Some(total)
}

/// The stopping rule replayed over per-group counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// The rule fired after `groups` groups (0..groups), which sum to `counts`.
    Stopped { counts: ErrorCounts, stopped_by: StopReason, groups: u64 },
    /// The rule needs this group next and `group_counts` did not have it.
    Missing(u64),
}

/// Applies the stopping rule to groups 0, 1, 2, ... in order, asking `group_counts` for each: stop
/// once `min_frame_errors` frame errors are reached, else once `max_frames` frames are spent. The
/// one definition of the rule: [`run_point`] simulates groups on demand through it, sharded runs and
/// `sim merge` feed it recorded groups, so all three stop after exactly the same groups.
pub fn replay_stop_rule(stop: &StopConfig, mut group_counts: impl FnMut(u64) -> Option<ErrorCounts>) -> Replay {
    let mut total = ErrorCounts::default();
    let mut g = 0u64;
    loop {
        if total.frame_errors >= stop.min_frame_errors {
            return Replay::Stopped { counts: total, stopped_by: StopReason::Errors, groups: g };
        }
        if total.frames >= stop.max_frames {
            return Replay::Stopped { counts: total, stopped_by: StopReason::Frames, groups: g };
        }
        match group_counts(g) {
            Some(c) => total += c,
            None => return Replay::Missing(g),
        }
        g += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(min_frame_errors: u64, max_frames: u64, batch_frames: usize) -> StopConfig {
        StopConfig { min_frame_errors, max_frames, batch_frames }
    }

    #[test]
    fn groups_tile_the_frame_budget_with_a_short_last_group() {
        let s = stop(10, 1000, 16);
        let sizes: Vec<Vec<u64>> = (0..).map_while(|g| group_batches(&s, g)).collect();
        assert_eq!(sizes.len(), 4, "256 frames per group: 3 full groups and a short one");
        assert!(sizes[..3].iter().all(|g| g == &vec![16; 16]));
        assert_eq!(sizes[3], [vec![16; 14], vec![8]].concat(), "232 = 14 × 16 + 8");
        assert_eq!(sizes.iter().flatten().sum::<u64>(), 1000);
        assert_eq!(group_batches(&s, u64::MAX), None);
    }

    fn counts(frames: u64, frame_errors: u64) -> ErrorCounts {
        ErrorCounts { frames, frame_errors, ..Default::default() }
    }

    #[test]
    fn replay_stops_on_errors_or_frames_and_names_the_first_missing_group() {
        let s = stop(5, 1000, 16);
        let groups = [counts(256, 2), counts(256, 2), counts(256, 1), counts(256, 9)];
        let r = replay_stop_rule(&s, |g| groups.get(g as usize).copied());
        assert_eq!(r, Replay::Stopped { counts: counts(768, 5), stopped_by: StopReason::Errors, groups: 3 });
        // Group 3 is never asked for, so it need not exist.
        let r = replay_stop_rule(&s, |g| (g < 3).then(|| groups[g as usize]));
        assert!(matches!(r, Replay::Stopped { groups: 3, .. }));
        let r = replay_stop_rule(&s, |g| (g != 1).then(|| groups[g as usize]));
        assert_eq!(r, Replay::Missing(1));
        let s = stop(100, 512, 16);
        let r = replay_stop_rule(&s, |g| groups.get(g as usize).copied());
        assert_eq!(r, Replay::Stopped { counts: counts(512, 4), stopped_by: StopReason::Frames, groups: 2 });
    }
}
