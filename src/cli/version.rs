//! `relay version`: consume change files, bump versions, rewrite ranges, write CHANGELOGs —
//! `changeset version` (changesets 3) with all-or-nothing writes and `--dry-run`.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

use crate::changelog::{self, GeneratorEnv, Renderer};
use crate::changeset::{self, PreMode};
use crate::cli::{CliError, CliResult, Ctx, display_rel};
use crate::fsx::{self, FileOp};
use crate::plan::{self, PlanPreState, Snapshot};
use crate::report::Reporter;
use crate::secret::Secret;
use crate::settings::{self, ModuleSetting, ResolvedConfig};
use crate::version::{self, DiskFiles, VersionInput};
use crate::workspace;

/// Test-only: make the N-th file operation fail (0-based) to prove the rollback. Not a user
/// setting; documented in the README's test section.
const FAIL_AT_ENV: &str = "RELAY_TEST_FAIL_WRITE_AT";
/// Test-only: abort the process before the N-th file operation, as a SIGKILL would.
const CRASH_AT_ENV: &str = "RELAY_TEST_CRASH_WRITE_AT";

/// Where `relay version` keeps every file's previous bytes while it writes (see `fsx`).
pub const UNDO_JOURNAL: &str = ".relay/version-undo.json";

#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Version snapshot (prerelease) releases, e.g. `0.0.0-canary-20260101000000`
    #[arg(long, value_name = "TAG", num_args = 0..=1, default_missing_value = "")]
    pub snapshot: Option<String>,
    /// Template for the snapshot suffix: {tag} {commit} {commit-short} {timestamp} {datetime}
    #[arg(long, value_name = "TEMPLATE")]
    pub snapshot_prerelease_template: Option<String>,
    /// Skip a package (and leave its change files), as config `ignore` does; repeatable
    #[arg(long, value_name = "PACKAGE")]
    pub ignore: Vec<String>,
    /// Print a unified diff of every edit and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Undo an interrupted `relay version`: put back every file from its undo journal
    #[arg(long, conflicts_with_all = ["snapshot", "dry_run", "ignore"])]
    pub recover: bool,
}

