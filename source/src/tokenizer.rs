//! Byte-level BPE tokenizer rebuilt from GGUF metadata (`tokenizer.ggml.*`).
//!
//! SmolLM2's GGUF says `tokenizer.ggml.model = gpt2`, `tokenizer.ggml.pre = smollm`: GPT-2
//! byte-level BPE whose pre-tokenizer first splits every digit into its own piece, then applies
//! the GPT-2 regex with no prefix space. candle's GGUF tokenizer ignores the `smollm` variant and
//! does not round-trip, so we build the pipeline with the `tokenizers` crate:
//! `Sequence[Digits(individual), ByteLevel(add_prefix_space=false, use_regex=true)]` + BPE over
//! `tokenizer.ggml.tokens` / `tokenizer.ggml.merges`.
//!
//! Losslessness: byte-level BPE maps every byte to one of 256 printable characters that are all in
//! the vocabulary, so any UTF-8 string tokenises without `<unk>`. Decoding is done here, not by
//! `tokenizers`: each token string is mapped back through the inverse byte table to raw bytes, so
//! `decode_bytes(encode(s)) == s.as_bytes()` exactly. Special tokens (e.g. `<|im_end|>`) are not
//! registered as added tokens, so text spelling them is tokenised as ordinary characters and the
//! special ids stay free for control symbols such as end-of-message.

use crate::SourceError;
use std::collections::HashMap;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{PreTokenizerWrapper, Tokenizer};

/// GPT-2's reversible byte → printable-character table.
fn bytes_to_chars() -> [char; 256] {
    let mut table = ['\0'; 256];
    let printable = |b: u32| (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
    let mut next = 256u32;
    for b in 0..256u32 {
        table[b as usize] = if printable(b) {
            char::from_u32(b).expect("latin-1")
        } else {
            let c = char::from_u32(next).expect("valid code point");
            next += 1;
            c
        };
    }
    table
}

/// Byte-level BPE tokenizer with exact byte decoding.
pub struct ByteLevelBpe {
    tokenizer: Tokenizer,
    /// Raw bytes of every token id.
    token_bytes: Vec<Vec<u8>>,
    /// Bytes with no single-byte token (SmolLM2 lacks control bytes 4, 6, 19, 20, 22, 29).
    missing: [bool; 256],
    /// Escape token for missing bytes: `escape` then three decimal-digit tokens (`"004"`).
    escape: Option<u32>,
    /// Token ids of the single characters '0'..='9'.
    digits: Option<[u32; 10]>,
}

impl std::fmt::Debug for ByteLevelBpe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ByteLevelBpe {{ vocab: {} }}", self.token_bytes.len())
    }
}

