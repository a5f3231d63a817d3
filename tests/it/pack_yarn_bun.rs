//! The publish-time manifest against the real tools: `yarn pack` (Yarn 4, pinned in
//! tests/tools/yarn) and `bun pm pack` (Bun, pinned in tests/tools/bun), on workspaces that use
//! their `workspace:` forms, catalogs and `publishConfig`. Yarn's manifest must match byte for
//! byte; Bun's in content (Bun prints short arrays on one line and ends with a newline, which
//! changes nothing a registry or an installer reads). Where relay departs from a tool on
//! purpose, the test says so and checks relay's answer.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::*;
use crate::pack::{gunzip, relay_pack, write_tree};
use crate::pack_pnpm::{tar_file, tar_paths};

fn only_tarball(dir: &Path) -> Vec<u8> {
    let f = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .unwrap_or_else(|| panic!("no tarball in {}", dir.display()));
    gunzip(&fs::read(f).unwrap())
}

fn tool_pack(mut c: Command, what: &str, home: &Path, out: &Path) -> Vec<u8> {
    scrub_env(&mut c);
    c.env("HOME", home)
        .env("YARN_ENABLE_TELEMETRY", "0")
        .env("YARN_IGNORE_PATH", "1")
        .env("NO_COLOR", "1");
    let o = run(&mut c);
    assert!(
        o.status.success(),
        "{what}:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    only_tarball(out)
}

fn yarn_pack(pkg: &Path, home: &Path, out: &Path) -> Vec<u8> {
    let yarn = node_tool("yarn").join("node_modules/@yarnpkg/cli-dist/bin/yarn.js");
    fs::create_dir_all(out).unwrap();
    let mut c = Command::new("node");
    c.arg(yarn)
        .args(["pack", "-o"])
        .arg(out.join("yarn.tgz"))
        .current_dir(pkg);
    tool_pack(c, "yarn pack", home, out)
}

fn bun_pack(pkg: &Path, home: &Path, out: &Path) -> Vec<u8> {
    let bun = node_tool("bun").join("node_modules/.bin/bun");
    fs::create_dir_all(out).unwrap();
    let mut c = Command::new(bun);
    c.args(["pm", "pack", "--destination"])
        .arg(out)
        .current_dir(pkg);
    tool_pack(c, "bun pm pack", home, out)
}

/// Packs `packages/a` of `root` with relay; returns the tar stream.
fn relay_tar(root: &Path, out: &Path) -> Vec<u8> {
    let (_, tgz) = relay_pack(root, &["a"], out);
    gunzip(&fs::read(tgz).unwrap())
}

fn manifest(tar: &[u8]) -> Vec<u8> {
    tar_file(tar, "package/package.json").expect("package/package.json in the tarball")
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The files every case's package `a` ships.
const FILES: &[(&str, &str)] = &[
    ("packages/a/lib/x.js", "x"),
    ("packages/a/lib/x.mjs", "x"),
    ("packages/a/lib/x.d.ts", "x"),
    ("packages/a/README.md", "# a"),
    (
        "packages/b/package.json",
        r#"{"name":"@s/b","version":"2.0.0-beta.1"}"#,
    ),
    (
        "packages/c/package.json",
        r#"{"name":"c","version":"3.0.0"}"#,
    ),
    (
        "packages/d/package.json",
        r#"{"name":"d","version":"1.2.0"}"#,
    ),
];

/// A Yarn workspace (`packages/*`) whose package `a` has the manifest `a`.
fn yarn_workspace(a: &str) -> Vec<(&str, &str)> {
    vec![
        (
            "package.json",
            r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
        ),
        ("yarn.lock", ""),
        ("packages/a/package.json", a),
    ]
}

#[test]
fn yarn_publish_manifest_matches_yarn_pack() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "every workspace: form Yarn rewrites, and publishConfig",
            r##"{"name":"a","version":"1.0.0","description":"d","main":"lib/x.js",
                "dependencies":{"@s/b":"workspace:^","c":"workspace:*"},
                "optionalDependencies":{"d":"workspace:~"},
                "peerDependencies":{"@s/b":"workspace:*","d":"workspace:1.x"},
                "devDependencies":{"d":"workspace:packages/d"},
                "publishConfig":{"type":"module","main":"","browser":"lib/x.js","module":"lib/x.mjs",
                  "exports":{".":"./lib/x.js"},"imports":{"#x":"./lib/x.js"},"bin":null,
                  "typings":"lib/x.d.ts","types":"lib/x.d.ts","access":"public",
                  "executableFiles":["lib/x.js"],"unpkg":"lib/x.js"}}"##,
            "",
        ),
        (
            "catalogs from .yarnrc.yml",
            r#"{"name":"a","version":"1.0.0","main":"lib/x.js",
                "dependencies":{"lodash":"catalog:","react":"catalog:ui","left-pad":"catalog:"},
                "devDependencies":{"@s/b":"workspace:^"}}"#,
            "catalog:\n  lodash: ^4.17.21\n  left-pad: \"npm:^1.3.0\"\ncatalogs:\n  ui:\n    react: ^18.2.0\nnodeLinker: node-modules\n",
        ),
    ];
    for (what, a, yarnrc) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        let mut tree = yarn_workspace(a);
        if !yarnrc.is_empty() {
            tree.push((".yarnrc.yml", yarnrc));
        }
        tree.extend_from_slice(FILES);
        write_tree(&root, &tree);
        let theirs = yarn_pack(&root.join("packages/a"), tmp.path(), &tmp.path().join("y"));
        let ours = relay_tar(&root, &tmp.path().join("r"));
        assert_eq!(
            String::from_utf8_lossy(&manifest(&ours)),
            String::from_utf8_lossy(&manifest(&theirs)),
            "{what}"
        );
        assert_eq!(tar_paths(&ours), tar_paths(&theirs), "{what}");
    }
}

