//! ECCT decoding throughput on CPU by batch size, next to sum-product BP (flooding, 5 and 50 iterations,
//! no early termination) on the same frames: codewords/s, coded Mb/s and the ratio to BP-5.
//! Frames: random LDPC_N49_K24 codewords over AWGN at Eb/N0 = 5 dB. Uses the shipped AWGN model.
//! Run: RAYON_NUM_THREADS=1 cargo bench -p lmsscc-neural --bench ecct_throughput
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use codes::{Decoder, LdpcCode, SumProductDecoder};
use neural::channel::sigma_for_ebn0;
use neural::{Channel, EcctDecoder};
use rand::{Rng, SeedableRng};

fn time_decoder(dec: &dyn Decoder, llr: &[f32], n: usize, min_s: f64) -> f64 {
    let frames = llr.len() / n;
    let mut bits = vec![0u8; llr.len()];
    dec.decode_batch(llr, &mut bits); // warm-up
    let t = Instant::now();
    let mut done = 0usize;
    while t.elapsed().as_secs_f64() < min_s {
        dec.decode_batch(llr, &mut bits);
        done += frames;
    }
    done as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("codes/matrices/LDPC_N49_K24.alist");
    let code = Arc::new(LdpcCode::from_file(&path).expect("code"));
    let n = code.n();
    let sigma = sigma_for_ebn0(5.0, code.rate());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let max_frames = 512;
    let mut info = vec![0u8; max_frames * code.k()];
    info.iter_mut().for_each(|b| *b = rng.random::<bool>() as u8);
    let mut cw = vec![0u8; max_frames * n];
    code.encode_batch(&info, &mut cw);
    let mut y = Vec::new();
    Channel::Awgn.transmit(&mut rng, &cw, sigma, &mut y);
    let llr: Vec<f32> = y.iter().map(|&v| v * (2.0 / (sigma * sigma)) as f32).collect();
    let bp5 = SumProductDecoder::new(&code, 5, false);
    let bp50 = SumProductDecoder::new(&code, 50, false);
    let base = time_decoder(&bp5, &llr, n, 1.0);
    let mb = |cw_s: f64| cw_s * n as f64 / 1e6;
    println!("decoder            batch  codewords/s   coded Mb/s   vs SPA-5");
    println!("SPA-5 (flooding)   {:>5}  {:>11.0}  {:>11.3}   {:>7.3}", max_frames, base, mb(base), 1.0);
    let r = time_decoder(&bp50, &llr, n, 1.0);
    println!("SPA-50 (flooding)  {:>5}  {:>11.0}  {:>11.3}   {:>7.3}", max_frames, r, mb(r), r / base);
    let ecct = EcctDecoder::shipped(&path, code.clone(), Channel::Awgn)
        .expect("shipped model")
        .with_noise_variance(sigma * sigma);
    for batch in [1usize, 16, 128, 512] {
        let dec = EcctDecoder::shipped(&path, code.clone(), Channel::Awgn)
            .expect("shipped model")
            .with_noise_variance(sigma * sigma)
            .with_max_batch(batch);
        let r = time_decoder(&dec, &llr[..batch * n], n, 2.0);
        println!("ECCT-N6-d32        {:>5}  {:>11.0}  {:>11.3}   {:>7.4}", batch, r, mb(r), r / base);
    }
    drop(ecct);
}
