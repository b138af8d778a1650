//! `sim slurm SCENARIO --shards N [--partition P] [--time T] [--cpus C] [--out DIR] [--set K=V ...]`
//!
//! Writes, into `<results>/slurm/`, what a user submits to a SLURM cluster as is:
//! - `shards.sbatch`: a job array `0-(N-1)`; task `I` runs `sim run SCENARIO --shard I/N` (with the
//!   same `--out` and `--set`s), C CPUs each, `RAYON_NUM_THREADS` set to them;
//! - `merge.sbatch`: `sim merge <results>`;
//! - `submit.sh`: submits the array with `sbatch --parsable`, then the merge with
//!   `--dependency=afterok:<array job id>`, so the merge starts once every shard has succeeded.
//!
//! Paths in the scripts are absolute (the scenario, the results folder, this `sim` binary, and the
//! current folder as the jobs' working directory), so they run from anywhere on a cluster whose
//! nodes share the file system. Logs go to `<results>/slurm/logs/`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::scenario;

#[derive(Args)]
pub struct SlurmArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of shards (array tasks).
    #[arg(long)]
    pub shards: u64,
    /// Partition (sbatch --partition); the cluster's default when absent.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit of each job (sbatch --time, e.g. 02:00:00); the partition's default when absent.
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per shard (sbatch --cpus-per-task), also given to the simulation's threads.
    #[arg(long, default_value_t = 1)]
    pub cpus: u32,
    /// Results folder (default: results/<scenario name>); scripts go to its slurm/ folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Scenario overrides passed on to every shard, as for `sim run`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The sim binary the jobs run (default: this one).
    #[arg(long)]
    pub sim: Option<PathBuf>,
}

/// Everything the scripts name, resolved to absolute paths.
struct Job {
    name: String,
    shards: u64,
    cpus: u32,
    partition: Option<String>,
    time: Option<String>,
    sim: PathBuf,
    scenario: PathBuf,
    workdir: PathBuf,
    out: PathBuf,
    overrides: Vec<String>,
}

pub fn run(a: SlurmArgs) -> anyhow::Result<()> {
    if a.shards == 0 {
        anyhow::bail!("--shards must be at least 1");
    }
    if a.cpus == 0 {
        anyhow::bail!("--cpus must be at least 1");
    }
    // Load it and build every scheme now (text set, code files, models, weights): whatever would
    // stop `sim run` stops here, not on the cluster.
    let loaded = scenario::load(&a.scenario, &a.set)?;
    for note in &loaded.notes {
        eprintln!("note: {note}");
    }
    crate::link::sweep::check_buildable(&loaded)?;
    let workdir = std::env::current_dir().context("cannot read the current folder")?;
    let out = workdir.join(a.out.unwrap_or_else(|| PathBuf::from("results").join(&loaded.scenario.name)));
    let sim = match a.sim {
        Some(p) => workdir.join(p),
        None => std::env::current_exe().context("cannot locate this sim binary (give --sim)")?,
    };
    let scenario = a.scenario.canonicalize().with_context(|| format!("{}: cannot resolve", a.scenario.display()))?;
    let job = Job {
        name: loaded.scenario.name.clone(),
        shards: a.shards,
        cpus: a.cpus,
        partition: a.partition,
        time: a.time,
        sim,
        scenario,
        workdir,
        out,
        overrides: a.set,
    };
    for (what, p) in [("results folder", &job.out), ("working folder", &job.workdir)] {
        let s = p.display().to_string();
        if s.chars().any(|c| c.is_whitespace() || c == '"' || c == '\'') {
            anyhow::bail!(
                "{s}: the {what} is named in #SBATCH lines, which cannot hold spaces or quotes; use --out elsewhere"
            );
        }
    }
    let dir = job.out.join("slurm");
    std::fs::create_dir_all(dir.join("logs")).with_context(|| format!("{}: cannot create", dir.display()))?;
    write_script(&dir.join("shards.sbatch"), &shards_script(&job))?;
    write_script(&dir.join("merge.sbatch"), &merge_script(&job))?;
    write_script(&dir.join("submit.sh"), &submit_script(&dir))?;
    println!("wrote {0}/shards.sbatch, {0}/merge.sbatch and {0}/submit.sh", dir.display());
    println!("submit with: bash {}", quote(&dir.join("submit.sh").display().to_string()));
    Ok(())
}

