//! The points of a sweep in the single run's order, and the numbering of their work units: the one
//! walk over (scheme × SNR) that the single run, a shard and `sim merge` share.
//!
//! A message point's units are its message batches ([`crate::link::message::batches`]), numbered
//! across the whole sweep in this order (the numbering shards deal out round-robin). A link-level
//! point's units are its groups of frame batches (`link::block::engine::group_batches`), owned by
//! shard `g mod N` within each point.

use channels::SnrPoint;

use crate::link::facts::SchemeFacts;
use crate::scenario::Scenario;

/// One point of a sweep.
#[derive(Debug, Clone)]
pub struct PlannedPoint {
    /// Index of the scheme (in the scenario's order, as `facts`).
    pub scheme: usize,
    /// The value on the scenario's SNR axis (the `snr_db` column, and the key of its row).
    pub value_db: f64,
    pub point: SnrPoint,
    /// Number of the point's first work unit in the sweep (message points only; 0 otherwise).
    pub first_unit: u64,
}

/// Every scheme × its SNR values ([`Scenario::snr_values`]), scheme by scheme, each point owning
/// `units_per_point` consecutive units.
pub fn plan(facts: &[SchemeFacts], scenario: &Scenario, units_per_point: u64) -> Vec<PlannedPoint> {
    let mut unit = 0;
    let mut points = Vec::new();
    for (scheme, f) in facts.iter().enumerate() {
        for &value_db in scenario.snr_values(&f.name) {
            points.push(PlannedPoint {
                scheme,
                value_db,
                point: f.point(value_db, scenario.snr.axis),
                first_unit: unit,
            });
            unit += units_per_point;
        }
    }
    points
}
