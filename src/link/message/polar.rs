//! A code sized to each message: every framed message (length header + payload, no padding) is
//! sent as one 5G NR polar codeword (3GPP TS 38.212 §5.3.1/§5.4.1, [`codes::polar`]) of
//! E = ⌈A / rate⌉ bits for its A bits, with the scenario's CRC, and decoded by SC or CA-SCL
//! (Tal & Vardy 2015; CRC-aided selection as in Niu & Chen 2012).
//!
//! Messages longer than [`MAX_SEGMENT_BITS`] are cut into C = ⌈A / 512⌉ segments of nearly equal
//! size (the first A mod C one bit longer), each its own codeword with its own CRC, as 5G segments
//! long payloads. A segment's E is raised above ⌈A / rate⌉ only where the standard's construction
//! needs it (E ≥ K = A + CRC bits).
//!
//! With `code.interleave = "codeword"` each codeword's bits go out in the order of TS 38.212's
//! coded-bit interleaver (I_BIL = 1, §5.4.1.3), as on the 5G uplink: on block fading a stretch of
//! the codeword no longer sits under one gain.
//!
//! The receiver is assumed to know each codeword's (E, A) from the burst it hears (as a 5G
//! receiver knows the transport block size from control signalling); the length header inside the
//! codeword still tells the source decoder where the payload ends, as on the block-code link. So
//! the two links differ only in their channel code: the block link pads to whole k-bit blocks,
//! this one sends no padding.

use std::ops::Range;
use std::sync::Arc;

use channels::{Channel, Modulation, StreamRng};
use codes::polar::{code::E_MAX, Crc, PolarAlgorithm, PolarCode, PolarDecoder};

use super::frame_link::{FrameLink, Transmitted};
use crate::link::block::LinkSpec;
use crate::metrics::ErrorCounts;
use crate::scenario::{DecoderKindName, Interleave};

/// The most framed bits one codeword carries; longer messages are segmented.
pub const MAX_SEGMENT_BITS: usize = crate::scenario::MAX_POLAR_SEGMENT_BITS;

/// The lowest `code.rate` accepted: a full segment must fit the standard's largest E.
const MIN_RATE: f64 = crate::scenario::MIN_POLAR_RATE;

/// Polar-coded messages over the scenario's modulation and channel.
pub struct PolarLink {
    name: String,
    /// The decoder and modulation part of the name, e.g. `CA-SCL-8+BPSK`.
    receiver: String,
    rate: f64,
    modulation: Box<dyn Modulation>,
    channel: Box<dyn Channel>,
    /// The decoder (and its code) of a segment of `a` bits at index `a - 1`.
    decoders: Vec<PolarDecoder>,
}

