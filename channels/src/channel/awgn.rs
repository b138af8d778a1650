//! Additive white Gaussian noise: `y = x + n`, `n ~ N(0, σ²)` per real dimension.

use super::Channel;
use crate::rng::StreamRng;
use rand::Rng;
use rand_distr::StandardNormal;

#[derive(Debug, Clone, Copy, Default)]
pub struct AwgnChannel;

impl Channel for AwgnChannel {
    fn name(&self) -> String {
        "awgn".into()
    }
    fn transmit(
        &self,
        tx: &[f32],
        _frame_dims: usize,
        _dims_per_symbol: usize,
        sigma: f32,
        rng: &mut StreamRng,
        rx: &mut [f32],
        gain: &mut [f32],
    ) {
        for (r, &x) in rx.iter_mut().zip(tx) {
            let n: f32 = rng.sample(StandardNormal);
            *r = x + sigma * n;
        }
        gain[..tx.len()].fill(1.0);
    }
}
