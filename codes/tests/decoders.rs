//! Decoder behaviour with known answers: single-error correction on a small code, garbage input,
//! early termination, batch/thread independence, and spec names.

use codes::{Decoder, DecoderKind, DecoderSpec, LdpcCode, Schedule, SparseH};
use std::path::Path;
use std::sync::Arc;

fn load(file: &str) -> Arc<LdpcCode> {
    Arc::new(LdpcCode::from_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices").join(file)).unwrap())
}

/// Every iterative rule × schedule plus hard decision.
fn all_specs(iterations: usize, early_termination: bool) -> Vec<DecoderSpec> {
    let kinds = [
        DecoderKind::SumProduct,
        DecoderKind::NormalizedMinSum { alpha: 0.75 },
        DecoderKind::OffsetMinSum { beta: 0.15 },
    ];
    let mut specs =
        vec![DecoderSpec { kind: DecoderKind::Hard, schedule: Schedule::Flooding, iterations, early_termination }];
    for kind in kinds {
        for schedule in [Schedule::Flooding, Schedule::Layered] {
            specs.push(DecoderSpec { kind, schedule, iterations, early_termination });
        }
    }
    specs
}

fn to_llr(bits: &[u8], mag: f32) -> Vec<f32> {
    bits.iter().map(|&b| if b == 0 { mag } else { -mag }).collect()
}

/// Example 2.5 of S. J. Johnson, "Iterative Error Correction": every single error of codeword
/// 001011 with |LLR| = ln 4 is corrected (also asserted by ldpc-toolbox's own tests).
#[test]
fn johnson_example_single_errors_are_corrected() {
    let h = SparseH { n: 6, checks: vec![vec![0, 1, 3], vec![1, 2, 4], vec![0, 4, 5], vec![2, 3, 5]] };
    let code = Arc::new(LdpcCode::from_sparse(h, "johnson").unwrap());
    let good = [0u8, 0, 1, 0, 1, 1];
    assert!(code.is_codeword(&good));
    for spec in all_specs(20, true).into_iter().skip(1) {
        let dec = spec.build(code.clone());
        for j in 0..6 {
            let mut bad = good;
            bad[j] ^= 1;
            let mut out = [9u8; 6];
            let stats = dec.decode_batch(&to_llr(&bad, 4f32.ln()), &mut out);
            assert_eq!(out, good, "{}: error at bit {j}", spec.name());
            assert_eq!((stats.frames, stats.valid_codewords), (1, 1));
            assert!(stats.iterations >= 1 && stats.iterations <= 3, "{}: {} iterations", spec.name(), stats.iterations);
        }
    }
    // hard decision cannot correct, but reports the invalid word honestly
    let hd = DecoderSpec::from_str_checked("HD").build(code.clone());
    let mut out = [0u8; 6];
    let stats = hd.decode_batch(&to_llr(&[1, 0, 1, 0, 1, 1], 1.0), &mut out);
    assert_eq!(out, [1, 0, 1, 0, 1, 1]);
    assert_eq!(stats.valid_codewords, 0);
}

trait ParseChecked {
    fn from_str_checked(s: &str) -> DecoderSpec;
}
impl ParseChecked for DecoderSpec {
    fn from_str_checked(s: &str) -> DecoderSpec {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }
}

#[test]
fn garbage_llrs_never_panic_and_give_bits() {
    let specials =
        [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, f32::MAX, f32::MIN, 1e-40, -1e-40, 1e30, -3.0, 2.5];
    for file in ["LDPC_N49_K24.alist", "POLAR_N64_K32.txt"] {
        let code = load(file);
        let n = code.n();
        let frames = 40;
        let mut state = 7u64;
        let llr: Vec<f32> = (0..frames * n)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                match i / n {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => f32::NEG_INFINITY,
                    3 => 0.0,
                    _ => specials[(state >> 40) as usize % specials.len()],
                }
            })
            .collect();
        for spec in all_specs(30, false) {
            let dec = spec.build(code.clone());
            let mut bits = vec![7u8; llr.len()];
            let stats = dec.decode_batch(&llr, &mut bits);
            assert!(bits.iter().all(|&b| b <= 1), "{} on {file}", spec.name());
            assert_eq!(stats.frames, frames as u64);
            // NaN (erasure) or zero everywhere: nothing to flip, all-zero is a codeword
            assert!(bits[..n].iter().all(|&b| b == 0), "{} on {file}: NaN frame", spec.name());
            assert!(bits[3 * n..4 * n].iter().all(|&b| b == 0), "{} on {file}: zero frame", spec.name());
            // +inf everywhere is the all-zero word, -inf the all-one word (a codeword iff every row has even weight)
            assert!(bits[n..2 * n].iter().all(|&b| b == 0), "{} on {file}: +inf frame", spec.name());
            if code.is_codeword(&vec![1u8; n]) {
                assert!(bits[2 * n..3 * n].iter().all(|&b| b == 1), "{} on {file}: -inf frame", spec.name());
            }
        }
    }
}

