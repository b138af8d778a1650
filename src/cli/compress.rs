//! `sim compress FILE -o OUT [--coder auto|lm|small-lm|smollm2|huffman|zstd|image-lm]`: lossless
//! compression of any file. Text goes through an LM (file mode by default); other bytes use zstd.
//! PNG files (and, with `--coder image-lm`, JPEG files) are coded as images by the image LM (a PNG
//! is kept as it is when that is smaller): the pixels are kept exactly and `sim decompress` writes
//! them as a PNG (the file's other chunks and its byte layout are not kept). WAV files go to the
//! adaptive audio coder (`source::audio::container`) and come back byte for byte. Every container records its coder and a checksum of what it
//! holds, checked by `sim decompress`. Output is written atomically.

use std::path::PathBuf;

use super::output::Output;
use anyhow::Context;
use clap::{Args, ValueEnum};
use source::container::{
    compress_bytes, compress_bytes_zstd, compress_whole_file, default_lanes, load_coder, LaneChoice,
};
use source::file_coder::FileCoder;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CoderChoice {
    /// File mode with `--model` (default SmolLM2-135M): the LM sees the whole file; each lane is
    /// stored with zstd instead when that is smaller (never worse than zstd -19 + header).
    Auto,
    /// File mode with the LM on every lane it can spell.
    Lm,
    /// The embedded small byte-level transformer LM, per line (no download).
    SmallLm,
    /// SmolLM2-135M arithmetic coding (best compression; fetched on first use; slow).
    Smollm2,
    /// Word-level Huffman codebook from the Europarl training split.
    Huffman,
    /// zstd level 19 on the whole file.
    Zstd,
    /// The image LM on the pixels of a PNG or JPEG file (the default for PNG files under `auto`).
    ImageLm,
    /// The adaptive audio coder on a WAV file's samples, the rest of the file with zstd (the
    /// default for WAV files under `auto`; the file comes back byte for byte).
    Audio,
}

impl CoderChoice {
    /// Name stored in the container (see `source::container::load_coder`).
    pub fn container_name(self) -> Option<&'static str> {
        match self {
            CoderChoice::SmallLm => Some("small-lm"),
            CoderChoice::Smollm2 => Some("smollm2-135m"),
            CoderChoice::Huffman => Some("huffman-word"),
            CoderChoice::Zstd | CoderChoice::Auto | CoderChoice::Lm | CoderChoice::ImageLm | CoderChoice::Audio => None,
        }
    }
}

/// File mode's context window, for `sim compress` and `sim source-bench --files`.
#[derive(Args, Clone, Copy)]
pub struct ContextWindow {
    /// File mode: the model's context window in tokens; a lane's context slides when it fills
    /// (recorded in the container). Smaller is faster to decompress (the attention reads the whole
    /// window every step) and codes slightly worse.
    #[arg(long, default_value_t = source::file_coder::DEFAULT_WINDOW)]
    pub window: usize,
    /// File mode: tokens a slid context is re-primed from.
    #[arg(long, default_value_t = source::file_coder::DEFAULT_KEEP)]
    pub keep: usize,
}

impl ContextWindow {
    /// `coder` with this window; a pair the model cannot use is an error naming both options.
    pub fn apply(&self, coder: FileCoder) -> anyhow::Result<FileCoder> {
        coder
            .with_window(self.window, self.keep)
            .with_context(|| format!("--window {} --keep {}", self.window, self.keep))
    }
}

