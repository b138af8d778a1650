//! Word-level Huffman coder with an escape for unseen words (the classical baseline).
//!
//! A message is split on single spaces (`split(' ')`, so runs of spaces give empty words and
//! joining with `' '` restores the message exactly). The codebook holds every training word seen
//! at least `min_count` times, plus two control symbols:
//! - `END` (frequency = number of training sentences) ends the message;
//! - `ESC` (frequency = number of training word occurrences below `min_count`, the Good–Turing
//!   estimate of the unseen-word mass, at least 1) is followed by the word spelled out: its byte
//!   length as an Elias-gamma code of `len + 1`, then 8 bits per byte.
//!
//! Codes are canonical Huffman codes built with a deterministic tie-break (frequency, then symbol
//! index), so the codebook is reproducible from the corpus alone. Decoding reads at most the
//! bits it is given: a corrupted stream stops with [`StopReason::OutOfBits`] at the latest.

use crate::coder::{Bits, Decoded, SourceCoder, StopReason};
use crate::SourceError;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

/// Canonical Huffman code over symbols `0..n`.
#[derive(Debug, Clone)]
pub struct CanonicalHuffman {
    /// Code length per symbol.
    lengths: Vec<u8>,
    /// Code bits per symbol (MSB first), valid for `lengths[s]` bits.
    codes: Vec<u64>,
    /// Symbols sorted by (length, symbol).
    sorted: Vec<usize>,
    /// For each length L: number of codes of length L, first code of length L, index in `sorted`.
    count: Vec<u64>,
    first: Vec<u64>,
    offset: Vec<usize>,
}

impl CanonicalHuffman {
    /// Build from positive frequencies (at least one symbol).
    pub fn from_frequencies(freqs: &[u64]) -> Result<Self, SourceError> {
        let n = freqs.len();
        if n == 0 || freqs.contains(&0) {
            return Err(SourceError::Symbol("Huffman code needs at least one symbol, all with frequency >= 1".into()));
        }
        // Code lengths by the classic two-smallest merge; ties broken by node id (deterministic).
        let mut lengths = vec![0u8; n];
        if n > 1 {
            let mut parent = vec![usize::MAX; 2 * n - 1];
            let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize)>> =
                freqs.iter().enumerate().map(|(i, &f)| std::cmp::Reverse((f, i))).collect();
            let mut next = n;
            while heap.len() > 1 {
                let std::cmp::Reverse((fa, a)) = heap.pop().expect("len > 1");
                let std::cmp::Reverse((fb, b)) = heap.pop().expect("len > 1");
                parent[a] = next;
                parent[b] = next;
                heap.push(std::cmp::Reverse((fa + fb, next)));
                next += 1;
            }
            for (s, len) in lengths.iter_mut().enumerate() {
                let mut depth = 0u8;
                let mut node = s;
                while parent[node] != usize::MAX {
                    node = parent[node];
                    depth += 1;
                }
                *len = depth;
            }
        } else {
            lengths[0] = 1;
        }
        let max_len = *lengths.iter().max().expect("n >= 1") as usize;
        if max_len > 63 {
            return Err(SourceError::Symbol(format!("Huffman code length {max_len} exceeds 63 bits")));
        }
        let mut sorted: Vec<usize> = (0..n).collect();
        sorted.sort_by_key(|&s| (lengths[s], s));
        let mut count = vec![0u64; max_len + 1];
        for &l in &lengths {
            count[l as usize] += 1;
        }
        let mut first = vec![0u64; max_len + 1];
        let mut offset = vec![0usize; max_len + 1];
        let mut code = 0u64;
        let mut index = 0usize;
        for len in 1..=max_len {
            code <<= 1;
            first[len] = code;
            offset[len] = index;
            code += count[len];
            index += count[len] as usize;
        }
        let mut codes = vec![0u64; n];
        let mut next_code = first.clone();
        for &s in &sorted {
            let l = lengths[s] as usize;
            codes[s] = next_code[l];
            next_code[l] += 1;
        }
        Ok(Self { lengths, codes, sorted, count, first, offset })
    }

    pub fn length(&self, symbol: usize) -> usize {
        self.lengths[symbol] as usize
    }

    /// Append the code of `symbol` to `out`.
    pub fn write(&self, symbol: usize, out: &mut Bits) {
        let l = self.lengths[symbol];
        for i in (0..l).rev() {
            out.push(((self.codes[symbol] >> i) & 1) as u8);
        }
    }

    /// Read one symbol starting at `*pos`; `None` if the bits run out.
    pub fn read(&self, bits: &[u8], pos: &mut usize) -> Option<usize> {
        let mut code = 0u64;
        for len in 1..self.count.len() {
            let bit = *bits.get(*pos)?;
            *pos += 1;
            code = (code << 1) | (bit != 0) as u64;
            if code >= self.first[len] && code - self.first[len] < self.count[len] {
                return Some(self.sorted[self.offset[len] + (code - self.first[len]) as usize]);
            }
        }
        None // unreachable for a complete code; kept so garbage can never index out of bounds
    }
}

