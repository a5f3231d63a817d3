//! Git reads (git2) and writes (the `git` CLI, so hooks, signing and credentials behave).
//!
//! The reads mirror `@changesets/git`: `merge-base <ref> HEAD`, `git diff --name-only
//! <merge-base>` (tracked files, committed or not; untracked files are not seen, as in
//! changesets), the change files added since a ref, and the commit that added a file.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{DiffFindOptions, DiffOptions, Oid, Repository};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{}: not inside a git repository ({message}); run `git init` or pass --cwd", path.display())]
    NotARepo { path: PathBuf, message: String },
    #[error(
        "Failed to find where HEAD diverged from \"{reference}\". Does \"{reference}\" exist and \
         it's synced with remote? ({message})"
    )]
    NoMergeBase { reference: String, message: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("`git {args}` failed: {stderr}")]
    Command { args: String, stderr: String },
    #[error("could not run `git`: {0}; is git installed and on PATH?")]
    Spawn(std::io::Error),
}

/// An open repository.
pub struct Repo {
    repo: Repository,
    workdir: PathBuf,
}

impl Repo {
    /// Opens the repository containing `path` (searching upwards).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        let repo = Repository::discover(path).map_err(|e| GitError::NotARepo {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| GitError::NotARepo {
                path: path.to_path_buf(),
                message: "bare repository".into(),
            })?
            .to_path_buf();
        // Canonical, so paths compare equal with canonicalised package directories.
        let workdir = workdir.canonicalize().unwrap_or(workdir);
        Ok(Repo { repo, workdir })
    }

    /// The top of the work tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    fn head_oid(&self) -> Result<Oid, git2::Error> {
        self.repo.head()?.peel_to_commit().map(|c| c.id())
    }

    /// `git merge-base <reference> HEAD`.
    pub fn merge_base(&self, reference: &str) -> Result<Oid, GitError> {
        let fail = |e: git2::Error| GitError::NoMergeBase {
            reference: reference.to_string(),
            message: e.message().to_string(),
        };
        let other = self
            .repo
            .revparse_single(reference)
            .and_then(|o| o.peel_to_commit())
            .map_err(fail)?;
        let head = self.head_oid().map_err(fail)?;
        self.repo.merge_base(other.id(), head).map_err(fail)
    }

    /// Paths (relative to the work tree, `/`-separated) that differ between `commit` and the
    /// work tree including the index, with rename detection like `git diff`. Deleted files are
    /// included unless `skip_deleted`.
    fn diff_paths(&self, commit: Oid, skip_deleted: bool) -> Result<Vec<String>, GitError> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let mut opts = DiffOptions::new();
        opts.include_typechange(true);
        let mut diff = self
            .repo
            .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))?;
        diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
        let mut out = Vec::new();
        for d in diff.deltas() {
            if skip_deleted && d.status() == git2::Delta::Deleted {
                continue;
            }
            let file = if d.status() == git2::Delta::Deleted {
                d.old_file()
            } else {
                d.new_file()
            };
            if let Some(p) = file.path() {
                out.push(p.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(out)
    }

    /// changesets' `getChangedFilesSince({fullPath: true})`: absolute paths of the files
    /// changed since HEAD diverged from `reference`.
    pub fn changed_files_since(&self, reference: &str) -> Result<Vec<PathBuf>, GitError> {
        let base = self.merge_base(reference)?;
        Ok(self
            .diff_paths(base, false)?
            .into_iter()
            .map(|p| self.workdir.join(p))
            .collect())
    }

    /// changesets' `getChangedChangesetFilesSinceRef`: change files added or modified since
    /// HEAD diverged from `reference`, as names relative to `.changeset/` (`x.md`,
    /// `pre/y.md`). A ref that cannot be resolved gives an empty list, as in changesets.
    pub fn changed_changeset_files_since(&self, reference: &str) -> Vec<String> {
        let Ok(base) = self.merge_base(reference) else {
            return Vec::new();
        };
        let Ok(paths) = self.diff_paths(base, true) else {
            return Vec::new();
        };
        paths
            .into_iter()
            .filter_map(|p| {
                let i = p.rfind(".changeset/")?;
                let rest = &p[i + ".changeset/".len()..];
                let name = rest.strip_prefix("pre/").unwrap_or(rest);
                (name.ends_with(".md") && !name.contains('/')).then(|| rest.to_string())
            })
            .collect()
    }

    /// The full hash of HEAD.
    pub fn head_commit(&self) -> Result<String, GitError> {
        Ok(self.head_oid()?.to_string())
    }

    /// Whether tag `name` exists locally.
    pub fn tag_exists(&self, name: &str) -> bool {
        self.repo
            .find_reference(&format!("refs/tags/{name}"))
            .is_ok()
    }

    /// The branch a new config should name as `baseBranch`: the remote's default branch
    /// (`origin/HEAD`), else a local `main` or `master`, else the current branch, else `main`.
    pub fn default_branch(&self) -> String {
        if let Ok(r) = self.repo.find_reference("refs/remotes/origin/HEAD")
            && let Ok(Some(target)) = r.symbolic_target()
            && let Some(name) = target.strip_prefix("refs/remotes/origin/")
        {
            return name.to_string();
        }
        for name in ["main", "master"] {
            if self.repo.find_branch(name, git2::BranchType::Local).is_ok() {
                return name.to_string();
            }
        }
        // An unborn HEAD still names its branch.
        if let Ok(r) = self.repo.find_reference("HEAD")
            && let Ok(Some(target)) = r.symbolic_target()
            && let Some(name) = target.strip_prefix("refs/heads/")
        {
            return name.to_string();
        }
        "main".to_string()
    }
}

/// changesets' `getChangedPackagesSinceRef`: the packages (in the order changesets returns
/// them: deepest directory first) that hold a file changed since HEAD diverged from
/// `reference`, counting only files (relative to the package) that `changed_file_patterns`
/// select. Each file belongs to the deepest package containing it.
pub fn changed_packages_since<'w>(
    repo: &Repo,
    ws: &'w crate::workspace::Workspace,
    reference: &str,
    changed_file_patterns: &[String],
) -> Result<Vec<&'w crate::workspace::Package>, GitError> {
    use crate::settings::glob::{PicoGlob, passes};
    let patterns: Vec<PicoGlob> = changed_file_patterns
        .iter()
        .filter_map(|p| PicoGlob::new(p).ok())
        .collect();
    let mut files = repo.changed_files_since(reference)?;
    let root = ws.root.canonicalize().unwrap_or_else(|_| ws.root.clone());
    let mut pkgs: Vec<(&crate::workspace::Package, PathBuf)> =
        crate::changeset::versionable_packages(ws)
            .into_iter()
            .map(|p| {
                let dir = if p.dir == "." {
                    root.clone()
                } else {
                    root.join(&p.dir)
                };
                (p, dir)
            })
            .collect();
    // Stable, like `toSorted`: longer directory paths first.
    pkgs.sort_by_key(|(_, dir)| std::cmp::Reverse(dir.as_os_str().len()));
    let mut out = Vec::new();
    for (pkg, dir) in pkgs {
        let mut mine = Vec::new();
        files.retain(|f| match f.strip_prefix(&dir) {
            Ok(rel) => {
                mine.push(rel.to_string_lossy().replace('\\', "/"));
                false
            }
            Err(_) => true,
        });
        if !mine.is_empty() && mine.iter().any(|f| passes(&patterns, f)) {
            out.push(pkg);
        }
    }
    Ok(out)
}

