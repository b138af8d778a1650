//! Decoder throughput (coded Mb/s, one core) and BER, next to ldpc-toolbox's flooding sum-product
//! decoder measured in the same run on the same frames.
//!
//! `cargo bench -p lmsscc-codes` (optional env: `BENCH_FRAMES` (default 4000), `BENCH_EBN0` (default
//! `3,5`), `BENCH_OSD_FRAMES` (default 1000): the first frames of the same set, for OSD-0..3, with
//! SPA-50 ET timed again on those frames as the baseline of the ratio column; `BENCH_OSD_ONLY=1`
//! skips the BP rows). Frames: BPSK over
//! AWGN, all-zero codeword, ECCT Eb/N0 convention. Ours runs inside a 1-thread rayon pool.
//! ldpc-toolbox always stops early, so its numbers compare with our "ET on" rows; it also skips
//! decoding when the channel word is already valid, as ours does with ET on.
#[path = "../tests/support/awgn.rs"]
mod awgn;

use codes::{Decoder, DecoderSpec, LdpcCode, OsdDecoder};
use ldpc_toolbox::decoder::arithmetic::{Phif64, Tanhf64};
use ldpc_toolbox::decoder::flooding::Decoder as PeerFlooding;
use ldpc_toolbox::sparse::SparseMatrix;
use rand::SeedableRng;
use std::sync::Arc;
use std::time::Instant;

/// Each timing is the best of this many runs (the machine is shared; the best run is the least
/// disturbed one).
const REPEATS: usize = 3;

struct Row {
    label: String,
    mbps: f64,
    ber: f64,
    fer: f64,
    mean_iterations: f64,
}

fn count_errors(bits: &[u8], n: usize) -> (u64, u64) {
    let mut be = 0;
    let mut fe = 0;
    for f in bits.chunks_exact(n) {
        let e = f.iter().map(|&b| b as u64).sum::<u64>();
        be += e;
        fe += (e > 0) as u64;
    }
    (be, fe)
}

fn ours(dec: &dyn Decoder, llr: &[f32], n: usize, et: bool) -> Row {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut bits = vec![0u8; llr.len()];
    let frames = (llr.len() / n) as f64;
    let mut secs = f64::INFINITY;
    let mut stats = Default::default();
    for _ in 0..REPEATS {
        let start = Instant::now();
        stats = pool.install(|| dec.decode_batch(llr, &mut bits));
        secs = secs.min(start.elapsed().as_secs_f64());
    }
    let (be, fe) = count_errors(&bits, n);
    Row {
        label: format!("ours {}{}", dec.name(), if et { " ET" } else { " noET" }),
        mbps: llr.len() as f64 / secs / 1e6,
        ber: be as f64 / llr.len() as f64,
        fer: fe as f64 / frames,
        mean_iterations: stats.iterations as f64 / frames,
    }
}

/// OSD-0..3 on the first `frames` frames, next to SPA-50 ET on the same frames.
fn osd_rows(code: &Arc<LdpcCode>, llr: &[f32], frames: usize) {
    let n = code.n();
    let llr = &llr[..frames.min(llr.len() / n) * n];
    let mut spa: DecoderSpec = "SPA-50".parse().unwrap();
    spa.early_termination = true;
    let base = ours(spa.build(code.clone()).as_ref(), llr, n, true);
    println!("  -- OSD on the first {} frames; ratio vs ours SPA-50 ET on the same frames", llr.len() / n);
    print(&base, None);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    for order in 0..=3 {
        let dec = OsdDecoder::new(code, order);
        let mut row = ours(&dec, llr, n, true);
        row.label = format!("ours OSD-{order}");
        let mut bits = vec![0u8; llr.len()];
        let (_, candidates) = pool.install(|| dec.decode_batch_counting(llr, &mut bits));
        row.mean_iterations = candidates as f64 / (llr.len() / n) as f64;
        print(&row, Some(&base));
    }
    println!("  (for OSD the last column is the mean number of candidate codewords scored per frame)");
}

