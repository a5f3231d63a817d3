//! `Cargo.toml` edits for Cargo packages: `[package] version` and the `version` requirement of
//! path dependencies on released workspace crates, with `toml_edit` so comments, order and
//! formatting survive. Requirements follow the npm rules in spirit: rewritten when the new
//! version leaves them or the bump reaches `updateInternalDependencies`; the operator is kept.

use toml_edit::{DocumentMut, Item, Value};

use super::ranges::{ReleasedDep, RewriteRules};
use crate::changeset::BumpType;
use crate::plan::PlannedRelease;
use crate::workspace::Workspace;

const TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

fn level(b: BumpType) -> u8 {
    b as u8
}

/// The new requirement for `req` when `dep` is released, `None` to leave it.
fn rewritten_req(req: &str, dep: &ReleasedDep, rules: &RewriteRules) -> Option<String> {
    let parsed = semver::VersionReq::parse(req).ok()?;
    let new = semver::Version::parse(dep.new_version).ok()?;
    let in_range = parsed.matches(&new);
    if in_range && level(dep.bump) < level(rules.update_internal_dependencies) {
        return None;
    }
    if req.contains(',') || req.trim() == "*" {
        // Compound or wildcard requirements are left to the user, like npm's lossy cases
        // changesets rewrites; relay prefers not to narrow them.
        return (!in_range).then(|| dep.new_version.to_string());
    }
    let t = req.trim();
    let op = ["^", "~", "=", ">=", "<=", ">", "<"]
        .into_iter()
        .find(|op| t.starts_with(op))
        .unwrap_or("");
    if rules.snapshot {
        return Some(format!("={}", dep.new_version));
    }
    Some(format!("{op}{}", dep.new_version))
}

pub fn edit_cargo_toml(
    text: &str,
    release: &PlannedRelease,
    ws: &Workspace,
    released: &[(&PlannedRelease, ReleasedDep)],
    rules: &RewriteRules,
) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("invalid TOML: {e}"))?;
    let mut changed = false;
    if !release.new_version.is_empty()
        && let Some(v) = doc
            .get_mut("package")
            .and_then(|p| p.get_mut("version"))
            .and_then(Item::as_value_mut)
        && v.is_str()
        && v.as_str() != Some(release.new_version.as_str())
    {
        let decor = v.decor().clone();
        *v = Value::from(release.new_version.as_str());
        *v.decor_mut() = decor;
        changed = true;
    }
    for table in TABLES {
        let Some(deps) = doc.get_mut(table).and_then(Item::as_table_like_mut) else {
            continue;
        };
        for (key, item) in deps.iter_mut() {
            let Some(t) = item.as_table_like_mut() else {
                continue;
            };
            if t.get("path").is_none() {
                continue;
            }
            let target = t
                .get("package")
                .and_then(Item::as_str)
                .unwrap_or(key.get())
                .to_string();
            let Some((_, dep)) = released.iter().find(|(r, _)| r.name == target) else {
                continue;
            };
            if ws.get(&target).is_none() {
                continue;
            }
            let Some(req) = t.get("version").and_then(Item::as_str).map(str::to_string) else {
                continue;
            };
            if let Some(new) = rewritten_req(&req, dep, rules)
                && new != req
                && let Some(v) = t.get_mut("version").and_then(Item::as_value_mut)
            {
                let decor = v.decor().clone();
                *v = Value::from(new.as_str());
                *v.decor_mut() = decor;
                changed = true;
            }
        }
    }
    Ok(if changed {
        doc.to_string()
    } else {
        text.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_rewrites() {
        let rules = RewriteRules {
            update_internal_dependencies: BumpType::Patch,
            only_update_peer_dependents_when_out_of_range: false,
            bump_versions_with_workspace_protocol_only: false,
            snapshot: false,
        };
        let dep = ReleasedDep {
            bump: BumpType::Major,
            old_version: "1.0.0",
            new_version: "2.0.0",
            dir: "crates/a",
        };
        assert_eq!(
            rewritten_req("1.0.0", &dep, &rules).as_deref(),
            Some("2.0.0")
        );
        assert_eq!(rewritten_req("^1", &dep, &rules).as_deref(), Some("^2.0.0"));
        assert_eq!(
            rewritten_req("=1.0.0", &dep, &rules).as_deref(),
            Some("=2.0.0")
        );
        assert_eq!(rewritten_req("*", &dep, &rules), None);
    }
}
