//! The only file-writing primitives: atomic writes and all-or-nothing batches.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `contents` to a temporary file beside `path`, then renames it over `path`, so a reader
/// (or a crash) sees either the old file or the new one, never half of it.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    if let Ok(meta) = fs::metadata(path) {
        // Keep the mode of the file we replace (an executable script stays executable).
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// One change to the file system, computed before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    Write { path: PathBuf, contents: Vec<u8> },
    Remove { path: PathBuf },
}

impl FileOp {
    pub fn path(&self) -> &Path {
        match self {
            FileOp::Write { path, .. } | FileOp::Remove { path } => path,
        }
    }
}

/// Applies every op, or none: on the first failure every op already applied is undone from the
/// snapshot taken before it, and the error is returned. `fail_at` injects a failure before op N
/// (tests use it to prove the rollback).
pub fn apply_all(ops: &[FileOp], fail_at: Option<usize>) -> io::Result<()> {
    let mut undo: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let result = if fail_at == Some(i) {
            Err(io::Error::other(format!(
                "injected failure before writing {}",
                op.path().display()
            )))
        } else {
            let before = match fs::read(op.path()) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return rollback(undo, e),
            };
            let r = match op {
                FileOp::Write { path, contents } => write_atomic(path, contents),
                FileOp::Remove { path } => match fs::remove_file(path) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    other => other,
                },
            };
            if r.is_ok() {
                undo.push((op.path().to_path_buf(), before));
            }
            r
        };
        if let Err(e) = result {
            return rollback(undo, e);
        }
    }
    Ok(())
}

fn rollback(undo: Vec<(PathBuf, Option<Vec<u8>>)>, err: io::Error) -> io::Result<()> {
    for (path, before) in undo.into_iter().rev() {
        let _ = match before {
            Some(bytes) => write_atomic(&path, &bytes),
            None => fs::remove_file(&path),
        };
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_restores_everything() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.txt");
        fs::write(&a, "old a").unwrap();
        fs::write(&b, "old b").unwrap();
        let ops = vec![
            FileOp::Write {
                path: a.clone(),
                contents: b"new a".to_vec(),
            },
            FileOp::Remove { path: b.clone() },
            FileOp::Write {
                path: dir.path().join("c.txt"),
                contents: b"c".to_vec(),
            },
        ];
        for fail in 0..ops.len() {
            assert!(apply_all(&ops, Some(fail)).is_err());
            assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
            assert_eq!(fs::read_to_string(&b).unwrap(), "old b");
            assert!(!dir.path().join("c.txt").exists());
        }
        apply_all(&ops, None).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "new a");
        assert!(!b.exists());
    }
}
