//! Property tests of publish waves over random workspaces (cyclic ones included).

use std::collections::HashMap;
use std::path::PathBuf;

use proptest::prelude::*;
use relay::graph::{GraphOptions, PackageGraph, publish_waves};
use relay::workspace::{DepKind, Dependency, Ecosystem, Package, Tool, Workspace};

fn workspace(n: usize, edges: &[(usize, usize, u8)]) -> Workspace {
    let kinds = [
        DepKind::Prod,
        DepKind::Dev,
        DepKind::Peer,
        DepKind::Optional,
    ];
    let packages = (0..n)
        .map(|i| Package {
            name: format!("p{i:02}"),
            version: Some("1.0.0".into()),
            dir: format!("packages/p{i:02}"),
            manifest_path: PathBuf::from(format!("/r/packages/p{i:02}/package.json")),
            private: false,
            ecosystem: Ecosystem::Npm,
            is_root: false,
            unnamed: false,
            dependencies: edges
                .iter()
                .filter(|(from, _, _)| *from == i)
                .map(|(_, to, k)| {
                    let name = format!("p{to:02}");
                    Dependency::npm(&name, &name, kinds[*k as usize % 4], "^1.0.0")
                })
                .collect(),
        })
        .collect();
    Workspace {
        root: PathBuf::from("/r"),
        tool: Tool::Pnpm,
        root_package: None,
        packages,
        catalogs: Default::default(),
    }
}

fn arb() -> impl Strategy<Value = (usize, Vec<(usize, usize, u8)>, Vec<bool>)> {
    (1usize..24).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec((0..n, 0..n, 0u8..4), 0..n * 3),
            proptest::collection::vec(any::<bool>(), n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn waves_respect_edges_and_cover_each_package_once((n, edges, keep) in arb()) {
        let ws = workspace(n, &edges);
        let names: Vec<String> = (0..n).filter(|i| keep[*i]).map(|i| format!("p{i:02}")).collect();
        let waves = publish_waves(&ws, &names);

        // Every requested package exactly once.
        let mut wave_of: HashMap<&str, usize> = HashMap::new();
        for (w, wave) in waves.waves.iter().enumerate() {
            prop_assert!(!wave.is_empty());
            for p in wave {
                prop_assert!(wave_of.insert(p.as_str(), w).is_none(), "{p} twice");
            }
        }
        prop_assert_eq!(wave_of.len(), names.len());

        // Members of a cycle share a wave.
        let mut cycle_of: HashMap<&str, usize> = HashMap::new();
        for (c, cycle) in waves.cycles.iter().enumerate() {
            let w = wave_of[cycle[0].as_str()];
            for p in cycle {
                prop_assert_eq!(wave_of[p.as_str()], w);
                cycle_of.insert(p.as_str(), c);
            }
        }

        // Every publish edge between requested packages: dependency strictly earlier, unless
        // both sit in the same cycle.
        let g = PackageGraph::build(&ws, GraphOptions::for_publishing(false));
        for name in &names {
            for (dep, edge) in g.dependencies(name) {
                prop_assert!(!edge.kinds.contains(&DepKind::Dev) || edge.kinds.len() > 1);
                let Some(&wd) = wave_of.get(dep) else { continue };
                let wn = wave_of[name.as_str()];
                let same_cycle = cycle_of.contains_key(dep) && cycle_of.get(dep) == cycle_of.get(name.as_str());
                if same_cycle {
                    prop_assert_eq!(wd, wn);
                } else {
                    prop_assert!(wd < wn, "{} (wave {}) depends on {} (wave {})", name, wn, dep, wd);
                }
            }
        }

        // Waves are as early as possible: every package after the first wave has a reason.
        for (w, wave) in waves.waves.iter().enumerate().skip(1) {
            for p in wave {
                let has_dep_in_previous = g.dependencies(p).iter().any(|(d, _)| wave_of.get(d) == Some(&(w - 1)));
                let in_cycle_with_reason = cycle_of.get(p.as_str()).is_some_and(|c| {
                    waves.cycles[*c].iter().any(|m| g.dependencies(m).iter().any(|(d, _)| wave_of.get(d) == Some(&(w - 1))))
                });
                prop_assert!(has_dep_in_previous || in_cycle_with_reason, "{} could be earlier", p);
            }
        }
    }

    #[test]
    fn dev_dependencies_never_order_publishing((n, edges, _keep) in arb()) {
        let ws = workspace(n, &edges);
        let without_dev: Vec<_> = edges.iter().copied().filter(|(_, _, k)| k % 4 != 1).collect();
        let names: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
        prop_assert_eq!(publish_waves(&ws, &names), publish_waves(&workspace(n, &without_dev), &names));
    }
}
