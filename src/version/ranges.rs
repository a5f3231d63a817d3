//! node-semver semantics that range rewriting depends on (`validRange`, `satisfies`,
//! `new Range(r).range === ""`, `prerelease`), and changesets' rewrite decisions
//! (`apply-release-plan/src/utils.ts` `shouldUpdateDependencyBasedOnConfig`,
//! `version-package.ts` `getDependencyVersionEdits`).

use nodejs_semver::{Range, Version};

use crate::changeset::BumpType;
use crate::workspace::DepKind;

/// node-semver's `validRange(r)` (strict mode): `Some` when `r` parses as a range.
///
/// `nodejs-semver` falls back to a loose parser that accepts things node-semver rejects
/// (`^1.0.0 foo`, `01.0.0`), so every comparator is first checked against node-semver's
/// strict grammar.
pub fn valid_range(r: &str) -> Option<Range> {
    if !strict_grammar(r) {
        return None;
    }
    Range::parse(r).ok()
}

/// `semver.satisfies(version, range)`: false when either does not parse.
pub fn satisfies(version: &str, range: &str) -> bool {
    let Ok(v) = Version::parse(version) else {
        return false;
    };
    match valid_range(range) {
        Some(r) => v.satisfies(&r),
        None => false,
    }
}

/// `semver.prerelease(v) != null`.
pub fn is_prerelease(version: &str) -> bool {
    Version::parse(version).is_ok_and(|v| v.is_prerelease())
}

/// `new Range(r).range === ""`: the range matches any version (`*`, `x`, ``, `>=0.0.0`, or a
/// `||` alternative that is one of those).
pub fn matches_anything(range: &Range) -> bool {
    range
        .to_string()
        .split("||")
        .any(|part| part == "*" || part == ">=0.0.0")
}

/// The part of node-semver's strict grammar that decides validity.
fn strict_grammar(r: &str) -> bool {
    r.split("||").all(|set| {
        let set = set.trim();
        if set.is_empty() {
            return true;
        }
        // Hyphen range `A - B`.
        if let Some((a, b)) = set.split_once(" - ") {
            return partial_version(a.trim()) && partial_version(b.trim());
        }
        // node-semver glues operators to their versions (`>= 1.0.0` → `>=1.0.0`).
        let mut tokens: Vec<String> = Vec::new();
        let mut pending_op = String::new();
        for tok in set.split_whitespace() {
            if !tok.is_empty()
                && tok
                    .chars()
                    .all(|c| matches!(c, '<' | '>' | '=' | '~' | '^'))
            {
                pending_op.push_str(tok);
                continue;
            }
            tokens.push(format!("{pending_op}{tok}"));
            pending_op.clear();
        }
        if !pending_op.is_empty() {
            return false;
        }
        tokens.iter().all(|t| comparator(t))
    })
}

fn comparator(tok: &str) -> bool {
    let ops = ["~>", "<=", ">=", "<", ">", "=", "~", "^"];
    let mut rest = tok;
    for op in ops {
        if let Some(r) = rest.strip_prefix(op) {
            rest = r;
            break;
        }
    }
    let rest = rest.trim_start_matches('=');
    partial_version(rest)
}

/// `v?X(.X(.X(-pre)?(+build)?)?)?` with X = `x`, `X`, `*` or a number without leading zero.
fn partial_version(s: &str) -> bool {
    let s = s.strip_prefix('v').unwrap_or(s);
    let s = s.strip_prefix('=').unwrap_or(s);
    let (main, build) = match s.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return false;
    }
    let xr = |p: &str| {
        matches!(p, "x" | "X" | "*")
            || (!p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0')))
    };
    if !parts.iter().all(|p| xr(p)) {
        return false;
    }
    if (pre.is_some() || build.is_some()) && parts.len() != 3 {
        return false;
    }
    let ident_ok = |ids: &str, numeric_rule: bool| {
        ids.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (!numeric_rule
                    || !id.bytes().all(|b| b.is_ascii_digit())
                    || id == "0"
                    || !id.starts_with('0'))
        })
    };
    pre.is_none_or(|p| ident_ok(p, true)) && build.is_none_or(|b| ident_ok(b, false))
}

