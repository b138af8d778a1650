//! What a results folder guarantees when it is reused: rows are only ever resumed by the
//! configuration that made them, a row cut anywhere is redone, two runs never write into one folder
//! at once, a damaged encodings cache is never used, and a resumed text run ends with exactly the
//! rows of an uninterrupted one, similarity included.

use std::fs::OpenOptions;

use crate::common::{fails_with, results_but_seconds, sim, stderr, write};

/// A link-level sweep of four quick points.
fn uncoded(dir: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "scenarios/uncoded-awgn.toml", "--quiet", "--out", dir];
    args.extend_from_slice(&[
        "--set",
        "snr.values_db=[0, 2, 4, 6]",
        "--set",
        "stop.max_frames=256",
        "--set",
        "code.uncoded_bits=256",
    ]);
    args.extend_from_slice(extra);
    sim(&args)
}

#[test]
fn rows_without_run_json_are_never_resumed_by_another_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(uncoded(d, &[]).status.success());
    let before = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    std::fs::remove_file(dir.path().join("run.json")).unwrap();
    let out = uncoded(d, &["--set", "seed=8"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("run.json, which says what produced them, is missing"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("results.csv")).unwrap(), before, "rows kept");
    // --fresh is the way out.
    assert!(uncoded(d, &["--set", "seed=8", "--fresh"]).status.success());
    // A folder with a run.json but no rows (a run that failed before its first point) is anyone's.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::copy(dir.path().join("run.json"), empty.join("run.json")).unwrap();
    assert!(uncoded(empty.to_str().unwrap(), &[]).status.success());
}

