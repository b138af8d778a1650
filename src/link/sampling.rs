//! Which messages a message set keeps (the first ones, or a seeded random sample kept in order),
//! and that a point can hold them with their repeats. Shared by the text lines, image tiles and
//! audio frames of `link::text`, `link::image` and `link::audio`.

use rand::seq::index::sample;

use crate::scenario::{SampleKind, MAX_ITEMS_PER_POINT};

/// Refuses `count` messages (`noun`: "messages", "tiles", "frames") sent `repeats` times each when
/// a point could not hold their items, naming `file` and the field `<table>.repeats`.
pub fn check_items_per_point(file: &str, table: &str, noun: &str, count: usize, repeats: usize) -> anyhow::Result<()> {
    if count.saturating_mul(repeats) > MAX_ITEMS_PER_POINT {
        anyhow::bail!(
            "{file}: field '{table}.repeats': {count} {noun} × {repeats} repeats is more than the \
             {MAX_ITEMS_PER_POINT} items a point can hold in memory"
        );
    }
    Ok(())
}

/// Which of `available` messages a set keeps, in their order: the first `wanted` (`"first"`), or
/// `wanted` drawn without replacement from the random stream `(seed, stream)` (`"random"`), each
/// modality with its own `stream`, apart from every scheme's channel streams.
pub fn pick_messages(available: usize, wanted: usize, kind: SampleKind, seed: u64, stream: u64) -> Vec<usize> {
    let mut picked: Vec<usize> = match kind {
        SampleKind::First => (0..wanted).collect(),
        SampleKind::Random => sample(&mut channels::stream(seed, &[stream]), available, wanted).into_vec(),
    };
    picked.sort_unstable();
    picked
}
