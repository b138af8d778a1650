//! Data paths written in scenarios.
//!
//! A scenario names its files (text set, code matrix, weights, word counts) relative to the project
//! root, and a user may run `sim` from anywhere: a path is taken as given when it exists (absolute,
//! or relative to the working directory), else relative to the root the scenario file lives under.

use std::path::{Path, PathBuf};

/// Resolves a data path: as given if it exists, else relative to `base`.
pub fn resolve(file: &str, base: &Path) -> PathBuf {
    let p = PathBuf::from(file);
    if p.is_absolute() || p.exists() {
        p
    } else {
        base.join(p)
    }
}

/// The folder a scenario's relative paths are written from: for `<root>/scenarios/x.toml` it is
/// `<root>`, for a scenario anywhere else its own folder.
pub fn project_root_for(scenario: &Path) -> PathBuf {
    let dir = scenario.parent().unwrap_or(Path::new("."));
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("scenarios") => dir.parent().unwrap_or(Path::new(".")).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}
