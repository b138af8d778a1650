//! Where each text scheme's curves cross a quality target, and how far left of the run's reference
//! scheme (`unified.reference`) that is: the gain in dB an LM-aided receiver or a better code buys.
//!
//! The message error rate is interpolated log-linearly between the two points around the target
//! (as [`super::distance`] does; a point with no error counts as half an error), the quality target
//! (BLEU-4 for text, STOI for audio) linearly.
//! Both on the scenario's own SNR axis; schemes that send the same symbols per message (the same
//! source coder and code, as an LM-aided receiver's `noise_from` pair does) have the same gain on
//! the unified axis.
//!
//! For images and audio, [`overtakes`]: where one scheme's PSNR curve (sample SNR, STOI) rises
//! above another's (a separate scheme's cliff past a joint one's graceful curve), on the scenario's
//! axis and on the unified one, the curves taken as piecewise linear.

use super::distance::crossing;
use super::ResultRow;

/// One scheme's crossings. `Some((x, true))`: already past the target at the lowest SNR simulated
/// (x is an upper estimate); `None`: never reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    pub scheme: String,
    pub message_error_rate_db: Option<(f64, bool)>,
    /// Where the quality column rises to its target.
    pub quality_db: Option<(f64, bool)>,
}

/// The message error rate, BLEU-4 and STOI targets of [`crossings`] in reports.
pub const MESSAGE_ERROR_TARGET: f64 = 0.1;
pub const BLEU4_TARGET: f64 = 0.9;
pub const STOI_TARGET: f64 = 0.9;

/// Every message scheme's crossings of `message_error_target` and of `quality_target` by the
/// `quality` column (BLEU-4, STOI), in the order the schemes first appear.
pub fn crossings(
    rows: &[ResultRow],
    message_error_target: f64,
    quality: impl Fn(&ResultRow) -> Option<f64>,
    quality_target: f64,
) -> Vec<Crossing> {
    schemes_of(rows, |r| r.messages.is_some())
        .into_iter()
        .map(|s| {
            let mut mine: Vec<&ResultRow> = rows.iter().filter(|r| r.scheme == s).collect();
            mine.sort_by(|a, b| a.snr_db.total_cmp(&b.snr_db));
            let errors: Vec<(f64, f64, f64)> =
                mine.iter().filter_map(|r| Some((r.snr_db, r.message_error_rate?, r.messages? as f64))).collect();
            let curve: Vec<(f64, f64)> = mine.iter().filter_map(|r| Some((r.snr_db, quality(r)?))).collect();
            Crossing {
                scheme: s.to_string(),
                message_error_rate_db: crossing(&errors, message_error_target),
                quality_db: rising_crossing(&curve, quality_target),
            }
        })
        .collect()
}

/// The schemes of the rows that `keep`, in the order they first appear.
fn schemes_of(rows: &[ResultRow], keep: impl Fn(&ResultRow) -> bool) -> Vec<&str> {
    let mut schemes: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| keep(r)) {
        if !schemes.contains(&r.scheme.as_str()) {
            schemes.push(&r.scheme);
        }
    }
    schemes
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

/// Scheme `scheme`'s quality curve (PSNR, an audio SNR) rises above scheme `over`'s at `snr_db` (scenario axis) and at
/// `unified_db` (unified axis); `None` where it does not on that axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Overtaking {
    pub scheme: String,
    pub over: String,
    pub snr_db: Option<f64>,
    pub unified_db: Option<f64>,
}

/// Every ordered pair of schemes with a `quality` column (an image's `psnr_db`, audio's
/// `audio_snr_db` or `stoi`) where the first's rises above the second's within the SNR range both simulated,
/// in the order the schemes first appear.
pub fn overtakes(rows: &[ResultRow], quality: impl Fn(&ResultRow) -> Option<f64>) -> Vec<Overtaking> {
    let curve = |scheme: &str, unified: bool| {
        let mut c: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.scheme == scheme)
            .filter_map(|r| Some((if unified { r.snr_unified_db? } else { r.snr_db }, quality(r)?)))
            .collect();
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
        c
    };
    // (scheme, quality curve on the scenario's axis, on the unified axis)
    let curves: Vec<_> =
        schemes_of(rows, |r| quality(r).is_some()).into_iter().map(|s| (s, curve(s, false), curve(s, true))).collect();
    let mut out = Vec::new();
    for (a, a_snr, a_unified) in &curves {
        for (b, b_snr, b_unified) in curves.iter().filter(|(b, ..)| b != a) {
            let snr_db = rises_above(a_snr, b_snr);
            let unified_db = rises_above(a_unified, b_unified);
            if snr_db.is_some() || unified_db.is_some() {
                out.push(Overtaking { scheme: a.to_string(), over: b.to_string(), snr_db, unified_db });
            }
        }
    }
    out
}

