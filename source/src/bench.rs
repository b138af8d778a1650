//! Source-coding benchmark (`sim source-bench`): rate and speed of every coder on Europarl.
//!
//! For each coder: encode every test sentence (as one batch, so LM coders use all rayon
//! threads), decode every frame, check the round trip is byte-exact, and report
//! bits/char, bits/word, bits/sentence and SmolLM2-tokens per second for encode and decode
//! (tokens are counted with the SmolLM2 tokenizer for every coder, as a common unit of work).
//! Characters are Unicode scalar values; words are `split_whitespace` items.

use crate::coder::SourceCoder;
use crate::fixed_length::FixedLengthTokenCoder;
use crate::huffman::HuffmanWordCoder;
use crate::lm_coder::{LmCoder, LmCoderConfig};
use crate::model_cache::ModelSource;
use crate::small_lm::SmallLmCoder;
use crate::zstd_coder::ZstdCoder;
use crate::SourceError;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Coder names [`BenchConfig::coders`] accepts.
pub const KNOWN_CODERS: &[&str] = &["smollm2", "smollm2-bare", "small-lm", "huffman", "fixed", "zstd"];

/// Benchmark inputs.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub test_sentences: PathBuf,
    pub train_sentences: PathBuf,
    /// Use only the first `limit` test sentences.
    pub limit: Option<usize>,
    /// Coders to run, by name: `smollm2`, `smollm2-bare`, `small-lm`, `huffman`, `fixed`, `zstd` (empty: all).
    pub coders: Vec<String>,
    pub verbose: bool,
    /// Lockstep batch size for the LM coders (None: the coder's default).
    pub lm_batch_size: Option<usize>,
}

impl BenchConfig {
    /// Defaults for a checkout with `shared/` beside it (`data_dir` = `.../europarl`).
    pub fn europarl(data_dir: &Path, limit: Option<usize>) -> Self {
        Self {
            test_sentences: data_dir.join("test_sentences.txt"),
            train_sentences: data_dir.join("train_sentences.txt"),
            limit,
            coders: Vec::new(),
            verbose: false,
            lm_batch_size: None,
        }
    }
}

/// Measured results for one coder.
#[derive(Debug, Clone, PartialEq)]
pub struct CoderStats {
    pub coder: String,
    pub sentences: usize,
    pub chars: usize,
    pub words: usize,
    /// SmolLM2 tokens in the sentences (common unit of work).
    pub tokens: usize,
    pub bits: usize,
    pub encode_seconds: f64,
    pub decode_seconds: f64,
    /// Sentences whose decoded text differed from the input.
    pub roundtrip_failures: usize,
    /// rayon threads available to the coder.
    pub threads: usize,
    /// Messages per lockstep forward pass (LM coders; 1 for the others).
    pub lm_batch: usize,
}

impl CoderStats {
    pub fn bits_per_char(&self) -> f64 {
        self.bits as f64 / self.chars.max(1) as f64
    }
    pub fn bits_per_word(&self) -> f64 {
        self.bits as f64 / self.words.max(1) as f64
    }
    pub fn bits_per_sentence(&self) -> f64 {
        self.bits as f64 / self.sentences.max(1) as f64
    }
    pub fn encode_tokens_per_second(&self) -> f64 {
        self.tokens as f64 / self.encode_seconds.max(1e-12)
    }
    pub fn decode_tokens_per_second(&self) -> f64 {
        self.tokens as f64 / self.decode_seconds.max(1e-12)
    }
}

/// Read non-empty lines of a UTF-8 text file.
pub fn read_sentences(path: &Path, limit: Option<usize>) -> Result<Vec<String>, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::file(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        SourceError::file(path, format!("line {line}: not UTF-8 text"))
    })?;
    Ok(text.lines().filter(|l| !l.is_empty()).take(limit.unwrap_or(usize::MAX)).map(str::to_string).collect())
}

/// Measure one coder on `sentences`.
pub fn measure(coder: &dyn SourceCoder, sentences: &[String], tokens: usize) -> Result<CoderStats, SourceError> {
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let t0 = Instant::now();
    let frames = coder.encode_batch(&refs)?;
    let encode_seconds = t0.elapsed().as_secs_f64();
    let frame_refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let t1 = Instant::now();
    let decoded = coder.decode_batch(&frame_refs);
    let decode_seconds = t1.elapsed().as_secs_f64();
    let roundtrip_failures = decoded.iter().zip(sentences).filter(|(d, s)| !d.complete() || d.text != **s).count();
    Ok(CoderStats {
        coder: coder.name(),
        sentences: sentences.len(),
        chars: sentences.iter().map(|s| s.chars().count()).sum(),
        words: sentences.iter().map(|s| s.split_whitespace().count()).sum(),
        tokens,
        bits: frames.iter().map(Vec::len).sum(),
        encode_seconds,
        decode_seconds,
        roundtrip_failures,
        threads: rayon::current_num_threads(),
        lm_batch: 1,
    })
}

