//! Soft-input list decoding of an arithmetic-coded message: the language model and the channel
//! decoder's reliabilities choose the message together.
//!
//! The search runs on the *encoder's* side, as sequential decoders of arithmetic codes do
//! (Pettijohn, Hoffman & Sayood, "Joint source/channel coding using arithmetic codes", IEEE Trans.
//! Commun. 2001; Grangetto, Cosman & Olmo, "Joint source/channel coding and MAP decoding of
//! arithmetic codes", IEEE Trans. Commun. 2005): a path is a symbol sequence; extending it by a
//! symbol runs the arithmetic *encoder* ([`EncoderState`]) one step, which emits exactly the bits
//! a transmitter sending that sequence would have sent.
//!
//! **What is maximised.** With L_p the channel decoder's posterior LLR at position p (positive:
//! 0) and h_p its hard decision, ln P(b | y) = ln σ(|L_p|) − [b ≠ h_p]·|L_p|. Over a burst every
//! message covers the same positions (length header, payload, zero padding to whole blocks), so
//! the log of the joint probability of a message and what was received is, up to a constant,
//!
//! ```text
//! score = ln P_LM(message, end symbol) − penalty,   penalty = Σ_p [b_p ≠ h_p] · |L_p|
//! ```
//!
//! (the LLRs treated as independent observations, which BP's posteriors approximate). The
//! decoder returns the complete path with the best score it finds. When the receiver can re-encode
//! blocks ([`PayloadBlocks`]), the sum also runs over the parity bits of every block: a path's
//! information bits fix its codewords, so a block the path completes adds the penalty of its parity
//! positions, the code's own redundancy turned against paths that went wrong (a soft syndrome
//! check).
//!
//! **M-algorithm.** All paths advance one symbol per level; every child of every path is scored,
//! and the `beam` best incomplete children survive. One level costs the model `beam` steps, run
//! together ([`PathModel::branch`]: an LM's lockstep rows). A child whose bits would run past the
//! burst dies. A child that takes the end symbol is terminated as the encoder terminates
//! ([`EncoderState::finish`]), its padding is scored, and [`SoftPayload::end_penalty`] adds what
//! the framing knows of its length (the header's bits, and that the length needs exactly the
//! blocks that arrived). A message of a length both ends know ([`MessageEnd::Length`]: an image
//! tile's subpixels) has no end symbol: a path is complete, and terminated, at that length.
//!
//! **Ranking.** Children are ranked by the penalty of their bits so far plus the least penalty any
//! continuation must still pay ([`future_penalty`]): whatever follows, the code continues with
//! the binary expansion of a point of the path's current interval, so the cheapest point (32 bits,
//! found digit by digit) bounds the next positions. At equal symbol depth the intervals of
//! different paths are disjoint, so without noise exactly one path (the hard decisions' decoding)
//! has rank 0, and the others rank by how much they must disagree with the channel. Ties go to
//! the more probable path, then to the earlier parent and symbol, so the search is deterministic.
//! The blocks' parity is left out of the rank (paths at one symbol depth have completed different
//! numbers of blocks; ranking with it lost right paths, 55 against 63 of 150 in the toy-code
//! test) but counts in the penalty limit and in the score.
//!
//! **Penalty limit: knowing when not to choose.** Every bit string decodes to some message (see
//! below), so a list decoder that always answers turns almost every failure into an *undetected*
//! error. The search therefore keeps only paths whose penalty (with its least future part) stays
//! within `max_penalty` nats, and answers nothing when no complete path does: the receiver keeps
//! its plain decision and flags the message. Measured with the small LM over uncoded BPSK at
//! σ = 0.4, beam 8, on the 185 of the first 300 test sentences that hard decisions lose: every
//! right choice disagreed with the channel by under 9 nats; a limit of 10 keeps all 125 right
//! choices and leaves 3 wrong ones instead of 60. With the blocks' parity weighed as well (LDPC
//! over AWGN, `results/reference/list-awgn`), no wrong choice is left unflagged at all. The limit
//! also prunes: a path past it is dropped however good its rank. `first_beam` < `beam` runs the
//! search again with a doubled beam while nothing is found (measured more costly than one wide
//! search on the link: most messages that the narrow beam cannot decide, the wide one cannot
//! either).
//!
//! **What the LM can and cannot do here.** An arithmetic code driven by the receiver's own model
//! leaves almost no redundancy: every bit string decodes to *some* fluent text, and along any
//! path ln P_LM ≈ −(bits emitted)·ln 2. A path that took a wrong turn at a bit error therefore
//! keeps decoding plausible text that the received bits cannot contradict; only the end of the
//! message (end symbol, termination, length header, padding) tells it apart. Ranking by
//! `ln P − rank` was tried and is worse (small LM, 60 sentences at σ = 0.4: 9 recovered against
//! 50 by rank): the fluent wrong paths consume fewer bits per symbol and look more probable at
//! equal depth. The list is thus a list decoder whose "CRC" is the framing, and it needs room for
//! the path with the true errors flipped beside the cheaper wrong ones (about 2^(unreliable
//! errors) of them): with SmolLM2 and 3 unreliable errors per sentence, beam 8 recovered 4 of 6
//! sentences and beam 16 all 6 (`tests/smollm2.rs`).
//!
//! **Exact pruning and stopping.** A child's penalty only grows as its bits come out, so it is
//! abandoned as soon as its bits' penalty exceeds the worst rank of a full beam, or its whole
//! penalty the limit; this changes nothing in the result (tested against the search without these
//! cutoffs). A path whose score can no longer beat the best complete one (its final score is at
//! most ln P now − penalty − least future penalty) is dropped. The search ends when the beam dies
//! out (every path eventually runs past the burst or the limit), or at `max_symbols`.

use crate::arithmetic::EncoderState;
use crate::quantize::FrequencyTable;
use crate::SourceError;

/// A model whose paths advance a symbol at a time and fork freely: what the list decoder needs.
pub trait PathModel {
    /// Forget every path and start one, at the start of a message; returns its first table.
    fn root(&mut self) -> Result<FrequencyTable, SourceError>;
    /// Replace the paths by new ones: new path `i` is old path `parents[i]` followed by
    /// `symbols[i]` (a parent may appear several times, or not at all). Returns each new path's
    /// table for its next symbol, computed exactly as a single session would (the encoder's).
    fn branch(&mut self, parents: &[usize], symbols: &[usize]) -> Result<Vec<FrequencyTable>, SourceError>;
}

