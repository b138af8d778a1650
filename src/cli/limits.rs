//! `sim limits`: where the best (n, k) code reaches a block error rate on the channels the report
//! measures against (BPSK on AWGN, and on quasi-static, block and fast Rayleigh fading with or
//! without CSI), for a code or a result that has no results folder here. The same curves as
//! `sim report`'s distance to the limit (`report::distance::LimitChannel`), with Gallager's
//! random-coding bound where it is achievable and, with `--monte-carlo` (or `--dt`) and codes of up
//! to 4,096 symbols, the bounds that are Monte Carlo means over the information density: the
//! metaconverse (a converse tighter than SP59, on fading averaged over the gains given them, which
//! binds a receiver not told them too), RCU where the receiver is told the gains and dependence
//! testing on every channel (achievable with what the receiver knows): seconds on AWGN, up to a
//! minute or two on fading.

use anyhow::{bail, Context};
use channels::limits::dependence_testing::DependenceTesting;
use channels::limits::metaconverse::Metaconverse;
use channels::limits::random_coding_union::RandomCodingUnion;
use channels::limits::{ebn0_db, Bound, Gains};
use clap::{ArgAction, Args};

use crate::report::distance::LimitChannel;

#[derive(Args)]
pub struct LimitsArgs {
    /// Channel symbols (BPSK) per codeword, or per message when --frame-symbols cuts it into
    /// codewords.
    #[arg(long)]
    pub n: usize,
    /// Information bits carried by the n symbols.
    #[arg(long)]
    pub k: usize,
    /// Block error rates to reach, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1e-2")]
    pub target: Vec<f64>,
    /// The channel.
    #[arg(long, default_value = "awgn", value_parser = ["awgn", "rayleigh"])]
    pub channel: String,
    /// Rayleigh fading: a gain per symbol, per run of --block-symbols, or one per message.
    #[arg(long, default_value = "fast", value_parser = ["fast", "block", "message"])]
    pub fading: String,
    /// Block fading: symbols per gain (0: one gain per codeword).
    #[arg(long, default_value_t = 0)]
    pub block_symbols: usize,
    /// Symbols per codeword when the n symbols are several codewords (block fading's runs restart
    /// at each); 0: one codeword.
    #[arg(long, default_value_t = 0)]
    pub frame_symbols: usize,
    /// Whether the receiver is told each gain.
    #[arg(long, default_value_t = true, action = ArgAction::Set)]
    pub csi: bool,
    /// Ω = E[g²] of the Rayleigh gain.
    #[arg(long, default_value_t = 1.0)]
    pub mean_square_gain: f64,
    /// Also the Monte Carlo bounds (n ≤ 4,096; seconds to a minute or two): the metaconverse (no
    /// binary code does better, whatever the receiver knows; tighter than SP59), RCU where the
    /// receiver is told the gains and dependence testing (DT) on every channel (some code does this
    /// well with what the receiver knows).
    #[arg(long, visible_alias = "dt")]
    pub monte_carlo: bool,
}

impl LimitsArgs {
    /// The channel the limits are for, as a run's configuration would name it.
    fn channel(&self) -> anyhow::Result<LimitChannel> {
        let config = serde_json::json!({
            "channel": {
                "kind": self.channel,
                "fading": self.fading,
                "csi": self.csi,
                "block_symbols": self.block_symbols,
                "mean_square_gain": self.mean_square_gain,
            },
            "modulation": { "kind": "bpsk" },
        });
        LimitChannel::of_run(&config).map_err(anyhow::Error::msg)
    }

    fn describe(&self) -> String {
        if self.channel == "awgn" {
            return "BPSK on AWGN".into();
        }
        let fading = match (self.fading.as_str(), self.block_symbols) {
            ("fast", _) => "fast fading (a gain per symbol)".to_string(),
            ("message", _) => "quasi-static fading (one gain for all n symbols)".to_string(),
            (_, 0) => "block fading (a gain per codeword)".to_string(),
            (_, b) => format!("block fading (a gain per {b} symbols)"),
        };
        let csi = if self.csi { "told the gains" } else { "not told the gains" };
        format!("BPSK on Rayleigh {fading}, Ω = {}, receiver {csi}", self.mean_square_gain)
    }
}

