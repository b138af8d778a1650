//! The orthonormal DCT-II and its inverse (the DCT-III), the transform of `link::audio::linear`.
//!
//! `X[k] = s_k·Σ_n x[n]·cos(π(2n+1)k/(2N))`, `s_0 = √(1/N)`, `s_k = √(2/N)` otherwise: an
//! orthogonal matrix, so energy and white noise are preserved. For a power-of-two `N` it is computed
//! from one complex FFT of length `N` (Makhoul, "A fast cosine transform in one and two dimensions",
//! IEEE Trans. ASSP 28(1), 1980): the even samples in order followed by the odd ones reversed,
//! transformed, each bin turned by `e^{−iπk/(2N)}` and its real part kept. The inverse undoes the
//! steps, rebuilding each bin from `X[k]` and `X[N−k]`. Other lengths use the cosine table directly
//! (`N²` products per transform).

use super::fft::Fft;

/// The largest length that is not a power of two whose cosine table we build (8 bytes × `N²`:
/// 32 MiB at this length).
pub const MAX_TABLE_LEN: usize = 2048;

/// A DCT of one length.
pub struct Dct {
    n: usize,
    kind: Kind,
    /// `s_k`, the orthonormal scale of bin `k`.
    scale: Vec<f64>,
}

enum Kind {
    /// Makhoul's algorithm, with the turn `e^{−iπk/(2N)}` of each bin.
    Fast { fft: Fft, turns: Vec<(f64, f64)> },
    /// `cos(π(2n+1)k/(2N))` at `k·N + n`.
    Table(Vec<f64>),
}

impl Dct {
    /// The DCT of length `n`; `None` when `n` is 0, or neither a power of two nor at most
    /// [`MAX_TABLE_LEN`].
    pub fn new(n: usize) -> Option<Self> {
        let scale = (0..n).map(|k| if k == 0 { (1.0 / n as f64).sqrt() } else { (2.0 / n as f64).sqrt() }).collect();
        let kind = if n.is_power_of_two() {
            let turns = (0..n)
                .map(|k| {
                    let a = -std::f64::consts::PI * k as f64 / (2 * n) as f64;
                    (a.cos(), a.sin())
                })
                .collect();
            Kind::Fast { fft: Fft::new(n), turns }
        } else if n > 0 && n <= MAX_TABLE_LEN {
            let table = (0..n * n)
                .map(|i| {
                    let (k, t) = (i / n, i % n);
                    (std::f64::consts::PI * ((2 * t + 1) * k) as f64 / (2 * n) as f64).cos()
                })
                .collect();
            Kind::Table(table)
        } else {
            return None;
        };
        Some(Dct { n, kind, scale })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The orthonormal DCT-II of `x` (`x.len()` must be the length).
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        assert_eq!(x.len(), n, "DCT input length");
        let unscaled: Vec<f64> = match &self.kind {
            Kind::Fast { fft, turns } => {
                let mut v = vec![(0.0, 0.0); n];
                for k in 0..n / 2 {
                    v[k].0 = x[2 * k];
                    v[n - 1 - k].0 = x[2 * k + 1];
                }
                if n == 1 {
                    v[0].0 = x[0];
                }
                fft.forward(&mut v);
                v.iter().zip(turns).map(|(&(re, im), &(c, s))| re * c - im * s).collect()
            }
            Kind::Table(table) => table.chunks(n).map(|row| row.iter().zip(x).map(|(c, v)| c * v).sum()).collect(),
        };
        unscaled.iter().zip(&self.scale).map(|(v, s)| v * s).collect()
    }

    /// The inverse of [`Self::forward`] (the orthonormal DCT-III).
    pub fn inverse(&self, coefficients: &[f64]) -> Vec<f64> {
        let n = self.n;
        assert_eq!(coefficients.len(), n, "DCT input length");
        let c: Vec<f64> = coefficients.iter().zip(&self.scale).map(|(v, s)| v * s).collect();
        match &self.kind {
            Kind::Fast { fft, turns } => {
                if n == 1 {
                    return c;
                }
                // V[k] = e^{iπk/(2N)}·(C[k] − i·C[N−k]), C[N] = 0, with C[k] = X[k]/s_k; here `c`
                // holds X[k]·s_k, so each term is scaled by N/2 (k > 0) or N (k = 0) to match.
                let unscaled = |k: usize| if k == 0 { c[0] * n as f64 } else { c[k] * n as f64 / 2.0 };
                let mut v: Vec<(f64, f64)> = (0..n)
                    .map(|k| {
                        let (re, im) = (unscaled(k), if k == 0 { 0.0 } else { -unscaled(n - k) });
                        let (tc, ts) = (turns[k].0, -turns[k].1);
                        (re * tc - im * ts, re * ts + im * tc)
                    })
                    .collect();
                fft.inverse(&mut v);
                let mut x = vec![0.0; n];
                for k in 0..n / 2 {
                    x[2 * k] = v[k].0;
                    x[2 * k + 1] = v[n - 1 - k].0;
                }
                x
            }
            Kind::Table(table) => {
                let mut x = vec![0.0; n];
                for (row, &ck) in table.chunks(n).zip(&c) {
                    for (xi, cos) in x.iter_mut().zip(row) {
                        *xi += ck * cos;
                    }
                }
                x
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        (0..n)
            .map(|k| {
                let s = if k == 0 { (1.0 / n as f64).sqrt() } else { (2.0 / n as f64).sqrt() };
                s * x
                    .iter()
                    .enumerate()
                    .map(|(t, v)| v * (std::f64::consts::PI * ((2 * t + 1) * k) as f64 / (2 * n) as f64).cos())
                    .sum::<f64>()
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_and_inverts_at_power_of_two_and_other_lengths() {
        for n in [1, 2, 8, 64, 1024, 3, 10, 100] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.73).sin() * 1000.0 + (i % 7) as f64 + 1.0).collect();
            let dct = Dct::new(n).unwrap();
            let (got, want) = (dct.forward(&x), direct(&x));
            let tolerance = 1e-9 * want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!((a - b).abs() < tolerance, "n {n} bin {k}: {a} against {b}");
            }
            let back = dct.inverse(&got);
            for (a, b) in back.iter().zip(&x) {
                assert!((a - b).abs() < 1e-9, "n {n}: {a} against {b}");
            }
            // Orthonormal: energy is kept.
            let energy = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>();
            assert!((energy(&got) / energy(&x) - 1.0).abs() < 1e-12, "n {n}");
        }
        assert!(Dct::new(0).is_none() && Dct::new(MAX_TABLE_LEN + 1).is_none() && Dct::new(8192).is_some());
    }
}
