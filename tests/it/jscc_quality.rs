//! The shipped JSCC models as the issue asks them to behave: over AWGN at 18 dB (nearly noiseless),
//! greedy decoding reproduces most Europarl test sentences. DeepSC: BLEU-1 ≥ 0.9 on the first 100
//! (the issue's bar). UT and UT-quant (whose 30 bits per word cross LDPC(49,24) + BP, error-free at
//! this SNR): a floor a little under what the shipped files measure, so a retrained or damaged file
//! that falls behind fails here. The same for the Rayleigh fine-tunes of DeepSC and UT, which a
//! Rayleigh scenario loads by default.
//!
//! Measured on the shipped weights (`neural/models/README.md`): over AWGN DeepSC (4,450 CPU steps)
//! 0.932, UT (rescaled restart + 7,050 steps + 500 at lr 1e-4) 0.920, UT-quant (from the UT's step
//! 5,200: 4,950 + 400 at lr 1e-4) 0.875; over Rayleigh (the fine-tunes) DeepSC 0.919, UT 0.892.

use std::collections::HashMap;

use crate::common::{num, result_rows, sim, stderr, write};

/// BLEU-1 per scheme of the shipped models at 18 dB on the first 100 test sentences (greedy
/// decoding): one scheme per JSCC source, named after it, with its default weights; `channel` is
/// the scenario's channel table ("" for AWGN).
fn bleu1_at_18_db(channel: &str, sources: &[&str]) -> HashMap<String, f64> {
    let schemes: String = sources.iter().map(|s| format!("[[schemes]]\nname = \"{s}\"\nsource = \"{s}\"\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let sc = write(
        dir.path(),
        "jscc18.toml",
        &format!(
            r#"name = "jscc-18db"
seed = 3
[snr]
values_db = [18.0]
[text]
file = "data/europarl/test_sentences.txt"
messages = 100
batch_messages = 50
[metrics]
similarity = false
[code]
kind = "ldpc"
file = "codes/matrices/LDPC_N49_K24.alist"
[decoder]
kind = "sum-product"
iterations = 50
{channel}
{schemes}"#
        ),
    );
    let out_dir = dir.path().join("out");
    let out = sim(&["run", sc.to_str().unwrap(), "--quiet", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    result_rows(&out_dir).iter().map(|r| (r["scheme"].clone(), num(r, "bleu1"))).collect()
}

fn assert_floors(bleu1: &HashMap<String, f64>, floors: &[(&str, f64)]) {
    for &(scheme, floor) in floors {
        assert!(bleu1[scheme] >= floor, "{scheme}: BLEU-1 at 18 dB = {} < {floor}", bleu1[scheme]);
    }
}

#[test]
fn shipped_jscc_models_reproduce_sentences_at_18_db() {
    let bleu1 = bleu1_at_18_db("", &["deepsc", "ut", "ut-quant"]);
    eprintln!("BLEU-1 at 18 dB, AWGN: {bleu1:?}");
    assert_floors(&bleu1, &[("deepsc", 0.9), ("ut", 0.89), ("ut-quant", 0.84)]);
}

/// The Rayleigh fine-tunes, loaded as the defaults for a Rayleigh scenario, over the JSCC block
/// fading (one CN(0,1) gain per sentence: a deep fade costs the whole sentence, hence lower floors).
#[test]
fn shipped_rayleigh_jscc_models_reproduce_sentences_at_18_db() {
    let bleu1 = bleu1_at_18_db("[channel]\nkind = \"rayleigh\"\nfading = \"fast\"\ncsi = true", &["deepsc", "ut"]);
    eprintln!("BLEU-1 at 18 dB, Rayleigh: {bleu1:?}");
    assert_floors(&bleu1, &[("deepsc", 0.88), ("ut", 0.85)]);
}
