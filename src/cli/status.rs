//! `relay status`: the release plan for the pending change files, and the CI check that every
//! changed package has one (`changeset status`).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CliError, CliResult, Ctx};
use crate::changeset::{self, BumpType};
use crate::git;
use crate::graph::{GraphOptions, PackageGraph};
use crate::plan::{self, PlanInput, PlanPreState, ReleasePlan};
use crate::report::Reporter;
use crate::settings::{self, Config};
use crate::workspace::{self, Workspace};

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

/// changesets' message, naming relay's commands.
const NO_CHANGESETS: &str = "Some packages have been changed but no changesets were found. Run `relay add` to resolve this error.\nIf this change doesn't need a release, run `relay add --empty`.";

pub fn run(ctx: &Ctx, args: StatusArgs) -> CliResult {
    let root = ctx.root()?;
    if root.join(super::version::UNDO_JOURNAL).exists() {
        ctx.console.warn(&format!(
            "{}: an interrupted `relay version` left this repository half-written, so this status reflects that; run `relay version --recover` first",
            super::version::UNDO_JOURNAL
        ));
    }
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
    let repo = git::Repo::open(&root).map_err(CliError::user)?;
    let changesets = match &args.since {
        None => changeset::read_all(&root),
        Some(since) => {
            let only: HashSet<String> = repo
                .changed_changeset_files_since(since)
                .into_iter()
                .collect();
            changeset::read_selected(&root, Some(&only))
        }
    }
    .map_err(CliError::user)?;

    // The "must depend on the current version" notes changesets prints while building its graph.
    let graph = PackageGraph::build(
        &ws,
        GraphOptions::for_versioning(config.bump_versions_with_workspace_protocol_only),
    );
    for m in graph.mismatches() {
        ctx.console.warn(&m.to_string());
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
    let changed: Vec<_> =
        git::changed_packages_since(&repo, &ws, base, &config.changed_file_patterns)
            .map_err(CliError::user)?
            .into_iter()
            .filter(|p| !plan::should_skip(p, &config))
            .collect();
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
