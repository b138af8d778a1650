//! The message set's source encodings: computed once per run and source coder ([`EncodingStore`]),
//! and kept beside the results so a resumed run does not encode the set again (minutes with SmolLM2
//! on a CPU).
//!
//! `DIR/encodings/<source>.bits`: a header line naming the coder, the number of messages, the
//! SHA-256 of the messages and the SHA-256 of the payload lines, then one line of `0`/`1` per
//! message. A file is reused only if its header matches the run and its payload lines, *and*
//! re-encoding the first message gives the stored bits (which catches a coder whose weights changed
//! under the same name); otherwise the set is encoded again and the file replaced atomically.
//!
//! Image tiles and audio frames are encoded in seconds, so their coders keep their encoding in
//! memory only ([`EncodedOnce`]), shared by every scheme that uses the coder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use source::{Bits, SourceCoder};

use super::framing::Framer;
use crate::link::events::{Event, Sink};
use crate::link::text::messages::TextSet;
use crate::report::write_atomic;

/// A message set encoded by one source coder.
#[derive(Debug, Clone)]
pub struct EncodedMessages {
    pub payloads: Vec<Bits>,
}

impl EncodedMessages {
    /// Encodes every message; a message too long for the length header is an error naming its line.
    pub fn encode(coder: &dyn SourceCoder, messages: &TextSet, max_payload_bits: usize) -> anyhow::Result<Self> {
        let refs: Vec<&str> = messages.texts.iter().map(String::as_str).collect();
        let payloads = coder
            .encode_batch(&refs)
            .map_err(|e| anyhow::anyhow!("{}: {}: {e}", messages.path.display(), coder.name()))?;
        let e = EncodedMessages { payloads };
        e.check_fits(coder, messages, max_payload_bits)?;
        Ok(e)
    }

    /// Refuses a payload longer than the length header can describe, naming its line.
    pub fn check_fits(
        &self,
        coder: &dyn SourceCoder,
        messages: &TextSet,
        max_payload_bits: usize,
    ) -> anyhow::Result<()> {
        if let Some((i, p)) = self.payloads.iter().enumerate().find(|(_, p)| p.len() > max_payload_bits) {
            anyhow::bail!(
                "{}:{}: {} codes this message in {} bits, more than the length header can describe ({max_payload_bits}); \
                 raise framing.length_bits",
                messages.path.display(),
                messages.lines[i],
                coder.name(),
                p.len()
            );
        }
        Ok(())
    }

    pub fn total_bits(&self) -> usize {
        self.payloads.iter().map(Vec::len).sum()
    }
}

/// A coder's encoding of the last message set it was asked for, keyed by the set's sha256: the
/// schemes of a scenario that share a coder encode its set once.
#[derive(Default)]
pub struct EncodedOnce(Mutex<Option<(String, Arc<Vec<Bits>>)>>);

impl EncodedOnce {
    /// The streams of the set whose sha256 is `key`: the kept ones, or `encode`'s (then kept).
    pub fn get_or_encode(&self, key: String, encode: impl FnOnce() -> Vec<Bits>) -> Arc<Vec<Bits>> {
        match self.try_get_or_encode(key, || Ok::<_, std::convert::Infallible>(encode())) {
            Ok(streams) => streams,
            Err(never) => match never {},
        }
    }

    /// [`EncodedOnce::get_or_encode`] with an encoding that can fail (nothing is kept then).
    pub fn try_get_or_encode<E>(
        &self,
        key: String,
        encode: impl FnOnce() -> Result<Vec<Bits>, E>,
    ) -> Result<Arc<Vec<Bits>>, E> {
        let mut kept = self.0.lock().expect("no panic while encoding");
        if let Some((k, streams)) = kept.as_ref() {
            if *k == key {
                return Ok(streams.clone());
            }
        }
        let streams = Arc::new(encode()?);
        *kept = Some((key, streams.clone()));
        Ok(streams)
    }
}

/// The encodings of one run, by source key: each source coder encodes the message set once, however
/// many schemes use it, through the results folder's cache.
pub struct EncodingStore {
    out_dir: PathBuf,
    max_payload_bits: usize,
    by_key: BTreeMap<String, Arc<EncodedMessages>>,
}

