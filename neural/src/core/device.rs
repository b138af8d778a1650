//! Where a trainer runs: CPU or CUDA device 0.

use anyhow::{Context, Result};
use candle_core::Device;
use serde::{Deserialize, Serialize};

/// Where to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    Cpu,
    Cuda,
}

impl DeviceChoice {
    pub fn device(&self) -> Result<Device> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda => Device::new_cuda(0).context(
                "cannot open CUDA device 0 (was lmsscc-neural built with `--features cuda`, and is a GPU present?)",
            ),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cpu" => Some(Self::Cpu),
            "cuda" | "gpu" => Some(Self::Cuda),
            _ => None,
        }
    }
}
