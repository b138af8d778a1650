//! Error counting, confidence intervals, text quality (BLEU, similarity), image quality (PSNR, SSIM),
//! audio quality (SNR, segmental SNR, STOI, ESTOI) and the unified SNR axis.
//!
//! Counts, not rates, travel between parts: a point's [`ErrorCounts`] are sums over batches, so
//! shards and resumed runs merge exactly; rates and intervals are computed only when a row is written.

pub mod audio_quality;
pub mod bleu;
pub mod bootstrap;
mod counts;
pub mod image_quality;
pub mod similarity;
pub mod stoi;
pub mod text_quality;
pub mod unified_snr;
mod wilson;

pub use bleu::{cumulative_bleu, sentence_bleu, CorpusBleuCounts, Smoothing};
pub use counts::ErrorCounts;
pub use similarity::SimilarityScorer;
pub use wilson::{wilson_interval, Z_95, Z_99_9};
