//! `relay publish`: resolve settings, run the release executor, print the summary.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::registry::{NpmConfig, OtpPrompter, OtpState, RegistryClient, RetryPolicy};
use crate::release::auth::NpmrcAuth;
use crate::release::packer::NpmPacker;
use crate::release::plan::{PublishPlan, Strategy};
use crate::release::{self, Progress, PublishContext, PublishOptions, PublishReport};
use crate::report::Reporter;

use super::{CliError, CliResult, Ctx};

#[derive(Debug, Clone, clap::Args)]
pub struct PublishArgs {
    /// Registry URL for every package (wins over .npmrc and publishConfig)
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// Dist-tag to publish under (default: the pre-mode tag, else `latest`)
    #[arg(long)]
    pub tag: Option<String>,
    /// `direct` (publish under the tag) or `promote` (temporary tag, then one final sweep)
    #[arg(long, value_name = "STRATEGY")]
    pub strategy: Option<String>,
    /// Uploads in flight at once (default 4)
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Where the release journal is kept (default .relay/releases)
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Do not create git tags
    #[arg(long)]
    pub no_git_tag: bool,
    /// Stop starting uploads after the first failure
    #[arg(long)]
    pub fail_fast: bool,
    /// Print the plan (waves, tags, tarball sizes) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print a machine-readable summary on stdout
    #[arg(long)]
    pub json: bool,
    /// `public` or `restricted` (overrides publishConfig.access)
    #[arg(long, value_parser = ["public", "restricted"])]
    pub access: Option<String>,
    /// Do not run prepublishOnly (and the pack lifecycle scripts)
    #[arg(long)]
    pub ignore_scripts: bool,
    /// Seconds to wait for a version to become visible before publishing its dependents
    #[arg(long, value_name = "SECS")]
    pub visibility_timeout: Option<u64>,
    /// auto: OIDC trusted publishing in a supported CI, else the configured token; oidc: OIDC
    /// only; token: never OIDC (default: relay.toml `[publish] auth`, else auto)
    #[arg(long, value_enum)]
    pub auth: Option<super::auth::AuthArg>,
    /// Publish exactly the tarballs `relay pack --out-dir DIR` wrote, in its planned order,
    /// after checking each one's integrity; builds nothing, runs no script, needs no sources
    #[arg(long, value_name = "DIR")]
    pub from_pack_dir: Option<PathBuf>,
    /// One-time password for accounts with two-factor authentication on writes (also
    /// `npm_config_otp`); on a terminal relay asks for one when the registry wants it
    #[arg(long, value_name = "CODE")]
    pub otp: Option<String>,
}

/// Resolves settings into the executor's context and options.
pub(crate) fn prepare(
    ctx: &Ctx,
    args: &PublishArgs,
) -> Result<(PublishContext, PublishOptions), CliError> {
    prepare_with(ctx, args, None)
}

