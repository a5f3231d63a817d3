//! Turning a release plan into file edits (manifests, changelogs, consumed change files), as
//! `@changesets/apply-release-plan` (changesets 3) applies it. Pure: files are read through the
//! injected [`FileSource`], lines are rendered by the injected [`LineRenderer`]; the result is a
//! list of [`FileOp`]s the caller writes all-or-nothing (or prints, for `--dry-run`).

mod cargo;
mod entry;
pub mod json_edit;
pub mod ranges;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::changelog::{ChangelogError, LineRenderer, LogChangeset};
use crate::changeset::{BumpType, PreMode};
use crate::fsx::FileOp;
use crate::plan::{PlannedRelease, ReleasePlan};
use crate::settings::Config;
use crate::workspace::{DepKind, Ecosystem, Package, Workspace};

pub use entry::{generate_markdown_for_type, update_changelog};
use json_edit::{JsonEdit, edit_json};
use ranges::{ReleasedDep, RewriteRules};

/// Reads files for the edit computation (the real file system in the CLI, a map in tests).
/// `Sync`: packages are read on several threads.
pub trait FileSource: Sync {
    /// The file's bytes, `None` when it does not exist.
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;

    /// Whether the file exists (a `stat`, where `read` would open and read it).
    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.read(path).map(|b| b.is_some())
    }
}

/// The real file system.
pub struct DiskFiles;

impl FileSource for DiskFiles {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        crate::fsx::read_opt(path)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Everything the edits are computed from.
pub struct VersionInput<'a> {
    pub workspace: &'a Workspace,
    pub plan: &'a ReleasePlan,
    /// With `ignore` already holding package names (and `--ignore` applied).
    pub config: &'a Config,
    /// `version --snapshot`: ranges become exact pins, `pre.json` is left alone.
    pub snapshot: bool,
    /// Renders changelog lines; `None` for `"changelog": false`.
    pub changelog: Option<&'a dyn LineRenderer>,
    /// Change-file id → full sha of the commit that added it.
    pub commits: &'a BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}", .path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("Could not find matching package for release of: {0}")]
    UnknownPackage(String),
    #[error(transparent)]
    Changelog(#[from] ChangelogError),
}

/// The edits, in the order changesets makes them, plus the paths touched (for `commit`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    pub ops: Vec<FileOp>,
}

struct Manifest {
    path: PathBuf,
    text: String,
    json: Option<Value>,
}

fn read_text(files: &dyn FileSource, path: &Path) -> Result<Option<String>, VersionError> {
    let bytes = files.read(path).map_err(|source| VersionError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn load_manifest(files: &dyn FileSource, pkg: &Package) -> Result<Manifest, VersionError> {
    let path = pkg.manifest_path.clone();
    let text = read_text(files, &path)?.ok_or_else(|| VersionError::Manifest {
        path: path.clone(),
        message: "file disappeared".into(),
    })?;
    let json = match pkg.ecosystem {
        Ecosystem::Npm => {
            Some(
                serde_json::from_str(&text).map_err(|e| VersionError::Manifest {
                    path: path.clone(),
                    message: format!("line {}:{}: {e}", e.line(), e.column()),
                })?,
            )
        }
        Ecosystem::Cargo => None,
    };
    Ok(Manifest { path, text, json })
}

/// A dependency spec as the manifest writes it, by table and dependency name.
fn npm_spec<'v>(json: &'v Value, kind: DepKind, name: &str) -> Option<&'v str> {
    json.get(kind.key())?.as_object()?.get(name)?.as_str()
}

