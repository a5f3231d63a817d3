//! The package graph (petgraph): typed edges, dependents in changesets' order, publish waves.
//!
//! Pure: built from a [`Workspace`] value, no I/O.
//!
//! Edge rules for JS packages are those of changesets 3
//! (`get-dependents-graph/src/get-dependency-graph.ts`, reference/changesets.md §4.5): for a
//! package P and each table in the order `dependencies`, `devDependencies`, `peerDependencies`,
//! `optionalDependencies` (a later table overwrites an earlier one for the same key), a key naming
//! a workspace package Q at version `v` gives the edge P → Q when:
//! - devDependencies starting `link:`/`file:` are ignored (and all devDependencies when
//!   [`GraphOptions::ignore_dev_dependencies`]);
//! - `workspace:*`, `workspace:^`, `workspace:~` → edge; `workspace:<path>` whose posix-normalised
//!   path equals Q's directory relative to the root → edge; `workspace:<range>` → as `<range>`;
//!   any other `workspace:` spec → no edge and a "must depend on the current version" warning;
//! - with [`GraphOptions::bump_versions_with_workspace_protocol_only`], a non-`workspace:` spec →
//!   no edge (silently);
//! - a spec containing `:` (`npm:`, `catalog:`, `file:`...) → no edge, warning;
//! - a valid npm range → edge iff `v` satisfies it (prerelease versions excluded, as in
//!   `Range.test`), else warning; not a range (a dist-tag) → no edge, silently.
//!
//! The root package's own dependencies are walked (it can depend on packages) but it is never
//! listed as a dependent. An unnamed root can't be depended upon.
//!
//! Cargo packages: an entry counts when it (or the `[workspace.dependencies]` entry it inherits)
//! has a `path` pointing at a workspace crate's directory and its requirement (if any) matches
//! the crate's version (semver crate, Cargo semantics); a registry-only entry is a different
//! crate as far as Cargo is concerned, so it gives no edge. Edges never cross ecosystems.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::workspace::{DepKind, Ecosystem, Package, Workspace};

/// Which edges count (the two switches changesets passes to its graph builder).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Leave devDependencies (Cargo dev-dependencies) out: publish ordering and config checks.
    pub ignore_dev_dependencies: bool,
    /// changesets' `bumpVersionsWithWorkspaceProtocolOnly`: only `workspace:` specs make edges.
    pub bump_versions_with_workspace_protocol_only: bool,
}

impl GraphOptions {
    /// The graph `version`/`status` use (devDependencies included).
    pub fn for_versioning(bump_versions_with_workspace_protocol_only: bool) -> Self {
        GraphOptions {
            ignore_dev_dependencies: false,
            bump_versions_with_workspace_protocol_only,
        }
    }

    /// The graph publish ordering uses (devDependencies excluded).
    pub fn for_publishing(bump_versions_with_workspace_protocol_only: bool) -> Self {
        GraphOptions {
            ignore_dev_dependencies: true,
            bump_versions_with_workspace_protocol_only,
        }
    }
}

/// An edge dependent → dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Every table (after the option filters) that lists the dependency.
    pub kinds: BTreeSet<DepKind>,
    /// The spec that decided the edge, as written (for JS: the last table's).
    pub range: String,
}

/// A dependency that names a workspace package but does not accept its current version; the
/// message is the one changesets 3 prints (`Package a must depend on the current version of b:
/// 1.0.0 vs ^2.0.0`, `undefined` for a missing version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub dependent: String,
    pub dependency: String,
    /// The dependency's current version (empty when it has none).
    pub version: String,
    pub range: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let version = if self.version.is_empty() {
            "undefined"
        } else {
            &self.version
        };
        write!(
            f,
            "Package {} must depend on the current version of {}: {} vs {}",
            self.dependent, self.dependency, version, self.range
        )
    }
}

