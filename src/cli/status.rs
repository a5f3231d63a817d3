//! `relay status`: the release plan for the pending change files, and the CI check that every
//! changed package has one (`changeset status`).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use globset::{GlobBuilder, GlobMatcher};

use super::{CliError, CliResult, Ctx};
use crate::changeset::{self, BumpType};
use crate::plan::{self, PlanInput, PlanPreState, ReleasePlan};
use crate::report::Reporter;
use crate::settings::{self, Config};
use crate::workspace::{self, Package, Workspace};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only consider change files added since this git ref, and packages changed since it
    /// (default: the merge base with `baseBranch`)
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// Write the release plan as JSON to FILE (relative to the current directory), exactly
    /// as `changeset status --output` does, instead of printing it
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

const NO_CHANGESETS: &str = "Some packages have been changed but no changesets were found. Run `changeset add` (or `relay add`) to resolve this error.\nIf this change doesn't need a release, run `changeset add --empty` (or `relay add --empty`).";

pub fn run(ctx: &Ctx, args: StatusArgs) -> CliResult {
    let root = ctx.root()?;
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    if !root.join(".changeset").is_dir() {
        return Err(CliError::user(
            "There is no .changeset directory in this project. Run `relay init` (or `changeset init`) to create one.",
        ));
    }
    let config = load_config(ctx, &root, &ws)?;
    let pre_state = changeset::migrate_pre_state(&root)
        .map_err(CliError::user)?
        .map(|p| PlanPreState {
            mode: p.mode,
            tag: p.tag,
        });
    let changesets = match &args.since {
        None => changeset::read_all(&root),
        Some(since) => {
            let only = changed_change_files(&root, since)?;
            changeset::read_selected(&root, Some(&only))
        }
    }
    .map_err(CliError::user)?;

    let graph = plan::dependents_graph(&ws, config.bump_versions_with_workspace_protocol_only);
    for w in &graph.warnings {
        ctx.console.warn(&w.to_string());
    }
    let plan = plan::assemble(&PlanInput {
        workspace: &ws,
        changesets: &changesets,
        config: &config,
        pre_state: pre_state.as_ref(),
        snapshot: None,
    })
    .map_err(CliError::user)?;

    let base = args.since.as_deref().unwrap_or(&config.base_branch);
    let changed = changed_packages(&root, &ws, &config, base)?;
    if !changed.is_empty() && plan.changesets.is_empty() {
        let names: Vec<&str> = changed.iter().map(|p| p.name.as_str()).collect();
        ctx.console.debug(&format!(
            "changed packages without a change file: {}",
            names.join(", ")
        ));
        return Err(CliError::user(NO_CHANGESETS));
    }

    if let Some(output) = &args.output {
        // changesets resolves the file against the process's directory, not the repo root.
        let path = std::path::absolute(output).map_err(CliError::user)?;
        let json = serde_json::to_string_pretty(&plan).map_err(CliError::internal)?;
        std::fs::write(&path, json)
            .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
        return Ok(());
    }
    let text = render(&plan, ctx.global.verbose);
    let _ = writeln!(std::io::stdout(), "{text}");
    Ok(())
}

/// `.changeset/config.json` with `fixed`, `linked` and `ignore` resolved to package names.
fn load_config(ctx: &Ctx, root: &Path, ws: &Workspace) -> Result<Config, CliError> {
    let (file, resolved) = settings::load_resolved(root, ws).map_err(CliError::user)?;
    let config = file.config;
    for w in &resolved.warnings {
        ctx.console.warn(w);
    }
    Ok(Config {
        fixed: resolved.fixed,
        linked: resolved.linked,
        ignore: resolved.ignore,
        ..config
    })
}

/// The human summary: releases (not `none`) sorted by name and grouped by bump type; with
/// `--verbose` each line gets the new version and the change files behind it.
pub fn render(plan: &ReleasePlan, verbose: bool) -> String {
    let mut releases: Vec<_> = plan.releases.iter().collect();
    releases
        .sort_by(|a, b| (a.name.to_lowercase(), &a.name).cmp(&(b.name.to_lowercase(), &b.name)));
    let mut out = vec!["Packages to be bumped:".to_string()];
    let mut any = false;
    for bump in [BumpType::Major, BumpType::Minor, BumpType::Patch] {
        let group: Vec<_> = releases.iter().filter(|r| r.bump == bump).collect();
        if group.is_empty() {
            continue;
        }
        any = true;
        out.push(format!("- {bump}"));
        for r in group {
            if verbose {
                out.push(format!("  - {} -> {}", r.name, r.new_version));
                for id in &r.changesets {
                    out.push(format!("    - .changeset/{id}.md"));
                }
            } else {
                out.push(format!("  - {}", r.name));
            }
        }
    }
    if !any {
        return "No packages to be bumped.".to_string();
    }
    out.join("\n")
}

// ---- git, read exactly as changesets does (`@changesets/git`) ----

