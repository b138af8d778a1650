//! The normal approximation on block Rayleigh fading, with CSI and without: a codeword's n BPSK
//! symbols fall in B blocks, block b holding n_b of them under its own gain g_b, the `g_b² ~ Exp(Ω)`
//! independent from block to block and known to the receiver (not to the transmitter), or not.
//!
//! Given the gains the codeword crosses B parallel BI-AWGN channels, block b at Es/N0·g_b². The
//! information density is then a sum of independent per-symbol terms, so the normal approximation
//! holds with the blocks' summed moments, `C(g) = Σ n_b·C_BI-AWGN(s·g_b²)` and
//! `V(g) = Σ n_b·V_BI-AWGN(s·g_b²)` (bits and bits² per codeword), and the best (n, k) code's error
//! probability is estimated by averaging it over the gains:
//!
//! `ε(s) ≈ E_g[Q((C(g) − k + ½·log2 n) / √V(g))]`,
//!
//! the averaging that quasi-static fading takes with one gain ([`super::quasi_static`]; Yang,
//! Durisi, Koch & Polyanskiy, "Quasi-static multiple-antenna fading channels at finite
//! blocklength", IEEE Trans. IT 60(7), 2014). Its two ends are limits we have: with one block it
//! is the quasi-static average, with a gain per symbol it tends to the fast-fading approximation
//! ([`super::fast_fading`], whose dispersion term `Var[C]` is what averaging Q over many gains
//! adds), and as n grows with B fixed it tends to the block-fading outage probability
//! `P(Σ n_b·C_BI-AWGN(s·g_b²) < k)` (Ozarow, Shamai & Wyner, IEEE Trans. Veh. Technol. 43(2),
//! 1994). At high SNR that falls as SNR^(−d): for B equal blocks and BPSK, d = 1 + ⌊B·(1 − k/n)⌋
//! (the Singleton bound for block fading: Malkamäki & Leib, "Evaluation of the outage probability
//! for block fading channels", IEEE Trans. IT 45(7), 1999; Knopp & Humblet, IEEE Trans. IT 46(1),
//! 2000). A code spanning a message's codewords can therefore fall far faster than one code per
//! codeword, each with diversity 1. It is an estimate, not a bound: with more than one gain the
//! faded codewords lie on no common sphere and no sphere-packing bound is at hand.
//!
//! Without CSI ([`BlockFading::without_csi`]) the same average is taken with each run's moments
//! those of the noncoherent run channel given its gain ([`super::noncoherent_run`]): the receiver
//! knows the fading's law, not the gains, and the run's information density is that of the
//! channel from its L inputs to its L outputs with the gain integrated out.
//!
//! The average over the gains is a Monte Carlo mean over a fixed, seeded draw of `M` gain vectors
//! (the same uniforms at every Es/N0, so the curve is continuous in s and its inverse well
//! defined), `M = 2^20/B` clamped to 4,096..131,072 (and to 2^22/B, at least 64, beyond 1,024
//! runs), by importance sampling: each gain comes from
//! a mixture that puts a share α = min(0.3, 1.5/B) of its draws in deep fades, where a block's SNR
//! is about 0 dB, weighted back to the Rayleigh law. A plain mean's relative error grows as
//! `1/√(M·ε)` at low error rates ε; this one stays within a few per cent down to 1e-8 (tested: one
//! gain against the exact quasi-static integral within 2 % to 1e-6, two long blocks against their
//! outage probability within 6 % to 1e-6, six gains against a plain mean of 2^20 vectors at 1e-3 and
//! two independent draws within 10 % to 1e-8), a few hundredths of a dB. The BI-AWGN moments
//! come from a table over the per-block Es/N0, −50..40 dB in 0.02 dB steps, linearly interpolated
//! (below it they scale with the SNR, above it the block is noiseless).

