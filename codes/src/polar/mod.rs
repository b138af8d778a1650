//! 5G NR polar codes (3GPP TS 38.212 §5.3.1, §5.4.1) with SC and CRC-aided SC list decoding, for
//! sending a whole message as one codeword of the length it needs. See [`code`] for what of the
//! standard is implemented, [`decode`] for the decoders, [`crc`] and [`sequence`] for the tables.

pub mod code;
pub mod crc;
pub mod decode;
pub mod sequence;

pub use code::{coded_bit_interleaver, mother_length, polar_transform, subblock_interleaver, PolarCode, RateMatching};
pub use crc::Crc;
pub use decode::{PolarAlgorithm, PolarDecoder};
