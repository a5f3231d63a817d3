//! Cargo discovery against the real thing: `cargo metadata --no-deps --format-version 1` on the
//! Cargo fixtures and on generated workspaces must describe the same packages and dependencies.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::*;
use relay::workspace::{self, DepKind, Ecosystem};

/// (name, version, manifest, private, deps) with deps as (package, rename, req, kind, path, target).
type PkgView = (
    String,
    String,
    PathBuf,
    bool,
    BTreeSet<(
        String,
        Option<String>,
        String,
        String,
        Option<PathBuf>,
        Option<String>,
    )>,
);

fn cargo_view(dir: &Path) -> BTreeSet<PkgView> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(dir)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed in {}: {}",
        dir.display(),
        stderr(&out)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let publish = &p["publish"];
            let version = s(&p["version"]).unwrap();
            // Cargo reports a package without `version` as 0.0.0, unpublishable.
            let private = publish.as_array().is_some_and(|a| a.is_empty());
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        s(&d["name"]).unwrap(),
                        s(&d["rename"]),
                        s(&d["req"]).unwrap(),
                        s(&d["kind"]).unwrap_or_else(|| "normal".into()),
                        s(&d["path"]).map(PathBuf::from),
                        s(&d["target"]),
                    )
                })
                .collect();
            (
                s(&p["name"]).unwrap(),
                version,
                PathBuf::from(s(&p["manifest_path"]).unwrap()),
                private,
                deps,
            )
        })
        .collect()
}

fn relay_view(dir: &Path) -> BTreeSet<PkgView> {
    let ws = workspace::discover(dir).unwrap();
    ws.all()
        .filter(|p| p.ecosystem == Ecosystem::Cargo)
        .map(|p| {
            let deps = p
                .dependencies
                .iter()
                .map(|d| {
                    let req = if d.range.is_empty() {
                        "*".to_string()
                    } else {
                        semver::VersionReq::parse(&d.range).unwrap().to_string()
                    };
                    let kind = match d.kind {
                        DepKind::Dev => "dev",
                        DepKind::Build => "build",
                        _ => "normal",
                    };
                    (
                        d.target.clone(),
                        (d.name != d.target).then(|| d.name.clone()),
                        req,
                        kind.to_string(),
                        d.path.as_ref().map(|rel| normalize(&ws.root.join(rel))),
                        d.platform.clone(),
                    )
                })
                .collect();
            (
                p.name.clone(),
                p.version.clone().unwrap_or_else(|| "0.0.0".into()),
                p.manifest_path.clone(),
                p.private,
                deps,
            )
        })
        .collect()
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

fn assert_same(dir: &Path, packages: usize) {
    let (ours, theirs) = (relay_view(dir), cargo_view(dir));
    assert_eq!(ours.len(), packages, "{ours:#?}");
    assert_eq!(ours, theirs, "relay vs cargo metadata in {}", dir.display());
}

#[test]
fn cargo_fixtures_match_cargo_metadata() {
    for (kind, n) in [("cargo", 5), ("mixed", 2)] {
        let (_tmp, dir) = fixture(kind);
        assert_same(&dir, n);
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn krate(root: &Path, dir: &str, manifest: &str) {
    write(root, &format!("{dir}/Cargo.toml"), manifest);
    write(root, &format!("{dir}/src/lib.rs"), "");
}

#[test]
fn generated_workspaces_match_cargo_metadata() {
    // 1. Nested globs, `**`, dot directories, underscore table spellings, publish = [].
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path().join("ws1");
    write(
        &r,
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"libs/**/c?\", \"./apps/*/\"]\nexclude = [\"apps/skip\"]\n[workspace.package]\nversion = \"3.0.0-rc.1\"\n[workspace.dependencies]\nc1 = { version = \"=3.0.0-rc.1\", path = \"libs/a/c1\" }\nrenamed = { package = \"c2\", path = \"libs/b/c2\" }\n",
    );
    krate(
        &r,
        "libs/a/c1",
        "[package]\nname = \"c1\"\nversion.workspace = true\nedition = \"2021\"\n",
    );
    krate(
        &r,
        "libs/b/c2",
        "[package]\nname = \"c2\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = []\n[dependencies]\nc1 = { workspace = true, optional = true }\n",
    );
    krate(
        &r,
        "libs/.dot/c3",
        "[package]\nname = \"c3\"\nedition = \"2021\"\n[target.x86_64-unknown-linux-gnu.dev-dependencies]\nrenamed = { workspace = true }\n",
    );
    krate(
        &r,
        "apps/web",
        "[package]\nname = \"web\"\nversion = \"1.2.3\"\nedition = \"2021\"\n[dependencies]\nc1 = { path = \"../../libs/a/c1\", version = \"3.0.0-rc.1\" }\nc2 = \"0.1\"\n[target.'cfg(windows)'.build-dependencies]\nc3 = { path = \"../../libs/.dot/c3\" }\n",
    );
    krate(
        &r,
        "apps/skip",
        "[package]\nname = \"skip\"\nversion = \"0.0.1\"\nedition = \"2021\"\n",
    );
    write(
        &r,
        "apps/README.md",
        "a file matched by the glob is ignored\n",
    );
    assert_same(&r, 4);
    let ws = workspace::discover(&r).unwrap();
    assert!(ws.get("skip").is_none());

    // 2. A root package that is also the workspace, with a path dependency outside `members`.
    let r = tmp.path().join("ws2");
    krate(
        &r,
        ".",
        "[package]\nname = \"top\"\nversion = \"0.4.0\"\nedition = \"2021\"\n[workspace]\n[dependencies]\nhelper = { path = \"helper\", version = \"0.4\" }\n[dev-dependencies]\nhelper = { path = \"helper\" }\n",
    );
    krate(
        &r,
        "helper",
        "[package]\nname = \"helper\"\nversion = \"0.4.1\"\nedition = \"2021\"\n",
    );
    assert_same(&r, 2);

    // 3. A single crate without [workspace].
    let r = tmp.path().join("ws3");
    krate(
        &r,
        ".",
        "[package]\nname = \"lonely\"\nversion = \"1.0.0\"\nedition = \"2021\"\npublish = false\n[build-dependencies]\ncc = \"1.0\"\n",
    );
    assert_same(&r, 1);
}