fn git(root: &Path, args: &[&str]) -> Result<String, CliError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| CliError::user(format!("could not run git: {e}")))?;
    if !out.status.success() {
        return Err(CliError::user(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn merge_base(root: &Path, reference: &str) -> Result<String, CliError> {
    git(root, &["merge-base", reference, "HEAD"])
        .map(|s| s.trim().to_string())
        .map_err(|_| {
            CliError::user(format!(
                "Failed to find where HEAD diverged from \"{reference}\". Does \"{reference}\" exist and it's synced with remote?"
            ))
        })
}

/// Files changed between the merge base with `reference` and the working tree (tracked files),
/// relative to the repository's top level.
fn changed_files(root: &Path, reference: &str, extra: &[&str]) -> Result<Vec<String>, CliError> {
    let base = merge_base(root, reference)?;
    let mut args = vec!["diff", "--name-only", "--no-relative"];
    args.extend_from_slice(extra);
    args.push(&base);
    Ok(git(root, &args)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

fn toplevel(root: &Path) -> Result<PathBuf, CliError> {
    let top = git(root, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(top.trim()))
}

/// `--since`: the change files (relative to `.changeset/`) added or modified since `reference`.
fn changed_change_files(root: &Path, reference: &str) -> Result<HashSet<String>, CliError> {
    let files = changed_files(root, reference, &["--diff-filter=d"])?;
    Ok(files
        .iter()
        .filter_map(|f| {
            let at = f.rfind(".changeset/")?;
            let rest = &f[at + ".changeset/".len()..];
            let is_md = rest.ends_with(".md");
            let depth_ok = match rest.split_once('/') {
                None => true,
                Some(("pre", name)) => !name.contains('/'),
                Some(_) => false,
            };
            (is_md && depth_ok).then(|| rest.to_string())
        })
        .collect())
}

/// Versionable packages with a changed file matching `changedFilePatterns`; each file counts
/// for the deepest package containing it.
fn changed_packages<'w>(
    root: &Path,
    ws: &'w Workspace,
    config: &Config,
    reference: &str,
) -> Result<Vec<&'w Package>, CliError> {
    let top = toplevel(root)?;
    let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let mut files: Vec<PathBuf> = changed_files(root, reference, &[])?
        .into_iter()
        .map(|f| top.join(f))
        .collect();
    let patterns = FilePatterns::new(&config.changed_file_patterns)?;
    let mut pkgs: Vec<(&Package, PathBuf)> = plan::plan_packages(ws)
        .iter()
        .map(|p| {
            let dir = if p.dir == "." {
                root_abs.clone()
            } else {
                root_abs.join(&p.dir)
            };
            (p, dir)
        })
        .collect();
    // Deepest directory first, stable for equal lengths (JavaScript's toSorted is stable).
    pkgs.sort_by_key(|(_, d)| std::cmp::Reverse(d.as_os_str().len()));
    let mut out = Vec::new();
    for (pkg, dir) in pkgs {
        let mut mine = Vec::new();
        files.retain(|f| match f.strip_prefix(&dir) {
            Ok(rel) => {
                mine.push(rel.to_string_lossy().replace('\\', "/"));
                false
            }
            Err(_) => true,
        });
        if !mine.is_empty() && patterns.any_match(&mine) && !plan::should_skip(pkg, config) {
            out.push(pkg);
        }
    }
    Ok(out)
}

/// `changedFilePatterns` with picomatch's defaults: `*` stays within a path segment, wildcards
/// do not match names starting with `.`, `!pattern` negates.
struct FilePatterns(Vec<(bool, String, GlobMatcher)>);

impl FilePatterns {
    fn new(patterns: &[String]) -> Result<Self, CliError> {
        let mut out = Vec::new();
        for p in patterns {
            let (negated, body) = match p.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, p.as_str()),
            };
            let glob = GlobBuilder::new(body)
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    CliError::user(format!(
                        ".changeset/config.json: changedFilePatterns: invalid glob \"{p}\": {e}"
                    ))
                })?;
            out.push((negated, body.to_string(), glob.compile_matcher()));
        }
        Ok(FilePatterns(out))
    }

    fn body_matches(body: &str, glob: &GlobMatcher, path: &str) -> bool {
        // Dot segments only match when the pattern spells them out.
        let dots_ok = path
            .split('/')
            .filter(|s| s.starts_with('.'))
            .all(|s| body.contains(s));
        dots_ok && glob.is_match(path)
    }

    /// changesets' `globMatchSome`.
    fn any_match(&self, paths: &[String]) -> bool {
        paths.iter().any(|path| {
            let mut passed = false;
            for (negated, body, glob) in &self.0 {
                if !passed {
                    if !negated && Self::body_matches(body, glob, path) {
                        passed = true;
                    }
                } else if *negated && Self::body_matches(body, glob, path) {
                    passed = false;
                }
            }
            passed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(p: &[&str]) -> FilePatterns {
        FilePatterns::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn patterns_follow_picomatch_defaults() {
        let all = pats(&["**"]);
        assert!(all.any_match(&["src/index.js".into()]));
        assert!(!all.any_match(&[".eslintrc".into()]));
        let src = pats(&["src/**", "!src/**/*.test.js"]);
        assert!(src.any_match(&["src/a.js".into()]));
        assert!(!src.any_match(&["src/a.test.js".into()]));
        assert!(!src.any_match(&["README.md".into()]));
        let star = pats(&["*.js"]);
        assert!(!star.any_match(&["lib/a.js".into()]));
    }
}