/// Run the benchmark for the configured coders. Loads (and if needed fetches) SmolLM2.
pub fn run_source_bench(config: &BenchConfig) -> Result<Vec<CoderStats>, SourceError> {
    let sentences = read_sentences(&config.test_sentences, config.limit)?;
    let wanted = |name: &str| config.coders.is_empty() || config.coders.iter().any(|c| c == name);
    for c in &config.coders {
        if !KNOWN_CODERS.contains(&c.as_str()) {
            return Err(SourceError::Unsupported(format!("unknown coder '{c}' (known: {})", KNOWN_CODERS.join(", "))));
        }
    }
    let mut lm = LmCoder::smollm2(config.verbose)?;
    if let Some(b) = config.lm_batch_size {
        lm.batch_size = b;
    }
    let tokens: usize =
        sentences.iter().map(|s| lm.lm().tokenizer.encode(s).map(|t| t.len())).sum::<Result<usize, _>>()?;
    let mut results = Vec::new();
    let mut run = |coder: &dyn SourceCoder, lm_batch: usize| -> Result<(), SourceError> {
        if config.verbose {
            eprintln!("source-bench: {} on {} sentences", coder.name(), sentences.len());
        }
        results.push(CoderStats { lm_batch, ..measure(coder, &sentences, tokens)? });
        Ok(())
    };
    if wanted("huffman") {
        if config.train_sentences.exists() {
            let train = read_sentences(&config.train_sentences, None)?;
            run(&HuffmanWordCoder::from_sentences(train.iter().map(String::as_str), 1)?, 1)?;
        } else {
            // Same codebook from the shipped word counts of the training split.
            run(crate::container::load_coder("huffman-word", config.verbose)?.as_ref(), 1)?;
        }
    }
    if wanted("zstd") {
        run(&ZstdCoder::default(), 1)?;
    }
    if wanted("fixed") {
        let eos = lm.lm().eos_token.ok_or_else(|| SourceError::Model("GGUF has no EOS token".into()))?;
        run(&FixedLengthTokenCoder::new(lm.lm().tokenizer.clone(), eos)?, 1)?;
    }
    if wanted("small-lm") {
        run(&SmallLmCoder::embedded()?, 1)?;
    }
    if wanted("smollm2") {
        run(&lm, lm.batch_size)?;
    }
    if wanted("smollm2-bare") {
        let mut bare =
            LmCoder::from_source(&ModelSource::Named("smollm2-135m".into()), LmCoderConfig::bare(), config.verbose)?;
        bare.batch_size = lm.batch_size;
        run(&bare, bare.batch_size)?;
    }
    Ok(results)
}

/// CSV with one row per coder.
pub fn stats_csv(stats: &[CoderStats]) -> String {
    let mut s = String::from(
        "coder,sentences,chars,words,tokens,bits,bits_per_char,bits_per_word,bits_per_sentence,encode_tokens_per_s,decode_tokens_per_s,threads,roundtrip_failures,lm_batch\n",
    );
    for r in stats {
        s += &format!(
            "{},{},{},{},{},{},{:.4},{:.4},{:.2},{:.1},{:.1},{},{},{}\n",
            r.coder,
            r.sentences,
            r.chars,
            r.words,
            r.tokens,
            r.bits,
            r.bits_per_char(),
            r.bits_per_word(),
            r.bits_per_sentence(),
            r.encode_tokens_per_second(),
            r.decode_tokens_per_second(),
            r.threads,
            r.roundtrip_failures,
            r.lm_batch
        );
    }
    s
}

/// Human-readable table.
pub fn stats_table(stats: &[CoderStats]) -> String {
    let mut s = format!(
        "{:<18} {:>9} {:>9} {:>10} {:>12} {:>12} {:>7} {:>6} {:>9}\n",
        "coder", "bits/char", "bits/word", "bits/sent", "enc tok/s", "dec tok/s", "threads", "batch", "failures"
    );
    for r in stats {
        s += &format!(
            "{:<18} {:>9.3} {:>9.2} {:>10.1} {:>12.1} {:>12.1} {:>7} {:>6} {:>9}\n",
            r.coder,
            r.bits_per_char(),
            r.bits_per_word(),
            r.bits_per_sentence(),
            r.encode_tokens_per_second(),
            r.decode_tokens_per_second(),
            r.threads,
            r.lm_batch,
            r.roundtrip_failures
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_and_huffman_measured_on_a_tiny_corpus() {
        let sentences: Vec<String> = ["the cat sat", "the dog sat on the mat"].map(String::from).to_vec();
        let huff = HuffmanWordCoder::from_sentences(sentences.iter().map(String::as_str), 1).unwrap();
        let s = measure(&huff, &sentences, 10).unwrap();
        assert_eq!((s.sentences, s.chars, s.words, s.roundtrip_failures), (2, 33, 9, 0));
        assert!(s.bits > 0 && (s.bits_per_char() - s.bits as f64 / 33.0).abs() < 1e-12);
        let csv = stats_csv(std::slice::from_ref(&s));
        assert_eq!(csv.lines().count(), 2);
        assert!(stats_table(&[s]).contains("huffman-word"));
    }

    #[test]
    fn unreadable_sentence_file_names_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.txt");
        std::fs::write(&p, b"ok\nbad \xff\n").unwrap();
        let err = read_sentences(&p, None).unwrap_err().to_string();
        assert!(err.contains("s.txt") && err.contains("line 2"), "{err}");
    }
}
