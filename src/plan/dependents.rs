//! The dependents graph changesets uses for `version` and `status`
//! (`@changesets/get-dependents-graph`, devDependencies included).

use indexmap::IndexMap;

use super::semver::{parse_range, posix_normalize, satisfies};
use crate::workspace::{DepKind, Package, Workspace};

/// A manifest's internal-looking dependencies as changesets sees them: every npm table in the
/// order `dependencies`, `devDependencies`, `peerDependencies`, `optionalDependencies`; a later
/// table overwrites the spec of an earlier one (keeping the first position); `link:`/`file:`
/// devDependencies are left out.
fn all_dependencies(pkg: &Package) -> IndexMap<&str, &str> {
    let mut all = IndexMap::new();
    for kind in DepKind::NPM {
        for dep in pkg.deps_of(kind) {
            if kind == DepKind::Dev
                && (dep.range.starts_with("link:") || dep.range.starts_with("file:"))
            {
                continue;
            }
            all.insert(dep.name.as_str(), dep.range.as_str());
        }
    }
    all
}

/// Why a dependency on a workspace package is not an edge (changesets prints these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphWarning {
    pub package: String,
    pub dependency: String,
    pub expected: String,
    pub spec: String,
}

impl std::fmt::Display for GraphWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Package {} must depend on the current version of {}: {} vs {}",
            self.package, self.dependency, self.expected, self.spec
        )
    }
}

/// Dependents of every package (root included as a key), each list in workspace order.
pub struct DependentsGraph {
    pub dependents: IndexMap<String, Vec<String>>,
    pub warnings: Vec<GraphWarning>,
}

pub fn dependents_graph(ws: &Workspace, workspace_protocol_only: bool) -> DependentsGraph {
    let mut dependents: IndexMap<String, Vec<String>> = IndexMap::new();
    let mut warnings = Vec::new();
    // Name → (version, dir relative to the root); the root package's dir is ".".
    let mut known: IndexMap<&str, (Option<&str>, String)> = IndexMap::new();
    if let Some(root) = &ws.root_package {
        known.insert(&root.name, (root.version.as_deref(), ".".to_string()));
        dependents.insert(root.name.clone(), Vec::new());
    }
    let packages = super::plan_packages(ws);
    for p in packages {
        known.insert(&p.name, (p.version.as_deref(), p.dir.clone()));
        dependents.insert(p.name.clone(), Vec::new());
    }
    // Only workspace packages are dependents; the root's own dependencies are not walked.
    for pkg in packages {
        for (dep_name, raw) in all_dependencies(pkg) {
            let Some((version, dir)) = known.get(dep_name) else {
                continue;
            };
            let expected = version.unwrap_or("");
            let warn = |warnings: &mut Vec<GraphWarning>| {
                warnings.push(GraphWarning {
                    package: pkg.name.clone(),
                    dependency: dep_name.to_string(),
                    expected: expected.to_string(),
                    spec: raw.to_string(),
                })
            };
            let mut range = raw;
            if let Some(rest) = raw.strip_prefix("workspace:") {
                range = rest;
                if matches!(rest, "*" | "^" | "~") || posix_normalize(rest) == *dir {
                    push_dependent(&mut dependents, dep_name, &pkg.name);
                    continue;
                }
                if rest.contains(':') || parse_range(rest).is_none() {
                    warn(&mut warnings);
                    continue;
                }
            } else if workspace_protocol_only {
                continue;
            }
            let is_protocol = range.contains(':');
            let valid = !is_protocol && parse_range(range).is_some();
            if (valid && !version.is_some_and(|v| satisfies(v, range))) || is_protocol {
                warn(&mut warnings);
                continue;
            }
            if !valid {
                continue;
            }
            push_dependent(&mut dependents, dep_name, &pkg.name);
        }
    }
    DependentsGraph {
        dependents,
        warnings,
    }
}

fn push_dependent(map: &mut IndexMap<String, Vec<String>>, dependency: &str, dependent: &str) {
    if let Some(list) = map.get_mut(dependency) {
        list.push(dependent.to_string());
    }
}