fn git(cwd: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(GitError::Spawn)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(GitError::Command {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// `git add <path>`.
pub fn add(cwd: &Path, path: &Path) -> Result<(), GitError> {
    git(cwd, &["add", "--", &path.to_string_lossy()]).map(drop)
}

/// `git commit -m <message> --allow-empty`, as changesets commits.
pub fn commit(cwd: &Path, message: &str) -> Result<(), GitError> {
    git(cwd, &["commit", "-m", message, "--allow-empty"]).map(drop)
}

/// `git tag <name> -m <name>`: an annotated tag, so `git push --follow-tags` pushes it.
pub fn tag(cwd: &Path, name: &str) -> Result<(), GitError> {
    git(cwd, &["tag", name, "-m", name]).map(drop)
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
    loop {
        // In a shallow clone a file seems added by the boundary commit (or not at all) when its
        // real adding commit is older: like changesets, deepen and look again. The shallow
        // check runs beside the log.
        let (found, shallow) = std::thread::scope(|s| {
            let shallow = s.spawn(|| {
                git(root, &["rev-parse", "--is-shallow-repository"])
                    .is_ok_and(|s| s.trim() == "true")
            });
            let found = scan_adding_commits(root, dir, paths);
            (found, shallow.join().unwrap_or(false))
        });
        if !shallow {
            return found;
        }
        let boundary: HashSet<String> = git(root, &["rev-parse", "--git-path", "shallow"])
            .ok()
            .and_then(|p| std::fs::read_to_string(root.join(p.trim())).ok())
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let incomplete = paths
            .iter()
            .any(|p| found.get(p).is_none_or(|sha| boundary.contains(sha)));
        if !incomplete || git(root, &["fetch", "-q", "--deepen=50"]).is_err() {
            return found;
        }
    }
}

/// One `git log` pass of [`commits_that_add_files`] over the history present locally.
fn scan_adding_commits(root: &Path, dir: &str, paths: &[String]) -> BTreeMap<String, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn sh(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn git_out(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[test]
    fn reads_match_git() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        sh(root, &["init", "-q", "-b", "main"]);
        fs::create_dir_all(root.join("packages/a")).unwrap();
        fs::create_dir_all(root.join(".changeset/pre")).unwrap();
        fs::write(root.join("packages/a/index.js"), "1").unwrap();
        fs::write(root.join(".changeset/old.md"), "---\n---\n").unwrap();
        fs::write(root.join("gone.txt"), "x").unwrap();
        sh(root, &["add", "-A"]);
        sh(root, &["commit", "-qm", "init"]);
        sh(root, &["checkout", "-qb", "feature"]);
        fs::write(root.join(".changeset/new.md"), "---\n---\n").unwrap();
        fs::write(root.join(".changeset/pre/p.md"), "---\n---\n").unwrap();
        sh(root, &["add", "-A"]);
        sh(root, &["commit", "-qm", "feat"]);
        // Uncommitted edits count; untracked files do not (as with `git diff <base>`).
        fs::write(root.join("packages/a/index.js"), "2").unwrap();
        fs::write(root.join("packages/a/untracked.js"), "2").unwrap();
        fs::remove_file(root.join("gone.txt")).unwrap();

        let repo = Repo::open(&root.join("packages/a")).unwrap();
        let base = repo.merge_base("main").unwrap();
        assert_eq!(
            base.to_string(),
            git_out(root, &["merge-base", "main", "HEAD"])
        );
        let mut changed: Vec<String> = repo
            .changed_files_since("main")
            .unwrap()
            .iter()
            .map(|p| {
                p.strip_prefix(repo.workdir())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        changed.sort();
        let mut expected: Vec<String> = git_out(root, &["diff", "--name-only", &base.to_string()])
            .lines()
            .map(String::from)
            .collect();
        expected.sort();
        assert_eq!(changed, expected);
        assert!(changed.contains(&"gone.txt".to_string()));

        let mut cs = repo.changed_changeset_files_since("main");
        cs.sort();
        assert_eq!(cs, ["new.md", "pre/p.md"]);
        assert!(repo.changed_changeset_files_since("nope").is_empty());
        let e = repo.changed_files_since("nope").unwrap_err().to_string();
        assert!(e.contains("diverged from \"nope\""), "{e}");

        let added = commits_that_add_files(
            root,
            ".changeset",
            &[".changeset/new.md".into(), ".changeset/old.md".into()],
        );
        let feat = git_out(root, &["rev-parse", "HEAD"]);
        let init = git_out(root, &["rev-parse", "main"]);
        assert_eq!(added[".changeset/new.md"], feat);
        assert_eq!(added[".changeset/old.md"], init);
        assert_eq!(repo.default_branch(), "main");
        assert_eq!(repo.head_commit().unwrap(), feat);
    }

    #[test]
    fn writes_via_cli() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        sh(root, &["init", "-q", "-b", "trunk"]);
        sh(root, &["config", "user.name", "T"]);
        sh(root, &["config", "user.email", "t@example.com"]);
        let repo = Repo::open(root).unwrap();
        assert_eq!(repo.default_branch(), "trunk");
        fs::write(root.join("f"), "x").unwrap();
        add(root, Path::new("f")).unwrap();
        commit(root, "docs(changeset): hi").unwrap();
        assert_eq!(
            git_out(root, &["log", "-1", "--pretty=%s"]),
            "docs(changeset): hi"
        );
        assert!(!repo.tag_exists("a@1.0.0"));
        tag(root, "a@1.0.0").unwrap();
        assert!(repo.tag_exists("a@1.0.0"));
        assert_eq!(git_out(root, &["cat-file", "-t", "a@1.0.0"]), "tag");
        assert!(tag(root, "a@1.0.0").is_err());
    }

    #[test]
    fn changed_packages() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        let w = |p: &str, t: &str| {
            let f = root.join(p);
            fs::create_dir_all(f.parent().unwrap()).unwrap();
            fs::write(f, t).unwrap();
        };
        w(
            "package.json",
            r#"{"name":"r","private":true,"workspaces":["packages/*","packages/a/nested"]}"#,
        );
        w("package-lock.json", "{}");
        for (dir, name) in [("a", "a"), ("b", "b"), ("c", "c"), ("a/nested", "n")] {
            w(
                &format!("packages/{dir}/package.json"),
                &format!(r#"{{"name":"{name}","version":"1.0.0"}}"#),
            );
        }
        sh(root, &["init", "-q", "-b", "main"]);
        sh(root, &["add", "-A"]);
        sh(root, &["commit", "-qm", "init"]);
        w("packages/a/nested/x.js", "1");
        w("packages/b/.eslintrc", "1");
        w("packages/c/README.md", "1");
        w("top.txt", "1");
        sh(root, &["add", "-A"]);
        let ws = crate::workspace::discover(root).unwrap();
        let repo = Repo::open(root).unwrap();
        let names = |pats: &[&str]| -> Vec<String> {
            let pats: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
            changed_packages_since(&repo, &ws, "main", &pats)
                .unwrap()
                .iter()
                .map(|p| p.name.clone())
                .collect()
        };
        // The nested file belongs to `n` only; `.eslintrc` is skipped by `**` (dot: false).
        assert_eq!(names(&["**"]), ["n", "c"]);
        assert_eq!(names(&["**", "!**/*.md"]), ["n"]);
        assert_eq!(names(&["**/.eslintrc"]), ["b"]);
    }

    #[test]
    fn shallow_clones_are_deepened_to_find_the_adding_commit() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        fs::create_dir_all(src.join(".changeset")).unwrap();
        sh(&src, &["init", "-q", "-b", "main"]);
        fs::write(src.join(".changeset/old.md"), "---\n---\n").unwrap();
        sh(&src, &["add", "-A"]);
        sh(&src, &["commit", "-qm", "one"]);
        let first = git_out(&src, &["rev-parse", "HEAD"]);
        fs::write(src.join("x"), "x").unwrap();
        sh(&src, &["add", "-A"]);
        sh(&src, &["commit", "-qm", "two"]);
        fs::write(src.join(".changeset/new.md"), "---\n---\n").unwrap();
        sh(&src, &["add", "-A"]);
        sh(&src, &["commit", "-qm", "three"]);
        let third = git_out(&src, &["rev-parse", "HEAD"]);

        let url = format!("file://{}", src.display());
        let clone = d.path().join("clone");
        sh(
            d.path(),
            &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
        );
        assert_eq!(
            git_out(&clone, &["rev-parse", "--is-shallow-repository"]),
            "true"
        );
        let added = commits_that_add_files(
            &clone,
            ".changeset",
            &[".changeset/old.md".into(), ".changeset/new.md".into()],
        );
        assert_eq!(added[".changeset/old.md"], first);
        assert_eq!(added[".changeset/new.md"], third);
        assert_eq!(
            git_out(&clone, &["rev-parse", "--is-shallow-repository"]),
            "false"
        );
    }

    #[test]
    fn add_commits_follow_renames() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        sh(root, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(root.join(".changeset/pre")).unwrap();
        std::fs::write(
            root.join(".changeset/x.md"),
            "---\n\"a\": patch\n---\n\nsome longer text here\n",
        )
        .unwrap();
        sh(root, &["add", "."]);
        sh(root, &["commit", "-qm", "one"]);
        let first = Repo::open(root).unwrap().head_commit().unwrap();
        sh(root, &["mv", ".changeset/x.md", ".changeset/pre/x.md"]);
        sh(root, &["commit", "-qm", "two"]);
        std::fs::write(root.join(".changeset/y.md"), "y").unwrap();
        sh(root, &["add", "."]);
        sh(root, &["commit", "-qm", "three"]);
        let third = Repo::open(root).unwrap().head_commit().unwrap();
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
