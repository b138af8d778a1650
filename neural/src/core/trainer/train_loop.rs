//! The step loop every trainer runs, and the interface a training task plugs into it.
//!
//! A task ([`TrainTask`]) owns its model, optimizer, data, run state and [`RunDir`]; it is built by
//! its trainer function, fresh or from a checkpoint (see the recipe in [`crate::core::trainer`]).
//! [`train_loop`] then runs optimizer steps until the task is finished and, after each step, reports,
//! evaluates and checkpoints, in that order, when the step says they are due. The loop itself draws
//! no random numbers and does no arithmetic on the model, so plugging a trainer into it cannot
//! change its trajectory: the RNG draws and floating-point operations are the task's, in the
//! task's order.

use std::time::Instant;

use anyhow::Result;

use crate::core::trainer::RunDir;

/// What is due after a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Due {
    pub report: bool,
    pub eval: bool,
    pub checkpoint: bool,
}

impl Due {
    /// The usual cadence after step `step` (1-based) of `total`: each every its own number of steps,
    /// and all three after the last step.
    pub fn every(step: u64, total: u64, report_every: u64, eval_every: u64, checkpoint_every: u64) -> Self {
        let at = |every: u64| step % every == 0 || step == total;
        Self { report: at(report_every), eval: at(eval_every), checkpoint: at(checkpoint_every) }
    }
}

/// A model and its data, trained by [`train_loop`].
///
/// The task keeps everything that defines its trajectory (data order, RNG streams, learning-rate
/// schedule, how a loss is accumulated) and its own progress event type; the loop only decides
/// when to call what.
pub trait TrainTask {
    /// What the progress callback receives (the task's public progress enum).
    type Event;

    /// Whether the run has reached its planned length (checked before every step, so a resumed run
    /// that is already there does no step).
    fn finished(&self) -> bool;

    /// One optimizer step on the next batch: forward, backward, update, advance the step counter
    /// and the run state. Returns what is due after it.
    fn step(&mut self) -> Result<Due>;

    /// Reports (and logs in the run state) the training loss since the last report.
    fn report(&mut self, progress: &mut dyn FnMut(Self::Event)) -> Result<()>;

    /// Evaluates the model (and logs the result in the run state, so the next checkpoint has it).
    fn evaluate(&mut self, progress: &mut dyn FnMut(Self::Event)) -> Result<()>;

    /// Writes a checkpoint ([`RunDir::save_checkpoint`]) and says so.
    fn checkpoint(&mut self, progress: &mut dyn FnMut(Self::Event)) -> Result<()>;

    /// The run folder (the loop checks that it ends up holding weights).
    fn run_dir(&self) -> &RunDir;
}

/// Runs `task` to its end: steps, with reports, evaluations and checkpoints when due. The folder
/// holds a checkpoint afterwards, also when the run was already finished (a resumed run that asks
/// for no more steps).
pub fn train_loop<T: TrainTask>(task: &mut T, progress: &mut dyn FnMut(T::Event)) -> Result<()> {
    while !task.finished() {
        let due = task.step()?;
        if due.report {
            task.report(progress)?;
        }
        if due.eval {
            task.evaluate(progress)?;
        }
        if due.checkpoint {
            task.checkpoint(progress)?;
        }
    }
    if !task.run_dir().weights_path().exists() {
        task.checkpoint(&mut |_| {})?;
    }
    Ok(())
}

/// A training loss summed between two reports: the summed loss, the units it is over (symbols,
/// words) and since when, for a mean and a throughput.
#[derive(Debug, Clone, Copy)]
pub struct LossWindow {
    pub sum: f64,
    pub units: f64,
    started: Instant,
}

impl LossWindow {
    pub fn new() -> Self {
        Self { sum: 0.0, units: 0.0, started: Instant::now() }
    }

    pub fn add(&mut self, sum: f64, units: f64) {
        self.sum += sum;
        self.units += units;
    }

    /// Units per second since the window began.
    pub fn units_per_s(&self) -> f64 {
        self.units / self.started.elapsed().as_secs_f64().max(1e-9)
    }
}

impl Default for LossWindow {
    fn default() -> Self {
        Self::new()
    }
}

/// One point of a task's training or validation log (`state.json`'s `train_log` / `eval_log`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogPoint {
    pub step: u64,
    pub value: f64,
    /// Seconds of training since the run began (summed over resumed invocations).
    pub wall_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts steps, records the calls, and "writes" weights on checkpoint.
    struct Counter {
        run: RunDir,
        step: u64,
        total: u64,
        calls: Vec<String>,
    }

    impl TrainTask for Counter {
        type Event = String;
        fn finished(&self) -> bool {
            self.step >= self.total
        }
        fn step(&mut self) -> Result<Due> {
            self.step += 1;
            Ok(Due::every(self.step, self.total, 2, 3, 4))
        }
        fn report(&mut self, progress: &mut dyn FnMut(String)) -> Result<()> {
            progress(format!("report {}", self.step));
            Ok(())
        }
        fn evaluate(&mut self, progress: &mut dyn FnMut(String)) -> Result<()> {
            progress(format!("eval {}", self.step));
            Ok(())
        }
        fn checkpoint(&mut self, progress: &mut dyn FnMut(String)) -> Result<()> {
            std::fs::write(self.run.weights_path(), b"w")?;
            self.calls.push(format!("checkpoint {}", self.step));
            progress(format!("checkpoint {}", self.step));
            Ok(())
        }
        fn run_dir(&self) -> &RunDir {
            &self.run
        }
    }

    #[test]
    fn loop_runs_to_the_end_with_the_cadence_in_order() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let run = RunDir::create(dir.path(), "w.safetensors")?;
        let mut task = Counter { run: run.clone(), step: 0, total: 5, calls: Vec::new() };
        let mut events = Vec::new();
        train_loop(&mut task, &mut |e| events.push(e))?;
        assert_eq!(events, ["report 2", "eval 3", "report 4", "checkpoint 4", "report 5", "eval 5", "checkpoint 5"]);
        // Already at the end: no step; weights are there, so no checkpoint either.
        train_loop(&mut task, &mut |_| panic!("no events"))?;
        assert_eq!(task.calls.len(), 2);
        // Weights gone: one silent checkpoint.
        std::fs::remove_file(run.weights_path())?;
        train_loop(&mut task, &mut |_| panic!("no events"))?;
        assert_eq!(task.calls.len(), 3);
        Ok(())
    }
}