/// Computes every file edit of `changeset version`.
pub fn compute_edits(input: &VersionInput, files: &dyn FileSource) -> Result<Edits, VersionError> {
    let ws = input.workspace;
    let plan = input.plan;
    let config = input.config;
    let root = &ws.root;
    let rules = RewriteRules {
        update_internal_dependencies: config.update_internal_dependencies,
        only_update_peer_dependents_when_out_of_range: config
            .only_update_peer_dependents_when_out_of_range,
        bump_versions_with_workspace_protocol_only: config
            .bump_versions_with_workspace_protocol_only,
        snapshot: input.snapshot,
    };

    let by_name: HashMap<&str, &Package> =
        ws.packages.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut packages: Vec<(&PlannedRelease, &Package)> = Vec::new();
    for r in &plan.releases {
        let pkg = by_name
            .get(r.name.as_str())
            .copied()
            .ok_or_else(|| VersionError::UnknownPackage(r.name.clone()))?;
        packages.push((r, pkg));
    }
    let released: Vec<(&PlannedRelease, ReleasedDep)> = packages
        .iter()
        .map(|(r, p)| {
            (
                *r,
                ReleasedDep {
                    bump: r.bump,
                    old_version: &r.old_version,
                    new_version: &r.new_version,
                    dir: &p.dir,
                },
            )
        })
        .collect();
    // Release name -> position in `released`: lookups stay linear in the repository's size.
    let released_at: HashMap<&str, usize> = released
        .iter()
        .enumerate()
        .map(|(i, (r, _))| (r.name.as_str(), i))
        .collect();

    // Change files with their commits, in plan order.
    let log_changesets: Vec<LogChangeset> = plan
        .changesets
        .iter()
        .map(|c| LogChangeset {
            changeset: c,
            commit: input.commits.get(&c.id).cloned(),
        })
        .collect();
    let mut own_changesets: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in plan.changesets.iter().enumerate() {
        for r in &c.releases {
            let list = own_changesets.entry(r.name.as_str()).or_default();
            // One entry per change file, as changesets' `find` sees it.
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let changeset_at: HashMap<&str, usize> = plan
        .changesets
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let log = entry::LogIndex {
        changesets: &log_changesets,
        own: &own_changesets,
        by_id: &changeset_at,
    };

    let mut ops = OpList::default();
    // Current content of every file edited so far (a package can be edited twice when the
    // root package is also the only workspace package).
    let mut current: BTreeMap<PathBuf, String> = BTreeMap::new();

    // Changelog entries first: changesets renders them all before writing anything. Reading,
    // rendering and editing one package needs nothing from another, so that runs on every core;
    // errors are still reported in changesets' order (all loads, then all entries, then the
    // edits package by package).
    let workers = crate::par::cpus();
    let manifests: Vec<Manifest> =
        crate::par::par_map(&packages, workers, |(_, pkg)| load_manifest(files, pkg))
            .into_iter()
            .collect::<Result<_, _>>()?;
    let items: Vec<((&PlannedRelease, &Package), &Manifest)> =
        packages.iter().copied().zip(&manifests).collect();
    let prepared: Vec<Prepared> = crate::par::par_map(&items, workers, |((release, pkg), m)| {
        let entry = match input.changelog {
            Some(renderer) => entry::changelog_entry(
                release,
                pkg,
                m.json.as_ref(),
                (&released, &released_at),
                &log,
                renderer,
                &rules,
            )
            .map_err(VersionError::from),
            None => Ok(None),
        };
        let changelog = match &entry {
            Ok(Some(e)) if !e.is_empty() => {
                Some(read_text(files, &pkg.abs_dir().join("CHANGELOG.md")))
            }
            _ => None,
        };
        Prepared {
            entry,
            manifest: edit_manifest(
                &m.text,
                release,
                pkg,
                m,
                ws,
                &released,
                &released_at,
                &rules,
            ),
            changelog,
        }
    });
    let mut entries = Vec::with_capacity(prepared.len());
    let mut rest = Vec::with_capacity(prepared.len());
    for p in prepared {
        entries.push(p.entry?);
        rest.push((p.manifest, p.changelog));
    }

    if let Some(pre) = &plan.pre_state
        && pre.mode == PreMode::Exit
        && !input.snapshot
    {
        let path = root.join(".changeset").join("pre.json");
        if files
            .read(&path)
            .map_err(|source| VersionError::Io {
                path: path.clone(),
                source,
            })?
            .is_some()
        {
            ops.push(FileOp::Remove { path });
        }
    }

    for ((((release, pkg), manifest), entry), (edited, changelog)) in
        packages.iter().zip(&manifests).zip(entries).zip(rest)
    {
        // A file already edited in this run (the root package that is also the only
        // workspace package) is edited again from its new text.
        let new_text = match current.get(&manifest.path) {
            Some(text) => edit_manifest(
                text,
                release,
                pkg,
                manifest,
                ws,
                &released,
                &released_at,
                &rules,
            )?,
            None => edited?,
        };
        push_write(
            &mut ops,
            &mut current,
            &manifest.path,
            &manifest.text,
            new_text,
        );

        if let Some(entry) = entry.filter(|e| !e.is_empty()) {
            let path = pkg.abs_dir().join("CHANGELOG.md");
            let on_disk = match changelog {
                Some(read) => read?,
                None => read_text(files, &path)?,
            };
            let existing = current.get(&path).cloned().or(on_disk.clone());
            let new = update_changelog(existing.as_deref(), &entry, &pkg.name);
            // A missing file differs from any content, even empty.
            let original = on_disk.unwrap_or_else(|| "\u{0}missing".into());
            push_write(&mut ops, &mut current, &path, &original, new);
        }
    }

    // v3 also rewrites the root package.json's ranges (never its version).
    if let Some(rootpkg) = &ws.root_package
        && rootpkg.ecosystem == Ecosystem::Npm
    {
        let m = load_manifest(files, rootpkg)?;
        let text = current
            .get(&m.path)
            .cloned()
            .unwrap_or_else(|| m.text.clone());
        let json = m.json.as_ref().expect("npm manifests are parsed");
        let edits = dependency_edits(json, &released, &released_at, &rules);
        let new_text = edit_json(&text, &edits).map_err(|e| VersionError::Manifest {
            path: m.path.clone(),
            message: e.to_string(),
        })?;
        push_write(&mut ops, &mut current, &m.path, &m.text, new_text);
    }

    // Consumed change files: deleted, or moved to `.changeset/pre/` in pre mode. A change file
    // naming a skipped package stays (mixed ones were refused by the plan).
    let pre_mode = plan
        .pre_state
        .as_ref()
        .is_some_and(|p| p.mode == PreMode::Pre);
    for c in &plan.changesets {
        let path = root.join(".changeset").join(format!("{}.md", c.id));
        let io_err = |source| VersionError::Io {
            path: path.clone(),
            source,
        };
        // The bytes are needed only to move the file in pre mode.
        let bytes = if pre_mode {
            match files.read(&path).map_err(io_err)? {
                Some(b) => Some(b),
                None => continue,
            }
        } else if files.exists(&path).map_err(io_err)? {
            None
        } else {
            continue;
        };
        let names_skipped = c.releases.iter().any(|r| {
            by_name
                .get(r.name.as_str())
                .is_none_or(|p| crate::plan::should_skip(p, config))
        });
        if names_skipped {
            continue;
        }
        if let Some(bytes) = bytes {
            ops.push(FileOp::Write {
                path: root
                    .join(".changeset")
                    .join("pre")
                    .join(format!("{}.md", c.id)),
                contents: bytes,
            });
        }
        ops.push(FileOp::Remove { path });
    }
    Ok(Edits {
        ops: ops.into_ops(),
    })
}

/// One package's share of the edits, computed on a worker thread.
struct Prepared {
    entry: Result<Option<String>, VersionError>,
    /// The manifest's new text, edited from its text on disk.
    manifest: Result<String, VersionError>,
    /// `CHANGELOG.md` as on disk, read when there is an entry to write.
    changelog: Option<Result<Option<String>, VersionError>>,
}

/// The new text of one manifest: its version and the ranges of its released dependencies.
#[allow(clippy::too_many_arguments)]
fn edit_manifest(
    text: &str,
    release: &PlannedRelease,
    pkg: &Package,
    manifest: &Manifest,
    ws: &Workspace,
    released: &[(&PlannedRelease, ReleasedDep)],
    released_at: &HashMap<&str, usize>,
    rules: &RewriteRules,
) -> Result<String, VersionError> {
    match pkg.ecosystem {
        Ecosystem::Npm => {
            let json = manifest.json.as_ref().expect("npm manifests are parsed");
            let mut edits = dependency_edits(json, released, released_at, rules);
            if !release.new_version.is_empty() && json.get("version").is_some() {
                edits.push(JsonEdit {
                    keys: vec!["version".into()],
                    value: release.new_version.clone(),
                });
            }
            edit_json(text, &edits).map_err(|e| VersionError::Manifest {
                path: manifest.path.clone(),
                message: e.to_string(),
            })
        }
        Ecosystem::Cargo => {
            cargo::edit_cargo_toml(text, release, ws, released, rules).map_err(|message| {
                VersionError::Manifest {
                    path: manifest.path.clone(),
                    message,
                }
            })
        }
    }
}

/// The ops in the order changesets makes them; a later write to the same path replaces the
/// earlier one and moves to the end, in constant time.
#[derive(Default)]
struct OpList {
    ops: Vec<Option<FileOp>>,
    write_at: HashMap<PathBuf, usize>,
}

impl OpList {
    fn push(&mut self, op: FileOp) {
        self.ops.push(Some(op));
    }

    fn into_ops(self) -> Vec<FileOp> {
        self.ops.into_iter().flatten().collect()
    }
}

fn push_write(
    ops: &mut OpList,
    current: &mut BTreeMap<PathBuf, String>,
    path: &Path,
    original: &str,
    new_text: String,
) {
    // `original` is what the file held before this run, whichever edit comes first.
    if let Some(pos) = ops.write_at.remove(path) {
        ops.ops[pos] = None;
    }
    if new_text != original {
        ops.write_at.insert(path.to_path_buf(), ops.ops.len());
        ops.push(FileOp::Write {
            path: path.to_path_buf(),
            contents: new_text.as_bytes().to_vec(),
        });
    }
    current.insert(path.to_path_buf(), new_text);
}

/// `getDependencyVersionEdits`: the range rewrites of one package.json.
fn dependency_edits(
    json: &Value,
    released: &[(&PlannedRelease, ReleasedDep)],
    released_at: &HashMap<&str, usize>,
    rules: &RewriteRules,
) -> Vec<JsonEdit> {
    let mut edits = Vec::new();
    for kind in DepKind::NPM {
        let Some(table) = json.get(kind.key()).and_then(Value::as_object) else {
            continue;
        };
        // In release order, as changesets walks them.
        let mut hits: Vec<usize> = table
            .keys()
            .filter_map(|name| released_at.get(name.as_str()).copied())
            .collect();
        hits.sort_unstable();
        hits.dedup();
        // changesets 3.0.3 rewrites nothing for `none` releases.
        for (r, dep) in hits
            .into_iter()
            .map(|i| &released[i])
            .filter(|(r, _)| r.bump != BumpType::None)
        {
            let Some(spec) = npm_spec(json, kind, &r.name) else {
                continue;
            };
            if let Some(new) = ranges::rewritten_spec(dep, spec, kind, rules) {
                edits.push(JsonEdit {
                    keys: vec![kind.key().to_string(), r.name.clone()],
                    value: new,
                });
            }
        }
    }
    edits
}

/// The commit message `commit: true` makes (`@changesets/cli/commit` `getVersionMessage`).
pub fn version_commit_message(plan: &ReleasePlan, skip_ci: bool) -> String {
    let released: Vec<&PlannedRelease> = plan
        .releases
        .iter()
        .filter(|r| r.bump != BumpType::None)
        .collect();
    let lines: Vec<String> = released
        .iter()
        .map(|r| format!("  {}@{}", r.name, r.new_version))
        .collect();
    format!(
        "RELEASING: Releasing {} package(s)\n\nReleases:\n{}\n{}",
        released.len(),
        lines.join("\n"),
        if skip_ci { "\n[skip ci]\n" } else { "" }
    )
}

#[cfg(test)]
mod tests;
