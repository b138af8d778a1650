//! The scenario schema. Every field has a default so that a scenario states only what it changes,
//! and so that the full tree of valid `--set` names can be derived from `Scenario::default()`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Names the results folder `results/<name>/`.
    pub name: String,
    pub description: String,
    /// Root of every random stream of the run.
    pub seed: u64,
    pub snr: SnrConfig,
    pub code: CodeConfig,
    pub modulation: ModulationConfig,
    pub channel: ChannelConfig,
    pub decoder: DecoderConfig,
    pub stop: StopConfig,
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
}

impl Default for CodeConfig {
    fn default() -> Self {
        CodeConfig { kind: CodeKind::Uncoded, file: String::new(), uncoded_bits: 1024, codewords: CodewordSource::Random }
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
    Fast,
    Block,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelConfig {
    pub kind: ChannelKind,
    pub fading: FadingKind,
    /// Symbols per fading block when `fading = "block"`; 0 means one gain per frame.
    pub block_symbols: usize,
    /// Whether the receiver knows the fading gain (perfect CSI) or only its mean.
    pub csi: bool,
    /// Ω = E[|h|²].
    pub mean_square_gain: f64,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig { kind: ChannelKind::Awgn, fading: FadingKind::Fast, block_symbols: 0, csi: true, mean_square_gain: 1.0 }
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
