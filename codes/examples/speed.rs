//! Quick single-thread timing of one decoder: `cargo run --release --example speed -- FILE SPEC FRAMES`.
#[path = "../tests/support/awgn.rs"]
mod awgn;
use codes::{DecoderSpec, LdpcCode};
use rand::SeedableRng;
use std::sync::Arc;
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let code = Arc::new(LdpcCode::from_file(&a[0]).unwrap());
    let (text, et) = match a[1].strip_suffix("/noet") {
        Some(t) => (t, false),
        None => (a[1].as_str(), true),
    };
    let mut spec: DecoderSpec = text.parse().unwrap();
    spec.early_termination = et;
    let frames: usize = a[2].parse().unwrap();
    let dec = spec.build(code.clone());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut llr = vec![0f32; frames * code.n()];
    awgn::fill_llrs(&mut rng, awgn::sigma(3.0, code.rate()), &mut llr);
    let mut bits = vec![0u8; llr.len()];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let t = std::time::Instant::now();
    let s = pool.install(|| dec.decode_batch(&llr, &mut bits));
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} {}: {:.3} Mb/s, {:.2} ns/edge/iteration, mean it {:.2}",
        spec.name(),
        if et { "ET" } else { "noET" },
        llr.len() as f64 / secs / 1e6,
        secs * 1e9 / (s.iterations.max(1) as f64 * code.edges() as f64),
        s.iterations as f64 / frames as f64
    );
}
