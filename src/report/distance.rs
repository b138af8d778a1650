//! How far each scheme of a results folder is from what any code of its length could do.
//!
//! For a scheme with bits on the channel (not the analog JSCC ones), over BPSK on AWGN:
//! - text links: one message is K = source bits + length header information bits sent in
//!   n = channel symbols per message (both at their means over the messages). Its measured point is
//!   the Es/N0 at which the message error rate crosses the target (log-linear interpolation between
//!   the two points around it; a point with no error counts as half an error, so the crossing stays
//!   finite). The limits are the Es/N0 at which the best (n, K) code reaches the same error rate:
//!   Shannon's 1959 sphere-packing bound (rigorous: no code does better) and the PPV normal
//!   approximation (an estimate), from `channels::limits`.
//! - link-level runs: the same with the code's own (n, k) per frame and its BLER.
//!
//! The gap is measured minus bound, in dB of Es/N0, the same on the unified axis (both sides send
//! the same symbols). Rayleigh and QPSK runs are left out: the bounds here are for BPSK on AWGN.

use channels::limits::{min_esn0_db, Bound};

use super::ResultRow;

/// One scheme's distance to the finite-length limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Distance {
    pub scheme: String,
    /// Channel symbols (n) and information bits (k) of one message (text) or codeword (link level).
    pub n: usize,
    pub k: usize,
    /// The error rate the crossing is taken at (message error rate or BLER).
    pub target: f64,
    /// Es/N0 (dB) where the measured error rate crosses `target`; `None` if it never gets below it.
    /// `Some((x, true))`: already below it at the lowest Es/N0 simulated, x (an upper estimate).
    pub measured_esn0_db: Option<(f64, bool)>,
    pub sphere_packing_esn0_db: f64,
    pub normal_approximation_esn0_db: f64,
}

impl Distance {
    /// Measured minus the sphere-packing bound, when measured.
    pub fn gap_db(&self) -> Option<f64> {
        self.measured_esn0_db.map(|(x, _)| x - self.sphere_packing_esn0_db)
    }
}

/// The limits a text run's plots mark: the distances at message error rate 0.1 (what a few dozen
/// messages resolve) when the bounds apply (BPSK on AWGN), else none. Link-level runs: none.
pub fn plot_limits(rows: &[ResultRow], bpsk_on_awgn: bool, length_bits: u32) -> Vec<Distance> {
    if !bpsk_on_awgn || !rows.iter().any(|r| r.messages.is_some()) {
        return Vec::new();
    }
    distances(rows, length_bits, PLOT_TARGET)
}

/// The message error rate the plots' limit marks are drawn for.
pub const PLOT_TARGET: f64 = 0.1;

/// The distances of every scheme of `rows` that sends bits, on BPSK over AWGN. `length_bits`: the
/// framing's length header (text links). `target`: the error rate to compare at.
pub fn distances(rows: &[ResultRow], length_bits: u32, target: f64) -> Vec<Distance> {
    let mut schemes: Vec<&str> = Vec::new();
    for r in rows {
        if !schemes.contains(&r.scheme.as_str()) {
            schemes.push(&r.scheme);
        }
    }
    let mut out = Vec::new();
    for s in schemes {
        let mut mine: Vec<&ResultRow> = rows.iter().filter(|r| r.scheme == s && r.frames > 0).collect();
        mine.sort_by(|a, b| a.esn0_db.total_cmp(&b.esn0_db));
        let Some(first) = mine.first() else { continue };
        // (n, k) and each point's (Es/N0, error rate, trials).
        let (n, k, curve): (f64, f64, Vec<(f64, f64, f64)>) =
            match (first.symbols_per_message, first.source_bits_per_message) {
                (Some(n), Some(payload)) => (
                    n,
                    payload + length_bits as f64,
                    mine.iter().filter_map(|r| Some((r.esn0_db, r.message_error_rate?, r.messages? as f64))).collect(),
                ),
                (None, None) if first.messages.is_none() => (
                    first.coded_bits as f64 / first.frames as f64,
                    first.bits as f64 / first.frames as f64,
                    mine.iter().map(|r| (r.esn0_db, r.bler, r.frames as f64)).collect(),
                ),
                _ => continue,
            };
        let (n, k) = (n.round() as usize, k.round() as usize);
        if n == 0 || k == 0 || k > n || curve.is_empty() {
            continue;
        }
        out.push(Distance {
            scheme: s.to_string(),
            n,
            k,
            target,
            measured_esn0_db: crossing(&curve, target),
            sphere_packing_esn0_db: min_esn0_db(Bound::SpherePacking59, n, k, target),
            normal_approximation_esn0_db: min_esn0_db(Bound::NormalApproximation, n, k, target),
        });
    }
    out
}

