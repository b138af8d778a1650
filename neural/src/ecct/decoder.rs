//! `EcctDecoder`: a trained ECCT model behind the project's `codes::Decoder` trait, and the lookup of the
//! models shipped under `neural/models/`.
//!
//! The trait hands over channel LLRs; the network was trained on channel outputs in AWGN units
//! (`y = LLR · σ²/2`, see [`crate::core::channel`]). The decoder therefore needs σ²: set it with
//! [`EcctDecoder::with_noise_variance`] when the caller knows the operating point, otherwise it is
//! estimated per batch from the LLRs' second moment (unbiased when a batch holds one SNR point), or
//! per frame ([`EcctDecoder::with_noise_estimated_per_frame`]) where every frame has its own SNR:
//! on quasi-static fading with CSI a frame with gain g is AWGN at noise σ/g, its LLRs exactly the
//! AWGN ones there, so the AWGN model decodes it once the frame's own scale is known.
//! Frames are decoded in chunks of `max_batch`; on CPU by default, on CUDA with the `cuda` feature.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{Device, Tensor};
use codes::{DecodeStats, Decoder, LdpcCode};

use crate::core::channel::Channel;
use crate::ecct::model::{prepare_inputs, Ecct};
use crate::ecct::weights::{load_model, EcctError, ModelMeta};

pub struct EcctDecoder {
    model: Ecct,
    meta: ModelMeta,
    code: Arc<LdpcCode>,
    noise_variance: Option<f64>,
    /// Without a fixed σ²: estimate the LLR scale per frame rather than per batch.
    per_frame: bool,
    max_batch: usize,
}

/// Directory of the shipped models (`LMSSCC_MODELS_DIR` overrides it).
pub fn models_dir() -> PathBuf {
    std::env::var_os("LMSSCC_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
}

/// Path of the shipped model for a code file and channel: `<models>/<code file stem>.<channel>.safetensors`.
pub fn shipped_model_path(code_path: &Path, channel: Channel) -> PathBuf {
    let stem = code_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    models_dir().join(format!("{stem}.{}.safetensors", channel.name()))
}

impl EcctDecoder {
    /// Loads a weight file for `code` (refused if trained for another code or an edited code file).
    pub fn load(path: &Path, code: Arc<LdpcCode>, device: &Device) -> Result<Self, EcctError> {
        let (model, meta) = load_model(path, &code, device)?;
        Ok(Self { model, meta, code, noise_variance: None, per_frame: false, max_batch: 2048 })
    }

    /// The shipped model for `code_path` over `channel`, on CPU (CUDA device 0 with `cuda` and `use_cuda`).
    pub fn shipped(code_path: &Path, code: Arc<LdpcCode>, channel: Channel) -> Result<Self, EcctError> {
        let path = shipped_model_path(code_path, channel);
        if !path.exists() {
            return Err(EcctError::NoShippedModel { code: code.name().to_string(), channel: channel.name(), path });
        }
        let dec = Self::load(&path, code, &Device::Cpu)?;
        if dec.meta.channel != channel {
            return Err(EcctError::ChannelMismatch { path, trained: dec.meta.channel.name(), wanted: channel.name() });
        }
        Ok(dec)
    }

    /// Fixes the noise variance per real dimension σ² used to map LLRs to network inputs.
    pub fn with_noise_variance(mut self, sigma2: f64) -> Self {
        self.noise_variance = Some(sigma2);
        self
    }
    /// Estimates the LLR scale from each frame's own LLRs (n of them): for channels where every
    /// frame has its own SNR (one fading gain per frame or message, with CSI).
    pub fn with_noise_estimated_per_frame(mut self) -> Self {
        self.per_frame = true;
        self
    }
    /// Frames per forward pass.
    pub fn with_max_batch(mut self, frames: usize) -> Self {
        self.max_batch = frames.max(1);
        self
    }
    /// Dense attention on CPU too (see [`Ecct::use_dense_attention`]): for comparisons.
    pub fn with_dense_attention(mut self) -> Self {
        self.model.use_dense_attention(true);
        self
    }
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }
    pub fn model(&self) -> &Ecct {
        &self.model
    }

    /// Decodes network inputs `y` (AWGN units, y > 0 ↔ bit 0) directly.
    pub fn decode_outputs(&self, y: &[f32], bits: &mut [u8]) -> candle_core::Result<()> {
        let n = self.code.n();
        let chunk = self.max_batch * n;
        for (yc, bc) in y.chunks(chunk).zip(bits.chunks_mut(chunk)) {
            decode_inputs(&self.model, &self.code, yc, bc)?;
        }
        Ok(())
    }
}

impl Decoder for EcctDecoder {
    fn name(&self) -> String {
        format!("ECCT-N{}-d{}", self.meta.config.layers, self.meta.config.dim)
    }
    fn n(&self) -> usize {
        self.code.n()
    }
    fn decode_batch(&self, llr: &[f32], bits: &mut [u8]) -> DecodeStats {
        let n = self.code.n();
        let frames = llr.len() / n;
        let y = self.inputs(&llr[..frames * n]);
        let out = &mut bits[..frames * n];
        if self.decode_outputs(&y, out).is_err() {
            // A device failure must not take the receiver down: fall back to the hard decision.
            for (o, &v) in out.iter_mut().zip(&y) {
                *o = u8::from(v < 0.0);
            }
        }
        self.stats(out)
    }

