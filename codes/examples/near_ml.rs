//! BP-5, BP-50 and OSD next to the finite-blocklength bounds: −ln(BER) and BLER per Eb/N0 on BPSK/AWGN
//! (ECCT conventions, all-zero codeword; every decoder here is symmetric, so that is a random
//! codeword in distribution). Prints markdown rows. A point without any frame error prints the 95 %
//! upper limit 3/frames on its BLER (and on its BER, since BER ≤ BLER) as `> −ln / < BLER`.
//! Below the decoders, one row each says how many of its frame errors ML decoding makes too (its
//! decision is a codeword fitting the channel output better than the sent one,
//! `awgn::is_ml_error`): a Monte-Carlo lower bound on ML's BLER, and the share of the decoder's
//! errors that no decoder of this code could avoid. For OSD, one more row says on how many of its
//! frame errors the sent codeword was among its own candidates (`awgn::osd_candidates`), how often
//! it was the runner-up, and how much less likely than the decision it was on average: what a
//! receiver that reranks OSD's candidates (the list receiver on OSD's soft output) has to work with;
//! and one more what such a receiver pays there to reach it, summing OSD's per-bit soft output over
//! the bits where it differs from the decision (`awgn::soft_charge`), against that exact gap; and
//! one more the part of that charge on the code's information positions, which the list receiver
//! pays bit by bit as its search goes (the parity part only arrives at each block's end).
//!
//! With `CHANNEL=rayleigh` the frames go through fast Rayleigh fading with perfect CSI (Ω = 1, the
//! link's `rayleigh-fast-csi`; Eb/N0 is the mean) instead of AWGN, and the AWGN bounds are left out.
//! The LLRs are exact there too, so the ML and candidate rows keep their meaning.
//!
//! `[EBN0=1,2,3,4,5,6] [CHANNEL=awgn|rayleigh] cargo run --release -p lmsscc-codes --example near_ml -- FILE TARGET_FE MAX_FRAMES SPEC...`
//! e.g. `... -- codes/matrices/LDPC_N49_K24.alist 200 1000000 SPA-5 SPA-50 OSD-2`.
#[path = "../tests/support/awgn.rs"]
mod awgn;