/// Word-level Huffman source coder.
#[derive(Debug, Clone)]
pub struct HuffmanWordCoder {
    words: Vec<String>,
    index: HashMap<String, usize>,
    code: CanonicalHuffman,
    end: usize,
    escape: usize,
}

fn write_gamma(value: u64, out: &mut Bits) {
    // Elias gamma of value >= 1: (bits-1) zeros, then value in `bits` bits.
    let bits = 64 - value.leading_zeros();
    out.extend(std::iter::repeat_n(0, bits as usize - 1));
    for i in (0..bits).rev() {
        out.push(((value >> i) & 1) as u8);
    }
}

fn read_gamma(bits: &[u8], pos: &mut usize) -> Option<u64> {
    let mut zeros = 0;
    while *bits.get(*pos)? == 0 {
        *pos += 1;
        zeros += 1;
        if zeros > 40 {
            return None;
        }
    }
    let mut value = 0u64;
    for _ in 0..=zeros {
        value = (value << 1) | (*bits.get(*pos)? != 0) as u64;
        *pos += 1;
    }
    Some(value)
}

impl HuffmanWordCoder {
    /// Build the codebook from training sentences (one per item).
    pub fn from_sentences<'a>(
        sentences: impl IntoIterator<Item = &'a str>,
        min_count: u64,
    ) -> Result<Self, SourceError> {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let mut n_sentences = 0u64;
        for s in sentences {
            n_sentences += 1;
            for w in s.split(' ') {
                *counts.entry(w).or_insert(0) += 1;
            }
        }
        Self::from_counts(counts.into_iter(), n_sentences, min_count)
    }

    /// Build the codebook from word counts of a training split of `n_sentences` sentences (the
    /// codebook is a function of the counts alone, so this equals [`Self::from_sentences`] on
    /// the split that produced them).
    pub fn from_counts<'a>(
        counts: impl Iterator<Item = (&'a str, u64)>,
        n_sentences: u64,
        min_count: u64,
    ) -> Result<Self, SourceError> {
        let counts: Vec<(&str, u64)> = counts.collect();
        let min_count = min_count.max(1);
        let mut rare = 0u64;
        let mut kept: Vec<(&str, u64)> = Vec::new();
        for &(w, c) in &counts {
            if c >= min_count {
                kept.push((w, c));
            } else {
                rare += c;
            }
        }
        // Deterministic order: by decreasing count, then the word itself.
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let words: Vec<String> = kept.iter().map(|(w, _)| w.to_string()).collect();
        let mut freqs: Vec<u64> = kept.iter().map(|&(_, c)| c).collect();
        let end = freqs.len();
        freqs.push(n_sentences.max(1));
        let escape = freqs.len();
        // Unseen words in training (singletons when min_count = 1) estimate the escape mass.
        let singletons = counts.iter().filter(|&&(_, c)| c == 1).count() as u64;
        freqs.push(if min_count > 1 { rare.max(1) } else { singletons.max(1) });
        let code = CanonicalHuffman::from_frequencies(&freqs)?;
        let index = words.iter().enumerate().map(|(i, w)| (w.clone(), i)).collect();
        Ok(Self { words, index, code, end, escape })
    }

    /// Build from a word-count file: an optional first line `# ...\t<sentences>` giving the
    /// number of training sentences, then `word<TAB>count` lines (as `data/europarl/train_word_counts.tsv`).
    pub fn from_counts_file(path: &Path, min_count: u64) -> Result<Self, SourceError> {
        let text = std::fs::read_to_string(path).map_err(|e| SourceError::file(path, e))?;
        Self::from_counts_text(&text, path, min_count)
    }

    /// The codebook of the Europarl training split's word counts (`data/europarl/train_word_counts.tsv`,
    /// embedded in the binary: an installed `sim` needs no source tree), words seen at least once.
    pub fn europarl() -> Result<Self, SourceError> {
        const COUNTS: &str = include_str!("../../data/europarl/train_word_counts.tsv");
        Self::from_counts_text(COUNTS, Path::new("data/europarl/train_word_counts.tsv (embedded)"), 1)
    }

    /// [`Self::from_counts_file`] on the file's text (`path` names it in errors).
    fn from_counts_text(text: &str, path: &Path, min_count: u64) -> Result<Self, SourceError> {
        let mut n_sentences = None;
        let mut counts = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |what: &str| SourceError::file(path, format!("line {}: {what}", i + 1));
            let (word, count) = line.rsplit_once('\t').ok_or_else(|| bad("expected word<TAB>count"))?;
            let count: u64 = count.trim().parse().map_err(|_| bad("count is not a non-negative integer"))?;
            if i == 0 && word.starts_with('#') {
                n_sentences = Some(count);
            } else {
                counts.push((word, count));
            }
        }
        let n_sentences =
            n_sentences.ok_or_else(|| SourceError::file(path, "line 1: expected '# ...<TAB><number of sentences>'"))?;
        Self::from_counts(counts.into_iter(), n_sentences, min_count)
    }

    /// Build from a text file with one training sentence per line.
    pub fn from_file(path: &Path, min_count: u64) -> Result<Self, SourceError> {
        let bytes = std::fs::read(path).map_err(|e| SourceError::file(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            SourceError::file(path, format!("not UTF-8 text (byte offset {})", e.utf8_error().valid_up_to()))
        })?;
        Self::from_sentences(text.lines(), min_count)
    }

    pub fn vocabulary_size(&self) -> usize {
        self.words.len()
    }
}

