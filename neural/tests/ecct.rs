//! ECCT model, weight-file and learning tests (CPU).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{Device, Tensor};
use codes::{Decoder, LdpcCode};
use neural::ecct::model::{build_mask, masked_fraction, prepare_inputs};
use neural::ecct::weights::{load_model, save_model};
use neural::{Channel, Ecct, EcctConfig, EcctDecoder, EcctError, ModelMeta, WeightsError};

fn matrices() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../codes/matrices")
}
fn ldpc49() -> LdpcCode {
    LdpcCode::from_file(matrices().join("LDPC_N49_K24.alist")).unwrap()
}

#[test]
fn ldpc49_mask_removes_72_26_percent_of_pairs() {
    let code = ldpc49();
    assert_eq!(code.m(), 28);
    let mask = build_mask(code.n(), code.checks());
    assert_eq!(mask.len(), 77 * 77);
    // The official code logs "Self-Attention Sparsity Ratio=72.26%" for this code.
    let pct = 100.0 * masked_fraction(&mask);
    assert!((pct - 72.26).abs() < 0.005, "masked {pct:.3} %");
    // Symmetric, diagonal visible, check↔check masked off the diagonal.
    for i in 0..77 {
        assert!(!mask[i * 77 + i]);
        for j in 0..77 {
            assert_eq!(mask[i * 77 + j], mask[j * 77 + i]);
            if i >= 49 && j >= 49 && i != j {
                assert!(mask[i * 77 + j]);
            }
        }
    }
}

#[test]
fn ldpc49_parameter_count_and_forward_shape() -> candle_core::Result<()> {
    let code = ldpc49();
    let model = Ecct::new(EcctConfig::new(49, 28, 6, 32), code.checks(), 42, &Device::Cpu)?;
    assert_eq!(model.parameter_count(), 82_671);
    let mag = Tensor::ones((3, 49), candle_core::DType::F32, &Device::Cpu)?;
    let syn = Tensor::ones((3, 28), candle_core::DType::F32, &Device::Cpu)?;
    let out = model.forward(&mag, &syn, None)?;
    assert_eq!(out.dims(), &[3, 49]);
    // Identical inputs give identical outputs per frame (no hidden randomness in eval).
    let v = out.to_vec2::<f32>()?;
    assert_eq!(v[0], v[2]);
    Ok(())
}

#[test]
fn every_parameter_gets_a_nonzero_gradient() -> candle_core::Result<()> {
    let code = ldpc49();
    let model = Ecct::new(EcctConfig::new(49, 28, 2, 16), code.checks(), 3, &Device::Cpu)?;
    let y: Vec<f32> = (0..4 * 49).map(|i| 1.0 - 0.9 * ((i * 37 % 11) as f32 / 5.0)).collect();
    let (mag, syn, hard) = prepare_inputs(&y, 49, code.checks());
    let mag = Tensor::from_vec(mag, (4, 49), &Device::Cpu)?;
    let syn = Tensor::from_vec(syn, (4, 28), &Device::Cpu)?;
    let wrong = Tensor::from_vec(hard.iter().map(|&h| h as f32).collect::<Vec<_>>(), (4, 49), &Device::Cpu)?;
    let z = model.forward(&mag, &syn, None)?;
    let grads = model.loss(&z, &wrong)?.backward()?;
    for (name, var) in model.named_parameters() {
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("no gradient for {name}"));
        let norm = g.sqr()?.sum_all()?.to_scalar::<f32>()?;
        assert!(norm > 0.0 && norm.is_finite(), "gradient of {name} is {norm}");
    }
    Ok(())
}

fn meta_for(code: &LdpcCode, config: EcctConfig) -> ModelMeta {
    ModelMeta {
        config,
        channel: Channel::Awgn,
        code_name: code.name().to_string(),
        code_fingerprint: code.fingerprint(),
        trained_steps: 0,
    }
}

