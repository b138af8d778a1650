//! `DecoderSpec`: a small, copyable description of a decoder (rule, schedule, iterations, early
//! termination) that the engine stores in scenarios and turns into a `Box<dyn Decoder>` per code.
//!
//! Names round-trip through [`DecoderSpec::name`] and `str::parse`:
//! `HD`, `SPA-50`, `SPA-L-20`, `NMS0.75-5`, `NMS0.8-L-5`, `OMS0.15-50`, `OSD-2`. Parsed specs have early
//! termination on; a bare `NMS`/`OMS` uses α = 0.75 / β = 0.15.

use crate::check_rule::{MinSumCorrection, MinSumRule, SumProductRule};
use crate::hard::HardDecision;
use crate::layered::LayeredDecoder;
use crate::min_sum::{min_sum_label, MinSumDecoder};
use crate::osd::{OsdDecoder, MAX_ORDER};
use crate::sum_product::SumProductDecoder;
use crate::{Decoder, LdpcCode};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DecoderKind {
    /// Sign of the channel LLR; `schedule` and `iterations` are ignored.
    Hard,
    SumProduct,
    NormalizedMinSum {
        alpha: f32,
    },
    OffsetMinSum {
        beta: f32,
    },
    /// Ordered-statistics decoding of order 0..=3 (`crate::osd`); `schedule`, `iterations` and
    /// `early_termination` are ignored.
    Osd {
        order: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    Flooding,
    /// Row-layered: each check is a layer, processed in stored order.
    Layered,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderSpec {
    pub kind: DecoderKind,
    pub schedule: Schedule,
    /// Maximum iterations.
    pub iterations: usize,
    /// Stop at the first hard decision that satisfies every check.
    pub early_termination: bool,
}

pub const DEFAULT_ALPHA: f32 = 0.75;
pub const DEFAULT_BETA: f32 = 0.15;

impl DecoderSpec {
    /// Builds the decoder for `code`.
    pub fn build(&self, code: Arc<LdpcCode>) -> Box<dyn Decoder> {
        let (it, et, name) = (self.iterations, self.early_termination, self.name());
        match (self.kind, self.schedule) {
            (DecoderKind::Hard, _) => Box::new(HardDecision::new(&code)),
            (DecoderKind::Osd { order }, _) => Box::new(OsdDecoder::new(&code, order as usize)),
            (DecoderKind::SumProduct, Schedule::Flooding) => Box::new(SumProductDecoder::new(&code, it, et)),
            (DecoderKind::SumProduct, Schedule::Layered) => {
                Box::new(LayeredDecoder::new(&code, SumProductRule, it, et, name))
            }
            (kind, schedule) => {
                let correction = match kind {
                    DecoderKind::NormalizedMinSum { alpha } => MinSumCorrection::Normalized(alpha),
                    DecoderKind::OffsetMinSum { beta } => MinSumCorrection::Offset(beta),
                    _ => unreachable!("hard, OSD and sum-product handled above"),
                };
                match schedule {
                    Schedule::Flooding => Box::new(MinSumDecoder::new(&code, correction, it, et)),
                    Schedule::Layered => Box::new(LayeredDecoder::new(&code, MinSumRule(correction), it, et, name)),
                }
            }
        }
    }

    /// Label used in scheme names and CSV rows, e.g. `SPA-50`, `NMS0.75-L-5`.
    pub fn name(&self) -> String {
        let rule = match self.kind {
            DecoderKind::Hard => return "HD".into(),
            DecoderKind::Osd { order } => return format!("OSD-{order}"),
            DecoderKind::SumProduct => "SPA".to_string(),
            DecoderKind::NormalizedMinSum { alpha } => min_sum_label(MinSumCorrection::Normalized(alpha)),
            DecoderKind::OffsetMinSum { beta } => min_sum_label(MinSumCorrection::Offset(beta)),
        };
        let layered = if self.schedule == Schedule::Layered { "-L" } else { "" };
        format!("{rule}{layered}-{}", self.iterations)
    }
}

impl fmt::Display for DecoderSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Why a decoder name could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad decoder name '{name}': {reason} (expected e.g. HD, SPA-50, SPA-L-20, NMS0.75-5, NMS-L-5, OMS0.15-50, OSD-2)"
)]
pub struct ParseDecoderError {
    pub name: String,
    pub reason: String,
}

impl FromStr for DecoderSpec {
    type Err = ParseDecoderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseDecoderError { name: s.to_string(), reason: reason.to_string() };
        let upper = s.trim().to_ascii_uppercase();
        if upper == "HD" {
            return Ok(DecoderSpec {
                kind: DecoderKind::Hard,
                schedule: Schedule::Flooding,
                iterations: 0,
                early_termination: true,
            });
        }
        if let Some(order) = upper.strip_prefix("OSD-") {
            return match order.parse::<u8>() {
                Ok(o) if (o as usize) <= MAX_ORDER => Ok(DecoderSpec {
                    kind: DecoderKind::Osd { order: o },
                    schedule: Schedule::Flooding,
                    iterations: 0,
                    early_termination: true,
                }),
                _ => Err(err("OSD order must be 0, 1, 2 or 3")),
            };
        }
        let parts: Vec<&str> = upper.split('-').collect();
        let (rule, schedule, iters) = match parts.as_slice() {
            [rule, iters] => (*rule, Schedule::Flooding, *iters),
            [rule, "L", iters] => (*rule, Schedule::Layered, *iters),
            _ => return Err(err("expected RULE-ITERATIONS or RULE-L-ITERATIONS")),
        };
        let iterations: usize = iters.parse().map_err(|_| err("iterations must be a whole number"))?;
        let param = |prefix: &str, default: f32| -> Result<f32, ParseDecoderError> {
            let p = &rule[prefix.len()..];
            if p.is_empty() {
                return Ok(default);
            }
            match p.parse::<f32>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(err("min-sum parameter must be a non-negative number")),
            }
        };
        let kind = if rule == "SPA" {
            DecoderKind::SumProduct
        } else if rule.starts_with("NMS") {
            DecoderKind::NormalizedMinSum { alpha: param("NMS", DEFAULT_ALPHA)? }
        } else if rule.starts_with("OMS") {
            DecoderKind::OffsetMinSum { beta: param("OMS", DEFAULT_BETA)? }
        } else {
            return Err(err("unknown rule (HD, SPA, NMS, OMS, OSD)"));
        };
        Ok(DecoderSpec { kind, schedule, iterations, early_termination: true })
    }
}
