//! Uncoded BPSK BER against closed forms, through the same engine users run.
//!
//! For every point of the shipped uncoded scenarios (and a few points a user might pick), the
//! simulated BER's 99.9 % Wilson interval must contain the theoretical value. With fixed seeds the
//! test is deterministic; with ~7 + 9 + 4 points at 99.9 % a correct simulator fails it by chance
//! with probability ~2 %, for a given seed, and never flips between runs.

use crate::common;
use channels::SnrPoint;
use lmsscc::link::{run_point, sweep::rows::theory_ber, LinkScheme};
use lmsscc::metrics::{wilson_interval, Z_99_9};
use lmsscc::scenario::{self, StopConfig};

fn check_scenario(file: &str, extra_points: &[f64], overrides: &[&str]) {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let loaded = scenario::load(&common::root().join(file), &overrides).unwrap();
    let s = &loaded.scenario;
    let scheme = LinkScheme::from_scenario(s, &common::root()).unwrap();
    // Enough bits for a tight interval without making the test slow: stop at 400 frames with errors
    // or 4096 frames of 1024 bits (4 M bits), whichever comes first.
    let stop = StopConfig { min_frame_errors: 400, max_frames: 4096, batch_frames: 64 };
    let points: Vec<f64> = s.snr.values_db.iter().copied().chain(extra_points.iter().copied()).collect();
    for value in points {
        let p = SnrPoint::new(value, s.snr.axis, scheme.rate(), scheme.bits_per_symbol());
        let o = run_point(&scheme, &p, s.seed, &stop, &mut |_| {});
        let theory = theory_ber(s, &p).expect("uncoded links have a closed form");
        let (lo, hi) = wilson_interval(o.counts.bit_errors, o.counts.bits, Z_99_9);
        assert!(
            o.counts.bit_errors > 0 || theory * o.counts.bits as f64 <= 3.0,
            "{file} at {value} dB: no errors although {theory:e} was expected"
        );
        assert!(
            lo <= theory && theory <= hi,
            "{file} at {value} dB: theory {theory:e} outside [{lo:e}, {hi:e}] ({} / {} bits)",
            o.counts.bit_errors,
            o.counts.bits
        );
    }
}

#[test]
fn uncoded_bpsk_awgn_matches_q_function() {
    check_scenario("scenarios/uncoded-awgn.toml", &[-5.0, 1.3, 7.7], &[]);
}

#[test]
fn uncoded_bpsk_fast_rayleigh_with_csi_matches_closed_form() {
    check_scenario("scenarios/uncoded-rayleigh.toml", &[-4.0, 12.5], &[]);
}

#[test]
fn lm_sscc_rayleigh_convention_matches_closed_form_with_omega_two() {
    check_scenario(
        "scenarios/uncoded-rayleigh.toml",
        &[],
        &["channel.kind=rayleigh-lm-sscc", "snr.values_db=[0, 5, 10]"],
    );
}

#[test]
fn gray_qpsk_awgn_matches_bpsk_per_bit() {
    check_scenario("scenarios/uncoded-awgn.toml", &[], &["modulation.kind=qpsk", "snr.values_db=[0, 4, 8]"]);
}

#[test]
fn block_fading_has_the_fast_fading_bit_error_rate() {
    check_scenario(
        "scenarios/uncoded-rayleigh.toml",
        &[],
        &["channel.fading=block", "channel.block_symbols=16", "snr.values_db=[0, 10]"],
    );
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let loaded = scenario::load(&common::root().join("scenarios/uncoded-rayleigh.toml"), &[]).unwrap();
    let scheme = LinkScheme::from_scenario(&loaded.scenario, &common::root()).unwrap();
    let stop = StopConfig { min_frame_errors: 50, max_frames: 3000, batch_frames: 7 };
    let p = SnrPoint::new(10.0, loaded.scenario.snr.axis, 1.0, 1);
    let run_with = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run_point(&scheme, &p, 99, &stop, &mut |_| {}).counts)
    };
    let one = run_with(1);
    assert_eq!(one, run_with(2));
    assert_eq!(one, run_with(5));
    assert!(one.frames > 0 && one.frame_errors >= 50);
}
