//! What an audio link delivered, to listen to: the first clip of the frame set as each point
//! received it (`received/<scheme>@<snr>dB.wav`, written as the point finishes) and as it was sent
//! (`received/sent.wav`), 16-bit PCM at the clip's rate. Frames the set did not send are silence.

use std::path::{Path, PathBuf};

use anyhow::Context;
use source::audio::wav::{encode_wav, Audio};

use super::write_atomic;

const RECEIVED: &str = "received";

/// `received/<scheme>@<snr>dB.wav` of `dir`.
pub fn received_path(dir: &Path, scheme: &str, snr_db: f64) -> PathBuf {
    dir.join(RECEIVED).join(format!("{scheme}@{snr_db}dB.wav"))
}

fn write_wav(path: &Path, audio: &Audio) -> anyhow::Result<()> {
    let parent = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    write_atomic(path, &encode_wav(audio))
}

/// Records what `scheme` delivered at `snr_db`.
pub fn write_received(dir: &Path, scheme: &str, snr_db: f64, audio: &Audio) -> anyhow::Result<()> {
    write_wav(&received_path(dir, scheme, snr_db), audio)
}

/// Records the clip sent.
pub fn write_sent(dir: &Path, audio: &Audio) -> anyhow::Result<()> {
    write_wav(&dir.join(RECEIVED).join("sent.wav"), audio)
}
