//! The results as papers tabulate them: one row per scheme, one column per SNR value of the run,
//! each cell the few numbers a reader compares across schemes at that SNR.
//!
//! For a message link (text, image tiles, audio frames) a cell is the wrong messages, the LM-aided
//! receiver's extra model steps per message (where a scheme of the run has such a receiver), the
//! wrong messages passed on unflagged (where a scheme can flag one) and the quality measure: BLEU-4
//! for text, PSNR for images ("exact" when every tile arrived whole), STOI for audio. For a
//! link-level run it is the BER and the BLER. A value the scheme does not have (no receiver, no
//! flag) is "–", and a point the scheme did not run is "not run", so a table reads the same whatever
//! grids the schemes ran on.

use super::domain::Domain;
use super::number::num;
use super::ResultRow;

/// A results table pivoted to schemes × SNR values.
#[derive(Debug, Clone, PartialEq)]
pub struct BySnr {
    /// What each cell holds, in words.
    pub note: String,
    pub header: Vec<String>,
    pub cells: Vec<Vec<String>>,
}

/// `rows` pivoted: schemes in their first appearance's order (a scheme run on several channels
/// once per channel, named with it), SNR values ascending.
pub fn by_snr(rows: &[ResultRow]) -> BySnr {
    let domain = Domain::of(rows);
    let steps = rows.iter().any(|r| r.lm_steps_per_message.is_some());
    let flags = rows.iter().any(|r| r.unflagged_errors.is_some());

    let mut snrs: Vec<f64> = Vec::new();
    let mut lines: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !snrs.contains(&r.snr_db) {
            snrs.push(r.snr_db);
        }
        if !lines.contains(&(r.scheme.as_str(), r.channel.as_str())) {
            lines.push((&r.scheme, &r.channel));
        }
    }
    snrs.sort_by(f64::total_cmp);
    let on_several_channels = |scheme: &str| lines.iter().filter(|l| l.0 == scheme).count() > 1;

    let unit = domain.messages();
    let note = if domain.has_messages() {
        let mut fields = vec![format!("wrong {unit}")];
        if steps {
            fields.push(format!("model steps per {} of the LM-aided receiver", unit.trim_end_matches('s')));
        }
        if flags {
            fields.push("wrong, unflagged".to_string());
        }
        fields.push(
            match domain {
                Domain::Image => "PSNR in dB (\"exact\": every tile whole)",
                Domain::Audio => "STOI",
                _ => "BLEU-4",
            }
            .to_string(),
        );
        format!(
            "Each scheme at each SNR (dB) of the run; a cell is {}; \"–\": the scheme has no such value, \"not run\": no point there.",
            fields.join(" / ")
        )
    } else {
        "Each scheme at each SNR (dB) of the run; a cell is BER / BLER; \"not run\": no point there.".to_string()
    };

    let mut header = vec!["scheme".to_string()];
    header.extend(snrs.iter().map(|s| format!("{} dB", num(Some(*s)))));
    let cells = lines
        .iter()
        .map(|&(scheme, channel)| {
            let mut line =
                vec![if on_several_channels(scheme) { format!("{scheme} ({channel})") } else { scheme.to_string() }];
            for &snr in &snrs {
                let row = rows.iter().find(|r| r.scheme == scheme && r.channel == channel && r.snr_db == snr);
                line.push(match row {
                    None => "not run".to_string(),
                    Some(r) if domain.has_messages() => message_cell(r, domain, steps, flags),
                    Some(r) => format!("{} / {}", num(Some(r.ber)), num(Some(r.bler))),
                });
            }
            line
        })
        .collect();
    BySnr { note, header, cells }
}

