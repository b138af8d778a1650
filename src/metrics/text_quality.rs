//! Text quality of received messages: message errors, BLEU-1..4 and semantic similarity, kept as
//! sums so batches, resumed runs and shards add up exactly.
//!
//! Each received message is compared with the message sent: it is a *message error* if the texts
//! differ at all; its sentence BLEU-1..4 use the weights and smoothing of `[metrics]`; its similarity
//! is the cosine of the two all-MiniLM-L6-v2 embeddings. BLEU is computed for every pair exactly as
//! NLTK would (so a one-word message received exactly still scores BLEU-2 = 0, as in NLTK); a message
//! received exactly scores similarity 1 by definition, without running the embedder. Rows report
//! means over messages, and corpus BLEU-4 from summed n-gram counts.

use super::bleu::{self, CorpusBleuCounts, Smoothing};
use super::similarity::SimilarityScorer;
use crate::scenario::{BleuSmoothing, BleuWeights, MetricsConfig};

/// Sums over messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextCounts {
    pub messages: u64,
    pub message_errors: u64,
    pub bleu_sum: [f64; 4],
    /// Sum and count of similarity scores (count 0 when similarity is off).
    pub similarity_sum: f64,
    pub similarity_count: u64,
    pub corpus: CorpusBleuCounts,
    /// Each message's scores, in the order added (for intervals and samples).
    pub per_message: Vec<MessageScores>,
}

/// One received message's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageScores {
    pub bleu: [f64; 4],
    /// Cosine similarity (1 for an exact message); `None` when similarity is off.
    pub similarity: Option<f64>,
}

/// 95 % intervals of a point's mean scores ([`crate::metrics::bootstrap`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityIntervals {
    pub bleu: [(f64, f64); 4],
    pub similarity: Option<(f64, f64)>,
}

impl TextCounts {
    pub fn bleu(&self, n: usize) -> f64 {
        self.bleu_sum[n - 1] / self.messages as f64
    }
    pub fn similarity(&self) -> Option<f64> {
        (self.similarity_count > 0).then(|| self.similarity_sum / self.similarity_count as f64)
    }
    pub fn message_error_rate(&self) -> f64 {
        self.message_errors as f64 / self.messages as f64
    }

    /// Percentile-bootstrap 95 % intervals of mean BLEU-1..4 and similarity over the messages.
    pub fn intervals(&self) -> QualityIntervals {
        let bleu: Vec<Vec<f64>> = (0..4).map(|n| self.per_message.iter().map(|m| m.bleu[n]).collect()).collect();
        let similarity: Option<Vec<f64>> = self.per_message.iter().map(|m| m.similarity).collect();
        let mut columns: Vec<&[f64]> = bleu.iter().map(Vec::as_slice).collect();
        let with_similarity = self.similarity_count > 0 && similarity.is_some();
        if with_similarity {
            columns.push(similarity.as_deref().expect("checked"));
        }
        let iv = super::bootstrap::mean_intervals_95(&columns);
        QualityIntervals { bleu: [iv[0], iv[1], iv[2], iv[3]], similarity: with_similarity.then(|| iv[4]) }
    }
}

/// Scores (sent, received) pairs as `[metrics]` asks.
pub struct QualityScorer {
    config: MetricsConfig,
    similarity: Option<SimilarityScorer>,
}

impl QualityScorer {
    /// Loads the sentence embedder (fetching it on first use) when similarity is on.
    pub fn new(config: &MetricsConfig, verbose: bool) -> anyhow::Result<Self> {
        let similarity = if config.similarity { Some(SimilarityScorer::minilm(verbose)?) } else { None };
        Ok(QualityScorer { config: config.clone(), similarity })
    }

    /// Embeds the sent messages now, all in one call in message order, when similarity is on.
    /// A point then embeds only its received texts, and its similarity depends on that point alone,
    /// not on which points ran before it in this process (batched matrix products round differently
    /// by batch): a resumed run, a run of some of the SNR values and a merge of shards score every
    /// point exactly as a whole single run does. Up to `SimilarityScorer::MEMO_LIMIT` messages.
    pub fn embed_sent(&self, messages: &[String]) -> anyhow::Result<()> {
        match &self.similarity {
            Some(s) => s.embed_references(&messages.iter().map(String::as_str).collect::<Vec<_>>()),
            None => Ok(()),
        }
    }

    fn smoothing(&self) -> Smoothing {
        match self.config.bleu_smoothing {
            BleuSmoothing::None => Smoothing::None,
            BleuSmoothing::Method1 => Smoothing::NLTK_METHOD1,
        }
    }

    /// Sentence BLEU-1..4 of one pair.
    pub fn bleu(&self, sent: &[String], received: &[String]) -> [f64; 4] {
        match self.config.bleu_weights {
            BleuWeights::Cumulative => bleu::cumulative_bleu(sent, received, self.smoothing()),
            BleuWeights::Individual => std::array::from_fn(|i| {
                let mut w = [0.0; 4];
                w[i] = 1.0;
                bleu::sentence_bleu(sent, received, &w[..=i], self.smoothing())
            }),
        }
    }

    /// Adds `pairs` (sent, received) to `counts`, in order. Exact pairs skip the embedder.
    pub fn add(&self, pairs: &[(&str, &str)], counts: &mut TextCounts) -> anyhow::Result<()> {
        let differing: Vec<(&str, &str)> = pairs.iter().copied().filter(|(a, b)| a != b).collect();
        let mut scores = match &self.similarity {
            Some(s) => s.score_pairs(&differing)?.into_iter(),
            None => Vec::new().into_iter(),
        };
        for &(sent, received) in pairs {
            let (a, b) = (bleu::tokenize(sent, self.config.lowercase), bleu::tokenize(received, self.config.lowercase));
            let exact = sent == received;
            counts.messages += 1;
            counts.message_errors += !exact as u64;
            let bleu = self.bleu(&a, &b);
            for (s, v) in counts.bleu_sum.iter_mut().zip(bleu) {
                *s += v;
            }
            counts.corpus.add_sentence(&a, &b);
            let mut similarity = None;
            if self.similarity.is_some() {
                let score = if exact { 1.0 } else { scores.next().expect("one score per differing pair") };
                counts.similarity_sum += score;
                counts.similarity_count += 1;
                similarity = Some(score);
            }
            counts.per_message.push(MessageScores { bleu, similarity });
        }
        Ok(())
    }

    /// Corpus BLEU-4 of the summed counts.
    pub fn corpus_bleu4(&self, counts: &TextCounts) -> f64 {
        counts.corpus.bleu(4, self.smoothing())
    }
}
