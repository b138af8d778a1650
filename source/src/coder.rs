//! The source-coding stage boundary: [`SourceCoder`] turns one message into bits and back.
//!
//! A message is coded on its own (no state carried between messages), so a receiver can decode
//! each frame independently. Decoding never fails: a corrupted bitstream is normal input for a
//! receiver, so [`SourceCoder::decode`] returns whatever text it recovered together with the
//! reason it stopped ([`StopReason`]).
//!
//! Modality-agnostic core: [`SymbolModel`] gives integer frequencies for the next symbol given
//! the symbols so far; [`encode_symbols`] / [`decode_symbols`] drive the arithmetic coder with
//! it. Text tokenisation lives one layer up (the LM coders), so an image or audio source is a
//! new `SymbolModel` plus its own symboliser, not a rewrite.

use crate::arithmetic::{ArithmeticDecoder, ArithmeticEncoder};
use crate::list_decoding::{ListChoice, ListConfig, SoftPayload};
use crate::quantize::FrequencyTable;
use crate::SourceError;

/// A bit vector, one `u8` per bit (0 or 1), as the channel stage consumes it.
pub type Bits = Vec<u8>;

/// Why a decoder stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The end-of-message symbol was decoded: the message is structurally complete.
    EndOfMessage,
    /// The input ran out before an end-of-message symbol (truncated or corrupted stream).
    OutOfBits,
    /// The decoder hit its symbol bound (corrupted stream that never ends).
    SymbolLimit,
    /// The bits could not be parsed at all (e.g. a corrupted zstd frame).
    Invalid,
}

/// Result of decoding one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Recovered text (lossy UTF-8 replacement where corrupted bytes are not valid UTF-8).
    pub text: String,
    pub stop: StopReason,
    /// Number of symbols decoded (tokens, words, bytes: coder specific), end symbol excluded.
    pub symbols: usize,
    /// Natural log of the model's probability of the symbols decoded (end symbol included when
    /// reached), from the integer frequencies the arithmetic decoder used: what an LM-aided
    /// receiver weighs. `None` for coders without a model.
    pub ln_prob: Option<f64>,
    /// Whether the input is exactly the arithmetic code of the symbols decoded, end symbol and
    /// termination included ([`ArithmeticDecoder::ends_exactly`]). `None` for coders that cannot
    /// tell (no arithmetic decoder, or a list decoder's choice, which read no one stream).
    pub exact: Option<bool>,
}

/// How a receiver tells that a decoded stream is intact ([`Decoded::intact`]); a scenario's
/// `framing.end_check` (`"exact"`, `"length-window"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndCheck {
    /// The stream is exactly the code of what it decoded ([`Decoded::exact`]); coders that cannot
    /// tell fall back to [`EndCheck::LengthWindow`] (for Huffman and zstd: it decoded whole).
    #[default]
    Exact,
    /// It ended on the end symbol after about as many bits as its probability is worth
    /// ([`Decoded::ends_at`]).
    LengthWindow,
}

impl EndCheck {
    pub fn is_exact(&self) -> bool {
        *self == EndCheck::Exact
    }
}

impl Decoded {
    /// True if decoding ended on the end-of-message symbol.
    pub fn complete(&self) -> bool {
        self.stop == StopReason::EndOfMessage
    }

    /// Whether decoding ended as an intact stream of `bits` bits does: on the end symbol, with the
    /// model's probability of what it decoded worth as many bits as were read, to within
    /// [`TERMINATION_SLACK_BITS`] (an arithmetic code is −log2 P bits plus its termination). A
    /// damaged stream mostly ends early (the end symbol decoded from noise) or runs past its bits.
    /// For coders without a model, [`Decoded::complete`].
    pub fn ends_at(&self, bits: usize) -> bool {
        self.complete()
            && self
                .ln_prob
                .is_none_or(|ln_p| (-ln_p / std::f64::consts::LN_2 - bits as f64).abs() <= TERMINATION_SLACK_BITS)
    }