impl ByteLevelBpe {
    /// Build from the token list and merge rules (`"left right"` strings) of a GGUF file.
    /// `split_digits` selects the `smollm` pre-tokenizer (one digit per piece). `escape` is a
    /// special token id the BPE never produces, used to spell bytes that have no token of their
    /// own (required if any byte that can occur in UTF-8 text lacks a token).
    pub fn new(
        tokens: &[String],
        merges: &[String],
        split_digits: bool,
        escape: Option<u32>,
    ) -> Result<Self, SourceError> {
        let vocab: ahash::AHashMap<String, u32> =
            tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        let merges = merges
            .iter()
            .enumerate()
            .map(|(i, m)| {
                m.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())).ok_or_else(|| {
                    SourceError::Tokenizer(format!("tokenizer.ggml.merges[{i}] = {m:?} is not 'left right'"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| SourceError::Tokenizer(format!("building BPE: {e}")))?;
        let mut tokenizer = Tokenizer::new(bpe);
        let byte_level = ByteLevel::new(false, false, true);
        let mut pre: Vec<PreTokenizerWrapper> = Vec::new();
        if split_digits {
            pre.push(Digits::new(true).into());
        }
        pre.push(byte_level.into());
        tokenizer.with_pre_tokenizer(Some(Sequence::new(pre)));

        let char_to_byte: HashMap<char, u8> = bytes_to_chars().iter().enumerate().map(|(b, &c)| (c, b as u8)).collect();
        // Bytes without a single-character token must be escaped; bytes that never occur in
        // UTF-8 (0xC0, 0xC1, 0xF5..=0xFF) need nothing.
        let single: std::collections::HashSet<&str> = tokens.iter().map(|t| t.as_str()).collect();
        let mut missing = [false; 256];
        for (b, c) in bytes_to_chars().iter().enumerate() {
            missing[b] = !single.contains(c.to_string().as_str());
        }
        let utf8_missing: Vec<u8> =
            (0u8..=255).filter(|&b| missing[b as usize] && !matches!(b, 0xC0 | 0xC1 | 0xF5..=0xFF)).collect();
        let id_of = |t: &str| tokens.iter().position(|x| x == t).map(|i| i as u32);
        let digits: Option<[u32; 10]> = (0..10)
            .map(|d| id_of(&d.to_string()))
            .collect::<Option<Vec<u32>>>()
            .map(|v| v.try_into().expect("10 digits"));
        if !utf8_missing.is_empty() && (escape.is_none() || digits.is_none()) {
            return Err(SourceError::Tokenizer(format!(
                "vocabulary lacks byte-level tokens for bytes {utf8_missing:?} and has no escape token and digit tokens: not a usable byte-level BPE"
            )));
        }
        if let Some(e) = escape {
            if e as usize >= tokens.len() {
                return Err(SourceError::Tokenizer(format!("escape token {e} outside vocabulary")));
            }
        }
        let token_bytes = tokens
            .iter()
            .map(|t| {
                if t.chars().all(|c| char_to_byte.contains_key(&c)) {
                    t.chars().map(|c| char_to_byte[&c]).collect()
                } else {
                    // Special tokens such as <|im_end|> are plain text.
                    t.as_bytes().to_vec()
                }
            })
            .collect();
        Ok(Self { tokenizer, token_bytes, missing, escape, digits })
    }

    /// For each byte value, the id of the token that is exactly that byte (`None` where the
    /// vocabulary has none; the lowest id where several spell it).
    pub fn single_byte_tokens(&self) -> [Option<u32>; 256] {
        let mut table = [None; 256];
        for (id, bytes) in self.token_bytes.iter().enumerate() {
            if let [b] = bytes[..] {
                if !self.missing[b as usize] && table[b as usize].is_none() {
                    table[b as usize] = Some(id as u32);
                }
            }
        }
        table
    }

    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// Token ids of `text` (no special tokens added). Characters containing a byte without a
    /// token are spelled as `escape d d d` per byte.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, SourceError> {
        let mut ids = Vec::new();
        let mut run_start = 0;
        for (i, c) in text.char_indices() {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            if bytes.iter().any(|&b| self.missing[b as usize]) {
                self.encode_run(&text[run_start..i], &mut ids)?;
                let (escape, digits) = (self.escape.expect("checked in new"), self.digits.expect("checked in new"));
                for &b in bytes {
                    ids.extend([
                        escape,
                        digits[(b / 100) as usize],
                        digits[(b / 10 % 10) as usize],
                        digits[(b % 10) as usize],
                    ]);
                }
                run_start = i + c.len_utf8();
            }
        }
        self.encode_run(&text[run_start..], &mut ids)?;
        Ok(ids)
    }

    /// The escape spelling of one byte (`escape d d d`), if the vocabulary has an escape.
    pub fn escape_byte(&self, byte: u8) -> Option<[u32; 4]> {
        let (e, d) = (self.escape?, self.digits?);
        Some([e, d[(byte / 100) as usize], d[(byte / 10 % 10) as usize], d[(byte % 10) as usize]])
    }

    fn encode_run(&self, text: &str, ids: &mut Vec<u32>) -> Result<(), SourceError> {
        if text.is_empty() {
            return Ok(());
        }
        let enc = self.tokenizer.encode_fast(text, false).map_err(|e| SourceError::Tokenizer(e.to_string()))?;
        ids.extend_from_slice(enc.get_ids());
        Ok(())
    }

    /// Raw bytes of a token sequence; ids outside the vocabulary are skipped, and an escape
    /// not followed by three digits (corrupted input) decodes as its own text.
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < ids.len() {
            if let (Some(e), Some(digits)) = (self.escape, self.digits) {
                if ids[i] == e && i + 3 < ids.len() {
                    let value = ids[i + 1..i + 4]
                        .iter()
                        .try_fold(0u32, |acc, id| digits.iter().position(|d| d == id).map(|d| acc * 10 + d as u32));
                    if let Some(v) = value.filter(|&v| v < 256) {
                        out.push(v as u8);
                        i += 4;
                        continue;
                    }
                }
            }
            if let Some(bytes) = self.token_bytes.get(ids[i] as usize) {
                out.extend_from_slice(bytes);
            }
            i += 1;
        }
        out
    }

    /// SHA-256 of the vocabulary (every token's bytes, length-prefixed, in id order) and the
    /// escape: two tokenizers with the same digest turn text into the same ids.
    pub fn vocabulary_digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for t in &self.token_bytes {
            h.update((t.len() as u32).to_le_bytes());
            h.update(t);
        }
        h.update(format!("{:?}{:?}", self.escape, self.digits).as_bytes());
        h.finalize().into()
    }