#[test]
fn weights_round_trip_and_clear_errors() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let code = ldpc49();
    let cfg = EcctConfig::new(49, 28, 1, 16);
    let model = Ecct::new(cfg, code.checks(), 5, &Device::Cpu)?;
    let path = dir.path().join("m.safetensors");
    save_model(&path, &model, &meta_for(&code, cfg))?;
    let (loaded, meta) = load_model(&path, &code, &Device::Cpu)?;
    assert_eq!(meta.config, cfg);
    for ((_, a), (_, b)) in model.named_parameters().iter().zip(loaded.named_parameters()) {
        assert_eq!(a.flatten_all()?.to_vec1::<f32>()?, b.flatten_all()?.to_vec1::<f32>()?);
    }
    // Another code: refused with both fingerprints.
    let other = LdpcCode::from_file(matrices().join("BCH_N31_K16.txt"))?;
    match load_model(&path, &other, &Device::Cpu) {
        Err(e @ EcctError::CodeMismatch { .. }) => assert!(e.to_string().contains("LDPC_N49_K24"), "{e}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("loaded a model for another code"),
    }
    // Truncated file and garbage: format errors naming the file.
    let bytes = std::fs::read(&path)?;
    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2])?;
    let e = load_model(&cut, &code, &Device::Cpu).err().expect("truncated file must fail");
    assert!(
        matches!(e, EcctError::Weights(WeightsError::Format { .. })) && e.to_string().contains("cut.safetensors"),
        "{e}"
    );
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"\xff\xff\xff\xff\xff\xff\xff\x7fnot json")?;
    assert!(matches!(load_model(&junk, &code, &Device::Cpu), Err(EcctError::Weights(WeightsError::Format { .. }))));
    let missing = load_model(&dir.path().join("none.safetensors"), &code, &Device::Cpu).err().unwrap();
    assert!(matches!(missing, EcctError::Weights(WeightsError::Io { .. })));
    Ok(())
}

#[test]
fn shipped_models_load_and_decoder_never_panics() -> Result<(), Box<dyn std::error::Error>> {
    let path = matrices().join("LDPC_N49_K24.alist");
    let code = Arc::new(LdpcCode::from_file(&path)?);
    for ch in [Channel::Awgn, Channel::Rayleigh] {
        let dec = EcctDecoder::shipped(&path, code.clone(), ch)?;
        assert_eq!(dec.meta().channel, ch);
        assert_eq!(dec.model().parameter_count(), 82_671);
        // Noiseless all-zero frames decode to zero; hostile LLRs do not panic.
        let mut llr = vec![8.0f32; 49 * 3];
        llr[49] = f32::INFINITY;
        llr[50] = f32::NEG_INFINITY;
        llr[51] = f32::NAN;
        llr[100] = -1e30;
        let mut bits = vec![9u8; 49 * 3];
        let stats = dec.decode_batch(&llr, &mut bits);
        assert_eq!(stats.frames, 3);
        assert!(bits[..49].iter().all(|&b| b == 0));
        assert!(bits.iter().all(|&b| b <= 1));
        // Soft output: the same decisions, as signs, on the same hostile input.
        let mut posterior = vec![0f32; 49 * 3];
        let soft = dec.decode_batch_soft(&llr, &mut posterior).expect("ECCT gives soft output");
        assert_eq!(soft, stats);
        for (i, (&p, &b)) in posterior.iter().zip(&bits).enumerate() {
            assert_eq!(u8::from(p < 0.0), b, "bit {i}: posterior {p}");
        }
    }
    // Shipped model for a code it was not trained for.
    let bch_path = matrices().join("BCH_N31_K16.txt");
    let bch = Arc::new(LdpcCode::from_file(&bch_path)?);
    assert!(EcctDecoder::shipped(&bch_path, bch, Channel::Awgn).is_err());
    Ok(())
}

