//! Source encodings kept beside the results, so a resumed run does not encode the text set again
//! (minutes with SmolLM2 on a CPU).
//!
//! `DIR/encodings/<source>.bits`: a header line naming the coder, the number of messages and the
//! SHA-256 of the messages, then one line of `0`/`1` per message. A file is reused only if its
//! header matches the run *and* re-encoding the first message gives the stored bits (which catches
//! a coder whose weights changed under the same name); otherwise the set is encoded again and the
//! file replaced atomically.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use source::SourceCoder;

use super::messages::MessageSet;
use super::text_engine::EncodedMessages;
use crate::report::write_atomic;

fn header(coder: &dyn SourceCoder, messages: &MessageSet) -> String {
    let mut h = Sha256::new();
    for t in &messages.texts {
        h.update(t.as_bytes());
        h.update([b'\n']);
    }
    let digest: String = format!("{:x}", h.finalize());
    format!("# coder={} messages={} sha256={digest}", coder.name(), messages.len())
}

fn path_for(dir: &Path, key: &str) -> PathBuf {
    let safe: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    dir.join("encodings").join(format!("{safe}.bits"))
}

/// The stored encodings of `messages` by `coder`, if present and still valid.
fn load(path: &Path, coder: &dyn SourceCoder, messages: &MessageSet) -> Option<EncodedMessages> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != header(coder, messages) {
        return None;
    }
    let payloads: Vec<Vec<u8>> = lines
        .map(|l| {
            l.bytes()
                .map(|b| match b {
                    b'0' => Some(0u8),
                    b'1' => Some(1u8),
                    _ => None,
                })
                .collect::<Option<Vec<u8>>>()
        })
        .collect::<Option<Vec<_>>>()?;
    if payloads.len() != messages.len() || coder.encode(&messages.texts[0]).ok()? != payloads[0] {
        return None;
    }
    Some(EncodedMessages { payloads })
}

/// Encodings of `messages` by `coder`, from `dir`'s cache when valid, else computed and stored.
/// Returns whether the cache was used.
pub fn load_or_encode(
    dir: &Path,
    key: &str,
    coder: &dyn SourceCoder,
    messages: &MessageSet,
    max_payload_bits: usize,
) -> anyhow::Result<(EncodedMessages, bool)> {
    let path = path_for(dir, key);
    if let Some(e) = load(&path, coder, messages) {
        e.check_fits(coder, messages, max_payload_bits)?;
        return Ok((e, true));
    }
    let e = EncodedMessages::encode(coder, messages, max_payload_bits)?;
    let mut out = header(coder, messages);
    for p in &e.payloads {
        out.push('\n');
        out.extend(p.iter().map(|&b| if b == 0 { '0' } else { '1' }));
    }
    out.push('\n');
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    write_atomic(&path, out.as_bytes())?;
    Ok((e, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use source::huffman::HuffmanWordCoder;

    #[test]
    fn reuses_valid_encodings_and_redoes_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let coder = HuffmanWordCoder::from_sentences(["a b c", "b c d", "a a"], 1).unwrap();
        let messages =
            MessageSet { path: "m.txt".into(), texts: vec!["a b".into(), "c d a".into()], lines: vec![1, 2] };
        let (first, cached) = load_or_encode(dir.path(), "huffman", &coder, &messages, 2047).unwrap();
        assert!(!cached);
        let (again, cached) = load_or_encode(dir.path(), "huffman", &coder, &messages, 2047).unwrap();
        assert!(cached);
        assert_eq!(first.payloads, again.payloads);
        // A file whose first message no longer matches the coder is stale: encode again.
        let path = path_for(dir.path(), "huffman");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines[1] = lines[1].chars().map(|c| if c == '0' { '1' } else { '0' }).collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (redone, cached) = load_or_encode(dir.path(), "huffman", &coder, &messages, 2047).unwrap();
        assert!(!cached);
        assert_eq!(redone.payloads, first.payloads);
        // Other messages, or a header that cannot describe them, are not served from the cache.
        let other = MessageSet { texts: vec!["a b".into(), "d".into()], ..messages.clone() };
        assert!(!load_or_encode(dir.path(), "huffman", &coder, &other, 2047).unwrap().1);
        assert!(load_or_encode(dir.path(), "huffman", &coder, &other, 1).unwrap_err().to_string().contains("m.txt:1"));
    }
}