#[test]
fn early_termination_matches_full_run_on_valid_input() {
    let code = load("LDPC_N49_K24.alist");
    let (n, k) = (code.n(), code.k());
    let frames = 8;
    let info: Vec<u8> = (0..frames * k).map(|i| ((i * 7 + i / 5) % 3 == 0) as u8).collect();
    let mut cw = vec![0u8; frames * n];
    code.encode_batch(&info, &mut cw);
    // valid codeword, varied but confident magnitudes
    let llr: Vec<f32> =
        cw.iter().enumerate().map(|(i, &b)| (2.0 + (i % 5) as f32) * if b == 0 { 1.0 } else { -1.0 }).collect();
    for (with, without) in all_specs(25, true).into_iter().zip(all_specs(25, false)) {
        let (mut a, mut b) = (vec![0u8; cw.len()], vec![0u8; cw.len()]);
        let sa = with.build(code.clone()).decode_batch(&llr, &mut a);
        let sb = without.build(code.clone()).decode_batch(&llr, &mut b);
        assert_eq!(a, b, "{}", with.name());
        assert_eq!(a, cw, "{}", with.name());
        assert_eq!(sa.iterations, 0, "{}: a valid channel word needs no iteration", with.name());
        let expect = if with.kind == DecoderKind::Hard { 0 } else { 25 * frames as u64 };
        assert_eq!(sb.iterations, expect, "{}", with.name());
        assert_eq!((sa.valid_codewords, sb.valid_codewords), (frames as u64, frames as u64));
    }
}

/// Gaussian-ish noise from a small LCG (sum of uniforms), enough to create decoding work.
fn noisy_llrs(n: usize, frames: usize, sigma: f32, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n * frames)
        .map(|_| {
            let g: f32 = (0..12).map(|_| uniform()).sum::<f32>() - 6.0;
            2.0 * (1.0 + sigma * g) / (sigma * sigma)
        })
        .collect()
}

#[test]
fn batch_results_do_not_depend_on_threads_or_batching() {
    let code = load("LDPC_N49_K24.alist");
    let n = code.n();
    let frames = 200; // > one parallel chunk
    let llr = noisy_llrs(n, frames, 0.8, 99);
    for spec in all_specs(10, true) {
        let dec = spec.build(code.clone());
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut bits = vec![0u8; llr.len()];
            let stats = pool.install(|| dec.decode_batch(&llr, &mut bits));
            (bits, stats)
        };
        let (one, s1) = run(1);
        let (three, s3) = run(3);
        assert_eq!(one, three, "{}", spec.name());
        assert_eq!(s1, s3, "{}", spec.name());
        let mut frame_by_frame = vec![0u8; llr.len()];
        for f in 0..frames {
            dec.decode_batch(&llr[f * n..(f + 1) * n], &mut frame_by_frame[f * n..(f + 1) * n]);
        }
        assert_eq!(one, frame_by_frame, "{}", spec.name());
    }
}

#[test]
fn iterative_decoders_beat_hard_decision_on_noisy_frames() {
    let code = load("LDPC_N49_K24.alist");
    let frames = 2000;
    let llr = noisy_llrs(code.n(), frames, 0.6, 5);
    let errors = |spec: &DecoderSpec| {
        let mut bits = vec![0u8; llr.len()];
        spec.build(code.clone()).decode_batch(&llr, &mut bits);
        bits.iter().map(|&b| b as usize).sum::<usize>()
    };
    let specs = all_specs(20, true);
    let hd = errors(&specs[0]);
    assert!(hd > 2000, "noise too weak for the test: {hd} raw errors");
    for spec in &specs[1..] {
        let e = errors(spec);
        assert!(e * 5 < hd, "{}: {e} bit errors vs {hd} for hard decision", spec.name());
    }
}

#[test]
fn spec_names_round_trip() {
    for (text, name) in [
        ("HD", "HD"),
        ("spa-50", "SPA-50"),
        ("SPA-L-20", "SPA-L-20"),
        ("NMS-L-5", "NMS0.75-L-5"),
        ("NMS0.8-5", "NMS0.8-5"),
        ("OMS-50", "OMS0.15-50"),
        ("OMS0.2-L-3", "OMS0.2-L-3"),
    ] {
        let spec = DecoderSpec::from_str_checked(text);
        assert_eq!(spec.name(), name);
        assert_eq!(DecoderSpec::from_str_checked(name), spec);
        assert!(spec.early_termination);
        let code = load("LDPC_N49_K24.alist");
        assert_eq!(spec.build(code).name(), name);
    }
    for bad in ["", "SPA", "SPA-x", "XYZ-5", "NMS-1-5", "NMSabc-5", "NMS-1.5-L", "SPA-L-L-5"] {
        assert!(bad.parse::<DecoderSpec>().is_err(), "'{bad}' accepted");
    }
}

