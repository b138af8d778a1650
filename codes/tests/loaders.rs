//! Loading every shipped matrix, checking its dimensions against SOURCE.md's table, and checking
//! that malformed files give located errors instead of panics.

use codes::{CodeError, LdpcCode};
use std::path::{Path, PathBuf};

fn matrix(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices").join(name)
}

/// (file, n, rows, rank, k) from codes/matrices/SOURCE.md.
const TABLE: [(&str, usize, usize, usize, usize); 15] = [
    ("LDPC_N49_K24.alist", 49, 28, 25, 24),
    ("LDPC_N121_K60.alist", 121, 66, 61, 60),
    ("LDPC_N121_K70.alist", 121, 55, 51, 70),
    ("LDPC_N121_K80.alist", 121, 44, 41, 80),
    ("MACKAY_N96_K48.alist", 96, 48, 48, 48),
    ("CCSDS_N128_K64.alist", 128, 64, 64, 64),
    ("BCH_N31_K16.txt", 31, 15, 15, 16),
    ("BCH_N63_K36.txt", 63, 27, 27, 36),
    ("BCH_N63_K45.txt", 63, 18, 18, 45),
    ("BCH_N63_K51.txt", 63, 12, 12, 51),
    ("POLAR_N64_K32.txt", 64, 32, 32, 32),
    ("POLAR_N64_K48.txt", 64, 16, 16, 48),
    ("POLAR_N128_K64.txt", 128, 64, 64, 64),
    ("POLAR_N128_K86.txt", 128, 42, 42, 86),
    ("POLAR_N128_K96.txt", 128, 32, 32, 96),
];

