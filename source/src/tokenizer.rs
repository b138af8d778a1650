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
}

impl std::fmt::Debug for ByteLevelBpe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ByteLevelBpe {{ vocab: {} }}", self.token_bytes.len())
    }
}

impl ByteLevelBpe {
    /// Build from the token list and merge rules (`"left right"` strings) of a GGUF file.
    /// `split_digits` selects the `smollm` pre-tokenizer (one digit per piece).
    pub fn new(tokens: &[String], merges: &[String], split_digits: bool) -> Result<Self, SourceError> {
        let vocab: ahash::AHashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let merges = merges
            .iter()
            .enumerate()
            .map(|(i, m)| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| SourceError::Tokenizer(format!("tokenizer.ggml.merges[{i}] = {m:?} is not 'left right'")))
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

        let char_to_byte: HashMap<char, u8> =
            bytes_to_chars().iter().enumerate().map(|(b, &c)| (c, b as u8)).collect();
        // Every byte must have a single-character token, or some text could not be encoded.
        let single: std::collections::HashSet<&str> = tokens.iter().map(|t| t.as_str()).collect();
        let missing: Vec<u8> = bytes_to_chars()
            .iter()
            .enumerate()
            .filter(|(_, c)| !single.contains(c.to_string().as_str()))
            .map(|(b, _)| b as u8)
            .collect();
        if !missing.is_empty() {
            return Err(SourceError::Tokenizer(format!(
                "vocabulary lacks byte-level tokens for bytes {missing:?}: not a byte-level BPE"
            )));
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
        Ok(Self { tokenizer, token_bytes })
    }

    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// Token ids of `text` (no special tokens added).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, SourceError> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let enc = self
            .tokenizer
            .encode_fast(text, false)
            .map_err(|e| SourceError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Raw bytes of a token sequence; ids outside the vocabulary are skipped.
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        ids.iter()
            .filter_map(|&id| self.token_bytes.get(id as usize))
            .flatten()
            .copied()
            .collect()
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
        ByteLevelBpe::new(&tokens, &merges, true).unwrap()
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
        for s in ["", " ", "  leading", "Mixed CASE, punct!?", "digits 0123456789", "naïve café — 東京 🙂", "tabs\tand\nnewlines\r\n  ", "<|end|>"] {
            assert_eq!(bpe.decode(&bpe.encode(s).unwrap()), s);
        }
    }

    #[test]
    fn vocabulary_without_byte_tokens_is_rejected() {
        let tokens: Vec<String> = vec!["a".into(), "b".into()];
        let err = ByteLevelBpe::new(&tokens, &[], false).unwrap_err().to_string();
        assert!(err.contains("byte-level"), "{err}");
    }
}