/// The package graph: one node per package (the root first, then the workspace order; an
/// unnamed root is left out), one edge per (dependent, dependency) pair that counts.
#[derive(Debug, Clone)]
pub struct PackageGraph {
    graph: DiGraph<String, Edge>,
    nodes: IndexMap<String, NodeIndex>,
    /// Whether each node is the root package (never a dependent).
    roots: Vec<bool>,
    mismatches: Vec<Mismatch>,
}

impl PackageGraph {
    pub fn build(ws: &Workspace, opts: GraphOptions) -> Self {
        let mut graph = DiGraph::new();
        let mut nodes = IndexMap::new();
        let mut roots = Vec::new();
        let mut by_name: HashMap<&str, &Package> = HashMap::new();
        // An unnamed root (allowed in a monorepo) can't be depended upon and is never a
        // dependent: it is left out rather than keyed by its display name, which a real package
        // may share.
        let members = || ws.all().filter(|p| !p.unnamed);
        for p in members() {
            let idx = graph.add_node(p.name.clone());
            by_name.insert(&p.name, p);
            nodes.insert(p.name.clone(), idx);
            roots.push(p.is_root);
        }
        let mut mismatches = Vec::new();
        for p in members() {
            let from = nodes[&p.name];
            let edges = match p.ecosystem {
                Ecosystem::Npm => npm_edges(p, &by_name, opts, &mut mismatches),
                Ecosystem::Cargo => cargo_edges(p, &by_name, opts, &mut mismatches),
            };
            for (dep, edge) in edges {
                let to = nodes[dep];
                graph.add_edge(from, to, edge);
            }
        }
        PackageGraph {
            graph,
            nodes,
            roots,
            mismatches,
        }
    }

    /// The underlying petgraph graph (node weight: package name; edge: dependent → dependency).
    pub fn graph(&self) -> &DiGraph<String, Edge> {
        &self.graph
    }

    pub fn node(&self, name: &str) -> Option<NodeIndex> {
        self.nodes.get(name).copied()
    }

    /// Package names in graph order (the root package first, then workspace order).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// Dependencies of a package that count, with their edge, in manifest order.
    pub fn dependencies(&self, name: &str) -> Vec<(&str, &Edge)> {
        let Some(idx) = self.node(name) else {
            return Vec::new();
        };
        let mut out: Vec<(NodeIndex, &Edge)> = self
            .graph
            .edges(idx)
            .map(|e| (petgraph::visit::EdgeRef::target(&e), e.weight()))
            .collect();
        // petgraph lists outgoing edges newest first.
        out.reverse();
        out.into_iter()
            .map(|(n, e)| (self.graph[n].as_str(), e))
            .collect()
    }

    /// Packages depending on `name`, in workspace order; the root package is never listed.
    pub fn dependents(&self, name: &str) -> Vec<&str> {
        let Some(idx) = self.node(name) else {
            return Vec::new();
        };
        let mut ds: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(idx, petgraph::Direction::Incoming)
            .filter(|n| !self.roots[n.index()])
            .collect();
        ds.sort();
        ds.dedup();
        ds.into_iter().map(|n| self.graph[n].as_str()).collect()
    }

    /// Dependencies that name a workspace package without accepting its version (changesets
    /// prints these as errors while building the graph and carries on).
    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }
}

/// changesets' `getDependentsGraph`: every package (the root first, then workspace order) →
/// the packages that depend on it, in workspace order.
pub fn dependents_graph(ws: &Workspace, opts: GraphOptions) -> IndexMap<String, Vec<String>> {
    let g = PackageGraph::build(ws, opts);
    g.names()
        .map(|n| {
            (
                n.to_string(),
                g.dependents(n).into_iter().map(str::to_string).collect(),
            )
        })
        .collect()
}

