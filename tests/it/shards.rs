//! Sharded sweeps without a cluster: `sim run --shard I/N` for every I, then `sim merge`, must give a
//! single run's results.csv (every column but `seconds`) for a link-level and a text scenario, also
//! after a shard is killed and rerun; damaged, truncated or mixed shard files must be refused with
//! the file named, and nothing merged. Points the results folder already holds (a grid grown after a
//! run) are left to those rows.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{fails_with, result_rows, results_but_seconds, root, sim, stderr};

/// A small uncoded AWGN sweep whose points stop for both reasons: 0 and 6 dB in the first group,
/// 8 dB after several groups on errors, 10 dB on the frame budget with a short last group.
const LINK: [&str; 10] = [
    "--set",
    "snr.values_db=[0, 6, 8, 10]",
    "--set",
    "code.uncoded_bits=256",
    "--set",
    "stop.batch_frames=16",
    "--set",
    "stop.min_frame_errors=100",
    "--set",
    "stop.max_frames=4000",
];

fn run_args<'a>(scenario: &'a str, out: &'a str, overrides: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", scenario, "--quiet", "--out", out];
    args.extend_from_slice(overrides);
    args.extend_from_slice(extra);
    args
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what} failed: {}", stderr(&o));
    o
}

fn single(scenario: &str, out: &Path, overrides: &[&str]) {
    ok(sim(&run_args(scenario, out.to_str().unwrap(), overrides, &[])), "single run");
}

fn shard(scenario: &str, out: &Path, overrides: &[&str], id: &str) -> Output {
    sim(&run_args(scenario, out.to_str().unwrap(), overrides, &["--shard", id]))
}

fn merge(out: &Path) -> Output {
    sim(&["merge", out.to_str().unwrap(), "--quiet"])
}

fn shard_file(out: &Path, name: &str) -> PathBuf {
    out.join("shards").join(name)
}

/// Work records (lines after the header) as (scheme, SNR, unit), in file order.
fn units(file: &Path) -> Vec<(String, f64, u64)> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l[65..]).unwrap();
            let r = &v["record"];
            let unit = r.get("group").or_else(|| r.get("batch")).unwrap().as_u64().unwrap();
            (r["scheme"].as_str().unwrap().to_string(), r["snr_db"].as_f64().unwrap(), unit)
        })
        .collect()
}

#[test]
fn link_level_shards_merge_to_the_single_run_and_late_shards_do_only_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    single("scenarios/uncoded-awgn.toml", &one, &LINK);
    for i in 0..4 {
        ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, &format!("{i}/4")), "shard");
    }
    assert!(!split.join("results.csv").exists(), "shards never write results.csv");
    ok(merge(&split), "merge");
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
    assert!(split.join("ber.svg").exists() && split.join("run.json").exists());
    let run_json = std::fs::read_to_string(split.join("run.json")).unwrap();
    assert!(run_json.contains("\"shards\": 4"), "{run_json}");

    // Shard 3 ran after the others: at each point it simulated exactly its groups below G, the
    // number of groups the single run needed (G = frames / 256 rounded up), nothing more.
    let mut expected = Vec::new();
    for r in result_rows(&one) {
        let groups = r["frames"].parse::<u64>().unwrap().div_ceil(256);
        expected.extend((3..groups).step_by(4).map(|g| (r["snr_db"].parse::<f64>().unwrap(), g)));
    }
    let got: Vec<(f64, u64)> =
        units(&shard_file(&split, "3-of-4.jsonl")).into_iter().map(|(_, snr, g)| (snr, g)).collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

