//! Whole-file lossless compression on top of the per-message coders (`sim compress`).
//!
//! Any [`SourceCoder`] can code the text segments; the container stores the coder's name
//! (`smollm2-135m`, `small-lm`, `huffman-word`: see [`load_coder`]) so `sim decompress` finds it.
//!
//! Format (all integers little-endian):
//! ```text
//! magic "LMSC" | version u8 = 1 | mode u8 | original length u64 | sha256(original)[..8]
//! mode 0 (UTF-8 text, LM): model-name length u8 + name | segment count (LEB128) |
//!         per segment: bit count (LEB128) + bits packed MSB-first into ceil(n/8) bytes
//! mode 1 (bytes, zstd):    zstd frame of the whole file
//! ```
//! Text is cut into segments after every `'\n'` and at most [`MAX_SEGMENT_BYTES`] bytes (on a
//! character boundary), so each segment is a short message the LM codes on its own (bounded
//! context, parallel across segments); decoding concatenates the segments. Files that are not
//! valid UTF-8 (or are empty) use mode 1, so any file round-trips. The digest catches a
//! mismatched model or a corrupted container; decompression then fails with a clear error.
//! Output files are written atomically (temporary file + rename), so nothing is half-written.

use crate::coder::SourceCoder;
use crate::huffman::HuffmanWordCoder;
use crate::lm_coder::{LmCoder, LmCoderConfig};
use crate::model_cache::ModelSource;
use crate::small_lm::SmallLmCoder;
use crate::zstd_coder::bits_to_bytes;
use crate::SourceError;
use sha2::{Digest, Sha256};
use std::path::Path;

const MAGIC: &[u8; 4] = b"LMSC";
const VERSION: u8 = 1;
const MODE_LM_TEXT: u8 = 0;
const MODE_ZSTD_BYTES: u8 = 1;
/// Longest segment coded as one message.
pub const MAX_SEGMENT_BYTES: usize = 1024;

fn digest(data: &[u8]) -> [u8; 8] {
    let h = Sha256::digest(data);
    let mut out = [0u8; 8];
    out.copy_from_slice(&h[..8]);
    out
}

/// Cut text into segments ending at '\n' or after at most `max` bytes (char boundary).
pub fn segments(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        let mut rest = line;
        while rest.len() > max {
            let mut cut = max;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            if cut == 0 {
                cut = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
            }
            out.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

/// Which coder compressed a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerMode {
    LmText { model: String },
    ZstdBytes,
}

/// Compress any bytes. UTF-8 text is coded per segment with `lm` (stored as `model_name`, the
/// name [`load_coder`] resolves); other bytes with zstd.
pub fn compress_bytes(data: &[u8], lm: &dyn SourceCoder, model_name: &str) -> Result<Vec<u8>, SourceError> {
    compress_bytes_with(data, Some((lm, model_name)))
}

/// Compress any bytes with zstd only (mode 1), whatever they are.
pub fn compress_bytes_zstd(data: &[u8]) -> Result<Vec<u8>, SourceError> {
    compress_bytes_with(data, None)
}

fn compress_bytes_with(data: &[u8], coder: Option<(&dyn SourceCoder, &str)>) -> Result<Vec<u8>, SourceError> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    let text = std::str::from_utf8(data).ok().filter(|t| !t.is_empty()).and_then(|t| coder.map(|c| (t, c)));
    out.push(if text.is_some() { MODE_LM_TEXT } else { MODE_ZSTD_BYTES });
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    out.extend_from_slice(&digest(data));
    match text {
        Some((text, (lm, model_name))) => {
            let name = model_name.as_bytes();
            if name.len() > 255 {
                return Err(SourceError::Unsupported("model name longer than 255 bytes".into()));
            }
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            let segs = segments(text, MAX_SEGMENT_BYTES);
            let frames = lm.encode_batch(&segs)?;
            write_varint(&mut out, frames.len() as u64);
            for bits in &frames {
                write_varint(&mut out, bits.len() as u64);
                out.extend_from_slice(&bits_to_bytes(bits));
            }
        }
        None => {
            let frame = zstd::bulk::compress(data, 19).map_err(|e| SourceError::Symbol(format!("zstd: {e}")))?;
            out.extend_from_slice(&frame);
        }
    }
    Ok(out)
}

/// LEB128 unsigned varint.
fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SourceError> {
        if self.data.len() - self.pos < n {
            return Err(SourceError::Unsupported(format!("truncated container: missing {what} at byte {}", self.pos)));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn varint(&mut self, what: &str) -> Result<u64, SourceError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1, what)?[0];
            value |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(SourceError::Unsupported(format!("corrupt container: {what} varint too long")))
    }
}

