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
//! `candidates` (10) best are decoded by the LM arithmetic decoder; one whose stream is not intact
//! (`source::Decoded::intact`: by default it must be exactly the arithmetic code of the message it
//! decodes, termination included; with `framing.end_check = "length-window"`, end on the end
//! symbol with −log2 P_LM within 3 bits of the payload's length), or whose header claims more bits
//! than were sent, is out; of the rest the receiver keeps
//! the highest (1 − w)·ln path + w·ln P_LM, w = `lm_weight` (0.001). With none left it keeps the
//! decision and flags the message.
//!
//! What differs from the reference: its candidates are ranked by mean reliability and a diverse
//! subset is drawn by Metropolis–Hastings (score + 0.09·pairwise Hamming distance); here the
//! `candidates` best by path score are taken, deterministically, so every run and shard agrees.
//!
//! **On a link that checks nothing** (uncoded, or a decoder such as OSD that always decides a
//! codeword) no decision fails a check, so ICD takes the messages whose decoded stream breaks at
//! its end instead, once decoded, and decodes their candidates then. Where the decoder lists its
//! most likely codewords per block (OSD, [`codes::Decoder::list_frame`]) the candidates are not
//! bit flips but [`codeword_candidates`]: the message's blocks each take one codeword of their
//! block's list, ln path = −(sum of the chosen codewords' discrepancy gaps to the decisions), the
//! exact log-likelihood ratio of the choice against the decision (a block is one codeword, not
//! independent bits; flipping bits of OSD's decision gives non-codewords). This is a list decoder
//! whose CRC is the framing and the source decoder, as CRC-aided list decoding of polar codes (Tal
//! & Vardy, "List decoding of polar codes", IEEE Trans. Inf. Theory 61(5), 2015) picks from its
//! list the most likely path whose CRC checks.
//!
//! **Image tiles and audio frames** take the same receiver: a candidate is decoded whole by the
//! modality's source decoder and is valid when it decodes intact, that is, when the tile or frame
//! it gives encodes again to exactly its bits (`link::image::coder`, `link::audio::coder`).
//! Neither coder reports ln P, so the choice is by path score alone. A tile or frame is hundreds of
//! blocks, which is why [`codeword_candidates`] enumerates choices sparsely.

use crate::link::block::ListedBlock;
use crate::scenario::ReceiverConfig;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

/// Most combinations [`codeword_candidates`] draws per candidate it keeps (those whose framing
/// does not fit are skipped), so that a message whose lists hold no fitting choice costs bounded
/// work.
const DRAWS_PER_CANDIDATE: usize = 16;

/// ICD's candidates for a message of `blocks.len()` blocks (header + payload + padding) from each
/// block's codeword list (`blocks[i]`, the decision first, gaps non-decreasing): the choices of
/// one codeword per block other than the decisions, most likely first (least total gap; ties to
/// the earlier choice), keeping only framed bits that `fits` (the framing's own checks), at most
/// `config.candidates` of them, none less likely than the decision by more than
/// `config.max_penalty` nats (when set).
pub fn codeword_candidates(
    blocks: &[Vec<ListedBlock>],
    fits: impl Fn(&[u8]) -> bool,
    config: &ReceiverConfig,
) -> Vec<Candidate> {
    if blocks.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    // Best-first over choices (k best sums of sorted lists; each list's alternatives cost at
    // least its decision). A choice is sparse: (rank, index) pairs, one per block whose index is
    // not 0, where the rank orders the blocks that have alternatives by their first alternative's
    // gap (ties: the later block first). Its successors raise the last ranked entry's index by
    // one, add the next rank at index 1, or, when the last entry's index is 1, move it to the next
    // rank. Each choice has one parent, no successor is more likely than its parent, and on a tie
    // in gap a successor comes later in the order of dense choice vectors, so choices come out in
    // (total gap, dense vector) order; at most three successors per choice keep the heap small
    // on messages of hundreds of blocks (image tiles).
    let mut ranked: Vec<usize> = (0..blocks.len()).filter(|&b| blocks[b].len() > 1).collect();
    ranked.sort_by(|&a, &b| blocks[a][1].gap.total_cmp(&blocks[b][1].gap).then(b.cmp(&a)));
    let node = |entries: Vec<(usize, usize)>| {
        // The total in block order, as a sum over the dense vector gives it.
        let mut dense: Vec<(usize, usize)> = entries.iter().map(|&(r, i)| (ranked[r], i)).collect();
        dense.sort_unstable();
        let gap: f64 = dense.iter().map(|&(b, i)| blocks[b][i].gap).sum();
        Reverse((Ordered(gap), DenseOrder(dense), entries))
    };
    let mut heap = BinaryHeap::new();
    if !ranked.is_empty() {
        heap.push(node(vec![(0, 1)]));
    }
    let (want, mut drawn, mut out) = (config.candidates.max(1), 0, Vec::new());
    let limit = config.max_penalty.unwrap_or(f64::INFINITY);
    while let Some(Reverse((Ordered(gap), DenseOrder(dense), entries))) = heap.pop() {
        if gap > limit {
            break;
        }
        let &(last, index) = entries.last().expect("a choice other than the decision");
        if index + 1 < blocks[ranked[last]].len() {
            let mut next = entries.clone();
            next.last_mut().expect("not empty").1 += 1;
            heap.push(node(next));
        }
        if last + 1 < ranked.len() {
            let mut next = entries.clone();
            next.push((last + 1, 1));
            heap.push(node(next));
            if index == 1 {
                let mut next = entries;
                *next.last_mut().expect("not empty") = (last + 1, 1);
                heap.push(node(next));
            }
        }
        drawn += 1;
        let mut choice = vec![0usize; blocks.len()];
        for (b, i) in dense {
            choice[b] = i;
        }
        let bits: Vec<u8> = blocks.iter().zip(&choice).flat_map(|(b, &i)| b[i].info.iter().copied()).collect();
        if fits(&bits) {
            out.push(Candidate { bits, ln_path: -gap });
            if out.len() == want {
                break;
            }
        }
        if drawn == want * DRAWS_PER_CANDIDATE {
            break;
        }
    }
    out
}