fn level(t: BumpType) -> u8 {
    match t {
        BumpType::None => 0,
        BumpType::Patch => 1,
        BumpType::Minor => 2,
        BumpType::Major => 3,
    }
}

/// What the rewrite decision needs to know about the released dependency.
#[derive(Debug, Clone, Copy)]
pub struct ReleasedDep<'a> {
    pub bump: BumpType,
    pub old_version: &'a str,
    pub new_version: &'a str,
    /// Its directory relative to the repository root, forward slashes (`packages/a`).
    pub dir: &'a str,
}

/// The configuration knobs of the decision.
#[derive(Debug, Clone, Copy)]
pub struct RewriteRules {
    pub update_internal_dependencies: BumpType,
    pub only_update_peer_dependents_when_out_of_range: bool,
    pub bump_versions_with_workspace_protocol_only: bool,
    pub snapshot: bool,
}

/// `shouldUpdateDependencyBasedOnConfig`: is this dependency spec due for an update?
pub fn should_update(dep: &ReleasedDep, spec: &str, kind: DepKind, rules: &RewriteRules) -> bool {
    // A versionless skipped package has no `newVersion` in changesets' plan.
    if dep.new_version.is_empty() {
        return false;
    }
    let mut range = spec.to_string();
    if let Some(rest) = spec.strip_prefix("workspace:") {
        match rest {
            "*" => return true,
            "^" | "~" => range = format!("{rest}{}", dep.old_version),
            _ => {
                if valid_range(rest).is_none() {
                    return crate::plan::semver::posix_normalize(rest) == dep.dir;
                }
                range = rest.to_string();
            }
        }
    }
    if !satisfies(dep.new_version, &range) {
        return true;
    }
    if kind == DepKind::Peer {
        return !rules.only_update_peer_dependents_when_out_of_range;
    }
    level(dep.bump) >= level(rules.update_internal_dependencies)
}

/// `getDependencyVersionEdits` for one (table, dependency) pair: the new spec, or `None` when
/// changesets leaves the spec alone.
pub fn rewritten_spec(
    dep: &ReleasedDep,
    spec: &str,
    kind: DepKind,
    rules: &RewriteRules,
) -> Option<String> {
    if spec.is_empty() || spec.starts_with("file:") || spec.starts_with("link:") {
        return None;
    }
    if !should_update(dep, spec, kind, rules) {
        return None;
    }
    let workspace = spec.strip_prefix("workspace:");
    let range_text = match workspace {
        None => {
            if rules.bump_versions_with_workspace_protocol_only || valid_range(spec).is_none() {
                return None;
            }
            spec
        }
        Some(rest) => {
            // `workspace:*|^|~|<path>` are resolved by the package manager at publish time.
            if matches!(rest, "*" | "^" | "~") || valid_range(rest).is_none() {
                return None;
            }
            rest
        }
    };
    let parsed = valid_range(range_text)?;
    if matches_anything(&parsed) && !is_prerelease(dep.new_version) {
        return None;
    }
    let mut new = if rules.snapshot {
        dep.new_version.to_string()
    } else {
        new_dependency_range(range_text, dep)
    };
    if workspace.is_some() {
        new = format!("workspace:{new}");
    }
    Some(new)
}

/// `getNewDependencyRange` (changesets 3.0.3): a bounded `>=a <b` keeps its upper bound while
/// the new version satisfies it (else `<inc(new)`), otherwise prefix + new version.
fn new_dependency_range(range: &str, dep: &ReleasedDep) -> String {
    if range.contains('>')
        && range.contains('<')
        && !range.contains("||")
        && let Some(comps) = node_comparators(range)
        && comps.len() == 2
    {
        let lower = comps.iter().position(|c| c.starts_with('>'));
        let upper = comps.iter().position(|c| c.starts_with('<'));
        if let (Some(lo), Some(up)) = (lower, upper) {
            let mut new_upper = comps[up].clone();
            if !satisfies(dep.new_version, &new_upper) {
                let inc = crate::plan::semver::inc(dep.new_version, dep.bump).unwrap_or_default();
                new_upper = format!("<{inc}");
            }
            return if lo == 0 {
                format!(">={} {new_upper}", dep.new_version)
            } else {
                format!("{new_upper} >={}", dep.new_version)
            };
        }
    }
    format!("{}{}", range_prefix(range), dep.new_version)
}

