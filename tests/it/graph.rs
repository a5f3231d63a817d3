//! Differential tests of discovery order and the dependents graph against changesets itself
//! (`@manypkg/get-packages` 3.1.0 + `@changesets/get-dependents-graph` 3.0.0, pinned under
//! tests/tools/changesets-graph), on the JS fixtures and on generated workspaces that mix every
//! kind of spec the edge rules distinguish.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::*;
use relay::graph::{GraphOptions, PackageGraph, dependents_graph};
use relay::workspace::{self, Tool};

/// Runs the oracle on every directory at once (one node start-up).
fn oracle(dirs: &[PathBuf]) -> Vec<Value> {
    let tool = node_tool("changesets-graph");
    let script = tool.join("oracle.mjs");
    fs::copy(
        repo_root().join("tests/tools/changesets-graph/oracle.mjs"),
        &script,
    )
    .unwrap();
    let out = Command::new("node")
        .arg(&script)
        .args(dirs)
        .env("NO_COLOR", "1")
        .output()
        .expect("run node");
    assert!(out.status.success(), "oracle failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn tool_name(t: Tool) -> &'static str {
    match t {
        Tool::Npm => "npm",
        Tool::Pnpm => "pnpm",
        Tool::Yarn => "yarn",
        Tool::Bun => "bun",
        Tool::Root => "root",
        Tool::Cargo => "cargo",
    }
}

/// relay's view in the oracle's shape.
fn relay_view(dir: &Path) -> Value {
    let ws = workspace::discover(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let js: Vec<_> = ws
        .packages
        .iter()
        .filter(|p| p.ecosystem == workspace::Ecosystem::Npm)
        .map(|p| json!([p.name, p.dir]))
        .collect();
    let mut graphs = serde_json::Map::new();
    let mut messages = std::collections::BTreeSet::new();
    for (key, opts) in [
        ("default", GraphOptions::default()),
        ("noDev", GraphOptions::for_publishing(false)),
        ("wsOnly", GraphOptions::for_versioning(true)),
    ] {
        // changesets knows nothing of Cargo packages.
        let g: Vec<Value> = dependents_graph(&ws, opts)
            .into_iter()
            .filter(|(k, _)| {
                ws.get(k)
                    .is_some_and(|p| p.ecosystem == workspace::Ecosystem::Npm)
            })
            .map(|(k, v)| json!([k, v]))
            .collect();
        graphs.insert(key.into(), Value::Array(g));
        for m in PackageGraph::build(&ws, opts).mismatches() {
            messages.insert(m.to_string());
        }
    }
    json!({
        "tool": tool_name(ws.tool),
        "root": ws.root_package.as_ref().map(|r| r.name.clone()),
        "packages": js,
        "graphs": graphs,
        "messages": messages,
    })
}

/// Compares every directory; returns (edges, messages) seen, to check the corpus covers both.
fn compare(dirs: &[PathBuf]) -> (usize, usize) {
    let theirs = oracle(dirs);
    assert_eq!(theirs.len(), dirs.len());
    let (mut edges, mut messages) = (0, 0);
    for (dir, theirs) in dirs.iter().zip(theirs) {
        let ours = relay_view(dir);
        edges += ours["graphs"]["default"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[1].as_array().unwrap().len())
            .sum::<usize>();
        messages += ours["messages"].as_array().unwrap().len();
        assert_eq!(
            ours,
            theirs,
            "relay (left) vs changesets (right) in {}:\n{}",
            dir.display(),
            fs::read_to_string(dir.join("workspace.txt")).unwrap_or_default()
        );
    }
    (edges, messages)
}

#[test]
fn fixtures_match_changesets() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["npm", "pnpm", "yarn", "bun", "single", "sample", "mixed"]
        .iter()
        .map(|k| {
            let d = tmp.path().join(k);
            copy_dir(&repo_root().join("fixtures").join(k), &d);
            d
        })
        .collect();
    let (edges, _) = compare(&dirs);
    assert!(edges >= 8, "{edges} edges");
}

#[test]
fn glob_corner_cases_match_manypkg() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("globs");
    let patterns = [
        "./a/*/",
        "b/**",
        "!b/x/**",
        "!b/y",
        "c/{d,e}/*",
        ".hidden/*",
        "f/../g/*",
        "!!h/*",
        "i/[ab]?",
        "j//k/*",
    ];
    let yaml: String = patterns.iter().map(|p| format!("  - '{p}'\n")).collect();
    fs::create_dir_all(&root).unwrap();
    fs::write(
        root.join("pnpm-workspace.yaml"),
        format!("packages:\n{yaml}"),
    )
    .unwrap();
    fs::write(root.join("package.json"), r#"{"name": "globs-root"}"#).unwrap();
    let dirs = [
        "a/one",
        "a/.dot",
        "a/one/deeper",
        "b",
        "b/x",
        "b/x/in",
        "b/y",
        "b/y/in",
        "b/z/q/r",
        "b/.git-like/p",
        "b/node_modules/nm",
        "b/z/node_modules/nm2",
        "c/d/p",
        "c/e/p",
        "c/f/p",
        ".hidden/p",
        "g/p",
        "f/p",
        "h/p",
        "i/aa",
        "i/bb",
        "i/cc",
        "i/abc",
        "j/k/p",
        "a/-x",
        "a/X",
        "a/\u{e9}",
    ];
    for (i, d) in dirs.iter().enumerate() {
        let dir = root.join(d);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("package.json"),
            format!("{{\"name\": \"pkg{i}\"}}"),
        )
        .unwrap();
    }
    // A matched directory without package.json is skipped.
    fs::create_dir_all(root.join("a/empty")).unwrap();
    compare(&[root]);
}

