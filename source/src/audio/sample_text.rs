//! A text LLM on audio written as numbers: each 8-bit sample as the signed decimal `b − 128`,
//! separated by commas (`0,-1,2,0,…`), the representation LLMTime (Gruver et al., "Large Language
//! Models Are Zero-Shot Time Series Forecasters", NeurIPS 2023) gives a pretrained LLM, here for
//! lossless coding.
//!
//! Each 2,048-byte chunk of Delétang et al.'s protocol ([`crate::audio::byte_lm`]) is written as
//! text and coded alone by the file coder ([`crate::file_coder::FileCoder`], one lane per chunk,
//! its context window sliding inside the chunk as in `sim compress`). SmolLM2's tokenizer splits
//! digits, so a sample costs a token per digit, one for a minus sign and one for the comma: about
//! 2 tokens a sample on quiet speech, twice the steps of the byte spelling. The code is the
//! arithmetic coder's bits plus the chunk's token count ([`COUNT_BYTES`] bytes), which the
//! decoder needs to stop.
//!
//! Measured on the first chunk of each held-out clip (10 KB, SmolLM2-135M; `cargo run --release
//! -p lmsscc-source --example audio_llm_trials -- text 1`): comma-separated
//! 8.35 % of the raw size, space-separated 9.82 %, bytes spelled as digits
//! ([`crate::audio::byte_lm::DIGIT_OFFSET`]) 9.85 %, zstd -19 10.67 %.

use crate::file_coder::FileCoder;
use crate::SourceError;

/// Bytes a chunk's code spends on its token count.
pub const COUNT_BYTES: usize = 2;

/// One chunk's code: the arithmetic coder's bits (one `u8` per bit) and the token count.
pub struct TextCode {
    pub bits: Vec<u8>,
    pub tokens: usize,
}

impl TextCode {
    /// Packed size in bytes, the token count included.
    pub fn bytes(&self) -> usize {
        self.bits.len().div_ceil(8) + COUNT_BYTES
    }
}

/// `bytes` (8-bit samples, silence at 128) as comma-separated signed decimals.
pub fn samples_as_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&(b as i32 - 128).to_string());
    }
    text
}

/// The 8-bit samples of text written by [`samples_as_text`] (`None` if it is not such text).
pub fn text_to_samples(text: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',')
        .map(|t| t.parse::<i32>().ok().filter(|v| (-128..128).contains(v)).map(|v| (v + 128) as u8))
        .collect()
}

/// Code each chunk alone (in parallel).
pub fn encode_text_chunks(coder: &FileCoder, chunks: &[&[u8]]) -> Result<Vec<TextCode>, SourceError> {
    let ids: Vec<Vec<u32>> =
        chunks.iter().map(|c| coder.tokenize(samples_as_text(c).as_bytes())).collect::<Result<_, _>>()?;
    if let Some(long) = ids.iter().find(|i| i.len() >= 1 << (8 * COUNT_BYTES)) {
        return Err(SourceError::Unsupported(format!("a chunk of {} tokens does not fit its count field", long.len())));
    }
    let lanes: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let bits = coder.encode_lanes(&lanes, &|_, _| {})?;
    Ok(bits.into_iter().zip(&ids).map(|(bits, ids)| TextCode { bits, tokens: ids.len() }).collect())
}

/// The chunks back from their codes; an error if a decoded text is not samples.
pub fn decode_text_chunks(coder: &FileCoder, codes: &[TextCode]) -> Result<Vec<Vec<u8>>, SourceError> {
    let frames: Vec<&[u8]> = codes.iter().map(|c| c.bits.as_slice()).collect();
    let counts: Vec<usize> = codes.iter().map(|c| c.tokens).collect();
    let ids = coder.decode_lanes(&frames, &counts, &|_, _| {})?;
    ids.iter()
        .map(|ids| {
            text_to_samples(&coder.detokenize(ids))
                .ok_or_else(|| SourceError::Symbol("a decoded chunk is not comma-separated samples".into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_every_byte_and_refuses_what_is_not_samples() {
        let all: Vec<u8> = (0..=255).collect();
        let text = samples_as_text(&all);
        assert!(text.starts_with("-128,-127,") && text.ends_with(",126,127"), "{text}");
        assert_eq!(text_to_samples(text.as_bytes()).unwrap(), all);
        assert_eq!(samples_as_text(&[128, 127, 130]), "0,-1,2");
        assert_eq!(text_to_samples(b"").unwrap(), Vec::<u8>::new());
        for bad in [&b"1,,2"[..], b"128", b"-129", b"a", b"1,2,", b"\xff"] {
            assert!(text_to_samples(bad).is_none(), "{bad:?}");
        }
    }
}