use super::noncoherent_run::{NoncoherentRun, RunTable};
use super::{info_density_moments, normal_approximation, solve_costly_decreasing, solve_decreasing_within};
use crate::rng::stream;
use crate::snr::db_to_linear;
use rand::Rng;
use rand_distr::Exp1;
use std::sync::OnceLock;

const TABLE_LO_DB: f64 = -50.0;
const TABLE_HI_DB: f64 = 40.0;
const TABLE_STEP_DB: f64 = 0.02;

/// The seed of the gains' draw (any fixed value: the estimate must not change from run to run).
const SEED: u64 = 0xb10c_fade;

/// The BI-AWGN (capacity, dispersion) table, built once per process (about half a second).
fn table() -> &'static [(f64, f64)] {
    static TABLE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let m = ((TABLE_HI_DB - TABLE_LO_DB) / TABLE_STEP_DB).round() as usize;
        (0..=m).map(|i| info_density_moments(TABLE_LO_DB + i as f64 * TABLE_STEP_DB)).collect()
    })
}

/// BI-AWGN (capacity, dispersion) in bits at Es/N0 `db`, from the table.
fn biawgn_moments(db: f64) -> (f64, f64) {
    let t = table();
    if db >= TABLE_HI_DB {
        return (1.0, 0.0);
    }
    if db <= TABLE_LO_DB {
        // Both are linear in the SNR this far down (C ≈ V·ln 2/2 ≈ Es/N0/ln 2).
        let scale = 10f64.powf((db - TABLE_LO_DB) / 10.0);
        return (t[0].0 * scale, t[0].1 * scale);
    }
    let x = (db - TABLE_LO_DB) / TABLE_STEP_DB;
    let i = (x.floor() as usize).min(t.len() - 2);
    let f = x - i as f64;
    let (a, b) = (t[i], t[i + 1]);
    (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1))
}

/// The normal approximation given the gains, told to the receiver: `runs[b]` symbols at Es/N0
/// `run_db[b]` (dB), parallel BI-AWGN channels.
pub(super) fn normal_approximation_given_gains(runs: &[usize], k: usize, run_db: &[f64]) -> f64 {
    let (mut c, mut v) = (0.0, 0.0);
    for (&symbols, &db) in runs.iter().zip(run_db) {
        let (cb, vb) = biawgn_moments(db);
        c += symbols as f64 * cb;
        v += symbols as f64 * vb;
    }
    let n: usize = runs.iter().sum();
    normal_approximation(n, k, c / n as f64, v / n as f64)
}

/// A normalized gain `x = g²/Ω` drawn from the importance-sampling proposal (a share α of deep
/// fades, exponential of mean θ, the rest exponential of mean 1) from its standard exponential `e`,
/// with `q(x)/e^(−x)`, the proposal's density over the Rayleigh law's (divide by it to weight back),
/// written to stay finite for tiny θ.
pub(super) fn deep_fade_proposal(e: f64, is_deep: bool, alpha: f64, theta: f64) -> (f64, f64) {
    let x = if is_deep { theta * e } else { e };
    (x, (1.0 - alpha) + alpha / theta * (-x * (1.0 / theta - 1.0)).exp())
}

/// The runs of symbols that share a gain in `n` symbols sent as frames of `frame_symbols`, each
/// frame cut into runs of `block_symbols` (0: the whole frame), the last frame and each frame's
/// last run possibly shorter: the channel's `Fading::Block` on BPSK.
pub fn blocks(n: usize, frame_symbols: usize, block_symbols: usize) -> Vec<usize> {
    let frame = if frame_symbols == 0 { n } else { frame_symbols };
    let mut out = Vec::new();
    let mut left = n;
    while left > 0 {
        let mut in_frame = frame.min(left);
        left -= in_frame;
        let run = if block_symbols == 0 { in_frame } else { block_symbols };
        while in_frame > 0 {
            let b = run.min(in_frame);
            out.push(b);
            in_frame -= b;
        }
    }
    out
}

