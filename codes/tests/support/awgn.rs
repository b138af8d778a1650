//! BPSK over AWGN Monte-Carlo for the accuracy test and the benchmark (ECCT conventions):
//! all-zero codeword, σ = 1/√(2·R·Eb/N0), y = 1 + σ·z, LLR = 2y/σ², BER over all n bits. The
//! near-ML table can also send its frames through one of the project's faded channels
//! ([`fill_llrs_over`]).
#![allow(dead_code)]

use channels::{Bpsk, Channel, Modulation};
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

/// Fills `llr` with the all-zero codeword's channel LLRs after `channel` (frames of `n` bits, one
/// real dimension each), demodulated with the gain the receiver assumes: with perfect CSI,
/// L = 2·g·y/σ², the exact LLR of the faded bit.
pub fn fill_llrs_over(channel: &dyn Channel, n: usize, rng: &mut ChaCha8Rng, sigma: f64, llr: &mut [f32]) {
    let tx = vec![1f32; llr.len()];
    let (mut rx, mut gain) = (vec![0f32; llr.len()], vec![0f32; llr.len()]);
    channel.transmit(&tx, n, 1, sigma as f32, rng, &mut rx, &mut gain);
    Bpsk.demodulate(&rx, &gain, sigma as f32, llr);
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
    /// Of the frame errors, those whose sent codeword is among the order-i OSD candidates
    /// ([`osd_candidates`]; counted only when [`simulate_counting_ml_errors`] is given an order),
    /// those where it is the runner-up (only the decision fits better), and the sum over the
    /// former of how much less likely it is than the best candidate (nats of likelihood ratio).
    pub sent_in_list: u64,
    pub sent_runner_up: u64,
    pub sent_gap_nats: f64,
    /// Over the same frames, for a decoder with soft output: what a list receiver reading it pays
    /// to reach the sent codeword, Σ |posterior| over the bits where it differs from the decision
    /// (summed over frames; [`soft_charge`]), and how many bits those are.
    pub sent_soft_charge_nats: f64,
    pub sent_differing_bits: u64,
    /// The part of that charge on the code's information positions (summed over frames), and
    /// how many of the differing bits lie there.
    pub sent_info_charge_nats: f64,
    pub sent_info_differing_bits: u64,
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
/// strictly below the sent codeword's (for exact LLRs of a memoryless channel, BPSK/AWGN or
/// Rayleigh with perfect CSI, −discrepancy is the log-likelihood up to a constant). ML picks the
/// least discrepancy, so it cannot pick the sent codeword either. Counting these frames gives a
/// Monte-Carlo lower bound on ML's BLER from any decoder's errors; a decoder whose errors are
/// nearly all ML errors is within that margin of ML.
pub fn is_ml_error(code: &LdpcCode, llr: &[f32], decided: &[u8]) -> bool {
    if decided.iter().all(|&b| b == 0) || !code.is_codeword(decided) {
        return false;
    }
    discrepancy(decided, llr) < discrepancy(&vec![0; decided.len()], llr)
}

/// The correlation discrepancy of `bits` from the channel output: Σ |L_j| over the positions where
/// `bits` disagrees with the hard decision. Among codewords, less is more likely (exact LLRs).
pub fn discrepancy(bits: &[u8], llr: &[f32]) -> f64 {
    bits.iter().zip(llr).filter(|(&b, &l)| b != (l < 0.0) as u8).map(|(_, &l)| l.abs() as f64).sum()
}

/// Every candidate of order-`order` ordered-statistics decoding for this channel output, as
/// (correlation discrepancy, codeword), written here independently of `codes::OsdDecoder` to look
/// inside its search: positions sorted by decreasing |L| (ties in position order), the first k
/// linearly independent columns of G in that order are the most reliable basis (MRB), and the
/// candidates are the codewords whose MRB bits differ from the hard decisions in at most `order`
/// places. A codeword is fixed by its MRB bits, so the sent codeword is a candidate exactly when
/// the hard decisions hold at most `order` errors on the MRB.
pub fn osd_candidates(code: &LdpcCode, llr: &[f32], order: usize) -> Vec<(f64, Vec<u8>)> {
    let (n, k) = (code.n(), code.k());
    let g = code.generator();
    let hard: Vec<u8> = llr.iter().map(|&l| (l < 0.0) as u8).collect();
    let mut positions: Vec<usize> = (0..n).collect();
    positions.sort_by(|&a, &b| llr[b].abs().total_cmp(&llr[a].abs()));
    // Gauss–Jordan on G's columns in reliability order: row r ends with a single 1 among the MRB
    // columns, at `mrb[r]`.
    let mut rows: Vec<Vec<u8>> = (0..k).map(|r| (0..n).map(|c| g.get(r, c) as u8).collect()).collect();
    let mut mrb = Vec::with_capacity(k);
    for &c in &positions {
        let r = mrb.len();
        if r == k {
            break;
        }
        let Some(pivot) = (r..k).find(|&i| rows[i][c] == 1) else { continue };
        rows.swap(r, pivot);
        let pivot_row = rows[r].clone();
        for row in rows.iter_mut().enumerate().filter(|&(i, ref row)| i != r && row[c] == 1).map(|(_, row)| row) {
            row.iter_mut().zip(&pivot_row).for_each(|(a, b)| *a ^= b);
        }
        mrb.push(c);
    }
    assert_eq!(mrb.len(), k, "G has rank k");
    // The order-0 candidate re-encodes the hard decisions on the MRB; flipping MRB bit r adds row r.
    let mut base = vec![0u8; n];
    for (r, _) in mrb.iter().enumerate().filter(|&(_, &c)| hard[c] == 1) {
        base.iter_mut().zip(&rows[r]).for_each(|(a, b)| *a ^= b);
    }
    // Every set of at most `order` MRB rows, as increasing row lists.
    let mut flips: Vec<Vec<usize>> = vec![Vec::new()];
    let mut longest: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..order.min(k) {
        longest = longest
            .iter()
            .flat_map(|f| (f.last().map_or(0, |&l| l + 1)..k).map(move |r| [f.as_slice(), &[r]].concat()))
            .collect();
        flips.extend(longest.iter().cloned());
    }
    let mut out = Vec::with_capacity(flips.len());
    for f in flips {
        let mut c = base.clone();
        for &r in &f {
            c.iter_mut().zip(&rows[r]).for_each(|(a, b)| *a ^= b);
        }
        out.push((discrepancy(&c, llr), c));
    }
    out
}

/// Where the sent all-zero codeword stands among the order-`order` OSD candidates: `None` if it
/// is not one, else (how many candidates fit strictly better, its discrepancy above the least).
pub fn sent_among_osd_candidates(code: &LdpcCode, llr: &[f32], order: usize) -> Option<(usize, f64)> {
    let candidates = osd_candidates(code, llr, order);
    let sent = candidates.iter().find(|(_, c)| c.iter().all(|&b| b == 0))?.0;
    let best = candidates.iter().map(|(d, _)| *d).fold(f64::INFINITY, f64::min);
    Some((candidates.iter().filter(|(d, _)| *d < sent).count(), sent - best))
}

/// What a receiver that scores paths by a decoder's soft output pays to reach the sent codeword
/// ([`soft_charge`]): Σ |posterior| over the bits where it differs from the decision, and how many
/// bits those are, in all and on the code's information positions alone. The list receiver pays
/// the information part bit by bit as its search reaches each bit, and the rest (the parity part)
/// only when a block's information bits are complete.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftCharge {
    pub nats: f64,
    pub bits: u64,
    pub info_nats: f64,
    pub info_bits: u64,
}