fn write_script(path: &Path, text: &str) -> anyhow::Result<()> {
    crate::report::write_atomic(path, text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("{}: cannot make executable", path.display()))?;
    }
    Ok(())
}

/// A word for the shell, single-quoted.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn sbatch_common(job: &Job, lines: &mut Vec<String>) {
    lines.push(format!("#SBATCH --cpus-per-task={}", job.cpus));
    lines.push("#SBATCH --ntasks=1".into());
    if let Some(p) = &job.partition {
        lines.push(format!("#SBATCH --partition={p}"));
    }
    if let Some(t) = &job.time {
        lines.push(format!("#SBATCH --time={t}"));
    }
    lines.push(format!("#SBATCH --chdir={}", job.workdir.display()));
}

fn sim_command(job: &Job, args: &[String]) -> String {
    let mut words = vec![quote(&job.sim.display().to_string())];
    words.extend(args.iter().cloned());
    words.join(" ")
}

fn shards_script(job: &Job) -> String {
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!(
            "# {} shards of {} (written by `sim slurm`; submit with submit.sh).",
            job.shards,
            job.scenario.display()
        ),
        "# Array task I runs shard I/N into the results folder's shards/; a task run again resumes.".into(),
        format!("#SBATCH --job-name={}-shards", job.name),
        format!("#SBATCH --array=0-{}", job.shards - 1),
    ];
    sbatch_common(job, &mut lines);
    lines.push(format!("#SBATCH --output={}/slurm/logs/shard-%a.log", job.out.display()));
    lines.push("set -euo pipefail".into());
    lines.push(format!("export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{}}}\"", job.cpus));
    let mut args = vec![
        "run".to_string(),
        quote(&job.scenario.display().to_string()),
        "--out".into(),
        quote(&job.out.display().to_string()),
    ];
    for o in &job.overrides {
        args.push("--set".into());
        args.push(quote(o));
    }
    args.push("--shard".into());
    args.push(format!("\"${{SLURM_ARRAY_TASK_ID}}/{}\"", job.shards));
    lines.push(format!("exec {}", sim_command(job, &args)));
    lines.join("\n") + "\n"
}

fn merge_script(job: &Job) -> String {
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!("# Merges the shards of {} into results.csv (written by `sim slurm`; submit.sh queues it after the shards).", job.scenario.display()),
        format!("#SBATCH --job-name={}-merge", job.name),
    ];
    sbatch_common(job, &mut lines);
    lines.push(format!("#SBATCH --output={}/slurm/logs/merge.log", job.out.display()));
    lines.push("set -euo pipefail".into());
    lines.push(format!("export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{}}}\"", job.cpus));
    lines.push(format!("exec {}", sim_command(job, &["merge".into(), quote(&job.out.display().to_string())])));
    lines.join("\n") + "\n"
}

fn submit_script(dir: &Path) -> String {
    let dir = quote(&dir.display().to_string());
    format!(
        r#"#!/usr/bin/env bash
# Submits the shards as one job array, then the merge, which SLURM starts only once every shard has
# succeeded (afterok). Written by `sim slurm`. If a shard fails, fix the cause and run this again:
# finished shards find their work recorded and exit at once (cancel the stale merge job first).
set -euo pipefail
dir={dir}
mkdir -p "$dir/logs"
array=$(sbatch --parsable "$dir/shards.sbatch")
array=${{array%%;*}}
merge=$(sbatch --parsable --dependency=afterok:"$array" "$dir/merge.sbatch")
merge=${{merge%%;*}}
echo "shards: job array $array; merge: job $merge (after every shard succeeds); logs in $dir/logs"
"#
    )
}
