//! Per-point error counters.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts {
    pub frames: u64,
    /// Frames whose information bits differ from those sent.
    pub frame_errors: u64,
    /// Information-bit errors and information bits sent.
    pub bit_errors: u64,
    pub bits: u64,
    /// Errors over all n codeword bits (the ECCT/BP literature's BER), and codeword bits sent.
    pub coded_bit_errors: u64,
    pub coded_bits: u64,
    /// Decoder iterations, summed over frames.
    pub iterations: u64,
}

impl ErrorCounts {
    pub fn ber(&self) -> f64 {
        ratio(self.bit_errors, self.bits)
    }
    pub fn coded_ber(&self) -> f64 {
        ratio(self.coded_bit_errors, self.coded_bits)
    }
    pub fn bler(&self) -> f64 {
        ratio(self.frame_errors, self.frames)
    }
    pub fn mean_iterations(&self) -> f64 {
        ratio(self.iterations, self.frames)
    }
}

impl std::ops::AddAssign for ErrorCounts {
    fn add_assign(&mut self, o: Self) {
        self.frames += o.frames;
        self.frame_errors += o.frame_errors;
        self.bit_errors += o.bit_errors;
        self.bits += o.bits;
        self.coded_bit_errors += o.coded_bit_errors;
        self.coded_bits += o.coded_bits;
        self.iterations += o.iterations;
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}