/// What a receiver that scores paths by `dec`'s soft output (as the list receiver does, Σ |L| over
/// the bits it flips) pays to move from the decision `decided` to the sent all-zero codeword on
/// this frame: `None` for a decoder without soft output. The exact price is the two codewords'
/// likelihood ratio; the per-bit charge can exceed it, since each differing bit pays its own gap to
/// its nearest competitor (up to that ratio each). `info_positions` (ascending) splits the charge.
pub fn soft_charge(dec: &dyn Decoder, llr: &[f32], decided: &[u8], info_positions: &[usize]) -> Option<SoftCharge> {
    let mut posterior = vec![0f32; llr.len()];
    dec.decode_batch_soft(llr, &mut posterior)?;
    assert!(
        decided.iter().zip(&posterior).all(|(&b, &p)| b == (p < 0.0) as u8),
        "the soft output's signs are the hard decisions"
    );
    // The sent all-zero codeword disagrees with the soft output's signs (the decision) exactly
    // where the decision holds a 1: its discrepancy from the soft output is the charge.
    let nats = discrepancy(&vec![0; decided.len()], &posterior);
    let info_decided: Vec<u8> = info_positions.iter().map(|&p| decided[p]).collect();
    let info_posterior: Vec<f32> = info_positions.iter().map(|&p| posterior[p]).collect();
    Some(SoftCharge {
        nats,
        bits: decided.iter().filter(|&&b| b == 1).count() as u64,
        info_nats: discrepancy(&vec![0; info_decided.len()], &info_posterior),
        info_bits: info_decided.iter().filter(|&&b| b == 1).count() as u64,
    })
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
    run(dec, None, None, ebn0_db, rate, seed, target_frame_errors, max_frames)
}

