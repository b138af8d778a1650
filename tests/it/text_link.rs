//! The end-to-end text link as a user runs it: `sim run scenarios/quick.toml`, then the CSV's
//! columns and the invariants every row must satisfy, the plots, resume, and independence from the
//! thread count.

use std::path::Path;
use std::process::Command;

use crate::common::{num, result_rows, result_table, root, stderr, ResultRow};

const TEXT_COLUMNS: [&str; 14] = [
    "snr_unified_db",
    "messages",
    "message_errors",
    "bleu1",
    "bleu2",
    "bleu3",
    "bleu4",
    "similarity",
    "source_bits_per_char",
    "symbols_per_message",
    "message_error_rate",
    "corpus_bleu4",
    "source_bits_per_message",
    "energy_per_message_db",
];

fn run_quick(out: &Path, threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap()])
        .env("RAYON_NUM_THREADS", threads)
        .current_dir(root())
        .output()
        .expect("sim runs")
}

/// Everything but timings.
fn deterministic(rows: &[ResultRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            let mut v: Vec<String> =
                r.iter().filter(|(k, _)| k.as_str() != "seconds").map(|(k, v)| format!("{k}={v}")).collect();
            v.sort();
            v
        })
        .collect()
}

#[test]
fn quick_scenario_runs_end_to_end_with_consistent_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quick");
    let o = run_quick(&out, "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, rows) = result_table(&out);
    for c in TEXT_COLUMNS {
        assert!(header.iter().any(|h| h == c), "missing column {c} in {header:?}");
    }
    assert_eq!(rows.len(), 9, "3 schemes × 3 points");

    let reference_symbols = num(&rows[0], "symbols_per_message");
    for r in &rows {
        let what = format!("{} @ {} dB", r["scheme"], r["snr_db"]);
        assert_eq!(num(r, "messages"), 16.0, "{what}");
        let (errors, frames_in_error) = (num(r, "message_errors"), num(r, "frame_errors"));
        assert!((0.0..=16.0).contains(&errors), "{what}");
        assert_eq!(num(r, "message_error_rate"), errors / 16.0, "{what}");
        let bleu: Vec<f64> = (1..=4).map(|n| num(r, &format!("bleu{n}"))).collect();
        let similarity = num(r, "similarity");
        assert!(
            bleu.iter().chain([&similarity]).all(|v| (0.0..=1.0 + 1e-9).contains(v)),
            "{what}: {bleu:?} {similarity}"
        );
        // Error-free blocks carry the exact bits, so the exact text; exact text scores 1.
        if frames_in_error == 0.0 {
            assert_eq!(errors, 0.0, "{what}");
        }
        if errors == 0.0 {
            assert!(bleu.iter().all(|&b| b == 1.0), "{what}: {bleu:?}");
            assert_eq!(similarity, 1.0, "{what}");
            assert_eq!(num(r, "corpus_bleu4"), 1.0, "{what}");
        } else {
            assert!(bleu[3] < 1.0 && similarity < 1.0, "{what}: a corrupted message must cost something");
        }
        // Unified SNR = Es/N0 + 10 log10(symbols / reference symbols).
        let expected = num(r, "esn0_db") + 10.0 * (num(r, "symbols_per_message") / reference_symbols).log10();
        assert!((num(r, "snr_unified_db") - expected).abs() < 1e-9, "{what}");
        assert!(num(r, "source_bits_per_char") > 0.5 && num(r, "source_bits_per_char") < 8.0, "{what}");
        // Symbols per message follow from the payload: header + payload in 24-bit blocks.
        let n = if r["scheme"].contains("uncoded") { 24.0 } else { 49.0 };
        let symbols = num(r, "symbols_per_message");
        let bits = 11.0 + num(r, "source_bits_per_message");
        assert!(symbols >= bits / 24.0 * n - 1e-9 && symbols < (bits / 24.0 + 1.0) * n, "{what}");
    }
    let at = |scheme: &str, snr: &str| rows.iter().find(|r| r["scheme"] == scheme && r["snr_db"] == snr).unwrap();
    // LDPC(49,24) at Es/N0 = 6 dB delivers every sentence; uncoded BPSK at -2 dB (BER 0.1) none.
    assert_eq!(num(at("small-lm-ldpc-bp", "6.0"), "message_errors"), 0.0);
    assert_eq!(num(at("huffman-ldpc-bp", "6.0"), "message_errors"), 0.0);
    assert_eq!(num(at("small-lm-uncoded", "-2.0"), "message_errors"), 16.0);

    for f in ["ber", "bleu", "bleu_unified", "similarity", "similarity_unified"] {
        for ext in ["svg", "png"] {
            let p = out.join(format!("{f}.{ext}"));
            assert!(std::fs::metadata(&p).map(|m| m.len() > 1000).unwrap_or(false), "{} missing or empty", p.display());
        }
    }
    // BPSK on AWGN: the BLEU plots mark each scheme's sphere-packing limit.
    for f in ["bleu", "bleu_unified"] {
        let svg = std::fs::read_to_string(out.join(format!("{f}.svg"))).unwrap();
        for scheme in ["small-lm-ldpc-bp", "huffman-ldpc-bp", "small-lm-uncoded"] {
            assert!(
                svg.contains(&format!("{scheme}: no code below (SP59, MER 0.1)")),
                "{f}.svg lacks {scheme}'s limit"
            );
        }
    }
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["seed"], 7);
    assert!(run["finished_unix"].is_u64());

    // Rerunning finds every point done; one thread gives the same counts as two.
    let again = run_quick(&out, "2");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 points simulated, 9 already done"),
        "{}",
        stderr(&again)
    );
    let single = dir.path().join("single");
    assert!(run_quick(&single, "1").status.success());
    assert_eq!(deterministic(&rows), deterministic(&result_rows(&single)));
}
