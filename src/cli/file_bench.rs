//! `sim source-bench --files F…`: whole-file compression of real files by `sim compress`'s file
//! mode (SmolLM2 by default, `--model` for any llama GGUF) against `xz -9e`, `zstd -19` and
//! `bzip2 -9`, all in the same run: bytes, bits/byte, compression and decompression speed (bytes
//! of the original per second, model loading excluded and reported once), every round trip
//! checked byte for byte. Prints a table and writes `file_bench.csv` and `file_bench.json`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use source::container::{compress_whole_file, decompress_whole_file, default_lanes, LaneChoice};
use source::file_coder::FileCoder;
use source::model_cache::sha256_file;

use super::output::csv_field;
use crate::report::run_info::{unix_now, write_atomic};

/// The classical compressors, as command lines reading stdin and writing stdout.
const CLASSICAL: [(&str, &[&str], &[&str]); 3] = [
    ("xz -9e", &["xz", "-9e", "-c"], &["xz", "-d", "-c"]),
    ("zstd -19", &["zstd", "-19", "-c", "-q"], &["zstd", "-d", "-c", "-q"]),
    ("bzip2 -9", &["bzip2", "-9", "-c"], &["bzip2", "-d", "-c"]),
];

/// One coder on one file.
struct Measured {
    file: String,
    bytes: usize,
    coder: String,
    /// Lanes of the LM coder (none for the classical ones).
    lanes: Option<usize>,
    packed: usize,
    compress_s: f64,
    decompress_s: f64,
}

impl Measured {
    fn bits_per_byte(&self) -> f64 {
        8.0 * self.packed as f64 / self.bytes.max(1) as f64
    }
}

fn pipe(argv: &[&str], input: &[u8]) -> anyhow::Result<(Vec<u8>, f64)> {
    let started = Instant::now();
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", argv[0]))?;
    let mut stdin = child.stdin.take().expect("piped");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    writer.join().expect("writer thread")?;
    anyhow::ensure!(out.status.success(), "{} failed: {}", argv.join(" "), out.status);
    Ok((out.stdout, started.elapsed().as_secs_f64()))
}

/// Run the benchmark with `model` and its context window; `lanes` overrides `sim compress`'s
/// default lane count.
pub fn run(
    files: &[PathBuf],
    model: &str,
    context: super::compress::ContextWindow,
    lanes: Option<usize>,
    out: &Path,
) -> anyhow::Result<()> {
    let started_unix = unix_now();
    let load_started = Instant::now();
    let coder = context.apply(FileCoder::load(model, true)?)?;
    let load_s = load_started.elapsed().as_secs_f64();
    let mut rows = Vec::new();
    let mut inputs = Vec::new();
    for path in files {
        let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let lane_count = lanes.unwrap_or_else(|| default_lanes(data.len())).max(1);
        eprintln!("{name}: {} bytes, {lane_count} lanes", data.len());
        let t = Instant::now();
        let packed = compress_whole_file(&data, Some(&coder), LaneChoice::Auto, lane_count, &|_, _| {})
            .with_context(|| format!("compressing {}", path.display()))?;
        let compress_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let back = decompress_whole_file(&packed, |_, _| Ok(coder.clone()), &|_, _| {})
            .with_context(|| format!("decompressing {}", path.display()))?;
        let decompress_s = t.elapsed().as_secs_f64();
        anyhow::ensure!(back == data, "{}: the LM round trip is not byte-exact", path.display());
        rows.push(Measured {
            file: name.clone(),
            bytes: data.len(),
            coder: format!("sim compress {}", coder.model_name),
            lanes: Some(lane_count),
            packed: packed.len(),
            compress_s,
            decompress_s,
        });
        for (label, compress, decompress) in CLASSICAL {
            let Ok((packed, compress_s)) = pipe(compress, &data) else {
                eprintln!("{label}: not installed or failed, left out");
                continue;
            };
            let (back, decompress_s) = pipe(decompress, &packed)?;
            anyhow::ensure!(back == data, "{}: {label} round trip differs", path.display());
            rows.push(Measured {
                file: name.clone(),
                bytes: data.len(),
                coder: label.into(),
                lanes: None,
                packed: packed.len(),
                compress_s,
                decompress_s,
            });
        }
        inputs.push(
            serde_json::json!({"file": path.display().to_string(), "bytes": data.len(), "sha256": sha256_file(path)?}),
        );
    }
    print!("{}", table(&rows));
    println!("model load (once, not in the times above): {load_s:.1} s");
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut csv = String::from("file,bytes,coder,lanes,packed_bytes,bits_per_byte,ratio_to_xz,compress_s,decompress_s,compress_bytes_per_s,decompress_bytes_per_s\n");
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{},{},{},{:.4},{},{:.3},{:.3},{:.0},{:.0}\n",
            csv_field(&r.file),
            r.bytes,
            r.coder,
            r.lanes.map_or(String::new(), |l| l.to_string()),
            r.packed,
            r.bits_per_byte(),
            ratio_to_xz(rows.as_slice(), r).map_or(String::new(), |x| format!("{x:.3}")),
            r.compress_s,
            r.decompress_s,
            r.bytes as f64 / r.compress_s,
            r.bytes as f64 / r.decompress_s
        ));
    }
    let csv_path = out.join("file_bench.csv");
    write_atomic(&csv_path, csv.as_bytes())?;
    let record = serde_json::json!({
        "version": crate::version(),
        "model": coder.model_name,
        "model_sha256": source::file_coder::hex(&coder.model_sha256),
        "window": coder.window,
        "keep": coder.keep,
        "lanes": lanes,
        "threads": rayon::current_num_threads(),
        "model_load_s": load_s,
        "files": inputs,
        "started_unix": started_unix,
        "finished_unix": unix_now(),
    });
    let json_path = out.join("file_bench.json");
    write_atomic(&json_path, serde_json::to_string_pretty(&record)?.as_bytes())?;
    println!("wrote {} and {}", csv_path.display(), json_path.display());
    Ok(())
}

/// `r`'s size over `xz -9e`'s on the same file, when xz ran.
fn ratio_to_xz(rows: &[Measured], r: &Measured) -> Option<f64> {
    rows.iter().find(|x| x.file == r.file && x.coder == "xz -9e").map(|x| r.packed as f64 / x.packed as f64)
}

fn table(rows: &[Measured]) -> String {
    let mut s = format!(
        "{:<28} {:>9} {:<26} {:>5} {:>9} {:>8} {:>7} {:>11} {:>11}\n",
        "file", "bytes", "coder", "lanes", "packed", "bits/B", "vs xz", "comp B/s", "decomp B/s"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<28} {:>9} {:<26} {:>5} {:>9} {:>8.3} {:>7} {:>11.0} {:>11.0}\n",
            r.file,
            r.bytes,
            r.coder,
            r.lanes.map_or("-".into(), |l| l.to_string()),
            r.packed,
            r.bits_per_byte(),
            ratio_to_xz(rows, r).map_or("-".into(), |x| format!("{x:.2}×")),
            r.bytes as f64 / r.compress_s,
            r.bytes as f64 / r.decompress_s
        ));
    }
    s
}
