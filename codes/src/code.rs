//! `LdpcCode`: a binary linear code given by its parity-check matrix H, with the derived data every
//! other part of the simulator needs: rank and dimension (H may have redundant rows), a systematic
//! RREF generator for encoding (see [`crate::gf2`]), the Tanner-graph adjacency in both directions,
//! the degree profile, and a stable fingerprint that ties trained decoders to one exact H.

use crate::alist::parse_alist;
use crate::dense::parse_dense;
use crate::error::CodeError;
use crate::gf2::{generator, BitMatrix};
use crate::sparse::SparseH;
use std::fmt;
use std::path::Path;

/// A binary linear code defined by a parity-check matrix.
#[derive(Debug, Clone)]
pub struct LdpcCode {
    name: String,
    n: usize,
    rank: usize,
    checks: Vec<Vec<usize>>,
    bits: Vec<Vec<usize>>,
    generator: BitMatrix,
    info_positions: Vec<usize>,
    fingerprint: u64,
}

/// Node-perspective degree distributions: `(degree, number of nodes)` pairs, ascending degree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DegreeProfile {
    pub variable: Vec<(usize, usize)>,
    pub check: Vec<(usize, usize)>,
}

impl fmt::Display for DegreeProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[(usize, usize)]| v.iter().map(|(d, c)| format!("{c}×{d}")).collect::<Vec<_>>().join(" ");
        write!(f, "variable degrees {}; check degrees {}", list(&self.variable), list(&self.check))
    }
}