/// A grid that gained points after a single run (or a sweep a single run began): every shard skips
/// the points the folder holds rows for, and the merge keeps those rows, so the folder ends as a
/// single run of the whole grid; a single run afterwards finds nothing to do.
#[test]
fn shards_of_a_grown_grid_simulate_only_the_new_points_and_merge_with_the_kept_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    single("scenarios/uncoded-awgn.toml", &one, &LINK);
    let mut fewer = LINK.to_vec();
    fewer[1] = "snr.values_db=[0, 8]";
    single("scenarios/uncoded-awgn.toml", &split, &fewer);
    for i in 0..2 {
        let out = ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, &format!("{i}/2")), "shard");
        assert!(stderr(&out).contains("2 points have rows there"), "{}", stderr(&out));
    }
    let simulated: Vec<f64> =
        (0..2).flat_map(|i| units(&shard_file(&split, &format!("{i}-of-2.jsonl")))).map(|(_, snr, _)| snr).collect();
    assert!(simulated.contains(&6.0) && simulated.contains(&10.0), "{simulated:?}");
    assert!(simulated.iter().all(|&snr| snr == 6.0 || snr == 10.0), "kept points simulated again: {simulated:?}");
    let out = ok(merge(&split), "merge");
    assert!(stderr(&out).contains("2 points no shard simulated keep the rows"), "{}", stderr(&out));
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
    let merged = std::fs::read(split.join("results.csv")).unwrap();
    single("scenarios/uncoded-awgn.toml", &split, &LINK);
    assert_eq!(std::fs::read(split.join("results.csv")).unwrap(), merged, "run.json binds every merged row");

    // Rows of another configuration: the shard says so before it simulates, and the merge of
    // shards run with --fresh (which ignore the folder's rows) refuses to mix them, writing nothing.
    let other = dir.path().join("other");
    let mut seed2 = fewer.clone();
    seed2.extend(["--set", "seed=2"]);
    single("scenarios/uncoded-awgn.toml", &other, &seed2);
    let before = std::fs::read(other.join("results.csv")).unwrap();
    let o = other.to_str().unwrap();
    fails_with(
        &run_args("scenarios/uncoded-awgn.toml", o, &LINK, &["--shard", "0/1"]),
        &["holds results of a different configuration", "`seed` changed", "--out elsewhere"],
    );
    ok(sim(&run_args("scenarios/uncoded-awgn.toml", o, &LINK, &["--shard", "0/1", "--fresh"])), "fresh shard");
    fails_with(&["merge", o], &["holds results of a different configuration", "merge the shards in another folder"]);
    assert_eq!(std::fs::read(other.join("results.csv")).unwrap(), before);
}

#[test]
fn shards_running_at_once_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    single("scenarios/uncoded-awgn.toml", &one, &LINK);
    let children: Vec<_> = (0..3)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_sim"))
                .args(run_args(
                    "scenarios/uncoded-awgn.toml",
                    split.to_str().unwrap(),
                    &LINK,
                    &["--shard", &format!("{i}/3")],
                ))
                .env("RAYON_NUM_THREADS", "1")
                .current_dir(root())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    ok(merge(&split), "merge");
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
}

#[test]
fn text_shards_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    single("scenarios/quick.toml", &one, &[]);
    for i in 0..4 {
        ok(shard("scenarios/quick.toml", &split, &[], &format!("{i}/4")), "shard");
    }
    ok(merge(&split), "merge");
    // Every column, BLEU, corpus BLEU and similarity included, is the single run's.
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
    let samples = |d: &Path| std::fs::read_to_string(d.join("samples.csv")).unwrap();
    assert_eq!(samples(&split), samples(&one), "the merge writes the single run's samples.csv");
    assert!(split.join("similarity.svg").exists());
    // 3 schemes × 3 points × 2 batches of 8 messages, each recorded once, by its owner.
    let all: Vec<_> = (0..4).flat_map(|i| units(&shard_file(&split, &format!("{i}-of-4.jsonl")))).collect();
    assert_eq!(all.len(), 18);
    assert_eq!(units(&shard_file(&split, "0-of-4.jsonl")).len(), 5, "units 0, 4, 8, 12, 16");
}

