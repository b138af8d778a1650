//! BPSK over AWGN Monte-Carlo for the accuracy test and the benchmark (ECCT conventions):
//! all-zero codeword, σ = 1/√(2·R·Eb/N0), y = 1 + σ·z, LLR = 2y/σ², BER over all n bits.
#![allow(dead_code)]

use codes::{Decoder, LdpcCode};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

pub fn sigma(ebn0_db: f64, rate: f64) -> f64 {
    1.0 / (2.0 * rate * 10f64.powf(ebn0_db / 10.0)).sqrt()
}

/// Fills `llr` with all-zero-codeword channel LLRs.
pub fn fill_llrs(rng: &mut ChaCha8Rng, sigma: f64, llr: &mut [f32]) {
    let normal = Normal::new(1.0, sigma).unwrap();
    let scale = 2.0 / (sigma * sigma);
    for l in llr.iter_mut() {
        *l = (scale * normal.sample(rng)) as f32;
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct BerPoint {
    pub frames: u64,
    pub bit_errors: u64,
    pub frame_errors: u64,
    pub iterations: u64,
    pub bits_per_frame: u64,
    /// Frames decided as a codeword other than the sent one that fits the channel output strictly
    /// better (see [`is_ml_error`]); counted only by [`simulate_counting_ml_errors`].
    pub ml_errors: u64,
}

impl BerPoint {
    pub fn ber(&self) -> f64 {
        self.bit_errors as f64 / (self.frames * self.bits_per_frame) as f64
    }
    pub fn neg_ln_ber(&self) -> f64 {
        -self.ber().ln()
    }
    pub fn fer(&self) -> f64 {
        self.frame_errors as f64 / self.frames as f64
    }
}

/// Whether maximum-likelihood decoding fails on this frame for certain: the decision is a codeword
/// of `code`, not the sent all-zero one, and its correlation discrepancy Σ_{c_j ≠ hard_j} |L_j| is
/// strictly below the sent codeword's (on BPSK/AWGN, −discrepancy is the log-likelihood up to a
/// constant). ML picks the least discrepancy, so it cannot pick the sent codeword either. Counting
/// these frames gives a Monte-Carlo lower bound on ML's BLER from any decoder's errors; a
/// decoder whose errors are nearly all ML errors is within that margin of ML.
pub fn is_ml_error(code: &LdpcCode, llr: &[f32], decided: &[u8]) -> bool {
    if decided.iter().all(|&b| b == 0) || !code.is_codeword(decided) {
        return false;
    }
    discrepancy(decided, llr) < discrepancy(&vec![0; decided.len()], llr)
}

/// The correlation discrepancy of `bits` from the channel output: Σ |L_j| over the positions where
/// `bits` disagrees with the hard decision. Among codewords, less is more likely (BPSK/AWGN).
pub fn discrepancy(bits: &[u8], llr: &[f32]) -> f64 {
    bits.iter().zip(llr).filter(|(&b, &l)| b != (l < 0.0) as u8).map(|(_, &l)| l.abs() as f64).sum()
}

/// Decodes batches until `target_frame_errors` frame errors or `max_frames` frames.
pub fn simulate(
    dec: &dyn Decoder,
    ebn0_db: f64,
    rate: f64,
    seed: u64,
    target_frame_errors: u64,
    max_frames: u64,
) -> BerPoint {
    run(dec, None, ebn0_db, rate, seed, target_frame_errors, max_frames)
}

/// [`simulate`], also counting the frames that are [ML errors](is_ml_error) of `code`.
pub fn simulate_counting_ml_errors(
    dec: &dyn Decoder,
    code: &LdpcCode,
    ebn0_db: f64,
    seed: u64,
    target_frame_errors: u64,
    max_frames: u64,
) -> BerPoint {
    run(dec, Some(code), ebn0_db, code.rate(), seed, target_frame_errors, max_frames)
}

fn run(
    dec: &dyn Decoder,
    code: Option<&LdpcCode>,
    ebn0_db: f64,
    rate: f64,
    seed: u64,
    target_frame_errors: u64,
    max_frames: u64,
) -> BerPoint {
    let n = dec.n();
    let batch = 1024;
    let s = sigma(ebn0_db, rate);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut llr = vec![0f32; batch * n];
    let mut bits = vec![0u8; batch * n];
    let mut p = BerPoint { bits_per_frame: n as u64, ..Default::default() };
    while p.frame_errors < target_frame_errors && p.frames < max_frames {
        fill_llrs(&mut rng, s, &mut llr);
        let stats = dec.decode_batch(&llr, &mut bits);
        p.iterations += stats.iterations;
        for (frame, frame_llr) in bits.chunks_exact(n).zip(llr.chunks_exact(n)) {
            let e = frame.iter().map(|&b| b as u64).sum::<u64>();
            p.bit_errors += e;
            p.frame_errors += (e > 0) as u64;
            p.ml_errors += code.is_some_and(|c| e > 0 && is_ml_error(c, frame_llr, frame)) as u64;
        }
        p.frames += batch as u64;
    }
    p
}

/// `frames` random payloads of `code` (A bits each, back to back) and their channel LLRs after
/// BPSK over AWGN at `ebn0_db` (Eb/N0 per payload bit, R = A/E), LLR = 2y/σ².
pub fn polar_frames(code: &codes::polar::PolarCode, ebn0_db: f64, frames: usize, seed: u64) -> (Vec<u8>, Vec<f32>) {
    use rand::Rng;
    let (a, e) = (code.a(), code.e());
    let sigma = sigma(ebn0_db, code.rate());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let payload: Vec<u8> = (0..frames * a).map(|_| rng.random_range(0..2u8)).collect();
    let mut cw = vec![0u8; frames * e];
    code.encode_batch(&payload, &mut cw);
    let noise = Normal::new(0.0, sigma).unwrap();
    let llr = cw
        .iter()
        .map(|&b| {
            let y = if b == 0 { 1.0 } else { -1.0 } + noise.sample(&mut rng);
            (2.0 * y / (sigma * sigma)) as f32
        })
        .collect();
    (payload, llr)
}
