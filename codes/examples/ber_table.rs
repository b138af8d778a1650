//! Prints −ln(BER) of several decoders on one code over BPSK/AWGN (ECCT conventions, all-zero
//! codeword). Usage: `[EBN0=4,5,6] cargo run --release -p lmsscc-codes --example ber_table -- FILE TARGET_FE MAX_FRAMES SPEC[/noet]...`
#[path = "../tests/support/awgn.rs"]
mod awgn;

use codes::{DecoderSpec, LdpcCode};
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = Arc::new(LdpcCode::from_file(&args[0]).unwrap());
    let target: u64 = args[1].parse().unwrap();
    let max_frames: u64 = args[2].parse().unwrap();
    println!("{} (R = {:.4}); target {target} frame errors, at most {max_frames} frames; -ln(BER) [frame errors / frames, mean iterations]", code.name(), code.rate());
    let points: Vec<f64> = std::env::var("EBN0")
        .map(|v| v.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or(vec![4.0, 5.0, 6.0]);
    for spec in &args[3..] {
        // a trailing "/noet" turns early termination off
        let (text, et) = match spec.strip_suffix("/noet") {
            Some(t) => (t, false),
            None => (spec.as_str(), true),
        };
        let mut spec: DecoderSpec = text.parse().unwrap();
        spec.early_termination = et;
        let dec = spec.build(code.clone());
        let mut line = format!("{:>14}{}", spec.name(), if et { "" } else { " noET" });
        for &ebn0 in &points {
            let p = awgn::simulate(dec.as_ref(), ebn0, code.rate(), 1000 + ebn0 as u64, target, max_frames);
            line += &format!(
                "  {ebn0} dB: {:6.3} [{}/{}, {:.2} it]",
                p.neg_ln_ber(),
                p.frame_errors,
                p.frames,
                p.iterations as f64 / p.frames as f64
            );
        }
        println!("{line}");
    }
}
