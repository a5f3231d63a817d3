//! `relay add`: write a change file, interactively or from flags (changesets' `add`).

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use rand::SeedableRng;

use super::{CliError, CliResult, Ctx};
use crate::changeset::{self, BumpType, ChangesetError, Release};
use crate::report::Reporter;
use crate::settings::{self, ConfigFile, ModuleSetting, ResolvedConfig};
use crate::workspace::{self, Package, Workspace};

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Write an empty change file (releases nothing; satisfies `relay status`)
    #[arg(long)]
    pub empty: bool,
    /// Packages to give a major bump (repeatable, comma-separated)
    #[arg(long, value_name = "PKG", value_delimiter = ',')]
    pub major: Vec<String>,
    /// Packages to give a minor bump (repeatable, comma-separated)
    #[arg(long, value_name = "PKG", value_delimiter = ',')]
    pub minor: Vec<String>,
    /// Packages to give a patch bump (repeatable, comma-separated)
    #[arg(long, value_name = "PKG", value_delimiter = ',')]
    pub patch: Vec<String>,
    /// The summary (skips the summary prompt)
    #[arg(short, long)]
    pub message: Option<String>,
    /// Preselect packages changed since REF instead of the base branch
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
}

/// A repository whose workspace, config, relay.toml, change files and pre state all read
/// and validate cleanly.
pub(super) struct Checked {
    pub root: PathBuf,
    pub ws: Workspace,
    pub config: ConfigFile,
    pub resolved: ResolvedConfig,
}

pub(super) fn changeset_error(e: ChangesetError) -> CliError {
    if e.is_usage() {
        CliError::usage(e)
    } else {
        CliError::user(e)
    }
}

/// Reads and validates everything `add` and `pre` rely on, before anything is written.
pub(super) fn load_repo(ctx: &Ctx) -> Result<Checked, CliError> {
    let root = ctx.root()?;
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    if !root.join(changeset::CHANGESET_DIR).is_dir() {
        return Err(CliError::user(
            "There is no .changeset folder.\nIf this is the first time relay or changesets \
             have been used in this project, run `relay init` to get set up.\nIf you expected \
             there to be changesets, check git history for when the folder was removed to \
             ensure you do not lose any configuration.",
        ));
    }
    let (config, resolved) = settings::load_resolved(&root, &ws).map_err(CliError::user)?;
    for w in &resolved.warnings {
        ctx.console.warn(w);
    }
    settings::load_relay_toml(&root).map_err(CliError::user)?;
    let changesets = changeset::read_all(&root).map_err(changeset_error)?;
    changeset::validate_against(&changesets, &ws).map_err(changeset_error)?;
    changeset::read_pre_state(&root).map_err(changeset_error)?;
    Ok(Checked {
        root,
        ws,
        config,
        resolved,
    })
}

/// changesets' `shouldSkipPackage`.
pub(super) fn is_skipped(p: &Package, config: &ConfigFile, resolved: &ResolvedConfig) -> bool {
    resolved.ignore.contains(&p.name)
        || (p.private && !config.config.private_packages.version)
        || p.version.as_deref().is_none_or(str::is_empty)
}

/// Why a prompt gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(String),
}

/// The questions `add` asks; behind a trait so tests can script the answers.
pub trait Prompter {
    /// Indices of the chosen options; `preselected` start checked; `required` refuses none.
    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        preselected: &[usize],
        required: bool,
    ) -> Result<Vec<usize>, PromptError>;
    fn select(&mut self, message: &str, options: &[String]) -> Result<usize, PromptError>;
    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError>;
    /// A line of text; `allow_empty = false` re-asks until something is typed.
    fn text(&mut self, message: &str, allow_empty: bool) -> Result<String, PromptError>;
    /// Opens `$VISUAL`/`$EDITOR` on `initial` and returns what was saved.
    fn editor(&mut self, initial: &str) -> Result<String, PromptError>;
    /// Information shown between questions.
    fn note(&mut self, message: &str);
}