impl EncodingStore {
    /// Encodings cached in `out_dir/encodings/`, payloads limited to what a `length_bits` header
    /// describes.
    pub fn new(out_dir: &Path, length_bits: u32) -> Self {
        let max_payload_bits = Framer::new(1, length_bits).max_payload_bits();
        EncodingStore { out_dir: out_dir.to_path_buf(), max_payload_bits, by_key: BTreeMap::new() }
    }

    /// The message set encoded by `coder` (whose identity is `key`).
    pub fn encoded(
        &mut self,
        key: &str,
        coder: &dyn SourceCoder,
        messages: &TextSet,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<Arc<EncodedMessages>> {
        if let Some(e) = self.by_key.get(key) {
            return Ok(e.clone());
        }
        let started = std::time::Instant::now();
        let name = coder.name();
        sink.event(Event::Encoding { coder: &name, messages: messages.len() });
        let (e, cached) = load_or_encode(&self.out_dir, key, coder, messages, self.max_payload_bits)?;
        sink.event(Event::Encoded {
            coder: &name,
            bits_per_char: e.total_bits() as f64 / messages.chars() as f64,
            bits_per_message: e.total_bits() as f64 / messages.len() as f64,
            seconds: started.elapsed().as_secs_f64(),
            cached,
        });
        let e = Arc::new(e);
        self.by_key.insert(key.to_string(), e.clone());
        Ok(e)
    }
}

fn header(coder: &dyn SourceCoder, messages: &TextSet) -> String {
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

/// The header line of a cache file holding `body`: what encoded which messages, and a checksum of
/// the payload lines themselves.
fn header_with_checksum(coder: &dyn SourceCoder, messages: &TextSet, body: &str) -> String {
    format!("{} payload_sha256={:x}", header(coder, messages), Sha256::digest(body.as_bytes()))
}

/// The stored encodings of `messages` by `coder`, if present and still valid: the header names this
/// coder and these messages, the payload lines match their checksum (a flipped bit anywhere is
/// caught), and re-encoding the first message gives its stored bits (weights changed under the
/// same name are caught).
fn load(path: &Path, coder: &dyn SourceCoder, messages: &TextSet) -> Option<EncodedMessages> {
    let text = std::fs::read_to_string(path).ok()?;
    let (head, body) = text.split_once('\n')?;
    if head != header_with_checksum(coder, messages, body) {
        return None;
    }
    let payloads: Vec<Vec<u8>> = body
        .lines()
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
    messages: &TextSet,
    max_payload_bits: usize,
) -> anyhow::Result<(EncodedMessages, bool)> {
    let path = path_for(dir, key);
    if let Some(e) = load(&path, coder, messages) {
        e.check_fits(coder, messages, max_payload_bits)?;
        return Ok((e, true));
    }
    let e = EncodedMessages::encode(coder, messages, max_payload_bits)?;
    let mut body = String::new();
    for p in &e.payloads {
        body.extend(p.iter().map(|&b| if b == 0 { '0' } else { '1' }));
        body.push('\n');
    }
    let out = format!("{}\n{body}", header_with_checksum(coder, messages, &body));
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
        let messages = TextSet { path: "m.txt".into(), texts: vec!["a b".into(), "c d a".into()], lines: vec![1, 2] };
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
        // One bit flipped in a later message (which re-encoding the first cannot see) fails the
        // checksum: encoded again, never used.
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let last = lines.len() - 1;
        lines[last] = lines[last]
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    if c == '0' {
                        '1'
                    } else {
                        '0'
                    }
                } else {
                    c
                }
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        assert!(!load_or_encode(dir.path(), "huffman", &coder, &messages, 2047).unwrap().1);
        assert!(load_or_encode(dir.path(), "huffman", &coder, &messages, 2047).unwrap().1, "rewritten whole");
        // Other messages, or a header that cannot describe them, are not served from the cache.
        let other = TextSet { texts: vec!["a b".into(), "d".into()], ..messages.clone() };
        assert!(!load_or_encode(dir.path(), "huffman", &coder, &other, 2047).unwrap().1);
        assert!(load_or_encode(dir.path(), "huffman", &coder, &other, 1).unwrap_err().to_string().contains("m.txt:1"));
    }
}