/// What the receiver knows about one message's payload.
pub struct SoftPayload<'a> {
    /// Posterior LLR (positive: bit 0) of every payload position the burst holds, from the first
    /// bit after the length header to the end of the last block.
    pub llrs: &'a [f32],
    /// For a complete payload (its bits, termination included): the penalty of what the framing
    /// adds outside the window (Σ |L| over the length header's bits that differ from their hard
    /// decisions) and of the blocks' parity the search did not score (see [`PayloadBlocks`]), or
    /// `None` if a payload of that length could not have been sent in this burst. The zero
    /// padding after the payload lies in the window and is scored by the decoder.
    pub end_penalty: &'a (dyn Fn(&[u8]) -> Option<f64> + Sync),
    /// The channel code's blocks, when the receiver can weigh a path's parity bits.
    pub blocks: Option<PayloadBlocks<'a>>,
}

/// The channel code's blocks over a framed message: a path's information bits fix each block's
/// parity bits, which the channel decoder also received. Scoring them as soon as a block is
/// complete turns the code's redundancy against paths that went wrong, as a syndrome check would.
#[derive(Clone, Copy)]
pub struct PayloadBlocks<'a> {
    /// Frame positions before the payload's first bit (the length header).
    pub offset: usize,
    /// Information bits per block.
    pub size: usize,
    /// The penalty of block `i`'s parity positions (Σ |L| where they differ from the hard
    /// decisions) when its information bits are `bits`.
    pub penalty: &'a (dyn Fn(usize, &[u8]) -> f64 + Sync),
}

impl PayloadBlocks<'_> {
    /// Whether the search scores block `i` of a payload of `payload_bits` bits: the blocks that
    /// hold only payload bits, none of the header nor of the padding. `end_penalty` scores the
    /// others.
    pub fn scored_by_search(&self, i: usize, payload_bits: usize) -> bool {
        i * self.size >= self.offset && (i + 1) * self.size <= self.offset + payload_bits
    }

    /// The block that payload position `p` completes, if it is the last bit of one the search
    /// scores.
    fn completed_at(&self, p: usize) -> Option<usize> {
        let end = self.offset + p + 1;
        (end.is_multiple_of(self.size) && end - self.size >= self.offset).then(|| end / self.size - 1)
    }
}

/// The search's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListConfig {
    /// Incomplete paths kept per level (M), at most.
    pub beam: usize,
    /// The beam of the first search: while no message within `max_penalty` is found, the search
    /// is run again with the beam doubled, up to `beam` (= `beam`: one search).
    pub first_beam: usize,
    /// Most symbols a path may hold (the end symbol not counted); a coder lowers it to its own
    /// limit on a message's length.
    pub max_symbols: usize,
    /// The most penalty (nats) a chosen message may have: paths that must disagree more with the
    /// channel are abandoned, and a message with none under it is left undecided (see the module
    /// docs). `f64::INFINITY` searches without a limit.
    pub max_penalty: f64,
}

/// The message a list decoder chose.
#[derive(Debug, Clone, PartialEq)]
pub struct ListChoice {
    /// Its symbols, the end symbol excluded.
    pub symbols: Vec<usize>,
    /// Bits of its arithmetic code, termination included (the payload length it implies).
    pub payload_bits: usize,
    /// ln P of its symbols (end symbol included) under the model's integer frequencies.
    pub ln_prob: f64,
    /// Σ |L| over every framed position (header, payload, padding) where its bits differ from
    /// the hard decisions.
    pub penalty: f64,
}

impl ListChoice {
    /// `ln_prob − penalty`: the log of the joint probability of the message and what was
    /// received, up to a constant shared by every message (see the module docs).
    pub fn score(&self) -> f64 {
        self.ln_prob - self.penalty
    }
}

/// A list decoder's result: the best complete path, if any fitted the burst, and the work done.
#[derive(Debug, Clone, PartialEq)]
pub struct ListResult {
    pub choice: Option<ListChoice>,
    /// Model steps taken (paths advanced by one symbol, summed over levels).
    pub model_steps: u64,
}

/// A path of the search.
#[derive(Debug, Clone)]
struct Path {
    symbols: Vec<usize>,
    /// The payload bits emitted so far.
    bits: Vec<u8>,
    encoder: EncoderState,
    ln_prob: f64,
    /// Σ |L| over the emitted bits that differ from the hard decisions, and over the parity bits
    /// of the blocks they complete.
    penalty: f64,
    /// The part of `penalty` of the emitted bits themselves.
    bit_penalty: f64,
}

impl Path {
    /// The empty path, at the start of a message.
    fn root() -> Path {
        Path {
            symbols: Vec::new(),
            bits: Vec::new(),
            encoder: EncoderState::new(),
            ln_prob: 0.0,
            penalty: 0.0,
            bit_penalty: 0.0,
        }
    }

    /// This path followed by `child` (one of its children).
    fn child(&self, child: Child) -> Path {
        let mut symbols = self.symbols.clone();
        symbols.push(child.symbol);
        let bits = [self.bits.as_slice(), &child.emitted].concat();
        let (ln_prob, penalty, bit_penalty) = (child.ln_prob, child.penalty, child.bit_penalty);
        Path { symbols, bits, encoder: child.encoder, ln_prob, penalty, bit_penalty }
    }
}

/// A scored child, before the model has advanced it.
#[derive(Debug, Clone)]
struct Child {
    parent: usize,
    symbol: usize,
    /// The bits its symbol emits.
    emitted: Vec<u8>,
    encoder: EncoderState,
    ln_prob: f64,
    penalty: f64,
    bit_penalty: f64,
    /// `bit_penalty` plus the least any continuation must still pay ([`future_penalty`]): the
    /// rank. (Parity is left out of the rank: paths at the same symbol depth have completed
    /// different numbers of blocks, and the ones that just paid for a block's parity would lose
    /// their place to the ones that have not yet.)
    rank: f64,
    /// `penalty` plus the same least future penalty: what its final penalty is at least.
    bound: f64,
}

impl Child {
    /// `parent` (its index and path) followed by `symbol` (coded over `table`), whose encoder now
    /// is `encoder` after emitting `emitted` at `cost`; `None` if its bound exceeds `max_penalty`
    /// or its rank `max_rank` (checked before its bits are copied: most children fail here).
    #[allow(clippy::too_many_arguments)]
    fn new(
        (parent_index, parent): (usize, &Path),
        (symbol, table): (usize, &FrequencyTable),
        encoder: EncoderState,
        cost: Cost,
        emitted: &[u8],
        rx: &Received,
        max_penalty: f64,
        max_rank: f64,
    ) -> Option<Child> {
        let (penalty, bit_penalty) = (parent.penalty + cost.total(), parent.bit_penalty + cost.bits);
        let future = future_penalty(&encoder, rx);
        let (rank, bound) = (bit_penalty + future, penalty + future);
        (bound <= max_penalty && rank <= max_rank).then(|| Child {
            parent: parent_index,
            symbol,
            emitted: emitted.to_vec(),
            encoder,
            ln_prob: parent.ln_prob + table.ln_probability(symbol),
            penalty,
            bit_penalty,
            rank,
            bound,
        })
    }

