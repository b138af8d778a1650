//! Joint source-channel coding schemes (`source = "deepsc"` or `"ut"`): a neural transceiver replaces
//! source coder, framing, channel code and modulation, and sends real values straight over the channel.
//!
//! Per SNR point, item `j` is message `j mod M` (as [`super::text_engine`]); items are grouped into
//! batches of `batch_messages`, batch `b` drawing its channel noise from stream
//! `(seed, scheme, SNR, b)`. Each batch is transmitted (every sentence at unit mean power per real
//! value), crosses the channel ([`neural::jscc_channel`]: AWGN, or for a Rayleigh scenario the
//! reference's block fading, one CN(0,1) gain per message with perfect-CSI equalisation) and is
//! decoded greedily. Batches run in order with a fixed composition, so results do not depend on the
//! thread count.
//!
//! Channel use: the model's real values (16 for DeepSC and UT) per word position, `<START>` and `<END>`
//! included, each a float32 charged 32 bits on the unified SNR axis.

use std::path::{Path, PathBuf};

use anyhow::Context;
use candle_core::{Device, Tensor};
use channels::{stream, SnrPoint};
use neural::deepsc::{DeepSc, SentenceBatch};
use neural::jscc::JsccModel;
use neural::jscc_channel::effective_noise;
use neural::ut::Ut;
use neural::word_vocab::WordVocab;
use neural::Channel;
use sha2::Digest;

use super::messages::MessageSet;
use super::scheme::resolve;
use super::text_engine::{text_batches, TextPointOutcome, TextProgress};
use crate::metrics::text_quality::{QualityScorer, TextCounts};
use crate::metrics::unified_snr::ChannelUse;
use crate::metrics::ErrorCounts;
use crate::scenario::{ChannelKind, SchemeConfig, SourceKind, TextConfig};

/// Bits charged per transmitted real value (float32).
pub const FLOAT_PRECISION_BITS: f64 = 32.0;

/// The shipped weights of a JSCC model for a channel (trained as `README.md` says).
pub fn shipped_weights(kind: SourceKind, channel: Channel) -> String {
    let model = if kind == SourceKind::Ut { "ut" } else { "deepsc" };
    format!("neural/models/{model}-{}.safetensors", channel.name())
}

/// The transceivers a JSCC scheme can run.
pub enum JsccNet {
    DeepSc(DeepSc),
    Ut(Ut),
}

impl JsccNet {
    fn name(&self) -> &'static str {
        match self {
            JsccNet::DeepSc(_) => "DeepSC",
            JsccNet::Ut(_) => "UT",
        }
    }
    /// Real channel values per word position.
    pub fn values_per_token(&self) -> usize {
        match self {
            JsccNet::DeepSc(m) => m.config().channel_dim,
            JsccNet::Ut(m) => m.config().values_per_token(),
        }
    }
    fn device(&self) -> &Device {
        match self {
            JsccNet::DeepSc(m) => m.device(),
            JsccNet::Ut(m) => m.device(),
        }
    }
    fn transmit(&self, batch: &SentenceBatch) -> candle_core::Result<Tensor> {
        match self {
            JsccNet::DeepSc(m) => m.transmit(batch, None),
            JsccNet::Ut(m) => m.transmit(batch, None),
        }
    }
    fn greedy_decode(
        &self,
        received: &Tensor,
        memory_bias: &Tensor,
        max_len: usize,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        match self {
            JsccNet::DeepSc(m) => m.greedy_decode(received, memory_bias, max_len),
            JsccNet::Ut(m) => m.greedy_decode(received, memory_bias, max_len),
        }
    }
}

/// A JSCC scheme: model, its vocabulary and the channel it is simulated over.
pub struct JsccScheme {
    pub config: SchemeConfig,
    pub model: JsccNet,
    pub vocab: WordVocab,
    pub channel: Channel,
    pub weights: PathBuf,
    /// sha256 of the weight file, hashed once at load: the results' `weights_sha256` and the resume
    /// check ([`JsccScheme::check_weights_unchanged`]) both use it.
    pub weights_sha256: String,
}

/// The text set as word ids.
#[derive(Debug, Clone)]
pub struct JsccEncoded {
    pub ids: Vec<Vec<u32>>,
    /// Words of the text set missing from the model's vocabulary (sent as `<UNK>`).
    pub unknown_words: usize,
}

impl JsccScheme {
    /// Loads the scheme's weights (`weights`, or the shipped model for the scenario's channel).
    pub fn load(config: &SchemeConfig, channel: ChannelKind, base: &Path) -> anyhow::Result<Self> {
        let channel = match channel {
            ChannelKind::Awgn => Channel::Awgn,
            ChannelKind::Rayleigh | ChannelKind::RayleighLmSscc => Channel::Rayleigh,
        };
        let shipped = shipped_weights(config.source, channel);
        let weights = resolve(config.weights.as_deref().unwrap_or(&shipped), base);
        let context = || format!("scheme '{}': {:?} weights (field 'weights')", config.name, config.source);
        let (model, vocab) = match config.source {
            SourceKind::Ut => {
                let (m, v, _) = Ut::load(&weights, &Device::Cpu).with_context(context)?;
                if m.config().quantized_bits.is_some() {
                    anyhow::bail!(
                        "{}: {} holds UT-quant weights; use source = \"ut-quant\" (a digital scheme)",
                        context(),
                        weights.display()
                    );
                }
                (JsccNet::Ut(m), v)
            }
            _ => {
                let (m, v, _) = DeepSc::load(&weights, &Device::Cpu).with_context(context)?;
                (JsccNet::DeepSc(m), v)
            }
        };
        let bytes = std::fs::read(&weights).with_context(|| format!("reading {}", weights.display()))?;
        let weights_sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
        Ok(Self { config: config.clone(), model, vocab, channel, weights, weights_sha256 })
    }

