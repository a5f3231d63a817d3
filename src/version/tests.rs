use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::changelog::{Generator, Renderer};
use crate::changeset::{ChangeFile, Release};
use crate::plan::{PlanPreState, PlannedRelease};
use crate::workspace::{Dependency, Tool};

struct MapFiles(BTreeMap<PathBuf, Vec<u8>>);

impl FileSource for MapFiles {
    fn read(&self, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
        Ok(self.0.get(path).cloned())
    }
}

fn pkg(name: &str, version: &str, deps: &[(&str, DepKind, &str)]) -> Package {
    Package {
        name: name.into(),
        version: Some(version.into()),
        dir: format!("packages/{name}"),
        manifest_path: PathBuf::from(format!("/r/packages/{name}/package.json")),
        private: false,
        ecosystem: Ecosystem::Npm,
        is_root: false,
        dependencies: deps
            .iter()
            .map(|(n, k, r)| Dependency {
                name: n.to_string(),
                target: n.to_string(),
                kind: *k,
                range: r.to_string(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn rel(name: &str, bump: BumpType, old: &str, new: &str, cs: &[&str]) -> PlannedRelease {
    PlannedRelease {
        name: name.into(),
        bump,
        old_version: old.into(),
        changesets: cs.iter().map(|s| s.to_string()).collect(),
        new_version: new.into(),
    }
}

fn setup() -> (Workspace, MapFiles) {
    let ws = Workspace {
        root: PathBuf::from("/r"),
        tool: Tool::Npm,
        root_package: None,
        packages: vec![
            pkg("pkg-a", "1.0.0", &[]),
            pkg("pkg-b", "1.0.0", &[("pkg-a", DepKind::Prod, "^1.0.0")]),
        ],
        catalogs: Default::default(),
    };
    let mut files = BTreeMap::new();
    files.insert(
        PathBuf::from("/r/packages/pkg-a/package.json"),
        b"{\n  \"name\": \"pkg-a\",\n  \"version\": \"1.0.0\"\n}\n".to_vec(),
    );
    files.insert(
        PathBuf::from("/r/packages/pkg-b/package.json"),
        b"{\n    \"name\": \"pkg-b\",\n    \"version\": \"1.0.0\",\n    \"dependencies\": { \"pkg-a\": \"^1.0.0\" }\n}"
            .to_vec(),
    );
    files.insert(
        PathBuf::from("/r/packages/pkg-b/CHANGELOG.md"),
        b"# pkg-b\n\n## 1.0.0\n\n- first\n".to_vec(),
    );
    files.insert(
        PathBuf::from("/r/.changeset/one.md"),
        b"---\n\"pkg-a\": major\n---\n\nBreak it\n".to_vec(),
    );
    (ws, MapFiles(files))
}

fn text(ops: &[FileOp], path: &str) -> Option<String> {
    ops.iter().find_map(|o| match o {
        FileOp::Write { path: p, contents } if p == Path::new(path) => {
            Some(String::from_utf8(contents.clone()).unwrap())
        }
        _ => None,
    })
}

fn plan(pre: Option<PlanPreState>) -> ReleasePlan {
    ReleasePlan {
        changesets: vec![ChangeFile {
            releases: vec![Release {
                name: "pkg-a".into(),
                bump: BumpType::Major,
            }],
            summary: "Break it".into(),
            id: "one".into(),
        }],
        releases: vec![
            rel("pkg-a", BumpType::Major, "1.0.0", "2.0.0", &["one"]),
            rel("pkg-b", BumpType::Patch, "1.0.0", "1.0.1", &[]),
        ],
        pre_state: pre,
    }
}

#[test]
fn manifests_changelogs_and_change_files() {
    let (ws, files) = setup();
    let config = Config::default();
    let renderer = Renderer::new(Generator::Git).unwrap();
    let commits = BTreeMap::new();
    let plan = plan(None);
    let input = VersionInput {
        workspace: &ws,
        plan: &plan,
        config: &config,
        snapshot: false,
        changelog: Some(&renderer),
        commits: &commits,
    };
    let ops = compute_edits(&input, &files).unwrap().ops;
    assert_eq!(
        text(&ops, "/r/packages/pkg-a/package.json").unwrap(),
        "{\n  \"name\": \"pkg-a\",\n  \"version\": \"2.0.0\"\n}\n"
    );
    assert_eq!(
        text(&ops, "/r/packages/pkg-b/package.json").unwrap(),
        "{\n    \"name\": \"pkg-b\",\n    \"version\": \"1.0.1\",\n    \"dependencies\": { \"pkg-a\": \"^2.0.0\" }\n}"
    );
    assert_eq!(
        text(&ops, "/r/packages/pkg-a/CHANGELOG.md").unwrap(),
        "# pkg-a\n\n## 2.0.0\n\n### Major Changes\n\n- Break it\n"
    );
    assert_eq!(
        text(&ops, "/r/packages/pkg-b/CHANGELOG.md").unwrap(),
        "# pkg-b\n\n## 1.0.1\n\n### Patch Changes\n\n- Updated dependencies\n  - pkg-a@2.0.0\n\n## 1.0.0\n\n- first\n"
    );
    assert!(ops.contains(&FileOp::Remove {
        path: PathBuf::from("/r/.changeset/one.md")
    }));
}

#[test]
fn pre_mode_moves_change_files_and_snapshot_pins() {
    let (ws, files) = setup();
    let config = Config::default();
    let commits = BTreeMap::new();
    let plan = plan(Some(PlanPreState {
        mode: PreMode::Pre,
        tag: "beta".into(),
    }));
    let input = VersionInput {
        workspace: &ws,
        plan: &plan,
        config: &config,
        snapshot: false,
        changelog: None,
        commits: &commits,
    };
    let ops = compute_edits(&input, &files).unwrap().ops;
    assert!(text(&ops, "/r/.changeset/pre/one.md").is_some());
    assert!(ops.contains(&FileOp::Remove {
        path: PathBuf::from("/r/.changeset/one.md")
    }));
    assert!(text(&ops, "/r/packages/pkg-a/CHANGELOG.md").is_none());

    let plan = plan_snapshot();
    let input = VersionInput {
        workspace: &ws,
        plan: &plan,
        config: &config,
        snapshot: true,
        changelog: None,
        commits: &commits,
    };
    let ops = compute_edits(&input, &files).unwrap().ops;
    assert!(
        text(&ops, "/r/packages/pkg-b/package.json")
            .unwrap()
            .contains("\"pkg-a\": \"0.0.0-canary-1\"")
    );
}

fn plan_snapshot() -> ReleasePlan {
    let mut p = plan(None);
    p.releases[0].new_version = "0.0.0-canary-1".into();
    p.releases[1].new_version = "0.0.0-canary-1".into();
    p
}

#[test]
fn commit_message() {
    let p = plan(None);
    assert_eq!(
        version_commit_message(&p, true),
        "RELEASING: Releasing 2 package(s)\n\nReleases:\n  pkg-a@2.0.0\n  pkg-b@1.0.1\n\n[skip ci]\n"
    );
}
