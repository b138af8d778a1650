//! Progress of a long training run. On a terminal: a live bar with the latest loss. Anywhere else
//! (`nohup ... > log`, a SLURM job's output file), indicatif hides the bar and drops its printed
//! lines, which would leave a day-long run with an empty log; there every event line (epoch, eval,
//! validation) is printed plainly, with a status line (step, loss, learning rate) at the first step
//! and then at most once a minute.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often the plain-text form repeats the status line.
const STATUS_EVERY: Duration = Duration::from_secs(60);

pub(super) struct TrainingProgress {
    total: u64,
    /// `None` when the output is not a terminal.
    bar: Option<ProgressBar>,
    last_status: Option<Instant>,
}

impl TrainingProgress {
    /// A progress report for `total` training steps.
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let pb = ProgressBar::new(total);
            pb.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps (eta {eta}) {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            pb.enable_steady_tick(Duration::from_millis(500));
            pb
        });
        Self { total, bar, last_status: None }
    }

    /// Step `step` is done; `status` says how it went (loss, learning rate, speed).
    pub fn step(&mut self, step: u64, status: String) {
        match &self.bar {
            Some(pb) => {
                pb.set_position(step);
                pb.set_message(status);
            }
            None => {
                if self.last_status.is_none_or(|t| t.elapsed() >= STATUS_EVERY) || step == self.total {
                    self.last_status = Some(Instant::now());
                    println!("step {step}/{}: {status}", self.total);
                }
            }
        }
    }

    /// A line that stays in the output (an epoch's mean loss, an evaluation).
    pub fn line(&self, text: String) {
        match &self.bar {
            Some(pb) => pb.println(text),
            None => println!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}
