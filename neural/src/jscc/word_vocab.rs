//! The word vocabulary of DeepSC's Europarl data (`vocab.json`), and its text ↔ id mapping.
//!
//! DeepSC (Xie et al., TSP 2021; the authors' code) cleans each line (accents dropped, a space before
//! `! . ?`, every run of characters outside `[a-zA-Z.!?]` replaced by a space, whitespace collapsed,
//! lower case), then deletes `.` and `?`, splits on single spaces **keeping empty strings** and maps the
//! pieces through `vocab.json`, between `<START>` (1) and `<END>` (2). A sentence-final `" ."` hence
//! becomes the empty-string token (id 4): the token marks "a `.` or `?` was here".
//!
//! [`WordVocab::encode`] applies exactly that to any text (on the Europarl lines it reproduces the
//! pickled ids; a test checks it on the shipped split) and counts words missing from the vocabulary,
//! which map to `<UNK>` (3). [`WordVocab::decode`] joins the words with spaces and writes the empty
//! token as `.`: on Europarl that restores every sentence-final period, while a `?` comes back as `.`,
//! a real loss the JSCC schemes' scores carry.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

pub const PAD: u32 = 0;
pub const START: u32 = 1;
pub const END: u32 = 2;
pub const UNK: u32 = 3;
/// The empty-string token left where a `.` or `?` was deleted.
pub const EMPTY: u32 = 4;

/// Token list (id = position) and its inverse.
#[derive(Debug, Clone)]
pub struct WordVocab {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
}

/// One sentence as ids, with the number of words that were not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSentence {
    /// `<START> w1 … wn <END>`.
    pub ids: Vec<u32>,
    pub unknown_words: usize,
}

impl WordVocab {
    /// Builds a vocabulary from its tokens in id order; ids 0..4 must be the four specials.
    pub fn from_tokens(tokens: Vec<String>) -> Result<Self> {
        let specials = ["<PAD>", "<START>", "<END>", "<UNK>"];
        for (i, s) in specials.iter().enumerate() {
            if tokens.get(i).map(String::as_str) != Some(*s) {
                bail!("vocabulary id {i} must be `{s}`, found {:?}", tokens.get(i));
            }
        }
        let mut index = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            if index.insert(t.clone(), i as u32).is_some() {
                bail!("vocabulary lists `{t}` twice");
            }
        }
        Ok(Self { tokens, index })
    }

    /// Reads DeepSC's `vocab.json` (`{"token_to_idx": {token: id}}`, ids 0..V−1 each used once).
    pub fn from_json_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_json(&text).with_context(|| format!("{}: not a DeepSC vocabulary", path.display()))
    }

    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct File {
            token_to_idx: HashMap<String, u32>,
        }
        let file: File = serde_json::from_str(text).context("field `token_to_idx`")?;
        let n = file.token_to_idx.len();
        let mut tokens: Vec<Option<String>> = vec![None; n];
        for (t, id) in file.token_to_idx {
            let slot = tokens
                .get_mut(id as usize)
                .with_context(|| format!("token `{t}` has id {id}, beyond the {n} entries"))?;
            if slot.is_some() {
                bail!("id {id} is used twice");
            }
            *slot = Some(t);
        }
        Self::from_tokens(tokens.into_iter().map(|t| t.expect("n distinct ids below n fill every slot")).collect())
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// sha256 of the token list (one token per line): identifies the vocabulary a model was trained on.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for t in &self.tokens {
            h.update(t.as_bytes());
            h.update(b"\n");
        }
        format!("{:x}", h.finalize())
    }

    /// DeepSC's cleaning of one line (see the module doc).
    pub fn clean(text: &str) -> String {
        let mut spaced = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            if matches!(c, '!' | '.' | '?') {
                spaced.push(' ');
            }
            spaced.push(c);
        }
        let mut out = String::with_capacity(spaced.len());
        let mut pending_space = false;
        for c in spaced.chars() {
            // NFD + drop combining marks, for the Latin letters Europarl has; anything else is a separator.
            let c = fold_accent(c);
            if c.is_ascii_alphabetic() || matches!(c, '.' | '!' | '?') {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c.to_ascii_lowercase());
            } else {
                pending_space = true;
            }
        }
        out
    }

    /// Ids of `text` (cleaned first), between `<START>` and `<END>`.
    pub fn encode(&self, text: &str) -> EncodedSentence {
        let cleaned = Self::clean(text).replace(['.', '?'], "");
        let mut ids = vec![START];
        let mut unknown_words = 0;
        for piece in cleaned.split(' ') {
            match self.index.get(piece) {
                Some(&id) => ids.push(id),
                None => {
                    ids.push(UNK);
                    unknown_words += 1;
                }
            }
        }
        ids.push(END);
        EncodedSentence { ids, unknown_words }
    }

    /// Text of `ids`: stops at the first `<END>`, skips `<START>`/`<PAD>`, writes the empty token as
    /// `.`, unknown and out-of-range ids as `<UNK>`.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut words: Vec<&str> = Vec::new();
        for &id in ids {
            match id {
                END => break,
                START | PAD => {}
                EMPTY => words.push("."),
                _ => words.push(self.tokens.get(id as usize).map_or("<UNK>", String::as_str)),
            }
        }
        words.join(" ")
    }
}

