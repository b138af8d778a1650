//! One-line progress of `sim compress`/`decompress` in file mode on stderr (tokens done, rate,
//! ETA), redrawn at most twice a second, only after the first second; `--quiet` silences it.

use std::sync::Mutex;
use std::time::Instant;

pub struct Meter {
    started: Instant,
    last: Mutex<f64>,
    quiet: bool,
}

impl Meter {
    pub fn new(_bytes: usize, quiet: bool) -> Self {
        Self { started: Instant::now(), last: Mutex::new(0.0), quiet }
    }

    /// `done` of `total` tokens coded.
    pub fn show(&self, done: usize, total: usize) {
        if self.quiet {
            return;
        }
        let t = self.started.elapsed().as_secs_f64();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if t < 1.0 || (t - *last < 0.5 && done < total) {
            return;
        }
        *last = t;
        let rate = done as f64 / t.max(1e-9);
        let eta = (total.saturating_sub(done)) as f64 / rate.max(1e-9);
        eprint!("\r{done}/{total} tokens, {rate:.0} tokens/s, ETA {eta:.0} s   ");
        if done >= total {
            eprintln!();
        }
    }
}
