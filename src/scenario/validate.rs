//! Checks that need more than types: values that parse but cannot be simulated.

use super::{line_of, CodeKind, Modality, Scenario, ScenarioError};

/// What is wrong with an SNR list, if anything: empty, not finite, or a value twice (a row is keyed
/// by (scheme, SNR), so a repeated value would be one row claiming two points).
fn snr_list_problem(values: &[f64]) -> Option<String> {
    if values.is_empty() {
        return Some("the SNR list is empty; give at least one point, e.g. values_db = [0.0, 2.0]".into());
    }
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Some(format!("SNR {v} dB is not a finite number"));
    }
    // Beyond ±MAX_SNR_DB a point is noiseless or pure noise in every scheme, and its value would
    // name files (`received/<scheme>@<snr>dB.png`) hundreds of digits long.
    if let Some(v) = values.iter().find(|v| v.abs() > MAX_SNR_DB) {
        return Some(format!("SNR {v} dB is outside [-{MAX_SNR_DB}, {MAX_SNR_DB}] dB"));
    }
    let (i, v) = values.iter().enumerate().find(|(i, v)| values[..*i].contains(v))?;
    Some(format!("{v} dB appears twice (positions {} and {})", values.iter().position(|x| x == v).unwrap() + 1, i + 1))
}

/// The largest |SNR| in dB a point may have.
const MAX_SNR_DB: f64 = 200.0;

/// The most bits an uncoded block may have: blocks are allocated whole, a batch of them at a time,
/// and 65,536 bits is longer than any message here.
const MAX_UNCODED_BITS: usize = 1 << 16;

/// The most frames of a link-level batch, and the most bits of an uncoded one (each bit is held
/// as a byte, a float and an LLR while the batch crosses the channel).
const MAX_BATCH_FRAMES: usize = 1 << 16;
const MAX_BATCH_BITS: usize = 1 << 26;

/// Why `code.interleave` does not go with `code.kind`, if it does not: "message" interleaves a
/// message's codewords, of which a polar code (sized to the message) has one or a few;
/// "codeword" is TS 38.212's coded-bit interleaver, which only polar codes define.
fn interleave_problem(code: &super::CodeConfig) -> Option<&'static str> {
    use super::Interleave;
    match (code.kind, code.interleave) {
        (CodeKind::Polar, Interleave::Message) => Some(
            "a polar code is sized to each message (one codeword, or a few segments), so there are no codewords to \
             interleave over: \"message\" is for block codes (kind = \"ldpc\" or \"uncoded\"); a polar code's \
             bits are interleaved within its codeword by \"codeword\"",
        ),
        (CodeKind::Ldpc | CodeKind::Uncoded, Interleave::Codeword) => Some(
            "\"codeword\" is the polar code's coded-bit interleaver (TS 38.212 §5.4.1.3, kind = \"polar\"); a \
             block code's codewords are spread over their message by \"message\"",
        ),
        _ => None,
    }
}

