//! The LM-aided receivers' part of a report: for every scheme with a `receiver` (ICD or the list
//! receiver), at each SNR, the messages it left wrong against those the plain receiver left wrong
//! on the same noise, the wrong messages it passed on as right (unflagged), and the work it took
//! (model steps per message; ICD's candidates).
//!
//! The plain receiver is the scheme on the same noise that differs from it by the receiver alone
//! (same decoder, code and source; either may have an SNR grid of its own): a list receiver over OSD
//! is set against OSD, not against the BP scheme whose noise both hear. Without such a scheme, it
//! is the one `noise_from` names.
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
    /// The plain scheme (see the module docs) and its wrong messages at this SNR, when the folder
    /// has that row.
    pub plain: Option<(String, u64)>,
    pub unflagged: Option<u64>,
    pub model_steps_per_message: Option<f64>,
    pub candidates_per_message: Option<f64>,
    /// A list receiver: the messages it searched and did not return, as (missed by the
    /// search, outscored, over the limit) (results.csv's `list_missed`, `list_outscored`,
    /// `list_over_limit`).
    pub misses: Option<[u64; 3]>,
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
            let plain = plain_scheme(schemes, s).and_then(|from| {
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
                misses: match (r.list_missed, r.list_outscored, r.list_over_limit) {
                    (Some(missed), Some(outscored), Some(over)) => Some([missed, outscored, over]),
                    _ => None,
                },
            })
        })
        .collect()
}

/// The name of the scheme that `scheme` (a resolved scheme with a receiver) is set against: one
/// without a receiver on the same noise, equal to it in every other key; else its `noise_from`.
fn plain_scheme<'a>(schemes: &'a [serde_json::Value], scheme: &'a serde_json::Value) -> Option<&'a str> {
    let name = |s: &'a serde_json::Value| s.get("name").and_then(|n| n.as_str());
    let noise_from = scheme.get("noise_from").and_then(|n| n.as_str())?;
    // Its noise: a scheme's own when it names none.
    let noise = |s: &'a serde_json::Value| s.get("noise_from").and_then(|n| n.as_str()).or_else(|| name(s));
    let rest = |s: &serde_json::Value| {
        let mut m = s.as_object().cloned().unwrap_or_default();
        // A scheme's own SNR grid says where it was run, not what it is.
        for key in ["name", "noise_from", "receiver", "snr_values_db"] {
            m.remove(key);
        }
        m
    };
    let twin = schemes
        .iter()
        .find(|p| p.get("receiver").is_none() && noise(p) == Some(noise_from) && rest(p) == rest(scheme))
        .and_then(name);
    twin.or(Some(noise_from))
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
    fn each_receiver_is_set_against_the_plain_scheme_on_its_noise() {
        let config = serde_json::json!({"schemes": [
            {"name": "plain"},
            {"name": "list", "noise_from": "plain", "receiver": {"kind": "list", "max_penalty": 30.0}},
            {"name": "icd", "noise_from": "plain", "receiver": {"kind": "icd", "candidates": 10}},
            {"name": "alone", "receiver": {"kind": "list", "beam": 16, "parity": false}},
            {"name": "osd", "noise_from": "plain", "decoder": {"kind": "osd"}, "snr_values_db": [-1.0, 0.0]},
            {"name": "osd-list", "noise_from": "plain", "decoder": {"kind": "osd"}, "receiver": {"kind": "list"}},
            {"name": "polar-list", "noise_from": "plain", "code": {"kind": "polar"}, "receiver": {"kind": "list"}},
        ]});
        let rows = [
            row("plain", 0.0, 40, 0, None),
            row("plain", 1.0, 10, 0, None),
            ResultRow {
                list_missed: Some(4),
                list_outscored: Some(2),
                list_over_limit: Some(1),
                ..row("list", 0.0, 31, 0, Some(500.0))
            },
            row("list", 1.0, 12, 1, Some(90.0)),
            row("icd", 0.0, 38, 4, Some(30.0)),
            row("alone", 0.0, 5, 0, Some(7.0)),
            row("osd", 0.0, 12, 0, None),
            row("osd-list", 0.0, 9, 0, Some(50.0)),
            row("polar-list", 0.0, 30, 0, Some(50.0)),
        ];
        let got = receiver_rows(&rows, &config);
        let names: Vec<(&str, f64)> = got.iter().map(|r| (r.scheme.as_str(), r.snr_db)).collect();
        assert_eq!(
            names,
            [("list", 0.0), ("list", 1.0), ("icd", 0.0), ("alone", 0.0), ("osd-list", 0.0), ("polar-list", 0.0)]
        );
        assert_eq!(got[0].receiver, "list (beam 8, limit 30 nats)");
        // Why the list did not return the sent message, where the row says; nothing where not.
        assert_eq!((got[0].misses, got[1].misses), (Some([4, 2, 1]), None));
        assert_eq!((got[0].plain.clone(), got[0].recovered()), (Some(("plain".into(), 40)), Some(9)));
        // It broke more than it fixed at 1 dB: a negative count, not hidden.
        assert_eq!((got[1].recovered(), got[1].unflagged), (Some(-2), Some(1)));
        assert_eq!((got[2].receiver.as_str(), got[2].recovered()), ("ICD (10 candidates)", Some(2)));
        assert_eq!(got[3].receiver, "list (beam 16, limit 10 nats, no parity)");
        assert_eq!((got[3].plain.clone(), got[3].recovered()), (None, None));
        // Over OSD it is set against OSD on the same noise (OSD's own SNR grid notwithstanding);
        // with no twin, against `noise_from`.
        assert_eq!((got[4].plain.clone(), got[4].recovered()), (Some(("osd".into(), 12)), Some(3)));
        assert_eq!((got[5].plain.clone(), got[5].recovered()), (Some(("plain".into(), 40)), Some(10)));
        assert!(receiver_rows(&rows, &serde_json::json!({})).is_empty());
    }
}
