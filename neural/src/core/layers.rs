//! Layers as small structs holding their parameters, with a `forward` (the way candle-transformers'
//! `models/bert.rs` writes them), built from the differentiable forms in [`crate::core::nn`] so every
//! parameter gets a gradient. Parameters are created by [`crate::core::params::ParamBuilder`] (or a
//! model's own seeded initialiser) under PyTorch's names, `{name}.weight` and `{name}.bias`; weight files
//! are loaded into them by name, so the structs change no file.

use candle_core::{Result, Tensor, Var};

use crate::core::nn;

/// `nn.Linear`: `y = x Wᵀ + b` with weight `(out, in)` and bias `(out)`.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Var,
    bias: Var,
}

impl Linear {
    pub fn new(weight: Var, bias: Var) -> Self {
        Self { weight, bias }
    }
    pub fn weight(&self) -> &Var {
        &self.weight
    }
    pub fn bias(&self) -> &Var {
        &self.bias
    }
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        nn::linear(x, &self.weight, &self.bias)
    }
}

/// How a [`LayerNorm`] divides by the spread of its input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormForm {
    /// PyTorch's `nn.LayerNorm`: `(x − mean) / sqrt(biased variance + eps)` ([`nn::layer_norm_eps`]).
    Variance,
    /// The Annotated Transformer's `LayerNorm`: `(x − mean) / (unbiased std + eps)` ([`nn::layer_norm_std_eps`]).
    UnbiasedStd,
}

/// Layer normalisation over the last dimension with a learned scale (`weight`) and shift (`bias`).
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Var,
    bias: Var,
    eps: f64,
    form: NormForm,
}

impl LayerNorm {
    /// PyTorch's `nn.LayerNorm` with epsilon `eps` (its default is 1e-5).
    pub fn new(weight: Var, bias: Var, eps: f64) -> Self {
        Self { weight, bias, eps, form: NormForm::Variance }
    }
    /// The unbiased-std form ([`NormForm::UnbiasedStd`]) with epsilon `eps`.
    pub fn new_std(weight: Var, bias: Var, eps: f64) -> Self {
        Self { weight, bias, eps, form: NormForm::UnbiasedStd }
    }
    pub fn weight(&self) -> &Var {
        &self.weight
    }
    pub fn bias(&self) -> &Var {
        &self.bias
    }
    pub fn eps(&self) -> f64 {
        self.eps
    }
    pub fn form(&self) -> NormForm {
        self.form
    }
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self.form {
            NormForm::Variance => nn::layer_norm_eps(x, &self.weight, &self.bias, self.eps),
            NormForm::UnbiasedStd => nn::layer_norm_std_eps(x, &self.weight, &self.bias, self.eps),
        }
    }
}