fn env_nonempty(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

pub fn run(ctx: &Ctx, args: VersionArgs) -> CliResult {
    let root = ctx.root()?;
    let journal = root.join(UNDO_JOURNAL);
    if args.recover {
        return match fsx::recover(&journal).map_err(CliError::user)? {
            Some(n) => {
                ctx.console.info(&format!(
                    "restored {n} file(s) to their state before the interrupted `relay version`"
                ));
                Ok(())
            }
            None => Err(CliError::user(format!(
                "nothing to recover: there is no {UNDO_JOURNAL}"
            ))),
        };
    }
    if journal.exists() {
        return Err(CliError::user(format!(
            "{UNDO_JOURNAL}: an earlier `relay version` was interrupted before it finished, and this journal holds every file it was changing as it was before. Run `relay version --recover` to put them back, then run `relay version` again."
        )));
    }
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    if !root.join(changeset::CHANGESET_DIR).is_dir() {
        return Err(CliError::user(
            "There is no .changeset directory in this project. Run `relay init` to create one.",
        ));
    }
    let file = settings::load_config_file(&root).map_err(CliError::user)?;
    let mut config = file.config.clone();
    let tool = ws.tool;

    let mut messages = Vec::new();
    if !args.ignore.is_empty() {
        if !config.ignore.is_empty() {
            messages.push(
                "It looks like you are trying to use the `--ignore` option while ignore is defined in the config file. This is currently not allowed, you can only use one of them at a time."
                    .to_string(),
            );
        } else {
            config.ignore = args.ignore.clone();
        }
    }
    for name in &args.ignore {
        if !ws.packages.iter().any(|p| &p.name == name) {
            messages.push(format!(
                "The package {name} is passed to the `--ignore` option but it is not found in the project. You may have misspelled the package name."
            ));
        }
    }
    if !messages.is_empty() {
        return Err(CliError::user(messages.join("\n")));
    }
    let config_text = std::fs::read_to_string(root.join(settings::CONFIG_PATH)).ok();
    let resolved =
        ResolvedConfig::resolve(&config, &ws, config_text.as_deref()).map_err(CliError::user)?;
    for w in &resolved.warnings {
        ctx.console.warn(w);
    }
    config.fixed = resolved.fixed;
    config.linked = resolved.linked;
    config.ignore = resolved.ignore;
    if let Some(t) = &args.snapshot_prerelease_template {
        config.snapshot.prerelease_template = Some(t.clone());
    }
    if args.snapshot.is_some() {
        // changesets never commits snapshot versions.
        config.commit = ModuleSetting::Disabled;
    }

    let relay_toml = settings::load_relay_toml(&root).map_err(CliError::user)?;
    let changesets = changeset::read_all(&root).map_err(CliError::user)?;
    // The commits that added the change files come from `git log`, which runs while the plan
    // is computed (a few of those files may end up unused: the lookup is a single pass anyway).
    let commit_lookup = (!matches!(config.changelog, ModuleSetting::Disabled)
        && !changesets.is_empty())
    .then(|| {
        let root = root.clone();
        let paths: Vec<String> = changesets
            .iter()
            .map(|c| format!(".changeset/{}.md", c.id))
            .collect();
        std::thread::spawn(move || crate::git::commits_that_add_files(&root, ".changeset", &paths))
    });
    let pre = if args.dry_run {
        changeset::read_pre_state(&root)
    } else {
        changeset::migrate_pre_state(&root)
    }
    .map_err(CliError::user)?;
    let pre_state = pre.map(|p| PlanPreState {
        mode: p.mode,
        tag: p.tag,
    });

    if let Some(p) = &pre_state
        && p.mode == PreMode::Pre
    {
        if args.snapshot.is_some() {
            return Err(CliError::user(
                "Snapshot release is not allowed in pre mode.\nTo resolve this exit the pre mode by running `relay pre exit`.",
            ));
        }
        ctx.console.warn(
            "You are in prerelease mode!\nIf you meant to do a normal release you should revert these changes and run `relay pre exit`.\nYou can then run `relay version` again to do a normal release.",
        );
    }
    if changesets.is_empty() && pre_state.as_ref().is_none_or(|p| p.mode != PreMode::Exit) {
        ctx.console.warn("No unreleased changesets found.");
        return Err(CliError::silent());
    }

    let snapshot = match &args.snapshot {
        None => None,
        Some(tag) => {
            let template = config.snapshot.prerelease_template.as_deref().unwrap_or("");
            let commit = if template.contains("{commit}") || template.contains("{commit-short}") {
                Some(
                    crate::git::Repo::open(&root)
                        .and_then(|r| r.head_commit())
                        .map_err(CliError::user)?,
                )
            } else {
                None
            };
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            Some(Snapshot {
                tag: Some(tag.clone()).filter(|t| !t.is_empty()),
                commit,
                timestamp_ms: now_ms,
            })
        }
    };

    let plan = plan::assemble(&plan::PlanInput {
        workspace: &ws,
        changesets: &changesets,
        config: &config,
        pre_state: pre_state.as_ref(),
        snapshot: snapshot.as_ref(),
    })
    .map_err(CliError::user)?;

    // Changelog generator and the commits that added the change files.
    let user_template = match &relay_toml.changelog.template {
        Some(p) => {
            let path = root.join(p);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                CliError::user(format!(
                    "relay.toml [changelog] template: {}: {e}",
                    path.display()
                ))
            })?;
            Some((p.clone(), text))
        }
        None => None,
    };
    let env = GeneratorEnv {
        github_repository: env_nonempty("GITHUB_REPOSITORY"),
        github_server_url: env_nonempty("GITHUB_SERVER_URL"),
    };
    let generator =
        changelog::resolve(&config.changelog, user_template, &env).map_err(CliError::user)?;
    let mut renderer = match generator {
        Some(g) => Some(Renderer::new(g).map_err(CliError::user)?),
        None => None,
    };
    let found = commit_lookup
        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .unwrap_or_default();
    let commits: BTreeMap<String, String> = if renderer.is_some() {
        plan.changesets
            .iter()
            .filter_map(|c| {
                found
                    .get(&format!(".changeset/{}.md", c.id))
                    .map(|sha| (c.id.clone(), sha.clone()))
            })
            .collect()
    } else {
        BTreeMap::new()
    };

    let compute = |renderer: Option<&Renderer>| {
        version::compute_edits(
            &VersionInput {
                workspace: &ws,
                plan: &plan,
                config: &config,
                snapshot: args.snapshot.is_some(),
                changelog: renderer.map(|r| r as &dyn changelog::LineRenderer),
                commits: &commits,
            },
            &DiskFiles,
        )
        .map_err(CliError::user)
    };
    let mut edits = compute(renderer.as_ref())?;
    if let Some(r) = renderer.as_mut() {
        let misses = r.take_misses();
        if !misses.is_empty() {
            let server = env
                .github_server_url
                .clone()
                .unwrap_or_else(|| "https://github.com".into());
            let Some(token) = env_nonempty("GITHUB_TOKEN").map(Secret::new) else {
                return Err(CliError::user(changelog::github::GithubError::NoToken {
                    what: describe(&misses),
                    server,
                }));
            };
            let url = match &relay_toml.changelog.github_api_url {
                Some(base) => format!("{}/graphql", base.trim_end_matches('/')),
                None => env_nonempty("GITHUB_GRAPHQL_URL")
                    .unwrap_or_else(|| "https://api.github.com/graphql".into()),
            };
            changelog::github::fetch(&url, &token, &misses, r.github_data_mut())
                .map_err(CliError::user)?;
            edits = compute(Some(r))?;
        }
    }

    if args.dry_run {
        print_diff(&root, &edits.ops).map_err(CliError::user)?;
        ctx.console.info(&format!(
            "dry run: {} edit(s), nothing written",
            edits.ops.len()
        ));
        return Ok(());
    }

    let test_hook = |key: &str| {
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    // changesets formats the CHANGELOGs it wrote (config `format`); relay does it while the
    // undo journal still holds the previous bytes, so a failing formatter changes nothing.
    let changelogs: Vec<std::path::PathBuf> = edits
        .ops
        .iter()
        .filter_map(|op| match op {
            fsx::FileOp::Write { path, .. }
                if path.file_name().is_some_and(|n| n == "CHANGELOG.md") =>
            {
                Some(path.clone())
            }
            _ => None,
        })
        .collect();
    let formatter = (!changelogs.is_empty())
        .then(|| crate::formatter::resolve(file.format, &root))
        .flatten();
    let format = || match formatter {
        Some(f) => crate::formatter::run(f, tool, &root, &changelogs),
        None => Ok(()),
    };
    let opts = fsx::BatchOptions {
        undo_journal: Some(&journal),
        fail_at: test_hook(FAIL_AT_ENV),
        crash_at: test_hook(CRASH_AT_ENV),
        after: Some(&format),
    };
    fsx::apply_all(&edits.ops, opts).map_err(|e| match e {
        fsx::BatchError::Io { .. } => CliError::user(format!(
            "writing the version edits failed, every file was restored: {e}"
        )),
        fsx::BatchError::After(m) => CliError::user(format!(
            "{m}\nevery file was restored; fix the formatter or set \"format\": false in .changeset/config.json"
        )),
        _ => CliError::user(format!("writing the version edits failed: {e}")),
    })?;

    if let ModuleSetting::Module { name, options } = &config.commit {
        if name != "@changesets/cli/commit" {
            return Err(CliError::user(format!(
                "files were updated, but the commit module `{name}` is a JavaScript module relay cannot run; use \"commit\": true (changesets' built-in messages) or commit yourself"
            )));
        }
        let skip_ci = options
            .as_ref()
            .and_then(|o| o.get("skipCI"))
            .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("version"));
        let message = version::version_commit_message(&plan, skip_ci);
        let paths = touched_paths(&root, &edits.ops);
        for p in &paths {
            // As in changesets, a path git refuses (a deleted, never-committed change file)
            // is reported and skipped.
            if let Err(e) = crate::git::add(&root, Path::new(p)) {
                ctx.console.debug(&e.to_string());
            }
        }
        crate::git::commit(&root, &message)
            .map_err(|e| CliError::user(format!("files were updated but not committed: {e}")))?;
        ctx.console
            .info("All files have been updated and committed. You're ready to publish!");
    } else {
        ctx.console
            .info("All files have been updated. Review them and commit at your leisure");
    }
    Ok(())
}

