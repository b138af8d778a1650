//! The scenario schema. Every field has a default so that a scenario states only what it changes,
//! and so that the full tree of valid `--set` names can be derived from `Scenario::default()`.

use serde::{Deserialize, Serialize};
use source::EndCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Names the results folder `results/<name>/`.
    pub name: String,
    pub description: String,
    /// Root of every random stream of the run; 0 to 2^63 − 1 (the largest integer TOML holds).
    pub seed: u64,
    pub snr: SnrConfig,
    pub code: CodeConfig,
    pub modulation: ModulationConfig,
    pub channel: ChannelConfig,
    pub decoder: DecoderConfig,
    pub stop: StopConfig,
    /// Text link only (when `schemes` send text): the messages sent.
    pub text: TextConfig,
    /// Image link only (when `schemes` send images: `image-lm`, `deep-jscc`): the tiles sent. Left
    /// out of the serialized scenario when default, so text scenarios keep their `config_hash`.
    #[serde(skip_serializing_if = "ImageConfig::is_default")]
    pub image: ImageConfig,
    /// Audio link only (when `schemes` send audio: `audio-lpc`, `pcm`, `analog`): the frames sent.
    /// Left out of the serialized scenario when default, as `[image]` is.
    #[serde(skip_serializing_if = "AudioConfig::is_default")]
    pub audio: AudioConfig,
    pub framing: FramingConfig,
    pub metrics: MetricsConfig,
    pub unified: UnifiedConfig,
    /// End-to-end text schemes. Empty: a link-level scenario (random bits through `code`/`decoder`).
    /// Each scheme's `code` and `decoder` default to the scenario's top-level ones.
    pub schemes: Vec<SchemeConfig>,
}

impl Scenario {
    /// The SNR values of the scheme named `scheme`: its own `snr_values_db`, else `[snr]
    /// values_db` (also for a name no scheme has, e.g. a link-level scenario's one link).
    pub fn snr_values(&self, scheme: &str) -> &[f64] {
        self.schemes
            .iter()
            .find(|c| c.name == scheme)
            .and_then(|c| c.snr_values_db.as_deref())
            .unwrap_or(&self.snr.values_db)
    }

    /// True for an end-to-end message scenario (it lists schemes), false for a link-level one.
    pub fn is_text_link(&self) -> bool {
        !self.schemes.is_empty()
    }

    /// What the schemes of a message scenario send: images or audio when any scheme codes them
    /// (validation refuses a scenario that mixes modalities), else text.
    pub fn modality(&self) -> Modality {
        if self.schemes.iter().any(|c| c.source.modality() == Modality::Image) {
            Modality::Image
        } else if self.schemes.iter().any(|c| c.source.modality() == Modality::Audio) {
            Modality::Audio
        } else {
            Modality::Text
        }
    }

    /// Channel realisations per message and point, from the modality's table (`[text]` or `[image]`).
    pub fn repeats(&self) -> usize {
        match self.modality() {
            Modality::Text => self.text.repeats,
            Modality::Image => self.image.repeats,
            Modality::Audio => self.audio.repeats,
        }
    }

