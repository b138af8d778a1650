//! What a message link sends and receives, whatever the modality: the message set (lines of text,
//! image tiles or audio frames) and one received message.

use serde::{Deserialize, Serialize};

use crate::link::audio::frames::FrameSet;
use crate::link::facts::SetSize;
use crate::link::image::tiles::TileSet;
use crate::link::text::messages::TextSet;

/// The messages of a scenario, of one modality.
#[derive(Debug, Clone)]
pub enum MessageSet {
    Text(TextSet),
    Image(TileSet),
    Audio(FrameSet),
}

impl MessageSet {
    pub fn len(&self) -> usize {
        match self {
            MessageSet::Text(t) => t.len(),
            MessageSet::Image(t) => t.len(),
            MessageSet::Audio(f) => f.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The set as rows describe it.
    pub fn size(&self) -> SetSize {
        match self {
            MessageSet::Text(t) => SetSize { messages: t.len() as u64, chars: t.chars() as u64, pixels: 0, samples: 0 },
            MessageSet::Image(t) => SetSize { messages: t.len() as u64, chars: 0, pixels: t.pixels(), samples: 0 },
            MessageSet::Audio(f) => SetSize { messages: f.len() as u64, chars: 0, pixels: 0, samples: f.samples() },
        }
    }

    /// The text set, or an error naming `who` for a scheme that sends text only.
    pub fn text(&self, who: &str) -> anyhow::Result<&TextSet> {
        match self {
            MessageSet::Text(t) => Ok(t),
            MessageSet::Image(_) => anyhow::bail!("{who} sends text; this scenario sends image tiles"),
            MessageSet::Audio(_) => anyhow::bail!("{who} sends text; this scenario sends audio frames"),
        }
    }

    /// The tile set, or an error naming `who` for a scheme that sends images only.
    pub fn tiles(&self, who: &str) -> anyhow::Result<&TileSet> {
        match self {
            MessageSet::Image(t) => Ok(t),
            _ => anyhow::bail!("{who} sends image tiles; this scenario sends {}", self.kind()),
        }
    }

    /// The frame set, or an error naming `who` for a scheme that sends audio only.
    pub fn frames(&self, who: &str) -> anyhow::Result<&FrameSet> {
        match self {
            MessageSet::Audio(f) => Ok(f),
            _ => anyhow::bail!("{who} sends audio frames; this scenario sends {}", self.kind()),
        }
    }

    /// What the set's messages are, in words.
    fn kind(&self) -> &'static str {
        match self {
            MessageSet::Text(_) => "text",
            MessageSet::Image(_) => "image tiles",
            MessageSet::Audio(_) => "audio frames",
        }
    }
}

/// A message as the receiver delivered it. In shard files it is the object's `text` field (as it
/// always was for text), its `pixels` field (a tile's interleaved RGB subpixels, hex) or its
/// `samples` field (a frame's 16-bit samples, little-endian bytes in hex).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Received {
    Text {
        text: String,
    },
    Tile {
        #[serde(with = "hex_bytes")]
        pixels: Vec<u8>,
    },
    Audio {
        #[serde(with = "hex_samples")]
        samples: Vec<i16>,
    },
}

impl Received {
    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Received::Text { text } => Some(text),
            _ => None,
        }
    }

    /// The subpixels, for a tile.
    pub fn as_pixels(&self) -> Option<&[u8]> {
        match self {
            Received::Tile { pixels } => Some(pixels),
            _ => None,
        }
    }

    /// The samples, for an audio frame.
    pub fn as_samples(&self) -> Option<&[i16]> {
        match self {
            Received::Audio { samples } => Some(samples),
            _ => None,
        }
    }
}

/// Bytes as a lower-case hex string.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let text: String =
            bytes.iter().flat_map(|b| [DIGITS[(b >> 4) as usize] as char, DIGITS[(b & 15) as usize] as char]).collect();
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 {
            return Err(serde::de::Error::custom("hex bytes of odd length"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(text.get(i..i + 2).unwrap_or("?"), 16)
                    .map_err(|_| serde::de::Error::custom("not a hex digit"))
            })
            .collect()
    }
}

/// 16-bit samples as the hex of their little-endian bytes.
mod hex_samples {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(samples: &[i16], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        super::hex_bytes::serialize(&bytes, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i16>, D::Error> {
        let bytes = super::hex_bytes::deserialize(d)?;
        if bytes.len() % 2 != 0 {
            return Err(serde::de::Error::custom("16-bit samples of odd byte length"));
        }
        Ok(bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::DecodedItem;
    use super::*;

    #[test]
    fn received_items_keep_their_json_shape() {
        let text = DecodedItem { item: 3, received: Received::Text { text: "ab".into() } };
        assert_eq!(serde_json::to_string(&text).unwrap(), r#"{"item":3,"text":"ab"}"#);
        let tile = DecodedItem { item: 4, received: Received::Tile { pixels: vec![0, 15, 255] } };
        assert_eq!(serde_json::to_string(&tile).unwrap(), r#"{"item":4,"pixels":"000fff"}"#);
        let frame = DecodedItem { item: 5, received: Received::Audio { samples: vec![1, -2] } };
        assert_eq!(serde_json::to_string(&frame).unwrap(), r#"{"item":5,"samples":"0100feff"}"#);
        assert!(serde_json::from_str::<DecodedItem>(r#"{"item":5,"samples":"010"}"#).is_err());
        // Each kind reads back only as itself.
        assert_eq!(tile.received.as_pixels(), Some(&[0u8, 15, 255][..]));
        assert_eq!(frame.received.as_samples(), Some(&[1i16, -2][..]));
        assert_eq!(text.received.as_text(), Some("ab"));
        assert!(text.received.as_pixels().is_none() && tile.received.as_samples().is_none());
        assert!(frame.received.as_text().is_none() && frame.received.as_pixels().is_none());
        for item in [text, tile, frame] {
            let back: DecodedItem = serde_json::from_str(&serde_json::to_string(&item).unwrap()).unwrap();
            assert_eq!(back, item);
        }
        assert!(serde_json::from_str::<DecodedItem>(r#"{"item":4,"pixels":"0g"}"#).is_err());
    }
}