    /// Ties the results folder's rows of this scheme to its weights: the first run records the
    /// weights' sha256 in `encodings/<scheme>.weights.sha256`; a later run (resume) with different
    /// weights under the same path is refused while rows of the scheme exist, so rows of two models
    /// never mix (the scenario's config hash sees only the path).
    pub fn check_weights_unchanged(&self, out_dir: &Path, has_rows: bool) -> anyhow::Result<()> {
        let digest = &self.weights_sha256;
        let dir = out_dir.join("encodings");
        let record = dir.join(format!("{}.weights.sha256", self.config.name));
        if has_rows {
            if let Ok(previous) = std::fs::read_to_string(&record) {
                if previous.trim() != digest.as_str() {
                    anyhow::bail!(
                        "{}: scheme '{}' has rows made with other weights than {} (sha256 {} then, {} now); \
                         use --fresh or --out to start a new results folder",
                        out_dir.display(),
                        self.config.name,
                        self.weights.display(),
                        &previous.trim()[..previous.trim().len().min(12)],
                        &digest[..12]
                    );
                }
                return Ok(());
            }
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::report::write_atomic(&record, digest.as_bytes())
    }

    /// A label for the CSV's channel column.
    pub fn model_name(&self) -> String {
        format!(
            "{} {}",
            self.model.name(),
            self.weights.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
        )
    }

    /// Identifies the scheme's random streams: a stable hash of its name.
    pub fn stream_id(&self) -> u64 {
        super::stream_id_of(&self.config.name)
    }

    pub fn encode(&self, messages: &MessageSet) -> JsccEncoded {
        let mut unknown_words = 0;
        let ids = messages
            .texts
            .iter()
            .map(|t| {
                let e = self.vocab.encode(t);
                unknown_words += e.unknown_words;
                e.ids
            })
            .collect();
        JsccEncoded { ids, unknown_words }
    }

    /// Mean real values per message, each charged as a float32.
    pub fn channel_use(&self, encoded: &JsccEncoded) -> ChannelUse {
        let positions: usize = encoded.ids.iter().map(Vec::len).sum();
        let per_message = (positions * self.model.values_per_token()) as f64 / encoded.ids.len().max(1) as f64;
        ChannelUse { symbols_per_message: per_message, precision_bits: FLOAT_PRECISION_BITS }
    }
}

/// Sends batch `b` of a point (items `range`, item `j` being message `j mod M`) through the channel,
/// its noise from stream `(seed, scheme, SNR, b)`, and decodes it: the received text of each item.
/// A batch's result depends on its items alone, so a shard can run it by itself.
pub fn run_jscc_batch(
    scheme: &JsccScheme,
    encoded: &JsccEncoded,
    point: &SnrPoint,
    seed: u64,
    b: u64,
    range: std::ops::Range<usize>,
) -> anyhow::Result<Vec<String>> {
    let m = encoded.ids.len();
    let reals = scheme.model.values_per_token();
    let dev = scheme.model.device().clone();
    let sentences: Vec<&[u32]> = range.map(|j| encoded.ids[j % m].as_slice()).collect();
    let batch = SentenceBatch::new(&sentences, &dev)?;
    let (rows, t) = batch.ids.dims2()?;
    let mut rng = stream(seed, &[scheme.stream_id(), point.snr_db.to_bits(), b]);
    let noise = effective_noise(scheme.channel, rows, t, reals, point.sigma(), &mut rng);
    let tx = scheme.model.transmit(&batch)?;
    let rx = (tx + Tensor::from_vec(noise, (rows, t, reals), &dev)?)?;
    // The receiver knows how many positions arrived; it may emit a few more words than that.
    let decoded = scheme.model.greedy_decode(&rx, &batch.src_bias, t + 4)?;
    Ok(decoded.iter().map(|ids| scheme.vocab.decode(ids)).collect())
}

/// Simulates every message (× repeats) through `scheme` at `point`.
#[allow(clippy::too_many_arguments)]
pub fn run_jscc_point(
    scheme: &JsccScheme,
    messages: &MessageSet,
    encoded: &JsccEncoded,
    text: &TextConfig,
    point: &SnrPoint,
    seed: u64,
    quality: &QualityScorer,
    progress: &mut dyn FnMut(TextProgress),
) -> anyhow::Result<TextPointOutcome> {
    let start = std::time::Instant::now();
    let m = messages.len();
    let items = m * text.repeats;
    let mut received_text: Vec<String> = Vec::with_capacity(items);
    for (b, range) in text_batches(items, text.batch_messages).into_iter().enumerate() {
        let end = range.end;
        received_text.extend(run_jscc_batch(scheme, encoded, point, seed, b as u64, range)?);
        progress(TextProgress::Decoded(end));
    }
    let pairs: Vec<(&str, &str)> =
        (0..items).map(|j| (messages.texts[j % m].as_str(), received_text[j].as_str())).collect();
    let mut text_counts = TextCounts::default();
    quality.add(&pairs, &mut text_counts)?;
    Ok(TextPointOutcome { counts: ErrorCounts::default(), text: text_counts, seconds: start.elapsed().as_secs_f64() })
}
