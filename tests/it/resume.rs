//! Results are written point by point; an interrupted sweep resumes where it stopped and ends with
//! exactly the rows an uninterrupted run gives; a folder holding another configuration is refused,
//! unless the scenario only gained schemes or SNR points.

use crate::common::{results_but_seconds, sim, stderr};

const ARGS: [&str; 6] =
    ["--set", "snr.values_db=[0, 2, 4, 6]", "--set", "stop.max_frames=256", "--set", "code.uncoded_bits=256"];

fn run_into(dir: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "scenarios/uncoded-awgn.toml", "--quiet", "--out", dir];
    args.extend_from_slice(&ARGS);
    args.extend_from_slice(extra);
    sim(&args)
}

/// `results.csv`'s rows but their timings, sorted (a run that resumed writes them in another order).
fn sorted(dir: &std::path::Path) -> Vec<String> {
    let mut rows = results_but_seconds(dir);
    rows.sort();
    rows
}

/// The deterministic part of each row (timings differ between runs).
fn counts(csv: &str) -> Vec<String> {
    csv.lines().map(|l| l.split(',').take(21).collect::<Vec<_>>().join(",")).collect()
}

#[test]
fn interrupted_sweep_resumes_to_identical_rows() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let cut = dir.path().join("cut");
    assert!(run_into(full.to_str().unwrap(), &[]).status.success());
    let full_csv = std::fs::read_to_string(full.join("results.csv")).unwrap();
    assert_eq!(full_csv.lines().count(), 5, "{full_csv}");
    assert!(full.join("run.json").exists() && full.join("ber.svg").exists());

    // Simulate a crash after two points, in the middle of writing the third row.
    assert!(run_into(cut.to_str().unwrap(), &[]).status.success());
    let lines: Vec<&str> = full_csv.lines().collect();
    let partial = format!("{}\n{}\n{}\n{}", lines[0], lines[1], lines[2], &lines[3][..20]);
    std::fs::write(cut.join("results.csv"), partial).unwrap();
    let out = run_into(cut.to_str().unwrap(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 points simulated, 2 already done"));
    let resumed = std::fs::read_to_string(cut.join("results.csv")).unwrap();
    assert_eq!(counts(&resumed), counts(&full_csv));
    // run.json keeps the timings of the rows it resumed from (not those of the row lost mid-write).
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cut.join("run.json")).unwrap()).unwrap();
    let timed: Vec<f64> = run["timings"].as_array().unwrap().iter().map(|t| t["snr_db"].as_f64().unwrap()).collect();
    assert_eq!(timed, [0.0, 2.0, 4.0, 6.0], "{run}");

    // A second rerun simulates nothing.
    let out = run_into(cut.to_str().unwrap(), &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 points simulated, 4 already done"));
}

#[test]
fn different_configuration_in_the_same_folder_is_refused_without_losing_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(run_into(d, &[]).status.success());
    let before = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    let out = run_into(d, &["--set", "seed=2"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("different configuration"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("results.csv")).unwrap(), before);
    let out = run_into(d, &["--set", "seed=2", "--fresh"]);
    assert!(out.status.success());
    let run_json = std::fs::read_to_string(dir.path().join("run.json")).unwrap();
    assert!(run_json.contains("\"seed\": 2"), "{run_json}");
}