/// The terminal prompter (inquire on stderr).
pub struct InquirePrompter;

fn inquire_err(e: inquire::InquireError) -> PromptError {
    match e {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            PromptError::Cancelled
        }
        other => PromptError::Failed(other.to_string()),
    }
}

impl Prompter for InquirePrompter {
    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        preselected: &[usize],
        required: bool,
    ) -> Result<Vec<usize>, PromptError> {
        let mut prompt = inquire::MultiSelect::new(message, options.to_vec())
            .with_default(preselected)
            .with_page_size(15)
            .with_help_message("↑↓ to move, space to select, → all, ← none, enter to confirm");
        if required {
            prompt =
                prompt.with_validator(|sel: &[inquire::list_option::ListOption<&String>]| {
                    Ok(if sel.is_empty() {
                        inquire::validator::Validation::Invalid(
                            "Select at least one package".into(),
                        )
                    } else {
                        inquire::validator::Validation::Valid
                    })
                });
        }
        prompt
            .raw_prompt()
            .map(|v| v.into_iter().map(|o| o.index).collect())
            .map_err(inquire_err)
    }

    fn select(&mut self, message: &str, options: &[String]) -> Result<usize, PromptError> {
        inquire::Select::new(message, options.to_vec())
            .raw_prompt()
            .map(|o| o.index)
            .map_err(inquire_err)
    }

    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError> {
        inquire::Confirm::new(message)
            .with_default(default)
            .prompt()
            .map_err(inquire_err)
    }

    fn text(&mut self, message: &str, allow_empty: bool) -> Result<String, PromptError> {
        let mut p = inquire::Text::new(message);
        if allow_empty {
            p = p.with_help_message("submit nothing to open an external editor");
        } else {
            p = p.with_validator(inquire::required!("Please enter a summary"));
        }
        p.prompt().map_err(inquire_err)
    }

    fn editor(&mut self, initial: &str) -> Result<String, PromptError> {
        let editor = std::env::var("VISUAL")
            .or_else(|_| std::env::var("EDITOR"))
            .map_err(|_| PromptError::Failed("neither $VISUAL nor $EDITOR is set".into()))?;
        let dir = tempfile::tempdir().map_err(|e| PromptError::Failed(e.to_string()))?;
        let file = dir.path().join("changeset.md");
        std::fs::write(&file, initial).map_err(|e| PromptError::Failed(e.to_string()))?;
        // `$EDITOR` may carry arguments (`code --wait`); let the shell split them.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&file)
            .status()
            .map_err(|e| PromptError::Failed(format!("could not start {editor}: {e}")))?;
        if !status.success() {
            return Err(PromptError::Failed(format!(
                "{editor} exited with {status}"
            )));
        }
        std::fs::read_to_string(&file).map_err(|e| PromptError::Failed(e.to_string()))
    }

    fn note(&mut self, message: &str) {
        eprintln!("{message}");
    }
}

/// What the summary editor starts with; comment lines are dropped afterwards.
const EDITOR_TEMPLATE: &str =
    "\n\n# Please enter a summary for your changes.\n# An empty message aborts the editor.";

/// changesets' `askWithEditor` post-processing: drop `#` lines and trailing newlines, trim.
fn strip_editor_text(text: &str) -> String {
    let kept: String = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with('#'))
        .collect();
    kept.trim().to_string()
}

fn version_of(p: &Package) -> &str {
    p.version.as_deref().unwrap_or("0.0.0")
}

fn below_one(p: &Package) -> bool {
    // semver's `lt(version, "1.0.0")`: 1.0.0-beta counts too.
    match (
        nodejs_semver::Version::parse(version_of(p)),
        nodejs_semver::Version::parse("1.0.0"),
    ) {
        (Ok(v), Ok(one)) => v < one,
        _ => false,
    }
}

