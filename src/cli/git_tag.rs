//! `relay git-tag`: create the annotated git tag of every package's current version (the tags
//! `relay publish` creates after each upload), skipping tags that exist.

use super::{CliError, CliResult, Ctx};
use crate::release::{self, git_tags};
use crate::report::Reporter;

#[derive(Debug, Clone, clap::Args)]
pub struct GitTagArgs {}

pub fn run(ctx: &Ctx, _args: GitTagArgs) -> CliResult {
    let root = ctx.root()?;
    let ws = crate::workspace::discover(&root).map_err(CliError::user)?;
    if !git_tags::is_repo(&root) {
        return Err(CliError::user(format!(
            "{}: not a git repository; run `git init` first",
            root.display()
        )));
    }
    let (mut pkgs, single) = release::publishable(&ws);
    if super::publish::tag_private_packages(&root)? {
        pkgs.extend(
            ws.packages
                .iter()
                .filter(|p| p.private && p.version.is_some())
                .cloned(),
        );
    }
    pkgs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut tagger = git_tags::Tagger::new(&root);
    let names: Vec<String> = pkgs
        .iter()
        .filter_map(|p| Some(git_tags::tag_name(&p.name, p.version.as_ref()?, single)))
        .collect();
    if let Err(e) = tagger.prepare(&names) {
        ctx.console.debug(&format!(
            "tag objects not prepared in one pack ({e}); writing each"
        ));
    }
    for p in pkgs {
        let Some(v) = &p.version else { continue };
        let tag = git_tags::tag_name(&p.name, v, single);
        match tagger.create(&tag).map_err(CliError::user)? {
            true => ctx.console.info(&format!("created {tag}")),
            false => ctx.console.debug(&format!("{tag} exists")),
        }
    }
    Ok(())
}
