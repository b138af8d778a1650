//! Learning-rate schedules shared by the tasks.

/// Linear warm-up over `warmup` steps to `lr`, then a cosine from `lr` down to `lr_min` at step
/// `steps` (and `lr_min` after it). `step` is 0-based. Re-planning `steps` on resume re-plans the
/// cosine from there on.
pub fn warmup_cosine(step: u64, warmup: u64, steps: u64, lr: f64, lr_min: f64) -> f64 {
    if step < warmup {
        return lr * (step + 1) as f64 / warmup as f64;
    }
    let span = steps.saturating_sub(warmup).max(1) as f64;
    let t = ((step - warmup) as f64 / span).min(1.0);
    lr_min + (lr - lr_min) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_then_falls_to_the_floor() {
        assert_eq!(warmup_cosine(0, 10, 110, 1.0, 0.1), 0.1);
        assert_eq!(warmup_cosine(9, 10, 110, 1.0, 0.1), 1.0);
        assert_eq!(warmup_cosine(10, 10, 110, 1.0, 0.1), 1.0);
        assert!((warmup_cosine(60, 10, 110, 1.0, 0.1) - 0.55).abs() < 1e-12);
        assert_eq!(warmup_cosine(110, 10, 110, 1.0, 0.1), 0.1);
        assert_eq!(warmup_cosine(500, 10, 110, 1.0, 0.1), 0.1);
    }
}
