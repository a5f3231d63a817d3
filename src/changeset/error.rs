//! What can go wrong with change files and `pre.json`; every message names the file.

use std::path::PathBuf;

/// Paths are relative to the repository root (`.changeset/brave-otters-jump.md`) so messages
/// read the same on every machine.
#[derive(Debug, thiserror::Error)]
pub enum ChangesetError {
    #[error(
        "There is no .changeset directory in this project ({}). Run `relay init` to create one.",
        dir.display()
    )]
    NoChangesetDir { dir: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: could not parse change file: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{}:{line}: Found changeset {id} for package {name} which is not in the workspace{}",
        path.display(),
        match suggestion {
            Some(s) => format!("; did you mean \"{s}\"?"),
            None => "; fix the package name or delete the line".to_string(),
        }
    )]
    UnknownPackage {
        path: PathBuf,
        line: usize,
        id: String,
        name: String,
        suggestion: Option<String>,
    },
    #[error("{}:{line}:{column}: invalid JSON: {message}", path.display())]
    PreJson {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}: {message}", path.display())]
    PreInvalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "`relay pre enter` cannot be run when in pre mode ({} has mode \"pre\", tag \"{tag}\"). \
         If you're trying to exit pre mode, run `relay pre exit`.",
        path.display()
    )]
    AlreadyInPre { path: PathBuf, tag: String },
    #[error(
        "`relay pre exit` can only be run when in pre mode ({} does not exist). \
         If you're trying to enter pre mode, run `relay pre enter <tag>`.",
        path.display()
    )]
    NotInPre { path: PathBuf },
    #[error(
        "invalid pre-release tag {tag:?}: use letters, digits, `-` and `.` (e.g. `beta`, `rc`, `next`)"
    )]
    BadTag { tag: String },
}

impl ChangesetError {
    /// Errors about how relay was invoked (exit 2) rather than about files (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, ChangesetError::BadTag { .. })
    }
}