    /// Whether this decoding of a `bits`-bit stream is that of an intact stream, by `check`.
    pub fn intact(&self, bits: usize, check: EndCheck) -> bool {
        match (check, self.exact) {
            (EndCheck::Exact, Some(exact)) => self.complete() && exact,
            _ => self.ends_at(bits),
        }
    }
}

/// How far an intact arithmetic-coded stream's length may be from −log2 of its probability
/// (measured: at most 2.0 bits over 500 Europarl sentences with the small LM, `small_lm` tests).
pub const TERMINATION_SLACK_BITS: f64 = 3.0;

/// A lossless source coder for text messages.
pub trait SourceCoder: Send + Sync {
    /// Short identifier used in reports (e.g. `smollm2-ac`, `huffman-word`).
    fn name(&self) -> String;

    /// Encode one message. Errors only for inputs the coder cannot represent or model failures.
    fn encode(&self, message: &str) -> Result<Bits, SourceError>;

    /// Decode one message; never panics, never loops without bound.
    fn decode(&self, bits: &[u8]) -> Decoded;
    /// True if decoding the bits `encode` produced always gives the message back (every coder here
    /// but a learned quantizer such as UT-quant); the link then skips decoding exact payloads.
    fn is_lossless(&self) -> bool {
        true
    }

    /// Encode many messages; LM coders may run them in lockstep or in parallel.
    fn encode_batch(&self, messages: &[&str]) -> Result<Vec<Bits>, SourceError> {
        messages.iter().map(|m| self.encode(m)).collect()
    }

    /// Decode many messages.
    fn decode_batch(&self, frames: &[&[u8]]) -> Vec<Decoded> {
        frames.iter().map(|b| self.decode(b)).collect()
    }

    /// List-decodes one message from the channel decoder's reliabilities
    /// ([`crate::list_decoding`]; `config.max_symbols` is lowered to the coder's own limit).
    /// `None` for coders without a sequential model (the receiver then keeps its plain decision).
    fn decode_list(&self, _soft: &SoftPayload, _config: ListConfig) -> Option<ListDecoded> {
        None
    }

    /// What [`Self::decode_list`]'s search would score `message` at on this burst
    /// ([`crate::list_decoding::score_message`]): a simulator, knowing the sent message, tells
    /// with it why a search did not return it. `None` for coders without a sequential model, or
    /// for a message that cannot have been sent in this burst.
    fn score_list(&self, _message: &str, _soft: &SoftPayload) -> Option<ListChoice> {
        None
    }

    /// Whether [`Self::decode_list`] can decode: the coder drives its arithmetic code with a
    /// sequential model whose paths can branch.
    fn can_decode_list(&self) -> bool {
        false
    }

    /// How many frames one worker decodes together (an LM coder's lockstep rows): callers that
    /// split a long list into `decode_batch` calls should hand over at least this many per worker,
    /// or workers sit idle.
    fn decode_group(&self) -> usize {
        1
    }
}

/// What a list decoder delivered for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct ListDecoded {
    /// The chosen message (ended on the end symbol, fitting the burst, within the penalty limit), or
    /// `None` when no path did.
    pub decoded: Option<Decoded>,
    /// Model steps the search took (one per path and symbol).
    pub model_steps: u64,
    /// The chosen message's score, ln P − penalty ([`ListChoice::score`]): against
    /// [`SourceCoder::score_list`]'s for the sent message, it tells a search that missed it.
    pub score: Option<f64>,
}

/// A sequential model of symbols: frequencies of the next symbol given the ones so far.
/// Encoder and decoder must drive it with the same calls so they see identical tables.
pub trait SymbolModel {
    /// Reset to the start of a message and return the table for the first symbol.
    fn start(&mut self) -> Result<FrequencyTable, SourceError>;
    /// Append `symbol` to the context and return the table for the following symbol.
    fn advance(&mut self, symbol: usize) -> Result<FrequencyTable, SourceError>;
}

/// Arithmetic-code one symbol `s` under `table`.
pub fn encode_symbol(encoder: &mut ArithmeticEncoder, table: &FrequencyTable, s: usize) -> Result<(), SourceError> {
    let (lo, f) = table
        .interval(s)
        .ok_or_else(|| SourceError::Symbol(format!("symbol {s} outside the model's alphabet of {}", table.len())))?;
    encoder.encode(lo, f, table.total()).map_err(|e| SourceError::Symbol(e.to_string()))
}

