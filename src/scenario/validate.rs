//! Checks that need more than types: values that parse but cannot be simulated.

use super::{line_of, CodeKind, Scenario, ScenarioError};

pub(super) fn validate(s: &Scenario, text: &str, file: &str, overrides: &[String]) -> Result<(), ScenarioError> {
    let at = |table: &str, key: &str| -> String {
        let dotted = if table.is_empty() { key.to_string() } else { format!("{table}.{key}") };
        if let Some(o) = overrides.iter().find(|o| o.split('=').next().map(str::trim) == Some(dotted.as_str())) {
            return format!("--set {o}: field '{dotted}'");
        }
        match line_of(text, key) {
            Some(line) => format!("{file}:{line}: field '{dotted}'"),
            None => format!("{file}: field '{dotted}'"),
        }
    };
    let fail = |table: &str, key: &str, msg: &str| Err(ScenarioError(format!("{}: {msg}", at(table, key))));

    if s.snr.values_db.is_empty() {
        return fail("snr", "values_db", "the SNR list is empty; give at least one point, e.g. values_db = [0.0, 2.0]");
    }
    if let Some(v) = s.snr.values_db.iter().find(|v| !v.is_finite()) {
        return fail("snr", "values_db", &format!("SNR {v} dB is not a finite number"));
    }
    if s.name.trim().is_empty() || s.name.contains(['/', '\\']) {
        return fail("", "name", "the name must be non-empty and contain no path separators (it names the results folder)");
    }
    if s.code.kind == CodeKind::Ldpc && s.code.file.trim().is_empty() {
        return fail("code", "file", "kind = \"ldpc\" needs a parity-check matrix file");
    }
    if s.code.kind == CodeKind::Uncoded && s.code.uncoded_bits == 0 {
        return fail("code", "uncoded_bits", "an uncoded frame needs at least one bit");
    }
    if s.stop.batch_frames == 0 {
        return fail("stop", "batch_frames", "must be at least 1");
    }
    if s.stop.max_frames == 0 {
        return fail("stop", "max_frames", "must be at least 1");
    }
    if s.decoder.iterations == 0 && !matches!(s.decoder.kind, super::DecoderKindName::Hard | super::DecoderKindName::Ecct) {
        return fail("decoder", "iterations", "belief propagation needs at least one iteration");
    }
    if !(s.channel.mean_square_gain > 0.0 && s.channel.mean_square_gain.is_finite()) {
        return fail("channel", "mean_square_gain", "must be a positive number");
    }
    Ok(())
}
