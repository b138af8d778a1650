//! Integer arithmetic coder (Witten–Neal–Cleary, 1987) with bit-level output.
//!
//! The coder keeps a 32-bit interval `[low, high]` (inclusive) and narrows it by the cumulative
//! frequency range `[cum_low, cum_low + freq)` of each symbol out of `total`. Whenever the
//! interval lies in one half it emits the leading bit; when it straddles the middle but lies in
//! the middle two quarters it defers ("pending") one bit (the E3 scaling). All arithmetic is in
//! `u64`, so `range * cum` never overflows for `total <= MAX_TOTAL` (2^24).
//!
//! Why written here instead of `constriction`: that crate emits whole 32-bit words, which costs
//! 10–20 % on the ~200-bit messages of a sentence-level link. This coder emits single bits and
//! terminates with the textbook two bits (plus pending bits), so a message costs its information
//! content plus about 2 bits.
//!
//! Exactness: after renormalisation the range exceeds a quarter (2^30), so every symbol with
//! `freq >= 1` out of `total <= 2^24` gets a non-empty sub-interval (range * freq / total >= 64).
//!
//! Robust decoding: the decoder reads bits past the end of its input as zeros and keeps the
//! invariant `low <= value <= high` for *any* input, so every call returns a valid symbol.
//! It counts how many real input bits were needed ([`ArithmeticDecoder::exhausted`]) so callers
//! can stop a corrupted message instead of decoding forever.
//!
//! Exact end test: the decoder runs the encoder beside itself on the intervals it consumes, so
//! once it has decoded a message it can tell, without a model call, whether the input is exactly
//! that message's code, termination included ([`ArithmeticDecoder::ends_exactly`]). Since `value`
//! always lies in `[low, high]`, the bits the encoder emits agree with the input wherever the
//! input was read; what the test decides is whether the code ends where the input does, with the
//! input's termination bits.

use std::fmt;

/// Bits of state in the coder interval.
pub(crate) const STATE_BITS: u32 = 32;
const FULL: u64 = (1 << STATE_BITS) - 1;
const HALF: u64 = 1 << (STATE_BITS - 1);
const QUARTER: u64 = 1 << (STATE_BITS - 2);
const THREE_QUARTERS: u64 = 3 * QUARTER;

/// Largest frequency total the coder accepts (keeps every symbol's interval non-empty).
pub const MAX_TOTAL: u32 = 1 << 24;

/// A symbol's interval was malformed (caller bug, never caused by input bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalError {
    pub cum_low: u32,
    pub freq: u32,
    pub total: u32,
}

impl fmt::Display for IntervalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid arithmetic-coding interval: cum_low={} freq={} total={} (need freq>=1, cum_low+freq<=total<={})",
            self.cum_low, self.freq, self.total, MAX_TOTAL
        )
    }
}

impl std::error::Error for IntervalError {}

fn check_interval(cum_low: u32, freq: u32, total: u32) -> Result<(), IntervalError> {
    let ok = freq >= 1 && total <= MAX_TOTAL && (cum_low as u64) + (freq as u64) <= total as u64;
    if ok {
        Ok(())
    } else {
        Err(IntervalError { cum_low, freq, total })
    }
}

/// Narrow `[low, high]` to the sub-interval of `[cum_low, cum_low+freq)` out of `total`.
#[inline]
fn narrow(low: u64, high: u64, cum_low: u32, freq: u32, total: u32) -> (u64, u64) {
    let range = high - low + 1;
    let total = total as u64;
    let new_high = low + range * (cum_low as u64 + freq as u64) / total - 1;
    let new_low = low + range * cum_low as u64 / total;
    (new_low, new_high)
}

/// The encoder's interval and its pending (E3) bits, without the output: small and `Copy`, so a
/// search over symbol sequences ([`crate::list_decoding`]) can branch it freely. Every encoder
/// runs through [`EncoderState::encode`], so a branch emits exactly the bits
/// [`ArithmeticEncoder`] would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderState {
    low: u64,
    high: u64,
    pending: u64,
    /// Bits emitted so far (pending ones not included).
    emitted: usize,
}

impl Default for EncoderState {
    fn default() -> Self {
        Self::new()
    }
}