/// What the receiver knows of the gains.
#[derive(Debug, Clone)]
enum Receiver {
    /// Told each gain (CSI): a run is the BI-AWGN channel at its Es/N0.
    Csi,
    /// Not told them: a run is one use of the noncoherent run channel, one per distinct run length.
    Blind(Vec<NoncoherentRun>),
}

/// BPSK on block Rayleigh fading of mean square gain Ω, with or without CSI, for one codeword
/// layout.
#[derive(Debug, Clone)]
pub struct BlockFading {
    /// Symbols under each gain.
    blocks: Vec<usize>,
    mean_square_gain: f64,
    /// Per drawn vector, `blocks.len()` standard exponential draws, each marked whether it is
    /// one of the proposal's deep fades (see [`BlockFading::normal_approximation_bler`]).
    draws: Vec<(f64, bool)>,
    /// The proposal's share of deep fades per gain, α.
    deep_share: f64,
    receiver: Receiver,
}

impl BlockFading {
    /// Codewords of `blocks.iter().sum()` symbols, `blocks[b]` of them under gain b, which the
    /// receiver is told.
    pub fn new(mean_square_gain: f64, blocks: Vec<usize>) -> Self {
        Self::drawn_with(SEED, mean_square_gain, blocks)
    }

    /// The same layout with a receiver that is not told the gains (noncoherent block fading): each
    /// run's moments are those of [`super::noncoherent_run`] given its gain. Its approximation
    /// costs a Monte Carlo table per distinct run length and Es/N0: about half a second each on
    /// 2 cores.
    pub fn without_csi(mean_square_gain: f64, blocks: Vec<usize>) -> Self {
        let mut lengths = blocks.clone();
        lengths.sort_unstable();
        lengths.dedup();
        let runs = lengths.into_iter().map(NoncoherentRun::new).collect();
        BlockFading { receiver: Receiver::Blind(runs), ..Self::new(mean_square_gain, blocks) }
    }

    /// Whether the receiver is told the gains.
    pub fn csi(&self) -> bool {
        matches!(self.receiver, Receiver::Csi)
    }

    fn drawn_with(seed: u64, mean_square_gain: f64, blocks: Vec<usize>) -> Self {
        assert!(!blocks.is_empty() && blocks.iter().all(|&b| b > 0), "every block holds a symbol");
        // At most 2^22 gains in all (64 MB): a message of thousands of runs (an image's codewords
        // on a gain per symbol) gets fewer vectors, each already averaging over many gains.
        let vectors = ((1usize << 20) / blocks.len()).clamp(1 << 12, 1 << 17).min(((1 << 22) / blocks.len()).max(64));
        // α·B ≤ 1.5 keeps the weights' second moment below (1 + α/(1 − α))^B ≤ e^2.1.
        let deep_share = (1.5 / blocks.len() as f64).min(0.3);
        let mut rng = stream(seed, &[blocks.len() as u64]);
        let draws = (0..vectors * blocks.len())
            .map(|_| {
                let deep = rng.random::<f64>() < deep_share;
                (rng.sample(Exp1), deep)
            })
            .collect();
        BlockFading { blocks, mean_square_gain, draws, deep_share, receiver: Receiver::Csi }
    }

    /// Symbols per codeword.
    pub fn n(&self) -> usize {
        self.blocks.iter().sum()
    }

    /// Independent gains per codeword.
    pub fn gains(&self) -> usize {
        self.blocks.len()
    }