/// [`prepare`] with the workspace given (`--from-pack-dir` builds one from the tarballs).
pub(crate) fn prepare_with(
    ctx: &Ctx,
    args: &PublishArgs,
    workspace: Option<crate::workspace::Workspace>,
) -> Result<(PublishContext, PublishOptions), CliError> {
    let root = ctx.root()?;
    let ws = match workspace {
        Some(ws) => ws,
        None => crate::workspace::discover(&root).map_err(CliError::user)?,
    };
    let section = crate::settings::load_relay_toml(&root)
        .map_err(CliError::user)?
        .publish;
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let registry = args.registry.clone().or(section.registry.clone());
    let npm = NpmConfig::load(&root, &env, registry.as_deref()).map_err(CliError::user)?;
    let client = RegistryClient::new(RetryPolicy::from_config(&npm)).map_err(CliError::user)?;
    let strategy: Strategy = match args.strategy.as_deref() {
        Some(s) => s.parse().map_err(CliError::usage)?,
        None => match section.strategy {
            crate::settings::PublishStrategy::Direct => Strategy::Direct,
            crate::settings::PublishStrategy::Promote => Strategy::Promote,
        },
    };
    let pre = crate::changeset::read_pre_state(&root)
        .map_err(CliError::user)?
        .filter(|p| p.mode == crate::changeset::PreMode::Pre)
        .map(|p| p.tag);
    let tag =
        release::plan::choose_tag(args.tag.as_deref(), section.tag.as_deref(), pre.as_deref());
    let concurrency = args
        .concurrency
        .or(section.concurrency.map(|c| c as usize))
        .unwrap_or(4);
    if concurrency == 0 {
        return Err(CliError::usage("--concurrency must be at least 1"));
    }
    let journal_dir = args
        .journal_dir
        .clone()
        .unwrap_or_else(|| section.journal_dir.clone());
    let journal_dir = if journal_dir.is_absolute() {
        journal_dir
    } else {
        root.join(journal_dir)
    };
    let mut resume = vec!["relay publish".to_string()];
    if let Some(r) = &args.registry {
        resume.push(format!("--registry {r}"));
    }
    if let Some(t) = &args.tag {
        resume.push(format!("--tag {t}"));
    }
    if let Some(s) = &args.strategy {
        resume.push(format!("--strategy {s}"));
    }
    if let Some(j) = &args.journal_dir {
        resume.push(format!("--journal-dir {}", j.display()));
    }
    if let Some(a) = &args.access {
        resume.push(format!("--access {a}"));
    }
    if args.no_git_tag {
        resume.push("--no-git-tag".into());
    }
    if let Some(a) = args.auth {
        resume.push(format!("--auth {}", crate::oidc::AuthMode::from(a)));
    }
    if let Some(d) = &args.from_pack_dir {
        resume.push(format!("--from-pack-dir {}", d.display()));
    }
    // A code is good for seconds: the resume command asks for a fresh one, never repeats it.
    let otp = args
        .otp
        .clone()
        .or_else(|| npm.get("otp").map(String::from));
    if otp.is_some() {
        resume.push("--otp <code>".into());
    }
    let reporter: Arc<dyn Reporter> = Arc::new(ctx.console.clone());
    let progress: Arc<dyn Progress> = if ctx.console.interactive && !args.json {
        Arc::new(Bars::default())
    } else {
        Arc::new(Lines {
            reporter: reporter.clone(),
        })
    };
    // As npm: a person is asked only when both ends are a terminal.
    let prompter: Option<Arc<dyn OtpPrompter>> = {
        use std::io::IsTerminal;
        (std::io::stdin().is_terminal() && std::io::stdout().is_terminal()).then(|| {
            Arc::new(TerminalOtp {
                progress: progress.clone(),
            }) as Arc<dyn OtpPrompter>
        })
    };
    let pctx = PublishContext {
        workspace: Arc::new(ws),
        npm: npm.clone(),
        client: client.with_otp(Arc::new(OtpState::new(otp, prompter))),
        auth: Arc::new(NpmrcAuth { config: npm }),
        // A dry run changes nothing anywhere: no lifecycle scripts.
        packer: Arc::new(NpmPacker {
            ignore_scripts: args.ignore_scripts || args.dry_run,
        }),
        reporter,
        progress,
    };
    let opts = PublishOptions {
        tag,
        strategy,
        concurrency,
        journal_dir,
        git_tag: !args.no_git_tag && section.git_tag,
        tag_private: tag_private_packages(&root)?,
        fail_fast: args.fail_fast,
        dry_run: args.dry_run,
        access: args.access.clone(),
        visibility_timeout: Duration::from_secs(args.visibility_timeout.unwrap_or(300)),
        resume_command: resume.join(" "),
    };
    Ok((pctx, opts))
}

/// `privatePackages.tag` from `.changeset/config.json` (false without the file).
pub(crate) fn tag_private_packages(root: &std::path::Path) -> Result<bool, CliError> {
    if !root.join(crate::settings::CONFIG_PATH).is_file() {
        return Ok(false);
    }
    let config = crate::settings::load_config(root).map_err(CliError::user)?;
    Ok(config.private_packages.tag)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::internal)
}

