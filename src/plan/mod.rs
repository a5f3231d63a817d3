//! The release plan: which packages get which new version. Pure: no I/O, no clock, no env.

pub mod semver;

use std::collections::{HashMap, VecDeque};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::changeset::{BumpType, ChangeFile, PreMode};
use crate::graph::{GraphOptions, PackageGraph};
use crate::settings::{Config, UpdateInternalDependents};
use crate::workspace::{DepKind, Ecosystem, Package, Tool, Workspace};

use semver::PreNumber;

/// One package's release in the plan: `changeset status --output`'s `releases[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRelease {
    pub name: String,
    #[serde(rename = "type")]
    pub bump: BumpType,
    /// Empty only for a `none` entry of a skipped package without a `version` (changesets
    /// then omits the key, and so does the JSON here).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub old_version: String,
    /// Ids of the change files behind this release (empty for dependents and group members).
    pub changesets: Vec<String>,
    /// Empty exactly when `old_version` is (a versionless skipped package).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub new_version: String,
}

/// `preState` in the plan JSON: only mode and tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPreState {
    pub mode: PreMode,
    pub tag: String,
}

/// The release plan, in the same content and order as changesets' `ReleasePlan`
/// (`changesets`, `releases`, `preState` — the last absent outside pre mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePlan {
    pub changesets: Vec<ChangeFile>,
    pub releases: Vec<PlannedRelease>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_state: Option<PlanPreState>,
}

/// Snapshot parameters for `version --snapshot [tag]`. The clock and the commit are inputs so
/// the plan stays pure; the prerelease template and `useCalculatedVersion` come from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `--snapshot <tag>`; `None` for a bare `--snapshot`.
    pub tag: Option<String>,
    /// Full HEAD sha; only needed when the template uses `{commit}` or `{commit-short}`.
    pub commit: Option<String>,
    /// Milliseconds since the Unix epoch, read once per run.
    pub timestamp_ms: i64,
}

/// Everything the plan is computed from. `config.fixed`, `config.linked` and `config.ignore`
/// must already hold package names (globs resolved by [`crate::settings`]);
/// `config.snapshot.prerelease_template` must already include a CLI override.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub workspace: &'a Workspace,
    /// Change files in read order (root files byte-sorted, then `pre/` files).
    pub changesets: &'a [ChangeFile],
    pub config: &'a Config,
    /// `.changeset/pre.json` (mode and tag), if present.
    pub pre_state: Option<&'a PlanPreState>,
    pub snapshot: Option<&'a Snapshot>,
}

/// Why no plan could be made. Messages start with changesets' own wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "Found changeset {changeset} for package {package} which is not in the workspace (.changeset/{changeset}.md){}",
        did_you_mean(.suggestion)
    )]
    NotInWorkspace {
        changeset: String,
        package: String,
        suggestion: Option<String>,
    },
    #[error(
        "Found mixed changeset {changeset}\nFound ignored packages: {}\nFound not ignored packages: {}\nMixed changesets that contain both ignored and not ignored packages are not allowed",
        .skipped.join(" "), .not_skipped.join(" ")
    )]
    MixedChangeset {
        changeset: String,
        skipped: Vec<String>,
        not_skipped: Vec<String>,
    },
    #[error(
        "package {package} has version {version:?}, which is not a valid semver version; fix its manifest"
    )]
    InvalidVersion { package: String, version: String },
    #[error(
        "package {package} is at {version}: its second prerelease identifier is not a number, so the next prerelease number cannot be computed; fix its version"
    )]
    PreNumberNotNumeric { package: String, version: String },
    #[error(
        "the {kind} group {group:?} names {package}, which is not in the workspace; fix .changeset/config.json"
    )]
    UnknownGroupMember {
        kind: &'static str,
        group: Vec<String>,
        package: String,
    },
    #[error(
        "Failed to compose snapshot version: \"{{tag}}\" placeholder is missing, but the snapshot parameter is defined (value: '{tag}')"
    )]
    SnapshotTagUnused { tag: String },
    #[error(
        "Failed to compose snapshot version: \"{{{placeholder}}}\" placeholder is used without having a value defined!"
    )]
    SnapshotPlaceholderEmpty { placeholder: String },
}

fn did_you_mean(s: &Option<String>) -> String {
    match s {
        Some(name) => format!("; did you mean {name}?"),
        None => String::new(),
    }
}

/// A release while the plan is being built (before `newVersion`).
#[derive(Debug, Clone)]
struct Rel {
    name: String,
    bump: BumpType,
    /// `None` only for a versionless skipped dependent (changesets omits the key then).
    old_version: Option<String>,
    changesets: Vec<String>,
}