/// Two answers differ from Yarn's on purpose, because Yarn's would publish ranges that npm
/// cannot install: `workspace:../c` (kept as it is by Yarn) and a catalog alias
/// `npm:left-pad@^1.3.0` (published by Yarn as `left-pad@^1.3.0`).
#[test]
fn relay_publishes_installable_ranges_where_yarn_would_not() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    let mut tree = yarn_workspace(
        r#"{"name":"a","version":"1.0.0","main":"lib/x.js","dependencies":{"c":"workspace:../c","pad":"catalog:"}}"#,
    );
    tree.push((".yarnrc.yml", "catalog:\n  pad: \"npm:left-pad@^1.3.0\"\n"));
    tree.extend_from_slice(FILES);
    write_tree(&root, &tree);
    let theirs = json(&manifest(&yarn_pack(
        &root.join("packages/a"),
        tmp.path(),
        &tmp.path().join("y"),
    )));
    let ours = json(&manifest(&relay_tar(&root, &tmp.path().join("r"))));
    assert_eq!(theirs["dependencies"]["c"], "workspace:../c");
    assert_eq!(theirs["dependencies"]["pad"], "left-pad@^1.3.0");
    assert_eq!(ours["dependencies"]["c"], "3.0.0");
    assert_eq!(ours["dependencies"]["pad"], "npm:left-pad@^1.3.0");
}

#[test]
fn bun_publish_manifest_matches_bun_pm_pack() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "workspace: forms; Bun leaves publishConfig alone",
            r#"{"name":"a","version":"1.0.0","main":"lib/x.js",
                "dependencies":{"@s/b":"workspace:^","c":"workspace:../c","d":"workspace:~"},
                "optionalDependencies":{"c":"workspace:*"},
                "peerDependencies":{"d":"workspace:^1.0.0"},
                "publishConfig":{"main":"lib/x.mjs","access":"public","files":["lib"]}}"#,
            r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
        ),
        (
            "catalogs under workspaces",
            r#"{"name":"a","version":"1.0.0","main":"lib/x.js",
                "dependencies":{"lodash":"catalog:","react":"catalog:ui","@s/b":"workspace:*"}}"#,
            r#"{"name":"root","private":true,"workspaces":{"packages":["packages/*"],
                "catalog":{"lodash":"^4.17.21"},"catalogs":{"ui":{"react":"^18.2.0"}}}}"#,
        ),
    ];
    for (what, a, root_manifest) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        let mut tree: Vec<(&str, &str)> = vec![
            ("package.json", root_manifest),
            ("bun.lock", r#"{"lockfileVersion":1,"workspaces":{}}"#),
            ("packages/a/package.json", a),
        ];
        tree.extend_from_slice(FILES);
        write_tree(&root, &tree);
        let theirs = bun_pack(&root.join("packages/a"), tmp.path(), &tmp.path().join("b"));
        let ours = relay_tar(&root, &tmp.path().join("r"));
        let (t, o) = (json(&manifest(&theirs)), json(&manifest(&ours)));
        assert_eq!(o, t, "{what}");
        // Same keys in the same order, too.
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&o), keys(&t), "{what}");
        assert_eq!(tar_paths(&ours), tar_paths(&theirs), "{what}");
    }
}