pub(super) fn validate(s: &Scenario, text: &str, file: &str, overrides: &[String]) -> Result<(), ScenarioError> {
    let at = |table: &str, key: &str| -> String {
        let dotted = if table.is_empty() { key.to_string() } else { format!("{table}.{key}") };
        if let Some(o) = overrides.iter().find(|o| o.split('=').next().map(str::trim) == Some(dotted.as_str())) {
            return format!("--set {o}: field '{dotted}'");
        }
        match line_of(text, key) {
            Some(line) => format!("{file}:{line}: field '{dotted}'"),
            None => format!("{file}: field '{dotted}'"),
        }
    };
    let fail = |table: &str, key: &str, msg: &str| Err(ScenarioError(format!("{}: {msg}", at(table, key))));

    if let Some(msg) = snr_list_problem(&s.snr.values_db) {
        return fail("snr", "values_db", &msg);
    }
    if s.name.trim().is_empty() || s.name.contains(['/', '\\']) {
        return fail(
            "",
            "name",
            "the name must be non-empty and contain no path separators (it names the results folder)",
        );
    }
    if s.code.kind == CodeKind::Ldpc && s.code.file.trim().is_empty() {
        return fail("code", "file", "kind = \"ldpc\" needs a parity-check matrix file");
    }
    if s.code.kind == CodeKind::Uncoded && !(1..=MAX_UNCODED_BITS).contains(&s.code.uncoded_bits) {
        return fail("code", "uncoded_bits", &format!("an uncoded frame has 1 to {MAX_UNCODED_BITS} bits"));
    }
    if !(1..=MAX_BATCH_FRAMES).contains(&s.stop.batch_frames) {
        return fail("stop", "batch_frames", &format!("must be 1 to {MAX_BATCH_FRAMES} (a batch is held in memory)"));
    }
    if s.code.kind == CodeKind::Uncoded && s.stop.batch_frames * s.code.uncoded_bits > MAX_BATCH_BITS {
        return fail(
            "stop",
            "batch_frames",
            &format!(
                "{} frames of {} bits is more than the {MAX_BATCH_BITS} bits a batch may hold; lower it or \
                 code.uncoded_bits",
                s.stop.batch_frames, s.code.uncoded_bits
            ),
        );
    }
    if s.stop.max_frames == 0 {
        return fail("stop", "max_frames", "must be at least 1");
    }
    if s.stop.min_frame_errors == 0 {
        return fail(
            "stop",
            "min_frame_errors",
            "must be at least 1 (0 would stop every point before its first frame)",
        );
    }
    if s.decoder.iterations == 0
        && !matches!(
            s.decoder.kind,
            super::DecoderKindName::Hard
                | super::DecoderKindName::Ecct
                | super::DecoderKindName::Osd
                | super::DecoderKindName::Sc
                | super::DecoderKindName::Scl
        )
    {
        return fail("decoder", "iterations", "belief propagation needs at least one iteration");
    }
    check_decoder_factors(&s.decoder, &|key, msg| fail("decoder", key, msg))?;
    if s.decoder.order as usize > codes::osd::MAX_ORDER {
        return fail("decoder", "order", "OSD supports orders 0 to 3");
    }
    if s.code.kind == CodeKind::Polar && !s.is_text_link() {
        let a = s.code.payload_bits;
        if !(1..=super::MAX_POLAR_SEGMENT_BITS).contains(&a) {
            return fail(
                "code",
                "payload_bits",
                &format!(
                    "a link-level polar code needs its payload size: payload_bits = A, 1 to {} bits a codeword, \
                     sent in E = ⌈A / rate⌉ bits (a text, image or audio scheme's polar code is sized to each \
                     message instead)",
                    super::MAX_POLAR_SEGMENT_BITS
                ),
            );
        }
        check_polar(&s.code, &s.decoder, &|dotted, msg| {
            let (table, key) = dotted.split_once('.').unwrap_or(("", dotted));
            fail(table, key, msg)
        })?;
    }
    if s.code.payload_bits != 0 && (s.code.kind != CodeKind::Polar || s.is_text_link()) {
        return fail(
            "code",
            "payload_bits",
            "sizes a link-level polar code (kind = \"polar\" without schemes); a text, image or audio scheme's polar \
             code is sized to each message",
        );
    }
    if s.code.interleave != super::Interleave::None {
        if !s.is_text_link() && s.code.interleave == super::Interleave::Message {
            return fail(
                "code",
                "interleave",
                "a link-level run sends no messages to interleave over (each codeword stands alone): use it in a \
                 text, image or audio scenario",
            );
        }
        if let Some(why) = interleave_problem(&s.code) {
            return fail("code", "interleave", why);
        }
    }
    if !(s.channel.mean_square_gain > 0.0 && s.channel.mean_square_gain.is_finite()) {
        return fail("channel", "mean_square_gain", "must be a positive number");
    }
    if s.is_text_link() {
        validate_text_link(s, text, file, &fail)?;
    }
    Ok(())
}

/// `[text]`: the text set a text scenario sends.
fn validate_text_set(s: &Scenario, fail: &Fail) -> Result<(), ScenarioError> {
    if s.text.file.trim().is_empty() {
        return fail("text", "file", "name a UTF-8 text file with one message per line");
    }
    if s.text.repeats == 0 {
        return fail("text", "repeats", "must be at least 1");
    }
    // The text file's size is not known yet; `messages` (or 1) bounds what it can contribute.
    let least_items = s.text.messages.max(1).checked_mul(s.text.repeats).unwrap_or(usize::MAX);
    if least_items > MAX_ITEMS_PER_POINT {
        return fail(
            "text",
            "repeats",
            &format!(
                "{} messages × {} repeats is more than the {MAX_ITEMS_PER_POINT} items a point can hold in memory",
                s.text.messages.max(1),
                s.text.repeats
            ),
        );
    }
    if s.text.batch_messages == 0 {
        return fail("text", "batch_messages", "must be at least 1");
    }
    Ok(())
}

