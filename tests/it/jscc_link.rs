//! JSCC schemes in `sim run`: a DeepSC scheme beside an SSCC one in one scenario, its rows, its
//! channel use on the unified axis, unseen words, and the errors a user gets for bad weights.
//!
//! The weights here are a small untrained DeepSC over the real Europarl vocabulary: the test is about
//! the plumbing and the accounting, not the model's quality (`jscc_quality.rs` checks that).

use std::path::Path;

use crate::common::{fails_with, num, result_rows, root, sim, stderr, tiny_ut, tiny_weights, write};
use neural::core::weights::StoredDtype;
use neural::jscc::deepsc::{DeepSc, DeepScConfig};
use neural::jscc::ut::UtConfig;
use neural::jscc::word_vocab::WordVocab;
use neural::jscc::JsccModel;

fn scenario(dir: &Path, text: &Path, weights: &Path) -> std::path::PathBuf {
    write(
        dir,
        "jscc.toml",
        &format!(
            r#"name = "jscc-test"
seed = 5
[snr]
values_db = [0.0, 12.0]
[text]
file = "{}"
messages = 6
batch_messages = 4
[metrics]
similarity = false
[unified]
reference = "huffman-uncoded"
[code]
kind = "uncoded"
uncoded_bits = 64
[[schemes]]
name = "huffman-uncoded"
source = "huffman"
[[schemes]]
name = "deepsc"
source = "deepsc"
weights = "{}"
"#,
            text.display(),
            weights.display()
        ),
    )
}