/// A small deterministic generator (tests must be reproducible; proptest is used for the pure
/// invariants in graph_props.rs).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len())]
    }
}

fn generate(root: &Path, seed: u64) {
    let mut r = Lcg(seed);
    let n = 2 + r.next(6);
    let versions = [
        Some("1.0.0"),
        Some("1.2.3"),
        Some("2.0.0-beta.1"),
        Some("0.1.0"),
        Some("3.0.0"),
        // No `None`: changesets 3 crashes (`styleText(undefined)`) when it reports a mismatch on a
        // package without a version; relay reports "undefined" (unit-tested in src/graph.rs).
        Some("1.0"),
    ];
    let prefixes = ["a", "B", "a-", "a_", "Z", "libs/x/"];
    let mut pkgs: Vec<(String, String, Option<&str>)> = Vec::new();
    for i in 0..n {
        let prefix = *r.pick(&prefixes);
        let dir = if prefix.starts_with("libs") {
            format!("{prefix}p{i}")
        } else {
            format!("packages/{prefix}{i}")
        };
        pkgs.push((format!("p{i}"), dir, *r.pick(&versions)));
    }
    let kinds = [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ];
    let mut describe = String::new();
    let mut manifest = |name: &str, version: Option<&str>, extra: &str, r: &mut Lcg| {
        let mut tables: Vec<(String, Vec<(String, String)>)> =
            kinds.iter().map(|k| (k.to_string(), Vec::new())).collect();
        for _ in 0..r.next(5) {
            let (dep, dep_dir, _) = &pkgs[r.next(pkgs.len())];
            let specs = [
                "workspace:*".to_string(),
                "workspace:^".into(),
                "workspace:~".into(),
                "workspace:^1.0.0".into(),
                "workspace:>=2.0.0-0".into(),
                format!("workspace:{dep_dir}"),
                format!("workspace:./{dep_dir}"),
                format!("workspace:{dep_dir}/"),
                "workspace:../x".into(),
                "^1.0.0".into(),
                "~1.2.0".into(),
                "*".into(),
                "".into(),
                "latest".into(),
                format!("npm:{dep}@^1"),
                "catalog:".into(),
                "file:../x".into(),
                "link:../x".into(),
                "1.x || >=2".into(),
                "^2.0.0-beta.0".into(),
                "1.0.0 - 2.0.0".into(),
            ];
            let spec = r.pick(&specs).clone();
            let table = r.next(kinds.len());
            tables[table].1.retain(|(d, _)| d != dep);
            tables[table].1.push((dep.clone(), spec));
        }
        let mut obj = serde_json::Map::new();
        obj.insert("name".into(), json!(name));
        if let Some(v) = version {
            obj.insert("version".into(), json!(v));
        }
        for (k, deps) in tables {
            if !deps.is_empty() {
                let m: serde_json::Map<String, Value> =
                    deps.into_iter().map(|(d, s)| (d, json!(s))).collect();
                obj.insert(k, Value::Object(m));
            }
        }
        let text = serde_json::to_string_pretty(&Value::Object(obj)).unwrap();
        describe.push_str(&format!("{extra}{text}\n"));
        text
    };
    let root_text = manifest("root-pkg", None, "root: ", &mut r);
    let mut files = vec![(PathBuf::from("package.json"), root_text)];
    for (name, dir, version) in pkgs.clone() {
        let text = manifest(&name, version, &format!("{dir}: "), &mut r);
        files.push((PathBuf::from(&dir).join("package.json"), text));
    }
    files.push((
        "pnpm-workspace.yaml".into(),
        "packages:\n  - packages/*\n  - libs/**\n  - '!libs/skip'\n".into(),
    ));
    files.push((
        "libs/skip/package.json".into(),
        "{\"name\": \"skipped\", \"version\": \"1.0.0\"}".into(),
    ));
    files.push(("workspace.txt".into(), describe));
    for (rel, text) in files {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

#[test]
fn generated_workspaces_match_changesets() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = (0..60u64)
        .map(|seed| {
            let d = tmp.path().join(format!("ws{seed}"));
            generate(&d, seed * 7919 + 1);
            d
        })
        .collect();
    let (edges, messages) = compare(&dirs);
    eprintln!("{edges} edges, {messages} mismatch messages");
    assert!(
        edges > 60 && messages > 30,
        "{edges} edges, {messages} messages"
    );
}

#[test]
fn cargo_edges_and_waves() {
    let ws = workspace::discover(&repo_root().join("fixtures/cargo")).unwrap();
    let g = PackageGraph::build(&ws, GraphOptions::default());
    assert_eq!(g.dependents("fx-core"), ["fx-cli"]);
    assert_eq!(g.dependents("fx-format"), ["fx-cli"]);
    assert_eq!(g.dependents("fx-build"), ["fx-cli"]);
    assert_eq!(g.dependents("fx-cli"), ["xtask"]);
    let core_edge = g
        .dependencies("fx-cli")
        .into_iter()
        .find(|(d, _)| *d == "fx-core")
        .unwrap()
        .1
        .clone();
    assert_eq!(
        core_edge.kinds,
        [workspace::DepKind::Prod, workspace::DepKind::Dev].into()
    );
    assert!(g.mismatches().is_empty());
    let names: Vec<String> = ws.packages.iter().map(|p| p.name.clone()).collect();
    let waves = relay::graph::publish_waves(&ws, &names);
    assert_eq!(
        waves.waves,
        [
            vec!["fx-core", "fx-format", "fx-build"],
            vec!["fx-cli"],
            vec!["xtask"]
        ]
    );
    assert!(waves.cycles.is_empty());

    // A path dependency whose requirement the crate's version does not meet: no edge, reported.
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    fs::write(
        r.join("Cargo.toml"),
        "[workspace]\nmembers = [\"a\", \"b\", \"c\"]\n",
    )
    .unwrap();
    for (name, extra) in [
        ("a", ""),
        (
            "b",
            "[dependencies]\na = { path = \"../a\", version = \"^2\" }\n",
        ),
        // Registry-only: a different crate as far as Cargo is concerned.
        ("c", "[dependencies]\na = \"1\"\n"),
    ] {
        fs::create_dir_all(r.join(name)).unwrap();
        fs::write(
            r.join(name).join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\n{extra}"),
        )
        .unwrap();
    }
    let ws = workspace::discover(r).unwrap();
    let g = PackageGraph::build(&ws, GraphOptions::default());
    assert!(g.dependents("a").is_empty());
    let ms: Vec<String> = g.mismatches().iter().map(|m| m.to_string()).collect();
    assert_eq!(
        ms,
        ["Package b must depend on the current version of a: 1.0.0 vs ^2"]
    );
}
