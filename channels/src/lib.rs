//! Modulation, channel models and the SNR conventions of the link.
//!
//! Everything here works on flat `f32` buffers of *real dimensions*: BPSK uses one real dimension per
//! bit; QPSK uses two (in-phase, quadrature) per complex symbol. A channel turns transmitted real
//! dimensions into received ones and reports, per dimension, the gain the receiver believes in (the
//! true gain with perfect CSI, its mean without CSI). Demodulators turn that into LLRs with the
//! project-wide convention `L = ln P(b=0|y) / P(b=1|y)` (positive means bit 0).
//!
//! Random numbers come from [`rng::stream`], one ChaCha8 stream per (seed, ids...), so results never
//! depend on how work is split across threads.

pub mod channel;
pub mod limits;
pub mod modulation;
pub mod rng;
pub mod snr;
pub mod theory;

pub use channel::{AwgnChannel, Channel, Csi, Fading, RayleighChannel};
pub use modulation::{Bpsk, Modulation, Qpsk};
pub use rng::{stream, StreamRng};
pub use snr::{SnrAxis, SnrPoint};