struct Ctx<'a> {
    input: &'a PlanInput<'a>,
    by_name: HashMap<&'a str, &'a Package>,
    packages: &'a [Package],
    /// Pre numbering table (§4.3), present iff a pre state is.
    pre_numbers: Option<HashMap<String, u64>>,
}

impl<'a> Ctx<'a> {
    fn skipped(&self, pkg: &Package) -> bool {
        should_skip(pkg, self.input.config)
    }

    fn pkg(&self, name: &str) -> Option<&'a Package> {
        self.by_name.get(name).copied()
    }

    /// `incrementVersion`: the calculated new version, with the pre suffix in pre mode.
    fn increment(&self, rel: &Rel) -> Result<String, PlanError> {
        let old = rel.old_version.as_deref().unwrap_or("");
        if rel.bump == BumpType::None {
            return Ok(old.to_string());
        }
        let mut v = semver::inc(old, rel.bump).ok_or_else(|| PlanError::InvalidVersion {
            package: rel.name.clone(),
            version: old.to_string(),
        })?;
        if let (Some(pre), Some(nums)) = (self.input.pre_state, &self.pre_numbers)
            && pre.mode != PreMode::Exit
        {
            let n = nums.get(&rel.name).copied().unwrap_or(0);
            v = format!("{v}-{}.{n}", pre.tag);
        }
        Ok(v)
    }
}

/// changesets' `shouldSkipPackage`: ignored, private without `privatePackages.version`, or
/// without a version.
pub fn should_skip(pkg: &Package, config: &Config) -> bool {
    config.ignore.contains(&pkg.name)
        || (pkg.private && !config.private_packages.version)
        || pkg.version.as_deref().is_none_or(str::is_empty)
}

/// The packages changesets versions (`packages.packages`): the workspace packages, or the
/// root package alone in a single-package repository.
pub fn plan_packages(ws: &Workspace) -> &[Package] {
    match (&ws.root_package, ws.tool) {
        (Some(root), Tool::Root) => std::slice::from_ref(root),
        _ => &ws.packages,
    }
}

/// Computes the release plan exactly as `@changesets/assemble-release-plan` (changesets 3).
pub fn assemble(input: &PlanInput) -> Result<ReleasePlan, PlanError> {
    let ws = input.workspace;
    let packages = plan_packages(ws);
    let mut by_name = HashMap::new();
    for p in packages {
        by_name.insert(p.name.as_str(), p);
    }
    let mut ctx = Ctx {
        input,
        by_name,
        packages,
        pre_numbers: None,
    };

    let relevant = relevant_changesets(&ctx)?;
    ctx.pre_numbers = pre_numbers(&ctx)?;
    let mut releases = flatten(&ctx, &relevant);
    let graph = PackageGraph::build(
        ws,
        GraphOptions::for_versioning(input.config.bump_versions_with_workspace_protocol_only),
    );

    loop {
        let dependents_added = determine_dependents(&ctx, &graph, &mut releases)?;
        let fixed_updated = match_fixed(&ctx, &mut releases)?;
        let links_updated = apply_links(&ctx, &mut releases)?;
        if !links_updated && !dependents_added && !fixed_updated {
            break;
        }
    }

    if let (Some(pre), Some(nums)) = (input.pre_state, &ctx.pre_numbers)
        && pre.mode == PreMode::Exit
    {
        for pkg in ctx.packages {
            if ctx.skipped(pkg) {
                continue;
            }
            if nums.get(&pkg.name).is_some_and(|n| *n != 0) {
                match releases.get_mut(&pkg.name) {
                    None => {
                        releases.insert(
                            pkg.name.clone(),
                            Rel {
                                name: pkg.name.clone(),
                                bump: BumpType::Patch,
                                old_version: pkg.version.clone(),
                                changesets: Vec::new(),
                            },
                        );
                    }
                    Some(r) if r.bump == BumpType::None => r.bump = BumpType::Patch,
                    Some(_) => {}
                }
            }
        }
    }

    let suffix = match input.snapshot {
        Some(s) => Some(snapshot_suffix(
            input.config.snapshot.prerelease_template.as_deref(),
            s,
        )?),
        None => None,
    };
    let mut out = Vec::with_capacity(releases.len());
    for rel in releases.into_values() {
        let new_version = match &suffix {
            Some(sfx) if !sfx.is_empty() && rel.bump != BumpType::None => {
                let base = if input.config.snapshot.use_calculated_version {
                    ctx.increment(&rel)?
                } else {
                    "0.0.0".to_string()
                };
                format!("{base}-{sfx}")
            }
            _ => ctx.increment(&rel)?,
        };
        out.push(PlannedRelease {
            name: rel.name,
            bump: rel.bump,
            old_version: rel.old_version.unwrap_or_default(),
            changesets: rel.changesets,
            new_version,
        });
    }
    Ok(ReleasePlan {
        changesets: relevant,
        releases: out,
        pre_state: input.pre_state.cloned(),
    })
}

