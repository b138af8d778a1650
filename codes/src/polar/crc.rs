//! The CRCs that 5G NR attaches to polar-coded payloads (3GPP TS 38.212 §5.1): bit-serial, MSB
//! first, zero initial register, no reflection, no final XOR; the parity bits p_0..p_{L−1} follow
//! the payload (§5.1: "a_0 … a_{A−1}, p_0 … p_{L−1}"), so a payload with its CRC appended divides
//! the generator polynomial exactly.
//!
//! Generator polynomials (§5.1):
//! - gCRC6(D)   = D^6 + D^5 + 1 (uplink control, 12 ≤ A ≤ 19 — the standard also adds 3 parity-check
//!   bits there, which this crate does not implement);
//! - gCRC11(D)  = D^11 + D^10 + D^9 + D^5 + 1 (uplink control, A ≥ 20);
//! - gCRC24C(D) = D^24 + D^23 + D^21 + D^20 + D^17 + D^15 + D^13 + D^12 + D^8 + D^4 + D^2 + D + 1
//!   (downlink control; there it is also scrambled and interleaved, not done here).
//!
//! Check values over the ASCII bytes "123456789" (MSB first): CRC-24C 0xF48279 as published in the
//! CRC++ library's `CRC_24_NRC` test; the generic routine is also tested on CRC-24/LTE-A 0xCDE703,
//! CRC-24/LTE-B 0x23EF52 and CRC-16/XMODEM 0x31C3 (reveng catalogue), see `tests/polar.rs`.

use std::fmt;
use std::str::FromStr;

/// A CRC given by its generator polynomial (the leading D^L term implied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Crc {
    /// Number of parity bits L (1..=32).
    pub len: u32,
    /// Generator polynomial without the D^L term, MSB = D^{L−1}.
    pub poly: u32,
}

impl Crc {
    /// No CRC (plain polar code; the list decoder then returns its most likely path).
    pub const NONE: Crc = Crc { len: 0, poly: 0 };
    /// gCRC6 of TS 38.212 §5.1.
    pub const CRC6: Crc = Crc { len: 6, poly: 0x21 };
    /// gCRC11 of TS 38.212 §5.1.
    pub const CRC11: Crc = Crc { len: 11, poly: 0x621 };
    /// gCRC16 of TS 38.212 §5.1 (D^16 + D^12 + D^5 + 1).
    pub const CRC16: Crc = Crc { len: 16, poly: 0x1021 };
    /// gCRC24C of TS 38.212 §5.1.
    pub const CRC24C: Crc = Crc { len: 24, poly: 0xB2_B117 };

    /// Any polynomial (e.g. for testing against published check values). `len` ≤ 32.
    pub const fn new(len: u32, poly: u32) -> Crc {
        assert!(len <= 32);
        Crc { len, poly }
    }

    /// Number of parity bits.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_none(&self) -> bool {
        self.len == 0
    }

    /// Remainder of `bits(D) · D^L` modulo the generator (only the low bit of each byte is used):
    /// the parity bits p_0 … p_{L−1}, as an integer whose MSB is p_0.
    pub fn remainder(&self, bits: &[u8]) -> u32 {
        if self.len == 0 {
            return 0;
        }
        let mask = if self.len == 32 { u32::MAX } else { (1u32 << self.len) - 1 };
        let top = self.len - 1;
        let mut r = 0u32;
        for &b in bits {
            let fb = ((r >> top) & 1) ^ (b as u32 & 1);
            r = (r << 1) & mask;
            if fb == 1 {
                r ^= self.poly;
            }
        }
        r
    }

    /// Writes the L parity bits of `bits` into `out` (length L), p_0 first.
    pub fn parity_into(&self, bits: &[u8], out: &mut [u8]) {
        assert_eq!(out.len(), self.len());
        let r = self.remainder(bits);
        for (i, o) in out.iter_mut().enumerate() {
            *o = ((r >> (self.len as usize - 1 - i)) & 1) as u8;
        }
    }

    /// Whether `bits` = payload followed by its L parity bits passes the check (always true without
    /// a CRC). A word shorter than L fails.
    pub fn check(&self, bits: &[u8]) -> bool {
        self.len == 0 || (bits.len() >= self.len() && self.remainder(bits) == 0)
    }

    /// `"none"`, `"crc6"`, `"crc11"`, `"crc16"`, `"crc24c"`, or `"crc{len}:{poly:#x}"` for others.
    pub fn name(&self) -> String {
        match *self {
            Crc::NONE => "none".into(),
            Crc::CRC6 => "crc6".into(),
            Crc::CRC11 => "crc11".into(),
            Crc::CRC16 => "crc16".into(),
            Crc::CRC24C => "crc24c".into(),
            Crc { len, poly } => format!("crc{len}:{poly:#x}"),
        }
    }
}

impl fmt::Display for Crc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Crc {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "" => Ok(Crc::NONE),
            "crc6" => Ok(Crc::CRC6),
            "crc11" => Ok(Crc::CRC11),
            "crc16" => Ok(Crc::CRC16),
            "crc24c" => Ok(Crc::CRC24C),
            other => Err(format!("unknown CRC '{other}' (expected none, crc6, crc11, crc16 or crc24c)")),
        }
    }
}