/// Where `curve` ((Es/N0, rate, trials), increasing Es/N0) first falls to `target` or below.
pub(super) fn crossing(curve: &[(f64, f64, f64)], target: f64) -> Option<(f64, bool)> {
    let floor = |(x, rate, trials): (f64, f64, f64)| (x, if rate > 0.0 { rate } else { 0.5 / trials.max(1.0) });
    let first = curve.iter().position(|p| p.1 <= target)?;
    if first == 0 {
        return Some((curve[0].0, true));
    }
    let (x0, y0) = floor(curve[first - 1]);
    let (x1, y1) = floor(curve[first]);
    let (l0, l1, lt) = (y0.log10(), y1.log10(), target.log10());
    let x = if l0 == l1 { x1 } else { x0 + (x1 - x0) * (l0 - lt) / (l0 - l1) };
    Some((x.clamp(x0, x1), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crossing_interpolates_on_a_log_scale() {
        let curve = [(0.0, 1.0, 100.0), (1.0, 0.1, 100.0), (2.0, 0.001, 100.0)];
        assert_eq!(crossing(&curve, 0.1), Some((1.0, false)));
        let (x, below) = crossing(&curve, 0.01).unwrap();
        assert!((x - 1.5).abs() < 1e-12 && !below, "{x}");
        assert_eq!(crossing(&curve, 1e-6), None, "never reached");
        assert_eq!(crossing(&curve, 1.0), Some((0.0, true)), "already there at the lowest point");
        // No error at a point counts as half an error: 0.5/100 = 0.005.
        let (x, _) = crossing(&[(0.0, 0.5, 100.0), (1.0, 0.0, 100.0)], 0.05).unwrap();
        assert!((x - 0.5).abs() < 1e-12, "{x}");
    }

    #[test]
    fn the_measured_point_lies_right_of_the_sphere_packing_bound() {
        // A rate-1/2 code of n = 128 is
        // compared at BLER 1e-2, which SP59 reaches between Eb/N0 1 and 2 dB (codes/README.md's
        // CCSDS(128,64) table: 5.68e-2 and 2.16e-3), i.e. Es/N0 -2.0 to -1.0 dB.
        let row = |esn0: f64, bler: f64| ResultRow {
            scheme: "c".into(),
            channel: "awgn".into(),
            snr_db: esn0,
            esn0_db: esn0,
            ebn0_db: esn0 + 3.0103,
            frames: 1000,
            bit_errors: 0,
            bits: 64_000,
            ber: 0.0,
            ber_lo: 0.0,
            ber_hi: 0.0,
            frame_errors: (bler * 1000.0) as u64,
            bler,
            bler_lo: 0.0,
            bler_hi: 0.0,
            coded_bit_errors: 0,
            coded_bits: 128_000,
            coded_ber: 0.0,
            ber_theory: None,
            mean_iterations: 0.0,
            stopped_by: "frames".into(),
            seconds: 0.0,
            ..Default::default()
        };
        let d = distances(&[row(0.0, 0.5), row(2.0, 0.001)], 11, 1e-2);
        assert_eq!(d.len(), 1);
        let d = &d[0];
        assert_eq!((d.n, d.k), (128, 64));
        assert!(d.sphere_packing_esn0_db < d.normal_approximation_esn0_db, "{d:?}");
        assert!(d.sphere_packing_esn0_db > -2.02 && d.sphere_packing_esn0_db < -0.99, "{d:?}");
        let gap = d.gap_db().unwrap();
        // log10 BLER falls linearly from log10(0.5) at 0 dB to -3 at 2 dB and crosses -2 at:
        let want = 2.0 * (0.5f64.log10() + 2.0) / (0.5f64.log10() + 3.0);
        assert!(gap > 0.0 && (d.measured_esn0_db.unwrap().0 - want).abs() < 1e-12, "{d:?}");
    }
}
