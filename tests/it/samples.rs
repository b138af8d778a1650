//! What a text run shows besides its means: `samples.csv` (the first messages of every point, sent
//! and received, with their scores) and 95 % bootstrap intervals of mean BLEU-1..4 and similarity.

use crate::common::{num, result_rows, root, sim, stderr};

#[derive(Debug, serde::Deserialize)]
struct Sample {
    scheme: String,
    snr_db: f64,
    message: u64,
    sent: String,
    received: String,
    bleu1: f64,
    bleu4: f64,
    similarity: Option<f64>,
}

#[test]
fn a_text_run_writes_samples_and_intervals_around_its_means() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o =
        sim(&["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap(), "--set", "metrics.samples=5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    assert_eq!(rows.len(), 9);
    for r in &rows {
        for m in ["bleu1", "bleu2", "bleu3", "bleu4", "similarity"] {
            let (lo, mean, hi) = (num(r, &format!("{m}_lo")), num(r, m), num(r, &format!("{m}_hi")));
            assert!((0.0..=1.0).contains(&lo) && lo <= mean && mean <= hi && hi <= 1.0, "{m}: {r:?}");
            if num(r, "message_errors") == 0.0 {
                assert_eq!((lo, hi), (mean, mean), "{m}: every message exact, nothing to vary: {r:?}");
            }
        }
    }
    // Where some but not all messages fail, the interval has width.
    assert!(rows.iter().any(|r| {
        let e = num(r, "message_errors");
        e > 0.0 && e < 16.0 && num(r, "bleu4_hi") - num(r, "bleu4_lo") > 0.01
    }));

    let sent: Vec<String> = std::fs::read_to_string(root().join("data/europarl/test_sentences.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .map(String::from)
        .collect();
    let samples: Vec<Sample> =
        csv::Reader::from_path(out.join("samples.csv")).unwrap().deserialize().map(|s| s.unwrap()).collect();
    assert_eq!(samples.len(), 9 * 5, "5 messages at each of the 9 points");
    // In the rows' order, messages in order, the same messages for every scheme.
    let points: Vec<(String, f64)> = rows.iter().map(|r| (r["scheme"].clone(), num(r, "snr_db"))).collect();
    for (i, s) in samples.iter().enumerate() {
        assert_eq!((s.scheme.clone(), s.snr_db), points[i / 5]);
        assert_eq!(s.message, (i % 5) as u64);
        assert_eq!(s.sent, sent[i % 5]);
        if s.received == s.sent {
            assert_eq!((s.bleu4, s.similarity), (1.0, Some(1.0)), "{s:?}");
        } else {
            assert!(s.bleu1 < 1.0 || s.bleu4 < 1.0 || s.similarity < Some(1.0), "{s:?}");
        }
    }
    // Uncoded at -2 dB loses every message: the samples show what arrived.
    let lost: Vec<&Sample> = samples.iter().filter(|s| s.scheme == "small-lm-uncoded" && s.snr_db == -2.0).collect();
    assert!(lost.iter().all(|s| s.received != s.sent), "{lost:?}");
    // Huffman at 6 dB delivers them all.
    assert!(samples.iter().filter(|s| s.scheme == "huffman-ldpc-bp" && s.snr_db == 6.0).all(|s| s.received == s.sent));

    // samples = 0: no samples.csv; too many: refused before anything runs.
    let none = dir.path().join("none");
    let o = sim(&[
        "run",
        "scenarios/quick.toml",
        "--quiet",
        "--out",
        none.to_str().unwrap(),
        "--set",
        "metrics.samples=0",
        "--set",
        "snr.values_db=[6]",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!none.join("samples.csv").exists());
    // Two text runs compare on the unified axis, with their intervals as bars.
    let cmp = dir.path().join("cmp");
    let o = sim(&[
        "compare",
        out.to_str().unwrap(),
        none.to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
        "--axis",
        "unified",
        "--metric",
        "bleu4,similarity",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(cmp.join("compare.csv")).unwrap();
    assert_eq!(table.lines().count(), 1 + 2 * (9 + 3), "{table}");
    assert!(table.lines().skip(1).all(|l| !l.ends_with(",,")), "every text point has its interval: {table}");
    crate::common::fails_with(
        &["run", "scenarios/quick.toml", "--out", none.to_str().unwrap(), "--set", "metrics.samples=100000"],
        &["metrics", "samples", "at most"],
    );
}
