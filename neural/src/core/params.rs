//! Creating a model's parameters from our own seeded generator, with PyTorch's initialisations.
//!
//! candle's CPU generator cannot be seeded, so every weight is drawn here from a ChaCha stream: the same
//! seed gives the same model on any machine. Parameters are recorded with their PyTorch-style names in
//! creation order, the order optimizer state and weight files use.

use candle_core::{Device, Result, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::core::layers::{LayerNorm, Linear};

pub struct ParamBuilder {
    rng: ChaCha8Rng,
    device: Device,
    named: Vec<(String, Var)>,
}

impl ParamBuilder {
    pub fn new(seed: u64, device: &Device) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed), device: device.clone(), named: Vec::new() }
    }

    fn push(&mut self, name: String, values: Vec<f32>, shape: &[usize]) -> Result<Var> {
        let var = Var::from_tensor(&Tensor::from_vec(values, shape, &self.device)?)?;
        self.named.push((name, var.clone()));
        Ok(var)
    }

    /// Uniform in ±`bound`.
    pub fn uniform(&mut self, name: String, shape: &[usize], bound: f64) -> Result<Var> {
        let count: usize = shape.iter().product();
        let values = (0..count).map(|_| self.rng.random_range(-bound..bound) as f32).collect();
        self.push(name, values, shape)
    }

    /// Xavier-uniform of a 2-D tensor (PyTorch: fan_in = size(1), fan_out = size(0)).
    pub fn xavier(&mut self, name: String, shape: [usize; 2]) -> Result<Var> {
        let bound = (6.0 / (shape[0] + shape[1]) as f64).sqrt();
        self.uniform(name, &shape, bound)
    }

    pub fn constant(&mut self, name: String, shape: &[usize], value: f32) -> Result<Var> {
        let count: usize = shape.iter().product();
        self.push(name, vec![value; count], shape)
    }

    /// `nn.Linear(fan_in, fan_out)` after a Xavier re-initialisation of its weight (what DeepSC's and
    /// ECCT's training scripts do to every 2-D parameter); the bias keeps PyTorch's ±1/sqrt(fan_in).
    pub fn linear(&mut self, name: &str, fan_in: usize, fan_out: usize) -> Result<Linear> {
        let w = self.xavier(format!("{name}.weight"), [fan_out, fan_in])?;
        let b = self.uniform(format!("{name}.bias"), &[fan_out], 1.0 / (fan_in as f64).sqrt())?;
        Ok(Linear::new(w, b))
    }

    /// `nn.LayerNorm(dim, eps)`: weight 1, bias 0.
    pub fn layer_norm(&mut self, name: &str, dim: usize, eps: f64) -> Result<LayerNorm> {
        let (w, b) = self.norm_params(name, dim)?;
        Ok(LayerNorm::new(w, b, eps))
    }

    /// The unbiased-std LayerNorm of the Annotated Transformer ([`LayerNorm::new_std`]): weight 1, bias 0.
    pub fn layer_norm_std(&mut self, name: &str, dim: usize, eps: f64) -> Result<LayerNorm> {
        let (w, b) = self.norm_params(name, dim)?;
        Ok(LayerNorm::new_std(w, b, eps))
    }

    fn norm_params(&mut self, name: &str, dim: usize) -> Result<(Var, Var)> {
        Ok((self.constant(format!("{name}.weight"), &[dim], 1.0)?, self.constant(format!("{name}.bias"), &[dim], 0.0)?))
    }

    pub fn finish(self) -> Vec<(String, Var)> {
        self.named
    }
}