#[test]
fn a_scenario_that_gains_a_scheme_keeps_the_rows_of_the_others() {
    // quick.toml without its middle scheme, then whole, into one folder: the second run simulates
    // only that scheme, and the rows equal a whole run from scratch (the last scheme moved one
    // place down meanwhile). A change to a scheme that has
    // rows, to a shared setting, or to the unified SNR's reference scheme (by default the first,
    // so removing it moves every row's unified SNR) is refused by name.
    let dir = tempfile::tempdir().unwrap();
    let (gained, whole) = (dir.path().join("gained"), dir.path().join("whole"));
    let quick = std::fs::read_to_string("scenarios/quick.toml").unwrap();
    let middle = "[[schemes]]\nname = \"huffman-ldpc-bp\"\nsource = \"huffman\"\n\n";
    let first = "[[schemes]]\nname = \"small-lm-ldpc-bp\"\nsource = \"small-lm\"\n";
    assert!(quick.contains(middle) && quick.contains(first), "quick.toml's schemes moved");
    let (fewer, no_first) = (dir.path().join("fewer.toml"), dir.path().join("no-first.toml"));
    std::fs::write(&fewer, quick.replace(middle, "")).unwrap();
    std::fs::write(&no_first, quick.replace(first, "")).unwrap();
    let run = |scenario: &str, out: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["run", scenario, "--quiet", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        sim(&args)
    };
    assert!(run(fewer.to_str().unwrap(), &gained, &[]).status.success());
    let out = run("scenarios/quick.toml", &gained, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 points simulated, 6 already done"));
    assert!(stderr(&out).contains("the rows here are kept"), "{}", stderr(&out));
    assert!(run("scenarios/quick.toml", &whole, &[]).status.success());
    assert_eq!(sorted(&gained), sorted(&whole));
    let run_json = std::fs::read_to_string(gained.join("run.json")).unwrap();
    let whole_json = std::fs::read_to_string(whole.join("run.json")).unwrap();
    let hash = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap()["config_hash"].clone();
    assert_eq!(hash(&run_json), hash(&whole_json), "run.json now describes the whole scenario");

    let before = std::fs::read_to_string(gained.join("results.csv")).unwrap();
    for (change, says) in [
        ("schemes.huffman-ldpc-bp.decoder.iterations=5", "scheme 'huffman-ldpc-bp' changed"),
        ("seed=3", "`seed` changed"),
    ] {
        let out = run("scenarios/quick.toml", &gained, &["--set", change]);
        assert!(!out.status.success() && stderr(&out).contains(says), "{change}: {}", stderr(&out));
    }
    let out = run(fewer.to_str().unwrap(), &gained, &[]);
    assert!(stderr(&out).contains("scheme 'huffman-ldpc-bp' has rows here but is not in the scenario"));
    let out = run(no_first.to_str().unwrap(), &gained, &[]);
    let says = "the unified SNR's reference scheme changed ('small-lm-ldpc-bp' then, 'huffman-ldpc-bp' now)";
    assert!(stderr(&out).contains(says), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(gained.join("results.csv")).unwrap(), before);

    // One scheme's own grid may gain a point (every row stays; results.csv lists them in the new
    // grid's order), not lose one with a row.
    let out = run("scenarios/quick.toml", &gained, &["--set", "schemes.huffman-ldpc-bp.snr_values_db=[6, 3, 1, -2]"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 points simulated, 9 already done"));
    assert!(stderr(&out).contains("the rows here are kept"), "{}", stderr(&out));
    let but_3_db = |dir: &std::path::Path| {
        let mut rows = sorted(dir);
        rows.retain(|r| !r.starts_with("huffman-ldpc-bp,awgn,3.0,"));
        rows
    };
    let grown = sorted(&gained);
    assert_eq!((grown.len(), but_3_db(&gained)), (11, sorted(&whole)));
    let out = run("scenarios/quick.toml", &gained, &["--set", "schemes.huffman-ldpc-bp.snr_values_db=[-2, 1, 3]"]);
    let says = "scheme 'huffman-ldpc-bp''s row at 6 dB is a point its SNR list no longer holds";
    assert!(!out.status.success() && stderr(&out).contains(says), "{}", stderr(&out));
    assert_eq!(sorted(&gained), grown);
}

#[test]
fn an_snr_grid_that_gains_points_keeps_its_rows() {
    // A point's noise is keyed by its SNR value, not its place in the list: [2, 4] then
    // [0, 2, 4, 6] runs two points and gives the rows of [0, 2, 4, 6] from scratch. A list that
    // drops a point with a row, or another SNR axis, is refused and leaves the rows as they were.
    let dir = tempfile::tempdir().unwrap();
    let (grown, whole) = (dir.path().join("grown"), dir.path().join("whole"));
    let run = |out: &std::path::Path, grid: &str, extra: &[&str]| {
        let mut args = vec!["run", "scenarios/uncoded-awgn.toml", "--quiet", "--out", out.to_str().unwrap()];
        args.extend_from_slice(&ARGS[2..]);
        args.extend_from_slice(&["--set", grid]);
        args.extend_from_slice(extra);
        sim(&args)
    };
    assert!(run(&grown, "snr.values_db=[2, 4]", &[]).status.success());
    let out = run(&grown, "snr.values_db=[0, 2, 4, 6]", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 points simulated, 2 already done"));
    assert!(stderr(&out).contains("the rows here are kept"), "{}", stderr(&out));
    assert!(run(&whole, "snr.values_db=[0, 2, 4, 6]", &[]).status.success());
    assert_eq!(sorted(&grown), sorted(&whole));

    let before = std::fs::read_to_string(grown.join("results.csv")).unwrap();
    for (grid, extra, says) in [
        ("snr.values_db=[0, 4, 6]", None, "the scenario's row at 2 dB is a point its SNR list no longer holds"),
        ("snr.values_db=[0, 2, 4, 6]", Some("snr.axis=\"ebn0\""), "`snr` changed"),
    ] {
        let extra: Vec<&str> = extra.into_iter().flat_map(|e| ["--set", e]).collect();
        let out = run(&grown, grid, &extra);
        assert!(!out.status.success() && stderr(&out).contains(says), "{grid}: {}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(grown.join("results.csv")).unwrap(), before);
}

#[test]
fn a_point_that_misses_its_error_target_says_so_and_keeps_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = sim(&[
        "run",
        "scenarios/uncoded-awgn.toml",
        "--out",
        d,
        "--set",
        "snr.values_db=[12]",
        "--set",
        "stop.max_frames=10",
    ]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("spent its frame budget"), "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().contains(",frames,"), "{csv}");
}