    /// Messages per batch, from the modality's table.
    pub fn batch_messages(&self) -> usize {
        match self.modality() {
            Modality::Text => self.text.batch_messages,
            Modality::Image => self.image.batch_messages,
            Modality::Audio => self.audio.batch_messages,
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "unnamed".into(),
            description: String::new(),
            seed: 1,
            snr: SnrConfig::default(),
            code: CodeConfig::default(),
            modulation: ModulationConfig::default(),
            channel: ChannelConfig::default(),
            decoder: DecoderConfig::default(),
            stop: StopConfig::default(),
            text: TextConfig::default(),
            image: ImageConfig::default(),
            audio: AudioConfig::default(),
            framing: FramingConfig::default(),
            metrics: MetricsConfig::default(),
            unified: UnifiedConfig::default(),
            schemes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnrConfig {
    /// `"esn0"` or `"ebn0"`.
    pub axis: channels::SnrAxis,
    pub values_db: Vec<f64>,
}

impl Default for SnrConfig {
    fn default() -> Self {
        SnrConfig { axis: channels::SnrAxis::Esn0, values_db: vec![0.0, 2.0, 4.0, 6.0] }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeKind {
    /// No channel code: frames of `uncoded_bits` bits go straight to the modulator.
    Uncoded,
    /// A linear block code given by a parity-check matrix file (alist or dense 0/1 text).
    Ldpc,
    /// A 5G NR polar code sized to each message (`code.rate`, `code.crc`; text links only):
    /// `link::message::polar`.
    Polar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodewordSource {
    /// Uniformly random information bits, encoded.
    Random,
    /// The all-zero codeword (valid for symmetric channels and decoders, as ECCT trains).
    Zero,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CodeConfig {
    pub kind: CodeKind,
    /// Parity-check matrix, relative to the working directory or to the scenario's folder's parent.
    pub file: String,
    /// Frame length in bits when `kind = "uncoded"`.
    pub uncoded_bits: usize,
    pub codewords: CodewordSource,
    /// `kind = "polar"`: framed message bits (length header + payload, CRC not counted) per coded
    /// bit. Left out of the resolved config at its default, like the other polar keys, so the
    /// config hashes of earlier results folders do not change.
    #[serde(skip_serializing_if = "is_default_polar_rate")]
    pub rate: f64,
    /// `kind = "polar"`: the CRC appended to each codeword's bits ("none", "crc6", "crc11",
    /// "crc16", "crc24c"; TS 38.212 §5.1).
    #[serde(skip_serializing_if = "is_default_polar_crc")]
    pub crc: String,
    /// `kind = "polar"` in a link-level scenario: the payload bits A of every codeword (CRC not
    /// counted), sent in E = ⌈A / rate⌉ bits (`link::level`). A text, image or audio scheme's polar
    /// code is sized to each message instead. Left out of the resolved config at 0 (unset).
    #[serde(skip_serializing_if = "is_zero")]
    pub payload_bits: usize,
    /// How the coded bits are laid on the channel: "none", codeword after codeword in the code's
    /// own order; "message" (block codes), each codeword's symbols spread over the whole message by
    /// a row–column interleaver (`link::block::interleave`), so that with a gain per codeword
    /// (`fading = "block"`) every codeword meets every gain of its message; "codeword" (polar
    /// codes), each codeword's bits permuted by TS 38.212's coded-bit interleaver (I_BIL = 1,
    /// `codes::polar::coded_bit_interleaver`), so that a stretch of the codeword is not left
    /// under one gain. Message links only (text, image, audio). Left out of the resolved config at
    /// "none", so earlier results folders keep their config hashes.
    #[serde(skip_serializing_if = "Interleave::is_none")]
    pub interleave: Interleave,
}

/// [`CodeConfig::interleave`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interleave {
    /// Each codeword's symbols together, codeword after codeword.
    #[default]
    None,
    /// A row–column interleaver over each message's codewords (block codes).
    Message,
    /// The coded-bit interleaver within each codeword (polar codes, TS 38.212 §5.4.1.3).
    Codeword,
}

impl Interleave {
    fn is_none(&self) -> bool {
        *self == Interleave::None
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_default_polar_rate(rate: &f64) -> bool {
    *rate == DEFAULT_POLAR_RATE
}

fn is_default_polar_crc(crc: &str) -> bool {
    crc == DEFAULT_POLAR_CRC
}

const DEFAULT_POLAR_RATE: f64 = 0.5;
/// The lowest `code.rate` of a polar code: a full 512-bit segment must fit TS 38.212's largest
/// E = 8192 (`link::message::polar`).
pub const MIN_POLAR_RATE: f64 = 1.0 / 16.0;
/// The most framed bits one polar codeword carries (longer messages are segmented,
/// `link::message::polar`), and so the largest `code.payload_bits` of a link-level polar code.
pub const MAX_POLAR_SEGMENT_BITS: usize = 512;
const DEFAULT_POLAR_CRC: &str = "crc11";

impl Default for CodeConfig {
    fn default() -> Self {
        CodeConfig {
            kind: CodeKind::Uncoded,
            file: String::new(),
            uncoded_bits: 1024,
            codewords: CodewordSource::Random,
            rate: DEFAULT_POLAR_RATE,
            crc: DEFAULT_POLAR_CRC.to_string(),
            payload_bits: 0,
            interleave: Interleave::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModulationKind {
    Bpsk,
    Qpsk,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModulationConfig {
    pub kind: ModulationKind,
}

impl Default for ModulationConfig {
    fn default() -> Self {
        ModulationConfig { kind: ModulationKind::Bpsk }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    Awgn,
    /// Rayleigh fading as configured by `fading`, `block_symbols`, `csi`, `mean_square_gain`.
    Rayleigh,
    /// The LM-SSCC reference code's convention: fast fading, E[h²] = 2, no CSI (other fields ignored).
    RayleighLmSscc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FadingKind {
    /// A fresh gain for every complex symbol (ideal interleaving).
    Fast,
    /// One gain per `block_symbols` symbols of a frame (a codeword; 0: the whole frame).
    Block,
    /// One gain per message, however many codewords carry it (quasi-static fading): the channel the
    /// JSCC schemes always see on Rayleigh, so every scheme of a run sees the same fading.
    Message,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelConfig {
    pub kind: ChannelKind,
    pub fading: FadingKind,
    /// Symbols per fading block when `fading = "block"`; 0 means one gain per frame.
    pub block_symbols: usize,
    /// What the receiver knows of the fading gain: `true` each gain (perfect CSI), `false` only
    /// its mean, `"estimated"` a blind estimate of each run's gain from the run's received values.
    pub csi: CsiSetting,
    /// Ω = E[|h|²].
    pub mean_square_gain: f64,
}

/// [`ChannelConfig::csi`]: `true`, `false` or `"estimated"` in scenario files, so that every
/// earlier file (and config hash) keeps its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsiSetting {
    Perfect,
    None,
    Estimated,
}

impl CsiSetting {
    /// Whether the receiver is told each gain.
    pub fn knows_gain(&self) -> bool {
        *self == CsiSetting::Perfect
    }
}

impl Serialize for CsiSetting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CsiSetting::Perfect => s.serialize_bool(true),
            CsiSetting::None => s.serialize_bool(false),
            CsiSetting::Estimated => s.serialize_str("estimated"),
        }
    }
}

impl<'de> Deserialize<'de> for CsiSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Setting;
        impl serde::de::Visitor<'_> for Setting {
            type Value = CsiSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false or \"estimated\"")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<CsiSetting, E> {
                Ok(if v { CsiSetting::Perfect } else { CsiSetting::None })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CsiSetting, E> {
                match v {
                    "estimated" => Ok(CsiSetting::Estimated),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
        }
        d.deserialize_any(Setting)
    }
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            kind: ChannelKind::Awgn,
            fading: FadingKind::Fast,
            block_symbols: 0,
            csi: CsiSetting::Perfect,
            mean_square_gain: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecoderKindName {
    Hard,
    SumProduct,
    MinSum,
    NormalizedMinSum,
    OffsetMinSum,
    Ecct,
    /// Ordered-statistics decoding of order `decoder.order` (codes::osd).
    Osd,
    /// Successive-cancellation decoding of a polar code.
    Sc,
    /// CRC-aided successive-cancellation list decoding of a polar code (list `decoder.list`).
    Scl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleName {
    Flooding,
    Layered,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecoderConfig {
    pub kind: DecoderKindName,
    pub schedule: ScheduleName,
    pub iterations: usize,
    /// Stop iterating a frame as soon as its hard decision satisfies every check.
    pub early_termination: bool,
    /// Normalization factor of normalized min-sum.
    pub alpha: f32,
    /// Offset of offset min-sum.
    pub beta: f32,
    /// Reprocessing order of `kind = "osd"` (0..=3). Left out of the resolved config at its
    /// default, so the config hashes of earlier results folders do not change.
    #[serde(skip_serializing_if = "is_default_osd_order")]
    pub order: u8,
    /// List size of `kind = "scl"` (1..=32; left out of the resolved config at its default).
    #[serde(skip_serializing_if = "is_default_scl_list")]
    pub list: usize,
}

fn is_default_scl_list(list: &usize) -> bool {
    *list == DEFAULT_SCL_LIST
}

const DEFAULT_SCL_LIST: usize = 8;
/// The largest `decoder.list` a scenario may ask for.
pub const MAX_SCL_LIST: usize = 32;

fn is_default_osd_order(order: &u8) -> bool {
    *order == DEFAULT_OSD_ORDER
}

const DEFAULT_OSD_ORDER: u8 = 2;

/// The default scenario as a TOML tree that also shows the fields left out of the resolved config
/// at their defaults (`decoder.order`, `decoder.list`, `code.rate`, `code.crc`, `code.interleave`,
/// `code.payload_bits`, `metrics.samples`, `[image]`,
/// `[audio]`), so they stay valid `--set` keys.
pub(crate) fn key_schema() -> toml::Value {
    let mut s = Scenario::default();
    s.decoder.order = DEFAULT_OSD_ORDER + 1;
    s.decoder.list = DEFAULT_SCL_LIST + 1;
    s.code.rate = DEFAULT_POLAR_RATE / 2.0;
    s.code.crc = "crc16".into();
    s.code.interleave = Interleave::Message;
    s.code.payload_bits = 1;
    s.metrics.samples = DEFAULT_SAMPLES + 1;
    // Not default, so that `[image]` is serialized (it is skipped when default).
    s.image.tile += 1;
    s.audio.frame += 1;
    // Serialized only when not exact.
    s.framing.end_check = EndCheck::LengthWindow;
    toml::Value::try_from(s).expect("the default scenario serializes")
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            kind: DecoderKindName::SumProduct,
            schedule: ScheduleName::Flooding,
            iterations: 50,
            early_termination: true,
            alpha: 0.8,
            beta: 0.15,
            order: DEFAULT_OSD_ORDER,
            list: DEFAULT_SCL_LIST,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StopConfig {
    /// A point stops once it has seen this many frame errors...
    pub min_frame_errors: u64,
    /// ...or this many frames, whichever comes first.
    pub max_frames: u64,
    /// Frames per batch (one random stream each); fixed so results do not depend on thread count.
    pub batch_frames: usize,
}

impl Default for StopConfig {
    fn default() -> Self {
        StopConfig { min_frame_errors: 100, max_frames: 1_000_000, batch_frames: 256 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SampleKind {
    /// The first `messages` lines of the file.
    First,
    /// `messages` lines drawn without replacement with the scenario's seed (kept in file order).
    Random,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextConfig {
    /// UTF-8 text, one message per line (empty lines skipped). Relative to the working directory or
    /// the project root.
    pub file: String,
    /// Messages taken from the file; 0 takes every line.
    pub messages: usize,
    pub sample: SampleKind,
    /// Channel realisations per message and SNR point (each message is sent this many times).
    pub repeats: usize,
    /// Messages per batch (one random stream each); fixed so results do not depend on thread count.
    pub batch_messages: usize,
}

impl Default for TextConfig {
    fn default() -> Self {
        TextConfig {
            file: "data/europarl/test_sentences.txt".into(),
            messages: 100,
            sample: SampleKind::First,
            repeats: 1,
            batch_messages: 32,
        }
    }
}

/// What a message scenario sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    /// Lines of a text file (`[text]`).
    Text,
    /// Square tiles of photographs (`[image]`).
    Image,
    /// Frames of speech clips (`[audio]`).
    Audio,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageConfig {
    /// Photographs of the fixed set by name (`sim models list`; the held-out ones are astronaut,
    /// chelsea, coffee, ihc, camera, coins, grass, gravel). Default: the four held-out colour ones.
    pub photos: Vec<String>,
    /// Other PNG or JPEG files (relative to the working directory or the project root), sent after
    /// the photos.
    pub files: Vec<String>,
    /// Side of the square tiles the images are cut into, in pixels; one tile is one message. Edge
    /// strips narrower than a tile are dropped.
    pub tile: u32,
    /// Tiles sent (over all images, in image order, raster order within each); 0 sends every tile.
    pub tiles: usize,
    /// `"first"`: the first `tiles` tiles; `"random"`: `tiles` drawn with the scenario's seed.
    pub sample: SampleKind,
    /// Channel realisations per tile and SNR point.
    pub repeats: usize,
    /// Tiles per batch (one random stream each); fixed so results do not depend on thread count.
    pub batch_messages: usize,
}

impl ImageConfig {
    pub fn is_default(&self) -> bool {
        *self == ImageConfig::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Clips of the fixed speech set by name (`sim models list`, `pyannote-clips`; held out: dev00,
    /// dev01, tst00, tst01, sample). Default: dev00.
    pub clips: Vec<String>,
    /// Other WAV files (relative to the working directory or the project root): 8- or 16-bit PCM,
    /// or float on the 16-bit grid; each channel is a clip. Sent after `clips`.
    pub files: Vec<String>,
    /// Samples per frame; one frame is one message. A clip's last, shorter frame is dropped.
    pub frame: usize,
    /// Frames sent (over all clips, in order); 0 sends every frame.
    pub frames: usize,
    /// `"first"`: the first `frames` frames (the clip plays in order); `"random"`: `frames` drawn
    /// with the scenario's seed.
    pub sample: SampleKind,
    /// Channel realisations per frame and SNR point.
    pub repeats: usize,
    /// Frames per batch (one random stream each); fixed so results do not depend on thread count.
    pub batch_messages: usize,
    /// The training clip every `audio-lpc` frame's coder is primed on (`link::audio::coder`).
    pub prime_clip: String,
    /// Samples of `prime_clip` the coder is primed on (all of it when it is shorter); 0 starts
    /// every frame cold.
    pub prime_samples: usize,
}

impl AudioConfig {
    pub fn is_default(&self) -> bool {
        *self == AudioConfig::default()
    }
}

impl Default for AudioConfig {
    fn default() -> Self {
        AudioConfig {
            clips: vec!["dev00".into()],
            files: Vec::new(),
            frame: 1024,
            frames: 0,
            sample: SampleKind::First,
            repeats: 1,
            batch_messages: 16,
            prime_clip: "trn01".into(),
            prime_samples: 256_000,
        }
    }
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig {
            photos: ["astronaut", "chelsea", "coffee", "ihc"].map(String::from).to_vec(),
            files: Vec::new(),
            tile: 32,
            tiles: 64,
            sample: SampleKind::Random,
            repeats: 1,
            batch_messages: 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FramingConfig {
    /// Bits of the length header that starts every message (payload length in bits, MSB first);
    /// messages longer than 2^length_bits - 1 bits are refused.
    pub length_bits: u32,
    /// How the receiver tells that a text message's source stream is intact (what it flags, and
    /// which ICD candidates are valid). Image tiles and audio frames are always checked exactly.
    /// Left out of the serialized scenario when `exact`; folders made before the choice existed
    /// used `length-window` and say so by their schemes' facts (`TextFacts::end_check`).
    #[serde(skip_serializing_if = "EndCheck::is_exact")]
    pub end_check: EndCheck,
}

impl Default for FramingConfig {
    fn default() -> Self {
        FramingConfig { length_bits: 11, end_check: EndCheck::Exact }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BleuSmoothing {
    /// NLTK's default (method0): a zero n-gram precision makes the score 0.
    None,
    /// NLTK's `SmoothingFunction().method1` (epsilon 0.1 added to zero counts).
    Method1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BleuWeights {
    /// BLEU-n with weights (1/n, ..., 1/n): NLTK's and most papers' BLEU-n.
    Cumulative,
    /// BLEU-n is the n-gram precision alone (weight 1 on order n), times the brevity penalty:
    /// the DeepSC code's convention (its "1-gram BLEU" is weights (1, 0, 0, 0)).
    Individual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Lower-case both texts before BLEU (Europarl data already is).
    pub lowercase: bool,
    pub bleu_weights: BleuWeights,
    pub bleu_smoothing: BleuSmoothing,
    /// Sentence-embedding similarity (all-MiniLM-L6-v2, fetched on first use). Off: the column is empty.
    pub similarity: bool,
    /// Messages per point written to `samples.csv` (the first ones sent: text sent and received, with
    /// their scores). Left out of the resolved config at its default, so the config hashes of earlier
    /// results folders do not change.
    #[serde(skip_serializing_if = "is_default_samples")]
    pub samples: usize,
}

fn is_default_samples(samples: &usize) -> bool {
    *samples == DEFAULT_SAMPLES
}

const DEFAULT_SAMPLES: usize = 4;

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            lowercase: true,
            bleu_weights: BleuWeights::Cumulative,
            bleu_smoothing: BleuSmoothing::None,
            similarity: true,
            samples: DEFAULT_SAMPLES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UnifiedConfig {
    /// The scheme whose energy per message defines the unified axis (its unified SNR equals its
    /// Es/N0). Empty: the first scheme.
    pub reference: String,
}

impl Default for UnifiedConfig {
    fn default() -> Self {
        UnifiedConfig { reference: String::new() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Arithmetic coding with a pretrained LLM (`model`, default SmolLM2-135M, fetched on first use).
    Llm,
    /// Arithmetic coding with the project's small byte-level LM (weights built into `sim`).
    SmallLm,
    /// Word-level Huffman, codebook from the Europarl training split's word counts.
    Huffman,
    /// Fixed-length SmolLM2 token ids (16 bits per token).
    Fixed,
    /// zstd per message (general-purpose compressor reference).
    Zstd,
    /// JSCC: the DeepSC transceiver (weights from `weights`, default the shipped model for the
    /// scenario's channel) replaces source coder, code and modulation; `code`/`decoder` do not apply.
    Deepsc,
    /// JSCC: the Universal Transformer transceiver (16 real values per word), as `deepsc`.
    Ut,
    /// UT-quant: the quantized UT's 30 bits per word are the payload of the scheme's digital link
    /// (code, modulation, decoder as any SSCC scheme); its receiver half decodes the received bits.
    /// Lossy: every received payload is decoded.
    UtQuant,
    /// Images: lossless arithmetic coding of each tile with the embedded next-subpixel image LM
    /// (`source::image`), over the scheme's digital link like any SSCC scheme.
    ImageLm,
    /// Images, JSCC: the Deep JSCC autoencoder (Bourtsoulatze et al. 2019; weights from `weights`)
    /// sends each tile's latent real values straight over the channel.
    DeepJscc,
    /// Audio: each frame coded losslessly by the adaptive predictive coder (`source::audio::lpc`),
    /// over the scheme's digital link like any SSCC scheme.
    AudioLpc,
    /// Audio: each frame's samples as 16-bit PCM words (no compression), over the digital link.
    Pcm,
    /// Audio, JSCC: uncoded analog transmission, each sample one real channel value (scaled to
    /// unit mean power), estimated by linear MMSE at the receiver.
    Analog,
    /// Audio, JSCC: optimal linear analog transmission (Lee & Petersen 1976): the frame's DCT
    /// coefficients of largest training-set variance, `channel_uses` of them, each with the power
    /// that minimises the expected error, estimated by linear MMSE (`link::audio::linear`).
    Linear,
}

impl SourceKind {
    /// True for joint source-channel schemes, which send real values instead of coded bits.
    pub fn is_jscc(&self) -> bool {
        matches!(
            self,
            SourceKind::Deepsc | SourceKind::Ut | SourceKind::DeepJscc | SourceKind::Analog | SourceKind::Linear
        )
    }

    /// True for sources that load neural weights (`weights`).
    pub fn takes_weights(&self) -> bool {
        matches!(self, SourceKind::Deepsc | SourceKind::Ut | SourceKind::UtQuant | SourceKind::DeepJscc)
    }

    /// What the source sends.
    pub fn modality(&self) -> Modality {
        match self {
            SourceKind::ImageLm | SourceKind::DeepJscc => Modality::Image,
            SourceKind::AudioLpc | SourceKind::Pcm | SourceKind::Analog | SourceKind::Linear => Modality::Audio,
            _ => Modality::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchemeConfig {
    /// Label in results.csv and plot legends; unique within the scenario.
    pub name: String,
    pub source: SourceKind,
    /// For `source = "llm"`: a known model name, a local `.gguf` path, or `hub:<repo>`.
    pub model: String,
    /// The channel code; absent: the scenario's `[code]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeConfig>,
    /// The decoder; absent: the scenario's `[decoder]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoder: Option<DecoderConfig>,
    /// For JSCC sources: the weight file; absent: the shipped model for the scenario's channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// An LM-aided receiver for an SSCC scheme; absent: the separate receiver (decoder, then LM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<ReceiverConfig>,
    /// Draw the channel noise from the random streams of the scheme of this name instead of this
    /// scheme's own: two schemes that send the same bits (e.g. with and without an LM-aided
    /// receiver) are then compared on the same noise, frame for frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_from: Option<String>,
    /// This scheme's own SNR values (on the scenario's `[snr] axis`); absent: `[snr] values_db`.
    /// Lets each scheme's grid be fine where its own curves fall (an uncoded scheme's cliff lies
    /// dB to the right of a coded one's) instead of spending time on points that say nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snr_values_db: Option<Vec<f64>>,
    /// For `source = "linear"`: real channel values per audio frame (1 to the frame's samples);
    /// absent: one per sample. Fewer values than samples drop the weakest DCT coefficients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_uses: Option<usize>,
    /// For `source = "linear"`: noise shaping γ in [0, 1], the error of each DCT coefficient
    /// weighted by `λ^(−γ)`; absent: 0, the plain squared error (`link::audio::linear`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_shaping: Option<f64>,
    /// For `source = "linear"`: send each frame's level (mean square, to 1.5 dB) as side
    /// information, 32 more channel values per frame (a Reed–Muller codeword), and weigh each
    /// frame's coefficients by it; absent: false, one level for the whole set, known at the
    /// receiver and not charged (`link::audio::frame_levels`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_levels: Option<bool>,
    /// For `source = "linear"`: the Es/N0 (dB) the transmitter designs its powers for, as a JSCC
    /// model trained at one SNR; absent: each point's own (the transmitter knows the mean SNR). The
    /// receiver's estimate always uses the point's SNR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub design_esn0_db: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiverKind {
    /// In-context decoding (ICD, arXiv 2601.10267): candidates from the channel decoder's least
    /// reliable bits, each decoded by the LM, chosen by reliability and LM probability
    /// (`link::message::icd`).
    Icd,
    /// The project's soft-input list decoder over the arithmetic-coded stream: an M-algorithm on
    /// the encoder's side, ranked by disagreement with the channel decoder's reliabilities, the
    /// framing checked at the end (`source::list_decoding`).
    List,
}

/// `receiver = { kind = "icd", ... }`: defaults are the reference implementation's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiverConfig {
    pub kind: ReceiverKind,
    /// A bit is unreliable when its posterior probability p of being 1 has |p − 0.5| below this.
    pub unreliable: f64,
    /// How many of the least reliable unreliable bits candidates may flip.
    pub least_reliable: usize,
    /// The most bits one candidate flips.
    pub max_flips: usize,
    /// Candidates decoded by the LM per damaged message (the most reliable ones).
    pub candidates: usize,
    /// Weight of the LM's log-probability in the choice; the path score takes 1 − this.
    pub lm_weight: f64,
    /// List receiver: paths kept per symbol (absent: [`DEFAULT_LIST_BEAM`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beam: Option<usize>,
    /// List receiver: the beam of the first search, doubled up to `beam` while no message within
    /// `max_penalty` is found (absent: `beam`, one search).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_beam: Option<usize>,
    /// List receiver: the most a chosen message may disagree with the channel decoder, in nats
    /// (Σ |L| over the positions it flips; absent: [`DEFAULT_LIST_MAX_PENALTY`]). A message with
    /// no path under it keeps its plain decoding and is flagged. ICD on OSD's codeword lists: the
    /// most a candidate may be less likely than the decision, in nats (absent: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_penalty: Option<f64>,
    /// List receiver: weigh each block's parity bits once a path completes it (absent: true; a
    /// code's decoder must give posteriors of every coded bit, as BP does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parity: Option<bool>,
}

/// The list receiver's beam when the scenario names none. Wider beams recover more at a cost in
/// LM steps that grows with the beam. Small LM, LDPC(49,24) + BP over AWGN
/// (`results/reference/list-awgn`): beam 8 leaves fewer message errors than ICD at 4 of 5 points
/// (one more at the fifth) at 0.85–1.02× its LM steps, beam 4 about as many at 0.4–0.5×, beam 16
/// the fewest at about 2×.
pub const DEFAULT_LIST_BEAM: usize = 8;

/// The list receiver's penalty limit when the scenario names none: the chosen message may be
/// e^10 times less likely than the hard decisions under the channel decoder's posteriors alone.
/// Measured with the small LM over uncoded BPSK at σ = 0.4 (no parity to weigh), beam 8, on the
/// 185 of the first 300 test sentences that hard decisions lose: every right choice disagreed by
/// under 9 nats; the limit keeps all 125 right choices and leaves 3 wrong ones instead of 60.
pub const DEFAULT_LIST_MAX_PENALTY: f64 = 10.0;

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            kind: ReceiverKind::Icd,
            unreliable: 0.25,
            least_reliable: 10,
            max_flips: 5,
            candidates: 10,
            lm_weight: 0.001,
            beam: None,
            first_beam: None,
            max_penalty: None,
            parity: None,
        }
    }
}

impl Default for SchemeConfig {
    fn default() -> Self {
        SchemeConfig {
            name: String::new(),
            source: SourceKind::Llm,
            model: "smollm2-135m".into(),
            code: None,
            decoder: None,
            weights: None,
            receiver: None,
            noise_from: None,
            snr_values_db: None,
            channel_uses: None,
            noise_shaping: None,
            frame_levels: None,
            design_esn0_db: None,
        }
    }
}
