//! Workspace discovery on the fixtures of every kind: `relay list --json` snapshots plus the
//! details a snapshot can't show (catalogs, node_modules, order, human output).

use std::fs;
use std::path::Path;

use crate::harness::*;
use relay::workspace::{self, Ecosystem, Tool};

const KINDS: [&str; 7] = ["npm", "pnpm", "yarn", "bun", "cargo", "mixed", "single"];

fn list_json(dir: &Path) -> String {
    let out = run(relay(dir).args(["list", "--json"]));
    assert!(out.status.success(), "relay list failed: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn list_json_snapshots() {
    for kind in KINDS {
        let (_tmp, dir) = fixture(kind);
        let out = list_json(&dir);
        // No absolute path may leak into the output.
        assert!(!out.contains(&*dir.to_string_lossy()), "{kind}: {out}");
        insta::assert_snapshot!(format!("list_{kind}"), out);
    }
}

#[test]
fn list_human_output() {
    let (_tmp, dir) = fixture("cargo");
    let out = run(relay(&dir).arg("list"));
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("list_human_cargo", stdout(&out));
    let (_tmp, dir) = fixture("npm");
    let out = run(relay(&dir).arg("list"));
    insta::assert_snapshot!("list_human_npm", stdout(&out));
}

#[test]
fn tools_are_detected_like_manypkg() {
    let expect = [
        ("npm", Tool::Npm),
        ("pnpm", Tool::Pnpm),
        ("yarn", Tool::Yarn),
        ("bun", Tool::Bun),
        ("cargo", Tool::Cargo),
        ("mixed", Tool::Npm),
        ("single", Tool::Root),
    ];
    for (kind, tool) in expect {
        let ws = workspace::discover(&repo_root().join("fixtures").join(kind)).unwrap();
        assert_eq!(ws.tool, tool, "{kind}");
    }
}

#[test]
fn single_package_repo_is_root_and_only_package() {
    let ws = workspace::discover(&repo_root().join("fixtures/single")).unwrap();
    assert_eq!(ws.root_package.as_ref().unwrap().name, "solo-lib");
    assert_eq!(ws.packages.len(), 1);
    assert!(ws.packages[0].is_root);
    assert_eq!(ws.all().count(), 1);
}

#[test]
fn catalogs_pnpm_and_bun() {
    let ws = workspace::discover(&repo_root().join("fixtures/pnpm")).unwrap();
    assert_eq!(ws.catalog_range(None, "react"), Some("^18.3.1"));
    assert_eq!(
        ws.catalog_range(Some("default"), "typescript"),
        Some("~5.6.0")
    );
    assert_eq!(ws.catalog_range(Some("react17"), "react"), Some("^17.0.2"));
    assert_eq!(ws.catalog_range(Some("nope"), "react"), None);
    // `!apps/legacy` excludes it.
    assert!(ws.get("legacy-site").is_none());

    let ws = workspace::discover(&repo_root().join("fixtures/bun")).unwrap();
    // `workspaces.catalog` wins over the top-level `catalog`.
    assert_eq!(ws.catalog_range(None, "zod"), Some("^3.23.8"));
    assert_eq!(ws.catalog_range(Some("testing"), "vitest"), Some("^2.1.0"));
}

#[test]
fn node_modules_is_never_entered_and_negations_prune() {
    let (_tmp, dir) = fixture("npm");
    let before = list_json(&dir);
    for nm in [
        "node_modules/stray",
        "tools/lint/node_modules/evil",
        "packages/core/node_modules/dep",
        "tools/internal/nested",
    ] {
        let d = dir.join(nm);
        fs::create_dir_all(&d).unwrap();
        let name = nm.replace('/', "-");
        fs::write(
            d.join("package.json"),
            format!("{{\"name\": \"{name}\", \"version\": \"1.0.0\"}}"),
        )
        .unwrap();
    }
    assert_eq!(list_json(&dir), before);
}

#[test]
fn order_is_js_string_order_of_absolute_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(
        root.join("package.json"),
        r#"{"name":"r","workspaces":["p/**"]}"#,
    )
    .unwrap();
    // '-' (0x2d) sorts before '/' (0x2f): `p/a-b` comes before `p/a/b`; uppercase before lower;
    // astral-plane characters compare by UTF-16 code units.
    for d in [
        "p/a",
        "p/a/b",
        "p/a-b",
        "p/B",
        "p/\u{ff5e}",
        "p/\u{1f600}",
        "p/.hidden",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
        let name = d.replace('/', "_");
        fs::write(
            root.join(d).join("package.json"),
            format!("{{\"name\":\"{name}\"}}"),
        )
        .unwrap();
    }
    let ws = workspace::discover(root).unwrap();
    let dirs: Vec<&str> = ws.packages.iter().map(|p| p.dir.as_str()).collect();
    assert_eq!(
        dirs,
        ["p/B", "p/a", "p/a-b", "p/a/b", "p/\u{1f600}", "p/\u{ff5e}"]
    );
}

