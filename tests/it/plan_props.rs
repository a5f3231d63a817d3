//! Property tests on the release plan, over the seeded random monorepos of `plan_cases`.

use std::collections::HashMap;

use proptest::prelude::*;
use relay::changeset::{BumpType, PreMode};
use relay::graph::{GraphOptions, dependents_graph};
use relay::plan::semver::{posix_normalize, satisfies};
use relay::plan::{ReleasePlan, should_skip};
use relay::workspace::DepKind;

use crate::plan_cases::{Case, random_case};

fn plan_of(case: &Case) -> Option<ReleasePlan> {
    relay::plan::assemble(&case.inputs().input()).ok()
}

fn prerelease_tag(v: &str) -> Option<String> {
    let pre = v.split_once('-')?.1;
    Some(pre.split('.').next().unwrap_or("").to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// No package's version goes down. Excluded where changesets itself goes down on purpose:
    /// snapshots (`0.0.0-…`) and a pre tag that sorts before the package's current one.
    #[test]
    fn no_version_decreases(seed in any::<u64>()) {
        let case = random_case(seed);
        prop_assume!(case.snapshot.is_none());
        let Some(plan) = plan_of(&case) else { return Ok(()) };
        for r in &plan.releases {
            let own = case.packages.iter().find(|p| p.name == r.name).unwrap();
            let Some(own_v) = own.version.clone() else {
                prop_assert_eq!(r.bump, BumpType::None);
                continue;
            };
            if let (Some(pre), Some(tag)) = (&case.pre_state, prerelease_tag(&own_v))
                && pre.mode == PreMode::Pre && pre.tag < tag
            {
                continue;
            }
            let old = nodejs_semver::Version::parse(&own_v).unwrap();
            let new = nodejs_semver::Version::parse(&r.new_version).unwrap();
            prop_assert!(new >= old, "{}: {} -> {} (seed {seed})", r.name, own_v, r.new_version);
            if r.bump != BumpType::None {
                prop_assert!(new > old || r.old_version != own_v,
                    "{} released without a version change (seed {seed})", r.name);
            }
        }
    }

    /// Members of a fixed group that release all end on the same version. Not after a pre
    /// exit: changesets graduates `none`/absent packages to a patch after the group
    /// constraints ran, so a fixed group can split there (the oracle test pins that quirk).
    #[test]
    fn fixed_members_end_equal(seed in any::<u64>()) {
        let case = random_case(seed);
        prop_assume!(case.pre_state.as_ref().is_none_or(|p| p.mode == PreMode::Pre));
        let Some(plan) = plan_of(&case) else { return Ok(()) };
        for group in &case.config.fixed {
            let versions: Vec<&str> = plan.releases.iter()
                .filter(|r| group.contains(&r.name) && r.bump != BumpType::None)
                .map(|r| r.new_version.as_str())
                .collect();
            prop_assert!(versions.windows(2).all(|w| w[0] == w[1]),
                "fixed group {group:?} ends on {versions:?} (seed {seed})");
        }
    }

    /// Every non-dev internal dependency (a graph edge) of a non-skipped package whose range the
    /// dependency's new version leaves is covered: the dependent is itself released, so its
    /// range gets rewritten. changesets only guarantees this outside snapshots (decided on the
    /// calculated version) and before pre-exit graduations (added after the fixpoint).
    #[test]
    fn out_of_range_dependents_are_released(seed in any::<u64>()) {
        let case = random_case(seed);
        prop_assume!(case.snapshot.is_none());
        prop_assume!(case.pre_state.as_ref().is_none_or(|p| p.mode == PreMode::Pre));
        let inputs = case.inputs();
        let Ok(plan) = relay::plan::assemble(&inputs.input()) else { return Ok(()) };
        let ws = &inputs.workspace;
        let graph = dependents_graph(
            ws,
            GraphOptions::for_versioning(inputs.config.bump_versions_with_workspace_protocol_only),
        );
        let released: HashMap<&str, _> = plan.releases.iter().map(|r| (r.name.as_str(), r)).collect();
        for q in plan.releases.iter().filter(|r| r.bump != BumpType::None) {
            let q_pkg = ws.packages.iter().find(|p| p.name == q.name).unwrap();
            for d_name in &graph[&q.name] {
                let d = ws.packages.iter().find(|p| &p.name == d_name).unwrap();
                if should_skip(d, &inputs.config) {
                    continue;
                }
                for kind in [DepKind::Prod, DepKind::Peer, DepKind::Optional] {
                    let Some(dep) = d.deps_of(kind).find(|x| x.name == q.name) else { continue };
                    let range = match dep.range.strip_prefix("workspace:") {
                        None => dep.range.clone(),
                        Some("*") => q.old_version.clone(),
                        Some(p @ ("^" | "~")) => format!("{p}{}", q.old_version),
                        Some(rest) if relay::plan::semver::parse_range(rest).is_some() => rest.to_string(),
                        Some(rest) if posix_normalize(rest) == q_pkg.dir => q.old_version.clone(),
                        Some(_) => continue,
                    };
                    if dep.range.is_empty() || satisfies(&q.new_version, &range) {
                        continue;
                    }
                    let covered = released.get(d_name.as_str()).is_some_and(|r| r.bump != BumpType::None);
                    prop_assert!(covered,
                        "{d_name} lists {} as {:?} but is not released while {} leaves it (seed {seed})",
                        q.name, dep.range, q.new_version);
                }
            }
        }
    }
}
