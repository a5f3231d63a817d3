//! The publish plan: what is published, under which dist-tag, in which dependency waves.
//! Pure: built from plain values (release candidates, the registry facts read beforehand).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::workspace::DepKind;

/// How the target dist-tag reaches consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Each package is published directly under the target tag.
    #[default]
    Direct,
    /// Everything is published under a temporary tag; the target tag moves in one sweep.
    Promote,
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "direct" => Ok(Strategy::Direct),
            "promote" => Ok(Strategy::Promote),
            other => Err(format!(
                "unknown publish strategy `{other}`; use `direct` or `promote`"
            )),
        }
    }
}

/// One package to publish, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedPackage {
    pub name: String,
    pub version: String,
    /// Directory relative to the repository root.
    pub dir: String,
    pub registry: String,
    /// The dist-tag consumers will see (the target tag).
    pub tag: String,
    pub access: Option<String>,
    /// 0-based wave index.
    pub wave: usize,
    /// Packages of this release it must wait for (prod, peer, optional edges; not its cycle).
    pub waits_for: Vec<String>,
    pub tarball_size: u64,
    pub integrity: String,
}

/// The full plan (also `relay publish-plan --output`'s JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishPlan {
    pub release_id: String,
    pub strategy: Strategy,
    /// The temporary dist-tag of the promote strategy.
    pub temp_tag: Option<String>,
    pub waves: Vec<Vec<String>>,
    pub packages: Vec<PlannedPackage>,
    /// Private packages that only get a git tag (`privatePackages.tag`).
    pub git_tag_only: Vec<String>,
    pub warnings: Vec<String>,
}

/// An internal dependency edge: `from` depends on `to` with `kind`.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: DepKind,
}

/// (waves, what each package waits for, warnings).
pub type Waves = (Vec<Vec<String>>, BTreeMap<String, Vec<String>>, Vec<String>);

/// Dependency waves among `nodes`: prod, peer and optional edges order packages; dev edges do
/// not. Each strongly connected component (a cycle) is placed in one wave, and a warning names
/// it. Returns (waves, what each package waits for, warnings). Deterministic: names sorted.
pub fn waves(nodes: &BTreeSet<String>, edges: &[Edge]) -> Waves {
    use petgraph::graph::{DiGraph, NodeIndex};
    let mut g: DiGraph<String, ()> = DiGraph::new();
    let mut idx: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    for n in nodes {
        idx.insert(n, g.add_node(n.clone()));
    }
    for e in edges {
        if e.kind == DepKind::Dev || e.from == e.to {
            continue;
        }
        if let (Some(&a), Some(&b)) = (idx.get(e.from.as_str()), idx.get(e.to.as_str())) {
            // dependency → dependent
            g.update_edge(b, a, ());
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&g);
    let mut comp_of: BTreeMap<NodeIndex, usize> = BTreeMap::new();
    let mut warnings = Vec::new();
    for (ci, comp) in sccs.iter().enumerate() {
        for &n in comp {
            comp_of.insert(n, ci);
        }
        if comp.len() > 1 {
            let mut names: Vec<&str> = comp.iter().map(|&n| g[n].as_str()).collect();
            names.sort();
            warnings.push(format!(
                "dependency cycle between {}: they are published in the same wave, without waiting for each other",
                names.join(", ")
            ));
        }
    }
    // Longest path over the condensation: a component's wave is 1 + max wave of its deps.
    // tarjan_scc returns components in reverse topological order (dependents first).
    let mut comp_wave = vec![0usize; sccs.len()];
    for ci in (0..sccs.len()).rev() {
        let mut w = 0;
        for &n in &sccs[ci] {
            for dep in g.neighbors_directed(n, petgraph::Direction::Incoming) {
                let dc = comp_of[&dep];
                if dc != ci {
                    w = w.max(comp_wave[dc] + 1);
                }
            }
        }
        comp_wave[ci] = w;
    }
    let max = comp_wave.iter().copied().max().map_or(0, |m| m + 1);
    let mut out: Vec<Vec<String>> = vec![Vec::new(); if nodes.is_empty() { 0 } else { max }];
    let mut waits: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, &n) in &idx {
        let ci = comp_of[&n];
        out[comp_wave[ci]].push(name.to_string());
        let mut deps: Vec<String> = g
            .neighbors_directed(n, petgraph::Direction::Incoming)
            .filter(|d| comp_of[d] != ci)
            .map(|d| g[d].clone())
            .collect();
        deps.sort();
        deps.dedup();
        waits.insert(name.to_string(), deps);
    }
    for w in &mut out {
        w.sort();
    }
    (out, waits, warnings)
}