fn relevant_changesets(ctx: &Ctx) -> Result<Vec<ChangeFile>, PlanError> {
    for cs in ctx.input.changesets {
        let mut skipped = Vec::new();
        let mut not_skipped = Vec::new();
        for r in &cs.releases {
            let Some(pkg) = ctx.pkg(&r.name) else {
                return Err(PlanError::NotInWorkspace {
                    changeset: cs.id.clone(),
                    package: r.name.clone(),
                    suggestion: suggest(&r.name, ctx.input.workspace),
                });
            };
            if ctx.skipped(pkg) {
                skipped.push(r.name.clone());
            } else {
                not_skipped.push(r.name.clone());
            }
        }
        if !skipped.is_empty() && !not_skipped.is_empty() {
            return Err(PlanError::MixedChangeset {
                changeset: cs.id.clone(),
                skipped,
                not_skipped,
            });
        }
    }
    let in_pre = ctx.input.pre_state.is_some_and(|p| p.mode != PreMode::Exit);
    Ok(ctx
        .input
        .changesets
        .iter()
        .filter(|cs| !(in_pre && cs.id.starts_with("pre/")))
        .cloned()
        .collect())
}

/// The closest workspace package name (edit distance ≤ a third of the name, at least 2).
fn suggest(name: &str, ws: &Workspace) -> Option<String> {
    let limit = (name.chars().count() / 3).max(2);
    plan_packages(ws)
        .iter()
        .map(|p| (levenshtein(name, &p.name), &p.name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.clone())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn pre_number_of(pkg: &Package) -> Result<u64, PlanError> {
    let version = pkg.version.clone().unwrap_or_default();
    match semver::pre_number(&version) {
        PreNumber::Absent => Ok(0),
        PreNumber::Number(n) => Ok(n + 1),
        PreNumber::NotNumeric => Err(PlanError::PreNumberNotNumeric {
            package: pkg.name.clone(),
            version,
        }),
        PreNumber::Invalid => Err(PlanError::InvalidVersion {
            package: pkg.name.clone(),
            version,
        }),
    }
}

fn pre_numbers(ctx: &Ctx) -> Result<Option<HashMap<String, u64>>, PlanError> {
    if ctx.input.pre_state.is_none() {
        return Ok(None);
    }
    let mut nums = HashMap::new();
    for pkg in ctx.packages {
        if ctx.skipped(pkg) {
            continue;
        }
        nums.insert(pkg.name.clone(), pre_number_of(pkg)?);
    }
    let config = ctx.input.config;
    for (kind, groups) in [("fixed", &config.fixed), ("linked", &config.linked)] {
        for group in groups {
            let mut highest = 0;
            for name in group {
                let pkg = group_member(ctx, kind, group, name)?;
                highest = highest.max(pre_number_of(pkg)?);
            }
            for name in group {
                nums.insert(name.clone(), highest);
            }
        }
    }
    Ok(Some(nums))
}

fn group_member<'a>(
    ctx: &Ctx<'a>,
    kind: &'static str,
    group: &[String],
    name: &str,
) -> Result<&'a Package, PlanError> {
    ctx.pkg(name).ok_or_else(|| PlanError::UnknownGroupMember {
        kind,
        group: group.to_vec(),
        package: name.to_string(),
    })
}

fn flatten(ctx: &Ctx, changesets: &[ChangeFile]) -> IndexMap<String, Rel> {
    let mut releases: IndexMap<String, Rel> = IndexMap::new();
    for cs in changesets {
        for r in &cs.releases {
            // Names were checked by `relevant_changesets`.
            let Some(pkg) = ctx.pkg(&r.name) else {
                continue;
            };
            if ctx.skipped(pkg) {
                continue;
            }
            match releases.get_mut(&r.name) {
                None => {
                    releases.insert(
                        r.name.clone(),
                        Rel {
                            name: r.name.clone(),
                            bump: r.bump,
                            old_version: pkg.version.clone(),
                            changesets: vec![cs.id.clone()],
                        },
                    );
                }
                Some(rel) => {
                    rel.bump = rel.bump.max(r.bump);
                    rel.changesets.push(cs.id.clone());
                }
            }
        }
    }
    releases
}

