//! Polar decoder throughput (information Mb/s on one core) and FER: SC and CA-SCL with lists 2, 8
//! and 32 on the same frames, with SC measured in the same run as the baseline of the ratio column.
//!
//! `cargo bench -p lmsscc-codes --bench polar` (optional env: `BENCH_FRAMES`, default 2000;
//! `BENCH_EBN0`, default 2). Codes: the 5G NR (E = 128, A = 64, CRC-11) uplink-control size, the
//! size of a mean SmolLM2-coded Europarl message at rate 0.45 (A = 127 framed bits, E = 283, as
//! `scenarios/codes-awgn.toml` sends it), and (1024, 512) without CRC. Random payloads, BPSK over
//! AWGN, Eb/N0 per payload bit (A/E). Ours runs inside a 1-thread rayon pool; best of 3 runs.
//! No peer implementation is built here: AFF3CT's SCL figures are for its own SIMD kernels and
//! machines, so they are not put beside these.

#[path = "../tests/support/awgn.rs"]
mod awgn;

use codes::polar::{Crc, PolarCode, PolarDecoder};
use std::sync::Arc;
use std::time::Instant;

const REPEATS: usize = 3;

/// (information Mb/s, FER) of `dec` on `llr`.
fn measure(dec: &PolarDecoder, payload: &[u8], llr: &[f32]) -> (f64, f64) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut out = vec![0u8; payload.len()];
    let mut secs = f64::INFINITY;
    for _ in 0..REPEATS {
        let start = Instant::now();
        pool.install(|| dec.decode_info_batch(llr, &mut out));
        secs = secs.min(start.elapsed().as_secs_f64());
    }
    let a = dec.code().a();
    let frames = payload.len() / a;
    let errors = payload.chunks(a).zip(out.chunks(a)).filter(|(p, o)| p != o).count();
    (payload.len() as f64 / secs / 1e6, errors as f64 / frames as f64)
}

fn main() {
    let frames: usize = std::env::var("BENCH_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let ebn0: f64 = std::env::var("BENCH_EBN0").ok().and_then(|v| v.parse().ok()).unwrap_or(2.0);
    println!("polar decoders on one core, {frames} frames per code at Eb/N0 {ebn0} dB; ratio: throughput / SC's");
    for (a, e, crc) in [(64, 128, Crc::CRC11), (127, 283, Crc::CRC11), (512, 1024, Crc::NONE)] {
        let code = Arc::new(PolarCode::nr(a, e, crc).unwrap());
        println!("  {}", code.name());
        let (payload, llr) = awgn::polar_frames(&code, ebn0, frames, 7);
        let sc = measure(&PolarDecoder::sc(code.clone()), &payload, &llr);
        println!("    {:<12} {:9.3} Mb/s {:>8}   FER {:.3e}", "SC", sc.0, "1.00x", sc.1);
        for list in [2, 8, 32] {
            let (mbps, fer) = measure(&PolarDecoder::scl(code.clone(), list), &payload, &llr);
            let label = if crc.is_none() { format!("SCL-{list}") } else { format!("CA-SCL-{list}") };
            println!("    {label:<12} {mbps:9.3} Mb/s {:>7.2}x   FER {fer:.3e}", mbps / sc.0);
        }
    }
}
