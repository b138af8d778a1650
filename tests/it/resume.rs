//! Results are written point by point; an interrupted sweep resumes where it stopped and ends with
//! exactly the rows an uninterrupted run gives; a folder holding another configuration is refused.

use crate::common::{sim, stderr};

const ARGS: [&str; 6] =
    ["--set", "snr.values_db=[0, 2, 4, 6]", "--set", "stop.max_frames=256", "--set", "code.uncoded_bits=256"];

fn run_into(dir: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "scenarios/uncoded-awgn.toml", "--quiet", "--out", dir];
    args.extend_from_slice(&ARGS);
    args.extend_from_slice(extra);
    sim(&args)
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
