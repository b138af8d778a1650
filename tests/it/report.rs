//! `sim report`: one self-contained page per results folder, opened in a real headless browser.

use std::path::Path;
use std::process::Command;

use crate::common::{fails_with, result_rows, sim, stderr};

/// Loads `html` in headless Chromium and returns (images, images loaded): a copy of the page gets a
/// probe script that writes both counts into its title once everything has loaded, and Chromium
/// prints the DOM. `None` when Chromium is not installed and not required.
fn images_in_chromium(html: &Path, scratch: &Path) -> Option<(usize, usize)> {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        assert!(
            std::env::var_os("LMSSCC_REQUIRE_CHROMIUM").is_none(),
            "LMSSCC_REQUIRE_CHROMIUM is set but /usr/bin/chromium is missing (apt-get install chromium)"
        );
        eprintln!("==== report: /usr/bin/chromium not installed; the browser check is skipped ====");
        return None;
    }
    let page = std::fs::read_to_string(html).unwrap();
    let probe = "<script>window.addEventListener('load', () => { const i = [...document.images]; \
                 document.title = 'images=' + i.length + ' loaded=' + \
                 i.filter(x => x.complete && x.naturalWidth > 0).length; });</script></body>";
    let probed = scratch.join("probe.html");
    std::fs::write(&probed, page.replace("</body>", probe)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", probed.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let title = dom.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap_or("");
    let count = |key: &str| -> usize {
        title.split(key).nth(1).and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| {
            panic!("no {key} in the title {title:?}; chromium said: {}", String::from_utf8_lossy(&out.stderr))
        })
    };
    Some((count("images="), count("loaded=")))
}

#[test]
fn a_text_run_reports_tables_plots_samples_and_limits_on_one_page_that_loads_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quick");
    let o = sim(&["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sim(&["report", out.to_str().unwrap(), "--snr", "-2,6"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    for page in [&html, &md] {
        assert!(page.contains(run_json["config_hash"].as_str().unwrap()), "the run's identity");
        for scheme in ["small-lm-ldpc-bp", "huffman-ldpc-bp", "small-lm-uncoded"] {
            assert!(page.contains(scheme), "{scheme}");
        }
        assert!(page.contains("Distance to the limit") && page.contains("sphere packing"));
        assert!(page.contains("### SNR -2 dB") || page.contains("<h3>SNR -2 dB</h3>"));
    }
    // The results table shows every row with its BLEU-4 interval, as results.csv has them.
    let rows = result_rows(&out);
    let results = md.split("## Results").nth(1).unwrap().split("## By SNR").next().unwrap();
    assert_eq!(results.lines().filter(|l| l.starts_with("| small-lm-ldpc-bp |")).count(), 3);
    let at_1db = rows.iter().find(|r| r["scheme"] == "huffman-ldpc-bp" && r["snr_db"] == "1.0").unwrap();
    let line = results.lines().find(|l| l.starts_with("| huffman-ldpc-bp | 1 |")).unwrap();
    let bleu4: f64 = at_1db["bleu4"].parse().unwrap();
    assert!(
        line.contains(&format!("{:.4} [", bleu4).trim_end_matches(" [").trim_end_matches('0')),
        "{line} vs {bleu4}"
    );
    assert_eq!(rows.len(), 9);
    // The same rows by SNR: a line per scheme, its cell at 1 dB from that row.
    let by_snr = md.split("## By SNR").nth(1).unwrap().split("## Plots").next().unwrap();
    assert!(by_snr.contains("| scheme | -2 dB | 1 dB | 6 dB |"), "{by_snr}");
    let line = by_snr.lines().find(|l| l.starts_with("| huffman-ldpc-bp |")).unwrap();
    let cell = format!("{} / {} / {:.3}", at_1db["message_errors"], at_1db["unflagged_errors"], bleu4);
    assert_eq!(line.split(" | ").nth(2), Some(cell.as_str()), "{line}");
    assert_eq!(by_snr.lines().filter(|l| l.starts_with("| small-lm-ldpc-bp |")).count(), 1);
    // Samples: the first sent sentence is on the page (once per chosen SNR), HTML-escaped.
    let first = std::fs::read_to_string(crate::common::root().join("data/europarl/test_sentences.txt")).unwrap();
    let first = first.lines().next().unwrap();
    assert_eq!(md.matches(&format!("| (sent) | {first} |")).count(), 2, "{first}");
    // Every plot is in the page itself; the Markdown links the folder's files.
    assert_eq!(
        html.matches("data:image/svg+xml;base64,").count(),
        5,
        "ber, bleu, bleu_unified, similarity, similarity_unified"
    );
    assert!(md.contains("![bleu_unified.svg](bleu_unified.svg)"));
    // A real browser loads every image of the page from the page alone.
    let alone = dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    std::fs::copy(out.join("report.html"), alone.join("report.html")).unwrap();
    if let Some((images, loaded)) = images_in_chromium(&alone.join("report.html"), &alone) {
        assert_eq!((images, loaded), (5, 5));
    }

    fails_with(&["report", out.to_str().unwrap(), "--snr", "3"], &["--snr 3", "no point at that SNR"]);
    fails_with(&["report", out.to_str().unwrap(), "--target", "1.5"], &["--target"]);
    fails_with(&["report", dir.path().join("nothing").to_str().unwrap()], &["results.csv"]);
}

