//! `relay auth check`: runs the publish auth preflight (OIDC exchange for every package, or the
//! configured token) and reports per package what a publish would use, uploading nothing. Meant
//! for a CI step before the release, or to debug a trusted-publisher configuration.

use std::sync::Arc;

use super::{CliError, CliResult, Ctx};
use crate::oidc::{AuthMode, AuthPlan, Broker, CiEnv, OidcSettings, Target};
use crate::registry::{Credential, NpmConfig};
use crate::report::Reporter;
use crate::workspace;

#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Get a publish credential for every publishable package (OIDC exchange or the configured
    /// token) and report what `relay publish` would use; uploads nothing
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// auto: OIDC in a supported CI, else the configured token; oidc: OIDC only; token: never
    /// OIDC (default: relay.toml `[publish] auth`, else auto)
    #[arg(long, value_enum)]
    pub auth: Option<AuthArg>,
    /// Registry for every package (as npm's `--registry`)
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// Print the per-package result as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AuthArg {
    Auto,
    Oidc,
    Token,
}

impl From<AuthArg> for AuthMode {
    fn from(a: AuthArg) -> AuthMode {
        match a {
            AuthArg::Auto => AuthMode::Auto,
            AuthArg::Oidc => AuthMode::Oidc,
            AuthArg::Token => AuthMode::Token,
        }
    }
}

/// `relay.toml`'s OIDC settings with `--auth` applied on top.
pub(crate) fn oidc_settings(
    root: &std::path::Path,
    cli: Option<AuthArg>,
) -> Result<OidcSettings, CliError> {
    let toml = crate::settings::load_relay_toml(root).map_err(CliError::user)?;
    let mut s = OidcSettings::from(&toml);
    if let Some(a) = cli {
        s.mode = a.into();
    }
    Ok(s)
}

pub fn run(ctx: &Ctx, args: AuthArgs) -> CliResult {
    match args.command {
        AuthCommand::Check(a) => check(ctx, a),
    }
}

fn check(ctx: &Ctx, args: CheckArgs) -> CliResult {
    let root = ctx.root()?;
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    let settings = oidc_settings(&root, args.auth)?;
    let env: crate::registry::Env = std::env::vars().collect();
    let npm = NpmConfig::load(&root, &env, args.registry.as_deref()).map_err(CliError::user)?;
    let publishable: Vec<&workspace::Package> = ws
        .packages
        .iter()
        .chain(
            ws.packages
                .is_empty()
                .then_some(())
                .and(ws.root_package.as_ref()),
        )
        .filter(|p| !p.private && p.version.is_some() && p.ecosystem == workspace::Ecosystem::Npm)
        .collect();
    if publishable.is_empty() {
        return Err(CliError::user("no publishable package in this workspace"));
    }
    let mut targets = Vec::new();
    for p in &publishable {
        let manifest: serde_json::Value = std::fs::read_to_string(&p.manifest_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let registry = npm
            .registry_for(&p.name, manifest.get("publishConfig"))
            .map_err(CliError::user)?;
        targets.push(Target::new(p.name.clone(), registry));
    }
    let configured = |t: &Target| {
        npm.credential_for(&t.registry).map(|c| match c {
            Credential::Token(s) | Credential::Basic(s) => s,
        })
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::internal)?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("relay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(CliError::internal)?;
    let broker = Arc::new(Broker::new(http, CiEnv::from_process(), settings.clone()));
    if let Some(p) = broker.provider() {
        ctx.console
            .debug(&format!("CI provider: {p}; auth mode: {}", settings.mode));
    }
    let plan = rt
        .block_on(AuthPlan::resolve(broker, &targets, configured))
        .map_err(CliError::user)?;
    if args.json {
        let out = serde_json::to_string_pretty(plan.entries()).map_err(CliError::internal)?;
        println!("{out}");
    }
    let width = plan
        .entries()
        .iter()
        .map(|e| e.package.len())
        .max()
        .unwrap_or(0);
    let mut missing = Vec::new();
    for e in plan.entries() {
        let note = e
            .note
            .as_deref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        ctx.console.info(&format!(
            "{:<width$}  {:<5}  {}{note}",
            e.package, e.method, e.registry
        ));
        if e.method == crate::oidc::AuthMethod::None {
            missing.push(e.package.clone());
        }
    }
    if !missing.is_empty() {
        return Err(CliError::user(format!(
            "no credential for {}: run in CI with OIDC trusted publishing, or configure a token",
            missing.join(", ")
        )));
    }
    Ok(())
}