    /// The network's output is a logit of "this bit's multiplicative noise is positive" (the
    /// hard decision stands), trained with binary cross-entropy on that sign (ECCT, Choukroun &
    /// Wolf 2022), so its posterior LLR of bit 0 is the logit where the hard decision is 0 and its
    /// negation where it is 1: σ(|logit|) is the reliability ICD (arXiv 2601.10267) takes from ECCT.
    fn decode_batch_soft(&self, llr: &[f32], posterior: &mut [f32]) -> Option<DecodeStats> {
        let n = self.code.n();
        let frames = llr.len() / n;
        let y = self.inputs(&llr[..frames * n]);
        let out = &mut posterior[..frames * n];
        let chunk = self.max_batch * n;
        for (yc, pc) in y.chunks(chunk).zip(out.chunks_mut(chunk)) {
            if posterior_chunks(&self.model, &self.code, yc, pc).is_err() {
                // As in `decode_batch`: the channel's own LLRs, in network units.
                pc.copy_from_slice(yc);
            }
        }
        let bits: Vec<u8> = out.iter().map(|&l| u8::from(l < 0.0)).collect();
        Some(self.stats(&bits))
    }
}

impl EcctDecoder {
    /// Network inputs for channel LLRs: y = LLR / s with s = 2/σ² (σ² set, or estimated from the
    /// batch).
    fn inputs(&self, llr: &[f32]) -> Vec<f32> {
        let to_input = |l: f32, scale: f64| {
            let v = (l as f64 / scale) as f32;
            // ±inf LLRs become large finite inputs; NaN stays NaN (treated as an erasure downstream).
            if v.is_infinite() {
                v.signum() * 1e6
            } else {
                v.clamp(-1e6, 1e6)
            }
        };
        let scale = match self.noise_variance {
            Some(s2) if s2 > 0.0 => 2.0 / s2,
            _ if self.per_frame => {
                let n = self.code.n();
                return llr
                    .chunks(n)
                    .flat_map(|frame| {
                        let scale = self.meta.channel.estimate_llr_scale(frame);
                        frame.iter().map(move |&l| to_input(l, scale))
                    })
                    .collect();
            }
            _ => self.meta.channel.estimate_llr_scale(llr),
        };
        llr.iter().map(|&l| to_input(l, scale)).collect()
    }

    fn stats(&self, bits: &[u8]) -> DecodeStats {
        let n = self.code.n();
        let frames = bits.len() / n;
        let valid = (0..frames).filter(|&f| self.code.is_codeword(&bits[f * n..(f + 1) * n])).count();
        DecodeStats { frames: frames as u64, iterations: 0, valid_codewords: valid as u64 }
    }
}

/// Decodes a batch of network inputs `y` (frames × n) with `model`; writes hard decisions into `bits`.
///
/// Forward passes run on at most `DECODE_CHUNK` frames: the model's parameters are tracked variables, so
/// a forward pass keeps every intermediate alive until its output is dropped (8,192 frames of
/// LDPC_N49_K24 reach ~50 GB, which ran out of GPU memory with two runs sharing an H100).
pub fn decode_inputs(model: &Ecct, code: &LdpcCode, y: &[f32], bits: &mut [u8]) -> candle_core::Result<()> {
    let n = code.n();
    for (yc, bc) in y.chunks(DECODE_CHUNK * n).zip(bits.chunks_mut(DECODE_CHUNK * n)) {
        decode_chunk(model, code, yc, bc)?;
    }
    Ok(())
}

/// Frames per forward pass (see [`decode_inputs`]).
const DECODE_CHUNK: usize = 1024;

fn decode_chunk(model: &Ecct, code: &LdpcCode, y: &[f32], bits: &mut [u8]) -> candle_core::Result<()> {
    let (hard, z) = forward_chunk(model, code, y)?;
    for ((o, &h), &zz) in bits.iter_mut().zip(&hard).zip(&z) {
        // Flip where the predicted multiplicative noise is negative; NaN (never expected) keeps the hard bit.
        *o = h ^ u8::from(zz < 0.0);
    }
    Ok(())
}

/// The hard decisions of `y` and the network's logits for them, one forward pass.
fn forward_chunk(model: &Ecct, code: &LdpcCode, y: &[f32]) -> candle_core::Result<(Vec<u8>, Vec<f32>)> {
    let (n, m) = (code.n(), code.m());
    let frames = y.len() / n;
    let (mag, syn, hard) = prepare_inputs(y, n, code.checks());
    let dev = model.device();
    let mag = Tensor::from_vec(mag, (frames, n), dev)?;
    let syn = Tensor::from_vec(syn, (frames, m), dev)?;
    let z = model.forward(&mag, &syn, None)?.flatten_all()?.to_vec1::<f32>()?;
    Ok((hard, z))
}

/// Posterior LLRs (positive: 0) of network inputs `y`, in chunks of at most `DECODE_CHUNK`
/// frames as [`decode_inputs`] runs them: the logit where the hard decision is 0, its negation
/// where it is 1. A NaN logit (never expected) keeps the hard decision with no reliability, as
/// `decode_chunk` keeps the hard bit.
fn posterior_chunks(model: &Ecct, code: &LdpcCode, y: &[f32], posterior: &mut [f32]) -> candle_core::Result<()> {
    let n = code.n();
    for (yc, pc) in y.chunks(DECODE_CHUNK * n).zip(posterior.chunks_mut(DECODE_CHUNK * n)) {
        let (hard, z) = forward_chunk(model, code, yc)?;
        for ((p, &h), &zz) in pc.iter_mut().zip(&hard).zip(&z) {
            let l = if zz.is_nan() { f32::MIN_POSITIVE } else { zz };
            *p = if h == 0 { l } else { -l };
        }
    }
    Ok(())
}