/// A scheme with its own SNR grid (`snr_values_db`): its rows are exactly its points, the other
/// schemes keep `[snr] values_db`, and shards still merge to the single run.
#[test]
fn a_scheme_with_its_own_snr_grid_runs_its_points_and_shards_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    let own = ["--set", "schemes.small-lm-uncoded.snr_values_db=[1.0, 4.0, 8.0, 12.0]"];
    single("scenarios/quick.toml", &one, &own);
    let (_, table) = common::result_table(&one);
    let points = |scheme: &str| -> Vec<String> {
        table.iter().filter(|r| r["scheme"] == scheme).map(|r| r["snr_db"].clone()).collect()
    };
    assert_eq!(points("small-lm-uncoded"), ["1.0", "4.0", "8.0", "12.0"]);
    assert_eq!(points("huffman-ldpc-bp"), ["-2.0", "1.0", "6.0"]);
    for i in 0..3 {
        ok(shard("scenarios/quick.toml", &split, &own, &format!("{i}/3")), "shard");
    }
    ok(merge(&split), "merge");
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
    // (3 + 3 + 4 points) × 2 batches of 8 messages.
    let all: Vec<_> = (0..3).flat_map(|i| units(&shard_file(&split, &format!("{i}-of-3.jsonl")))).collect();
    assert_eq!(all.len(), 20);

    // The scheme's grid grown after a single run: the shards send only its new points, and the
    // merge keeps the other rows with their samples.
    let grown = dir.path().join("grown");
    single("scenarios/quick.toml", &grown, &["--set", "schemes.small-lm-uncoded.snr_values_db=[1.0, 12.0]"]);
    for i in 0..3 {
        ok(shard("scenarios/quick.toml", &grown, &own, &format!("{i}/3")), "shard");
    }
    let all: Vec<_> = (0..3).flat_map(|i| units(&shard_file(&grown, &format!("{i}-of-3.jsonl")))).collect();
    assert_eq!(all.len(), 4, "2 new points × 2 batches: {all:?}");
    assert!(all.iter().all(|(scheme, snr, _)| scheme == "small-lm-uncoded" && (*snr == 4.0 || *snr == 8.0)));
    ok(merge(&grown), "merge");
    assert_eq!(results_but_seconds(&grown), results_but_seconds(&one));
    let samples = |d: &Path| std::fs::read_to_string(d.join("samples.csv")).unwrap();
    assert_eq!(samples(&grown), samples(&one), "kept samples in the single run's order");
}

#[test]
fn a_shard_cut_short_is_refused_until_rerun_and_then_counts_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    single("scenarios/uncoded-awgn.toml", &one, &LINK);
    for i in 0..2 {
        ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, &format!("{i}/2")), "shard");
    }
    // A kill in the middle of writing the last record: the line has no newline.
    let file = shard_file(&split, "1-of-2.jsonl");
    let before = units(&file);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines = text.lines().count();
    std::fs::write(&file, &text[..text.len() - 40]).unwrap();
    let out = merge(&split);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("1-of-2.jsonl: line {lines} is cut short")), "{}", stderr(&out));
    assert!(stderr(&out).contains("--shard 1/2"), "{}", stderr(&out));
    assert!(!split.join("results.csv").exists(), "nothing merged");

    let rerun = ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, "1/2"), "rerun");
    assert!(stderr(&rerun).contains("cut short by an interrupted write"), "{}", stderr(&rerun));
    assert!(
        String::from_utf8_lossy(&rerun.stdout).contains("1 work units simulated"),
        "{}",
        String::from_utf8_lossy(&rerun.stdout)
    );
    assert_eq!(units(&file), before, "the lost unit redone once, no other unit twice");
    ok(merge(&split), "merge");
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
}

#[test]
fn a_shard_killed_mid_run_resumes_where_it_stopped() {
    // One point at 12 dB: almost no errors, so each shard works through its groups up to the budget.
    let slow = ["--set", "snr.values_db=[12]", "--set", "stop.max_frames=600000", "--set", "stop.batch_frames=64"];
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    let file = shard_file(&split, "0-of-2.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(run_args("scenarios/uncoded-awgn.toml", split.to_str().unwrap(), &slow, &["--shard", "0/2"]))
        .env("RAYON_NUM_THREADS", "1")
        .current_dir(root())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&file).map_or(0, |t| t.lines().count()) < 4 {
        assert!(started.elapsed().as_secs() < 120, "the shard wrote nothing");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(child.try_wait().unwrap().is_none(), "the shard finished before it could be killed; make the point longer");
    child.kill().unwrap();
    child.wait().unwrap();

    let rerun = ok(shard("scenarios/uncoded-awgn.toml", &split, &slow, "0/2"), "rerun");
    let stdout = String::from_utf8_lossy(&rerun.stdout).to_string();
    assert!(stdout.contains("already recorded"), "{stdout}");
    let done = units(&file);
    let mut distinct = done.clone();
    distinct.dedup();
    assert_eq!(distinct, done, "no group recorded twice");
    ok(shard("scenarios/uncoded-awgn.toml", &split, &slow, "1/2"), "shard 1");
    ok(merge(&split), "merge");
    single("scenarios/uncoded-awgn.toml", &one, &slow);
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
}

#[test]
fn a_damaged_shard_is_reported_with_its_line_and_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let split = dir.path().join("split");
    for i in 0..2 {
        ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, &format!("{i}/2")), "shard");
    }
    let file = shard_file(&split, "0-of-2.jsonl");
    let mut bytes = std::fs::read(&file).unwrap();
    let third_line = bytes.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(1).unwrap().0 + 1;
    // A digit of the counts: still valid JSON, only the checksum can tell.
    let at = third_line + String::from_utf8_lossy(&bytes[third_line..]).find("\"frames\":").unwrap() + 9;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&file, &bytes).unwrap();
    let out = merge(&split);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("0-of-2.jsonl: line 3: checksum mismatch"), "{}", stderr(&out));
    assert!(!split.join("results.csv").exists());
    // The shard itself will not build on a damaged file either.
    fails_with(
        &run_args("scenarios/uncoded-awgn.toml", split.to_str().unwrap(), &LINK, &["--shard", "0/2"]),
        &["line 3: checksum mismatch", "damaged"],
    );
}

