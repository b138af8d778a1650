//! The audio modality: frames of speech clips as messages ([`frames`]), the lossless audio coder
//! and 16-bit PCM as SSCC schemes' source coders ([`coder`]), uncoded analog transmission and
//! optimal linear analog transmission in the DCT domain as the JSCC baselines ([`analog`],
//! [`linear`]), and the schemes of an audio scenario's `[[schemes]]`. Its quality metrics (SNR,
//! segmental SNR, STOI, ESTOI) are `crate::metrics::audio_quality`; STOI and ESTOI are scored over
//! each clip's frames joined ([`intelligibility`]).

pub mod analog;
pub mod coder;
pub mod frame_levels;
pub mod frames;
pub mod intelligibility;
pub mod linear;

use std::sync::Arc;

use anyhow::Context;

use super::message::sscc::{frame_link, SsccScheme, SsccSource};
use super::message::{MessageScheme, MessageSet};
use super::paths::project_root_for;
use super::sampling::check_items_per_point;
use crate::scenario::{LoadedScenario, SourceKind};
use analog::AnalogScheme;
use coder::{FrameCoder, FrameCoding};
use frames::FrameSet;
use linear::LinearScheme;
use source::audio::lpc;

/// Loads the frames and builds every scheme of `loaded`, in the scenario's order (no file is
/// written). SSCC schemes with the same coding share one coder and its encoding.
pub fn build_schemes(
    loaded: &LoadedScenario,
    verbose: bool,
) -> anyhow::Result<(MessageSet, Vec<Box<dyn MessageScheme>>)> {
    let s = &loaded.scenario;
    let file = loaded.path.display().to_string();
    let base = project_root_for(&loaded.path);
    let frames = FrameSet::load(&s.audio, &base, s.seed, verbose).with_context(|| file.clone())?;
    check_items_per_point(&file, "audio", "frames", frames.len(), s.audio.repeats)?;
    let mut coders: Vec<Arc<FrameCoder>> = Vec::new();
    let mut schemes: Vec<Box<dyn MessageScheme>> = Vec::new();
    let mut spectrum = None;
    for c in &s.schemes {
        let context = || format!("{file}: scheme '{}'", c.name);
        let coding = match c.source {
            SourceKind::AudioLpc => FrameCoding::Lpc,
            SourceKind::Pcm => FrameCoding::Pcm,
            SourceKind::Analog => {
                schemes.push(Box::new(AnalogScheme::new(c, s.channel.kind)));
                continue;
            }
            SourceKind::Linear => {
                let spectrum = match &spectrum {
                    Some(spectrum) => Arc::clone(spectrum),
                    None => {
                        let computed = linear::training_spectrum(frames.frame, verbose).with_context(context)?;
                        computed.check_rates(&frames).with_context(context)?;
                        spectrum.insert(Arc::new(computed)).clone()
                    }
                };
                schemes.push(Box::new(LinearScheme::new(c, s.channel.kind, spectrum)));
                continue;
            }
            _ => anyhow::bail!("{}: field 'source': this source does not code audio frames", context()),
        };
        let (link, framer) = frame_link(s, c, &base).with_context(context)?;
        let coder = match coders.iter().find(|k| k.coding() == coding) {
            Some(coder) => coder.clone(),
            None => {
                let start = match coding {
                    FrameCoding::Lpc => coder::prime(&s.audio, verbose).with_context(|| file.clone())?,
                    FrameCoding::Pcm => lpc::CodeStart::cold(),
                };
                coders.push(Arc::new(FrameCoder::new(coding, frames.frame, start)));
                coders.last().expect("just pushed").clone()
            }
        };
        let key = coder.name().to_string();
        schemes.push(Box::new(SsccScheme::new(c.clone(), SsccSource::Audio(coder), key, link, framer, None)));
    }
    Ok((MessageSet::Audio(frames), schemes))
}
