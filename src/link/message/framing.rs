//! Framing: one message's source bits into whole k-bit blocks, and back.
//!
//! A message is sent as its own burst of blocks: `length_bits` header bits carrying the payload
//! length L in bits (MSB first), then the L payload bits, then zeros up to a whole number of
//! blocks. The header travels inside the first block(s) and is protected by the channel code like
//! the rest; nothing else is known to the receiver.
//!
//! The receiver reads L' from the decoded header and asks for ⌈(length_bits + L')/k⌉ blocks. When a
//! corrupted header claims more blocks than were sent, the blocks it listens to carry no signal for
//! this message: their decided bits are noise (the caller fills them with fair coin flips). When it
//! claims fewer, the payload is cut at L'. Either way the source decoder sees exactly L' bits, so
//! its work is bounded by `2^length_bits - 1` bits whatever the channel did. Coders with an end
//! symbol (the arithmetic coders, Huffman) stop on it and ignore what follows, so a message can
//! survive a damaged length field; coders without one (zstd) need the length to be right.
//!
//! Stream synchronisation across messages (what a wrong L' would do to the *next* message in a
//! continuous stream) is outside the model: each message is one burst.

use source::EndCheck;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("a message of {bits} source bits does not fit the {length_bits}-bit length header (at most {max} bits); raise framing.length_bits")]
pub struct TooLong {
    pub bits: usize,
    pub length_bits: u32,
    pub max: usize,
}

/// Splits messages into k-bit blocks behind a length header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framer {
    /// Information bits per block (the code's k).
    pub block_bits: usize,
    pub length_bits: u32,
    /// How the receiver tells that a text payload's stream ended where an intact one does.
    pub end_check: EndCheck,
}

impl Framer {
    /// A framer whose receiver checks text streams exactly (see [`Framer::with_end_check`]).
    pub fn new(block_bits: usize, length_bits: u32) -> Self {
        assert!(block_bits > 0 && (1..=32).contains(&length_bits));
        Framer { block_bits, length_bits, end_check: EndCheck::Exact }
    }

    /// This framer with its receiver telling intact text streams by `end_check`.
    pub fn with_end_check(self, end_check: EndCheck) -> Self {
        Framer { end_check, ..self }
    }

    /// Longest payload the header can describe.
    pub fn max_payload_bits(&self) -> usize {
        ((1u64 << self.length_bits) - 1) as usize
    }

    /// Blocks needed for a payload of `payload_bits` bits.
    pub fn blocks_for(&self, payload_bits: usize) -> usize {
        (self.length_bits as usize + payload_bits).div_ceil(self.block_bits).max(1)
    }

    /// Header + payload + zero padding, a whole number of blocks.
    pub fn frame(&self, payload: &[u8]) -> Result<Vec<u8>, TooLong> {
        if payload.len() > self.max_payload_bits() {
            return Err(TooLong { bits: payload.len(), length_bits: self.length_bits, max: self.max_payload_bits() });
        }
        let mut out = Vec::with_capacity(self.blocks_for(payload.len()) * self.block_bits);
        for i in (0..self.length_bits).rev() {
            out.push(((payload.len() >> i) & 1) as u8);
        }
        out.extend_from_slice(payload);
        out.resize(self.blocks_for(payload.len()) * self.block_bits, 0);
        Ok(out)
    }

    /// The payload length a receiver reads from decoded bits (which hold at least the header).
    pub fn claimed_length(&self, decoded: &[u8]) -> usize {
        decoded[..self.length_bits as usize].iter().fold(0usize, |acc, &b| (acc << 1) | (b & 1) as usize)
    }

    /// Whether framed bits `framed` are what a sender of the length their header claims would
    /// have sent: as many blocks as that length needs, zeros after the payload.
    pub fn fits(&self, framed: &[u8]) -> bool {
        let h = self.length_bits as usize;
        if framed.len() < h {
            return false;
        }
        let claimed = self.claimed_length(framed);
        self.blocks_for(claimed) * self.block_bits == framed.len() && framed[h + claimed..].iter().all(|&b| b == 0)
    }

    /// What the framing tells a list decoder about a payload of `t` bits, in a burst of
    /// `burst_bits` framed bits whose header bits have posterior LLRs `header` (positive: 0): the
    /// penalty Σ |L| of the header bits that length implies and the hard decisions contradict, or
    /// `None` if the header cannot describe it or it would not need exactly the burst's blocks
    /// (the receiver hears where a burst ends). See `source::list_decoding`.
    pub fn end_penalty(&self, header: &[f32], burst_bits: usize, t: usize) -> Option<f64> {
        let h = self.length_bits as usize;
        if header.len() != h || t > self.max_payload_bits() || self.blocks_for(t) * self.block_bits != burst_bits {
            return None;
        }
        let wrong = |i: usize| ((t >> (h - 1 - i)) & 1 == 1) != (header[i] < 0.0);
        Some((0..h).filter(|&i| wrong(i)).map(|i| f64::from(header[i]).abs()).sum())
    }