#[test]
fn a_link_level_report_measures_the_code_against_the_bounds() {
    let dir = tempfile::tempdir().unwrap();
    // LDPC(49,24) with BP at Eb/N0 ... where its BLER falls through 1e-2.
    let md = link_report(&dir.path().join("bp"), &["snr.values_db=[2, 3, 4, 5]", "stop.max_frames=20000"]);
    let line = md.lines().find(|l| l.contains("| 49, 24 |")).unwrap_or_else(|| panic!("{md}"));
    // measured | SP59 | metaconverse | normal approximation | gap to the metaconverse | gap to SP59.
    let cells: Vec<f64> = line.split('|').skip(3).take(6).map(|c| c.trim().parse().unwrap()).collect();
    let (measured, sp59, converse, na, gap_to_converse, gap) =
        (cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]);
    // No code beats either converse, the metaconverse (binary codes) is the tighter, the normal
    // approximation sits right of both, and BP on this code is about 1.3 dB short of near-ML
    // (codes/README.md).
    assert!(sp59 < converse && converse < na && na < measured, "{line}");
    assert!((gap - (measured - sp59)).abs() < 2e-4 && gap > 0.5 && gap < 3.5, "{line}");
    assert!((gap_to_converse - (measured - converse)).abs() < 2e-4 && gap_to_converse < gap, "{line}");
    assert!(md.contains("metaconverse (Polyanskiy, Poor & Verdú 2010"), "{md}");
}

/// Fast fading with and without CSI at the receiver, link level: the report measures each run
/// against the normal approximation of its own channel (without CSI, the Rayleigh-mixture channel
/// the receiver faces), no sphere-packing column, and losing the CSI moves both the limit and BP
/// right (measured: each by about 1.1 dB, BP 2.7 dB from its limit in both).
#[test]
fn a_fast_fading_report_measures_against_the_limit_with_or_without_csi() {
    let dir = tempfile::tempdir().unwrap();
    let distance = |csi: bool| -> (String, Vec<f64>) {
        let csi_set = format!("channel.csi={csi}");
        let sets = [
            "channel.kind=rayleigh",
            &csi_set,
            "snr.values_db=[6, 8, 10, 12]",
            "stop.max_frames=20000",
            "stop.min_frame_errors=200",
        ];
        let md = link_report(&dir.path().join(format!("csi-{csi}")), &sets);
        let section = md[md.find("## Distance to the limit").unwrap_or_else(|| panic!("{md}"))..].to_string();
        let line = section.lines().find(|l| l.contains("| 49, 24 |")).unwrap_or_else(|| panic!("{section}"));
        // measured | metaconverse | normal approximation | gap to the metaconverse | gap to the
        // approximation.
        let cells = line.split('|').skip(3).take(5).map(|c| c.trim().parse().unwrap()).collect();
        (section, cells)
    };
    let (with_text, with) = distance(true);
    let (without_text, without) = distance(false);
    assert!(with_text.contains("known to the receiver") && !with_text.contains("SP59"), "{with_text}");
    assert!(without_text.contains("not known to the receiver") && !without_text.contains("SP59"), "{without_text}");
    assert!(without[2] > with[2] + 0.5, "limits: without CSI {without:?}, with {with:?}");
    assert!(without[0] > with[0] + 0.5, "BP: without CSI {without:?}, with {with:?}");
    // The metaconverse (the same for both receivers: it binds the one not told the gains too)
    // lies left of each approximation.
    assert!((without[1] - with[1]).abs() < 1e-9 && with[1] < with[2], "{with:?} {without:?}");
    for cells in [&with, &without] {
        assert!(cells[4] > 1.0 && cells[4] < 5.0 && (cells[4] - (cells[0] - cells[2])).abs() < 2e-4, "{cells:?}");
        assert!((cells[3] - (cells[0] - cells[1])).abs() < 2e-4, "{cells:?}");
    }
}