use channels::limits::{ebn0_db, Bound};
use channels::{Channel, Csi, Fading, RayleighChannel};
use codes::{DecoderKind, DecoderSpec, LdpcCode};
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = Arc::new(LdpcCode::from_file(&args[0]).unwrap());
    let target: u64 = args[1].parse().unwrap();
    let max_frames: u64 = args[2].parse().unwrap();
    let points: Vec<f64> = std::env::var("EBN0")
        .map(|v| v.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let fading = match std::env::var("CHANNEL").as_deref() {
        Err(_) | Ok("awgn") => None,
        Ok("rayleigh") => Some(RayleighChannel::new(Fading::Fast, Csi::Perfect, 1.0)),
        Ok(other) => panic!("CHANNEL={other}: expected awgn or rayleigh"),
    };
    let channel = fading.as_ref().map(|c| c as &dyn Channel);
    let (n, k) = (code.n(), code.k());
    println!(
        "{} (n = {n}, k = {k}) over {}; up to {target} frame errors or {max_frames} frames per point; cells: -ln(BER) / BLER [frame errors/frames]",
        code.name(),
        channel.map_or("awgn".to_string(), |c| c.name())
    );
    let header: Vec<String> = points.iter().map(|e| format!("{e} dB")).collect();
    println!("| decoder | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(points.len()));
    // The bounds are for BPSK over AWGN.
    for bound in Bound::ALL.iter().filter(|_| channel.is_none()) {
        let cells: Vec<String> = points
            .iter()
            .map(|&eb| {
                let esn0 = eb - (ebn0_db(0.0, n, k));
                format!("BLER {:.2e}", bound.bler(n, k, esn0))
            })
            .collect();
        println!("| {} | {} |", bound.name(), cells.join(" | "));
    }
    let mut ml_rows = Vec::new();
    for spec in &args[3..] {
        let spec: DecoderSpec = spec.parse().unwrap();
        let dec = spec.build(code.clone());
        let osd_order = match spec.kind {
            DecoderKind::Osd { order } => Some(order as usize),
            _ => None,
        };
        let measured: Vec<awgn::BerPoint> = points
            .iter()
            .map(|&ebn0| {
                let seed = 2000 + (10.0 * ebn0) as u64;
                awgn::simulate_counting_ml_errors(
                    dec.as_ref(),
                    &code,
                    osd_order,
                    channel,
                    ebn0,
                    seed,
                    target,
                    max_frames,
                )
            })
            .collect();
        let cells: Vec<String> = measured
            .iter()
            .map(|p| {
                if p.frame_errors == 0 {
                    // No error seen: 95 % upper limit 3/frames on the FER, and BER ≤ FER.
                    let up = 3.0 / p.frames as f64;
                    format!("> {:.2} / < {:.1e} [0/{}]", -up.ln(), up, p.frames)
                } else {
                    format!("{:.2} / {:.2e} [{}/{}]", p.neg_ln_ber(), p.fer(), p.frame_errors, p.frames)
                }
            })
            .collect();
        println!("| {} | {} |", spec.name(), cells.join(" | "));
        // Of this decoder's frame errors, those ML makes too (a codeword that fits better than the
        // one sent): a lower bound on ML's BLER, and how much of the decoder's loss no decoder of
        // this code could recover.
        let cells: Vec<String> = measured
            .iter()
            .map(|p| match (p.frame_errors, p.ml_errors) {
                (0, _) => "–".to_string(),
                (_, 0) => format!("0 [0/{}]", p.frames),
                (e, _) => format!(
                    "≥ {:.2e} [{}/{}] = {:.0} %",
                    p.ml_errors as f64 / p.frames as f64,
                    p.ml_errors,
                    p.frames,
                    100.0 * p.ml_errors as f64 / e as f64
                ),
            })
            .collect();
        ml_rows.push(format!("| ML BLER, from {}'s errors | {} |", spec.name(), cells.join(" | ")));
        if osd_order.is_some() {
            let cells: Vec<String> = measured
                .iter()
                .map(|p| match (p.frame_errors, p.sent_in_list) {
                    (0, _) => "–".to_string(),
                    (e, 0) => format!("0 of {e}"),
                    (e, l) => format!(
                        "{:.0} % ({:.0} % runner-up), {:.1} nats below",
                        100.0 * l as f64 / e as f64,
                        100.0 * p.sent_runner_up as f64 / e as f64,
                        p.sent_gap_nats / l as f64
                    ),
                })
                .collect();
            ml_rows.push(format!("| {}'s errors: sent codeword a candidate | {} |", spec.name(), cells.join(" | ")));
            // What the list receiver pays, reading OSD's per-bit soft output, to reach the sent
            // codeword on those frames, against the exact gap above; and its information part,
            // which the list pays bit by bit during its search, before a block's parity arrives.
            let charge_cells = |cell: &dyn Fn(&awgn::BerPoint, f64) -> String| -> String {
                let cells: Vec<String> = measured
                    .iter()
                    .map(|p| match p.sent_in_list {
                        0 => "–".to_string(),
                        l => cell(p, l as f64),
                    })
                    .collect();
                cells.join(" | ")
            };
            let whole = charge_cells(&|p, l| {
                format!("{:.1} nats over {:.1} bits", p.sent_soft_charge_nats / l, p.sent_differing_bits as f64 / l)
            });
            let info = charge_cells(&|p, l| {
                format!(
                    "{:.1} nats over {:.1} bits ({:.0} %)",
                    p.sent_info_charge_nats / l,
                    p.sent_info_differing_bits as f64 / l,
                    100.0 * p.sent_info_charge_nats / p.sent_soft_charge_nats
                )
            });
            ml_rows.push(format!("| …its per-bit soft-output charge there | {whole} |"));
            ml_rows.push(format!("| …of which on the information bits | {info} |"));
        }
    }
    for row in ml_rows {
        println!("{row}");
    }
}
