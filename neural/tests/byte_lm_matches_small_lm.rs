//! The two implementations of the small byte LM agree: `neural::byte_lm::model` (candle, what training
//! runs) and `source::small_lm` (plain Rust with a KV cache, what the coder runs) give the same
//! code length for the same sentence with the shipped weights. The coder's tables are quantised to
//! integer frequencies (every byte keeps a minimum frequency), so its length differs from the model's
//! information content by a fraction of a percent either way; a wrong layer, mask or position in either
//! would differ by far more.

use candle_core::{Device, Tensor};
use neural::byte_lm::model::{ByteLm, END, VOCAB};
use source::small_lm::SmallLmCoder;

fn model_bits(model: &ByteLm, message: &[u8]) -> f64 {
    let dev = Device::Cpu;
    let t = message.len() + 1;
    let tokens: Vec<u32> = std::iter::once(END).chain(message.iter().map(|&b| b as u32)).collect();
    let targets: Vec<u32> = message.iter().map(|&b| b as u32).chain(std::iter::once(END)).collect();
    let positions: Vec<u32> = (0..t as u32).collect();
    let bias: Vec<f32> = (0..t).flat_map(|i| (0..t).map(move |j| if j <= i { 0.0 } else { -1e9 })).collect();
    let mut onehot = vec![0f32; t * VOCAB];
    for (i, &y) in targets.iter().enumerate() {
        onehot[i * VOCAB + y as usize] = 1.0;
    }
    let logits = model
        .forward(
            &Tensor::from_vec(tokens, (1, t), &dev).unwrap(),
            &Tensor::from_vec(positions, (1, t), &dev).unwrap(),
            &Tensor::from_vec(bias, (1, t, t), &dev).unwrap(),
        )
        .unwrap();
    let nats = model
        .nll_sum(&logits, &Tensor::from_vec(onehot, (t, VOCAB), &dev).unwrap())
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    nats as f64 / std::f64::consts::LN_2
}

#[test]
fn candle_model_and_kv_cache_coder_give_the_same_code_length() {
    let weights =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../source/models/europarl-byte-lm.safetensors");
    let (model, _) = ByteLm::load(&weights, &Device::Cpu).unwrap();
    let coder = SmallLmCoder::load(&weights).unwrap();
    for sentence in [
        "the house rose and observed a minute s silence",
        "thank you mr segni i shall do so gladly . indeed it is quite in keeping with the positions this house has always adopted .",
        "Zürich, 2026: 42 résumés?",
    ] {
        let exact = model_bits(&model, sentence.as_bytes());
        let coded = coder.information_bits(sentence).unwrap();
        let rel = (coded - exact) / exact;
        assert!(rel.abs() < 0.01, "{sentence:?}: model {exact:.3} bits, coder tables {coded:.3} bits ({rel:+.2e})");
    }
}