/// Read the header: mode and original length.
pub fn inspect(container: &[u8]) -> Result<(ContainerMode, u64), SourceError> {
    let mut r = Reader { data: container, pos: 0 };
    if r.take(4, "magic")? != MAGIC {
        return Err(SourceError::Unsupported("not an lmsscc container (bad magic)".into()));
    }
    let version = r.take(1, "version")?[0];
    if version != VERSION {
        return Err(SourceError::Unsupported(format!("container version {version}, this build reads {VERSION}")));
    }
    let mode = r.take(1, "mode")?[0];
    let len = u64::from_le_bytes(r.take(8, "length")?.try_into().expect("8 bytes"));
    r.take(8, "digest")?;
    match mode {
        MODE_LM_TEXT => {
            let n = r.take(1, "model name length")?[0] as usize;
            let name = String::from_utf8_lossy(r.take(n, "model name")?).into_owned();
            Ok((ContainerMode::LmText { model: name }, len))
        }
        MODE_ZSTD_BYTES => Ok((ContainerMode::ZstdBytes, len)),
        m => Err(SourceError::Unsupported(format!("unknown container mode {m}"))),
    }
}

/// Decompress a container. `lm` is needed only for LM text mode (see [`inspect`]).
pub fn decompress_bytes(container: &[u8], lm: Option<&dyn SourceCoder>) -> Result<Vec<u8>, SourceError> {
    let (mode, len) = inspect(container)?;
    let mut r = Reader { data: container, pos: 22 };
    let expected = {
        let mut d = [0u8; 8];
        d.copy_from_slice(&container[14..22]);
        d
    };
    let data = match mode {
        ContainerMode::ZstdBytes => {
            // Stream with a bound: a corrupted length field must not trigger a huge allocation.
            use std::io::Read;
            let decoder = zstd::stream::read::Decoder::new(&container[22..])
                .map_err(|e| SourceError::Unsupported(format!("zstd: {e}")))?;
            let mut out = Vec::new();
            decoder
                .take(len.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| SourceError::Unsupported(format!("corrupt container: zstd: {e}")))?;
            out
        }
        ContainerMode::LmText { model } => {
            let lm = lm.ok_or_else(|| SourceError::Unsupported(format!("container needs model '{model}'")))?;
            let n = r.take(1, "model name length")?[0] as usize;
            r.take(n, "model name")?;
            let count = r.varint("segment count")? as usize;
            let mut frames: Vec<Vec<u8>> = Vec::with_capacity(count.min(1 << 20));
            for i in 0..count {
                let nbits = r.varint("segment bit count")? as usize;
                let bytes = r.take(nbits.div_ceil(8), &format!("segment {i}"))?;
                let mut bits: Vec<u8> = crate::zstd_coder::bytes_to_bits(bytes);
                bits.truncate(nbits);
                frames.push(bits);
            }
            let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
            let decoded = lm.decode_batch(&refs);
            let mut text = String::new();
            for (i, d) in decoded.iter().enumerate() {
                if !d.complete() {
                    return Err(SourceError::Unsupported(format!(
                        "corrupt container: segment {i} did not decode ({:?})",
                        d.stop
                    )));
                }
                text.push_str(&d.text);
            }
            text.into_bytes()
        }
    };
    if data.len() as u64 != len || digest(&data) != expected {
        return Err(SourceError::Unsupported(
            "decompressed data does not match the stored length/digest (different model or corrupt container)".into(),
        ));
    }
    Ok(data)
}

/// Write `data` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), SourceError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, data).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(SourceError::file(path, e));
    }
    Ok(())
}

/// `sim compress INPUT -o OUTPUT`: compress a file with `lm` (text; `None`: zstd for everything)
/// or zstd (other bytes).
pub fn compress_file(input: &Path, output: &Path, lm: Option<(&dyn SourceCoder, &str)>) -> Result<(), SourceError> {
    let data = std::fs::read(input).map_err(|e| SourceError::file(input, e))?;
    let packed = compress_bytes_with(&data, lm).map_err(|e| SourceError::file(input, e))?;
    write_atomic(output, &packed)
}

/// `sim decompress INPUT -o OUTPUT`. `load_lm` is called only if the container needs a model.
pub fn decompress_file(
    input: &Path,
    output: &Path,
    load_lm: impl FnOnce(&str) -> Result<Box<dyn SourceCoder>, SourceError>,
) -> Result<(), SourceError> {
    let data = std::fs::read(input).map_err(|e| SourceError::file(input, e))?;
    let (mode, _) = inspect(&data).map_err(|e| SourceError::file(input, e))?;
    let lm = match &mode {
        ContainerMode::LmText { model } => Some(load_lm(model)?),
        ContainerMode::ZstdBytes => None,
    };
    let plain = decompress_bytes(&data, lm.as_deref()).map_err(|e| SourceError::file(input, e))?;
    write_atomic(output, &plain)
}

