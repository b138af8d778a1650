//! `channel.fading = "message"`: one Rayleigh gain per message, however many codewords carry it
//! (quasi-static fading, the channel the JSCC schemes see on Rayleigh). The block-code link holds
//! the gain across a message's blocks and the polar link across its segments, where per-codeword
//! block fading (`fading = "block"`, `block_symbols = 0`) draws one gain per codeword.

use channels::stream;
use lmsscc::link::block::LinkSpec;
use lmsscc::link::message::frame_link::FrameLink;
use lmsscc::link::message::polar::PolarLink;
use lmsscc::scenario::{self, CodeConfig, CodeKind, DecoderConfig, DecoderKindName, Scenario};

use crate::common;

fn scenario(set: &[&str]) -> Scenario {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    scenario::load(&common::root().join("scenarios/uncoded-rayleigh.toml"), &set).unwrap().scenario
}

/// Uncoded 24-bit blocks of zeros at almost no noise: each bit's channel LLR is `2·g·y/σ²` with
/// `y ≈ g`, so `LLR·σ²/2` is the gain squared the bit saw.
fn gains_seen(fading: &str, blocks: &[usize]) -> Vec<Vec<f64>> {
    let fading = format!("channel.fading=\"{fading}\"");
    let s = scenario(&[&fading, "code.uncoded_bits=24"]);
    let link = LinkSpec::of(&s).build(&common::root()).unwrap();
    let frames = common::messages(blocks, 24);
    let info = vec![0u8; frames.last().unwrap().end];
    let sigma = 1e-6f32;
    let sent = link.transmit_frames(&info, &frames, sigma, &mut stream(7, &[1]), true, false);
    let posterior = sent.posterior.expect("uncoded soft output is the channel LLR");
    frames
        .iter()
        .map(|f| posterior[f.clone()].iter().map(|&l| l as f64 * (sigma as f64).powi(2) / 2.0).collect())
        .collect()
}

#[test]
fn the_block_code_link_holds_one_gain_across_a_messages_blocks() {
    let blocks = [3, 1, 5, 2];
    let same = |g: &[f64]| g.iter().all(|&x| (x - g[0]).abs() < 1e-3 * g[0].max(1e-3));
    let per_message = gains_seen("message", &blocks);
    for (m, g) in per_message.iter().enumerate() {
        assert!(same(g), "message {m} saw more than one gain: {g:?}");
    }
    assert!(per_message.windows(2).all(|w| (w[0][0] - w[1][0]).abs() > 1e-3), "each message draws its own gain");
    // Per-codeword block fading: a fresh gain at each 24-bit block of a message.
    let per_block = gains_seen("block", &blocks);
    for g in per_block.iter().filter(|g| g.len() > 24) {
        assert!(same(&g[..24]) && !same(g), "one gain per block: {g:?}");
    }
}

/// Two-segment messages (1,000 framed bits: two polar codewords of 500) at a mean Es/N0 where
/// about a third of the codewords fail: with one gain per message both segments fail together,
/// with one gain per codeword mostly one alone.
#[test]
fn the_polar_link_holds_one_gain_across_a_messages_segments() {
    let split = |fading: &str| -> (usize, usize) {
        let mut s = scenario(&[&format!("channel.fading=\"{fading}\"")]);
        s.code = CodeConfig { kind: CodeKind::Polar, rate: 0.5, crc: "crc11".into(), ..Default::default() };
        s.decoder = DecoderConfig { kind: DecoderKindName::Scl, list: 8, ..Default::default() };
        let link = PolarLink::build(&LinkSpec::of(&s)).unwrap();
        assert_eq!(link.symbols_for(1000), 2000, "two segments of 500 bits at rate 1/2");
        let frames = common::messages(&[1; 10], 1000);
        let sigma = (1.0 / (2.0 * 10f64.powf(0.3))).sqrt() as f32; // Es/N0 3 dB
        let (mut both, mut one) = (0, 0);
        for batch in 0..15u64 {
            let mut rng = stream(11, &[batch]);
            let info: Vec<u8> = (0..10_000).map(|_| rand::Rng::random::<bool>(&mut rng) as u8).collect();
            let sent = link.transmit_frames(&info, &frames, sigma, &mut rng, false, false);
            for f in &frames {
                let wrong = |r: std::ops::Range<usize>| {
                    sent.decided[f.start + r.start..f.start + r.end] != info[f.start + r.start..f.start + r.end]
                };
                match (wrong(0..500), wrong(500..1000)) {
                    (true, true) => both += 1,
                    (true, false) | (false, true) => one += 1,
                    _ => {}
                }
            }
        }
        (both, one)
    };
    let (message_both, message_one) = split("message");
    let (block_both, block_one) = split("block");
    eprintln!(
        "150 two-segment messages at 3 dB, both segments wrong / one: per message {message_both} / {message_one}, \
         per codeword {block_both} / {block_one}"
    );
    // Independent codewords failing with p ≈ 0.3: one alone 2p(1−p) ≈ 0.42, both p² ≈ 0.09.
    assert!(block_one > 2 * block_both && block_one > 30, "per codeword: {block_both} / {block_one}");
    // A shared gain: one segment fails alone only when the gain sits right at the code's threshold.
    assert!(message_both > 2 * message_one && message_both > 20, "per message: {message_both} / {message_one}");
}

