//! 5G NR polar codes: the TS 38.212 tables (reliability sequence, sub-block interleaver, CRCs),
//! code construction and rate matching, SC / CA-SCL decoding (noiseless round trips, SC = SCL-1,
//! garbage input), and BLER on BPSK/AWGN against a published AFF3CT curve and the finite-length
//! bounds of `channels::limits`.
use channels::limits::{ebn0_db, sphere_packing_bler};
use codes::polar::sequence::NR_RELIABILITY;
use codes::polar::{
    coded_bit_interleaver, mother_length, polar_transform, subblock_interleaver, Crc, PolarCode, PolarDecoder,
    RateMatching,
};
use codes::Decoder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::sync::Arc;

#[path = "support/awgn.rs"]
mod awgn;

fn code(a: usize, e: usize, crc: Crc) -> Arc<PolarCode> {
    Arc::new(PolarCode::nr(a, e, crc).unwrap_or_else(|err| panic!("A={a} E={e} {crc}: {err}")))
}

/// Frame errors of `dec` over `frames` random payloads at `ebn0` dB (Eb/N0 per payload bit,
/// R = A/E), BPSK, LLR = 2y/σ².
fn frame_errors(dec: &PolarDecoder, ebn0: f64, frames: usize, seed: u64) -> usize {
    let a = dec.code().a();
    let (payload, llr) = awgn::polar_frames(dec.code(), ebn0, frames, seed);
    let mut out = vec![0u8; frames * a];
    dec.decode_info_batch(&llr, &mut out);
    payload.chunks(a).zip(out.chunks(a)).filter(|(p, o)| p != o).count()
}

#[test]
fn reliability_sequence_is_the_ts_38212_table() {
    let mut seen = [false; 1024];
    for &q in &NR_RELIABILITY {
        assert!(!seen[q as usize], "Q repeats {q}");
        seen[q as usize] = true;
    }
    // TS 38.212 Table 5.3.1.2-1: Q_0..Q_15, and a few entries further on.
    assert_eq!(NR_RELIABILITY[..16], [0, 1, 2, 4, 8, 16, 32, 3, 5, 64, 9, 6, 17, 10, 18, 128]);
    for (i, q) in [(27, 512), (125, 768), (160, 31), (327, 63), (582, 127), (830, 255), (984, 511), (1023, 1023)] {
        assert_eq!(NR_RELIABILITY[i], q, "Q_{i}");
    }
    assert_eq!(NR_RELIABILITY[1016..], [991, 1020, 1007, 1015, 1019, 1021, 1022, 1023]);
}

#[test]
fn crc_check_values() {
    let bits: Vec<u8> = b"123456789".iter().flat_map(|&c| (0..8).rev().map(move |i| (c >> i) & 1)).collect();
    // reveng catalogue: CRC-24/LTE-A, CRC-24/LTE-B, CRC-16/XMODEM (all init 0, no reflection, no xorout).
    assert_eq!(Crc::new(24, 0x86_4CFB).remainder(&bits), 0xCD_E703);
    assert_eq!(Crc::new(24, 0x80_0063).remainder(&bits), 0x23_EF52);
    assert_eq!(Crc::new(16, 0x1021).remainder(&bits), 0x31C3);
    assert_eq!(Crc::CRC16.remainder(&bits), 0x31C3);
    // CRC++ `CRC_24_NRC` check value (TS 38.212 gCRC24C).
    assert_eq!(Crc::CRC24C.remainder(&bits), 0xF4_8279);
    // gCRC11 = D^11 + D^10 + D^9 + D^5 + 1 and gCRC6 = D^6 + D^5 + 1 from their exponents.
    let poly = |exps: &[u32]| exps.iter().fold(0u32, |p, &e| p | 1 << e);
    assert_eq!(Crc::CRC11.poly, poly(&[10, 9, 5, 0]));
    assert_eq!(Crc::CRC6.poly, poly(&[5, 0]));
    assert_eq!(Crc::CRC24C.poly, poly(&[23, 21, 20, 17, 15, 13, 12, 8, 4, 2, 1, 0]));
    // Regression value of our CRC-11 over the same bits (no published check value found).
    assert_eq!(Crc::CRC11.remainder(&bits), 0x5CA);
}

