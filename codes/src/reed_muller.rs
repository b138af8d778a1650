//! First-order Reed–Muller codes RM(1, m): `m + 1` message bits, `2^m` code bits, minimum distance
//! `2^(m−1)` (MacWilliams & Sloane, *The Theory of Error-Correcting Codes*, 1977, ch. 13–14). Bit
//! `i` of the codeword for message `u = (u_0, u_1, …, u_m)` is `u_0 ⊕ ⟨(u_1 … u_m), i⟩`, the
//! affine function of the position's binary digits: the codewords are the rows of a Hadamard matrix
//! of order `2^m` and their complements (a biorthogonal code).
//!
//! **Decoding.** Soft maximum likelihood over all `2^(m+1)` codewords in `m·2^m` additions with
//! the fast Hadamard transform (Green's "Green machine", used for Mariner 9's RM(1, 5) in 1971):
//! the transform of the received BPSK values `y_i` (bit 0 sent as +1) at index `w` is their
//! correlation with the Hadamard row of `w`; the largest magnitude picks `(u_1 … u_m) = w`, its sign
//! `u_0`. On AWGN with equal noise on every value this is ML. (LTE's and NR's (32, K) block code for
//! short control messages extends RM(1, 5)'s six basis sequences with more.)

/// RM(1, m).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReedMuller1 {
    m: u32,
}

impl ReedMuller1 {
    /// RM(1, m) for `1 ≤ m ≤ 16`.
    pub fn new(m: u32) -> Self {
        assert!((1..=16).contains(&m), "RM(1, m) here has 1 ≤ m ≤ 16, not {m}");
        ReedMuller1 { m }
    }

    /// Message bits, `m + 1`.
    pub fn k(&self) -> usize {
        self.m as usize + 1
    }

    /// Code bits, `2^m`.
    pub fn n(&self) -> usize {
        1 << self.m
    }

    /// Minimum Hamming distance, `2^(m−1)`.
    pub fn distance(&self) -> usize {
        self.n() / 2
    }

    /// The codeword of `message` (its low `m + 1` bits: bit 0 is `u_0`, bits 1.. the linear part),
    /// as bits.
    pub fn encode(&self, message: u32) -> Vec<u8> {
        assert!(message < 1 << self.k(), "message {message} has more than {} bits", self.k());
        let (u0, w) = (message & 1, message >> 1);
        (0..self.n() as u32).map(|i| (u0 ^ ((w & i).count_ones() & 1)) as u8).collect()
    }

    /// The codeword of `message` as BPSK values (bit 0 → +1, bit 1 → −1).
    pub fn encode_bpsk(&self, message: u32) -> Vec<f64> {
        self.encode(message).into_iter().map(|b| 1.0 - 2.0 * b as f64).collect()
    }

    /// The message whose BPSK codeword correlates best with `received` (`n()` values, +1 for bit
    /// 0): ML on AWGN. Ties go to the smaller message; non-finite values count as 0, so any input
    /// gives a message.
    pub fn decode_soft(&self, received: &[f64]) -> u32 {
        let c = self.correlations(received);
        (0..c.len()).fold(0, |best, u| if c[u] > c[best] { u } else { best }) as u32
    }

    /// The correlation of `received` with each message's BPSK codeword, by message: on AWGN of
    /// variance `σ²` per value, each message's log-likelihood is its correlation over `σ²` plus a
    /// constant (all codewords have the same energy). Non-finite values count as 0.
    pub fn correlations(&self, received: &[f64]) -> Vec<f64> {
        assert_eq!(received.len(), self.n(), "RM(1, {}) takes {} values", self.m, self.n());
        let mut t: Vec<f64> = received.iter().map(|&y| if y.is_finite() { y } else { 0.0 }).collect();
        fast_hadamard(&mut t);
        // Message (w, u_0) is the Hadamard row of w, negated for u_0 = 1.
        t.iter().flat_map(|&v| [v, -v]).collect()
    }
}

/// In-place unnormalised Walsh–Hadamard transform, natural (Sylvester) order: `t[w] = Σ_i
/// (−1)^⟨w, i⟩·x[i]`. The length must be a power of two.
pub fn fast_hadamard(x: &mut [f64]) {
    let n = x.len();
    assert!(n.is_power_of_two(), "a Hadamard transform of {n} values");
    let mut h = 1;
    while h < n {
        for block in x.chunks_exact_mut(2 * h) {
            let (a, b) = block.split_at_mut(h);
            for (p, q) in a.iter_mut().zip(b) {
                (*p, *q) = (*p + *q, *p - *q);
            }
        }
        h *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of distinct codewords is at distance 2^(m−1) or 2^m (complements).
    #[test]
    fn the_code_is_biorthogonal() {
        let code = ReedMuller1::new(5);
        let words: Vec<Vec<u8>> = (0..64).map(|u| code.encode(u)).collect();
        for a in 0..64 {
            for b in a + 1..64 {
                let d = words[a].iter().zip(&words[b]).filter(|(x, y)| x != y).count();
                assert!(d == 16 || (d == 32 && a ^ b == 1), "{a} {b}: {d}");
            }
        }
        assert_eq!(code.distance(), 16);
    }

    /// Decoding by the transform equals brute-force correlation with all 64 codewords, and every
    /// pattern of up to 7 bit errors is corrected.
    #[test]
    fn fast_decoding_is_maximum_likelihood() {
        let code = ReedMuller1::new(5);
        let words: Vec<Vec<f64>> = (0..64).map(|u| code.encode_bpsk(u)).collect();
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for trial in 0..2000 {
            let sent = (trial % 64) as u32;
            let y: Vec<f64> = words[sent as usize].iter().map(|&x| x + 3.0 * (next() - 0.5)).collect();
            let brute = (0..64u32)
                .max_by(|&a, &b| {
                    let ca: f64 = words[a as usize].iter().zip(&y).map(|(w, v)| w * v).sum();
                    let cb: f64 = words[b as usize].iter().zip(&y).map(|(w, v)| w * v).sum();
                    ca.total_cmp(&cb)
                })
                .unwrap();
            assert_eq!(code.decode_soft(&y), brute, "trial {trial}");
            let correlations = code.correlations(&y);
            for (u, word) in words.iter().enumerate() {
                let direct: f64 = word.iter().zip(&y).map(|(w, v)| w * v).sum();
                assert!((correlations[u] - direct).abs() < 1e-9, "trial {trial}, message {u}");
            }
            // Hard errors: flip 7 positions.
            let mut hard = words[sent as usize].clone();
            for e in 0..7 {
                hard[(trial * 5 + e * 4) % 32] *= -1.0;
            }
            assert_eq!(code.decode_soft(&hard), sent, "trial {trial}");
        }
        assert_eq!(code.decode_soft(&[f64::NAN; 32]), 0);
    }
}
