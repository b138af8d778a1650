//! SNR conventions.
//!
//! Papers disagree on the SNR axis, so the simulator states its convention explicitly:
//! - Symbols have unit average energy, `Es = 1` (per complex symbol for QPSK, per real symbol for BPSK).
//! - The noise is white Gaussian with variance `σ² = N0 / 2` per real dimension, hence
//!   `σ = 1 / sqrt(2 · Es/N0)`.
//! - `Eb/N0 = Es/N0 / (R · m)` for a code of rate `R` and `m` bits per symbol (BPSK m = 1, QPSK m = 2).
//!   With LDPC(49,24) and BPSK this is ECCT's convention `σ = 1 / sqrt(2 · R · Eb/N0)`.

use serde::{Deserialize, Serialize};

/// Which quantity the scenario's `snr.values_db` list gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnrAxis {
    /// Energy per channel symbol over N0.
    Esn0,
    /// Energy per information bit over N0.
    Ebn0,
}

/// One point of an SNR sweep with both conventions resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnrPoint {
    /// The value as the scenario gave it.
    pub snr_db: f64,
    pub esn0_db: f64,
    pub ebn0_db: f64,
}

impl SnrPoint {
    /// Resolves `value_db` on `axis` for a link carrying `rate · bits_per_symbol` information bits per
    /// channel symbol.
    pub fn new(value_db: f64, axis: SnrAxis, rate: f64, bits_per_symbol: u32) -> Self {
        let offset_db = 10.0 * (rate * bits_per_symbol as f64).log10();
        let (esn0_db, ebn0_db) = match axis {
            SnrAxis::Esn0 => (value_db, value_db - offset_db),
            SnrAxis::Ebn0 => (value_db + offset_db, value_db),
        };
        SnrPoint { snr_db: value_db, esn0_db, ebn0_db }
    }

    /// Noise standard deviation per real dimension for unit-energy symbols.
    pub fn sigma(&self) -> f64 {
        noise_sigma(self.esn0_db)
    }
}

/// `σ = 1 / sqrt(2 · Es/N0)` with Es/N0 in dB.
pub fn noise_sigma(esn0_db: f64) -> f64 {
    1.0 / (2.0 * db_to_linear(esn0_db)).sqrt()
}

pub fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

pub fn linear_to_db(x: f64) -> f64 {
    10.0 * x.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecct_convention_for_ldpc_49_24() {
        // ECCT: sigma = 1/sqrt(2 * R * EbN0) with R = 24/49.
        let r = 24.0 / 49.0;
        let p = SnrPoint::new(4.0, SnrAxis::Ebn0, r, 1);
        let expected = 1.0 / (2.0 * r * db_to_linear(4.0)).sqrt();
        assert!((p.sigma() - expected).abs() < 1e-12);
        assert!((p.esn0_db - (4.0 + 10.0 * r.log10())).abs() < 1e-12);
    }

    #[test]
    fn uncoded_bpsk_axes_coincide() {
        let p = SnrPoint::new(3.0, SnrAxis::Esn0, 1.0, 1);
        assert_eq!(p.esn0_db, p.ebn0_db);
        assert!((noise_sigma(0.0) - (0.5f64).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn qpsk_carries_two_bits_per_symbol() {
        let p = SnrPoint::new(10.0, SnrAxis::Esn0, 1.0, 2);
        assert!((p.ebn0_db - (10.0 - 10.0 * 2f64.log10())).abs() < 1e-12);
    }
}