pub fn run(ctx: &Ctx, args: PublishArgs) -> CliResult {
    let from_pack = match &args.from_pack_dir {
        Some(d) => Some(crate::pack_plan::FromPackDir::open(d).map_err(CliError::user)?),
        None => None,
    };
    let (mut pctx, mut opts) =
        prepare_with(ctx, &args, from_pack.as_ref().map(|p| p.workspace.clone()))?;
    if let Some(p) = &from_pack {
        // Serves the verified tarballs: no packing, so no lifecycle script runs.
        pctx.packer = Arc::new(p.packer());
        if args.tag.is_none() {
            opts.tag = p.tag().map_err(CliError::user)?;
        }
    }
    let rt = runtime()?;
    let settings = super::auth::oidc_settings(&ctx.root()?, args.auth)?;
    let oidc = rt
        .block_on(crate::oidc::provider::prepare(
            &pctx.workspace,
            &pctx.npm,
            &pctx.client,
            settings,
            crate::oidc::CiEnv::from_process(),
        ))
        .map_err(|e| {
            if args.json {
                let failures: Vec<_> = e.failures.iter().map(|f| f.to_json()).collect();
                let v = serde_json::json!({"ok": false, "oidc": failures});
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            }
            CliError::user(e)
        })?;
    if let Some(auth) = oidc {
        pctx.auth = Arc::new(auth);
    }
    let result = rt.block_on(release::publish(&pctx, &opts));
    let report = match result {
        Ok(r) => r,
        Err(release::ReleaseError::Preflight(problems)) => {
            if args.json {
                let v = serde_json::json!({"ok": false, "preflight": problems});
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            }
            return Err(CliError::user(release::ReleaseError::Preflight(problems)));
        }
        Err(e) => return Err(CliError::user(e)),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(CliError::internal)?
        );
    }
    if args.dry_run {
        if !args.json {
            print_plan(&report.plan);
        }
        return Ok(());
    }
    print_summary(ctx, &report);
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::silent())
    }
}

/// The plan as text (dry run and `publish-plan` without `--output`).
pub(crate) fn print_plan(plan: &PublishPlan) {
    let mut out = String::new();
    out.push_str(&format!(
        "release {} ({} strategy{})\n",
        plan.release_id,
        match plan.strategy {
            Strategy::Direct => "direct",
            Strategy::Promote => "promote",
        },
        plan.temp_tag
            .as_ref()
            .map(|t| format!(", temporary tag {t}"))
            .unwrap_or_default()
    ));
    if plan.packages.is_empty() {
        out.push_str("nothing to publish: every version is already on its registry\n");
    }
    for (i, wave) in plan.waves.iter().enumerate() {
        out.push_str(&format!("wave {}:\n", i + 1));
        for name in wave {
            if let Some(p) = plan.packages.iter().find(|p| &p.name == name) {
                out.push_str(&format!(
                    "  {}@{}  tag {}  {}  {}\n",
                    p.name,
                    p.version,
                    p.tag,
                    human_size(p.tarball_size),
                    p.registry
                ));
            }
        }
    }
    for t in &plan.git_tag_only {
        out.push_str(&format!("git tag only (private): {t}\n"));
    }
    print!("{out}");
}

fn human_size(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{:.1} kB", n as f64 / 1024.0)
    }
}

fn print_summary(ctx: &Ctx, r: &PublishReport) {
    let c = &ctx.console;
    if r.published.is_empty() && r.failed.is_empty() && r.not_attempted.is_empty() {
        c.info("nothing to publish: every version is already on its registry");
        return;
    }
    let fresh = r
        .published
        .iter()
        .filter(|p| p.outcome == crate::registry::PublishOutcome::Published)
        .count();
    c.info(&format!(
        "published {} package(s) ({} new, {} already there); failed {}; not attempted {}",
        r.published.len(),
        fresh,
        r.published.len() - fresh,
        r.failed.len(),
        r.not_attempted.len()
    ));
    for p in &r.published {
        c.info(&format!("  {}@{}  auth: {}", p.name, p.version, p.auth));
    }
    for f in &r.failed {
        c.error(&format!("{}@{}: {}", f.name, f.version, f.error));
    }
    for n in &r.not_attempted {
        c.warn(&format!(
            "{}@{} not attempted: {}",
            n.name, n.version, n.reason
        ));
    }
    if let Some(j) = &r.journal {
        c.debug(&format!("journal: {j}"));
    }
    if let Some(cmd) = &r.resume_command {
        c.info(&format!("fix the cause, then resume with: {cmd}"));
    }
}

