//! `sim decompress IN -o FILE`: restores a file written by `sim compress` (the container names its
//! coder; length and sha256 prefix are checked; output is written atomically). An image container
//! gives back a PNG with the original's pixels; an audio container the original WAV file.

use std::path::PathBuf;

use super::output::Output;
use anyhow::Context;
use clap::Args;
use source::container::load_coder;
use source::file_coder::FileCoder;

#[derive(Args)]
pub struct DecompressArgs {
    /// Container written by `sim compress`.
    pub input: PathBuf,
    /// Where to write the restored file (`-`: standard output).
    #[arg(short, long, allow_hyphen_values = true)]
    pub output: PathBuf,
    /// Model for file-mode containers (default: the one the container names; its sha256 must match).
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: DecompressArgs) -> anyhow::Result<()> {
    let output = Output::check(&a.input, &a.output)?;
    let started = std::time::Instant::now();
    let data = std::fs::read(&a.input).with_context(|| format!("reading {}", a.input.display()))?;
    let plain = if source::audio::container::is_audio_container(&data) {
        source::audio::container::decompress_wav(&data)
            .with_context(|| format!("decompressing {}", a.input.display()))?
    } else if source::image::container::is_image_container(&data) {
        let model = source::image::lm::ImageLm::embedded()?;
        let image = source::image::container::decompress_image(&data, &model)
            .with_context(|| format!("decompressing {}", a.input.display()))?;
        source::image::io::encode_png(&image, source::image::io::PngEffort::Default)?
    } else if source::container::container_version(&data).is_ok_and(source::container::is_whole_file) {
        let meter = crate::cli::progress_line::Meter::new(data.len(), a.quiet);
        let plain = source::container::decompress_whole_file(
            &data,
            |name, options| FileCoder::load_with(a.model.as_deref().unwrap_or(name), !a.quiet, options),
            &|done, total| meter.show(done, total),
        )
        .with_context(|| format!("decompressing {}", a.input.display()))?;
        plain
    } else {
        let (mode, _) = source::container::inspect(&data).with_context(|| format!("{}", a.input.display()))?;
        let lm = match &mode {
            source::container::ContainerMode::LmText { model } => Some(load_coder(model, !a.quiet)?),
            source::container::ContainerMode::ZstdBytes => None,
        };
        source::container::decompress_bytes(&data, lm.as_deref())
            .with_context(|| format!("decompressing {}", a.input.display()))?
    };
    output.write(&plain)?;
    if !a.quiet {
        let line = format!(
            "{} -> {}: {} bytes in {:.2} s",
            a.input.display(),
            output.name(),
            plain.len(),
            started.elapsed().as_secs_f64()
        );
        output.report(&line);
    }
    Ok(())
}
