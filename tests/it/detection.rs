//! The receiver's own flags (`flagged_messages`, `flagged_errors`, `unflagged_errors`): a message is
//! flagged when a block's decision fails a parity check (or a polar CRC) or its source stream does
//! not end where its length header says. Over `scenarios/quick.toml`: the counts add up on every row,
//! LDPC's checks catch (nearly) every damaged message, and so does the stream's length alone when
//! the message is sent uncoded.

use crate::common::{num, result_rows, root, row_at as row, stderr};
use std::process::Command;

#[test]
fn the_receiver_flags_its_damaged_messages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quick");
    let o = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "scenarios/quick.toml", "--quiet", "--out", out.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = result_rows(&out);
    for r in &rows {
        let (flagged, flagged_errors, unflagged_errors) =
            (num(r, "flagged_messages"), num(r, "flagged_errors"), num(r, "unflagged_errors"));
        assert_eq!(flagged_errors + unflagged_errors, num(r, "message_errors"), "{r:?}");
        assert!(flagged_errors <= flagged && flagged <= num(r, "messages"), "{r:?}");
    }
    for scheme in ["small-lm-ldpc-bp", "huffman-ldpc-bp"] {
        let low = row(&rows, scheme, -2.0);
        eprintln!(
            "{scheme} at -2 dB: {} wrong, {} flagged, {} undetected",
            low["message_errors"], low["flagged_messages"], low["unflagged_errors"]
        );
        assert!(num(low, "message_errors") >= 8.0, "the test needs damaged messages at -2 dB");
        assert!(num(low, "unflagged_errors") * 8.0 <= num(low, "message_errors"), "parity checks miss too much");
        assert_eq!(num(row(&rows, scheme, 6.0), "flagged_messages"), 0.0, "false alarms on clean messages");
    }
    let uncoded = row(&rows, "small-lm-uncoded", -2.0);
    eprintln!(
        "small-lm-uncoded at -2 dB: {} wrong, {} flagged, {} undetected",
        uncoded["message_errors"], uncoded["flagged_messages"], uncoded["unflagged_errors"]
    );
    assert!(num(uncoded, "message_errors") >= 8.0);
    assert!(
        num(uncoded, "unflagged_errors") * 8.0 <= num(uncoded, "message_errors"),
        "the arithmetic stream's length catches (nearly) every damaged message"
    );
}
