//! The publish plan: what is published, under which dist-tag, in which dependency waves.
//! Pure: built from plain values (release candidates, the registry facts read beforehand).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::workspace::Workspace;

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

/// (waves, what each package waits for, warnings).
pub type Waves = (Vec<Vec<String>>, BTreeMap<String, Vec<String>>, Vec<String>);

/// Dependency waves among `names`, from the workspace's publish graph ([`crate::graph`]: prod,
/// peer and optional edges; dev edges do not order). A cycle shares one wave, its members do
/// not wait for each other, and a warning names it.
pub fn waves(ws: &Workspace, names: &[String]) -> Waves {
    let g =
        crate::graph::PackageGraph::build(ws, crate::graph::GraphOptions::for_publishing(false));
    let w = crate::graph::waves_of(&g, names);
    let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let mut warnings = Vec::new();
    for c in &w.cycles {
        if c.len() > 1 {
            warnings.push(format!(
                "dependency cycle between {}: they are published in the same wave, without waiting for each other",
                c.join(", ")
            ));
        }
    }
    let mut waits = BTreeMap::new();
    for n in names {
        let cycle: Option<&Vec<String>> = w.cycles.iter().find(|c| c.contains(n));
        let mut deps: Vec<String> = g
            .dependencies(n)
            .into_iter()
            .map(|(d, _)| d)
            .filter(|d| wanted.contains(d) && *d != n.as_str())
            .filter(|d| !cycle.is_some_and(|c| c.iter().any(|x| x == d)))
            .map(String::from)
            .collect();
        deps.sort();
        deps.dedup();
        waits.insert(n.clone(), deps);
    }
    (w.waves, waits, warnings)
}

/// The order in which ready packages take an upload slot: those with the longest chain of
/// dependents in this release first (ties keep `order`). Each level of a chain costs an upload
/// and a visibility check, so starting the deep chains early keeps the slots busy to the end
/// instead of leaving the last levels to go one at a time.
pub fn critical_first(order: &[String], waits: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, deps) in waits {
        for d in deps {
            dependents.entry(d.as_str()).or_default().push(n.as_str());
        }
    }
    fn height<'a>(
        n: &'a str,
        dependents: &BTreeMap<&'a str, Vec<&'a str>>,
        memo: &mut BTreeMap<&'a str, usize>,
        open: &mut BTreeSet<&'a str>,
    ) -> usize {
        if let Some(h) = memo.get(n) {
            return *h;
        }
        // `waits` leaves cycles out, so this guard only protects against a malformed map.
        if !open.insert(n) {
            return 0;
        }
        let h = dependents
            .get(n)
            .map(|ds| {
                ds.iter()
                    .map(|d| 1 + height(d, dependents, memo, open))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        open.remove(n);
        memo.insert(n, h);
        h
    }
    let mut memo = BTreeMap::new();
    let mut open = BTreeSet::new();
    let heights: Vec<usize> = order
        .iter()
        .map(|n| height(n, &dependents, &mut memo, &mut open))
        .collect();
    let mut idx: Vec<usize> = (0..order.len()).collect();
    idx.sort_by_key(|&i| std::cmp::Reverse(heights[i]));
    idx.into_iter().map(|i| order[i].clone()).collect()
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

    #[test]
    fn deep_chains_go_first_and_ties_keep_the_plan_order() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // c0 <- c1 <- c2 is a chain; a, b, z are leaves; m <- z.
        let waits: BTreeMap<String, Vec<String>> = [
            ("a", vec![]),
            ("b", vec![]),
            ("c0", vec![]),
            ("c1", vec!["c0"]),
            ("c2", vec!["c1"]),
            ("m", vec![]),
            ("z", vec!["m"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), s(&v)))
        .collect();
        let order = s(&["a", "b", "c0", "m", "c1", "z", "c2"]);
        assert_eq!(
            critical_first(&order, &waits),
            s(&["c0", "m", "c1", "a", "b", "z", "c2"])
        );
        // A malformed map with a cycle still terminates.
        let cyclic: BTreeMap<String, Vec<String>> = [("x", vec!["y"]), ("y", vec!["x"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), s(&v)))
            .collect();
        assert_eq!(critical_first(&s(&["x", "y"]), &cyclic).len(), 2);
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
