//! STOI and ESTOI against an independent implementation: `pystoi` 0.4.1 (the Python port of Taal
//! et al.'s and Jensen & Taal's MATLAB code that the speech-enhancement literature reports with),
//! pinned in `tests/stoi/requirements.txt` and installed here by pip into the target folder on
//! first use. Real speech (the held-out clip dev00): the `stoi` and `estoi` columns of an audio link
//! run must equal pystoi on the WAV files the run wrote, and ours must equal pystoi's at sample
//! rates that resample up, not at all, and by an awkward ratio, under noise, muting and clipping.
//!
//! ESTOI dithers (`metrics::stoi`'s module docs): where the dither decides the score (long muted
//! stretches), pystoi's value is a random draw, and ours must lie within the spread of 20 of its
//! draws, with the same mean and spread over 20 of our own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{num, result_rows, root, sim, stderr};
use lmsscc::metrics::stoi::{estoi, stoi, StoiReference};
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

/// ESTOI draws taken from pystoi per file (each after another NumPy seed).
const DRAWS: usize = 20;

/// pystoi's scores of one received file.
struct Pystoi {
    stoi: f64,
    /// [`DRAWS`] ESTOI values, one per dither seed.
    estoi: Vec<f64>,
}

/// pystoi's scores of each of `received` against `clean` (WAV files at one rate).
fn pystoi(clean: &Path, received: &[PathBuf]) -> Vec<Pystoi> {
    let out = Command::new("python3")
        .arg(root().join("tests/stoi/pystoi_files.py"))
        .args(["--estoi-draws", &DRAWS.to_string()])
        .arg(clean)
        .args(received)
        .env("PYTHONPATH", pystoi_site())
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "pystoi failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let scores: Vec<Pystoi> = text
        .lines()
        .map(|l| {
            let values: Vec<f64> = l.split('\t').skip(1).map(|v| v.parse().unwrap()).collect();
            assert_eq!(values.len(), 1 + DRAWS, "{l}");
            Pystoi { stoi: values[0], estoi: values[1..].to_vec() }
        })
        .collect();
    assert_eq!(scores.len(), received.len(), "{text}");
    scores
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    (mean, (v.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// Our ESTOI `got` lies within pystoi's draws' spread: equal to 1e-9 where the dither does not
/// matter, within 6 standard deviations of their mean where it does.
fn assert_estoi_within_draws(got: f64, draws: &[f64], what: &str) {
    let (mean, sd) = mean_sd(draws);
    assert!((got - mean).abs() <= 1e-9 + 6.0 * sd, "{what}: ESTOI ours {got}, pystoi {mean} ± {sd}");
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
        let what = format!("{} @ {}", r["scheme"], r["snr_db"]);
        let got = num(r, "stoi");
        assert!((got - want.stoi).abs() < 1e-9, "{what}: STOI ours {got}, pystoi {}", want.stoi);
        assert_estoi_within_draws(num(r, "estoi"), &want.estoi, &what);
        for column in ["stoi", "estoi"] {
            let (got, lo, hi) = (num(r, column), num(r, &format!("{column}_lo")), num(r, &format!("{column}_hi")));
            assert!(lo <= got + 1e-12 && got <= hi + 1e-12, "{what} {column}: {lo} {got} {hi}");
        }
    }
    // The points span the scale, so the agreement is not only at its ends.
    for scores in [reference.iter().map(|p| p.stoi).collect::<Vec<_>>(), reference.iter().map(|p| p.estoi[0]).collect()]
    {
        assert!(scores.iter().any(|&s| s > 0.999), "{scores:?}");
        assert!(scores.iter().filter(|&&s| s > 0.05 && s < 0.95).count() >= 3, "{scores:?}");
    }
}

#[test]
fn stoi_and_estoi_match_pystoi_across_sample_rates_and_damage() {
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
    let muted_blocks = |block: usize| -> Vec<i16> {
        clean.iter().enumerate().map(|(i, &s)| if (i / block) % 3 == 1 { 0 } else { s }).collect()
    };
    let damaged: Vec<(&str, Vec<i16>)> = vec![
        ("noise300", add_noise(300.0, &mut noise)),
        ("noise3000", add_noise(3000.0, &mut noise)),
        // Short mutes (a few STFT frames each) and long ones (runs of 384 ms with bands that
        // received nothing, where ESTOI's dither decides), and nothing at all.
        ("muted", muted_blocks(1024)),
        ("muted-long", muted_blocks(8192)),
        ("silence", vec![0; clean.len()]),
        ("clipped", clean.iter().map(|&s| s.clamp(-800, 800)).collect()),
    ];
    let write = |name: &str, rate: u32, samples: &[i16]| -> PathBuf {
        let path = dir.path().join(format!("{name}-{rate}.wav"));
        std::fs::write(&path, encode_wav(&Audio { sample_rate: rate, channels: 1, samples: samples.to_vec() }))
            .unwrap();
        path
    };
    let real = |s: &[i16]| -> Vec<f64> { s.iter().map(|&v| v as f64).collect() };
    let (mut stoi_spread, mut estoi_spread, mut dither_decided) = (Vec::new(), Vec::new(), 0);
    for rate in [8_000, 10_000, 22_050] {
        let clean_file = write("clean", rate, &clean);
        let files: Vec<PathBuf> = damaged.iter().map(|(name, s)| write(name, rate, s)).collect();
        let reference = pystoi(&clean_file, &files);
        for ((name, samples), want) in damaged.iter().zip(&reference) {
            let what = format!("{name} at {rate} Hz");
            let (x, y) = (real(&clean), real(samples));
            let got = stoi(&x, &y, rate).unwrap();
            assert!((got - want.stoi).abs() < 1e-9, "{what}: STOI ours {got}, pystoi {}", want.stoi);
            stoi_spread.push(got);
            let got = estoi(&x, &y, rate).unwrap();
            assert_estoi_within_draws(got, &want.estoi, &what);
            estoi_spread.push(got);
            // Our dither against pystoi's: the same mean and spread over 20 seeds each (a spread
            // of about 1e-15 where the dither does not matter).
            let reference = StoiReference::new(&x, rate).unwrap();
            let ours: Vec<f64> = (0..DRAWS as u64)
                .map(|seed| {
                    let e = reference.segment_scores_dithered(&y, seed).estoi;
                    e.iter().sum::<f64>() / e.len() as f64
                })
                .collect();
            let ((ours_mean, ours_sd), (their_mean, their_sd)) = (mean_sd(&ours), mean_sd(&want.estoi));
            let standard_error = ((ours_sd * ours_sd + their_sd * their_sd) / DRAWS as f64).sqrt();
            assert!(
                (ours_mean - their_mean).abs() <= 1e-9 + 4.0 * standard_error,
                "{what}: ESTOI over seeds ours {ours_mean} ± {ours_sd}, pystoi {their_mean} ± {their_sd}"
            );
            if their_sd > 1e-6 {
                dither_decided += 1;
                assert!(ours_sd > their_sd / 3.0 && ours_sd < their_sd * 3.0, "{what}: spread {ours_sd} vs {their_sd}");
            } else {
                assert!(ours_sd < 1e-9, "{what}: spread {ours_sd} where pystoi's is {their_sd}");
            }
        }
    }
    // The damage ranges from slight to severe, and the dither decided some scores.
    for spread in [&stoi_spread, &estoi_spread] {
        let (min, max) = spread.iter().fold((1.0f64, 0.0f64), |(a, b), &s| (a.min(s), b.max(s)));
        assert!(min < 0.7 && max > 0.9, "{spread:?}");
    }
    assert!(dither_decided >= 3, "{dither_decided}");
}