    /// The most this child's path can still score: ln P only falls and `bound` bounds the penalty.
    fn key(&self) -> f64 {
        self.ln_prob - self.bound
    }

    /// The beam's order: lower rank, then more probable, then earlier parent and symbol. (Ranking
    /// by `key` instead was measured worse: a path that went wrong keeps decoding fluent text
    /// that the received bits cannot contradict until the end, see the module docs.)
    fn before(&self, other: &Child) -> bool {
        self.rank
            .total_cmp(&other.rank)
            .then(other.ln_prob.total_cmp(&self.ln_prob))
            .then(self.parent.cmp(&other.parent))
            .then(self.symbol.cmp(&other.symbol))
            .is_lt()
    }
}

/// The `capacity` best children seen so far, best first.
struct Beam {
    capacity: usize,
    children: Vec<Child>,
}

impl Beam {
    /// The rank above which a child cannot enter (∞ while there is room).
    fn cutoff(&self) -> f64 {
        if self.children.len() < self.capacity {
            f64::INFINITY
        } else {
            self.children.last().map_or(f64::INFINITY, |c| c.rank)
        }
    }

    fn offer(&mut self, child: Child) {
        if self.children.len() == self.capacity && !self.children.last().is_some_and(|w| child.before(w)) {
            return;
        }
        let at = self.children.partition_point(|c| c.before(&child));
        self.children.insert(at, child);
        self.children.truncate(self.capacity);
    }
}

/// What was received at each payload position.
struct Received {
    /// The hard decision (1 where L < 0).
    hard: Vec<u8>,
    /// |L|: what disagreeing with the hard decision costs, in nats of likelihood.
    weight: Vec<f64>,
    /// `zero_suffix[p]`: the penalty of zeros at positions p.. (the padding after a payload).
    zero_suffix: Vec<f64>,
}

impl Received {
    fn new(llrs: &[f32]) -> Self {
        let l = |x: &f32| f64::from(*x);
        let hard: Vec<u8> = llrs.iter().map(|x| (l(x) < 0.0) as u8).collect();
        let weight: Vec<f64> = llrs.iter().map(|x| l(x).abs()).collect();
        let mut zero_suffix = vec![0.0; llrs.len() + 1];
        for p in (0..llrs.len()).rev() {
            zero_suffix[p] = zero_suffix[p + 1] + if hard[p] == 1 { weight[p] } else { 0.0 };
        }
        Received { hard, weight, zero_suffix }
    }

    /// The cost of bit `b` at `position` (nothing past the burst: no path reaches there alive).
    fn cost(&self, position: usize, b: u8) -> f64 {
        match self.hard.get(position) {
            Some(&h) if h != b => self.weight[position],
            _ => 0.0,
        }
    }

    fn len(&self) -> usize {
        self.hard.len()
    }
}

/// The least penalty any continuation of `encoder` still pays: whatever symbols follow, the code
/// continues with the binary expansion of some x in its interval `[low, high]` (32 bits), its
/// first bit followed by the pending bits, each the opposite of it. The x closest to the hard
/// decisions (weighted by |L|) is found digit by digit; once x is free of both bounds every
/// further bit can agree, so the search is linear in the 32 bits.
fn future_penalty(encoder: &EncoderState, rx: &Received) -> f64 {
    let (low, high) = encoder.interval();
    let start = encoder.emitted();
    let pending = encoder.pending();
    let bits = crate::arithmetic::STATE_BITS as usize;
    // Position of bit j of x (j = bits − 1 is the first).
    let position = |j: usize| if j == bits - 1 { start } else { start + pending + (bits - 1 - j) };
    let cost = |j: usize, c: u8| {
        let mut sum = rx.cost(position(j), c);
        if j == bits - 1 {
            sum += (1..=pending).map(|i| rx.cost(start + i, 1 - c)).sum::<f64>();
        }
        sum
    };
    // best(j, tight_low, tight_high): least cost of bits j..0 of an x in range.
    fn best(j: isize, tl: bool, th: bool, low: u64, high: u64, cost: &dyn Fn(usize, u8) -> f64) -> f64 {
        if j < 0 || (!tl && !th) {
            return 0.0;
        }
        let (lo, hi) = (((low >> j) & 1) as u8, ((high >> j) & 1) as u8);
        let mut out = f64::INFINITY;
        for c in 0..=1u8 {
            if (tl && c < lo) || (th && c > hi) {
                continue;
            }
            let rest = best(j - 1, tl && c == lo, th && c == hi, low, high, cost);
            out = out.min(cost(j as usize, c) + rest);
        }
        out
    }
    best(bits as isize - 1, true, true, low, high, &cost)
}

/// The penalty of emitting bit `b` at payload position `earlier.len() + emitted.len()` after the
/// bits `earlier` and `emitted`: its own, and the parity penalty of the block it completes.
fn emit(b: u8, earlier: &[u8], emitted: &mut Vec<u8>, rx: &Received, blocks: Option<&PayloadBlocks>) -> Cost {
    let position = earlier.len() + emitted.len();
    emitted.push(b);
    let mut cost = Cost { bits: rx.cost(position, b), parity: 0.0 };
    if let Some((blocks, i)) = blocks.and_then(|k| Some((k, k.completed_at(position)?))) {
        let start = i * blocks.size - blocks.offset;
        // The block's bits: the tail of `earlier` (sliced, not skipped through: a tile's path
        // holds thousands of bits) and the ones just emitted.
        let block = match start.checked_sub(earlier.len()) {
            Some(in_emitted) => emitted[in_emitted..].to_vec(),
            None => [&earlier[start..], emitted.as_slice()].concat(),
        };
        cost.parity = (blocks.penalty)(i, &block);
    }
    cost
}

/// Penalty, split into the emitted bits' own and their blocks' parity.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    bits: f64,
    parity: f64,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.bits += other.bits;
        self.parity += other.parity;
    }

    fn total(&self) -> f64 {
        self.bits + self.parity
    }
}

