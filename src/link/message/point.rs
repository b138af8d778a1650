//! A message point reduced: its batches' counts summed and every item scored, in one place for the
//! single run and `sim merge`, whatever the modality (text: BLEU and similarity; image tiles: PSNR
//! and SSIM, each tile scored on its own; audio frames: SNR and segmental SNR, and STOI and ESTOI
//! over each clip's frames joined).
//!
//! Counts are summed in batch order and the items scored in item order in one call, the sentence
//! embedder seeing the point's texts in the same batches whoever ran the batches: the similarity
//! model's float rounding depends on how texts are batched, so this is what makes a merged point
//! equal a single run's bit for bit.

use super::{Batch, BatchOutcome, ListMisses, MessageSet, Received};
use crate::link::audio::intelligibility::ClipsStoi;
use crate::metrics::audio_quality::{score_frame, AudioCounts};
use crate::metrics::image_quality::{score_tile, ImageCounts};
use crate::metrics::text_quality::{QualityScorer, TextCounts};
use crate::metrics::ErrorCounts;
use crate::scenario::MetricsConfig;
use source::audio::wav::Audio;
use source::image::io::Image;

/// What scores a point's received messages: the text metrics (BLEU, similarity; the embedder loaded
/// once, with the sent texts embedded), the image metrics (PSNR, SSIM) or the audio ones (SNR,
/// segmental SNR; STOI and ESTOI, with the clean clips analysed once).
pub enum PointScorer {
    Text(QualityScorer),
    Image,
    Audio(ClipsStoi),
}

impl PointScorer {
    /// The scorer for `set`'s modality, as `[metrics]` asks.
    pub fn new(set: &MessageSet, metrics: &MetricsConfig, verbose: bool) -> anyhow::Result<Self> {
        Ok(match set {
            MessageSet::Text(t) => {
                let q = QualityScorer::new(metrics, verbose)?;
                q.embed_sent(&t.texts)?;
                PointScorer::Text(q)
            }
            MessageSet::Image(_) => PointScorer::Image,
            MessageSet::Audio(f) => PointScorer::Audio(ClipsStoi::new(f)),
        })
    }
}

/// A point's quality scores, by modality.
#[derive(Debug, Clone, PartialEq)]
pub enum PointQuality {
    Text(TextCounts),
    Image(ImageCounts),
    Audio(AudioCounts),
}

/// A message point reduced.
pub struct ReducedPoint {
    pub counts: ErrorCounts,
    pub quality: PointQuality,
    /// Text: the texts received for the first `samples` items (fewer if the point has fewer).
    pub first_received: Vec<String>,
    /// How well the receiver's own flags told damaged messages, where every batch has flags.
    pub detection: Option<DetectionCounts>,
    /// ICD receivers: the candidates the LM decoded, summed over the point's batches.
    pub candidates: Option<u64>,
    /// LM-aided receivers: their extra LM steps, summed over the point's batches.
    pub lm_steps: Option<u64>,
    /// List receivers of text: why they did not return the sent message, summed over the point's
    /// batches.
    pub list_misses: Option<ListMisses>,
    /// Images: the set's first image as the point's first tile of each place delivered it
    /// (`TileSet::mosaic`), what the image grid shows.
    pub first_image: Option<Image>,
    /// Audio: the set's first clip as the point delivered its frames (`FrameSet::splice`), what
    /// `received/<scheme>@<snr>dB.wav` holds.
    pub first_audio: Option<Audio>,
}

impl ReducedPoint {
    /// Messages sent at the point, and how many arrived with any difference.
    pub fn messages(&self) -> (u64, u64) {
        match &self.quality {
            PointQuality::Text(t) => (t.messages, t.message_errors),
            PointQuality::Image(i) => (i.messages(), i.message_errors()),
            PointQuality::Audio(a) => (a.messages(), a.message_errors()),
        }
    }
}

/// Messages the receiver flagged as damaged against those that were (any difference from the
/// message sent, as `message_errors` counts them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectionCounts {
    pub flagged: u64,
    /// Flagged and wrong.
    pub flagged_errors: u64,
    /// Wrong but not flagged: errors the receiver cannot know of.
    pub unflagged_errors: u64,
}

