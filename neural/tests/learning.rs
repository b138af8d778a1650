//! CI-sized learning test: a small ECCT trained for a few hundred steps on Hamming(7,4) (written as an
//! alist here) must lower its loss and beat the hard decision on BER.
use neural::{train, Channel, DeviceChoice, Progress, TrainConfig};

#[test]
fn short_training_lowers_loss_and_beats_hard_decision() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // Hamming(7,4): H rows {1,2,3,5}, {1,2,4,6}, {1,3,4,7} (1-based).
    let alist =
        "7 3\n3 4\n3 2 2 2 1 1 1\n4 4 4\n1 2 3\n1 2 0\n1 3 0\n2 3 0\n1 0 0\n2 0 0\n3 0 0\n1 2 3 5\n1 2 4 6\n1 3 4 7\n";
    let code_path = dir.path().join("HAMMING_N7_K4.alist");
    std::fs::write(&code_path, alist)?;
    let mut cfg = TrainConfig::official(&code_path, 2, 16, dir.path().join("run"));
    cfg.channel = Channel::Awgn;
    cfg.device = DeviceChoice::Cpu;
    cfg.epochs = 2;
    cfg.steps_per_epoch = 150;
    cfg.batch_size = 64;
    cfg.lr = 2e-3;
    cfg.eval_ebn0_db = vec![4.0];
    cfg.eval_min_frame_errors = u64::MAX;
    cfg.eval_min_frames = 0;
    cfg.eval_max_frames = 20_000;
    cfg.eval_batch = 2_000;
    let mut losses = Vec::new();
    let summary = train(&cfg, &mut |p| {
        if let Progress::Step { loss, .. } = p {
            losses.push(loss)
        }
    })?;
    assert!(losses.len() >= 3);
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(last < 0.8 * first, "loss did not fall: {losses:?}");
    // Hard-decision BER at 4 dB, R = 4/7: p = Q(sqrt(2 R Eb/N0)).
    let x = (2.0 * 4.0 / 7.0 * 10f64.powf(0.4)).sqrt();
    let hard = 0.5 * libm_erfc(x / std::f64::consts::SQRT_2);
    let ber = summary.eval[0].ber;
    assert!(ber < 0.85 * hard, "ECCT BER {ber:.4e} vs hard decision {hard:.4e}");
    // A checkpoint exists and resuming a finished run is a no-op that still evaluates.
    cfg.resume = true;
    let again = train(&cfg, &mut |_| {})?;
    assert_eq!(again.steps, summary.steps);
    assert_eq!(again.eval[0].bit_errors, summary.eval[0].bit_errors);

    // Fine-tuning starts from the trained weights: its first epoch's loss is near where the
    // training ended, far below the first epoch of training from scratch.
    let mut tune = cfg.clone();
    tune.resume = false;
    tune.init = Some(summary.weights_path.clone());
    tune.out_dir = dir.path().join("tune");
    tune.epochs = 1;
    tune.steps_per_epoch = 30;
    tune.lr = 1e-4;
    let tuned = train(&tune, &mut |_| {})?;
    let (scratch_first, trained_last) = (summary.epoch_losses[0], *summary.epoch_losses.last().unwrap());
    assert!(
        tuned.epoch_losses[0] < 1.2 * trained_last && tuned.epoch_losses[0] < scratch_first,
        "fine-tuning loss {} vs trained {trained_last} and from-scratch first epoch {scratch_first}",
        tuned.epoch_losses[0]
    );
    // Weights of another architecture are refused, naming the file.
    let mut wrong = tune.clone();
    wrong.dim = 8;
    wrong.out_dir = dir.path().join("wrong");
    let err = format!("{:#}", train(&wrong, &mut |_| {}).unwrap_err());
    assert!(err.contains("ecct.safetensors"), "{err}");
    Ok(())
}

/// erfc by its continued-fraction-free rational approximation (Numerical Recipes erfcc, |ε| < 1.2e-7).
fn libm_erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628288
                            + t * (0.27886807
                                + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}