impl EncoderState {
    pub fn new() -> Self {
        Self { low: 0, high: FULL, pending: 0, emitted: 0 }
    }

    /// Number of bits emitted so far (pending bits not included).
    pub fn emitted(&self) -> usize {
        self.emitted
    }

    /// The interval `[low, high]`, in units of 2^-32 of the current scale.
    pub fn interval(&self) -> (u64, u64) {
        (self.low, self.high)
    }

    /// Bits deferred by E3 scalings, to be emitted after the next decided bit.
    pub fn pending(&self) -> usize {
        self.pending as usize
    }

    /// Emits `bit` then the pending opposite bits, handing each to `out` until it returns false.
    fn emit(&mut self, bit: u8, out: &mut impl FnMut(u8) -> bool) -> bool {
        self.emitted += 1 + self.pending as usize;
        let pending = std::mem::take(&mut self.pending);
        if !out(bit) {
            return false;
        }
        (0..pending).all(|_| out(1 - bit))
    }

    /// Narrows to the symbol `[cum_low, cum_low + freq)` out of `total` and renormalises, handing
    /// each emitted bit to `out` in order. If `out` returns false the encoding stops there and the
    /// state is meaningless (a search abandoning a branch); returns whether it ran to the end.
    pub fn encode(
        &mut self,
        cum_low: u32,
        freq: u32,
        total: u32,
        mut out: impl FnMut(u8) -> bool,
    ) -> Result<bool, IntervalError> {
        check_interval(cum_low, freq, total)?;
        let (low, high) = narrow(self.low, self.high, cum_low, freq, total);
        self.low = low;
        self.high = high;
        loop {
            if self.high < HALF {
                if !self.emit(0, &mut out) {
                    return Ok(false);
                }
            } else if self.low >= HALF {
                if !self.emit(1, &mut out) {
                    return Ok(false);
                }
                self.low -= HALF;
                self.high -= HALF;
            } else if self.low >= QUARTER && self.high < THREE_QUARTERS {
                self.pending += 1;
                self.low -= QUARTER;
                self.high -= QUARTER;
            } else {
                break;
            }
            self.low <<= 1;
            self.high = (self.high << 1) | 1;
        }
        Ok(true)
    }

    /// The termination: two more bits (plus pending ones) that select a point inside the final
    /// interval, assuming the decoder reads zeros past the end; handed to `out` as by [`Self::encode`].
    pub fn finish(mut self, mut out: impl FnMut(u8) -> bool) -> bool {
        self.pending += 1;
        let bit = if self.low < QUARTER { 0 } else { 1 };
        self.emit(bit, &mut out)
    }
}

/// Encodes symbols given as cumulative-frequency intervals into a bit vector (one `u8` 0/1 per bit).
#[derive(Debug, Clone, Default)]
pub struct ArithmeticEncoder {
    state: EncoderState,
    bits: Vec<u8>,
}

impl ArithmeticEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Encode one symbol occupying `[cum_low, cum_low + freq)` out of `total`.
    pub fn encode(&mut self, cum_low: u32, freq: u32, total: u32) -> Result<(), IntervalError> {
        let bits = &mut self.bits;
        self.state.encode(cum_low, freq, total, |b| {
            bits.push(b);
            true
        })?;
        Ok(())
    }

    /// Number of bits emitted so far (pending bits not included).
    pub fn bits_emitted(&self) -> usize {
        self.bits.len()
    }

    /// Terminate the code: two more bits (plus pending ones) select a point inside the final
    /// interval, assuming the decoder reads zeros past the end.
    pub fn finish(mut self) -> Vec<u8> {
        let bits = &mut self.bits;
        self.state.finish(|b| {
            bits.push(b);
            true
        });
        self.bits
    }
}

/// Decodes symbols from a bit slice. Bits past the end read as zero; any non-zero byte is a 1.
#[derive(Debug, Clone)]
pub struct ArithmeticDecoder<'a> {
    bits: &'a [u8],
    /// Index of the next bit to read (may exceed `bits.len()`).
    position: usize,
    low: u64,
    high: u64,
    value: u64,
    /// The encoder run on the intervals consumed so far ([`Self::ends_exactly`]).
    mirror: EncoderState,
    /// Whether every bit `mirror` emitted equals the input's bit at its place.
    mirrored: bool,
}

