//! The LM-aided receivers as `sim run` does them: in-context decoding (`receiver = { kind = "icd" }`,
//! `link::message::icd`) and the list receiver (`kind = "list"`, `source::list_decoding`). On the same
//! noise as the separate receiver (`noise_from`) they change only what the source decoder is given
//! (identical bit-level counts), do a bounded amount of LM work per message, and recover messages the
//! separate receiver loses; settings they cannot work with are refused naming their field.

use std::path::Path;

use crate::common::{fails_with, ldpc_awgn_text_scenario, num, result_rows, row_at as row, sim, stderr, write};

fn scenario() -> String {
    let head = ldpc_awgn_text_scenario("icd-test", 3, "[-0.5, 0.0]", 48);
    format!("{head}\n[[schemes]]\nname = \"bp\"\nsource = \"small-lm\"\n")
}

#[test]
fn icd_decodes_candidates_on_the_same_noise() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("{}\n[[schemes]]\nname = \"bp-icd\"\nsource = \"small-lm\"\nnoise_from = \"bp\"\nreceiver = {{ kind = \"icd\" }}\n", scenario());
    let scenario = write(dir.path(), "icd.toml", &text);
    let out = dir.path().join("out");
    let o = sim(&["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    let (mut bp, mut icd) = (0.0, 0.0);
    for snr in [-0.5, 0.0] {
        let (plain, aided) = (row(&rows, "bp", snr), row(&rows, "bp-icd", snr));
        eprintln!(
            "{snr} dB: message errors BP {}, BP + ICD {}; {} candidates per message",
            plain["message_errors"], aided["message_errors"], aided["candidates_per_message"]
        );
        // The same channel and decoder on the same noise: identical bit-level counts.
        for column in ["frames", "bit_errors", "frame_errors", "coded_bit_errors"] {
            assert_eq!(plain[column], aided[column], "{column} at {snr} dB");
        }
        assert!(plain["candidates_per_message"].is_empty());
        let per_message = num(aided, "candidates_per_message");
        assert!(per_message > 0.0 && per_message <= 10.0, "{per_message} candidates per message");
        // A decision that decodes intact is the best-scoring valid candidate, so ICD keeps it.
        assert!(num(aided, "message_errors") <= num(plain, "message_errors"), "{snr} dB");
        bp += num(plain, "message_errors");
        icd += num(aided, "message_errors");
    }
    assert!(icd < bp, "ICD recovers some of the messages BP loses ({icd} vs {bp})");
}

#[test]
fn the_list_receiver_recovers_more_than_icd_on_the_same_noise() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = scenario();
    for (name, receiver) in [("bp-icd", "icd"), ("bp-list", "list")] {
        text += &format!(
            "\n[[schemes]]\nname = \"{name}\"\nsource = \"small-lm\"\nnoise_from = \"bp\"\nreceiver = {{ kind = \"{receiver}\" }}\n"
        );
    }
    let scenario = write(dir.path(), "list.toml", &text);
    let out = dir.path().join("out");
    let o = sim(&["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    let (mut bp, mut icd, mut list) = (0.0, 0.0, 0.0);
    let (mut icd_unflagged, mut list_unflagged) = (0.0, 0.0);
    for snr in [-0.5, 0.0] {
        let (plain, aided, listed) = (row(&rows, "bp", snr), row(&rows, "bp-icd", snr), row(&rows, "bp-list", snr));
        eprintln!(
            "{snr} dB: message errors BP {}, ICD {}, list {}; LM steps per message ICD {}, list {}",
            plain["message_errors"],
            aided["message_errors"],
            listed["message_errors"],
            aided["lm_steps_per_message"],
            listed["lm_steps_per_message"]
        );
        for column in ["frames", "bit_errors", "frame_errors", "coded_bit_errors"] {
            assert_eq!(plain[column], listed[column], "{column} at {snr} dB");
        }
        assert!(plain["lm_steps_per_message"].is_empty() && listed["candidates_per_message"].is_empty());
        assert!(num(listed, "lm_steps_per_message") > 0.0 && num(aided, "lm_steps_per_message") > 0.0);
        bp += num(plain, "message_errors");
        icd += num(aided, "message_errors");
        list += num(listed, "message_errors");
        icd_unflagged += num(aided, "unflagged_errors");
        list_unflagged += num(listed, "unflagged_errors");
    }
    assert!(list < icd && icd < bp, "message errors: list {list}, ICD {icd}, BP {bp}");
    // The penalty limit and the blocks' parity flag what the list cannot vouch for.
    assert!(list_unflagged <= icd_unflagged, "unflagged errors: list {list_unflagged}, ICD {icd_unflagged}");
}

/// ECCT's output logits are its soft output: ICD and the list receiver run on it, on the same
/// noise as the plain ECCT receiver, and the list passes on no wrong message as right.
#[test]
fn the_lm_aided_receivers_run_on_ecct() {
    let dir = tempfile::tempdir().unwrap();
    let head = ldpc_awgn_text_scenario("ecct-receivers", 3, "[-0.5]", 32);
    let mut text =
        format!("{head}\n[[schemes]]\nname = \"ecct\"\nsource = \"small-lm\"\ndecoder = {{ kind = \"ecct\" }}\n");
    for (name, receiver) in [("ecct-icd", "icd"), ("ecct-list", "list")] {
        text += &format!(
            "\n[[schemes]]\nname = \"{name}\"\nsource = \"small-lm\"\ndecoder = {{ kind = \"ecct\" }}\nnoise_from = \"ecct\"\nreceiver = {{ kind = \"{receiver}\" }}\n"
        );
    }
    let scenario = write(dir.path(), "ecct.toml", &text);
    let out = dir.path().join("out");
    let o = sim(&["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    let (plain, aided, listed) =
        (row(&rows, "ecct", -0.5), row(&rows, "ecct-icd", -0.5), row(&rows, "ecct-list", -0.5));
    eprintln!(
        "ECCT at -0.5 dB: message errors {}, ICD {}, list {} (unflagged {})",
        plain["message_errors"], aided["message_errors"], listed["message_errors"], listed["unflagged_errors"]
    );
    assert!(num(plain, "message_errors") > 0.0, "the noise should damage some messages");
    for column in ["frames", "bit_errors", "frame_errors"] {
        assert_eq!(plain[column], aided[column], "{column}");
        assert_eq!(plain[column], listed[column], "{column}");
    }
    assert!(num(aided, "lm_steps_per_message") > 0.0 && num(listed, "lm_steps_per_message") > 0.0);
    assert!(num(listed, "message_errors") <= num(plain, "message_errors"));
    assert_eq!(num(listed, "unflagged_errors"), 0.0);
}

/// OSD always decides a codeword, so no block fails its check: the list receiver runs on the
/// messages whose decoded stream breaks at its end, with OSD's soft output (the max-log gap to
/// each bit's nearest competing candidate, `codes::osd`). On the same noise it changes no
/// bit-level count, never leaves more messages wrong than OSD alone, recovers some of those OSD
/// loses, says why it did not return the sent message where it did not, and `sim report` sets it
/// against OSD rather than against the BP scheme whose noise both hear. ICD runs on the same
/// messages, its candidates drawn from OSD's codeword lists (`icd::codeword_candidates`), with
/// the same guarantees.
#[test]
fn the_lm_aided_receivers_run_on_osd_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = ldpc_awgn_text_scenario("osd-list", 1, "[-1.0]", 96);
    text += "\n[[schemes]]\nname = \"bp\"\nsource = \"small-lm\"\n";
    text += "\n[[schemes]]\nname = \"osd\"\nsource = \"small-lm\"\nnoise_from = \"bp\"\n\
             decoder = { kind = \"osd\", order = 2 }\n";
    text += "\n[[schemes]]\nname = \"osd-list\"\nsource = \"small-lm\"\nnoise_from = \"bp\"\n\
             decoder = { kind = \"osd\", order = 2 }\nreceiver = { kind = \"list\", beam = 16, max_penalty = 30.0 }\n";
    text += "\n[[schemes]]\nname = \"osd-icd\"\nsource = \"small-lm\"\nnoise_from = \"bp\"\n\
             decoder = { kind = \"osd\", order = 2 }\nreceiver = { kind = \"icd\" }\n";
    let scenario = write(dir.path(), "osd-list.toml", &text);
    let out = dir.path().join("out");
    let o = sim(&["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    let (bp, plain, listed) = (row(&rows, "bp", -1.0), row(&rows, "osd", -1.0), row(&rows, "osd-list", -1.0));
    eprintln!(
        "-1 dB, 96 messages: wrong BP {}, OSD-2 {}, OSD-2 + list {} (unflagged {}, {} model steps per message)",
        bp["message_errors"],
        plain["message_errors"],
        listed["message_errors"],
        listed["unflagged_errors"],
        listed["lm_steps_per_message"]
    );
    for column in ["frames", "bit_errors", "frame_errors", "coded_bit_errors"] {
        assert_eq!(plain[column], listed[column], "{column}");
    }
    let (osd, list) = (num(plain, "message_errors"), num(listed, "message_errors"));
    assert!(list < osd, "the list recovers some of OSD's wrong messages: {list} of {osd} left");
    assert!(num(listed, "lm_steps_per_message") > 0.0);
    // Why it did not return the sent message where it searched (`list_*`, the list's rows only).
    // A wrong message is one of those or passed on unflagged; a message it answers nothing for
    // (flagged) is missed or over the limit; one outscored is a wrong choice, passed on unflagged.
    let (missed, outscored, over) =
        (num(listed, "list_missed"), num(listed, "list_outscored"), num(listed, "list_over_limit"));
    eprintln!("the sent message missed by the search {missed}, outscored {outscored}, over the limit {over}");
    assert!(plain["list_missed"].is_empty() && bp["list_outscored"].is_empty());
    let unflagged = num(listed, "unflagged_errors");
    assert!(list <= missed + outscored + over + unflagged, "{list} wrong");
    assert!(num(listed, "flagged_messages") <= missed + over);
    assert!(outscored <= unflagged && missed + outscored + over > 0.0);
    let o = sim(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(out.join("report.md")).unwrap();
    let line = page.lines().find(|l| l.starts_with("| osd-list | list")).expect("a receivers row for osd-list");
    assert!(line.contains(&format!("{osd} (osd)")), "set against OSD: {line}");
    // ICD: only the broken decisions are replaced, so never more wrong; it decodes at most
    // `candidates` (10) codeword choices for each of those, and some of them are the sent message.
    let icd = row(&rows, "osd-icd", -1.0);
    eprintln!(
        "OSD-2 + ICD: wrong {} (unflagged {}), {} candidates per message",
        icd["message_errors"], icd["unflagged_errors"], icd["candidates_per_message"]
    );
    for column in ["frames", "bit_errors", "frame_errors", "coded_bit_errors"] {
        assert_eq!(plain[column], icd[column], "{column}");
    }
    assert!(num(icd, "message_errors") < osd, "ICD recovers some of OSD's wrong messages");
    let per_message = num(icd, "candidates_per_message");
    assert!(per_message > 0.0 && per_message <= 10.0 * num(plain, "flagged_messages") / 96.0, "{per_message}");
    assert!(num(icd, "lm_steps_per_message") > 0.0 && icd["list_missed"].is_empty());
}

/// Over an uncoded link nothing checks a decision either (the list receiver never ran there before
/// it learned to search the messages whose stream breaks): on the same noise it now recovers some
/// of the messages the plain receiver loses, from the channel's own LLRs. So does ICD, flipping
/// the channel's least reliable bits of the messages whose stream breaks.
#[test]
fn the_lm_aided_receivers_run_on_an_uncoded_link() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = ldpc_awgn_text_scenario("uncoded-list", 1, "[6.0]", 48);
    text +=
        "\n[[schemes]]\nname = \"uncoded\"\nsource = \"small-lm\"\ncode = { kind = \"uncoded\", uncoded_bits = 24 }\n";
    text += "\n[[schemes]]\nname = \"uncoded-list\"\nsource = \"small-lm\"\nnoise_from = \"uncoded\"\n\
             code = { kind = \"uncoded\", uncoded_bits = 24 }\nreceiver = { kind = \"list\" }\n";
    text += "\n[[schemes]]\nname = \"uncoded-icd\"\nsource = \"small-lm\"\nnoise_from = \"uncoded\"\n\
             code = { kind = \"uncoded\", uncoded_bits = 24 }\nreceiver = { kind = \"icd\" }\n";
    let scenario = write(dir.path(), "uncoded-list.toml", &text);
    let out = dir.path().join("out");
    let o = sim(&["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    let (plain, listed) = (row(&rows, "uncoded", 6.0), row(&rows, "uncoded-list", 6.0));
    eprintln!(
        "uncoded at 6 dB, 48 messages: wrong {}, with the list receiver {} (unflagged {}, {} model steps per message)",
        plain["message_errors"], listed["message_errors"], listed["unflagged_errors"], listed["lm_steps_per_message"]
    );
    assert_eq!(plain["bit_errors"], listed["bit_errors"]);
    assert!(num(listed, "lm_steps_per_message") > 0.0);
    assert!(num(listed, "message_errors") < num(plain, "message_errors"));
    let icd = row(&rows, "uncoded-icd", 6.0);
    eprintln!("with ICD: wrong {} (unflagged {})", icd["message_errors"], icd["unflagged_errors"]);
    assert_eq!(plain["bit_errors"], icd["bit_errors"]);
    assert!(num(icd, "candidates_per_message") > 0.0);
    assert!(num(icd, "message_errors") < num(plain, "message_errors"));
}

fn refused(dir: &Path, name: &str, extra: &str, needles: &[&str]) {
    let p = write(dir, name, &format!("{}\n[[schemes]]\nname = \"x\"\n{extra}\n", scenario()));
    fails_with(&["run", p.to_str().unwrap(), "--quiet", "--out", dir.join("never").to_str().unwrap()], needles);
}

#[test]
fn icd_settings_that_cannot_work_are_refused_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused(
        d,
        "a.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"icd\", candidates = 0 }",
        &["scheme 'x'", "receiver.candidates"],
    );
    refused(
        d,
        "b.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"icd\", max_flips = 11 }",
        &["receiver.max_flips"],
    );
    refused(
        d,
        "c.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"icd\", unreliable = 0.7 }",
        &["receiver.unreliable"],
    );
    refused(d, "d.toml", "source = \"deepsc\"\nreceiver = { kind = \"icd\" }", &["receiver", "JSCC"]);
    refused(d, "g.toml", "source = \"small-lm\"\nreceiver = { kind = \"list\", beam = 0 }", &["receiver.beam"]);
    refused(d, "h.toml", "source = \"small-lm\"\nreceiver = { kind = \"icd\", beam = 8 }", &["receiver.beam", "list"]);
    refused(d, "i.toml", "source = \"huffman\"\nreceiver = { kind = \"list\" }", &["receiver", "sequential model"]);
    refused(
        d,
        "j.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"list\", max_penalty = 0.0 }",
        &["receiver.max_penalty"],
    );
    refused(
        d,
        "m.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"icd\", max_penalty = 5.0 }",
        &["receiver.max_penalty", "OSD"],
    );
    refused(
        d,
        "k.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"list\", beam = 4, first_beam = 8 }",
        &["receiver.first_beam"],
    );
    refused(
        d,
        "l.toml",
        "source = \"small-lm\"\nreceiver = { kind = \"icd\", parity = false }",
        &["receiver.parity", "list"],
    );
    refused(
        d,
        "e.toml",
        "source = \"small-lm\"\ncode = { kind = \"polar\" }\ndecoder = { kind = \"scl\" }\nreceiver = { kind = \"icd\" }",
        &["scheme 'x'", "receiver", "reliabilities"],
    );
    refused(
        d,
        "f.toml",
        "source = \"small-lm\"\ndecoder = { kind = \"sum-product\", schedule = \"layered\" }\nreceiver = { kind = \"icd\" }",
        &["receiver", "flooding"],
    );
}