/// Sums `outcomes` (one per batch of `batches`, in order) and scores every item: item `j` was message
/// `j mod M` of `messages`, received as its decoded message when a batch lists it, else exactly. An
/// outcome listing an item outside its batch, or a message of the other modality, is an error naming
/// the batch. Keeps the received texts of the first `samples` items.
pub fn reduce_point(
    messages: &MessageSet,
    batches: &[Batch],
    outcomes: &[&BatchOutcome],
    scorer: &PointScorer,
    samples: usize,
) -> anyhow::Result<ReducedPoint> {
    assert_eq!(batches.len(), outcomes.len(), "one outcome per batch");
    let items = batches.last().map_or(0, |b| b.items.end);
    let mut counts = ErrorCounts::default();
    let mut decoded: Vec<Option<&Received>> = vec![None; items];
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
            let fits = match (&d.received, messages) {
                (Received::Text { .. }, MessageSet::Text(_)) => true,
                (Received::Tile { pixels }, MessageSet::Image(t)) => pixels.len() == t.subpixels_per_tile(),
                (Received::Audio { samples }, MessageSet::Audio(f)) => samples.len() == f.frame,
                _ => false,
            };
            if !fits {
                anyhow::bail!(
                    "batch {}: item {} is not a message of this scenario's kind or size",
                    batch.index,
                    d.item
                );
            }
            decoded[item] = Some(&d.received);
        }
    }
    let (mut first_image, mut first_audio) = (None, None);
    let (quality, first_received, wrong) = match (messages, scorer) {
        (MessageSet::Text(set), PointScorer::Text(quality)) => {
            let m = set.texts.len();
            let pairs: Vec<(&str, &str)> = decoded
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    let sent = set.texts[j % m].as_str();
                    (sent, d.and_then(Received::as_text).unwrap_or(sent))
                })
                .collect();
            let mut text = TextCounts::default();
            quality.add(&pairs, &mut text)?;
            let first = pairs.iter().take(samples).map(|(_, r)| r.to_string()).collect();
            let wrong = pairs.iter().map(|(sent, received)| sent != received).collect::<Vec<_>>();
            (PointQuality::Text(text), first, wrong)
        }
        (MessageSet::Image(set), PointScorer::Image) => {
            let (m, t) = (set.len(), set.tile as usize);
            let mut image = ImageCounts::default();
            for (j, d) in decoded.iter().enumerate() {
                let sent = &set.tiles[j % m].pixels;
                let received = d.and_then(Received::as_pixels).unwrap_or(sent);
                image.add(score_tile(sent, received, t, t, 3));
            }
            let wrong = image.per_tile.iter().map(|s| !s.exact).collect();
            let received = |j: usize| decoded.get(j).copied().flatten().and_then(Received::as_pixels);
            first_image = Some(set.mosaic(0, |j| received(j).unwrap_or(&set.tiles[j].pixels)));
            (PointQuality::Image(image), Vec::new(), wrong)
        }
        (MessageSet::Audio(set), PointScorer::Audio(clips_stoi)) => {
            let m = set.len();
            let mut audio = AudioCounts::default();
            for (j, d) in decoded.iter().enumerate() {
                let sent = &set.frames[j % m].samples;
                audio.add(score_frame(sent, d.and_then(Received::as_samples).unwrap_or(sent)));
            }
            let wrong = audio.per_frame.iter().map(|f| !f.exact).collect();
            let received = |j: usize| decoded.get(j).copied().flatten().and_then(Received::as_samples);
            // Each repeat of the set is heard as utterances of its own.
            for repeat in 0..items / m.max(1) {
                let frame = |j: usize| received(repeat * m + j).unwrap_or(&set.frames[j].samples);
                for utterance in clips_stoi.segment_scores(frame) {
                    audio.stoi_segments.push(utterance.stoi);
                    audio.estoi_segments.push(utterance.estoi);
                }
            }
            first_audio = Some(set.splice(0, |j| received(j).unwrap_or(&set.frames[j].samples)));
            (PointQuality::Audio(audio), Vec::new(), wrong)
        }
        _ => unreachable!("the scorer is built for the message set's modality"),
    };
    let detection = flagged.map(|flags| {
        let mut d = DetectionCounts::default();
        for (&flag, &wrong) in flags.iter().zip(&wrong) {
            d.flagged += flag as u64;
            d.flagged_errors += (flag && wrong) as u64;
            d.unflagged_errors += (!flag && wrong) as u64;
        }
        d
    });
    let candidates = outcomes.iter().map(|o| o.candidates).sum::<Option<u64>>();
    let lm_steps = outcomes.iter().map(|o| o.lm_steps).sum::<Option<u64>>();
    let list_misses = outcomes.iter().map(|o| o.list_misses).try_fold(ListMisses::default(), |a, m| Some(a + m?));
    Ok(ReducedPoint {
        counts,
        quality,
        first_received,
        detection,
        candidates,
        lm_steps,
        list_misses,
        first_image,
        first_audio,
    })
}