/// Arithmetic-code `symbols` (which must end with the model's end symbol) under `model`.
pub fn encode_symbols<M: SymbolModel + ?Sized>(model: &mut M, symbols: &[usize]) -> Result<Bits, SourceError> {
    let mut encoder = ArithmeticEncoder::new();
    let mut table = model.start()?;
    for (i, &s) in symbols.iter().enumerate() {
        encode_symbol(&mut encoder, &table, s)?;
        if i + 1 < symbols.len() {
            table = model.advance(s)?;
        }
    }
    Ok(encoder.finish())
}

/// Decode symbols until `end_symbol`, the end of the input, or `max_symbols`.
/// Returns the symbols (end symbol excluded) and why decoding stopped. Model errors stop
/// decoding with [`StopReason::Invalid`].
pub fn decode_symbols<M: SymbolModel + ?Sized>(
    model: &mut M,
    bits: &[u8],
    end_symbol: usize,
    max_symbols: usize,
) -> (Vec<usize>, StopReason) {
    let d = decode_symbols_scored(model, bits, end_symbol, max_symbols);
    (d.symbols, d.stop)
}

/// What [`decode_symbols_scored`] decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredSymbols {
    /// The symbols, end symbol excluded.
    pub symbols: Vec<usize>,
    pub stop: StopReason,
    /// Natural log of the model's probability of the symbols decoded (the end symbol included when
    /// reached), from the integer frequencies used.
    pub ln_prob: f64,
    /// Decoding ended on the end symbol and the input is exactly the code of what was decoded
    /// ([`ArithmeticDecoder::ends_exactly`]).
    pub exact: bool,
}

