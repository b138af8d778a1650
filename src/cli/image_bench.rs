//! `sim source-bench --images`: bits per subpixel and speed of every image coder on the held-out
//! photographs (and any `--image FILE`), each code checked to round-trip exactly; prints a table
//! with each coder's mean and its ratio to PNG and JPEG-XL, writes `image_bench.csv` and
//! `image_bench.json` (version, photos and their sha256, the image LM's sha256, times).

use std::path::{Path, PathBuf};

use anyhow::Context;
use source::image::bench::bench_pixel_text;
use source::image::bench::{bench_image, jpeg_xl_available, mean_rows, rows_csv, ImageBenchRow, JPEG_XL};
use source::image::io::{load_image, Image};
use source::image::lm::ImageLm;
use source::image::photos::{load_photo, photos, Split};

use crate::report::run_info::{unix_now, write_atomic};

/// What to run.
pub struct ImageBenchArgs {
    pub image_lm: Option<PathBuf>,
    pub extra: Vec<PathBuf>,
    pub out: PathBuf,
    /// Side of the centre crops on which SmolLM2 codes pixels as text (0: not run).
    pub llm_crop: u32,
}

/// The `side × side` window in the middle of `image`.
fn centre_crop(image: &Image, side: u32) -> Image {
    let (w, h) = (side.min(image.width), side.min(image.height));
    image.crop((image.width - w) / 2, (image.height - h) / 2, w, h)
}

fn table(rows: &[ImageBenchRow]) -> String {
    let means = mean_rows(rows);
    let mut images: Vec<&str> = Vec::new();
    for r in rows {
        if !images.contains(&r.image.as_str()) {
            images.push(&r.image);
        }
    }
    let coders: Vec<&str> = means.iter().map(|(c, _, _)| c.as_str()).collect();
    let mut s = format!("{:<18}", "bits/subpixel");
    for c in &coders {
        s.push_str(&format!(" {c:>19}"));
    }
    s.push('\n');
    for image in &images {
        s.push_str(&format!("{image:<18}"));
        for c in &coders {
            match rows.iter().find(|r| r.image == *image && r.coder == *c) {
                Some(r) => s.push_str(&format!(" {:>19.3}", r.bits_per_subpixel())),
                None => s.push_str(&format!(" {:>19}", "-")),
            }
        }
        s.push('\n');
    }
    s.push_str(&format!("{:<18}", "mean"));
    for (_, bps, _) in &means {
        s.push_str(&format!(" {bps:>19.3}"));
    }
    s.push('\n');
    for reference in ["png-best", JPEG_XL] {
        if let Some((_, base, _)) = means.iter().find(|(c, _, _)| c == reference) {
            s.push_str(&format!("{:<18}", format!("÷ {reference}")));
            for (_, bps, _) in &means {
                s.push_str(&format!(" {:>19.3}", bps / base));
            }
            s.push('\n');
        }
    }
    s.push_str(&format!("{:<18}", "encode kpx/s"));
    for (_, _, t) in &means {
        s.push_str(&format!(" {:>19.1}", t.encode_subpixels_per_s() / 1e3));
    }
    s.push('\n');
    s.push_str(&format!("{:<18}", "decode kpx/s"));
    for (_, _, t) in &means {
        s.push_str(&format!(" {:>19.1}", t.decode_subpixels_per_s() / 1e3));
    }
    s.push('\n');
    s
}

pub fn run(a: ImageBenchArgs) -> anyhow::Result<()> {
    let model = match &a.image_lm {
        Some(p) => ImageLm::load(p)?,
        None => ImageLm::embedded()?,
    };
    let scratch = std::env::temp_dir().join(format!("lmsscc-image-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let result = bench_all(&a, &model, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn bench_all(a: &ImageBenchArgs, model: &ImageLm, work: &Path) -> anyhow::Result<()> {
    let jpeg_xl = jpeg_xl_available();
    if !jpeg_xl {
        eprintln!("cjxl/djxl not found (Debian: libjxl-tools): no JPEG-XL row");
    }
    let work = jpeg_xl.then_some(work);
    let started_unix = unix_now();
    let mut rows = Vec::new();
    let mut inputs = Vec::new();
    let mut held_out = Vec::new();
    for photo in photos(Split::HeldOut) {
        let image = load_photo(photo, true)?;
        eprintln!("{} ({}×{}×{}) ...", photo.name, image.width, image.height, image.channels);
        rows.extend(bench_image(&image, photo.name, Some(model), work)?);
        inputs.push(serde_json::json!({"name": photo.name, "sha256": source::image::photos::photo_sha256(photo)}));
        held_out.push((photo.name, image));
    }
    for path in &a.extra {
        let image = load_image(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        eprintln!("{name} ({}×{}×{}) ...", image.width, image.height, image.channels);
        rows.extend(bench_image(&image, &name, Some(model), work)?);
        inputs.push(serde_json::json!({"name": name, "sha256": source::model_cache::sha256_file(path)?}));
    }
    print!("{}", table(&rows));
    if a.llm_crop > 0 {
        let coder = source::file_coder::FileCoder::load("smollm2-135m", true)?;
        let mut crops = Vec::new();
        for (photo, full) in &held_out {
            let image = centre_crop(full, a.llm_crop);
            let name = format!("{photo}@{}", a.llm_crop);
            eprintln!("{name}: SmolLM2 on pixels as text ...");
            crops.extend(bench_image(&image, &name, Some(model), work)?);
            crops.push(bench_pixel_text(&image, &name, &coder)?);
        }
        println!("\ncentre {0}×{0} crops (tiny images: the PNG/WebP/JPEG-XL headers weigh here)", a.llm_crop);
        print!("{}", table(&crops));
        rows.extend(crops);
    }
    write_outputs(&a.out, &rows, model, inputs, jpeg_xl, started_unix)
}

fn write_outputs(
    out: &Path,
    rows: &[ImageBenchRow],
    model: &ImageLm,
    inputs: Vec<serde_json::Value>,
    jpeg_xl: bool,
    started_unix: u64,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let csv = out.join("image_bench.csv");
    write_atomic(&csv, rows_csv(rows).as_bytes())?;
    let record = serde_json::json!({
        "version": crate::version(),
        "images": inputs,
        "image_lm_sha256": model.sha256(),
        "image_lm_parameters": model.parameters(),
        "image_lm_training": serde_json::from_str::<serde_json::Value>(model.training_metadata()).unwrap_or_default(),
        "jpeg_xl": jpeg_xl,
        "threads": rayon::current_num_threads(),
        "started_unix": started_unix,
        "finished_unix": unix_now(),
    });
    let json = out.join("image_bench.json");
    write_atomic(&json, serde_json::to_string_pretty(&record)?.as_bytes())?;
    println!("wrote {} and {}", csv.display(), json.display());
    Ok(())
}
