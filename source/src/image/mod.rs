//! Images as a second source: photographs in, lossless codes out.
//!
//! - [`photos`]: the fixed photo set (scikit-image's test photographs, fetched from a pinned PyPI
//!   wheel and hash-checked) and its train / held-out split.
//! - [`io`]: 8-bit images in memory; PNG and JPEG in, PNG out.
//! - [`context`], [`mixture`], [`lm`], [`coder`]: the learned coder: each subpixel's causal
//!   context → a small MLP (trained by `neural::image_lm`) → a mixture of discretised logistics →
//!   an integer frequency table → arithmetic code. [`container`] is the file `sim compress` writes.
//! - [`list`]: list decoding of a damaged stream (the receiver's search with the image LM).
//! - [`classical`]: PNG (best effort), WebP lossless and zstd on raw pixels, the references;
//!   [`bench`] measures them all (and JPEG-XL through `cjxl` when installed).

pub mod bench;
pub mod classical;
pub mod coder;
pub mod container;
pub mod context;
pub mod io;
pub mod list;
pub mod lm;
pub mod mixture;
pub mod photos;