/// A sparse choice, (block, index ≠ 0) by block, ordered as its dense vector of indices is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DenseOrder(Vec<(usize, usize)>);

impl PartialOrd for DenseOrder {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DenseOrder {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        for (&(a, i), &(b, j)) in self.0.iter().zip(&other.0) {
            if a != b {
                // The one whose first non-zero block comes earlier is larger there.
                return b.cmp(&a);
            }
            if i != j {
                return i.cmp(&j);
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

/// An `f64` ordered by `total_cmp`, for the heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ordered(f64);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
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
    fn codeword_candidates_are_choices_of_listed_codewords_most_likely_first() {
        let block = |words: &[(&[u8], f64)]| -> Vec<ListedBlock> {
            words.iter().map(|&(info, gap)| ListedBlock { info: info.to_vec(), gap }).collect()
        };
        let blocks = [
            block(&[(&[0, 0], 0.0), (&[0, 1], 1.0), (&[1, 1], 3.0)]),
            block(&[(&[1, 0], 0.0), (&[1, 1], 0.5)]),
            block(&[(&[0, 0], 0.0)]),
        ];
        let config = ReceiverConfig { candidates: 64, ..Default::default() };
        let all = codeword_candidates(&blocks, |_| true, &config);
        let got: Vec<(Vec<u8>, f64)> = all.iter().map(|c| (c.bits.clone(), c.ln_path)).collect();
        // Every choice but the decisions (0, 0, 0), by total gap.
        let want = [
            (vec![0, 0, 1, 1, 0, 0], -0.5),
            (vec![0, 1, 1, 0, 0, 0], -1.0),
            (vec![0, 1, 1, 1, 0, 0], -1.5),
            (vec![1, 1, 1, 0, 0, 0], -3.0),
            (vec![1, 1, 1, 1, 0, 0], -3.5),
        ];
        assert_eq!(got, want);
        // The framing's checks drop choices before they count; the limit and the count stop it.
        let fitting = codeword_candidates(&blocks, |bits| bits[1] == 1, &config);
        assert_eq!(fitting, all[1..].iter().filter(|c| c.bits[1] == 1).cloned().collect::<Vec<_>>());
        let limited = codeword_candidates(&blocks, |_| true, &ReceiverConfig { max_penalty: Some(1.2), ..config });
        assert_eq!(limited, all[..2]);
        let few = codeword_candidates(&blocks, |_| true, &ReceiverConfig { candidates: 3, ..config });
        assert_eq!(few, all[..3]);
        assert!(codeword_candidates(&blocks[2..], |_| true, &config).is_empty(), "one codeword: no choice");
        assert!(codeword_candidates(&[Vec::new()], |_| true, &config).is_empty());
    }

    /// Every choice is drawn once: on lists of 4, 3 and 5 codewords with distinct gaps, all 59
    /// choices other than the decision come out, each once, in order of total gap.
    #[test]
    fn codeword_candidates_enumerate_each_choice_once_in_order() {
        let lists: Vec<Vec<ListedBlock>> = [4usize, 3, 5]
            .iter()
            .enumerate()
            .map(|(b, &len)| {
                (0..len)
                    .map(|i| ListedBlock { info: vec![b as u8, i as u8], gap: i as f64 * (1.0 + 0.37 * b as f64) })
                    .collect()
            })
            .collect();
        let config = ReceiverConfig { candidates: 64, ..Default::default() };
        let all = codeword_candidates(&lists, |_| true, &config);
        assert_eq!(all.len(), 4 * 3 * 5 - 1);
        let mut distinct: Vec<&Vec<u8>> = all.iter().map(|c| &c.bits).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len());
        assert!(all.windows(2).all(|w| w[0].ln_path >= w[1].ln_path));
    }

    /// With tied gaps the order is still (total gap, dense vector of indices), as a brute-force
    /// sort of every choice gives it.
    #[test]
    fn codeword_candidates_break_ties_as_a_sort_of_every_choice() {
        let sizes = [3usize, 2, 1, 4, 2];
        let gaps = [0.0, 1.0, 1.0, 2.0];
        let lists: Vec<Vec<ListedBlock>> = sizes
            .iter()
            .enumerate()
            .map(|(b, &len)| (0..len).map(|i| ListedBlock { info: vec![b as u8, i as u8], gap: gaps[i] }).collect())
            .collect();
        let mut every: Vec<(f64, Vec<usize>)> = vec![(0.0, vec![])];
        for &len in &sizes {
            every = every
                .into_iter()
                .flat_map(|(g, c)| {
                    (0..len).map(move |i| {
                        let mut c = c.clone();
                        c.push(i);
                        (g + gaps[i], c)
                    })
                })
                .collect();
        }
        every.retain(|(_, c)| c.iter().any(|&i| i > 0));
        every.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let want: Vec<Vec<u8>> =
            every.iter().map(|(_, c)| c.iter().enumerate().flat_map(|(b, &i)| [b as u8, i as u8]).collect()).collect();
        let config = ReceiverConfig { candidates: 64, ..Default::default() };
        let got: Vec<Vec<u8>> = codeword_candidates(&lists, |_| true, &config).into_iter().map(|c| c.bits).collect();
        assert_eq!(got.len(), 3 * 2 * 4 * 2 - 1);
        assert_eq!(got, want);
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
