//! `relay pre enter <tag>` / `relay pre exit`: changesets' pre mode switches.

use super::add::{changeset_error, load_repo};
use super::{CliResult, Ctx};
use crate::changeset;
use crate::report::Reporter;

#[derive(Debug, clap::Args)]
pub struct PreArgs {
    #[command(subcommand)]
    pub action: PreAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum PreAction {
    /// Enter pre mode: `relay version` then writes `<version>-<tag>.<n>` versions
    Enter {
        /// The pre-release tag, e.g. `beta`, `rc`, `next`
        tag: String,
    },
    /// Exit pre mode: the next `relay version` writes normal versions
    Exit,
}

pub fn run(ctx: &Ctx, args: PreArgs) -> CliResult {
    if let PreAction::Enter { tag } = &args.action {
        // A bad tag is a usage error, reported before anything is read.
        changeset::validate_pre_tag(tag).map_err(changeset_error)?;
    }
    let repo = load_repo(ctx)?;
    match args.action {
        PreAction::Enter { tag } => {
            changeset::enter_pre(&repo.root, &tag).map_err(changeset_error)?;
            ctx.console.info(&format!(
                "Entered pre mode with tag {tag}!\nRun `relay version` to version packages with \
                 prerelease versions."
            ));
        }
        PreAction::Exit => {
            changeset::exit_pre(&repo.root).map_err(changeset_error)?;
            ctx.console.info(
                "Exited pre mode!\nRun `relay version` to version packages with normal versions.",
            );
        }
    }
    Ok(())
}