#[test]
fn crc_appended_word_checks_and_detects_bursts() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for crc in [Crc::CRC6, Crc::CRC11, Crc::CRC24C] {
        for a in [1usize, 20, 64, 117] {
            let mut w: Vec<u8> = (0..a).map(|_| rng.random_range(0..2u8)).collect();
            let mut p = vec![0u8; crc.len()];
            crc.parity_into(&w, &mut p);
            w.extend_from_slice(&p);
            assert!(crc.check(&w));
            // Every burst of length ≤ L is detected.
            for start in 0..w.len() {
                for len in 1..=crc.len().min(w.len() - start) {
                    let mut v = w.clone();
                    v[start] ^= 1;
                    if len > 1 {
                        v[start + len - 1] ^= 1;
                    }
                    assert!(!crc.check(&v), "{crc}: burst at {start} of length {len} undetected");
                }
            }
        }
    }
    assert!(Crc::NONE.check(&[1, 0, 1]));
    assert!(!Crc::CRC11.check(&[0; 5]), "a word shorter than the CRC fails");
    for c in [Crc::NONE, Crc::CRC6, Crc::CRC11, Crc::CRC16, Crc::CRC24C] {
        assert_eq!(c.name().parse::<Crc>().unwrap(), c);
    }
}

#[test]
fn mother_length_and_rate_matching_follow_ts_38212() {
    // (K incl. CRC, E) → N by §5.3.1 (n_max = 10, n_min = 5, R_min = 1/8).
    for (k, e, n) in [
        (75, 128, 128),
        (64, 128, 128),
        (139, 284, 256), // E ≤ 9/8·256 and K/E < 9/16: N = 256, E > N → repetition
        (170, 284, 512), // K/E ≥ 9/16: N = 512
        (20, 1000, 256), // n2 = ⌈log2(8·20)⌉ = 8 caps N
        (30, 40, 64),
        (12, 20, 32),      // n_min
        (600, 2000, 1024), // n_max
    ] {
        assert_eq!(mother_length(k, e), n, "K={k} E={e}");
    }
    let mode = |a, e, crc| PolarCode::nr(a, e, crc).unwrap().rate_matching();
    assert_eq!(mode(64 - 11, 128, Crc::CRC11), RateMatching::None);
    assert_eq!(mode(128, 284, Crc::CRC11), RateMatching::Repetition);
    assert_eq!(mode(20, 100, Crc::CRC11), RateMatching::Puncturing); // 31/100 ≤ 7/16
    assert_eq!(mode(60, 100, Crc::CRC11), RateMatching::Shortening);
    assert!(PolarCode::nr(0, 64, Crc::CRC11).is_err());
    assert!(PolarCode::nr(60, 64, Crc::CRC11).is_err(), "K = 71 > E = 64");
    assert!(PolarCode::nr(10, 9000, Crc::NONE).is_err(), "E > 8192");
}

#[test]
fn subblock_interleaver_is_a_permutation_built_from_table_5411() {
    let p32 = subblock_interleaver(32);
    let expect = [
        0, 1, 2, 4, 3, 5, 6, 7, 8, 16, 9, 17, 10, 18, 11, 19, 12, 20, 13, 21, 14, 22, 15, 23, 24, 25, 26, 28, 27, 29,
        30, 31,
    ];
    assert_eq!(p32.iter().map(|&j| j as usize).collect::<Vec<_>>(), expect);
    for n in [64usize, 128, 256, 512, 1024] {
        let j = subblock_interleaver(n);
        let mut s: Vec<usize> = j.iter().map(|&x| x as usize).collect();
        s.sort_unstable();
        assert!(s.iter().copied().eq(0..n), "N = {n}");
        // Blocks of N/32 consecutive indices move together.
        assert_eq!(j[n / 32 * 3] as usize, 4 * n / 32);
    }
}

