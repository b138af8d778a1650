//! Bad input gets one clear error naming file, line and field — and never a panic.

use crate::common;
use crate::common::{fails_with, write};

#[test]
fn scenario_with_unknown_key_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "s.toml", "name = \"x\"\n\n[decoder]\niterations = 5\nitertions = 7\n");
    fails_with(&["run", p.to_str().unwrap()], &["s.toml", "line 5", "itertions"]);
}

#[test]
fn scenario_with_wrong_type_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "s.toml", "name = \"x\"\n[snr]\nvalues_db = \"four\"\n");
    fails_with(&["run", p.to_str().unwrap()], &["s.toml", "line 3", "values_db"]);
}

#[test]
fn empty_snr_list_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "s.toml", "name = \"x\"\n[snr]\naxis = \"esn0\"\nvalues_db = []\n");
    fails_with(&["run", p.to_str().unwrap()], &["s.toml:4", "snr.values_db", "empty"]);
    fails_with(
        &["run", "scenarios/uncoded-awgn.toml", "--set", "snr.values_db=[]"],
        &["--set snr.values_db=[]", "empty"],
    );
    // Finite but absurd: once accepted, simulated, and then failed writing a file named by the
    // SNR's 309 digits.
    fails_with(
        &["run", "scenarios/image-quick.toml", "--set", "snr.values_db=[1e308]"],
        &["--set snr.values_db=[1e308]", "outside [-200, 200] dB"],
    );
}

#[test]
fn sizes_that_cannot_be_allocated_are_refused_before_anything_runs() {
    // Once allocated whole (100 GB for one uncoded frame), and killed by the kernel.
    fails_with(
        &["run", "scenarios/uncoded-awgn.toml", "--set", "code.uncoded_bits=100000000000"],
        &["--set code.uncoded_bits=100000000000", "1 to 65536 bits"],
    );
    fails_with(
        &["run", "scenarios/quick.toml", "--set", "schemes.1.code={kind=\"uncoded\", uncoded_bits=100000000000}"],
        &["code.uncoded_bits", "1 to 65536 bits"],
    );
    fails_with(
        &["run", "scenarios/uncoded-awgn.toml", "--set", "stop.batch_frames=100000000000"],
        &["--set stop.batch_frames=100000000000", "1 to 65536"],
    );
    fails_with(
        &["run", "scenarios/uncoded-awgn.toml", "--set", "stop.batch_frames=65536", "--set", "code.uncoded_bits=2048"],
        &["stop.batch_frames", "65536 frames of 2048 bits"],
    );
}

#[test]
fn unknown_set_key_is_named() {
    fails_with(
        &["run", "scenarios/uncoded-awgn.toml", "--set", "decoder.iters=5"],
        &["decoder.iters", "decoder.iterations"],
    );
    fails_with(
        &["run", "scenarios/uncoded-awgn.toml", "--set", "decoder.kind=bp"],
        &["--set decoder.kind=bp", "field 'decoder.kind'", "unknown variant"],
    );
}

#[test]
fn a_bad_value_is_pinned_on_its_set_or_its_line_when_sets_are_given() {
    // Once any --set was given, every type error came back as "(with --set a --set b): invalid
    // type", naming neither the field nor the line.
    let sets = ["--set", "seed=4", "--set", "image.tiles=-1", "--set", "decoder.iterations=abc"];
    fails_with(
        &[&["run", "scenarios/quick.toml"], &sets[..]].concat(),
        &["--set image.tiles=-1: field 'image.tiles'", "expected usize"],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "s.toml", "name = \"x\"\n[snr]\nvalues_db = [\"abc\"]\n");
    fails_with(&["run", p.to_str().unwrap(), "--set", "seed=4"], &["s.toml", "line 3", "expected f64"]);
}