/// The frame-interleaved SIMD min-sum path must reproduce the one-frame path bit for bit,
/// including iteration counts, with and without early termination.
#[test]
fn interleaved_min_sum_equals_one_frame_path() {
    use codes::check_rule::MinSumRule;
    use codes::{LayeredDecoder, MinSumCorrection, MinSumDecoder};
    for file in ["LDPC_N49_K24.alist", "BCH_N31_K16.txt"] {
        let code = load(file);
        let n = code.n();
        let frames = 77; // not a multiple of the 8 lanes
        let mut llr = noisy_llrs(n, frames, 0.8, 3);
        llr[5] = f32::NAN;
        llr[n + 2] = f32::NEG_INFINITY;
        for correction in [MinSumCorrection::Normalized(0.75), MinSumCorrection::Offset(0.15)] {
            for et in [false, true] {
                let flooding = MinSumDecoder::new(&code, correction, 12, et);
                let layered = LayeredDecoder::new(&code, MinSumRule(correction), 12, et, "L".into());
                let decoders: [(&dyn Decoder, &dyn Fn(&[f32], &mut [u8]) -> (u64, bool)); 2] = [
                    (&flooding, &|l, b| flooding.decode_frame_scalar(l, b)),
                    (&layered, &|l, b| layered.decode_frame_scalar(l, b)),
                ];
                for (i, (dec, scalar)) in decoders.iter().enumerate() {
                    let mut batch = vec![0u8; llr.len()];
                    let stats = dec.decode_batch(&llr, &mut batch);
                    let mut one = vec![0u8; llr.len()];
                    let (mut its, mut valid) = (0u64, 0u64);
                    for f in 0..frames {
                        let (it, v) = scalar(&llr[f * n..(f + 1) * n], &mut one[f * n..(f + 1) * n]);
                        its += it;
                        valid += v as u64;
                    }
                    let what = format!("{file} {correction:?} et={et} schedule {i}");
                    assert_eq!(batch, one, "{what}");
                    assert_eq!(
                        (stats.frames, stats.iterations, stats.valid_codewords),
                        (frames as u64, its, valid),
                        "{what}"
                    );
                    assert!(
                        valid > 0 && valid < frames as u64,
                        "{what}: test frames should mix successes and failures ({valid})"
                    );
                }
            }
        }
    }
}

/// Flooding BP's soft output: its signs are `decode_batch`'s decisions for every check rule, a frame
/// whose channel word is already a codeword keeps its channel LLRs, and decoding makes nearly every
/// frame it corrects more certain (mean |LLR|) than the channel did. Layered BP and hard decision have none.
#[test]
fn flooding_soft_output_agrees_with_the_hard_decisions() {
    let code = load("LDPC_N49_K24.alist");
    let n = code.n();
    let frames = 400;
    let llr = noisy_llrs(n, frames, 0.8, 11);
    for spec in all_specs(50, true) {
        let dec = spec.build(code.clone());
        let mut bits = vec![0u8; llr.len()];
        let hard = dec.decode_batch(&llr, &mut bits);
        let mut posterior = vec![f32::NAN; llr.len()];
        let Some(soft) = dec.decode_batch_soft(&llr, &mut posterior) else {
            assert!(
                spec.schedule == Schedule::Layered || spec.kind == DecoderKind::Hard,
                "{spec:?} has no soft output"
            );
            assert!(posterior.iter().all(|p| p.is_nan()), "untouched without soft output");
            continue;
        };
        assert_eq!(soft, hard, "{spec:?}: the same decoding");
        let signs: Vec<u8> = posterior.iter().map(|&p| (p < 0.0) as u8).collect();
        assert_eq!(signs, bits, "{spec:?}: posterior signs are the decisions");
        let (mut corrected, mut gained) = (0, 0);
        for ((l, p), b) in llr.chunks(n).zip(posterior.chunks(n)).zip(bits.chunks(n)) {
            let channel_word: Vec<u8> = l.iter().map(|&x| (x < 0.0) as u8).collect();
            if code.is_codeword(&channel_word) {
                assert_eq!(l, p, "{spec:?}: a valid channel word keeps its LLRs");
            } else if code.is_codeword(b) {
                corrected += 1;
                let mean = |v: &[f32]| v.iter().map(|x| x.abs()).sum::<f32>() / n as f32;
                gained += (mean(p) > mean(l)) as usize;
            }
        }
        // Not every one: a correction against a strong channel LLR can lower the frame's mean (SPA-50
        // measured 297 of 299).
        assert!(
            corrected > 20 && gained * 20 >= corrected * 19,
            "{spec:?}: {gained} of {corrected} corrected frames more certain"
        );
    }
}
