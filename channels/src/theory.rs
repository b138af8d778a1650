//! Closed-form error probabilities, used as ground truth by the tests and plotted next to
//! simulated curves.

use crate::snr::db_to_linear;

/// Gaussian tail `Q(x) = ½·erfc(x/√2)`.
pub fn q_function(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Uncoded BPSK (and Gray QPSK per bit) over AWGN: `Q(√(2·Es/N0))` with Es per real dimension
/// pair as defined in [`crate::snr`]; for QPSK pass the per-bit Eb/N0.
pub fn bpsk_awgn_ber(esn0_db: f64) -> f64 {
    q_function((2.0 * db_to_linear(esn0_db)).sqrt())
}

/// Uncoded BPSK over Rayleigh fading with coherent detection, averaged over the fading:
/// `½·(1 − √(γ/(1+γ)))` with mean received SNR `γ = Ω·Es/N0` (Proakis, eq. 14.3-7).
pub fn bpsk_rayleigh_ber(esn0_db: f64, mean_square_gain: f64) -> f64 {
    let g = mean_square_gain * db_to_linear(esn0_db);
    0.5 * (1.0 - (g / (1.0 + g)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values() {
        // Q(1) = 0.158655..., Q(3) = 1.3499e-3 (standard normal tables).
        assert!((q_function(1.0) - 0.158_655_253_9).abs() < 1e-9);
        assert!((q_function(3.0) - 1.349_898_0e-3).abs() < 1e-9);
        // BPSK at Eb/N0 = 9.6 dB has BER ≈ 1e-5 (the classic design point).
        let p = bpsk_awgn_ber(9.6);
        assert!((p / 1e-5 - 1.0).abs() < 0.1, "{p}");
        // Rayleigh at 10 dB: ½(1 − √(10/11)) = 0.023269.
        assert!((bpsk_rayleigh_ber(10.0, 1.0) - 0.023_269_4).abs() < 1e-6);
    }
}
