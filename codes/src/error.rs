//! Errors raised while loading or building a code.
//!
//! Every parse error carries the file, the 1-based line number and the field being read, so a user
//! can open the file at the right place: `codes/x.alist:3: column weight of column 2: expected a
//! number, found 'q'`.

use std::path::{Path, PathBuf};

/// Why a parity-check matrix could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// The file could not be read. The I/O error is part of the message, not a `source`, so an
    /// error chain (`{:#}`) says it once.
    #[error("{}: cannot read file: {reason}", path.display())]
    Io { path: PathBuf, reason: std::io::Error },
    /// A token or line of the file is malformed.
    #[error("{}:{line}: {field}: {message}", path.display())]
    Parse {
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was being read, e.g. "column weight of column 2".
        field: String,
        message: String,
    },
    /// The file parses but does not describe a usable matrix (empty, inconsistent sections, ...).
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl CodeError {
    pub(crate) fn parse(path: &Path, line: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        CodeError::Parse { path: path.to_path_buf(), line, field: field.into(), message: message.into() }
    }

    pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> Self {
        CodeError::Invalid { path: path.to_path_buf(), message: message.into() }
    }
}
