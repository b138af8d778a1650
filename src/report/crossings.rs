//! Where each text scheme's curves cross a quality target, and how far left of the run's reference
//! scheme (`unified.reference`) that is: the gain in dB an LM-aided receiver or a better code buys.
//!
//! The message error rate is interpolated log-linearly between the two points around the target
//! (as [`super::distance`] does; a point with no error counts as half an error), BLEU-4 linearly.
//! Both on the scenario's own SNR axis; schemes that send the same symbols per message (the same
//! source coder and code, as an LM-aided receiver's `noise_from` pair does) have the same gain on
//! the unified axis.

use super::distance::crossing;
use super::ResultRow;

/// One scheme's crossings. `Some((x, true))`: already past the target at the lowest SNR simulated
/// (x is an upper estimate); `None`: never reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    pub scheme: String,
    pub message_error_rate_db: Option<(f64, bool)>,
    pub bleu4_db: Option<(f64, bool)>,
}

/// The message error rate and BLEU-4 targets of [`crossings`] in reports.
pub const MESSAGE_ERROR_TARGET: f64 = 0.1;
pub const BLEU4_TARGET: f64 = 0.9;

/// Every text scheme's crossings of `message_error_target` and `bleu4_target`, in the order the
/// schemes first appear.
pub fn crossings(rows: &[ResultRow], message_error_target: f64, bleu4_target: f64) -> Vec<Crossing> {
    let mut schemes: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| r.messages.is_some()) {
        if !schemes.contains(&r.scheme.as_str()) {
            schemes.push(&r.scheme);
        }
    }
    schemes
        .into_iter()
        .map(|s| {
            let mut mine: Vec<&ResultRow> = rows.iter().filter(|r| r.scheme == s).collect();
            mine.sort_by(|a, b| a.snr_db.total_cmp(&b.snr_db));
            let errors: Vec<(f64, f64, f64)> =
                mine.iter().filter_map(|r| Some((r.snr_db, r.message_error_rate?, r.messages? as f64))).collect();
            let bleu: Vec<(f64, f64)> = mine.iter().filter_map(|r| Some((r.snr_db, r.bleu4?))).collect();
            Crossing {
                scheme: s.to_string(),
                message_error_rate_db: crossing(&errors, message_error_target),
                bleu4_db: rising_crossing(&bleu, bleu4_target),
            }
        })
        .collect()
}

/// Where `curve` ((SNR, value), increasing SNR) first rises to `target` or above, interpolated
/// linearly.
fn rising_crossing(curve: &[(f64, f64)], target: f64) -> Option<(f64, bool)> {
    let first = curve.iter().position(|p| p.1 >= target)?;
    if first == 0 {
        return Some((curve[0].0, true));
    }
    let ((x0, y0), (x1, y1)) = (curve[first - 1], curve[first]);
    let x = if y1 == y0 { x1 } else { x0 + (x1 - x0) * (target - y0) / (y1 - y0) };
    Some((x.clamp(x0, x1), false))
}

/// The gain of `of` over `reference` (reference minus it, dB), when both crossings are measured.
pub fn gain_db(reference: Option<(f64, bool)>, of: Option<(f64, bool)>) -> Option<f64> {
    match (reference, of) {
        (Some((r, false)), Some((x, false))) => Some(r - x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bleu_crossings_interpolate_linearly() {
        let curve = [(0.0, 0.5), (1.0, 0.8), (2.0, 1.0)];
        let (x, below) = rising_crossing(&curve, 0.9).unwrap();
        assert!((x - 1.5).abs() < 1e-12 && !below, "{x}");
        assert_eq!(rising_crossing(&curve, 0.4), Some((0.0, true)));
        assert_eq!(rising_crossing(&curve[..2], 0.9), None);
    }

    #[test]
    fn the_gain_is_measured_only_between_measured_crossings() {
        let row = |scheme: &str, snr: f64, errors: u64, bleu4: f64| ResultRow {
            scheme: scheme.into(),
            snr_db: snr,
            messages: Some(100),
            message_errors: Some(errors),
            message_error_rate: Some(errors as f64 / 100.0),
            bleu4: Some(bleu4),
            ..Default::default()
        };
        let rows = [
            row("plain", 0.0, 40, 0.6),
            row("plain", 1.0, 10, 0.9),
            row("aided", 0.0, 20, 0.8),
            row("aided", 1.0, 5, 0.95),
        ];
        let c = crossings(&rows, 0.1, 0.9);
        assert_eq!(c[0].message_error_rate_db, Some((1.0, false)));
        let (x, _) = c[1].message_error_rate_db.unwrap();
        assert!((x - 0.5).abs() < 1e-12, "{x}: log10 rate falls from log10 0.2 to log10 0.05");
        assert!((gain_db(c[0].message_error_rate_db, c[1].message_error_rate_db).unwrap() - 0.5).abs() < 1e-12);
        let (b, _) = c[1].bleu4_db.unwrap();
        assert!((b - 1.0 / 1.5).abs() < 1e-12, "{b}");
        assert_eq!(gain_db(Some((1.0, true)), Some((0.5, false))), None, "a bound is not a measurement");
    }
}
