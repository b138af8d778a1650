//! The shipped scenarios: each loads (parses and passes validation, naming its own file in any
//! error), and the README's scenario table lists each one, so a user finds what every file is for.

use crate::common;
use lmsscc::scenario;

#[test]
fn every_shipped_scenario_loads_and_the_readme_lists_it() {
    let dir = common::root().join("scenarios");
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let table = &readme[readme.find("## Scenarios").expect("a Scenarios section")..];
    let table = &table[..table.find("\nFormat").unwrap_or(table.len())];
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    let mut unlisted = Vec::new();
    for name in &names {
        if let Err(e) = scenario::load(&dir.join(name), &[]) {
            panic!("scenarios/{name}: {e:#}");
        }
        // Rows name a file as `scenarios/<name>` or, after the first in a cell, as `<name>`.
        if !table.contains(&format!("`scenarios/{name}`")) && !table.contains(&format!("`{name}`")) {
            unlisted.push(name.clone());
        }
    }
    assert!(unlisted.is_empty(), "not in README's scenario table: {unlisted:?}");
}