/// Runs the encoder of `parent` one symbol over `table`: returns the child's encoder and the
/// penalty of the bits it emits (left in `emitted`). `None` if the child runs past the burst, or
/// its bits' own penalty so far exceeds `rank_budget` (then it could not enter the beam), or its
/// whole penalty exceeds `budget`.
#[allow(clippy::too_many_arguments)]
fn extend(
    parent: &Path,
    table: &FrequencyTable,
    symbol: usize,
    rx: &Received,
    soft: &SoftPayload,
    rank_budget: f64,
    budget: f64,
    emitted: &mut Vec<u8>,
) -> Option<(EncoderState, Cost)> {
    let (lo, f) = table.interval(symbol)?;
    let mut encoder = parent.encoder;
    emitted.clear();
    let mut cost = Cost::default();
    let ran = encoder
        .encode(lo, f, table.total(), |b| {
            if parent.bits.len() + emitted.len() >= rx.len() {
                return false;
            }
            cost.add(emit(b, &parent.bits, emitted, rx, soft.blocks.as_ref()));
            parent.bit_penalty + cost.bits <= rank_budget && parent.penalty + cost.total() <= budget
        })
        .ok()?;
    ran.then_some((encoder, cost))
}

/// The penalty of what follows a path's end symbol (`bits`: the path's payload bits so far, the
/// end symbol's included): its termination bits, the zero padding to the end of the burst, and
/// `soft.end_penalty` of the payload; with the payload's length. `None` if the termination runs
/// past the burst or the framing rejects the payload.
fn finish(encoder: EncoderState, bits: &[u8], rx: &Received, soft: &SoftPayload) -> Option<(usize, f64)> {
    let mut termination = Vec::new();
    let mut penalty = 0.0;
    let ran = encoder.finish(|b| {
        if bits.len() + termination.len() >= rx.len() {
            return false;
        }
        penalty += emit(b, bits, &mut termination, rx, soft.blocks.as_ref()).total();
        true
    });
    if !ran {
        return None;
    }
    let payload = [bits, &termination].concat();
    Some((payload.len(), penalty + rx.zero_suffix[payload.len()] + (soft.end_penalty)(&payload)?))
}

/// How the search knows that a path is a whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageEnd {
    /// The message ends on this symbol, coded like any other (a text coder's end of message).
    Symbol(usize),
    /// The message is exactly this many symbols, a size both ends know (an image tile's
    /// subpixels): a path of that length is complete, and the encoder terminates after it.
    Length(usize),
}

impl MessageEnd {
    fn is_end_symbol(self, symbol: usize) -> bool {
        self == MessageEnd::Symbol(symbol)
    }

    /// Most symbols a path may hold under `config`.
    fn longest(self, config: &ListConfig) -> usize {
        match self {
            MessageEnd::Symbol(_) => config.max_symbols,
            MessageEnd::Length(n) => n.min(config.max_symbols),
        }
    }
}

/// List-decodes one message (see the module docs), ending as `end` says. The beam widens from
/// `config.first_beam` to `config.beam` until a message within `config.max_penalty` is found; the
/// model steps of every search are counted.
pub fn list_decode<M: PathModel + ?Sized>(
    model: &mut M,
    end: MessageEnd,
    soft: &SoftPayload,
    config: ListConfig,
) -> ListResult {
    let rx = Received::new(soft.llrs);
    let widest = config.beam.max(1);
    let mut beam = config.first_beam.clamp(1, widest);
    let mut model_steps = 0;
    loop {
        let result = search(model, end, soft, &rx, beam, config);
        model_steps += result.model_steps;
        if result.choice.is_some() || beam == widest {
            return ListResult { model_steps, ..result };
        }
        beam = (2 * beam).min(widest);
    }
}

/// The receiver's score of one given message (`symbols`, the end symbol excluded) on this burst:
/// its path followed through the search's own arithmetic (bits, penalty, parity, termination and
/// framing), with no beam, cutoff or limit. `None` if the message cannot have been sent in this
/// burst (its bits run past it, or the framing rejects its length) or the model fails.
///
/// A simulator knows the sent message, and this tells what stopped a search that did not return
/// it: a penalty over `max_penalty`, a wrong message the search found scoring at least as well (no
/// search could have chosen the sent one), or else the search missed it (a better search might not).
pub fn score_message<M: PathModel + ?Sized>(
    model: &mut M,
    end: MessageEnd,
    soft: &SoftPayload,
    symbols: &[usize],
) -> Option<ListChoice> {
    let rx = Received::new(soft.llrs);
    let mut table = model.root().ok()?;
    let mut path = Path::root();
    let mut emitted = Vec::new();
    let unlimited = f64::INFINITY;
    for (i, &symbol) in symbols.iter().enumerate() {
        if end.is_end_symbol(symbol) {
            return None;
        }
        let (encoder, cost) = extend(&path, &table, symbol, &rx, soft, unlimited, unlimited, &mut emitted)?;
        let child = Child::new((0, &path), (symbol, &table), encoder, cost, &emitted, &rx, unlimited, unlimited)?;
        path = path.child(child);
        // The next table: for the next symbol, or for the end symbol after the last.
        if i + 1 < symbols.len() || matches!(end, MessageEnd::Symbol(_)) {
            table = model.branch(&[0], &[symbol]).ok()?.pop()?;
        }
    }
    complete(&path, &table, end, &rx, soft, unlimited, &mut emitted)
}

/// `path` as a whole message, if it can be one here: followed by the end symbol (coded over
/// `table`), or as it is at the message's known length; then terminated as the encoder terminates,
/// its padding and framing scored ([`finish`]). `None` if it cannot end here, or its penalty would
/// exceed `limit`.
fn complete(
    path: &Path,
    table: &FrequencyTable,
    end: MessageEnd,
    rx: &Received,
    soft: &SoftPayload,
    limit: f64,
    emitted: &mut Vec<u8>,
) -> Option<ListChoice> {
    let (encoder, sent, penalty, ln_prob) = match end {
        MessageEnd::Symbol(e) if e < table.len() => {
            let (encoder, cost) = extend(path, table, e, rx, soft, limit, limit, emitted)?;
            let sent = [path.bits.as_slice(), emitted].concat();
            (encoder, sent, path.penalty + cost.total(), path.ln_prob + table.ln_probability(e))
        }
        MessageEnd::Length(n) if path.symbols.len() == n => {
            (path.encoder, path.bits.clone(), path.penalty, path.ln_prob)
        }
        _ => return None,
    };
    let (payload_bits, rest) = finish(encoder, &sent, rx, soft).filter(|&(_, rest)| penalty + rest <= limit)?;
    Some(ListChoice { symbols: path.symbols.clone(), payload_bits, ln_prob, penalty: penalty + rest })
}

