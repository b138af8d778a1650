//! Joint source-channel coding schemes (`source = "deepsc"` or `"ut"`): a neural transceiver replaces
//! source coder, framing, channel code and modulation, and sends real values straight over the channel.
//!
//! Batches are the message link's ([`crate::link::message`]): batch `b` of a point draws its channel
//! noise from stream `(seed, scheme, SNR, b)`. Each batch is transmitted (every sentence at unit mean power per real
//! value), crosses the channel ([`neural::jscc::channel`]: AWGN, or for a Rayleigh scenario the
//! reference's block fading, one CN(0,1) gain per message with perfect-CSI equalisation) and is
//! decoded greedily. Batches run in order with a fixed composition, so results do not depend on the
//! thread count.
//!
//! [`ut_quant_coder`]: UT-quant, whose bits cross the digital link, as a source coder.
//!
//! Channel use: the model's real values (16 for DeepSC and UT) per word position, `<START>` and `<END>`
//! included, each a float32 charged 32 bits on the unified SNR axis.

use std::path::{Path, PathBuf};

use anyhow::Context;
use candle_core::{Device, Tensor};
use channels::{stream, SnrPoint};
use neural::jscc::channel::effective_noise;
use neural::jscc::deepsc::DeepSc;
use neural::jscc::sentence_batch::SentenceBatch;
use neural::jscc::ut::Ut;
use neural::jscc::word_vocab::WordVocab;
use neural::jscc::JsccModel;
use neural::Channel;

pub mod ut_quant_coder;

use super::events::{BatchProgress, Event, Sink};
use super::facts::{SchemeFacts, TextFacts};
use super::message::encodings::EncodingStore;
use super::message::{Batch, BatchOutcome, DecodedItem, MessageScheme, MessageSet, Received};
use super::paths::resolve;
use super::text::messages::TextSet;
use crate::metrics::unified_snr::ChannelUse;
use crate::scenario::{ChannelKind, SchemeConfig, SourceKind};

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
    /// check ([`MessageScheme::check_results_folder`]) both use it.
    pub weights_sha256: String,
    /// The message set as word ids, once prepared.
    encoded: Option<JsccEncoded>,
}

/// The text set as word ids.
#[derive(Debug, Clone)]
pub struct JsccEncoded {
    pub ids: Vec<Vec<u32>>,
    /// The messages themselves, to tell which items arrived exactly.
    pub texts: Vec<String>,
    /// Words of the text set missing from the model's vocabulary (sent as `<UNK>`).
    pub unknown_words: usize,
}

impl JsccScheme {
    /// Loads the scheme's weights (`weights`, or the shipped model for the scenario's channel).
    pub fn load(config: &SchemeConfig, channel: ChannelKind, base: &Path) -> anyhow::Result<Self> {
        let channel = neural_channel(channel);
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
        let weights_sha256 = source::model_cache::sha256_file(&weights)?;
        Ok(Self { config: config.clone(), model, vocab, channel, weights, weights_sha256, encoded: None })
    }

    /// A label for the CSV's channel column.
    pub fn model_name(&self) -> String {
        format!(
            "{} {}",
            self.model.name(),
            self.weights.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
        )
    }

    pub fn encode(&self, messages: &TextSet) -> JsccEncoded {
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
        JsccEncoded { ids, texts: messages.texts.clone(), unknown_words }
    }

    /// Mean real values per message, each charged as a float32.
    pub fn channel_use(&self, encoded: &JsccEncoded) -> ChannelUse {
        let positions: usize = encoded.ids.iter().map(Vec::len).sum();
        let per_message = (positions * self.model.values_per_token()) as f64 / encoded.ids.len().max(1) as f64;
        ChannelUse { symbols_per_message: per_message, precision_bits: FLOAT_PRECISION_BITS }
    }

    /// Sends batch `batch` through the channel, its noise from stream `(seed, scheme, SNR, b)`, and
    /// decodes it greedily: the received text of each item.
    fn run_batch(&self, point: &SnrPoint, seed: u64, batch: &Batch) -> anyhow::Result<Vec<String>> {
        let encoded = self.encoded.as_ref().expect("MessageScheme::prepare runs before the scheme sends");
        let m = encoded.ids.len();
        let reals = self.model.values_per_token();
        let dev = self.model.device().clone();
        let sentences: Vec<&[u32]> = batch.items.clone().map(|j| encoded.ids[j % m].as_slice()).collect();
        let sentence_batch = SentenceBatch::new(&sentences, &dev)?;
        let (rows, t) = sentence_batch.ids.dims2()?;
        let mut rng = stream(seed, &[self.stream_id(), point.snr_db.to_bits(), batch.index]);
        let noise = effective_noise(self.channel, rows, t, reals, point.sigma(), &mut rng);
        let tx = self.model.transmit(&sentence_batch)?;
        let rx = (tx + Tensor::from_vec(noise, (rows, t, reals), &dev)?)?;
        // The receiver knows how many positions arrived; it may emit a few more words than that.
        let decoded = self.model.greedy_decode(&rx, &sentence_batch.src_bias, t + 4)?;
        Ok(decoded.iter().map(|ids| self.vocab.decode(ids)).collect())
    }
}