#[test]
fn malformed_alist_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // Column weights line says 3 entries but the matrix declares 4 columns.
    let p = write(dir.path(), "bad.alist", "4 2\n2 4\n1 1 x 1\n2 2\n1\n1\n2\n1\n1 2 3 4\n1 2 4 0\n");
    fails_with(&["codes", "info", p.to_str().unwrap()], &["bad.alist", "3"]);
    let empty = write(dir.path(), "empty.alist", "");
    fails_with(&["codes", "info", empty.to_str().unwrap()], &["empty.alist"]);
    let dense = write(dir.path(), "BAD.txt", "1 0 1\n0 2 1\n");
    fails_with(&["codes", "info", dense.to_str().unwrap()], &["BAD.txt", "2"]);
}

#[test]
fn missing_files_are_named() {
    fails_with(&["run", "scenarios/no-such.toml"], &["no-such.toml"]);
    fails_with(
        &[
            "run",
            "scenarios/ldpc49-bp-awgn.toml",
            "--set",
            "code.file=codes/matrices/NOPE.alist",
            "--out",
            "/tmp/lmsscc-nope",
        ],
        &["NOPE.alist"],
    );
}

/// A text scenario with one Huffman scheme (fast, nothing to fetch) and `extra` appended.
fn text_scenario(dir: &std::path::Path, scheme: &str, extra: &str) -> std::path::PathBuf {
    let root = common::root();
    let text = format!(
        "name = \"t\"\n[metrics]\nsimilarity = false\n[text]\nfile = \"{}\"\nmessages = 2\n[code]\nkind = \"uncoded\"\nuncoded_bits = 24\n\n[[schemes]]\n{scheme}\n{extra}",
        root.join("data/europarl/test_sentences.txt").display()
    );
    write(dir, "t.toml", &text)
}

#[test]
fn text_scenarios_name_the_scheme_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let p = text_scenario(dir.path(), "name = \"h\"\nsource = \"morse\"", "");
    fails_with(&["run", p.to_str().unwrap(), "--out", out], &["t.toml", "line 13", "morse", "source"]);
    let p = text_scenario(
        dir.path(),
        "name = \"h\"\nsource = \"huffman\"",
        "[[schemes]]\nname = \"h\"\nsource = \"zstd\"\n",
    );
    fails_with(&["run", p.to_str().unwrap(), "--out", out], &["t.toml:12", "scheme 'h'", "name", "share"]);
    let p = text_scenario(dir.path(), "name = \"h\"\nsource = \"huffman\"\ncode = { kind = \"ldpc\" }", "");
    fails_with(&["run", p.to_str().unwrap(), "--out", out], &["t.toml:12", "scheme 'h'", "code.file"]);
    let p = text_scenario(dir.path(), "name = \"h\"\nsource = \"huffman\"\nsnr_values_db = [1.0, 2.0, 1.0]", "");
    fails_with(
        &["run", p.to_str().unwrap(), "--out", out],
        &["t.toml:12", "scheme 'h'", "snr_values_db", "1 dB appears twice (positions 1 and 3)"],
    );
    let p = text_scenario(dir.path(), "name = \"h\"\nsource = \"huffman\"\nsnr_values_db = []", "");
    fails_with(&["run", p.to_str().unwrap(), "--out", out], &["scheme 'h'", "snr_values_db", "empty"]);
    let p = text_scenario(dir.path(), "name = \"h\"\nsource = \"huffman\"", "[unified]\nreference = \"nope\"\n");
    fails_with(&["run", p.to_str().unwrap(), "--out", out], &["t.toml", "unified.reference", "nope"]);
    let p = text_scenario(dir.path(), "name = \"h\"\nsource = \"huffman\"", "");
    fails_with(&["run", p.to_str().unwrap(), "--out", out, "--set", "schemes.x.source=zstd"], &["no scheme 'x'", "h"]);
    fails_with(
        &["run", p.to_str().unwrap(), "--out", out, "--set", "text.file=/no/such/text.txt"],
        &["/no/such/text.txt", "text.file"],
    );
    fails_with(
        &["run", p.to_str().unwrap(), "--out", out, "--set", "text.messages=100000"],
        &["text.messages", "7347"],
    );
    // A message too long for the length header names its line in the text file.
    fails_with(
        &["run", p.to_str().unwrap(), "--out", out, "--set", "framing.length_bits=6"],
        &["test_sentences.txt:1", "framing.length_bits"],
    );
}