fn confirm_first_major(prompter: &mut dyn Prompter, p: &Package) -> Result<bool, PromptError> {
    if !below_one(p) {
        return Ok(true);
    }
    prompter.note(&format!(
        "The major version of {} will be its first major release (1.0.0).\nIf you are unsure \
         if this is correct, contact the package's maintainers before committing this \
         changeset.",
        p.name
    ));
    prompter.confirm(
        &format!(
            "Are you sure you want to release the first major version of {}?",
            p.name
        ),
        false,
    )
}

/// changesets' interactive `createChangeset`: which packages, which get major, which minor
/// (the rest patch), then the summary. `changed` preselects packages.
pub fn ask_changeset(
    prompter: &mut dyn Prompter,
    packages: &[&Package],
    changed: &[String],
    message: Option<&str>,
) -> Result<(Vec<Release>, String), CliError> {
    let cancelled = |e: PromptError| match e {
        PromptError::Cancelled => CliError::user("cancelled; no change file was written"),
        PromptError::Failed(m) => CliError::user(format!("prompt failed: {m}")),
    };
    let mut releases = Vec::new();
    if packages.len() > 1 {
        let mut sorted: Vec<&Package> = packages.to_vec();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        // Changed packages first (preselected), then the rest, as changesets groups them.
        let (mut list, rest): (Vec<&Package>, Vec<&Package>) =
            sorted.into_iter().partition(|p| changed.contains(&p.name));
        let n_changed = list.len();
        list.extend(rest);
        let labels: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{}{}{}",
                    p.name,
                    if p.private { " (private)" } else { "" },
                    if i < n_changed { "  [changed]" } else { "" }
                )
            })
            .collect();
        let pre: Vec<usize> = (0..n_changed).collect();
        let mut chosen: Vec<&Package> = prompter
            .multi_select(
                "Which packages were affected by the changes you made?",
                &labels,
                &pre,
                true,
            )
            .map_err(cancelled)?
            .into_iter()
            .filter_map(|i| list.get(i).copied())
            .collect();
        if chosen.is_empty() {
            return Err(CliError::user(
                "no package selected; no change file was written",
            ));
        }
        chosen.sort_by(|a, b| a.name.cmp(&b.name));
        let mut left: Vec<&Package> = chosen.clone();
        let label = |p: &Package| format!("{}@{}", p.name, version_of(p));

        let majors = prompter
            .multi_select(
                "Which packages should have a major (X.0.0) bump?",
                &left.iter().map(|p| label(p)).collect::<Vec<_>>(),
                &[],
                false,
            )
            .map_err(cancelled)?;
        let major_pkgs: Vec<&Package> = majors
            .iter()
            .filter_map(|&i| left.get(i).copied())
            .collect();
        for p in major_pkgs {
            if confirm_first_major(prompter, p).map_err(cancelled)? {
                left.retain(|q| q.name != p.name);
                releases.push(Release {
                    name: p.name.clone(),
                    bump: BumpType::Major,
                });
            }
        }
        if !left.is_empty() {
            let minors = prompter
                .multi_select(
                    "Which packages should have a minor (0.X.0) bump?",
                    &left.iter().map(|p| label(p)).collect::<Vec<_>>(),
                    &[],
                    false,
                )
                .map_err(cancelled)?;
            let minor_names: HashSet<String> = minors
                .iter()
                .filter_map(|&i| left.get(i).map(|p| p.name.clone()))
                .collect();
            for p in left.iter().filter(|p| minor_names.contains(&p.name)) {
                releases.push(Release {
                    name: p.name.clone(),
                    bump: BumpType::Minor,
                });
            }
            left.retain(|p| !minor_names.contains(&p.name));
        }
        if !left.is_empty() {
            prompter.note(&format!(
                "The following packages will be patch (0.0.X) bumped:\n{}",
                left.iter().map(|p| label(p)).collect::<Vec<_>>().join(", ")
            ));
            for p in left {
                releases.push(Release {
                    name: p.name.clone(),
                    bump: BumpType::Patch,
                });
            }
        }
    } else if let Some(p) = packages.first() {
        let types = [BumpType::Patch, BumpType::Minor, BumpType::Major];
        let i = prompter
            .select(
                &format!(
                    "What kind of change is this for {}? (current version is {})",
                    p.name,
                    version_of(p)
                ),
                &[
                    "patch (0.0.X)".into(),
                    "minor (0.X.0)".into(),
                    "major (X.0.0)".into(),
                ],
            )
            .map_err(cancelled)?;
        let bump = types.get(i).copied().unwrap_or(BumpType::Patch);
        if bump == BumpType::Major && !confirm_first_major(prompter, p).map_err(cancelled)? {
            return Err(CliError::user("cancelled; no change file was written"));
        }
        releases.push(Release {
            name: p.name.clone(),
            bump,
        });
    }
    let summary = ask_summary(prompter, message).map_err(cancelled)?;
    Ok((releases, summary))
}

