//! Writing change files exactly as `@changesets/write` 3.x does with `"format": false`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::Rng;

use super::names::human_id;
use super::read::{CHANGESET_DIR, changeset_path};
use super::{ChangesetError, Release};

/// The text changesets writes: `---\n"a": minor\n---\n\n<summary>\n`. Names are always
/// double-quoted because `@scope/name` is not a valid plain YAML key.
pub fn render(releases: &[Release], summary: &str) -> String {
    let lines: Vec<String> = releases
        .iter()
        .map(|r| format!("\"{}\": {}", r.name, r.bump))
        .collect();
    format!("---\n{}\n---\n\n{summary}\n", lines.join("\n"))
}

/// Where a change file was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenChangeFile {
    pub id: String,
    /// Relative to the repository root.
    pub path: PathBuf,
}

/// Writes a new change file with a fresh human-readable name drawn from `rng` (a seeded RNG
/// makes the name deterministic). Names already used in `.changeset/` or `.changeset/pre/`
/// are skipped, and the file is created exclusively so a concurrent writer is never
/// overwritten.
pub fn write(
    root: &Path,
    releases: &[Release],
    summary: &str,
    rng: &mut impl Rng,
) -> Result<WrittenChangeFile, ChangesetError> {
    let base = root.join(CHANGESET_DIR);
    if !base.is_dir() {
        return Err(ChangesetError::NoChangesetDir {
            dir: PathBuf::from(CHANGESET_DIR),
        });
    }
    // The id space is ~10 million names; a few hundred tries only fail on a broken disk.
    for _ in 0..1000 {
        let id = human_id(rng);
        if base.join("pre").join(format!("{id}.md")).exists() {
            continue;
        }
        match write_with_id(root, &id, releases, summary) {
            Ok(w) => return Ok(w),
            Err(ChangesetError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Err(ChangesetError::Io {
        path: PathBuf::from(CHANGESET_DIR),
        source: std::io::Error::other("could not find an unused change-file name"),
    })
}

/// Writes `.changeset/<id>.md`, failing if it already exists.
pub fn write_with_id(
    root: &Path,
    id: &str,
    releases: &[Release],
    summary: &str,
) -> Result<WrittenChangeFile, ChangesetError> {
    let path = changeset_path(id);
    let io = |source| ChangesetError::Io {
        path: path.clone(),
        source,
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(root.join(&path))
        .map_err(io)?;
    let text = render(releases, summary);
    if let Err(e) = f.write_all(text.as_bytes()).and_then(|_| f.sync_all()) {
        drop(f);
        let _ = fs::remove_file(root.join(&path));
        return Err(io(e));
    }
    Ok(WrittenChangeFile {
        id: id.to_string(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changeset::BumpType;

    #[test]
    fn format_matches_changesets() {
        let r = vec![
            Release {
                name: "a".into(),
                bump: BumpType::Minor,
            },
            Release {
                name: "@s/b".into(),
                bump: BumpType::Patch,
            },
        ];
        assert_eq!(
            render(&r, "Hello"),
            "---\n\"a\": minor\n\"@s/b\": patch\n---\n\nHello\n"
        );
        assert_eq!(render(&[], ""), "---\n\n---\n\n\n");
    }
}
