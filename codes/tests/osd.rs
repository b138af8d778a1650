//! Ordered-statistics decoding: error patterns on the most reliable basis, agreement with
//! brute-force maximum likelihood, garbage input, and BER against BP-50 on LDPC(49,24).
#[path = "support/awgn.rs"]
mod awgn;

use codes::{Decoder, DecoderSpec, LdpcCode, OsdDecoder};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::Arc;

fn load(file: &str) -> Arc<LdpcCode> {
    Arc::new(LdpcCode::from_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices").join(file)).unwrap())
}

fn random_codeword(code: &LdpcCode, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let info: Vec<u8> = (0..code.k()).map(|_| rng.random_range(0..2u8)).collect();
    let mut cw = vec![0u8; code.n()];
    code.encode(&info, &mut cw);
    cw
}

/// LLRs of codeword `cw` with |L| in [1, 1.5], except `w` info positions that get the largest
/// magnitudes (1.6 + 0.01·i) and a wrong sign. Info positions are independent columns of G, so those w
/// positions lead the most reliable basis: the channel word has exactly w errors on the MRB.
fn mrb_errors(code: &LdpcCode, cw: &[u8], w: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut llr: Vec<f32> =
        cw.iter().map(|&b| (1.0 + 0.5 * rng.random::<f32>()) * if b == 0 { 1.0 } else { -1.0 }).collect();
    let info = code.info_positions();
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < w {
        let p = info[rng.random_range(0..info.len())];
        if !chosen.contains(&p) {
            chosen.push(p);
        }
    }
    for (i, &p) in chosen.iter().enumerate() {
        llr[p] = -(1.6 + 0.01 * i as f32) * if cw[p] == 0 { 1.0 } else { -1.0 };
    }
    llr
}

/// BCH(63,36) has minimum distance ≥ 11, so with w ≤ 3 errors the sent codeword has discrepancy
/// ≤ 3 × 1.62 < 5 while any other codeword differs from the hard decisions in ≥ 8 places (|L| ≥ 1
/// each): the sent codeword is the unique ML decision. OSD of order ≥ w must return
/// it; OSD of order w − 1 cannot (the sent codeword is not among its candidates, since a codeword
/// is fixed by its MRB bits).
#[test]
fn order_i_corrects_exactly_i_errors_on_the_mrb() {
    let code = load("BCH_N63_K36.txt");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let decs: Vec<OsdDecoder> = (0..=3).map(|o| OsdDecoder::new(&code, o)).collect();
    let mut out = vec![0u8; code.n()];
    for trial in 0..200 {
        let cw = random_codeword(&code, &mut rng);
        let w = trial % 4;
        let llr = mrb_errors(&code, &cw, w, &mut rng);
        for (order, dec) in decs.iter().enumerate() {
            let stats = dec.decode_batch(&llr, &mut out);
            assert!(code.is_codeword(&out), "OSD-{order} output is not a codeword");
            assert_eq!(stats.valid_codewords, 1);
            if order >= w {
                assert_eq!(out, cw, "OSD-{order} with {w} MRB errors, trial {trial}");
            } else {
                assert_ne!(out, cw, "OSD-{order} cannot reach a codeword {w} flips away on the MRB");
            }
        }
    }
}

/// On codes given by H with redundant rows (LDPC(49,24): 28 rows, rank 25) and on CCSDS(128,64),
/// the sent codeword is among OSD-w's candidates when the MRB holds w errors, so the output is at
/// least as likely: discrepancy(output) ≤ discrepancy(sent).
#[test]
fn sent_codeword_is_a_candidate_on_ldpc_codes() {
    for file in ["LDPC_N49_K24.alist", "CCSDS_N128_K64.alist", "POLAR_N64_K32.txt"] {
        let code = load(file);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut out = vec![0u8; code.n()];
        for trial in 0..120 {
            let cw = random_codeword(&code, &mut rng);
            let w = trial % 4;
            let llr = mrb_errors(&code, &cw, w, &mut rng);
            for order in w..=3 {
                OsdDecoder::new(&code, order).decode_batch(&llr, &mut out);
                assert!(code.is_codeword(&out), "{file} OSD-{order}");
                let (d_out, d_sent) = (awgn::discrepancy(&out, &llr), awgn::discrepancy(&cw, &llr));
                assert!(d_out <= d_sent + 1e-4, "{file} OSD-{order}, {w} MRB errors: D {d_out} > sent {d_sent}");
            }
        }
    }
}

/// `awgn::osd_candidates`, an independent order-i candidate list that `near_ml` uses to look inside
/// OSD's search, must be OSD's own: its best candidate is as likely as the decoder's decision on
/// noisy frames (LDPC(49,24), whose H has redundant rows, at Eb/N0 1 dB), it has 1 + k + C(k,2) …
/// distinct codewords, and with w errors on the MRB the sent codeword is among them exactly for
/// orders ≥ w.
#[test]
fn an_independent_candidate_list_agrees_with_osd() {
    let code = load("LDPC_N49_K24.alist");
    let (n, k) = (code.n(), code.k());
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let frames = 60;
    let mut llr = vec![0f32; frames * n];
    awgn::fill_llrs(&mut rng, awgn::sigma(1.0, code.rate()), &mut llr);
    let mut out = vec![0u8; frames * n];
    for order in 0..=2 {
        OsdDecoder::new(&code, order).decode_batch(&llr, &mut out);
        for (l, o) in llr.chunks_exact(n).zip(out.chunks_exact(n)) {
            let candidates = awgn::osd_candidates(&code, l, order);
            let sizes = [1, 1 + k, 1 + k + k * (k - 1) / 2];
            assert_eq!(candidates.len(), sizes[order]);
            let mut words: Vec<&Vec<u8>> = candidates.iter().map(|(_, c)| c).collect();
            words.sort();
            words.dedup();
            assert_eq!(words.len(), sizes[order], "candidates are distinct");
            assert!(candidates.iter().all(|(_, c)| code.is_codeword(c)));
            let best = candidates.iter().map(|(d, _)| *d).fold(f64::INFINITY, f64::min);
            assert!((best - awgn::discrepancy(o, l)).abs() < 1e-4, "OSD-{order}: {best} vs the decoder's");
        }
    }
    for trial in 0..40 {
        let w = trial % 4;
        let llr = mrb_errors(&code, &vec![0; n], w, &mut rng);
        for order in 0..=3 {
            let sent = awgn::sent_among_osd_candidates(&code, &llr, order);
            assert_eq!(sent.is_some(), order >= w, "{w} MRB errors, order {order}");
        }
    }
}

/// `awgn::soft_charge`, what the list receiver pays (reading OSD's soft output) to move from OSD's
/// decision to the sent codeword, which `near_ml` reports: where OSD-2 fails on BCH(31,16) (d = 7)
/// and the sent codeword is among its candidates, the two differ in at least d bits, and no bit's
/// soft output exceeds their exact likelihood gap (the sent codeword is a competitor with that bit
/// flipped), so the charge is at most bits × gap; and it is over twice the gap on the whole, the
/// overcharge the README measures. Its information part covers at least one bit (a codeword is
/// fixed by its information bits).
#[test]
fn the_sent_codewords_soft_charge_is_bounded_by_its_gap() {
    let code = load("BCH_N31_K16.txt");
    let n = code.n();
    let osd = OsdDecoder::new(&code, 2);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let frames = 2000;
    let mut llr = vec![0f32; frames * n];
    awgn::fill_llrs(&mut rng, awgn::sigma(1.0, code.rate()), &mut llr);
    let mut out = vec![0u8; frames * n];
    osd.decode_batch(&llr, &mut out);
    let (mut checked, mut charges, mut gaps) = (0, 0.0, 0.0);
    for (l, o) in llr.chunks_exact(n).zip(out.chunks_exact(n)).filter(|(_, o)| o.contains(&1)) {
        let Some((_, gap)) = awgn::sent_among_osd_candidates(&code, l, 2) else { continue };
        let charge = awgn::soft_charge(&osd, l, o, code.info_positions()).expect("OSD has soft output");
        let bits = charge.bits;
        assert_eq!(bits, o.iter().filter(|&&b| b == 1).count() as u64);
        assert!(bits >= 7, "decision and sent codeword differ in {bits} < d bits");
        assert!(charge.nats <= bits as f64 * (gap + 1e-3), "charge {} over {bits} bits, gap {gap}", charge.nats);
        // Two codewords with the same information bits are the same codeword: they differ in at
        // least one information bit, and the information part is a part of the whole.
        assert!(
            (1..=bits).contains(&charge.info_bits),
            "{} of {bits} differing bits are information bits",
            charge.info_bits
        );
        assert!(charge.info_nats > 0.0 && charge.info_nats <= charge.nats + 1e-9, "{charge:?}");
        (checked, charges, gaps) = (checked + 1, charges + charge.nats, gaps + gap);
    }
    assert!(checked >= 50, "only {checked} frames where OSD-2 fails with the sent codeword a candidate");
    assert!(charges > 2.0 * gaps, "mean charge {} vs mean gap {}", charges / checked as f64, gaps / checked as f64);
}

/// Against brute-force ML over all 2^16 codewords of BCH(31,16) on noisy frames (Eb/N0 = 2 dB):
/// OSD never finds a better codeword than ML (its output is a codeword, ML is optimal), order 0 is
/// clearly worse, and order 3 agrees with ML on almost every frame (Fossorier & Lin: order
/// ⌈d/4⌉ = 2 is already practically optimal for d = 7).
#[test]
fn osd_matches_brute_force_ml_on_bch_31_16() {
    let code = load("BCH_N31_K16.txt");
    let (n, k) = (code.n(), code.k());
    let mut book = Vec::with_capacity(1 << k);
    let mut info = vec![0u8; k];
    let mut cw = vec![0u8; n];
    for m in 0..1u32 << k {
        for (i, b) in info.iter_mut().enumerate() {
            *b = (m >> i & 1) as u8;
        }
        code.encode(&info, &mut cw);
        book.push(cw.iter().enumerate().fold(0u32, |a, (i, &b)| a | (b as u32) << i));
    }
    let frames = 300;
    let sigma = awgn::sigma(2.0, code.rate());
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut llr = vec![0f32; frames * n];
    awgn::fill_llrs(&mut rng, sigma, &mut llr);
    // ML discrepancy per frame: D(c) = Σ_{i : c_i ≠ hard_i} |L_i|, via two tables over the low 16
    // and high 15 bits of c ⊕ hard.
    let d_ml: Vec<f64> = llr
        .chunks_exact(n)
        .map(|l| {
            let hard = (0..n).fold(0u32, |a, i| a | ((l[i] < 0.0) as u32) << i);
            let table = |lo: usize, bits: usize| -> Vec<f64> {
                let mut t = vec![0.0; 1 << bits];
                for m in 1..1usize << bits {
                    let b = m.trailing_zeros() as usize;
                    t[m] = t[m & (m - 1)] + l[lo + b].abs() as f64;
                }
                t
            };
            let (t_lo, t_hi) = (table(0, 16), table(16, n - 16));
            book.iter()
                .map(|&c| {
                    let d = c ^ hard;
                    t_lo[(d & 0xffff) as usize] + t_hi[(d >> 16) as usize]
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    // ML fails where some codeword fits better than the sent all-zero one.
    let ml_fails: Vec<bool> =
        llr.chunks_exact(n).zip(&d_ml).map(|(l, &d_ml)| d_ml < awgn::discrepancy(&vec![0; n], l) - 1e-4).collect();
    let mut agree = [0usize; 4];
    let mut ml_errors_seen = [0usize; 4];
    for (order, a) in agree.iter_mut().enumerate() {
        let dec = OsdDecoder::new(&code, order);
        let mut out = vec![0u8; frames * n];
        dec.decode_batch(&llr, &mut out);
        for (((l, o), &d_ml), &ml_fails) in llr.chunks_exact(n).zip(out.chunks_exact(n)).zip(&d_ml).zip(&ml_fails) {
            let d = awgn::discrepancy(o, l);
            assert!(code.is_codeword(o));
            assert!(d >= d_ml - 1e-4, "OSD beat ML: impossible");
            *a += (d <= d_ml + 1e-4) as usize;
            // The ML-error count (`near_ml`'s lower bound on ML's BLER) counts only frames ML fails.
            let counted = awgn::is_ml_error(&code, l, o);
            assert!(!counted || ml_fails, "an ML error counted where ML decodes right");
            ml_errors_seen[order] += counted as usize;
        }
    }
    let ml_failures = ml_fails.iter().filter(|&&f| f).count();
    eprintln!(
        "frames where OSD-0..3 reach the ML discrepancy (of {frames}): {agree:?}; ML errors seen through \
         OSD-0..3: {ml_errors_seen:?} of ML's {ml_failures}"
    );
    // OSD-3 is ML on these frames, so through it the count finds every frame ML gets wrong.
    assert!(ml_failures > 0 && ml_errors_seen[3] == ml_failures, "{ml_errors_seen:?} of {ml_failures}");
    assert!(agree[0] < agree[3] && agree[0] < frames * 95 / 100, "{agree:?}");
    assert!(agree[1] <= agree[2] + frames / 100 && agree[2] <= agree[3] + frames / 100, "{agree:?}");
    assert!(agree[3] >= frames * 99 / 100, "OSD-3 should be ML on ≥ 99 % of frames: {agree:?}");
}

#[test]
fn garbage_llrs_decode_to_codewords() {
    for file in ["LDPC_N49_K24.alist", "BCH_N31_K16.txt"] {
        let code = load(file);
        let n = code.n();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let frames: Vec<Vec<f32>> = vec![
            vec![0.0; n],
            vec![f32::NAN; n],
            vec![f32::INFINITY; n],
            vec![f32::NEG_INFINITY; n],
            (0..n).map(|i| [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1e30, -1e-30][i % 7]).collect(),
            (0..n).map(|_| rng.random_range(-1e6f32..1e6)).collect(),
        ];
        for order in 0..=3 {
            let dec = OsdDecoder::new(&code, order);
            for f in &frames {
                let mut out = vec![7u8; n];
                let stats = dec.decode_batch(f, &mut out);
                assert!(code.is_codeword(&out), "{file} OSD-{order} on {:?}", &f[..4]);
                assert_eq!((stats.frames, stats.valid_codewords), (1, 1));
            }
        }
    }
}

#[test]
fn spec_builds_osd() {
    let code = load("LDPC_N49_K24.alist");
    for o in 0..=3 {
        let spec: DecoderSpec = format!("osd-{o}").parse().unwrap();
        assert_eq!(spec.name(), format!("OSD-{o}"));
        assert_eq!(spec.build(code.clone()).name(), format!("OSD-{o}"));
    }
    assert!("OSD-4".parse::<DecoderSpec>().is_err());
    assert!("OSD-x".parse::<DecoderSpec>().is_err());
}

/// OSD-2 against flooding sum-product with 50 iterations (BP-50) on LDPC(49,24), BPSK/AWGN, ECCT
/// conventions, at Eb/N0 4 / 5 / 6 dB, both decoders on the same frames (fixed seeds). OSD-2 must
/// have fewer than a third of BP-50's bit errors, i.e. a −ln(BER) at least ln 3 = 1.1 higher.
/// This run: OSD-2 8.65 / 12.10 / 13.64 (20 / 3 / 3 frame errors) against BP-50 6.09 / 8.41 /
/// 11.89 (304 / 145 / 21), factors 13 / 40 / 5.8 in bit errors. At 4 and 5 dB the factor 3 is far
/// outside the Monte-Carlo noise (BP-50's count is good to ±10–20 %, OSD-2's to ±25–60 %). At 6 dB
/// both counts are small (BP-50 asserted ≥ 8 frame errors): OSD-2 averages ~8 bit errors per
/// failed frame, so it would need ≥ 6 frame errors (Poisson with mean ~2: < 2 %) to fail; the
/// independent estimate from `ber_table` (0 frame errors in 400 k frames, seed 1006) agrees.
#[test]
fn osd_beats_bp50_on_ldpc_49_24() {
    let code = load("LDPC_N49_K24.alist");
    let osd = OsdDecoder::new(&code, 2);
    let bp: DecoderSpec = "SPA-50".parse().unwrap();
    let bp = bp.build(code.clone());
    for (ebn0, frames, min_bp_fe) in [(4.0, 20_480u64, 150), (5.0, 102_400, 80), (6.0, 409_600, 8)] {
        let seed = 777 + ebn0 as u64;
        let p_osd = awgn::simulate(&osd, ebn0, code.rate(), seed, u64::MAX, frames);
        let p_bp = awgn::simulate(bp.as_ref(), ebn0, code.rate(), seed, u64::MAX, frames);
        eprintln!(
            "{ebn0} dB, {frames} frames: OSD-2 -ln BER {:.3} ({} bit / {} frame errors), BP-50 {:.3} ({} / {})",
            p_osd.neg_ln_ber(),
            p_osd.bit_errors,
            p_osd.frame_errors,
            p_bp.neg_ln_ber(),
            p_bp.bit_errors,
            p_bp.frame_errors
        );
        assert!(p_bp.frame_errors >= min_bp_fe, "BP-50 count too small to compare at {ebn0} dB");
        assert!(3 * p_osd.bit_errors < p_bp.bit_errors, "OSD-2 should have < 1/3 of BP-50's bit errors at {ebn0} dB");
    }
}

/// Degenerate codes: k = 0 (only the zero word) and k = n (no checks: OSD-0 is the hard decision).
#[test]
fn degenerate_codes() {
    use codes::SparseH;
    let zero =
        Arc::new(LdpcCode::from_sparse(SparseH { n: 3, checks: vec![vec![0], vec![1], vec![2]] }, "k0").unwrap());
    let full = Arc::new(LdpcCode::from_sparse(SparseH { n: 5, checks: vec![] }, "k5").unwrap());
    assert_eq!((zero.k(), full.k()), (0, 5));
    for order in 0..=3 {
        let mut out = [9u8; 3];
        OsdDecoder::new(&zero, order).decode_batch(&[-1.0, f32::NAN, 2.0], &mut out);
        assert_eq!(out, [0, 0, 0]);
        let mut out = [9u8; 5];
        OsdDecoder::new(&full, order).decode_batch(&[-1.0, 3.0, -0.5, f32::NEG_INFINITY, 0.0], &mut out);
        assert_eq!(out, [1, 0, 1, 1, 0]);
        // The list: k = 0 has only the zero word (its discrepancy is the hard 1's |L|); with no
        // parity, the hard decisions, then each one-bit flip, least reliable first.
        let zeros = OsdDecoder::new(&zero, order).list_frame(&[-1.0, f32::NAN, 2.0], 4).unwrap();
        assert_eq!(zeros, [codes::ListedCodeword { bits: vec![0, 0, 0], discrepancy: 1.0 }]);
        let words = OsdDecoder::new(&full, order).list_frame(&[-1.0, 3.0, -0.5, -2.0, 0.25], 3).unwrap();
        let listed: Vec<(Vec<u8>, f32)> = words.into_iter().map(|c| (c.bits, c.discrepancy)).collect();
        let want = [(vec![1, 0, 1, 1, 0], 0.0), (vec![1, 0, 1, 1, 1], 0.25), (vec![1, 0, 0, 1, 0], 0.5)];
        assert_eq!(listed, want[..if order == 0 { 1 } else { 3 }], "OSD-{order}");
    }
}

/// Max-log APP of every bit by brute force over the whole codebook: `L_j = min{D(c) : c_j = 1} −
/// min{D(c) : c_j = 0}` (positive: 0), with `D` the correlation discrepancy.
fn brute_force_max_log(code: &LdpcCode, llr: &[f32]) -> Vec<f64> {
    let (n, k) = (code.n(), code.k());
    let (mut best0, mut best1) = (vec![f64::INFINITY; n], vec![f64::INFINITY; n]);
    let (mut info, mut cw) = (vec![0u8; k], vec![0u8; n]);
    for m in 0..1u64 << k {
        for (i, b) in info.iter_mut().enumerate() {
            *b = (m >> i & 1) as u8;
        }
        code.encode(&info, &mut cw);
        let d = awgn::discrepancy(&cw, llr);
        for j in 0..n {
            let slot = if cw[j] == 0 { &mut best0[j] } else { &mut best1[j] };
            *slot = slot.min(d);
        }
    }
    best1.iter().zip(&best0).map(|(b1, b0)| b1 - b0).collect()
}

/// Where the order reaches k every codeword is a candidate, so the soft output is the max-log APP
/// of each bit exactly (a (6,3) code and OSD-3; AWGN at three noise levels).
#[test]
fn soft_output_is_the_exact_max_log_app_when_every_codeword_is_a_candidate() {
    use codes::SparseH;
    let code = Arc::new(
        LdpcCode::from_sparse(SparseH { n: 6, checks: vec![vec![0, 1, 3], vec![1, 2, 4], vec![0, 2, 5]] }, "k3")
            .unwrap(),
    );
    assert_eq!(code.k(), 3);
    let dec = OsdDecoder::new(&code, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for ebn0 in [-2.0, 1.0, 4.0] {
        let frames = 200;
        let mut llr = vec![0f32; frames * 6];
        awgn::fill_llrs(&mut rng, awgn::sigma(ebn0, code.rate()), &mut llr);
        // Random codewords, not only the all-zero one: flip the LLR signs along one.
        for f in llr.chunks_exact_mut(6) {
            let cw = random_codeword(&code, &mut rng);
            for (l, b) in f.iter_mut().zip(cw) {
                *l *= if b == 1 { -1.0 } else { 1.0 };
            }
        }
        let mut soft = vec![0f32; llr.len()];
        let stats = dec.decode_batch_soft(&llr, &mut soft).expect("OSD gives soft output");
        assert_eq!((stats.frames, stats.valid_codewords), (frames as u64, frames as u64));
        for (l, s) in llr.chunks_exact(6).zip(soft.chunks_exact(6)) {
            for (j, (&got, want)) in s.iter().zip(brute_force_max_log(&code, l)).enumerate() {
                assert!(
                    (got as f64 - want).abs() < 1e-4 || (want.abs() < 1e-4 && got.abs() <= 1e-4),
                    "bit {j} of {l:?}: soft OSD {got}, max-log APP {want}"
                );
            }
        }
    }
}

/// With k = 16 > 3, OSD-3's candidates are part of the codebook: its competitor for each bit can
/// only be worse than the best one, so |L| never falls below the max-log APP where the decision is
/// ML, and it equals it on almost every bit (each bit's nearest competitor is usually a few flips
/// away on the MRB).
#[test]
fn soft_output_bounds_the_max_log_app_from_above_on_bch_31_16() {
    let code = load("BCH_N31_K16.txt");
    let n = code.n();
    let dec = OsdDecoder::new(&code, 3);
    let frames = 40;
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let mut llr = vec![0f32; frames * n];
    awgn::fill_llrs(&mut rng, awgn::sigma(2.0, code.rate()), &mut llr);
    let mut soft = vec![0f32; llr.len()];
    dec.decode_batch_soft(&llr, &mut soft).unwrap();
    let (mut bits, mut equal) = (0, 0);
    for (l, s) in llr.chunks_exact(n).zip(soft.chunks_exact(n)) {
        let exact = brute_force_max_log(&code, l);
        let decision: Vec<u8> = s.iter().map(|&x| (x < 0.0) as u8).collect();
        let ml: Vec<u8> = exact.iter().map(|&x| (x < 0.0) as u8).collect();
        if decision != ml {
            continue;
        }
        for (&got, want) in s.iter().zip(exact) {
            assert!(got.abs() as f64 >= want.abs() - 1e-3, "soft OSD {got} below the max-log APP {want}");
            bits += 1;
            equal += ((got.abs() as f64 - want.abs()).abs() < 1e-3) as usize;
        }
    }
    eprintln!("OSD-3 soft output equal to the max-log APP on {equal} of {bits} bits of ML frames");
    assert!(bits >= n * frames * 9 / 10, "OSD-3 is ML on most frames: {bits} bits");
    assert!(equal >= bits * 9 / 10, "{equal} of {bits}");
}

/// The soft output's signs are exactly the hard pass's decisions (same candidate, ties included),
/// on noise and on garbage, and every magnitude is finite and positive.
#[test]
fn soft_output_signs_are_the_hard_decisions() {
    for file in ["LDPC_N49_K24.alist", "BCH_N31_K16.txt"] {
        let code = load(file);
        let n = code.n();
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let mut llr = vec![0f32; 300 * n];
        awgn::fill_llrs(&mut rng, awgn::sigma(1.0, code.rate()), &mut llr);
        llr.extend(std::iter::repeat_n(0.0, n));
        llr.extend((0..n).map(|i| [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1e30, -1e-30][i % 7]));
        llr.extend((0..n).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }));
        for order in 0..=3 {
            let dec = OsdDecoder::new(&code, order);
            let mut hard = vec![0u8; llr.len()];
            dec.decode_batch(&llr, &mut hard);
            let mut soft = vec![0f32; llr.len()];
            dec.decode_batch_soft(&llr, &mut soft).unwrap();
            for (i, (&s, &h)) in soft.iter().zip(&hard).enumerate() {
                assert!(s.is_finite() && s != 0.0, "{file} OSD-{order} bit {i}: {s}");
                assert_eq!((s < 0.0) as u8, h, "{file} OSD-{order} bit {i}");
            }
        }
    }
}

/// k = n: every word is a codeword, so the nearest competitor of each bit flips it alone and the
/// soft output is the channel's LLR. k = 0: the zero word, positive everywhere.
#[test]
fn soft_output_of_degenerate_codes() {
    use codes::SparseH;
    let full = Arc::new(LdpcCode::from_sparse(SparseH { n: 5, checks: vec![] }, "k5").unwrap());
    let llr = [-1.0, 3.0, -0.5, 2.5, 0.25];
    let mut soft = [0f32; 5];
    OsdDecoder::new(&full, 1).decode_batch_soft(&llr, &mut soft).unwrap();
    assert_eq!(soft, llr);
    let zero =
        Arc::new(LdpcCode::from_sparse(SparseH { n: 3, checks: vec![vec![0], vec![1], vec![2]] }, "k0").unwrap());
    let mut soft = [0f32; 3];
    OsdDecoder::new(&zero, 2).decode_batch_soft(&[-1.0, f32::NAN, 2.0], &mut soft).unwrap();
    assert!(soft.iter().all(|&s| s > 0.0), "{soft:?}");
}

/// `Decoder::list_frame`, the codeword list a list receiver picks from: on noisy frames of
/// LDPC(49,24) and BCH(63,36) (Eb/N0 1 and 3 dB, OSD-1 to OSD-3, lists of 2, 4 and 12) it is the
/// `max` least-discrepancy codewords of the independent candidate list `awgn::osd_candidates`,
/// best first, distinct, and its first is the decoder's decision. Frames whose least reliable
/// n − k bits are nearly erased make a candidate's discrepancy almost its MRB flips' cost, so they
/// guard the listing's cut-off at its last entry: with the cut-off at 0.8 of it, this fails.
#[test]
fn the_codeword_list_is_the_best_of_osds_candidates() {
    for (file, orders) in [("LDPC_N49_K24.alist", 1..=2), ("BCH_N63_K36.txt", 1..=3)] {
        let code = load(file);
        let (n, k) = (code.n(), code.k());
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        let frames = 36;
        let mut llr = vec![0f32; frames * n];
        let (noisy, erased) = llr.split_at_mut(frames / 3 * 2 * n);
        let (low, high) = noisy.split_at_mut(frames / 3 * n);
        awgn::fill_llrs(&mut rng, awgn::sigma(1.0, code.rate()), low);
        awgn::fill_llrs(&mut rng, awgn::sigma(3.0, code.rate()), high);
        for frame in erased.chunks_exact_mut(n) {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rng);
            for (i, &j) in order.iter().enumerate() {
                let magnitude = if i < k { rng.random_range(1.0..2.0) } else { rng.random_range(0.0..0.01) };
                frame[j] = if rng.random_bool(0.5) { magnitude } else { -magnitude };
            }
        }
        for (order, max) in orders.flat_map(|o| [2, 4, 12].map(|m| (o, m))) {
            let decoder = OsdDecoder::new(&code, order);
            let mut decision = vec![0u8; n];
            for l in llr.chunks_exact(n) {
                decoder.decode_batch(l, &mut decision);
                let list = decoder.list_frame(l, max).expect("OSD lists its candidates");
                assert_eq!(list.len(), max, "{file} OSD-{order}");
                assert_eq!(list[0].bits, decision, "{file} OSD-{order}: the list starts with the decision");
                assert!(list.windows(2).all(|w| w[0].discrepancy <= w[1].discrepancy));
                let mut words: Vec<&Vec<u8>> = list.iter().map(|c| &c.bits).collect();
                words.sort();
                words.dedup();
                assert_eq!(words.len(), list.len(), "distinct codewords");
                let mut independent: Vec<f64> = awgn::osd_candidates(&code, l, order).iter().map(|(d, _)| *d).collect();
                independent.sort_by(f64::total_cmp);
                for (c, want) in list.iter().zip(&independent) {
                    assert!(code.is_codeword(&c.bits));
                    let d = awgn::discrepancy(&c.bits, l);
                    assert!((d - f64::from(c.discrepancy)).abs() < 1e-3, "{file}: listed D {} is {d}", c.discrepancy);
                    assert!((d - want).abs() < 1e-3, "{file} OSD-{order}: D {d} where the independent list has {want}");
                }
            }
        }
    }
    let code = load("LDPC_N49_K24.alist");
    let hard = codes::HardDecision::new(&code);
    assert!(hard.list_frame(&[1.0; 49], 4).is_none(), "a decoder without candidates lists none");
}
