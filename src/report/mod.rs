//! Writing results: `results.csv` rows as points finish, `samples.csv` and `run.json` beside them.

pub mod audio_samples;
pub mod by_snr;
pub mod compare;
pub mod crossings;
pub mod distance;
pub mod domain;
pub mod image_grid;
mod number;
pub mod page;
pub mod plot;
pub mod receivers;
mod results_csv;
pub mod run_info;
mod samples_csv;

pub use results_csv::{read_complete_rows, write_rows, ReadRows, ResultRow, ResultsFile};
pub use samples_csv::{read_samples, samples_sha256, write_samples, SampleRow};

/// The rows of `dir/results.csv`.
pub fn results_csv_rows(dir: &std::path::Path) -> anyhow::Result<ReadRows> {
    read_complete_rows(&dir.join("results.csv"))
}
pub use run_info::{write_atomic, RunInfo};