    /// The payload the receiver hands to the source decoder: the `claimed_length` bits after the
    /// header, taken from `decoded` and, past its end, from `noise` (one fair bit per position, for
    /// blocks the receiver listens to but the transmitter never sent).
    pub fn deframe(&self, decoded: &[u8], mut noise: impl FnMut() -> u8) -> Vec<u8> {
        let start = self.length_bits as usize;
        let claimed = self.claimed_length(decoded);
        (start..start + claimed).map(|i| decoded.get(i).copied().unwrap_or_else(&mut noise)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_whole_blocks_and_round_trip() {
        let f = Framer::new(24, 11);
        for len in [0usize, 1, 12, 13, 14, 37, 200, 2047] {
            let payload: Vec<u8> = (0..len).map(|i| ((i * 7 + 3) % 5 == 0) as u8).collect();
            let framed = f.frame(&payload).unwrap();
            assert_eq!(framed.len() % 24, 0);
            assert_eq!(framed.len() / 24, f.blocks_for(len));
            assert_eq!(framed.len() / 24, (11 + len).div_ceil(24));
            assert_eq!(f.claimed_length(&framed), len);
            assert_eq!(f.deframe(&framed, || panic!("no noise needed")), payload);
        }
        assert_eq!(f.frame(&[0; 2048]).unwrap_err().max, 2047);
    }

    #[test]
    fn end_penalty_charges_the_header_bits_a_length_contradicts() {
        let f = Framer::new(8, 4);
        // Header 0011 (3 bits of payload) received with LLRs of these signs and sizes.
        let header = [2.0f32, 0.5, -1.0, -3.0];
        assert_eq!(f.end_penalty(&header, 8, 3), Some(0.0));
        assert_eq!(f.end_penalty(&header, 8, 1), Some(1.0), "0001 contradicts bit 2 (|L| = 1)");
        assert_eq!(f.end_penalty(&header, 8, 4), Some(0.5 + 1.0 + 3.0), "0100 contradicts bits 1, 2 and 3");
        assert_eq!(f.end_penalty(&header, 16, 3), None, "a 3-bit payload would not have needed two blocks");
        assert_eq!(f.end_penalty(&header, 16, 5), Some(0.5 + 1.0), "0101 contradicts bits 1 and 2");
        assert_eq!(f.end_penalty(&header, 16, 16), None, "16 does not fit 4 header bits");
    }

    #[test]
    fn framed_bits_fit_when_their_length_needs_these_blocks_and_the_padding_is_zero() {
        let f = Framer::new(8, 4);
        let framed = f.frame(&[1, 0, 1]).unwrap();
        assert!(f.fits(&framed));
        let mut padded = framed.clone();
        padded[7] = 1;
        assert!(!f.fits(&padded), "a 1 in the padding");
        let mut other = framed.clone();
        other[..4].copy_from_slice(&[0, 1, 0, 0]); // claims 4 bits: 1010, no padding
        assert!(f.fits(&other));
        other[2] = 1; // claims 6 bits: 10 bits need 2 blocks
        assert!(!f.fits(&other), "a length that needs another block count");
        assert!(f.fits(&f.frame(&[1; 12]).unwrap()) && !f.fits(&[1, 1]));
    }

    #[test]
    fn header_is_msb_first() {
        let f = Framer::new(8, 4);
        assert_eq!(&f.frame(&[1, 1, 1, 1, 1]).unwrap()[..4], &[0, 1, 0, 1]);
    }

    #[test]
    fn corrupted_header_reads_noise_past_the_burst_or_cuts_the_payload() {
        let f = Framer::new(8, 4);
        let mut framed = f.frame(&[1, 0, 1]).unwrap(); // header 0011, 1 block
        framed[0] = 1; // claims 8 + 3 = 11 bits: 15 bits needed, 8 sent
        let mut calls = 0;
        let got = f.deframe(&framed, || {
            calls += 1;
            1
        });
        assert_eq!(got.len(), 11);
        assert_eq!(&got[..4], &[1, 0, 1, 0]);
        assert_eq!(calls, 7);
        framed[0] = 0;
        framed[3] = 0; // claims 2 bits
        assert_eq!(f.deframe(&framed, || 1), vec![1, 0]);
    }
}
