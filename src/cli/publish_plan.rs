//! `relay publish-plan`: the publish plan (waves, tags, tarball sizes) as JSON, computed with
//! the same preflight as `relay publish --dry-run`; nothing is uploaded or written elsewhere.

use std::path::PathBuf;

use super::publish::{PublishArgs, prepare, print_plan, runtime};
use super::{CliError, CliResult, Ctx};
use crate::release;

#[derive(Debug, Clone, clap::Args)]
pub struct PublishPlanArgs {
    /// Write the plan JSON to FILE (default: print the plan as text)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Registry URL for every package
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// Dist-tag to plan for
    #[arg(long)]
    pub tag: Option<String>,
    /// `direct` or `promote`
    #[arg(long, value_name = "STRATEGY")]
    pub strategy: Option<String>,
    /// `public` or `restricted`
    #[arg(long, value_parser = ["public", "restricted"])]
    pub access: Option<String>,
}

pub fn run(ctx: &Ctx, args: PublishPlanArgs) -> CliResult {
    let pargs = PublishArgs {
        registry: args.registry,
        tag: args.tag,
        strategy: args.strategy,
        concurrency: None,
        journal_dir: None,
        no_git_tag: true,
        fail_fast: false,
        dry_run: true,
        json: true,
        access: args.access,
        ignore_scripts: true,
        visibility_timeout: None,
        auth: None,
        from_pack_dir: None,
        otp: None,
    };
    let (pctx, opts) = prepare(ctx, &pargs)?;
    let report = runtime()?
        .block_on(release::publish(&pctx, &opts))
        .map_err(CliError::user)?;
    match args.output {
        Some(path) => {
            let mut json = serde_json::to_vec_pretty(&report.plan).map_err(CliError::internal)?;
            json.push(b'\n');
            crate::fsx::write_atomic(&path, &json)
                .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
            Ok(())
        }
        None => {
            print_plan(&report.plan);
            Ok(())
        }
    }
}