impl PolarLink {
    /// Builds the link of `spec` (`code.kind = "polar"`), constructing the code of every segment
    /// size up front so that a size the standard cannot serve fails here, not mid-run.
    pub fn build(spec: &LinkSpec) -> anyhow::Result<Self> {
        let rate = spec.code.rate;
        if !(MIN_RATE..=1.0).contains(&rate) {
            anyhow::bail!("field 'code.rate': {rate} is outside [{MIN_RATE}, 1] (a {MAX_SEGMENT_BITS}-bit segment must fit E ≤ {E_MAX})");
        }
        let crc: Crc = spec.code.crc.parse().map_err(|e| anyhow::anyhow!("field 'code.crc': {e}"))?;
        let algorithm = match spec.decoder.kind {
            DecoderKindName::Sc => PolarAlgorithm::Sc,
            DecoderKindName::Scl => PolarAlgorithm::Scl { list: spec.decoder.list },
            other => anyhow::bail!("field 'decoder.kind': a polar code is decoded by \"sc\" or \"scl\", not {other:?}"),
        };
        let interleaved = match spec.code.interleave {
            Interleave::None => false,
            Interleave::Codeword => true,
            Interleave::Message => anyhow::bail!(
                "field 'code.interleave': a polar code is sized to each message, so \"message\" has no codewords to \
                 interleave over (\"codeword\" interleaves each codeword's bits)"
            ),
        };
        let decoders = (1..=MAX_SEGMENT_BITS)
            .map(|a| {
                let code = segment_code(a, rate, crc)?;
                let code = if interleaved { code.with_coded_bit_interleaving() } else { code };
                Ok(PolarDecoder::new(Arc::new(code), algorithm))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let modulation = spec.build_modulation();
        let decoder_label = match algorithm {
            PolarAlgorithm::Sc => "SC".to_string(),
            PolarAlgorithm::Scl { list } if crc.is_none() => format!("SCL-{list}"),
            PolarAlgorithm::Scl { list } => format!("CA-SCL-{list}"),
        };
        let bil = if interleaved { ", I_BIL" } else { "" };
        let receiver = format!("{decoder_label}+{}", modulation.name());
        let name = format!("polar(rate {rate}, {crc}{bil})+{receiver}");
        Ok(PolarLink { name, receiver, rate, modulation, channel: spec.build_channel(), decoders })
    }

    fn decoder(&self, a: usize) -> &PolarDecoder {
        &self.decoders[a - 1]
    }

    /// The decoder and modulation, as the name ends: e.g. `CA-SCL-8+BPSK`.
    pub fn receiver_label(&self) -> &str {
        &self.receiver
    }

    /// The code of a segment of `a` bits (1 ≤ a ≤ [`MAX_SEGMENT_BITS`]).
    pub fn code(&self, a: usize) -> &PolarCode {
        self.decoder(a).code()
    }

    /// The segments of a framed message of `bits` bits, as ranges of its bits.
    fn segments(bits: usize) -> Vec<Range<usize>> {
        let c = bits.div_ceil(MAX_SEGMENT_BITS).max(1);
        let (base, longer) = (bits / c, bits % c);
        let mut start = 0;
        (0..c)
            .map(|i| {
                let len = base + (i < longer) as usize;
                start += len;
                start - len..start
            })
            .collect()
    }
}

/// The 5G code for a segment of `a` bits at `rate`: E = ⌈a / rate⌉, raised one bit at a time
/// where the construction needs it (E below K, or too few bit channels left after rate matching).
fn segment_code(a: usize, rate: f64, crc: Crc) -> anyhow::Result<PolarCode> {
    let first = ((a as f64 / rate).ceil() as usize).max(a + crc.len());
    let mut last_error = None;
    for e in first..(first + 64).min(E_MAX + 1) {
        match PolarCode::nr(a, e, crc) {
            Ok(code) => return Ok(code),
            Err(err) => last_error = Some(err),
        }
    }
    Err(anyhow::anyhow!(
        "field 'code.rate': no 5G polar code carries {a} bits at rate {rate} with {crc}: {}",
        last_error.map(|e| e.to_string()).unwrap_or_default()
    ))
}

impl FrameLink for PolarLink {
    fn name(&self) -> &str {
        &self.name
    }
    fn channel_name(&self) -> String {
        self.channel.name()
    }
    fn rate(&self) -> f64 {
        self.rate
    }
    fn bits_per_symbol(&self) -> u32 {
        self.modulation.bits_per_symbol()
    }
    fn frame_granularity(&self) -> usize {
        1
    }
    fn symbols_for(&self, bits: usize) -> usize {
        let per_symbol = self.modulation.bits_per_symbol() as usize;
        Self::segments(bits).into_iter().map(|s| self.decoder(s.len().max(1)).code().e().div_ceil(per_symbol)).sum()
    }

    /// Each frame in turn: encode and modulate its segments, send them (one channel call per
    /// segment; one per frame on a channel with one gain per message, so that its segments share
    /// it), demodulate and decode each; the noise of segment after segment from `rng`. A frame is
    /// suspect when a segment's CRC fails. No soft output nor codeword lists (`soft` and `listing`
    /// are ignored; `has_soft_output` and `lists_codewords` say so).
    fn transmit_frames(
        &self,
        info: &[u8],
        frames: &[Range<usize>],
        sigma: f32,
        rng: &mut StreamRng,
        _soft: bool,
        _listing: bool,
    ) -> Transmitted {
        let mut decided = vec![0u8; info.len()];
        let mut counts = ErrorCounts::default();
        let mut suspect = vec![false; frames.len()];
        let dims_per_symbol = self.modulation.dims_per_symbol();
        for (frame, suspect) in frames.iter().zip(&mut suspect) {
            let spans: Vec<Range<usize>> = Self::segments(frame.len())
                .into_iter()
                .map(|s| frame.start + s.start..frame.start + s.end)
                .filter(|s| !s.is_empty())
                .collect();
            let decoders: Vec<_> = spans.iter().map(|s| self.decoder(s.len())).collect();
            let mut codewords = Vec::with_capacity(spans.len());
            let (mut tx, mut segment_dims) = (Vec::new(), Vec::with_capacity(spans.len()));
            for (span, decoder) in spans.iter().zip(&decoders) {
                let code = decoder.code();
                let mut codeword = vec![0u8; code.e()];
                code.encode(&info[span.clone()], &mut codeword);
                let start = tx.len();
                tx.resize(start + self.modulation.dims_for_bits(code.e()), 0.0);
                self.modulation.modulate(&codeword, &mut tx[start..]);
                segment_dims.push(start..tx.len());
                codewords.push(codeword);
            }
            let (mut rx, mut gain) = (vec![0f32; tx.len()], vec![0f32; tx.len()]);
            if self.channel.one_gain_per_call() {
                self.channel.transmit(&tx, tx.len(), dims_per_symbol, sigma, rng, &mut rx, &mut gain);
            } else {
                for d in &segment_dims {
                    let (r, g) = (&mut rx[d.clone()], &mut gain[d.clone()]);
                    self.channel.transmit(&tx[d.clone()], d.len(), dims_per_symbol, sigma, rng, r, g);
                }
            }
            for (((span, decoder), codeword), d) in spans.iter().zip(&decoders).zip(&codewords).zip(&segment_dims) {
                let code = decoder.code();
                let e = code.e();
                let mut llr = vec![0f32; e];
                self.modulation.demodulate(&rx[d.clone()], &gain[d.clone()], sigma, &mut llr);
                let out = &mut decided[span.clone()];
                // Without a CRC the check always passes: only a CRC can tell.
                *suspect |= !decoder.decode_frame(&llr, out, &mut decoder.scratch());
                let mut recoded = vec![0u8; e];
                code.encode(out, &mut recoded);
                let info_errors = out.iter().zip(&info[span.clone()]).filter(|(a, b)| a != b).count() as u64;
                counts.bit_errors += info_errors;
                counts.frame_errors += (info_errors > 0) as u64;
                counts.coded_bit_errors += recoded.iter().zip(codeword).filter(|(a, b)| a != b).count() as u64;
                counts.frames += 1;
                counts.bits += span.len() as u64;
                counts.coded_bits += e as u64;
            }
        }
        Transmitted { decided, counts, suspect, posterior: None, codeword_posterior: None, channel_llr: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_segment_fits_the_largest_e_at_the_lowest_rate() {
        assert!(MAX_SEGMENT_BITS as f64 / MIN_RATE <= E_MAX as f64);
    }

    #[test]
    fn segments_cover_the_frame_in_near_equal_parts() {
        assert_eq!(PolarLink::segments(100), vec![0..100]);
        assert_eq!(PolarLink::segments(512), vec![0..512]);
        assert_eq!(PolarLink::segments(513), vec![0..257, 257..513]);
        let s = PolarLink::segments(1500);
        assert_eq!(s.len(), 3);
        assert_eq!(s.iter().map(|r| r.len()).collect::<Vec<_>>(), vec![500, 500, 500]);
        assert_eq!(s.last().unwrap().end, 1500);
    }

    #[test]
    fn every_segment_size_has_a_code_at_the_rate_asked() {
        for (rate, crc) in [(0.5, Crc::CRC11), (MIN_RATE, Crc::CRC24C), (1.0, Crc::NONE), (0.9, Crc::CRC6)] {
            for a in 1..=MAX_SEGMENT_BITS {
                let code = segment_code(a, rate, crc).unwrap();
                assert_eq!(code.a(), a);
                let nominal = ((a as f64 / rate).ceil() as usize).max(a + crc.len());
                assert!(code.e() >= nominal && code.e() < nominal + 64, "a = {a}, rate {rate}: E = {}", code.e());
            }
        }
    }
}
