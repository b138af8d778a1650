//! GF(2) encoding: generators of every shipped code satisfy H·Gᵀ = 0, encoding is systematic on
//! `info_positions`, and the Hamming(7,4) code gives the textbook codewords.

use codes::{LdpcCode, SparseH};
use std::path::Path;

const FILES: [&str; 15] = [
    "LDPC_N49_K24.alist",
    "LDPC_N121_K60.alist",
    "LDPC_N121_K70.alist",
    "LDPC_N121_K80.alist",
    "MACKAY_N96_K48.alist",
    "CCSDS_N128_K64.alist",
    "BCH_N31_K16.txt",
    "BCH_N63_K36.txt",
    "BCH_N63_K45.txt",
    "BCH_N63_K51.txt",
    "POLAR_N64_K32.txt",
    "POLAR_N64_K48.txt",
    "POLAR_N128_K64.txt",
    "POLAR_N128_K86.txt",
    "POLAR_N128_K96.txt",
];

fn load(file: &str) -> LdpcCode {
    LdpcCode::from_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("matrices").join(file)).unwrap()
}

/// Textbook Hamming(7,4): column j of H is the binary expansion of j+1 (row 0 = least significant bit).
fn hamming74() -> LdpcCode {
    let checks = (0..3).map(|r| (0..7).filter(|j| ((j + 1) >> r) & 1 == 1).collect()).collect();
    LdpcCode::from_sparse(SparseH { n: 7, checks }, "hamming74").unwrap()
}

#[test]
fn generator_rows_are_codewords_for_every_shipped_code() {
    for file in FILES {
        let code = load(file);
        let g = code.generator();
        assert_eq!((g.rows(), g.cols()), (code.k(), code.n()), "{file}");
        let mut syn = vec![0u8; code.m()];
        for i in 0..code.k() {
            let row: Vec<u8> = (0..code.n()).map(|c| g.get(i, c) as u8).collect();
            code.syndrome(&row, &mut syn);
            assert!(syn.iter().all(|&s| s == 0), "{file}: row {i} of G violates H (H·Gᵀ ≠ 0)");
        }
        // G has full rank k: its pivot (info) columns carry an identity.
        for (i, &p) in code.info_positions().iter().enumerate() {
            for r in 0..code.k() {
                assert_eq!(g.get(r, p), r == i, "{file}: info column {p} is not a unit column");
            }
        }
    }
}

#[test]
fn unit_vectors_encode_to_generator_rows_and_info_is_systematic() {
    for file in FILES {
        let code = load(file);
        let (n, k) = (code.n(), code.k());
        let mut info = vec![0u8; k];
        let mut cw = vec![0u8; n];
        for i in 0..k {
            info.fill(0);
            info[i] = 1;
            code.encode(&info, &mut cw);
            let row: Vec<u8> = (0..n).map(|c| code.generator().get(i, c) as u8).collect();
            assert_eq!(cw, row, "{file}: e_{i}");
        }
        // pseudo-random infos: valid codewords carrying the info at info_positions, linear
        let mut state = 12345u64;
        let mut bit = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) & 1) as u8
        };
        let a: Vec<u8> = (0..k).map(|_| bit()).collect();
        let b: Vec<u8> = (0..k).map(|_| bit()).collect();
        let ab: Vec<u8> = a.iter().zip(&b).map(|(x, y)| x ^ y).collect();
        let (mut ca, mut cb, mut cab) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        code.encode(&a, &mut ca);
        code.encode(&b, &mut cb);
        code.encode(&ab, &mut cab);
        assert!(code.is_codeword(&ca), "{file}");
        let sum: Vec<u8> = ca.iter().zip(&cb).map(|(x, y)| x ^ y).collect();
        assert_eq!(sum, cab, "{file}: encoding is not linear");
        let mut back = vec![0u8; k];
        code.extract_info(&ca, &mut back);
        assert_eq!(back, a, "{file}");
        // batch == one by one
        let infos: Vec<u8> = a.iter().chain(&b).copied().collect();
        let mut batch = vec![0u8; 2 * n];
        code.encode_batch(&infos, &mut batch);
        assert_eq!(&batch[..n], &ca[..]);
        assert_eq!(&batch[n..], &cb[..]);
    }
}

#[test]
fn codes_whose_first_k_columns_are_an_information_set_put_info_first() {
    for file in ["MACKAY_N96_K48.alist", "CCSDS_N128_K64.alist", "BCH_N31_K16.txt", "BCH_N63_K51.txt"] {
        let code = load(file);
        assert!(code.info_positions().iter().copied().eq(0..code.k()), "{file}");
    }
    // LDPC_N49_K24: columns 22..24 depend on earlier ones, so the earliest information set skips them.
    let code = load("LDPC_N49_K24.alist");
    let expected: Vec<usize> = (0..22).chain([28, 35]).collect();
    assert_eq!(code.info_positions(), &expected[..]);
}

#[test]
fn hamming74_textbook_codewords() {
    let code = hamming74();
    assert_eq!((code.n(), code.k(), code.rank()), (7, 4, 3));
    let mut all: Vec<String> = (0..16u8)
        .map(|v| {
            let info: Vec<u8> = (0..4).map(|i| (v >> i) & 1).collect();
            let mut cw = [0u8; 7];
            code.encode(&info, &mut cw);
            cw.iter().map(|b| char::from(b'0' + b)).collect()
        })
        .collect();
    all.sort();
    // The 16 codewords of this Hamming code: 0, the 7 lines of the Fano plane {a, b, a^b}
    // (positions 1..7), their complements, and all-ones.
    let lines = [[1, 2, 3], [1, 4, 5], [1, 6, 7], [2, 4, 6], [2, 5, 7], [3, 4, 7], [3, 5, 6]];
    let mut expected = vec!["0000000".to_string(), "1111111".to_string()];
    for l in lines {
        let w3: String = (1..=7).map(|p| if l.contains(&p) { '1' } else { '0' }).collect();
        let w4: String = w3.chars().map(|c| if c == '1' { '0' } else { '1' }).collect();
        expected.push(w3);
        expected.push(w4);
    }
    expected.sort();
    assert_eq!(all, expected);
    assert!(code.is_codeword(&[1, 1, 1, 0, 0, 0, 0]));
    assert!(!code.is_codeword(&[1, 1, 0, 0, 0, 0, 0]));
    let mut syn = [0u8; 3];
    code.syndrome(&[0, 0, 0, 0, 1, 0, 0], &mut syn); // error at position 5 = 0b101
    assert_eq!(syn, [1, 0, 1]);
}
