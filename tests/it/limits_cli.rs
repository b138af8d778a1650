//! `sim limits`: the curves `sim report` measures against, for any (n, k) and channel, printed
//! from the command line. Its numbers against the library's, built the direct way; its refusals.

use crate::common::{fails_with, sim, stderr};
use channels::limits::block_fading::{blocks, BlockFading};
use channels::limits::dependence_testing::DependenceTesting;
use channels::limits::metaconverse::Metaconverse;
use channels::limits::random_coding_union::RandomCodingUnion;
use channels::limits::Gains;
use channels::limits::{min_esn0_db, Bound};

/// The Es/N0 column of the row named `name` at the first target; None where it shows "—".
fn es_n0_of(out: &str, name: &str) -> Option<f64> {
    let line = out.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} in {out}"));
    line[line.find(name).unwrap() + name.len()..].split_whitespace().next()?.parse().ok()
}

fn es_n0(out: &str, bound: Bound) -> Option<f64> {
    es_n0_of(out, bound.name())
}

fn limits(args: &[&str]) -> String {
    let o = sim(&[&["limits"], args].concat());
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn awgn_limits_are_the_librarys_and_in_order() {
    let out = limits(&["--n", "49", "--k", "24", "--target", "1e-2"]);
    let (sp, na, gallager) =
        (es_n0(&out, Bound::SpherePacking59), es_n0(&out, Bound::NormalApproximation), es_n0(&out, Bound::Gallager));
    for (bound, shown) in [(Bound::SpherePacking59, sp), (Bound::NormalApproximation, na), (Bound::Gallager, gallager)]
    {
        let direct = min_esn0_db(bound, 49, 24, 1e-2);
        assert!((shown.unwrap() - direct).abs() < 6e-4, "{bound:?}: {shown:?} against {direct}\n{out}");
    }
    // No code beats SP59; some code reaches Gallager's bound; the estimate lies between.
    assert!(sp < na && na < gallager && !out.contains("dependence testing"), "{out}");
    // With --monte-carlo (or --dt), the library's metaconverse, RCU and DT too: the metaconverse
    // between SP59 and the estimate, RCU between it and Gallager's bound, DT near Gallager's.
    let out = limits(&["--n", "49", "--k", "24", "--monte-carlo"]);
    let (converse, rcu, dt) = (
        es_n0_of(&out, "metaconverse").unwrap(),
        es_n0_of(&out, "RCU random coding").unwrap(),
        es_n0_of(&out, "dependence testing (DT)").unwrap(),
    );
    let direct = (
        Metaconverse::new(49).min_esn0_db(24, 1e-2),
        RandomCodingUnion::new(vec![49], Gains::None, 1.0).unwrap().min_esn0_db(24, 1e-2),
        DependenceTesting::new(vec![49], Gains::None, 1.0).min_esn0_db(24, 1e-2),
    );
    assert!(
        (converse - direct.0).abs() < 6e-4 && (rcu - direct.1).abs() < 6e-4 && (dt - direct.2).abs() < 6e-4,
        "{converse} {rcu} {dt} against {direct:?}\n{out}"
    );
    let (sp, na, gallager) = (sp.unwrap(), na.unwrap(), gallager.unwrap());
    assert!(sp < converse && converse < na && na < rcu && rcu < gallager, "{out}");
    assert!((dt - gallager).abs() < 0.1, "{dt} {gallager}\n{out}");
    assert!(limits(&["--n", "49", "--k", "24", "--dt"]).contains("metaconverse"));
}

#[test]
fn fading_limits_follow_what_the_receiver_knows() {
    // One gain per codeword, the receiver not told it: SP59 still bounds (a genie cannot hurt), but
    // Gallager's bound, achievable with the gain known, is not given.
    let out = limits(&["--n", "49", "--k", "24", "--channel", "rayleigh", "--fading", "message", "--csi", "false"]);
    assert!(es_n0(&out, Bound::SpherePacking59).unwrap() > 15.0 && es_n0(&out, Bound::Gallager).is_none(), "{out}");
    // A gain per 7 symbols, not told: the noncoherent approximation, as the library gives it.
    let blind_args = ["--n", "49", "--k", "24", "--channel", "rayleigh", "--fading", "block", "--block-symbols", "7"];
    let blind = limits(&[&blind_args[..], &["--csi", "false"]].concat());
    let told = limits(&blind_args);
    let direct = BlockFading::without_csi(1.0, blocks(49, 49, 7)).min_esn0_db(24, 1e-2);
    let (b, t) =
        (es_n0(&blind, Bound::NormalApproximation).unwrap(), es_n0(&told, Bound::NormalApproximation).unwrap());
    assert!((b - direct).abs() < 6e-4 && b > t + 0.3, "blind {b} (library {direct}), told {t}");
    assert!(es_n0(&blind, Bound::SpherePacking59).is_none() && blind.contains("not told the gains"), "{blind}");
    // The Monte Carlo bounds there: the metaconverse (it binds the blind receiver too) below the
    // approximation, DT above; RCU is not offered without the gains.
    let blind = limits(&[&blind_args[..], &["--csi", "false", "--monte-carlo"]].concat());
    let (converse, dt) =
        (es_n0_of(&blind, "metaconverse").unwrap(), es_n0_of(&blind, "dependence testing (DT)").unwrap());
    assert!(converse < t && b < dt && !blind.contains("RCU"), "{blind}");
}

#[test]
fn bad_limits_requests_are_refused_by_name() {
    fails_with(&["limits", "--n", "49", "--k", "49"], &["--k 49", "--n 49", "k < n"]);
    fails_with(&["limits", "--n", "49", "--k", "24", "--target", "0.01,2"], &["--target 2"]);
    fails_with(&["limits", "--n", "49", "--k", "24", "--csi", "false"], &["AWGN"]);
    fails_with(&["limits", "--n", "49", "--k", "24", "--channel", "rician"], &["rician"]);
    fails_with(&["limits", "--n", "49", "--k", "24", "--mean-square-gain", "0"], &["--mean-square-gain 0"]);
    fails_with(&["limits", "--n", "5000", "--k", "2500", "--dt"], &["--monte-carlo (--dt)", "4096"]);
}