/// A text run on quasi-static fading through `sim run`: messages are still lost where fast fading
/// loses none (a deep fade takes a whole message, and no code averages it out), and the report
/// measures each scheme against the limits averaged over the gain.
#[test]
fn slow_fading_loses_messages_that_fast_fading_keeps_and_the_report_says_how_far_from_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let run = |fading: &str| {
        let text = common::ldpc_awgn_text_scenario("slow-fading", 5, "[5.0, 15.0]", 96).replace(
            "[channel]\nkind = \"awgn\"",
            &format!("[channel]\nkind = \"rayleigh\"\nfading = \"{fading}\"\ncsi = true"),
        ) + "\n[[schemes]]\nname = \"small-lm-ldpc-bp\"\nsource = \"small-lm\"\n";
        let scenario = common::write(dir.path(), &format!("{fading}.toml"), &text);
        let out = dir.path().join(fading);
        let o = common::sim(&["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        let o = common::sim(&["report", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        let rows = common::result_rows(&out);
        let errors = |snr: f64| common::num(common::row_at(&rows, "small-lm-ldpc-bp", snr), "message_errors");
        let read = |file: &str| std::fs::read_to_string(out.join(file)).unwrap();
        (errors(5.0), errors(15.0), read("report.md"), read("bleu.svg"))
    };
    let (fast_5, fast_15, fast_report, fast_plot) = run("fast");
    let (slow_5, slow_15, slow_report, slow_plot) = run("message");
    eprintln!(
        "messages lost of 96 at 5 / 15 dB: fast fading {fast_5} / {fast_15}, one gain per message {slow_5} / {slow_15}"
    );
    assert_eq!(fast_15, 0.0, "fast fading at 15 dB");
    // Diversity 1: about a tenth as many lost 10 dB up, but some.
    assert!(slow_15 >= 1.0 && slow_15 < slow_5 / 3.0, "one gain per message: {slow_5} then {slow_15}");
    assert!(slow_5 > fast_5, "{slow_5} against {fast_5}");
    assert!(slow_report.contains("both are averaged over the gain"), "{slow_report}");
    assert!(fast_report.contains("no sphere-packing bound holds"), "{fast_report}");
    // The distance section's header and row.
    let distance_table = |report: &str| -> (String, Vec<String>) {
        let section = &report[report.find("## Distance to the limit").expect("a distance section")..];
        let header = section.lines().find(|l| l.starts_with("| scheme |")).expect("a header").to_string();
        let line = section.lines().find(|l| l.starts_with("| small-lm-ldpc-bp | ")).expect("a distance row");
        (header, line.split('|').map(|c| c.trim().to_string()).collect())
    };
    // scheme | n, k | measured | SP59 | [metaconverse] | normal approximation | [gap to the
    // metaconverse] | gap to SP59; a column by its header's name.
    let column = |header: &str, row: &[String], name: &str| -> f64 {
        let i =
            header.split('|').position(|c| c.trim().starts_with(name)).unwrap_or_else(|| panic!("{name} in {header}"));
        row[i].parse().unwrap_or_else(|_| panic!("{name}: {row:?}"))
    };
    let (header, slow) = distance_table(&slow_report);
    assert!(header.contains("sphere packing (SP59)") && header.ends_with("gap to SP59 (dB) |"), "{header}");
    let (measured, sp59) = (column(&header, &slow, "measured"), column(&header, &slow, "sphere packing"));
    assert!(measured > sp59 && sp59 > 5.0, "one gain per message: measured {measured} dB, SP59 {sp59} dB");
    let slow_approximation = column(&header, &slow, "normal approximation");
    // Fast fading: no SP59 column, the approximation with the ergodic capacity (left of the slow
    // one's) and the gap to it.
    let (header, fast) = distance_table(&fast_report);
    assert!(!header.contains("SP59") && header.ends_with("gap to the approximation (dB) |"), "{header}");
    let approximation = column(&header, &fast, "normal approximation");
    assert!(approximation < slow_approximation - 3.0, "{fast:?} against {slow:?}");
    // The BLEU plot marks the bound where one holds, else the approximation, and says which.
    assert!(slow_plot.contains("small-lm-ldpc-bp: no code below (SP59, MER 0.1)"));
    assert!(!fast_plot.contains("SP59"));
    assert!(fast_plot.contains("small-lm-ldpc-bp: best code, estimated (normal approximation, MER 0.1)"));
}