/// ECCT's soft output means what it says: over noisy frames, the bits it is sure of are wrong far
/// less often than the ones it is not (the reliabilities ICD and the list receiver weigh).
#[test]
fn shipped_ecct_posteriors_rank_its_errors() -> Result<(), Box<dyn std::error::Error>> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let path = matrices().join("LDPC_N49_K24.alist");
    let code = Arc::new(LdpcCode::from_file(&path)?);
    // The all-zero codeword (the decoder sees only magnitudes and the syndrome) at Es/N0 -1 dB.
    let sigma = 1.0 / (2.0 * 10f64.powf(-0.1)).sqrt();
    let dec = EcctDecoder::shipped(&path, code, Channel::Awgn)?.with_noise_variance(sigma * sigma);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let noise = Normal::new(0.0, sigma)?;
    let llr: Vec<f32> =
        (0..49 * 200).map(|_| (2.0 * (1.0 + noise.sample(&mut rng)) / (sigma * sigma)) as f32).collect();
    let mut posterior = vec![0f32; llr.len()];
    dec.decode_batch_soft(&llr, &mut posterior).expect("soft output");
    let error_rate = |keep: &dyn Fn(f32) -> bool| {
        let picked: Vec<f32> = posterior.iter().copied().filter(|&p| keep(p.abs())).collect();
        (picked.iter().filter(|&&p| p < 0.0).count() as f64 / picked.len().max(1) as f64, picked.len())
    };
    let (sure, n_sure) = error_rate(&|a| a > 4.0);
    let (unsure, n_unsure) = error_rate(&|a| a < 1.0);
    assert!(n_sure > 100 && n_unsure > 20, "{n_sure} sure, {n_unsure} unsure bits");
    assert!(sure * 5.0 < unsure, "error rate of sure bits {sure}, of unsure ones {unsure}");
    Ok(())
}

/// One Rayleigh gain per frame with CSI: each frame is AWGN at its own noise σ/g, so the LLR scale
/// must come from the frame itself. All-zero frames (the decoder is codeword-agnostic), Es/N0 8 dB,
/// 1,024 frames with seeded gains and noise: estimating the scale per frame loses far fewer frames
/// than one estimate for the mixed batch (measured: 120 against 188), and far fewer than the hard
/// decision (309).
#[test]
fn per_frame_noise_estimates_decode_frames_of_different_snrs() -> Result<(), Box<dyn std::error::Error>> {
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;
    let path = matrices().join("LDPC_N49_K24.alist");
    let code = Arc::new(LdpcCode::from_file(&path)?);
    let (frames, n) = (1024, code.n());
    let sigma = (1.0f64 / (2.0 * 10f64.powf(0.8))).sqrt();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut llr = Vec::with_capacity(frames * n);
    for _ in 0..frames {
        let (u, v): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
        let g = ((u * u + v * v) / 2.0).sqrt();
        for _ in 0..n {
            let noise: f64 = rng.sample(StandardNormal);
            llr.push((2.0 * g * (g + sigma * noise) / (sigma * sigma)) as f32);
        }
    }
    let frame_errors = |bits: &[u8]| bits.chunks(n).filter(|f| f.iter().any(|&b| b != 0)).count();
    let decode = |dec: &EcctDecoder| {
        let mut bits = vec![0u8; frames * n];
        dec.decode_batch(&llr, &mut bits);
        frame_errors(&bits)
    };
    let batch = decode(&EcctDecoder::shipped(&path, code.clone(), Channel::Awgn)?);
    let per_frame = decode(&EcctDecoder::shipped(&path, code.clone(), Channel::Awgn)?.with_noise_estimated_per_frame());
    let hard: Vec<u8> = llr.iter().map(|&l| u8::from(l < 0.0)).collect();
    let hard = frame_errors(&hard);
    eprintln!("frames lost of {frames}: per frame {per_frame}, per batch {batch}, hard decision {hard}");
    assert!((per_frame as f64) < 0.8 * batch as f64, "per frame {per_frame}, per batch {batch}");
    assert!((per_frame as f64) < 0.6 * hard as f64, "per frame {per_frame}, hard {hard}");
    Ok(())
}
