//! `SparseH`: a parity-check matrix as the loaders return it, one sorted list of column indices
//! per row (0-based). It is the common currency between the file readers and [`crate::LdpcCode`].

/// Parity-check matrix H (m × n) stored by rows: `checks[j]` lists the columns with a 1 in row j,
/// sorted ascending, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparseH {
    /// Number of columns (codeword length).
    pub n: usize,
    /// Column indices of each row.
    pub checks: Vec<Vec<usize>>,
}

impl SparseH {
    /// Rows of H as stored (redundant rows included).
    pub fn m(&self) -> usize {
        self.checks.len()
    }

    /// Dense 0/1 form, row-major, for small matrices and tests.
    pub fn to_dense(&self) -> Vec<Vec<u8>> {
        self.checks
            .iter()
            .map(|row| {
                let mut dense = vec![0u8; self.n];
                for &c in row {
                    dense[c] = 1;
                }
                dense
            })
            .collect()
    }
}

/// Non-blank lines of a text with their 1-based line numbers; the readers use it so that error
/// messages point at real lines even when a file contains blank ones.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty())
}
