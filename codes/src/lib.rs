//! Parity-check codes and their decoders: alist/dense loaders, GF(2) systematic encoding, and
//! batched hard-decision and belief-propagation decoders (sum-product, min-sum; flooding and
//! layered schedules), ordered-statistics decoding (OSD, near-ML), and 5G NR polar codes with SC / CA-SCL
//! decoding (`polar`). LLR convention: positive means bit 0.

// Index loops over fixed lane arrays are deliberate: they are what the compiler vectorizes.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]
pub mod alist;
pub mod check_rule;
pub mod code;
pub mod decoder;
pub mod dense;
pub mod error;
pub mod flooding;
pub mod gf2;
pub mod hard;
pub mod interleaved;
pub mod layered;
pub mod min_sum;
pub mod osd;
pub mod polar;
pub mod reed_muller;
pub mod sparse;
pub mod spec;
pub mod sum_product;
pub mod tanner;

pub use check_rule::MinSumCorrection;
pub use code::{DegreeProfile, LdpcCode};
pub use decoder::{DecodeStats, Decoder, ListedCodeword};
pub use error::CodeError;
pub use hard::HardDecision;
pub use layered::LayeredDecoder;
pub use min_sum::MinSumDecoder;
pub use osd::OsdDecoder;
pub use polar::{PolarCode, PolarDecoder};
pub use reed_muller::ReedMuller1;
pub use sparse::SparseH;
pub use spec::{DecoderKind, DecoderSpec, ParseDecoderError, Schedule};
pub use sum_product::SumProductDecoder;
