//! The publish-time manifest against `pnpm pack` (pnpm pinned in tests/tools/pnpm), and the
//! Yarn/Bun `workspace:` rewriting.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::*;
use crate::pack::{gunzip, relay_pack, write_tree};

/// Extracts one file from a tar stream.
pub(crate) fn tar_file(tar: &[u8], want: &str) -> Option<Vec<u8>> {
    let mut ar = tar::Archive::new(tar);
    for e in ar.entries().ok()? {
        let mut e = e.ok()?;
        if e.path().ok()?.to_string_lossy() == want {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).ok()?;
            return Some(v);
        }
    }
    None
}

pub(crate) fn tar_paths(tar: &[u8]) -> Vec<String> {
    let mut ar = tar::Archive::new(tar);
    let mut out: Vec<String> = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn pnpm_pack(pnpm: &Path, pkg: &Path, out: &Path) -> Vec<u8> {
    fs::create_dir_all(out).unwrap();
    let mut c = Command::new("node");
    c.arg(pnpm.join("node_modules/pnpm/bin/pnpm.cjs"))
        .args(["pack", "--pack-destination"])
        .arg(out)
        .current_dir(pkg);
    scrub_env(&mut c);
    c.env("npm_config_update_notifier", "false");
    let o = run(&mut c);
    assert!(
        o.status.success(),
        "pnpm pack in {}:\n{}\n{}",
        pkg.display(),
        stdout(&o),
        stderr(&o)
    );
    let f = fs::read_dir(out).unwrap().next().unwrap().unwrap().path();
    gunzip(&fs::read(f).unwrap())
}

#[test]
fn pnpm_publish_manifest_matches_pnpm_pack() {
    let pnpm = node_tool("pnpm");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    write_tree(
        &root,
        &[
            ("package.json", r#"{"name":"root","private":true}"#),
            (
                "pnpm-workspace.yaml",
                "packages:\n  - packages/*\ncatalog:\n  lodash: ^4.17.21\ncatalogs:\n  legacy:\n    react: ^17.0.0\n",
            ),
            (
                "packages/a/package.json",
                r#"{
    "name": "@x/a",
    "version": "1.0.0",
    "description": "ünïcödé — \u0001 \"q\"",
    "scripts": { "build": "tsc", "prepack": "echo hi", "postpublish": "x" },
    "main": "src/index.js",
    "types": "src/index.d.ts",
    "dependencies": {
        "@x/b": "workspace:^",
        "lodash": "catalog:",
        "@x/c": "workspace:*",
        "react": "catalog:legacy",
        "dee": "workspace:@x/d@~",
        "bee": "workspace:../b",
        "ranged": "workspace:^2.0.0",
        "plain": "^1.0.0"
    },
    "devDependencies": { "@x/b": "workspace:~" },
    "peerDependencies": { "@x/b": "workspace:^", "@x/c": "workspace:>=3.0.0" },
    "publishConfig": { "main": "dist/index.js", "types": "dist/index.d.ts", "exports": { ".": "./dist/index.js" }, "access": "public" },
    "packageManager": "pnpm@10.34.9",
    "pnpm": { "overrides": {} }
}
"#,
            ),
            ("packages/a/src/index.js", "src"),
            ("packages/a/src/index.d.ts", "d"),
            ("packages/a/dist/index.js", "dist"),
            ("packages/a/dist/index.d.ts", "dd"),
            ("packages/a/node_modules/@x/b", "@link:../../../b"),
            ("packages/a/node_modules/@x/c", "@link:../../../c"),
            ("packages/a/node_modules/dee", "@link:../../d"),
            (
                "packages/b/package.json",
                "{\n\t\"name\": \"@x/b\",\n\t\"version\": \"2.3.4\",\n\t\"license\": \"MIT\"\n}\n",
            ),
            ("packages/b/index.js", "b"),
            (
                "packages/c/package.json",
                r#"{"name":"@x/c","version":"3.0.0","dependencies":{"@x/b":"workspace:*"},"publishConfig":{"directory":"out"}}"#,
            ),
            ("packages/c/top.js", "not published"),
            (
                "packages/c/out/package.json",
                r#"{"name":"@x/c","version":"3.0.0","description":"inner","dependencies":{"@x/b":"workspace:~"}}"#,
            ),
            ("packages/c/out/lib/z.js", "z"),
            ("packages/c/node_modules/@x/b", "@link:../../../b"),
            (
                "packages/d/package.json",
                r#"{"name":"@x/d","version":"4.5.6"}"#,
            ),
        ],
    );

    let out = tmp.path().join("relay");
    let mut failures = Vec::new();
    // `a` has several dependencies pnpm resolves by reading manifests concurrently; it inserts
    // them in completion order (a thread-pool race), so their relative order is not compared.
    // `c` has one such dependency per table: its bytes must match exactly.
    for (pkg, rewritten) in [("a", true), ("b", false), ("c", true)] {
        let name = format!("@x/{pkg}");
        let (_, tgz) = relay_pack(&root, &[&name], &out);
        let ours = gunzip(&fs::read(&tgz).unwrap());
        let theirs = pnpm_pack(
            &pnpm,
            &root.join("packages").join(pkg),
            &tmp.path().join(format!("pnpm-{pkg}")),
        );
        let ours_json = tar_file(&ours, "package/package.json").unwrap();
        let theirs_json = tar_file(&theirs, "package/package.json").unwrap();
        if pkg == "a" {
            let canon = |bytes: &[u8]| -> String {
                let mut v: Value = serde_json::from_slice(bytes).unwrap();
                for field in ["dependencies", "devDependencies", "peerDependencies"] {
                    if let Some(Value::Object(m)) = v.get_mut(field) {
                        m.sort_keys();
                    }
                }
                serde_json::to_string_pretty(&v).unwrap()
            };
            let (x, y) = (canon(&theirs_json), canon(&ours_json));
            if x != y {
                failures.push(format!(
                    "{name}: package.json differs:\n{}",
                    similar::TextDiff::from_lines(&x, &y)
                        .unified_diff()
                        .header("pnpm", "relay")
                ));
            }
        } else if rewritten {
            if ours_json != theirs_json {
                failures.push(format!(
                    "{name}: package.json bytes differ:\n{}",
                    similar::TextDiff::from_lines(
                        &String::from_utf8_lossy(&theirs_json),
                        &String::from_utf8_lossy(&ours_json)
                    )
                    .unified_diff()
                    .header("pnpm", "relay")
                ));
            }
        } else {
            // Nothing to rewrite: relay keeps the source bytes, pnpm re-serialises them.
            let source = fs::read(root.join("packages").join(pkg).join("package.json")).unwrap();
            assert_eq!(
                ours_json, source,
                "{name}: relay must keep the source bytes"
            );
            let a: Value = serde_json::from_slice(&ours_json).unwrap();
            let b: Value = serde_json::from_slice(&theirs_json).unwrap();
            if a != b {
                failures.push(format!(
                    "{name}: manifest differs from pnpm's:\n{a:#}\n{b:#}"
                ));
            }
        }
        if tar_paths(&ours) != tar_paths(&theirs) {
            failures.push(format!(
                "{name}: files differ: relay {:?} pnpm {:?}",
                tar_paths(&ours),
                tar_paths(&theirs)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Yarn and Bun workspaces: `workspace:` and `catalog:` ranges become real versions.
#[test]
fn yarn_and_bun_workspace_ranges_are_rewritten() {
    for (lock, tool) in [("yarn.lock", "yarn"), ("bun.lock", "bun")] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        write_tree(
            &root,
            &[
                (
                    "package.json",
                    r#"{"name":"root","private":true,"workspaces":{"packages":["packages/*"],"catalog":{"lodash":"^4.17.21"}}}"#,
                ),
                (lock, ""),
                (
                    "packages/a/package.json",
                    r#"{"name":"a","version":"1.0.0","dependencies":{"b":"workspace:^","c":"workspace:*","d":"workspace:~","e":"workspace:^1.0.0"},"peerDependencies":{"b":"workspace:*"},"publishConfig":{"main":"lib/x.js"}}"#,
                ),
                ("packages/a/lib/x.js", "x"),
                (
                    "packages/b/package.json",
                    r#"{"name":"b","version":"2.0.0"}"#,
                ),
                (
                    "packages/c/package.json",
                    r#"{"name":"c","version":"3.0.0"}"#,
                ),
                (
                    "packages/d/package.json",
                    r#"{"name":"d","version":"4.0.0"}"#,
                ),
            ],
        );
        let out = tmp.path().join("out");
        let (json, tgz) = relay_pack(&root, &["a"], &out);
        let m: Value = serde_json::from_slice(
            &tar_file(&gunzip(&fs::read(&tgz).unwrap()), "package/package.json").unwrap(),
        )
        .unwrap();
        assert_eq!(
            m["dependencies"],
            serde_json::json!({"b":"^2.0.0","c":"3.0.0","d":"~4.0.0","e":"^1.0.0"}),
            "{tool}"
        );
        assert_eq!(m["peerDependencies"]["b"], "2.0.0", "{tool}");
        if tool == "yarn" {
            assert_eq!(m["main"], "lib/x.js");
        } else {
            assert!(m.get("main").is_none());
        }
        assert_eq!(json["name"], "a");
    }
}
