//! `code.interleave = "message"`: each message's codewords spread over its channel symbols by a
//! row–column interleaver (`link::block::interleave`), so that with a gain per codeword every
//! codeword meets every gain of its message. `code.interleave = "codeword"`: a polar codeword's
//! bits sent in the order of TS 38.212's coded-bit interleaver.

use channels::stream;
use lmsscc::link::block::LinkSpec;
use lmsscc::link::message::frame_link::FrameLink;
use lmsscc::link::message::polar::PolarLink;
use lmsscc::scenario::{self, CodeConfig, CodeKind, DecoderConfig, DecoderKindName, Interleave, Scenario};

use crate::common;

/// The link-level Rayleigh scenario with a gain per codeword and `code`.
fn block_fading(code: CodeConfig) -> Scenario {
    let set = ["channel.fading=\"block\"".to_string()];
    let mut s = scenario::load(&common::root().join("scenarios/uncoded-rayleigh.toml"), &set).unwrap().scenario;
    s.code = code;
    s
}

/// Uncoded 24-bit blocks of zeros at almost no noise: the channel LLR `2·g·y/σ²` with `y ≈ g`
/// gives the gain squared each bit saw, in the order the blocks were sent.
fn gains_seen(interleave: Interleave, blocks: &[usize]) -> Vec<f64> {
    let s = block_fading(CodeConfig { kind: CodeKind::Uncoded, uncoded_bits: 24, interleave, ..Default::default() });
    let link = LinkSpec::of(&s).build(&common::root()).unwrap();
    let frames = common::messages(blocks, 24);
    let info = vec![0u8; frames.last().unwrap().end];
    let sigma = 1e-6f32;
    let sent = link.transmit_frames(&info, &frames, sigma, &mut stream(7, &[1]), true, false);
    sent.posterior.unwrap().iter().map(|&l| l as f64 * (sigma as f64).powi(2) / 2.0).collect()
}

#[test]
fn interleaving_gives_each_codeword_every_gain_of_its_message() {
    let blocks = [6, 3];
    let distinct = |g: &[f64]| {
        let mut d: Vec<f64> = Vec::new();
        for &x in g {
            if !d.iter().any(|&y| (x - y).abs() < 1e-3 * y.max(1e-3)) {
                d.push(x);
            }
        }
        d.len()
    };
    let plain = gains_seen(Interleave::None, &blocks);
    let spread = gains_seen(Interleave::Message, &blocks);
    for (b, (p, s)) in plain.chunks(24).zip(spread.chunks(24)).enumerate() {
        let of_message = if b < 6 { 6 } else { 3 };
        assert_eq!(distinct(p), 1, "block {b} without interleaving: one gain");
        assert_eq!(distinct(s), of_message, "block {b} interleaved: every gain of its message");
    }
    // The same channel: the gains drawn are the same, only which bits meet them differs.
    let mut a: Vec<f64> = plain.iter().step_by(24).copied().collect();
    let mut b = spread;
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    b.dedup_by(|x, y| (*x - *y).abs() < 1e-3 * y.max(1e-3));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-3 * y.max(1e-3)), "{a:?} against {b:?}");
}

/// LDPC(49,24) + BP over a gain per codeword, messages of six codewords on the same gains and
/// noise: interleaved, a message is lost far less often (each codeword now averages six gains).
#[test]
fn interleaving_gathers_the_messages_diversity() {
    let lost = |interleave: Interleave| -> (usize, usize) {
        let mut s = block_fading(CodeConfig {
            kind: CodeKind::Ldpc,
            file: "codes/matrices/LDPC_N49_K24.alist".into(),
            interleave,
            ..Default::default()
        });
        s.decoder = DecoderConfig { kind: DecoderKindName::SumProduct, iterations: 50, ..Default::default() };
        let link = LinkSpec::of(&s).build(&common::root()).unwrap();
        let frames = common::messages(&[6; 50], 24);
        let sigma = (1.0 / (2.0 * 10f64.powf(1.0))).sqrt() as f32; // Es/N0 10 dB
        let (mut messages_lost, mut blocks_lost) = (0, 0);
        for batch in 0..8u64 {
            let mut rng = stream(5, &[batch]);
            let info: Vec<u8> =
                (0..frames.last().unwrap().end).map(|_| rand::Rng::random::<bool>(&mut rng) as u8).collect();
            let sent = link.transmit_frames(&info, &frames, sigma, &mut rng, false, false);
            messages_lost += frames.iter().filter(|f| sent.decided[(*f).clone()] != info[(*f).clone()]).count();
            blocks_lost += sent.counts.frame_errors as usize;
        }
        (messages_lost, blocks_lost)
    };
    let (plain, plain_blocks) = lost(Interleave::None);
    let (spread, spread_blocks) = lost(Interleave::Message);
    eprintln!(
        "400 messages of 6 LDPC(49,24) blocks at 10 dB, a gain per block: lost {plain} ({plain_blocks} blocks) \
         plain, {spread} ({spread_blocks} blocks) interleaved"
    );
    // A gain per codeword: about 6 × 7 % of the messages (quasi-static BLER at 10 dB).
    assert!(plain > 80, "{plain}");
    assert!(spread * 4 < plain, "interleaved {spread} against {plain}");
}

