//! `relay add` end to end: flags, empty change files, refusals, commits, and one real
//! pseudo-terminal session.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::*;

/// Writes `files` under a fresh temp dir.
pub fn repo_with(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    for (path, text) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    (tmp, root)
}

pub const CONFIG: &str = "{\n  \"baseBranch\": \"main\",\n  \"format\": false\n}\n";

/// A small npm monorepo: `@s/core` 1.0.0, `@s/ui` 0.2.0 (depends on core), `tool` 3.1.0
/// (private: false), `internal` (private).
pub fn monorepo() -> (tempfile::TempDir, PathBuf) {
    repo_with(&[
        (
            "package.json",
            r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
        ),
        ("package-lock.json", "{}"),
        (
            "packages/core/package.json",
            r#"{"name":"@s/core","version":"1.0.0"}"#,
        ),
        (
            "packages/ui/package.json",
            r#"{"name":"@s/ui","version":"0.2.0","dependencies":{"@s/core":"^1.0.0"}}"#,
        ),
        (
            "packages/tool/package.json",
            r#"{"name":"tool","version":"3.1.0"}"#,
        ),
        (
            "packages/internal/package.json",
            r#"{"name":"internal","version":"1.0.0","private":true}"#,
        ),
        (".changeset/config.json", CONFIG),
    ])
}

/// `git` with a fixed identity and dates, no user/system config.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Relay Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Relay Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git on PATH");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn git_init(root: &Path) {
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Relay Test"]);
    git(root, &["config", "user.email", "test@example.com"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "init"]);
}