/// Rewrites every line of a shard file with `edit` applied to its JSON, checksums recomputed: a
/// well-formed file of another run.
fn rewrite(file: &Path, edit: impl Fn(&mut serde_json::Value)) {
    use sha2::{Digest, Sha256};
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = String::new();
    for l in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(&l[65..]).unwrap();
        edit(&mut v);
        let json = serde_json::to_string(&v).unwrap();
        let sum: String = format!("{:x}", Sha256::digest(json.as_bytes()));
        out.push_str(&format!("{sum} {json}\n"));
    }
    std::fs::write(file, out).unwrap();
}

#[test]
fn shards_of_different_configurations_seeds_versions_or_splits_are_not_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let split = dir.path().join("split");
    let s = split.to_str().unwrap();
    ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, "0/2"), "shard 0");
    let mut seed2 = LINK.to_vec();
    seed2.extend(["--set", "seed=2"]);
    ok(shard("scenarios/uncoded-awgn.toml", &split, &seed2, "1/2"), "shard 1 of another seed");
    fails_with(&["merge", s], &["0-of-2.jsonl and", "1-of-2.jsonl come from different configurations"]);
    assert!(!split.join("results.csv").exists());

    // The same configuration from another build of sim.
    ok(sim(&run_args("scenarios/uncoded-awgn.toml", s, &LINK, &["--shard", "1/2", "--fresh"])), "shard 1 again");
    let file = shard_file(&split, "1-of-2.jsonl");
    let good = std::fs::read(&file).unwrap();
    rewrite(&file, |v| v["version"] = "0.0.1 (another build)".into());
    fails_with(&["merge", s], &["1-of-2.jsonl come from different versions of sim"]);
    std::fs::write(&file, &good).unwrap();

    // A shard of a 3-way split beside a 2-way split.
    ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, "2/3"), "shard 2/3");
    fails_with(&["merge", s], &["2-of-3.jsonl come from different splits (2 vs 3 shards)"]);
    std::fs::remove_file(shard_file(&split, "2-of-3.jsonl")).unwrap();

    // A shard's own file from another configuration is kept unless --fresh.
    fails_with(
        &run_args("scenarios/uncoded-awgn.toml", s, &seed2, &["--shard", "1/2"]),
        &["1-of-2.jsonl holds shard results of a different configuration", "--fresh"],
    );
    assert_eq!(std::fs::read(&file).unwrap(), good);
    ok(merge(&split), "merge of the matching shards");
}

#[test]
fn a_missing_shard_is_named_and_bad_shard_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let split = dir.path().join("split");
    let s = split.to_str().unwrap();
    fails_with(&["merge", s], &["shards", "cannot list shard files"]);
    ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, "0/3"), "shard 0");
    ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, "2/3"), "shard 2");
    fails_with(
        &["merge", s],
        &["uncoded+BPSK at 8 dB: frame group 1 is missing", "shard 1/3", "1-of-3.jsonl, not found", "--shard 1/3"],
    );
    for bad in ["3/3", "1", "x/2", "0/0"] {
        fails_with(&run_args("scenarios/uncoded-awgn.toml", s, &LINK, &["--shard", bad]), &["is not a shard", "I/N"]);
    }
    // A .jsonl no shard could have written is named, not silently left out of the merge.
    ok(shard("scenarios/uncoded-awgn.toml", &split, &LINK, "1/3"), "shard 1");
    for stray in ["3-of-3.jsonl", "0-of-0.jsonl", "0-of-3 (copy).jsonl"] {
        std::fs::copy(shard_file(&split, "0-of-3.jsonl"), shard_file(&split, stray)).unwrap();
        fails_with(&["merge", s], &[stray, "not a shard file name"]);
        std::fs::remove_file(shard_file(&split, stray)).unwrap();
    }
    ok(merge(&split), "merge of the three shards");
}

