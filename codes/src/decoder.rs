//! The `Decoder` trait every channel decoder implements (hard decision, belief propagation, ECCT).
//!
//! LLR convention used across the whole project: `L = ln P(c=0 | y) / P(c=1 | y)`, so a positive LLR
//! means bit 0 (BPSK maps bit 0 to +1). Frames travel back to back in flat buffers: frame `f` occupies
//! `llr[f * n .. (f + 1) * n]`.

/// Counters a decoder reports for one batch; they are summed by the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Frames decoded in this batch.
    pub frames: u64,
    /// Iterations run, summed over frames (0 for non-iterative decoders).
    pub iterations: u64,
    /// Frames whose final hard decision satisfies every parity check.
    pub valid_codewords: u64,
}

impl std::ops::AddAssign for DecodeStats {
    fn add_assign(&mut self, o: Self) {
        self.frames += o.frames;
        self.iterations += o.iterations;
        self.valid_codewords += o.valid_codewords;
    }
}

/// A batched soft-input, hard-output decoder of one code.
pub trait Decoder: Send + Sync {
    /// Short name used in scheme labels and CSV rows, e.g. `"SPA-50"`.
    fn name(&self) -> String;
    /// Codeword length n this decoder expects.
    fn n(&self) -> usize;
    /// Decodes `llr.len() / n` frames; writes the hard decision on every codeword bit into `bits`
    /// (same layout, values 0/1). Must never panic on any finite or infinite LLR values.
    fn decode_batch(&self, llr: &[f32], bits: &mut [u8]) -> DecodeStats;

    /// Soft output, for receivers that weigh the decoder's reliabilities: decodes like
    /// [`Decoder::decode_batch`] and writes each bit's posterior LLR to `posterior` (same layout),
    /// whose signs are the hard decisions `decode_batch` makes. `None` (and `posterior` untouched)
    /// for decoders without soft output.
    fn decode_batch_soft(&self, _llr: &[f32], _posterior: &mut [f32]) -> Option<DecodeStats> {
        None
    }

    /// Whether every decision is a codeword (OSD's is), so that a parity check can never flag one.
    fn always_decides_codewords(&self) -> bool {
        false
    }

    /// For a decoder that weighs candidate codewords (OSD): the `max` most likely of those it
    /// considers for the one frame `llr`, least discrepancy first, the first being its decision.
    /// `None` for the others. (A list receiver picks among them with what the channel decoder does
    /// not know: the message's framing and its source's model.)
    fn list_frame(&self, _llr: &[f32], _max: usize) -> Option<Vec<ListedCodeword>> {
        None
    }
}

/// One codeword of a decoder's list ([`Decoder::list_frame`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ListedCodeword {
    /// Its n bits, in the code's order.
    pub bits: Vec<u8>,
    /// Its correlation discrepancy against the frame's hard decisions, `Σ_{j : c_j ≠ hard_j} |L_j|`:
    /// −ln of its likelihood up to a constant shared by every codeword (BPSK over a symmetric
    /// channel, exact LLRs).
    pub discrepancy: f32,
}
