//! Linear algebra over GF(2) on bit-packed rows (64 columns per `u64` word).
//!
//! Gauss–Jordan elimination gives the rank of H (which may have redundant rows) and a basis of
//! its null space, i.e. of the code. Following ECCT's `get_generator` (`Codes.py`), the generator
//! is the reduced row echelon form (RREF) of that basis. The RREF of a row space is unique, so
//! the generator here equals ECCT's whatever elimination order either side uses. Its pivot
//! columns are the lexicographically first information set: the codeword carries the info bits
//! unchanged at those positions, which are `0..k` ("info bits first") whenever the first k
//! columns of H's code are an information set, and otherwise the earliest columns that are.

/// A dense GF(2) matrix with bit-packed rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitMatrix {
    rows: usize,
    cols: usize,
    words: usize,
    data: Vec<u64>,
}

impl BitMatrix {
    /// All-zero `rows × cols` matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        let words = cols.div_ceil(64);
        BitMatrix { rows, cols, words, data: vec![0; rows * words] }
    }

    /// Builds a matrix from per-row lists of set columns.
    pub fn from_row_lists(rows: &[Vec<usize>], cols: usize) -> Self {
        let mut m = BitMatrix::zeros(rows.len(), cols);
        for (r, list) in rows.iter().enumerate() {
            for &c in list {
                m.set(r, c, true);
            }
        }
        m
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Words per row.
    pub fn words_per_row(&self) -> usize {
        self.words
    }

    pub fn get(&self, r: usize, c: usize) -> bool {
        (self.data[r * self.words + c / 64] >> (c % 64)) & 1 == 1
    }

    pub fn set(&mut self, r: usize, c: usize, v: bool) {
        let w = &mut self.data[r * self.words + c / 64];
        if v {
            *w |= 1 << (c % 64);
        } else {
            *w &= !(1 << (c % 64));
        }
    }

    /// Packed words of row `r` (bit `c % 64` of word `c / 64` is column c).
    pub fn row(&self, r: usize) -> &[u64] {
        &self.data[r * self.words..(r + 1) * self.words]
    }

    fn swap_rows(&mut self, a: usize, b: usize) {
        if a != b {
            for w in 0..self.words {
                self.data.swap(a * self.words + w, b * self.words + w);
            }
        }
    }

    /// row[dst] ^= row[src]
    fn xor_row_into(&mut self, src: usize, dst: usize) {
        let (s, d) = (src * self.words, dst * self.words);
        for w in 0..self.words {
            let v = self.data[s + w];
            self.data[d + w] ^= v;
        }
    }

    /// In-place Gauss–Jordan elimination to reduced row echelon form. Returns the pivot column of
    /// each of the first `rank` rows (ascending); rows `rank..` end up zero.
    pub fn rref(&mut self) -> Vec<usize> {
        let mut pivots = Vec::new();
        let mut p = 0;
        for c in 0..self.cols {
            if p == self.rows {
                break;
            }
            let Some(pr) = (p..self.rows).find(|&r| self.get(r, c)) else { continue };
            self.swap_rows(p, pr);
            for r in 0..self.rows {
                if r != p && self.get(r, c) {
                    self.xor_row_into(p, r);
                }
            }
            pivots.push(c);
            p += 1;
        }
        pivots
    }

    /// GF(2) rank.
    pub fn rank(&self) -> usize {
        self.clone().rref().len()
    }

    /// Keeps the first `rows` rows.
    fn truncate_rows(&mut self, rows: usize) {
        self.rows = rows;
        self.data.truncate(rows * self.words);
    }
}

/// Systematic generator of the null space of `h`.
#[derive(Debug, Clone)]
pub struct Generator {
    /// k × n generator in RREF; row i has its leading 1 in column `info_positions[i]`.
    pub matrix: BitMatrix,
    /// Pivot columns of `matrix`, ascending: codeword[info_positions[i]] == info[i].
    pub info_positions: Vec<usize>,
    /// GF(2) rank of H.
    pub rank: usize,
}

/// Computes rank(H) and the RREF generator of the code {x : H xᵀ = 0}.
pub fn generator(h: &BitMatrix) -> Generator {
    let n = h.cols();
    let mut reduced = h.clone();
    let pivots = reduced.rref();
    let rank = pivots.len();
    let mut is_pivot = vec![false; n];
    for &p in &pivots {
        is_pivot[p] = true;
    }
    // Null-space basis: one vector per free column f, x_f = 1 and x_{pivot_i} = Hrref[i][f].
    let free: Vec<usize> = (0..n).filter(|&c| !is_pivot[c]).collect();
    let mut basis = BitMatrix::zeros(free.len(), n);
    for (b, &f) in free.iter().enumerate() {
        basis.set(b, f, true);
        for (i, &p) in pivots.iter().enumerate() {
            if reduced.get(i, f) {
                basis.set(b, p, true);
            }
        }
    }
    let info_positions = basis.rref();
    debug_assert_eq!(info_positions.len(), free.len());
    basis.truncate_rows(info_positions.len());
    Generator { matrix: basis, info_positions, rank }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_of_known_matrices() {
        // Identity-like rows plus their sum: rank 2.
        let m = BitMatrix::from_row_lists(&[vec![0, 1], vec![1, 2], vec![0, 2]], 3);
        assert_eq!(m.rank(), 2);
        assert_eq!(BitMatrix::zeros(4, 130).rank(), 0);
        let wide = BitMatrix::from_row_lists(&[vec![0, 100], vec![100, 129], vec![5]], 130);
        assert_eq!(wide.rank(), 3);
    }

    #[test]
    fn rref_is_reduced() {
        let mut m = BitMatrix::from_row_lists(&[vec![1, 2, 3], vec![0, 1], vec![0, 2, 3], vec![3]], 4);
        let piv = m.rref();
        assert_eq!(piv, vec![0, 1, 3]);
        for (i, &p) in piv.iter().enumerate() {
            for r in 0..m.rows() {
                assert_eq!(m.get(r, p), r == i, "pivot column {p} must be a unit column");
            }
        }
        for r in piv.len()..m.rows() {
            assert!(m.row(r).iter().all(|&w| w == 0));
        }
    }
}
