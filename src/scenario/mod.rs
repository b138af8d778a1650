//! Scenarios: the TOML files users write and script against.
//!
//! A scenario is parsed into a `toml::Value` tree, `--set key=value` overrides are applied to that
//! tree by dotted name, and only then is it deserialized into [`Scenario`] with unknown fields
//! rejected. Every error names the file (or the `--set` argument), the line where the value sits and
//! the field. Field names are part of the interface (`snr.values_db`, `decoder.kind`,
//! `decoder.iterations`, `seed`): rename nothing without a deprecation path.

mod overrides;
mod schema;
mod validate;

pub use overrides::apply_override;
pub use schema::*;
pub use validate::MAX_ITEMS_PER_POINT;

use std::path::{Path, PathBuf};

/// A problem with a scenario, already phrased for the user.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScenarioError(pub String);

/// A scenario as loaded: the typed config plus where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub path: PathBuf,
    pub scenario: Scenario,
    /// The resolved configuration as a TOML tree (defaults filled in, overrides applied).
    pub resolved: toml::Value,
    /// What the user may not expect of the overrides, phrased for them (the CLI prints each).
    pub notes: Vec<String>,
}

/// Reads `path`, applies `overrides` (`key=value` strings) and validates the result.
pub fn load(path: &Path, overrides: &[String]) -> Result<LoadedScenario, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError(format!("{}: cannot read scenario: {e}", path.display())))?;
    parse(&text, path, overrides)
}

/// Parses scenario text (as if read from `path`).
pub fn parse(text: &str, path: &Path, overrides: &[String]) -> Result<LoadedScenario, ScenarioError> {
    let file = path.display().to_string();
    let mut tree: toml::Value =
        toml::from_str(text).map_err(|e| ScenarioError(format!("{file}: {}", one_line(&e.to_string()))))?;
    for o in overrides {
        apply_override(&mut tree, o)?;
    }
    // Deserialize from the text when nothing was overridden so that toml reports line numbers.
    let scenario: Scenario = if overrides.is_empty() {
        toml::from_str(text).map_err(|e| ScenarioError(format!("{file}: {}", one_line(&e.to_string()))))?
    } else {
        let merged = toml::to_string(&tree).expect("a toml::Value always serializes");
        toml::from_str(&merged).map_err(|e| blame(text, &file, overrides, &e))?
    };
    validate::validate(&scenario, text, &file, overrides)?;
    let resolved = toml::Value::try_from(&scenario).expect("a Scenario always serializes");
    let notes = own_grids_kept(&scenario, overrides);
    Ok(LoadedScenario { path: path.to_path_buf(), scenario, resolved, notes })
}

/// `--set snr.values_db=…` changes the scenario's grid, not a scheme's own `snr_values_db`: one
/// note naming the schemes whose own grid differs from it, since a quick run at one point would
/// otherwise run them over their whole grid.
fn own_grids_kept(scenario: &Scenario, overrides: &[String]) -> Vec<String> {
    let key = |o: &String| o.split('=').next().unwrap_or("").trim().to_string();
    if !overrides.iter().any(|o| key(o) == "snr.values_db") {
        return Vec::new();
    }
    let kept: Vec<&str> = scenario
        .schemes
        .iter()
        .filter(|c| c.snr_values_db.as_ref().is_some_and(|own| *own != scenario.snr.values_db))
        .map(|c| c.name.as_str())
        .collect();
    if kept.is_empty() {
        return Vec::new();
    }
    let quoted: Vec<String> = kept.iter().map(|n| format!("'{n}'")).collect();
    vec![format!(
        "--set snr.values_db changes the scenario's grid only: {} keep{} {} own snr_values_db (set \
         schemes.<name>.snr_values_db to change {})",
        quoted.join(", "),
        if kept.len() == 1 { "s" } else { "" },
        if kept.len() == 1 { "its" } else { "their" },
        if kept.len() == 1 { "it" } else { "theirs" },
    )]
}

/// The error of a scenario that fails only once overridden, pinned on its source: the file's own
/// error, with its line, when the file alone fails; else the first `--set` after which it fails,
/// with its field (the merged text's line numbers mean nothing to the user).
fn blame(text: &str, file: &str, overrides: &[String], merged: &toml::de::Error) -> ScenarioError {
    if let Err(e) = toml::from_str::<Scenario>(text) {
        return ScenarioError(format!("{file}: {}", one_line(&e.to_string())));
    }
    let mut tree: toml::Value = toml::from_str(text).expect("the file parsed before the overrides");
    for o in overrides {
        if apply_override(&mut tree, o).is_err() {
            break;
        }
        let applied = toml::to_string(&tree).expect("a toml::Value always serializes");
        if let Err(e) = toml::from_str::<Scenario>(&applied) {
            let key = o.split('=').next().unwrap_or(o).trim();
            return ScenarioError(format!("{file}: --set {o}: field '{key}': {}", strip_location(&e.to_string())));
        }
    }
    ScenarioError(format!("{file} (with --set {}): {}", overrides.join(" --set "), strip_location(&merged.to_string())))
}

/// toml's messages span several lines (a caret diagram); keep them but make the first line count.
fn one_line(msg: &str) -> String {
    msg.trim_end().replace("TOML parse error at ", "")
}

/// After overrides the text toml saw is our re-serialization, whose line numbers mean nothing to the
/// user: keep only the message.
fn strip_location(msg: &str) -> String {
    msg.lines().last().unwrap_or(msg).trim().to_string()
}

/// 1-based line of the first occurrence of `key =` in `text`, for messages about valid TOML with
/// invalid values.
pub(crate) fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(key) && t[key.len()..].trim_start().starts_with('=')
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The main job's scenario: two uncoded schemes have their own grids.
    fn awgn(overrides: &[&str]) -> LoadedScenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/awgn.toml");
        load(&path, &overrides.iter().map(|o| o.to_string()).collect::<Vec<_>>()).unwrap()
    }

    /// `channel.csi` reads true, false or "estimated", and writes true and false back as booleans,
    /// so the resolved config (and the config hash) of every earlier run is unchanged.
    #[test]
    fn csi_is_a_boolean_or_estimated() {
        for (set, want, written) in [
            ("channel.csi=true", CsiSetting::Perfect, toml::Value::Boolean(true)),
            ("channel.csi=false", CsiSetting::None, toml::Value::Boolean(false)),
            ("channel.csi=estimated", CsiSetting::Estimated, toml::Value::String("estimated".into())),
        ] {
            let loaded = awgn(&[set]);
            assert_eq!(loaded.scenario.channel.csi, want);
            assert_eq!(loaded.resolved["channel"]["csi"], written);
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/awgn.toml");
        let err = load(&path, &["channel.csi=maybe".to_string()]).unwrap_err().to_string();
        assert!(err.contains("field 'channel.csi'") && err.contains("true, false or \"estimated\""), "{err}");
    }

    #[test]
    fn overriding_the_grid_names_the_schemes_that_keep_their_own() {
        assert!(awgn(&[]).notes.is_empty());
        assert!(awgn(&["seed=3"]).notes.is_empty());
        let notes = awgn(&["snr.values_db=[2.0]"]).notes;
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("'llm-uncoded', 'huffman-uncoded' keep their own snr_values_db"), "{}", notes[0]);
        // A scheme given the same grid follows it; the other is still named.
        let notes = awgn(&["snr.values_db=[2.0]", "schemes.llm-uncoded.snr_values_db=[2.0]"]).notes;
        assert!(notes[0].contains("'huffman-uncoded' keeps its own") && !notes[0].contains("llm-uncoded"), "{notes:?}");
    }
}