    /// The normal approximation for k bits at mean Es/N0 `esn0_db`, averaged over the gains (an
    /// estimate). The average is taken by importance sampling: each normalized gain x = g²/Ω is
    /// drawn from the mixture q(x) = (1 − α)·e^(−x) + α·e^(−x/θ)/θ, a share α of deep fades of mean
    /// θ = min(1, 1/mean Es/N0) (where a block's SNR falls to about 0 dB), and weighted by
    /// e^(−x)/q(x). At low error rates, where a codeword is lost only when several gains fade at
    /// once, that draws the losing vectors far more often than the fading does; the weights keep
    /// the mean unbiased and stay below (1 − α)^(−B). The same uniforms serve every Es/N0, so the
    /// estimate is continuous in it.
    pub fn normal_approximation_bler(&self, k: usize, esn0_db: f64) -> f64 {
        let n = self.n();
        let alpha = self.deep_share;
        let omega_db = 10.0 * self.mean_square_gain.log10();
        // Deep fades of mean 1/(mean Es/N0): a run's SNR about 0 dB.
        let theta = db_to_linear(-(esn0_db + omega_db)).min(1.0);
        let vectors = self.draws.len() / self.blocks.len();
        // Without CSI, each run length's moments at this Es/N0 over the run's own Es/N0.
        let tables: Vec<(usize, RunTable)> = match &self.receiver {
            Receiver::Csi => Vec::new(),
            Receiver::Blind(runs) => runs.iter().map(|r| (r.symbols(), r.table(esn0_db + omega_db))).collect(),
        };
        let run_moments = |symbols: usize, run_db: f64| match &self.receiver {
            Receiver::Csi => {
                let (c, v) = biawgn_moments(run_db);
                (symbols as f64 * c, symbols as f64 * v)
            }
            Receiver::Blind(_) => {
                let table = &tables.iter().find(|(l, _)| *l == symbols).expect("a table per run length").1;
                table.moments(run_db)
            }
        };
        let sum: f64 = self
            .draws
            .chunks_exact(self.blocks.len())
            .map(|draws| {
                let (mut c, mut v, mut weight) = (0.0, 0.0, 1.0);
                for (&symbols, &(e, deep)) in self.blocks.iter().zip(draws) {
                    let (x, proposal_over_rayleigh) = deep_fade_proposal(e, deep, alpha, theta);
                    weight /= proposal_over_rayleigh;
                    let (cb, vb) = run_moments(symbols, esn0_db + omega_db + 10.0 * x.log10());
                    c += cb;
                    v += vb;
                }
                weight * normal_approximation(n, k, c / n as f64, v / n as f64)
            })
            .sum();
        sum / vectors as f64
    }