/// Asks for one-time passwords on the terminal, with the progress bars out of the way.
struct TerminalOtp {
    progress: Arc<dyn Progress>,
}

impl OtpPrompter for TerminalOtp {
    fn show_url(&self, url: &str) {
        self.progress.pause();
        eprintln!("Authenticate your account at:\n{url}\nwaiting for the approval...");
        self.progress.resume();
    }

    fn read_code(&self, prompt: &str) -> Option<String> {
        use std::io::Write;
        self.progress.pause();
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let read = std::io::stdin().read_line(&mut line);
        self.progress.resume();
        match read {
            Ok(n) if n > 0 => Some(line.trim().to_string()),
            _ => None,
        }
    }
}

/// Plain progress lines (non-TTY, CI, --verbose).
struct Lines {
    reporter: Arc<dyn Reporter>,
}

impl Progress for Lines {
    fn plan(&self, plan: &PublishPlan) {
        self.reporter.info(&format!(
            "publishing {} package(s) in {} wave(s)",
            plan.packages.len(),
            plan.waves.len()
        ));
    }
    fn finished(&self, name: &str, version: &str, result: Result<&str, &str>) {
        match result {
            Ok(m) => self.reporter.info(&format!("{name}@{version}: {m}")),
            Err(e) => self
                .reporter
                .warn(&format!("{name}@{version}: failed: {e}")),
        }
    }
}

/// One indicatif bar per wave on a TTY.
#[derive(Default)]
struct Bars {
    inner: Mutex<Option<BarsInner>>,
}

struct BarsInner {
    multi: indicatif::MultiProgress,
    bars: Vec<indicatif::ProgressBar>,
    wave_of: BTreeMap<String, usize>,
}

impl Progress for Bars {
    fn plan(&self, plan: &PublishPlan) {
        let multi = indicatif::MultiProgress::new();
        let style =
            indicatif::ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        let bars = plan
            .waves
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let b = multi.add(indicatif::ProgressBar::new(w.len() as u64));
                b.set_style(style.clone());
                b.set_prefix(format!("wave {}", i + 1));
                b
            })
            .collect();
        let wave_of = plan
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.wave))
            .collect();
        *self.inner.lock().unwrap_or_else(|p| p.into_inner()) = Some(BarsInner {
            multi,
            bars,
            wave_of,
        });
    }
    fn started(&self, name: &str, version: &str) {
        self.with(|i| {
            if let Some(b) = i.bar_of(name) {
                b.set_message(format!("{name}@{version}"));
            }
        });
    }
    fn finished(&self, name: &str, _version: &str, result: Result<&str, &str>) {
        self.with(|i| {
            if let Some(b) = i.bar_of(name) {
                b.inc(1);
                if let Err(e) = result {
                    b.println(format!("{name}: failed: {e}"));
                }
            }
        });
    }
    fn pause(&self) {
        self.with(|i| {
            // Off the screen, so the question starts on a clean line.
            let _ = i.multi.clear();
            i.multi
                .set_draw_target(indicatif::ProgressDrawTarget::hidden());
        });
    }
    fn resume(&self) {
        self.with(|i| {
            i.multi
                .set_draw_target(indicatif::ProgressDrawTarget::stderr())
        });
    }
    fn done(&self) {
        self.with(|i| i.bars.iter().for_each(|b| b.finish()));
    }
}

impl Bars {
    /// Runs `f` on the bars once the plan has made them.
    fn with(&self, f: impl FnOnce(&BarsInner)) {
        if let Some(i) = self
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            f(i);
        }
    }
}

impl BarsInner {
    fn bar_of(&self, name: &str) -> Option<&indicatif::ProgressBar> {
        self.wave_of.get(name).and_then(|w| self.bars.get(*w))
    }
}