impl MessageScheme for JsccScheme {
    fn config(&self) -> &SchemeConfig {
        &self.config
    }

    fn prepare(
        &mut self,
        messages: &MessageSet,
        _store: &mut EncodingStore,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<SchemeFacts> {
        let encoded = self.encode(messages.text(&format!("scheme '{}'", self.config.name))?);
        sink.event(Event::UnknownWords {
            scheme: &self.config.name,
            words: encoded.unknown_words,
            vocabulary: self.vocab.len(),
        });
        let uses = self.channel_use(&encoded);
        self.encoded = Some(encoded);
        Ok(analog_facts(
            &self.config.name,
            format!("{} (JSCC, {})", self.channel.name(), self.model_name()),
            uses.symbols_per_message,
            &self.weights_sha256,
        ))
    }

    /// Runs the batches one after the other (each is one tensor batch through the model); items
    /// received other than sent are listed.
    fn run_batches(
        &self,
        point: &SnrPoint,
        seed: u64,
        batches: &[Batch],
        progress: &mut dyn FnMut(BatchProgress),
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        let texts = &self.encoded.as_ref().expect("prepared").texts;
        analog_outcomes(batches, progress, |batch| {
            let received = self.run_batch(point, seed, batch)?;
            Ok(batch
                .items
                .clone()
                .zip(received)
                .filter(|(item, text)| *text != texts[item % texts.len()])
                .map(|(item, text)| DecodedItem { item: item as u64, received: Received::Text { text } })
                .collect())
        })
    }

    /// Ties the results folder's rows of this scheme to its weights: the first run records the
    /// weights' sha256 in `encodings/<scheme>.weights.sha256`; a later run (resume) with different
    /// weights under the same path is refused while rows of the scheme exist, so rows of two models
    /// never mix (the scenario's config hash sees only the path).
    fn check_results_folder(&self, out_dir: &Path, has_rows: bool) -> anyhow::Result<()> {
        check_weights_record(out_dir, &self.config.name, &self.weights, &self.weights_sha256, has_rows)
    }
}

/// The channel a neural transceiver is simulated over for the scenario's channel: AWGN, or for any
/// Rayleigh scenario the reference's block fading (one gain per message, perfect-CSI equalisation).
pub fn neural_channel(kind: ChannelKind) -> Channel {
    match kind {
        ChannelKind::Awgn => Channel::Awgn,
        ChannelKind::Rayleigh | ChannelKind::RayleighLmSscc => Channel::Rayleigh,
    }
}

/// A JSCC scheme's facts: real values straight on the channel (Es/N0 per real value is the SNR),
/// `values_per_message` of them per message on average, each charged as a float32.
pub fn analog_facts(name: &str, channel: String, values_per_message: f64, weights_sha256: &str) -> SchemeFacts {
    SchemeFacts {
        name: name.to_string(),
        channel,
        rate: 1.0,
        bits_per_symbol: 1,
        text: Some(TextFacts {
            symbols_per_message: values_per_message,
            precision_bits: FLOAT_PRECISION_BITS,
            source_bits: None,
            weights_sha256: Some(weights_sha256.to_string()),
            end_check: None,
        }),
    }
}

/// Runs `batches` one after the other through `run_batch` (one tensor batch through the model each;
/// it lists the items received other than sent), reporting progress after each.
pub fn analog_outcomes(
    batches: &[Batch],
    progress: &mut dyn FnMut(BatchProgress),
    mut run_batch: impl FnMut(&Batch) -> anyhow::Result<Vec<DecodedItem>>,
) -> anyhow::Result<Vec<BatchOutcome>> {
    let mut done = 0;
    let mut outcomes = Vec::with_capacity(batches.len());
    for batch in batches {
        let decoded = run_batch(batch)?;
        done += batch.items.len();
        progress(BatchProgress::Decoded(done));
        outcomes.push(BatchOutcome {
            counts: Default::default(),
            decoded,
            flagged: None,
            candidates: None,
            lm_steps: None,
            list_misses: None,
        });
    }
    Ok(outcomes)
}

/// Ties a results folder's rows of scheme `name` to its weights: the first run records the weights'
/// sha256 in `encodings/<name>.weights.sha256`; a later run (resume) with different weights under the
/// same path is refused while rows of the scheme exist, so rows of two models never mix (the
/// scenario's config hash sees only the path).
pub fn check_weights_record(
    out_dir: &Path,
    name: &str,
    weights: &Path,
    digest: &str,
    has_rows: bool,
) -> anyhow::Result<()> {
    let dir = out_dir.join("encodings");
    let record = dir.join(format!("{name}.weights.sha256"));
    if has_rows {
        if let Ok(previous) = std::fs::read_to_string(&record) {
            if previous.trim() != digest {
                anyhow::bail!(
                    "{}: scheme '{name}' has rows made with other weights than {} (sha256 {} then, {} now); \
                     use --fresh or --out to start a new results folder",
                    out_dir.display(),
                    weights.display(),
                    &previous.trim()[..previous.trim().len().min(12)],
                    &digest[..12.min(digest.len())]
                );
            }
            return Ok(());
        }
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    crate::report::write_atomic(&record, digest.as_bytes())
}
