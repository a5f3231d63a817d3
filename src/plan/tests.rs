//! Unit tests for what the changesets oracle cannot cover: relay's Cargo extension, the
//! snapshot clock formatting and error wording. Everything else is checked against
//! changesets itself in `tests/it/plan_oracle.rs`.

use std::path::PathBuf;

use super::*;
use crate::changeset::Release;
use crate::workspace::Dependency;

fn krate(name: &str, version: &str, deps: &[(&str, DepKind, &str)]) -> Package {
    Package {
        name: name.into(),
        version: Some(version.into()),
        dir: format!("crates/{name}"),
        manifest_path: PathBuf::from(format!("/r/crates/{name}/Cargo.toml")),
        private: false,
        ecosystem: Ecosystem::Cargo,
        is_root: false,
        unnamed: false,
        dependencies: deps
            .iter()
            .map(|(dep, kind, req)| Dependency {
                name: dep.to_string(),
                target: dep.to_string(),
                kind: *kind,
                range: req.to_string(),
                path: Some(format!("crates/{dep}")),
                inherited: false,
                platform: None,
            })
            .collect(),
    }
}

fn cargo_ws() -> Workspace {
    Workspace {
        root: PathBuf::from("/r"),
        tool: Tool::Cargo,
        root_package: None,
        packages: vec![
            krate("a", "1.0.0", &[]),
            krate("b", "0.3.0", &[("a", DepKind::Prod, "1.0")]),
            krate("c", "0.1.0", &[("a", DepKind::Dev, "1")]),
            krate("d", "2.0.0", &[("a", DepKind::Build, "")]),
        ],
        catalogs: Default::default(),
    }
}

fn change(id: &str, name: &str, bump: BumpType) -> ChangeFile {
    ChangeFile {
        releases: vec![Release {
            name: name.into(),
            bump,
        }],
        summary: String::new(),
        id: id.into(),
    }
}

fn plan(ws: &Workspace, cs: &[ChangeFile]) -> Result<ReleasePlan, PlanError> {
    assemble(&PlanInput {
        workspace: ws,
        changesets: cs,
        config: &Config::default(),
        pre_state: None,
        snapshot: None,
    })
}

fn summary(p: &ReleasePlan) -> Vec<String> {
    p.releases
        .iter()
        .map(|r| format!("{} {} {}", r.name, r.bump, r.new_version))
        .collect()
}

#[test]
fn cargo_dependents_follow_cargo_requirements() {
    let ws = cargo_ws();
    // `1.0` in Cargo is `^1.0`: a minor release stays in range, nothing else moves.
    let p = plan(&ws, &[change("x", "a", BumpType::Minor)]).unwrap();
    assert_eq!(summary(&p), ["a minor 1.1.0"]);
    // A major release leaves `1.0` and `1`: the normal dependent gets a patch, the
    // dev-dependent a `none` entry (its requirement is rewritten, it is not released); the
    // version-less path dependency never leaves its range.
    let p = plan(&ws, &[change("x", "a", BumpType::Major)]).unwrap();
    assert_eq!(
        summary(&p),
        ["a major 2.0.0", "b patch 0.3.1", "c none 0.1.0"]
    );
}

#[test]
fn snapshot_suffixes_use_the_injected_clock() {
    let snap = Snapshot {
        tag: Some("canary".into()),
        commit: Some("43e7d9f81f43bdf784c2a6f5ec86dfbb5bcd71a8".into()),
        timestamp_ms: 1_795_305_198_047,
    };
    assert_eq!(
        snapshot_suffix(None, &snap).unwrap(),
        "canary-20261121235318"
    );
    assert_eq!(
        snapshot_suffix(Some("{tag}.{timestamp}.{commit-short}"), &snap).unwrap(),
        "canary.1795305198047.43e7d9f"
    );
    assert_eq!(
        snapshot_suffix(Some("{datetime}"), &snap).unwrap_err(),
        PlanError::SnapshotTagUnused {
            tag: "canary".into()
        }
    );
    let bare = Snapshot {
        tag: None,
        commit: None,
        ..snap
    };
    assert_eq!(snapshot_suffix(None, &bare).unwrap(), "20261121235318");
    assert!(
        snapshot_suffix(Some("{commit}"), &bare)
            .unwrap_err()
            .to_string()
            .contains("\"{commit}\" placeholder is used without having a value defined")
    );
}

#[test]
fn unknown_package_suggests_the_nearest_name() {
    let ws = cargo_ws();
    let err = plan(&ws, &[change("typo", "bb", BumpType::Patch)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Found changeset typo for package bb which is not in the workspace (.changeset/typo.md); did you mean b?"
    );
    let err = plan(&ws, &[change("far", "zzzzzzzz", BumpType::Patch)]).unwrap_err();
    assert!(!err.to_string().contains("did you mean"));
}