/// One M-algorithm search with `beam_size` paths per level.
fn search<M: PathModel + ?Sized>(
    model: &mut M,
    end: MessageEnd,
    soft: &SoftPayload,
    rx: &Received,
    beam_size: usize,
    config: ListConfig,
) -> ListResult {
    let mut result = ListResult { choice: None, model_steps: 0 };
    let Ok(first) = model.root() else { return result };
    let mut paths = vec![Path::root()];
    let mut emitted = Vec::new();
    let mut tables = vec![first];
    let longest = end.longest(&config);
    for _depth in 0..=longest {
        let mut beam = Beam { capacity: beam_size, children: Vec::with_capacity(beam_size + 1) };
        for (parent_index, (parent, table)) in paths.iter().zip(&tables).enumerate() {
            // A complete path (the parent and the end symbol, or the parent at the message's
            // length): the encoder terminates, and the path is compared with the best one so far.
            if let Some(choice) = complete(parent, table, end, rx, soft, config.max_penalty, &mut emitted) {
                if result.choice.as_ref().is_none_or(|c| choice.score() > c.score()) {
                    result.choice = Some(choice);
                }
            }
            if parent.symbols.len() >= longest || parent.bit_penalty > beam.cutoff() {
                continue;
            }
            for symbol in (0..table.len()).filter(|&s| !end.is_end_symbol(s)) {
                let Some((encoder, cost)) =
                    extend(parent, table, symbol, rx, soft, beam.cutoff(), config.max_penalty, &mut emitted)
                else {
                    continue;
                };
                let (limit, cutoff) = (config.max_penalty, beam.cutoff());
                if let Some(child) =
                    Child::new((parent_index, parent), (symbol, table), encoder, cost, &emitted, rx, limit, cutoff)
                {
                    beam.offer(child);
                }
            }
        }
        // A path's final score is at most its ln P now minus its bound (ln P only falls, and
        // the bound is its penalty so far plus the least its remaining positions add): once no
        // path can beat the best complete one, the search is over.
        if let Some(best) = &result.choice {
            beam.children.retain(|c| c.key() > best.score());
        }
        if beam.children.is_empty() {
            break;
        }
        let parents: Vec<usize> = beam.children.iter().map(|c| c.parent).collect();
        let symbols: Vec<usize> = beam.children.iter().map(|c| c.symbol).collect();
        result.model_steps += symbols.len() as u64;
        tables = match model.branch(&parents, &symbols) {
            Ok(t) => t,
            Err(_) => break,
        };
        paths = beam.children.into_iter().map(|c| paths[c.parent].child(c)).collect();
    }
    result
}

/// A length-header framing and BPSK over AWGN, as the link does them, for the tests here and in
/// the coders.
#[cfg(test)]
pub(crate) mod test_framing {
    use rand::Rng;
    use rand_chacha::ChaCha8Rng;

    /// Framing as the link does it, for a burst of `window` payload positions: the penalty of the
    /// `header_llrs.len()` length bits; the payload length must need every block.
    pub fn end_penalty(header_llrs: &[f32], window: usize, block: usize) -> impl Fn(&[u8]) -> Option<f64> + Sync {
        let header_llrs = header_llrs.to_vec();
        let h = header_llrs.len();
        move |payload: &[u8]| {
            let t = payload.len();
            if t > window || (h + t).div_ceil(block) != (h + window).div_ceil(block) || t >> h != 0 {
                return None;
            }
            let wrong = |i: usize| ((t >> (h - 1 - i)) & 1 == 1) != (header_llrs[i] < 0.0);
            Some((0..h).filter(|&i| wrong(i)).map(|i| f64::from(header_llrs[i]).abs()).sum())
        }
    }

    /// A toy systematic rate-1/2 block code: the parity bits of an information block,
    /// p_j = b_j ⊕ b_(j+1) ⊕ b_(j+3) (indices modulo the block).
    pub fn toy_parity(info: &[u8]) -> Vec<u8> {
        let k = info.len();
        (0..k).map(|j| info[j] ^ info[(j + 1) % k] ^ info[(j + 3) % k]).collect()
    }

    /// BPSK over AWGN at `sigma` of each framed block's [`toy_parity`] bits (`block` per block).
    pub fn received_parity(framed: &[u8], block: usize, sigma: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let parity: Vec<u8> = framed.chunks(block).flat_map(toy_parity).collect();
        noisy(&parity, sigma, rng)
    }