impl LdpcCode {
    /// Loads H from a file: `.alist` → MacKay alist, `.txt` → dense 0/1 text. Other extensions are
    /// sniffed: a first line with exactly two numbers (`N M`) means alist, anything else dense.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, CodeError> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|reason| CodeError::Io { path: path.to_path_buf(), reason })?;
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let h = match ext.as_deref() {
            Some("alist") => parse_alist(&text, path)?,
            Some("txt") => parse_dense(&text, path)?,
            _ => {
                let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                if first.split_whitespace().count() == 2 {
                    parse_alist(&text, path)?
                } else {
                    parse_dense(&text, path)?
                }
            }
        };
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("code").to_string();
        Self::from_sparse(h, name).map_err(|e| match e {
            CodeError::Invalid { message, .. } => CodeError::invalid(path, message),
            other => other,
        })
    }

    /// Builds the code from per-row column lists. Rows may be in any order, must not repeat a column
    /// and must stay below `n`.
    pub fn from_sparse(h: SparseH, name: impl Into<String>) -> Result<Self, CodeError> {
        let name = name.into();
        let SparseH { n, mut checks } = h;
        if n == 0 {
            return Err(CodeError::invalid(Path::new(&name), "code length n must be positive"));
        }
        for (r, row) in checks.iter_mut().enumerate() {
            row.sort_unstable();
            if let Some(&c) = row.iter().find(|&&c| c >= n) {
                return Err(CodeError::invalid(
                    Path::new(&name),
                    format!("row {r}: column {c} out of range (n = {n})"),
                ));
            }
            if row.windows(2).any(|w| w[0] == w[1]) {
                return Err(CodeError::invalid(Path::new(&name), format!("row {r}: a column is listed twice")));
            }
        }
        let mut bits = vec![Vec::new(); n];
        for (r, row) in checks.iter().enumerate() {
            for &c in row {
                bits[c].push(r);
            }
        }
        let g = generator(&BitMatrix::from_row_lists(&checks, n));
        let fingerprint = fingerprint_of(n, &checks);
        Ok(LdpcCode {
            name,
            n,
            rank: g.rank,
            checks,
            bits,
            generator: g.matrix,
            info_positions: g.info_positions,
            fingerprint,
        })
    }

    /// File stem or the name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Codeword length.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Dimension: n − rank(H).
    pub fn k(&self) -> usize {
        self.n - self.rank
    }
    /// Rows of H as stored, redundant ones included.
    pub fn m(&self) -> usize {
        self.checks.len()
    }
    /// GF(2) rank of H.
    pub fn rank(&self) -> usize {
        self.rank
    }
    /// k / n.
    pub fn rate(&self) -> f64 {
        self.k() as f64 / self.n as f64
    }
    /// Per row of H: the column indices it checks (ascending).
    pub fn checks(&self) -> &[Vec<usize>] {
        &self.checks
    }
    /// Per column of H: the row indices that check it (ascending).
    pub fn bits(&self) -> &[Vec<usize>] {
        &self.bits
    }
    /// Number of ones in H (Tanner-graph edges).
    pub fn edges(&self) -> usize {
        self.checks.iter().map(Vec::len).sum()
    }
    /// Codeword positions that carry the info bits unchanged, ascending: after
    /// `encode(info, cw)`, `cw[info_positions()[i]] == info[i]`.
    pub fn info_positions(&self) -> &[usize] {
        &self.info_positions
    }
    /// k × n generator in reduced row echelon form (equal to ECCT's `get_generator`).
    pub fn generator(&self) -> &BitMatrix {
        &self.generator
    }
    /// FNV-1a (64-bit) over n, m and the row lists of H (each as its length followed by its column
    /// indices, all as little-endian u64). Stable across platforms and releases of this crate.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Encodes k info bits (only the low bit of each byte is used) into an n-bit codeword.
    /// Panics if the slice lengths are not k and n.
    pub fn encode(&self, info: &[u8], codeword: &mut [u8]) {
        let mut acc = vec![0u64; self.generator.words_per_row()];
        self.encode_with(info, codeword, &mut acc);
    }

    /// Encodes `info.len() / k` frames laid back to back; `codewords` holds as many frames of n bits.
    pub fn encode_batch(&self, info: &[u8], codewords: &mut [u8]) {
        let (k, n) = (self.k(), self.n);
        let frames = if k == 0 { codewords.len() / n } else { info.len() / k };
        assert_eq!(info.len(), frames * k, "info length must be a multiple of k = {k}");
        assert_eq!(codewords.len(), frames * n, "codeword buffer must hold {frames} frames of n = {n}");
        let mut acc = vec![0u64; self.generator.words_per_row()];
        for f in 0..frames {
            self.encode_with(&info[f * k..(f + 1) * k], &mut codewords[f * n..(f + 1) * n], &mut acc);
        }
    }

    fn encode_with(&self, info: &[u8], codeword: &mut [u8], acc: &mut [u64]) {
        assert_eq!(info.len(), self.k(), "info length must be k = {}", self.k());
        assert_eq!(codeword.len(), self.n, "codeword length must be n = {}", self.n);
        acc.fill(0);
        for (i, &b) in info.iter().enumerate() {
            if b & 1 == 1 {
                for (a, &g) in acc.iter_mut().zip(self.generator.row(i)) {
                    *a ^= g;
                }
            }
        }
        for (c, out) in codeword.iter_mut().enumerate() {
            *out = ((acc[c / 64] >> (c % 64)) & 1) as u8;
        }
    }

    /// Copies the info bits out of a codeword (inverse of `encode` on valid codewords).
    pub fn extract_info(&self, codeword: &[u8], info: &mut [u8]) {
        assert_eq!(codeword.len(), self.n);
        assert_eq!(info.len(), self.k());
        for (o, &p) in info.iter_mut().zip(&self.info_positions) {
            *o = codeword[p] & 1;
        }
    }

    /// H · bitsᵀ over GF(2) into `out` (length m). Only the low bit of each byte is used.
    pub fn syndrome(&self, bits: &[u8], out: &mut [u8]) {
        assert_eq!(bits.len(), self.n);
        assert_eq!(out.len(), self.m());
        for (o, row) in out.iter_mut().zip(&self.checks) {
            *o = row.iter().fold(0u8, |s, &c| s ^ (bits[c] & 1));
        }
    }

    /// Whether every parity check is satisfied.
    pub fn is_codeword(&self, bits: &[u8]) -> bool {
        bits.len() == self.n && self.checks.iter().all(|row| row.iter().fold(0u8, |s, &c| s ^ (bits[c] & 1)) == 0)
    }

    /// Variable (column) and check (row) degree distributions.
    pub fn degree_profile(&self) -> DegreeProfile {
        fn histogram<'a>(lists: impl Iterator<Item = &'a Vec<usize>>) -> Vec<(usize, usize)> {
            let mut h = std::collections::BTreeMap::new();
            for l in lists {
                *h.entry(l.len()).or_insert(0usize) += 1;
            }
            h.into_iter().collect()
        }
        DegreeProfile { variable: histogram(self.bits.iter()), check: histogram(self.checks.iter()) }
    }

    /// Multi-line summary for `sim codes info FILE`.
    pub fn info(&self) -> String {
        format!(
            "code {}\n  n = {}, k = {}, rows = {}, rank = {}, rate = {:.4}\n  edges = {}, {}\n  info positions: {}\n  fingerprint = {:016x}",
            self.name,
            self.n,
            self.k(),
            self.m(),
            self.rank,
            self.rate(),
            self.edges(),
            self.degree_profile(),
            if self.info_positions.iter().copied().eq(0..self.k()) { "first k bits".to_string() } else { format!("{:?}", self.info_positions) },
            self.fingerprint
        )
    }
}

impl fmt::Display for LdpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.info())
    }
}

fn fingerprint_of(n: usize, checks: &[Vec<usize>]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut eat = |v: u64| {
        for b in v.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(PRIME);
        }
    };
    eat(n as u64);
    eat(checks.len() as u64);
    for row in checks {
        eat(row.len() as u64);
        for &c in row {
            eat(c as u64);
        }
    }
    h
}