/// The longest code the Monte Carlo bounds are computed for (their cost grows with n).
const MAX_MONTE_CARLO_SYMBOLS: usize = 4096;

pub fn run(a: LimitsArgs) -> anyhow::Result<()> {
    if a.n == 0 || a.k == 0 || a.k >= a.n {
        bail!("--k {} and --n {}: the limits need 1 ≤ k < n (a rate below 1 bit per BPSK symbol)", a.k, a.n);
    }
    if a.n > 100_000 {
        bail!("--n {}: at most 100,000 symbols (the bounds' integrals are sized for that)", a.n);
    }
    if let Some(t) = a.target.iter().find(|t| !(**t > 0.0 && **t < 1.0)) {
        bail!("--target {t}: a block error rate strictly between 0 and 1");
    }
    if !(a.mean_square_gain > 0.0 && a.mean_square_gain.is_finite()) {
        bail!("--mean-square-gain {}: a positive Ω", a.mean_square_gain);
    }
    if a.channel == "awgn" && (a.fading != "fast" || a.block_symbols != 0 || !a.csi) {
        bail!("--fading, --block-symbols and --csi describe Rayleigh fading; AWGN has no gains");
    }
    if a.monte_carlo && a.n > MAX_MONTE_CARLO_SYMBOLS {
        bail!(
            "--monte-carlo (--dt) with --n {}: the Monte Carlo bounds are computed for at most \
             {MAX_MONTE_CARLO_SYMBOLS} symbols",
            a.n
        );
    }
    let channel = a.channel().context("no limits for this channel")?;
    println!("{}: ({}, {}) code, rate {:.4}", a.describe(), a.n, a.k, a.k as f64 / a.n as f64);
    println!("{:<8}  {:<24}  {:>10}  {:>10}", "target", "bound", "Es/N0 dB", "Eb/N0 dB");
    let (runs, gains) = channel.runs(a.n, a.frame_symbols);
    let converse = a.monte_carlo.then(|| match gains {
        Gains::None => Metaconverse::new(a.n),
        Gains::Csi | Gains::Blind => Metaconverse::on_fading(runs.clone(), a.mean_square_gain),
    });
    let rcu = a.monte_carlo.then(|| RandomCodingUnion::new(runs.clone(), gains, a.mean_square_gain)).flatten();
    let dt = a.monte_carlo.then(|| DependenceTesting::new(runs, gains, a.mean_square_gain));
    let print = |target: f64, name: &str, es: Option<f64>, otherwise: &str| {
        let row = format!("{target:<8.1e}  {name:<24}");
        match es {
            Some(es) if es.is_finite() => println!("{row}  {es:>10.3}  {:>10.3}", ebn0_db(es, a.n, a.k)),
            Some(_) => println!("{row}  {:>10}  {:>10}  (not reached below 100 dB)", "—", "—"),
            None => println!("{row}  {:>10}  {:>10}  ({otherwise})", "—", "—"),
        }
    };
    for &target in &a.target {
        for bound in Bound::ALL {
            let es = channel.min_esn0_db(bound, a.n, a.k, a.frame_symbols, target);
            print(target, bound.name(), es, "not given on this channel");
        }
        if let Some(converse) = &converse {
            print(target, "metaconverse", Some(converse.min_esn0_db(a.k, target)), "");
        }
        if let Some(rcu) = &rcu {
            print(target, "RCU random coding", Some(rcu.min_esn0_db(a.k, target)), "");
        }
        if let Some(dt) = &dt {
            print(target, "dependence testing (DT)", Some(dt.min_esn0_db(a.k, target)), "");
        }
    }
    Ok(())
}
