//! The shipped LDPC(49,24) scenario reproduces an independent measurement on the same matrix.
//!
//! Flooding sum-product, AWGN, ECCT's Eb/N0 convention, BER over all 49 bits: −ln(BER) must be
//! within ±0.3 of 5.22 / 7.06 / 9.71 (5 iterations) and 6.08 / 8.31 / 11.89 (50 iterations) at
//! Eb/N0 = 4 / 5 / 6 dB. Run through the scenario file and the engine, exactly as `sim run` does.
//!
//! Measured here (seed 1): SPA-50 gives 6.08 / 8.57 / 11.89 — the 4 and 6 dB points agree with the
//! reference to 0.01, the 5 dB point sits 0.26 above it (stable over seeds and with early
//! termination off), so that point gets 1500 frame errors: at 400 its statistical spread
//! (±0.06) alone can push it past the tolerance.

use crate::common;
use channels::SnrPoint;
use lmsscc::link::{run_point, LinkScheme};
use lmsscc::scenario::{self, StopConfig};

fn check(iterations: usize, expected: [f64; 3], min_frame_errors: [u64; 3]) {
    let set = vec![format!("decoder.iterations={iterations}")];
    let loaded = scenario::load(&common::root().join("scenarios/ldpc49-bp-awgn.toml"), &set).unwrap();
    let s = &loaded.scenario;
    assert_eq!(s.snr.values_db, vec![4.0, 5.0, 6.0]);
    let scheme = LinkScheme::from_scenario(s, &common::root()).unwrap();
    for ((value, want), min_frame_errors) in s.snr.values_db.iter().zip(expected).zip(min_frame_errors) {
        let stop = StopConfig { min_frame_errors, max_frames: 20_000_000, batch_frames: 256 };
        let p = SnrPoint::new(*value, s.snr.axis, scheme.rate(), 1);
        let c = run_point(&scheme, &p, s.seed, &stop, &mut |_| {}).counts;
        let got = -c.coded_ber().ln();
        eprintln!("SPA-{iterations} at {value} dB: -ln(BER) = {got:.3} (reference {want}), {} frames", c.frames);
        assert!((got - want).abs() <= 0.3, "SPA-{iterations} at {value} dB: -ln(BER) = {got:.3}, reference {want}");
    }
}

#[test]
fn sum_product_5_iterations_matches_reference() {
    check(5, [5.22, 7.06, 9.71], [400, 400, 400]);
}

#[test]
fn sum_product_50_iterations_matches_reference() {
    check(50, [6.08, 8.31, 11.89], [400, 1500, 400]);
}
