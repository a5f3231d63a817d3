//! Git tags for published versions, through the `git` CLI so hooks, signing and config apply.

use std::path::Path;
use std::process::Command;

/// `name@version`, or `vX.Y.Z` in a single-package repository (changesets' convention).
pub fn tag_name(name: &str, version: &str, single_package: bool) -> String {
    if single_package {
        format!("v{version}")
    } else {
        format!("{name}@{version}")
    }
}

pub fn is_repo(root: &Path) -> bool {
    Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn head(root: &Path) -> Option<String> {
    let o = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| s.len() == 40)
}

/// Creates the annotated tag `tag` at HEAD unless it exists. Ok(true) = created.
pub fn create(root: &Path, tag: &str) -> Result<bool, String> {
    let exists = Command::new("git")
        .args(["rev-parse", "-q", "--verify"])
        .arg(format!("refs/tags/{tag}"))
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if exists.status.success() {
        return Ok(false);
    }
    let o = Command::new("git")
        .args(["tag", "-a", tag, "-m", tag])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if o.status.success() {
        Ok(true)
    } else {
        Err(format!(
            "git tag {tag} failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(tag_name("@a/b", "1.0.0", false), "@a/b@1.0.0");
        assert_eq!(tag_name("b", "1.0.0", true), "v1.0.0");
    }
}