/// The base letter of the accented Latin letters (what NFD + dropping combining marks gives).
fn fold_accent(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    const GROUPS: [(&str, char); 14] = [
        ("àáâãäåā", 'a'),
        ("ÀÁÂÃÄÅĀ", 'A'),
        ("èéêëēėę", 'e'),
        ("ÈÉÊËĒĖĘ", 'E'),
        ("ìíîïī", 'i'),
        ("ÌÍÎÏĪ", 'I'),
        ("òóôõöō", 'o'),
        ("ÒÓÔÕÖŌ", 'O'),
        ("ùúûüū", 'u'),
        ("ÙÚÛÜŪ", 'U'),
        ("çćč", 'c'),
        ("ÇĆČ", 'C'),
        ("ñń", 'n'),
        ("ÑŃ", 'N'),
    ];
    GROUPS.iter().find(|(set, _)| set.contains(c)).map_or(c, |&(_, base)| base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> WordVocab {
        let words = ["<PAD>", "<START>", "<END>", "<UNK>", "", "!", "a", "house", "rose", "the"];
        WordVocab::from_tokens(words.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    #[test]
    fn sentence_final_period_becomes_the_empty_token_and_comes_back() {
        let v = toy();
        let e = v.encode("the house rose .");
        assert_eq!(e.ids, vec![START, 9, 7, 8, EMPTY, END]);
        assert_eq!(e.unknown_words, 0);
        assert_eq!(v.decode(&e.ids), "the house rose .");
    }

    #[test]
    fn unseen_words_map_to_unk_and_are_counted() {
        let v = toy();
        let e = v.encode("The house collapsed!");
        // "collapsed" unknown; "!" is a token of its own.
        assert_eq!(e.ids, vec![START, 9, 7, UNK, 5, END]);
        assert_eq!(e.unknown_words, 1);
        assert_eq!(v.decode(&e.ids), "the house <UNK> !");
    }

    #[test]
    fn cleaning_follows_deepsc() {
        assert_eq!(WordVocab::clean("Mr Président, it's 1999?"), "mr president it s ?");
        // A space goes before `.`, not after it.
        assert_eq!(WordVocab::clean("  a..b  "), "a . .b");
    }

    #[test]
    fn decode_stops_at_end_and_survives_garbage() {
        let v = toy();
        assert_eq!(v.decode(&[START, 6, 7, END, 9, 9]), "a house");
        assert_eq!(v.decode(&[6, 99_999, PAD]), "a <UNK>");
    }

    #[test]
    fn malformed_vocabularies_are_refused() {
        assert!(
            WordVocab::from_json(r#"{"token_to_idx": {"<PAD>": 0, "<START>": 1, "<END>": 2, "<UNK>": 5}}"#).is_err()
        );
        assert!(
            WordVocab::from_json(r#"{"token_to_idx": {"<START>": 0, "<PAD>": 1, "<END>": 2, "<UNK>": 3}}"#).is_err()
        );
        assert!(WordVocab::from_json(r#"{"tokens": []}"#).is_err());
    }
}