/// The dist-tag for a release: `--tag`, else the pre-mode tag, else `latest`.
pub fn choose_tag(cli: Option<&str>, config: Option<&str>, pre_tag: Option<&str>) -> String {
    cli.or(config).or(pre_tag).unwrap_or("latest").to_string()
}

/// Problems with publishing `version` under `tag`, given the registry's current `latest`.
/// Mirrors npm 11's refusals (prerelease to latest; lower than latest under latest).
pub fn tag_problems(name: &str, version: &str, tag: &str, latest: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if nodejs_semver::Range::parse(tag).is_ok() {
        out.push(format!(
            "{name}: dist-tag `{tag}` is a valid semver range; npm refuses such tags — pick a name like `next`"
        ));
        return out;
    }
    let Ok(v) = nodejs_semver::Version::parse(version) else {
        out.push(format!("{name}: version `{version}` is not valid semver"));
        return out;
    };
    if tag == "latest" {
        if v.is_prerelease() {
            out.push(format!(
                "{name}@{version} is a prerelease and would become `latest`; publish it with `--tag next` (or enter pre mode: `relay pre enter next`)"
            ));
        }
        if let Some(l) = latest.and_then(|l| nodejs_semver::Version::parse(l).ok())
            && v < l
            && !l.is_prerelease()
        {
            out.push(format!(
                "{name}@{version} is lower than the current `latest` {l}; publish it with another tag (`--tag <name>`)"
            ));
        }
    }
    out
}

/// Release id: stable for the same set of versions, tag and strategy, so a rerun finds the
/// journal of the interrupted run.
pub fn release_id(versions: &BTreeMap<String, String>, tag: &str, strategy: Strategy) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for (n, v) in versions {
        h.update(n.as_bytes());
        h.update(b"@");
        h.update(v.as_bytes());
        h.update(b"\n");
    }
    h.update(tag.as_bytes());
    h.update(format!("{strategy:?}").as_bytes());
    let hex = hex::encode(h.finalize());
    hex[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }
    fn e(from: &str, to: &str, kind: DepKind) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            kind,
        }
    }

    #[test]
    fn waves_follow_prod_peer_optional_not_dev() {
        let nodes = set(&["a", "b", "c", "d"]);
        let edges = [
            e("b", "a", DepKind::Prod),
            e("c", "b", DepKind::Peer),
            e("d", "c", DepKind::Dev),
            e("d", "a", DepKind::Optional),
        ];
        let (w, waits, warn) = waves(&nodes, &edges);
        assert_eq!(w, vec![vec!["a"], vec!["b", "d"], vec!["c"]]);
        assert_eq!(waits["c"], vec!["b"]);
        assert!(waits["a"].is_empty());
        assert!(warn.is_empty());
    }

    #[test]
    fn cycles_share_a_wave_with_a_warning() {
        let nodes = set(&["a", "b", "c"]);
        let edges = [
            e("a", "b", DepKind::Prod),
            e("b", "a", DepKind::Prod),
            e("c", "a", DepKind::Prod),
        ];
        let (w, waits, warn) = waves(&nodes, &edges);
        assert_eq!(w, vec![vec!["a", "b"], vec!["c"]]);
        assert!(waits["a"].is_empty());
        assert_eq!(warn.len(), 1);
        assert!(warn[0].contains("a, b"));
    }

    #[test]
    fn tag_rules() {
        assert!(!tag_problems("x", "1.0.0-beta.1", "latest", None).is_empty());
        assert!(tag_problems("x", "1.0.0-beta.1", "next", None).is_empty());
        assert!(!tag_problems("x", "1.0.0", "latest", Some("2.0.0")).is_empty());
        assert!(tag_problems("x", "2.0.1", "latest", Some("2.0.0")).is_empty());
        assert!(!tag_problems("x", "1.0.0", "^1", None).is_empty());
        assert_eq!(choose_tag(None, None, Some("beta")), "beta");
        assert_eq!(choose_tag(Some("x"), None, Some("beta")), "x");
        assert_eq!(choose_tag(None, None, None), "latest");
    }

    #[test]
    fn release_id_is_stable() {
        let v = BTreeMap::from([("a".to_string(), "1.0.0".to_string())]);
        assert_eq!(
            release_id(&v, "latest", Strategy::Direct),
            release_id(&v, "latest", Strategy::Direct)
        );
        assert_ne!(
            release_id(&v, "latest", Strategy::Direct),
            release_id(&v, "latest", Strategy::Promote)
        );
    }
}
