//! Prints the capacity limits and finite-blocklength bounds for the codes and message sizes of the
//! project: `cargo run --release -p lmsscc-channels --example limits_table [BLER...]`
//! (default BLER 1e-2 1e-4). Values are Eb/N0 in dB (Es/N0 in brackets).
use channels::limits::*;

fn main() {
    let targets: Vec<f64> = std::env::args().skip(1).map(|a| a.parse().expect("BLER")).collect();
    let targets = if targets.is_empty() { vec![1e-2, 1e-4] } else { targets };
    println!("Shannon limit (any rate -> 0): Eb/N0 = {:.3} dB", shannon_limit_ebn0_db());
    for (n, k) in [(49usize, 24usize), (128, 64), (284, 128), (63, 36), (31, 16)] {
        let r = k as f64 / n as f64;
        let cap = biawgn_capacity_limit_esn0_db(r);
        println!(
            "\n({n},{k}) R = {r:.4}: BI-AWGN capacity limit Eb/N0 = {:.3} dB (Es/N0 {:.3}); Gaussian-input {:.3} dB",
            ebn0_db(cap, n, k),
            cap,
            ebn0_db(awgn_capacity_limit_esn0_db(r), n, k)
        );
        let (csi, no_csi) = (fast_fading::FastFading::new(1.0, true), fast_fading::FastFading::new(1.0, false));
        let ergodic = csi.capacity_limit_esn0_db(r);
        println!(
            "  fast Rayleigh fading (Ω = 1, CSI): ergodic capacity limit Eb/N0 = {:.3} dB (Es/N0 {ergodic:.3})",
            ebn0_db(ergodic, n, k)
        );
        let blind = no_csi.capacity_limit_esn0_db(r);
        println!(
            "  fast Rayleigh fading (Ω = 1, no CSI): capacity limit Eb/N0 = {:.3} dB (Es/N0 {blind:.3})",
            ebn0_db(blind, n, k)
        );
        for &t in &targets {
            let row: Vec<String> = Bound::ALL
                .iter()
                .map(|b| {
                    let s = min_esn0_db(*b, n, k, t);
                    format!("{} {:.3} ({:.3})", b.name(), ebn0_db(s, n, k), s)
                })
                .collect();
            println!("  BLER {t:.0e}: {}", row.join("; "));
            let (fast, blind) = (csi.min_esn0_db(n, k, t), no_csi.min_esn0_db(n, k, t));
            println!(
                "    fast fading: normal approximation {:.3} ({fast:.3}); without CSI {:.3} ({blind:.3})",
                ebn0_db(fast, n, k),
                ebn0_db(blind, n, k)
            );
        }
    }
    // The message the issue asks about: ~128 bits in ~284 BPSK symbols, either as one block or as
    // six LDPC(49,24)-sized blocks (144 info bits, 294 symbols), where the message fails if any
    // block fails: per-block BLER p with 1 − (1 − p)^6 = target.
    println!("\nmessage of 128 bits: least Es/N0 (dB) for message error rate T");
    for &t in &targets {
        let p = 1.0 - (1.0 - t).powf(1.0 / 6.0);
        let one: Vec<String> =
            Bound::ALL.iter().map(|b| format!("{} {:.3}", b.name(), min_esn0_db(*b, 284, 128, t))).collect();
        let six: Vec<String> =
            Bound::ALL.iter().map(|b| format!("{} {:.3}", b.name(), min_esn0_db(*b, 49, 24, p))).collect();
        println!("  T = {t:.0e}: one (284,128) block: {}", one.join("; "));
        println!("           six (49,24) blocks (per-block BLER {p:.3e}): {}", six.join("; "));
    }
    // The same message on Rayleigh fading with CSI: one gain for the message (quasi-static), one
    // per LDPC(49,24)-sized codeword (block fading, six gains), one per 7 symbols, one per symbol.
    println!(
        "\nmessage of 128 bits in 294 symbols on Rayleigh fading (Ω = 1, CSI): least Es/N0 (dB), normal approximation"
    );
    for &t in &targets {
        let quasi_static = quasi_static::QuasiStatic::new(Bound::NormalApproximation, 294, 128, 1.0).min_esn0_db(t);
        let per =
            |run: usize| block_fading::BlockFading::new(1.0, block_fading::blocks(294, 49, run)).min_esn0_db(128, t);
        println!(
            "  T = {t:.0e}: one gain {quasi_static:.3}; a gain per 49 symbols {:.3}; per 7 {:.3}; per symbol {:.3}",
            per(0),
            per(7),
            per(1)
        );
    }
    // Not told the gains: each run's gain must be learnt from the run (noncoherent block fading).
    println!("\nthe same without CSI (noncoherent runs): least Es/N0 (dB), normal approximation");
    for &t in &targets {
        let blind = |run: usize| {
            block_fading::BlockFading::without_csi(1.0, block_fading::blocks(294, 49, run)).min_esn0_db(128, t)
        };
        let per_symbol = fast_fading::FastFading::new(1.0, false).min_esn0_db(294, 128, t);
        println!(
            "  T = {t:.0e}: a gain per 49 symbols {:.3}; per 7 {:.3}; per symbol {per_symbol:.3} (fast fading)",
            blind(0),
            blind(7)
        );
    }
}