fn npm_edges<'w>(
    p: &Package,
    by_name: &HashMap<&str, &'w Package>,
    opts: GraphOptions,
    mismatches: &mut Vec<Mismatch>,
) -> Vec<(&'w str, Edge)> {
    // changesets' `getAllDependencies`: a Map keyed by manifest key, later tables overwrite the
    // range but keep the key's first position.
    let mut all: IndexMap<&str, (&str, BTreeSet<DepKind>)> = IndexMap::new();
    for kind in DepKind::NPM {
        for d in p.deps_of(kind) {
            if kind == DepKind::Dev
                && (opts.ignore_dev_dependencies
                    || d.range.starts_with("link:")
                    || d.range.starts_with("file:"))
            {
                continue;
            }
            let e = all.entry(&d.name).or_insert((&d.range, BTreeSet::new()));
            e.0 = &d.range;
            e.1.insert(kind);
        }
    }
    let mut out = Vec::new();
    for (key, (raw, kinds)) in all {
        let Some(q) = by_name.get(key).copied() else {
            continue;
        };
        if q.ecosystem != Ecosystem::Npm {
            continue;
        }
        let version = q.version.as_deref();
        let mismatch = || Mismatch {
            dependent: p.name.clone(),
            dependency: q.name.clone(),
            version: version.unwrap_or_default().to_string(),
            range: raw.to_string(),
        };
        let edge = || Edge {
            kinds: kinds.clone(),
            range: raw.to_string(),
        };
        let mut range = raw;
        if let Some(rest) = raw.strip_prefix("workspace:") {
            range = rest;
            if matches!(rest, "*" | "^" | "~")
                || crate::plan::semver::posix_normalize(rest) == q.dir
            {
                out.push((q.name.as_str(), edge()));
                continue;
            }
            if valid_npm_range(rest).is_none() {
                mismatches.push(mismatch());
                continue;
            }
        } else if opts.bump_versions_with_workspace_protocol_only {
            continue;
        }
        let parsed = valid_npm_range(range);
        let satisfied = parsed.as_ref().map(|r| npm_satisfies(r, version));
        if satisfied == Some(false) || range.contains(':') {
            mismatches.push(mismatch());
            continue;
        }
        if parsed.is_none() {
            // A dist-tag: whoever wrote it had a reason; not a local dependency.
            continue;
        }
        out.push((q.name.as_str(), edge()));
    }
    out
}

fn cargo_edges<'w>(
    p: &Package,
    by_name: &HashMap<&str, &'w Package>,
    opts: GraphOptions,
    mismatches: &mut Vec<Mismatch>,
) -> Vec<(&'w str, Edge)> {
    let mut all: IndexMap<&'w str, Edge> = IndexMap::new();
    for d in &p.dependencies {
        if opts.ignore_dev_dependencies && d.kind == DepKind::Dev {
            continue;
        }
        let Some(q) = by_name.get(d.target.as_str()).copied() else {
            continue;
        };
        if q.ecosystem != Ecosystem::Cargo || d.path.as_deref() != Some(q.dir.as_str()) {
            continue;
        }
        if !d.range.is_empty() {
            let ok = match (
                semver::VersionReq::parse(&d.range),
                q.version.as_deref().map(semver::Version::parse),
            ) {
                (Ok(req), Some(Ok(v))) => req.matches(&v),
                _ => false,
            };
            if !ok {
                mismatches.push(Mismatch {
                    dependent: p.name.clone(),
                    dependency: q.name.clone(),
                    version: q.version.clone().unwrap_or_default(),
                    range: d.range.clone(),
                });
                continue;
            }
        }
        let e = all.entry(q.name.as_str()).or_insert_with(|| Edge {
            kinds: BTreeSet::new(),
            range: d.range.clone(),
        });
        e.kinds.insert(d.kind);
    }
    all.into_iter().collect()
}

/// node-semver's `new Range(spec)` validity (a spec with `:` is a protocol, never a range).
/// Goes through `plan::semver`, which corrects nodejs-semver where it disagrees with
/// node-semver (checked against node-semver in `tests/it/plan_oracle.rs`).
fn valid_npm_range(spec: &str) -> Option<nodejs_semver::Range> {
    if spec.contains(':') {
        return None;
    }
    crate::plan::semver::parse_range(spec)
}

/// `Range.test(version)`: false for a missing or unparsable version; prereleases only match
/// ranges that name a prerelease of the same `major.minor.patch`.
fn npm_satisfies(range: &nodejs_semver::Range, version: Option<&str>) -> bool {
    version
        .and_then(|v| nodejs_semver::Version::parse(v.trim()).ok())
        .is_some_and(|v| range.satisfies(&v))
}

