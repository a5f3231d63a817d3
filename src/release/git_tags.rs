//! Git tags for published versions: exactly what `git tag -a <tag> -m <tag>` creates.
//!
//! A [`Tagger`] asks the `git` CLI once for the tagger identity (env and config, as git
//! resolves them) and whether tags must be signed or a `reference-transaction` hook must see
//! them; if neither, it writes the tag objects and refs in-process (libgit2), otherwise it runs
//! `git tag` per tag. Two `git` processes per tag cost more CPU than a 100-package release's
//! uploads, on the machine that often also runs the registry.

use std::io::Write;
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
    /// Tag objects already written by [`Tagger::prepare`], by tag name.
    prepared: std::collections::HashMap<String, git2::Oid>,
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

    /// Writes the tag objects of `tags` (those without a ref yet) ahead of time, all in one
    /// pack file, so [`Tagger::create`] only adds each ref: one file per tag instead of three
    /// (loose object, its fan-out directory, the ref). Objects whose tag is never created stay
    /// unreferenced until `git gc`. On any failure nothing is prepared and `create` writes the
    /// objects itself.
    pub fn prepare(&mut self, tags: &[String]) -> Result<usize, String> {
        let Some(f) = self.fast.as_mut() else {
            return Ok(0);
        };
        let prepared = f.prepare(tags).map_err(|e| e.message().to_string())?;
        f.prepared = prepared;
        Ok(f.prepared.len())
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
            prepared: std::collections::HashMap::new(),
            name,
            email,
            offset_minutes,
            fixed_time: std::env::var_os("GIT_COMMITTER_DATE").map(|_| time),
        })
    }

    fn signature(&self) -> Result<git2::Signature<'static>, git2::Error> {
        let now = self.fixed_time.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        git2::Signature::new(
            &self.name,
            &self.email,
            &git2::Time::new(now, self.offset_minutes),
        )
    }

    fn prepare(
        &mut self,
        tags: &[String],
    ) -> Result<std::collections::HashMap<String, git2::Oid>, git2::Error> {
        let todo: Vec<&String> = tags
            .iter()
            .filter(|t| self.repo.find_reference(&format!("refs/tags/{t}")).is_err())
            .collect();
        let mut out = std::collections::HashMap::new();
        if todo.len() < 2 {
            return Ok(out);
        }
        {
            // A second handle: its object database gets the in-memory backend, the one
            // `create` uses does not (a later write there must reach the disk).
            let repo = git2::Repository::open(self.repo.path())?;
            let odb = repo.odb()?;
            let mempack = odb.add_new_mempack_backend(1000)?;
            let sig = self.signature()?;
            let target = repo.find_object(self.target, None)?;
            for t in todo {
                let oid = repo.tag_annotation_create(t, &target, &sig, &format!("{t}\n"))?;
                out.insert(t.clone(), oid);
            }
            // (Mempack::dump packs commits only; a pack builder takes any object.)
            let mut builder = repo.packbuilder()?;
            for oid in out.values() {
                builder.insert_object(*oid, None)?;
            }
            let mut pack = git2::Buf::new();
            builder.write_buf(&mut pack)?;
            drop(builder);
            mempack.reset()?;
            let mut w = odb.packwriter()?;
            w.write_all(&pack)
                .map_err(|e| git2::Error::from_str(&e.to_string()))?;
            w.commit()?;
        }
        // A fresh handle lists the pack directory anew (an open one may not notice a pack
        // written in the same instant); every prepared object must be readable through it.
        let fresh = git2::Repository::open(self.repo.path())?;
        for oid in out.values() {
            fresh.find_object(*oid, Some(git2::ObjectType::Tag))?;
        }
        self.repo = fresh;
        Ok(out)
    }

    fn create(&self, tag: &str) -> Result<bool, String> {
        let fail = |e: git2::Error| format!("git tag {tag} failed: {}", e.message());
        let refname = format!("refs/tags/{tag}");
        if self.repo.find_reference(&refname).is_ok() {
            return Ok(false);
        }
        if let Some(oid) = self.prepared.get(tag) {
            return match self.repo.reference(&refname, *oid, false, "") {
                Ok(_) => Ok(true),
                Err(e) if e.code() == git2::ErrorCode::Exists => Ok(false),
                Err(e) => Err(fail(e)),
            };
        }
        let sig = self.signature().map_err(fail)?;
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
    fn prepared_tags_come_from_one_pack_and_read_like_git_tag_a() {
        let d = repo();
        let mut t = Tagger::new(d.path());
        let names: Vec<String> = ["@s/a@1.0.0", "@s/b@1.0.0", "@s/c@1.0.0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(t.prepare(&names), Ok(3));
        assert_eq!(t.create("@s/a@1.0.0"), Ok(true));
        assert_eq!(t.create("@s/b@1.0.0"), Ok(true));
        assert_eq!(t.create("@s/b@1.0.0"), Ok(false));
        // Not prepared: written the usual way, to disk (not into a forgotten memory backend).
        assert_eq!(t.create("@s/d@1.0.0"), Ok(true));
        drop(t);
        let count = git(d.path(), &["count-objects", "-v"]);
        assert!(
            count.contains("packs: 1") && count.contains("in-pack: 3"),
            "{count}"
        );
        git(d.path(), &["fsck", "--no-dangling"]);
        git(d.path(), &["tag", "-a", "@s/e@1.0.0", "-m", "@s/e@1.0.0"]);
        let strip = |s: String, from: &str| -> Vec<String> {
            s.lines()
                .map(|l| match l.strip_prefix("tagger ") {
                    Some(rest) => format!("tagger {}", rest.rsplit_once('>').unwrap().0),
                    None => l.replace(from, "@s/x"),
                })
                .collect()
        };
        let theirs = strip(git(d.path(), &["cat-file", "-p", "@s/e@1.0.0"]), "@s/e");
        for (tag, short) in [
            ("@s/a@1.0.0", "@s/a"),
            ("@s/b@1.0.0", "@s/b"),
            ("@s/d@1.0.0", "@s/d"),
        ] {
            assert_eq!(git(d.path(), &["cat-file", "-t", tag]).trim(), "tag");
            assert_eq!(
                strip(git(d.path(), &["cat-file", "-p", tag]), short),
                theirs
            );
        }
        // The unused prepared object is not a tag anyone sees.
        assert!(!git(d.path(), &["tag", "-l"]).contains("@s/c@1.0.0"));
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
