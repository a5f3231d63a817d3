//! A repository formatter that fails: `relay version` and `relay add` put everything back and
//! say which formatter failed and how to turn it off. (That a working formatter gives
//! changesets' output is checked against changesets itself in `version_cases.rs`.)

use std::fs;
use std::path::Path;

use crate::harness::{self, snapshot_tree};

/// An npm workspace whose "Prettier" (in node_modules, as npx finds it) prints an error and
/// exits 3.
fn repo_with_broken_prettier(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "package.json",
            r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
        ),
        ("package-lock.json", r#"{"lockfileVersion":3}"#),
        (
            ".changeset/config.json",
            r#"{"changelog":"@changesets/cli/changelog","commit":false,"format":"prettier"}"#,
        ),
        (
            ".changeset/brave-lions.md",
            "---\n\"pkg-a\": minor\n---\n\nAdd a\n",
        ),
        (
            "packages/pkg-a/package.json",
            r#"{"name":"pkg-a","version":"1.0.0"}"#,
        ),
        ("packages/pkg-a/CHANGELOG.md", "# pkg-a\n"),
        (
            "node_modules/prettier/package.json",
            r#"{"name":"prettier","version":"3.0.0","bin":{"prettier":"bin.js"}}"#,
        ),
        (
            "node_modules/prettier/bin.js",
            "#!/usr/bin/env node\nconsole.error('[error] prettier exploded');\nprocess.exit(3);\n",
        ),
    ];
    for (p, c) in files {
        let path = dir.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, c).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("node_modules/prettier/bin.js");
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(dir.join("node_modules/.bin")).unwrap();
    std::os::unix::fs::symlink("../prettier/bin.js", dir.join("node_modules/.bin/prettier"))
        .unwrap();
}

fn relay(dir: &Path, cache: &Path) -> std::process::Command {
    let mut c = harness::relay(dir);
    c.env("HOME", dir)
        .env("npm_config_cache", cache)
        .env("npm_config_update_notifier", "false")
        .stdin(std::process::Stdio::null());
    c
}

#[test]
fn a_failing_formatter_leaves_version_and_add_with_nothing_written() {
    harness::require_node();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let cache = tmp.path().join("npm-cache");
    repo_with_broken_prettier(&dir);
    let before = snapshot_tree(&dir);

    let out = harness::run(relay(&dir, &cache).arg("version"));
    assert_eq!(out.status.code(), Some(1), "{}", harness::stderr(&out));
    let err = harness::stderr(&out);
    assert!(err.contains("the formatter prettier"), "{err}");
    assert!(err.contains("prettier exploded"), "{err}");
    assert!(err.contains("every file was restored"), "{err}");
    assert!(err.contains("\"format\": false"), "{err}");
    assert_eq!(
        snapshot_tree(&dir),
        before,
        "relay version left changes behind"
    );
    assert!(
        !dir.join(".relay").exists(),
        "the undo journal's directory is left"
    );

    let out = harness::run(relay(&dir, &cache).args(["add", "--patch", "pkg-a", "-m", "Fix a"]));
    assert_eq!(out.status.code(), Some(1), "{}", harness::stderr(&out));
    assert!(
        harness::stderr(&out).contains("no change file was written"),
        "{}",
        harness::stderr(&out)
    );
    assert_eq!(
        snapshot_tree(&dir),
        before,
        "relay add left a change file behind"
    );
}
