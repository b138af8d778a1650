//! Looks inside trained JSCC models (DeepSC, UT, UT-quant) on the first 256 Europarl test
//! sentences, noiseless: how much of the transmitted values' variance the word position explains
//! and how much the word (between-group share of the variance, per value; the word share is
//! biased upwards by words seen once), and the RMS of the channel decoder's output, the memory the
//! semantic decoder's cross-attention reads; and the teacher-forced loss with that memory, with none
//! (zeros) and with the next sentence's (no channel use: all three equal). This is how the UT's
//! language-model plateau was traced (neural/models/README.md): its memory had 1/5 of DeepSC's scale
//! and its transmission was mostly position.
//! Run: cargo run --release -p lmsscc-neural --example jscc_probe -- neural/models/deepsc-awgn.safetensors ...
//! (each file's format tag says whether it holds DeepSC or UT / UT-quant).
use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use neural::core::cross_entropy::cross_entropy_rows;
use neural::jscc::deepsc::DeepSc;
use neural::jscc::sentence_batch::SentenceBatch;
use neural::jscc::train::{next_word_targets, read_sentences};
use neural::jscc::ut::Ut;
use neural::jscc::word_vocab::PAD;
use neural::jscc::JsccModel;

/// Share of the variance of `rows`' values explained by the group `key` puts each row in.
fn explained_share(rows: &[(usize, u32, Vec<f32>)], key: impl Fn(&(usize, u32, Vec<f32>)) -> u64) -> f64 {
    let k = rows[0].2.len();
    let n = rows.len() as f64;
    let sq = |a: &[f32], mean: &[f64]| a.iter().zip(mean).map(|(&x, m)| (x as f64 - m).powi(2)).sum::<f64>();
    let mut mean = vec![0f64; k];
    for r in rows {
        mean.iter_mut().zip(&r.2).for_each(|(m, &x)| *m += x as f64 / n);
    }
    let total: f64 = rows.iter().map(|r| sq(&r.2, &mean)).sum();
    let mut groups: HashMap<u64, (Vec<f64>, f64)> = HashMap::new();
    for r in rows {
        let g = groups.entry(key(r)).or_insert((vec![0.0; k], 0.0));
        g.0.iter_mut().zip(&r.2).for_each(|(s, &x)| *s += x as f64);
        g.1 += 1.0;
    }
    let groups: HashMap<u64, Vec<f64>> =
        groups.into_iter().map(|(g, (s, c))| (g, s.iter().map(|v| v / c).collect())).collect();
    let within: f64 = rows.iter().map(|r| sq(&r.2, &groups[&key(r)])).sum();
    1.0 - within / total
}

fn probe<M: JsccModel>(path: &str) -> anyhow::Result<()> {
    let dev = Device::Cpu;
    let (model, vocab, _) = M::load(Path::new(path), &dev)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (sentences, _, _) = read_sentences(&root.join("data/europarl/test_sentences.txt"), &vocab, Some(256))?;
    let refs: Vec<&[u32]> = sentences.iter().map(Vec::as_slice).collect();
    let batch = SentenceBatch::new(&refs, &dev)?;
    let (tx, _) = model.transmit_with_penalty(&batch, None)?;
    let memory = model.channel_decode(&tx)?.broadcast_mul(&batch.keep)?;
    let positions: usize = batch.lengths.iter().sum();
    let memory_rms = (memory.sqr()?.sum_all()?.to_scalar::<f32>()? as f64 / (positions * memory.dim(2)?) as f64).sqrt();
    let values = tx.to_vec3::<f32>()?;
    let ids = batch.ids.to_vec2::<u32>()?;
    let mut rows = Vec::new();
    for (i, &len) in batch.lengths.iter().enumerate() {
        for j in 0..len {
            rows.push((j, ids[i][j], values[i][j].clone()));
        }
    }
    println!(
        "{path}: {} values per word; variance explained by position {:.3}, by word {:.3}; memory RMS {memory_rms:.3}",
        values[0][0].len(),
        explained_share(&rows, |r| r.0 as u64),
        explained_share(&rows, |r| r.1 as u64),
    );
    let (b, t) = batch.ids.dims2()?;
    let targets = next_word_targets(&refs, t);
    let words = targets.iter().filter(|&&w| w != PAD).count() as f64;
    let inputs = batch.ids.narrow(1, 0, t - 1)?;
    let lengths: Vec<usize> = batch.lengths.iter().map(|n| n - 1).collect();
    let next_sentence = Tensor::cat(&[tx.narrow(0, 1, b - 1)?, tx.narrow(0, 0, 1)?], 0)?;
    let mut losses = Vec::new();
    for received in [tx.clone(), tx.zeros_like()?, next_sentence] {
        let memory = model.channel_decode(&received)?;
        let (states, _) = model.decode_states_with_penalty(&inputs, &lengths, &memory, &batch.src_bias, None)?;
        let logits = model.logits(&states)?.reshape((b * (t - 1), ()))?;
        let nll = cross_entropy_rows(&logits, &targets, Some(PAD))?.sum_all()?.to_scalar::<f32>()? as f64;
        losses.push(nll / words);
    }
    println!(
        "  loss (nats/word) with its memory {:.3}, zeros {:.3}, the next sentence's {:.3}",
        losses[0], losses[1], losses[2]
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    for path in std::env::args().skip(1) {
        match neural::core::weights::weight_format(Path::new(&path))?.as_str() {
            neural::jscc::deepsc::FORMAT => probe::<DeepSc>(&path)?,
            neural::jscc::ut::FORMAT => probe::<Ut>(&path)?,
            other => anyhow::bail!("{path}: format tag `{other}`, not a DeepSC or UT weight file"),
        }
    }
    Ok(())
}
