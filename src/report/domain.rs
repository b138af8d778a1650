//! What a results folder's rows carry, read once from the rows: sentences, image tiles or audio
//! frames as messages, or a link-level run's codewords. Every section of a report names its
//! messages and picks its quality measure from it.

use super::ResultRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Messages of text: BLEU and sentence similarity.
    Text,
    /// Image tiles: PSNR and SSIM.
    Image,
    /// Audio frames: sample SNR, segmental SNR, STOI and ESTOI.
    Audio,
    /// A link-level run: codewords, BER and BLER.
    Link,
}

impl Domain {
    /// The domain of `rows`: images where a row has a PSNR, audio where one has a sample SNR,
    /// text where one counts messages, else a link-level run.
    pub fn of(rows: &[ResultRow]) -> Self {
        let any = |f: fn(&ResultRow) -> bool| rows.iter().any(f);
        if any(|r| r.psnr_db.is_some()) {
            Domain::Image
        } else if any(|r| r.audio_snr_db.is_some()) {
            Domain::Audio
        } else if any(|r| r.messages.is_some()) {
            Domain::Text
        } else {
            Domain::Link
        }
    }

    /// Whether messages cross the link (text, tiles or frames).
    pub fn has_messages(self) -> bool {
        self != Domain::Link
    }

    /// What its messages are called, plural: "messages", "tiles", "frames" ("codewords" for a
    /// link-level run).
    pub fn messages(self) -> &'static str {
        match self {
            Domain::Text => "messages",
            Domain::Image => "tiles",
            Domain::Audio => "frames",
            Domain::Link => "codewords",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_say_their_domain() {
        let text = ResultRow { messages: Some(3), ..Default::default() };
        let image = ResultRow { messages: Some(3), psnr_db: Some(30.0), ..Default::default() };
        let audio = ResultRow { messages: Some(3), audio_snr_db: Some(10.0), ..Default::default() };
        assert_eq!(Domain::of(std::slice::from_ref(&text)), Domain::Text);
        assert_eq!(Domain::of(&[text.clone(), image]), Domain::Image);
        assert_eq!(Domain::of(&[audio, text]), Domain::Audio);
        assert_eq!(Domain::of(&[ResultRow::default()]), Domain::Link);
        assert_eq!(Domain::Image.messages(), "tiles");
        assert!(!Domain::Link.has_messages() && Domain::Audio.has_messages());
    }
}
