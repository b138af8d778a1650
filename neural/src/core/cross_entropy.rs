//! Softmax cross-entropy over a large vocabulary, fused into one op with its own backward pass.
//!
//! Written with tensor ops, `-log_softmax(logits)[target]` over DeepSC's 22,234 words allocates half a
//! dozen `(positions × vocabulary)` tensors per step (~250 MB each at batch 128) and reads them as many
//! times; a one-hot target matrix would add another. Here the forward pass reads each logit row twice
//! (max, then the sum of exponentials) and returns one loss per row; the backward pass writes
//! `(softmax − onehot) · upstream` in one sweep. CPU only: other devices use the composed form
//! ([`cross_entropy_rows`] picks), which gives the same values.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor, D};

/// Rows' losses `−log p(target)` for logits `(N, V)` and `targets` (one id per row, `< V`). Rows
/// whose target is `ignore` get loss 0 and no gradient (padding).
pub fn cross_entropy_rows(logits: &Tensor, targets: &[u32], ignore: Option<u32>) -> Result<Tensor> {
    let (n, v) = logits.dims2()?;
    if targets.len() != n {
        candle_core::bail!("cross_entropy: {} targets for {n} rows", targets.len());
    }
    if let Some(t) = targets.iter().find(|&&t| Some(t) != ignore && t as usize >= v) {
        candle_core::bail!("cross_entropy: target {t} outside the {v}-word vocabulary");
    }
    if logits.device().is_cpu() && logits.dtype() == DType::F32 {
        return logits.apply_op1(FusedCrossEntropy { targets: targets.to_vec(), ignore });
    }
    // Composed form: log-softmax, then pick the targets.
    let max = logits.max_keepdim(D::Minus1)?.detach();
    let shifted = logits.broadcast_sub(&max)?;
    let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    let logp = shifted.broadcast_sub(&lse)?;
    let idx: Vec<u32> = targets.iter().map(|&t| if Some(t) == ignore { 0 } else { t }).collect();
    let keep: Vec<f32> = targets.iter().map(|&t| if Some(t) == ignore { 0.0 } else { 1.0 }).collect();
    let idx = Tensor::from_vec(idx, (n, 1), logits.device())?;
    let keep = Tensor::from_vec(keep, n, logits.device())?;
    logp.gather(&idx, 1)?.squeeze(1)?.neg()?.mul(&keep)
}

struct FusedCrossEntropy {
    targets: Vec<u32>,
    ignore: Option<u32>,
}

/// Contiguous f32 rows of a CPU tensor.
fn rows_of<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let data = match storage {
        CpuStorage::F32(d) => d.as_slice(),
        _ => candle_core::bail!("cross_entropy: logits must be f32"),
    };
    match layout.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("cross_entropy: logits must be contiguous"),
    }
}

/// `(max, log Σ exp(x − max))` of a row.
fn row_stats(row: &[f32]) -> (f32, f32) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = row.iter().map(|&x| (x - max).exp()).sum();
    (max, sum.ln())
}

impl CustomOp1 for FusedCrossEntropy {
    fn name(&self) -> &'static str {
        "fused-cross-entropy"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, v) = layout.shape().dims2()?;
        let data = rows_of(storage, layout)?;
        let losses: Vec<f32> = (0..n)
            .map(|i| {
                let t = self.targets[i];
                if Some(t) == self.ignore {
                    return 0.0;
                }
                let row = &data[i * v..(i + 1) * v];
                let (max, lse) = row_stats(row);
                lse - (row[t as usize] - max)
            })
            .collect();
        Ok((CpuStorage::F32(losses), Shape::from(n)))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let (n, v) = arg.dims2()?;
        let arg = arg.contiguous()?;
        let upstream = grad_res.to_dtype(DType::F32)?.to_vec1::<f32>()?;
        let (storage, layout) = arg.storage_and_layout();
        let data = match &*storage {
            candle_core::Storage::Cpu(s) => rows_of(s, layout)?,
            _ => candle_core::bail!("cross_entropy: backward on a non-CPU tensor"),
        };
        let mut grad = vec![0f32; n * v];
        for i in 0..n {
            let t = self.targets[i];
            if Some(t) == self.ignore || upstream[i] == 0.0 {
                continue;
            }
            let row = &data[i * v..(i + 1) * v];
            let (max, lse) = row_stats(row);
            let g = &mut grad[i * v..(i + 1) * v];
            for (gj, &x) in g.iter_mut().zip(row) {
                *gj = (x - max - lse).exp() * upstream[i];
            }
            g[t as usize] -= upstream[i];
        }
        drop(storage);
        Ok(Some(Tensor::from_vec(grad, (n, v), arg.device())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// The fused op and the composed form agree in value and gradient, padding rows included.
    #[test]
    fn fused_matches_composed_in_value_and_gradient() -> Result<()> {
        let dev = Device::Cpu;
        let values: Vec<f32> = (0..4 * 7).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.7).collect();
        let targets = [3u32, 0, 6, 0];
        let ignore = Some(0);
        let x = Var::from_tensor(&Tensor::from_vec(values.clone(), (4, 7), &dev)?)?;
        let weights = Tensor::new(&[1f32, 2.0, 0.5, 3.0], &dev)?;

        let fused = cross_entropy_rows(x.as_tensor(), &targets, ignore)?;
        let loss = fused.mul(&weights)?.sum_all()?;
        let g_fused = loss.backward()?.get(x.as_tensor()).unwrap().to_vec2::<f32>()?;

        // Composed: force the generic path with a plain log-softmax written here.
        let max = x.as_tensor().max_keepdim(1)?.detach();
        let shifted = x.as_tensor().broadcast_sub(&max)?;
        let logp = shifted.broadcast_sub(&shifted.exp()?.sum_keepdim(1)?.log()?)?;
        let idx = Tensor::new(&[[3u32], [0], [6], [0]], &dev)?;
        let keep = Tensor::new(&[1f32, 0.0, 1.0, 0.0], &dev)?;
        let composed = logp.gather(&idx, 1)?.squeeze(1)?.neg()?.mul(&keep)?;
        let loss2 = composed.mul(&weights)?.sum_all()?;
        let g_comp = loss2.backward()?.get(x.as_tensor()).unwrap().to_vec2::<f32>()?;

        let (a, b) = (fused.to_vec1::<f32>()?, composed.to_vec1::<f32>()?);
        for i in 0..4 {
            assert!((a[i] - b[i]).abs() < 1e-5, "loss row {i}: {} vs {}", a[i], b[i]);
            for j in 0..7 {
                assert!((g_fused[i][j] - g_comp[i][j]).abs() < 1e-5, "grad ({i},{j})");
            }
        }
        assert_eq!(a[1], 0.0, "padding rows cost nothing");
        assert!(g_fused[1].iter().all(|&g| g == 0.0), "padding rows get no gradient");
        // −log softmax at the target, by hand for row 0.
        let row = &values[0..7];
        let lse = row.iter().map(|v| v.exp()).sum::<f32>().ln();
        assert!((a[0] - (lse - row[3])).abs() < 1e-5);
        Ok(())
    }

    #[test]
    fn out_of_range_targets_are_errors() {
        let x = Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap();
        assert!(cross_entropy_rows(&x, &[1, 3], None).is_err());
        assert!(cross_entropy_rows(&x, &[1], None).is_err());
    }
}
