//! `sim compare`: several results folders on one plot, refusing what cannot share axes or metrics.

use std::path::Path;

use crate::common::{fails_with, sim, stderr};

fn uncoded(out: &Path, extra: &[&str]) {
    let mut args = vec!["run", "scenarios/uncoded-awgn.toml", "--quiet", "--out", out.to_str().unwrap()];
    args.extend(["--set", "snr.values_db=[0, 2, 4]", "--set", "stop.max_frames=2048"]);
    args.extend_from_slice(extra);
    let o = sim(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn folders_overlay_on_one_plot_and_mismatched_axes_or_metrics_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, ebn0, out) =
        (dir.path().join("seed7"), dir.path().join("seed8"), dir.path().join("ebn0"), dir.path().join("cmp"));
    uncoded(&a, &[]);
    uncoded(&b, &["--set", "seed=8"]);
    uncoded(&ebn0, &["--set", "snr.axis=ebn0"]);
    let (sa, sb, so) = (a.to_str().unwrap(), b.to_str().unwrap(), out.to_str().unwrap());
    let o = sim(&["compare", sa, sb, "--out", so, "--metric", "ber,bler", "--labels", "seed 7,seed 8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["compare_ber.svg", "compare_ber.png", "compare_bler.svg", "compare.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let svg = std::fs::read_to_string(out.join("compare_ber.svg")).unwrap();
    assert!(svg.contains("seed 7: uncoded") && svg.contains("seed 8: uncoded"), "one legend naming both runs");
    // compare.csv holds every point drawn: 2 metrics × 2 folders × 3 points, values as in results.csv.
    let table = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_eq!(table.lines().count(), 1 + 2 * 2 * 3, "{table}");
    let ber_7_at_0: Vec<&str> = table.lines().filter(|l| l.starts_with("ber,seed 7,") && l.contains(",0,")).collect();
    assert_eq!(ber_7_at_0.len(), 1, "{table}");
    let rows = crate::common::result_rows(&a);
    let at_0 = rows.iter().find(|r| r["snr_db"] == "0.0").unwrap();
    assert_eq!(ber_7_at_0[0].split(',').nth(4).unwrap().parse::<f64>().unwrap(), crate::common::num(at_0, "ber"));

    fails_with(&["compare", sa, ebn0.to_str().unwrap(), "--out", so], &["ebn0", "esn0", "not comparable"]);
    fails_with(&["compare", sa, sb, "--out", so, "--metric", "bleu4"], &["no bleu4 to compare"]);
    fails_with(&["compare", sa, sb, "--out", so, "--axis", "unified"], &["not a text link"]);
    fails_with(&["compare", sa, sb, "--out", so, "--schemes", "nope"], &["no folder has a scheme named nope"]);
    fails_with(&["compare", sa, dir.path().join("missing").to_str().unwrap(), "--out", so], &["missing"]);
}

#[test]
fn audio_folders_compare_by_their_sample_snr_and_refuse_image_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let root = crate::common::root().join("results/reference");
    let (awgn, rayleigh) = (root.join("audio-awgn"), root.join("audio-rayleigh"));
    let (sa, sr, so) = (awgn.to_str().unwrap(), rayleigh.to_str().unwrap(), out.to_str().unwrap());
    // No --metric: audio folders are compared by their sample SNR, with its intervals.
    let o = sim(&["compare", sa, sr, "--out", so]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(out.join("compare_audio_snr.svg")).unwrap();
    assert!(svg.contains("audio-awgn: analog") && svg.contains("audio-rayleigh: linear-256"));
    let table = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    // Every row of both folders: 11 schemes × 12 points on AWGN, 11 × 9 on Rayleigh.
    assert_eq!(table.lines().count(), 1 + 132 + 99, "{table}");
    assert!(table.lines().skip(1).all(|l| l.starts_with("audio_snr,")));
    let o = sim(&["compare", sa, sr, "--out", so, "--metric", "seg-snr", "--axis", "unified"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("compare_seg_snr.png").exists());
    let o = sim(&["compare", sa, sr, "--out", so, "--metric", "stoi,estoi"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    for metric in ["stoi,", "estoi,"] {
        assert_eq!(table.lines().filter(|l| l.starts_with(metric)).count(), 132 + 99, "{metric} {table}");
    }
    assert!(out.join("compare_estoi.svg").exists());
    fails_with(&["compare", sa, sr, "--out", so, "--metric", "psnr"], &["audio-awgn", "no psnr to compare"]);
}