fn change_files(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(root.join(".changeset"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    v.sort();
    v
}

#[test]
fn flags_write_changesets_format_and_print_the_path() {
    let (_t, root) = monorepo();
    let out = run(relay(&root)
        .args([
            "add",
            "--minor",
            "@s/core,tool",
            "--patch",
            "@s/ui",
            "--major",
            "tool2",
        ])
        .args(["-m", "Hello"]));
    // `tool2` is unknown: usage error with a suggestion, nothing written.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Did you mean \"tool\""),
        "{}",
        stderr(&out)
    );
    assert!(change_files(&root).is_empty());

    let out = run(relay(&root)
        .env("RELAY_ADD_SEED", "42")
        .args(["add", "--minor", "@s/core,tool", "--patch", "@s/ui"])
        .args(["--minor", "@s/core", "-m", "Add **things**\n\n---\nmore"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let files = change_files(&root);
    assert_eq!(files.len(), 1);
    let printed = stdout(&out).trim().to_string();
    assert_eq!(printed, format!(".changeset/{}", files[0]));
    let text = fs::read_to_string(root.join(&printed)).unwrap();
    assert_eq!(
        text,
        "---\n\"@s/core\": minor\n\"tool\": minor\n\"@s/ui\": patch\n---\n\nAdd **things**\n\n---\nmore\n"
    );
    assert!(
        stderr(&out).contains("Summary of changesets:\nminor:  @s/core, tool\npatch:  @s/ui"),
        "{}",
        stderr(&out)
    );
    let name = files[0].trim_end_matches(".md");
    assert_eq!(name.split('-').count(), 3, "{name}");

    // The same seed again: the name is taken, so a different one is drawn.
    let out = run(relay(&root)
        .env("RELAY_ADD_SEED", "42")
        .args(["add", "--patch", "tool", "-m", "x"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(change_files(&root).len(), 2);

    // Everything written parses back.
    let read = relay::changeset::read_all(&root).unwrap();
    assert_eq!(read.len(), 2);
    assert!(
        read.iter()
            .any(|c| c.summary == "Add **things**\n\n---\nmore")
    );
}

#[test]
fn the_path_is_relative_to_where_relay_runs() {
    let (_t, root) = monorepo();
    let out = run(relay(&root.join("packages/ui")).args(["add", "--patch", "@s/ui", "-m", "x"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out).trim().to_string();
    assert!(printed.starts_with("../../.changeset/"), "{printed}");
    assert!(root.join("packages/ui").join(&printed).is_file());
}

#[test]
fn seeded_names_are_deterministic() {
    let names: Vec<String> = (0..2)
        .map(|_| {
            let (_t, root) = monorepo();
            let out = run(relay(&root)
                .env("RELAY_ADD_SEED", "7")
                .args(["add", "--patch", "tool", "-m", "x"]));
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out)
        })
        .collect();
    assert_eq!(names[0], names[1]);
}

#[test]
fn empty_changesets() {
    let (_t, root) = monorepo();
    let out = run(relay(&root).args(["add", "--empty"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert_eq!(
        fs::read_to_string(root.join(&path)).unwrap(),
        "---\n\n---\n\n\n"
    );
    assert!(stderr(&out).contains("Empty Changeset added"));
    assert!(!stderr(&out).contains("Summary of changesets"));
    let out = run(relay(&root).args(["add", "--empty", "-m", "Docs only"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert_eq!(
        fs::read_to_string(root.join(&path)).unwrap(),
        "---\n\n---\n\nDocs only\n"
    );
}

#[test]
fn without_a_terminal_it_refuses_instead_of_hanging() {
    let (_t, root) = monorepo();
    let before = snapshot_tree(&root);
    for args in [
        vec!["add"],
        vec!["add", "--since", "main"],
        vec!["add", "--minor", "tool"],
        vec!["add", "-m", "summary but no packages"],
    ] {
        let out = run(relay(&root).args(&args).stdin(std::process::Stdio::null()));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("needs a terminal"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn refusals_change_nothing() {
    let (_t, root) = monorepo();
    // Private and ignored packages are not versionable.
    fs::write(
        root.join(".changeset/config.json"),
        "{\"ignore\": [\"tool\"]}\n",
    )
    .unwrap();
    let before = snapshot_tree(&root);
    for (args, code, needle) in [
        (vec!["--patch", "internal"], 2, "not found in the project"),
        (vec!["--patch", "tool"], 2, "not found in the project"),
        (
            vec!["--patch", "@s/ui", "--minor", "@s/ui"],
            2,
            "multiple release type",
        ),
    ] {
        let out = run(relay(&root).arg("add").args(&args).args(["-m", "x"]));
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
    }
    assert_eq!(before, snapshot_tree(&root));

    fs::remove_dir_all(root.join(".changeset")).unwrap();
    let out = run(relay(&root).args(["add", "--empty"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("relay init"), "{}", stderr(&out));
}

#[test]
fn commit_option_commits_the_change_file() {
    let (_t, root) = monorepo();
    fs::write(
        root.join(".changeset/config.json"),
        "{\"commit\": [\"@changesets/cli/commit\", {\"skipCI\": \"add\"}]}\n",
    )
    .unwrap();
    git_init(&root);
    let out = run(relay(&root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["add", "--patch", "tool", "-m", "Fix it"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("added and committed"));
    assert_eq!(
        git(&root, &["log", "-1", "--pretty=%B"]),
        "docs(changeset): Fix it\n\n[skip ci]"
    );
    let path = stdout(&out).trim().to_string();
    assert_eq!(
        git(&root, &["show", "--name-only", "--pretty=format:"]),
        path
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");

    // A JavaScript commit module relay cannot run: refused before writing.
    fs::write(
        root.join(".changeset/config.json"),
        "{\"commit\": \"./my-commit.js\"}\n",
    )
    .unwrap();
    let before = snapshot_tree(&root);
    let out = run(relay(&root).args(["add", "--patch", "tool", "-m", "x"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("./my-commit.js"), "{}", stderr(&out));
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn single_package_repo() {
    let (_t, root) = repo_with(&[
        ("package.json", r#"{"name":"solo","version":"0.1.0"}"#),
        (".changeset/config.json", "{}"),
    ]);
    let out = run(relay(&root).args(["add", "--minor", "solo", "-m", "New"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert_eq!(
        fs::read_to_string(root.join(path)).unwrap(),
        "---\n\"solo\": minor\n---\n\nNew\n"
    );
}

/// Drives `relay add` in a real pseudo-terminal: select the first (changed) package, no
/// major, no minor (so patch), type the summary.
#[test]
fn interactive_session_in_a_pseudo_terminal() {
    let python = Command::new("python3").arg("--version").output();
    assert!(
        python.is_ok_and(|o| o.status.success()),
        "python3 (with its pty module) is required on PATH for this test"
    );
    let (_t, root) = monorepo();
    git_init(&root);
    fs::write(root.join("packages/tool/index.js"), "changed").unwrap();
    git(&root, &["checkout", "-qb", "feature"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "change tool"]);

    let script = r#"
import os, pty, select, subprocess, sys, time
relay, cwd = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
env = dict(os.environ, TERM="xterm", NO_COLOR="1", RELAY_ADD_SEED="3", COLUMNS="120", LINES="40")
env.pop("CI", None)
p = subprocess.Popen([relay, "add"], cwd=cwd, stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=env)
os.close(slave)
buf = b""
def wait_for(text, timeout=20):
    global buf
    end = time.time() + timeout
    while text.encode() not in buf:
        if time.time() > end:
            sys.stderr.write("timed out waiting for %r; screen so far:\n%r\n" % (text, buf[-2000:]))
            p.kill(); sys.exit(3)
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                buf += os.read(master, 65536)
            except OSError:
                break
    buf = b""
def send(s):
    time.sleep(0.2)
    os.write(master, s.encode())
wait_for("Which packages were affected")
send("\r")            # `tool` is changed, hence preselected: confirm as is
wait_for("major")
send("\r")            # no major
wait_for("minor")
send("\r")            # no minor: patch
wait_for("summary")
send("Typed in a terminal\r")
out, _ = p.communicate(timeout=20)
sys.stdout.write(out.decode())
sys.exit(p.returncode)
"#;
    let out = run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(relay_bin())
        .arg(&root));
    assert!(
        out.status.success(),
        "pty session failed ({:?}):\n{}\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    let path = stdout(&out).trim().to_string();
    assert!(path.starts_with(".changeset/"), "{path}");
    assert_eq!(
        fs::read_to_string(root.join(&path)).unwrap(),
        "---\n\"tool\": patch\n---\n\nTyped in a terminal\n"
    );
}
