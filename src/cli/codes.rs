//! `sim codes info FILE`: n, k, rows, rank, rate and degree profile of a parity-check matrix.

use std::path::PathBuf;

use clap::Subcommand;
use codes::LdpcCode;

#[derive(Subcommand)]
pub enum CodesCommand {
    /// Print n, k, rows, rank, rate and degree profile.
    Info {
        /// alist or dense 0/1 text file.
        file: PathBuf,
    },
}

pub fn run(c: CodesCommand) -> anyhow::Result<()> {
    match c {
        CodesCommand::Info { file } => {
            let code = LdpcCode::from_file(&file)?;
            println!("{}", file.display());
            println!("{code}");
            Ok(())
        }
    }
}