#[test]
fn every_shipped_matrix_matches_the_source_table() {
    for (file, n, rows, rank, k) in TABLE {
        let code = LdpcCode::from_file(matrix(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((code.n(), code.m(), code.rank(), code.k()), (n, rows, rank, k), "{file}");
        assert!((code.rate() - k as f64 / n as f64).abs() < 1e-12);
        assert_eq!(code.name(), file.split('.').next().unwrap());
        // the two adjacency views describe the same matrix
        let edges: usize = code.bits().iter().map(Vec::len).sum();
        assert_eq!(edges, code.edges(), "{file}");
        for (c, rows) in code.bits().iter().enumerate() {
            for &r in rows {
                assert!(code.checks()[r].contains(&c), "{file}: column {c} row {r}");
            }
        }
    }
}

#[test]
fn regular_ldpc_degree_profiles() {
    let code = LdpcCode::from_file(matrix("LDPC_N49_K24.alist")).unwrap();
    let p = code.degree_profile();
    assert_eq!(p.variable, vec![(4, 49)]);
    assert_eq!(p.check, vec![(7, 28)]);
    let ccsds = LdpcCode::from_file(matrix("CCSDS_N128_K64.alist")).unwrap().degree_profile();
    assert_eq!(ccsds.variable, vec![(3, 64), (5, 64)]);
    assert_eq!(ccsds.check, vec![(8, 64)]);
    let info = code.info();
    for needle in ["n = 49", "k = 24", "rows = 28", "rank = 25", "rate = 0.4898", "49×4", "28×7"] {
        assert!(info.contains(needle), "info() lacks '{needle}':\n{info}");
    }
}

#[test]
fn first_column_lines_of_ldpc_n49_are_read_one_based() {
    // Column 1's line in the file is "1 8 15 22": rows 0, 7, 14, 21 after conversion.
    let code = LdpcCode::from_file(matrix("LDPC_N49_K24.alist")).unwrap();
    assert_eq!(code.bits()[0], vec![0, 7, 14, 21]);
    // Row 1's line is "1 8 15 22 29 36 43".
    assert_eq!(code.checks()[0], vec![0, 7, 14, 21, 28, 35, 42]);
}

#[test]
fn dense_reader_matches_bch_first_row() {
    let code = LdpcCode::from_file(matrix("BCH_N31_K16.txt")).unwrap();
    // "1 0 0 0 1 1 1 1 0 0 0 0 1 0 0 1 1 0 ..." (first line of the file)
    assert_eq!(code.checks()[0], vec![0, 4, 5, 6, 7, 12, 15, 16]);
}

#[test]
fn fingerprint_is_pinned_and_sensitive() {
    let code = LdpcCode::from_file(matrix("LDPC_N49_K24.alist")).unwrap();
    // Pinned: trained models store this value; changing the hash breaks them.
    assert_eq!(code.fingerprint(), 0x2fa5d2bd597cc548);
    let again = LdpcCode::from_file(matrix("LDPC_N49_K24.alist")).unwrap();
    assert_eq!(code.fingerprint(), again.fingerprint());
    let mut checks = code.checks().to_vec();
    checks[5][0] ^= 1; // move one edge
    let moved = LdpcCode::from_sparse(codes::SparseH { n: 49, checks }, "moved").unwrap();
    assert_ne!(moved.fingerprint(), code.fingerprint());
    let mut fps: Vec<u64> = TABLE.iter().map(|t| LdpcCode::from_file(matrix(t.0)).unwrap().fingerprint()).collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), TABLE.len());
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lmsscc-codes-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

const SMALL_ALIST: &str = "3 2\n2 2\n1 2 1\n2 2\n1 0\n1 2\n2 0\n1 2\n2 3\n";

#[test]
fn small_alist_with_padding_and_blank_trailing_lines() {
    let code = LdpcCode::from_file(temp_file("ok.alist", &format!("{SMALL_ALIST}\n\n"))).unwrap();
    assert_eq!(code.checks(), &[vec![0, 1], vec![1, 2]]);
    assert_eq!((code.n(), code.k()), (3, 1));
}

#[test]
fn dense_with_trailing_spaces_and_no_final_newline() {
    let code = LdpcCode::from_file(temp_file("ok.txt", "1 1 0 \n0 1 1 ")).unwrap();
    assert_eq!(code.checks(), &[vec![0, 1], vec![1, 2]]);
}

#[test]
fn reader_falls_back_on_content() {
    let a = LdpcCode::from_file(temp_file("noext_a", SMALL_ALIST)).unwrap();
    let d = LdpcCode::from_file(temp_file("noext_d.h", "1 1 0\n0 1 1\n")).unwrap();
    assert_eq!(a.checks(), d.checks());
}

fn error_of(name: &str, content: &str) -> String {
    match LdpcCode::from_file(temp_file(name, content)) {
        Ok(_) => panic!("{name}: malformed file accepted:\n{content}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_file_line_and_field() {
    let e = error_of("bad_weight.alist", "3 2\n2 2\n1 q 1\n2 2\n1\n1 2\n2\n1 2\n2 3\n");
    assert!(e.contains("bad_weight.alist:3: column weight of column 2: expected a number, found 'q'"), "{e}");
    let e = error_of("bad_index.alist", "3 2\n2 2\n1 2 1\n2 2\n1\n1 5\n2\n1 2\n2 3\n");
    assert!(e.contains("bad_index.alist:6: row list of column 2: index 5 out of range 1..=2"), "{e}");
    let e = error_of("disagree.alist", "3 2\n2 2\n1 2 1\n2 2\n1\n1 2\n2\n1 3\n2 3\n");
    assert!(e.contains("disagree.alist:8: column list of row 1: row section disagrees"), "{e}");
    let e = error_of("short.alist", "3 2\n2 2\n1 2 1\n2 2\n1\n1 2\n");
    assert!(e.contains("short.alist: file ends before the row list of column 3"), "{e}");
    let e = error_of("weight.alist", "3 2\n2 2\n1 2 1\n2 2\n1 2\n1 2\n2\n1 2\n2 3\n");
    assert!(e.contains("weight.alist:5: row list of column 1: declared weight 1, found 2"), "{e}");
    let e = error_of("bad.txt", "1 0 1\n0 2 1\n");
    assert!(e.contains("bad.txt:2: entry 2 of row 2: expected 0 or 1, found '2'"), "{e}");
    let e = error_of("ragged.txt", "1 0 1\n\n0 1\n");
    assert!(e.contains("ragged.txt:3: row 2: expected 3 entries like the first row, found 2"), "{e}");
    let e = error_of("empty.txt", "  \n\n");
    assert!(e.contains("empty.txt: no matrix rows found"), "{e}");
    let missing = LdpcCode::from_file("/nonexistent/dir/x.alist").unwrap_err();
    assert!(matches!(missing, CodeError::Io { .. }));
    assert!(missing.to_string().contains("/nonexistent/dir/x.alist"));
}

/// Deterministic corruption of real files (byte flips, truncations, deletions, insertions): the
/// reader must return Ok or Err, never panic; any accepted result must be a consistent code.
#[test]
fn corrupted_files_never_panic() {
    let originals =
        [std::fs::read(matrix("LDPC_N49_K24.alist")).unwrap(), std::fs::read(matrix("BCH_N31_K16.txt")).unwrap()];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let junk = b"0123456789 \n\t-q.\xff";
    let mut errors = 0;
    for (i, orig) in originals.iter().enumerate() {
        for trial in 0..300 {
            let mut bytes = orig.clone();
            for _ in 0..1 + next() % 3 {
                let pos = (next() as usize) % bytes.len().max(1);
                match next() % 4 {
                    0 => bytes[pos] = junk[(next() as usize) % junk.len()],
                    1 => bytes.truncate(pos),
                    2 => {
                        bytes.remove(pos.min(bytes.len().saturating_sub(1)));
                    }
                    _ => bytes.insert(pos, junk[(next() as usize) % junk.len()]),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let ext = if i == 0 { "alist" } else { "txt" };
            let path = temp_file(&format!("fuzz_{i}_{trial}.{ext}"), "");
            std::fs::write(&path, &bytes).unwrap();
            match LdpcCode::from_file(&path) {
                Ok(code) => assert_eq!(code.k() + code.rank(), code.n()),
                Err(e) => {
                    errors += 1;
                    assert!(e.to_string().contains(&format!("fuzz_{i}_{trial}.{ext}")), "{e}");
                }
            }
            std::fs::remove_file(&path).ok();
        }
    }
    assert!(errors > 300, "corruptions should mostly be detected, only {errors} were");
}
