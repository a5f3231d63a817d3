//! Git reads (git2) and writes (the `git` CLI, so hooks, signing and credentials behave).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Why a git command failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run git in {dir}: {source}")]
    Spawn { dir: String, source: std::io::Error },
    #[error("`git {args}` failed in {dir}: {stderr}")]
    Failed {
        args: String,
        dir: String,
        stderr: String,
    },
}

fn git(root: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|source| GitError::Spawn {
            dir: root.display().to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            dir: root.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The full sha of HEAD.
pub fn head_sha(root: &Path) -> Result<String, GitError> {
    Ok(git(root, &["rev-parse", "HEAD"])?.trim().to_string())
}

/// For each path (relative to `root`, forward slashes), the full sha of the commit that added
/// it, following renames — what changesets gets from one
/// `git log --diff-filter=A --follow --max-count=1 <path>` per file, here in a single
/// `git log` pass over `dir`. Paths never committed (or no git at all) are absent.
pub fn commits_that_add_files(
    root: &Path,
    dir: &str,
    paths: &[String],
) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if paths.is_empty() {
        return found;
    }
    let Ok(log) = git(
        root,
        &[
            "log",
            "-M",
            "--relative",
            "--diff-filter=AR",
            "--name-status",
            "-z",
            "--pretty=format:%x01%H",
            "--",
            dir,
        ],
    ) else {
        return found;
    };
    // Name each wanted path is known by at the commit being read (renames walk it back).
    let mut tracked: BTreeMap<String, String> =
        paths.iter().map(|p| (p.clone(), p.clone())).collect();
    for record in log.split('\u{1}').filter(|r| !r.is_empty()) {
        // `<sha>\n<status>\0<path>\0[<new path>\0]...`
        let Some((sha, rest)) = record.split_once('\n') else {
            continue;
        };
        let sha = sha.trim().to_string();
        let fields: Vec<&str> = rest.split('\0').filter(|f| !f.is_empty()).collect();
        let mut i = 0;
        while i < fields.len() {
            let status = fields[i];
            if status.starts_with('R') || status.starts_with('C') {
                if let (Some(old), Some(new)) = (fields.get(i + 1), fields.get(i + 2))
                    && status.starts_with('R')
                {
                    for (want, name) in tracked.iter_mut() {
                        if name == new && !found.contains_key(want) {
                            *name = old.to_string();
                        }
                    }
                }
                i += 3;
            } else {
                if status.starts_with('A')
                    && let Some(path) = fields.get(i + 1)
                {
                    for (want, name) in &tracked {
                        if name == path && !found.contains_key(want) {
                            found.insert(want.clone(), sha.clone());
                        }
                    }
                }
                i += 2;
            }
        }
    }
    found
}

/// `git add <path>` for each path, then `git commit -m <message> --allow-empty`, through the
/// git CLI so hooks and signing apply.
/// A path git refuses to add (e.g. a deleted file that was never committed) is reported back,
/// not fatal, as in changesets.
pub fn add_and_commit(
    root: &Path,
    paths: &[String],
    message: &str,
) -> Result<Vec<GitError>, GitError> {
    let mut skipped = Vec::new();
    for p in paths {
        if let Err(e) = git(root, &["add", "--", p]) {
            skipped.push(e);
        }
    }
    git(root, &["commit", "-m", message, "--allow-empty"])?;
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn add_commits_follow_renames() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        run(root, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(root.join(".changeset/pre")).unwrap();
        std::fs::write(
            root.join(".changeset/x.md"),
            "---\n\"a\": patch\n---\n\nsome longer text here\n",
        )
        .unwrap();
        run(root, &["add", "."]);
        run(root, &["commit", "-qm", "one"]);
        let first = head_sha(root).unwrap();
        run(root, &["mv", ".changeset/x.md", ".changeset/pre/x.md"]);
        run(root, &["commit", "-qm", "two"]);
        std::fs::write(root.join(".changeset/y.md"), "y").unwrap();
        run(root, &["add", "."]);
        run(root, &["commit", "-qm", "three"]);
        let third = head_sha(root).unwrap();
        std::fs::write(root.join(".changeset/z.md"), "z").unwrap();
        let got = commits_that_add_files(
            root,
            ".changeset",
            &[
                ".changeset/pre/x.md".into(),
                ".changeset/y.md".into(),
                ".changeset/z.md".into(),
            ],
        );
        assert_eq!(got.get(".changeset/pre/x.md"), Some(&first));
        assert_eq!(got.get(".changeset/y.md"), Some(&third));
        assert_eq!(got.get(".changeset/z.md"), None);
    }
}
