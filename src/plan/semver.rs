//! The few node-semver operations the plan needs, with node-semver's answers for bad input
//! (`satisfies` on an invalid range is `false`, `inc` on an invalid version is `None`).

use nodejs_semver::{Identifier, Range, Version};

use crate::changeset::BumpType;

/// `new Range(r)` in node-semver (`validRange(r) != null`), and the parsed range.
/// nodejs-semver is more lenient in two spots, corrected here: an alternative that ends in a
/// bare operator (`1.2.3 ^`, `1.2.3 -`) is invalid, and an empty `||` alternative
/// (`^1.0.0 ||`) makes the whole range `*`.
pub fn parse_range(range: &str) -> Option<Range> {
    let parts: Vec<&str> = range.split("||").map(str::trim).collect();
    let dangling = |p: &str| {
        p.split_whitespace()
            .last()
            .is_some_and(|t| t.chars().all(|c| "^~><=-".contains(c)))
    };
    if parts.iter().any(|p| dangling(p)) {
        return None;
    }
    if parts.len() > 1 && parts.iter().any(|p| p.is_empty()) {
        for p in parts.iter().filter(|p| !p.is_empty()) {
            Range::parse(p).ok()?;
        }
        return Range::parse("*").ok();
    }
    // nodejs-semver turns an alternative whose comparators do not intersect (`1 2`) into a
    // union; node-semver keeps it as a range that matches nothing.
    let mut kept = Vec::new();
    for p in &parts {
        let parsed = Range::parse(p).ok()?;
        if !parsed.to_string().contains("||") {
            kept.push(*p);
        }
    }
    if kept.is_empty() {
        return Range::parse("<0.0.0-0").ok();
    }
    Range::parse(kept.join(" || ")).ok()
}

/// `semver.satisfies(version, range)` without `includePrerelease`.
pub fn satisfies(version: &str, range: &str) -> bool {
    match (Version::parse(version), parse_range(range)) {
        (Ok(v), Some(r)) => r.satisfies(&v),
        _ => false,
    }
}

/// Cargo's rule for a path dependency's requirement (`semver` crate); an empty requirement
/// (a path-only dependency) accepts every version.
pub fn cargo_satisfies(version: &str, requirement: &str) -> bool {
    if requirement.trim().is_empty() {
        return true;
    }
    match (
        ::semver::VersionReq::parse(requirement),
        ::semver::Version::parse(version),
    ) {
        (Ok(req), Ok(v)) => req.matches(&v),
        _ => false,
    }
}

/// `semver.inc(version, type)` for `patch`/`minor`/`major`; `none` returns the version.
pub fn inc(version: &str, bump: BumpType) -> Option<String> {
    let v = Version::parse(version).ok()?;
    let release = match bump {
        BumpType::None => return Some(version.to_string()),
        BumpType::Patch => "patch",
        BumpType::Minor => "minor",
        BumpType::Major => "major",
    };
    v.inc(release, None, None).ok().map(|v| format_version(&v))
}

/// node-semver's `SemVer.format()`: build metadata is never part of the result.
fn format_version(v: &Version) -> String {
    let mut s = format!("{}.{}.{}", v.major(), v.minor(), v.patch());
    for (i, id) in v.pre_release().iter().enumerate() {
        s.push(if i == 0 { '-' } else { '.' });
        s.push_str(&id.to_string());
    }
    s
}

/// `semver.gt(a, b)`; `None` when either is not a version.
pub fn gt(a: &str, b: &str) -> Option<bool> {
    Some(Version::parse(a).ok()? > Version::parse(b).ok()?)
}

/// What `semver.parse(v).prerelease[1]` holds.
#[derive(Debug, PartialEq, Eq)]
pub enum PreNumber {
    /// Not a version at all.
    Invalid,
    /// No second prerelease identifier.
    Absent,
    Number(u64),
    /// A second identifier that is not numeric (`1.0.0-beta.x`).
    NotNumeric,
}

pub fn pre_number(version: &str) -> PreNumber {
    let Ok(v) = Version::parse(version) else {
        return PreNumber::Invalid;
    };
    match v.pre_release().get(1) {
        None => PreNumber::Absent,
        Some(Identifier::Numeric(n)) => PreNumber::Number(*n),
        Some(Identifier::AlphaNumeric(_)) => PreNumber::NotNumeric,
    }
}

/// Node's `path.posix.normalize`, used by changesets to compare `workspace:<path>` specs
/// with a package's directory (trailing slash kept, `""` becomes `"."`).
pub fn posix_normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let trailing = path.ends_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if out.is_empty() && !absolute {
        out.push('.');
    }
    if !out.is_empty() && trailing {
        out.push('/');
    }
    if absolute { format!("/{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inc_lands_prereleases_like_node_semver() {
        assert_eq!(inc("1.1.0-beta.0", BumpType::Patch).unwrap(), "1.1.0");
        assert_eq!(inc("1.1.0-beta.0", BumpType::Minor).unwrap(), "1.1.0");
        assert_eq!(inc("1.0.1-beta.0", BumpType::Minor).unwrap(), "1.1.0");
        assert_eq!(inc("1.0.0-beta.0", BumpType::Major).unwrap(), "1.0.0");
        assert_eq!(inc("1.2.3", BumpType::Major).unwrap(), "2.0.0");
        assert_eq!(inc("nope", BumpType::Major), None);
        assert_eq!(inc("1.0.0-rc.1+build.5", BumpType::Patch).unwrap(), "1.0.0");
        assert_eq!(inc("1.0.0+build.5", BumpType::Patch).unwrap(), "1.0.1");
    }

    #[test]
    fn satisfies_excludes_prereleases_and_bad_ranges() {
        assert!(satisfies("1.2.0", "^1.0.0"));
        assert!(!satisfies("1.1.0-beta.0", "^1.0.0"));
        assert!(satisfies("1.1.0-beta.1", "^1.1.0-beta.0"));
        assert!(!satisfies("1.0.0", "latest"));
        assert!(satisfies("1.0.0", ""));
        // Where nodejs-semver alone would disagree with node-semver.
        assert!(satisfies("3.0.0", "^1.0.0 ||"));
        assert!(!satisfies("1.1.0-beta.0", "|| ^1"));
        assert!(parse_range("1.2.3 ^").is_none());
        assert!(parse_range("1.2.3 - ").is_none());
        assert!(parse_range("^ 1.2").is_some());
        assert!(parse_range("1 2").is_some());
        assert!(!satisfies("2.0.0", "1 2"));
        assert!(satisfies("3.1.0", "1 2 || ^3"));
    }

    #[test]
    fn pre_numbers() {
        assert_eq!(pre_number("1.0.0"), PreNumber::Absent);
        assert_eq!(pre_number("1.0.0-beta"), PreNumber::Absent);
        assert_eq!(pre_number("1.0.0-beta.3"), PreNumber::Number(3));
        assert_eq!(pre_number("1.0.0-beta.x"), PreNumber::NotNumeric);
    }

    #[test]
    fn normalizes_like_node() {
        assert_eq!(posix_normalize(""), ".");
        assert_eq!(posix_normalize("./packages/q"), "packages/q");
        assert_eq!(posix_normalize("packages/q/"), "packages/q/");
        assert_eq!(posix_normalize("packages/x/../q"), "packages/q");
        assert_eq!(posix_normalize("../q"), "../q");
        assert_eq!(posix_normalize("/a/../../b"), "/b");
    }
}