/// §5.4.1.3 by hand: E = 10 fills a triangle of T = 4 rows (e0 e1 e2 e3 / e4 e5 e6 / e7 e8 / e9)
/// read column by column; E = 8 leaves the last two places empty.
#[test]
fn coded_bit_interleaver_reads_the_triangle_by_columns() {
    let order = |e| coded_bit_interleaver(e).iter().map(|&k| k as usize).collect::<Vec<_>>();
    assert_eq!(order(10), [0, 4, 7, 9, 1, 5, 8, 2, 6, 3]);
    assert_eq!(order(8), [0, 4, 7, 1, 5, 2, 6, 3]);
    assert_eq!(order(1), [0]);
    for e in [2usize, 3, 31, 100, 283, 1024, 8192] {
        let p = order(e);
        let mut s = p.clone();
        s.sort_unstable();
        assert!(s.iter().copied().eq(0..e), "E = {e}");
    }
    // What it is for: 49 bits in a row of bit selection's output (one fading block's worth without
    // it) are sent across at least 4 blocks of 49 (of 6 for E = 283).
    for e in [283usize, 1024, 8192] {
        let mut sent_at = vec![0; e];
        for (k, i) in order(e).into_iter().enumerate() {
            sent_at[i] = k;
        }
        let fewest = (0..=e - 49)
            .map(|s| {
                let mut blocks: Vec<usize> = (s..s + 49).map(|i| sent_at[i] / 49).collect();
                blocks.sort_unstable();
                blocks.dedup();
                blocks.len()
            })
            .min()
            .unwrap();
        assert!(fewest >= 4, "E = {e}: a stretch of 49 bits meets only {fewest} blocks");
    }
}

/// With I_BIL = 1 the code sends the same bits in the interleaver's order, in every rate-matching
/// mode, and decodes the same: given LLRs in the order sent, it decides exactly what the plain
/// code decides on those LLRs put back in bit-selection order (noisy frames included).
#[test]
fn coded_bit_interleaving_only_reorders_what_is_sent() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut modes = std::collections::HashSet::new();
    for (a, e) in [(40usize, 64usize), (117, 283), (20, 200), (100, 150), (64, 100), (300, 700)] {
        let plain = code(a, e, Crc::CRC11);
        let spread = Arc::new(PolarCode::nr(a, e, Crc::CRC11).unwrap().with_coded_bit_interleaving());
        assert!(spread.interleaves_coded_bits() && !plain.interleaves_coded_bits());
        assert!(spread.name().ends_with(", I_BIL)"), "{}", spread.name());
        assert_eq!((spread.frozen(), spread.rate_matching()), (plain.frozen(), plain.rate_matching()));
        modes.insert(format!("{:?}", plain.rate_matching()));
        let p = coded_bit_interleaver(e);
        let frames = 40;
        let payload: Vec<u8> = (0..frames * a).map(|_| rng.random_range(0..2u8)).collect();
        let (mut e_bits, mut f_bits) = (vec![0u8; frames * e], vec![0u8; frames * e]);
        plain.encode_batch(&payload, &mut e_bits);
        spread.encode_batch(&payload, &mut f_bits);
        for (eb, fb) in e_bits.chunks(e).zip(f_bits.chunks(e)) {
            assert!(p.iter().zip(fb).all(|(&i, &f)| eb[i as usize] == f), "{}", spread.name());
        }
        // BPSK at Eb/N0 1 dB, where some frames fail and some do not.
        let esn0 = 10f64.powf(0.1) * a as f64 / e as f64;
        let sigma = (0.5 / esn0).sqrt() as f32;
        let f_llr: Vec<f32> = f_bits
            .iter()
            .map(|&b| {
                let n: f32 = StandardNormal.sample(&mut rng);
                2.0 * (1.0 - 2.0 * b as f32 + sigma * n) / (sigma * sigma)
            })
            .collect();
        let mut e_llr = vec![0f32; frames * e];
        for (el, fl) in e_llr.chunks_mut(e).zip(f_llr.chunks(e)) {
            for (&i, &l) in p.iter().zip(fl) {
                el[i as usize] = l;
            }
        }
        let (mut from_plain, mut from_spread) = (vec![0u8; frames * a], vec![0u8; frames * a]);
        for l in [1, 8] {
            PolarDecoder::scl(plain.clone(), l).decode_info_batch(&e_llr, &mut from_plain);
            PolarDecoder::scl(spread.clone(), l).decode_info_batch(&f_llr, &mut from_spread);
            assert_eq!(from_plain, from_spread, "{} SCL-{l}", spread.name());
        }
        let wrong = payload.chunks(a).zip(from_plain.chunks(a)).filter(|(x, y)| x != y).count();
        eprintln!("{}: {wrong} of {frames} frames wrong", plain.name());
        assert!(0 < wrong && wrong < frames, "{}: {wrong} of {frames} frames wrong", plain.name());
    }
    for m in ["None", "Repetition", "Puncturing", "Shortening"] {
        assert!(modes.contains(m), "no case with {m}: {modes:?}");
    }
}