/// That every scheme of `s` sends `modality`, the scenario's: the first one that does not is
/// refused, naming its line.
fn check_one_modality(s: &Scenario, modality: Modality, text: &str, file: &str) -> Result<(), ScenarioError> {
    let Some(c) = s.schemes.iter().find(|c| c.source.modality() != modality) else { return Ok(()) };
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("name") && l.contains(&format!("\"{}\"", c.name)))
        .map(|l| format!(":{}", l + 1))
        .unwrap_or_default();
    let what = |m: Modality| match m {
        Modality::Text => "text",
        Modality::Image => "images",
        Modality::Audio => "audio",
    };
    Err(ScenarioError(format!(
        "{file}{line}: scheme '{}': field 'source': this scenario sends {} (its other schemes code {}) and this \
         source codes {}; put schemes of different kinds in separate scenarios",
        c.name,
        what(modality),
        what(modality),
        what(c.source.modality())
    )))
}

/// `[image]`: the tiles an image scenario sends, and that its schemes all send images.
fn validate_image_set(s: &Scenario, text: &str, file: &str, fail: &Fail) -> Result<(), ScenarioError> {
    check_one_modality(s, Modality::Image, text, file)?;
    let i = &s.image;
    if i.photos.is_empty() && i.files.is_empty() {
        return fail("image", "photos", "name at least one photograph (or give image.files)");
    }
    if let Some(p) = i.photos.iter().find(|p| source::image::photos::photo_by_name(p).is_none()) {
        let known: Vec<&str> = source::image::photos::PHOTOS.iter().map(|p| p.name).collect();
        return fail("image", "photos", &format!("no photograph named '{p}' (known: {})", known.join(", ")));
    }
    if !(MIN_TILE..=MAX_TILE).contains(&i.tile) {
        return fail("image", "tile", &format!("must be {MIN_TILE} to {MAX_TILE} pixels"));
    }
    if i.repeats == 0 {
        return fail("image", "repeats", "must be at least 1");
    }
    if i.tiles.max(1).checked_mul(i.repeats).unwrap_or(usize::MAX) > MAX_ITEMS_PER_POINT {
        return fail(
            "image",
            "repeats",
            &format!("tiles × repeats is more than the {MAX_ITEMS_PER_POINT} items a point can hold in memory"),
        );
    }
    if i.batch_messages == 0 {
        return fail("image", "batch_messages", "must be at least 1");
    }
    Ok(())
}

/// `[audio]`: the frames an audio scenario sends, and that its schemes all send audio.
fn validate_audio_set(s: &Scenario, text: &str, file: &str, fail: &Fail) -> Result<(), ScenarioError> {
    check_one_modality(s, Modality::Audio, text, file)?;
    let a = &s.audio;
    if a.clips.is_empty() && a.files.is_empty() {
        return fail("audio", "clips", "name at least one clip (or give audio.files)");
    }
    if let Some(c) = a.clips.iter().find(|c| source::audio::clips::clip_by_name(c).is_none()) {
        let known: Vec<&str> = source::audio::clips::CLIPS.iter().map(|c| c.name).collect();
        return fail("audio", "clips", &format!("no clip named '{c}' (known: {})", known.join(", ")));
    }
    if !(MIN_AUDIO_FRAME..=MAX_AUDIO_FRAME).contains(&a.frame) {
        return fail("audio", "frame", &format!("must be {MIN_AUDIO_FRAME} to {MAX_AUDIO_FRAME} samples"));
    }
    if a.repeats == 0 {
        return fail("audio", "repeats", "must be at least 1");
    }
    if a.frames.max(1).saturating_mul(a.repeats) > MAX_ITEMS_PER_POINT {
        return fail(
            "audio",
            "repeats",
            &format!("frames × repeats is more than the {MAX_ITEMS_PER_POINT} items a point can hold in memory"),
        );
    }
    if a.batch_messages == 0 {
        return fail("audio", "batch_messages", "must be at least 1");
    }
    use source::audio::clips::{clip_by_name, clips, Split};
    if a.prime_samples > 0 && clip_by_name(&a.prime_clip).is_none_or(|c| c.split != Split::Train) {
        let train: Vec<&str> = clips(Split::Train).map(|c| c.name).collect();
        return fail(
            "audio",
            "prime_clip",
            &format!(
                "'{}' is not a training clip (priming on held-out speech would tune the coder to the test \
                 clips); one of {}",
                a.prime_clip,
                train.join(", ")
            ),
        );
    }
    Ok(())
}