fn peer<A: ldpc_toolbox::decoder::arithmetic::DecoderArithmetic>(
    label: &str,
    code: &LdpcCode,
    arithmetic: A,
    llr: &[f32],
    iterations: usize,
) -> Row {
    let n = code.n();
    let mut h = SparseMatrix::new(code.m(), n);
    for (r, row) in code.checks().iter().enumerate() {
        h.insert_row(r, row.iter());
    }
    let mut dec = PeerFlooding::new(h, arithmetic);
    let llr64: Vec<f64> = llr.iter().map(|&x| x as f64).collect();
    let mut bits = vec![0u8; llr.len()];
    let mut iters = 0u64;
    let mut secs = f64::INFINITY;
    for _ in 0..REPEATS {
        iters = 0;
        let start = Instant::now();
        for (l, b) in llr64.chunks_exact(n).zip(bits.chunks_exact_mut(n)) {
            let out = match dec.decode(l, iterations) {
                Ok(o) | Err(o) => o,
            };
            iters += out.iterations as u64;
            b.copy_from_slice(&out.codeword);
        }
        secs = secs.min(start.elapsed().as_secs_f64());
    }
    let (be, fe) = count_errors(&bits, n);
    let frames = (llr.len() / n) as f64;
    Row {
        label: format!("ldpc-toolbox {label}-{iterations} ET"),
        mbps: llr.len() as f64 / secs / 1e6,
        ber: be as f64 / llr.len() as f64,
        fer: fe as f64 / frames,
        mean_iterations: iters as f64 / frames,
    }
}

fn print(row: &Row, reference: Option<&Row>) {
    let ratio = reference.map(|r| format!("{:7.1}x", row.mbps / r.mbps)).unwrap_or_default();
    println!(
        "  {:<28} {:9.3} Mb/s {ratio:>9}   BER {:.3e}  FER {:.3e}  mean it {:5.2}",
        row.label, row.mbps, row.ber, row.fer, row.mean_iterations
    );
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices");
    let frames: usize = std::env::var("BENCH_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
    let osd_frames: usize = std::env::var("BENCH_OSD_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let points: Vec<f64> = std::env::var("BENCH_EBN0")
        .map(|v| v.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or(vec![3.0, 5.0]);
    println!("decoder throughput on one core, {frames} frames per code and Eb/N0 (BPSK/AWGN, all-zero codeword, ECCT Eb/N0 convention)");
    println!("ratio column: ours / ldpc-toolbox Phif64 (f64 sum-product) at the same iteration count; best of {REPEATS} runs");
    println!("ldpc-toolbox always stops early: compare its rows with our 'ET' rows (same frames, same FER)");
    for (file, ebn0) in
        ["LDPC_N49_K24.alist", "CCSDS_N128_K64.alist"].iter().flat_map(|f| points.iter().map(move |&e| (*f, e)))
    {
        let code = Arc::new(LdpcCode::from_file(dir.join(file)).unwrap());
        let n = code.n();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2024);
        let mut llr = vec![0f32; frames * n];
        awgn::fill_llrs(&mut rng, awgn::sigma(ebn0, code.rate()), &mut llr);
        println!("\n{} (n = {n}, k = {}, {} edges) at Eb/N0 = {ebn0} dB", code.name(), code.k(), code.edges());
        let osd_only = std::env::var_os("BENCH_OSD_ONLY").is_some();
        for iterations in [5usize, 50].into_iter().filter(|_| !osd_only) {
            let peer_phi = peer("SPA(Phif64)", &code, Phif64::new(), &llr, iterations);
            let peer_tanh = peer("SPA(Tanhf64)", &code, Tanhf64::new(), &llr, iterations);
            print(&peer_phi, None);
            print(&peer_tanh, Some(&peer_phi));
            for spec in [
                format!("SPA-{iterations}"),
                format!("SPA-L-{iterations}"),
                format!("NMS0.75-{iterations}"),
                format!("OMS0.15-{iterations}"),
                format!("NMS0.75-L-{iterations}"),
                format!("OMS0.15-L-{iterations}"),
            ] {
                for et in [false, true] {
                    let mut s: DecoderSpec = spec.parse().unwrap();
                    s.early_termination = et;
                    let row = ours(s.build(code.clone()).as_ref(), &llr, n, et);
                    print(&row, Some(&peer_phi));
                }
            }
        }
        osd_rows(&code, &llr, osd_frames);
    }
}
