//! Plan test cases: a JSON-serialisable description of a monorepo + change files + config +
//! pre state + snapshot, turned into relay's types here and into changesets' in
//! `tests/tools/changesets/driver.mjs`, plus a seeded random generator of such cases.

use std::path::PathBuf;

use indexmap::IndexMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use relay::changeset::{BumpType, ChangeFile, PreMode, Release};
use relay::plan::{PlanInput, PlanPreState, Snapshot};
use relay::settings::{Config, PrivatePackages, SnapshotConfig, UpdateInternalDependents};
use relay::workspace::{DepKind, Dependency, Ecosystem, Package, Tool, Workspace};
use serde::{Deserialize, Serialize};

type Deps = IndexMap<String, String>;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CasePackage {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
    pub dir: String,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub dependencies: Deps,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub dev_dependencies: Deps,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub peer_dependencies: Deps,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub optional_dependencies: Deps,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSnapshotConfig {
    pub use_calculated_version: bool,
    pub prerelease_template: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CasePrivate {
    pub version: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseConfig {
    pub fixed: Vec<Vec<String>>,
    pub linked: Vec<Vec<String>>,
    pub ignore: Vec<String>,
    pub update_internal_dependencies: String,
    pub private_packages: CasePrivate,
    pub bump_versions_with_workspace_protocol_only: bool,
    pub update_internal_dependents: String,
    pub only_update_peer_dependents_when_out_of_range: bool,
    pub snapshot: CaseSnapshotConfig,
}

impl Default for CaseConfig {
    fn default() -> Self {
        CaseConfig {
            fixed: vec![],
            linked: vec![],
            ignore: vec![],
            update_internal_dependencies: "patch".into(),
            private_packages: CasePrivate::default(),
            bump_versions_with_workspace_protocol_only: false,
            update_internal_dependents: "out-of-range".into(),
            only_update_peer_dependents_when_out_of_range: false,
            snapshot: CaseSnapshotConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSnapshot {
    pub tag: Option<String>,
    pub commit: Option<String>,
    pub timestamp_ms: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    pub packages: Vec<CasePackage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<CasePackage>,
    pub changesets: Vec<ChangeFile>,
    pub config: CaseConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_state: Option<PlanPreState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<CaseSnapshot>,
    /// A single-package repository: `root` is the only package (changesets' `root` tool).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub single: bool,
}

/// Owned inputs for [`PlanInput`].
pub struct Inputs {
    pub workspace: Workspace,
    pub changesets: Vec<ChangeFile>,
    pub config: Config,
    pub pre_state: Option<PlanPreState>,
    pub snapshot: Option<Snapshot>,
}

impl Inputs {
    pub fn input(&self) -> PlanInput<'_> {
        PlanInput {
            workspace: &self.workspace,
            changesets: &self.changesets,
            config: &self.config,
            pre_state: self.pre_state.as_ref(),
            snapshot: self.snapshot.as_ref(),
        }
    }
}

fn package(p: &CasePackage, is_root: bool) -> Package {
    let mut dependencies = Vec::new();
    for (kind, table) in [
        (DepKind::Prod, &p.dependencies),
        (DepKind::Dev, &p.dev_dependencies),
        (DepKind::Peer, &p.peer_dependencies),
        (DepKind::Optional, &p.optional_dependencies),
    ] {
        for (name, range) in table {
            dependencies.push(Dependency {
                name: name.clone(),
                target: name.clone(),
                kind,
                range: range.clone(),
                ..Default::default()
            });
        }
    }
    Package {
        name: p.name.clone(),
        version: p.version.clone(),
        dir: if is_root { ".".into() } else { p.dir.clone() },
        manifest_path: PathBuf::from("/repo").join(&p.dir).join("package.json"),
        private: p.private,
        ecosystem: Ecosystem::Npm,
        is_root,
        dependencies,
        ..Default::default()
    }
}

impl Case {
    pub fn root_package(&self) -> CasePackage {
        self.root.clone().unwrap_or(CasePackage {
            name: "root".into(),
            private: true,
            dir: ".".into(),
            ..Default::default()
        })
    }

    pub fn inputs(&self) -> Inputs {
        let c = &self.config;
        let config = Config {
            fixed: c.fixed.clone(),
            linked: c.linked.clone(),
            ignore: c.ignore.clone(),
            update_internal_dependencies: if c.update_internal_dependencies == "minor" {
                BumpType::Minor
            } else {
                BumpType::Patch
            },
            private_packages: PrivatePackages {
                version: c.private_packages.version,
                tag: false,
            },
            bump_versions_with_workspace_protocol_only: c
                .bump_versions_with_workspace_protocol_only,
            update_internal_dependents: if c.update_internal_dependents == "always" {
                UpdateInternalDependents::Always
            } else {
                UpdateInternalDependents::OutOfRange
            },
            only_update_peer_dependents_when_out_of_range: c
                .only_update_peer_dependents_when_out_of_range,
            snapshot: SnapshotConfig {
                use_calculated_version: c.snapshot.use_calculated_version,
                prerelease_template: c.snapshot.prerelease_template.clone(),
            },
            ..Config::default()
        };
        Inputs {
            workspace: Workspace {
                root: PathBuf::from("/repo"),
                tool: if self.single { Tool::Root } else { Tool::Pnpm },
                root_package: Some(package(&self.root_package(), true)),
                // As discovery does: in a single-package repo the root is also the one package.
                packages: if self.single {
                    vec![package(&self.root_package(), true)]
                } else {
                    self.packages.iter().map(|p| package(p, false)).collect()
                },
                catalogs: Default::default(),
            },
            changesets: self.changesets.clone(),
            config,
            pre_state: self.pre_state.clone(),
            snapshot: self.snapshot.as_ref().map(|s| Snapshot {
                tag: s.tag.clone(),
                commit: s.commit.clone(),
                timestamp_ms: s.timestamp_ms,
            }),
        }
    }
}

// ---- building cases by hand ----

pub fn pkg(name: &str, version: &str) -> CasePackage {
    CasePackage {
        name: name.into(),
        version: Some(version.into()),
        dir: format!(
            "packages/{}",
            name.trim_start_matches('@').replace('/', "-")
        ),
        ..Default::default()
    }
}

impl CasePackage {
    pub fn dep(mut self, name: &str, range: &str) -> Self {
        self.dependencies.insert(name.into(), range.into());
        self
    }
    pub fn dev(mut self, name: &str, range: &str) -> Self {
        self.dev_dependencies.insert(name.into(), range.into());
        self
    }
    pub fn peer(mut self, name: &str, range: &str) -> Self {
        self.peer_dependencies.insert(name.into(), range.into());
        self
    }
    pub fn optional(mut self, name: &str, range: &str) -> Self {
        self.optional_dependencies.insert(name.into(), range.into());
        self
    }
    pub fn private(mut self) -> Self {
        self.private = true;
        self
    }
}

pub fn cs(id: &str, releases: &[(&str, &str)]) -> ChangeFile {
    ChangeFile {
        releases: releases
            .iter()
            .map(|(n, t)| Release {
                name: n.to_string(),
                bump: BumpType::parse(t).expect("bump type"),
            })
            .collect(),
        summary: format!("Summary of {id}"),
        id: id.into(),
    }
}

pub fn case(packages: Vec<CasePackage>, changesets: Vec<ChangeFile>) -> Case {
    Case {
        packages,
        changesets,
        ..Default::default()
    }
}

pub fn pre(mode: PreMode, tag: &str) -> Option<PlanPreState> {
    Some(PlanPreState {
        mode,
        tag: tag.into(),
    })
}

// ---- random cases ----

const VERSIONS: [&str; 12] = [
    "1.0.0",
    "1.0.0",
    "0.1.0",
    "2.3.4",
    "0.0.1",
    "1.2.0",
    "1.1.0-beta.0",
    "1.0.0-beta.3",
    "2.0.0-alpha.1",
    "1.0.1-beta",
    "1.0.0-rc.1+build.5",
    "0.0.0",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn spec(rng: &mut StdRng, dep: &CasePackage) -> String {
    let v = dep.version.clone().unwrap_or_default();
    let other = pick(rng, &VERSIONS).to_string();
    if rng.random_bool(0.2) {
        // Range syntaxes where a lenient parser could disagree with node-semver.
        const ODD: [&str; 16] = [
            "^1",
            "1.0",
            "~1.2",
            ">1.0.0 <2",
            "1.0.0 - 2.0.0",
            "x",
            "=1.0.0",
            "v1.0.0",
            "^1.0.0-0",
            "< 2",
            "1.x || >=2.3",
            "~>1.0",
            "workspace:^1",
            "^1.0.0 ||",
            "1.2.3 ^",
            ">=1.1.0-beta.0",
        ];
        return pick::<&str>(rng, &ODD).to_string();
    }
    match rng.random_range(0..24) {
        0..=3 => format!("^{v}"),
        4 => format!("~{v}"),
        5 => v,
        6 => format!("^{other}"),
        7 => "workspace:*".into(),
        8 => "workspace:^".into(),
        9 => "workspace:~".into(),
        10 => format!("workspace:^{v}"),
        11 => format!("workspace:{}", dep.dir),
        12 => format!("workspace:./{}/", dep.dir),
        13 => "*".into(),
        14 => ">=0.0.0".into(),
        15 => "latest".into(),
        16 => format!("npm:{}@^1.0.0", dep.name),
        17 => format!("file:../{}", dep.dir),
        18 => format!("link:../{}", dep.dir),
        19 => String::new(),
        20 => "workspace:../x".into(),
        21 => format!("{}.x", v.split('.').next().unwrap_or("1")),
        22 => format!("workspace:~{other}"),
        _ => format!(">={v} <3.0.0"),
    }
}

/// A random monorepo, change files, config, pre state and snapshot, fully determined by `seed`.
pub fn random_case(seed: u64) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = rng.random_range(1..=8);
    let mut packages: Vec<CasePackage> = (0..n)
        .map(|i| {
            let name = if rng.random_bool(0.2) {
                format!("@s/p{i}")
            } else {
                format!("p{i}")
            };
            let mut p = pkg(&name, pick::<&str>(&mut rng, &VERSIONS));
            p.private = rng.random_bool(0.12);
            // Private apps often have no version at all.
            if p.private && rng.random_bool(0.15) {
                p.version = None;
            }
            p
        })
        .collect();
    let snapshot_of_pkgs = packages.clone();
    for p in packages.iter_mut() {
        for dep in &snapshot_of_pkgs {
            if dep.name == p.name || !rng.random_bool(0.35) {
                continue;
            }
            let s = spec(&mut rng, dep);
            let table = match rng.random_range(0..10) {
                0..=4 => &mut p.dependencies,
                5..=6 => &mut p.dev_dependencies,
                7..=8 => &mut p.peer_dependencies,
                _ => &mut p.optional_dependencies,
            };
            table.insert(dep.name.clone(), s);
            // Sometimes list the same package in a second table too.
            if rng.random_bool(0.15) {
                let s2 = spec(&mut rng, dep);
                p.dev_dependencies.insert(dep.name.clone(), s2);
            }
        }
    }
    let names: Vec<String> = packages.iter().map(|p| p.name.clone()).collect();
    let mut config = CaseConfig::default();
    // Disjoint fixed/linked groups.
    let mut pool: Vec<String> = names.clone();
    for _ in 0..2 {
        if pool.len() >= 2 && rng.random_bool(0.35) {
            let k = rng.random_range(2..=pool.len().min(3));
            let group: Vec<String> = (0..k)
                .map(|_| pool.remove(rng.random_range(0..pool.len())))
                .collect();
            if rng.random_bool(0.5) {
                config.fixed.push(group);
            } else {
                config.linked.push(group);
            }
        }
    }
    if rng.random_bool(0.12) {
        config.ignore.push(pick(&mut rng, &names).clone());
    }
    config.private_packages.version = rng.random_bool(0.25);
    config.bump_versions_with_workspace_protocol_only = rng.random_bool(0.12);
    if rng.random_bool(0.2) {
        config.update_internal_dependents = "always".into();
    }
    config.only_update_peer_dependents_when_out_of_range = rng.random_bool(0.2);
    if rng.random_bool(0.2) {
        config.update_internal_dependencies = "minor".into();
    }

    let mut changesets = Vec::new();
    let k = rng.random_range(0..=5);
    for i in 0..k {
        let id = if rng.random_bool(0.2) {
            format!("pre/change-{i}")
        } else {
            format!("change-{i}")
        };
        let m = rng.random_range(0..=3);
        let mut releases: Vec<(String, String)> = Vec::new();
        // Mostly keep a change file to skipped or to versioned packages only, so that the
        // "mixed changeset" error does not swallow most cases.
        let skipped = |p: &CasePackage| {
            config.ignore.contains(&p.name)
                || (p.private && !config.private_packages.version)
                || p.version.is_none()
        };
        let class = rng.random_bool(0.15);
        let pool: Vec<String> = if rng.random_bool(0.9) {
            let same: Vec<String> = packages
                .iter()
                .filter(|p| skipped(p) == class)
                .map(|p| p.name.clone())
                .collect();
            if same.is_empty() { names.clone() } else { same }
        } else {
            names.clone()
        };
        for _ in 0..m {
            let name = pick(&mut rng, &pool).clone();
            if releases.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let t = *pick(&mut rng, &["major", "minor", "patch", "patch", "none"]);
            releases.push((name, t.to_string()));
        }
        let refs: Vec<(&str, &str)> = releases
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        changesets.push(cs(&id, &refs));
    }
    let pre_state = match rng.random_range(0..10) {
        0..=1 => pre(
            PreMode::Pre,
            pick::<&str>(&mut rng, &["beta", "alpha", "rc"]),
        ),
        2 => pre(PreMode::Exit, "beta"),
        _ => None,
    };
    let snapshot =
        if pre_state.as_ref().is_none_or(|p| p.mode != PreMode::Pre) && rng.random_bool(0.15) {
            let tag = rng.random_bool(0.6).then(|| "canary".to_string());
            config.snapshot.use_calculated_version = rng.random_bool(0.4);
            config.snapshot.prerelease_template = match rng.random_range(0..4) {
                0 if tag.is_some() => Some("{tag}.{timestamp}".into()),
                1 if tag.is_some() => Some("{tag}-{commit-short}-{datetime}".into()),
                2 if tag.is_none() => Some("{commit}".into()),
                _ => None,
            };
            Some(CaseSnapshot {
                tag,
                commit: Some("43e7d9f81f43bdf784c2a6f5ec86dfbb5bcd71a8".into()),
                timestamp_ms: 1_795_305_198_047 + seed as i64 % 1_000_000_000,
            })
        } else {
            None
        };
    Case {
        packages,
        root: None,
        changesets,
        config,
        pre_state,
        snapshot,
        single: false,
    }
}
