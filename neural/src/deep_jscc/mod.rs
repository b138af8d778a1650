//! Deep JSCC for images (Bourtsoulatze, Kurka & Gündüz, IEEE TCCN 2019): a convolutional encoder
//! maps RGB tiles straight to power-normalised channel reals, a transposed-convolutional decoder
//! maps the received reals back to pixels. [`model`] is the network and its weight files (with the
//! inference API the link calls: [`model::DeepJscc::encode`] / [`model::DeepJscc::decode`]);
//! [`train`] fits it on crops of the training photographs.

pub mod model;
pub mod train;

pub use model::{DeepJscc, DeepJsccConfig};
