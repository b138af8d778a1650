//! Same frames through our flooding SPA and ldpc-toolbox's (Phif64), to cross-check BER at one point:
//! `cargo run --release -p lmsscc-codes --example peer_ber -- FILE EBN0_DB ITERATIONS FRAMES [SEED]`.
#[path = "../tests/support/awgn.rs"]
mod awgn;
use codes::{Decoder, LdpcCode, SumProductDecoder};
use ldpc_toolbox::decoder::{arithmetic::Phif64, flooding::Decoder as Peer};
use ldpc_toolbox::sparse::SparseMatrix;
use rand::SeedableRng;
use std::sync::Arc;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let code = Arc::new(LdpcCode::from_file(&a[0]).unwrap());
    let ebn0: f64 = a[1].parse().unwrap();
    let iterations: usize = a[2].parse().unwrap();
    let frames: u64 = a[3].parse().unwrap();
    let seed: u64 = a.get(4).map(|s| s.parse().unwrap()).unwrap_or(77);
    let n = code.n();
    let mut h = SparseMatrix::new(code.m(), n);
    for (r, row) in code.checks().iter().enumerate() {
        h.insert_row(r, row.iter());
    }
    let mut peer = Peer::new(h, Phif64::new());
    let ours = SumProductDecoder::new(&code, iterations, true);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let batch = 4096;
    let (mut llr, mut bits) = (vec![0f32; batch * n], vec![0u8; batch * n]);
    let (mut done, mut ours_be, mut ours_fe, mut peer_be, mut peer_fe) = (0u64, 0u64, 0u64, 0u64, 0u64);
    while done < frames {
        awgn::fill_llrs(&mut rng, awgn::sigma(ebn0, code.rate()), &mut llr);
        ours.decode_batch(&llr, &mut bits);
        for (l, b) in llr.chunks_exact(n).zip(bits.chunks_exact(n)) {
            let e: u64 = b.iter().map(|&x| x as u64).sum();
            ours_be += e;
            ours_fe += (e > 0) as u64;
            let l64: Vec<f64> = l.iter().map(|&x| x as f64).collect();
            let out = match peer.decode(&l64, iterations) {
                Ok(o) | Err(o) => o,
            };
            let e: u64 = out.codeword.iter().map(|&x| x as u64).sum();
            peer_be += e;
            peer_fe += (e > 0) as u64;
        }
        done += batch as u64;
    }
    let bits_total = (done * n as u64) as f64;
    println!("{} Eb/N0 {ebn0} dB, {iterations} it, {done} frames (seed {seed})", code.name());
    println!(
        "  ours SPA     : -ln(BER) {:.3}  bit errors {ours_be}  frame errors {ours_fe}",
        -(ours_be as f64 / bits_total).ln()
    );
    println!(
        "  ldpc-toolbox : -ln(BER) {:.3}  bit errors {peer_be}  frame errors {peer_fe}",
        -(peer_be as f64 / bits_total).ln()
    );
}