    /// Text of a token sequence (lossy only where the bytes are not UTF-8, i.e. corrupted input).
    pub fn decode(&self, ids: &[u32]) -> String {
        String::from_utf8_lossy(&self.decode_bytes(ids)).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_is_a_bijection_with_gpt2_anchors() {
        let t = bytes_to_chars();
        let set: std::collections::HashSet<char> = t.iter().copied().collect();
        assert_eq!(set.len(), 256);
        assert_eq!(t[b' ' as usize], 'Ġ'); // U+0120, GPT-2's space
        assert_eq!(t[b'\n' as usize], 'Ċ'); // U+010A
        assert_eq!(t[b'a' as usize], 'a');
    }

    /// A toy byte-level vocabulary: all 256 byte tokens plus merges for "Ġt", "he", "Ġthe".
    fn toy() -> ByteLevelBpe {
        let mut tokens: Vec<String> = vec!["<|end|>".into()];
        tokens.extend(bytes_to_chars().iter().map(|c| c.to_string()));
        tokens.extend(["Ġt", "he", "Ġthe"].map(String::from));
        let merges: Vec<String> = ["Ġ t", "h e", "Ġt he"].map(String::from).to_vec();
        // Drop the token for byte 0x04 to exercise the escape (id 0 = "<|end|>" escapes).
        tokens[1 + 4] = "<unused>".into();
        ByteLevelBpe::new(&tokens, &merges, true, Some(0)).unwrap()
    }

    #[test]
    fn toy_bpe_applies_merges_and_splits_digits() {
        let bpe = toy();
        let ids = bpe.encode("a the").unwrap();
        assert_eq!(ids.len(), 2, "'a' + 'Ġthe': {ids:?}");
        assert_eq!(ids[1], 256 + 1 + 2);
        assert_eq!(bpe.encode("123").unwrap().len(), 3);
    }

    #[test]
    fn toy_round_trips_arbitrary_text() {
        let bpe = toy();
        for s in [
            "",
            " ",
            "  leading",
            "Mixed CASE, punct!?",
            "digits 0123456789",
            "naïve café — 東京 🙂",
            "tabs\tand\nnewlines\r\n  ",
            "<|end|>",
            "ctrl\u{4}\u{4}x\u{4}",
        ] {
            assert_eq!(bpe.decode(&bpe.encode(s).unwrap()), s);
        }
    }

    #[test]
    fn escaped_bytes_cost_four_tokens_and_survive_corruption() {
        let bpe = toy();
        assert_eq!(bpe.encode("\u{4}").unwrap(), vec![0, 1 + b'0' as u32, 1 + b'0' as u32, 1 + b'4' as u32]);
        // A dangling escape (corrupted stream) decodes as its literal text, no panic.
        assert_eq!(bpe.decode(&[0, 1 + b'9' as u32]), "<|end|>9");
        assert_eq!(bpe.decode(&[0, 1 + b'9' as u32, 1 + b'9' as u32, 1 + b'9' as u32]), "<|end|>999");
    }

    #[test]
    fn vocabulary_without_byte_tokens_is_rejected() {
        let tokens: Vec<String> = vec!["a".into(), "b".into()];
        let err = ByteLevelBpe::new(&tokens, &[], false, None).unwrap_err().to_string();
        assert!(err.contains("byte-level"), "{err}");
    }
}