/// The first x where piecewise-linear `a` goes from below `b` to above it, within the x range both
/// cover (each sorted by x); where they meet first and part later, the point where they met. Between the breakpoints of both the difference is linear,
/// so the crossing is exact for the piecewise-linear curves.
fn rises_above(a: &[(f64, f64)], b: &[(f64, f64)]) -> Option<f64> {
    let (lo, hi) = (a.first()?.0.max(b.first()?.0), a.last()?.0.min(b.last()?.0));
    let mut xs: Vec<f64> = a.iter().chain(b).map(|p| p.0).filter(|&x| x >= lo && x <= hi).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let at = |c: &[(f64, f64)], x: f64| {
        let i = c.partition_point(|p| p.0 < x).min(c.len() - 1);
        if i == 0 || c[i].0 == x {
            return c[i].1;
        }
        let ((x0, y0), (x1, y1)) = (c[i - 1], c[i]);
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    };
    // A touch is not a crossing: equal curves (both exact, at the 100 dB cap) must part with `a`
    // above before the first point where they met counts.
    let mut met: Option<f64> = None;
    let mut previous: Option<(f64, f64)> = None;
    for &x in &xs {
        let d = at(a, x) - at(b, x);
        match previous {
            Some((x0, d0)) if d0 < 0.0 && d > 0.0 => return Some(x0 + (x - x0) * (-d0) / (d - d0)),
            Some((_, d0)) if d0 < 0.0 && d == 0.0 => met = Some(x),
            _ if d > 0.0 && met.is_some() => return met,
            _ if d < 0.0 => met = None,
            _ => {}
        }
        previous = Some((x, d));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psnr_curves_cross_where_their_lines_do_on_either_axis() {
        let row = |scheme: &str, snr: f64, shift: f64, psnr: f64| ResultRow {
            scheme: scheme.into(),
            snr_db: snr,
            snr_unified_db: Some(snr + shift),
            psnr_db: Some(psnr),
            ..Default::default()
        };
        // A cliff (10 → 40 dB between 2 and 3) against a gentle line (20 → 21), then the gentle
        // one moved 2 dB right on the unified axis.
        let rows = [
            row("cliff", 2.0, 0.0, 10.0),
            row("cliff", 3.0, 0.0, 40.0),
            row("cliff", 4.0, 0.0, 100.0),
            row("gentle", 2.0, 2.0, 20.0),
            row("gentle", 3.0, 2.0, 21.0),
            row("gentle", 4.0, 2.0, 22.0),
        ];
        let got = overtakes(&rows, |r| r.psnr_db);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].scheme.as_str(), got[0].over.as_str()), ("cliff", "gentle"));
        // Scenario axis: 10 + 30 t = 20 + t at t = 10/29.
        assert!((got[0].snr_db.unwrap() - (2.0 + 10.0 / 29.0)).abs() < 1e-12, "{got:?}");
        // Unified axis: gentle covers 4..6, cliff 2..4; they share only x = 4, where the cliff is
        // already above: no crossing seen from below there.
        assert_eq!(got[0].unified_db, None);
        assert_eq!(rises_above(&[(0.0, 0.0), (1.0, 2.0)], &[(0.0, 1.0), (1.0, 1.0)]), Some(0.5));
        assert_eq!(rises_above(&[(0.0, 2.0), (1.0, 3.0)], &[(0.0, 1.0), (1.0, 1.0)]), None, "always above");
        assert_eq!(rises_above(&[], &[(0.0, 1.0)]), None);
        // Meeting at the cap is not overtaking; meeting and then parting above is, where they met.
        assert_eq!(rises_above(&[(0.0, 30.0), (1.0, 100.0)], &[(0.0, 100.0), (1.0, 100.0)]), None);
        let touch_then_rise = rises_above(&[(0.0, 0.0), (1.0, 1.0), (2.0, 3.0)], &[(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
        assert_eq!(touch_then_rise, Some(1.0));
    }

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
        let c = crossings(&rows, 0.1, |r| r.bleu4, 0.9);
        assert_eq!(c[0].message_error_rate_db, Some((1.0, false)));
        let (x, _) = c[1].message_error_rate_db.unwrap();
        assert!((x - 0.5).abs() < 1e-12, "{x}: log10 rate falls from log10 0.2 to log10 0.05");
        assert!((gain_db(c[0].message_error_rate_db, c[1].message_error_rate_db).unwrap() - 0.5).abs() < 1e-12);
        let (b, _) = c[1].quality_db.unwrap();
        assert!((b - 1.0 / 1.5).abs() < 1e-12, "{b}");
        assert_eq!(gain_db(Some((1.0, true)), Some((0.5, false))), None, "a bound is not a measurement");
    }
}
