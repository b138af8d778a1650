//! The embedded small byte-level LM coder (`small-lm-ac`) end to end: byte-exact round trips on
//! Europarl test sentences and on awkward text, compression against the reference coders, and
//! corrupted frames. Needs no download (the weights are compiled in).

use source::coder::{SourceCoder, StopReason};
use source::small_lm::SmallLmCoder;

fn europarl_file(name: &str) -> Option<String> {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [here.join("../../shared/data/europarl"), here.join("../shared/data/europarl"), here.join("../data/europarl")]
        .iter()
        .find_map(|d| std::fs::read_to_string(d.join(name)).ok())
}

const MIXED: &[&str] = &[
    "Hello, World! How are you?",
    "The European Parliament adopted Resolution 2024/123 (vote: 451-102-30).",
    "naïve café — déjà vu; Zürich, Ελλάδα, 東京, Москва",
    "emoji 🙂🚀 and ZWJ 👨‍👩‍👧 sequences",
    "   leading spaces, trailing spaces   ",
    "tabs\tand\nnew\r\nlines",
    "digits 0123456789 3.14159 1,000,000",
    "",
    " ",
    "ALL CAPS SHOUTING!!! and MiXeD cAsE",
    "\u{0}\u{1}\u{1b}[31m control \u{7f}",
];

#[test]
fn europarl_and_mixed_text_round_trip_byte_exact() {
    let coder = SmallLmCoder::embedded().unwrap();
    let Some(test) = europarl_file("test_sentences.txt") else {
        eprintln!("skipping the Europarl part: shared/data/europarl not found");
        return;
    };
    let sentences: Vec<&str> = test.lines().take(400).collect();
    let all: Vec<&str> = sentences.iter().copied().chain(MIXED.iter().copied()).collect();
    let frames = coder.encode_batch(&all).unwrap();
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let decoded = coder.decode_batch(&refs);
    for (d, m) in decoded.iter().zip(&all) {
        assert_eq!(d.stop, StopReason::EndOfMessage, "{m:?}");
        assert_eq!(&d.text, m);
    }
    let bits: usize = frames[..sentences.len()].iter().map(Vec::len).sum();
    let chars: usize = sentences.iter().map(|s| s.chars().count()).sum();
    let bpc = bits as f64 / chars as f64;
    eprintln!("small-lm-ac: {bpc:.3} bits/char on {} Europarl test sentences", sentences.len());
    // Shipped model: 1.58 on the whole test set; word Huffman 1.80, zstd 6.7 (source/README.md).
    assert!(bpc < 1.75, "{bpc} bits/char");
}

#[test]
fn bit_flipped_frames_never_panic_and_stay_bounded() {
    use rand::{Rng, SeedableRng};
    let mut coder = SmallLmCoder::embedded().unwrap();
    coder.max_symbols = 256;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let msgs = ["i therefore call on the commission to intervene in this matter .", "Ünïcödé 🎉", ""];
    let started = std::time::Instant::now();
    let mut intact = 0;
    for trial in 0..600 {
        let msg = msgs[trial % msgs.len()];
        let mut bits = coder.encode(msg).unwrap();
        for _ in 0..1 + trial % 3 {
            let i = rng.random_range(0..bits.len());
            bits[i] ^= 1;
        }
        let d = coder.decode(&bits);
        assert!(d.symbols <= 256);
        intact += usize::from(d.complete() && d.text == msg);
    }
    assert!(intact < 300, "{intact} of 600 corrupted frames decoded unchanged");
    assert!(started.elapsed() < std::time::Duration::from_secs(180));
}
