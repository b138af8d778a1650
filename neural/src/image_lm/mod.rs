//! The image LM: a next-subpixel model for lossless image coding, trained here on the training
//! photographs of the fixed set. [`model`] is the candle twin of the plain-Rust coder in
//! `source::image` (context, mixture and weight format are defined there); [`train`] fits it.

pub mod model;
pub mod train;