#[test]
fn cargo_fixture_details() {
    let ws = workspace::discover(&repo_root().join("fixtures/cargo")).unwrap();
    let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["fx-cli", "fx-core", "fx-format", "fx-build", "xtask"]
    );
    assert!(ws.packages.iter().all(|p| p.ecosystem == Ecosystem::Cargo));
    let cli = ws.get("fx-cli").unwrap();
    let core = &cli.dependencies[0];
    assert_eq!((core.inherited, core.range.as_str()), (true, "0.7"));
    assert_eq!(core.path.as_deref(), Some("crates/core"));
    let fmt = &cli.dependencies[1];
    assert_eq!(
        (fmt.name.as_str(), fmt.target.as_str()),
        ("fmt", "fx-format")
    );
    // publish = false inherited from [workspace.package]; publish = [registry] is public.
    assert!(ws.get("xtask").unwrap().private);
    assert!(!ws.get("fx-format").unwrap().private);
    assert!(!ws.get("fx-core").unwrap().private);
}

#[test]
fn cwd_in_a_subdirectory_finds_the_root() {
    let (_tmp, dir) = fixture("pnpm");
    let out = run(relay(&dir.join("packages/ui")).args(["list", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), list_json(&dir));
}

#[test]
fn unnamed_root_is_allowed_and_never_collides() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mono");
    fs::create_dir_all(root.join("packages/mono")).unwrap();
    fs::write(
        root.join("package.json"),
        r#"{"private": true, "workspaces": ["packages/*"], "dependencies": {"mono": "^9"}}"#,
    )
    .unwrap();
    // A package named like the repository directory.
    fs::write(
        root.join("packages/mono/package.json"),
        r#"{"name": "mono", "version": "1.0.0"}"#,
    )
    .unwrap();
    let ws = workspace::discover(&root).unwrap();
    assert!(ws.root_package.as_ref().unwrap().unnamed);
    assert_eq!(ws.get("mono").unwrap().dir, "packages/mono");
    let g = relay::graph::PackageGraph::build(&ws, Default::default());
    assert_eq!(g.names().collect::<Vec<_>>(), ["mono"]);
    assert!(g.mismatches().is_empty());
}

#[test]
fn workspaces_without_a_lockfile_are_still_a_monorepo() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir_all(root.join("packages/a")).unwrap();
    fs::write(
        root.join("package.json"),
        r#"{"name": "r", "workspaces": {"packages": ["packages/*"]}}"#,
    )
    .unwrap();
    fs::write(
        root.join("packages/a/package.json"),
        r#"{"name": "a", "version": "1.0.0"}"#,
    )
    .unwrap();
    let ws = workspace::discover(root).unwrap();
    assert_eq!((ws.tool, ws.packages.len()), (Tool::Npm, 1));
    fs::write(root.join(".yarnrc.yml"), "nodeLinker: pnp\n").unwrap();
    assert_eq!(workspace::discover(root).unwrap().tool, Tool::Yarn);
    // A pnpm-workspace.yaml without `packages` (settings only) doesn't make a pnpm workspace.
    fs::write(
        root.join("pnpm-workspace.yaml"),
        "catalog:\n  zod: ^3.0.0\n",
    )
    .unwrap();
    let ws = workspace::discover(root).unwrap();
    assert_eq!(ws.tool, Tool::Yarn);
    assert_eq!(ws.catalog_range(None, "zod"), Some("^3.0.0"));
}