/// The ranges under which `dependent` lists `dep` in each npm table, normalised as
/// `getDependencyVersionRanges` does (`workspace:*` → the dependency's old version, ...).
fn dependency_ranges(dependent: &Package, dep: &Rel, dep_pkg: &Package) -> Vec<(DepKind, String)> {
    let mut out = Vec::new();
    if dependent.ecosystem == Ecosystem::Cargo {
        // relay's extension for Cargo: path dependencies on the crate, with their requirement
        // (an empty one accepts every version).
        for d in &dependent.dependencies {
            if d.target == dep.name && d.path.as_deref() == Some(dep_pkg.dir.as_str()) {
                out.push((d.kind, d.range.clone()));
            }
        }
        return out;
    }
    for kind in DepKind::NPM {
        let Some(d) = dependent.deps_of(kind).find(|d| d.name == dep.name) else {
            continue;
        };
        if d.range.is_empty() {
            continue;
        }
        let old = dep.old_version.clone().unwrap_or_default();
        let range = match d.range.strip_prefix("workspace:") {
            None => d.range.clone(),
            Some("*") => old,
            Some(p @ ("^" | "~")) => format!("{p}{old}"),
            Some(rest) => {
                if semver::parse_range(rest).is_some() {
                    rest.to_string()
                } else if semver::posix_normalize(rest) == dep_pkg.dir {
                    old
                } else {
                    continue;
                }
            }
        };
        out.push((kind, range));
    }
    out
}

fn determine_dependents(
    ctx: &Ctx,
    graph: &PackageGraph,
    releases: &mut IndexMap<String, Rel>,
) -> Result<bool, PlanError> {
    let config = ctx.input.config;
    let always = config.update_internal_dependents == UpdateInternalDependents::Always;
    let mut updated = false;
    // Releases are queued by value: while a release sits in the queue nothing changes it in
    // changesets 3 (replacing a `none` entry creates a new object and queues that).
    let mut queue: VecDeque<Rel> = releases.values().cloned().collect();
    while let Some(next) = queue.pop_front() {
        let mut changes: Vec<(String, BumpType, &Package)> = Vec::new();
        for dependent in graph.dependents(&next.name) {
            let Some(dpkg) = ctx.pkg(dependent) else {
                continue;
            };
            let mut candidate: Option<BumpType> = None;
            if ctx.skipped(dpkg) {
                candidate = Some(BumpType::None);
            } else if next.bump != BumpType::None {
                let Some(dep_pkg) = ctx.pkg(&next.name) else {
                    continue;
                };
                let next_version = ctx.increment(&next)?;
                let cargo = dpkg.ecosystem == Ecosystem::Cargo;
                for (kind, range) in dependency_ranges(dpkg, &next, dep_pkg) {
                    let unreleased = releases
                        .get(dependent)
                        .is_none_or(|r| r.bump == BumpType::None);
                    let in_range = if cargo {
                        semver::cargo_satisfies(&next_version, &range)
                    } else {
                        semver::satisfies(&next_version, &range)
                    };
                    if unreleased && (always || !in_range) {
                        match kind {
                            DepKind::Dev => {
                                if candidate.is_none() {
                                    candidate = Some(BumpType::None);
                                }
                            }
                            _ => {
                                if !matches!(candidate, Some(BumpType::Major | BumpType::Minor)) {
                                    candidate = Some(BumpType::Patch);
                                }
                            }
                        }
                    }
                }
            }
            let Some(bump) = candidate else {
                continue;
            };
            if releases.get(dependent).is_some_and(|r| r.bump == bump) {
                continue;
            }
            changes.push((dependent.to_string(), bump, dpkg));
        }
        for (name, bump, dpkg) in changes {
            updated = true;
            match releases.get_mut(&name) {
                Some(existing) if bump == BumpType::Major && existing.bump != BumpType::Major => {
                    existing.bump = BumpType::Major;
                    queue.push_back(existing.clone());
                }
                _ => {
                    let rel = Rel {
                        name: name.clone(),
                        bump,
                        old_version: dpkg.version.clone(),
                        changesets: Vec::new(),
                    };
                    queue.push_back(rel.clone());
                    releases.insert(name, rel);
                }
            }
        }
    }
    Ok(updated)
}