/// Shortened bits must be zero on every codeword (the frozen set guarantees it), punctured and
/// shortened u positions are frozen, and K bit channels carry information.
#[test]
fn construction_freezes_what_rate_matching_removes() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for (a, e, crc) in [
        (60, 100, Crc::CRC11),
        (100, 180, Crc::CRC11),
        (20, 100, Crc::CRC11),
        (200, 300, Crc::CRC24C),
        (500, 700, Crc::CRC11),
    ] {
        let c = code(a, e, crc);
        let n = c.n();
        assert_eq!(c.info_positions().len(), a + crc.len());
        assert_eq!(c.frozen().iter().filter(|&&f| !f).count(), a + crc.len());
        let j = c.interleaver();
        let removed: Vec<usize> = match c.rate_matching() {
            RateMatching::Shortening => (e..n).map(|t| j[t] as usize).collect(),
            RateMatching::Puncturing => (0..n - e).map(|t| j[t] as usize).collect(),
            _ => vec![],
        };
        assert!(!removed.is_empty(), "A={a} E={e}");
        for &q in &removed {
            assert!(c.frozen()[q], "A={a} E={e}: removed position {q} must be frozen");
        }
        if c.rate_matching() == RateMatching::Shortening {
            let mut u = vec![0u8; n];
            for _ in 0..50 {
                let info: Vec<u8> = (0..c.k()).map(|_| rng.random_range(0..2u8)).collect();
                c.place(&info, &mut u);
                polar_transform(&mut u);
                for &q in &removed {
                    assert_eq!(u[q], 0, "A={a} E={e}: shortened bit x_{q} is not zero");
                }
            }
        }
    }
}

#[test]
fn polar_transform_is_its_own_inverse_and_matches_the_kronecker_power() {
    // G_8 = F^{⊗3}: row i has a 1 in column j iff j ⊆ i (bitwise).
    for i in 0..8 {
        let mut u = vec![0u8; 8];
        u[i] = 1;
        polar_transform(&mut u);
        for (j, &x) in u.iter().enumerate() {
            assert_eq!(x, ((j & i) == j) as u8, "G_8[{i}][{j}]");
        }
        polar_transform(&mut u);
        assert!(u.iter().enumerate().all(|(j, &x)| x == (j == i) as u8));
    }
}

fn all_decoders(c: &Arc<PolarCode>) -> Vec<PolarDecoder> {
    let mut v = vec![PolarDecoder::sc(c.clone())];
    for l in [1, 2, 4, 8, 16, 32] {
        v.push(PolarDecoder::scl(c.clone(), l));
    }
    v
}

#[test]
fn noiseless_round_trip_for_many_lengths() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut cases = vec![];
    for e in [32usize, 48, 64, 100, 128, 200, 284, 300, 512, 700, 1024, 1500] {
        for a in [1usize, 8, 20, 40, 64, 117, 128, 300, 600] {
            for crc in [Crc::NONE, Crc::CRC11, Crc::CRC24C] {
                if a + crc.len() <= e && PolarCode::nr(a, e, crc).is_ok() {
                    cases.push((a, e, crc));
                }
            }
        }
    }
    assert!(cases.len() > 100, "{} cases", cases.len());
    let mut modes = std::collections::HashSet::new();
    for (a, e, crc) in cases {
        let c = code(a, e, crc);
        modes.insert(format!("{:?}", c.rate_matching()));
        let frames = 3;
        let payload: Vec<u8> = (0..frames * a).map(|_| rng.random_range(0..2u8)).collect();
        let mut cw = vec![0u8; frames * e];
        c.encode_batch(&payload, &mut cw);
        // Unit-magnitude LLRs: no noise, but nothing saturates either.
        let llr: Vec<f32> = cw.iter().map(|&b| if b == 0 { 1.0 } else { -1.0 }).collect();
        for dec in all_decoders(&c) {
            if e > 600 && matches!(dec.algorithm(), codes::polar::PolarAlgorithm::Scl { list } if list > 8) {
                continue; // keeps the test fast; long codes are covered by L ≤ 8
            }
            let mut out = vec![0u8; frames * a];
            let st = dec.decode_info_batch(&llr, &mut out);
            assert_eq!(out, payload, "{} {}", c.name(), dec.name());
            assert_eq!(st.frames, frames as u64);
            assert_eq!(st.valid_codewords, frames as u64);
            let mut re = vec![0u8; frames * e];
            dec.decode_batch(&llr, &mut re);
            assert_eq!(re, cw, "{} {}: re-encoded codeword", c.name(), dec.name());
        }
    }
    for m in ["None", "Repetition", "Puncturing", "Shortening"] {
        assert!(modes.contains(m), "no case with {m}");
    }
}