#[derive(Args)]
pub struct CompressArgs {
    /// File to compress (any bytes).
    pub input: PathBuf,
    /// Output container (`-`: standard output).
    #[arg(short, long, allow_hyphen_values = true)]
    pub output: PathBuf,
    /// Source coder for text.
    #[arg(long, value_enum, default_value = "auto")]
    pub coder: CoderChoice,
    /// Model for `auto`/`lm`: a known name or a local llama-family GGUF path.
    #[arg(long, default_value = "smollm2-135m")]
    pub model: String,
    /// Lanes (contiguous segments coded in parallel); default one per 4 KiB, at most 16.
    #[arg(long)]
    pub lanes: Option<usize>,
    #[command(flatten)]
    pub context: ContextWindow,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: CompressArgs) -> anyhow::Result<()> {
    let output = Output::check(&a.input, &a.output)?;
    let data = std::fs::read(&a.input).with_context(|| format!("reading {}", a.input.display()))?;
    let started = std::time::Instant::now();
    let png_under_auto = matches!(a.coder, CoderChoice::Auto) && source::image::io::is_png(&data);
    if matches!(a.coder, CoderChoice::ImageLm) || png_under_auto {
        return compress_image(&a, &data, &output, started);
    }
    let wav_under_auto = matches!(a.coder, CoderChoice::Auto) && source::audio::wav::looks_like_wav(&data);
    if matches!(a.coder, CoderChoice::Audio) || wav_under_auto {
        match source::audio::container::compress_wav(&data) {
            Ok(packed) => return report_audio(&a, &data, &packed, &output, started),
            // Under `auto`, a WAV file the audio coder cannot take exactly goes to the general coder.
            Err(e) if wav_under_auto => {
                if !a.quiet {
                    eprintln!("{}: {e}; using the general coder", a.input.display());
                }
            }
            Err(e) => return Err(anyhow::anyhow!("{}: {e}", a.input.display())),
        }
    }
    let packed = match a.coder.container_name() {
        None if !matches!(a.coder, CoderChoice::Zstd) => {
            let coder = a.context.apply(FileCoder::load(&a.model, !a.quiet)?)?;
            let choice = if matches!(a.coder, CoderChoice::Lm) { LaneChoice::Lm } else { LaneChoice::Auto };
            let lanes = a.lanes.unwrap_or_else(|| default_lanes(data.len())).max(1);
            let meter = crate::cli::progress_line::Meter::new(data.len(), a.quiet);
            compress_whole_file(&data, Some(&coder), choice, lanes, &|done, total| meter.show(done, total))
        }
        Some(name) => {
            let coder = load_coder(name, !a.quiet)?;
            compress_bytes(&data, coder.as_ref(), name)
        }
        None => compress_bytes_zstd(&data),
    }
    .with_context(|| format!("compressing {}", a.input.display()))?;
    output.write(&packed)?;
    if !a.quiet {
        let mode = match source::container::inspect(&packed) {
            Ok((mode, _)) => format!("{mode:?}"),
            Err(_) => source::container::inspect_whole_file(&packed)
                .map(|h| {
                    let lm = h.lanes.iter().filter(|l| l.0).count();
                    format!("file mode, {} lanes ({lm} LM, {} zstd)", h.lanes.len(), h.lanes.len() - lm)
                })
                .unwrap_or_default(),
        };
        let line = format!(
            "{} -> {}: {} -> {} bytes ({:.3} bits/byte, {}) in {:.2} s",
            a.input.display(),
            output.name(),
            data.len(),
            packed.len(),
            8.0 * packed.len() as f64 / data.len().max(1) as f64,
            mode,
            started.elapsed().as_secs_f64()
        );
        output.report(&line);
    }
    Ok(())
}

/// Write an audio container and say what it holds.
fn report_audio(
    a: &CompressArgs,
    data: &[u8],
    packed: &[u8],
    output: &Output,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    output.write(packed)?;
    if !a.quiet {
        let h = source::audio::container::inspect_audio(packed)?;
        let line = format!(
            "{} -> {}: {} Hz × {} channel(s), {:.1} s of {:?}, {} -> {} bytes ({:.2} %, {} of {} segments coded; \
             the file comes back byte for byte) in {:.2} s",
            a.input.display(),
            output.name(),
            h.sample_rate,
            h.channels,
            h.frames as f64 / h.sample_rate.max(1) as f64,
            h.format,
            data.len(),
            packed.len(),
            100.0 * packed.len() as f64 / data.len().max(1) as f64,
            h.coded_segments(),
            h.segments.len(),
            started.elapsed().as_secs_f64()
        );
        output.report(&line);
    }
    Ok(())
}

/// The image path: decode the PNG/JPEG, code its pixels with the shipped image LM.
fn compress_image(a: &CompressArgs, data: &[u8], output: &Output, started: std::time::Instant) -> anyhow::Result<()> {
    let image = source::image::io::decode_image(data).map_err(|e| anyhow::anyhow!("{}: {e}", a.input.display()))?;
    let model = source::image::lm::ImageLm::embedded()?;
    // A PNG is kept as it is when the image LM would not make it smaller.
    let packed = if source::image::io::is_png(data) {
        source::image::container::compress_image_or_png(&image, &model, data)
    } else {
        source::image::container::compress_image(&image, &model)
    }
    .with_context(|| format!("compressing {}", a.input.display()))?;
    let stored = source::image::container::inspect_image(&packed).is_ok_and(|h| h.stored_png);
    output.write(&packed)?;
    if !a.quiet {
        let line = format!(
            "{} -> {}: {}×{}×{} image, {} -> {} bytes ({:.3} bits/subpixel, {}; pixels kept exactly, \
             `sim decompress` writes a PNG) in {:.2} s",
            a.input.display(),
            output.name(),
            image.width,
            image.height,
            image.channels,
            data.len(),
            packed.len(),
            8.0 * packed.len() as f64 / image.subpixels().max(1) as f64,
            if stored { "the PNG stored as it is: the image LM gave more" } else { "image LM" },
            started.elapsed().as_secs_f64()
        );
        output.report(&line);
    }
    Ok(())
}
