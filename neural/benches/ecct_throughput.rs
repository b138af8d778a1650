//! ECCT on CPU: decoding throughput by batch size next to sum-product BP (flooding, 5 and 50
//! iterations, no early termination) on the same frames (codewords/s, coded Mb/s, ratio to BP-5),
//! and the cost of one training step (forward + backward, batch 128, attention dropout 0.1). Both
//! also with the dense attention (all L×L scores, what GPUs run) instead of the fused sparse one,
//! as the ratio sparse / dense measured in the same run.
//! Frames: random LDPC_N49_K24 codewords over AWGN at Eb/N0 = 5 dB. Uses the shipped AWGN model.
//! Run: RAYON_NUM_THREADS=1 cargo bench -p lmsscc-neural --bench ecct_throughput
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use candle_core::{Device, Tensor};
use codes::{Decoder, LdpcCode, SumProductDecoder};
use neural::core::channel::sigma_for_ebn0;
use neural::ecct::model::{prepare_inputs, Dropout};
use neural::{Channel, EcctDecoder};
use rand::{Rng, SeedableRng};

// As `sim` (src/main.rs): candle's per-op buffers otherwise cost page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Seconds per training step (forward, loss, backward; no optimizer) of `dec`'s model on `y`.
fn time_training_step(dec: &EcctDecoder, code: &LdpcCode, y: &[f32], steps: usize) -> f64 {
    let (n, m) = (code.n(), code.m());
    let frames = y.len() / n;
    let (mag, syn, hard) = prepare_inputs(y, n, code.checks());
    let mag = Tensor::from_vec(mag, (frames, n), &Device::Cpu).unwrap();
    let syn = Tensor::from_vec(syn, (frames, m), &Device::Cpu).unwrap();
    let wrong =
        Tensor::from_vec(hard.iter().map(|&h| h as f32).collect::<Vec<_>>(), (frames, n), &Device::Cpu).unwrap();
    let mut dropout = Dropout { p: 0.1, rng: rand_chacha::ChaCha8Rng::seed_from_u64(1) };
    let model = dec.model();
    let mut step = || {
        let z = model.forward(&mag, &syn, Some(&mut dropout)).unwrap();
        model.loss(&z, &wrong).unwrap().backward().unwrap();
    };
    step(); // warm-up
    let t = Instant::now();
    for _ in 0..steps {
        step();
    }
    t.elapsed().as_secs_f64() / steps as f64
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
    println!("decoder                    batch  codewords/s   coded Mb/s   vs SPA-5");
    println!("SPA-5 (flooding)           {:>5}  {:>11.0}  {:>11.3}   {:>7.3}", max_frames, base, mb(base), 1.0);
    let r = time_decoder(&bp50, &llr, n, 1.0);
    println!("SPA-50 (flooding)          {:>5}  {:>11.0}  {:>11.3}   {:>7.3}", max_frames, r, mb(r), r / base);
    let shipped = || {
        EcctDecoder::shipped(&path, code.clone(), Channel::Awgn)
            .expect("shipped model")
            .with_noise_variance(sigma * sigma)
    };
    let mut sparse_128 = 0.0;
    for batch in [1usize, 16, 128, 512] {
        let dec = shipped().with_max_batch(batch);
        let r = time_decoder(&dec, &llr[..batch * n], n, 2.0);
        println!("ECCT-N6-d32 sparse attn.   {:>5}  {:>11.0}  {:>11.3}   {:>7.4}", batch, r, mb(r), r / base);
        if batch == 128 {
            sparse_128 = r;
        }
    }
    let dense = time_decoder(&shipped().with_max_batch(128).with_dense_attention(), &llr[..128 * n], n, 2.0);
    println!("ECCT-N6-d32 dense attn.    {:>5}  {:>11.0}  {:>11.3}   {:>7.4}", 128, dense, mb(dense), dense / base);
    println!("sparse / dense decoding throughput at batch 128: {:.2}x", sparse_128 / dense);

    let batch_y = &y[..128 * n];
    let sparse_step = time_training_step(&shipped(), &code, batch_y, 5);
    let dense_step = time_training_step(&shipped().with_dense_attention(), &code, batch_y, 5);
    println!(
        "training step (forward + backward, batch 128, dropout 0.1): sparse {:.3} s, dense {:.3} s: {:.2}x faster",
        sparse_step,
        dense_step,
        dense_step / sparse_step
    );
}