/// Block fading with CSI, link level: a gain per 7 symbols of each codeword is measured against
/// the approximation averaged over seven gains (no SP59: the codeword meets several), one gain per
/// codeword against quasi-static fading's bound and approximation, and the seven gains' diversity
/// moves both BP and the limit left by many dB (measured: BP 7.8 dB, limit 4.0).
#[test]
fn a_block_fading_report_measures_against_the_limit_of_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let distance = |block_symbols: usize, grid: &str| -> (String, Vec<f64>) {
        let block = format!("channel.block_symbols={block_symbols}");
        let sets = [
            "channel.kind=rayleigh",
            "channel.fading=block",
            &block,
            "snr.axis=esn0",
            grid,
            "stop.max_frames=40000",
            "stop.min_frame_errors=200",
        ];
        let md = link_report(&dir.path().join(format!("block-{block_symbols}")), &sets);
        let section = md[md.find("## Distance to the limit").unwrap_or_else(|| panic!("{md}"))..].to_string();
        let line = section.lines().find(|l| l.contains("| 49, 24 |")).unwrap_or_else(|| panic!("{section}"));
        let cells = line.split('|').skip(3).filter_map(|c| c.trim().parse().ok()).collect();
        (section, cells)
    };
    // measured | metaconverse | normal approximation | gap to the metaconverse | gap to the
    // approximation.
    let (runs_text, runs) = distance(7, "snr.values_db=[4, 6, 8, 10]");
    assert!(runs_text.contains("block fading") && !runs_text.contains("SP59"), "{runs_text}");
    assert_eq!(runs.len(), 5, "{runs_text}");
    assert!(runs[1] < runs[2] && (runs[3] - (runs[0] - runs[1])).abs() < 2e-4, "{runs:?}");
    assert!(runs[4] > 2.0 && runs[4] < 6.0 && (runs[4] - (runs[0] - runs[2])).abs() < 2e-4, "{runs:?}");
    // measured | SP59 | metaconverse | normal approximation | gap to the metaconverse | gap to SP59.
    let (one_text, one) = distance(0, "snr.values_db=[16, 20, 24, 28]");
    assert_eq!(one.len(), 6, "{one_text}");
    assert!(one[1] < one[2] && one[2] < one[3] && one[3] < one[0], "{one:?}");
    assert!(one[0] > runs[0] + 8.0 && one[3] > runs[2] + 8.0, "one gain {one:?}, seven {runs:?}");
}

/// `sim run scenarios/ldpc49-bp-awgn.toml` with `sets` into `out`, then `sim report`: its report.md.
fn link_report(out: &Path, sets: &[&str]) -> String {
    let mut args = vec!["run", "scenarios/ldpc49-bp-awgn.toml", "--quiet", "--out", out.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = sim(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sim(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(out.join("report.md")).unwrap()
}