/// The file list `yarn pack` selects, which is not npm's: only ignore files inside the package
/// count (a root `.gitignore` listing `dist` does not drop a package's `dist`), `.github` is
/// always out, `main`/`bin`/`browser` always in, `files` with negations and directories, nested
/// workspaces out, and in a single-package project Yarn's own files out.
#[test]
fn yarn_file_list_matches_yarn_pack() {
    let ws_root =
        r#"{"name":"root","private":true,"workspaces":["packages/*","packages/a/examples/*"]}"#;
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "root .gitignore, .github, node_modules, .npmignore with a negation",
            vec![
                ("package.json", ws_root),
                (".gitignore", "dist\n*.log\n"),
                (
                    "packages/a/package.json",
                    r#"{"name":"a","version":"1.0.0","main":"dist/index.js"}"#,
                ),
                ("packages/a/dist/index.js", "x"),
                ("packages/a/debug.log", "x"),
                ("packages/a/.github/workflows/ci.yml", "x"),
                ("packages/a/node_modules/dep/index.js", "x"),
                ("packages/a/.npmignore", "logs/\n!logs/keep.log\n.vscode\n"),
                ("packages/a/logs/a.log", "x"),
                ("packages/a/logs/keep.log", "x"),
                ("packages/a/.vscode/settings.json", "x"),
                ("packages/a/CHANGELOG.md", "x"),
                (
                    "packages/a/examples/demo/package.json",
                    r#"{"name":"demo","private":true}"#,
                ),
                ("packages/a/examples/demo/index.js", "x"),
            ],
        ),
        (
            "files with a negation, a directory and a basename glob; bin and browser outside it",
            vec![
                ("package.json", ws_root),
                (
                    "packages/a/package.json",
                    r#"{"name":"a","version":"1.0.0","main":"./lib/index.js","bin":{"a":"scripts/run.js"},
                        "browser":{"./lib/node.js":"./lib/browser.js"},
                        "files":["lib","!lib/secret.js","*.md","docs/"]}"#,
                ),
                ("packages/a/lib/index.js", "x"),
                ("packages/a/lib/secret.js", "x"),
                ("packages/a/lib/node.js", "x"),
                ("packages/a/lib/browser.js", "x"),
                ("packages/a/lib/sub/deep.js", "x"),
                ("packages/a/lib/sub/x.log", "x"),
                ("packages/a/lib/.gitignore", "*.log\n"),
                ("packages/a/scripts/run.js", "x"),
                ("packages/a/docs/guide.txt", "x"),
                ("packages/a/test/t.js", "x"),
                ("packages/a/Notes.md", "x"),
                ("packages/a/readme.txt", "x"),
                ("packages/a/LICENSE.txt", "x"),
            ],
        ),
    ];
    for (what, mut tree) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        tree.push(("yarn.lock", ""));
        write_tree(&root, &tree);
        let theirs = yarn_pack(&root.join("packages/a"), tmp.path(), &tmp.path().join("y"));
        let ours = relay_tar(&root, &tmp.path().join("r"));
        assert_eq!(tar_paths(&ours), tar_paths(&theirs), "{what}");
    }

    // A single-package project: its lockfile, install state, rc file and PnP files stay out,
    // the (global-by-default) cache folder's leftovers do not; publishConfig applies.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("single");
    write_tree(
        &root,
        &[
            (
                "package.json",
                r#"{"name":"single","version":"1.0.0","main":"src/i.js","publishConfig":{"main":"lib/i.js"}}"#,
            ),
            ("yarn.lock", ""),
            (".yarnrc.yml", "nodeLinker: node-modules\n"),
            (".yarn/install-state.gz", "x"),
            (".yarn/cache/dep.zip", "x"),
            (".yarn/plugins/p.cjs", "x"),
            (".pnp.cjs", "x"),
            ("lib/i.js", "x"),
            ("src/i.js", "x"),
        ],
    );
    let theirs = yarn_pack(&root, tmp.path(), &tmp.path().join("y"));
    let (_, tgz) = relay_pack(&root, &[], &tmp.path().join("r"));
    let ours = gunzip(&fs::read(tgz).unwrap());
    assert_eq!(tar_paths(&ours), tar_paths(&theirs), "single package");
    assert_eq!(manifest(&ours), manifest(&theirs), "single package");
}