#[test]
fn deepsc_rows_charge_16_floats_per_word_and_count_unseen_words() {
    let dir = tempfile::tempdir().unwrap();
    let weights = tiny_weights(dir.path());
    // Two lines with words no Europarl vocabulary has.
    let lines = [
        "the house rose and observed a minute s silence",
        "thank you mr segni i shall do so gladly .",
        "zorblax quuxified the frobnicator .",
        "we vote on the report tomorrow .",
        "the commission qwertyuiop agrees .",
        "i should like to thank the rapporteur .",
    ];
    let text = write(dir.path(), "text.txt", &(lines.join("\n") + "\n"));
    let sc = scenario(dir.path(), &text, &weights);
    let out_dir = dir.path().join("out");
    let out = sim(&["run", sc.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("deepsc: 4 words not in its 22234-word vocabulary"), "{err}");

    let vocab = WordVocab::from_json_file(&root().join("data/europarl/vocab.json")).unwrap();
    let positions: usize = lines.iter().map(|l| vocab.encode(l).ids.len()).sum();
    let reals_per_message = (positions * 4) as f64 / lines.len() as f64; // tiny(): 4 reals per word
    let all = result_rows(&out_dir);
    assert_eq!(all.len(), 4);
    let huffman = all.iter().find(|r| r["scheme"] == "huffman-uncoded").unwrap();
    for r in all.iter().filter(|r| r["scheme"] == "deepsc") {
        assert_eq!(num(r, "messages"), 6.0);
        assert!((num(r, "symbols_per_message") - reals_per_message).abs() < 1e-9, "{r:?}");
        // Unified: Es/N0 + 10 log10(S·32 / S_ref).
        let want = num(r, "esn0_db") + 10.0 * (reals_per_message * 32.0 / num(huffman, "symbols_per_message")).log10();
        assert!((num(r, "snr_unified_db") - want).abs() < 1e-9, "{r:?}");
        assert!(r["source_bits_per_char"].is_empty(), "JSCC has no source bits");
        assert!(r["channel"].contains("JSCC"), "{r:?}");
        for k in ["bleu1", "bleu4", "message_error_rate"] {
            assert!((0.0..=1.0).contains(&num(r, k)), "{k}: {r:?}");
        }
        // An untrained model reproduces nothing.
        assert!(num(r, "message_errors") >= 5.0, "{r:?}");
    }

    // Rerun resumes: nothing left to simulate.
    let again = sim(&["run", sc.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(result_rows(&out_dir), all);

    // Retrained weights under the same path, one point still to do: the old rows are not mixed
    // with rows of the new model.
    let vocab = WordVocab::from_json_file(&root().join("data/europarl/vocab.json")).unwrap();
    let other = DeepSc::new(DeepScConfig::tiny(vocab.len()), 10, &candle_core::Device::Cpu).unwrap();
    other.save(&weights, &vocab, &serde_json::json!({"steps": 1}), StoredDtype::F16).unwrap();
    let csv_path = out_dir.join("results.csv");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !(l.starts_with("deepsc,") && l.contains(",12.0,") || l.starts_with("deepsc,") && l.contains(",12,"))
        })
        .collect();
    assert_eq!(kept.len(), text.lines().count() - 1, "dropped the deepsc 12 dB row");
    std::fs::write(&csv_path, kept.join("\n") + "\n").unwrap();
    let run_json = std::fs::read_to_string(out_dir.join("run.json")).unwrap();
    let refused = sim(&["run", sc.to_str().unwrap(), "--quiet", "--out", out_dir.to_str().unwrap()]);
    let err = stderr(&refused);
    assert!(!refused.status.success() && err.contains("other weights") && err.contains("--fresh"), "{err}");
    assert_eq!(std::fs::read_to_string(out_dir.join("run.json")).unwrap(), run_json, "a refused run rewrote run.json");
    // Following the advice redoes every row with the new weights (same configuration, so only
    // --fresh can say so).
    let fresh = sim(&["run", sc.to_str().unwrap(), "--fresh", "--out", out_dir.to_str().unwrap()]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    assert!(
        String::from_utf8_lossy(&fresh.stdout).contains(&format!("{} points simulated; results in", all.len())),
        "{}",
        String::from_utf8_lossy(&fresh.stdout)
    );
    assert_eq!(result_rows(&out_dir).len(), all.len());
}

#[test]
fn bad_weights_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = write(dir.path(), "text.txt", &"we vote on the report tomorrow .\n".repeat(6));
    let missing = dir.path().join("nope.safetensors");
    let sc = scenario(dir.path(), &text, &missing);
    fails_with(&["run", sc.to_str().unwrap(), "--quiet"], &["scheme 'deepsc'", "weights", "nope.safetensors"]);

    // A truncated weight file: an error naming the file, not a panic.
    let weights = tiny_weights(dir.path());
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    let sc = scenario(dir.path(), &text, &weights);
    fails_with(&["run", sc.to_str().unwrap(), "--quiet"], &["scheme 'deepsc'", "tiny-deepsc.safetensors"]);

    // Code or decoder on a JSCC scheme, and weights on an SSCC one, are refused with the field.
    let with_code = std::fs::read_to_string(&sc)
        .unwrap()
        .replace("source = \"deepsc\"", "source = \"deepsc\"\ncode = { kind = \"uncoded\" }");
    let p = write(dir.path(), "code.toml", &with_code);
    fails_with(&["run", p.to_str().unwrap(), "--quiet"], &["scheme 'deepsc'", "field 'code'"]);
    let sscc_weights =
        std::fs::read_to_string(&sc).unwrap().replace("source = \"huffman\"", "source = \"huffman\"\nweights = \"x\"");
    let p = write(dir.path(), "w.toml", &sscc_weights);
    fails_with(&["run", p.to_str().unwrap(), "--quiet"], &["scheme 'huffman-uncoded'", "field 'weights'"]);
}

/// UT (analog, like DeepSC) and UT-quant (its bits as the payload of the digital link) in one run.
/// UT-quant is lossy: even payloads received bit-exact (uncoded at 12 dB) are decoded by the model,
/// which untrained reproduces nothing.
#[test]
fn ut_is_analog_and_ut_quant_rides_the_digital_link() {
    let dir = tempfile::tempdir().unwrap();
    let ut = tiny_ut(dir.path(), false);
    let utq = tiny_ut(dir.path(), true);
    let text = write(dir.path(), "text.txt", &"we vote on the report tomorrow .\nthank you mr segni .\n".repeat(3));
    let sc = std::fs::read_to_string(scenario(dir.path(), &text, &ut))
        .unwrap()
        .replace("values_db = [0.0, 12.0]", "values_db = [12.0]")
        .replace("source = \"deepsc\"", "source = \"ut\"")
        + &format!("[[schemes]]\nname = \"ut-quant\"\nsource = \"ut-quant\"\nweights = \"{}\"\n", utq.display());
    let sc = write(dir.path(), "ut.toml", &sc);
    let out_dir = dir.path().join("out");
    let out = sim(&["run", sc.to_str().unwrap(), "--quiet", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = result_rows(&out_dir);
    let vocab = WordVocab::from_json_file(&root().join("data/europarl/vocab.json")).unwrap();
    let positions = ["we vote on the report tomorrow .", "thank you mr segni ."].map(|l| vocab.encode(l).ids.len());
    let (ut_cfg, q_cfg) = (UtConfig::tiny(vocab.len()), UtConfig::tiny_quantized(vocab.len()));

    let ut_row = all.iter().find(|r| r["scheme"] == "deepsc").expect("the UT scheme keeps the scenario's name");
    let reals = (positions[0] + positions[1]) as f64 * ut_cfg.values_per_token() as f64 / 2.0;
    assert!((num(ut_row, "symbols_per_message") - reals).abs() < 1e-9, "{ut_row:?}");
    assert!(ut_row["channel"].contains("UT"), "{ut_row:?}");

    let q = all.iter().find(|r| r["scheme"] == "ut-quant").unwrap();
    // Payload: 6 bits per word position behind the 11-bit header, in 64-bit uncoded blocks.
    let blocks: usize = positions.iter().map(|&p| (11 + p * q_cfg.values_per_token()).div_ceil(64)).sum();
    assert!((num(q, "symbols_per_message") - (blocks * 64) as f64 / 2.0).abs() < 1e-9, "{q:?}");
    assert_eq!(num(q, "frame_errors"), 0.0, "12 dB uncoded: every block arrives");
    assert!(num(q, "message_errors") >= 5.0, "lossy coder decoded, not assumed: {q:?}");
    let bits_per_char = (positions[0] + positions[1]) as f64 * 6.0
        / ("we vote on the report tomorrow .".len() + "thank you mr segni .".len()) as f64;
    assert!((num(q, "source_bits_per_char") - bits_per_char).abs() < 1e-9, "{q:?}");
}
