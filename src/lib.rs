//! lmsscc: end-to-end simulation of LLM-based separate source-channel coding links.
//!
//! The link-level core lives in the `channels` and `codes` crates; this package assembles schemes
//! from scenarios (`scenario`), runs Monte-Carlo sweeps (`link`), counts errors (`metrics`) and
//! writes results (`report`). The `sim` binary is a thin CLI over it (`cli`).

pub mod cli;
pub mod dsp;
pub mod link;
pub mod metrics;
pub mod report;
pub mod scenario;

/// Version string recorded with every result: crate version plus the git commit it was built from.
pub fn version() -> String {
    format!("{} ({})", env!("CARGO_PKG_VERSION"), option_env!("LMSSCC_GIT_COMMIT").unwrap_or("unknown commit"))
}