fn message_cell(r: &ResultRow, domain: Domain, steps: bool, flags: bool) -> String {
    let dash = || "–".to_string();
    let mut parts = vec![r.message_errors.map_or_else(dash, |e| e.to_string())];
    if steps {
        parts.push(r.lm_steps_per_message.map_or_else(dash, |s| {
            if s == 0.0 {
                "0".to_string()
            } else {
                format!("{s:.1}")
            }
        }));
    }
    if flags {
        parts.push(r.unflagged_errors.map_or_else(dash, |u| u.to_string()));
    }
    parts.push(match domain {
        Domain::Image => match (r.psnr_db, r.message_errors) {
            (Some(_), Some(0)) => "exact".to_string(),
            (Some(p), _) => format!("{p:.2}"),
            (None, _) => dash(),
        },
        Domain::Audio => r.stoi.map_or_else(dash, |s| format!("{s:.3}")),
        _ => r.bleu4.map_or_else(dash, |b| format!("{b:.3}")),
    });
    parts.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scheme: &str, snr_db: f64) -> ResultRow {
        ResultRow { scheme: scheme.into(), channel: "awgn".into(), snr_db, messages: Some(500), ..Default::default() }
    }

    #[test]
    fn the_committed_receiver_run_reads_as_the_readme_tabulates_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/lm-receivers-awgn");
        let rows = super::super::results_csv_rows(&dir).unwrap().rows;
        let t = by_snr(&rows);
        assert_eq!(t.header, ["scheme", "-1.5 dB", "-1 dB", "-0.5 dB", "0 dB", "0.5 dB", "1 dB"]);
        let line = |scheme: &str| t.cells.iter().find(|l| l[0] == scheme).unwrap().clone();
        // The plain receiver has no model steps; ICD's cells carry them; a grid the scheme did not run.
        assert_eq!(
            line("llm-ldpc-bp"),
            [
                "llm-ldpc-bp",
                "not run",
                "not run",
                "not run",
                "167 / – / 0 / 0.746",
                "91 / – / 0 / 0.875",
                "46 / – / 0 / 0.941"
            ]
        );
        assert_eq!(line("llm-ldpc-bp-icd")[4], "158 / 49.3 / 4 / 0.751");
        assert_eq!(line("llm-ldpc-osd2-icd")[1], "62 / 76.7 / 3 / 0.909");
        assert_eq!(t.cells.len(), 12);
        for cell in t.cells.iter().flat_map(|l| &l[1..]) {
            assert!(cell == "not run" || cell.split(" / ").count() == 4, "{cell}");
        }
        assert!(t
            .note
            .contains("wrong messages / model steps per message of the LM-aided receiver / wrong, unflagged / BLEU-4"));
    }

    #[test]
    fn image_cells_say_exact_and_link_level_cells_give_error_rates() {
        let mut whole = row("image-lm-ldpc-osd2", 2.0);
        (whole.message_errors, whole.psnr_db, whole.unflagged_errors) = (Some(0), Some(100.0), Some(0));
        let mut damaged = row("image-lm-ldpc-osd2", 1.0);
        (damaged.message_errors, damaged.psnr_db, damaged.unflagged_errors) = (Some(76), Some(22.4812), Some(0));
        let mut jscc = row("deep-jscc", 1.0);
        (jscc.message_errors, jscc.psnr_db) = (Some(342), Some(25.4));
        let t = by_snr(&[damaged, whole, jscc]);
        assert_eq!(
            t.cells,
            [["image-lm-ldpc-osd2", "76 / 0 / 22.48", "0 / 0 / exact"], ["deep-jscc", "342 / – / 25.40", "not run"]]
        );
        assert!(t.note.contains("wrong tiles / wrong, unflagged / PSNR"), "{}", t.note);

        let link = |snr: f64, ber: f64, bler: f64| ResultRow {
            scheme: "ldpc-bp".into(),
            channel: "awgn".into(),
            snr_db: snr,
            ber,
            bler,
            ..Default::default()
        };
        let t = by_snr(&[link(3.0, 1.25e-4, 0.0123), link(2.0, 0.002, 0.05)]);
        assert_eq!(t.header, ["scheme", "2 dB", "3 dB"]);
        assert_eq!(t.cells, [["ldpc-bp", "0.002 / 0.05", "1.250e-4 / 0.0123"]]);
        assert!(t.note.contains("BER / BLER"));
    }

    #[test]
    fn a_scheme_on_several_channels_gets_a_line_per_channel() {
        let mut faded = row("llm-ldpc-bp", 1.0);
        faded.channel = "rayleigh-fast-csi".into();
        // A JSCC scheme's channel names its model: one line, named by the scheme alone.
        let mut jscc = row("deepsc", 1.0);
        jscc.channel = "rayleigh-fast-csi (JSCC, DeepSC)".into();
        let t = by_snr(&[row("llm-ldpc-bp", 1.0), faded, jscc]);
        let names: Vec<&str> = t.cells.iter().map(|l| l[0].as_str()).collect();
        assert_eq!(names, ["llm-ldpc-bp (awgn)", "llm-ldpc-bp (rayleigh-fast-csi)", "deepsc"]);
    }
}