fn ask_summary(prompter: &mut dyn Prompter, message: Option<&str>) -> Result<String, PromptError> {
    if let Some(m) = message {
        return Ok(m.to_string());
    }
    let summary = prompter.text(
        "Please enter a summary for this change (this will be in the changelogs).",
        true,
    )?;
    if !summary.is_empty() {
        return Ok(summary);
    }
    let from_editor = match prompter.editor(EDITOR_TEMPLATE) {
        Ok(text) => strip_editor_text(&text),
        Err(PromptError::Cancelled) => return Err(PromptError::Cancelled),
        Err(PromptError::Failed(m)) => {
            prompter.note(&format!("An error happened using the external editor: {m}"));
            return prompter.text("Please type your summary here:", false);
        }
    };
    if !from_editor.is_empty() {
        return Ok(from_editor);
    }
    prompter.text(
        "Did not find a summary in the edited file. Please enter one:",
        false,
    )
}

/// `--major/--minor/--patch`: every name must be a versionable package, and in one list only.
pub fn releases_from_flags(
    packages: &[&Package],
    args: &AddArgs,
) -> Result<Vec<Release>, CliError> {
    let names: HashSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let mut problems = Vec::new();
    for (flag, list) in [
        ("--major", &args.major),
        ("--minor", &args.minor),
        ("--patch", &args.patch),
    ] {
        for name in list {
            if !names.contains(name.as_str()) {
                let hint = changeset::suggest_name(name, names.iter().copied())
                    .map(|s| format!(" Did you mean \"{s}\"?"))
                    .unwrap_or_default();
                problems.push(format!(
                    "The package {name} is passed to the `{flag}` option but it is not found \
                     in the project (or is not versionable). You may have misspelled the package \
                     name.{hint}"
                ));
            }
        }
    }
    let sets: Vec<HashSet<&str>> = [&args.major, &args.minor, &args.patch]
        .iter()
        .map(|l| {
            l.iter()
                .map(String::as_str)
                .filter(|n| names.contains(n))
                .collect()
        })
        .collect();
    let mut reported = HashSet::new();
    for list in [&args.major, &args.minor, &args.patch] {
        for name in list {
            let flags: Vec<&str> = ["--major", "--minor", "--patch"]
                .iter()
                .zip(&sets)
                .filter(|(_, s)| s.contains(name.as_str()))
                .map(|(f, _)| *f)
                .collect();
            if flags.len() > 1 && reported.insert(name.clone()) {
                problems.push(format!(
                    "The package {name} is passed to multiple release type options: {}. Please \
                     select only one release type for this package.",
                    flags
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(CliError::usage(problems.join("\n")));
    }
    let mut releases = Vec::new();
    for (bump, list) in [
        (BumpType::Major, &args.major),
        (BumpType::Minor, &args.minor),
        (BumpType::Patch, &args.patch),
    ] {
        for name in list {
            // A name repeated within one flag is written once.
            if !releases.iter().any(|r: &Release| &r.name == name) {
                releases.push(Release {
                    name: name.clone(),
                    bump,
                });
            }
        }
    }
    Ok(releases)
}

/// The packages changed since `reference` that can be versioned (best effort: a git problem
/// only costs the preselection).
fn changed_versionable(ctx: &Ctx, repo: &Checked, reference: &str) -> Vec<String> {
    let result = crate::git::Repo::open(&repo.root).and_then(|g| {
        crate::git::changed_packages_since(
            &g,
            &repo.ws,
            reference,
            &repo.config.config.changed_file_patterns,
        )
        .map(|pkgs| {
            pkgs.into_iter()
                .filter(|p| !is_skipped(p, &repo.config, &repo.resolved))
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        })
    });
    match result {
        Ok(names) => names,
        Err(e) => {
            ctx.console.warn(&format!(
                "Failed to identify which packages have changed since the {} due to an error:\n{e}",
                if reference == repo.config.config.base_branch {
                    "base branch"
                } else {
                    "ref"
                }
            ));
            Vec::new()
        }
    }
}

/// `docs(changeset): <summary>` (+ `[skip ci]`), the built-in commit module's add message.
fn add_commit_message(commit: &ModuleSetting, summary: &str) -> Result<Option<String>, CliError> {
    match commit {
        ModuleSetting::Disabled => Ok(None),
        ModuleSetting::Module { name, options } if name == "@changesets/cli/commit" => {
            let skip = options.as_ref().and_then(|o| o.get("skipCI"));
            let skip_ci = matches!(skip, Some(serde_json::Value::Bool(true)))
                || skip.and_then(|v| v.as_str()) == Some("add");
            Ok(Some(format!(
                "docs(changeset): {summary}{}",
                if skip_ci { "\n\n[skip ci]\n" } else { "" }
            )))
        }
        ModuleSetting::Module { name, .. } => Err(CliError::user(format!(
            "{}: \"commit\" names the JavaScript module \"{name}\", which relay cannot run. Use \
             `true` (changesets' built-in commit messages) or `false`.",
            settings::CONFIG_PATH
        ))),
    }
}

/// changesets' `printConfirmationMessage`.
fn print_confirmation(ctx: &Ctx, releases: &[Release], many_packages: bool) {
    let mut msg = String::from("Summary of changesets:");
    for bump in [BumpType::Major, BumpType::Minor, BumpType::Patch] {
        let names: Vec<&str> = releases
            .iter()
            .filter(|r| r.bump == bump)
            .map(|r| r.name.as_str())
            .collect();
        if !names.is_empty() {
            msg.push_str(&format!("\n{bump}:  {}", names.join(", ")));
        }
    }
    ctx.console.info(&msg);
    if many_packages {
        ctx.console.info(
            "NOTE: All packages that depend on these whose required versions will be \
             incompatible will also be patch bumped when this changeset is applied.",
        );
    }
}

fn display_path(root: &Path, rel: &Path) -> String {
    // Like changesets, relative to the directory relay was started in (`../../.changeset/x.md`
    // from a package directory).
    let abs = root.join(rel);
    let Ok(cwd) = std::env::current_dir() else {
        return abs.display().to_string();
    };
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (abs_c, cwd_c) = (canon(&abs), canon(&cwd));
    let a: Vec<_> = abs_c.components().collect();
    let c: Vec<_> = cwd_c.components().collect();
    let common = a.iter().zip(&c).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return abs.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..c.len() {
        out.push("..");
    }
    for comp in &a[common..] {
        out.push(comp.as_os_str());
    }
    out.display().to_string()
}

pub fn run(ctx: &Ctx, args: AddArgs) -> CliResult {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    run_with(ctx, args, interactive, &mut InquirePrompter)
}

pub fn run_with(
    ctx: &Ctx,
    args: AddArgs,
    interactive: bool,
    prompter: &mut dyn Prompter,
) -> CliResult {
    let has_flags = !(args.major.is_empty() && args.minor.is_empty() && args.patch.is_empty());
    // Decide before reading anything whether we could ever get an answer.
    if !args.empty && !interactive && (!has_flags || args.message.is_none()) {
        return Err(CliError::usage(
            "relay add needs a terminal to ask questions. Without one, pass the releases and \
             summary as flags, e.g. `relay add --minor pkg-a --patch pkg-b -m \"Summary\"`, or \
             `relay add --empty`.",
        ));
    }
    let repo = load_repo(ctx)?;
    let all = changeset::versionable_packages(&repo.ws);
    if all.is_empty() {
        return Err(CliError::user(format!(
            "No packages found. You might have {:?} workspaces configured but no packages yet?",
            repo.ws.tool
        )));
    }
    let versionable: Vec<&Package> = all
        .into_iter()
        .filter(|p| !is_skipped(p, &repo.config, &repo.resolved))
        .collect();
    if versionable.is_empty() {
        return Err(CliError::user(
            "No versionable packages found\n  Ensure the packages to version are not ignored by \
             the config\n  Ensure that relevant package.json files have a `version` field",
        ));
    }
    // Checked before writing so a config relay cannot honour changes nothing.
    add_commit_message(&repo.config.config.commit, "")?;

    let (releases, summary) = if args.empty {
        (Vec::new(), args.message.clone().unwrap_or_default())
    } else if has_flags {
        let releases = releases_from_flags(&versionable, &args)?;
        let summary = ask_summary(prompter, args.message.as_deref())
            .map_err(|_| CliError::user("cancelled; no change file was written"))?;
        (releases, summary)
    } else {
        let reference = args
            .since
            .clone()
            .unwrap_or_else(|| repo.config.config.base_branch.clone());
        let changed = changed_versionable(ctx, &repo, &reference);
        ask_changeset(prompter, &versionable, &changed, args.message.as_deref())?
    };

    if !args.empty {
        print_confirmation(ctx, &releases, versionable.len() > 1);
    }

    let mut rng = match std::env::var("RELAY_ADD_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
        None => rand::rngs::StdRng::from_os_rng(),
    };
    let written =
        changeset::write(&repo.root, &releases, &summary, &mut rng).map_err(changeset_error)?;
    // changesets formats the new file (config `format`). If the formatter fails the file goes
    // away again: a failed `relay add` leaves nothing behind.
    if let Some(f) = crate::formatter::resolve(repo.config.format, &repo.root)
        && let Err(e) = crate::formatter::run(
            f,
            repo.ws.tool,
            &repo.root,
            std::slice::from_ref(&written.path),
        )
    {
        let _ = std::fs::remove_file(&written.path);
        return Err(CliError::user(format!(
            "{e}\nno change file was written; fix the formatter or set \"format\": false in .changeset/config.json"
        )));
    }

    if let Some(msg) = add_commit_message(&repo.config.config.commit, &summary)? {
        crate::git::add(&repo.root, &written.path)
            .and_then(|_| crate::git::commit(&repo.root, &msg))
            .map_err(|e| {
                CliError::user(format!(
                    "wrote {} but could not commit it: {e}",
                    written.path.display()
                ))
            })?;
        ctx.console.info(&format!(
            "{}Changeset added and committed!",
            if args.empty { "Empty " } else { "" }
        ));
    } else {
        ctx.console.info(&format!(
            "{}Changeset added - you can now commit it!",
            if args.empty { "Empty " } else { "" }
        ));
    }
    if releases.iter().any(|r| r.bump == BumpType::Major) {
        ctx.console.warn(
            "This Changeset includes a major change and we STRONGLY recommend adding more \
             information to the changeset:\n  WHAT the breaking change is\n  WHY the change was \
             made\n  HOW a consumer should update their code",
        );
    }
    println!("{}", display_path(&repo.root, &written.path));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[derive(Debug)]
    enum Answer {
        Multi(Vec<usize>),
        Select(usize),
        Confirm(bool),
        Text(&'static str),
        Editor(Result<&'static str, &'static str>),
    }

    /// Answers questions from a script and records what was asked.
    struct Scripted {
        answers: VecDeque<Answer>,
        asked: Vec<String>,
    }

    impl Scripted {
        fn new(answers: Vec<Answer>) -> Self {
            Scripted {
                answers: answers.into(),
                asked: Vec::new(),
            }
        }
        fn next(&mut self, q: String) -> Answer {
            self.asked.push(q.clone());
            self.answers
                .pop_front()
                .unwrap_or_else(|| panic!("unscripted question: {q}"))
        }
    }

    impl Prompter for Scripted {
        fn multi_select(
            &mut self,
            message: &str,
            options: &[String],
            preselected: &[usize],
            _required: bool,
        ) -> Result<Vec<usize>, PromptError> {
            match self.next(format!("{message} {options:?} pre={preselected:?}")) {
                Answer::Multi(v) => Ok(v),
                a => panic!("expected multi, script has {a:?}"),
            }
        }
        fn select(&mut self, message: &str, options: &[String]) -> Result<usize, PromptError> {
            match self.next(format!("{message} {options:?}")) {
                Answer::Select(i) => Ok(i),
                a => panic!("expected select, script has {a:?}"),
            }
        }
        fn confirm(&mut self, message: &str, _default: bool) -> Result<bool, PromptError> {
            match self.next(message.to_string()) {
                Answer::Confirm(b) => Ok(b),
                a => panic!("expected confirm, script has {a:?}"),
            }
        }
        fn text(&mut self, message: &str, _allow_empty: bool) -> Result<String, PromptError> {
            match self.next(message.to_string()) {
                Answer::Text(t) => Ok(t.to_string()),
                a => panic!("expected text, script has {a:?}"),
            }
        }
        fn editor(&mut self, initial: &str) -> Result<String, PromptError> {
            match self.next(format!("editor {initial:?}")) {
                Answer::Editor(Ok(t)) => Ok(t.to_string()),
                Answer::Editor(Err(e)) => Err(PromptError::Failed(e.to_string())),
                a => panic!("expected editor, script has {a:?}"),
            }
        }
        fn note(&mut self, _message: &str) {}
    }

    fn pkg(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: Some(version.into()),
            dir: format!("packages/{name}"),
            manifest_path: PathBuf::from(format!("/r/packages/{name}/package.json")),
            ..Default::default()
        }
    }

    fn rel(name: &str, bump: BumpType) -> Release {
        Release {
            name: name.into(),
            bump,
        }
    }

    #[test]
    fn monorepo_flow_major_minor_patch() {
        let (a, b, c, d) = (
            pkg("a", "1.0.0"),
            pkg("b", "0.3.0"),
            pkg("c", "2.0.0"),
            pkg("d", "1.0.0"),
        );
        let pkgs = [&d, &c, &b, &a];
        let mut p = Scripted::new(vec![
            // list: changed [c] first, then a, b, d → pick c, a, b
            Answer::Multi(vec![0, 1, 2]),
            // major among sorted [a, b, c]: a and b (b < 1.0 → confirm → no)
            Answer::Multi(vec![0, 1]),
            Answer::Confirm(false),
            // minor among left [b, c]: c
            Answer::Multi(vec![1]),
            Answer::Text(""),
            Answer::Editor(Ok("# comment\nFrom the editor\n\n# more\n")),
        ]);
        let (releases, summary) = ask_changeset(&mut p, &pkgs, &["c".to_string()], None).unwrap();
        assert_eq!(
            releases,
            [
                rel("a", BumpType::Major),
                rel("c", BumpType::Minor),
                rel("b", BumpType::Patch)
            ]
        );
        assert_eq!(summary, "From the editor");
        assert!(
            p.asked[0].contains("[\"c  [changed]\", \"a\", \"b\", \"d\"] pre=[0]"),
            "{}",
            p.asked[0]
        );
        assert!(
            p.asked[1].contains("[\"a@1.0.0\", \"b@0.3.0\", \"c@2.0.0\"]"),
            "{}",
            p.asked[1]
        );
    }

    #[test]
    fn single_package_and_summary_fallbacks() {
        let a = pkg("a", "0.1.0");
        let mut p = Scripted::new(vec![
            Answer::Select(2),
            Answer::Confirm(true),
            Answer::Text(""),
            Answer::Editor(Err("no editor")),
            Answer::Text("typed"),
        ]);
        let (releases, summary) = ask_changeset(&mut p, &[&a], &[], None).unwrap();
        assert_eq!(releases, [rel("a", BumpType::Major)]);
        assert_eq!(summary, "typed");

        let mut p = Scripted::new(vec![Answer::Select(2), Answer::Confirm(false)]);
        assert!(ask_changeset(&mut p, &[&a], &[], None).is_err());

        let mut p = Scripted::new(vec![
            Answer::Select(1),
            Answer::Text(""),
            Answer::Editor(Ok("# only comments\n")),
            Answer::Text("again"),
        ]);
        let (releases, summary) = ask_changeset(&mut p, &[&a], &[], None).unwrap();
        assert_eq!(releases, [rel("a", BumpType::Minor)]);
        assert_eq!(summary, "again");

        let mut p = Scripted::new(vec![Answer::Select(0)]);
        let (_, summary) = ask_changeset(&mut p, &[&a], &[], Some("given")).unwrap();
        assert_eq!(summary, "given");
    }

    #[test]
    fn flags_validation() {
        let (a, b) = (pkg("@s/a", "1.0.0"), pkg("b", "1.0.0"));
        let pkgs = [&a, &b];
        let args = |major: &[&str], minor: &[&str], patch: &[&str]| AddArgs {
            empty: false,
            major: major.iter().map(|s| s.to_string()).collect(),
            minor: minor.iter().map(|s| s.to_string()).collect(),
            patch: patch.iter().map(|s| s.to_string()).collect(),
            message: None,
            since: None,
        };
        let r = releases_from_flags(&pkgs, &args(&["b"], &[], &["@s/a", "@s/a"])).unwrap();
        assert_eq!(r, [rel("b", BumpType::Major), rel("@s/a", BumpType::Patch)]);
        let e = releases_from_flags(&pkgs, &args(&["@s/b"], &[], &[])).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("Did you mean \"@s/a\""), "{}", e.message);
        let e = releases_from_flags(&pkgs, &args(&["b"], &["b"], &[])).unwrap_err();
        assert!(e.message.contains("`--major`, `--minor`"), "{}", e.message);
    }

    #[test]
    fn commit_messages() {
        let m = |skip: serde_json::Value| ModuleSetting::Module {
            name: "@changesets/cli/commit".into(),
            options: Some(serde_json::json!({ "skipCI": skip })),
        };
        assert_eq!(
            add_commit_message(&m("version".into()), "s")
                .unwrap()
                .unwrap(),
            "docs(changeset): s"
        );
        assert_eq!(
            add_commit_message(&m("add".into()), "s").unwrap().unwrap(),
            "docs(changeset): s\n\n[skip ci]\n"
        );
        assert_eq!(
            add_commit_message(&ModuleSetting::Disabled, "s").unwrap(),
            None
        );
        let custom = ModuleSetting::Module {
            name: "./x.js".into(),
            options: None,
        };
        assert!(add_commit_message(&custom, "s").is_err());
    }

    #[test]
    fn editor_text() {
        assert_eq!(strip_editor_text(EDITOR_TEMPLATE), "");
        assert_eq!(strip_editor_text("a\n# c\n b \n\n"), "a\n b");
    }
}