/// `getCurrentHighestVersion` over every member of a group (skipped ones included).
fn highest_version(
    ctx: &Ctx,
    kind: &'static str,
    group: &[String],
) -> Result<Option<String>, PlanError> {
    let mut highest: Option<String> = None;
    for name in group {
        let pkg = group_member(ctx, kind, group, name)?;
        let v = pkg.version.clone().unwrap_or_default();
        let higher = match &highest {
            // A versionless member seen first leaves the maximum unset (`undefined == null`);
            // seen later it is an invalid version, as in changesets.
            None => {
                if v.is_empty() {
                    continue;
                }
                true
            }
            Some(h) => semver::gt(&v, h).ok_or_else(|| PlanError::InvalidVersion {
                package: pkg.name.clone(),
                version: v.clone(),
            })?,
        };
        if higher {
            highest = Some(v);
        }
    }
    Ok(highest)
}

fn highest_bump<'r>(rels: impl Iterator<Item = &'r Rel>) -> BumpType {
    rels.map(|r| r.bump).max().unwrap_or(BumpType::None)
}

fn match_fixed(ctx: &Ctx, releases: &mut IndexMap<String, Rel>) -> Result<bool, PlanError> {
    let mut updated = false;
    for group in &ctx.input.config.fixed {
        let releasing = releases
            .values()
            .filter(|r| group.contains(&r.name) && r.bump != BumpType::None);
        let bump = highest_bump(releasing);
        if bump == BumpType::None {
            continue;
        }
        let version = highest_version(ctx, "fixed", group)?;
        for name in group {
            let pkg = group_member(ctx, "fixed", group, name)?;
            if ctx.skipped(pkg) {
                continue;
            }
            match releases.get_mut(name) {
                None => {
                    updated = true;
                    releases.insert(
                        name.clone(),
                        Rel {
                            name: name.clone(),
                            bump,
                            old_version: version.clone(),
                            changesets: Vec::new(),
                        },
                    );
                }
                Some(r) => {
                    if r.bump != bump {
                        updated = true;
                        r.bump = bump;
                    }
                    if r.old_version != version {
                        updated = true;
                        r.old_version = version.clone();
                    }
                }
            }
        }
    }
    Ok(updated)
}

fn apply_links(ctx: &Ctx, releases: &mut IndexMap<String, Rel>) -> Result<bool, PlanError> {
    let mut updated = false;
    for group in &ctx.input.config.linked {
        let releasing: Vec<String> = releases
            .values()
            .filter(|r| group.contains(&r.name) && r.bump != BumpType::None)
            .map(|r| r.name.clone())
            .collect();
        if releasing.is_empty() {
            continue;
        }
        let bump = highest_bump(releasing.iter().filter_map(|n| releases.get(n)));
        let version = highest_version(ctx, "linked", group)?;
        for name in &releasing {
            if let Some(r) = releases.get_mut(name) {
                if r.bump != bump {
                    updated = true;
                    r.bump = bump;
                }
                if r.old_version != version {
                    updated = true;
                    r.old_version = version.clone();
                }
            }
        }
    }
    Ok(updated)
}

/// The snapshot prerelease suffix (`getSnapshotSuffix`): `[tag, datetime]` joined by `-`
/// without a template, else the template with its placeholders replaced in changesets' order.
pub fn snapshot_suffix(template: Option<&str>, snap: &Snapshot) -> Result<String, PlanError> {
    let datetime = datetime_digits(snap.timestamp_ms);
    let values: [(&str, Option<String>); 5] = [
        ("commit", snap.commit.clone()),
        (
            "commit-short",
            snap.commit.as_ref().map(|c| c.chars().take(7).collect()),
        ),
        ("tag", snap.tag.clone()),
        ("timestamp", Some(snap.timestamp_ms.to_string())),
        ("datetime", Some(datetime.clone())),
    ];
    let Some(template) = template.filter(|t| !t.is_empty()) else {
        let parts: Vec<&str> = [snap.tag.as_deref().unwrap_or(""), &datetime]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        return Ok(parts.join("-"));
    };
    if let Some(tag) = &snap.tag
        && !template.contains("{tag}")
    {
        return Err(PlanError::SnapshotTagUnused { tag: tag.clone() });
    }
    let mut out = template.to_string();
    for (key, value) in values {
        let placeholder = format!("{{{key}}}");
        if out.contains(&placeholder) {
            let Some(value) = value else {
                return Err(PlanError::SnapshotPlaceholderEmpty {
                    placeholder: key.to_string(),
                });
            };
            out = out.replace(&placeholder, &value);
        }
    }
    Ok(out)
}

/// `new Date(ms).toISOString()` minus `.mmmZ`, digits only: `YYYYMMDDHHMMSS` in UTC.
fn datetime_digits(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests;