/// [`decode_symbols`], also scoring what it decoded and telling whether the input is exactly its
/// code ([`ScoredSymbols`]).
pub fn decode_symbols_scored<M: SymbolModel + ?Sized>(
    model: &mut M,
    bits: &[u8],
    end_symbol: usize,
    max_symbols: usize,
) -> ScoredSymbols {
    let mut decoder = ArithmeticDecoder::new(bits);
    let mut out = ScoredSymbols { symbols: Vec::new(), stop: StopReason::Invalid, ln_prob: 0.0, exact: false };
    let mut table = match model.start() {
        Ok(t) => t,
        Err(_) => return out,
    };
    loop {
        let symbol = match decoder.decode_symbol(table.cumulative()) {
            Ok(s) => s,
            Err(_) => return out,
        };
        out.ln_prob += table.ln_probability(symbol);
        if symbol == end_symbol {
            out.stop = StopReason::EndOfMessage;
            out.exact = decoder.ends_exactly();
            return out;
        }
        if decoder.exhausted() {
            out.stop = StopReason::OutOfBits;
            return out;
        }
        out.symbols.push(symbol);
        if out.symbols.len() >= max_symbols {
            out.stop = StopReason::SymbolLimit;
            return out;
        }
        table = match model.advance(symbol) {
            Ok(t) => t,
            Err(_) => return out,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Order-1 model over 4 symbols (symbol 3 = end): favours repeating the last symbol.
    struct StickyModel {
        last: Option<usize>,
    }

    impl StickyModel {
        fn table(&self) -> FrequencyTable {
            let mut f = vec![10u32, 10, 10, 5];
            if let Some(l) = self.last {
                f[l] = 70;
            }
            FrequencyTable::from_frequencies(&f).unwrap()
        }
    }

    impl SymbolModel for StickyModel {
        fn start(&mut self) -> Result<FrequencyTable, SourceError> {
            self.last = None;
            Ok(self.table())
        }
        fn advance(&mut self, symbol: usize) -> Result<FrequencyTable, SourceError> {
            self.last = Some(symbol);
            Ok(self.table())
        }
    }

    #[test]
    fn context_model_round_trips_and_stops_at_end_symbol() {
        let mut m = StickyModel { last: None };
        let msg = [0usize, 0, 0, 1, 1, 2, 0, 3];
        let bits = encode_symbols(&mut m, &msg).unwrap();
        // Extra zero padding after the message must not change the result.
        let mut padded = bits.clone();
        padded.extend(std::iter::repeat_n(0, 50));
        for input in [&bits, &padded] {
            let (out, stop) = decode_symbols(&mut m, input, 3, 1000);
            assert_eq!(stop, StopReason::EndOfMessage);
            assert_eq!(out, &msg[..7]);
        }
    }

    #[test]
    fn the_exact_end_test_refuses_streams_the_length_window_lets_through() {
        let mut m = StickyModel { last: None };
        let msg = [0usize, 0, 0, 1, 1, 2, 0, 3];
        let bits = encode_symbols(&mut m, &msg).unwrap();
        let mut decoded = |input: &[u8]| {
            let d = decode_symbols_scored(&mut m, input, 3, 1000);
            let symbols = d.symbols.len();
            Decoded { text: String::new(), stop: d.stop, symbols, ln_prob: Some(d.ln_prob), exact: Some(d.exact) }
        };
        let intact = decoded(&bits);
        assert!(intact.intact(bits.len(), EndCheck::Exact) && intact.intact(bits.len(), EndCheck::LengthWindow));
        // A padding bit: the same message, on its end symbol, within the window; not its code.
        let mut padded = bits.clone();
        padded.push(0);
        let d = decoded(&padded);
        assert_eq!((d.stop, d.symbols), (StopReason::EndOfMessage, 7));
        assert!(d.intact(padded.len(), EndCheck::LengthWindow) && !d.intact(padded.len(), EndCheck::Exact));
        // A flipped termination bit is not the code of whatever it decodes.
        let mut flipped = bits.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(!decoded(&flipped).intact(flipped.len(), EndCheck::Exact));
        // Coders that cannot tell are checked by the window.
        let unknown = Decoded { exact: None, ..d };
        assert!(unknown.intact(padded.len(), EndCheck::Exact));
    }

    #[test]
    fn out_of_alphabet_symbol_is_an_error() {
        let mut m = StickyModel { last: None };
        assert!(encode_symbols(&mut m, &[0, 7, 3]).is_err());
    }

    #[test]
    fn truncated_stream_stops_without_end_symbol() {
        let mut m = StickyModel { last: None };
        let msg: Vec<usize> = (0..200).map(|i| i % 3).chain([3]).collect();
        let bits = encode_symbols(&mut m, &msg).unwrap();
        let (out, stop) = decode_symbols(&mut m, &bits[..bits.len() / 2], 3, 10_000);
        // The zero tail may happen to decode an end symbol, but never the whole message;
        // the symbols decoded from real bits are right.
        assert!(!(stop == StopReason::EndOfMessage && out == msg[..200]));
        assert!(out.len() > 50 && out[..50] == msg[..50]);
        let (_, stop) = decode_symbols(&mut m, &bits, 3, 10);
        assert_eq!(stop, StopReason::SymbolLimit);
    }

    #[test]
    fn thousands_of_bit_flipped_messages_decode_in_bounded_time() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2024);
        let mut m = StickyModel { last: None };
        let started = std::time::Instant::now();
        let mut intact = 0;
        for trial in 0..5000 {
            let len = rng.random_range(0..60);
            let msg: Vec<usize> = (0..len).map(|_| rng.random_range(0..3)).chain([3]).collect();
            let mut bits = encode_symbols(&mut m, &msg).unwrap();
            let flips = 1 + trial % 5;
            for _ in 0..flips {
                let i = rng.random_range(0..bits.len());
                bits[i] ^= 1;
            }
            let (out, stop) = decode_symbols(&mut m, &bits, 3, 500);
            assert!(out.len() <= 500 && out.iter().all(|&s| s < 3));
            intact += (stop == StopReason::EndOfMessage && out == msg[..len]) as usize;
        }
        // A flipped bit almost always changes the message; it must never hang or panic.
        assert!(intact < 500, "{intact} of 5000 corrupted messages decoded unchanged");
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }
}
