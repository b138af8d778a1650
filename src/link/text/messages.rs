//! The text set a scenario sends: one message per non-empty line of a UTF-8 file.

use std::path::{Path, PathBuf};

use crate::link::sampling::pick_messages;
use crate::scenario::TextConfig;

/// Stream id of the random sample of lines (kept apart from every scheme's channel streams).
const SAMPLE_STREAM: u64 = 0x7465_7874; // "text"

/// Messages with the file lines they came from (1-based), for error messages.
#[derive(Debug, Clone)]
pub struct TextSet {
    pub path: PathBuf,
    pub texts: Vec<String>,
    pub lines: Vec<usize>,
}

impl TextSet {
    /// Reads `path` and picks messages as `config` says (`messages = 0`: every line).
    pub fn load(path: &Path, config: &TextConfig, seed: u64) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read the text set (field 'text.file'): {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
            anyhow::anyhow!(
                "{}:{line}: not UTF-8 text (byte offset {at}); messages must be UTF-8, one per line",
                path.display()
            )
        })?;
        let (mut texts, mut lines) = (Vec::new(), Vec::new());
        for (i, l) in text.lines().enumerate() {
            let l = l.strip_suffix('\r').unwrap_or(l);
            if !l.trim().is_empty() {
                texts.push(l.to_string());
                lines.push(i + 1);
            }
        }
        if texts.is_empty() {
            anyhow::bail!("{}: no messages (every line is empty)", path.display());
        }
        let wanted = if config.messages == 0 { texts.len() } else { config.messages };
        if wanted > texts.len() {
            anyhow::bail!(
                "{}: field 'text.messages' asks for {wanted} messages but the file has {} non-empty lines",
                path.display(),
                texts.len()
            );
        }
        let picked = pick_messages(texts.len(), wanted, config.sample, seed, SAMPLE_STREAM);
        Ok(TextSet {
            path: path.to_path_buf(),
            texts: picked.iter().map(|&i| texts[i].clone()).collect(),
            lines: picked.iter().map(|&i| lines[i]).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Characters (Unicode scalar values) over all messages.
    pub fn chars(&self) -> usize {
        self.texts.iter().map(|t| t.chars().count()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SampleKind;

    fn config(messages: usize, sample: SampleKind) -> TextConfig {
        TextConfig { messages, sample, ..TextConfig::default() }
    }

    #[test]
    fn skips_empty_lines_and_samples_reproducibly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(&p, "a b\n\n c \r\nd\ne\nf\n").unwrap();
        let all = TextSet::load(&p, &config(0, SampleKind::First), 1).unwrap();
        assert_eq!(all.texts, vec!["a b", " c ", "d", "e", "f"]);
        assert_eq!(all.lines, vec![1, 3, 4, 5, 6]);
        let r1 = TextSet::load(&p, &config(3, SampleKind::Random), 7).unwrap();
        let r2 = TextSet::load(&p, &config(3, SampleKind::Random), 7).unwrap();
        assert_eq!(r1.texts, r2.texts);
        assert!(r1.lines.windows(2).all(|w| w[0] < w[1]));
        let e = TextSet::load(&p, &config(9, SampleKind::First), 1).unwrap_err().to_string();
        assert!(e.contains("t.txt") && e.contains("text.messages"), "{e}");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.txt");
        std::fs::write(&p, b"ok\nfine\nbro\xffken\n").unwrap();
        let e = TextSet::load(&p, &config(0, SampleKind::First), 1).unwrap_err().to_string();
        assert!(e.contains("bad.txt:3"), "{e}");
    }
}