impl<'a> ArithmeticDecoder<'a> {
    pub fn new(bits: &'a [u8]) -> Self {
        let mut decoder =
            Self { bits, position: 0, low: 0, high: FULL, value: 0, mirror: EncoderState::new(), mirrored: true };
        for _ in 0..STATE_BITS {
            decoder.value = (decoder.value << 1) | decoder.next_bit();
        }
        decoder
    }

    fn next_bit(&mut self) -> u64 {
        let bit = match self.bits.get(self.position) {
            Some(&b) => (b != 0) as u64,
            None => 0,
        };
        self.position += 1;
        bit
    }

    /// The cumulative-frequency target in `[0, total)` that identifies the next symbol.
    pub fn target(&self, total: u32) -> u32 {
        let total = total.clamp(1, MAX_TOTAL) as u64;
        let range = self.high - self.low + 1;
        // The invariant low <= value <= high holds for every input, so this is < total;
        // the `min` only guards against a logic error turning into an out-of-bounds index.
        let offset = self.value.saturating_sub(self.low);
        let target = ((offset + 1) * total - 1) / range;
        target.min(total - 1) as u32
    }

    /// Consume the symbol whose interval `[cum_low, cum_low + freq)` contains [`Self::target`].
    pub fn consume(&mut self, cum_low: u32, freq: u32, total: u32) -> Result<(), IntervalError> {
        let (input, mut at, mut mirrored) = (self.bits, self.mirror.emitted(), self.mirrored);
        self.mirror.encode(cum_low, freq, total, |b| {
            mirrored &= matches_input(input, at, b);
            at += 1;
            true
        })?;
        self.mirrored = mirrored;
        let (low, high) = narrow(self.low, self.high, cum_low, freq, total);
        self.low = low;
        self.high = high;
        loop {
            if self.high < HALF {
                // nothing to subtract
            } else if self.low >= HALF {
                self.low -= HALF;
                self.high -= HALF;
                self.value -= HALF.min(self.value);
            } else if self.low >= QUARTER && self.high < THREE_QUARTERS {
                self.low -= QUARTER;
                self.high -= QUARTER;
                self.value -= QUARTER.min(self.value);
            } else {
                break;
            }
            self.low <<= 1;
            self.high = (self.high << 1) | 1;
            self.value = ((self.value << 1) | self.next_bit()) & FULL;
        }
        Ok(())
    }

    /// Decode one symbol from a cumulative table (`cumulative[s]..cumulative[s+1]` is symbol `s`;
    /// `cumulative[0] == 0`, last entry is the total). Returns the symbol index.
    pub fn decode_symbol(&mut self, cumulative: &[u32]) -> Result<usize, IntervalError> {
        let total = *cumulative.last().unwrap_or(&0);
        if cumulative.len() < 2 || cumulative[0] != 0 {
            return Err(IntervalError { cum_low: 0, freq: 0, total });
        }
        let target = self.target(total);
        // Largest s with cumulative[s] <= target; zero-frequency symbols are skipped naturally.
        let symbol = cumulative.partition_point(|&c| c <= target) - 1;
        let symbol = symbol.min(cumulative.len() - 2);
        let (lo, hi) = (cumulative[symbol], cumulative[symbol + 1]);
        self.consume(lo, hi.saturating_sub(lo), total)?;
        Ok(symbol)
    }

    /// Whether the input is exactly the code of the symbols decoded so far: encoding them and
    /// terminating gives every input bit and no more. A receiver's exact test that a decoded message
    /// is the one a stream of this length carries; it needs no model call, as the encoder's
    /// intervals are the ones the decoder consumed.
    pub fn ends_exactly(&self) -> bool {
        let (mut at, mut mirrored) = (self.mirror.emitted(), self.mirrored);
        self.mirror.finish(|b| {
            mirrored &= matches_input(self.bits, at, b);
            at += 1;
            true
        });
        mirrored && at == self.bits.len()
    }

    /// Bits read so far, counting the initial look-ahead of 32 bits.
    pub fn bits_read(&self) -> usize {
        self.position
    }

