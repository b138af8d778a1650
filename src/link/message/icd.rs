//! In-context decoding (ICD): the language model helps the receiver choose among bit strings the
//! channel decoder thinks likely, after "In-context source and channel coding" (arXiv 2601.10267,
//! code `ZJUNICE/ICD`).
//!
//! For a message whose channel decision fails its code's check, the receiver takes the decoder's
//! posterior LLRs L of the framed bits it reads (length header + the payload the header claims),
//! calls a bit unreliable when its probability p = σ(−L) of being 1 has |p − 0.5| < `unreliable`
//! (0.25: |L| < ln 3), and builds candidates by flipping every subset of at most `max_flips` (5) of
//! the `least_reliable` (10) least reliable of them. Each candidate's path score is the decoder's
//! probability of its bits, ln path = Σ ln σ(±L_i) (the decision itself scores highest). The
//! `candidates` (10) best are decoded by the LM arithmetic decoder; one whose stream does not end
//! where its length header says (`source::Decoded::ends_at`: on the end symbol, with −log2 P_LM
//! within 3 bits of the payload's length), or whose header claims more bits than were sent, is
//! out; of the rest the receiver keeps
//! the highest (1 − w)·ln path + w·ln P_LM, w = `lm_weight` (0.001). With none left it keeps the
//! decision and flags the message.
//!
//! What differs from the reference: its candidates are ranked by mean reliability and a diverse
//! subset is drawn by Metropolis–Hastings (score + 0.09·pairwise Hamming distance); here the
//! `candidates` best by path score are taken, deterministically, so every run and shard agrees.

use crate::scenario::ReceiverConfig;

/// One candidate bit string for a message's framed bits.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The framed bits (header + payload as the candidate reads them).
    pub bits: Vec<u8>,
    /// ln of the decoder's probability of these bits.
    pub ln_path: f64,
}

/// ln σ(x) without overflow.
fn ln_sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// The candidates for framed bits `decided` with posterior LLRs `posterior` (positive: bit 0),
/// best path score first (the decision itself first).
pub fn candidates(decided: &[u8], posterior: &[f32], config: &ReceiverConfig) -> Vec<Candidate> {
    assert_eq!(decided.len(), posterior.len());
    let magnitude: Vec<f64> = posterior.iter().map(|&l| f64::from(l).abs()).collect();
    let base: f64 = magnitude.iter().map(|&m| ln_sigmoid(m)).sum();
    // |p − 0.5| < u  ⇔  |L| < ln((0.5 + u) / (0.5 − u)).
    let threshold = ((0.5 + config.unreliable) / (0.5 - config.unreliable)).ln();
    let mut unreliable: Vec<usize> = (0..decided.len()).filter(|&i| magnitude[i] < threshold).collect();
    unreliable.sort_by(|&a, &b| magnitude[a].total_cmp(&magnitude[b]).then(a.cmp(&b)));
    unreliable.truncate(config.least_reliable);
    let mut scored: Vec<(f64, Vec<usize>)> = Vec::new();
    let mut subset = Vec::new();
    subsets(&unreliable, config.max_flips, 0, &mut subset, &mut |flips| {
        // Flipping bit i trades ln σ(|L|) for ln σ(−|L|).
        let ln_path = base + flips.iter().map(|&i| ln_sigmoid(-magnitude[i]) - ln_sigmoid(magnitude[i])).sum::<f64>();
        scored.push((ln_path, flips.to_vec()));
    });
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.truncate(config.candidates.max(1));
    scored
        .into_iter()
        .map(|(ln_path, flips)| {
            let mut bits = decided.to_vec();
            for i in flips {
                bits[i] ^= 1;
            }
            Candidate { bits, ln_path }
        })
        .collect()
}

/// Calls `visit` with every subset of `items[from..]` of at most `left` more elements, extending
/// `current` (subsets in lexicographic order of positions in `items`, the empty one first).
fn subsets(items: &[usize], left: usize, from: usize, current: &mut Vec<usize>, visit: &mut dyn FnMut(&[usize])) {
    visit(current);
    if left == 0 {
        return;
    }
    for k in from..items.len() {
        current.push(items[k]);
        subsets(items, left - 1, k + 1, current, visit);
        current.pop();
    }
}

/// The candidate the receiver keeps: the highest (1 − w)·ln path + w·ln P_LM among the valid ones
/// (`ln_lm` is `None` for a candidate that is out). `None` when no candidate is valid.
pub fn choose(candidates: &[Candidate], ln_lm: &[Option<f64>], lm_weight: f64) -> Option<usize> {
    candidates
        .iter()
        .zip(ln_lm)
        .enumerate()
        .filter_map(|(i, (c, lm))| lm.map(|lm| (i, (1.0 - lm_weight) * c.ln_path + lm_weight * lm)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_flip_the_least_reliable_bits_best_first() {
        let config = ReceiverConfig { least_reliable: 3, max_flips: 2, candidates: 100, ..Default::default() };
        // Bits 1, 3, 4 are unreliable (|L| < ln 3 ≈ 1.0986), bit 3 least of all; bit 0 is not.
        let decided = [0u8, 1, 0, 0, 1];
        let posterior = [5.0f32, -0.9, 8.0, 0.1, -0.5];
        let c = candidates(&decided, &posterior, &config);
        // Subsets of at most 2 of 3 bits: 1 + 3 + 3.
        assert_eq!(c.len(), 7);
        assert_eq!(c[0].bits, decided, "the decision scores highest");
        assert_eq!(c[1].bits, [0, 1, 0, 1, 1], "then flipping the least reliable bit");
        assert!(c.windows(2).all(|w| w[0].ln_path >= w[1].ln_path));
        // ln path of the decision: Σ ln σ(|L|).
        let want: f64 = posterior.iter().map(|&l| ln_sigmoid(f64::from(l).abs())).sum();
        assert!((c[0].ln_path - want).abs() < 1e-12);
        assert!(c.iter().all(|x| x.bits[0] == 0 && x.bits[2] == 0), "reliable bits are never flipped");
        let few = candidates(&decided, &posterior, &ReceiverConfig { candidates: 2, ..config });
        assert_eq!(few, c[..2]);
    }

    #[test]
    fn the_reference_defaults_give_at_most_638_subsets() {
        let config = ReceiverConfig { candidates: 10_000, ..Default::default() };
        let posterior: Vec<f32> = (0..40).map(|i| 0.05 * i as f32 - 1.0).collect();
        let decided: Vec<u8> = posterior.iter().map(|&l| (l < 0.0) as u8).collect();
        // Σ_{k ≤ 5} C(10, k) = 1 + 10 + 45 + 120 + 210 + 252.
        assert_eq!(candidates(&decided, &posterior, &config).len(), 638);
        assert_eq!(candidates(&decided, &posterior, &ReceiverConfig::default()).len(), 10);
    }

    #[test]
    fn the_choice_drops_invalid_candidates_and_weighs_the_lm() {
        let c = |ln_path| Candidate { bits: vec![], ln_path };
        let cands = [c(-1.0), c(-2.0), c(-3.0)];
        assert_eq!(choose(&cands, &[None, Some(-50.0), Some(-10.0)], 0.001), Some(1));
        assert_eq!(choose(&cands, &[None, Some(-50.0), Some(-10.0)], 0.5), Some(2));
        assert_eq!(choose(&cands, &[None, None, None], 0.001), None);
        assert!((ln_sigmoid(0.0) + std::f64::consts::LN_2).abs() < 1e-15);
        assert!(ln_sigmoid(-800.0).is_finite() && ln_sigmoid(800.0) == 0.0);
    }
}
