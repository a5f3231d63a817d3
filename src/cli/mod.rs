//! Command-line entry: parse arguments, resolve settings, call the core, print, map errors to
//! exit codes (0 ok, 1 failure, 2 usage, 101 internal bug).

pub mod add;
mod auth;
mod git_tag;
mod init;
mod list;
mod pack;
mod pre;
mod publish;
mod publish_plan;
mod status;
mod version;

use std::fmt;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::report::{ColorChoice, Console};

#[derive(Debug, Parser)]
#[command(
    name = "relay",
    version,
    about = "Release orchestrator for monorepos",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Repository root (default: walk up from the current directory to the workspace root)
    #[arg(long, global = true, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Show more detail
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Show only errors and warnings
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to colour output (NO_COLOR is honoured under `auto`)
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every package of the workspace (the root package included)
    List(list::ListArgs),
    /// Publish credentials: check OIDC trusted publishing / tokens for every package
    Auth(auth::AuthArgs),
    /// Create .changeset/config.json and .changeset/README.md (never overwrites)
    Init(init::InitArgs),
    /// Write a change file (interactive, or with --major/--minor/--patch and -m)
    Add(add::AddArgs),
    /// Enter or exit pre-release mode
    Pre(pre::PreArgs),
    /// Show the release plan for the pending change files; exit 1 if changed packages have none
    Status(status::StatusArgs),
    /// Apply change files: bump versions, rewrite dependency ranges, write CHANGELOGs
    Version(version::VersionArgs),
    /// Publish every package whose version is not on its registry yet
    Publish(publish::PublishArgs),
    /// Compute the publish plan (waves, tags, tarball sizes) without publishing
    PublishPlan(publish_plan::PublishPlanArgs),
    /// Create the git tag of every package's current version (skips existing tags)
    GitTag(git_tag::GitTagArgs),
    /// Build npm-identical tarballs of the publishable packages
    Pack(pack::PackArgs),
}

/// What a command returns when it fails: a message for the user and the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    /// The user can fix it (bad input, failed release): exit 1.
    pub fn user(e: impl fmt::Display) -> Self {
        CliError {
            code: 1,
            message: e.to_string(),
        }
    }
    /// The command line itself is wrong: exit 2.
    pub fn usage(e: impl fmt::Display) -> Self {
        CliError {
            code: 2,
            message: e.to_string(),
        }
    }
    /// A bug in relay: exit 101.
    pub fn internal(e: impl fmt::Display) -> Self {
        CliError {
            code: 101,
            message: format!("{e}\nThis is a bug in relay; please report it."),
        }
    }
    /// A failure whose details were already printed: exit 1 with no further message.
    pub fn silent() -> Self {
        CliError {
            code: 1,
            message: String::new(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult = Result<(), CliError>;

/// What every command receives: the resolved global options and a console to report to.
pub struct Ctx {
    pub global: GlobalArgs,
    pub console: Console,
}

impl Ctx {
    /// The repository root: `--cwd` as given, or the workspace root found by walking up.
    pub fn root(&self) -> Result<PathBuf, CliError> {
        match &self.global.cwd {
            Some(dir) => {
                let dir = std::path::absolute(dir).map_err(CliError::user)?;
                if !dir.is_dir() {
                    return Err(CliError::usage(format!(
                        "--cwd {}: no such directory",
                        dir.display()
                    )));
                }
                Ok(dir)
            }
            None => {
                let here = std::env::current_dir().map_err(CliError::user)?;
                Ok(crate::workspace::find_root(&here).unwrap_or(here))
            }
        }
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let color = match cli.global.color {
        ColorArg::Auto => ColorChoice::Auto,
        ColorArg::Always => ColorChoice::Always,
        ColorArg::Never => ColorChoice::Never,
    };
    let console = Console::new(cli.global.verbose, cli.global.quiet, color);
    let ctx = Ctx {
        global: cli.global.clone(),
        console,
    };
    let result = run(&ctx, cli.command);
    match result {
        Ok(()) => 0,
        Err(e) => {
            if !e.message.is_empty() {
                ctx.console.error(&e.message);
            }
            e.code
        }
    }
}

fn run(ctx: &Ctx, command: Command) -> CliResult {
    match command {
        Command::List(args) => list::run(ctx, args),
        Command::Auth(args) => auth::run(ctx, args),
        Command::Init(args) => init::run(ctx, args),
        Command::Add(args) => add::run(ctx, args),
        Command::Pre(args) => pre::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Version(args) => version::run(ctx, args),
        Command::Publish(args) => publish::run(ctx, args),
        Command::PublishPlan(args) => publish_plan::run(ctx, args),
        Command::GitTag(args) => git_tag::run(ctx, args),
        Command::Pack(args) => pack::run(ctx, args),
    }
}

/// Paths in output are shown relative to the root, with forward slashes.
pub fn display_rel(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}