/// Names a container may store, with what they load.
pub const CONTAINER_CODERS: &[(&str, &str)] = &[
    ("small-lm", "the embedded byte-level transformer LM (default; no download)"),
    ("smollm2-135m", "SmolLM2-135M arithmetic coder (fetched on first use)"),
    ("huffman-word", "word Huffman codebook from data/europarl/train_word_counts.tsv"),
];

/// Word counts the Huffman container coder is built from (relative to the project root).
pub const HUFFMAN_COUNTS: &str = "data/europarl/train_word_counts.tsv";

/// Loads the coder a container names (see [`CONTAINER_CODERS`]). `huffman-word` looks for
/// [`HUFFMAN_COUNTS`] under the current directory, then under the project root of this build.
pub fn load_coder(name: &str, verbose: bool) -> Result<Box<dyn SourceCoder>, SourceError> {
    match name {
        "small-lm" => Ok(Box::new(SmallLmCoder::embedded()?)),
        "smollm2-135m" => {
            Ok(Box::new(LmCoder::from_source(&ModelSource::Named(name.into()), LmCoderConfig::europarl(), verbose)?))
        }
        "huffman-word" => {
            let here = Path::new(HUFFMAN_COUNTS).to_path_buf();
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(HUFFMAN_COUNTS);
            let path = if here.exists() { here } else { root };
            Ok(Box::new(HuffmanWordCoder::from_counts_file(&path, 1)?))
        }
        other => Err(SourceError::UnknownModel {
            name: other.to_string(),
            known: CONTAINER_CODERS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_text_exactly() {
        let text = "first line\nsecond\n\nünïcödé ".repeat(3) + &"x".repeat(3000) + "é";
        let segs = segments(&text, 100);
        assert_eq!(segs.concat(), text);
        assert!(segs.iter().all(|s| s.len() <= 100 && !s.is_empty()));
        assert!(segments("", 100).is_empty());
    }

    #[test]
    fn varints_round_trip() {
        let mut buf = Vec::new();
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            write_varint(&mut buf, v);
        }
        assert_eq!(&buf[..5], &[0, 1, 127, 0x80, 0x01]);
        let mut r = Reader { data: &buf, pos: 0 };
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            assert_eq!(r.varint("v").unwrap(), v);
        }
        assert!(r.varint("v").is_err());
    }

    #[test]
    fn bad_containers_are_clear_errors() {
        assert!(inspect(b"").unwrap_err().to_string().contains("truncated"));
        assert!(inspect(b"XXXX\x01\x00").unwrap_err().to_string().contains("magic"));
        assert!(inspect(b"LMSC\x09\x00").unwrap_err().to_string().contains("version"));
    }

    #[test]
    fn zstd_mode_round_trips_binary_and_rejects_tampering() {
        // Non-UTF-8 and empty inputs never touch the LM, so no model is needed.
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).chain([0xff, 0xfe]).collect();
        assert!(std::str::from_utf8(&data).is_err());
        let mut packed = Vec::new();
        packed.extend_from_slice(MAGIC);
        packed.push(VERSION);
        packed.push(MODE_ZSTD_BYTES);
        packed.extend_from_slice(&(data.len() as u64).to_le_bytes());
        packed.extend_from_slice(&digest(&data));
        packed.extend_from_slice(&zstd::bulk::compress(&data, 19).unwrap());
        assert_eq!(decompress_bytes(&packed, None).unwrap(), data);
        let mut bad = packed.clone();
        bad[14] ^= 1; // digest
        assert!(decompress_bytes(&bad, None).is_err());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.bin");
        write_atomic(&out, &data).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), data);
        assert!(write_atomic(&dir.path().join("no/such/dir/x"), b"1").is_err());
    }

    #[test]
    fn small_lm_container_round_trips_text_and_rejects_corruption() {
        let lm = load_coder("small-lm", false).unwrap();
        let text = "first line of text .\nSecond Line, with Ünïcödé 🎉\n\n".repeat(4) + &"x".repeat(1500);
        let packed = compress_bytes(text.as_bytes(), lm.as_ref(), "small-lm").unwrap();
        assert_eq!(inspect(&packed).unwrap().0, ContainerMode::LmText { model: "small-lm".into() });
        assert_eq!(decompress_bytes(&packed, Some(lm.as_ref())).unwrap(), text.as_bytes());
        let mut bad = packed.clone();
        let last = bad.len() - 3;
        bad[last] ^= 0x10;
        assert!(decompress_bytes(&bad, Some(lm.as_ref())).is_err());
        assert!(decompress_bytes(&packed[..packed.len() - 5], Some(lm.as_ref())).is_err());
        let z = compress_bytes_zstd(text.as_bytes()).unwrap();
        assert_eq!(inspect(&z).unwrap().0, ContainerMode::ZstdBytes);
        assert_eq!(decompress_bytes(&z, None).unwrap(), text.as_bytes());
        assert!(load_coder("nope", false).err().unwrap().to_string().contains("small-lm"));
    }
}
