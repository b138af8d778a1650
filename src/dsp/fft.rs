//! The discrete Fourier transform of a power-of-two length: iterative radix-2 Cooley–Tukey
//! (decimation in time, bit-reversed input order), in place on `(re, im)` pairs. The inverse is the
//! forward transform of the conjugate, conjugated and divided by the length.

/// An in-place radix-2 complex FFT of a fixed power-of-two size.
pub struct Fft {
    n: usize,
    twiddles: Vec<(f64, f64)>,
}

impl Fft {
    pub fn new(n: usize) -> Self {
        assert!(n.is_power_of_two());
        let twiddles = (0..n / 2)
            .map(|k| {
                let a = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
                (a.cos(), a.sin())
            })
            .collect();
        Fft { n, twiddles }
    }

    /// `X[k] = Σ x[n]·e^{−2πikn/N}`.
    pub fn forward(&self, buf: &mut [(f64, f64)]) {
        let n = buf.len();
        assert_eq!(n, self.n, "FFT length");
        if n == 1 {
            return;
        }
        let bits = n.trailing_zeros();
        for i in 0..n {
            let j = i.reverse_bits() >> (usize::BITS - bits);
            if j > i {
                buf.swap(i, j);
            }
        }
        let mut len = 2;
        while len <= n {
            let step = n / len;
            for start in (0..n).step_by(len) {
                for k in 0..len / 2 {
                    let (wr, wi) = self.twiddles[k * step];
                    let (ar, ai) = buf[start + k];
                    let (br, bi) = buf[start + k + len / 2];
                    let (tr, ti) = (br * wr - bi * wi, br * wi + bi * wr);
                    buf[start + k] = (ar + tr, ai + ti);
                    buf[start + k + len / 2] = (ar - tr, ai - ti);
                }
            }
            len *= 2;
        }
    }

    /// `x[n] = (1/N)·Σ X[k]·e^{2πikn/N}`, the inverse of [`Self::forward`].
    pub fn inverse(&self, buf: &mut [(f64, f64)]) {
        let scale = 1.0 / buf.len() as f64;
        buf.iter_mut().for_each(|c| c.1 = -c.1);
        self.forward(buf);
        buf.iter_mut().for_each(|c| *c = (c.0 * scale, -c.1 * scale));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_matches_the_direct_dft() {
        let x: Vec<(f64, f64)> = (0..16).map(|i| ((i as f64 * 0.7).sin(), (i as f64 * 0.3).cos())).collect();
        let mut fast = x.clone();
        Fft::new(16).forward(&mut fast);
        for (k, got) in fast.iter().enumerate() {
            let want = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, &(a, b))| {
                let angle = -2.0 * std::f64::consts::PI * (k * n) as f64 / 16.0;
                (re + a * angle.cos() - b * angle.sin(), im + a * angle.sin() + b * angle.cos())
            });
            assert!((got.0 - want.0).abs() < 1e-12 && (got.1 - want.1).abs() < 1e-12, "{k}");
        }
    }

    #[test]
    fn inverse_undoes_forward() {
        let x: Vec<(f64, f64)> = (0..64).map(|i| ((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos())).collect();
        let mut y = x.clone();
        let fft = Fft::new(64);
        fft.forward(&mut y);
        fft.inverse(&mut y);
        for (a, b) in x.iter().zip(&y) {
            assert!((a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12);
        }
    }
}