/// node-semver's comparators for one comparator set made of primitive comparators (`<`, `<=`,
/// `>`, `>=`, `=`, bare, with x-ranges), after its x-range desugaring, `>=0.0.0` removal and
/// de-duplication. `None` for shapes this does not model (carets, tildes, hyphens).
fn node_comparators(set: &str) -> Option<Vec<String>> {
    let mut tokens: Vec<String> = Vec::new();
    let mut pending = String::new();
    for tok in set.split_whitespace() {
        if tok.chars().all(|c| matches!(c, '<' | '>' | '=')) {
            pending.push_str(tok);
            continue;
        }
        tokens.push(format!("{pending}{tok}"));
        pending.clear();
    }
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        let (op, rest) = ["<=", ">=", "<", ">", "="]
            .into_iter()
            .find_map(|op| t.strip_prefix(op).map(|r| (op, r)))
            .unwrap_or(("", t.as_str()));
        let rest = rest.trim_start_matches('=');
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        if rest.starts_with(['^', '~']) || rest.contains(' ') {
            return None;
        }
        let (core, suffix) = match rest.find(['-', '+']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let parts: Vec<&str> = core.split('.').collect();
        let num = |i: usize| -> Option<u64> {
            parts
                .get(i)
                .filter(|p| !matches!(**p, "x" | "X" | "*"))
                .and_then(|p| p.parse().ok())
        };
        let (maj, min, pat) = (num(0), num(1), num(2));
        let comps: Vec<String> = match (maj, min, pat) {
            (Some(m), Some(n), Some(p)) => {
                let op = if op == "=" { "" } else { op };
                // The build part is dropped by node-semver's Comparator.
                let pre = suffix.split('+').next().unwrap_or("");
                vec![format!("{op}{m}.{n}.{p}{pre}")]
            }
            (None, _, _) => match op {
                ">" | "<" => vec!["<0.0.0-0".into()],
                _ => vec![],
            },
            (Some(m), n, _) => {
                let x_minor = n.is_none();
                let n = n.unwrap_or(0);
                match op {
                    "" | "=" => {
                        if x_minor {
                            vec![format!(">={m}.0.0"), format!("<{}.0.0-0", m + 1)]
                        } else {
                            vec![format!(">={m}.{n}.0"), format!("<{m}.{}.0-0", n + 1)]
                        }
                    }
                    ">" => {
                        if x_minor {
                            vec![format!(">={}.0.0", m + 1)]
                        } else {
                            vec![format!(">={m}.{}.0", n + 1)]
                        }
                    }
                    ">=" => vec![format!(">={m}.{n}.0")],
                    "<" => vec![format!("<{m}.{n}.0-0")],
                    "<=" => {
                        if x_minor {
                            vec![format!("<{}.0.0-0", m + 1)]
                        } else {
                            vec![format!("<{m}.{}.0-0", n + 1)]
                        }
                    }
                    _ => return None,
                }
            }
        };
        for c in comps {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    if out.len() > 1 {
        out.retain(|c| c != ">=0.0.0");
    }
    Some(out)
}

/// `getVersionRangeType`.
fn range_prefix(r: &str) -> &'static str {
    if r.starts_with('^') {
        "^"
    } else if r.starts_with('~') {
        "~"
    } else if r.starts_with(">=") {
        ">="
    } else if r.starts_with("<=") {
        "<="
    } else if r.starts_with('>') {
        ">"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RewriteRules {
        RewriteRules {
            update_internal_dependencies: BumpType::Patch,
            only_update_peer_dependents_when_out_of_range: false,
            bump_versions_with_workspace_protocol_only: false,
            snapshot: false,
        }
    }

    fn dep<'a>(bump: BumpType, old: &'a str, new: &'a str) -> ReleasedDep<'a> {
        ReleasedDep {
            bump,
            old_version: old,
            new_version: new,
            dir: "packages/a",
        }
    }

    #[test]
    fn strictness_matches_node_semver() {
        assert!(valid_range("^1.0.0").is_some());
        assert!(valid_range(">= 1.0.0 < 2").is_some());
        assert!(valid_range("1.0.0 - 2.0.0").is_some());
        assert!(valid_range("").is_some());
        assert!(valid_range("~> 1.0").is_some());
        assert!(valid_range("latest").is_none());
        assert!(valid_range("^1.0.0 foo").is_none());
        assert!(valid_range("01.0.0").is_none());
        assert!(valid_range("packages/a").is_none());
    }

    #[test]
    fn anything_ranges() {
        for r in ["*", "x", "", ">=0.0.0", ">=0", "* || ^1"] {
            assert!(matches_anything(&valid_range(r).unwrap()), "{r}");
        }
        for r in ["^1", "0.x", "^0.0.0"] {
            assert!(!matches_anything(&valid_range(r).unwrap()), "{r}");
        }
    }

    #[test]
    fn rewrite_rules() {
        let r = rules();
        let major = dep(BumpType::Major, "1.0.0", "2.0.0");
        let patch = dep(BumpType::Patch, "1.0.0", "1.0.1");
        let p = DepKind::Prod;
        assert_eq!(
            rewritten_spec(&major, "^1.0.0", p, &r).as_deref(),
            Some("^2.0.0")
        );
        assert_eq!(
            rewritten_spec(&major, ">=1 <2", p, &r).as_deref(),
            Some(">=2.0.0 <3.0.0")
        );
        assert_eq!(
            rewritten_spec(&patch, ">=1.0.0 <2.0.0", p, &r).as_deref(),
            Some(">=1.0.1 <2.0.0")
        );
        assert_eq!(
            rewritten_spec(&major, "<2 >=1", p, &r).as_deref(),
            Some("<3.0.0 >=2.0.0")
        );
        assert_eq!(
            rewritten_spec(&major, "1.x", p, &r).as_deref(),
            Some("2.0.0")
        );
        assert_eq!(rewritten_spec(&major, "*", p, &r), None);
        assert_eq!(rewritten_spec(&major, "workspace:*", p, &r), None);
        assert_eq!(rewritten_spec(&major, "workspace:^", p, &r), None);
        assert_eq!(rewritten_spec(&major, "workspace:packages/a", p, &r), None);
        assert_eq!(
            rewritten_spec(&patch, "workspace:^1.0.0", p, &r).as_deref(),
            Some("workspace:^1.0.1")
        );
        assert_eq!(rewritten_spec(&major, "file:../a", p, &r), None);
        assert_eq!(rewritten_spec(&major, "latest", p, &r), None);
        let minor_only = RewriteRules {
            update_internal_dependencies: BumpType::Minor,
            ..r
        };
        assert_eq!(rewritten_spec(&patch, "^1.0.0", p, &minor_only), None);
        let pre = dep(BumpType::Minor, "1.0.0", "1.1.0-beta.0");
        assert_eq!(
            rewritten_spec(&pre, "*", p, &r).as_deref(),
            Some("1.1.0-beta.0")
        );
        let snap = RewriteRules {
            snapshot: true,
            ..r
        };
        assert_eq!(
            rewritten_spec(&major, "^1.0.0", p, &snap).as_deref(),
            Some("2.0.0")
        );
    }

    #[test]
    fn normalize() {
        assert_eq!(
            crate::plan::semver::posix_normalize("./packages//a/"),
            "packages/a/"
        );
        assert_eq!(
            crate::plan::semver::posix_normalize("packages/b/../a"),
            "packages/a"
        );
        assert_eq!(crate::plan::semver::posix_normalize("../a"), "../a");
    }
}