/// Frame lengths an audio scenario accepts: below 64 samples the coder's adaptation has nothing to
/// work on; 65,536 16-bit samples are already a 1 Mbit message.
pub const MIN_AUDIO_FRAME: usize = 64;
pub const MAX_AUDIO_FRAME: usize = 65_536;

/// Tile sides an image scenario accepts: Deep JSCC halves the side twice, and a tile of 256×256 RGB
/// is already a 1.5 Mbit message.
pub const MIN_TILE: u32 = 8;
pub const MAX_TILE: u32 = 256;

/// A polar code's rate and CRC, and that polar codes and their decoders (SC, SCL) go together.
fn check_polar(
    code: &super::CodeConfig,
    decoder: &super::DecoderConfig,
    fail: &dyn Fn(&str, &str) -> Result<(), ScenarioError>,
) -> Result<(), ScenarioError> {
    use super::DecoderKindName::{Sc, Scl};
    let polar_decoder = matches!(decoder.kind, Sc | Scl);
    if code.kind != CodeKind::Polar {
        if polar_decoder {
            return fail("decoder.kind", "SC and SCL decode polar codes: set code.kind = \"polar\"");
        }
        return Ok(());
    }
    if !polar_decoder {
        return fail("decoder.kind", &format!("a polar code is decoded by \"sc\" or \"scl\", not {:?}", decoder.kind));
    }
    if !(super::MIN_POLAR_RATE..=1.0).contains(&code.rate) {
        return fail("code.rate", &format!("{} is not a polar code rate in [{}, 1]", code.rate, super::MIN_POLAR_RATE));
    }
    if code.crc.parse::<codes::polar::Crc>().is_err() {
        return fail(
            "code.crc",
            &format!("'{}' is not one of \"none\", \"crc6\", \"crc11\", \"crc16\", \"crc24c\"", code.crc),
        );
    }
    if !(1..=super::MAX_SCL_LIST).contains(&decoder.list) {
        return fail("decoder.list", &format!("the list size must be 1 to {}", super::MAX_SCL_LIST));
    }
    Ok(())
}

type Fail<'a> = dyn Fn(&str, &str, &str) -> Result<(), ScenarioError> + 'a;

/// Min-sum's normalisation factor and offset: finite, normalisation in (0, 1], offset ≥ 0 (a NaN
/// or a negative value would make every message meaningless without failing).
fn check_decoder_factors(
    d: &super::DecoderConfig,
    fail: &dyn Fn(&str, &str) -> Result<(), ScenarioError>,
) -> Result<(), ScenarioError> {
    if !(d.alpha > 0.0 && d.alpha <= 1.0) {
        return fail("alpha", &format!("{} is not a normalisation factor in (0, 1]", d.alpha));
    }
    if !(d.beta >= 0.0 && d.beta.is_finite()) {
        return fail("beta", &format!("{} is not a finite offset >= 0", d.beta));
    }
    Ok(())
}

/// The most items (messages × repeats) one SNR point may send: each item's received text is held
/// in memory until its point is scored.
pub const MAX_ITEMS_PER_POINT: usize = 10_000_000;

/// The most messages per point `samples.csv` shows (it is rewritten whole after every point).
pub const MAX_SAMPLES: usize = 1000;

