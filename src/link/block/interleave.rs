//! A row–column interleaver over a message's codewords.
//!
//! A message of F codewords of S channel symbols each is written into an F × S array one codeword
//! per row and read out column by column: codeword f's symbol s is sent at position `s·F + f`. Each
//! codeword's symbols then lie F apart on the channel, and consecutive channel symbols cycle through
//! the codewords. A channel that holds one gain for a run of S symbols (block fading with a gain per
//! codeword, `channels::Fading::Block`) thus gives every codeword about S/F symbols under each of
//! the message's F gains instead of all S under one: the codeword sees F-fold diversity, which its
//! decoder can gather (bit-interleaved coded modulation, Caire, Taricco & Biglieri, "Bit-interleaved
//! coded modulation", IEEE Trans. IT 44(3), 1998, there over symbols of one codeword). On AWGN, fast
//! fading or one gain per message it changes nothing but which noise sample meets which symbol.
//!
//! Symbols move whole (all `dims_per_symbol` real dimensions of a QPSK symbol stay together), and
//! [`deinterleave`] undoes [`interleave`] exactly, so everything after the channel (demodulation,
//! decoding, the LM-aided receivers) sees the codewords as they were sent.

/// Lays `tx` (a message's F = `tx.len() / (symbols·dims)` codewords of `symbols` symbols of
/// `dims` real dimensions each, back to back) out on the channel: codeword f's symbol s goes to
/// symbol position `s·F + f`.
pub fn interleave<T: Copy>(tx: &[T], symbols: usize, dims: usize, out: &mut [T]) {
    permute(tx, symbols, dims, out, false);
}

/// Undoes [`interleave`]: `rx` as received, `out` codeword by codeword.
pub fn deinterleave<T: Copy>(rx: &[T], symbols: usize, dims: usize, out: &mut [T]) {
    permute(rx, symbols, dims, out, true);
}

fn permute<T: Copy>(from: &[T], symbols: usize, dims: usize, to: &mut [T], inverse: bool) {
    let per_codeword = symbols * dims;
    assert!(per_codeword > 0 && from.len().is_multiple_of(per_codeword), "whole codewords of {symbols} symbols");
    assert_eq!(from.len(), to.len());
    let codewords = from.len() / per_codeword;
    for f in 0..codewords {
        for s in 0..symbols {
            let (natural, sent) = ((f * symbols + s) * dims, (s * codewords + f) * dims);
            let (src, dst) = if inverse { (sent, natural) } else { (natural, sent) };
            to[dst..dst + dims].copy_from_slice(&from[src..src + dims]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codewords_are_read_out_column_by_column() {
        // Three codewords of two symbols: a0 a1 | b0 b1 | c0 c1 → a0 b0 c0 a1 b1 c1.
        let tx = [10, 11, 20, 21, 30, 31];
        let mut out = [0; 6];
        interleave(&tx, 2, 1, &mut out);
        assert_eq!(out, [10, 20, 30, 11, 21, 31]);
        // Two-dimensional symbols move whole.
        let tx = [1, 2, 3, 4, 5, 6, 7, 8];
        let mut out = [0; 8];
        interleave(&tx, 2, 2, &mut out);
        assert_eq!(out, [1, 2, 5, 6, 3, 4, 7, 8]);
    }

    #[test]
    fn deinterleave_undoes_interleave() {
        for (codewords, symbols, dims) in [(1, 49, 1), (6, 49, 1), (7, 5, 2), (450, 49, 1)] {
            let tx: Vec<u32> = (0..(codewords * symbols * dims) as u32).collect();
            let (mut sent, mut back) = (vec![0; tx.len()], vec![0; tx.len()]);
            interleave(&tx, symbols, dims, &mut sent);
            deinterleave(&sent, symbols, dims, &mut back);
            assert_eq!(back, tx, "{codewords} × {symbols} × {dims}");
            // One codeword alone is sent as it is.
            if codewords == 1 {
                assert_eq!(sent, tx);
            }
        }
    }

    /// With a gain per run of `symbols` channel symbols, each codeword meets every run's gain, about
    /// equally often.
    #[test]
    fn each_codeword_meets_every_run() {
        let (codewords, symbols) = (6, 49);
        let owner: Vec<usize> = (0..codewords * symbols).map(|i| i / symbols).collect();
        let mut sent = vec![0; owner.len()];
        interleave(&owner, symbols, 1, &mut sent);
        for f in 0..codewords {
            let per_run: Vec<usize> = sent.chunks(symbols).map(|run| run.iter().filter(|&&o| o == f).count()).collect();
            assert!(per_run.iter().all(|&c| c == 8 || c == 9), "codeword {f}: {per_run:?}");
            assert_eq!(per_run.iter().sum::<usize>(), symbols);
        }
    }
}
