//! `decoder.kind = "ecct"` finds the shipped model for the scenario's code and channel and decodes
//! through the same engine as BP.

use crate::common;
use channels::{theory, SnrPoint};
use lmsscc::link::{run_point, LinkScheme};
use lmsscc::scenario::{self, StopConfig};

#[test]
fn shipped_ecct_model_decodes_ldpc49_far_below_hard_decision() {
    let set = vec!["decoder.kind=ecct".to_string()];
    let loaded = scenario::load(&common::root().join("scenarios/ldpc49-bp-awgn.toml"), &set).unwrap();
    let scheme = LinkScheme::from_scenario(&loaded.scenario, &common::root()).unwrap();
    assert!(scheme.name.contains("ECCT"), "{}", scheme.name);
    let p = SnrPoint::new(5.0, loaded.scenario.snr.axis, scheme.rate(), 1);
    let stop = StopConfig { min_frame_errors: u64::MAX, max_frames: 512, batch_frames: 128 };
    let c = run_point(&scheme, &p, 1, &stop, &mut |_| {}).counts;
    let hard = theory::bpsk_awgn_ber(p.esn0_db);
    // Measured: -ln(BER) ≈ 7.1 at 5 dB (BER ≈ 8e-4) against 2.6e-2 for hard decision.
    assert!(c.coded_ber() < hard / 5.0, "ECCT BER {} vs hard decision {hard}", c.coded_ber());
}

#[test]
fn ecct_refuses_channels_it_was_not_trained_for() {
    let set: Vec<String> =
        ["decoder.kind=ecct", "channel.kind=rayleigh-lm-sscc"].iter().map(|s| s.to_string()).collect();
    let loaded = scenario::load(&common::root().join("scenarios/ldpc49-bp-awgn.toml"), &set).unwrap();
    let err = LinkScheme::from_scenario(&loaded.scenario, &common::root()).err().expect("refused").to_string();
    assert!(err.contains("shipped models cover"), "{err}");
}
