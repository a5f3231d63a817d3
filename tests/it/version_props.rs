//! Properties of `relay version` checked on the seeded random repositories (relay only, so
//! many cases are cheap): a second run with no change files changes nothing and exits 1; a
//! write failure injected at any point leaves the repository byte-identical; `--dry-run`
//! writes nothing.

use std::path::Path;

use crate::harness;
use crate::version_random::random_case;

fn materialise(case: &crate::version_diff::Case, dir: &Path) {
    for (p, c) in &case.files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
}

fn relay_version(dir: &Path, fail_at: Option<usize>, extra: &[&str]) -> (i32, String) {
    let mut cmd = harness::relay(dir);
    cmd.arg("version").args(extra);
    if let Some(n) = fail_at {
        cmd.env("RELAY_TEST_FAIL_WRITE_AT", n.to_string());
    }
    let out = harness::run(&mut cmd);
    (out.status.code().unwrap_or(-1), harness::stderr(&out))
}

/// The number of edits `--dry-run` reports.
fn edit_count(dir: &Path) -> Option<usize> {
    let (code, err) = relay_version(dir, None, &["--dry-run"]);
    if code != 0 {
        return None;
    }
    let line = err.lines().find(|l| l.contains("dry run:"))?;
    line.split_whitespace().find_map(|w| w.parse().ok())
}

#[test]
fn second_version_changes_nothing_and_exits_1() {
    let mut checked = 0;
    for seed in 0..60u64 {
        let case = random_case(7_000 + seed);
        let tmp = tempfile::tempdir().unwrap();
        materialise(&case, tmp.path());
        let (code, err) = relay_version(tmp.path(), None, &[]);
        if code != 0 {
            // Invalid random configs are refused; the differential test checks those agree.
            continue;
        }
        let after_first = harness::snapshot_tree(tmp.path());
        let (code2, err2) = relay_version(tmp.path(), None, &[]);
        // In pre mode the consumed files wait in `.changeset/pre/`: changesets 3 then runs
        // with an empty plan (exit 0, nothing written); the differential test pins that.
        let pre_mode = tmp.path().join(".changeset/pre.json").exists();
        if !pre_mode {
            assert_eq!(code2, 1, "seed {seed}: second run exit code\n{err}\n{err2}");
            assert!(
                err2.contains("No unreleased changesets found."),
                "seed {seed}: {err2}"
            );
        }
        assert_eq!(
            harness::snapshot_tree(tmp.path()),
            after_first,
            "seed {seed}: second run changed files"
        );
        checked += 1;
    }
    assert!(
        checked >= 30,
        "only {checked} random repos versioned cleanly"
    );
}

#[test]
fn injected_write_failure_restores_every_byte() {
    let mut injected = 0;
    for seed in 0..25u64 {
        let case = random_case(9_000 + seed);
        let tmp = tempfile::tempdir().unwrap();
        materialise(&case, tmp.path());
        let before = harness::snapshot_tree(tmp.path());
        let Some(n) = edit_count(tmp.path()) else {
            continue;
        };
        assert_eq!(
            harness::snapshot_tree(tmp.path()),
            before,
            "seed {seed}: --dry-run wrote"
        );
        // Fail before the first, a middle and the last edit.
        for k in [0, n / 2, n.saturating_sub(1)] {
            let (code, err) = relay_version(tmp.path(), Some(k), &[]);
            assert_eq!(code, 1, "seed {seed} fail at {k}: {err}");
            assert!(err.contains("injected failure"), "seed {seed}: {err}");
            assert_eq!(
                harness::snapshot_tree(tmp.path()),
                before,
                "seed {seed}: failure at edit {k} of {n} left changes behind"
            );
            injected += 1;
        }
        let (code, _) = relay_version(tmp.path(), None, &[]);
        assert_eq!(code, 0, "seed {seed}: clean run after failures");
        assert_ne!(harness::snapshot_tree(tmp.path()), before);
    }
    assert!(injected >= 30, "only {injected} failures injected");
}

