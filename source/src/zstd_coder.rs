//! zstd per message: the general-purpose compressor reference.
//!
//! Each message is compressed on its own (level 19, no checksum, no content-size field: the
//! smallest standard frame) and the frame's bytes become bits, MSB first. For sentence-length
//! messages the frame header (~6 bytes) dominates: that is the honest cost of a classical
//! compressor in a per-message link, which is what papers compare against. A corrupted frame
//! usually fails to parse: decoding returns [`StopReason::Invalid`] with empty text.

use crate::coder::{Bits, Decoded, SourceCoder, StopReason};
use crate::SourceError;

/// Largest message the decoder will reconstruct (bounds memory on corrupted frames).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Per-message zstd coder.
#[derive(Debug, Clone, Copy)]
pub struct ZstdCoder {
    pub level: i32,
}

impl Default for ZstdCoder {
    fn default() -> Self {
        Self { level: 19 }
    }
}

/// Bytes to bits, MSB first.
pub fn bytes_to_bits(bytes: &[u8]) -> Bits {
    bytes.iter().flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1)).collect()
}

/// Bits to bytes, MSB first; a trailing partial byte is zero-padded.
pub fn bits_to_bytes(bits: &[u8]) -> Vec<u8> {
    bits.chunks(8).map(|c| c.iter().enumerate().fold(0u8, |acc, (i, &b)| acc | (((b != 0) as u8) << (7 - i)))).collect()
}

impl SourceCoder for ZstdCoder {
    fn name(&self) -> String {
        format!("zstd-{}", self.level)
    }

    fn encode(&self, message: &str) -> Result<Bits, SourceError> {
        let mut c = zstd::bulk::Compressor::new(self.level).map_err(|e| SourceError::Symbol(format!("zstd: {e}")))?;
        let set = |c: &mut zstd::bulk::Compressor, p| {
            c.set_parameter(p).map_err(|e| SourceError::Symbol(format!("zstd: {e}")))
        };
        set(&mut c, zstd::zstd_safe::CParameter::ChecksumFlag(false))?;
        set(&mut c, zstd::zstd_safe::CParameter::ContentSizeFlag(false))?;
        set(&mut c, zstd::zstd_safe::CParameter::DictIdFlag(false))?;
        let frame = c.compress(message.as_bytes()).map_err(|e| SourceError::Symbol(format!("zstd: {e}")))?;
        Ok(bytes_to_bits(&frame))
    }

    fn decode(&self, bits: &[u8]) -> Decoded {
        let bytes = bits_to_bytes(bits);
        match zstd::bulk::decompress(&bytes, MAX_MESSAGE_BYTES) {
            Ok(out) => Decoded {
                symbols: out.len(),
                text: String::from_utf8_lossy(&out).into_owned(),
                stop: StopReason::EndOfMessage,
                ln_prob: None,
                exact: None,
            },
            Err(_) => {
                Decoded { text: String::new(), stop: StopReason::Invalid, symbols: 0, ln_prob: None, exact: None }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_packing_round_trips() {
        let bytes = vec![0x00, 0xff, 0xa5, 0x01];
        let bits = bytes_to_bits(&bytes);
        assert_eq!(&bits[16..24], &[1, 0, 1, 0, 0, 1, 0, 1]);
        assert_eq!(bits_to_bytes(&bits), bytes);
        assert_eq!(bits_to_bytes(&[1, 1]), vec![0xc0]);
    }

    #[test]
    fn round_trips_and_compresses_repetitive_text() {
        let c = ZstdCoder::default();
        for msg in ["", "hello", "naïve 東京 🙂", &"abc ".repeat(200)] {
            let bits = c.encode(msg).unwrap();
            assert_eq!(c.decode(&bits).text, msg);
        }
        assert!(c.encode(&"abc ".repeat(200)).unwrap().len() < 800 * 8 / 10);
    }

    #[test]
    fn corrupted_frames_never_panic() {
        use rand::{Rng, SeedableRng};
        let c = ZstdCoder::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let bits = c.encode("the quick brown fox jumps over the lazy dog").unwrap();
        for _ in 0..2000 {
            let mut b = bits.clone();
            let i = rng.random_range(0..b.len());
            b[i] ^= 1;
            let _ = c.decode(&b);
        }
    }
}
