//! The LM-aided receivers' part of a report: for every scheme with a `receiver` (ICD or the list
//! receiver), at each SNR, the messages it left wrong against those the plain receiver left wrong
//! on the same noise (the scheme its `noise_from` names), the wrong messages it passed on as right
//! (unflagged), and the work it took (model steps per message; ICD's candidates).
//!
//! "Recovered" is the plain scheme's wrong messages minus the receiver's, at the same SNR: on the
//! same noise the receiver changes only the messages the channel decoder flagged, so this is what
//! it fixed net of what it broke.

use super::ResultRow;
use crate::scenario::{ReceiverConfig, ReceiverKind, DEFAULT_LIST_BEAM, DEFAULT_LIST_MAX_PENALTY};

/// One scheme with a receiver at one SNR.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverRow {
    pub scheme: String,
    /// The receiver as configured, e.g. `list (beam 8, limit 10 nats)`.
    pub receiver: String,
    pub snr_db: f64,
    pub errors: Option<u64>,
    /// The `noise_from` scheme and its wrong messages at this SNR, when the folder has that row.
    pub plain: Option<(String, u64)>,
    pub unflagged: Option<u64>,
    pub model_steps_per_message: Option<f64>,
    pub candidates_per_message: Option<f64>,
}

impl ReceiverRow {
    /// The plain receiver's wrong messages minus this receiver's (negative: it broke more than it
    /// fixed).
    pub fn recovered(&self) -> Option<i64> {
        Some(self.plain.as_ref()?.1 as i64 - self.errors? as i64)
    }
}

/// The receiver schemes of the resolved scenario `config` (run.json's), with their rows in
/// `rows`, in the order of the rows.
pub fn receiver_rows(rows: &[ResultRow], config: &serde_json::Value) -> Vec<ReceiverRow> {
    let schemes = config.pointer("/schemes").and_then(|s| s.as_array()).map(Vec::as_slice).unwrap_or(&[]);
    let scheme = |name: &str| schemes.iter().find(|s| s.get("name").and_then(|n| n.as_str()) == Some(name));
    rows.iter()
        .filter_map(|r| {
            let s = scheme(&r.scheme)?;
            let receiver = describe(s.get("receiver")?)?;
            let plain = s.get("noise_from").and_then(|n| n.as_str()).and_then(|from| {
                let row = rows.iter().find(|p| p.scheme == from && p.snr_db == r.snr_db)?;
                Some((from.to_string(), row.message_errors?))
            });
            Some(ReceiverRow {
                scheme: r.scheme.clone(),
                receiver,
                snr_db: r.snr_db,
                errors: r.message_errors,
                plain,
                unflagged: r.unflagged_errors,
                model_steps_per_message: r.lm_steps_per_message,
                candidates_per_message: r.candidates_per_message,
            })
        })
        .collect()
}

/// A scheme's `receiver` table (as run.json resolved it) in a few words; `None` when it does not
/// read as one.
fn describe(receiver: &serde_json::Value) -> Option<String> {
    let r: ReceiverConfig = serde_json::from_value(receiver.clone()).ok()?;
    Some(match r.kind {
        ReceiverKind::List => {
            let beam = r.beam.unwrap_or(DEFAULT_LIST_BEAM);
            let limit = r.max_penalty.unwrap_or(DEFAULT_LIST_MAX_PENALTY);
            let parity = if r.parity == Some(false) { ", no parity" } else { "" };
            format!("list (beam {beam}, limit {limit} nats{parity})")
        }
        ReceiverKind::Icd => format!("ICD ({} candidates)", r.candidates),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scheme: &str, snr_db: f64, errors: u64, unflagged: u64, steps: Option<f64>) -> ResultRow {
        ResultRow {
            scheme: scheme.into(),
            snr_db,
            messages: Some(100),
            message_errors: Some(errors),
            unflagged_errors: Some(unflagged),
            lm_steps_per_message: steps,
            ..ResultRow::default()
        }
    }

    #[test]
    fn each_receiver_is_set_against_the_scheme_whose_noise_it_hears() {
        let config = serde_json::json!({"schemes": [
            {"name": "plain"},
            {"name": "list", "noise_from": "plain", "receiver": {"kind": "list", "max_penalty": 30.0}},
            {"name": "icd", "noise_from": "plain", "receiver": {"kind": "icd", "candidates": 10}},
            {"name": "alone", "receiver": {"kind": "list", "beam": 16, "parity": false}},
        ]});
        let rows = [
            row("plain", 0.0, 40, 0, None),
            row("plain", 1.0, 10, 0, None),
            row("list", 0.0, 31, 0, Some(500.0)),
            row("list", 1.0, 12, 1, Some(90.0)),
            row("icd", 0.0, 38, 4, Some(30.0)),
            row("alone", 0.0, 5, 0, Some(7.0)),
        ];
        let got = receiver_rows(&rows, &config);
        let names: Vec<(&str, f64)> = got.iter().map(|r| (r.scheme.as_str(), r.snr_db)).collect();
        assert_eq!(names, [("list", 0.0), ("list", 1.0), ("icd", 0.0), ("alone", 0.0)]);
        assert_eq!(got[0].receiver, "list (beam 8, limit 30 nats)");
        assert_eq!((got[0].plain.clone(), got[0].recovered()), (Some(("plain".into(), 40)), Some(9)));
        // It broke more than it fixed at 1 dB: a negative count, not hidden.
        assert_eq!((got[1].recovered(), got[1].unflagged), (Some(-2), Some(1)));
        assert_eq!((got[2].receiver.as_str(), got[2].recovered()), ("ICD (10 candidates)", Some(2)));
        assert_eq!(got[3].receiver, "list (beam 16, limit 10 nats, no parity)");
        assert_eq!((got[3].plain.clone(), got[3].recovered()), (None, None));
        assert!(receiver_rows(&rows, &serde_json::json!({})).is_empty());
    }
}