/// [`simulate`], also counting the frames that are [ML errors](is_ml_error) of `code`, and with
/// `osd_order`, where the sent codeword stands among that order's OSD candidates on each frame
/// error ([`sent_among_osd_candidates`]). With `channel`, the frames go through it instead of
/// AWGN ([`fill_llrs_over`]; Eb/N0 is then the mean over the fading).
#[allow(clippy::too_many_arguments)]
pub fn simulate_counting_ml_errors(
    dec: &dyn Decoder,
    code: &LdpcCode,
    osd_order: Option<usize>,
    channel: Option<&dyn Channel>,
    ebn0_db: f64,
    seed: u64,
    target_frame_errors: u64,
    max_frames: u64,
) -> BerPoint {
    run(dec, Some((code, osd_order)), channel, ebn0_db, code.rate(), seed, target_frame_errors, max_frames)
}

#[allow(clippy::too_many_arguments)]
fn run(
    dec: &dyn Decoder,
    code: Option<(&LdpcCode, Option<usize>)>,
    channel: Option<&dyn Channel>,
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
        match channel {
            Some(channel) => fill_llrs_over(channel, n, &mut rng, s, &mut llr),
            None => fill_llrs(&mut rng, s, &mut llr),
        }
        let stats = dec.decode_batch(&llr, &mut bits);
        p.iterations += stats.iterations;
        for (frame, frame_llr) in bits.chunks_exact(n).zip(llr.chunks_exact(n)) {
            let e = frame.iter().map(|&b| b as u64).sum::<u64>();
            p.bit_errors += e;
            p.frame_errors += (e > 0) as u64;
            let Some((code, osd_order)) = code.filter(|_| e > 0) else { continue };
            p.ml_errors += is_ml_error(code, frame_llr, frame) as u64;
            if let Some((better, gap)) = osd_order.and_then(|o| sent_among_osd_candidates(code, frame_llr, o)) {
                p.sent_in_list += 1;
                p.sent_runner_up += (better == 1) as u64;
                p.sent_gap_nats += gap;
                if let Some(charge) = soft_charge(dec, frame_llr, frame, code.info_positions()) {
                    p.sent_soft_charge_nats += charge.nats;
                    p.sent_differing_bits += charge.bits;
                    p.sent_info_charge_nats += charge.info_nats;
                    p.sent_info_differing_bits += charge.info_bits;
                }
            }
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