#[test]
fn a_row_cut_inside_its_last_number_is_redone() {
    let dir = tempfile::tempdir().unwrap();
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    assert!(uncoded(full.to_str().unwrap(), &[]).status.success());
    assert!(uncoded(cut.to_str().unwrap(), &[]).status.success());
    // `head -c -8`: the last row loses its newline and the end of its last number, and still parses.
    let csv = cut.join("results.csv");
    let bytes = std::fs::read(&csv).unwrap();
    std::fs::write(&csv, &bytes[..bytes.len() - 8]).unwrap();
    let out = uncoded(cut.to_str().unwrap(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 points simulated, 3 already done"));
    assert!(stderr(&out).contains("cut short"), "the repair is said even with --quiet: {}", stderr(&out));
    assert_eq!(results_but_seconds(&cut), results_but_seconds(&full));
    // `sim plot` on a cut file says what it does, in its own words.
    std::fs::write(&csv, &bytes[..bytes.len() - 8]).unwrap();
    let out = sim(&["plot", cut.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("plotting without it") && !stderr(&out).contains("--out"), "{}", stderr(&out));
    // So does `sim report` (it once left the row out without a word), and `sim plot` without run.json.
    let out = sim(&["report", cut.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("reporting without it"), "{}", stderr(&out));
    std::fs::remove_file(cut.join("run.json")).unwrap();
    let out = sim(&["plot", cut.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("run.json: cannot read") && stderr(&out).contains("without the finite-length limit"));
}

#[test]
fn a_folder_in_use_is_refused_naming_its_holder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(uncoded(d, &[]).status.success());
    let before = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    // Hold the folder's lock as a running `sim run` does.
    let lock = OpenOptions::new().read(true).write(true).open(dir.path().join(".lock")).unwrap();
    lock.lock().unwrap();
    let out = uncoded(d, &["--fresh"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("another run is writing into this folder (pid"), "{}", stderr(&out));
    fails_with(&["merge", d], &["another run is writing into this folder"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("results.csv")).unwrap(), before, "untouched");
    drop(lock);
    assert!(uncoded(d, &[]).status.success(), "free again once the holder is gone");
}

#[test]
fn a_resumed_text_run_equals_an_uninterrupted_one_similarity_included() {
    let dir = tempfile::tempdir().unwrap();
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    let run = |out: &std::path::Path| {
        let o = sim(&["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(&full);
    run(&cut);
    // As if killed after the first point (-2 dB, where every message arrives damaged): the next
    // point (1 dB, some messages damaged) is scored in a process that never saw the first, so it
    // would ask the embedder for only some of the sent messages, in another batch.
    let csv = std::fs::read_to_string(cut.join("results.csv")).unwrap();
    let kept: Vec<&str> = csv.lines().take(2).collect();
    std::fs::write(cut.join("results.csv"), kept.join("\n") + "\n").unwrap();
    // ... and with its encodings cache damaged in a message the cache's first-line check cannot see.
    let cache = cut.join("encodings/small-lm.bits");
    let text = std::fs::read_to_string(&cache).unwrap();
    let flipped: Vec<String> =
        text.lines().enumerate().map(|(i, l)| if i == 5 { l.replacen('0', "1", 1) } else { l.to_string() }).collect();
    let flipped = flipped.join("\n") + "\n";
    assert_ne!(flipped, text);
    std::fs::write(&cache, flipped).unwrap();
    run(&cut);
    assert_eq!(results_but_seconds(&cut), results_but_seconds(&full));
    assert_eq!(std::fs::read_to_string(&cache).unwrap(), text, "the damaged cache was rebuilt");
    let samples = |d: &std::path::Path| std::fs::read_to_string(d.join("samples.csv")).unwrap();
    assert_eq!(samples(&cut), samples(&full), "samples.csv too");
}

#[test]
fn nonsense_numbers_are_refused_before_anything_runs() {
    let u = "scenarios/uncoded-awgn.toml";
    fails_with(&["run", u, "--set", "stop.min_frame_errors=0"], &["stop.min_frame_errors", "at least 1"]);
    fails_with(&["run", u, "--set", "snr.values_db=[0, 2, 0]"], &["snr.values_db", "appears twice"]);
    let ldpc = "scenarios/ldpc49-bp-awgn.toml";
    fails_with(&["run", ldpc, "--set", "decoder.alpha=nan"], &["decoder.alpha", "normalisation factor"]);
    fails_with(&["run", ldpc, "--set", "decoder.beta=-0.5"], &["decoder.beta", "offset"]);
    fails_with(
        &["run", "scenarios/quick.toml", "--set", "text.repeats=1000000000000"],
        &["text.repeats", "more than the"],
    );
    // A code without information bits: H = I (3 × 3).
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "identity.alist", "3 3\n1 1\n1 1 1\n1 1 1\n1\n2\n3\n1\n2\n3\n");
    fails_with(
        &["run", ldpc, "--set", &format!("code.file={}", h.display()), "--out", dir.path().join("o").to_str().unwrap()],
        &["identity.alist", "no information bits"],
    );
    // `sim slurm` checks what `sim run` would, before anything reaches a cluster.
    let slurm_out = dir.path().join("s");
    fails_with(
        &[
            "slurm",
            "scenarios/quick.toml",
            "--shards",
            "2",
            "--set",
            "text.file=/nonexistent.txt",
            "--out",
            slurm_out.to_str().unwrap(),
        ],
        &["/nonexistent.txt"],
    );
    assert!(!slurm_out.join("slurm").exists(), "no scripts written for a scenario that cannot run");
    // A missing code file is named once, with both places looked in.
    let out = sim(&["run", ldpc, "--set", "code.file=nowhere.alist", "--out", dir.path().join("p").to_str().unwrap()]);
    let err = stderr(&out);
    assert!(!out.status.success() && err.contains("nowhere.alist") && err.contains("working directory"), "{err}");
}

#[test]
fn sim_runs_from_any_folder_without_the_source_tree() {
    // The Huffman codebook is embedded; the text set is found beside the scenario.
    let dir = tempfile::tempdir().unwrap();
    let scenario = crate::common::root().join("scenarios/quick.toml");
    let out = dir.path().join("q");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .args(["--set", "snr.values_db=[6]", "--set", "metrics.similarity=false"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(crate::common::result_rows(&out).len(), 3);
}

/// Copies the files of `from` (and its subfolders) into `to`, leaving out the lock.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_folder(&e.path(), &target);
        } else if e.file_name() != ".lock" {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Fault injection: for each kind of file a text run writes, delete it, cut it in half, or flip one
/// bit in its middle, then rerun. The outcome is the uninterrupted run's rows exactly, or a clear
/// refusal that leaves `results.csv` as it found it; never a mix, never a panic.
#[test]
fn every_file_of_a_results_folder_damaged_gives_the_right_rows_or_a_clear_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let run = |out: &std::path::Path| sim(&["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap()]);
    let o = run(&full);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = results_but_seconds(&full);
    let files =
        ["results.csv", "run.json", "samples.csv", "encodings/small-lm.bits", "encodings/huffman.bits", "ber.svg"];
    let samples = |d: &std::path::Path| std::fs::read_to_string(d.join("samples.csv")).unwrap();
    let (mut redone, mut refused) = (0, 0);
    for file in files {
        let faults: &[&str] = if file.ends_with(".csv") {
            &["delete", "cut in half", "flip a bit", "change a number"]
        } else {
            &["delete", "cut in half", "flip a bit"]
        };
        for &fault in faults {
            let case = dir.path().join(format!("{}-{}", file.replace('/', "-"), fault.replace(' ', "-")));
            copy_folder(&full, &case);
            // The last point (3 rows, one per scheme) still to do, so the caches are read.
            let csv = std::fs::read_to_string(case.join("results.csv")).unwrap();
            let lines: Vec<&str> = csv.lines().collect();
            std::fs::write(case.join("results.csv"), lines[..lines.len() - 3].join("\n") + "\n").unwrap();
            let path = case.join(file);
            let bytes = std::fs::read(&path).unwrap();
            match fault {
                "delete" => std::fs::remove_file(&path).unwrap(),
                "cut in half" => std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap(),
                // A digit of a score in the first data row, still a valid number (an edit or a
                // flipped bit that happens to keep the file well-formed).
                "change a number" => {
                    let text = String::from_utf8(bytes.clone()).unwrap();
                    let mut lines: Vec<String> = text.lines().map(String::from).collect();
                    let fields: Vec<&str> = lines[1].split(',').collect();
                    let at = fields.iter().rposition(|f| f.starts_with("0.") && f.len() > 4).unwrap();
                    let mut changed: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                    changed[at] = format!("{}7", changed[at]);
                    lines[1] = changed.join(",");
                    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
                }
                _ => {
                    let mut b = bytes.clone();
                    b[bytes.len() / 2] ^= 1;
                    std::fs::write(&path, b).unwrap();
                }
            }
            let before = std::fs::read(case.join("results.csv")).ok();
            let o = run(&case);
            let err = stderr(&o);
            assert!(!err.contains("panicked"), "{file}, {fault}: {err}");
            if o.status.success() {
                assert_eq!(results_but_seconds(&case), want, "{file}, {fault}: a rerun gave other rows");
                assert_eq!(samples(&case), samples(&full), "{file}, {fault}: other samples");
                redone += 1;
            } else {
                assert!(err.contains("error:") && err.len() > 20, "{file}, {fault}: unclear refusal: {err}");
                assert_eq!(
                    std::fs::read(case.join("results.csv")).ok(),
                    before,
                    "{file}, {fault}: a refusal changed rows"
                );
                refused += 1;
            }
        }
    }
    // Caches and plots are rebuilt; only a missing or unreadable run.json (or an unreadable
    // results.csv) stops a run.
    assert!(redone >= 15 && refused >= 2, "redone {redone}, refused {refused}");
}

/// A scheme's rows are bound to what the scheme is, beyond its configuration: run.json records each
/// scheme's facts (channel use, source bits, sha256 of its model or weights); a resumed run whose
/// scheme differs (here: as if the model file under the same path had been replaced) is refused.
#[test]
fn rows_of_a_scheme_whose_model_changed_under_the_same_path_are_not_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap()];
        args.extend(["--set", "snr.values_db=[6]"]);
        args.extend_from_slice(extra);
        sim(&args)
    };
    assert!(run(&[]).status.success());
    let path = out.join("run.json");
    let mut info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let facts = &info["schemes"]["small-lm-ldpc-bp"];
    assert!(facts["text"]["source_bits"].as_u64().unwrap() > 0, "{facts}");
    info["schemes"]["small-lm-ldpc-bp"]["text"]["weights_sha256"] = serde_json::json!("0123456789abcdef");
    std::fs::write(&path, serde_json::to_string_pretty(&info).unwrap()).unwrap();
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let o = run(&[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("scheme 'small-lm-ldpc-bp' has rows made with other weights or another model file"), "{err}");
    assert!(err.contains("0123456789ab then, none now") && err.contains("--fresh"), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("results.csv")).unwrap(), csv, "nothing written");
    assert!(run(&["--fresh"]).status.success());
}
