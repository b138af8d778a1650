//! Where `sim compress` and `sim decompress` write: a regular file (replaced atomically: a temporary
//! file beside it is renamed over it, so a failure leaves the old file or nothing) or standard output
//! (`-o -`). Checked before any work: a symbolic link, FIFO, device or folder is refused by name (an
//! atomic rename would replace the link or FIFO itself with a regular file), as is the input file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// A checked output.
pub enum Output {
    Stdout,
    File(PathBuf),
}

impl Output {
    /// Checks `output` for a command reading `input`.
    pub fn check(input: &Path, output: &Path) -> anyhow::Result<Self> {
        if output.as_os_str() == "-" {
            return Ok(Output::Stdout);
        }
        if let Ok(meta) = std::fs::symlink_metadata(output) {
            let kind = meta.file_type();
            let what = if kind.is_symlink() {
                Some("a symbolic link (name the file it points to, or remove the link)")
            } else if kind.is_dir() {
                Some("a folder (name a file inside it)")
            } else if !kind.is_file() {
                Some("not a regular file (a FIFO, socket or device); use -o - to write to standard output")
            } else {
                None
            };
            if let Some(what) = what {
                anyhow::bail!("-o {}: is {what}", output.display());
            }
            if let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
                if a == b {
                    anyhow::bail!("-o {}: is the input file; write the result elsewhere", output.display());
                }
            }
        }
        let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.is_dir() {
            anyhow::bail!("-o {}: the folder {} does not exist", output.display(), dir.display());
        }
        Ok(Output::File(output.to_path_buf()))
    }

    /// Writes `bytes` whole: atomically to a file, or to standard output.
    pub fn write(&self, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|_| out.flush()).context("writing to standard output")
            }
            Output::File(path) => {
                let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                source::container::write_atomic(path, bytes).with_context(|| {
                    format!(
                        "-o {}: cannot write it (a temporary file in {} is renamed over it)",
                        path.display(),
                        dir.display()
                    )
                })
            }
        }
    }

    /// How messages name it.
    pub fn name(&self) -> String {
        match self {
            Output::Stdout => "standard output".into(),
            Output::File(p) => p.display().to_string(),
        }
    }

    /// Summary lines go to stderr when the data goes to stdout.
    pub fn is_stdout(&self) -> bool {
        matches!(self, Output::Stdout)
    }

    /// Prints a summary line where it does not mix with the data: stdout, or stderr when the data
    /// goes to stdout.
    pub fn report(&self, line: &str) {
        if self.is_stdout() {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// A file name as one CSV field (quoted when it holds a comma, quote or line break).
pub fn csv_field(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}