fn validate_text_link(s: &Scenario, text: &str, file: &str, fail: &Fail) -> Result<(), ScenarioError> {
    match s.modality() {
        super::Modality::Text => validate_text_set(s, fail)?,
        super::Modality::Image => validate_image_set(s, text, file, fail)?,
        super::Modality::Audio => validate_audio_set(s, text, file, fail)?,
    }
    if s.metrics.samples > MAX_SAMPLES {
        return fail("metrics", "samples", &format!("at most {MAX_SAMPLES} messages per point go to samples.csv"));
    }
    if !(1..=32).contains(&s.framing.length_bits) {
        return fail("framing", "length_bits", "must be between 1 and 32");
    }
    if !s.framing.end_check.is_exact() && s.modality() != super::Modality::Text {
        return fail(
            "framing",
            "end_check",
            "applies to text; image tiles and audio frames are always checked exactly",
        );
    }
    let names: Vec<&str> = s.schemes.iter().map(|c| c.name.as_str()).collect();
    for (i, scheme) in s.schemes.iter().enumerate() {
        // Point at the scheme's own `name = "..."` line, the one place a reader can find it by.
        let here = |key: &str, msg: &str| -> Result<(), ScenarioError> {
            let line = text
                .lines()
                .position(|l| {
                    l.trim_start().starts_with("name")
                        && l.contains(&format!("\"{}\"", scheme.name))
                        && !scheme.name.is_empty()
                })
                .map(|l| format!(":{}", l + 1))
                .unwrap_or_default();
            let who =
                if scheme.name.is_empty() { format!("schemes[{i}]") } else { format!("scheme '{}'", scheme.name) };
            Err(ScenarioError(format!("{file}{line}: {who}: field '{key}': {msg}")))
        };
        if scheme.name.trim().is_empty() {
            return here("name", "every scheme needs a name (it labels its rows and plot lines)");
        }
        if let Some(msg) = scheme.snr_values_db.as_deref().and_then(snr_list_problem) {
            return here("snr_values_db", &msg);
        }
        if let Some(uses) = scheme.channel_uses {
            if scheme.source != super::SourceKind::Linear {
                return here("channel_uses", "only source = \"linear\" chooses how many real values a frame sends");
            }
            if !(1..=s.audio.frame).contains(&uses) {
                return here("channel_uses", &format!("must be 1 to the frame's {} samples", s.audio.frame));
            }
        }
        if let Some(gamma) = scheme.noise_shaping {
            if scheme.source != super::SourceKind::Linear {
                return here("noise_shaping", "only source = \"linear\" shapes its noise");
            }
            if !(0.0..=1.0).contains(&gamma) {
                return here(
                    "noise_shaping",
                    &format!("{gamma} is not in [0, 1] (0: plain squared error, 1: equal SNR per coefficient)"),
                );
            }
        }
        if scheme.frame_levels.is_some() && scheme.source != super::SourceKind::Linear {
            return here("frame_levels", "only source = \"linear\" sends its frames' levels");
        }
        if let Some(design) = scheme.design_esn0_db {
            if scheme.source != super::SourceKind::Linear {
                return here("design_esn0_db", "only source = \"linear\" designs its powers for an SNR");
            }
            if !(-30.0..=60.0).contains(&design) {
                return here("design_esn0_db", &format!("{design} dB is not in [-30, 60]"));
            }
        }
        if scheme.source == super::SourceKind::Linear
            && !s.audio.frame.is_power_of_two()
            && s.audio.frame > crate::dsp::dct::MAX_TABLE_LEN
        {
            return fail(
                "audio",
                "frame",
                &format!(
                    "scheme '{}' (source = \"linear\") needs a DCT of the frame: a power of two, or at most {} samples",
                    scheme.name,
                    crate::dsp::dct::MAX_TABLE_LEN
                ),
            );
        }
        if names.iter().filter(|&&n| n == scheme.name).count() > 1 {
            return here("name", "two schemes share this name");
        }
        let code = scheme.code.as_ref().unwrap_or(&s.code);
        if code.kind == CodeKind::Ldpc && code.file.trim().is_empty() {
            return here("code.file", "kind = \"ldpc\" needs a parity-check matrix file");
        }
        if code.kind == CodeKind::Uncoded && !(1..=MAX_UNCODED_BITS).contains(&code.uncoded_bits) {
            return here("code.uncoded_bits", &format!("an uncoded block has 1 to {MAX_UNCODED_BITS} bits"));
        }
        if let Some(why) = interleave_problem(code) {
            return here("code.interleave", why);
        }
        if code.payload_bits != 0 {
            return here(
                "code.payload_bits",
                "sizes a link-level polar code; a scheme's polar code is sized to each of its messages",
            );
        }
        if code.codewords != super::CodewordSource::Random {
            return here(
                "code.codewords",
                "a text link sends the message's bits; codewords = \"zero\" is for link-level scenarios",
            );
        }
        let decoder = scheme.decoder.as_ref().unwrap_or(&s.decoder);
        if decoder.iterations == 0
            && !matches!(
                decoder.kind,
                super::DecoderKindName::Hard
                    | super::DecoderKindName::Ecct
                    | super::DecoderKindName::Osd
                    | super::DecoderKindName::Sc
                    | super::DecoderKindName::Scl
            )
        {
            return here("decoder.iterations", "belief propagation needs at least one iteration");
        }
        check_polar(code, decoder, &here)?;
        check_decoder_factors(decoder, &|key, msg| here(&format!("decoder.{key}"), msg))?;
        if decoder.order as usize > codes::osd::MAX_ORDER {
            return here("decoder.order", "OSD supports orders 0 to 3");
        }
        if let Some(other) = &scheme.noise_from {
            if !names.contains(&other.as_str()) || *other == scheme.name {
                return here("noise_from", &format!("'{other}' is not another scheme of this scenario"));
            }
        }
        if let Some(r) = &scheme.receiver {
            if scheme.source.is_jscc() {
                return here("receiver", "an LM-aided receiver decodes bits; a JSCC scheme sends real values");
            }
            match scheme.source.modality() {
                super::Modality::Text | super::Modality::Image => {}
                super::Modality::Audio if r.kind == super::ReceiverKind::Icd => {}
                super::Modality::Audio => {
                    return here(
                        "receiver",
                        "the list receiver decodes text messages and image tiles, not audio frames (ICD decodes \
                         all three)",
                    );
                }
            }
            if let Some(beam) = r.beam {
                if r.kind != super::ReceiverKind::List {
                    return here("receiver.beam", "only the list receiver (kind = \"list\") has a beam");
                }
                if !(1..=64).contains(&beam) {
                    return here("receiver.beam", "must be 1 to 64 (each path is one LM row per symbol)");
                }
            }
            if let Some(first) = r.first_beam {
                if r.kind != super::ReceiverKind::List {
                    return here("receiver.first_beam", "only the list receiver (kind = \"list\") has a beam");
                }
                if !(1..=r.beam.unwrap_or(super::DEFAULT_LIST_BEAM)).contains(&first) {
                    return here("receiver.first_beam", "must be 1 to the receiver's beam");
                }
            }
            if r.parity.is_some() && r.kind != super::ReceiverKind::List {
                return here("receiver.parity", "only the list receiver (kind = \"list\") weighs parity bits");
            }
            if let Some(limit) = r.max_penalty {
                let icd_on_codewords =
                    r.kind == super::ReceiverKind::Icd && decoder.kind == super::DecoderKindName::Osd;
                if r.kind != super::ReceiverKind::List && !icd_on_codewords {
                    return here(
                        "receiver.max_penalty",
                        "only the list receiver (kind = \"list\") and ICD on OSD's codeword lists have a penalty limit",
                    );
                }
                if limit.is_nan() || limit <= 0.0 {
                    return here(
                        "receiver.max_penalty",
                        &format!("{limit} is not a positive number of nats (inf: no limit)"),
                    );
                }
            }
            if !(r.unreliable > 0.0 && r.unreliable <= 0.5) {
                return here(
                    "receiver.unreliable",
                    &format!("{} is not a distance from 0.5 in (0, 0.5]", r.unreliable),
                );
            }
            if !(1..=16).contains(&r.least_reliable) {
                return here("receiver.least_reliable", "must be 1 to 16 (the candidates grow as its power set)");
            }
            if r.max_flips > r.least_reliable {
                return here("receiver.max_flips", "cannot exceed receiver.least_reliable");
            }
            if !(1..=64).contains(&r.candidates) {
                return here("receiver.candidates", "must be 1 to 64 (each is one more LM decoding)");
            }
            if !(0.0..=1.0).contains(&r.lm_weight) {
                return here("receiver.lm_weight", &format!("{} is not a weight in [0, 1]", r.lm_weight));
            }
        }
        if scheme.source.is_jscc() {
            if scheme.weights.is_some() && !scheme.source.takes_weights() {
                return here("weights", "analog transmission has no model; it loads no weights");
            }
            if scheme.code.is_some() || scheme.decoder.is_some() {
                return here("code", "a JSCC scheme sends real values, it has no channel code or decoder to configure");
            }
            if s.snr.axis != channels::SnrAxis::Esn0 {
                return fail(
                    "snr",
                    "axis",
                    &format!(
                        "scheme '{}' is JSCC: its real values have no bits, so only axis = \"esn0\" is defined",
                        scheme.name
                    ),
                );
            }
        } else if scheme.weights.is_some() && !scheme.source.takes_weights() {
            return here("weights", "only neural schemes (source = \"deepsc\", \"ut\", \"ut-quant\", \"deep-jscc\") load weights; an SSCC scheme names its LM with 'model'");
        }
        if scheme.source == super::SourceKind::Llm && scheme.model.trim().is_empty() {
            return here("model", "source = \"llm\" needs a model name, a .gguf path or hub:<repo>");
        }
    }
    if !s.unified.reference.is_empty() && !names.contains(&s.unified.reference.as_str()) {
        return fail(
            "unified",
            "reference",
            &format!("no scheme named '{}' (schemes: {})", s.unified.reference, names.join(", ")),
        );
    }
    Ok(())
}
