//! A message point reduced: its batches' counts summed and every item scored, in one place for the
//! single run and `sim merge`.
//!
//! Counts are summed in batch order and the items scored in item order in one call, the sentence
//! embedder seeing the point's texts in the same batches whoever ran the batches: the similarity
//! model's float rounding depends on how texts are batched, so this is what makes a merged point
//! equal a single run's bit for bit.

use super::{Batch, BatchOutcome};
use crate::metrics::text_quality::{QualityScorer, TextCounts};
use crate::metrics::ErrorCounts;

/// A message point reduced.
pub struct ReducedPoint {
    pub counts: ErrorCounts,
    pub text: TextCounts,
    /// The texts received for the first `samples` items (fewer if the point has fewer).
    pub first_received: Vec<String>,
}

/// Sums `outcomes` (one per batch of `batches`, in order) and scores every item: item `j` was message
/// `j mod M` of `messages`, received as its decoded text when a batch lists it, else exactly. An
/// outcome listing an item outside its batch is an error naming the batch. Keeps the received texts
/// of the first `samples` items.
pub fn reduce_point(
    messages: &[String],
    batches: &[Batch],
    outcomes: &[&BatchOutcome],
    quality: &QualityScorer,
    samples: usize,
) -> anyhow::Result<ReducedPoint> {
    assert_eq!(batches.len(), outcomes.len(), "one outcome per batch");
    let items = batches.last().map_or(0, |b| b.items.end);
    let mut counts = ErrorCounts::default();
    let mut decoded: Vec<Option<&str>> = vec![None; items];
    for (batch, outcome) in batches.iter().zip(outcomes) {
        counts += outcome.counts;
        for d in &outcome.decoded {
            let item = d.item as usize;
            if !batch.items.contains(&item) {
                anyhow::bail!("batch {}: item {} is not in the batch", batch.index, d.item);
            }
            decoded[item] = Some(&d.text);
        }
    }
    let m = messages.len();
    let pairs: Vec<(&str, &str)> = decoded
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let sent = messages[j % m].as_str();
            (sent, d.unwrap_or(sent))
        })
        .collect();
    let mut text = TextCounts::default();
    quality.add(&pairs, &mut text)?;
    let first_received = pairs.iter().take(samples).map(|(_, r)| r.to_string()).collect();
    Ok(ReducedPoint { counts, text, first_received })
}