    /// The penalty of block `i`'s [`toy_parity`] bits against their LLRs.
    pub fn parity_penalty(parity_llrs: &[f32], block: usize) -> impl Fn(usize, &[u8]) -> f64 + Sync + '_ {
        move |i: usize, info: &[u8]| {
            let llrs = &parity_llrs[i * block..(i + 1) * block];
            toy_parity(info)
                .iter()
                .zip(llrs)
                .filter(|(&b, &l)| b != (l < 0.0) as u8)
                .map(|(_, &l)| f64::from(l).abs())
                .sum()
        }
    }

    fn noisy(bits: &[u8], sigma: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
        bits.iter()
            .map(|&b| {
                let x = 1.0 - 2.0 * b as f64;
                // Box–Muller.
                let (u, v): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
                let n = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                (2.0 * (x + sigma * n) / (sigma * sigma)) as f32
            })
            .collect()
    }

    /// The framed bits: `header` bits of length, the payload, zeros to whole blocks.
    pub fn framed(bits: &[u8], header: usize, block: usize) -> Vec<u8> {
        let mut framed: Vec<u8> = (0..header).rev().map(|i| ((bits.len() >> i) & 1) as u8).collect();
        framed.extend_from_slice(bits);
        framed.resize(framed.len().div_ceil(block) * block, 0);
        framed
    }

    /// BPSK over AWGN at `sigma` of the framed bits; returns (header LLRs, payload-window LLRs).
    pub fn received(
        bits: &[u8],
        header: usize,
        block: usize,
        sigma: f64,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<f32>, Vec<f32>) {
        let llrs = noisy(&framed(bits, header, block), sigma, rng);
        (llrs[..header].to_vec(), llrs[header..].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::test_framing::{end_penalty, framed, parity_penalty, received, received_parity};
    use super::*;
    use crate::arithmetic::ArithmeticEncoder;
    use crate::coder::{encode_symbols, SymbolModel};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Order-1 model over 6 symbols (5 = end): each symbol favours a successor.
    #[derive(Clone)]
    struct Chain {
        last: Option<usize>,
    }

    impl Chain {
        fn table(&self) -> FrequencyTable {
            let mut f = vec![20u32, 20, 20, 20, 20, 6];
            if let Some(l) = self.last {
                f[(l + 1) % 5] = 100;
            }
            FrequencyTable::from_frequencies(&f).unwrap()
        }
    }

    impl SymbolModel for Chain {
        fn start(&mut self) -> Result<FrequencyTable, SourceError> {
            self.last = None;
            Ok(self.table())
        }
        fn advance(&mut self, symbol: usize) -> Result<FrequencyTable, SourceError> {
            self.last = Some(symbol);
            Ok(self.table())
        }
    }

    /// Paths of cloned `SymbolModel`s, counting steps.
    struct Cloned<M> {
        start: M,
        paths: Vec<M>,
    }

    impl<M: SymbolModel + Clone> PathModel for Cloned<M> {
        fn root(&mut self) -> Result<FrequencyTable, SourceError> {
            let mut m = self.start.clone();
            let t = m.start()?;
            self.paths = vec![m];
            Ok(t)
        }
        fn branch(&mut self, parents: &[usize], symbols: &[usize]) -> Result<Vec<FrequencyTable>, SourceError> {
            let mut next = Vec::new();
            let mut tables = Vec::new();
            for (&p, &s) in parents.iter().zip(symbols) {
                let mut m = self.paths[p].clone();
                tables.push(m.advance(s)?);
                next.push(m);
            }
            self.paths = next;
            Ok(tables)
        }
    }

    const END: usize = 5;

    fn message(rng: &mut ChaCha8Rng) -> Vec<usize> {
        let len = rng.random_range(3..25);
        let mut s: Vec<usize> = (0..len).map(|_| rng.random_range(0..5)).collect();
        s.push(END);
        s
    }

    fn decode(symbols_llrs: (&[f32], &[f32]), block: usize, beam: usize) -> ListResult {
        let (header, llrs) = symbols_llrs;
        let score = end_penalty(header, llrs.len(), block);
        let soft = SoftPayload { llrs, end_penalty: &score, blocks: None };
        let mut model = Cloned { start: Chain { last: None }, paths: Vec::new() };
        list_decode(
            &mut model,
            MessageEnd::Symbol(END),
            &soft,
            ListConfig { beam, first_beam: beam, max_symbols: 200, max_penalty: f64::INFINITY },
        )
    }

    #[test]
    fn branched_encoders_emit_the_encoders_bits() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let m = message(&mut rng);
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            let (header, llrs) = received(&bits, 8, 16, 1e-3, &mut rng);
            let r = decode((&header, &llrs), 16, 4);
            let choice = r.choice.expect("noiseless: the sent message fits");
            assert_eq!([choice.symbols.as_slice(), &[END]].concat(), m);
            assert_eq!(choice.payload_bits, bits.len());
            let mut enc = ArithmeticEncoder::new();
            let mut chain = Chain { last: None };
            let mut ln_p = 0.0;
            let mut table = chain.start().unwrap();
            for &s in &m {
                let (lo, f) = table.interval(s).unwrap();
                enc.encode(lo, f, table.total()).unwrap();
                ln_p += table.ln_probability(s);
                table = chain.advance(s).unwrap();
            }
            assert_eq!(enc.finish(), bits);
            assert!((choice.ln_prob - ln_p).abs() < 1e-12);
        }
    }

    #[test]
    fn the_blocks_parity_flags_wrong_choices_and_loses_no_right_ones() {
        // A rate-1/2 code over the framed blocks, at noise where its parity matters: weighing the
        // parity bits of each block a path completes recovers at least as many messages
        // (measured 65 against 63 of 150), and under a penalty limit leaves far fewer wrong
        // choices, the others undecided (measured 0 against 36).
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (h, k, sigma, limit) = (8, 16, 0.65, 8.0);
        let mut right = [0usize; 2];
        let mut wrong_limited = [0usize; 2];
        for _ in 0..150 {
            let m = message(&mut rng);
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            let (header, llrs) = received(&bits, h, k, sigma, &mut rng);
            let parity = received_parity(&framed(&bits, h, k), k, sigma, &mut rng);
            let header_penalty = end_penalty(&header, llrs.len(), k);
            let block_penalty = parity_penalty(&parity, k);
            let blocks = PayloadBlocks { offset: h, size: k, penalty: &block_penalty };
            let with_parity = |payload: &[u8]| {
                let header = header_penalty(payload)?;
                let f = framed(payload, h, k);
                let rest: f64 = (0..f.len() / k)
                    .filter(|&i| !blocks.scored_by_search(i, payload.len()))
                    .map(|i| block_penalty(i, &f[i * k..(i + 1) * k]))
                    .sum();
                Some(header + rest)
            };
            let plain = SoftPayload { llrs: &llrs, end_penalty: &header_penalty, blocks: None };
            let coded = SoftPayload { llrs: &llrs, end_penalty: &with_parity, blocks: Some(blocks) };
            for (v, soft) in [plain, coded].iter().enumerate() {
                let run = |max_penalty: f64| {
                    let config = ListConfig { beam: 8, first_beam: 8, max_symbols: 200, max_penalty };
                    let r = list_decode(
                        &mut Cloned { start: Chain { last: None }, paths: Vec::new() },
                        MessageEnd::Symbol(END),
                        soft,
                        config,
                    );
                    r.choice.map(|c| [c.symbols.as_slice(), &[END]].concat() == m)
                };
                right[v] += (run(f64::INFINITY) == Some(true)) as usize;
                wrong_limited[v] += (run(limit) == Some(false)) as usize;
            }
        }
        eprintln!("right without / with parity: {right:?}; wrong under the limit: {wrong_limited:?}");
        assert!(right[1] >= right[0], "right without / with parity: {right:?}");
        assert!(wrong_limited[1] * 2 <= wrong_limited[0], "wrong under the limit: {wrong_limited:?}");
    }

    #[test]
    fn the_list_corrects_what_hard_decisions_get_wrong() {
        // Noise where hard decisions break most messages: the list decoder recovers more of them,
        // and a wider beam at least as many.
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (mut hard_ok, mut ok1, mut ok16) = (0, 0, 0);
        for _ in 0..200 {
            let m = message(&mut rng);
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            let (header, llrs) = received(&bits, 8, 16, 0.55, &mut rng);
            let hard: Vec<u8> = header.iter().chain(&llrs).map(|&l| (l < 0.0) as u8).collect();
            hard_ok += (hard == framed(&bits, 8, 16)) as usize;
            let got = |r: ListResult| r.choice.is_some_and(|c| [c.symbols.as_slice(), &[END]].concat() == m);
            ok1 += got(decode((&header, &llrs), 16, 1)) as usize;
            ok16 += got(decode((&header, &llrs), 16, 16)) as usize;
        }
        assert!(hard_ok < 120, "the noise should break many messages: {hard_ok}/200 intact");
        assert!(ok16 >= hard_ok + 40, "beam 16 recovers {ok16}/200, hard decisions {hard_ok}/200");
        assert!(ok16 >= ok1, "beam 16: {ok16}, beam 1: {ok1}");
    }

    #[test]
    fn pruning_keeps_the_unpruned_result() {
        // The same search without the cutoffs inside `extend` must choose the same path, with or
        // without a penalty limit, with or without the blocks' parity.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mut limited, mut undecided) = (0, 0);
        for round in 0..120 {
            let max_penalty = if round % 2 == 0 { f64::INFINITY } else { 12.0 };
            let m = message(&mut rng);
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            let (header, llrs) = received(&bits, 8, 16, 0.7, &mut rng);
            let parity = received_parity(&framed(&bits, 8, 16), 16, 0.7, &mut rng);
            let block_penalty = parity_penalty(&parity, 16);
            let blocks = (round % 4 >= 2).then_some(PayloadBlocks { offset: 8, size: 16, penalty: &block_penalty });
            let score = end_penalty(&header, llrs.len(), 16);
            let soft = SoftPayload { llrs: &llrs, end_penalty: &score, blocks };
            let pruned = list_decode(
                &mut Cloned { start: Chain { last: None }, paths: Vec::new() },
                MessageEnd::Symbol(END),
                &soft,
                ListConfig { beam: 6, first_beam: 6, max_symbols: 200, max_penalty },
            );
            let unpruned = unpruned_decode(&soft, MessageEnd::Symbol(END), 6, max_penalty);
            assert_eq!(pruned.choice, unpruned);
            if max_penalty.is_finite() {
                limited += 1;
                undecided += pruned.choice.is_none() as usize;
                assert!(pruned.choice.is_none_or(|c| c.penalty <= max_penalty));
            }
        }
        // The limit must bite on some messages and not on all, or the test shows nothing.
        assert!(undecided > 0 && undecided < limited, "{undecided} of {limited} undecided under the limit");
    }

    #[test]
    fn a_messages_score_is_what_the_search_finds_for_it() {
        // The search's choice scored on its own is the choice (same bits, probability and
        // penalty), with and without the blocks' parity, for both kinds of message end; the sent
        // message always scores (it was sent in this burst); and a narrow beam misses the sent
        // message where it scores better than the choice more often than a wide one.
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut misses = [0usize; 2];
        for round in 0..120 {
            let fixed = round % 3 == 2;
            let m = if fixed {
                let n = rng.random_range(1..25);
                fixed_message(&mut rng, n)
            } else {
                message(&mut rng)
            };
            let (sent, end) = match fixed {
                true => (m.clone(), MessageEnd::Length(m.len())),
                false => (m[..m.len() - 1].to_vec(), MessageEnd::Symbol(END)),
            };
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            let (header, llrs) = received(&bits, 8, 16, 0.7, &mut rng);
            let parity = received_parity(&framed(&bits, 8, 16), 16, 0.7, &mut rng);
            let block_penalty = parity_penalty(&parity, 16);
            let blocks = (round % 2 == 0).then_some(PayloadBlocks { offset: 8, size: 16, penalty: &block_penalty });
            let score = end_penalty(&header, llrs.len(), 16);
            let soft = SoftPayload { llrs: &llrs, end_penalty: &score, blocks };
            let mut model = Cloned { start: Chain { last: None }, paths: Vec::new() };
            let truth = score_message(&mut model, end, &soft, &sent).expect("the sent message fits its burst");
            assert_eq!(truth.payload_bits, bits.len());
            for (b, beam) in [1, 16].into_iter().enumerate() {
                let config = ListConfig { beam, first_beam: beam, max_symbols: 200, max_penalty: f64::INFINITY };
                let Some(choice) = list_decode(&mut model, end, &soft, config).choice else {
                    misses[b] += 1;
                    continue;
                };
                assert_eq!(score_message(&mut model, end, &soft, &choice.symbols).as_ref(), Some(&choice));
                if choice.symbols == sent {
                    assert_eq!(choice, truth);
                }
                misses[b] += (truth.score() > choice.score()) as usize;
            }
        }
        eprintln!("the search missed a better-scoring sent message (beam 1, 16): {misses:?}");
        assert!(misses[0] > 0 && misses[1] < misses[0], "misses at beam 1 and 16: {misses:?}");
        // What cannot have been sent scores nothing: an end symbol inside, a length other than
        // the known one.
        let mut model = Cloned { start: Chain { last: None }, paths: Vec::new() };
        let (header, llrs) = received(&[0; 40], 8, 16, 0.5, &mut rng);
        let score = end_penalty(&header, llrs.len(), 16);
        let soft = SoftPayload { llrs: &llrs, end_penalty: &score, blocks: None };
        assert_eq!(score_message(&mut model, MessageEnd::Symbol(END), &soft, &[1, END, 2]), None);
        assert_eq!(score_message(&mut model, MessageEnd::Length(3), &soft, &[1, 2]), None);
    }

    /// The M-algorithm written plainly: every child scored in full, sorted, the best kept, with the
    /// search's own limit and stopping rule but none of its cutoffs.
    fn unpruned_decode(soft: &SoftPayload, end: MessageEnd, beam: usize, max_penalty: f64) -> Option<ListChoice> {
        let rx = Received::new(soft.llrs);
        let mut paths = vec![(Path::root(), Chain { last: None })];
        let mut emitted = Vec::new();
        let first = paths[0].1.start().unwrap();
        let mut tables = vec![first];
        let mut best: Option<ListChoice> = None;
        for _ in 0..=200 {
            let mut children = Vec::new();
            for (i, ((p, _), t)) in paths.iter().zip(&tables).enumerate() {
                if end == MessageEnd::Length(p.symbols.len()) {
                    if let Some((payload_bits, rest)) = finish(p.encoder, &p.bits, &rx, soft) {
                        let c = ListChoice {
                            symbols: p.symbols.clone(),
                            payload_bits,
                            ln_prob: p.ln_prob,
                            penalty: p.penalty + rest,
                        };
                        if c.penalty <= max_penalty && best.as_ref().is_none_or(|b| c.score() > b.score()) {
                            best = Some(c);
                        }
                    }
                    continue;
                }
                for symbol in 0..t.len() {
                    let Some((encoder, cost)) =
                        extend(p, t, symbol, &rx, soft, f64::INFINITY, f64::INFINITY, &mut emitted)
                    else {
                        continue;
                    };
                    let (penalty, ln_prob) = (p.penalty + cost.total(), p.ln_prob + t.ln_probability(symbol));
                    if end.is_end_symbol(symbol) {
                        let sent = [p.bits.as_slice(), &emitted].concat();
                        if let Some((payload_bits, rest)) = finish(encoder, &sent, &rx, soft) {
                            let c = ListChoice {
                                symbols: p.symbols.clone(),
                                payload_bits,
                                ln_prob,
                                penalty: penalty + rest,
                            };
                            if c.penalty <= max_penalty && best.as_ref().is_none_or(|b| c.score() > b.score()) {
                                best = Some(c);
                            }
                        }
                    } else {
                        let child =
                            Child::new((i, p), (symbol, t), encoder, cost, &emitted, &rx, max_penalty, f64::INFINITY);
                        children.extend(child);
                    }
                }
            }
            children.sort_by(|a, b| if a.before(b) { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater });
            children.truncate(beam);
            // The stopping rule is part of the search: paths that can no longer beat the best
            // complete one are dropped.
            if let Some(best) = &best {
                children.retain(|c| c.key() > best.score());
            }
            if children.is_empty() {
                break;
            }
            let mut next = Vec::new();
            tables = Vec::new();
            for c in children {
                let mut chain = paths[c.parent].1.clone();
                tables.push(chain.advance(c.symbol).unwrap());
                next.push((paths[c.parent].0.child(c), chain));
            }
            paths = next;
        }
        best
    }

    /// `n` symbols of the chain, none of them an end (a fixed-length message).
    fn fixed_message(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
        let mut chain = Chain { last: None };
        let mut table = chain.start().unwrap();
        let mut m = Vec::with_capacity(n);
        for _ in 0..n {
            // Draw from the chain's own table (all six symbols, the end symbol included: in a
            // fixed-length message it is a symbol like any other).
            let u = rng.random_range(0..table.total());
            let s = (0..table.len()).find(|&s| table.interval(s).is_some_and(|(lo, f)| u < lo + f)).unwrap();
            m.push(s);
            table = chain.advance(s).unwrap();
        }
        m
    }

    fn decode_fixed(symbols_llrs: (&[f32], &[f32]), n: usize, beam: usize, max_penalty: f64) -> ListResult {
        let (header, llrs) = symbols_llrs;
        let score = end_penalty(header, llrs.len(), 16);
        let soft = SoftPayload { llrs, end_penalty: &score, blocks: None };
        let config = ListConfig { beam, first_beam: beam, max_symbols: usize::MAX, max_penalty };
        list_decode(
            &mut Cloned { start: Chain { last: None }, paths: Vec::new() },
            MessageEnd::Length(n),
            &soft,
            config,
        )
    }

    #[test]
    fn fixed_length_messages_end_at_their_length() {
        // Noiseless: the sent message, its bits exactly the encoder's. Noisy: every choice has the
        // message's length, and the list recovers far more than hard decisions do.
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let (mut hard_ok, mut list_ok) = (0, 0);
        for round in 0..150 {
            let n = rng.random_range(1..30);
            let m = fixed_message(&mut rng, n);
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            if round < 50 {
                let (header, llrs) = received(&bits, 8, 16, 1e-3, &mut rng);
                let choice = decode_fixed((&header, &llrs), n, 4, f64::INFINITY).choice.expect("noiseless");
                assert_eq!(choice.symbols, m);
                assert_eq!(choice.payload_bits, bits.len());
                continue;
            }
            let (header, llrs) = received(&bits, 8, 16, 0.55, &mut rng);
            let hard: Vec<u8> = header.iter().chain(&llrs).map(|&l| (l < 0.0) as u8).collect();
            hard_ok += (hard == framed(&bits, 8, 16)) as usize;
            let choice = decode_fixed((&header, &llrs), n, 16, f64::INFINITY).choice;
            assert!(choice.as_ref().is_none_or(|c| c.symbols.len() == n));
            list_ok += choice.is_some_and(|c| c.symbols == m) as usize;
        }
        eprintln!("fixed-length messages intact: hard decisions {hard_ok}/100, list {list_ok}/100");
        assert!(hard_ok < 70, "the noise should break many messages: {hard_ok}/100 intact");
        assert!(list_ok >= hard_ok + 20, "the list recovers {list_ok}/100, hard decisions {hard_ok}/100");
    }

    #[test]
    fn fixed_length_pruning_keeps_the_unpruned_result() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for round in 0..80 {
            let max_penalty = if round % 2 == 0 { f64::INFINITY } else { 10.0 };
            let n = rng.random_range(1..25);
            let m = fixed_message(&mut rng, n);
            let bits = encode_symbols(&mut Chain { last: None }, &m).unwrap();
            let (header, llrs) = received(&bits, 8, 16, 0.7, &mut rng);
            let score = end_penalty(&header, llrs.len(), 16);
            let soft = SoftPayload { llrs: &llrs, end_penalty: &score, blocks: None };
            let pruned = decode_fixed((&header, &llrs), n, 6, max_penalty);
            assert_eq!(pruned.choice, unpruned_decode(&soft, MessageEnd::Length(n), 6, max_penalty));
        }
    }

    #[test]
    fn the_future_penalty_is_the_cheapest_point_of_the_interval() {
        // Against brute force over every x in small intervals of a 32-bit register, with pending bits.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..200 {
            let mut encoder = EncoderState::new();
            let table = FrequencyTable::from_frequencies(&[3, 1000, 5, 1, 200]).unwrap();
            for _ in 0..rng.random_range(0..6) {
                let s = rng.random_range(0..5);
                let (lo, f) = table.interval(s).unwrap();
                encoder.encode(lo, f, table.total(), |_| true).unwrap();
            }
            // LLRs only where x's first 12 bits (and the pending bits) land: then the cost depends
            // on those bits alone, and every 12-bit prefix between low's and high's is reachable.
            let (low, high) = encoder.interval();
            let (start, pending) = (encoder.emitted(), encoder.pending());
            let llrs: Vec<f32> = (0..start + pending + 40)
                .map(|p| if p < start + pending + 12 { rng.random_range(-4.0..4.0) } else { 0.0 })
                .collect();
            let rx = Received::new(&llrs);
            let got = future_penalty(&encoder, &rx);
            let mut want = f64::INFINITY;
            for top in (low >> 20)..=(high >> 20) {
                let mut cost = 0.0;
                for j in (20..32).rev() {
                    let bit = ((top >> (j - 20)) & 1) as u8;
                    let position = if j == 31 { start } else { start + pending + (31 - j) };
                    cost += rx.cost(position, bit);
                    if j == 31 {
                        cost += (1..=pending).map(|i| rx.cost(start + i, 1 - bit)).sum::<f64>();
                    }
                }
                want = want.min(cost);
            }
            assert!((got - want).abs() < 1e-9, "got {got}, brute force {want}");
        }
    }

    #[test]
    fn garbage_ends_in_bounded_work() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for window in [0usize, 1, 7, 40, 300] {
            let llrs: Vec<f32> = (0..window).map(|_| rng.random_range(-3.0..3.0)).collect();
            let header: Vec<f32> = (0..8).map(|_| rng.random_range(-3.0..3.0)).collect();
            let r = decode((&header, &llrs), 16, 8);
            assert!(r.model_steps <= 8 * 201, "{} steps", r.model_steps);
            if let Some(c) = r.choice {
                assert!(c.payload_bits <= window && c.score().is_finite());
            }
        }
    }
}
