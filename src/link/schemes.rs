//! A message scenario's message set and schemes, built by the modality its schemes send.

use super::message::{MessageScheme, MessageSet};
use crate::scenario::{LoadedScenario, Modality};

/// Loads the message set and builds every scheme of `loaded`, in the scenario's order (no file is
/// written): `link::text`, `link::image` or `link::audio`, as [`crate::scenario::Scenario::modality`] says.
pub fn build_schemes(
    loaded: &LoadedScenario,
    verbose: bool,
) -> anyhow::Result<(MessageSet, Vec<Box<dyn MessageScheme>>)> {
    match loaded.scenario.modality() {
        Modality::Text => super::text::build_schemes(loaded, verbose),
        Modality::Image => super::image::build_schemes(loaded, verbose),
        Modality::Audio => super::audio::build_schemes(loaded, verbose),
    }
}