#[test]
fn dry_run_prints_a_unified_diff_and_writes_nothing() {
    let case = crate::version_cases::mono(
        "dry",
        &[
            crate::version_cases::pkg("pkg-a", "1.0.0"),
            crate::version_cases::pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
        ],
        serde_json::json!({}),
    )
    .cs("one", &[("pkg-a", "major")], "Break");
    let tmp = tempfile::tempdir().unwrap();
    materialise(&case, tmp.path());
    let before = harness::snapshot_tree(tmp.path());
    let out = harness::run(harness::relay(tmp.path()).args(["version", "--dry-run"]));
    assert!(out.status.success(), "{}", harness::stderr(&out));
    let diff = harness::stdout(&out);
    for needle in [
        "--- a/packages/pkg-a/package.json\n+++ b/packages/pkg-a/package.json",
        "-  \"version\": \"1.0.0\"\n+  \"version\": \"2.0.0\"",
        "-    \"pkg-a\": \"^1.0.0\"\n+    \"pkg-a\": \"^2.0.0\"",
        "--- /dev/null\n+++ b/packages/pkg-a/CHANGELOG.md",
        "+### Major Changes",
        "--- a/.changeset/one.md\n+++ /dev/null",
    ] {
        assert!(diff.contains(needle), "missing {needle:?} in:\n{diff}");
    }
    assert_eq!(harness::snapshot_tree(tmp.path()), before);
}

#[test]
fn user_template_from_relay_toml_and_js_generator_refusal() {
    use crate::version_cases::{mono, pkg};
    let case = mono(
        "tpl",
        &[
            pkg("pkg-a", "1.0.0"),
            pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
        ],
        serde_json::json!({"changelog": ["@changesets/cli/changelog", {"emoji": "🚀"}]}),
    )
    .cs("one", &[("pkg-a", "major")], "New API\nsecond line")
    .file("relay.toml", "[changelog]\ntemplate = \"changelog.md.j2\"\n")
    .file(
        "changelog.md.j2",
        "{% macro release_line(changeset, type) %}* {{ options.emoji }} {{ type }}: {{ changeset.first_line }} ({{ changeset.id }}){% endmacro %}\
{% macro dependency_line(changesets, dependencies, commit_links) %}{% for d in dependencies %}* bumped {{ d.name }} to {{ d.new_version }}{% endfor %}{% endmacro %}",
    );
    let tmp = tempfile::tempdir().unwrap();
    materialise(&case, tmp.path());
    let (code, err) = relay_version(tmp.path(), None, &[]);
    assert_eq!(code, 0, "{err}");
    let files: Vec<_> = harness::snapshot_tree(tmp.path()).into_keys().collect();
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("packages/pkg-a/CHANGELOG.md"))
            .unwrap_or_else(|e| panic!("{e}: {files:?}\n{err}")),
        "# pkg-a\n\n## 2.0.0\n\n### Major Changes\n\n* 🚀 major: New API (one)\n"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("packages/pkg-b/CHANGELOG.md")).unwrap(),
        "# pkg-b\n\n## 1.0.1\n\n### Patch Changes\n\n* bumped pkg-a to 2.0.0\n"
    );

    // A JavaScript generator relay cannot run: a clear error naming the built-ins, no writes.
    let case = mono(
        "js",
        &[pkg("pkg-a", "1.0.0")],
        serde_json::json!({"changelog": "./my-changelog.cjs"}),
    )
    .cs("one", &[("pkg-a", "minor")], "x");
    let tmp = tempfile::tempdir().unwrap();
    materialise(&case, tmp.path());
    let before = harness::snapshot_tree(tmp.path());
    let (code, err) = relay_version(tmp.path(), None, &[]);
    assert_eq!(code, 1);
    for needle in [
        "./my-changelog.cjs",
        "@changesets/cli/changelog",
        "@changesets/changelog-github",
        "[changelog] template",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    assert_eq!(harness::snapshot_tree(tmp.path()), before);
}