    /// The least mean Es/N0 (dB) at which the approximation reaches `target`: with CSI by
    /// bisection to 1e-4 dB over −60..100 dB; without it, where each evaluation costs a table, by
    /// regula falsi on the log error rate to 1e-3 dB, from a bracket around the CSI answer (which
    /// the blind one is not below; the bracket widens if it is).
    pub fn min_esn0_db(&self, k: usize, target: f64) -> f64 {
        let bisected = |fading: &BlockFading| {
            solve_decreasing_within(|x| fading.normal_approximation_bler(k, x), target, (-60.0, 100.0), 1e-4)
        };
        if self.csi() {
            return bisected(self);
        }
        let with_csi = bisected(&BlockFading { receiver: Receiver::Csi, ..self.clone() });
        if !with_csi.is_finite() || with_csi <= -60.0 {
            return with_csi;
        }
        let guess = (with_csi - 0.5, with_csi + 1.0);
        solve_costly_decreasing(|x| self.normal_approximation_bler(k, x), target, guess, 2.0, (-60.0, 100.0), 1e-3)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fast_fading::FastFading;
    use super::super::quasi_static::QuasiStatic;
    use super::super::{biawgn_capacity_limit_esn0_db, Bound};
    use super::*;
    use crate::snr::db_to_linear;

    #[test]
    fn blocks_follow_the_channels_runs() {
        assert_eq!(blocks(10, 10, 0), vec![10]);
        assert_eq!(blocks(10, 10, 4), vec![4, 4, 2]);
        // Two frames of 7 and a short last one; each frame's runs restart.
        assert_eq!(blocks(17, 7, 3), vec![3, 3, 1, 3, 3, 1, 3]);
        assert_eq!(blocks(12, 4, 0), vec![4, 4, 4]);
        assert_eq!(blocks(5, 0, 0), vec![5]);
        assert_eq!(blocks(3, 3, 1), vec![1, 1, 1]);
    }

    #[test]
    fn the_table_meets_the_direct_moments() {
        for db in [-49.99, -20.013, -3.3, 0.0, 2.51, 9.999, 17.0] {
            let (c, v) = biawgn_moments(db);
            let (c0, v0) = info_density_moments(db);
            assert!((c - c0).abs() < 1e-5 * c0.max(1e-3) && (v - v0).abs() < 1e-5 * v0.max(1e-3), "{db}: {c} {v}");
        }
        // Below the table: the linear regime.
        let (c, v) = biawgn_moments(-60.0);
        let (c0, v0) = info_density_moments(-60.0);
        assert!((c / c0 - 1.0).abs() < 1e-3 && (v / v0 - 1.0).abs() < 1e-3, "{c} {c0} {v} {v0}");
    }

    /// One block: the quasi-static average (there the cells of an exact integral), within the
    /// draw's error.
    #[test]
    fn one_block_is_quasi_static_fading() {
        let (n, k) = (284, 128);
        let one = BlockFading::new(1.0, vec![n]);
        let qs = QuasiStatic::new(Bound::NormalApproximation, n, k, 1.0);
        for esn0 in [3.0, 10.0, 20.0] {
            let (mc, exact) = (one.normal_approximation_bler(k, esn0), qs.bler(esn0));
            let se = (exact * (1.0 - exact) / 131_072.0).sqrt();
            assert!((mc - exact).abs() < 4.0 * se + 0.01 * exact, "{esn0} dB: {mc} against {exact}");
        }
        for target in [0.1, 0.01] {
            let (a, b) = (one.min_esn0_db(k, target), qs.min_esn0_db(target));
            assert!((a - b).abs() < 0.05, "{target}: {a} against {b}");
        }
    }

    /// A gain per symbol: averaging Q over the many gains adds their capacity's variance to the
    /// dispersion, which is the fast-fading approximation.
    #[test]
    fn a_gain_per_symbol_is_fast_fading() {
        let (n, k) = (500, 250);
        let fast = BlockFading::new(1.0, vec![1; n]);
        let ergodic = FastFading::new(1.0, true);
        for target in [0.1, 0.01] {
            let (a, b) = (fast.min_esn0_db(k, target), ergodic.min_esn0_db(n, k, target));
            assert!((a - b).abs() < 0.1, "{target}: {a} against {b}");
        }
    }

    /// The outage probability of two equal blocks at rate R, by a direct integral over the first
    /// gain: `∫ e^(−x)·P(g₂² < γ(2R − C(s·x))/s) dx`, γ(r) the Es/N0 where capacity reaches r.
    fn two_block_outage(rate: f64, esn0_db: f64) -> f64 {
        let s = db_to_linear(esn0_db);
        let threshold = |r: f64| db_to_linear(biawgn_capacity_limit_esn0_db(r));
        // Midpoint rule in u = ln x over [−25, 4].
        let (a, b, m) = (-25.0f64, 4.0f64, 600);
        let h = (b - a) / m as f64;
        (0..m)
            .map(|i| {
                let x = (a + (i as f64 + 0.5) * h).exp();
                let need = 2.0 * rate - super::super::biawgn_capacity(10.0 * (s * x).log10());
                let p = if need <= 0.0 { 0.0 } else { -(-threshold(need) / s).exp_m1() };
                p * x * (-x).exp() * h
            })
            .sum()
    }

    /// Long codes over two gains reach the two-block outage probability, and it falls as SNR^(−2)
    /// at rate 1/2 (d = 1 + ⌊2·½⌋), against one gain's SNR^(−1).
    #[test]
    fn long_codes_over_two_gains_reach_the_outage_probability() {
        let (n, k) = (8000, 4000);
        let two = BlockFading::new(1.0, vec![n / 2; 2]);
        for esn0 in [3.0, 8.0, 13.0] {
            let (na, out) = (two.normal_approximation_bler(k, esn0), two_block_outage(0.5, esn0));
            let se = (out / 131_072.0).sqrt();
            assert!((na - out).abs() < 4.0 * se + 0.05 * out, "{esn0} dB: {na} against outage {out}");
        }
        // Diversity 2: 10 dB more divides the outage by ~100 (one gain: by 10).
        let ratio = two_block_outage(0.5, 20.0) / two_block_outage(0.5, 30.0);
        assert!(ratio > 70.0 && ratio < 110.0, "{ratio}");
        // Where each reaches 1e-2: two gains need far less than one (quasi-static: ~20 dB above γ*).
        let one = QuasiStatic::new(Bound::NormalApproximation, n, k, 1.0).min_esn0_db(0.01);
        let both = two.min_esn0_db(k, 0.01);
        assert!(one - both > 5.0, "one gain {one} dB, two {both} dB");
    }

    /// Down to 1e-6, where a plain mean over 131,072 draws would rest on a handful of them: one
    /// block against the exact quasi-static integral, two long blocks against their outage.
    #[test]
    fn rare_losses_are_estimated_as_well_as_common_ones() {
        let (n, k) = (284, 128);
        let one = BlockFading::new(1.0, vec![n]);
        let qs = QuasiStatic::new(Bound::NormalApproximation, n, k, 1.0);
        for esn0 in [36.0, 46.0, 56.0] {
            let (is, exact) = (one.normal_approximation_bler(k, esn0), qs.bler(esn0));
            assert!((is / exact - 1.0).abs() < 0.02, "{esn0} dB: {is} against {exact}");
        }
        let two = BlockFading::new(1.0, vec![4000; 2]);
        for esn0 in [18.0, 23.0, 28.0] {
            let (is, out) = (two.normal_approximation_bler(4000, esn0), two_block_outage(0.5, esn0));
            assert!(out < 3e-4 && (is / out - 1.0).abs() < 0.06, "{esn0} dB: {is} against outage {out}");
        }
    }

    /// Six gains (127 bits in 283 symbols, the polar code of `scenarios/polar-block-rayleigh.toml`):
    /// at 1e-3 the weighted mean meets a plain mean over 2^20 vectors drawn independently, and down
    /// to 1e-8 two independent draws of the proposal agree.
    #[test]
    fn the_weighted_mean_is_unbiased_and_steady() {
        let layout = blocks(283, 283, 49);
        let six = BlockFading::new(1.0, layout.clone());
        let (k, esn0) = (127, 6.0);
        let mut rng = stream(99, &[6]);
        let plain = (0..1usize << 20)
            .map(|_| {
                let (mut c, mut v) = (0.0, 0.0);
                for &symbols in &layout {
                    let x: f64 = rng.sample(Exp1);
                    let (cb, vb) = biawgn_moments(esn0 + 10.0 * x.log10());
                    c += symbols as f64 * cb;
                    v += symbols as f64 * vb;
                }
                normal_approximation(283, k, c / 283.0, v / 283.0)
            })
            .sum::<f64>()
            / (1u64 << 20) as f64;
        let is = six.normal_approximation_bler(k, esn0);
        let se = (plain / (1u64 << 20) as f64).sqrt();
        eprintln!("six gains at {esn0} dB: weighted {is:.4e}, plain {plain:.4e} ± {se:.1e}");
        assert!((plain - 1e-3).abs() < 5e-4 && (is - plain).abs() < 4.0 * se, "{is} against plain {plain} ± {se}");
        let other = BlockFading::drawn_with(SEED + 1, 1.0, layout);
        for esn0 in [9.0, 12.0, 15.0, 18.0] {
            let (a, b) = (six.normal_approximation_bler(k, esn0), other.normal_approximation_bler(k, esn0));
            eprintln!("six gains at {esn0} dB: {a:.4e} and {b:.4e}");
            assert!(a < 1e-4 && (a / b - 1.0).abs() < 0.1, "{esn0} dB: {a} and {b}");
        }
    }

    /// More gains per codeword: the limit moves left towards fast fading's.
    #[test]
    fn more_gains_need_less_snr() {
        let (n, k) = (288, 128);
        let at = |b: usize| BlockFading::new(1.0, blocks(n, n, b)).min_esn0_db(k, 0.01);
        let (one, six, per_symbol) = (at(0), at(48), at(1));
        assert!(one > six + 3.0 && six > per_symbol + 0.5, "{one} {six} {per_symbol}");
    }

    /// A receiver not told the gains needs more Es/N0 than one told them, and the more so the
    /// shorter the runs it must learn each gain from.
    #[test]
    fn blind_receivers_need_more_on_short_runs() {
        let penalty = |n: usize, k: usize, run: usize| {
            let layout = blocks(n, n, run);
            let (csi, blind) = (BlockFading::new(1.0, layout.clone()), BlockFading::without_csi(1.0, layout));
            let t = std::time::Instant::now();
            let (a, b) = (csi.min_esn0_db(k, 0.01), blind.min_esn0_db(k, 0.01));
            eprintln!("({n}, {k}) in runs of {run}: CSI {a:.3} dB, blind {b:.3} dB ({:?})", t.elapsed());
            b - a
        };
        let (short, long) = (penalty(49, 24, 7), penalty(283, 127, 49));
        assert!(short > long && long > 0.0, "{short} {long}");
    }

    /// A gain per symbol: the blind runs' approximation is fast fading's without CSI; long runs
    /// learn their gains and approach CSI.
    #[test]
    fn blind_runs_span_fast_fading_to_coherent() {
        let (n, k) = (500, 250);
        let t = std::time::Instant::now();
        let (a, b) = (
            BlockFading::without_csi(1.0, vec![1; n]).min_esn0_db(k, 0.01),
            FastFading::new(1.0, false).min_esn0_db(n, k, 0.01),
        );
        eprintln!("a blind gain per symbol: {a:.3} dB, fast fading without CSI {b:.3} dB ({:?})", t.elapsed());
        let long = vec![200; 2];
        let (c, d) = (
            BlockFading::new(1.0, long.clone()).min_esn0_db(200, 0.01),
            BlockFading::without_csi(1.0, long).min_esn0_db(200, 0.01),
        );
        eprintln!("two runs of 200: CSI {c:.3} dB, blind {d:.3} dB ({:?})", t.elapsed());
        assert!((a - b).abs() < 0.1 && d > c && d - c < 0.3, "{a} {b} {c} {d}");
    }

    /// The blind limit rests on Monte Carlo tables of each run's moments; two independent draws of
    /// their noise give the same limit to a few hundredths of a dB (the control variate's doing:
    /// without it three draws spread over 0.4 dB here).
    #[test]
    fn the_blind_limit_is_steady_across_noise_draws() {
        let limit = |seed: u64| {
            let mut blind = BlockFading::without_csi(1.0, vec![7; 7]);
            blind.receiver = Receiver::Blind(vec![NoncoherentRun::drawn_with(seed, 7)]);
            blind.min_esn0_db(24, 0.01)
        };
        let (a, b) = (limit(1), limit(2));
        assert!((a - b).abs() < 0.05, "{a} {b}");
    }

    /// A message of 50,000 runs (an image's worth of codewords with a gain per symbol) stays within
    /// 2^22 drawn gains and still meets fast fading's approximation.
    #[test]
    fn very_many_runs_fit_in_memory() {
        let (n, k) = (50_000, 25_000);
        let many = BlockFading::new(1.0, vec![1; n]);
        assert!(many.draws.len() <= 1 << 22, "{}", many.draws.len());
        let (a, b) = (many.min_esn0_db(k, 0.01), FastFading::new(1.0, true).min_esn0_db(n, k, 0.01));
        assert!((a - b).abs() < 0.05, "{a} against {b}");
    }
}
