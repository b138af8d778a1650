//! What a row of `results.csv` needs to know about its scheme besides the point's counts.
//!
//! A single run builds its rows from the schemes it holds; `sim merge` builds them from counts that
//! shards recorded, without rebuilding any scheme (no code matrices or models on the merging node).
//! Both describe the scheme by its [`SchemeFacts`], which shards record in their files. The facts
//! are plain numbers; JSON keeps every f64 exactly (serde_json's `float_roundtrip`), so a merged row
//! is the single run's row bit for bit.

use channels::{SnrAxis, SnrPoint};
use serde::{Deserialize, Serialize};

use super::block::engine::FrameSimulator;
use crate::metrics::unified_snr::ChannelUse;

/// What a row needs to know about its scheme besides the point's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeFacts {
    /// The `scheme` column (a text scheme's name, or the link-level scheme's label).
    pub name: String,
    pub channel: String,
    /// Information bits per coded bit, and coded bits per channel symbol (for Es/N0 ↔ Eb/N0).
    pub rate: f64,
    pub bits_per_symbol: u32,
    /// Text schemes only: channel use and source bits over the whole text set.
    pub text: Option<TextFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFacts {
    pub symbols_per_message: f64,
    pub precision_bits: f64,
    /// Source-coded payload bits of all messages together (none for JSCC schemes).
    pub source_bits: Option<u64>,
    /// sha256 of the model or weights file the scheme depends on (JSCC weights, a GGUF language
    /// model, UT-quant's weights), which the scenario names only by path or name: rows and shards
    /// made with another file under the same path must not be mixed. None for coders built into `sim`.
    pub weights_sha256: Option<String>,
    /// Text SSCC schemes: how the receiver told intact streams (`framing.end_check`), so rows made
    /// with another test are not mixed; folders made before it was recorded used the length window.
    /// None for other schemes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_check: Option<source::EndCheck>,
}

impl TextFacts {
    pub fn channel_use(&self) -> ChannelUse {
        ChannelUse { symbols_per_message: self.symbols_per_message, precision_bits: self.precision_bits }
    }
}

impl SchemeFacts {
    /// A link-level scheme's facts (no text columns).
    pub fn of_link(scheme: &dyn FrameSimulator) -> Self {
        SchemeFacts {
            name: scheme.label().to_string(),
            channel: scheme.channel_name(),
            rate: scheme.rate(),
            bits_per_symbol: scheme.bits_per_symbol(),
            text: None,
        }
    }

    /// The scheme's point at `value_db` on `axis`.
    pub fn point(&self, value_db: f64, axis: SnrAxis) -> SnrPoint {
        SnrPoint::new(value_db, axis, self.rate, self.bits_per_symbol)
    }
}

/// The message set as rows describe it: how many messages, and their characters (text) or pixels
/// (images).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SetSize {
    pub messages: u64,
    #[serde(default)]
    pub chars: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pixels: u64,
    /// Audio: samples over all frames.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub samples: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_survive_json_bit_for_bit() {
        let facts = SchemeFacts {
            name: "x".into(),
            channel: "AWGN".into(),
            rate: 24.0 / 49.0,
            bits_per_symbol: 1,
            text: Some(TextFacts {
                symbols_per_message: 4321.0 / 17.0,
                precision_bits: 1.0,
                source_bits: Some(12345),
                weights_sha256: None,
                end_check: Some(source::EndCheck::Exact),
            }),
        };
        let back: SchemeFacts = serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
        assert_eq!(back.rate.to_bits(), facts.rate.to_bits());
        assert_eq!(back, facts);
        // Values that serde_json's default (best-effort) float parser reads back one ulp off: the
        // `float_roundtrip` feature is what keeps them.
        for hard in [1.0715660391465826e-75_f64, -1.603964615428183e+143, -9.643915712060552e-234] {
            let back: f64 = serde_json::from_str(&serde_json::to_string(&hard).unwrap()).unwrap();
            assert_eq!(back.to_bits(), hard.to_bits(), "{hard:e}");
        }
    }
}
