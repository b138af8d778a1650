//! `sim train` as a batch job runs it (output to a file, no terminal): the log must still say how
//! training goes, since a hidden progress bar prints nothing.

use crate::common::{sim, stderr, write};

#[test]
fn ecct_training_logs_epochs_steps_and_evaluation_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // Hamming(7,4), dense H.
    let code = write(dir.path(), "hamming.txt", "1 1 1 0 1 0 0\n1 1 0 1 0 1 0\n1 0 1 1 0 0 1\n");
    let out_dir = dir.path().join("run");
    let args = [
        "train",
        "ecct",
        "--code",
        code.to_str().unwrap(),
        "--layers",
        "1",
        "--dim",
        "8",
        "--heads",
        "2",
        "--epochs",
        "2",
        "--steps-per-epoch",
        "3",
        "--batch",
        "8",
        "--eval-max-frames",
        "50",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let out = sim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "step 3/6: epoch 1/2, loss",
        "epoch 1: mean loss",
        "epoch 2: mean loss",
        "step 6/6: epoch 2/2",
        "eval Eb/N0 4 dB: BER",
        "-ln(BER)",
    ] {
        assert!(log.contains(needle), "'{needle}' missing from the log:\n{log}");
    }
}
