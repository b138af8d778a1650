//! STOI against an independent implementation: `pystoi` 0.4.1 (the Python port of Taal et al.'s
//! MATLAB code that the speech-enhancement literature reports with), pinned in
//! `tests/stoi/requirements.txt` and installed here by pip into the target folder on first use.
//! Real speech (the held-out clip dev00): the `stoi` column of an audio link run must equal pystoi
//! on the WAV files the run wrote, and our STOI must equal pystoi's at sample rates that resample
//! up, not at all, and by an awkward ratio, under noise, muting and clipping.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{num, result_rows, root, sim, stderr};
use lmsscc::metrics::stoi::stoi;
use source::audio::clips::{clip_by_name, load_clip};
use source::audio::wav::{encode_wav, Audio};

/// The folder pystoi and its pinned NumPy and SciPy are installed in (once per target folder).
fn pystoi_site() -> &'static Path {
    static SITE: OnceLock<PathBuf> = OnceLock::new();
    SITE.get_or_init(|| {
        let site = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pystoi-0.4.1");
        if site.join("pystoi").is_dir() {
            return site;
        }
        // Installed beside, then renamed: an interrupted install is never taken for a whole one.
        let partial = site.with_extension(format!("partial-{}", std::process::id()));
        let out = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location"])
            .args(["--only-binary", ":all:", "--target"])
            .arg(&partial)
            .arg("-r")
            .arg(root().join("tests/stoi/requirements.txt"))
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "pip could not install pystoi: {}", String::from_utf8_lossy(&out.stderr));
        if std::fs::rename(&partial, &site).is_err() {
            // Another process installed it first.
            let _ = std::fs::remove_dir_all(&partial);
        }
        site
    })
}

/// pystoi's STOI of each of `received` against `clean` (WAV files at one rate).
fn pystoi(clean: &Path, received: &[PathBuf]) -> Vec<f64> {
    let out = Command::new("python3")
        .arg(root().join("tests/stoi/pystoi_files.py"))
        .arg(clean)
        .args(received)
        .env("PYTHONPATH", pystoi_site())
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "pystoi failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let scores: Vec<f64> = text.lines().map(|l| l.rsplit('\t').next().unwrap().parse().unwrap()).collect();
    assert_eq!(scores.len(), received.len(), "{text}");
    scores
}

#[test]
fn the_links_stoi_column_is_pystoi_on_the_wav_files_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let o = sim(&[
        "run",
        "scenarios/audio-quick.toml",
        "--quiet",
        "--out",
        dir.path().to_str().unwrap(),
        "--set",
        "snr.values_db=[-1.0, 1.0, 3.0, 5.0]",
    ]);
    assert!(o.status.success(), "sim run failed: {}", stderr(&o));
    let rows = result_rows(dir.path());
    let received = dir.path().join("received");
    // audio-quick sends the first 24 frames of one clip: sent.wav is the utterance scored, and each
    // point's WAV file the utterance it delivered.
    let files: Vec<PathBuf> =
        rows.iter().map(|r| received.join(format!("{}@{}dB.wav", r["scheme"], num(r, "snr_db")))).collect();
    let reference = pystoi(&received.join("sent.wav"), &files);
    for (r, want) in rows.iter().zip(&reference) {
        let (got, lo, hi) = (num(r, "stoi"), num(r, "stoi_lo"), num(r, "stoi_hi"));
        assert!((got - want).abs() < 1e-9, "{} @ {}: ours {got}, pystoi {want}", r["scheme"], r["snr_db"]);
        assert!(lo <= got + 1e-12 && got <= hi + 1e-12, "{} @ {}: {lo} {got} {hi}", r["scheme"], r["snr_db"]);
    }
    // The points span the scale, so the agreement is not only at its ends.
    assert!(reference.iter().any(|&s| s > 0.999), "{reference:?}");
    assert!(reference.iter().filter(|&&s| s > 0.05 && s < 0.95).count() >= 3, "{reference:?}");
}

#[test]
fn stoi_matches_pystoi_across_sample_rates_and_damage() {
    let dir = tempfile::tempdir().unwrap();
    // Three seconds of real speech, declared at rates that STOI resamples up (8 kHz, 5/4), not at
    // all (10 kHz) and by 200/441 (22.05 kHz).
    let clip = load_clip(clip_by_name("dev00").unwrap(), false).unwrap();
    let clean: Vec<i16> = clip.samples[16_000..64_000].to_vec();
    let mut state = 7u64;
    let mut noise = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as i64 % 2001 - 1000) as f64 / 1000.0
    };
    let add_noise = |amplitude: f64, noise: &mut dyn FnMut() -> f64| -> Vec<i16> {
        clean.iter().map(|&s| (s as f64 + amplitude * noise()).round().clamp(-32768.0, 32767.0) as i16).collect()
    };
    let damaged: Vec<(&str, Vec<i16>)> = vec![
        ("noise300", add_noise(300.0, &mut noise)),
        ("noise3000", add_noise(3000.0, &mut noise)),
        ("muted", clean.iter().enumerate().map(|(i, &s)| if (i / 1024) % 3 == 1 { 0 } else { s }).collect()),
        ("clipped", clean.iter().map(|&s| s.clamp(-800, 800)).collect()),
    ];
    let write = |name: &str, rate: u32, samples: &[i16]| -> PathBuf {
        let path = dir.path().join(format!("{name}-{rate}.wav"));
        std::fs::write(&path, encode_wav(&Audio { sample_rate: rate, channels: 1, samples: samples.to_vec() }))
            .unwrap();
        path
    };
    let real = |s: &[i16]| -> Vec<f64> { s.iter().map(|&v| v as f64).collect() };
    let mut spread = Vec::new();
    for rate in [8_000, 10_000, 22_050] {
        let clean_file = write("clean", rate, &clean);
        let files: Vec<PathBuf> = damaged.iter().map(|(name, s)| write(name, rate, s)).collect();
        let reference = pystoi(&clean_file, &files);
        for ((name, samples), want) in damaged.iter().zip(&reference) {
            let got = stoi(&real(&clean), &real(samples), rate).unwrap();
            assert!((got - want).abs() < 1e-9, "{name} at {rate} Hz: ours {got}, pystoi {want}");
            spread.push(got);
        }
    }
    // The damage ranges from slight to severe.
    let (min, max) = spread.iter().fold((1.0f64, 0.0f64), |(a, b), &s| (a.min(s), b.max(s)));
    assert!(min < 0.7 && max > 0.9, "{spread:?}");
}