/// Publish order: `waves[0]` can be published first, every package after all its dependencies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waves {
    /// Topological layers (Kahn) over the given packages, each in workspace order. The members
    /// of a dependency cycle are published together in one wave.
    pub waves: Vec<Vec<String>>,
    /// Every dependency cycle (strongly connected component of more than one package, or a
    /// package depending on itself), each in workspace order: report them as a warning.
    pub cycles: Vec<Vec<String>>,
}

/// Publish waves for `names` with changesets' publish graph (prod, peer and optional
/// dependencies; Cargo build dependencies too; never dev), restricted to `names`.
pub fn publish_waves(ws: &Workspace, names: &[String]) -> Waves {
    publish_waves_with(ws, names, GraphOptions::for_publishing(false))
}

/// [`publish_waves`] with explicit options (e.g. `bumpVersionsWithWorkspaceProtocolOnly`).
/// Names not in the workspace have no edges (validate them first).
pub fn publish_waves_with(ws: &Workspace, names: &[String], opts: GraphOptions) -> Waves {
    let g = PackageGraph::build(ws, opts);
    waves_of(&g, names)
}

/// Kahn layers over the condensation of the subgraph induced by `names`.
pub fn waves_of(g: &PackageGraph, names: &[String]) -> Waves {
    // Sub-graph in workspace order (unknown names last, in the given order).
    let mut members: Vec<&str> = Vec::new();
    let wanted: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    members.extend(g.names().filter(|n| wanted.contains(n)));
    let known: std::collections::HashSet<&str> = members.iter().copied().collect();
    for n in names {
        if !known.contains(n.as_str()) && !members.contains(&n.as_str()) {
            members.push(n);
        }
    }
    let pos: HashMap<&str, usize> = members.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut sub: DiGraph<usize, ()> = DiGraph::new();
    let idx: Vec<NodeIndex> = (0..members.len()).map(|i| sub.add_node(i)).collect();
    let mut self_loops = vec![false; members.len()];
    for (i, n) in members.iter().enumerate() {
        for (dep, _) in g.dependencies(n) {
            if let Some(&j) = pos.get(dep) {
                if i == j {
                    self_loops[i] = true;
                } else {
                    // Edge dependency → dependent: the dependency's wave comes first.
                    sub.update_edge(idx[j], idx[i], ());
                }
            }
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&sub);
    let mut comp_of = vec![0usize; members.len()];
    let mut comps: Vec<Vec<usize>> = Vec::with_capacity(sccs.len());
    for (c, scc) in sccs.into_iter().enumerate() {
        let mut m: Vec<usize> = scc.into_iter().map(|n| sub[n]).collect();
        m.sort_unstable();
        for &i in &m {
            comp_of[i] = c;
        }
        comps.push(m);
    }
    let mut indeg = vec![0usize; comps.len()];
    let mut succ: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); comps.len()];
    for e in sub.raw_edges() {
        let (a, b) = (comp_of[sub[e.source()]], comp_of[sub[e.target()]]);
        if a != b && succ[a].insert(b) {
            indeg[b] += 1;
        }
    }
    let mut cycles: Vec<(usize, Vec<String>)> = comps
        .iter()
        .filter(|m| m.len() > 1 || self_loops[m[0]])
        .map(|m| (m[0], m.iter().map(|&i| members[i].to_string()).collect()))
        .collect();
    cycles.sort();
    let mut ready: Vec<usize> = (0..comps.len()).filter(|&c| indeg[c] == 0).collect();
    let mut waves = Vec::new();
    while !ready.is_empty() {
        let mut wave: Vec<usize> = ready.iter().flat_map(|&c| comps[c].clone()).collect();
        wave.sort_unstable();
        waves.push(wave.iter().map(|&i| members[i].to_string()).collect());
        let mut next = Vec::new();
        for &c in &ready {
            for &s in &succ[c] {
                indeg[s] -= 1;
                if indeg[s] == 0 {
                    next.push(s);
                }
            }
        }
        ready = next;
    }
    Waves {
        waves,
        cycles: cycles.into_iter().map(|(_, c)| c).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{Dependency, Tool};
    use std::path::PathBuf;

    fn pkg(name: &str, version: &str, deps: &[(&str, DepKind, &str)]) -> Package {
        Package {
            name: name.into(),
            version: (!version.is_empty()).then(|| version.to_string()),
            dir: format!("packages/{name}"),
            manifest_path: PathBuf::from(format!("/r/packages/{name}/package.json")),
            private: false,
            ecosystem: Ecosystem::Npm,
            is_root: false,
            unnamed: false,
            dependencies: deps
                .iter()
                .map(|(n, k, r)| Dependency::npm(n, n, *k, r))
                .collect(),
        }
    }

    fn ws(packages: Vec<Package>) -> Workspace {
        let mut root = pkg("root", "", &[]);
        root.dir = ".".into();
        root.is_root = true;
        root.dependencies = vec![Dependency::npm("a", "a", DepKind::Dev, "^1.0.0")];
        Workspace {
            root: PathBuf::from("/r"),
            tool: Tool::Pnpm,
            root_package: Some(root),
            packages,
            catalogs: Default::default(),
        }
    }

    use DepKind::*;

    fn deps(w: &Workspace, opts: GraphOptions) -> Vec<(String, Vec<String>)> {
        dependents_graph(w, opts).into_iter().collect()
    }

    #[test]
    fn changesets_edge_rules() {
        let w = ws(vec![
            pkg("a", "1.0.0", &[]),
            pkg(
                "b",
                "1.0.0",
                &[
                    ("a", Prod, "workspace:*"),
                    ("c", Prod, "^2.0.0"),
                    ("d", Prod, "npm:d@^1"),
                    ("e", Prod, "latest"),
                ],
            ),
            pkg("c", "1.0.0", &[("a", Dev, "file:../a")]),
            pkg("d", "1.0.0", &[("a", Prod, "workspace:packages/a")]),
            pkg(
                "e",
                "1.0.0",
                &[("a", Peer, "workspace:../a"), ("b", Prod, "catalog:")],
            ),
            pkg("f", "1.1.0-beta.0", &[("a", Prod, "workspace:>=1 <2")]),
            pkg("g", "1.0.0", &[("f", Prod, "^1.0.0"), ("a", Dev, "^1")]),
        ]);
        let g = deps(&w, GraphOptions::default());
        assert_eq!(
            g,
            vec![
                ("root".to_string(), vec![]),
                (
                    "a".into(),
                    vec!["b".into(), "d".into(), "f".into(), "g".into()]
                ),
                ("b".into(), vec![]),
                ("c".into(), vec![]),
                ("d".into(), vec![]),
                ("e".into(), vec![]),
                ("f".into(), vec![]),
                ("g".into(), vec![]),
            ]
        );
        let pg = PackageGraph::build(&w, GraphOptions::default());
        let ms: Vec<String> = pg.mismatches().iter().map(|m| m.to_string()).collect();
        assert_eq!(
            ms,
            [
                "Package b must depend on the current version of c: 1.0.0 vs ^2.0.0",
                "Package b must depend on the current version of d: 1.0.0 vs npm:d@^1",
                "Package e must depend on the current version of b: 1.0.0 vs catalog:",
                "Package e must depend on the current version of a: 1.0.0 vs workspace:../a",
                "Package g must depend on the current version of f: 1.1.0-beta.0 vs ^1.0.0",
            ]
        );
        // Dev dependencies are left out of the publish graph; root deps never make it a dependent.
        let g = deps(&w, GraphOptions::for_publishing(false));
        assert_eq!(g[1].1, vec!["b", "d", "f"]);
        // Only `workspace:` specs count.
        let g = deps(&w, GraphOptions::for_versioning(true));
        assert_eq!(g[1].1, vec!["b", "d", "f"]);
        assert_eq!(
            pg.dependencies("b")[0],
            (
                "a",
                &Edge {
                    kinds: [Prod].into(),
                    range: "workspace:*".into()
                }
            )
        );
    }

    #[test]
    fn later_tables_overwrite_the_range() {
        // dependencies says ^2 (no match) but peerDependencies says ^1: the peer range decides.
        let w = ws(vec![
            pkg("a", "1.0.0", &[]),
            pkg(
                "b",
                "1.0.0",
                &[("a", Prod, "^2.0.0"), ("a", Peer, "^1.0.0")],
            ),
        ]);
        let pg = PackageGraph::build(&w, GraphOptions::default());
        assert_eq!(pg.dependents("a"), ["b"]);
        assert_eq!(pg.dependencies("b")[0].1.kinds, [Prod, Peer].into());
        assert!(pg.mismatches().is_empty());
    }

    #[test]
    fn missing_version_never_satisfies_a_range() {
        let w = ws(vec![
            pkg("a", "", &[]),
            pkg("b", "1.0.0", &[("a", Prod, "*")]),
            pkg("c", "1.0.0", &[("a", Prod, "workspace:^")]),
        ]);
        assert_eq!(
            PackageGraph::build(&w, GraphOptions::default()).dependents("a"),
            ["c"]
        );
    }

    #[test]
    fn npm_range_semantics() {
        let r = |s: &str| valid_npm_range(s).expect(s);
        assert!(npm_satisfies(&r(""), Some("1.0.0")));
        assert!(npm_satisfies(&r("*"), Some("0.0.1")));
        assert!(!npm_satisfies(&r("*"), Some("1.0.0-beta.1")));
        assert!(npm_satisfies(&r("^1.2.3 || >=2"), Some("3.0.0")));
        assert!(npm_satisfies(&r("1.2.3 - 1.4"), Some("1.4.9")));
        assert!(npm_satisfies(&r("1.x"), Some("1.9.0")));
        assert!(npm_satisfies(&r(">=1.1.0-beta.0"), Some("1.1.0-beta.1")));
        assert!(!npm_satisfies(&r("^1.0.0"), Some("1.2")));
        assert!(!npm_satisfies(&r("^1.0.0"), None));
        assert!(valid_npm_range("latest").is_none());
        assert!(valid_npm_range("npm:x@1").is_none());
    }

    #[test]
    fn node_posix_normalize() {
        assert_eq!(
            crate::plan::semver::posix_normalize("./packages/a"),
            "packages/a"
        );
        assert_eq!(
            crate::plan::semver::posix_normalize("packages/a/"),
            "packages/a/"
        );
        assert_eq!(crate::plan::semver::posix_normalize(""), ".");
        assert_eq!(crate::plan::semver::posix_normalize("../a"), "../a");
        assert_eq!(crate::plan::semver::posix_normalize("a/../../b"), "../b");
    }

    #[test]
    fn waves_and_cycles() {
        let w = ws(vec![
            pkg("a", "1.0.0", &[]),
            pkg("b", "1.0.0", &[("a", Prod, "^1"), ("c", Prod, "^1")]),
            pkg("c", "1.0.0", &[("b", Peer, "^1")]),
            pkg("d", "1.0.0", &[("c", Optional, "^1"), ("e", Dev, "^1")]),
            pkg("e", "1.0.0", &[("d", Prod, "^1")]),
        ]);
        let names: Vec<String> = ["e", "d", "c", "b", "a"].map(String::from).to_vec();
        let waves = publish_waves(&w, &names);
        assert_eq!(
            waves.waves,
            vec![
                vec!["a".to_string()],
                vec!["b".into(), "c".into()],
                vec!["d".into()],
                vec!["e".into()]
            ]
        );
        assert_eq!(waves.cycles, vec![vec!["b".to_string(), "c".into()]]);
        // Restricting to a subset drops edges to packages outside it.
        let waves = publish_waves(&w, &["e".into(), "a".into()]);
        assert_eq!(waves.waves, vec![vec!["a".to_string(), "e".into()]]);
    }
}