fn describe(misses: &[changelog::github::Lookup]) -> String {
    use changelog::github::Lookup;
    let parts: Vec<String> = misses
        .iter()
        .take(3)
        .map(|m| match m {
            Lookup::Commit { sha, .. } => format!("commit {}", &sha[..sha.len().min(7)]),
            Lookup::Pull { number, .. } => format!("pull request #{number}"),
        })
        .collect();
    let more = misses.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", parts.join(", "))
    } else {
        parts.join(", ")
    }
}

/// Every path an op touches, relative to the root, in op order, without repeats.
fn touched_paths(root: &Path, ops: &[FileOp]) -> Vec<String> {
    let mut seen = HashSet::new();
    ops.iter()
        .map(|o| display_rel(root, o.path()))
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

/// A unified diff of every op (`--dry-run`).
fn print_diff(root: &Path, ops: &[FileOp]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for op in ops {
        let rel = display_rel(root, op.path());
        let before = std::fs::read(op.path()).ok();
        let before_text = before
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let after_text = match op {
            FileOp::Write { contents, .. } => String::from_utf8_lossy(contents).into_owned(),
            FileOp::Remove { .. } => String::new(),
        };
        let old_name = if before.is_some() {
            format!("a/{rel}")
        } else {
            "/dev/null".to_string()
        };
        let new_name = match op {
            FileOp::Write { .. } => format!("b/{rel}"),
            FileOp::Remove { .. } => "/dev/null".to_string(),
        };
        let diff = similar::TextDiff::from_lines(&before_text, &after_text);
        write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
                .missing_newline_hint(true)
        )?;
    }
    out.flush()
}