impl SourceCoder for HuffmanWordCoder {
    fn name(&self) -> String {
        "huffman-word".into()
    }

    fn encode(&self, message: &str) -> Result<Bits, SourceError> {
        let mut out = Vec::new();
        for w in message.split(' ') {
            match self.index.get(w) {
                Some(&s) => self.code.write(s, &mut out),
                None => {
                    self.code.write(self.escape, &mut out);
                    write_gamma(w.len() as u64 + 1, &mut out);
                    for &b in w.as_bytes() {
                        for i in (0..8).rev() {
                            out.push((b >> i) & 1);
                        }
                    }
                }
            }
        }
        self.code.write(self.end, &mut out);
        Ok(out)
    }

    fn decode(&self, bits: &[u8]) -> Decoded {
        let mut pos = 0usize;
        let mut bytes: Vec<u8> = Vec::new();
        let mut symbols = 0usize;
        let stop = loop {
            let Some(s) = self.code.read(bits, &mut pos) else { break StopReason::OutOfBits };
            if s == self.end {
                break StopReason::EndOfMessage;
            }
            if symbols > 0 {
                bytes.push(b' ');
            }
            symbols += 1;
            if s == self.escape {
                let Some(len) = read_gamma(bits, &mut pos) else { break StopReason::OutOfBits };
                let len = (len - 1) as usize;
                if bits.len().saturating_sub(pos) < 8 * len {
                    break StopReason::OutOfBits;
                }
                for _ in 0..len {
                    let b = bits[pos..pos + 8].iter().fold(0u8, |acc, &x| (acc << 1) | (x != 0) as u8);
                    bytes.push(b);
                    pos += 8;
                }
            } else {
                bytes.extend_from_slice(self.words[s].as_bytes());
            }
        };
        Decoded { text: String::from_utf8_lossy(&bytes).into_owned(), stop, symbols, ln_prob: None, exact: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_huffman_lengths() {
        // Classic example: freqs 45,13,12,16,9,5 (CLRS) -> lengths 1,3,3,3,4,4; cost 224.
        let h = CanonicalHuffman::from_frequencies(&[45, 13, 12, 16, 9, 5]).unwrap();
        let lens: Vec<usize> = (0..6).map(|s| h.length(s)).collect();
        assert_eq!(lens, vec![1, 3, 3, 3, 4, 4]);
        let mut bits = Vec::new();
        for s in 0..6 {
            h.write(s, &mut bits);
        }
        let mut pos = 0;
        let back: Vec<usize> = (0..6).map(|_| h.read(&bits, &mut pos).unwrap()).collect();
        assert_eq!(back, (0..6).collect::<Vec<_>>());
        // Kraft equality for a complete prefix code.
        let kraft: f64 = lens.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12);
    }

    #[test]
    fn gamma_codes() {
        let mut b = Vec::new();
        write_gamma(1, &mut b);
        write_gamma(5, &mut b);
        assert_eq!(b, vec![1, 0, 0, 1, 0, 1]);
        let mut pos = 0;
        assert_eq!(read_gamma(&b, &mut pos), Some(1));
        assert_eq!(read_gamma(&b, &mut pos), Some(5));
        assert_eq!(read_gamma(&b, &mut pos), None);
    }

    fn coder() -> HuffmanWordCoder {
        let train = ["the cat sat", "the dog sat", "a cat ran", "the end"];
        HuffmanWordCoder::from_sentences(train, 1).unwrap()
    }

    #[test]
    fn round_trips_known_and_unseen_words_and_spacing() {
        let c = coder();
        for msg in ["the cat sat", "", " ", "the  zebra sat ", "naïve 東京 🙂 cat", "the\tcat\nsat"] {
            let bits = c.encode(msg).unwrap();
            let d = c.decode(&bits);
            assert_eq!(d.text, msg);
            assert!(d.complete());
        }
        // A known word costs fewer bits than the same-length unseen word.
        assert!(c.encode("cat").unwrap().len() < c.encode("cow").unwrap().len());
    }

    #[test]
    fn garbage_never_panics() {
        use rand::{Rng, SeedableRng};
        let c = coder();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for _ in 0..2000 {
            let n = rng.random_range(0..300);
            let bits: Vec<u8> = (0..n).map(|_| rng.random_range(0..2u8)).collect();
            let d = c.decode(&bits);
            assert!(d.symbols <= n);
        }
    }

    #[test]
    fn shipped_word_counts_give_the_training_split_codebook() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let from_counts =
            HuffmanWordCoder::from_counts_file(&root.join("data/europarl/train_word_counts.tsv"), 1).unwrap();
        let train = root.join("../shared/data/europarl/train_sentences.txt");
        if !train.exists() {
            eprintln!("skipping the comparison: {} not present", train.display());
            return;
        }
        let from_text = HuffmanWordCoder::from_file(&train, 1).unwrap();
        assert_eq!(from_counts.words, from_text.words);
        for m in ["the house rose and observed a minute s silence", "zyzzyva unseen words escape ."] {
            assert_eq!(from_counts.encode(m).unwrap(), from_text.encode(m).unwrap());
        }
    }

    #[test]
    fn malformed_counts_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.tsv");
        std::fs::write(&p, "# n\t10\nthe\t5\nbroken line\n").unwrap();
        let e = HuffmanWordCoder::from_counts_file(&p, 1).unwrap_err().to_string();
        assert!(e.contains("c.tsv") && e.contains("line 3"), "{e}");
    }
}
