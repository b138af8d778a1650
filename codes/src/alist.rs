//! Reader for MacKay's alist format (sparse H, 1-based indices, 0 = padding).
//!
//! Layout: `N M`, then the maximum column and row weights, then the N column weights, the M row
//! weights, N lines listing each column's rows and M lines listing each row's columns. Like ECCT's
//! `Read_pc_matrixrix_alist` we build H from the column section; unlike it, we also read the row
//! section and require that it describes the same matrix, because a file whose two halves disagree
//! is corrupt and silently trusting one half would hide that. Zeros are padding wherever they occur
//! in an index line; the number of non-zero entries must equal the declared weight.

use crate::error::CodeError;
use crate::sparse::{numbered_lines, SparseH};
use std::path::Path;

/// Parses alist text; `path` is used only in error messages.
pub fn parse_alist(text: &str, path: &Path) -> Result<SparseH, CodeError> {
    let mut lines = numbered_lines(text);
    let mut next_line =
        |what: &str| lines.next().ok_or_else(|| CodeError::invalid(path, format!("file ends before {what}")));

    let (line, header) = next_line("the header line `N M`")?;
    let dims = parse_numbers(header, path, line, "header `N M`")?;
    if dims.len() != 2 {
        return Err(CodeError::parse(path, line, "header `N M`", format!("expected 2 numbers, found {}", dims.len())));
    }
    let (n, m) = (dims[0], dims[1]);
    if n == 0 || m == 0 {
        return Err(CodeError::parse(path, line, "header `N M`", format!("N and M must be positive, found {n} {m}")));
    }

    let (line, maxima) = next_line("the maximum weights line")?;
    let maxima = parse_numbers(maxima, path, line, "maximum column and row weights")?;
    if maxima.len() != 2 {
        return Err(CodeError::parse(
            path,
            line,
            "maximum column and row weights",
            format!("expected 2 numbers, found {}", maxima.len()),
        ));
    }
    let (max_col, max_row) = (maxima[0], maxima[1]);

    let (line, text_cw) = next_line("the column weights line")?;
    let col_weights = parse_weights(text_cw, path, line, "column", n, max_col)?;
    let (line, text_rw) = next_line("the row weights line")?;
    let row_weights = parse_weights(text_rw, path, line, "row", m, max_row)?;

    // Column section: this is what defines H.
    let mut checks: Vec<Vec<usize>> = vec![Vec::new(); m];
    for col in 0..n {
        let (line, text) = next_line(&format!("the row list of column {}", col + 1))?;
        let field = format!("row list of column {}", col + 1);
        let rows = parse_index_list(text, path, line, &field, m, col_weights[col])?;
        for r in rows {
            checks[r].push(col);
        }
    }
    for row in &mut checks {
        row.sort_unstable();
    }

    // Row section: must agree with the column section.
    for (r, expected) in checks.iter().enumerate() {
        let (line, text) = next_line(&format!("the column list of row {}", r + 1))?;
        let field = format!("column list of row {}", r + 1);
        let mut cols = parse_index_list(text, path, line, &field, n, row_weights[r])?;
        cols.sort_unstable();
        if &cols != expected {
            let one_based = |v: &[usize]| v.iter().map(|c| (c + 1).to_string()).collect::<Vec<_>>().join(" ");
            return Err(CodeError::parse(
                path,
                line,
                field,
                format!(
                    "row section disagrees with column section: row lists columns [{}], columns list it in [{}]",
                    one_based(&cols),
                    one_based(expected)
                ),
            ));
        }
    }
    if let Some((line, _)) = lines.next() {
        return Err(CodeError::parse(path, line, "end of file", "unexpected content after the row section"));
    }
    Ok(SparseH { n, checks })
}

fn parse_numbers(text: &str, path: &Path, line: usize, field: &str) -> Result<Vec<usize>, CodeError> {
    text.split_whitespace()
        .map(|tok| {
            tok.parse::<usize>()
                .map_err(|_| CodeError::parse(path, line, field, format!("expected a number, found '{tok}'")))
        })
        .collect()
}

/// Reads the `count` weights of a weights line and checks each against the declared maximum.
fn parse_weights(
    text: &str,
    path: &Path,
    line: usize,
    kind: &str,
    count: usize,
    max: usize,
) -> Result<Vec<usize>, CodeError> {
    let mut weights = Vec::with_capacity(count);
    for (i, tok) in text.split_whitespace().enumerate() {
        let field = format!("{kind} weight of {kind} {}", i + 1);
        let w = tok
            .parse::<usize>()
            .map_err(|_| CodeError::parse(path, line, &field, format!("expected a number, found '{tok}'")))?;
        if w > max {
            return Err(CodeError::parse(path, line, &field, format!("weight {w} exceeds the declared maximum {max}")));
        }
        weights.push(w);
    }
    if weights.len() != count {
        return Err(CodeError::parse(
            path,
            line,
            format!("{kind} weights"),
            format!("expected {count} weights, found {}", weights.len()),
        ));
    }
    Ok(weights)
}

/// Reads one index line: 1-based indices in `1..=bound`, zeros ignored as padding, exactly `weight`
/// non-zero entries, no repeats. Returns 0-based indices.
fn parse_index_list(
    text: &str,
    path: &Path,
    line: usize,
    field: &str,
    bound: usize,
    weight: usize,
) -> Result<Vec<usize>, CodeError> {
    let mut out = Vec::with_capacity(weight);
    for tok in text.split_whitespace() {
        let v = tok
            .parse::<usize>()
            .map_err(|_| CodeError::parse(path, line, field, format!("expected a number, found '{tok}'")))?;
        if v == 0 {
            continue;
        }
        if v > bound {
            return Err(CodeError::parse(path, line, field, format!("index {v} out of range 1..={bound}")));
        }
        if out.contains(&(v - 1)) {
            return Err(CodeError::parse(path, line, field, format!("index {v} listed twice")));
        }
        out.push(v - 1);
    }
    if out.len() != weight {
        return Err(CodeError::parse(
            path,
            line,
            field,
            format!("declared weight {weight}, found {} non-zero entries", out.len()),
        ));
    }
    Ok(out)
}