/// SC and CA-SCL with L = 1 make the same decisions, bit for bit, on noisy frames (they share f/g
/// but are separate implementations: recursive vs. leaf-indexed with path bookkeeping).
#[test]
fn sc_equals_scl_with_list_one() {
    for (a, e, crc, ebn0) in [
        (53, 128, Crc::CRC11, 1.0),
        (64, 128, Crc::CRC11, 2.5),
        (20, 100, Crc::CRC11, 0.0),
        (117, 284, Crc::CRC11, 1.5),
        (300, 700, Crc::CRC24C, 2.0),
    ] {
        let c = code(a, e, crc);
        let frames = 300;
        let sigma = 1.0 / (2.0 * c.rate() * 10f64.powf(ebn0 / 10.0)).sqrt();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let llr: Vec<f32> = (0..frames * e)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                (2.0 * (1.0 + sigma * z) / (sigma * sigma)) as f32
            })
            .collect();
        let (mut o1, mut o2) = (vec![0u8; frames * a], vec![0u8; frames * a]);
        let s1 = PolarDecoder::sc(c.clone()).decode_info_batch(&llr, &mut o1);
        let s2 = PolarDecoder::scl(c.clone(), 1).decode_info_batch(&llr, &mut o2);
        assert_eq!(o1, o2, "{}", c.name());
        assert_eq!(s1, s2);
        assert!(o1.iter().any(|&b| b == 1), "{}: noisy enough to make errors", c.name());
    }
}

#[test]
fn garbage_llrs_never_panic() {
    let c = code(40, 100, Crc::CRC11);
    let e = c.e();
    let mut inputs: Vec<Vec<f32>> = vec![
        vec![0.0; e],
        vec![f32::NAN; e],
        vec![f32::INFINITY; e],
        vec![f32::NEG_INFINITY; e],
        vec![f32::MAX; e],
        vec![-f32::MAX; e],
        vec![1e-30; e],
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, f32::MAX, f32::MIN, 1e30, -1e-30];
    for _ in 0..20 {
        inputs.push((0..e).map(|_| specials[rng.random_range(0..specials.len())]).collect());
    }
    // With and without the coded-bit interleaver (its rate recovery is the same code path).
    let spread = Arc::new(PolarCode::nr(40, 100, Crc::CRC11).unwrap().with_coded_bit_interleaving());
    for dec in all_decoders(&c).into_iter().chain(all_decoders(&spread)) {
        for llr in &inputs {
            let mut out = vec![7u8; c.a()];
            let st = dec.decode_info_batch(llr, &mut out);
            assert_eq!(st.frames, 1);
            assert!(out.iter().all(|&b| b <= 1));
            let mut cw = vec![7u8; e];
            dec.decode_batch(llr, &mut cw);
            assert!(cw.iter().all(|&b| b <= 1));
        }
    }
    // All-zero LLRs decode to the all-zero payload (ties go to bit 0), which passes the CRC.
    let mut out = vec![1u8; c.a()];
    let st = PolarDecoder::scl(c.clone(), 8).decode_info_batch(&vec![0.0; e], &mut out);
    assert!(out.iter().all(|&b| b == 0));
    assert_eq!(st.valid_codewords, 1);
}

/// Published curve: AFF3CT `error_rate_references/POLAR/AWGN/BPSK/SC/Polar_N1024_K512_SC_5G_intra_p32.txt`
/// (polar (1024,512), 5G frozen bits, SC, BPSK/AWGN): FER 1.02e-1 at Eb/N0 2.0 dB (13 400 frames,
/// 1371 errors) and 1.57e-2 at 2.5 dB (31 983 frames, 501 errors). Our SC on the same code (A = 512,
/// no CRC, E = N = 1024). Tolerances: ±25 % at 2.0 dB (306 expected errors, σ ≈ 17 → ~4σ)
/// and ±40 % at 2.5 dB (94 expected errors, σ ≈ 10 → ~4σ).
#[test]
fn sc_matches_the_aff3ct_5g_reference_curve() {
    let c = code(512, 1024, Crc::NONE);
    assert_eq!(c.n(), 1024);
    let dec = PolarDecoder::sc(c);
    for (ebn0, frames, published, tol) in [(2.0, 3000, 1.02e-1, 0.25), (2.5, 6000, 1.57e-2, 0.4)] {
        let fe = frame_errors(&dec, ebn0, frames, 10);
        let fer = fe as f64 / frames as f64;
        assert!(
            (fer / published - 1.0).abs() < tol,
            "{ebn0} dB: FER {fer:.3e} ({fe}/{frames}) vs AFF3CT {published:.2e}"
        );
    }
}