#[test]
fn slurm_scripts_run_each_shard_then_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    let mut args = vec![
        "slurm",
        "scenarios/uncoded-awgn.toml",
        "--shards",
        "3",
        "--cpus",
        "2",
        "--time",
        "00:10:00",
        "--partition",
        "short",
        "--out",
        split.to_str().unwrap(),
    ];
    args.extend_from_slice(&LINK);
    let out = ok(sim(&args), "sim slurm");
    assert!(String::from_utf8_lossy(&out.stdout).contains("submit.sh"));
    let scripts = split.join("slurm");
    let shards = std::fs::read_to_string(scripts.join("shards.sbatch")).unwrap();
    for needle in [
        "#SBATCH --array=0-2",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --time=00:10:00",
        "#SBATCH --partition=short",
        "--set 'snr.values_db=[0, 6, 8, 10]'",
        "--shard \"${SLURM_ARRAY_TASK_ID}/3\"",
    ] {
        assert!(shards.contains(needle), "{needle} not in {shards}");
    }
    let submit = std::fs::read_to_string(scripts.join("submit.sh")).unwrap();
    assert!(submit.contains("sbatch --parsable --dependency=afterok:\"$array\""), "{submit}");

    // The scripts as SLURM would run them: each array task, then the merge.
    for task in 0..3 {
        let o = Command::new("bash")
            .arg(scripts.join("shards.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .current_dir(dir.path())
            .output()
            .unwrap();
        ok(o, "array task");
    }
    ok(Command::new("bash").arg(scripts.join("merge.sbatch")).current_dir(dir.path()).output().unwrap(), "merge job");
    single("scenarios/uncoded-awgn.toml", &one, &LINK);
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
}

#[test]
fn jscc_and_lossy_coder_schemes_shard_too() {
    // A DeepSC (JSCC) and a UT-quant (lossy source coder, every payload decoded) scheme beside
    // Huffman; untrained weights: the plumbing is what is tested, not the models.
    let dir = tempfile::tempdir().unwrap();
    let deepsc = common::tiny_weights(dir.path());
    let ut_quant = common::tiny_ut(dir.path(), true);
    let text = common::write(
        dir.path(),
        "text.txt",
        &"we vote on the report tomorrow .\nthank you mr segni .\nthe debate is closed .\n".repeat(2),
    );
    let scenario = common::write(
        dir.path(),
        "jscc.toml",
        &format!(
            "name = \"jscc-shards\"\nseed = 5\n[snr]\nvalues_db = [0.0, 12.0]\n[text]\nfile = \"{}\"\nmessages = 6\nbatch_messages = 2\n\
             [metrics]\nsimilarity = false\n[code]\nkind = \"uncoded\"\nuncoded_bits = 64\n\
             [[schemes]]\nname = \"huffman\"\nsource = \"huffman\"\n\
             [[schemes]]\nname = \"deepsc\"\nsource = \"deepsc\"\nweights = \"{}\"\n\
             [[schemes]]\nname = \"ut-quant\"\nsource = \"ut-quant\"\nweights = \"{}\"\n",
            text.display(),
            deepsc.display(),
            ut_quant.display()
        ),
    );
    let sc = scenario.to_str().unwrap();
    let (one, split) = (dir.path().join("single"), dir.path().join("split"));
    single(sc, &one, &[]);
    for i in 0..4 {
        ok(shard(sc, &split, &[], &format!("{i}/4")), "shard");
    }
    ok(merge(&split), "merge");
    assert_eq!(results_but_seconds(&split), results_but_seconds(&one));
    let rows = results_but_seconds(&one);
    assert_eq!(rows.len(), 7, "3 schemes × 2 points and the header");
}
