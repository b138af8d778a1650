//! The unified SNR axis: charge every scheme for the channel energy it spends per message.
//!
//! Two schemes at the same Es/N0 do not spend the same energy on a message when they send different
//! numbers of symbols: a scheme that needs twice the symbols spends twice the energy (3.01 dB more).
//! The reference paper's fair axis moves each scheme's curve by that difference relative to one
//! reference scheme named in the scenario:
//!
//! ```text
//! snr_unified_db = esn0_db + 10·log10( (S · p) / (S_ref · p_ref) )
//! ```
//!
//! where S is the mean number of channel symbols per message and p the *precision charge* of one
//! symbol: 1 for a digitally modulated symbol (it carries what the modulation says), and the number
//! of bits it takes to describe a symbol for schemes that send real numbers (32 for float32: a JSCC
//! encoder's analogue symbol is charged as 32 channel uses, +15.05 dB). The reference scheme's
//! unified SNR equals its Es/N0. Energy per message over N0 is `esn0_db + 10·log10(S · p)`.
//!
//! Worked example (README): LLM-AC + LDPC(49,24) sends 7 blocks = 343 BPSK symbols per message,
//! Huffman + the same code 11 blocks = 539. With LLM-AC as reference, Huffman's point at
//! Es/N0 = 2 dB sits at 2 + 10·log10(539/343) = 3.96 dB on the unified axis.

/// How a scheme uses the channel per message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelUse {
    /// Mean channel symbols per message.
    pub symbols_per_message: f64,
    /// Precision charge per symbol (1 for digital symbols, 32 for float32 values).
    pub precision_bits: f64,
}

impl ChannelUse {
    pub fn digital(symbols_per_message: f64) -> Self {
        ChannelUse { symbols_per_message, precision_bits: 1.0 }
    }

    /// 10·log10 of the charged channel uses per message.
    pub fn uses_db(&self) -> f64 {
        10.0 * (self.symbols_per_message * self.precision_bits).log10()
    }
}

/// Energy per message over N0, in dB.
pub fn energy_per_message_db(esn0_db: f64, scheme: ChannelUse) -> f64 {
    esn0_db + scheme.uses_db()
}

/// The scheme's Es/N0 moved onto the reference scheme's axis.
pub fn unified_snr_db(esn0_db: f64, scheme: ChannelUse, reference: ChannelUse) -> f64 {
    esn0_db + scheme.uses_db() - reference.uses_db()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_the_readme() {
        let llm = ChannelUse::digital(343.0);
        let huffman = ChannelUse::digital(539.0);
        let u = unified_snr_db(2.0, huffman, llm);
        assert!((u - 3.963).abs() < 1e-3, "{u}");
        assert_eq!(unified_snr_db(2.0, llm, llm), 2.0);
    }

    #[test]
    fn twice_the_symbols_costs_3_01_db_and_float32_costs_15_05_db() {
        let r = ChannelUse::digital(100.0);
        assert!((unified_snr_db(0.0, ChannelUse::digital(200.0), r) - 3.0103).abs() < 1e-4);
        let float = ChannelUse { symbols_per_message: 100.0, precision_bits: 32.0 };
        assert!((unified_snr_db(0.0, float, r) - 15.0515).abs() < 1e-4);
        assert!((energy_per_message_db(-20.0, r) - 0.0).abs() < 1e-12);
    }
}