/// A repository big enough that every write phase runs on worker threads: `n` packages in a
/// chain, each with its own change file; half have a CHANGELOG.md already.
fn big_repo(dir: &Path, n: usize) {
    let w = |p: &str, s: String| {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, s).unwrap();
    };
    w(
        "package.json",
        r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#.to_string() + "\n",
    );
    w(
        ".changeset/config.json",
        r#"{"changelog":"@changesets/cli/changelog","commit":false,"access":"restricted","baseBranch":"main","updateInternalDependencies":"patch","format":false}"#.to_string(),
    );
    for i in 0..n {
        let dep = if i > 0 {
            format!(",\n  \"dependencies\": {{ \"pkg-{}\": \"^1.0.0\" }}", i - 1)
        } else {
            String::new()
        };
        w(
            &format!("packages/pkg-{i}/package.json"),
            format!("{{\n  \"name\": \"pkg-{i}\",\n  \"version\": \"1.0.0\"{dep}\n}}\n"),
        );
        if i % 2 == 0 {
            w(
                &format!("packages/pkg-{i}/CHANGELOG.md"),
                format!("# pkg-{i}\n\n## 1.0.0\n\n- first\n"),
            );
        }
        w(
            &format!(".changeset/change-{i}.md"),
            format!("---\n\"pkg-{i}\": minor\n---\n\nChange {i}\n"),
        );
    }
}

fn dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.path().to_path_buf())
        .collect()
}

#[test]
fn parallel_write_phases_roll_back_on_failure_and_recover_after_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    big_repo(tmp.path(), 80);
    let before = harness::snapshot_tree(tmp.path());
    let before_dirs = dirs(tmp.path());
    let n = edit_count(tmp.path()).expect("dry run");
    // 80 package.json rewrites, 40 new CHANGELOGs, 40 rewritten ones, 80 removals.
    assert_eq!(n, 240);
    for k in [0, 39, 40, 119, 120, 200, n - 1] {
        let (code, err) = relay_version(tmp.path(), Some(k), &[]);
        assert_eq!(code, 1, "fail at {k}: {err}");
        assert!(err.contains("every file was restored"), "{err}");
        assert_eq!(harness::snapshot_tree(tmp.path()), before, "fail at {k}");
        assert_eq!(dirs(tmp.path()), before_dirs, "fail at {k}");
    }

    // A crash (abort, as a SIGKILL would) mid-batch leaves the undo journal behind.
    let mut cmd = harness::relay(tmp.path());
    cmd.arg("version").env("RELAY_TEST_CRASH_WRITE_AT", "130");
    let out = harness::run(&mut cmd);
    assert!(!out.status.success());
    assert_ne!(harness::snapshot_tree(tmp.path()), before);
    let journal = tmp.path().join(".relay/version-undo.json");
    assert!(journal.is_file());
    let status = harness::run(harness::relay(tmp.path()).arg("status"));
    assert!(
        harness::stderr(&status).contains("relay version --recover"),
        "{}",
        harness::stderr(&status)
    );
    // Until it is recovered, `relay version` refuses to run over a half-applied batch.
    let (code, err) = relay_version(tmp.path(), None, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(".relay/version-undo.json") && err.contains("relay version --recover"),
        "{err}"
    );
    let (code, err) = relay_version(tmp.path(), None, &["--recover"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("restored 240 file(s)"), "{err}");
    assert_eq!(harness::snapshot_tree(tmp.path()), before);
    assert_eq!(dirs(tmp.path()), before_dirs);
    let (code, err) = relay_version(tmp.path(), None, &["--recover"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to recover"), "{err}");

    let (code, err) = relay_version(tmp.path(), None, &[]);
    assert_eq!(code, 0, "{err}");
    let after = harness::snapshot_tree(tmp.path());
    assert!(!after.keys().any(|p| p.starts_with(".relay")));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("packages/pkg-3/package.json")).unwrap(),
        "{\n  \"name\": \"pkg-3\",\n  \"version\": \"1.1.0\",\n  \"dependencies\": { \"pkg-2\": \"^1.1.0\" }\n}\n"
    );
}
