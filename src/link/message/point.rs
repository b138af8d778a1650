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
    /// How well the receiver's own flags told damaged messages, where every batch has flags.
    pub detection: Option<DetectionCounts>,
    /// ICD receivers: the candidates the LM decoded, summed over the point's batches.
    pub candidates: Option<u64>,
}

/// Messages the receiver flagged as damaged against those that were (any difference from the text
/// sent, as `message_errors` counts them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectionCounts {
    pub flagged: u64,
    /// Flagged and wrong.
    pub flagged_errors: u64,
    /// Wrong but not flagged: errors the receiver cannot know of.
    pub unflagged_errors: u64,
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
    let mut flagged = outcomes.iter().all(|o| o.flagged.is_some()).then(|| vec![false; items]);
    for (batch, outcome) in batches.iter().zip(outcomes) {
        counts += outcome.counts;
        if let (Some(flags), Some(items)) = (&mut flagged, &outcome.flagged) {
            for &item in items {
                if !batch.items.contains(&(item as usize)) {
                    anyhow::bail!("batch {}: flagged item {item} is not in the batch", batch.index);
                }
                flags[item as usize] = true;
            }
        }
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
    let detection = flagged.map(|flags| {
        let mut d = DetectionCounts::default();
        for (&flag, (sent, received)) in flags.iter().zip(&pairs) {
            let wrong = sent != received;
            d.flagged += flag as u64;
            d.flagged_errors += (flag && wrong) as u64;
            d.unflagged_errors += (!flag && wrong) as u64;
        }
        d
    });
    let candidates = outcomes.iter().map(|o| o.candidates).sum::<Option<u64>>();
    Ok(ReducedPoint { counts, text, first_received, detection, candidates })
}