/// A sentence-sized polar code (127 framed bits at rate 0.45: E = 283, CA-SCL-8) on a gain per
/// 49 symbols, so each codeword meets 6 gains: sent in the coded-bit interleaver's order it is lost
/// far less often, on the same gains and noise (the same symbols are drawn in the same order).
#[test]
fn the_coded_bit_interleaver_spreads_a_polar_codeword_over_its_gains() {
    let lost = |interleave: Interleave| -> usize {
        let set = ["channel.fading=\"block\"".to_string(), "channel.block_symbols=49".to_string()];
        let mut s = scenario::load(&common::root().join("scenarios/uncoded-rayleigh.toml"), &set).unwrap().scenario;
        s.code =
            CodeConfig { kind: CodeKind::Polar, rate: 0.45, crc: "crc11".into(), interleave, ..Default::default() };
        s.decoder = DecoderConfig { kind: DecoderKindName::Scl, list: 8, ..Default::default() };
        let link = PolarLink::build(&LinkSpec::of(&s)).unwrap();
        assert_eq!(link.name().contains("I_BIL"), interleave == Interleave::Codeword, "{}", link.name());
        let frames = common::messages(&[1; 10_000], 127);
        let sigma = (1.0 / (2.0 * 10f64.powf(0.9))).sqrt() as f32; // Es/N0 9 dB
        let mut rng = stream(3, &[1]);
        let info: Vec<u8> =
            (0..frames.last().unwrap().end).map(|_| rand::Rng::random::<bool>(&mut rng) as u8).collect();
        let sent = link.transmit_frames(&info, &frames, sigma, &mut rng, false, false);
        frames.iter().filter(|f| sent.decided[(*f).clone()] != info[(*f).clone()]).count()
    };
    let (plain, spread) = (lost(Interleave::None), lost(Interleave::Codeword));
    eprintln!(
        "10,000 polar codewords (E = 283) at 9 dB, a gain per 49 symbols: lost {plain} plain, {spread} interleaved"
    );
    // About 0.36 % and 0.06 % (20,000 codewords a layout in codes' polar_fading example).
    assert!(plain >= 15, "{plain}");
    assert!(spread * 2 < plain, "interleaved {spread} against {plain}");
}

/// The scenario checks: a link-level run has no messages to interleave over, a polar code no
/// codewords to interleave across, a block code no coded-bit interleaver; each is named by file,
/// line and field.
#[test]
fn interleaving_is_refused_where_there_is_nothing_to_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let link_level = std::fs::read_to_string(common::root().join("scenarios/ldpc49-bp-awgn.toml"))
        .unwrap()
        .replace("codewords = \"random\"", "codewords = \"random\"\ninterleave = \"message\"");
    let path = common::write(dir.path(), "link.toml", &link_level);
    let o = common::sim(&["run", path.to_str().unwrap(), "--quiet", "--out", dir.path().join("a").to_str().unwrap()]);
    let err = common::stderr(&o);
    assert!(!o.status.success() && err.contains("link.toml:") && err.contains("field 'code.interleave'"), "{err}");
    assert!(err.contains("no messages to interleave"), "{err}");
    let scheme = |code: &str| {
        common::ldpc_awgn_text_scenario("refused", 1, "[0.0]", 4)
            + &format!("\n[[schemes]]\nname = \"p\"\nsource = \"small-lm\"\ncode = {{ {code} }}\n")
    };
    for (name, code, says) in [
        ("polar.toml", "kind = \"polar\", interleave = \"message\"", "\"codeword\""),
        (
            "ldpc.toml",
            "kind = \"ldpc\", file = \"codes/matrices/LDPC_N49_K24.alist\", interleave = \"codeword\"",
            "coded-bit interleaver",
        ),
    ] {
        let path = common::write(dir.path(), name, &scheme(code));
        let out = dir.path().join(name.replace(".toml", ""));
        let o = common::sim(&["run", path.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
        let err = common::stderr(&o);
        assert!(!o.status.success() && err.contains(&format!("{name}:")) && err.contains("code.interleave"), "{err}");
        assert!(err.contains(says), "{err}");
    }
}
