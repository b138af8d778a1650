//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use neural::jscc::JsccModel;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `sim` binary from the project root.
pub fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).current_dir(root()).output().expect("sim runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `sim args`, which must fail with every one of `needles` in stderr and without a panic.
pub fn fails_with(args: &[&str], needles: &[&str]) {
    let out = sim(args);
    let err = stderr(&out);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected {n:?} in: {err}");
    }
}

/// One row of `results.csv`, by column name.
pub type ResultRow = HashMap<String, String>;

/// `dir/results.csv`: its header (column order) and its rows.
pub fn result_table(dir: &Path) -> (Vec<String>, Vec<ResultRow>) {
    let mut rdr = csv::Reader::from_path(dir.join("results.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows =
        rdr.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect();
    (header, rows)
}

/// The rows of `dir/results.csv`.
pub fn result_rows(dir: &Path) -> Vec<ResultRow> {
    result_table(dir).1
}

/// Column `k` of a row as a number.
pub fn num(r: &ResultRow, k: &str) -> f64 {
    r[k].parse().unwrap_or_else(|_| panic!("column {k} = '{}' is not a number", r[k]))
}

/// `dir/results.csv` without the `seconds` column (the only one that differs between runs of the
/// same scenario and seed), one string per row, header included.
pub fn results_but_seconds(dir: &Path) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(dir.join("results.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let keep: Vec<usize> = (0..header.len()).filter(|&i| header[i] != "seconds").collect();
    let mut rows = vec![keep.iter().map(|&i| header[i].clone()).collect::<Vec<_>>().join(",")];
    for r in rdr.records() {
        let r = r.unwrap();
        rows.push(keep.iter().map(|&i| r[i].to_string()).collect::<Vec<_>>().join(","));
    }
    rows
}

/// A small untrained DeepSC over the Europarl vocabulary, saved in `dir`.
pub fn tiny_weights(dir: &Path) -> std::path::PathBuf {
    let vocab = neural::jscc::word_vocab::WordVocab::from_json_file(&root().join("data/europarl/vocab.json")).unwrap();
    let model = neural::jscc::deepsc::DeepSc::new(
        neural::jscc::deepsc::DeepScConfig::tiny(vocab.len()),
        9,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let path = dir.join("tiny-deepsc.safetensors");
    model.save(&path, &vocab, &serde_json::json!({"steps": 0}), neural::core::weights::StoredDtype::F16).unwrap();
    path
}

/// A small untrained UT (or UT-quant) over the Europarl vocabulary, saved in `dir`.
pub fn tiny_ut(dir: &Path, quantized: bool) -> std::path::PathBuf {
    let vocab = neural::jscc::word_vocab::WordVocab::from_json_file(&root().join("data/europarl/vocab.json")).unwrap();
    let config = if quantized {
        neural::jscc::ut::UtConfig::tiny_quantized(vocab.len())
    } else {
        neural::jscc::ut::UtConfig::tiny(vocab.len())
    };
    let model = neural::jscc::ut::Ut::new(config, 4, &candle_core::Device::Cpu).unwrap();
    let path = dir.join(if quantized { "tiny-ut-quant.safetensors" } else { "tiny-ut.safetensors" });
    model.save(&path, &vocab, &serde_json::json!({"steps": 0}), neural::core::weights::StoredDtype::F16).unwrap();
    path
}

/// The head of a text scenario (all but its `[[schemes]]`): Europarl sentences over AWGN, LDPC(49,24)
/// with 50 sum-product iterations, `messages` sentences at Es/N0 `snrs` (a TOML list).
pub fn ldpc_awgn_text_scenario(name: &str, seed: u64, snrs: &str, messages: usize) -> String {
    format!(
        r#"
name = "{name}"
seed = {seed}

[snr]
axis = "esn0"
values_db = {snrs}

[text]
file = "data/europarl/test_sentences.txt"
messages = {messages}
batch_messages = 16

[channel]
kind = "awgn"

[code]
kind = "ldpc"
file = "codes/matrices/LDPC_N49_K24.alist"

[decoder]
kind = "sum-product"
iterations = 50
"#
    )
}

/// The row of `scheme` at `snr` dB (scenario axis).
pub fn row_at<'a>(rows: &'a [ResultRow], scheme: &str, snr: f64) -> &'a ResultRow {
    rows.iter()
        .find(|r| r["scheme"] == scheme && num(r, "snr_db") == snr)
        .unwrap_or_else(|| panic!("no row of {scheme} at {snr} dB"))
}

/// Runs the shipped scenario `scenario` (a path under the project root) with the `[[schemes]]`
/// tables `extra` appended and `sets` as `--set` overrides, from a copy in a temporary folder (its
/// code files still found in the project); returns the folder, which must outlive the rows, and
/// its result rows.
pub fn run_with_schemes(scenario: &str, extra: &str, sets: &[&str]) -> (tempfile::TempDir, Vec<ResultRow>) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(scenario)).unwrap();
    let body = text.replace("file = \"codes/", &format!("file = \"{}/codes/", root().display()));
    let copy = write(dir.path(), "scenario.toml", &(body + extra));
    let out = dir.path().join("out");
    let mut args = vec!["run", copy.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = sim(&args);
    assert!(o.status.success(), "sim run failed: {}", stderr(&o));
    let rows = result_rows(&out);
    (dir, rows)
}

/// `[[schemes]]` tables for a scheme named `name` with `source`, on the noise of `noise_from`, with
/// OSD-2 for its decoder, alone and (`name`-icd) with ICD on OSD-2's codeword lists.
pub fn osd2_and_icd_schemes(name: &str, source: &str, noise_from: &str) -> String {
    let osd = format!(
        "\n[[schemes]]\nname = \"{name}\"\nsource = \"{source}\"\nnoise_from = \"{noise_from}\"\n\
         decoder = {{ kind = \"osd\", order = 2 }}\n"
    );
    let icd = osd.replace(&format!("\"{name}\""), &format!("\"{name}-icd\"")) + "receiver = { kind = \"icd\" }\n";
    osd + &icd
}

/// ICD on OSD's codeword lists (`icd`) against OSD alone (`plain`), both on the same noise, at each
/// of `snrs`, for `items` messages whose whole decoding takes `steps` model steps: the same
/// decisions, never more wrong, at most 10 candidates per message OSD's decoding left flagged, at
/// most one decoding per candidate, and less where candidates break (a broken candidate is decoded
/// only up to where it broke). Returns both wrong-message totals.
pub fn check_icd_against_osd(
    rows: &[ResultRow],
    (plain, icd): (&str, &str),
    snrs: &[f64],
    items: f64,
    steps: f64,
) -> (f64, f64) {
    let (mut plain_errors, mut icd_errors) = (0.0, 0.0);
    for &snr in snrs {
        let (p, i) = (row_at(rows, plain, snr), row_at(rows, icd, snr));
        let (wrong_p, wrong_i) = (num(p, "message_errors"), num(i, "message_errors"));
        eprintln!("{snr} dB: {wrong_p} wrong with {plain}, {wrong_i} with {icd} (unflagged {})", i["unflagged_errors"]);
        for column in ["frames", "bit_errors", "frame_errors", "coded_bit_errors"] {
            assert_eq!(p[column], i[column], "{snr} dB, {column}: the same noise and decisions");
        }
        assert!(wrong_i <= wrong_p, "{snr} dB: {icd} leaves {wrong_i} wrong, {plain} {wrong_p}");
        let per_message = num(i, "candidates_per_message");
        assert!(per_message <= 10.0 * num(p, "flagged_messages") / items, "{snr} dB: {per_message} candidates");
        let lm_steps = num(i, "lm_steps_per_message");
        assert!(lm_steps <= per_message * steps, "{snr} dB: {lm_steps} steps for {per_message} candidates");
        if per_message > 0.0 {
            // Some candidates break, and are decoded only up to where they broke.
            assert!(lm_steps < per_message * steps, "{snr} dB: {lm_steps} steps for {per_message} candidates");
        }
        (plain_errors, icd_errors) = (plain_errors + wrong_p, icd_errors + wrong_i);
    }
    (plain_errors, icd_errors)
}

/// Messages of `blocks[i]` blocks of `k` bits each, back to back: the bit ranges a link's
/// `transmit_frames` takes.
pub fn messages(blocks: &[usize], k: usize) -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    blocks
        .iter()
        .map(|&b| {
            start += b * k;
            start - b * k..start
        })
        .collect()
}