    /// True once the decoder has shifted in more bits than the input holds beyond its initial
    /// look-ahead, i.e. past the point where any message encoded into `bits.len()` bits ends.
    /// (An encoder's final symbol is decoded after at most `len - 2` shifts.)
    pub fn exhausted(&self) -> bool {
        self.position > self.bits.len() + STATE_BITS as usize
    }
}

/// Whether `bits[at]` exists and is `bit` (any non-zero byte reads as 1, as the decoder reads it).
fn matches_input(bits: &[u8], at: usize, bit: u8) -> bool {
    bits.get(at).is_some_and(|&b| (b != 0) as u8 == bit)
}

/// Build a cumulative table (length `freqs.len() + 1`) from symbol frequencies.
pub fn cumulative_from_frequencies(freqs: &[u32]) -> Vec<u32> {
    let mut cumulative = Vec::with_capacity(freqs.len() + 1);
    let mut sum = 0u32;
    cumulative.push(0);
    for &f in freqs {
        sum = sum.saturating_add(f);
        cumulative.push(sum);
    }
    cumulative
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn encode_all(symbols: &[usize], cumulative: &[u32]) -> Vec<u8> {
        let total = *cumulative.last().unwrap();
        let mut enc = ArithmeticEncoder::new();
        for &s in symbols {
            enc.encode(cumulative[s], cumulative[s + 1] - cumulative[s], total).unwrap();
        }
        enc.finish()
    }

    fn information_bits(symbols: &[usize], cumulative: &[u32]) -> f64 {
        let total = *cumulative.last().unwrap() as f64;
        symbols.iter().map(|&s| -(((cumulative[s + 1] - cumulative[s]) as f64) / total).log2()).sum()
    }

    #[test]
    fn textbook_two_symbol_example_round_trips() {
        // p(a)=3/4, p(b)=1/4; "aaab" carries 3*0.415+2 = 3.245 bits.
        let cumulative = vec![0, 3, 4];
        let symbols = [0, 0, 0, 1];
        let bits = encode_all(&symbols, &cumulative);
        assert!(bits.len() <= 3 + 2 + 1, "{} bits", bits.len());
        let mut dec = ArithmeticDecoder::new(&bits);
        let out: Vec<usize> = (0..4).map(|_| dec.decode_symbol(&cumulative).unwrap()).collect();
        assert_eq!(out, symbols);
    }

    #[test]
    fn single_symbol_with_certainty_costs_only_termination() {
        // freq == total: zero information, so the message is just the 2 termination bits.
        let cumulative = vec![0, 10];
        let bits = encode_all(&[0; 100], &cumulative);
        assert_eq!(bits.len(), 2);
    }

    #[test]
    fn random_tables_round_trip_and_cost_near_entropy() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for trial in 0..300 {
            let alphabet = rng.random_range(1..300usize);
            let total_cap = if trial % 3 == 0 { MAX_TOTAL } else { 1 << 16 };
            let freqs: Vec<u32> =
                (0..alphabet).map(|_| rng.random_range(1..=(total_cap / alphabet as u32).max(1))).collect();
            let cumulative = cumulative_from_frequencies(&freqs);
            let len = rng.random_range(0..400);
            let symbols: Vec<usize> = (0..len).map(|_| rng.random_range(0..alphabet)).collect();
            let bits = encode_all(&symbols, &cumulative);
            assert!(bits.iter().all(|&b| b <= 1));
            let info = information_bits(&symbols, &cumulative);
            // Overhead: 2 termination bits + rounding (< 0.03 bit/symbol at these totals).
            assert!(
                (bits.len() as f64) <= info + 2.0 + 0.03 * len as f64 + 1.0,
                "trial {trial}: {} bits for {info:.1} bits of information",
                bits.len()
            );
            let mut dec = ArithmeticDecoder::new(&bits);
            for (i, &s) in symbols.iter().enumerate() {
                assert_eq!(dec.decode_symbol(&cumulative).unwrap(), s, "trial {trial} symbol {i}");
                assert!(!dec.exhausted(), "trial {trial}: exhausted before the last symbol");
            }
        }
    }

    #[test]
    fn skewed_distribution_is_coded_at_its_entropy() {
        // 10,000 symbols from p = (0.9, 0.05, 0.05): entropy 0.569 bit/symbol.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let cumulative = vec![0, 900, 950, 1000];
        let symbols: Vec<usize> = (0..10_000)
            .map(|_| match rng.random_range(0..1000) {
                0..900 => 0,
                900..950 => 1,
                _ => 2,
            })
            .collect();
        let bits = encode_all(&symbols, &cumulative);
        let info = information_bits(&symbols, &cumulative);
        assert!((bits.len() as f64 - info).abs() < 4.0, "{} vs {info}", bits.len());
        let mut dec = ArithmeticDecoder::new(&bits);
        for &s in &symbols {
            assert_eq!(dec.decode_symbol(&cumulative).unwrap(), s);
        }
    }

    #[test]
    fn invalid_intervals_are_errors_not_panics() {
        let mut enc = ArithmeticEncoder::new();
        assert!(enc.encode(0, 0, 10).is_err());
        assert!(enc.encode(5, 6, 10).is_err());
        assert!(enc.encode(0, 1, MAX_TOTAL + 1).is_err());
        let bits = [1u8, 0, 1];
        let mut dec = ArithmeticDecoder::new(&bits);
        assert!(dec.decode_symbol(&[]).is_err());
        assert!(dec.decode_symbol(&[1, 2]).is_err());
    }

    /// The exact end test against the encoder itself: after any number of symbols decoded from
    /// any input, the decoder says it ends exactly iff encoding the decoded symbols gives the input.
    #[test]
    fn ends_exactly_iff_the_decoded_symbols_encode_to_the_input() {
        let mut rng = ChaCha8Rng::seed_from_u64(19);
        let (mut exact, mut garbage_exact) = (0, 0);
        for trial in 0..3000 {
            let alphabet = rng.random_range(2..40usize);
            let freqs: Vec<u32> = (0..alphabet).map(|_| rng.random_range(1..500)).collect();
            let cumulative = cumulative_from_frequencies(&freqs);
            let len = rng.random_range(0..60);
            let symbols: Vec<usize> = (0..len).map(|_| rng.random_range(0..alphabet)).collect();
            let code = encode_all(&symbols, &cumulative);
            let mut input = code.clone();
            match trial % 4 {
                0 => {}
                1 => {
                    let i = rng.random_range(0..input.len());
                    input[i] ^= 1;
                }
                2 => input.push(rng.random_range(0..2)),
                _ => input = (0..input.len()).map(|_| rng.random_range(0..2)).collect(),
            }
            let mut dec = ArithmeticDecoder::new(&input);
            let mut decoded = Vec::new();
            for _ in 0..len + 3 {
                let agrees = encode_all(&decoded, &cumulative) == input;
                assert_eq!(dec.ends_exactly(), agrees, "trial {trial} after {} symbols", decoded.len());
                if decoded.len() == len && trial % 4 == 0 {
                    assert!(agrees, "trial {trial}: an intact code must end exactly");
                    exact += 1;
                }
                garbage_exact += (agrees && trial % 4 == 3) as usize;
                decoded.push(dec.decode_symbol(&cumulative).unwrap());
            }
        }
        assert_eq!(exact, 750);
        // Random bits are rarely the whole code of a prefix of what they decode to.
        assert!(garbage_exact < 75, "{garbage_exact}");
    }

    #[test]
    fn garbage_bits_always_decode_to_valid_symbols_and_exhaust() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..500 {
            let alphabet = rng.random_range(2..50usize);
            let freqs: Vec<u32> = (0..alphabet).map(|_| rng.random_range(1..1000)).collect();
            let cumulative = cumulative_from_frequencies(&freqs);
            let n = rng.random_range(0..200);
            let bits: Vec<u8> = (0..n).map(|_| rng.random_range(0..=255u8)).collect();
            let mut dec = ArithmeticDecoder::new(&bits);
            let mut steps = 0;
            // Every symbol here costs > 0 bits, so the decoder must exhaust its input in
            // bounded steps (each symbol shifts >= log2(total/max_freq) bits on average).
            while !dec.exhausted() {
                let s = dec.decode_symbol(&cumulative).unwrap();
                assert!(s < alphabet);
                steps += 1;
                assert!(steps < 100_000, "decoder failed to make progress");
            }
        }
    }
}
