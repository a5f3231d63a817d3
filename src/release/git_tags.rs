//! Git tags for published versions: exactly what `git tag -a <tag> -m <tag>` creates.
//!
//! A [`Tagger`] asks the `git` CLI once for the tagger identity (env and config, as git
//! resolves them) and whether tags must be signed or a `reference-transaction` hook must see
//! them; if neither, it writes the tag objects and refs in-process (libgit2), otherwise it runs
//! `git tag` per tag. Two `git` processes per tag cost more CPU than a 100-package release's
//! uploads, on the machine that often also runs the registry.

use std::path::{Path, PathBuf};
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

/// Creates annotated tags at HEAD, one at a time, for one repository.
pub struct Tagger {
    root: PathBuf,
    fast: Option<InProcess>,
}

struct InProcess {
    repo: git2::Repository,
    target: git2::Oid,
    name: String,
    email: String,
    offset_minutes: i32,
    /// `GIT_COMMITTER_DATE` was set: git uses it for every tag, so do we.
    fixed_time: Option<i64>,
}

impl Tagger {
    pub fn new(root: &Path) -> Tagger {
        Tagger {
            root: root.to_path_buf(),
            fast: InProcess::open(root),
        }
    }

    /// Whether tags are written without running `git tag` (no signing, no ref hook).
    pub fn in_process(&self) -> bool {
        self.fast.is_some()
    }

    /// Creates the annotated tag `tag` at HEAD unless it exists. Ok(true) = created.
    pub fn create(&self, tag: &str) -> Result<bool, String> {
        match &self.fast {
            Some(f) => f.create(tag),
            None => create(&self.root, tag),
        }
    }
}

fn git_stdout(root: &Path, args: &[&str]) -> Option<String> {
    let o = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// `Name <email> 1733300000 +0100` (git var GIT_COMMITTER_IDENT) -> (name, email, time, offset).
fn parse_ident(ident: &str) -> Option<(String, String, i64, i32)> {
    let ident = ident.trim();
    let (who, when) = ident.rsplit_once('>')?;
    let (name, email) = who.split_once('<')?;
    let mut when = when.split_whitespace();
    let time: i64 = when.next()?.parse().ok()?;
    let tz = when.next()?;
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let digits = tz.trim_start_matches(['+', '-']);
    if digits.len() != 4 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some((
        name.trim().to_string(),
        email.to_string(),
        time,
        sign * (hours * 60 + minutes),
    ))
}

impl InProcess {
    fn open(root: &Path) -> Option<InProcess> {
        // Repository overrides from the environment are git's to interpret.
        if [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_COMMON_DIR",
            "GIT_OBJECT_DIRECTORY",
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
        {
            return None;
        }
        // Signed tags need gpg/ssh through git: leave them to `git tag`.
        let signing = git_stdout(
            root,
            &[
                "config",
                "--type=bool",
                "--get-regexp",
                r"^tag\.(gpgsign|forcesignannotated)$",
            ],
        )
        .unwrap_or_default();
        if signing.lines().any(|l| l.ends_with(" true")) {
            return None;
        }
        let hook = git_stdout(
            root,
            &["rev-parse", "--git-path", "hooks/reference-transaction"],
        )?;
        if root.join(hook.trim()).exists() {
            return None;
        }
        let ident = git_stdout(root, &["var", "GIT_COMMITTER_IDENT"])?;
        let (name, email, time, offset_minutes) = parse_ident(&ident)?;
        let repo = git2::Repository::discover(root).ok()?;
        let target = repo.head().ok()?.peel_to_commit().ok()?.id();
        Some(InProcess {
            repo,
            target,
            name,
            email,
            offset_minutes,
            fixed_time: std::env::var_os("GIT_COMMITTER_DATE").map(|_| time),
        })
    }

    fn create(&self, tag: &str) -> Result<bool, String> {
        let fail = |e: git2::Error| format!("git tag {tag} failed: {}", e.message());
        if self
            .repo
            .find_reference(&format!("refs/tags/{tag}"))
            .is_ok()
        {
            return Ok(false);
        }
        let now = self.fixed_time.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        let sig = git2::Signature::new(
            &self.name,
            &self.email,
            &git2::Time::new(now, self.offset_minutes),
        )
        .map_err(fail)?;
        let target = self.repo.find_object(self.target, None).map_err(fail)?;
        // `git tag -m <msg>` stores the message with a final newline.
        match self
            .repo
            .tag(tag, &target, &sig, &format!("{tag}\n"), false)
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == git2::ErrorCode::Exists => Ok(false),
            Err(e) => Err(fail(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env_remove("GIT_COMMITTER_DATE")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        git(d.path(), &["init", "-q"]);
        git(d.path(), &["config", "user.name", "Tag Tester"]);
        git(d.path(), &["config", "user.email", "tags@example.test"]);
        git(d.path(), &["commit", "-q", "--allow-empty", "-m", "init"]);
        d
    }

    #[test]
    fn in_process_tags_read_like_git_tag_a() {
        let d = repo();
        let t = Tagger::new(d.path());
        assert!(t.in_process());
        assert_eq!(t.create("@s/a@1.0.0"), Ok(true));
        assert_eq!(t.create("@s/a@1.0.0"), Ok(false));
        // The same tag made by git itself, for comparison (minus the timestamp).
        git(d.path(), &["tag", "-a", "@s/b@1.0.0", "-m", "@s/b@1.0.0"]);
        let strip = |s: String| -> Vec<String> {
            s.lines()
                .map(|l| match l.strip_prefix("tagger ") {
                    Some(rest) => format!("tagger {}", rest.rsplit_once('>').unwrap().0),
                    None => l.replace("@s/b", "@s/a"),
                })
                .collect()
        };
        let ours = strip(git(d.path(), &["cat-file", "-p", "refs/tags/@s/a@1.0.0"]));
        let theirs = strip(git(d.path(), &["cat-file", "-p", "refs/tags/@s/b@1.0.0"]));
        assert_eq!(ours, theirs);
        assert!(ours.contains(&"tagger Tag Tester <tags@example.test".to_string()));
        let head = git(d.path(), &["rev-parse", "HEAD"]);
        assert_eq!(ours[0], format!("object {}", head.trim()));
        // git sees it as an annotated tag of HEAD.
        assert_eq!(
            git(d.path(), &["cat-file", "-t", "@s/a@1.0.0"]).trim(),
            "tag"
        );
    }

    #[test]
    fn signing_or_a_ref_hook_leaves_tagging_to_git() {
        let d = repo();
        git(d.path(), &["config", "tag.gpgSign", "yes"]);
        assert!(!Tagger::new(d.path()).in_process());
        let d = repo();
        let hooks = d.path().join(".git/hooks");
        std::fs::create_dir_all(&hooks).unwrap();
        std::fs::write(hooks.join("reference-transaction"), "#!/bin/sh\n").unwrap();
        assert!(!Tagger::new(d.path()).in_process());
    }

    #[test]
    fn idents_parse() {
        assert_eq!(
            parse_ident("A B <a@b.c> 1700000000 -0130\n"),
            Some(("A B".into(), "a@b.c".into(), 1_700_000_000, -90))
        );
        assert_eq!(parse_ident("nobody"), None);
    }

    #[test]
    fn names() {
        assert_eq!(tag_name("@a/b", "1.0.0", false), "@a/b@1.0.0");
        assert_eq!(tag_name("b", "1.0.0", true), "v1.0.0");
    }
}