/// (E = 128, A = 64, CRC-11; K = 75, N = 128): CA-SCL-8 makes far fewer frame errors than SC on the
/// same frames, a larger list never does much worse, and no decoder beats the sphere-packing bound
/// (SP59) for any (128, 64) code.
#[test]
fn list_decoding_beats_sc_and_respects_the_sphere_packing_bound() {
    let c = code(64, 128, Crc::CRC11);
    let frames = 3000;
    let ebn0 = 2.0;
    let sc = frame_errors(&PolarDecoder::sc(c.clone()), ebn0, frames, 20);
    let l2 = frame_errors(&PolarDecoder::scl(c.clone(), 2), ebn0, frames, 20);
    let l8 = frame_errors(&PolarDecoder::scl(c.clone(), 8), ebn0, frames, 20);
    let l32 = frame_errors(&PolarDecoder::scl(c.clone(), 32), ebn0, frames, 20);
    eprintln!("(128,64) at {ebn0} dB over {frames} frames: SC {sc}, CA-SCL-2 {l2}, CA-SCL-8 {l8}, CA-SCL-32 {l32}");
    assert!(3 * l8 < sc, "CA-SCL-8 {l8} vs SC {sc}");
    assert!(l8 < l2 && l2 < sc);
    assert!(l32 <= l8 + 10);
    let esn0 = ebn0 - ebn0_db(0.0, 128, 64);
    let sp = sphere_packing_bler(128, 64, esn0);
    // The measured BLER may only fall below SP59 by Monte-Carlo noise: with the bound's expected
    // count λ = sp·frames, seeing fewer than λ/4 errors has probability < 1e-3 once λ ≥ 16.
    let lambda = sp * frames as f64;
    assert!(lambda >= 5.0, "bound too small to test at this length: λ = {lambda}");
    assert!(l32 as f64 >= lambda / 4.0, "CA-SCL-32 {l32} errors beat SP59's {lambda:.1}");
}

/// With a list at least 2^K long nothing is ever pruned, and with min-sum f and the |λ| path
/// metric a complete path's metric is the correlation discrepancy Σ_{x_j ≠ hard(y_j)} |y_j| of its
/// codeword, so CA-SCL (no CRC) is maximum likelihood: compare with brute force over all 2^K
/// codewords of (E = 32, A = 6) and (E = 64, A = 5, punctured to E = 40).
#[test]
fn exhaustive_list_is_maximum_likelihood() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for (a, e) in [(6usize, 32usize), (5, 40), (6, 64)] {
        let c = code(a, e, Crc::NONE);
        let dec = PolarDecoder::scl(c.clone(), 64);
        let book: Vec<Vec<u8>> = (0..1u32 << a)
            .map(|m| {
                let p: Vec<u8> = (0..a).map(|i| (m >> i & 1) as u8).collect();
                let mut cw = vec![0u8; e];
                c.encode(&p, &mut cw);
                cw
            })
            .collect();
        let disc = |cw: &[u8], llr: &[f32]| -> f64 {
            cw.iter().zip(llr).filter(|(&b, &l)| b != (l < 0.0) as u8).map(|(_, &l)| l.abs() as f64).sum()
        };
        let mut differ = 0;
        for _ in 0..300 {
            let sent = &book[rng.random_range(0..book.len())];
            let llr: Vec<f32> = sent
                .iter()
                .map(|&b| {
                    let z: f32 = StandardNormal.sample(&mut rng);
                    2.0 * (if b == 0 { 1.0 } else { -1.0 } + 1.2 * z)
                })
                .collect();
            let ml = book.iter().map(|cw| disc(cw, &llr)).fold(f64::INFINITY, f64::min);
            let mut cw = vec![0u8; e];
            dec.decode_batch(&llr, &mut cw);
            let d = disc(&cw, &llr);
            assert!(d >= ml - 1e-3, "beats ML?");
            if d > ml + 1e-3 {
                differ += 1;
            }
        }
        assert_eq!(differ, 0, "A={a} E={e}: {differ} of 300 frames not ML");
    }
}
