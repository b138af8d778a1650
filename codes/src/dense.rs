//! Reader for dense 0/1 text matrices (ECCT's BCH and polar files, read there with `np.loadtxt`).
//!
//! One row of H per non-blank line, entries `0` or `1` separated by whitespace. Trailing spaces
//! and a missing final newline are accepted; every row must have the same length.

use crate::error::CodeError;
use crate::sparse::{numbered_lines, SparseH};
use std::path::Path;

/// Parses dense 0/1 text; `path` is used only in error messages.
pub fn parse_dense(text: &str, path: &Path) -> Result<SparseH, CodeError> {
    let mut n: Option<usize> = None;
    let mut checks = Vec::new();
    for (line, content) in numbered_lines(text) {
        let row_no = checks.len() + 1;
        let mut cols = Vec::new();
        let mut len = 0;
        for (c, tok) in content.split_whitespace().enumerate() {
            match tok {
                "0" => {}
                "1" => cols.push(c),
                _ => {
                    return Err(CodeError::parse(
                        path,
                        line,
                        format!("entry {} of row {row_no}", c + 1),
                        format!("expected 0 or 1, found '{tok}'"),
                    ))
                }
            }
            len = c + 1;
        }
        match n {
            None => n = Some(len),
            Some(n) if n != len => {
                return Err(CodeError::parse(
                    path,
                    line,
                    format!("row {row_no}"),
                    format!("expected {n} entries like the first row, found {len}"),
                ))
            }
            _ => {}
        }
        checks.push(cols);
    }
    match n {
        None => Err(CodeError::invalid(path, "no matrix rows found (empty file)")),
        Some(n) => Ok(SparseH { n, checks }),
    }
}
